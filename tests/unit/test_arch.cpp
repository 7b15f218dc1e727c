// SPDX-License-Identifier: MIT
// The architecture table (include/llamaplan/arch.hpp) against llama.cpp's own lists: src/llama-arch.cpp
// llm_arch_is_recurrent / llm_arch_is_hybrid and the per-architecture rules in src/models/*.cpp.
#include <llamaplan/arch.hpp>

#include <doctest/doctest.h>

#include <array>
#include <string_view>

using namespace llamaplan;

// llm_arch_is_recurrent at llama.cpp 3f545bec, name by name, resolved at compile time
constexpr bool recurrent(std::string_view n) { return traits(resolve_arch(arch::unknown, n)).is_recurrent(); }
static_assert(recurrent("mamba") && recurrent("mamba2") && recurrent("rwkv6") && recurrent("rwkv6qwen2") &&
              recurrent("rwkv7") && recurrent("arwkv7"));
static_assert(!recurrent("llama") && !traits(arch::llama).is_hybrid());

TEST_CASE("every hybrid llama.cpp lists is a hybrid here, and nothing else is") {
    constexpr std::array<std::string_view, 16> hybrids = {
        "jamba", "falcon-h1", "plamo2", "granitehybrid", "lfm2", "lfm2moe", "nemotron_h", "nemotron_h_moe",
        "qwen3next", "kimi-linear", "bailingmoe3", "kimi-k3", "qwen35", "qwen35moe", "deepseek4", "minimax-01"};
    for (auto h : hybrids) {
        const arch_traits* t = find_arch(h);
        REQUIRE_MESSAGE(t != nullptr, h);
        CHECK_MESSAGE(t->is_hybrid(), h);
        CHECK_FALSE(t->is_recurrent());
    }
    std::size_t n_hybrid = 0;
    for (const auto& t : arch_table) n_hybrid += t.is_hybrid() ? 1 : 0;
    CHECK(n_hybrid == hybrids.size());
}

TEST_CASE("architecture traits: graphs, SWA defaults, fused tensors, MoE gating") {
    CHECK(find_arch("deepseek2")->graph == graph_family::mla);
    CHECK(find_arch("deepseek2")->attention == attention_kind::mla);
    CHECK(find_arch("granitehybrid")->graph == graph_family::mamba_hybrid);
    CHECK(find_arch("mamba")->graph == graph_family::mamba_hybrid);
    CHECK(find_arch("mamba")->recurrent == recurrent_kind::mamba1);
    CHECK(find_arch("rwkv6")->graph == graph_family::rwkv);
    CHECK(find_arch("rwkv7")->graph == graph_family::rwkv);
    CHECK(find_arch("rwkv7")->recurrent == recurrent_kind::rwkv7);
    // the same graph with RMS norms and a Qwen2 FFN instead of the channel mix
    CHECK(find_arch("rwkv6qwen2")->graph == graph_family::rwkv);
    CHECK(find_arch("arwkv7")->graph == graph_family::rwkv);
    CHECK(find_arch("arwkv7")->rwkv_qwen2_ffn);
    CHECK_FALSE(find_arch("rwkv7")->rwkv_qwen2_ffn);
    CHECK(find_arch("mamba")->attention == attention_kind::none);
    // models/gemma2.cpp: window 4096, period 2; gemma3: needs the window key, period 6; llama4: chunked 8192
    CHECK(find_arch("gemma2")->swa.period == 2);
    CHECK(find_arch("gemma2")->swa.n_swa == 4096);
    CHECK(find_arch("gemma3")->swa.needs_window_key);
    CHECK(find_arch("llama4")->swa.chunked);
    CHECK(find_arch("cohere2moe")->swa.dense_first);
    CHECK(find_arch("phi3")->swa.disabled);
    CHECK(find_arch("phi3")->fused_qkv);
    CHECK(find_arch("phi3")->fused_gate_up);
    CHECK(find_arch("qwen3moe")->moe_norm_weights);
    CHECK(find_arch("qwen3next")->attention_interval == 4);
    CHECK(find_arch("qwen3next")->graph == graph_family::delta_net);  // models/qwen3next.cpp
    CHECK(find_arch("qwen3next")->gating == moe_gating::softmax);
    CHECK(find_arch("qwen3next")->moe_norm_weights);
    CHECK(find_arch("qwen3next")->gdn_repeat_when_fused);
    CHECK_FALSE(find_arch("qwen3next")->gdn_split_beta_alpha);
    CHECK(find_arch("qwen3next")->pos_per_embd == 1);
    // models/qwen35.cpp, qwen35moe.cpp: the delta-net graph with ssm_beta / ssm_alpha and IMRoPE (llama-model.cpp)
    for (const char* name : {"qwen35", "qwen35moe"}) {
        CHECK(find_arch(name)->graph == graph_family::delta_net);
        CHECK(find_arch(name)->gdn_split_beta_alpha);
        CHECK_FALSE(find_arch(name)->gdn_repeat_when_fused);
        CHECK(find_arch(name)->pos_per_embd == 4);
    }
    CHECK(find_arch("qwen35")->gating == moe_gating::none);
    CHECK(find_arch("qwen35moe")->gating == moe_gating::softmax);
    CHECK(find_arch("minimax-01")->attention_interval == 8);
    CHECK(find_arch("falcon-h1")->layers == recurrent_layer_rule::all_with_attention);
    CHECK(find_arch("nemotron_h")->layers == recurrent_layer_rule::no_kv_heads_no_ffn);
    CHECK(find_arch("nemotron_h")->graph == graph_family::mamba_hybrid);
    CHECK(find_arch("falcon-h1")->graph == graph_family::mamba_hybrid);
    CHECK(find_arch("gemma3n")->kv_sharing);
    CHECK(find_arch("gemma3n")->kv_from_start == 20);  // models/gemma3n.cpp load_arch_hparams
    CHECK(find_arch("gemma3n")->graph == graph_family::gemma3n);
    // names are unique, every id has one row, and unknown names / the empty name have none
    for (std::size_t i = 0; i < arch_table.size(); ++i)
        for (std::size_t j = i + 1; j < arch_table.size(); ++j) {
            CHECK(arch_table[i].id != arch_table[j].id);
            if (!arch_table[i].name.empty()) CHECK(arch_table[i].name != arch_table[j].name);
        }
    CHECK(find_arch("some-new-arch") == nullptr);
    CHECK(find_arch("") == nullptr);
    CHECK(traits(arch::phi3).name == "phi3");
    CHECK(resolve_arch(arch::unknown, "qwen2") == arch::qwen2);
    CHECK(resolve_arch(arch::generic, "qwen2") == arch::generic);
    CHECK(resolve_arch(arch::unknown, "") == arch::unknown);
}
