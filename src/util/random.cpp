#include "util/random.h"

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <openssl/rand.h>

namespace boshd::util {

void CryptoRandom::fill(std::span<std::uint8_t> out) {
    // RAND_bytes takes an int length; our requests are a few dozen bytes.
    if (out.size() > INT_MAX || RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
        std::fputs("boshd: fatal: OpenSSL RAND_bytes failed\n", stderr);
        std::abort();
    }
}

} // namespace boshd::util
