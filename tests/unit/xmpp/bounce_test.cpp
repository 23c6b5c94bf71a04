#include "xmpp/bounce.h"

#include <doctest/doctest.h>
#include <string>

using boshd::xml::Fragment;
using boshd::xmpp::bounce;
using boshd::xmpp::read_stanza_head;

namespace {

Fragment stanza(std::string local, std::string bytes, std::string ns = "jabber:client") {
    Fragment f;
    f.bytes = std::move(bytes);
    f.ns = std::move(ns);
    f.local = std::move(local);
    return f;
}

constexpr const char* kServiceUnavailable = "<error type='cancel'><service-unavailable "
                                            "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>";
constexpr const char* kRecipientUnavailable =
    "<error type='wait'><recipient-unavailable "
    "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>";

} // namespace

TEST_SUITE("xmpp/bounce") {
    TEST_CASE("read_stanza_head reads the root's routing attributes, entities decoded") {
        const auto h =
            read_stanza_head("<iq xmlns='jabber:client' to='a@x/r' from='b@y/s' "
                             "id='q&amp;1' type='get'><query xmlns='q' to='inner'/></iq>");
        REQUIRE(h);
        CHECK(h->to == "a@x/r");
        CHECK(h->from == "b@y/s");
        CHECK(h->id == "q&1");
        CHECK(h->type == "get");
        CHECK_FALSE(read_stanza_head("not xml"));
        CHECK_FALSE(read_stanza_head(""));
    }

    TEST_CASE("read_stanza_head ignores prefixed attributes of another namespace") {
        const auto h = read_stanza_head("<message xmlns='jabber:client' xmlns:o='urn:o' "
                                        "o:from='spoof' from='real@x'/>");
        REQUIRE(h);
        CHECK(h->from == "real@x");
    }

    TEST_CASE("C206-7-01 presence: nothing") {
        CHECK_FALSE(bounce(stanza("presence", "<presence xmlns='jabber:client' from='b@y/s'/>")));
    }

    TEST_CASE("C206-7-02 iq get and set: service-unavailable back to the sender, same id") {
        for (const char* type : {"get", "set"}) {
            CAPTURE(type);
            const auto e =
                bounce(stanza("iq", std::string("<iq xmlns='jabber:client' to='a@x/r' "
                                                "from='b@y/s' id='v1' type='") +
                                        type + "'><query xmlns='jabber:iq:version'/></iq>"));
            REQUIRE(e);
            CHECK(*e == std::string("<iq xmlns='jabber:client' type='error' id='v1' to='b@y/s'>") +
                            kServiceUnavailable + "</iq>");
        }
    }

    TEST_CASE("C206-7-02 iq result and error: nothing") {
        for (const char* type : {"result", "error"}) {
            CAPTURE(type);
            CHECK_FALSE(bounce(stanza("iq", std::string("<iq xmlns='jabber:client' from='b@y' "
                                                        "id='v1' type='") +
                                                type + "'/>")));
        }
    }

    TEST_CASE("C206-7-03 message: recipient-unavailable back to the sender") {
        const auto e = bounce(stanza("message", "<message xmlns='jabber:client' to='a@x/r' "
                                                "from='b@y/s' id='m&lt;1' type='chat'>"
                                                "<body>hi</body></message>"));
        REQUIRE(e);
        CHECK(*e == std::string("<message xmlns='jabber:client' type='error' id='m&lt;1' "
                                "to='b@y/s'><body>hi</body>") +
                        kRecipientUnavailable + "</message>");
        // No id, no type: still answered, without an id.
        const auto plain = bounce(
            stanza("message", "<message xmlns='jabber:client' from='b@y'><body/></message>"));
        REQUIRE(plain);
        CHECK(plain->find(" id=") == std::string::npos);
        CHECK(plain->find("to='b@y'") != std::string::npos);
    }

    TEST_CASE("C206-7-04 a message bounce carries the original children, namespaces kept") {
        const auto e = bounce(stanza(
            "message", "<message xmlns='jabber:client' xmlns:x='urn:x' from='b@y' id='m2'>"
                       "<body>a &amp; b</body><x:data x:k='v'/><thread>t</thread></message>"));
        REQUIRE(e);
        CHECK(*e == std::string("<message xmlns='jabber:client' type='error' id='m2' to='b@y' "
                                "xmlns:x='urn:x'><body>a &amp; b</body><x:data x:k='v'/>"
                                "<thread>t</thread>") +
                        kRecipientUnavailable + "</message>");
        // An iq error carries only the error.
        const auto iq = bounce(stanza("iq", "<iq xmlns='jabber:client' from='b@y' id='q' "
                                            "type='get'><query xmlns='urn:q'/></iq>"));
        REQUIRE(iq);
        CHECK(iq->find("urn:q") == std::string::npos);
    }

    TEST_CASE("C206-7-03 message of type error: nothing") {
        CHECK_FALSE(bounce(stanza("message", "<message xmlns='jabber:client' from='b@y' "
                                             "type='error'><error type='cancel'/></message>")));
    }

    TEST_CASE("no sender, no id on an iq, or not a jabber:client stanza: nothing") {
        CHECK_FALSE(bounce(stanza("message", "<message xmlns='jabber:client'><body/></message>")));
        CHECK_FALSE(bounce(stanza("iq", "<iq xmlns='jabber:client' from='b@y' type='get'/>")));
        CHECK_FALSE(bounce(stanza("features",
                                  "<stream:features xmlns:stream='http://etherx.jabber.org/"
                                  "streams'/>",
                                  "http://etherx.jabber.org/streams")));
    }
}
