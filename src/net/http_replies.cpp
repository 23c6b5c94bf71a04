// HttpFrontend: writing replies. The status line, the headers every reply
// carries (framing, caching, CORS), and the completion of held requests.
#include "net/clock.h"
#include "net/http_frontend.h"
#include "util/ascii.h"

#include <algorithm>
#include <event2/buffer.h>
#include <event2/http.h>
#include <string>

namespace boshd::net {

namespace {

std::string_view reason_phrase(int status) {
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    default:
        return "Error";
    }
}

} // namespace

void HttpFrontend::respond(bosh::RequestId id, const bosh::Reply& reply) {
    auto it = held_.find(id);
    if (it == held_.end()) {
        return;
    }
    HeldRequest& h = *it->second;
    // The answer to an unusable request goes out as it always has: never
    // compressed, no Vary: Accept-Encoding.
    const bool codable = uncoded_.erase(id) == 0;
    if (h.alive()) {
        std::string packed;
        const auto body =
            codable ? encode_reply(h.request(), reply.body, packed) : std::string_view(reply.body);
        // Content-Length is that of the bytes sent, compressed or not.
        add_common_headers(h.request(), reply.content_type, body.size(),
                           codable && config_.compress_min_size > 0);
        h.complete(reply.status, reason_phrase(reply.status), body);
        sent(reply.status, h.arrived(), id != arriving_);
    }
    held_.erase(it);
}

void HttpFrontend::reply_now(evhttp_request* req, int status, std::string_view reason,
                             std::string_view content_type, std::string_view body) {
    add_common_headers(req, content_type, body.size());
    EvBufferPtr buf(evbuffer_new());
    // HEAD gets the headers a GET would, without the body (RFC 9110 §9.3.2).
    if (evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
        evbuffer_add(buf.get(), body.data(), body.size());
    }
    evhttp_send_reply(req, status, std::string(reason).c_str(), buf.get());
    sent(status, arrival_, false);
}

void HttpFrontend::sent(int status, util::TimePoint arrived, bool held) {
    handler_.on_response_sent(
        status, std::chrono::duration_cast<std::chrono::microseconds>(monotonic_now() - arrived),
        held);
}

void HttpFrontend::add_common_headers(evhttp_request* req, std::string_view content_type,
                                      std::size_t body_size, bool varies_by_coding) const {
    auto* headers = evhttp_request_get_output_headers(req);
    evhttp_add_header(headers, "Content-Type", std::string(content_type).c_str());
    // Headers RFC 2616 does not require are left out (C124-5-03), never the
    // framing. evhttp adds Content-Length only for persistent connections; HTTP/1.0
    // clients and proxies get it too, never a reply delimited by the close
    // (C124-5-06).
    evhttp_add_header(headers, "Content-Length", std::to_string(body_size).c_str());
    evhttp_add_header(headers, "Cache-Control", "no-store"); // P124-02
    evhttp_add_header(headers, "X-Accel-Buffering", "no");   // nginx must not buffer long polls
    // One Vary field naming every request header the reply depends on.
    std::string vary = add_cors_headers(req) ? "Origin" : "";
    if (varies_by_coding) {
        vary += vary.empty() ? "Accept-Encoding" : ", Accept-Encoding";
    }
    if (!vary.empty()) {
        evhttp_add_header(headers, "Vary", vary.c_str());
    }
}

bool HttpFrontend::add_cors_headers(evhttp_request* req) const {
    const char* origin = evhttp_find_header(evhttp_request_get_input_headers(req), "Origin");
    if (!origin || config_.cors_origins.empty()) {
        return false;
    }
    auto* headers = evhttp_request_get_output_headers(req);
    const auto& allowed = config_.cors_origins;
    if (std::find(allowed.begin(), allowed.end(), "*") != allowed.end()) {
        evhttp_add_header(headers, "Access-Control-Allow-Origin", "*");
        return false;
    }
    if (std::find(allowed.begin(), allowed.end(), util::ascii::to_lower(origin)) != allowed.end()) {
        evhttp_add_header(headers, "Access-Control-Allow-Origin", origin);
    }
    return true; // the reply depends on the Origin header, so caches must key on it
}

} // namespace boshd::net
