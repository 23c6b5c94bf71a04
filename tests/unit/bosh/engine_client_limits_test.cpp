// Per-client limits in the engine (README: "Per-client limits") and the
// client's address on its log lines and backend links (README: "The client
// address behind a proxy"), with the manual clock.
#include "bosh/client_limits.h"
#include "support/engine_harness.h"

#include <doctest/doctest.h>
#include <string>

using namespace boshd;
using test::EngineHarness;

namespace {

util::Endpoint client(const char* address, std::uint16_t port = 40000) {
    return {util::IpAddress::parse(address).value(), port};
}

bosh::Limits limits(std::size_t open_per_ip, std::size_t new_per_ip) {
    auto l = EngineHarness::default_limits();
    l.max_sessions_per_ip = open_per_ip;
    l.max_new_sessions_per_ip = new_per_ip;
    return l;
}

// Posts a creation request from |from|; |ver| false makes it a legacy one.
bosh::RequestId create_from(EngineHarness& h, const util::Endpoint& from, bool ver = true) {
    EngineHarness::CreateOpts o;
    if (!ver) {
        o.ver.reset();
    }
    return h.post(EngineHarness::creation_body(o), from);
}

// The creation was taken: no reply yet (it waits for the server), and a link opened.
bool created(EngineHarness& h, bosh::RequestId id, std::size_t links_before) {
    return !h.answered(id) && h.links_opened() == links_before + 1;
}

void check_refused(EngineHarness& h, bosh::RequestId id, std::size_t links_before,
                   int status = 200) {
    REQUIRE(h.answered(id));
    const test::Doc d(h.body(id));
    CHECK(d.attr("type") == "terminate");
    CHECK(d.attr("condition") == "policy-violation");
    CHECK(h.reply(id).status == status);
    CHECK(h.links_opened() == links_before); // no OpenBackend: the server never hears of it
}

} // namespace

TEST_SUITE("bosh/engine/client_limits") {
    TEST_CASE("max_new_sessions_per_ip: at the limit allowed, over it policy-violation, no link") {
        EngineHarness h{limits(0, 3)};
        const auto a = client("198.51.100.1");
        for (int i = 0; i < 3; ++i) {
            const auto before = h.links_opened();
            CHECK(created(h, create_from(h, a), before));
        }
        const auto before = h.links_opened();
        const auto id = create_from(h, a);
        check_refused(h, id, before);
        CHECK(h.engine.session_count() == 3);
        CHECK(h.engine.counters().refused_max_new_sessions_per_ip == 1);
        CHECK(h.engine.counters().refused_max_sessions_per_ip == 0);
        CHECK(h.engine.counters().requests_rejected == 1);
        CHECK(h.engine.counters().sessions_created == 3);
        CHECK(h.capture.count("session.refused req=4 ip=198.51.100.1 "
                              "limit=session.max_new_sessions_per_ip "
                              "condition=policy-violation unlogged=0") == 1);
    }

    TEST_CASE("the bucket refills one creation per window / N, and a refusal takes no token") {
        EngineHarness h{limits(0, 3)}; // 60 s / 3: one creation back every 20 s
        const auto a = client("198.51.100.1");
        for (int i = 0; i < 3; ++i) {
            create_from(h, a);
        }
        h.advance_s(19);
        auto before = h.links_opened();
        check_refused(h, create_from(h, a), before);
        h.advance_s(1); // 20 s: one token back, the refusal above took none
        before = h.links_opened();
        CHECK(created(h, create_from(h, a), before));
        before = h.links_opened();
        check_refused(h, create_from(h, a), before);
        // A full minute idle: the whole burst again, and no more.
        h.advance_s(60);
        for (int i = 0; i < 3; ++i) {
            before = h.links_opened();
            CHECK(created(h, create_from(h, a), before));
        }
        before = h.links_opened();
        check_refused(h, create_from(h, a), before);
    }

    TEST_CASE("another address is unaffected") {
        EngineHarness h{limits(0, 2)};
        const auto a = client("198.51.100.1");
        create_from(h, a);
        create_from(h, a);
        auto before = h.links_opened();
        check_refused(h, create_from(h, a), before);
        before = h.links_opened();
        CHECK(created(h, create_from(h, client("198.51.100.2")), before));
        before = h.links_opened();
        CHECK(created(h, create_from(h, client("2001:db8::1")), before));
        // The port is not part of the client.
        before = h.links_opened();
        check_refused(h, create_from(h, client("198.51.100.1", 1)), before);
    }

    TEST_CASE("IPv6 clients are grouped by /64, IPv4 ones by address") {
        EngineHarness h{limits(0, 2)};
        create_from(h, client("2001:db8:1:2::1"));
        create_from(h, client("2001:db8:1:2:ffff:ffff:ffff:ffff"));
        auto before = h.links_opened();
        check_refused(h, create_from(h, client("2001:db8:1:2:abcd::9")), before);
        before = h.links_opened();
        CHECK(created(h, create_from(h, client("2001:db8:1:3::1")), before)); // the next /64
        // An IPv4-mapped client is the IPv4 client.
        create_from(h, client("192.0.2.50"));
        create_from(h, client("::ffff:192.0.2.50"));
        before = h.links_opened();
        check_refused(h, create_from(h, client("192.0.2.50")), before);
        CHECK(util::client_group(client("2001:db8:1:2:3:4:5:6").address) ==
              client("2001:db8:1:2::").address);
        CHECK(util::client_group(client("192.0.2.77").address) == client("192.0.2.77").address);
    }

    TEST_CASE("C124-17.1-02 a legacy client (no ver) over the limit gets HTTP 403") {
        EngineHarness h{limits(0, 1)};
        const auto a = client("198.51.100.1");
        create_from(h, a, false);
        const auto before = h.links_opened();
        check_refused(h, create_from(h, a, false), before, 403);
    }

    TEST_CASE("max_sessions_per_ip: open sessions count; one that ends frees its slot") {
        EngineHarness h{limits(2, 0)};
        h.create(); // from the harness's default client, completed
        const auto first = h.current();
        h.create("", 2000);
        auto before = h.links_opened();
        const auto id = create_from(h, EngineHarness::default_client());
        check_refused(h, id, before);
        CHECK(h.engine.counters().refused_max_sessions_per_ip == 1);
        CHECK(h.capture.count("limit=session.max_sessions_per_ip") == 1);
        // Another client still gets in.
        before = h.links_opened();
        CHECK(created(h, create_from(h, client("198.51.100.3")), before));
        // The first session ends (the client's terminate): a slot again.
        h.use(first);
        h.send("", "type='terminate'");
        before = h.links_opened();
        CHECK(created(h, create_from(h, EngineHarness::default_client()), before));
    }

    TEST_CASE("one log line per client per window, saying how many went unlogged") {
        EngineHarness h{limits(0, 1)};
        const auto a = client("198.51.100.1");
        const auto b = client("198.51.100.2");
        create_from(h, a);
        create_from(h, b);
        for (int i = 0; i < 5; ++i) {
            create_from(h, a);
            create_from(h, b);
        }
        CHECK(h.capture.count("session.refused") == 2); // one for each client
        CHECK(h.capture.count("ip=198.51.100.1 limit") == 1);
        CHECK(h.engine.counters().refused_max_new_sessions_per_ip == 10);
        h.advance_s(59);
        create_from(h, a); // refilled at 60 s only
        CHECK(h.capture.count("session.refused") == 2);
        h.advance_s(1);    // a token is back, and the window of the log line is over
        create_from(h, a); // taken
        create_from(h, a); // refused: logged, with the 5 unlogged before it
        CHECK(h.capture.count("session.refused") == 3);
        CHECK(h.capture.count("ip=198.51.100.1 limit=session.max_new_sessions_per_ip "
                              "condition=policy-violation unlogged=5") == 1);
    }

    TEST_CASE("0 turns either limit off") {
        EngineHarness h{limits(0, 0)};
        for (int i = 0; i < 300; ++i) {
            const auto before = h.links_opened();
            REQUIRE(created(h, create_from(h, client("198.51.100.1")), before));
        }
    }

    TEST_CASE("reconfigure applies new limits to the next creation") {
        EngineHarness h{limits(0, 1)};
        const auto a = client("198.51.100.1");
        create_from(h, a);
        auto before = h.links_opened();
        check_refused(h, create_from(h, a), before);
        h.engine.reconfigure(limits(0, 0), bosh::RouteTable(EngineHarness::default_routes()));
        before = h.links_opened();
        CHECK(created(h, create_from(h, a), before));
        h.engine.reconfigure(limits(2, 0), bosh::RouteTable(EngineHarness::default_routes()));
        before = h.links_opened();
        check_refused(h, create_from(h, a), before); // already 2 open
    }

    TEST_CASE("the server's own limit comes first and takes no token") {
        auto l = limits(0, 1);
        l.max_sessions = 1;
        EngineHarness h{l};
        create_from(h, client("198.51.100.1"));
        const auto id = create_from(h, client("198.51.100.2"));
        CHECK(test::condition(h, id) == "undefined-condition");
        CHECK(h.engine.counters().refused_max_sessions == 1);
        h.engine.reconfigure(limits(0, 1), bosh::RouteTable(EngineHarness::default_routes()));
        const auto before = h.links_opened();
        CHECK(created(h, create_from(h, client("198.51.100.2")), before));
    }
}

TEST_SUITE("bosh/engine/client_address") {
    TEST_CASE("the client's address is ip= on session.created and the session's lines") {
        EngineHarness h;
        const auto from = client("203.0.113.9", 5555);
        EngineHarness::CreateOpts o;
        h.creation_request = h.post(EngineHarness::creation_body(o), from);
        h.connect();
        h.server_send(std::string(test::kServerHeader) + test::kFeatures);
        h.sid = test::Doc(h.body(h.creation_request)).attr("sid");
        h.last_rid = o.rid;
        CHECK(h.capture.count("session.created sid=" + h.sid + " ip=203.0.113.9 ") == 1);
        // Later requests may come from anywhere; the session's lines name its creator.
        h.send("", "type='terminate'");
        CHECK(h.capture.count("session.terminated sid=" + h.sid + " ip=203.0.113.9 ") == 1);
        // A request naming no known session: the request's own client.
        const auto id = h.post(EngineHarness::body_for("nope", 5), client("2001:db8::5"));
        CHECK(test::condition(h, id) == "item-not-found");
        CHECK(h.capture.count("request.rejected req=" + std::to_string(bosh::value_of(id)) +
                              " ip=2001:db8::5 ") == 1);
    }

    TEST_CASE("every backend link of a session is opened on behalf of its client") {
        auto l = EngineHarness::default_limits();
        l.max_streams = 2;
        EngineHarness h{l};
        const auto from = client("2001:db8::77", 6000);
        EngineHarness::CreateOpts o;
        h.creation_request = h.post(EngineHarness::creation_body(o), from);
        REQUIRE(h.opened().size() == 1);
        CHECK(h.opened()[0].client == from);
        h.connect();
        h.server_send(std::string(test::kServerHeader) + test::kFeatures);
        h.sid = test::Doc(h.body(h.creation_request)).attr("sid");
        h.last_rid = o.rid;
        h.advance_s(2);                 // adds are `polling` apart
        h.send("", "to='example.com'"); // an added stream (XEP-0124 §16)
        REQUIRE(h.opened().size() == 2);
        CHECK(h.opened()[1].client == from);
    }
}

TEST_SUITE("bosh/client_limits") {
    TEST_CASE("memory is bounded: full buckets are forgotten, the table has a cap") {
        test::CaptureLog capture;
        util::Logger log(capture, util::LogLevel::Debug);
        bosh::ClientLimits table(log);
        auto l = limits(0, 60);
        l.max_tracked_clients = 1000;
        util::TimePoint now{};
        // 100,000 addresses in one second: never more than the cap.
        for (std::uint32_t i = 0; i < 100000; ++i) {
            const util::IpAddress a = util::IpAddress::v4({10, static_cast<std::uint8_t>(i >> 16),
                                                           static_cast<std::uint8_t>(i >> 8),
                                                           static_cast<std::uint8_t>(i)});
            REQUIRE(table.admit(a, now + std::chrono::microseconds(i * 10), l) ==
                    bosh::ClientLimits::Verdict::Allowed);
            REQUIRE(table.tracked() <= 1000);
        }
        CHECK(table.tracked() == 1000);
        CHECK(table.evictions() == 99000);
        // The warning: once per window, however many are dropped.
        CHECK(capture.count("session.client_table_full") == 1);
        // One creation's token comes back after 1 s: every bucket is full
        // again and forgotten at the next call.
        now += util::Seconds(2);
        table.admit(util::IpAddress::v4({192, 0, 2, 1}), now, l);
        CHECK(table.tracked() == 1);
    }

    TEST_CASE("the cap's policy: the fullest bucket makes room, nobody is refused for it") {
        test::CaptureLog capture;
        util::Logger log(capture, util::LogLevel::Debug);
        bosh::ClientLimits table(log);
        auto l = limits(0, 2);
        l.max_tracked_clients = 2;
        const auto a = util::IpAddress::v4({192, 0, 2, 1});
        const auto b = util::IpAddress::v4({192, 0, 2, 2});
        const auto c = util::IpAddress::v4({192, 0, 2, 3});
        util::TimePoint now{};
        using V = bosh::ClientLimits::Verdict;
        CHECK(table.admit(a, now, l) == V::Allowed); // a: one token left, full again at 30 s
        CHECK(table.admit(b, now, l) == V::Allowed);
        CHECK(table.admit(b, now, l) == V::Allowed); // b: empty, full again at 60 s
        CHECK(table.admit(b, now, l) == V::TooManyNew);
        now += util::Seconds(1);
        CHECK(table.admit(c, now, l) == V::Allowed); // a (the fullest) is dropped for c
        CHECK(table.tracked() == 2);
        CHECK(table.evictions() == 1);
        CHECK(table.admit(b, now, l) == V::TooManyNew); // b is still remembered
    }

    TEST_CASE("a lower cap after a reload is met at the next new address") {
        test::CaptureLog capture;
        util::Logger log(capture, util::LogLevel::Debug);
        bosh::ClientLimits table(log);
        auto l = limits(0, 60);
        for (std::uint8_t i = 0; i < 10; ++i) {
            table.admit(util::IpAddress::v4({192, 0, 2, i}), {}, l);
        }
        CHECK(table.tracked() == 10);
        l.max_tracked_clients = 3;
        table.admit(util::IpAddress::v4({198, 51, 100, 1}), {}, l);
        CHECK(table.tracked() == 3);
        CHECK(table.evictions() == 8);
    }

    TEST_CASE("open sessions are counted by group and forgotten at zero") {
        test::CaptureLog capture;
        util::Logger log(capture, util::LogLevel::Debug);
        bosh::ClientLimits table(log);
        const auto l = limits(2, 0);
        const auto a1 = util::IpAddress::parse("2001:db8::1").value();
        const auto a2 = util::IpAddress::parse("2001:db8::2").value();
        using V = bosh::ClientLimits::Verdict;
        table.opened(a1);
        CHECK(table.admit(a2, {}, l) == V::Allowed);
        table.opened(a2);
        CHECK(table.admit(a1, {}, l) == V::TooManySessions);
        CHECK(table.open_groups() == 1);
        table.closed(a1);
        CHECK(table.admit(a1, {}, l) == V::Allowed);
        table.closed(a2);
        CHECK(table.open_groups() == 0);
    }
}
