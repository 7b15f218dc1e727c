// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_MEMORY_HPP
#define LLAMAPLAN_MEMORY_HPP

#include <llamaplan/compute.hpp>
#include <llamaplan/config.hpp>
#include <llamaplan/detail/checked.hpp>
#include <llamaplan/detail/fixed_vector.hpp>
#include <llamaplan/machine.hpp>
#include <llamaplan/model.hpp>
#include <llamaplan/params.hpp>
#include <llamaplan/placement.hpp>
#include <llamaplan/result.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>

namespace llamaplan {

/// The kind of a llama.cpp backend buffer (what its log line calls it).
enum class buffer_kind : std::uint8_t {
    cpu,          ///< "CPU": plain host memory
    cpu_mapped,   ///< "CPU_Mapped": the memory-mapped model file
    cpu_repack,   ///< "CPU_REPACK": weights repacked for the CPU's matrix kernels
    cpu_amx,      ///< "AMX": weights packed for Intel AMX tiles
    host_pinned,  ///< "CUDA_Host" etc.: pinned host memory of the first GPU's backend
    gpu,          ///< "CUDA0", "Vulkan1", ...: device memory
};

/// One backend buffer: its kind and the device it belongs to (host_device for host buffers).
struct buffer_ref {
    buffer_kind kind = buffer_kind::cpu;  ///< kind
    std::int32_t device = host_device;    ///< GPU index for buffer_kind::gpu, else host_device

    friend constexpr bool operator==(const buffer_ref&, const buffer_ref&) = default;
};

/// A buffer and its size.
struct buffer_size {
    buffer_ref buffer{};       ///< which buffer
    std::uint64_t bytes = 0;   ///< size (bytes)
};

/// Buffers of one kind of allocation (model weights, KV cache, ...), one entry per distinct buffer.
using buffer_list = detail::fixed_vector<buffer_size, 2 * LLAMAPLAN_MAX_DEVICES + 4>;

/// One row of llama.cpp's memory breakdown (llama_memory_breakdown_print): a device or the host.
struct device_memory {
    std::int32_t device = host_device;  ///< GPU index, or host_device for host memory
    std::uint64_t model = 0;            ///< weights (bytes)
    std::uint64_t context = 0;          ///< KV cache + recurrent state + output buffer (bytes)
    std::uint64_t compute = 0;          ///< compute buffers (bytes)
    std::uint64_t overhead = 0;         ///< outside llama.cpp's buffers: driver context, prompt cache (bytes)
    /// Everything this device must hold (bytes).
    [[nodiscard]] constexpr std::uint64_t total() const noexcept { return model + context + compute + overhead; }
};

/// `overhead_params::prompt_cache` value for `-cram -1`: a prompt cache without a byte limit.
///
/// llama-server (tools/server/server-task.h server_prompt_cache, server-task.cpp update) then evicts only by token
/// count (n_ctx tokens of cached prompts, briefly one prompt more), and an entry's size is its whole sequence state
/// (KV rows plus recurrent state and SWA checkpoints), so no byte bound follows from the settings. estimate_memory
/// budgets it as all host RAM the other host items leave (`machine::host::memory_total` minus them) and refuses when
/// the host's RAM is unknown; a planner must treat the host as full, or refuse the setting.
inline constexpr std::uint64_t unbounded_prompt_cache = ~std::uint64_t(0);

/// Memory that llama.cpp does not report in its buffers but a plan must budget (all overridable).
struct overhead_params {
    std::uint64_t gpu_context = 400ull << 20;  ///< per CUDA/ROCm device: driver + context + cuBLAS workspace (bytes)
    std::uint64_t prompt_cache = 0;            ///< llama-server host prompt cache `-cram` (bytes; server default 8 GiB;
                                               ///< unbounded_prompt_cache for `-cram -1`)
};

/// What llama.cpp allocates for a model and settings, with every item that was summed.
struct memory_estimate {
    // resolved context (llama_context constructor, src/llama-context.cpp)
    std::uint32_t n_ctx = 0;        ///< context after padding to 256 (tokens, all sequences)
    std::uint32_t n_ctx_seq = 0;    ///< context per sequence (tokens)
    std::uint32_t n_stream = 1;     ///< KV streams (1 when unified)
    std::uint32_t n_batch = 0;      ///< logical batch after clamping (tokens)
    std::uint32_t n_ubatch = 0;     ///< physical batch after clamping (tokens)
    std::uint32_t n_outputs = 0;    ///< rows of the output buffer (n_seq_max at start-up; it grows on demand)
    std::uint32_t n_outputs_graph = 0;  ///< output rows in the reserved worst-case graph (min(n_ubatch, n_outputs_max))
    std::uint32_t kv_cells = 0;     ///< KV cells per stream of full-attention layers
    std::uint32_t kv_cells_swa = 0; ///< KV cells per stream of sliding-window layers (0 if none)
    std::uint32_t kv_layers = 0;    ///< layers with a KV cache
    std::uint32_t recurrent_layers = 0;  ///< layers with recurrent state
    bool flash_attn = false;        ///< flash attention after resolving `auto`
    layer_placement layers{};       ///< device of every layer

    // the items, as llama.cpp logs them
    buffer_list model_buffers{};    ///< "model buffer size" lines
    buffer_list kv_buffers{};       ///< "KV buffer size" lines (summed per buffer over SWA and non-SWA caches)
    buffer_list recurrent_buffers{};///< "RS buffer size" lines
    buffer_list output_buffers{};   ///< "output buffer size" line
    buffer_list compute_buffers{};  ///< "compute buffer size" lines
    std::uint64_t kv_k = 0;         ///< K cache (bytes)
    std::uint64_t kv_v = 0;         ///< V cache (bytes)
    std::uint64_t kv_swa = 0;       ///< K + V of the sliding-window layers' cache (bytes; llama.cpp logs it apart)
    compute_breakdown compute_detail{};  ///< the terms of the graph estimate (see compute.hpp)
    bool compute_calibrated = true; ///< false when the compute buffer is extrapolated beyond measured backends
    bool prompt_cache_unbounded = false;  ///< `-cram -1`: the host row's overhead is all RAM left (see unbounded_prompt_cache)

    /// Per device (index 0 is the host), as llama_memory_breakdown reports it, plus explicit overheads.
    detail::fixed_vector<device_memory, LLAMAPLAN_MAX_DEVICES + 1> devices{};

    /// Sum of the sizes in a list (bytes).
    [[nodiscard]] static constexpr std::uint64_t sum(const buffer_list& l) noexcept {
        std::uint64_t s = 0;
        for (const auto& b : l) s += b.bytes;
        return s;
    }
    [[nodiscard]] constexpr std::uint64_t weights() const noexcept { return sum(model_buffers); }      ///< bytes
    [[nodiscard]] constexpr std::uint64_t kv() const noexcept { return sum(kv_buffers); }              ///< bytes
    [[nodiscard]] constexpr std::uint64_t recurrent() const noexcept { return sum(recurrent_buffers); }///< bytes
    [[nodiscard]] constexpr std::uint64_t output() const noexcept { return sum(output_buffers); }      ///< bytes
    [[nodiscard]] constexpr std::uint64_t compute() const noexcept { return sum(compute_buffers); }    ///< bytes
    /// The breakdown row of a device (host_device for the host).
    [[nodiscard]] constexpr const device_memory* row(std::int32_t device) const noexcept {
        for (const auto& d : devices)
            if (d.device == device) return &d;
        return nullptr;
    }
};

namespace detail {
constexpr void add_to(buffer_list& l, buffer_ref b, std::uint64_t bytes) noexcept {
    if (bytes == 0) return;
    for (auto& e : l)
        if (e.buffer == b) { e.bytes += bytes; return; }
    (void)l.push_back({b, bytes});
}

/// Buffer alignment of a backend's device buffers (ggml_backend_buft_get_alignment): CPU TENSOR_ALIGNMENT = 32
/// (ggml/src/ggml-impl.h); CUDA/HIP 128 (ggml-cuda.cu ggml_backend_cuda_buffer_type_get_alignment); others vary by
/// driver: 128 is a conservative stand-in for Vulkan/SYCL, 32 for Metal.
[[nodiscard]] constexpr std::uint64_t buffer_alignment(const machine& m, buffer_ref b) noexcept {
    if (b.kind != buffer_kind::gpu) return 32;
    const auto k = m.devices[static_cast<std::size_t>(b.device)].kind;
    return k == backend::metal ? 32 : 128;
}

/// True if the GPU backends offer a pinned host buffer type (ggml_backend_dev_host_buffer_type is non-null for
/// CUDA, HIP, SYCL and Vulkan; Metal and the CPU have none). llama.cpp puts it first in the CPU buffer list
/// (src/llama-model.cpp make_cpu_buft_list), ahead of CPU_REPACK.
[[nodiscard]] constexpr bool has_host_buffer(const machine& m) noexcept {
    for (const auto& d : m.devices)
        if (d.kind == backend::cuda || d.kind == backend::rocm || d.kind == backend::sycl || d.kind == backend::vulkan)
            return true;
    return false;
}

/// True if a weight is the matrix operand of a MUL_MAT / MUL_MAT_ID (llm_tensor_info_for in src/llama-arch.cpp):
/// 2-D or more, and not the token embedding (GET_ROWS), a norm (MUL) or an auxiliary tensor. The MoE router
/// (ffn_gate_inp) is a MUL_MAT weight too, though usually F32 and so never repacked.
[[nodiscard]] constexpr bool is_matmul_weight(const tensor_info& t) noexcept {
    return t.n_dims >= 2 && t.role != tensor_role::token_embedding && t.role != tensor_role::norm &&
           t.role != tensor_role::output_norm && t.role != tensor_role::other;
}

/// True if the CPU backend repacks this weight (ggml/src/ggml-cpu/repack.cpp ggml_repack_get_optimal_repack_type on
/// x86 with AVX2 / AVX-512: Q4_0, Q4_K, IQ4_NL, MXFP4 and (AVX-512) Q2_K with ne[1] % 8 == 0), and the weight feeds
/// a matrix multiplication the repack buffer type supports (extra_buffer_type::supports_op): a 2-D MUL_MAT weight
/// or a 3-D MUL_MAT_ID weight (routed experts). A batched 3-D MUL_MAT weight -- MLA's attn_k_b / attn_v_b -- is
/// refused and stays in the mapped file.
[[nodiscard]] constexpr bool cpu_repacks(const tensor_info& t) noexcept {
    const bool type_ok = t.type == ggml_type::q4_0 || t.type == ggml_type::q4_k || t.type == ggml_type::iq4_nl ||
                         t.type == ggml_type::mxfp4 || t.type == ggml_type::q2_k;
    const std::uint32_t dims_needed = t.role == tensor_role::ffn_expert ? 3 : 2;  // MUL_MAT_ID : MUL_MAT
    std::uint32_t dims = 4;  // ggml_n_dims: trailing dimensions of size 1 do not count
    while (dims > 1 && t.ne[dims - 1] == 1) --dims;
    return is_matmul_weight(t) && type_ok && dims == dims_needed && t.ne[1] % 8 == 0;
}

/// True if the AMX buffer type takes this weight (ggml/src/ggml-cpu/amx/amx.cpp extra_buffer_type::supports_op):
/// a plain MUL_MAT (not MUL_MAT_ID, so never routed experts; batched 3-D weights such as MLA's attn_k_b count)
/// whose output width ne[1] is a multiple of 2 * TILE_N = 32, with ne[0] a multiple of 32 for Q4_0/Q4_1/Q8_0, 256 for
/// Q4_K/Q5_K/Q6_K/IQ4_XS and 16 for F16.
[[nodiscard]] constexpr bool amx_takes(const tensor_info& t) noexcept {
    if (!is_matmul_weight(t) || t.role == tensor_role::ffn_expert || t.ne[1] % 32 != 0) return false;
    switch (t.type) {
        case ggml_type::q4_0: case ggml_type::q4_1: case ggml_type::q8_0: return t.ne[0] % 32 == 0;
        case ggml_type::q4_k: case ggml_type::q5_k: case ggml_type::q6_k: case ggml_type::iq4_xs: return t.ne[0] % 256 == 0;
        case ggml_type::f16: return t.ne[0] % 16 == 0;
        default: return false;
    }
}

/// Bytes the AMX buffer allocates for a weight (amx/mmq.cpp ggml_backend_amx_get_alloc_size / get_row_size): packed
/// rows carry an int32 compensation per block for Q8_0, 4 extra bytes per block for Q4_K/Q5_K and 2 for IQ4_XS.
/// Like llama.cpp, it counts ne[1] rows only (a batched 3-D quantized weight would get the size of one matrix).
[[nodiscard]] constexpr std::uint64_t amx_alloc_size(const tensor_info& t) noexcept {
    const std::uint64_t blocks = t.ne[0] / block_size(t.type);
    std::uint64_t extra = 0;
    if (t.type == ggml_type::q8_0) extra = 4;
    else if (t.type == ggml_type::q4_k || t.type == ggml_type::q5_k) extra = 4;
    else if (t.type == ggml_type::iq4_xs) extra = 2;
    else if (t.type == ggml_type::f16) return t.bytes;
    return t.ne[1] * blocks * (type_size(t.type) + extra);
}

/// The host buffer a CPU-resident weight lands in: llama.cpp walks the CPU buffer-type list (make_cpu_buft_list:
/// the first GPU's pinned host buffer, then the CPU's extra buffer types AMX and CPU_REPACK, then CPU) and takes the
/// first that supports the weight's op (select_weight_buft); a pinned host buffer is swapped for the mapped file when
/// mmap is on (llama_model_loader::create_tensor). `--no-repack` drops every extra buffer type.
[[nodiscard]] constexpr buffer_kind host_weight_buffer(const machine& m, const launch_params& p, const tensor_info& t) noexcept {
    if (has_host_buffer(m)) return p.use_mmap ? buffer_kind::cpu_mapped : buffer_kind::host_pinned;
    if (p.cpu_repack && m.host.cpu_amx && amx_takes(t)) return buffer_kind::cpu_amx;
    if (p.cpu_repack && m.host.cpu_repack && cpu_repacks(t)) return buffer_kind::cpu_repack;
    return p.use_mmap ? buffer_kind::cpu_mapped : buffer_kind::cpu;
}

/// Bytes a device buffer allocates for a tensor (ggml_backend_buft_get_alloc_size): CUDA pads quantized rows to a
/// multiple of MATRIX_ROW_PADDING = 512 elements (ggml-cuda.cu ggml_backend_cuda_buffer_type_get_alloc_size).
[[nodiscard]] constexpr std::uint64_t alloc_size(const machine& m, buffer_ref b, const tensor_info& t) noexcept {
    if (b.kind == buffer_kind::cpu_amx) return amx_alloc_size(t);
    std::uint64_t bytes = t.bytes;
    if (b.kind == buffer_kind::gpu) {
        const auto k = m.devices[static_cast<std::size_t>(b.device)].kind;
        if ((k == backend::cuda || k == backend::rocm) && type_traits(t.type).quantized && t.ne[0] % 512 != 0)
            bytes += row_size(t.type, 512 - t.ne[0] % 512) * t.ne[1] * t.ne[2] * t.ne[3];
    }
    return bytes;
}
}  // namespace detail

/// Predicts llama.cpp's buffers for `m` on machine `hw` with settings `p` (llama_model_load + llama_init_from_model
/// as llama-server runs them). Errors mirror llama.cpp's refusals, with its reason.
[[nodiscard]] constexpr result<memory_estimate> estimate_memory(const model& m, const machine& hw,
                                                                const launch_params& p,
                                                                const overhead_params& extra = {}) noexcept {
    const hparams& hp = m.hp;
    memory_estimate e;
    if (hp.n_layer == 0 || hp.n_embd == 0) return make_error(errc::invalid_argument, "model has no layers or no embedding length");
    // bounds that keep every product below 2^64 (real models are orders of magnitude smaller)
    if (hp.n_embd >= (1u << 24) || hp.n_vocab >= (1u << 28) || hp.n_embd_head_k >= 65536 || hp.n_embd_head_v >= 65536 ||
        hp.n_embd_head_k_swa >= 65536 || hp.n_embd_head_v_swa >= 65536 || hp.n_ff >= (1u << 24))
        return make_error(errc::overflow, "model hyper-parameters are implausibly large");
    for (std::uint32_t il = 0; il < hp.n_layer; ++il)
        if (hp.head_count(il) >= 65536 || hp.head_count_kv(il) >= 65536 || hp.ff_length(il) >= (1u << 24))
            return make_error(errc::overflow, "a layer's head count or FFN width is implausibly large", il);
    if (hp.n_embd_r() >= (1ull << 32) || hp.n_embd_s() >= (1ull << 32))
        return make_error(errc::overflow, "recurrent state width is implausibly large");
    if (p.n_seq_max == 0 || p.n_seq_max > 256) return make_error(errc::invalid_argument, "n_seq_max must be between 1 and 256 (LLAMA_MAX_SEQ)", p.n_seq_max);
    if (!is_kv_cache_type(p.type_k) || !is_kv_cache_type(p.type_v))
        return make_error(errc::invalid_argument, "unsupported cache type: use f32, f16, bf16, q8_0, q4_0, q4_1, iq4_nl, q5_0 or q5_1");

    // ---- context (llama_context::llama_context, llama_init_from_model in src/llama-context.cpp)
    std::uint64_t n_ctx = p.n_ctx != 0 ? p.n_ctx : hp.n_ctx_train;
    if (n_ctx == 0) return make_error(errc::invalid_argument, "n_ctx and model->hparams.n_ctx_train cannot both be zero");
    const bool quant_v = type_traits(p.type_v).quantized;
    bool fa = p.flash_attn != flash_attn_mode::off;  // auto resolves to on where the backends support it
    if (quant_v && p.flash_attn == flash_attn_mode::off)
        return make_error(errc::invalid_combination, "quantized V cache requires flash_attn to be enabled");
    if (p.split_mode == split_mode::tensor && p.flash_attn == flash_attn_mode::off)
        return make_error(errc::invalid_combination, "SPLIT_MODE_TENSOR requires flash_attn to be enabled");
    if (hp.is_mla() && p.type_k != p.type_v)
        return make_error(errc::invalid_combination, "model does not support different K and V cache types");
    if (fa && type_traits(p.type_k).quantized) {
        for (std::uint32_t il = 0; il < hp.n_layer; ++il)
            if (hp.has_kv(il) && hp.head_size_k(il) % block_size(p.type_k) != 0) {
                if (p.flash_attn == flash_attn_mode::on)
                    return make_error(errc::invalid_combination, "K cache type requires n_embd_head_k to be a multiple of its block size", il);
                fa = false;  // auto: llama.cpp disables FA rather than failing
            }
        if (!fa && quant_v) return make_error(errc::invalid_combination, "quantized V cache requires flash_attn to be enabled");
    }
    e.flash_attn = fa;
    const std::uint64_t n_ctx_requested = n_ctx;
    n_ctx = detail::pad_to(n_ctx, 256);
    std::uint64_t n_ctx_seq = n_ctx;
    if (!p.kv_unified) {
        n_ctx_seq = detail::pad_to(n_ctx / p.n_seq_max, 256);
        if (n_ctx_seq == 0) return make_error(errc::invalid_argument, "n_ctx_seq == 0");
        n_ctx = n_ctx_seq * p.n_seq_max;
    }
    if (n_ctx > 0xffffffffull) return make_error(errc::overflow, "context too large");
    e.n_ctx = static_cast<std::uint32_t>(n_ctx);
    e.n_ctx_seq = static_cast<std::uint32_t>(n_ctx_seq);
    e.n_stream = p.kv_unified ? 1 : p.n_seq_max;
    // with causal attention the batch is clamped to the *requested* context, before padding (llama_context ctor:
    // cparams.n_batch = min(cparams.n_ctx, params.n_batch) runs before GGML_PAD(cparams.n_ctx, 256)), so -c 100
    // reserves a 100-token ubatch although the cache has 256 cells
    e.n_batch = static_cast<std::uint32_t>(std::min<std::uint64_t>(n_ctx_requested, p.n_batch));
    e.n_ubatch = std::min(e.n_batch, p.n_ubatch == 0 ? e.n_batch : p.n_ubatch);
    // llama-server reserves n_parallel outputs (server_output_limits in tools/server/server-context.cpp); the output
    // buffer starts at max(n_outputs, n_seq_max) = n_seq_max rows (llama_context::output_reserve)
    const std::uint32_t n_outputs_max = p.n_outputs_max != 0 ? p.n_outputs_max : p.n_seq_max;
    e.n_outputs = p.n_seq_max;
    e.n_outputs_graph = std::min(e.n_ubatch, n_outputs_max);

    // ---- weights (llama_model::load_tensors, llama_model_loader::create_tensor)
    auto lp = place_layers(hp, hw, p);
    if (!lp) return lp.error();
    e.layers = *lp;
    auto ov = compile_overrides(p, hw);
    if (!ov) return ov.error();
    const bool host_buffer = detail::has_host_buffer(hw);
    // CPU_Mapped buffers cover [first, last) of their tensors in each split file (get_mapping_range)
    struct range { std::uint64_t first = ~0ull, last = 0; };
    std::array<range, 256> mapped{};
    for (const auto& t : m.tensors) {
        const std::int32_t dev = tensor_device(t, e.layers, p, *ov);
        buffer_ref b{buffer_kind::gpu, dev};
        if (dev == host_device) b = {detail::host_weight_buffer(hw, p, t), host_device};
        if (b.kind == buffer_kind::cpu_mapped) {
            if (t.file >= mapped.size()) return make_error(errc::capacity_exceeded, "more than 256 split files", t.file);
            auto& r = mapped[t.file];
            r.first = std::min(r.first, t.offset);
            r.last = std::max(r.last, t.offset + t.bytes);
            continue;
        }
        detail::add_to(e.model_buffers, b, detail::pad_to(detail::alloc_size(hw, b, t), detail::buffer_alignment(hw, b)));
    }
    // tied embeddings: the output layer uses a duplicate of token_embd (llama_model_loader::create_tensor)
    if (m.find("output.weight") == nullptr) {
        if (const auto* te = m.find("token_embd.weight")) {
            tensor_info dup = *te;
            dup.role = tensor_role::output;
            const std::int32_t dev = e.layers.output();
            // a copy is made unless the output layer's buffer is the one token_embd already lives in
            const buffer_ref b = dev == host_device ? buffer_ref{detail::host_weight_buffer(hw, p, dup), host_device}
                                                    : buffer_ref{buffer_kind::gpu, dev};
            const buffer_ref original{detail::host_weight_buffer(hw, p, *te), host_device};
            if (!(b == original)) detail::add_to(e.model_buffers, b, detail::pad_to(detail::alloc_size(hw, b, dup), detail::buffer_alignment(hw, b)));
        }
    }
    for (const auto& r : mapped)
        if (r.first < r.last) detail::add_to(e.model_buffers, {buffer_kind::cpu_mapped, host_device}, r.last - r.first);

    // ---- KV cache (llama_kv_cache constructor, src/llama-kv-cache.cpp; SWA sizes in llama-kv-cache-iswa.cpp)
    const std::uint64_t n_stream = e.n_stream;
    const std::uint64_t kv_size = n_ctx_seq;
    std::uint64_t kv_size_swa = kv_size;
    bool any_swa = false;
    for (std::uint32_t il = 0; il < hp.n_layer; ++il) any_swa = any_swa || (hp.has_kv(il) && hp.is_swa(il));
    if (any_swa && !p.swa_full) {
        const std::uint64_t want = std::uint64_t(hp.n_swa) * (p.kv_unified ? p.n_seq_max : 1) + e.n_ubatch;
        kv_size_swa = detail::pad_to(std::min(kv_size, want), 256);
    }
    e.kv_cells = static_cast<std::uint32_t>(kv_size);
    e.kv_cells_swa = any_swa ? static_cast<std::uint32_t>(kv_size_swa) : 0;
    // without flash attention V is stored transposed and rows are padded to the widest V (n_embd_v_gqa_max)
    std::uint32_t v_max = 0;
    for (std::uint32_t il = 0; il < hp.n_layer; ++il)
        if (hp.has_kv(il)) v_max = std::max(v_max, hp.n_embd_v_gqa(il));
    for (std::uint32_t il = 0; il < hp.n_layer; ++il) {
        if (hp.is_recurrent(il)) ++e.recurrent_layers;
        if (!hp.has_kv(il)) continue;  // false on recurrent layers, except Falcon-H1's (attention + mixer)
        ++e.kv_layers;
        const std::uint64_t cells = hp.is_swa(il) ? kv_size_swa : kv_size;
        const std::int32_t dev = p.offload_kqv ? e.layers.of(il) : host_device;
        const buffer_ref b = dev == host_device ? buffer_ref{buffer_kind::cpu, host_device} : buffer_ref{buffer_kind::gpu, dev};
        const std::uint64_t align = detail::buffer_alignment(hw, b);
        std::uint64_t k = 0, v = 0;
        if (detail::mul_overflows(row_size(p.type_k, hp.n_embd_k_gqa(il)), cells * n_stream, k))
            return make_error(errc::overflow, "KV cache size overflows 64 bits", il);
        k = detail::pad_to(k, align);
        if (!hp.is_mla()) {
            const std::uint32_t v_width = fa ? hp.n_embd_v_gqa(il) : v_max;
            if (detail::mul_overflows(row_size(p.type_v, v_width), cells * n_stream, v))
                return make_error(errc::overflow, "KV cache size overflows 64 bits", il);
            v = detail::pad_to(v, align);
        }
        std::uint64_t kv_total = 0;
        if (detail::add_overflows(e.kv_k, k, e.kv_k) || detail::add_overflows(e.kv_v, v, e.kv_v) ||
            detail::add_overflows(e.kv_k, e.kv_v, kv_total))
            return make_error(errc::overflow, "KV cache size overflows 64 bits", il);
        if (hp.is_swa(il)) e.kv_swa += k + v;
        detail::add_to(e.kv_buffers, b, k + v);
    }

    // ---- recurrent state (llama_memory_recurrent, src/llama-memory-recurrent.cpp): F32, max(1, n_seq_max) rows
    if (e.recurrent_layers > 0) {
        const std::uint64_t rows = std::max<std::uint32_t>(1, p.n_seq_max);
        for (std::uint32_t il = 0; il < hp.n_layer; ++il) {
            if (!hp.is_recurrent(il)) continue;
            const std::int32_t dev = p.offload_kqv ? e.layers.of(il) : host_device;
            const buffer_ref b = dev == host_device ? buffer_ref{buffer_kind::cpu, host_device} : buffer_ref{buffer_kind::gpu, dev};
            const std::uint64_t align = detail::buffer_alignment(hw, b);
            detail::add_to(e.recurrent_buffers, b,
                           detail::pad_to(4 * hp.n_embd_r() * rows, align) + detail::pad_to(4 * hp.n_embd_s() * rows, align));
        }
    }

    // ---- output buffer (llama_context::output_reserve): logits (+ embeddings) for n_outputs rows, F32,
    // in the host buffer of the output layer's device
    {
        const std::uint64_t n_embd_out = hp.n_embd_out != 0 ? hp.n_embd_out : hp.n_embd;
        const std::uint64_t floats = std::uint64_t(hp.n_vocab) * e.n_outputs + (p.embeddings ? n_embd_out * e.n_outputs : 0);
        const bool pinned = e.layers.output() != host_device && host_buffer;
        detail::add_to(e.output_buffers, {pinned ? buffer_kind::host_pinned : buffer_kind::cpu, host_device}, floats * 4);
    }

    // ---- compute buffers (llama_context::sched_reserve): the worst-case graph for one ubatch
    {
        compute_shape cs{};
        cs.n_tokens = e.n_ubatch;
        cs.n_outputs = e.n_outputs_graph;
        cs.n_seqs = p.n_seq_max;
        cs.n_stream = e.n_stream;
        cs.n_kv = e.kv_cells;
        cs.n_kv_swa = any_swa ? e.kv_cells_swa : e.kv_cells;
        cs.flash_attn = fa;
        cs.type_k = p.type_k;
        cs.type_v = p.type_v;
        e.compute_detail = compute_buffer_cpu_breakdown(m, cs);
        // the graph replay has fixed capacities (live tensors, free blocks as ggml-alloc.c MAX_FREE_BLOCKS); running
        // out would make the figure a lower bound, so it is an error rather than a silent underestimate
        if (e.compute_detail.status == compute_status::unknown_architecture)
            return make_error(errc::invalid_argument, "the model names no architecture: set hparams::id (arch::generic for a standard decoder)");
        if (!e.compute_detail.ok)
            return make_error(errc::capacity_exceeded, "compute graph too large for the allocator replay's fixed capacity");
        const std::uint64_t graph = e.compute_detail.total;
        if (e.layers.n_gpu_layers == 0) {
            detail::add_to(e.compute_buffers, {buffer_kind::cpu, host_device}, graph);
        } else {
            // Each GPU holding layers reserves the graph of its layers; the largest live tensors are per-layer, so
            // every such device is charged the whole-graph figure (an upper bound), and the host keeps the graph
            // inputs (token ids, embeddings of the ubatch) — 4 copies with pipeline parallelism
            // (llama_context: GGML_SCHED_MAX_COPIES when several devices hold every layer and no -ot is set).
            e.compute_calibrated = false;
            std::uint32_t n_gpus_used = 0;
            for (std::size_t d = 0; d < hw.devices.size(); ++d) {
                bool used = false;
                for (const auto dev : e.layers.device) used = used || dev == static_cast<std::int32_t>(d);
                if (!used) continue;
                ++n_gpus_used;
                detail::add_to(e.compute_buffers, {buffer_kind::gpu, static_cast<std::int32_t>(d)}, graph);
            }
            const bool pipeline = n_gpus_used > 1 && e.layers.n_gpu_layers == e.layers.n_layer_all + 1 &&
                                  p.split_mode == split_mode::layer && p.offload_kqv && p.overrides.empty() &&
                                  !p.cpu_moe && p.n_cpu_moe == 0;
            const std::uint64_t inputs = std::uint64_t(e.n_ubatch) * hp.n_embd * 4 + std::uint64_t(hp.n_vocab) * cs.n_outputs * 4;
            detail::add_to(e.compute_buffers, {host_buffer ? buffer_kind::host_pinned : buffer_kind::cpu, host_device},
                           inputs * (pipeline ? 4 : 1));
        }
    }

    // ---- per-device rows (llama_memory_breakdown) plus overheads outside llama.cpp's buffers
    e.prompt_cache_unbounded = extra.prompt_cache == unbounded_prompt_cache;
    (void)e.devices.push_back({host_device, 0, 0, 0, e.prompt_cache_unbounded ? 0 : extra.prompt_cache});
    for (std::size_t d = 0; d < hw.devices.size(); ++d) {
        const bool cuda_like = hw.devices[d].kind == backend::cuda || hw.devices[d].kind == backend::rocm;
        (void)e.devices.push_back({static_cast<std::int32_t>(d), 0, 0, 0, cuda_like ? extra.gpu_context : 0});
    }
    auto row_of = [&](const buffer_ref& b) -> device_memory& {
        const std::size_t i = b.kind == buffer_kind::gpu ? static_cast<std::size_t>(b.device) + 1 : 0;
        return e.devices[i];
    };
    for (const auto& b : e.model_buffers) row_of(b.buffer).model += b.bytes;
    for (const auto& b : e.kv_buffers) row_of(b.buffer).context += b.bytes;
    for (const auto& b : e.recurrent_buffers) row_of(b.buffer).context += b.bytes;
    for (const auto& b : e.output_buffers) row_of(b.buffer).context += b.bytes;
    for (const auto& b : e.compute_buffers) row_of(b.buffer).compute += b.bytes;
    if (e.prompt_cache_unbounded) {
        // -cram -1: the prompt cache may take every byte of host RAM the other host items leave
        if (hw.host.memory_total == 0)
            return make_error(errc::invalid_argument, "-cram -1 (unbounded prompt cache) needs the host's RAM size to budget it");
        const std::uint64_t used = e.devices[0].total();
        e.devices[0].overhead = hw.host.memory_total > used ? hw.host.memory_total - used : 0;
    }
    return e;
}

/// The name llama.cpp gives a buffer ("CPU_Mapped", "CUDA0", "CUDA_Host", "Vulkan0"). GPUs are numbered per backend
/// (machine::backend_ordinal): the first Vulkan device after a CUDA one is "Vulkan0".
/// Writes into `out` (at least 16 chars) and returns the used part.
[[nodiscard]] constexpr std::string_view buffer_name(const machine& hw, buffer_ref b, std::span<char> out) noexcept {
    auto put = [&](std::string_view s, std::size_t at) {
        std::size_t i = 0;
        for (; i < s.size() && at + i < out.size(); ++i) out[at + i] = s[i];
        return at + i;
    };
    auto backend_prefix = [](backend k) { return device_name_prefix(k == backend::cpu ? backend::other : k); };
    std::size_t n = 0;
    switch (b.kind) {
        case buffer_kind::cpu: n = put("CPU", 0); break;
        case buffer_kind::cpu_mapped: n = put("CPU_Mapped", 0); break;
        case buffer_kind::cpu_repack: n = put("CPU_REPACK", 0); break;
        case buffer_kind::cpu_amx: n = put("AMX", 0); break;
        case buffer_kind::host_pinned: {
            backend k = backend::cuda;
            for (const auto& d : hw.devices)
                if (d.kind != backend::metal) { k = d.kind; break; }
            n = put(backend_prefix(k), 0);
            n = put("_Host", n);
            break;
        }
        case buffer_kind::gpu: {
            const auto idx = static_cast<std::size_t>(b.device);
            n = put(backend_prefix(idx < hw.devices.size() ? hw.devices[idx].kind : backend::other), 0);
            char digits[12]{};
            std::size_t nd = 0;
            std::size_t v = idx < hw.devices.size() ? hw.backend_ordinal(idx) : idx;
            do { digits[nd++] = char('0' + v % 10); v /= 10; } while (v != 0 && nd < sizeof digits);
            while (nd > 0 && n < out.size()) out[n++] = digits[--nd];
            break;
        }
    }
    return {out.data(), n};
}

}  // namespace llamaplan

#endif  // LLAMAPLAN_MEMORY_HPP
