// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_COMPUTE_RWKV_HPP
#define LLAMAPLAN_COMPUTE_RWKV_HPP

#include <llamaplan/config.hpp>

// The compute graph of RWKV-6 and RWKV-7, alone or in Qwen2 blocks (graph_family::rwkv).

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
///
/// rwkv6qwen2 / arwkv7 (src/models/rwkv6qwen2.cpp, arwkv7.cpp; arch_traits::rwkv_qwen2_ffn): no LN0, RMS norms, one
/// token shift (n_embd_r = n_embd), and the token-shift store is a view of attn_norm expanded right after the wkv
/// state cpy, so the whole tail -- the time mix after the wkv, ffn_inp, ffn_norm, the SwiGLU FFN (build_ffn) and the
/// residual -- runs when the next layer's attn_norm (or output_norm) pulls it in, after that layer's state gathers;
/// the last layer takes the output rows of ffn_inp only. A layer without time_mix_first (qrwkv: rwkv6qwen2 as
/// converted) computes k - k * w and runs ggml_gated_linear_attn without the group norm, with a sigmoid gate.
/// rwkv6qwen2's GQA (time_mix_key / _value of n_head_kv heads) repeats K and V to every head; the optional time-mix
/// biases add in place. Not replayed: rescale_every_n_layers (a ggml_scale of the single-use l_out, in place).
[[nodiscard]] constexpr compute_breakdown rwkv_graph(const model& m, const compute_shape& s) noexcept {
    const hparams& hp = m.hp;
    const arch_traits at = traits(arch_of(hp));
    const bool v7 = at.recurrent == recurrent_kind::rwkv7;
    const bool qwen2 = at.rwkv_qwen2_ffn;  // rwkv6qwen2 / arwkv7
    compute_breakdown bd{};
    bd.graph = graph_family::rwkv;
    const graph_dims d = dims_of(hp, s);
    const std::uint64_t f32 = 4, E = d.E, T = d.T, S = d.n_seqs, No = d.n_out, ET = E * T * f32;
    const std::uint64_t head = hp.wkv_head_size == 0 ? 1 : hp.wkv_head_size;
    const std::uint64_t n_head = E / head;
    const std::uint64_t r_bytes = hp.n_embd_r() * S * f32, s_bytes = hp.n_embd_s() * S * f32;
    const std::uint32_t L = hp.n_layer;
    // The LoRA ranks and K / V widths are global hparams in load_arch_tensors, so layer 0 (layer 1 for the value
    // residual, whose layer-0 tensors have the iclr rank and are unused) tells every layer; so do the optional tensors
    // (time_mix_first, time_mix_ln, the gate LoRA, the time-mix biases), looked up once rather than per block (a name
    // search over the whole tensor list per block and tensor was most of the replay's time). A file whose layers
    // differ in which optional tensors they have is not modelled.
    auto rows_of = [&](std::uint32_t il, std::string_view name) -> std::uint64_t {
        const tensor_info* t = find_layer_tensor(m, il, name);
        return t == nullptr ? 0 : t->ne[1];
    };
    auto has = [&](std::string_view name) { return find_layer_tensor(m, 0, name) != nullptr; };
    const std::uint64_t x5 = rows_of(0, "time_mix_w1.weight") * T * f32;        // RWKV-6: 5 x time_mix_extra_dim
    const std::uint64_t dd = rows_of(0, "time_mix_decay_w1.weight") * T * f32;  // RWKV-6 decay LoRA
    const std::uint64_t ld = x5;                                                 // RWKV-7 decay LoRA (time_mix_w1)
    const std::uint64_t la = rows_of(0, "time_mix_a1.weight") * T * f32;
    const std::uint64_t lv = rows_of(L > 1 ? 1 : 0, "time_mix_v1.weight") * T * f32;
    const std::uint64_t lg = rows_of(0, "time_mix_g1.weight") * T * f32;
    const std::uint64_t wk_rows = rows_of(0, "time_mix_key.weight");
    const std::uint64_t kv_bytes = (wk_rows != 0 ? wk_rows : E) * T * f32;     // K / V before a GQA repeat
    // rwkv6 / rwkv7 require time_mix_first, time_mix_ln and the gate LoRA; rwkv6qwen2 / arwkv7 may lack them
    const bool has_first = !qwen2 || has("time_mix_first.weight");
    const bool has_ln = !qwen2 || has("time_mix_ln.weight");
    const bool gating = !qwen2 || has("time_mix_g1.weight");
    const bool bias_k = has("time_mix_key.bias"), bias_v = has("time_mix_value.bias");
    const bool bias_r = has("time_mix_receptance.bias");

    graph_sim g{};
    // inputs in first-visit order: inp_tokens, the unused inp_embd, s_copy (n_seq_max ids, read by 4 gathers per
    // layer: main and extra of both states), inp_out_ids (read by the last layer's 3 get_rows; 1 with a Qwen2 FFN)
    const int tokens = g.fresh(T * 4, 1);
    g.fresh(E * T * f32, 0);
    const int s_copy = g.fresh(S * 4, 4 * L);
    const int out_ids = g.fresh(No * 4, qwen2 ? 1 : 3);
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

    // what the time mix leaves for its tail (after the wkv): the mixes, the wkv output and, for RWKV-7, k, r, v
    struct mix_state {
        int xxx = -1, wkv = -1, k = -1, r = -1, v = -1;
        std::uint32_t il = 0;
    };
    // build_rwkv6/7_time_mix after ggml_rwkv_wkv6 / wkv7 / ggml_gated_linear_attn, up to time_mix_output
    auto time_mix_tail = [&](const mix_state& ms) -> int {
        const bool ln = has_ln;
        if (!v7) {
            const bool qrwkv = !has_first;
            int o = ms.wkv;
            if (!qrwkv) {
                o = g.node(ET, 1, {ms.wkv});                 // group norm of a view: fresh
                o = g.node(ET, 1, {o});                      // * time_mix_ln (of a reshape): fresh
                o = g.node(ET, 1, {o}, true);                // + bias
            }
            int gate = g.node(ET, 1, {ms.xxx});              // time_mix_gate
            gate = g.node(ET, 1, {gate}, true);              // silu (qrwkv: sigmoid)
            o = g.node_any(ET, 1, {o, gate}, qrwkv ? 0b10u : 0b01u);  // * g (qrwkv: a view of y, so in place on g)
            return g.node(ET, 1, {o});                       // time_mix_output
        }
        int o = ms.wkv;
        if (ln) {
            o = g.node(ET, 1, {ms.wkv});                     // group norm of a view: fresh
            o = g.node(ET, 1, {o});                          // * time_mix_ln (of a reshape): fresh
            o = g.node(ET, 1, {o}, true);                    // + bias
        }
        int rk = g.node(ET, 1, {ms.k, ms.r});                // k * r (reshapes): fresh
        rk = g.node(ET, 1, {rk}, true);                      // * r_k
        rk = g.node(n_head * T * f32, 1, {rk});              // sum_rows
        const int vrk = g.node(ET, 1, {ms.v, rk});           // v * rk (a reshape of v): fresh
        o = g.node_any(ET, 1, {o, vrk}, ln ? 0b01u : 0b10u); // +, in place (on v * rk when y is a view)
        if (gating) {
            int gate = g.node(lg, 1, {ms.xxx});              // time_mix_g1
            gate = g.node(lg, 1, {gate}, true);              // sigmoid
            gate = g.node(ET, 1, {gate});                    // time_mix_g2
            o = g.node(ET, 1, {o, gate}, true);              // * g
        }
        return g.node(ET, 1, {o});                           // time_mix_output
    };
    // rwkv6qwen2 / arwkv7: the time mix's tail, ffn_inp = cur + inpL (the last layer's output rows taken from it),
    // RMS ffn_norm and the SwiGLU FFN (build_ffn, LLM_FFN_PAR), + ffn_inp
    struct qwen2_pending {
        mix_state ms{};
        int inpL = -1;
    };
    auto qwen2_block_tail = [&](const qwen2_pending& p, std::uint32_t refs_out) -> int {
        const bool last = p.ms.il + 1 == L;
        const int cur = time_mix_tail(p.ms);
        int ffn_inp = g.node(ET, last ? 1 : 2, {cur, p.inpL});  // two reshapes: fresh
        std::uint64_t rows = T;
        if (last) {
            rows = No;
            ffn_inp = g.node(E * No * f32, 2, {ffn_inp, out_ids});  // get_rows(ffn_inp)
        }
        int n = g.node(E * rows * f32, 1, {ffn_inp});       // rms_norm (of a reshape, or read twice): fresh
        n = g.node(E * rows * f32, 1, {n}, true);           // * ffn_norm
        const int l_out = dense_ffn_residual(g, n, ffn_inp, E, hp.ff_length(p.ms.il), rows, bd);
        g.t[l_out].refs = refs_out;
        return l_out;
    };

    pending pc{};
    qwen2_pending qp{};
    int inpL = -1;
    int first_v = -1;  // RWKV-7: layer 0's value, read by every later layer's value residual
    for (std::uint32_t il = 0; il < L; ++il) {
        // build_rs of the token-shift state (read by the attention concat and, with the channel mix, the FFN concat)
        // and of the wkv state
        const int r_rows = g.node(r_bytes, qwen2 ? 1 : 2, {s_copy});
        g.release(s_copy);  // the empty "extra" get_rows
        const int s_rows = g.node(s_bytes, 1, {s_copy});
        g.release(s_copy);
        if (il == 0 && qwen2) {
            inpL = embd;  // no LN0: the embeddings are read by attn_norm and ffn_inp
            g.t[inpL].refs = 2;
        } else if (il == 0) {  // LN0: norm, * weight, + bias
            inpL = g.node(ET, 1, {embd});
            inpL = g.node(ET, 1, {inpL}, true);
            inpL = g.node(ET, 2, {inpL}, true);  // read by attn_norm and ffn_inp
        } else {
            inpL = qwen2 ? qwen2_block_tail(qp, 2) : channel_mix(pc, 2);
        }
        track_peak(g, last_max, il == 0 ? 0 : il - 1, bd);
        // attn_norm of a reshape (LayerNorm + bias, or rms_norm: fresh), read by x_prev, the sub, the lerp add(s)
        // and the token-shift store
        const std::uint32_t an_refs = v7 ? 4 : 5;
        int an = g.node(ET, 1, {inpL});
        an = g.node(ET, qwen2 ? an_refs : 1, {an}, true);
        if (!qwen2) an = g.node(ET, an_refs, {an}, true);
        int sx = g.node(ET, 1, {r_rows, an});                // x_prev = concat(att shift, attn_norm)
        sx = g.node(ET, v7 ? 1 : 2, {sx, an}, true);         // sx = x_prev - cur, in place
        mix_state ms{};
        ms.il = il;
        if (!v7) {
            // build_rwkv6_time_mix: xxx = tanh(w1 (sx * lerp_x + cur)) permuted, w2, + lerp_fused, * sx, + cur
            int t = g.node(ET, 1, {sx});                     // sx (2-D reshape) * lerp_x: fresh
            t = g.node(ET, 1, {t, an}, true);
            t = g.node(x5, 1, {t});                          // time_mix_w1
            t = g.node(x5, 1, {t}, true);                    // tanh
            t = g.node(x5, 1, {t});                          // cont(permute)
            int xxx = g.node(5 * ET, 1, {t});                // time_mix_w2 (batched over the 5 mixes)
            xxx = g.node(5 * ET, 1, {xxx}, true);            // + lerp_fused
            xxx = g.node(5 * ET, 1, {xxx, sx}, true);        // * sx
            xxx = g.node(5 * ET, 5, {xxx, an}, true);        // + cur; xw, xk, xv, xr, xg views
            auto decay = [&](std::uint32_t refs) {
                int w = g.node(dd, 1, {xxx});                // time_mix_decay_w1
                w = g.node(dd, 1, {w}, true);                // tanh
                w = g.node(ET, 1, {w});                      // time_mix_decay_w2
                for (int i = 0; i < 3; ++i) w = g.node(ET, 1, {w}, true);  // + decay, exp, neg
                return g.node(ET, refs, {w}, true);          // exp
            };
            // K and V: n_head_kv heads repeated to n_embd / head size when fewer (rwkv6qwen2's GQA); the optional
            // biases add in place
            auto proj = [&](bool bias, std::uint64_t bytes, std::uint32_t refs) {
                int x = g.node(bytes, 1, {xxx});
                if (bias) x = g.node(bytes, 1, {x}, true);
                if (bytes != ET) x = g.node(ET, 1, {x});    // ggml_repeat to every head
                g.t[x].refs = refs;
                return x;
            };
            int wkv = -1;
            if (has_first) {
                const int k = proj(bias_k, kv_bytes, 1);
                const int v = proj(bias_v, kv_bytes, 1);
                const int r = proj(bias_r, ET, 1);
                const int w = decay(1);
                wkv = g.node(ET + s_bytes, 2, {k, v, r, w, s_rows});  // ggml_rwkv_wkv6: y and the states
            } else {
                // qrwkv (no time_mix_first): k = k - k * w, then ggml_gated_linear_attn(k, v, r, w, state)
                const int k_mm = proj(bias_k, kv_bytes, 2);
                const int w = decay(2);
                const int kw = g.node(ET, 1, {k_mm, w});     // k * w (reshapes): fresh
                const int k = g.node_any(ET, 1, {k_mm, kw}, 0b10u);  // k - k * w, in place on k * w
                const int v = proj(bias_v, kv_bytes, 1);
                const int r = proj(bias_r, ET, 1);
                wkv = g.node(ET + s_bytes, 2, {k, v, r, w, s_rows});
            }
            g.release(wkv);                                  // cpy of the states into the cache
            ms.xxx = xxx;
            ms.wkv = wkv;
        } else {
            // build_rwkv7_time_mix: xxx = repeat(sx) * lerp_fused + cur, split into r, w, k, v, a (, g)
            const std::uint64_t parts = gating ? 6 : 5;
            int xxx = g.node(parts * ET, 1, {sx});           // repeat
            xxx = g.node(parts * ET, 1, {xxx}, true);        // * lerp_fused
            xxx = g.node(parts * ET, static_cast<std::uint32_t>(parts) + (il > 0 ? 1 : 0), {xxx, an}, true);  // + cur
            const int r = g.node(ET, 2, {xxx});              // receptance: read by wkv7 and k * r
            int w = g.node(ld, 1, {xxx});                    // time_mix_w1
            w = g.node(ld, 1, {w}, true);                    // tanh
            w = g.node(ET, 1, {w});                          // time_mix_w2
            for (int i = 0; i < 4; ++i) w = g.node(ET, 1, {w}, true);  // + w0, sigmoid, scale, exp
            const int k_mm = g.node(ET, 3, {xxx});           // key: read by k * k_a, k + ..., k * k_k
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
            ms = mix_state{xxx, wkv, k, r, v, il};
        }
        if (qwen2) {
            // the token-shift store (a view of attn_norm) is expanded now; the time mix's tail, the FFN and the
            // residuals run when the next layer's attn_norm (or the output norm) pulls them in
            g.release(an);
            qp = qwen2_pending{ms, inpL};
            continue;
        }
        const int cur = time_mix_tail(ms);
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
    if (qwen2) {
        const int l_out = qwen2_block_tail(qp, 1);
        track_peak(g, last_max, L - 1, bd);
        output_head(g, l_out, hp, d, last_max, bd);  // RMS output_norm in place, * weight, the LM head
        return bd;
    }
    int l_out = channel_mix(pc, 1);
    track_peak(g, last_max, L - 1, bd);
    // output_norm: LayerNorm (fresh), * weight, + bias (result_norm, a graph output), then the LM head
    int cur = g.node(E * No * f32, 1, {l_out});
    cur = g.node(E * No * f32, 1, {cur}, true);
    cur = g.node(E * No * f32, 1, {cur}, true);
    g.t[cur].output = true;
    const std::uint64_t logits = std::uint64_t(hp.n_vocab) * No * f32;
    const int lm_head = g.node(logits, 1, {cur});
    g.t[lm_head].output = true;
    if (g.a.max_size > last_max) bd.peak_layer = L;
    bd.total = g.a.max_size;
    bd.logits = logits;
    bd.ok = g.ok && g.a.ok;
    if (!bd.ok) bd.status = compute_status::capacity_exceeded;
    return bd;
}

}  // namespace llamaplan::detail::compute

#endif  // LLAMAPLAN_COMPUTE_RWKV_HPP
