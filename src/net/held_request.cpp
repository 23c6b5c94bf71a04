#include "net/held_request.h"

#include <cerrno>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string>
#include <sys/socket.h>

namespace boshd::net {

namespace {

// The client has sent its FIN, or the connection was reset: TCP has left
// ESTABLISHED, whatever bytes of the client still wait in the socket.
bool peer_finished(evutil_socket_t fd) {
    tcp_info info{};
    socklen_t len = sizeof(info);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) {
        return false;
    }
    return info.tcpi_state != TCP_ESTABLISHED;
}

} // namespace

HeldRequest::HeldRequest(event_base* base, ConnectionGate& gate, evhttp_request* req,
                         bosh::RequestId id, util::TimePoint arrived, GoneFn on_gone)
    : gate_(gate), req_(req), evcon_(evhttp_request_get_connection(req)), id_(id),
      arrived_(arrived), on_gone_(std::move(on_gone)) {
    if (!evcon_) {
        return;
    }
    gate_.set_close_hook(evcon_, &HeldRequest::on_connection_close, this);
    bufferevent* bev = evhttp_connection_get_bufferevent(evcon_);
    const auto fd = bufferevent_getfd(bev);
    if (fd < 0) {
        return;
    }
    // EV_READ as well as EV_CLOSED: epoll reports a reset (RST) or an error as
    // readable and writable, never as EV_CLOSED, and a level-triggered error
    // nobody listens for makes every loop iteration return at once.
    short what = EV_READ;
    const int features = event_base_get_features(base);
    if (features & EV_FEATURE_EARLY_CLOSE) {
        what |= EV_CLOSED;
    }
    // Edge-triggered, the watch wakes once per change (bytes arriving, FIN,
    // reset) and never again for bytes left unread, so it can go on watching
    // behind bytes that must stay in the socket. But epoll registers a
    // descriptor, not an event: an event of evhttp's still on the socket
    // would turn edge-triggered with it, and the watch level-triggered when
    // that one goes. evhttp usually has none while a request is held (it
    // stopped reading, and writes the reply after disarm()); an unwritten
    // "100 Continue" (Expect: 100-continue) keeps its write event, and then
    // the watch is level-triggered, as on backends without EV_ET.
    const bool socket_quiet =
        bufferevent_get_enabled(bev) == 0 && evbuffer_get_length(bufferevent_get_output(bev)) == 0;
    if ((features & EV_FEATURE_ET) && socket_quiet) {
        what |= EV_ET | EV_PERSIST;
        edge_triggered_ = true;
    }
    closed_watch_.reset(event_new(base, fd, what, &HeldRequest::on_socket_event, this));
    if (closed_watch_) {
        event_add(closed_watch_.get(), nullptr);
    }
}

HeldRequest::~HeldRequest() {
    // The owner answers every request before destroying it (shutdown answers
    // with system-shutdown first); if one is left, detach so that libevent
    // never calls back into freed memory. libevent frees the request with its
    // connection.
    disarm();
}

void HeldRequest::disarm() {
    closed_watch_.reset();
    if (req_ && evcon_) {
        gate_.set_close_hook(evcon_, nullptr, nullptr);
    }
}

void HeldRequest::complete(int status, std::string_view reason, std::string_view body) {
    if (!req_) {
        return;
    }
    disarm();
    EvBufferPtr buf(evbuffer_new());
    evbuffer_add(buf.get(), body.data(), body.size());
    // evhttp_send_reply frees |req_| once written (or at once when the
    // connection is already gone and the request was orphaned).
    evhttp_send_reply(req_, status, std::string(reason).c_str(), buf.get());
    req_ = nullptr;
}

void HeldRequest::gone() {
    req_ = nullptr;
    evcon_ = nullptr;
    on_gone_(id_);
}

// libevent is freeing the connection on its own (read or write error,
// timeout); our own frees disarm this callback first.
void HeldRequest::on_connection_close(evhttp_connection*, void* arg) noexcept {
    auto* self = static_cast<HeldRequest*>(arg);
    self->closed_watch_.reset();
    if (self->req_ && evhttp_request_get_connection(self->req_) == nullptr) {
        // Orphaned on EOF or timeout: detached from the connection, so nobody
        // else will free it (evhttp_connection_incoming_fail in 2.1.12).
        evhttp_request_free(self->req_);
    }
    // Otherwise the request is still queued on the connection and libevent
    // frees it right after this callback (evhttp_connection_free).
    self->gone();
}

// The client's socket became readable or closed while we held its request.
void HeldRequest::on_socket_event(evutil_socket_t fd, short, void* arg) noexcept {
    auto* self = static_cast<HeldRequest*>(arg);
    char byte = 0;
    const auto n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0) {
        // Bytes wait in the socket: a pipelined request (C124-18-01), for
        // evhttp to read once we answer, or on HTTPS perhaps a TLS alert
        // (close_notify), which only OpenSSL can tell from data.
        if (!self->edge_triggered_) {
            // Level-triggered, they would wake us on every turn of the loop:
            // stop watching. A later close is noticed when we write.
            self->closed_watch_.reset();
            return;
        }
        if (!peer_finished(fd)) {
            return; // the client is still there: wait for the next change
        }
        // The client sent them and left.
        return self->drop_connection();
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        if (!self->edge_triggered_) {
            event_add(self->closed_watch_.get(), nullptr); // keep watching
        }
        return;
    }
    // End of stream (n == 0: FIN, also a half-close after the request) or an
    // error such as ECONNRESET: the client is gone. A half-close cannot be told
    // from a reset here, so it drops the held request too (C124-5-01, a
    // deliberate deviation; see xep/matrix.tsv).
    self->drop_connection();
}

void HeldRequest::drop_connection() {
    evhttp_connection* evcon = evcon_;
    disarm();
    // Frees the queued request with the connection; never re-enable EV_READ on
    // evhttp's bufferevent instead: one pipelined byte would make 2.1.12 call
    // event_errx (evhttp_read_cb, "illegal connection state").
    evhttp_connection_free(evcon);
    gone();
}

} // namespace boshd::net
