#include "bosh/session/acks.h"

#include <algorithm>
#include <chrono>

namespace boshd::bosh {

namespace {

// `time` is an xs:unsignedShort (C124-9.2-02).
constexpr std::uint64_t kMaxReportTime = 65535;

} // namespace

std::optional<std::string_view> AckTracker::take(const BodyAttrs& a, ReplayCache& cache,
                                                 const Limits& limits) const {
    if (!client_acks_) {
        return std::nullopt;
    }
    // A client that acks leaves `ack` off once it has every earlier response,
    // so its absence acknowledges everything before this rid.
    cache.acknowledge(a.ack.value_or(*a.rid - 1));
    // C124-9.2-03 keeps every unacknowledged reply; a client that never
    // acknowledges must not make that grow without bound. Checked on each
    // request, so the cache may pass the limit by the replies given since.
    if (cache.bytes() > limits.max_client_queue) {
        return "unacknowledged responses over session.max_client_queue";
    }
    if (cache.size() > limits.max_unacked_responses) {
        return "unacknowledged responses over session.max_unacked_responses";
    }
    return std::nullopt;
}

std::optional<Report> AckTracker::report_for(const BodyAttrs& a, const ReplayCache& cache,
                                             util::TimePoint now) const {
    if (!client_acks_ || !a.ack || *a.ack >= highest_answered_) {
        return std::nullopt;
    }
    if (*a.ack + 1 <= last_reported_) {
        // Reported already: a client stuck on one ack would otherwise get
        // every request answered at once, each with a log line.
        return std::nullopt;
    }
    const auto* missing = cache.find(*a.ack + 1);
    if (!missing) {
        return std::nullopt; // a pause reply, or one never answered: nothing to resend
    }
    using std::chrono::duration_cast;
    using std::chrono::milliseconds;
    const auto ms = duration_cast<milliseconds>(now - missing->sent).count();
    return Report{*a.ack + 1,
                  std::min<std::uint64_t>(static_cast<std::uint64_t>(std::max<long long>(ms, 0)),
                                          kMaxReportTime)};
}

void AckTracker::answered(std::uint64_t rid) {
    highest_answered_ = std::max(highest_answered_, rid);
}

void AckTracker::reported(std::uint64_t rid) {
    last_reported_ = std::max(last_reported_, rid);
}

} // namespace boshd::bosh
