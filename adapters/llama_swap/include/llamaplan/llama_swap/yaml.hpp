// SPDX-License-Identifier: MIT
// A small YAML reader for llama-swap configs: block mappings and sequences, flow collections, plain / quoted / block
// scalars and comments, with every scalar character traced back to the bytes of the file that produced it, so an
// edit can be written back in place. Anything outside that subset (anchors, aliases, tags, complex keys, tabs in
// indentation, several documents, CR line breaks) is an error naming the line, never a guess.
#ifndef LLAMAPLAN_LLAMA_SWAP_YAML_HPP
#define LLAMAPLAN_LLAMA_SWAP_YAML_HPP

#include <llamaplan/config.hpp>

#include <llamaplan/result.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::llama_swap {

/// A byte range [begin, end) of the config text (32-bit offsets: configs are limited to yaml_limits::max_bytes).
struct span {
    std::uint32_t begin = 0;  ///< first byte
    std::uint32_t end = 0;    ///< one past the last byte
    constexpr span() = default;
    /// The range [b, e).
    constexpr span(std::size_t b, std::size_t e) : begin(static_cast<std::uint32_t>(b)), end(static_cast<std::uint32_t>(e)) {}
};

/// Decoded text whose every byte remembers which bytes of the file produced it (an escape, a folded line break and
/// an expanded macro each trace to the whole source sequence).
struct traced_text {
    std::string text;        ///< the decoded bytes
    std::vector<span> from;  ///< from[i]: the source bytes of text[i]; same size as text
    /// Appends one byte produced by `src`.
    void push(char c, span src) { text.push_back(c); from.push_back(src); }
    /// Appends source bytes [b, e) of `t` unchanged, each traced to itself.
    void append_source(std::string_view t, std::size_t b, std::size_t e) {
        text.append(t.substr(b, e - b));
        from.reserve(from.size() + (e - b));
        for (std::size_t i = b; i < e; ++i) from.emplace_back(i, i + 1);
    }
};

/// How a scalar is written (YAML 1.2 §7-8).
enum class scalar_style : std::uint8_t { plain, single_quoted, double_quoted, literal, folded };

/// Kind of a YAML node.
enum class node_kind : std::uint8_t { null, scalar, mapping, sequence };

/// A node of the parsed document. Mappings hold keys and values alternately in `children`.
struct node {
    node_kind kind = node_kind::null;          ///< what it is
    scalar_style style = scalar_style::plain;  ///< scalars: how it is written
    bool flow = false;                         ///< written in (or inside) a flow collection `[...]` / `{...}`
    span where{};                              ///< source bytes of the node (scalars: indicator/quotes to content end)
    std::size_t line = 0;                      ///< 1-based line of the node's first byte
    traced_text value;                         ///< scalars: the decoded value
    std::vector<node> children;                ///< mapping: key, value, key, value...; sequence: items

    /// Mapping: the value of key `k`, or nullptr.
    [[nodiscard]] const node* find(std::string_view k) const {
        if (kind != node_kind::mapping) return nullptr;
        for (std::size_t i = 0; i + 1 < children.size(); i += 2)
            if (children[i].kind == node_kind::scalar && children[i].value.text == k) return &children[i + 1];
        return nullptr;
    }
    /// Mapping: number of entries; sequence: number of items.
    [[nodiscard]] std::size_t size() const noexcept {
        return kind == node_kind::mapping ? children.size() / 2 : children.size();
    }
};

/// Limits that bound the cost of hostile input.
struct yaml_limits {
    std::size_t max_bytes = 8u << 20;   ///< largest accepted text (bytes); each decoded byte costs 9 bytes of trace
    std::size_t max_depth = 64;         ///< deepest nesting of collections
};

/// 1-based line number of byte `pos` of `text`.
[[nodiscard]] inline std::size_t line_of(std::string_view text, std::size_t pos) noexcept {
    std::size_t line = 1;
    for (std::size_t i = 0; i < pos && i < text.size(); ++i)
        if (text[i] == '\n') ++line;
    return line;
}

namespace detail {

class yaml_parser {
public:
    yaml_parser(std::string_view t, yaml_limits lim) : t_(t), lim_(lim) {
        line_starts_.push_back(0);
        for (std::size_t i = 0; i < t.size(); ++i)
            if (t[i] == '\n') line_starts_.push_back(i + 1);
    }

    result<node> run() {
        if (t_.size() > lim_.max_bytes) return make_error(errc::overflow, "config file is too large", 0);
        for (std::size_t i = 0; i < t_.size(); ++i) {
            if (t_[i] == '\r') return fail_at("carriage return in the file: convert CRLF line endings to LF", i);
            if (t_[i] == '\0') return fail_at("NUL byte in the file", i);
        }
        if (t_.size() >= 3 && static_cast<unsigned char>(t_[0]) == 0xEF && static_cast<unsigned char>(t_[1]) == 0xBB &&
            static_cast<unsigned char>(t_[2]) == 0xBF)
            return fail_at("byte-order mark at the start of the file: save it as UTF-8 without BOM", 0);
        std::size_t pos = 0;
        // directives and a single leading document marker
        std::size_t first = next_content_line(0, false);
        if (first != npos && t_[first] == '%') return fail_at("YAML directives are not supported", first);
        if (first != npos && is_doc_marker(first, '-')) {
            const std::size_t e = eol(first);
            std::size_t p = first + 3;
            while (p < e && t_[p] == ' ') ++p;
            if (p < e && t_[p] != '#') return fail_at("content after the document marker is not supported", p);
            pos = e < t_.size() ? e + 1 : e;
        }
        node root;
        std::size_t next = pos;
        if (!parse_block(pos, -1, false, root, next)) return err_;
        const std::size_t rest = next_content_line(next, true);
        if (failed_) return err_;
        if (rest != npos) {
            if (is_doc_marker(rest, '-') || is_doc_marker(rest, '.'))
                return fail_at("several documents in one file are not supported", rest);
            return fail_at("unexpected content (bad indentation?)", rest);
        }
        return root;
    }

private:
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);
    std::string_view t_;
    yaml_limits lim_;
    std::vector<std::size_t> line_starts_;
    std::size_t depth_ = 0;
    bool failed_ = false;
    error err_{};

    error fail_at(std::string_view what, std::size_t pos) {
        if (!failed_) {
            failed_ = true;
            err_ = make_error(errc::unsupported, what, line_at(pos));
        }
        return err_;
    }
    bool fail(std::string_view what, std::size_t pos) {
        (void)fail_at(what, pos);
        return false;
    }
    [[nodiscard]] std::size_t line_at(std::size_t pos) const {
        std::size_t lo = 0, hi = line_starts_.size();
        while (hi - lo > 1) {
            const std::size_t mid = (lo + hi) / 2;
            if (line_starts_[mid] <= pos) lo = mid; else hi = mid;
        }
        return lo + 1;
    }
    [[nodiscard]] std::size_t line_start(std::size_t pos) const { return line_starts_[line_at(pos) - 1]; }
    [[nodiscard]] std::size_t eol(std::size_t pos) const {
        while (pos < t_.size() && t_[pos] != '\n') ++pos;
        return pos;
    }
    [[nodiscard]] std::size_t after_eol(std::size_t pos) const {
        const std::size_t e = eol(pos);
        return e < t_.size() ? e + 1 : e;
    }
    [[nodiscard]] bool is_doc_marker(std::size_t ls, char c) const {
        return ls + 3 <= t_.size() && t_[ls] == c && t_[ls + 1] == c && t_[ls + 2] == c &&
               (ls + 3 == t_.size() || t_[ls + 3] == ' ' || t_[ls + 3] == '\n');
    }
    /// The first line at or after line start `ls` with content other than blanks and comments; npos at the end.
    /// Tabs before content are an error (YAML forbids them in indentation).
    std::size_t next_content_line(std::size_t ls, bool check_tabs) {
        while (ls < t_.size()) {
            std::size_t p = ls;
            bool tab = false;
            while (p < t_.size() && (t_[p] == ' ' || t_[p] == '\t')) {
                if (t_[p] == '\t') tab = true;
                ++p;
            }
            if (p < t_.size() && t_[p] != '\n' && t_[p] != '#') {
                if (tab && check_tabs) {
                    (void)fail_at("tab in indentation", p);
                    return npos;
                }
                return ls;
            }
            ls = after_eol(ls);
        }
        return npos;
    }
    [[nodiscard]] std::size_t indent_of(std::size_t ls) const {
        std::size_t p = ls;
        while (p < t_.size() && t_[p] == ' ') ++p;
        return p - ls;
    }
    [[nodiscard]] bool is_seq_entry(std::size_t p) const {
        return p < t_.size() && t_[p] == '-' && (p + 1 == t_.size() || t_[p + 1] == ' ' || t_[p + 1] == '\n');
    }
    /// Skips spaces. Tabs are accepted only inside quoted and block scalars and comments: parsers disagree on
    /// them elsewhere (PyYAML refuses many that YAML 1.2 allows), so a tab there is refused, never guessed.
    [[nodiscard]] std::size_t skip_ws(std::size_t p) const {
        while (p < t_.size() && t_[p] == ' ') ++p;
        return p;
    }
    [[nodiscard]] bool at_line_end_or_comment(std::size_t p) const {
        p = skip_ws(p);
        return p >= t_.size() || t_[p] == '\n' || t_[p] == '#';
    }
    [[nodiscard]] std::size_t column(std::size_t p) const { return p - line_start(p); }

    bool enter(std::size_t pos) {
        if (++depth_ > lim_.max_depth) return fail("nesting is too deep", pos);
        return true;
    }

    /// Rejects the node properties and reserved indicators this reader does not support.
    bool check_indicator(std::size_t p) {
        const char c = t_[p];
        if (c == '\t') return fail("tab outside a quoted or block scalar", p);
        if (c == '&') return fail("YAML anchors (&) are not supported", p);
        if (c == '*') return fail("YAML aliases (*) are not supported", p);
        if (c == '!') return fail("YAML tags (!) are not supported", p);
        if (c == '%' || c == '@' || c == '`') return fail("reserved YAML indicator at the start of a scalar", p);
        if (c == ']' || c == '}' || c == ',') return fail("a flow indicator cannot start a plain scalar", p);
        if (c == ':' && (p + 1 >= t_.size() || t_[p + 1] == ' ' || t_[p + 1] == '\n'))
            return fail("empty mapping key", p);
        if (c == '?' && (p + 1 >= t_.size() || t_[p + 1] == ' ' || t_[p + 1] == '\n'))
            return fail("complex mapping keys (?) are not supported", p);
        return true;
    }

    /// Parses the block node whose content starts on a line at or after line start `ls`, more indented than
    /// `parent` (a block sequence may sit at the parent's indentation when `seq_at_parent`).
    bool parse_block(std::size_t ls, long parent, bool seq_at_parent, node& out, std::size_t& next) {
        next = ls;
        const std::size_t l = next_content_line(ls, true);
        if (failed_) return false;
        out = node{};
        out.line = line_at(ls < t_.size() ? ls : (t_.empty() ? 0 : t_.size() - 1));
        if (l == npos) return true;
        if (is_doc_marker(l, '-') || is_doc_marker(l, '.')) return true;  // reported by the caller
        const long n = static_cast<long>(indent_of(l));
        const std::size_t c = l + static_cast<std::size_t>(n);
        if (n < parent || (n == parent && !(seq_at_parent && is_seq_entry(c)))) return true;
        if (n == parent) return parse_block_seq(c, n, out, next);
        if (is_seq_entry(c)) return parse_block_seq(c, n, out, next);
        return parse_node_at(c, parent, n, out, next);
    }

    /// A node starting at `c` (column `n` when it opens a block mapping) inside a block of indentation `parent`.
    bool parse_node_at(std::size_t c, long parent, long n, node& out, std::size_t& next) {
        std::size_t key_end = 0;
        if (!check_indicator(c)) return false;
        if (looks_like_key(c, key_end)) return parse_block_map(c, n, out, next);
        if (failed_) return false;
        return parse_inline(c, parent, out, next);
    }

    /// True when a mapping key starts at `p`: a quoted or plain scalar on this line followed by ':' and a blank.
    bool looks_like_key(std::size_t p, std::size_t& colon) {
        const std::size_t e = eol(p);
        if (t_[p] == '"' || t_[p] == '\'') {
            const char q = t_[p];
            std::size_t i = p + 1;
            while (i < e) {
                if (q == '"' && t_[i] == '\\') { i += 2; continue; }
                if (t_[i] == q) {
                    if (q == '\'' && i + 1 < e && t_[i + 1] == '\'') { i += 2; continue; }
                    break;
                }
                ++i;
            }
            if (i >= e) return false;
            std::size_t j = skip_ws(i + 1);
            if (j < e && t_[j] == ':' && (j + 1 == t_.size() || t_[j + 1] == ' ' || t_[j + 1] == '\n')) {
                colon = j;
                return true;
            }
            return false;
        }
        if (t_[p] == '[' || t_[p] == '{' || t_[p] == '|' || t_[p] == '>') return false;
        for (std::size_t i = p; i < e; ++i) {
            if (t_[i] == '#' && i > p && (t_[i - 1] == ' ' || t_[i - 1] == '\t')) return false;
            if (t_[i] == ':' && (i + 1 == t_.size() || t_[i + 1] == ' ' || t_[i + 1] == '\n')) {
                colon = i;
                return true;
            }
        }
        return false;
    }

    bool parse_block_map(std::size_t c, long n, node& out, std::size_t& next) {
        if (!enter(c)) return false;
        out = node{};
        out.kind = node_kind::mapping;
        out.where.begin = c;
        out.line = line_at(c);
        std::size_t p = c;
        for (;;) {
            std::size_t colon = 0;
            if (!check_indicator(p)) return false;
            if (!looks_like_key(p, colon)) {
                if (failed_) return false;
                return fail("expected a 'key: value' entry", p);
            }
            node key;
            key.kind = node_kind::scalar;
            key.line = line_at(p);
            if (t_[p] == '"' || t_[p] == '\'') {
                std::size_t after = 0;
                if (!parse_quoted(p, -1, key, after, true)) return false;
            } else {
                std::size_t e = colon;
                while (e > p && t_[e - 1] == ' ') --e;
                for (std::size_t i = p; i < e; ++i)
                    if (t_[i] == '\t') return fail("tab outside a quoted or block scalar", i);
                key.style = scalar_style::plain;
                key.where = {p, e};
                key.value.append_source(t_, p, e);
                if (key.value.text == "<<") return fail("YAML merge keys (<<) are not supported", p);
            }
            for (std::size_t i = 0; i + 1 < out.children.size(); i += 2)
                if (out.children[i].value.text == key.value.text) return fail("duplicate mapping key", p);
            node value;
            std::size_t after = 0;
            const std::size_t v = skip_ws(colon + 1);
            if (at_line_end_or_comment(v)) {
                if (!parse_block(after_eol(colon), n, true, value, after)) return false;
            } else {
                if (!check_indicator(v)) return false;
                if (is_seq_entry(v)) return fail("a block sequence cannot start on the line of its key", v);
                std::size_t k2 = 0;
                if (t_[v] != '|' && t_[v] != '>' && looks_like_key(v, k2))
                    return fail("a mapping cannot start on the line of its key", v);
                if (!parse_inline(v, n, value, after)) return false;
            }
            out.children.push_back(std::move(key));
            out.children.push_back(std::move(value));
            out.where.end = after;
            next = after;
            const std::size_t l = next_content_line(after, true);
            if (failed_) return false;
            if (l == npos || is_doc_marker(l, '-') || is_doc_marker(l, '.')) break;
            const long m = static_cast<long>(indent_of(l));
            if (m < n) break;
            if (m > n) return fail("unexpected indentation", l + static_cast<std::size_t>(m));
            p = l + static_cast<std::size_t>(m);
            if (is_seq_entry(p)) return fail("a sequence entry where a mapping key was expected", p);
        }
        --depth_;
        return true;
    }

    bool parse_block_seq(std::size_t c, long n, node& out, std::size_t& next) {
        if (!enter(c)) return false;
        out = node{};
        out.kind = node_kind::sequence;
        out.where.begin = c;
        out.line = line_at(c);
        std::size_t p = c;
        for (;;) {
            node item;
            std::size_t after = 0;
            const std::size_t v = skip_ws(p + 1);
            if (at_line_end_or_comment(v)) {
                if (!parse_block(after_eol(p), n, false, item, after)) return false;
            } else {
                const long col = static_cast<long>(column(v));
                if (!check_indicator(v)) return false;
                if (is_seq_entry(v)) {
                    if (!parse_block_seq(v, col, item, after)) return false;
                } else if (!parse_node_at(v, n, col, item, after)) {
                    return false;
                }
            }
            out.children.push_back(std::move(item));
            out.where.end = after;
            next = after;
            const std::size_t l = next_content_line(after, true);
            if (failed_) return false;
            if (l == npos || is_doc_marker(l, '-') || is_doc_marker(l, '.')) break;
            const long m = static_cast<long>(indent_of(l));
            if (m < n) break;
            p = l + static_cast<std::size_t>(m);
            if (m > n) return fail("unexpected indentation", p);
            if (!is_seq_entry(p)) break;  // the parent mapping's next key, at the same indentation
        }
        --depth_;
        return true;
    }

    /// A node that starts at `p` in the middle of a line (after `key:` or `- `), inside a block of indentation
    /// `parent`. `next` becomes the start of the line after the node.
    bool parse_inline(std::size_t p, long parent, node& out, std::size_t& next) {
        out = node{};
        out.line = line_at(p);
        if (!check_indicator(p)) return false;
        const char c = t_[p];
        if (c == '|' || c == '>') return parse_block_scalar(p, parent, out, next);
        if (c == '"' || c == '\'') {
            std::size_t after = 0;
            if (!parse_quoted(p, parent, out, after, false)) return false;
            if (!at_line_end_or_comment(after)) return fail("unexpected text after a quoted scalar", after);
            next = after_eol(after);
            return true;
        }
        if (c == '[' || c == '{') {
            std::size_t after = 0;
            if (!parse_flow(p, out, after)) return false;
            if (!at_line_end_or_comment(after)) return fail("unexpected text after a flow collection", after);
            next = after_eol(after);
            return true;
        }
        return parse_plain(p, parent, out, next);
    }

    /// A plain scalar in block context, possibly continued on more-indented lines (folded with single spaces).
    bool parse_plain(std::size_t p, long parent, node& out, std::size_t& next) {
        out.kind = node_kind::scalar;
        out.style = scalar_style::plain;
        out.where.begin = p;
        std::size_t e = eol(p);
        std::size_t stop = e;
        bool comment = false;
        for (std::size_t i = p; i < e; ++i) {
            if (t_[i] == '#' && i > p && t_[i - 1] == ' ') { stop = i; comment = true; break; }
            if (t_[i] == ':' && (i + 1 == e || t_[i + 1] == ' ')) return fail("unexpected ': ' in a plain scalar", i);
            if (t_[i] == '\t') return fail("tab outside a quoted or block scalar", i);
        }
        while (stop > p && t_[stop - 1] == ' ') --stop;
        out.value.append_source(t_, p, stop);
        out.where.end = stop;
        next = after_eol(p);
        if (comment) return true;
        // continuation lines
        std::size_t ls = next;
        std::size_t prev_end = stop;
        for (;;) {
            std::size_t blank_lines = 0;
            std::size_t l = ls;
            while (l < t_.size()) {
                std::size_t q = l;
                while (q < t_.size() && (t_[q] == ' ' || t_[q] == '\t')) ++q;
                if (q < t_.size() && t_[q] != '\n') break;
                ++blank_lines;
                l = after_eol(l);
            }
            if (l >= t_.size()) break;
            const std::size_t q = skip_ws(l);
            if (t_[q] == '#') break;
            if (static_cast<long>(indent_of(l)) <= parent) break;
            if (is_doc_marker(l, '-') || is_doc_marker(l, '.')) break;
            std::size_t e2 = eol(q);
            std::size_t stop2 = e2;
            bool comment2 = false;
            for (std::size_t i = q; i < e2; ++i) {
                if (t_[i] == '#' && i > q && t_[i - 1] == ' ') { stop2 = i; comment2 = true; break; }
                if (t_[i] == ':' && (i + 1 == e2 || t_[i + 1] == ' '))
                    return fail("unexpected ': ' in a continued plain scalar", i);
                if (t_[i] == '\t') return fail("tab outside a quoted or block scalar", i);
            }
            while (stop2 > q && t_[stop2 - 1] == ' ') --stop2;
            const span gap{prev_end, q};
            if (blank_lines == 0) out.value.push(' ', gap);
            for (std::size_t k = 0; k < blank_lines; ++k) out.value.push('\n', gap);
            out.value.append_source(t_, q, stop2);
            out.where.end = stop2;
            prev_end = stop2;
            next = after_eol(q);
            ls = next;
            if (comment2) break;
        }
        return true;
    }

    /// Folds the line break at `brk` (a '\n' inside a quoted scalar): trailing blanks before it and leading blanks
    /// after it are dropped, one break becomes a space, each further empty line a '\n'. Returns the next position.
    std::size_t fold_break(std::size_t content_end, std::size_t brk, node& out, bool escaped) {
        std::size_t p = brk;
        std::size_t empties = 0;
        for (;;) {
            std::size_t q = p + 1;
            while (q < t_.size() && (t_[q] == ' ' || t_[q] == '\t')) ++q;
            if (q < t_.size() && t_[q] == '\n') {
                ++empties;
                p = q;
                continue;
            }
            const span gap{content_end, q};
            if (!escaped && empties == 0) out.value.push(' ', gap);
            for (std::size_t k = 0; k < empties; ++k) out.value.push('\n', gap);
            return q;
        }
    }

    /// A single- or double-quoted scalar starting at `p`; `after` is the byte after the closing quote.
    bool parse_quoted(std::size_t p, long parent, node& out, std::size_t& after, bool single_line) {
        (void)parent;
        const char q = t_[p];
        out.kind = node_kind::scalar;
        out.style = q == '"' ? scalar_style::double_quoted : scalar_style::single_quoted;
        out.where.begin = p;
        out.line = line_at(p);
        std::size_t i = p + 1;
        std::size_t content_end = i;  // end of the last non-blank content, for folding
        std::size_t pending_ws = npos;
        for (;;) {
            if (i >= t_.size()) return fail(q == '"' ? "unterminated double-quoted scalar" : "unterminated single-quoted scalar", p);
            const char c = t_[i];
            if (c == '\n') {
                if (single_line) return fail("a quoted key must be on one line", p);
                if (is_doc_marker(i + 1, '-') || is_doc_marker(i + 1, '.'))
                    return fail("document marker inside a quoted scalar", i + 1);
                // drop trailing blanks of this line
                if (pending_ws != npos) {
                    out.value.text.resize(pending_ws);
                    out.value.from.resize(pending_ws);
                }
                pending_ws = npos;
                i = fold_break(content_end, i, out, false);
                continue;
            }
            if (c == ' ' || c == '\t') {
                if (pending_ws == npos) pending_ws = out.value.text.size();
                out.value.push(c, {i, i + 1});
                ++i;
                continue;
            }
            pending_ws = npos;
            if (c == q) {
                if (q == '\'' && i + 1 < t_.size() && t_[i + 1] == '\'') {
                    out.value.push('\'', {i, i + 2});
                    i += 2;
                    content_end = i;
                    continue;
                }
                after = i + 1;
                out.where.end = after;
                return true;
            }
            if (q == '"' && c == '\\') {
                if (i + 1 >= t_.size()) return fail("unterminated double-quoted scalar", p);
                const char e = t_[i + 1];
                if (e == '\n') {  // escaped line break: joined without a space
                    if (single_line) return fail("a quoted key must be on one line", p);
                    i = fold_break(i, i + 1, out, true);
                    continue;
                }
                std::size_t len = 2;
                std::uint32_t cp = 0;
                bool is_cp = false;
                char simple = 0;
                switch (e) {
                    case '0': simple = '\0'; break;
                    case 'a': simple = '\a'; break;
                    case 'b': simple = '\b'; break;
                    case 't': case '\t': simple = '\t'; break;
                    case 'n': simple = '\n'; break;
                    case 'v': simple = '\v'; break;
                    case 'f': simple = '\f'; break;
                    case 'r': simple = '\r'; break;
                    case 'e': simple = '\x1b'; break;
                    case ' ': simple = ' '; break;
                    case '"': simple = '"'; break;
                    case '/': simple = '/'; break;
                    case '\\': simple = '\\'; break;
                    case 'N': cp = 0x85; is_cp = true; break;
                    case '_': cp = 0xA0; is_cp = true; break;
                    case 'L': cp = 0x2028; is_cp = true; break;
                    case 'P': cp = 0x2029; is_cp = true; break;
                    case 'x': case 'u': case 'U': {
                        const std::size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                        if (i + 2 + digits > t_.size()) return fail("bad escape in a double-quoted scalar", i);
                        for (std::size_t k = 0; k < digits; ++k) {
                            const char h = t_[i + 2 + k];
                            std::uint32_t d = 0;
                            if (h >= '0' && h <= '9') d = std::uint32_t(h - '0');
                            else if (h >= 'a' && h <= 'f') d = std::uint32_t(h - 'a' + 10);
                            else if (h >= 'A' && h <= 'F') d = std::uint32_t(h - 'A' + 10);
                            else return fail("bad escape in a double-quoted scalar", i);
                            cp = cp * 16 + d;
                        }
                        if (cp > 0x10FFFF) return fail("bad escape in a double-quoted scalar", i);
                        len = 2 + digits;
                        is_cp = true;
                        break;
                    }
                    default: return fail("unknown escape in a double-quoted scalar", i);
                }
                const span src{i, i + len};
                if (is_cp) {
                    char buf[4];
                    std::size_t nb = 0;
                    if (cp < 0x80) { buf[0] = char(cp); nb = 1; }
                    else if (cp < 0x800) { buf[0] = char(0xC0 | (cp >> 6)); buf[1] = char(0x80 | (cp & 0x3F)); nb = 2; }
                    else if (cp < 0x10000) {
                        buf[0] = char(0xE0 | (cp >> 12)); buf[1] = char(0x80 | ((cp >> 6) & 0x3F));
                        buf[2] = char(0x80 | (cp & 0x3F)); nb = 3;
                    } else {
                        buf[0] = char(0xF0 | (cp >> 18)); buf[1] = char(0x80 | ((cp >> 12) & 0x3F));
                        buf[2] = char(0x80 | ((cp >> 6) & 0x3F)); buf[3] = char(0x80 | (cp & 0x3F)); nb = 4;
                    }
                    for (std::size_t k = 0; k < nb; ++k) out.value.push(buf[k], src);
                } else {
                    out.value.push(simple, src);
                }
                i += len;
                content_end = i;
                continue;
            }
            out.value.push(c, {i, i + 1});
            ++i;
            content_end = i;
        }
    }

    /// A literal (|) or folded (>) block scalar whose header is at `p`, in a block of indentation `parent`.
    bool parse_block_scalar(std::size_t p, long parent, node& out, std::size_t& next) {
        out.kind = node_kind::scalar;
        out.style = t_[p] == '|' ? scalar_style::literal : scalar_style::folded;
        out.where.begin = p;
        out.line = line_at(p);
        const bool folded = out.style == scalar_style::folded;
        char chomp = 'c';
        long explicit_indent = 0;
        std::size_t i = p + 1;
        for (int k = 0; k < 2 && i < t_.size(); ++k) {
            if ((t_[i] == '-' || t_[i] == '+') && chomp == 'c') { chomp = t_[i]; ++i; }
            else if (t_[i] >= '1' && t_[i] <= '9' && explicit_indent == 0) { explicit_indent = t_[i] - '0'; ++i; }
        }
        if (i < t_.size() && t_[i] != ' ' && t_[i] != '\t' && t_[i] != '\n')
            return fail("bad block scalar header", i);
        if (!at_line_end_or_comment(i)) return fail("text after a block scalar header", skip_ws(i));
        const long base = parent < 0 ? 0 : parent;
        std::size_t ls = after_eol(p);
        out.where.end = ls;
        // content indentation
        long k = 0;
        if (explicit_indent > 0) {
            k = base + explicit_indent;
        } else {
            std::size_t l = ls;
            long max_blank = 0;
            while (l < t_.size()) {
                const long ind = static_cast<long>(indent_of(l));
                const std::size_t q = l + static_cast<std::size_t>(ind);
                if (q >= t_.size() || t_[q] == '\n') {
                    if (ind > max_blank) max_blank = ind;
                    l = after_eol(l);
                    continue;
                }
                k = ind;
                break;
            }
            if (k <= parent || k == 0) k = parent + 1;  // empty scalar: no content lines
            if (max_blank > k && l < t_.size()) return fail("leading empty line of a block scalar is more indented than its content", ls);
        }
        if (k < 1) k = 1;
        // collect lines
        struct line_info { std::size_t b, e, brk; bool empty, more; };
        std::vector<line_info> lines;
        std::size_t l = ls;
        while (l < t_.size()) {
            const long ind = static_cast<long>(indent_of(l));
            const std::size_t e = eol(l);
            const std::size_t q = l + static_cast<std::size_t>(ind);
            const bool blank = q >= e;
            if (!blank && ind < k) {
                if (t_[q] == '\t' && ind <= parent) break;
                if (t_[q] == '\t') return fail("tab in indentation", q);
                break;
            }
            if (!blank && (is_doc_marker(l, '-') || is_doc_marker(l, '.'))) break;
            line_info li{};
            li.brk = e;
            if (blank && ind <= k) {
                li.b = li.e = e;
                li.empty = true;
            } else {
                li.b = l + static_cast<std::size_t>(k);
                li.e = e;
                li.empty = false;
                li.more = t_[li.b] == ' ' || t_[li.b] == '\t';
            }
            lines.push_back(li);
            l = after_eol(l);
        }
        // trailing empty lines are kept only for '+' chomping; they still belong to the scalar
        std::size_t last = lines.size();
        while (last > 0 && lines[last - 1].empty) --last;
        traced_text& v = out.value;
        auto brk_span = [&](const line_info& li) { return span{li.brk, li.brk < t_.size() ? li.brk + 1 : li.brk}; };
        bool prev_normal = false;
        bool have_prev = false;
        std::size_t pending_empty = 0;
        const line_info* prev = nullptr;
        for (std::size_t j = 0; j < last; ++j) {
            const line_info& li = lines[j];
            if (li.empty) { ++pending_empty; continue; }
            if (!have_prev) {
                for (std::size_t m = 0; m < pending_empty; ++m) v.push('\n', brk_span(lines[j - pending_empty + m]));
            } else {
                const bool normal = !li.more;
                if (folded && prev_normal && normal) {
                    if (pending_empty == 0) v.push(' ', brk_span(*prev));
                    else for (std::size_t m = 0; m < pending_empty; ++m) v.push('\n', brk_span(lines[j - pending_empty + m]));
                } else {
                    v.push('\n', brk_span(*prev));
                    for (std::size_t m = 0; m < pending_empty; ++m) v.push('\n', brk_span(lines[j - pending_empty + m]));
                }
            }
            pending_empty = 0;
            v.append_source(t_, li.b, li.e);
            prev_normal = !li.more;
            have_prev = true;
            prev = &li;
            out.where.end = li.e;
        }
        if (have_prev && chomp != '-') {
            v.push('\n', brk_span(*prev));
            if (chomp == '+')
                for (std::size_t j = last; j < lines.size(); ++j) v.push('\n', brk_span(lines[j]));
        } else if (!have_prev && chomp == '+') {
            for (const auto& li : lines) v.push('\n', brk_span(li));
        }
        next = l;
        return true;
    }

    /// A flow collection `[...]` or `{...}` starting at `p`, possibly over several lines.
    bool parse_flow(std::size_t p, node& out, std::size_t& after) {
        if (!enter(p)) return false;
        const char open = t_[p];
        const char close = open == '[' ? ']' : '}';
        out = node{};
        out.kind = open == '[' ? node_kind::sequence : node_kind::mapping;
        out.flow = true;
        out.where.begin = p;
        out.line = line_at(p);
        std::size_t i = p + 1;
        bool expect_item = true;
        for (;;) {
            i = skip_flow_ws(i);
            if (failed_) return false;
            if (i >= t_.size()) return fail(open == '[' ? "unterminated flow sequence" : "unterminated flow mapping", p);
            if (t_[i] == close) { after = i + 1; out.where.end = after; break; }
            if (t_[i] == ',') {
                if (expect_item) return fail("empty entry in a flow collection", i);
                expect_item = true;
                ++i;
                continue;
            }
            if (!expect_item) return fail("expected ',' in a flow collection", i);
            node item;
            if (!parse_flow_scalar_or_collection(i, item, i)) return false;
            if (out.kind == node_kind::mapping) {
                i = skip_flow_ws(i);
                if (i >= t_.size() || t_[i] != ':') return fail("expected ':' in a flow mapping", i);
                ++i;
                i = skip_flow_ws(i);
                node value;
                if (i < t_.size() && (t_[i] == ',' || t_[i] == close)) {
                    value.line = line_at(i);
                } else if (!parse_flow_scalar_or_collection(i, value, i)) {
                    return false;
                }
                for (std::size_t k = 0; k + 1 < out.children.size(); k += 2)
                    if (out.children[k].value.text == item.value.text) return fail("duplicate mapping key", item.where.begin);
                out.children.push_back(std::move(item));
                out.children.push_back(std::move(value));
            } else {
                out.children.push_back(std::move(item));
            }
            expect_item = false;
        }
        --depth_;
        return true;
    }

    std::size_t skip_flow_ws(std::size_t i) {
        for (;;) {
            while (i < t_.size() && (t_[i] == ' ' || t_[i] == '\n')) ++i;
            if (i < t_.size() && t_[i] == '#' && i > 0 && (t_[i - 1] == ' ' || t_[i - 1] == '\n')) {
                i = eol(i);
                continue;
            }
            if (i < t_.size() && (t_[i - 1] == '\n') && (is_doc_marker(i, '-') || is_doc_marker(i, '.'))) {
                (void)fail_at("document marker inside a flow collection", i);
                return t_.size();
            }
            return i;
        }
    }

    bool parse_flow_scalar_or_collection(std::size_t i, node& out, std::size_t& after) {
        if (!check_indicator(i)) return false;
        const char c = t_[i];
        if (c == '[' || c == '{') return parse_flow(i, out, after);
        if (c == '"' || c == '\'') {
            if (!parse_quoted(i, -1, out, after, false)) return false;
            out.flow = true;
            return true;
        }
        if (c == '|' || c == '>') return fail("block scalar inside a flow collection", i);
        // plain scalar in flow context: ends at , [ ] { } or ': ' or ' #'; may not span lines here
        out = node{};
        out.kind = node_kind::scalar;
        out.flow = true;
        out.line = line_at(i);
        out.where.begin = i;
        std::size_t j = i;
        while (j < t_.size()) {
            const char d = t_[j];
            if (d == '\n' || d == ',' || d == '[' || d == ']' || d == '{' || d == '}') break;
            if (d == ':' && (j + 1 >= t_.size() || t_[j + 1] == ' ' || t_[j + 1] == '\n' || t_[j + 1] == ',' ||
                             t_[j + 1] == ']' || t_[j + 1] == '}'))
                break;
            if (d == '#' && j > i && t_[j - 1] == ' ') break;
            if (d == '\t') return fail("tab outside a quoted or block scalar", j);
            ++j;
        }
        std::size_t e = j;
        while (e > i && t_[e - 1] == ' ') --e;
        if (e == i) return fail("empty scalar in a flow collection", i);
        out.value.append_source(t_, i, e);
        out.where.end = e;
        after = e;
        return true;
    }
};

}  // namespace detail

/// Parses `text` (one YAML document, the subset described at the top of this file). Errors carry the 1-based line
/// in `error::where`.
[[nodiscard]] inline result<node> parse_yaml(std::string_view text, yaml_limits limits = {}) {
    detail::yaml_parser p(text, limits);
    return p.run();
}

}  // namespace llamaplan::llama_swap

#endif  // LLAMAPLAN_LLAMA_SWAP_YAML_HPP
