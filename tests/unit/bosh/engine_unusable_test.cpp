// Requests the front end could not use (RequestUnusable): the engine alone
// decides their status and condition, answers each once and logs it once.
#include "support/engine_harness.h"

#include <doctest/doctest.h>
#include <string>

using namespace boshd;
using test::EngineHarness;

namespace {

struct Expected {
    bosh::UnusableReason why;
    std::string detail;
    int status;
    std::string condition;
    std::string reason;
};

const Expected kAll[] = {
    {bosh::UnusableReason::BodyTooLarge, "", 413, "policy-violation",
     "reason=\"body over http.max_body_size\""},
    {bosh::UnusableReason::DecodedTooLarge, "", 413, "policy-violation",
     "reason=\"decoded body over http.max_body_size\""},
    {bosh::UnusableReason::UnsupportedCoding, "", 415, "bad-request",
     "reason=\"unsupported Content-Encoding\""},
    {bosh::UnusableReason::CorruptCoding, "gzip", 200, "bad-request",
     "reason=\"corrupt gzip content\""},
    {bosh::UnusableReason::CorruptCoding, "deflate", 200, "bad-request",
     "reason=\"corrupt deflate content\""},
};

} // namespace

TEST_SUITE("bosh/engine/unusable") {
    TEST_CASE("C124-7.2-14 C124-17.1-01 each reason: its status and condition, one Respond") {
        for (const auto& e : kAll) {
            CAPTURE(e.reason);
            EngineHarness h;
            bosh::Actions out;
            const bosh::RequestId id{77};
            h.engine.handle(bosh::RequestUnusable{id, e.why, 5000, e.detail, "192.0.2.7:40000",
                                                  EngineHarness::default_client()},
                            h.now, out);
            REQUIRE(out.size() == 1);
            const auto* r = std::get_if<bosh::Respond>(&out[0]);
            REQUIRE(r != nullptr);
            CHECK(r->id == id);
            CHECK(r->reply->status == e.status);
            CHECK(r->reply->content_type == bosh::kDefaultContentType);
            CHECK(r->reply->body == "<body xmlns='http://jabber.org/protocol/httpbind' "
                                    "type='terminate' condition='" +
                                        e.condition + "'/>");
            CHECK(h.engine.session_count() == 0);
            CHECK(h.engine.counters().requests_rejected == 1);
            CHECK(h.engine.counters().requests_pending == 0);
        }
    }

    TEST_CASE("logged once as request.rejected, with the client, the peer and the size received") {
        for (const auto& e : kAll) {
            CAPTURE(e.reason);
            EngineHarness h;
            h.post_unusable(e.why, 5000, e.detail, "192.0.2.7:40000");
            REQUIRE(h.capture.count("request.rejected") == 1);
            REQUIRE(h.capture.lines.size() == 1);
            const auto& line = h.capture.lines[0];
            CHECK(line.level == util::LogLevel::Notice);
            CHECK(line.line.find("ip=192.0.2.7 ") != std::string::npos);
            CHECK(line.line.find("peer=192.0.2.7:40000") != std::string::npos);
            CHECK(line.line.find("condition=" + e.condition) != std::string::npos);
            CHECK(line.line.find(e.reason) != std::string::npos);
            CHECK(line.line.find("bytes=5000") != std::string::npos);
        }
    }

    TEST_CASE("a live session is not touched, and goes on") {
        EngineHarness h;
        h.create();
        const auto held = h.send();
        const auto before = h.responses();
        const auto bad = h.post_unusable(bosh::UnusableReason::BodyTooLarge, 9999);
        CHECK(h.responses() == before + 1);
        CHECK(h.times_answered(bad) == 1);
        CHECK_FALSE(h.answered(held));
        CHECK(h.engine.session_count() == 1);
        h.server_send("<message from='a@example.com'><body>still here</body></message>");
        REQUIRE(h.answered(held));
        CHECK(h.body(held).find("still here") != std::string::npos);
    }

    TEST_CASE("while shutting down: answered the same way") {
        EngineHarness h;
        h.shutdown();
        const auto bad = h.post_unusable(bosh::UnusableReason::UnsupportedCoding, 10);
        CHECK(h.reply(bad).status == 415);
        CHECK(test::condition(h, bad) == "bad-request");
    }
}
