#include "bosh/id_issuer.h"

#include <array>
#include <string_view>

namespace boshd::bosh {

namespace {

constexpr std::size_t kTokenBytes = 16; // 128 bits (C124-7.2-01, C124-16.2-02)

std::string hex(std::span<const std::uint8_t> bytes) {
    constexpr std::string_view digits = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (auto b : bytes) {
        out += digits[b >> 4];
        out += digits[b & 0xf];
    }
    return out;
}

} // namespace

std::string IdIssuer::token() {
    std::array<std::uint8_t, kTokenBytes> bytes{};
    random_.fill(bytes);
    return hex(bytes);
}

} // namespace boshd::bosh
