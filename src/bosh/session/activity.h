// How a session's client uses its requests over time: the idle clock behind
// inactivity (XEP-0124 §10) and the overactivity and polling rules (§11,
// §12).
#pragma once

#include "bosh/session/params.h"
#include "util/time.h"

#include <cstddef>
#include <optional>
#include <string_view>

namespace boshd::bosh {

// The newest request of the sequence, as the overactivity rules see it
// (C124-11-02, C124-11-04).
struct NewestRequest {
    std::size_t outstanding; // held + parked + this one
    bool empty;              // no payloads, no restart, terminate, pause or add-stream
    bool pausing;
    bool terminate;
    // The last reply carried payloads: a polling client may poll again at
    // once (C124-12-03).
    bool after_payloads;
};

class ActivityClock {
public:
    // Any request is activity: even one answered at once (a poll in a
    // polling session, a replay from the cache) restarts the inactivity
    // period, which counts from the last response (C124-10-01).
    void request_arrived() { was_idle_ = false; }
    // Notes whether the session is idle now (nothing held, no live request
    // behind a gap); the inactivity clock runs from when it became so
    // (C124-10-03).
    void update(bool idle, util::TimePoint now);
    // When the session expires unless a request comes; nullopt while not idle.
    // C124-10-03: no expiry while a request is held.
    std::optional<util::TimePoint> expiry(util::Duration inactivity) const {
        return was_idle_ ? std::optional(idle_since_ + inactivity) : std::nullopt;
    }

    // XEP-0124 §11 and §12: why a new request is overactive, or nullopt.
    // Repeats never count: they are answered before this.
    std::optional<std::string_view> overactive(const NewestRequest& r, const SessionParams& p,
                                               util::TimePoint now);
    // A new request (not a repeat) was accepted at |now|.
    void new_request(util::TimePoint now) { last_new_request_ = now; }

private:
    util::TimePoint idle_since_{};
    bool was_idle_ = false;
    std::optional<util::TimePoint> last_new_request_;
    std::optional<util::TimePoint> last_empty_poll_;
};

} // namespace boshd::bosh
