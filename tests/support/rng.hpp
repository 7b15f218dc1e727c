// A deterministic, seedable generator for generated test inputs (tests, fuzz seeds and benchmarks share it).
#ifndef LLAMAPLAN_TESTS_RNG_HPP
#define LLAMAPLAN_TESTS_RNG_HPP

#include <cstdint>

namespace test_support {

/// xorshift64*: deterministic, seedable.
struct rng {
    std::uint64_t s;
    explicit rng(std::uint64_t seed) : s(seed * 2654435761u + 88172645463325252ull) {}
    std::uint64_t next() {
        s ^= s >> 12; s ^= s << 25; s ^= s >> 27;
        return s * 2685821657736338717ull;
    }
    std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }
    bool chance(unsigned percent) { return below(100) < percent; }
};

}  // namespace test_support

#endif  // LLAMAPLAN_TESTS_RNG_HPP
