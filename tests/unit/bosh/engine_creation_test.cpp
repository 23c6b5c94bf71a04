// Session creation: XEP-0124 §7.1/§7.2 and XEP-0206 §3/§4, driven through the
// engine with a manual clock and a scripted XMPP server.
#include "bosh/reply.h"
#include "support/engine_harness.h"
#include "xml/body_parser.h"

#include <doctest/doctest.h>
#include <set>

using namespace boshd;
using test::Doc;
using test::EngineHarness;
using test::parse;
using Opts = EngineHarness::CreateOpts;

namespace {

constexpr const char* kXbosh = "urn:xmpp:xbosh";

// Posts a creation request with |o|, brings the stream up and returns the
// creation reply's document text.
std::string creation_reply(EngineHarness& h, const Opts& o) {
    h.create_with(o);
    return h.body(h.creation_request);
}

// A creation request that should be refused: no session, no backend.
void check_refused(EngineHarness& h, const std::string& body, const char* condition, int status) {
    const auto id = h.post(body);
    REQUIRE(h.answered(id));
    const Doc d(h.body(id));
    CHECK(d.attr("type") == "terminate");
    CHECK(d.attr("condition") == condition);
    CHECK(h.reply(id).status == status);
    CHECK(h.engine.session_count() == 0);
    CHECK(h.links_opened() == 0);
}

} // namespace

TEST_SUITE("bosh/engine/creation") {
    TEST_CASE("C124-7.2-01 C124-7.2-02 sids are 128-bit lower-case hex and unique") {
        auto limits = EngineHarness::default_limits();
        limits.max_sessions_per_ip = 0; // 200 sessions from one client
        limits.max_new_sessions_per_ip = 0;
        EngineHarness h{limits};
        std::set<std::string> sids;
        for (int i = 0; i < 200; ++i) {
            const auto sid = h.create_with({.rid = 1000u + static_cast<unsigned>(i)});
            CHECK(sid.size() == 32);
            CHECK(sid.find_first_not_of("0123456789abcdef") == std::string::npos);
            sids.insert(sid);
        }
        CHECK(sids.size() == 200);
        CHECK(h.engine.session_count() == 200);
    }

    TEST_CASE("C124-7.2-01 a random sid that collides with a live one is drawn again") {
        // A generator that repeats its first 16 bytes once, then counts up.
        struct Repeating final : util::Random {
            int calls = 0;
            void fill(std::span<std::uint8_t> out) override {
                static constexpr int kSeq[] = {1, 1, 2, 3};
                const int n = kSeq[std::min(calls++, 3)];
                for (auto& b : out) {
                    b = static_cast<std::uint8_t>(n);
                }
            }
        } random;
        test::CaptureLog capture;
        util::Logger log(capture, util::LogLevel::Debug);
        bosh::Engine engine(EngineHarness::default_limits(),
                            bosh::RouteTable(EngineHarness::default_routes()), random, log);
        bosh::Actions out;
        std::vector<std::string> sids;
        for (std::uint64_t i = 0; i < 2; ++i) {
            out.clear();
            const auto body = EngineHarness::creation_body({});
            engine.handle(bosh::RequestArrived{bosh::RequestId{i + 1}, body, util::Endpoint{}}, {},
                          out);
            const auto* open = std::get_if<bosh::OpenBackend>(&out.at(0));
            REQUIRE(open);
            out.clear();
            engine.handle(bosh::BackendConnected{open->link}, {}, out);
            out.clear();
            const std::string server = std::string(test::kServerHeader) + test::kFeatures;
            engine.handle(bosh::BackendData{open->link, server}, {}, out);
            REQUIRE(out.size() == 1);
            sids.push_back(Doc(std::get<bosh::Respond>(out[0]).reply->body).attr("sid"));
        }
        CHECK(sids[0] != sids[1]);
        CHECK(random.calls == 3); // the colliding draw was thrown away
    }

    TEST_CASE("C124-7.2-03 the granted wait is never longer than asked, capped by max_wait") {
        EngineHarness h;
        CHECK(Doc(creation_reply(h, {.wait = "120"})).attr("wait") == "60");
        CHECK(Doc(creation_reply(h, {.rid = 2000, .wait = "5"})).attr("wait") == "5");
        CHECK(Doc(creation_reply(h, {.rid = 3000, .wait = "65535"})).attr("wait") == "60");
        // Omitted: the server's maximum.
        CHECK(Doc(creation_reply(h, {.rid = 4000, .wait = {}})).attr("wait") == "60");
    }

    TEST_CASE("C124-7.2-03 the clamped wait is the one applied") {
        EngineHarness h;
        h.create_with({.wait = "120"});
        const auto r1 = h.send();
        h.advance_s(59);
        CHECK_FALSE(h.answered(r1));
        h.advance_s(1);
        CHECK(h.answered(r1));
    }

    TEST_CASE(
        "C124-7.2-10 by default hold='2' is granted as hold='1', as Prosody and ejabberd do") {
        // StanzaJS asks for hold='2' with two connections: both held, it
        // could send nothing until `wait` expired.
        EngineHarness h(bosh::Limits{});
        Doc d(creation_reply(h, {.hold = "2"}));
        CHECK(d.attr("hold") == "1");
        CHECK(d.attr("requests") == "2");
        const auto held = h.send();
        CHECK_FALSE(h.answered(held));
        const auto next = h.send(test::msg("sent at once")); // the second connection
        CHECK(h.answered(held));                             // released: hold is 1
        CHECK_FALSE(h.answered(next));
    }

    TEST_CASE(
        "C124-7.2-04 C124-7.2-05 C124-7.2-09 C124-7.2-10 hold is clamped, requests = hold+1") {
        EngineHarness h; // max_hold = 2
        Doc d1(creation_reply(h, {.hold = "1"}));
        CHECK(d1.attr("hold") == "1");
        CHECK(d1.attr("requests") == "2");
        Doc d2(creation_reply(h, {.rid = 2000, .hold = "2"}));
        CHECK(d2.attr("hold") == "2");
        CHECK(d2.attr("requests") == "3");
        Doc d5(creation_reply(h, {.rid = 3000, .hold = "5"}));
        CHECK(d5.attr("hold") == "2");
        CHECK(d5.attr("requests") == "3");
        Doc d0(creation_reply(h, {.rid = 4000, .hold = "0"}));
        CHECK(d0.attr("hold") == "0");
        CHECK(d0.attr("requests") == "1");
        // Omitted: hold 1.
        Doc dn(creation_reply(h, {.rid = 5000, .hold = {}}));
        CHECK(dn.attr("hold") == "1");
        CHECK(dn.attr("requests") == "2");
    }

    TEST_CASE("C124-12-01 a client asking for hold=1 is not forced to poll") {
        EngineHarness h;
        CHECK(std::stoi(Doc(creation_reply(h, {.hold = "1"})).attr("requests")) >= 2);
    }

    TEST_CASE("C124-7.2-07 C124-7.2-08 C124-10-05 polling and inactivity are advertised") {
        EngineHarness h; // inactivity 30, polling 2
        Doc d(creation_reply(h, {}));
        CHECK(d.attr("inactivity") == "30");
        CHECK(d.attr("polling") == "2");
    }

    TEST_CASE("C124-11-05 no polling attribute when polling is configured as zero") {
        auto limits = EngineHarness::default_limits();
        limits.polling = util::Seconds(0);
        EngineHarness h(limits);
        CHECK_FALSE(Doc(creation_reply(h, {})).has("polling"));
    }

    TEST_CASE("C124-12-02 polling sessions get inactivity + 2*polling") {
        EngineHarness h;
        const int normal = std::stoi(Doc(creation_reply(h, {.hold = "1"})).attr("inactivity"));
        Doc held0(creation_reply(h, {.rid = 2000, .hold = "0"}));
        Doc wait0(creation_reply(h, {.rid = 3000, .wait = "0"}));
        CHECK(normal == 30);
        CHECK(held0.attr("inactivity") == "34");
        CHECK(wait0.attr("inactivity") == "34");
        CHECK(std::stoi(held0.attr("inactivity")) - normal > std::stoi(held0.attr("polling")));
    }

    TEST_CASE("C124-7.1-04 C124-7.2-06 ver is min(client, 1.11), compared numerically") {
        EngineHarness h;
        const std::vector<std::pair<std::string, std::string>> cases = {
            {"1.10", "1.10"}, {"1.9", "1.9"},   {"1.6", "1.6"},  {"1.11", "1.11"},
            {"1.12", "1.11"}, {"99.0", "1.11"}, {"2.1", "1.11"}, {"1.011", "1.11"}};
        std::uint64_t rid = 1000;
        for (const auto& [asked, granted] : cases) {
            CAPTURE(asked);
            CHECK(Doc(creation_reply(h, {.rid = rid, .ver = asked})).attr("ver") == granted);
            rid += 1000;
        }
        // No ver from the client: none in the reply either.
        CHECK_FALSE(Doc(creation_reply(h, {.rid = rid, .ver = {}})).has("ver"));
    }

    TEST_CASE("C124-7.1-08 content is the Content-Type of every reply, replays included") {
        EngineHarness h;
        const std::string type = "text/html; charset=utf-8";
        h.create("content='" + type + "'");
        CHECK(h.reply(h.creation_request).content_type == type);
        const auto r1 = h.send(); // answered empty at wait expiry
        h.advance_s(60);
        REQUIRE(h.answered(r1));
        const auto r2 = h.send();
        h.server_send("<message from='a@example.com'><body>x</body></message>");
        REQUIRE(h.answered(r2));
        const auto again = h.post(h.request_body(h.last_rid)); // replay of r2
        REQUIRE(h.answered(again));
        const auto r3 = h.send();
        const auto r3_again = h.post(h.request_body(h.last_rid)); // r3 gets type='error'
        const auto stop =
            h.send("<presence xmlns='jabber:client' type='unavailable'/>", "type='terminate'");
        for (auto id : {r1, r2, again, r3, r3_again, stop}) {
            REQUIRE(h.answered(id));
            CHECK(h.reply(id).content_type == type);
        }
        CHECK(Doc(h.body(r3)).attr("type") == "error");
        CHECK(Doc(h.body(r3_again)).attr("type") == "terminate");
        CHECK_FALSE(Doc(h.body(stop)).has("type")); // C124-13-02: not the oldest
        // An error reply inside the session too.
        h.create_with({.rid = 5000, .extra = "content='" + type + "'"});
        const auto beyond = h.send("", "", h.last_rid + 10);
        REQUIRE(h.answered(beyond));
        CHECK(Doc(h.body(beyond)).attr("condition") == "item-not-found");
        CHECK(h.reply(beyond).content_type == type);
        CHECK(h.max_times_answered() <= 1);
    }

    TEST_CASE("C124-7.1-09 without content every reply is text/xml; charset=utf-8") {
        EngineHarness h;
        h.create();
        const auto r1 = h.send();
        h.advance_s(60);
        const auto stop = h.send("", "type='terminate'");
        for (auto id : {h.creation_request, r1, stop}) {
            REQUIRE(h.answered(id));
            CHECK(h.reply(id).content_type == "text/xml; charset=utf-8");
            CHECK(h.reply(id).status == 200);
        }
    }

    TEST_CASE("C206-4-03 C206-4-01 C206-11-01 restartlogic and version are xbosh-qualified") {
        EngineHarness h;
        const auto body = creation_reply(h, {});
        const auto b = parse(body);
        CHECK(b.attribute(kXbosh, "restartlogic") == "true");
        CHECK(b.attribute(kXbosh, "version") == "1.0");
        CHECK_FALSE(b.attribute({}, "restartlogic"));
        CHECK_FALSE(b.attribute({}, "version"));
        CHECK(b.attribute({}, "ver") == "1.11"); // BOSH's own, separate and unqualified
    }

    TEST_CASE("C124-7.2-11 C206-4-05 from and authid come from the server's header") {
        EngineHarness h;
        Doc d(creation_reply(h, {}));
        CHECK(d.attr("from") == "example.com");
        CHECK(d.attr("authid") == "srv-stream-1");
        CHECK_FALSE(d.has("secure")); // tls = none route
    }

    TEST_CASE("C124-7.2-15 C124-9.1-02 the creation reply acks the creation rid") {
        EngineHarness h;
        CHECK(Doc(creation_reply(h, {.rid = 4242})).attr("ack") == "4242");
    }

    TEST_CASE("C124-7.2-13 accept is advertised as configured, and only on creation") {
        auto limits = EngineHarness::default_limits();
        limits.accept = "deflate,gzip";
        EngineHarness h(limits);
        h.create();
        CHECK(Doc(h.body(h.creation_request)).attr("accept") == "deflate,gzip");
        const auto r1 = h.send();
        h.send();
        REQUIRE(h.answered(r1));
        CHECK_FALSE(Doc(h.body(r1)).has("accept"));
    }

    TEST_CASE("C124-7.2-13 no accept when no coding is decoded") {
        EngineHarness h;
        CHECK_FALSE(Doc(creation_reply(h, {})).has("accept"));
    }

    TEST_CASE("C206-4-02 C206-2-02 the creation reply waits for the features and carries them") {
        EngineHarness h;
        const auto id = h.post(EngineHarness::creation_body({}));
        h.connect();
        h.server_send(test::kServerHeader);
        h.advance_s(5);
        CHECK_FALSE(h.answered(id));
        h.server_send(test::kFeatures);
        REQUIRE(h.answered(id));
        const auto& body = h.body(id);
        CHECK(body.find("xmlns:stream='http://etherx.jabber.org/streams'") <
              body.find('>')); // declared on <body> itself
        const auto b = parse(body);
        REQUIRE(b.payloads.size() == 1);
        CHECK(b.payloads[0].is(xml::kStreamsNs, "features"));
        CHECK(b.payloads[0].bytes.find("<mechanism>PLAIN</mechanism>") != std::string::npos);
    }

    TEST_CASE("C206-4-02 C206-4-01 C124-7.2-11 late header and features go in a later reply") {
        EngineHarness h;
        const auto id = h.post(EngineHarness::creation_body({.wait = "5"}));
        h.connect();
        h.advance_s(5); // the creation reply leaves at wait expiry, without features
        REQUIRE(h.answered(id));
        Doc d(h.body(id));
        CHECK_FALSE(d.attr("sid").empty());
        CHECK(d.children().empty());
        CHECK_FALSE(d.has("from"));
        CHECK_FALSE(d.has("xmpp:version"));
        h.sid = d.attr("sid");
        h.last_rid = 1000;
        const auto r1 = h.send();
        h.advance_s(1);
        CHECK_FALSE(h.answered(r1));
        h.server_send(std::string(test::kServerHeader) + test::kFeatures);
        REQUIRE(h.answered(r1)); // at once, not at wait expiry
        const auto b = parse(h.body(r1));
        CHECK(b.attribute({}, "from") == "example.com");
        CHECK(b.attribute(kXbosh, "version") == "1.0");
        REQUIRE(b.payloads.size() == 1);
        CHECK(b.payloads[0].is(xml::kStreamsNs, "features"));
        // Only once: the next reply carries neither.
        const auto r2 = h.send("<presence xmlns='jabber:client'/>");
        REQUIRE(h.answered(r1));
        h.advance_s(5);
        REQUIRE(h.answered(r2));
        CHECK_FALSE(Doc(h.body(r2)).has("from"));
        CHECK(h.max_times_answered() <= 1);
    }

    TEST_CASE("C124-7.2-12 creation-only attributes never appear on later replies") {
        EngineHarness h;
        h.create();
        const auto r1 = h.send();
        h.server_send("<message from='a@example.com'><body>x</body></message>");
        const auto r2 = h.send();
        h.advance_s(60);
        const auto stop = h.send("", "type='terminate'");
        for (auto id : {r1, r2, stop}) {
            REQUIRE(h.answered(id));
            Doc d(h.body(id));
            for (const char* a :
                 {"sid", "wait", "requests", "ver", "polling", "inactivity", "hold", "accept",
                  "charsets", "maxpause", "authid", "xmpp:restartlogic"}) {
                CAPTURE(a);
                CHECK_FALSE(d.has(a));
            }
        }
    }

    TEST_CASE(
        "C124-7.1-02 C124-7.1-03 C124-7.1-07 C206-3-02 to, xml:lang and from reach the header") {
        EngineHarness h;
        h.create_with({.lang = "de", .extra = "from='user@example.com'"});
        const auto headers = test::stream_headers(h.written());
        REQUIRE(headers.size() == 1);
        CHECK(test::tag_attr(headers[0], "to") == "example.com");
        CHECK(test::tag_attr(headers[0], "xml:lang") == "de");
        CHECK(test::tag_attr(headers[0], "from") == "user@example.com");
    }

    TEST_CASE("C206-3-01 the header's version is the xbosh version, by namespace") {
        SUBCASE("xmpp: prefix") {
            EngineHarness h;
            h.create_with({.xmpp_version = "1.0"});
            CHECK(test::tag_attr(test::stream_headers(h.written()).at(0), "version") == "1.0");
        }
        SUBCASE("another prefix bound to urn:xmpp:xbosh") {
            EngineHarness h;
            h.create_with(
                {.xmpp_version = {}, .extra = "xmlns:x='urn:xmpp:xbosh' x:version='1.5'"});
            CHECK(test::tag_attr(test::stream_headers(h.written()).at(0), "version") == "1.5");
        }
        SUBCASE("an unqualified version is not the xbosh one: the default 1.0 is used") {
            EngineHarness h;
            h.create_with({.xmpp_version = {}, .extra = "version='9.9'"});
            CHECK(test::tag_attr(test::stream_headers(h.written()).at(0), "version") == "1.0");
        }
        SUBCASE("an xmpp: prefix bound elsewhere is not the xbosh one") {
            EngineHarness h;
            h.create_with(
                {.xmpp_version = {}, .extra = "xmlns:xmpp='urn:other' xmpp:version='9.9'"});
            CHECK(test::tag_attr(test::stream_headers(h.written()).at(0), "version") == "1.0");
        }
    }

    TEST_CASE("C206-3-03 boshd writes the stream header itself when the link is up") {
        EngineHarness h;
        h.post(EngineHarness::creation_body({}));
        REQUIRE(h.links_opened() == 1);
        CHECK(h.opened()[0].route->host == "127.0.0.1");
        CHECK(h.written().empty());
        h.connect();
        const auto headers = test::stream_headers(h.written());
        REQUIRE(headers.size() == 1);
        CHECK(test::tag_attr(headers[0], "xmlns") == "jabber:client");
        CHECK(test::tag_attr(headers[0], "xmlns:stream") == "http://etherx.jabber.org/streams");
    }

    TEST_CASE("creation payloads wait for the stream and are then forwarded in order") {
        EngineHarness h;
        const auto id =
            h.post(EngineHarness::creation_body({.payload = "<presence xmlns='jabber:client'/>"}));
        h.connect();
        CHECK(h.written().find("<presence") == std::string::npos);
        h.server_send(std::string(test::kServerHeader) + test::kFeatures);
        REQUIRE(h.answered(id));
        const auto w = h.written();
        CHECK(w.find("<presence xmlns='jabber:client'/>") > w.find("<stream:stream"));
    }

    TEST_CASE("C124-17.2-06 host-unknown for an unrouted domain, no session created") {
        EngineHarness h;
        check_refused(h, EngineHarness::creation_body({.to = "unknown.invalid"}), "host-unknown",
                      200);
        check_refused(h, EngineHarness::creation_body({.to = "sub.example.com"}), "host-unknown",
                      200);
        CHECK(h.engine.counters().sessions_created == 0);
    }

    TEST_CASE("routes match the domain case-insensitively") {
        EngineHarness h;
        h.create_with({.to = "EXAMPLE.com"});
        CHECK(h.engine.session_count() == 1);
    }

    TEST_CASE("C124-17.2-07 improper-addressing for a missing or empty to") {
        EngineHarness h;
        check_refused(h, EngineHarness::creation_body({.to = {}}), "improper-addressing", 200);
        check_refused(h, EngineHarness::creation_body({.to = ""}), "improper-addressing", 200);
    }

    TEST_CASE("C124-6-10 C124-17.1-02 schema-breaking creation attributes are bad-request") {
        for (const auto& [rid, wait, hold] :
             std::vector<std::tuple<std::string, std::string, std::string>>{
                 {"abc", "60", "1"},
                 {"0", "60", "1"},
                 {"1000", "x", "1"},
                 {"1000", "60", "-1"},
                 {"-5", "60", "1"},
                 {"1000", "60", "1.5"}}) {
            CAPTURE(rid);
            CAPTURE(wait);
            CAPTURE(hold);
            const std::string attrs = "<body rid='" + rid + "' to='example.com' wait='" + wait +
                                      "' hold='" + hold +
                                      "' xmlns='http://jabber.org/protocol/httpbind'";
            EngineHarness h;
            // Legacy client (no ver): HTTP 400 (C124-17.1-02).
            check_refused(h, attrs + "/>", "bad-request", 400);
            // With ver: 200 (C124-17.1-01).
            check_refused(h, attrs + " ver='1.11'/>", "bad-request", 200);
        }
    }

    TEST_CASE("C124-6-09 a creation request without rid is bad-request") {
        EngineHarness h;
        check_refused(h,
                      "<body to='example.com' wait='60' hold='1' ver='1.11' "
                      "xmlns='http://jabber.org/protocol/httpbind'/>",
                      "bad-request", 200);
        check_refused(h,
                      "<body to='example.com' wait='60' hold='1' "
                      "xmlns='http://jabber.org/protocol/httpbind'/>",
                      "bad-request", 400);
    }

    TEST_CASE("C124-7.1-01 a body with an unknown sid never creates a session") {
        EngineHarness h;
        const auto id = h.post("<body rid='5' sid='nope' to='example.com' wait='10' hold='1' "
                               "ver='1.11' xmlns='http://jabber.org/protocol/httpbind'/>");
        REQUIRE(h.answered(id));
        CHECK(Doc(h.body(id)).attr("condition") == "item-not-found");
        CHECK(h.engine.session_count() == 0);
        CHECK(h.links_opened() == 0);
    }

    TEST_CASE("C124-7.1-05 the route attribute is ignored") {
        EngineHarness h;
        h.create("route='xmpp:unrelated.invalid:1'");
        REQUIRE(h.links_opened() == 1);
        CHECK(h.opened()[0].route->host == "127.0.0.1");
        CHECK(h.opened()[0].route->port == 5222);
    }

    TEST_CASE("L124-01 N206-07 a secure attribute is accepted and ignored") {
        EngineHarness h;
        Doc d(creation_reply(h, {.extra = "secure='true'"}));
        CHECK_FALSE(d.has("type"));
        CHECK(h.engine.session_count() == 1);
    }

    TEST_CASE("C124-15.1-01 without newkey at creation, key and newkey are ignored") {
        // Key sequencing starts only with a `newkey` on the creation request.
        EngineHarness h;
        h.create();
        const auto r1 = h.send("", "key='ffffffffffffffffffffffffffffffffffffffff' "
                                   "newkey='0123456789abcdef0123456789abcdef01234567'");
        h.advance_s(60);
        const auto r2 = h.send("", "key='0000000000000000000000000000000000000000'");
        h.advance_s(60);
        REQUIRE(h.answered(r1));
        REQUIRE(h.answered(r2));
        CHECK_FALSE(Doc(h.body(r1)).has("type"));
        CHECK_FALSE(Doc(h.body(r2)).has("type"));
    }

    TEST_CASE("max_sessions reached: undefined-condition, no session, no link") {
        auto limits = EngineHarness::default_limits();
        limits.max_sessions = 2;
        EngineHarness h(limits);
        h.create();
        h.create_with({.rid = 2000});
        const auto id = h.post(EngineHarness::creation_body({.rid = 3000}));
        REQUIRE(h.answered(id));
        CHECK(Doc(h.body(id)).attr("condition") == "undefined-condition");
        CHECK(h.engine.session_count() == 2);
        CHECK(h.links_opened() == 2);
        // A slot frees up when a session ends.
        h.send("", "type='terminate'");
        CHECK(h.engine.session_count() == 1);
        h.create_with({.rid = 4000});
        CHECK(h.engine.session_count() == 2);
    }

    TEST_CASE("C124-16.3-01 no multi-streams: to/route/xml:lang on a later request are ignored") {
        EngineHarness h;
        Doc d(creation_reply(h, {}));
        CHECK_FALSE(d.has("stream"));
        const auto r1 =
            h.send("", "to='other.example' route='xmpp:other:5222' xml:lang='fr' from='x@y'");
        h.advance_s(60);
        REQUIRE(h.answered(r1));
        CHECK(h.body(r1) == "<body xmlns='http://jabber.org/protocol/httpbind'/>");
        CHECK(h.links_opened() == 1);
        CHECK(test::stream_headers(h.written()).size() == 1);
    }

    TEST_CASE("C124-7.1-10 creation-only attributes on later requests change nothing") {
        EngineHarness h;
        h.create();
        const auto r1 = h.send("", "wait='2' hold='3' content='text/plain' ver='1.6'");
        h.advance_s(59);
        CHECK_FALSE(h.answered(r1));
        h.advance_s(1);
        REQUIRE(h.answered(r1));
        CHECK(h.reply(r1).content_type == "text/xml; charset=utf-8");
        CHECK(h.body(r1) == "<body xmlns='http://jabber.org/protocol/httpbind'/>");
    }
}
