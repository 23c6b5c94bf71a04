#include "util/sha1.h"

#include <array>
#include <cstdlib>
#include <openssl/evp.h>

namespace boshd::util {

std::string sha1_hex(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_sha1(), nullptr) != 1) {
        // Only a broken libcrypto fails a one-shot SHA-1; there is no safe
        // answer to give a keyed session then.
        std::abort();
    }
    constexpr std::string_view digits = "0123456789abcdef";
    std::string out;
    out.reserve(2 * len);
    for (unsigned int i = 0; i < len; ++i) {
        out += digits[md[i] >> 4];
        out += digits[md[i] & 0xf];
    }
    return out;
}

} // namespace boshd::util
