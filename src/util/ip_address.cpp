#include "util/ip_address.h"

#include "util/hex.h"

#include <algorithm>
#include <charconv>

namespace boshd::util {

namespace {

constexpr std::array<std::uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
constexpr unsigned kMappedBits = 96;
constexpr int kGroups = 8;

// Four decimal parts 0-255, no leading zeros, nothing else.
std::optional<std::array<std::uint8_t, 4>> parse_quad(std::string_view text) {
    std::array<std::uint8_t, 4> out{};
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (i > 0) {
            if (text.empty() || text.front() != '.') {
                return std::nullopt;
            }
            text.remove_prefix(1);
        }
        std::size_t len = 0;
        while (len < text.size() && text[len] >= '0' && text[len] <= '9') {
            ++len;
        }
        if (len == 0 || len > 3 || (len > 1 && text[0] == '0')) {
            return std::nullopt;
        }
        unsigned v = 0;
        std::from_chars(text.data(), text.data() + len, v);
        if (v > 255) {
            return std::nullopt;
        }
        out[i] = static_cast<std::uint8_t>(v);
        text.remove_prefix(len);
    }
    if (!text.empty()) {
        return std::nullopt;
    }
    return out;
}

// RFC 4291 §2.2: x:x:x:x:x:x:x:x, "::" once for one or more zero groups,
// and x:x:x:x:x:x:d.d.d.d with the dotted quad as the last two groups.
std::optional<std::array<std::uint8_t, 16>> parse_v6(std::string_view text) {
    std::array<std::uint16_t, kGroups> groups{};
    int count = 0;       // groups read
    int gap = -1;        // where "::" stands, in groups
    std::size_t pos = 0; // in text
    if (text.starts_with("::")) {
        gap = 0;
        pos = 2;
        if (text.size() == 2) {
            return std::array<std::uint8_t, 16>{};
        }
    } else if (text.starts_with(':')) {
        return std::nullopt;
    }
    while (pos < text.size()) {
        if (count == kGroups) {
            return std::nullopt;
        }
        const std::string_view rest = text.substr(pos);
        // A dotted quad ends the address and fills two groups.
        const auto next_colon = rest.find(':');
        if (rest.substr(0, next_colon).find('.') != std::string_view::npos) {
            if (next_colon != std::string_view::npos || count > kGroups - 2) {
                return std::nullopt;
            }
            const auto quad = parse_quad(rest);
            if (!quad) {
                return std::nullopt;
            }
            groups[count++] = static_cast<std::uint16_t>((*quad)[0] << 8 | (*quad)[1]);
            groups[count++] = static_cast<std::uint16_t>((*quad)[2] << 8 | (*quad)[3]);
            pos = text.size();
            break;
        }
        unsigned value = 0;
        std::size_t len = 0;
        while (len < rest.size() && len < 5 && hex_digit_value(rest[len]) >= 0) {
            value = value << 4 | static_cast<unsigned>(hex_digit_value(rest[len]));
            ++len;
        }
        if (len == 0 || len > 4) {
            return std::nullopt;
        }
        groups[count++] = static_cast<std::uint16_t>(value);
        pos += len;
        if (pos == text.size()) {
            break;
        }
        if (text[pos] != ':') {
            return std::nullopt;
        }
        ++pos;
        if (pos < text.size() && text[pos] == ':') {
            if (gap >= 0) {
                return std::nullopt; // a second "::"
            }
            gap = count;
            ++pos;
        } else if (pos == text.size()) {
            return std::nullopt; // a single trailing ':'
        }
    }
    if (gap < 0 ? count != kGroups : count == kGroups) {
        return std::nullopt; // "::" must stand for at least one group
    }
    if (gap >= 0) {
        // Move the groups after "::" to the end; zeros in between.
        const int tail = count - gap;
        std::copy_backward(groups.begin() + gap, groups.begin() + count, groups.end());
        std::fill(groups.begin() + gap, groups.end() - tail, 0);
    }
    std::array<std::uint8_t, 16> out{};
    for (int i = 0; i < kGroups; ++i) {
        out[2 * i] = static_cast<std::uint8_t>(groups[i] >> 8);
        out[2 * i + 1] = static_cast<std::uint8_t>(groups[i] & 0xff);
    }
    return out;
}

bool is_mapped(const std::array<std::uint8_t, 16>& b) {
    return std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), b.begin());
}

std::string quad_to_string(const std::uint8_t* b) {
    std::string out;
    for (int i = 0; i < 4; ++i) {
        if (i > 0) {
            out += '.';
        }
        out += std::to_string(b[i]);
    }
    return out;
}

std::string v6_to_string(const std::array<std::uint8_t, 16>& b, bool dotted_tail) {
    if (dotted_tail && is_mapped(b)) {
        return "::ffff:" + quad_to_string(b.data() + 12); // RFC 5952 §5
    }
    std::array<unsigned, kGroups> g{};
    for (int i = 0; i < kGroups; ++i) {
        g[i] = static_cast<unsigned>(b[2 * i] << 8 | b[2 * i + 1]);
    }
    // RFC 5952 §4.2: the longest run of at least two zero groups, the first
    // of equal ones.
    int best = -1;
    int best_len = 1;
    for (int i = 0; i < kGroups;) {
        if (g[i] != 0) {
            ++i;
            continue;
        }
        int j = i;
        while (j < kGroups && g[j] == 0) {
            ++j;
        }
        if (j - i > best_len) {
            best = i;
            best_len = j - i;
        }
        i = j;
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (int i = 0; i < kGroups; ++i) {
        if (i == best) {
            out += "::";
            i += best_len - 1;
            continue;
        }
        if (!out.empty() && out.back() != ':') {
            out += ':';
        }
        bool started = false;
        for (int shift = 12; shift >= 0; shift -= 4) {
            const unsigned nibble = (g[i] >> shift) & 0xf;
            if (nibble != 0 || started || shift == 0) {
                out += kHex[nibble];
                started = true;
            }
        }
    }
    return out;
}

} // namespace

IpAddress IpAddress::v4(std::array<std::uint8_t, 4> bytes) {
    IpAddress a;
    std::copy(bytes.begin(), bytes.end(), a.bytes_.begin());
    return a;
}

IpAddress IpAddress::v6(std::array<std::uint8_t, 16> bytes) {
    IpAddress a;
    a.family_ = Family::V6;
    a.bytes_ = bytes;
    return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    if (text.find(':') == std::string_view::npos) {
        if (auto quad = parse_quad(text)) {
            return v4(*quad);
        }
        return std::nullopt;
    }
    if (auto v6bytes = parse_v6(text)) {
        return v6(*v6bytes);
    }
    return std::nullopt;
}

IpAddress IpAddress::unmapped() const {
    if (is_v4() || !is_mapped(bytes_)) {
        return *this;
    }
    return v4({bytes_[12], bytes_[13], bytes_[14], bytes_[15]});
}

IpAddress IpAddress::mapped() const {
    if (!is_v4()) {
        return *this;
    }
    std::array<std::uint8_t, 16> b{};
    std::copy(kMappedPrefix.begin(), kMappedPrefix.end(), b.begin());
    std::copy(bytes_.begin(), bytes_.begin() + 4, b.begin() + 12);
    return v6(b);
}

IpAddress IpAddress::masked(unsigned prefix) const {
    IpAddress out = *this;
    const unsigned keep = std::min(prefix, bits());
    for (unsigned i = 0; i < 16; ++i) {
        const unsigned first_bit = i * 8;
        if (first_bit >= keep) {
            out.bytes_[i] = 0;
        } else if (keep - first_bit < 8) {
            out.bytes_[i] &= static_cast<std::uint8_t>(0xff << (8 - (keep - first_bit)));
        }
    }
    return out;
}

std::string IpAddress::to_string() const {
    return is_v4() ? quad_to_string(bytes_.data()) : v6_to_string(bytes_, true);
}

std::string IpAddress::to_hex_groups() const {
    return is_v4() ? quad_to_string(bytes_.data()) : v6_to_string(bytes_, false);
}

std::size_t IpAddressHash::operator()(const IpAddress& a) const noexcept {
    // FNV-1a over the family and the bytes.
    std::uint64_t h = 1469598103934665603ull;
    const auto mix = [&](std::uint8_t byte) {
        h ^= byte;
        h *= 1099511628211ull;
    };
    mix(static_cast<std::uint8_t>(a.family()));
    for (auto byte : a.bytes()) {
        mix(byte);
    }
    return static_cast<std::size_t>(h);
}

IpAddress client_group(const IpAddress& client) {
    constexpr unsigned kIpv6ClientPrefix = 64;
    const IpAddress a = client.unmapped();
    return a.is_v4() ? a : a.masked(kIpv6ClientPrefix);
}

std::string Endpoint::to_string() const {
    const std::string host = address.to_string();
    const std::string p = std::to_string(port);
    return address.is_v4() ? host + ":" + p : "[" + host + "]:" + p;
}

Result<Cidr, std::string> Cidr::parse(std::string_view text) {
    const auto slash = text.find('/');
    const auto address_text = text.substr(0, slash);
    auto address = IpAddress::parse(address_text);
    if (!address) {
        return fail("\"" + std::string(address_text) + "\" is not an IPv4 or IPv6 address");
    }
    unsigned prefix = address->bits();
    if (slash != std::string_view::npos) {
        const auto digits = text.substr(slash + 1);
        const auto* end = digits.data() + digits.size();
        const auto [ptr, ec] = std::from_chars(digits.data(), end, prefix);
        if (digits.empty() || ptr != end || ec != std::errc{} ||
            (digits.size() > 1 && digits[0] == '0') || prefix > address->bits()) {
            return fail("the prefix length after '/' must be a number from 0 to " +
                        std::to_string(address->bits()));
        }
    }
    if (address->masked(prefix) != *address) {
        return fail("\"" + std::string(text) + "\" has bits set past its prefix length; the " +
                    "network is " + address->masked(prefix).to_string() + "/" +
                    std::to_string(prefix));
    }
    // An IPv4-mapped network is the IPv4 network it carries.
    if (!address->is_v4() && prefix >= kMappedBits && address->unmapped().is_v4()) {
        return Cidr(address->unmapped(), prefix - kMappedBits);
    }
    return Cidr(*address, prefix);
}

bool Cidr::contains(const IpAddress& address) const {
    const IpAddress a = address.unmapped();
    return a.family() == base_.family() && a.masked(prefix_) == base_;
}

std::string Cidr::to_string() const {
    return base_.to_string() + "/" + std::to_string(prefix_);
}

} // namespace boshd::util
