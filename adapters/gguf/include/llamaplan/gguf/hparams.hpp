// SPDX-License-Identifier: MIT
// llamaplan GGUF adapter: llamaplan::hparams from a parsed GGUF header, following llama.cpp's loader (commit 3f545bec):
// src/llama-model.cpp `llama_model_base::load_hparams` (generic keys and defaults), the per-architecture
// `load_arch_hparams` in src/models/*.cpp (SWA defaults, MLA, SSM/RWKV keys), src/llama-model-loader.cpp
// `get_key_or_arr` (per-layer arrays) and src/llama-arch.cpp (key names, llm_arch_is_recurrent / llm_arch_is_hybrid).
// Pure: no I/O, no exceptions.
#ifndef LLAMAPLAN_GGUF_HPARAMS_HPP
#define LLAMAPLAN_GGUF_HPARAMS_HPP

#include <llamaplan/config.hpp>
#include <llamaplan/gguf/reader.hpp>
#include <llamaplan/model.hpp>
#include <llamaplan/result.hpp>
#include <llamaplan/validate.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::gguf {

/// Hyper-parameters with the storage their per-layer spans view. Copy and move freely: view() rebinds the spans.
/// String views (architecture, rope_scaling_type) point into the reader's input, which must outlive this.
struct model_hparams {
    hparams scalars{};                         ///< every scalar field (its spans are left empty; use view())
    std::uint32_t n_layer_all = 0;             ///< block_count, MTP layers included
    std::vector<std::uint32_t> n_head_arr{};   ///< per-layer heads (block_count entries) when the file has an array
    std::vector<std::uint32_t> n_head_kv_arr{};///< per-layer KV heads when the file (or head_count) has an array
    std::vector<std::uint32_t> n_ff_arr{};     ///< per-layer FFN width when the file has an array
    std::vector<std::uint8_t> swa_layers{};    ///< per-layer 1 = SWA (block_count entries) or empty
    std::vector<std::uint8_t> recurrent_layers{};  ///< per-layer 1 = recurrent (hybrids) or empty

    /// The hparams with spans bound to this object's vectors (valid while this object lives unchanged).
    [[nodiscard]] hparams view() const noexcept {
        hparams h = scalars;
        h.n_head_arr = n_head_arr;
        h.n_head_kv_arr = n_head_kv_arr;
        h.n_ff_arr = n_ff_arr;
        h.swa_layers = swa_layers;
        h.recurrent_layers = recurrent_layers;
        return h;
    }
};

/// True for the architectures llama.cpp treats as purely recurrent (llm_arch_is_recurrent; from arch_table).
[[nodiscard]] constexpr bool is_recurrent_arch(std::string_view a) noexcept {
    const arch_traits* t = find_arch(a);
    return t != nullptr && t->is_recurrent();
}

/// True for the hybrid attention + recurrent architectures (llm_arch_is_hybrid; from arch_table).
[[nodiscard]] constexpr bool is_hybrid_arch(std::string_view a) noexcept {
    const arch_traits* t = find_arch(a);
    return t != nullptr && t->is_hybrid();
}

namespace detail {

/// Builds "<arch>.<suffix>" keys in one reusable buffer.
class key_builder {
public:
    explicit key_builder(std::string_view arch) : prefix_(arch.size() + 1) {
        buf_.reserve(arch.size() + 64);
        buf_.append(arch);
        buf_.push_back('.');
    }
    [[nodiscard]] std::string_view operator()(std::string_view suffix) {
        buf_.resize(prefix_);
        buf_.append(suffix);
        return buf_;
    }

private:
    std::size_t prefix_;
    std::string buf_;
};

/// Reads an optional unsigned 32-bit key into `out`; missing leaves `out`; true if found. Wrong types are errors.
[[nodiscard]] inline bool opt_u32(const reader& r, std::string_view key, std::uint32_t& out, error& err) {
    const kv_entry* kv = r.find(key);
    if (kv == nullptr) return false;
    auto v = r.get_u32(key);
    if (!v) {
        if (err.code == errc::ok) err = make_error(v.error().code, v.error().what, v.error().where ? v.error().where : kv->value_offset);
        return false;
    }
    out = *v;
    return true;
}

/// Reads an optional float key into `out`; true if found.
[[nodiscard]] inline bool opt_f32(const reader& r, std::string_view key, float& out, error& err) {
    const kv_entry* kv = r.find(key);
    if (kv == nullptr) return false;
    auto v = r.get_f32(key);
    if (!v) {
        if (err.code == errc::ok) err = make_error(v.error().code, v.error().what, kv->value_offset);
        return false;
    }
    out = *v;
    return true;
}

/// llama-model-loader.cpp get_key_or_arr: an array of exactly `n` entries, or a scalar repeated.
/// Returns 0 = missing, 1 = scalar (in `scalar`), 2 = array (in `arr`).
[[nodiscard]] inline int key_or_arr(const reader& r, std::string_view key, std::uint32_t n, std::uint32_t& scalar,
                                    std::vector<std::uint32_t>& arr, error& err) {
    const kv_entry* kv = r.find(key);
    if (kv == nullptr) return 0;
    if (kv->is_array()) {
        if (kv->count != n) {
            if (err.code == errc::ok) err = make_error(errc::invalid_argument, "per-layer array length differs from block_count", kv->value_offset);
            return 0;
        }
        if (auto e = r.get_array_u32(key, arr); e.code != errc::ok) {
            if (err.code == errc::ok) err = e;
            return 0;
        }
        scalar = arr.empty() ? 0 : arr[0];
        return 2;
    }
    return opt_u32(r, key, scalar, err) ? 1 : 0;
}

}  // namespace detail

/// Extracts hyper-parameters. Required keys: general.architecture, <arch>.block_count, <arch>.embedding_length;
/// everything else takes llama.cpp's default. Errors: missing_key, type_mismatch, invalid_argument (bad lengths).
[[nodiscard]] inline result<model_hparams> extract_hparams(const reader& r) {
    model_hparams out;
    hparams& h = out.scalars;
    error err{};
    auto arch = r.get_string("general.architecture");
    if (!arch) return make_error(arch.error().code, "general.architecture is missing or not a string", arch.error().where);
    h.architecture = *arch;
    // the architecture's row of arch_table; one llamaplan has no row for gets the explicit generic choice
    const arch_traits* known = find_arch(*arch);
    h.id = known != nullptr ? known->id : llamaplan::arch::generic;
    const arch_traits at = traits(h.id);
    detail::key_builder k(*arch);

    // llama-model.cpp load_hparams: block_count and embedding_length are required
    if (!detail::opt_u32(r, k("block_count"), out.n_layer_all, err)) {
        if (err.code != errc::ok) return err;
        return make_error(errc::missing_key, "<arch>.block_count is missing");
    }
    if (out.n_layer_all == 0 || out.n_layer_all > LLAMAPLAN_MAX_LAYERS)
        return make_error(errc::invalid_argument, "block_count is 0 or above LLAMA_MAX_LAYERS (512)", r.find(k("block_count"))->value_offset);
    if (!detail::opt_u32(r, k("embedding_length"), h.n_embd, err)) {
        if (err.code != errc::ok) return err;
        return make_error(errc::missing_key, "<arch>.embedding_length is missing");
    }
    // llama-model.cpp load_hparams: ml.get_key(LLM_KV_CONTEXT_LENGTH, hparams.n_ctx_train) is required
    if (!detail::opt_u32(r, k("context_length"), h.n_ctx_train, err)) {
        if (err.code != errc::ok) return err;
        return make_error(errc::missing_key, "<arch>.context_length is missing");
    }
    (void)detail::opt_u32(r, k("embedding_length_out"), h.n_embd_out, err);

    // MTP layers: n_layer() = n_layer_all - n_layer_nextn (llama-hparams.cpp llama_hparams::n_layer)
    if (detail::opt_u32(r, k("nextn_predict_layers"), h.n_layer_nextn, err) && h.n_layer_nextn >= out.n_layer_all)
        return make_error(errc::invalid_argument, "nextn_predict_layers is not below block_count", r.find(k("nextn_predict_layers"))->value_offset);
    h.n_layer = out.n_layer_all - h.n_layer_nextn;

    // experts (generic keys in load_hparams; the rest read by the MoE architectures, harmless elsewhere)
    (void)detail::opt_u32(r, k("expert_count"), h.n_expert, err);
    (void)detail::opt_u32(r, k("expert_used_count"), h.n_expert_used, err);
    (void)detail::opt_u32(r, k("expert_shared_count"), h.n_expert_shared, err);
    (void)detail::opt_u32(r, k("expert_feed_forward_length"), h.n_ff_exp, err);
    (void)detail::opt_u32(r, k("expert_shared_feed_forward_length"), h.n_ff_shexp, err);
    (void)detail::opt_u32(r, k("leading_dense_block_count"), h.n_layer_dense_lead, err);
    if (err.code != errc::ok) return err;
    // load_hparams: GGML_ASSERTs on the expert counts and expert groups (LLAMA_MAX_EXPERTS in llama-hparams.h)
    {
        std::uint32_t groups = 0, groups_used = 0;
        (void)detail::opt_u32(r, k("expert_group_count"), groups, err);
        (void)detail::opt_u32(r, k("expert_group_used_count"), groups_used, err);
        if (err.code != errc::ok) return err;
        auto at = [&](std::string_view key) { const kv_entry* e = r.find(k(key)); return e != nullptr ? e->value_offset : 0; };
        if (h.n_expert > max_experts)
            return make_error(errc::invalid_argument, "expert_count is above LLAMA_MAX_EXPERTS (1024)", at("expert_count"));
        if (h.n_expert_used > h.n_expert)
            return make_error(errc::invalid_argument, "expert_used_count is above expert_count", at("expert_used_count"));
        if (h.n_expert > 0) {
            if (h.n_expert_used == 0)
                return make_error(errc::invalid_argument, "expert_used_count is 0 or missing but expert_count is not", at("expert_count"));
            if (groups >= h.n_expert)
                return make_error(errc::invalid_argument, "expert_group_count is not below expert_count", at("expert_group_count"));
            if (groups > 1 && (h.n_expert % groups != 0 || groups_used == 0 || groups_used >= groups))
                return make_error(errc::invalid_argument, "expert_group_count does not divide expert_count, or expert_group_used_count is not in 1..groups-1", at("expert_group_count"));
        } else if (groups != 0) {
            return make_error(errc::invalid_argument, "expert_group_count is set but expert_count is 0", at("expert_group_count"));
        }
    }

    // per-layer arrays: llama.cpp reads them with n = n_layer() *before* nextn is known, i.e. block_count entries
    const std::uint32_t n_all = out.n_layer_all;
    (void)detail::key_or_arr(r, k("feed_forward_length"), n_all, h.n_ff, out.n_ff_arr, err);
    const int head_kind = detail::key_or_arr(r, k("attention.head_count"), n_all, h.n_head, out.n_head_arr, err);
    // "n_head_kv is optional, default to n_head" (load_hparams)
    h.n_head_kv = h.n_head;
    if (head_kind == 2) out.n_head_kv_arr = out.n_head_arr;
    std::vector<std::uint32_t> kv_arr;
    const int kv_kind = detail::key_or_arr(r, k("attention.head_count_kv"), n_all, h.n_head_kv, kv_arr, err);
    if (kv_kind == 2) out.n_head_kv_arr = std::move(kv_arr);
    else if (kv_kind == 1) out.n_head_kv_arr.clear();
    if (err.code != errc::ok) return err;

    // head sizes: default n_embd / n_head, only when the model has heads (load_hparams)
    if (h.n_head > 0) {
        h.n_embd_head_k = h.n_embd / h.n_head;
        h.n_embd_head_v = h.n_embd / h.n_head;
        (void)detail::opt_u32(r, k("attention.key_length"), h.n_embd_head_k, err);
        (void)detail::opt_u32(r, k("attention.value_length"), h.n_embd_head_v, err);
        (void)detail::opt_u32(r, k("attention.key_length_swa"), h.n_embd_head_k_swa, err);
        (void)detail::opt_u32(r, k("attention.value_length_swa"), h.n_embd_head_v_swa, err);
        // load_hparams: for LLM_ARCH_LLAMA, DECI, FALCON and LLAMA_EMBED, "invalid n_rot" unless
        // rope.dimension_count (default n_embd_head_k) equals n_embd_head_k
        std::uint32_t n_rot = h.n_embd_head_k;
        (void)detail::opt_u32(r, k("rope.dimension_count"), n_rot, err);
        const std::string_view a = *arch;
        if ((a == "llama" || a == "deci" || a == "falcon" || a == "llama-embed") && n_rot != h.n_embd_head_k)
            return make_error(errc::invalid_argument, "rope.dimension_count differs from the head size (attention.key_length or embedding_length / head_count)", r.find(k("rope.dimension_count"))->value_offset);
    }

    // rope (load_hparams): freq_base default 10000, factor from rope.scaling.factor or legacy rope.scale_linear
    (void)detail::opt_f32(r, k("rope.freq_base"), h.rope_freq_base, err);
    if (!detail::opt_f32(r, k("rope.scaling.factor"), h.rope_scaling_factor, err))
        (void)detail::opt_f32(r, k("rope.scale_linear"), h.rope_scaling_factor, err);
    if (auto t = r.get_string(k("rope.scaling.type"))) {
        // llama_rope_scaling_type_from_string knows none, linear, yarn and longrope; anything else trips the
        // GGML_ASSERT after it in load_hparams
        if (*t != "none" && *t != "linear" && *t != "yarn" && *t != "longrope")
            return make_error(errc::invalid_argument, "rope.scaling.type is not none, linear, yarn or longrope", r.find(k("rope.scaling.type"))->value_offset);
        h.rope_scaling_type = *t;
    }
    h.n_ctx_orig_yarn = h.n_ctx_train;
    (void)detail::opt_u32(r, k("rope.scaling.original_context_length"), h.n_ctx_orig_yarn, err);

    // vocabulary: <arch>.vocab_size, else the length of tokenizer.ggml.tokens (models/llama.cpp: get_arr_n; counted only)
    if (!detail::opt_u32(r, k("vocab_size"), h.n_vocab, err)) {
        if (auto n = r.array_count("tokenizer.ggml.tokens")) h.n_vocab = static_cast<std::uint32_t>(*n);
    }

    // MLA (models/deepseek2.cpp): is_mla only when both key_length_mla and value_length_mla exist
    (void)detail::opt_u32(r, k("attention.q_lora_rank"), h.n_lora_q, err);
    (void)detail::opt_u32(r, k("attention.kv_lora_rank"), h.n_lora_kv, err);
    {
        std::uint32_t kmla = 0, vmla = 0;
        const bool has_k = detail::opt_u32(r, k("attention.key_length_mla"), kmla, err);
        const bool has_v = detail::opt_u32(r, k("attention.value_length_mla"), vmla, err);
        if (has_k && has_v) {
            h.n_embd_head_k_mla = kmla;
            h.n_embd_head_v_mla = vmla;
        }
    }

    // recurrent state (models/mamba*.cpp, rwkv*.cpp, granite-hybrid.cpp, lfm2.cpp, kimi-linear.cpp)
    (void)detail::opt_u32(r, k("ssm.conv_kernel"), h.ssm_d_conv, err);
    (void)detail::opt_u32(r, k("ssm.inner_size"), h.ssm_d_inner, err);
    (void)detail::opt_u32(r, k("ssm.state_size"), h.ssm_d_state, err);
    (void)detail::opt_u32(r, k("ssm.time_step_rank"), h.ssm_dt_rank, err);
    (void)detail::opt_u32(r, k("ssm.group_count"), h.ssm_n_group, err);
    (void)detail::opt_u32(r, k("wkv.head_size"), h.wkv_head_size, err);
    (void)detail::opt_u32(r, k("token_shift_count"), h.token_shift_count, err);  // default 2 (llama-hparams.h)
    (void)detail::opt_u32(r, k("shortconv.l_cache"), h.shortconv_l_cache, err);
    (void)detail::opt_u32(r, k("kda.head_dim"), h.n_embd_head_kda, err);
    // layers at or past n_layer_all - shared_kv_layers reuse earlier KV (models/gemma4.cpp); gemma3n fixes the first
    // layer without KV at 20 and reads no key (models/gemma3n.cpp load_arch_hparams)
    if (at.kv_from_start != 0) {
        h.n_layer_kv_from_start = at.kv_from_start;
    } else {
        std::uint32_t shared = 0;
        if (detail::opt_u32(r, k("attention.shared_kv_layers"), shared, err) && shared > 0 && shared < n_all)
            h.n_layer_kv_from_start = n_all - shared;
    }
    if (err.code != errc::ok) return err;

    // sliding-window attention
    {
        std::uint32_t window = 0;
        const bool has_window = detail::opt_u32(r, k("attention.sliding_window"), window, err);
        const kv_entry* pat = r.find(k("attention.sliding_window_pattern"));
        const swa_rule* rule = at.swa.has_rule ? &at.swa : nullptr;
        auto apply_period = [&](std::uint32_t period, bool dense_first) {
            out.swa_layers.assign(n_all, 0);
            // set_swa_pattern covers the first n_layer() layers; MTP layers are never SWA (llama-hparams.cpp)
            set_swa_pattern(std::span<std::uint8_t>(out.swa_layers.data(), h.n_layer), period, dense_first);
        };
        if (at.swa.disabled) {
            // models/phi3.cpp: SWA is disabled even when the file has a window
        } else if (rule != nullptr) {
            bool on = true;
            h.n_swa = rule->n_swa;
            if (has_window) h.n_swa = window;
            if (rule->needs_window_key) on = has_window && window > 0;
            if (rule->chunked) {  // models/llama4.cpp: window key 0 disables; otherwise chunked with n_swa 8192
                on = !(has_window && window == 0);
                h.n_swa = 8192;
                h.swa_chunked = on;
            }
            if (on) {
                // these architectures read the pattern with the scalar get_key_or_arr overload, which ignores an
                // array and keeps the default period (llama-model-loader.cpp get_key_or_arr(kid, uint32_t&))
                std::uint32_t period = rule->period;
                if (pat != nullptr && !pat->is_array()) (void)detail::opt_u32(r, pat->key, period, err);
                apply_period(period, rule->dense_first);
            } else {
                h.n_swa = 0;
            }
        } else if (pat != nullptr && has_window && window > 0) {
            // other architectures: a bool array (gemma4, granite-swa, mimo2, ...) or a u32 period
            h.n_swa = window;
            if (pat->is_array()) {
                if (pat->count != n_all && pat->count != h.n_layer) {
                    return make_error(errc::invalid_argument, "sliding_window_pattern array length differs from block_count", pat->value_offset);
                }
                if (auto e = r.get_bool_array(pat->key, out.swa_layers); e.code != errc::ok) return e;
                out.swa_layers.resize(n_all, 0);
            } else {
                std::uint32_t period = 0;
                (void)detail::opt_u32(r, pat->key, period, err);
                apply_period(period, false);
            }
        }
        if (err.code != errc::ok) return err;
        if (h.n_swa == 0) out.swa_layers.clear();
    }

    // memory kind and recurrent layers
    {
        using rule = recurrent_layer_rule;
        if (at.is_recurrent()) {
            h.memory = memory_kind::recurrent;  // every layer (recurrent_layers stays empty)
        } else if (at.is_hybrid()) {
            h.memory = memory_kind::hybrid;
            auto& rl = out.recurrent_layers;
            rl.assign(n_all, 0);
            const hparams tmp = out.view();
            const bool interval_arch = at.layers == rule::attention_interval;
            if (const kv_entry* rk = r.find(k("attention.recurrent_layers")); rk != nullptr && interval_arch) {
                // models/qwen3next.cpp etc.: explicit attention.recurrent_layers via get_key_or_arr
                std::vector<std::uint32_t> v;
                std::uint32_t sc = 0;
                const int kind = detail::key_or_arr(r, rk->key, n_all, sc, v, err);
                if (err.code != errc::ok) return err;
                for (std::uint32_t il = 0; il < n_all; ++il) rl[il] = (kind == 2 ? v[il] : sc) != 0 ? 1 : 0;
            } else if (interval_arch) {
                // full_attention_interval default 4 (qwen3next, qwen35*) or 8 (minimax-01)
                std::uint32_t interval = at.attention_interval;
                (void)detail::opt_u32(r, k("full_attention_interval"), interval, err);
                if (interval == 0) return make_error(errc::invalid_argument, "full_attention_interval is 0");
                for (std::uint32_t il = 0; il < h.n_layer; ++il) rl[il] = (il + 1) % interval != 0 ? 1 : 0;
            } else if (at.layers == rule::all_with_attention) {
                rl.assign(n_all, 1);  // models/falcon-h1.cpp: every layer keeps recurrent state (and attention)
            } else if (at.layers == rule::no_kv_heads_no_ffn) {
                // models/nemotron-h.cpp: recurrent iff no KV heads and no FFN
                for (std::uint32_t il = 0; il < h.n_layer; ++il)
                    rl[il] = tmp.head_count_kv(il) == 0 && tmp.ff_length(il) == 0 ? 1 : 0;
            } else {
                // models/granite-hybrid.cpp, jamba.cpp, lfm2.cpp, ...: "a layer is recurrent IFF n_head_kv is 0"
                for (std::uint32_t il = 0; il < n_all; ++il) rl[il] = tmp.head_count_kv(il) == 0 ? 1 : 0;
            }
        }
        if (err.code != errc::ok) return err;
    }
    return out;
}

}  // namespace llamaplan::gguf

#endif  // LLAMAPLAN_GGUF_HPARAMS_HPP
