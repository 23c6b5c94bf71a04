// Session: pausing (XEP-0124 §10).
#include "bosh/session.h"

namespace boshd::bosh {

// Pause is supported only when maxpause was advertised; otherwise the
// attribute is ignored like any other the session does not implement.
bool Session::pause_request(const BodyAttrs& a) const {
    return a.pause && p_.max_pause > util::Duration::zero();
}

// A pause longer than the advertised maxpause ends the session (§10:
// policy-violation). Returns false when it did.
bool Session::check_pause(RequestId id, const BodyAttrs& a, Context& ctx) {
    if (pause_request(a) && util::Seconds(*a.pause) > p_.max_pause) {
        fail_request(id, Condition::PolicyViolation, "pause over maxpause", ctx);
        return false;
    }
    return true;
}

// C124-10-06: every held request and the pause request (the held one with
// |rid|) are answered at once, and the inactivity period becomes the pause
// until the next request (C124-10-08), shorter or longer than the normal one
// (C124-10-09).
void Session::pause(std::uint64_t rid, util::Duration length, Context& ctx) {
    ctx.log.debug("session.paused", {{"sid", p_.sid}, {"rid", rid}});
    pause_ = length;
    while (!held_.empty()) {
        // C124-10-07: no payload on the pause reply, nor on the others: what
        // is queued waits for the client's next request. C124-14.3-08: the
        // pause reply is not kept for a resend.
        ReplyNote note;
        note.cache = held_.front().rid != rid;
        answer_front(ctx, false, note);
    }
}

} // namespace boshd::bosh
