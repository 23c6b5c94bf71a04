// Session: the client side. Requests in rid order, hold and wait, repeats,
// termination. Activity rules are in session_activity.cpp, the server side in
// session_stream.cpp and the reply builders in session_reply.cpp.
#include "bosh/session.h"

#include <algorithm>

namespace boshd::bosh {

Session::Session(SessionParams params, RequestId creation, std::vector<xml::Fragment> payloads,
                 Context& ctx)
    : p_(std::move(params)), window_(p_.creation_rid, p_.requests), key_(p_.newkey ? parse_key(*p_.newkey) : std::nullopt) {
    if (p_.client_acks) {
        window_.keep_unacknowledged(); // C124-9.2-03
    }
    held_.push_back({p_.creation_rid, creation, ctx.now + p_.wait, true, {}});
    streams_.push_back(std::make_unique<Stream>(p_.stream_name, p_.link, p_.route, p_.header,
                                                ctx.limits.max_stanza_size));
    first_stream().deadline = ctx.now + ctx.limits.backend_timeout;
    ctx.emit<OpenBackend>(p_.link, p_.route);
    to_server(first_stream(), payloads, ctx);
}

void Session::on_request(RequestId id, Request r, Context& ctx) {
    // Any request is activity: even one answered at once (a poll in a
    // polling session, a replay from the cache) restarts the inactivity
    // period, which counts from the last response (C124-10-01).
    was_idle_ = false;
    handle_request(id, std::move(r), ctx);
    update_idle(ctx);
}

void Session::handle_request(RequestId id, Request r, Context& ctx) {
    if (terminal_) {
        // A verbatim resend of an answered request repeats that request's key
        // (C124-15.4-04): it is the key holder, and gets the news too.
        const auto* resent = r.attrs.rid && *r.attrs.rid <= window_.last()
                                 ? window_.cached_entry(*r.attrs.rid)
                                 : nullptr;
        if (!(resent && resend_key_matches(r.attrs, resent->key)) && !key_matches_chain(r.attrs)) {
            // The news, and the stanzas in it, are for the key holder only
            // (C124-15.4-02); it may still come for them.
            ++ctx.counters.requests_rejected;
            ctx.log.notice("request.rejected", {{"sid", p_.sid},
                                                {"condition", to_string(Condition::ItemNotFound)},
                                                {"reason", "key mismatch"}});
            return respond(id, terminal_reply(Condition::ItemNotFound, false), ctx);
        }
        // The session already ended on the server side while no request was
        // held; this request carries the news (C206-6-04).
        respond(id, terminal_, ctx);
        return finish(ctx);
    }
    if (std::any_of(r.payloads.begin(), r.payloads.end(), xmpp::is_stream_negotiation)) {
        return fail_request(id, Condition::BadRequest, "TLS or compression negotiation over BOSH",
                            ctx); // C206-2-06, C206-4-06
    }
    const std::uint64_t rid = *r.attrs.rid;
    switch (window_.place(rid)) {
    case RidWindow::Place::Behind:
        return on_repeat(id, r.attrs, ctx);
    case RidWindow::Place::Beyond:
        return fail_request(id, Condition::ItemNotFound, "rid beyond the window", ctx);
    case RidWindow::Place::Next:
    case RidWindow::Place::Ahead:
        break;
    }
    if (auto* early = window_.early(rid)) {
        // A resend of a request that is still waiting for a gap to fill: the
        // new connection takes its place (C124-14.3-03).
        if (!resend_key_matches(r.attrs, key_of(early->attrs))) {
            return fail_request(id, Condition::ItemNotFound, "resend with another key",
                                ctx); // C124-15.4-02
        }
        if (early->attached) {
            respond(early->id,
                    make_reply(BodyBuilder().attribute("type", "error").finish(), p_.content_type),
                    ctx);
        }
        early->id = id;
        early->attached = true;
        ++ctx.counters.rid_repeats;
        return;
    }
    if (overactive(id, r, ctx)) {
        return;
    }
    last_new_request_ = ctx.now;
    if (window_.place(rid) == RidWindow::Place::Ahead) {
        window_.park(rid, EarlyRequest{id, ctx.now, std::move(r.attrs), std::move(r.payloads)});
        return;
    }
    process(id, rid, std::move(r), true, ctx);
    // The request may have filled a gap: process what waited behind it
    // (C124-8-02: payloads forwarded strictly in rid order).
    while (!finished_) {
        auto next = window_.take_next();
        if (!next) {
            break;
        }
        auto& [next_rid, e] = *next;
        process(e.id, next_rid, Request{std::move(e.attrs), std::move(e.payloads)}, e.attached,
                ctx);
    }
    if (!finished_) {
        release(ctx);
    }
}

void Session::on_bad_request(RequestId id, std::string_view reason, Context& ctx) {
    fail_request(id, Condition::BadRequest, reason, ctx);
}

void Session::on_repeat(RequestId id, const BodyAttrs& a, Context& ctx) {
    const std::uint64_t rid = *a.rid;
    auto held =
        std::find_if(held_.begin(), held_.end(), [&](const Held& h) { return h.rid == rid; });
    const auto* cached = window_.cached_entry(rid);
    // C124-15.4-04: a verbatim resend repeats its key; anything else is a key
    // failure (C124-15.4-02). The chain does not advance either way.
    if ((held != held_.end() || cached) &&
        !resend_key_matches(a, held != held_.end() ? held->key : cached->key)) {
        return fail_request(id, Condition::ItemNotFound, "resend with another key", ctx);
    }
    if (held != held_.end()) {
        // The client resent a request we still hold, so its first connection
        // is presumably dead: answer that one with a recoverable error and
        // keep the new one, where future data will go (C124-14.3-03).
        respond(held->id,
                make_reply(BodyBuilder().attribute("type", "error").finish(), p_.content_type),
                ctx);
        held->id = id;
        held->deadline = ctx.now + p_.wait;
        ++ctx.counters.rid_repeats;
        ctx.log.info("request.resent", {{"sid", p_.sid}, {"rid", rid}, {"answered", "held"}});
        return;
    }
    if (cached) {
        // Byte-identical replay; the payload is not forwarded again (C124-14.3-02).
        ++ctx.counters.rid_repeats;
        ctx.log.info("request.resent", {{"sid", p_.sid}, {"rid", rid}, {"answered", "cache"}});
        return respond(id, cached->reply, ctx);
    }
    if (rid == pause_rid_) {
        return on_pause_resent(id, rid, ctx); // checklist §A-6
    }
    fail_request(id, Condition::ItemNotFound, "rid repeated after its reply left the cache",
                 ctx); // C124-14.3-06
}

void Session::process(RequestId id, std::uint64_t rid, Request r, bool attached, Context& ctx) {
    window_.advance(rid);
    // C124-10-08: the client is back; a pause's inactivity no longer applies
    // (also for a request processed after a pause in one batch).
    pause_.reset();
    // Before anything of the body is used: C124-15.4-02/03.
    if (!check_key(id, r.attrs, ctx)) {
        return;
    }
    // Before this request changes anything; it counts as reported once a
    // reply carries it (add_ack()).
    const auto report = report_for(r.attrs, ctx);
    if (!take_ack(id, r.attrs, ctx) || !check_pause(id, r.attrs, ctx)) {
        return;
    }
    drop_for_closed_stream(r, ctx);
    if (r.attrs.terminate) {
        return on_terminate(id, std::move(r), report.value_or(ReplyNote{}), ctx);
    }
    if (is_add_stream(r.attrs, r.payloads)) {
        return add_stream(id, rid, r.attrs, report.value_or(ReplyNote{}), ctx);
    }
    std::vector<Stream*> targets;
    if (!target_streams(id, r, targets, ctx)) {
        return;
    }
    if (r.attrs.restart) {
        Stream& s = *targets.front();
        if (r.attrs.to && !same_domain(*r.attrs.to, s.header.to)) {
            // A restart may not re-target the stream at another domain of the
            // same server: only the routed domain is served (C124-17.2-06).
            return fail_request(id, Condition::HostUnknown, "restart names another domain", ctx);
        }
        restart(s, r.attrs, ctx); // stanzas inside a restart request are ignored (C206-5-03)
    } else if (std::any_of(targets.begin(), targets.end(), [&](const Stream* s) {
                   return !s->negotiated && s->pending.size() + xml::total_bytes(r.payloads) >
                                                ctx.limits.max_server_queue;
               })) {
        // Payloads wait while the stream comes up; they may not pile up.
        return fail_request(id, Condition::PolicyViolation,
                            "payloads before the stream was up over session.max_server_queue", ctx);
    } else {
        for (Stream* s : targets) {
            to_server(*s, r.payloads, ctx); // C124-8-01: forwarded at once
        }
    }
    held_.push_back({rid, id, ctx.now + p_.wait, false, key_of(r.attrs)});
    if (pause_request(r.attrs)) {
        return pause(rid, util::Seconds(*r.attrs.pause), ctx);
    }
    if (!attached) {
        // The client closed this connection while the request waited behind a
        // gap; answer it (not the oldest held one) into the cache so that a
        // resend finds its reply.
        std::rotate(held_.begin(), std::prev(held_.end()), held_.end());
        answer_front(ctx, false, report.value_or(ReplyNote{}));
    } else if (report) {
        // An ack showing a lost response: the next response goes out at once
        // with the report (C124-9.2-01/02), and that is the oldest held
        // request's, never one ahead of it (C124-8-07). This request stays
        // under the hold rules.
        answer_front(ctx, true, *report);
    }
}

void Session::client_terminate(RequestId id, Request r, Context& ctx) {
    // C124-13-01: the payloads (typically unavailable presence) go first, to
    // every stream (C124-16.5-03).
    for (auto& s : streams_) {
        to_server(*s, r.payloads, ctx);
    }
    held_.push_back({*r.attrs.rid, id, ctx.now, false, key_of(r.attrs)});
    // C124-13-02: the oldest open request confirms with type='terminate',
    // every other one gets an empty body.
    BodyBuilder first;
    first.attribute("type", "terminate");
    if (streams_.size() <= 1) { // else they bounce: one body, one stream (C124-16.4-01)
        const auto all = take_queue();
        ctx.counters.stanzas_to_client += all.size();
        first.payloads(all);
    }
    close_backend(ctx); // after the queue went to the client: nothing to bounce (C206-7)
    answer_all(make_reply(first.finish(), p_.content_type),
               make_reply(BodyBuilder().finish(), p_.content_type), ctx);
    ctx.log.info("session.terminated", {{"sid", p_.sid}, {"by", "client"}});
    ++ctx.counters.sessions_terminated;
    finish(ctx);
}

void Session::on_aborted(RequestId id, Context& ctx) {
    if (auto it =
            std::find_if(held_.begin(), held_.end(), [&](const Held& h) { return h.id == id; });
        it != held_.end()) {
        if (it->creation) {
            // The client never learnt the sid, so nobody can reach this
            // session again: end it now rather than at inactivity.
            ctx.log.info("session.expired", {{"sid", p_.sid}, {"reason", "creation abandoned"}});
            ++ctx.counters.sessions_expired;
            held_.erase(it);
            return finish(ctx);
        } else {
            // Answer it now, empty, into the cache: a resend of this rid finds
            // it there, and pending data stays queued for a live request.
            std::rotate(held_.begin(), it, std::next(it));
            answer_front(ctx, false);
        }
    } else {
        for (auto& [rid, e] : window_.early_requests()) {
            if (e.id == id) {
                e.attached = false; // keep its payload: order matters more than the connection
                break;
            }
        }
    }
    update_idle(ctx);
}

void Session::on_timer(Context& ctx) {
    if (!finished_) {
        handle_timer(ctx);
        update_idle(ctx);
    }
}

void Session::handle_timer(Context& ctx) {
    const auto now = ctx.now;
    if (streams_late(ctx)) {
        return;
    }
    // C124-8-05, C124-8-08: answer at `wait` expiry, in rid order.
    auto last_due = std::find_if(held_.rbegin(), held_.rend(),
                                 [&](const Held& h) { return h.deadline <= now; });
    for (auto n = std::distance(last_due, held_.rend()); n > 0; --n) {
        answer_front(ctx, true);
    }
    for (const auto& [rid, e] : window_.early_requests()) {
        if (e.attached && now >= e.arrived + gap_timeout()) {
            // A gap the client has not filled in gap_timeout(): the missing
            // rid is not coming back.
            return fail_request(e.id, Condition::ItemNotFound, "rid gap not filled", ctx);
        }
    }
    if (was_idle_ && now >= idle_since_ + inactivity()) {
        // C124-10-01: the client is gone; end silently. (Idle means nothing is
        // held and no live request waits behind a gap: nobody to answer.)
        ctx.log.info("session.expired", {{"sid", p_.sid}, {"reason", "inactivity"}});
        ++ctx.counters.sessions_expired;
        finish(ctx);
    }
}

std::optional<util::TimePoint> Session::next_deadline() const {
    if (finished_) {
        return std::nullopt;
    }
    std::optional<util::TimePoint> t;
    auto consider = [&](util::TimePoint x) {
        if (!t || x < *t) {
            t = x;
        }
    };
    for (const auto& s : streams_) {
        if (s->deadline) {
            consider(*s->deadline);
        }
    }
    for (const auto& h : held_) {
        consider(h.deadline);
    }
    for (const auto& [rid, e] : window_.early_requests()) {
        if (e.attached) {
            consider(e.arrived + gap_timeout());
        }
    }
    // C124-10-03: the inactivity clock runs only while nothing is held.
    if (was_idle_) {
        consider(idle_since_ + inactivity());
    }
    return t;
}

void Session::shutdown(Context& ctx) {
    if (finished_) {
        return;
    }
    if (!terminal_) { // a session that already ended is not terminated twice
        if (!open_requests()) {
            // No request can take the queue and none will come: its stanzas
            // go back to their senders before the stream closes (C206-7).
            bounce_undelivered(ctx);
        }
        fail_backend(Condition::SystemShutdown, "boshd is shutting down", ctx);
    }
    finish(ctx); // no next request will come to collect a pending terminal reply
}

} // namespace boshd::bosh
