// One TCP connection to an XMPP server, owned by the server wiring and named
// by a LinkId: plain, direct TLS, or upgraded with STARTTLS when the engine
// asks. Bytes in and out only; the XMPP stream itself is the engine's.
// Finding the server comes first: the route's SRV records when it says srv
// (RFC 6120 §3.2.1), else its host and port; each target's addresses are
// tried in turn, then the next target, before the link reports a failure.
#pragma once

#include "bosh/ids.h"
#include "bosh/route.h"
#include "net/dns_resolver.h"
#include "net/ev.h"
#include "net/srv_order.h"
#include "net/tls_client.h"
#include "util/ip_address.h"
#include "util/random.h"

#include <memory>
#include <string>
#include <string_view>

struct evbuffer_cb_entry;
struct evbuffer_cb_info;

namespace boshd::net {

class BackendHandler {
public:
    virtual ~BackendHandler() = default;
    virtual void on_backend_connected(bosh::LinkId link) = 0;
    virtual void on_backend_tls_ready(bosh::LinkId link) = 0;
    virtual void on_backend_data(bosh::LinkId link, std::string_view bytes) = 0;
    // One address of one target could not be reached; the link goes on to
    // the next (RFC 6120 §3.2.1). Only logged.
    virtual void on_backend_retry(bosh::LinkId link, std::string_view reason) = 0;
    // The connection failed or closed on its own; the link is dead.
    virtual void on_backend_closed(bosh::LinkId link, std::string_view reason) = 0;
    // The link is finished (after close() drained, or after a failure) and
    // may be destroyed, later than this call.
    virtual void on_link_done(bosh::LinkId link) = 0;
};

class BackendLink {
public:
    // |tls| is required for routes with TLS; the link keeps it alive (a
    // reload may replace the route's context while the link is open).
    // |max_queue|: bytes that may wait for the server to read them; beyond it
    // the link fails (the server is not reading: session.max_server_queue).
    // |dns| is kept alive as |tls| is (a reload may replace the resolver);
    // |random| orders SRV targets of equal priority by weight. |client| is
    // the BOSH client the link serves: the source its PROXY protocol header
    // names, when the route sends one.
    BackendLink(event_base* base, std::shared_ptr<DnsResolver> dns,
                std::shared_ptr<const TlsClientContext> tls, bosh::LinkId id,
                std::shared_ptr<const bosh::Route> route, const util::Endpoint& client,
                std::size_t max_queue, util::Random& random, BackendHandler& handler);

    BackendLink(const BackendLink&) = delete;
    BackendLink& operator=(const BackendLink&) = delete;

    // The route this link connects to (the metrics count per route domain).
    const bosh::Route& route() const { return *route_; }
    // The BOSH client it serves (for the log).
    const util::Endpoint& client() const { return client_; }

    void connect();
    void write(std::string_view bytes);
    // After <proceed/>: put TLS on the connection (RFC 6120 §5.4.3.3).
    void start_tls();
    // Flush what was written, then close; bounded by a write timeout.
    void close();

private:
    enum class State {
        Idle,
        Connecting,
        ProxyTls, // the PROXY header sent, direct TLS's handshake under way
        Open,
        Handshaking, // STARTTLS
        Closing,
        Dead
    };

    // A host and port to connect to: an SRV target, or the route's own.
    struct Target {
        std::string host;
        std::uint16_t port;
    };

    static void on_read(bufferevent* bev, void* self) noexcept;
    static void on_write(bufferevent* bev, void* self) noexcept;
    static void on_wire_drained(evbuffer* buf, const evbuffer_cb_info* info, void* self) noexcept;
    static void on_event(bufferevent* bev, short what, void* self) noexcept;
    static void on_deferred_failure(int, short, void* self) noexcept;
    std::size_t pending() const;
    bool drained() const;
    void on_srv(const DnsResult& result);
    void on_addresses(const DnsResult& result);
    void try_next_target();
    void try_next_address();
    void retry();
    void handle_event(short what);
    // TCP is up: sends the PROXY header, then starts direct TLS if the route
    // wants it. Returns false when the link failed.
    bool send_proxy_header();
    bool proxied() const { return route_->proxy_protocol != bosh::ProxyProtocol::Off; }
    void fail(std::string reason);
    void finish();
    std::string error_reason(short what) const;

    event_base* base_;
    std::shared_ptr<DnsResolver> dns_;
    std::shared_ptr<const TlsClientContext> tls_;
    bosh::LinkId id_;
    std::shared_ptr<const bosh::Route> route_;
    util::Endpoint client_;
    std::size_t max_queue_;
    util::Random& random_;
    BackendHandler& handler_;
    // While connecting: what is left to try, and why the last try failed.
    std::vector<Target> targets_;
    std::size_t next_target_ = 0;
    std::vector<util::IpAddress> addresses_;
    std::size_t next_address_ = 0;
    std::string where_; // "host:port" (and the address) of the current try, for the log
    std::string last_error_;
    std::string early_;          // bytes written before the connection is up
    DnsResolver::Lookup lookup_; // after dns_: cancelled before it goes
    BufferEventPtr bev_;
    EventPtr deferred_;
    evbuffer_cb_entry* wire_watch_ = nullptr; // while closing a STARTTLS link
    std::string deferred_reason_;
    std::string read_buf_; // bytes being handed to the engine
    State state_ = State::Idle;
};

} // namespace boshd::net
