// Multiple streams in one session: XEP-0124 §16 (and XEP-0206 C206-4-07).
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
using test::stream_headers;
using test::tag_attr;

namespace {

constexpr const char* kUnavailable = "<presence xmlns='jabber:client' type='unavailable'/>";
constexpr const char* kRestart = "xmlns:xmpp='urn:xmpp:xbosh' xmpp:restart='true'";

bosh::Limits multi_limits(std::size_t max_streams = 4) {
    auto l = EngineHarness::default_limits();
    l.max_streams = max_streams;
    return l;
}

std::vector<bosh::Route> two_routes() {
    auto routes = EngineHarness::default_routes();
    bosh::Route other = routes.front();
    other.domain = "other.example";
    routes.push_back(other);
    return routes;
}

// A session with multi-stream support and a second stream, both negotiated.
struct TwoStreams {
    EngineHarness h;
    bosh::LinkId link1{}, link2{};
    std::string name1, name2;
    bosh::RequestId add{};

    explicit TwoStreams(const std::string& to = "example.com",
                        const bosh::Limits& limits = multi_limits())
        : h{limits, two_routes()} {
        h.create();
        link1 = h.opened().back().link;
        name1 = Doc(h.body(h.creation_request)).attr("stream");
        add = h.send("", "to='" + to + "'");
        REQUIRE(h.answered(add));
        name2 = Doc(h.body(add)).attr("stream");
        REQUIRE(h.links_opened() == 2);
        link2 = h.opened().back().link;
        h.connect(link2);
        h.server_send(std::string(test::kServerHeader) + test::kFeatures, link2);
        const auto features = h.send(); // stream 2's features, from and version
        REQUIRE(h.answered(features));
        REQUIRE(Doc(h.body(features)).attr("stream") == name2);
    }

    // Collects what is queued: polls until a reply is empty.
    std::vector<std::string> collect() {
        std::vector<std::string> bodies;
        for (int i = 0; i < 8; ++i) {
            const auto r = h.send();
            if (!h.answered(r)) {
                h.advance_s(60);
            }
            REQUIRE(h.answered(r));
            if (h.body(r) == kEmptyBody) {
                break;
            }
            bodies.push_back(h.body(r));
        }
        return bodies;
    }
};

} // namespace

TEST_SUITE("bosh/engine/streams") {
    TEST_CASE("C124-16.2-01 the creation reply names the first stream") {
        EngineHarness h{multi_limits()};
        h.create();
        const Doc d(h.body(h.creation_request));
        REQUIRE(d.has("stream"));
        CHECK(d.attr("stream").size() == 32);
        CHECK(d.attr("stream") != d.attr("sid"));
    }

    TEST_CASE("C124-16.2-02 stream names are opaque, distinct and not derived from the sid") {
        EngineHarness h{multi_limits(3)};
        std::set<std::string> names;
        std::vector<std::string> sids;
        for (std::uint64_t i = 0; i < 50; ++i) {
            h.create("", 1000 + i * 100);
            sids.push_back(h.sid);
            names.insert(Doc(h.body(h.creation_request)).attr("stream"));
            for (int k = 0; k < 2; ++k) {
                h.advance_s(2); // adds are `polling` apart
                const auto add = h.send("", "to='example.com'");
                REQUIRE(h.answered(add));
                names.insert(Doc(h.body(add)).attr("stream"));
            }
        }
        CHECK(names.size() == 150);
        for (const auto& n : names) {
            CHECK(n.size() == 32);
            for (const auto& sid : sids) {
                CHECK(n != sid);
            }
        }
    }

    TEST_CASE("C124-16.3-01 max_streams = 1: no stream advertised, a later to is ignored") {
        EngineHarness h{multi_limits(1)};
        h.create();
        CHECK_FALSE(Doc(h.body(h.creation_request)).has("stream"));
        const auto r = h.send("", "to='example.com'");
        CHECK_FALSE(h.answered(r));
        CHECK(h.links_opened() == 1);
        h.advance_s(60);
        CHECK(h.body(r) == kEmptyBody);
    }

    TEST_CASE("C124-16.3-02 C124-16.3-03 an add-stream request opens a second named stream") {
        TwoStreams t;
        CHECK(t.name2.size() == 32);
        CHECK(t.name2 != t.name1);
        const Doc d(t.h.body(t.add));
        for (const char* a : {"sid", "requests", "polling", "hold", "inactivity", "maxpause",
                              "accept", "charsets", "ver", "wait"}) {
            CHECK_MESSAGE(!d.has(a), a);
        }
        CHECK(t.h.opened().back().route->domain == "example.com");
        const auto headers = stream_headers(t.h.written(t.link2));
        REQUIRE(headers.size() == 1);
        CHECK(tag_attr(headers[0], "to") == "example.com");
        CHECK(t.h.capture.count("stream.added") == 1);
    }

    TEST_CASE("C124-16.3-02 an add-stream for another served domain routes there") {
        TwoStreams t{"other.example"};
        CHECK(t.h.opened().back().route->domain == "other.example");
        CHECK(tag_attr(stream_headers(t.h.written(t.link2)).at(0), "to") == "other.example");
    }

    TEST_CASE(
        "C124-16.3-04 C206-4-07 the new stream's from and version come in a reply naming it") {
        EngineHarness h{multi_limits()};
        h.create();
        const auto add = h.send("", "to='example.com' xmlns:xmpp='urn:xmpp:xbosh' "
                                    "xmpp:version='1.0'");
        REQUIRE(h.answered(add));
        const auto name2 = Doc(h.body(add)).attr("stream");
        CHECK_FALSE(Doc(h.body(add)).has("from"));
        const auto link2 = h.opened().back().link;
        const auto poll = h.send();
        h.connect(link2);
        CHECK(tag_attr(stream_headers(h.written(link2)).at(0), "version") == "1.0");
        h.server_send(std::string(test::kServerHeader) + test::kFeatures, link2);
        REQUIRE(h.answered(poll));
        const Doc d(h.body(poll));
        CHECK(d.attr("stream") == name2);
        CHECK(d.attr("from") == "example.com");
        CHECK(d.attr("xmpp:version") == "1.0");
        CHECK(h.body(poll).find("<stream:features") != std::string::npos);
    }

    TEST_CASE("C124-16.3-02 C124-11-04 an add-stream request is not an empty poll") {
        EngineHarness h{multi_limits()};
        h.create();
        const auto poll = h.send(); // held; an empty request now would be too frequent
        const auto add = h.send("", "to='example.com'");
        REQUIRE(h.answered(add));
        CHECK(Doc(h.body(add)).has("stream"));
        CHECK_FALSE(Doc(h.body(add)).has("condition"));
        CHECK(h.engine.session_count() == 1);
        CHECK(Doc(h.body(poll)).children().empty()); // answered first, in rid order (C124-8-07)
    }

    TEST_CASE("C124-8-07 an add-stream or stream terminate is answered after older requests") {
        SUBCASE("add-stream") {
            EngineHarness h{multi_limits()};
            h.create();
            const auto held = h.send();
            h.server_send(msg("queued"));
            REQUIRE(h.answered(held));
            const auto held2 = h.send(); // hold=1: held
            const auto responses = h.responses();
            const auto add = h.send("", "to='example.com'");
            REQUIRE(h.answered(add));
            REQUIRE(h.answered(held2));
            CHECK(h.responses() == responses + 2);
            CHECK(Doc(h.body(held2)).children().empty());
        }
        SUBCASE("add refused") {
            EngineHarness h{multi_limits(2)};
            h.create();
            REQUIRE(h.answered(h.send("", "to='example.com'")));
            const auto held = h.send();
            const auto add = h.send("", "to='example.com'");
            REQUIRE(h.answered(add));
            CHECK(condition(h, add) == "policy-violation");
            CHECK(Doc(h.body(held)).children().empty());
        }
        SUBCASE("stream terminate; the older request takes what is queued") {
            TwoStreams t;
            const auto held = t.h.send();
            t.h.advance_s(1);
            t.h.server_send(msg("for one"), t.link1); // goes out on held at once
            REQUIRE(t.h.answered(held));
            const auto held2 = t.h.send();
            const auto stop = t.h.send("", "type='terminate' stream='" + t.name2 + "'");
            REQUIRE(t.h.answered(stop));
            REQUIRE(t.h.answered(held2));
            CHECK(Doc(t.h.body(held2)).children().empty());
            CHECK(Doc(t.h.body(stop)).attr("stream") == t.name2);
        }
    }

    TEST_CASE("C124-9.2-01 a due report goes out on an add-stream or stream terminate path") {
        SUBCASE("on the add-stream reply") {
            EngineHarness h{multi_limits()};
            h.create("ack='1'");
            const auto r1 = h.send();
            h.advance_s(60); // 1001 answered; the client never gets it
            REQUIRE(h.answered(r1));
            const auto add = h.send("", "to='example.com' ack='1000'");
            REQUIRE(h.answered(add));
            CHECK(Doc(h.body(add)).attr("report") == "1001");
            CHECK(Doc(h.body(add)).has("stream"));
            CHECK(h.capture.count("request.report") == 1);
        }
        SUBCASE("on the older held request's reply, before a stream terminate") {
            EngineHarness h{multi_limits()};
            h.create("ack='1'");
            const auto add = h.send("", "to='example.com'");
            REQUIRE(h.answered(add));
            const auto name2 = Doc(h.body(add)).attr("stream");
            const auto r1 = h.send("", "ack='1001'");
            const auto name1 = Doc(h.body(h.creation_request)).attr("stream");
            // Releases 1002: the client loses it.
            const auto held = h.send(msg("x"), "ack='1001' stream='" + name1 + "'");
            REQUIRE(h.answered(r1));
            REQUIRE_FALSE(h.answered(held));
            const auto stop = h.send("", "type='terminate' stream='" + name2 + "' ack='1001'");
            REQUIRE(h.answered(stop));
            REQUIRE(h.answered(held));
            CHECK(Doc(h.body(held)).attr("report") == "1002");
            CHECK_FALSE(Doc(h.body(stop)).has("report"));
            CHECK(h.capture.count("request.report") == 1);
        }
    }

    TEST_CASE("C124-16.3-02 an add-stream for an unserved domain is refused, session goes on") {
        EngineHarness h{multi_limits()};
        h.create();
        const auto add = h.send("", "to='evil.example' route='xmpp:evil.example:5222'");
        REQUIRE(h.answered(add));
        CHECK(condition(h, add) == "host-unknown");
        CHECK(Doc(h.body(add)).has("stream"));
        CHECK(h.links_opened() == 1);
        const auto next = h.send(msg("still here"));
        CHECK(h.written().find("still here") != std::string::npos);
        CHECK_FALSE(h.answered(next));
    }

    TEST_CASE("C124-16.3-02 beyond session.max_streams an add is refused with policy-violation") {
        EngineHarness h{multi_limits(2)};
        h.create();
        REQUIRE(h.answered(h.send("", "to='example.com'")));
        h.advance_s(2); // `polling` apart: refused for max_streams only
        const auto third = h.send("", "to='example.com'");
        REQUIRE(h.answered(third));
        CHECK(condition(h, third) == "policy-violation");
        CHECK(Doc(h.body(third)).attr("type") == "terminate");
        CHECK(h.links_opened() == 2);
        CHECK(h.engine.session_count() == 1); // only the add was refused
        const auto next = h.send();
        CHECK_FALSE(h.answered(next));
    }

    TEST_CASE("C124-16.3-02 C124-12-03 adds sooner than polling apart are refused, scoped") {
        EngineHarness h{multi_limits()};
        h.create();
        REQUIRE(h.answered(h.send("", "to='example.com'")));
        h.advance_ms(1500);
        const auto soon = h.send("", "to='example.com'");
        REQUIRE(h.answered(soon));
        CHECK(condition(h, soon) == "policy-violation");
        CHECK(Doc(h.body(soon)).attr("type") == "terminate");
        CHECK(h.links_opened() == 2);
        CHECK(h.engine.session_count() == 1); // only the add was refused
        h.advance_ms(500);
        const auto later = h.send("", "to='example.com'");
        REQUIRE(h.answered(later));
        CHECK_FALSE(Doc(h.body(later)).has("condition"));
        CHECK(h.links_opened() == 3);
    }

    TEST_CASE("C124-16.4-01 every non-empty body names its stream, never two streams") {
        TwoStreams t;
        t.h.server_send(msg("one-a"), t.link1);
        t.h.server_send(msg("two-a"), t.link2);
        t.h.server_send(msg("one-b"), t.link1);
        const auto bodies = t.collect();
        std::size_t ones = 0, twos = 0;
        for (const auto& b : bodies) {
            const Doc d(b);
            REQUIRE(d.has("stream"));
            const bool one = b.find("one-") != std::string::npos;
            const bool two = b.find("two-") != std::string::npos;
            CHECK(one != two);
            CHECK(d.attr("stream") == (one ? t.name1 : t.name2));
            ones += occurrences(b, "one-");
            twos += occurrences(b, "two-");
            if (one) {
                CHECK(b.find("one-a") < b.find("one-b")); // each stream keeps its order
            }
        }
        CHECK(ones == 2);
        CHECK(twos == 1);
    }

    TEST_CASE("C124-16.4-02 a body without stream goes to every stream") {
        TwoStreams t;
        t.h.send(msg("to all"));
        CHECK(occurrences(t.h.written(t.link1), "to all") == 1);
        CHECK(occurrences(t.h.written(t.link2), "to all") == 1);
    }

    TEST_CASE("C124-16.4-03 a body with stream goes to that stream only") {
        TwoStreams t;
        t.h.send(msg("only two"), "stream='" + t.name2 + "'");
        CHECK(occurrences(t.h.written(t.link2), "only two") == 1);
        CHECK(occurrences(t.h.written(t.link1), "only two") == 0);
        t.h.send(msg("only one"), "stream='" + t.name1 + "'");
        CHECK(occurrences(t.h.written(t.link1), "only one") == 1);
        CHECK(occurrences(t.h.written(t.link2), "only one") == 0);
    }

    TEST_CASE("C124-16.4-04 a stream that names no open stream gets item-not-found") {
        TwoStreams t;
        const auto r = t.h.send(msg("lost"), "stream='bogus'");
        REQUIRE(t.h.answered(r));
        CHECK(condition(t.h, r) == "item-not-found");
        CHECK(t.h.written(t.link1).find("lost") == std::string::npos);
        CHECK(t.h.written(t.link2).find("lost") == std::string::npos);
    }

    TEST_CASE("C124-16.4-06 empty bodies name no stream; stream on an empty request is a poll") {
        TwoStreams t;
        const auto r = t.h.send("", "stream='" + t.name2 + "'");
        CHECK_FALSE(t.h.answered(r));
        t.h.advance_s(60);
        CHECK(t.h.body(r) == kEmptyBody);
        const auto bogus = t.h.send("", "stream='bogus'"); // empty: still just a poll
        CHECK_FALSE(t.h.answered(bogus));
    }

    TEST_CASE("C124-16.5-01 terminate with stream closes only that stream") {
        TwoStreams t;
        t.h.server_send(msg("last words"), t.link2);
        const auto stop = t.h.send(kUnavailable, "type='terminate' stream='" + t.name2 + "'");
        REQUIRE(t.h.answered(stop));
        const Doc d(t.h.body(stop));
        CHECK(d.attr("type") == "terminate");
        CHECK(d.attr("stream") == t.name2);
        CHECK_FALSE(d.has("condition"));
        CHECK(t.h.body(stop).find("last words") != std::string::npos);
        const auto w2 = t.h.written(t.link2);
        REQUIRE(w2.find(kUnavailable) != std::string::npos);
        CHECK(w2.find(kUnavailable) < w2.find("</stream:stream>"));
        CHECK(t.h.link_closed(t.link2));
        CHECK_FALSE(t.h.link_closed(t.link1));
        CHECK(t.h.written(t.link1).find(kUnavailable) == std::string::npos);
        // The session goes on, on stream 1.
        const auto next = t.h.send(msg("after"));
        CHECK(t.h.written(t.link1).find("after") != std::string::npos);
        t.h.server_send(msg("reply"), t.link1);
        REQUIRE(t.h.answered(next));
        CHECK(Doc(t.h.body(next)).attr("stream") == t.name1);
    }

    TEST_CASE("C124-16.5-02 closing the last open stream ends the session") {
        TwoStreams t;
        REQUIRE(t.h.answered(t.h.send("", "type='terminate' stream='" + t.name2 + "'")));
        const auto stop = t.h.send("", "type='terminate' stream='" + t.name1 + "'");
        REQUIRE(t.h.answered(stop));
        CHECK(Doc(t.h.body(stop)).attr("type") == "terminate");
        CHECK(t.h.link_closed(t.link1));
        CHECK(t.h.engine.session_count() == 0);
        const auto after = t.h.send();
        CHECK(condition(t.h, after) == "item-not-found");
    }

    TEST_CASE("C124-16.5-03 terminate without stream closes every stream and the session") {
        TwoStreams t;
        const auto stop = t.h.send(kUnavailable, "type='terminate'");
        REQUIRE(t.h.answered(stop));
        CHECK_FALSE(Doc(t.h.body(stop)).has("stream"));
        for (auto link : {t.link1, t.link2}) {
            const auto w = t.h.written(link);
            CHECK(w.find(kUnavailable) < w.find("</stream:stream>"));
            CHECK(w.find("</stream:stream>") != std::string::npos);
            CHECK(t.h.link_closed(link));
        }
        CHECK(t.h.engine.session_count() == 0);
    }

    TEST_CASE("C124-16.6-01 C124-16.6-03 a dropped stream ends only itself, with stream") {
        TwoStreams t;
        const auto held = t.h.send();
        t.h.server_close(t.link2);
        REQUIRE(t.h.answered(held));
        const Doc d(t.h.body(held));
        CHECK(d.attr("type") == "terminate");
        CHECK(d.attr("condition") == "remote-connection-failed");
        CHECK(d.attr("stream") == t.name2);
        CHECK(t.h.engine.session_count() == 1);
        CHECK(t.h.capture.count("stream.closed") == 1);
        // C124-16.6-03: the next request works and stream 1 still delivers.
        const auto next = t.h.send();
        t.h.server_send(msg("still"), t.link1);
        REQUIRE(t.h.answered(next));
        CHECK(t.h.body(next).find("still") != std::string::npos);
        CHECK(Doc(t.h.body(next)).attr("stream") == t.name1);
    }

    TEST_CASE("C124-16.6-02 C124-16.4-05 after a stream-scoped error, payloads to it are dropped") {
        TwoStreams t;
        t.h.server_send("<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                        "</stream:error>",
                        t.link2);
        CHECK(t.h.link_closed(t.link2));
        // Nothing was held: the next request carries the news.
        const auto next = t.h.send();
        REQUIRE(t.h.answered(next));
        CHECK(condition(t.h, next) == "remote-stream-error");
        CHECK(Doc(t.h.body(next)).attr("stream") == t.name2);
        CHECK(t.h.body(next).find("<conflict") != std::string::npos);
        const auto late = t.h.send(msg("too late"), "stream='" + t.name2 + "'");
        CHECK_FALSE(t.h.answered(late)); // an ordinary empty request now
        CHECK(t.h.engine.session_count() == 1);
        CHECK(t.h.written(t.link1).find("too late") == std::string::npos);
        CHECK(t.h.written(t.link2).find("too late") == std::string::npos);
    }

    TEST_CASE("C124-16.4-05 a stream closed moments ago: payloads dropped, the session goes on") {
        SUBCASE("its end still waits for a request") {
            TwoStreams t;
            t.h.server_close(t.link2); // nothing held: the end waits in stream_ends_
            const auto late = t.h.send(msg("late"), "stream='" + t.name2 + "'");
            REQUIRE(t.h.answered(late));
            CHECK(condition(t.h, late) == "remote-connection-failed"); // the end, not an error
            CHECK(Doc(t.h.body(late)).attr("stream") == t.name2);
            CHECK(t.h.engine.session_count() == 1);
            CHECK(t.h.written(t.link1).find("late") == std::string::npos);
            CHECK(t.h.capture.count("stream.payloads_dropped") == 1);
        }
        SUBCASE("closed by the client, then a restart and a terminate naming it") {
            TwoStreams t;
            REQUIRE(t.h.answered(t.h.send("", "type='terminate' stream='" + t.name2 + "'")));
            const auto late = t.h.send(msg("late"), "stream='" + t.name2 + "'");
            CHECK_FALSE(t.h.answered(late));
            t.h.advance_s(3);
            t.h.send("", std::string(kRestart) + " stream='" + t.name2 + "'");
            CHECK(stream_headers(t.h.written(t.link1)).size() == 1);
            t.h.send("", "type='terminate' stream='" + t.name2 + "'");
            CHECK(t.h.engine.session_count() == 1);
            CHECK_FALSE(t.h.link_closed(t.link1));
            CHECK(t.h.written(t.link1).find("late") == std::string::npos);
            CHECK(t.h.capture.count("stream.payloads_dropped") == 3);
            // C124-16.4-04: a name never seen still ends the session.
            const auto bogus = t.h.send(msg("x"), "stream='bogus'");
            CHECK(condition(t.h, bogus) == "item-not-found");
        }
    }

    TEST_CASE("C124-16.6-04 an error on the only stream, or a session error, names no stream") {
        SUBCASE("the last stream fails") {
            TwoStreams t;
            REQUIRE(t.h.answered(t.h.send("", "type='terminate' stream='" + t.name2 + "'")));
            const auto held = t.h.send();
            t.h.server_close(t.link1);
            REQUIRE(t.h.answered(held));
            CHECK(condition(t.h, held) == "remote-connection-failed");
            CHECK_FALSE(Doc(t.h.body(held)).has("stream"));
            CHECK(t.h.engine.session_count() == 0);
        }
        SUBCASE("a session-level error closes every stream") {
            TwoStreams t;
            const auto held = t.h.send();
            t.h.shutdown();
            REQUIRE(t.h.answered(held));
            CHECK(condition(t.h, held) == "system-shutdown");
            CHECK_FALSE(Doc(t.h.body(held)).has("stream"));
            CHECK(t.h.link_closed(t.link1));
            CHECK(t.h.link_closed(t.link2));
        }
    }

    TEST_CASE("C124-16.4-01 a session-level end with two streams open mixes no payloads") {
        TwoStreams t;
        t.h.server_send("<message from='b@example.com/s' to='a@example.com/r' id='m1' "
                        "type='chat'><body>x</body></message>",
                        t.link1);
        t.h.server_send("<message from='c@example.com/s' to='a@example.com/r' id='m2' "
                        "type='chat'><body>y</body></message>",
                        t.link2);
        const auto stop = t.h.send("", "type='terminate'");
        REQUIRE(t.h.answered(stop));
        CHECK(Doc(t.h.body(stop)).children().empty());
        // What the client never got goes back on the stream it came from (C206-7).
        CHECK(t.h.written(t.link1).find("type='error' id='m1'") != std::string::npos);
        CHECK(t.h.written(t.link2).find("type='error' id='m2'") != std::string::npos);
        CHECK(t.h.written(t.link1).find("id='m2'") == std::string::npos);
    }

    TEST_CASE("C206-5-04 a restart with stream restarts that stream only") {
        TwoStreams t;
        t.h.send("", std::string(kRestart) + " stream='" + t.name2 + "'");
        CHECK(stream_headers(t.h.written(t.link2)).size() == 2);
        CHECK(stream_headers(t.h.written(t.link1)).size() == 1);
        t.h.send("", kRestart); // without stream: the first stream
        CHECK(stream_headers(t.h.written(t.link1)).size() == 2);
        CHECK(stream_headers(t.h.written(t.link2)).size() == 2);
    }

    TEST_CASE("C206-5-04 once the first stream is closed, a restart must name its stream") {
        TwoStreams t;
        REQUIRE(t.h.answered(t.h.send("", "type='terminate' stream='" + t.name1 + "'")));
        REQUIRE(t.h.engine.session_count() == 1);
        const auto r = t.h.send("", kRestart);
        REQUIRE(t.h.answered(r));
        CHECK(condition(t.h, r) == "bad-request");
        CHECK(stream_headers(t.h.written(t.link2)).size() == 1); // stream 2 not restarted
    }

    TEST_CASE("C124-16.6-01 a waiting stream end still counts against max_client_queue") {
        auto limits = multi_limits();
        limits.max_client_queue = 600;
        TwoStreams t{"example.com", limits};
        t.h.server_send(msg(std::string(400, 'a')), t.link2); // nothing held: queued
        t.h.server_close(t.link2);                            // its payloads wait in the stream end
        REQUIRE(t.h.engine.session_count() == 1);
        REQUIRE_FALSE(t.h.link_closed(t.link1));
        t.h.server_send(msg(std::string(300, 'b')), t.link1); // 700 bytes for the client
        CHECK(t.h.link_closed(t.link1));
        const auto next = t.h.send();
        REQUIRE(t.h.answered(next));
        CHECK(condition(t.h, next) == "policy-violation");
    }

    TEST_CASE("C124-16.5-01 terminating a stream not yet up: refused if payloads would be lost") {
        SUBCASE("a stream that is up: closed with its payloads") {
            TwoStreams t;
            const auto stop = t.h.send(kUnavailable, "type='terminate' stream='" +
                                                         Doc(t.h.body(t.add)).attr("stream") +
                                                         "'"); // stream 2 is up: fine
            REQUIRE(t.h.answered(stop));
            CHECK_FALSE(Doc(t.h.body(stop)).has("condition"));
        }
        SUBCASE("the third stream, not up") {
            TwoStreams t;
            t.h.advance_s(2); // `polling` after the last add
            t.h.advance_s(2); // `polling` after the last add
            const auto add3 = t.h.send("", "to='example.com'");
            const auto name3 = Doc(t.h.body(add3)).attr("stream");
            const auto stop = t.h.send(kUnavailable, "type='terminate' stream='" + name3 + "'");
            REQUIRE(t.h.answered(stop));
            CHECK(condition(t.h, stop) == "bad-request");
        }
        SUBCASE("without payloads: closed") {
            TwoStreams t;
            t.h.advance_s(2); // `polling` after the last add
            t.h.advance_s(2); // `polling` after the last add
            const auto add3 = t.h.send("", "to='example.com'");
            const auto name3 = Doc(t.h.body(add3)).attr("stream");
            const auto link3 = t.h.opened().back().link;
            const auto stop = t.h.send("", "type='terminate' stream='" + name3 + "'");
            REQUIRE(t.h.answered(stop));
            CHECK_FALSE(Doc(t.h.body(stop)).has("condition"));
            CHECK(t.h.link_closed(link3));
            CHECK(t.h.engine.session_count() == 1);
        }
    }

    TEST_CASE("C124-16.6-01 stream ends lost with the session are logged") {
        TwoStreams t;
        t.h.server_send(msg("never read"), t.link2);
        t.h.server_close(t.link2); // nothing held: the end waits
        t.h.advance_s(30);         // inactivity
        REQUIRE(t.h.engine.session_count() == 0);
        CHECK(t.h.capture.count("stream.ends_dropped") == 1);
    }

    TEST_CASE("C206-7-01 the bounce budget is per stream, each link has its own buffer") {
        auto limits = multi_limits();
        limits.max_server_queue = 1200; // 600 of bounces per link
        TwoStreams t{"example.com", limits};
        for (int i = 0; i < 3; ++i) {
            for (auto link : {t.link1, t.link2}) {
                t.h.server_send("<message from='b@example.com/s' to='a@example.com/r' id='m" +
                                    std::to_string(i) + "' type='chat'><body>x</body></message>",
                                link);
            }
        }
        t.h.advance_s(30); // inactivity: nobody collects them
        REQUIRE(t.h.engine.session_count() == 0);
        for (auto link : {t.link1, t.link2}) {
            CHECK(occurrences(t.h.written(link), "type='error'") == 3);
        }
    }

    TEST_CASE("C206-7-01 undelivered stanzas bounce on the stream they came from") {
        TwoStreams t;
        t.h.server_send("<message from='b@example.com/s' to='a@example.com/r' id='m2' "
                        "type='chat'><body>x</body></message>",
                        t.link2);
        t.h.advance_s(30); // inactivity: nobody collects it
        REQUIRE(t.h.engine.session_count() == 0);
        CHECK(t.h.written(t.link2).find("type='error' id='m2'") != std::string::npos);
        CHECK(t.h.written(t.link1).find("id='m2'") == std::string::npos);
    }

    TEST_CASE("C124-16.3-02 an add-stream that never gets features fails only that stream") {
        TwoStreams t;     // link2 negotiated; add a third that never answers
        t.h.advance_s(2); // `polling` after the last add
        const auto add3 = t.h.send("", "to='example.com'");
        const auto name3 = Doc(t.h.body(add3)).attr("stream");
        const auto held = t.h.send();
        t.h.advance_s(10);
        REQUIRE(t.h.answered(held));
        CHECK(condition(t.h, held) == "remote-connection-failed");
        CHECK(Doc(t.h.body(held)).attr("stream") == name3);
        CHECK(t.h.engine.session_count() == 1);
    }
}
