// ActivityClock: the idle clock behind inactivity (XEP-0124 §10) and the
// overactivity and polling rules (§11, §12).
#include "bosh/session/activity.h"

#include <doctest/doctest.h>
#include <optional>
#include <string>

using boshd::bosh::ActivityClock;
using boshd::bosh::NewestRequest;
using boshd::bosh::SessionParams;
namespace util = boshd::util;

namespace {

const util::TimePoint t0 = util::TimePoint{} + util::Seconds(1000);
constexpr util::Duration kInactivity = util::Seconds(30);

// requests=2, hold=1, wait=60, polling=2: an ordinary long-polling session.
SessionParams params() {
    SessionParams p;
    p.requests = 2;
    p.hold = 1;
    p.wait = util::Seconds(60);
    p.inactivity = kInactivity;
    p.polling = util::Seconds(2);
    return p;
}

// The same with hold=0: a polling session (C124-12-04).
SessionParams polling_params() {
    SessionParams p = params();
    p.hold = 0;
    return p;
}

NewestRequest newest(std::size_t outstanding, bool empty = true) {
    return {outstanding, empty, false, false, false};
}

// overactive()'s answer as text: empty when the request is fine.
std::string why(ActivityClock& clock, const NewestRequest& r, const SessionParams& p,
                util::TimePoint now) {
    const auto reason = clock.overactive(r, p, now);
    return reason ? std::string(*reason) : std::string();
}

} // namespace

TEST_SUITE("bosh/session/activity") {

    TEST_CASE("C124-10-01 the inactivity period runs from when the session became idle") {
        ActivityClock clock;
        CHECK_FALSE(clock.expiry(kInactivity)); // not idle yet: no expiry
        clock.update(true, t0);
        CHECK(clock.expiry(kInactivity) == t0 + kInactivity);
        // Still idle later: the clock does not restart.
        clock.update(true, t0 + util::Seconds(10));
        CHECK(clock.expiry(kInactivity) == t0 + kInactivity);
        // The period is read when asked (a pause changes it, C124-10-06).
        CHECK(clock.expiry(util::Seconds(120)) == t0 + util::Seconds(120));
    }

    TEST_CASE("C124-10-03 no expiry while a request is held; the clock restarts after") {
        ActivityClock clock;
        clock.update(true, t0);
        clock.update(false, t0 + util::Seconds(5)); // a request is held
        CHECK_FALSE(clock.expiry(kInactivity));
        clock.update(false, t0 + util::Seconds(100)); // held past the inactivity period
        CHECK_FALSE(clock.expiry(kInactivity));
        clock.update(true, t0 + util::Seconds(160)); // answered
        CHECK(clock.expiry(kInactivity) == t0 + util::Seconds(190));
    }

    TEST_CASE("C124-10-01 any request restarts the clock, even one answered at once") {
        ActivityClock clock;
        clock.update(true, t0);
        clock.request_arrived(); // a poll answered at once, or a replay
        CHECK_FALSE(clock.expiry(kInactivity));
        clock.update(true, t0 + util::Seconds(20)); // idle again after it
        CHECK(clock.expiry(kInactivity) == t0 + util::Seconds(50));
    }

    TEST_CASE("C124-11-01 more than `requests` outstanding is overactivity") {
        ActivityClock clock;
        const auto p = params();
        CHECK(why(clock, newest(1, false), p, t0) == "");
        CHECK(why(clock, newest(2, false), p, t0) == "");
        CHECK(why(clock, newest(3, false), p, t0) == "too many simultaneous requests");
        CHECK(why(clock, newest(3, true), p, t0) == "too many simultaneous requests");
        auto four = params();
        four.requests = 4;
        CHECK(why(clock, newest(4, false), four, t0) == "");
        CHECK(why(clock, newest(5, false), four, t0) == "too many simultaneous requests");
    }

    TEST_CASE("C124-11-02 one more is allowed when it pauses or terminates") {
        ActivityClock clock;
        const auto p = params();
        NewestRequest terminate = newest(3, false);
        terminate.terminate = true;
        CHECK(why(clock, terminate, p, t0) == "");
        NewestRequest pause = newest(3, false);
        pause.pausing = true;
        CHECK(why(clock, pause, p, t0) == "");
        // One more, not two.
        terminate.outstanding = 4;
        pause.outstanding = 4;
        CHECK(why(clock, terminate, p, t0) == "too many simultaneous requests");
        CHECK(why(clock, pause, p, t0) == "too many simultaneous requests");
    }

    TEST_CASE("C124-11-04 `requests` outstanding, the newest empty and sooner than polling") {
        ActivityClock clock;
        const auto p = params();
        clock.new_request(t0);
        const auto soon = t0 + util::Seconds(1);
        CHECK(why(clock, newest(2), p, soon) == "empty requests too frequent");
        // Not all `requests` outstanding, or not empty: allowed.
        CHECK(why(clock, newest(1), p, soon) == "");
        CHECK(why(clock, newest(2, false), p, soon) == "");
        // `polling` apart exactly: allowed.
        CHECK(why(clock, newest(2), p, t0 + p.polling) == "");
        CHECK(why(clock, newest(2), p, t0 + p.polling - util::Duration(1)) ==
              "empty requests too frequent");
        // The rule compares with the last new request.
        clock.new_request(t0 + util::Seconds(10));
        CHECK(why(clock, newest(2), p, t0 + util::Seconds(11)) == "empty requests too frequent");
        CHECK(why(clock, newest(2), p, t0 + util::Seconds(12)) == "");
    }

    TEST_CASE("C124-11-04 the first request of a session is never too frequent") {
        ActivityClock clock;
        CHECK(why(clock, newest(2), params(), t0) == "");
    }

    TEST_CASE("C124-11-05 without `polling` advertised, frequency is never limited") {
        ActivityClock clock;
        auto p = params();
        p.polling = util::Duration::zero();
        auto q = polling_params();
        q.polling = util::Duration::zero();
        for (int i = 0; i < 20; ++i) {
            const auto now = t0 + util::Duration(i);
            CHECK(why(clock, newest(2), p, now) == "");
            CHECK(why(clock, newest(1), q, now) == "");
            clock.new_request(now);
        }
        // The limit on simultaneous requests still applies (C124-11-01).
        CHECK(why(clock, newest(3), p, t0) == "too many simultaneous requests");
    }

    TEST_CASE("C124-12-03 two empty polls sooner than polling, the first without payloads") {
        ActivityClock clock;
        const auto p = polling_params();
        REQUIRE(p.polling_session());
        CHECK(why(clock, newest(1), p, t0) == ""); // the first empty poll
        clock.new_request(t0);
        CHECK(why(clock, newest(1), p, t0 + util::Seconds(1)) == "polling too frequently");
        // A rejected poll does not move the clock: polling after the first is fine.
        CHECK(why(clock, newest(1), p, t0 + p.polling) == "");
        // ... and that one is now the last empty poll.
        CHECK(why(clock, newest(1), p, t0 + p.polling + util::Seconds(1)) ==
              "polling too frequently");
    }

    TEST_CASE("C124-12-03 after a reply with payloads the client may poll at once") {
        ActivityClock clock;
        const auto p = polling_params();
        CHECK(why(clock, newest(1), p, t0) == "");
        NewestRequest again = newest(1);
        again.after_payloads = true;
        CHECK(why(clock, again, p, t0 + util::Duration(100)) == "");
        // That poll counted as the last one: without payloads since, too soon.
        CHECK(why(clock, newest(1), p, t0 + util::Duration(200)) == "polling too frequently");
    }

    TEST_CASE("C124-12-03 requests with payloads are not polls") {
        ActivityClock clock;
        const auto p = polling_params();
        CHECK(why(clock, newest(1), p, t0) == "");
        CHECK(why(clock, newest(1, false), p, t0 + util::Duration(100)) == "");
        CHECK(why(clock, newest(1, false), p, t0 + util::Duration(200)) == "");
        // They do not restart the poll clock either.
        CHECK(why(clock, newest(1), p, t0 + util::Duration(300)) == "polling too frequently");
        CHECK(why(clock, newest(1), p, t0 + p.polling) == "");
    }

    TEST_CASE("C124-12-04 hold=0 or wait=0 makes a polling session") {
        auto p = params();
        CHECK_FALSE(p.polling_session());
        p.hold = 0;
        CHECK(p.polling_session());
        p = params();
        p.wait = util::Duration::zero();
        CHECK(p.polling_session());
        // A wait-0 session is polled under the polling rule, not C124-11-04.
        ActivityClock clock;
        CHECK(why(clock, newest(1), p, t0) == "");
        clock.new_request(t0);
        CHECK(why(clock, newest(1), p, t0 + util::Seconds(1)) == "polling too frequently");
    }

    TEST_CASE("gap_timeout(): twice the wait, never less than inactivity") {
        auto p = params(); // wait 60, inactivity 30
        CHECK(p.gap_timeout() == util::Seconds(120));
        p.inactivity = util::Seconds(300);
        CHECK(p.gap_timeout() == util::Seconds(300));
        p.wait = util::Duration::zero();
        p.inactivity = util::Seconds(30);
        CHECK(p.gap_timeout() == util::Seconds(30));
    }
}
