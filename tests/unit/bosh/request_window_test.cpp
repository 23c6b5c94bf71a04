#include "bosh/session/request_window.h"

#include <doctest/doctest.h>
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

    TEST_CASE("C124-9.2-02 a cached reply keeps its send time and key") {
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
