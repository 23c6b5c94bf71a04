#include "net/http_listener.h"

#include "net/listener.h"

#include <cstring>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <stdexcept>
#include <unistd.h>
#include <unordered_map>

namespace boshd::net {

namespace {

constexpr timeval kAcceptPause{1, 0};

// evhttp installs itself as the user data of its listeners, so their error
// callback receives the evhttp, not us: this maps one to the other. One entry
// per HttpListener, added and removed with it; the loop is single-threaded.
std::unordered_map<evhttp*, HttpListener*>& listeners() {
    static std::unordered_map<evhttp*, HttpListener*> map;
    return map;
}

} // namespace

void allow_every_method(evhttp* http) {
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                         EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
                                         EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
}

HttpListener::HttpListener(event_base* base, evhttp* http, OnPause on_pause)
    : http_(http), resume_(evtimer_new(base, &HttpListener::on_resume, this)),
      on_pause_(std::move(on_pause)) {
    if (!resume_) {
        throw std::runtime_error("cannot create the listener's timer");
    }
    listeners()[http_] = this;
}

HttpListener::~HttpListener() {
    // The evhttp may be gone already: it freed the socket with itself.
    listeners().erase(http_);
}

std::uint16_t HttpListener::serve(int fd) {
    evhttp_bound_socket* bound = evhttp_accept_socket_with_handle(http_, fd);
    if (!bound) {
        ::close(fd);
        throw ListenError("cannot serve the listening socket: libevent refused it");
    }
    stop();
    bound_ = bound;
    evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(bound_),
                                &HttpListener::on_accept_error);
    return local_port(fd);
}

void HttpListener::stop() {
    if (bound_) {
        evhttp_del_accept_socket(http_, bound_);
        bound_ = nullptr;
    }
}

std::uint16_t HttpListener::port() const {
    return bound_ ? local_port(evhttp_bound_socket_get_fd(bound_)) : 0;
}

// accept() failed with a non-retriable error: pause the listener, say so
// once, and try again later.
void HttpListener::on_accept_error(evconnlistener* listener, void* http) noexcept {
    const int err = EVUTIL_SOCKET_ERROR();
    auto it = listeners().find(static_cast<evhttp*>(http));
    if (it == listeners().end()) {
        return;
    }
    evconnlistener_disable(listener);
    it->second->on_pause_(std::strerror(err),
                          kAcceptPause.tv_sec * 1000 + kAcceptPause.tv_usec / 1000);
    evtimer_add(it->second->resume_.get(), &kAcceptPause);
}

void HttpListener::on_resume(int, short, void* self) noexcept {
    auto* l = static_cast<HttpListener*>(self);
    if (l->bound_) {
        evconnlistener_enable(evhttp_bound_socket_get_listener(l->bound_));
    }
}

} // namespace boshd::net
