// What the engine counts for the metrics (bosh::Counters): how sessions
// end, resends, stanzas and bytes each way. svc/telemetry.cpp renders them.
#include "support/engine_harness.h"

#include <cstdint>
#include <doctest/doctest.h>
#include <string>

using namespace boshd;
using test::EngineHarness;

TEST_SUITE("bosh/engine/counters") {
    TEST_CASE("the engine counts sessions by how they end, resends, stanzas and bytes") {
        EngineHarness h;
        // 1: messages both ways, a resent rid, then the client's terminate.
        h.create();
        const auto r1 = h.send(test::msg("to-server-1"));
        h.server_send("<message from='a@example.com'><body>to-client-1</body></message>");
        REQUIRE(h.answered(r1));
        h.post(h.request_body(h.last_rid)); // resend of r1: from the cache
        h.send(test::msg("bye"), "type='terminate'");
        // 2: expires (inactivity 30 s in the harness).
        h.create("", 2000);
        h.advance_s(40);
        // 3: the server sends a stream error.
        h.create("", 3000);
        h.send();
        h.server_send("<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                      "</stream:error></stream:stream>");
        // 4: a request for an unknown sid ends nothing.
        h.post(EngineHarness::body_for("no-such-sid", 1));
        // 5: a rid far beyond the window ends the session with item-not-found.
        h.create("", 5000);
        h.send("", "", 5000 + 1000);

        const auto& c = h.engine.counters();
        CHECK(c.sessions_created == 4);
        CHECK(c.sessions_ended_by_client == 1);
        CHECK(c.sessions_expired == 1);
        CHECK(c.sessions_ended_by[bosh::index_of(bosh::Condition::RemoteStreamError)] == 1);
        CHECK(c.sessions_ended_by[bosh::index_of(bosh::Condition::ItemNotFound)] == 1);
        CHECK(c.sessions_terminated == 3);
        // Each ended session is counted once, in exactly one place.
        std::uint64_t ended = c.sessions_ended_by_client + c.sessions_expired;
        for (const auto n : c.sessions_ended_by) {
            ended += n;
        }
        CHECK(ended == c.sessions_created - h.engine.session_count());
        CHECK(c.rid_repeats == 1);
        CHECK(c.stanzas_to_server == 2); // to-server-1 and the terminate's
        // Every top-level element counts: to-client-1 and each creation
        // reply's <stream:features/>.
        CHECK(c.stanzas_to_client == 1 + 4);
        CHECK(c.bytes_to_server > 0);
        // Every written byte is counted, the stream headers and closes too.
        std::uint64_t written = 0;
        for (const auto& open : h.opened()) {
            written += h.written(open.link).size();
        }
        CHECK(c.bytes_to_server == written);
        std::uint64_t replied = 0;
        for (const auto& [id, reply] : h.all_replies()) {
            replied += reply->body.size();
        }
        // The unknown sid's reply counts too; every request here was answered
        // once (a resend is a request of its own).
        CHECK(h.max_times_answered() == 1);
        CHECK(c.bytes_to_client == replied);
    }

    TEST_CASE("a client that leaves its creation request: the session counts as expired") {
        EngineHarness h;
        const auto id = h.post(EngineHarness::creation_body({}));
        h.abort(id);
        CHECK(h.engine.session_count() == 0);
        CHECK(h.engine.counters().sessions_expired == 1);
        CHECK(h.engine.counters().sessions_terminated == 0);
    }

    TEST_CASE("shutdown ends every session with system-shutdown") {
        EngineHarness h;
        h.create();
        h.send();
        h.create("", 2000);
        h.shutdown();
        CHECK(h.engine.counters()
                  .sessions_ended_by[bosh::index_of(bosh::Condition::SystemShutdown)] == 2);
    }

    TEST_CASE("stanzas carried by a terminal body are counted to the client") {
        EngineHarness h;
        h.create();
        // Queued while no request is held, then the server fails: the
        // terminal reply carries the queued stanza.
        h.server_send("<message from='a@example.com'><body>last</body></message>");
        h.server_close();
        const auto r = h.send();
        REQUIRE(h.answered(r));
        CHECK(h.body(r).find("last") != std::string::npos);
        CHECK(h.engine.counters().stanzas_to_client == 2); // the features, then "last"
        CHECK(h.engine.counters()
                  .sessions_ended_by[bosh::index_of(bosh::Condition::RemoteConnectionFailed)] == 1);
    }
}
