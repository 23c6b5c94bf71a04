// Answers of the DNS kept for their TTL, so that a second session to the same
// domain does not ask again. Bounded: when full, expired answers go first,
// then the one closest to expiry. Takes `now` rather than reading a clock, so
// its tests use a manual one (ARCHITECTURE.md §6).
#pragma once

#include "net/srv_order.h"
#include "util/ip_address.h"
#include "util/time.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace boshd::net {

// What a lookup found: an SRV lookup fills |srv|, an address lookup |addresses|.
struct DnsAnswer {
    std::vector<SrvRecord> srv;
    std::vector<util::IpAddress> addresses;
};

class DnsCache {
public:
    explicit DnsCache(std::size_t max_entries) : max_entries_(max_entries) {}

    // The answer stored under |key|, unless it has expired by |now|.
    const DnsAnswer* find(const std::string& key, util::TimePoint now) const;
    // The longest an answer is kept, whatever its TTL says: a moved
    // server is found within the hour, and a reply claiming 68 years
    // (2^31 - 1 s, RFC 2181 §8) cannot pin a target until the next reload.
    static constexpr util::Seconds kMaxTtl{3600};

    // Keeps |answer| until now + ttl (at most kMaxTtl); a TTL of 0 keeps nothing.
    void put(const std::string& key, DnsAnswer answer, util::Seconds ttl, util::TimePoint now);
    std::size_t size() const { return entries_.size(); }

private:
    struct Entry {
        DnsAnswer answer;
        util::TimePoint expires;
    };
    void make_room(util::TimePoint now);

    std::size_t max_entries_;
    std::unordered_map<std::string, Entry> entries_;
};

} // namespace boshd::net
