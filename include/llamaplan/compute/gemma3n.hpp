// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_COMPUTE_GEMMA3N_HPP
#define LLAMAPLAN_COMPUTE_GEMMA3N_HPP

#include <llamaplan/config.hpp>

// The compute graph of Gemma-3n (graph_family::gemma3n), from src/models/gemma3n.cpp.

#include <llamaplan/compute/blocks.hpp>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::detail::compute {

/// llama-hparams.h constants of gemma3n (no GGUF keys): altup streams, the active stream, the per-layer input width;
/// models.h: the first layers with activation sparsity (gaussian_topk).
inline constexpr std::uint64_t gemma3n_altup = 4;
inline constexpr std::uint64_t gemma3n_embd_altup = 256;
inline constexpr std::uint32_t gemma3n_sparsity_layers = 10;

/// The Gemma-3n graph (models/gemma3n.cpp llama_model_gemma3n::graph) in ggml's DFS order, which the builder's
/// explicit expands fix: the token and per-layer-token get_rows, then per block whatever its Q pulls in (the previous
/// block's tail, altup_predict, attn_norm, Q), then K and V with their cache writes (build_attn of the iSWA input: Q,
/// K, V), and the rest of the block only when the next block's Q (or the output) needs it. Per block: altup_predict
/// (router norm -> tanh modalities -> predict coefficients -> mul_mat with the permuted streams -> + streams);
/// attn_norm of the active stream; Q/K RMS norms with weights, V an RMS norm without, rope; attention (shared-KV
/// layers, il >= n_layer_kv_from_start, only Q, reading an earlier layer's cache); wo, post norm, + active stream;
/// laurel (rank-64 pair, post norm, + attn_norm); (.. + laurel) / sqrt 2; FFN (gate with gaussian_topk on the first
/// 10 layers, GELU, * up, down), post norm, + attn_laurel; altup_correct (innovation repeated over the 4 streams,
/// times the correct coefficients, + predictions); the per-layer input gate (GELU) times this layer's slice of the
/// projected per-layer inputs -- the projection (per_layer_model_proj on the scaled embeddings, norm, + the per-layer
/// token rows, a permuted cont of n_embd_altup x n_tokens x n_layer) runs inside block 0, when the first slice is
/// read --, proj, post norm, added to streams 1..3 and concatenated back. After the last block the streams are
/// un-projected and averaged over all tokens, the output rows taken, output_norm, the LM head and its soft-capping
/// (in place). Each op is in place where ggml-alloc.c allows it (ggml_op_can_inplace, same layout, last reader, not
/// a view): every norm / scale / unary / add on an own tensor; views (the stream slices, reshapes, permutes) never.
[[nodiscard]] constexpr compute_breakdown gemma3n_graph(const model& m, const compute_shape& s) noexcept {
    const hparams& hp = m.hp;
    compute_breakdown bd{};
    bd.graph = graph_family::gemma3n;
    const graph_dims d = dims_of(hp, s);
    const std::uint64_t f32 = 4, E = d.E, T = d.T, n_out = d.n_out, A = gemma3n_altup, P = gemma3n_embd_altup;
    const std::uint64_t L = hp.n_layer;
    const bool fa = d.fa;
    const std::uint64_t ET = E * T * f32;
    // laurel rank from the tensor (llama-hparams.h laurel_rank = 64)
    const tensor_info* laurel_l = find_layer_tensor(m, 0, "laurel_l.weight");
    const std::uint64_t R = laurel_l != nullptr ? laurel_l->ne[1] : 64;

    const kv_rotation rot = kv_rotation_of(hp, s);
    // layers per attention kind ([0] full, [1] SWA) and how many of them own a KV cache (the others reuse one)
    std::uint32_t n_kind[2] = {0, 0}, n_kind_kv[2] = {0, 0}, n_kv_layers = 0;
    std::uint64_t max_kv_gqa_v = 0;
    for (std::uint32_t il = 0; il < hp.n_layer; ++il) {
        const int c = hp.is_swa(il) ? 1 : 0;
        ++n_kind[c];
        if (hp.has_kv(il)) {
            ++n_kind_kv[c];
            ++n_kv_layers;
            if (hp.n_embd_v_gqa(il) > max_kv_gqa_v) max_kv_gqa_v = hp.n_embd_v_gqa(il);
        }
    }

    graph_sim g{};
    // ---- graph inputs, in the order the DFS meets them (ggml_gallocr_alloc_graph_impl allocates leafs first):
    // inp_tokens, the unused inp_embd (a leaf without consumers, never freed), the per-layer tokens
    // (build_inp_per_layer), then per attention kind (the first block's first) rot_k, inp_pos, rot_v, k_idxs,
    // v_idxs, the KQ mask; inp_out_ids last
    const int tokens = g.fresh(T * 4, 1);
    g.fresh(ET, 0);
    const int pl_tokens = g.fresh(T * 4, 1);
    std::uint64_t inputs = T * 4 + ET + T * 4;
    struct cache_inputs {
        int rot_k = -1, rot_v = -1, k_idxs = -1, v_idxs = -1, mask = -1;
    };
    cache_inputs ci[2]{};
    int pos = -1;
    auto make_cache_inputs = [&](int c, std::uint64_t n_kv) {
        cache_inputs& x = ci[c];
        // Q (every layer) and K (layers with KV) are rotated; V (layers with KV) and the attention output (every
        // layer) too (build_attn of the iSWA input)
        const std::uint32_t rot_refs = n_kind[c] + n_kind_kv[c];
        if (rot.k) { x.rot_k = g.fresh(rot.k_bytes, rot_refs); inputs += rot.k_bytes; }
        if (pos < 0) { pos = g.fresh(T * 4, 2 * n_kv_layers + (hp.n_layer - n_kv_layers)); inputs += T * 4; }
        if (rot.v) { x.rot_v = g.fresh(rot.v_bytes, rot_refs); inputs += rot.v_bytes; }
        if (n_kind_kv[c] > 0) {
            x.k_idxs = g.fresh(T * 8, n_kind_kv[c]);
            const std::uint64_t v_idx_bytes = fa ? T * 8 : T * max_kv_gqa_v * 8;
            x.v_idxs = g.fresh(v_idx_bytes, n_kind_kv[c]);
            inputs += T * 8 + v_idx_bytes;
        }
        const std::uint64_t mb = n_kv * T * d.mask_es;
        x.mask = g.fresh(mb, n_kind[c]);
        inputs += mb;
        bd.kq_mask += mb;
    };
    {
        const int first = hp.is_swa(0) ? 1 : 0;
        make_cache_inputs(first, first ? s.n_kv_swa : s.n_kv);
        if (n_kind[1 - first] > 0) make_cache_inputs(1 - first, first ? s.n_kv : s.n_kv_swa);
    }
    const int out_ids = g.fresh(n_out * 4, 1);
    inputs += n_out * 4;

    // ---- before the blocks
    const int embd = g.node(ET, 1, {tokens});                          // get_rows(token_embd)
    const std::uint64_t PLT = P * L * T * f32;                         // per-layer inputs, n_embd_altup x n_layer x T
    int pl_sel = g.node(PLT, 1, {pl_tokens});                          // get_rows(per_layer_token_embd)
    pl_sel = g.node(PLT, 1, {pl_sel});                                 // scale of its reshape: fresh
    // inp_scaled: read by the repeat, the magnitude, the concat and (in block 0) per_layer_model_proj
    const int inp_scaled = g.node(ET, 4, {embd}, true);
    // altup_proj of the repeated embedding, rescaled to the embedding's magnitude, concatenated after it
    int rep = g.node((A - 1) * ET, 1, {inp_scaled});
    const int added = g.node((A - 1) * ET, 2, {rep});                  // mul_mat(altup_proj)
    int mag = g.node(ET, 1, {inp_scaled});                             // sqr
    mag = g.node(T * f32, 1, {mag});                                   // sum_rows
    mag = g.node(T * f32, 1, {mag}, true);                             // sqrt
    int scaled = g.node((A - 1) * ET, 1, {added, mag});                // * target magnitude
    int nmag = g.node((A - 1) * ET, 1, {added}, true);                 // sqr (last reader of `added`)
    nmag = g.node((A - 1) * T * f32, 1, {nmag});                       // sum_rows
    nmag = g.node((A - 1) * T * f32, 1, {nmag}, true);                 // sqrt
    scaled = g.node((A - 1) * ET, 1, {scaled, nmag}, true);            // div
    // inp_stacked: read by the first block's router view, permuted cont and predictions add
    int inpL = g.node(A * ET, 3, {inp_scaled, scaled});                // concat
    int per_layer = -1;                                                // permuted cont of the projected inputs

    std::uint64_t last_max = 0;
    for (std::uint32_t il = 0; il < hp.n_layer; ++il) {
        const int c = hp.is_swa(il) ? 1 : 0;
        const bool kv = hp.has_kv(il);
        const std::uint64_t n_kv = c ? s.n_kv_swa : s.n_kv;
        const cache_inputs& x = ci[c];
        const std::uint64_t H = hp.head_count(il), Hkv = hp.head_count_kv(il);
        const std::uint64_t hdk = hp.head_size_k(il), hdv = hp.head_size_v(il);
        const std::uint64_t q_bytes = hdk * H * T * f32, k_bytes = hdk * Hkv * T * f32, v_bytes = hdv * Hkv * T * f32;

        // altup_predict: the permuted cont of the streams (src0 of the coefficient mul_mat) first, then the router
        const int permuted = g.node(A * ET, 1, {inpL});
        int cur = g.node(ET, 1, {inpL});                               // rms_norm of the active stream (a view)
        cur = g.node(ET, 1, {cur}, true);                              // * altup_router_norm
        cur = g.node(ET, 1, {cur}, true);                              // scale 1 / n_embd
        cur = g.node(A * T * f32, 1, {cur});                           // mul_mat(altup_router)
        cur = g.node(A * T * f32, 1, {cur}, true);                     // tanh: modalities
        cur = g.node(A * A * T * f32, 1, {cur});                       // mul_mat(altup_predict_coef)
        cur = g.node(A * ET, 1, {permuted, cur});                      // mul_mat(streams, coefficients)
        cur = g.node(A * ET, 1, {cur});                                // cont(permute)
        // predictions: read by the active-stream view (attn_norm, attn_gated), the innovation's view and `corrected`
        const int predictions = g.node(A * ET, 4, {cur, inpL}, true);

        // attn_norm of the active stream: read by Q, K, V, laurel_l and laurel's residual
        cur = g.node(ET, 1, {predictions});
        const int attn_norm = g.node(ET, kv ? 5 : 3, {cur}, true);
        int q = g.node(q_bytes, 1, {attn_norm});                       // mul_mat(wq)
        q = g.node(q_bytes, 1, {q});                                   // rms_norm of its reshape: fresh
        q = g.node(q_bytes, 1, {q}, true);                             // * attn_q_norm
        q = g.node(q_bytes, 1, {q, pos}, true);                        // rope
        if (rot.k) q = g.node(q_bytes, 1, {x.rot_k, q});
        if (kv) {
            int k = g.node(k_bytes, 1, {attn_norm});
            k = g.node(k_bytes, 1, {k});
            k = g.node(k_bytes, 1, {k}, true);
            k = g.node(k_bytes, 1, {k, pos}, true);
            if (rot.k) k = g.node(k_bytes, 1, {x.rot_k, k});
            int v = g.node(v_bytes, 1, {attn_norm});
            v = g.node(v_bytes, 1, {v});                               // ggml_rms_norm of the reshape, no weight
            if (rot.v) v = g.node(v_bytes, 1, {x.rot_v, v});
            g.release(k); g.release(x.k_idxs);                         // cpy_k: set_rows into the cache
            g.release(v); g.release(x.v_idxs);                         // cpy_v
        }
        // build_attn_mha on this layer's cache or the one it reuses
        if (fa) {
            cur = g.node(hdv * H * T * f32, 1, {q, x.mask});
        } else {
            const std::uint64_t kq = n_kv * T * H * f32;
            if (kq > bd.attn_scores) bd.attn_scores = kq;
            int s1 = g.node(kq, 1, {q});
            s1 = g.node(kq, 1, {s1, x.mask}, true);
            s1 = g.node(hdv * T * H * f32, 1, {s1});
            cur = g.node(hdv * H * T * f32, 1, {s1});
        }
        if (rot.v) cur = g.node(hdv * H * T * f32, 1, {x.rot_v, cur});
        cur = g.node(ET, 1, {cur});                                    // wo
        cur = g.node(ET, 1, {cur}, true);                              // rms_norm
        cur = g.node(ET, 1, {cur}, true);                              // * attn_post_norm
        const int attn_gated = g.node(ET, 1, {cur, predictions}, true);   // + active prediction
        int lr = g.node(R * T * f32, 1, {attn_norm});                  // laurel_l
        lr = g.node(ET, 1, {lr});                                      // laurel_r
        lr = g.node(ET, 1, {lr}, true);                                // rms_norm
        lr = g.node(ET, 1, {lr}, true);                                // * laurel_post_norm
        lr = g.node(ET, 1, {lr, attn_norm}, true);                     // + attn_norm: laurel_out
        cur = g.node(ET, 1, {attn_gated, lr}, true);                   // attn_gated + laurel_out
        const int attn_laurel = g.node(ET, 2, {cur}, true);            // / sqrt 2; read by ffn_norm and the add
        cur = g.node(ET, 1, {attn_laurel}, true);                      // ffn_norm: rms_norm (fresh: 2 readers) ...
        cur = g.node(ET, 2, {cur}, true);                              // ... * weight; read by up and gate
        const std::uint64_t F = hp.ff_length(il);
        const std::uint64_t fb = F * T * f32;
        if (fb > bd.ffn_hidden) bd.ffn_hidden = fb;
        const int up = g.node(fb, 1, {cur});
        int gate = g.node(fb, 1, {cur});
        if (il < gemma3n_sparsity_layers) {
            // gaussian_topk: relu(x - (mean + std * k)), std from the rows' centred squares
            g.t[gate].refs = 3;                                        // mean, x - mean, x - cutoff
            const int mean = g.node(T * f32, 2, {gate});               // ggml_mean
            int sd = g.node(fb, 1, {gate, mean});                      // x - mean (x has another reader)
            sd = g.node(fb, 1, {sd}, true);                            // sqr
            sd = g.node(T * f32, 1, {sd});                             // sum_rows
            sd = g.node(T * f32, 1, {sd}, true);                       // scale 1 / (n - 1)
            sd = g.node(T * f32, 1, {sd}, true);                       // sqrt
            sd = g.node(T * f32, 1, {sd}, true);                       // scale by the std multiplier
            const int cutoff = g.node(T * f32, 1, {mean, sd}, true);   // mean + ...
            gate = g.node(fb, 1, {gate, cutoff}, true);                // x - cutoff
            gate = g.node(fb, 1, {gate}, true);                        // relu
        }
        gate = g.node(fb, 1, {gate}, true);                            // gelu
        cur = g.node(fb, 1, {up, gate}, true);                         // up * gate
        cur = g.node(ET, 1, {cur});                                    // ffn_down
        cur = g.node(ET, 1, {cur}, true);                              // rms_norm
        cur = g.node(ET, 1, {cur}, true);                              // * post_ffw_norm
        const int activated = g.node(ET, 2, {cur, attn_laurel}, true); // + attn_laurel
        // altup_correct: innovation (activated - active prediction) repeated over the streams, the router on
        // `activated`, coefficients + 1 transposed to a cont, their product + predictions
        int inno = g.node(ET, 1, {activated, predictions});
        inno = g.node(A * ET, 1, {inno});                              // repeat
        cur = g.node(ET, 1, {activated}, true);                        // rms_norm
        cur = g.node(ET, 1, {cur}, true);                              // * altup_router_norm
        cur = g.node(ET, 1, {cur}, true);                              // scale
        cur = g.node(A * T * f32, 1, {cur});                           // mul_mat(altup_router)
        cur = g.node(A * T * f32, 1, {cur}, true);                     // tanh
        cur = g.node(A * T * f32, 1, {cur});                           // mul_mat(altup_correct_coef)
        cur = g.node(A * T * f32, 1, {cur}, true);                     // scale_bias (+ 1)
        cur = g.node(A * T * f32, 1, {cur});                           // cont(transpose)
        cur = g.node(A * ET, 1, {inno, cur}, true);                    // innovation * coefficients
        // corrected: read through the active-stream view, the first-stream view and the view of streams 1..3
        const int corrected = g.node(A * ET, 3, {cur, predictions}, true);
        int fp = g.node(ET, 1, {corrected});                           // * altup_correct_scale (of a view)
        fp = g.node(P * T * f32, 1, {fp});                             // mul_mat(per-layer input gate)
        fp = g.node(P * T * f32, 1, {fp}, true);                       // gelu
        if (per_layer < 0) {
            // project_per_layer_inputs, pulled in by block 0's first slice: per_layer_model_proj on inp_scaled,
            // scale, RMS norm of its reshape (fresh), * norm weight, + the per-layer token rows, scale, permuted cont
            int pp = g.node(PLT, 1, {inp_scaled});
            pp = g.node(PLT, 1, {pp}, true);
            pp = g.node(PLT, 1, {pp});
            pp = g.node(PLT, 1, {pp}, true);
            pp = g.node(PLT, 1, {pp, pl_sel}, true);
            pp = g.node(PLT, 1, {pp}, true);
            per_layer = g.node(PLT, static_cast<std::uint32_t>(L), {pp});
        }
        fp = g.node(P * T * f32, 1, {fp, per_layer}, true);            // * this layer's per-layer input
        fp = g.node(ET, 1, {fp});                                      // mul_mat(proj)
        fp = g.node(ET, 1, {fp}, true);                                // rms_norm
        fp = g.node(ET, 1, {fp}, true);                                // * post_norm
        const int rest = g.node((A - 1) * ET, 1, {corrected, fp});     // streams 1..3 + first prediction
        // l_out: read by the next block's router view, permuted cont and predictions add (after the last block:
        // the active stream's magnitude, the un-projection of streams 1..3 and the first stream of the mean)
        inpL = g.node(A * ET, 3, {corrected, rest});                   // concat
        track_peak(g, last_max, il, bd);
    }
    // merge the streams: altup_unembd_proj of streams 1..3, rescaled to the active stream's magnitude, averaged
    const int un = g.node((A - 1) * ET, 2, {inpL});                    // mul_mat(altup_unembd_proj)
    int tmag = g.node(ET, 1, {inpL});                                  // sqr of the active stream (a view)
    tmag = g.node(T * f32, 1, {tmag});
    tmag = g.node(T * f32, 1, {tmag}, true);
    int merged = g.node((A - 1) * ET, 1, {un, tmag});                  // * target magnitude
    int umag = g.node((A - 1) * ET, 1, {un}, true);
    umag = g.node((A - 1) * T * f32, 1, {umag});
    umag = g.node((A - 1) * T * f32, 1, {umag}, true);
    merged = g.node((A - 1) * ET, 3, {merged, umag}, true);            // div; read through 3 views
    int cur = g.node(ET, 1, {inpL, merged});                           // stream 0 + view 0 (fresh)
    for (std::uint64_t i = 1; i < A - 1; ++i) cur = g.node(ET, 1, {cur, merged}, true);
    cur = g.node(ET, 1, {cur}, true);                                  // scale 1 / n_altup
    cur = g.node(E * n_out * f32, 1, {cur, out_ids});                  // the output rows
    bd.inputs = inputs;
    // output_norm, the LM head; the soft-capping (scale, tanh, scale) runs in place on the logits
    output_head(g, cur, hp, d, last_max, bd);
    return bd;
}

}  // namespace llamaplan::detail::compute

#endif  // LLAMAPLAN_COMPUTE_GEMMA3N_HPP
