// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_GGML_TYPES_HPP
#define LLAMAPLAN_GGML_TYPES_HPP

#include <llamaplan/config.hpp>

#include <llamaplan/detail/checked.hpp>
#include <llamaplan/result.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG {

/// Every tensor element type of current ggml, with ggml's numeric ids
/// (ggml/include/ggml.h `enum ggml_type`; ids 4, 5, 31-33 and 36-38 are removed and rejected).
enum class ggml_type : std::uint32_t {
    f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9,
    q2_k = 10, q3_k = 11, q4_k = 12, q5_k = 13, q6_k = 14, q8_k = 15,
    iq2_xxs = 16, iq2_xs = 17, iq3_xxs = 18, iq1_s = 19, iq4_nl = 20, iq3_s = 21, iq2_s = 22, iq4_xs = 23,
    i8 = 24, i16 = 25, i32 = 26, i64 = 27, f64 = 28, iq1_m = 29, bf16 = 30,
    tq1_0 = 34, tq2_0 = 35, mxfp4 = 39, nvfp4 = 40, q1_0 = 41, q2_0 = 42,
};

/// One past the largest ggml type id (GGML_TYPE_COUNT).
inline constexpr std::uint32_t ggml_type_count = 43;

/// Storage facts of one ggml type.
struct ggml_type_traits {
    std::string_view name{};      ///< ggml's spelling (ggml_type_name), e.g. "q4_K"
    std::uint32_t block_size = 0;  ///< elements per block; 0 for a removed id
    std::uint32_t type_size = 0;   ///< bytes per block
    bool quantized = false;        ///< a block-quantized type (ggml_is_quantized)
};

namespace detail {
// Block sizes and bytes come from `type_traits[]` in ggml/src/ggml.c and the block structs in
// ggml/src/ggml-common.h (llama.cpp 3f545bec), cross-checked with gguf-py's GGML_QUANT_SIZES.
inline constexpr std::array<ggml_type_traits, ggml_type_count> type_table = {{
    {"f32", 1, 4, false},       {"f16", 1, 2, false},       {"q4_0", 32, 18, true},
    {"q4_1", 32, 20, true},     {},                         {},
    {"q5_0", 32, 22, true},     {"q5_1", 32, 24, true},     {"q8_0", 32, 34, true},
    {"q8_1", 32, 36, true},     {"q2_K", 256, 84, true},    {"q3_K", 256, 110, true},
    {"q4_K", 256, 144, true},   {"q5_K", 256, 176, true},   {"q6_K", 256, 210, true},
    {"q8_K", 256, 292, true},   {"iq2_xxs", 256, 66, true}, {"iq2_xs", 256, 74, true},
    {"iq3_xxs", 256, 98, true}, {"iq1_s", 256, 50, true},   {"iq4_nl", 32, 18, true},
    {"iq3_s", 256, 110, true},  {"iq2_s", 256, 82, true},   {"iq4_xs", 256, 136, true},
    {"i8", 1, 1, false},        {"i16", 1, 2, false},       {"i32", 1, 4, false},
    {"i64", 1, 8, false},       {"f64", 1, 8, false},       {"iq1_m", 256, 56, true},
    {"bf16", 1, 2, false},      {},                         {},
    {},                         {"tq1_0", 256, 54, true},   {"tq2_0", 256, 66, true},
    {},                         {},                         {},
    {"mxfp4", 32, 17, true},    {"nvfp4", 64, 36, true},    {"q1_0", 128, 18, true},
    {"q2_0", 64, 18, true},
}};

[[nodiscard]] constexpr char ascii_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

[[nodiscard]] constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}
}  // namespace detail

/// True if `id` names a ggml type that current llama.cpp accepts in a GGUF file.
[[nodiscard]] constexpr bool is_valid_type_id(std::uint32_t id) noexcept {
    return id < ggml_type_count && detail::type_table[id].block_size != 0;
}

/// Storage facts of a type (all zero for an invalid id).
[[nodiscard]] constexpr ggml_type_traits type_traits(ggml_type t) noexcept {
    const auto id = static_cast<std::uint32_t>(t);
    return id < ggml_type_count ? detail::type_table[id] : ggml_type_traits{};
}

/// ggml's name for a type ("q4_K"), or "" for an invalid id.
[[nodiscard]] constexpr std::string_view type_name(ggml_type t) noexcept { return type_traits(t).name; }

/// Elements per block (1 for plain types).
[[nodiscard]] constexpr std::uint32_t block_size(ggml_type t) noexcept { return type_traits(t).block_size; }

/// Bytes per block.
[[nodiscard]] constexpr std::uint32_t type_size(ggml_type t) noexcept { return type_traits(t).type_size; }

/// Bytes of one row of `ne0` elements (ggml_row_size); `ne0` must be a multiple of the block size.
[[nodiscard]] constexpr std::uint64_t row_size(ggml_type t, std::uint64_t ne0) noexcept {
    const auto tr = type_traits(t);
    return tr.block_size == 0 ? 0 : ne0 / tr.block_size * tr.type_size;
}

/// row_size with every precondition checked: valid type, ne0 a multiple of the block size, no overflow.
[[nodiscard]] constexpr result<std::uint64_t> checked_row_size(ggml_type t, std::uint64_t ne0) noexcept {
    const auto tr = type_traits(t);
    if (tr.block_size == 0) return make_error(errc::unknown_type, "unknown or removed ggml type");
    if (ne0 % tr.block_size != 0) return make_error(errc::invalid_argument, "row length is not a multiple of the block size");
    std::uint64_t bytes = 0;
    if (detail::mul_overflows(ne0 / tr.block_size, tr.type_size, bytes)) return make_error(errc::overflow, "row size overflows");
    return bytes;
}

/// Parses a type name as llama.cpp spells it (`q8_0`, `Q4_K`, `bf16`), ignoring case.
[[nodiscard]] constexpr std::optional<ggml_type> parse_type(std::string_view s) noexcept {
    for (std::uint32_t id = 0; id < ggml_type_count; ++id)
        if (detail::type_table[id].block_size != 0 && detail::iequals(detail::type_table[id].name, s))
            return static_cast<ggml_type>(id);
    return std::nullopt;
}

/// The cache types llama-server accepts for `-ctk` / `-ctv` (common/arg.cpp `kv_cache_types`).
inline constexpr std::array<ggml_type, 9> kv_cache_types = {
    ggml_type::f32, ggml_type::f16, ggml_type::bf16, ggml_type::q8_0, ggml_type::q4_0,
    ggml_type::q4_1, ggml_type::iq4_nl, ggml_type::q5_0, ggml_type::q5_1,
};

/// True if `t` is one of kv_cache_types.
[[nodiscard]] constexpr bool is_kv_cache_type(ggml_type t) noexcept {
    for (auto k : kv_cache_types)
        if (k == t) return true;
    return false;
}

}  // namespace llamaplan

#endif  // LLAMAPLAN_GGML_TYPES_HPP
