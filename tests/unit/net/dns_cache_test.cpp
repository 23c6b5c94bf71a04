// The DNS answer cache: TTL expiry on a manual clock, and its bound.
#include "net/dns_cache.h"

#include <doctest/doctest.h>

using boshd::net::DnsAnswer;
using boshd::net::DnsCache;
using boshd::net::SrvRecord;
using std::chrono::seconds;

namespace {

const boshd::util::TimePoint t0{seconds(1000)};

DnsAnswer srv(std::string target) {
    DnsAnswer a;
    a.srv.push_back(SrvRecord{0, 0, 5222, std::move(target)});
    return a;
}

} // namespace

TEST_CASE("dns cache: an answer lives for its TTL, not a second longer") {
    DnsCache cache(8);
    CHECK(cache.find("SRV a", t0) == nullptr);
    cache.put("SRV a", srv("x"), seconds(30), t0);
    REQUIRE(cache.find("SRV a", t0) != nullptr);
    CHECK(cache.find("SRV a", t0 + seconds(29))->srv.front().target == "x");
    CHECK(cache.find("SRV a", t0 + seconds(30)) == nullptr);
    CHECK(cache.find("SRV b", t0) == nullptr);
}

TEST_CASE("dns cache: a TTL of 0 keeps nothing") {
    DnsCache cache(8);
    cache.put("ADDR localhost", srv("x"), seconds(0), t0);
    CHECK(cache.find("ADDR localhost", t0) == nullptr);
    CHECK(cache.size() == 0);
}

TEST_CASE("dns cache: a new answer replaces the old one and its expiry") {
    DnsCache cache(1);
    cache.put("k", srv("old"), seconds(10), t0);
    cache.put("k", srv("new"), seconds(100), t0 + seconds(5));
    CHECK(cache.size() == 1);
    REQUIRE(cache.find("k", t0 + seconds(50)) != nullptr);
    CHECK(cache.find("k", t0 + seconds(50))->srv.front().target == "new");
}

TEST_CASE("dns cache: when full, expired answers go first, then the one expiring soonest") {
    DnsCache cache(2);
    cache.put("a", srv("a"), seconds(100), t0);
    cache.put("b", srv("b"), seconds(5), t0);
    cache.put("c", srv("c"), seconds(50), t0 + seconds(10)); // b has expired: it goes
    CHECK(cache.size() == 2);
    CHECK(cache.find("a", t0 + seconds(10)) != nullptr);
    CHECK(cache.find("c", t0 + seconds(10)) != nullptr);
    cache.put("d", srv("d"), seconds(500), t0 + seconds(10)); // none expired: c (t0+60) goes
    CHECK(cache.size() == 2);
    CHECK(cache.find("a", t0 + seconds(10)) != nullptr);
    CHECK(cache.find("c", t0 + seconds(10)) == nullptr);
    CHECK(cache.find("d", t0 + seconds(10)) != nullptr);
}

TEST_CASE("dns cache: no answer is kept longer than an hour, whatever its TTL") {
    DnsCache cache(4);
    cache.put("a", srv("a"), seconds(2147483647), t0);
    CHECK(cache.find("a", t0 + DnsCache::kMaxTtl - seconds(1)) != nullptr);
    CHECK(cache.find("a", t0 + DnsCache::kMaxTtl) == nullptr);
}
