// Request-id bookkeeping for one session (XEP-0124 §14): where a rid falls
// relative to the window, requests that arrived ahead of a gap, and the cache
// of recent responses for clients that resend a rid.
#pragma once

#include "bosh/attrs.h"
#include "bosh/ids.h"
#include "bosh/reply.h"
#include "util/time.h"
#include "xml/fragment.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace boshd::bosh {

// A request whose rid is ahead of a gap: it waits, payload unprocessed, until
// the missing rids arrive (C124-8-02, C124-8-07).
struct EarlyRequest {
    RequestId id;
    util::TimePoint arrived;
    BodyAttrs attrs;
    std::vector<xml::Fragment> payloads;
    bool attached = true; // false once the client closed its connection
};

class RidWindow {
public:
    enum class Place {
        Next,   // last + 1: process now
        Ahead,  // within (last + 1, last + requests]: wait for the gap (C124-14.2-01)
        Behind, // <= last: a repeat (C124-14.3)
        Beyond, // > last + requests: item-not-found (C124-14.2-02)
    };

    RidWindow(std::uint64_t creation_rid, std::uint32_t requests);

    Place place(std::uint64_t rid) const;
    std::uint64_t last() const { return last_; }
    // Records that |rid| (== last() + 1) has been processed.
    void advance(std::uint64_t rid);

    void park(std::uint64_t rid, EarlyRequest request);
    EarlyRequest* early(std::uint64_t rid);
    // Removes and returns the early request for last() + 1, if it is here.
    std::optional<std::pair<std::uint64_t, EarlyRequest>> take_next();
    std::map<std::uint64_t, EarlyRequest>& early_requests() { return early_; }
    const std::map<std::uint64_t, EarlyRequest>& early_requests() const { return early_; }

    // A reply in the response cache, with what a resend is checked against.
    struct Cached {
        std::uint64_t rid;
        ReplyPtr reply;
        util::TimePoint sent;   // for `time` on a report (C124-9.2-02)
        std::optional<Key> key; // the request's §15 key, for resends (C124-15.4-04)
    };

    // The response cache (C124-14.3-01): the replies to the last `requests`
    // answered rids, or every unacknowledged one after keep_unacknowledged()
    // (C124-9.2-03). Pause and error replies are never put here (C124-14.3-08).
    void remember(Cached entry);
    const Cached* cached_entry(std::uint64_t rid) const;

    // A client that acknowledges responses (XEP-0124 §9.2): keep every reply it
    // has not acknowledged, not only the last `requests` (C124-9.2-03).
    void keep_unacknowledged() { keep_unacked_ = true; }
    // The client has every reply up to |ack|: they can be forgotten.
    void acknowledge(std::uint64_t ack);
    // Bytes held in the cache: reply bodies plus a per-entry overhead (the
    // session bounds it while the client acks, C124-9.2-03).
    std::size_t cache_bytes() const { return cache_bytes_; }
    // Replies in the cache (bounded by the session while the client acks).
    std::size_t cache_size() const { return cache_.size(); }

private:
    std::uint64_t last_;
    std::uint32_t requests_;
    std::map<std::uint64_t, EarlyRequest> early_;
    // A vector, not a deque: at most `requests` entries (in ack mode, at most
    // session.max_unacked_responses, enforced by the session), and an empty
    // deque costs ~700 bytes per session.
    std::vector<Cached> cache_;
    std::size_t cache_bytes_ = 0;
    bool keep_unacked_ = false;
};

} // namespace boshd::bosh
