// A graph replay that skips repeated blocks once the allocator reaches a steady state (compute/allocator.hpp
// block_skipper, used by mla_graph and decoder_graph) must give what replaying every block gives: every field of the
// breakdown, on deep MLA models shaped like DeepSeek-V3 / Kimi-K2 (61 blocks, a dense lead, one shared expert) and
// variants, and on the measured decoder models of tests/data/extra made 12 and 30 blocks deep (dense, MoE, SWA,
// iSWA, biases, fused QKV, sinks), over one grid of reserve shapes (compare_on_grid).
#include <doctest/doctest.h>

#include "../support/synth_model.hpp"
#include "extra_models.hpp"

#include <llamaplan/compute.hpp>

#include <cstdint>
#include <string>

namespace {

llamaplan::gguf::synth_spec deep_mla(std::uint32_t layers, std::uint32_t dense_lead, std::uint32_t shared, std::uint32_t q_lora) {
    llamaplan::gguf::synth_spec s;
    s.arch = "deepseek2";
    s.n_layer = layers;
    s.n_embd = 1024;
    s.n_head = 16;
    s.n_head_kv = 1;
    s.n_ff = 2816;
    s.q_lora_rank = q_lora;
    s.kv_lora_rank = 256;
    s.rope_dim = 64;
    s.key_length_mla = 192;
    s.value_length_mla = 128;
    s.head_dim = 320;
    s.n_expert = 64;
    s.n_expert_used = 6;
    s.n_ff_exp = 512;
    s.n_expert_shared = shared;
    s.n_layer_dense_lead = dense_lead;
    s.n_vocab = 32000;
    s.n_ctx = 131072;
    s.tokenizer = false;
    s.weight_type = llamaplan::ggml_type::q8_0;
    return s;
}

bool same(const llamaplan::compute_breakdown& a, const llamaplan::compute_breakdown& b) {
    return a.total == b.total && a.inputs == b.inputs && a.kq_mask == b.kq_mask && a.attn_scores == b.attn_scores &&
           a.ffn_hidden == b.ffn_hidden && a.logits == b.logits && a.peak_layer == b.peak_layer && a.graph == b.graph &&
           a.status == b.status && a.ok == b.ok;
}

/// Replays `graph(shape, skip)` with and without skipping over a grid of reserve shapes -- flash attention on / off,
/// 256 to 131072 cells, ubatches of 1 to 2048 tokens, 1 or 3 slots with a stream each, f16 or q8_0 KV (quantized
/// only with flash attention) -- and checks that every figure agrees. Returns the shapes compared.
template <class Graph>
std::size_t compare_on_grid(Graph&& graph) {
    using llamaplan::ggml_type;
    std::size_t compared = 0;
    for (const bool fa : {true, false})
        for (const std::uint32_t n_kv : {256u, 8192u, 131072u})
            for (const std::uint32_t ub : {1u, 512u, 2048u})
                for (const std::uint32_t seqs : {1u, 3u})
                    for (const ggml_type kv : {ggml_type::f16, ggml_type::q8_0}) {
                        if (kv != ggml_type::f16 && !fa) continue;  // a quantized V cache needs flash attention
                        llamaplan::compute_shape s;
                        s.n_tokens = ub < n_kv ? ub : n_kv;
                        s.n_seqs = s.n_outputs = s.n_stream = seqs;
                        s.n_kv = n_kv;
                        s.n_kv_swa = n_kv < 1024 ? n_kv : 1024;
                        s.flash_attn = fa;
                        s.type_k = s.type_v = kv;
                        const auto skipped = graph(s, true);
                        const auto full = graph(s, false);
                        CAPTURE(fa);
                        CAPTURE(n_kv);
                        CAPTURE(ub);
                        CAPTURE(seqs);
                        CHECK(full.ok);
                        CHECK(full.total > 0);
                        CHECK(same(skipped, full));
                        ++compared;
                    }
    return compared;
}

}  // namespace

TEST_CASE("MLA graph: skipping blocks in a steady state gives the full replay's figures") {
    std::size_t compared = 0;
    for (const auto& spec : {deep_mla(61, 1, 1, 384), deep_mla(61, 3, 1, 384), deep_mla(27, 1, 2, 0), deep_mla(8, 1, 1, 384)}) {
        const auto sm = test_support::load_synth(spec);
        REQUIRE(sm != nullptr);
        const llamaplan::model m = sm->view();
        CAPTURE(spec.n_layer);
        compared += compare_on_grid([&](const llamaplan::compute_shape& s, bool skip) { return llamaplan::detail::compute::mla_graph(m, s, skip); });
    }
    CHECK(compared == 4 * 54);
}

TEST_CASE("decoder graph: skipping blocks in a steady state gives the full replay's figures") {
    std::size_t compared = 0, models = 0;
    for (const auto& d : extra::models())
        for (const std::uint32_t layers : {12u, 30u}) {
            if (!d.quantized_from.empty()) continue;
            auto spec = d.spec;
            spec.n_layer = layers;
            const auto sm = test_support::load_synth(spec);
            if (sm == nullptr) continue;  // a shape that does not stretch to this depth (per-layer arrays)
            const llamaplan::model m = sm->view();
            const auto at = llamaplan::traits(llamaplan::arch_of(m.hp));
            if (at.graph != llamaplan::graph_family::decoder || m.hp.is_mla()) continue;
            ++models;
            CAPTURE(d.id);
            CAPTURE(layers);
            compared += compare_on_grid([&](const llamaplan::compute_shape& s, bool skip) { return llamaplan::detail::compute::decoder_graph(m, s, at, skip); });
        }
    MESSAGE("decoder models x depths compared: " << models << ", shapes: " << compared);
    CHECK(models >= 20);
    CHECK(compared == models * 54);
}
