// The request-head checker (net/request_head.h): 414, 431 and 405 decided
// from the bytes, whatever their split; request and body boundaries for
// http.header_timeout, across pipelined requests.
#include "net/request_head.h"

#include <doctest/doctest.h>
#include <string>

using namespace boshd::net;
using Phase = RequestHeadScanner::Phase;

namespace {

// Feeds |bytes| in pieces of |step|; returns the first refusal's status, 0 if none.
int status_of(const std::string& bytes, std::size_t step, std::size_t max_header = 8192) {
    RequestHeadScanner scanner(max_header);
    for (std::size_t i = 0; i < bytes.size(); i += step) {
        if (const auto r = scanner.feed(std::string_view(bytes).substr(i, step))) {
            return r->status;
        }
    }
    return 0;
}

const std::string kPost = "POST /http-bind HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n<a/>x";

} // namespace

TEST_CASE("well-formed requests pass, in any split") {
    for (std::size_t step : {1u, 3u, 7u, 4096u}) {
        CHECK(status_of(kPost, step) == 0);
        CHECK(status_of("GET /http-bind HTTP/1.1\r\nHost: x\r\n\r\n", step) == 0);
        CHECK(status_of("OPTIONS /http-bind HTTP/1.1\n\n", step) == 0);
    }
}

TEST_CASE("a request line over 8 KiB: 414, before its end arrives") {
    const std::string line = "GET /?" + std::string(kMaxRequestLine, 'q');
    for (std::size_t step : {1u, 1000u, 100000u}) {
        CHECK(status_of(line, step) == 414);
    }
    CHECK(status_of("GET /?" + std::string(8000, 'q') + " HTTP/1.1\r\n\r\n", 512) == 0);
}

TEST_CASE("a header block over max_header_size: 431") {
    const std::string head = "GET / HTTP/1.1\r\nX: " + std::string(300, 'a') + "\r\n";
    CHECK(status_of(head + "\r\n", 64, 256) == 431);
    CHECK(status_of(head + "\r\n", 64, 400) == 0);
    // The limit counts the whole block, not one line.
    std::string many = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < 20; ++i) {
        many += "X-" + std::to_string(i) + ": " + std::string(20, 'v') + "\r\n";
    }
    CHECK(status_of(many + "\r\n", 5, 400) == 431);
}

TEST_CASE("a method evhttp does not know: 405, lower case too") {
    for (const char* method :
         {"FOO", "post", "get", "PROPFIND", "po/st", "XXXXXXXXXXXXXXXXXXXXXXXXXX"}) {
        CAPTURE(method);
        CHECK(status_of(std::string(method) + " / HTTP/1.1\r\n\r\n", 1) == 405);
    }
    for (const char* method :
         {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "CONNECT", "PATCH"}) {
        CAPTURE(method);
        CHECK(status_of(std::string(method) + " / HTTP/1.1\r\n\r\n", 2) == 0);
    }
    // No space at all: malformed, evhttp's to refuse (400).
    CHECK(status_of("GARBAGE\r\n\r\n", 1) == 0);
}

TEST_CASE("phases: head, body, idle; pipelined requests start again") {
    RequestHeadScanner s(8192);
    CHECK(s.phase() == Phase::Idle);
    CHECK_FALSE(s.feed("POST / HTTP/1.1\r\nContent-Length: 3\r\n"));
    CHECK(s.phase() == Phase::Head);
    CHECK(s.started() == 1);
    CHECK_FALSE(s.feed("\r\nab"));
    CHECK(s.phase() == Phase::Body);
    CHECK(s.started() == 2); // the body's clock starts
    CHECK_FALSE(s.feed("c"));
    CHECK(s.phase() == Phase::Idle);
    // Two requests in one piece: ends idle; a third one begun: head.
    CHECK_FALSE(s.feed(kPost + kPost + "PO"));
    CHECK(s.phase() == Phase::Head);
    CHECK(s.started() == 2 + 2 + 2 + 1);
    // After a refusal, nothing more is scanned.
    CHECK(s.feed("ST /" + std::string(9000, 'q'))->status == 414);
    CHECK_FALSE(s.feed("more"));
}

TEST_CASE("a Content-Length that is not digits alone: 400, whatever evhttp would read") {
    for (const char* value : {"abc", "", "+5", "-1", "5 5", "0x10", "5;", "99999999999999999999999",
                              "000000000000000000000000000000000000000000000000000000000000005"}) {
        CAPTURE(value);
        CHECK(status_of(std::string("POST / HTTP/1.1\r\nContent-Length: ") + value + "\r\n\r\n",
                        1) == 400);
    }
    // Spaces around the digits are the header's, not the value's.
    CHECK(status_of("POST / HTTP/1.1\r\nContent-Length:\t 5 \r\n\r\nabcde", 1) == 0);
}

TEST_CASE("a body only where evhttp reads one: not after HEAD or TRACE") {
    // A HEAD or TRACE with a Content-Length has no body for evhttp: what
    // follows its head is the next request, and is checked as one.
    for (const char* method : {"HEAD", "TRACE"}) {
        CAPTURE(method);
        RequestHeadScanner s(8192);
        CHECK_FALSE(s.feed(std::string(method) + " / HTTP/1.1\r\nContent-Length: 999999\r\n\r\n"));
        CHECK(s.phase() == Phase::Idle);
        const auto r = s.feed("foo / HTTP/1.1\r\n\r\n");
        REQUIRE(r);
        CHECK(r->status == 405);
    }
    for (const char* method : {"POST", "PUT", "PATCH", "GET", "OPTIONS", "DELETE", "CONNECT"}) {
        CAPTURE(method);
        RequestHeadScanner s(8192);
        CHECK_FALSE(s.feed(std::string(method) + " / HTTP/1.1\r\nContent-Length: 3\r\n\r\n"));
        CHECK(s.phase() == Phase::Body);
        CHECK_FALSE(s.feed("foo"));
        CHECK(s.phase() == Phase::Idle);
    }
}

TEST_CASE("after a Transfer-Encoding, nothing more is read as a head") {
    // net/http_framing.h refuses the request (400) once evhttp has read its
    // chunked body; a chunk line is not a request line.
    RequestHeadScanner s(8192);
    CHECK_FALSE(s.feed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"));
    CHECK(s.phase() == Phase::Body);
    CHECK_FALSE(s.feed("5\r\nhello world\r\n0\r\n\r\n"));
    CHECK(s.phase() == Phase::Body);
}
