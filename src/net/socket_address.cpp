#include "net/socket_address.h"

#include <algorithm>
#include <array>
#include <netinet/in.h>
#include <sys/socket.h>

namespace boshd::net {

std::optional<util::Endpoint> to_endpoint(const sockaddr* sa) {
    if (sa == nullptr) {
        return std::nullopt;
    }
    if (sa->sa_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
        std::array<std::uint8_t, 4> b{};
        std::copy_n(reinterpret_cast<const std::uint8_t*>(&in->sin_addr), b.size(), b.begin());
        return util::Endpoint{util::IpAddress::v4(b), ntohs(in->sin_port)};
    }
    if (sa->sa_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
        std::array<std::uint8_t, 16> b{};
        std::copy_n(reinterpret_cast<const std::uint8_t*>(&in6->sin6_addr), b.size(), b.begin());
        return util::Endpoint{util::IpAddress::v6(b).unmapped(), ntohs(in6->sin6_port)};
    }
    return std::nullopt;
}

socklen_t to_sockaddr(const util::Endpoint& e, sockaddr_storage& out) {
    out = sockaddr_storage{};
    const auto bytes = e.address.bytes();
    if (e.address.is_v4()) {
        auto* in = reinterpret_cast<sockaddr_in*>(&out);
        in->sin_family = AF_INET;
        in->sin_port = htons(e.port);
        std::copy(bytes.begin(), bytes.end(), reinterpret_cast<std::uint8_t*>(&in->sin_addr));
        return sizeof(sockaddr_in);
    }
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&out);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(e.port);
    std::copy(bytes.begin(), bytes.end(), reinterpret_cast<std::uint8_t*>(&in6->sin6_addr));
    return sizeof(sockaddr_in6);
}

std::optional<util::Endpoint> local_endpoint(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
        return std::nullopt;
    }
    return to_endpoint(reinterpret_cast<const sockaddr*>(&ss));
}

std::optional<util::Endpoint> peer_endpoint(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
        return std::nullopt;
    }
    return to_endpoint(reinterpret_cast<const sockaddr*>(&ss));
}

} // namespace boshd::net
