#include "util/sha1.h"

#include "util/hex.h"

#include <array>
#include <cstdlib>
#include <openssl/evp.h>

namespace boshd::util {

Sha1Digest sha1(std::string_view data) {
    Sha1Digest md{};
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_sha1(), nullptr) != 1 ||
        len != md.size()) {
        // Only a broken libcrypto fails a one-shot SHA-1; there is no safe
        // answer to give a keyed session then.
        std::abort();
    }
    return md;
}

std::string sha1_hex(std::string_view data) {
    return to_hex(sha1(data));
}

} // namespace boshd::util
