#include "xmpp/stream_parser.h"

#include <doctest/doctest.h>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

using boshd::xml::Fragment;
using boshd::xml::kStreamsNs;
using boshd::xmpp::StreamBroken;
using boshd::xmpp::StreamElement;
using boshd::xmpp::StreamEnded;
using boshd::xmpp::StreamEvent;
using boshd::xmpp::StreamOpened;
using boshd::xmpp::StreamParser;

namespace {

constexpr std::size_t kMax = 1 << 16;

const std::string kHeader = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                            "xmlns:stream='http://etherx.jabber.org/streams' id='abc123' "
                            "from='example.com' version='1.0' xml:lang='en'>";

// |items| one a line, so that doctest prints both sides of a mismatch.
std::string v_of(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) {
        out += s;
        out += '\n';
    }
    return out;
}

// A readable trace of |events|, one event a line: "open", "el:<bytes>", "end", "broken".
std::string trace(const std::vector<StreamEvent>& events) {
    std::vector<std::string> out;
    for (const auto& ev : events) {
        if (std::holds_alternative<StreamOpened>(ev)) {
            out.push_back("open");
        } else if (auto* e = std::get_if<StreamElement>(&ev)) {
            out.push_back("el:" + e->element.bytes);
        } else if (std::holds_alternative<StreamEnded>(ev)) {
            out.push_back("end");
        } else {
            out.push_back("broken");
        }
    }
    return v_of(out);
}

std::vector<StreamEvent> feed_all(StreamParser& p, std::string_view bytes) {
    std::vector<StreamEvent> out;
    p.feed(bytes, out);
    return out;
}

std::vector<StreamEvent> parse(std::string_view bytes, std::size_t max = kMax) {
    StreamParser p(max);
    return feed_all(p, bytes);
}

std::vector<StreamEvent> parse_bytewise(std::string_view bytes, std::size_t max = kMax) {
    StreamParser p(max);
    std::vector<StreamEvent> out;
    for (char c : bytes) {
        p.feed(std::string_view(&c, 1), out);
    }
    return out;
}

// |l| joined like trace(), so that a mismatch prints both sides.
std::string v(std::initializer_list<std::string> l) {
    return v_of(l);
}

bool ends_broken(const std::vector<StreamEvent>& events) {
    return !events.empty() && std::holds_alternative<StreamBroken>(events.back());
}

std::string reason_of(const std::vector<StreamEvent>& events) {
    REQUIRE(ends_broken(events));
    return std::get<StreamBroken>(events.back()).reason;
}

// "<message to='x'><body>AAAA…</body></message>" of exactly |size| bytes.
std::string stanza_of_size(std::size_t size) {
    const std::string head = "<message to='x'><body>";
    const std::string tail = "</body></message>";
    REQUIRE(size >= head.size() + tail.size());
    return head + std::string(size - head.size() - tail.size(), 'A') + tail;
}

} // namespace

TEST_SUITE("xmpp/stream_parser") {

    TEST_CASE("the header's id, from, version and xml:lang are reported") {
        const auto ev = parse(kHeader);
        REQUIRE(ev.size() == 1);
        const auto& h = std::get<StreamOpened>(ev[0]).header;
        CHECK(h.id == "abc123");
        CHECK(h.from == "example.com");
        CHECK(h.version == "1.0");
        CHECK(h.lang == "en");
    }

    TEST_CASE("header attributes are matched by namespace and decoded") {
        // An unqualified `lang` is not xml:lang; a prefixed `id` is not the id.
        const auto ev = parse("<s:stream xmlns:s='http://etherx.jabber.org/streams' "
                              "xmlns:o='urn:o' o:id='no' id='a&amp;b' lang='no' "
                              "from='&#x65;x'>");
        REQUIRE(ev.size() == 1);
        const auto& h = std::get<StreamOpened>(ev[0]).header;
        CHECK(h.id == "a&b");
        CHECK(h.from == "ex");
        CHECK(h.version.empty());
        CHECK(h.lang.empty());
    }

    TEST_CASE("C206-2-04 stanzas are delivered as fragments with xmlns='jabber:client' added") {
        const auto ev = parse(kHeader + "<message from='a@b/c' to='d@e'><body>hi &amp; "
                                        "bye</body></message>");
        REQUIRE(ev.size() == 2);
        const auto& f = std::get<StreamElement>(ev[1]).element;
        CHECK(f.bytes == "<message xmlns='jabber:client' from='a@b/c' to='d@e'><body>hi &amp; "
                         "bye</body></message>");
        CHECK(f.ns == "jabber:client");
        CHECK(f.local == "message");
        CHECK_FALSE(f.needs_stream_prefix);
    }

    TEST_CASE("a stanza split at every byte position yields the same fragment") {
        const std::string stanza = "<message to='d@e' id='x1'><body>Gr\xc3\xbc\xc3\x9f"
                                   "e \xe2\x9c\x93 \xf0\x9f\x98\x80</body>"
                                   "<x xmlns='urn:x'><![CDATA[a]]b]]></x></message>";
        const auto want = "<message xmlns='jabber:client'" + stanza.substr(8);
        const std::string tail = "<presence/>";
        // Splits inside the header and the XML declaration, too.
        const std::string all = kHeader + stanza + tail;
        for (std::size_t split = 0; split <= all.size(); ++split) {
            CAPTURE(split);
            StreamParser p(kMax);
            std::vector<StreamEvent> ev;
            p.feed(std::string_view(all).substr(0, split), ev);
            p.feed(std::string_view(all).substr(split), ev);
            CHECK(trace(ev) == v({"open", "el:" + want, "el:<presence xmlns='jabber:client'/>"}));
        }
    }

    TEST_CASE("a stanza split into three pieces at every pair of positions") {
        const std::string stanza = "<iq type='get' id='\xc3\xa9'><q xmlns='urn:q'/></iq>";
        const std::string want = "<iq xmlns='jabber:client'" + stanza.substr(3);
        for (std::size_t a = 0; a <= stanza.size(); ++a) {
            for (std::size_t b = a; b <= stanza.size(); ++b) {
                CAPTURE(a);
                CAPTURE(b);
                StreamParser p(kMax);
                std::vector<StreamEvent> ev;
                p.feed(kHeader, ev);
                p.feed(std::string_view(stanza).substr(0, a), ev);
                p.feed(std::string_view(stanza).substr(a, b - a), ev);
                p.feed(std::string_view(stanza).substr(b), ev);
                REQUIRE(ev.size() == 2);
                CHECK(std::get<StreamElement>(ev[1]).element.bytes == want);
            }
        }
    }

    TEST_CASE("a stream fed one byte at a time") {
        const auto ev =
            parse_bytewise(kHeader + "<a/> <b x='1'>t</b>\n<c><d/></c></stream:stream>");
        CHECK(trace(ev) ==
              v({"open", "el:<a xmlns='jabber:client'/>", "el:<b xmlns='jabber:client' x='1'>t</b>",
                 "el:<c xmlns='jabber:client'><d/></c>", "end"}));
    }

    TEST_CASE("several stanzas in one feed, whitespace keepalives between them ignored") {
        const auto ev = parse(kHeader + " \n<message/>\r\n\t <presence type='unavailable'/>  "
                                        "<iq id='1'/>\n");
        CHECK(trace(ev) == v({"open", "el:<message xmlns='jabber:client'/>",
                              "el:<presence xmlns='jabber:client' type='unavailable'/>",
                              "el:<iq xmlns='jabber:client' id='1'/>"}));
    }

    TEST_CASE("whitespace keepalives alone produce no events") {
        StreamParser p(kMax);
        CHECK(trace(feed_all(p, kHeader)) == v({"open"}));
        for (int i = 0; i < 100; ++i) {
            CHECK(feed_all(p, " ").empty());
            CHECK(feed_all(p, "\n").empty());
        }
        CHECK(trace(feed_all(p, "<a/>")) == v({"el:<a xmlns='jabber:client'/>"}));
    }

    TEST_CASE("feeding nothing does nothing") {
        StreamParser p(kMax);
        CHECK(feed_all(p, "").empty());
        CHECK(trace(feed_all(p, kHeader)) == v({"open"}));
        CHECK(feed_all(p, "").empty());
    }

    TEST_CASE("non-whitespace text between stanzas breaks the stream") {
        auto ev = parse(kHeader + "<a/>junk<b/>");
        CHECK(trace(ev) == v({"open", "el:<a xmlns='jabber:client'/>", "broken"}));
        CHECK(reason_of(ev) == "character data between stanzas");
        CHECK(trace(parse(kHeader + "&amp;")) == v({"open", "broken"}));
        CHECK(trace(parse(kHeader + "<![CDATA[x]]>")) == v({"open", "broken"}));
        CHECK(trace(parse(kHeader + "\xc2\xa0")) == v({"open", "broken"}));
    }

    TEST_CASE("after a break nothing more is reported") {
        StreamParser p(kMax);
        CHECK(trace(feed_all(p, kHeader + "x")) == v({"open", "broken"}));
        CHECK(feed_all(p, "<a/>").empty());
        CHECK(feed_all(p, "</stream:stream>").empty());
    }

    TEST_CASE("</stream:stream> ends the stream; nothing after it is reported") {
        StreamParser p(kMax);
        CHECK(trace(feed_all(p, kHeader + "<a/></stream:stream><b/>")) ==
              v({"open", "el:<a xmlns='jabber:client'/>", "end"}));
        CHECK(feed_all(p, "<c/>").empty());
        // The end tag split across feeds.
        StreamParser q(kMax);
        CHECK(trace(feed_all(q, kHeader + "</stream:str")) == v({"open"}));
        CHECK(trace(feed_all(q, "eam>")) == v({"end"}));
    }

    TEST_CASE("a self-closed header opens and ends the stream") {
        CHECK(trace(parse("<stream:stream xmlns:stream='http://etherx.jabber.org/streams'/>")) ==
              v({"open", "end"}));
    }

    TEST_CASE("a root other than <stream:stream> breaks the stream") {
        CHECK(trace(parse("<stream xmlns='jabber:client'>")) == v({"broken"}));
        CHECK(trace(parse("<stream:features xmlns:stream='http://etherx.jabber.org/streams'>")) ==
              v({"broken"}));
        CHECK(trace(parse("<stream:stream xmlns:stream='urn:wrong'>")) == v({"broken"}));
        CHECK(trace(parse("<html>")) == v({"broken"}));
        CHECK(reason_of(parse("<html>")) == "root element is not <stream:stream>");
    }

    TEST_CASE("DOCTYPE, comments and processing instructions break the stream") {
        CHECK(reason_of(parse("<!DOCTYPE stream:stream>" + kHeader)) == "DOCTYPE in the stream");
        CHECK(reason_of(parse("<!DOCTYPE s [<!ENTITY x 'y'>]>" + kHeader + "<a>&x;</a>")) ==
              "DOCTYPE in the stream");
        CHECK(trace(parse(kHeader + "<!-- c -->")) == v({"open", "broken"}));
        CHECK(reason_of(parse(kHeader + "<a><!-- c --></a>")) == "comment in the stream");
        CHECK(reason_of(parse("<!-- c -->" + kHeader)) == "comment in the stream");
        CHECK(trace(parse(kHeader + "<?pi x?>")) == v({"open", "broken"}));
        CHECK(reason_of(parse(kHeader + "<a><?pi x?></a>")) ==
              "processing instruction in the stream");
    }

    TEST_CASE("malformed XML breaks the stream") {
        for (const std::string bad :
             {"<a></b>", "<a x=1/>", "<a x='1' x='2'/>", "<a>&foo;</a>", "<a>\xff</a>",
              "<a>\x01</a>", "<p:a/>", "</a>", "<a>\xc0\xaf</a>", "<a>&#0;</a>"}) {
            CAPTURE(bad);
            const auto ev = parse(kHeader + bad);
            CHECK(trace(ev) == v({"open", "broken"}));
            CHECK(reason_of(ev).rfind("malformed XML", 0) == 0);
        }
        CHECK(trace(parse("hello ")) == v({"broken"}));
        // A name at the end of the input may still grow: not an error yet.
        CHECK(trace(parse("hello")).empty());
    }

    TEST_CASE("max_element_size: a stanza of exactly the limit passes in one feed") {
        const std::size_t max = 200;
        const auto s = stanza_of_size(max);
        CHECK(trace(parse(kHeader, max)) == v({"open"}));
        StreamParser p(max);
        feed_all(p, kHeader);
        const auto ev = feed_all(p, s);
        REQUIRE(ev.size() == 1);
        CHECK(std::get<StreamElement>(ev[0]).element.bytes ==
              "<message xmlns='jabber:client'" + s.substr(8));
    }

    TEST_CASE("max_element_size: a stanza one byte over breaks the stream in one feed") {
        const std::size_t max = 200;
        StreamParser p(max);
        feed_all(p, kHeader);
        const auto ev = feed_all(p, stanza_of_size(max + 1));
        CHECK(trace(ev) == v({"broken"}));
        CHECK(feed_all(p, "<a/>").empty());
    }

    TEST_CASE("max_element_size: the limit holds at the boundary when fed byte by byte") {
        const std::size_t max = 200;
        {
            StreamParser p(max);
            feed_all(p, kHeader);
            std::vector<StreamEvent> ev;
            for (char c : stanza_of_size(max)) {
                p.feed(std::string_view(&c, 1), ev);
            }
            REQUIRE(ev.size() == 1);
            CHECK(std::holds_alternative<StreamElement>(ev[0]));
        }
        {
            StreamParser p(max);
            feed_all(p, kHeader);
            std::vector<StreamEvent> ev;
            for (char c : stanza_of_size(max + 1)) {
                p.feed(std::string_view(&c, 1), ev);
            }
            CHECK(trace(ev) == v({"broken"}));
        }
    }

    TEST_CASE("max_element_size: an unfinished start tag cannot grow without bound") {
        const std::size_t max = 200;
        StreamParser p(max);
        feed_all(p, kHeader);
        std::vector<StreamEvent> ev;
        p.feed("<message to='", ev);
        for (int i = 0; i < 1000 && ev.empty(); ++i) {
            p.feed("aaaaaaaaaa", ev);
        }
        CHECK(trace(ev) == v({"broken"}));
        CHECK(reason_of(ev) == "stanza larger than backend.max_stanza_size");
    }

    TEST_CASE("max_element_size: an unfinished header cannot grow without bound") {
        StreamParser p(100);
        std::vector<StreamEvent> ev;
        p.feed("<stream:stream xmlns:stream='http://etherx.jabber.org/streams' x='", ev);
        for (int i = 0; i < 1000 && ev.empty(); ++i) {
            p.feed("aaaaaaaaaa", ev);
        }
        CHECK(trace(ev) == v({"broken"}));
    }

    TEST_CASE("max_element_size: a header over the limit in one feed breaks the stream") {
        CHECK(trace(parse(kHeader, kHeader.size() - 1)) == v({"broken"}));
        CHECK(trace(parse(kHeader, kHeader.size())) == v({"open"}));
    }

    TEST_CASE("max_element_size: whitespace keepalives do not accumulate") {
        const std::string header = "<s:stream xmlns:s='http://etherx.jabber.org/streams'>";
        StreamParser p(header.size()); // 5,000 bytes of whitespace follow
        CHECK(trace(feed_all(p, header)) == v({"open"}));
        for (int i = 0; i < 1000; ++i) {
            CHECK(feed_all(p, "     ").empty());
        }
        CHECK(trace(feed_all(p, "<a/>")) == v({"el:<a/>"}));
    }

    TEST_CASE("C206-5-04 reset() starts a new document: a new header parses") {
        StreamParser p(kMax);
        CHECK(trace(feed_all(p, kHeader + "<a/><b")) ==
              v({"open", "el:<a xmlns='jabber:client'/>"}));
        p.reset();
        // The new stream binds another default namespace; the old one is gone.
        const auto ev = feed_all(p, "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
                                    "xmlns:stream='http://etherx.jabber.org/streams' id='new'>"
                                    "<c/>");
        REQUIRE(ev.size() == 2);
        CHECK(std::get<StreamOpened>(ev[0]).header.id == "new");
        CHECK(std::get<StreamElement>(ev[1]).element.bytes == "<c xmlns='jabber:server'/>");
    }

    TEST_CASE("reset() after the stream ended or broke makes the parser usable again") {
        StreamParser p(kMax);
        CHECK(trace(feed_all(p, kHeader + "</stream:stream>")) == v({"open", "end"}));
        p.reset();
        CHECK(trace(feed_all(p, kHeader + "<a/>")) == v({"open", "el:<a xmlns='jabber:client'/>"}));
        CHECK(trace(feed_all(p, "oops")) == v({"broken"}));
        p.reset();
        CHECK(trace(feed_all(p, kHeader)) == v({"open"}));
        // Split feeds still cut the right bytes after a reset (offsets restart at 0).
        CHECK(feed_all(p, "<b x='").empty());
        CHECK(trace(feed_all(p, "1'/>")) == v({"el:<b xmlns='jabber:client' x='1'/>"}));
    }

    TEST_CASE("stream:features children are recorded with their byte ranges") {
        const std::string mechs = "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                                  "<mechanism>PLAIN</mechanism></mechanisms>";
        const std::string tls = "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
        const auto ev =
            parse(kHeader + "<stream:features>" + tls + "\n" + mechs + "</stream:features>");
        REQUIRE(ev.size() == 2);
        const auto& f = std::get<StreamElement>(ev[1]).element;
        CHECK(f.is(kStreamsNs, "features"));
        CHECK(f.needs_stream_prefix);
        REQUIRE(f.children.size() == 2);
        CHECK(f.children[0].local == "starttls");
        CHECK(f.bytes.substr(f.children[0].begin, f.children[0].end - f.children[0].begin) == tls);
        CHECK(f.children[1].local == "mechanisms");
        CHECK(f.bytes.substr(f.children[1].begin, f.children[1].end - f.children[1].begin) ==
              mechs);
    }

    TEST_CASE("stream:features split byte by byte still has correct child ranges") {
        const std::string tls = "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/>"
                                "</starttls>";
        const auto ev = parse_bytewise(kHeader + "<stream:features>" + tls + "</stream:features>");
        REQUIRE(ev.size() == 2);
        const auto& f = std::get<StreamElement>(ev[1]).element;
        REQUIRE(f.children.size() == 1);
        CHECK(f.bytes.substr(f.children[0].begin, f.children[0].end - f.children[0].begin) == tls);
    }

    TEST_CASE("10,000 stanzas of 100 bytes go through a 256-byte limit") {
        const auto s = stanza_of_size(100);
        const auto want = "<message xmlns='jabber:client'" + s.substr(8);
        SUBCASE("one feed per stanza") {
            StreamParser p(256);
            feed_all(p, kHeader);
            std::size_t delivered = 0;
            for (int i = 0; i < 10000; ++i) {
                const auto ev = feed_all(p, s);
                if (ev.size() == 1 && std::get<StreamElement>(ev[0]).element.bytes == want) {
                    ++delivered;
                }
            }
            CHECK(delivered == 10000);
        }
        SUBCASE("feeds of 37 bytes that cut stanzas anywhere") {
            std::string all;
            for (int i = 0; i < 10000; ++i) {
                all += s;
                all += ' ';
            }
            StreamParser p(256);
            std::vector<StreamEvent> ev;
            p.feed(kHeader, ev);
            for (std::size_t i = 0; i < all.size(); i += 37) {
                p.feed(std::string_view(all).substr(i, 37), ev);
            }
            REQUIRE(ev.size() == 10001);
            std::size_t delivered = 0;
            for (std::size_t i = 1; i < ev.size(); ++i) {
                const auto* e = std::get_if<StreamElement>(&ev[i]);
                delivered += e && e->element.bytes == want ? 1 : 0;
            }
            CHECK(delivered == 10000);
        }
    }

    TEST_CASE("between bursts the parser is freed; the next burst resumes in the same namespaces") {
        StreamParser p(kMax);
        const std::string header =
            "<s:stream xmlns='jabber:client' xmlns:s='http://etherx.jabber.org/streams' "
            "xmlns:db='jabber:server:dialback' id='x' version='1.0'>";
        CHECK(trace(feed_all(p, header)) == v({"open"}));
        CHECK(p.hibernating()); // the header alone: nothing pending
        // A stanza relying on the header's default namespace and on a prefix
        // the header declared, after the parser was re-created.
        CHECK(
            trace(feed_all(p, "<db:result to='a'/>")) ==
            v({"el:<db:result xmlns='jabber:client' xmlns:db='jabber:server:dialback' to='a'/>"}));
        CHECK(p.hibernating());
        CHECK(trace(feed_all(p, "<message><body>x</body></message>")) ==
              v({"el:<message xmlns='jabber:client'><body>x</body></message>"}));
        // The stream prefix of the header stays bound: features and the end.
        const auto ev = feed_all(
            p, "<s:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></s:features>");
        REQUIRE(ev.size() == 1);
        CHECK(std::get<StreamElement>(ev[0]).element.is(kStreamsNs, "features"));
        CHECK(trace(feed_all(p, "</s:stream>")) == v({"end"}));
    }

    TEST_CASE("a stanza cut between bursts keeps the parser until it is complete") {
        StreamParser p(kMax);
        feed_all(p, kHeader);
        CHECK(trace(feed_all(p, "<message><bo")) == v({}));
        CHECK_FALSE(p.hibernating());
        CHECK(trace(feed_all(p, "dy>y</body></message> ")) ==
              v({"el:<message xmlns='jabber:client'><body>y</body></message>"}));
        CHECK(p.hibernating());
    }

    TEST_CASE("after resuming, a malformed burst still breaks the stream") {
        StreamParser p(kMax);
        feed_all(p, kHeader + "<a/>");
        REQUIRE(p.hibernating());
        CHECK(trace(feed_all(p, "<b></c>")) == v({"broken"}));
        CHECK(trace(feed_all(p, "<d/>")) == v({})); // nothing after a broken stream
    }
}
