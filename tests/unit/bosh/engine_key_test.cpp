// Key sequencing: XEP-0124 §15. The client builds K1..Kn with
// K(i+1) = hex(SHA-1(K(i))), sends newkey=Kn on creation and then Kn-1,
// Kn-2, ... as `key`.
#include "support/engine_harness.h"
#include "support/key_chains.h"
#include "util/sha1.h"

#include <doctest/doctest.h>

using namespace boshd;
using test::condition;
using test::Doc;
using test::EngineHarness;
using test::key_chain;
using test::msg;
using test::upper;

namespace {

std::string key(const std::string& k) {
    return "key='" + k + "'";
}

} // namespace

TEST_SUITE("bosh/engine/keys") {
    TEST_CASE("sha1_hex: the FIPS 180 test vectors") {
        CHECK(util::sha1_hex("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d");
        CHECK(util::sha1_hex("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    }

    TEST_CASE("C124-15.4-01 each key hashes to the previous one") {
        const auto k = key_chain("seed-of-the-chain", 5);
        EngineHarness h;
        h.create("newkey='" + k[4] + "'");
        const auto r1 = h.send(msg("one"), key(k[3]));
        const auto r2 = h.send(msg("two"), key(k[2]));
        h.advance_s(60);
        for (auto id : {r1, r2}) {
            REQUIRE(h.answered(id));
            CHECK_FALSE(Doc(h.body(id)).has("type"));
        }
        CHECK(h.written().find("<body>two</body>") != std::string::npos);
        CHECK(h.engine.session_count() == 1);
    }

    TEST_CASE("C124-15.3-01 keys compare case-insensitively, hashed as received") {
        const auto k = key_chain("case", 5);
        EngineHarness h;
        h.create("newkey='" + upper(k[4]) + "'");
        const auto r1 = h.send(msg("one"), key(k[3]));
        CHECK_FALSE(h.answered(r1));
        CHECK(h.written().find("<body>one</body>") != std::string::npos);
        // Hashing the upper-case form gives another hash: that key fails.
        const auto r2 = h.send(msg("two"), key(upper(k[2])));
        REQUIRE(h.answered(r2));
        CHECK(condition(h, r2) == "item-not-found");
    }

    TEST_CASE("C124-15.4-02 a wrong key: the body is not used, the session ends") {
        const auto k = key_chain("wrong", 5);
        EngineHarness h;
        h.create("newkey='" + k[4] + "'");
        const auto r1 = h.send(msg("one"), key(k[3]));
        const auto r2 = h.send(msg("forged"), key(std::string(40, '0')));
        REQUIRE(h.answered(r2));
        CHECK(condition(h, r2) == "item-not-found");
        CHECK(condition(h, r1) == "other-request");
        CHECK(h.written().find("forged") == std::string::npos);
        CHECK(h.link_closed());
        CHECK(h.engine.session_count() == 0);
        CHECK(h.capture.count("key mismatch") == 1);
        const auto r3 = h.send("", key(k[2]));
        CHECK(condition(h, r3) == "item-not-found");
    }

    TEST_CASE("C124-15.4-02 a wrong key on a terminate request: nothing is forwarded") {
        const auto k = key_chain("terminate", 3);
        EngineHarness h;
        h.create("newkey='" + k[2] + "'");
        const auto r1 = h.send("<presence xmlns='jabber:client' type='unavailable'/>",
                               "type='terminate' " + key(k[0])); // skips k[1]
        REQUIRE(h.answered(r1));
        CHECK(condition(h, r1) == "item-not-found");
        CHECK(h.written().find("unavailable") == std::string::npos);
    }

    TEST_CASE("C124-15.4-02 a request waiting behind a gap is checked in rid order") {
        const auto k = key_chain("gap", 4);
        EngineHarness h;
        h.create("newkey='" + k[3] + "'");
        const auto r2 = h.send(msg("second"), key(std::string(40, 'b')), 1002);
        CHECK_FALSE(h.answered(r2));
        const auto r1 = h.send(msg("first"), key(k[2]), 1001);
        REQUIRE(h.answered(r2));
        CHECK(condition(h, r2) == "item-not-found");
        CHECK(h.written().find("first") != std::string::npos);
        CHECK(h.written().find("second") == std::string::npos);
        REQUIRE(h.answered(r1));
        CHECK(condition(h, r1) == "other-request");
    }

    TEST_CASE("C124-15.4-03 a missing key is a mismatch") {
        const auto k = key_chain("missing", 3);
        EngineHarness h;
        h.create("newkey='" + k[2] + "'");
        const auto r1 = h.send(msg("unkeyed"));
        REQUIRE(h.answered(r1));
        CHECK(condition(h, r1) == "item-not-found");
        CHECK(h.written().find("unkeyed") == std::string::npos);
        CHECK(h.capture.count("missing key") == 1);
    }

    TEST_CASE("C124-15.4-04 a verbatim resend gets the cached reply; the chain does not move") {
        const auto k = key_chain("resend", 5);
        EngineHarness h;
        h.create("newkey='" + k[4] + "'");
        const auto r1 = h.send(msg("one"), key(k[3]));
        h.advance_s(60);
        REQUIRE(h.answered(r1));
        const auto again = h.send(msg("one"), key(k[3]), 1001);
        CHECK(h.reply_ptr(again) == h.reply_ptr(r1));
        CHECK(test::occurrences(h.written(), "<body>one</body>") == 1);
        const auto r2 = h.send(msg("two"), key(k[2]));
        CHECK_FALSE(h.answered(r2));
        CHECK(h.written().find("<body>two</body>") != std::string::npos);
        CHECK(h.engine.session_count() == 1);
    }

    TEST_CASE("C124-15.4-04 a resend of a held request with its key takes over") {
        const auto k = key_chain("held", 3);
        EngineHarness h;
        h.create("newkey='" + k[2] + "'");
        const auto r1 = h.send("", key(k[1]));
        const auto again = h.send("", key(k[1]), 1001);
        REQUIRE(h.answered(r1));
        CHECK(Doc(h.body(r1)).attr("type") == "error"); // recoverable (C124-14.3-03)
        CHECK_FALSE(h.answered(again));
        CHECK(h.engine.session_count() == 1);
    }

    TEST_CASE("C124-15.4-02 a resend with another key does not get the cached reply") {
        const auto k = key_chain("steal", 3);
        EngineHarness h;
        h.create("newkey='" + k[2] + "'");
        const auto r1 = h.send(msg("one"), key(k[1]));
        h.advance_s(60);
        REQUIRE(h.answered(r1));
        const auto forged = h.send("", key(std::string(40, 'f')), 1001);
        REQUIRE(h.answered(forged));
        CHECK(condition(h, forged) == "item-not-found");
        CHECK(h.engine.session_count() == 0);
    }

    TEST_CASE("C124-15.5-01 key plus newkey switches to a new chain") {
        const auto k = key_chain("old", 2);
        const auto j = key_chain("new", 3);
        EngineHarness h;
        h.create("newkey='" + k[1] + "'");
        const auto r1 = h.send(msg("one"), key(k[0]) + " newkey='" + j[2] + "'");
        const auto r2 = h.send(msg("two"), key(j[1]));
        CHECK(h.written().find("<body>two</body>") != std::string::npos);
        REQUIRE(h.answered(r1));
        CHECK_FALSE(Doc(h.body(r1)).has("type"));
        CHECK_FALSE(h.answered(r2));
        const auto r3 = h.send(msg("three"), key(std::string(40, '7')));
        REQUIRE(h.answered(r3));
        CHECK(condition(h, r3) == "item-not-found");
        CHECK(h.written().find("three") == std::string::npos);
    }

    TEST_CASE("C124-15.4-02 a session that ended on the server side: the news is for the key "
              "holder only") {
        const auto k = key_chain("ended", 3);
        EngineHarness h;
        h.create("newkey='" + k[2] + "'");
        h.server_send("<message from='a@example.com'><body>secret</body></message>");
        h.server_send("</stream:stream>"); // nothing held: the terminal reply waits
        const auto forged = h.send("", key(std::string(40, '1')));
        REQUIRE(h.answered(forged));
        CHECK(condition(h, forged) == "item-not-found");
        CHECK(h.body(forged).find("secret") == std::string::npos);
        const auto r1 = h.send("", key(k[1]), h.last_rid);
        REQUIRE(h.answered(r1));
        CHECK(condition(h, r1) == "remote-connection-failed");
        CHECK(h.body(r1).find("secret") != std::string::npos);
        CHECK(h.engine.session_count() == 0);
    }

    TEST_CASE(
        "C124-6-10 C124-15.4-01 a key that is not 40 hex digits: bad-request, not forwarded") {
        const auto k = key_chain("long", 3);
        EngineHarness h;
        h.create("newkey='" + k[2] + "'");
        const auto r1 = h.send(msg("one"), key(k[1] + std::string(1000, 'a')));
        REQUIRE(h.answered(r1));
        CHECK(condition(h, r1) == "bad-request");
        CHECK(h.written().find("one") == std::string::npos);
    }

    TEST_CASE("C124-15.4-04 C206-6-04 a verbatim resend gets the pending terminal reply") {
        const auto k = key_chain("resend-ended", 3);
        EngineHarness h;
        h.create("newkey='" + k[2] + "'");
        const auto r1 = h.send("", key(k[1]));
        h.advance_s(60); // answered, into the cache; the client never gets it
        REQUIRE(h.answered(r1));
        h.server_send("<message from='a@example.com'><body>secret</body></message>");
        h.server_send("</stream:stream>");              // nothing held: the terminal reply waits
        const auto again = h.send("", key(k[1]), 1001); // same rid, same key
        REQUIRE(h.answered(again));
        CHECK(condition(h, again) == "remote-connection-failed");
        CHECK(h.body(again).find("secret") != std::string::npos);
        CHECK(h.engine.session_count() == 0);
    }
}
