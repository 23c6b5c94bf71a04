// TLS towards the XMPP server (C124-19.2-01): one client SSL_CTX per route,
// and per connection an SSL with SNI and, unless the route says
// tls_verify = false, chain and host-name verification.
#pragma once

#include "bosh/route.h"
#include "net/ev.h"

#include <string>

namespace boshd::net {

class TlsClientContext {
public:
    // Throws std::runtime_error when the context or the CA file cannot be set up.
    explicit TlsClientContext(const bosh::Route& route);

    // A new client SSL for |route| (the route this context was made for).
    SslPtr new_ssl(const bosh::Route& route) const;

    // Why the last handshake on |ssl| failed, for the log.
    static std::string failure_reason(ssl_st* ssl, unsigned long openssl_error);

private:
    SslCtxPtr ctx_;
};

} // namespace boshd::net
