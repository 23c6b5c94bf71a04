// Deterministic randomness for tests: a simple counter-based generator, so
// expected sids are stable across runs.
#pragma once

#include "util/random.h"

#include <cstdint>

namespace boshd::test {

class SeededRandom final : public util::Random {
public:
    explicit SeededRandom(std::uint64_t seed = 1) : state_(seed) {}

    void fill(std::span<std::uint8_t> out) override {
        for (auto& b : out) {
            // splitmix64 step per byte: cheap and well distributed.
            state_ += 0x9e3779b97f4a7c15ULL;
            std::uint64_t z = state_;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            b = static_cast<std::uint8_t>(z ^ (z >> 31));
        }
    }

private:
    std::uint64_t state_;
};

} // namespace boshd::test
