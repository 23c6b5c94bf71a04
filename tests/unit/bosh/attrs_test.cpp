#include "bosh/attrs.h"

#include <doctest/doctest.h>
#include <string>
#include <string_view>

using boshd::bosh::BodyAttrs;
using boshd::bosh::kMaxRid;
using boshd::bosh::parse_attrs;
using boshd::bosh::to_string;
using boshd::bosh::Version;

namespace {

// Parses <body xmlns='…httpbind' |attrs|/> and returns the attributes, or
// fails the test when the document or the attributes are rejected.
BodyAttrs attrs_ok(const std::string& attrs) {
    const std::string doc = "<body xmlns='http://jabber.org/protocol/httpbind' " + attrs + "/>";
    auto body = boshd::xml::parse_body(doc, {});
    INFO("document: ", doc);
    REQUIRE_MESSAGE(body.ok(), (body.ok() ? std::string() : body.error()));
    auto a = parse_attrs(body.value());
    REQUIRE_MESSAGE(a.ok(), (a.ok() ? std::string() : a.error()));
    return std::move(a).value();
}

// The reason parse_attrs rejects |attrs|, or a marker when it accepts them.
std::string attrs_error(const std::string& attrs) {
    const std::string doc = "<body xmlns='http://jabber.org/protocol/httpbind' " + attrs + "/>";
    auto body = boshd::xml::parse_body(doc, {});
    INFO("document: ", doc);
    REQUIRE_MESSAGE(body.ok(), (body.ok() ? std::string() : body.error()));
    auto a = parse_attrs(body.value());
    return a.ok() ? std::string("<accepted>") : a.error();
}

void check_rejected(const std::string& attrs, std::string_view reason) {
    CAPTURE(attrs);
    CHECK(attrs_error(attrs) == reason);
}

} // namespace

TEST_SUITE("bosh/attrs") {

    TEST_CASE("no attributes: everything absent, no restart, no terminate") {
        const auto a = attrs_ok("");
        CHECK_FALSE(a.rid);
        CHECK_FALSE(a.sid);
        CHECK_FALSE(a.to);
        CHECK_FALSE(a.lang);
        CHECK_FALSE(a.ver);
        CHECK_FALSE(a.wait);
        CHECK_FALSE(a.hold);
        CHECK_FALSE(a.content);
        CHECK_FALSE(a.from);
        CHECK_FALSE(a.xmpp_version);
        CHECK_FALSE(a.ack);
        CHECK_FALSE(a.pause);
        CHECK_FALSE(a.restart);
        CHECK_FALSE(a.terminate);
    }

    TEST_CASE("a full creation request") {
        const auto a = attrs_ok("rid='1573741820' to='example.com' xml:lang='de' ver='1.11' "
                                "wait='60' hold='1' content='text/xml; charset=utf-8' "
                                "from='user@example.com' ack='1' "
                                "xmlns:xmpp='urn:xmpp:xbosh' xmpp:version='1.0' sid='ignored'");
        CHECK(a.rid == 1573741820u);
        CHECK(a.to == "example.com");
        CHECK(a.lang == "de");
        REQUIRE(a.ver);
        CHECK(a.ver->major == 1);
        CHECK(a.ver->minor == 11);
        CHECK(a.wait == 60u);
        CHECK(a.hold == 1u);
        CHECK(a.content == "text/xml; charset=utf-8");
        CHECK(a.from == "user@example.com");
        CHECK(a.ack == 1u);
        CHECK(a.xmpp_version == "1.0");
        CHECK(a.sid == "ignored");
        CHECK_FALSE(a.restart);
        CHECK_FALSE(a.terminate);
    }

    TEST_CASE("C124-14.1-01 rid: 1 and 2^53-1 are accepted") {
        CHECK(attrs_ok("rid='1'").rid == 1u);
        CHECK(attrs_ok("rid='9007199254740991'").rid == 9007199254740991u);
        CHECK(kMaxRid == 9007199254740991u);
        CHECK(attrs_ok("rid='4294967296'").rid == 4294967296u); // beyond 32 bits
        CHECK(attrs_ok("rid='007'").rid == 7u);                 // xs:unsignedLong allows it
    }

    TEST_CASE("C124-14.1-01 C124-6-10 rid: 0, 2^53 and non-numbers are rejected") {
        const std::string reason = "rid is not an integer in range";
        check_rejected("rid='0'", reason);
        check_rejected("rid='9007199254740992'", reason);
        check_rejected("rid='18446744073709551615'", reason);
        check_rejected("rid='18446744073709551616'", reason); // overflows 64 bits
        check_rejected("rid='99999999999999999999999'", reason);
        check_rejected("rid='abc'", reason);
        check_rejected("rid='-1'", reason);
        check_rejected("rid=' 5'", reason);
        check_rejected("rid='5 '", reason);
        check_rejected("rid='+5'", reason);
        check_rejected("rid=''", reason);
        check_rejected("rid='1.0'", reason);
        check_rejected("rid='1e3'", reason);
        check_rejected("rid='0x10'", reason);
        check_rejected("rid='&#x661;'", reason); // ARABIC-INDIC DIGIT ONE
    }

    TEST_CASE("C124-6-10 C124-15.4-01 key and newkey are 40 hex digits, kept as 20 bytes") {
        const std::string hex = "0123456789abcdefABCDEF0123456789abcdef01";
        const auto a = attrs_ok("key='" + hex + "' newkey='" + hex + "'");
        REQUIRE(boshd::bosh::key_of(a));
        CHECK((*boshd::bosh::key_of(a))[0] == 0x01);
        CHECK(boshd::bosh::parse_key(hex) ==
              boshd::bosh::parse_key("0123456789ABCDEFabcdef0123456789ABCDEF01"));
        const std::string reason = "key or newkey is not 40 hex digits";
        check_rejected("key='abc'", reason);
        check_rejected("newkey='abc'", reason);
        check_rejected("key=''", reason);
        check_rejected("key='" + hex + "0'", reason);                     // 41
        check_rejected("newkey='" + std::string(39, 'a') + "g'", reason); // not hex
        check_rejected("key='" + std::string(100000, 'a') + "'", reason);
    }

    TEST_CASE("C124-6-10 wait, hold and pause are unsigned 32-bit integers") {
        const auto a = attrs_ok("wait='0' hold='4294967295' pause='120'");
        CHECK(a.wait == 0u);
        CHECK(a.hold == 4294967295u);
        CHECK(a.pause == 120u);
        check_rejected("wait='x'", "wait is not an integer in range");
        check_rejected("wait='-5'", "wait is not an integer in range");
        check_rejected("wait=''", "wait is not an integer in range");
        check_rejected("wait='60s'", "wait is not an integer in range");
        check_rejected("wait='4294967296'", "wait is not an integer in range");
        check_rejected("hold='-1'", "hold is not an integer in range");
        check_rejected("hold='1.5'", "hold is not an integer in range");
        check_rejected("pause='x'", "pause is not an integer in range");
        check_rejected("pause='4294967296'", "pause is not an integer in range");
    }

    TEST_CASE("ack is an unsigned rid-range integer") {
        CHECK(attrs_ok("ack='0'").ack == 0u);
        CHECK(attrs_ok("ack='9007199254740991'").ack == 9007199254740991u);
        check_rejected("ack='9007199254740992'", "ack is not an integer in range");
        check_rejected("ack='-1'", "ack is not an integer in range");
    }

    TEST_CASE("C124-7.1-04 ver is major.minor, each an integer") {
        const auto a = attrs_ok("ver='1.10'");
        REQUIRE(a.ver);
        CHECK(*a.ver == Version{1, 10});
        CHECK(*attrs_ok("ver='1.6'").ver == Version{1, 6});
        CHECK(*attrs_ok("ver='2.0'").ver == Version{2, 0});
        CHECK(*attrs_ok("ver='1.09'").ver == Version{1, 9});
        for (const std::string bad : {"1", "1.", ".5", "1.x", "x.1", "1.2.3", "-1.5", "1.-5", "",
                                      " 1.5", "1,5", "4294967296.0", "1.4294967296"}) {
            CAPTURE(bad);
            check_rejected("ver='" + bad + "'", "ver is not major.minor");
        }
        CHECK(*attrs_ok("ver='4294967295.4294967295'").ver == Version{4294967295u, 4294967295u});
    }

    TEST_CASE("C124-7.1-04 Version orders numerically: 1.10 > 1.9") {
        CHECK(Version{1, 10} > Version{1, 9});
        CHECK(Version{1, 9} < Version{1, 10});
        CHECK(Version{2, 0} > Version{1, 11});
        CHECK(Version{1, 11} == Version{1, 11});
        CHECK(Version{1, 6} < Version{1, 11});
        CHECK_FALSE(Version{1, 10} < Version{1, 9});
        CHECK(to_string(Version{1, 10}) == "1.10");
        CHECK(to_string(Version{0, 0}) == "0.0");
    }

    TEST_CASE("C124-7.1-08 content must be printable ASCII: no header injection") {
        CHECK(attrs_ok("content='text/html; charset=utf-8'").content == "text/html; charset=utf-8");
        CHECK(attrs_ok("content='~ !'").content == "~ !");
        const std::string reason = "content is not a printable ASCII media type";
        check_rejected("content='text/xml&#13;&#10;Set-Cookie: a=b'", reason);
        check_rejected("content='text/xml&#10;X: y'", reason);
        check_rejected("content='text/xml&#13;'", reason);
        check_rejected("content='text/xml&#9;'", reason);
        check_rejected("content='text/xml&#127;'", reason);
        check_rejected("content='text/\xc3\xa9'", reason);
        check_rejected("content=''", reason);
    }

    TEST_CASE("C124-6-10 type must be 'terminate'") {
        CHECK(attrs_ok("type='terminate'").terminate);
        for (const std::string bad : {"error", "Terminate", "terminate ", "", "x"}) {
            CAPTURE(bad);
            check_rejected("type='" + bad + "'", "type is not 'terminate'");
        }
    }

    TEST_CASE("C206-5-02 C206-11-02 xmpp:restart is an xs:boolean") {
        const std::string ns = "xmlns:xmpp='urn:xmpp:xbosh' ";
        CHECK(attrs_ok(ns + "xmpp:restart='true'").restart);
        CHECK(attrs_ok(ns + "xmpp:restart='1'").restart);
        CHECK_FALSE(attrs_ok(ns + "xmpp:restart='false'").restart);
        CHECK_FALSE(attrs_ok(ns + "xmpp:restart='0'").restart);
        for (const std::string bad : {"TRUE", "True", "yes", "", " true", "2", "01"}) {
            CAPTURE(bad);
            check_rejected(ns + "xmpp:restart='" + bad + "'", "xmpp:restart is not an xs:boolean");
        }
    }

    TEST_CASE("C206-5-02 C206-11-01 restart is matched by namespace, not by prefix") {
        // Any prefix bound to urn:xmpp:xbosh.
        CHECK(attrs_ok("xmlns:x='urn:xmpp:xbosh' x:restart='true'").restart);
        // The unqualified attribute is not the xbosh one, and not an error.
        CHECK_FALSE(attrs_ok("restart='true'").restart);
        // The usual prefix bound to another namespace is not it either.
        CHECK_FALSE(attrs_ok("xmlns:xmpp='urn:other' xmpp:restart='true'").restart);
        CHECK_FALSE(attrs_ok("xmlns:xmpp='urn:other' xmpp:restart='TRUE'").restart);
    }

    TEST_CASE("C206-3-01 xmpp:version is matched by namespace") {
        CHECK(attrs_ok("xmlns:xmpp='urn:xmpp:xbosh' xmpp:version='1.0'").xmpp_version == "1.0");
        CHECK(attrs_ok("xmlns:x='urn:xmpp:xbosh' x:version='1.0'").xmpp_version == "1.0");
        CHECK_FALSE(attrs_ok("version='1.0'").xmpp_version);
        CHECK_FALSE(attrs_ok("xmlns:xmpp='urn:other' xmpp:version='1.0'").xmpp_version);
        // BOSH's own ver and xbosh version are separate attributes.
        const auto a = attrs_ok("ver='1.6' xmlns:xmpp='urn:xmpp:xbosh' xmpp:version='1.0'");
        CHECK(*a.ver == Version{1, 6});
        CHECK(a.xmpp_version == "1.0");
    }

    TEST_CASE("C124-7.1-03 xml:lang is read through the XML namespace") {
        CHECK(attrs_ok("xml:lang='de'").lang == "de");
        CHECK_FALSE(attrs_ok("lang='de'").lang);
    }

    TEST_CASE("L124-01 unknown attributes such as secure are ignored") {
        const auto a = attrs_ok("rid='5' secure='true' route='xmpp:a:5222'");
        CHECK(a.rid == 5u);
    }
}
