// SPDX-License-Identifier: MIT
// llamaplan GGUF adapter: a pure, bounds-checked GGUF v2/v3 parser over bytes in memory (no I/O, no exceptions).
//
// Layout and checks follow llama.cpp ggml/src/gguf.cpp `gguf_init_from_reader` (commit 3f545bec): magic, version
// (0, 1, byte-swapped and > 3 rejected), i64 tensor and KV counts, KV pairs (non-empty unique keys, value types 0..12,
// strings and arrays at most 2^30 bytes / elements), `general.alignment` (u32, power of two, default 32), tensor
// infos (unique names shorter than GGML_MAX_NAME = 64 bytes, n_dims <= 4, non-negative ne, element count < INT64_MAX,
// valid non-removed ggml type, ne[0] a multiple of the block size) and offsets that are exactly the cumulative
// GGML_PAD(nbytes, alignment) in info order. Values are *viewed*: the parser records where each value's bytes lie and
// decodes them only when asked, so a 150k-token vocabulary costs one bounds-checked pass and no allocation.
#ifndef LLAMAPLAN_GGUF_READER_HPP
#define LLAMAPLAN_GGUF_READER_HPP

#include <llamaplan/config.hpp>

#include <llamaplan/detail/checked.hpp>
#include <llamaplan/ggml_types.hpp>
#include <llamaplan/model.hpp>
#include <llamaplan/result.hpp>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::gguf {

namespace detail {
/// std::bit_cast, or the compiler builtin it is made of where the standard library lacks it (libc++ 13).
template <class To, class From>
[[nodiscard]] constexpr To bit_cast(const From& from) noexcept {
    static_assert(sizeof(To) == sizeof(From) && std::is_trivially_copyable_v<To> && std::is_trivially_copyable_v<From>);
#if defined(__cpp_lib_bit_cast)
    return std::bit_cast<To>(from);
#else
    return __builtin_bit_cast(To, from);
#endif
}
}  // namespace detail

/// GGUF value types with their on-disk ids (ggml/include/gguf.h `enum gguf_type`).
enum class value_type : std::uint32_t {
    u8 = 0, i8 = 1, u16 = 2, i16 = 3, u32 = 4, i32 = 5, f32 = 6, boolean = 7, string = 8, array = 9,
    u64 = 10, i64 = 11, f64 = 12,
};

/// One past the largest value type id (GGUF_TYPE_COUNT).
inline constexpr std::uint32_t value_type_count = 13;

/// Largest string length gguf.cpp accepts (GGUF_MAX_STRING_LENGTH, bytes).
inline constexpr std::uint64_t max_string_length = 1024ull * 1024 * 1024;
/// Largest array length gguf.cpp accepts (GGUF_MAX_ARRAY_ELEMENTS, elements).
inline constexpr std::uint64_t max_array_elements = 1024ull * 1024 * 1024;
/// Tensor names must be shorter than this (GGML_MAX_NAME in ggml/include/ggml.h, bytes).
inline constexpr std::uint64_t max_tensor_name = 64;
/// Default data alignment when `general.alignment` is absent (GGUF_DEFAULT_ALIGNMENT, bytes).
inline constexpr std::uint32_t default_alignment = 32;
/// Deepest array-in-array nesting the parser accepts (gguf.cpp rejects any nesting; the GGUF spec allows it).
inline constexpr std::uint32_t max_array_depth = 4;

/// The name GGUF tools use for a value type ("u32", "string", ...).
[[nodiscard]] constexpr std::string_view to_string(value_type t) noexcept {
    switch (t) {
        case value_type::u8: return "u8";
        case value_type::i8: return "i8";
        case value_type::u16: return "u16";
        case value_type::i16: return "i16";
        case value_type::u32: return "u32";
        case value_type::i32: return "i32";
        case value_type::f32: return "f32";
        case value_type::boolean: return "bool";
        case value_type::string: return "string";
        case value_type::array: return "array";
        case value_type::u64: return "u64";
        case value_type::i64: return "i64";
        case value_type::f64: return "f64";
    }
    return "unknown";
}

/// Size of a fixed-size value type (bytes); 0 for string and array.
[[nodiscard]] constexpr std::uint64_t scalar_size(value_type t) noexcept {
    switch (t) {
        case value_type::u8: case value_type::i8: case value_type::boolean: return 1;
        case value_type::u16: case value_type::i16: return 2;
        case value_type::u32: case value_type::i32: case value_type::f32: return 4;
        case value_type::u64: case value_type::i64: case value_type::f64: return 8;
        case value_type::string: case value_type::array: return 0;
    }
    return 0;
}

/// True for the integer value types (bool excluded).
[[nodiscard]] constexpr bool is_integer(value_type t) noexcept {
    switch (t) {
        case value_type::u8: case value_type::i8: case value_type::u16: case value_type::i16:
        case value_type::u32: case value_type::i32: case value_type::u64: case value_type::i64: return true;
        default: return false;
    }
}

/// True for the signed integer value types.
[[nodiscard]] constexpr bool is_signed(value_type t) noexcept {
    return t == value_type::i8 || t == value_type::i16 || t == value_type::i32 || t == value_type::i64;
}

/// One key/value pair, viewed in the input: nothing is decoded until an accessor asks.
struct kv_entry {
    std::string_view key{};                  ///< the key (a view into the input)
    value_type type = value_type::u8;        ///< the value's type (value_type::array for arrays)
    value_type elem_type = value_type::u8;   ///< element type for arrays; equals `type` for scalars
    std::uint64_t count = 1;                 ///< elements (1 for a scalar)
    std::uint64_t entry_offset = 0;          ///< where the pair starts (bytes from the start of the input)
    std::uint64_t value_offset = 0;          ///< where the value's payload starts (after the array header; bytes)
    std::uint64_t value_size = 0;            ///< payload length (bytes)

    /// True for an array value.
    [[nodiscard]] constexpr bool is_array() const noexcept { return type == value_type::array; }
};

/// An array value viewed in the input.
struct array_view {
    value_type elem_type = value_type::u8;   ///< element type
    std::uint64_t count = 0;                 ///< elements
    std::span<const std::byte> payload{};    ///< the elements' bytes (strings keep their u64 length prefixes)
    std::uint64_t offset = 0;                ///< where the payload starts (bytes from the start of the input)
};

/// Where the data section lies and how much of it the input holds.
struct data_section {
    std::uint64_t offset = 0;           ///< start of the data section: GGML_PAD(end of tensor infos, alignment) (bytes)
    std::uint64_t needed = 0;           ///< bytes the tensors need: last offset + last nbytes (bytes)
    std::uint64_t needed_padded = 0;    ///< gguf.cpp's ctx->size: sum of GGML_PAD(nbytes, alignment) (bytes)
    std::uint64_t expected_end = 0;     ///< offset + needed: the file size the tensors require (bytes)
    std::uint64_t available = 0;        ///< bytes of input (the file size for a whole file)
    bool present = false;               ///< true if available >= expected_end (false for a header-only copy)
    /// Bytes of tensor data missing from the input (0 when present).
    [[nodiscard]] constexpr std::uint64_t missing() const noexcept {
        return available >= expected_end ? 0 : expected_end - available;
    }
};

/// Parser switches.
struct parse_options {
    bool allow_nested_arrays = true;  ///< accept array-of-array values (gguf.cpp rejects them; the GGUF spec allows)
    /// Largest header a header_parser asks a source for (bytes); bytes already in memory are parsed whatever their size.
    std::uint64_t max_header_bytes = 256ull << 20;
};

/// How far an incremental parse (header_parser) has come.
enum class parse_status : std::uint8_t {
    need_more,  ///< the bytes fed end inside the header: fetch header_parser::need() and feed again
    complete,   ///< every KV pair and tensor info is parsed: header_parser::take() gives the reader
    failed,     ///< the bytes are not a valid GGUF header, or break a limit: see header_parser::failure()
};

/// A range of bytes of a source.
struct byte_range {
    std::uint64_t offset = 0;  ///< first byte (bytes from the start of the source)
    std::uint64_t size = 0;    ///< length (bytes)
    /// One past the last byte (bytes from the start of the source).
    [[nodiscard]] constexpr std::uint64_t end() const noexcept { return offset + size; }
};

/// The source size to give a header_parser when the length is not known (a pipe, a socket; bytes).
inline constexpr std::uint64_t unknown_size = ~std::uint64_t{0};

namespace detail {

/// Little-endian unsigned load of n <= 8 bytes (the caller has checked the bounds).
[[nodiscard]] inline std::uint64_t load_le(const std::byte* p, std::size_t n) noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t(std::to_integer<std::uint8_t>(p[i])) << (8 * i);
    return v;
}

/// Little-endian u64 load (the caller has checked the bounds); one machine load on little-endian hosts.
[[nodiscard]] inline std::uint64_t load_le64(const std::byte* p) noexcept {
    if constexpr (std::endian::native == std::endian::little) {
        std::uint64_t v;
        std::memcpy(&v, p, 8);
        return v;
    } else {
        return load_le(p, 8);
    }
}

/// Bounds-checked reading position over the input (a prefix of the source).
struct cursor {
    std::span<const std::byte> in{};
    std::uint64_t pos = 0;
    std::uint64_t limit = 0;  ///< size of the whole source when larger than `in` (bytes; counts are checked against it)
    std::uint64_t want = 0;   ///< set by a failed has(): the input length the read needed (bytes)

    [[nodiscard]] std::uint64_t left() const noexcept { return in.size() - pos; }
    /// Bytes left in the whole source (the input when it is the whole source).
    [[nodiscard]] std::uint64_t source_left() const noexcept { return (limit > in.size() ? limit : in.size()) - pos; }
    [[nodiscard]] bool has(std::uint64_t n) noexcept {
        if (n <= left()) return true;
        want = n > ~std::uint64_t{0} - pos ? ~std::uint64_t{0} : pos + n;
        return false;
    }
    [[nodiscard]] bool u32(std::uint32_t& v) noexcept {
        if (!has(4)) return false;
        v = static_cast<std::uint32_t>(load_le(in.data() + pos, 4));
        pos += 4;
        return true;
    }
    [[nodiscard]] bool u64(std::uint64_t& v) noexcept {
        if (!has(8)) return false;
        v = load_le(in.data() + pos, 8);
        pos += 8;
        return true;
    }
};

/// Fewest bytes one element of type t can occupy (strings: their length prefix; arrays: type + count).
[[nodiscard]] constexpr std::uint64_t min_element_size(value_type t) noexcept {
    if (t == value_type::string) return 8;
    if (t == value_type::array) return 12;
    return scalar_size(t);
}

[[nodiscard]] constexpr bool ok(const error& e) noexcept { return e.code == errc::ok; }

/// Reads a u64-length-prefixed string view (GGUF `gguf_string_t`).
[[nodiscard]] inline error read_string(cursor& c, std::string_view& out) noexcept {
    const std::uint64_t at = c.pos;
    std::uint64_t len = 0;
    if (!c.u64(len)) return make_error(errc::truncated, "input ends inside a string length", at);
    if (len > max_string_length) return make_error(errc::overflow, "string longer than 2^30 bytes", at);
    if (!c.has(len)) return make_error(errc::truncated, "string runs past the end of the input", at);
    out = std::string_view(reinterpret_cast<const char*>(c.in.data() + c.pos), static_cast<std::size_t>(len));
    c.pos += len;
    return {};
}

/// Reads a u32 value type id, rejecting unknown ids.
[[nodiscard]] inline error read_type(cursor& c, value_type& t) noexcept {
    const std::uint64_t at = c.pos;
    std::uint32_t id = 0;
    if (!c.u32(id)) return make_error(errc::truncated, "input ends inside a value type", at);
    if (id >= value_type_count) return make_error(errc::unknown_type, "unknown GGUF value type", at);
    t = static_cast<value_type>(id);
    return {};
}

/// Skips the elements of an array whose header has been read; `depth` counts enclosing arrays.
[[nodiscard]] inline error skip_elements(cursor& c, value_type elem, std::uint64_t n, std::uint32_t depth,
                                         bool allow_nested) noexcept;

/// Reads an array header (element type, count) and checks the count against the bytes left before anything else.
[[nodiscard]] inline error read_array_header(cursor& c, value_type& elem, std::uint64_t& n, std::uint32_t depth,
                                             bool allow_nested) noexcept {
    if (auto e = read_type(c, elem); !ok(e)) return e;
    if (elem == value_type::array) {
        if (!allow_nested) return make_error(errc::unsupported, "nested arrays are not accepted", c.pos - 4);
        if (depth + 1 >= max_array_depth) return make_error(errc::overflow, "arrays nested too deeply", c.pos - 4);
    }
    const std::uint64_t at = c.pos;
    if (!c.u64(n)) return make_error(errc::truncated, "input ends inside an array length", at);
    if (n > max_array_elements) return make_error(errc::overflow, "array has more than 2^30 elements", at);
    // n <= 2^30 and element sizes <= 12 bytes: the product cannot overflow; checked against the whole source, so a
    // prefix can be parsed element by element
    if (n * min_element_size(elem) > c.source_left()) return make_error(errc::truncated, "array runs past the end of the input", at);
    return {};
}

/// Skips strings `done`..`n` of a string array starting at c.pos. On running out of input, c.pos and `done` name the
/// string that did not fit (so a longer prefix can resume there) and c.want the input length it needs.
[[nodiscard]] inline error skip_strings(cursor& c, std::uint64_t n, std::uint64_t& done) noexcept {
    // the hot loop for vocabularies: one length load, one bounds check and one add per string
    const std::byte* base = c.in.data();
    const std::uint64_t size = c.in.size();
    std::uint64_t pos = c.pos;
    for (std::uint64_t i = done; i < n; ++i) {
        if (size - pos < 8) [[unlikely]] {
            c.pos = pos;
            done = i;
            c.want = pos + 8;
            return make_error(errc::truncated, "input ends inside a string length", pos);
        }
        const std::uint64_t len = load_le64(base + pos);
        // one compare covers both limits: a length over max_string_length or over the bytes left
        if (len > std::min<std::uint64_t>(max_string_length, size - pos - 8)) [[unlikely]] {
            c.pos = pos;
            done = i;
            if (len > max_string_length) return make_error(errc::overflow, "string longer than 2^30 bytes", pos);
            c.want = pos + 8 + len;
            return make_error(errc::truncated, "string runs past the end of the input", pos);
        }
        pos += 8 + len;
    }
    c.pos = pos;
    done = n;
    return {};
}

inline error skip_elements(cursor& c, value_type elem, std::uint64_t n, std::uint32_t depth, bool allow_nested) noexcept {
    if (elem == value_type::string) {
        std::uint64_t done = 0;
        return skip_strings(c, n, done);
    }
    if (elem == value_type::array) {
        for (std::uint64_t i = 0; i < n; ++i) {
            value_type inner{};
            std::uint64_t m = 0;
            if (auto e = read_array_header(c, inner, m, depth + 1, allow_nested); !ok(e)) return e;
            if (auto e = skip_elements(c, inner, m, depth + 1, allow_nested); !ok(e)) return e;
        }
        return {};
    }
    const std::uint64_t bytes = n * scalar_size(elem);  // checked by read_array_header
    if (!c.has(bytes)) return make_error(errc::truncated, "array runs past the end of the input", c.pos);
    c.pos += bytes;
    return {};
}

/// Formats a float without locale or iostreams.
inline std::string format_double(double v) {
    char buf[64];
    const int n = std::snprintf(buf, sizeof buf, "%g", v);
    return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
}

}  // namespace detail

/// The name of split `i` (0-based) of `n`: "<prefix>-%05d-of-%05d.gguf" with 1-based numbers (llama.cpp
/// src/llama.cpp llama_split_path).
[[nodiscard]] inline std::string split_path(std::string_view prefix, std::uint32_t i, std::uint32_t n) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "-%05u-of-%05u.gguf", static_cast<unsigned>(i + 1), static_cast<unsigned>(n));
    return std::string(prefix) + buf;
}

/// A parsed GGUF header. Holds views into the input, which must outlive it; copying is cheap-ish (two vectors).
class reader {
public:
    /// Parses `bytes` (a whole file, or any prefix that still holds every KV pair and tensor info).
    /// A missing or short data section is not an error: see data().present.
    [[nodiscard]] static result<reader> parse(std::span<const std::byte> bytes, parse_options opts = {});
    /// Parses bytes given as unsigned char.
    [[nodiscard]] static result<reader> parse(std::span<const unsigned char> bytes, parse_options opts = {}) {
        return parse(std::as_bytes(bytes), opts);
    }

    /// GGUF version (2 or 3).
    [[nodiscard]] std::uint32_t version() const noexcept { return version_; }
    /// Data alignment (bytes; `general.alignment` or 32).
    [[nodiscard]] std::uint32_t alignment() const noexcept { return alignment_; }
    /// Where the data section lies and whether the input holds it.
    [[nodiscard]] const data_section& data() const noexcept { return data_; }
    /// True if the input holds every tensor's data (false for a header-only or cut-short copy).
    [[nodiscard]] bool data_present() const noexcept { return data_.present; }
    /// The input this reader views.
    [[nodiscard]] std::span<const std::byte> bytes() const noexcept { return in_; }

    /// Every KV pair, in file order.
    [[nodiscard]] std::span<const kv_entry> kvs() const noexcept { return kvs_; }
    /// Every tensor, in file order; `offset` is relative to the data section, names view the input.
    [[nodiscard]] std::span<const tensor_info> tensors() const noexcept { return tensors_; }

    /// The pair called `key`, or nullptr (binary search over a sorted index).
    [[nodiscard]] const kv_entry* find(std::string_view key) const noexcept {
        auto it = std::lower_bound(sorted_.begin(), sorted_.end(), key,
                                   [this](std::uint32_t i, std::string_view k) { return kvs_[i].key < k; });
        if (it == sorted_.end() || kvs_[*it].key != key) return nullptr;
        return &kvs_[*it];
    }
    /// True if `key` is present.
    [[nodiscard]] bool has(std::string_view key) const noexcept { return find(key) != nullptr; }

    /// The tensor called `name`, or nullptr.
    [[nodiscard]] const tensor_info* find_tensor(std::string_view name) const noexcept {
        for (const auto& t : tensors_)
            if (t.name == name) return &t;
        return nullptr;
    }

    // ---- scalar accessors (errors: missing_key, type_mismatch, overflow) ----

    /// Any integer scalar (u8..i64) as u64; negative values are a type_mismatch.
    [[nodiscard]] result<std::uint64_t> get_uint(std::string_view key) const noexcept {
        const kv_entry* kv = find(key);
        if (kv == nullptr) return make_error(errc::missing_key, "key not found");
        return uint_of(*kv);
    }
    /// Any integer scalar that fits 32 bits unsigned.
    [[nodiscard]] result<std::uint32_t> get_u32(std::string_view key) const noexcept {
        auto v = get_uint(key);
        if (!v) return v.error();
        if (*v > std::numeric_limits<std::uint32_t>::max()) return make_error(errc::overflow, "value exceeds 32 bits", find(key)->value_offset);
        return static_cast<std::uint32_t>(*v);
    }
    /// Any integer scalar as i64 (u64 values above INT64_MAX are an overflow).
    [[nodiscard]] result<std::int64_t> get_i64(std::string_view key) const noexcept {
        const kv_entry* kv = find(key);
        if (kv == nullptr) return make_error(errc::missing_key, "key not found");
        if (kv->is_array() || !is_integer(kv->type)) return make_error(errc::type_mismatch, "value is not an integer", kv->value_offset);
        const std::uint64_t raw = detail::load_le(in_.data() + kv->value_offset, scalar_size(kv->type));
        if (is_signed(kv->type)) return sign_extend(raw, scalar_size(kv->type));
        if (raw > std::uint64_t(std::numeric_limits<std::int64_t>::max())) return make_error(errc::overflow, "value exceeds int64", kv->value_offset);
        return static_cast<std::int64_t>(raw);
    }
    /// A float scalar (f32 or f64; integers are converted too).
    [[nodiscard]] result<double> get_f64(std::string_view key) const noexcept {
        const kv_entry* kv = find(key);
        if (kv == nullptr) return make_error(errc::missing_key, "key not found");
        if (kv->is_array()) return make_error(errc::type_mismatch, "value is an array", kv->value_offset);
        const std::byte* p = in_.data() + kv->value_offset;
        if (kv->type == value_type::f32) return double(detail::bit_cast<float>(static_cast<std::uint32_t>(detail::load_le(p, 4))));
        if (kv->type == value_type::f64) return detail::bit_cast<double>(detail::load_le(p, 8));
        if (is_integer(kv->type)) {
            const std::uint64_t raw = detail::load_le(p, scalar_size(kv->type));
            return is_signed(kv->type) ? double(sign_extend(raw, scalar_size(kv->type))) : double(raw);
        }
        return make_error(errc::type_mismatch, "value is not a number", kv->value_offset);
    }
    /// A float scalar as f32.
    [[nodiscard]] result<float> get_f32(std::string_view key) const noexcept {
        auto v = get_f64(key);
        if (!v) return v.error();
        return static_cast<float>(*v);
    }
    /// A bool scalar (any non-zero byte is true, as gguf.cpp reads it).
    [[nodiscard]] result<bool> get_bool(std::string_view key) const noexcept {
        const kv_entry* kv = find(key);
        if (kv == nullptr) return make_error(errc::missing_key, "key not found");
        if (kv->type != value_type::boolean) return make_error(errc::type_mismatch, "value is not a bool", kv->value_offset);
        return std::to_integer<std::uint8_t>(in_[kv->value_offset]) != 0;
    }
    /// A string scalar, viewed in the input.
    [[nodiscard]] result<std::string_view> get_string(std::string_view key) const noexcept {
        const kv_entry* kv = find(key);
        if (kv == nullptr) return make_error(errc::missing_key, "key not found");
        if (kv->type != value_type::string) return make_error(errc::type_mismatch, "value is not a string", kv->value_offset);
        return std::string_view(reinterpret_cast<const char*>(in_.data() + kv->value_offset + 8),
                                static_cast<std::size_t>(kv->value_size - 8));
    }

    // ---- array accessors ----

    /// An array value viewed in the input.
    [[nodiscard]] result<array_view> get_array(std::string_view key) const noexcept {
        const kv_entry* kv = find(key);
        if (kv == nullptr) return make_error(errc::missing_key, "key not found");
        if (!kv->is_array()) return make_error(errc::type_mismatch, "value is not an array", kv->value_offset);
        return array_view{kv->elem_type, kv->count, in_.subspan(kv->value_offset, kv->value_size), kv->value_offset};
    }
    /// Elements of an array (counting only; strings are not walked).
    [[nodiscard]] result<std::uint64_t> array_count(std::string_view key) const noexcept {
        auto a = get_array(key);
        if (!a) return a.error();
        return a->count;
    }
    /// An integer or bool array as u32 values into `out` (replaced); negative or > 32-bit values are errors.
    [[nodiscard]] error get_array_u32(std::string_view key, std::vector<std::uint32_t>& out) const {
        auto a = get_array(key);
        if (!a) return a.error();
        const value_type t = a->elem_type;
        if (!is_integer(t) && t != value_type::boolean) return make_error(errc::type_mismatch, "array is not of integers", a->offset);
        const std::uint64_t sz = scalar_size(t);
        out.assign(static_cast<std::size_t>(a->count), 0);
        for (std::uint64_t i = 0; i < a->count; ++i) {
            const std::uint64_t raw = detail::load_le(a->payload.data() + i * sz, sz);
            if (t == value_type::boolean) { out[i] = raw != 0 ? 1u : 0u; continue; }
            if (is_signed(t) && sign_extend(raw, sz) < 0) return make_error(errc::type_mismatch, "negative value in array", a->offset + i * sz);
            if (raw > std::numeric_limits<std::uint32_t>::max()) return make_error(errc::overflow, "array value exceeds 32 bits", a->offset + i * sz);
            out[i] = static_cast<std::uint32_t>(raw);
        }
        return {};
    }
    /// An integer array as i64 values into `out` (replaced).
    [[nodiscard]] error get_array_i64(std::string_view key, std::vector<std::int64_t>& out) const {
        auto a = get_array(key);
        if (!a) return a.error();
        const value_type t = a->elem_type;
        if (!is_integer(t)) return make_error(errc::type_mismatch, "array is not of integers", a->offset);
        const std::uint64_t sz = scalar_size(t);
        out.assign(static_cast<std::size_t>(a->count), 0);
        for (std::uint64_t i = 0; i < a->count; ++i) {
            const std::uint64_t raw = detail::load_le(a->payload.data() + i * sz, sz);
            out[i] = is_signed(t) ? sign_extend(raw, sz) : static_cast<std::int64_t>(raw);
        }
        return {};
    }
    /// A bool (or integer: non-zero is true) array as 0/1 bytes into `out` (replaced).
    [[nodiscard]] error get_bool_array(std::string_view key, std::vector<std::uint8_t>& out) const {
        auto a = get_array(key);
        if (!a) return a.error();
        const value_type t = a->elem_type;
        if (!is_integer(t) && t != value_type::boolean) return make_error(errc::type_mismatch, "array is not of bools", a->offset);
        const std::uint64_t sz = scalar_size(t);
        out.assign(static_cast<std::size_t>(a->count), 0);
        for (std::uint64_t i = 0; i < a->count; ++i) out[i] = detail::load_le(a->payload.data() + i * sz, sz) != 0 ? 1 : 0;
        return {};
    }
    /// A float (f32 / f64) array as f64 values into `out` (replaced).
    [[nodiscard]] error get_array_f64(std::string_view key, std::vector<double>& out) const {
        auto a = get_array(key);
        if (!a) return a.error();
        if (a->elem_type != value_type::f32 && a->elem_type != value_type::f64) return make_error(errc::type_mismatch, "array is not of floats", a->offset);
        const std::uint64_t sz = scalar_size(a->elem_type);
        out.assign(static_cast<std::size_t>(a->count), 0.0);
        for (std::uint64_t i = 0; i < a->count; ++i) {
            const std::uint64_t raw = detail::load_le(a->payload.data() + i * sz, sz);
            out[i] = sz == 4 ? double(detail::bit_cast<float>(static_cast<std::uint32_t>(raw))) : detail::bit_cast<double>(raw);
        }
        return {};
    }
    /// A string array as views into `out` (replaced). Allocates one view per element: prefer visit_strings.
    [[nodiscard]] error get_array_strings(std::string_view key, std::vector<std::string_view>& out) const {
        auto a = get_array(key);
        if (!a) return a.error();
        if (a->elem_type != value_type::string) return make_error(errc::type_mismatch, "array is not of strings", a->offset);
        out.clear();
        out.reserve(static_cast<std::size_t>(a->count));
        visit_strings(*a, [&](std::uint64_t, std::string_view s) { out.push_back(s); return true; });
        return {};
    }
    /// Calls f(index, string_view) for each string of a string array until f returns false (no allocation).
    template <class F>
    static void visit_strings(const array_view& a, F&& f) {
        if (a.elem_type != value_type::string) return;
        std::uint64_t pos = 0;
        for (std::uint64_t i = 0; i < a.count; ++i) {  // bounds were checked while parsing
            const std::uint64_t len = detail::load_le(a.payload.data() + pos, 8);
            const std::string_view s(reinterpret_cast<const char*>(a.payload.data() + pos + 8), static_cast<std::size_t>(len));
            pos += 8 + len;
            if (!f(i, s)) return;
        }
    }

    /// A short human-readable rendering of a value for `inspect` (arrays show at most `max_elements`).
    [[nodiscard]] std::string format_value(const kv_entry& kv, std::size_t max_elements = 8) const {
        if (!kv.is_array()) return format_scalar(kv.type, kv.value_offset);
        std::string s = "[" + std::to_string(kv.count) + " x " + std::string(to_string(kv.elem_type)) + "]";
        if (kv.elem_type == value_type::array || kv.count == 0) return s;
        s += " ";
        std::uint64_t pos = kv.value_offset;
        const std::uint64_t shown = std::min<std::uint64_t>(kv.count, max_elements);
        for (std::uint64_t i = 0; i < shown; ++i) {
            if (i) s += ", ";
            s += format_scalar(kv.elem_type, pos);
            pos += kv.elem_type == value_type::string ? 8 + detail::load_le(in_.data() + pos, 8) : scalar_size(kv.elem_type);
        }
        if (shown < kv.count) s += ", ...";
        return s;
    }

private:
    friend class header_parser;

    [[nodiscard]] static std::int64_t sign_extend(std::uint64_t raw, std::uint64_t size) noexcept {
        const unsigned shift = static_cast<unsigned>(64 - 8 * size);
        return static_cast<std::int64_t>(raw << shift) >> shift;
    }

    [[nodiscard]] result<std::uint64_t> uint_of(const kv_entry& kv) const noexcept {
        if (kv.is_array() || !is_integer(kv.type)) return make_error(errc::type_mismatch, "value is not an integer", kv.value_offset);
        const std::uint64_t raw = detail::load_le(in_.data() + kv.value_offset, scalar_size(kv.type));
        if (is_signed(kv.type) && sign_extend(raw, scalar_size(kv.type)) < 0)
            return make_error(errc::type_mismatch, "negative value where a count is expected", kv.value_offset);
        return raw;
    }

    [[nodiscard]] std::string format_scalar(value_type t, std::uint64_t at) const {
        const std::byte* p = in_.data() + at;
        switch (t) {
            case value_type::string: {
                const std::uint64_t len = detail::load_le(p, 8);
                std::string s = "\"";
                const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(len, 120));
                s.append(reinterpret_cast<const char*>(p + 8), n);
                if (n < len) s += "...";
                return s + "\"";
            }
            case value_type::boolean: return std::to_integer<std::uint8_t>(*p) != 0 ? "true" : "false";
            case value_type::f32: return detail::format_double(detail::bit_cast<float>(static_cast<std::uint32_t>(detail::load_le(p, 4))));
            case value_type::f64: return detail::format_double(detail::bit_cast<double>(detail::load_le(p, 8)));
            case value_type::array: return "[...]";
            default: {
                const std::uint64_t raw = detail::load_le(p, scalar_size(t));
                return is_signed(t) ? std::to_string(sign_extend(raw, scalar_size(t))) : std::to_string(raw);
            }
        }
    }

    std::span<const std::byte> in_{};
    std::uint32_t version_ = 0;
    std::uint32_t alignment_ = default_alignment;
    std::vector<kv_entry> kvs_{};
    std::vector<std::uint32_t> sorted_{};
    std::vector<tensor_info> tensors_{};
    data_section data_{};
};

/// An incremental GGUF header parser for hosts that do their own I/O (HTTP range requests, object storage, a socket):
/// feed it a prefix of the source; it parses as far as the prefix allows and either completes or says exactly which
/// bytes it needs next (need()), which are always part of the header (the KV pairs and tensor infos), never tensor
/// data. Work already done is kept between feeds (a vocabulary is resumed string by string), so feeding a header in
/// k pieces costs one pass over it. No I/O, no exceptions of its own; views are re-pointed when the prefix moves.
///
///     gguf::header_parser p(file_size);                       // or gguf::unknown_size for a stream
///     std::vector<std::byte> buf;
///     while (p.feed(buf) == gguf::parse_status::need_more) {
///         const gguf::byte_range r = p.need();                // r.offset == buf.size()
///         append(buf, fetch(r.offset, std::max<std::uint64_t>(r.size, 64 << 10)));   // more is fine
///     }
///     if (p.status() == gguf::parse_status::failed) return p.failure();
///     auto header = p.take(buf);                              // result<reader> viewing buf
class header_parser {
public:
    /// A parser for a source of `source_size` bytes (gguf::unknown_size when the length is not known).
    explicit header_parser(std::uint64_t source_size = unknown_size, parse_options opts = {}) noexcept
        : total_(source_size), opts_(opts) {}

    /// Parses as far as `prefix` allows. `prefix` holds bytes [0, prefix.size()) of the source; each feed passes at
    /// least as many bytes as the one before (the same bytes, possibly moved in memory). Returns status().
    [[nodiscard]] parse_status feed(std::span<const std::byte> prefix) {
        if (status_ != parse_status::need_more) return status_;
        if (prefix.size() < seen_) return fail(make_error(errc::invalid_argument, "fed fewer bytes than before", prefix.size()));
        if (total_ != unknown_size && prefix.size() > total_)
            return fail(make_error(errc::invalid_argument, "fed more bytes than the source size", total_));
        seen_ = prefix.size();
        rebase(prefix);
        detail::cursor c{prefix, pos_, total_, 0};
        const error e = run(c);
        if (detail::ok(e)) {
            status_ = parse_status::complete;
            return status_;
        }
        // running out of input inside the source is a request for more, not an error
        if (e.code == errc::truncated && c.want > prefix.size() && c.want <= total_) {
            if (c.want > opts_.max_header_bytes)
                return fail(make_error(errc::capacity_exceeded, "GGUF header larger than parse_options::max_header_bytes", c.want));
            need_end_ = std::min({lower_bound(c.want), total_, opts_.max_header_bytes});
            return status_;
        }
        return fail(e);
    }
    /// Feeds the last bytes the source has (a stream reached its end): the result is complete or failed.
    [[nodiscard]] parse_status feed_last(std::span<const std::byte> prefix) {
        if (status_ == parse_status::need_more && prefix.size() >= seen_ && prefix.size() < total_) {
            total_ = prefix.size();
            // the checks against the source size that could not be made while it was unknown, as reader::parse makes them
            if (stage_ != stage::preamble) {
                const std::uint64_t left = total_ - 24;
                if (n_kv_ > left / 14) return fail(make_error(errc::truncated, "KV count exceeds what the input can hold", 16));
                if (n_tensors_ > left / 24) return fail(make_error(errc::truncated, "tensor count exceeds what the input can hold", 8));
                if (in_strings_ && pending_.count * 8 > total_ - pending_.value_offset)
                    return fail(make_error(errc::truncated, "array runs past the end of the input", pending_.value_offset - 8));
            }
        }
        return feed(prefix);
    }

    /// Where the parse stands.
    [[nodiscard]] parse_status status() const noexcept { return status_; }
    /// With status() need_more: the bytes to fetch next. They start where the last prefix ended and are all needed
    /// (a lower bound of the rest of the header); fetching more in one request is fine and saves round trips.
    [[nodiscard]] byte_range need() const noexcept {
        if (status_ != parse_status::need_more) return {seen_, 0};
        return {seen_, need_end_ > seen_ ? need_end_ - seen_ : 0};
    }
    /// With status() failed: why.
    [[nodiscard]] const error& failure() const noexcept { return err_; }
    /// With status() complete: the header's length: the end of the last tensor info (bytes).
    [[nodiscard]] std::uint64_t header_size() const noexcept { return header_end_; }
    /// The source size given (or the length fed to feed_last; gguf::unknown_size when not known; bytes).
    [[nodiscard]] std::uint64_t source_size() const noexcept { return total_; }

    /// With status() complete: the parsed header, viewing `bytes`: the bytes fed (at least header_size() of them,
    /// possibly moved). Once only.
    [[nodiscard]] result<reader> take(std::span<const std::byte> bytes) {
        if (status_ != parse_status::complete || taken_)
            return make_error(errc::invalid_argument, "header_parser::take needs a complete, untaken header");
        if (bytes.size() < header_end_) return make_error(errc::truncated, "fewer bytes than the parsed header", bytes.size());
        rebase(bytes);
        if (total_ == unknown_size) {  // a stream: what is held is all that is known of the file
            r_.data_.available = bytes.size();
            r_.data_.present = r_.data_.available >= r_.data_.expected_end;
        }
        taken_ = true;
        return std::move(r_);
    }

private:
    enum class stage : std::uint8_t { preamble, kvs, tensors, done };

    parse_status fail(const error& e) noexcept {
        err_ = e;
        status_ = parse_status::failed;
        return status_;
    }
    [[nodiscard]] static std::uint64_t sat_add(std::uint64_t a, std::uint64_t b) noexcept { return a > ~b ? ~std::uint64_t{0} : a + b; }
    [[nodiscard]] static std::uint64_t sat_mul(std::uint64_t a, std::uint64_t b) noexcept {
        return b != 0 && a > ~std::uint64_t{0} / b ? ~std::uint64_t{0} : a * b;
    }
    /// The input length the rest of the header needs at least, given the unit in progress needs `want`: each
    /// remaining string of a vocabulary has a u64 length, each KV pair takes >= 14 bytes and each tensor info >= 24.
    [[nodiscard]] std::uint64_t lower_bound(std::uint64_t want) const noexcept {
        std::uint64_t lb = want;
        if (stage_ == stage::kvs) {
            if (in_strings_) lb = sat_add(lb, sat_mul(8, pending_.count - done_ - 1));
            lb = sat_add(lb, sat_mul(14, n_kv_ - kv_i_ - 1));
            lb = sat_add(lb, sat_mul(24, n_tensors_));
        } else if (stage_ == stage::tensors) {
            lb = sat_add(lb, sat_mul(24, n_tensors_ - t_i_ - 1));
        }
        return lb;
    }
    /// Points every view (keys, tensor names) at `in`, which holds the same bytes as the input parsed so far.
    void rebase(std::span<const std::byte> in) noexcept {
        r_.in_ = in;
        if (in.data() == base_) return;
        const char* b = reinterpret_cast<const char*>(in.data());
        for (auto& kv : r_.kvs_) kv.key = std::string_view(b + kv.entry_offset + 8, kv.key.size());
        if (in_strings_) pending_.key = std::string_view(b + pending_.entry_offset + 8, pending_.key.size());
        for (std::size_t i = 0; i < r_.tensors_.size(); ++i)
            r_.tensors_[i].name = std::string_view(b + name_at_[i], r_.tensors_[i].name.size());
        base_ = in.data();
    }

    /// Parses from the last checkpoint (pos_) as far as the input allows; layout and checks as gguf.cpp
    /// gguf_init_from_reader (see the top of this file).
    error run(detail::cursor& c) {
        using detail::ok;
        reader& r = r_;
        if (stage_ == stage::preamble) {
            // magic and version (gguf.cpp gguf_init_from_reader: "file magic", "header")
            c.pos = 0;
            if (!c.has(4)) return make_error(errc::truncated, "input ends inside the magic", 0);
            const auto& in = c.in;
            if (std::to_integer<char>(in[0]) != 'G' || std::to_integer<char>(in[1]) != 'G' ||
                std::to_integer<char>(in[2]) != 'U' || std::to_integer<char>(in[3]) != 'F')
                return make_error(errc::bad_magic, "not a GGUF file (magic is not \"GGUF\")", 0);
            c.pos = 4;
            if (!c.u32(r.version_)) return make_error(errc::truncated, "input ends inside the version", 4);
            if (r.version_ == 0) return make_error(errc::unsupported_version, "GGUF version 0", 4);
            if ((r.version_ & 0xFFFFu) == 0) return make_error(errc::unsupported_version, "GGUF version looks byte-swapped (big-endian file?)", 4);
            if (r.version_ == 1) return make_error(errc::unsupported_version, "GGUF version 1 is no longer supported", 4);
            if (r.version_ > 3) return make_error(errc::unsupported_version, "GGUF version newer than 3", 4);
            if (!c.u64(n_tensors_)) return make_error(errc::truncated, "input ends inside the tensor count", 8);
            if (!c.u64(n_kv_)) return make_error(errc::truncated, "input ends inside the KV count", 16);
            if (n_tensors_ > std::uint64_t(std::numeric_limits<std::int64_t>::max())) return make_error(errc::overflow, "negative tensor count", 8);
            if (n_kv_ > std::uint64_t(std::numeric_limits<std::int64_t>::max())) return make_error(errc::overflow, "negative KV count", 16);
            // each KV needs >= 8 (key length) + 1 (key) + 4 (type) + 1 (value) bytes; each tensor info >= 8 + 4 + 4 + 8:
            // checking counts against the bytes the source has keeps hostile counts from driving long loops, and
            // reservations are capped so that they cannot drive allocation (vectors grow with the bytes parsed)
            if (n_kv_ > c.source_left() / 14) return make_error(errc::truncated, "KV count exceeds what the input can hold", 16);
            if (n_tensors_ > c.source_left() / 24) return make_error(errc::truncated, "tensor count exceeds what the input can hold", 8);
            r.kvs_.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(n_kv_, 1024)));
            r.tensors_.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(n_tensors_, 8192)));
            name_at_.reserve(r.tensors_.capacity());
            pos_ = c.pos;
            stage_ = stage::kvs;
        }
        while (stage_ == stage::kvs) {
            if (kv_i_ == n_kv_) {
                if (auto e = finish_kvs(); !ok(e)) return e;
                stage_ = stage::tensors;
                break;
            }
            c.pos = pos_;
            if (!in_strings_) {
                kv_entry kv;
                kv.entry_offset = c.pos;
                if (auto e = detail::read_string(c, kv.key); !ok(e)) return e;
                if (kv.key.empty()) return make_error(errc::invalid_argument, "empty key", kv.entry_offset);
                if (auto e = detail::read_type(c, kv.type); !ok(e)) return e;
                kv.elem_type = kv.type;
                if (kv.type == value_type::array) {
                    if (auto e = detail::read_array_header(c, kv.elem_type, kv.count, 0, opts_.allow_nested_arrays); !ok(e)) return e;
                    kv.value_offset = c.pos;
                    if (kv.elem_type == value_type::string) {  // a vocabulary: resumable string by string below
                        pending_ = kv;
                        in_strings_ = true;
                        done_ = 0;
                        pos_ = c.pos;
                    } else if (auto e = detail::skip_elements(c, kv.elem_type, kv.count, 0, opts_.allow_nested_arrays); !ok(e)) {
                        return e;
                    }
                } else if (kv.type == value_type::string) {
                    kv.value_offset = c.pos;
                    std::string_view ignored;
                    if (auto e = detail::read_string(c, ignored); !ok(e)) return e;
                } else {
                    kv.value_offset = c.pos;
                    if (!c.has(scalar_size(kv.type))) return make_error(errc::truncated, "input ends inside a value", c.pos);
                    c.pos += scalar_size(kv.type);
                }
                if (!in_strings_) {
                    kv.value_size = c.pos - kv.value_offset;
                    r.kvs_.push_back(kv);
                    ++kv_i_;
                    pos_ = c.pos;
                    continue;
                }
            }
            const error e = detail::skip_strings(c, pending_.count, done_);
            pos_ = c.pos;  // progress through the array is kept even when the input runs out
            if (!ok(e)) return e;
            in_strings_ = false;
            pending_.value_size = c.pos - pending_.value_offset;
            r.kvs_.push_back(pending_);
            ++kv_i_;
        }
        while (stage_ == stage::tensors) {
            if (t_i_ == n_tensors_) {
                if (auto e = finish_tensors(); !ok(e)) return e;
                stage_ = stage::done;
                break;
            }
            c.pos = pos_;
            const std::uint64_t info_at = c.pos;
            std::string_view name;
            if (auto e = detail::read_string(c, name); !ok(e)) return e;
            if (name.size() >= max_tensor_name) return make_error(errc::invalid_argument, "tensor name is 64 bytes or longer", info_at);
            std::uint32_t n_dims = 0;
            if (!c.u32(n_dims)) return make_error(errc::truncated, "input ends inside a tensor's dimension count", c.pos);
            if (n_dims > 4) return make_error(errc::invalid_argument, "tensor has more than 4 dimensions", c.pos - 4);
            std::array<std::uint64_t, 4> ne{1, 1, 1, 1};
            for (std::uint32_t d = 0; d < n_dims; ++d) {
                if (!c.u64(ne[d])) return make_error(errc::truncated, "input ends inside a tensor's shape", c.pos);
                if (ne[d] > std::uint64_t(std::numeric_limits<std::int64_t>::max()))
                    return make_error(errc::invalid_argument, "negative tensor dimension", c.pos - 8);
            }
            if (ne[0] != 0 && ne[1] != 0 && ne[2] != 0 && ne[3] != 0) {
                constexpr std::uint64_t imax = std::uint64_t(std::numeric_limits<std::int64_t>::max());
                if (imax / ne[1] <= ne[0] || imax / ne[2] <= ne[0] * ne[1] || imax / ne[3] <= ne[0] * ne[1] * ne[2])
                    return make_error(errc::overflow, "tensor element count overflows int64", info_at);
            }
            const std::uint64_t type_at = c.pos;
            std::uint32_t type_id = 0;
            if (!c.u32(type_id)) return make_error(errc::truncated, "input ends inside a tensor's type", type_at);
            if (!is_valid_type_id(type_id)) return make_error(errc::unknown_type, "unknown or removed ggml type", type_at);
            const std::uint64_t off_at = c.pos;
            std::uint64_t offset = 0;
            if (!c.u64(offset)) return make_error(errc::truncated, "input ends inside a tensor's offset", off_at);
            auto t = make_tensor(name, static_cast<ggml_type>(type_id), ne, n_dims == 0 ? 1 : n_dims, offset);
            if (!t) return make_error(t.error().code, t.error().what, info_at);
            if (offset != expected_offset_)
                return make_error(errc::misaligned, "tensor offset is not the cumulative padded size of the tensors before it", off_at);
            std::uint64_t padded = 0;
            if (llamaplan::detail::add_overflows(t->bytes, r.alignment_ - 1, padded) ||
                llamaplan::detail::add_overflows(expected_offset_, padded / r.alignment_ * r.alignment_, expected_offset_))
                return make_error(errc::overflow, "data section size overflows 64 bits", off_at);
            r.tensors_.push_back(*t);
            name_at_.push_back(info_at + 8);
            ++t_i_;
            pos_ = c.pos;
        }
        return {};
    }

    /// After the last KV pair: duplicate keys and general.alignment.
    error finish_kvs() {
        reader& r = r_;
        // duplicate keys (gguf.cpp rejects them); a sorted index also serves find()
        r.sorted_.resize(r.kvs_.size());
        for (std::uint32_t i = 0; i < r.sorted_.size(); ++i) r.sorted_[i] = i;
        std::sort(r.sorted_.begin(), r.sorted_.end(), [&r](std::uint32_t a, std::uint32_t b) {
            return r.kvs_[a].key != r.kvs_[b].key ? r.kvs_[a].key < r.kvs_[b].key : a < b;
        });
        for (std::size_t i = 1; i < r.sorted_.size(); ++i)
            if (r.kvs_[r.sorted_[i]].key == r.kvs_[r.sorted_[i - 1]].key)
                return make_error(errc::invalid_argument, "duplicate key", r.kvs_[r.sorted_[i]].entry_offset);
        // general.alignment: u32, a power of two (gguf.cpp)
        r.alignment_ = default_alignment;
        if (const kv_entry* a = r.find("general.alignment")) {
            if (a->type != value_type::u32) return make_error(errc::type_mismatch, "general.alignment must be a u32", a->value_offset);
            r.alignment_ = static_cast<std::uint32_t>(detail::load_le(r.in_.data() + a->value_offset, 4));
            if (r.alignment_ == 0 || (r.alignment_ & (r.alignment_ - 1)) != 0)
                return make_error(errc::invalid_argument, "general.alignment is not a power of two", a->value_offset);
        }
        return {};
    }

    /// After the last tensor info: duplicate names and the data section.
    error finish_tensors() {
        reader& r = r_;
        // duplicate tensor names (gguf.cpp rejects them)
        {
            std::vector<std::uint32_t> idx(r.tensors_.size());
            for (std::uint32_t i = 0; i < idx.size(); ++i) idx[i] = i;
            std::sort(idx.begin(), idx.end(), [&r](std::uint32_t a, std::uint32_t b) {
                return r.tensors_[a].name != r.tensors_[b].name ? r.tensors_[a].name < r.tensors_[b].name : a < b;
            });
            for (std::size_t i = 1; i < idx.size(); ++i)
                if (r.tensors_[idx[i]].name == r.tensors_[idx[i - 1]].name)
                    return make_error(errc::invalid_argument, "duplicate tensor name (where = tensor index)", idx[i]);
        }
        // data section: aligned start when there are tensors (gguf.cpp seeks to GGML_PAD(tell, alignment))
        header_end_ = pos_;
        data_section& d = r.data_;
        d.offset = n_tensors_ > 0 ? llamaplan::detail::pad_to(pos_, r.alignment_) : pos_;
        d.needed_padded = expected_offset_;
        d.needed = r.tensors_.empty() ? 0 : r.tensors_.back().offset + r.tensors_.back().bytes;
        d.available = total_ == unknown_size ? r.in_.size() : total_;
        if (llamaplan::detail::add_overflows(d.offset, d.needed, d.expected_end))
            return make_error(errc::overflow, "data section end overflows 64 bits", pos_);
        d.present = d.available >= d.expected_end;
        return {};
    }

    reader r_{};
    std::uint64_t total_ = unknown_size;
    parse_options opts_{};
    parse_status status_ = parse_status::need_more;
    stage stage_ = stage::preamble;
    bool in_strings_ = false;     // inside a string array (pending_), resumable at string done_
    bool taken_ = false;
    error err_{};
    std::uint64_t seen_ = 0;      // bytes fed last
    std::uint64_t need_end_ = 0;  // with need_more: the input length the rest of the header needs at least
    std::uint64_t pos_ = 0;       // checkpoint: where the next unit (KV pair, string, tensor info) starts
    std::uint64_t n_kv_ = 0, n_tensors_ = 0, kv_i_ = 0, t_i_ = 0, done_ = 0;
    std::uint64_t expected_offset_ = 0;  // gguf.cpp: offsets must be exactly the cumulative padded sizes
    std::uint64_t header_end_ = 0;
    kv_entry pending_{};
    std::vector<std::uint64_t> name_at_{};  // where each tensor name's characters start (bytes)
    const std::byte* base_ = nullptr;       // the input the views point into
};

inline result<reader> reader::parse(std::span<const std::byte> bytes, parse_options opts) {
    header_parser p(bytes.size(), opts);
    const parse_status st = p.feed(bytes);
    if (st == parse_status::complete) return p.take(bytes);
    if (st == parse_status::failed) return p.failure();
    return make_error(errc::truncated, "input ends inside the header", bytes.size());  // not reached: the input is the whole source
}

}  // namespace llamaplan::gguf

#endif  // LLAMAPLAN_GGUF_READER_HPP
