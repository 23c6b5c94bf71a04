// The admin listener against a stub AdminSource, over a loopback socket: what
// each path answers, /healthz while draining, and the status page's text.
#include "net/ev.h"
#include "net/listener.h"
#include "svc/admin.h"
#include "util/log.h"

#include <cerrno>
#include <chrono>
#include <doctest/doctest.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

using namespace boshd;
using svc::Admin;
using svc::AdminSource;
using svc::AdminStatus;
using svc::RouteHealth;

namespace {

class NullSink : public util::LogSink {
public:
    void write(util::LogLevel, std::string_view) override {}
};

class StubSource : public AdminSource {
public:
    bool draining() const override { return draining_; }
    std::string metrics() const override { return "# HELP x X.\n# TYPE x gauge\nx 1\n"; }
    AdminStatus status() const override {
        return AdminStatus{draining_, std::chrono::seconds(3725), 7, 2, routes_};
    }

    bool draining_ = false;
    std::vector<RouteHealth> routes_;
};

struct Fixture {
    Fixture() : log(sink, util::LogLevel::Debug), base(event_base_new()) {
        REQUIRE(base);
        admin =
            std::make_unique<Admin>(base.get(), net::open_listener("127.0.0.1", 0), source, log);
    }

    // One HTTP/1.0 exchange (the server closes after its reply): the raw
    // response, with the loop turned until it is complete (bounded).
    std::string exchange(const std::string& request) {
        const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd >= 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(admin->port());
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
        REQUIRE(send(fd, request.data(), request.size(), 0) ==
                static_cast<ssize_t>(request.size()));
        std::string response;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (std::chrono::steady_clock::now() < deadline) {
            event_base_loop(base.get(), EVLOOP_ONCE | EVLOOP_NONBLOCK);
            char buf[4096];
            const auto n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
            if (n > 0) {
                response.append(buf, static_cast<std::size_t>(n));
            } else if (n == 0) {
                break; // closed: the response is complete
            } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
                break;
            } else {
                usleep(1000);
            }
        }
        close(fd);
        return response;
    }
    std::string get(const std::string& path, const std::string& method = "GET") {
        return exchange(method + " " + path + " HTTP/1.0\r\nHost: x\r\n\r\n");
    }

    NullSink sink;
    util::Logger log;
    StubSource source;
    net::EventBasePtr base;
    std::unique_ptr<Admin> admin;
};

std::string status_line(const std::string& response) {
    return response.substr(0, response.find("\r\n"));
}
std::string body_of(const std::string& response) {
    const auto end = response.find("\r\n\r\n");
    return end == std::string::npos ? "" : response.substr(end + 4);
}

} // namespace

TEST_SUITE("svc/admin") {
    TEST_CASE("/metrics is the source's text, in the exposition format's media type") {
        Fixture f;
        const auto r = f.get("/metrics");
        CHECK(status_line(r) == "HTTP/1.0 200 OK");
        CHECK(r.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n") !=
              std::string::npos);
        CHECK(body_of(r) == f.source.metrics());
    }

    TEST_CASE("/healthz: 200 ok, and 503 while draining") {
        Fixture f;
        auto r = f.get("/healthz");
        CHECK(status_line(r) == "HTTP/1.0 200 OK");
        CHECK(body_of(r) == "ok\n");
        f.source.draining_ = true;
        r = f.get("/healthz");
        CHECK(status_line(r) == "HTTP/1.0 503 Service Unavailable");
        CHECK(body_of(r) == "draining\n");
    }

    TEST_CASE("other paths 404, other methods 405 with Allow, HEAD without a body") {
        Fixture f;
        CHECK(status_line(f.get("/http-bind")) == "HTTP/1.0 404 Not Found");
        CHECK(status_line(f.get("/metrics/x")) == "HTTP/1.0 404 Not Found");
        const auto post = f.exchange("POST /metrics HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi");
        CHECK(status_line(post) == "HTTP/1.0 405 Method Not Allowed");
        CHECK(post.find("Allow: GET, HEAD\r\n") != std::string::npos);
        CHECK(status_line(f.get("/", "DELETE")) == "HTTP/1.0 405 Method Not Allowed");
        const auto head = f.get("/metrics", "HEAD");
        CHECK(status_line(head) == "HTTP/1.0 200 OK");
        CHECK(head.find("Content-Length: " + std::to_string(f.source.metrics().size())) !=
              std::string::npos);
        CHECK(body_of(head).empty());
    }

    TEST_CASE("the status page: state, uptime, sessions and each route's health, escaped") {
        RouteHealth r;
        r.domain = "example.com";
        r.host = "127.0.0.1";
        r.port = 5222;
        r.connects = 4;
        r.failures = 1;
        const util::TimePoint now{std::chrono::hours(1)};
        r.last_connect = now - std::chrono::seconds(5);
        r.last_failure = now - std::chrono::seconds(90);
        r.last_failure_reason = "refused <by> \"the\" server & co";
        const std::vector<RouteHealth> routes{r};
        const auto page = svc::render_status_page(
            AdminStatus{true, std::chrono::seconds(90061), 12, 3, routes}, now);
        CHECK(page.find("<td>draining</td>") != std::string::npos);
        CHECK(page.find("<td>1d 1h 1m 1s</td>") != std::string::npos);
        CHECK(page.find("<th>sessions</th><td>12</td>") != std::string::npos);
        CHECK(page.find("<th>requests held</th><td>3</td>") != std::string::npos);
        CHECK(page.find("<td>example.com</td><td>127.0.0.1:5222</td><td>none</td><td>ok</td>"
                        "<td>4</td><td>5s ago</td><td>1</td>") != std::string::npos);
        CHECK(page.find("1m 30s ago: refused &lt;by&gt; &quot;the&quot; server &amp; co") !=
              std::string::npos);
    }

    TEST_CASE("the status page names the SRV lookup of a route with srv = true") {
        RouteHealth r;
        r.domain = "example.org";
        r.host = "example.org";
        r.port = 5222;
        r.srv_name = "_xmpp-client._tcp.example.org";
        const std::vector<RouteHealth> routes{r};
        const auto page = svc::render_status_page(
            AdminStatus{false, std::chrono::seconds(1), 0, 0, routes}, util::TimePoint{});
        CHECK(page.find("<td>example.org</td><td>SRV _xmpp-client._tcp.example.org, else "
                        "example.org:5222</td>") != std::string::npos);
    }

    TEST_CASE("GET / serves the status page") {
        Fixture f;
        RouteHealth r;
        r.domain = "example.org";
        f.source.routes_.push_back(r);
        const auto resp = f.get("/");
        CHECK(status_line(resp) == "HTTP/1.0 200 OK");
        CHECK(resp.find("Content-Type: text/html; charset=utf-8\r\n") != std::string::npos);
        CHECK(body_of(resp).find("<td>example.org</td>") != std::string::npos);
        CHECK(body_of(resp).find("<td>unknown</td>") != std::string::npos);
        CHECK(body_of(resp).find("<td>1h 2m 5s</td>") != std::string::npos);
    }
}
