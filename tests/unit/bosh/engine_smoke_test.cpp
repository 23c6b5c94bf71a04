#include "support/engine_harness.h"

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
}
