// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_VALIDATE_HPP
#define LLAMAPLAN_VALIDATE_HPP

// Consistency of a model's hyper-parameters with each other and with its tensors' shapes, as llama.cpp's loader
// enforces it (commit 3f545bec): the GGML_ASSERTs of src/llama-model.cpp llama_model_base::load_hparams, the shape
// check every create_tensor makes (src/llama-model-loader.cpp check_tensor_dims: "tensor '%s' has wrong shape"),
// and the broadcast rule of ggml_mul_mat / ggml_flash_attn_ext (ggml/src/ggml.c ggml_can_mul_mat: the query heads
// must be a multiple of the KV heads), which llama.cpp hits when it reserves the graph.
//
// Besides giving llama.cpp's refusal, this bounds the work of estimate_memory: every size the estimator loops over
// (layers, experts used per token) is capped here, and every width it multiplies (n_embd, n_vocab, FFN widths,
// head sizes x heads, experts) must equal a dimension of a tensor the model actually declares, so a header whose
// numbers contradict its own tensors cannot make an estimate slow or report absurd sizes.

#include <llamaplan/config.hpp>
#include <llamaplan/model.hpp>
#include <llamaplan/result.hpp>

#include <cstdint>
#include <string_view>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG {

/// Most routed experts a model may have (src/llama-hparams.h LLAMA_MAX_EXPERTS).
inline constexpr std::uint32_t max_experts = 1024;

namespace detail::validate {

/// The tensor's local name after "blk.N." (the whole name when it has no layer prefix).
[[nodiscard]] constexpr std::string_view local_name(std::string_view name) noexcept {
    if (tensor_layer(name) < 0) return name;
    return name.substr(name.find('.', 4) + 1);
}

/// A tensor whose dimension `d` differs from what the hyper-parameters imply: the error names the key.
[[nodiscard]] constexpr error shape_error(std::string_view what, std::uint64_t tensor_index) noexcept {
    return make_error(errc::invalid_argument, what, tensor_index);
}

}  // namespace detail::validate

/// Checks what llama.cpp checks before it allocates anything. Returns an error (code != ok) whose message names the
/// GGUF key at fault and whose `where` is the layer (hyper-parameter checks) or the tensor index (shape checks);
/// errc::ok when the model is consistent. A model without tensors (described by hand) gets the hyper-parameter
/// checks only. Cost: O(layers + tensors).
[[nodiscard]] constexpr error validate_model(const model& m) noexcept {
    using detail::validate::local_name;
    using detail::validate::shape_error;
    const hparams& hp = m.hp;
    // load_hparams: GGML_ASSERT(hparams.n_layer_all > 0 && hparams.n_layer_all <= LLAMA_MAX_LAYERS)
    if (hp.n_layer == 0 || std::uint64_t(hp.n_layer) + hp.n_layer_nextn > LLAMAPLAN_MAX_LAYERS)
        return make_error(errc::invalid_argument, "block_count is 0 or above LLAMA_MAX_LAYERS (512)", hp.n_layer);
    if (hp.n_embd == 0) return make_error(errc::invalid_argument, "embedding_length is 0");
    // load_hparams: n_expert <= LLAMA_MAX_EXPERTS, n_expert_used <= n_expert, and used > 0 exactly when n_expert > 0
    if (hp.n_expert > max_experts)
        return make_error(errc::invalid_argument, "expert_count is above LLAMA_MAX_EXPERTS (1024)", hp.n_expert);
    if (hp.n_expert_used > hp.n_expert)
        return make_error(errc::invalid_argument, "expert_used_count is above expert_count", hp.n_expert_used);
    if (hp.n_expert > 0 && hp.n_expert_used == 0)
        return make_error(errc::invalid_argument, "expert_used_count is 0 but expert_count is not (model has expert layers but no expert layers are used)");
    // per-layer arrays must cover the layers they describe (get_key_or_arr reads block_count entries)
    if ((!hp.n_head_arr.empty() && hp.n_head_arr.size() < hp.n_layer) ||
        (!hp.n_head_kv_arr.empty() && hp.n_head_kv_arr.size() < hp.n_layer) ||
        (!hp.n_ff_arr.empty() && hp.n_ff_arr.size() < hp.n_layer))
        return make_error(errc::invalid_argument, "a per-layer array (head_count, head_count_kv or feed_forward_length) is shorter than block_count");
    // ggml_can_mul_mat / ggml_flash_attn_ext: query heads broadcast over KV heads (q->ne[2] % k->ne[2] == 0)
    for (std::uint32_t il = 0; il < hp.n_layer; ++il) {
        if (!hp.has_kv(il) || hp.is_mla()) continue;
        const std::uint32_t h = hp.head_count(il), hkv = hp.head_count_kv(il);
        if (h != 0 && h % hkv != 0)
            return make_error(errc::invalid_argument, "attention.head_count is not a multiple of attention.head_count_kv", il);
        if (hp.head_size_k(il) == 0 || hp.head_size_v(il) == 0)
            return make_error(errc::invalid_argument, "attention.key_length / value_length is 0 (or embedding_length / head_count rounds to 0)", il);
    }

    // tensor shapes (create_tensor with the shape the architecture's load_arch_tensors asks for, src/models/*.cpp)
    for (std::uint64_t ti = 0; ti < m.tensors.size(); ++ti) {
        const tensor_info& t = m.tensors[ti];
        const std::string_view ln = local_name(t.name);
        if (t.name == "token_embd.weight") {
            // {n_embd, n_vocab} in every architecture
            if (t.ne[0] != hp.n_embd) return shape_error("embedding_length differs from token_embd.weight ne[0]", ti);
            if (hp.n_vocab != 0 && t.ne[1] != hp.n_vocab)
                return shape_error("the vocabulary size (vocab_size or the length of tokenizer.ggml.tokens) differs from token_embd.weight ne[1]", ti);
            continue;
        }
        if (t.layer < 0) continue;
        const std::uint32_t il = static_cast<std::uint32_t>(t.layer);
        if (il >= hp.n_layer + hp.n_layer_nextn)
            return shape_error("a tensor belongs to a block at or past block_count", ti);
        if (il >= hp.n_layer) continue;  // MTP blocks: architecture-specific shapes
        if (t.role == tensor_role::ffn_expert) {
            // routed experts: {.., .., n_expert} (MUL_MAT_ID over ne[2]); their biases (gpt-oss ffn_*_exps.bias,
            // src/llama-model.cpp LLM_ARCH_OPENAI_MOE) are {n_ff_exp or n_embd, n_expert}
            if (ln.size() > 5 && ln.substr(ln.size() - 5) == ".bias") {
                if (t.n_dims != 2 || t.ne[1] != hp.n_expert)
                    return shape_error("expert_count differs from ne[1] of an expert bias (ffn_*_exps.bias)", ti);
                continue;
            }
            if (t.n_dims < 3 || t.ne[2] != hp.n_expert) return shape_error("expert_count differs from ne[2] of an expert tensor (ffn_*_exps)", ti);
            if (ln == "ffn_down_exps.weight") {
                // {n_ff_exp, n_embd, n_expert}; without expert_feed_forward_length the architectures use n_ff or
                // n_ff / n_expert_used (models/llama.cpp, models/glm4-moe.cpp, ...)
                const std::uint64_t f = hp.ff_length(il);
                const bool ok = hp.n_ff_exp != 0 ? t.ne[0] == hp.n_ff_exp
                                                 : (t.ne[0] == f || (hp.n_expert_used != 0 && t.ne[0] == f / hp.n_expert_used));
                if (!ok) return shape_error("expert_feed_forward_length (or feed_forward_length) differs from ffn_down_exps.weight ne[0]", ti);
            }
            continue;
        }
        if (ln == "ffn_gate_inp.weight") {
            // the router {n_embd, n_expert}
            if (t.n_dims < 2 || t.ne[1] != hp.n_expert) return shape_error("expert_count differs from ffn_gate_inp.weight ne[1]", ti);
            continue;
        }
        if (ln == "ffn_down.weight" && !(hp.n_expert > 0 && il >= hp.n_layer_dense_lead)) {
            // {n_ff, n_embd} (models/qwen.cpp: {n_ff / 2, n_embd})
            const std::uint64_t f = hp.ff_length(il);
            if (t.ne[0] != f && t.ne[0] * 2 != f) return shape_error("feed_forward_length differs from ffn_down.weight ne[0]", ti);
            continue;
        }
        if (hp.is_mla() || !hp.has_kv(il)) continue;
        const std::uint64_t hk = hp.head_size_k(il), hv = hp.head_size_v(il);
        const std::uint64_t h = hp.head_count(il), hkv = hp.head_count_kv(il);
        if (ln == "attn_k.weight") {
            // {n_embd, n_embd_head_k * n_head_kv}
            if (t.n_dims < 2 || t.ne[1] != hk * hkv) return shape_error("attention.key_length x attention.head_count_kv differs from attn_k.weight ne[1]", ti);
        } else if (ln == "attn_v.weight") {
            // {n_embd, n_embd_head_v * n_head_kv}
            if (t.n_dims < 2 || t.ne[1] != hv * hkv) return shape_error("attention.value_length x attention.head_count_kv differs from attn_v.weight ne[1]", ti);
        } else if (ln == "attn_q.weight") {
            // {n_embd, n_embd_head_k * n_head}, doubled where the query carries an output gate (models/qwen3next.cpp)
            if (t.n_dims < 2 || (t.ne[1] != hk * h && t.ne[1] != 2 * hk * h))
                return shape_error("attention.key_length x attention.head_count differs from attn_q.weight ne[1]", ti);
        }
    }
    return {};
}

}  // namespace llamaplan

#endif  // LLAMAPLAN_VALIDATE_HPP
