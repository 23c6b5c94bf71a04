#include "conformance/runner.h"

#include "bosh/engine.h"
#include "conformance/fake_server.h"
#include "support/capture_log.h"
#include "support/seeded_random.h"

#include <chrono>
#include <cmath>
#include <deque>
#include <map>
#include <sstream>

namespace boshd::conformance {

namespace {

struct StepFailure {
    std::string what;
};

[[noreturn]] void fail(std::string what) {
    throw StepFailure{std::move(what)};
}

// A received stream header in a failure report: its name and attributes.
std::string describe_header(const Node& n) {
    std::string out = "<" + n.name();
    for (const auto& a : n.attrs) {
        out += " " + (a.ns.empty() ? a.local : "{" + a.ns + "}" + a.local) + "='" + a.value + "'";
    }
    return out + ">";
}

// An event the fake server caused, delivered after the current action batch
// (the adapters never re-enter the engine from inside an action either).
struct Pending {
    enum class Kind { Connected, Data, Closed } kind;
    bosh::LinkId link;
    std::string bytes;
};

class Runner {
public:
    explicit Runner(const Scenario& s)
        : s_(s), config_(scenario_config(s)), log_(capture_, util::LogLevel::Debug),
          engine_(config_.limits, bosh::RouteTable(config_.routes), random_, log_),
          server_(s.features, s.restart_features) {}

    void run() {
        for (const auto& step : s_.steps) {
            try {
                do_step(step);
            } catch (StepFailure& f) {
                std::ostringstream out;
                out << "scenario:" << s_.id << " (" << s_.file << ")\n  step " << step.index << ": "
                    << step.text << "\n  " << f.what;
                throw StepFailure{out.str()};
            }
        }
    }

private:
    struct Request {
        bosh::RequestId id;
        bosh::ReplyPtr reply;
        bool checked = false; // an expect step looked at its reply
    };

    void do_step(const Step& st) {
        const auto& v = st.value();
        const auto& verb = st.verb;
        if (verb == "send") {
            send(st);
        } else if (verb == "expect") {
            expect(st);
        } else if (verb == "expect_raw") {
            auto& r = answered(st.str("req", oldest_unchecked()));
            r.checked = true;
            const auto want = subst(v.value_or(std::string()));
            if (r.reply->body != want) {
                fail("expected exactly: " + want + "\n  actual: " + r.reply->body);
            }
        } else if (verb == "expect_pending") {
            auto& r = request(v.value_or(std::string()));
            if (r.reply) {
                fail("expected no answer yet\n  actual: " + r.reply->body);
            }
        } else if (verb == "drop") {
            dispatch(bosh::RequestAborted{request(v.value_or(std::string())).id});
        } else if (verb == "advance") {
            const double seconds =
                v.is_integer() ? static_cast<double>(*v.value<std::int64_t>()) : v.value_or(0.0);
            advance(util::Duration(std::llround(seconds * 1000)));
        } else if (verb == "set") {
            for (const auto& [k, val] : *v.as_table()) {
                vars_[std::string(k.str())] = val.value_or(std::string());
            }
        } else if (verb == "server_refuse") {
            server_.refuse_next();
        } else if (verb == "shutdown") {
            // As the daemon does on SIGTERM; over the wire boshd then exits.
            if (shut_down_) {
                fail("the CM is already shutting down");
            }
            shut_down_ = true;
            dispatch(bosh::Shutdown{});
        } else {
            server_step(st);
        }
    }

    void server_step(const Step& st) {
        const auto& verb = st.verb;
        auto& s = stream(st);
        if (!s.broken.empty()) {
            fail("the CM wrote malformed XML to the server: " + s.broken);
        }
        if (verb == "server_send") {
            const auto bytes = subst(st.value().value_or(std::string()));
            dispatch(bosh::BackendData{s.link, bytes});
        } else if (verb == "server_drop") {
            s.closed = true;
            dispatch(bosh::BackendClosed{s.link, "server_drop step"});
        } else if (verb == "server_expect_close") {
            if (!s.closed) {
                fail("expected the CM to have closed the stream; it is open");
            }
        } else if (verb == "server_expect_nothing") {
            if (s.element_cursor < s.elements.size()) {
                fail("expected nothing new\n  actual: " + s.elements[s.element_cursor].raw);
            }
        } else {
            const bool header = verb == "server_expect_header";
            auto& list = header ? s.headers : s.elements;
            auto& cursor = header ? s.header_cursor : s.element_cursor;
            const auto pattern_text = st.value().value_or(std::string());
            const Node pattern = parse_pattern(pattern_text);
            std::string seen;
            for (auto i = cursor; i < list.size(); ++i) {
                auto why = match(pattern, list[i], vars_);
                if (why.empty()) {
                    cursor = i + 1;
                    return;
                }
                seen +=
                    "\n    " + (header ? describe_header(list[i]) : list[i].raw) + "  -- " + why;
            }
            fail("expected: " + pattern_text +
                 "\n  received since the last match:" + (seen.empty() ? " nothing" : seen));
        }
    }

    void send(const Step& st) {
        if (shut_down_) {
            // Over the wire nothing listens any more: both runners refuse.
            fail("send after shutdown: the CM no longer takes requests");
        }
        const auto name = st.str("as", "r" + std::to_string(st.index));
        if (requests_.count(name)) {
            fail("request name '" + name + "' is already used");
        }
        const bosh::RequestId id{next_request_++};
        requests_[name] = Request{id, nullptr};
        order_.push_back(name);
        const auto body = subst(st.value().value_or(std::string()));
        dispatch(bosh::RequestArrived{id, body, util::Endpoint{}});
    }

    void expect(const Step& st) {
        const auto name = st.str("req", oldest_unchecked());
        auto& r = answered(name);
        r.checked = true;
        const auto& reply = *r.reply;
        const auto pattern_text = st.value().value_or(std::string());
        const auto actual = "\n  expected: " + pattern_text + "\n  actual (" +
                            std::to_string(reply.status) + ", " + reply.content_type +
                            "): " + reply.body;
        const auto status = st.integer("status", 200);
        if (reply.status != status) {
            fail("status " + std::to_string(reply.status) + ", expected " + std::to_string(status) +
                 actual);
        }
        if (const auto ct = st.str("content_type"); !ct.empty() && ct != reply.content_type) {
            fail("content type '" + reply.content_type + "', expected '" + ct + "'" + actual);
        }
        std::string error;
        auto doc = parse_document(reply.body, error);
        if (!doc) {
            fail("the reply is not well-formed XML: " + error + actual);
        }
        if (auto why = match(parse_pattern(pattern_text), *doc, vars_, st.strings("absent"));
            !why.empty()) {
            fail(why + actual);
        }
        if (const auto var = st.str("capture_raw"); !var.empty()) {
            vars_[var] = reply.body;
        }
    }

    Node parse_pattern(const std::string& text) {
        std::string error;
        auto p = parse_document(text, error);
        if (!p) {
            fail("the pattern is not well-formed XML: " + error);
        }
        return std::move(*p);
    }

    std::string subst(const std::string& text) {
        std::string error;
        auto out = substitute(text, vars_, error);
        if (!error.empty()) {
            fail(error);
        }
        return out;
    }

    std::string oldest_unchecked() const {
        for (const auto& name : order_) {
            if (!requests_.at(name).checked) {
                return name;
            }
        }
        fail("every request sent has been checked already");
    }
    Request& request(const std::string& name) {
        auto it = requests_.find(name);
        if (it == requests_.end()) {
            fail("no request named '" + name + "' was sent");
        }
        return it->second;
    }
    Request& answered(const std::string& name) {
        auto& r = request(name);
        if (!r.reply) {
            fail("request '" + name + "' has not been answered");
        }
        return r;
    }
    FakeServer::Stream& stream(const Step& st) {
        const auto n = st.integer("stream", 1);
        auto* s = server_.stream(static_cast<std::size_t>(n));
        if (!s) {
            fail("stream " + std::to_string(n) + " was never opened (" +
                 std::to_string(server_.count()) + " so far)");
        }
        return *s;
    }

    // Moves the clock to now + |d|, delivering TimerDue at each deadline on
    // the way, as the adapter's deadline timer does.
    void advance(util::Duration d) {
        const auto target = now_ + d;
        for (auto next = engine_.next_deadline(); next && *next <= target;
             next = engine_.next_deadline()) {
            now_ = std::max(now_, *next);
            dispatch(bosh::TimerDue{});
        }
        now_ = target;
    }

    void dispatch(const bosh::Event& first) {
        handle(first);
        while (!pending_.empty()) {
            auto p = std::move(pending_.front());
            pending_.pop_front();
            switch (p.kind) {
            case Pending::Kind::Connected:
                handle(bosh::BackendConnected{p.link});
                break;
            case Pending::Kind::Data:
                handle(bosh::BackendData{p.link, p.bytes});
                break;
            case Pending::Kind::Closed:
                handle(bosh::BackendClosed{p.link, "connection refused (server_refuse)"});
                break;
            }
        }
    }

    void handle(const bosh::Event& ev) {
        bosh::Actions actions;
        engine_.handle(ev, now_, actions);
        for (auto& a : actions) {
            if (auto* r = std::get_if<bosh::Respond>(&a)) {
                record(*r);
            } else if (auto* o = std::get_if<bosh::OpenBackend>(&a)) {
                const bool up = server_.open(o->link);
                pending_.push_back(
                    {up ? Pending::Kind::Connected : Pending::Kind::Closed, o->link, {}});
            } else if (auto* w = std::get_if<bosh::WriteBackend>(&a)) {
                if (auto answer = server_.receive(w->link, w->bytes, vars_); !answer.empty()) {
                    pending_.push_back({Pending::Kind::Data, w->link, std::move(answer)});
                }
            } else if (auto* c = std::get_if<bosh::CloseBackend>(&a)) {
                server_.closed_by_cm(c->link);
            } else if (std::holds_alternative<bosh::StartTls>(a)) {
                fail("the CM started TLS, which the in-process fake server cannot do");
            }
        }
    }

    void record(const bosh::Respond& r) {
        for (auto& [name, req] : requests_) {
            if (req.id == r.id) {
                if (req.reply) {
                    fail("request '" + name + "' was answered twice:\n    " + req.reply->body +
                         "\n    " + r.reply->body);
                }
                req.reply = r.reply;
                return;
            }
        }
        fail("the CM answered a request id it was never given");
    }

    const Scenario& s_;
    svc::Config config_;
    test::CaptureLog capture_;
    util::Logger log_;
    test::SeededRandom random_;
    bosh::Engine engine_;
    FakeServer server_;
    util::TimePoint now_{};
    Vars vars_;
    std::map<std::string, Request> requests_;
    std::vector<std::string> order_;
    std::uint64_t next_request_ = 1;
    std::deque<Pending> pending_;
    bool shut_down_ = false; // a `shutdown` step ran
};

} // namespace

svc::Config scenario_config(const Scenario& s) {
    toml::table session;
    toml::table backend;
    for (const auto& [key, value] : s.config) {
        if (key.str() == "backend" && value.is_table()) {
            backend = *value.as_table();
        } else {
            session.insert(key, value);
        }
    }
    toml::table route{{"domain", "example.com"}, {"host", "127.0.0.1"}, {"tls", "none"}};
    toml::table doc{{"http", toml::table{{"listen", "127.0.0.1:0"}}},
                    {"session", std::move(session)},
                    {"backend", std::move(backend)},
                    {"route", toml::array{std::move(route)}}};
    std::ostringstream text;
    text << doc;
    return svc::parse_config(text.str(), "scenario " + s.id + " config");
}

std::string run_scenario(const Scenario& s) {
    try {
        Runner r(s);
        r.run();
        return {};
    } catch (const StepFailure& f) {
        return f.what;
    } catch (const svc::ConfigError& e) {
        return "scenario:" + s.id + ": bad config: " + e.what();
    }
}

} // namespace boshd::conformance
