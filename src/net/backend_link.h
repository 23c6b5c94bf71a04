// One TCP connection to an XMPP server, owned by the server wiring and named
// by a LinkId: plain, direct TLS, or upgraded with STARTTLS when the engine
// asks. Bytes in and out only; the XMPP stream itself is the engine's.
#pragma once

#include "bosh/ids.h"
#include "bosh/route.h"
#include "net/ev.h"
#include "net/tls_client.h"
#include "util/ip_address.h"

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
    // |client| is the BOSH client the link serves: the source its PROXY
    // protocol header names, when the route sends one.
    BackendLink(event_base* base, evdns_base* dns, std::shared_ptr<const TlsClientContext> tls,
                bosh::LinkId id, std::shared_ptr<const bosh::Route> route,
                const util::Endpoint& client, std::size_t max_queue, BackendHandler& handler);

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

    static void on_read(bufferevent* bev, void* self) noexcept;
    static void on_write(bufferevent* bev, void* self) noexcept;
    static void on_wire_drained(evbuffer* buf, const evbuffer_cb_info* info, void* self) noexcept;
    static void on_event(bufferevent* bev, short what, void* self) noexcept;
    static void on_deferred_failure(int, short, void* self) noexcept;
    std::size_t pending() const;
    bool drained() const;
    void handle_event(short what);
    // TCP is up: sends the PROXY header, then starts direct TLS if the route
    // wants it. Returns false when the link failed.
    bool send_proxy_header();
    bool proxied() const { return route_->proxy_protocol != bosh::ProxyProtocol::Off; }
    void fail(std::string reason);
    void finish();
    std::string error_reason(short what) const;

    event_base* base_;
    evdns_base* dns_;
    std::shared_ptr<const TlsClientContext> tls_;
    bosh::LinkId id_;
    std::shared_ptr<const bosh::Route> route_;
    util::Endpoint client_;
    std::size_t max_queue_;
    BackendHandler& handler_;
    BufferEventPtr bev_;
    EventPtr deferred_;
    evbuffer_cb_entry* wire_watch_ = nullptr; // while closing a STARTTLS link
    std::string deferred_reason_;
    std::string read_buf_; // bytes being handed to the engine
    std::string early_;    // written before the PROXY header went out
    State state_ = State::Idle;
};

} // namespace boshd::net
