// Header-only GGUF files whose hyper-parameters contradict each other or their own tensors: llama.cpp refuses them
// while loading (src/llama-model.cpp load_hparams GGML_ASSERTs, llama-model-loader.cpp check_tensor_dims), and so
// must llamaplan, with the key named, before any estimate does work proportional to the bogus numbers.
#include <doctest/doctest.h>

#include <llamaplan.hpp>
#include <llamaplan/gguf/hparams.hpp>
#include <llamaplan/gguf/reader.hpp>
#include <llamaplan/gguf/writer.hpp>

#include <string>
#include <string_view>
#include <vector>

using namespace llamaplan;
using namespace llamaplan::gguf;

namespace {

/// What reading a writer's header-only bytes and estimating the model gives.
struct outcome {
    error err{};              ///< first error: from extract_hparams, else from estimate_memory
    bool from_hparams = false;///< the error came from extract_hparams
    memory_estimate est{};    ///< the estimate when there was no error
};

outcome run(const writer& w, launch_params p = {}) {
    const std::vector<std::byte> bytes = w.bytes(data_fill::header_only);
    auto r = reader::parse(bytes);
    REQUIRE(r.has_value());
    outcome o;
    auto mh = extract_hparams(*r);
    if (!mh) {
        o.err = mh.error();
        o.from_hparams = true;
        return o;
    }
    const model m{mh->view(), r->tensors()};
    if (p.n_ctx == 0) p.n_ctx = 4096;
    auto e = estimate_memory(m, machine{}, p);
    if (!e) o.err = e.error();
    else o.est = *e;
    return o;
}

synth_spec moe_spec() {
    synth_spec s;
    s.arch = "qwen3moe";
    s.n_layer = 4;
    s.n_embd = 128;
    s.n_head = 8;
    s.n_head_kv = 2;
    s.head_dim = 32;
    s.n_ff = 256;
    s.n_expert = 8;
    s.n_expert_used = 2;
    s.n_ff_exp = 64;
    s.n_vocab = 512;
    return s;
}

bool names(const error& e, std::string_view key) { return e.what.find(key) != std::string_view::npos; }

}  // namespace

TEST_CASE("consistency: the writer's own models pass, and the baseline estimate is what the fuzzer started from") {
    auto o = run(synthesize(moe_spec()));
    REQUIRE(o.err.code == errc::ok);
    // 4 layers x (K + V) x 2 KV heads x 32 x f16 x 4096 cells
    CHECK(o.est.kv() == 4ull * 2 * 2 * 32 * 2 * 4096);
}

TEST_CASE("consistency: expert counts follow load_hparams' asserts") {
    SUBCASE("more experts used per token than the model has (the fuzzer's 15-second estimate)") {
        writer w = synthesize(moe_spec());
        w.set_u32("qwen3moe.expert_used_count", 4000000000u);
        auto o = run(w);
        CHECK(o.from_hparams);
        CHECK(o.err.code == errc::invalid_argument);
        CHECK(o.err.what == "expert_used_count is above expert_count");
        const auto bytes = w.bytes(data_fill::header_only);
        CHECK(o.err.where == reader::parse(bytes)->find("qwen3moe.expert_used_count")->value_offset);
    }
    SUBCASE("above LLAMA_MAX_EXPERTS") {
        writer w = synthesize(moe_spec());
        w.set_u32("qwen3moe.expert_count", 1025);
        CHECK(names(run(w).err, "LLAMA_MAX_EXPERTS (1024)"));
    }
    SUBCASE("experts but none used") {
        writer w = synthesize(moe_spec());
        w.remove("qwen3moe.expert_used_count");
        CHECK(names(run(w).err, "expert_used_count is 0"));
    }
    SUBCASE("expert groups") {
        writer w = synthesize(moe_spec());
        w.set_u32("qwen3moe.expert_group_count", 3);  // does not divide 8
        w.set_u32("qwen3moe.expert_group_used_count", 1);
        CHECK(names(run(w).err, "expert_group_count does not divide"));
        w.set_u32("qwen3moe.expert_group_count", 8);  // not below expert_count
        CHECK(names(run(w).err, "expert_group_count is not below expert_count"));
        w.set_u32("qwen3moe.expert_group_count", 4);
        w.set_u32("qwen3moe.expert_group_used_count", 4);
        CHECK(names(run(w).err, "expert_group_used_count"));
        w.set_u32("qwen3moe.expert_group_used_count", 2);
        CHECK(run(w).err.code == errc::ok);
    }
    SUBCASE("expert_count in range but not what the expert tensors hold") {
        writer w = synthesize(moe_spec());
        w.set_u32("qwen3moe.expert_count", 1024);
        w.set_u32("qwen3moe.expert_used_count", 1024);
        auto o = run(w);
        CHECK_FALSE(o.from_hparams);
        CHECK(o.err.what == "expert_count differs from ffn_gate_inp.weight ne[1]");
    }
    SUBCASE("expert FFN width not what ffn_down_exps holds") {
        writer w = synthesize(moe_spec());
        w.set_u32("qwen3moe.expert_feed_forward_length", 1u << 23);
        CHECK(run(w).err.what == "expert_feed_forward_length (or feed_forward_length) differs from ffn_down_exps.weight ne[0]");
    }
}

TEST_CASE("consistency: widths must agree with the tensors' shapes") {
    synth_spec s;
    s.n_layer = 3;
    s.n_embd = 128;
    s.n_head = 4;
    s.n_head_kv = 2;
    s.n_ff = 256;
    s.n_vocab = 300;
    SUBCASE("embedding_length") {
        writer w = synthesize(s);
        w.set_u32("llama.embedding_length", 8388608);
        CHECK(run(w).err.what == "embedding_length differs from token_embd.weight ne[0]");
    }
    SUBCASE("vocabulary") {
        writer w = synthesize(s);
        w.set_u32("llama.vocab_size", 200000000);
        CHECK(names(run(w).err, "differs from token_embd.weight ne[1]"));
    }
    SUBCASE("feed_forward_length") {
        writer w = synthesize(s);
        w.set_u32("llama.feed_forward_length", 16000000);
        CHECK(run(w).err.what == "feed_forward_length differs from ffn_down.weight ne[0]");
    }
    SUBCASE("head counts that do not divide") {
        writer w = synthesize(s);
        w.set_u32("llama.attention.head_count_kv", 3);
        CHECK(run(w).err.what == "attention.head_count is not a multiple of attention.head_count_kv");
    }
    SUBCASE("KV heads that divide but disagree with attn_k") {
        writer w = synthesize(s);
        w.set_u32("llama.attention.head_count_kv", 4);
        CHECK(run(w).err.what == "attention.key_length x attention.head_count_kv differs from attn_k.weight ne[1]");
    }
    SUBCASE("key_length inconsistent with the tensors (rope.dimension_count kept equal, as llama requires)") {
        writer w = synthesize(s);
        w.set_u32("llama.attention.key_length", 4096);
        w.set_u32("llama.rope.dimension_count", 4096);
        CHECK(run(w).err.what == "attention.key_length x attention.head_count differs from attn_q.weight ne[1]");
    }
    SUBCASE("value_length inconsistent with the tensors") {
        writer w = synthesize(s);
        w.set_u32("llama.attention.value_length", 4096);
        CHECK(run(w).err.what == "attention.value_length x attention.head_count_kv differs from attn_v.weight ne[1]");
    }
    SUBCASE("head_count inconsistent with attn_q (KV heads scaled too, so only Q disagrees)") {
        writer w = synthesize(s);
        w.set_u32("llama.attention.head_count", 8);
        w.set_u32("llama.attention.key_length", 32);  // keep n_embd_head_k at 32
        w.set_u32("llama.attention.value_length", 32);
        CHECK(run(w).err.what == "attention.key_length x attention.head_count differs from attn_q.weight ne[1]");
    }
    SUBCASE("a head count that does not divide embedding_length leaves a head size no tensor has") {
        writer w = synthesize(s);
        w.set_u32("llama.attention.head_count", 6);  // 128 / 6 = 21
        w.set_u32("llama.attention.head_count_kv", 3);
        CHECK(run(w).err.what == "attention.key_length x attention.head_count differs from attn_q.weight ne[1]");
    }
    SUBCASE("a tensor in a block past block_count") {
        writer w = synthesize(s);
        w.add_tensor("blk.7.attn_norm.weight", ggml_type::f32, {128});
        CHECK(run(w).err.what == "a tensor belongs to a block at or past block_count");
    }
}

TEST_CASE("consistency: rope keys load_hparams asserts on") {
    synth_spec s;
    SUBCASE("unknown rope.scaling.type") {
        writer w = synthesize(s);
        w.set_string("llama.rope.scaling.type", "cubic");
        auto o = run(w);
        CHECK(o.from_hparams);
        CHECK(o.err.what == "rope.scaling.type is not none, linear, yarn or longrope");
    }
    SUBCASE("llama: n_rot must equal the head size") {
        writer w = synthesize(s);
        w.set_u32("llama.rope.dimension_count", 8);  // head size is 64 / 4 = 16
        CHECK(names(run(w).err, "rope.dimension_count differs from the head size"));
        s.arch = "qwen2";  // other architectures allow partial rotary embeddings
        writer q = synthesize(s);
        q.set_u32("qwen2.rope.dimension_count", 8);
        CHECK(run(q).err.code == errc::ok);
    }
}

TEST_CASE("consistency: a model described without tensors gets the hyper-parameter checks") {
    hparams h;
    h.architecture = "llama";
    h.n_layer = 2;
    h.n_embd = 64;
    h.n_head = 4;
    h.n_head_kv = 4;
    h.n_embd_head_k = h.n_embd_head_v = 16;
    h.n_ctx_train = 512;
    h.n_vocab = 100;
    CHECK(validate_model(model{h, {}}).code == errc::ok);
    h.n_expert = 8;
    CHECK(validate_model(model{h, {}}).what == "expert_used_count is 0 but expert_count is not (model has expert layers but no expert layers are used)");
    h.n_expert_used = 9;
    CHECK(validate_model(model{h, {}}).what == "expert_used_count is above expert_count");
    h.n_expert = h.n_expert_used = 2000;
    CHECK(validate_model(model{h, {}}).what == "expert_count is above LLAMA_MAX_EXPERTS (1024)");
    h.n_expert = h.n_expert_used = 0;
    h.n_head_kv = 3;
    const error e = validate_model(model{h, {}});
    CHECK(e.what == "attention.head_count is not a multiple of attention.head_count_kv");
    CHECK(e.where == 0);  // the layer
    h.n_head_kv = 4;
    h.n_layer = 513;
    CHECK(validate_model(model{h, {}}).what == "block_count is 0 or above LLAMA_MAX_LAYERS (512)");
}
