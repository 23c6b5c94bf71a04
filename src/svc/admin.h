// The admin listener ([admin] listen): a small HTTP server of its own, on its
// own evhttp and listening socket, never on the BOSH listener.
//
//   GET /metrics   the Prometheus text format 0.0.4 (svc/telemetry.h)
//   GET /healthz   200 "ok", or 503 "draining" while boshd shuts down
//   GET /          a status page: uptime, sessions, routes and the health of
//                  their XMPP servers
//
// HEAD works wherever GET does; any other path is 404, any other method 405.
// It reads what it shows through AdminSource (implemented by svc::Server),
// never through pointers into the server's internals.
#pragma once

#include "net/ev.h"
#include "net/http_listener.h"
#include "svc/telemetry.h"
#include "util/log.h"
#include "util/time.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

struct evhttp_request;

namespace boshd::svc {

// What the status page shows, at one moment.
struct AdminStatus {
    bool draining = false;
    util::Duration uptime{};
    std::uint64_t sessions = 0;
    std::uint64_t requests_held = 0;
    std::span<const RouteHealth> routes;
};

class AdminSource {
public:
    virtual ~AdminSource() = default;
    // boshd is shutting down (or draining): /healthz answers 503.
    virtual bool draining() const = 0;
    // Every metric, in the text format (render_metrics()).
    virtual std::string metrics() const = 0;
    virtual AdminStatus status() const = 0;
};

// The status page for |status|; |now| dates the routes' last events.
std::string render_status_page(const AdminStatus& status, util::TimePoint now);

class Admin {
public:
    // Serves on |listen_fd|, a bound, listening, non-blocking socket (from
    // net::open_listener, or one the service manager passed), which it takes
    // over: closed with the Admin, or at once when this throws
    // (std::runtime_error: libevent refused the socket).
    Admin(event_base* base, int listen_fd, AdminSource& source, const util::Logger& log);
    ~Admin();

    Admin(const Admin&) = delete;
    Admin& operator=(const Admin&) = delete;

    // The port it listens on (useful with port 0).
    std::uint16_t port() const;

private:
    static void on_request(evhttp_request* req, void* self) noexcept;
    void handle(evhttp_request* req);
    void reply(evhttp_request* req, int status, std::string_view reason,
               std::string_view content_type, std::string_view body);

    AdminSource& source_;
    const util::Logger& log_;
    net::EvHttpPtr http_;
    net::HttpListener listener_;
};

} // namespace boshd::svc
