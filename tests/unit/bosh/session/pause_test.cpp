// Pause: XEP-0124 §10, a client leaving for a while asks for a longer (or
// shorter) inactivity period, up to the advertised `maxpause`.
#include "bosh/session/pause.h"

#include <doctest/doctest.h>
#include <optional>

using boshd::bosh::BodyAttrs;
using boshd::bosh::Pause;
namespace util = boshd::util;

namespace {

BodyAttrs pausing(std::optional<std::uint32_t> seconds) {
    BodyAttrs a;
    a.rid = 1002;
    a.pause = seconds;
    return a;
}

constexpr util::Duration kInactivity = util::Seconds(30);

} // namespace

TEST_SUITE("bosh/session/pause") {

    TEST_CASE("pause is requested only when maxpause was advertised (checklist A-7)") {
        const Pause on(util::Seconds(120));
        CHECK(on.requested(pausing(60)));
        CHECK(on.requested(pausing(0))); // present, even zero
        CHECK_FALSE(on.requested(pausing(std::nullopt)));
        // maxpause zero: not supported, the attribute is ignored.
        const Pause off(util::Duration::zero());
        CHECK_FALSE(off.requested(pausing(60)));
        CHECK_FALSE(off.too_long(pausing(100000)));
    }

    TEST_CASE("C124-10-06 a pause up to maxpause is taken; beyond it is too long (checklist A-7)") {
        const Pause p(util::Seconds(120));
        CHECK_FALSE(p.too_long(pausing(1)));
        CHECK_FALSE(p.too_long(pausing(119)));
        CHECK_FALSE(p.too_long(pausing(120))); // equal to maxpause: fine
        CHECK(p.too_long(pausing(121)));
        CHECK(p.too_long(pausing(UINT32_MAX)));
        CHECK_FALSE(p.too_long(pausing(std::nullopt)));
    }

    TEST_CASE("C124-10-06 C124-10-08 the pause is the inactivity period until the next request") {
        Pause p(util::Seconds(120));
        CHECK(p.inactivity(kInactivity) == kInactivity); // no pause yet
        p.begin(1002, util::Seconds(100));
        CHECK(p.inactivity(kInactivity) == util::Seconds(100));
        CHECK(p.inactivity(util::Seconds(5)) == util::Seconds(100));
        p.end(); // the client is back
        CHECK(p.inactivity(kInactivity) == kInactivity);
        p.end(); // ending twice changes nothing
        CHECK(p.inactivity(kInactivity) == kInactivity);
    }

    TEST_CASE("C124-10-09 a pause below inactivity shortens it") {
        Pause p(util::Seconds(120));
        p.begin(1002, util::Seconds(2));
        CHECK(p.inactivity(kInactivity) == util::Seconds(2));
        p.begin(1003, util::Duration::zero()); // a new pause replaces the first
        CHECK(p.inactivity(kInactivity) == util::Duration::zero());
        p.end();
        CHECK(p.inactivity(kInactivity) == kInactivity);
    }

    TEST_CASE("C124-14.3-08 was_pause() names the last pause request, for its resend") {
        Pause p(util::Seconds(120));
        CHECK_FALSE(p.was_pause(0)); // no pause yet: no rid is one
        CHECK_FALSE(p.was_pause(1002));
        p.begin(1002, util::Seconds(60));
        CHECK(p.was_pause(1002));
        CHECK_FALSE(p.was_pause(1001));
        CHECK_FALSE(p.was_pause(1003));
        p.end(); // the client came back, and may still resend the pause
        CHECK(p.was_pause(1002));
        p.begin(1005, util::Seconds(60)); // only the last pause counts
        CHECK_FALSE(p.was_pause(1002));
        CHECK(p.was_pause(1005));
    }
}
