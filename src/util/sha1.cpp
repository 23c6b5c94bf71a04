#include "util/sha1.h"

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
    constexpr std::string_view digits = "0123456789abcdef";
    std::string out;
    out.reserve(2 * Sha1Digest().size());
    for (const std::uint8_t byte : sha1(data)) {
        out += digits[byte >> 4];
        out += digits[byte & 0xf];
    }
    return out;
}

} // namespace boshd::util
