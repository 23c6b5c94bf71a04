#include "bosh/session/reply_path.h"

#include <algorithm>

namespace boshd::bosh {

namespace {

// The highest BOSH version boshd implements (XEP-0124 1.11).
constexpr Version kMaxVersion{1, 11};

std::uint64_t seconds(util::Duration d) {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<util::Seconds>(d).count());
}

// C124-7.2-11 and C206-4-01: the server's identity and stream version go to
// the client in the first reply after they are known.
// |xmpp_declared|: the xmlns:xmpp prefix is already on the body.
void add_stream_info(BodyBuilder& b, bool xmpp_declared, Stream& s) {
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

// XEP-0124 §7.2 and XEP-0206 §4: sid (C124-7.2-02), wait, requests, hold
// (C124-7.2-09), inactivity (C124-7.2-08) and polling (C124-7.2-07), on the
// creation reply only (C124-7.2-12).
void add_creation_attributes(BodyBuilder& b, const SessionParams& p, Stream& first) {
    if (p.multi_stream()) {
        b.attribute("stream", p.stream_name); // C124-16.2-01
    }
    b.attribute("sid", p.sid)
        .attribute("wait", seconds(p.wait))
        .attribute("requests", p.requests)
        .attribute("hold", p.hold)
        .attribute("inactivity", seconds(p.inactivity));
    if (p.polling > util::Duration::zero()) {
        b.attribute("polling", seconds(p.polling));
    }
    if (p.ver) {
        b.attribute("ver", to_string(std::min(*p.ver, kMaxVersion))); // C124-7.2-06
    }
    if (p.acks) {
        b.attribute("ack", p.creation_rid); // C124-7.2-15, C124-9.1-02
    }
    if (!p.accept.empty()) {
        // C124-7.2-13: the codings the client may use on its requests
        // (C124-7.2-14). XEP-0124 §7.2's prose says space-separated but its
        // example, like the checklist, writes "deflate,gzip"; the value is
        // passed through as configured.
        b.attribute("accept", p.accept);
    }
    if (p.max_pause > util::Duration::zero()) {
        b.attribute("maxpause", seconds(p.max_pause)); // C124-7.2-16
    }
    b.attribute("xmlns:xmpp", kXboshNs);
    b.attribute("xmpp:restartlogic", "true"); // C206-4-03
    if (first.server_header && !first.server_header->id.empty()) {
        // C206-4-05 (legacy clients; obsolete, L124-04).
        b.attribute("authid", first.server_header->id);
    }
    add_stream_info(b, true, first);
}

} // namespace

// Held requests stay held until there is something to send (C124-8-04).
void ReplyPath::release(const Scope& s) {
    const auto& held = s.window.held();
    if (held.empty() || (held.front().creation && !s.streams.first().negotiated)) {
        // The creation reply waits for the stream features, but not past its
        // `wait`: the timer then sends it without them, and they follow in a
        // later reply (C206-4-02).
        return;
    }
    // Streams that ended while nothing was held (C124-16.6-01).
    while (queue_.has_end() && !held.empty()) {
        answer_end(s);
    }
    // C124-8-09, C124-8-10: queued payloads go out at once on the oldest
    // request (one body per stream when bodies are named, C124-16.4-01).
    while (!queue_.empty() && !held.empty()) {
        answer_front(s, true);
    }
    // C124-8-06: never hold more than `hold`; polling sessions hold nothing
    // (C124-12-04).
    const std::size_t hold = s.params.polling_session() ? 0 : s.params.hold;
    while (held.size() > hold) {
        answer_front(s, true);
    }
}

void ReplyPath::answer_front(const Scope& s, bool with_payloads, const ReplyNote& note) {
    auto h = s.window.pop_front(s.ctx.lifetimes);
    acks_.answered(h.rid);
    BodyBuilder b;
    std::vector<xml::Fragment> payloads;
    Stream* from = with_payloads ? take_payloads(s.streams, payloads) : nullptr;
    if (h.creation) {
        add_creation_attributes(b, s.params, s.streams.first());
    } else if (!s.streams.named()) {
        add_stream_info(b, false, s.streams.first());
    } else {
        // C124-16.4-01: a body with payloads names their stream; an empty
        // one names none (C124-16.4-06) unless it carries a stream's `from`
        // (C124-16.3-04) or answers an add-stream request (C124-16.3-02).
        Stream* named = payloads.empty() ? note.stream : from;
        if (!named) {
            const auto& all = s.streams.all();
            auto it = std::find_if(all.begin(), all.end(), [](const auto& st) {
                return !st->info_sent && st->server_header;
            });
            named = it == all.end() ? nullptr : it->get();
        }
        if (named) {
            // C124-16.3-04: `from` (and `xmpp:version`) of a stream go out
            // in a body that names it.
            b.attribute("stream", named->name);
            add_stream_info(b, false, *named);
        }
    }
    if (!h.creation) {
        add_ack(b, h.rid, note, s);
    }
    last_had_payloads_ = !payloads.empty();
    if (!payloads.empty()) {
        b.payloads(payloads);
        s.ctx.counters.stanzas_to_client += payloads.size();
    }
    send(s, std::move(h), make_reply(b.finish(), s.params.content_type), note.cache);
}

// Answers the oldest held request with the oldest stream end:
// type='terminate' naming the stream, with its last payloads (C124-16.5-01,
// C124-16.6-01).
void ReplyPath::answer_end(const Scope& s, const ReplyNote& note) {
    auto h = s.window.pop_front(s.ctx.lifetimes);
    acks_.answered(h.rid);
    StreamEnd end = queue_.pop_end();
    BodyBuilder b;
    if (end.condition) {
        b.terminate(*end.condition);
    } else {
        b.attribute("type", "terminate");
    }
    b.attribute("stream", end.name);
    add_ack(b, h.rid, note, s);
    s.ctx.counters.stanzas_to_client += end.payloads.size();
    last_had_payloads_ = !end.payloads.empty();
    b.payloads(end.payloads);
    send(s, std::move(h), make_reply(b.finish(), s.params.content_type), true);
}

// Those older than the newest get what release() would give them: a waiting
// stream end, queued payloads, or an empty body. A due report in |note| goes
// on the first reply sent, the oldest request's (C124-9.2-01, C124-8-07).
void ReplyPath::answer_newest(const Scope& s, std::optional<StreamEnd> end, ReplyNote note) {
    while (s.window.held().size() > 1) {
        ReplyNote first;
        std::swap(first.report, note.report);
        if (queue_.has_end()) {
            answer_end(s, first);
        } else {
            answer_front(s, true, first);
        }
    }
    if (end) {
        queue_.add_end(std::move(*end), true);
        return answer_end(s, note);
    }
    answer_front(s, false, note);
}

// Then every request still waiting behind a gap gets |rest|.
void ReplyPath::answer_all(const Scope& s, ReplyPtr first, const ReplyPtr& rest) {
    for (RequestId id : s.window.take_open(s.ctx.lifetimes)) {
        s.ctx.respond(id, first ? std::move(first) : rest);
        first = nullptr;
    }
}

ReplyPtr ReplyPath::terminal(const Scope& s, Condition c, bool with_payloads,
                             const xml::Fragment* trailer) {
    BodyBuilder b;
    b.terminate(c);
    // C124-16.4-01: with several streams open, one body may not carry the
    // payloads of more than one, and a session-level terminate names none
    // (C124-16.6-04): the queue stays behind and goes back to its senders,
    // each on its own stream, as the streams close (C206-7).
    if (with_payloads && s.streams.size() <= 1) {
        // C206-6-03: stanzas the server sent before its error come first.
        auto all = queue_.take_all();
        s.ctx.counters.stanzas_to_client += all.size(); // the trailer is no stanza
        if (trailer) {
            all.push_back(*trailer);
        }
        b.payloads(all);
    }
    // C124-17.1-01, C124-17.1-02: HTTP error codes for legacy clients only (L124-02).
    const int status = s.params.ver ? 200 : legacy_http_status(c);
    return make_reply(b.finish(), s.params.content_type, status);
}

// Moves the queued payloads of the stream of the oldest queued payload (all
// of them while no body is named) into |out|; returns that stream. A body
// holds what was queued, whatever its kind (C206-2-01, partial: see
// xep/matrix.tsv).
Stream* ReplyPath::take_payloads(StreamSet& streams, std::vector<xml::Fragment>& out) {
    if (queue_.empty()) {
        return nullptr;
    }
    const LinkId link = queue_.front_link();
    // C124-16.4-01: one stream per body; each stream's order is kept.
    out = streams.named() ? queue_.take_stream(link) : queue_.take_all();
    return streams.by_link(link);
}

// C124-9.1-01, C124-9.1-03: acknowledge the highest rid received in order
// (never past a gap, C124-9.1-04) when it is not the one being answered;
// C124-9.2-01, C124-9.2-02: a due report.
void ReplyPath::add_ack(BodyBuilder& b, std::uint64_t rid, const ReplyNote& note, const Scope& s) {
    if (s.params.acks && s.window.last() > rid) {
        b.attribute("ack", s.window.last());
    }
    if (note.report.rid != 0) {
        b.attribute("report", note.report.rid).attribute("time", note.report.time_ms);
        // Each missing rid is reported once, when the report goes out.
        acks_.reported(note.report.rid);
        s.ctx.log.info("request.report", {{"sid", s.params.sid},
                                          {"ip", s.params.ip},
                                          {"rid", rid},
                                          {"report", note.report.rid}});
    }
}

void ReplyPath::send(const Scope& s, RequestWindow::Held h, ReplyPtr reply, bool cache) {
    if (cache) {
        s.window.cache().remember({h.rid, reply, s.ctx.now, std::move(h.key)});
    }
    s.ctx.respond(h.id, std::move(reply));
}

} // namespace boshd::bosh
