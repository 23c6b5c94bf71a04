// ASCII case folding, the one copy of the program: protocol tokens, domain
// names, CORS origins and content codings compare case-insensitively in
// ASCII only. Nothing here consults the C locale (<cctype>'s tolower may map
// bytes above 0x7f, or differently in a Turkish locale).
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

namespace boshd::util::ascii {

// |c| with A-Z mapped to a-z; every other byte unchanged.
constexpr char lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// |text| with A-Z mapped to a-z.
inline std::string to_lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), lower);
    return out;
}

// |a| and |b| are equal but for the case of ASCII letters.
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [](char x, char y) { return lower(x) == lower(y); });
}

} // namespace boshd::util::ascii
