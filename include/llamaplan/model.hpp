// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_MODEL_HPP
#define LLAMAPLAN_MODEL_HPP

#include <llamaplan/config.hpp>

#include <llamaplan/arch.hpp>
#include <llamaplan/detail/checked.hpp>
#include <llamaplan/ggml_types.hpp>
#include <llamaplan/result.hpp>

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG {

/// What a tensor does in the graph; decides placement and how often it is read per token.
enum class tensor_role : std::uint8_t {
    token_embedding,    ///< token_embd: rows gathered per token, kept on the host by llama.cpp
    output,             ///< output (LM head): read fully per output token
    output_norm,        ///< output_norm
    attention_q,        ///< attn_q, MLA attn_q_a / attn_q_b, attn_gate (an output-gate projection)
    attention_k,        ///< attn_k, MLA attn_kv_a_mqa / attn_kv_b / attn_k_b
    attention_v,        ///< attn_v, MLA attn_v_b
    attention_qkv,      ///< fused attn_qkv
    attention_output,   ///< attn_output
    ffn_dense,          ///< ffn_up / ffn_gate / ffn_down of a dense layer (and RWKV channel mix)
    ffn_expert,         ///< routed experts: ffn_{up,gate,down,gate_up}_{exps,chexps}
    ffn_shared_expert,  ///< ffn_*_shexp
    ffn_router,         ///< ffn_gate_inp and expert-probability bias
    recurrent,          ///< SSM / RWKV time-mix / short-conv tensors
    norm,               ///< any other normalisation weight or bias
    other,              ///< everything else (rope factors, position embeddings, ...)
};

/// Number of tensor_role values.
inline constexpr std::size_t tensor_role_count = 15;

/// A short name for a role ("ffn_expert").
[[nodiscard]] constexpr std::string_view to_string(tensor_role r) noexcept {
    constexpr std::array<std::string_view, tensor_role_count> names = {
        "token_embedding", "output", "output_norm", "attention_q", "attention_k", "attention_v", "attention_qkv",
        "attention_output", "ffn_dense", "ffn_expert", "ffn_shared_expert", "ffn_router", "recurrent", "norm", "other"};
    const auto i = static_cast<std::size_t>(r);
    return i < names.size() ? names[i] : "other";
}

namespace detail {
[[nodiscard]] constexpr bool contains(std::string_view s, std::string_view part) noexcept {
    return s.find(part) != std::string_view::npos;
}
[[nodiscard]] constexpr bool starts_with(std::string_view s, std::string_view p) noexcept {
    return s.substr(0, p.size()) == p;
}
}  // namespace detail

/// The transformer block a tensor belongs to (`blk.N.` prefix), or -1 for none.
[[nodiscard]] constexpr std::int32_t tensor_layer(std::string_view name) noexcept {
    if (!detail::starts_with(name, "blk.")) return -1;
    std::int64_t n = 0;
    std::size_t i = 4;
    if (i >= name.size() || name[i] < '0' || name[i] > '9') return -1;
    for (; i < name.size() && name[i] >= '0' && name[i] <= '9'; ++i) {
        n = n * 10 + (name[i] - '0');
        if (n > 0x7fffffff) return -1;
    }
    if (i >= name.size() || name[i] != '.') return -1;
    return static_cast<std::int32_t>(n);
}

/// Classifies a tensor by its GGUF name, following the names in llama.cpp src/llama-arch.cpp (LLM_TENSOR_NAMES).
[[nodiscard]] constexpr tensor_role classify_tensor(std::string_view name) noexcept {
    using detail::contains;
    using detail::starts_with;
    // per_layer_token_embd (gemma3n) is an input-layer GET_ROWS table like token_embd (llama-arch.cpp LLM_TENSOR_INFOS)
    if (starts_with(name, "token_embd.") || starts_with(name, "per_layer_token_embd.")) return tensor_role::token_embedding;
    if (starts_with(name, "output.")) return tensor_role::output;
    if (starts_with(name, "output_norm.")) return tensor_role::output_norm;
    // strip "blk.N." so that suffix tests below only look at the tensor's own name
    std::string_view local = name;
    if (tensor_layer(name) >= 0) local = name.substr(name.find('.', 4) + 1);
    // routed experts: the pattern --cpu-moe uses, \.ffn_(up|down|gate|gate_up)_(ch|)exps (common/arg.cpp)
    if (starts_with(local, "ffn_") && (contains(local, "_exps") || contains(local, "_chexps"))) return tensor_role::ffn_expert;
    if (starts_with(local, "ffn_gate_inp") || starts_with(local, "exp_probs_b") || starts_with(local, "ffn_exp_probs_b"))
        return tensor_role::ffn_router;
    if (starts_with(local, "ffn_") && contains(local, "_shexp")) return tensor_role::ffn_shared_expert;
    if (contains(local, "norm")) return tensor_role::norm;
    if (starts_with(local, "ffn_up") || starts_with(local, "ffn_gate") || starts_with(local, "ffn_down") ||
        starts_with(local, "channel_mix_"))
        return tensor_role::ffn_dense;
    if (starts_with(local, "attn_qkv")) return tensor_role::attention_qkv;
    // LLM_TENSOR_ATTN_GATE (llama-arch.cpp: a MUL_MAT weight), e.g. the z projection of qwen3next's delta-net layers
    if (starts_with(local, "attn_gate")) return tensor_role::attention_q;
    if (starts_with(local, "attn_output") || starts_with(local, "attn_out.")) return tensor_role::attention_output;
    if (starts_with(local, "attn_q")) return tensor_role::attention_q;
    if (starts_with(local, "attn_kv") || starts_with(local, "attn_k")) return tensor_role::attention_k;
    if (starts_with(local, "attn_v")) return tensor_role::attention_v;
    if (starts_with(local, "ssm_") || starts_with(local, "time_mix_") || starts_with(local, "shortconv"))
        return tensor_role::recurrent;
    return tensor_role::other;
}

/// One tensor of a GGUF file: its name, type, shape and where its data lies.
struct tensor_info {
    std::string_view name{};                ///< GGUF name, e.g. "blk.3.ffn_up_exps.weight"
    ggml_type type = ggml_type::f32;        ///< element type
    std::array<std::uint64_t, 4> ne{1, 1, 1, 1};  ///< shape, ne[0] innermost (elements)
    std::uint32_t n_dims = 1;               ///< dimensions used (1..4)
    std::uint64_t offset = 0;               ///< bytes from the start of the file's data section
    std::uint32_t file = 0;                 ///< split file index (0 for single-file models)
    std::uint64_t bytes = 0;                ///< ggml_nbytes: row_size(type, ne0) * ne1 * ne2 * ne3 (bytes)
    tensor_role role = tensor_role::other;  ///< classify_tensor(name)
    std::int32_t layer = -1;                ///< tensor_layer(name), or the block llama.cpp files it under
};

/// Builds a tensor_info, computing bytes, role and layer; errors on an invalid type, a row length that is not a
/// multiple of the block size, or a byte count that overflows 64 bits.
[[nodiscard]] constexpr result<tensor_info> make_tensor(std::string_view name, ggml_type type,
                                                        std::array<std::uint64_t, 4> ne, std::uint32_t n_dims,
                                                        std::uint64_t offset = 0) noexcept {
    if (n_dims < 1 || n_dims > 4) return make_error(errc::invalid_argument, "tensor must have 1 to 4 dimensions");
    for (std::uint32_t d = n_dims; d < 4; ++d) ne[d] = 1;
    auto row = checked_row_size(type, ne[0]);
    if (!row) return row.error();
    std::uint64_t bytes = *row;
    for (std::size_t d = 1; d < 4; ++d)
        if (detail::mul_overflows(bytes, ne[d], bytes)) return make_error(errc::overflow, "tensor size overflows 64 bits");
    // gemma3n's per_layer_model_proj / per_layer_proj_norm are repeating-layer tensors created with block id 0
    // (models/gemma3n.cpp load_arch_tensors: tn(..., "weight", 0)), so they live in block 0's buffer
    const bool block0 = detail::starts_with(name, "per_layer_model_proj.") || detail::starts_with(name, "per_layer_proj_norm.");
    return tensor_info{name, type, ne, n_dims, offset, 0, bytes, classify_tensor(name), block0 ? 0 : tensor_layer(name)};
}

/// How llama.cpp treats the model's memory (llama-arch.cpp llm_arch_is_recurrent / llm_arch_is_hybrid).
enum class memory_kind : std::uint8_t {
    attention,  ///< KV cache only
    recurrent,  ///< recurrent state only (Mamba, RWKV)
    hybrid,     ///< KV cache on attention layers, recurrent state on the others
};

/// Model hyper-parameters as llama.cpp reads them (src/llama-hparams.h, llama-model.cpp load_hparams).
/// Per-layer spans are optional: empty means "the scalar applies to every layer".
struct hparams {
    std::string_view architecture{};     ///< general.architecture, e.g. "llama", "qwen3moe"
    arch id = arch::unknown;             ///< the architecture's row in arch_table (unknown: looked up from
                                         ///< `architecture`; an estimate refuses a model neither names)
    memory_kind memory = memory_kind::attention;  ///< attention, recurrent or hybrid
    std::uint32_t n_layer = 0;           ///< blocks used for inference (block_count - nextn_predict_layers)
    std::uint32_t n_layer_nextn = 0;     ///< MTP / next-n layers stored after n_layer (no KV unless used)
    std::uint32_t n_embd = 0;            ///< embedding length
    std::uint32_t n_vocab = 0;           ///< vocabulary size (tokens)
    std::uint32_t n_ctx_train = 0;       ///< training context (tokens)
    std::uint32_t n_head = 0;            ///< attention heads (layer 0 / scalar)
    std::uint32_t n_head_kv = 0;         ///< KV heads (scalar; per-layer values in n_head_kv_arr)
    std::uint32_t n_ff = 0;              ///< FFN width (scalar; per-layer values in n_ff_arr)
    std::span<const std::uint32_t> n_head_arr{};     ///< per-layer heads, or empty
    std::span<const std::uint32_t> n_head_kv_arr{};  ///< per-layer KV heads (0 on layers without KV), or empty
    std::span<const std::uint32_t> n_ff_arr{};       ///< per-layer FFN width, or empty
    std::uint32_t n_embd_head_k = 0;     ///< key head size (attention.key_length, default n_embd / n_head)
    std::uint32_t n_embd_head_v = 0;     ///< value head size (attention.value_length)
    std::uint32_t n_embd_head_k_swa = 0; ///< key head size on SWA layers (0 = same as n_embd_head_k)
    std::uint32_t n_embd_head_v_swa = 0; ///< value head size on SWA layers (0 = same as n_embd_head_v)
    // mixture of experts
    std::uint32_t n_expert = 0;          ///< routed experts per MoE layer
    std::uint32_t n_expert_used = 0;     ///< experts selected per token
    std::uint32_t n_expert_shared = 0;   ///< shared experts
    std::uint32_t n_ff_exp = 0;          ///< expert FFN width
    std::uint32_t n_ff_shexp = 0;        ///< shared-expert FFN width
    std::uint32_t n_layer_dense_lead = 0;///< leading dense blocks before the MoE blocks
    // sliding-window attention
    std::uint32_t n_swa = 0;             ///< window length (tokens); 0 = no SWA
    bool swa_chunked = false;            ///< chunked attention (llama4) rather than a sliding window
    std::span<const std::uint8_t> swa_layers{};  ///< per-layer 1 = SWA layer; empty = no SWA layers
    // MLA (DeepSeek-2/3, Kimi)
    std::uint32_t n_lora_q = 0;          ///< attention.q_lora_rank
    std::uint32_t n_lora_kv = 0;         ///< attention.kv_lora_rank
    std::uint32_t n_embd_head_k_mla = 0; ///< attention.key_length_mla (0 = not MLA)
    std::uint32_t n_embd_head_v_mla = 0; ///< attention.value_length_mla (0 = not MLA)
    // recurrent state
    std::span<const std::uint8_t> recurrent_layers{};  ///< per-layer 1 = recurrent layer (hybrids); empty = all
                                                       ///< layers for memory_kind::recurrent, none otherwise
    std::uint32_t ssm_d_conv = 0;        ///< ssm.conv_kernel
    std::uint32_t ssm_d_inner = 0;       ///< ssm.inner_size
    std::uint32_t ssm_d_state = 0;       ///< ssm.state_size
    std::uint32_t ssm_dt_rank = 0;       ///< ssm.time_step_rank
    std::uint32_t ssm_n_group = 0;       ///< ssm.group_count
    std::uint32_t wkv_head_size = 0;     ///< RWKV wkv.head_size
    std::uint32_t token_shift_count = 2; ///< RWKV token_shift_count
    std::uint32_t shortconv_l_cache = 0; ///< LFM2 shortconv.l_cache
    std::uint32_t n_embd_head_kda = 0;   ///< Kimi KDA head size
    std::uint32_t n_layer_kv_from_start = 0;  ///< layers >= this reuse earlier KV (gemma3n/gemma4); 0 = none
    // rope
    float rope_freq_base = 10000.0f;     ///< rope.freq_base
    float rope_scaling_factor = 0.0f;    ///< rope.scaling.factor (0 = none)
    std::string_view rope_scaling_type{};///< rope.scaling.type ("linear", "yarn", ...)
    std::uint32_t n_ctx_orig_yarn = 0;   ///< rope.scaling.original_context_length
    std::uint32_t n_embd_out = 0;        ///< embedding output width if it differs from n_embd (0 = n_embd)

    /// Heads of layer `il`.
    [[nodiscard]] constexpr std::uint32_t head_count(std::uint32_t il) const noexcept {
        return il < n_head_arr.size() ? n_head_arr[il] : n_head;
    }
    /// KV heads of layer `il` (0 on layers without attention KV).
    [[nodiscard]] constexpr std::uint32_t head_count_kv(std::uint32_t il) const noexcept {
        return il < n_head_kv_arr.size() ? n_head_kv_arr[il] : n_head_kv;
    }
    /// FFN width of layer `il`.
    [[nodiscard]] constexpr std::uint32_t ff_length(std::uint32_t il) const noexcept {
        return il < n_ff_arr.size() ? n_ff_arr[il] : n_ff;
    }
    /// True if layer `il` uses sliding-window (or chunked) attention.
    [[nodiscard]] constexpr bool is_swa(std::uint32_t il) const noexcept {
        return n_swa > 0 && il < swa_layers.size() && swa_layers[il] != 0;
    }
    /// True if layer `il` keeps recurrent state instead of KV.
    [[nodiscard]] constexpr bool is_recurrent(std::uint32_t il) const noexcept {
        if (memory == memory_kind::attention) return false;
        if (il < recurrent_layers.size()) return recurrent_layers[il] != 0;
        return memory == memory_kind::recurrent;
    }
    /// True for MLA attention (both key_length_mla and value_length_mla present; llama_hparams::is_mla).
    [[nodiscard]] constexpr bool is_mla() const noexcept { return n_embd_head_k_mla != 0 && n_embd_head_v_mla != 0; }
    /// Key head size on layer `il` (llama_hparams::n_embd_head_k(il)).
    [[nodiscard]] constexpr std::uint32_t head_size_k(std::uint32_t il) const noexcept {
        return is_swa(il) && n_embd_head_k_swa != 0 ? n_embd_head_k_swa : n_embd_head_k;
    }
    /// Value head size on layer `il`.
    [[nodiscard]] constexpr std::uint32_t head_size_v(std::uint32_t il) const noexcept {
        return is_swa(il) && n_embd_head_v_swa != 0 ? n_embd_head_v_swa : n_embd_head_v;
    }
    /// K row width of layer `il` in elements (llama_hparams::n_embd_k_gqa).
    [[nodiscard]] constexpr std::uint32_t n_embd_k_gqa(std::uint32_t il) const noexcept {
        return head_size_k(il) * head_count_kv(il);
    }
    /// V row width of layer `il` in elements (llama_hparams::n_embd_v_gqa).
    [[nodiscard]] constexpr std::uint32_t n_embd_v_gqa(std::uint32_t il) const noexcept {
        return head_size_v(il) * head_count_kv(il);
    }
    /// True if layer `il` owns a KV cache (has KV heads, is not a recurrent-only layer, does not reuse another
    /// layer's KV). Falcon-H1 layers keep both: llama-model.cpp create_memory gives it filter_attn = all layers.
    [[nodiscard]] constexpr bool has_kv(std::uint32_t il) const noexcept {
        if (head_count_kv(il) == 0) return false;
        if (is_recurrent(il) && traits(resolve_arch(id, architecture)).layers != recurrent_layer_rule::all_with_attention)
            return false;
        return n_layer_kv_from_start == 0 || il < n_layer_kv_from_start;
    }
    /// Width of the recurrent "r" (convolution / token-shift) state per sequence (llama_hparams::n_embd_r).
    [[nodiscard]] constexpr std::uint64_t n_embd_r() const noexcept {
        if (wkv_head_size != 0) return std::uint64_t(token_shift_count) * n_embd;
        if (shortconv_l_cache != 0) return std::uint64_t(n_embd) * (shortconv_l_cache - 1);
        if (n_embd_head_kda != 0)
            return 3ull * (ssm_d_conv > 0 ? ssm_d_conv - 1 : 3) * head_count(0) * n_embd_head_kda;
        return std::uint64_t(ssm_d_conv > 0 ? ssm_d_conv - 1 : 0) * (ssm_d_inner + 2ull * ssm_n_group * ssm_d_state);
    }
    /// Width of the recurrent "s" (SSM / WKV) state per sequence (llama_hparams::n_embd_s).
    [[nodiscard]] constexpr std::uint64_t n_embd_s() const noexcept {
        if (wkv_head_size != 0) return std::uint64_t(n_embd) * wkv_head_size;
        if (n_embd_head_kda != 0) return std::uint64_t(n_embd_head_kda) * n_embd_head_kda * head_count(0);
        return std::uint64_t(ssm_d_state) * ssm_d_inner;
    }
};

/// The architecture `hp` declares (hparams::id, else its architecture string), or arch::unknown if neither names
/// one: a model built by hand must say what it is (arch::generic for the standard decoder graph).
[[nodiscard]] constexpr arch arch_of(const hparams& hp) noexcept { return resolve_arch(hp.id, hp.architecture); }

/// A model as the planner sees it: hyper-parameters plus the tensor list (both views of caller-owned storage).
struct model {
    hparams hp{};                          ///< hyper-parameters
    std::span<const tensor_info> tensors{};///< every tensor in file order

    /// Total tensor bytes.
    [[nodiscard]] constexpr std::uint64_t total_bytes() const noexcept {
        std::uint64_t sum = 0;
        for (const auto& t : tensors) sum += t.bytes;
        return sum;
    }
    /// Total elements (parameters).
    [[nodiscard]] constexpr std::uint64_t total_params() const noexcept {
        std::uint64_t sum = 0;
        for (const auto& t : tensors) sum += t.ne[0] * t.ne[1] * t.ne[2] * t.ne[3];
        return sum;
    }
    /// The tensor called `name`, or nullptr.
    [[nodiscard]] constexpr const tensor_info* find(std::string_view name) const noexcept {
        for (const auto& t : tensors)
            if (t.name == name) return &t;
        return nullptr;
    }
};

/// Fills `out[il]` with llama.cpp's periodic SWA pattern (llama_hparams::set_swa_pattern): layer il is SWA iff
/// il % period < period - 1 (or, with `dense_first`, iff il % period != 0); period 0 makes every layer SWA.
constexpr void set_swa_pattern(std::span<std::uint8_t> out, std::uint32_t period, bool dense_first = false) noexcept {
    for (std::size_t il = 0; il < out.size(); ++il) {
        const bool swa = period == 0 || (dense_first ? (il % period != 0) : (il % period < period - 1));
        out[il] = swa ? 1 : 0;
    }
}

}  // namespace llamaplan

#endif  // LLAMAPLAN_MODEL_HPP
