// svc::Server, continued: the reload (SIGHUP), a transaction: everything
// is read, loaded and bound into locals before anything changes.
#include "net/listener.h"
#include "svc/server.h"

#include <algorithm>
#include <unistd.h>
#include <utility>

namespace boshd::svc {

namespace {

// The domains routed by |a| and not by |b|, comma-separated, for the log.
std::string domains_missing(const Config& a, const Config& b) {
    std::string out;
    for (const auto& route : a.routes) {
        const bool kept = std::any_of(b.routes.begin(), b.routes.end(),
                                      [&](const auto& r) { return r.domain == route.domain; });
        if (!kept) {
            out += (out.empty() ? "" : ",") + route.domain;
        }
    }
    return out;
}

} // namespace

void Server::reload() {
    notify_.reloading();
    log_.notice("config.reload", {{"config", config_path_}});
    Config next;
    TlsContexts tls;
    std::shared_ptr<const net::TlsServerContext> https;
    std::shared_ptr<net::DnsResolver> dns;
    int listen_fd = -1;
    std::optional<int> admin_fd; // a new admin listener, bound
    try {
        next = load_config(config_path_);
        tls = load_tls(next);
        https = load_https(next);
        // Always a new one: backend.resolver may have changed, and with the
        // system's the operator may have edited /etc/resolv.conf, which
        // c-ares reads once. Its cache starts empty.
        dns = std::make_shared<net::DnsResolver>(base_.get(), next.backend.resolver);
        const bool moved = next.http.listen_host != config_.http.listen_host ||
                           next.http.listen_port != config_.http.listen_port;
        if (moved && !listener_passed_) {
            // Bound before the old one closes: if it cannot be, nothing changes.
            listen_fd = net::open_listener(next.http.listen_host, next.http.listen_port);
        } else if (moved) {
            log_.warning(
                "config.listen_ignored",
                {{"listen", next.http.listen_host + ":" + std::to_string(next.http.listen_port)},
                 {"reason", "the listener is systemd's socket; change the .socket unit"}});
        }
        if (next.admin != config_.admin && !admin_passed_ && next.admin.enabled()) {
            admin_fd = net::open_listener(next.admin.listen_host, next.admin.listen_port);
        }
    } catch (const std::exception& e) {
        if (listen_fd >= 0) {
            ::close(listen_fd);
        }
        log_.error("config.reload_failed", {{"reason", e.what()}});
        notify_.ready(engine_.session_count());
        return;
    }
    const auto removed = domains_missing(config_, next);
    const auto added = domains_missing(next, config_);
    // Serving a bound socket fails only when libevent runs out of memory;
    // then the reload stops here, and what moved is recorded as moved.
    try {
        if (listen_fd >= 0) {
            warn_plaintext(listen_fd, next);
            const auto port = http_->serve(std::exchange(listen_fd, -1));
            config_.http.listen_host = next.http.listen_host;
            config_.http.listen_port = next.http.listen_port;
            log_.notice("http.listening", {{"address", next.http.listen_host}, {"port", port}});
        }
        if (admin_fd) {
            const auto port = start_admin(*std::exchange(admin_fd, std::nullopt));
            log_.notice("admin.listening", {{"address", next.admin.listen_host}, {"port", port}});
        }
    } catch (const std::exception& e) {
        if (admin_fd) {
            ::close(*admin_fd);
        }
        log_.error("config.reload_failed", {{"reason", e.what()}});
        notify_.ready(engine_.session_count());
        return;
    }
    if (!next.admin.enabled() && !admin_passed_ && admin_) {
        admin_.reset();
        log_.notice("admin.closed", {});
    }
    config_ = std::move(next);
    tls_ = std::move(tls); // live links keep the contexts they use
    dns_ = std::move(dns); // and the resolver they started with
    telemetry_.set_routes(config_.routes);
    warn_unverified();
    http_->reconfigure(config_.http);
    // New connections get the new certificate; live ones keep theirs.
    http_->set_tls(std::move(https));
    engine_.reconfigure(engine_limits(config_), route_table(config_));
    log_.set_level(config_.log.level);
    log_.notice("config.reloaded", {{"routes", config_.routes.size()},
                                    {"added", added.empty() ? "-" : added},
                                    {"removed", removed.empty() ? "-" : removed}});
    notify_.ready(engine_.session_count());
}

} // namespace boshd::svc
