#include "net/clock.h"

namespace boshd::net {

util::TimePoint monotonic_now() {
    return util::MonotonicClock::now();
}

timeval to_timeval(util::Duration d) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    return timeval{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
}

} // namespace boshd::net
