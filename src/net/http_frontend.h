// The HTTP side of boshd on libevent's evhttp: one listener, the BOSH path,
// CORS, and the requests held for the engine. It turns HTTP into calls on an
// HttpHandler and completes requests when told to; it knows nothing of BOSH
// beyond the headers every reply carries. Of bosh/ it sees ids, events and
// the Reply it sends, never how a <body/> is built (tests/layering_test.py).
#pragma once

#include "bosh/event.h"
#include "bosh/ids.h"
#include "bosh/reply.h"
#include "net/client_address.h"
#include "net/connection_gate.h"
#include "net/deferred_delete.h"
#include "net/ev.h"
#include "net/head_guard.h"
#include "net/held_request.h"
#include "net/http_config.h"
#include "net/http_listener.h"
#include "net/tls_server.h"
#include "util/ip_address.h"
#include "util/log.h"
#include "util/time.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

struct evhttp_bound_socket;
struct evconnlistener;
struct evhttp_request;

namespace boshd::net {

class HttpHandler {
public:
    virtual ~HttpHandler() = default;
    // A POST on the BOSH path; |body| is valid during the call, already
    // decoded when the request had a Content-Encoding (C124-7.2-14). |client|
    // is who sent it (net/client_address.h). The handler answers through
    // HttpFrontend::respond, now or later.
    virtual void on_bosh_request(bosh::RequestId id, std::string_view body,
                                 const util::Endpoint& client) = 0;
    // A POST on the BOSH path whose entity cannot be used (too large,
    // undecodable); its strings are valid during the call. Answered like a
    // BOSH request, through HttpFrontend::respond.
    virtual void on_unusable_request(const bosh::RequestUnusable& request) = 0;
    // The client of a request not yet answered went away.
    virtual void on_request_gone(bosh::RequestId id) = 0;

    // For the metrics; the front end counts and times, the handler keeps the
    // numbers (net knows nothing of metrics). Requests evhttp refuses itself
    // (malformed, or a body far over http.max_body_size) never reach either.
    //
    // A request reached the front end (any path, any method).
    virtual void on_http_request() = 0;
    // A reply with |status| was handed to evhttp: a BOSH reply or an
    // immediate one (404, 405, CORS preflight, the GET info page). |elapsed|
    // runs from the request's arrival (read in full) to now; |held| is false
    // when the reply was given while the request's own arrival was being
    // handled, true when it came later (a held or parked request).
    virtual void on_response_sent(int status, std::chrono::microseconds elapsed, bool held) = 0;
    // A connection was closed at accept, over http.max_connections
    // (ConnectionGate::Refusal::Total) or http.max_connections_per_ip.
    virtual void on_connection_refused(ConnectionGate::Refusal why) = 0;
    // The request-head checker answered |status| itself (405, 408, 414,
    // 431: net/request_head.h) and closed the connection; evhttp never saw
    // the request.
    virtual void on_head_refused(int status) = 0;
};

class HttpFrontend {
public:
    HttpFrontend(event_base* base, const HttpConfig& config, HttpHandler& handler,
                 const util::Logger& log);
    ~HttpFrontend();

    HttpFrontend(const HttpFrontend&) = delete;
    HttpFrontend& operator=(const HttpFrontend&) = delete;

    // Accepts connections on |fd|, a listening socket (net/listener.h, or
    // one systemd passed), whose ownership it takes; a socket it served
    // before is closed once the new one serves (a reload that moves the
    // listener). Returns the port (useful with port 0). Throws ListenError
    // when libevent refuses the socket; |fd| is closed then.
    std::uint16_t serve(int fd);
    // Stops accepting connections (graceful shutdown); held requests stay.
    void stop_listening();
    // New settings (a reload) for the requests that arrive from now on:
    // path, body limits, codings, CORS, idle timeout. The listen address is
    // not read here: the caller serves a new socket for it.
    void reconfigure(const HttpConfig& config);
    // HTTPS with |tls| for the connections accepted from now on; null: plain
    // HTTP. Connections already accepted keep what they were accepted with.
    void set_tls(std::shared_ptr<const TlsServerContext> tls);

    // Completes request |id| with |reply|, compressed when the request's
    // Accept-Encoding allows it (C124-5-07), except the answer to an unusable
    // request, sent as it is; ignored when the request is gone.
    void respond(bosh::RequestId id, const bosh::Reply& reply);

    std::size_t held() const { return held_.size(); }
    // Client connections open now (counted by the connection gate).
    std::size_t connections() const { return gate_.open(); }
    const ConnectionGate& gate() const { return gate_; }

private:
    void apply_limits();
    // evhttp's bufferevent hook: the bufferevent of a connection being accepted.
    static bufferevent* new_bufferevent(event_base* base, void* self) noexcept;
    bufferevent* make_bufferevent(event_base* base);
    // Connections evhttp accepted since the last admit_fresh(): the gate
    // decides (net/connection_gate.h).
    static void on_fresh(int, short, void* self) noexcept;
    void admit_fresh();
    void log_refusal(ConnectionGate::Refusal why, const util::IpAddress& peer);
    // Answers |refusal| on |evcon| (net/request_head.h) and frees it.
    void refuse_connection(evhttp_connection* evcon, const HeadRefusal& refusal);
    std::unique_ptr<HeadGuard> guard(evhttp_connection* evcon);
    static void on_refusal_written(bufferevent* bev, void* evcon) noexcept;
    static void on_refusal_error(bufferevent* bev, short what, void* evcon) noexcept;
    static void on_request(evhttp_request* req, void* self) noexcept;
    void handle(evhttp_request* req);
    // Who sent |req|: its peer, or the client a trusted proxy names.
    ClientAddress client_of(evhttp_request* req) const;
    void handle_post(evhttp_request* req);
    std::optional<std::string_view> decode_body(evhttp_request* req, std::vector<char>& storage);
    // Holds |req| under a new id until respond() or the client leaves.
    bosh::RequestId hold(evhttp_request* req, bool unusable);
    // Holds |req| and hands it to the handler as unusable.
    void hand_over_unusable(evhttp_request* req, bosh::UnusableReason why, std::size_t bytes,
                            std::string_view detail = {});
    std::string_view encode_reply(evhttp_request* req, const std::string& body,
                                  std::string& storage) const;
    void reply_now(evhttp_request* req, int status, std::string_view reason,
                   std::string_view content_type, std::string_view body);
    // |varies_by_coding|: the reply's coding depends on Accept-Encoding.
    void add_common_headers(evhttp_request* req, std::string_view content_type,
                            std::size_t body_size, bool varies_by_coding = false) const;
    // Returns true when the reply depends on the request's Origin.
    bool add_cors_headers(evhttp_request* req) const;
    void on_gone(bosh::RequestId id);
    // Tells the handler that a reply with |status| went out.
    void sent(int status, util::TimePoint arrived, bool held);

    event_base* base_;
    HttpConfig config_;
    HttpHandler& handler_;
    const util::Logger& log_;
    ConnectionGate gate_; // before http_: connections close into it
    EvHttpPtr http_;
    std::shared_ptr<const TlsServerContext> tls_;
    struct Fresh {
        bufferevent* bev; // with a reference of ours
        bool usable;      // false: no TLS could be set up, to be closed
    };
    std::vector<Fresh> fresh_;
    // Refusals since the last http.connection_refused line, and its time.
    std::uint64_t refused_ = 0;
    std::optional<util::TimePoint> refused_logged_;
    HttpListener listener_;
    EventPtr check_fresh_;
    std::uint64_t next_request_ = 1;
    util::TimePoint arrival_{};   // of the request being handled (handle())
    util::Endpoint client_{};     // who sent it
    bosh::RequestId arriving_{0}; // the request being handed to the handler; 0: none
    std::string body_;            // the request body being handed to the handler
    std::unordered_map<bosh::RequestId, std::unique_ptr<HeldRequest>, bosh::IdHash> held_;
    // The held requests that were unusable: answered without a content
    // coding, as always. A set of its own, so that the map's nodes of every
    // other held request stay small (one per idle session).
    std::unordered_set<bosh::RequestId, bosh::IdHash> uncoded_;
    // Requests whose client left, destroyed after the callback stack unwinds.
    Graveyard<HeldRequest> graveyard_;
};

} // namespace boshd::net
