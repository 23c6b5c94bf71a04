// The engine's indexes (request -> session, link -> session) follow only what
// the session parts report in Context::lifetimes (ARCHITECTURE.md §3): a
// request is indexed while it is held or parked with its client there, a
// link from OpenBackend until CloseBackend or BackendClosed, and an id that
// is no longer indexed finds nothing.
#include "support/engine_harness.h"

#include <doctest/doctest.h>

using namespace boshd;
using test::EngineHarness;

namespace {

std::uint64_t pending(const EngineHarness& h) {
    return h.engine.counters().requests_pending;
}

} // namespace

TEST_SUITE("bosh/engine/lifetimes") {
    TEST_CASE("C124-8-02 held and parked requests are indexed, answered ones are not") {
        EngineHarness::CreateOpts o;
        o.hold = "2"; // requests = 3: room for one held and one parked request
        EngineHarness h;
        h.create_with(o);
        CHECK(pending(h) == 0); // the creation request was answered
        const auto r1 = h.send();
        CHECK(pending(h) == 1);
        const auto gap = h.last_rid + 1;
        // Parked ahead of the gap. With payloads, like the request that fills
        // it: three empty requests at once would be overactive (C124-11-04).
        const auto r3 = h.send(test::msg("ahead of the gap"), "", h.last_rid + 2);
        CHECK(pending(h) == 2);
        h.abort(r3); // the parked request stays for rid order, no longer indexed
        CHECK(pending(h) == 1);
        const auto actions = h.responses();
        h.abort(r3); // a stale id finds nothing
        CHECK(h.responses() == actions);
        // Fills the gap; r3 is then answered at once, into the cache (the
        // adapter drops the reply: its client is gone).
        const auto r2 = h.send(test::msg("fills the gap"), "", gap);
        CHECK(h.answered(r3));
        CHECK(pending(h) == 2); // r1 and r2 held (hold 2)
        h.advance_s(60);        // `wait` expires for both
        CHECK(h.answered(r1));
        CHECK(h.answered(r2));
        CHECK(pending(h) == 0);
        // The resend of the request whose client left gets its reply from the cache.
        const auto again = h.send("", "", gap + 1);
        REQUIRE(h.answered(again));
        CHECK(h.body(again) == h.body(r3));
        CHECK(pending(h) == 0);
        CHECK(h.max_times_answered() == 1);
    }

    TEST_CASE("C124-14.3-03 a resend takes over the index of the request it replaces") {
        EngineHarness h;
        h.create();
        const auto first = h.send();
        const auto resend = h.send("", "", h.last_rid); // same rid, new connection
        REQUIRE(h.answered(first));                     // type='error'
        CHECK(pending(h) == 1);
        h.abort(first); // the replaced connection is no longer the session's
        CHECK_FALSE(h.answered(resend));
        CHECK(pending(h) == 1);
        h.abort(resend); // this one is: answered empty into the cache
        CHECK(pending(h) == 0);
    }

    TEST_CASE("a link is indexed until CloseBackend, and events on it are then ignored") {
        EngineHarness h;
        h.create();
        const auto link = h.opened().front().link;
        const auto r = h.send("", "type='terminate'");
        REQUIRE(h.answered(r));
        REQUIRE(h.link_closed(link));
        CHECK(h.engine.session_count() == 0);
        const auto actions = h.responses();
        h.clear_written();
        h.server_send("<message from='a@example.com'><body>late</body></message>", link);
        h.server_close(link);
        CHECK(h.responses() == actions);
        CHECK(h.written(link).empty());
        CHECK(pending(h) == 0);
    }
}
