// Hexadecimal text: the one encoder and the one decoder of the program (sids
// and stream names, XEP-0124 §15 keys, control bytes in the log).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace boshd::util {

// The value of hex digit |c| (either case); -1 for any other character.
int hex_digit_value(char c);

// Appends two lower-case digits per byte of |bytes| to |out|.
void append_hex(std::string& out, std::span<const std::uint8_t> bytes);

// |bytes| as lower-case hex, two digits per byte.
std::string to_hex(std::span<const std::uint8_t> bytes);

namespace detail {
// Fills |out| from exactly 2 * out.size() hex digits, either case; false on
// any other length or a non-digit (|out| is then unspecified).
bool decode_hex(std::string_view text, std::span<std::uint8_t> out);
} // namespace detail

// The N bytes |text| spells: exactly 2N hex digits, either case; nullopt
// otherwise.
template <std::size_t N>
std::optional<std::array<std::uint8_t, N>> from_hex(std::string_view text) {
    std::array<std::uint8_t, N> out{};
    if (!detail::decode_hex(text, out)) {
        return std::nullopt;
    }
    return out;
}

} // namespace boshd::util
