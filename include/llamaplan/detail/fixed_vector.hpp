// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_DETAIL_FIXED_VECTOR_HPP
#define LLAMAPLAN_DETAIL_FIXED_VECTOR_HPP

#include <llamaplan/config.hpp>

#include <array>
#include <cstddef>
#include <span>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::detail {

/// A vector with capacity N stored inline, usable in constant expressions (T default-constructible).
template <class T, std::size_t N>
class fixed_vector {
public:
    using value_type = T;  ///< element type

    /// Appends; returns false (and changes nothing) when full.
    constexpr bool push_back(const T& v) noexcept {
        if (size_ == N) return false;
        data_[size_++] = v;
        return true;
    }
    constexpr void clear() noexcept { size_ = 0; }
    /// Grows or shrinks to n elements (at most N); new elements are value-initialised.
    constexpr bool resize(std::size_t n) noexcept {
        if (n > N) return false;
        for (std::size_t i = size_; i < n; ++i) data_[i] = T{};
        size_ = n;
        return true;
    }
    [[nodiscard]] constexpr std::size_t size() const noexcept { return size_; }
    [[nodiscard]] static constexpr std::size_t capacity() noexcept { return N; }
    [[nodiscard]] constexpr bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] constexpr bool full() const noexcept { return size_ == N; }
    constexpr T& operator[](std::size_t i) noexcept { return data_[i]; }
    constexpr const T& operator[](std::size_t i) const noexcept { return data_[i]; }
    constexpr T& back() noexcept { return data_[size_ - 1]; }
    constexpr T* begin() noexcept { return data_.data(); }
    constexpr T* end() noexcept { return data_.data() + size_; }
    constexpr const T* begin() const noexcept { return data_.data(); }
    constexpr const T* end() const noexcept { return data_.data() + size_; }
    /// A view of the elements in use.
    [[nodiscard]] constexpr std::span<const T> span() const noexcept { return {data_.data(), size_}; }

private:
    std::array<T, N> data_{};
    std::size_t size_ = 0;
};

}  // namespace llamaplan::detail

#endif  // LLAMAPLAN_DETAIL_FIXED_VECTOR_HPP
