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
// How long one address may take to accept the connection (and, for direct
// TLS, the handshake) before the next one is tried: short enough that a
// second target still fits in the default backend.timeout of 10 s.
constexpr timeval kConnectTimeout{4, 0};

} // namespace

BackendLink::BackendLink(event_base* base, std::shared_ptr<DnsResolver> dns,
                         std::shared_ptr<const TlsClientContext> tls, bosh::LinkId id,
                         std::shared_ptr<const bosh::Route> route, const util::Endpoint& client,
                         std::size_t max_queue, util::Random& random, BackendHandler& handler)
    : base_(base), dns_(std::move(dns)), tls_(std::move(tls)), id_(id), route_(std::move(route)),
      client_(client), max_queue_(max_queue), random_(random), handler_(handler),
      deferred_(event_new(base, -1, 0, &BackendLink::on_deferred_failure, this)) {}

// Where to connect comes first: the SRV records of the domain when the route
// says srv (RFC 6120 §3.2.1), else the route's host and port.
void BackendLink::connect() {
    state_ = State::Connecting;
    if (!route_->srv) {
        targets_.push_back({route_->host, route_->port});
        return try_next_target();
    }
    lookup_ =
        dns_->lookup_srv(route_->srv_name(), [this](const DnsResult& result) { on_srv(result); });
}

void BackendLink::on_srv(const DnsResult& result) {
    if (state_ != State::Connecting) {
        return;
    }
    const std::string name = route_->srv_name();
    switch (result.status) {
    case DnsResult::Status::Found:
        // RFC 6120 §3.2.1, RFC 2782: "." alone means no XMPP service at this
        // domain; the address records are not tried.
        if (srv_service_refused(result.answer.srv)) {
            return fail("no XMPP service at " + route_->domain + ": the SRV record of " + name +
                        " is \".\"");
        }
        for (auto& r : order_srv(result.answer.srv, random_)) {
            targets_.push_back({std::move(r.target), r.port});
        }
        break;
    case DnsResult::Status::NoRecord:
        // RFC 6120 §3.2.2: no SRV record, so the domain's own
        // address records (the route's host, the domain unless set) on the
        // route's port.
        targets_.push_back({route_->host, route_->port});
        break;
    case DnsResult::Status::Failed:
        return fail("cannot resolve " + name + ": " + result.error);
    }
    try_next_target();
}

// RFC 6120 §3.2.1: a target that cannot be reached (refused, timed out, no
// address) is followed by the next one; the link fails once none is left.
// After SRV targets that all failed, the domain's own address is not tried:
// the RFC says an initiating entity that got an SRV answer SHOULD NOT fall
// back (§3.2.1, against a state mismatch between the two directions).
void BackendLink::try_next_target() {
    if (next_target_ == targets_.size()) {
        return fail(last_error_.empty() ? "no target to connect to" : last_error_);
    }
    const Target& target = targets_[next_target_++];
    addresses_.clear();
    next_address_ = 0;
    lookup_ = dns_->lookup_addresses(target.host,
                                     [this](const DnsResult& result) { on_addresses(result); });
}

void BackendLink::on_addresses(const DnsResult& result) {
    if (state_ != State::Connecting) {
        return;
    }
    const Target& target = targets_[next_target_ - 1];
    if (result.status != DnsResult::Status::Found) {
        last_error_ = "cannot resolve " + target.host + ": " + result.error;
        return retry();
    }
    addresses_ = result.answer.addresses;
    next_address_ = 0;
    try_next_address();
}

// TLS towards the server, direct here or STARTTLS in start_tls(), as the
// route says (C124-19.2-01). The certificate is checked against the domain
// (or tls_server_name), never the SRV target (RFC 6120 §13.7.2.1):
// TlsClientContext::new_ssl() takes the route, not the target. With the
// PROXY protocol the socket starts plain, whatever the route's TLS: the
// header goes first, direct TLS after it (send_proxy_header()).
void BackendLink::try_next_address() {
    const Target& target = targets_[next_target_ - 1];
    if (next_address_ == addresses_.size()) {
        return try_next_target();
    }
    const util::IpAddress& address = addresses_[next_address_++];
    where_ = target.host + ":" + std::to_string(target.port);
    if (const std::string text = address.to_string(); text != target.host) {
        where_ += " (" + text + ")";
    }
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
    bufferevent_set_timeouts(bev_.get(), &kConnectTimeout, &kConnectTimeout);
    sockaddr_storage to{};
    const socklen_t to_length = to_sockaddr({address, target.port}, to);
    if (bufferevent_socket_connect(bev_.get(), reinterpret_cast<const sockaddr*>(&to),
                                   static_cast<int>(to_length)) != 0) {
        const int err = EVUTIL_SOCKET_ERROR();
        last_error_ = "connection to " + where_ + " failed: " + std::strerror(err);
        bev_.reset();
        retry();
    }
}

// After a failed try: say why when something is left to try, then try it.
// The last failure is the link's, reported once by fail().
void BackendLink::retry() {
    const bool more = next_address_ < addresses_.size() || next_target_ < targets_.size();
    if (more) {
        handler_.on_backend_retry(id_, last_error_);
    }
    try_next_address();
}

void BackendLink::write(std::string_view bytes) {
    if (state_ == State::Connecting || state_ == State::ProxyTls) {
        // Kept until a try succeeds: a failed one takes its bufferevent along.
        early_.append(bytes);
        if (early_.size() > max_queue_) {
            fail("the XMPP server is not reading (over session.max_server_queue)");
        }
        return;
    }
    if (!bev_ || !(state_ == State::Open || state_ == State::Handshaking)) {
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
    lookup_.cancel();
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
    lookup_.cancel();
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
                return; // connected once the handshake is done
            }
        }
        if (state_ == State::Connecting || state_ == State::ProxyTls) {
            state_ = State::Open;
            bufferevent_set_timeouts(bev_.get(), nullptr, nullptr);
            if (!early_.empty()) {
                bufferevent_write(bev_.get(), early_.data(), early_.size());
                std::string().swap(early_);
            }
            // What was left to try is not needed for the link's life (an idle
            // session keeps its link for hours).
            std::vector<Target>().swap(targets_);
            std::vector<util::IpAddress>().swap(addresses_);
            std::string().swap(last_error_);
            return handler_.on_backend_connected(id_);
        }
        if (state_ == State::Handshaking) {
            state_ = State::Open;
            return handler_.on_backend_tls_ready(id_);
        }
        return;
    }
    const std::string reason = error_reason(what);
    if (state_ == State::Connecting || state_ == State::ProxyTls) {
        // This address failed; the next one, or the next target, may not.
        // Freeing the bufferevent inside its own callback is allowed.
        last_error_ = reason;
        bev_.reset();
        return retry();
    }
    state_ = State::Dead;
    bufferevent_disable(bev_.get(), EV_READ | EV_WRITE);
    handler_.on_backend_closed(id_, reason);
    handler_.on_link_done(id_);
}

// README: "PROXY protocol". Written into the output buffer before anything
// else, in one piece (the specification asks for one segment); what the
// engine wrote meanwhile follows once the try succeeded (early_), so that a
// failed handshake leaves it for the next address. Direct TLS starts after
// the header, as STARTTLS does, within the same connect timeout.
bool BackendLink::send_proxy_header() {
    const auto local = local_endpoint(bufferevent_getfd(bev_.get()));
    if (!local) {
        fail("cannot read the local address for the PROXY header");
        return false;
    }
    const std::string header = proxy_header(route_->proxy_protocol, client_, *local);
    bufferevent_write(bev_.get(), header.data(), header.size());
    if (route_->tls != bosh::TlsMode::Direct) {
        return true;
    }
    SslPtr ssl = tls_ ? tls_->new_ssl(*route_) : SslPtr();
    if (!ssl) {
        fail("cannot create a TLS session");
        return false;
    }
    bufferevent* plain = bev_.release();
    bufferevent_set_timeouts(plain, nullptr, nullptr);
    bev_.reset(bufferevent_openssl_filter_new(base_, plain, ssl.release(),
                                              BUFFEREVENT_SSL_CONNECTING, kBevOptions));
    if (!bev_) {
        bufferevent_free(plain);
        fail("cannot start TLS");
        return false;
    }
    bufferevent_setcb(bev_.get(), &BackendLink::on_read, nullptr, &BackendLink::on_event, this);
    bufferevent_enable(bev_.get(), EV_READ | EV_WRITE);
    bufferevent_set_timeouts(bev_.get(), &kConnectTimeout, &kConnectTimeout);
    state_ = State::ProxyTls;
    return true;
}

std::string BackendLink::error_reason(short what) const {
    const std::string& where = where_;
    if (what & BEV_EVENT_EOF) {
        return "connection to " + where + " closed by the server";
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
