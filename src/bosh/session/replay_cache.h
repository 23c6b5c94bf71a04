// The replies a resent rid gets again, byte for byte (XEP-0124 §14.3): the
// last `requests` replies, or every one the client has not acknowledged
// when it acknowledges responses (C124-9.2-03). Pause and error replies
// are never put here (C124-14.3-08).
#pragma once

#include "bosh/attrs.h"
#include "bosh/reply.h"
#include "util/time.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace boshd::bosh {

class ReplayCache {
public:
    // A reply, with what a resend of its request is checked against.
    struct Entry {
        std::uint64_t rid;
        ReplyPtr reply;
        util::TimePoint sent;   // for `time` on a report (C124-9.2-02)
        std::optional<Key> key; // the request's §15 key, for resends (C124-15.4-04)
    };

    // |keep_unacknowledged|: a client that acknowledges responses (§9.2).
    ReplayCache(std::uint32_t requests, bool keep_unacknowledged)
        : requests_(requests), keep_unacked_(keep_unacknowledged) {}

    void remember(Entry entry);
    const Entry* find(std::uint64_t rid) const;
    // The client has every reply up to |ack|: they can be forgotten.
    void acknowledge(std::uint64_t ack);
    // Bytes held: reply bodies plus a per-entry overhead (the session bounds
    // it while the client acks, C124-9.2-03).
    std::size_t bytes() const { return bytes_; }
    std::size_t size() const { return entries_.size(); }

private:
    std::uint32_t requests_;
    bool keep_unacked_;
    // A vector, not a deque: at most `requests` entries (in ack mode, at most
    // session.max_unacked_responses, enforced by the session), and an empty
    // deque costs ~700 bytes per session.
    std::vector<Entry> entries_;
    std::size_t bytes_ = 0;
};

} // namespace boshd::bosh
