#include "svc/telemetry.h"

#include "bosh/condition.h"

#include <algorithm>
#include <utility>

namespace boshd::svc {

namespace {

// Failure reasons name hosts and OS errors; the status page shows the last
// one, never more than this.
constexpr std::size_t kMaxReason = 200;

RouteHealth health_of(const bosh::Route& route) {
    RouteHealth h;
    h.domain = route.domain;
    h.host = route.host;
    h.port = route.port;
    h.tls = route.tls;
    if (route.srv) {
        h.srv_name = route.srv_name();
    }
    return h;
}

} // namespace

void HttpStats::on_response(int status, std::chrono::microseconds elapsed, bool was_held) {
    ++responses[status];
    const double seconds = std::chrono::duration<double>(elapsed).count();
    (was_held ? held : immediate).observe(seconds);
}

std::string RouteHealth::server() const {
    const std::string plain = host + ":" + std::to_string(port);
    return srv_name.empty() ? plain : "SRV " + srv_name + ", else " + plain;
}

std::string_view RouteHealth::state() const {
    if (!last_connect && !last_failure) {
        return "unknown";
    }
    if (!last_failure || (last_connect && *last_connect > *last_failure)) {
        return "ok";
    }
    return "failing";
}

Telemetry::Telemetry(const std::vector<bosh::Route>& routes, util::TimePoint started)
    : started_(started) {
    set_routes(routes);
}

void Telemetry::set_routes(const std::vector<bosh::Route>& routes) {
    std::vector<RouteHealth> next;
    next.reserve(routes.size());
    for (const auto& route : routes) {
        RouteHealth h = health_of(route);
        if (const RouteHealth* old = find(route.domain)) {
            h.connects = old->connects;
            h.failures = old->failures;
            h.last_connect = old->last_connect;
            h.last_failure = old->last_failure;
            h.last_failure_reason = old->last_failure_reason;
        }
        next.push_back(std::move(h));
    }
    routes_ = std::move(next);
}

RouteHealth* Telemetry::find(std::string_view domain) {
    const auto it = std::find_if(routes_.begin(), routes_.end(),
                                 [&](const RouteHealth& h) { return h.domain == domain; });
    return it == routes_.end() ? nullptr : &*it;
}

void Telemetry::backend_connected(std::string_view domain, util::TimePoint now) {
    if (RouteHealth* h = find(domain)) {
        ++h->connects;
        h->last_connect = now;
    }
}

void Telemetry::backend_failed(std::string_view domain, std::string_view reason,
                               util::TimePoint now) {
    if (RouteHealth* h = find(domain)) {
        ++h->failures;
        h->last_failure = now;
        h->last_failure_reason = std::string(reason.substr(0, kMaxReason));
    }
}

std::string render_metrics(const bosh::Counters& c, const Telemetry& telemetry,
                           const ProcessStats& process, std::size_t http_connections) {
    using metrics::Label;
    metrics::TextWriter out;

    // Sessions (the engine's counters).
    out.single("boshd_sessions", "gauge",
               "BOSH sessions open, including ended ones whose terminal reply waits for the "
               "client's next request.",
               c.sessions_active);
    out.single("boshd_sessions_created_total", "counter", "BOSH sessions created.",
               c.sessions_created);
    out.family("boshd_sessions_ended_total", "counter",
               "BOSH sessions ended, by XEP-0124 terminal condition; none: the client's own "
               "terminate; expired: the client went away (inactivity).");
    out.sample("boshd_sessions_ended_total", {{"condition", "none"}}, c.sessions_ended_by_client);
    out.sample("boshd_sessions_ended_total", {{"condition", "expired"}}, c.sessions_expired);
    for (std::size_t i = 0; i < bosh::kConditionCount; ++i) {
        out.sample("boshd_sessions_ended_total",
                   {{"condition", bosh::to_string(static_cast<bosh::Condition>(i))}},
                   c.sessions_ended_by[i]);
    }
    out.single("boshd_requests_held", "gauge",
               "BOSH requests held for a reply or parked behind a missing rid.",
               c.requests_pending);
    out.single("boshd_bosh_requests_total", "counter",
               "BOSH requests (POST bodies) handled by the session engine.", c.requests);
    out.single("boshd_bosh_requests_rejected_total", "counter",
               "BOSH requests answered with a terminal error condition.", c.requests_rejected);
    out.family("boshd_sessions_refused_total", "counter",
               "Session creations refused by a limit: max_sessions (the server is full), "
               "max_sessions_per_ip and max_new_sessions_per_ip (one client's limits). Also "
               "counted in boshd_bosh_requests_rejected_total.");
    out.sample("boshd_sessions_refused_total", {{"limit", "max_sessions"}}, c.refused_max_sessions);
    out.sample("boshd_sessions_refused_total", {{"limit", "max_sessions_per_ip"}},
               c.refused_max_sessions_per_ip);
    out.sample("boshd_sessions_refused_total", {{"limit", "max_new_sessions_per_ip"}},
               c.refused_max_new_sessions_per_ip);
    out.single("boshd_client_table_evictions_total", "counter",
               "Client addresses forgotten before their session-creation bucket was full, "
               "because more addresses were being counted at once than the table holds.",
               c.client_table_evictions);
    out.single("boshd_rid_resends_total", "counter",
               "BOSH requests that repeated a rid already received (answered from the cache or "
               "taking over the held request).",
               c.rid_repeats);
    out.family("boshd_stanzas_total", "counter",
               "Stanzas relayed: to_server from BOSH clients, to_client in BOSH replies. Every "
               "top-level element counts, also the stream features and SASL elements of a "
               "login.");
    out.sample("boshd_stanzas_total", {{"direction", "to_client"}}, c.stanzas_to_client);
    out.sample("boshd_stanzas_total", {{"direction", "to_server"}}, c.stanzas_to_server);
    out.family("boshd_bytes_total", "counter",
               "Bytes relayed: to_server written to XMPP server connections (before TLS), "
               "to_client in BOSH reply bodies (before any content coding).");
    out.sample("boshd_bytes_total", {{"direction", "to_client"}}, c.bytes_to_client);
    out.sample("boshd_bytes_total", {{"direction", "to_server"}}, c.bytes_to_server);

    // HTTP (the front end, through Server::on_response_sent).
    const HttpStats& http = telemetry.http();
    out.single("boshd_http_requests_total", "counter",
               "HTTP requests read by the BOSH listener (any path and method).", http.requests);
    out.family("boshd_http_responses_total", "counter",
               "HTTP responses sent by the BOSH listener, by status code.");
    for (const auto& [status, n] : http.responses) {
        const std::string code = std::to_string(status);
        out.sample("boshd_http_responses_total", {{"status", code}}, n);
    }
    out.single("boshd_http_connections", "gauge", "Client connections open on the BOSH listener.",
               http_connections);
    out.family("boshd_http_connections_refused_total", "counter",
               "Connections closed at accept, by the limit they were over.");
    out.sample("boshd_http_connections_refused_total", {{"limit", "max_connections"}},
               http.refused_max_connections);
    out.sample("boshd_http_connections_refused_total", {{"limit", "max_connections_per_ip"}},
               http.refused_max_connections_per_ip);
    out.family("boshd_http_heads_refused_total", "counter",
               "Requests refused by their head before evhttp read them (405 unknown method, "
               "408 http.header_timeout, a TLS handshake's too, 414 request line, 431 header "
               "block), by status; "
               "not in boshd_http_responses_total.");
    for (const auto& [status, n] : http.heads_refused) {
        out.sample("boshd_http_heads_refused_total", {{"status", std::to_string(status)}}, n);
    }
    out.family("boshd_request_duration_seconds", "histogram",
               "Time from an HTTP request's arrival to its response on the BOSH listener; "
               "held=\"true\" for requests answered after their arrival was handled (held or "
               "parked), held=\"false\" for those answered at once.");
    const Label held_false[] = {{"held", "false"}};
    const Label held_true[] = {{"held", "true"}};
    http.immediate.write(out, "boshd_request_duration_seconds", held_false);
    http.held.write(out, "boshd_request_duration_seconds", held_true);

    // Backend links, per configured route.
    out.family("boshd_backend_connects_total", "counter",
               "Connections to a route's XMPP server established, by route domain.");
    for (const auto& r : telemetry.routes()) {
        out.sample("boshd_backend_connects_total", {{"domain", r.domain}}, r.connects);
    }
    out.family("boshd_backend_failures_total", "counter",
               "Connections to a route's XMPP server that failed (DNS, connect, TLS, timeout) "
               "or that the server closed on its own, by route domain.");
    for (const auto& r : telemetry.routes()) {
        out.sample("boshd_backend_failures_total", {{"domain", r.domain}}, r.failures);
    }

    // The process.
    if (process.cpu_seconds) {
        out.single("process_cpu_seconds_total", "counter",
                   "Total user and system CPU time spent in seconds.", *process.cpu_seconds);
    }
    if (process.open_fds) {
        out.single("process_open_fds", "gauge", "Number of open file descriptors.",
                   *process.open_fds);
    }
    if (process.max_fds) {
        out.single("process_max_fds", "gauge", "Maximum number of open file descriptors.",
                   *process.max_fds);
    }
    if (process.virtual_bytes) {
        out.single("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
                   *process.virtual_bytes);
    }
    if (process.resident_bytes) {
        out.single("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
                   *process.resident_bytes);
    }
    if (process.start_time_seconds) {
        out.single("process_start_time_seconds", "gauge",
                   "Start time of the process since unix epoch in seconds.",
                   *process.start_time_seconds);
    }
    return out.take();
}

} // namespace boshd::svc
