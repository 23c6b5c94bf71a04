// svc::Server, continued: what the admin listener shows (svc/admin.h) and
// the HTTP counts it takes from the front end (svc/telemetry.h).
#include "net/clock.h"
#include "net/listener.h"
#include "svc/process_stats.h"
#include "svc/server.h"

namespace boshd::svc {

void Server::on_http_request() {
    ++telemetry_.http().requests;
}

void Server::on_response_sent(int status, std::chrono::microseconds elapsed, bool held) {
    telemetry_.http().on_response(status, elapsed, held);
}

void Server::on_connection_refused(net::ConnectionGate::Refusal why) {
    auto& http = telemetry_.http();
    ++(why == net::ConnectionGate::Refusal::Total ? http.refused_max_connections
                                                  : http.refused_max_connections_per_ip);
}

void Server::on_head_refused(int status) {
    ++telemetry_.http().heads_refused[status];
}

std::optional<std::uint16_t> Server::listen_admin(std::optional<int> passed) {
    admin_passed_ = passed.has_value();
    if (passed) {
        return start_admin(*passed);
    }
    if (!config_.admin.enabled()) {
        return std::nullopt;
    }
    return start_admin(net::open_listener(config_.admin.listen_host, config_.admin.listen_port));
}

std::uint16_t Server::start_admin(int listen_fd) {
    admin_ = std::make_unique<Admin>(base_.get(), listen_fd, *this, log_);
    return admin_->port();
}

bool Server::draining() const {
    return phase_ != Phase::Running;
}

// O(number of metrics): the engine's counters are kept as it goes, and no
// session is visited here.
std::string Server::metrics() const {
    return render_metrics(engine_.counters(), telemetry_, read_process_stats(),
                          http_ ? http_->connections() : 0);
}

AdminStatus Server::status() const {
    const auto& c = engine_.counters();
    return AdminStatus{
        draining(),
        std::chrono::duration_cast<util::Duration>(net::monotonic_now() - telemetry_.started()),
        c.sessions_active, c.requests_pending, telemetry_.routes()};
}

} // namespace boshd::svc
