#include "net/head_guard.h"

#include "net/clock.h"

#include <array>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/ssl.h>
#include <stdexcept>

namespace boshd::net {

namespace {

constexpr HeadRefusal kTimedOut{408, "Request Timeout",
                                "request head or body not complete within http.header_timeout"};
constexpr HeadRefusal kHandshakeTimedOut{
    408, "Request Timeout", "TLS handshake not complete within http.header_timeout", false};

} // namespace

HeadGuard::HeadGuard(event_base* base, evhttp_connection* evcon, std::size_t max_header_size,
                     util::Seconds timeout, OnRefused on_refused)
    : evcon_(evcon), input_(bufferevent_get_input(evhttp_connection_get_bufferevent(evcon))),
      scanner_(max_header_size), timeout_(timeout), on_refused_(std::move(on_refused)),
      timer_(evtimer_new(base, &HeadGuard::on_timer, this)) {
    if (!timer_) {
        throw std::runtime_error("cannot create a connection timer");
    }
    entry_ = evbuffer_add_cb(input_, &HeadGuard::on_input, this);
    if (!entry_) {
        throw std::runtime_error("cannot watch a connection's input");
    }
    // The handshake's deadline. evhttp's idle timeout cannot bound it: it
    // restarts with every byte read, however few.
    if (handshaking()) {
        const timeval tv = to_timeval(timeout_);
        evtimer_add(timer_.get(), &tv);
    }
}

HeadGuard::~HeadGuard() {
    evbuffer_remove_cb_entry(input_, entry_);
}

// Called on every change of the input buffer: bytes read from the socket
// (or decrypted) are added at its end; evhttp's parsing removes them from
// its start, which is nothing to scan.
void HeadGuard::on_input(evbuffer* buf, const evbuffer_cb_info* info, void* arg) noexcept {
    auto* self = static_cast<HeadGuard*>(arg);
    if (info->n_added == 0 || self->refusal_) {
        return;
    }
    const auto before = self->scanner_.phase();
    const auto started = self->scanner_.started();
    // The new bytes are read where they lie (evbuffer_peek), never copied:
    // a body goes past at the cost of a subtraction.
    evbuffer_ptr pos;
    evbuffer_ptr_set(buf, &pos, evbuffer_get_length(buf) - info->n_added, EVBUFFER_PTR_SET);
    std::array<evbuffer_iovec, 8> extents;
    std::size_t left = info->n_added;
    while (left > 0) {
        const int n = evbuffer_peek(buf, static_cast<ev_ssize_t>(left), &pos, extents.data(),
                                    static_cast<int>(extents.size()));
        if (n <= 0) {
            break;
        }
        for (int i = 0; i < std::min(n, static_cast<int>(extents.size())) && left > 0; ++i) {
            const std::size_t len = std::min(left, extents[i].iov_len);
            if (const auto refusal =
                    self->scanner_.feed({static_cast<const char*>(extents[i].iov_base), len})) {
                return self->refuse(*refusal);
            }
            left -= len;
            evbuffer_ptr_set(buf, &pos, len, EVBUFFER_PTR_ADD);
        }
    }
    self->scanned(before, started);
}

// The clock runs from a head's first byte, and again from its body's.
void HeadGuard::scanned(RequestHeadScanner::Phase before, std::uint64_t started_before) {
    const auto phase = scanner_.phase();
    if (phase == RequestHeadScanner::Phase::Idle) {
        evtimer_del(timer_.get());
    } else if (phase != before || scanner_.started() != started_before) {
        const timeval tv = to_timeval(timeout_);
        evtimer_add(timer_.get(), &tv);
    }
}

void HeadGuard::refuse(const HeadRefusal& refusal) {
    refusal_ = refusal;
    // Inside the read, before evhttp's read callback, which libevent runs
    // next whether reading is enabled or not (bufferevent_trigger_nolock_,
    // 2.1.12), unless there is none: evhttp's callbacks go, so that it never
    // parses these bytes nor answers them itself.
    bufferevent* bev = evhttp_connection_get_bufferevent(evcon_);
    bufferevent_setcb(bev, nullptr, nullptr, nullptr, nullptr);
    bufferevent_disable(bev, EV_READ);
    evtimer_del(timer_.get());
    event_active(timer_.get(), EV_TIMEOUT, 1);
}

bool HeadGuard::handshaking() const {
    SSL* ssl = bufferevent_openssl_get_ssl(evhttp_connection_get_bufferevent(evcon_));
    return ssl != nullptr && SSL_is_init_finished(ssl) == 0;
}

void HeadGuard::on_timer(int, short, void* arg) noexcept {
    auto* self = static_cast<HeadGuard*>(arg);
    if (!self->refusal_ && self->scanner_.phase() == RequestHeadScanner::Phase::Idle) {
        // No head has begun, so this is the deadline armed at accept for
        // the TLS handshake. Done in time, the connection idles under
        // http.idle_timeout like any other.
        if (self->handshaking()) {
            self->refusal_ = kHandshakeTimedOut;
            self->on_refused_(self->evcon_, kHandshakeTimedOut); // frees this guard
        }
        return;
    }
    if (!self->refusal_ &&
        !(bufferevent_get_enabled(evhttp_connection_get_bufferevent(self->evcon_)) & EV_READ)) {
        // evhttp is not reading: it holds or answers an earlier request on
        // this connection, and the rest of this one waits in the socket
        // (pipelining, C124-18-01). The client is not the slow one: wait.
        const timeval tv = to_timeval(self->timeout_);
        evtimer_add(self->timer_.get(), &tv);
        return;
    }
    const HeadRefusal refusal = self->refusal_.value_or(kTimedOut);
    self->refusal_ = refusal;
    // Frees the connection, and with it this guard: nothing after this line.
    self->on_refused_(self->evcon_, refusal);
}

} // namespace boshd::net
