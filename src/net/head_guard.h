// One connection's request-head checker (net/request_head.h) wired to its
// bufferevent: an evbuffer callback on the input buffer sees the bytes as
// they arrive, before evhttp's read callback parses them, and a timer cuts
// off a head or body not complete within http.header_timeout of its first
// byte. On an HTTPS connection the same clock also bounds the TLS handshake,
// from accept (a client that trickles it is closed without an answer: there
// is no channel for one yet), and each TLS record from its first byte, which
// a read callback on the SSL's socket BIO sees: evhttp sees none of a record's
// bytes until it is whole, and its idle timeout restarts with every byte, so a
// client trickling one record would otherwise hold the connection.
//
// A refusal takes evhttp's callbacks off the bufferevent at once (so evhttp
// never parses the refused bytes) and is handed to |on_refused| from the
// loop, outside any callback of the connection, which answers and frees the
// connection.
//
// Owned per connection by the front end and destroyed from the
// connection's close callback, while its bufferevent still exists.
#pragma once

#include "net/ev.h"
#include "net/request_head.h"
#include "util/time.h"

#include <functional>
#include <optional>

struct bio_st;
struct evbuffer;
struct evbuffer_cb_entry;
struct evbuffer_cb_info;
struct evhttp_connection;

namespace boshd::net {

class HeadGuard {
public:
    using OnRefused = std::function<void(evhttp_connection*, const HeadRefusal&)>;

    // Throws std::runtime_error when libevent cannot make the timer.
    HeadGuard(event_base* base, evhttp_connection* evcon, std::size_t max_header_size,
              util::Seconds timeout, OnRefused on_refused);
    ~HeadGuard();

    HeadGuard(const HeadGuard&) = delete;
    HeadGuard& operator=(const HeadGuard&) = delete;

private:
    static void on_input(evbuffer* buf, const evbuffer_cb_info* info, void* self) noexcept;
    static void on_timer(int, short, void* self) noexcept;
    static long on_cipher_read(bio_st* bio, int oper, const char* argp, std::size_t len, int argi,
                               long argl, int ret, std::size_t* processed) noexcept;
    void scanned(RequestHeadScanner::Phase before, std::uint64_t started_before);
    void refuse(const HeadRefusal& refusal);
    std::optional<HeadRefusal> overdue();
    void start_clock();
    bool handshaking() const;
    bool record_pending() const;

    evhttp_connection* evcon_;
    evbuffer* input_;
    evbuffer_cb_entry* entry_ = nullptr;
    bio_st* cipher_in_ = nullptr; // HTTPS: the SSL's socket BIO, owned by the SSL
    RequestHeadScanner scanner_;
    util::Seconds timeout_;
    OnRefused on_refused_;
    EventPtr timer_;
    std::optional<HeadRefusal> refusal_; // decided, to be answered from the timer
};

} // namespace boshd::net
