// ReplyPath: what each reply carries and how its <body/> reads (XEP-0124
// §7.2, §8, §9, §16, §17; XEP-0206 §4, §6). Bodies are checked byte for
// byte: ReplyPath builds them.
#include "bosh/session/reply_path.h"
#include "support/session_context.h"

#include <doctest/doctest.h>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

using boshd::bosh::Condition;
using boshd::bosh::LinkId;
using boshd::bosh::ReplyNote;
using boshd::bosh::ReplyPath;
using boshd::bosh::ReplyPtr;
using boshd::bosh::RequestId;
using boshd::bosh::RequestWindow;
using boshd::bosh::SessionParams;
using boshd::bosh::Stream;
using boshd::bosh::StreamEnd;
using boshd::bosh::StreamSet;
using boshd::bosh::Version;
using boshd::test::fragment;
using boshd::test::SessionContext;
namespace util = boshd::util;
namespace xml = boshd::xml;
namespace xmpp = boshd::xmpp;

namespace {

// Every reply starts so.
const std::string H = "<body xmlns='http://jabber.org/protocol/httpbind'";
// The empty reply (C124-8-08).
const std::string kEmpty = H + "/>";
const std::string kXmppNs = " xmlns:xmpp='urn:xmpp:xbosh'";
const std::string kStreamNs = " xmlns:stream='http://etherx.jabber.org/streams'";

xml::Fragment msg(const std::string& text) {
    return fragment("<message xmlns='jabber:client'><body>" + text + "</body></message>",
                    "message");
}

xml::Fragment features() {
    return fragment("<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
                    "</stream:features>",
                    "features", "http://etherx.jabber.org/streams", true);
}

xml::Fragment stream_error() {
    return fragment("<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                    "</stream:error>",
                    "error", "http://etherx.jabber.org/streams", true);
}

xmpp::StreamHeader server_header(std::string from = "example.com", std::string id = "srv-1") {
    return {std::move(id), std::move(from), "1.0", "en"};
}

std::vector<RequestId> ids(std::initializer_list<std::uint64_t> values) {
    std::vector<RequestId> out;
    for (auto v : values) {
        out.push_back(RequestId{v});
    }
    return out;
}

// A session's parts around one ReplyPath: its params, window, streams and a
// Context. The first stream (link 1, "sa" when multi_stream) is up and has
// told the client its `from` unless a test says otherwise.
struct Rig {
    SessionContext sc;
    SessionParams p;
    RequestWindow window;
    StreamSet streams;
    ReplyPath replies;

    explicit Rig(const std::function<void(SessionParams&)>& tweak = {},
                 std::string_view domain = SessionContext::kDomain)
        : p(params(tweak)), window(p.creation_rid, p.requests, p.client_acks),
          replies(p.client_acks) {
        p.route = sc.route(domain);
        p.header.to = std::string(domain);
        streams.add(
            std::make_unique<Stream>(p.stream_name, p.link, p.route, p.header, p.client, sc.ctx),
            sc.now());
        sc.clear();
    }

    static SessionParams params(const std::function<void(SessionParams&)>& tweak) {
        SessionParams p;
        p.sid = "sid-1";
        p.ip = "192.0.2.7";
        p.link = LinkId{1};
        p.creation_rid = 1000;
        p.wait = util::Seconds(60);
        p.hold = 1;
        p.requests = 2;
        p.inactivity = util::Seconds(30);
        p.polling = util::Seconds(2);
        p.ver = Version{1, 11};
        p.content_type = "text/xml; charset=utf-8";
        p.acks = true;
        p.header.version = "1.0";
        if (tweak) {
            tweak(p);
        }
        return p;
    }

    ReplyPath::Scope scope() { return {p, window, streams, sc.ctx}; }

    // The stream is connected, negotiated, and its header arrived.
    static void up(Stream& s, bool info_sent = true) {
        s.connected = true;
        s.server_header = server_header();
        s.negotiated = true;
        s.deadline.reset();
        s.info_sent = info_sent;
    }
    // Adds a second stream, named |name|, on link |link|.
    Stream& add_stream(std::string name, std::uint64_t link) {
        streams.add(std::make_unique<Stream>(std::move(name), LinkId{link}, p.route, p.header,
                                             p.client, sc.ctx),
                    sc.now());
        sc.clear();
        return *streams.by_link(LinkId{link});
    }

    void hold_creation(std::uint64_t id) {
        window.hold({p.creation_rid, RequestId{id}, sc.now() + p.wait, true, {}}, sc.lifetimes);
    }
    // Receives request |id| with rid |rid| (the next one) and holds it.
    void hold(std::uint64_t rid, std::uint64_t id) {
        window.advance(rid);
        window.hold({rid, RequestId{id}, sc.now() + p.wait, false, {}}, sc.lifetimes);
    }

    std::string body(std::uint64_t id) const { return sc.reply(RequestId{id})->body; }
    // The request ids answered, in order.
    std::vector<RequestId> answered() const {
        std::vector<RequestId> out;
        for (const auto& [id, body] : sc.bodies()) {
            out.push_back(id);
        }
        return out;
    }
};

} // namespace

TEST_SUITE("bosh/session/reply_path") {

    TEST_CASE("C124-7.2-06 C124-7.2-13 C124-7.2-15 C124-7.2-16 C206-4-03 C206-4-05 the creation "
              "reply, byte for byte") {
        Rig r([](SessionParams& p) {
            p.ver = Version{1, 6};
            p.accept = "deflate,gzip";
            p.max_pause = util::Seconds(120);
        });
        Rig::up(r.streams.first(), false);
        r.hold_creation(1);
        r.replies.queue().push(LinkId{1}, features());
        r.replies.release(r.scope());
        const std::string expected =
            H +
            " sid='sid-1' wait='60' requests='2' hold='1' inactivity='30' polling='2' ver='1.6'"
            " ack='1000' accept='deflate,gzip' maxpause='120'" +
            kXmppNs +
            " xmpp:restartlogic='true' authid='srv-1' from='example.com' xmpp:version='1.0'" +
            kStreamNs + ">" + features().bytes + "</body>";
        CHECK(r.body(1) == expected);
        const auto reply = r.sc.reply(RequestId{1});
        CHECK(reply->status == 200);
        CHECK(reply->content_type == "text/xml; charset=utf-8");
        CHECK(r.sc.lifetimes.requests_released == ids({1}));
        CHECK(r.window.held().empty());
        CHECK(r.replies.queue().empty());
        CHECK(r.streams.first().info_sent); // from and version are not repeated
        // Kept for a resend of the creation rid (C124-14.3-02).
        REQUIRE(r.window.cache().find(1000) != nullptr);
        CHECK(r.window.cache().find(1000)->reply == reply);
        CHECK(r.window.cache().find(1000)->sent == r.sc.now());
        CHECK(r.sc.counters.stanzas_to_client == 1);
        CHECK(r.sc.counters.bytes_to_client == expected.size());
    }

    TEST_CASE("C124-7.2-06 ver is the lower of the client's and 1.11; optional attributes") {
        // No polling, no maxpause, no accept, no acks: none of them appear.
        Rig r([](SessionParams& p) {
            p.ver = Version{99, 0};
            p.polling = util::Duration::zero();
            p.acks = false;
        });
        r.hold_creation(1);
        // The stream is not up yet: at `wait` the creation reply goes
        // without features, from or version (C206-4-02).
        r.replies.answer_front(r.scope(), true);
        CHECK(r.body(1) == H +
                               " sid='sid-1' wait='60' requests='2' hold='1' inactivity='30'"
                               " ver='1.11'" +
                               kXmppNs + " xmpp:restartlogic='true'/>");
        CHECK_FALSE(r.streams.first().info_sent);
    }

    TEST_CASE("C124-17.1-02 a legacy client (no ver) gets no ver in the creation reply") {
        Rig r([](SessionParams& p) {
            p.ver.reset();
            p.acks = false;
            p.polling = util::Duration::zero();
        });
        r.hold_creation(1);
        r.replies.answer_front(r.scope(), true);
        CHECK(r.body(1) == H + " sid='sid-1' wait='60' requests='2' hold='1' inactivity='30'" +
                               kXmppNs + " xmpp:restartlogic='true'/>");
    }

    TEST_CASE("C124-16.2-01 with multi-stream support the creation reply names the first stream") {
        Rig r([](SessionParams& p) {
            p.stream_name = "first-name";
            p.acks = false;
            p.polling = util::Duration::zero();
        });
        Rig::up(r.streams.first(), false);
        r.hold_creation(1);
        r.replies.queue().push(LinkId{1}, features());
        r.replies.release(r.scope());
        // One stream: the features in it need no name beyond the session's.
        CHECK(r.body(1) == H +
                               " stream='first-name' sid='sid-1' wait='60' requests='2' hold='1'"
                               " inactivity='30' ver='1.11'" +
                               kXmppNs +
                               " xmpp:restartlogic='true' authid='srv-1' from='example.com'"
                               " xmpp:version='1.0'" +
                               kStreamNs + ">" + features().bytes + "</body>");
    }

    TEST_CASE("C124-7.2-11 secure='true' over verified TLS; from falls back to the stream's to") {
        Rig r(
            [](SessionParams& p) {
                p.acks = false;
                p.polling = util::Duration::zero();
            },
            SessionContext::kSecureDomain);
        Stream& s = r.streams.first();
        Rig::up(s, false);
        s.server_header = server_header("", ""); // the server sent no from and no id
        r.hold_creation(1);
        r.replies.answer_front(r.scope(), false);
        CHECK(r.body(1) == H +
                               " sid='sid-1' wait='60' requests='2' hold='1' inactivity='30'"
                               " ver='1.11'" +
                               kXmppNs +
                               " xmpp:restartlogic='true' from='secure.example' secure='true'"
                               " xmpp:version='1.0'/>");
    }

    TEST_CASE("C206-4-02 release() keeps the creation reply until the stream features arrive") {
        Rig r;
        r.hold_creation(1);
        r.sc.clear();
        r.replies.release(r.scope());
        CHECK(r.sc.actions.empty());
        CHECK(r.sc.lifetimes.requests_released.empty());
        CHECK(r.window.held().size() == 1);
        Rig::up(r.streams.first(), false);
        r.replies.queue().push(LinkId{1}, features());
        r.replies.release(r.scope());
        CHECK(r.answered() == ids({1}));
        CHECK(r.body(1).ends_with(kStreamNs + ">" + features().bytes + "</body>"));
    }

    TEST_CASE("C124-7.2-11 C206-4-01 a later reply carries from and version once known") {
        Rig r;
        r.hold_creation(1);
        r.replies.answer_front(r.scope(), true); // at wait, before the stream header
        r.hold(1001, 2);
        Rig::up(r.streams.first(), false);
        r.replies.queue().push(LinkId{1}, features());
        r.replies.release(r.scope());
        CHECK(r.body(2) == H + " from='example.com'" + kXmppNs + " xmpp:version='1.0'" + kStreamNs +
                               ">" + features().bytes + "</body>");
        // Once only.
        r.hold(1002, 3);
        r.replies.answer_front(r.scope(), true);
        CHECK(r.body(3) == kEmpty);
    }

    TEST_CASE("C124-8-08 C124-9.1-03 nothing to send: exactly the empty body") {
        Rig r;
        Rig::up(r.streams.first());
        r.hold(1001, 1);
        r.sc.clear();
        r.replies.answer_front(r.scope(), true);
        // acks are on, but the ack would be the rid answered: left off.
        CHECK(r.body(1) == kEmpty);
        CHECK(r.sc.lifetimes.requests_released == ids({1}));
        CHECK(r.sc.lifetimes.requests_taken.empty());
        CHECK_FALSE(r.replies.last_had_payloads());
        REQUIRE(r.window.cache().find(1001) != nullptr);
        CHECK(r.window.cache().find(1001)->reply->body == kEmpty);
    }

    TEST_CASE("C124-9.1-01 C124-9.1-02 C124-8-06 a reply acks the highest rid received") {
        Rig r;
        Rig::up(r.streams.first());
        r.hold(1001, 1);
        r.hold(1002, 2);
        r.replies.release(r.scope()); // hold=1: the oldest goes at once
        CHECK(r.answered() == ids({1}));
        CHECK(r.body(1) == H + " ack='1002'/>");
        CHECK(r.window.held().size() == 1);
        r.replies.answer_front(r.scope(), true);
        CHECK(r.body(2) == kEmpty); // C124-9.1-03
    }

    TEST_CASE("C124-9.1-01 without request acks no ack is written") {
        Rig r([](SessionParams& p) { p.acks = false; });
        Rig::up(r.streams.first());
        r.hold(1001, 1);
        r.hold(1002, 2);
        r.replies.release(r.scope());
        CHECK(r.body(1) == kEmpty);
    }

    TEST_CASE("C124-8-06 release() holds up to `hold` requests") {
        Rig r([](SessionParams& p) {
            p.hold = 2;
            p.requests = 3;
        });
        Rig::up(r.streams.first());
        r.hold(1001, 1);
        r.hold(1002, 2);
        r.replies.release(r.scope());
        CHECK(r.sc.all<boshd::bosh::Respond>().empty());
        r.hold(1003, 3);
        r.replies.release(r.scope());
        CHECK(r.answered() == ids({1}));
        CHECK(r.body(1) == H + " ack='1003'/>");
        CHECK(r.window.held().size() == 2);
    }

    TEST_CASE("C124-12-04 a polling session holds nothing") {
        Rig r([](SessionParams& p) { p.hold = 0; });
        Rig::up(r.streams.first());
        r.hold(1001, 1);
        r.replies.release(r.scope());
        CHECK(r.answered() == ids({1}));
        CHECK(r.body(1) == kEmpty);
        CHECK(r.window.held().empty());
    }

    TEST_CASE("C124-8-09 C124-8-10 C124-7.1-08 queued payloads go at once on the oldest request") {
        Rig r([](SessionParams& p) {
            p.hold = 2;
            p.requests = 3;
            p.content_type = "text/html; charset=utf-8";
        });
        Rig::up(r.streams.first());
        r.hold(1001, 1);
        r.hold(1002, 2);
        r.replies.queue().push(LinkId{1}, msg("one"));
        r.replies.queue().push(LinkId{1}, msg("two"));
        r.sc.clear();
        r.replies.release(r.scope());
        CHECK(r.answered() == ids({1}));
        CHECK(r.body(1) == H + " ack='1002'>" + msg("one").bytes + msg("two").bytes + "</body>");
        CHECK(r.sc.reply(RequestId{1})->content_type == "text/html; charset=utf-8");
        CHECK(r.replies.last_had_payloads());
        CHECK(r.replies.queue().empty());
        CHECK(r.replies.queue().bytes() == 0);
        CHECK(r.sc.counters.stanzas_to_client == 2);
        CHECK(r.sc.lifetimes.requests_released == ids({1}));
        CHECK(r.window.held().size() == 1); // the newer one stays held
        REQUIRE(r.window.cache().find(1001) != nullptr);
        CHECK(r.window.cache().find(1001)->reply == r.sc.reply(RequestId{1}));
    }

    TEST_CASE("C124-12-03 last_had_payloads(): whether the last reply carried payloads") {
        Rig r([](SessionParams& p) { p.stream_name = "sa"; });
        Rig::up(r.streams.first());
        CHECK_FALSE(r.replies.last_had_payloads());
        r.hold(1001, 1);
        r.replies.queue().push(LinkId{1}, msg("a1"));
        r.replies.answer_front(r.scope(), true);
        CHECK(r.replies.last_had_payloads()); // the client may poll again at once
        r.hold(1002, 2);
        r.replies.answer_front(r.scope(), true);
        CHECK_FALSE(r.replies.last_had_payloads());
        r.hold(1003, 3);
        r.replies.queue().add_end(StreamEnd{"sb", std::nullopt, {msg("b1")}});
        r.replies.answer_end(r.scope());
        CHECK(r.replies.last_had_payloads());
        r.hold(1004, 4);
        r.replies.queue().add_end(StreamEnd{"sc", Condition::RemoteConnectionFailed, {}});
        r.replies.answer_end(r.scope());
        CHECK_FALSE(r.replies.last_had_payloads());
        CHECK(r.body(1) == H + ">" + msg("a1").bytes + "</body>");
        CHECK(r.body(2) == kEmpty);
    }

    TEST_CASE("C206-2-02 a body with stream features declares xmlns:stream on <body>") {
        Rig r;
        Rig::up(r.streams.first());
        r.hold(1001, 1);
        r.replies.queue().push(LinkId{1}, features());
        r.replies.release(r.scope());
        CHECK(r.body(1) == H + kStreamNs + ">" + features().bytes + "</body>");
    }

    TEST_CASE("C124-10-07 a reply without payloads leaves the queue for the next one") {
        Rig r;
        Rig::up(r.streams.first());
        r.hold(1001, 1);
        r.replies.queue().push(LinkId{1}, msg("later"));
        r.replies.answer_front(r.scope(), false);
        CHECK(r.body(1) == kEmpty);
        CHECK(r.replies.queue().items().size() == 1);
        CHECK_FALSE(r.replies.last_had_payloads());
    }

    TEST_CASE("C124-9.2-01 C124-9.2-02 a due report goes on the reply, reported once") {
        Rig r([](SessionParams& p) { p.client_acks = true; });
        Rig::up(r.streams.first());
        r.hold(1001, 1);
        r.replies.answer_front(r.scope(), true);
        r.hold(1002, 2);
        r.replies.answer_front(r.scope(), true);
        r.sc.advance(util::Duration(1500));
        r.hold(1003, 3);
        boshd::bosh::BodyAttrs a;
        a.rid = 1003;
        a.ack = 1001; // R1002's reply was lost
        const auto report = r.replies.acks().report_for(a, r.window.cache(), r.sc.now());
        REQUIRE(report);
        ReplyNote note;
        note.report = *report;
        r.replies.answer_front(r.scope(), true, note);
        CHECK(r.body(3) == H + " report='1002' time='1500'/>");
        CHECK(r.sc.capture.count("request.report sid=sid-1 ip=192.0.2.7 rid=1003 report=1002") ==
              1);
        // Reported: the same ack does not report it again.
        CHECK_FALSE(r.replies.acks().report_for(a, r.window.cache(), r.sc.now()));
    }

    TEST_CASE("C124-14.3-08 a reply marked not to cache is not kept for a resend") {
        Rig r;
        Rig::up(r.streams.first());
        r.hold(1001, 1);
        ReplyNote pause;
        pause.cache = false;
        r.replies.answer_front(r.scope(), false, pause);
        CHECK(r.body(1) == kEmpty);
        CHECK(r.window.cache().find(1001) == nullptr);
        CHECK(r.window.cache().size() == 0);
    }

    TEST_CASE("C124-16.4-01 with streams named, each body carries one stream's payloads") {
        Rig r([](SessionParams& p) {
            p.stream_name = "sa";
            p.hold = 2;
            p.requests = 3;
        });
        Rig::up(r.streams.first());
        Rig::up(r.add_stream("sb", 2));
        r.hold(1001, 1);
        r.hold(1002, 2);
        r.replies.queue().push(LinkId{1}, msg("a1"));
        r.replies.queue().push(LinkId{2}, msg("b1"));
        r.replies.queue().push(LinkId{1}, msg("a2"));
        r.replies.release(r.scope());
        CHECK(r.answered() == ids({1, 2}));
        CHECK(r.body(1) ==
              H + " stream='sa' ack='1002'>" + msg("a1").bytes + msg("a2").bytes + "</body>");
        CHECK(r.body(2) == H + " stream='sb'>" + msg("b1").bytes + "</body>");
        CHECK(r.replies.queue().empty());
    }

    TEST_CASE("C124-16.4-01 a single stream's bodies are not named") {
        Rig r([](SessionParams& p) { p.stream_name = "sa"; });
        Rig::up(r.streams.first());
        r.hold(1001, 1);
        r.replies.queue().push(LinkId{1}, msg("a1"));
        r.replies.release(r.scope());
        CHECK(r.body(1) == H + ">" + msg("a1").bytes + "</body>");
    }

    TEST_CASE("C124-16.4-06 an empty body names no stream") {
        Rig r([](SessionParams& p) { p.stream_name = "sa"; });
        Rig::up(r.streams.first());
        Rig::up(r.add_stream("sb", 2));
        r.hold(1001, 1);
        r.replies.answer_front(r.scope(), true);
        CHECK(r.body(1) == kEmpty);
    }

    TEST_CASE("C124-16.3-04 C206-4-07 the body carrying a new stream's from names it") {
        Rig r([](SessionParams& p) { p.stream_name = "sa"; });
        Rig::up(r.streams.first());
        Stream& b = r.add_stream("sb", 2);
        Rig::up(b, false);
        r.hold(1001, 1);
        r.replies.answer_front(r.scope(), true);
        CHECK(r.body(1) ==
              H + " stream='sb' from='example.com'" + kXmppNs + " xmpp:version='1.0'/>");
        CHECK(b.info_sent);
        r.hold(1002, 2);
        r.replies.answer_front(r.scope(), true);
        CHECK(r.body(2) == kEmpty);
    }

    TEST_CASE("C124-16.3-04 a stream's from goes with its first payloads") {
        Rig r([](SessionParams& p) { p.stream_name = "sa"; });
        Rig::up(r.streams.first());
        Stream& b = r.add_stream("sb", 2);
        Rig::up(b, false);
        r.hold(1001, 1);
        r.replies.queue().push(LinkId{2}, features());
        r.replies.release(r.scope());
        CHECK(r.body(1) == H + " stream='sb' from='example.com'" + kXmppNs + " xmpp:version='1.0'" +
                               kStreamNs + ">" + features().bytes + "</body>");
    }

    TEST_CASE("C124-16.3-02 C124-16.3-03 C124-8-07 answer_newest() names the added stream, "
              "older requests first") {
        Rig r([](SessionParams& p) {
            p.stream_name = "sa";
            p.hold = 2;
            p.requests = 3;
        });
        Rig::up(r.streams.first());
        r.hold(1001, 1);
        r.hold(1002, 2);
        r.replies.queue().push(LinkId{1}, msg("a1"));
        Stream& b = r.add_stream("sb", 2); // just opened: no header yet
        r.sc.lifetimes.clear();
        ReplyNote note;
        note.stream = &b;
        note.report = {1000, 250};
        r.replies.answer_newest(r.scope(), std::nullopt, note);
        CHECK(r.answered() == ids({1, 2}));
        // The report goes on the first reply sent, the oldest request's.
        CHECK(r.body(1) == H + " stream='sa' ack='1002' report='1000' time='250'>" +
                               msg("a1").bytes + "</body>");
        // No session attributes on the add-stream reply (C124-16.3-03).
        CHECK(r.body(2) == H + " stream='sb'/>");
        CHECK(r.sc.lifetimes.requests_released == ids({1, 2}));
        CHECK(r.window.held().empty());
    }

    TEST_CASE("C124-16.5-01 answer_end(): a terminate naming the stream, with its payloads") {
        Rig r([](SessionParams& p) { p.stream_name = "sa"; });
        Rig::up(r.streams.first());
        r.hold(1001, 1);
        r.replies.queue().add_end(StreamEnd{"sb", std::nullopt, {msg("b1")}});
        r.replies.answer_end(r.scope());
        CHECK(r.body(1) == H + " type='terminate' stream='sb'>" + msg("b1").bytes + "</body>");
        CHECK(r.replies.last_had_payloads());
        CHECK(r.sc.counters.stanzas_to_client == 1);
        CHECK_FALSE(r.replies.queue().has_end());
        CHECK(r.replies.queue().bytes() == 0);
        CHECK(r.sc.lifetimes.requests_released == ids({1}));
        REQUIRE(r.window.cache().find(1001) != nullptr); // a resend gets it again
    }

    TEST_CASE("C124-16.6-01 C206-6-03 a stream error scoped to its stream, after its stanzas") {
        Rig r([](SessionParams& p) {
            p.stream_name = "sa";
            p.hold = 2;
            p.requests = 3;
        });
        Rig::up(r.streams.first());
        r.hold(1001, 1);
        r.hold(1002, 2);
        r.replies.queue().add_end(
            StreamEnd{"sb", Condition::RemoteStreamError, {msg("b1"), stream_error()}});
        r.replies.answer_end(r.scope());
        CHECK(r.body(1) == H +
                               " type='terminate' condition='remote-stream-error' stream='sb'"
                               " ack='1002'" +
                               kStreamNs + ">" + msg("b1").bytes + stream_error().bytes +
                               "</body>");
    }

    TEST_CASE("C124-16.6-01 release() delivers waiting stream ends before payloads") {
        Rig r([](SessionParams& p) {
            p.stream_name = "sa";
            p.hold = 2;
            p.requests = 3;
        });
        Rig::up(r.streams.first());
        Rig::up(r.add_stream("sb", 2));
        r.replies.queue().push(LinkId{1}, msg("a1"));
        r.replies.queue().add_end(StreamEnd{"sc", Condition::RemoteConnectionFailed, {}});
        r.hold(1001, 1);
        r.hold(1002, 2);
        r.replies.release(r.scope());
        CHECK(r.answered() == ids({1, 2}));
        CHECK(
            r.body(1) ==
            H + " type='terminate' condition='remote-connection-failed' stream='sc' ack='1002'/>");
        CHECK(r.body(2) == H + " stream='sa'>" + msg("a1").bytes + "</body>");
    }

    TEST_CASE("C124-8-07 C124-16.5-01 answer_newest() with an end: older requests first") {
        Rig r([](SessionParams& p) {
            p.stream_name = "sa";
            p.hold = 2;
            p.requests = 3;
        });
        Rig::up(r.streams.first());
        Rig::up(r.add_stream("sb", 2));
        r.hold(1001, 1);
        r.hold(1002, 2);
        r.replies.queue().add_end(StreamEnd{"sc", Condition::RemoteConnectionFailed, {}});
        r.replies.answer_newest(r.scope(), StreamEnd{"sb", std::nullopt, {msg("b1")}}, {});
        CHECK(r.answered() == ids({1, 2}));
        // The end that was waiting goes on the older request; the new one on
        // the newest, the request that asked for it.
        CHECK(
            r.body(1) ==
            H + " type='terminate' condition='remote-connection-failed' stream='sc' ack='1002'/>");
        CHECK(r.body(2) == H + " type='terminate' stream='sb'>" + msg("b1").bytes + "</body>");
        CHECK_FALSE(r.replies.queue().has_end());
    }

    TEST_CASE("C124-17.2-10 answer_all(): the first open request gets |first|, others |rest|") {
        Rig r([](SessionParams& p) {
            p.hold = 2;
            p.requests = 5;
        });
        r.hold(1001, 1);
        r.hold(1002, 2);
        boshd::bosh::RequestWindow::Parked p4;
        p4.id = RequestId{4};
        boshd::bosh::RequestWindow::Parked p5;
        p5.id = RequestId{5};
        r.window.park(1004, p4, r.sc.lifetimes);
        r.window.park(1005, p5, r.sc.lifetimes);
        r.window.detach(RequestId{5}, r.sc.lifetimes);
        r.sc.clear();
        const auto first = r.replies.terminal(r.scope(), Condition::RemoteConnectionFailed, false);
        const auto rest = r.replies.terminal(r.scope(), Condition::OtherRequest, false);
        r.replies.answer_all(r.scope(), first, rest);
        CHECK(r.answered() == ids({1, 2, 4}));
        CHECK(r.sc.reply(RequestId{1}) == first);
        CHECK(r.sc.reply(RequestId{2}) == rest);
        CHECK(r.sc.reply(RequestId{4}) == rest);
        CHECK(rest->body == H + " type='terminate' condition='other-request'/>");
        CHECK(r.sc.lifetimes.requests_released == ids({1, 2, 4}));
        CHECK_FALSE(r.window.open());
        CHECK(r.window.cache().size() == 0); // terminal replies are not kept
        // Nothing open: nothing sent.
        r.sc.clear();
        r.replies.answer_all(r.scope(), first, rest);
        CHECK(r.sc.actions.empty());
    }

    TEST_CASE("C124-17.1-01 C124-17.1-02 C124-17.1-03 terminal(): legacy statuses without ver") {
        Rig legacy([](SessionParams& p) { p.ver.reset(); });
        Rig current;
        const std::vector<std::pair<Condition, int>> cases{
            {Condition::BadRequest, 400},
            {Condition::PolicyViolation, 403},
            {Condition::ItemNotFound, 404},
            {Condition::RemoteConnectionFailed, 200}, // C124-17.1-03: no invented statuses
            {Condition::OtherRequest, 200},
            {Condition::SystemShutdown, 200},
        };
        for (const auto& [c, status] : cases) {
            CAPTURE(to_string(c));
            const std::string body =
                H + " type='terminate' condition='" + std::string(to_string(c)) + "'/>";
            const auto old = legacy.replies.terminal(legacy.scope(), c, false);
            CHECK(old->status == status);
            CHECK(old->body == body);
            const auto now = current.replies.terminal(current.scope(), c, false);
            CHECK(now->status == 200); // C124-17.1-01
            CHECK(now->body == body);
            CHECK(now->content_type == "text/xml; charset=utf-8");
        }
        CHECK(legacy.sc.actions.empty()); // building a reply sends nothing
    }

    TEST_CASE("C206-6-03 a terminal body carries the queued stanzas, then the stream error") {
        Rig r;
        Rig::up(r.streams.first());
        r.replies.queue().push(LinkId{1}, msg("one"));
        r.replies.queue().push(LinkId{1}, msg("two"));
        const auto error = stream_error();
        const auto reply =
            r.replies.terminal(r.scope(), Condition::RemoteStreamError, true, &error);
        CHECK(reply->body == H + " type='terminate' condition='remote-stream-error'" + kStreamNs +
                                 ">" + msg("one").bytes + msg("two").bytes + error.bytes +
                                 "</body>");
        CHECK(reply->status == 200);
        CHECK(r.replies.queue().empty());
        CHECK(r.replies.queue().bytes() == 0);
        // Without payloads asked for, the queue stays.
        r.replies.queue().push(LinkId{1}, msg("three"));
        const auto bare =
            r.replies.terminal(r.scope(), Condition::RemoteStreamError, false, &error);
        CHECK(bare->body == H + " type='terminate' condition='remote-stream-error'/>");
        CHECK(r.replies.queue().items().size() == 1);
    }

    TEST_CASE("C124-16.6-04 with several streams a session terminal carries no payloads") {
        Rig r([](SessionParams& p) { p.stream_name = "sa"; });
        Rig::up(r.streams.first());
        Rig::up(r.add_stream("sb", 2));
        r.replies.queue().push(LinkId{1}, msg("a1"));
        r.replies.queue().push(LinkId{2}, msg("b1"));
        const auto reply = r.replies.terminal(r.scope(), Condition::RemoteConnectionFailed, true);
        CHECK(reply->body == H + " type='terminate' condition='remote-connection-failed'/>");
        CHECK(r.replies.queue().items().size() == 2); // left to bounce, each on its stream
    }
}
