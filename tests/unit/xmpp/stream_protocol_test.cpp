#include "xmpp/stream_protocol.h"

#include <doctest/doctest.h>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

using boshd::xml::kStreamsNs;
using boshd::xmpp::HeaderParams;
using boshd::xmpp::ServerEvent;
using boshd::xmpp::StreamProtocol;
namespace server = boshd::xmpp::server;

namespace {

constexpr std::size_t kMax = 1 << 16;

const std::string kServerHeader = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                                  "xmlns:stream='http://etherx.jabber.org/streams' id='srv1' "
                                  "from='example.com' version='1.0' xml:lang='en'>";
const std::string kTls = "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>";
// STARTTLS offered, not required (RFC 6120 §5.3.1).
const std::string kTlsOffered = "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
const std::string kMechs = "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                           "<mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism>"
                           "</mechanisms>";
const std::string kCompress = "<compression xmlns='http://jabber.org/features/compress'>"
                              "<method>zlib</method></compression>";
const std::string kBind = "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>";
const std::string kStartTlsRequest = "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";

std::string features(const std::string& children) {
    return "<stream:features>" + children + "</stream:features>";
}

HeaderParams params(std::string to, std::string lang = "", std::string version = "",
                    std::string from = "") {
    HeaderParams p;
    p.to = std::move(to);
    p.lang = std::move(lang);
    p.version = std::move(version);
    p.from = std::move(from);
    return p;
}

std::vector<ServerEvent> receive(StreamProtocol& s, std::string_view bytes) {
    std::vector<ServerEvent> out;
    s.receive(bytes, out);
    return out;
}

// |items| one a line, so that doctest prints both sides of a mismatch.
std::string v_of(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) {
        out += s;
        out += '\n';
    }
    return out;
}

// A readable trace of |events|, one event a line: "opened:<id>", "features:<bytes>",
// "stanza:<bytes>", "send:<bytes>", "begin-tls", "stream-error:<bytes>", "ended", "failed".
std::string trace(const std::vector<ServerEvent>& events) {
    std::vector<std::string> out;
    for (const auto& ev : events) {
        if (auto* o = std::get_if<server::Opened>(&ev)) {
            out.push_back("opened:" + o->header.id);
        } else if (auto* f = std::get_if<server::Features>(&ev)) {
            out.push_back("features:" + f->features.bytes);
        } else if (auto* s = std::get_if<server::Stanza>(&ev)) {
            out.push_back("stanza:" + s->stanza.bytes);
        } else if (auto* d = std::get_if<server::Send>(&ev)) {
            out.push_back("send:" + d->bytes);
        } else if (std::holds_alternative<server::BeginTls>(ev)) {
            out.push_back("begin-tls");
        } else if (auto* e = std::get_if<server::StreamError>(&ev)) {
            out.push_back("stream-error:" + e->error.bytes);
        } else if (std::holds_alternative<server::Ended>(ev)) {
            out.push_back("ended");
        } else {
            out.push_back("failed:" + std::get<server::Failed>(ev).reason);
        }
    }
    return v_of(out);
}

// |l| joined like trace(), so that a mismatch prints both sides.
std::string v(std::initializer_list<std::string> l) {
    return v_of(l);
}

std::string forwarded_features(const std::string& children) {
    return "features:<stream:features xmlns='jabber:client'>" + children + "</stream:features>";
}

} // namespace

TEST_SUITE("xmpp/stream_protocol") {

    TEST_CASE("C206-3-03 C206-3-01 C124-7.1-03 the header carries to, from, version, xml:lang") {
        StreamProtocol s(false, kMax);
        CHECK(s.open(params("example.com", "de", "1.0", "user@example.com")) ==
              "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
              "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' "
              "from='user@example.com' version='1.0' xml:lang='de'>");
    }

    TEST_CASE("empty optional header fields are omitted; `to` is always written") {
        StreamProtocol s(false, kMax);
        CHECK(s.open(params("example.com")) ==
              "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
              "xmlns:stream='http://etherx.jabber.org/streams' to='example.com'>");
    }

    TEST_CASE("header values are escaped") {
        StreamProtocol s(false, kMax);
        CHECK(s.open(params("a'b&c", "e\"n<", "1.0", "x>y\nz")) ==
              "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
              "xmlns:stream='http://etherx.jabber.org/streams' to='a&apos;b&amp;c' "
              "from='x&gt;y&#10;z' version='1.0' xml:lang='e&quot;n&lt;'>");
    }

    TEST_CASE("nothing is parsed before open()") {
        StreamProtocol s(false, kMax);
        CHECK(receive(s, kServerHeader + features(kMechs)).empty());
        CHECK_FALSE(s.ready());
    }

    TEST_CASE("C206-2-06 C206-4-06 features are forwarded without starttls and compression") {
        StreamProtocol s(false, kMax);
        s.open(params("example.com", "en", "1.0"));
        CHECK_FALSE(s.ready());
        CHECK(trace(receive(s, kServerHeader)) == v({"opened:srv1"}));
        CHECK_FALSE(s.ready());
        const auto ev = receive(s, features(kTlsOffered + "\n  " + kMechs + kCompress + kBind));
        CHECK(trace(ev) == v({forwarded_features("\n  " + kMechs + kBind)}));
        REQUIRE(ev.size() == 1);
        const auto& f = std::get<server::Features>(ev[0]).features;
        CHECK(f.is(kStreamsNs, "features"));
        CHECK(f.needs_stream_prefix);
        CHECK(f.children.empty()); // stale after the cut
        CHECK(s.ready());
        CHECK_FALSE(s.tls_pending());
    }

    TEST_CASE("features without anything to strip are forwarded unchanged") {
        StreamProtocol s(false, kMax);
        s.open(params("example.com"));
        CHECK(trace(receive(s, kServerHeader + features(kMechs))) ==
              v({"opened:srv1", forwarded_features(kMechs)}));
        StreamProtocol t(false, kMax);
        t.open(params("example.com"));
        CHECK(trace(receive(t, kServerHeader + "<stream:features/>")) ==
              v({"opened:srv1", "features:<stream:features xmlns='jabber:client'/>"}));
        CHECK(t.ready());
    }

    TEST_CASE("channel-binding mechanisms (-PLUS) and XEP-0440 are not offered to the client") {
        // The TLS channel is boshd's own link: a BOSH client cannot bind to it.
        const std::string offered =
            "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
            "<mechanism>SCRAM-SHA-256-PLUS</mechanism><mechanism>SCRAM-SHA-256</mechanism>"
            "<mechanism> SCRAM-SHA-1-PLUS\n</mechanism><mechanism>SCRAM-SHA-1</mechanism>"
            "<mechanism/><mechanism>PLUS</mechanism></mechanisms>";
        const std::string binding = "<sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'>"
                                    "<channel-binding type='tls-exporter'/>"
                                    "</sasl-channel-binding>";
        StreamProtocol s(false, kMax);
        s.open(params("example.com"));
        CHECK(trace(receive(s, kServerHeader + features(offered + binding + kBind))) ==
              v({"opened:srv1",
                 forwarded_features("<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                                    "<mechanism>SCRAM-SHA-256</mechanism>"
                                    "<mechanism>SCRAM-SHA-1</mechanism>"
                                    "<mechanism/><mechanism>PLUS</mechanism></mechanisms>" +
                                    kBind)}));
    }

    TEST_CASE("header and features split across receives") {
        StreamProtocol s(false, kMax);
        s.open(params("example.com"));
        const std::string all = kServerHeader + features(kTlsOffered + kMechs);
        std::vector<ServerEvent> ev;
        for (char c : all) {
            s.receive(std::string_view(&c, 1), ev);
        }
        CHECK(trace(ev) == v({"opened:srv1", forwarded_features(kMechs)}));
    }

    TEST_CASE("stanzas after the features are forwarded as stanzas") {
        StreamProtocol s(false, kMax);
        s.open(params("example.com"));
        CHECK(trace(receive(s, kServerHeader + features(kMechs) +
                                   "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"
                                   "<message to='a@b'/>")) ==
              v({"opened:srv1", forwarded_features(kMechs),
                 "stanza:<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
                 "stanza:<message xmlns='jabber:client' to='a@b'/>"}));
    }

    TEST_CASE("C124-19.2-01 STARTTLS: starttls, proceed, TLS, a new stream, then features") {
        StreamProtocol s(true, kMax);
        const auto first = s.open(params("example.com", "en", "1.0"));
        CHECK(trace(receive(s, kServerHeader)) == v({"opened:srv1"}));
        // The features are not forwarded: boshd asks for TLS first.
        CHECK(trace(receive(s, features(kTls + kMechs))) == v({"send:" + kStartTlsRequest}));
        CHECK(s.tls_pending());
        CHECK_FALSE(s.ready());
        CHECK(trace(receive(s, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")) ==
              v({"begin-tls"}));
        CHECK(s.tls_pending());
        CHECK_FALSE(s.ready());

        // Over TLS: the same header again, and a parser that starts a new document.
        CHECK(s.tls_established() == first);
        CHECK_FALSE(s.tls_pending());
        CHECK(trace(receive(s, "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                               "xmlns:stream='http://etherx.jabber.org/streams' id='srv2' "
                               "version='1.0'>")) == v({"opened:srv2"}));
        CHECK_FALSE(s.ready());
        CHECK(trace(receive(s, features(kMechs + kCompress))) == v({forwarded_features(kMechs)}));
        CHECK(s.ready());
    }

    TEST_CASE("C206-2-06 after TLS, a starttls feature offered again is stripped, not negotiated") {
        StreamProtocol s(true, kMax);
        s.open(params("example.com"));
        receive(s, kServerHeader + features(kTls));
        CHECK(trace(receive(s, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")) ==
              v({"begin-tls"}));
        s.tls_established();
        CHECK(trace(receive(s, kServerHeader + features(kTls + kMechs))) ==
              v({"opened:srv1", forwarded_features(kMechs)}));
        CHECK(s.ready());
    }

    TEST_CASE("C124-19.2-01 starttls required but not offered: Failed") {
        StreamProtocol s(true, kMax);
        s.open(params("example.com"));
        const auto ev = receive(s, kServerHeader + features(kMechs) + "<message/>");
        CHECK(trace(ev) == v({"opened:srv1", "failed:server does not offer STARTTLS"}));
        CHECK_FALSE(s.ready());
        CHECK_FALSE(s.tls_pending());
        CHECK(receive(s, "<message/>").empty()); // closed
    }

    TEST_CASE("C124-19.2-01 <failure/> instead of <proceed/>: Failed") {
        StreamProtocol s(true, kMax);
        s.open(params("example.com"));
        receive(s, kServerHeader + features(kTls));
        CHECK(trace(receive(s, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
                               "</stream:stream>")) == v({"failed:server refused STARTTLS"}));
        CHECK_FALSE(s.ready());
        CHECK_FALSE(s.tls_pending());
    }

    TEST_CASE("C124-19.2-01 plaintext after <proceed/> is not passed on (STARTTLS injection)") {
        StreamProtocol s(true, kMax);
        s.open(params("example.com"));
        receive(s, kServerHeader + features(kTls));
        CHECK(trace(receive(s, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
                               "<message from='admin@example.com'><body>x</body></message>")) ==
              v({"begin-tls", "failed:data after <proceed/>"}));
        CHECK_FALSE(s.tls_pending());
        // Whitespace after <proceed/> is no element and harmless.
        StreamProtocol t(true, kMax);
        t.open(params("example.com"));
        receive(t, kServerHeader + features(kTls));
        CHECK(trace(receive(t, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\n")) ==
              v({"begin-tls"}));
        CHECK(t.tls_pending());
    }

    TEST_CASE("C124-19.2-01 a stanza before STARTTLS on a starttls route is not passed on") {
        StreamProtocol s(true, kMax);
        s.open(params("example.com"));
        CHECK(trace(receive(s, kServerHeader + "<message><body>x</body></message>" +
                                   features(kTls))) ==
              v({"opened:srv1", "failed:element before STARTTLS"}));
    }

    TEST_CASE("C206-5-04 C206-5-05 restart() keeps old values for empty fields") {
        StreamProtocol s(false, kMax);
        s.open(params("example.com", "en", "1.0", "u@example.com"));
        receive(s, kServerHeader + features(kMechs));
        CHECK(s.ready());
        CHECK(s.restart(HeaderParams{}) ==
              "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
              "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' "
              "from='u@example.com' version='1.0' xml:lang='en'>");
        CHECK_FALSE(s.ready());
        // The new stream's header and features are parsed as a new document.
        CHECK(trace(receive(s, kServerHeader + features(kBind))) ==
              v({"opened:srv1", forwarded_features(kBind)}));
        CHECK(s.ready());
    }

    TEST_CASE("C206-5-05 restart() replaces fields that are given") {
        StreamProtocol s(false, kMax);
        s.open(params("example.com", "en", "1.0", "u@example.com"));
        CHECK(s.restart(params("other.example", "fr", "1.1", "v@other.example")) ==
              "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
              "xmlns:stream='http://etherx.jabber.org/streams' to='other.example' "
              "from='v@other.example' version='1.1' xml:lang='fr'>");
        // And they stick for the next restart.
        CHECK(s.restart(params("", "de")) ==
              "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
              "xmlns:stream='http://etherx.jabber.org/streams' to='other.example' "
              "from='v@other.example' version='1.1' xml:lang='de'>");
    }

    TEST_CASE("C206-5-04 restart() in the middle of a stanza forgets the partial bytes") {
        StreamProtocol s(false, kMax);
        s.open(params("example.com"));
        CHECK(trace(receive(s, kServerHeader + features(kMechs) + "<success xmlns='urn:x'>ab")) ==
              v({"opened:srv1", forwarded_features(kMechs)}));
        s.restart(HeaderParams{});
        CHECK(trace(receive(s, kServerHeader + features(kBind) + "<iq id='1'/>")) ==
              v({"opened:srv1", forwarded_features(kBind),
                 "stanza:<iq xmlns='jabber:client' "
                 "id='1'/>"}));
    }

    TEST_CASE("C206-2-03 a stream error is reported with the whole element") {
        StreamProtocol s(false, kMax);
        s.open(params("example.com"));
        const std::string err = "<stream:error><host-unknown "
                                "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text "
                                "xmlns='urn:ietf:params:xml:ns:xmpp-streams'>no</text>"
                                "</stream:error>";
        const auto ev = receive(s, kServerHeader + err + "</stream:stream>");
        CHECK(trace(ev) == v({"opened:srv1", "stream-error:<stream:error xmlns='jabber:client'>"
                                             "<host-unknown "
                                             "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text "
                                             "xmlns='urn:ietf:params:xml:ns:xmpp-streams'>no"
                                             "</text></stream:error>"}));
        REQUIRE(ev.size() == 2);
        const auto& error = std::get<server::StreamError>(ev[1]);
        CHECK(error.condition == "host-unknown"); // for the log
        CHECK(error.text == "no");
        const auto& e = error.error;
        CHECK(e.is(kStreamsNs, "error"));
        CHECK(e.needs_stream_prefix);
        CHECK_FALSE(s.ready());
        CHECK(receive(s, "<message/>").empty());
    }

    TEST_CASE("a stream error's condition and text are read for the log, the text kept short") {
        StreamProtocol s(false, kMax);
        s.open(params("example.com"));
        receive(s, kServerHeader + features(kMechs));
        // The text before the condition, an entity in it, and a non-error
        // child (application-specific conditions are in another namespace).
        const auto ev =
            receive(s, "<stream:error><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>Too many "
                       "failed logins &amp; retries</text><policy-violation "
                       "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><x xmlns='urn:example'/>"
                       "</stream:error>");
        REQUIRE(ev.size() == 1);
        const auto& e = std::get<server::StreamError>(ev[0]);
        CHECK(e.condition == "policy-violation");
        CHECK(e.text == "Too many failed logins & retries");

        StreamProtocol t(false, kMax);
        t.open(params("example.com"));
        // 199 ASCII bytes, then a 2-byte character across the 200-byte cut.
        const std::string text = std::string(199, 'a') + "\xc3\xa9" + std::string(50, 'b');
        const auto long_ev = receive(t, kServerHeader +
                                            "<stream:error><connection-timeout "
                                            "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text "
                                            "xmlns='urn:ietf:params:xml:ns:xmpp-streams'>" +
                                            text + "</text></stream:error>");
        REQUIRE(long_ev.size() == 2);
        const auto& l = std::get<server::StreamError>(long_ev[1]);
        CHECK(l.condition == "connection-timeout");
        CHECK(l.text == std::string(199, 'a') + "...");
    }

    TEST_CASE("a plain route to a server that requires STARTTLS fails at once, naming the fix") {
        StreamProtocol s(false, kMax);
        s.open(params("example.com"));
        CHECK(trace(receive(s, kServerHeader + features(kTls + kMechs))) ==
              v({"opened:srv1",
                 "failed:the server requires STARTTLS: set tls = \"starttls\" on this route"}));
        CHECK_FALSE(s.ready());
        CHECK(receive(s, features(kMechs)).empty()); // nothing after the failure
        // Offered but not required: stripped and forwarded, as before
        // (C206-2-06).
        StreamProtocol t(false, kMax);
        t.open(params("example.com"));
        CHECK(trace(receive(t, kServerHeader + features(kTlsOffered + kMechs))) ==
              v({"opened:srv1", forwarded_features(kMechs)}));
    }

    TEST_CASE("a stream error after the features ends a ready stream") {
        StreamProtocol s(false, kMax);
        s.open(params("example.com"));
        receive(s, kServerHeader + features(kMechs));
        CHECK(s.ready());
        CHECK(trace(receive(s, "<stream:error><conflict "
                               "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>")) ==
              v({"stream-error:<stream:error xmlns='jabber:client'><conflict "
                 "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"}));
        CHECK_FALSE(s.ready());
    }

    TEST_CASE("</stream:stream> is Ended; garbage is Failed") {
        StreamProtocol s(false, kMax);
        s.open(params("example.com"));
        CHECK(trace(receive(s, kServerHeader + features(kMechs) + "</stream:stream>")) ==
              v({"opened:srv1", forwarded_features(kMechs), "ended"}));
        CHECK_FALSE(s.ready());
        CHECK(receive(s, "<a/>").empty());

        StreamProtocol t(false, kMax);
        t.open(params("example.com"));
        const auto ev = receive(t, kServerHeader + "hello");
        REQUIRE(ev.size() == 2);
        CHECK(std::holds_alternative<server::Failed>(ev[1]));
        CHECK(std::get<server::Failed>(ev[1]).reason == "character data between stanzas");
    }

    TEST_CASE("a stanza over max_element_size is Failed") {
        StreamProtocol s(false, 64);
        s.open(params("example.com"));
        receive(s, "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>");
        const auto ev = receive(s, "<message>" + std::string(100, 'x') + "</message>");
        REQUIRE(ev.size() == 1);
        CHECK(std::holds_alternative<server::Failed>(ev[0]));
    }
}
