// What GET /metrics shows: the families render_metrics() writes from the
// engine's counters, the adapter's and the process's. (The engine's counting
// itself: tests/unit/bosh/engine_counters_test.cpp.)
#include "svc/telemetry.h"

#include <chrono>
#include <doctest/doctest.h>
#include <map>
#include <set>
#include <sstream>
#include <string>

using namespace boshd;
using svc::ProcessStats;
using svc::render_metrics;
using svc::Telemetry;

namespace {

std::vector<bosh::Route> routes() {
    bosh::Route a;
    a.domain = "example.com";
    a.host = "127.0.0.1";
    bosh::Route b;
    b.domain = "example.org";
    b.host = "xmpp.example.org";
    return {a, b};
}

const util::TimePoint kT0{};

// Sample lines by "name{labels}" (as written), and the families declared.
struct Scrape {
    std::map<std::string, std::string> samples;
    std::map<std::string, std::string> types; // family -> type
    std::set<std::string> helped;
    std::vector<std::string> errors;

    explicit Scrape(const std::string& text) {
        std::istringstream in(text);
        std::string line;
        std::string family;
        while (std::getline(in, line)) {
            if (line.starts_with("# HELP ")) {
                family = line.substr(7, line.find(' ', 7) - 7);
                helped.insert(family);
            } else if (line.starts_with("# TYPE ")) {
                const auto name = line.substr(7, line.find(' ', 7) - 7);
                if (name != family) {
                    errors.push_back("TYPE without its HELP first: " + line);
                }
                types[name] = line.substr(line.rfind(' ') + 1);
            } else {
                const auto space = line.rfind(' ');
                const auto key = line.substr(0, space);
                const auto name = key.substr(0, key.find('{'));
                if (family.empty() || !name.starts_with(family)) {
                    errors.push_back("sample outside its family: " + line);
                }
                if (!samples.emplace(key, line.substr(space + 1)).second) {
                    errors.push_back("duplicate sample: " + line);
                }
            }
        }
    }
    std::string operator[](const std::string& key) const {
        auto it = samples.find(key);
        return it == samples.end() ? "<absent>" : it->second;
    }
};

std::string ended(const Scrape& s, const std::string& condition) {
    return s["boshd_sessions_ended_total{condition=\"" + condition + "\"}"];
}

} // namespace

TEST_SUITE("svc/telemetry") {
    TEST_CASE("every family has HELP and TYPE before its samples, and each sample is unique") {
        Telemetry t(routes(), kT0);
        t.http().requests = 3;
        t.http().on_response(200, std::chrono::microseconds(300), false);
        t.http().on_response(404, std::chrono::microseconds(20), false);
        t.http().on_response(200, std::chrono::seconds(2), true);
        ProcessStats p;
        p.cpu_seconds = 1.5;
        p.open_fds = 9;
        const Scrape s(render_metrics(bosh::Counters{}, t, p, 0));
        CHECK(s.errors.empty());
        for (const auto& [name, type] : s.types) {
            CAPTURE(name);
            CHECK(s.helped.contains(name));
            CHECK((type == "counter" || type == "gauge" || type == "histogram"));
            CHECK((type != "counter" || name.ends_with("_total")));
        }
        CHECK(s.types.at("boshd_request_duration_seconds") == "histogram");
        CHECK(s["boshd_http_requests_total"] == "3");
        CHECK(s["boshd_http_responses_total{status=\"200\"}"] == "2");
        CHECK(s["boshd_http_responses_total{status=\"404\"}"] == "1");
        CHECK(s["boshd_request_duration_seconds_count{held=\"false\"}"] == "2");
        CHECK(s["boshd_request_duration_seconds_count{held=\"true\"}"] == "1");
        CHECK(s["boshd_request_duration_seconds_bucket{held=\"true\",le=\"1\"}"] == "0");
        CHECK(s["boshd_request_duration_seconds_bucket{held=\"true\",le=\"2.5\"}"] == "1");
        CHECK(s["boshd_request_duration_seconds_bucket{held=\"false\",le=\"0.0005\"}"] == "2");
        CHECK(s["boshd_request_duration_seconds_sum{held=\"true\"}"] == "2");
        CHECK(s["process_cpu_seconds_total"] == "1.5");
        CHECK(s["process_open_fds"] == "9");
        // What could not be read is left out, not shown as 0.
        CHECK(s["process_resident_memory_bytes"] == "<absent>");
    }

    TEST_CASE("every condition has its series, so the label set is fixed from the start") {
        const Scrape s(render_metrics(bosh::Counters{}, Telemetry(routes(), kT0), {}, 0));
        for (const char* c :
             {"none", "expired", "bad-request", "host-gone", "host-unknown", "improper-addressing",
              "internal-server-error", "item-not-found", "other-request", "policy-violation",
              "remote-connection-failed", "remote-stream-error", "see-other-uri", "system-shutdown",
              "undefined-condition"}) {
            CAPTURE(c);
            CHECK(ended(s, c) == "0");
        }
        CHECK(s["boshd_backend_connects_total{domain=\"example.com\"}"] == "0");
        CHECK(s["boshd_backend_failures_total{domain=\"example.org\"}"] == "0");
    }

    TEST_CASE("backend links are counted per configured route, and nothing else") {
        Telemetry t(routes(), kT0);
        t.backend_connected("example.com", kT0 + std::chrono::seconds(1));
        t.backend_connected("example.com", kT0 + std::chrono::seconds(2));
        t.backend_failed("example.org", "connection refused", kT0 + std::chrono::seconds(3));
        t.backend_connected("elsewhere.example", kT0); // no route: no new series
        const Scrape s(render_metrics(bosh::Counters{}, t, {}, 0));
        CHECK(s["boshd_backend_connects_total{domain=\"example.com\"}"] == "2");
        CHECK(s["boshd_backend_failures_total{domain=\"example.com\"}"] == "0");
        CHECK(s["boshd_backend_failures_total{domain=\"example.org\"}"] == "1");
        CHECK(s["boshd_backend_connects_total{domain=\"elsewhere.example\"}"] == "<absent>");
        CHECK(t.routes()[0].state() == "ok");
        CHECK(t.routes()[1].state() == "failing");
        CHECK(t.routes()[1].last_failure_reason == "connection refused");
        t.backend_connected("example.org", kT0 + std::chrono::seconds(4));
        CHECK(t.routes()[1].state() == "ok");
    }

    TEST_CASE("the HTTP edge: open connections, connections and heads refused") {
        Telemetry t(routes(), kT0);
        t.http().refused_max_connections_per_ip = 3;
        t.http().refused_max_connections = 1;
        ++t.http().heads_refused[431];
        ++t.http().heads_refused[405];
        ++t.http().heads_refused[405];
        const Scrape s(render_metrics(bosh::Counters{}, t, {}, 17));
        CHECK(s["boshd_http_connections"] == "17");
        CHECK(s["boshd_http_connections_refused_total{limit=\"max_connections\"}"] == "1");
        CHECK(s["boshd_http_connections_refused_total{limit=\"max_connections_per_ip\"}"] == "3");
        CHECK(s["boshd_http_heads_refused_total{status=\"405\"}"] == "2");
        CHECK(s["boshd_http_heads_refused_total{status=\"431\"}"] == "1");
        CHECK(s["boshd_http_heads_refused_total{status=\"414\"}"] == "<absent>");
    }

    TEST_CASE("a route's server as the status page shows it: host:port, or its SRV name") {
        auto rs = routes();
        rs[1].srv = true;
        rs[1].tls = bosh::TlsMode::Direct;
        rs[1].port = 5223;
        const Telemetry t(rs, kT0);
        CHECK(t.routes()[0].server() == "127.0.0.1:5222");
        CHECK(t.routes()[1].server() ==
              "SRV _xmpps-client._tcp.example.org, else xmpp.example.org:5223");
    }

    TEST_CASE("a reload keeps the counts of the routes that stay") {
        Telemetry t(routes(), kT0);
        t.backend_connected("example.com", kT0);
        t.backend_connected("example.org", kT0);
        auto next = routes();
        next.erase(next.begin() + 1);
        bosh::Route c;
        c.domain = "example.net";
        next.push_back(c);
        t.set_routes(next);
        REQUIRE(t.routes().size() == 2);
        CHECK(t.routes()[0].connects == 1);
        CHECK(t.routes()[1].domain == "example.net");
        CHECK(t.routes()[1].connects == 0);
        CHECK(t.routes()[1].state() == "unknown");
    }

    TEST_CASE("the engine's counters, as written") {
        bosh::Counters c;
        c.sessions_active = 2;
        c.requests_pending = 1;
        c.sessions_created = 9;
        c.sessions_ended_by_client = 3;
        c.sessions_expired = 2;
        c.sessions_ended_by[bosh::index_of(bosh::Condition::RemoteStreamError)] = 1;
        c.sessions_ended_by[bosh::index_of(bosh::Condition::SystemShutdown)] = 1;
        c.rid_repeats = 4;
        c.stanzas_to_server = 10;
        c.stanzas_to_client = 11;
        c.bytes_to_server = 1000;
        c.bytes_to_client = 2000;
        const Scrape s(render_metrics(c, Telemetry(routes(), kT0), {}, 0));
        CHECK(s["boshd_sessions"] == "2");
        CHECK(s["boshd_requests_held"] == "1");
        CHECK(s["boshd_sessions_created_total"] == "9");
        CHECK(ended(s, "none") == "3");
        CHECK(ended(s, "expired") == "2");
        CHECK(ended(s, "remote-stream-error") == "1");
        CHECK(ended(s, "system-shutdown") == "1");
        CHECK(ended(s, "item-not-found") == "0");
        CHECK(s["boshd_rid_resends_total"] == "4");
        CHECK(s["boshd_stanzas_total{direction=\"to_server\"}"] == "10");
        CHECK(s["boshd_stanzas_total{direction=\"to_client\"}"] == "11");
        CHECK(s["boshd_bytes_total{direction=\"to_server\"}"] == "1000");
        CHECK(s["boshd_bytes_total{direction=\"to_client\"}"] == "2000");
    }
}
