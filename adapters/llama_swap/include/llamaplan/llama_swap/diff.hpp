// SPDX-License-Identifier: MIT
// A unified diff of two texts (`diff -u` format, 3 lines of context), for `--dry-run`. Pure.
#ifndef LLAMAPLAN_LLAMA_SWAP_DIFF_HPP
#define LLAMAPLAN_LLAMA_SWAP_DIFF_HPP

#include <llamaplan/config.hpp>

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::llama_swap {

namespace detail {

struct diff_line {
    std::string_view text;  ///< without its '\n'
    bool newline = true;    ///< ends with '\n'
};

[[nodiscard]] inline std::vector<diff_line> split_lines(std::string_view t) {
    std::vector<diff_line> out;
    std::size_t b = 0;
    while (b < t.size()) {
        const std::size_t e = t.find('\n', b);
        if (e == std::string_view::npos) {
            out.push_back({t.substr(b), false});
            break;
        }
        out.push_back({t.substr(b, e - b), true});
        b = e + 1;
    }
    return out;
}

[[nodiscard]] inline bool same(const diff_line& a, const diff_line& b) { return a.text == b.text && a.newline == b.newline; }

/// Edit script between a[ab, ae) and b[bb, be) by Myers' O(ND) algorithm; 'd' delete, 'i' insert, '=' keep.
/// Beyond `max_d` differences it falls back to deleting all of a and inserting all of b.
[[nodiscard]] inline std::string myers(const std::vector<diff_line>& a, std::size_t ab, std::size_t ae,
                                       const std::vector<diff_line>& b, std::size_t bb, std::size_t be,
                                       std::size_t max_d) {
    const long n = static_cast<long>(ae - ab), m = static_cast<long>(be - bb);
    const long max = std::min<long>(n + m, static_cast<long>(max_d));
    std::vector<std::vector<long>> trace;
    std::vector<long> v(static_cast<std::size_t>(2 * max + 3), 0);
    const long off = max + 1;
    long found = -1;
    for (long d = 0; d <= max && found < 0; ++d) {
        for (long k = -d; k <= d; k += 2) {
            long x = (k == -d || (k != d && v[static_cast<std::size_t>(off + k - 1)] < v[static_cast<std::size_t>(off + k + 1)]))
                         ? v[static_cast<std::size_t>(off + k + 1)]
                         : v[static_cast<std::size_t>(off + k - 1)] + 1;
            long y = x - k;
            while (x < n && y < m && same(a[ab + static_cast<std::size_t>(x)], b[bb + static_cast<std::size_t>(y)])) { ++x; ++y; }
            v[static_cast<std::size_t>(off + k)] = x;
            if (x >= n && y >= m) { found = d; break; }
        }
        trace.emplace_back(v.begin() + (off - d), v.begin() + (off + d + 1));
    }
    if (found < 0) return std::string(static_cast<std::size_t>(n), 'd') + std::string(static_cast<std::size_t>(m), 'i');
    std::string ops;
    long x = n, y = m;
    for (long d = found; d > 0; --d) {
        const auto& pv = trace[static_cast<std::size_t>(d - 1)];  // v after step d-1, indices k in [-(d-1), d-1]
        auto at = [&](long k) { return pv[static_cast<std::size_t>(k + d - 1)]; };
        const long k = x - y;
        const bool down = k == -d || (k != d && at(k - 1) < at(k + 1));
        const long pk = down ? k + 1 : k - 1;
        const long px = at(pk), py = px - pk;
        while (x > px + (down ? 0 : 1) && y > py + (down ? 1 : 0)) { ops.push_back('='); --x; --y; }
        ops.push_back(down ? 'i' : 'd');
        x = px;
        y = py;
    }
    while (x > 0 && y > 0) { ops.push_back('='); --x; --y; }
    std::reverse(ops.begin(), ops.end());
    return ops;
}

}  // namespace detail

/// The unified diff turning `before` into `after`, labelled `--- from` / `+++ to`; empty when they are equal.
/// `context`: unchanged lines around each change. Above `max_changes` differing lines the changed region is shown
/// as one replacement (bounded time and memory).
[[nodiscard]] inline std::string unified_diff(std::string_view before, std::string_view after, std::string_view from,
                                              std::string_view to, std::size_t context = 3,
                                              std::size_t max_changes = 4096) {
    if (before == after) return {};
    const auto a = detail::split_lines(before);
    const auto b = detail::split_lines(after);
    std::size_t pre = 0;
    while (pre < a.size() && pre < b.size() && detail::same(a[pre], b[pre])) ++pre;
    std::size_t suf = 0;
    while (suf < a.size() - pre && suf < b.size() - pre && detail::same(a[a.size() - 1 - suf], b[b.size() - 1 - suf])) ++suf;
    std::string ops = std::string(pre, '=') + detail::myers(a, pre, a.size() - suf, b, pre, b.size() - suf, max_changes) +
                      std::string(suf, '=');
    // walk the script and emit hunks
    std::string out;
    out += "--- ";
    out += from;
    out += "\n+++ ";
    out += to;
    out += "\n";
    std::vector<std::size_t> ai(ops.size() + 1), bi(ops.size() + 1);
    for (std::size_t i = 0, x = 0, y = 0; i <= ops.size(); ++i) {
        ai[i] = x;
        bi[i] = y;
        if (i < ops.size()) {
            if (ops[i] != 'i') ++x;
            if (ops[i] != 'd') ++y;
        }
    }
    auto emit = [&](char tag, const detail::diff_line& l) {
        out.push_back(tag);
        out += l.text;
        out.push_back('\n');
        if (!l.newline) out += "\\ No newline at end of file\n";
    };
    std::size_t i = 0;
    while (i < ops.size()) {
        if (ops[i] == '=') { ++i; continue; }
        // hunk from i - context to the end of the last change followed by fewer than 2*context+1 equal lines
        std::size_t start = i >= context ? i - context : 0;
        std::size_t end = i;
        for (;;) {
            while (end < ops.size() && ops[end] != '=') ++end;
            std::size_t eq = end;
            while (eq < ops.size() && ops[eq] == '=') ++eq;
            if (eq < ops.size() && eq - end <= 2 * context) { end = eq; continue; }
            end = std::min(ops.size(), end + context);
            break;
        }
        std::size_t na = 0, nb = 0;
        for (std::size_t k = start; k < end; ++k) {
            if (ops[k] != 'i') ++na;
            if (ops[k] != 'd') ++nb;
        }
        out += "@@ -" + std::to_string(na == 0 ? ai[start] : ai[start] + 1) + "," + std::to_string(na) + " +" +
               std::to_string(nb == 0 ? bi[start] : bi[start] + 1) + "," + std::to_string(nb) + " @@\n";
        for (std::size_t k = start; k < end; ++k) {
            if (ops[k] == '=') emit(' ', a[ai[k]]);
            else if (ops[k] == 'd') emit('-', a[ai[k]]);
            else emit('+', b[bi[k]]);
        }
        i = end;
    }
    return out;
}

}  // namespace llamaplan::llama_swap

#endif  // LLAMAPLAN_LLAMA_SWAP_DIFF_HPP
