// SPDX-License-Identifier: MIT
// Memory bandwidth: a documented table of common GPUs and Apple SoCs, the NVML clock/bus-width estimate,
// DRAM arithmetic, and an opt-in, time-bounded measurement of host memory bandwidth.
#ifndef LLAMAPLAN_PROBE_BANDWIDTH_HPP
#define LLAMAPLAN_PROBE_BANDWIDTH_HPP

#include <llamaplan/config.hpp>

#include <llamaplan/devices.hpp>

#include <algorithm>
#include <array>
#include <iterator>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string_view>
#include <thread>
#include <vector>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::probe {

/// One row of the bandwidth table.
struct bandwidth_entry {
    std::string_view key;     ///< matched case-insensitively as a whole-word substring of the device name
    std::uint64_t gb_per_s;   ///< peak memory bandwidth (GB/s = 1e9 bytes/s)
    std::string_view source;  ///< where the figure comes from
};

/// Peak memory bandwidth of common accelerators and Apple SoCs, one row per row of the core's device table
/// (include/llamaplan/devices.hpp, the single source of these figures and their sources). Longest matching key wins.
[[nodiscard]] constexpr std::array<bandwidth_entry, std::size(device_table)> make_bandwidth_table() noexcept {
    std::array<bandwidth_entry, std::size(device_table)> t{};
    for (std::size_t i = 0; i < t.size(); ++i)
        t[i] = {device_table[i].name, static_cast<std::uint64_t>(device_table[i].bandwidth_gbs), device_table[i].source};
    return t;
}
/// The table lookup_bandwidth searches.
inline constexpr auto bandwidth_table = make_bandwidth_table();

namespace detail {
[[nodiscard]] constexpr char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
[[nodiscard]] constexpr bool alnum(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
/// True when `key` occurs in `name` case-insensitively with word boundaries on both sides.
[[nodiscard]] constexpr bool contains_word(std::string_view name, std::string_view key) noexcept {
    if (key.empty() || key.size() > name.size()) return false;
    for (std::size_t i = 0; i + key.size() <= name.size(); ++i) {
        bool eq = true;
        for (std::size_t k = 0; k < key.size() && eq; ++k) eq = lower(name[i + k]) == lower(key[k]);
        if (!eq) continue;
        const bool left = i == 0 || !alnum(name[i - 1]);
        const bool right = i + key.size() == name.size() || !alnum(name[i + key.size()]);
        if (left && right) return true;
    }
    return false;
}
}  // namespace detail

/// The table row whose key best (longest) matches a device or chip name, or nullptr.
[[nodiscard]] constexpr const bandwidth_entry* lookup_bandwidth(std::string_view name) noexcept {
    const bandwidth_entry* best = nullptr;
    for (const auto& e : bandwidth_table)
        if (detail::contains_word(name, e.key) && (!best || e.key.size() > best->key.size())) best = &e;
    return best;
}

/// NVML-based estimate (bytes/s): bus width (bits) / 8 x max memory clock (MHz) x 2 transfers per clock.
/// Heuristic: NVML reports GDDR6/6X/7 and HBM clocks such that x2 reproduces the vendor figures
/// (RTX 4090: 384 bit, 10501 MHz -> 1008 GB/s; A100: 5120 bit, 1215 MHz -> 1555 GB/s), but this is not documented.
[[nodiscard]] constexpr std::uint64_t nvml_bandwidth_estimate(std::uint32_t bus_width_bits, std::uint32_t mem_clock_mhz) noexcept {
    return static_cast<std::uint64_t>(bus_width_bits) / 8 * static_cast<std::uint64_t>(mem_clock_mhz) * 1000000ull * 2;
}

/// Peak DRAM bandwidth (bytes/s): the core's channels x MT/s x 8 bytes arithmetic (llamaplan/devices.hpp).
using llamaplan::dram_bandwidth;

/// Measures host memory read bandwidth (bytes/s) by summing a buffer with `threads` threads for at most
/// about `budget` (0.5 s by default). Opt-in: it allocates `bytes` (64 MiB default) and burns CPU time.
/// Returns 0 when allocation fails. A lower bound of the peak: a scalar-ish read loop, no streaming stores.
[[nodiscard]] inline std::uint64_t measure_host_bandwidth(std::uint32_t threads = 0,
                                                          std::chrono::milliseconds budget = std::chrono::milliseconds(500),
                                                          std::size_t bytes = std::size_t{64} << 20) {
    if (threads == 0) threads = std::max(1u, std::min(8u, std::thread::hardware_concurrency()));
    const std::size_t words = bytes / sizeof(std::uint64_t);
    if (words == 0) return 0;
    std::unique_ptr<std::uint64_t[]> buf(new (std::nothrow) std::uint64_t[words]);
    if (!buf) return 0;
    for (std::size_t i = 0; i < words; ++i) buf[i] = i;  // touch every page
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + budget;
    std::vector<std::uint64_t> bytes_read(threads, 0), sums(threads, 0);
    const auto start = clock::now();
    {
        std::vector<std::thread> pool;
        for (std::uint32_t t = 0; t < threads; ++t) {
            pool.emplace_back([&, t] {
                const std::size_t chunk = words / threads;
                const std::uint64_t* p = buf.get() + chunk * t;
                std::uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                do {
                    for (std::size_t i = 0; i + 4 <= chunk; i += 4) {
                        s0 += p[i];
                        s1 += p[i + 1];
                        s2 += p[i + 2];
                        s3 += p[i + 3];
                    }
                    bytes_read[t] += chunk * sizeof(std::uint64_t);
                } while (clock::now() < deadline);
                sums[t] = s0 + s1 + s2 + s3;
            });
        }
        for (auto& th : pool) th.join();
    }
    const double secs = std::chrono::duration<double>(clock::now() - start).count();
    std::uint64_t total = 0, sink = 0;
    for (std::uint32_t t = 0; t < threads; ++t) {
        total += bytes_read[t];
        sink ^= sums[t];
    }
    volatile std::uint64_t keep = sink;  // keeps the sums (and so the reads) alive
    (void)keep;
    return secs > 0 ? static_cast<std::uint64_t>(static_cast<double>(total) / secs) : 0;
}

}  // namespace llamaplan::probe

#endif  // LLAMAPLAN_PROBE_BANDWIDTH_HPP
