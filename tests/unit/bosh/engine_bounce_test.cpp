// Stanzas a client never got when its session ended: XEP-0206 §7.
#include "support/engine_harness.h"

#include <doctest/doctest.h>

using namespace boshd;
using test::condition;
using test::EngineHarness;
using test::occurrences;

namespace {

constexpr const char* kMessage = "<message from='b@example.com/s' to='a@example.com/r' id='m1' "
                                 "type='chat'><body>lost</body></message>";
constexpr const char* kIq = "<iq from='b@example.com/s' to='a@example.com/r' id='q1' "
                            "type='get'><query xmlns='jabber:iq:version'/></iq>";
constexpr const char* kPresence = "<presence from='b@example.com/s' to='a@example.com/r'/>";
constexpr const char* kIqResult = "<iq from='b@example.com/s' id='q2' type='result'/>";

// Queues the four stanzas while nothing is held.
void queue_all(EngineHarness& h) {
    h.server_send(std::string(kMessage) + kIq + kPresence + kIqResult);
}

// The bounces written to the server, checked in order and before the close.
void check_bounced(const EngineHarness& h) {
    const auto w = h.written();
    const auto msg_error = w.find("<message xmlns='jabber:client' type='error' id='m1' "
                                  "to='b@example.com/s'><body>lost</body><error type='wait'>"
                                  "<recipient-unavailable"); // C206-7-04: children kept
    const auto iq_error = w.find("<iq xmlns='jabber:client' type='error' id='q1' "
                                 "to='b@example.com/s'><error type='cancel'><service-unavailable");
    const auto close = w.find("</stream:stream>");
    CHECK(msg_error != std::string::npos);
    CHECK(iq_error != std::string::npos);
    CHECK(msg_error < iq_error);
    CHECK(iq_error < close);
    CHECK(occurrences(w, "type='error'") == 2); // none for presence (C206-7-01) or the result
}

} // namespace

TEST_SUITE("bosh/engine/bounce") {
    TEST_CASE("C206-7-01 C206-7-02 C206-7-03 inactivity: undelivered stanzas go back") {
        EngineHarness h;
        h.create();
        queue_all(h);
        h.advance_s(30);
        REQUIRE(h.engine.session_count() == 0);
        check_bounced(h);
        CHECK(h.capture.count("session.bounced") == 1);
    }

    TEST_CASE("C206-7-02 C206-7-03 a session ended by a bad request bounces its queue") {
        EngineHarness h;
        h.create();
        queue_all(h);
        const auto bad = h.send("", "", h.last_rid + 10); // beyond the window
        CHECK(condition(h, bad) == "item-not-found");
        check_bounced(h);
    }

    TEST_CASE("C206-7-02 C206-7-03 shutdown with no request to carry the queue bounces it") {
        EngineHarness h;
        h.create();
        queue_all(h);
        h.shutdown();
        check_bounced(h);
    }

    TEST_CASE("C206-7-02 C206-7-03 a client queue over max_client_queue bounces it") {
        auto limits = EngineHarness::default_limits();
        limits.max_client_queue = 300;
        EngineHarness h(limits);
        h.create();
        queue_all(h);                           // about 360 bytes, nothing held
        REQUIRE(h.engine.session_count() == 1); // the terminal reply waits
        check_bounced(h);
        const auto next = h.send();
        CHECK(condition(h, next) == "policy-violation");
        CHECK(h.body(next).find("lost") == std::string::npos); // bounced, not delivered
        CHECK(h.engine.session_count() == 0);
    }

    TEST_CASE("C206-7-03 bounces are capped at half of max_server_queue; the rest is dropped") {
        auto limits = EngineHarness::default_limits();
        limits.max_server_queue = 8192;
        EngineHarness h(limits);
        h.create();
        const std::string big = "<message from='b@example.com/s' id='m' type='chat'><body>" +
                                std::string(900, 'x') + "</body></message>";
        std::string all;
        for (int i = 0; i < 10; ++i) {
            all += big;
        }
        h.server_send(all); // about 9.5 KB of messages, nothing held
        h.clear_written();
        h.shutdown();
        const auto w = h.written();
        CHECK(occurrences(w, "type='error'") == 3); // 3 x ~1.1 KB fit in 4 KB
        CHECK(w.size() < 4096 + 100);
        CHECK(w.find("</stream:stream>") != std::string::npos);
        CHECK(h.capture.count("dropped=7") == 1);
    }

    TEST_CASE("C206-7 delivered stanzas are not bounced") {
        EngineHarness h;
        h.create();
        SUBCASE("the client's terminate carries them") {
            queue_all(h);
            const auto stop = h.send("", "type='terminate'");
            CHECK(h.body(stop).find("<body>lost</body>") != std::string::npos);
        }
        SUBCASE("a held request carries them at shutdown") {
            const auto r1 = h.send();
            queue_all(h); // answers r1 at once
            CHECK(h.body(r1).find("<body>lost</body>") != std::string::npos);
            const auto r2 = h.send();
            h.shutdown();
            CHECK(condition(h, r2) == "system-shutdown");
        }
        SUBCASE("the next request carries them, then the session expires") {
            queue_all(h);
            const auto r1 = h.send();
            CHECK(h.body(r1).find("<body>lost</body>") != std::string::npos);
            h.advance_s(60);
            h.advance_s(30);
        }
        SUBCASE("the server ends the stream: the terminal reply carries them") {
            queue_all(h);
            h.server_send("</stream:stream>");
            const auto r1 = h.send();
            CHECK(condition(h, r1) == "remote-connection-failed");
            CHECK(h.body(r1).find("<body>lost</body>") != std::string::npos);
        }
        CHECK(h.engine.session_count() == 0);
        CHECK(h.link_closed());
        CHECK(occurrences(h.written(), "type='error'") == 0);
    }
}
