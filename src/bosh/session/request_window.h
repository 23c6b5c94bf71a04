// The request side of one session (XEP-0124 §8, §14): where each rid falls,
// requests parked ahead of a gap, requests held for a reply, and the replay
// cache. It is the one owner of a session's open requests in the core: each
// request it takes or lets go of is reported in Lifetimes, and a request
// leaves it only answered (the caller sends the reply), dropped, or with its
// client gone.
#pragma once

#include "bosh/attrs.h"
#include "bosh/context.h"
#include "bosh/session/replay_cache.h"
#include "util/time.h"
#include "xml/fragment.h"

#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

namespace boshd::bosh {

class RequestWindow {
public:
    enum class Place {
        Next,   // last + 1: process now
        Ahead,  // within (last + 1, last + requests]: wait for the gap (C124-14.2-01)
        Behind, // <= last: a repeat (C124-14.3)
        Beyond, // > last + requests: item-not-found (C124-14.2-02)
    };

    // A request processed in rid order, waiting for its reply.
    struct Held {
        std::uint64_t rid;
        RequestId id;
        util::TimePoint deadline; // `wait` expiry
        bool creation = false;
        std::optional<Key> key; // its §15 key, which a resend must repeat (C124-15.4-04)
    };

    // A request whose rid is ahead of a gap: it waits, payloads unprocessed,
    // until the missing rids arrive (C124-8-02, C124-8-07).
    struct Parked {
        RequestId id;
        util::TimePoint arrived;
        BodyAttrs attrs;
        std::vector<xml::Fragment> payloads;
        bool attached = true; // false once the client closed its connection
    };

    RequestWindow(std::uint64_t creation_rid, std::uint32_t requests, bool keep_unacknowledged);

    // Rids.
    Place place(std::uint64_t rid) const;
    std::uint64_t last() const { return last_; }
    // Records that |rid| (== last() + 1) is being processed.
    void advance(std::uint64_t rid);

    // Parked requests, by rid.
    void park(std::uint64_t rid, Parked request, Lifetimes& lt);
    Parked* parked(std::uint64_t rid);
    const std::map<std::uint64_t, Parked>& parked() const { return parked_; }
    // Removes and returns the parked request for last() + 1, if it is here.
    std::optional<std::pair<std::uint64_t, Parked>> take_next();

    // Held requests, oldest (lowest rid) first.
    void hold(Held request, Lifetimes& lt);
    const std::vector<Held>& held() const { return held_; }
    const Held* held_rid(std::uint64_t rid) const;
    // Moves the held request |id| to the front, to be answered next.
    void to_front(RequestId id);
    Held pop_front(Lifetimes& lt);
    // How many of the oldest held requests must be answered now: up to the
    // newest one whose `wait` expired (C124-8-05, in rid order).
    std::size_t due(util::TimePoint now) const;

    // Open requests, held or parked.
    // A resend took over request |rid| (held or parked) on connection |id|
    // (C124-14.3-03). Returns the request it replaced, still to be answered
    // by the caller when its client is there.
    std::optional<RequestId> reattach(std::uint64_t rid, RequestId id, util::TimePoint deadline,
                                      Lifetimes& lt);
    // The client of parked request |id| left: it stays, detached, so that its
    // payloads keep their place in rid order.
    void detach(RequestId id, Lifetimes& lt);
    // Forgets request |id| wherever it is; the caller answers it.
    void drop(RequestId id, Lifetimes& lt);
    // Every request a reply can still reach, held ones first, then parked
    // ones in rid order; the window is left with none.
    std::vector<RequestId> take_open(Lifetimes& lt);
    // A request that can carry a reply: held, or parked with its client there.
    bool open() const;
    // A parked request whose gap was not filled in |gap_timeout|: the
    // missing rid is not coming back.
    std::optional<RequestId> gap_expired(util::TimePoint now, util::Duration gap_timeout) const;
    std::optional<util::TimePoint> next_deadline(util::Duration gap_timeout) const;

    ReplayCache& cache() { return cache_; }
    const ReplayCache& cache() const { return cache_; }

private:
    std::uint64_t last_;
    std::uint32_t requests_;
    std::vector<Held> held_; // at most requests (<= 17): a vector beats a deque here
    std::map<std::uint64_t, Parked> parked_;
    ReplayCache cache_;
};

} // namespace boshd::bosh
