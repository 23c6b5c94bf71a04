// The listening socket of one evhttp server: the BOSH front end's and the
// admin listener's. It serves a socket that is already listening (bound by
// net/listener.h, passed by systemd, or bound by a reload), replaces it
// with a newer one, and pauses for a second when accept() fails for want of
// descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM): the socket stays
// readable then, so retrying at once would spin the loop and flood the log.
#pragma once

#include "net/ev.h"

#include <cstdint>
#include <functional>
#include <string_view>

struct evhttp;
struct evhttp_bound_socket;
struct evconnlistener;

namespace boshd::net {

// Every method reaches |http|'s request callback, so that the answer to an
// unknown one is a 405 with Allow, written by the server itself.
void allow_every_method(evhttp* http);

class HttpListener {
public:
    // Told when accepting pauses: why, and for how many milliseconds.
    using OnPause = std::function<void(std::string_view reason, long pause_ms)>;

    // |http| must outlive the listener's use, not its destruction: the
    // evhttp frees the socket it serves.
    HttpListener(event_base* base, evhttp* http, OnPause on_pause);
    ~HttpListener();

    HttpListener(const HttpListener&) = delete;
    HttpListener& operator=(const HttpListener&) = delete;

    // Serves |fd|, a listening socket, and takes it over; a socket served
    // before is closed once this one serves. Returns its port. Throws
    // ListenError (net/listener.h) when libevent refuses it; |fd| is closed
    // then.
    std::uint16_t serve(int fd);
    // Stops accepting; connections already accepted go on.
    void stop();
    std::uint16_t port() const;

private:
    static void on_accept_error(evconnlistener* listener, void* http) noexcept;
    static void on_resume(int, short, void* self) noexcept;

    evhttp* http_;
    evhttp_bound_socket* bound_ = nullptr;
    EventPtr resume_;
    OnPause on_pause_;
};

} // namespace boshd::net
