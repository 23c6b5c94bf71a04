// Drives a bosh::Engine the way the adapters do, with a manual clock: post
// bodies, play the XMPP server, advance time, and look at what came out.
#pragma once

#include "bosh/engine.h"
#include "support/capture_log.h"
#include "support/seeded_random.h"
#include "support/xml_inspect.h"
#include "xml/body_parser.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace boshd::test {

inline constexpr const char* kServerHeader =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' id='srv-stream-1' from='example.com' "
    "version='1.0' xml:lang='en'>";
inline constexpr const char* kFeatures =
    "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
    "<mechanism>PLAIN</mechanism></mechanisms></stream:features>";

// The empty reply (C124-8-08): exactly this document.
inline constexpr const char* kEmptyBody = "<body xmlns='http://jabber.org/protocol/httpbind'/>";

// A jabber:client message from the client carrying |text|.
inline std::string msg(const std::string& text) {
    return "<message xmlns='jabber:client' to='b@example.com'><body>" + text + "</body></message>";
}

// boshd's own namespace-aware reading of |body| (for checks by namespace URI).
inline xml::Body parse(const std::string& body) {
    auto b = xml::parse_body(body, {});
    INFO("body: ", body);
    REQUIRE(b);
    return std::move(b.value());
}

// The <stream:stream ...> start tags in |written|, in order.
inline std::vector<std::string> stream_headers(const std::string& written) {
    std::vector<std::string> out;
    for (auto pos = written.find("<stream:stream"); pos != std::string::npos;
         pos = written.find("<stream:stream", pos + 1)) {
        out.push_back(written.substr(pos, written.find('>', pos) + 1 - pos));
    }
    return out;
}

// The value of attribute |name| on a start tag written by boshd ('' quoted),
// or nullopt.
inline std::optional<std::string> tag_attr(const std::string& tag, const std::string& name) {
    const auto key = " " + name + "='";
    const auto pos = tag.find(key);
    if (pos == std::string::npos) {
        return std::nullopt;
    }
    const auto begin = pos + key.size();
    return tag.substr(begin, tag.find('\'', begin) - begin);
}

// Occurrences of |needle| in |hay|.
inline std::size_t occurrences(const std::string& hay, const std::string& needle) {
    std::size_t n = 0;
    for (auto pos = hay.find(needle); pos != std::string::npos; pos = hay.find(needle, pos + 1)) {
        ++n;
    }
    return n;
}

class EngineHarness {
public:
    explicit EngineHarness(bosh::Limits limits = default_limits(),
                           std::vector<bosh::Route> routes = default_routes())
        : log_(capture, util::LogLevel::Debug),
          engine(limits, bosh::RouteTable(std::move(routes)), random_, log_) {}

    static bosh::Limits default_limits() {
        bosh::Limits l;
        l.max_wait = util::Seconds(60);
        l.max_hold = 2;
        l.inactivity = util::Seconds(30);
        l.polling = util::Seconds(2);
        l.backend_timeout = util::Seconds(10);
        return l;
    }
    static std::vector<bosh::Route> default_routes() {
        bosh::Route r;
        r.domain = "example.com";
        r.host = "127.0.0.1";
        r.port = 5222;
        r.tls = bosh::TlsMode::None;
        return {r};
    }

    // The client every request comes from unless a test names another.
    static util::Endpoint default_client() { return {util::IpAddress::v4({192, 0, 2, 7}), 40000}; }

    // Sends one HTTP POST body from |client|; returns its request id.
    bosh::RequestId post(const std::string& body, const util::Endpoint& client = default_client()) {
        const bosh::RequestId id{next_request_++};
        dispatch(bosh::RequestArrived{id, body, client});
        return id;
    }
    void abort(bosh::RequestId id) { dispatch(bosh::RequestAborted{id}); }
    // A POST the front end could not use (RequestUnusable); returns its id.
    bosh::RequestId post_unusable(bosh::UnusableReason why, std::size_t bytes,
                                  std::string_view detail = {},
                                  std::string_view peer = "192.0.2.7:40000") {
        const bosh::RequestId id{next_request_++};
        dispatch(bosh::RequestUnusable{id, why, bytes, detail, peer, default_client()});
        return id;
    }

    // The XMPP server side of link |link| (the only link by default).
    void connect(std::optional<bosh::LinkId> link = {}) {
        dispatch(bosh::BackendConnected{link_or(link)});
    }
    void server_send(const std::string& bytes, std::optional<bosh::LinkId> link = {}) {
        dispatch(bosh::BackendData{link_or(link), bytes});
    }
    void server_close(std::optional<bosh::LinkId> link = {}) {
        dispatch(bosh::BackendClosed{link_or(link), "test closed the link"});
    }
    void tls_ready(std::optional<bosh::LinkId> link = {}) {
        dispatch(bosh::BackendTlsReady{link_or(link)});
    }

    // Moves the clock and delivers TimerDue when a deadline has passed, as
    // the adapter's deadline timer does.
    void advance(util::Duration d) {
        const auto target = now + d;
        while (true) {
            auto next = engine.next_deadline();
            if (!next || *next > target) {
                break;
            }
            now = std::max(now, *next);
            dispatch(bosh::TimerDue{});
        }
        now = target;
    }
    void advance_s(int seconds) { advance(util::Seconds(seconds)); }

    // The attributes of a creation request; an empty optional leaves the
    // attribute out. `xmpp_version` also declares xmlns:xmpp.
    struct CreateOpts {
        std::uint64_t rid = 1000;
        std::optional<std::string> to = "example.com";
        std::optional<std::string> wait = "60";
        std::optional<std::string> hold = "1";
        std::optional<std::string> ver = "1.11";
        std::optional<std::string> lang = "en";
        std::optional<std::string> xmpp_version = "1.0";
        std::string extra{};   // more attributes, written as they are
        std::string payload{}; // children of the creation <body/>
    };
    static std::string creation_body(const CreateOpts& o) {
        std::string b = "<body rid='" + std::to_string(o.rid) + "'";
        auto add = [&](const char* name, const std::optional<std::string>& v) {
            if (v) {
                b += std::string(" ") + name + "='" + *v + "'";
            }
        };
        add("to", o.to);
        add("wait", o.wait);
        add("hold", o.hold);
        add("ver", o.ver);
        add("xml:lang", o.lang);
        b += " xmlns='http://jabber.org/protocol/httpbind'";
        if (o.xmpp_version) {
            b += " xmlns:xmpp='urn:xmpp:xbosh' xmpp:version='" + *o.xmpp_version + "'";
        }
        if (!o.extra.empty()) {
            b += " " + o.extra;
        }
        return o.payload.empty() ? b + "/>" : b + ">" + o.payload + "</body>";
    }

    // Creates a session on example.com and completes the stream so that the
    // creation reply (with features) is out. Returns the sid.
    std::string create(const std::string& extra_attrs = "", std::uint64_t rid = 1000) {
        CreateOpts o;
        o.rid = rid;
        o.extra = extra_attrs;
        return create_with(o);
    }
    std::string create_with(const CreateOpts& o) {
        creation_request = post(creation_body(o));
        connect();
        server_send(std::string(kServerHeader) + kFeatures);
        REQUIRE(answered(creation_request));
        sid = Doc(reply(creation_request).body).attr("sid");
        REQUIRE_FALSE(sid.empty());
        last_rid = o.rid;
        return sid;
    }

    // The current session (sid, last rid, backend link), to switch between
    // several sessions in one test.
    struct SessionRef {
        std::string sid;
        std::uint64_t last_rid = 0;
        bosh::LinkId link{};
    };
    SessionRef current() const { return {sid, last_rid, link_or({})}; }
    void use(const SessionRef& s) {
        sid = s.sid;
        last_rid = s.last_rid;
    }

    void shutdown() { dispatch(bosh::Shutdown{}); }
    void drain() { dispatch(bosh::Drain{}); }
    void advance_ms(int ms) { advance(std::chrono::milliseconds(ms)); }

    // A request of the current session with the next rid (or |rid|).
    bosh::RequestId send(const std::string& payload = "", const std::string& attrs = "",
                         std::optional<std::uint64_t> rid = {}) {
        const auto r = rid.value_or(last_rid + 1);
        if (!rid || *rid > last_rid) {
            last_rid = std::max(last_rid, r);
        }
        return post(request_body(r, payload, attrs));
    }
    std::string request_body(std::uint64_t rid, const std::string& payload = "",
                             const std::string& attrs = "") const {
        return body_for(sid, rid, payload, attrs);
    }

    static std::string body_for(const std::string& sid, std::uint64_t rid,
                                const std::string& payload = "", const std::string& attrs = "") {
        std::string b = "<body rid='" + std::to_string(rid) + "' sid='" + sid +
                        "' xmlns='http://jabber.org/protocol/httpbind' " + attrs;
        return payload.empty() ? b + "/>" : b + ">" + payload + "</body>";
    }

    bool answered(bosh::RequestId id) const { return replies_.count(bosh::value_of(id)) != 0; }
    // The engine invariant: no request id was answered twice.
    std::size_t max_times_answered() const {
        std::size_t m = 0;
        for (const auto& [id, n] : answer_count_) {
            m = std::max(m, n);
        }
        return m;
    }
    std::size_t responses() const { return responses_; } // Respond actions so far
    // Every reply given so far, by request id.
    const std::map<std::uint64_t, bosh::ReplyPtr>& all_replies() const { return replies_; }
    std::string body(bosh::RequestId id) const { return reply(id).body; }
    std::size_t times_answered(bosh::RequestId id) const {
        auto it = answer_count_.find(bosh::value_of(id));
        return it == answer_count_.end() ? 0 : it->second;
    }
    const bosh::Reply& reply(bosh::RequestId id) const {
        auto it = replies_.find(bosh::value_of(id));
        REQUIRE(it != replies_.end());
        return *it->second;
    }
    bosh::ReplyPtr reply_ptr(bosh::RequestId id) const { return replies_.at(bosh::value_of(id)); }

    // Everything written to the backend link so far, concatenated.
    std::string written(std::optional<bosh::LinkId> link = {}) const {
        auto it = writes_.find(bosh::value_of(link_or(link)));
        return it == writes_.end() ? std::string() : it->second;
    }
    void clear_written() { writes_.clear(); }
    bool link_closed(std::optional<bosh::LinkId> link = {}) const {
        return closed_links_.count(bosh::value_of(link_or(link))) != 0;
    }
    std::size_t links_opened() const { return opened_.size(); }
    const std::vector<bosh::OpenBackend>& opened() const { return opened_; }
    std::size_t tls_started() const { return tls_started_; }

    util::TimePoint now{};
    CaptureLog capture;
    std::string sid;
    std::uint64_t last_rid = 0;
    bosh::RequestId creation_request{}; // of the last create()

private:
    util::Logger log_;
    SeededRandom random_;

public:
    bosh::Engine engine;

private:
    bosh::LinkId link_or(std::optional<bosh::LinkId> link) const {
        if (link) {
            return *link;
        }
        REQUIRE_FALSE(opened_.empty());
        return opened_.back().link;
    }

    void dispatch(const bosh::Event& ev) {
        actions_.clear();
        engine.handle(ev, now, actions_);
        for (auto& a : actions_) {
            if (auto* r = std::get_if<bosh::Respond>(&a)) {
                replies_[bosh::value_of(r->id)] = r->reply;
                ++answer_count_[bosh::value_of(r->id)];
                ++responses_;
            } else if (auto* o = std::get_if<bosh::OpenBackend>(&a)) {
                opened_.push_back(*o);
            } else if (auto* w = std::get_if<bosh::WriteBackend>(&a)) {
                REQUIRE(closed_links_.count(bosh::value_of(w->link)) == 0);
                writes_[bosh::value_of(w->link)] += w->bytes;
            } else if (auto* c = std::get_if<bosh::CloseBackend>(&a)) {
                closed_links_.insert(bosh::value_of(c->link));
            } else if (std::holds_alternative<bosh::StartTls>(a)) {
                ++tls_started_;
            }
        }
    }

    std::uint64_t next_request_ = 1;
    bosh::Actions actions_;
    std::map<std::uint64_t, bosh::ReplyPtr> replies_;
    std::map<std::uint64_t, std::size_t> answer_count_;
    std::map<std::uint64_t, std::string> writes_;
    std::set<std::uint64_t> closed_links_;
    std::vector<bosh::OpenBackend> opened_;
    std::size_t tls_started_ = 0;
    std::size_t responses_ = 0;
};

// The `condition` attribute of request |id|'s reply ("" when there is none).
inline std::string condition(const EngineHarness& h, bosh::RequestId id) {
    return Doc(h.body(id)).attr("condition");
}

} // namespace boshd::test
