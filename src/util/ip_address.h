// IP addresses as values: an IPv4 or IPv6 address, an address with a port
// (Endpoint), and a network (Cidr). The core keys its per-client limits by
// them and the front end matches proxies against them (README: "The client
// address behind a proxy"), so they are parsed and printed here, without the
// socket library the core may not include (ARCHITECTURE.md §1).
#pragma once

#include "util/result.h"

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace boshd::util {

class IpAddress {
public:
    enum class Family : std::uint8_t { V4, V6 };

    // 0.0.0.0
    IpAddress() = default;
    static IpAddress v4(std::array<std::uint8_t, 4> bytes);
    static IpAddress v6(std::array<std::uint8_t, 16> bytes);

    // A dotted quad (four decimal parts 0-255, no leading zeros, which some
    // parsers read as octal) or an IPv6 address as RFC 4291 §2.2 writes it
    // (hex groups, one "::" at most, an optional dotted-quad tail). No
    // brackets, no zone ("%eth0"), no surrounding spaces.
    static std::optional<IpAddress> parse(std::string_view text);

    Family family() const { return family_; }
    bool is_v4() const { return family_ == Family::V4; }
    // The address in network order: 4 bytes for IPv4, 16 for IPv6.
    std::span<const std::uint8_t> bytes() const {
        return {bytes_.data(), is_v4() ? std::size_t{4} : std::size_t{16}};
    }
    // 32 or 128.
    unsigned bits() const { return is_v4() ? 32u : 128u; }

    // An IPv4-mapped IPv6 address (::ffff:a.b.c.d, what a dual-stack socket
    // reports for an IPv4 peer) as the IPv4 address it is; any other
    // address unchanged.
    IpAddress unmapped() const;
    // An IPv4 address as ::ffff:a.b.c.d; an IPv6 address unchanged.
    IpAddress mapped() const;
    // The first |prefix| bits of the address (at most bits()), the rest zero.
    IpAddress masked(unsigned prefix) const;

    // Dotted quad, or RFC 5952 for IPv6 (lower case, "::" for the longest
    // run of two or more zero groups, the first on a tie); an IPv4-mapped
    // address as ::ffff:a.b.c.d.
    std::string to_string() const;
    // The same, but an IPv4-mapped address in hex groups too
    // (::ffff:c000:201): the PROXY protocol's v1 form.
    std::string to_hex_groups() const;

    auto operator<=>(const IpAddress&) const = default;
    bool operator==(const IpAddress&) const = default;

private:
    Family family_ = Family::V4;
    std::array<std::uint8_t, 16> bytes_{}; // IPv4: the first 4, the rest zero
};

struct IpAddressHash {
    std::size_t operator()(const IpAddress& a) const noexcept;
};

// What a per-client limit counts |client| under: its IPv4 address (an
// IPv4-mapped one unmapped), or the /64 of an IPv6 one: an IPv6 subscriber
// gets a /64 (RFC 6177), and its host picks any address in it. The session limits
// (bosh/client_limits.h) and the connection limits (net/connection_gate.h) both count by it.
IpAddress client_group(const IpAddress& client);

// An address and a port (0: not known).
struct Endpoint {
    IpAddress address;
    std::uint16_t port = 0;

    // "192.0.2.1:80", "[2001:db8::1]:80".
    std::string to_string() const;
    bool operator==(const Endpoint&) const = default;
};

// A network: an address and a prefix length.
class Cidr {
public:
    Cidr() = default;
    // |base| must have no bit set past |prefix| (parse() checks it).
    Cidr(IpAddress base, unsigned prefix) : base_(base), prefix_(prefix) {}

    // "192.0.2.0/24", "2001:db8::/32", or a bare address (/32, /128). The
    // reason on failure is a sentence for the configuration's error message.
    static Result<Cidr, std::string> parse(std::string_view text);

    // Whether |address| is in the network. IPv4-mapped IPv6 addresses count
    // as the IPv4 address they carry, in either place.
    bool contains(const IpAddress& address) const;

    const IpAddress& base() const { return base_; }
    unsigned prefix() const { return prefix_; }
    std::string to_string() const;
    bool operator==(const Cidr&) const = default;

private:
    IpAddress base_;
    unsigned prefix_ = 0;
};

} // namespace boshd::util
