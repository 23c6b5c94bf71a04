// Randomness is injected: production draws from OpenSSL's CSPRNG, tests use a
// seeded source so that expected sids are stable (ARCHITECTURE.md §1).
#pragma once

#include <cstdint>
#include <span>

namespace boshd::util {

class Random {
public:
    virtual ~Random() = default;
    // Fills |out| with random bytes. Never fails: a CSPRNG that cannot be
    // seeded is a fatal condition for a process that hands out session ids.
    virtual void fill(std::span<std::uint8_t> out) = 0;
};

// OpenSSL RAND_bytes. Aborts the process if the CSPRNG fails.
class CryptoRandom final : public Random {
public:
    void fill(std::span<std::uint8_t> out) override;
};

} // namespace boshd::util
