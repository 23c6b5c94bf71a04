// The connection limits of the BOSH listener (README: Connections):
// http.max_connections in all and http.max_connections_per_ip from one
// client address. A connection over either is closed as soon as it is
// accepted, before a byte of it is read, so an attacker costs one accept()
// and one close() per attempt and never a buffer or a request.
//
// evhttp 2.1.12 tells nobody when a server connection opens or closes, and
// does not export evhttp_get_request, so an own listener could not hand it
// sockets. The front end learns of each connection through evhttp's
// bufferevent hook and asks admit() before anything is read from it
// (net/http_frontend.cpp, admit_fresh), then track()s the
// evhttp_connection, whose close callback counts it down. evhttp calls a
// server connection's close callback exactly once, from
// evhttp_connection_free or evhttp_connection_reset_ (2.1.12 http.c); so
// the gate owns that callback, and a held request that needs it too
// registers through set_close_hook() instead of evhttp_connection_set_closecb.
#pragma once

#include "net/head_guard.h"
#include "util/ip_address.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

struct evhttp_connection;

namespace boshd::net {

struct ConnectionLimits {
    std::size_t max_connections = 0; // 0: default_max_connections()
    std::size_t max_per_ip = 256;
    // Not limited per address (http.trusted_proxies: every client of a
    // proxy comes from its address); still counted in max_connections.
    std::vector<util::Cidr> exempt_per_ip;

    bool operator==(const ConnectionLimits&) const = default;
};

// The default of http.max_connections: 20000, or fewer when the open-files
// limit (RLIMIT_NOFILE) cannot hold that many next to everything else.
// Reserve: 64 descriptors for boshd itself (listeners, DNS, log, signals),
// and a third of the rest for connections to XMPP servers (an idle session
// holds one client connection and one server connection; a busy one two
// client connections): min(20000, (nofile - 64) * 2 / 3), at least 1.
std::size_t default_max_connections();

class ConnectionGate {
public:
    enum class Refusal { Total, PerIp };
    // Told of each refused connection; the caller rate-limits its log line.
    using OnRefused = std::function<void(Refusal why, const util::IpAddress& peer)>;
    using CloseHook = void (*)(evhttp_connection*, void*);

    // The gate must outlive the evhttp whose connections it tracks (freeing
    // an evhttp closes them into the gate).
    ConnectionGate(const ConnectionLimits& limits, OnRefused on_refused);
    ~ConnectionGate();

    ConnectionGate(const ConnectionGate&) = delete;
    ConnectionGate& operator=(const ConnectionGate&) = delete;

    // New limits (a reload), for connections accepted from now on; open
    // ones are never closed for it.
    void set_limits(const ConnectionLimits& limits);

    // Counts a connection from |peer| in and returns true, or says no
    // (on_refused) when that would pass a limit.
    bool admit(const util::IpAddress& peer);
    // Counts a connection admitted but never tracked out again.
    void release(const util::IpAddress& peer) { release(peer, counts_per_ip(peer)); }
    // An admitted connection, now evhttp's: counted out when it closes.
    // |guard| watches its request heads and goes with it, destroyed from its
    // close callback while its bufferevent still exists (net/head_guard.h).
    void track(evhttp_connection* evcon, const util::IpAddress& peer,
               std::unique_ptr<HeadGuard> guard = nullptr);
    // |hook| (null: none) runs when |evcon| closes, before the gate counts it
    // out; for a connection the gate does not track, evhttp's own close
    // callback is set instead.
    void set_close_hook(evhttp_connection* evcon, CloseHook hook, void* arg);

    std::size_t open() const { return open_; }
    std::size_t open_from(const util::IpAddress& peer) const;
    std::size_t max_connections() const { return max_connections_; }
    std::size_t max_per_ip() const { return limits_.max_per_ip; }

private:
    struct Tracked {
        util::IpAddress peer;
        bool per_ip = true; // counted in per_ip_ (the exemptions may change)
        CloseHook hook = nullptr;
        void* arg = nullptr;
        std::unique_ptr<HeadGuard> guard;
    };
    static void on_close(evhttp_connection* evcon, void* self) noexcept;
    // The one place that decides which addresses the per-address limit
    // counts: all but the trusted proxies'.
    bool counts_per_ip(const util::IpAddress& peer) const;
    void release(const util::IpAddress& peer, bool per_ip);

    ConnectionLimits limits_;
    std::size_t max_connections_;
    OnRefused on_refused_;
    std::size_t open_ = 0;
    std::unordered_map<util::IpAddress, std::size_t, util::IpAddressHash> per_ip_;
    std::unordered_map<evhttp_connection*, Tracked> tracked_;
};

} // namespace boshd::net
