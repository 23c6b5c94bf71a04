// The process's one reading of the monotonic clock. Everything below the
// adapters takes `now` as an argument (ARCHITECTURE.md §6); a test greps that
// steady_clock::now() appears nowhere else.
#pragma once

#include "util/time.h"

#include <sys/time.h>

namespace boshd::net {

util::TimePoint monotonic_now();

// |d| as the timeval libevent's timers take.
timeval to_timeval(util::Duration d);

} // namespace boshd::net
