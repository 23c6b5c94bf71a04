// A Context for unit tests of the session's parts (Stream, StreamSet,
// ReplyPath): it owns everything a bosh::Context refers to (actions,
// counters, a capturing logger, limits, routes, ids and lifetimes) and has a
// manual clock. Look at what a part did through `actions`, `lifetimes`,
// `counters` and `capture`; clear() forgets the first two between steps.
#pragma once

#include "bosh/context.h"
#include "support/capture_log.h"
#include "support/seeded_random.h"
#include "xml/fragment.h"

#include <doctest/doctest.h>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace boshd::test {

class SessionContext {
public:
    // The domain of default_routes(), plain TCP.
    static constexpr std::string_view kDomain = "example.com";
    // A second domain, STARTTLS with verification (a `secure` link).
    static constexpr std::string_view kSecureDomain = "secure.example";

    explicit SessionContext(bosh::Limits limits_ = {},
                            std::vector<bosh::Route> routes_ = default_routes())
        : limits(std::move(limits_)), routes(std::move(routes_)),
          logger(capture, util::LogLevel::Debug),
          ids(random), ctx{start(), actions, counters, logger, limits, routes, ids, lifetimes} {}

    SessionContext(const SessionContext&) = delete;
    SessionContext& operator=(const SessionContext&) = delete;

    static std::vector<bosh::Route> default_routes() {
        bosh::Route plain;
        plain.domain = std::string(kDomain);
        plain.host = "127.0.0.1";
        plain.tls = bosh::TlsMode::None;
        bosh::Route secure;
        secure.domain = std::string(kSecureDomain);
        secure.host = "127.0.0.2";
        secure.tls = bosh::TlsMode::StartTls;
        secure.tls_verify = true;
        return {plain, secure};
    }
    // Where the clock starts: far enough from the epoch that tests may step back.
    static util::TimePoint start() { return util::TimePoint{} + util::Seconds(1000); }

    // The clock the parts read (Context::now).
    util::TimePoint now() const { return ctx.now; }
    void set_now(util::TimePoint t) { ctx.now = t; }
    void advance(util::Duration d) { ctx.now += d; }

    std::shared_ptr<const bosh::Route> route(std::string_view domain = kDomain) const {
        return routes.find(domain);
    }

    // Forgets the actions and lifetimes reported so far (the engine starts
    // each call with empty lifetimes).
    void clear() {
        actions.clear();
        lifetimes.clear();
    }

    // The actions of type A, in order.
    template <typename A> std::vector<A> all() const {
        std::vector<A> out;
        for (const auto& a : actions) {
            if (const auto* x = std::get_if<A>(&a)) {
                out.push_back(*x);
            }
        }
        return out;
    }
    // What was written to |link|, all WriteBackend bytes together.
    std::string written(bosh::LinkId link) const {
        std::string out;
        for (const auto& w : all<bosh::WriteBackend>()) {
            if (w.link == link) {
                out += w.bytes;
            }
        }
        return out;
    }
    // The reply sent to request |id|; fails the test unless exactly one was.
    bosh::ReplyPtr reply(bosh::RequestId id) const {
        bosh::ReplyPtr found;
        std::size_t n = 0;
        for (const auto& r : all<bosh::Respond>()) {
            if (r.id == id) {
                found = r.reply;
                ++n;
            }
        }
        INFO("request ", bosh::value_of(id));
        REQUIRE(n == 1);
        return found;
    }
    // The bodies of every Respond, in order, with their request ids.
    std::vector<std::pair<bosh::RequestId, std::string>> bodies() const {
        std::vector<std::pair<bosh::RequestId, std::string>> out;
        for (const auto& r : all<bosh::Respond>()) {
            out.emplace_back(r.id, r.reply->body);
        }
        return out;
    }

    bosh::Limits limits;
    bosh::RouteTable routes;
    bosh::Actions actions;
    bosh::Counters counters;
    CaptureLog capture;
    bosh::Lifetimes lifetimes;
    SeededRandom random;
    util::Logger logger;
    bosh::IdIssuer ids;
    bosh::Context ctx;
};

// A fragment as the server side produces it: |bytes| with its root element's
// namespace and local name (jabber:client stanzas by default).
inline xml::Fragment fragment(std::string bytes, std::string local,
                              std::string ns = "jabber:client", bool needs_stream_prefix = false) {
    xml::Fragment f;
    f.bytes = std::move(bytes);
    f.ns = std::move(ns);
    f.local = std::move(local);
    f.needs_stream_prefix = needs_stream_prefix;
    return f;
}

// A <message/> from |from| carrying |text|, as a fragment.
inline xml::Fragment message(const std::string& text, const std::string& from = "a@example.com/r",
                             const std::string& id = "m1") {
    return fragment("<message xmlns='jabber:client' from='" + from + "' to='b@example.com' id='" +
                        id + "'><body>" + text + "</body></message>",
                    "message");
}

} // namespace boshd::test
