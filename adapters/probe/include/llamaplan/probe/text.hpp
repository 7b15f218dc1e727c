// SPDX-License-Identifier: MIT
// Text helpers shared by the probe parsers: trimming, strict integers, cpulists, bounded file reads.
#ifndef LLAMAPLAN_PROBE_TEXT_HPP
#define LLAMAPLAN_PROBE_TEXT_HPP

#include <llamaplan/config.hpp>

#include <llamaplan/result.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <locale>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::probe {

namespace detail {
/// Parses all of `s` as a floating-point number, correctly rounded, independent of the global locale: std::from_chars
/// where the standard library has it for double (libstdc++ 11+), else a stream in the classic locale (libc++ before
/// 20 has no floating-point from_chars; its num_get rounds correctly). False when any character is left over.
[[nodiscard]] inline bool parse_double(std::string_view s, double& out) {
#if defined(__cpp_lib_to_chars)
    const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc{} && r.ptr == s.data() + s.size();
#else
    std::istringstream in{std::string(s)};
    in.imbue(std::locale::classic());
    double v = 0;
    in >> std::noskipws >> v;
    if (in.fail() || !in.eof()) return false;
    out = v;
    return true;
#endif
}
}  // namespace detail

/// `s` without leading and trailing ASCII whitespace (space, tab, CR, LF).
[[nodiscard]] constexpr std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
    return s;
}

/// Splits on '\n' (a trailing newline gives no empty last line); CRs are kept (callers trim).
[[nodiscard]] inline std::vector<std::string_view> split_lines(std::string_view s) {
    std::vector<std::string_view> out;
    while (!s.empty()) {
        const auto nl = s.find('\n');
        out.push_back(s.substr(0, nl));
        if (nl == std::string_view::npos) break;
        s.remove_prefix(nl + 1);
    }
    return out;
}

/// Splits on `sep`, keeping empty fields.
[[nodiscard]] inline std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    for (;;) {
        const auto p = s.find(sep);
        out.push_back(s.substr(0, p));
        if (p == std::string_view::npos) break;
        s.remove_prefix(p + 1);
    }
    return out;
}

/// Strict unsigned decimal (digits only, no sign, no spaces, fits 64 bits).
[[nodiscard]] inline bool parse_u64(std::string_view s, std::uint64_t& out) noexcept {
    if (s.empty() || s.size() > 20) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

/// Strict signed decimal (optional leading '-').
[[nodiscard]] inline bool parse_i64(std::string_view s, std::int64_t& out) noexcept {
    if (s.empty() || s.size() > 20) return false;
    const std::size_t start = s[0] == '-' ? 1 : 0;
    if (start == s.size()) return false;
    for (std::size_t i = start; i < s.size(); ++i)
        if (s[i] < '0' || s[i] > '9') return false;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

/// Strict decimal with an optional fraction ("1.5", "3"); no exponent, no sign.
[[nodiscard]] inline bool parse_decimal(std::string_view s, double& out) noexcept {
    if (s.empty() || s.size() > 32) return false;
    bool dot = false, digit = false;
    for (char c : s) {
        if (c == '.') {
            if (dot) return false;
            dot = true;
        } else if (c >= '0' && c <= '9') {
            digit = true;
        } else {
            return false;
        }
    }
    if (!digit) return false;
    return detail::parse_double(s, out);
}

/// Largest CPU number a cpulist may name (Linux NR_CPUS tops out at 8192; leave headroom).
inline constexpr std::uint32_t max_cpu_id = 65535;

/// Parses a Linux cpulist ("0-3,8,10-11", kernel Documentation/admin-guide/cgroup-v2.rst and
/// /sys/devices/system/cpu/online); an empty (or whitespace) list is valid and empty. Sorted, unique.
[[nodiscard]] inline result<std::vector<std::uint32_t>> parse_cpulist(std::string_view text) {
    std::vector<std::uint32_t> cpus;
    text = trim(text);
    if (text.empty()) return cpus;
    std::uint64_t where = 0;
    for (std::string_view part : split(text, ',')) {
        const std::string_view p = trim(part);
        const auto dash = p.find('-');
        std::uint64_t lo = 0, hi = 0;
        if (dash == std::string_view::npos) {
            if (!parse_u64(p, lo)) return make_error(errc::invalid_argument, "cpulist: not a CPU number", where);
            hi = lo;
        } else {
            std::string_view range_step = p.substr(dash + 1);
            std::uint64_t step = 1;
            if (const auto colon = range_step.find(':'); colon != std::string_view::npos) {
                // "0-7:2/4" group syntax is only used for isolcpus; accept the stride part only.
                const std::string_view stride = range_step.substr(colon + 1);
                const auto slash = stride.find('/');
                if (!parse_u64(stride.substr(0, slash), step) || step == 0)
                    return make_error(errc::invalid_argument, "cpulist: bad stride", where);
                range_step = range_step.substr(0, colon);
            }
            if (!parse_u64(p.substr(0, dash), lo) || !parse_u64(range_step, hi))
                return make_error(errc::invalid_argument, "cpulist: bad range", where);
            if (hi < lo) return make_error(errc::invalid_argument, "cpulist: range end before start", where);
            if (hi > max_cpu_id) return make_error(errc::overflow, "cpulist: CPU number too large", where);
            if (cpus.size() + (hi - lo) / step + 1 > 4 * (max_cpu_id + 1))
                return make_error(errc::overflow, "cpulist: too many entries", where);
            for (std::uint64_t c = lo; c <= hi; c += step) cpus.push_back(static_cast<std::uint32_t>(c));
            where += part.size() + 1;
            continue;
        }
        if (hi > max_cpu_id) return make_error(errc::overflow, "cpulist: CPU number too large", where);
        if (cpus.size() >= 4 * (max_cpu_id + 1)) return make_error(errc::overflow, "cpulist: too many entries", where);
        cpus.push_back(static_cast<std::uint32_t>(lo));
        where += part.size() + 1;
    }
    std::sort(cpus.begin(), cpus.end());
    cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
    return cpus;
}

/// Sorted intersection of two sorted CPU sets.
[[nodiscard]] inline std::vector<std::uint32_t> intersect(const std::vector<std::uint32_t>& a,
                                                          const std::vector<std::uint32_t>& b) {
    std::vector<std::uint32_t> out;
    std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
    return out;
}

/// Reads at most `max_bytes` of a file (sysfs and procfs files report size 0, so read until EOF).
/// nullopt when it cannot be opened or read.
[[nodiscard]] inline std::optional<std::string> read_file(const std::string& path, std::size_t max_bytes = 1u << 20) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return std::nullopt;
    std::string out;
    char buf[4096];
    bool failed = false;
    while (out.size() < max_bytes) {
        const std::size_t want = std::min(sizeof buf, max_bytes - out.size());
        const std::size_t n = std::fread(buf, 1, want, f);
        out.append(buf, n);
        if (n < want) {
            failed = std::ferror(f) != 0;
            break;
        }
    }
    std::fclose(f);
    if (failed) return std::nullopt;
    return out;
}

/// Joins a root directory and an absolute path ("/" + "/proc/meminfo"; "/tmp/r/" + "/proc" -> "/tmp/r/proc").
[[nodiscard]] inline std::string join_root(std::string_view root, std::string_view abs_path) {
    std::string out(root);
    while (!out.empty() && out.back() == '/') out.pop_back();
    if (abs_path.empty() || abs_path.front() != '/') out += '/';
    out += abs_path;
    return out;
}

/// Human-readable bytes ("23.5 GiB"), for tables.
[[nodiscard]] inline std::string format_bytes(std::uint64_t bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = static_cast<double>(bytes);
    std::size_t u = 0;
    while (v >= 1024.0 && u + 1 < sizeof units / sizeof units[0]) {
        v /= 1024.0;
        ++u;
    }
    char buf[48];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
    return buf;
}

}  // namespace llamaplan::probe

#endif  // LLAMAPLAN_PROBE_TEXT_HPP
