// Session activity: the idle clock behind inactivity (XEP-0124 §10), and the
// overactivity and polling rules (§11, §12).
#include "bosh/session.h"

#include <algorithm>

namespace boshd::bosh {

namespace {

bool is_empty_request(const BodyAttrs& a, const std::vector<xml::Fragment>& payloads) {
    return payloads.empty() && !a.restart && !a.terminate;
}

} // namespace

// Polling sessions (hold or wait of zero) get every request answered at once
// (C124-12-04).
bool Session::polling_session() const {
    return p_.hold == 0 || p_.wait == util::Duration::zero();
}

// How long a request may wait behind a gap: clients resend a lost request
// after about 1.1 x wait (Strophe), so twice the wait; never less than the
// inactivity period, which matters for polling sessions where wait is 0.
util::Duration Session::gap_timeout() const {
    return std::max<util::Duration>(2 * p_.wait, p_.inactivity);
}

bool Session::idle() const {
    const auto& early = window_.early_requests();
    return held_.empty() && std::none_of(early.begin(), early.end(),
                                         [](const auto& e) { return e.second.attached; });
}

void Session::update_idle(Context& ctx) {
    const bool now_idle = idle();
    if (now_idle && !was_idle_) {
        idle_since_ = ctx.now;
    }
    was_idle_ = now_idle;
}

// XEP-0124 §11 and §12. Repeats never count: they are answered before this.
bool Session::overactive(RequestId id, const Request& r, Context& ctx) {
    // "The newest request" of §11 is the last of the sequence, the highest rid:
    // when this request fills a gap, that is a parked one (C124-11-02, C124-11-04).
    const auto& early = window_.early_requests();
    const bool newest_parked = !early.empty() && early.rbegin()->first > *r.attrs.rid;
    const BodyAttrs& newest = newest_parked ? early.rbegin()->second.attrs : r.attrs;
    // A pause request is neither empty nor overactive (C124-11-02, C124-11-04).
    const bool pausing = pause_request(newest);
    const auto& payloads = newest_parked ? early.rbegin()->second.payloads : r.payloads;
    // Neither is an add-stream request (C124-16.3-02): it opens a stream (and
    // has its own `polling` rule, in add_stream()).
    const bool empty =
        !pausing && !is_add_stream(newest, payloads) && is_empty_request(newest, payloads);
    const std::size_t outstanding = held_.size() + early.size() + 1;
    // One request beyond `requests` is allowed if it pauses or terminates
    // (C124-11-02).
    const std::size_t allowed = p_.requests + (newest.terminate || pausing ? 1 : 0);
    if (outstanding > allowed) {
        fail_request(id, Condition::PolicyViolation, "too many simultaneous requests",
                     ctx); // C124-11-01
        return true;
    }
    if (!empty || p_.polling == util::Duration::zero()) {
        return false; // C124-11-05: no `polling` advertised, no frequency limit
    }
    const bool too_soon = last_new_request_ && ctx.now - *last_new_request_ < p_.polling;
    if (!polling_session() && outstanding == p_.requests && too_soon) {
        fail_request(id, Condition::PolicyViolation, "empty requests too frequent",
                     ctx); // C124-11-04
        return true;
    }
    if (polling_session() && last_empty_poll_ && ctx.now - *last_empty_poll_ < p_.polling &&
        !last_reply_had_payloads_) {
        fail_request(id, Condition::PolicyViolation, "polling too frequently", ctx); // C124-12-03
        return true;
    }
    last_empty_poll_ = ctx.now;
    return false;
}

} // namespace boshd::bosh
