#include "xml/body_parser.h"

#include <doctest/doctest.h>
#include <string>
#include <string_view>

using boshd::xml::Body;
using boshd::xml::BodyLimits;
using boshd::xml::kHttpBindNs;
using boshd::xml::parse_body;

namespace {

constexpr std::string_view kXmlNs = "http://www.w3.org/XML/1998/namespace";
constexpr std::string_view kXboshNs = "urn:xmpp:xbosh";
const std::string kOpen = "<body xmlns='http://jabber.org/protocol/httpbind' rid='1'>";
const std::string kClose = "</body>";

// |inner| wrapped in a valid <body>.
std::string wrap(std::string_view inner) {
    return kOpen + std::string(inner) + kClose;
}

Body parse_ok(std::string_view doc, const BodyLimits& limits = {}) {
    auto r = parse_body(doc, limits);
    INFO("document: ", std::string(doc));
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error()));
    return std::move(r).value();
}

// The reason |doc| is rejected, or a marker when it is accepted.
std::string error_of(std::string_view doc, const BodyLimits& limits = {}) {
    auto r = parse_body(doc, limits);
    return r.ok() ? std::string("<accepted>") : r.error();
}

void check_rejected(std::string_view doc, std::string_view reason_part,
                    const BodyLimits& limits = {}) {
    INFO("document: ", std::string(doc));
    const auto e = error_of(doc, limits);
    CHECK(e != "<accepted>");
    INFO("error: ", e);
    CHECK(e.find(reason_part) != std::string::npos);
}

std::string opt(std::optional<std::string_view> v) {
    return v ? std::string(*v) : std::string("<none>");
}

// A chain of |n| nested <a> elements inside <body>, so the document depth is n + 1.
std::string nested(std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) {
        s += "<a xmlns='urn:t'>";
    }
    for (std::size_t i = 0; i < n; ++i) {
        s += "</a>";
    }
    return wrap(s);
}

// <body> with |n| empty children, so the document has n + 1 elements.
std::string siblings(std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) {
        s += "<a xmlns='urn:t'/>";
    }
    return wrap(s);
}

} // namespace

TEST_SUITE("xml/body_parser") {

    TEST_CASE("an empty body with attributes: values by (namespace, local name)") {
        const auto b = parse_ok("<body xmlns='http://jabber.org/protocol/httpbind' rid='42' "
                                "sid='s1' to='example.com' xml:lang='de' ver='1.11'/>");
        CHECK(b.payloads.empty());
        // xmlns declarations are not attributes.
        CHECK(b.attributes.size() == 5);
        CHECK(opt(b.attribute("", "rid")) == "42");
        CHECK(opt(b.attribute("", "sid")) == "s1");
        CHECK(opt(b.attribute("", "to")) == "example.com");
        CHECK(opt(b.attribute("", "ver")) == "1.11");
        CHECK(opt(b.attribute(kXmlNs, "lang")) == "de");
        CHECK(opt(b.attribute("", "lang")) == "<none>");
        CHECK(opt(b.attribute("", "xml:lang")) == "<none>");
        CHECK(opt(b.attribute("", "wait")) == "<none>");
        CHECK(opt(b.attribute("", "xmlns")) == "<none>");
    }

    TEST_CASE("C206-11-01 qualified attributes are found by namespace URI, not by prefix") {
        const auto b =
            parse_ok("<body xmlns='http://jabber.org/protocol/httpbind' rid='1' "
                     "xmlns:x='urn:xmpp:xbosh' x:restart='true' x:version='1.0' version='9'/>");
        CHECK(opt(b.attribute(kXboshNs, "restart")) == "true");
        CHECK(opt(b.attribute(kXboshNs, "version")) == "1.0");
        CHECK(opt(b.attribute("", "version")) == "9");
        // Neither the prefix nor the customary prefix finds it.
        CHECK(opt(b.attribute("x", "restart")) == "<none>");
        CHECK(opt(b.attribute("xmpp", "restart")) == "<none>");
        CHECK(opt(b.attribute("", "restart")) == "<none>");
        CHECK(opt(b.attribute("", "x:restart")) == "<none>");
    }

    TEST_CASE("C206-11-01 the customary xmpp prefix bound to another URI is not xbosh") {
        const auto b = parse_ok("<body xmlns='http://jabber.org/protocol/httpbind' rid='1' "
                                "xmlns:xmpp='urn:other' xmpp:restart='true'/>");
        CHECK(opt(b.attribute(kXboshNs, "restart")) == "<none>");
        CHECK(opt(b.attribute("urn:other", "restart")) == "true");
    }

    TEST_CASE("entity and character references in attribute values are decoded") {
        const auto b = parse_ok("<body xmlns='http://jabber.org/protocol/httpbind' rid='1' "
                                "to='a&amp;b&lt;c&gt;d&quot;e&apos;f&#x41;&#66;' "
                                "from=\"x&#10;y\"/>");
        CHECK(opt(b.attribute("", "to")) == "a&b<c>d\"e'fAB");
        CHECK(opt(b.attribute("", "from")) == "x\ny");
    }

    TEST_CASE("a prefixed <body> in the httpbind namespace is a body") {
        const auto b =
            parse_ok("<b:body xmlns:b='http://jabber.org/protocol/httpbind' rid='7'><message "
                     "xmlns='jabber:client'/></b:body>");
        CHECK(opt(b.attribute("", "rid")) == "7");
        REQUIRE(b.payloads.size() == 1);
        CHECK(b.payloads[0].bytes == "<message xmlns='jabber:client'/>");
    }

    TEST_CASE("C124-7.2-17 payload bytes are exactly as sent") {
        const std::string payload =
            "<message xmlns='jabber:client' to='a@b'>\n  <body>  hi \t\r\n there  </body>"
            "<x xmlns='urn:x'><![CDATA[<raw> & ]]></x>"
            "<t>Gr\xc3\xbc\xc3\x9f"
            "e \xe2\x9c\x93 \xf0\x9f\x98\x80</t><e>&lt;&amp;&gt;&#65;</e><empty/></message>";
        const auto b = parse_ok(wrap(payload));
        REQUIRE(b.payloads.size() == 1);
        const auto& f = b.payloads[0];
        CHECK(f.bytes == payload);
        CHECK(f.ns == "jabber:client");
        CHECK(f.local == "message");
        CHECK(f.children.empty()); // the body parser records no children
        CHECK_FALSE(f.needs_stream_prefix);
    }

    TEST_CASE("an XML declaration before <body> is accepted and offsets still index the input") {
        const std::string payload = "<iq xmlns='jabber:client' type='get' id='1'/>";
        for (const std::string decl :
             {"<?xml version='1.0'?>", "<?xml version='1.0' encoding='UTF-8'?>\n",
              "<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?>"}) {
            CAPTURE(decl);
            const auto b = parse_ok(decl + wrap(payload));
            REQUIRE(b.payloads.size() == 1);
            CHECK(b.payloads[0].bytes == payload);
        }
    }

    TEST_CASE("C124-6-08 several payloads are delivered in order, whitespace between them "
              "dropped") {
        const auto b = parse_ok(wrap("\n <message xmlns='jabber:client' id='1'/>\r\n\t"
                                     "<x xmlns='urn:test'>a</x> "
                                     "<presence xmlns='jabber:client'><show>away</show>"
                                     "</presence>\n"));
        REQUIRE(b.payloads.size() == 3);
        CHECK(b.payloads[0].bytes == "<message xmlns='jabber:client' id='1'/>");
        CHECK(b.payloads[1].bytes == "<x xmlns='urn:test'>a</x>");
        CHECK(b.payloads[1].ns == "urn:test");
        CHECK(b.payloads[1].local == "x");
        CHECK(b.payloads[2].bytes ==
              "<presence xmlns='jabber:client'><show>away</show></presence>");
    }

    TEST_CASE("C124-6-03 a prefix declared on <body> is copied onto the payload using it") {
        const auto b =
            parse_ok("<body xmlns='http://jabber.org/protocol/httpbind' rid='1' "
                     "xmlns:j='jabber:client' xmlns:x='urn:a&amp;b' xmlns:unused='urn:unused'>"
                     "<j:message to='a'/>"
                     "<message xmlns='jabber:client' x:attr='1'/>"
                     "<m xmlns='jabber:client'><x:deep/></m>"
                     "<plain xmlns='urn:p'/>"
                     "</body>");
        REQUIRE(b.payloads.size() == 4);
        CHECK(b.payloads[0].bytes == "<j:message xmlns:j='jabber:client' to='a'/>");
        CHECK(b.payloads[0].ns == "jabber:client");
        // A prefixed attribute needs its declaration too (re-escaped URI).
        CHECK(b.payloads[1].bytes ==
              "<message xmlns:x='urn:a&amp;b' xmlns='jabber:client' x:attr='1'/>");
        // A prefix used only by a descendant is declared on the payload root.
        CHECK(b.payloads[2].bytes ==
              "<m xmlns:x='urn:a&amp;b' xmlns='jabber:client'><x:deep/></m>");
        // Unused declarations are not copied.
        CHECK(b.payloads[3].bytes == "<plain xmlns='urn:p'/>");
    }

    TEST_CASE("a payload that declares its own prefix gets no copy; xml: is never declared") {
        const auto b = parse_ok("<body xmlns='http://jabber.org/protocol/httpbind' rid='1' "
                                "xmlns:j='urn:outer'>"
                                "<j:m xmlns:j='urn:inner'/>"
                                "<n xmlns='urn:n' xml:lang='en'/>"
                                "</body>");
        REQUIRE(b.payloads.size() == 2);
        CHECK(b.payloads[0].bytes == "<j:m xmlns:j='urn:inner'/>");
        CHECK(b.payloads[0].ns == "urn:inner");
        CHECK(b.payloads[1].bytes == "<n xmlns='urn:n' xml:lang='en'/>");
    }

    TEST_CASE("N206-01 a payload without xmlns stays without (no default namespace copied)") {
        const std::string payload = "<message to='a@example.com'><body>x</body></message>";
        const auto b = parse_ok(wrap(payload));
        REQUIRE(b.payloads.size() == 1);
        CHECK(b.payloads[0].bytes == payload);
        // What a namespace-aware parse says; the stream it lands in makes it jabber:client.
        CHECK(b.payloads[0].ns == kHttpBindNs);
        CHECK(b.payloads[0].local == "message");
    }

    TEST_CASE("C124-17.2-04 malformed XML is rejected") {
        check_rejected("hello", "malformed XML");
        check_rejected(kOpen, "malformed XML");                              // unclosed
        check_rejected(wrap("<a xmlns='urn:t'></b>"), "malformed XML");      // mismatched
        check_rejected(wrap("<a xmlns='urn:t'>"), "malformed XML");          // partial payload
        check_rejected(wrap("<a xmlns='urn:t' x=1/>"), "malformed XML");     // unquoted
        check_rejected(wrap("<a xmlns='urn:t' x='<'/>"), "malformed XML");   // < in attribute
        check_rejected(wrap("<a xmlns='urn:t'>a < b</a>"), "malformed XML"); // bare <
        check_rejected(wrap("<a xmlns='urn:t'>a & b</a>"), "malformed XML"); // bare &
        check_rejected("<body xmlns='http://jabber.org/protocol/httpbind' rid='1'", "malformed");
    }

    TEST_CASE("C124-17.2-04 empty and whitespace-only input are rejected") {
        check_rejected("", "malformed XML");
        check_rejected(" \r\n", "malformed XML");
    }

    TEST_CASE("C124-17.2-04 a root that is not <body/> is rejected") {
        check_rejected("<foo xmlns='http://jabber.org/protocol/httpbind'/>", "not <body/>");
        check_rejected("<message xmlns='jabber:client'/>", "not <body/>");
        check_rejected("<Body xmlns='http://jabber.org/protocol/httpbind'/>", "not <body/>");
    }

    TEST_CASE("C124-17.2-04 <body/> in the wrong namespace or in none is rejected") {
        check_rejected("<body xmlns='urn:wrong'/>", "httpbind namespace");
        check_rejected("<body rid='1'/>", "httpbind namespace");
        check_rejected("<body xmlns='http://jabber.org/protocol/httpbind/'/>",
                       "httpbind namespace");
        check_rejected("<b:body xmlns:b='urn:wrong' xmlns='http://jabber.org/protocol/httpbind'/>",
                       "httpbind namespace");
    }

    TEST_CASE("C124-6-05 a DOCTYPE is rejected") {
        check_rejected("<!DOCTYPE body><body xmlns='http://jabber.org/protocol/httpbind'/>",
                       "DOCTYPE");
        check_rejected("<?xml version='1.0'?><!DOCTYPE body SYSTEM 'http://evil/x.dtd'>"
                       "<body xmlns='http://jabber.org/protocol/httpbind'/>",
                       "DOCTYPE");
    }

    TEST_CASE("C124-6-05 an internal subset with an entity is rejected, not expanded") {
        check_rejected("<!DOCTYPE body [<!ENTITY x 'boom'>]>"
                       "<body xmlns='http://jabber.org/protocol/httpbind' rid='1' sid='s'>"
                       "<m xmlns='urn:t'>&x;</m></body>",
                       "DOCTYPE");
        check_rejected("<!DOCTYPE body [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
                       "<body xmlns='http://jabber.org/protocol/httpbind' to='&x;'/>",
                       "DOCTYPE");
    }

    TEST_CASE("C124-6-05 billion laughs is rejected before any expansion") {
        std::string doc = "<?xml version='1.0'?><!DOCTYPE body [<!ENTITY l0 'lol'>";
        for (int i = 1; i <= 9; ++i) {
            doc += "<!ENTITY l" + std::to_string(i) + " '";
            for (int j = 0; j < 10; ++j) {
                doc += "&l" + std::to_string(i - 1) + ";";
            }
            doc += "'>";
        }
        doc += "]><body xmlns='http://jabber.org/protocol/httpbind' rid='1'>"
               "<m xmlns='urn:t'>&l9;</m></body>";
        check_rejected(doc, "DOCTYPE");
    }

    TEST_CASE("C124-6-06 comments are rejected wherever they are") {
        check_rejected("<!-- c --><body xmlns='http://jabber.org/protocol/httpbind'/>", "comment");
        check_rejected("<body xmlns='http://jabber.org/protocol/httpbind'/><!-- c -->", "comment");
        check_rejected(wrap("<!-- c -->"), "comment");
        check_rejected(wrap("<m xmlns='jabber:client'><!-- c --></m>"), "comment");
        check_rejected(wrap("<m xmlns='jabber:client'><b>x<!---->y</b></m>"), "comment");
    }

    TEST_CASE("C124-6-06 processing instructions are rejected wherever they are") {
        check_rejected("<?pi x?><body xmlns='http://jabber.org/protocol/httpbind'/>",
                       "processing instruction");
        check_rejected("<body xmlns='http://jabber.org/protocol/httpbind'/><?pi x?>",
                       "processing instruction");
        check_rejected(wrap("<?pi x?>"), "processing instruction");
        check_rejected(wrap("<m xmlns='jabber:client'><?pi x?></m>"), "processing instruction");
        check_rejected(wrap("<?xml-stylesheet href='a'?>"), "processing instruction");
    }

    TEST_CASE("C124-6-07 character data directly inside <body> is rejected") {
        check_rejected(wrap("hello"), "character data");
        check_rejected(wrap("<m xmlns='urn:t'/>x<n xmlns='urn:t'/>"), "character data");
        check_rejected(wrap("<m xmlns='urn:t'/>x"), "character data");
        check_rejected(wrap("&#65;"), "character data");
        check_rejected(wrap("&amp;"), "character data");
        check_rejected(wrap("<![CDATA[x]]>"), "character data");
        check_rejected(wrap("\xc2\xa0"), "character data"); // NBSP is not XML whitespace
    }

    TEST_CASE("C124-6-07 whitespace directly inside <body> is allowed") {
        const auto b = parse_ok(wrap(" \t\r\n <m xmlns='urn:t'/> \n"));
        REQUIRE(b.payloads.size() == 1);
        CHECK(b.payloads[0].bytes == "<m xmlns='urn:t'/>");
        CHECK(parse_ok(wrap("&#32;&#9;&#10;&#13;")).payloads.empty());
    }

    TEST_CASE("C124-17.2-04 two roots or junk after the root are rejected") {
        check_rejected("<body xmlns='http://jabber.org/protocol/httpbind'/>"
                       "<body xmlns='http://jabber.org/protocol/httpbind'/>",
                       "malformed XML");
        check_rejected("<body xmlns='http://jabber.org/protocol/httpbind'/>x", "malformed XML");
        check_rejected(wrap("") + "</body>", "malformed XML");
        check_rejected("x<body xmlns='http://jabber.org/protocol/httpbind'/>", "malformed XML");
        // Trailing whitespace is part of the document's Misc and is fine.
        CHECK(parse_ok(wrap("") + "\r\n ").payloads.empty());
    }

    TEST_CASE("C124-17.2-04 duplicate attributes are rejected, also through two prefixes") {
        check_rejected("<body xmlns='http://jabber.org/protocol/httpbind' rid='1' rid='2'/>",
                       "malformed XML");
        check_rejected("<body xmlns='http://jabber.org/protocol/httpbind' xmlns:a='urn:x' "
                       "xmlns:b='urn:x' a:r='1' b:r='2'/>",
                       "malformed XML");
        check_rejected(wrap("<m xmlns='urn:t' a='1' a='1'/>"), "malformed XML");
    }

    TEST_CASE("C124-6-05 undefined entity references are rejected") {
        check_rejected(wrap("<m xmlns='urn:t'>&foo;</m>"), "malformed XML");
        check_rejected("<body xmlns='http://jabber.org/protocol/httpbind' to='&foo;'/>",
                       "malformed XML");
        check_rejected(wrap("<m xmlns='urn:t'>&nbsp;</m>"), "malformed XML");
    }

    TEST_CASE("C124-7.2-17 invalid UTF-8 is rejected") {
        check_rejected(wrap("<m xmlns='urn:t'>\xff</m>"), "malformed XML");
        check_rejected(wrap("<m xmlns='urn:t'>\xc3</m>"), "malformed XML");         // truncated
        check_rejected(wrap("<m xmlns='urn:t'>\xc0\xaf</m>"), "malformed XML");     // overlong
        check_rejected(wrap("<m xmlns='urn:t'>\xed\xa0\x80</m>"), "malformed XML"); // surrogate
        check_rejected(wrap("<m xmlns='urn:t'>\xf4\x90\x80\x80</m>"),
                       "malformed XML"); // > U+10FFFF
        check_rejected("<body xmlns='http://jabber.org/protocol/httpbind' to='\x80'/>",
                       "malformed XML");
    }

    TEST_CASE("C124-7.2-17 characters outside XML's Char production are rejected") {
        check_rejected(wrap(std::string("<m xmlns='urn:t'>\x01</m>")), "malformed XML");
        check_rejected(wrap("<m xmlns='urn:t'>&#1;</m>"), "malformed XML");
        check_rejected(wrap("<m xmlns='urn:t'>&#0;</m>"), "malformed XML");
        check_rejected(wrap("<m xmlns='urn:t'>\xef\xbf\xbe</m>"), "malformed XML"); // U+FFFE
        check_rejected(wrap(std::string("<m xmlns='urn:t'>a\0b</m>", 24)), "malformed XML");
        check_rejected("<body xmlns='http://jabber.org/protocol/httpbind' to='&#x1B;'/>",
                       "malformed XML");
    }

    TEST_CASE("an unbound prefix is rejected") {
        check_rejected(wrap("<x:message/>"), "malformed XML");
        check_rejected(wrap("<m xmlns='urn:t' y:a='1'/>"), "malformed XML");
        check_rejected("<body xmlns='http://jabber.org/protocol/httpbind' xmpp:restart='true'/>",
                       "malformed XML");
        check_rejected("<stream:body xmlns='http://jabber.org/protocol/httpbind'/>",
                       "malformed XML");
    }

    TEST_CASE("C124-7.2-17 a document declared ISO-8859-1 is still read as UTF-8") {
        const std::string decl = "<?xml version='1.0' encoding='ISO-8859-1'?>";
        // A Latin-1 e-acute (0xE9) on its own is not UTF-8.
        check_rejected(decl + wrap("<m xmlns='urn:t'>caf\xe9</m>"), "malformed XML");
        // The same text in UTF-8 is accepted and forwarded byte for byte.
        const std::string payload = "<m xmlns='urn:t'>caf\xc3\xa9</m>";
        const auto b = parse_ok(decl + wrap(payload));
        REQUIRE(b.payloads.size() == 1);
        CHECK(b.payloads[0].bytes == payload);
    }

    TEST_CASE("max_depth counts <body> itself: exactly the limit passes, one more fails") {
        BodyLimits l;
        l.max_depth = 4;
        l.max_elements = 1000;
        const auto b = parse_ok(nested(3), l); // body + 3
        REQUIRE(b.payloads.size() == 1);
        CHECK(b.payloads[0].bytes ==
              "<a xmlns='urn:t'><a xmlns='urn:t'><a xmlns='urn:t'></a></a></a>");
        check_rejected(nested(4), "nested too deeply", l);

        l.max_depth = 1; // <body/> alone
        CHECK(parse_ok(wrap(""), l).payloads.empty());
        check_rejected(nested(1), "nested too deeply", l);
    }

    TEST_CASE("the default depth limit is 32") {
        CHECK(parse_ok(nested(31)).payloads.size() == 1);
        check_rejected(nested(32), "nested too deeply");
    }

    TEST_CASE("max_elements counts every element: exactly the limit passes, one more fails") {
        BodyLimits l;
        l.max_depth = 32;
        l.max_elements = 5;
        CHECK(parse_ok(siblings(4), l).payloads.size() == 4); // body + 4
        check_rejected(siblings(5), "too many elements", l);
        // Nested elements count the same as siblings.
        CHECK(parse_ok(nested(4), l).payloads.size() == 1);
        check_rejected(nested(5), "too many elements", l);
    }

    TEST_CASE("the default element limit is 2000") {
        CHECK(parse_ok(siblings(1999)).payloads.size() == 1999);
        check_rejected(siblings(2000), "too many elements");
    }
}
