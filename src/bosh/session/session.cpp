// Session: the client side. Requests in rid order, repeats, and what each new
// request asks for. Streams are in session_streams.cpp, ending the session in
// session_end.cpp.
#include "bosh/session/session.h"

#include <algorithm>

namespace boshd::bosh {

namespace {

// A resend answered in place of the connection it replaces (C124-14.3-03):
// a recoverable error, the session stays (C124-17.3-01).
ReplyPtr recoverable_error(const SessionParams& p) {
    return make_reply(BodyBuilder().attribute("type", "error").finish(), p.content_type);
}

} // namespace

Session::Session(SessionParams params, RequestId creation, std::vector<xml::Fragment> payloads,
                 Context& ctx)
    : p_(std::move(params)), window_(p_.creation_rid, p_.requests, p_.client_acks),
      replies_(p_.client_acks), keys_(p_.newkey), pause_(p_.max_pause) {
    window_.hold({p_.creation_rid, creation, ctx.now + p_.wait, true, {}}, ctx.lifetimes);
    streams_.add(
        std::make_unique<Stream>(p_.stream_name, p_.link, p_.route, p_.header, p_.client, ctx),
        ctx.now);
    streams_.first().send(payloads, ctx);
}

void Session::on_request(RequestId id, Request r, Context& ctx) {
    activity_.request_arrived();
    handle_request(id, std::move(r), ctx);
    update_idle(ctx);
}

void Session::on_bad_request(RequestId id, std::string_view reason, Context& ctx) {
    fail_request(id, Condition::BadRequest, reason, ctx);
}

void Session::on_route_gone(RequestId id, Context& ctx) {
    // C124-17.2-05: the domain is no longer serviced. What the client never
    // got goes back to its senders as on any other end (C206-7).
    fail_request(id, Condition::HostGone, "the route was removed by a reload", ctx);
    update_idle(ctx);
}

void Session::update_idle(Context& ctx) {
    activity_.update(!window_.open(), ctx.now);
}

void Session::handle_request(RequestId id, Request r, Context& ctx) {
    if (terminal_) {
        // A verbatim resend of an answered request repeats that request's key
        // (C124-15.4-04): it is the key holder, and gets the news too.
        const auto* resent = r.attrs.rid && *r.attrs.rid <= window_.last()
                                 ? window_.cache().find(*r.attrs.rid)
                                 : nullptr;
        if (!(resent && keys_.resend_matches(r.attrs, resent->key)) && !keys_.matches(r.attrs)) {
            // The news, and the stanzas in it, are for the key holder only
            // (C124-15.4-02); it may still come for them.
            ++ctx.counters.requests_rejected;
            ctx.log.notice("request.rejected", {{"sid", p_.sid},
                                                {"ip", p_.ip},
                                                {"condition", to_string(Condition::ItemNotFound)},
                                                {"reason", "key mismatch"}});
            return ctx.respond(id, replies_.terminal(scope(ctx), Condition::ItemNotFound, false));
        }
        // The session already ended on the server side while no request was
        // held; this request carries the news (C206-6-04).
        ctx.respond(id, terminal_);
        return finish(ctx);
    }
    if (std::any_of(r.payloads.begin(), r.payloads.end(), xmpp::is_stream_negotiation)) {
        return fail_request(id, Condition::BadRequest, "TLS or compression negotiation over BOSH",
                            ctx); // C206-2-06, C206-4-06
    }
    const std::uint64_t rid = *r.attrs.rid;
    switch (window_.place(rid)) {
    case RequestWindow::Place::Behind:
        return on_repeat(id, r.attrs, ctx);
    case RequestWindow::Place::Beyond:
        // C124-14.2-02; the same item-not-found as for a rid too low whose
        // reply left the cache (C124-14.3-07).
        return fail_request(id, Condition::ItemNotFound, "rid beyond the window", ctx);
    case RequestWindow::Place::Next:
    case RequestWindow::Place::Ahead:
        break;
    }
    if (const auto* parked = window_.parked(rid)) {
        // A resend of a request that is still waiting for a gap to fill: the
        // new connection takes its place (C124-14.3-03).
        if (!keys_.resend_matches(r.attrs, key_of(parked->attrs))) {
            return fail_request(id, Condition::ItemNotFound, "resend with another key",
                                ctx); // C124-15.4-02
        }
        if (auto replaced = window_.reattach(rid, id, ctx.now + p_.wait, ctx.lifetimes)) {
            ctx.respond(*replaced, recoverable_error(p_));
        }
        ++ctx.counters.rid_repeats;
        return;
    }
    if (overactive(id, r, ctx)) {
        return;
    }
    activity_.new_request(ctx.now);
    if (window_.place(rid) == RequestWindow::Place::Ahead) {
        window_.park(rid, {id, ctx.now, std::move(r.attrs), std::move(r.payloads)}, ctx.lifetimes);
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
        replies_.release(scope(ctx));
    }
}

void Session::on_repeat(RequestId id, const BodyAttrs& a, Context& ctx) {
    const std::uint64_t rid = *a.rid;
    const auto* held = window_.held_rid(rid);
    const auto* cached = window_.cache().find(rid);
    // C124-15.4-04: a verbatim resend repeats its key; anything else is a key
    // failure (C124-15.4-02). The chain does not advance either way.
    if ((held || cached) && !keys_.resend_matches(a, held ? held->key : cached->key)) {
        return fail_request(id, Condition::ItemNotFound, "resend with another key", ctx);
    }
    if (held) {
        // The client resent a request we still hold, so its first connection
        // is presumably dead: answer that one with a recoverable error and
        // keep the new one, where future data will go (C124-14.3-03). The
        // body is processed once, whichever connection carried it (C124-17.3-02).
        if (auto replaced = window_.reattach(rid, id, ctx.now + p_.wait, ctx.lifetimes)) {
            ctx.respond(*replaced, recoverable_error(p_));
        }
        ++ctx.counters.rid_repeats;
        ctx.log.info("request.resent",
                     {{"sid", p_.sid}, {"ip", p_.ip}, {"rid", rid}, {"answered", "held"}});
        return;
    }
    if (cached) {
        // Byte-identical replay; the payload is not forwarded again
        // (C124-14.3-02), nor a restart done twice (C206-5-10).
        ++ctx.counters.rid_repeats;
        ctx.log.info("request.resent",
                     {{"sid", p_.sid}, {"ip", p_.ip}, {"rid", rid}, {"answered", "cache"}});
        return ctx.respond(id, cached->reply);
    }
    if (pause_.was_pause(rid)) {
        // The pause reply is not kept (C124-14.3-08), but pauses are sent as
        // pages unload and connections get cut: a resend gets a fresh empty
        // body rather than ending the session (checklist §A-6).
        ++ctx.counters.rid_repeats;
        ctx.log.info("request.resent",
                     {{"sid", p_.sid}, {"ip", p_.ip}, {"rid", rid}, {"answered", "pause"}});
        return ctx.respond(id, make_reply(BodyBuilder().finish(), p_.content_type));
    }
    fail_request(id, Condition::ItemNotFound, "rid repeated after its reply left the cache",
                 ctx); // C124-14.3-06
}

// XEP-0124 §11 and §12, for a new request in the window.
bool Session::overactive(RequestId id, const Request& r, Context& ctx) {
    // "The newest request" of §11 is the last of the sequence, the highest rid:
    // when this request fills a gap, that is a parked one (C124-11-02, C124-11-04).
    const auto& parked = window_.parked();
    const bool newest_parked = !parked.empty() && parked.rbegin()->first > *r.attrs.rid;
    const BodyAttrs& a = newest_parked ? parked.rbegin()->second.attrs : r.attrs;
    const auto& payloads = newest_parked ? parked.rbegin()->second.payloads : r.payloads;
    // A pause request is neither empty nor overactive (C124-11-02,
    // C124-11-04); neither is an add-stream request (C124-16.3-02): it opens
    // a stream (and has its own `polling` rule, in add_stream()).
    const bool pausing = pause_.requested(a);
    NewestRequest newest;
    newest.outstanding = window_.held().size() + parked.size() + 1;
    newest.empty = !pausing && !asks_for_stream(p_, pause_, a, payloads) && payloads.empty() &&
                   !a.restart && !a.terminate;
    newest.pausing = pausing;
    newest.terminate = a.terminate;
    newest.after_payloads = replies_.last_had_payloads();
    if (auto reason = activity_.overactive(newest, p_, ctx.now)) {
        fail_request(id, Condition::PolicyViolation, *reason, ctx); // C124-17.2-11
        return true;
    }
    return false;
}

void Session::process(RequestId id, std::uint64_t rid, Request r, bool attached, Context& ctx) {
    window_.advance(rid);
    // C124-10-08: the client is back; a pause's inactivity no longer applies
    // (also for a request processed after a pause in one batch).
    pause_.end();
    // Before anything of the body is used: C124-15.4-02, C124-15.4-03.
    if (auto failed = keys_.advance(r.attrs)) {
        return fail_request(id, Condition::ItemNotFound, *failed, ctx);
    }
    // Before this request changes anything; it counts as reported once a
    // reply carries it (ReplyPath::add_ack()).
    ReplyNote note;
    const auto report = replies_.acks().report_for(r.attrs, window_.cache(), ctx.now);
    note.report = report.value_or(Report{});
    if (auto over = replies_.acks().take(r.attrs, window_.cache(), ctx.limits)) {
        return fail_request(id, Condition::PolicyViolation, *over, ctx);
    }
    if (pause_.too_long(r.attrs)) {
        // §10 leaves it open; boshd's choice (checklist §A-7).
        return fail_request(id, Condition::PolicyViolation, "pause over maxpause", ctx);
    }
    if (p_.multi_stream() && r.attrs.stream && !streams_.by_name(*r.attrs.stream) &&
        (streams_.recently_closed(*r.attrs.stream) ||
         replies_.queue().has_end_named(*r.attrs.stream)) &&
        (!r.payloads.empty() || r.attrs.restart || r.attrs.terminate)) {
        // C124-16.4-05 (MAY, taken): naming a stream that closed moments ago
        // is a normal race (its end may not even have reached the client),
        // not a reason to end the session. Its payloads, restart or terminate
        // are dropped; names never seen still get item-not-found (C124-16.4-04).
        ctx.log.info("stream.payloads_dropped", {{"sid", p_.sid},
                                                 {"ip", p_.ip},
                                                 {"rid", rid},
                                                 {"payloads", r.payloads.size()},
                                                 {"reason", "stream closed"}});
        r.payloads.clear();
        r.attrs.stream.reset();
        r.attrs.restart = false;
        r.attrs.terminate = false;
        r.attrs.to.reset(); // not an add-stream either
    }
    // A terminate, like a restart, takes its turn in rid order: earlier
    // payloads went first (C124-13-04, C206-5-11).
    if (r.attrs.terminate) {
        return on_terminate(id, std::move(r), note, ctx);
    }
    if (asks_for_stream(p_, pause_, r.attrs, r.payloads)) {
        return add_stream(id, rid, r.attrs, note, ctx);
    }
    if (!forward(id, r, ctx)) {
        return;
    }
    // Held whether or not it carried payloads: a poll is held like any
    // other request (C124-8-11).
    window_.hold({rid, id, ctx.now + p_.wait, false, key_of(r.attrs)}, ctx.lifetimes);
    if (pause_.requested(r.attrs)) {
        // C124-10-06: every held request and the pause request are answered
        // at once, and the inactivity period becomes the pause until the next
        // request (C124-10-08), shorter or longer than the normal one
        // (C124-10-09).
        ctx.log.debug("session.paused", {{"sid", p_.sid}, {"ip", p_.ip}, {"rid", rid}});
        pause_.begin(rid, util::Seconds(*r.attrs.pause));
        while (!window_.held().empty()) {
            // C124-10-07: no payload on the pause reply, nor on the others:
            // what is queued waits for the client's next request.
            // C124-14.3-08: the pause reply is not kept for a resend.
            ReplyNote pause_note;
            pause_note.cache = window_.held().front().rid != rid;
            replies_.answer_front(scope(ctx), false, pause_note);
        }
        return;
    }
    if (!attached) {
        // The client closed this connection while the request waited behind a
        // gap; answer it (not the oldest held one) into the cache so that a
        // resend finds its reply.
        window_.to_front(id);
        replies_.answer_front(scope(ctx), false, note);
    } else if (report) {
        // An ack showing a lost response: the next response goes out at once
        // with the report (C124-9.2-01, C124-9.2-02), and that is the oldest held
        // request's, never one ahead of it (C124-8-07). This request stays
        // under the hold rules.
        replies_.answer_front(scope(ctx), true, note);
    }
}

} // namespace boshd::bosh
