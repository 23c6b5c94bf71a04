// TLS towards the XMPP server (C124-19.2-01): one client SSL_CTX per route,
// and per connection an SSL with SNI and, unless the route says
// tls_verify = false, chain and host-name verification.
#pragma once

#include "bosh/route.h"
#include "net/ev.h"

#include <stdexcept>
#include <string>

namespace boshd::net {

// A file the configuration names cannot be used: its path and the reason
// (the OS's, or OpenSSL's). A configuration error (exit 78), at start as
// with --check-config.
class TlsFileError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class TlsClientContext {
public:
    // Throws TlsFileError when the route's tls_ca_file cannot be read or
    // holds no certificate, std::runtime_error when no context can be made.
    explicit TlsClientContext(const bosh::Route& route);

    // A new client SSL for |route| (the route this context was made for).
    SslPtr new_ssl(const bosh::Route& route) const;

    // Why the last handshake on |ssl| failed, for the log.
    static std::string failure_reason(ssl_st* ssl, unsigned long openssl_error);

private:
    SslCtxPtr ctx_;
};

} // namespace boshd::net
