// SHA-1 as lowercase hex, for XEP-0124 §15 key sequencing. A thin wrapper over
// OpenSSL's EVP digest API (libcrypto, which the core may use: ARCHITECTURE.md
// §1); SHA-1's weakness does not matter here, the spec fixes the hash.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace boshd::util {

using Sha1Digest = std::array<std::uint8_t, 20>;

// SHA-1(|data|).
Sha1Digest sha1(std::string_view data);

// hex(SHA-1(|data|)), 40 lowercase digits.
std::string sha1_hex(std::string_view data);

} // namespace boshd::util
