// SPDX-License-Identifier: MIT
// The throughput model: llama.cpp's decode and prompt-processing speed (tokens/s) from the bytes and FLOPs each
// device handles per token, the device table's peak figures and a few efficiency constants fitted on published
// llama-bench results (shared/public; tools/fit_throughput.py).
#ifndef LLAMAPLAN_PERF_HPP
#define LLAMAPLAN_PERF_HPP

#include <llamaplan/config.hpp>
#include <llamaplan/detail/fixed_vector.hpp>
#include <llamaplan/devices.hpp>
#include <llamaplan/ggml_types.hpp>
#include <llamaplan/machine.hpp>
#include <llamaplan/memory.hpp>
#include <llamaplan/model.hpp>
#include <llamaplan/params.hpp>
#include <llamaplan/placement.hpp>
#include <llamaplan/result.hpp>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string_view>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG {

/// A GPU's product class, from the device table's source tags: GeForce figures are FP32-accumulate tensor rates;
/// workstation and data-center cards run llama.cpp's kernels further below their peaks; HBM cards stream decode
/// further below theirs.
enum class device_class : std::uint8_t { unknown, geforce, pro, pro_hbm };

/// The product class of a device (one device-table lookup by name).
[[nodiscard]] constexpr device_class device_class_of(const device& d) noexcept {
    const device_spec* spec = d.name.empty() ? nullptr : match_device(d.name);
    if (!spec) return device_class::unknown;
    const std::string_view src = spec->source;
    if (src.find("HBM") != std::string_view::npos) return device_class::pro_hbm;
    if (src.substr(0, 5) == "NV-GF") return device_class::geforce;
    if (src.substr(0, 5) == "NV-DC" || src.substr(0, 5) == "NV-WS") return device_class::pro;
    return device_class::unknown;
}

/// Work one device (or the host) does per decoded token under a plan.
struct device_work {
    std::int32_t device = host_device;        ///< GPU index into machine::devices, or host_device
    std::uint64_t weight_bytes = 0;           ///< weight bytes read per decoded token (routed experts weighted by n_expert_used / n_expert)
    std::uint64_t kv_bytes_per_depth = 0;     ///< KV-cache bytes read per decoded token per token of context depth
    std::uint64_t matmul_flops = 0;           ///< matrix-multiply FLOPs per token (2 x active weight elements on this device)
    std::uint64_t attn_flops_per_depth = 0;   ///< attention FLOPs per token per token of context depth
    std::uint32_t layers = 0;                 ///< blocks (of n_layer + output) it runs
    std::uint64_t kv_bytes_per_depth_swa = 0; ///< like kv_bytes_per_depth, for sliding-window layers (depth capped at n_swa)
    std::uint64_t attn_flops_per_depth_swa = 0;  ///< like attn_flops_per_depth, for sliding-window layers
    std::uint32_t moe_layers = 0;             ///< blocks whose routed-expert matmuls (MUL_MAT_ID) run here
    std::uint64_t expert_bytes = 0;           ///< routed-expert bytes read per decoded token (part of weight_bytes)
    std::uint64_t expert_bytes_all = 0;       ///< all routed-expert bytes held here (a large ubatch touches nearly every expert)
    std::uint64_t expert_flops = 0;           ///< routed-expert matmul FLOPs per token (part of matmul_flops)
    std::uint32_t weight_tensors = 0;         ///< weight tensors of the blocks here (each brings a kernel or two: matmuls, norms)
    device_class kind = device_class::unknown;  ///< the GPU's product class (make_perf_inputs looks it up once in the device table)
};

/// Everything the throughput model needs besides the machine.
struct perf_inputs {
    detail::fixed_vector<device_work, LLAMAPLAN_MAX_DEVICES + 1> work{};  ///< host first, then each GPU that holds anything
    std::uint64_t host_weights_streamed = 0;  ///< host-resident weight bytes a GPU copies over the link per ubatch in large-batch prefill
    std::uint32_t device_hops = 0;            ///< device boundaries (graph splits) one token's forward pass crosses
    std::uint64_t hop_bytes = 0;              ///< activation bytes per token per hop (n_embd x 4)
    std::uint32_t n_ubatch = 512;             ///< physical batch (tokens)
    std::uint32_t threads = 0;                ///< CPU threads for decode (0 = physical cores)
    std::uint32_t threads_batch = 0;          ///< CPU threads for prefill (0 = threads)
    bool flash_attn = true;                   ///< flash attention on
    ggml_type weight_type = ggml_type::q4_0;  ///< dominant weight type (for per-type efficiency factors)
    ggml_type type_k = ggml_type::f16, type_v = ggml_type::f16;  ///< KV cache types
    std::uint32_t n_swa = 0;                  ///< sliding window (tokens) of the *_swa fields; 0 = none
    std::uint64_t host_streamed_flops = 0;    ///< matmul FLOPs per token of the host weights a GPU takes over in prefill
    std::uint32_t n_batch = 2048;             ///< logical batch (tokens): the unit pipeline parallelism overlaps ubatches within
    bool pipeline_parallel = false;           ///< several GPUs hold every layer in layer split: ubatches overlap across devices
    bool row_split = false;                   ///< `-sm row` / `-sm tensor` over several GPUs: every GPU runs a share of every layer
    std::uint32_t network_hops = 0;           ///< device boundaries with a device behind an rpc-server on either side
    std::uint64_t network_logits_bytes = 0;   ///< logits a worker holding the output layer returns per decoded token
                                              ///< (n_vocab x 4: ggml-rpc.cpp RPC_CMD_GET_TENSOR of the output)
    double network_latency_s = 0;             ///< the network round trips one token's forward pass waits for (s)
    double network_bytes_per_s = 0;           ///< the slowest link to a worker (bytes/s)
};

/// A link's figures when a worker's are unknown: gigabit Ethernet, 0.2 ms round trip (the home-lab case of the public
/// RPC reports, e.g. llama.cpp PR #16276 over 1 GbE).
inline constexpr double default_link_bytes_per_s = 125e6;
/// See default_link_bytes_per_s (s).
inline constexpr double default_link_rtt_s = 200e-6;
/// Round trips an RPC device costs per graph split it runs (ggml-rpc.cpp: RPC_CMD_SET_TENSOR of its inputs,
/// RPC_CMD_GRAPH_COMPUTE / GRAPH_RECOMPUTE, RPC_CMD_GET_TENSOR of its output; each send_rpc_cmd waits for the reply).
inline constexpr double rpc_round_trips_per_split = 3;

/// The workload, as llama-bench's -p / -d.
struct workload {
    std::uint32_t prompt_tokens = 512;  ///< -p: prompt tokens processed (tokens)
    std::uint32_t depth = 0;            ///< -d: context already filled (tokens)
};

/// What bounds a phase.
enum class perf_bound : std::uint8_t { memory_bandwidth, compute, link, overhead };

/// A short name for a bound ("memory bandwidth").
[[nodiscard]] constexpr std::string_view to_string(perf_bound b) noexcept {
    switch (b) {
        case perf_bound::memory_bandwidth: return "memory bandwidth";
        case perf_bound::compute: return "compute";
        case perf_bound::link: return "host-GPU link";
        case perf_bound::overhead: return "per-token overhead";
    }
    return "?";
}

/// The kind of setup a prediction falls in; each has its own measured error band (perf_bands).
enum class perf_group : std::uint8_t { one_gpu, multi_gpu, offload, apple, cpu, vulkan, rocm, unified_cuda, other };

/// A short name for a group ("one GPU").
[[nodiscard]] constexpr std::string_view to_string(perf_group g) noexcept {
    switch (g) {
        case perf_group::one_gpu: return "one GPU";
        case perf_group::multi_gpu: return "several GPUs";
        case perf_group::offload: return "weights or experts on the host";
        case perf_group::apple: return "Apple silicon";
        case perf_group::cpu: return "CPU only";
        case perf_group::vulkan: return "Vulkan";
        case perf_group::rocm: return "ROCm";
        case perf_group::unified_cuda: return "CUDA, unified memory (GB10)";
        case perf_group::other: return "no published data";
    }
    return "?";
}

/// Predicted speed.
struct throughput_estimate {
    double decode_tps = 0;    ///< tokens/s generating at `depth`
    double prefill_tps = 0;   ///< tokens/s processing a prompt of `prompt_tokens`
    perf_bound decode_bound{}, prefill_bound{};  ///< what bounds each phase
    std::int32_t decode_bound_device = host_device, prefill_bound_device = host_device;  ///< the slowest device
    double decode_tps_low = 0, decode_tps_high = 0;    ///< decode interval (tokens/s): 10th-90th percentile of the group's residuals
    double prefill_tps_low = 0, prefill_tps_high = 0;  ///< prefill interval (tokens/s), likewise
    perf_group group = perf_group::other;  ///< the group whose residuals give the interval
};

/// Kernel families of the CPU backend whose speed differs per weight type (ggml-cpu: repacked Q4_0/IQ4_NL/Q4_K
/// GEMM, plain vec_dot for the rest).
enum class cpu_kernel : std::uint8_t { f16, q8_0, q4_0, kquant, iquant };

/// The CPU kernel family of a weight type.
[[nodiscard]] constexpr cpu_kernel cpu_kernel_of(ggml_type t) noexcept {
    switch (t) {
        case ggml_type::f32: case ggml_type::f16: case ggml_type::bf16: return cpu_kernel::f16;
        case ggml_type::q8_0: return cpu_kernel::q8_0;
        case ggml_type::q4_0: case ggml_type::iq4_nl: case ggml_type::mxfp4: return cpu_kernel::q4_0;
        case ggml_type::iq1_s: case ggml_type::iq1_m: case ggml_type::iq2_xxs: case ggml_type::iq2_xs:
        case ggml_type::iq2_s: case ggml_type::iq3_xxs: case ggml_type::iq3_s: case ggml_type::iq4_xs:
            return cpu_kernel::iquant;
        default: return cpu_kernel::kquant;
    }
}

/// The measured error band of one group: measured / predicted at the 10th and 90th percentile of the group's rows
/// in bench/throughput (fitted and held-out, mainline builds), and how many rows that is.
struct perf_band {
    double decode_lo = 0.6, decode_hi = 1.5;    ///< decode: measured / predicted, 10th and 90th percentile
    double prefill_lo = 0.5, prefill_hi = 1.7;  ///< prefill: likewise
    std::uint32_t decode_rows = 0, prefill_rows = 0;  ///< rows behind each band (0 = no data: the wide default)
};

/// The efficiency constants: fractions of peak achieved and fixed costs. Fitted by tools/fit_throughput.py on the
/// fitted half of tests/data/public (split.csv, chosen before the fit) by minimising the mean over groups of the
/// median |relative error| (bench/throughput). `link_efficiency` and `row_sync_s` are not fitted (no row exercises
/// them): PCIe moves ~80 % of its raw rate; `-sm row` synchronises the GPUs a few times per layer.
struct perf_constants {
    double bw_gpu = 0.8431;            ///< fraction of peak bandwidth a CUDA GPU reaches in decode
    double bw_metal = 0.9;          ///< fraction of peak bandwidth Apple GPUs reach in decode
    double bw_cpu = 0.728;            ///< fraction of the host's peak bandwidth the CPU reaches with enough threads
    double layer_overhead_gpu_s = 2.895e-05;    ///< fixed cost per layer per token on a discrete GPU: its kernels' launch and tail (s)
    double layer_overhead_metal_s = 0.000163;  ///< fixed cost per layer per token on Metal (s)
    double cpu_thread_reach = 6.24;   ///< unused since issue 18 (cpu_core_bw replaces it); kept for --const compatibility
    double mm_gpu = 0.1676;            ///< fraction of peak INT8 (quantized) or FP16 matrix rate in GPU prefill
    double mm_metal = 0.749;          ///< fraction of peak FP16 rate in Metal prefill
    double cpu_f16 = 0.488;           ///< fraction of peak FP32 FLOP rate, CPU prefill, F16/BF16 weights
    double cpu_q8_0 = 0.928;          ///< ... Q8_0 weights
    double cpu_q4_0 = 0.735;          ///< ... Q4_0 / IQ4_NL / MXFP4 (repacked GEMM)
    double cpu_kquant = 0.4682;        ///< ... K-quants and Q5_0 / Q4_1
    double cpu_iquant = 0.322;        ///< ... i-quants
    double cpu_decode_compute = 0.8243; ///< decode (GEMV) per-thread rate relative to prefill's
    double mm_gpu_fp16_fallback = 0.4009;  ///< fraction of FP16 peak when a GPU has no INT8 units (cuBLAS / rocBLAS path)
    double link_efficiency = 0.8;    ///< fraction of the raw PCIe rate achieved (not fitted)
    double hop_latency_s = 1.886e-09;   ///< one graph split per token: the backends synchronise and copy the activations (s)
    double fa_off_attention_factor = 2.0;  ///< attention time multiplier without flash attention (it materialises KQ)
    double moe_layer_overhead_s = 6.002e-06;  ///< extra fixed cost per MoE layer per token on a GPU: routing, top-k, MUL_MAT_ID launches (s)
    double bw_expert = 1;          ///< decode bandwidth efficiency of MUL_MAT_ID reads relative to dense matmuls
    double mm_expert = 0.8265;          ///< prefill matrix efficiency of MUL_MAT_ID relative to dense matmuls (gather, uneven experts)
    double attn_gpu = 0.6618;           ///< prefill attention FLOP rate relative to the device's matmul rate
    double cpu_core_bw = 2.408e+10;     ///< bytes/s one CPU thread streams from memory when the machine does not state it
    double layer_overhead_cpu_s = 2.013e-09;  ///< fixed cost per layer per token on the CPU: a barrier per graph node (s)
    double bw_rocm = 0.5457;           ///< fraction of peak bandwidth in decode under ROCm
    double bw_vulkan = 0.7868;         ///< fraction of peak bandwidth in decode under Vulkan / SYCL
    double mm_rocm = 0.45;            ///< fraction of peak FP16 (or INT8) matrix rate in ROCm prefill
    double mm_vulkan = 0.1873;         ///< fraction of peak FP16 matrix rate in Vulkan / SYCL prefill
    double row_sync_s = 4.0e-5;      ///< `-sm row`: synchronisation cost per layer per token (s; not fitted)
    double mm_gpu_pro = 0.153;        ///< like mm_gpu for workstation and data-center CUDA cards (their INT8 peak is twice their FP16)
    double bw_hbm = 0.4371;             ///< fraction of peak bandwidth HBM cards (A100, H100, MI300X, ...) reach in decode
    double tensor_overhead_s = 2e-06; ///< fixed cost per weight tensor per token on a GPU: the kernels each brings (s)
    double bw_expert_cpu = 0.6242;      ///< decode bandwidth efficiency of the CPU's MUL_MAT_ID reads relative to dense matmuls
};

/// The error band of each perf_group, measured by bench/throughput with the fitted constants (10th / 90th
/// percentile of measured / predicted over the group's mainline rows). Groups with no rows keep the wide default.
inline constexpr perf_band perf_bands[] = {
    /* one_gpu */      {0.832, 1.19, 0.575, 1.42, 109, 108},
    /* multi_gpu */    {0.723, 1.03, 0.781, 1.06, 14, 14},
    /* offload */      {0.6, 1.5, 0.5, 1.7, 3, 0},
    /* apple */        {0.849, 1.2, 0.862, 1.11, 74, 74},
    /* cpu */          {0.589, 1.19, 0.618, 1.57, 104, 35},
    /* vulkan */       {0.578, 1.5, 0.0794, 1.7, 6, 6},
    /* rocm */         {0.901, 1.46, 0.573, 1.09, 11, 14},
    /* unified_cuda */ {0.6, 1.5, 0.5, 1.7, 1, 1},
    /* other */        {0.5, 1.6, 0.4, 2.0, 0, 0},
};

namespace detail {
/// Defaults when a machine does not state a figure: dual-channel DDR5-4800 (76.8 GB/s), 3.5 GHz x 32 FP32
/// FLOP/cycle per core, PCIe 4.0 x16.
inline constexpr double default_host_bandwidth = 76.8e9;
inline constexpr double default_core_flops = 3.5e9 * 32;

/// Raw PCIe rate (bytes/s) of a link: per-lane rate by generation (PCI-SIG: 2.5/5/8/16/32/64 GT/s, 8b/10b below
/// gen 3, 128b/130b from gen 3) times lanes; unknown links count as PCIe 4.0 x16.
[[nodiscard]] constexpr double pcie_bytes_per_s(const device& d) noexcept {
    constexpr double lane[] = {0, 0.25e9, 0.5e9, 0.985e9, 1.969e9, 3.938e9, 7.877e9};
    const std::uint32_t gen = d.pcie_generation >= 1 && d.pcie_generation <= 6 ? d.pcie_generation : 4;
    const std::uint32_t width = d.pcie_width ? d.pcie_width : 16;
    return lane[gen] * width;
}

struct peak {
    double bandwidth = 0;  // bytes/s
    double matmul = 0;     // FLOP/s for quantized / FP16 matmuls
    bool unified = false;
    bool hbm = false;      // HBM memory (data-center cards)
};

}  // namespace detail

namespace detail {
[[nodiscard]] constexpr double cpu_bandwidth(const host& h, double threads, const perf_constants& c) noexcept;
}  // namespace detail

/// A device with the peak figures the caller left 0 taken from the device table (bandwidth, FP16 and INT8
/// throughput, by name), and, for a GPU the table does not know, a mid-range card's (300 GB/s, 30 TFLOP/s; a
/// worker's CPU device: what its cores reach). The
/// throughput model prices every device this way; a planner resolves its machine once (no table lookups after).
[[nodiscard]] constexpr device with_table_figures(const device& d) noexcept {
    device r = d;
    if (r.bandwidth == 0 || r.flops == 0) {
        if (const device_spec* s = match_device(d.name)) {
            if (r.bandwidth == 0) r.bandwidth = static_cast<std::uint64_t>(s->bandwidth_gbs * 1e9);
            if (r.flops == 0) r.flops = static_cast<std::uint64_t>(s->fp16_tflops * 1e12);
            if (r.int8_ops == 0) r.int8_ops = static_cast<std::uint64_t>(s->int8_tops * 1e12);
        }
    }
    if (d.kind == backend::cpu) {
        // a worker's CPU over RPC runs as a host does (detail::cpu_bandwidth with every core busy, and
        // default_core_flops per core; 8 cores when unknown)
        const double cores = d.cpu_cores != 0 ? double(d.cpu_cores) : 8.0;
        host h{};
        h.bandwidth = r.bandwidth;
        r.bandwidth = static_cast<std::uint64_t>(detail::cpu_bandwidth(h, cores, perf_constants{}));
        if (r.flops == 0) r.flops = static_cast<std::uint64_t>(cores * detail::default_core_flops);
        return r;
    }
    if (r.bandwidth == 0) r.bandwidth = 300'000'000'000;
    if (r.flops == 0) r.flops = 30'000'000'000'000;
    return r;
}

namespace detail {
[[nodiscard]] constexpr peak device_peak(const device& d0, device_class cls, ggml_type wt, const perf_constants& c) noexcept {
    peak p;
    const device d = with_table_figures(d0);
    p.bandwidth = double(d.bandwidth);
    const double fp16 = double(d.flops), int8 = double(d.int8_ops);
    const bool quantized = type_traits(wt).quantized;
    // the product class: GeForce figures are FP32-accumulate rates, half the FP16-accumulate rate cuBLAS runs F16
    // GEMMs at (ggml-cuda.cu batched_mul_mat_traits<GGML_TYPE_F16>: CUBLAS_COMPUTE_16F); workstation and data-center
    // cards run MMQ further below their INT8 peak; HBM cards stream decode further below theirs
    const bool geforce = cls == device_class::geforce;
    const bool pro = cls == device_class::pro || (cls == device_class::pro_hbm && d.kind == backend::cuda);
    p.hbm = cls == device_class::pro_hbm;
    if (d.kind == backend::metal) p.matmul = fp16 * c.mm_metal;
    else if (d.kind == backend::rocm) p.matmul = std::max(fp16, quantized ? int8 : 0.0) * c.mm_rocm;
    else if (d.kind == backend::vulkan || d.kind == backend::sycl) p.matmul = fp16 * c.mm_vulkan;
    else if (quantized && int8 > 0 && d.kind == backend::cuda) p.matmul = int8 * (pro ? c.mm_gpu_pro : c.mm_gpu);  // MMQ (ggml-cuda/mmq.cuh)
    else p.matmul = fp16 * (geforce && !quantized ? 2.0 : 1.0) * c.mm_gpu_fp16_fallback;
    p.unified = d.unified_memory;
    return p;
}

/// Fraction of peak bandwidth a GPU backend reaches in decode.
[[nodiscard]] constexpr double bandwidth_efficiency(backend b, bool hbm, const perf_constants& c) noexcept {
    switch (b) {
        case backend::metal: return c.bw_metal;
        case backend::rocm: return hbm ? c.bw_hbm : c.bw_rocm;
        case backend::vulkan: case backend::sycl: return c.bw_vulkan;
        default: return hbm ? c.bw_hbm : c.bw_gpu;
    }
}

[[nodiscard]] constexpr double cpu_kernel_factor(ggml_type wt, const perf_constants& c) noexcept {
    switch (cpu_kernel_of(wt)) {
        case cpu_kernel::f16: return c.cpu_f16;
        case cpu_kernel::q8_0: return c.cpu_q8_0;
        case cpu_kernel::q4_0: return c.cpu_q4_0;
        case cpu_kernel::kquant: return c.cpu_kquant;
        case cpu_kernel::iquant: return c.cpu_iquant;
    }
    return c.cpu_kquant;
}

/// Host memory bandwidth (bytes/s) the CPU streams with `threads` threads: each thread moves at most one core's
/// rate (the machine's bandwidth_per_thread, or c.cpu_core_bw), and all of them together at most c.bw_cpu of the
/// host's peak.
[[nodiscard]] constexpr double cpu_bandwidth(const host& h, double threads, const perf_constants& c) noexcept {
    const double peak = (h.bandwidth ? double(h.bandwidth) : default_host_bandwidth) * c.bw_cpu;
    const double per_thread = h.bandwidth_per_thread ? double(h.bandwidth_per_thread) : c.cpu_core_bw;
    return std::min(peak, std::max(threads, 1.0) * per_thread);
}

struct phase_time {
    double mem = 0, compute = 0, overhead = 0;
    [[nodiscard]] constexpr double total() const noexcept { return std::max(mem, compute) + overhead; }
    [[nodiscard]] constexpr perf_bound bound() const noexcept {
        if (overhead > std::max(mem, compute)) return perf_bound::overhead;
        return compute > mem ? perf_bound::compute : perf_bound::memory_bandwidth;
    }
};

/// The group whose error band applies to a setup (perf_group).
[[nodiscard]] constexpr perf_group group_of(const machine& hw, const perf_inputs& in) noexcept {
    std::uint32_t gpus = 0;
    bool host_weights = false;
    const device* one = nullptr;
    for (const auto& wk : in.work) {
        const bool host = wk.device < 0 || static_cast<std::size_t>(wk.device) >= hw.devices.size();
        if (host) { host_weights = host_weights || wk.weight_bytes > 0; continue; }
        if (wk.weight_bytes == 0 && wk.layers == 0) continue;
        ++gpus;
        one = &hw.devices[static_cast<std::size_t>(wk.device)];
    }
    if (gpus == 0) return perf_group::cpu;
    if (one->kind == backend::metal) return perf_group::apple;
    if (host_weights) return perf_group::offload;
    if (gpus > 1) return perf_group::multi_gpu;
    switch (one->kind) {
        case backend::cuda: return one->unified_memory ? perf_group::unified_cuda : perf_group::one_gpu;
        case backend::vulkan: return perf_group::vulkan;
        case backend::rocm: return perf_group::rocm;
        default: return perf_group::other;
    }
}
}  // namespace detail

/// Predicts decode and prefill tokens/s with explicit constants (see perf_constants). O(devices): it walks
/// perf_inputs::work once.
[[nodiscard]] constexpr throughput_estimate predict_throughput(const machine& hw, const perf_inputs& in, const workload& w,
                                                               const perf_constants& c) noexcept {
    throughput_estimate out;
    const double depth = w.depth;
    const double n_prompt = std::max<std::uint32_t>(w.prompt_tokens, 1);
    const double swa_depth = in.n_swa ? std::min<double>(depth, in.n_swa) : depth;
    // host figures
    const double cores = hw.host.cpus_physical ? hw.host.cpus_physical : (hw.host.cpus_logical ? hw.host.cpus_logical : 8);
    const double host_flops = hw.host.flops ? double(hw.host.flops) : detail::default_core_flops * cores;
    const double t_dec = in.threads ? std::min<double>(in.threads, hw.host.cpus_logical ? hw.host.cpus_logical : in.threads) : cores;
    const double t_pp = in.threads_batch ? double(in.threads_batch) : t_dec;
    const double kfac = detail::cpu_kernel_factor(in.weight_type, c);
    const double attn_factor = in.flash_attn ? 1.0 : c.fa_off_attention_factor;
    const bool have_gpu = !hw.devices.empty();
    // the GPU that takes over host weights in large-batch prefill (ggml-backend.cpp ggml_backend_sched_backend_id_from_cur:
    // op_offload picks the first backend that supports the op and whose offload_op agrees; CUDA's needs a batch of
    // at least op_offload_min_batch_size = 32 rows, ggml-cuda.cu ggml_backend_cuda_device_offload_op)
    const bool offload = have_gpu && in.n_ubatch >= 32 && n_prompt >= 32 && !hw.devices[0].unified_memory &&
                         in.host_weights_streamed > 0;
    const std::uint64_t ub = std::max<std::uint32_t>(in.n_ubatch, 1);
    const double nub = double((std::uint64_t(n_prompt) + ub - 1) / ub);  // ubatches per prompt
    // pipeline parallelism (llama-context.cpp, llama_context: several devices, every layer offloaded, layer split,
    // KV offloaded, no tensor override) overlaps the ubatches of one llama_decode call (n_batch tokens) across devices
    const std::uint64_t nb = std::max<std::uint64_t>(std::max<std::uint32_t>(in.n_batch, in.n_ubatch), 1);
    const double n_calls = double((std::uint64_t(n_prompt) + nb - 1) / nb);
    const double ub_per_call = double((std::min<std::uint64_t>(std::uint64_t(n_prompt), nb) + ub - 1) / ub);

    double dec_total = 0, pp_total = 0, dec_worst = -1, pp_worst = -1;
    double pp_gpu_sum = 0, pp_gpu_max = 0, dec_gpu_max = 0, dec_gpu_sum = 0;
    std::uint32_t gpu_layers = 0;
    for (const auto& wk : in.work) {
        const bool host = wk.device == host_device || wk.device < 0 || static_cast<std::size_t>(wk.device) >= hw.devices.size();
        detail::phase_time dec, pp;
        const double kv_bytes = double(wk.kv_bytes_per_depth) * depth + double(wk.kv_bytes_per_depth_swa) * swa_depth;
        const double attn_dec = (double(wk.attn_flops_per_depth) * depth + double(wk.attn_flops_per_depth_swa) * swa_depth) * attn_factor;
        // prefill: each prompt token attends to depth + its position (half the prompt on average)
        const double ctx_pp = depth + n_prompt / 2;
        const double swa_pp = in.n_swa ? std::min<double>(ctx_pp, in.n_swa) : ctx_pp;
        const double attn_pp = n_prompt * (double(wk.attn_flops_per_depth) * ctx_pp + double(wk.attn_flops_per_depth_swa) * swa_pp) * attn_factor;
        const double kv_pp = nub * (double(wk.kv_bytes_per_depth) * ctx_pp + double(wk.kv_bytes_per_depth_swa) * swa_pp);
        const double dense_bytes = double(wk.weight_bytes) - double(std::min(wk.expert_bytes, wk.weight_bytes));
        const double dense_flops = double(wk.matmul_flops) - double(std::min(wk.expert_flops, wk.matmul_flops));
        // a ubatch routes its tokens to up to n_ubatch x n_expert_used experts: all of them for a large one
        const double expert_pp_bytes = std::max(double(wk.expert_bytes), double(wk.expert_bytes_all));
        if (host) {
            const double bw = detail::cpu_bandwidth(hw.host, t_dec, c);
            const double per_core = host_flops / cores * kfac;
            dec.mem = (dense_bytes + double(wk.expert_bytes) / c.bw_expert_cpu + kv_bytes) / bw;
            dec.compute = (double(wk.matmul_flops) + attn_dec) / (per_core * c.cpu_decode_compute * std::min(t_dec, cores));
            dec.overhead = double(wk.layers + wk.moe_layers) * c.layer_overhead_cpu_s;
            double mm = dense_flops * n_prompt + double(wk.expert_flops) * n_prompt;
            if (offload) mm -= double(in.host_streamed_flops) * n_prompt;  // the GPU runs these
            pp.compute = (std::max(mm, 0.0) + attn_pp) / (per_core * std::min(t_pp, cores));
            pp.mem = (dense_bytes + (offload ? 0.0 : expert_pp_bytes)) * nub / detail::cpu_bandwidth(hw.host, t_pp, c);
            pp.overhead = nub * double(wk.layers + wk.moe_layers) * c.layer_overhead_cpu_s;
        } else {
            const device& d = hw.devices[static_cast<std::size_t>(wk.device)];
            const detail::peak pk = detail::device_peak(d, wk.kind, in.weight_type, c);
            const bool metal = d.kind == backend::metal;
            const double bw = pk.bandwidth * detail::bandwidth_efficiency(d.kind, pk.hbm, c);
            const double fixed = double(wk.layers) * (metal ? c.layer_overhead_metal_s : c.layer_overhead_gpu_s) +
                                 double(wk.moe_layers) * c.moe_layer_overhead_s + double(wk.weight_tensors) * c.tensor_overhead_s;
            dec.mem = (dense_bytes + double(wk.expert_bytes) / c.bw_expert + kv_bytes) / bw;
            dec.compute = (double(wk.matmul_flops) + attn_dec) / pk.matmul;
            dec.overhead = fixed;
            double mm = dense_flops * n_prompt + double(wk.expert_flops) * n_prompt / c.mm_expert;
            if (offload && wk.device == 0) mm += double(in.host_streamed_flops) * n_prompt / c.mm_expert;
            pp.compute = (mm + attn_pp / c.attn_gpu) / pk.matmul;
            pp.mem = ((dense_bytes + expert_pp_bytes) * nub + kv_pp) / bw;
            pp.overhead = nub * fixed;
            pp_gpu_sum += pp.total();
            pp_gpu_max = std::max(pp_gpu_max, pp.total());
            dec_gpu_sum += dec.total();
            dec_gpu_max = std::max(dec_gpu_max, dec.total());
            gpu_layers += wk.layers;
        }
        const double td = dec.total(), tp = pp.total();
        dec_total += td;
        pp_total += tp;
        if (td > dec_worst) { dec_worst = td; out.decode_bound = dec.bound(); out.decode_bound_device = wk.device; }
        if (tp > pp_worst) { pp_worst = tp; out.prefill_bound = pp.bound(); out.prefill_bound_device = wk.device; }
    }
    if (in.row_split && dec_gpu_sum > 0) {
        // every GPU runs its share of every layer at once (ggml-cuda split buffers), synchronising per layer
        const double sync = double(gpu_layers) * c.row_sync_s;
        dec_total += dec_gpu_max - dec_gpu_sum + sync;
        pp_total += pp_gpu_max - pp_gpu_sum + nub * sync;
    } else if (in.pipeline_parallel && pp_gpu_sum > 0 && ub_per_call > 1) {
        // each call's ubatches flow through the devices in sequence: fill and drain once, then the slowest device
        const double per_ub_sum = pp_gpu_sum / nub, per_ub_max = pp_gpu_max / nub;
        const double piped = n_calls * (per_ub_sum + (ub_per_call - 1) * per_ub_max);
        pp_total += std::min(piped, pp_gpu_sum) - pp_gpu_sum;
    }
    // device boundaries (graph splits): each synchronises the backends and copies the activations over the link
    if (in.device_hops > 0 && have_gpu) {
        const double link = detail::pcie_bytes_per_s(hw.devices[0]) * c.link_efficiency;
        const double hop_dec = in.device_hops * (c.hop_latency_s + double(in.hop_bytes) / link);
        const double hop_pp = in.device_hops * (c.hop_latency_s * nub + double(in.hop_bytes) * n_prompt / link);
        dec_total += hop_dec;
        pp_total += hop_pp;
        if (hop_dec > dec_worst) { dec_worst = hop_dec; out.decode_bound = perf_bound::link; }
        if (hop_pp > pp_worst) { pp_worst = hop_pp; out.prefill_bound = perf_bound::link; }
    }
    // the network: every split on a worker waits for its round trips, per token in decoding and per ubatch in
    // prefill, and moves the activations (n_embd floats per token) over the link both ways; a worker holding the
    // output layer sends every decoded token's logits back
    if (in.network_hops > 0) {
        const double bw = in.network_bytes_per_s > 0 ? in.network_bytes_per_s : default_link_bytes_per_s;
        const double net_dec = in.network_latency_s + (2.0 * in.network_hops * double(in.hop_bytes) + double(in.network_logits_bytes)) / bw;
        const double net_pp = in.network_latency_s * nub + 2.0 * in.network_hops * double(in.hop_bytes) * n_prompt / bw;
        dec_total += net_dec;
        pp_total += net_pp;
        if (net_dec > dec_worst) { dec_worst = net_dec; out.decode_bound = perf_bound::link; }
        if (net_pp > pp_worst) { pp_worst = net_pp; out.prefill_bound = perf_bound::link; }
    }
    // large-batch prefill with host weights: each ubatch copies them to the GPU
    if (offload) {
        const double link = detail::pcie_bytes_per_s(hw.devices[0]) * c.link_efficiency;
        const double t_link = nub * double(in.host_weights_streamed) / link;
        pp_total += t_link;
        if (t_link > pp_worst) { pp_worst = t_link; out.prefill_bound = perf_bound::link; out.prefill_bound_device = 0; }
    }
    out.decode_tps = dec_total > 0 ? 1.0 / dec_total : 0;
    out.prefill_tps = pp_total > 0 ? n_prompt / pp_total : 0;
    out.group = detail::group_of(hw, in);
    const perf_band& b = perf_bands[static_cast<std::size_t>(out.group)];
    out.decode_tps_low = out.decode_tps * b.decode_lo;
    out.decode_tps_high = out.decode_tps * b.decode_hi;
    out.prefill_tps_low = out.prefill_tps * b.prefill_lo;
    out.prefill_tps_high = out.prefill_tps * b.prefill_hi;
    return out;
}

/// Predicts decode and prefill tokens/s with the fitted constants.
[[nodiscard]] constexpr throughput_estimate predict_throughput(const machine& hw, const perf_inputs& in, const workload& w) noexcept {
    return predict_throughput(hw, in, w, perf_constants{});
}

/// Builds perf_inputs for a model and launch settings from its summary (summarize() for this machine) and a resolved
/// placement, group by group as the memory model prices weights (tensors an `-ot` rule moves apart from their group
/// one by one). Per decoded token, each group counts its bytes read (routed experts n_expert_used / n_expert of them;
/// the input layer's row gathers not at all) and 2 FLOPs per matrix-multiply parameter used; the KV cache of a layer
/// lives with the layer (or on the host with -nkvo). The cost does not grow with the tensor count, so a planner
/// prices every candidate with it. `classes`, when given, holds device_class_of() of every device of `hw` (saves
/// the device-table lookups).
[[nodiscard]] constexpr result<perf_inputs> make_perf_inputs(const model& m, const model_summary& s, const machine& hw,
                                                             const launch_params& p, const memory_estimate& est,
                                                             const placement& pl,
                                                             std::span<const device_class> classes = {}) noexcept {
    perf_inputs in;
    const hparams& hp = m.hp;
    const std::size_t n_dev = hw.devices.size();
    if (n_dev > LLAMAPLAN_MAX_DEVICES) return make_error(errc::capacity_exceeded, "more devices than LLAMAPLAN_MAX_DEVICES");
    std::array<device_work, LLAMAPLAN_MAX_DEVICES + 1> acc{};
    std::array<bool, LLAMAPLAN_MAX_DEVICES + 1> used{};
    auto slot = [&](std::int32_t dev) -> std::size_t {
        return dev < 0 || static_cast<std::size_t>(dev) >= n_dev ? 0 : static_cast<std::size_t>(dev) + 1;
    };
    for (std::size_t i = 0; i < acc.size(); ++i) acc[i].device = i == 0 ? host_device : static_cast<std::int32_t>(i - 1);
    used[0] = true;

    // weights, per placement group
    const std::size_t input_group = group_index::input(s.n_layer_all);
    // per block: the device of its routed experts (MUL_MAT_ID runs where the expert weights are), or none
    std::array<std::int32_t, LLAMAPLAN_MAX_LAYERS> moe_layer_dev{};
    for (auto& d : moe_layer_dev) d = -2;
    // per block: some routed expert lives elsewhere than the block (the activations cross there and back)
    std::array<bool, LLAMAPLAN_MAX_LAYERS> experts_apart{};
    auto add = [&](const group_cost& c, std::size_t g, std::int32_t dev) {
        if (c.tensors == 0) return;
        device_work& a = acc[slot(dev)];
        used[slot(dev)] = true;
        if (g == input_group) return;  // GET_ROWS gathers a row per token (token and position embeddings): not counted
        a.weight_bytes += c.read_per_token;
        const std::uint64_t flops = 2 * c.matmul_active_params;
        a.matmul_flops += flops;
        if (dev == host_device && n_dev > 0) {
            in.host_weights_streamed += c.matmul_bytes;  // a GPU's MUL_MAT(_ID) copies the whole tensor per large ubatch
            in.host_streamed_flops += flops;
        }
        if (g > input_group) return;  // the output layer
        a.weight_tensors += c.tensors;
        const auto il = static_cast<std::uint32_t>(g / layer_part_count);
        if (!is_expert_part(static_cast<layer_part>(g % layer_part_count))) return;
        a.expert_bytes += c.read_per_token;
        a.expert_bytes_all += c.bytes;
        a.expert_flops += flops;
        if (moe_layer_dev[il] == -2) moe_layer_dev[il] = dev;
        if (dev != est.layers.of(il)) experts_apart[il] = true;
    };
    std::array<bool, max_groups> split{};  // groups with tensors apart (-ot rules), priced tensor by tensor
    for (const auto& x : pl.exceptions)
        if (x.tensor < m.tensors.size()) split[group_of(m.tensors[x.tensor], s.n_layer_all)] = true;
    for (std::size_t g = 0; g < s.n_groups; ++g)
        if (!split[g]) add(s.groups[g], g, pl.group_device(g));
    if (!pl.exceptions.empty())
        for (std::uint32_t i = 0; i < m.tensors.size(); ++i) {
            const tensor_info& t = m.tensors[i];
            const std::size_t g = group_of(t, s.n_layer_all);
            if (!split[g]) continue;
            group_cost one{};
            if (auto ok = add_tensor_cost(one, t, hp, hw, s.use_mmap, s.repack); !ok) return ok.error();
            add(one, g, pl.tensor_device(i, t));
        }
    in.weight_type = s.weight_type;
    std::uint32_t expert_hops = 0;
    for (std::uint32_t il = 0; il < s.n_layer_all; ++il) expert_hops += experts_apart[il] ? 2 : 0;

    // layers and hops along the block sequence (input on the host, blocks, output layer)
    std::int32_t prev = host_device;
    std::uint32_t hops = 0;
    for (std::uint32_t il = 0; il <= est.layers.n_layer_all && il < est.layers.device.size(); ++il) {
        if (il < est.layers.n_layer_all && il >= hp.n_layer) continue;  // MTP layers are not run in decoding
        const std::int32_t dev = est.layers.of(il);
        acc[slot(dev)].layers += 1;
        used[slot(dev)] = true;
        if (dev != prev) {
            ++hops;
            // a split on a worker waits for its round trips (llama.cpp's RPC backend is synchronous)
            const auto remote = [&](std::int32_t d) { return d >= 0 && static_cast<std::size_t>(d) < n_dev && hw.devices[static_cast<std::size_t>(d)].remote(); };
            if (remote(dev)) {
                const device& w = hw.devices[static_cast<std::size_t>(dev)];
                const double rtt = w.link_latency_us != 0 ? double(w.link_latency_us) * 1e-6 : default_link_rtt_s;
                const double bw = w.link_bandwidth != 0 ? double(w.link_bandwidth) : default_link_bytes_per_s;
                ++in.network_hops;
                in.network_latency_s += rpc_round_trips_per_split * rtt;
                if (in.network_bytes_per_s == 0 || bw < in.network_bytes_per_s) in.network_bytes_per_s = bw;
            }
        }
        prev = dev;
    }
    {
        const std::int32_t out = est.layers.output();
        if (out >= 0 && static_cast<std::size_t>(out) < n_dev && hw.devices[static_cast<std::size_t>(out)].remote())
            in.network_logits_bytes = std::uint64_t(hp.n_vocab) * 4;
    }
    for (const std::int32_t dev : moe_layer_dev)
        if (dev != -2) acc[slot(dev)].moe_layers += 1;
    in.device_hops = hops + expert_hops;
    in.hop_bytes = std::uint64_t(hp.n_embd) * 4;

    // KV cache and attention per token of depth
    for (std::uint32_t il = 0; il < hp.n_layer; ++il) {
        if (!hp.has_kv(il)) continue;
        const std::int32_t layer_dev = est.layers.of(il);
        const std::int32_t kv_dev = p.offload_kqv ? layer_dev : host_device;
        const std::uint64_t k = row_size(p.type_k, hp.n_embd_k_gqa(il));
        const std::uint64_t v = hp.is_mla() ? 0 : row_size(p.type_v, hp.n_embd_v_gqa(il));
        const std::uint64_t flops = 2ull * hp.head_count(il) * (std::uint64_t(hp.head_size_k(il)) + hp.head_size_v(il));
        auto& a = acc[slot(kv_dev)];
        if (hp.is_swa(il)) { a.kv_bytes_per_depth_swa += k + v; acc[slot(layer_dev)].attn_flops_per_depth_swa += flops; }
        else { a.kv_bytes_per_depth += k + v; acc[slot(layer_dev)].attn_flops_per_depth += flops; }
        used[slot(kv_dev)] = true;
    }
    in.n_swa = hp.n_swa;
    for (std::size_t i = 1; i <= n_dev; ++i)
        if (used[i]) acc[i].kind = i - 1 < classes.size() ? classes[i - 1] : device_class_of(hw.devices[i - 1]);
    for (std::size_t i = 0; i <= n_dev; ++i)
        if (used[i] && !in.work.push_back(acc[i])) return make_error(errc::capacity_exceeded, "too many devices");
    in.n_ubatch = est.n_ubatch ? est.n_ubatch : p.n_ubatch;
    in.n_batch = est.n_batch ? est.n_batch : p.n_batch;
    // GPUs holding layers, and whether every layer (and the output) is on one
    std::uint32_t gpus_used = 0;
    for (std::size_t i = 1; i <= n_dev; ++i) gpus_used += acc[i].layers > 0 ? 1u : 0u;
    const bool all_on_gpus = acc[0].layers == 0 && est.layers.n_gpu_layers >= est.layers.n_layer_all + 1;
    // llama-context.cpp llama_context::llama_context: pipeline_parallel = n_devices > 1 && n_gpu_layers > n_layer_all
    // && split_mode == LAYER && offload_kqv && !has_tensor_overrides
    in.pipeline_parallel = gpus_used > 1 && all_on_gpus && p.split_mode == split_mode::layer && p.offload_kqv && !pl.overrides;
    in.row_split = gpus_used > 1 && (p.split_mode == split_mode::row || p.split_mode == split_mode::tensor);
    if (in.row_split) in.device_hops = in.device_hops > hops ? in.device_hops - hops + 1 : 1;  // one entry; per-layer syncs priced by row_sync_s
    in.flash_attn = est.flash_attn;
    in.type_k = p.type_k;
    in.type_v = p.type_v;
    return in;
}

/// make_perf_inputs for a placement without a summary at hand: summarizes the model first (about 430 KB of stack).
[[nodiscard]] constexpr result<perf_inputs> make_perf_inputs(const model& m, const machine& hw, const launch_params& p,
                                                             const memory_estimate& est, const placement& pl) noexcept {
    model_summary s;
    if (auto ok = summarize(m, hw, p.use_mmap, p.cpu_repack, s); !ok) return ok.error();
    return make_perf_inputs(m, s, hw, p, est, pl);
}

/// make_perf_inputs for llama-server settings: the placement is resolved from `p` (its `-ot` rules run once).
[[nodiscard]] constexpr result<perf_inputs> make_perf_inputs(const model& m, const machine& hw, const launch_params& p,
                                                             const memory_estimate& est) noexcept {
    auto pl = resolve_placement(m, hw, p);
    if (!pl) return pl.error();
    return make_perf_inputs(m, hw, p, est, *pl);
}

}  // namespace llamaplan

#endif  // LLAMAPLAN_PERF_HPP
