// The model catalog against llama-bench's published sizes (tests/data/public/models.csv, a copy of
// shared/public/models.csv), and the per-tensor types of llama-quantize worked out by hand from src/llama-quant.cpp.
#include <llamaplan/catalog.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

using namespace llamaplan;

namespace {
std::vector<std::string> split(const std::string& line) {
    std::vector<std::string> out(1);
    bool q = false;
    for (char c : line) {
        if (c == '"') q = !q;
        else if (c == ',' && !q) out.emplace_back();
        else out.back() += c;
    }
    return out;
}

/// The type quantized_type gives tensor `local` of block `layer` (-1: global) when the whole model is walked.
std::optional<ggml_type> type_of(std::string_view spec, std::int32_t layer, std::string_view local) {
    auto ref = find_catalog_model(spec);
    if (!ref) return std::nullopt;
    quantize_state qs = make_quantize_state(*ref->entry);
    std::optional<ggml_type> found;
    for_each_catalog_tensor(*ref->entry, [&](const catalog_tensor& t) {
        const ggml_type ty = quantized_type(*ref->entry, ref->quant, t, qs);
        if (t.layer == layer && t.local == local) found = ty;
    });
    return found;
}

/// The catalog name of a models.csv `model` value ("" when the catalog has no such model).
std::string catalog_name(const std::string& m) {
    if (m == "Llama-2-7B") return "llama-2-7b";
    if (m == "Llama-2-13B") return "llama-2-13b";
    if (m == "Llama-2-70B") return "llama-2-70b";
    if (m == "Meta-Llama-3-8B") return "llama-3-8b";
    if (m == "Meta-Llama-3-70B") return "llama-3-70b";
    if (m == "LLaMA-3.1-8B-Instruct") return "llama-3.1-8b";
    if (m.rfind("Qwen3-30B-A3B", 0) == 0) return "qwen3-30b-a3b";
    if (m == "gpt-oss-20b") return "gpt-oss-20b";
    if (m == "gpt-oss-120b") return "gpt-oss-120b";
    if (m == "DeepSeek-Coder-V2-Lite-Base") return "deepseek-coder-v2-lite";
    if (m == "DeepSeek-R1") return "deepseek-r1";
    return {};
}
}  // namespace

TEST_CASE("catalog sizes and parameter counts match llama-bench within 0.5 %") {
    std::ifstream f(std::string(LLAMAPLAN_TEST_DATA) + "/public/models.csv");
    REQUIRE(f);
    std::string line;
    int header = 0, params_checked = 0, sizes_checked = 0;
    while (std::getline(f, line)) {
        if (line.empty() || line[0] == '#') continue;
        if (header++ == 0) continue;
        const auto v = split(line);
        REQUIRE(v.size() >= 4);
        const std::string name = catalog_name(v[0]);
        if (name.empty()) continue;  // Qwen3.6-35B-A3B (qwen35moe): not in the catalog
        std::string quant = v[1].substr(0, v[1].find(' '));
        const double gib = std::stod(v[2]), params_b = std::stod(v[3]);
        auto f16 = find_catalog_model(name + ":F16");
        REQUIRE(f16);
        const auto p = catalog_model_size(*f16->entry, quant_scheme::f16);
        CAPTURE(v[0]);
        CAPTURE(v[1]);
        CHECK(std::fabs(double(p.params) / 1e9 / params_b - 1.0) <= 0.005);
        ++params_checked;
        // sizes: only files made by mainline llama-quantize without an imatrix and with the stock recipe. Left out:
        // IQ4_XS (ik_llama.cpp's quantizer, 1 % smaller), the K-quant "Small" / Q3_K_M / IQ4_NL / IQ2-3 mixes (schemes
        // the catalog does not offer), Qwen3-30B-A3B Q6_K (a third-party file, 5 % larger than the stock recipe),
        // DeepSeek-Coder-V2-Lite "Q6_K_L" (Q8_0 embeddings) and DeepSeek-R1 "Q8_0" (307 GiB: a lower-bit mix).
        auto ref = find_catalog_model(name + ":" + quant);
        const bool stock = ref && quant != "IQ4_XS" && name != "qwen3-30b-a3b" && name != "deepseek-coder-v2-lite" &&
                           name != "deepseek-r1";
        if (!stock) continue;
        const auto s = catalog_model_size(*ref->entry, ref->quant);
        CHECK(std::fabs(double(s.bytes) / double(1ull << 30) / gib - 1.0) <= 0.005);
        ++sizes_checked;
    }
    CHECK(params_checked == 28);
    CHECK(sizes_checked == 18);
}

TEST_CASE("Q4_K_M keeps attn_v and ffn_down in Q6_K on use_more_bits layers, the output in Q6_K") {
    // llama_tensor_get_type_impl: use_more_bits(i, n) = i < n/8 || i >= 7n/8 || (i - n/8) % 3 == 2; n = 32 -> 0..3,
    // 6, 9, ..., 27 and 28..31 get Q6_K
    CHECK(type_of("llama-3-8b:Q4_K_M", -1, "output.weight") == ggml_type::q6_k);
    CHECK(type_of("llama-3-8b:Q4_K_M", -1, "token_embd.weight") == ggml_type::q4_k);
    CHECK(type_of("llama-3-8b:Q4_K_M", 0, "attn_v.weight") == ggml_type::q6_k);
    CHECK(type_of("llama-3-8b:Q4_K_M", 4, "attn_v.weight") == ggml_type::q4_k);
    CHECK(type_of("llama-3-8b:Q4_K_M", 6, "attn_v.weight") == ggml_type::q6_k);
    CHECK(type_of("llama-3-8b:Q4_K_M", 7, "ffn_down.weight") == ggml_type::q4_k);
    CHECK(type_of("llama-3-8b:Q4_K_M", 9, "ffn_down.weight") == ggml_type::q6_k);
    CHECK(type_of("llama-3-8b:Q4_K_M", 28, "ffn_down.weight") == ggml_type::q6_k);
    CHECK(type_of("llama-3-8b:Q4_K_M", 5, "attn_q.weight") == ggml_type::q4_k);
    CHECK(type_of("llama-3-8b:Q4_K_M", 5, "ffn_up.weight") == ggml_type::q4_k);
    CHECK(type_of("llama-3-8b:Q4_K_M", 5, "attn_norm.weight") == ggml_type::f32);
    // LLM_TYPE_70B: attn_v Q4_K -> Q5_K
    CHECK(type_of("llama-3-70b:Q4_K_M", 11, "attn_v.weight") == ggml_type::q5_k);
    // tied embeddings take the output's type (gemma3)
    CHECK(type_of("gemma-3-4b:Q4_K_M", -1, "token_embd.weight") == ggml_type::q6_k);
    // experts: the block comes from the name; 48 blocks -> 0..5 more bits
    CHECK(type_of("qwen3-30b-a3b:Q4_K_M", 5, "ffn_down_exps.weight") == ggml_type::q6_k);
    CHECK(type_of("qwen3-30b-a3b:Q4_K_M", 6, "ffn_down_exps.weight") == ggml_type::q4_k);
    CHECK(type_of("qwen3-30b-a3b:Q4_K_M", 6, "ffn_gate_inp.weight") == ggml_type::f32);
}

TEST_CASE("other schemes and the row-length fallback") {
    // gpt-oss rows of 2880 are not a multiple of 256: Q4_K falls back to Q5_0, Q6_K to Q8_0 (tensor_type_fallback)
    CHECK(type_of("gpt-oss-20b:Q4_K_M", 3, "attn_q.weight") == ggml_type::q5_0);
    CHECK(type_of("gpt-oss-20b:Q4_K_M", -1, "output.weight") == ggml_type::q8_0);
    // MXFP4_MOE: 3-D expert tensors MXFP4, everything else Q8_0
    CHECK(type_of("gpt-oss-120b:MXFP4", 3, "ffn_up_exps.weight") == ggml_type::mxfp4);
    CHECK(type_of("gpt-oss-120b:MXFP4", 3, "attn_k.weight") == ggml_type::q8_0);
    CHECK(type_of("gpt-oss-120b:MXFP4", -1, "token_embd.weight") == ggml_type::q8_0);
    CHECK(type_of("gpt-oss-120b:MXFP4", 3, "ffn_up_exps.bias") == ggml_type::f32);
    // IQ4_XS without an imatrix: attn_v Q5_K when n_gqa >= 4, ffn_down Q5_K in the first n/8 blocks
    CHECK(type_of("llama-3-8b:IQ4_XS", 10, "attn_v.weight") == ggml_type::q5_k);
    CHECK(type_of("llama-3-8b:IQ4_XS", 3, "ffn_down.weight") == ggml_type::q5_k);
    CHECK(type_of("llama-3-8b:IQ4_XS", 4, "ffn_down.weight") == ggml_type::iq4_xs);
    CHECK(type_of("llama-2-7b:Q8_0", -1, "output.weight") == ggml_type::q8_0);
    CHECK(type_of("llama-2-7b:Q4_0", -1, "output.weight") == ggml_type::q6_k);
    CHECK(type_of("llama-2-7b:F16", 0, "attn_q.weight") == ggml_type::f16);
    // MLA: attn_kv_b counts as attn_v (category_is_attn_v); k_b rows of 128 fall back from Q4_K to Q5_0
    CHECK(type_of("deepseek-v3:Q4_K_M", 0, "attn_kv_b.weight") == ggml_type::q6_k);
    CHECK(type_of("deepseek-v3:Q4_K_M", 0, "attn_k_b.weight") == ggml_type::q5_0);
}

TEST_CASE("catalog names: aliases, case, errors") {
    // Llama 3.1 is its own entry: the same shape as Llama 3, trained to 131072 tokens (was an alias of llama-3-8b)
    CHECK(find_catalog_model("Llama-3.1-8B:q4_k_m")->entry->name == "llama-3.1-8b");
    CHECK(find_catalog_model("llama-3.1-8b:q4_k_m")->entry->n_ctx_train == 131072);
    CHECK(find_catalog_model("llama-3-8b:q4_k_m")->entry->n_ctx_train == 8192);
    CHECK(find_catalog_model("DeepSeek-R1:Q8_0")->entry->name == "deepseek-v3");
    CHECK(find_catalog_model("qwen3-30b-a3b:Q4_K_M")->quant == quant_scheme::q4_k_m);
    CHECK(find_catalog_model("gpt-oss-120b:mxfp4")->quant == quant_scheme::mxfp4_moe);
    CHECK(find_catalog_model("llama-2-7b:MXFP4").error().code == errc::invalid_argument);  // dense: no MXFP4_MOE
    CHECK(find_catalog_model("llama-2-7b:Q9_9").error().code == errc::invalid_argument);
    CHECK(find_catalog_model("llama-9-7b:Q4_0").error().code == errc::not_found);
    CHECK(find_catalog_model("llama-2-7b").error().code == errc::invalid_argument);
    CHECK(looks_like_catalog_ref("qwen3-8b:Q8_0"));
    CHECK_FALSE(looks_like_catalog_ref("models/qwen3-8b.gguf"));
    CHECK_FALSE(looks_like_catalog_ref("./a:Q8_0"));
    CHECK_FALSE(looks_like_catalog_ref("C:model.gguf"));
    static_assert(catalog_model_size(catalog_table[0], quant_scheme::q4_0).params == 6738415616ull);
}
