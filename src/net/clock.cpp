#include "net/clock.h"

namespace boshd::net {

util::TimePoint monotonic_now() {
    return util::MonotonicClock::now();
}

} // namespace boshd::net
