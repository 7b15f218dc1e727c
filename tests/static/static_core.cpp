// Compile-time tests: the core is constexpr, so these are static_asserts (a failure is a compile error).
#include <llamaplan.hpp>

#include <array>

namespace {
using namespace llamaplan;

// ---- ggml type table (ggml/src/ggml.c type_traits)
static_assert(block_size(ggml_type::q4_k) == 256 && type_size(ggml_type::q4_k) == 144);
static_assert(row_size(ggml_type::q8_0, 4096) == 4096 / 32 * 34);
static_assert(row_size(ggml_type::mxfp4, 2880) == 2880 / 32 * 17);
static_assert(row_size(ggml_type::nvfp4, 128) == 2 * 36);
static_assert(!is_valid_type_id(4) && !is_valid_type_id(31) && !is_valid_type_id(38) && !is_valid_type_id(43));
static_assert(is_valid_type_id(42) && type_name(ggml_type::q2_0) == "q2_0");
static_assert(parse_type("Q4_K") == ggml_type::q4_k && parse_type("iq4_nl") == ggml_type::iq4_nl);
static_assert(!parse_type("q4_2").has_value() && !parse_type("").has_value());
static_assert(!checked_row_size(ggml_type::q4_0, 33));  // not a whole number of blocks

// ---- a hand-written model: 2 layers, llama-shaped, tiny
constexpr std::array<tensor_info, 12> toy_tensors = [] {
    std::array<tensor_info, 12> t{};
    std::uint64_t off = 0;
    std::size_t i = 0;
    auto add = [&](std::string_view name, ggml_type type, std::uint64_t ne0, std::uint64_t ne1, std::uint64_t ne2 = 1) {
        t[i] = *make_tensor(name, type, {ne0, ne1, ne2, 1}, ne2 > 1 ? 3u : ne1 == 1 ? 1u : 2u, off);
        off += (t[i].bytes + 31) / 32 * 32;
        ++i;
    };
    add("token_embd.weight", ggml_type::q8_0, 64, 256);
    add("output_norm.weight", ggml_type::f32, 64, 1);
    add("output.weight", ggml_type::q8_0, 64, 256);
    add("blk.0.attn_norm.weight", ggml_type::f32, 64, 1);
    add("blk.0.attn_q.weight", ggml_type::f16, 64, 64);
    add("blk.0.attn_k.weight", ggml_type::f16, 64, 32);
    add("blk.0.attn_v.weight", ggml_type::f16, 64, 32);
    add("blk.0.ffn_up.weight", ggml_type::q4_0, 64, 128);
    add("blk.1.attn_q.weight", ggml_type::f16, 64, 64);
    add("blk.1.attn_k.weight", ggml_type::f16, 64, 32);
    add("blk.1.attn_v.weight", ggml_type::f16, 64, 32);
    add("blk.1.ffn_up_exps.weight", ggml_type::q4_0, 64, 128, 4);  // layer 1 is a MoE block of 4 experts
    return t;
}();

constexpr hparams toy_hparams = [] {
    hparams h;
    h.architecture = "llama";
    h.n_layer = 2;
    h.n_embd = 64;
    h.n_vocab = 256;
    h.n_ctx_train = 1024;
    h.n_head = 4;
    h.n_head_kv = 2;
    h.n_ff = 128;
    h.n_embd_head_k = 16;
    h.n_embd_head_v = 16;
    h.n_expert = 4;  // ne[2] of blk.1.ffn_up_exps (validate_model checks they agree)
    h.n_expert_used = 2;
    h.n_layer_dense_lead = 1;
    return h;
}();
constexpr model moe_toy{toy_hparams, toy_tensors};

static_assert(toy_tensors[0].role == tensor_role::token_embedding);
static_assert(toy_tensors[11].role == tensor_role::ffn_expert && toy_tensors[11].layer == 1);
static_assert(moe_toy.find("blk.0.attn_q.weight") != nullptr && moe_toy.find("nope") == nullptr);
// q8_0 64 x 256 twice, 2 f32 norms of 64, f16 64x64 + 2 x 64x32 per layer, q4_0 64 x 128 (and x 4 experts)
static_assert(moe_toy.total_bytes() == 2 * (64 / 32 * 34 * 256) + 2 * 64 * 4 + 2 * (64 * 64 * 2 + 2 * 64 * 32 * 2) +
                                       64 / 32 * 18 * 128 * 5);

// ---- the KV cache formula on the hand-written model: 2 layers x (K + V) x 2 KV heads x 16 x f16 x cells
constexpr auto est = [] {
    launch_params p;
    p.n_ctx = 300;  // padded to 512
    p.n_ubatch = 64;
    return estimate_memory(moe_toy, machine{}, p);
}();
static_assert(est.has_value());
static_assert(est->n_ctx == 512 && est->kv_cells == 512);
static_assert(est->kv() == 2ull * 2 * (2 * 16 * 2) * 512);
static_assert(est->output() == 256ull * 4);  // one sequence of F32 logits
// the CPU compute buffer is the graph replay for the resolved shape: 64-token ubatch, 512 cells, FA auto = on
static_assert(est->compute() == compute_buffer_cpu(moe_toy, compute_shape{64, 1, 1, 1, 512, 512, true}) && est->compute_detail.ok);

// four non-unified sequences: 512 / 4 = 128 cells, padded to 256 each
constexpr auto est4 = [] {
    launch_params p;
    p.n_ctx = 512;
    p.n_seq_max = 4;
    return estimate_memory(moe_toy, machine{}, p);
}();
static_assert(est4->n_ctx_seq == 256 && est4->n_ctx == 1024 && est4->n_stream == 4);
static_assert(est4->kv() == 2ull * 2 * (2 * 16 * 2) * 256 * 4);

// quantized V without flash attention is refused, as llama.cpp refuses it
constexpr auto refused = [] {
    launch_params p;
    p.type_v = ggml_type::q8_0;
    p.flash_attn = flash_attn_mode::off;
    return estimate_memory(moe_toy, machine{}, p).error().code;
}();
static_assert(refused == errc::invalid_combination);

// placement: one GPU, -ngl 2 puts the last layer and the output layer on it
constexpr std::array<device, 1> one_gpu{device{"gpu", backend::cuda, 8ull << 30, 8ull << 30}};
constexpr auto lp = [] {
    launch_params p;
    p.n_gpu_layers = 2;
    return place_layers(toy_hparams, machine{host{}, one_gpu}, p);
}();
static_assert(lp->of(0) == host_device && lp->of(1) == 0 && lp->output() == 0 && lp->n_gpu_layers == 2);

// -ot regexes are compiled and matched at compile time
static_assert(detail::regex::compile("blk\\.[0-9]+\\.ffn_(up|down)_exps")->search("blk.12.ffn_up_exps.weight"));
static_assert(!detail::regex::compile("^output").value().search("blk.0.output"));
static_assert(!detail::regex::compile("(unclosed").has_value());

// a draft model's flags are parsed at compile time, and its context takes the target's resolved n_ctx
static_assert([] {
    constexpr std::array<std::string_view, 10> v{"-m", "t.gguf", "-md", "d.gguf", "-ctkd", "q8_0", "--spec-type",
                                                 "draft-simple", "-np", "2"};
    const auto a = parse_server_args(v);
    if (!a || a->draft_model != "d.gguf" || spec_n_max(a->params.spec) != 3) return false;
    const launch_params d = draft_launch_params(a->params, a->draft, 8192);
    return d.n_ctx == 8192 && d.type_k == ggml_type::q8_0 && d.type_v == ggml_type::f16 && d.n_outputs_max == 2;
}());

}  // namespace
