#include "bosh/session/activity.h"

namespace boshd::bosh {

void ActivityClock::update(bool idle, util::TimePoint now) {
    if (idle && !was_idle_) {
        idle_since_ = now;
    }
    was_idle_ = idle;
}

std::optional<std::string_view>
ActivityClock::overactive(const NewestRequest& r, const SessionParams& p, util::TimePoint now) {
    // One request beyond `requests` is allowed if it pauses or terminates
    // (C124-11-02).
    const std::size_t allowed = p.requests + (r.terminate || r.pausing ? 1 : 0);
    if (r.outstanding > allowed) {
        return "too many simultaneous requests"; // C124-11-01
    }
    if (!r.empty || p.polling == util::Duration::zero()) {
        return std::nullopt; // C124-11-05: no `polling` advertised, no frequency limit
    }
    const bool too_soon = last_new_request_ && now - *last_new_request_ < p.polling;
    if (!p.polling_session() && r.outstanding == p.requests && too_soon) {
        return "empty requests too frequent"; // C124-11-04
    }
    if (p.polling_session() && last_empty_poll_ && now - *last_empty_poll_ < p.polling &&
        !r.after_payloads) {
        return "polling too frequently"; // C124-12-03
    }
    last_empty_poll_ = now;
    return std::nullopt;
}

} // namespace boshd::bosh
