// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_COMPUTE_DELTA_NET_HPP
#define LLAMAPLAN_COMPUTE_DELTA_NET_HPP

#include <llamaplan/config.hpp>

// The compute graph of Qwen3-Next and Qwen3.5 (graph_family::delta_net): gated delta-net layers with full attention on
// every full_attention_interval-th layer, a gated Q, and a MoE whose shared expert has its own sigmoid gate (qwen3next,
// qwen35moe) or a dense FFN (qwen35).

#include <llamaplan/compute/blocks.hpp>
#include <llamaplan/compute/ssm_hybrid.hpp>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::detail::compute {

/// The sizes of a gated delta-net layer (src/models/qwen3next.cpp build_layer_attn_linear) in a reserved ubatch.
struct delta_net_dims {
    std::uint64_t T = 0, n_seqs = 1;
    std::uint64_t d_conv = 0;      ///< ssm.conv_kernel
    std::uint64_t head_k = 0;      ///< ssm.state_size: head size of Q, K and V
    std::uint64_t n_k_heads = 0;   ///< ssm.group_count
    std::uint64_t n_v_heads = 0;   ///< ssm.time_step_rank
    std::uint64_t key_dim = 0;     ///< head_k x n_k_heads
    std::uint64_t value_dim = 0;   ///< head_v x n_v_heads (head_v = ssm.inner_size / n_v_heads)
    std::uint64_t head_v = 0;      ///< S_v of ggml_gated_delta_net
    std::uint64_t conv_dim = 0;    ///< conv channels: Q, K and V (2 key_dim + value_dim)
};
[[nodiscard]] constexpr delta_net_dims delta_net_dims_of(const hparams& hp, const graph_dims& d) noexcept {
    delta_net_dims dn{};
    dn.T = d.T;
    dn.n_seqs = d.n_seqs;
    dn.d_conv = hp.ssm_d_conv;
    dn.head_k = hp.ssm_d_state;
    dn.n_k_heads = hp.ssm_n_group == 0 ? 1 : hp.ssm_n_group;
    dn.n_v_heads = hp.ssm_dt_rank == 0 ? 1 : hp.ssm_dt_rank;
    dn.key_dim = dn.head_k * dn.n_k_heads;
    dn.head_v = hp.ssm_d_inner / dn.n_v_heads;
    dn.value_dim = dn.head_v * dn.n_v_heads;
    dn.conv_dim = 2 * dn.key_dim + dn.value_dim;
    return dn;
}

/// Whether llama.cpp runs a delta-net layer on the CPU as one fused ggml_gated_delta_net (build_delta_net_fused)
/// rather than build_delta_net_chunking's graph. llama_context's constructor sets cparams.fused_gdn_ar and
/// fused_gdn_ch with auto_fgdn; resolve_fused_ops (src/llama-context.cpp) reserves a probe graph per mode and turns a
/// mode off only when some LLM_FUSED_OP_GDN_* node lands on another device than its layer (model.dev_layer), i.e. when
/// the layer's backend lacks the op. ggml_backend_cpu_device_supports_op (ggml-cpu.cpp) has no case refusing
/// GGML_OP_GATED_DELTA_NET, so on the CPU both modes stay fused (llama.cpp logs "fused Gated Delta Net
/// (autoregressive) enabled" and "(chunked) enabled"). The chunked graph is not replayed.
inline constexpr bool cpu_fuses_gated_delta_net = true;

/// How a model's delta-net layer differs from qwen3next's default (arch_traits, and the file's tensors).
struct delta_net_variant {
    bool split_beta_alpha = false;   ///< arch_traits::gdn_split_beta_alpha
    bool repeat_when_fused = false;  ///< arch_traits::gdn_repeat_when_fused
    bool legacy_ssm_in = false;      ///< the layer has ssm_in and no attn_qkv (qwen3next build_qkvz's legacy path)
};

/// build_layer_attn_linear (src/models/qwen3next.cpp, qwen35.cpp, qwen35moe.cpp) with build_conv_state and
/// build_recurrent_attn of src/models/delta-net-base.cpp, on the normed input `cur` (its readers left: attn_qkv,
/// ssm_ba -- or ssm_alpha and ssm_beta with `split_beta_alpha` --, attn_gate).
/// Node order (first expansion: the cpy of the last conv columns; then the cpy of the new state, whose DFS walks
/// ggml_gated_delta_net's sources q, k, v, g, beta, state in that order; the rest is pulled in by the caller):
/// - build_rs(conv states): get_rows of n_seqs rows of n_embd_r (its "extra" get_rows is empty);
/// - attn_qkv mul_mat -- or, legacy files (ssm_in, no attn_qkv), the ssm_in mul_mat {2 key_dim + 2 value_dim}, the
///   ggml_cont_3d of its query, key and value views and two concats; its z view is cont'ed only when the gated norm
///   needs it, so the ssm_in output lives through the whole layer --; concat(conv states, transpose(qkv))
///   {d_conv - 1 + n_seq_tokens, conv_dim, n_seqs}, read by the cpy of its last columns and by ssm_conv;
/// - build_rs(ssm states): get_rows of n_seqs rows of n_embd_s;
/// - ssm_conv; silu in place (Q, K, V are views of it); l2_norm of the Q view (fresh: L2_NORM is not in
///   ggml_op_can_inplace) and, with fewer K than V heads and `repeat_when_fused`, ggml_repeat_4d to the V heads;
///   the same for K;
/// - ssm_ba mul_mat; cont of the alpha view, + ssm_dt bias, softplus, * ssm_a (in place); cont of the beta view,
///   sigmoid (in place) -- or (qwen35*) the ssm_alpha and ssm_beta chains, each on its own mul_mat;
/// - ggml_gated_delta_net: F32 {S_v H_v, T + S_v n_seqs} (ggml.c: the output rows, then the final states), read by
///   the cpy of the new state and by the rms_norm of the output view.
/// The fused op, not build_delta_net_chunking (cpu_fuses_gated_delta_net). cparams.n_rs_seq is 0 (common/common.h
/// need_n_rs_seq: non-zero only for the draft-mtp / eagle3 / dflash / dspark speculative types, which
/// parse_server_args refuses as not modelled), so build_recurrent_attn keeps one state snapshot (K = 1).
/// Then the tail: rms_norm of the output view (fresh), * ssm_norm, attn_gate mul_mat (the normed input's last
/// reader; legacy: the cont of the z view), silu of its reshape (fresh), the product (in place on the norm) and
/// ssm_out. Returns ssm_out, which its
/// reader sees through a reshape view.
constexpr int delta_net_layer(graph_sim& g, int cur, int s_copy, const delta_net_dims& dn, std::uint64_t n_embd_r,
                              std::uint64_t n_embd_s, std::uint64_t E, const delta_net_variant& v) noexcept {
    const std::uint64_t f32 = 4, T = dn.T, ns = dn.n_seqs;
    const int conv_rows = g.node(n_embd_r * ns * f32, 1, {s_copy});
    g.release(s_copy);                                          // the empty "extra" get_rows
    int qkvz = -1;  // legacy: the ssm_in output, read by the Q, K, V conts and (late) the cont of z
    int qkv = -1;
    if (v.legacy_ssm_in) {
        qkvz = g.node((dn.conv_dim + dn.value_dim) * T * f32, 4, {cur});
        const int qf = g.node(dn.key_dim * T * f32, 1, {qkvz});          // cont_3d of the query view
        const int kf = g.node(dn.key_dim * T * f32, 1, {qkvz});          // key
        const int qk = g.node(2 * dn.key_dim * T * f32, 1, {qf, kf});   // concat
        const int vf = g.node(dn.value_dim * T * f32, 1, {qkvz});        // value
        qkv = g.node(dn.conv_dim * T * f32, 1, {qk, vf});               // concat
    } else {
        qkv = g.node(dn.conv_dim * T * f32, 1, {cur});                  // attn_qkv
    }
    const std::uint64_t n_seq_tokens = T / ns;
    const std::uint64_t conv_cols = (dn.d_conv > 0 ? dn.d_conv - 1 : 0) + n_seq_tokens;
    const int conv_in = g.node(conv_cols * dn.conv_dim * ns * f32, 2, {conv_rows, qkv});
    g.release(conv_in);                                         // cpy of the last d_conv - 1 columns
    const int state = g.node(n_embd_s * ns * f32, 1, {s_copy});
    g.release(s_copy);
    int conv = g.node(dn.conv_dim * T * f32, 1, {conv_in});     // ggml_ssm_conv
    conv = g.node(dn.conv_dim * T * f32, 3, {conv}, true);     // silu; read as Q, K (l2_norm) and V (the op)
    // qwen3next repeats Q and K to the V heads whatever runs the delta net; qwen35* only for the unfused graph
    const bool repeat = dn.n_k_heads != dn.n_v_heads && (v.repeat_when_fused || !cpu_fuses_gated_delta_net);
    auto qk = [&]() {
        int x = g.node(dn.key_dim * T * f32, 1, {conv});       // l2_norm of the view
        if (repeat) x = g.node(dn.head_k * dn.n_v_heads * T * f32, 1, {x});  // ggml_repeat_4d
        return x;
    };
    const int q = qk();
    const int k = qk();
    const std::uint64_t hb = dn.n_v_heads * T * f32;
    int gate = -1, beta = -1;
    if (v.split_beta_alpha) {
        // models/qwen35*.cpp: ssm_alpha, + ssm_dt bias of its reshape (fresh), softplus, * ssm_a; ssm_beta, sigmoid of
        // its reshape (fresh)
        gate = g.node(hb, 1, {cur});
        gate = g.node(hb, 1, {gate});
        gate = g.node(hb, 1, {gate}, true);
        gate = g.node(hb, 1, {gate}, true);
        beta = g.node(hb, 1, {cur});
        beta = g.node(hb, 1, {beta});
    } else {
        const int ba = g.node(2 * hb, 2, {cur});                 // ssm_ba: beta and alpha views
        gate = g.node(hb, 1, {ba});                              // cont of alpha
        gate = g.node(hb, 1, {gate}, true);                      // + ssm_dt bias
        gate = g.node(hb, 1, {gate}, true);                      // softplus
        gate = g.node(hb, 1, {gate}, true);                      // * ssm_a
        beta = g.node(hb, 1, {ba});                              // cont of beta
        beta = g.node(hb, 1, {beta}, true);                      // sigmoid
    }
    const std::uint64_t sv = dn.head_v, hv = dn.n_v_heads;
    const int out = g.node(sv * hv * (T + sv * ns) * f32, 2, {q, k, conv, gate, beta, state});
    g.release(out);                                             // cpy of the new state into the cache
    // build_norm_gated: rms_norm(output view) * ssm_norm, silu(z), product
    int n = g.node(dn.value_dim * T * f32, 1, {out});
    n = g.node(dn.value_dim * T * f32, 1, {n}, true);
    // attn_gate (the normed input's last reader), or the legacy cont of the z view (the ssm_in output's last)
    const int z = g.node(dn.value_dim * T * f32, 1, {v.legacy_ssm_in ? qkvz : cur});
    const int zs = g.node(dn.value_dim * T * f32, 1, {z});      // silu of the reshape view: fresh
    n = g.node(dn.value_dim * T * f32, 1, {n, zs}, true);
    return g.node(E * T * f32, 1, {n});                         // ssm_out
}

/// Qwen3-Next's MoE (src/models/qwen3next.cpp build_layer_ffn) on the normed `cur` (its six readers set by the
/// caller): build_moe_ffn (softmax gating, weights renormalised) without a shared expert, then the shared expert as a
/// parallel-gate build_ffn, its gate ffn_gate_inp_shexp (mul_mat to one value per token, sigmoid in place), the
/// product (in place on the shared expert's output) and its sum with the routed experts (in place on them). Returns
/// the FFN output.
constexpr int qwen3next_moe(graph_sim& g, int cur, std::uint64_t E, std::uint64_t To, const moe_params& mp,
                            compute_breakdown& bd) noexcept {
    const std::uint64_t f32 = 4;
    moe_params routed = mp;
    routed.n_ff_shexp = 0;
    const int moe = moe_ffn(g, cur, E, To, routed, bd);
    const std::uint64_t Fs = mp.n_ff_shexp;
    const int sg = g.node(Fs * To * f32, 1, {cur});
    const int su = g.node(Fs * To * f32, 1, {cur});
    const int sa = g.node(Fs * To * f32, 1, {sg, su});          // swiglu_split
    int sd = g.node(E * To * f32, 1, {sa});                     // ffn_down_shexp
    int gt = g.node(To * f32, 1, {cur});                        // ffn_gate_inp_shexp
    gt = g.node(To * f32, 1, {gt}, true);                       // sigmoid
    sd = g.node(E * To * f32, 1, {sd, gt}, true);               // ffn_shexp * gate
    return g.node(E * To * f32, 1, {moe, sd}, true);            // moe_out + ffn_shexp
}

/// Qwen3-Next (src/models/qwen3next.cpp llama_model_qwen3next::graph) and Qwen3.5 (qwen35.cpp, qwen35moe.cpp: the
/// same block with ssm_alpha / ssm_beta, no Q/K repeat for the fused op, IMRoPE -- ggml_rope_multi, a ROPE op like
/// rope_ext -- and, for qwen35, a dense parallel-gate FFN). Each block expands its attn_norm first, so the
/// blocks run in order, each whole before the next. Per block: attn_norm; a gated delta-net layer (delta_net_layer)
/// or gated attention (build_layer_attn: attn_q of 2 x n_head x head rows whose Q view is rms-normed (fresh), * q_norm
/// and roped in place, V, K (rms_norm of its reshape, fresh; * k_norm, rope in place), the cache writes and the
/// attention as build_attn(llm_graph_input_attn_kv) expands them, then cont of the gate view, sigmoid in place, the
/// product with the attention output (in place on it when it is an own tensor -- KQV's cont_2d --, else on the
/// gate), wo); + the block input (in place); post_attention_norm; the MoE (qwen3next_moe); + the residual. The last
/// block keeps every row (cparams.embeddings_nextn_masked is false unless a caller sets it): output_norm over all of
/// them (res->t_h_nextn, a graph output), then the get_rows of the output rows and the LM head.
///
/// Reserve-time facts as in ssm_hybrid_graph: n_seqs = n_seq_max sequences of T / n_seqs tokens, and build_rs
/// gathers n_seqs state rows. Graph inputs in first-visit order: inp_tokens, the unused inp_embd, then the inputs of
/// the first block's kind (s_copy, or the K rotation, inp_pos, the V rotation, k_idxs, v_idxs and the KQ mask), then
/// the other kind's, then inp_out_ids.
[[nodiscard]] constexpr compute_breakdown delta_net_graph(const model& m, const compute_shape& s) noexcept {
    static_assert(cpu_fuses_gated_delta_net, "only the fused gated delta net is replayed");
    const hparams& hp = m.hp;
    compute_breakdown bd{};
    bd.graph = graph_family::delta_net;
    const graph_dims d = dims_of(hp, s);
    const std::uint64_t f32 = 4, E = d.E, T = d.T;
    const delta_net_dims dn = delta_net_dims_of(hp, d);
    const kv_rotation rot = kv_rotation_of(hp, s);
    const arch_traits at = traits(arch_of(hp));

    std::uint32_t n_recr = 0, n_attn = 0;
    std::uint64_t max_kv_gqa_v = 0;
    for (std::uint32_t il = 0; il < hp.n_layer; ++il) {
        if (hp.is_recurrent(il)) {
            ++n_recr;
        } else {
            ++n_attn;
            if (hp.n_embd_v_gqa(il) > max_kv_gqa_v) max_kv_gqa_v = hp.n_embd_v_gqa(il);
        }
    }

    graph_sim g{};
    const int tokens = g.fresh(T * 4, 1);
    g.fresh(E * T * f32, 0);
    std::uint64_t inputs = T * 4 + E * T * f32;
    const hybrid_inputs in = make_hybrid_inputs(g, hp, d, rot, n_recr, n_attn, max_kv_gqa_v, at.pos_per_embd, inputs, bd);
    const int s_copy = in.s_copy, pos = in.pos, k_idxs = in.k_idxs, v_idxs = in.v_idxs, mask = in.mask;
    const int rot_k = in.rot_k, rot_v = in.rot_v;
    const int out_ids = g.fresh(d.n_out * 4, 1);
    inputs += d.n_out * 4;

    int inpL = g.node(E * T * f32, 1, {tokens});  // get_rows of token_embd
    std::uint64_t last_max = 0;
    for (std::uint32_t il = 0; il < hp.n_layer; ++il) {
        g.t[inpL].refs = 2;                                      // attn_norm and the residual add
        int cur = g.node(E * T * f32, 1, {inpL}, true);          // rms_norm
        const bool recr = hp.is_recurrent(il);
        delta_net_variant dv{};
        dv.split_beta_alpha = at.gdn_split_beta_alpha;
        dv.repeat_when_fused = at.gdn_repeat_when_fused;
        // models/qwen3next.cpp build_qkvz: "if (model.layers[il].wqkv)", else the legacy ssm_in
        dv.legacy_ssm_in = recr && find_layer_tensor(m, il, "attn_qkv.weight") == nullptr &&
                          find_layer_tensor(m, il, "ssm_in.weight") != nullptr;
        // * attn_norm; read by Q, K, V -- or attn_qkv (ssm_in), attn_gate and ssm_ba (ssm_alpha, ssm_beta)
        const std::uint32_t readers = recr ? (dv.legacy_ssm_in ? 1 : 2) + (dv.split_beta_alpha ? 2 : 1) : 3;
        cur = g.node(E * T * f32, readers, {cur}, true);
        bool cur_view = false;  // the mixer output reaches the residual add through a reshape view
        if (recr) {
            cur = delta_net_layer(g, cur, s_copy, dn, hp.n_embd_r(), hp.n_embd_s(), E, dv);
            cur_view = true;
        } else {
            const std::uint64_t H = hp.head_count(il), Hkv = hp.head_count_kv(il);
            const std::uint64_t hd = hp.head_size_k(il), hdv = hp.head_size_v(il);
            const std::uint64_t q_bytes = hd * H * T * f32, k_bytes = hd * Hkv * T * f32, v_bytes = hdv * Hkv * T * f32;
            const int qg = g.node(2 * q_bytes, 2, {cur});        // attn_q: Q and gate views
            int q = g.node(q_bytes, 1, {qg});                    // rms_norm of the Q view: fresh
            q = g.node(q_bytes, 1, {q}, true);                   // * q_norm
            q = g.node(q_bytes, 1, {q, pos}, true);              // rope
            if (rot.k) q = g.node(q_bytes, 1, {rot_k, q});       // Hadamard rotation (mul_mat)
            int v = g.node(v_bytes, 1, {cur});
            if (rot.v) v = g.node(v_bytes, 1, {rot_v, v});
            int k = g.node(k_bytes, 1, {cur});
            k = g.node(k_bytes, 1, {k});                         // rms_norm of the reshape: fresh
            k = g.node(k_bytes, 1, {k}, true);                   // * k_norm
            k = g.node(k_bytes, 1, {k, pos}, true);              // rope
            if (rot.k) k = g.node(k_bytes, 1, {rot_k, k});
            g.release(k); g.release(k_idxs);                     // set_rows into the K cache
            g.release(v); g.release(v_idxs);                     // set_rows into the V cache
            int attn = hybrid_attention(g, q, mask, d, hdv, H, T, bd);
            // the flash-attention output is reshaped (a view); KQV's cont_2d is an own tensor; the V rotation's
            // result is a reshape of its mul_mat (llama-impl.h llama_mul_mat_hadamard)
            bool attn_own = !d.fa;
            if (rot.v) {
                attn = g.node(hdv * H * T * f32, 1, {rot_v, attn});
                attn_own = false;
            }
            int gate = g.node(q_bytes, 1, {qg});                 // cont of the gate view
            gate = g.node(q_bytes, 1, {gate}, true);             // sigmoid
            cur = g.node_any(q_bytes, 1, {attn, gate}, attn_own ? 0b11u : 0b10u);
            cur = g.node(E * T * f32, 1, {cur});                 // wo
        }
        // attn_residual = cur + inpSA, read by post_attention_norm and the closing add
        const int res = g.node_any(E * T * f32, 2, {cur, inpL}, cur_view ? 0b10u : 0b11u);
        cur = g.node(E * T * f32, 1, {res}, true);               // rms_norm (fresh: res has two readers)
        cur = g.node(E * T * f32, 1, {cur}, true);               // * post_attention_norm
        // models/qwen3next.cpp and qwen35moe.cpp load_block_trunk create ffn_gate_inp, the experts, the shared expert
        // (n_ff_shexp, else n_ff) and its gate in every block, all required; qwen35 has a dense FFN (build_ffn)
        if (hp.n_expert > 0) {
            moe_params mp{};
            mp.n_expert = hp.n_expert;
            mp.n_used = hp.n_expert_used;
            mp.n_ff_exp = hp.n_ff_exp != 0 ? hp.n_ff_exp : hp.ff_length(il) / (hp.n_expert_used == 0 ? 1 : hp.n_expert_used);
            mp.gating = at.gating;
            mp.norm_w = at.moe_norm_weights;
            mp.n_ff_shexp = hp.n_ff_shexp != 0 ? hp.n_ff_shexp : hp.ff_length(il);
            g.t[cur].refs = 3 + 3;  // router, gate_exps, up_exps; shared gate, up and ffn_gate_inp_shexp
            cur = qwen3next_moe(g, cur, E, T, mp, bd);
        } else {
            cur = dense_ffn(g, cur, E, hp.ff_length(il), T, false, bd);  // build_ffn, parallel gate
        }
        inpL = g.node(E * T * f32, 1, {cur, res}, true);         // + ffn_residual
        track_peak(g, last_max, il, bd);
    }
    bd.inputs = inputs;
    output_head(g, inpL, hp, d, last_max, bd, out_ids);
    return bd;
}

}  // namespace llamaplan::detail::compute

#endif  // LLAMAPLAN_COMPUTE_DELTA_NET_HPP
