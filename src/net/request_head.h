// The request-head checker in front of evhttp (README: Strict HTTP): it sees
// each byte a client sends before evhttp parses it, and decides only what
// libevent 2.1.12's parser cannot be made to decide:
//
//   - a request line over kMaxRequestLine (8 KiB): 414 (evhttp answers 400);
//   - a header block over http.max_header_size: 431 (evhttp answers 400);
//   - a method token evhttp does not know, lower-case ones included: 405
//     with Allow (evhttp answers 501, a server error, and 2.1 has no hook
//     to change it: evhttp_set_ext_method_cmp comes with 2.2);
//   - where one request ends and the next begins, so that the front end can
//     time the head and the body (http.header_timeout) from their first
//     byte: evhttp's read timeout restarts with every byte, so a client
//     trickling a byte at a time would never be cut off.
//
// It does not parse requests: evhttp still does, and refuses what is
// malformed (400). To find the end of a body it reads what evhttp reads:
// the first Content-Length, except after HEAD and TRACE, whose body evhttp
// never reads (evhttp_method_may_have_body): there the next request starts
// right after the head, as it does for evhttp. A
// Content-Length that is not digits alone (a sign, a space, a value too
// long to keep) it refuses itself (400), so that the two never disagree on
// where a body ends. A request with two Content-Lengths or with
// Transfer-Encoding is refused by evhttp or net/http_framing.h and its
// connection closed: after a Transfer-Encoding the checker reads nothing
// more as a head. Sans-I/O: bytes in, a verdict out
// (tests/unit/net/request_head_test.cpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace boshd::net {

inline constexpr std::size_t kMaxRequestLine = 8 * 1024;

struct HeadRefusal {
    int status;
    std::string_view reason; // the status line's reason phrase
    std::string_view why;    // for the log and the body
    // False when no HTTP answer can be sent (a TLS handshake not done): the
    // connection is closed without one.
    bool answerable = true;
};

class RequestHeadScanner {
public:
    enum class Phase {
        Idle, // between requests: nothing of the next one yet
        Head, // request line and header lines
        Body, // the Content-Length bytes after the head
    };

    explicit RequestHeadScanner(std::size_t max_header_size) : max_header_size_(max_header_size) {}

    // Scans |bytes|, the next ones the client sent (any number of requests,
    // or part of one). Returns the first refusal; after one, it scans
    // nothing more.
    std::optional<HeadRefusal> feed(std::string_view bytes);

    Phase phase() const { return phase_; }
    // How many requests have started (their first byte seen): a change with
    // the same phase means a new request or body started.
    std::uint64_t started() const { return started_; }

private:
    std::optional<HeadRefusal> line_byte(char ch);
    std::optional<HeadRefusal> end_of_line();
    std::optional<HeadRefusal> check_method();
    std::optional<HeadRefusal> header_line();

    std::size_t max_header_size_;
    Phase phase_ = Phase::Idle;
    bool refused_ = false;
    bool in_request_line_ = true;
    bool method_checked_ = false;
    bool may_have_body_ = false; // not HEAD or TRACE
    bool line_cut_ = false;      // the current line is longer than line_start_
    bool opaque_body_ = false;   // Transfer-Encoding: its end is evhttp's to find
    std::uint64_t started_ = 0;
    std::size_t method_bytes_ = 0; // before the request line's first space
    std::size_t line_bytes_ = 0;   // of the current line, CR and LF included
    std::size_t header_bytes_ = 0; // of the header block so far
    // Enough of a header line to read "Content-Length: <digits>".
    static constexpr std::size_t kLineStartKept = 64;

    // The first bytes of the current line, in place: a std::string would
    // keep a heap block per connection for as long as it lives.
    std::array<char, kLineStartKept> line_start_{};
    std::size_t line_kept_ = 0;
    std::string_view line_start() const { return {line_start_.data(), line_kept_}; }
    std::optional<std::uint64_t> content_length_;
    std::uint64_t body_left_ = 0;
};

} // namespace boshd::net
