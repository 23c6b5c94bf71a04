#include "net/client_address.h"

#include "util/ascii.h"

#include <algorithm>
#include <charconv>
#include <optional>

namespace boshd::net {

namespace {

using Kind = ForwardedHop::Kind;

bool is_ows(char c) {
    return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_ows(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && is_ows(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

// RFC 7230 §3.2.6 tchar.
bool is_tchar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

ForwardedHop malformed(std::string_view why) {
    return {Kind::Malformed, {}, why};
}

ForwardedHop opaque() {
    return {Kind::Opaque, {}, {}};
}

// RFC 7239 §6.3: "_" followed by ALPHA / DIGIT / "." / "_" / "-".
bool is_obfuscated(std::string_view s) {
    return s.size() > 1 && s[0] == '_' && std::all_of(s.begin() + 1, s.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
           });
}

// A decimal port, 0-65535, at most 5 digits.
std::optional<std::uint16_t> parse_port(std::string_view s) {
    unsigned v = 0;
    const auto* end = s.data() + s.size();
    const auto [ptr, ec] = std::from_chars(s.data(), end, v);
    if (s.empty() || s.size() > 5 || ptr != end || ec != std::errc{} || v > 65535) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(v);
}

// RFC 7239 §6: node = nodename [ ":" node-port ]; nodename = IPv4address /
// "[" IPv6address "]" / "unknown" / obfnode; node-port = port / obfport.
ForwardedHop parse_node(std::string_view node) {
    std::string_view name = node;
    std::string_view port;
    bool has_port = false;
    if (node.starts_with('[')) {
        const auto close = node.find(']');
        if (close == std::string_view::npos) {
            return malformed("an IPv6 address lacks its closing ']'");
        }
        name = node.substr(1, close - 1);
        const auto rest = node.substr(close + 1);
        if (!rest.empty()) {
            if (rest[0] != ':') {
                return malformed("text after ']'");
            }
            port = rest.substr(1);
            has_port = true;
        }
        const auto a = util::IpAddress::parse(name);
        if (!a || a->is_v4()) {
            return malformed("not an IPv6 address in brackets");
        }
    } else if (const auto colon = node.find(':'); colon != std::string_view::npos) {
        name = node.substr(0, colon);
        port = node.substr(colon + 1);
        has_port = true;
    }
    std::uint16_t port_number = 0;
    if (has_port) {
        if (const auto p = parse_port(port)) {
            port_number = *p;
        } else if (!is_obfuscated(port)) {
            return malformed("a port that is neither a number up to 65535 nor obfuscated");
        }
    }
    if (util::ascii::iequals(name, "unknown") || is_obfuscated(name)) {
        return opaque();
    }
    const auto address = util::IpAddress::parse(name);
    if (!address) {
        return malformed("for= names no IP address, \"unknown\" or obfuscated identifier");
    }
    if (!node.starts_with('[') && !address->is_v4()) {
        return malformed("an IPv6 address outside brackets");
    }
    return {Kind::Address, util::Endpoint{*address, port_number}, {}};
}

// Reads a quoted-string at |s| (which starts with '"') into |out|, unescaping
// quoted-pairs; returns the length consumed, or nullopt when unterminated.
std::optional<std::size_t> read_quoted(std::string_view s, std::string& out) {
    for (std::size_t i = 1; i < s.size(); ++i) {
        if (s[i] == '\\') {
            if (++i == s.size()) {
                return std::nullopt;
            }
            out += s[i];
        } else if (s[i] == '"') {
            return i + 1;
        } else {
            out += s[i];
        }
    }
    return std::nullopt;
}

// One forwarded-element: pairs separated by ';'. Its for= as a hop.
ForwardedHop parse_element(std::string_view element) {
    std::optional<std::string> for_value;
    std::vector<std::string> seen; // parameter names, lower case
    std::size_t i = 0;
    while (true) {
        while (i < element.size() && is_ows(element[i])) {
            ++i;
        }
        const std::size_t name_start = i;
        while (i < element.size() && is_tchar(element[i])) {
            ++i;
        }
        const auto name = util::ascii::to_lower(element.substr(name_start, i - name_start));
        if (name.empty() || i == element.size() || element[i] != '=') {
            return malformed("a forwarded-pair is not token=value");
        }
        ++i;
        std::string value;
        if (i < element.size() && element[i] == '"') {
            const auto used = read_quoted(element.substr(i), value);
            if (!used) {
                return malformed("an unterminated quoted string");
            }
            i += *used;
        } else {
            // Lenient: RFC 7239 wants "1.2.3.4:80" and "[::1]" quoted, and
            // some proxies do not quote them.
            const std::size_t start = i;
            while (i < element.size() && element[i] != ';' && element[i] != '"' &&
                   !is_ows(element[i])) {
                ++i;
            }
            value = std::string(element.substr(start, i - start));
            if (value.empty()) {
                return malformed("a parameter without a value");
            }
        }
        if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
            return malformed("a parameter given twice in one element"); // RFC 7239 §4
        }
        seen.push_back(name);
        if (name == "for") {
            for_value = std::move(value);
        }
        while (i < element.size() && is_ows(element[i])) {
            ++i;
        }
        if (i == element.size()) {
            break;
        }
        if (element[i] != ';') {
            return malformed("text after a value");
        }
        ++i;
    }
    if (!for_value) {
        return opaque(); // for= is optional (RFC 7239 §5.2); nothing known of the client
    }
    return parse_node(*for_value);
}

// Splits one header line at the commas outside quoted strings. Returns
// false when a quoted string is left open.
bool split_elements(std::string_view line, std::vector<std::string_view>& out) {
    std::size_t start = 0;
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                quoted = false;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            out.push_back(line.substr(start, i - start));
            start = i + 1;
        }
    }
    if (quoted) {
        return false;
    }
    out.push_back(line.substr(start));
    return true;
}

ForwardedHop parse_xff_element(std::string_view e) {
    if (util::ascii::iequals(e, "unknown")) {
        return opaque();
    }
    std::string_view name = e;
    std::string_view port;
    if (e.starts_with('[')) {
        const auto close = e.find(']');
        if (close == std::string_view::npos) {
            return malformed("an IPv6 address lacks its closing ']'");
        }
        name = e.substr(1, close - 1);
        const auto rest = e.substr(close + 1);
        if (!rest.empty() && (rest[0] != ':' || !parse_port(rest.substr(1)))) {
            return malformed("text after ']' that is not a port");
        }
        const auto a = util::IpAddress::parse(name);
        if (!a || a->is_v4()) {
            return malformed("not an IPv6 address in brackets");
        }
        return {Kind::Address, util::Endpoint{*a, 0}, {}};
    }
    if (const auto a = util::IpAddress::parse(e)) {
        return {Kind::Address, util::Endpoint{*a, 0}, {}};
    }
    // An IPv4 address with a port.
    const auto colon = e.find(':');
    if (colon != std::string_view::npos && e.find(':', colon + 1) == std::string_view::npos &&
        parse_port(e.substr(colon + 1))) {
        if (const auto a = util::IpAddress::parse(e.substr(0, colon)); a && a->is_v4()) {
            return {Kind::Address, util::Endpoint{*a, 0}, {}};
        }
    }
    return malformed("an element that is not an IP address");
}

bool trusted_by(std::span<const util::Cidr> trusted, const util::IpAddress& a) {
    return std::any_of(trusted.begin(), trusted.end(),
                       [&](const util::Cidr& net) { return net.contains(a); });
}

} // namespace

std::vector<ForwardedHop> parse_forwarded(std::span<const std::string_view> lines) {
    std::vector<ForwardedHop> hops;
    std::vector<std::string_view> elements;
    for (const auto line : lines) {
        elements.clear();
        if (!split_elements(line, elements)) {
            hops.push_back(malformed("an unterminated quoted string"));
            continue;
        }
        for (const auto element : elements) {
            if (trim(element).empty()) {
                continue; // RFC 7230 §7: empty list elements are ignored
            }
            hops.push_back(parse_element(element));
        }
    }
    return hops;
}

std::vector<ForwardedHop> parse_x_forwarded_for(std::span<const std::string_view> lines) {
    std::vector<ForwardedHop> hops;
    for (auto line : lines) {
        while (true) {
            const auto comma = line.find(',');
            const auto element = trim(line.substr(0, comma));
            if (!element.empty()) {
                hops.push_back(parse_xff_element(element));
            }
            if (comma == std::string_view::npos) {
                break;
            }
            line.remove_prefix(comma + 1);
        }
    }
    return hops;
}

ClientAddress resolve_client(const util::Endpoint& peer, std::span<const util::Cidr> trusted,
                             std::span<const std::string_view> forwarded,
                             std::span<const std::string_view> x_forwarded_for) {
    ClientAddress client{peer, false, {}};
    if (!trusted_by(trusted, peer.address)) {
        return client; // anyone may send these headers; only a trusted proxy is believed
    }
    const bool use_forwarded = !forwarded.empty();
    const auto hops =
        use_forwarded ? parse_forwarded(forwarded) : parse_x_forwarded_for(x_forwarded_for);
    for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
        switch (it->kind) {
        case Kind::Malformed:
            return {peer, false,
                    std::string(use_forwarded ? "Forwarded: " : "X-Forwarded-For: ") +
                        std::string(it->problem)};
        case Kind::Opaque:
            return client; // the nearest trusted hop could not name its client
        case Kind::Address:
            // ::ffff:a.b.c.d is the IPv4 client it names, as for the peer.
            client = {util::Endpoint{it->endpoint.address.unmapped(), it->endpoint.port}, true, {}};
            if (!trusted_by(trusted, it->endpoint.address)) {
                return client;
            }
            break;
        }
    }
    return client; // every hop trusted: the left-most one (or the peer, if none)
}

} // namespace boshd::net
