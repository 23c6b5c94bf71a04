#include "svc/address_syntax.h"

#include "util/ascii.h"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <charconv>
#include <limits>

namespace boshd::svc {

namespace {

constexpr std::uint32_t kPortMax = std::numeric_limits<std::uint16_t>::max();
constexpr std::size_t kMaxDnsName = 253;
constexpr std::size_t kMaxDnsLabel = 63;

bool is_alpha(char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}
bool is_digit(char ch) {
    return ch >= '0' && ch <= '9';
}

} // namespace

bool is_dns_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxDnsName) {
        return false;
    }
    std::size_t label = 0;
    for (char ch : name) {
        if (ch == '.') {
            if (label == 0) {
                return false;
            }
            label = 0;
        } else if (is_alpha(ch) || is_digit(ch) || ch == '-') {
            if (++label > kMaxDnsLabel) {
                return false;
            }
        } else {
            return false;
        }
    }
    return label != 0;
}

bool is_ipv6(std::string_view text) {
    // inet_pton stops at a NUL, which TOML strings may hold ("\u0000").
    if (text.find('\0') != std::string_view::npos) {
        return false;
    }
    std::array<unsigned char, 16> buf{};
    return inet_pton(AF_INET6, std::string(text).c_str(), buf.data()) == 1;
}

std::string parse_host_port(std::string_view text, bool port_required, std::uint32_t port_min,
                            std::string& host, std::optional<std::uint32_t>& port) {
    std::string_view host_part;
    std::string_view rest;
    if (text.starts_with('[')) {
        const auto close = text.find(']');
        if (close == std::string_view::npos) {
            return "IPv6 address lacks its closing ']'";
        }
        host_part = text.substr(1, close - 1);
        rest = text.substr(close + 1);
        if (!is_ipv6(host_part)) {
            return "\"" + std::string(host_part) + "\" is not an IPv6 address";
        }
    } else {
        const auto colon = text.find(':');
        host_part = text.substr(0, colon);
        rest = colon == std::string_view::npos ? std::string_view{} : text.substr(colon);
        if (rest.find(':', 1) != std::string_view::npos) {
            return "an IPv6 address must be in brackets, as \"[::1]:5280\"";
        }
        if (!is_dns_name(host_part)) {
            return "host must be a DNS name, an IPv4 address or a bracketed IPv6 address";
        }
    }
    if (rest.empty() || !rest.starts_with(':')) {
        if (port_required || !rest.empty()) {
            return "must be \"host:port\" (IPv6 as \"[::1]:5280\")";
        }
        host = host_part;
        port.reset();
        return {};
    }
    // from_chars takes no sign or space, so all that remains to check is that
    // every character was a digit and the value is in range.
    const auto digits = rest.substr(1);
    const auto* end = digits.data() + digits.size();
    std::uint32_t value = 0;
    const auto [stop, ec] = std::from_chars(digits.data(), end, value);
    if (digits.empty() || ec != std::errc{} || stop != end || value < port_min ||
        value > kPortMax) {
        return "port must be an integer in [" + std::to_string(port_min) + ", " +
               std::to_string(kPortMax) + "]";
    }
    host = host_part;
    port = value;
    return {};
}

std::optional<std::string> parse_origin(std::string_view text) {
    if (text == "*") {
        return std::string(text);
    }
    const auto sep = text.find("://");
    if (sep == std::string_view::npos || sep == 0 || !is_alpha(text[0])) {
        return std::nullopt;
    }
    const auto scheme = text.substr(0, sep);
    if (!std::all_of(scheme.begin(), scheme.end(), [](char ch) {
            return is_alpha(ch) || is_digit(ch) || ch == '+' || ch == '-' || ch == '.';
        })) {
        return std::nullopt;
    }
    std::string host;
    std::optional<std::uint32_t> port;
    if (!parse_host_port(text.substr(sep + 3), false, 1, host, port).empty()) {
        return std::nullopt;
    }
    return util::ascii::to_lower(text);
}

} // namespace boshd::svc
