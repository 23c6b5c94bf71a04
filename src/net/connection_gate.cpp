#include "net/connection_gate.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cstring>
#include <event2/http.h>
#include <netinet/in.h>
#include <sys/resource.h>

namespace boshd::net {

namespace {

constexpr std::size_t kMaxConnectionsDefault = 20000;
constexpr std::size_t kOwnDescriptors = 64;

} // namespace

std::size_t default_max_connections() {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) {
        return kMaxConnectionsDefault;
    }
    const auto nofile = static_cast<std::size_t>(lim.rlim_cur);
    if (nofile <= kOwnDescriptors + 1) {
        return 1;
    }
    return std::clamp<std::size_t>((nofile - kOwnDescriptors) * 2 / 3, 1, kMaxConnectionsDefault);
}

std::string PeerKey::text() const {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof(buf));
    return buf;
}

std::size_t PeerKeyHash::operator()(const PeerKey& k) const noexcept {
    std::size_t h = k.v6 ? 0x9e3779b97f4a7c15ULL : 0;
    for (auto b : k.bytes) {
        h = (h ^ b) * 0x100000001b3ULL;
    }
    return h;
}

std::optional<PeerKey> peer_key(const sockaddr* sa, socklen_t len) {
    PeerKey key;
    if (sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
        std::memcpy(key.bytes.data(), &in->sin_addr, 4);
        return key;
    }
    if (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
            // One client, one key, whichever socket family it came in on.
            std::memcpy(key.bytes.data(), in6->sin6_addr.s6_addr + 12, 4);
            return key;
        }
        std::memcpy(key.bytes.data(), in6->sin6_addr.s6_addr, 16);
        key.v6 = true;
        return key;
    }
    return std::nullopt;
}

ConnectionGate::ConnectionGate(const ConnectionLimits& limits, OnRefused on_refused,
                               OnClosed on_closed)
    : on_refused_(std::move(on_refused)), on_closed_(std::move(on_closed)) {
    set_limits(limits);
}

ConnectionGate::~ConnectionGate() = default;

void ConnectionGate::set_limits(const ConnectionLimits& limits) {
    limits_ = limits;
    max_connections_ =
        limits.max_connections != 0 ? limits.max_connections : default_max_connections();
}

bool ConnectionGate::counts_per_ip(const PeerKey&) const {
    return true;
}

bool ConnectionGate::admit(const PeerKey& peer) {
    if (open_ >= max_connections_) {
        on_refused_(Refusal::Total, peer);
        return false;
    }
    if (counts_per_ip(peer)) {
        auto& n = per_ip_[peer];
        if (n >= limits_.max_per_ip) {
            on_refused_(Refusal::PerIp, peer);
            return false;
        }
        ++n;
    }
    ++open_;
    return true;
}

void ConnectionGate::release(const PeerKey& peer) {
    --open_;
    if (auto it = per_ip_.find(peer); it != per_ip_.end() && --it->second == 0) {
        per_ip_.erase(it); // memory follows open connections, not addresses seen
    }
}

std::size_t ConnectionGate::open_from(const PeerKey& peer) const {
    const auto it = per_ip_.find(peer);
    return it == per_ip_.end() ? 0 : it->second;
}

void ConnectionGate::track(evhttp_connection* evcon, const PeerKey& peer) {
    tracked_[evcon] = Tracked{peer};
    evhttp_connection_set_closecb(evcon, &ConnectionGate::on_close, this);
}

void ConnectionGate::set_close_hook(evhttp_connection* evcon, CloseHook hook, void* arg) {
    const auto it = tracked_.find(evcon);
    if (it == tracked_.end()) {
        evhttp_connection_set_closecb(evcon, hook, arg);
        return;
    }
    it->second.hook = hook;
    it->second.arg = arg;
}

void ConnectionGate::on_close(evhttp_connection* evcon, void* self) noexcept {
    auto* gate = static_cast<ConnectionGate*>(self);
    const auto it = gate->tracked_.find(evcon);
    if (it == gate->tracked_.end()) {
        return;
    }
    const Tracked tracked = it->second;
    gate->tracked_.erase(it);
    gate->release(tracked.peer);
    if (tracked.hook) {
        tracked.hook(evcon, tracked.arg);
    }
    if (gate->on_closed_) {
        gate->on_closed_(evcon);
    }
}

} // namespace boshd::net
