// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_COMPUTE_RWKV_HPP
#define LLAMAPLAN_COMPUTE_RWKV_HPP

#include <llamaplan/config.hpp>

// The compute graph of RWKV-6 and RWKV-7 (graph_family::rwkv).

#include <llamaplan/compute/blocks.hpp>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::detail::compute {

/// RWKV-6 and RWKV-7 graphs: src/models/rwkv6.cpp and rwkv6-base.cpp (build_rwkv6_time_mix with the fused lerp,
/// build_rwkv6_channel_mix), src/models/rwkv7.cpp and rwkv7-base.cpp (build_rwkv7_time_mix, build_rwkv7_channel_mix),
/// with the state reads of src/llama-graph.cpp (build_rs, build_rwkv_token_shift_load / _store).
///
/// Reserve-time facts (as for Mamba, src/llama-memory-recurrent.cpp init_full): the ubatch has n_seqs = n_seq_max
/// sequences, so every layer gathers n_seqs rows of the token-shift state (n_embd_r: attention and FFN shift) and of
/// the wkv state (n_embd_s); the "extra" gathers are empty.
///
/// Node order, as ggml_build_forward_expand leaves it (checked allocation by allocation against ggml-alloc.c's
/// AT_PRINTF trace): layer il expands its two state gathers, then the cpy of the wkv state, which pulls in the
/// previous layer's channel mix (not expanded by that layer: only its token-shift cpy is), LN0 for the first layer,
/// the attention-side LayerNorm (NORM, never in place), the time mix up to ggml_rwkv_wkv6 / wkv7 (sources in the
/// order k, v, r, w, state / r, w, k, v, -kk, kk*a, state); then the token-shift cpy pulls in the group norm, the
/// output projection, ffn_inp and the FFN-side LayerNorm. Ops on a reshape or view get fresh memory (a view is never
/// an allocator-owned parent); the others reuse their first single-use operand in place where ggml_op_can_inplace
/// allows. The last layer takes the output rows (x_prev, ffn_norm, ffn_inp) just before its channel mix.
[[nodiscard]] constexpr compute_breakdown rwkv_graph(const model& m, const compute_shape& s) noexcept {
    const hparams& hp = m.hp;
    const bool v7 = traits(arch_of(hp)).recurrent == recurrent_kind::rwkv7;
    compute_breakdown bd{};
    bd.graph = graph_family::rwkv;
    const graph_dims d = dims_of(hp, s);
    const std::uint64_t f32 = 4, E = d.E, T = d.T, S = d.n_seqs, No = d.n_out, ET = E * T * f32;
    const std::uint64_t head = hp.wkv_head_size == 0 ? 1 : hp.wkv_head_size;
    const std::uint64_t n_head = E / head;
    const std::uint64_t r_bytes = hp.n_embd_r() * S * f32, s_bytes = hp.n_embd_s() * S * f32;
    const std::uint32_t L = hp.n_layer;
    // a LoRA's rank: rows of blk.<il>.<name> (its ne[1]), divided by `parts` for a fused one
    auto rank = [&](std::uint32_t il, std::string_view name, std::uint64_t parts) -> std::uint64_t {
        const tensor_info* t = find_layer_tensor(m, il, name);
        return t == nullptr ? 0 : t->ne[1] / parts;
    };

    graph_sim g{};
    // inputs in first-visit order: inp_tokens, the unused inp_embd, s_copy (n_seq_max ids, read by 4 gathers per
    // layer: main and extra of both states), inp_out_ids (read by the last layer's 3 get_rows)
    const int tokens = g.fresh(T * 4, 1);
    g.fresh(E * T * f32, 0);
    const int s_copy = g.fresh(S * 4, 4 * L);
    const int out_ids = g.fresh(No * 4, 3);
    bd.inputs = T * 4 + E * T * f32 + S * 4 + No * 4;
    const int embd = g.node(ET, 1, {tokens});  // get_rows of token_embd
    std::uint64_t last_max = 0;

    // what a layer leaves for the next one to pull in: its channel mix
    struct pending {
        int r_rows = -1;   // gathered token-shift states (the FFN half is read by the channel mix's x_prev)
        int ffn_norm = -1;
        int ffn_inp = -1;
        std::uint32_t il = 0;
    };
    // build_rwkv6/7_channel_mix on ffn_norm and x_prev = concat(ffn shift, ffn_norm), + ffn_inp; the last layer
    // first takes the output rows of x_prev, ffn_norm and (after the mix) ffn_inp
    auto channel_mix = [&](const pending& p, std::uint32_t refs_out) -> int {
        const bool last = p.il + 1 == L;
        const std::uint64_t F = hp.ff_length(p.il);
        const std::uint64_t rows = last ? No : T, R = E * rows * f32;
        if (F * rows * f32 > bd.ffn_hidden) bd.ffn_hidden = F * rows * f32;
        int xp = g.node(ET, 1, {p.r_rows, p.ffn_norm});  // concat
        int fn = p.ffn_norm;
        int sx = -1;
        if (last) {
            xp = g.node(R, 1, {xp, out_ids});                   // get_rows(x_prev)
            fn = g.node(R, v7 ? 2 : 3, {p.ffn_norm, out_ids});  // get_rows(ffn_norm)
            sx = g.node(R, v7 ? 1 : 2, {xp, fn}, true);         // sub, in place on the gathered x_prev
        } else {
            sx = g.node(R, v7 ? 1 : 2, {xp, fn});               // sub of two reshapes: fresh
        }
        int rr = -1;
        if (!v7) {
            rr = g.node(R, 1, {sx}, true);                      // sx * lerp_r (sx has a second reader: fresh)
            rr = g.node(R, 1, {rr, fn}, true);                  // + cur
            rr = g.node(R, 1, {rr});                            // channel_mix_receptance
            rr = g.node(R, 1, {rr}, true);                      // sigmoid
        }
        int k = g.node(R, 1, {sx}, true);                       // sx * lerp_k, in place
        k = g.node(R, 1, {k, fn}, true);                        // + cur
        k = g.node(F * rows * f32, 1, {k});                     // channel_mix_key
        k = g.node(F * rows * f32, 1, {k}, true);               // relu
        k = g.node(F * rows * f32, 1, {k}, true);               // sqr
        int out = g.node(R, 1, {k});                            // channel_mix_value
        if (!v7) out = g.node(R, 1, {rr, out}, true);           // r * value, in place on r
        int res = p.ffn_inp;
        if (last) res = g.node(R, 1, {p.ffn_inp, out_ids});     // get_rows(ffn_inp)
        return g.node(R, refs_out, {out, res}, true);           // l_out = cur + ffn_inp
    };

    pending pc{};
    int inpL = -1;
    int first_v = -1;  // RWKV-7: layer 0's value, read by every later layer's value residual
    for (std::uint32_t il = 0; il < L; ++il) {
        // build_rs of the token-shift state (read by the attention and FFN concats) and of the wkv state
        const int r_rows = g.node(r_bytes, 2, {s_copy});
        g.release(s_copy);  // the empty "extra" get_rows
        const int s_rows = g.node(s_bytes, 1, {s_copy});
        g.release(s_copy);
        if (il == 0) {  // LN0: norm, * weight, + bias
            inpL = g.node(ET, 1, {embd});
            inpL = g.node(ET, 1, {inpL}, true);
            inpL = g.node(ET, 2, {inpL}, true);  // read by attn_norm and ffn_inp
        } else {
            inpL = channel_mix(pc, 2);
        }
        track_peak(g, last_max, il == 0 ? 0 : il - 1, bd);
        // attn_norm (LayerNorm of a reshape: fresh), read by x_prev, the sub, the lerp add(s) and the token-shift concat
        int an = g.node(ET, 1, {inpL});
        an = g.node(ET, 1, {an}, true);
        an = g.node(ET, v7 ? 4 : 5, {an}, true);
        int sx = g.node(ET, 1, {r_rows, an});                // x_prev = concat(att shift, attn_norm)
        sx = g.node(ET, v7 ? 1 : 2, {sx, an}, true);         // sx = x_prev - cur, in place
        int cur = -1;
        if (!v7) {
            // build_rwkv6_time_mix: xxx = tanh(w1 (sx * lerp_x + cur)) permuted, w2, + lerp_fused, * sx, + cur
            const std::uint64_t x5 = rank(il, "time_mix_w1.weight", 1) * T * f32;  // 5 x time_mix_extra_dim rows
            int t = g.node(ET, 1, {sx});                     // sx (2-D reshape) * lerp_x: fresh
            t = g.node(ET, 1, {t, an}, true);
            t = g.node(x5, 1, {t});                          // time_mix_w1
            t = g.node(x5, 1, {t}, true);                    // tanh
            t = g.node(x5, 1, {t});                          // cont(permute)
            int xxx = g.node(5 * ET, 1, {t});                // time_mix_w2 (batched over the 5 mixes)
            xxx = g.node(5 * ET, 1, {xxx}, true);            // + lerp_fused
            xxx = g.node(5 * ET, 1, {xxx, sx}, true);        // * sx
            xxx = g.node(5 * ET, 5, {xxx, an}, true);        // + cur; xw, xk, xv, xr, xg views
            const int k = g.node(ET, 1, {xxx});
            const int v = g.node(ET, 1, {xxx});
            const int r = g.node(ET, 1, {xxx});
            const std::uint64_t dd = rank(il, "time_mix_decay_w1.weight", 1) * T * f32;
            int w = g.node(dd, 1, {xxx});                    // time_mix_decay_w1
            w = g.node(dd, 1, {w}, true);                    // tanh
            w = g.node(ET, 1, {w});                          // time_mix_decay_w2
            for (int i = 0; i < 4; ++i) w = g.node(ET, 1, {w}, true);  // + decay, exp, neg, exp
            const int wkv = g.node(ET + s_bytes, 2, {k, v, r, w, s_rows});  // ggml_rwkv_wkv6: y and the states
            g.release(wkv);                                  // cpy of the states into the cache
            int o = g.node(ET, 1, {wkv});                    // group norm of a view: fresh
            o = g.node(ET, 1, {o});                          // * time_mix_ln (of a reshape): fresh
            o = g.node(ET, 1, {o}, true);                    // + bias
            int gate = g.node(ET, 1, {xxx});                 // time_mix_gate
            gate = g.node(ET, 1, {gate}, true);              // silu
            o = g.node(ET, 1, {o, gate}, true);              // * g
            cur = g.node(ET, 1, {o});                        // time_mix_output
        } else {
            // build_rwkv7_time_mix: xxx = repeat(sx) * lerp_fused + cur, split into r, w, k, v, a (, g)
            const bool gating = find_layer_tensor(m, il, "time_mix_g1.weight") != nullptr;
            const std::uint64_t parts = gating ? 6 : 5;
            int xxx = g.node(parts * ET, 1, {sx});           // repeat
            xxx = g.node(parts * ET, 1, {xxx}, true);        // * lerp_fused
            xxx = g.node(parts * ET, static_cast<std::uint32_t>(parts) + (il > 0 ? 1 : 0), {xxx, an}, true);  // + cur
            const int r = g.node(ET, 2, {xxx});              // receptance: read by wkv7 and k * r
            const std::uint64_t ld = rank(il, "time_mix_w1.weight", 1) * T * f32;
            int w = g.node(ld, 1, {xxx});                    // time_mix_w1
            w = g.node(ld, 1, {w}, true);                    // tanh
            w = g.node(ET, 1, {w});                          // time_mix_w2
            for (int i = 0; i < 4; ++i) w = g.node(ET, 1, {w}, true);  // + w0, sigmoid, scale, exp
            const int k_mm = g.node(ET, 3, {xxx});           // key: read by k * k_a, k + ..., k * k_k
            const std::uint64_t la = rank(il, "time_mix_a1.weight", 1) * T * f32;
            int a = g.node(la, 1, {xxx});                    // time_mix_a1
            a = g.node(ET, 1, {a});                          // time_mix_a2
            a = g.node(ET, 1, {a}, true);                    // + a0
            a = g.node(ET, 2, {a}, true);                    // sigmoid: read by a * ka and kk * a
            const int ka = g.node(ET, 2, {k_mm});            // k * k_a (k has other readers: fresh)
            int t = g.node(ET, 1, {a, ka}, true);            // a * ka (both read again: fresh)
            t = g.node(ET, 1, {t, ka}, true);                // - ka, in place
            const int k = g.node_any(ET, 2, {k_mm, t}, 0b11u);  // k + ..., in place on the sub
            int v = g.node(ET, il == 0 ? 2 + (L - 1) : 2, {xxx});  // value (layer 0's: v_first)
            if (il == 0) {
                first_v = v;
            } else {
                int dv = g.node(ET, 1, {first_v, v}, true);  // v_first - v (in place once v_first is read last)
                const std::uint64_t lv = rank(il, "time_mix_v1.weight", 1) * T * f32;
                int mix = g.node(lv, 1, {xxx});              // time_mix_v1
                mix = g.node(ET, 1, {mix});                  // time_mix_v2
                mix = g.node(ET, 1, {mix}, true);            // + v0
                mix = g.node(ET, 1, {mix}, true);            // sigmoid
                dv = g.node(ET, 1, {dv, mix}, true);         // * mix
                v = g.node_any(ET, 2, {v, dv}, 0b11u);       // v + ..., in place on v
            }
            int kk = g.node(ET, 1, {k_mm}, true);            // k * k_k, in place
            kk = g.node(ET, 2, {kk});                        // l2_norm of a reshape: fresh
            const int nk = g.node(ET, 1, {kk}, true);        // -kk (kk read again: fresh)
            const int kka = g.node(ET, 1, {kk, a}, true);    // kk * a, in place
            const int wkv = g.node(ET + s_bytes, 2, {r, w, k, v, nk, kka, s_rows});  // ggml_rwkv_wkv7
            g.release(wkv);                                  // cpy of the states into the cache
            int o = g.node(ET, 1, {wkv});                    // group norm of a view: fresh
            o = g.node(ET, 1, {o});                          // * time_mix_ln (of a reshape): fresh
            o = g.node(ET, 1, {o}, true);                    // + bias
            int rk = g.node(ET, 1, {k, r});                  // k * r (reshapes): fresh
            rk = g.node(ET, 1, {rk}, true);                  // * r_k
            rk = g.node(n_head * T * f32, 1, {rk});          // sum_rows
            const int vrk = g.node(ET, 1, {v, rk});          // v * rk (a reshape of v): fresh
            o = g.node(ET, 1, {o, vrk}, true);               // +, in place
            if (gating) {
                const std::uint64_t lg = rank(il, "time_mix_g1.weight", 1) * T * f32;
                int gate = g.node(lg, 1, {xxx});             // time_mix_g1
                gate = g.node(lg, 1, {gate}, true);          // sigmoid
                gate = g.node(ET, 1, {gate});                // time_mix_g2
                o = g.node(ET, 1, {o, gate}, true);          // * g
            }
            cur = g.node(ET, 1, {o});                        // time_mix_output
        }
        // ffn_inp = cur + inpL (two reshapes: fresh), the FFN-side LayerNorm, the token-shift store
        const int ffn_inp = g.node(ET, 2, {cur, inpL});
        const bool last = il + 1 == L;
        int fn = g.node(ET, 1, {ffn_inp});
        fn = g.node(ET, 1, {fn}, true);
        // read by the token-shift concat, x_prev and the channel mix (its get_rows in the last layer)
        fn = g.node(ET, 2 + (last ? 1u : (v7 ? 2u : 3u)), {fn}, true);
        const int ts = g.node(r_bytes, 1, {an, fn});        // concat of the last tokens of attn_norm, ffn_norm
        g.release(ts);                                      // cpy into the cache
        pc = pending{r_rows, fn, ffn_inp, il};
    }
    int l_out = channel_mix(pc, 1);
    track_peak(g, last_max, L - 1, bd);
    // output_norm: LayerNorm (fresh), * weight, + bias (result_norm, a graph output), then the LM head
    int cur = g.node(E * No * f32, 1, {l_out});
    cur = g.node(E * No * f32, 1, {cur}, true);
    cur = g.node(E * No * f32, 1, {cur}, true);
    g.t[cur].output = true;
    const std::uint64_t logits = std::uint64_t(hp.n_vocab) * No * f32;
    const int lg = g.node(logits, 1, {cur});
    g.t[lg].output = true;
    if (g.a.max_size > last_max) bd.peak_layer = L;
    bd.total = g.a.max_size;
    bd.logits = logits;
    bd.ok = g.ok && g.a.ok;
    if (!bd.ok) bd.status = compute_status::capacity_exceeded;
    return bd;
}

}  // namespace llamaplan::detail::compute

#endif  // LLAMAPLAN_COMPUTE_RWKV_HPP
