// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_DETAIL_CHECKED_HPP
#define LLAMAPLAN_DETAIL_CHECKED_HPP

#include <llamaplan/config.hpp>

#include <cstdint>
#include <limits>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::detail {

/// a * b into out; false on overflow.
[[nodiscard]] constexpr bool mul_overflows(std::uint64_t a, std::uint64_t b, std::uint64_t& out) noexcept {
    if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a) return true;
    out = a * b;
    return false;
}

/// a + b into out; false on overflow.
[[nodiscard]] constexpr bool add_overflows(std::uint64_t a, std::uint64_t b, std::uint64_t& out) noexcept {
    if (b > std::numeric_limits<std::uint64_t>::max() - a) return true;
    out = a + b;
    return false;
}

/// Rounds x up to a multiple of n (n > 0), as GGML_PAD does.
[[nodiscard]] constexpr std::uint64_t pad_to(std::uint64_t x, std::uint64_t n) noexcept {
    return (x + n - 1) / n * n;
}

/// Integer ceil(a / b) for b > 0.
[[nodiscard]] constexpr std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) noexcept { return (a + b - 1) / b; }

}  // namespace llamaplan::detail

#endif  // LLAMAPLAN_DETAIL_CHECKED_HPP
