// HTTPS for the BOSH listener (README: HTTPS): one server SSL_CTX made from
// `http.tls_cert` (PEM, the chain after the leaf) and `http.tls_key`, and per
// accepted connection an SSL on it. TLS 1.2 and 1.3 only, OpenSSL's default
// (secure) cipher lists, no renegotiation, ALPN `http/1.1`.
//
// A reload makes a new context; connections already accepted keep the one
// they were made with (each SSL holds a reference to its SSL_CTX).
#pragma once

#include "net/ev.h"

#include <string>

namespace boshd::net {

class TlsServerContext {
public:
    // Throws TlsFileError (net/tls_client.h) when either file cannot be read,
    // holds no certificate or key, or the key does not match the
    // certificate; std::runtime_error when no context can be made.
    TlsServerContext(const std::string& cert_file, const std::string& key_file);

    // A new server SSL, or null when OpenSSL is out of memory.
    SslPtr new_ssl() const;

private:
    SslCtxPtr ctx_;
};

} // namespace boshd::net
