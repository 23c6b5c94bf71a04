#include "net/backend_link.h"

#include "net/proxy_header.h"
#include "net/socket_address.h"

#include <cstring>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/util.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

namespace boshd::net {

namespace {

constexpr int kBevOptions = BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS;
// How long close() waits for the last bytes (</stream:stream>) to drain.
constexpr timeval kCloseTimeout{5, 0};

} // namespace

BackendLink::BackendLink(event_base* base, evdns_base* dns,
                         std::shared_ptr<const TlsClientContext> tls, bosh::LinkId id,
                         std::shared_ptr<const bosh::Route> route, const util::Endpoint& client,
                         std::size_t max_queue, BackendHandler& handler)
    : base_(base), dns_(dns), tls_(std::move(tls)), id_(id), route_(std::move(route)),
      client_(client), max_queue_(max_queue), handler_(handler),
      deferred_(event_new(base, -1, 0, &BackendLink::on_deferred_failure, this)) {}

// TLS towards the server, direct here or STARTTLS in start_tls(), as the
// route says (C124-19.2-01). With the PROXY protocol the socket starts
// plain, whatever the route's TLS: the header goes first, direct TLS after
// it (send_proxy_header()).
void BackendLink::connect() {
    state_ = State::Connecting;
    if (route_->tls == bosh::TlsMode::Direct && !proxied()) {
        SslPtr ssl = tls_ ? tls_->new_ssl(*route_) : SslPtr();
        if (!ssl) {
            return fail("cannot create a TLS session");
        }
        bev_.reset(bufferevent_openssl_socket_new(base_, -1, ssl.release(),
                                                  BUFFEREVENT_SSL_CONNECTING, kBevOptions));
    } else {
        bev_.reset(bufferevent_socket_new(base_, -1, kBevOptions));
    }
    if (!bev_) {
        return fail("cannot create a socket");
    }
    bufferevent_setcb(bev_.get(), &BackendLink::on_read, nullptr, &BackendLink::on_event, this);
    bufferevent_enable(bev_.get(), EV_READ | EV_WRITE);
    // Asynchronous resolution through evdns; numeric hosts skip DNS.
    if (bufferevent_socket_connect_hostname(bev_.get(), dns_, AF_UNSPEC, route_->host.c_str(),
                                            route_->port) != 0) {
        fail("cannot start connecting to " + route_->host);
    }
}

void BackendLink::write(std::string_view bytes) {
    if (!bev_ || !(state_ == State::Connecting || state_ == State::ProxyTls ||
                   state_ == State::Open || state_ == State::Handshaking)) {
        return;
    }
    if (state_ == State::Connecting && proxied()) {
        // Nothing may precede the header, which needs the connected
        // socket's own address: kept until then (within the same bound).
        early_.append(bytes);
        if (early_.size() > max_queue_) {
            fail("the XMPP server is not reading (over session.max_server_queue)");
        }
        return;
    }
    bufferevent_write(bev_.get(), bytes.data(), bytes.size());
    if (pending() > max_queue_) {
        fail("the XMPP server is not reading (over session.max_server_queue)");
    }
}

// Bytes written and not yet taken by the kernel: ours, and with STARTTLS the
// encrypted ones below the filter.
std::size_t BackendLink::pending() const {
    const auto out = [](bufferevent* b) {
        return evbuffer_get_length(bufferevent_get_output(b));
    };
    bufferevent* wire = bufferevent_get_underlying(bev_.get());
    return out(bev_.get()) + (wire ? out(wire) : 0);
}

void BackendLink::start_tls() {
    if (state_ != State::Open || !tls_) {
        return fail("STARTTLS is not possible on this link");
    }
    SslPtr ssl = tls_->new_ssl(*route_);
    if (!ssl) {
        return fail("cannot create a TLS session");
    }
    // The filter takes the plain bufferevent over (BEV_OPT_CLOSE_ON_FREE frees
    // it with the filter).
    bufferevent* plain = bev_.release();
    bev_.reset(bufferevent_openssl_filter_new(base_, plain, ssl.release(),
                                              BUFFEREVENT_SSL_CONNECTING, kBevOptions));
    if (!bev_) {
        bufferevent_free(plain);
        return fail("cannot start TLS");
    }
    state_ = State::Handshaking;
    bufferevent_setcb(bev_.get(), &BackendLink::on_read, nullptr, &BackendLink::on_event, this);
    bufferevent_enable(bev_.get(), EV_READ | EV_WRITE);
}

void BackendLink::close() {
    if (state_ == State::Closing || state_ == State::Dead) {
        return;
    }
    state_ = State::Closing;
    if (!bev_ || drained()) {
        return finish();
    }
    bufferevent_disable(bev_.get(), EV_READ);
    bufferevent_set_timeouts(bev_.get(), nullptr, &kCloseTimeout);
    bufferevent_setcb(bev_.get(), nullptr, &BackendLink::on_write, &BackendLink::on_event, this);
    if (bufferevent* wire = bufferevent_get_underlying(bev_.get())) {
        // STARTTLS: the filter encrypts into the plain bufferevent below it at
        // once, so its own output is empty while the last bytes (say the
        // client's unavailable presence and </stream:stream>) still wait in
        // the one below. Watch that buffer too; a callback on the buffer, not
        // on the bufferevent, leaves the filter's own callbacks in place.
        bufferevent_set_timeouts(wire, nullptr, &kCloseTimeout);
        wire_watch_ =
            evbuffer_add_cb(bufferevent_get_output(wire), &BackendLink::on_wire_drained, this);
    }
}

// Nothing left to write: not in our bufferevent, nor under it (STARTTLS).
bool BackendLink::drained() const {
    return pending() == 0;
}

void BackendLink::finish() {
    state_ = State::Dead;
    if (bev_) {
        bufferevent_disable(bev_.get(), EV_READ | EV_WRITE);
        if (wire_watch_) {
            evbuffer_remove_cb_entry(bufferevent_get_output(bufferevent_get_underlying(bev_.get())),
                                     wire_watch_);
            wire_watch_ = nullptr;
        }
    }
    handler_.on_link_done(id_);
}

void BackendLink::fail(std::string reason) {
    // Never report from inside a call the engine made (connect, start_tls):
    // the report goes through the event loop.
    state_ = State::Dead;
    if (bev_) {
        bufferevent_disable(bev_.get(), EV_READ | EV_WRITE);
    }
    deferred_reason_ = std::move(reason);
    event_active(deferred_.get(), EV_TIMEOUT, 0);
}

void BackendLink::on_deferred_failure(int, short, void* self) noexcept {
    auto* link = static_cast<BackendLink*>(self);
    link->handler_.on_backend_closed(link->id_, link->deferred_reason_);
    link->handler_.on_link_done(link->id_);
}

void BackendLink::on_read(bufferevent* bev, void* self) noexcept {
    auto* link = static_cast<BackendLink*>(self);
    if (link->state_ != State::Open) {
        return;
    }
    // Take the bytes out before the engine sees them: its answer may put TLS
    // on this connection (STARTTLS), and the TLS filter must find the input
    // empty, not the <proceed/> it is answering.
    evbuffer* in = bufferevent_get_input(bev);
    link->read_buf_.resize(evbuffer_get_length(in));
    evbuffer_remove(in, link->read_buf_.data(), link->read_buf_.size());
    link->handler_.on_backend_data(link->id_, link->read_buf_);
}

void BackendLink::on_write(bufferevent*, void* self) noexcept {
    auto* link = static_cast<BackendLink*>(self);
    if (link->state_ == State::Closing && link->drained()) {
        link->finish();
    }
}

void BackendLink::on_wire_drained(evbuffer*, const evbuffer_cb_info*, void* self) noexcept {
    on_write(nullptr, self);
}

void BackendLink::on_event(bufferevent*, short what, void* self) noexcept {
    static_cast<BackendLink*>(self)->handle_event(what);
}

void BackendLink::handle_event(short what) {
    if (state_ == State::Closing) {
        return finish(); // timeout or error while draining: nothing more to do
    }
    if (state_ == State::Dead) {
        return;
    }
    if (what & BEV_EVENT_CONNECTED) {
        if (state_ == State::Connecting && proxied()) {
            if (!send_proxy_header()) {
                return;
            }
            if (state_ == State::ProxyTls) {
                return; // BackendConnected once the handshake is done
            }
        }
        if (state_ == State::Connecting || state_ == State::ProxyTls) {
            state_ = State::Open;
            return handler_.on_backend_connected(id_);
        }
        if (state_ == State::Handshaking) {
            state_ = State::Open;
            return handler_.on_backend_tls_ready(id_);
        }
        return;
    }
    const std::string reason = error_reason(what);
    state_ = State::Dead;
    bufferevent_disable(bev_.get(), EV_READ | EV_WRITE);
    handler_.on_backend_closed(id_, reason);
    handler_.on_link_done(id_);
}

// README: "PROXY protocol". Written into the output buffer before anything
// else, in one piece (the specification asks for one segment), then what the
// engine wrote meanwhile; direct TLS starts after it, as STARTTLS does.
bool BackendLink::send_proxy_header() {
    const auto local = local_endpoint(bufferevent_getfd(bev_.get()));
    if (!local) {
        fail("cannot read the local address for the PROXY header");
        return false;
    }
    const std::string header = proxy_header(route_->proxy_protocol, client_, *local);
    bufferevent_write(bev_.get(), header.data(), header.size());
    if (route_->tls == bosh::TlsMode::Direct) {
        SslPtr ssl = tls_ ? tls_->new_ssl(*route_) : SslPtr();
        if (!ssl) {
            fail("cannot create a TLS session");
            return false;
        }
        bufferevent* plain = bev_.release();
        bev_.reset(bufferevent_openssl_filter_new(base_, plain, ssl.release(),
                                                  BUFFEREVENT_SSL_CONNECTING, kBevOptions));
        if (!bev_) {
            bufferevent_free(plain);
            fail("cannot start TLS");
            return false;
        }
        bufferevent_setcb(bev_.get(), &BackendLink::on_read, nullptr, &BackendLink::on_event, this);
        bufferevent_enable(bev_.get(), EV_READ | EV_WRITE);
        state_ = State::ProxyTls;
    }
    if (!early_.empty()) {
        bufferevent_write(bev_.get(), early_.data(), early_.size());
        std::string().swap(early_);
    }
    return true;
}

std::string BackendLink::error_reason(short what) const {
    const std::string where = route_->host + ":" + std::to_string(route_->port);
    if (what & BEV_EVENT_EOF) {
        return "connection to " + where + " closed by the server";
    }
    if (const int dns = bufferevent_socket_get_dns_error(bev_.get()); dns != 0) {
        return "cannot resolve " + route_->host + ": " + evutil_gai_strerror(dns);
    }
    if (route_->tls == bosh::TlsMode::Direct || state_ == State::Handshaking) {
        const unsigned long err = bufferevent_get_openssl_error(bev_.get());
        ssl_st* ssl = bufferevent_openssl_get_ssl(bev_.get());
        if (err != 0 || (ssl && SSL_get_verify_result(ssl) != X509_V_OK)) {
            return "TLS with " + where + " failed: " + TlsClientContext::failure_reason(ssl, err);
        }
    }
    const int err = EVUTIL_SOCKET_ERROR();
    if (what & BEV_EVENT_TIMEOUT) {
        return "connection to " + where + " timed out";
    }
    return "connection to " + where + " failed: " + (err ? std::strerror(err) : "unknown error");
}

} // namespace boshd::net
