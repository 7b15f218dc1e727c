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
