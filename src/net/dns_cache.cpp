#include "net/dns_cache.h"

#include <algorithm>
#include <arpa/inet.h>
#include <array>

namespace boshd::net {

SocketAddress SocketAddress::with_port(std::uint16_t port) const {
    SocketAddress out = *this;
    if (out.storage.ss_family == AF_INET) {
        reinterpret_cast<sockaddr_in*>(&out.storage)->sin_port = htons(port);
    } else if (out.storage.ss_family == AF_INET6) {
        reinterpret_cast<sockaddr_in6*>(&out.storage)->sin6_port = htons(port);
    }
    return out;
}

std::string SocketAddress::text() const {
    std::array<char, INET6_ADDRSTRLEN> buf{};
    const void* raw = nullptr;
    if (storage.ss_family == AF_INET) {
        raw = &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr;
    } else if (storage.ss_family == AF_INET6) {
        raw = &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr;
    }
    if (!raw || !inet_ntop(storage.ss_family, raw, buf.data(), buf.size())) {
        return "?";
    }
    return buf.data();
}

const DnsAnswer* DnsCache::find(const std::string& key, util::TimePoint now) const {
    const auto it = entries_.find(key);
    if (it == entries_.end() || it->second.expires <= now) {
        return nullptr;
    }
    return &it->second.answer;
}

void DnsCache::put(const std::string& key, DnsAnswer answer, util::Seconds ttl,
                   util::TimePoint now) {
    if (ttl <= util::Seconds::zero() || max_entries_ == 0) {
        return;
    }
    if (!entries_.contains(key)) {
        make_room(now);
    }
    entries_[key] = Entry{std::move(answer), now + ttl};
}

void DnsCache::make_room(util::TimePoint now) {
    if (entries_.size() < max_entries_) {
        return;
    }
    std::erase_if(entries_, [&](const auto& e) { return e.second.expires <= now; });
    if (entries_.size() < max_entries_) {
        return;
    }
    const auto soonest = std::min_element(entries_.begin(), entries_.end(), [](auto& a, auto& b) {
        return a.second.expires < b.second.expires;
    });
    entries_.erase(soonest);
}

} // namespace boshd::net
