// SPDX-License-Identifier: MIT
// A small, strict, bounded JSON (RFC 8259) reader and writer for llamaplan's adapters and CLI.
// Own implementation; numbers keep their literal text so 64-bit byte counts round-trip exactly.
#ifndef LLAMAPLAN_PROBE_JSON_HPP
#define LLAMAPLAN_PROBE_JSON_HPP

#include <llamaplan/config.hpp>

#include <llamaplan/result.hpp>
#include <llamaplan/probe/text.hpp>

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::probe::json {

/// The JSON value kinds.
enum class kind : std::uint8_t { null, boolean, number, string, array, object };

/// A JSON value tree. Objects keep their members in document order (keys[i] names items[i]).
struct value {
    kind type = kind::null;          ///< which kind of value this is
    bool boolean = false;            ///< the value of a boolean
    std::string text{};              ///< string contents (UTF-8), or a number's literal text
    std::vector<value> items{};      ///< array elements, or object member values
    std::vector<std::string> keys{}; ///< object member names (parallel to items); empty otherwise
    std::uint64_t offset = 0;        ///< byte offset of the value in the parsed text (0 for built values)

    /// The member named `key` of an object, or nullptr (also when this is not an object).
    [[nodiscard]] const value* find(std::string_view key) const noexcept {
        if (type != kind::object) return nullptr;
        for (std::size_t i = 0; i < keys.size(); ++i)
            if (keys[i] == key) return &items[i];
        return nullptr;
    }
    /// True for a number that is a non-negative integer fitting 64 bits; writes it to out.
    [[nodiscard]] bool get_u64(std::uint64_t& out) const noexcept {
        if (type != kind::number || text.empty() || text[0] == '-') return false;
        for (char c : text)
            if (c < '0' || c > '9') return false;
        const auto r = std::from_chars(text.data(), text.data() + text.size(), out);
        return r.ec == std::errc{} && r.ptr == text.data() + text.size();
    }
    /// True for a number representable as a finite double; writes it to out.
    [[nodiscard]] bool get_double(double& out) const noexcept {
        if (type != kind::number) return false;
        double v = 0;
        if (!detail::parse_double(text, v) || !std::isfinite(v)) return false;
        out = v;
        return true;
    }

    /// A null value.
    [[nodiscard]] static value make_null() { return value{}; }
    /// A boolean value.
    [[nodiscard]] static value make_bool(bool b) {
        value v;
        v.type = kind::boolean;
        v.boolean = b;
        return v;
    }
    /// A string value (s must be UTF-8; invalid bytes are replaced when written).
    [[nodiscard]] static value make_string(std::string_view s) {
        value v;
        v.type = kind::string;
        v.text = std::string(s);
        return v;
    }
    /// An unsigned integer number.
    [[nodiscard]] static value make_u64(std::uint64_t n) {
        value v;
        v.type = kind::number;
        v.text = std::to_string(n);
        return v;
    }
    /// A signed integer number.
    [[nodiscard]] static value make_i64(std::int64_t n) {
        value v;
        v.type = kind::number;
        v.text = std::to_string(n);
        return v;
    }
    /// A floating-point number (non-finite values become null: JSON has no NaN or infinity).
    [[nodiscard]] static value make_double(double d) {
        if (!std::isfinite(d)) return value{};
        value v;
        v.type = kind::number;
        char buf[64];
        const auto r = std::to_chars(buf, buf + sizeof buf, d);
        v.text.assign(buf, r.ptr);
        return v;
    }
    /// An empty array.
    [[nodiscard]] static value make_array() {
        value v;
        v.type = kind::array;
        return v;
    }
    /// An empty object.
    [[nodiscard]] static value make_object() {
        value v;
        v.type = kind::object;
        return v;
    }
    /// Appends an object member (no duplicate check; callers building values own their keys). Returns it.
    value& set(std::string_view key, value v) {
        keys.emplace_back(key);
        items.push_back(std::move(v));
        return items.back();
    }
    /// Appends an array element. Returns it.
    value& push(value v) {
        items.push_back(std::move(v));
        return items.back();
    }
};

/// Bounds that keep parsing hostile input cheap.
struct limits {
    std::size_t max_size = 16u << 20;    ///< largest accepted document (bytes)
    std::uint32_t max_depth = 64;        ///< deepest nesting of arrays and objects
    std::size_t max_values = 1u << 20;   ///< most values (of any kind) in one document
};

/// A 1-based line and column (column counts bytes) of a byte offset.
struct position {
    std::uint64_t line = 1;    ///< 1-based line number
    std::uint64_t column = 1;  ///< 1-based column (bytes)
};

/// The line and column of byte `offset` in `text` (offsets past the end map to the end).
[[nodiscard]] inline position position_of(std::string_view text, std::uint64_t offset) noexcept {
    position p;
    const std::size_t end = offset < text.size() ? static_cast<std::size_t>(offset) : text.size();
    for (std::size_t i = 0; i < end; ++i) {
        if (text[i] == '\n') {
            ++p.line;
            p.column = 1;
        } else {
            ++p.column;
        }
    }
    return p;
}

/// "line L, column C: message" for an error whose `where` is a byte offset into `text`.
[[nodiscard]] inline std::string describe(std::string_view text, const error& e) {
    const position p = position_of(text, e.where);
    return "line " + std::to_string(p.line) + ", column " + std::to_string(p.column) + ": " + std::string(e.what);
}

namespace detail {

/// Recursive-descent parser state; every failure records a static message and the offset.
class parser {
public:
    parser(std::string_view text, const limits& lim) : s_(text), lim_(lim) {}

    result<value> run() {
        if (s_.size() > lim_.max_size) return make_error(errc::overflow, "JSON document exceeds the size limit", lim_.max_size);
        if (s_.size() >= 3 && static_cast<unsigned char>(s_[0]) == 0xEF && static_cast<unsigned char>(s_[1]) == 0xBB &&
            static_cast<unsigned char>(s_[2]) == 0xBF)
            return make_error(errc::invalid_argument, "byte order mark is not allowed in JSON", 0);
        value v;
        skip_ws();
        if (!parse_value(v, 0)) return err_;
        skip_ws();
        if (i_ != s_.size()) return make_error(errc::invalid_argument, "unexpected characters after the JSON value", i_);
        return v;
    }

private:
    std::string_view s_;
    limits lim_;
    std::size_t i_ = 0;
    std::size_t count_ = 0;
    error err_{};

    bool fail(errc c, std::string_view what, std::size_t where) {
        err_ = make_error(c, what, where);
        return false;
    }
    bool fail_eof(std::string_view what) { return fail(errc::truncated, what, s_.size()); }

    void skip_ws() noexcept {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
    }

    bool literal(std::string_view word) {
        if (s_.substr(i_, word.size()) == word) {
            i_ += word.size();
            return true;
        }
        if (s_.size() - i_ < word.size() && word.substr(0, s_.size() - i_) == s_.substr(i_))
            return fail_eof("JSON text ends inside a literal");
        return fail(errc::invalid_argument, "invalid literal (expected true, false or null)", i_);
    }

    bool parse_value(value& v, std::uint32_t depth) {
        if (++count_ > lim_.max_values) return fail(errc::overflow, "JSON document has too many values", i_);
        if (i_ >= s_.size()) return fail_eof("JSON text ends where a value was expected");
        v.offset = i_;
        const char c = s_[i_];
        switch (c) {
            case '{': return parse_object(v, depth + 1);
            case '[': return parse_array(v, depth + 1);
            case '"': v.type = kind::string; return parse_string(v.text);
            case 't': v.type = kind::boolean; v.boolean = true; return literal("true");
            case 'f': v.type = kind::boolean; v.boolean = false; return literal("false");
            case 'n': v.type = kind::null; return literal("null");
            default:
                if (c == '-' || (c >= '0' && c <= '9')) return parse_number(v);
                return fail(errc::invalid_argument, "unexpected character where a value was expected", i_);
        }
    }

    bool parse_number(value& v) {
        const std::size_t start = i_;
        auto digit = [&] { return i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9'; };
        if (s_[i_] == '-') ++i_;
        if (i_ >= s_.size()) return fail_eof("JSON text ends inside a number");
        if (s_[i_] == '0') {
            ++i_;
            if (digit()) return fail(errc::invalid_argument, "leading zeros are not allowed in numbers", i_);
        } else if (digit()) {
            while (digit()) ++i_;
        } else {
            return fail(errc::invalid_argument, "invalid number", i_);
        }
        if (i_ < s_.size() && s_[i_] == '.') {
            ++i_;
            if (i_ >= s_.size()) return fail_eof("JSON text ends inside a number");
            if (!digit()) return fail(errc::invalid_argument, "a digit must follow the decimal point", i_);
            while (digit()) ++i_;
        }
        if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
            ++i_;
            if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
            if (i_ >= s_.size()) return fail_eof("JSON text ends inside a number");
            if (!digit()) return fail(errc::invalid_argument, "a digit must follow the exponent", i_);
            while (digit()) ++i_;
        }
        v.type = kind::number;
        v.text.assign(s_.substr(start, i_ - start));
        return true;
    }

    static void put_utf8(std::string& out, std::uint32_t cp) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }

    bool hex4(std::uint32_t& cp) {
        if (s_.size() - i_ < 4) return fail_eof("JSON text ends inside a \\u escape");
        cp = 0;
        for (int k = 0; k < 4; ++k) {
            const char h = s_[i_];
            std::uint32_t d = 0;
            if (h >= '0' && h <= '9') d = static_cast<std::uint32_t>(h - '0');
            else if (h >= 'a' && h <= 'f') d = static_cast<std::uint32_t>(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F') d = static_cast<std::uint32_t>(h - 'A' + 10);
            else return fail(errc::invalid_argument, "invalid hex digit in \\u escape", i_);
            cp = cp * 16 + d;
            ++i_;
        }
        return true;
    }

    /// Validates one UTF-8 sequence starting at i_ (a lead byte >= 0x80) and appends it.
    bool utf8_sequence(std::string& out) {
        const auto b0 = static_cast<unsigned char>(s_[i_]);
        std::size_t n = 0;
        std::uint32_t cp = 0;
        if (b0 >= 0xC2 && b0 <= 0xDF) { n = 1; cp = b0 & 0x1Fu; }
        else if (b0 >= 0xE0 && b0 <= 0xEF) { n = 2; cp = b0 & 0x0Fu; }
        else if (b0 >= 0xF0 && b0 <= 0xF4) { n = 3; cp = b0 & 0x07u; }
        else return fail(errc::invalid_argument, "invalid UTF-8 byte in string", i_);
        if (s_.size() - i_ - 1 < n) return fail_eof("JSON text ends inside a UTF-8 sequence");
        for (std::size_t k = 1; k <= n; ++k) {
            const auto b = static_cast<unsigned char>(s_[i_ + k]);
            if ((b & 0xC0u) != 0x80u) return fail(errc::invalid_argument, "invalid UTF-8 continuation byte in string", i_ + k);
            cp = (cp << 6) | (b & 0x3Fu);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return fail(errc::invalid_argument, "overlong or out-of-range UTF-8 sequence in string", i_);
        out.append(s_.substr(i_, n + 1));
        i_ += n + 1;
        return true;
    }

    bool parse_string(std::string& out) {
        ++i_;  // opening quote
        for (;;) {
            if (i_ >= s_.size()) return fail_eof("JSON text ends inside a string");
            const char c = s_[i_];
            if (c == '"') {
                ++i_;
                return true;
            }
            if (static_cast<unsigned char>(c) < 0x20)
                return fail(errc::invalid_argument, "control character in string (must be escaped)", i_);
            if (static_cast<unsigned char>(c) >= 0x80) {
                if (!utf8_sequence(out)) return false;
                continue;
            }
            if (c != '\\') {
                out += c;
                ++i_;
                continue;
            }
            ++i_;
            if (i_ >= s_.size()) return fail_eof("JSON text ends inside an escape");
            const char e = s_[i_++];
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    std::uint32_t cp = 0;
                    if (!hex4(cp)) return false;
                    if (cp >= 0xDC00 && cp <= 0xDFFF)
                        return fail(errc::invalid_argument, "unpaired low surrogate in \\u escape", i_ - 6);
                    if (cp >= 0xD800 && cp <= 0xDBFF) {
                        if (s_.size() - i_ < 2) return fail_eof("JSON text ends inside a surrogate pair");
                        if (s_[i_] != '\\' || s_[i_ + 1] != 'u')
                            return fail(errc::invalid_argument, "unpaired high surrogate in \\u escape", i_);
                        i_ += 2;
                        std::uint32_t lo = 0;
                        if (!hex4(lo)) return false;
                        if (lo < 0xDC00 || lo > 0xDFFF)
                            return fail(errc::invalid_argument, "invalid low surrogate in \\u escape", i_ - 6);
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    }
                    put_utf8(out, cp);
                    break;
                }
                default: return fail(errc::invalid_argument, "invalid escape in string", i_ - 1);
            }
        }
    }

    bool parse_array(value& v, std::uint32_t depth) {
        if (depth > lim_.max_depth) return fail(errc::overflow, "JSON nesting exceeds the depth limit", i_);
        v.type = kind::array;
        ++i_;
        skip_ws();
        if (i_ < s_.size() && s_[i_] == ']') {
            ++i_;
            return true;
        }
        for (;;) {
            skip_ws();
            v.items.emplace_back();
            if (!parse_value(v.items.back(), depth)) return false;
            skip_ws();
            if (i_ >= s_.size()) return fail_eof("JSON text ends inside an array");
            if (s_[i_] == ',') { ++i_; continue; }
            if (s_[i_] == ']') { ++i_; return true; }
            return fail(errc::invalid_argument, "expected ',' or ']' in array", i_);
        }
    }

    bool parse_object(value& v, std::uint32_t depth) {
        if (depth > lim_.max_depth) return fail(errc::overflow, "JSON nesting exceeds the depth limit", i_);
        v.type = kind::object;
        ++i_;
        skip_ws();
        if (i_ < s_.size() && s_[i_] == '}') {
            ++i_;
            return true;
        }
        std::set<std::string, std::less<>> seen;
        for (;;) {
            skip_ws();
            if (i_ >= s_.size()) return fail_eof("JSON text ends inside an object");
            if (s_[i_] != '"') return fail(errc::invalid_argument, "expected a string key in object", i_);
            const std::size_t key_at = i_;
            std::string key;
            if (!parse_string(key)) return false;
            if (!seen.insert(key).second) return fail(errc::invalid_argument, "duplicate key in object", key_at);
            skip_ws();
            if (i_ >= s_.size()) return fail_eof("JSON text ends inside an object");
            if (s_[i_] != ':') return fail(errc::invalid_argument, "expected ':' after object key", i_);
            ++i_;
            skip_ws();
            v.keys.push_back(std::move(key));
            v.items.emplace_back();
            if (!parse_value(v.items.back(), depth)) return false;
            skip_ws();
            if (i_ >= s_.size()) return fail_eof("JSON text ends inside an object");
            if (s_[i_] == ',') { ++i_; continue; }
            if (s_[i_] == '}') { ++i_; return true; }
            return fail(errc::invalid_argument, "expected ',' or '}' in object", i_);
        }
    }
};

inline void write_escaped(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        switch (c) {
            case '"': out += "\\\""; continue;
            case '\\': out += "\\\\"; continue;
            case '\n': out += "\\n"; continue;
            case '\r': out += "\\r"; continue;
            case '\t': out += "\\t"; continue;
            case '\b': out += "\\b"; continue;
            case '\f': out += "\\f"; continue;
            default: break;
        }
        if (c < 0x20) {
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 0xF];
        } else if (c < 0x80) {
            out += static_cast<char>(c);
        } else {
            // Copy a valid UTF-8 sequence; replace anything else with U+FFFD so output is always valid JSON.
            std::size_t n = 0;
            std::uint32_t cp = 0;
            if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1Fu; }
            else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0Fu; }
            else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07u; }
            bool ok = n != 0 && s.size() - i - 1 >= n;
            for (std::size_t k = 1; ok && k <= n; ++k) {
                const auto b = static_cast<unsigned char>(s[i + k]);
                ok = (b & 0xC0u) == 0x80u;
                cp = (cp << 6) | (b & 0x3Fu);
            }
            if (ok && ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)))
                ok = false;
            if (ok) {
                out.append(s.substr(i, n + 1));
                i += n;
            } else {
                out += "\xEF\xBF\xBD";
            }
        }
    }
    out += '"';
}

inline void write_value(std::string& out, const value& v, int indent, int level) {
    auto newline = [&](int lvl) {
        if (indent <= 0) return;
        out += '\n';
        out.append(static_cast<std::size_t>(indent) * static_cast<std::size_t>(lvl), ' ');
    };
    switch (v.type) {
        case kind::null: out += "null"; return;
        case kind::boolean: out += v.boolean ? "true" : "false"; return;
        case kind::number: out += v.text.empty() ? "0" : v.text; return;
        case kind::string: write_escaped(out, v.text); return;
        case kind::array:
            if (v.items.empty()) { out += "[]"; return; }
            out += '[';
            for (std::size_t i = 0; i < v.items.size(); ++i) {
                if (i) out += ',';
                newline(level + 1);
                write_value(out, v.items[i], indent, level + 1);
            }
            newline(level);
            out += ']';
            return;
        case kind::object:
            if (v.items.empty()) { out += "{}"; return; }
            out += '{';
            for (std::size_t i = 0; i < v.items.size(); ++i) {
                if (i) out += ',';
                newline(level + 1);
                write_escaped(out, i < v.keys.size() ? std::string_view(v.keys[i]) : std::string_view());
                out += indent > 0 ? ": " : ":";
                write_value(out, v.items[i], indent, level + 1);
            }
            newline(level);
            out += '}';
            return;
    }
}

}  // namespace detail

/// Parses one JSON document strictly (RFC 8259: no comments, trailing commas, NaN, BOM or duplicate keys;
/// UTF-8 validated). Errors carry the byte offset in `where`; use describe() for "line L, column C: ...".
[[nodiscard]] inline result<value> parse(std::string_view text, const limits& lim = {}) {
    return detail::parser(text, lim).run();
}

/// Serializes a value; indent > 0 pretty-prints with that many spaces per level, 0 writes one line.
[[nodiscard]] inline std::string dump(const value& v, int indent = 2) {
    std::string out;
    detail::write_value(out, v, indent, 0);
    return out;
}

/// Appends `s` to `out` as a quoted, escaped JSON string (for callers streaming their own JSON).
inline void append_string(std::string& out, std::string_view s) { detail::write_escaped(out, s); }

}  // namespace llamaplan::probe::json

#endif  // LLAMAPLAN_PROBE_JSON_HPP
