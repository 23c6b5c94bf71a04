// The HTTP front end's listening socket, bound here rather than by evhttp so
// that a failure says why: the address is in use, the port needs privileges,
// the address is not on this machine or does not resolve.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace boshd::net {

class ListenError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A bound, listening, non-blocking, close-on-exec TCP socket on host:port
// (port 0: the kernel picks one). Throws ListenError naming the address and
// the reason.
int open_listener(const std::string& host, std::uint16_t port);

// The local port of socket |fd| (0 when it has none).
std::uint16_t local_port(int fd);

// True when socket |fd| is bound to a loopback address (127.0.0.0/8, ::1,
// or ::ffff:127.0.0.0/104), where only this machine can reach it.
bool on_loopback(int fd);

} // namespace boshd::net
