#include "svc/admin.h"

#include "net/clock.h"
#include "svc/metrics.h"

#include <chrono>
#include <cstring>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>
#include <unordered_map>

namespace boshd::svc {

namespace {

// The admin listener serves small GETs to a scraper or an operator: short
// reads, no request bodies to speak of.
constexpr int kTimeoutSeconds = 10;
constexpr ev_ssize_t kMaxHeaders = 8 * 1024;
constexpr ev_ssize_t kMaxBody = 1024;
constexpr std::string_view kText = "text/plain; charset=utf-8";
constexpr std::string_view kHtml = "text/html; charset=utf-8";

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char ch : text) {
        switch (ch) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&#39;";
            break;
        default:
            out += ch;
        }
    }
    return out;
}

// "3d 4h 5m 6s", leaving out leading zero units.
std::string human_duration(util::Duration d) {
    auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
    s = s < 0 ? 0 : s;
    const auto days = s / 86400;
    const auto hours = s / 3600 % 24;
    const auto minutes = s / 60 % 60;
    const auto seconds = s % 60;
    std::string out;
    if (days > 0) {
        out += std::to_string(days) + "d ";
    }
    if (days > 0 || hours > 0) {
        out += std::to_string(hours) + "h ";
    }
    if (days > 0 || hours > 0 || minutes > 0) {
        out += std::to_string(minutes) + "m ";
    }
    return out + std::to_string(seconds) + "s";
}

std::string ago(const std::optional<util::TimePoint>& when, util::TimePoint now) {
    if (!when) {
        return "never";
    }
    return human_duration(std::chrono::duration_cast<util::Duration>(now - *when)) + " ago";
}

} // namespace

std::string render_status_page(const AdminStatus& status, util::TimePoint now) {
    std::string out =
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>boshd status</title></head>"
        "<body>\n<h1>boshd</h1>\n<table>\n";
    const auto row = [&out](std::string_view name, const std::string& value) {
        out.append("<tr><th>").append(name).append("</th><td>").append(value) += "</td></tr>\n";
    };
    row("state", status.draining ? "draining" : "serving");
    row("uptime", human_duration(status.uptime));
    row("sessions", std::to_string(status.sessions));
    row("requests held", std::to_string(status.requests_held));
    out += "</table>\n<h2>Routes</h2>\n<table>\n<tr><th>domain</th><th>server</th><th>tls</th>"
           "<th>health</th><th>connects</th><th>last connect</th><th>failures</th>"
           "<th>last failure</th></tr>\n";
    for (const auto& r : status.routes) {
        std::string failure = ago(r.last_failure, now);
        if (r.last_failure && !r.last_failure_reason.empty()) {
            failure += ": " + r.last_failure_reason;
        }
        out += "<tr><td>" + html_escape(r.domain) + "</td><td>" + html_escape(r.server()) +
               "</td><td>" + std::string(bosh::to_string(r.tls)) + "</td><td>" +
               std::string(r.state()) + "</td><td>" + std::to_string(r.connects) + "</td><td>" +
               ago(r.last_connect, now) + "</td><td>" + std::to_string(r.failures) + "</td><td>" +
               html_escape(failure) + "</td></tr>\n";
    }
    out += "</table>\n<p><a href=\"/metrics\">/metrics</a> &middot; "
           "<a href=\"/healthz\">/healthz</a></p>\n</body></html>\n";
    return out;
}

Admin::Admin(event_base* base, int listen_fd, AdminSource& source, const util::Logger& log)
    : source_(source), log_(log), http_(evhttp_new(base)),
      listener_(base, http_.get(), [this](std::string_view reason, long pause_ms) {
          log_.warning("admin.accept_paused", {{"reason", reason}, {"pause_ms", pause_ms}});
      }) {
    if (!http_) {
        ::close(listen_fd);
        throw std::runtime_error("cannot create the admin HTTP server");
    }
    net::allow_every_method(http_.get());
    evhttp_set_timeout(http_.get(), kTimeoutSeconds);
    evhttp_set_max_headers_size(http_.get(), kMaxHeaders);
    evhttp_set_max_body_size(http_.get(), kMaxBody);
    evhttp_set_gencb(http_.get(), &Admin::on_request, this);
    listener_.serve(listen_fd);
}

Admin::~Admin() {
    http_.reset(); // frees the listener (closing the socket) and every connection
}

std::uint16_t Admin::port() const {
    return listener_.port();
}

void Admin::on_request(evhttp_request* req, void* self) noexcept {
    static_cast<Admin*>(self)->handle(req);
}

void Admin::handle(evhttp_request* req) {
    const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
    const char* raw = uri ? evhttp_uri_get_path(uri) : nullptr;
    const std::string_view path = raw ? raw : "";
    const auto method = evhttp_request_get_command(req);
    if (path != "/metrics" && path != "/healthz" && path != "/") {
        return reply(req, 404, "Not Found", kText, "not found\n");
    }
    if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
        return reply(req, 405, "Method Not Allowed", kText, "method not allowed\n");
    }
    if (path == "/metrics") {
        return reply(req, 200, "OK", metrics::kContentType, source_.metrics());
    }
    if (path == "/healthz") {
        if (source_.draining()) {
            return reply(req, 503, "Service Unavailable", kText, "draining\n");
        }
        return reply(req, 200, "OK", kText, "ok\n");
    }
    return reply(req, 200, "OK", kHtml, render_status_page(source_.status(), net::monotonic_now()));
}

void Admin::reply(evhttp_request* req, int status, std::string_view reason,
                  std::string_view content_type, std::string_view body) {
    auto* headers = evhttp_request_get_output_headers(req);
    evhttp_add_header(headers, "Content-Type", std::string(content_type).c_str());
    // As on the BOSH listener: framed for HTTP/1.0 too, never cached.
    evhttp_add_header(headers, "Content-Length", std::to_string(body.size()).c_str());
    evhttp_add_header(headers, "Cache-Control", "no-store");
    net::EvBufferPtr buf(evbuffer_new());
    if (evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
        evbuffer_add(buf.get(), body.data(), body.size());
    }
    if (log_.enabled(util::LogLevel::Debug)) {
        const char* uri = evhttp_request_get_uri(req);
        log_.debug("admin.request", {{"uri", uri ? uri : "-"}, {"status", status}});
    }
    evhttp_send_reply(req, status, std::string(reason).c_str(), buf.get());
}

} // namespace boshd::svc
