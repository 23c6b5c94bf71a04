// Session: the streams. Sending what a request carries to the streams it
// names, adding a stream and closing one (XEP-0124 §16), and what the server
// sends on each (XEP-0206).
#include "bosh/session/session.h"

#include <algorithm>

namespace boshd::bosh {

bool Session::forward(RequestId id, const Request& r, Context& ctx) {
    // The one stream the request names (or restarts); nullptr: every stream.
    Stream* named = nullptr;
    // C124-16.4-06: `stream` on an empty body is ignored.
    if (p_.multi_stream() && r.attrs.stream && (!r.payloads.empty() || r.attrs.restart)) {
        named = streams_.by_name(*r.attrs.stream);
        if (!named) {
            // C124-16.4-04, C124-16.6-02: a terminal binding error.
            fail_request(id, Condition::ItemNotFound, "stream names no open stream", ctx);
            return false;
        }
        // C124-16.4-03: to that stream only.
    } else if (r.attrs.restart) {
        if (streams_.named() && streams_.first().link != p_.link) {
            // Once streams are named, a restart without `stream` means the
            // session's first stream (C206-5-04 restarts one stream). With
            // that one closed, guessing another would restart a stream the
            // client did not mean: bad-request (XEP-0124 §17.2).
            fail_request(id, Condition::BadRequest,
                         "restart without stream and the first stream is closed", ctx);
            return false;
        }
        named = &streams_.first(); // without `stream`: the session's first stream
    }
    if (r.attrs.restart) {
        if (r.attrs.to && !same_domain(*r.attrs.to, named->header.to)) {
            // A restart may not re-target the stream at another domain of the
            // same server: only the routed domain is served (C124-17.2-06).
            fail_request(id, Condition::HostUnknown, "restart names another domain", ctx);
            return false;
        }
        // A restart is always honoured (N206-03). C206-5-04, C206-5-05,
        // C206-5-07: a new header on the same connection, no closing tag,
        // built from the restart request's to and xml:lang when it has them;
        // stanzas inside a restart request are ignored (C206-5-03, N206-02).
        xmpp::HeaderParams header;
        header.to = r.attrs.to.value_or("");
        header.lang = r.attrs.lang.value_or("");
        header.from = r.attrs.from.value_or(""); // C206-5-08 (SASL EXTERNAL)
        ctx.log.debug("stream.restart",
                      {{"sid", p_.sid}, {"ip", p_.ip}, {"link", value_of(named->link)}});
        named->write(named->protocol.restart(header), ctx);
        return true;
    }
    // Payloads wait while a stream comes up; they may not pile up.
    const auto overflows = [&](const Stream& s) {
        return !s.negotiated &&
               s.pending.size() + xml::total_bytes(r.payloads) > ctx.limits.max_server_queue;
    };
    const auto& all = streams_.all();
    if (named ? overflows(*named)
              : std::any_of(all.begin(), all.end(), [&](const auto& s) { return overflows(*s); })) {
        fail_request(id, Condition::PolicyViolation,
                     "payloads before the stream was up over session.max_server_queue", ctx);
        return false;
    }
    // C124-8-01: forwarded at once; C124-16.4-02: without `stream`, to every stream.
    if (named) {
        named->send(r.payloads, ctx);
    } else {
        for (const auto& s : all) {
            s->send(r.payloads, ctx);
        }
    }
    return true;
}

void Session::add_stream(RequestId id, std::uint64_t rid, const BodyAttrs& a,
                         const ReplyNote& report, Context& ctx) {
    window_.hold({rid, id, ctx.now + p_.wait, false, key_of(a)}, ctx.lifetimes); // answered now
    std::shared_ptr<const Route> route;
    auto refuse = [&](Condition c, std::string_view reason) {
        // This add only: the client's other streams are fine. The error is
        // scoped to a stream name minted for it (XEP-0124 §16.6,
        // C124-16.6-01): no stream ever has it.
        ++ctx.counters.requests_rejected;
        ctx.log.notice(
            "request.rejected",
            {{"sid", p_.sid}, {"ip", p_.ip}, {"condition", to_string(c)}, {"reason", reason}});
        replies_.answer_newest(scope(ctx), StreamEnd{ctx.ids.token(), c, {}}, report);
    };
    if (streams_.size() >= ctx.limits.max_streams) {
        return refuse(Condition::PolicyViolation, "session.max_streams reached");
    }
    if (streams_.last_add() && ctx.now - *streams_.last_add() < p_.polling) {
        // An add is answered at once and exempt from the polling rules
        // (C124-11-04 is for empty requests), yet each opens a connection to
        // the server: adds are `polling` apart, like the empty requests of
        // C124-12-03.
        return refuse(Condition::PolicyViolation, "add-stream sooner than polling");
    }
    if (!(route = ctx.routes.find(*a.to))) {
        // As at creation: only served domains, never an open relay
        // (C124-17.2-06; `route` is ignored, C124-7.1-05).
        return refuse(Condition::HostUnknown, "no route for the domain");
    }
    xmpp::HeaderParams header;
    header.to = *a.to;
    header.lang = a.lang.value_or(p_.header.lang);
    header.from = a.from.value_or("");
    header.version = a.xmpp_version.value_or("1.0"); // C206-3-01, C206-4-07
    auto s = std::make_unique<Stream>(ctx.ids.token(), ctx.ids.link(), std::move(route),
                                      std::move(header), p_.client, ctx);
    ctx.log.info("stream.added",
                 {{"sid", p_.sid}, {"ip", p_.ip}, {"to", *a.to}, {"link", value_of(s->link)}});
    // C124-16.3-02, C124-16.3-03: the reply names the new stream and carries
    // no session attributes; its `from` and `xmpp:version` come with the
    // stream's first payloads, in a reply that names it too (C124-16.3-04,
    // C206-4-07).
    ReplyNote note = report;
    note.stream = s.get();
    streams_.add(std::move(s), ctx.now);
    replies_.answer_newest(scope(ctx), std::nullopt, note);
}

void Session::on_terminate(RequestId id, Request r, const ReplyNote& report, Context& ctx) {
    Stream* s = p_.multi_stream() && r.attrs.stream ? streams_.by_name(*r.attrs.stream) : nullptr;
    if (p_.multi_stream() && r.attrs.stream && !s) {
        return fail_request(id, Condition::ItemNotFound, "stream names no open stream",
                            ctx); // C124-16.4-04
    }
    if (!s || streams_.size() <= 1) {
        // C124-16.5-03; C124-16.5-02: closing the last stream ends the session.
        return client_terminate(id, std::move(r), ctx);
    }
    // C124-16.5-01: the payloads go to |s|, which closes; the session goes on.
    if (!s->negotiated && (!r.payloads.empty() || !s->pending.empty())) {
        // Closing now would drop what the stream still owes its server, yet
        // count it forwarded: the client waits for the stream to be up (its
        // features) before it ends it with payloads.
        return fail_request(id, Condition::BadRequest,
                            "terminate with payloads of a stream not yet up", ctx);
    }
    s->send(r.payloads, ctx);
    window_.hold({*r.attrs.rid, id, ctx.now, false, key_of(r.attrs)}, ctx.lifetimes);
    // What the server sent on |s| goes to the client with the confirmation.
    StreamEnd end{s->name, std::nullopt, replies_.queue().take_stream(s->link)};
    ctx.log.info("stream.closed",
                 {{"sid", p_.sid}, {"ip", p_.ip}, {"link", value_of(s->link)}, {"by", "client"}});
    streams_.drop(*s, ctx);
    replies_.answer_newest(scope(ctx), std::move(end), report);
}

void Session::on_backend_connected(LinkId link, Context& ctx) {
    Stream* s = streams_.by_link(link);
    if (finished_ || terminal_ || !s) {
        return;
    }
    s->connected = true;
    s->write(s->protocol.open(s->header), ctx);
    update_idle(ctx);
}

void Session::on_backend_tls_ready(LinkId link, Context& ctx) {
    Stream* s = streams_.by_link(link);
    if (finished_ || terminal_ || !s) {
        return;
    }
    // RFC 6120 §5.4.3.3: after the TLS handshake a new stream starts.
    s->write(s->protocol.tls_established(), ctx);
    update_idle(ctx);
}

void Session::on_backend_data(LinkId link, std::string_view bytes, Context& ctx) {
    Stream* s = streams_.by_link(link);
    if (finished_ || terminal_ || !s) {
        return;
    }
    server_events_.clear();
    s->protocol.receive(bytes, server_events_);
    for (auto& ev : server_events_) {
        // A stream-scoped failure may have closed |s|: stop there.
        if (finished_ || terminal_ || !streams_.by_link(link)) {
            break;
        }
        on_server_event(*s, ev, ctx);
    }
    if (finished_ || terminal_) {
        return;
    }
    replies_.release(scope(ctx));
    if (replies_.queue().bytes() > ctx.limits.max_client_queue) {
        // What no held request could take is over the limit: the client stopped
        // collecting its data; do not buffer without bound. Nothing can carry
        // the queue and the stream is up: it goes back to its senders, as on
        // shutdown() (C206-7).
        if (!window_.open()) {
            streams_.bounce(replies_.queue(), p_.sid, p_.ip, ctx);
        }
        fail_backend(Condition::PolicyViolation, "client queue over session.max_client_queue", ctx);
    }
    update_idle(ctx);
}

void Session::on_server_event(Stream& s, xmpp::ServerEvent& ev, Context& ctx) {
    if (auto* opened = std::get_if<xmpp::server::Opened>(&ev)) {
        s.server_header = std::move(opened->header);
    } else if (auto* features = std::get_if<xmpp::server::Features>(&ev)) {
        s.features_arrived(ctx);
        replies_.queue().push(s.link, std::move(features->features)); // C206-4-02, C206-5-06
    } else if (auto* stanza = std::get_if<xmpp::server::Stanza>(&ev)) {
        replies_.queue().push(s.link, std::move(stanza->stanza));
    } else if (auto* send = std::get_if<xmpp::server::Send>(&ev)) {
        s.write(std::move(send->bytes), ctx);
    } else if (std::holds_alternative<xmpp::server::BeginTls>(ev)) {
        ctx.emit<StartTls>(s.link);
    } else if (auto* error = std::get_if<xmpp::server::StreamError>(&ev)) {
        // C206-6-01, C206-6-02, C124-17.2-03: the whole <stream:error/>, under
        // remote-stream-error (C206-2-03), never mapped onto a BOSH condition
        // (C206-6-05).
        // The condition and text go to the log, so that an operator sees why
        // without a packet capture (connection-timeout, policy-violation...).
        std::string reason = "stream error from the server";
        if (!error->condition.empty()) {
            reason += ": " + error->condition;
        }
        if (!error->text.empty()) {
            reason += " (" + error->text + ")";
        }
        fail_backend(Condition::RemoteStreamError, reason, ctx, &error->error, &s);
    } else if (std::holds_alternative<xmpp::server::Ended>(ev)) {
        fail_backend(Condition::RemoteConnectionFailed, "the server closed the stream", ctx,
                     nullptr, &s);
    } else {
        fail_backend(Condition::RemoteConnectionFailed, std::get<xmpp::server::Failed>(ev).reason,
                     ctx, nullptr, &s);
    }
}

void Session::on_backend_closed(LinkId link, std::string_view reason, Context& ctx) {
    Stream* s = streams_.by_link(link);
    if (!s) {
        return;
    }
    s->link_open = false; // the adapter has already let go of the link
    s->connected = false;
    if (finished_ || terminal_) {
        return;
    }
    fail_backend(Condition::RemoteConnectionFailed, reason, ctx, nullptr, s); // C124-17.2-12
    update_idle(ctx);
}

} // namespace boshd::bosh
