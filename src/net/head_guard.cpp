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
    SSL* ssl = bufferevent_openssl_get_ssl(evhttp_connection_get_bufferevent(evcon));
    if (ssl == nullptr) {
        return;
    }
    // evhttp has set the socket (net/http_frontend.cpp, admit_fresh()), and
    // with it bufferevent_openssl the SSL's BIO.
    cipher_in_ = SSL_get_rbio(ssl);
    if (cipher_in_ != nullptr) {
        BIO_set_callback_arg(cipher_in_, reinterpret_cast<char*>(this));
        BIO_set_callback_ex(cipher_in_, &HeadGuard::on_cipher_read);
    }
    // The handshake's deadline. evhttp's idle timeout cannot bound it: it
    // restarts with every byte read, however few.
    start_clock();
}

HeadGuard::~HeadGuard() {
    evbuffer_remove_cb_entry(input_, entry_);
    if (cipher_in_ != nullptr) {
        BIO_set_callback_ex(cipher_in_, nullptr);
        BIO_set_callback_arg(cipher_in_, nullptr);
    }
}

// Bytes read from the socket of an HTTPS connection, before OpenSSL has
// made anything of them: between requests, the first byte of a record
// starts the clock.
long HeadGuard::on_cipher_read(bio_st* bio, int oper, const char*, std::size_t, int, long, int ret,
                               std::size_t* processed) noexcept {
    if (oper == (BIO_CB_READ | BIO_CB_RETURN) && ret > 0 && processed != nullptr &&
        *processed > 0) {
        auto* self = reinterpret_cast<HeadGuard*>(BIO_get_callback_arg(bio));
        if (self != nullptr && !self->refusal_ &&
            self->scanner_.phase() == RequestHeadScanner::Phase::Idle &&
            evtimer_pending(self->timer_.get(), nullptr) == 0) {
            self->start_clock();
        }
    }
    return ret;
}

void HeadGuard::start_clock() {
    const timeval tv = to_timeval(timeout_);
    evtimer_add(timer_.get(), &tv);
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
        if (record_pending()) {
            start_clock(); // the next record began in the same read
        } else {
            evtimer_del(timer_.get());
        }
    } else if (phase != before || scanner_.started() != started_before) {
        start_clock();
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

// Part of a TLS record read and not yet whole (or whole and not yet read).
bool HeadGuard::record_pending() const {
    SSL* ssl = bufferevent_openssl_get_ssl(evhttp_connection_get_bufferevent(evcon_));
    return ssl != nullptr && SSL_has_pending(ssl) == 1;
}

void HeadGuard::on_timer(int, short, void* arg) noexcept {
    auto* self = static_cast<HeadGuard*>(arg);
    if (!self->refusal_) {
        self->refusal_ = self->overdue();
        if (!self->refusal_) {
            return;
        }
    }
    const HeadRefusal refusal = *self->refusal_;
    // Frees the connection, and with it this guard: nothing after this line.
    self->on_refused_(self->evcon_, refusal);
}

// What the clock's running out means, or nothing when the client is not to
// blame.
std::optional<HeadRefusal> HeadGuard::overdue() {
    const bool idle = scanner_.phase() == RequestHeadScanner::Phase::Idle;
    if (idle && handshaking()) {
        return kHandshakeTimedOut;
    }
    if (!(bufferevent_get_enabled(evhttp_connection_get_bufferevent(evcon_)) & EV_READ)) {
        // evhttp is not reading: it holds or answers an earlier request on
        // this connection, and the rest of this one waits in the socket
        // (pipelining, C124-18-01). The client is not the slow one: wait.
        start_clock();
        return std::nullopt;
    }
    if (idle && !record_pending()) {
        // No head has begun: the handshake was done in time, or the record
        // that started the clock was whole and carried no request bytes (an
        // alert, a key update). The connection idles under http.idle_timeout.
        // OpenSSL 3 counts nothing pending between a record's 5-byte header
        // and its first body byte; that byte starts the clock again, so a
        // record may take up to twice http.header_timeout.
        return std::nullopt;
    }
    return kTimedOut;
}

} // namespace boshd::net
