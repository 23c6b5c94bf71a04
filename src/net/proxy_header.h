// The HAProxy PROXY protocol header (haproxy.org's doc/proxy-protocol.txt,
// versions 1 and 2), written by boshd's own encoder: a backend link sends
// it first so that the XMPP server sees the BOSH client's address instead of
// boshd's (README: "PROXY protocol").
#pragma once

#include "bosh/route.h"
#include "util/ip_address.h"

#include <string>

namespace boshd::net {

// The header for a TCP connection from |source| (the client) to
// |destination| (boshd's end of the backend connection, which the server
// sees as its peer): §2.1 "PROXY TCP4|TCP6 src dst sport dport\r\n" for V1,
// §2.2 the 16-byte preamble (command PROXY, TCP over IPv4 or IPv6) and the
// address block for V2. The two addresses must share a family; when they do
// not, both are written as IPv6, the IPv4 one mapped (::ffff:a.b.c.d).
// Empty for ProxyProtocol::Off.
std::string proxy_header(bosh::ProxyProtocol version, const util::Endpoint& source,
                         const util::Endpoint& destination);

} // namespace boshd::net
