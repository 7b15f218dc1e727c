// SPDX-License-Identifier: MIT
// Compute-buffer model (include/llamaplan/compute.hpp) pinned on hand-built models; the measured llama.cpp rows
// are checked through the whole estimator in tests/accuracy/test_accuracy.cpp.
#include <llamaplan/compute.hpp>

#include <doctest/doctest.h>

#include <array>

namespace {

using namespace llamaplan;

constexpr std::array<tensor_info, 1> no_tensors{};

// A llama-2 shaped toy: 2 blocks, n_embd 64, 4 heads of 16, n_ff 128, 1000-token vocabulary.
constexpr hparams toy_hp() {
    hparams hp{};
    hp.architecture = "llama";
    hp.n_layer = 2;
    hp.n_embd = 64;
    hp.n_vocab = 1000;
    hp.n_head = 4;
    hp.n_head_kv = 4;
    hp.n_ff = 128;
    hp.n_embd_head_k = 16;
    hp.n_embd_head_v = 16;
    return hp;
}
constexpr model toy{toy_hp(), std::span<const tensor_info>(no_tensors.data(), 0)};

constexpr compute_shape toy_shape(std::uint32_t n_tokens, std::uint32_t n_kv, bool fa, std::uint32_t n_outputs = 1) {
    compute_shape s{};
    s.n_tokens = n_tokens;
    s.n_outputs = n_outputs;
    s.n_seqs = 1;
    s.n_stream = 1;
    s.n_kv = n_kv;
    s.flash_attn = fa;
    return s;
}

// Hand count, flash attention, 8 tokens, 32 cells, 1 output (all sizes rounded up to 32 bytes):
// inputs: tokens 32 + inp_embd 2048 + pos 32 + k_idxs 64 + v_idxs 64 + mask (32x8 f16) 512 + out_ids 32 = 2784;
// block: residual 2048, normed 2048, Q 2048, V 2048, K 2048 live together at the K projection -> the peak is
// 2784 + 2048 (inpL) + 2048 (norm) + 3 x 2048 (Q, V, K) = 12976 minus what earlier frees let the allocator reuse.
// The allocator replay gives 17120 (also checked with tools/compute_fit.py).
static_assert(compute_buffer_cpu(toy, toy_shape(8, 32, true)) == 17120u);
// the FA mask is F16 n_kv x n_tokens: 32 more cells cost 32 * 8 * 2 bytes
static_assert(compute_buffer_cpu(toy, toy_shape(8, 64, true)) - compute_buffer_cpu(toy, toy_shape(8, 32, true)) ==
              32 * 8 * 2);
// without FA the F32 scores n_kv x n_tokens x n_head dominate
static_assert(compute_buffer_cpu_breakdown(toy, toy_shape(8, 4096, false)).attn_scores == 4096ull * 8 * 4 * 4);
static_assert(compute_buffer_cpu_breakdown(toy, toy_shape(8, 32, true)).ok);
// Mamba-2 toy shaped like tests/data/extra's mamba2-3L-256 (no tensor list, so no gated ssm_norm): 3 recurrent layers.
constexpr hparams mamba2_hp() {
    hparams hp{};
    hp.architecture = "mamba2";
    hp.memory = memory_kind::recurrent;
    hp.n_layer = 3;
    hp.n_embd = 256;
    hp.n_vocab = 6000;
    hp.ssm_d_conv = 4;
    hp.ssm_d_inner = 512;
    hp.ssm_d_state = 64;
    hp.ssm_dt_rank = 8;
    hp.ssm_n_group = 1;
    return hp;
}
constexpr model mamba2_toy{mamba2_hp(), std::span<const tensor_info>(no_tensors.data(), 0)};
// the allocator replay (ssm_in output 1160 x 512 f32 and the concat / ssm_conv / ssm_scan outputs dominate); the peak
// comes before the gated norm, so this equals llama.cpp's 7774784 bytes (7.41 MiB) for the real model, as does -np 4
// (8206400 bytes, measured 7.83 MiB) -- traced allocation by allocation against ggml-alloc.c
static_assert(compute_buffer_cpu(mamba2_toy, toy_shape(512, 0, true)) == 7774784u);
// no KV cache: attention settings do not matter; more sequences widen the state gathers and the scan's states
static_assert(compute_buffer_cpu(mamba2_toy, toy_shape(512, 0, false)) == compute_buffer_cpu(mamba2_toy, toy_shape(512, 0, true)));
static_assert(compute_buffer_cpu_breakdown(mamba2_toy, toy_shape(512, 0, true)).ok);

// RWKV toys shaped like tests/data/extra's rwkv6-4L-512 and rwkv7-4L-512; the LoRA ranks and the optional parts
// (time_mix_first, time_mix_ln, the gate LoRA) come from the tensor list
// (RWKV-6: time_mix_w1 of 5 x 32 rows, time_mix_decay_w1 of 64; RWKV-7: decay 64, iclr 64, value residual 32, gate 128)
constexpr hparams rwkv_hp(const char* arch, std::uint32_t n_ff) {
    hparams hp{};
    hp.architecture = arch;
    hp.memory = memory_kind::recurrent;
    hp.n_layer = 4;
    hp.n_embd = 512;
    hp.n_vocab = 8000;
    hp.n_ff = n_ff;
    hp.wkv_head_size = 64;
    return hp;
}
constexpr tensor_info lora(std::string_view name, std::uint64_t rank) {
    tensor_info t{};
    t.name = name;
    t.type = ggml_type::f16;
    t.ne = {512, rank, 1, 1};
    t.n_dims = 2;
    return t;
}
constexpr tensor_info vec(std::string_view name) {  // only its presence matters to the graph
    tensor_info t{};
    t.name = name;
    t.ne = {512, 1, 1, 1};
    return t;
}
// RWKV-6: time_mix_first present (ggml_rwkv_wkv6 and the group norm); rwkv6qwen2's qrwkv layers have neither
constexpr std::array<tensor_info, 16> rwkv6_tensors{
    lora("blk.0.time_mix_w1.weight", 160), lora("blk.0.time_mix_decay_w1.weight", 64),
    vec("blk.0.time_mix_first.weight"), vec("blk.0.time_mix_ln.weight"),
    lora("blk.1.time_mix_w1.weight", 160), lora("blk.1.time_mix_decay_w1.weight", 64),
    vec("blk.1.time_mix_first.weight"), vec("blk.1.time_mix_ln.weight"),
    lora("blk.2.time_mix_w1.weight", 160), lora("blk.2.time_mix_decay_w1.weight", 64),
    vec("blk.2.time_mix_first.weight"), vec("blk.2.time_mix_ln.weight"),
    lora("blk.3.time_mix_w1.weight", 160), lora("blk.3.time_mix_decay_w1.weight", 64),
    vec("blk.3.time_mix_first.weight"), vec("blk.3.time_mix_ln.weight"),
};
constexpr std::array<tensor_info, 8> qrwkv6_tensors{
    lora("blk.0.time_mix_w1.weight", 160), lora("blk.0.time_mix_decay_w1.weight", 64),
    lora("blk.1.time_mix_w1.weight", 160), lora("blk.1.time_mix_decay_w1.weight", 64),
    lora("blk.2.time_mix_w1.weight", 160), lora("blk.2.time_mix_decay_w1.weight", 64),
    lora("blk.3.time_mix_w1.weight", 160), lora("blk.3.time_mix_decay_w1.weight", 64)};
constexpr std::array<tensor_info, 20> rwkv7_tensors{
    lora("blk.0.time_mix_w1.weight", 64), lora("blk.0.time_mix_a1.weight", 64),
    lora("blk.0.time_mix_v1.weight", 64), lora("blk.0.time_mix_g1.weight", 128), vec("blk.0.time_mix_ln.weight"),
    lora("blk.1.time_mix_w1.weight", 64), lora("blk.1.time_mix_a1.weight", 64),
    lora("blk.1.time_mix_v1.weight", 32), lora("blk.1.time_mix_g1.weight", 128), vec("blk.1.time_mix_ln.weight"),
    lora("blk.2.time_mix_w1.weight", 64), lora("blk.2.time_mix_a1.weight", 64),
    lora("blk.2.time_mix_v1.weight", 32), lora("blk.2.time_mix_g1.weight", 128), vec("blk.2.time_mix_ln.weight"),
    lora("blk.3.time_mix_w1.weight", 64), lora("blk.3.time_mix_a1.weight", 64),
    lora("blk.3.time_mix_v1.weight", 32), lora("blk.3.time_mix_g1.weight", 128), vec("blk.3.time_mix_ln.weight"),
};
constexpr model rwkv6_toy{rwkv_hp("rwkv6", 1792), std::span<const tensor_info>(rwkv6_tensors)};
constexpr model rwkv7_toy{rwkv_hp("rwkv7", 2048), std::span<const tensor_info>(rwkv7_tensors)};
// rwkv6qwen2 / arwkv7 (rwkv6qwen2-4L-512, arwkv7-4L-512): the same time mixes, one token shift, a SwiGLU FFN of 1408
constexpr hparams rwkv_qwen2_hp(const char* arch) {
    hparams hp = rwkv_hp(arch, 1408);
    hp.token_shift_count = 1;
    return hp;
}
constexpr model rwkv6qwen2_toy{rwkv_qwen2_hp("rwkv6qwen2"), std::span<const tensor_info>(qrwkv6_tensors)};
constexpr model arwkv7_toy{rwkv_qwen2_hp("arwkv7"), std::span<const tensor_info>(rwkv7_tensors)};
constexpr compute_shape rwkv_shape(std::uint32_t n_seqs) {
    compute_shape s = toy_shape(512, 0, true, n_seqs);
    s.n_seqs = n_seqs;
    return s;
}
// llama.cpp's reserve (-c 4096 -ub 512, -np 1 and -np 2), traced allocation by allocation: 14.26 / 14.51 MiB for
// RWKV-6, 19.38 / 19.63 MiB for RWKV-7; the state gathers and the wkv states grow with the sequences
static_assert(compute_buffer_cpu(rwkv6_toy, rwkv_shape(1)) == 14948416u);
static_assert(compute_buffer_cpu(rwkv6_toy, rwkv_shape(2)) == 15214656u);
static_assert(compute_buffer_cpu(rwkv7_toy, rwkv_shape(1)) == 20322368u);
static_assert(compute_buffer_cpu(rwkv7_toy, rwkv_shape(2)) == 20588608u);
static_assert(compute_buffer_cpu(rwkv6qwen2_toy, rwkv_shape(1)) == 14223424u);  // 13.56 MiB
static_assert(compute_buffer_cpu(rwkv6qwen2_toy, rwkv_shape(2)) == 14489664u);  // 13.82 MiB
static_assert(compute_buffer_cpu(arwkv7_toy, rwkv_shape(1)) == 19400768u);      // 18.50 MiB
static_assert(compute_buffer_cpu(arwkv7_toy, rwkv_shape(2)) == 19802176u);      // 18.88 MiB
static_assert(compute_buffer_cpu_breakdown(rwkv7_toy, rwkv_shape(1)).graph == graph_family::rwkv);
// the channel mix's key projection (n_ff x n_tokens f32) is the widest FFN intermediate
static_assert(compute_buffer_cpu_breakdown(rwkv6_toy, rwkv_shape(1)).ffn_hidden == 1792ull * 512 * 4);
// Qwen3-Next toy with the hparams of tests/data/extra's qwen3next-6L-256: layers 2 and 5 attend (4 heads x 128, 2 KV
// heads), the others are gated delta-net layers (4 V heads and 2 K heads of 64, conv kernel 4); 8 experts, 2 used, a
// shared expert of 256. The graph reads no tensor list (every qwen3next block has the routed and the gated shared
// expert). llama.cpp's traced ggml-alloc high-water marks for this model at -ub 512 -c 4096: 10006592 bytes with
// flash attention (9.54 MiB printed), 48275520 without (46.04 MiB).
constexpr std::array<std::uint8_t, 6> q3n_recurrent{1, 1, 0, 1, 1, 0};
constexpr hparams qwen3next_hp() {
    hparams hp{};
    hp.architecture = "qwen3next";
    hp.memory = memory_kind::hybrid;
    hp.recurrent_layers = std::span<const std::uint8_t>(q3n_recurrent.data(), q3n_recurrent.size());
    hp.n_layer = 6;
    hp.n_embd = 256;
    hp.n_vocab = 6000;
    hp.n_head = 4;
    hp.n_head_kv = 2;
    hp.n_embd_head_k = 128;
    hp.n_embd_head_v = 128;
    hp.n_ff = 512;
    hp.n_expert = 8;
    hp.n_expert_used = 2;
    hp.n_ff_exp = 128;
    hp.n_ff_shexp = 256;
    hp.ssm_d_conv = 4;
    hp.ssm_d_inner = 256;
    hp.ssm_d_state = 64;
    hp.ssm_dt_rank = 4;
    hp.ssm_n_group = 2;
    return hp;
}
constexpr model qwen3next_toy{qwen3next_hp(), std::span<const tensor_info>(no_tensors.data(), 0)};
static_assert(compute_buffer_cpu(qwen3next_toy, toy_shape(512, 4096, true)) == 10006592u);
static_assert(compute_buffer_cpu(qwen3next_toy, toy_shape(512, 4096, false)) == 48275520u);
static_assert(compute_buffer_cpu_breakdown(qwen3next_toy, toy_shape(512, 4096, true)).graph == graph_family::delta_net);
// the same blocks as Qwen3.5-MoE with 8 heads x 64 (tests/data/extra's qwen35moe-6L-256): ssm_alpha / ssm_beta, the
// K heads left unrepeated and IMRoPE's 4 positions per token; llama.cpp's traced high-water mark: 10012736 bytes
constexpr hparams qwen35moe_hp() {
    hparams hp = qwen3next_hp();
    hp.architecture = "qwen35moe";
    hp.n_head = 8;
    hp.n_embd_head_k = 64;
    hp.n_embd_head_v = 64;
    return hp;
}
constexpr model qwen35moe_toy{qwen35moe_hp(), std::span<const tensor_info>(no_tensors.data(), 0)};
static_assert(compute_buffer_cpu(qwen35moe_toy, toy_shape(512, 4096, true)) == 10012736u);

// MLA toy shaped like deepseek2-mla-3L (q_lora 192, kv_lora 128, rope 32, k_mla 96, v_mla 64), all-dense blocks.
constexpr hparams mla_hp() {
    hparams hp{};
    hp.architecture = "deepseek2";
    hp.n_layer = 2;
    hp.n_embd = 384;
    hp.n_vocab = 6000;
    hp.n_head = 4;
    hp.n_head_kv = 1;
    hp.n_ff = 768;
    hp.n_embd_head_k = 160;
    hp.n_embd_head_v = 128;
    hp.n_lora_q = 192;
    hp.n_lora_kv = 128;
    hp.n_embd_head_k_mla = 96;
    hp.n_embd_head_v_mla = 64;
    return hp;
}
constexpr model mla_toy{mla_hp(), std::span<const tensor_info>(no_tensors.data(), 0)};
// the peak is in a dense block (the dense FFN of the 3-layer model's lead block), so this equals llama.cpp's
// 11804704 bytes (11.26 MiB) for deepseek2-mla-3L with flash attention; without it the F32 scores dominate
static_assert(compute_buffer_cpu(mla_toy, toy_shape(512, 4096, true)) == 11804704u);
static_assert(compute_buffer_cpu_breakdown(mla_toy, toy_shape(512, 4096, false)).attn_scores == 4096ull * 512 * 4 * 4);

// Gemma-3n shaped like tests/data/extra's gemma3n-25L-256 (hparams only): 25 blocks, SWA on 4 of every 5, layers 20+
// reusing earlier KV (n_layer_kv_from_start 20), 4096 cells for full attention, window 256 + 512 tokens = 768 SWA cells.
constexpr std::array<std::uint8_t, 25> gemma3n_swa = [] {
    std::array<std::uint8_t, 25> a{};
    for (std::size_t il = 0; il < a.size(); ++il) a[il] = il % 5 < 4 ? 1 : 0;
    return a;
}();
constexpr hparams gemma3n_hp() {
    hparams hp{};
    hp.architecture = "gemma3n";
    hp.n_layer = 25;
    hp.n_embd = 256;
    hp.n_vocab = 2048;
    hp.n_head = 4;
    hp.n_head_kv = 2;
    hp.n_ff = 512;
    hp.n_embd_head_k = 128;
    hp.n_embd_head_v = 128;
    hp.n_swa = 256;
    hp.swa_layers = gemma3n_swa;
    hp.n_layer_kv_from_start = 20;
    return hp;
}
constexpr model gemma3n_toy{gemma3n_hp(), std::span<const tensor_info>(no_tensors.data(), 0)};
constexpr compute_shape gemma3n_shape(bool fa) {
    compute_shape s = toy_shape(512, 4096, fa);
    s.n_kv_swa = 768;
    return s;
}
// llama.cpp's high-water marks for gemma3n-25L-256 at -c 4096 -ub 512 (55.77 / 62.51 MiB), traced allocation by
// allocation with ggml-alloc.c: with FA the peak is block 0's per-layer input projection (three 25 x 256 x 512 f32
// tensors live at once), without it the scores of the full-attention layers
static_assert(compute_buffer_cpu(gemma3n_toy, gemma3n_shape(true)) == 58480672u);
static_assert(compute_buffer_cpu(gemma3n_toy, gemma3n_shape(false)) == 65550368u);
static_assert(compute_buffer_cpu_breakdown(gemma3n_toy, gemma3n_shape(true)).graph == graph_family::gemma3n);
}  // namespace

TEST_CASE("compute buffer: toy model properties") {
    const auto fa = compute_buffer_cpu_breakdown(toy, toy_shape(8, 32, true));
    CHECK(fa.total == 17120u);
    CHECK(fa.kq_mask == 32 * 8 * 2);
    CHECK(fa.logits == 1000 * 4);
    CHECK(fa.attn_scores == 0);
    CHECK(fa.ffn_hidden == 128 * 8 * 4);
    // more tokens never shrink the buffer; a whole-batch logits reservation dominates a small model
    CHECK(compute_buffer_cpu(toy, toy_shape(16, 32, true)) > fa.total);
    const auto many_out = compute_buffer_cpu_breakdown(toy, toy_shape(8, 32, true, 8));
    CHECK(many_out.total >= many_out.logits);
    CHECK(many_out.peak_layer == toy.hp.n_layer);
}

TEST_CASE("the allocator replay reports running out of live-tensor slots instead of a silent lower bound") {
    detail::compute::graph_sim g{};
    for (int i = 0; i < detail::compute::max_live; ++i) g.fresh(64, 1);
    CHECK(g.ok);
    g.fresh(64, 1);  // one more live tensor than the replay holds
    CHECK_FALSE(g.ok);
}

TEST_CASE("the compute graph follows the architecture table; a model naming no architecture gets no figure") {
    CHECK(compute_buffer_cpu_breakdown(toy, toy_shape(8, 32, true)).graph == graph_family::decoder);
    CHECK(compute_buffer_cpu_breakdown(mla_toy, toy_shape(8, 32, true)).graph == graph_family::mla);
    CHECK(compute_buffer_cpu_breakdown(mamba2_toy, toy_shape(8, 0, true)).graph == graph_family::mamba_hybrid);
    hparams hp = toy_hp();
    hp.architecture = {};
    const model anon{hp, std::span<const tensor_info>(no_tensors.data(), 0)};
    const auto none = compute_buffer_cpu_breakdown(anon, toy_shape(8, 32, true));
    CHECK(none.status == compute_status::unknown_architecture);
    CHECK_FALSE(none.ok);
    CHECK(none.total == 0);
    hp.id = arch::generic;  // the explicit choice: the standard decoder graph, marked as not validated
    const model gen{hp, std::span<const tensor_info>(no_tensors.data(), 0)};
    const auto g = compute_buffer_cpu_breakdown(gen, toy_shape(8, 32, true));
    CHECK(g.ok);
    CHECK(g.graph == graph_family::approximate);
    CHECK(g.total == 17120u);  // the same replay as llama's
    hp.architecture = "lfm2";  // a known architecture without its own graph yet
    hp.id = arch::unknown;
    const model rw{hp, std::span<const tensor_info>(no_tensors.data(), 0)};
    CHECK(compute_buffer_cpu_breakdown(rw, toy_shape(8, 32, true)).graph == graph_family::approximate);
}
