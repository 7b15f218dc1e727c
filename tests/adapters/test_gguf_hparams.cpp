// Hyper-parameter extraction per architecture, through writer-made GGUF headers.
#include <doctest/doctest.h>

#include <llamaplan/gguf/hparams.hpp>
#include <llamaplan/gguf/reader.hpp>
#include <llamaplan/gguf/writer.hpp>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

using namespace llamaplan;
using namespace llamaplan::gguf;

namespace {
/// Keeps the bytes alive alongside the parsed header and hparams.
struct parsed {
    std::vector<std::byte> bytes;
    reader r;
    model_hparams mh;
    hparams h;
};

parsed load(const writer& w) {
    parsed p;
    p.bytes = w.bytes(data_fill::header_only);
    auto r = reader::parse(p.bytes);
    REQUIRE(r.has_value());
    p.r = std::move(*r);
    auto mh = extract_hparams(p.r);
    if (!mh) FAIL("extract_hparams failed: " << mh.error().what);
    p.mh = std::move(*mh);
    p.h = p.mh.view();
    return p;
}

result<model_hparams> try_load(const writer& w, std::vector<std::byte>& keep, reader& r) {
    keep = w.bytes(data_fill::header_only);
    auto pr = reader::parse(keep);
    REQUIRE(pr.has_value());
    r = std::move(*pr);
    return extract_hparams(r);
}

std::vector<std::uint8_t> swa_of(const hparams& h) {
    std::vector<std::uint8_t> v;
    for (std::uint32_t il = 0; il < h.n_layer; ++il) v.push_back(h.is_swa(il) ? 1 : 0);
    return v;
}
}  // namespace

TEST_CASE("gguf hparams: llama (and mistral, which uses the llama architecture)") {
    synth_spec s;
    s.arch = "llama";
    s.n_layer = 4;
    s.n_embd = 256;
    s.n_head = 8;
    s.n_head_kv = 2;
    s.n_ff = 512;
    s.n_vocab = 1000;
    s.n_ctx = 8192;
    auto p = load(synthesize(s));
    const hparams& h = p.h;
    CHECK(h.architecture == "llama");
    CHECK(h.memory == memory_kind::attention);
    CHECK(h.n_layer == 4);
    CHECK(h.n_embd == 256);
    CHECK(h.n_head == 8);
    CHECK(h.n_head_kv == 2);
    CHECK(h.n_ff == 512);
    CHECK(h.n_vocab == 1000);  // from the token list length
    CHECK(h.n_ctx_train == 8192);
    CHECK(h.n_ctx_orig_yarn == 8192);
    CHECK(h.n_embd_head_k == 32);  // n_embd / n_head default
    CHECK(h.n_embd_head_v == 32);
    CHECK(h.n_embd_k_gqa(0) == 64);
    CHECK(h.n_swa == 0);
    CHECK_FALSE(h.is_swa(0));
    CHECK(h.rope_freq_base == 1000000.0f);
    CHECK(h.n_head_arr.empty());
    CHECK(h.n_head_kv_arr.empty());
    CHECK(h.has_kv(3));
    CHECK_FALSE(h.is_mla());
}

TEST_CASE("gguf hparams: vocab_size wins over the token list; defaults without optional keys") {
    synth_spec s;
    s.n_vocab = 300;
    s.write_vocab_size = true;
    writer w = synthesize(s);
    w.set_u32("llama.vocab_size", 320);
    w.remove("llama.rope.freq_base");
    auto p = load(w);
    CHECK(p.h.n_vocab == 320);
    CHECK(p.h.rope_freq_base == 10000.0f);
    w.remove("llama.vocab_size").remove("tokenizer.ggml.tokens");
    auto q = load(w);
    CHECK(q.h.n_vocab == 0);
}

TEST_CASE("gguf hparams: qwen2, qwen3 and command-r take the generic keys") {
    for (const char* arch : {"qwen2", "qwen3", "command-r"}) {
        CAPTURE(arch);
        synth_spec s;
        s.arch = arch;
        s.n_layer = 3;
        s.n_embd = 128;
        s.n_head = 16;
        s.n_head_kv = 8;
        s.head_dim = 128;  // qwen3 writes key_length larger than n_embd / n_head
        s.qk_norm = true;
        auto p = load(synthesize(s));
        CHECK(p.h.architecture == arch);
        CHECK(p.h.id == (llamaplan::find_arch(arch) != nullptr ? llamaplan::find_arch(arch)->id : llamaplan::arch::generic));
        CHECK(p.h.n_embd_head_k == 128);
        CHECK(p.h.n_embd_head_v == 128);
        CHECK(p.h.n_embd_k_gqa(2) == 1024);
        CHECK(p.h.n_swa == 0);
        CHECK(p.h.memory == memory_kind::attention);
    }
}

TEST_CASE("gguf hparams: qwen3moe experts") {
    synth_spec s;
    s.arch = "qwen3moe";
    s.n_layer = 2;
    s.n_embd = 128;
    s.n_expert = 8;
    s.n_expert_used = 2;
    s.n_ff_exp = 64;
    auto p = load(synthesize(s));
    CHECK(p.h.n_expert == 8);
    CHECK(p.h.n_expert_used == 2);
    CHECK(p.h.n_ff_exp == 64);
    CHECK(p.h.n_expert_shared == 0);
}

TEST_CASE("gguf hparams: gemma2 defaults to window 4096 and period 2") {
    synth_spec s;
    s.arch = "gemma2";
    s.n_layer = 6;
    auto p = load(synthesize(s));
    CHECK(p.h.n_swa == 4096);
    CHECK(swa_of(p.h) == std::vector<std::uint8_t>{1, 0, 1, 0, 1, 0});
    s.n_swa = 1024;
    auto q = load(synthesize(s));
    CHECK(q.h.n_swa == 1024);
}

TEST_CASE("gguf hparams: gemma3 period 6 only with a sliding window") {
    synth_spec s;
    s.arch = "gemma3";
    s.n_layer = 13;
    s.n_swa = 512;
    auto p = load(synthesize(s));
    CHECK(p.h.n_swa == 512);
    CHECK(swa_of(p.h) == std::vector<std::uint8_t>{1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1});
    CHECK(p.h.is_swa(0));
    CHECK_FALSE(p.h.is_swa(5));
    s.swa_period = 3;
    auto q = load(synthesize(s));
    CHECK(swa_of(q.h) == std::vector<std::uint8_t>{1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1});
    // a bool-array pattern is ignored by gemma3's scalar read: the default period stays
    s.swa_period = 0;
    s.swa_pattern = std::vector<std::uint8_t>(13, 1);
    auto a = load(synthesize(s));
    CHECK(swa_of(a.h) == swa_of(p.h));
    s.swa_pattern.clear();
    s.n_swa = 0;
    auto r = load(synthesize(s));
    CHECK(r.h.n_swa == 0);
    CHECK_FALSE(r.h.is_swa(0));
}

TEST_CASE("gguf hparams: gpt-oss (arch name gpt-oss) alternates SWA with period 2") {
    synth_spec s;
    s.arch = "gpt-oss";
    s.n_layer = 4;
    s.n_swa = 128;
    s.n_expert = 32;
    s.n_expert_used = 4;
    s.n_ff_exp = 64;
    auto p = load(synthesize(s));
    CHECK(p.h.n_swa == 128);
    CHECK(swa_of(p.h) == std::vector<std::uint8_t>{1, 0, 1, 0});
    CHECK(p.h.n_expert == 32);
}

TEST_CASE("gguf writer: a gpt-oss block has the tensors models/openai-moe.cpp load_arch_tensors asks for") {
    synth_spec s;
    s.arch = "gpt-oss";
    s.n_layer = 2;
    s.n_embd = 64;
    s.n_head = 4;
    s.n_head_kv = 2;
    s.head_dim = 16;
    s.attn_bias = true;
    s.gpt_oss = true;
    s.n_expert = 8;
    s.n_expert_used = 2;
    s.n_ff_exp = 32;
    s.n_swa = 128;
    std::vector<std::pair<std::string, std::vector<std::uint64_t>>> got;
    const auto w = synthesize(s);  // tensors() is a view into the writer
    for (const auto& t : w.tensors())
        if (t.name.rfind("blk.1.", 0) == 0) got.emplace_back(t.name.substr(6), t.shape);
    std::sort(got.begin(), got.end());
    // load_arch_tensors: attn_norm, attn_post_norm, Q/K/V (create_tensor_qkv, biases optional), wo, attn_sinks
    // {n_head}, router and experts, wo_b, and the router and expert biases; no ffn_norm
    const std::vector<std::pair<std::string, std::vector<std::uint64_t>>> want = {
        {"attn_k.bias", {32}}, {"attn_k.weight", {64, 32}}, {"attn_norm.weight", {64}}, {"attn_output.bias", {64}},
        {"attn_output.weight", {64, 64}}, {"attn_q.bias", {64}}, {"attn_q.weight", {64, 64}},
        {"attn_sinks.weight", {4}}, {"attn_v.bias", {32}}, {"attn_v.weight", {64, 32}},
        {"ffn_down_exps.bias", {64, 8}}, {"ffn_down_exps.weight", {32, 64, 8}}, {"ffn_gate_exps.bias", {32, 8}},
        {"ffn_gate_exps.weight", {64, 32, 8}}, {"ffn_gate_inp.bias", {8}}, {"ffn_gate_inp.weight", {64, 8}},
        {"ffn_up_exps.bias", {32, 8}}, {"ffn_up_exps.weight", {64, 32, 8}}, {"post_attention_norm.weight", {64}},
    };
    CHECK(got == want);
}

TEST_CASE("gguf writer + hparams: qwen3next gated delta-net and attention blocks (models/qwen3next.cpp)") {
    synth_spec s;
    s.arch = "qwen3next";
    s.qwen3next = true;
    s.n_layer = 4;  // full_attention_interval not written: llama.cpp's default 4 -> layers 0-2 recurrent, 3 attends
    s.n_embd = 64;
    s.n_head = 2;
    s.n_head_kv = 1;
    s.head_dim = 32;
    s.qk_norm = true;
    s.n_expert = 4;
    s.n_expert_used = 2;
    s.n_ff_exp = 16;
    s.n_expert_shared = 1;
    s.n_ff_shexp = 32;
    s.ssm_d_conv = 4;
    s.ssm_d_state = 16;
    s.ssm_n_group = 1;
    s.ssm_dt_rank = 2;
    s.ssm_d_inner = 32;
    using shape_list = std::vector<std::pair<std::string, std::vector<std::uint64_t>>>;
    const auto w = synthesize(s);
    auto block = [&](const std::string& prefix) {
        shape_list got;
        for (const auto& t : w.tensors())
            if (t.name.rfind(prefix, 0) == 0) got.emplace_back(t.name.substr(prefix.size()), t.shape);
        std::sort(got.begin(), got.end());
        return got;
    };
    // load_block_trunk, by hand: head_k = head_v = 16, K heads 1, V heads 2 -> key_dim 16, value_dim 32,
    // conv_dim 2 x 16 + 32 = 64, ba 2 x 2; MoE {n_embd, n_ff_exp, n_expert} and the shared expert with its gate
    const shape_list moe = {
        {"ffn_down_exps.weight", {16, 64, 4}}, {"ffn_down_shexp.weight", {32, 64}}, {"ffn_gate_exps.weight", {64, 16, 4}},
        {"ffn_gate_inp.weight", {64, 4}}, {"ffn_gate_inp_shexp.weight", {64}}, {"ffn_gate_shexp.weight", {64, 32}},
        {"ffn_up_exps.weight", {64, 16, 4}}, {"ffn_up_shexp.weight", {64, 32}}, {"post_attention_norm.weight", {64}},
    };
    shape_list want_recr = {
        {"attn_gate.weight", {64, 32}}, {"attn_norm.weight", {64}}, {"attn_qkv.weight", {64, 64}},
        {"ssm_a", {2}}, {"ssm_ba.weight", {64, 4}}, {"ssm_conv1d.weight", {4, 64}}, {"ssm_dt.bias", {2}},
        {"ssm_norm.weight", {16}}, {"ssm_out.weight", {32, 64}},
    };
    want_recr.insert(want_recr.end(), moe.begin(), moe.end());
    std::sort(want_recr.begin(), want_recr.end());
    CHECK(block("blk.0.") == want_recr);
    // attention: Q and its gate in one {n_embd, 2 x n_head x head}, Q/K norms {head}
    shape_list want_attn = {
        {"attn_k.weight", {64, 32}}, {"attn_k_norm.weight", {32}}, {"attn_norm.weight", {64}},
        {"attn_output.weight", {64, 64}}, {"attn_q.weight", {64, 128}}, {"attn_q_norm.weight", {32}},
        {"attn_v.weight", {64, 32}},
    };
    want_attn.insert(want_attn.end(), moe.begin(), moe.end());
    std::sort(want_attn.begin(), want_attn.end());
    CHECK(block("blk.3.") == want_attn);

    auto p = load(w);
    CHECK(p.h.is_recurrent(0));
    CHECK(p.h.is_recurrent(1));
    CHECK(p.h.is_recurrent(2));
    CHECK_FALSE(p.h.is_recurrent(3));
    CHECK_FALSE(p.h.has_kv(0));
    CHECK(p.h.has_kv(3));
    // llama-hparams.cpp n_embd_r: (d_conv - 1) x (d_inner + 2 n_group d_state) = 3 x 64; n_embd_s: d_state x d_inner
    CHECK(p.h.n_embd_r() == 192);
    CHECK(p.h.n_embd_s() == 512);

    // the legacy layout: one ssm_in {n_embd, 2 key_dim + 2 value_dim} in place of attn_qkv and attn_gate
    synth_spec legacy = s;
    legacy.qwen3next_ssm_in = true;
    const auto wl = synthesize(legacy);
    std::vector<std::uint64_t> ssm_in_shape;
    bool has_qkv = false;
    for (const auto& t : wl.tensors()) {
        if (t.name == "blk.0.ssm_in.weight") ssm_in_shape = t.shape;
        if (t.name == "blk.0.attn_qkv.weight" || t.name == "blk.0.attn_gate.weight") has_qkv = true;
    }
    CHECK(ssm_in_shape == std::vector<std::uint64_t>{64, 96});
    CHECK_FALSE(has_qkv);

    s.full_attention_interval = 2;  // written: layers 1 and 3 attend
    auto q = load(synthesize(s));
    CHECK(q.h.is_recurrent(0));
    CHECK_FALSE(q.h.is_recurrent(1));
    CHECK(q.h.is_recurrent(2));
    CHECK_FALSE(q.h.is_recurrent(3));
}

TEST_CASE("gguf writer + hparams: qwen35 blocks, ssm_beta / ssm_alpha, rope sections, a dense FFN (models/qwen35.cpp)") {
    synth_spec s;
    s.arch = "qwen35";
    s.qwen3next = true;
    s.qwen35 = true;
    s.n_layer = 4;  // full_attention_interval not written: layers 0-2 recurrent, 3 attends
    s.n_embd = 64;
    s.n_head = 2;
    s.n_head_kv = 1;
    s.head_dim = 32;
    s.qk_norm = true;
    s.n_ff = 96;
    s.ssm_d_conv = 4;
    s.ssm_d_state = 16;
    s.ssm_n_group = 1;
    s.ssm_dt_rank = 2;
    s.ssm_d_inner = 32;
    using shape_list = std::vector<std::pair<std::string, std::vector<std::uint64_t>>>;
    const auto w = synthesize(s);
    shape_list got;
    for (const auto& t : w.tensors())
        if (t.name.rfind("blk.0.", 0) == 0) got.emplace_back(t.name.substr(6), t.shape);
    std::sort(got.begin(), got.end());
    // load_block_trunk, by hand: ssm_beta and ssm_alpha {n_embd, V heads}; the dense FFN without ffn_norm
    // (post_attention_norm is its norm)
    const shape_list want = {
        {"attn_gate.weight", {64, 32}}, {"attn_norm.weight", {64}}, {"attn_qkv.weight", {64, 64}},
        {"ffn_down.weight", {96, 64}}, {"ffn_gate.weight", {64, 96}}, {"ffn_up.weight", {64, 96}},
        {"post_attention_norm.weight", {64}}, {"ssm_a", {2}}, {"ssm_alpha.weight", {64, 2}},
        {"ssm_beta.weight", {64, 2}}, {"ssm_conv1d.weight", {4, 64}}, {"ssm_dt.bias", {2}},
        {"ssm_norm.weight", {16}}, {"ssm_out.weight", {32, 64}},
    };
    CHECK(got == want);
    auto p = load(w);
    // load_arch_hparams: get_key_or_arr(LLM_KV_ROPE_DIMENSION_SECTIONS, rope_sections, 4, true) is required
    const auto* sections = p.r.find("qwen35.rope.dimension_sections");
    REQUIRE(sections != nullptr);
    CHECK(sections->is_array());
    CHECK(sections->elem_type == value_type::i32);  // as convert_hf_to_gguf writes them
    CHECK(sections->count == 4);
    CHECK(p.h.is_recurrent(0));
    CHECK_FALSE(p.h.is_recurrent(3));
    CHECK(p.h.has_kv(3));
}

TEST_CASE("gguf hparams: phi3 disables SWA even with a window") {
    synth_spec s;
    s.arch = "phi3";
    s.n_layer = 4;
    s.n_swa = 2048;
    s.swa_period = 2;
    auto p = load(synthesize(s));
    CHECK(p.h.n_swa == 0);
    CHECK_FALSE(p.h.is_swa(0));
    CHECK(p.h.swa_layers.empty());
}

TEST_CASE("gguf hparams: llama4 chunked attention") {
    synth_spec s;
    s.arch = "llama4";
    s.n_layer = 8;
    auto p = load(synthesize(s));
    CHECK(p.h.n_swa == 8192);
    CHECK(p.h.swa_chunked);
    CHECK(swa_of(p.h) == std::vector<std::uint8_t>{1, 1, 1, 0, 1, 1, 1, 0});
    writer w = synthesize(s);
    w.set_u32("llama4.attention.sliding_window", 0);
    auto q = load(w);
    CHECK(q.h.n_swa == 0);
    CHECK_FALSE(q.h.swa_chunked);
}

TEST_CASE("gguf hparams: other architectures take a bool-array or period pattern when a window is set") {
    synth_spec s;
    s.arch = "gemma4";
    s.n_layer = 5;
    s.n_swa = 512;
    s.swa_pattern = {1, 1, 0, 1, 0};
    s.head_dim = 64;
    s.head_dim_swa = 32;
    auto p = load(synthesize(s));
    CHECK(p.h.n_swa == 512);
    CHECK(swa_of(p.h) == s.swa_pattern);
    CHECK(p.h.head_size_k(0) == 32);
    CHECK(p.h.head_size_k(2) == 64);
    s.swa_pattern = {1, 0};  // wrong length
    std::vector<std::byte> keep;
    reader r;
    auto bad = try_load(synthesize(s), keep, r);
    CHECK(bad.error().code == errc::invalid_argument);
    s.swa_pattern.clear();
    s.swa_period = 2;
    auto q = load(synthesize(s));
    CHECK(swa_of(q.h) == std::vector<std::uint8_t>{1, 0, 1, 0, 1});
}

TEST_CASE("gguf hparams: deepseek2 MLA needs both key_length_mla and value_length_mla") {
    synth_spec s;
    s.arch = "deepseek2";
    s.n_layer = 3;
    s.n_embd = 256;
    s.n_head = 16;
    s.n_head_kv = 1;  // the converter writes 1 for MLA
    s.head_dim = 576;  // kv_lora_rank + rope dim
    s.kv_lora_rank = 512;
    s.q_lora_rank = 128;
    s.rope_dim = 64;
    s.key_length_mla = 192;
    s.value_length_mla = 128;
    s.n_expert = 16;
    s.n_expert_used = 2;
    s.n_expert_shared = 1;
    s.n_ff_exp = 64;
    s.n_layer_dense_lead = 1;
    writer w = synthesize(s);
    w.set_u32("deepseek2.attention.value_length", 512);
    auto p = load(w);
    CHECK(p.h.is_mla());
    CHECK(p.h.n_lora_kv == 512);
    CHECK(p.h.n_lora_q == 128);
    CHECK(p.h.n_embd_head_k_mla == 192);
    CHECK(p.h.n_embd_head_v_mla == 128);
    CHECK(p.h.n_embd_head_k == 576);
    CHECK(p.h.n_embd_head_v == 512);
    CHECK(p.h.n_head_kv == 1);
    CHECK(p.h.n_layer_dense_lead == 1);
    CHECK(p.h.n_expert_shared == 1);
    w.remove("deepseek2.attention.value_length_mla");
    auto q = load(w);
    CHECK_FALSE(q.h.is_mla());
    CHECK(q.h.n_embd_head_k_mla == 0);
}

TEST_CASE("gguf hparams: nextn (MTP) layers are excluded from n_layer") {
    synth_spec s;
    s.arch = "deepseek2";
    s.n_layer = 4;
    s.n_nextn = 1;
    auto p = load(synthesize(s));
    CHECK(p.mh.n_layer_all == 5);
    CHECK(p.h.n_layer == 4);
    CHECK(p.h.n_layer_nextn == 1);
    writer w = synthesize(s);
    w.set_u32("deepseek2.nextn_predict_layers", 5);
    std::vector<std::byte> keep;
    reader r;
    CHECK(try_load(w, keep, r).error().code == errc::invalid_argument);
}

TEST_CASE("gguf hparams: per-layer arrays follow get_key_or_arr") {
    synth_spec s;
    s.arch = "openelm";
    s.n_layer = 4;
    s.n_embd = 64;
    s.head_per_layer = {4, 4, 8, 8};
    s.head_kv_per_layer = {1, 2, 2, 4};
    s.ff_per_layer = {128, 256, 256, 512};
    auto p = load(synthesize(s));
    const hparams& h = p.h;
    CHECK(h.n_head == 4);  // element 0, as llama_hparams::n_head()
    CHECK(h.n_ff == 128);
    CHECK(h.head_count(2) == 8);
    CHECK(h.head_count_kv(3) == 4);
    CHECK(h.ff_length(1) == 256);
    CHECK(h.n_embd_head_k == 16);
    CHECK(h.n_embd_k_gqa(3) == 64);
    // head_count_kv defaults to the head_count array
    writer w = synthesize(s);
    w.remove("openelm.attention.head_count_kv");
    auto q = load(w);
    CHECK(q.h.head_count_kv(2) == 8);
    CHECK(q.h.n_head_kv_arr.size() == 4);
    // wrong lengths are errors
    writer bad = synthesize(s);
    const std::vector<std::uint32_t> three = {1, 2, 3};
    bad.set_array_u32("openelm.feed_forward_length", three);
    std::vector<std::byte> keep;
    reader r;
    auto e = try_load(bad, keep, r);
    CHECK(e.error().code == errc::invalid_argument);
    CHECK(e.error().where == r.find("openelm.feed_forward_length")->value_offset);
    // a copy of model_hparams rebinds its spans
    model_hparams copy = p.mh;
    const hparams hc = copy.view();
    CHECK(hc.n_ff_arr.data() == copy.n_ff_arr.data());
    CHECK(hc.ff_length(3) == 512);
}

TEST_CASE("gguf hparams: granitehybrid marks layers with 0 KV heads as recurrent") {
    synth_spec s;
    s.arch = "granitehybrid";
    s.n_layer = 6;
    s.n_embd = 128;
    s.n_head = 4;
    s.head_kv_per_layer = {0, 0, 2, 0, 0, 2};
    s.ssm_d_conv = 4;
    s.ssm_d_inner = 256;
    s.ssm_d_state = 16;
    s.ssm_dt_rank = 8;
    s.ssm_n_group = 1;
    auto p = load(synthesize(s));
    const hparams& h = p.h;
    CHECK(h.memory == memory_kind::hybrid);
    CHECK(h.is_recurrent(0));
    CHECK_FALSE(h.is_recurrent(2));
    CHECK(h.is_recurrent(4));
    CHECK(h.has_kv(2));
    CHECK_FALSE(h.has_kv(0));
    CHECK(h.ssm_d_conv == 4);
    CHECK(h.ssm_d_inner == 256);
    CHECK(h.ssm_d_state == 16);
    CHECK(h.ssm_n_group == 1);
    CHECK(h.n_embd_r() == 3u * (256 + 2 * 16));
    CHECK(h.n_embd_s() == 16u * 256);
}

TEST_CASE("gguf hparams: qwen3next recurrent layers from full_attention_interval") {
    synth_spec s;
    s.arch = "qwen3next";
    s.n_layer = 8;
    writer w = synthesize(s);
    auto p = load(w);
    CHECK(p.h.memory == memory_kind::hybrid);
    std::vector<std::uint8_t> rec;
    for (std::uint32_t il = 0; il < 8; ++il) rec.push_back(p.h.is_recurrent(il) ? 1 : 0);
    CHECK(rec == std::vector<std::uint8_t>{1, 1, 1, 0, 1, 1, 1, 0});
    const std::vector<std::uint8_t> explicit_layers = {1, 0, 1, 0, 1, 0, 1, 0};
    w.set_array_bool("qwen3next.attention.recurrent_layers", explicit_layers);
    auto q = load(w);
    CHECK(q.h.is_recurrent(0));
    CHECK_FALSE(q.h.is_recurrent(1));
}

TEST_CASE("gguf hparams: mamba and mamba2 are recurrent") {
    for (const char* arch : {"mamba", "mamba2"}) {
        CAPTURE(arch);
        synth_spec s;
        s.arch = arch;
        s.n_layer = 3;
        s.n_embd = 64;
        s.n_head = 0;
        s.n_ff = 0;
        s.ssm_d_conv = 4;
        s.ssm_d_inner = 128;
        s.ssm_d_state = 16;
        s.ssm_dt_rank = 4;
        s.ssm_n_group = std::string(arch) == "mamba2" ? 1 : 0;
        auto p = load(synthesize(s));
        CHECK(p.h.memory == memory_kind::recurrent);
        CHECK(p.h.is_recurrent(0));
        CHECK(p.h.is_recurrent(2));
        CHECK_FALSE(p.h.has_kv(0));
        CHECK(p.h.n_head == 0);
        CHECK(p.h.n_embd_head_k == 0);
        CHECK(p.h.ssm_d_state == 16);
        CHECK(p.h.ssm_dt_rank == 4);
        CHECK(p.mh.view().recurrent_layers.empty());
    }
}

TEST_CASE("gguf hparams: rwkv6 and rwkv7 are recurrent with wkv state") {
    for (const char* arch : {"rwkv6", "rwkv7"}) {
        CAPTURE(arch);
        synth_spec s;
        s.arch = arch;
        s.n_layer = 2;
        s.n_embd = 128;
        s.n_head = 0;
        s.n_ff = 256;
        s.wkv_head_size = 64;
        auto p = load(synthesize(s));
        CHECK(p.h.memory == memory_kind::recurrent);
        CHECK(p.h.wkv_head_size == 64);
        CHECK(p.h.token_shift_count == 2);
        CHECK(p.h.n_embd_r() == 2u * 128);
        CHECK(p.h.n_embd_s() == 128u * 64);
        writer w = synthesize(s);
        w.set_u32(std::string(arch) + ".token_shift_count", 1);
        CHECK(load(w).h.token_shift_count == 1);
    }
}

TEST_CASE("gguf writer: RWKV-6 and RWKV-7 blocks carry what llama.cpp's loader requires") {
    using shape_list = std::vector<std::pair<std::string, std::vector<std::uint64_t>>>;
    auto block1 = [](const writer& w) {
        shape_list got;
        for (const auto& t : w.tensors())
            if (t.name.rfind("blk.1.", 0) == 0) got.emplace_back(t.name.substr(6), t.shape);
        std::sort(got.begin(), got.end());
        return got;
    };
    synth_spec s;
    s.arch = "rwkv6";
    s.n_layer = 2;
    s.n_embd = 128;
    s.n_head = 0;
    s.n_ff = 448;
    s.wkv_head_size = 64;
    s.time_mix_extra_dim = 16;
    s.time_decay_extra_dim = 32;
    {
        const auto w = synthesize(s);
        // models/rwkv6.cpp load_arch_tensors (the fused lerp; lerp_w/k/v/r/g are optional and left out)
        const shape_list want = {
            {"attn_norm.bias", {128}}, {"attn_norm.weight", {128}}, {"attn_norm_2.bias", {128}},
            {"attn_norm_2.weight", {128}}, {"channel_mix_key.weight", {128, 448}},
            {"channel_mix_lerp_k.weight", {128, 1, 1}}, {"channel_mix_lerp_r.weight", {128, 1, 1}},
            {"channel_mix_receptance.weight", {128, 128}}, {"channel_mix_value.weight", {448, 128}},
            {"time_mix_decay.weight", {128}}, {"time_mix_decay_w1.weight", {128, 32}},
            {"time_mix_decay_w2.weight", {32, 128}}, {"time_mix_first.weight", {64, 2}},
            {"time_mix_gate.weight", {128, 128}}, {"time_mix_key.weight", {128, 128}},
            {"time_mix_lerp_fused.weight", {128, 1, 1, 5}}, {"time_mix_lerp_x.weight", {128, 1, 1}},
            {"time_mix_ln.bias", {128}}, {"time_mix_ln.weight", {128}}, {"time_mix_output.weight", {128, 128}},
            {"time_mix_receptance.weight", {128, 128}}, {"time_mix_value.weight", {128, 128}},
            {"time_mix_w1.weight", {128, 80}}, {"time_mix_w2.weight", {16, 128, 5}}};
        CHECK(block1(w) == want);
        auto p = load(w);
        CHECK(p.r.get_u32("rwkv6.time_mix_extra_dim").value_or(0) == 16);
        CHECK(p.r.get_u32("rwkv6.time_decay_extra_dim").value_or(0) == 32);
        CHECK(p.r.find_tensor("token_embd_norm.bias") != nullptr);
        CHECK(p.r.find_tensor("output_norm.bias") != nullptr);
    }
    s.arch = "rwkv7";
    s.lora_decay = 16;
    s.lora_iclr = 24;
    s.lora_value_res_mix = 8;
    s.lora_gate = 32;
    const auto w = synthesize(s);
    // models/rwkv7.cpp load_arch_tensors: layer 0's v1 / v2 have the iclr rank, later layers the value-residual rank
    const shape_list want = {
        {"attn_norm.bias", {128}}, {"attn_norm.weight", {128}}, {"attn_norm_2.bias", {128}},
        {"attn_norm_2.weight", {128}}, {"channel_mix_key.weight", {128, 448}},
        {"channel_mix_lerp_k.weight", {128, 1, 1}}, {"channel_mix_value.weight", {448, 128}},
        {"time_mix_a0.weight", {128}}, {"time_mix_a1.weight", {128, 24}}, {"time_mix_a2.weight", {24, 128}},
        {"time_mix_g1.weight", {128, 32}}, {"time_mix_g2.weight", {32, 128}}, {"time_mix_k_a.weight", {128}},
        {"time_mix_k_k.weight", {128}}, {"time_mix_key.weight", {128, 128}},
        {"time_mix_lerp_fused.weight", {128, 1, 1, 6}}, {"time_mix_ln.bias", {128}}, {"time_mix_ln.weight", {128}},
        {"time_mix_output.weight", {128, 128}}, {"time_mix_r_k.weight", {128}},
        {"time_mix_receptance.weight", {128, 128}}, {"time_mix_v0.weight", {128}}, {"time_mix_v1.weight", {128, 8}},
        {"time_mix_v2.weight", {8, 128}}, {"time_mix_value.weight", {128, 128}}, {"time_mix_w0.weight", {128}},
        {"time_mix_w1.weight", {128, 16}}, {"time_mix_w2.weight", {16, 128}}};
    CHECK(block1(w) == want);
    auto p = load(w);
    CHECK(p.r.find_tensor("blk.0.time_mix_v1.weight")->ne[1] == 24);
    CHECK(p.r.get_u32("rwkv7.attention.decay_lora_rank").value_or(0) == 16);
    CHECK(p.r.get_u32("rwkv7.attention.iclr_lora_rank").value_or(0) == 24);
    CHECK(p.r.get_u32("rwkv7.attention.value_residual_mix_lora_rank").value_or(0) == 8);
    CHECK(p.r.get_u32("rwkv7.attention.gate_lora_rank").value_or(0) == 32);
    CHECK(p.r.find("rwkv7.time_mix_extra_dim") == nullptr);

    // rwkv6qwen2 / arwkv7 (models/rwkv6qwen2.cpp, arwkv7.cpp load_arch_tensors): RMS attn_norm without bias, no
    // channel mix but ffn_norm + a SwiGLU FFN, no LN0; rwkv6qwen2 as converted has no time_mix_first (qrwkv)
    s.arch = "rwkv6qwen2";
    {
        const auto q = synthesize(s);
        const shape_list want6 = {
            {"attn_norm.weight", {128}}, {"ffn_down.weight", {448, 128}}, {"ffn_gate.weight", {128, 448}},
            {"ffn_norm.weight", {128}}, {"ffn_up.weight", {128, 448}}, {"time_mix_decay.weight", {128}},
            {"time_mix_decay_w1.weight", {128, 32}}, {"time_mix_decay_w2.weight", {32, 128}},
            {"time_mix_gate.weight", {128, 128}}, {"time_mix_key.weight", {128, 128}},
            {"time_mix_lerp_fused.weight", {128, 1, 1, 5}}, {"time_mix_lerp_x.weight", {128, 1, 1}},
            {"time_mix_output.weight", {128, 128}}, {"time_mix_receptance.weight", {128, 128}},
            {"time_mix_value.weight", {128, 128}}, {"time_mix_w1.weight", {128, 80}},
            {"time_mix_w2.weight", {16, 128, 5}}};
        CHECK(block1(q) == want6);
        auto pq = load(q);
        CHECK(pq.h.token_shift_count == 1);  // the graph asserts n_embd == n_embd_r
        CHECK(pq.h.n_embd_r() == 128);
        CHECK(pq.r.find_tensor("token_embd_norm.weight") == nullptr);
        // GQA (head_count_kv 1 of n_embd / head size = 2 heads): K and V of one head; attn_bias: the optional biases
        synth_spec sg = s;
        sg.n_head = 2;
        sg.n_head_kv = 1;
        sg.attn_bias = true;
        const auto gq = synthesize(sg);
        CHECK(gq.tensors().size() == q.tensors().size() + 2 * 3);
        auto pg = load(gq);
        CHECK(pg.r.find_tensor("blk.1.time_mix_key.weight")->ne[1] == 64);
        CHECK(pg.r.find_tensor("blk.1.time_mix_value.weight")->ne[1] == 64);
        CHECK(pg.r.find_tensor("blk.1.time_mix_receptance.weight")->ne[1] == 128);
        CHECK(pg.r.find_tensor("blk.1.time_mix_key.bias")->ne[0] == 64);
        CHECK(pg.r.find_tensor("blk.1.time_mix_receptance.bias")->ne[0] == 128);
    }
    s.arch = "arwkv7";
    const auto a7 = block1(synthesize(s));
    CHECK(a7.size() == 26);  // the 21 time-mix tensors (time_mix_ln included), attn_norm, ffn_norm, 3 FFN matrices
    CHECK(std::count_if(a7.begin(), a7.end(), [](const auto& t) { return t.first.rfind("channel_mix", 0) == 0; }) == 0);
    CHECK(std::find(a7.begin(), a7.end(), shape_list::value_type{"time_mix_lerp_fused.weight", {128, 1, 1, 6}}) !=
          a7.end());
}

TEST_CASE("gguf hparams: unknown architectures get the generic keys; required keys are checked") {
    synth_spec s;
    s.arch = "some-new-arch";
    s.n_layer = 2;
    s.n_embd = 96;
    s.n_head = 3;
    s.n_head_kv = 1;
    auto p = load(synthesize(s));
    CHECK(p.h.architecture == "some-new-arch");
    CHECK(p.h.id == llamaplan::arch::generic);  // no row in arch_table: the explicit generic choice, never "unknown"
    CHECK(p.h.n_embd_head_k == 32);
    CHECK(p.h.memory == memory_kind::attention);
    std::vector<std::byte> keep;
    reader r;
    writer w = synthesize(s);
    w.remove("some-new-arch.block_count");
    CHECK(try_load(w, keep, r).error().code == errc::missing_key);
    writer wc = synthesize(s);  // llama-model.cpp load_hparams: context_length is required too
    wc.remove("some-new-arch.context_length");
    CHECK(try_load(wc, keep, r).error().code == errc::missing_key);
    CHECK(try_load(wc, keep, r).error().what == "<arch>.context_length is missing");
    writer w2 = synthesize(s);
    w2.remove("general.architecture");
    CHECK(try_load(w2, keep, r).error().code == errc::missing_key);
    writer w3 = synthesize(s);
    w3.set_string("some-new-arch.embedding_length", "wide");
    CHECK(try_load(w3, keep, r).error().code == errc::type_mismatch);
    writer w4 = synthesize(s);
    w4.set_u32("some-new-arch.block_count", 0);
    CHECK(try_load(w4, keep, r).error().code == errc::invalid_argument);
    // integer widths other than u32 are accepted when the value fits
    writer w5 = synthesize(s);
    w5.set_u64("some-new-arch.context_length", 65536);
    CHECK(load(w5).h.n_ctx_train == 65536);
}

TEST_CASE("gguf hparams: rope scaling keys") {
    synth_spec s;
    writer w = synthesize(s);
    w.set_string("llama.rope.scaling.type", "yarn");
    w.set_f32("llama.rope.scaling.factor", 4.0f);
    w.set_u32("llama.rope.scaling.original_context_length", 32768);
    auto p = load(w);
    CHECK(p.h.rope_scaling_type == "yarn");
    CHECK(p.h.rope_scaling_factor == 4.0f);
    CHECK(p.h.n_ctx_orig_yarn == 32768);
    writer legacy = synthesize(s);
    legacy.set_f32("llama.rope.scale_linear", 2.0f);
    CHECK(load(legacy).h.rope_scaling_factor == 2.0f);
}

TEST_CASE("gguf writer + hparams: gemma3n altup / laurel / per-layer tensors and its fixed KV sharing (models/gemma3n.cpp)") {
    synth_spec s;
    s.arch = "gemma3n";
    s.gemma3n = true;
    s.n_layer = 22;
    s.n_embd = 64;
    s.n_head = 2;
    s.n_head_kv = 1;
    s.head_dim = 32;
    s.qk_norm = true;
    s.post_norms = true;
    s.tied_output = true;
    s.n_ff = 128;
    s.n_swa = 128;
    auto w = synthesize(s);
    // load_arch_tensors, by hand: n_altup 4, n_embd_altup 256, laurel rank 64 (llama-hparams.h constants)
    auto shape = [&](const std::string& name) {
        for (const auto& t : w.tensors())
            if (t.name == name) return t.shape;
        return std::vector<std::uint64_t>{};
    };
    CHECK(shape("altup_proj.weight") == std::vector<std::uint64_t>{64, 64, 3});
    CHECK(shape("altup_unembd_proj.weight") == std::vector<std::uint64_t>{64, 64, 3});
    CHECK(shape("per_layer_token_embd.weight") == std::vector<std::uint64_t>{256 * 22, 256});
    CHECK(shape("per_layer_model_proj.weight") == std::vector<std::uint64_t>{64, 256 * 22});
    CHECK(shape("per_layer_proj_norm.weight") == std::vector<std::uint64_t>{256});
    CHECK(shape("output.weight").empty());
    CHECK(shape("blk.21.inp_gate.weight") == std::vector<std::uint64_t>{64, 256});
    CHECK(shape("blk.21.proj.weight") == std::vector<std::uint64_t>{256, 64});
    CHECK(shape("blk.21.altup_correct_coef.weight") == std::vector<std::uint64_t>{4, 4});
    CHECK(shape("blk.21.altup_predict_coef.weight") == std::vector<std::uint64_t>{4, 16});
    CHECK(shape("blk.21.altup_router.weight") == std::vector<std::uint64_t>{64, 4});
    CHECK(shape("blk.21.laurel_l.weight") == std::vector<std::uint64_t>{64, 64});
    CHECK(shape("blk.21.laurel_r.weight") == std::vector<std::uint64_t>{64, 64});
    CHECK(shape("blk.21.attn_k.weight") == std::vector<std::uint64_t>{64, 32});  // created even on shared-KV layers
    CHECK(shape("blk.21.post_ffw_norm.weight") == std::vector<std::uint64_t>{64});

    // shared_kv_layers is not read: n_layer_kv_from_start is 20 whatever the file says; SWA period 5 by default
    w.set_u32("gemma3n.attention.shared_kv_layers", 5);
    auto p = load(w);
    CHECK(p.h.n_layer_kv_from_start == 20);
    CHECK(p.h.has_kv(19));
    CHECK_FALSE(p.h.has_kv(20));
    CHECK_FALSE(p.h.has_kv(21));
    CHECK(p.h.is_swa(3));
    CHECK_FALSE(p.h.is_swa(4));
    CHECK(p.h.is_swa(20));
    // the per-layer token table is an input-layer GET_ROWS table (kept on the host like token_embd); the per-layer
    // projection and its norm are created with block id 0; altup_proj / altup_unembd_proj are output-layer tensors
    for (const auto& t : p.r.tensors()) {
        if (t.name == "per_layer_token_embd.weight") {
            CHECK(t.role == tensor_role::token_embedding);
            CHECK(t.layer == -1);
        }
        if (t.name == "per_layer_model_proj.weight" || t.name == "per_layer_proj_norm.weight") CHECK(t.layer == 0);
        if (t.name == "altup_proj.weight") CHECK(t.layer == -1);
    }
    // converted files write the pattern as a bool array, which the scalar get_key_or_arr ignores: period 5 stays
    s.swa_pattern.assign(22, 1);
    auto q = load(synthesize(s));
    CHECK(q.h.is_swa(3));
    CHECK_FALSE(q.h.is_swa(4));
    CHECK_FALSE(q.h.is_swa(19));
    s.swa_pattern.clear();
    s.swa_period = 4;  // a u32 period is read
    auto u = load(synthesize(s));
    CHECK_FALSE(u.h.is_swa(3));
    CHECK(u.h.is_swa(4));
}
