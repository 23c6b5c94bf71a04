#include "net/held_request.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <string>

namespace boshd::net {

HeldRequest::HeldRequest(event_base* base, evhttp_request* req, bosh::RequestId id, GoneFn on_gone)
    : req_(req), evcon_(evhttp_request_get_connection(req)), id_(id), on_gone_(std::move(on_gone)) {
    if (!evcon_) {
        return;
    }
    evhttp_connection_set_closecb(evcon_, &HeldRequest::on_connection_close, this);
    if (event_base_get_features(base) & EV_FEATURE_EARLY_CLOSE) {
        const auto fd = bufferevent_getfd(evhttp_connection_get_bufferevent(evcon_));
        if (fd >= 0) {
            closed_watch_.reset(
                event_new(base, fd, EV_CLOSED, &HeldRequest::on_socket_closed, this));
            if (closed_watch_) {
                event_add(closed_watch_.get(), nullptr);
            }
        }
    }
}

HeldRequest::~HeldRequest() {
    // The owner answers every request before destroying it (shutdown answers
    // with system-shutdown first); if one is left, detach so that libevent
    // never calls back into freed memory. libevent frees the request with its
    // connection.
    disarm();
}

evkeyvalq* HeldRequest::output_headers() const {
    return evhttp_request_get_output_headers(req_);
}

void HeldRequest::disarm() {
    closed_watch_.reset();
    if (req_ && evcon_) {
        evhttp_connection_set_closecb(evcon_, nullptr, nullptr);
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

// libevent is freeing the connection (error, timeout, or our own free).
void HeldRequest::on_connection_close(evhttp_connection*, void* arg) {
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

// The client closed its end while we held its request.
void HeldRequest::on_socket_closed(int, short, void* arg) {
    auto* self = static_cast<HeldRequest*>(arg);
    evhttp_connection* evcon = self->evcon_;
    self->disarm();
    // Frees the queued request with the connection; never re-enable EV_READ on
    // evhttp's bufferevent instead: one pipelined byte would make 2.1.12 call
    // event_errx (evhttp_read_cb, "illegal connection state").
    evhttp_connection_free(evcon);
    self->gone();
}

} // namespace boshd::net
