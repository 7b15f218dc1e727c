// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_SUMMARY_HPP
#define LLAMAPLAN_SUMMARY_HPP

// What a model costs, computed once per model and machine: every tensor is sorted into a placement group (a part of
// a block, the input layer or the output layer) and the group's bytes are summed for each buffer it can land in, so
// that pricing a placement is a sum over groups instead of a walk over tensors. The memory model and the planner
// both price weights through this summary, so a plan's bytes are the bytes `estimate_memory` reports.

#include <llamaplan/config.hpp>
#include <llamaplan/detail/checked.hpp>
#include <llamaplan/ggml_types.hpp>
#include <llamaplan/machine.hpp>
#include <llamaplan/model.hpp>
#include <llamaplan/params.hpp>
#include <llamaplan/result.hpp>
#include <llamaplan/validate.hpp>

#include <array>
#include <cstdint>
#include <string_view>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG {

/// The parts of a transformer block that can be placed apart (as `-ot` and `--n-cpu-moe` do).
enum class layer_part : std::uint8_t {
    attention,    ///< everything of the block that is not FFN: attention, norms, recurrent (SSM/RWKV) tensors
    ffn,          ///< dense FFN, shared experts and the MoE router: read in full for every token
    expert_gate,  ///< routed experts' gate (ffn_gate_exps, ffn_gate_up_exps, *_chexps)
    expert_up,    ///< routed experts' up projection (ffn_up_exps)
    expert_down,  ///< routed experts' down projection (ffn_down_exps)
};

/// Number of layer_part values.
inline constexpr std::size_t layer_part_count = 5;

/// A short name for a part ("expert_down").
[[nodiscard]] constexpr std::string_view to_string(layer_part p) noexcept {
    constexpr std::array<std::string_view, layer_part_count> names = {"attention", "ffn", "expert_gate", "expert_up",
                                                                      "expert_down"};
    const auto i = static_cast<std::size_t>(p);
    return i < names.size() ? names[i] : "attention";
}

/// True for the routed-expert parts.
[[nodiscard]] constexpr bool is_expert_part(layer_part p) noexcept {
    return p == layer_part::expert_gate || p == layer_part::expert_up || p == layer_part::expert_down;
}

/// The classes of device buffer a weight can be priced for: the allocation rules differ per backend.
enum class gpu_class : std::uint8_t {
    cuda_like,  ///< CUDA / ROCm: 128-byte alignment, quantized rows padded to 512 elements
    aligned,    ///< Vulkan, SYCL, others: 128-byte alignment
    metal,      ///< Metal, and a worker's CPU over RPC: 32-byte alignment, no row padding
};
/// Number of gpu_class values.
inline constexpr std::size_t gpu_class_count = 3;

/// The gpu_class of a backend (a worker's CPU reached over RPC allocates as the CPU backend does: 32-byte
/// alignment, no row padding, the rules of the metal class).
[[nodiscard]] constexpr gpu_class gpu_class_of(backend b) noexcept {
    if (b == backend::cuda || b == backend::rocm) return gpu_class::cuda_like;
    if (b == backend::metal || b == backend::cpu) return gpu_class::metal;
    return gpu_class::aligned;
}

/// The gpu_class of a device: its backend's, except that a device of unknown backend that reports a 32-byte
/// alignment (an rpc-server probed without its machine file: ggml-rpc.cpp ggml_backend_rpc_buffer_type_get_alignment
/// asks the worker) allocates with 32-byte alignment.
[[nodiscard]] constexpr gpu_class gpu_class_of(const device& d) noexcept {
    if (d.kind == backend::other && d.alignment == 32) return gpu_class::metal;
    return gpu_class_of(d.kind);
}

/// Host buffer kinds a weight kept on the host can land in (besides the memory-mapped file).
enum class host_buffer : std::uint8_t {
    plain,    ///< "CPU": host memory (weights read into it; no mmap)
    repack,   ///< "CPU_REPACK"
    amx,      ///< "AMX"
    pinned,   ///< "CUDA_Host" etc.: the first GPU backend's pinned host memory (no mmap)
};
/// Number of host_buffer values.
inline constexpr std::size_t host_buffer_count = 4;

/// A byte range of one split file covered by memory-mapped weights.
struct mapped_range {
    std::uint32_t file = 0;     ///< split file index
    std::uint64_t first = ~0ull;///< first byte (offset into the file's data section)
    std::uint64_t last = 0;     ///< one past the last byte
    /// True if no tensor was added.
    [[nodiscard]] constexpr bool empty() const noexcept { return first >= last; }
};

/// What one placement group costs wherever it is put.
struct group_cost {
    std::array<std::uint64_t, gpu_class_count> gpu{};     ///< bytes in a device buffer of each class (allocation size, aligned)
    std::array<std::uint64_t, host_buffer_count> host{};  ///< bytes in each host buffer when kept on the host (aligned)
    std::array<mapped_range, 2> mapped{};                 ///< mapped-file ranges when kept on the host (up to 2 files)
    std::uint64_t mapped_bytes = 0;                       ///< bytes of its tensors read from the mapping after loading,
                                                          ///< when kept on the host (ggml_nbytes sum)
    std::uint64_t bytes = 0;                              ///< tensor bytes (ggml_nbytes sum)
    std::uint64_t read_per_token = 0;  ///< bytes read per decoded token (routed experts: bytes x n_expert_used / n_expert)
    std::uint64_t params = 0;          ///< elements (parameters)
    std::uint64_t active_params = 0;   ///< parameters used per token (routed experts weighted like read_per_token)
    std::uint64_t matmul_bytes = 0;    ///< bytes of its matrix-multiply weights (ggml_nbytes sum; what a GPU streams
                                       ///< from the host per large batch when they stay there)
    std::uint64_t matmul_active_params = 0;  ///< active_params of its matrix-multiply weights (2 FLOPs each per token)
    std::uint32_t tensors = 0;         ///< tensors in the group
};

namespace detail {
/// The buffer alignment of a device buffer class (ggml_backend_buft_get_alignment: CUDA/HIP 128 in ggml-cuda.cu
/// ggml_backend_cuda_buffer_type_get_alignment; Vulkan/SYCL vary by driver, 128 is the conservative stand-in; Metal 32).
[[nodiscard]] constexpr std::uint64_t gpu_alignment(gpu_class c) noexcept { return c == gpu_class::metal ? 32 : 128; }

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

/// Bytes a device buffer of class `c` allocates for a tensor (ggml_backend_buft_get_alloc_size), aligned: CUDA pads
/// quantized rows to a multiple of MATRIX_ROW_PADDING = 512 elements (ggml-cuda.cu
/// ggml_backend_cuda_buffer_type_get_alloc_size).
[[nodiscard]] constexpr std::uint64_t gpu_alloc_size(gpu_class c, const tensor_info& t) noexcept {
    std::uint64_t bytes = t.bytes;
    if (c == gpu_class::cuda_like && type_traits(t.type).quantized && t.ne[0] % 512 != 0)
        bytes += row_size(t.type, 512 - t.ne[0] % 512) * t.ne[1] * t.ne[2] * t.ne[3];
    return pad_to(bytes, gpu_alignment(c));
}

/// True if the GPU backends offer a pinned host buffer type (ggml_backend_dev_host_buffer_type is non-null for
/// CUDA, HIP, SYCL and Vulkan; Metal and the CPU have none). llama.cpp puts it first in the CPU buffer list
/// (src/llama-model.cpp make_cpu_buft_list), ahead of CPU_REPACK.
[[nodiscard]] constexpr bool has_host_buffer(const machine& m) noexcept {
    for (const auto& d : m.devices)  // an RPC device has no host buffer type (ggml-rpc.cpp: get_host_buffer_type is null)
        if (!d.remote() && (d.kind == backend::cuda || d.kind == backend::rocm || d.kind == backend::sycl || d.kind == backend::vulkan))
            return true;
    return false;
}

/// Where a weight kept on the host lands: llama.cpp walks the CPU buffer-type list (make_cpu_buft_list: the first
/// GPU's pinned host buffer, then the CPU's extra buffer types AMX and CPU_REPACK, then CPU) and takes the first that
/// supports the weight's op (select_weight_buft); a pinned host buffer is swapped for the mapped file when mmap is on
/// (llama_model_loader::create_tensor). `--no-repack` drops every extra buffer type. Returns false for "mapped".
[[nodiscard]] constexpr bool host_buffer_of(const machine& m, bool use_mmap, bool repack, const tensor_info& t,
                                            host_buffer& out) noexcept {
    if (has_host_buffer(m)) {
        out = host_buffer::pinned;
        return !use_mmap;
    }
    if (repack && m.host.cpu_amx && amx_takes(t)) { out = host_buffer::amx; return true; }
    if (repack && m.host.cpu_repack && cpu_repacks(t)) { out = host_buffer::repack; return true; }
    out = host_buffer::plain;
    return !use_mmap;
}

/// Bytes a host buffer allocates for a weight, aligned to the CPU's 32 bytes (TENSOR_ALIGNMENT, ggml-impl.h).
[[nodiscard]] constexpr std::uint64_t host_alloc_size(host_buffer b, const tensor_info& t) noexcept {
    return pad_to(b == host_buffer::amx ? amx_alloc_size(t) : t.bytes, 32);
}

/// The part of a block a routed-expert or other block tensor belongs to.
[[nodiscard]] constexpr layer_part part_of(const tensor_info& t) noexcept {
    switch (t.role) {
        case tensor_role::ffn_expert: {
            std::string_view local = t.name.substr(t.name.find('.', 4) + 1);
            if (starts_with(local, "ffn_gate")) return layer_part::expert_gate;
            if (starts_with(local, "ffn_up")) return layer_part::expert_up;
            return layer_part::expert_down;
        }
        case tensor_role::ffn_dense: case tensor_role::ffn_shared_expert: case tensor_role::ffn_router:
            return layer_part::ffn;
        default: return layer_part::attention;
    }
}
}  // namespace detail

/// Index of a placement group: block il's part p is il * layer_part_count + p; then the input and output layers.
struct group_index {
    /// Group of part `p` of block `il`.
    [[nodiscard]] static constexpr std::size_t of(std::uint32_t il, layer_part p) noexcept {
        return std::size_t(il) * layer_part_count + static_cast<std::size_t>(p);
    }
    /// The input layer (token embedding, position embedding): kept on the host by llama.cpp.
    [[nodiscard]] static constexpr std::size_t input(std::uint32_t n_layer_all) noexcept {
        return std::size_t(n_layer_all) * layer_part_count;
    }
    /// The output layer (output head, output norm, other tensors outside the blocks).
    [[nodiscard]] static constexpr std::size_t output(std::uint32_t n_layer_all) noexcept {
        return std::size_t(n_layer_all) * layer_part_count + 1;
    }
};

/// Maximum placement groups of a summary.
inline constexpr std::size_t max_groups = std::size_t(LLAMAPLAN_MAX_LAYERS) * layer_part_count + 2;

/// What a model costs on a machine, computed once (about 430 KB with the default capacities: keep it static or on
/// the heap in a server). Valid while the model's tensor storage lives.
struct model_summary {
    std::uint32_t n_layer_all = 0;  ///< blocks in the file (n_layer + nextn layers)
    std::uint32_t n_groups = 0;     ///< groups in use: n_layer_all * layer_part_count + 2
    bool use_mmap = true;           ///< priced for memory-mapped weights
    bool repack = true;             ///< priced with CPU repacking allowed (`--repack`)
    bool host_buffer = false;       ///< the machine's GPU backends offer a pinned host buffer
    bool tied_output = false;       ///< no output.weight: the output layer uses a copy of token_embd
    std::int32_t token_embd = -1;   ///< index of token_embd.weight in the tensor list, or -1
    bool has_experts = false;       ///< the model has routed experts
    ggml_type weight_type = ggml_type::f32;  ///< the type holding most matrix-multiply weight bytes (the throughput
                                             ///< model's per-type efficiency)
    std::array<group_cost, max_groups> groups{};  ///< per group
    std::array<std::uint8_t, LLAMAPLAN_MAX_LAYERS> layer_has_experts{};  ///< 1 if block il has routed experts

    /// The cost of group g.
    [[nodiscard]] constexpr const group_cost& group(std::size_t g) const noexcept { return groups[g]; }
    /// The cost of part p of block il.
    [[nodiscard]] constexpr const group_cost& part(std::uint32_t il, layer_part p) const noexcept {
        return groups[group_index::of(il, p)];
    }
    /// Bytes read per decoded token by the whole model (bytes).
    [[nodiscard]] constexpr std::uint64_t read_per_token() const noexcept {
        std::uint64_t s = 0;
        for (std::size_t g = 0; g < n_groups; ++g) s += groups[g].read_per_token;
        return s;
    }
};

/// The group a tensor belongs to.
[[nodiscard]] constexpr std::size_t group_of(const tensor_info& t, std::uint32_t n_layer_all) noexcept {
    if (t.layer >= 0 && static_cast<std::uint32_t>(t.layer) < n_layer_all)
        return group_index::of(static_cast<std::uint32_t>(t.layer), detail::part_of(t));
    // llama_model::load_tensors: the input layer is "always kept on the CPU"; tensors of a block beyond block_count
    // have no layer device and stay there too
    if (t.layer >= 0 || t.role == tensor_role::token_embedding || detail::starts_with(t.name, "token_") ||
        detail::starts_with(t.name, "position_embd"))
        return group_index::input(n_layer_all);
    return group_index::output(n_layer_all);
}

/// Adds one tensor's costs to a group (and its mapped range). Errors when a group spans more than two split files.
[[nodiscard]] constexpr result<bool> add_tensor_cost(group_cost& g, const tensor_info& t, const hparams& hp,
                                                     const machine& m, bool use_mmap, bool repack) noexcept {
    for (std::size_t c = 0; c < gpu_class_count; ++c) g.gpu[c] += detail::gpu_alloc_size(static_cast<gpu_class>(c), t);
    host_buffer hb{};
    if (detail::host_buffer_of(m, use_mmap, repack, t, hb)) {
        g.host[static_cast<std::size_t>(hb)] += detail::host_alloc_size(hb, t);
    } else {
        if (t.file >= 256) return make_error(errc::capacity_exceeded, "more than 256 split files", t.file);
        mapped_range* r = nullptr;
        for (auto& x : g.mapped)
            if (!x.empty() && x.file == t.file) r = &x;
        if (r == nullptr)
            for (auto& x : g.mapped)
                if (x.empty() && r == nullptr) { r = &x; r->file = t.file; }
        if (r == nullptr) return make_error(errc::unsupported, "a block's tensors span more than two split files", t.file);
        r->first = std::min(r->first, t.offset);
        r->last = std::max(r->last, t.offset + t.bytes);
        g.mapped_bytes += t.bytes;
    }
    const std::uint64_t elems = t.ne[0] * t.ne[1] * t.ne[2] * t.ne[3];
    g.bytes += t.bytes;
    g.params += elems;
    std::uint64_t active = elems;
    if (t.role == tensor_role::ffn_expert && hp.n_expert > 0) {
        const std::uint64_t used = std::min(hp.n_expert_used, hp.n_expert);
        g.read_per_token += t.bytes / hp.n_expert * used;
        active = elems / hp.n_expert * used;
    } else if (t.role == tensor_role::token_embedding) {
        const std::uint64_t rows = t.ne[1] == 0 ? 1 : t.ne[1];
        g.read_per_token += t.bytes / rows;  // one row gathered per token
        active = elems / rows;
    } else {
        g.read_per_token += t.bytes;
    }
    g.active_params += active;
    if (detail::is_matmul_weight(t)) {
        g.matmul_bytes += t.bytes;
        g.matmul_active_params += active;
    }
    ++g.tensors;
    return true;
}

/// Checks the hyper-parameters the memory model multiplies (bounds that keep every product below 2^64; real models
/// are orders of magnitude smaller).
[[nodiscard]] constexpr result<bool> check_hparams(const hparams& hp) noexcept {
    if (hp.n_layer == 0 || hp.n_embd == 0) return make_error(errc::invalid_argument, "model has no layers or no embedding length");
    if (hp.n_layer + hp.n_layer_nextn > LLAMAPLAN_MAX_LAYERS)
        return make_error(errc::capacity_exceeded, "model has more layers than LLAMAPLAN_MAX_LAYERS", hp.n_layer + hp.n_layer_nextn);
    if (hp.n_embd >= (1u << 24) || hp.n_vocab >= (1u << 28) || hp.n_embd_head_k >= 65536 || hp.n_embd_head_v >= 65536 ||
        hp.n_embd_head_k_swa >= 65536 || hp.n_embd_head_v_swa >= 65536 || hp.n_ff >= (1u << 24))
        return make_error(errc::overflow, "model hyper-parameters are implausibly large");
    for (std::uint32_t il = 0; il < hp.n_layer; ++il)
        if (hp.head_count(il) >= 65536 || hp.head_count_kv(il) >= 65536 || hp.ff_length(il) >= (1u << 24))
            return make_error(errc::overflow, "a layer's head count or FFN width is implausibly large", il);
    if (hp.n_embd_r() >= (1ull << 32) || hp.n_embd_s() >= (1ull << 32))
        return make_error(errc::overflow, "recurrent state width is implausibly large");
    return true;
}

/// The model checks every estimate and plan starts with: llama.cpp's loader checks, naming the GGUF key
/// (validate.hpp; they also bound every later step by the model's own tensor shapes), then the bounds above.
[[nodiscard]] constexpr result<bool> check_model(const model& m) noexcept {
    if (m.hp.n_layer == 0 || m.hp.n_embd == 0) return make_error(errc::invalid_argument, "model has no layers or no embedding length");
    if (const error v = validate_model(m); v.code != errc::ok) return v;
    return check_hparams(m.hp);
}

/// Summarizes a model for a machine, priced for the given load mode and repacking.
[[nodiscard]] constexpr result<bool> summarize(const model& m, const machine& hw, bool use_mmap, bool repack,
                                               model_summary& out) noexcept {
    if (auto ok = check_model(m); !ok) return ok.error();
    if (hw.devices.size() > LLAMAPLAN_MAX_DEVICES)
        return make_error(errc::capacity_exceeded, "more devices than LLAMAPLAN_MAX_DEVICES", hw.devices.size());
    out.n_layer_all = m.hp.n_layer + m.hp.n_layer_nextn;
    out.n_groups = static_cast<std::uint32_t>(group_index::output(out.n_layer_all) + 1);
    out.use_mmap = use_mmap;
    out.repack = repack;
    out.host_buffer = detail::has_host_buffer(hw);
    out.tied_output = true;
    out.token_embd = -1;
    out.has_experts = false;
    for (std::size_t g = 0; g < out.n_groups; ++g) out.groups[g] = group_cost{};
    for (std::size_t il = 0; il < out.n_layer_all; ++il) out.layer_has_experts[il] = 0;
    std::array<std::uint64_t, ggml_type_count> type_bytes{};
    for (std::size_t i = 0; i < m.tensors.size(); ++i) {
        const auto& t = m.tensors[i];
        if (detail::is_matmul_weight(t) && static_cast<std::size_t>(t.type) < ggml_type_count)
            type_bytes[static_cast<std::size_t>(t.type)] += t.bytes;
        if (t.name == "output.weight") out.tied_output = false;
        if (t.name == "token_embd.weight") out.token_embd = static_cast<std::int32_t>(i);
        const std::size_t g = group_of(t, out.n_layer_all);
        if (t.role == tensor_role::ffn_expert && g < group_index::input(out.n_layer_all)) {
            out.has_experts = true;
            out.layer_has_experts[g / layer_part_count] = 1;
        }
        if (auto ok = add_tensor_cost(out.groups[g], t, m.hp, hw, use_mmap, repack); !ok) return ok.error();
    }
    if (out.token_embd < 0) out.tied_output = false;
    std::uint64_t most = 0;
    out.weight_type = ggml_type::f32;
    for (std::size_t i = 0; i < ggml_type_count; ++i)
        if (type_bytes[i] > most) { most = type_bytes[i]; out.weight_type = static_cast<ggml_type>(i); }
    return true;
}

}  // namespace llamaplan

#endif  // LLAMAPLAN_SUMMARY_HPP
