// RAII owners for every libevent and OpenSSL object boshd creates: one
// unique_ptr alias and one one-line deleter each (as Transmission does), so
// no handle can leak on an early return.
#pragma once

#include <memory>

struct event_base;
struct event;
struct evhttp;
struct bufferevent;
struct evbuffer;
struct ssl_ctx_st;
struct ssl_st;

namespace boshd::net {

struct EventBaseDeleter {
    void operator()(event_base* p) const noexcept;
};
struct EventDeleter {
    void operator()(event* p) const noexcept;
};
struct EvHttpDeleter {
    void operator()(evhttp* p) const noexcept;
};
struct BufferEventDeleter {
    void operator()(bufferevent* p) const noexcept;
};
struct EvBufferDeleter {
    void operator()(evbuffer* p) const noexcept;
};
struct SslCtxDeleter {
    void operator()(ssl_ctx_st* p) const noexcept;
};
struct SslDeleter {
    void operator()(ssl_st* p) const noexcept;
};

using EventBasePtr = std::unique_ptr<event_base, EventBaseDeleter>;
using EventPtr = std::unique_ptr<event, EventDeleter>;
using EvHttpPtr = std::unique_ptr<evhttp, EvHttpDeleter>;
using BufferEventPtr = std::unique_ptr<bufferevent, BufferEventDeleter>;
using EvBufferPtr = std::unique_ptr<evbuffer, EvBufferDeleter>;
using SslCtxPtr = std::unique_ptr<ssl_ctx_st, SslCtxDeleter>;
using SslPtr = std::unique_ptr<ssl_st, SslDeleter>;

} // namespace boshd::net
