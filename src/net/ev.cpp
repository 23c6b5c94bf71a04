#include "net/ev.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/ssl.h>

namespace boshd::net {

void EventBaseDeleter::operator()(event_base* p) const noexcept {
    event_base_free(p);
}
void EventDeleter::operator()(event* p) const noexcept {
    event_free(p);
}
void EvHttpDeleter::operator()(evhttp* p) const noexcept {
    evhttp_free(p);
}
void BufferEventDeleter::operator()(bufferevent* p) const noexcept {
    bufferevent_free(p);
}
void EvBufferDeleter::operator()(evbuffer* p) const noexcept {
    evbuffer_free(p);
}
void SslCtxDeleter::operator()(ssl_ctx_st* p) const noexcept {
    SSL_CTX_free(p);
}
void SslDeleter::operator()(ssl_st* p) const noexcept {
    SSL_free(p);
}

} // namespace boshd::net
