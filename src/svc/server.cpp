#include "svc/server.h"

#include "net/clock.h"
#include "net/compression.h"
#include "net/listener.h"

#include <csignal>
#include <event2/event.h>
#include <stdexcept>

namespace boshd::svc {

namespace {

// How often systemd's STATUS= is brought up to date (when it changed).
constexpr auto kStatusPeriod = std::chrono::seconds(5);

// A copy of |event| whose bytes live in |storage| (for events queued while
// the engine is busy).
bosh::Event own(const bosh::Event& event, std::string& storage) {
    if (const auto* r = std::get_if<bosh::RequestArrived>(&event)) {
        storage.assign(r->body);
        return bosh::RequestArrived{r->id, storage, r->client};
    }
    if (const auto* d = std::get_if<bosh::BackendData>(&event)) {
        storage.assign(d->bytes);
        return bosh::BackendData{d->link, storage};
    }
    if (const auto* c = std::get_if<bosh::BackendClosed>(&event)) {
        storage.assign(c->reason);
        return bosh::BackendClosed{c->link, storage};
    }
    if (const auto* u = std::get_if<bosh::RequestUnusable>(&event)) {
        storage.assign(u->detail).append(u->peer);
        const std::string_view both(storage);
        return bosh::RequestUnusable{u->id,
                                     u->why,
                                     u->bytes,
                                     both.substr(0, u->detail.size()),
                                     both.substr(u->detail.size()),
                                     u->client};
    }
    return event;
}

} // namespace

// C124-7.2-13: the engine advertises the codings the front end decodes (always,
// whatever http.compress_min_size says of replies); it knows nothing of zlib.
bosh::Limits Server::engine_limits(const Config& config) {
    bosh::Limits limits = config.limits;
    limits.accept = std::string(net::kDecodableCodings);
    return limits;
}

bosh::RouteTable Server::route_table(const Config& config) {
    return bosh::RouteTable(config.routes);
}

void Server::warn_unverified() const {
    for (const auto& route : config_.routes) {
        if (route.tls != bosh::TlsMode::None && !route.tls_verify) {
            log_.warning("config.tls_verify_off", {{"domain", route.domain}});
        }
    }
}

Server::Server(Config config, std::string config_path, util::Logger& log, util::Random& random)
    : config_(std::move(config)), config_path_(std::move(config_path)), log_(log),
      base_(event_base_new()), random_(random),
      engine_(engine_limits(config_), route_table(config_), random, log), dead_links_(base_.get()),
      telemetry_(config_.routes, net::monotonic_now()) {
    if (!base_) {
        throw std::runtime_error("cannot create the event loop");
    }
    dns_ = std::make_shared<net::DnsResolver>(base_.get(), config_.backend.resolver);
    tls_ = load_tls(config_);
    warn_unverified();
    http_ = std::make_unique<net::HttpFrontend>(base_.get(), config_.http, *this, log);
    http_->set_tls(load_https(config_));
    timer_.reset(event_new(base_.get(), -1, 0, &Server::on_timer, this));
    grace_timer_.reset(evtimer_new(base_.get(), &Server::on_grace_over, this));
    for (int sig : {SIGTERM, SIGINT, SIGHUP}) {
        signals_.emplace_back(evsignal_new(base_.get(), sig, &Server::on_signal, this));
        evsignal_add(signals_.back().get(), nullptr);
    }
}

Server::~Server() {
    // Links and requests go before the loop they are registered with.
    admin_.reset();
    links_.clear();
    dead_links_.clear();
    http_.reset();
    dns_.reset(); // its events go before the loop too
}

Server::TlsContexts Server::load_tls(const Config& config) {
    TlsContexts contexts;
    for (const auto& route : config.routes) {
        if (route.tls != bosh::TlsMode::None) {
            contexts.emplace(route.domain, std::make_shared<const net::TlsClientContext>(route));
        }
    }
    return contexts;
}

std::shared_ptr<const net::TlsServerContext> Server::load_https(const Config& config) {
    if (config.http.tls_cert.empty()) {
        return nullptr;
    }
    return std::make_shared<const net::TlsServerContext>(config.http.tls_cert, config.http.tls_key);
}

// Plain HTTP where other machines can reach it: credentials cross the
// network in the clear unless a proxy on this machine terminates HTTPS
// (README: HTTPS).
void Server::warn_plaintext(int fd, const Config& config) const {
    if (config.http.tls_cert.empty() && !net::on_loopback(fd)) {
        log_.warning("http.plaintext",
                     {{"address", config.http.listen_host},
                      {"reason", "plain HTTP on a non-loopback address; set http.tls_cert and "
                                 "http.tls_key, or listen on loopback behind a proxy"}});
    }
}

std::uint16_t Server::listen(std::optional<int> passed) {
    listener_passed_ = passed.has_value();
    const int fd =
        passed ? *passed : net::open_listener(config_.http.listen_host, config_.http.listen_port);
    warn_plaintext(fd, config_);
    return http_->serve(fd);
}

void Server::run() {
    if (notify_.enabled()) {
        notify_.ready(engine_.session_count());
        add_periodic(status_timer_, kStatusPeriod, &Server::on_status_due);
        if (const auto period = notify_.watchdog_period()) {
            add_periodic(watchdog_timer_, *period, &Server::on_watchdog_due);
        }
    }
    event_base_dispatch(base_.get());
}

void Server::add_periodic(net::EventPtr& timer, util::Duration period, event_callback_fn fn) {
    timer.reset(event_new(base_.get(), -1, EV_PERSIST, fn, this));
    const timeval tv = net::to_timeval(period);
    evtimer_add(timer.get(), &tv);
}

void Server::on_status_due(int, short, void* self) noexcept {
    auto* server = static_cast<Server*>(self);
    const auto sessions = server->engine_.session_count();
    if (sessions != server->status_sessions_) {
        server->status_sessions_ = sessions;
        server->notify_.status(sessions);
    }
}

// Sent from the loop, so a loop that hangs stops it and systemd restarts
// boshd (WatchdogSec=).
void Server::on_watchdog_due(int, short, void* self) noexcept {
    static_cast<Server*>(self)->notify_.watchdog();
}

void Server::on_bosh_request(bosh::RequestId id, std::string_view body,
                             const util::Endpoint& client) {
    dispatch(bosh::RequestArrived{id, body, client});
}
void Server::on_unusable_request(const bosh::RequestUnusable& request) {
    dispatch(request);
}
void Server::on_request_gone(bosh::RequestId id) {
    dispatch(bosh::RequestAborted{id});
}
void Server::on_backend_connected(bosh::LinkId link) {
    if (const auto* l = this->link(link)) {
        telemetry_.backend_connected(l->route().domain, net::monotonic_now());
    }
    dispatch(bosh::BackendConnected{link});
}
void Server::on_backend_tls_ready(bosh::LinkId link) {
    dispatch(bosh::BackendTlsReady{link});
}
void Server::on_backend_data(bosh::LinkId link, std::string_view bytes) {
    dispatch(bosh::BackendData{link, bytes});
}
void Server::on_backend_retry(bosh::LinkId link, std::string_view reason) {
    if (const auto* l = this->link(link)) {
        log_.info("backend.retry", {{"link", bosh::value_of(link)},
                                    {"ip", l->client().address.to_string()},
                                    {"reason", reason}});
    }
}
void Server::on_backend_closed(bosh::LinkId link, std::string_view reason) {
    if (const auto* l = this->link(link)) {
        log_.info("backend.closed", {{"link", bosh::value_of(link)},
                                     {"ip", l->client().address.to_string()},
                                     {"reason", reason}});
        telemetry_.backend_failed(l->route().domain, reason, net::monotonic_now());
    } else {
        log_.info("backend.closed", {{"link", bosh::value_of(link)}, {"reason", reason}});
    }
    dispatch(bosh::BackendClosed{link, reason});
}

void Server::on_link_done(bosh::LinkId id) {
    if (dead_links_.bury_from(links_, id)) {
        check_stopping();
    }
}

void Server::dispatch(const bosh::Event& event) {
    if (dispatching_) {
        // An adapter reported something while an action was being applied:
        // run it after this batch instead of re-entering the engine.
        auto& q = queued_.emplace_back();
        q.event = own(event, q.bytes);
        return;
    }
    dispatching_ = true;
    const bosh::Event* next = &event;
    while (next) {
        actions_.clear();
        engine_.handle(*next, net::monotonic_now(), actions_);
        for (const auto& action : actions_) {
            apply(action);
        }
        if (next != &event) {
            queued_.pop_front();
        }
        next = queued_.empty() ? nullptr : &queued_.front().event;
    }
    dispatching_ = false;
    arm_timer();
    check_stopping();
}

void Server::apply(const bosh::Action& action) {
    if (const auto* r = std::get_if<bosh::Respond>(&action)) {
        http_->respond(r->id, *r->reply);
    } else if (const auto* o = std::get_if<bosh::OpenBackend>(&action)) {
        open_link(*o);
    } else if (const auto* w = std::get_if<bosh::WriteBackend>(&action)) {
        if (auto* l = link(w->link)) {
            l->write(w->bytes);
        }
    } else if (const auto* s = std::get_if<bosh::StartTls>(&action)) {
        if (auto* l = link(s->link)) {
            l->start_tls();
        }
    } else if (const auto* c = std::get_if<bosh::CloseBackend>(&action)) {
        if (auto* l = link(c->link)) {
            l->close();
        }
    }
}

void Server::open_link(const bosh::OpenBackend& open) {
    std::shared_ptr<const net::TlsClientContext> tls;
    if (auto it = tls_.find(open.route->domain); it != tls_.end()) {
        tls = it->second;
    }
    auto [it, inserted] =
        links_.emplace(open.link, std::make_unique<net::BackendLink>(
                                      base_.get(), dns_, tls, open.link, open.route, open.client,
                                      config_.limits.max_server_queue, random_, *this));
    it->second->connect();
}

net::BackendLink* Server::link(bosh::LinkId id) {
    auto it = links_.find(id);
    return it == links_.end() ? nullptr : it->second.get();
}

void Server::arm_timer() {
    const auto next = engine_.next_deadline();
    if (!next) {
        evtimer_del(timer_.get());
        return;
    }
    const auto delay = std::max(util::Duration::zero(),
                                std::chrono::ceil<util::Duration>(*next - net::monotonic_now()));
    const timeval tv = net::to_timeval(delay);
    evtimer_add(timer_.get(), &tv);
}

void Server::on_timer(int, short, void* self) noexcept {
    static_cast<Server*>(self)->dispatch(bosh::TimerDue{});
}

} // namespace boshd::svc
