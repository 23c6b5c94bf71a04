// The process's wiring: one event loop, the engine, the HTTP front end, the
// backend links and the one deadline timer. Every libevent callback ends up
// in dispatch(), which feeds the engine and applies what it returns.
#pragma once

#include "bosh/engine.h"
#include "net/backend_link.h"
#include "net/deferred_delete.h"
#include "net/dns_resolver.h"
#include "net/ev.h"
#include "net/http_frontend.h"
#include "net/tls_client.h"
#include "net/tls_server.h"
#include "svc/admin.h"
#include "svc/config.h"
#include "svc/systemd.h"
#include "svc/telemetry.h"
#include "util/log.h"
#include "util/random.h"

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace boshd::svc {

class Server final : public net::HttpHandler, public net::BackendHandler, public AdminSource {
public:
    // |config| was read from |config_path|, which SIGHUP reads again. Throws
    // std::runtime_error when an event loop, DNS resolver or TLS context
    // cannot be set up. |log|'s level follows the configuration.
    Server(Config config, std::string config_path, util::Logger& log, util::Random& random);
    ~Server() override;

    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // The client TLS context of every route that uses TLS, by domain: what a
    // start loads, and --check-config too, so that both fail alike on a file
    // the configuration names (net::TlsFileError).
    using TlsContexts = std::map<std::string, std::shared_ptr<const net::TlsClientContext>>;
    static TlsContexts load_tls(const Config& config);
    // The HTTPS context of [http] tls_cert and tls_key; null when they are
    // not set. Throws net::TlsFileError, for a start, a reload and
    // --check-config alike.
    static std::shared_ptr<const net::TlsServerContext> load_https(const Config& config);

    // Serves |passed| (a listening socket systemd handed over) or else binds
    // [http] listen; returns the port. Throws net::ListenError on failure.
    std::uint16_t listen(std::optional<int> passed);
    // Runs until the drain that SIGTERM or SIGINT starts is over (or a
    // second signal cuts it short): new sessions are refused at once, live
    // ones get service.shutdown_grace seconds, then every one still open is
    // ended with system-shutdown and its XMPP streams closed.
    void run();

    // --- metrics and admin (svc/telemetry.h, svc/admin.h) ---
    // Serves /metrics, /healthz and / on |passed| (systemd's "admin" socket)
    // or else on [admin] listen, when set; returns the port, nullopt when
    // there is no admin listener. Throws net::ListenError on failure.
    std::optional<std::uint16_t> listen_admin(std::optional<int> passed);
    // AdminSource
    bool draining() const override;
    std::string metrics() const override;
    AdminStatus status() const override;
    // --- end metrics and admin ---

private:
    // net::HttpHandler
    void on_bosh_request(bosh::RequestId id, std::string_view body,
                         const util::Endpoint& client) override;
    void on_unusable_request(const bosh::RequestUnusable& request) override;
    void on_request_gone(bosh::RequestId id) override;
    void on_http_request() override;
    void on_response_sent(int status, std::chrono::microseconds elapsed, bool held) override;
    void on_connection_refused(net::ConnectionGate::Refusal why) override;
    void on_head_refused(int status) override;
    // net::BackendHandler
    void on_backend_connected(bosh::LinkId link) override;
    void on_backend_tls_ready(bosh::LinkId link) override;
    void on_backend_data(bosh::LinkId link, std::string_view bytes) override;
    void on_backend_retry(bosh::LinkId link, std::string_view reason) override;
    void on_backend_closed(bosh::LinkId link, std::string_view reason) override;
    void on_link_done(bosh::LinkId link) override;

    void dispatch(const bosh::Event& event);
    void apply(const bosh::Action& action);
    void open_link(const bosh::OpenBackend& open);
    net::BackendLink* link(bosh::LinkId id);
    void arm_timer();
    // What the engine is given of a configuration.
    static bosh::Limits engine_limits(const Config& config);
    static bosh::RouteTable route_table(const Config& config);
    // Logs each TLS route that does not verify its server.
    void warn_plaintext(int listen_fd, const Config& config) const;
    void warn_unverified() const;
    // SIGHUP: re-reads the file. Everything is parsed, checked and opened
    // (TLS files, a moved listener) before anything changes; a failure
    // changes nothing and is logged.
    void reload();
    std::uint16_t start_admin(int listen_fd);
    // Stopping: Running -> Draining (begin_drain) -> Ending (end_sessions)
    // -> the loop exits once every link is closed (check_stopping).
    void begin_drain(const char* signal);
    void end_sessions();
    void check_stopping();
    void add_periodic(net::EventPtr& timer, util::Duration period, event_callback_fn fn);

    static void on_timer(int, short, void* self) noexcept;
    static void on_signal(int signal, short, void* self) noexcept;
    static void on_grace_over(int, short, void* self) noexcept;
    static void on_status_due(int, short, void* self) noexcept;
    static void on_watchdog_due(int, short, void* self) noexcept;

    struct QueuedEvent {
        bosh::Event event;
        std::string bytes; // owns what the event's string_views point to
    };

    Config config_;
    const std::string config_path_;
    util::Logger& log_;
    net::EventBasePtr base_;
    util::Random& random_;                  // SRV weights (the engine has its own reference)
    std::shared_ptr<net::DnsResolver> dns_; // live links keep the one they started with
    bosh::Engine engine_;
    TlsContexts tls_; // by route domain
    std::unique_ptr<net::HttpFrontend> http_;
    bool listener_passed_ = false; // systemd's socket: the unit decides the address
    std::unordered_map<bosh::LinkId, std::unique_ptr<net::BackendLink>, bosh::IdHash> links_;
    net::Graveyard<net::BackendLink> dead_links_; // links that reported their end
    net::EventPtr timer_;
    std::vector<net::EventPtr> signals_;
    systemd::Notifier notify_;
    net::EventPtr grace_timer_;
    net::EventPtr status_timer_;
    net::EventPtr watchdog_timer_;
    std::size_t status_sessions_ = 0; // the session count systemd was last told
    bosh::Actions actions_;
    bool dispatching_ = false;
    std::deque<QueuedEvent> queued_;
    enum class Phase { Running, Draining, Ending };
    Phase phase_ = Phase::Running;
    bool exiting_ = false;         // the loop's exit is scheduled
    Telemetry telemetry_;          // HTTP and backend counts (the engine keeps its own)
    std::unique_ptr<Admin> admin_; // the [admin] listener, when configured
    bool admin_passed_ = false;    // systemd's socket: the unit decides the address
};

} // namespace boshd::svc
