// AckTracker: response acknowledgements (XEP-0124 §9.2). A client that put
// ack='1' on its creation request acknowledges replies; every reply it has
// not acknowledged is kept, and one it never got is reported.
#include "bosh/session/acks.h"

#include <doctest/doctest.h>
#include <memory>
#include <optional>
#include <string>

using boshd::bosh::AckTracker;
using boshd::bosh::BodyAttrs;
using boshd::bosh::Limits;
using boshd::bosh::ReplayCache;
using boshd::bosh::Reply;
using boshd::bosh::Report;
namespace util = boshd::util;

namespace {

const util::TimePoint t0 = util::TimePoint{} + util::Seconds(1000);

// Request |rid|, acknowledging |ack| (none: the attribute is absent).
BodyAttrs request(std::uint64_t rid, std::optional<std::uint64_t> ack) {
    BodyAttrs a;
    a.rid = rid;
    a.ack = ack;
    return a;
}

// Remembers a reply for each rid in [from, to], sent |spacing| apart from t0.
void answer(ReplayCache& cache, AckTracker& acks, std::uint64_t from, std::uint64_t to,
            util::Duration spacing = util::Seconds(1)) {
    for (std::uint64_t rid = from; rid <= to; ++rid) {
        const auto sent = t0 + spacing * static_cast<int>(rid - from);
        cache.remember({rid, std::make_shared<const Reply>(Reply{200, "text/xml", "r"}), sent, {}});
        acks.answered(rid);
    }
}

// take()'s answer as text: empty when the session may go on.
std::string take(const AckTracker& acks, const BodyAttrs& a, ReplayCache& cache,
                 const Limits& limits) {
    const auto over = acks.take(a, cache, limits);
    return over ? std::string(*over) : std::string();
}

bool same(const std::optional<Report>& r, std::uint64_t rid, std::uint64_t time_ms) {
    INFO("report ", (r ? r->rid : 0), " time ", (r ? r->time_ms : 0));
    return r && r->rid == rid && r->time_ms == time_ms;
}

} // namespace

TEST_SUITE("bosh/session/acks") {

    TEST_CASE("C124-9.2-03 an ack forgets the replies up to it, and only those") {
        ReplayCache cache(2, true);
        AckTracker acks(true);
        answer(cache, acks, 11, 16);
        CHECK(cache.size() == 6); // all kept, not only the last `requests`
        CHECK(take(acks, request(17, 12), cache, Limits{}) == "");
        CHECK(cache.size() == 4);
        CHECK(cache.find(12) == nullptr);
        CHECK(cache.find(13) != nullptr);
        CHECK(cache.find(16) != nullptr);
    }

    TEST_CASE("C124-9.2-03 a request without ack acknowledges every rid before it") {
        ReplayCache cache(2, true);
        AckTracker acks(true);
        answer(cache, acks, 11, 16);
        CHECK(take(acks, request(15, std::nullopt), cache, Limits{}) == "");
        CHECK(cache.size() == 2);
        CHECK(cache.find(14) == nullptr);
        CHECK(cache.find(15) != nullptr);
        CHECK(cache.find(16) != nullptr);
    }

    TEST_CASE("C124-9.2-03 a client that does not ack: take() leaves the cache alone") {
        ReplayCache cache(2, false);
        AckTracker acks(false);
        answer(cache, acks, 11, 12);
        Limits tiny;
        tiny.max_client_queue = 1;
        tiny.max_unacked_responses = 0;
        CHECK(take(acks, request(13, 12), cache, tiny) == ""); // its `ack` means nothing
        CHECK(cache.size() == 2);
        CHECK(cache.find(11) != nullptr);
    }

    TEST_CASE("C124-9.2-03 unacknowledged replies are bounded in bytes") {
        ReplayCache cache(2, true);
        AckTracker acks(true);
        answer(cache, acks, 11, 14);
        Limits limits;
        limits.max_client_queue = cache.bytes(); // at the limit: fine
        CHECK(take(acks, request(15, 10), cache, limits) == "");
        limits.max_client_queue = cache.bytes() - 1;
        CHECK(take(acks, request(15, 10), cache, limits) ==
              "unacknowledged responses over session.max_client_queue");
        // Acknowledged first, then checked: an ack that frees enough is fine.
        CHECK(take(acks, request(15, 11), cache, limits) == "");
        CHECK(cache.size() == 3);
    }

    TEST_CASE("C124-9.2-03 unacknowledged replies are bounded in number") {
        ReplayCache cache(2, true);
        AckTracker acks(true);
        answer(cache, acks, 11, 14);
        Limits limits;
        limits.max_unacked_responses = 4; // at the limit: fine
        CHECK(take(acks, request(15, 10), cache, limits) == "");
        limits.max_unacked_responses = 3;
        CHECK(take(acks, request(15, 10), cache, limits) ==
              "unacknowledged responses over session.max_unacked_responses");
        CHECK(take(acks, request(15, 11), cache, limits) == "");
    }

    TEST_CASE("C124-9.2-01 C124-9.2-02 an ack below the last answered rid gets report and time") {
        ReplayCache cache(2, true);
        AckTracker acks(true);
        answer(cache, acks, 11, 13); // 12 was sent at t0 + 1 s
        const auto r = acks.report_for(request(14, 11), cache, t0 + util::Duration(2500));
        CHECK(same(r, 12, 1500));
        // Acknowledging the last answered rid, or leaving ack off: no report.
        CHECK_FALSE(acks.report_for(request(14, 13), cache, t0 + util::Seconds(5)));
        CHECK_FALSE(acks.report_for(request(14, std::nullopt), cache, t0 + util::Seconds(5)));
    }

    TEST_CASE("C124-9.2-02 each missing rid is reported once") {
        ReplayCache cache(2, true);
        AckTracker acks(true);
        answer(cache, acks, 11, 14);
        REQUIRE(acks.report_for(request(15, 11), cache, t0 + util::Seconds(3)));
        acks.reported(12);
        CHECK_FALSE(acks.report_for(request(15, 11), cache, t0 + util::Seconds(3)));
        CHECK_FALSE(acks.report_for(request(15, 10), cache, t0 + util::Seconds(3))); // 11 < 12
        // A later rid missing is a new report.
        CHECK(same(acks.report_for(request(15, 12), cache, t0 + util::Seconds(3)), 13, 1000));
    }

    TEST_CASE("C124-9.2-02 time is capped at 65535 ms (an xs:unsignedShort)") {
        ReplayCache cache(2, true);
        AckTracker acks(true);
        answer(cache, acks, 11, 13);
        CHECK(same(
            acks.report_for(request(14, 11), cache, t0 + util::Seconds(1) + util::Duration(65535)),
            12, 65535));
        CHECK(same(acks.report_for(request(14, 11), cache, t0 + util::Seconds(600)), 12, 65535));
        CHECK(same(acks.report_for(request(14, 11), cache, t0 + util::Seconds(1)), 12, 0));
    }

    TEST_CASE("C124-9.2-01 nothing to report without the missing reply, or without acks") {
        ReplayCache cache(2, true);
        AckTracker acks(true);
        CHECK_FALSE(acks.report_for(request(11, 10), cache, t0)); // nothing answered yet
        answer(cache, acks, 11, 11);
        acks.answered(12); // a pause reply: answered, not cached (C124-14.3-08)
        CHECK_FALSE(acks.report_for(request(13, 11), cache, t0 + util::Seconds(5)));
        // A client that does not ack is never reported to.
        ReplayCache plain(2, false);
        AckTracker off(false);
        answer(plain, off, 11, 13);
        CHECK_FALSE(off.report_for(request(14, 11), plain, t0 + util::Seconds(5)));
    }

    TEST_CASE("answered() and reported() keep the highest rid") {
        ReplayCache cache(4, true);
        AckTracker acks(true);
        answer(cache, acks, 11, 14);
        acks.answered(12); // an older rid answered late (its client had gone)
        CHECK(same(acks.report_for(request(15, 12), cache, t0 + util::Seconds(3)), 13, 1000));
        acks.reported(13);
        acks.reported(12);
        CHECK_FALSE(acks.report_for(request(15, 12), cache, t0 + util::Seconds(3)));
    }
}
