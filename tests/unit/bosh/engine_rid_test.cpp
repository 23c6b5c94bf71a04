// Request ids (XEP-0124 §14): in-order processing, the window, repeats and
// the response cache.
#include "support/engine_harness.h"

#include <doctest/doctest.h>

using namespace boshd;
using test::condition;
using test::Doc;
using test::EngineHarness;
using test::kEmptyBody;
using test::msg;
using test::occurrences;

TEST_SUITE("bosh/engine/rid") {
    TEST_CASE("C124-8-02 C124-14.2-01 an early rid waits for the gap; payloads go in rid order") {
        EngineHarness h;
        h.create(); // rid 1000
        const auto before = h.written();
        const auto r2 = h.send(msg("B"), "", 1002);
        CHECK(h.written() == before); // B is not forwarded before A
        CHECK_FALSE(h.answered(r2));
        const auto r1 = h.send(msg("A"), "", 1001);
        const auto w = h.written();
        REQUIRE(w.find("<body>A</body>") != std::string::npos);
        CHECK(w.find("<body>A</body>") < w.find("<body>B</body>"));
        // hold=1: R1 is released by R2, R2 stays held.
        REQUIRE(h.answered(r1));
        CHECK(h.body(r1).find("<body>") == std::string::npos);
        CHECK_FALSE(h.answered(r2));
        CHECK(h.max_times_answered() <= 1);
    }

    TEST_CASE("C124-8-07 requests are answered in rid order; the early one gets nothing first") {
        EngineHarness h;
        h.create();
        const auto r2 = h.send(msg("B"), "", 1002);
        h.server_send("<message from='a@example.com'><body>push</body></message>");
        CHECK_FALSE(h.answered(r2)); // it may not overtake R1
        const auto r1 = h.send("", "", 1001);
        REQUIRE(h.answered(r1));
        CHECK(h.body(r1).find("<body>push</body>") != std::string::npos);
        CHECK_FALSE(h.answered(r2));
        h.advance_s(60);
        REQUIRE(h.answered(r2));
        CHECK(h.body(r2) == kEmptyBody);
        CHECK(h.max_times_answered() <= 1);
    }

    TEST_CASE("C124-8-02 several early rids are processed in order when the gap fills (hold 2)") {
        EngineHarness h;
        h.create_with({.hold = "2"}); // requests = 3: window (1000, 1003]
        const auto r3 = h.send(msg("C"), "", 1003);
        const auto r2 = h.send(msg("B"), "", 1002);
        CHECK(h.written().find("<body>B</body>") == std::string::npos);
        const auto r1 = h.send(msg("A"), "", 1001);
        const auto w = h.written();
        CHECK(w.find("<body>A</body>") < w.find("<body>B</body>"));
        CHECK(w.find("<body>B</body>") < w.find("<body>C</body>"));
        // Three processed, hold 2: the oldest is released.
        CHECK(h.answered(r1));
        CHECK_FALSE(h.answered(r2));
        CHECK_FALSE(h.answered(r3));
        CHECK(h.max_times_answered() <= 1);
    }

    TEST_CASE("C124-14.2-02 C124-17.2-10 a rid beyond the window: item-not-found, session gone") {
        EngineHarness h;
        h.create();                             // requests = 2, last = 1000: window (1000, 1002]
        const auto held = h.send("", "", 1001); // last = 1001: window (1001, 1003]
        const auto beyond = h.send(msg("X"), "", 1004);
        REQUIRE(h.answered(beyond));
        CHECK(condition(h, beyond) == "item-not-found");
        CHECK(Doc(h.body(beyond)).attr("type") == "terminate");
        CHECK(h.reply(beyond).status == 200);
        REQUIRE(h.answered(held));
        CHECK(condition(h, held) == "other-request");
        CHECK(h.written().find("<body>X</body>") == std::string::npos);
        CHECK(h.engine.session_count() == 0);
        CHECK(h.link_closed());
        const auto after = h.send("", "", 1002);
        REQUIRE(h.answered(after));
        CHECK(condition(h, after) == "item-not-found");
        CHECK(h.max_times_answered() <= 1);
    }

    TEST_CASE("C124-14.2-01 the last rid of the window is accepted") {
        EngineHarness h;
        h.create();
        const auto r2 = h.send("", "", 1002); // last + requests
        CHECK_FALSE(h.answered(r2));
        CHECK(h.engine.session_count() == 1);
    }

    TEST_CASE("C124-14.3-02 C124-14.3-01 a repeated answered rid gets the cached reply and is not "
              "forwarded again") {
        EngineHarness h;
        h.create();
        const auto r1 = h.send(msg("M"));
        h.server_send("<message from='a@example.com'><body>X</body></message>");
        REQUIRE(h.answered(r1));
        const auto again = h.post(h.request_body(1001, msg("M")));
        REQUIRE(h.answered(again));
        CHECK(h.reply_ptr(again) == h.reply_ptr(r1)); // the same object: byte-identical
        CHECK(h.body(again).find("<body>X</body>") != std::string::npos);
        CHECK(occurrences(h.written(), "<body>M</body>") == 1);
        CHECK(h.engine.counters().rid_repeats == 1);
        // The session goes on.
        const auto r2 = h.send();
        CHECK_FALSE(h.answered(r2));
        CHECK(h.engine.session_count() == 1);
        CHECK(h.max_times_answered() <= 1);
    }

    TEST_CASE("C124-14.3-02 the creation reply is replayed too") {
        EngineHarness h;
        h.create();
        const auto again = h.post(h.request_body(1000));
        REQUIRE(h.answered(again));
        CHECK(h.reply_ptr(again) == h.reply_ptr(h.creation_request));
    }

    TEST_CASE("C124-14.3-03 C124-17.3-01 a repeat of a held rid: the old gets type=error, the new "
              "is held and gets the data") {
        EngineHarness h;
        h.create();
        const auto r1 = h.send();
        const auto r1b = h.post(h.request_body(1001));
        REQUIRE(h.answered(r1));
        CHECK(h.body(r1) == "<body xmlns='http://jabber.org/protocol/httpbind' type='error'/>");
        CHECK(h.reply(r1).status == 200);
        CHECK_FALSE(h.answered(r1b));
        h.server_send("<message from='a@example.com'><body>later</body></message>");
        REQUIRE(h.answered(r1b));
        CHECK(h.body(r1b).find("<body>later</body>") != std::string::npos);
        // The session continues, and a later repeat gets r1b's reply, not the error.
        const auto r2 = h.send();
        CHECK_FALSE(h.answered(r2));
        const auto r1c = h.post(h.request_body(1001));
        REQUIRE(h.answered(r1c));
        CHECK(h.reply_ptr(r1c) == h.reply_ptr(r1b));
        CHECK(h.max_times_answered() <= 1);
    }

    TEST_CASE("C124-14.3-03 the new connection of a held repeat gets a fresh wait") {
        EngineHarness h;
        h.create();
        const auto r1 = h.send();
        h.advance_s(40);
        const auto r1b = h.post(h.request_body(1001));
        REQUIRE(h.answered(r1));
        h.advance_s(59);
        CHECK_FALSE(h.answered(r1b));
        h.advance_s(1);
        REQUIRE(h.answered(r1b));
        CHECK(h.body(r1b) == kEmptyBody);
    }

    TEST_CASE("C124-14.3-03 a repeat of a parked (early) rid replaces the old connection") {
        EngineHarness h;
        h.create();
        const auto r2 = h.send(msg("B"), "", 1002);
        const auto r2b = h.post(h.request_body(1002, msg("B")));
        REQUIRE(h.answered(r2));
        CHECK(Doc(h.body(r2)).attr("type") == "error");
        CHECK_FALSE(h.answered(r2b));
        h.send(msg("A"), "", 1001);
        CHECK(occurrences(h.written(), "<body>B</body>") == 1);
        h.advance_s(60);
        REQUIRE(h.answered(r2b));
        CHECK(h.body(r2b) == kEmptyBody);
        CHECK(h.max_times_answered() <= 1);
    }

    TEST_CASE("C124-14.3-01 C124-14.3-06 the cache holds `requests` replies; older is "
              "item-not-found") {
        EngineHarness h;
        h.create(); // requests = 2
        std::vector<bosh::RequestId> ids;
        for (int i = 0; i < 3; ++i) {
            ids.push_back(h.send(msg(std::to_string(i)))); // each releases the previous
        }
        h.advance_s(60);
        REQUIRE(h.answered(ids[2]));
        // 1002 and 1003 are cached, 1001 no longer.
        const auto again3 = h.post(h.request_body(1003));
        CHECK(h.reply_ptr(again3) == h.reply_ptr(ids[2]));
        const auto again2 = h.post(h.request_body(1002));
        CHECK(h.reply_ptr(again2) == h.reply_ptr(ids[1]));
        const auto again1 = h.post(h.request_body(1001));
        REQUIRE(h.answered(again1));
        CHECK(condition(h, again1) == "item-not-found");
        CHECK(h.engine.session_count() == 0);
        CHECK(h.max_times_answered() <= 1);
    }

    TEST_CASE("C124-14.3-06 C124-17.1-02 a repeat beyond the cache is 404 for legacy clients") {
        EngineHarness h;
        h.create_with({.ver = {}});
        for (int i = 0; i < 3; ++i) {
            h.send(msg(std::to_string(i)));
        }
        h.advance_s(60); // 1003 answered: the cache is {1002, 1003}
        const auto again1 = h.post(h.request_body(1001));
        REQUIRE(h.answered(again1));
        CHECK(condition(h, again1) == "item-not-found");
        CHECK(h.reply(again1).status == 404);
    }

    TEST_CASE("C124-14.3-07 too-high and too-low rids get an identical error") {
        auto scenario = [](bool high) {
            EngineHarness h;
            h.create();
            for (int i = 0; i < 3; ++i) {
                h.send(msg(std::to_string(i)));
            }
            h.advance_s(60);
            // last = 1003, window (1003, 1005]; cache {1002, 1003}.
            const auto id = h.post(h.request_body(high ? 1006 : 1001));
            REQUIRE(h.answered(id));
            return h.reply(id);
        };
        const auto high = scenario(true);
        const auto low = scenario(false);
        CHECK(high.body == low.body);
        CHECK(high.status == low.status);
        CHECK(high.content_type == low.content_type);
        CHECK(Doc(high.body).attr("condition") == "item-not-found");
    }

    TEST_CASE("C124-14.1-01 rids up to 2^53-1 are handled with 64-bit arithmetic") {
        EngineHarness h;
        const std::uint64_t base = 9007199254740000ULL;
        h.create_with({.rid = base});
        for (std::uint64_t k = 1; k <= 5; ++k) {
            const auto r = h.send(msg("n" + std::to_string(k)));
            CHECK_FALSE(h.answered(r)); // held, session alive
            CHECK(h.engine.session_count() == 1);
        }
        CHECK(h.written().find("<body>n5</body>") != std::string::npos);
        CHECK(h.last_rid == base + 5);
        // Up to the very last valid rid.
        EngineHarness top;
        top.create_with({.rid = 9007199254740990ULL});
        const auto last = top.send(msg("last")); // 9007199254740991 = 2^53 - 1
        CHECK(top.engine.session_count() == 1);
        CHECK_FALSE(top.answered(last));
        CHECK(top.written().find("<body>last</body>") != std::string::npos);
    }

    TEST_CASE("C124-14.1-01 rids past 2^32 increment correctly") {
        EngineHarness h;
        h.create_with({.rid = 4294967295ULL});
        const auto a = h.send(msg("a")); // 2^32
        const auto b = h.send(msg("b")); // 2^32 + 1, releases a
        CHECK(h.answered(a));
        CHECK_FALSE(h.answered(b));
        // A 32-bit truncation would see 0 and 1 here.
        const auto again = h.post(h.request_body(4294967296ULL));
        CHECK(h.reply_ptr(again) == h.reply_ptr(a));
        const auto wrap = h.post(h.request_body(1));
        REQUIRE(h.answered(wrap));
        CHECK(condition(h, wrap) == "item-not-found");
    }

    TEST_CASE("a rid gap never filled within 2 x wait: item-not-found") {
        EngineHarness h;
        h.create(); // wait 60
        const auto r2 = h.send(msg("B"), "", 1002);
        h.advance_s(119);
        CHECK_FALSE(h.answered(r2));
        CHECK(h.engine.session_count() == 1); // inactivity does not run while it waits
        h.advance_s(1);
        REQUIRE(h.answered(r2));
        CHECK(condition(h, r2) == "item-not-found");
        CHECK(h.engine.session_count() == 0);
        CHECK(h.written().find("<body>B</body>") == std::string::npos);
        CHECK(h.link_closed());
    }

    TEST_CASE("C124-12-04 a gap in a wait=0 session waits up to the inactivity period") {
        EngineHarness h;
        h.create_with({.rid = 1000, .wait = "0"}); // polling session: inactivity 30 + 2 x 2
        const auto r2 = h.send(msg("B"), "", 1002);
        h.advance_s(20);
        CHECK_FALSE(h.answered(r2)); // not item-not-found at once, although 2 x wait is 0
        const auto r1 = h.send(msg("A"), "", 1001);
        REQUIRE(h.answered(r1));
        REQUIRE(h.answered(r2));
        CHECK(condition(h, r1).empty());
        CHECK(condition(h, r2).empty());
        const auto w = h.written();
        CHECK(w.find("<body>A</body>") < w.find("<body>B</body>"));
        const auto r4 = h.send(msg("D"), "", 1004);
        h.advance_s(34);
        REQUIRE(h.answered(r4));
        CHECK(condition(h, r4) == "item-not-found");
    }

    TEST_CASE("a parked request whose client went away keeps its payload for the gap") {
        EngineHarness h;
        h.create();
        const auto r2 = h.send(msg("B"), "", 1002);
        h.abort(r2);
        CHECK_FALSE(h.answered(r2));
        const auto r1 = h.send(msg("A"), "", 1001);
        const auto w = h.written();
        REQUIRE(w.find("<body>B</body>") != std::string::npos);
        CHECK(w.find("<body>A</body>") < w.find("<body>B</body>"));
        // R2 was answered into the cache (empty), R1 is held.
        CHECK(h.times_answered(r2) == 1);
        CHECK_FALSE(h.answered(r1));
        const auto r2b = h.post(h.request_body(1002));
        REQUIRE(h.answered(r2b));
        CHECK(h.reply_ptr(r2b) == h.reply_ptr(r2));
        CHECK(h.max_times_answered() <= 1);
    }

    TEST_CASE("C124-17.3-02 after type=error the resent request is processed exactly once") {
        EngineHarness h;
        h.create();
        const auto r1 = h.send(msg("once"));
        const auto r1b = h.post(h.request_body(1001, msg("once")));
        REQUIRE(h.answered(r1));
        CHECK(Doc(h.body(r1)).attr("type") == "error");
        CHECK(occurrences(h.written(), "<body>once</body>") == 1);
        h.advance_s(60);
        REQUIRE(h.answered(r1b));
        CHECK(h.body(r1b) == kEmptyBody);
    }
}
