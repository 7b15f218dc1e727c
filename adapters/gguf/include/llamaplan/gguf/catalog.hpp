// SPDX-License-Identifier: MIT
// Turns a catalog entry (llamaplan/catalog.hpp) into an owned model: a header-only GGUF with the keys a converted
// file carries and the tensor types llama-quantize chooses, opened like any file (so `inspect` and `estimate`
// treat `NAME:QUANT` exactly as a downloaded GGUF).
#ifndef LLAMAPLAN_GGUF_CATALOG_HPP
#define LLAMAPLAN_GGUF_CATALOG_HPP

#include <llamaplan/config.hpp>

#include <llamaplan/catalog.hpp>
#include <llamaplan/gguf/file.hpp>
#include <llamaplan/gguf/writer.hpp>

#include <string>
#include <vector>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::gguf {

/// llama_ftype value written as general.file_type (include/llama.h enum llama_ftype).
[[nodiscard]] constexpr std::uint32_t catalog_file_type(quant_scheme q) noexcept {
    switch (q) {
        case quant_scheme::f16: return 1;
        case quant_scheme::q4_0: return 2;
        case quant_scheme::q8_0: return 7;
        case quant_scheme::q5_0: return 8;
        case quant_scheme::q4_k_m: return 15;
        case quant_scheme::q5_k_m: return 17;
        case quant_scheme::q6_k: return 18;
        case quant_scheme::iq4_xs: return 30;
        case quant_scheme::bf16: return 32;
        case quant_scheme::mxfp4_moe: return 38;
    }
    return 1;
}

/// The GGUF header of a catalog model: hyper-parameter keys as convert_hf_to_gguf.py writes them (src/llama-arch.cpp
/// LLM_KV_NAMES) and every tensor with the type quantized_type() gives it.
[[nodiscard]] inline writer catalog_writer(const catalog_entry& e, quant_scheme q) {
    writer w;
    const std::string a = std::string(e.arch) + ".";
    w.set_string("general.architecture", e.arch);
    w.set_string("general.name", std::string(e.name) + ":" + std::string(to_string(q)));
    w.set_u32("general.file_type", catalog_file_type(q));
    w.set_u32(a + "block_count", e.n_layer + e.n_nextn);
    w.set_u32(a + "context_length", e.n_ctx_train);
    w.set_u32(a + "embedding_length", e.n_embd);
    w.set_u32(a + "feed_forward_length", e.n_ff);
    w.set_u32(a + "vocab_size", e.n_vocab);
    w.set_u32(a + "attention.head_count", e.n_head);
    w.set_f32(a + "attention.layer_norm_rms_epsilon", 1e-6f);
    w.set_f32(a + "rope.freq_base", e.rope_base);
    if (e.layout == catalog_layout::deepseek2) {
        // MLA as current conversions write it: one KV head of kv_lora + rope, V of kv_lora (models/deepseek2.cpp)
        w.set_u32(a + "attention.head_count_kv", 1);
        w.set_u32(a + "attention.key_length", e.kv_lora + 64);
        w.set_u32(a + "attention.value_length", e.kv_lora);
        w.set_u32(a + "attention.key_length_mla", 192);
        w.set_u32(a + "attention.value_length_mla", 128);
        if (e.q_lora) w.set_u32(a + "attention.q_lora_rank", e.q_lora);
        w.set_u32(a + "attention.kv_lora_rank", e.kv_lora);
        w.set_u32(a + "rope.dimension_count", 64);
    } else {
        w.set_u32(a + "attention.head_count_kv", e.n_head_kv);
        if (e.head_dim) {
            w.set_u32(a + "attention.key_length", e.head_dim);
            w.set_u32(a + "attention.value_length", e.head_dim);
        }
    }
    if (e.n_expert) {
        w.set_u32(a + "expert_count", e.n_expert);
        w.set_u32(a + "expert_used_count", e.n_expert_used);
        w.set_u32(a + "expert_feed_forward_length", e.n_ff_exp);
        if (e.n_expert_shared) w.set_u32(a + "expert_shared_count", e.n_expert_shared);
        if (e.n_dense_lead) w.set_u32(a + "leading_dense_block_count", e.n_dense_lead);
    }
    if (e.n_swa) w.set_u32(a + "attention.sliding_window", e.n_swa);
    if (e.n_nextn) w.set_u32(a + "nextn_predict_layers", e.n_nextn);

    quantize_state qs = make_quantize_state(e);
    for_each_catalog_tensor(e, [&](const catalog_tensor& t) {
        std::string name = t.layer >= 0 ? "blk." + std::to_string(t.layer) + "." : std::string();
        name += t.local;
        std::vector<std::uint64_t> shape(t.ne.begin(), t.ne.begin() + t.n_dims);
        w.add_tensor(name, quantized_type(e, q, t, qs), std::move(shape));
    });
    return w;
}

/// Builds the model named by `ref` as an opened, header-only model file (no tensor data).
[[nodiscard]] inline result<model_file> open_catalog(const catalog_ref& ref) {
    if (ref.entry == nullptr) return make_error(errc::invalid_argument, "no catalog entry");
    const writer w = catalog_writer(*ref.entry, ref.quant);
    return open_memory(w.bytes(data_fill::header_only),
                       std::string(ref.entry->name) + ":" + std::string(to_string(ref.quant)));
}

/// Builds the model named `NAME:QUANT` (see find_catalog_model).
[[nodiscard]] inline result<model_file> open_catalog(std::string_view spec) {
    auto ref = find_catalog_model(spec);
    if (!ref) return ref.error();
    return open_catalog(*ref);
}

}  // namespace llamaplan::gguf

#endif  // LLAMAPLAN_GGUF_CATALOG_HPP
