#include "bosh/id_issuer.h"

#include "util/hex.h"

#include <array>

namespace boshd::bosh {

namespace {

constexpr std::size_t kTokenBytes = 16; // 128 bits (C124-7.2-01, C124-16.2-02)

} // namespace

std::string IdIssuer::token() {
    std::array<std::uint8_t, kTokenBytes> bytes{};
    random_.fill(bytes);
    return util::to_hex(bytes);
}

} // namespace boshd::bosh
