// Session: multiple streams (XEP-0124 §16). Adding a stream, routing client
// payloads to streams, naming the stream of each reply, and ending one stream
// while the session goes on.
#include "bosh/session.h"

#include <algorithm>

namespace boshd::bosh {

Stream* Session::stream_by_link(LinkId link) {
    auto it = std::find_if(streams_.begin(), streams_.end(),
                           [&](const auto& s) { return s->link == link; });
    return it == streams_.end() ? nullptr : it->get();
}

Stream* Session::stream_by_name(std::string_view name) {
    auto it = std::find_if(streams_.begin(), streams_.end(),
                           [&](const auto& s) { return s->name == name; });
    return it == streams_.end() ? nullptr : it->get();
}

// C124-16.3-02: an empty body with `to` asks for a new stream. Without
// advertised support it is an ordinary empty request (C124-16.3-01).
bool Session::is_add_stream(const BodyAttrs& a, const std::vector<xml::Fragment>& payloads) const {
    return multi_stream() && a.to && payloads.empty() && !a.restart && !a.terminate &&
           !pause_request(a);
}

void Session::add_stream(RequestId id, std::uint64_t rid, const BodyAttrs& a,
                         const ReplyNote& report, Context& ctx) {
    held_.push_back({rid, id, ctx.now + p_.wait, false, key_of(a)}); // answered now
    if (streams_.size() >= ctx.limits.max_streams || !ctx.streams) {
        // Refuse this add only: the client's other streams are fine
        // (XEP-0124 §16.6 allows an error scoped to one stream).
        return refuse_add(Condition::PolicyViolation, "session.max_streams reached", report, ctx);
    }
    if (last_add_ && ctx.now - *last_add_ < p_.polling) {
        // An add is answered at once and exempt from the polling rules
        // (C124-11-04 is for empty requests), yet each opens a connection to
        // the server: adds are `polling` apart, like the empty requests of
        // C124-12-03. Refused for this add only, as above.
        return refuse_add(Condition::PolicyViolation, "add-stream sooner than polling", report,
                          ctx);
    }
    auto route = ctx.streams->route_for(*a.to);
    if (!route) {
        // As at creation: only served domains, never an open relay
        // (C124-17.2-06; `route` is ignored, C124-7.1-05).
        return refuse_add(Condition::HostUnknown, "no route for the domain", report, ctx);
    }
    xmpp::HeaderParams header;
    header.to = *a.to;
    header.lang = a.lang.value_or(p_.header.lang);
    header.from = a.from.value_or("");
    header.version = a.xmpp_version.value_or("1.0"); // C206-3-01, C206-4-07
    auto s =
        std::make_unique<Stream>(ctx.streams->new_stream_name(), ctx.streams->new_link(),
                                 std::move(route), std::move(header), ctx.limits.max_stanza_size);
    s->deadline = ctx.now + ctx.limits.backend_timeout;
    ctx.emit<OpenBackend>(s->link, s->route);
    ctx.log.info("stream.added", {{"sid", p_.sid}, {"to", *a.to}, {"link", value_of(s->link)}});
    added_streams_ = true;
    last_add_ = ctx.now;
    streams_.push_back(std::move(s));
    // C124-16.3-02/03: the reply names the new stream and carries no session
    // attributes; its `from` and `xmpp:version` come with the stream's first
    // payloads, in a reply that names it too (C124-16.3-04, C206-4-07).
    ReplyNote note = report;
    note.stream = streams_.back().get();
    answer_newest(ctx, std::nullopt, note);
}

// Answers the newest held request with a terminate scoped to a stream that
// never opened, so that the session goes on. The stream name is minted only
// to scope the error to this add (XEP-0124 §16.6, C124-16.6-01): no stream
// ever has it.
void Session::refuse_add(Condition c, std::string_view reason, const ReplyNote& report,
                         Context& ctx) {
    ++ctx.counters.requests_rejected;
    ctx.log.notice("request.rejected",
                   {{"sid", p_.sid}, {"condition", to_string(c)}, {"reason", reason}});
    answer_newest(ctx, StreamEnd{ctx.streams ? ctx.streams->new_stream_name() : "", c, {}}, report);
}

// C124-8-07: the newest held request is answered now, but never before an
// older one. Those get what release() would give them: a waiting stream end,
// queued payloads, or an empty body. The newest then gets |end| (a terminate
// scoped to one stream), or else an empty body naming |note|'s stream.
// A due report in |note| goes on the first reply sent, the oldest request's
// (C124-9.2-01, C124-8-07).
void Session::answer_newest(Context& ctx, std::optional<StreamEnd> end, ReplyNote note) {
    while (held_.size() > 1) {
        ReplyNote first;
        std::swap(first.report, note.report);
        std::swap(first.time_ms, note.time_ms);
        if (!stream_ends_.empty()) {
            answer_stream_end(ctx, first);
        } else {
            answer_front(ctx, true, first);
        }
    }
    if (end) {
        queue_bytes_ += xml::total_bytes(end->payloads); // answer_stream_end() discounts it
        stream_ends_.insert(stream_ends_.begin(), std::move(*end));
        return answer_stream_end(ctx, note);
    }
    answer_front(ctx, false, note);
}

bool Session::recently_closed(std::string_view name) const {
    return std::find(closed_names_.begin(), closed_names_.end(), name) != closed_names_.end() ||
           std::any_of(stream_ends_.begin(), stream_ends_.end(),
                       [&](const StreamEnd& e) { return e.name == name; });
}

// C124-16.4-05 (MAY, taken): naming a stream that closed moments ago is a
// normal race (its end may not even have reached the client), not a reason
// to end the session. Its payloads, restart or terminate are dropped; names
// never seen still get item-not-found (C124-16.4-04).
void Session::drop_for_closed_stream(Request& r, Context& ctx) {
    if (!multi_stream() || !r.attrs.stream || stream_by_name(*r.attrs.stream) ||
        !recently_closed(*r.attrs.stream) ||
        (r.payloads.empty() && !r.attrs.restart && !r.attrs.terminate)) {
        return;
    }
    ctx.log.info("stream.payloads_dropped", {{"sid", p_.sid},
                                             {"rid", *r.attrs.rid},
                                             {"payloads", r.payloads.size()},
                                             {"reason", "stream closed"}});
    r.payloads.clear();
    r.attrs.stream.reset();
    r.attrs.restart = false;
    r.attrs.terminate = false;
    r.attrs.to.reset(); // not an add-stream either
}

bool Session::target_streams(RequestId id, const Request& r, std::vector<Stream*>& out,
                             Context& ctx) {
    out.clear();
    // C124-16.4-06: `stream` on an empty body is ignored.
    if (multi_stream() && r.attrs.stream && (!r.payloads.empty() || r.attrs.restart)) {
        Stream* s = stream_by_name(*r.attrs.stream);
        if (!s) {
            // C124-16.4-04, C124-16.6-02: a terminal binding error.
            fail_request(id, Condition::ItemNotFound, "stream names no open stream", ctx);
            return false;
        }
        out.push_back(s); // C124-16.4-03
        return true;
    }
    if (r.attrs.restart) {
        if (named() && first_stream().link != p_.link) {
            // Once streams are named, a restart without `stream` means the
            // session's first stream (C206-5-04 restarts one stream). With
            // that one closed, guessing another would restart a stream the
            // client did not mean: bad-request (XEP-0124 §17.2).
            fail_request(id, Condition::BadRequest,
                         "restart without stream and the first stream is closed", ctx);
            return false;
        }
        out.push_back(&first_stream()); // without `stream`: the session's (first) stream
        return true;
    }
    for (auto& s : streams_) {
        out.push_back(s.get()); // C124-16.4-02: broadcast
    }
    return true;
}

void Session::on_terminate(RequestId id, Request r, const ReplyNote& report, Context& ctx) {
    if (multi_stream() && r.attrs.stream) {
        Stream* s = stream_by_name(*r.attrs.stream);
        if (!s) {
            return fail_request(id, Condition::ItemNotFound, "stream names no open stream",
                                ctx); // C124-16.4-04
        }
        if (streams_.size() > 1) {
            return terminate_stream(id, std::move(r), *s, report, ctx); // C124-16.5-01
        }
        // C124-16.5-02: closing the last stream ends the session.
    }
    client_terminate(id, std::move(r), ctx); // C124-16.5-03
}

// Fails each stream whose features did not come in time. Returns true when
// one did and the session ended with it.
bool Session::streams_late(Context& ctx) {
    std::vector<LinkId> late;
    for (const auto& s : streams_) {
        if (s->deadline && ctx.now >= *s->deadline) {
            late.push_back(s->link);
        }
    }
    for (LinkId link : late) {
        if (Stream* s = stream_by_link(link); s && !finished_ && !terminal_) {
            fail_backend(Condition::RemoteConnectionFailed, "no stream features in time", ctx,
                         nullptr, s);
        }
    }
    return !late.empty() && (finished_ || terminal_);
}

// C124-16.5-01: the payloads go to |s|, which closes; the session goes on.
void Session::terminate_stream(RequestId id, Request r, Stream& s, const ReplyNote& report,
                               Context& ctx) {
    if (!s.negotiated && (!r.payloads.empty() || !s.pending.empty())) {
        // Closing now would drop what the stream still owes its server, yet
        // count it forwarded: the client waits for the stream to be up (its
        // features) before it ends it with payloads.
        return fail_request(id, Condition::BadRequest,
                            "terminate with payloads of a stream not yet up", ctx);
    }
    to_server(s, r.payloads, ctx);
    held_.push_back({*r.attrs.rid, id, ctx.now, false, key_of(r.attrs)});
    // What the server sent on |s| goes to the client with the confirmation.
    StreamEnd end{s.name, std::nullopt, take_stream_payloads(s.link)};
    ctx.log.info("stream.closed", {{"sid", p_.sid}, {"link", value_of(s.link)}, {"by", "client"}});
    drop_stream(s, ctx);
    answer_newest(ctx, std::move(end), report);
}

void Session::fail_stream(Stream& s, Condition c, std::string_view reason, Context& ctx,
                          const xml::Fragment* stream_error) {
    ++ctx.counters.backend_failures;
    ctx.log.notice("stream.closed", {{"sid", p_.sid},
                                     {"link", value_of(s.link)},
                                     {"condition", to_string(c)},
                                     {"reason", reason}});
    // C206-6-03: what the server sent before its error comes first.
    auto payloads = take_stream_payloads(s.link);
    if (stream_error) {
        payloads.push_back(*stream_error);
    }
    // Still for the client: counted against max_client_queue until delivered.
    queue_bytes_ += xml::total_bytes(payloads);
    stream_ends_.push_back(StreamEnd{s.name, c, std::move(payloads)});
    drop_stream(s, ctx); // C124-16.6-02: closed; C124-16.6-03: the session goes on
    if (!held_.empty()) {
        answer_stream_end(ctx); // else the next request carries it (release())
    }
}

void Session::drop_stream(Stream& s, Context& ctx) {
    close_link(s, ctx);
    if (multi_stream()) {
        if (closed_names_.size() == kRecentlyClosed) {
            closed_names_.erase(closed_names_.begin());
        }
        closed_names_.push_back(s.name);
    }
    std::erase_if(streams_, [&](const auto& p) { return p.get() == &s; });
}

std::vector<xml::Fragment> Session::take_stream_payloads(LinkId link) {
    std::vector<xml::Fragment> out;
    for (auto& q : queue_) {
        if (q.link == link) {
            queue_bytes_ -= q.fragment.bytes.size();
            out.push_back(std::move(q.fragment));
        }
    }
    std::erase_if(queue_, [&](const Queued& q) { return q.link == link; });
    return out;
}

Stream* Session::take_payloads(std::vector<xml::Fragment>& out) {
    if (queue_.empty()) {
        return nullptr;
    }
    const LinkId link = queue_.front().link;
    Stream* s = stream_by_link(link);
    if (!named()) {
        out = take_queue();
        return s;
    }
    // C124-16.4-01: one stream per body; each stream's order is kept.
    out = take_stream_payloads(link);
    return s;
}

// Answers the oldest held request with the oldest stream end:
// type='terminate' naming the stream, with its last payloads (C124-16.5-01,
// C124-16.6-01).
void Session::answer_stream_end(Context& ctx, const ReplyNote& note) {
    Held h = std::move(held_.front());
    held_.erase(held_.begin());
    highest_answered_ = std::max(highest_answered_, h.rid);
    StreamEnd end = std::move(stream_ends_.front());
    stream_ends_.erase(stream_ends_.begin());
    queue_bytes_ -= xml::total_bytes(end.payloads);
    BodyBuilder b;
    if (end.condition) {
        b.terminate(*end.condition);
    } else {
        b.attribute("type", "terminate");
    }
    b.attribute("stream", end.name);
    add_ack(b, h.rid, note, ctx);
    ctx.counters.stanzas_to_client += end.payloads.size();
    last_reply_had_payloads_ = !end.payloads.empty();
    b.payloads(end.payloads);
    auto reply = make_reply(b.finish(), p_.content_type);
    window_.remember({h.rid, reply, ctx.now, std::move(h.key)});
    respond(h.id, std::move(reply), ctx);
}

// C124-16.3-04: `from` (and `xmpp:version`) of a stream go out in a body
// that names it.
void Session::add_named_info(BodyBuilder& b, Stream& s) {
    b.attribute("stream", s.name);
    add_stream_info(b, false, s);
}

} // namespace boshd::bosh
