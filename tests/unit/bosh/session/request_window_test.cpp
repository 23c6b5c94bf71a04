#include "bosh/session/request_window.h"

#include <doctest/doctest.h>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

using boshd::bosh::Lifetimes;
using boshd::bosh::ReplayCache;
using boshd::bosh::Reply;
using boshd::bosh::ReplyPtr;
using boshd::bosh::RequestId;
using boshd::bosh::RequestWindow;
using Place = boshd::bosh::RequestWindow::Place;
namespace util = boshd::util;

namespace {

RequestWindow::Parked parked_request(std::uint64_t id) {
    RequestWindow::Parked r;
    r.id = RequestId{id};
    r.attrs.rid = id;
    return r;
}

// A held request |id| for |rid|, due at |deadline|.
RequestWindow::Held held_request(std::uint64_t rid, std::uint64_t id, util::TimePoint deadline) {
    return {rid, RequestId{id}, deadline, false, std::nullopt};
}

std::vector<RequestId> ids(std::initializer_list<std::uint64_t> values) {
    std::vector<RequestId> out;
    for (auto v : values) {
        out.push_back(RequestId{v});
    }
    return out;
}

// The ids of the held requests, oldest first.
std::vector<RequestId> held_ids(const RequestWindow& w) {
    std::vector<RequestId> out;
    for (const auto& h : w.held()) {
        out.push_back(h.id);
    }
    return out;
}

const util::TimePoint t0 = util::TimePoint{} + util::Seconds(1000);

ReplyPtr reply(const std::string& body) {
    return std::make_shared<const Reply>(Reply{200, "text/xml; charset=utf-8", body});
}

// The cached reply for |rid|, or null.
ReplyPtr cached(const ReplayCache& c, std::uint64_t rid) {
    const auto* e = c.find(rid);
    return e ? e->reply : nullptr;
}

} // namespace

TEST_SUITE("bosh/session/request_window") {

    TEST_CASE("C124-14.2-01 C124-14.2-02 place() with requests=2") {
        RequestWindow w(100, 2, false); // the creation request was rid 100
        CHECK(w.last() == 100);
        CHECK(w.place(0) == Place::Behind);
        CHECK(w.place(1) == Place::Behind);
        CHECK(w.place(99) == Place::Behind);
        CHECK(w.place(100) == Place::Behind);
        CHECK(w.place(101) == Place::Next);
        CHECK(w.place(102) == Place::Ahead);  // last + requests: the window's top edge
        CHECK(w.place(103) == Place::Beyond); // one above it
        CHECK(w.place(104) == Place::Beyond);
        CHECK(w.place(boshd::bosh::kMaxRid) == Place::Beyond);
    }

    TEST_CASE("C124-14.2-01 C124-14.2-02 place() with requests=3") {
        RequestWindow w(100, 3, false);
        CHECK(w.place(100) == Place::Behind);
        CHECK(w.place(101) == Place::Next);
        CHECK(w.place(102) == Place::Ahead);
        CHECK(w.place(103) == Place::Ahead);
        CHECK(w.place(104) == Place::Beyond);
    }

    TEST_CASE("place() with requests=1 has no room ahead") {
        RequestWindow w(7, 1, false);
        CHECK(w.place(7) == Place::Behind);
        CHECK(w.place(8) == Place::Next);
        CHECK(w.place(9) == Place::Beyond);
    }

    TEST_CASE("C124-14.2-01 advance() moves the window") {
        RequestWindow w(100, 2, false);
        w.advance(101);
        CHECK(w.last() == 101);
        CHECK(w.place(101) == Place::Behind);
        CHECK(w.place(102) == Place::Next);
        CHECK(w.place(103) == Place::Ahead);
        CHECK(w.place(104) == Place::Beyond);
        w.advance(102);
        w.advance(103);
        CHECK(w.last() == 103);
        CHECK(w.place(104) == Place::Next);
        CHECK(w.place(105) == Place::Ahead);
        CHECK(w.place(106) == Place::Beyond);
    }

    TEST_CASE("C124-14.1-01 the window works at 2^53-1") {
        const auto top = boshd::bosh::kMaxRid;
        RequestWindow w(top - 2, 2, false);
        CHECK(w.place(top - 1) == Place::Next);
        CHECK(w.place(top) == Place::Ahead);
        w.advance(top - 1);
        w.advance(top);
        CHECK(w.last() == top);
        CHECK(w.place(top) == Place::Behind);
    }

    TEST_CASE("C124-14.2-01 parked requests come out in rid order once the gap is filled") {
        RequestWindow w(10, 3, false);
        Lifetimes lt;
        w.park(13, parked_request(3), lt);
        w.park(12, parked_request(2), lt);
        CHECK(w.parked().size() == 2);
        REQUIRE(w.parked(12) != nullptr);
        CHECK(w.parked(12)->id == RequestId{2});
        REQUIRE(w.parked(13) != nullptr);
        CHECK(w.parked(13)->id == RequestId{3});
        CHECK(w.parked(11) == nullptr);
        CHECK(w.parked(14) == nullptr);

        // 11 is missing: nothing can be taken.
        CHECK_FALSE(w.take_next());
        CHECK(w.parked().size() == 2);

        w.advance(11); // rid 11 arrived and was processed
        auto n = w.take_next();
        REQUIRE(n);
        CHECK(n->first == 12);
        CHECK(n->second.id == RequestId{2});
        CHECK(n->second.attrs.rid == 12u - 10u);
        CHECK(w.parked(12) == nullptr);
        // take_next() does not advance: 13 is not last + 1 until 12 is recorded.
        CHECK_FALSE(w.take_next());
        w.advance(12);
        n = w.take_next();
        REQUIRE(n);
        CHECK(n->first == 13);
        CHECK(n->second.id == RequestId{3});
        w.advance(13);
        CHECK_FALSE(w.take_next());
        CHECK(w.parked().empty());
    }

    TEST_CASE("parked() gives access to a parked request in place") {
        RequestWindow w(1, 2, false);
        Lifetimes lt;
        w.park(3, parked_request(9), lt);
        REQUIRE(w.parked(3) != nullptr);
        CHECK(w.parked(3)->attached);
        CHECK(w.open());
        w.detach(RequestId{9}, lt); // the client closed its connection
        CHECK_FALSE(w.open());
        CHECK(lt.requests_taken == std::vector<RequestId>{RequestId{9}});
        CHECK(lt.requests_released == std::vector<RequestId>{RequestId{9}});
        w.advance(2);
        auto n = w.take_next();
        REQUIRE(n);
        CHECK_FALSE(n->second.attached);
    }
}

TEST_SUITE("bosh/session/request_window") {

    TEST_CASE("C124-8-07 held requests stay in rid order; hold() reports each taken") {
        RequestWindow w(100, 3, false);
        Lifetimes lt;
        CHECK(w.held().empty());
        CHECK_FALSE(w.open());
        w.hold(held_request(101, 1, t0 + util::Seconds(60)), lt);
        w.hold(held_request(102, 2, t0 + util::Seconds(61)), lt);
        CHECK(held_ids(w) == ids({1, 2}));
        CHECK(w.open());
        CHECK(lt.requests_taken == ids({1, 2}));
        CHECK(lt.requests_released.empty());
        REQUIRE(w.held_rid(102) != nullptr);
        CHECK(w.held_rid(102)->id == RequestId{2});
        CHECK(w.held_rid(102)->deadline == t0 + util::Seconds(61));
        CHECK(w.held_rid(101)->id == RequestId{1});
        CHECK(w.held_rid(100) == nullptr);
        CHECK(w.held_rid(103) == nullptr);
    }

    TEST_CASE("C124-8-07 C124-15.4-04 pop_front() gives the oldest, with its key, released") {
        RequestWindow w(100, 3, false);
        Lifetimes lt;
        const auto key = boshd::bosh::parse_key("00112233445566778899aabbccddeeff00112233");
        w.hold({101, RequestId{1}, t0, true, std::nullopt}, lt);
        w.hold({102, RequestId{2}, t0 + util::Seconds(1), false, key}, lt);
        lt.clear();
        auto first = w.pop_front(lt);
        CHECK(first.rid == 101);
        CHECK(first.id == RequestId{1});
        CHECK(first.creation);
        CHECK(lt.requests_released == ids({1}));
        auto second = w.pop_front(lt);
        CHECK(second.rid == 102);
        CHECK(second.id == RequestId{2});
        CHECK(second.deadline == t0 + util::Seconds(1));
        CHECK_FALSE(second.creation);
        CHECK(second.key == key); // a resend must repeat it (C124-15.4-04)
        CHECK(lt.requests_released == ids({1, 2}));
        CHECK(lt.requests_taken.empty());
        CHECK(w.held().empty());
        CHECK_FALSE(w.open());
    }

    TEST_CASE("to_front() moves one held request first, the others keep their order") {
        RequestWindow w(100, 4, false);
        Lifetimes lt;
        for (std::uint64_t i = 1; i <= 4; ++i) {
            w.hold(held_request(100 + i, i, t0), lt);
        }
        lt.clear();
        w.to_front(RequestId{3});
        CHECK(held_ids(w) == ids({3, 1, 2, 4}));
        w.to_front(RequestId{3}); // already first
        CHECK(held_ids(w) == ids({3, 1, 2, 4}));
        w.to_front(RequestId{4});
        CHECK(held_ids(w) == ids({4, 3, 1, 2}));
        w.to_front(RequestId{99}); // not held: nothing moves
        CHECK(held_ids(w) == ids({4, 3, 1, 2}));
        // Moving is not taking or releasing.
        CHECK(lt.requests_taken.empty());
        CHECK(lt.requests_released.empty());
        CHECK(w.pop_front(lt).rid == 104);
        CHECK(lt.requests_released == ids({4}));
    }

    TEST_CASE("C124-8-05 C124-8-07 due() counts up to the newest request whose wait expired") {
        RequestWindow w(100, 3, false);
        Lifetimes lt;
        CHECK(w.due(t0 + util::Seconds(1000)) == 0); // nothing held
        w.hold(held_request(101, 1, t0 + util::Seconds(10)), lt);
        w.hold(held_request(102, 2, t0 + util::Seconds(20)), lt);
        w.hold(held_request(103, 3, t0 + util::Seconds(30)), lt);
        CHECK(w.due(t0) == 0);
        CHECK(w.due(t0 + util::Seconds(10) - util::Duration(1)) == 0);
        CHECK(w.due(t0 + util::Seconds(10)) == 1); // at the deadline exactly
        CHECK(w.due(t0 + util::Seconds(25)) == 2);
        CHECK(w.due(t0 + util::Seconds(30)) == 3);
        // A newer request due first (its wait was reset by a resend) takes
        // the older ones with it: replies go out in rid order.
        RequestWindow v(100, 3, false);
        v.hold(held_request(101, 1, t0 + util::Seconds(50)), lt);
        v.hold(held_request(102, 2, t0 + util::Seconds(5)), lt);
        v.hold(held_request(103, 3, t0 + util::Seconds(60)), lt);
        CHECK(v.due(t0 + util::Seconds(4)) == 0);
        CHECK(v.due(t0 + util::Seconds(5)) == 2);
        CHECK(v.due(t0 + util::Seconds(59)) == 2);
        CHECK(v.due(t0 + util::Seconds(60)) == 3);
    }

    TEST_CASE("C124-14.3-03 reattach() of a held rid: the new connection takes its place") {
        RequestWindow w(100, 3, false);
        Lifetimes lt;
        w.hold(held_request(101, 1, t0 + util::Seconds(60)), lt);
        w.hold(held_request(102, 2, t0 + util::Seconds(61)), lt);
        lt.clear();
        const auto replaced = w.reattach(101, RequestId{7}, t0 + util::Seconds(90), lt);
        REQUIRE(replaced);
        CHECK(*replaced == RequestId{1});  // to be answered with a recoverable error
        CHECK(held_ids(w) == ids({7, 2})); // same place in rid order
        CHECK(w.held_rid(101)->id == RequestId{7});
        CHECK(w.held_rid(101)->deadline == t0 + util::Seconds(90)); // a fresh wait
        CHECK(lt.requests_released == ids({1}));
        CHECK(lt.requests_taken == ids({7}));
    }

    TEST_CASE("C124-14.3-03 reattach() of a parked rid, attached or not") {
        RequestWindow w(100, 3, false);
        Lifetimes lt;
        w.park(102, parked_request(2), lt);
        w.park(103, parked_request(3), lt);
        w.detach(RequestId{3}, lt);
        lt.clear();
        // Attached: the old connection is replaced and reported released.
        auto replaced = w.reattach(102, RequestId{8}, t0, lt);
        REQUIRE(replaced);
        CHECK(*replaced == RequestId{2});
        CHECK(w.parked(102)->id == RequestId{8});
        CHECK(w.parked(102)->attached);
        CHECK(lt.requests_released == ids({2}));
        CHECK(lt.requests_taken == ids({8}));
        lt.clear();
        // Detached: nobody to answer, it was released already; the resend
        // attaches it again.
        replaced = w.reattach(103, RequestId{9}, t0, lt);
        CHECK_FALSE(replaced);
        CHECK(w.parked(103)->id == RequestId{9});
        CHECK(w.parked(103)->attached);
        CHECK(lt.requests_released.empty());
        CHECK(lt.requests_taken == ids({9}));
        // The payloads keep their place: the attributes are the first ones.
        CHECK(w.parked(103)->attrs.rid == 3u);
        lt.clear();
        // A rid neither held nor parked: nothing to take over, nothing reported.
        CHECK_FALSE(w.reattach(101, RequestId{10}, t0, lt));
        CHECK_FALSE(w.reattach(104, RequestId{10}, t0, lt));
        CHECK(lt.requests_taken.empty());
        CHECK(lt.requests_released.empty());
        CHECK(w.held().empty());
        CHECK(w.parked().size() == 2);
    }

    TEST_CASE("C124-8-02 detach() keeps a parked request in place, released once") {
        RequestWindow w(100, 3, false);
        Lifetimes lt;
        w.hold(held_request(101, 1, t0), lt);
        w.park(103, parked_request(3), lt);
        CHECK(lt.requests_taken == ids({1, 3}));
        lt.clear();
        w.detach(RequestId{3}, lt);
        REQUIRE(w.parked(103) != nullptr); // its payloads keep their rid
        CHECK_FALSE(w.parked(103)->attached);
        CHECK(lt.requests_released == ids({3}));
        w.detach(RequestId{3}, lt); // again: it was let go already
        CHECK(lt.requests_released == ids({3}));
        w.detach(RequestId{1}, lt); // a held request is not detached
        CHECK(lt.requests_released == ids({3}));
        CHECK(held_ids(w) == ids({1}));
        CHECK(lt.requests_taken.empty());
    }

    TEST_CASE("drop() forgets a held or a parked request and reports it released") {
        RequestWindow w(100, 3, false);
        Lifetimes lt;
        w.hold(held_request(101, 1, t0), lt);
        w.hold(held_request(102, 2, t0), lt);
        w.park(104, parked_request(4), lt);
        lt.clear();
        w.drop(RequestId{1}, lt);
        CHECK(held_ids(w) == ids({2}));
        CHECK(lt.requests_released == ids({1}));
        w.drop(RequestId{4}, lt);
        CHECK(w.parked().empty());
        CHECK(lt.requests_released == ids({1, 4}));
        CHECK(lt.requests_taken.empty());
        CHECK(w.open());
        CHECK(w.last() == 100); // rids are not touched
    }

    TEST_CASE("C124-17.2-10 take_open() empties the window: held first, then parked in rid order") {
        RequestWindow w(100, 5, false);
        Lifetimes lt;
        w.hold(held_request(101, 1, t0), lt);
        w.hold(held_request(102, 2, t0), lt);
        w.park(105, parked_request(5), lt);
        w.park(104, parked_request(4), lt);
        w.park(106, parked_request(6), lt);
        w.detach(RequestId{5}, lt); // its client left: no reply can reach it
        lt.clear();
        const auto open = w.take_open(lt);
        CHECK(open == ids({1, 2, 4, 6}));
        CHECK(lt.requests_released == ids({1, 2, 4, 6})); // 5 was released at detach()
        CHECK(lt.requests_taken.empty());
        CHECK(w.held().empty());
        CHECK(w.parked().empty());
        CHECK_FALSE(w.open());
        lt.clear();
        CHECK(w.take_open(lt).empty());
        CHECK(lt.requests_released.empty());
    }

    TEST_CASE("C124-14.3-08 requests let go of without a reply leave the replay cache alone") {
        // drop() and take_open() hand requests to the caller for an error or
        // terminal reply: those are never kept for a resend.
        RequestWindow w(100, 3, false);
        Lifetimes lt;
        const auto r101 = reply("r101");
        w.hold(held_request(101, 1, t0), lt);
        w.advance(101);
        w.cache().remember({101, r101, t0, {}});
        w.hold(held_request(102, 2, t0), lt);
        w.hold(held_request(103, 3, t0), lt);
        w.drop(RequestId{2}, lt);
        CHECK(w.take_open(lt) == ids({1, 3}));
        CHECK(w.cache().size() == 1);
        CHECK(cached(w.cache(), 101) == r101);
        CHECK(cached(w.cache(), 102) == nullptr);
        CHECK(cached(w.cache(), 103) == nullptr);
    }

    TEST_CASE("open(): a held request, or a parked one whose client is there") {
        RequestWindow w(100, 3, false);
        Lifetimes lt;
        CHECK_FALSE(w.open());
        w.park(102, parked_request(2), lt);
        CHECK(w.open());
        w.detach(RequestId{2}, lt);
        CHECK_FALSE(w.open()); // only a detached one: idle (C124-10-03 runs the clock)
        w.hold(held_request(101, 1, t0), lt);
        CHECK(w.open());
        w.pop_front(lt);
        CHECK_FALSE(w.open());
    }

    TEST_CASE("C124-14.2-01 gap_expired(): a parked request whose gap was not filled in time") {
        RequestWindow w(100, 4, false);
        Lifetimes lt;
        const auto gap = util::Seconds(120);
        auto early = parked_request(3);
        early.arrived = t0;
        auto late = parked_request(4);
        late.arrived = t0 + util::Seconds(10);
        w.park(104, late, lt);
        w.park(103, early, lt);
        CHECK_FALSE(w.gap_expired(t0, gap));
        CHECK_FALSE(w.gap_expired(t0 + gap - util::Duration(1), gap));
        CHECK(w.gap_expired(t0 + gap, gap) == RequestId{3});
        w.detach(RequestId{3}, lt); // nobody to tell: it never expires
        CHECK_FALSE(w.gap_expired(t0 + gap, gap));
        CHECK(w.gap_expired(t0 + util::Seconds(130), gap) == RequestId{4});
        // Held requests have their `wait`, not a gap.
        RequestWindow v(100, 2, false);
        v.hold(held_request(101, 1, t0), lt);
        CHECK_FALSE(v.gap_expired(t0 + util::Seconds(10000), gap));
    }

    TEST_CASE("next_deadline(): the earliest wait or gap expiry of a live request") {
        RequestWindow w(100, 4, false);
        Lifetimes lt;
        const auto gap = util::Seconds(120);
        CHECK_FALSE(w.next_deadline(gap));
        auto p = parked_request(3);
        p.arrived = t0;
        w.park(103, p, lt);
        CHECK(w.next_deadline(gap) == t0 + gap);
        w.hold(held_request(101, 1, t0 + util::Seconds(60)), lt);
        CHECK(w.next_deadline(gap) == t0 + util::Seconds(60));
        w.hold(held_request(102, 2, t0 + util::Seconds(30)), lt);
        CHECK(w.next_deadline(gap) == t0 + util::Seconds(30));
        w.drop(RequestId{2}, lt);
        w.drop(RequestId{1}, lt);
        CHECK(w.next_deadline(gap) == t0 + gap);
        w.detach(RequestId{3}, lt); // a detached request has no deadline
        CHECK_FALSE(w.next_deadline(gap));
    }

    TEST_CASE("take_next() hands a parked request back without reporting it") {
        // It stays the session's: the caller holds it (taken again) or
        // answers it (released) in the same call.
        RequestWindow w(100, 3, false);
        Lifetimes lt;
        w.park(102, parked_request(2), lt);
        lt.clear();
        w.advance(101);
        auto next = w.take_next();
        REQUIRE(next);
        CHECK(lt.requests_taken.empty());
        CHECK(lt.requests_released.empty());
        w.advance(102);
        w.hold(held_request(102, 2, t0), lt);
        CHECK(lt.requests_taken == ids({2}));
        CHECK(w.pop_front(lt).id == RequestId{2});
        CHECK(lt.requests_released == ids({2}));
    }
}

TEST_SUITE("bosh/session/replay_cache") {

    TEST_CASE("C124-14.3-01 the cache holds the last `requests` replies (requests=2)") {
        ReplayCache w(2, false);
        const auto r11 = reply("<body rid11/>");
        const auto r12 = reply("<body rid12/>");
        const auto r13 = reply("<body rid13/>");
        CHECK(cached(w, 11) == nullptr);
        w.remember({11, r11, {}, {}});
        CHECK(cached(w, 11) == r11); // the very same object, for byte-identical replays
        w.remember({12, r12, {}, {}});
        CHECK(cached(w, 11) == r11);
        CHECK(cached(w, 12) == r12);
        w.remember({13, r13, {}, {}}); // evicts the oldest
        CHECK(cached(w, 11) == nullptr);
        CHECK(cached(w, 12) == r12);
        CHECK(cached(w, 13) == r13);
        CHECK(cached(w, 14) == nullptr);
        CHECK(cached(w, 10) == nullptr);
        CHECK(cached(w, 13)->body == "<body rid13/>");
    }

    TEST_CASE("C124-14.3-01 the cache holds the last `requests` replies (requests=3)") {
        ReplayCache w(3, false);
        std::vector<ReplyPtr> replies;
        for (std::uint64_t rid = 11; rid <= 16; ++rid) {
            replies.push_back(reply("r" + std::to_string(rid)));
            w.remember({rid, replies.back(), {}, {}});
        }
        for (std::uint64_t rid = 11; rid <= 13; ++rid) {
            CAPTURE(rid);
            CHECK(cached(w, rid) == nullptr);
        }
        for (std::uint64_t rid = 14; rid <= 16; ++rid) {
            CAPTURE(rid);
            CHECK(cached(w, rid) == replies[rid - 11]);
        }
    }

    TEST_CASE("C124-14.3-01 replies stored out of rid order: the lowest rid leaves first") {
        // A request whose client went away is answered into the cache before
        // an older held one; the cache must still keep the newest rids.
        ReplayCache w(2, false);
        const auto r11 = reply("r11");
        const auto r12 = reply("r12");
        const auto r13 = reply("r13");
        w.remember({12, r12, {}, {}});
        w.remember({11, r11, {}, {}});
        w.remember({13, r13, {}, {}});
        CHECK(cached(w, 11) == nullptr);
        CHECK(cached(w, 12) == r12);
        CHECK(cached(w, 13) == r13);
    }

    TEST_CASE("C124-9.2-03 a client that acks: every unacknowledged reply is kept, bytes counted") {
        ReplayCache w(2, true);
        std::vector<ReplyPtr> replies;
        for (std::uint64_t rid = 11; rid <= 16; ++rid) {
            replies.push_back(reply("r" + std::to_string(rid)));
            w.remember({rid, replies.back(), {}, {}});
        }
        // Bodies of 3 bytes, plus a per-entry overhead: tiny replies count.
        const auto six = w.bytes();
        CHECK(six > 6 * 64);
        for (std::uint64_t rid = 11; rid <= 16; ++rid) {
            CAPTURE(rid);
            CHECK(cached(w, rid) == replies[rid - 11]); // not only the last `requests`
        }
        w.acknowledge(13); // rid <= ack can be forgotten
        CHECK(cached(w, 11) == nullptr);
        CHECK(cached(w, 13) == nullptr);
        CHECK(cached(w, 14) == replies[3]);
        CHECK(w.bytes() == six / 2);
        w.acknowledge(100);
        CHECK(cached(w, 16) == nullptr);
        CHECK(w.bytes() == 0);
    }

    TEST_CASE("C124-9.2-02 C124-15.4-04 a cached reply keeps its send time and key") {
        ReplayCache w(2, false);
        const util::TimePoint t0 = util::TimePoint{} + util::Seconds(5);
        const auto key = boshd::bosh::parse_key("0123456789abcdef0123456789ABCDEF01234567");
        REQUIRE(key);
        w.remember({11, reply("r11"), t0, key});
        REQUIRE(w.find(11));
        CHECK(w.find(11)->sent == t0);
        CHECK(w.find(11)->key == key);
        CHECK(w.find(12) == nullptr);
    }
}
