// Session: time and endings. Timers (wait, gaps, inactivity, late streams),
// clients that leave, and every way a session ends: terminated by the
// client, failed by a request or by the server side, shut down.
#include "bosh/session/session.h"

#include <algorithm>

namespace boshd::bosh {

void Session::on_aborted(RequestId id, Context& ctx) {
    const auto& held = window_.held();
    auto it = std::find_if(held.begin(), held.end(),
                           [&](const RequestWindow::Held& h) { return h.id == id; });
    if (it == held.end()) {
        // Its payload is kept: rid order matters more than the connection.
        window_.detach(id, ctx.lifetimes);
    } else if (it->creation) {
        // The client never learnt the sid, so nobody can reach this session
        // again: end it now rather than at inactivity.
        ctx.log.info("session.expired",
                     {{"sid", p_.sid}, {"ip", p_.ip}, {"reason", "creation abandoned"}});
        ++ctx.counters.sessions_expired;
        window_.drop(id, ctx.lifetimes);
        return finish(ctx);
    } else {
        // Answer it now, empty, into the cache: a resend of this rid finds
        // it there, and pending data stays queued for a live request.
        window_.to_front(id);
        replies_.answer_front(scope(ctx), false);
    }
    update_idle(ctx);
}

void Session::on_timer(Context& ctx) {
    if (finished_) {
        return;
    }
    const auto now = ctx.now;
    const auto late = streams_.late(now);
    for (LinkId link : late) {
        if (Stream* s = streams_.by_link(link); s && !finished_ && !terminal_) {
            fail_backend(Condition::RemoteConnectionFailed, "no stream features in time", ctx,
                         nullptr, s);
        }
    }
    if (!late.empty() && (finished_ || terminal_)) {
        return update_idle(ctx);
    }
    // C124-8-05, C124-8-08: answer at `wait` expiry, in rid order.
    for (auto n = window_.due(now); n > 0; --n) {
        replies_.answer_front(scope(ctx), true);
    }
    if (auto lost = window_.gap_expired(now, p_.gap_timeout())) {
        // A gap the client has not filled in gap_timeout(): the missing rid
        // is not coming back.
        fail_request(*lost, Condition::ItemNotFound, "rid gap not filled", ctx);
        return update_idle(ctx);
    }
    if (auto expiry = activity_.expiry(pause_.inactivity(p_.inactivity));
        expiry && now >= *expiry) {
        // C124-10-01: the client is gone; end silently. (Idle means nothing is
        // held and no live request waits behind a gap: nobody to answer.) A
        // session that had already ended was logged and counted then; only
        // its undelivered news goes now.
        if (terminal_) {
            ctx.log.debug("session.end_undelivered", {{"sid", p_.sid}, {"ip", p_.ip}});
        } else {
            ctx.log.info("session.expired",
                         {{"sid", p_.sid}, {"ip", p_.ip}, {"reason", "inactivity"}});
            ++ctx.counters.sessions_expired;
        }
        finish(ctx);
    }
    update_idle(ctx);
}

std::optional<util::TimePoint> Session::next_deadline() const {
    if (finished_) {
        return std::nullopt;
    }
    auto t = window_.next_deadline(p_.gap_timeout());
    const auto earliest = [&t](std::optional<util::TimePoint> x) {
        if (x && (!t || *x < *t)) {
            t = x;
        }
    };
    earliest(streams_.next_deadline());
    earliest(activity_.expiry(pause_.inactivity(p_.inactivity)));
    return t;
}

void Session::drain(Context& ctx) {
    if (finished_ || terminal_) {
        return;
    }
    const auto s = scope(ctx);
    const auto& held = window_.held();
    // A creation request still waits for the stream features: it is answered
    // with them (or at its `wait`), as ever.
    while (!held.empty() && !(held.front().creation && !streams_.first().negotiated)) {
        replies_.answer_front(s, true);
    }
    update_idle(ctx);
}

void Session::shutdown(Context& ctx) {
    if (finished_) {
        return;
    }
    if (!terminal_) { // a session that already ended is not terminated twice
        if (!window_.open()) {
            // No request can take the queue and none will come: its stanzas
            // go back to their senders before the stream closes (C206-7).
            streams_.bounce(replies_.queue(), p_.sid, p_.ip, ctx);
        }
        fail_backend(Condition::SystemShutdown, "boshd is shutting down", ctx);
    }
    finish(ctx); // no next request will come to collect a pending terminal reply
}

void Session::client_terminate(RequestId id, Request r, Context& ctx) {
    // C124-13-01: the payloads (typically unavailable presence) go first, to
    // every stream (C124-16.5-03).
    for (const auto& s : streams_.all()) {
        s->send(r.payloads, ctx);
    }
    window_.hold({*r.attrs.rid, id, ctx.now, false, key_of(r.attrs)}, ctx.lifetimes);
    // C124-13-02: the oldest open request confirms with type='terminate',
    // every other one gets an empty body.
    BodyBuilder first;
    first.attribute("type", "terminate");
    if (streams_.size() <= 1) { // else they bounce: one body, one stream (C124-16.4-01)
        const auto all = replies_.queue().take_all();
        ctx.counters.stanzas_to_client += all.size();
        first.payloads(all);
    }
    // After the queue went to the client: nothing to bounce (C206-7).
    streams_.close_all(replies_.queue(), p_.sid, p_.ip, ctx);
    replies_.answer_all(scope(ctx), make_reply(first.finish(), p_.content_type),
                        make_reply(BodyBuilder().finish(), p_.content_type));
    ctx.log.info("session.terminated", {{"sid", p_.sid}, {"ip", p_.ip}, {"by", "client"}});
    ++ctx.counters.sessions_terminated;
    ++ctx.counters.sessions_ended_by_client;
    finish(ctx); // the sid is dead, every stream closed (C124-13-03)
}

// The failing request gets |c|, every other open one other-request (C124-17.2-10).
void Session::fail_request(RequestId id, Condition c, std::string_view reason, Context& ctx) {
    ctx.log.notice(
        "session.terminated",
        {{"sid", p_.sid}, {"ip", p_.ip}, {"condition", to_string(c)}, {"reason", reason}});
    ++ctx.counters.requests_rejected;
    ++ctx.counters.sessions_terminated;
    ++ctx.counters.sessions_ended_by[index_of(c)];
    ctx.respond(id, replies_.terminal(scope(ctx), c, false));
    window_.drop(id, ctx.lifetimes);
    replies_.answer_all(scope(ctx), nullptr,
                        replies_.terminal(scope(ctx), Condition::OtherRequest, false));
    streams_.close_all(replies_.queue(), p_.sid, p_.ip, ctx);
    finish(ctx);
}

void Session::fail_backend(Condition c, std::string_view reason, Context& ctx,
                           const xml::Fragment* stream_error, Stream* on) {
    if (on && streams_.size() > 1) {
        // C124-16.6-01: other streams stay open, so the error is scoped to
        // |on|, which closes (C124-16.6-02); the session goes on (C124-16.6-03).
        ++ctx.counters.backend_failures;
        ctx.log.notice("stream.closed", {{"sid", p_.sid},
                                         {"ip", p_.ip},
                                         {"link", value_of(on->link)},
                                         {"condition", to_string(c)},
                                         {"reason", reason},
                                         {"route", on->route->domain}});
        // C206-6-03: what the server sent before its error comes first.
        auto payloads = replies_.queue().take_stream(on->link);
        if (stream_error) {
            payloads.push_back(*stream_error);
        }
        replies_.queue().add_end(StreamEnd{on->name, c, std::move(payloads)});
        streams_.drop(*on, ctx);
        if (!window_.held().empty()) {
            replies_.answer_end(scope(ctx)); // else the next request carries it (release())
        }
        return;
    }
    // Without other streams the error ends the session (C124-16.6-04). The
    // oldest open request carries the condition and whatever the server sent
    // before; if no request is open, the reply waits for the client's next
    // request (C206-6-04).
    if (c != Condition::SystemShutdown) {
        ++ctx.counters.backend_failures;
    }
    ++ctx.counters.sessions_terminated;
    ++ctx.counters.sessions_ended_by[index_of(c)];
    ctx.log.notice("session.terminated", {{"sid", p_.sid},
                                          {"ip", p_.ip},
                                          {"condition", to_string(c)},
                                          {"reason", reason},
                                          {"route", (on ? on->route : p_.route)->domain}});
    // The backend is over: its timer must not fire again while the terminal
    // reply waits for the next request.
    streams_.cancel_deadlines();
    // The queue goes into the terminal reply, for the client, before the
    // stream is closed (so it is not bounced: C206-7 is for what never leaves).
    auto reply = replies_.terminal(scope(ctx), c, true, stream_error);
    streams_.close_all(replies_.queue(), p_.sid, p_.ip, ctx);
    if (!window_.open()) {
        terminal_ = std::move(reply);
        return;
    }
    replies_.answer_all(scope(ctx), std::move(reply), replies_.terminal(scope(ctx), c, false));
    finish(ctx);
}

void Session::finish(Context& ctx) {
    streams_.close_all(replies_.queue(), p_.sid, p_.ip, ctx);
    if (replies_.queue().has_end()) {
        // Stream ends no request came for (C124-16.6-01): their payloads are
        // lost with the session.
        const auto ends = replies_.queue().end_count();
        const auto payloads = replies_.queue().drop_ends();
        ctx.log.info("stream.ends_dropped",
                     {{"sid", p_.sid}, {"ip", p_.ip}, {"ends", ends}, {"payloads", payloads}});
    }
    finished_ = true;
    replies_.queue().clear();
}

} // namespace boshd::bosh
