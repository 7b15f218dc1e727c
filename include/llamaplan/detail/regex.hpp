// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_DETAIL_REGEX_HPP
#define LLAMAPLAN_DETAIL_REGEX_HPP

#include <llamaplan/config.hpp>

#include <llamaplan/result.hpp>

#include <array>
#include <cstdint>
#include <string_view>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::detail {

/// A constexpr regular expression for `-ot` tensor-override patterns, matched like llama.cpp's
/// `std::regex_search` with the default ECMAScript grammar (src/llama-model-loader.cpp, create_tensor).
/// Supported: literals, `.`, escapes (`\.` `\d` `\w` `\s` `\D` `\W` `\S` `\t` `\n`), classes `[a-z_]` / `[^...]`,
/// groups `(...)` / `(?:...)`, alternation `|`, quantifiers `* + ? {m} {m,} {m,n}` (lazy `?` suffix accepted: it
/// does not change whether a search matches), anchors `^ $`. Matching is a Pike VM (linear time, no backtracking).
class regex {
public:
    static constexpr std::size_t max_program = 384;  ///< instructions
    static constexpr std::size_t max_classes = 48;   ///< character classes

    /// Compiles `pattern`; errors name the pattern offset.
    [[nodiscard]] static constexpr result<regex> compile(std::string_view pattern) noexcept {
        regex re;
        compiler c{pattern, 0, re, {}};
        if (!c.alternation(0)) return c.err;
        if (c.pos != pattern.size()) return make_error(errc::invalid_argument, "unbalanced ')' in regex", c.pos);
        if (!re.emit({op::match, 0, 0, 0})) return make_error(errc::capacity_exceeded, "regex too long", c.pos);
        return re;
    }

    /// True if the pattern matches anywhere in `s` (std::regex_search semantics).
    [[nodiscard]] constexpr bool search(std::string_view s) const noexcept {
        // A state's "seen" mark is the input position + 1 it was added for, so nothing is cleared or copied per
        // character (clearing and copying the state arrays made an -ot rule cost ~14 us per tensor name).
        std::array<std::uint32_t, max_program> seen{};
        std::array<std::array<std::uint16_t, max_program>, 2> lists{};
        std::array<std::uint16_t, max_program> stack{};
        std::array<std::size_t, 2> n{0, 0};
        std::size_t cur = 0;
        for (std::size_t i = 0; i <= s.size(); ++i) {
            const auto gen = static_cast<std::uint32_t>(i + 1);
            // a new thread may start at every position (search, not match)
            if (add(seen, gen, lists[cur], n[cur], stack, 0, i, s.size())) return true;
            const std::size_t nxt = 1 - cur;
            n[nxt] = 0;
            if (i < s.size()) {
                const auto ch = static_cast<unsigned char>(s[i]);
                for (std::size_t k = 0; k < n[cur]; ++k) {
                    const auto& in = prog_[lists[cur][k]];
                    bool ok = false;
                    if (in.code == op::chr) ok = ch == in.a;
                    else if (in.code == op::any) ok = ch != '\n' && ch != '\r';
                    else if (in.code == op::cls) ok = class_has(in.a, ch);
                    if (ok && add(seen, gen + 1, lists[nxt], n[nxt], stack, lists[cur][k] + 1u, i + 1, s.size())) return true;
                }
            }
            cur = nxt;
        }
        return false;
    }

private:
    enum class op : std::uint8_t { chr, any, cls, split, jmp, bol, eol, match };
    struct inst {
        op code = op::match;
        std::uint16_t a = 0;  // char, class index
        std::int16_t x = 0;   // relative jump targets
        std::int16_t y = 0;
    };
    std::array<inst, max_program> prog_{};
    std::size_t n_prog_ = 0;
    std::array<std::array<std::uint64_t, 4>, max_classes> classes_{};
    std::size_t n_classes_ = 0;

    [[nodiscard]] constexpr bool class_has(std::size_t c, unsigned char ch) const noexcept {
        return (classes_[c][ch >> 6] >> (ch & 63)) & 1u;
    }
    constexpr bool emit(inst in) noexcept {
        if (n_prog_ == max_program) return false;
        prog_[n_prog_++] = in;
        return true;
    }
    constexpr bool insert(std::size_t at, inst in) noexcept {
        if (n_prog_ == max_program) return false;
        for (std::size_t i = n_prog_; i > at; --i) prog_[i] = prog_[i - 1];
        prog_[at] = in;
        ++n_prog_;
        return true;
    }

    // Follows epsilon edges from pc at input position i (states marked `gen` are already in `list`); returns true
    // on reaching `match`. `stack` is scratch space of the caller.
    constexpr bool add(std::array<std::uint32_t, max_program>& seen, std::uint32_t gen,
                       std::array<std::uint16_t, max_program>& list, std::size_t& n,
                       std::array<std::uint16_t, max_program>& stack, std::size_t pc0, std::size_t i,
                       std::size_t len) const noexcept {
        std::size_t sp = 0;
        stack[sp++] = static_cast<std::uint16_t>(pc0);
        while (sp > 0) {
            const std::size_t pc = stack[--sp];
            if (seen[pc] == gen) continue;
            seen[pc] = gen;
            const auto& in = prog_[pc];
            switch (in.code) {
                case op::match: return true;
                case op::jmp: stack[sp++] = static_cast<std::uint16_t>(std::int64_t(pc) + in.x); break;
                case op::split:
                    stack[sp++] = static_cast<std::uint16_t>(std::int64_t(pc) + in.y);
                    stack[sp++] = static_cast<std::uint16_t>(std::int64_t(pc) + in.x);
                    break;
                case op::bol: if (i == 0) stack[sp++] = static_cast<std::uint16_t>(pc + 1); break;
                case op::eol: if (i == len) stack[sp++] = static_cast<std::uint16_t>(pc + 1); break;
                default: list[n++] = static_cast<std::uint16_t>(pc); break;
            }
        }
        return false;
    }

    struct compiler {
        std::string_view p;
        std::size_t pos;
        regex& re;
        error err;

        constexpr bool fail(errc code, std::string_view what) noexcept {
            err = make_error(code, what, pos);
            return false;
        }
        [[nodiscard]] constexpr bool at_end() const noexcept { return pos >= p.size(); }

        constexpr bool alternation(int depth) noexcept {
            if (depth > 32) return fail(errc::capacity_exceeded, "regex nests too deeply");
            const std::size_t start = re.n_prog_;
            if (!sequence(depth)) return false;
            if (at_end() || p[pos] != '|') return true;
            ++pos;
            // start: SPLIT(+1, L2); first branch; JMP end; L2: rest
            if (!re.insert(start, {op::split, 0, 1, 0})) return fail(errc::capacity_exceeded, "regex too long");
            const std::size_t jmp_at = re.n_prog_;
            if (!re.emit({op::jmp, 0, 0, 0})) return fail(errc::capacity_exceeded, "regex too long");
            re.prog_[start].y = static_cast<std::int16_t>(re.n_prog_ - start);
            if (!alternation(depth + 1)) return false;
            re.prog_[jmp_at].x = static_cast<std::int16_t>(re.n_prog_ - jmp_at);
            return true;
        }

        constexpr bool sequence(int depth) noexcept {
            while (!at_end() && p[pos] != '|' && p[pos] != ')') {
                const std::size_t atom_start = re.n_prog_;
                if (!atom(depth)) return false;
                if (!quantifier(atom_start)) return false;
            }
            return true;
        }

        constexpr bool parse_uint(std::size_t& out) noexcept {
            if (at_end() || p[pos] < '0' || p[pos] > '9') return false;
            out = 0;
            while (!at_end() && p[pos] >= '0' && p[pos] <= '9') {
                out = out * 10 + std::size_t(p[pos++] - '0');
                if (out > 1000) return false;
            }
            return true;
        }

        // Applies a quantifier to the fragment [a, end).
        constexpr bool quantifier(std::size_t a) noexcept {
            if (at_end()) return true;
            std::size_t lo = 1, hi = 1;
            bool unbounded = false;
            const char q = p[pos];
            if (q == '*') { lo = 0; unbounded = true; ++pos; }
            else if (q == '+') { lo = 1; unbounded = true; ++pos; }
            else if (q == '?') { lo = 0; hi = 1; ++pos; }
            else if (q == '{') {
                ++pos;
                if (!parse_uint(lo)) return fail(errc::invalid_argument, "bad {m,n} quantifier in regex");
                hi = lo;
                if (!at_end() && p[pos] == ',') {
                    ++pos;
                    if (!at_end() && p[pos] == '}') unbounded = true;
                    else if (!parse_uint(hi) || hi < lo) return fail(errc::invalid_argument, "bad {m,n} quantifier in regex");
                }
                if (at_end() || p[pos] != '}') return fail(errc::invalid_argument, "unterminated {m,n} quantifier in regex");
                ++pos;
            } else {
                return true;
            }
            if (!at_end() && p[pos] == '?') ++pos;  // lazy: same language
            if (!at_end() && (p[pos] == '*' || p[pos] == '+' || p[pos] == '{'))
                return fail(errc::invalid_argument, "nothing to repeat in regex");
            const std::size_t len = re.n_prog_ - a;
            std::array<inst, max_program> frag{};
            for (std::size_t i = 0; i < len; ++i) frag[i] = re.prog_[a + i];
            re.n_prog_ = a;
            auto copy = [&]() -> bool {
                for (std::size_t i = 0; i < len; ++i)
                    if (!re.emit(frag[i])) return false;
                return true;
            };
            for (std::size_t k = 0; k < lo; ++k)
                if (!copy()) return fail(errc::capacity_exceeded, "regex too long");
            if (unbounded) {
                // L: SPLIT(+1, out); frag; JMP L
                const std::size_t l = re.n_prog_;
                if (!re.emit({op::split, 0, 1, 0}) || !copy() || !re.emit({op::jmp, 0, 0, 0}))
                    return fail(errc::capacity_exceeded, "regex too long");
                re.prog_[re.n_prog_ - 1].x = static_cast<std::int16_t>(std::int64_t(l) - std::int64_t(re.n_prog_ - 1));
                re.prog_[l].y = static_cast<std::int16_t>(re.n_prog_ - l);
            } else {
                for (std::size_t k = lo; k < hi; ++k) {
                    const std::size_t s = re.n_prog_;
                    if (!re.emit({op::split, 0, 1, 0}) || !copy()) return fail(errc::capacity_exceeded, "regex too long");
                    re.prog_[s].y = static_cast<std::int16_t>(re.n_prog_ - s);
                }
            }
            return true;
        }

        constexpr bool new_class(std::size_t& idx) noexcept {
            if (re.n_classes_ == max_classes) return fail(errc::capacity_exceeded, "too many character classes in regex");
            idx = re.n_classes_++;
            re.classes_[idx] = {};
            return true;
        }
        constexpr void set(std::size_t c, unsigned char ch) noexcept { re.classes_[c][ch >> 6] |= (1ull << (ch & 63)); }
        constexpr void set_range(std::size_t c, unsigned char lo, unsigned char hi) noexcept {
            for (unsigned v = lo; v <= hi; ++v) set(c, static_cast<unsigned char>(v));
        }
        // \d \w \s into class c; returns false if `e` is not a class escape.
        constexpr bool class_escape(std::size_t c, char e) noexcept {
            const char l = (e >= 'A' && e <= 'Z') ? char(e - 'A' + 'a') : e;
            if (l != 'd' && l != 'w' && l != 's') return false;
            std::array<std::uint64_t, 4> bits{};
            auto put = [&](unsigned char ch) { bits[ch >> 6] |= (1ull << (ch & 63)); };
            if (l == 'd') for (char ch = '0'; ch <= '9'; ++ch) put(static_cast<unsigned char>(ch));
            if (l == 'w') {
                for (char ch = '0'; ch <= '9'; ++ch) put(static_cast<unsigned char>(ch));
                for (char ch = 'a'; ch <= 'z'; ++ch) put(static_cast<unsigned char>(ch));
                for (char ch = 'A'; ch <= 'Z'; ++ch) put(static_cast<unsigned char>(ch));
                put('_');
            }
            if (l == 's') for (char ch : {' ', '\t', '\n', '\r', '\f', '\v'}) put(static_cast<unsigned char>(ch));
            const bool negate = e != l;
            for (std::size_t w = 0; w < 4; ++w) re.classes_[c][w] |= negate ? ~bits[w] : bits[w];
            return true;
        }
        [[nodiscard]] static constexpr char literal_escape(char e) noexcept {
            switch (e) {
                case 't': return '\t';
                case 'n': return '\n';
                case 'r': return '\r';
                case 'f': return '\f';
                case 'v': return '\v';
                default: return e;
            }
        }

        constexpr bool bracket() noexcept {
            std::size_t c = 0;
            if (!new_class(c)) return false;
            bool negate = false;
            if (!at_end() && p[pos] == '^') { negate = true; ++pos; }
            bool first = true;
            while (!at_end() && (p[pos] != ']' || first)) {
                first = false;
                char lo = p[pos++];
                if (lo == '\\') {
                    if (at_end()) return fail(errc::invalid_argument, "trailing backslash in regex");
                    const char e = p[pos++];
                    if (class_escape(c, e)) continue;
                    lo = literal_escape(e);
                }
                if (pos + 1 < p.size() && p[pos] == '-' && p[pos + 1] != ']') {
                    ++pos;
                    char hi = p[pos++];
                    if (hi == '\\') {
                        if (at_end()) return fail(errc::invalid_argument, "trailing backslash in regex");
                        hi = literal_escape(p[pos++]);
                    }
                    if (static_cast<unsigned char>(hi) < static_cast<unsigned char>(lo))
                        return fail(errc::invalid_argument, "bad range in regex character class");
                    set_range(c, static_cast<unsigned char>(lo), static_cast<unsigned char>(hi));
                } else {
                    set(c, static_cast<unsigned char>(lo));
                }
            }
            if (at_end()) return fail(errc::invalid_argument, "unterminated [ in regex");
            ++pos;  // ']'
            if (negate)
                for (auto& w : re.classes_[c]) w = ~w;
            if (!re.emit({op::cls, static_cast<std::uint16_t>(c), 0, 0})) return fail(errc::capacity_exceeded, "regex too long");
            return true;
        }

        constexpr bool atom(int depth) noexcept {
            const char ch = p[pos++];
            auto emit = [&](inst in) { return re.emit(in) ? true : fail(errc::capacity_exceeded, "regex too long"); };
            switch (ch) {
                case '(': {
                    if (pos + 1 < p.size() && p[pos] == '?' && p[pos + 1] == ':') pos += 2;
                    else if (!at_end() && p[pos] == '?') return fail(errc::unsupported, "lookaround is not supported in -ot regex");
                    if (!alternation(depth + 1)) return false;
                    if (at_end() || p[pos] != ')') return fail(errc::invalid_argument, "missing ')' in regex");
                    ++pos;
                    return true;
                }
                case '[': return bracket();
                case '.': return emit({op::any, 0, 0, 0});
                case '^': return emit({op::bol, 0, 0, 0});
                case '$': return emit({op::eol, 0, 0, 0});
                case '*': case '+': case '?': case '{': --pos; return fail(errc::invalid_argument, "nothing to repeat in regex");
                case '\\': {
                    if (at_end()) return fail(errc::invalid_argument, "trailing backslash in regex");
                    const char e = p[pos++];
                    if (e == 'b' || e == 'B' || (e >= '1' && e <= '9'))
                        return fail(errc::unsupported, "word boundaries and back-references are not supported in -ot regex");
                    const char l = (e >= 'A' && e <= 'Z') ? char(e - 'A' + 'a') : e;
                    if (l == 'd' || l == 'w' || l == 's') {
                        std::size_t c = 0;
                        if (!new_class(c)) return false;
                        class_escape(c, e);
                        return emit({op::cls, static_cast<std::uint16_t>(c), 0, 0});
                    }
                    return emit({op::chr, static_cast<unsigned char>(literal_escape(e)), 0, 0});
                }
                default: return emit({op::chr, static_cast<unsigned char>(ch), 0, 0});
            }
        }
    };
};

}  // namespace llamaplan::detail

#endif  // LLAMAPLAN_DETAIL_REGEX_HPP
