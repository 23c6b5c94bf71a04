#include "net/tls_client.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <stdexcept>
#include <unistd.h>

namespace boshd::net {

TlsClientContext::TlsClientContext(const bosh::Route& route)
    : ctx_(SSL_CTX_new(TLS_client_method())) {
    if (!ctx_) {
        throw std::runtime_error("cannot create a TLS context");
    }
    SSL_CTX_set_min_proto_version(ctx_.get(), TLS1_2_VERSION);
    if (route.tls_ca_file.empty()) {
        if (SSL_CTX_set_default_verify_paths(ctx_.get()) != 1 && route.tls_verify) {
            throw std::runtime_error("route " + route.domain +
                                     ": cannot load the system's CA certificates");
        }
        return;
    }
    // A file the configuration names must be usable whether or not it is
    // used for verification: open it first, so that the OS says why not.
    const std::string where = "route " + route.domain + ": tls_ca_file " + route.tls_ca_file;
    const int fd = ::open(route.tls_ca_file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        throw TlsFileError(where + ": " + std::strerror(errno));
    }
    ::close(fd);
    ERR_clear_error();
    if (SSL_CTX_load_verify_locations(ctx_.get(), route.tls_ca_file.c_str(), nullptr) != 1) {
        std::array<char, 256> buf{};
        ERR_error_string_n(ERR_get_error(), buf.data(), buf.size());
        throw TlsFileError(where + ": no CA certificate could be read from it (" + buf.data() +
                           ")");
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
