// net::resolve_client and the two header parsers (README: "The client
// address behind a proxy"): RFC 7239 Forwarded, X-Forwarded-For, trusted and
// untrusted peers, opaque and malformed hops.
#include "net/client_address.h"

#include <doctest/doctest.h>
#include <string>
#include <vector>

using namespace boshd;
using net::ForwardedHop;
using Kind = ForwardedHop::Kind;

namespace {

util::IpAddress ip(const char* text) {
    return util::IpAddress::parse(text).value();
}

util::Endpoint ep(const char* text, std::uint16_t port) {
    return {ip(text), port};
}

std::vector<util::Cidr> nets(std::initializer_list<const char*> texts) {
    std::vector<util::Cidr> out;
    for (const char* t : texts) {
        out.push_back(util::Cidr::parse(t).value());
    }
    return out;
}

const util::Endpoint kProxy = ep("10.0.0.1", 41000);
const std::vector<util::Cidr> kTrusted = nets({"10.0.0.0/8", "::1"});

using Lines = std::vector<std::string_view>;

net::ClientAddress resolve(const util::Endpoint& peer, Lines forwarded, Lines xff,
                           const std::vector<util::Cidr>& trusted = kTrusted) {
    return net::resolve_client(peer, trusted, forwarded, xff);
}

std::vector<ForwardedHop> fwd(Lines lines) {
    return net::parse_forwarded(lines);
}

} // namespace

TEST_SUITE("net/client_address") {
    TEST_CASE("an untrusted peer is the client, whatever its headers say") {
        const auto peer = ep("203.0.113.5", 5000);
        for (const auto& [f, x] :
             std::vector<std::pair<Lines, Lines>>{{{}, {"198.51.100.1"}},
                                                  {{"for=198.51.100.1"}, {}},
                                                  {{"for=\"garbage"}, {"junk"}}}) {
            const auto c = resolve(peer, f, x);
            CHECK(c.endpoint == peer);
            CHECK_FALSE(c.forwarded);
            CHECK(c.problem.empty()); // not even read
        }
        // No trusted proxies at all (the default): the same.
        const auto c = resolve(kProxy, {}, {"198.51.100.1"}, {});
        CHECK(c.endpoint == kProxy);
    }

    TEST_CASE("a trusted peer without either header is the client") {
        const auto c = resolve(kProxy, {}, {});
        CHECK(c.endpoint == kProxy);
        CHECK_FALSE(c.forwarded);
        CHECK(c.problem.empty());
    }

    TEST_CASE("X-Forwarded-For: the right-most untrusted hop, port 0") {
        auto c = resolve(kProxy, {}, {"198.51.100.1"});
        CHECK(c.endpoint == ep("198.51.100.1", 0));
        CHECK(c.forwarded);
        // What the client wrote itself comes first; the proxy appended the truth.
        c = resolve(kProxy, {}, {"1.1.1.1, 2.2.2.2, 198.51.100.1"});
        CHECK(c.endpoint == ep("198.51.100.1", 0));
        // Trusted hops on the right are skipped.
        c = resolve(kProxy, {}, {"1.1.1.1, 198.51.100.1, 10.1.1.1, 10.2.2.2"});
        CHECK(c.endpoint == ep("198.51.100.1", 0));
        // Several header lines are one list, in order.
        c = resolve(kProxy, {}, {"1.1.1.1", "198.51.100.1, 10.9.9.9"});
        CHECK(c.endpoint == ep("198.51.100.1", 0));
        // IPv6, bare or in brackets; ports accepted and ignored.
        c = resolve(kProxy, {}, {"2001:db8::7"});
        CHECK(c.endpoint == ep("2001:db8::7", 0));
        c = resolve(kProxy, {}, {"[2001:db8::7]:4711"});
        CHECK(c.endpoint == ep("2001:db8::7", 0));
        c = resolve(kProxy, {}, {"198.51.100.1:4711"});
        CHECK(c.endpoint == ep("198.51.100.1", 0));
        // Spaces, tabs and empty elements.
        c = resolve(kProxy, {}, {" ,\t198.51.100.1 ,, "});
        CHECK(c.endpoint == ep("198.51.100.1", 0));
    }

    TEST_CASE("every hop trusted: the left-most one") {
        auto c = resolve(kProxy, {}, {"10.3.3.3, 10.2.2.2"});
        CHECK(c.endpoint == ep("10.3.3.3", 0));
        CHECK(c.forwarded);
        c = resolve(kProxy, {"for=10.3.3.3:80, for=10.2.2.2"}, {});
        CHECK(c.endpoint == ep("10.3.3.3", 80));
    }

    TEST_CASE("Forwarded wins over X-Forwarded-For when both are present") {
        const auto c = resolve(kProxy, {"for=198.51.100.2"}, {"198.51.100.1"});
        CHECK(c.endpoint == ep("198.51.100.2", 0));
        // A Forwarded line with no element leaves the peer; XFF is still not read.
        const auto empty = resolve(kProxy, {""}, {"198.51.100.1"});
        CHECK(empty.endpoint == kProxy);
    }

    TEST_CASE("Forwarded: RFC 7239 §4, §6 forms, with the port when given") {
        CHECK(resolve(kProxy, {"for=198.51.100.17"}, {}).endpoint == ep("198.51.100.17", 0));
        CHECK(resolve(kProxy, {"for=\"198.51.100.17:4711\""}, {}).endpoint ==
              ep("198.51.100.17", 4711));
        CHECK(resolve(kProxy, {"For=\"[2001:db8:cafe::17]:4711\""}, {}).endpoint ==
              ep("2001:db8:cafe::17", 4711));
        CHECK(resolve(kProxy, {"for=\"[2001:db8:cafe::17]\""}, {}).endpoint ==
              ep("2001:db8:cafe::17", 0));
        // Other parameters, in any order and case, are ignored.
        CHECK(resolve(kProxy, {"proto=https;for=198.51.100.17;by=203.0.113.43;host=x.example"}, {})
                  .endpoint == ep("198.51.100.17", 0));
        CHECK(resolve(kProxy, {"for=198.51.100.17 ; proto=http"}, {}).endpoint ==
              ep("198.51.100.17", 0));
        // Comma lists and several lines, as RFC 7239 §7.1 allows.
        CHECK(resolve(kProxy, {"for=192.0.2.43, for=198.51.100.17;proto=https", "for=10.5.5.5"}, {})
                  .endpoint == ep("198.51.100.17", 0));
        // Quoted-pair escapes are undone.
        CHECK(resolve(kProxy, {R"(for="198.51.100.\17")"}, {}).endpoint == ep("198.51.100.17", 0));
        // An obfuscated port hides the port only.
        CHECK(resolve(kProxy, {"for=\"198.51.100.17:_p0rt\""}, {}).endpoint ==
              ep("198.51.100.17", 0));
        // Lenient: unquoted host:port and brackets.
        CHECK(resolve(kProxy, {"for=198.51.100.17:81"}, {}).endpoint == ep("198.51.100.17", 81));
        CHECK(resolve(kProxy, {"for=[2001:db8::1]"}, {}).endpoint == ep("2001:db8::1", 0));
    }

    TEST_CASE("an opaque hop stops the walk at the last trusted hop") {
        // The proxy itself could not name its client: the proxy it is.
        auto c = resolve(kProxy, {"for=unknown"}, {});
        CHECK(c.endpoint == kProxy);
        CHECK_FALSE(c.forwarded);
        CHECK(c.problem.empty());
        c = resolve(kProxy, {"for=\"_hidden\", for=\"_SEVKISEK\""}, {});
        CHECK(c.endpoint == kProxy);
        // Behind a trusted hop that could not name its client: that hop.
        c = resolve(kProxy, {"for=198.51.100.1, for=UNKNOWN, for=10.7.7.7:99"}, {});
        CHECK(c.endpoint == ep("10.7.7.7", 99));
        CHECK(c.forwarded);
        c = resolve(kProxy, {}, {"198.51.100.1, unknown, 10.7.7.7"});
        CHECK(c.endpoint == ep("10.7.7.7", 0));
        // An element without for= knows nothing of the client either.
        c = resolve(kProxy, {"for=198.51.100.1, by=10.0.0.1;proto=https"}, {});
        CHECK(c.endpoint == kProxy);
        // An opaque hop left of the client is never reached.
        c = resolve(kProxy, {"for=unknown, for=198.51.100.1"}, {});
        CHECK(c.endpoint == ep("198.51.100.1", 0));
    }

    TEST_CASE("a malformed hop that must be read: the peer, and why") {
        for (const auto& [f, x] : std::vector<std::pair<Lines, Lines>>{
                 {{"for=198.51.100.1:99999"}, {}},
                 {{"for=\"2001:db8::1\""}, {}}, // IPv6 must be in brackets
                 {{"for=\"[198.51.100.1]\""}, {}},
                 {{"for=\"[2001:db8::1\""}, {}},
                 {{"for=\"[2001:db8::1]x\""}, {}},
                 {{"for=host.example"}, {}},
                 {{"for=\"198.51.100.1"}, {}}, // unterminated
                 {{"for=1.2.3.4;for=5.6.7.8"}, {}},
                 {{"for="}, {}},
                 {{"for"}, {}},
                 {{"=1.2.3.4"}, {}},
                 {{"for=1.2.3.4 x"}, {}},
                 {{"for=1.2.3.4:"}, {}},
                 {{}, {"not-an-address"}},
                 {{}, {"198.51.100.1, 1.2.3.4.5"}},
                 {{}, {"[2001:db8::1"}},
                 {{}, {"[2001:db8::1]:x"}},
                 {{}, {"1.2.3.4:70000"}},
             }) {
            INFO("Forwarded: ", f.empty() ? "-" : std::string(f[0]),
                 " X-Forwarded-For: ", x.empty() ? "-" : std::string(x[0]));
            const auto c = resolve(kProxy, f, x);
            CHECK(c.endpoint == kProxy);
            CHECK_FALSE(c.forwarded);
            CHECK_FALSE(c.problem.empty());
        }
        // The problem names the header.
        CHECK(resolve(kProxy, {"for=x"}, {}).problem.starts_with("Forwarded: "));
        CHECK(resolve(kProxy, {}, {"x"}).problem.starts_with("X-Forwarded-For: "));
    }

    TEST_CASE("junk a client wrote left of the client's hop is never read") {
        auto c = resolve(kProxy, {}, {"<script>, 1.2.3.4.5, 198.51.100.1"});
        CHECK(c.endpoint == ep("198.51.100.1", 0));
        CHECK(c.problem.empty());
        c = resolve(kProxy, {"for=\"[junk, for=;;", "for=198.51.100.1"}, {});
        CHECK(c.endpoint == ep("198.51.100.1", 0));
        CHECK(c.problem.empty());
        c = resolve(kProxy, {"for=junk, for=198.51.100.1"}, {});
        CHECK(c.endpoint == ep("198.51.100.1", 0));
    }

    TEST_CASE("parse_forwarded: one hop per element, a broken line is one malformed hop") {
        auto hops = fwd({"for=192.0.2.60;proto=http;by=203.0.113.43", "for=\"oops, for=1.2.3.4",
                         "for=unknown, ,for=\"[::1]:80\""});
        REQUIRE(hops.size() == 4);
        CHECK(hops[0].kind == Kind::Address);
        CHECK(hops[0].endpoint == ep("192.0.2.60", 0));
        CHECK(hops[1].kind == Kind::Malformed);
        CHECK(hops[2].kind == Kind::Opaque);
        CHECK(hops[3].kind == Kind::Address);
        CHECK(hops[3].endpoint == ep("::1", 80));
        // A comma inside a quoted string does not split.
        hops = fwd({"for=\"_a,b\";proto=http, for=1.2.3.4"});
        REQUIRE(hops.size() == 2);
        CHECK(hops[0].kind == Kind::Malformed); // ',' is not in an obfuscated identifier
        CHECK(hops[1].kind == Kind::Address);
        CHECK(fwd({}).empty());
        CHECK(fwd({"", " , "}).empty());
    }

    TEST_CASE("parse_x_forwarded_for: addresses, unknown, malformed") {
        const Lines lines{"198.51.100.1, unknown", "[2001:db8::1]:80, bogus"};
        const auto hops = net::parse_x_forwarded_for(lines);
        REQUIRE(hops.size() == 4);
        CHECK(hops[0].kind == Kind::Address);
        CHECK(hops[1].kind == Kind::Opaque);
        CHECK(hops[2].kind == Kind::Address);
        CHECK(hops[2].endpoint == ep("2001:db8::1", 0));
        CHECK(hops[3].kind == Kind::Malformed);
    }

    TEST_CASE("IPv6 proxies and IPv4-mapped addresses") {
        const auto v6peer = ep("::1", 6000);
        CHECK(resolve(v6peer, {}, {"198.51.100.1"}).endpoint == ep("198.51.100.1", 0));
        // A proxy seen as ::ffff:10.0.0.1 is trusted by 10.0.0.0/8 ...
        CHECK(resolve(ep("::ffff:10.0.0.1", 1), {}, {"198.51.100.1"}).endpoint ==
              ep("198.51.100.1", 0));
        // ... and a mapped client is the IPv4 client it names.
        CHECK(resolve(kProxy, {}, {"::ffff:198.51.100.1"}).endpoint == ep("198.51.100.1", 0));
        // Trust is by network: 10.0.0.0/8, not its neighbours.
        CHECK(resolve(ep("11.0.0.1", 1), {}, {"198.51.100.1"}).endpoint == ep("11.0.0.1", 1));
    }
}
