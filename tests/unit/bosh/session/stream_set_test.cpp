// Stream and StreamSet: a session's XMPP streams (XEP-0124 §16, XEP-0206),
// each carried by one backend link, and what they owe the server when the
// client is gone (XEP-0206 §7).
#include "bosh/session/stream_set.h"
#include "support/session_context.h"

#include <doctest/doctest.h>
#include <memory>
#include <set>
#include <string>
#include <vector>

using boshd::bosh::ClientQueue;
using boshd::bosh::CloseBackend;
using boshd::bosh::LinkId;
using boshd::bosh::OpenBackend;
using boshd::bosh::Stream;
using boshd::bosh::StreamSet;
using boshd::bosh::WriteBackend;
using boshd::test::fragment;
using boshd::test::message;
using boshd::test::SessionContext;
namespace util = boshd::util;
namespace xml = boshd::xml;

namespace {

const std::string kClose = "</stream:stream>";

std::unique_ptr<Stream> open_stream(SessionContext& sc, std::string name, std::uint64_t link) {
    boshd::xmpp::HeaderParams header;
    header.to = "example.com";
    header.version = "1.0";
    return std::make_unique<Stream>(std::move(name), LinkId{link}, sc.route(), header,
                                    util::Endpoint{}, sc.ctx);
}

// A stream that is connected and negotiated: bounces can go out on it.
std::unique_ptr<Stream> up_stream(SessionContext& sc, std::string name, std::uint64_t link) {
    auto s = open_stream(sc, std::move(name), link);
    s->connected = true;
    s->features_arrived(sc.ctx);
    return s;
}

std::vector<LinkId> links(std::initializer_list<std::uint64_t> values) {
    std::vector<LinkId> out;
    for (auto v : values) {
        out.push_back(LinkId{v});
    }
    return out;
}

// The actions as short text, to check their order: "open 1", "write 1 <bytes>",
// "close 1", "respond 7".
std::vector<std::string> trace(const SessionContext& sc) {
    std::vector<std::string> out;
    for (const auto& a : sc.actions) {
        if (const auto* o = std::get_if<OpenBackend>(&a)) {
            out.push_back("open " + std::to_string(boshd::bosh::value_of(o->link)));
        } else if (const auto* w = std::get_if<WriteBackend>(&a)) {
            out.push_back("write " + std::to_string(boshd::bosh::value_of(w->link)) + " " +
                          w->bytes);
        } else if (const auto* c = std::get_if<CloseBackend>(&a)) {
            out.push_back("close " + std::to_string(boshd::bosh::value_of(c->link)));
        } else {
            out.push_back("other");
        }
    }
    return out;
}

xml::Fragment iq_get(const std::string& from, const std::string& id) {
    return fragment("<iq xmlns='jabber:client' type='get' from='" + from + "' id='" + id +
                        "'><query xmlns='jabber:iq:version'/></iq>",
                    "iq");
}

xml::Fragment presence(const std::string& from) {
    return fragment("<presence xmlns='jabber:client' from='" + from + "'/>", "presence");
}

// What boshd sends the sender of message(text, from, id) (C206-7-03).
std::string message_bounce(const std::string& text, const std::string& from,
                           const std::string& id) {
    return "<message xmlns='jabber:client' type='error' id='" + id + "' to='" + from + "'><body>" +
           text +
           "</body><error type='wait'><recipient-unavailable "
           "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>";
}

// What boshd sends the sender of iq_get(from, id) (C206-7-02).
std::string iq_bounce(const std::string& from, const std::string& id) {
    return "<iq xmlns='jabber:client' type='error' id='" + id + "' to='" + from +
           "'><error type='cancel'><service-unavailable "
           "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>";
}

} // namespace

TEST_SUITE("bosh/session/stream") {

    TEST_CASE("a new stream asks for its link and gives the server backend_timeout") {
        SessionContext sc;
        sc.limits.backend_timeout = util::Seconds(7);
        auto s = open_stream(sc, "name-1", 5);
        CHECK(trace(sc) == std::vector<std::string>{"open 5"});
        const auto opens = sc.all<OpenBackend>();
        REQUIRE(opens.size() == 1);
        CHECK(opens[0].route == sc.route()); // the route it was created under
        CHECK(opens[0].route->domain == "example.com");
        CHECK(sc.lifetimes.links_opened == links({5}));
        CHECK(sc.lifetimes.links_released.empty());
        CHECK(s->name == "name-1");
        CHECK(s->link == LinkId{5});
        CHECK(s->header.to == "example.com");
        CHECK(s->deadline == sc.now() + util::Seconds(7));
        CHECK(s->link_open);
        CHECK_FALSE(s->connected);
        CHECK_FALSE(s->negotiated);
        CHECK_FALSE(s->usable());
        CHECK_FALSE(s->server_header);
        CHECK_FALSE(s->info_sent);
    }

    TEST_CASE("C124-8-02 payloads before the stream is up wait, in order, then go at once") {
        SessionContext sc;
        auto s = open_stream(sc, "", 1);
        s->connected = true;
        sc.clear();
        const auto m1 = message("one", "a@example.com", "1");
        const auto m2 = message("two", "a@example.com", "2");
        const auto m3 = message("three", "a@example.com", "3");
        s->send({m1, m2}, sc.ctx);
        s->send({m3}, sc.ctx);
        CHECK(sc.actions.empty()); // not negotiated yet: nothing written
        CHECK(s->pending == m1.bytes + m2.bytes + m3.bytes);
        CHECK(sc.counters.stanzas_to_server == 3);
        CHECK(s->features_arrived(sc.ctx));
        CHECK(trace(sc) == std::vector<std::string>{"write 1 " + m1.bytes + m2.bytes + m3.bytes});
        CHECK(s->pending.empty());
        CHECK_FALSE(s->deadline); // the features came: no deadline any more
        CHECK(s->negotiated);
        CHECK(s->usable());
        sc.clear();
        CHECK_FALSE(s->features_arrived(sc.ctx)); // later features (a restart): nothing to flush
        CHECK(sc.actions.empty());
    }

    TEST_CASE("C124-8-01 once up, payloads are written at once, one write per request") {
        SessionContext sc;
        auto s = up_stream(sc, "", 1);
        sc.clear();
        const auto m1 = message("one");
        const auto m2 = message("two");
        s->send({m1, m2}, sc.ctx);
        CHECK(trace(sc) == std::vector<std::string>{"write 1 " + m1.bytes + m2.bytes});
        CHECK(sc.counters.stanzas_to_server == 2);
        s->send({}, sc.ctx); // an empty request writes nothing
        CHECK(sc.actions.size() == 1);
        CHECK(sc.counters.stanzas_to_server == 2);
    }

    TEST_CASE("close(): </stream:stream> when connected, then CloseBackend, once") {
        SessionContext sc;
        auto s = up_stream(sc, "", 3);
        sc.clear();
        s->close(sc.ctx);
        CHECK(trace(sc) == std::vector<std::string>{"write 3 " + kClose, "close 3"});
        CHECK(sc.lifetimes.links_released == links({3}));
        CHECK_FALSE(s->link_open);
        CHECK_FALSE(s->usable());
        sc.clear();
        s->close(sc.ctx); // no event names the link again: nothing to do
        s->write("<presence/>", sc.ctx);
        s->send({message("late")}, sc.ctx);
        CHECK(sc.actions.empty());
        CHECK(sc.lifetimes.links_released.empty());
    }

    TEST_CASE("close() before the link connected: no closing tag") {
        SessionContext sc;
        auto s = open_stream(sc, "", 4);
        sc.clear();
        s->close(sc.ctx);
        CHECK(trace(sc) == std::vector<std::string>{"close 4"});
        CHECK(sc.lifetimes.links_released == links({4}));
    }

    TEST_CASE("usable() needs the link open, connected and the stream negotiated") {
        SessionContext sc;
        auto s = open_stream(sc, "", 1);
        s->features_arrived(sc.ctx);
        CHECK_FALSE(s->usable()); // negotiated, yet not connected
        s->connected = true;
        CHECK(s->usable());
        s->link_open = false;
        CHECK_FALSE(s->usable());
    }
}

TEST_SUITE("bosh/session/stream_set") {

    TEST_CASE("C124-16.3-02 C124-16.4-01 an added stream has its own link and name; bodies "
              "are named from then on") {
        SessionContext sc;
        StreamSet set;
        set.add(open_stream(sc, "first", boshd::bosh::value_of(sc.ids.link())), sc.now());
        CHECK(set.size() == 1);
        CHECK_FALSE(set.named());
        CHECK_FALSE(set.last_add()); // the first stream is not an add
        sc.advance(util::Seconds(3));
        sc.clear();
        // As an add-stream request does: a new link, a freshly minted name.
        const auto name = sc.ids.token();
        const auto link = sc.ids.link();
        set.add(open_stream(sc, name, boshd::bosh::value_of(link)), sc.now());
        CHECK(trace(sc) ==
              std::vector<std::string>{"open " + std::to_string(boshd::bosh::value_of(link))});
        CHECK(sc.lifetimes.links_opened == std::vector<LinkId>{link});
        CHECK(name.size() == 32);
        CHECK(set.size() == 2);
        CHECK(set.named());
        CHECK(set.last_add() == sc.now());
        CHECK(set.first().name == "first");
        REQUIRE(set.by_link(link) != nullptr);
        CHECK(set.by_link(link)->name == name);
        CHECK(set.by_link(LinkId{99}) == nullptr);
        REQUIRE(set.by_name("first") != nullptr);
        CHECK(set.by_name("first")->link == LinkId{1});
        CHECK(set.by_name(name)->link == link);
        CHECK(set.by_name("third") == nullptr);
        CHECK(set.by_name("") == nullptr);
        // Back to one stream: still named, the client has seen names.
        set.drop(*set.by_name(name), sc.ctx);
        CHECK(set.size() == 1);
        CHECK(set.named());
    }

    TEST_CASE("drop() closes the stream's link and forgets it; first() moves on") {
        SessionContext sc;
        StreamSet set;
        set.add(up_stream(sc, "first", 1), sc.now());
        set.add(open_stream(sc, "second", 2), sc.now());
        sc.clear();
        set.drop(set.first(), sc.ctx);
        CHECK(trace(sc) == std::vector<std::string>{"write 1 " + kClose, "close 1"});
        CHECK(sc.lifetimes.links_released == links({1}));
        CHECK(set.by_link(LinkId{1}) == nullptr);
        CHECK(set.size() == 1);
        CHECK(set.first().name == "second");
    }

    TEST_CASE("C124-16.4-05 the names of the last 8 streams closed are remembered") {
        SessionContext sc;
        StreamSet set;
        set.add(open_stream(sc, "keep", 100), sc.now());
        for (std::uint64_t i = 1; i <= 9; ++i) {
            set.add(open_stream(sc, "s" + std::to_string(i), i), sc.now());
            set.drop(*set.by_link(LinkId{i}), sc.ctx);
        }
        CHECK_FALSE(set.recently_closed("s1")); // the oldest of nine fell out
        for (int i = 2; i <= 9; ++i) {
            CAPTURE(i);
            CHECK(set.recently_closed("s" + std::to_string(i)));
        }
        CHECK_FALSE(set.recently_closed("keep")); // open, not closed
        CHECK_FALSE(set.recently_closed("s10"));
    }

    TEST_CASE("C124-16.4-05 without multi-stream support no names are kept") {
        SessionContext sc;
        StreamSet set;
        set.add(open_stream(sc, "", 1), sc.now());
        set.drop(set.first(), sc.ctx);
        CHECK_FALSE(set.recently_closed(""));
        CHECK(set.size() == 0);
    }

    TEST_CASE("late() and next_deadline(): features are due backend_timeout after opening") {
        SessionContext sc;
        sc.limits.backend_timeout = util::Seconds(10);
        const auto t0 = sc.now();
        StreamSet set;
        CHECK_FALSE(set.next_deadline());
        set.add(open_stream(sc, "a", 1), sc.now());
        sc.advance(util::Seconds(3));
        set.add(open_stream(sc, "b", 2), sc.now());
        CHECK(set.next_deadline() == t0 + util::Seconds(10));
        CHECK(set.late(t0 + util::Seconds(10) - util::Duration(1)).empty());
        CHECK(set.late(t0 + util::Seconds(10)) == links({1}));
        CHECK(set.late(t0 + util::Seconds(13)) == links({1, 2}));
        set.first().features_arrived(sc.ctx);
        CHECK(set.next_deadline() == t0 + util::Seconds(13));
        CHECK(set.late(t0 + util::Seconds(13)) == links({2}));
        set.cancel_deadlines();
        CHECK_FALSE(set.next_deadline());
        CHECK(set.late(t0 + util::Seconds(1000)).empty());
    }

    TEST_CASE("C206-7-01 C206-7-02 C206-7-03 bounce(): an error to each sender, on its stream") {
        SessionContext sc;
        StreamSet set;
        set.add(up_stream(sc, "a", 1), sc.now());
        set.add(up_stream(sc, "b", 2), sc.now());
        sc.clear();
        ClientQueue q;
        q.push(LinkId{1}, message("hi", "x@example.com/r", "m1"));
        q.push(LinkId{2}, iq_get("y@example.com/r", "q1"));
        q.push(LinkId{1}, presence("z@example.com/r")); // C206-7-01: dropped silently
        q.push(LinkId{2}, message("there", "w@example.com/r", "m2"));
        set.bounce(q, "sid-1", "192.0.2.1", sc.ctx);
        CHECK(trace(sc) == std::vector<std::string>{
                               "write 1 " + message_bounce("hi", "x@example.com/r", "m1"),
                               "write 2 " + iq_bounce("y@example.com/r", "q1"),
                               "write 2 " + message_bounce("there", "w@example.com/r", "m2"),
                           });
        CHECK(q.empty());
        CHECK(q.bytes() == 0);
        CHECK(sc.capture.count("session.bounced sid=sid-1 ip=192.0.2.1 stanzas=3 dropped=0") == 1);
        CHECK(sc.lifetimes.links_released.empty()); // bouncing closes nothing
    }

    TEST_CASE("C206-7-03 bounce() sends nothing on a stream that is not up") {
        SessionContext sc;
        StreamSet set;
        set.add(up_stream(sc, "a", 1), sc.now());
        set.add(open_stream(sc, "b", 2), sc.now()); // still connecting
        sc.clear();
        ClientQueue q;
        q.push(LinkId{2}, message("lost"));
        q.push(LinkId{7}, message("no such stream"));
        q.push(LinkId{1}, presence("z@example.com/r"));
        set.bounce(q, "sid-1", "192.0.2.1", sc.ctx);
        CHECK(sc.actions.empty());
        CHECK(q.empty());                                // nothing is kept either
        CHECK(sc.capture.count("session.bounced") == 0); // nothing bounced, nothing dropped
    }

    TEST_CASE("bounce() stays within half of max_server_queue per stream") {
        const std::string first = message_bounce("one", "x@example.com/r", "1");
        SessionContext sc;
        sc.limits.max_server_queue = 2 * first.size(); // room for exactly one error each
        StreamSet set;
        set.add(up_stream(sc, "a", 1), sc.now());
        set.add(up_stream(sc, "b", 2), sc.now());
        sc.clear();
        ClientQueue q;
        q.push(LinkId{1}, message("one", "x@example.com/r", "1"));
        q.push(LinkId{1}, message("two", "x@example.com/r", "2")); // over stream 1's half
        q.push(LinkId{2}, message("one", "x@example.com/r", "1")); // stream 2 has its own
        set.bounce(q, "sid-1", "192.0.2.1", sc.ctx);
        CHECK(trace(sc) == std::vector<std::string>{"write 1 " + first, "write 2 " + first});
        CHECK(sc.capture.count("session.bounced sid=sid-1 ip=192.0.2.1 stanzas=2 dropped=1") == 1);
        CHECK(q.empty());
    }

    TEST_CASE(
        "C206-7-03 close_all(): what the client never got is bounced, then every link closes") {
        SessionContext sc;
        StreamSet set;
        set.add(up_stream(sc, "a", 1), sc.now());
        set.add(open_stream(sc, "b", 2), sc.now());
        sc.clear();
        ClientQueue q;
        q.push(LinkId{1}, message("hi", "x@example.com/r", "m1"));
        set.close_all(q, "sid-1", "192.0.2.1", sc.ctx);
        CHECK(trace(sc) ==
              std::vector<std::string>{"write 1 " + message_bounce("hi", "x@example.com/r", "m1"),
                                       "write 1 " + kClose, "close 1", "close 2"});
        CHECK(sc.lifetimes.links_released == links({1, 2}));
        CHECK(q.empty());
        // Closed streams stay in the set until dropped; closing again does nothing.
        sc.clear();
        set.close_all(q, "sid-1", "192.0.2.1", sc.ctx);
        CHECK(sc.actions.empty());
        CHECK(sc.lifetimes.links_released.empty());
    }

    TEST_CASE("close_all() with no stream connected: nothing to bounce on, links close") {
        SessionContext sc;
        StreamSet set;
        set.add(open_stream(sc, "a", 1), sc.now());
        sc.clear();
        ClientQueue q;
        q.push(LinkId{1}, message("hi"));
        set.close_all(q, "sid-1", "192.0.2.1", sc.ctx);
        CHECK(trace(sc) == std::vector<std::string>{"close 1"});
        CHECK(sc.lifetimes.links_released == links({1}));
        CHECK(q.items().size() == 1); // left for the caller
    }
}

TEST_SUITE("bosh/id_issuer") {

    TEST_CASE("C124-16.2-02 C124-7.2-01 tokens: 128 bits as 32 lower-case hex digits, distinct") {
        SessionContext sc;
        std::set<std::string> seen;
        for (int i = 0; i < 300; ++i) {
            const auto t = sc.ids.token();
            CHECK(t.size() == 32);
            CHECK(t.find_first_not_of("0123456789abcdef") == std::string::npos);
            seen.insert(t);
        }
        CHECK(seen.size() == 300);
    }

    TEST_CASE("link and session ids are issued from counters, never reused") {
        SessionContext sc;
        CHECK(sc.ids.link() == LinkId{1});
        CHECK(sc.ids.link() == LinkId{2});
        CHECK(sc.ids.session() == boshd::bosh::SessionId{1});
        CHECK(sc.ids.link() == LinkId{3});
    }
}
