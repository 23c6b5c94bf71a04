// Who the client of a request is when boshd sits behind proxies (README:
// "The client address behind a proxy"): the TCP peer, unless that peer is a
// trusted proxy (`http.trusted_proxies`), in which case the right-most hop
// its headers name that is not itself a trusted proxy. RFC 7239 `Forwarded`
// is read when present, `X-Forwarded-For` otherwise. Pure functions over
// header values, no libevent, so that every case is a unit test.
#pragma once

#include "util/ip_address.h"

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace boshd::net {

// One hop a proxy header names, left (the original client) to right (the
// proxy nearest to boshd).
struct ForwardedHop {
    enum class Kind {
        Address,   // an IP address, with the port when one was given (else 0)
        Opaque,    // "unknown", an obfuscated identifier ("_hidden"), or no for=
        Malformed, // text that breaks the header's syntax
    };
    Kind kind = Kind::Opaque;
    util::Endpoint endpoint;  // Address
    std::string_view problem; // Malformed: why (a static string)
};

// The `for=` of every element of the `Forwarded` header lines |lines|, in
// order (RFC 7239 §4, §6). Each line is read on its own, and each element of
// a line as far as the line's quoting can be followed: text a client put in
// its own header spoils only the hops it wrote, never those a proxy appended
// after it. Values are quoted strings or, leniently, unquoted runs.
std::vector<ForwardedHop> parse_forwarded(std::span<const std::string_view> lines);

// The addresses of the `X-Forwarded-For` header lines |lines|, in order:
// comma-separated IPv4 or IPv6 addresses, the latter optionally in brackets;
// a port after either is accepted and ignored (it is not part of the de facto
// format). "unknown" is an opaque hop; empty elements are skipped.
std::vector<ForwardedHop> parse_x_forwarded_for(std::span<const std::string_view> lines);

struct ClientAddress {
    util::Endpoint endpoint;
    // The address came from a proxy's header, not from the TCP peer.
    bool forwarded = false;
    // A trusted proxy's header broke its syntax at a hop that had to be read:
    // the endpoint is then the peer, and this says what was wrong (the
    // caller logs it).
    std::string problem;
};

// The client of a request from TCP peer |peer|, given the values of its
// `Forwarded` and `X-Forwarded-For` header lines:
// - from a peer outside |trusted|, the peer: both headers are ignored;
// - otherwise the hops of `Forwarded` (or, when the request has none, of
//   `X-Forwarded-For`) are walked from the right; trusted addresses are
//   skipped, and the first untrusted one is the client;
// - an opaque hop ("unknown", obfuscated) stops the walk: the client is the
//   last trusted hop seen (the proxy that could not name it);
// - when every hop is trusted, the left-most one;
// - a malformed hop reached on the way: the peer, with |problem| set.
// The port is the peer's when the client is the peer, the one `Forwarded`
// gives when there is one, else 0.
ClientAddress resolve_client(const util::Endpoint& peer, std::span<const util::Cidr> trusted,
                             std::span<const std::string_view> forwarded,
                             std::span<const std::string_view> x_forwarded_for);

} // namespace boshd::net
