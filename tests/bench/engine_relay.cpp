// CPU per relayed message inside the engine alone: no sockets, no libevent,
// no HTTP. N sessions each keep one empty request held (hold=1), as a
// Strophe.js client does; one round trip is a request with a <message/>
// (which releases the held one), the server's echo (which answers it) and
// the next empty request, held again. Measures the process's CPU time over
// the round trips and prints it per round trip. scripts/bench/relay_cpu.py
// measures the whole process over loopback; this isolates the engine.
//
//   build/tests/engine_relay [SESSIONS [ROUND_TRIPS [RUNS]]]   (<= 20000, 1000, 20)
#include "bosh/engine.h"
#include "support/seeded_random.h"
#include "util/log.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <sys/resource.h>
#include <variant>
#include <vector>

using namespace boshd;

namespace {

double cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

constexpr const char* kServerHello =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='example.com' "
    "version='1.0'><stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
    "</stream:features>";
constexpr const char* kMessage = "<message xmlns='jabber:client' to='bob@example.com' "
                                 "type='chat'><body>hello, this is a chat message</body></message>";

struct Client {
    std::string sid;
    std::uint64_t rid = 0;
    bosh::LinkId link{};
};

class Rig {
public:
    Rig() : log_(sink_, util::LogLevel::Notice), engine_(limits(), routes(), random_, log_) {}

    void handle(const bosh::Event& e) {
        actions_.clear();
        engine_.handle(e, now_, actions_);
        for (const auto& a : actions_) {
            if (const auto* r = std::get_if<bosh::Respond>(&a)) {
                last_reply_ = r->reply;
                ++replies_;
            } else if (const auto* o = std::get_if<bosh::OpenBackend>(&a)) {
                last_link_ = o->link;
            }
        }
    }
    bosh::RequestId post(const std::string& body) {
        const bosh::RequestId id{next_request_++};
        handle(bosh::RequestArrived{id, body, util::Endpoint{}});
        return id;
    }
    Client create(std::uint64_t rid) {
        post("<body rid='" + std::to_string(rid) +
             "' to='example.com' wait='60' hold='1' ver='1.11' "
             "xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh' "
             "xmpp:version='1.0'/>");
        Client c;
        c.link = last_link_;
        handle(bosh::BackendConnected{c.link});
        handle(bosh::BackendData{c.link, kServerHello});
        const auto& body = last_reply_->body;
        const auto at = body.find("sid='") + 5;
        c.sid = body.substr(at, body.find('\'', at) - at);
        c.rid = rid;
        return c;
    }
    std::string body(const Client& c, std::uint64_t rid, const char* payload) const {
        std::string b = "<body rid='" + std::to_string(rid) + "' sid='" + c.sid +
                        "' xmlns='http://jabber.org/protocol/httpbind'";
        return payload ? b + ">" + payload + "</body>" : b + "/>";
    }
    void tick() { now_ += std::chrono::milliseconds(1); }
    std::uint64_t replies() const { return replies_; }
    std::size_t sessions() const { return engine_.session_count(); }

private:
    static bosh::Limits limits() {
        bosh::Limits l;
        l.max_sessions = 100000;
        // Every session comes from one client here; no per-client limit.
        l.max_sessions_per_ip = 0;
        l.max_new_sessions_per_ip = 0;
        l.polling = util::Seconds(0);
        return l;
    }
    static bosh::RouteTable routes() {
        bosh::Route r;
        r.domain = "example.com";
        r.host = "127.0.0.1";
        r.tls = bosh::TlsMode::None;
        return bosh::RouteTable({r});
    }

    util::NullLogSink sink_;
    util::Logger log_;
    test::SeededRandom random_;
    bosh::Engine engine_;
    bosh::Actions actions_;
    util::TimePoint now_{};
    std::uint64_t next_request_ = 1;
    bosh::LinkId last_link_{};
    bosh::ReplyPtr last_reply_;
    std::uint64_t replies_ = 0;
};

double run(int sessions, int round_trips) {
    Rig rig;
    std::vector<Client> clients;
    clients.reserve(static_cast<std::size_t>(sessions));
    for (int i = 0; i < sessions; ++i) {
        clients.push_back(rig.create(1000));
    }
    for (auto& c : clients) { // each keeps one empty request held
        rig.post(rig.body(c, ++c.rid, nullptr));
    }
    const auto before = rig.replies();
    const double start = cpu_seconds();
    for (int t = 0; t < round_trips; ++t) {
        rig.tick();
        for (auto& c : clients) {
            rig.post(rig.body(c, ++c.rid, kMessage));        // releases the held one
            rig.handle(bosh::BackendData{c.link, kMessage}); // the echo answers it
            rig.post(rig.body(c, ++c.rid, nullptr));         // held again
        }
    }
    const double cpu = cpu_seconds() - start;
    const auto expected = static_cast<std::uint64_t>(sessions) * round_trips * 2;
    if (rig.replies() - before != expected ||
        rig.sessions() != static_cast<std::size_t>(sessions)) {
        std::fprintf(stderr, "engine_relay: %llu replies, %zu sessions; expected %llu, %d\n",
                     static_cast<unsigned long long>(rig.replies() - before), rig.sessions(),
                     static_cast<unsigned long long>(expected), sessions);
        std::exit(1);
    }
    return cpu * 1e9 / (static_cast<double>(sessions) * round_trips);
}

int arg(int argc, char** argv, int i, int fallback, int max) {
    const int v = argc > i ? std::atoi(argv[i]) : fallback;
    if (v < 1 || v > max) {
        std::fprintf(stderr, "engine_relay: argument %d must be 1..%d\n", i, max);
        std::exit(2);
    }
    return v;
}

} // namespace

int main(int argc, char** argv) {
    const int sessions = arg(argc, argv, 1, 1000, 20000);
    const int round_trips = arg(argc, argv, 2, 100, 1000);
    const int runs = arg(argc, argv, 3, 5, 20);
    std::vector<double> ns;
    for (int i = 0; i < runs; ++i) {
        ns.push_back(run(sessions, round_trips));
    }
    std::sort(ns.begin(), ns.end());
    std::printf("engine relay: %d sessions x %d round trips, %d runs: %.0f ns CPU per round trip "
                "(median; min %.0f, max %.0f)\n",
                sessions, round_trips, runs, ns[ns.size() / 2], ns.front(), ns.back());
}
