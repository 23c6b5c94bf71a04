#include "net/connection_gate.h"

#include <algorithm>
#include <event2/http.h>
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

ConnectionGate::ConnectionGate(const ConnectionLimits& limits, OnRefused on_refused)
    : on_refused_(std::move(on_refused)) {
    set_limits(limits);
}

ConnectionGate::~ConnectionGate() = default;

void ConnectionGate::set_limits(const ConnectionLimits& limits) {
    limits_ = limits;
    max_connections_ =
        limits.max_connections != 0 ? limits.max_connections : default_max_connections();
}

bool ConnectionGate::counts_per_ip(const util::IpAddress& peer) const {
    return std::none_of(limits_.exempt_per_ip.begin(), limits_.exempt_per_ip.end(),
                        [&](const util::Cidr& cidr) { return cidr.contains(peer); });
}

bool ConnectionGate::admit(const util::IpAddress& peer) {
    if (open_ >= max_connections_) {
        on_refused_(Refusal::Total, peer);
        return false;
    }
    if (counts_per_ip(peer)) {
        auto& n = per_ip_[util::client_group(peer)];
        if (n >= limits_.max_per_ip) {
            on_refused_(Refusal::PerIp, peer);
            return false;
        }
        ++n;
    }
    ++open_;
    return true;
}

void ConnectionGate::release(const util::IpAddress& peer, bool per_ip) {
    --open_;
    if (!per_ip) {
        return;
    }
    if (auto it = per_ip_.find(util::client_group(peer));
        it != per_ip_.end() && --it->second == 0) {
        per_ip_.erase(it); // memory follows open connections, not addresses seen
    }
}

std::size_t ConnectionGate::open_from(const util::IpAddress& peer) const {
    const auto it = per_ip_.find(util::client_group(peer));
    return it == per_ip_.end() ? 0 : it->second;
}

void ConnectionGate::track(evhttp_connection* evcon, const util::IpAddress& peer,
                           std::unique_ptr<HeadGuard> guard) {
    tracked_[evcon] = Tracked{peer, counts_per_ip(peer), nullptr, nullptr, std::move(guard)};
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
    Tracked tracked = std::move(it->second);
    gate->tracked_.erase(it);
    gate->release(tracked.peer, tracked.per_ip);
    if (tracked.hook) {
        tracked.hook(evcon, tracked.arg);
    }
    // tracked.guard goes last, with the bufferevent still there.
}

} // namespace boshd::net
