// SPDX-License-Identifier: MIT
// The device table: peak memory bandwidth, memory and matrix throughput of common GPUs, Apple SoCs and CPUs, one
// row per device with its source; and the `--gpu [BACKEND:]NAME[xN]` device-spec syntax.
#ifndef LLAMAPLAN_DEVICES_HPP
#define LLAMAPLAN_DEVICES_HPP

#include <llamaplan/config.hpp>

#include <llamaplan/ggml_types.hpp>
#include <llamaplan/machine.hpp>
#include <llamaplan/result.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG {

/// One accelerator model: vendor peak figures (GB = 1e9 bytes, TFLOPS = 1e12 FLOP/s, dense, no sparsity).
struct device_spec {
    std::string_view name{};        ///< table name without the vendor prefix, e.g. "RTX 4090", "M2 Max"
    backend kind = backend::cuda;   ///< backend llama.cpp normally drives it with
    double memory_gib = 0;          ///< device memory (GiB; Apple: the largest configuration)
    double bandwidth_gbs = 0;       ///< peak memory bandwidth (GB/s)
    double fp16_tflops = 0;         ///< dense FP16 matrix throughput, FP32 accumulate where the vendor distinguishes
                                    ///< (TFLOP/s; GPUs without FP16 matrix units: their FP32 vector rate)
    double int8_tops = 0;           ///< dense INT8 matrix throughput (TOP/s; 0 = no INT8 matrix units llama.cpp uses)
    std::uint32_t gpu_cores = 0;    ///< Apple GPU cores of the configuration the figures are for (0 = n/a)
    bool unified_memory = false;    ///< shares system memory with the CPU
    std::string_view source{};      ///< where the figures come from
};

// Sources (figures are the vendors' own peak numbers unless a row says otherwise):
//  NV-GF   NVIDIA GeForce product pages and the Ada / Ampere / Blackwell GPU architecture whitepapers (GeForce FP16
//          tensor rate with FP32 accumulate is half the FP16-accumulate rate; INT8 dense tensor TOPS)
//  NV-DC   NVIDIA datasheets (A100, H100, H200, B200 HGX, L40S, L40, L4, A10, A30, A40, T4, V100, P100, P40, M40)
//  NV-WS   NVIDIA RTX workstation datasheets (full-rate FP32 accumulate)
//  AMD     AMD product pages / Instinct datasheets (FP16 matrix = WMMA on RDNA3/4, packed FP16 on RDNA2)
//  INTEL   Intel Arc product pages (XMX FP16 / INT8)
//  APPLE   bandwidth: shared/public/apple_silicon.csv (llama.cpp discussion #4167, column bw_gbs) where listed, else
//          Apple's specifications; memory: Apple's largest configuration; FP32 = FP16 rate estimated as
//          GPU cores x 128 ALUs x 2 FLOP x GPU clock (clock from public die analyses; an estimate, not a vendor figure)
inline constexpr device_spec device_table[] = {
    // NVIDIA GeForce RTX 50 (Blackwell)
    {"RTX 5090", backend::cuda, 32, 1792, 209.5, 838, 0, false, "NV-GF (GDDR7 512-bit 28 Gbps)"},
    {"RTX 5080", backend::cuda, 16, 960, 112.6, 450, 0, false, "NV-GF (GDDR7 256-bit 30 Gbps)"},
    {"RTX 5070 Ti", backend::cuda, 16, 896, 87.9, 352, 0, false, "NV-GF (GDDR7 256-bit 28 Gbps)"},
    {"RTX 5070", backend::cuda, 12, 672, 61.7, 247, 0, false, "NV-GF (GDDR7 192-bit 28 Gbps)"},
    {"RTX 5060 Ti", backend::cuda, 16, 448, 47.4, 190, 0, false, "NV-GF (GDDR7 128-bit 28 Gbps; 8 GB variant too)"},
    {"RTX 5060", backend::cuda, 8, 448, 38.4, 154, 0, false, "NV-GF (GDDR7 128-bit 28 Gbps)"},
    // NVIDIA GeForce RTX 40 (Ada)
    {"RTX 4090", backend::cuda, 24, 1008, 165.2, 661, 0, false, "NV-GF (GDDR6X 384-bit 21 Gbps)"},
    {"RTX 4090 D", backend::cuda, 24, 1008, 147.0, 588, 0, false, "NV-GF (GDDR6X 384-bit 21 Gbps, 114 SMs)"},
    {"RTX 4080 SUPER", backend::cuda, 16, 736, 104.4, 418, 0, false, "NV-GF (GDDR6X 256-bit 23 Gbps)"},
    {"RTX 4080", backend::cuda, 16, 717, 97.5, 390, 0, false, "NV-GF (GDDR6X 256-bit 22.4 Gbps)"},
    {"RTX 4070 Ti SUPER", backend::cuda, 16, 672, 88.2, 353, 0, false, "NV-GF (GDDR6X 256-bit 21 Gbps)"},
    {"RTX 4070 Ti", backend::cuda, 12, 504, 80.2, 321, 0, false, "NV-GF (GDDR6X 192-bit 21 Gbps)"},
    {"RTX 4070 SUPER", backend::cuda, 12, 504, 70.8, 283, 0, false, "NV-GF (GDDR6X 192-bit 21 Gbps)"},
    {"RTX 4070", backend::cuda, 12, 504, 58.3, 233, 0, false, "NV-GF (GDDR6X 192-bit 21 Gbps)"},
    {"RTX 4060 Ti", backend::cuda, 16, 288, 44.1, 177, 0, false, "NV-GF (GDDR6 128-bit 18 Gbps; 8 GB variant too)"},
    {"RTX 4060", backend::cuda, 8, 272, 30.2, 121, 0, false, "NV-GF (GDDR6 128-bit 17 Gbps)"},
    // NVIDIA GeForce RTX 30 (Ampere) and 20 (Turing)
    {"RTX 3090 Ti", backend::cuda, 24, 1008, 80.0, 320, 0, false, "NV-GF (GDDR6X 384-bit 21 Gbps)"},
    {"RTX 3090", backend::cuda, 24, 936, 71.0, 284, 0, false, "NV-GF (GDDR6X 384-bit 19.5 Gbps)"},
    {"RTX 3080 Ti", backend::cuda, 12, 912, 68.2, 273, 0, false, "NV-GF (GDDR6X 384-bit 19 Gbps)"},
    {"RTX 3080", backend::cuda, 10, 760, 59.5, 238, 0, false, "NV-GF (10 GB: GDDR6X 320-bit 19 Gbps)"},
    {"RTX 3070 Ti", backend::cuda, 8, 608, 43.5, 174, 0, false, "NV-GF (GDDR6X 256-bit 19 Gbps)"},
    {"RTX 3070", backend::cuda, 8, 448, 40.6, 163, 0, false, "NV-GF (GDDR6 256-bit 14 Gbps)"},
    {"RTX 3060 Ti", backend::cuda, 8, 448, 32.4, 130, 0, false, "NV-GF (GDDR6 256-bit 14 Gbps)"},
    {"RTX 3060", backend::cuda, 12, 360, 25.5, 102, 0, false, "NV-GF (12 GB: GDDR6 192-bit 15 Gbps)"},
    {"RTX 2080 Ti", backend::cuda, 11, 616, 53.8, 215, 0, false, "NV-GF (GDDR6 352-bit 14 Gbps)"},
    {"RTX 2080", backend::cuda, 8, 448, 40.3, 161, 0, false, "NV-GF (Turing whitepaper: GDDR6 256-bit 14 Gbps)"},
    {"GTX 1070", backend::cuda, 8, 256, 6.5, 0, 0, false, "NV-GF (GDDR5 256-bit 8 Gbps; FP32 rate, FP16 is 1/64)"},
    {"TITAN RTX", backend::cuda, 24, 672, 130.5, 261, 0, false, "NV-GF (GDDR6 384-bit 14 Gbps)"},
    // NVIDIA workstation
    {"RTX PRO 6000", backend::cuda, 96, 1792, 500, 1000, 0, false, "NV-WS (Blackwell, GDDR7 512-bit)"},
    {"RTX PRO 4000", backend::cuda, 24, 672, 161, 322, 0, false, "NV-WS (Blackwell, GDDR7 192-bit)"},
    {"RTX 6000 Ada", backend::cuda, 48, 960, 364.2, 728, 0, false, "NV-WS (GDDR6 384-bit 20 Gbps)"},
    {"RTX 5000 Ada", backend::cuda, 32, 576, 261, 522, 0, false, "NV-WS (GDDR6 256-bit 18 Gbps)"},
    {"RTX 4000 Ada", backend::cuda, 20, 360, 81.9, 164, 0, false, "NV-WS (GDDR6 160-bit 18 Gbps)"},
    {"RTX A6000", backend::cuda, 48, 768, 154.8, 310, 0, false, "NV-WS (GDDR6 384-bit 16 Gbps)"},
    {"RTX A5000", backend::cuda, 24, 768, 111.1, 222, 0, false, "NV-WS (GDDR6 384-bit 16 Gbps)"},
    {"RTX A4000", backend::cuda, 16, 448, 76.7, 153, 0, false, "NV-WS (GDDR6 256-bit 14 Gbps)"},
    {"Quadro RTX 6000", backend::cuda, 24, 672, 130.5, 261, 0, false, "NV-WS (Turing, GDDR6 384-bit 14 Gbps)"},
    {"Quadro RTX 8000", backend::cuda, 48, 672, 130.5, 261, 0, false, "NV-WS (Turing, GDDR6 384-bit 14 Gbps)"},
    // NVIDIA data centre (NVML spells them "NVIDIA A100-SXM4-80GB", "NVIDIA H100 80GB HBM3", ...)
    {"A100-SXM4-80GB", backend::cuda, 80, 2039, 312, 624, 0, false, "NV-DC A100 (SXM4 80 GB HBM2e)"},
    {"A100 80GB PCIe", backend::cuda, 80, 1935, 312, 624, 0, false, "NV-DC A100 (PCIe 80 GB HBM2e)"},
    {"A100 80GB", backend::cuda, 80, 1935, 312, 624, 0, false, "NV-DC A100 (80 GB; PCIe figure, SXM4 is 2039)"},
    {"A100-SXM4-40GB", backend::cuda, 40, 1555, 312, 624, 0, false, "NV-DC A100 (SXM4 40 GB HBM2)"},
    {"A100-PCIE-40GB", backend::cuda, 40, 1555, 312, 624, 0, false, "NV-DC A100 (PCIe 40 GB HBM2)"},
    {"A100", backend::cuda, 40, 1555, 312, 624, 0, false, "NV-DC A100 (40 GB HBM2, the lowest A100 figure)"},
    {"H100 80GB HBM3", backend::cuda, 80, 3352, 989.4, 1979, 0, false, "NV-DC H100 (SXM5 HBM3)"},
    {"H100 PCIe", backend::cuda, 80, 2039, 756.5, 1513, 0, false, "NV-DC H100 (PCIe HBM2e)"},
    {"H100 NVL", backend::cuda, 94, 3938, 835.5, 1671, 0, false, "NV-DC H100 (NVL HBM3)"},
    {"H100", backend::cuda, 80, 3352, 989.4, 1979, 0, false, "NV-DC H100 (SXM5 HBM3; H100 PCIe is a separate row)"},
    {"H200", backend::cuda, 141, 4800, 989.4, 1979, 0, false, "NV-DC H200 (SXM HBM3e)"},
    {"GH200", backend::cuda, 96, 4000, 989.4, 1979, 0, false, "NV-DC GH200 (96 GB HBM3)"},
    {"B200", backend::cuda, 180, 8000, 2250, 4500, 0, false, "NV-DC B200 (HGX B200 per GPU, HBM3e)"},
    {"L40S", backend::cuda, 48, 864, 362, 733, 0, false, "NV-DC L40S (GDDR6)"},
    {"L40", backend::cuda, 48, 864, 181, 362, 0, false, "NV-DC L40 (GDDR6)"},
    {"L4", backend::cuda, 24, 300, 121, 242, 0, false, "NV-DC L4 (GDDR6)"},
    {"A10", backend::cuda, 24, 600, 125, 250, 0, false, "NV-DC A10 (GDDR6)"},
    {"A30", backend::cuda, 24, 933, 165, 330, 0, false, "NV-DC A30 (HBM2)"},
    {"A40", backend::cuda, 48, 696, 149.7, 299, 0, false, "NV-DC A40 (GDDR6)"},
    {"T4", backend::cuda, 16, 320, 65, 130, 0, false, "NV-DC T4 (GDDR6)"},
    {"V100", backend::cuda, 32, 900, 125, 0, 0, false, "NV-DC V100 (SXM2 HBM2; no INT8 tensor cores)"},
    {"P100", backend::cuda, 16, 732, 18.7, 0, 0, false, "NV-DC P100 (16 GB HBM2; no tensor cores)"},
    {"P40", backend::cuda, 24, 346, 11.8, 0, 0, false, "NV-DC P40 (GDDR5; FP32 rate, FP16 is 1/64)"},
    {"M40", backend::cuda, 24, 288, 6.8, 0, 0, false, "NV-DC M40 (GDDR5; FP32 rate, no FP16 units)"},
    {"GB10", backend::cuda, 128, 273, 125, 250, 0, true, "NVIDIA DGX Spark spec (LPDDR5x 256-bit, unified; 1 PFLOP FP4 sparse)"},
    {"DGX Spark", backend::cuda, 128, 273, 125, 250, 0, true, "NVIDIA DGX Spark spec (GB10; same as the GB10 row)"},
    // AMD Radeon RX 9000 (RDNA4), 7000 (RDNA3), 6000 (RDNA2)
    {"RX 9070 XT", backend::rocm, 16, 640, 195, 389, 0, false, "AMD (GDDR6 256-bit 20 Gbps)"},
    {"RX 9070", backend::rocm, 16, 640, 145, 289, 0, false, "AMD (GDDR6 256-bit 20 Gbps)"},
    {"RX 9060 XT", backend::rocm, 16, 320, 103, 206, 0, false, "AMD (GDDR6 128-bit 20 Gbps)"},
    {"RX 7900 XTX", backend::rocm, 24, 960, 122.8, 0, 0, false, "AMD (GDDR6 384-bit 20 Gbps)"},
    {"RX 7900 XT", backend::rocm, 20, 800, 103, 0, 0, false, "AMD (GDDR6 320-bit 20 Gbps)"},
    {"RX 7900 GRE", backend::rocm, 16, 576, 92, 0, 0, false, "AMD (GDDR6 256-bit 18 Gbps)"},
    {"RX 7800 XT", backend::rocm, 16, 624, 74.6, 0, 0, false, "AMD (GDDR6 256-bit 19.5 Gbps)"},
    {"RX 7700 XT", backend::rocm, 12, 432, 70.3, 0, 0, false, "AMD (GDDR6 192-bit 18 Gbps)"},
    {"RX 7600", backend::rocm, 8, 288, 43.5, 0, 0, false, "AMD (GDDR6 128-bit 18 Gbps)"},
    {"RX 6950 XT", backend::rocm, 16, 576, 47.3, 0, 0, false, "AMD (GDDR6 256-bit 18 Gbps; packed FP16)"},
    {"RX 6900 XT", backend::rocm, 16, 512, 46.1, 0, 0, false, "AMD (GDDR6 256-bit 16 Gbps; packed FP16)"},
    {"RX 6800 XT", backend::rocm, 16, 512, 41.5, 0, 0, false, "AMD (GDDR6 256-bit 16 Gbps; packed FP16)"},
    {"RX 6800", backend::rocm, 16, 512, 32.3, 0, 0, false, "AMD (GDDR6 256-bit 16 Gbps; packed FP16)"},
    {"RX 6700 XT", backend::rocm, 12, 384, 26.4, 0, 0, false, "AMD (GDDR6 192-bit 16 Gbps; packed FP16)"},
    {"RX 6600 XT", backend::rocm, 8, 256, 21.2, 0, 0, false, "AMD (GDDR6 128-bit 16 Gbps; packed FP16)"},
    {"Pro W7900", backend::rocm, 48, 864, 122.6, 0, 0, false, "AMD (Radeon PRO W7900: GDDR6 384-bit 18 Gbps)"},
    {"8060S", backend::rocm, 128, 256, 59.4, 0, 0, true, "AMD (Ryzen AI Max+ 395 iGPU: LPDDR5X-8000 256-bit unified; 40 CUs at 2.9 GHz)"},
    {"780M", backend::rocm, 64, 89.6, 16.6, 0, 0, true, "AMD (Ryzen 7040 iGPU: DDR5-5600 dual channel unified; 12 CUs at 2.7 GHz)"},
    // AMD Instinct
    {"MI325X", backend::rocm, 256, 6000, 1307, 2615, 0, false, "AMD Instinct MI325X datasheet (HBM3e)"},
    {"MI300X", backend::rocm, 192, 5300, 1307, 2615, 0, false, "AMD Instinct MI300X datasheet (HBM3)"},
    {"MI300A", backend::rocm, 128, 5300, 981, 1961, 0, true, "AMD Instinct MI300A datasheet (HBM3, unified)"},
    {"MI250X", backend::rocm, 128, 3277, 383, 383, 0, false, "AMD Instinct MI250X datasheet (HBM2e, two dies)"},
    {"MI250", backend::rocm, 128, 3277, 362, 362, 0, false, "AMD Instinct MI250 datasheet (HBM2e, two dies)"},
    {"MI210", backend::rocm, 64, 1638, 181, 181, 0, false, "AMD Instinct MI210 datasheet (HBM2e)"},
    // Intel Arc
    {"Arc B580", backend::sycl, 12, 456, 117, 233, 0, false, "INTEL (GDDR6 192-bit 19 Gbps)"},
    {"Arc B570", backend::sycl, 10, 380, 101, 203, 0, false, "INTEL (GDDR6 160-bit 19 Gbps)"},
    {"Arc A770", backend::sycl, 16, 560, 138, 276, 0, false, "INTEL (GDDR6 256-bit 17.5 Gbps)"},
    {"Arc A750", backend::sycl, 8, 512, 118, 236, 0, false, "INTEL (GDDR6 256-bit 16 Gbps)"},
    {"Arc A580", backend::sycl, 8, 512, 98, 197, 0, false, "INTEL (GDDR6 256-bit 16 Gbps)"},
    // Apple silicon (GPU, Metal; FP16 = FP32 rate, see APPLE above)
    {"M1", backend::metal, 16, 68, 2.6, 0, 8, true, "APPLE (#4167: 68 GB/s; 8 cores at 1.278 GHz)"},
    {"M1 Pro", backend::metal, 32, 200, 5.2, 0, 16, true, "APPLE (#4167: 200 GB/s; 16 cores at 1.278 GHz)"},
    {"M1 Max", backend::metal, 64, 400, 10.5, 0, 32, true, "APPLE (#4167: 400 GB/s; 32 cores at 1.278 GHz)"},
    {"M1 Ultra", backend::metal, 128, 800, 21.2, 0, 64, true, "APPLE (#4167: 800 GB/s; 64 cores at 1.296 GHz)"},
    {"M2", backend::metal, 24, 100, 3.6, 0, 10, true, "APPLE (#4167: 100 GB/s; 10 cores at 1.398 GHz)"},
    {"M2 Pro", backend::metal, 32, 200, 6.8, 0, 19, true, "APPLE (#4167: 200 GB/s; 19 cores at 1.398 GHz)"},
    {"M2 Max", backend::metal, 96, 400, 13.6, 0, 38, true, "APPLE (#4167: 400 GB/s; 38 cores at 1.398 GHz)"},
    {"M2 Ultra", backend::metal, 192, 800, 27.2, 0, 76, true, "APPLE (#4167: 800 GB/s; 76 cores at 1.398 GHz)"},
    {"M3", backend::metal, 24, 100, 3.5, 0, 10, true, "APPLE (#4167: 100 GB/s; 10 cores at 1.38 GHz)"},
    {"M3 Pro", backend::metal, 36, 150, 6.4, 0, 18, true, "APPLE (#4167: 150 GB/s; 18 cores at 1.38 GHz)"},
    {"M3 Max", backend::metal, 128, 400, 14.1, 0, 40, true, "APPLE (#4167: 400 GB/s, 40-core variant; 1.38 GHz)"},
    {"M3 Ultra", backend::metal, 512, 800, 28.3, 0, 80, true, "APPLE (#4167: 800 GB/s; 80 cores at 1.38 GHz)"},
    {"M4", backend::metal, 32, 120, 4.0, 0, 10, true, "APPLE (Apple spec 120 GB/s; 10 cores at 1.578 GHz)"},
    {"M4 Pro", backend::metal, 64, 273, 8.1, 0, 20, true, "APPLE (#4167: 273 GB/s; 20 cores at 1.578 GHz)"},
    {"M4 Max", backend::metal, 128, 546, 16.2, 0, 40, true, "APPLE (Apple spec 546 GB/s for 40 cores; #4167 lists 410 for the 32-core bin)"},
    {"M5", backend::metal, 32, 153, 4.1, 0, 10, true, "APPLE (apple_silicon.csv M5 row: 153 GB/s; 10 cores at 1.6 GHz, est.)"},
    {"M5 Max", backend::metal, 128, 614, 16.4, 0, 40, true, "APPLE (apple_silicon.csv M5 Max row: 614 GB/s; 40 cores, est.)"},
};

/// One CPU model: cores and the peak figures a throughput model needs. Memory bandwidth depends on the DIMMs
/// fitted; `channels` and `mts` are the platform's supported maximum (use dram_bandwidth with the real ones).
struct cpu_spec {
    std::string_view name{};      ///< e.g. "Ryzen 9 7950X"
    std::uint32_t cores = 0;      ///< physical cores (performance + efficiency)
    double ghz = 0;               ///< all-core sustained clock (GHz)
    std::uint32_t flops_per_cycle = 0;  ///< FP32 FLOP per cycle per core (2 FMA pipes x SIMD lanes x 2)
    std::uint32_t channels = 0;   ///< 64-bit memory channels
    std::uint32_t mts = 0;        ///< supported memory transfer rate (MT/s)
    double bandwidth_gbs = 0;     ///< peak memory bandwidth (GB/s); for SoCs the figure the vendor states
    std::string_view source{};    ///< where the figures come from
};

/// Peak DRAM bandwidth (bytes/s) = transfers/s x 8 bytes per 64-bit channel x channels (JEDEC JESD79-4/-5:
/// DDR4/DDR5 DIMM channels are 64 bits wide; DDR5's two 32-bit subchannels together), e.g. dual-channel
/// DDR5-6000 = 96 GB/s.
[[nodiscard]] constexpr std::uint64_t dram_bandwidth(std::uint64_t mega_transfers, std::uint32_t channels,
                                                     std::uint32_t channel_bits = 64) noexcept {
    return mega_transfers * 1000000ull * (channel_bits / 8) * channels;
}

// Sources: AMD / Intel / Apple product pages for cores, memory channels and supported MT/s; FLOP/cycle from the
// core microarchitecture (Zen 2/3/4 and Skylake/Broadwell client: 2 x 256-bit FMA = 32; Zen 5 desktop and Golden
// Cove server with AVX-512: 2 x 512-bit FMA = 64; Apple Firestorm/Avalanche: 4 x 128-bit FMA = 32).
inline constexpr cpu_spec cpu_table[] = {
    {"Ryzen 9 9950X", 16, 5.0, 64, 2, 5600, 89.6, "AMD (DDR5-5600 dual channel; Zen 5 full-width AVX-512)"},
    {"Ryzen 9 7950X", 16, 5.0, 32, 2, 5200, 83.2, "AMD (DDR5-5200 dual channel; Zen 4)"},
    {"Ryzen 7 7800X3D", 8, 4.8, 32, 2, 5200, 83.2, "AMD (DDR5-5200 dual channel; Zen 4)"},
    {"Ryzen 9 5950X", 16, 4.5, 32, 2, 3200, 51.2, "AMD (DDR4-3200 dual channel; Zen 3)"},
    {"Ryzen 7 5800X", 8, 4.5, 32, 2, 3200, 51.2, "AMD (DDR4-3200 dual channel; Zen 3)"},
    {"Ryzen 7 3700X", 8, 4.0, 32, 2, 3200, 51.2, "AMD (DDR4-3200 dual channel; Zen 2)"},
    {"Ryzen AI Max+ 395", 16, 5.0, 64, 4, 8000, 256, "AMD (LPDDR5X-8000 256-bit unified; Zen 5)"},
    {"Threadripper PRO 7995WX", 96, 4.0, 32, 8, 5200, 332.8, "AMD (DDR5-5200 eight channels; Zen 4)"},
    {"EPYC 9654", 96, 3.5, 32, 12, 4800, 460.8, "AMD (DDR5-4800 twelve channels; Zen 4)"},
    {"EPYC 9755", 128, 4.1, 64, 12, 6000, 576, "AMD (DDR5-6000 twelve channels; Zen 5)"},
    {"Core i9-14900K", 24, 5.0, 32, 2, 5600, 89.6, "Intel (DDR5-5600 dual channel; 8P+16E)"},
    {"Core i7-8700", 6, 4.3, 32, 2, 2666, 42.656, "Intel (DDR4-2666 dual channel; Coffee Lake)"},
    {"Core i9-10900X", 10, 4.0, 64, 4, 2933, 93.856, "Intel (DDR4-2933 quad channel; Cascade Lake-X, AVX-512)"},
    {"Ryzen 7 9800X3D", 8, 5.0, 64, 2, 5600, 89.6, "AMD (DDR5-5600 dual channel; Zen 5 full-width AVX-512)"},
    {"Xeon E5-2683 v4", 16, 2.1, 32, 4, 2400, 76.8, "Intel (DDR4-2400 quad channel; Broadwell)"},
    {"Xeon w9-3495X", 56, 2.9, 64, 8, 4800, 307.2, "Intel (DDR5-4800 eight channels; Sapphire Rapids)"},
    {"Xeon Platinum 8480+", 56, 2.0, 64, 8, 4800, 307.2, "Intel (DDR5-4800 eight channels; Sapphire Rapids)"},
    {"Apple M2 Max CPU", 12, 3.5, 32, 0, 0, 400, "Apple (8P+4E; 400 GB/s is the SoC's, the CPU cluster reaches ~100-115)"},
};

namespace detail {
[[nodiscard]] constexpr bool is_alnum_ascii(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
/// Folds a device name for comparison: lower case, runs of space / '-' / '_' as one space, trimmed, "(...)" dropped.
template <std::size_t N>
struct folded_name {
    std::array<char, N> buf{};
    std::size_t n = 0;
    [[nodiscard]] constexpr std::string_view view() const noexcept { return {buf.data(), n}; }
};
[[nodiscard]] constexpr folded_name<96> fold_name(std::string_view s) noexcept {
    folded_name<96> f;
    bool space = false;
    bool paren = false;
    for (char c : s) {
        if (paren) { paren = c != ')'; continue; }
        if (c == '(') { paren = true; continue; }  // "(R)", "(TM)"
        if (c == ' ' || c == '-' || c == '_' || c == '\t') { space = f.n > 0; continue; }
        if (space && f.n + 1 < f.buf.size()) f.buf[f.n++] = ' ';
        space = false;
        if (f.n < f.buf.size()) f.buf[f.n++] = detail::ascii_lower(c);
    }
    return f;
}
/// Drops vendor words a user or a driver may put before the table name ("NVIDIA GeForce RTX 4090", "AMD Radeon RX
/// 7900 XTX", "Apple M2 Max", "Intel(R) Arc(TM) A770 Graphics").
[[nodiscard]] constexpr std::string_view strip_vendor(std::string_view s) noexcept {
    constexpr std::array<std::string_view, 8> prefixes = {"nvidia ", "geforce ", "tesla ", "amd ", "radeon ", "instinct ",
                                                          "apple ", "intel "};
    bool again = true;
    while (again) {
        again = false;
        for (auto p : prefixes)
            if (s.substr(0, p.size()) == p) {
                s.remove_prefix(p.size());
                again = true;
            }
    }
    constexpr std::array<std::string_view, 2> suffixes = {" graphics", " gpu"};
    for (auto p : suffixes)
        if (s.size() > p.size() && s.substr(s.size() - p.size()) == p) s.remove_suffix(p.size());
    return s;
}
/// Edit distance between two short strings (bounded to 63 characters each).
[[nodiscard]] constexpr std::uint32_t edit_distance(std::string_view a, std::string_view b) noexcept {
    a = a.substr(0, 63);
    b = b.substr(0, 63);
    std::array<std::uint32_t, 64> prev{}, cur{};
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = static_cast<std::uint32_t>(j);
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = static_cast<std::uint32_t>(i);
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::uint32_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0u : 1u);
            cur[j] = std::min(std::min(prev[j] + 1, cur[j - 1] + 1), sub);
        }
        prev = cur;
    }
    return prev[b.size()];
}
}  // namespace detail

/// The table row named `name`: case-insensitive, spaces / '-' / '_' alike, vendor words ("NVIDIA", "GeForce",
/// "AMD Radeon", "Apple", ...) optional; nullptr when none matches exactly.
[[nodiscard]] constexpr const device_spec* find_device(std::string_view name) noexcept {
    const auto f = detail::fold_name(name);
    const std::string_view want = detail::strip_vendor(f.view());
    for (const auto& d : device_table) {
        const auto g = detail::fold_name(d.name);
        if (g.view() == want) return &d;
    }
    return nullptr;
}

/// The table row whose name occurs as a whole word in a driver-reported device name, preferring the longest (as a
/// probe sees "NVIDIA GeForce RTX 4090 D" or "NVIDIA A100-SXM4-80GB"); nullptr when none does.
[[nodiscard]] constexpr const device_spec* match_device(std::string_view reported) noexcept {
    const auto f = detail::fold_name(reported);
    const std::string_view s = f.view();
    const device_spec* best = nullptr;
    std::size_t best_len = 0;
    for (const auto& d : device_table) {
        const auto g = detail::fold_name(d.name);
        const std::string_view k = g.view();
        if (k.empty() || k.size() > s.size()) continue;
        for (std::size_t i = 0; i + k.size() <= s.size(); ++i) {
            if (s.substr(i, k.size()) != k) continue;
            const bool left = i == 0 || !detail::is_alnum_ascii(s[i - 1]);
            const bool right = i + k.size() == s.size() || !detail::is_alnum_ascii(s[i + k.size()]);
            if (left && right && k.size() > best_len) { best = &d; best_len = k.size(); }
        }
    }
    return best;
}

/// Fills `out` with the table names closest to `name` (edit distance on folded names, vendor words dropped), best
/// first; returns how many were written.
constexpr std::size_t closest_devices(std::string_view name, std::span<std::string_view> out) noexcept {
    const auto f = detail::fold_name(name);
    const std::string_view want = detail::strip_vendor(f.view());
    const std::size_t cap = std::min<std::size_t>(out.size(), 16);
    std::size_t n = 0;
    std::array<std::uint32_t, 16> dist{};
    for (const auto& d : device_table) {
        const auto g = detail::fold_name(d.name);
        const std::uint32_t e = detail::edit_distance(want, g.view());
        if (n == cap && (cap == 0 || e >= dist[cap - 1])) continue;
        std::size_t pos = n < cap ? n : cap - 1;
        while (pos > 0 && dist[pos - 1] > e) {
            out[pos] = out[pos - 1];
            dist[pos] = dist[pos - 1];
            --pos;
        }
        out[pos] = d.name;
        dist[pos] = e;
        if (n < cap) ++n;
    }
    return n;
}

/// A parsed `--gpu` value.
struct device_request {
    device dev{};                       ///< the device (name views the table or the input string)
    std::uint32_t count = 1;            ///< how many such devices (`H100x8`)
    const device_spec* spec = nullptr;  ///< the table row, or nullptr for the `BACKEND:SIZE[:NAME]` form
};

namespace detail {
/// Parses "24GiB", "24G", "80GB", "512MiB", "1073741824" (bytes; G/GiB/GB all mean 2^30, as in `-cram` and
/// llama.cpp's own sizes); 0 on error.
[[nodiscard]] constexpr std::uint64_t parse_size_bytes(std::string_view s) noexcept {
    std::uint64_t whole = 0, frac = 0, frac_div = 1;
    std::size_t i = 0;
    bool digits = false;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
        if (whole > (1ull << 40)) return 0;
        whole = whole * 10 + std::uint64_t(s[i] - '0');
        digits = true;
    }
    if (i < s.size() && s[i] == '.') {
        for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i)
            if (frac_div < 1000000) { frac = frac * 10 + std::uint64_t(s[i] - '0'); frac_div *= 10; }
    }
    if (!digits) return 0;
    const auto f = fold_name(s.substr(i));
    const std::string_view u = f.view();
    std::uint64_t mul = 0;
    if (u.empty() || u == "b") mul = 1;
    else if (u == "k" || u == "kb" || u == "kib") mul = 1ull << 10;
    else if (u == "m" || u == "mb" || u == "mib") mul = 1ull << 20;
    else if (u == "g" || u == "gb" || u == "gib") mul = 1ull << 30;
    else if (u == "t" || u == "tb" || u == "tib") mul = 1ull << 40;
    else return 0;
    if (whole > (~0ull / mul) - 1) return 0;
    return whole * mul + frac * mul / frac_div;
}
}  // namespace detail

/// Parses a `--gpu` value: `[BACKEND:]NAME[xN]` for a table device (`"RTX 4090"`, `"NVIDIA GeForce RTX 4090"`,
/// `"vulkan:RTX 4090"`, `"M2 Max"`, `"H100x8"`; case-insensitive, vendor words optional), or
/// `BACKEND:SIZE[:NAME]` for a device given by its free memory (`"cuda:24GiB"`, `"cuda:24GiB:my card"`).
/// An unknown name is errc::not_found (closest_devices lists alternatives).
[[nodiscard]] constexpr result<device_request> parse_device_spec(std::string_view spec) noexcept {
    device_request r;
    std::string_view rest = spec;
    bool has_backend = false;
    backend be = backend::cuda;
    if (const auto c = spec.find(':'); c != std::string_view::npos) {
        const auto f = detail::fold_name(spec.substr(0, c));
        if (!parse_backend(f.view(), be) || be == backend::cpu)
            return make_error(errc::invalid_argument, "unknown GPU backend (cuda, rocm, vulkan, metal, sycl)");
        has_backend = true;
        rest = spec.substr(c + 1);
        // BACKEND:SIZE[:NAME]
        const auto c2 = rest.find(':');
        const std::string_view size = rest.substr(0, c2);
        if (!size.empty() && size[0] >= '0' && size[0] <= '9') {
            const std::uint64_t bytes = detail::parse_size_bytes(size);
            if (bytes == 0) return make_error(errc::invalid_argument, "bad GPU memory size");
            r.dev.kind = be;
            r.dev.memory_total = r.dev.memory_free = bytes;
            r.dev.name = c2 == std::string_view::npos ? std::string_view{} : rest.substr(c2 + 1);
            r.dev.unified_memory = be == backend::metal;
            if (const device_spec* d = r.dev.name.empty() ? nullptr : match_device(r.dev.name)) {
                r.dev.bandwidth = static_cast<std::uint64_t>(d->bandwidth_gbs * 1e9);
                r.dev.flops = static_cast<std::uint64_t>(d->fp16_tflops * 1e12);
                r.dev.int8_ops = static_cast<std::uint64_t>(d->int8_tops * 1e12);
            }
            return r;
        }
    }
    // NAME[xN]
    std::uint32_t count = 1;
    const device_spec* d = find_device(rest);
    if (!d) {
        const auto x = rest.find_last_of("xX*");
        if (x != std::string_view::npos && x + 1 < rest.size()) {
            std::uint32_t n = 0;
            bool ok = true;
            for (std::size_t i = x + 1; i < rest.size(); ++i) {
                if (rest[i] < '0' || rest[i] > '9' || n > 1000) { ok = false; break; }
                n = n * 10 + std::uint32_t(rest[i] - '0');
            }
            if (ok && n >= 1 && n <= 64) {
                d = find_device(rest.substr(0, x));
                count = n;
            } else if (ok) {
                return make_error(errc::invalid_argument, "device count must be 1 to 64");
            }
        }
    }
    if (!d) return make_error(errc::not_found, "unknown device name");
    r.spec = d;
    r.count = count;
    r.dev.name = d->name;
    r.dev.kind = has_backend ? be : d->kind;
    r.dev.memory_total = r.dev.memory_free = static_cast<std::uint64_t>(d->memory_gib * double(1ull << 30));
    r.dev.bandwidth = static_cast<std::uint64_t>(d->bandwidth_gbs * 1e9);
    r.dev.flops = static_cast<std::uint64_t>(d->fp16_tflops * 1e12);
    r.dev.int8_ops = static_cast<std::uint64_t>(d->int8_tops * 1e12);
    r.dev.unified_memory = d->unified_memory;
    return r;
}

/// The CPU table row named `name` (same folding as find_device), or nullptr.
[[nodiscard]] constexpr const cpu_spec* find_cpu(std::string_view name) noexcept {
    const auto f = detail::fold_name(name);
    for (const auto& c : cpu_table) {
        const auto g = detail::fold_name(c.name);
        if (f.view() == g.view()) return &c;
    }
    return nullptr;
}

}  // namespace llamaplan

#endif  // LLAMAPLAN_DEVICES_HPP
