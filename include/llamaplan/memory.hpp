// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_MEMORY_HPP
#define LLAMAPLAN_MEMORY_HPP

#include <llamaplan/compute.hpp>
#include <llamaplan/compute/vision.hpp>
#include <llamaplan/config.hpp>
#include <llamaplan/detail/checked.hpp>
#include <llamaplan/detail/fixed_vector.hpp>
#include <llamaplan/machine.hpp>
#include <llamaplan/mmproj.hpp>
#include <llamaplan/model.hpp>
#include <llamaplan/params.hpp>
#include <llamaplan/placement.hpp>
#include <llamaplan/result.hpp>
#include <llamaplan/summary.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG {

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
    std::uint64_t draft = 0;            ///< the draft model's weights, context and compute buffers (`-md`; bytes)
    std::uint64_t mmproj = 0;           ///< the multimodal projector's weights and compute buffer (`--mmproj`; bytes)
    /// Everything this device must hold (bytes).
    [[nodiscard]] constexpr std::uint64_t total() const noexcept { return model + context + compute + overhead + draft + mmproj; }
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

/// The buffers of the draft model llama-server loads for speculative decoding (`-md`): a second llama_model and
/// llama_context (common/speculative.cpp common_speculative_init_result), which log the same lines as the target's
/// after "loading draft model". Its settings are draft_launch_params of the target's.
struct draft_estimate {
    bool present = false;           ///< a draft model is loaded
    std::uint32_t n_ctx = 0;        ///< context (tokens, all sequences; the target's)
    std::uint32_t n_ctx_seq = 0;    ///< context per sequence (tokens)
    std::uint32_t n_batch = 0;      ///< logical batch (tokens; clamped to the target's padded n_ctx, not the requested one)
    std::uint32_t n_ubatch = 0;     ///< physical batch (tokens)
    std::uint32_t n_outputs = 0;    ///< rows of the output buffer (n_seq_max)
    std::uint32_t kv_cells = 0;     ///< KV cells per stream of full-attention layers
    std::uint32_t kv_cells_swa = 0; ///< KV cells per stream of sliding-window layers (0 if none)
    bool flash_attn = false;        ///< flash attention after resolving `auto` for the draft
    layer_placement layers{};       ///< device of every draft layer
    buffer_list model_buffers{};    ///< "model buffer size" lines of the draft
    buffer_list kv_buffers{};       ///< "KV buffer size" lines of the draft (SWA and non-SWA summed per buffer)
    buffer_list recurrent_buffers{};///< "RS buffer size" lines of the draft
    buffer_list output_buffers{};   ///< "output buffer size" line of the draft
    buffer_list compute_buffers{};  ///< "compute buffer size" lines of the draft
    std::uint64_t kv_k = 0;         ///< K cache (bytes)
    std::uint64_t kv_v = 0;         ///< V cache (bytes)
    std::uint64_t kv_swa = 0;       ///< K + V of the sliding-window layers' cache (bytes)
    bool compute_calibrated = true; ///< false when the compute buffer is extrapolated beyond measured backends
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
    std::uint64_t mapped_used = 0;  ///< bytes of the CPU_Mapped buffers that the run reads after loading: the host
                                    ///< tensors it maps. The rest of a mapped range (tensors copied to a GPU or
                                    ///< repacked at load) is clean page cache the kernel reclaims under pressure
    bool prompt_cache_unbounded = false;  ///< `-cram -1`: the host row's overhead is all RAM left (see unbounded_prompt_cache)
    draft_estimate draft{};         ///< the draft model (`-md`), when present; its bytes are in devices[].draft
    mmproj_estimate mmproj{};       ///< the multimodal projector (`--mmproj`), when present; its bytes are in devices[].mmproj

    /// Per device (index 0 is the host), as llama_memory_breakdown reports it, plus explicit overheads.
    detail::fixed_vector<device_memory, LLAMAPLAN_MAX_DEVICES + 1> devices{};

    /// Sum of the sizes in a list (bytes).
    [[nodiscard]] static constexpr std::uint64_t sum(const buffer_list& l) noexcept {
        std::uint64_t s = 0;
        for (const auto& b : l) s += b.bytes;
        return s;
    }
    [[nodiscard]] constexpr std::uint64_t weights() const noexcept { return sum(model_buffers); }      ///< bytes
    /// Bytes of the CPU_Mapped buffers that stay page cache after loading (mapped, read once, not read again): the
    /// host memory a run does not keep resident (llama_model_loader::load_all_data copies GPU and repacked tensors
    /// out of the mapping, and unmaps only the fragments before and after the used range).
    [[nodiscard]] constexpr std::uint64_t mapped_reclaimable() const noexcept {
        std::uint64_t mapped = 0;
        for (const auto& b : model_buffers)
            if (b.buffer.kind == buffer_kind::cpu_mapped) mapped += b.bytes;
        return mapped > mapped_used ? mapped - mapped_used : 0;
    }
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

/// Buffer alignment of a buffer (ggml_backend_buft_get_alignment): CPU TENSOR_ALIGNMENT = 32 (ggml/src/ggml-impl.h);
/// device buffers by their class (summary.hpp gpu_alignment).
[[nodiscard]] constexpr std::uint64_t buffer_alignment(const machine& m, buffer_ref b) noexcept {
    if (b.kind != buffer_kind::gpu) return 32;
    return gpu_alignment(gpu_class_of(m.devices[static_cast<std::size_t>(b.device)]));
}

/// The buffer of a host_buffer kind.
[[nodiscard]] constexpr buffer_ref host_ref(host_buffer h) noexcept {
    switch (h) {
        case host_buffer::repack: return {buffer_kind::cpu_repack, host_device};
        case host_buffer::amx: return {buffer_kind::cpu_amx, host_device};
        case host_buffer::pinned: return {buffer_kind::host_pinned, host_device};
        default: return {buffer_kind::cpu, host_device};
    }
}

/// Adds a group's (or a single tensor's) weights on `device` to the model buffers and the mapped ranges.
constexpr void add_group_weights(buffer_list& l, std::array<mapped_range, 256>& mapped, std::uint64_t& mapped_used,
                                 const machine& hw, const group_cost& g, std::int32_t device) noexcept {
    if (device != host_device) {
        add_to(l, {buffer_kind::gpu, device}, g.gpu[static_cast<std::size_t>(gpu_class_of(hw.devices[static_cast<std::size_t>(device)]))]);
        return;
    }
    for (std::size_t h = 0; h < host_buffer_count; ++h) add_to(l, host_ref(static_cast<host_buffer>(h)), g.host[h]);
    mapped_used += g.mapped_bytes;
    for (const auto& r : g.mapped) {
        if (r.empty()) continue;
        auto& m = mapped[r.file];
        m.first = std::min(m.first, r.first);
        m.last = std::max(m.last, r.last);
    }
}
}  // namespace detail

/// Resolves the context llama.cpp builds from the settings (llama_context::llama_context and llama_init_from_model
/// in src/llama-context.cpp): n_ctx padding, streams, batch clamping, output rows, KV cells, flash attention; and
/// refuses what llama.cpp refuses, with its reason. Fills the shape fields of a fresh estimate.
/// With `-nkvo` (the KV cache on the host) and blocks on devices, `-fa auto` resolves to off: llama.cpp's flash
/// attention probe finds the attention op on the host, not on its layer's device (llama-context.cpp
/// resolve_fused_ops, "device_mismatch"); `kv_apart` says so (kv_apart_from_layers).
[[nodiscard]] constexpr result<memory_estimate> resolve_context(const hparams& hp, const launch_params& p,
                                                                bool kv_apart = false) noexcept {
    memory_estimate e;
    if (p.n_seq_max == 0 || p.n_seq_max > 256) return make_error(errc::invalid_argument, "n_seq_max must be between 1 and 256 (LLAMA_MAX_SEQ)", p.n_seq_max);
    if (!is_kv_cache_type(p.type_k) || !is_kv_cache_type(p.type_v))
        return make_error(errc::invalid_argument, "unsupported cache type: use f32, f16, bf16, q8_0, q4_0, q4_1, iq4_nl, q5_0 or q5_1");
    std::uint64_t n_ctx = p.n_ctx != 0 ? p.n_ctx : hp.n_ctx_train;
    if (n_ctx == 0) return make_error(errc::invalid_argument, "n_ctx and model->hparams.n_ctx_train cannot both be zero");
    const bool quant_v = type_traits(p.type_v).quantized;
    // auto resolves to on where the backends support it (and llama_context_params sets it on for a quantized V)
    bool fa = p.flash_attn != flash_attn_mode::off && !(p.flash_attn == flash_attn_mode::automatic && kv_apart && !quant_v);
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
    // with speculation each slot verifies 1 + spec_n_max(spec) tokens per step, so the target reserves that many rows per
    // slot, capped by the requested -b (server_output_limits, common_speculative_get_output_limits)
    const std::uint32_t n_outputs_max = p.n_outputs_max != 0
        ? p.n_outputs_max
        : static_cast<std::uint32_t>(std::max<std::uint64_t>(1, std::min<std::uint64_t>(p.n_batch, std::uint64_t(p.n_seq_max) * (1 + std::uint64_t(spec_n_max(p.spec))))));
    e.n_outputs = p.n_seq_max;
    e.n_outputs_graph = std::min(e.n_ubatch, n_outputs_max);
    // KV cells (llama_kv_cache constructor, src/llama-kv-cache.cpp; SWA sizes in llama-kv-cache-iswa.cpp)
    bool any_swa = false;
    for (std::uint32_t il = 0; il < hp.n_layer; ++il) any_swa = any_swa || (hp.has_kv(il) && hp.is_swa(il));
    std::uint64_t kv_size_swa = n_ctx_seq;
    if (any_swa && !p.swa_full) {
        const std::uint64_t want = std::uint64_t(hp.n_swa) * (p.kv_unified ? p.n_seq_max : 1) + e.n_ubatch;
        kv_size_swa = detail::pad_to(std::min<std::uint64_t>(n_ctx_seq, want), 256);
    }
    e.kv_cells = static_cast<std::uint32_t>(n_ctx_seq);
    e.kv_cells_swa = any_swa ? static_cast<std::uint32_t>(kv_size_swa) : 0;
    return e;
}

/// True if the KV cache stays on the host while blocks run on devices (`-nkvo` with `-ngl` > 0 on a machine with
/// devices): see resolve_context.
[[nodiscard]] constexpr bool kv_apart_from_layers(const machine& hw, const launch_params& p) noexcept {
    return !p.offload_kqv && !hw.devices.empty() && p.n_gpu_layers != 0;
}

/// The graph shape llama.cpp reserves its compute buffer for (llama_context::sched_reserve), from a resolved context.
[[nodiscard]] constexpr compute_shape compute_shape_of(const memory_estimate& e, const launch_params& p) noexcept {
    compute_shape cs{};
    cs.n_tokens = e.n_ubatch;
    cs.n_outputs = e.n_outputs_graph;
    cs.n_seqs = p.n_seq_max;
    cs.n_stream = e.n_stream;
    cs.n_kv = e.kv_cells;
    cs.n_kv_swa = e.kv_cells_swa != 0 ? e.kv_cells_swa : e.kv_cells;
    cs.flash_attn = e.flash_attn;
    cs.type_k = p.type_k;
    cs.type_v = p.type_v;
    return cs;
}

/// Adds the model buffers of a placement (llama_model::load_tensors, llama_model_loader::create_tensor), priced from
/// the summary: groups without exceptions as wholes, the others tensor by tensor.
[[nodiscard]] constexpr result<bool> add_weight_buffers(memory_estimate& e, const model& m, const model_summary& s,
                                                        const placement& pl, const machine& hw) noexcept {
    std::array<mapped_range, 256> mapped{};  // CPU_Mapped buffers cover [first, last) of their tensors per file
    std::array<bool, max_groups> split{};    // groups with exceptions
    for (const auto& x : pl.exceptions) {
        if (x.tensor >= m.tensors.size()) return make_error(errc::invalid_argument, "placement names a tensor that does not exist", x.tensor);
        split[group_of(m.tensors[x.tensor], s.n_layer_all)] = true;
    }
    for (std::size_t g = 0; g < s.n_groups; ++g) {
        if (split[g]) continue;
        const std::int32_t dev = pl.group_device(g);
        if (dev != host_device && (dev < 0 || static_cast<std::size_t>(dev) >= hw.devices.size()))
            return make_error(errc::invalid_argument, "placement names a device that does not exist", g);
        detail::add_group_weights(e.model_buffers, mapped, e.mapped_used, hw, s.groups[g], dev);
    }
    if (!pl.exceptions.empty()) {
        for (std::size_t i = 0; i < m.tensors.size(); ++i) {
            const auto& t = m.tensors[i];
            if (!split[group_of(t, s.n_layer_all)]) continue;
            const std::int32_t dev = pl.tensor_device(static_cast<std::uint32_t>(i), t);
            if (dev != host_device && (dev < 0 || static_cast<std::size_t>(dev) >= hw.devices.size()))
                return make_error(errc::invalid_argument, "placement names a device that does not exist", i);
            group_cost one{};
            if (auto ok = add_tensor_cost(one, t, m.hp, hw, s.use_mmap, s.repack); !ok) return ok.error();
            detail::add_group_weights(e.model_buffers, mapped, e.mapped_used, hw, one, dev);
        }
    }
    // tied embeddings: the output layer uses a duplicate of token_embd (llama_model_loader::create_tensor), made
    // unless the output layer's buffer is the one token_embd already lives in
    if (s.tied_output) {
        tensor_info dup = m.tensors[static_cast<std::size_t>(s.token_embd)];
        const std::int32_t embd_dev = pl.tensor_device(static_cast<std::uint32_t>(s.token_embd), dup);
        dup.role = tensor_role::output;
        const std::int32_t dev = pl.layers.output();
        auto buffer_of = [&](std::int32_t d, const tensor_info& t) -> buffer_ref {
            if (d != host_device) return {buffer_kind::gpu, d};
            host_buffer h{};
            return detail::host_buffer_of(hw, s.use_mmap, s.repack, t, h) ? detail::host_ref(h)
                                                                          : buffer_ref{buffer_kind::cpu_mapped, host_device};
        };
        const buffer_ref b = buffer_of(dev, dup);
        if (!(b == buffer_of(embd_dev, m.tensors[static_cast<std::size_t>(s.token_embd)]))) {
            group_cost one{};
            if (auto ok = add_tensor_cost(one, dup, m.hp, hw, s.use_mmap, s.repack); !ok) return ok.error();
            if (b.kind == buffer_kind::cpu_mapped) {
                detail::add_to(e.model_buffers, b, detail::pad_to(dup.bytes, 32));
                e.mapped_used += dup.bytes;
            } else {
                detail::add_group_weights(e.model_buffers, mapped, e.mapped_used, hw, one, dev);
            }
        }
    }
    for (const auto& r : mapped)
        if (r.first < r.last) detail::add_to(e.model_buffers, {buffer_kind::cpu_mapped, host_device}, r.last - r.first);
    return true;
}

/// Adds the KV cache buffers (llama_kv_cache constructor, src/llama-kv-cache.cpp): each attention layer's K and V on
/// its block's device (the host with `-nkvo`).
[[nodiscard]] constexpr result<bool> add_kv_buffers(memory_estimate& e, const hparams& hp, const machine& hw,
                                                    const launch_params& p) noexcept {
    const std::uint64_t n_stream = e.n_stream;
    // without flash attention V is stored transposed and rows are padded to the widest V (n_embd_v_gqa_max)
    std::uint32_t v_max = 0;
    for (std::uint32_t il = 0; il < hp.n_layer; ++il)
        if (hp.has_kv(il)) v_max = std::max(v_max, hp.n_embd_v_gqa(il));
    for (std::uint32_t il = 0; il < hp.n_layer; ++il) {
        if (hp.is_recurrent(il)) ++e.recurrent_layers;
        if (!hp.has_kv(il)) continue;  // false on recurrent layers, except Falcon-H1's (attention + mixer)
        ++e.kv_layers;
        const std::uint64_t cells = hp.is_swa(il) ? e.kv_cells_swa : e.kv_cells;
        const std::int32_t dev = p.offload_kqv ? e.layers.of(il) : host_device;
        const buffer_ref b = dev == host_device ? buffer_ref{buffer_kind::cpu, host_device} : buffer_ref{buffer_kind::gpu, dev};
        const std::uint64_t align = detail::buffer_alignment(hw, b);
        std::uint64_t k = 0, v = 0;
        if (detail::mul_overflows(row_size(p.type_k, hp.n_embd_k_gqa(il)), cells * n_stream, k))
            return make_error(errc::overflow, "KV cache size overflows 64 bits", il);
        k = detail::pad_to(k, align);
        if (!hp.is_mla()) {
            const std::uint32_t v_width = e.flash_attn ? hp.n_embd_v_gqa(il) : v_max;
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
    return true;
}

/// Adds the recurrent-state buffers (llama_memory_recurrent, src/llama-memory-recurrent.cpp): F32, max(1,
/// n_seq_max) rows per recurrent layer, on its block's device.
constexpr void add_recurrent_buffers(memory_estimate& e, const hparams& hp, const machine& hw,
                                     const launch_params& p) noexcept {
    if (e.recurrent_layers == 0) return;
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

/// Adds the output buffer (llama_context::output_reserve): logits (+ embeddings) for n_outputs rows, F32, in the
/// host buffer of the output layer's device.
constexpr void add_output_buffer(memory_estimate& e, const hparams& hp, const machine& hw, const launch_params& p) noexcept {
    const std::uint64_t n_embd_out = hp.n_embd_out != 0 ? hp.n_embd_out : hp.n_embd;
    const std::uint64_t floats = std::uint64_t(hp.n_vocab) * e.n_outputs + (p.embeddings ? n_embd_out * e.n_outputs : 0);
    const bool pinned = e.layers.output() != host_device && detail::has_host_buffer(hw);
    detail::add_to(e.output_buffers, {pinned ? buffer_kind::host_pinned : buffer_kind::cpu, host_device}, floats * 4);
}

/// Adds the compute buffers (llama_context::sched_reserve) given the graph's CPU figure, which does not depend on
/// the placement (so a planner computes it once per shape). A graph the replay could not build is an error, never a
/// silent underestimate.
[[nodiscard]] constexpr result<bool> add_compute_buffers(memory_estimate& e, const model& m, const machine& hw,
                                                         const launch_params& p, const placement& pl,
                                                         const compute_breakdown& graph_cpu) noexcept {
    const hparams& hp = m.hp;
    e.compute_detail = graph_cpu;
    // the graph replay has fixed capacities (live tensors, free blocks as ggml-alloc.c MAX_FREE_BLOCKS); running out
    // would make the figure a lower bound
    if (graph_cpu.status == compute_status::unknown_architecture)
        return make_error(errc::invalid_argument, "the model names no architecture: set hparams::id (arch::generic for a standard decoder)");
    if (!graph_cpu.ok)
        return make_error(errc::capacity_exceeded, "compute graph too large for the allocator replay's fixed capacity");
    const std::uint64_t graph = graph_cpu.total;
    if (e.layers.n_gpu_layers == 0) {
        detail::add_to(e.compute_buffers, {buffer_kind::cpu, host_device}, graph);
        return true;
    }
    // Each GPU holding layers reserves the graph of its layers; the largest live tensors are per-layer, so every such
    // device is charged the whole-graph figure (an upper bound; measured over RPC: tests/accuracy/test_rpc_real.cpp).
    e.compute_calibrated = false;
    std::uint32_t n_gpus_used = 0;
    bool any_remote = false;
    for (std::size_t d = 0; d < hw.devices.size(); ++d) {
        bool used = false;
        for (const auto dev : e.layers.device) used = used || dev == static_cast<std::int32_t>(d);
        if (!used) continue;
        ++n_gpus_used;
        any_remote = any_remote || hw.devices[d].remote();
        detail::add_to(e.compute_buffers, {buffer_kind::gpu, static_cast<std::int32_t>(d)}, graph);
    }
    // The host holds every graph input (ggml_backend_sched_backend_id_from_cur: an input goes to the last backend,
    // the CPU) and the token embedding's GET_ROWS (its weight stays on the host): with no block on the host that is
    // its whole compute buffer, exact over RPC. With pipeline parallelism every input has GGML_SCHED_MAX_COPIES = 4
    // copies (ggml_backend_sched_split_graph); llama_context turns it on when several devices hold every layer, the
    // split is by layer, the KV cache is offloaded, no tensor override is set, and every device has async compute
    // and events (an RPC device has neither: ggml-rpc.cpp ggml_backend_rpc_device_get_props).
    const bool pipeline = n_gpus_used > 1 && !any_remote && e.layers.n_gpu_layers == e.layers.n_layer_all + 1 &&
                          p.split_mode == split_mode::layer && p.offload_kqv && !pl.overrides;
    // The host runs more when it holds a block, the KV cache (-nkvo: attention runs there) or weights of a block
    // (-ot to CPU, --cpu-moe): it is then charged the whole graph, and each device the graph plus copies of the
    // activations the host's work sends it (split inputs, allocated in the device's compute buffer). Upper bounds, measured
    // over RPC (tests/accuracy/test_rpc_real.cpp); the scheduler replay that makes them exact is issue 19's.
    // parts of the devices' blocks run on the host: attention with -nkvo, weights moved there by -ot / --cpu-moe
    bool host_parts = !p.offload_kqv;
    for (std::uint32_t il = 0; il < e.layers.n_layer_all && !host_parts; ++il)
        for (std::size_t part = 0; part < layer_part_count; ++part)
            host_parts = host_parts || (pl.parts[il][part] == host_device && e.layers.of(il) != host_device);
    for (const auto& x : pl.exceptions) host_parts = host_parts || x.device == host_device;
    const bool host_work = host_parts || e.layers.n_gpu_layers < e.layers.n_layer_all + 1;
    const std::uint64_t embd_rows = detail::compute::align_up(std::uint64_t(e.n_ubatch) * hp.n_embd * 4, detail::compute::cpu_alignment);
    const std::uint64_t host_inputs = graph_cpu.inputs * (pipeline ? 4 : 1) + embd_rows;
    if (host_work)  // the activations the host's work sends back (a routed expert's output per chosen expert),
                    // copied in as split inputs
        for (auto& b : e.compute_buffers) b.bytes += std::max<std::uint64_t>(2, hp.n_expert_used) * embd_rows;
    // A device behind an rpc-server that runs only its own contiguous blocks (and perhaps the output layer) gets
    // the replay of its split (compute_buffer_device): the RPC backend has no op offload and no pipeline copies,
    // so the scheduler's split inputs are all it adds. Measured exact over RPC (tests/accuracy/test_rpc_real.cpp).
    // Where a block's rms_norm runs: llama_context::graph_get_cb pins a layer's "norm" to the layer's device when
    // the model is fully offloaded or the ubatch has fewer than 32 tokens; otherwise the scheduler's "expand gpu
    // down" pass leaves it on the device before (not the host, which is never expanded). The output norm has no
    // layer and is never pinned.
    bool parts_apart = false;  // a part of a block on another device than the block's (-ot to a device)
    for (std::uint32_t il = 0; il < e.layers.n_layer_all; ++il)
        for (std::size_t part = 0; part < layer_part_count; ++part)
            parts_apart = parts_apart || pl.parts[il][part] != e.layers.of(il);
    if (!pl.exceptions.empty()) parts_apart = true;
    if (!host_parts && !parts_apart && !pipeline && p.split_mode == split_mode::layer && e.layers.n_layer_all == hp.n_layer) {
        const compute_shape shape = compute_shape_of(e, p);
        const bool norm_pinned = e.layers.n_gpu_layers > e.layers.n_layer_all || e.n_ubatch < 32;
        const std::int32_t out_dev = e.layers.output();
        for (auto& b : e.compute_buffers) {
            const auto d = static_cast<std::size_t>(b.buffer.device);
            if (b.buffer.kind != buffer_kind::gpu || d >= hw.devices.size() || !hw.devices[d].remote()) continue;
            detail::compute::device_window w{};
            std::uint32_t n = 0;
            bool contiguous = true;
            for (std::uint32_t il = 0; il < hp.n_layer; ++il) {
                if (e.layers.of(il) != b.buffer.device) continue;
                if (n == 0) w.first = il;
                else if (il != w.last) contiguous = false;
                w.last = il + 1;
                ++n;
            }
            w.output = out_dev == b.buffer.device;
            if (n == 0) {
                if (!w.output) continue;
                w.first = w.last = hp.n_layer;  // the output layer alone
            }
            if (!contiguous || (w.output && w.last != hp.n_layer)) continue;
            const std::int32_t before = w.first > 0 ? e.layers.of(w.first - 1) : host_device;
            const std::int32_t after = w.last < hp.n_layer ? e.layers.of(w.last) : out_dev;
            w.after_device = before != host_device && (n == 0 || !norm_pinned);
            w.before_device = after != host_device && after != b.buffer.device && (w.last == hp.n_layer || !norm_pinned);
            compute_breakdown one{};
            if (compute_buffer_device(m, shape, w, one)) b.bytes = one.total;
        }
    }
    detail::add_to(e.compute_buffers,
                   {detail::has_host_buffer(hw) ? buffer_kind::host_pinned : buffer_kind::cpu, host_device},
                   host_work ? std::max(graph, host_inputs) : host_inputs);
    return true;
}

/// Fills the per-device rows (llama_memory_breakdown) and the overheads outside llama.cpp's buffers. `-cram -1`
/// (unbounded_prompt_cache) lets the prompt cache take every byte of host RAM the other host items leave, so it needs
/// the host's RAM size.
[[nodiscard]] constexpr result<bool> add_breakdown(memory_estimate& e, const machine& hw, const overhead_params& extra) noexcept {
    e.devices.clear();
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
    if (e.draft.present)
        for (const buffer_list* l : std::array<const buffer_list*, 5>{&e.draft.model_buffers, &e.draft.kv_buffers,
                                                                      &e.draft.recurrent_buffers, &e.draft.output_buffers,
                                                                      &e.draft.compute_buffers})
            for (const auto& b : *l) row_of(b.buffer).draft += b.bytes;
    if (e.mmproj.present) {
        const std::size_t i = e.mmproj.device == host_device ? 0 : static_cast<std::size_t>(e.mmproj.device) + 1;
        if (i < e.devices.size()) e.devices[i].mmproj += e.mmproj.total();
    }
    if (e.prompt_cache_unbounded) {
        if (hw.host.memory_total == 0)
            return make_error(errc::invalid_argument, "-cram -1 (unbounded prompt cache) needs the host's RAM size to budget it");
        const std::uint64_t used = e.devices[0].total();
        e.devices[0].overhead = hw.host.memory_total > used ? hw.host.memory_total - used : 0;
    }
    return true;
}

/// The whole estimate for a resolved placement, priced from a summary (summarize() with the same machine, load mode
/// and repacking as `p`). `graph_cpu` is the compute graph's CPU figure for this shape, when the caller already has
/// it (compute_buffer_cpu_breakdown(m, compute_shape_of(e, p))); it is computed when null.
[[nodiscard]] constexpr result<memory_estimate> estimate_placed(const model& m, const model_summary& s,
                                                                const placement& pl, const machine& hw,
                                                                const launch_params& p, const overhead_params& extra = {},
                                                                const compute_breakdown* graph_cpu = nullptr) noexcept {
    if (s.use_mmap != p.use_mmap || s.repack != p.cpu_repack)
        return make_error(errc::invalid_argument, "the summary was priced for another load mode or repacking");
    auto ctx = resolve_context(m.hp, p, kv_apart_from_layers(hw, p));
    if (!ctx) return ctx.error();
    memory_estimate e = *ctx;
    e.layers = pl.layers;
    if (auto ok = add_weight_buffers(e, m, s, pl, hw); !ok) return ok.error();
    if (auto ok = add_kv_buffers(e, m.hp, hw, p); !ok) return ok.error();
    add_recurrent_buffers(e, m.hp, hw, p);
    add_output_buffer(e, m.hp, hw, p);
    if (auto ok = add_compute_buffers(e, m, hw, p, pl, graph_cpu ? *graph_cpu : compute_buffer_cpu_breakdown(m, compute_shape_of(e, p))); !ok)
        return ok.error();
    if (auto ok = add_breakdown(e, hw, extra); !ok) return ok.error();
    return e;
}

/// Predicts llama.cpp's buffers for `m` on machine `hw` with settings `p` (llama_model_load + llama_init_from_model
/// as llama-server runs them). Errors mirror llama.cpp's refusals, with its reason. Uses about 430 KB of stack for
/// the model summary (see summary.hpp); a caller planning many settings summarizes once and calls estimate_placed.
[[nodiscard]] constexpr result<memory_estimate> estimate_memory(const model& m, const machine& hw,
                                                                const launch_params& p,
                                                                const overhead_params& extra = {}) noexcept {
    if (auto ok = check_model(m); !ok) return ok.error();
    auto ctx = resolve_context(m.hp, p, kv_apart_from_layers(hw, p));  // then the settings, as llama.cpp reports them
    if (!ctx) return ctx.error();
    model_summary s;
    if (auto ok = summarize(m, hw, p.use_mmap, p.cpu_repack, s); !ok) return ok.error();
    auto pl = resolve_placement(m, hw, p);
    if (!pl) return pl.error();
    return estimate_placed(m, s, *pl, hw, p, extra);
}

/// The devices the draft model is loaded on (its llama_model_params::devices, from `-devd`): every GPU of the machine
/// by default, none with `-devd none`, or the listed ones in the listed order. view() is the machine the draft is
/// estimated on (it points into this object); index[k] is the machine's index of its device k.
struct draft_devices {
    struct host host{};                                        ///< the machine's host
    std::array<device, LLAMAPLAN_MAX_DEVICES> devs{};          ///< the draft's devices, in its order
    std::array<std::int32_t, LLAMAPLAN_MAX_DEVICES> index{};   ///< machine index of devs[k]
    std::size_t n = 0;                                         ///< devices used
    /// The machine the draft sees (valid while this object lives, unmoved).
    [[nodiscard]] constexpr machine view() const noexcept { return machine{host, std::span<const device>(devs.data(), n)}; }
    /// Moves an estimate made on view() onto the machine's device numbers (buffers and layers).
    constexpr void to_machine(memory_estimate& e) const noexcept {
        for (buffer_list* l : std::array<buffer_list*, 5>{&e.model_buffers, &e.kv_buffers, &e.recurrent_buffers,
                                                          &e.output_buffers, &e.compute_buffers})
            for (auto& b : *l)
                if (b.buffer.kind == buffer_kind::gpu) b.buffer.device = index[static_cast<std::size_t>(b.buffer.device)];
        for (auto& d : e.layers.device)
            if (d != host_device) d = index[static_cast<std::size_t>(d)];
    }
};

/// Resolves `-devd` against the machine, and rewrites the draft's `-otd` device names (which llama.cpp resolves
/// globally, ggml_backend_dev_by_name) into devices of the draft's list; a rule naming a device outside the list is
/// refused (not modelled).
[[nodiscard]] constexpr result<draft_devices> resolve_draft_devices(const machine& hw, const draft_params& d,
                                                                    launch_params& draft_launch) noexcept {
    draft_devices out;
    out.host = hw.host;
    if (d.gpu && d.devices.empty()) {
        for (std::size_t k = 0; k < hw.devices.size() && k < out.devs.size(); ++k) {
            out.devs[k] = hw.devices[k];
            out.index[k] = static_cast<std::int32_t>(k);
        }
        out.n = std::min<std::size_t>(hw.devices.size(), out.devs.size());
        return out;
    }
    for (const auto& name : d.devices) {
        const std::int32_t gi = hw.find_device(name.named_backend, name.named_ordinal);
        if (gi < 0) return make_error(errc::invalid_argument, "-devd names a device the machine does not have", name.named_ordinal);
        out.devs[out.n] = hw.devices[static_cast<std::size_t>(gi)];
        out.index[out.n++] = gi;
    }
    for (auto& o : draft_launch.overrides) {
        const std::int32_t gi = override_device(hw, o);
        if (gi == -2) return make_error(errc::invalid_argument, "-otd names a device the machine does not have", o.named_ordinal);
        if (gi == host_device) continue;
        std::size_t k = 0;
        while (k < out.n && out.index[k] != gi) ++k;
        if (k == out.n) return make_error(errc::invalid_argument, "-otd names a device outside the draft's -devd list (not modelled)");
        o.named_backend = backend::cpu;
        o.named_endpoint = {};
        o.device = static_cast<std::int32_t>(k);
    }
    return out;
}

/// The machine the draft model is loaded on for a summary: `hw` with only the draft's devices (see draft_devices;
/// valid while `dd` lives).
[[nodiscard]] constexpr result<draft_devices> draft_machine(const machine& hw, const draft_params& d) noexcept {
    launch_params unused{};
    return resolve_draft_devices(hw, d, unused);
}

/// Refuses a draft llama-server would not load as a plain draft: without `--spec-type`, a draft GGUF with next-n (MTP)
/// layers makes it switch to draft-mtp (common/arg.cpp common_models_handler_init, common_speculative_types_from_gguf
/// finds `blk.<last>.nextn.eh_proj.weight`), which loads the MTP layers and keeps recurrent rollback rows; not modelled.
[[nodiscard]] constexpr result<bool> check_draft(const model& draft, const launch_params& target) noexcept {
    if (draft.hp.n_layer_nextn > 0 && target.spec.types == 0)
        return make_error(errc::invalid_combination,
                          "a draft with MTP (next-n) layers makes llama-server use --spec-type draft-mtp, which is not modelled");
    return true;
}

/// Puts the draft's estimate `draft` (estimate_placed of the draft model with draft_launch_params on
/// draft_devices::view(), moved onto the machine's device numbers with draft_devices::to_machine) into the target's estimate `e` and adds its buffers to the device rows (device_memory::draft);
/// `hw` and `extra` are the target's. The draft's own overheads are not added again: it runs in the same process.
[[nodiscard]] constexpr result<bool> attach_draft(memory_estimate& e, const memory_estimate& draft, const machine& hw,
                                                  const overhead_params& extra = {}) noexcept {
    draft_estimate& d = e.draft;
    d.present = true;
    d.n_ctx = draft.n_ctx;
    d.n_ctx_seq = draft.n_ctx_seq;
    d.n_batch = draft.n_batch;
    d.n_ubatch = draft.n_ubatch;
    d.n_outputs = draft.n_outputs;
    d.kv_cells = draft.kv_cells;
    d.kv_cells_swa = draft.kv_cells_swa;
    d.flash_attn = draft.flash_attn;
    d.layers = draft.layers;
    d.model_buffers = draft.model_buffers;
    d.kv_buffers = draft.kv_buffers;
    d.recurrent_buffers = draft.recurrent_buffers;
    d.output_buffers = draft.output_buffers;
    d.compute_buffers = draft.compute_buffers;
    d.kv_k = draft.kv_k;
    d.kv_v = draft.kv_v;
    d.kv_swa = draft.kv_swa;
    d.compute_calibrated = draft.compute_calibrated;
    return add_breakdown(e, hw, extra);
}

/// Predicts llama.cpp's buffers for llama-server with a draft model (`-md`): the target `m` with settings `p` as
/// estimate_memory does, then the draft model `draft` with the draft flags `d` in its own llama_model and
/// llama_context (server_context::load_model loads the target first, then common_speculative_init_from_params the
/// draft). The draft is counted whatever `--spec-type` says: llama-server loads it and creates its context before it
/// knows whether speculation can run (without `--spec-type draft-simple` it frees them again after start-up, so the
/// start-up peak still holds them). Its bytes are in memory_estimate::draft and device_memory::draft.
[[nodiscard]] constexpr result<memory_estimate> estimate_memory(const model& m, const machine& hw,
                                                                const launch_params& p, const model& draft,
                                                                const draft_params& d,
                                                                const overhead_params& extra = {}) noexcept {
    auto e = estimate_memory(m, hw, p, extra);
    if (!e) return e.error();
    if (auto ok = check_model(draft); !ok) return ok.error();
    if (auto ok = check_draft(draft, p); !ok) return ok.error();
    launch_params dp = draft_launch_params(p, d, e->n_ctx);
    const auto dd = resolve_draft_devices(hw, d, dp);
    if (!dd) return dd.error();
    auto de = estimate_memory(draft, dd->view(), dp, overhead_params{0, 0});
    if (!de) return de.error();
    dd->to_machine(*de);
    if (auto ok = attach_draft(*e, *de, hw, extra); !ok) return ok.error();
    return e;
}

/// The device the projector's clip_ctx runs on (tools/mtmd/clip.cpp clip_ctx ctor; common/arg.cpp `-mmdev`,
/// `--no-mmproj-offload`): with offload (the default) the `-mmdev` device, else the first GPU
/// (ggml_backend_init_by_type GPU, then IGPU: machine device 0 here, the machine listing GPUs in llama.cpp's device
/// order); the host (CPU backend) without offload, with `-mmdev none`, or on a machine without GPUs.
[[nodiscard]] constexpr result<std::int32_t> mmproj_device(const machine& hw, const mmproj_params& mp) noexcept {
    if (!mp.offload || hw.devices.empty()) return host_device;
    if (mp.has_device) {
        const std::int32_t d = hw.find_device(mp.device.named_backend, mp.device.named_ordinal);
        if (d < 0) return make_error(errc::invalid_argument, "-mmdev names a device the machine does not have", mp.device.named_ordinal);
        return d;
    }
    return 0;
}

/// Whether clip.cpp load_tensors loads a tensor of a vision projector: the ViT (`v.*`, blocks below block_count) and
/// the projector (`mm.*`); other modalities' tensors (`a.*`) stay in the file. Files with tensors a projector type
/// does not ask for are counted in full (an over-estimate).
[[nodiscard]] constexpr bool mmproj_tensor_loaded(const mmproj_model& mm, const tensor_info& t) noexcept {
    const std::string_view n = t.name;
    if (n.substr(0, 6) == "v.blk.") {
        std::uint64_t il = 0;
        std::size_t i = 6;
        while (i < n.size() && n[i] >= '0' && n[i] <= '9') il = il * 10 + std::uint64_t(n[i++] - '0');
        return il < mm.hp.n_layer;
    }
    return n.substr(0, 2) == "v." || n.substr(0, 3) == "mm.";
}

/// The width the projector outputs (clip.cpp clip_n_mmproj_embd): mm.2's rows for mlp, mm.input_projection's ne0
/// for gemma3, projection_dim otherwise.
[[nodiscard]] constexpr std::uint64_t mmproj_output_width(const mmproj_model& mm) noexcept {
    if (mm.hp.projector == projector_type::mlp)
        if (const tensor_info* t = mm.find("mm.2.weight")) return t->ne[1];
    if (mm.hp.projector == projector_type::gemma3)
        if (const tensor_info* t = mm.find("mm.input_projection.weight")) return t->ne[0];
    return mm.hp.projection_dim;
}

/// Refuses a projector llama-server would not load beside `text` (tools/mtmd/mtmd.cpp mtmd_context ctor: "mismatch
/// between text model (n_embd = ...) and mmproj"), and a projector file without the shapes the estimate needs.
[[nodiscard]] constexpr result<bool> check_mmproj(const mmproj_model& mm, const hparams& text) noexcept {
    const auto& hp = mm.hp;
    if (hp.n_embd == 0 || hp.n_head == 0 || hp.n_layer == 0 || hp.patch_size == 0 || hp.image_size < hp.patch_size)
        return make_error(errc::invalid_argument, "the mmproj file has an empty vision encoder (width, heads, blocks or patches)");
    if (hp.projector == projector_type::mlp && hp.n_layer < 2)
        return make_error(errc::unsupported, "an mlp (llava) projector of one block runs none (block_count - 1): not modelled");
    if (mmproj_output_width(mm) != text.n_embd)
        return make_error(errc::invalid_combination, "the mmproj's output width differs from the model's n_embd (llama-server refuses it)",
                          static_cast<std::uint32_t>(mmproj_output_width(mm)));
    return true;
}

/// What the projector costs on the device llama.cpp puts it on (mmproj_device): its weights buffer (every loaded
/// tensor padded to the buffer type's alignment, ggml_backend_alloc_ctx_tensors_from_buft; CUDA also pads quantized
/// rows) and the compute buffer of its warmup graph (vision_compute_cpu), with flash attention `fa` resolved as
/// clip.cpp warmup does (`auto` tries it first and keeps it where the backend supports it: the CPU does).
/// Refuses a BF16 patch embedding on the CPU backend: ggml_conv_2d's mul_mat then gets a BF16 second operand, which
/// no CPU kernel takes, and llama.cpp aborts (GGML_ASSERT in ggml_backend_sched_split_graph; tests/data/extra/mmproj.csv).
[[nodiscard]] constexpr result<mmproj_estimate> estimate_mmproj(const mmproj_model& mm, const machine& hw,
                                                                const mmproj_params& mp, flash_attn_mode fa) noexcept {
    if (auto ok = check_mmproj_shape(mm.hp); !ok) return ok.error();
    auto dev = mmproj_device(hw, mp);
    if (!dev) return dev.error();
    mmproj_estimate e;
    e.present = true;
    e.projector = mm.hp.projector;
    e.device = *dev;
    const tensor_info* pe = mm.find("v.patch_embd.weight");
    if (e.device == host_device && pe && pe->type == ggml_type::bf16)
        return make_error(errc::unsupported, "a BF16 patch embedding aborts llama.cpp's CPU backend (no kernel runs its conv): use an F16 mmproj");
    for (const auto& t : mm.tensors) {
        e.weights_nbytes += t.bytes;
        if (!mmproj_tensor_loaded(mm, t)) continue;
        if (e.device == host_device) e.weights += detail::pad_to(t.bytes, 32);
        else e.weights += detail::gpu_alloc_size(gpu_class_of(hw.devices[static_cast<std::size_t>(e.device)]), t);
    }
    const vision_shape s = vision_shape_of(mm);
    e.warmup_image_size = s.image_size;
    e.n_patches = s.n_patches;
    e.n_layer_run = s.n_layer_run;
    e.flash_attn = fa != flash_attn_mode::off;
    e.compute = vision_compute_cpu(mm, e.flash_attn);
    if (e.compute == 0) return make_error(errc::capacity_exceeded, "the projector's warmup graph could not be replayed");
    e.compute_exact = projector_of(mm.hp.projector_name).graph_exact && e.device == host_device;
    return e;
}

/// Puts the projector's estimate into the model's estimate `e` and adds its bytes to its device's row
/// (device_memory::mmproj); `hw` and `extra` are the model's. The projector runs in the same process: no overheads
/// of its own.
[[nodiscard]] constexpr result<bool> attach_mmproj(memory_estimate& e, const mmproj_estimate& mm, const machine& hw,
                                                   const overhead_params& extra = {}) noexcept {
    e.mmproj = mm;
    return add_breakdown(e, hw, extra);
}

/// Predicts llama.cpp's buffers for llama-server with a multimodal projector (`--mmproj`): the model `m` with settings
/// `p` as estimate_memory does, then the projector `mm` loaded with `mp` (server_context::load_model creates the
/// mtmd context after the model's, with the model's flash-attention setting). Its bytes are in memory_estimate::mmproj
/// and device_memory::mmproj.
[[nodiscard]] constexpr result<memory_estimate> estimate_memory(const model& m, const machine& hw,
                                                                const launch_params& p, const mmproj_model& mm,
                                                                const mmproj_params& mp,
                                                                const overhead_params& extra = {}) noexcept {
    auto e = estimate_memory(m, hw, p, extra);
    if (!e) return e.error();
    if (auto ok = check_mmproj(mm, m.hp); !ok) return ok.error();
    auto me = estimate_mmproj(mm, hw, mp, p.flash_attn);
    if (!me) return me.error();
    if (auto ok = attach_mmproj(*e, *me, hw, extra); !ok) return ok.error();
    return e;
}

/// The name llama.cpp gives a buffer ("CPU_Mapped", "CUDA0", "CUDA_Host", "Vulkan0", "RPC0[10.0.0.2:50052]"). GPUs
/// are numbered per backend (machine::backend_ordinal): the first Vulkan device after a CUDA one is "Vulkan0"; devices
/// behind an rpc-server per server. Writes into `out` (buffer_name_capacity chars hold every name) and returns the
/// used part.
/// How llama.cpp's memory breakdown names a row (llama_memory_breakdown_print): "CPU" for the host, "RPC<n>
/// (host:port)" for a device behind an rpc-server (n counted over every server, machine::rpc_ordinal), else the
/// device's name. Writes into `out` (buffer_name_capacity chars hold every such label) and returns the used part.
[[nodiscard]] constexpr std::string_view device_label(const machine& hw, std::int32_t device, std::span<char> out) noexcept {
    std::size_t n = 0;
    auto put = [&](std::string_view s) { for (std::size_t i = 0; i < s.size() && n < out.size(); ++i) out[n++] = s[i]; };
    if (device < 0 || static_cast<std::size_t>(device) >= hw.devices.size()) {
        put("CPU");
        return {out.data(), n};
    }
    const auto& d = hw.devices[static_cast<std::size_t>(device)];
    if (!d.remote()) {
        put(d.name);
        return {out.data(), n};
    }
    put("RPC");
    char digits[12]{};
    std::size_t nd = 0;
    std::uint32_t v = hw.rpc_ordinal(static_cast<std::size_t>(device));
    do { digits[nd++] = char('0' + v % 10); v /= 10; } while (v != 0 && nd < sizeof digits);
    while (nd > 0) put(std::string_view(&digits[--nd], 1));
    put(" (");
    put(d.endpoint);
    put(")");
    return {out.data(), n};
}

/// Characters buffer_name needs at most: "RPC15[" + an endpoint of max_endpoint_length + "]".
inline constexpr std::size_t buffer_name_capacity = 8 + max_endpoint_length;

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
                if (!d.remote() && d.kind != backend::metal) { k = d.kind; break; }
            n = put(backend_prefix(k), 0);
            n = put("_Host", n);
            break;
        }
        case buffer_kind::gpu: {
            const auto idx = static_cast<std::size_t>(b.device);
            const bool remote = idx < hw.devices.size() && hw.devices[idx].remote();
            // ggml-rpc.cpp ggml_backend_rpc_buffer_type: "RPC<device on the server>[endpoint]"
            n = put(remote ? "RPC" : backend_prefix(idx < hw.devices.size() ? hw.devices[idx].kind : backend::other), 0);
            char digits[12]{};
            std::size_t nd = 0;
            std::size_t v = idx < hw.devices.size() ? hw.backend_ordinal(idx) : idx;
            do { digits[nd++] = char('0' + v % 10); v /= 10; } while (v != 0 && nd < sizeof digits);
            while (nd > 0 && n < out.size()) out[n++] = digits[--nd];
            if (remote) {
                n = put("[", n);
                n = put(hw.devices[idx].endpoint, n);
                n = put("]", n);
            }
            break;
        }
    }
    return {out.data(), n};
}

}  // namespace llamaplan

#endif  // LLAMAPLAN_MEMORY_HPP
