// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_RESULT_HPP
#define LLAMAPLAN_RESULT_HPP

#include <llamaplan/config.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <type_traits>
#include <utility>

#if LLAMAPLAN_HAS_EXCEPTIONS
#include <stdexcept>
#include <string>
#endif

namespace llamaplan::inline LLAMAPLAN_ABI_TAG {

/// What went wrong; errors are values, never exceptions.
enum class errc : std::uint8_t {
    ok = 0,
    invalid_argument,     ///< a parameter is out of its domain
    invalid_combination,  ///< settings llama.cpp itself rejects together
    truncated,            ///< input ends before a declared length
    bad_magic,            ///< not a GGUF file
    unsupported_version,  ///< GGUF version other than 2 or 3
    unknown_type,         ///< unknown ggml type or GGUF value type
    overflow,             ///< a size or count overflows 64 bits or exceeds a sane limit
    misaligned,           ///< an offset is not aligned or not in order
    capacity_exceeded,    ///< more items than a fixed-capacity container holds
    missing_key,          ///< a required GGUF key is absent
    type_mismatch,        ///< a GGUF key holds an unexpected value type
    not_found,            ///< a file, tensor or device does not exist
    io_error,             ///< the operating system reported an error
    unsupported,          ///< valid input this version cannot handle
    does_not_fit,         ///< the request cannot be satisfied in the memory available
};

/// A short name for an error code.
[[nodiscard]] constexpr std::string_view to_string(errc code) noexcept {
    switch (code) {
        case errc::ok: return "ok";
        case errc::invalid_argument: return "invalid argument";
        case errc::invalid_combination: return "invalid combination";
        case errc::truncated: return "truncated";
        case errc::bad_magic: return "bad magic";
        case errc::unsupported_version: return "unsupported version";
        case errc::unknown_type: return "unknown type";
        case errc::overflow: return "overflow";
        case errc::misaligned: return "misaligned";
        case errc::capacity_exceeded: return "capacity exceeded";
        case errc::missing_key: return "missing key";
        case errc::type_mismatch: return "type mismatch";
        case errc::not_found: return "not found";
        case errc::io_error: return "i/o error";
        case errc::unsupported: return "unsupported";
        case errc::does_not_fit: return "does not fit";
    }
    return "unknown error";
}

/// An error value: a code, a static message and where it happened (a byte offset or an index).
struct error {
    errc code = errc::ok;          ///< category
    std::string_view what{};       ///< human-readable message (points to a string literal)
    std::uint64_t where = 0;       ///< byte offset in the input, or item index; see `what`
};

#if LLAMAPLAN_HAS_EXCEPTIONS
/// Thrown by result<T>::value() on an error when exceptions are enabled.
class bad_result_access : public std::runtime_error {
public:
    explicit bad_result_access(const error& e) : std::runtime_error(std::string(e.what)), err(e) {}
    error err;  ///< the error that was accessed as a value
};
#endif

namespace detail {
/// Not constexpr on purpose: reaching it during constant evaluation is a compile error naming the misuse.
[[noreturn]] inline void bad_access([[maybe_unused]] const struct error& e) {
#if LLAMAPLAN_HAS_EXCEPTIONS
    throw bad_result_access(e);
#else
    std::abort();
#endif
}
}  // namespace detail

/// Either a value or an error (names follow std::expected so a later switch is mechanical).
/// T must be default-constructible; both members are stored so the type stays a literal type.
template <class T>
class [[nodiscard]] result {
public:
    using value_type = T;  ///< the success type

    constexpr result() = default;
    constexpr result(const T& v) : value_(v), ok_(true) {}                  // NOLINT(google-explicit-constructor)
    constexpr result(T&& v) : value_(std::move(v)), ok_(true) {}            // NOLINT(google-explicit-constructor)
    constexpr result(const struct error& e) : error_(e), ok_(false) {}             // NOLINT(google-explicit-constructor)

    /// True when a value is held.
    [[nodiscard]] constexpr bool has_value() const noexcept { return ok_; }
    /// True when a value is held.
    constexpr explicit operator bool() const noexcept { return ok_; }

    /// The value; an error here throws bad_result_access (or aborts without exceptions).
    [[nodiscard]] constexpr T& value() & {
        if (!ok_) detail::bad_access(error_);
        return value_;
    }
    /// The value; see above.
    [[nodiscard]] constexpr const T& value() const& {
        if (!ok_) detail::bad_access(error_);
        return value_;
    }
    /// The value, moved out; see above.
    [[nodiscard]] constexpr T&& value() && {
        if (!ok_) detail::bad_access(error_);
        return std::move(value_);
    }
    /// The value, or `fallback` on error.
    [[nodiscard]] constexpr T value_or(T fallback) const& { return ok_ ? value_ : fallback; }
    /// The error (code ok when a value is held).
    [[nodiscard]] constexpr const struct error& error() const noexcept { return error_; }

    constexpr T& operator*() & { return value(); }
    constexpr const T& operator*() const& { return value(); }
    constexpr T* operator->() { return &value(); }
    constexpr const T* operator->() const { return &value(); }

private:
    T value_{};
    struct error error_{};
    bool ok_ = false;
};

/// Builds an error value.
[[nodiscard]] constexpr error make_error(errc code, std::string_view what, std::uint64_t where = 0) noexcept {
    return error{code, what, where};
}

}  // namespace llamaplan

#endif  // LLAMAPLAN_RESULT_HPP
