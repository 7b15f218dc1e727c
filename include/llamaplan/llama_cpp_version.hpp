// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_LLAMA_CPP_VERSION_HPP
#define LLAMAPLAN_LLAMA_CPP_VERSION_HPP

#include <llamaplan/config.hpp>

// The llama.cpp version a command line targets, and which flags it has: one row per flag that appeared or changed
// meaning, with the build (release tag bNNNN) and date of the commit that introduced it, found in llama.cpp's
// history of common/arg.cpp (git log -S). Emitters ask `supports()` instead of comparing versions themselves.

#include <array>
#include <cstdint>
#include <string_view>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG {

/// A llama.cpp release: its build number (the `bNNNN` tag).
struct llama_cpp_version {
    std::uint32_t build = 10573;  ///< build number; the default is the commit the memory model was measured against
                                  ///< (3f545bec = b10573 + 14 commits, 2026-08-23)
};

/// The oldest build a plan can target: the first with `-kvu` (b5913, 2025-07-16).
inline constexpr std::uint32_t oldest_supported_build = 5913;

/// Flags whose presence or meaning depends on the version.
enum class flag_feature : std::uint8_t {
    kv_unified,     ///< `-kvu`
    swa_full,       ///< `--swa-full`
    no_repack,      ///< `--no-repack`
    cpu_moe,        ///< `--cpu-moe`
    n_cpu_moe,      ///< `--n-cpu-moe N`
    fa_value,       ///< `-fa on|off|auto` takes a value (before: `-fa` was a switch, off by default)
    cache_ram,      ///< `-cram MiB` host prompt cache (llama-server)
    fit,            ///< `--fit on|off` (on by default: a plan that sets placement says `--fit off`)
    no_kv_unified,  ///< `-no-kvu`
    load_mode,      ///< `--load-mode MODE` (before: `--no-mmap`, `--mlock`)
};

/// Number of flag_feature values.
inline constexpr std::size_t flag_feature_count = 10;

/// When a flag appeared.
struct flag_history {
    flag_feature feature{};       ///< which flag
    std::string_view spelling{};  ///< its spelling
    std::uint32_t since_build = 0;///< first release tag containing it
    std::string_view date{};      ///< date of the commit (YYYY-MM-DD)
    std::string_view change{};    ///< the pull request
};

/// The table (ggml-org/llama.cpp history of common/arg.cpp).
inline constexpr std::array<flag_history, flag_feature_count> flag_histories = {{
    {flag_feature::kv_unified, "-kvu", 5913, "2025-07-16", "#14363 llama : add high-throughput mode"},
    {flag_feature::swa_full, "--swa-full", 5429, "2025-05-20", "#13194 kv-cache : add SWA support"},
    {flag_feature::no_repack, "--no-repack", 6049, "2025-07-31", "#14990 llama : allow other bufts when overriding to CPU, add --no-repack option"},
    {flag_feature::cpu_moe, "--cpu-moe", 6051, "2025-07-31", "#14992 llama : add simple option to enable CPU for MoE weights"},
    {flag_feature::n_cpu_moe, "--n-cpu-moe", 6089, "2025-08-04", "#15077 llama : add --n-cpu-moe option"},
    {flag_feature::fa_value, "-fa on|off|auto", 6325, "2025-08-30", "#15434 llama: use FA + max. GPU layers by default"},
    {flag_feature::cache_ram, "-cram", 6724, "2025-10-09", "#16391 server : host-memory prompt caching"},
    {flag_feature::fit, "--fit", 7416, "2025-12-15", "#16653 llama: automatically set parameters not set by the user"},
    {flag_feature::no_kv_unified, "-no-kvu", 7869, "2026-01-28", "#19145 cuda : fix \"V is K view\" check for non-unified KV cache (adds -no-kvu)"},
    {flag_feature::load_mode, "--load-mode", 10108, "2026-07-23", "#20834 args: refactor mlock/mmap/directio into load-mode"},
}};

/// True if build `v` has the flag.
[[nodiscard]] constexpr bool supports(llama_cpp_version v, flag_feature f) noexcept {
    for (const auto& h : flag_histories)
        if (h.feature == f) return v.build >= h.since_build;
    return false;
}

/// Parses a target: a build number ("6325", "b6325") or a date ("2025-08-30": the newest build in the table released
/// on or before it, which has every flag that existed then). False for anything else or older than the oldest
/// supported build.
[[nodiscard]] constexpr bool parse_llama_cpp_version(std::string_view s, llama_cpp_version& out) noexcept {
    auto digits = [](std::string_view d, std::uint32_t& v) {
        if (d.empty() || d.size() > 9) return false;
        v = 0;
        for (char c : d) {
            if (c < '0' || c > '9') return false;
            v = v * 10 + std::uint32_t(c - '0');
        }
        return true;
    };
    std::uint32_t build = 0;
    if (s.size() == 10 && s[4] == '-' && s[7] == '-') {
        std::uint32_t y = 0, m = 0, d = 0;
        if (!digits(s.substr(0, 4), y) || !digits(s.substr(5, 2), m) || !digits(s.substr(8, 2), d) || m < 1 || m > 12 ||
            d < 1 || d > 31)
            return false;
        // the release points known here, oldest first: each flag's first build, and the default target
        for (const auto& h : flag_histories)
            if (h.date <= s) build = std::max(build, h.since_build);
        if (s >= std::string_view("2026-08-23")) build = std::max(build, llama_cpp_version{}.build);
        if (build == 0) return false;
    } else {
        if (!s.empty() && (s[0] == 'b' || s[0] == 'B')) s.remove_prefix(1);
        if (!digits(s, build)) return false;
    }
    if (build < oldest_supported_build) return false;
    out.build = build;
    return true;
}

}  // namespace llamaplan

#endif  // LLAMAPLAN_LLAMA_CPP_VERSION_HPP
