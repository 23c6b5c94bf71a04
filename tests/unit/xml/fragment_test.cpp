#include "xml/body_parser.h"
#include "xml/fragment.h"
#include "xml/writer.h"
#include "xmpp/stream_parser.h"

#include <doctest/doctest.h>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

using boshd::xml::append_escaped_attribute;
using boshd::xml::ElementWriter;
using boshd::xml::Fragment;
using boshd::xml::kStreamsNs;
using boshd::xml::parse_body;
using boshd::xmpp::StreamElement;
using boshd::xmpp::StreamEvent;
using boshd::xmpp::StreamParser;

namespace {

constexpr std::string_view kTlsNs = "urn:ietf:params:xml:ns:xmpp-tls";
constexpr std::string_view kSaslNs = "urn:ietf:params:xml:ns:xmpp-sasl";

const std::string kHeader = "<stream:stream xmlns='jabber:client' "
                            "xmlns:stream='http://etherx.jabber.org/streams' id='s1' "
                            "from='example.com' version='1.0'>";

// The elements a server stream opened with |header| delivers for |elements|.
std::vector<Fragment> from_stream(std::string_view elements, const std::string& header = kHeader) {
    StreamParser p(1 << 20);
    std::vector<StreamEvent> events;
    p.feed(header, events);
    p.feed(elements, events);
    std::vector<Fragment> out;
    for (auto& ev : events) {
        if (auto* e = std::get_if<StreamElement>(&ev)) {
            out.push_back(std::move(e->element));
        } else {
            REQUIRE(std::holds_alternative<boshd::xmpp::StreamOpened>(ev));
        }
    }
    return out;
}

// The payloads of a client body opened with |body_open|.
std::vector<Fragment> from_body(std::string_view body_open, std::string_view payloads) {
    const std::string doc = std::string(body_open) + std::string(payloads) + "</body>";
    auto r = parse_body(doc, {});
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error()));
    return std::move(r).value().payloads;
}

std::string child_bytes(const Fragment& f, std::size_t i) {
    REQUIRE(i < f.children.size());
    const auto& c = f.children[i];
    REQUIRE(c.begin <= c.end);
    REQUIRE(c.end <= f.bytes.size());
    return f.bytes.substr(c.begin, c.end - c.begin);
}

std::string escaped(std::string_view s) {
    std::string out;
    append_escaped_attribute(out, s);
    return out;
}

} // namespace

TEST_SUITE("xml/fragment") {

    TEST_CASE("stream: children of a streams-namespace root are recorded with byte ranges") {
        const std::string starttls = "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>"
                                     "<required/></starttls>";
        const std::string mechs = "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                                  "<mechanism>PLAIN</mechanism><mechanism>SCRAM-SHA-1"
                                  "</mechanism></mechanisms>";
        const std::string bind = "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>";
        const auto fs = from_stream("<stream:features>" + starttls + "\n  " + mechs + bind +
                                    "</stream:features>");
        REQUIRE(fs.size() == 1);
        const auto& f = fs[0];
        CHECK(f.is(kStreamsNs, "features"));
        // The default namespace is copied, the stream prefix is left to the wrapper.
        CHECK(f.bytes == "<stream:features xmlns='jabber:client'>" + starttls + "\n  " + mechs +
                             bind + "</stream:features>");
        CHECK(f.needs_stream_prefix);
        REQUIRE(f.children.size() == 3); // grandchildren (<required/>, <mechanism/>) are not
        CHECK(f.children[0].ns == kTlsNs);
        CHECK(f.children[0].local == "starttls");
        CHECK(child_bytes(f, 0) == starttls);
        CHECK(f.children[1].ns == kSaslNs);
        CHECK(f.children[1].local == "mechanisms");
        CHECK(child_bytes(f, 1) == mechs);
        CHECK(f.children[2].local == "bind");
        CHECK(child_bytes(f, 2) == bind);
    }

    TEST_CASE("stream: child offsets account for every declaration inserted") {
        // A header that binds the streams namespace to `s`, and an extra prefix
        // the features element uses: both declarations are copied in front.
        const std::string header = "<s:stream xmlns='jabber:client' "
                                   "xmlns:s='http://etherx.jabber.org/streams' "
                                   "xmlns:e='urn:ext' version='1.0'>";
        const std::string child = "<e:thing a='1'>x</e:thing>";
        const auto fs = from_stream("<s:features>" + child + "<e:other/></s:features>", header);
        REQUIRE(fs.size() == 1);
        const auto& f = fs[0];
        CHECK(f.is(kStreamsNs, "features"));
        CHECK_FALSE(f.needs_stream_prefix); // `s` is not `stream`: declared on the element
        CHECK(f.bytes == "<s:features xmlns='jabber:client' "
                         "xmlns:s='http://etherx.jabber.org/streams' xmlns:e='urn:ext'>" +
                             child + "<e:other/></s:features>");
        REQUIRE(f.children.size() == 2);
        CHECK(f.children[0].ns == "urn:ext");
        CHECK(child_bytes(f, 0) == child);
        CHECK(child_bytes(f, 1) == "<e:other/>");
    }

    TEST_CASE("stream: children are not recorded for roots in other namespaces") {
        const auto fs = from_stream("<message to='a'><body>x</body><x xmlns='urn:x'/></message>"
                                    "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'><a/>"
                                    "</proceed>");
        REQUIRE(fs.size() == 2);
        CHECK(fs[0].children.empty());
        CHECK(fs[1].children.empty());
        CHECK(fs[1].bytes == "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'><a/></proceed>");
    }

    TEST_CASE("body: no children are recorded, even for stream:features") {
        const auto fs =
            from_body("<body xmlns='http://jabber.org/protocol/httpbind' "
                      "xmlns:stream='http://etherx.jabber.org/streams'>",
                      "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
                      "</stream:features>");
        REQUIRE(fs.size() == 1);
        CHECK(fs[0].is(kStreamsNs, "features"));
        CHECK(fs[0].children.empty());
        CHECK(fs[0].needs_stream_prefix);
        CHECK(fs[0].bytes == "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
                             "</stream:features>");
    }

    TEST_CASE("C206-2-02 the stream prefix bound to the streams namespace is not copied") {
        const auto fs = from_stream("<stream:error><host-unknown "
                                    "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>");
        REQUIRE(fs.size() == 1);
        CHECK(fs[0].needs_stream_prefix);
        CHECK(fs[0].bytes.find("xmlns:stream") == std::string::npos);
        CHECK(fs[0].bytes == "<stream:error xmlns='jabber:client'><host-unknown "
                             "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>");
        // Used only by an attribute of a descendant, it is still noticed.
        const auto gs = from_stream("<message><x stream:a='1'/></message>");
        REQUIRE(gs.size() == 1);
        CHECK(gs[0].needs_stream_prefix);
        CHECK(gs[0].bytes == "<message xmlns='jabber:client'><x stream:a='1'/></message>");
    }

    TEST_CASE("`stream` bound to another URI is an ordinary prefix and is copied") {
        const auto fs = from_body("<body xmlns='http://jabber.org/protocol/httpbind' "
                                  "xmlns:stream='urn:not-streams'>",
                                  "<stream:x/>");
        REQUIRE(fs.size() == 1);
        CHECK_FALSE(fs[0].needs_stream_prefix);
        CHECK(fs[0].bytes == "<stream:x xmlns:stream='urn:not-streams'/>");
    }

    TEST_CASE("an element not using the stream prefix does not need it") {
        const auto fs = from_stream("<iq type='result' id='1'/>");
        REQUIRE(fs.size() == 1);
        CHECK_FALSE(fs[0].needs_stream_prefix);
    }

    TEST_CASE("C206-2-04 stream: the default namespace is inherited by stanzas") {
        const auto fs = from_stream("<message to='a@b'><body>hi</body></message>"
                                    "<presence/>");
        REQUIRE(fs.size() == 2);
        CHECK(fs[0].bytes == "<message xmlns='jabber:client' to='a@b'><body>hi</body></message>");
        CHECK(fs[0].ns == "jabber:client");
        CHECK(fs[1].bytes == "<presence xmlns='jabber:client'/>");
    }

    TEST_CASE("an element that declares its own default namespace is left alone") {
        const auto fs = from_stream("<iq xmlns='jabber:server' type='get'/>"
                                    "<x xmlns=''/>"
                                    "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                                    "dGVzdA==</success>");
        REQUIRE(fs.size() == 3);
        CHECK(fs[0].bytes == "<iq xmlns='jabber:server' type='get'/>");
        CHECK(fs[1].bytes == "<x xmlns=''/>");
        CHECK(fs[1].ns.empty());
        CHECK(fs[2].bytes ==
              "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>dGVzdA==</success>");
    }

    TEST_CASE("a stream without a default namespace adds none") {
        const auto fs =
            from_stream("<message/>", "<stream:stream "
                                      "xmlns:stream='http://etherx.jabber.org/streams'>");
        REQUIRE(fs.size() == 1);
        CHECK(fs[0].bytes == "<message/>");
        CHECK(fs[0].ns.empty());
    }

    TEST_CASE("body: the default namespace is not inherited") {
        const auto fs = from_body("<body xmlns='http://jabber.org/protocol/httpbind'>",
                                  "<message to='a'/><iq xmlns='jabber:client'/>");
        REQUIRE(fs.size() == 2);
        CHECK(fs[0].bytes == "<message to='a'/>");
        CHECK(fs[1].bytes == "<iq xmlns='jabber:client'/>");
    }

    TEST_CASE("a prefixed declaration with special characters is re-escaped") {
        const auto fs = from_stream("<p:x/>", "<stream:stream xmlns='jabber:client' "
                                              "xmlns:stream='http://etherx.jabber.org/streams' "
                                              "xmlns:p=\"urn:a&amp;b'c&lt;\">");
        REQUIRE(fs.size() == 1);
        CHECK(fs[0].bytes == "<p:x xmlns='jabber:client' xmlns:p='urn:a&amp;b&apos;c&lt;'/>");
        CHECK(fs[0].ns == "urn:a&b'c<");
    }

    TEST_CASE("a redeclared prefix inside the fragment wins over the inherited one") {
        const auto fs = from_body("<body xmlns='http://jabber.org/protocol/httpbind' "
                                  "xmlns:p='urn:outer'>",
                                  "<m xmlns='urn:m'><p:a xmlns:p='urn:inner'/></m>"
                                  "<n xmlns='urn:n'><q:a xmlns:q='urn:q'/></n>");
        REQUIRE(fs.size() == 2);
        // The outer binding is declared on the root (harmless); the inner one still wins.
        CHECK(fs[0].bytes == "<m xmlns:p='urn:outer' xmlns='urn:m'><p:a xmlns:p='urn:inner'/></m>");
        // A prefix unknown to the wrapper is not invented.
        CHECK(fs[1].bytes == "<n xmlns='urn:n'><q:a xmlns:q='urn:q'/></n>");
    }

    TEST_CASE("writer: append_escaped_attribute escapes markup, quotes and whitespace") {
        CHECK(escaped("&") == "&amp;");
        CHECK(escaped("<") == "&lt;");
        CHECK(escaped(">") == "&gt;");
        CHECK(escaped("'") == "&apos;");
        CHECK(escaped("\"") == "&quot;");
        CHECK(escaped("\t") == "&#9;");
        CHECK(escaped("\n") == "&#10;");
        CHECK(escaped("\r") == "&#13;");
        CHECK(escaped("a&b<c>d'e\"f\tg\nh\ri j") ==
              "a&amp;b&lt;c&gt;d&apos;e&quot;f&#9;g&#10;h&#13;i j");
        CHECK(escaped("") == "");
        CHECK(escaped("Gr\xc3\xbc\xc3\x9f"
                      "e \xe2\x9c\x93") == "Gr\xc3\xbc\xc3\x9f"
                                           "e \xe2\x9c\x93");
        std::string out = "prefix:";
        append_escaped_attribute(out, "&");
        CHECK(out == "prefix:&amp;"); // appends, does not replace
    }

    TEST_CASE("writer: append_attribute writes one escaped single-quoted attribute") {
        std::string out = "<a";
        boshd::xml::append_attribute(out, "xmlns:p", "urn:x?a='1'&b=2");
        CHECK(out == "<a xmlns:p='urn:x?a=&apos;1&apos;&amp;b=2'");
        boshd::xml::append_attribute(out, "to", "");
        CHECK(out == "<a xmlns:p='urn:x?a=&apos;1&apos;&amp;b=2' to=''");
    }

    TEST_CASE("writer: escaped values read back as the original through the body parser") {
        const std::string value = "a&b<c>d'e\"f\tg\nh\ri  j";
        ElementWriter w("body");
        w.attribute("xmlns", boshd::xml::kHttpBindNs).attribute("to", value);
        auto r = parse_body(std::move(w).finish(), {});
        REQUIRE(r.ok());
        CHECK(std::string(*r.value().attribute("", "to")) == value);
    }

    TEST_CASE("writer: ElementWriter self-closes an element without children") {
        ElementWriter w("body");
        w.attribute("xmlns", "http://jabber.org/protocol/httpbind")
            .attribute("rid", std::uint64_t{18446744073709551615u})
            .attribute("sid", "a'b")
            .attribute("zero", std::uint64_t{0});
        w.raw(""); // nothing to add: still empty
        CHECK(std::move(w).finish() == "<body xmlns='http://jabber.org/protocol/httpbind' "
                                       "rid='18446744073709551615' sid='a&apos;b' zero='0'/>");
        CHECK(ElementWriter("a").finish() == "<a/>");
    }

    TEST_CASE("writer: ElementWriter closes the start tag before raw children, in order") {
        ElementWriter w("x:body", 4);
        w.attribute("a", "1");
        w.raw("<m/>").raw("").raw("<n>&lt;</n>");
        CHECK(std::move(w).finish() == "<x:body a='1'><m/><n>&lt;</n></x:body>");
    }
}
