// The order of SRV targets (RFC 2782 usage rules, RFC 6120 §3.2.1), with the
// random draws scripted: each pick draws one number in [0, total weight].
#include "net/srv_order.h"
#include "support/seeded_random.h"

#include <algorithm>
#include <deque>
#include <doctest/doctest.h>
#include <string>
#include <vector>

using boshd::net::draw_upto;
using boshd::net::order_srv;
using boshd::net::srv_service_refused;
using boshd::net::SrvRecord;

namespace {

// Hands out the given 64-bit values, big-endian, one per fill of 8 bytes; a
// test that draws more than it scripted fails.
class ScriptedRandom final : public boshd::util::Random {
public:
    explicit ScriptedRandom(std::deque<std::uint64_t> values) : values_(std::move(values)) {}
    void fill(std::span<std::uint8_t> out) override {
        REQUIRE(out.size() == 8);
        REQUIRE_FALSE(values_.empty());
        std::uint64_t v = values_.front();
        values_.pop_front();
        for (auto it = out.rbegin(); it != out.rend(); ++it) {
            *it = static_cast<std::uint8_t>(v & 0xff);
            v >>= 8;
        }
    }
    std::size_t left() const { return values_.size(); }

private:
    std::deque<std::uint64_t> values_;
};

SrvRecord rec(std::uint16_t priority, std::uint16_t weight, std::string target,
              std::uint16_t port = 5222) {
    return {priority, weight, port, std::move(target)};
}

std::vector<std::string> targets(const std::vector<SrvRecord>& records) {
    std::vector<std::string> out;
    for (const auto& r : records) {
        out.push_back(r.target);
    }
    return out;
}

} // namespace

TEST_CASE("draw_upto: the draw modulo bound + 1, every value of [0, bound] reachable") {
    ScriptedRandom random({0, 5, 6, 7, 0xffffffffffffffffULL});
    CHECK(draw_upto(random, 5) == 0);
    CHECK(draw_upto(random, 5) == 5);
    CHECK(draw_upto(random, 5) == 0);
    CHECK(draw_upto(random, 5) == 1);
    CHECK(draw_upto(random, 0) == 0);
}

TEST_CASE("order_srv: lower priority first, whatever the weights and the input order") {
    ScriptedRandom random({0, 0, 0});
    const auto out = order_srv({rec(20, 100, "b"), rec(10, 0, "a"), rec(30, 5, "c")}, random);
    CHECK(targets(out) == std::vector<std::string>{"a", "b", "c"});
    CHECK(random.left() == 0); // one draw per pick, even in a group of one
}

TEST_CASE("order_srv: within a priority, the draw picks by running sum of weights") {
    // Running sums a:10 b:30 c:60. A draw of 15 falls in b's share (11..30).
    // Then a:10 c:40 over 40: 40 is c. Then a alone.
    ScriptedRandom random({15, 40, 0});
    const auto out = order_srv({rec(5, 10, "a"), rec(5, 20, "b"), rec(5, 30, "c")}, random);
    CHECK(targets(out) == std::vector<std::string>{"b", "c", "a"});
}

TEST_CASE("order_srv: the share boundaries of each weight") {
    const std::vector<SrvRecord> in{rec(1, 10, "a"), rec(1, 20, "b"), rec(1, 30, "c")};
    const std::vector<std::pair<std::uint64_t, std::string>> cases{{0, "a"},  {10, "a"}, {11, "b"},
                                                                   {30, "b"}, {31, "c"}, {60, "c"}};
    for (const auto& [draw, first] : cases) {
        ScriptedRandom random({draw, 0, 0});
        CAPTURE(draw);
        CHECK(order_srv(in, random).front().target == first);
    }
}

TEST_CASE("order_srv: weight 0 goes first in the list, so it wins only a draw of 0") {
    // Input b(5) a(0) c(0): zero weights move ahead, keeping their order:
    // a:0 c:0 b:5. A draw of 0 is a; then c:0 b:5 and a draw of 1 is b.
    ScriptedRandom random({0, 1, 0});
    const auto out = order_srv({rec(1, 5, "b"), rec(1, 0, "a"), rec(1, 0, "c")}, random);
    CHECK(targets(out) == std::vector<std::string>{"a", "b", "c"});

    ScriptedRandom later({3, 0, 0});
    const auto heavy_first = order_srv({rec(1, 0, "z"), rec(1, 5, "w")}, later);
    CHECK(targets(heavy_first) == std::vector<std::string>{"w", "z"});
}

TEST_CASE("order_srv: all weights 0 keep the order they came in") {
    ScriptedRandom random({0, 0, 0});
    const auto out = order_srv({rec(1, 0, "x"), rec(1, 0, "y"), rec(1, 0, "z")}, random);
    CHECK(targets(out) == std::vector<std::string>{"x", "y", "z"});
}

TEST_CASE("order_srv: priorities and weights together keep port and fields") {
    // Priority 0: p:1 q:3 (draw 2 is q); priority 1: r alone.
    ScriptedRandom random({2, 0, 0});
    const auto out =
        order_srv({rec(1, 7, "r", 5300), rec(0, 1, "p", 5301), rec(0, 3, "q", 5302)}, random);
    REQUIRE(out.size() == 3);
    CHECK(out[0] == rec(0, 3, "q", 5302));
    CHECK(out[1] == rec(0, 1, "p", 5301));
    CHECK(out[2] == rec(1, 7, "r", 5300));
}

TEST_CASE("srv: a single '.' target means no service; '.' among others is dropped") {
    CHECK(srv_service_refused({rec(0, 0, ".")}));
    CHECK_FALSE(srv_service_refused({}));
    CHECK_FALSE(srv_service_refused({rec(0, 0, "a")}));
    CHECK_FALSE(srv_service_refused({rec(0, 0, "."), rec(1, 0, "a")}));
    ScriptedRandom random({0});
    CHECK(targets(order_srv({rec(0, 0, "."), rec(1, 0, "a")}, random)) ==
          std::vector<std::string>{"a"});
    ScriptedRandom none({});
    CHECK(order_srv({}, none).empty());
}

TEST_CASE("order_srv: over seeds, always a permutation in priority order, heavier first "
          "mostly") {
    const std::vector<SrvRecord> in{rec(2, 1, "light"), rec(2, 99, "heavy"), rec(1, 50, "first"),
                                    rec(3, 0, "last")};
    int heavy_first = 0;
    for (std::uint64_t seed = 1; seed <= 1000; ++seed) {
        boshd::test::SeededRandom random(seed);
        const auto out = order_srv(in, random);
        REQUIRE(out.size() == in.size());
        CHECK(std::is_permutation(out.begin(), out.end(), in.begin(), in.end()));
        CHECK(std::is_sorted(out.begin(), out.end(),
                             [](const auto& a, const auto& b) { return a.priority < b.priority; }));
        CHECK(out.front().target == "first");
        CHECK(out.back().target == "last");
        heavy_first += out[1].target == "heavy" ? 1 : 0;
    }
    // Weight 99 of 100 (draws 2..100 of 0..100): about 980 of 1000.
    CHECK(heavy_first > 950);
    CHECK(heavy_first < 1000);
}
