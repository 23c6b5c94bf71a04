// Settings of the HTTP front end, filled from the [http] table of the
// configuration file (svc/config.h) or directly by tests.
#pragma once

#include "util/ip_address.h"
#include "util/time.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace boshd::net {

struct HttpConfig {
    std::string listen_host = "127.0.0.1"; // from `listen = "host:port"`; IPv6 as "[::1]:5280"
    std::uint16_t listen_port =
        5280; // the conventional xmpp-bosh port (P124-04); 0 picks a free port (tests)
    std::string path = "/http-bind";
    // HTTPS (net/tls_server.h): PEM files, both set or neither. Empty: plain HTTP.
    std::string tls_cert;
    std::string tls_key;
    // Connections at once, in all (0: net::default_max_connections()) and
    // from one client address (net/connection_gate.h).
    std::size_t max_connections = 0;
    std::size_t max_connections_per_ip = 256;
    std::size_t max_body_size = 64 * 1024;
    // The request line and the header block, each (net/http_framing.h).
    std::size_t max_header_size = 8 * 1024;
    // BOSH replies of at least this many bytes are compressed when the
    // request's Accept-Encoding allows gzip or deflate (C124-5-07). 0, the
    // default: replies are never compressed, because over TLS a compressed
    // body that mixes attacker-sent stanzas with private ones leaks the
    // latter through its length (BREACH). Request decoding (C124-7.2-13,
    // C124-7.2-14) does not depend on it.
    std::size_t compress_min_size = 0;
    // Idle keep-alive connections and slow request reads are closed after
    // this; it never cuts a held request (evhttp stops reading while holding).
    util::Seconds idle_timeout{60};
    // A request head must be complete within this of its first byte, and a
    // body within this of the end of its head (net/head_guard.h).
    util::Seconds header_timeout{10};
    // Origins allowed by CORS; "*" allows any. Empty: no CORS headers at all.
    std::vector<std::string> cors_origins = {"*"};
    // Peers whose Forwarded / X-Forwarded-For headers name the client
    // (net/client_address.h). Empty: every peer is the client.
    std::vector<util::Cidr> trusted_proxies;

    bool operator==(const HttpConfig&) const = default;
};

} // namespace boshd::net
