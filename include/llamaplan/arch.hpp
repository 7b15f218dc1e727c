// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_ARCH_HPP
#define LLAMAPLAN_ARCH_HPP

#include <llamaplan/config.hpp>

// One home for what the memory model knows about each architecture (llama.cpp's general.architecture): how it
// attends, which layers keep recurrent state, its default sliding-window rule, its MoE gating, its fused tensors and
// which compute graph llamaplan replays for it. The GGUF adapter fills hparams::arch from general.architecture with
// find_arch; a model built by hand sets it (or its architecture string) itself. Sources: src/llama-arch.cpp
// (LLM_ARCH_NAMES, llm_arch_is_recurrent, llm_arch_is_hybrid) and each src/models/<arch>.cpp (load_arch_hparams,
// the graph builder).

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG {

/// The architectures the memory model distinguishes. `unknown` is "not set"; `generic` is an explicit choice of the
/// standard decoder graph for an architecture llamaplan has no entry for (its compute buffer is then unvalidated).
enum class arch : std::uint8_t {
    unknown, generic,
    llama, llama4, qwen2, qwen2moe, qwen3, qwen3moe, gemma, gemma2, gemma3, gemma3n, gemma_embedding, phi3,
    cohere2, cohere2moe, gpt_oss, deepseek2,
    mamba, mamba2, rwkv6, rwkv6qwen2, rwkv7, arwkv7,
    jamba, falcon_h1, plamo2, granitehybrid, lfm2, lfm2moe, nemotron_h, nemotron_h_moe, qwen3next, kimi_linear,
    bailingmoe3, kimi_k3, qwen35, qwen35moe, deepseek4, minimax_01,
};

/// Number of arch values (one arch_table row each).
inline constexpr std::size_t arch_count = static_cast<std::size_t>(arch::minimax_01) + 1;

/// How a layer attends (llama_hparams::is_mla; recurrent-only models have none).
enum class attention_kind : std::uint8_t {
    standard,  ///< Q, K, V projections and a K + V cache
    mla,       ///< multi-head latent attention (DeepSeek-2/3, Kimi): K-only cache of the compressed KV
    none,      ///< no attention (Mamba, RWKV)
};

/// The recurrent mixer of recurrent and hybrid models.
enum class recurrent_kind : std::uint8_t { none, mamba1, mamba2, rwkv6, rwkv7, shortconv, gated_delta_net, kda, other };

/// Which layers keep recurrent state (src/models/<arch>.cpp load_arch_hparams, hparams.recurrent_layer_arr).
enum class recurrent_layer_rule : std::uint8_t {
    none,                 ///< no recurrent layers
    all,                  ///< every layer (llm_arch_is_recurrent)
    no_kv_heads,          ///< "a layer is recurrent IFF n_head_kv is 0" (granite-hybrid, jamba, lfm2, ...)
    no_kv_heads_no_ffn,   ///< recurrent iff no KV heads and no FFN (nemotron-h)
    attention_interval,   ///< every `interval`-th layer attends, the rest are recurrent (qwen3next, qwen35*, minimax-01)
    all_with_attention,   ///< every layer has both a mixer and attention (falcon-h1)
};

/// The expert-gating function an architecture's build_moe_ffn uses (llama_expert_gating_func_type).
enum class moe_gating : std::uint8_t { none, softmax, sigmoid, softmax_weight };

/// The compute graph llamaplan replays for the compute buffer (compute/ headers).
enum class graph_family : std::uint8_t {
    decoder,        ///< standard decoder block (compute/decoder.hpp): llama, qwen2/3(+moe), gemma2/3, phi3, gpt-oss
    mla,            ///< DeepSeek-2 MLA (compute/mla.hpp)
    mamba_hybrid,   ///< Mamba-1, Mamba-2, granite / nemotron-h / falcon-h1 hybrids (compute/ssm_hybrid.hpp)
    rwkv,           ///< RWKV-6 and RWKV-7, also in Qwen2 blocks: rwkv6qwen2, arwkv7 (compute/rwkv.hpp)
    delta_net,      ///< gated delta-net hybrids with gated attention (and a gated shared expert): qwen3next,
                    ///< qwen35, qwen35moe (compute/delta_net.hpp)
    approximate,    ///< no graph of its own yet: the decoder graph stands in (unvalidated)
    gemma3n,        ///< Gemma-3n: altup streams, laurel, per-layer inputs, shared KV (compute/gemma3n.hpp)
};

/// The default sliding-window rule of an architecture (load_arch_hparams; hparams.set_swa_pattern).
struct swa_rule {
    bool has_rule = false;          ///< the architecture sets SWA itself (else: from the file's keys, if any)
    std::uint32_t period = 0;       ///< default sliding_window_pattern
    std::uint32_t n_swa = 0;        ///< default window (tokens; 0 = from the file only)
    bool needs_window_key = false;  ///< SWA only when attention.sliding_window is present and > 0 (gemma3)
    bool chunked = false;           ///< chunked attention (llama4)
    bool dense_first = false;       ///< set_swa_pattern(period, dense_first = true) (cohere2moe)
    bool disabled = false;          ///< SWA ignored even when the file has a window (phi3)
};

/// The facts the memory model needs about one architecture.
struct arch_traits {
    std::string_view name{};        ///< general.architecture (LLM_ARCH_NAMES)
    arch id = arch::unknown;        ///< enum value
    graph_family graph = graph_family::approximate;  ///< compute graph replayed
    attention_kind attention = attention_kind::standard;  ///< attention kind (MLA also needs the *_mla keys)
    recurrent_kind recurrent = recurrent_kind::none;      ///< recurrent mixer
    recurrent_layer_rule layers = recurrent_layer_rule::none;  ///< which layers are recurrent
    std::uint32_t attention_interval = 0;  ///< default full_attention_interval for recurrent_layer_rule::attention_interval
    swa_rule swa{};                 ///< default sliding-window rule
    moe_gating gating = moe_gating::none;  ///< gating of its routed experts (none: dense)
    bool moe_norm_weights = false;  ///< build_moe_ffn norm_w: chosen expert weights renormalised (sum_rows + div)
    bool fused_qkv = false;         ///< may store one attn_qkv matrix (create_tensor_qkv); the file decides
    bool fused_gate_up = false;     ///< ffn_up holds gate and up (2 x n_ff rows), applied as ggml_swiglu (phi3)
    bool embd_scale = false;        ///< input embeddings scaled by sqrt(n_embd) (gemma family)
    bool q_scale_after_rope = false;///< ggml_scale of Q after rope (gemma3 f_attention_scale, phi3 1/sqrt(head))
    bool kv_sharing = false;        ///< later layers reuse earlier layers' KV (attention.shared_kv_layers)
    std::uint32_t kv_from_start = 0;///< a fixed hparams.n_layer_kv_from_start: layers >= it have no KV of their own
                                    ///< whatever the file says (gemma3n: 20); 0 = from attention.shared_kv_layers
    bool kv_iswa = false;           ///< the graph builder takes build_attn_inp_kv_iswa, whose build_attn expands Q, K,
                                    ///< V in that order (build_attn_inp_kv's: Q, V, K; src/llama-graph.cpp build_attn)
    bool out_rows_after_blocks = false;  ///< the last block runs on every token and the output rows are taken after
                                         ///< it, before output_norm (cparams.embeddings_nextn_masked is false unless
                                         ///< set: models/openai-moe.cpp, qwen3next.cpp, step35.cpp, bailingmoe3.cpp)
    bool post_attn_norm_is_ffn_norm = false;  ///< post_attention_norm normalises the FFN input (attn_post_norm after
                                              ///< the residual add, gpt-oss) rather than the attention output (gemma)
    bool moe_biases = false;        ///< router and experts carry biases (ffn_gate_inp_b, add_id of the expert biases)
    bool rwkv_qwen2_ffn = false;    ///< RWKV time mix in a Qwen2 block (rwkv6qwen2, arwkv7): RMS norms, no LN0, one
                                    ///< token shift (token_shift_count 1), a SwiGLU FFN instead of the channel mix
    std::uint32_t pos_per_embd = 1; ///< positions per token in inp_pos: 4 with M-RoPE / IMRoPE (llama_hparams::
                                    ///< n_pos_per_embd of llama_model_rope_type, llama-model.cpp), else 1
    bool gdn_split_beta_alpha = false;  ///< the delta-net layer projects beta and alpha with two matrices (ssm_beta,
                                        ///< ssm_alpha: models/qwen35*.cpp) rather than one ssm_ba (qwen3next)
    bool gdn_repeat_when_fused = false; ///< Q and K are repeated to the V heads even for the fused gated-delta-net op
                                        ///< (qwen3next); qwen35* repeat them only for the unfused graph

    /// True if the model keeps only recurrent state (llm_arch_is_recurrent).
    [[nodiscard]] constexpr bool is_recurrent() const noexcept { return layers == recurrent_layer_rule::all; }
    /// True for attention + recurrent hybrids (llm_arch_is_hybrid).
    [[nodiscard]] constexpr bool is_hybrid() const noexcept {
        return layers != recurrent_layer_rule::none && layers != recurrent_layer_rule::all;
    }
};

namespace detail {
[[nodiscard]] constexpr arch_traits make_arch(std::string_view name, arch id, graph_family g) noexcept {
    arch_traits t{};
    t.name = name;
    t.id = id;
    t.graph = g;
    return t;
}
[[nodiscard]] constexpr arch_traits with_swa(arch_traits t, std::uint32_t period, std::uint32_t n_swa, bool needs_key = false,
                                             bool chunked = false, bool dense_first = false) noexcept {
    t.swa = swa_rule{true, period, n_swa, needs_key, chunked, dense_first, false};
    return t;
}
[[nodiscard]] constexpr arch_traits with_moe(arch_traits t, moe_gating g, bool norm_w) noexcept {
    t.gating = g;
    t.moe_norm_weights = norm_w;
    return t;
}
[[nodiscard]] constexpr arch_traits recurrent_arch(std::string_view name, arch id, recurrent_kind k, graph_family g) noexcept {
    arch_traits t = make_arch(name, id, g);
    t.attention = attention_kind::none;
    t.recurrent = k;
    t.layers = recurrent_layer_rule::all;
    return t;
}
[[nodiscard]] constexpr arch_traits hybrid_arch(std::string_view name, arch id, recurrent_kind k, recurrent_layer_rule r,
                                                graph_family g = graph_family::approximate, std::uint32_t interval = 0) noexcept {
    arch_traits t = make_arch(name, id, g);
    t.recurrent = k;
    t.layers = r;
    t.attention_interval = interval;
    return t;
}

[[nodiscard]] constexpr auto build_arch_table() noexcept {
    using g = graph_family;
    using rk = recurrent_kind;
    using rl = recurrent_layer_rule;
    arch_traits generic = make_arch("", arch::generic, g::approximate);
    arch_traits gemma = make_arch("gemma", arch::gemma, g::decoder);
    gemma.embd_scale = true;
    // models/gemma2.cpp: n_swa 4096, period 2; models/gemma3.cpp: only with sliding_window > 0, period 6, Q scaled
    arch_traits gemma2 = with_swa(make_arch("gemma2", arch::gemma2, g::decoder), 2, 4096);
    gemma2.embd_scale = true;
    gemma2.kv_iswa = true;
    arch_traits gemma3 = with_swa(make_arch("gemma3", arch::gemma3, g::decoder), 6, 0, true);
    gemma3.embd_scale = true;
    gemma3.q_scale_after_rope = true;
    gemma3.kv_iswa = true;
    // models/gemma3n.cpp load_arch_hparams: SWA period 5 (sliding_window_pattern may override), the window from the
    // file, n_layer_kv_from_start = 20 (shared_kv_layers is not read): layers 20+ reuse layer 18's (SWA) or 19's KV
    // (llama-model.cpp create_memory's reuse callback)
    arch_traits gemma3n = with_swa(make_arch("gemma3n", arch::gemma3n, g::gemma3n), 5, 0);
    gemma3n.embd_scale = true;
    gemma3n.kv_sharing = true;
    gemma3n.kv_from_start = 20;
    gemma3n.kv_iswa = true;
    arch_traits gemma_embd = with_swa(make_arch("gemma-embedding", arch::gemma_embedding, g::approximate), 6, 0);
    gemma_embd.embd_scale = true;
    // models/phi3.cpp: fused attn_qkv (create_tensor_qkv), ffn_up of 2 x n_ff applied with ggml_swiglu (LLM_FFN_SEQ),
    // Q scaled by 1/sqrt(head) after rope; "Phi SWA is currently disabled"
    arch_traits phi3 = make_arch("phi3", arch::phi3, g::decoder);
    phi3.fused_qkv = true;
    phi3.fused_gate_up = true;
    phi3.q_scale_after_rope = true;
    phi3.swa.disabled = true;
    phi3.gating = moe_gating::softmax;
    // models/openai-moe.cpp: SWA on even layers (set_swa_pattern(2)) with the file's window, build_attn_inp_kv_iswa,
    // attention sinks (src of flash_attn_ext / soft_max_ext, no tensor of their own), attn_post_norm before the MoE,
    // build_moe_ffn with LLAMA_EXPERT_GATING_FUNC_TYPE_SOFTMAX_WEIGHT, biased router and experts, SwiGLU-OAI; output
    // rows taken after the last block
    arch_traits gpt_oss = with_moe(with_swa(make_arch("gpt-oss", arch::gpt_oss, g::decoder), 2, 0),
                                   moe_gating::softmax_weight, false);
    gpt_oss.kv_iswa = true;
    gpt_oss.out_rows_after_blocks = true;
    gpt_oss.post_attn_norm_is_ffn_norm = true;
    gpt_oss.moe_biases = true;
    // models/rwkv6qwen2.cpp, arwkv7.cpp: the RWKV-6 / RWKV-7 time mix, RMS norms and a Qwen2 FFN
    arch_traits rwkv6qwen2 = recurrent_arch("rwkv6qwen2", arch::rwkv6qwen2, rk::rwkv6, g::rwkv);
    rwkv6qwen2.rwkv_qwen2_ffn = true;
    arch_traits arwkv7 = recurrent_arch("arwkv7", arch::arwkv7, rk::rwkv7, g::rwkv);
    arwkv7.rwkv_qwen2_ffn = true;
    // models/qwen3next.cpp: build_moe_ffn with LLAMA_EXPERT_GATING_FUNC_TYPE_SOFTMAX and norm_w = true; one ssm_ba
    // projection; Q/K repeated to the V heads before the delta net whatever op runs it
    arch_traits qwen3next = with_moe(hybrid_arch("qwen3next", arch::qwen3next, rk::gated_delta_net,
                                                 rl::attention_interval, g::delta_net, 4), moe_gating::softmax, true);
    qwen3next.gdn_repeat_when_fused = true;
    // models/qwen35.cpp (dense FFN) and qwen35moe.cpp (qwen3next's MoE): ssm_beta and ssm_alpha, and "need explicit
    // repeat only if we are not using the fused GDN"
    arch_traits qwen35 = hybrid_arch("qwen35", arch::qwen35, rk::gated_delta_net, rl::attention_interval, g::delta_net, 4);
    qwen35.gdn_split_beta_alpha = true;
    qwen35.pos_per_embd = 4;  // LLAMA_ROPE_TYPE_IMROPE
    arch_traits qwen35moe = with_moe(hybrid_arch("qwen35moe", arch::qwen35moe, rk::gated_delta_net,
                                                 rl::attention_interval, g::delta_net, 4), moe_gating::softmax, true);
    qwen35moe.gdn_split_beta_alpha = true;
    qwen35moe.pos_per_embd = 4;
    arch_traits deepseek2 = with_moe(make_arch("deepseek2", arch::deepseek2, g::mla), moe_gating::softmax, false);
    deepseek2.attention = attention_kind::mla;
    return std::array<arch_traits, arch_count>{{
        generic,
        make_arch("llama", arch::llama, g::decoder),
        with_swa(make_arch("llama4", arch::llama4, g::approximate), 4, 8192, false, true),  // models/llama4.cpp
        make_arch("qwen2", arch::qwen2, g::decoder),
        with_moe(make_arch("qwen2moe", arch::qwen2moe, g::approximate), moe_gating::softmax, false),
        make_arch("qwen3", arch::qwen3, g::decoder),
        with_moe(make_arch("qwen3moe", arch::qwen3moe, g::decoder), moe_gating::softmax, true),  // models/qwen3moe.cpp
        gemma, gemma2, gemma3, gemma3n, gemma_embd, phi3,
        with_swa(make_arch("cohere2", arch::cohere2, g::approximate), 4, 0),                  // models/cohere2.cpp
        with_swa(make_arch("cohere2moe", arch::cohere2moe, g::approximate), 4, 0, false, false, true),
        gpt_oss,
        deepseek2,
        recurrent_arch("mamba", arch::mamba, rk::mamba1, g::mamba_hybrid),
        recurrent_arch("mamba2", arch::mamba2, rk::mamba2, g::mamba_hybrid),
        recurrent_arch("rwkv6", arch::rwkv6, rk::rwkv6, g::rwkv),
        rwkv6qwen2,
        recurrent_arch("rwkv7", arch::rwkv7, rk::rwkv7, g::rwkv),
        arwkv7,
        hybrid_arch("jamba", arch::jamba, rk::mamba1, rl::no_kv_heads),
        hybrid_arch("falcon-h1", arch::falcon_h1, rk::mamba2, rl::all_with_attention, g::mamba_hybrid),
        hybrid_arch("plamo2", arch::plamo2, rk::mamba1, rl::no_kv_heads),
        hybrid_arch("granitehybrid", arch::granitehybrid, rk::mamba2, rl::no_kv_heads, g::mamba_hybrid),
        hybrid_arch("lfm2", arch::lfm2, rk::shortconv, rl::no_kv_heads),
        hybrid_arch("lfm2moe", arch::lfm2moe, rk::shortconv, rl::no_kv_heads),
        hybrid_arch("nemotron_h", arch::nemotron_h, rk::mamba2, rl::no_kv_heads_no_ffn, g::mamba_hybrid),
        hybrid_arch("nemotron_h_moe", arch::nemotron_h_moe, rk::mamba2, rl::no_kv_heads_no_ffn),
        qwen3next,
        hybrid_arch("kimi-linear", arch::kimi_linear, rk::kda, rl::no_kv_heads),
        hybrid_arch("bailingmoe3", arch::bailingmoe3, rk::other, rl::no_kv_heads),
        hybrid_arch("kimi-k3", arch::kimi_k3, rk::kda, rl::no_kv_heads),
        qwen35,
        qwen35moe,
        hybrid_arch("deepseek4", arch::deepseek4, rk::other, rl::no_kv_heads),
        hybrid_arch("minimax-01", arch::minimax_01, rk::other, rl::attention_interval, g::approximate, 8),
        // an `unknown` entry last, so traits(arch::unknown) has a row (never matched by name)
        make_arch("", arch::unknown, g::approximate),
    }};
}
}  // namespace detail

/// Every architecture the memory model knows, one row each.
inline constexpr auto arch_table = detail::build_arch_table();

/// The traits of `general.architecture` name `name`, or nullptr if llamaplan has no entry for it (run time).
[[nodiscard]] constexpr const arch_traits* find_arch(std::string_view name) noexcept {
    if (name.empty()) return nullptr;
    for (std::size_t i = 0; i < arch_table.size(); ++i)
        if (arch_table[i].name == name) return &arch_table[i];
    return nullptr;
}

namespace detail {
// During constant evaluation the lookups below read a local copy of the table: GCC with -fsanitize=undefined
// instruments member access into the namespace-scope table with null checks it cannot constant-evaluate.
template <class F>
constexpr auto with_arch_table(F f) noexcept {
    if (std::is_constant_evaluated()) {
        const auto local = build_arch_table();
        return f(local);
    }
    return f(arch_table);
}
}  // namespace detail

/// The traits of `a`, by value (arch::unknown has a row of defaults).
[[nodiscard]] constexpr arch_traits traits(arch a) noexcept {
    return detail::with_arch_table([a](const auto& table) {
        for (std::size_t i = 0; i < table.size(); ++i)
            if (table[i].id == a) return table[i];
        return table[0];
    });
}

/// The architecture a model declares: `id` when set, else the entry for `name`; arch::unknown when neither says.
[[nodiscard]] constexpr arch resolve_arch(arch id, std::string_view name) noexcept {
    if (id != arch::unknown || name.empty()) return id;
    return detail::with_arch_table([name](const auto& table) {
        for (std::size_t i = 0; i < table.size(); ++i)
            if (table[i].name == name) return table[i].id;
        return arch::unknown;
    });
}

}  // namespace llamaplan

#endif  // LLAMAPLAN_ARCH_HPP
