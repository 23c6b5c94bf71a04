// Terminating sessions and reporting errors: XEP-0124 §13 and §17, malformed
// input, shutdown and backend failures.
#include "support/engine_harness.h"

#include <doctest/doctest.h>
#include <set>

using namespace boshd;
using test::condition;
using test::Doc;
using test::EngineHarness;
using test::kEmptyBody;
using test::msg;
using test::occurrences;

namespace {

constexpr const char* kUnavailable = "<presence xmlns='jabber:client' type='unavailable'/>";

// Two live sessions, A then B, each with one request held.
struct Two {
    EngineHarness h;
    EngineHarness::SessionRef a, b;
    bosh::RequestId a1{}, b1{};

    Two() {
        h.create();
        a1 = h.send();
        a = h.current();
        h.create_with({.rid = 5000});
        b1 = h.send();
        b = h.current();
    }

    // Checks that B was not disturbed: its request is still held, and it
    // still works.
    void check_b_alive() {
        CHECK_FALSE(h.answered(b1));
        h.use(b);
        h.server_send("<message from='a@example.com'><body>to b</body></message>", b.link);
        REQUIRE(h.answered(b1));
        CHECK(h.body(b1).find("to b") != std::string::npos);
        b = h.current();
    }
};

} // namespace

TEST_SUITE("bosh/engine/errors") {
    TEST_CASE("C124-13-01 C124-13-02 C124-13-03 terminate: payload forwarded, then the close") {
        EngineHarness h;
        h.create();
        const auto stop = h.send(kUnavailable, "type='terminate'");
        REQUIRE(h.answered(stop));
        CHECK(h.body(stop) ==
              "<body xmlns='http://jabber.org/protocol/httpbind' type='terminate'/>");
        const auto w = h.written();
        REQUIRE(w.find(kUnavailable) != std::string::npos);
        CHECK(w.find(kUnavailable) + std::string(kUnavailable).size() ==
              w.find("</stream:stream>"));
        CHECK(w.substr(w.size() - 16) == "</stream:stream>");
        CHECK(h.link_closed());
        CHECK(h.engine.session_count() == 0);
        const auto after = h.send();
        REQUIRE(h.answered(after));
        CHECK(condition(h, after) == "item-not-found");
    }

    TEST_CASE("C124-13-02 the oldest open request confirms, the others get EMPTY") {
        EngineHarness h;
        h.create_with({.hold = "2"});
        const auto r1 = h.send();
        const auto r2 = h.send(msg("x"));
        const auto stop = h.send(kUnavailable, "type='terminate'");
        REQUIRE(h.answered(r1));
        CHECK(h.body(r1) == "<body xmlns='http://jabber.org/protocol/httpbind' type='terminate'/>");
        CHECK(h.body(r2) == kEmptyBody);
        CHECK(h.body(stop) == kEmptyBody);
        CHECK(h.max_times_answered() <= 1);
    }

    TEST_CASE("C124-13-02 queued data is not lost on terminate") {
        EngineHarness h;
        h.create();
        h.server_send("<message from='a@example.com'><body>last words</body></message>");
        const auto stop = h.send("", "type='terminate'");
        REQUIRE(h.answered(stop));
        const Doc d(h.body(stop));
        CHECK(d.attr("type") == "terminate");
        CHECK(d.children() == std::vector<std::string>{"message"});
    }

    TEST_CASE("C124-13-04 a terminate waits for the earlier rids") {
        EngineHarness h;
        h.create();
        const auto r2 = h.send(kUnavailable, "type='terminate'", 1002);
        CHECK_FALSE(h.answered(r2));
        CHECK(h.written().find("unavailable") == std::string::npos);
        CHECK_FALSE(h.link_closed());
        const auto r1 = h.send(msg("first"), "", 1001);
        const auto w = h.written();
        CHECK(w.find("<body>first</body>") < w.find(kUnavailable));
        CHECK(w.find(kUnavailable) < w.find("</stream:stream>"));
        CHECK(Doc(h.body(r1)).attr("type") == "terminate");
        CHECK(h.body(r2) == kEmptyBody);
        CHECK(h.engine.session_count() == 0);
    }

    TEST_CASE("C124-17.2-10 a request ending the session: other-request on the others") {
        EngineHarness h;
        h.create_with({.hold = "2"});
        const auto r1 = h.send();
        const auto r2 = h.send(msg("x"));
        const auto bad = h.post(h.request_body(1003, "", "wait='x'"));
        REQUIRE(h.answered(bad));
        CHECK(condition(h, bad) == "bad-request");
        CHECK(condition(h, r1) == "other-request");
        CHECK(condition(h, r2) == "other-request");
        CHECK(Doc(h.body(r1)).attr("type") == "terminate");
        CHECK(h.engine.session_count() == 0);
        CHECK(h.link_closed());
    }

    TEST_CASE("C124-17.1-02 C124-17.1-03 legacy clients get 400/403/404, other conditions 200") {
        SUBCASE("bad-request: 400, other-request stays 200") {
            EngineHarness h;
            h.create_with({.ver = {}});
            const auto r1 = h.send();
            const auto bad = h.post(h.request_body(1002, "", "hold='-1'"));
            CHECK(h.reply(bad).status == 400);
            CHECK(condition(h, bad) == "bad-request");
            CHECK(h.reply(r1).status == 200);
            CHECK(condition(h, r1) == "other-request");
        }
        SUBCASE("policy-violation: 403") {
            EngineHarness h;
            h.create_with({.ver = {}});
            h.send();
            const auto r2 = h.send();
            CHECK(condition(h, r2) == "policy-violation");
            CHECK(h.reply(r2).status == 403);
        }
        SUBCASE("item-not-found: 404") {
            EngineHarness h;
            h.create_with({.ver = {}});
            const auto r = h.send("", "", 1005);
            CHECK(condition(h, r) == "item-not-found");
            CHECK(h.reply(r).status == 404);
        }
        SUBCASE("remote-connection-failed: 200") {
            EngineHarness h;
            h.create_with({.ver = {}});
            const auto r1 = h.send();
            h.server_close();
            CHECK(condition(h, r1) == "remote-connection-failed");
            CHECK(h.reply(r1).status == 200);
        }
    }

    TEST_CASE("C124-17.1-01 clients that sent ver get 200 for every condition") {
        EngineHarness h;
        h.create(); // ver 1.11
        h.send();
        const auto r2 = h.send();
        CHECK(condition(h, r2) == "policy-violation");
        CHECK(h.reply(r2).status == 200);
        h.create_with({.rid = 2000});
        const auto r = h.send("", "", 2005);
        CHECK(condition(h, r) == "item-not-found");
        CHECK(h.reply(r).status == 200);
        h.create_with({.rid = 3000});
        const auto bad = h.post(h.request_body(3001, "", "wait='x'"));
        CHECK(condition(h, bad) == "bad-request");
        CHECK(h.reply(bad).status == 200);
    }

    TEST_CASE("C124-6-05 C124-6-06 C124-6-07 C124-17.2-04 C124-17.1-01 unparseable bodies: 200 "
              "bad-request, "
              "one log line, no session touched") {
        Two t;
        auto& h = t.h;
        const std::string ns = "xmlns='http://jabber.org/protocol/httpbind'";
        const std::string attrs = "rid='1002' sid='" + t.a.sid + "' ";
        const std::vector<std::pair<const char*, std::string>> bodies = {
            {"not XML", "hello"},
            {"malformed", "<body " + attrs + ns + ">"},
            {"unclosed child", "<body " + attrs + ns + "><message></body>"},
            {"wrong root", "<foo " + attrs + ns + "/>"},
            {"wrong namespace", "<body " + attrs + "xmlns='urn:wrong'/>"},
            {"no namespace", "<body " + attrs + "/>"},
            {"DOCTYPE", "<!DOCTYPE body [<!ENTITY x 'boom'>]><body " + attrs + ns + ">&x;</body>"},
            {"billion laughs",
             "<!DOCTYPE b [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;'>]>"
             "<body " +
                 attrs + ns + "><m>&b;</m></body>"},
            {"comment", "<body " + attrs + ns + "><!-- c --></body>"},
            {"comment in a payload",
             "<body " + attrs + ns + "><message xmlns='jabber:client'><!-- c --></message></body>"},
            {"PI", "<body " + attrs + ns + "><?pi x?></body>"},
            {"character data", "<body " + attrs + ns + ">hello</body>"},
            {"character data beside a child",
             "<body " + attrs + ns + ">hi<presence xmlns='jabber:client'/></body>"},
            {"unclosed stream header (C206-3-03)",
             "<body " + attrs + ns +
                 "><stream:stream xmlns:stream='http://etherx.jabber.org/streams'></body>"},
            {"trailing junk", "<body " + attrs + ns + "/><x/>"},
            {"duplicate attribute", "<body " + attrs + "rid='1003' " + ns + "/>"},
            {"undefined prefix", "<body " + attrs + ns + "><x:y/></body>"},
            {"empty entity", ""},
        };
        const auto written_a = h.written(t.a.link);
        for (const auto& [what, body] : bodies) {
            CAPTURE(what);
            const auto lines = h.capture.lines.size();
            const auto id = h.post(body);
            REQUIRE(h.answered(id));
            CHECK(h.reply(id).status == 200);
            CHECK(h.body(id) == "<body xmlns='http://jabber.org/protocol/httpbind' "
                                "type='terminate' condition='bad-request'/>");
            CHECK(h.capture.lines.size() == lines + 1);
            CHECK(h.capture.lines.back().line.find("bad-request") != std::string::npos);
        }
        CHECK(h.engine.session_count() == 2);
        CHECK(h.written(t.a.link) == written_a); // nothing forwarded
        CHECK(h.written(t.a.link).find("boom") == std::string::npos);
        // Session A is untouched: R1 is still held, R2 is handled normally.
        CHECK_FALSE(h.answered(t.a1));
        h.use(t.a);
        const auto a2 = h.send(msg("fine"));
        CHECK(h.answered(t.a1));
        CHECK_FALSE(Doc(h.body(t.a1)).has("type"));
        CHECK_FALSE(h.answered(a2));
        t.check_b_alive();
        CHECK(h.max_times_answered() <= 1);
    }

    TEST_CASE("P124-05 an XML declaration before <body> is accepted") {
        EngineHarness h;
        h.create();
        const auto r1 = h.post("<?xml version='1.0' encoding='UTF-8'?>" + h.request_body(1001));
        CHECK_FALSE(h.answered(r1));
        CHECK(h.engine.session_count() == 1);
    }

    TEST_CASE("C124-6-09 a request without rid ends its session with bad-request, once logged") {
        Two t;
        auto& h = t.h;
        const auto lines = h.capture.lines.size();
        const auto written_a = h.written(t.a.link);
        const auto bad =
            h.post("<body sid='" + t.a.sid + "' xmlns='http://jabber.org/protocol/httpbind'>" +
                   msg("no") + "</body>");
        REQUIRE(h.answered(bad));
        CHECK(condition(h, bad) == "bad-request");
        CHECK(h.reply(bad).status == 200);
        CHECK(h.capture.lines.size() == lines + 1);
        CHECK(h.capture.count("bad-request") == 1);
        CHECK(condition(h, t.a1) == "other-request");
        CHECK(h.written(t.a.link).find("<body>no</body>") == std::string::npos);
        CHECK(h.written(t.a.link) == written_a + "</stream:stream>");
        CHECK(h.engine.session_count() == 1);
        t.check_b_alive();
        CHECK(h.max_times_answered() <= 1);
    }

    TEST_CASE("C124-6-10 a session request breaking the schema ends that session only") {
        Two t;
        auto& h = t.h;
        const auto lines = h.capture.lines.size();
        const auto bad = h.post(EngineHarness::body_for(t.a.sid, 1002, "", "type='error'"));
        CHECK(condition(h, bad) == "bad-request");
        CHECK(h.capture.lines.size() == lines + 1);
        CHECK(condition(h, t.a1) == "other-request");
        CHECK(h.engine.session_count() == 1);
        t.check_b_alive();
    }

    TEST_CASE("C124-17.2-09 an unknown sid: item-not-found, one log line, nothing touched") {
        Two t;
        auto& h = t.h;
        const auto lines = h.capture.lines.size();
        const auto id =
            h.post(EngineHarness::body_for("0123456789abcdef0123456789abcdef", 1002, msg("lost")));
        REQUIRE(h.answered(id));
        CHECK(h.body(id) == "<body xmlns='http://jabber.org/protocol/httpbind' type='terminate' "
                            "condition='item-not-found'/>");
        CHECK(h.reply(id).status == 200);
        CHECK(h.capture.lines.size() == lines + 1);
        CHECK(h.capture.count("item-not-found") == 1);
        CHECK(h.engine.session_count() == 2);
        CHECK_FALSE(h.answered(t.a1));
        CHECK(h.written(t.a.link).find("lost") == std::string::npos);
        t.check_b_alive();
    }

    TEST_CASE("C124-17.2-14 shutdown: held requests get system-shutdown, creation refused") {
        EngineHarness h;
        h.create_with({.hold = "2"});
        const auto a1 = h.send();
        const auto a2 = h.send(msg("x"));
        const auto a = h.current();
        h.create_with({.rid = 5000, .ver = {}});
        const auto b1 = h.send();
        const auto b = h.current();
        h.create_with({.rid = 7000}); // nothing held
        const auto c = h.current();
        h.shutdown();
        for (auto id : {a1, a2, b1}) {
            REQUIRE(h.answered(id));
            CHECK(condition(h, id) == "system-shutdown");
            CHECK(h.reply(id).status == 200);
        }
        for (auto link : {a.link, b.link, c.link}) {
            CHECK(h.link_closed(link));
            CHECK(occurrences(h.written(link), "</stream:stream>") == 1);
        }
        CHECK(h.engine.session_count() == 0);
        const auto created = h.post(EngineHarness::creation_body({.rid = 9000}));
        REQUIRE(h.answered(created));
        CHECK(condition(h, created) == "system-shutdown");
        CHECK(h.links_opened() == 3);
        h.use(c);
        const auto late = h.send();
        REQUIRE(h.answered(late));
        CHECK(condition(h, late) == "item-not-found");
        CHECK(h.engine.counters().requests_pending == 0);
        CHECK(h.max_times_answered() <= 1);
    }

    TEST_CASE("C124-17.2-14 drain: creation refused, held requests answered, sessions go on") {
        EngineHarness h;
        h.create_with({.hold = "2"});
        const auto a1 = h.send();
        const auto a2 = h.send();
        h.server_send("<message from='a@example.com'><body>q</body></message>");
        const auto a3 = h.send(); // a1 took the stanza
        const auto a = h.current();
        REQUIRE(h.answered(a1));
        h.drain();
        // Every held request is answered now, with nothing lost.
        REQUIRE(h.answered(a2));
        REQUIRE(h.answered(a3));
        CHECK(Doc(h.body(a2)).attr("type").empty());
        CHECK(Doc(h.body(a3)).attr("type").empty());
        CHECK(h.engine.live_session_count() == 1);
        // New sessions are refused.
        const auto created = h.post(EngineHarness::creation_body({.rid = 9000}));
        REQUIRE(h.answered(created));
        CHECK(condition(h, created) == "system-shutdown");
        CHECK(h.links_opened() == 1);
        // The live session goes on: requests are held and stanzas flow.
        h.use(a);
        const auto b1 = h.send(msg("still here"));
        CHECK(h.written(a.link).find("still here") != std::string::npos);
        const auto b2 = h.send();
        CHECK_FALSE(h.answered(b2));
        h.server_send("<message from='a@example.com'><body>late</body></message>");
        REQUIRE(h.answered(b1));
        CHECK(h.body(b1).find("late") != std::string::npos);
        // Then the shutdown ends it.
        const auto b3 = h.send();
        h.shutdown();
        REQUIRE(h.answered(b3));
        CHECK(condition(h, b3) == "system-shutdown");
        CHECK(h.link_closed(a.link));
        CHECK(h.engine.session_count() == 0);
        CHECK(h.max_times_answered() <= 1);
    }

    TEST_CASE("C124-17.2-14 drain: a session that ends leaves none live") {
        EngineHarness h;
        h.create();
        h.send();
        h.drain();
        CHECK(h.engine.live_session_count() == 1);
        h.send(msg("bye"), "type='terminate'");
        CHECK(h.engine.live_session_count() == 0);
        CHECK(h.engine.session_count() == 0);
    }

    TEST_CASE("C124-17.2-14 drain keeps a creation request waiting for the stream features") {
        EngineHarness h;
        const auto id = h.post(EngineHarness::creation_body({}));
        h.drain();
        CHECK_FALSE(h.answered(id));
        h.connect();
        h.server_send(std::string(test::kServerHeader) + test::kFeatures);
        REQUIRE(h.answered(id));
        CHECK(h.body(id).find("stream:features") != std::string::npos);
    }

    TEST_CASE("C124-17.2-05 a reload that removes a domain's route: host-gone on the next "
              "request, queued stanzas bounced") {
        auto routes = EngineHarness::default_routes();
        routes.push_back(routes.front());
        routes.back().domain = "other.example";
        EngineHarness h(EngineHarness::default_limits(), routes);
        h.create_with({.hold = "2"});
        const auto held = h.send();
        const auto a = h.current();
        h.create_with({.rid = 5000, .to = "other.example"});
        const auto b = h.current();
        // A reload keeps only other.example; example.com's session lives on
        // until it sends something.
        h.engine.reconfigure(EngineHarness::default_limits(), bosh::RouteTable({routes.back()}));
        CHECK(h.engine.session_count() == 2);
        CHECK_FALSE(h.answered(held));
        h.use(a);
        h.server_send("<message from='x@example.com' to='u@example.com/r' id='m1'>"
                      "<body>queued</body></message>",
                      a.link);
        REQUIRE(h.answered(held)); // the held request took it
        h.server_send("<iq type='get' from='x@example.com' to='u@example.com/r' id='q1'/>", a.link);
        const auto next = h.send(msg("after reload"));
        REQUIRE(h.answered(next));
        CHECK(condition(h, next) == "host-gone");
        CHECK(h.written(a.link).find("after reload") == std::string::npos);
        // The iq nobody received is answered with an error to its sender.
        CHECK(h.written(a.link).find("service-unavailable") != std::string::npos);
        CHECK(h.link_closed(a.link));
        // The session whose route is still there goes on.
        h.use(b);
        const auto ok = h.send(msg("fine"));
        CHECK(h.written(b.link).find("fine") != std::string::npos);
        CHECK_FALSE(h.link_closed(b.link));
        (void)ok;
        // A new session for the removed domain is refused.
        const auto refused = h.post(EngineHarness::creation_body({.rid = 9000}));
        CHECK(condition(h, refused) == "host-unknown");
    }

    TEST_CASE("C124-17.2-14 shutdown of a session already failed counts it once") {
        EngineHarness h;
        h.create();
        h.server_close(); // terminal reply pending, nothing held
        h.shutdown();
        CHECK(h.engine.session_count() == 0);
        CHECK(h.engine.counters().sessions_terminated == 1);
        CHECK(h.capture.count("session.terminated") == 1);
        CHECK(h.engine.counters().requests_pending == 0);
    }

    TEST_CASE("C124-17.2-12 a backend that cannot be reached: remote-connection-failed") {
        EngineHarness h;
        const auto id = h.post(EngineHarness::creation_body({.ver = {}}));
        h.server_close(); // before BackendConnected
        REQUIRE(h.answered(id));
        CHECK(condition(h, id) == "remote-connection-failed");
        CHECK(h.reply(id).status == 200); // C124-17.1-03
        CHECK(h.written().empty());       // no stream was ever open
        CHECK(h.engine.session_count() == 0);
        CHECK(h.engine.counters().backend_failures == 1);
    }

    TEST_CASE("C124-17.2-12 no features within backend_timeout: remote-connection-failed") {
        EngineHarness h;
        const auto id = h.post(EngineHarness::creation_body({}));
        h.connect();
        h.server_send(test::kServerHeader);
        h.advance_s(9);
        CHECK_FALSE(h.answered(id));
        h.advance_s(1);
        REQUIRE(h.answered(id));
        CHECK(condition(h, id) == "remote-connection-failed");
        CHECK(h.link_closed());
        CHECK(h.written().substr(h.written().size() - 16) == "</stream:stream>");
        CHECK(h.engine.session_count() == 0);
    }

    TEST_CASE(
        "C124-17.2-12 C206-6-04 backend timeout with nothing held: the next request gets it") {
        EngineHarness h;
        const auto id = h.post(EngineHarness::creation_body({.wait = "5"}));
        h.connect();
        h.advance_s(5); // the creation reply leaves without features
        REQUIRE(h.answered(id));
        h.sid = Doc(h.body(id)).attr("sid");
        h.last_rid = 1000;
        const auto before = h.responses();
        h.advance_s(6); // backend_timeout passes with nothing held
        CHECK(h.responses() == before);
        CHECK(h.link_closed());
        CHECK(h.engine.next_deadline() > h.now); // no timer stuck in the past
        h.advance_s(5);
        const auto r1 = h.send();
        REQUIRE(h.answered(r1));
        CHECK(condition(h, r1) == "remote-connection-failed");
        CHECK(h.engine.session_count() == 0);
    }

    TEST_CASE("a backend failure nobody collects: the session is removed by inactivity") {
        EngineHarness h;
        h.create();
        h.advance_s(10);
        h.server_close();
        CHECK(h.engine.session_count() == 1); // waits for the next request
        const auto before = h.responses();
        h.advance_s(19);
        CHECK(h.engine.session_count() == 1);
        h.advance_s(1);
        CHECK(h.engine.session_count() == 0);
        CHECK(h.responses() == before);
    }

    TEST_CASE("C206-6-04 a failure while nothing is held goes to the next request, any rid") {
        for (std::uint64_t rid : {1001ULL, 1000ULL, 1050ULL}) {
            CAPTURE(rid);
            EngineHarness h;
            h.create();
            h.server_close();
            const auto r = h.send("", "", rid);
            REQUIRE(h.answered(r));
            CHECK(condition(h, r) == "remote-connection-failed");
            CHECK(h.engine.session_count() == 0);
            const auto after = h.send();
            CHECK(condition(h, after) == "item-not-found");
        }
    }

    TEST_CASE("C206-6-04 a failure with only a detached early request waits for the next one") {
        EngineHarness h;
        h.create();
        const auto r2 = h.send(msg("B"), "", 1002);
        h.abort(r2); // the client gave up on it; nothing is open any more
        h.server_close();
        CHECK(h.engine.session_count() == 1);
        const auto r1 = h.send("", "", 1001);
        REQUIRE(h.answered(r1));
        CHECK(condition(h, r1) == "remote-connection-failed");
        CHECK(h.engine.session_count() == 0);
        CHECK(h.max_times_answered() <= 1);
    }

    TEST_CASE("a client that stops collecting: policy-violation past max_client_queue") {
        auto limits = EngineHarness::default_limits();
        limits.max_client_queue = 200;
        EngineHarness h(limits);
        h.create();
        h.server_send("<message from='a@example.com'><body>" + std::string(100, 'x') +
                      "</body></message>");
        CHECK_FALSE(h.link_closed());
        h.server_send("<message from='a@example.com'><body>" + std::string(100, 'y') +
                      "</body></message>");
        CHECK(h.link_closed());
        const auto r1 = h.send();
        REQUIRE(h.answered(r1));
        CHECK(condition(h, r1) == "policy-violation");
        CHECK(h.engine.session_count() == 0);
    }

    TEST_CASE("payloads piling up before the stream is up: policy-violation past "
              "max_server_queue") {
        auto limits = EngineHarness::default_limits();
        limits.max_server_queue = 300;
        limits.backend_timeout = util::Seconds(120); // the stream stays down for a while
        EngineHarness h(limits);
        // Creation carrying more than the limit is refused outright.
        const auto big =
            h.post(EngineHarness::creation_body({.payload = msg(std::string(400, 'z'))}));
        REQUIRE(h.answered(big));
        CHECK(condition(h, big) == "policy-violation");
        CHECK(h.engine.session_count() == 0);
        // A session whose stream is not up yet keeps early payloads in order,
        // up to the limit.
        const auto create = h.post(EngineHarness::creation_body({.rid = 2000, .wait = "5"}));
        CHECK_FALSE(h.answered(create));
        h.connect();
        CHECK(h.written().find("<stream:stream") != std::string::npos);
        CHECK(h.engine.session_count() == 1);
        // The creation reply comes at wait expiry (5 s) without features
        // (C206-4-02 allows them later); then two requests before they arrive.
        h.advance_s(5);
        REQUIRE(h.answered(create));
        h.sid = Doc(h.body(create)).attr("sid");
        h.last_rid = 2000;
        const auto r1 = h.send(msg(std::string(100, 'a')));
        CHECK(h.written().find("aaaa") == std::string::npos); // waits for the stream
        const auto r2 = h.send(msg(std::string(200, 'b')));
        REQUIRE(h.answered(r2));
        CHECK(condition(h, r2) == "policy-violation");
        CHECK(condition(h, r1) == "other-request");
        CHECK(h.engine.session_count() == 0);
        CHECK(h.max_times_answered() <= 1);
    }

    TEST_CASE("a stanza from the server over max_stanza_size: remote-connection-failed") {
        auto limits = EngineHarness::default_limits();
        limits.max_stanza_size = 1000;
        EngineHarness h(limits);
        h.create();
        const auto r1 = h.send();
        // An element still incomplete after more than the limit (the parser
        // bounds what it buffers).
        h.server_send("<message from='a@example.com'><body>" + std::string(2000, 'x'));
        REQUIRE(h.answered(r1));
        CHECK(condition(h, r1) == "remote-connection-failed");
        CHECK(h.link_closed());
    }

    TEST_CASE("C124-17.2-02 only the defined conditions appear") {
        const std::set<std::string> allowed = {"bad-request",
                                               "host-gone",
                                               "host-unknown",
                                               "improper-addressing",
                                               "internal-server-error",
                                               "item-not-found",
                                               "other-request",
                                               "policy-violation",
                                               "remote-connection-failed",
                                               "remote-stream-error",
                                               "see-other-uri",
                                               "system-shutdown",
                                               "undefined-condition"};
        for (int c = 0; c <= static_cast<int>(bosh::Condition::UndefinedCondition); ++c) {
            CHECK(allowed.count(std::string(bosh::to_string(static_cast<bosh::Condition>(c)))) ==
                  1);
        }
    }
}
