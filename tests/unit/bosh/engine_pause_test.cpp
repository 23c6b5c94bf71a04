// Pausing a session: XEP-0124 §10 (maxpause, pause, the temporary inactivity).
#include "support/engine_harness.h"

#include <doctest/doctest.h>

using namespace boshd;
using test::condition;
using test::Doc;
using test::EngineHarness;
using test::kEmptyBody;
using test::msg;

namespace {

constexpr const char* kPush = "<message from='a@example.com'><body>push</body></message>";

} // namespace

TEST_SUITE("bosh/engine/pause") {
    TEST_CASE("C124-7.2-16 maxpause is advertised on the creation reply only") {
        EngineHarness h; // max_pause 120 by default
        h.create();
        CHECK(Doc(h.body(h.creation_request)).attr("maxpause") == "120");
        const auto r1 = h.send();
        h.advance_s(60);
        CHECK_FALSE(Doc(h.body(r1)).has("maxpause"));
    }

    TEST_CASE("C124-7.2-16 max_pause 0: no maxpause, and pause is an ordinary attribute") {
        auto limits = EngineHarness::default_limits();
        limits.max_pause = util::Seconds(0);
        EngineHarness h(limits);
        h.create();
        CHECK_FALSE(Doc(h.body(h.creation_request)).has("maxpause"));
        const auto r1 = h.send(msg("x"), "pause='60'");
        CHECK_FALSE(h.answered(r1)); // held as usual, not answered at once
        h.advance_s(31);             // held: no inactivity, and no pause inactivity either
        CHECK(h.engine.session_count() == 1);
    }

    TEST_CASE("C124-10-06 C124-11-04 pause answers the held request and itself at once") {
        EngineHarness h; // inactivity 30, polling 2
        h.create();
        const auto r1 = h.send();
        // Empty and within `polling` of r1: a pause is not overactivity.
        const auto r2 = h.send("", "pause='60'");
        REQUIRE(h.answered(r1));
        REQUIRE(h.answered(r2));
        CHECK(h.body(r1).find("type=") == std::string::npos);
        CHECK(Doc(h.body(r2)).children().empty());
        CHECK_FALSE(Doc(h.body(r2)).has("type"));
        // Idle longer than inactivity but shorter than the pause: still alive.
        h.advance_s(35);
        CHECK(h.engine.session_count() == 1);
        const auto r3 = h.send(msg("back"));
        CHECK(h.written().find("back") != std::string::npos);
        CHECK_FALSE(h.answered(r3));
    }

    TEST_CASE("C124-10-06 the pause value bounds the idle time") {
        EngineHarness h;
        h.create();
        h.send("", "pause='60'");
        h.advance_s(59);
        CHECK(h.engine.session_count() == 1);
        h.advance_s(1);
        CHECK(h.engine.session_count() == 0);
        CHECK(h.capture.count("session.expired") == 1);
    }

    TEST_CASE("C124-10-06 hold=2: every held request is answered, empty") {
        EngineHarness h;
        h.create_with({.hold = "2"});
        const auto r1 = h.send();
        const auto r2 = h.send(msg("a"));
        const auto r3 = h.send("", "pause='30'");
        for (auto id : {r1, r2, r3}) {
            REQUIRE(h.answered(id));
            CHECK(Doc(h.body(id)).children().empty());
            CHECK_FALSE(Doc(h.body(id)).has("type"));
        }
        CHECK(h.max_times_answered() == 1);
    }

    TEST_CASE("C124-10-07 the pause reply carries no payload; queued data waits") {
        EngineHarness h;
        h.create();
        h.server_send(kPush); // nothing held: queued
        const auto r1 = h.send("", "pause='60'");
        REQUIRE(h.answered(r1));
        CHECK(h.body(r1) == kEmptyBody);
        h.advance_s(40);
        const auto r2 = h.send(); // the next request gets it at once
        REQUIRE(h.answered(r2));
        CHECK(h.body(r2).find("<body>push</body>") != std::string::npos);
    }

    TEST_CASE("C124-10-08 the next request restores the normal inactivity") {
        EngineHarness h;
        h.create();
        h.send("", "pause='120'");
        h.advance_s(50);
        const auto r2 = h.send();
        h.advance_s(60); // r2 answered at wait expiry
        REQUIRE(h.answered(r2));
        h.advance_s(29);
        CHECK(h.engine.session_count() == 1);
        h.advance_s(1); // 30 s, the normal inactivity, not the pause's 120
        CHECK(h.engine.session_count() == 0);
        const auto r3 = h.send();
        CHECK(condition(h, r3) == "item-not-found");
    }

    TEST_CASE("C124-10-09 a pause below inactivity shortens it") {
        EngineHarness h; // inactivity 30
        h.create();
        h.send("", "pause='2'");
        h.advance_s(4);
        CHECK(h.engine.session_count() == 0);
        const auto r2 = h.send();
        CHECK(condition(h, r2) == "item-not-found");
    }

    TEST_CASE("C124-7.2-16 a pause over maxpause: policy-violation, logged once") {
        EngineHarness h;
        h.create();
        const auto r1 = h.send();
        const auto r2 = h.send(msg("not forwarded"), "pause='121'");
        REQUIRE(h.answered(r2));
        CHECK(condition(h, r2) == "policy-violation");
        CHECK(condition(h, r1) == "other-request");
        CHECK(h.written().find("not forwarded") == std::string::npos);
        CHECK(h.engine.session_count() == 0);
        CHECK(h.capture.count("pause over maxpause") == 1);
    }

    TEST_CASE("C124-10-06 pause = maxpause is accepted") {
        EngineHarness h;
        h.create();
        const auto r1 = h.send("", "pause='120'");
        REQUIRE(h.answered(r1));
        CHECK(h.body(r1) == kEmptyBody);
        CHECK(h.engine.session_count() == 1);
    }

    TEST_CASE("C124-14.3-08 a pause reply is not replayed; a resend gets a fresh empty body") {
        EngineHarness h;
        h.create();
        h.server_send(kPush); // queued: the creation reply is out, nothing held
        const auto r1 = h.send("", "pause='60'");
        REQUIRE(h.answered(r1));
        const auto again = h.send("", "pause='60'", h.last_rid);
        REQUIRE(h.answered(again));
        // §A-6: not the pause reply, not item-not-found, nothing queued.
        CHECK(h.reply_ptr(again) != h.reply_ptr(r1));
        CHECK_FALSE(Doc(h.body(again)).has("type"));
        CHECK(Doc(h.body(again)).children().empty());
        // The session lives on, still paused (C124-10-06).
        h.advance_s(45);
        CHECK(h.engine.session_count() == 1);
        const auto r2 = h.send();
        REQUIRE(h.answered(r2));
        CHECK(h.body(r2).find("push") != std::string::npos);
    }

    TEST_CASE("C124-11-02 a pause may be the one request beyond `requests`") {
        EngineHarness h;
        h.create(); // requests = 2
        const auto r1 = h.send();
        const auto r3 = h.send("", "pause='60'", 1003);
        CHECK_FALSE(h.answered(r3));
        const auto r2 = h.send(msg("2"), "", 1002); // three outstanding, the newest pauses
        for (auto id : {r1, r2, r3}) {
            REQUIRE(h.answered(id));
            CHECK_FALSE(Doc(h.body(id)).has("type"));
        }
        CHECK(h.written().find("<body>2</body>") != std::string::npos);
        CHECK(h.engine.session_count() == 1);
        CHECK(h.max_times_answered() == 1);
    }
}
