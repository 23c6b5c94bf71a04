// Session: pausing (XEP-0124 §10) and response acknowledgements (§9.2).
#include "bosh/session.h"

#include <algorithm>
#include <chrono>

namespace boshd::bosh {

namespace {

// `time` is an xs:unsignedShort (C124-9.2-02).
constexpr std::uint64_t kMaxReportTime = 65535;

} // namespace

// Pause is supported only when maxpause was advertised; otherwise the
// attribute is ignored like any other the session does not implement.
bool Session::pause_request(const BodyAttrs& a) const {
    return a.pause && p_.max_pause > util::Duration::zero();
}

// A pause longer than the advertised maxpause ends the session with
// policy-violation: §10 leaves it open, this is boshd's choice (checklist
// §A-7). Returns false when it did.
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
    pause_rid_ = rid;
    while (!held_.empty()) {
        // C124-10-07: no payload on the pause reply, nor on the others: what
        // is queued waits for the client's next request. C124-14.3-08: the
        // pause reply is not kept for a resend.
        ReplyNote note;
        note.cache = held_.front().rid != rid;
        answer_front(ctx, false, note);
    }
}

// The pause reply is not kept (C124-14.3-08), but pauses are sent as pages
// unload and connections get cut: a resend of one gets a fresh empty body
// rather than ending the session (checklist §A-6); the pause goes on.
void Session::on_pause_resent(RequestId id, std::uint64_t rid, Context& ctx) {
    ++ctx.counters.rid_repeats;
    ctx.log.info("request.resent", {{"sid", p_.sid}, {"rid", rid}, {"answered", "pause"}});
    respond(id, make_reply(BodyBuilder().finish(), p_.content_type), ctx);
}

// XEP-0124 §9.2. Returns false when the session ended.
bool Session::take_ack(RequestId id, const BodyAttrs& a, Context& ctx) {
    if (!p_.client_acks) {
        return true;
    }
    // A client that acks leaves `ack` off once it has every earlier response,
    // so its absence acknowledges everything before this rid.
    window_.acknowledge(a.ack.value_or(*a.rid - 1));
    // C124-9.2-03 keeps every unacknowledged reply; a client that never
    // acknowledges must not make that grow without bound. Checked on each
    // request, so the cache may pass the limit by the replies given since.
    if (window_.cache_bytes() > ctx.limits.max_client_queue) {
        fail_request(id, Condition::PolicyViolation,
                     "unacknowledged responses over session.max_client_queue", ctx);
        return false;
    }
    if (window_.cache_size() > ctx.limits.max_unacked_responses) {
        fail_request(id, Condition::PolicyViolation,
                     "unacknowledged responses over session.max_unacked_responses", ctx);
        return false;
    }
    return true;
}

// C124-9.2-01/02: an `ack` below the last rid answered means the client never
// got the response to ack + 1; it learns which, and how long ago it was sent.
std::optional<ReplyNote> Session::report_for(const BodyAttrs& a, const Context& ctx) const {
    if (!p_.client_acks || !a.ack || *a.ack >= highest_answered_) {
        return std::nullopt;
    }
    if (*a.ack + 1 <= last_reported_) {
        // Reported already: a client stuck on one ack would otherwise get
        // every request answered at once, each with a log line.
        return std::nullopt;
    }
    const auto* missing = window_.cached_entry(*a.ack + 1);
    if (!missing) {
        return std::nullopt; // a pause reply, or one never answered: nothing to resend
    }
    using std::chrono::duration_cast;
    using std::chrono::milliseconds;
    const auto ms = duration_cast<milliseconds>(ctx.now - missing->sent).count();
    ReplyNote note;
    note.report = *a.ack + 1;
    note.time_ms = std::min<std::uint64_t>(static_cast<std::uint64_t>(std::max<long long>(ms, 0)),
                                           kMaxReportTime);
    return note;
}

} // namespace boshd::bosh
