// One HTTP request boshd has not answered yet, and the one place that touches
// an evhttp_request after the request callback returned. libevent 2.1.12 has
// traps around deferred replies (ARCHITECTURE.md §5); they all live here.
//
// Contract: at most one of
//   - complete(): boshd answers; the request is gone afterwards;
//   - the client goes away (FIN, reset, or libevent drops the connection):
//     on_gone(id) is called once, the request is gone.
// Bytes a client sends while its request is held (its next request,
// pipelined, or on HTTPS a TLS close_notify alert) stay in the socket for
// evhttp; the client leaving after them is still noticed at once, where the
// watch can be edge-triggered (epoll, and evhttp has no event of its own on
// the socket). Otherwise such a client is not watched any more, and its
// leaving is noticed when the reply fails to write.
// Either way request() is null afterwards. The owner destroys the object
// later, never from inside on_gone (destruction is deferred to a reaper).
#pragma once

#include "bosh/ids.h"
#include "net/connection_gate.h"
#include "net/ev.h"
#include "util/time.h"

#include <functional>
#include <string_view>

struct evhttp_request;
struct evhttp_connection;

namespace boshd::net {

class HeldRequest {
public:
    using GoneFn = std::function<void(bosh::RequestId)>;

    // Watches |req|'s connection: the close callback (libevent frees the
    // connection) and, where the backend supports it, EV_CLOSED on the socket
    // (a client FIN is otherwise not noticed while a request is held, because
    // evhttp stops reading: 2.1.12 http.c, evhttp_handle_request).
    // |arrived|: when the front end had read the request (for the metrics).
    // |gate| owns the connection's close callback (net/connection_gate.h).
    HeldRequest(event_base* base, ConnectionGate& gate, evhttp_request* req, bosh::RequestId id,
                util::TimePoint arrived, GoneFn on_gone);
    ~HeldRequest();

    HeldRequest(const HeldRequest&) = delete;
    HeldRequest& operator=(const HeldRequest&) = delete;

    bool alive() const { return req_ != nullptr; }
    bosh::RequestId id() const { return id_; }
    util::TimePoint arrived() const { return arrived_; }
    evhttp_request* request() const { return req_; }

    // Sends |status| with |body| (Content-Length is set by evhttp; never
    // chunked: C124-5-06). Headers must already be on request()'s output headers.
    void complete(int status, std::string_view reason, std::string_view body);

private:
    static void on_connection_close(evhttp_connection* evcon, void* self) noexcept;
    static void on_socket_event(int fd, short what, void* self) noexcept;
    void disarm();
    void gone();
    void drop_connection();

    ConnectionGate& gate_;
    evhttp_request* req_;
    evhttp_connection* evcon_;
    bosh::RequestId id_;
    util::TimePoint arrived_;
    GoneFn on_gone_;
    EventPtr closed_watch_;
    bool edge_triggered_ = false; // closed_watch_ wakes on changes only
};

} // namespace boshd::net
