// What boshd refuses of an HTTP/1.1 request's framing before anything of it
// is used: the ways one request can be read as two (request smuggling
// between a proxy and boshd) and header blocks no BOSH client sends.
//
//   - more than one Content-Length, equal or not: 400
//   - any Transfer-Encoding (BOSH clients never send one; with a
//     Content-Length it is the classic smuggling vector): 400
//   - more than kMaxHeaderLines header lines: 431
//
// The reply closes the connection, so that bytes after the refused request
// are never read as another. What is decided before evhttp parses anything
// is net/request_head.h's (414, 431 for the header block's size, 405 for an
// unknown method, the head and body timeouts); what evhttp (libevent 2.1.12)
// still refuses itself, before any callback, so that boshd neither sees nor
// logs it: a Transfer-Encoding with a Content-Length (400, closed), a
// malformed request line or Content-Length (400).
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

struct evhttp_request;

namespace boshd::net {

inline constexpr std::size_t kMaxHeaderLines = 100;

struct FramingRefusal {
    int status;
    std::string_view reason; // the status line's reason phrase
    std::string_view why;    // for the log
};

std::optional<FramingRefusal> refuse_framing(evhttp_request* req);

} // namespace boshd::net
