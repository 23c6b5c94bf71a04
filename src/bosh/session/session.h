// One BOSH session (XEP-0124) bridged to its XMPP streams (XEP-0206): one,
// or several under XEP-0124 §16. The Session coordinates its parts, each the
// one owner of one area of the XEPs (ARCHITECTURE.md §3):
//
//   RequestWindow  rids, parked and held requests, the replay cache (§8, §14)
//   ReplyPath      what each reply carries: client queue, acks, reports (§8, §9)
//   KeyChain       key sequencing (§15)
//   Pause          pausing (§10)
//   ActivityClock  inactivity, overactivity, polling (§10, §11, §12)
//   StreamSet      the XMPP streams and their backend links (§16, XEP-0206)
//
// It never performs I/O: it appends Actions to the Context it is handed and
// reads time only from Context::now. Invariant: every request it accepted is
// answered exactly once (Respond: HTTP 200 and a <body/>, C124-8-03), or was
// aborted by the client; a finished session has no unanswered request and no
// open link.
#pragma once

#include "bosh/attrs.h"
#include "bosh/context.h"
#include "bosh/session/activity.h"
#include "bosh/session/key_chain.h"
#include "bosh/session/params.h"
#include "bosh/session/pause.h"
#include "bosh/session/reply_path.h"
#include "bosh/session/request_window.h"
#include "bosh/session/stream_set.h"
#include "xml/fragment.h"
#include "xmpp/stream_protocol.h"

#include <optional>
#include <string_view>
#include <vector>

namespace boshd::bosh {

// A request's attributes and payloads after parsing.
struct Request {
    BodyAttrs attrs;
    std::vector<xml::Fragment> payloads;
};

// C124-16.3-02: an empty body with `to` asks for a new stream. Without
// advertised support it is an ordinary empty request (C124-16.3-01).
inline bool asks_for_stream(const SessionParams& p, const Pause& pause, const BodyAttrs& a,
                            const std::vector<xml::Fragment>& payloads) {
    return p.multi_stream() && a.to && payloads.empty() && !a.restart && !a.terminate &&
           !pause.requested(a);
}

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
    // A request came after a reload removed the route of the session's
    // domain: it ends with host-gone (C124-17.2-05).
    void on_route_gone(RequestId id, Context& ctx);
    void on_aborted(RequestId id, Context& ctx);
    // Events of the backend link |link|, one of this session's streams.
    void on_backend_connected(LinkId link, Context& ctx);
    void on_backend_tls_ready(LinkId link, Context& ctx);
    void on_backend_data(LinkId link, std::string_view bytes, Context& ctx);
    void on_backend_closed(LinkId link, std::string_view reason, Context& ctx);
    void on_timer(Context& ctx);
    // boshd is draining: every held request is answered now (with what is
    // queued); the session goes on until it ends or shutdown() comes.
    void drain(Context& ctx);
    void shutdown(Context& ctx);

    // Earliest time on_timer has something to do; nullopt when nothing is due.
    std::optional<util::TimePoint> next_deadline() const;
    bool finished() const { return finished_; }
    // The session ended (the server side failed while no request was held)
    // and only waits for a request to carry the news (C206-6-04).
    bool ended() const { return terminal_ != nullptr; }
    const SessionParams& params() const { return p_; }

private:
    ReplyPath::Scope scope(Context& ctx) { return {p_, window_, streams_, ctx}; }
    // Notes whether the session is idle now; every public handler calls it last.
    void update_idle(Context& ctx);

    // Requests, in rid order (session.cpp).
    void handle_request(RequestId id, Request r, Context& ctx);
    void on_repeat(RequestId id, const BodyAttrs& a, Context& ctx);
    bool overactive(RequestId id, const Request& r, Context& ctx);
    void process(RequestId id, std::uint64_t rid, Request r, bool attached, Context& ctx);

    // Streams (session_streams.cpp).
    // Sends the payloads (or the restart) of |r| to the streams it names.
    // Returns false when the session ended instead.
    bool forward(RequestId id, const Request& r, Context& ctx);
    void add_stream(RequestId id, std::uint64_t rid, const BodyAttrs& a, const ReplyNote& report,
                    Context& ctx);
    void on_terminate(RequestId id, Request r, const ReplyNote& report, Context& ctx);
    void on_server_event(Stream& s, xmpp::ServerEvent& ev, Context& ctx);

    // Ending (session_end.cpp).
    void client_terminate(RequestId id, Request r, Context& ctx);
    // A request ends the session: it gets |c|, every other open request
    // other-request (C124-17.2-10).
    void fail_request(RequestId id, Condition c, std::string_view reason, Context& ctx);
    // The server side failed: the stream |on| alone while others stay open
    // (C124-16.6-01), else the session (C206-6-04).
    void fail_backend(Condition c, std::string_view reason, Context& ctx,
                      const xml::Fragment* stream_error = nullptr, Stream* on = nullptr);
    void finish(Context& ctx);

    SessionParams p_;
    RequestWindow window_;
    ReplyPath replies_;
    KeyChain keys_; // 21 bytes: finished_ fits in its padding
    bool finished_ = false;
    Pause pause_;
    ActivityClock activity_;
    StreamSet streams_;
    std::vector<xmpp::ServerEvent> server_events_; // reused
    ReplyPtr terminal_;                            // to deliver on the next request (C206-6-04)
};

} // namespace boshd::bosh
