// util::IpAddress, Endpoint and Cidr. The parser and the printer are the
// core's own (no socket library there), so they are checked against glibc's
// inet_pton/inet_ntop on every form listed and on many generated addresses.
#include "util/ip_address.h"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <cstdint>
#include <cstdio>
#include <doctest/doctest.h>
#include <random>
#include <string>
#include <vector>

using namespace boshd::util;

namespace {

// What glibc makes of |text| as IPv4 (only dotted quads) or IPv6.
std::optional<IpAddress> libc_parse(const std::string& text) {
    std::array<std::uint8_t, 16> b{};
    if (text.find(':') == std::string::npos) {
        if (inet_pton(AF_INET, text.c_str(), b.data()) == 1) {
            return IpAddress::v4({b[0], b[1], b[2], b[3]});
        }
        return std::nullopt;
    }
    if (inet_pton(AF_INET6, text.c_str(), b.data()) == 1) {
        return IpAddress::v6(b);
    }
    return std::nullopt;
}

std::string libc_print(const IpAddress& a) {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(a.is_v4() ? AF_INET : AF_INET6, a.bytes().data(), buf, sizeof buf);
    return buf;
}

IpAddress ip(const char* text) {
    auto a = IpAddress::parse(text);
    INFO("address: ", text);
    REQUIRE(a);
    return *a;
}

} // namespace

TEST_SUITE("util/ip_address") {
    TEST_CASE("IPv4: dotted quads only, as inet_pton reads them") {
        for (const char* text :
             {"0.0.0.0", "127.0.0.1", "255.255.255.255", "192.0.2.1", "10.20.30.40", "1.2.3.4"}) {
            INFO(text);
            const auto a = IpAddress::parse(text);
            REQUIRE(a);
            CHECK(a->is_v4());
            CHECK(a == libc_parse(text));
            CHECK(a->to_string() == text);
        }
        for (const char* text :
             {"",          "1",         "1.2.3",      "1.2.3.4.5", "256.1.1.1",
              "1.2.3.256", "01.2.3.4",  "1.2.3.04",   "1..2.3",    ".1.2.3",
              "1.2.3.",    "1.2.3.4 ",  " 1.2.3.4",   "a.b.c.d",   "1.2.3.-4",
              "1.2.3.4/8", "0x1.2.3.4", "1.2.3.1000", "1,2,3,4",   "localhost"}) {
            INFO(text);
            CHECK_FALSE(IpAddress::parse(text));
            CHECK_FALSE(libc_parse(text));
        }
    }

    TEST_CASE("IPv6: RFC 4291 §2.2 forms, as inet_pton reads them") {
        for (const char* text : {"::",
                                 "::1",
                                 "1::",
                                 "2001:db8::1",
                                 "2001:DB8::1",
                                 "2001:0db8:0000:0000:0000:0000:0000:0001",
                                 "fe80::1:2:3:4",
                                 "1:2:3:4:5:6:7:8",
                                 "1:2:3:4:5:6:7::",
                                 "::2:3:4:5:6:7:8",
                                 "1::8",
                                 "1:0:0:0:0:0:0:8",
                                 "::ffff:192.0.2.1",
                                 "::192.0.2.1",
                                 "64:ff9b::1.2.3.4",
                                 "1:2:3:4:5:6:1.2.3.4",
                                 "::ffff:0:0",
                                 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                                 "0:0:0:0:0:0:0:0",
                                 "1:2:3:4::5:6:7"}) {
            INFO(text);
            const auto a = IpAddress::parse(text);
            REQUIRE(a);
            CHECK_FALSE(a->is_v4());
            CHECK(a == libc_parse(text));
        }
        for (const char* text : {":",
                                 ":::",
                                 "1:::2",
                                 "1::2::3",
                                 ":1::2",
                                 "1::2:",
                                 "1:2:3:4:5:6:7",
                                 "1:2:3:4:5:6:7:8:9",
                                 "1::2:3:4:5:6:7:8",
                                 "12345::1",
                                 "g::1",
                                 "1:2:3:4:5:6:7:1.2.3.4",
                                 "::1.2.3",
                                 "::1.2.3.4:5",
                                 "::01.2.3.4",
                                 "1.2.3.4::",
                                 "[::1]",
                                 "::1%eth0",
                                 "::1 ",
                                 " ::1",
                                 "1:2:3:4:5:6:7:8:",
                                 ":1:2:3:4:5:6:7:8",
                                 "::ffff:256.1.1.1",
                                 "::-1",
                                 "1:2:3:4:5:6:7:8::"}) {
            INFO(text);
            CHECK_FALSE(IpAddress::parse(text));
            CHECK_FALSE(libc_parse(text));
        }
    }

    TEST_CASE("RFC 5952 text: lower case, the longest zero run as ::, the first on a tie") {
        CHECK(ip("2001:DB8:0:0:0:0:0:1").to_string() == "2001:db8::1");
        CHECK(ip("2001:db8:0:0:1:0:0:1").to_string() == "2001:db8::1:0:0:1");
        CHECK(ip("2001:db8:0:1:0:0:0:1").to_string() == "2001:db8:0:1::1");
        CHECK(ip("2001:db8:1:1:1:1:0:1").to_string() == "2001:db8:1:1:1:1:0:1"); // one zero group
        CHECK(ip("0:0:0:0:0:0:0:0").to_string() == "::");
        CHECK(ip("0:0:0:0:0:0:0:1").to_string() == "::1");
        CHECK(ip("1:0:0:0:0:0:0:0").to_string() == "1::");
        CHECK(ip("::ffff:c000:201").to_string() == "::ffff:192.0.2.1");
        CHECK(ip("0001:00a0:0b00:c000::").to_string() == "1:a0:b00:c000::");
    }

    TEST_CASE("parse and print agree with glibc on generated addresses") {
        std::mt19937_64 gen(8);
        // Zero groups are likely, so that every shape of "::" comes up.
        std::uniform_int_distribution<int> pick(0, 5);
        std::uniform_int_distribution<unsigned> word(0, 0xffff);
        for (int n = 0; n < 20000; ++n) {
            std::array<std::uint8_t, 16> b{};
            for (int g = 0; g < 8; ++g) {
                const unsigned w =
                    pick(gen) < 3 ? 0u : (pick(gen) == 0 ? word(gen) & 0xf : word(gen));
                b[2 * g] = static_cast<std::uint8_t>(w >> 8);
                b[2 * g + 1] = static_cast<std::uint8_t>(w & 0xff);
            }
            const IpAddress a = IpAddress::v6(b);
            const std::string text = a.to_string();
            INFO(text);
            CHECK(IpAddress::parse(text) == a);
            CHECK(libc_parse(text) == a);
            // glibc prints ::a.b.c.d for the deprecated IPv4-compatible
            // addresses (RFC 5952 §5 does not); compare the rest.
            const bool compatible =
                std::all_of(b.begin(), b.begin() + 12, [](auto x) { return x == 0; }) &&
                (b[12] | b[13]) != 0;
            if (!compatible) {
                CHECK(text == libc_print(a));
            }
            // Every uncompressed spelling reads back too.
            std::string full;
            for (int g = 0; g < 8; ++g) {
                char part[8];
                std::snprintf(part, sizeof part, g ? ":%x" : "%x", b[2 * g] << 8 | b[2 * g + 1]);
                full += part;
            }
            CHECK(IpAddress::parse(full) == a);
        }
        for (int n = 0; n < 5000; ++n) {
            const auto v = gen();
            const IpAddress a = IpAddress::v4(
                {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8),
                 static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 24)});
            CHECK(a.to_string() == libc_print(a));
            CHECK(IpAddress::parse(a.to_string()) == a);
        }
    }

    TEST_CASE("mapped and unmapped") {
        CHECK(ip("::ffff:192.0.2.1").unmapped() == ip("192.0.2.1"));
        CHECK(ip("192.0.2.1").mapped() == ip("::ffff:192.0.2.1"));
        CHECK(ip("::192.0.2.1").unmapped() == ip("::192.0.2.1")); // not mapped
        CHECK(ip("2001:db8::1").mapped() == ip("2001:db8::1"));
        CHECK(ip("192.0.2.1").unmapped() == ip("192.0.2.1"));
    }

    TEST_CASE("masked keeps the prefix bits and clears the rest") {
        CHECK(ip("192.0.2.255").masked(24) == ip("192.0.2.0"));
        CHECK(ip("192.0.2.255").masked(25) == ip("192.0.2.128"));
        CHECK(ip("192.0.2.255").masked(0) == ip("0.0.0.0"));
        CHECK(ip("192.0.2.255").masked(32) == ip("192.0.2.255"));
        CHECK(ip("192.0.2.255").masked(99) == ip("192.0.2.255"));
        CHECK(ip("2001:db8:1:2:3:4:5:6").masked(64) == ip("2001:db8:1:2::"));
        CHECK(ip("2001:db8:1:ffff::").masked(57) == ip("2001:db8:1:ff80::"));
        CHECK(ip("2001:db8::1").masked(128) == ip("2001:db8::1"));
    }

    TEST_CASE("addresses of different families never compare equal") {
        CHECK(ip("0.0.0.0") != ip("::"));
        CHECK(ip("192.0.2.1") != ip("::ffff:192.0.2.1"));
        CHECK(IpAddressHash{}(ip("0.0.0.0")) != IpAddressHash{}(ip("::")));
        CHECK(IpAddress{} == ip("0.0.0.0"));
    }

    TEST_CASE("endpoints print with the IPv6 address in brackets") {
        CHECK(Endpoint{ip("192.0.2.1"), 80}.to_string() == "192.0.2.1:80");
        CHECK(Endpoint{ip("2001:db8::1"), 443}.to_string() == "[2001:db8::1]:443");
        CHECK(Endpoint{}.to_string() == "0.0.0.0:0");
    }
}

TEST_SUITE("util/cidr") {
    TEST_CASE("networks and bare addresses") {
        const auto v4 = Cidr::parse("10.0.0.0/8");
        REQUIRE(v4);
        CHECK(v4->prefix() == 8);
        CHECK(v4->to_string() == "10.0.0.0/8");
        const auto host4 = Cidr::parse("127.0.0.1");
        REQUIRE(host4);
        CHECK(host4->prefix() == 32);
        const auto host6 = Cidr::parse("::1");
        REQUIRE(host6);
        CHECK(host6->prefix() == 128);
        CHECK(host6->to_string() == "::1/128");
        const auto all = Cidr::parse("::/0");
        REQUIRE(all);
        CHECK(all->prefix() == 0);
        REQUIRE(Cidr::parse("0.0.0.0/0"));
        REQUIRE(Cidr::parse("2001:db8::/32"));
    }

    TEST_CASE("bad networks name what is wrong") {
        for (const char* text : {"", "/8", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/-1",
                                 "10.0.0.0/08", "10.0.0.0/8/8", "10.0.0.0/ 8", "10.0.0/8",
                                 "example.org/8", "[::1]/128", "10.0.0.0/8 ", "10.0.0.0/x"}) {
            INFO(text);
            CHECK_FALSE(Cidr::parse(text));
        }
        const auto host_bits = Cidr::parse("10.1.2.3/8");
        REQUIRE_FALSE(host_bits);
        CHECK(host_bits.error().find("10.0.0.0/8") != std::string::npos);
        const auto not_address = Cidr::parse("proxy.example/32");
        REQUIRE_FALSE(not_address);
        CHECK(not_address.error().find("not an IPv4 or IPv6 address") != std::string::npos);
        const auto long_prefix = Cidr::parse("::1/200");
        REQUIRE_FALSE(long_prefix);
        CHECK(long_prefix.error().find("0 to 128") != std::string::npos);
    }

    TEST_CASE("contains: every address of the prefix, nothing outside it") {
        const auto net = Cidr::parse("192.0.2.128/25").value();
        CHECK(net.contains(ip("192.0.2.128")));
        CHECK(net.contains(ip("192.0.2.255")));
        CHECK_FALSE(net.contains(ip("192.0.2.127")));
        CHECK_FALSE(net.contains(ip("192.0.3.128")));
        const auto v6 = Cidr::parse("2001:db8:1::/48").value();
        CHECK(v6.contains(ip("2001:db8:1::1")));
        CHECK(v6.contains(ip("2001:db8:1:ffff:ffff:ffff:ffff:ffff")));
        CHECK_FALSE(v6.contains(ip("2001:db8:2::")));
        const auto host = Cidr::parse("127.0.0.1").value();
        CHECK(host.contains(ip("127.0.0.1")));
        CHECK_FALSE(host.contains(ip("127.0.0.2")));
        CHECK(Cidr::parse("0.0.0.0/0")->contains(ip("203.0.113.9")));
        CHECK_FALSE(Cidr::parse("0.0.0.0/0")->contains(ip("2001:db8::1")));
        CHECK(Cidr::parse("::/0")->contains(ip("2001:db8::1")));
    }

    TEST_CASE("every prefix length splits the address space where it says") {
        const IpAddress a = ip("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff");
        for (unsigned p = 0; p <= 128; ++p) {
            INFO("prefix ", p);
            const Cidr net(a.masked(p), p);
            CHECK(net.contains(a));
            if (p > 0) {
                // Flip bit p-1 (the last bit inside the prefix): outside.
                auto b = std::array<std::uint8_t, 16>{};
                std::copy(a.bytes().begin(), a.bytes().end(), b.begin());
                b[(p - 1) / 8] ^= static_cast<std::uint8_t>(0x80 >> ((p - 1) % 8));
                CHECK_FALSE(net.contains(IpAddress::v6(b)));
            }
            if (p < 128) {
                // Flip bit p (the first bit past it): still inside.
                auto b = std::array<std::uint8_t, 16>{};
                std::copy(a.bytes().begin(), a.bytes().end(), b.begin());
                b[p / 8] ^= static_cast<std::uint8_t>(0x80 >> (p % 8));
                CHECK(net.contains(IpAddress::v6(b)));
            }
        }
        const IpAddress v4 = ip("203.0.113.77");
        for (unsigned p = 0; p <= 32; ++p) {
            INFO("prefix ", p);
            const Cidr net(v4.masked(p), p);
            CHECK(net.contains(v4));
            if (p > 0) {
                auto b = std::array<std::uint8_t, 4>{};
                std::copy(v4.bytes().begin(), v4.bytes().end(), b.begin());
                b[(p - 1) / 8] ^= static_cast<std::uint8_t>(0x80 >> ((p - 1) % 8));
                CHECK_FALSE(net.contains(IpAddress::v4(b)));
            }
        }
    }

    TEST_CASE("IPv4-mapped addresses and networks count as IPv4") {
        const auto net = Cidr::parse("192.0.2.0/24").value();
        CHECK(net.contains(ip("::ffff:192.0.2.9")));
        const auto mapped = Cidr::parse("::ffff:192.0.2.0/120");
        REQUIRE(mapped);
        CHECK(mapped->base() == ip("192.0.2.0"));
        CHECK(mapped->prefix() == 24);
        CHECK(mapped->contains(ip("192.0.2.9")));
        CHECK_FALSE(Cidr::parse("::/0")->contains(ip("192.0.2.9")));
    }
}

TEST_CASE("to_hex_groups: as to_string, but an IPv4-mapped address in hex groups") {
    CHECK(IpAddress::parse("::ffff:192.0.2.1")->to_hex_groups() == "::ffff:c000:201");
    CHECK(IpAddress::parse("::ffff:0.0.0.0")->to_hex_groups() == "::ffff:0:0");
    CHECK(IpAddress::parse("2001:db8::1")->to_hex_groups() == "2001:db8::1");
    CHECK(IpAddress::parse("192.0.2.1")->to_hex_groups() == "192.0.2.1");
}
