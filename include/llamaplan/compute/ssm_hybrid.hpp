// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_COMPUTE_SSM_HYBRID_HPP
#define LLAMAPLAN_COMPUTE_SSM_HYBRID_HPP

#include <llamaplan/config.hpp>

// The compute graph of Mamba-2 and Mamba-2 + attention hybrids (graph_family::mamba_hybrid).

#include <llamaplan/compute/blocks.hpp>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::detail::compute {

/// The sizes of a Mamba-2 mixer (src/models/mamba-base.cpp build_mamba2_layer) in a reserved ubatch of T tokens.
struct mamba2_dims {
    std::uint64_t T = 0, n_seqs = 1;
    std::uint64_t d_inner = 0, d_state = 0, d_conv = 0, n_head_ssm = 0;
    std::uint64_t ch = 0;         ///< conv channels: d_inner + 2 n_group d_state (x, B, C)
    std::uint64_t d_in_proj = 0;  ///< ssm_in rows: z, xBC and dt
};
[[nodiscard]] constexpr mamba2_dims mamba2_dims_of(const hparams& hp, const graph_dims& d) noexcept {
    mamba2_dims md{};
    md.T = d.T;
    md.n_seqs = d.n_seqs;
    md.d_inner = hp.ssm_d_inner;
    md.d_state = hp.ssm_d_state;
    md.d_conv = hp.ssm_d_conv;
    md.n_head_ssm = hp.ssm_dt_rank;
    const std::uint64_t n_group = hp.ssm_n_group == 0 ? 1 : hp.ssm_n_group;
    md.ch = md.d_inner + 2 * n_group * md.d_state;
    md.d_in_proj = 2 * md.d_inner + 2 * n_group * md.d_state + md.n_head_ssm;
    return md;
}

/// What the front of a Mamba-2 mixer leaves for its tail: the ssm_in output (z, xBC, dt views), the conv output
/// (x, B, C) and the ssm_scan output (y, then the final states).
struct mamba2_front {
    int zx = -1, xbc = -1, y = -1;
};

/// build_mamba2_layer up to the state writes, on the normed input `cur` (one reader left) with the gathered conv
/// states `conv_rows`: ssm_in; concat(conv states, transpose(xBC)) {d_conv - 1 + n_seq_tokens, ch, n_seqs}, read by
/// the cpy of its last d_conv - 1 columns into the cache and by ssm_conv; + conv bias and silu in place (x, B, C read
/// by ssm_scan and x by y*D in the tail); cont(dt) + dt bias; ggml_ssm_scan (ggml.c: y {d_inner, n_tokens} followed
/// by the final states {d_state, d_inner, n_seqs}), read by the cpy of the states and by the tail's y view; the ssm
/// build_rs "extra" get_rows reads s_copy once more.
constexpr mamba2_front mamba2_mixer_front(graph_sim& g, int cur, int conv_rows, int s_copy,
                                          const mamba2_dims& md) noexcept {
    const std::uint64_t f32 = 4, T = md.T;
    mamba2_front f{};
    f.zx = g.node(md.d_in_proj * T * f32, 3, {cur});
    const std::uint64_t conv_cols = (md.d_conv > 0 ? md.d_conv - 1 : 0) * md.n_seqs + T;
    const int conv_x = g.node(conv_cols * md.ch * f32, 2, {conv_rows, f.zx});
    g.release(conv_x);
    int xbc = g.node(md.ch * T * f32, 1, {conv_x});      // ggml_ssm_conv: {ch, n_seq_tokens, n_seqs}
    xbc = g.node(md.ch * T * f32, 1, {xbc}, true);       // + conv bias
    f.xbc = g.node(md.ch * T * f32, 4, {xbc}, true);     // silu; read as x, B, C by ssm_scan and x by y*D
    int dt = g.node(md.n_head_ssm * T * f32, 1, {f.zx}); // ggml_cont(dt)
    dt = g.node(md.n_head_ssm * T * f32, 1, {dt}, true); // + dt bias
    f.y = g.node((md.d_inner * T + md.d_state * md.d_inner * md.n_seqs) * f32, 2, {dt, f.xbc, f.xbc, f.xbc, s_copy});
    g.release(s_copy);  // the ssm build_rs "extra" get_rows
    g.release(f.y);     // cpy of the final states into the cache
    return f;
}

/// The rest of a Mamba-1 / Mamba-2 mixer, run when a later node pulls it in: ggml_cont(z), y + x*D (x*D fresh when x
/// is a view of xBC, in place on Mamba-1's own x; the add in place on x*D), swiglu_split(cont(z), y), the grouped
/// rms_norm of a reshape view (fresh) * ssm_norm, and ssm_out. Returns ssm_out, which its reader sees through a
/// reshape view (never reused in place).
constexpr int mamba_mixer_tail(graph_sim& g, const mamba2_front& f, bool x_own, bool ssm_norm, std::uint64_t d_inner,
                               std::uint64_t E, std::uint64_t T) noexcept {
    const std::uint64_t f32 = 4, yb = d_inner * T * f32;
    const int zc = g.node(yb, 1, {f.zx});                // ggml_cont(z)
    int yd = g.node(yb, 1, {f.xbc}, x_own);              // ggml_mul(x, ssm_d)
    yd = g.node_any(yb, 1, {f.y, yd}, 0b10u);            // y + x*D, in place on x*D
    int yy = g.node(yb, 1, {zc, yd});                    // swiglu_split(cont(z), y)
    if (ssm_norm) {
        yy = g.node(yb, 1, {yy});                        // grouped rms_norm of a reshape view: fresh
        yy = g.node(yb, 1, {yy}, true);                  // * ssm_norm, in place
    }
    return g.node(E * T * f32, 1, {yy});                 // ssm_out
}

/// The attention of a hybrid block once K and V are in the cache: flash attention (one node over Q and the mask), or
/// KQ, the masked softmax (in place), KQV and its permute (llama-graph.cpp build_attn_mha). Returns the output node;
/// records the KQ scores' size in `bd`.
constexpr int hybrid_attention(graph_sim& g, int q, int mask, const graph_dims& d, std::uint64_t hdv, std::uint64_t H,
                               std::uint64_t T, compute_breakdown& bd) noexcept {
    constexpr std::uint64_t f32 = 4;
    if (d.fa) return g.node(hdv * H * T * f32, 1, {q, mask});
    const std::uint64_t kq = d.n_kv * T * H * f32;
    if (kq > bd.attn_scores) bd.attn_scores = kq;
    int s1 = g.node(kq, 1, {q});
    s1 = g.node(kq, 1, {s1, mask}, true);
    s1 = g.node(hdv * T * H * f32, 1, {s1});
    return g.node(hdv * H * T * f32, 1, {s1});
}

/// The graph inputs of a hybrid (recurrent + attention) graph (graph_sim indices; -1 = absent).
struct hybrid_inputs {
    int s_copy = -1, pos = -1, k_idxs = -1, v_idxs = -1, mask = -1, rot_k = -1, rot_v = -1;  ///< graph_sim indices
};
/// Allocates a hybrid graph's inputs in first-visit order, the first block's kind first. Recurrent: s_copy
/// (build_rs_inp: I32 n_rs = n_seq_max, read through its main and extra views by the two build_rs of every recurrent
/// layer: 4 reads). Attention: the K rotation (src0 of the Q rotation), inp_pos (read by both ropes; `pos_per_token`
/// I32 per token, 0 = no rope: nemotron-h), the V rotation, the KV cache's k_idxs / v_idxs (I64; per element for a
/// transposed V cache) and the KQ mask (n_kv x n_tokens). Adds their bytes to `inputs` and the mask to bd.kq_mask.
/// Shared by ssm_hybrid_graph and delta_net_graph.
[[nodiscard]] constexpr hybrid_inputs make_hybrid_inputs(graph_sim& g, const hparams& hp, const graph_dims& d,
                                                         const kv_rotation& rot, std::uint32_t n_recr, std::uint32_t n_attn,
                                                         std::uint64_t max_kv_gqa_v, std::uint64_t pos_per_token,
                                                         std::uint64_t& inputs, compute_breakdown& bd) noexcept {
    hybrid_inputs in;
    const std::uint64_t T = d.T;
    auto make_rs = [&]() {
        in.s_copy = g.fresh(d.n_seqs * 4, 4 * n_recr);
        inputs += d.n_seqs * 4;
    };
    auto make_attn = [&]() {
        if (rot.k) { in.rot_k = g.fresh(rot.k_bytes, 2 * n_attn); inputs += rot.k_bytes; }
        if (pos_per_token != 0) { in.pos = g.fresh(T * 4 * pos_per_token, 2 * n_attn); inputs += T * 4 * pos_per_token; }
        if (rot.v) { in.rot_v = g.fresh(rot.v_bytes, 2 * n_attn); inputs += rot.v_bytes; }
        in.k_idxs = g.fresh(T * 8, n_attn);
        const std::uint64_t vb = d.fa ? T * 8 : T * max_kv_gqa_v * 8;
        in.v_idxs = g.fresh(vb, n_attn);
        const std::uint64_t mb = d.n_kv * T * d.mask_es;
        in.mask = g.fresh(mb, n_attn);
        inputs += T * 8 + vb + mb;
        bd.kq_mask += mb;
    };
    if (hp.is_recurrent(0)) {
        make_rs();
        if (n_attn > 0) make_attn();
    } else {
        make_attn();
        if (n_recr > 0) make_rs();
    }
    return in;
}

/// Mamba-2 and hybrid (Granite-4.0-H style) graphs: src/models/mamba.cpp (llama_model_mamba::graph) and
/// src/models/granite-hybrid.cpp, with the Mamba-2 mixer of src/models/mamba-base.cpp
/// (llm_build_mamba_base::build_mamba2_layer) and the state reads of src/llama-graph.cpp (build_rs / build_rs_inp).
///
/// Reserve-time facts (src/llama-context.cpp sched_reserve, src/llama-memory-recurrent.cpp init_full): the ubatch has
/// n_seqs = n_seq_max sequences of T / n_seqs tokens; the full memory context has n_rs = size = n_seq_max states, head
/// 0 and rs_z 0, so build_rs gathers n_seqs state rows (get_rows) and its "extra" copy is empty.
///
/// Node order matters to the allocator: layer il expands (ggml_build_forward_expand) its conv-state get_rows first,
/// then the cpy of the last conv columns, which pulls in the previous layer's not yet expanded tail (z cont, y*D,
/// gated norm, ssm_out, residual / FFN), this layer's norm, ssm_in and the concat; then ssm_conv ... ssm_scan and the
/// state cpy. An attention layer expands Q, K, V, the cache writes and the attention output; its wo and FFN are pulled
/// in by the next layer. So each layer's tail runs after the next layer's state gather.
[[nodiscard]] constexpr compute_breakdown ssm_hybrid_graph(const model& m, const compute_shape& s) noexcept {
    const hparams& hp = m.hp;
    compute_breakdown bd{};
    bd.graph = graph_family::mamba_hybrid;
    const graph_dims d = dims_of(hp, s);
    const std::uint64_t f32 = 4, E = d.E, T = d.T;

    const std::uint64_t d_inner = hp.ssm_d_inner, d_state = hp.ssm_d_state, d_conv = hp.ssm_d_conv;
    const std::uint64_t n_group = hp.ssm_n_group == 0 ? 1 : hp.ssm_n_group;
    const std::uint64_t n_head_ssm = hp.ssm_dt_rank;
    // Mamba-1 (src/models/mamba-base.cpp build_mamba_layer): ssm_in gives x and z only, the conv runs over x, and
    // dt, B, C come from ssm_x (dt_rank + 2 d_state rows) with dt projected back to d_inner by ssm_dt
    const arch_traits at = traits(arch_of(hp));
    const bool mamba1 = at.recurrent == recurrent_kind::mamba1;
    // Nemotron-H (src/models/nemotron-h.cpp): each block is a Mamba-2 mixer, attention without rope, or an MLP
    // (ffn_up -> relu -> sqr -> ffn_down) on the block's one norm, then the residual; the last block keeps every row
    // and the output norm (t_h_nextn, a graph output) runs over all of them before the get_rows of the output rows
    const bool nemotron = at.layers == recurrent_layer_rule::no_kv_heads_no_ffn;
    auto is_mlp = [&](std::uint32_t il) { return nemotron && !hp.is_recurrent(il) && hp.ff_length(il) != 0; };
    const std::uint64_t ch = mamba1 ? d_inner : d_inner + 2 * n_group * d_state;  // conv channels (x or xBC)
    const std::uint64_t d_in_proj = mamba1 ? 2 * d_inner : 2 * d_inner + 2 * n_group * d_state + n_head_ssm;  // ssm_in rows

    std::uint32_t n_recr = 0, n_attn = 0;
    std::uint64_t max_kv_gqa_v = 0;
    for (std::uint32_t il = 0; il < hp.n_layer; ++il) {
        if (hp.is_recurrent(il)) ++n_recr;
        else if (!is_mlp(il)) ++n_attn;
        if (!hp.is_recurrent(il) && hp.n_embd_v_gqa(il) > max_kv_gqa_v) max_kv_gqa_v = hp.n_embd_v_gqa(il);
    }

    graph_sim g{};
    // graph inputs in first-visit order: inp_tokens, the unused inp_embd, then the inputs of the first layer's kind
    const int tokens = g.fresh(T * 4, 1);
    g.fresh(E * T * f32, 0);
    std::uint64_t inputs = T * 4 + E * T * f32;
    const kv_rotation rot = kv_rotation_of(hp, s);
    const hybrid_inputs in = make_hybrid_inputs(g, hp, d, rot, n_recr, n_attn, max_kv_gqa_v, nemotron ? 0 : 1, inputs, bd);
    const int s_copy = in.s_copy, pos = in.pos, k_idxs = in.k_idxs, v_idxs = in.v_idxs, mask = in.mask;
    const int rot_k = in.rot_k, rot_v = in.rot_v;
    const int out_ids = g.fresh(d.n_out * 4, nemotron ? 1 : 2);
    inputs += d.n_out * 4;

    int inpL = g.node(E * T * f32, 1, {tokens});  // get_rows of token_embd
    std::uint64_t last_max = 0;

    // what a layer leaves for the next one to pull in
    struct pending {
        bool recurrent = false;
        bool mlp = false;               // nemotron-h MLP block: norm and FFN both run in the tail
        int zx = -1, xbc = -1, y = -1;  // recurrent: ssm_in output, conv output (x, B, C), ssm_scan output
        bool x_own = false;             // Mamba-1: x is the conv output itself (Mamba-2: a view of xBC)
        int attn = -1;                  // attention: attention output before wo
        int inpSA = -1;                 // the layer input (residual)
    };
    pending p{};
    bool has_pending = false;

    auto tail = [&](const pending& pd, std::uint32_t il) -> int {
        const bool last = il + 1 == hp.n_layer;
        int cur = -1;
        bool cur_view = false;  // the mixer output is a reshape view (mamba_out), never reused in place
        if (pd.mlp) {
            g.t[pd.inpSA].refs = 2;                             // the norm and the residual add
            int n = g.node(E * T * f32, 1, {pd.inpSA}, true);  // rms_norm
            n = g.node(E * T * f32, 1, {n}, true);              // * attn_norm
            const std::uint64_t F = hp.ff_length(il);
            const std::uint64_t fb = F * T * f32;
            if (fb > bd.ffn_hidden) bd.ffn_hidden = fb;
            int u = g.node(fb, 1, {n});                         // ffn_up
            u = g.node(fb, 1, {u}, true);                       // relu
            u = g.node(fb, 1, {u}, true);                       // sqr
            cur = g.node(E * T * f32, 1, {u});                  // ffn_down
        } else if (pd.recurrent) {
            cur = mamba_mixer_tail(g, mamba2_front{pd.zx, pd.xbc, pd.y}, pd.x_own,
                                   find_layer_tensor(m, il, "ssm_norm.weight") != nullptr, d_inner, E, T);
            cur_view = true;
        } else {
            // build_attn expands the attention itself; the V rotation of its output (quantized V cache) and wo run
            // only here
            int attn = pd.attn;
            if (rot.v) attn = g.node(std::uint64_t(hp.head_size_v(il)) * hp.head_count(il) * T * f32, 1, {rot_v, attn});
            cur = g.node(E * T * f32, 1, {attn});                // wo
        }
        std::uint64_t To = T;
        int res = pd.inpSA;
        if (last && !nemotron) {
            // ggml_get_rows(cur / inpSA, inp_out_ids)
            To = d.n_out;
            cur = g.node(E * To * f32, 1, {cur, out_ids});
            res = g.node(E * To * f32, 1, {res, out_ids});
            cur_view = false;
        }
        const std::uint64_t F = nemotron ? 0 : hp.ff_length(il);
        if (F == 0) {
            // mamba.cpp: l_out = cur + inpL
            return g.node_any(E * To * f32, 1, {cur, res}, cur_view ? 0b10u : 0b11u);
        }
        // granite-hybrid.cpp build_layer_ffn: ffn_inp = cur + inpSA, rms_norm, FFN, + ffn_inp
        const int ffn_inp = g.node_any(E * To * f32, 2, {cur, res}, cur_view ? 0b10u : 0b11u);
        cur = g.node(E * To * f32, 1, {ffn_inp}, true);
        cur = g.node(E * To * f32, 1, {cur}, true);
        return dense_ffn_residual(g, cur, ffn_inp, E, F, To, bd);
    };

    // tails not yet pulled in, oldest first: an MLP block expands nothing itself, so it and the tail before it wait
    // for the next block's first expansion
    std::array<pending, 8> queued{};
    std::array<std::uint32_t, 8> queued_il{};
    std::size_t n_queued = 0;
    auto flush = [&]() {
        for (std::size_t i = 0; i < n_queued; ++i) {
            const int l_out = tail(queued[i], queued_il[i]);
            if (i + 1 < n_queued) queued[i + 1].inpSA = l_out;
            inpL = l_out;
        }
        n_queued = 0;
    };

    for (std::uint32_t il = 0; il < hp.n_layer; ++il) {
        const bool recr = hp.is_recurrent(il);
        int conv_rows = -1;
        if (recr) {
            // build_rs(conv states): get_rows of n_seqs rows of n_embd_r (the empty "extra" get_rows costs nothing)
            conv_rows = g.node(hp.n_embd_r() * d.n_seqs * f32, 1, {s_copy});
            g.release(s_copy);
        }
        if (has_pending) {
            if (n_queued == queued.size()) { g.ok = false; n_queued = 0; }
            queued[n_queued] = p;
            queued_il[n_queued++] = il - 1;
            has_pending = false;
        }
        if (is_mlp(il)) {
            // nothing expanded: the block (norm included) runs when the next block pulls it in
            p = pending{};
            p.mlp = true;
            p.inpSA = inpL;  // replaced by the queued tail's output when one runs first (flush)
            has_pending = true;
            continue;
        }
        flush();
        // attn_norm: rms_norm (inpL is also the residual), * weight in place
        g.t[inpL].refs = 2;
        int cur = g.node(E * T * f32, 1, {inpL}, true);
        cur = g.node(E * T * f32, 1, {cur}, true);
        p = pending{};
        p.inpSA = inpL;
        if (recr && mamba1) {
            p.recurrent = true;
            p.x_own = true;
            // ssm_in: x and z are views of it (x -> concat, z -> cont in the tail)
            const int xz = g.node(d_in_proj * T * f32, 2, {cur});
            const int conv_x = g.node(((d_conv > 0 ? d_conv - 1 : 0) * d.n_seqs + T) * ch * f32, 2, {conv_rows, xz});
            g.release(conv_x);                                // cpy of the last d_conv - 1 columns
            int x = g.node(ch * T * f32, 1, {conv_x});        // ggml_ssm_conv
            x = g.node(ch * T * f32, 1, {x}, true);           // + conv bias
            x = g.node(ch * T * f32, 3, {x}, true);           // silu; read by ssm_x, ssm_scan and x*D
            const std::uint64_t dt_rank = hp.ssm_dt_rank;
            const int xdb = g.node((dt_rank + 2 * d_state) * T * f32, 3, {x});  // ssm_x; dt, B, C views
            int dt = g.node(d_inner * T * f32, 1, {xdb});     // ssm_dt of the dt view
            dt = g.node(d_inner * T * f32, 1, {dt}, true);    // + dt bias
            const int y = g.node((d_inner * T + d_state * d_inner * d.n_seqs) * f32, 2, {x, dt, xdb, xdb, s_copy});
            g.release(s_copy);  // the ssm build_rs "extra" get_rows
            g.release(y);       // cpy of the final states into the cache
            p.zx = xz;
            p.xbc = x;
            p.y = y;
        } else if (recr) {
            p.recurrent = true;
            // ssm_in: z, xBC and dt are views of it (z -> cont in the tail, xBC -> concat, dt -> cont)
            const mamba2_front f = mamba2_mixer_front(g, cur, conv_rows, s_copy, mamba2_dims_of(hp, d));
            p.zx = f.zx;
            p.xbc = f.xbc;
            p.y = f.y;
        } else {
            const std::uint64_t H = hp.head_count(il), Hkv = hp.head_count_kv(il);
            const std::uint64_t hdk = hp.head_size_k(il), hdv = hp.head_size_v(il);
            const std::uint64_t q_bytes = hdk * H * T * f32, k_bytes = hdk * Hkv * T * f32, v_bytes = hdv * Hkv * T * f32;
            g.t[cur].refs = 3;
            int q = g.node(q_bytes, 1, {cur});
            if (!nemotron) q = g.node(q_bytes, 1, {q, pos});  // rope of a reshape view: fresh
            if (rot.k) q = g.node(q_bytes, 1, {rot_k, q});    // Hadamard rotation (mul_mat)
            int v = g.node(v_bytes, 1, {cur});
            if (rot.v) v = g.node(v_bytes, 1, {rot_v, v});
            int k = g.node(k_bytes, 1, {cur});
            if (!nemotron) k = g.node(k_bytes, 1, {k, pos});
            if (rot.k) k = g.node(k_bytes, 1, {rot_k, k});
            g.release(k); g.release(k_idxs);                  // set_rows into the K cache
            g.release(v); g.release(v_idxs);                  // set_rows into the V cache
            p.attn = hybrid_attention(g, q, mask, d, hdv, H, T, bd);
        }
        has_pending = true;
        track_peak(g, last_max, il, bd);
    }
    if (has_pending) {
        if (n_queued == queued.size()) { g.ok = false; n_queued = 0; }
        queued[n_queued] = p;
        queued_il[n_queued++] = hp.n_layer - 1;
    }
    flush();
    bd.inputs = inputs;
    // nemotron-h: output_norm over all T rows, then the output rows (models/nemotron-h.cpp)
    output_head(g, inpL, hp, d, last_max, bd, nemotron ? out_ids : -1);
    return bd;
}

/// Falcon-H1 (src/models/falcon-h1.cpp): every block runs attention and a Mamba-2 mixer side by side on the same input,
/// each behind its own rms_norm of it (both with attn_norm), adds their outputs, then the residual, ffn_norm, a gated
/// FFN and the residual again. Node order: attn_norm, Q (mm, rope), V, K (mm, rope) and the cache writes as
/// build_attn(llm_graph_input_attn_kv) expands them, the attention; then the mixer's conv-state gather, the second
/// norm, ssm_in ... ssm_scan and the state writes. The rest of the block is not expanded: the next block's Q (or the
/// output head) pulls it in -- [the V rotation of a quantized V cache], wo, the mixer tail, attn_out + ssm_out (in
/// place on attn_out; ssm_out is a reshape view), + the input, [the last block: get_rows of the output rows],
/// ffn_norm, FFN, + residual.
[[nodiscard]] constexpr compute_breakdown falcon_h1_graph(const model& m, const compute_shape& s) noexcept {
    const hparams& hp = m.hp;
    compute_breakdown bd{};
    bd.graph = graph_family::mamba_hybrid;
    const graph_dims d = dims_of(hp, s);
    const mamba2_dims md = mamba2_dims_of(hp, d);
    const std::uint64_t f32 = 4, E = d.E, T = d.T;
    const kv_rotation rot = kv_rotation_of(hp, s);
    const std::uint32_t n_layer = hp.n_layer;
    std::uint64_t max_kv_gqa_v = 0;
    for (std::uint32_t il = 0; il < n_layer; ++il)
        if (hp.n_embd_v_gqa(il) > max_kv_gqa_v) max_kv_gqa_v = hp.n_embd_v_gqa(il);

    graph_sim g{};
    // inputs in first-visit order: inp_tokens, the unused inp_embd; the first block's K rotation, inp_pos, V rotation,
    // k_idxs, v_idxs (I64, per element for a transposed V cache), the KQ mask; s_copy (conv gather); inp_out_ids
    const int tokens = g.fresh(T * 4, 1);
    g.fresh(E * T * f32, 0);
    std::uint64_t inputs = T * 4 + E * T * f32;
    int rot_k = -1, rot_v = -1;
    if (rot.k) { rot_k = g.fresh(rot.k_bytes, 2 * n_layer); inputs += rot.k_bytes; }
    const int pos = g.fresh(T * 4, 2 * n_layer);
    if (rot.v) { rot_v = g.fresh(rot.v_bytes, 2 * n_layer); inputs += rot.v_bytes; }
    const int k_idxs = g.fresh(T * 8, n_layer);
    const std::uint64_t vb = d.fa ? T * 8 : T * max_kv_gqa_v * 8;
    const int v_idxs = g.fresh(vb, n_layer);
    const std::uint64_t mb = d.n_kv * T * d.mask_es;
    const int mask = g.fresh(mb, n_layer);
    bd.kq_mask = mb;
    // build_rs_inp: s_copy, read by the conv and ssm build_rs of every layer (get_rows main / extra each)
    const int s_copy = g.fresh(d.n_seqs * 4, 4 * n_layer);
    const int out_ids = g.fresh(d.n_out * 4, 1);
    inputs += T * 4 + T * 8 + vb + mb + d.n_seqs * 4 + d.n_out * 4;

    int inpL = g.node(E * T * f32, 1, {tokens});  // get_rows of token_embd
    std::uint64_t last_max = 0;
    for (std::uint32_t il = 0; il < n_layer; ++il) {
        const bool last = il + 1 == n_layer;
        const std::uint64_t H = hp.head_count(il), Hkv = hp.head_count_kv(il);
        const std::uint64_t hdk = hp.head_size_k(il), hdv = hp.head_size_v(il);
        const std::uint64_t q_bytes = hdk * H * T * f32, k_bytes = hdk * Hkv * T * f32, v_bytes = hdv * Hkv * T * f32;
        g.t[inpL].refs = 3;  // attn_norm, the mixer's norm, the residual add
        int cur = g.node(E * T * f32, 1, {inpL}, true);  // rms_norm
        cur = g.node(E * T * f32, 3, {cur}, true);        // * attn_norm; read by Q, V, K
        int q = g.node(q_bytes, 1, {cur});
        q = g.node(q_bytes, 1, {q, pos});                 // rope of a reshape view: fresh
        if (rot.k) q = g.node(q_bytes, 1, {rot_k, q});
        int v = g.node(v_bytes, 1, {cur});
        if (rot.v) v = g.node(v_bytes, 1, {rot_v, v});
        int k = g.node(k_bytes, 1, {cur});
        k = g.node(k_bytes, 1, {k, pos});
        if (rot.k) k = g.node(k_bytes, 1, {rot_k, k});
        g.release(k); g.release(k_idxs);                  // set_rows into the K cache
        g.release(v); g.release(v_idxs);                  // set_rows into the V cache
        int attn = hybrid_attention(g, q, mask, d, hdv, H, T, bd);
        // the Mamba-2 mixer: conv-state gather (build_rs: get_rows of n_seqs rows; the "extra" one is empty), its own
        // norm of the block input, then the mixer up to the state writes
        const int conv_rows = g.node(hp.n_embd_r() * d.n_seqs * f32, 1, {s_copy});
        g.release(s_copy);
        int xin = g.node(E * T * f32, 1, {inpL}, true);   // rms_norm
        xin = g.node(E * T * f32, 1, {xin}, true);        // * attn_norm
        const mamba2_front f = mamba2_mixer_front(g, xin, conv_rows, s_copy, md);
        track_peak(g, last_max, il, bd);
        // the tail, pulled in by the next block's Q or the output head
        // build_attn expands the attention itself; the V rotation of its output (quantized V) and wo follow it only
        // here
        if (rot.v) attn = g.node(hdv * H * T * f32, 1, {rot_v, attn});
        const int attn_out = g.node(E * T * f32, 1, {attn});  // wo
        const int ssm_out = mamba_mixer_tail(g, f, false, find_layer_tensor(m, il, "ssm_norm.weight") != nullptr,
                                             md.d_inner, E, T);
        cur = g.node_any(E * T * f32, 1, {attn_out, ssm_out}, 0b01u);  // layer_out
        int ffn_inp = g.node_any(E * T * f32, 1, {cur, inpL}, 0b11u);  // + the block input
        std::uint64_t To = T;
        if (last) {
            // ggml_get_rows(inpSA, inp_out_ids) (the get_rows of layer_out feeds nothing and is not in the graph)
            To = d.n_out;
            ffn_inp = g.node(E * To * f32, 1, {ffn_inp, out_ids});
        }
        g.t[ffn_inp].refs = 2;                            // ffn_norm and the closing add
        cur = g.node(E * To * f32, 1, {ffn_inp}, true);   // rms_norm
        cur = g.node(E * To * f32, 1, {cur}, true);       // * ffn_norm
        inpL = dense_ffn_residual(g, cur, ffn_inp, E, hp.ff_length(il), To, bd);
        track_peak(g, last_max, il, bd);
    }
    bd.inputs = inputs;
    output_head(g, inpL, hp, d, last_max, bd);
    return bd;
}

}  // namespace llamaplan::detail::compute

#endif  // LLAMAPLAN_COMPUTE_SSM_HYBRID_HPP
