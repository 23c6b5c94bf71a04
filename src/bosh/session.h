// One BOSH session (XEP-0124) bridged to its XMPP streams (XEP-0206): one,
// or several under XEP-0124 §16 (multiple streams).
//
// The session decides every reply: which held request carries which
// payloads, when a request is answered empty, when the session ends and with
// which condition. It never performs I/O: it appends Actions to the Context
// it is given, and it reads time only from Context::now.
//
// Invariant: every request the session accepted is answered exactly once
// (Respond), or was aborted by the client; a finished session has no
// unanswered request.
#pragma once

#include "bosh/action.h"
#include "bosh/attrs.h"
#include "bosh/body_builder.h"
#include "bosh/counters.h"
#include "bosh/limits.h"
#include "bosh/rid_window.h"
#include "bosh/stream.h"
#include "util/log.h"
#include "util/time.h"
#include "xmpp/server_stream.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace boshd::bosh {

// What a session needs from the engine while handling one event.
struct Context {
    util::TimePoint now;
    Actions& actions;
    Counters& counters;
    const util::Logger& log;
    const Limits& limits;
    // Link ids, stream names and routes for added streams (XEP-0124 §16);
    // may be null when multi-stream support is off.
    StreamSource* streams = nullptr;

    // Appends the action A{args...}, built in place in the variant.
    template <typename A, typename... Args> void emit(Args&&... args) {
        actions.emplace_back(std::in_place_type<A>, A{std::forward<Args>(args)...});
    }
};

// Session parameters negotiated at creation (XEP-0124 §7.2).
struct SessionParams {
    SessionId id{};
    LinkId link{};           // the first stream's
    std::string stream_name; // the first stream's; empty: multi-stream support is off
    std::string sid;
    std::shared_ptr<const Route> route;
    std::uint64_t creation_rid = 0;
    util::Duration wait{};
    std::uint32_t hold = 1;
    std::uint32_t requests = 2;
    util::Duration inactivity{};
    util::Duration polling{};
    std::optional<Version> ver; // nullopt: a legacy client, HTTP error codes apply
    std::string content_type;
    bool acks = false;
    std::string accept; // `accept` for the creation reply; empty: none
    // The client put ack='1' on its creation request: it acknowledges
    // responses (XEP-0124 §9.2).
    bool client_acks = false;
    // Advertised `maxpause`; zero: pause is not supported (XEP-0124 §10).
    util::Duration max_pause{};
    // The creation request's `newkey`: the session uses key sequencing (§15).
    std::optional<std::string> newkey;
    xmpp::HeaderParams header;
};

// A request's attributes and payloads after parsing.
struct Request {
    BodyAttrs attrs;
    std::vector<xml::Fragment> payloads;
};

// How a reply differs from the ordinary one.
struct ReplyNote {
    // report / time (C124-9.2-02); report == 0: none.
    std::uint64_t report = 0;
    std::uint64_t time_ms = 0;
    // Pause replies are not replayed (C124-14.3-08).
    bool cache = true;
    // The stream a reply without payloads names: an add-stream reply
    // (C124-16.3-02); nullptr: none.
    Stream* stream = nullptr;
};

class Session {
public:
    // Starts the session: asks for the backend connection and holds the
    // creation request |creation| until the server's features arrive.
    Session(SessionParams params, RequestId creation, std::vector<xml::Fragment> payloads,
            Context& ctx);

    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    void on_request(RequestId id, Request request, Context& ctx);
    // A request naming this session that is not a valid binding element.
    void on_bad_request(RequestId id, std::string_view reason, Context& ctx);
    void on_aborted(RequestId id, Context& ctx);

    // Events of the backend link |link|, one of this session's streams.
    void on_backend_connected(LinkId link, Context& ctx);
    void on_backend_tls_ready(LinkId link, Context& ctx);
    void on_backend_data(LinkId link, std::string_view bytes, Context& ctx);
    void on_backend_closed(LinkId link, std::string_view reason, Context& ctx);

    void on_timer(Context& ctx);
    void shutdown(Context& ctx);

    // Earliest time on_timer has something to do; nullopt when nothing is due.
    std::optional<util::TimePoint> next_deadline() const;
    bool finished() const { return finished_; }

    const SessionParams& params() const { return p_; }

private:
    // A request processed in rid order and waiting for its reply.
    struct Held {
        std::uint64_t rid;
        RequestId id;
        util::TimePoint deadline; // `wait` expiry
        bool creation = false;
        std::optional<Key> key; // its §15 key, which a resend must repeat (C124-15.4-04)
    };
    // A stream's end, for the client: a terminate naming it (C124-16.5-01,
    // C124-16.6-01).
    struct StreamEnd {
        std::string name;
        std::optional<Condition> condition; // none: the client closed it
        std::vector<xml::Fragment> payloads;
    };

    bool polling_session() const;
    util::Duration gap_timeout() const;
    // Nothing held and nothing waiting for a gap: the inactivity clock runs
    // (C124-10-03). update_idle() notes when that starts; every public handler
    // calls it last.
    bool idle() const;
    void update_idle(Context& ctx);
    // The inactivity period now: a pause replaces it until the next request
    // (C124-10-06, C124-10-08).
    util::Duration inactivity() const { return pause_.value_or(p_.inactivity); }
    void handle_request(RequestId id, Request r, Context& ctx);
    void handle_timer(Context& ctx);
    bool overactive(RequestId id, const Request& r, Context& ctx);
    void on_repeat(RequestId id, const BodyAttrs& a, Context& ctx);
    void process(RequestId id, std::uint64_t rid, Request r, bool attached, Context& ctx);

    // Pause and response acknowledgements (session_pause.cpp).
    bool pause_request(const BodyAttrs& a) const;
    bool check_pause(RequestId id, const BodyAttrs& a, Context& ctx);
    void pause(std::uint64_t rid, util::Duration length, Context& ctx);
    void on_pause_resent(RequestId id, std::uint64_t rid, Context& ctx);
    bool take_ack(RequestId id, const BodyAttrs& a, Context& ctx);
    std::optional<ReplyNote> report_for(const BodyAttrs& a, const Context& ctx) const;

    // Key sequencing (session_keys.cpp).
    bool key_matches_chain(const BodyAttrs& a) const;
    bool check_key(RequestId id, const BodyAttrs& a, Context& ctx);
    bool resend_key_matches(const BodyAttrs& resend, const std::optional<Key>& original) const;
    void client_terminate(RequestId id, Request r, Context& ctx);
    void restart(Stream& s, const BodyAttrs& a, Context& ctx);

    // Multiple streams (session_streams.cpp, XEP-0124 §16).
    bool multi_stream() const { return !p_.stream_name.empty(); }
    // Bodies with payloads name their stream (C124-16.4-01).
    bool named() const { return streams_.size() > 1 || added_streams_; }
    Stream* stream_by_link(LinkId link);
    Stream* stream_by_name(std::string_view name);
    Stream& first_stream() { return *streams_.front(); }
    bool is_add_stream(const BodyAttrs& a, const std::vector<xml::Fragment>& payloads) const;
    // C124-16.4-05: a request naming a stream of this session that just
    // closed has its payloads dropped; it goes on as an empty request.
    bool recently_closed(std::string_view name) const;
    void drop_for_closed_stream(Request& r, Context& ctx);
    void add_stream(RequestId id, std::uint64_t rid, const BodyAttrs& a, const ReplyNote& report,
                    Context& ctx);
    void refuse_add(Condition c, std::string_view reason, const ReplyNote& report, Context& ctx);
    // Fills |out| with the streams a request's payloads (or its restart) go
    // to. Returns false when the session ended: the request names no stream
    // of the session (item-not-found, C124-16.4-04) or restarts without
    // naming one when it must (bad-request).
    bool target_streams(RequestId id, const Request& r, std::vector<Stream*>& out, Context& ctx);
    void on_terminate(RequestId id, Request r, const ReplyNote& report, Context& ctx);
    bool streams_late(Context& ctx);
    void terminate_stream(RequestId id, Request r, Stream& s, const ReplyNote& report,
                          Context& ctx);
    // A fatal error on |s| while other streams stay open (C124-16.6-01..03).
    void fail_stream(Stream& s, Condition c, std::string_view reason, Context& ctx,
                     const xml::Fragment* stream_error = nullptr);
    // Closes |s| (bouncing what it still queues) and forgets it.
    void drop_stream(Stream& s, Context& ctx);
    // Moves the queued payloads of the stream of the oldest queued payload
    // (all of them while no body is named) into |out|; returns that stream.
    Stream* take_payloads(std::vector<xml::Fragment>& out);
    std::vector<xml::Fragment> take_stream_payloads(LinkId link);
    void answer_stream_end(Context& ctx, const ReplyNote& note = {});
    void answer_newest(Context& ctx, std::optional<StreamEnd> end, ReplyNote note = {});
    void add_named_info(BodyBuilder& b, Stream& s);

    // Replies.
    void release(Context& ctx);
    void answer_front(Context& ctx, bool with_payloads, const ReplyNote& note = {});
    void add_ack(BodyBuilder& b, std::uint64_t rid, const ReplyNote& note, Context& ctx);
    void add_stream_info(BodyBuilder& b, bool xmpp_declared, Stream& s);
    void add_creation_attributes(BodyBuilder& b);
    ReplyPtr terminal_reply(Condition c, bool with_payloads,
                            const xml::Fragment* trailer = nullptr);
    void respond(RequestId id, ReplyPtr reply, Context& ctx);

    // Ending the session.
    void fail_request(RequestId id, Condition c, std::string_view reason, Context& ctx);
    void fail_backend(Condition c, std::string_view reason, Context& ctx,
                      const xml::Fragment* stream_error = nullptr, Stream* on = nullptr);
    void answer_all(ReplyPtr first, const ReplyPtr& rest, Context& ctx);
    bool open_requests() const;
    void close_backend(Context& ctx);
    void close_link(Stream& s, Context& ctx);
    void finish(Context& ctx);

    // The XMPP side.
    void to_server(Stream& s, const std::vector<xml::Fragment>& payloads, Context& ctx);
    void write(Stream& s, std::string bytes, Context& ctx);
    void to_client(Stream& s, xml::Fragment f, Context& ctx);
    void on_stream_data(Stream& s, std::string_view bytes, Context& ctx);
    // Sends the server an error for each queued stanza that needs one, and
    // empties the queue (XEP-0206 §7).
    void bounce_undelivered(Context& ctx);
    void clear_queue();
    // Moves every queued payload out and empties the queue.
    std::vector<xml::Fragment> take_queue();

    SessionParams p_;
    RidWindow window_;
    std::vector<Held> held_; // at most requests (<= 17): a vector beats a deque here
    struct Queued {
        xml::Fragment fragment;
        LinkId link; // its stream (C124-16.4-01)
    };
    std::vector<Queued> queue_; // payloads for the client, in arrival order
    std::size_t queue_bytes_ = 0;
    util::TimePoint idle_since_; // when the session last became idle()
    bool was_idle_ = false;
    std::optional<util::TimePoint> last_new_request_;
    std::optional<util::TimePoint> last_empty_poll_;
    bool last_reply_had_payloads_ = false;
    std::optional<util::Duration> pause_; // the inactivity of a pause (C124-10-06)
    // The last pause request: a resend of it gets an empty body (§A-6).
    std::uint64_t pause_rid_ = 0;
    std::uint64_t highest_answered_ = 0; // for reports (C124-9.2-01)
    std::uint64_t last_reported_ = 0;    // each missing rid is reported once (C124-9.2-01)
    // §15: what SHA-1(next key) must be (the last key or newkey, as bytes);
    // nullopt: no key sequencing.
    std::optional<Key> key_;

    // The open streams, the first one first while it is open (XEP-0124 §16).
    std::vector<std::unique_ptr<Stream>> streams_;
    bool added_streams_ = false;              // a second stream was ever added
    std::optional<util::TimePoint> last_add_; // the last stream added (`polling` apart)
    // Streams that ended while no request was held: their terminate
    // replies wait for the next request (C124-16.6-01).
    std::vector<StreamEnd> stream_ends_;
    // The names of the last streams closed (C124-16.4-05), at most
    // kRecentlyClosed, oldest first.
    static constexpr std::size_t kRecentlyClosed = 8;
    std::vector<std::string> closed_names_;
    std::vector<xmpp::ServerEvent> server_events_; // reused
    bool negotiated_ = false; // the first stream's features arrived (creation reply)
    ReplyPtr terminal_;       // to deliver on the next request (C206-6-04)
    bool finished_ = false;
};

} // namespace boshd::bosh
