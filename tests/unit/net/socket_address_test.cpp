#include "net/socket_address.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>

using boshd::net::to_endpoint;
using boshd::net::to_sockaddr;
using boshd::util::Endpoint;
using boshd::util::IpAddress;

namespace {

Endpoint endpoint(const char* address, std::uint16_t port) {
    return {*IpAddress::parse(address), port};
}

} // namespace

TEST_CASE("socket address: an IPv4 endpoint for connect(), and back") {
    sockaddr_storage ss{};
    REQUIRE(to_sockaddr(endpoint("127.0.0.2", 5269), ss) == sizeof(sockaddr_in));
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    CHECK(in->sin_family == AF_INET);
    CHECK(ntohs(in->sin_port) == 5269);
    CHECK(in->sin_addr.s_addr == inet_addr("127.0.0.2"));
    CHECK(to_endpoint(reinterpret_cast<const sockaddr*>(&ss)) == endpoint("127.0.0.2", 5269));
}

TEST_CASE("socket address: an IPv6 endpoint for connect(), and back") {
    sockaddr_storage ss{};
    REQUIRE(to_sockaddr(endpoint("2001:db8::7", 5222), ss) == sizeof(sockaddr_in6));
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    CHECK(in6->sin6_family == AF_INET6);
    CHECK(ntohs(in6->sin6_port) == 5222);
    in6_addr expected{};
    REQUIRE(inet_pton(AF_INET6, "2001:db8::7", &expected) == 1);
    CHECK(IN6_ARE_ADDR_EQUAL(&in6->sin6_addr, &expected));
    CHECK(to_endpoint(reinterpret_cast<const sockaddr*>(&ss)) == endpoint("2001:db8::7", 5222));
}

TEST_CASE("socket address: an IPv4-mapped peer reads as the IPv4 address") {
    sockaddr_storage ss{};
    to_sockaddr(endpoint("::ffff:192.0.2.1", 80), ss);
    CHECK(to_endpoint(reinterpret_cast<const sockaddr*>(&ss)) == endpoint("192.0.2.1", 80));
}
