// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_COMPUTE_MLA_HPP
#define LLAMAPLAN_COMPUTE_MLA_HPP

#include <llamaplan/config.hpp>

// The compute graph of multi-head latent attention models (graph_family::mla).

#include <llamaplan/compute/blocks.hpp>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::detail::compute {

/// DeepSeek-2/3 style MLA (src/models/deepseek2.cpp, the absorbed path taken when key_length_mla / value_length_mla
/// are present): q = q_b(rms_norm(q_a(x))) (or wq), q_nope absorbed through wk_b, q_pe roped, Qcur = concat; the K-only
/// cache stores concat(rms_norm(kv_cmpr), rope(k_pe)) and V is a view of it (src/llama-graph.cpp build_attn with a
/// llm_graph_input_attn_k, build_attn_mha with v_mla = wv_b). Dense FFN on the first n_layer_dense_lead blocks, then
/// build_moe_ffn (softmax gating) plus the shared expert.
/// `skip_repeats`: the alike MoE blocks are replayed only until the allocator reaches a steady state (block_skipper;
/// the figures are the same; false replays every block, for the test that says so).
[[nodiscard]] constexpr compute_breakdown mla_graph(const model& m, const compute_shape& s, bool skip_repeats = true) noexcept {
    const hparams& hp = m.hp;
    const arch_traits at = traits(arch_of(hp));
    compute_breakdown bd{};
    bd.graph = graph_family::mla;
    const graph_dims d = dims_of(hp, s);
    const std::uint64_t f32 = 4, E = d.E, T = d.T;
    const std::uint64_t H = hp.n_head;
    const std::uint64_t kv_lora = hp.n_lora_kv;
    const std::uint64_t hk = hp.n_embd_head_k_mla, hv = hp.n_embd_head_v_mla;
    // rope part: attn_kv_a_mqa has kv_lora_rank + n_rot rows; else key_length (= kv_lora_rank + n_rot) - kv_lora_rank
    std::uint64_t n_rot = hp.n_embd_head_k > kv_lora ? hp.n_embd_head_k - kv_lora : 0;
    if (const tensor_info* t = find_layer_tensor(m, 0, "attn_kv_a_mqa.weight"); t != nullptr && t->ne[1] > kv_lora)
        n_rot = t->ne[1] - kv_lora;
    const std::uint64_t hqk = kv_lora + n_rot;  // absorbed query / key head size
    // the shared experts' width: every MoE block's ffn_up_shexp is {n_embd, n_ff_exp * n_expert_shared}
    // (models/deepseek2.cpp load_arch_tensors), so the first one tells them all (looked up once: a name search per
    // block was a quarter of a plan's time)
    const tensor_info* shexp_up = find_layer_tensor(m, hp.n_layer_dense_lead, "ffn_up_shexp.weight");

    graph_sim g{};
    // inputs: inp_tokens, unused inp_embd, inp_pos (2 ropes per layer), k_idxs (K-only cache: no v_idxs), the KQ
    // mask, out_ids
    const int tokens = g.fresh(T * 4, 1);
    g.fresh(E * T * f32, 0);
    const int pos = g.fresh(T * 4, 2 * hp.n_layer);
    const int k_idxs = g.fresh(T * 8, hp.n_layer);
    const std::uint64_t mb = d.n_kv * T * d.mask_es;
    const int mask = g.fresh(mb, hp.n_layer);
    const int out_ids = g.fresh(d.n_out * 4, 2);
    bd.kq_mask = mb;
    bd.inputs = T * 4 + E * T * f32 + T * 4 + T * 8 + mb + d.n_out * 4;

    int inpL = g.node(E * T * f32, 1, {tokens});
    std::uint64_t last_max = 0;
    // steady state: the MoE blocks before the last, with one FFN width, are alike
    block_skipper skip{hp.n_layer - 1, hp.n_layer - 1};
    if (skip_repeats && hp.n_expert != 0 && hp.n_layer > hp.n_layer_dense_lead + 3) {
        skip.from = hp.n_layer - 2;
        while (skip.from > hp.n_layer_dense_lead && hp.ff_length(skip.from - 1) == hp.ff_length(hp.n_layer - 2)) --skip.from;
    }
    for (std::uint32_t il = 0; il < hp.n_layer; ++il) {
        il = skip.at(g, il, inpL, {pos, k_idxs, mask});
        const bool last = il + 1 == hp.n_layer;
        g.t[inpL].refs = 2;
        int cur = g.node(E * T * f32, 1, {inpL}, true);
        cur = g.node(E * T * f32, 2, {cur}, true);  // attn_norm: read by q_a (or wq) and kv_a_mqa
        int q = -1;
        if (hp.n_lora_q != 0) {
            q = g.node(hp.n_lora_q * T * f32, 1, {cur});  // q_a
            q = g.node(hp.n_lora_q * T * f32, 1, {q}, true);  // rms_norm, in place
            q = g.node(hp.n_lora_q * T * f32, 1, {q}, true);  // * attn_q_a_norm
            q = g.node(hk * H * T * f32, 2, {q});            // q_b; read as q_nope and q_pe views
        } else {
            q = g.node(hk * H * T * f32, 2, {cur});
        }
        const int qa = g.node(kv_lora * T * H * f32, 1, {q});      // wk_b x q_nope (absorbed): {kv_lora, T, H}
        const int qpe = g.node(n_rot * H * T * f32, 1, {q, pos});  // rope of the q_pe view: fresh
        const int Q = g.node(hqk * H * T * f32, 1, {qa, qpe});     // concat
        const int kvpe = g.node(hqk * T * f32, 2, {cur});          // kv_a_mqa; read as kv_cmpr and k_pe views
        int kv = g.node(kv_lora * T * f32, 1, {kvpe});             // rms_norm of the kv_cmpr view: fresh
        kv = g.node(kv_lora * T * f32, 1, {kv}, true);             // * attn_kv_a_norm
        const int kpe = g.node(n_rot * T * f32, 1, {kvpe, pos});   // rope of the k_pe view
        const int K = g.node(hqk * T * f32, 1, {kv, kpe});         // concat
        g.release(K); g.release(k_idxs);                           // set_rows into the K cache
        if (d.fa) {
            // flash_attn_ext: {kv_lora, H, T}; then wv_b x permute -> {hv, T, H}; cont
            const int o = g.node(kv_lora * H * T * f32, 1, {Q, mask});
            const int vm = g.node(hv * T * H * f32, 1, {o});
            cur = g.node(hv * H * T * f32, 1, {vm});
        } else {
            // V = cont(transpose(view of the K cache)): {n_kv, kv_lora} per stream in the cache type, allocated
            // first (src0 of kqv); kq {n_kv, T, H} F32, soft_max in place, kqv, wv_b, cont
            const std::uint64_t streams = s.n_stream == 0 ? 1 : s.n_stream;
            const int vc = g.fresh(row_size(s.type_k, d.n_kv) * kv_lora * streams, 1);
            const std::uint64_t kq = d.n_kv * T * H * f32;
            if (kq > bd.attn_scores) bd.attn_scores = kq;
            int s1 = g.node(kq, 1, {Q});
            s1 = g.node(kq, 1, {s1, mask}, true);
            s1 = g.node(kv_lora * T * H * f32, 1, {vc, s1});
            s1 = g.node(hv * T * H * f32, 1, {s1});
            cur = g.node(hv * H * T * f32, 1, {s1});
        }
        cur = g.node(E * T * f32, 1, {cur});  // wo
        std::uint64_t To = T;
        int res = inpL;
        if (last) {
            To = d.n_out;
            cur = g.node(E * To * f32, 1, {cur, out_ids});
            res = g.node(E * To * f32, 1, {inpL, out_ids});
        }
        const int ffn_inp = g.node_any(E * To * f32, 2, {cur, res}, 0b11u);
        cur = g.node(E * To * f32, 1, {ffn_inp}, true);
        cur = g.node(E * To * f32, 1, {cur}, true);
        if (il < hp.n_layer_dense_lead || hp.n_expert == 0) {
            inpL = dense_ffn_residual(g, cur, ffn_inp, E, hp.ff_length(il), To, bd);
        } else {
            moe_params mp{};
            mp.n_expert = hp.n_expert;
            mp.n_used = hp.n_expert_used;
            mp.n_ff_exp = hp.n_ff_exp != 0 ? hp.n_ff_exp : hp.ff_length(il);
            std::uint64_t Fs = hp.n_ff_shexp != 0 ? hp.n_ff_shexp : mp.n_ff_exp * hp.n_expert_shared;
            if (shexp_up != nullptr) Fs = shexp_up->ne[1];
            mp.n_ff_shexp = hp.n_expert_shared > 0 ? Fs : 0;
            mp.norm_w = at.moe_norm_weights;  // deepseek2: expert_weights_norm (not in the synthetic files)
            g.t[cur].refs = mp.n_ff_shexp > 0 ? 5 : 3;  // router, up_exps, gate_exps (+ shared gate, up)
            const int moe = moe_ffn(g, cur, E, To, mp, bd);
            inpL = g.node_any(E * To * f32, 1, {moe, ffn_inp}, 0b11u);
        }
        track_peak(g, last_max, il, bd);
    }
    output_head(g, inpL, hp, d, last_max, bd);
    return bd;
}


}  // namespace llamaplan::detail::compute

#endif  // LLAMAPLAN_COMPUTE_MLA_HPP
