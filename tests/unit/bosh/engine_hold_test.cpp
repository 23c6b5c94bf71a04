// Holding requests, wait, inactivity, overactivity, polling sessions and
// request acknowledgements: XEP-0124 §8 to §12.
#include "support/engine_harness.h"

#include <doctest/doctest.h>

using namespace boshd;
using test::condition;
using test::Doc;
using test::EngineHarness;
using test::kEmptyBody;
using test::msg;
using test::occurrences;

namespace {

constexpr const char* kPush = "<message from='a@example.com'><body>push</body></message>";

// A hold=0 (polling) session with the creation reply out.
void create_polling(EngineHarness& h, const EngineHarness::CreateOpts& base = {}) {
    auto o = base;
    o.hold = "0";
    h.create_with(o);
}

} // namespace

TEST_SUITE("bosh/engine/hold") {
    TEST_CASE("C124-8-04 C124-8-05 C124-8-08 an empty request is held for wait, then EMPTY") {
        EngineHarness h;
        h.create();
        const auto r1 = h.send();
        h.advance_s(59);
        CHECK_FALSE(h.answered(r1));
        h.advance_s(1);
        REQUIRE(h.answered(r1));
        CHECK(h.body(r1) == kEmptyBody);
        CHECK(h.reply(r1).status == 200);
    }

    TEST_CASE("C124-8-11 C124-8-01 a request with payload is held by the same rules") {
        EngineHarness h;
        h.create();
        const auto r1 = h.send(msg("hi"));
        CHECK(h.written().find("<body>hi</body>") != std::string::npos); // forwarded at once
        h.advance_s(59);
        CHECK_FALSE(h.answered(r1));
        h.advance_s(1);
        REQUIRE(h.answered(r1));
        CHECK(h.body(r1) == kEmptyBody);
    }

    TEST_CASE("C124-8-06 hold=1: a new request releases the held one at once, empty") {
        EngineHarness h;
        h.create();
        const auto r1 = h.send();
        h.advance_s(10);
        const auto r2 = h.send(msg("x"));
        REQUIRE(h.answered(r1));
        CHECK(h.body(r1) == "<body xmlns='http://jabber.org/protocol/httpbind' ack='1002'/>");
        CHECK_FALSE(h.answered(r2));
        h.advance_s(60);
        REQUIRE(h.answered(r2));
        CHECK(h.max_times_answered() <= 1);
    }

    TEST_CASE("C124-8-06 hold=2: two are held, a third releases the oldest only") {
        EngineHarness h;
        h.create_with({.hold = "2"});
        const auto r1 = h.send();
        const auto r2 = h.send(msg("a"));
        CHECK_FALSE(h.answered(r1));
        CHECK_FALSE(h.answered(r2));
        const auto r3 = h.send(msg("b"));
        CHECK(h.answered(r1));
        CHECK_FALSE(h.answered(r2));
        CHECK_FALSE(h.answered(r3));
        // Data goes to the oldest held request.
        h.server_send(kPush);
        REQUIRE(h.answered(r2));
        CHECK(h.body(r2).find("<body>push</body>") != std::string::npos);
        CHECK_FALSE(h.answered(r3));
        CHECK(h.max_times_answered() <= 1);
    }

    TEST_CASE("C124-8-05 hold=2: each held request expires at its own wait, in rid order") {
        EngineHarness h;
        h.create_with({.hold = "2"});
        const auto r1 = h.send();
        h.advance_s(10);
        const auto r2 = h.send();
        h.advance_s(50);
        CHECK(h.answered(r1));
        CHECK_FALSE(h.answered(r2));
        h.advance_s(10);
        CHECK(h.answered(r2));
    }

    TEST_CASE("C124-8-09 data for a held request goes out at once") {
        EngineHarness h;
        h.create();
        const auto r1 = h.send();
        h.advance_s(2);
        h.server_send(kPush);
        REQUIRE(h.answered(r1));
        const Doc d(h.body(r1));
        CHECK(d.children() == std::vector<std::string>{"message"});
        CHECK(h.engine.counters().stanzas_to_client == 2); // features + message
    }

    TEST_CASE("C124-8-10 data queued while nothing is held goes out on the next request") {
        EngineHarness h;
        h.create();
        h.server_send("<message from='a@example.com'><body>one</body></message>");
        h.server_send("<message from='a@example.com'><body>two</body></message>");
        h.advance_s(5);
        const auto r1 = h.send();
        REQUIRE(h.answered(r1));
        const auto& b = h.body(r1);
        CHECK(b.find("<body>one</body>") < b.find("<body>two</body>"));
        CHECK(b.find("<body>two</body>") != std::string::npos);
        // Nothing left over for the next one.
        const auto r2 = h.send();
        h.advance_s(60);
        CHECK(h.body(r2) == kEmptyBody);
    }

    TEST_CASE("C124-10-01 C124-10-02 inactivity ends the session silently") {
        EngineHarness h;
        h.create(); // inactivity 30, nothing held from now on
        const auto before = h.responses();
        h.advance_s(29);
        CHECK(h.engine.session_count() == 1);
        CHECK_FALSE(h.link_closed());
        h.advance_s(1);
        CHECK(h.engine.session_count() == 0);
        CHECK(h.responses() == before); // nothing to the client
        CHECK(h.link_closed());
        const auto w = h.written();
        CHECK(w.substr(w.size() - 16) == "</stream:stream>");
        CHECK(h.engine.counters().sessions_expired == 1);
        const auto r1 = h.send();
        REQUIRE(h.answered(r1));
        CHECK(condition(h, r1) == "item-not-found");
    }

    TEST_CASE("C124-10-01 inactivity counts from the last reply") {
        EngineHarness h;
        h.create();
        h.advance_s(20);
        const auto r1 = h.send();
        h.advance_s(60); // answered at 80
        REQUIRE(h.answered(r1));
        h.advance_s(29);
        CHECK(h.engine.session_count() == 1);
        h.advance_s(1);
        CHECK(h.engine.session_count() == 0);
    }

    TEST_CASE("C124-10-03 the inactivity clock does not run while a request is held") {
        EngineHarness h;
        h.create(); // wait 60 > inactivity 30
        const auto r1 = h.send();
        h.advance_s(60);
        REQUIRE(h.answered(r1));
        CHECK(h.body(r1) == kEmptyBody);
        CHECK(h.engine.session_count() == 1);
        const auto r2 = h.send(msg("still here"));
        CHECK(h.written().find("still here") != std::string::npos);
        CHECK_FALSE(h.answered(r2));
    }

    TEST_CASE("C124-12-04 polling sessions (hold=0 or wait=0) are answered at once") {
        SUBCASE("hold=0") {
            EngineHarness h;
            create_polling(h);
            const auto r1 = h.send();
            REQUIRE(h.answered(r1));
            CHECK(h.body(r1) == kEmptyBody);
        }
        SUBCASE("wait=0") {
            EngineHarness h;
            h.create_with({.wait = "0"});
            const auto r1 = h.send(msg("x"));
            REQUIRE(h.answered(r1));
            CHECK(h.body(r1) == kEmptyBody);
        }
    }

    TEST_CASE("C124-12-02 polling sessions expire after inactivity + 2*polling") {
        EngineHarness h;
        create_polling(h); // advertised 34
        h.advance_s(33);
        CHECK(h.engine.session_count() == 1);
        h.advance_s(1);
        CHECK(h.engine.session_count() == 0);
    }

    TEST_CASE("C124-11-01 C124-17.2-11 too many simultaneous requests: policy-violation") {
        EngineHarness h;
        h.create_with({.hold = "2"}); // requests = 3
        const auto r1 = h.send(msg("1"));
        const auto r2 = h.send(msg("2"));
        const auto r4 = h.send(msg("4"), "", 1004); // parked behind the missing 1003
        CHECK(h.engine.session_count() == 1);
        const auto r5 = h.send(msg("5"), "", 1005); // four outstanding, none answered
        REQUIRE(h.answered(r5));
        CHECK(condition(h, r5) == "policy-violation");
        CHECK(h.reply(r5).status == 200);
        for (auto id : {r1, r2, r4}) {
            REQUIRE(h.answered(id));
            CHECK(condition(h, id) == "other-request");
        }
        CHECK(h.engine.session_count() == 0);
        CHECK(h.written().find("<body>5</body>") == std::string::npos);
        CHECK(h.written().find("<body>4</body>") == std::string::npos);
        CHECK(h.max_times_answered() <= 1);
    }

    TEST_CASE("C124-11-01 a request filling a gap behind a parked one counts too (hold=1)") {
        EngineHarness h;
        h.create(); // requests = 2
        const auto r1 = h.send();
        const auto r3 = h.send(msg("3"), "", 1003);
        const auto r2 = h.send(msg("2"), "", 1002); // R1, R2, R3 outstanding
        REQUIRE(h.answered(r2));
        CHECK(condition(h, r2) == "policy-violation");
        CHECK(condition(h, r1) == "other-request");
        CHECK(condition(h, r3) == "other-request");
    }

    TEST_CASE("C124-11-02 one extra request is allowed when the newest one terminates") {
        EngineHarness h;
        h.create(); // requests = 2
        const auto r1 = h.send();
        const auto r3 = h.send("<presence xmlns='jabber:client' type='unavailable'/>",
                               "type='terminate'", 1003);
        CHECK_FALSE(h.answered(r3));
        const auto r2 = h.send(msg("2"), "", 1002); // three outstanding, the last terminates
        for (auto id : {r1, r2, r3}) {
            REQUIRE(h.answered(id));
            CHECK_FALSE(Doc(h.body(id)).has("condition"));
        }
        CHECK(Doc(h.body(r1)).attr("type") == "terminate");
        CHECK(h.body(r2) == kEmptyBody);
        CHECK(h.body(r3) == kEmptyBody);
        const auto w = h.written();
        CHECK(w.find("<body>2</body>") < w.find("type='unavailable'"));
        CHECK(w.find("type='unavailable'") < w.find("</stream:stream>"));
        CHECK(h.max_times_answered() <= 1);
    }

    TEST_CASE("C124-11-02 an extra terminate request arriving last is not overactivity") {
        EngineHarness h;
        h.create_with({.hold = "2"}); // requests = 3
        h.send(msg("1"));
        h.send(msg("2"));
        const auto r4 = h.send(msg("4"), "", 1004);
        const auto r5 = h.send("", "type='terminate'", 1005);
        CHECK_FALSE(h.answered(r4));
        CHECK_FALSE(h.answered(r5));
        CHECK(h.engine.session_count() == 1);
    }

    TEST_CASE("C124-11-04 empty requests too frequent: policy-violation") {
        EngineHarness h;
        h.create(); // requests = 2, polling 2
        const auto r1 = h.send();
        h.advance_ms(100);
        const auto r2 = h.send();
        REQUIRE(h.answered(r2));
        CHECK(condition(h, r2) == "policy-violation");
        CHECK(h.reply(r2).status == 200);
        REQUIRE(h.answered(r1));
        CHECK(condition(h, r1) == "other-request");
        const auto r3 = h.send();
        CHECK(condition(h, r3) == "item-not-found");
    }

    TEST_CASE("C124-11-04 boundary: 1.999 s apart is too soon, 2 s is not") {
        SUBCASE("1999 ms") {
            EngineHarness h;
            h.create();
            h.send();
            h.advance_ms(1999);
            const auto r2 = h.send();
            REQUIRE(h.answered(r2));
            CHECK(condition(h, r2) == "policy-violation");
        }
        SUBCASE("2000 ms") {
            EngineHarness h;
            h.create();
            const auto r1 = h.send();
            h.advance_ms(2000);
            const auto r2 = h.send();
            REQUIRE(h.answered(r1));
            CHECK(h.body(r1) == "<body xmlns='http://jabber.org/protocol/httpbind' ack='1002'/>");
            CHECK_FALSE(h.answered(r2));
        }
    }

    TEST_CASE("C124-11-04 controls: a payload, or a long enough gap, is not overactivity") {
        SUBCASE("R2 carries a payload") {
            EngineHarness h;
            h.create();
            const auto r1 = h.send();
            h.advance_ms(100);
            const auto r2 = h.send(msg("x"));
            REQUIRE(h.answered(r1));
            CHECK_FALSE(Doc(h.body(r1)).has("type"));
            CHECK_FALSE(h.answered(r2));
        }
        SUBCASE("R2 after more than polling") {
            EngineHarness h;
            h.create();
            const auto r1 = h.send();
            h.advance_s(3);
            const auto r2 = h.send();
            REQUIRE(h.answered(r1));
            CHECK_FALSE(Doc(h.body(r1)).has("type"));
            CHECK_FALSE(h.answered(r2));
        }
        SUBCASE("a repeat of a held rid is not a new request") {
            EngineHarness h;
            h.create();
            const auto r1 = h.send();
            h.advance_ms(100);
            const auto r1b = h.post(h.request_body(1001));
            CHECK(Doc(h.body(r1)).attr("type") == "error");
            CHECK_FALSE(h.answered(r1b));
        }
        SUBCASE("an empty request that arrives before a parked payload is not the newest") {
            EngineHarness h;
            h.create();
            const auto r2 = h.send(msg("x"), "", 1002);
            h.advance_ms(100);
            const auto r1 = h.send("", "", 1001);
            CHECK(h.engine.session_count() == 1);
            REQUIRE(h.answered(r1));
            CHECK_FALSE(Doc(h.body(r1)).has("type"));
            CHECK_FALSE(h.answered(r2));
        }
        SUBCASE("polling = 0 disables the check (C124-11-05)") {
            auto limits = EngineHarness::default_limits();
            limits.polling = util::Seconds(0);
            EngineHarness h(limits);
            h.create();
            std::vector<bosh::RequestId> ids;
            for (int i = 0; i < 20; ++i) {
                ids.push_back(h.send());
            }
            for (std::size_t i = 0; i + 1 < ids.size(); ++i) {
                REQUIRE(h.answered(ids[i]));
                CHECK_FALSE(Doc(h.body(ids[i])).has("condition"));
            }
            CHECK_FALSE(h.answered(ids.back()));
            CHECK(h.engine.session_count() == 1);
        }
    }

    TEST_CASE("C124-12-03 polling too fast: policy-violation on the second empty poll") {
        EngineHarness h;
        create_polling(h);
        const auto r1 = h.send();
        REQUIRE(h.answered(r1));
        CHECK(h.body(r1) == kEmptyBody);
        h.advance_ms(200);
        const auto r2 = h.send();
        REQUIRE(h.answered(r2));
        CHECK(condition(h, r2) == "policy-violation");
        CHECK(h.reply(r2).status == 200);
        CHECK(h.engine.session_count() == 0);
    }

    TEST_CASE("C124-12-03 C124-17.1-02 legacy polling client gets HTTP 403") {
        EngineHarness h;
        create_polling(h, {.ver = {}});
        h.send();
        h.advance_ms(200);
        const auto r2 = h.send();
        REQUIRE(h.answered(r2));
        CHECK(condition(h, r2) == "policy-violation");
        CHECK(h.reply(r2).status == 403);
    }

    TEST_CASE("C124-12-03 controls") {
        EngineHarness h;
        create_polling(h);
        SUBCASE("(a) the second poll after polling seconds") {
            h.send();
            h.advance_s(2);
            const auto r2 = h.send();
            REQUIRE(h.answered(r2));
            CHECK(h.body(r2) == kEmptyBody);
        }
        SUBCASE("(b) the first poll's reply carried a payload") {
            h.server_send(kPush);
            const auto r1 = h.send();
            CHECK(h.body(r1).find("<body>push</body>") != std::string::npos);
            const auto r2 = h.send();
            REQUIRE(h.answered(r2));
            CHECK(h.body(r2) == kEmptyBody);
            // ...but a third quick empty poll after an empty reply is too fast.
            const auto r3 = h.send();
            CHECK(condition(h, r3) == "policy-violation");
        }
        SUBCASE("(c) the second request carries a payload") {
            h.send();
            const auto r2 = h.send(msg("x"));
            REQUIRE(h.answered(r2));
            CHECK(h.body(r2) == kEmptyBody);
        }
        SUBCASE("(d) resending the first poll gets the cached reply") {
            const auto r1 = h.send();
            const auto again = h.post(h.request_body(h.last_rid));
            REQUIRE(h.answered(again));
            CHECK(h.reply_ptr(again) == h.reply_ptr(r1));
        }
        CHECK(h.max_times_answered() <= 1);
    }

    TEST_CASE("C124-9.1-01 C124-9.1-02 a reply acks the highest rid received") {
        EngineHarness h;
        h.create();
        CHECK(Doc(h.body(h.creation_request)).attr("ack") == "1000");
        const auto r1 = h.send();
        const auto r2 = h.send(msg("x"));
        REQUIRE(h.answered(r1));
        CHECK(Doc(h.body(r1)).attr("ack") == "1002");
        h.advance_s(60);
        REQUIRE(h.answered(r2));
        CHECK_FALSE(Doc(h.body(r2)).has("ack")); // C124-9.1-03: it would equal 1002
    }

    TEST_CASE("C124-9.1-03 no ack when it would equal the rid answered") {
        EngineHarness h;
        h.create();
        const auto r1 = h.send();
        h.server_send(kPush);
        REQUIRE(h.answered(r1));
        CHECK_FALSE(Doc(h.body(r1)).has("ack"));
    }

    TEST_CASE("C124-9.1-04 never ack past a gap") {
        EngineHarness h;
        h.create();
        const auto r1 = h.send();
        const auto r3 = h.send(msg("3"), "", 1003); // 1002 withheld
        h.advance_s(60);
        REQUIRE(h.answered(r1));
        CHECK_FALSE(Doc(h.body(r1)).has("ack"));
        CHECK_FALSE(h.answered(r3));
    }

    TEST_CASE("request acks off: no ack anywhere") {
        auto limits = EngineHarness::default_limits();
        limits.request_acks = false;
        EngineHarness h(limits);
        h.create();
        CHECK_FALSE(Doc(h.body(h.creation_request)).has("ack"));
        const auto r1 = h.send();
        h.send(msg("x"));
        REQUIRE(h.answered(r1));
        CHECK_FALSE(Doc(h.body(r1)).has("ack"));
    }

    TEST_CASE("a client closing a held connection: the reply is cached, data waits") {
        EngineHarness h;
        h.create();
        const auto r1 = h.send();
        h.abort(r1);
        REQUIRE(h.times_answered(r1) == 1); // answered into the cache at once
        CHECK(h.body(r1) == kEmptyBody);
        h.server_send(kPush); // nothing live is held: queued
        const auto r1b = h.post(h.request_body(1001));
        REQUIRE(h.answered(r1b));
        CHECK(h.reply_ptr(r1b) == h.reply_ptr(r1)); // the resend gets the cached reply
        const auto r2 = h.send();
        REQUIRE(h.answered(r2)); // queued data at once on the next live request
        CHECK(h.body(r2).find("<body>push</body>") != std::string::npos);
        CHECK(occurrences(h.body(r1), "push") == 0);
        CHECK(h.max_times_answered() <= 1);
    }

    TEST_CASE("aborting an unknown or answered request is ignored") {
        EngineHarness h;
        h.create();
        const auto r1 = h.send();
        h.advance_s(60);
        REQUIRE(h.answered(r1));
        h.abort(r1);
        h.abort(bosh::RequestId{999});
        CHECK(h.times_answered(r1) == 1);
        CHECK(h.engine.session_count() == 1);
    }

    TEST_CASE("a client closing the creation request: no reply, the session expires silently") {
        EngineHarness h;
        const auto id = h.post(EngineHarness::creation_body({}));
        h.abort(id);
        h.connect();
        h.server_send(std::string(test::kServerHeader) + test::kFeatures);
        CHECK_FALSE(h.answered(id));
        h.advance_s(30);
        CHECK(h.engine.session_count() == 0);
        CHECK(h.responses() == 0);
        CHECK(h.link_closed());
    }

    TEST_CASE("C124-10-01 C124-12-04 a polling session that keeps polling never expires") {
        EngineHarness h;
        h.create_with({.rid = 1000, .hold = "0"}); // inactivity 30 + 2 x polling 2 = 34
        for (int i = 0; i < 30; ++i) {
            h.advance_s(5); // every poll answered at once, 5 s apart (> polling)
            const auto r = h.send();
            REQUIRE(h.answered(r));
            CHECK(condition(h, r).empty());
        }
        CHECK(h.engine.session_count() == 1); // 150 s in, far past the inactivity period
        h.advance_s(34);
        CHECK(h.engine.session_count() == 0); // and it does expire once the polls stop
    }

    TEST_CASE("C124-10-01 a replay from the cache restarts the inactivity period") {
        EngineHarness h;
        h.create();
        const auto r1 = h.send();
        h.advance_s(60); // answered empty at wait; idle from here
        REQUIRE(h.answered(r1));
        h.advance_s(25);
        const auto again = h.post(h.request_body(1001)); // resend: answered at once from the cache
        REQUIRE(h.answered(again));
        h.advance_s(25); // 50 s since the first answer, 25 s since the replay
        CHECK(h.engine.session_count() == 1);
        h.advance_s(5);
        CHECK(h.engine.session_count() == 0);
    }

    TEST_CASE("an abandoned creation request ends its session at once") {
        EngineHarness h;
        const auto id = h.post(EngineHarness::creation_body({}));
        h.connect();
        CHECK(h.engine.session_count() == 1);
        h.abort(id); // the client left before the features came: it never learnt the sid
        CHECK(h.engine.session_count() == 0);
        CHECK(h.link_closed());
        CHECK_FALSE(h.answered(id));
        CHECK(h.capture.count("creation abandoned") == 1);
    }

    TEST_CASE(
        "C124-11-04 pause disabled (max_pause 0): an empty pause request is an empty request") {
        auto limits = EngineHarness::default_limits();
        limits.max_pause = util::Seconds(0);
        EngineHarness h(limits);
        h.create();
        const auto r1 = h.send();
        const auto r2 = h.send("", "pause='60'"); // within `polling` of r1, both empty
        REQUIRE(h.answered(r2));
        CHECK(condition(h, r2) == "policy-violation");
        CHECK(condition(h, r1) == "other-request");
    }
}
