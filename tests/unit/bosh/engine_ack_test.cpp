// Response acknowledgements: XEP-0124 §9.2 (the client's `ack`, reports, and
// the responses kept until acknowledged). Request acks (§9.1) are in
// engine_hold_test.cpp.
#include "support/engine_harness.h"

#include <doctest/doctest.h>

using namespace boshd;
using test::condition;
using test::Doc;
using test::EngineHarness;
using test::msg;

namespace {

// A stanza from the server of about |n| bytes.
std::string big_push(std::size_t n) {
    return "<message from='a@example.com'><body>" + std::string(n, 'x') + "</body></message>";
}

} // namespace

TEST_SUITE("bosh/engine/ack") {
    TEST_CASE("C124-9.2-01 C124-9.2-02 an ack below the last answered rid gets a report") {
        EngineHarness h;
        h.create("ack='1'"); // rid 1000
        const auto r1 = h.send();
        h.advance_s(60); // r1 (1001) answered at wait expiry: t0
        REQUIRE(h.answered(r1));
        h.advance_ms(3250);
        // The client never got 1001's reply: it still acks 1000.
        const auto r2 = h.send(msg("two"), "ack='1000'");
        REQUIRE(h.answered(r2)); // at once, not held
        const Doc d(h.body(r2));
        CHECK(d.attr("report") == "1001");
        CHECK(d.attr("time") == "3250");
        CHECK(d.children().empty());
        CHECK_FALSE(d.has("type"));
        CHECK(h.written().find("<body>two</body>") != std::string::npos); // still processed
        // The missing reply is still there for the resend the report invites.
        const auto again = h.send("", "", 1001);
        CHECK(h.reply_ptr(again) == h.reply_ptr(r1));
        CHECK(h.capture.count("request.report") == 1);
    }

    TEST_CASE("C124-8-07 C124-9.2-01 a report goes on the oldest held request, in rid order") {
        EngineHarness h;     // hold=1
        h.create("ack='1'"); // rid 1000
        const auto r1 = h.send("", "ack='1000'");
        const auto r2 = h.send(msg("two"), "ack='1000'"); // releases r1: the client loses it
        REQUIRE(h.answered(r1));
        REQUIRE_FALSE(h.answered(r2));
        h.advance_s(3); // past `polling`
        const auto r3 = h.send("", "ack='1000'");
        // 1002 is answered first, carrying the report; 1003 is held.
        REQUIRE(h.answered(r2));
        CHECK(Doc(h.body(r2)).attr("report") == "1001");
        CHECK_FALSE(h.answered(r3));
        h.advance_s(60);
        REQUIRE(h.answered(r3));
        CHECK_FALSE(Doc(h.body(r3)).has("report"));
    }

    TEST_CASE("C124-9.2-01 a missing rid is reported once per session") {
        EngineHarness h;
        h.create("ack='1'");
        const auto r1 = h.send();
        h.advance_s(60);
        REQUIRE(h.answered(r1));
        const auto r2 = h.send("", "ack='1000'");
        REQUIRE(h.answered(r2));
        CHECK(Doc(h.body(r2)).attr("report") == "1001");
        h.advance_s(3);
        // The ack is stuck: no second report, the request is held as usual.
        const auto r3 = h.send("", "ack='1000'");
        CHECK_FALSE(h.answered(r3));
        h.advance_s(60);
        REQUIRE(h.answered(r3));
        CHECK_FALSE(Doc(h.body(r3)).has("report"));
        CHECK(h.capture.count("request.report") == 1);
    }

    TEST_CASE("C124-9.2-02 time is capped at 65535 ms") {
        auto limits = EngineHarness::default_limits();
        limits.inactivity = util::Seconds(300);
        EngineHarness h(limits);
        h.create("ack='1'");
        h.send();
        h.advance_s(60);
        h.advance_s(70);
        const auto r2 = h.send("", "ack='1000'");
        REQUIRE(h.answered(r2));
        CHECK(Doc(h.body(r2)).attr("report") == "1001");
        CHECK(Doc(h.body(r2)).attr("time") == "65535");
    }

    TEST_CASE("C124-9.2-01 an ack that is up to date: no report, the request is held") {
        EngineHarness h;
        h.create("ack='1'");
        const auto r1 = h.send(msg("1"), "ack='1000'");
        const auto r2 = h.send(msg("2"), "ack='1000'"); // 1001 is still held: nothing was lost
        REQUIRE(h.answered(r1));
        CHECK_FALSE(Doc(h.body(r1)).has("report"));
        CHECK_FALSE(h.answered(r2));
        const auto r3 = h.send(msg("3"), "ack='1001'");
        CHECK_FALSE(h.answered(r3));
        REQUIRE(h.answered(r2));
        CHECK_FALSE(Doc(h.body(r2)).has("report"));
    }

    TEST_CASE("C124-9.2-01 a client that did not ask for acks gets no report") {
        EngineHarness h;
        h.create(); // no ack='1'
        h.send();
        h.advance_s(60);
        const auto r2 = h.send("", "ack='1000'");
        CHECK_FALSE(h.answered(r2));
    }

    TEST_CASE("C124-9.2-03 unacknowledged responses are all kept, beyond `requests`") {
        for (const bool client_acks : {true, false}) {
            CAPTURE(client_acks);
            EngineHarness h; // hold=1, requests=2: the cache normally keeps two replies
            h.create(client_acks ? "ack='1'" : "");
            const auto r1 = h.send("", "ack='1000'");
            h.advance_s(60);
            for (int i = 0; i < 3; ++i) {
                h.send("", "ack='1000'");
                h.advance_s(5); // under inactivity: reports leave nothing held
            }
            const auto again = h.send("", "ack='1000'", 1001);
            REQUIRE(h.answered(again));
            if (client_acks) {
                CHECK(h.reply_ptr(again) == h.reply_ptr(r1));
            } else {
                CHECK(condition(h, again) == "item-not-found"); // C124-14.3-06
            }
        }
    }

    TEST_CASE("C124-9.2-03 an acknowledged response is forgotten") {
        EngineHarness h;
        h.create("ack='1'");
        const auto r1 = h.send();
        h.advance_s(60);
        REQUIRE(h.answered(r1));
        h.send("", "ack='1001'");
        const auto again = h.send("", "", 1001);
        REQUIRE(h.answered(again));
        CHECK(condition(h, again) == "item-not-found");
    }

    TEST_CASE("C124-9.2-03 no ack attribute acknowledges every earlier response") {
        EngineHarness h;
        h.create("ack='1'");
        h.send();
        h.advance_s(60);
        h.send(); // the client has every reply so far, and says so by omission
        const auto again = h.send("", "", 1001);
        CHECK(condition(h, again) == "item-not-found");
    }

    TEST_CASE("C124-9.2-03 unacknowledged responses are bounded by max_client_queue") {
        auto limits = EngineHarness::default_limits();
        limits.max_client_queue = 4096;
        EngineHarness h(limits);
        h.create("ack='1'");
        const auto r1 = h.send();
        h.server_send(big_push(3000));
        REQUIRE(h.answered(r1));
        // The client keeps acking 1000 and never the 3 KB reply: each request
        // adds a report to what must be kept, until the bound.
        bool ended = false;
        int sent = 0;
        while (!ended && sent < 100) {
            const auto r = h.send("", "ack='1000'");
            ++sent;
            if (!h.answered(r)) {
                h.advance_s(60); // reported once: later ones are held until `wait`
            }
            REQUIRE(h.answered(r));
            ended = condition(h, r) == "policy-violation";
        }
        CHECK(ended);
        CHECK(sent > 2);
        CHECK(h.engine.session_count() == 0);
        CHECK(h.capture.count("unacknowledged responses over session.max_client_queue") == 1);
    }

    TEST_CASE("C124-9.2-03 unacknowledged responses are bounded in number too") {
        auto limits = EngineHarness::default_limits();
        limits.max_unacked_responses = 16;
        limits.inactivity = util::Seconds(3600);
        EngineHarness h(limits);
        h.create("ack='1'");
        // Tiny replies, never acknowledged: far below max_client_queue in
        // bytes, but not in number.
        bool ended = false;
        int sent = 0;
        while (!ended && sent < 100) {
            const auto r = h.send("", "ack='1000'");
            ++sent;
            h.advance_s(61);
            REQUIRE(h.answered(r));
            ended = condition(h, r) == "policy-violation";
        }
        CHECK(ended);
        CHECK(sent == 18); // 16 kept + the one answered since the last check
        CHECK(h.capture.count("unacknowledged responses over session.max_unacked_responses") == 1);
    }

    TEST_CASE("C124-9.1-02 the creation reply's ack is the creation rid, also for acking clients") {
        EngineHarness h;
        h.create("ack='1'");
        CHECK(Doc(h.body(h.creation_request)).attr("ack") == "1000");
    }
}
