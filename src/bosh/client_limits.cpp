#include "bosh/client_limits.h"

#include <algorithm>

namespace boshd::bosh {

ClientLimits::Verdict ClientLimits::admit(const util::IpAddress& client, util::TimePoint now,
                                          const Limits& limits) {
    const util::IpAddress key = util::client_group(client);
    if (limits.max_sessions_per_ip > 0) {
        const auto open = open_.find(key);
        if (open != open_.end() && open->second >= limits.max_sessions_per_ip) {
            return Verdict::TooManySessions;
        }
    }
    const auto rate = limits.max_new_sessions_per_ip;
    if (rate == 0) {
        return Verdict::Allowed;
    }
    sweep(now);
    // A bucket of |rate| tokens, one back every window / rate: a creation
    // moves full_at one interval on, and is allowed while full_at stays
    // within one window of now (GCRA, the token bucket as one time point).
    const util::MonotonicClock::duration window = limits.client_window;
    const auto interval = window / static_cast<util::MonotonicClock::duration::rep>(rate);
    const auto found = entries_.find(key);
    const util::TimePoint from =
        found == entries_.end() ? now : std::max(found->second.full_at, now);
    if (from + interval - now > interval * static_cast<long>(rate)) {
        return Verdict::TooManyNew;
    }
    Entry& e = found == entries_.end() ? entry(key, now, limits) : found->second;
    e.full_at = from + interval;
    reindex(key, e, limits);
    return Verdict::Allowed;
}

void ClientLimits::opened(const util::IpAddress& client) {
    ++open_[util::client_group(client)];
}

void ClientLimits::closed(const util::IpAddress& client) {
    const auto it = open_.find(util::client_group(client));
    if (it != open_.end() && --it->second == 0) {
        open_.erase(it);
    }
}

std::optional<std::uint64_t> ClientLimits::refused(const util::IpAddress& client,
                                                   util::TimePoint now, const Limits& limits) {
    const util::IpAddress key = util::client_group(client);
    sweep(now);
    Entry& e = entry(key, now, limits);
    if (now < e.quiet_until) {
        if (e.unlogged++ == 0) {
            reindex(key, e, limits); // kept longer now
        }
        return std::nullopt;
    }
    const auto unlogged = std::exchange(e.unlogged, 0);
    e.quiet_until = now + limits.client_window;
    reindex(key, e, limits);
    return unlogged;
}

void ClientLimits::sweep(util::TimePoint now) {
    while (!by_expiry_.empty() && by_expiry_.begin()->first <= now) {
        entries_.erase(by_expiry_.begin()->second);
        by_expiry_.erase(by_expiry_.begin());
    }
}

ClientLimits::Entry& ClientLimits::entry(const util::IpAddress& key, util::TimePoint now,
                                         const Limits& limits) {
    if (const auto it = entries_.find(key); it != entries_.end()) {
        return it->second;
    }
    const auto cap = std::max<std::size_t>(limits.max_tracked_clients, 1);
    if (entries_.size() >= cap) {
        // The stated policy (header comment): the entries closest to being
        // forgotten anyway make room (more than one after a reload lowered
        // the cap).
        while (entries_.size() >= cap) {
            entries_.erase(by_expiry_.begin()->second);
            by_expiry_.erase(by_expiry_.begin());
            ++evictions_;
            ++unlogged_evictions_;
        }
        if (!table_warned_until_ || now >= *table_warned_until_) {
            log_.warning("session.client_table_full",
                         {{"tracked", entries_.size() + 1},
                          {"dropped", std::exchange(unlogged_evictions_, 0)},
                          {"reason", "more client addresses creating sessions at once than the "
                                     "table holds; the fullest buckets are forgotten"}});
            table_warned_until_ = now + limits.client_window;
        }
    }
    Entry& e = entries_.emplace(key, Entry{now, now, 0, now}).first->second;
    by_expiry_.emplace(e.expiry, key);
    return e;
}

void ClientLimits::reindex(const util::IpAddress& key, Entry& e, const Limits& limits) {
    by_expiry_.erase({e.expiry, key});
    const auto log_due = e.unlogged > 0 ? e.quiet_until + limits.client_window : e.quiet_until;
    e.expiry = std::max(e.full_at, log_due);
    by_expiry_.emplace(e.expiry, key);
}

} // namespace boshd::bosh
