// Session: building and sending replies, and ending the session.
#include "bosh/session.h"

#include <algorithm>

namespace boshd::bosh {

namespace {

// The highest BOSH version boshd implements (XEP-0124 1.11).
constexpr Version kMaxVersion{1, 11};

} // namespace

void Session::respond(RequestId id, ReplyPtr reply, Context& ctx) {
    ctx.counters.bytes_to_client += reply->body.size();
    ctx.emit<Respond>(id, std::move(reply));
}

// Decides which held requests are answered now.
void Session::release(Context& ctx) {
    if (held_.empty() || (held_.front().creation && !negotiated_)) {
        // The creation reply waits for the stream features, but not past its
        // `wait`: the timer then sends it without them, and they follow in a
        // later reply (C206-4-02).
        return;
    }
    // Streams that ended while nothing was held (C124-16.6-01).
    while (!stream_ends_.empty() && !held_.empty()) {
        answer_stream_end(ctx);
    }
    // C124-8-09, C124-8-10: queued payloads go out at once on the oldest
    // request (one body per stream when bodies are named, C124-16.4-01).
    while (!queue_.empty() && !held_.empty()) {
        answer_front(ctx, true);
    }
    // C124-8-06: never hold more than `hold`; polling sessions hold nothing.
    const std::size_t hold = polling_session() ? 0 : p_.hold;
    while (held_.size() > hold) {
        answer_front(ctx, true);
    }
}

void Session::answer_front(Context& ctx, bool with_payloads, const ReplyNote& note) {
    Held h = std::move(held_.front());
    held_.erase(held_.begin());
    highest_answered_ = std::max(highest_answered_, h.rid);
    BodyBuilder b;
    std::vector<xml::Fragment> payloads;
    Stream* from = with_payloads ? take_payloads(payloads) : nullptr;
    if (h.creation) {
        add_creation_attributes(b);
    } else if (!named()) {
        add_stream_info(b, false, first_stream());
    } else {
        // C124-16.4-01: a body with payloads names their stream; an empty
        // one names none (C124-16.4-06) unless it carries a stream's `from`
        // (C124-16.3-04) or answers an add-stream request (C124-16.3-02).
        Stream* named_stream = payloads.empty() ? note.stream : from;
        if (!named_stream) {
            auto it = std::find_if(streams_.begin(), streams_.end(),
                                   [](const auto& s) { return !s->info_sent && s->server_header; });
            named_stream = it == streams_.end() ? nullptr : it->get();
        }
        if (named_stream) {
            add_named_info(b, *named_stream);
        }
    }
    if (!h.creation) {
        add_ack(b, h.rid, note, ctx);
    }
    last_reply_had_payloads_ = !payloads.empty();
    if (!payloads.empty()) {
        b.payloads(payloads);
        ctx.counters.stanzas_to_client += payloads.size();
    }
    auto reply = make_reply(b.finish(), p_.content_type);
    if (note.cache) {
        window_.remember({h.rid, reply, ctx.now, std::move(h.key)});
    }
    respond(h.id, std::move(reply), ctx);
}

// C124-9.1-01/03: acknowledge the highest rid received in order when it is
// not the one being answered; C124-9.2-01/02: a due report.
void Session::add_ack(BodyBuilder& b, std::uint64_t rid, const ReplyNote& note, Context& ctx) {
    if (p_.acks && window_.last() > rid) {
        b.attribute("ack", window_.last());
    }
    if (note.report != 0) {
        b.attribute("report", note.report).attribute("time", note.time_ms);
        // Each missing rid is reported once, when the report goes out.
        last_reported_ = std::max(last_reported_, note.report);
        ctx.log.info("request.report", {{"sid", p_.sid}, {"rid", rid}, {"report", note.report}});
    }
}

// C124-7.2-11 and C206-4-01: the server's identity and stream version go to
// the client in the first reply after they are known.
// |xmpp_declared|: the xmlns:xmpp prefix is already on the body.
void Session::add_stream_info(BodyBuilder& b, bool xmpp_declared, Stream& s) {
    if (s.info_sent || !s.server_header) {
        return;
    }
    s.info_sent = true;
    const auto& header = *s.server_header;
    b.attribute("from", header.from.empty() ? s.header.to : header.from);
    if (s.route->tls != TlsMode::None && s.route->tls_verify) {
        // XEP-0124 §7.2: the link to the server is secure, which an
        // unauthenticated encryption is not.
        b.attribute("secure", "true");
    }
    if (!header.version.empty()) {
        if (!xmpp_declared) {
            b.attribute("xmlns:xmpp", kXboshNs);
        }
        b.attribute("xmpp:version", header.version);
    }
}

// XEP-0124 §7.2 and XEP-0206 §4.
void Session::add_creation_attributes(BodyBuilder& b) {
    using std::chrono::duration_cast;
    if (multi_stream()) {
        b.attribute("stream", p_.stream_name); // C124-16.2-01
    }
    b.attribute("sid", p_.sid)
        .attribute("wait",
                   static_cast<std::uint64_t>(duration_cast<util::Seconds>(p_.wait).count()))
        .attribute("requests", p_.requests)
        .attribute("hold", p_.hold)
        .attribute("inactivity",
                   static_cast<std::uint64_t>(duration_cast<util::Seconds>(p_.inactivity).count()));
    if (p_.polling > util::Duration::zero()) {
        b.attribute("polling",
                    static_cast<std::uint64_t>(duration_cast<util::Seconds>(p_.polling).count()));
    }
    if (p_.ver) {
        b.attribute("ver", to_string(std::min(*p_.ver, kMaxVersion))); // C124-7.2-06
    }
    if (p_.acks) {
        b.attribute("ack", p_.creation_rid); // C124-7.2-15, C124-9.1-02
    }
    if (!p_.accept.empty()) {
        // C124-7.2-13: the codings the client may use on its requests
        // (C124-7.2-14). XEP-0124 §7.2's prose says space-separated but its
        // example, like the checklist, writes "deflate,gzip"; the value is
        // passed through as configured.
        b.attribute("accept", p_.accept);
    }
    if (p_.max_pause > util::Duration::zero()) {
        b.attribute("maxpause",
                    static_cast<std::uint64_t>(
                        duration_cast<util::Seconds>(p_.max_pause).count())); // C124-7.2-16
    }
    b.attribute("xmlns:xmpp", kXboshNs);
    b.attribute("xmpp:restartlogic", "true"); // C206-4-03
    const auto& header = first_stream().server_header;
    if (header && !header->id.empty()) {
        b.attribute("authid", header->id); // C206-4-05 (legacy clients)
    }
    add_stream_info(b, true, first_stream());
}

ReplyPtr Session::terminal_reply(Condition c, bool with_payloads, const xml::Fragment* trailer) {
    BodyBuilder b;
    b.terminate(c);
    // C124-16.4-01: with several streams open, one body may not carry the
    // payloads of more than one, and a session-level terminate names none
    // (C124-16.6-04): the queue stays behind and goes back to its senders,
    // each on its own stream, as the streams close (C206-7).
    if (with_payloads && streams_.size() <= 1) {
        // C206-6-03: stanzas the server sent before its error come first.
        auto all = take_queue();
        if (trailer) {
            all.push_back(*trailer);
        }
        b.payloads(all);
    }
    const int status = p_.ver ? 200 : legacy_http_status(c); // C124-17.1-01/02
    return make_reply(b.finish(), p_.content_type, status);
}

// Answers every open request of the session: the oldest with |first|, the
// others with |rest|, then every request still waiting behind a gap with |rest|.
void Session::answer_all(ReplyPtr first, const ReplyPtr& rest, Context& ctx) {
    for (auto& h : held_) {
        respond(h.id, first ? std::move(first) : rest, ctx);
        first = nullptr;
    }
    held_.clear();
    for (auto& [rid, e] : window_.early_requests()) {
        if (e.attached) {
            respond(e.id, first ? std::move(first) : rest, ctx);
            first = nullptr;
        }
    }
    window_.early_requests().clear();
}

// A request ends the session (XEP-0124 §17.2): it gets |c|, every other open
// request gets other-request (C124-17.2-10).
void Session::fail_request(RequestId id, Condition c, std::string_view reason, Context& ctx) {
    ctx.log.notice("session.terminated",
                   {{"sid", p_.sid}, {"condition", to_string(c)}, {"reason", reason}});
    ++ctx.counters.requests_rejected;
    ++ctx.counters.sessions_terminated;
    respond(id, terminal_reply(c, false), ctx);
    std::erase_if(held_, [&](const Held& h) { return h.id == id; });
    std::erase_if(window_.early_requests(), [&](const auto& e) { return e.second.id == id; });
    answer_all(nullptr, terminal_reply(Condition::OtherRequest, false), ctx);
    close_backend(ctx);
    finish(ctx);
}

// The server side ends the session. The oldest open request carries the
// condition and whatever the server sent before; if no request is open, the
// reply waits for the client's next request (C206-6-04).
void Session::fail_backend(Condition c, std::string_view reason, Context& ctx,
                           const xml::Fragment* stream_error, Stream* on) {
    if (on && streams_.size() > 1) {
        // Other streams stay open: the error is scoped to |on| (C124-16.6-01);
        // without them it ends the session (C124-16.6-04).
        return fail_stream(*on, c, reason, ctx, stream_error);
    }
    if (c != Condition::SystemShutdown) {
        ++ctx.counters.backend_failures;
    }
    ++ctx.counters.sessions_terminated;
    ctx.log.notice("session.terminated",
                   {{"sid", p_.sid}, {"condition", to_string(c)}, {"reason", reason}});
    // The backend is over: its timer must not fire again while the terminal
    // reply waits for the next request.
    for (auto& s : streams_) {
        s->deadline.reset();
    }
    // The queue goes into the terminal reply, for the client, before the
    // stream is closed (so it is not bounced: C206-7 is for what never leaves).
    auto reply = terminal_reply(c, true, stream_error);
    close_backend(ctx);
    if (!open_requests()) {
        terminal_ = std::move(reply);
        return;
    }
    answer_all(std::move(reply), terminal_reply(c, false), ctx);
    finish(ctx);
}

// A request that can carry a reply: held, or waiting behind a gap with its
// client still connected.
bool Session::open_requests() const {
    const auto& early = window_.early_requests();
    return !held_.empty() ||
           std::any_of(early.begin(), early.end(), [](const auto& e) { return e.second.attached; });
}

void Session::finish(Context& ctx) {
    close_backend(ctx);
    if (!stream_ends_.empty()) {
        // Stream ends no request came for (C124-16.6-01): their payloads are
        // lost with the session.
        std::size_t payloads = 0;
        for (const auto& e : stream_ends_) {
            payloads += e.payloads.size();
        }
        ctx.log.info("stream.ends_dropped",
                     {{"sid", p_.sid}, {"ends", stream_ends_.size()}, {"payloads", payloads}});
        stream_ends_.clear();
    }
    finished_ = true;
    clear_queue();
}

} // namespace boshd::bosh
