// XMPP over BOSH (XEP-0206): the stream boshd owns, restarts, stanzas both
// ways, stream errors and STARTTLS to the server.
#include "support/engine_harness.h"
#include "xml/body_parser.h"

#include <doctest/doctest.h>

using namespace boshd;
using test::condition;
using test::Doc;
using test::EngineHarness;
using test::occurrences;
using test::parse;
using test::stream_headers;
using test::tag_attr;

namespace {

constexpr const char* kServerHeader2 =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' id='srv-stream-2' from='example.com' "
    "version='1.0' xml:lang='en'>";
constexpr const char* kBindFeatures =
    "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>";
constexpr const char* kAuth =
    "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>biwsbj11c2VyLHI9"
    "</auth>";
constexpr const char* kRestart = "xmlns:xmpp='urn:xmpp:xbosh' xmpp:restart='true'";
constexpr const char* kStreamsNs = "http://etherx.jabber.org/streams";

// The <body ...> start tag of a reply.
std::string start_tag(const std::string& body) {
    return body.substr(0, body.find('>') + 1);
}

// A session past SASL: R1 carried <auth/> and got <success/>.
void authenticate(EngineHarness& h) {
    h.create();
    const auto r1 = h.send(kAuth);
    h.server_send("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    REQUIRE(h.answered(r1));
}

bosh::Route starttls_route() {
    bosh::Route r;
    r.domain = "example.com";
    r.host = "127.0.0.1";
    r.port = 5222;
    r.tls = bosh::TlsMode::StartTls;
    return r;
}

} // namespace

TEST_SUITE("bosh/engine/xmpp") {
    TEST_CASE("C206-3-01 C206-3-03 C124-7.1-02 the header boshd writes") {
        EngineHarness h;
        h.create();
        const auto headers = stream_headers(h.written());
        REQUIRE(headers.size() == 1);
        CHECK(h.written().rfind("<?xml version='1.0'?>", 0) == 0);
        CHECK(tag_attr(headers[0], "to") == "example.com");
        CHECK(tag_attr(headers[0], "xml:lang") == "en");
        CHECK(tag_attr(headers[0], "version") == "1.0");
        CHECK(tag_attr(headers[0], "xmlns") == "jabber:client");
        CHECK_FALSE(tag_attr(headers[0], "from"));
    }

    TEST_CASE("C206-5-02 C206-11-02 a restart is recognised by namespace, as an xs:boolean") {
        const std::vector<std::pair<std::string, bool>> cases = {
            {"xmlns:xmpp='urn:xmpp:xbosh' xmpp:restart='true'", true},
            {"xmlns:xmpp='urn:xmpp:xbosh' xmpp:restart='1'", true},
            {"xmlns:x='urn:xmpp:xbosh' x:restart='true'", true},
            {"xmlns:x='urn:xmpp:xbosh' x:restart='1'", true},
            {"xmlns:xmpp='urn:xmpp:xbosh' xmpp:restart='false'", false},
            {"xmlns:xmpp='urn:xmpp:xbosh' xmpp:restart='0'", false},
            {"restart='true'", false},
            {"xmlns:xmpp='urn:other' xmpp:restart='true'", false},
        };
        for (const auto& [attrs, restarts] : cases) {
            CAPTURE(attrs);
            EngineHarness h;
            authenticate(h);
            const auto r2 = h.send("", attrs);
            CHECK(stream_headers(h.written()).size() == (restarts ? 2u : 1u));
            CHECK_FALSE(h.answered(r2));
            CHECK(h.engine.session_count() == 1);
        }
    }

    TEST_CASE("C206-11-02 restart='TRUE' is not an xs:boolean: bad-request") {
        EngineHarness h;
        authenticate(h);
        const auto r2 = h.send("", "xmlns:xmpp='urn:xmpp:xbosh' xmpp:restart='TRUE'");
        REQUIRE(h.answered(r2));
        CHECK(condition(h, r2) == "bad-request");
        CHECK(stream_headers(h.written()).size() == 1);
    }

    TEST_CASE("C206-5-04 C206-5-05 C206-5-06 C206-2-02 C206-4-04 restart: a new header on the same "
              "link, then the new features") {
        EngineHarness h;
        authenticate(h);
        const auto before = h.written();
        const auto r2 = h.send("", std::string(kRestart) + " to='example.com' xml:lang='en'");
        const auto w = h.written();
        CHECK(h.links_opened() == 1);
        CHECK_FALSE(h.link_closed());
        CHECK(w.find("</stream:stream>") == std::string::npos);
        const auto added = w.substr(before.size());
        CHECK(added.rfind("<?xml version='1.0'?><stream:stream", 0) == 0);
        const auto headers = stream_headers(w);
        REQUIRE(headers.size() == 2);
        CHECK(tag_attr(headers[1], "to") == "example.com");
        CHECK(tag_attr(headers[1], "xml:lang") == "en");
        CHECK(tag_attr(headers[1], "version") == "1.0");
        CHECK_FALSE(h.answered(r2));
        h.server_send(std::string(kServerHeader2) + kBindFeatures);
        REQUIRE(h.answered(r2));
        const auto& body = h.body(r2);
        CHECK(start_tag(body).find("xmlns:stream='http://etherx.jabber.org/streams'") !=
              std::string::npos);
        const auto b = parse(body);
        REQUIRE(b.payloads.size() == 1);
        CHECK(b.payloads[0].is(kStreamsNs, "features"));
        // The server's bytes, plus the default namespace the element inherited.
        CHECK(b.payloads[0].bytes ==
              "<stream:features xmlns='jabber:client'><bind "
              "xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>");
        CHECK(h.max_times_answered() <= 1);
    }

    TEST_CASE("C206-5-06 an empty <stream:features/> after a restart is forwarded as is") {
        EngineHarness h;
        authenticate(h);
        const auto r2 = h.send("", kRestart);
        h.server_send(std::string(kServerHeader2) + "<stream:features/>");
        REQUIRE(h.answered(r2));
        const auto b = parse(h.body(r2));
        REQUIRE(b.payloads.size() == 1);
        CHECK(b.payloads[0].is(kStreamsNs, "features"));
        CHECK(b.payloads[0].bytes == "<stream:features xmlns='jabber:client'/>");
        CHECK(Doc(h.body(r2)).root().child("stream:features").first_child().empty());
    }

    TEST_CASE("C206-5-07 C206-5-08 the new header takes to, xml:lang and from of the restart") {
        SUBCASE("given") {
            EngineHarness h;
            authenticate(h);
            h.send("", std::string(kRestart) +
                           " to='example.com' xml:lang='fr' from='user@example.com'");
            const auto headers = stream_headers(h.written());
            REQUIRE(headers.size() == 2);
            CHECK(tag_attr(headers[1], "xml:lang") == "fr");
            CHECK(tag_attr(headers[1], "from") == "user@example.com");
        }
        SUBCASE("absent: the creation values") {
            EngineHarness h;
            h.create_with({.lang = "de"});
            h.send(kAuth);
            h.server_send("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
            h.send("", kRestart);
            const auto headers = stream_headers(h.written());
            REQUIRE(headers.size() == 2);
            CHECK(tag_attr(headers[1], "to") == "example.com");
            CHECK(tag_attr(headers[1], "xml:lang") == "de");
            CHECK(tag_attr(headers[1], "version") == "1.0");
        }
    }

    TEST_CASE("C206-5-03 N206-02 stanzas inside a restart body are not forwarded") {
        EngineHarness h;
        authenticate(h);
        h.send("<message xmlns='jabber:client' to='x@example.com'><body>y</body></message>",
               kRestart);
        h.server_send(std::string(kServerHeader2) + kBindFeatures);
        CHECK(stream_headers(h.written()).size() == 2);
        CHECK(h.written().find("<body>y</body>") == std::string::npos);
        CHECK(h.engine.counters().stanzas_to_server == 1); // the auth only
    }

    TEST_CASE("C206-5-11 a restart is processed in rid order") {
        EngineHarness h;
        h.create();
        const auto r2 = h.send("", kRestart, 1002);
        CHECK(stream_headers(h.written()).size() == 1); // waits for 1001
        const std::string response =
            "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>Yz1iaXdz</response>";
        h.send(response, "", 1001);
        const auto w = h.written();
        REQUIRE(stream_headers(w).size() == 2);
        CHECK(w.find(response) < w.rfind("<stream:stream"));
        CHECK_FALSE(h.answered(r2));
    }

    TEST_CASE("C206-5-10 C124-14.3-02 a resent restart rid is replayed, no second restart") {
        EngineHarness h;
        authenticate(h);
        const auto r2 = h.send("", kRestart);
        h.server_send(std::string(kServerHeader2) + kBindFeatures);
        REQUIRE(h.answered(r2));
        const auto again = h.post(h.request_body(h.last_rid, "", kRestart));
        REQUIRE(h.answered(again));
        CHECK(h.reply_ptr(again) == h.reply_ptr(r2));
        CHECK(stream_headers(h.written()).size() == 2);
    }

    TEST_CASE("C206-5-10 C124-14.3-03 a restart resent while held does not restart again") {
        EngineHarness h;
        authenticate(h);
        const auto r2 = h.send("", kRestart);
        const auto r2b = h.post(h.request_body(h.last_rid, "", kRestart));
        CHECK(Doc(h.body(r2)).attr("type") == "error");
        CHECK(stream_headers(h.written()).size() == 2);
        h.server_send(std::string(kServerHeader2) + kBindFeatures);
        REQUIRE(h.answered(r2b));
        CHECK(h.body(r2b).find("urn:ietf:params:xml:ns:xmpp-bind") != std::string::npos);
    }

    TEST_CASE("C124-8-02 payloads sent before the stream is up follow the features, in order") {
        EngineHarness h;
        const auto id = h.post(EngineHarness::creation_body({.wait = "5", .payload = kAuth}));
        h.connect();
        h.advance_s(5); // creation reply out, the server still silent
        REQUIRE(h.answered(id));
        h.sid = Doc(h.body(id)).attr("sid");
        h.last_rid = 1000;
        const std::string m = "<message xmlns='jabber:client' to='b@example.com'/>";
        h.send(m);
        CHECK(h.written().find("<auth") == std::string::npos);
        h.server_send(std::string(test::kServerHeader) + test::kFeatures);
        const auto w = h.written();
        REQUIRE(w.find(m) != std::string::npos);
        CHECK(w.find(kAuth) < w.find(m));
    }

    TEST_CASE("C124-7.2-11 a server header without from: the session's to is reported") {
        EngineHarness h;
        const auto id = h.post(EngineHarness::creation_body({}));
        h.connect();
        h.server_send("<stream:stream xmlns='jabber:client' "
                      "xmlns:stream='http://etherx.jabber.org/streams' id='x1' version='1.0'>" +
                      std::string(test::kFeatures));
        REQUIRE(h.answered(id));
        CHECK(Doc(h.body(id)).attr("from") == "example.com");
    }

    TEST_CASE("C206-2-04 stanzas to the client are in jabber:client") {
        EngineHarness h;
        h.create();
        const auto r1 = h.send();
        h.server_send("<message to='user@example.com/r'><body>x</body></message>"
                      "<x xmlns='urn:test'/>");
        REQUIRE(h.answered(r1));
        const auto b = parse(h.body(r1));
        REQUIRE(b.payloads.size() == 2);
        CHECK(b.payloads[0].ns == "jabber:client");
        CHECK(b.payloads[0].local == "message");
        CHECK(b.payloads[1].ns == "urn:test"); // C124-6-08: several namespaces, in order
        Doc d(h.body(r1));
        CHECK(d.root().child("message").attribute("xmlns").value() == std::string("jabber:client"));
    }

    TEST_CASE("C124-17.4-01 a stanza error from the server is passed through unchanged") {
        EngineHarness h;
        h.create();
        const auto r1 = h.send();
        const std::string err = "<message type='error' from='b@example.com' "
                                "xmlns='jabber:client'><error type='cancel'><item-not-found "
                                "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>";
        h.server_send(err);
        REQUIRE(h.answered(r1));
        CHECK(h.body(r1).find(err) != std::string::npos);
        CHECK_FALSE(Doc(h.body(r1)).has("type"));
        CHECK(h.engine.session_count() == 1);
    }

    TEST_CASE("N206-01 stanzas from the client without xmlns are forwarded as they are") {
        EngineHarness h;
        h.create();
        const std::string m = "<message to='a@example.com'><body>x</body></message>";
        h.send(m);
        const auto w = h.written();
        CHECK(w.substr(w.size() - m.size()) == m);
    }

    TEST_CASE("C124-6-03 a prefix declared on <body> is copied onto the payload") {
        EngineHarness h;
        h.create();
        h.post("<body rid='1001' sid='" + h.sid +
               "' xmlns='http://jabber.org/protocol/httpbind' xmlns:json='urn:json'>"
               "<json:x/></body>");
        const auto w = h.written();
        CHECK(w.ends_with("'><json:x xmlns:json='urn:json'/>"));
    }

    TEST_CASE("C206-2-05 SASL elements cross unchanged both ways") {
        EngineHarness h;
        h.create();
        const auto r1 = h.send(kAuth);
        CHECK(h.written().find(kAuth) != std::string::npos);
        const std::string challenge =
            "<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>cj1meWtvK2QybGJiRmdPTlJ2OXF"
            "reHhUZWQ=</challenge>";
        h.server_send(challenge);
        REQUIRE(h.answered(r1));
        CHECK(h.body(r1).find(challenge) != std::string::npos);
        const auto b = parse(h.body(r1));
        REQUIRE(b.payloads.size() == 1);
        CHECK(b.payloads[0].is("urn:ietf:params:xml:ns:xmpp-sasl", "challenge"));
    }

    TEST_CASE("C124-6-02 C124-7.2-17 escaped and non-ASCII text round-trips byte-exact") {
        EngineHarness h;
        h.create();
        const std::string text = "&lt;&amp; Grüße ✓ &quot;q&apos; &gt;";
        const std::string out = "<message xmlns='jabber:client' to='b@example.com' "
                                "id='a&amp;b'><body>" +
                                text + "</body></message>";
        const auto r1 = h.send(out);
        CHECK(h.written().find(out) != std::string::npos);
        h.server_send("<message from='a@example.com'><body>" + text + "</body></message>");
        REQUIRE(h.answered(r1));
        CHECK(h.body(r1).find("<body>" + text + "</body>") != std::string::npos);
        Doc d(h.body(r1));
        CHECK(d.root().child("message").child("body").text().get() ==
              std::string("<& Grüße ✓ \"q' >"));
    }

    TEST_CASE("C206-6-01 C206-6-02 C206-6-03 C206-2-03 a stream error: remote-stream-error with "
              "the whole element after the stanzas") {
        EngineHarness h;
        h.create();
        const auto r1 = h.send();
        const std::string error =
            "<stream:error><xml-not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
            "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>diag</text>"
            "<escape-your-data xmlns='application-ns'/></stream:error>";
        h.server_send("<message from='a@example.com'><body>Hi</body></message>" + error);
        REQUIRE(h.answered(r1));
        const auto& body = h.body(r1);
        CHECK(start_tag(body).find("xmlns:stream='http://etherx.jabber.org/streams'") !=
              std::string::npos);
        Doc d(body);
        CHECK(d.attr("type") == "terminate");
        CHECK(d.attr("condition") == "remote-stream-error");
        CHECK(d.children() == std::vector<std::string>{"message", "stream:error"});
        const auto e = d.root().child("stream:error");
        std::vector<std::string> kids;
        for (auto c : e.children()) {
            kids.emplace_back(c.name());
        }
        CHECK(kids == std::vector<std::string>{"xml-not-well-formed", "text", "escape-your-data"});
        CHECK(e.child("text").attribute("xml:lang").value() == std::string("en"));
        CHECK(e.child("escape-your-data").attribute("xmlns").value() ==
              std::string("application-ns"));
        const auto b = parse(body);
        REQUIRE(b.payloads.size() == 2);
        CHECK(b.payloads[0].ns == "jabber:client");
        CHECK(b.payloads[1].is(kStreamsNs, "error"));
        CHECK(h.link_closed());
        const auto r2 = h.send();
        CHECK(condition(h, r2) == "item-not-found");
    }

    TEST_CASE("C124-17.2-03 C206-6-05 a host-unknown stream error stays remote-stream-error") {
        EngineHarness h;
        h.create();
        const auto r1 = h.send();
        h.server_send("<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                      "</stream:error>");
        REQUIRE(h.answered(r1));
        CHECK(condition(h, r1) == "remote-stream-error");
        CHECK(h.body(r1).find("<host-unknown") != std::string::npos);
    }

    TEST_CASE("C206-6-04 a stream error while nothing is held goes out on the next request") {
        EngineHarness h;
        h.create();
        h.server_send("<message from='a@example.com'><body>before</body></message>"
                      "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                      "</stream:error>");
        CHECK(h.link_closed());
        h.advance_s(5);
        const auto r1 = h.send();
        REQUIRE(h.answered(r1)); // at once
        Doc d(h.body(r1));
        CHECK(d.attr("condition") == "remote-stream-error");
        CHECK(d.children() == std::vector<std::string>{"message", "stream:error"});
        CHECK(h.engine.session_count() == 0);
    }

    TEST_CASE("C206-6-04 a session the server ended is not logged again as expired") {
        EngineHarness h; // inactivity 30 s
        h.create();
        h.server_close(); // nothing held: the news waits for the next request
        CHECK(h.capture.count("session.terminated") == 1);
        CHECK(h.engine.session_count() == 1);
        CHECK(h.engine.live_session_count() == 0); // for shutdown.begin sessions=
        h.advance_s(31);                           // the client never came back
        CHECK(h.engine.session_count() == 0);
        CHECK(h.capture.count("session.expired") == 0);
        CHECK(h.engine.counters().sessions_expired == 0);
        CHECK(h.engine.counters().sessions_terminated == 1);
    }

    TEST_CASE("C124-17.2-12 the server closing the link: remote-connection-failed") {
        SUBCASE("TCP closed") {
            EngineHarness h;
            h.create();
            const auto r1 = h.send();
            h.server_close();
            REQUIRE(h.answered(r1));
            CHECK(condition(h, r1) == "remote-connection-failed");
            CHECK(h.engine.session_count() == 0);
        }
        SUBCASE("</stream:stream> from the server") {
            EngineHarness h;
            h.create();
            const auto r1 = h.send();
            h.server_send("</stream:stream>");
            REQUIRE(h.answered(r1));
            CHECK(condition(h, r1) == "remote-connection-failed");
            CHECK(h.link_closed());
        }
        SUBCASE("malformed XML from the server") {
            EngineHarness h;
            h.create();
            const auto r1 = h.send();
            h.server_send("<message><body>x</oops></message>");
            REQUIRE(h.answered(r1));
            CHECK(condition(h, r1) == "remote-connection-failed");
        }
    }

    TEST_CASE("C124-19.2-01 C206-2-06 STARTTLS to the server before anything else") {
        EngineHarness h(EngineHarness::default_limits(), {starttls_route()});
        const auto id = h.post(EngineHarness::creation_body({.payload = kAuth}));
        h.connect();
        h.server_send(std::string(test::kServerHeader) +
                      "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>"
                      "<required/></starttls><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                      "<mechanism>PLAIN</mechanism></mechanisms></stream:features>");
        CHECK(h.written().find("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>") !=
              std::string::npos);
        CHECK(h.tls_started() == 0);
        CHECK_FALSE(h.answered(id));
        h.server_send("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
        CHECK(h.tls_started() == 1);
        CHECK(stream_headers(h.written()).size() == 1);
        CHECK(h.written().find("<auth") == std::string::npos); // no credentials in the clear
        h.tls_ready();
        const auto w = h.written();
        REQUIRE(stream_headers(w).size() == 2);
        CHECK(w.find("</stream:stream>") == std::string::npos);
        h.server_send(std::string(kServerHeader2) +
                      "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
                      "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                      "<mechanism>PLAIN</mechanism></mechanisms></stream:features>");
        REQUIRE(h.answered(id));
        const auto& body = h.body(id);
        CHECK(body.find("starttls") == std::string::npos);
        CHECK(body.find("<mechanism>PLAIN</mechanism>") != std::string::npos);
        CHECK(Doc(body).attr("authid") == "srv-stream-2");
        CHECK(Doc(body).attr("secure") == "true");
        const auto after = h.written();
        CHECK(after.find(kAuth) > after.rfind("<stream:stream"));
    }

    TEST_CASE("C124-17.2-12 a STARTTLS route whose server does not offer it fails") {
        EngineHarness h(EngineHarness::default_limits(), {starttls_route()});
        const auto id = h.post(EngineHarness::creation_body({}));
        h.connect();
        h.server_send(std::string(test::kServerHeader) + test::kFeatures);
        REQUIRE(h.answered(id));
        CHECK(condition(h, id) == "remote-connection-failed");
        CHECK(h.tls_started() == 0);
        CHECK(h.engine.session_count() == 0);
    }

    TEST_CASE("C124-17.2-12 a server refusing STARTTLS fails the session") {
        EngineHarness h(EngineHarness::default_limits(), {starttls_route()});
        const auto id = h.post(EngineHarness::creation_body({}));
        h.connect();
        h.server_send(std::string(test::kServerHeader) +
                      "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
                      "</stream:features><failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
        REQUIRE(h.answered(id));
        CHECK(condition(h, id) == "remote-connection-failed");
        CHECK(h.tls_started() == 0);
    }

    TEST_CASE("C206-2-06 C206-4-06 starttls and compression are stripped on tls=none routes") {
        EngineHarness h;
        const auto id = h.post(EngineHarness::creation_body({}));
        h.connect();
        h.server_send(std::string(test::kServerHeader) +
                      "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
                      "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                      "<mechanism>PLAIN</mechanism></mechanisms>"
                      "<compression xmlns='http://jabber.org/features/compress'>"
                      "<method>zlib</method></compression></stream:features>");
        REQUIRE(h.answered(id));
        const auto& body = h.body(id);
        CHECK(body.find("starttls") == std::string::npos);
        CHECK(body.find("compression") == std::string::npos);
        CHECK(body.find("<mechanism>PLAIN</mechanism>") != std::string::npos);
        CHECK(h.written().find("<starttls") == std::string::npos);
        CHECK(h.tls_started() == 0);
    }

    TEST_CASE("C124-17.2-12 a tls=none route to a server that requires STARTTLS fails at once, "
              "the log naming the route and the setting") {
        EngineHarness h; // example.com, tls = "none"
        const auto id = h.post(EngineHarness::creation_body({}));
        h.connect();
        h.server_send(std::string(test::kServerHeader) +
                      "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>"
                      "<required/></starttls><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                      "<mechanism>PLAIN</mechanism></mechanisms></stream:features>");
        REQUIRE(h.answered(id)); // at once, not when the server gives up
        CHECK(condition(h, id) == "remote-connection-failed");
        CHECK(h.body(id).find("mechanism") == std::string::npos);
        CHECK(h.link_closed());
        CHECK(h.engine.session_count() == 0);
        REQUIRE(h.capture.count("session.terminated") == 1);
        CHECK(h.capture.count("the server requires STARTTLS") == 1);
        CHECK(h.capture.count("starttls") == 1); // the setting to use
        CHECK(h.capture.count("route=example.com") == 1);
    }

    TEST_CASE("C206-6-01 a stream error is logged with its condition and text") {
        EngineHarness h;
        h.create();
        const auto r1 = h.send();
        h.server_send("<stream:error><connection-timeout "
                      "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text "
                      "xmlns='urn:ietf:params:xml:ns:xmpp-streams'>Idle connection</text>"
                      "</stream:error>");
        REQUIRE(h.answered(r1));
        CHECK(condition(h, r1) == "remote-stream-error"); // the client gets it whole, as before
        CHECK(h.body(r1).find("<connection-timeout") != std::string::npos);
        CHECK(h.capture.count("stream error from the server: connection-timeout (Idle "
                              "connection)") == 1);
        CHECK(h.capture.count("route=example.com") == 1);
    }

    TEST_CASE("C124-17.2-06 a restart may not re-target the stream at another domain") {
        SUBCASE("another domain: host-unknown, nothing written") {
            EngineHarness h;
            authenticate(h);
            const auto before = h.written();
            const auto r = h.send("", std::string(kRestart) + " to='internal.example.net'");
            REQUIRE(h.answered(r));
            CHECK(condition(h, r) == "host-unknown");
            CHECK(stream_headers(h.written()).size() == 1); // no second header
            CHECK(h.written().find("internal.example.net") == std::string::npos);
            CHECK(h.engine.session_count() == 0);
        }
        SUBCASE("the same domain, other case: a normal restart") {
            EngineHarness h;
            authenticate(h);
            h.send("", std::string(kRestart) + " to='EXAMPLE.com'");
            CHECK(stream_headers(h.written()).size() == 2);
            CHECK(h.engine.session_count() == 1);
        }
    }

    TEST_CASE("C124-7.2-11 secure='true' only when the link is encrypted and verified") {
        auto route = starttls_route();
        route.tls_verify = false; // encrypted, but not authenticated
        EngineHarness h(EngineHarness::default_limits(), {route});
        const auto id = h.post(EngineHarness::creation_body({}));
        h.connect();
        h.server_send(std::string(test::kServerHeader) +
                      "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
                      "</stream:features>");
        h.server_send("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
        h.tls_ready();
        h.server_send(std::string(kServerHeader2) + kBindFeatures);
        REQUIRE(h.answered(id));
        CHECK(Doc(h.body(id)).attr("from") == "example.com");
        CHECK_FALSE(Doc(h.body(id)).has("secure"));
    }
}
