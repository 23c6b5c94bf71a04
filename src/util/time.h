// Time types shared by every layer. Only types live here: the one call to
// steady_clock::now() is in net/clock.cpp, so the engine can be driven by a
// manual clock in tests (ARCHITECTURE.md §6).
#pragma once

#include <chrono>

namespace boshd::util {

using MonotonicClock = std::chrono::steady_clock;
using TimePoint = MonotonicClock::time_point;
using Duration = std::chrono::milliseconds;
using Seconds = std::chrono::seconds;

} // namespace boshd::util
