#include "net/tls_server.h"

#include "net/tls_client.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdexcept>
#include <unistd.h>

namespace boshd::net {

namespace {

// ALPN protocol list in wire format: one length-prefixed name.
constexpr unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

// Picks http/1.1 when the client offers it. A client that offers ALPN but
// not http/1.1 (h2 only) gets the fatal no_application_protocol alert
// RFC 7301 §3.2 asks for; a client that offers no ALPN is served anyway.
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void*) {
    unsigned char* chosen = nullptr;
    if (SSL_select_next_proto(&chosen, outlen, kHttp11, sizeof(kHttp11), in, inlen) !=
        OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

std::string openssl_reason() {
    std::array<char, 256> buf{};
    ERR_error_string_n(ERR_get_error(), buf.data(), buf.size());
    ERR_clear_error();
    return buf.data();
}

// Opens |path| first, so that a missing or unreadable file is reported with
// the OS's reason rather than OpenSSL's.
void check_readable(const std::string& key, const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        throw TlsFileError("http." + key + " " + path + ": " + std::strerror(errno));
    }
    ::close(fd);
}

} // namespace

TlsServerContext::TlsServerContext(const std::string& cert_file, const std::string& key_file)
    : ctx_(SSL_CTX_new(TLS_server_method())) {
    if (!ctx_) {
        throw std::runtime_error("cannot create a TLS context");
    }
    check_readable("tls_cert", cert_file);
    check_readable("tls_key", key_file);
    ERR_clear_error();
    if (SSL_CTX_use_certificate_chain_file(ctx_.get(), cert_file.c_str()) != 1) {
        throw TlsFileError("http.tls_cert " + cert_file +
                           ": no certificate could be read from it (" + openssl_reason() + ")");
    }
    // OpenSSL checks that the key is the certificate's while loading it.
    if (SSL_CTX_use_PrivateKey_file(ctx_.get(), key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx_.get()) != 1) {
        const bool mismatch = ERR_GET_REASON(ERR_peek_error()) == X509_R_KEY_VALUES_MISMATCH;
        throw TlsFileError("http.tls_key " + key_file +
                           (mismatch ? ": does not match http.tls_cert " + cert_file
                                     : std::string(": no private key could be read from it")) +
                           " (" + openssl_reason() + ")");
    }
    // TLS 1.0 and 1.1 are deprecated (RFC 8996).
    SSL_CTX_set_min_proto_version(ctx_.get(), TLS1_2_VERSION);
    // Client-initiated renegotiation costs the server a handshake per request
    // of the client's; nothing needs it with TLS 1.2 and later.
    SSL_CTX_set_options(ctx_.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    // Most BOSH connections sit idle holding a request: give their read and
    // write buffers (about 34 KB each) back while they wait.
    SSL_CTX_set_mode(ctx_.get(), SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_alpn_select_cb(ctx_.get(), &select_alpn, nullptr);
}

SslPtr TlsServerContext::new_ssl() const {
    return SslPtr(SSL_new(ctx_.get()));
}

} // namespace boshd::net
