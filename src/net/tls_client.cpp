#include "net/tls_client.h"

#include <array>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <stdexcept>

namespace boshd::net {

TlsClientContext::TlsClientContext(const bosh::Route& route)
    : ctx_(SSL_CTX_new(TLS_client_method())) {
    if (!ctx_) {
        throw std::runtime_error("cannot create a TLS context");
    }
    SSL_CTX_set_min_proto_version(ctx_.get(), TLS1_2_VERSION);
    const bool loaded =
        route.tls_ca_file.empty()
            ? SSL_CTX_set_default_verify_paths(ctx_.get()) == 1
            : SSL_CTX_load_verify_locations(ctx_.get(), route.tls_ca_file.c_str(), nullptr) == 1;
    if (!loaded && route.tls_verify) {
        throw std::runtime_error("route " + route.domain + ": cannot load CA certificates" +
                                 (route.tls_ca_file.empty() ? "" : " from " + route.tls_ca_file));
    }
}

SslPtr TlsClientContext::new_ssl(const bosh::Route& route) const {
    SslPtr ssl(SSL_new(ctx_.get()));
    if (!ssl) {
        return ssl;
    }
    const std::string name(route.server_name());
    SSL_set_tlsext_host_name(ssl.get(), name.c_str());
    if (route.tls_verify) {
        SSL_set_verify(ssl.get(), SSL_VERIFY_PEER, nullptr);
        SSL_set1_host(ssl.get(), name.c_str());
    } else {
        SSL_set_verify(ssl.get(), SSL_VERIFY_NONE, nullptr);
    }
    return ssl;
}

std::string TlsClientContext::failure_reason(ssl_st* ssl, unsigned long openssl_error) {
    if (ssl) {
        const long verify = SSL_get_verify_result(ssl);
        if (verify != X509_V_OK) {
            return std::string("certificate verification failed: ") +
                   X509_verify_cert_error_string(verify);
        }
    }
    if (openssl_error != 0) {
        std::array<char, 256> buf{};
        ERR_error_string_n(openssl_error, buf.data(), buf.size());
        return std::string("TLS error: ") + buf.data();
    }
    return "TLS handshake failed";
}

} // namespace boshd::net
