// SRV records read out of DNS replies, including replies a hostile or broken
// DNS server could send: each malformed one is refused whole, never read past.
#include "net/dns_message.h"

#include <cstdint>
#include <doctest/doctest.h>
#include <string>
#include <vector>

using boshd::net::parse_srv_reply;
using boshd::net::SrvAnswer;
using boshd::net::SrvRecord;

namespace {

using Bytes = std::vector<unsigned char>;

void put16(Bytes& b, unsigned v) {
    b.push_back(static_cast<unsigned char>(v >> 8));
    b.push_back(static_cast<unsigned char>(v & 0xff));
}
void put32(Bytes& b, std::uint32_t v) {
    put16(b, v >> 16);
    put16(b, v & 0xffff);
}
void put_name(Bytes& b, const std::string& name) {
    std::size_t start = 0;
    while (start < name.size()) {
        auto dot = name.find('.', start);
        if (dot == std::string::npos) {
            dot = name.size();
        }
        b.push_back(static_cast<unsigned char>(dot - start));
        b.insert(b.end(), name.begin() + static_cast<long>(start),
                 name.begin() + static_cast<long>(dot));
        start = dot + 1;
    }
    b.push_back(0);
}

const std::string kQname = "_xmpp-client._tcp.example.org";

// A reply header and the question (at offset 12, so 0xC00C points to it).
Bytes reply(unsigned answers) {
    Bytes b;
    put16(b, 0x1234);
    put16(b, 0x8180);
    put16(b, 1);
    put16(b, answers);
    put16(b, 0);
    put16(b, 0);
    put_name(b, kQname);
    put16(b, 33);
    put16(b, 1);
    return b;
}

Bytes srv_rdata(unsigned priority, unsigned weight, unsigned port, const std::string& target) {
    Bytes d;
    put16(d, priority);
    put16(d, weight);
    put16(d, port);
    put_name(d, target);
    return d;
}

void add_rr(Bytes& b, unsigned type, std::uint32_t ttl, const Bytes& rdata) {
    put16(b, 0xC00C); // the owner: the question's name
    put16(b, type);
    put16(b, 1);
    put32(b, ttl);
    put16(b, static_cast<unsigned>(rdata.size()));
    b.insert(b.end(), rdata.begin(), rdata.end());
}

SrvAnswer parse_ok(const Bytes& b) {
    SrvAnswer out;
    REQUIRE(parse_srv_reply(b, out));
    return out;
}

} // namespace

TEST_CASE("dns reply: SRV records in order, with the least TTL") {
    Bytes b = reply(2);
    add_rr(b, 33, 300, srv_rdata(10, 60, 5222, "xmpp1.example.org"));
    add_rr(b, 33, 120, srv_rdata(20, 0, 5223, "xmpp2.example.net"));
    const auto out = parse_ok(b);
    REQUIRE(out.records.size() == 2);
    CHECK(out.records[0] == SrvRecord{10, 60, 5222, "xmpp1.example.org"});
    CHECK(out.records[1] == SrvRecord{20, 0, 5223, "xmpp2.example.net"});
    CHECK(out.ttl == 120);
}

TEST_CASE("dns reply: the root target is \".\"") {
    Bytes b = reply(1);
    add_rr(b, 33, 60, srv_rdata(0, 0, 0, ""));
    const auto out = parse_ok(b);
    REQUIRE(out.records.size() == 1);
    CHECK(out.records[0].target == ".");
}

TEST_CASE("dns reply: a compressed target pointing back into the reply") {
    Bytes b = reply(1);
    Bytes d;
    put16(d, 1);
    put16(d, 2);
    put16(d, 5222);
    put16(d, 0xC00C + 18); // "example.org" inside the question's name
    add_rr(b, 33, 60, d);
    const auto out = parse_ok(b);
    REQUIRE(out.records.size() == 1);
    CHECK(out.records[0].target == "example.org");
}

TEST_CASE("dns reply: other types (a CNAME) are skipped; none at all is an empty answer") {
    Bytes b = reply(2);
    Bytes cname;
    put_name(cname, "alias.example.org");
    add_rr(b, 5, 10, cname);
    add_rr(b, 33, 90, srv_rdata(0, 0, 5222, "x.example.org"));
    const auto out = parse_ok(b);
    REQUIRE(out.records.size() == 1);
    CHECK(out.ttl == 90);

    const auto empty = parse_ok(reply(0));
    CHECK(empty.records.empty());
    CHECK(empty.ttl == 0);
}

TEST_CASE("dns reply: a TTL with the top bit set is read as 0 (RFC 2181 §8)") {
    Bytes b = reply(1);
    add_rr(b, 33, 0x80000000U, srv_rdata(0, 0, 5222, "x.example.org"));
    CHECK(parse_ok(b).ttl == 0);
}

TEST_CASE("dns reply: every truncation of a good reply is refused, never read past") {
    Bytes good = reply(2);
    add_rr(good, 33, 300, srv_rdata(10, 60, 5222, "xmpp1.example.org"));
    add_rr(good, 33, 120, srv_rdata(20, 0, 5223, "xmpp2.example.net"));
    for (std::size_t n = 0; n < good.size(); ++n) {
        // A copy of exactly n bytes, so that the sanitizers see any overread.
        const Bytes cut(good.begin(), good.begin() + static_cast<long>(n));
        SrvAnswer out;
        CAPTURE(n);
        CHECK_FALSE(parse_srv_reply(cut, out));
    }
}

TEST_CASE("dns reply: malformed records are refused") {
    SUBCASE("rdlength beyond the reply") {
        Bytes b = reply(1);
        add_rr(b, 33, 60, srv_rdata(0, 0, 5222, "x.example.org"));
        b[b.size() - srv_rdata(0, 0, 5222, "x.example.org").size() - 1] = 0xff;
        SrvAnswer out;
        CHECK_FALSE(parse_srv_reply(b, out));
    }
    SUBCASE("SRV rdata too short for its fields") {
        Bytes b = reply(1);
        add_rr(b, 33, 60, Bytes{0, 1, 0, 2, 0x14});
        SrvAnswer out;
        CHECK_FALSE(parse_srv_reply(b, out));
    }
    SUBCASE("a target running past its record") {
        Bytes b = reply(1);
        Bytes d = srv_rdata(0, 0, 5222, "x.example.org");
        add_rr(b, 33, 60, Bytes(d.begin(), d.begin() + 9)); // rdlength cuts the name
        put_name(b, "");                                    // yet the buffer goes on
        b.insert(b.end(), d.begin() + 9, d.end());
        SrvAnswer out;
        CHECK_FALSE(parse_srv_reply(b, out));
    }
    SUBCASE("a compression loop") {
        Bytes b = reply(1);
        Bytes d;
        put16(d, 0);
        put16(d, 0);
        put16(d, 5222);
        const auto at = b.size() + 12 + 6; // where the pointer itself will be
        put16(d, 0xC000 | static_cast<unsigned>(at));
        add_rr(b, 33, 60, d);
        SrvAnswer out;
        CHECK_FALSE(parse_srv_reply(b, out));
    }
    SUBCASE("more answers announced than present") {
        Bytes b = reply(3);
        add_rr(b, 33, 60, srv_rdata(0, 0, 5222, "x.example.org"));
        SrvAnswer out;
        CHECK_FALSE(parse_srv_reply(b, out));
    }
}
