// Socket addresses as util::Endpoint values, for what the core and the logs
// are told (the core never sees a sockaddr, ARCHITECTURE.md §1).
#pragma once

#include "util/ip_address.h"

#include <optional>
#include <sys/socket.h>

namespace boshd::net {

// |sa| as an endpoint; an IPv4-mapped IPv6 address (a dual-stack socket's
// IPv4 peer) as the IPv4 address. nullopt for a family other than IPv4/IPv6.
std::optional<util::Endpoint> to_endpoint(const sockaddr* sa);

// |e| as a socket address for connect(), in |out|; returns its length.
socklen_t to_sockaddr(const util::Endpoint& e, sockaddr_storage& out);

// The local and the remote address of connected socket |fd|.
std::optional<util::Endpoint> local_endpoint(int fd);
std::optional<util::Endpoint> peer_endpoint(int fd);

} // namespace boshd::net
