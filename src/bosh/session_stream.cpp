// Session: the server side. The XMPP stream's lifecycle and the stanzas that
// cross it in both directions.
#include "bosh/session.h"
#include "xmpp/bounce.h"

namespace boshd::bosh {

void Session::on_backend_connected(Context& ctx) {
    if (finished_ || terminal_) {
        return;
    }
    link_connected_ = true;
    write(stream_.open(p_.header), ctx);
    update_idle(ctx);
}

void Session::on_backend_tls_ready(Context& ctx) {
    if (finished_ || terminal_) {
        return;
    }
    // RFC 6120 §5.4.3.3: after the TLS handshake a new stream starts.
    write(stream_.tls_established(), ctx);
    update_idle(ctx);
}

void Session::on_backend_data(std::string_view bytes, Context& ctx) {
    if (finished_ || terminal_) {
        return;
    }
    server_events_.clear();
    stream_.receive(bytes, server_events_);
    for (auto& ev : server_events_) {
        if (finished_ || terminal_) {
            break;
        }
        if (auto* opened = std::get_if<xmpp::server::Opened>(&ev)) {
            server_header_ = std::move(opened->header);
        } else if (auto* features = std::get_if<xmpp::server::Features>(&ev)) {
            if (!negotiated_) {
                negotiated_ = true;
                backend_deadline_.reset();
                if (!to_server_pending_.empty()) {
                    write(std::move(to_server_pending_), ctx);
                    to_server_pending_.clear();
                }
            }
            to_client(std::move(features->features), ctx); // C206-4-02, C206-5-06
        } else if (auto* stanza = std::get_if<xmpp::server::Stanza>(&ev)) {
            to_client(std::move(stanza->stanza), ctx);
        } else if (auto* send = std::get_if<xmpp::server::Send>(&ev)) {
            write(std::move(send->bytes), ctx);
        } else if (std::holds_alternative<xmpp::server::BeginTls>(ev)) {
            ctx.emit<StartTls>(p_.link);
        } else if (auto* error = std::get_if<xmpp::server::StreamError>(&ev)) {
            // C206-6-01/02, C124-17.2-03: the whole <stream:error/>, under
            // remote-stream-error, never mapped onto a BOSH condition.
            fail_backend(Condition::RemoteStreamError, "stream error from the server", ctx,
                         &error->error);
        } else if (std::holds_alternative<xmpp::server::Ended>(ev)) {
            fail_backend(Condition::RemoteConnectionFailed, "the server closed the stream", ctx);
        } else {
            fail_backend(Condition::RemoteConnectionFailed,
                         std::get<xmpp::server::Failed>(ev).reason, ctx);
        }
    }
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

void Session::on_backend_closed(std::string_view reason, Context& ctx) {
    link_open_ = false; // the adapter has already let go of the link
    link_connected_ = false;
    if (finished_ || terminal_) {
        return;
    }
    fail_backend(Condition::RemoteConnectionFailed, reason, ctx); // C124-17.2-12
    update_idle(ctx);
}

void Session::restart(const BodyAttrs& a, Context& ctx) {
    // C206-5-04/05/07: a new header on the same connection, no closing tag,
    // built from the restart request's to and xml:lang when it has them.
    xmpp::HeaderParams params;
    params.to = a.to.value_or("");
    params.lang = a.lang.value_or("");
    params.from = a.from.value_or(""); // C206-5-08 (SASL EXTERNAL)
    ctx.log.debug("stream.restart", {{"sid", p_.sid}});
    write(stream_.restart(params), ctx);
}

void Session::to_server(const std::vector<xml::Fragment>& payloads, Context& ctx) {
    if (payloads.empty()) {
        return;
    }
    std::string bytes;
    bytes.reserve(xml::total_bytes(payloads));
    for (const auto& f : payloads) {
        bytes += f.bytes;
    }
    ctx.counters.stanzas_to_server += payloads.size();
    if (!negotiated_) {
        // The stream is not up yet (connect, STARTTLS): keep the order.
        to_server_pending_ += bytes;
        return;
    }
    write(std::move(bytes), ctx);
}

void Session::write(std::string bytes, Context& ctx) {
    if (link_open_) {
        ctx.emit<WriteBackend>(p_.link, std::move(bytes));
    }
}

void Session::bounce_undelivered(Context& ctx) {
    std::size_t bounced = 0;
    std::size_t dropped = 0;
    // Bounces share the link's write buffer, bounded by max_server_queue, with
    // what is already pending and the closing </stream:stream>: past half of
    // it, the rest is dropped rather than have the link drop everything.
    const std::size_t budget = ctx.limits.max_server_queue / 2;
    std::size_t bytes = 0;
    if (negotiated_ && link_open_ && link_connected_) {
        for (const auto& f : queue_) {
            if (auto error = xmpp::bounce(f)) {
                if (bytes + error->size() > budget) {
                    ++dropped;
                    continue;
                }
                bytes += error->size();
                write(std::move(*error), ctx);
                ++bounced;
            }
        }
    }
    if (bounced > 0 || dropped > 0) {
        ctx.log.info("session.bounced",
                     {{"sid", p_.sid}, {"stanzas", bounced}, {"dropped", dropped}});
    }
    queue_.clear();
    queue_bytes_ = 0;
}

void Session::to_client(xml::Fragment f, Context&) {
    queue_bytes_ += f.bytes.size();
    queue_.push_back(std::move(f));
}

} // namespace boshd::bosh
