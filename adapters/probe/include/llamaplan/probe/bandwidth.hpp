// SPDX-License-Identifier: MIT
// Memory bandwidth: a documented table of common GPUs and Apple SoCs, the NVML clock/bus-width estimate,
// DRAM arithmetic, and an opt-in, time-bounded measurement of host memory bandwidth.
#ifndef LLAMAPLAN_PROBE_BANDWIDTH_HPP
#define LLAMAPLAN_PROBE_BANDWIDTH_HPP

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string_view>
#include <thread>
#include <vector>

namespace llamaplan::probe {

/// One row of the bandwidth table.
struct bandwidth_entry {
    std::string_view key;     ///< matched case-insensitively as a whole-word substring of the device name
    std::uint64_t gb_per_s;   ///< peak memory bandwidth (GB/s = 1e9 bytes/s)
    std::string_view source;  ///< where the figure comes from
};

// Sources:
//  [nv]   NVIDIA product pages / datasheets (peak memory bandwidth as listed by the vendor).
//  [amd]  AMD product pages (peak memory bandwidth as listed by the vendor).
//  [apl]  /work/shared/public/apple_silicon.csv, column bw_gbs, from llama.cpp discussion #4167's table.
//  [aplv] Apple's published specification (chip not in the #4167 table).
/// Peak memory bandwidth of common accelerators and Apple SoCs. Longest matching key wins.
inline constexpr bandwidth_entry bandwidth_table[] = {
    // NVIDIA GeForce
    {"RTX 5090", 1792, "NVIDIA spec (GDDR7, 512-bit, 28 Gbps)"},
    {"RTX 5080", 960, "NVIDIA spec (GDDR7, 256-bit, 30 Gbps)"},
    {"RTX 5070 Ti", 896, "NVIDIA spec (GDDR7, 256-bit, 28 Gbps)"},
    {"RTX 5070", 672, "NVIDIA spec (GDDR7, 192-bit, 28 Gbps)"},
    {"RTX 5060 Ti", 448, "NVIDIA spec (GDDR7, 128-bit, 28 Gbps)"},
    {"RTX 4090", 1008, "NVIDIA spec (GDDR6X, 384-bit, 21 Gbps)"},
    {"RTX 4090 D", 1008, "NVIDIA spec (GDDR6X, 384-bit, 21 Gbps)"},
    {"RTX 4080 SUPER", 736, "NVIDIA spec (GDDR6X, 256-bit, 23 Gbps)"},
    {"RTX 4080", 717, "NVIDIA spec (GDDR6X, 256-bit, 22.4 Gbps)"},
    {"RTX 4070 Ti SUPER", 672, "NVIDIA spec (GDDR6X, 256-bit, 21 Gbps)"},
    {"RTX 4070 Ti", 504, "NVIDIA spec (GDDR6X, 192-bit, 21 Gbps)"},
    {"RTX 4070 SUPER", 504, "NVIDIA spec (GDDR6X, 192-bit, 21 Gbps)"},
    {"RTX 4070", 504, "NVIDIA spec (GDDR6X, 192-bit, 21 Gbps)"},
    {"RTX 4060 Ti", 288, "NVIDIA spec (GDDR6, 128-bit, 18 Gbps)"},
    {"RTX 4060", 272, "NVIDIA spec (GDDR6, 128-bit, 17 Gbps)"},
    {"RTX 3090 Ti", 1008, "NVIDIA spec (GDDR6X, 384-bit, 21 Gbps)"},
    {"RTX 3090", 936, "NVIDIA spec (GDDR6X, 384-bit, 19.5 Gbps)"},
    {"RTX 3080 Ti", 912, "NVIDIA spec (GDDR6X, 384-bit, 19 Gbps)"},
    {"RTX 3080", 760, "NVIDIA spec (10 GB: GDDR6X, 320-bit, 19 Gbps)"},
    {"RTX 3070", 448, "NVIDIA spec (GDDR6, 256-bit, 14 Gbps)"},
    {"RTX 3060 Ti", 448, "NVIDIA spec (GDDR6, 256-bit, 14 Gbps)"},
    {"RTX 3060", 360, "NVIDIA spec (12 GB: GDDR6, 192-bit, 15 Gbps)"},
    {"RTX 2080 Ti", 616, "NVIDIA spec (GDDR6, 352-bit, 14 Gbps)"},
    {"TITAN RTX", 672, "NVIDIA spec (GDDR6, 384-bit, 14 Gbps)"},
    // NVIDIA workstation
    {"RTX PRO 6000", 1792, "NVIDIA spec (GDDR7, 512-bit)"},
    {"RTX 6000 Ada", 960, "NVIDIA spec (GDDR6, 384-bit, 20 Gbps)"},
    {"RTX A6000", 768, "NVIDIA spec (GDDR6, 384-bit, 16 Gbps)"},
    {"RTX A5000", 768, "NVIDIA spec (GDDR6, 384-bit, 16 Gbps)"},
    {"RTX A4000", 448, "NVIDIA spec (GDDR6, 256-bit, 14 Gbps)"},
    {"Quadro RTX 6000", 672, "NVIDIA spec (GDDR6, 384-bit, 14 Gbps)"},
    {"Quadro RTX 8000", 672, "NVIDIA spec (GDDR6, 384-bit, 14 Gbps)"},
    // NVIDIA data centre (NVML names: "NVIDIA A100-SXM4-80GB", "NVIDIA A100 80GB PCIe", "NVIDIA H100 80GB HBM3")
    {"A100-SXM4-80GB", 2039, "NVIDIA A100 datasheet (HBM2e)"},
    {"A100 80GB PCIe", 1935, "NVIDIA A100 datasheet (HBM2e)"},
    {"A100-PCIE-40GB", 1555, "NVIDIA A100 datasheet (HBM2)"},
    {"A100-SXM4-40GB", 1555, "NVIDIA A100 datasheet (HBM2)"},
    {"A100", 1555, "NVIDIA A100 datasheet (40 GB HBM2; the lowest A100 figure)"},
    {"H100 80GB HBM3", 3352, "NVIDIA H100 datasheet (SXM5, HBM3)"},
    {"H100 PCIe", 2039, "NVIDIA H100 datasheet (PCIe, HBM2e)"},
    {"H100 NVL", 3938, "NVIDIA H100 datasheet (NVL, HBM3)"},
    {"H100", 2039, "NVIDIA H100 datasheet (PCIe; the lowest H100 figure)"},
    {"H200", 4800, "NVIDIA H200 datasheet (HBM3e)"},
    {"GH200", 4000, "NVIDIA GH200 datasheet (96 GB HBM3)"},
    {"L40S", 864, "NVIDIA L40S datasheet (GDDR6)"},
    {"L40", 864, "NVIDIA L40 datasheet (GDDR6)"},
    {"L4", 300, "NVIDIA L4 datasheet (GDDR6)"},
    {"A10", 600, "NVIDIA A10 datasheet (GDDR6)"},
    {"A30", 933, "NVIDIA A30 datasheet (HBM2)"},
    {"A40", 696, "NVIDIA A40 datasheet (GDDR6)"},
    {"T4", 320, "NVIDIA T4 datasheet (GDDR6)"},
    {"V100", 900, "NVIDIA V100 datasheet (HBM2; SXM2 and PCIe)"},
    {"P100", 732, "NVIDIA P100 datasheet (16 GB HBM2)"},
    {"P40", 346, "NVIDIA P40 datasheet (GDDR5)"},
    {"M40", 288, "NVIDIA M40 datasheet (GDDR5)"},
    {"GB10", 273, "NVIDIA DGX Spark spec (LPDDR5x, unified)"},
    // AMD
    {"RX 9070 XT", 640, "AMD spec (GDDR6, 256-bit, 20 Gbps)"},
    {"RX 7900 XTX", 960, "AMD spec (GDDR6, 384-bit, 20 Gbps)"},
    {"RX 7900 XT", 800, "AMD spec (GDDR6, 320-bit, 20 Gbps)"},
    {"RX 7800 XT", 624, "AMD spec (GDDR6, 256-bit, 19.5 Gbps)"},
    {"RX 6900 XT", 512, "AMD spec (GDDR6, 256-bit, 16 Gbps)"},
    {"RX 6800 XT", 512, "AMD spec (GDDR6, 256-bit, 16 Gbps)"},
    {"MI300X", 5300, "AMD Instinct MI300X datasheet (HBM3)"},
    {"MI250X", 3277, "AMD Instinct MI250X datasheet (HBM2e)"},
    {"MI210", 1638, "AMD Instinct MI210 datasheet (HBM2e)"},
    // Apple silicon (brand string "Apple M2 Pro")
    {"M1", 68, "apple_silicon.csv (llama.cpp discussion #4167)"},
    {"M1 Pro", 200, "apple_silicon.csv (llama.cpp discussion #4167)"},
    {"M1 Max", 400, "apple_silicon.csv (llama.cpp discussion #4167)"},
    {"M1 Ultra", 800, "apple_silicon.csv (llama.cpp discussion #4167)"},
    {"M2", 100, "apple_silicon.csv (llama.cpp discussion #4167)"},
    {"M2 Pro", 200, "apple_silicon.csv (llama.cpp discussion #4167)"},
    {"M2 Max", 400, "apple_silicon.csv (llama.cpp discussion #4167)"},
    {"M2 Ultra", 800, "apple_silicon.csv (llama.cpp discussion #4167)"},
    {"M3", 100, "apple_silicon.csv (llama.cpp discussion #4167)"},
    {"M3 Pro", 150, "apple_silicon.csv (llama.cpp discussion #4167)"},
    {"M3 Max", 400, "apple_silicon.csv (llama.cpp discussion #4167; 40-core GPU variant)"},
    {"M3 Ultra", 800, "apple_silicon.csv (llama.cpp discussion #4167)"},
    {"M4", 120, "Apple M4 specification (not in #4167 table)"},
    {"M4 Pro", 273, "apple_silicon.csv (llama.cpp discussion #4167)"},
    {"M4 Max", 410, "apple_silicon.csv (llama.cpp discussion #4167; 32-core GPU variant, the lower figure)"},
    {"M5", 153, "apple_silicon.csv (M5 row; see its notes column)"},
    {"M5 Max", 614, "apple_silicon.csv (M5 Max row; see its notes column)"},
};

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

/// Peak DRAM bandwidth (bytes/s) = transfers/s x bytes per transfer per channel x channels.
/// DDR4/DDR5 DIMM channels are 64 bits wide (DDR5's two 32-bit subchannels together); e.g. dual-channel
/// DDR5-6000 = 6000e6 x 8 x 2 = 96 GB/s (JEDEC JESD79-4/-5 data rates).
[[nodiscard]] constexpr std::uint64_t dram_bandwidth(std::uint64_t mega_transfers, std::uint32_t channels,
                                                     std::uint32_t channel_bits = 64) noexcept {
    return mega_transfers * 1000000ull * (channel_bits / 8) * channels;
}

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
