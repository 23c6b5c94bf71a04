// Session: the server side. Each XMPP stream's lifecycle and the stanzas that
// cross it in both directions (one stream, or several under XEP-0124 §16).
#include "bosh/session.h"
#include "xmpp/bounce.h"

#include <algorithm>

namespace boshd::bosh {

void Session::on_backend_connected(LinkId link, Context& ctx) {
    Stream* s = stream_by_link(link);
    if (finished_ || terminal_ || !s) {
        return;
    }
    s->connected = true;
    write(*s, s->server.open(s->header), ctx);
    update_idle(ctx);
}

void Session::on_backend_tls_ready(LinkId link, Context& ctx) {
    Stream* s = stream_by_link(link);
    if (finished_ || terminal_ || !s) {
        return;
    }
    // RFC 6120 §5.4.3.3: after the TLS handshake a new stream starts.
    write(*s, s->server.tls_established(), ctx);
    update_idle(ctx);
}

void Session::on_backend_data(LinkId link, std::string_view bytes, Context& ctx) {
    Stream* s = stream_by_link(link);
    if (finished_ || terminal_ || !s) {
        return;
    }
    on_stream_data(*s, bytes, ctx);
    if (finished_ || terminal_) {
        return;
    }
    release(ctx);
    if (queue_bytes_ > ctx.limits.max_client_queue) {
        // What no held request could take is over the limit: the client stopped
        // collecting its data; do not buffer without bound. Nothing can carry
        // the queue and the stream is up: it goes back to its senders, as on
        // shutdown() (C206-7).
        if (!open_requests()) {
            bounce_undelivered(ctx);
        }
        fail_backend(Condition::PolicyViolation, "client queue over session.max_client_queue", ctx);
    }
    update_idle(ctx);
}

// Handles |bytes| from |s|'s server. Stops once |s| is gone (a stream-scoped
// failure) or the session ended.
void Session::on_stream_data(Stream& s, std::string_view bytes, Context& ctx) {
    const LinkId link = s.link;
    server_events_.clear();
    s.server.receive(bytes, server_events_);
    for (auto& ev : server_events_) {
        if (finished_ || terminal_ || !stream_by_link(link)) {
            break;
        }
        if (auto* opened = std::get_if<xmpp::server::Opened>(&ev)) {
            s.server_header = std::move(opened->header);
        } else if (auto* features = std::get_if<xmpp::server::Features>(&ev)) {
            if (!s.negotiated) {
                s.negotiated = true;
                s.deadline.reset();
                if (s.link == p_.link) {
                    negotiated_ = true;
                }
                if (!s.pending.empty()) {
                    write(s, std::move(s.pending), ctx);
                    s.pending.clear();
                }
            }
            to_client(s, std::move(features->features), ctx); // C206-4-02, C206-5-06
        } else if (auto* stanza = std::get_if<xmpp::server::Stanza>(&ev)) {
            to_client(s, std::move(stanza->stanza), ctx);
        } else if (auto* send = std::get_if<xmpp::server::Send>(&ev)) {
            write(s, std::move(send->bytes), ctx);
        } else if (std::holds_alternative<xmpp::server::BeginTls>(ev)) {
            ctx.emit<StartTls>(s.link);
        } else if (auto* error = std::get_if<xmpp::server::StreamError>(&ev)) {
            // C206-6-01/02, C124-17.2-03: the whole <stream:error/>, under
            // remote-stream-error, never mapped onto a BOSH condition.
            fail_backend(Condition::RemoteStreamError, "stream error from the server", ctx,
                         &error->error, &s);
        } else if (std::holds_alternative<xmpp::server::Ended>(ev)) {
            fail_backend(Condition::RemoteConnectionFailed, "the server closed the stream", ctx,
                         nullptr, &s);
        } else {
            fail_backend(Condition::RemoteConnectionFailed,
                         std::get<xmpp::server::Failed>(ev).reason, ctx, nullptr, &s);
        }
    }
}

void Session::on_backend_closed(LinkId link, std::string_view reason, Context& ctx) {
    Stream* s = stream_by_link(link);
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

void Session::restart(Stream& s, const BodyAttrs& a, Context& ctx) {
    // C206-5-04/05/07: a new header on the same connection, no closing tag,
    // built from the restart request's to and xml:lang when it has them.
    xmpp::HeaderParams params;
    params.to = a.to.value_or("");
    params.lang = a.lang.value_or("");
    params.from = a.from.value_or(""); // C206-5-08 (SASL EXTERNAL)
    ctx.log.debug("stream.restart", {{"sid", p_.sid}, {"link", value_of(s.link)}});
    write(s, s.server.restart(params), ctx);
}

void Session::to_server(Stream& s, const std::vector<xml::Fragment>& payloads, Context& ctx) {
    if (payloads.empty()) {
        return;
    }
    std::string bytes;
    bytes.reserve(xml::total_bytes(payloads));
    for (const auto& f : payloads) {
        bytes += f.bytes;
    }
    ctx.counters.stanzas_to_server += payloads.size();
    if (!s.negotiated) {
        // The stream is not up yet (connect, STARTTLS): keep the order.
        s.pending += bytes;
        return;
    }
    write(s, std::move(bytes), ctx);
}

void Session::write(Stream& s, std::string bytes, Context& ctx) {
    if (s.link_open) {
        ctx.emit<WriteBackend>(s.link, std::move(bytes));
    }
}

// Sends the server an error for each queued stanza that needs one, on the
// stream it came from, and empties the queue (XEP-0206 §7).
void Session::bounce_undelivered(Context& ctx) {
    std::size_t bounced = 0;
    std::size_t dropped = 0;
    // Bounces share each link's write buffer, bounded by max_server_queue,
    // with what is already pending and the closing </stream:stream>: past
    // half of it (per stream, each link has its own buffer), the rest is
    // dropped rather than have a link drop everything.
    const std::size_t budget = ctx.limits.max_server_queue / 2;
    std::vector<std::size_t> bytes(streams_.size(), 0); // by index in streams_
    for (const auto& q : queue_) {
        auto it = std::find_if(streams_.begin(), streams_.end(),
                               [&](const auto& p) { return p->link == q.link; });
        Stream* s = it == streams_.end() ? nullptr : it->get();
        if (s && s->negotiated && s->link_open && s->connected) {
            if (auto error = xmpp::bounce(q.fragment)) {
                auto& used = bytes[static_cast<std::size_t>(it - streams_.begin())];
                if (used + error->size() > budget) {
                    ++dropped;
                    continue;
                }
                used += error->size();
                write(*s, std::move(*error), ctx);
                ++bounced;
            }
        }
    }
    if (bounced > 0 || dropped > 0) {
        ctx.log.info("session.bounced",
                     {{"sid", p_.sid}, {"stanzas", bounced}, {"dropped", dropped}});
    }
    clear_queue();
}

// Empties the client queue. The stream ends waiting for a request stay
// counted in queue_bytes_ until they are delivered (max_client_queue).
void Session::clear_queue() {
    queue_.clear();
    queue_bytes_ = 0;
    for (const auto& e : stream_ends_) {
        queue_bytes_ += xml::total_bytes(e.payloads);
    }
}

std::vector<xml::Fragment> Session::take_queue() {
    std::vector<xml::Fragment> out;
    out.reserve(queue_.size());
    for (auto& q : queue_) {
        out.push_back(std::move(q.fragment));
    }
    clear_queue();
    return out;
}

void Session::to_client(Stream& s, xml::Fragment f, Context&) {
    queue_bytes_ += f.bytes.size();
    queue_.push_back({std::move(f), s.link});
}

void Session::close_link(Stream& s, Context& ctx) {
    if (!s.link_open) {
        return;
    }
    if (s.connected) {
        write(s, std::string(xmpp::kStreamClose), ctx);
    }
    s.link_open = false;
    ctx.emit<CloseBackend>(s.link);
}

void Session::close_backend(Context& ctx) {
    // C206-7-01..03: what the client never got goes back to its senders,
    // each on its own stream, before the streams close.
    bool any_open = false;
    for (auto& s : streams_) {
        any_open = any_open || (s->link_open && s->connected);
    }
    if (any_open) {
        bounce_undelivered(ctx);
    }
    for (auto& s : streams_) {
        close_link(*s, ctx);
    }
}

} // namespace boshd::bosh
