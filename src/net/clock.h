// The process's one reading of the monotonic clock. Everything below the
// adapters takes `now` as an argument (ARCHITECTURE.md §6); a test greps that
// steady_clock::now() appears nowhere else.
#pragma once

#include "util/time.h"

namespace boshd::net {

util::TimePoint monotonic_now();

} // namespace boshd::net
