#include "net/http_frontend.h"

#include "net/clock.h"
#include "net/http_framing.h"
#include "net/socket_address.h"
#include "util/ascii.h"

#include <cstring>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <unordered_map>

namespace boshd::net {

namespace {

// The methods the BOSH listener serves (C124-5-04: BOSH is POST; GET and
// HEAD for the info page, OPTIONS for CORS preflights): every 405's Allow.
constexpr std::string_view kAllow = "POST, GET, HEAD, OPTIONS";

// Bodies between http.max_body_size and this many times it go to the engine
// as unusable (a BOSH answer and a log line); larger ones are refused by evhttp itself (413,
// connection closed) before any byte is buffered past this bound.
constexpr long kTransportBodyFactor = 4;
constexpr int kPreflightMaxAgeSeconds = 86400;
constexpr std::string_view kInfoPage =
    "<!DOCTYPE html>\n<html><head><title>boshd</title></head><body>\n"
    "<p>boshd: a BOSH (XEP-0124, XEP-0206) connection manager. XMPP clients POST "
    "&lt;body/&gt; documents to this URL.</p>\n</body></html>\n";

void set_nodelay(evhttp_request* req) {
    // Each reply goes out in one piece, headers with body, as soon as it is
    // written: clients such as Strophe.js handle replies in arrival order.
    auto* evcon = evhttp_request_get_connection(req);
    if (!evcon) {
        return;
    }
    const int fd = bufferevent_getfd(evhttp_connection_get_bufferevent(evcon));
    const int one = 1;
    if (fd >= 0) {
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
}

std::string peer_of(evhttp_request* req) {
    auto* evcon = evhttp_request_get_connection(req);
    if (!evcon) {
        return "-";
    }
    char* host = nullptr;
    ev_uint16_t port = 0;
    evhttp_connection_get_peer(evcon, &host, &port);
    return std::string(host ? host : "-") + ":" + std::to_string(port);
}

ConnectionLimits limits_of(const HttpConfig& config) {
    return {config.max_connections, config.max_connections_per_ip, config.trusted_proxies};
}

constexpr auto kRefusalLogPeriod = std::chrono::seconds(10);

} // namespace

HttpFrontend::HttpFrontend(event_base* base, const HttpConfig& config, HttpHandler& handler,
                           const util::Logger& log)
    : base_(base), config_(config), handler_(handler), log_(log),
      gate_(limits_of(config), [this](ConnectionGate::Refusal why,
                                      const util::IpAddress& peer) { log_refusal(why, peer); }),
      http_(evhttp_new(base)),
      listener_(base, http_.get(),
                [this](std::string_view reason, long pause_ms) {
                    log_.warning(
                        "http.accept_paused",
                        {{"reason", reason}, {"held", held_.size()}, {"pause_ms", pause_ms}});
                }),
      check_fresh_(evtimer_new(base, &HttpFrontend::on_fresh, this)), graveyard_(base) {
    if (!http_ || !check_fresh_) {
        throw std::runtime_error("cannot create the HTTP server");
    }
    allow_every_method(http_.get());
    // Every connection's bufferevent is made here, plain or TLS, so that
    // admit_fresh() learns of every connection.
    evhttp_set_bevcb(http_.get(), &HttpFrontend::new_bufferevent, this);
    apply_limits();
    evhttp_set_gencb(http_.get(), &HttpFrontend::on_request, this);
}

void HttpFrontend::reconfigure(const HttpConfig& config) {
    config_ = config;
    gate_.set_limits(limits_of(config_));
    apply_limits();
}

void HttpFrontend::set_tls(std::shared_ptr<const TlsServerContext> tls) {
    tls_ = std::move(tls);
}

// evhttp 2.1.12 accepts on its own and says nothing (evhttp_get_request is
// not exported), but it asks new_bufferevent() for each connection it
// accepts, before it sets the socket. So new_bufferevent() queues the
// bufferevent and activates check_fresh_, which runs in the same pass of the
// loop, after the accepting callback and before the next poll: before
// anything is read from the new socket. An extra reference keeps each queued
// bufferevent allocated; bufferevent_free() clears its callbacks, so a null
// callback argument means evhttp already dropped the connection.
void HttpFrontend::on_fresh(int, short, void* self) noexcept {
    static_cast<HttpFrontend*>(self)->admit_fresh();
}

void HttpFrontend::admit_fresh() {
    std::vector<Fresh> fresh;
    fresh.swap(fresh_);
    for (const Fresh& f : fresh) {
        void* arg = nullptr;
        bufferevent_getcb(f.bev, nullptr, nullptr, nullptr, &arg);
        auto* evcon = static_cast<evhttp_connection*>(arg);
        if (evcon) {
            const auto peer = to_endpoint(evhttp_connection_get_addr(evcon));
            if (f.usable && peer && gate_.admit(peer->address)) {
                if (auto watch = guard(evcon)) {
                    gate_.track(evcon, peer->address, std::move(watch));
                } else {
                    gate_.release(peer->address);
                    evhttp_connection_free(evcon); // unread; its socket closes here
                }
            } else {
                if (!f.usable) {
                    log_.warning("http.accept_failed",
                                 {{"ip", peer ? peer->address.to_string() : "-"},
                                  {"reason", "out of memory for a TLS connection"}});
                }
                // Nothing of it was read; its socket closes here.
                evhttp_connection_free(evcon);
            }
        }
        bufferevent_decref(f.bev);
    }
}

// What watches |evcon|'s request heads (net/head_guard.h), or null when
// libevent cannot make it: such a connection is not served.
std::unique_ptr<HeadGuard> HttpFrontend::guard(evhttp_connection* evcon) {
    try {
        return std::make_unique<HeadGuard>(
            base_, evcon, config_.max_header_size, config_.header_timeout,
            [this](evhttp_connection* c, const HeadRefusal& r) { refuse_connection(c, r); });
    } catch (const std::exception& e) {
        log_.warning("http.accept_failed", {{"reason", e.what()}});
        return nullptr;
    }
}

// The answer is written here rather than through evhttp, which has no
// request for these bytes. evhttp's callbacks are replaced first (it must not
// see a write complete on a connection it thinks is reading); the
// connection is freed once the answer is written, or on an error or the
// write timeout evhttp set (http.idle_timeout), by these callbacks.
void HttpFrontend::refuse_connection(evhttp_connection* evcon, const HeadRefusal& refusal) {
    char* host = nullptr;
    ev_uint16_t port = 0;
    evhttp_connection_get_peer(evcon, &host, &port);
    // No header of it is read: the client is the peer, a proxy's address
    // for a proxied client (README: The client address behind a proxy).
    log_.notice("http.refused",
                {{"ip", host ? host : "-"},
                 {"peer", std::string(host ? host : "-") + ":" + std::to_string(port)},
                 {"status", refusal.answerable ? std::to_string(refusal.status) : "none"},
                 {"reason", refusal.why}});
    handler_.on_head_refused(refusal.status);
    if (!refusal.answerable) {
        evhttp_connection_free(evcon); // the gate counts it out
        return;
    }
    const std::string body = std::string(refusal.why) + "\n";
    std::string reply = "HTTP/1.1 " + std::to_string(refusal.status) + " " +
                        std::string(refusal.reason) +
                        "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\nConnection: close\r\n";
    if (refusal.status == 405) {
        reply += "Allow: " + std::string(kAllow) + "\r\n";
    }
    reply += "\r\n" + body;
    bufferevent* bev = evhttp_connection_get_bufferevent(evcon);
    bufferevent_setcb(bev, nullptr, &HttpFrontend::on_refusal_written,
                      &HttpFrontend::on_refusal_error, evcon);
    bufferevent_disable(bev, EV_READ);
    bufferevent_enable(bev, EV_WRITE);
    if (bufferevent_write(bev, reply.data(), reply.size()) != 0) {
        evhttp_connection_free(evcon);
    }
}

void HttpFrontend::on_refusal_written(bufferevent* bev, void* evcon) noexcept {
    if (evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
        evhttp_connection_free(static_cast<evhttp_connection*>(evcon)); // the gate counts it out
    }
}

void HttpFrontend::on_refusal_error(bufferevent*, short, void* evcon) noexcept {
    evhttp_connection_free(static_cast<evhttp_connection*>(evcon));
}

// One line for the first refusal, then at most one per kRefusalLogPeriod
// with the count since the last: a flood must not flood the log.
void HttpFrontend::log_refusal(ConnectionGate::Refusal why, const util::IpAddress& peer) {
    handler_.on_connection_refused(why);
    ++refused_;
    const auto now = monotonic_now();
    if (refused_logged_ && now - *refused_logged_ < kRefusalLogPeriod) {
        return;
    }
    refused_logged_ = now;
    const bool total = why == ConnectionGate::Refusal::Total;
    log_.warning("http.connection_refused",
                 {{"ip", peer.to_string()},
                  {"limit", total ? "http.max_connections" : "http.max_connections_per_ip"},
                  {"max", total ? gate_.max_connections() : gate_.max_per_ip()},
                  {"open", total ? gate_.open() : gate_.open_from(peer)},
                  {"refused", refused_}});
    refused_ = 0;
}

// A connection's bufferevent, plain or TLS, or null when libevent or
// OpenSSL is out of memory. evhttp sets the socket on it (bufferevent_setfd)
// and frees it, closing the socket and the SSL, with the connection.
bufferevent* HttpFrontend::new_bufferevent(event_base* base, void* arg) noexcept {
    auto* self = static_cast<HttpFrontend*>(arg);
    bool usable = true;
    bufferevent* bev = self->make_bufferevent(base);
    if (!bev) {
        // Returning null would make evhttp read the connection as plain
        // HTTP, on an HTTPS port too: give it a plain bufferevent that
        // admit_fresh() closes before anything is read.
        usable = false;
        bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
        if (!bev) {
            return nullptr; // libevent can allocate nothing: nor can evhttp
        }
    }
    bufferevent_incref(bev);
    self->fresh_.push_back(Fresh{bev, usable});
    event_active(self->check_fresh_.get(), EV_TIMEOUT, 1);
    return bev;
}

// With HTTPS set, every connection of the listener is TLS: BOSH over HTTPS
// (C124-19.1-01), and a plain HTTP request, for a session created over
// HTTPS or not, fails its handshake and is closed unanswered, touching no
// session (C124-19.1-02, C124-19.1-03).
bufferevent* HttpFrontend::make_bufferevent(event_base* base) {
    if (!tls_) {
        return bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE); // as evhttp's own
    }
    if (SslPtr ssl = tls_->new_ssl()) {
        // libevent owns the SSL from here, even when it fails (it frees it).
        bufferevent* bev = bufferevent_openssl_socket_new(
            base, -1, ssl.release(), BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
        if (bev) {
            // Browsers and most clients close without TLS's close_notify:
            // read that as the end of the connection, as plain HTTP would,
            // rather than as an error.
            bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
            return bev;
        }
    }
    return nullptr;
}

void HttpFrontend::apply_limits() {
    evhttp_set_max_body_size(http_.get(),
                             static_cast<ev_ssize_t>(config_.max_body_size) * kTransportBodyFactor);
    // Only a backstop: net/head_guard.h refuses a request line over 8 KiB
    // (414) and a header block over max_header_size (431) before evhttp
    // reads them.
    evhttp_set_max_headers_size(http_.get(),
                                static_cast<ev_ssize_t>(config_.max_header_size + kMaxRequestLine));
    // Reading a request and idle keep-alive connections; never a held request,
    // since evhttp does not read while we hold one.
    evhttp_set_timeout(http_.get(), static_cast<int>(config_.idle_timeout.count()));
}

HttpFrontend::~HttpFrontend() {
    graveyard_.clear();
    held_.clear();
    http_.reset(); // frees connections, and with them any request still queued
    for (const Fresh& f : fresh_) {
        bufferevent_decref(f.bev);
    }
}

std::uint16_t HttpFrontend::serve(int fd) {
    return listener_.serve(fd);
}

void HttpFrontend::stop_listening() {
    listener_.stop();
}

void HttpFrontend::on_request(evhttp_request* req, void* self) noexcept {
    static_cast<HttpFrontend*>(self)->handle(req);
}

// README: "The client address behind a proxy". The headers are read only
// when the peer is a trusted proxy (resolve_client ignores them otherwise).
ClientAddress HttpFrontend::client_of(evhttp_request* req) const {
    util::Endpoint peer;
    if (auto* evcon = evhttp_request_get_connection(req)) {
        if (auto e = to_endpoint(evhttp_connection_get_addr(evcon))) {
            peer = *e;
        }
    }
    if (config_.trusted_proxies.empty()) {
        return {peer, false, {}};
    }
    std::vector<std::string_view> forwarded;
    std::vector<std::string_view> x_forwarded_for;
    const evkeyvalq* headers = evhttp_request_get_input_headers(req);
    for (const evkeyval* h = headers->tqh_first; h != nullptr; h = h->next.tqe_next) {
        if (util::ascii::iequals(h->key, "Forwarded")) {
            forwarded.emplace_back(h->value);
        } else if (util::ascii::iequals(h->key, "X-Forwarded-For")) {
            x_forwarded_for.emplace_back(h->value);
        }
    }
    return resolve_client(peer, config_.trusted_proxies, forwarded, x_forwarded_for);
}

void HttpFrontend::handle(evhttp_request* req) {
    arrival_ = monotonic_now();
    handler_.on_http_request();
    const ClientAddress client = client_of(req);
    client_ = client.endpoint;
    if (!client.problem.empty()) {
        // A trusted proxy sent what it should not: the request goes on, from
        // the proxy's address; the operator learns of it here.
        log_.notice("http.forwarded_invalid", {{"ip", client_.address.to_string()},
                                               {"peer", peer_of(req)},
                                               {"reason", client.problem}});
    }
    if (const auto refusal = refuse_framing(req)) {
        log_.notice("http.refused", {{"ip", client_.address.to_string()},
                                     {"peer", peer_of(req)},
                                     {"status", refusal->status},
                                     {"reason", refusal->why}});
        // Nothing after this request on the connection is read as another.
        evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
        return reply_now(req, refusal->status, refusal->reason, "text/plain; charset=utf-8",
                         std::string(refusal->why) + "\n");
    }
    const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
    const char* path = uri ? evhttp_uri_get_path(uri) : nullptr;
    if (!path || config_.path != path) {
        return reply_now(req, 404, "Not Found", "text/plain; charset=utf-8", "not found\n");
    }
    switch (evhttp_request_get_command(req)) {
    case EVHTTP_REQ_POST:
        return handle_post(req);
    case EVHTTP_REQ_OPTIONS:
        // CORS preflight (P124-03): browsers on another origin ask first.
        // Content-Encoding: compressed request bodies (C124-7.2-14).
        evhttp_add_header(evhttp_request_get_output_headers(req), "Access-Control-Allow-Methods",
                          "POST, GET, OPTIONS");
        evhttp_add_header(evhttp_request_get_output_headers(req), "Access-Control-Allow-Headers",
                          "Content-Type, Content-Encoding");
        evhttp_add_header(evhttp_request_get_output_headers(req), "Access-Control-Max-Age",
                          std::to_string(kPreflightMaxAgeSeconds).c_str());
        return reply_now(req, 200, "OK", "text/plain; charset=utf-8", "");
    case EVHTTP_REQ_GET:
    case EVHTTP_REQ_HEAD:
        return reply_now(req, 200, "OK", "text/html; charset=utf-8", kInfoPage);
    default:
        // C124-5-04: BOSH is POST; nothing else ever creates a session.
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", kAllow.data());
        return reply_now(req, 405, "Method Not Allowed", "text/plain; charset=utf-8",
                         "method not allowed\n");
    }
}

void HttpFrontend::handle_post(evhttp_request* req) {
    evbuffer* in = evhttp_request_get_input_buffer(req);
    const std::size_t size = evbuffer_get_length(in);
    if (size > config_.max_body_size) {
        evbuffer_drain(in, size); // never read
        return hand_over_unusable(req, bosh::UnusableReason::BodyTooLarge, size);
    }
    // Copy the body out and release libevent's read chain at once: a held
    // request would otherwise pin it (4 KB for a 100-byte body) for `wait`.
    body_.resize(size);
    evbuffer_remove(in, body_.data(), size);
    std::vector<char> decoded; // the decoded entity, when the request has a coding
    const auto body = decode_body(req, decoded);
    if (!body) {
        return; // handed over as unusable
    }
    // Only the entity counts: headers BOSH does not define (C124-5-02) and
    // the request's Content-Type (C124-5-08) are ignored; evhttp serves
    // HTTP/1.1 keep-alive and HTTP/1.0 alike (C124-5-05, P124-01).
    const bosh::RequestId id = hold(req, false);
    if (log_.enabled(util::LogLevel::Debug)) {
        log_.debug("http.request", {{"req", bosh::value_of(id)},
                                    {"ip", client_.address.to_string()},
                                    {"peer", peer_of(req)},
                                    {"bytes", body->size()}});
    }
    arriving_ = id; // a reply given during the call is not a held one (sent())
    handler_.on_bosh_request(id, *body, client_);
    arriving_ = bosh::RequestId{0};
}

bosh::RequestId HttpFrontend::hold(evhttp_request* req, bool unusable) {
    const bosh::RequestId id{next_request_++};
    set_nodelay(req);
    held_.emplace(id,
                  std::make_unique<HeldRequest>(base_, gate_, req, id, arrival_,
                                                [this](bosh::RequestId gone) { on_gone(gone); }));
    if (unusable) {
        uncoded_.insert(id);
    }
    return id;
}

// What such a request means in BOSH, and its log line (README: Log events),
// are the engine's; the peer's address is known only here, so it goes along.
// |bytes| is the entity size as received.
void HttpFrontend::hand_over_unusable(evhttp_request* req, bosh::UnusableReason why,
                                      std::size_t bytes, std::string_view detail) {
    const std::string peer = peer_of(req);
    const bosh::RequestId id = hold(req, true);
    arriving_ = id;
    handler_.on_unusable_request(bosh::RequestUnusable{id, why, bytes, detail, peer, client_});
    arriving_ = bosh::RequestId{0};
}

void HttpFrontend::on_gone(bosh::RequestId id) {
    if (!graveyard_.bury_from(held_, id)) {
        return;
    }
    uncoded_.erase(id);
    log_.debug("http.gone", {{"req", bosh::value_of(id)}});
    handler_.on_request_gone(id);
}

} // namespace boshd::net
