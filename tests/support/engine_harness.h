// Drives a bosh::Engine the way the adapters do, with a manual clock: post
// bodies, play the XMPP server, advance time, and look at what came out.
#pragma once

#include "bosh/engine.h"
#include "support/capture_log.h"
#include "support/seeded_random.h"
#include "support/xml_inspect.h"

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

    // Sends one HTTP POST body; returns its request id.
    bosh::RequestId post(const std::string& body) {
        const bosh::RequestId id{next_request_++};
        dispatch(bosh::RequestArrived{id, body});
        return id;
    }
    void abort(bosh::RequestId id) { dispatch(bosh::RequestAborted{id}); }

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

    // Creates a session on example.com and completes the stream so that the
    // creation reply (with features) is out. Returns the sid.
    std::string create(const std::string& extra_attrs = "", std::uint64_t rid = 1000) {
        const auto id = post("<body rid='" + std::to_string(rid) +
                             "' to='example.com' wait='60' hold='1' ver='1.11' xml:lang='en' "
                             "xmlns='http://jabber.org/protocol/httpbind' "
                             "xmlns:xmpp='urn:xmpp:xbosh' xmpp:version='1.0' " +
                             extra_attrs + "/>");
        connect();
        server_send(std::string(kServerHeader) + kFeatures);
        REQUIRE(answered(id));
        sid = Doc(reply(id).body).attr("sid");
        REQUIRE_FALSE(sid.empty());
        last_rid = rid;
        return sid;
    }

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
        std::string b = "<body rid='" + std::to_string(rid) + "' sid='" + sid +
                        "' xmlns='http://jabber.org/protocol/httpbind' " + attrs;
        return payload.empty() ? b + "/>" : b + ">" + payload + "</body>";
    }

    bool answered(bosh::RequestId id) const { return replies_.count(bosh::value_of(id)) != 0; }
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
};

} // namespace boshd::test
