// What boshd counts outside the engine, and every metric it exposes.
//
// The engine counts what it decides (bosh::Counters: sessions, ends by
// condition, resends, stanzas, bytes). The adapters count the rest here:
// HTTP requests and responses (net::HttpHandler::on_response_sent) and, per
// configured route, the links to its XMPP server. render_metrics() writes it
// all in the Prometheus text format; its cost is O(number of metrics), and
// nothing here ever walks the sessions (README: Metrics and health).
#pragma once

#include "bosh/counters.h"
#include "bosh/route.h"
#include "svc/metrics.h"
#include "svc/process_stats.h"
#include "util/time.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace boshd::svc {

// Upper bounds of boshd_request_duration_seconds, in seconds: an immediate
// answer takes well under a millisecond, a held one up to session.max_wait
// (60 s by default).
inline constexpr std::array<double, 14> kRequestDurationBounds{
    0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120};

struct HttpStats {
    std::uint64_t requests = 0;
    std::map<int, std::uint64_t> responses; // by status: the handful boshd sends
    metrics::Histogram immediate{kRequestDurationBounds};
    metrics::Histogram held{kRequestDurationBounds};
    // Connections closed at accept, by the limit they were over.
    std::uint64_t refused_max_connections = 0;
    std::uint64_t refused_max_connections_per_ip = 0;
    // Requests the request-head checker answered itself, by status.
    std::map<int, std::uint64_t> heads_refused;

    void on_response(int status, std::chrono::microseconds elapsed, bool was_held);
};

// One configured route and what became of boshd's links to its XMPP server.
struct RouteHealth {
    std::string domain;
    std::string host;
    std::uint16_t port = 0;
    bosh::TlsMode tls = bosh::TlsMode::None;
    std::string srv_name;       // the SRV name looked up, for a route with srv = true
    std::uint64_t connects = 0; // links established (TCP, and TLS for tls = "direct")
    std::uint64_t failures = 0; // links that failed, or that the server closed on its own
    std::optional<util::TimePoint> last_connect;
    std::optional<util::TimePoint> last_failure;
    std::string last_failure_reason;

    // "ok" when the latest event was a connect, "failing" when it was a
    // failure, "unknown" before either.
    std::string_view state() const;
    // Where the route goes, for the status page: "host:port", or with SRV
    // "SRV name, else host:port".
    std::string server() const;
};

class Telemetry {
public:
    Telemetry(const std::vector<bosh::Route>& routes, util::TimePoint started);

    HttpStats& http() { return http_; }
    const HttpStats& http() const { return http_; }

    // A link of route |domain| connected, or failed; a domain no route names
    // (never the case) is ignored, so the label set stays the routes'.
    void backend_connected(std::string_view domain, util::TimePoint now);
    void backend_failed(std::string_view domain, std::string_view reason, util::TimePoint now);

    // After a configuration reload: the routes become |routes|; a domain
    // that stays keeps its counts, one that goes loses its series.
    void set_routes(const std::vector<bosh::Route>& routes);

    const std::vector<RouteHealth>& routes() const { return routes_; }
    util::TimePoint started() const { return started_; }

private:
    RouteHealth* find(std::string_view domain);

    HttpStats http_;
    std::vector<RouteHealth> routes_; // a handful: looked up by a linear search
    util::TimePoint started_;
};

// Every metric, in the text format 0.0.4 (metrics::kContentType).
// |http_connections|: client connections open now (net::HttpFrontend).
std::string render_metrics(const bosh::Counters& engine, const Telemetry& telemetry,
                           const ProcessStats& process, std::size_t http_connections);

} // namespace boshd::svc
