// The process's one reading of the monotonic clock. Everything below the
// adapters takes `now` as an argument (ARCHITECTURE §4.7); a test greps that
// steady_clock::now() appears nowhere else.
#pragma once

#include "util/time.h"

namespace boshd::net {

util::TimePoint monotonic_now();

} // namespace boshd::net
