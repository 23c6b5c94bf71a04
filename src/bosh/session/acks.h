// Response acknowledgements (XEP-0124 §9.2): a client that put ack='1' on
// its creation request acknowledges replies; boshd keeps every reply it has
// not acknowledged and reports one it never got. (Request acknowledgements,
// §9.1, are one attribute on each reply: see ReplyPath.)
#pragma once

#include "bosh/attrs.h"
#include "bosh/limits.h"
#include "bosh/session/replay_cache.h"
#include "util/time.h"

#include <cstdint>
#include <optional>
#include <string_view>

namespace boshd::bosh {

// A reply the client reports missing: `report` and `time` (C124-9.2-02).
struct Report {
    std::uint64_t rid = 0; // zero: none
    std::uint64_t time_ms = 0;
};

class AckTracker {
public:
    explicit AckTracker(bool client_acks) : client_acks_(client_acks) {}

    // Applies the client's `ack` of request |a| to |cache|. Returns why the
    // session must end (the cache is over a limit), or nullopt.
    std::optional<std::string_view> take(const BodyAttrs& a, ReplayCache& cache,
                                         const Limits& limits) const;
    // The report request |a| calls for: an `ack` below the last rid answered
    // (C124-9.2-01, C124-9.2-02), each missing rid once.
    std::optional<Report> report_for(const BodyAttrs& a, const ReplayCache& cache,
                                     util::TimePoint now) const;

    void answered(std::uint64_t rid);
    void reported(std::uint64_t rid);

private:
    bool client_acks_;
    std::uint64_t highest_answered_ = 0;
    std::uint64_t last_reported_ = 0;
};

} // namespace boshd::bosh
