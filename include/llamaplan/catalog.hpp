// SPDX-License-Identifier: MIT
// The model catalog: hyper-parameters of widely used models and the per-tensor types llama-quantize chooses for each
// quantization scheme, so a model can be planned by name (`qwen3-30b-a3b:Q4_K_M`) before it is downloaded.
// Everything here is constexpr; adapters/gguf (llamaplan/gguf/catalog.hpp) turns an entry into an owned model.
#ifndef LLAMAPLAN_CATALOG_HPP
#define LLAMAPLAN_CATALOG_HPP

#include <llamaplan/config.hpp>

#include <llamaplan/ggml_types.hpp>
#include <llamaplan/result.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG {

/// The tensor layout families the catalog knows (GGUF names as src/llama-arch.cpp LLM_TENSOR_NAMES spells them).
enum class catalog_layout : std::uint8_t {
    llama,      ///< llama, mistral: q/k/v/o + gated FFN
    qwen2,      ///< llama + q/k/v biases
    qwen3,      ///< llama + q/k norms
    qwen3moe,   ///< qwen3 attention + routed experts
    gemma3,     ///< q/k norms, post-attention / post-FFN norms, tied output
    deepseek2,  ///< MLA attention (q LoRA, kv_a/kv_b, k_b/v_b) + shared and routed experts, dense leading blocks
    gpt_oss,    ///< biases everywhere, attention sinks, routed experts with biases
    glm4moe,    ///< q/k/v biases, shared + routed experts, dense leading block, one MTP (next-n) layer
};

/// A quantization scheme as llama-quantize names it (src/llama-quant.cpp llama_ftype_get_default_type).
enum class quant_scheme : std::uint8_t { f16, bf16, q8_0, q6_k, q5_k_m, q4_k_m, q5_0, q4_0, iq4_xs, mxfp4_moe };

/// Number of quant_scheme values.
inline constexpr std::size_t quant_scheme_count = 10;

/// The scheme's name as llama.cpp spells it ("Q4_K_M", "MXFP4").
[[nodiscard]] constexpr std::string_view to_string(quant_scheme q) noexcept {
    constexpr std::array<std::string_view, quant_scheme_count> names = {"F16", "BF16", "Q8_0", "Q6_K", "Q5_K_M",
                                                                        "Q4_K_M", "Q5_0", "Q4_0", "IQ4_XS", "MXFP4"};
    const auto i = static_cast<std::size_t>(q);
    return i < names.size() ? names[i] : "?";
}

/// Parses a scheme name, case-insensitively ("q4_k_m", "MXFP4", "mxfp4_moe").
[[nodiscard]] constexpr std::optional<quant_scheme> parse_quant_scheme(std::string_view s) noexcept {
    for (std::size_t i = 0; i < quant_scheme_count; ++i)
        if (detail::iequals(s, to_string(static_cast<quant_scheme>(i)))) return static_cast<quant_scheme>(i);
    if (detail::iequals(s, "mxfp4_moe")) return quant_scheme::mxfp4_moe;
    return std::nullopt;
}

/// Bit for a scheme in catalog_entry::quants.
[[nodiscard]] constexpr std::uint32_t quant_bit(quant_scheme q) noexcept { return 1u << static_cast<unsigned>(q); }

/// Schemes every dense or MoE model in the catalog offers.
inline constexpr std::uint32_t common_quants = quant_bit(quant_scheme::f16) | quant_bit(quant_scheme::bf16) |
    quant_bit(quant_scheme::q8_0) | quant_bit(quant_scheme::q6_k) | quant_bit(quant_scheme::q5_k_m) |
    quant_bit(quant_scheme::q4_k_m) | quant_bit(quant_scheme::q5_0) | quant_bit(quant_scheme::q4_0) |
    quant_bit(quant_scheme::iq4_xs);

/// One model: its shape as the original GGUF conversion writes it (sizes in elements / tokens).
struct catalog_entry {
    std::string_view name{};        ///< lowercase `family-size[-variant]`, e.g. "qwen3-30b-a3b"
    std::string_view alias{};       ///< another accepted name (e.g. "llama-3.1-8b"), or empty
    std::string_view arch{};        ///< general.architecture
    catalog_layout layout = catalog_layout::llama;  ///< tensor layout
    std::uint32_t n_layer = 0;      ///< blocks used for inference
    std::uint32_t n_embd = 0;       ///< embedding width
    std::uint32_t n_head = 0;       ///< attention heads
    std::uint32_t n_head_kv = 0;    ///< KV heads
    std::uint32_t head_dim = 0;     ///< head size (0 = n_embd / n_head)
    std::uint32_t n_ff = 0;         ///< dense FFN width
    std::uint32_t n_vocab = 0;      ///< vocabulary (tokens)
    std::uint32_t n_ctx_train = 0;  ///< training context (tokens)
    std::uint32_t n_expert = 0;     ///< routed experts
    std::uint32_t n_expert_used = 0;///< experts per token
    std::uint32_t n_ff_exp = 0;     ///< expert FFN width
    std::uint32_t n_expert_shared = 0;  ///< shared experts
    std::uint32_t n_dense_lead = 0; ///< leading dense blocks (MoE models)
    std::uint32_t n_swa = 0;        ///< sliding window (tokens; 0 = none)
    std::uint32_t q_lora = 0;       ///< MLA q LoRA rank
    std::uint32_t kv_lora = 0;      ///< MLA kv LoRA rank
    std::uint32_t n_nextn = 0;      ///< MTP layers stored after n_layer
    bool tied_output = false;       ///< no output.weight (LM head tied to token_embd)
    bool llm_type_70b = false;      ///< llama.cpp classifies it LLM_TYPE_70B (attn_v gets one more bit)
    float rope_base = 10000.0f;     ///< rope.freq_base
    std::uint32_t quants = common_quants;  ///< quant_bit set of the schemes offered
    std::string_view source{};      ///< where the shape comes from
};

/// Sources: each model's config.json on its Hugging Face repository (the shape convert_hf_to_gguf.py writes);
/// the catalog test checks each size against llama-bench in shared/public/models.csv where a row exists.
inline constexpr catalog_entry catalog_table[] = {
    {"llama-2-7b", {}, "llama", catalog_layout::llama, 32, 4096, 32, 32, 0, 11008, 32000, 4096, 0, 0, 0, 0, 0, 0, 0, 0, 0,
     false, false, 10000.0f, common_quants, "meta-llama/Llama-2-7b-hf config.json"},
    {"llama-1-33b", {}, "llama", catalog_layout::llama, 60, 6656, 52, 52, 0, 17920, 32000, 2048, 0, 0, 0, 0, 0, 0, 0, 0,
     0, false, false, 10000.0f, common_quants, "huggyllama/llama-30b config.json (LLaMA 1 33B)"},
    {"llama-2-13b", {}, "llama", catalog_layout::llama, 40, 5120, 40, 40, 0, 13824, 32000, 4096, 0, 0, 0, 0, 0, 0, 0, 0,
     0, false, false, 10000.0f, common_quants, "meta-llama/Llama-2-13b-hf config.json"},
    {"llama-2-70b", {}, "llama", catalog_layout::llama, 80, 8192, 64, 8, 0, 28672, 32000, 4096, 0, 0, 0, 0, 0, 0, 0, 0, 0,
     false, true, 10000.0f, common_quants, "meta-llama/Llama-2-70b-hf config.json"},
    {"llama-3-8b", {}, "llama", catalog_layout::llama, 32, 4096, 32, 8, 0, 14336, 128256, 8192, 0, 0, 0, 0,
     0, 0, 0, 0, 0, false, false, 500000.0f, common_quants, "meta-llama/Meta-Llama-3-8B config.json"},
    {"llama-3-70b", {}, "llama", catalog_layout::llama, 80, 8192, 64, 8, 0, 28672, 128256, 8192, 0, 0, 0, 0,
     0, 0, 0, 0, 0, false, true, 500000.0f, common_quants, "meta-llama/Meta-Llama-3-70B config.json"},
    {"llama-3.1-8b", {}, "llama", catalog_layout::llama, 32, 4096, 32, 8, 0, 14336, 128256, 131072, 0, 0, 0, 0,
     0, 0, 0, 0, 0, false, false, 500000.0f, common_quants, "meta-llama/Llama-3.1-8B config.json (max_position_embeddings 131072)"},
    {"llama-3.1-70b", {}, "llama", catalog_layout::llama, 80, 8192, 64, 8, 0, 28672, 128256, 131072, 0, 0, 0, 0,
     0, 0, 0, 0, 0, false, true, 500000.0f, common_quants, "meta-llama/Llama-3.1-70B config.json (max_position_embeddings 131072)"},
    {"mistral-small-24b", {}, "llama", catalog_layout::llama, 40, 5120, 32, 8, 128, 32768, 131072, 32768, 0, 0, 0, 0, 0,
     0, 0, 0, 0, false, false, 100000000.0f, common_quants, "mistralai/Mistral-Small-24B-Instruct-2501 config.json"},
    {"qwen2.5-7b", {}, "qwen2", catalog_layout::qwen2, 28, 3584, 28, 4, 0, 18944, 152064, 32768, 0, 0, 0, 0, 0, 0, 0, 0,
     0, false, false, 1000000.0f, common_quants, "Qwen/Qwen2.5-7B-Instruct config.json"},
    {"qwen3-8b", {}, "qwen3", catalog_layout::qwen3, 36, 4096, 32, 8, 128, 12288, 151936, 40960, 0, 0, 0, 0, 0, 0, 0, 0,
     0, false, false, 1000000.0f, common_quants, "Qwen/Qwen3-8B config.json"},
    {"qwen3-32b", {}, "qwen3", catalog_layout::qwen3, 64, 5120, 64, 8, 128, 25600, 151936, 40960, 0, 0, 0, 0, 0, 0, 0, 0,
     0, false, false, 1000000.0f, common_quants, "Qwen/Qwen3-32B config.json"},
    {"qwen3-30b-a3b", {}, "qwen3moe", catalog_layout::qwen3moe, 48, 2048, 32, 4, 128, 6144, 151936, 40960, 128, 8, 768,
     0, 0, 0, 0, 0, 0, false, false, 1000000.0f, common_quants, "Qwen/Qwen3-30B-A3B config.json"},
    {"qwen3-235b-a22b", {}, "qwen3moe", catalog_layout::qwen3moe, 94, 4096, 64, 4, 128, 12288, 151936, 40960, 128, 8,
     1536, 0, 0, 0, 0, 0, 0, false, false, 1000000.0f, common_quants, "Qwen/Qwen3-235B-A22B config.json"},
    {"gemma-3-4b", {}, "gemma3", catalog_layout::gemma3, 34, 2560, 8, 4, 256, 10240, 262144, 131072, 0, 0, 0, 0, 0, 1024,
     0, 0, 0, true, false, 1000000.0f, common_quants, "google/gemma-3-4b-it config.json (text model)"},
    {"gemma-3-27b", {}, "gemma3", catalog_layout::gemma3, 62, 5376, 32, 16, 128, 21504, 262144, 131072, 0, 0, 0, 0, 0,
     1024, 0, 0, 0, true, false, 1000000.0f, common_quants, "google/gemma-3-27b-it config.json (text model)"},
    {"deepseek-v3", "deepseek-r1", "deepseek2", catalog_layout::deepseek2, 61, 7168, 128, 128, 0, 18432, 129280, 163840,
     256, 8, 2048, 1, 3, 0, 1536, 512, 0, false, false, 10000.0f, common_quants,
     "deepseek-ai/DeepSeek-V3 config.json (MTP layer not converted, as in the published GGUFs)"},
    {"kimi-k2", {}, "deepseek2", catalog_layout::deepseek2, 61, 7168, 64, 64, 0, 18432, 163840, 131072, 384, 8, 2048, 1,
     1, 0, 1536, 512, 0, false, false, 50000.0f, common_quants, "moonshotai/Kimi-K2-Instruct config.json"},
    {"deepseek-coder-v2-lite", {}, "deepseek2", catalog_layout::deepseek2, 27, 2048, 16, 16, 0, 10944, 102400, 163840,
     64, 6, 1408, 2, 1, 0, 0, 512, 0, false, false, 10000.0f, common_quants,
     "deepseek-ai/DeepSeek-Coder-V2-Lite-Base config.json (no q LoRA)"},
    {"gpt-oss-20b", {}, "gpt-oss", catalog_layout::gpt_oss, 24, 2880, 64, 8, 64, 0, 201088, 131072, 32, 4, 2880, 0, 0,
     128, 0, 0, 0, false, false, 150000.0f, common_quants | quant_bit(quant_scheme::mxfp4_moe),
     "openai/gpt-oss-20b config.json"},
    {"gpt-oss-120b", {}, "gpt-oss", catalog_layout::gpt_oss, 36, 2880, 64, 8, 64, 0, 201088, 131072, 128, 4, 2880, 0, 0,
     128, 0, 0, 0, false, false, 150000.0f, common_quants | quant_bit(quant_scheme::mxfp4_moe),
     "openai/gpt-oss-120b config.json"},
    {"glm-4.5-air", {}, "glm4moe", catalog_layout::glm4moe, 46, 4096, 96, 8, 128, 10944, 151552, 131072, 128, 8, 1408, 1,
     1, 0, 0, 0, 1, false, false, 1000000.0f, common_quants, "zai-org/GLM-4.5-Air config.json"},
};

/// A catalog model and scheme, as named on a command line.
struct catalog_ref {
    const catalog_entry* entry = nullptr;  ///< the model
    quant_scheme quant = quant_scheme::q4_k_m;  ///< the scheme
};

/// Looks up `NAME:QUANT` (name or alias case-insensitive, e.g. "qwen3-30b-a3b:Q4_K_M", "llama-3.1-8b:q8_0").
/// Errors: not_found for an unknown model, invalid_argument for a missing / unknown / unoffered scheme.
[[nodiscard]] constexpr result<catalog_ref> find_catalog_model(std::string_view spec) noexcept {
    const auto c = spec.rfind(':');
    if (c == std::string_view::npos) return make_error(errc::invalid_argument, "catalog model needs NAME:QUANT");
    const std::string_view name = spec.substr(0, c), q = spec.substr(c + 1);
    for (const auto& e : catalog_table) {
        if (!detail::iequals(name, e.name) && (e.alias.empty() || !detail::iequals(name, e.alias))) continue;
        const auto s = parse_quant_scheme(q);
        if (!s) return make_error(errc::invalid_argument, "unknown quantization scheme");
        if ((e.quants & quant_bit(*s)) == 0) return make_error(errc::invalid_argument, "scheme not offered for this model");
        return catalog_ref{&e, *s};
    }
    return make_error(errc::not_found, "unknown catalog model");
}

/// True if `spec` looks like a catalog reference rather than a path: `name:QUANT` with a known scheme and no '/'.
[[nodiscard]] constexpr bool looks_like_catalog_ref(std::string_view spec) noexcept {
    const auto c = spec.rfind(':');
    if (c == std::string_view::npos || c == 0 || spec.find('/') != std::string_view::npos) return false;
    return parse_quant_scheme(spec.substr(c + 1)).has_value();
}

/// One tensor of a catalog model before naming: block (-1 for global tensors), name without "blk.N.", shape.
struct catalog_tensor {
    std::int32_t layer = -1;               ///< block index, -1 for token_embd / output / output_norm
    std::string_view local{};              ///< e.g. "attn_q.weight", "ffn_down_exps.weight"
    std::array<std::uint64_t, 4> ne{1, 1, 1, 1};  ///< shape, innermost first (elements)
    std::uint32_t n_dims = 1;              ///< 1..3
    ggml_type source_type = ggml_type::f16;///< type in the converted (unquantized) GGUF
};

namespace detail {
template <class F>
constexpr void emit(F& f, std::int32_t layer, std::string_view local, std::uint64_t a, std::uint64_t b = 0,
                    std::uint64_t c = 0) {
    catalog_tensor t;
    t.layer = layer;
    t.local = local;
    t.ne = {a, b ? b : 1, c ? c : 1, 1};
    t.n_dims = c ? 3u : (b ? 2u : 1u);
    // convert_hf_to_gguf.py keeps 1-D tensors, biases, and the MoE router / expert bias in F32
    const bool f32 = t.n_dims == 1 || local.ends_with(".bias") || local.starts_with("ffn_gate_inp") ||
                     local.starts_with("exp_probs_b");
    t.source_type = f32 ? ggml_type::f32 : ggml_type::f16;
    f(t);
}
}  // namespace detail

/// Calls `f(catalog_tensor)` for every tensor of the model in llama.cpp's tensor order (global tensors, then each
/// block; names as LLM_TENSOR_NAMES in src/llama-arch.cpp, shapes as the create_tensor calls in src/models/<arch>.cpp).
template <class F>
constexpr void for_each_catalog_tensor(const catalog_entry& e, F&& f) {
    using detail::emit;
    const std::uint64_t E = e.n_embd, V = e.n_vocab;
    const std::uint64_t hd = e.head_dim ? e.head_dim : e.n_embd / e.n_head;
    const std::uint64_t q = e.n_head * hd, kv = e.n_head_kv * hd;
    emit(f, -1, "token_embd.weight", E, V);
    emit(f, -1, "output_norm.weight", E);
    if (!e.tied_output) emit(f, -1, "output.weight", E, V);
    const std::uint32_t n_all = e.n_layer + e.n_nextn;
    for (std::uint32_t ui = 0; ui < n_all; ++ui) {
        const auto il = static_cast<std::int32_t>(ui);
        const bool moe = e.n_expert > 0 && ui >= e.n_dense_lead;
        emit(f, il, "attn_norm.weight", E);
        switch (e.layout) {
            case catalog_layout::deepseek2: {
                const std::uint64_t rope = 64, nope = 128, v = 128;  // qk_rope_head_dim, qk_nope_head_dim, v_head_dim
                if (e.q_lora) {
                    emit(f, il, "attn_q_a.weight", E, e.q_lora);
                    emit(f, il, "attn_q_a_norm.weight", e.q_lora);
                    emit(f, il, "attn_q_b.weight", e.q_lora, e.n_head * (nope + rope));
                } else {
                    emit(f, il, "attn_q.weight", E, e.n_head * (nope + rope));
                }
                emit(f, il, "attn_kv_a_mqa.weight", E, e.kv_lora + rope);
                emit(f, il, "attn_kv_a_norm.weight", e.kv_lora);
                emit(f, il, "attn_kv_b.weight", e.kv_lora, e.n_head * (nope + v));
                emit(f, il, "attn_k_b.weight", nope, e.kv_lora, e.n_head);
                emit(f, il, "attn_v_b.weight", e.kv_lora, v, e.n_head);
                emit(f, il, "attn_output.weight", e.n_head * v, E);
                break;
            }
            default: {
                emit(f, il, "attn_q.weight", E, q);
                emit(f, il, "attn_k.weight", E, kv);
                emit(f, il, "attn_v.weight", E, kv);
                emit(f, il, "attn_output.weight", q, E);
                const bool qkv_bias = e.layout == catalog_layout::qwen2 || e.layout == catalog_layout::gpt_oss ||
                                      e.layout == catalog_layout::glm4moe;
                if (qkv_bias) {
                    emit(f, il, "attn_q.bias", q);
                    emit(f, il, "attn_k.bias", kv);
                    emit(f, il, "attn_v.bias", kv);
                }
                if (e.layout == catalog_layout::gpt_oss) {
                    emit(f, il, "attn_output.bias", E);
                    emit(f, il, "attn_sinks.weight", e.n_head);
                }
                if (e.layout == catalog_layout::qwen3 || e.layout == catalog_layout::qwen3moe ||
                    e.layout == catalog_layout::gemma3) {
                    emit(f, il, "attn_q_norm.weight", hd);
                    emit(f, il, "attn_k_norm.weight", hd);
                }
                break;
            }
        }
        if (e.layout == catalog_layout::gemma3) {
            emit(f, il, "post_attention_norm.weight", E);
            emit(f, il, "post_ffw_norm.weight", E);
        }
        // gpt-oss and glm4moe name the pre-FFN norm post_attention_norm (LLM_TENSOR_ATTN_POST_NORM)
        if (e.layout == catalog_layout::gpt_oss || e.layout == catalog_layout::glm4moe)
            emit(f, il, "post_attention_norm.weight", E);
        else
            emit(f, il, "ffn_norm.weight", E);
        if (!moe) {
            emit(f, il, "ffn_gate.weight", E, e.n_ff);
            emit(f, il, "ffn_up.weight", E, e.n_ff);
            emit(f, il, "ffn_down.weight", e.n_ff, E);
        } else {
            const std::uint64_t fe = e.n_ff_exp, ne = e.n_expert;
            emit(f, il, "ffn_gate_inp.weight", E, ne);
            if (e.layout == catalog_layout::gpt_oss) emit(f, il, "ffn_gate_inp.bias", ne);
            if (e.layout == catalog_layout::deepseek2 || e.layout == catalog_layout::glm4moe)
                emit(f, il, "exp_probs_b.bias", ne);
            emit(f, il, "ffn_gate_exps.weight", E, fe, ne);
            emit(f, il, "ffn_up_exps.weight", E, fe, ne);
            emit(f, il, "ffn_down_exps.weight", fe, E, ne);
            if (e.layout == catalog_layout::gpt_oss) {
                emit(f, il, "ffn_gate_exps.bias", fe, ne);
                emit(f, il, "ffn_up_exps.bias", fe, ne);
                emit(f, il, "ffn_down_exps.bias", E, ne);
            }
            if (e.n_expert_shared) {
                const std::uint64_t fs = fe * e.n_expert_shared;
                emit(f, il, "ffn_gate_shexp.weight", E, fs);
                emit(f, il, "ffn_up_shexp.weight", E, fs);
                emit(f, il, "ffn_down_shexp.weight", fs, E);
            }
        }
        if (ui >= e.n_layer) {  // MTP layer (glm4moe: src/models/glm4-moe.cpp, LLM_TENSOR_NEXTN_*)
            emit(f, il, "nextn.eh_proj.weight", 2 * E, E);
            emit(f, il, "nextn.enorm.weight", E);
            emit(f, il, "nextn.hnorm.weight", E);
            emit(f, il, "nextn.shared_head_norm.weight", E);
        }
    }
}

/// Counters llama-quantize keeps while it walks the tensors in weights_map order (block, then name).
struct quantize_state {
    std::uint32_t n_attention_wv = 0;  ///< attn_v / attn_qkv / attn_kv_b tensors in the model
    std::uint32_t i_attention_wv = 0;  ///< those seen so far
    std::uint32_t n_layer_all = 0;     ///< n_layer + MTP layers (n_ffn_down)
    std::uint32_t i_ffn_down = 0;      ///< ffn_down* tensors seen so far (dense models use it as the layer)
};

namespace detail {
[[nodiscard]] constexpr bool has(std::string_view s, std::string_view p) noexcept { return s.find(p) != std::string_view::npos; }
[[nodiscard]] constexpr bool use_more_bits(std::uint32_t i, std::uint32_t n) noexcept {
    return i < n / 8 || i >= 7 * n / 8 || (std::int64_t(i) - std::int64_t(n / 8)) % 3 == 2;
}
[[nodiscard]] constexpr ggml_type default_type(quant_scheme q) noexcept {
    switch (q) {
        case quant_scheme::f16: return ggml_type::f16;
        case quant_scheme::bf16: return ggml_type::bf16;
        case quant_scheme::q8_0: return ggml_type::q8_0;
        case quant_scheme::q6_k: return ggml_type::q6_k;
        case quant_scheme::q5_k_m: return ggml_type::q5_k;
        case quant_scheme::q4_k_m: return ggml_type::q4_k;
        case quant_scheme::q5_0: return ggml_type::q5_0;
        case quant_scheme::q4_0: return ggml_type::q4_0;
        case quant_scheme::iq4_xs: return ggml_type::iq4_xs;
        case quant_scheme::mxfp4_moe: return ggml_type::mxfp4;
    }
    return ggml_type::f16;
}
/// tensor_type_fallback: a row length that is not a multiple of the block size takes a compatible type.
[[nodiscard]] constexpr ggml_type fallback(ggml_type t, std::uint64_t ncols) noexcept {
    if (!type_traits(t).quantized || ncols % block_size(t) == 0) return t;
    ggml_type r = t;
    switch (t) {
        case ggml_type::iq4_xs: r = ggml_type::iq4_nl; break;
        case ggml_type::q4_k: r = ggml_type::q5_0; break;
        case ggml_type::q5_k: r = ggml_type::q5_1; break;
        case ggml_type::q6_k: r = ggml_type::q8_0; break;
        default: break;
    }
    return ncols % block_size(r) == 0 ? r : ggml_type::f16;
}
}  // namespace detail

/// The type llama-quantize gives a tensor (src/llama-quant.cpp: tensor_allows_quantization, llama_tensor_get_type,
/// llama_tensor_get_type_impl without an imatrix, tensor_type_fallback). Call it for the tensors in weights_map order
/// (llama-model-loader.h weight_name_comparer: block number, then name) so the counters advance as llama.cpp's do.
[[nodiscard]] constexpr ggml_type quantized_type(const catalog_entry& e, quant_scheme scheme, const catalog_tensor& t,
                                                 quantize_state& qs) noexcept {
    using detail::has;
    const std::string_view n = t.local;
    // tensor_allows_quantization: 2-D/3-D, name ends in "weight", not a norm, not the router
    const bool allowed = t.n_dims >= 2 && n.ends_with("weight") && !has(n, "_norm.weight") && !has(n, "ffn_gate_inp.weight");
    if (!allowed) return t.source_type;
    const ggml_type def = detail::default_type(scheme);
    if (!type_traits(def).quantized) return def;
    const bool is_output = t.layer < 0 && n == "output.weight";
    const bool is_embd = t.layer < 0 && n == "token_embd.weight";
    const bool attn_v = has(n, "attn_v.weight") || has(n, "attn_qkv.weight") || has(n, "attn_kv_b.weight");
    const bool ffn_down = has(n, "ffn_down");
    const std::uint32_t n_gqa = e.n_head_kv ? e.n_head / e.n_head_kv : 0;
    ggml_type nt = def;
    if (is_output || (e.tied_output && is_embd)) {
        if (scheme == quant_scheme::mxfp4_moe || t.ne[0] % block_size(def) != 0) nt = ggml_type::q8_0;
        else if (def != ggml_type::q8_0) nt = ggml_type::q6_k;
    } else if (scheme == quant_scheme::mxfp4_moe) {
        nt = t.ne[2] > 1 ? ggml_type::mxfp4 : ggml_type::q8_0;
    } else if (is_embd) {
        // the schemes here keep the default type for an untied token embedding
    } else if (attn_v) {
        if (scheme == quant_scheme::iq4_xs && n_gqa >= 4) nt = ggml_type::q5_k;
        else if ((scheme == quant_scheme::q4_k_m || scheme == quant_scheme::q5_k_m) &&
                 detail::use_more_bits(qs.i_attention_wv, qs.n_attention_wv))
            nt = ggml_type::q6_k;
        if (e.llm_type_70b && nt == ggml_type::q4_k) nt = ggml_type::q5_k;
        if (e.n_expert == 8) nt = ggml_type::q8_0;
        ++qs.i_attention_wv;
    } else if (ffn_down) {
        // layer_info: with experts the block comes from the name, otherwise from the running counter
        const std::uint32_t il = e.n_expert > 1 ? static_cast<std::uint32_t>(t.layer) : qs.i_ffn_down;
        const std::uint32_t nl = qs.n_layer_all;
        if (scheme == quant_scheme::q4_k_m) {
            if (detail::use_more_bits(il, nl)) nt = ggml_type::q6_k;
        } else if (il < nl / 8 && scheme == quant_scheme::iq4_xs) {
            nt = ggml_type::q5_k;
        } else if (scheme == quant_scheme::q5_k_m && detail::use_more_bits(il, nl)) {
            nt = ggml_type::q6_k;
        }
        ++qs.i_ffn_down;
    } else if (has(n, "attn_k.weight") && e.n_expert == 8) {
        nt = ggml_type::q8_0;
    } else if (has(n, "attn_output.weight") && e.n_expert == 8) {
        if (scheme == quant_scheme::q4_k_m || scheme == quant_scheme::iq4_xs) nt = ggml_type::q5_k;
    }
    return detail::fallback(nt, t.ne[0]);
}

/// Initial quantize_state for a model (init_quantize_state_counters).
[[nodiscard]] constexpr quantize_state make_quantize_state(const catalog_entry& e) noexcept {
    quantize_state qs;
    qs.n_layer_all = e.n_layer + e.n_nextn;
    for_each_catalog_tensor(e, [&](const catalog_tensor& t) {
        const std::string_view n = t.local;
        if (detail::has(n, "attn_v.weight") || detail::has(n, "attn_qkv.weight") || detail::has(n, "attn_kv_b.weight"))
            ++qs.n_attention_wv;
    });
    return qs;
}

/// Total tensor bytes and elements of a catalog model under a scheme (what llama-bench prints as size and params).
struct catalog_size {
    std::uint64_t bytes = 0;   ///< tensor data (bytes)
    std::uint64_t params = 0;  ///< elements
};

/// Sums a catalog model's tensors under a scheme, with the per-tensor types quantized_type gives.
[[nodiscard]] constexpr catalog_size catalog_model_size(const catalog_entry& e, quant_scheme q) noexcept {
    catalog_size s;
    quantize_state qs = make_quantize_state(e);
    for_each_catalog_tensor(e, [&](const catalog_tensor& t) {
        const ggml_type ty = quantized_type(e, q, t, qs);
        s.bytes += row_size(ty, t.ne[0]) * t.ne[1] * t.ne[2] * t.ne[3];
        s.params += t.ne[0] * t.ne[1] * t.ne[2] * t.ne[3];
    });
    return s;
}

}  // namespace llamaplan

#endif  // LLAMAPLAN_CATALOG_HPP
