// The process's wiring: one event loop, the engine, the HTTP front end, the
// backend links and the one deadline timer. Every libevent callback ends up
// in dispatch(), which feeds the engine and applies what it returns.
#pragma once

#include "bosh/engine.h"
#include "net/backend_link.h"
#include "net/deferred_delete.h"
#include "net/ev.h"
#include "net/http_frontend.h"
#include "net/tls_client.h"
#include "svc/admin.h"
#include "svc/config.h"
#include "svc/telemetry.h"
#include "util/log.h"
#include "util/random.h"

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace boshd::svc {

class Server final : public net::HttpHandler, public net::BackendHandler, public AdminSource {
public:
    // Throws std::runtime_error when an event loop, DNS resolver or TLS
    // context cannot be set up.
    Server(const Config& config, const util::Logger& log, util::Random& random);
    ~Server() override;

    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // The client TLS context of every route that uses TLS, by domain: what a
    // start loads, and --check-config too, so that both fail alike on a file
    // the configuration names (net::TlsFileError).
    using TlsContexts = std::map<std::string, std::unique_ptr<net::TlsClientContext>>;
    static TlsContexts load_tls(const Config& config);

    // Binds the HTTP listener and returns its port. Throws on failure.
    std::uint16_t listen();
    // Runs until SIGTERM or SIGINT has been handled: every held request is
    // answered with system-shutdown and every XMPP stream closed first.
    void run();

    // --- metrics and admin (svc/telemetry.h, svc/admin.h) ---
    // Binds [admin] listen and serves /metrics, /healthz and / there; returns
    // the port. Throws net::ListenError on failure.
    std::uint16_t listen_admin();
    // The same on an already listening socket (one passed by the service
    // manager), which the admin listener takes over.
    std::uint16_t start_admin(int listen_fd);
    // AdminSource
    bool draining() const override;
    std::string metrics() const override;
    AdminStatus status() const override;
    // --- end metrics and admin ---

private:
    // net::HttpHandler
    void on_bosh_request(bosh::RequestId id, std::string_view body) override;
    void on_unusable_request(const bosh::RequestUnusable& request) override;
    void on_request_gone(bosh::RequestId id) override;
    void on_http_request() override;
    void on_response_sent(int status, std::chrono::microseconds elapsed, bool held) override;
    // net::BackendHandler
    void on_backend_connected(bosh::LinkId link) override;
    void on_backend_tls_ready(bosh::LinkId link) override;
    void on_backend_data(bosh::LinkId link, std::string_view bytes) override;
    void on_backend_closed(bosh::LinkId link, std::string_view reason) override;
    void on_link_done(bosh::LinkId link) override;

    void dispatch(const bosh::Event& event);
    void apply(const bosh::Action& action);
    void open_link(const bosh::OpenBackend& open);
    net::BackendLink* link(bosh::LinkId id);
    void arm_timer();
    void begin_shutdown(const char* why);
    void maybe_exit();

    static void on_timer(int, short, void* self) noexcept;
    static void on_signal(int signal, short, void* self) noexcept;

    struct QueuedEvent {
        bosh::Event event;
        std::string bytes; // owns what the event's string_views point to
    };

    const Config& config_;
    const util::Logger& log_;
    net::EventBasePtr base_;
    net::EvDnsPtr dns_;
    bosh::Engine engine_;
    TlsContexts tls_; // by route domain
    std::unique_ptr<net::HttpFrontend> http_;
    std::unordered_map<bosh::LinkId, std::unique_ptr<net::BackendLink>, bosh::IdHash> links_;
    net::Graveyard<net::BackendLink> dead_links_; // links that reported their end
    net::EventPtr timer_;
    std::vector<net::EventPtr> signals_;
    bosh::Actions actions_;
    bool dispatching_ = false;
    std::deque<QueuedEvent> queued_;
    bool shutting_down_ = false;
    Telemetry telemetry_;          // HTTP and backend counts (the engine keeps its own)
    std::unique_ptr<Admin> admin_; // the [admin] listener, when configured
};

} // namespace boshd::svc
