// net::proxy_header, byte for byte against haproxy.org's
// doc/proxy-protocol.txt (§2.1 the text line and its example, §2.2 the
// binary header's layout).
#include "net/proxy_header.h"

#include <doctest/doctest.h>
#include <string>

using namespace boshd;
using bosh::ProxyProtocol;

namespace {

util::Endpoint ep(const char* address, std::uint16_t port) {
    return {util::IpAddress::parse(address).value(), port};
}

std::string bytes(std::initializer_list<int> list) {
    std::string out;
    for (int b : list) {
        out += static_cast<char>(b);
    }
    return out;
}

const std::string kSignature =
    bytes({0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A});

} // namespace

TEST_SUITE("net/proxy_header") {
    TEST_CASE("v1 TCP4: the specification's example, exactly") {
        CHECK(net::proxy_header(ProxyProtocol::V1, ep("192.168.0.1", 56324),
                                ep("192.168.0.11", 443)) ==
              "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n");
    }

    TEST_CASE("v1: the longest lines are the specification's maxima") {
        const auto v4 = net::proxy_header(ProxyProtocol::V1, ep("255.255.255.255", 65535),
                                          ep("255.255.255.255", 65535));
        CHECK(v4 == "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n");
        CHECK(v4.size() == 56);
        const auto v6 = net::proxy_header(ProxyProtocol::V1,
                                          ep("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535),
                                          ep("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535));
        CHECK(v6.size() == 104);
    }

    TEST_CASE("v1 TCP6, port 0 when a proxy gave none, no leading zeros") {
        CHECK(net::proxy_header(ProxyProtocol::V1, ep("2001:db8::5", 0), ep("::1", 40123)) ==
              "PROXY TCP6 2001:db8::5 ::1 0 40123\r\n");
    }

    TEST_CASE("v1 with mixed families: both IPv6, the IPv4 one mapped, in hex groups") {
        CHECK(net::proxy_header(ProxyProtocol::V1, ep("2001:db8::5", 1), ep("127.0.0.1", 2)) ==
              "PROXY TCP6 2001:db8::5 ::ffff:7f00:1 1 2\r\n");
        CHECK(net::proxy_header(ProxyProtocol::V1, ep("192.0.2.1", 1), ep("::1", 2)) ==
              "PROXY TCP6 ::ffff:c000:201 ::1 1 2\r\n");
        // An IPv4-mapped source is the IPv4 client it names.
        CHECK(net::proxy_header(ProxyProtocol::V1, ep("::ffff:192.0.2.1", 1), ep("10.0.0.1", 2)) ==
              "PROXY TCP4 192.0.2.1 10.0.0.1 1 2\r\n");
    }

    TEST_CASE("v2 TCP over IPv4: signature, 0x21, 0x11, length 12, addresses, ports") {
        const auto h =
            net::proxy_header(ProxyProtocol::V2, ep("192.168.0.1", 56324), ep("192.168.0.11", 443));
        const std::string expected =
            kSignature + bytes({0x21, 0x11, 0x00, 0x0C,          // PROXY, TCP/IPv4, 12 bytes
                                192, 168, 0, 1, 192, 168, 0, 11, // source, destination
                                0xDC, 0x04,                      // 56324
                                0x01, 0xBB});                    // 443
        CHECK(h == expected);
        CHECK(h.size() == 16 + 12);
    }

    TEST_CASE("v2 TCP over IPv6: 0x21, 0x21, length 36") {
        const auto h =
            net::proxy_header(ProxyProtocol::V2, ep("2001:db8::5", 4711), ep("::1", 5222));
        const std::string expected =
            kSignature +
            bytes({0x21, 0x21, 0x00, 0x24, // PROXY, TCP/IPv6, 36 bytes
                   0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,    0x05, 0,
                   0,    0,    0,    0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x12, 0x67, // 4711
                   0x14, 0x66});                                                           // 5222
        CHECK(h == expected);
        CHECK(h.size() == 16 + 36);
    }

    TEST_CASE("v2 with mixed families: IPv6, the IPv4 address mapped") {
        const auto h = net::proxy_header(ProxyProtocol::V2, ep("192.0.2.1", 0), ep("::1", 1));
        REQUIRE(h.size() == 52);
        CHECK(h[13] == 0x21);
        CHECK(h.substr(16, 16) == bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1}));
    }

    TEST_CASE("off: nothing") {
        CHECK(net::proxy_header(ProxyProtocol::Off, ep("192.0.2.1", 1), ep("10.0.0.1", 2)).empty());
    }
}
