#include "support/engine_harness.h"
#include "xml/body_parser.h"

#include <doctest/doctest.h>

using namespace boshd;
using test::Doc;
using test::EngineHarness;

TEST_SUITE("bosh/engine") {
    TEST_CASE("smoke: create, message both ways, terminate") {
        EngineHarness h;
        h.create();
        CHECK(h.written().find("<stream:stream") != std::string::npos);
        auto r1 = h.send();
        CHECK_FALSE(h.answered(r1));
        h.server_send("<message from='a@example.com'><body>hi</body></message>");
        REQUIRE(h.answered(r1));
        Doc d(h.reply(r1).body);
        CHECK(d.children() == std::vector<std::string>{"message"});
        CHECK(d.root().child("message").attribute("xmlns").value() == std::string("jabber:client"));
        auto r2 =
            h.send("<message to='b@example.com' xmlns='jabber:client'><body>yo</body></message>");
        CHECK(h.written().find("<body>yo</body>") != std::string::npos);
        auto r3 =
            h.send("<presence type='unavailable' xmlns='jabber:client'/>", "type='terminate'");
        CHECK(h.answered(r2));
        CHECK(h.answered(r3));
        CHECK(Doc(h.reply(r2).body).attr("type") == "terminate");
        CHECK(h.link_closed());
        CHECK(h.written().find("</stream:stream>") != std::string::npos);
        CHECK(h.engine.session_count() == 0);
    }

    TEST_CASE("C124-6-01 C124-8-03 every accepted request gets 200 and exactly one <body/> "
              "in the httpbind namespace") {
        EngineHarness h;
        h.create();
        // A representative session: empty poll, payloads both ways, a held
        // request pushed, a wait expiry, a resend from the cache, terminate.
        const auto r1 = h.send();
        h.server_send("<message from='a@example.com'><body>x</body></message>");
        h.send(test::msg("y"));
        h.advance_s(60);
        h.post(h.request_body(1001)); // resend: from the cache
        h.send(test::msg("bye"), "type='terminate'");
        CHECK(h.answered(r1));
        REQUIRE(h.all_replies().size() >= 5);
        for (const auto& [id, reply] : h.all_replies()) {
            CAPTURE(reply->body);
            CHECK(reply->status == 200);
            // boshd's own namespace-aware parser: one root, <body/> in
            // http://jabber.org/protocol/httpbind, nothing after it.
            CHECK(xml::parse_body(reply->body, {}).ok());
        }
    }
}
