#include "net/listener.h"

#include <cerrno>
#include <cstring>
#include <memory>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace boshd::net {

namespace {

// strerror(errno), with what an operator does about the usual ones.
std::string reason(int err) {
    switch (err) {
    case EADDRINUSE:
        return "address already in use (another process listens there)";
    case EACCES:
        return "permission denied (ports below 1024 need CAP_NET_BIND_SERVICE)";
    case EADDRNOTAVAIL:
        return "no such address on this machine";
    default:
        return std::strerror(err);
    }
}

} // namespace

int open_listener(const std::string& host, std::uint16_t port) {
    const std::string where = "cannot listen on " + host + ":" + std::to_string(port);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    if (const int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
        rc != 0) {
        throw ListenError(where + ": no such address (" + gai_strerror(rc) + ")");
    }
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(found, &freeaddrinfo);
    const addrinfo& a = *addresses; // the first, as evhttp did
    const int fd = socket(a.ai_family, a.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a.ai_protocol);
    if (fd < 0) {
        throw ListenError(where + ": " + reason(errno));
    }
    const int one = 1;
    // A restart must not wait for the old connections' TIME_WAIT.
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, a.ai_addr, a.ai_addrlen) != 0 || ::listen(fd, SOMAXCONN) != 0) {
        const int err = errno;
        ::close(fd);
        throw ListenError(where + ": " + reason(err));
    }
    return fd;
}

std::uint16_t local_port(int fd) {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        return 0;
    }
    if (addr.ss_family == AF_INET6) {
        return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
    }
    if (addr.ss_family == AF_INET) {
        return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    }
    return 0;
}

bool on_loopback(int fd) {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        return false;
    }
    if (addr.ss_family == AF_INET) {
        return (ntohl(reinterpret_cast<sockaddr_in*>(&addr)->sin_addr.s_addr) >> 24) == 127;
    }
    if (addr.ss_family == AF_INET6) {
        const in6_addr& a = reinterpret_cast<sockaddr_in6*>(&addr)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(&a) || (IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127);
    }
    return false;
}

} // namespace boshd::net
