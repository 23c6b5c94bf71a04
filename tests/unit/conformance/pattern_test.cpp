// The scenario matcher must reject as well as accept, or every scenario
// would pass vacuously.
#include "conformance/pattern.h"
#include "conformance/xml_tree.h"

#include <doctest/doctest.h>

using namespace boshd::conformance;

namespace {

Node doc(const std::string& text) {
    std::string error;
    auto n = parse_document(text, error);
    INFO("document: ", text, " error: ", error);
    REQUIRE(n);
    return *n;
}

// Matches |actual| against |pattern| with |vars|; returns why not ("" = match).
std::string try_match(const std::string& pattern, const std::string& actual, Vars& vars,
                      const std::vector<std::string>& absent = {}) {
    return match(doc(pattern), doc(actual), vars, absent);
}

} // namespace

TEST_SUITE("xep/pattern") {

    TEST_CASE("names match by namespace URI, not by prefix; attribute order is free") {
        Vars v;
        CHECK(try_match("<b:body xmlns:b='http://jabber.org/protocol/httpbind' a='1' c='2'/>",
                        "<body c='2' a='1' xmlns='http://jabber.org/protocol/httpbind'/>",
                        v) == "");
        CHECK(try_match("<body xmlns='http://jabber.org/protocol/httpbind'/>",
                        "<body xmlns='urn:other'/>", v) != "");
        CHECK(try_match("<x:restart xmlns:x='urn:xmpp:xbosh'/>", "<restart/>", v) != "");
    }

    TEST_CASE("a qualified attribute is not its unqualified namesake") {
        Vars v;
        CHECK(try_match("<body xmlns:xmpp='urn:xmpp:xbosh' xmpp:version='1.0'/>",
                        "<body xmlns:x='urn:xmpp:xbosh' x:version='1.0'/>", v) == "");
        CHECK(try_match("<body xmlns:xmpp='urn:xmpp:xbosh' xmpp:version='1.0'/>",
                        "<body version='1.0'/>", v) != "");
    }

    TEST_CASE("missing or different attributes fail; extra ones pass unless absent") {
        Vars v;
        CHECK(try_match("<body type='terminate'/>", "<body/>", v) != "");
        CHECK(try_match("<body type='terminate'/>", "<body type='error'/>", v) != "");
        CHECK(try_match("<body/>", "<body type='terminate'/>", v) == "");
        CHECK(try_match("<body/>", "<body type='terminate'/>", v, {"type"}) != "");
        CHECK(try_match("<body/>", "<body/>", v, {"type"}) == "");
    }

    TEST_CASE("children are compared in order and counted; {*} content matches anything") {
        Vars v;
        CHECK(try_match("<body><a/><b/></body>", "<body><a/><b/></body>", v) == "");
        CHECK(try_match("<body><a/><b/></body>", "<body><b/><a/></body>", v) != "");
        CHECK(try_match("<body><a/></body>", "<body><a/><b/></body>", v) != "");
        CHECK(try_match("<body/>", "<body><a/></body>", v) != "");
        CHECK(try_match("<body>{*}</body>", "<body><a/><b>t</b></body>", v) == "");
        CHECK(try_match("<m><body>hi</body></m>", "<m>\n <body> hi </body>\n</m>", v) == "");
        CHECK(try_match("<m><body>hi</body></m>", "<m><body>ho</body></m>", v) != "");
    }

    TEST_CASE("{name} captures once, then compares; captures of a failed match do not stick") {
        Vars v;
        CHECK(try_match("<body sid='{sid}'/>", "<body sid='abc'/>", v) == "");
        CHECK(v.at("sid") == "abc");
        CHECK(try_match("<body sid='{sid}'/>", "<body sid='abc'/>", v) == "");
        CHECK(try_match("<body sid='{sid}'/>", "<body sid='xyz'/>", v) != "");
        CHECK(try_match("<body a='{fresh}' b='no'/>", "<body a='1' b='yes'/>", v) != "");
        CHECK(v.count("fresh") == 0);
        CHECK(try_match("<jid>{jid}</jid>", "<jid>u@example.com/r</jid>", v) == "");
        CHECK(v.at("jid") == "u@example.com/r");
    }

    TEST_CASE("{name+N} and {name-N} compare with a bound integer") {
        Vars v{{"rid", "1000"}};
        CHECK(try_match("<body ack='{rid+1}'/>", "<body ack='1001'/>", v) == "");
        CHECK(try_match("<body ack='{rid+1}'/>", "<body ack='1000'/>", v) != "");
        CHECK(try_match("<body ack='{rid-2}'/>", "<body ack='998'/>", v) == "");
        CHECK(try_match("<body ack='{other+1}'/>", "<body ack='1'/>", v) != "");
    }

    TEST_CASE("substitute fills variables and unescapes doubled braces") {
        Vars v{{"sid", "s1"}, {"rid", "41"}};
        std::string error;
        CHECK(substitute("<body sid='{sid}' rid='{rid+1}'/>", v, error) ==
              "<body sid='s1' rid='42'/>");
        CHECK(substitute("{{literal}}", v, error) == "{literal}");
        CHECK(error.empty());
        substitute("{nope}", v, error);
        CHECK(error != "");
    }

    TEST_CASE(
        "the stream reader reports headers, elements with their bytes, restarts and the end") {
        StreamReader r;
        std::vector<StreamItem> items;
        REQUIRE(r.feed("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                       "xmlns:stream='http://etherx.jabber.org/streams' to='example.com'><mess",
                       items));
        REQUIRE(items.size() == 1);
        CHECK(items[0].kind == StreamItem::Kind::Header);
        CHECK(items[0].node.attr("", "to")->value == "example.com");
        REQUIRE(r.feed("age to='b'><body>x</body></message>", items));
        REQUIRE(items.size() == 2);
        CHECK(items[1].node.ns == "jabber:client");
        CHECK(items[1].node.raw == "<message to='b'><body>x</body></message>");
        // A restart writes a new document on the same connection.
        REQUIRE(r.feed("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                       "xmlns:stream='http://etherx.jabber.org/streams' to='example.com'>"
                       "<iq/></stream:stream>",
                       items));
        REQUIRE(items.size() == 5);
        CHECK(items[2].kind == StreamItem::Kind::Header);
        CHECK(items[4].kind == StreamItem::Kind::Close);
        CHECK_FALSE(r.feed("<junk", items)); // after the end: not well-formed
    }

} // TEST_SUITE
