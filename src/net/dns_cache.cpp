#include "net/dns_cache.h"

#include <algorithm>

namespace boshd::net {

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
    entries_[key] = Entry{std::move(answer), now + std::min(ttl, kMaxTtl)};
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
