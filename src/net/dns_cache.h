// Answers of the DNS kept for their TTL, so that a second session to the same
// domain does not ask again. Bounded: when full, expired answers go first,
// then the one closest to expiry. Takes `now` rather than reading a clock, so
// its tests use a manual one (ARCHITECTURE.md §6).
#pragma once

#include "net/srv_order.h"
#include "util/time.h"

#include <cstddef>
#include <cstdint>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <unordered_map>
#include <vector>

namespace boshd::net {

// One resolved address (IPv4 or IPv6), without a port.
struct SocketAddress {
    sockaddr_storage storage{};
    socklen_t length = 0;

    // A copy with |port| set, ready for connect().
    SocketAddress with_port(std::uint16_t port) const;
    // "127.0.0.1" or "::1", for the log.
    std::string text() const;
};

// What a lookup found: an SRV lookup fills |srv|, an address lookup |addresses|.
struct DnsAnswer {
    std::vector<SrvRecord> srv;
    std::vector<SocketAddress> addresses;
};

class DnsCache {
public:
    explicit DnsCache(std::size_t max_entries) : max_entries_(max_entries) {}

    // The answer stored under |key|, unless it has expired by |now|.
    const DnsAnswer* find(const std::string& key, util::TimePoint now) const;
    // Keeps |answer| until now + ttl; a TTL of 0 keeps nothing.
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
