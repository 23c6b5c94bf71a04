// The connection limits' counting (README: Connections): the total and
// per-address limits, counting down, address keys, the default's arithmetic.
// The evhttp side (track, close callbacks) is in tests/integration/test_connections.py.
#include "net/connection_gate.h"

#include <doctest/doctest.h>
#include <sys/resource.h>
#include <vector>

using namespace boshd::net;

namespace {

boshd::util::IpAddress ip(const char* text) {
    const auto a = boshd::util::IpAddress::parse(text);
    REQUIRE(a.has_value());
    return *a;
}

boshd::util::IpAddress v4(const char* text) {
    return ip(text);
}

boshd::util::IpAddress v6(const char* text) {
    return ip(text);
}

struct Refusals {
    std::vector<ConnectionGate::Refusal> seen;
    ConnectionGate::OnRefused fn() {
        return [this](ConnectionGate::Refusal why, const boshd::util::IpAddress&) {
            seen.push_back(why);
        };
    }
};

} // namespace

TEST_CASE("per-address limit: at, over, another address, counted down") {
    Refusals r;
    ConnectionGate gate({100, 2, {}}, r.fn());
    CHECK(gate.admit(v4("192.0.2.1")));
    CHECK(gate.admit(v4("192.0.2.1")));
    CHECK_FALSE(gate.admit(v4("192.0.2.1")));
    REQUIRE(r.seen.size() == 1);
    CHECK(r.seen[0] == ConnectionGate::Refusal::PerIp);
    CHECK(gate.admit(v4("192.0.2.2")));
    CHECK(gate.open() == 3);
    CHECK(gate.open_from(v4("192.0.2.1")) == 2);
    gate.release(v4("192.0.2.1"));
    CHECK(gate.open_from(v4("192.0.2.1")) == 1);
    CHECK(gate.admit(v4("192.0.2.1")));
}

TEST_CASE("per-address limit: an IPv6 client is its /64, an IPv4-mapped one its IPv4 address") {
    Refusals r;
    ConnectionGate gate({100, 2, {}}, r.fn());
    CHECK(gate.admit(v6("2001:db8:1:2::1")));
    CHECK(gate.admit(v6("2001:db8:1:2:ffff::7"))); // another address, the same /64
    CHECK_FALSE(gate.admit(v6("2001:db8:1:2:1:2:3:4")));
    CHECK(gate.admit(v6("2001:db8:1:3::1"))); // the next /64
    CHECK(gate.open_from(v6("2001:db8:1:2::99")) == 2);
    gate.release(v6("2001:db8:1:2::1"));
    CHECK(gate.admit(v6("2001:db8:1:2:abcd::1")));
    CHECK(gate.admit(v4("192.0.2.9")));
    CHECK(gate.admit(v6("::ffff:192.0.2.9")));
    CHECK_FALSE(gate.admit(v4("192.0.2.9")));
}

TEST_CASE("total limit over every address") {
    Refusals r;
    ConnectionGate gate({2, 10, {}}, r.fn());
    CHECK(gate.admit(v4("192.0.2.1")));
    CHECK(gate.admit(v6("2001:db8::1")));
    CHECK_FALSE(gate.admit(v6("2001:db8:0:1::2")));
    REQUIRE(r.seen.size() == 1);
    CHECK(r.seen[0] == ConnectionGate::Refusal::Total);
    // A refused connection is not counted.
    CHECK(gate.open() == 2);
    CHECK(gate.open_from(v6("2001:db8:0:1::2")) == 0);
}

TEST_CASE("new limits apply to new connections only") {
    Refusals r;
    ConnectionGate gate({10, 3, {}}, r.fn());
    for (int i = 0; i < 3; ++i) {
        CHECK(gate.admit(v4("192.0.2.1")));
    }
    gate.set_limits({10, 1, {}});
    CHECK(gate.open_from(v4("192.0.2.1")) == 3);
    CHECK_FALSE(gate.admit(v4("192.0.2.1")));
    gate.release(v4("192.0.2.1"));
    gate.release(v4("192.0.2.1"));
    CHECK_FALSE(gate.admit(v4("192.0.2.1"))); // still 1 open, the new limit
    gate.release(v4("192.0.2.1"));
    CHECK(gate.admit(v4("192.0.2.1")));
}

TEST_CASE("trusted proxies are not limited per address, only in total") {
    Refusals r;
    ConnectionGate gate({3, 1, {boshd::util::Cidr::parse("127.0.0.0/8").value()}}, r.fn());
    CHECK(gate.admit(v4("127.0.0.1")));
    CHECK(gate.admit(v4("127.0.0.1")));
    CHECK(gate.open_from(v4("127.0.0.1")) == 0);
    CHECK(gate.admit(v4("192.0.2.1")));
    CHECK_FALSE(gate.admit(v4("127.0.0.1"))); // the total
    REQUIRE(r.seen.size() == 1);
    CHECK(r.seen[0] == ConnectionGate::Refusal::Total);
    gate.release(v4("127.0.0.1"));
    CHECK(gate.open() == 2);
}

TEST_CASE("default max_connections: min(20000, (nofile - 64) * 2 / 3)") {
    rlimit saved{};
    REQUIRE(getrlimit(RLIMIT_NOFILE, &saved) == 0);
    rlimit lim = saved;
    lim.rlim_cur = 1024;
    REQUIRE(setrlimit(RLIMIT_NOFILE, &lim) == 0);
    CHECK(default_max_connections() == 640);
    lim.rlim_cur = std::min<rlim_t>(saved.rlim_max, 65536);
    REQUIRE(setrlimit(RLIMIT_NOFILE, &lim) == 0);
    if (lim.rlim_cur >= 30064) {
        CHECK(default_max_connections() == 20000);
    }
    lim.rlim_cur = 50;
    REQUIRE(setrlimit(RLIMIT_NOFILE, &lim) == 0);
    CHECK(default_max_connections() == 1);
    REQUIRE(setrlimit(RLIMIT_NOFILE, &saved) == 0);
    // 0 in the configuration means that default.
    Refusals r;
    ConnectionGate gate({0, 5, {}}, r.fn());
    CHECK(gate.max_connections() == default_max_connections());
}
