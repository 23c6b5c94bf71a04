// The per-client limits on session creation (README: "Per-client limits"):
// `session.max_sessions_per_ip`, sessions open at once, and
// `session.max_new_sessions_per_ip`, creations per minute as a token bucket.
// Clients are counted by address, IPv6 ones by /64 (one subscriber's prefix;
// an address each would let one host mint millions of clients).
//
// Memory stays bounded however many addresses arrive: the open-session
// counts hold an entry per address with a session open (at most
// max_sessions); the bucket table holds an entry only while its bucket is not
// full or its log line is recent, since a full bucket is what an unknown
// address gets anyway, and never more than `max_tracked_clients`. When that
// many addresses are being counted at once, the entry that would be dropped
// soonest (its bucket the fullest) is dropped for the newcomer: that client
// may then create up to a bucket's worth more, but nobody is refused for the
// table being full. The warning `session.client_table_full` says so, at most
// once per `client_window`.
#pragma once

#include "bosh/limits.h"
#include "util/ip_address.h"
#include "util/log.h"
#include "util/time.h"

#include <cstdint>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>

namespace boshd::bosh {

class ClientLimits {
public:
    enum class Verdict {
        Allowed,
        TooManySessions, // session.max_sessions_per_ip
        TooManyNew,      // session.max_new_sessions_per_ip
    };

    // |log| must outlive this object.
    explicit ClientLimits(const util::Logger& log) : log_(log) {}

    // Whether |client| may create a session at |now|. When it may, the
    // creation is counted (a token taken); call opened() once it exists.
    Verdict admit(const util::IpAddress& client, util::TimePoint now, const Limits& limits);
    // A session of |client| was created, or has gone.
    void opened(const util::IpAddress& client);
    void closed(const util::IpAddress& client);

    // A creation by |client| was refused at |now|. Returns, when it is time
    // for a log line about this client (its first refusal, then at most one
    // per client_window), how many refusals went unlogged since the last one.
    std::optional<std::uint64_t> refused(const util::IpAddress& client, util::TimePoint now,
                                         const Limits& limits);

    // For tests and metrics.
    std::size_t tracked() const { return entries_.size(); }
    std::size_t open_groups() const { return open_.size(); }
    std::uint64_t evictions() const { return evictions_; }

private:
    struct Entry {
        // Generic cell rate form of the token bucket: the time at which the
        // bucket is full again. A creation adds one interval; one is allowed
        // while this stays within a window of now.
        util::TimePoint full_at;
        util::TimePoint quiet_until; // no log line about this client before
        std::uint64_t unlogged = 0;  // refusals since its last log line
        util::TimePoint expiry;      // its place in by_expiry_
    };
    using Table = std::unordered_map<util::IpAddress, Entry, util::IpAddressHash>;

    // Drops the entries with nothing left to remember at |now|.
    void sweep(util::TimePoint now);
    // The entry of |key|, made (full bucket, no recent log) if there is none.
    Entry& entry(const util::IpAddress& key, util::TimePoint now, const Limits& limits);
    // Files |e| under the time it has nothing left to remember: its bucket
    // full, and no log line due (refusals not yet logged are kept one window
    // longer, for the next line to count them).
    void reindex(const util::IpAddress& key, Entry& e, const Limits& limits);

    const util::Logger& log_;
    Table entries_;
    std::set<std::pair<util::TimePoint, util::IpAddress>> by_expiry_;
    std::unordered_map<util::IpAddress, std::size_t, util::IpAddressHash> open_;
    std::uint64_t evictions_ = 0;
    std::uint64_t unlogged_evictions_ = 0;
    std::optional<util::TimePoint> table_warned_until_;
};

} // namespace boshd::bosh
