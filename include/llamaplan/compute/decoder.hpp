// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_COMPUTE_DECODER_HPP
#define LLAMAPLAN_COMPUTE_DECODER_HPP

#include <llamaplan/config.hpp>

// The compute graph of standard decoder models (graph_family::decoder; also the stand-in for graph_family::approximate).

#include <llamaplan/compute/blocks.hpp>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::detail::compute {

/// The standard decoder block (graph_family::decoder), as src/models/llama.cpp builds it, with what qwen2/qwen3,
/// qwen3moe, gemma2/gemma3, phi3 and gpt-oss add: attention biases, Q/K norms, post-norms, an embedding scale, a Q
/// scale after rope, a fused attn_qkv, phi3's fused gate/up FFN, MoE routing (gpt-oss: biased router and experts,
/// softmax over the chosen logits) and attention sinks (an extra source of flash_attn_ext / soft_max_ext, no tensor of
/// their own). Per block: attn_norm -> Q,V,K (iSWA builders: Q,K,V) projections (-> q/k norm) -> rope -> KV store ->
/// attention (flash_attn_ext, or mul_mat+soft_max+mul_mat) -> wo -> residual -> ffn_norm -> FFN (gate/up -> GLU ->
/// down, or MoE) -> residual; after the last block (gpt-oss: the output rows taken here) output_norm and the LM head.
/// `skip_repeats`: the alike blocks before the last are replayed only until the allocator reaches a steady state
/// (block_skipper; the figures are the same; false replays every block, for the test that says so).
/// `win`, when set, replays only what one device of a layer split runs and allocates in its own compute buffer
/// (see device_window): its blocks, the split inputs copied in at the start of its split
/// (ggml_backend_sched_split_graph: copies of tensors of other backends, allocated first, in the order the split's
/// nodes first read them), and the next block's rms_norm when the next device leaves it here (the scheduler's
/// "expand gpu down" pass gives a weight-free op the backend of the node before it, unless llama_context pins the
/// layer's "norm" to its own device: memory.hpp add_compute_buffers decides which).
[[nodiscard]] constexpr compute_breakdown decoder_graph(const model& m, const compute_shape& s, const arch_traits& at,
                                                        bool skip_repeats = true, const device_window* win = nullptr) noexcept {
    const hparams& hp = m.hp;
    compute_breakdown bd{};
    bd.graph = at.graph == graph_family::decoder ? graph_family::decoder : graph_family::approximate;
    const std::uint64_t f32 = 4;
    const std::uint64_t E = hp.n_embd;
    const std::uint32_t n_seqs = s.n_seqs == 0 ? 1 : s.n_seqs;
    // llama_context::graph_reserve rounds n_tokens up to a multiple of n_seqs
    const std::uint64_t T = (std::uint64_t(s.n_tokens) + n_seqs - 1) / n_seqs * n_seqs;
    const std::uint64_t n_out = s.n_outputs == 0 ? 1 : s.n_outputs;
    const bool fa = s.flash_attn;
    // llama-graph.cpp build_attn_inp_kq_mask: F16 mask with flash attention, else F32; n_kv x n_tokens overall
    const std::uint64_t mask_es = fa ? 2 : 4;

    // features read from the tensor list (llama-arch.cpp tensor names)
    const bool q_norm = m.find("blk.0.attn_q_norm.weight") != nullptr;
    const bool k_norm = m.find("blk.0.attn_k_norm.weight") != nullptr;
    // gemma's post_attention_norm normalises the attention output; gpt-oss's (attn_post_norm) is its FFN norm
    const bool post_attn_norm = m.find("blk.0.post_attention_norm.weight") != nullptr && !at.post_attn_norm_is_ffn_norm;
    const bool post_ffw_norm = m.find("blk.0.post_ffw_norm.weight") != nullptr;
    // gemma*.cpp: inpL = ggml_scale(embd, sqrt(n_embd)); gemma3.cpp Qcur = ggml_scale(Qcur, f_attention_scale) and
    // phi3.cpp Qcur = ggml_scale(Qcur, 1/sqrt(n_embd_head)), both after rope (arch_traits)
    const bool embd_scale = at.embd_scale;
    const bool q_scale = at.q_scale_after_rope;
    // phi3.cpp: build_qkv takes the fused path when the file has attn_qkv (Q, K, V are views of one mul_mat), and
    // the FFN is LLM_FFN_SEQ over a 2 x n_ff ffn_up (no ffn_gate)
    const bool fused_qkv = at.fused_qkv && m.find("blk.0.attn_qkv.weight") != nullptr;
    const bool fused_gate_up = at.fused_gate_up && m.find("blk.0.ffn_gate.weight") == nullptr;

    const kv_rotation rot = kv_rotation_of(hp, s);
    const bool rot_k = rot.k, rot_v = rot.v;
    const std::uint64_t rot_k_bytes = rot.k_bytes, rot_v_bytes = rot.v_bytes;

    // how often each cache's inputs are read (consumer counts) -- one "cache" for SWA layers, one for the others
    std::uint32_t n_full = 0, n_swa = 0;
    std::uint64_t max_kv_gqa_v = 0;
    for (std::uint32_t il = 0; il < hp.n_layer; ++il) {
        (hp.is_swa(il) ? n_swa : n_full) += 1;
        if (hp.n_embd_v_gqa(il) > max_kv_gqa_v) max_kv_gqa_v = hp.n_embd_v_gqa(il);
    }

    // the blocks replayed: all, or a device's window
    const std::uint32_t first = win != nullptr ? win->first : 0;
    const std::uint32_t end = win != nullptr ? std::min(win->last, hp.n_layer) : hp.n_layer;
    const bool with_output = win == nullptr || (win->output && end == hp.n_layer);
    if (win != nullptr) {  // the blocks of each attention kind in the window read that kind's inputs
        n_full = n_swa = 0;
        for (std::uint32_t il = first; il < end; ++il) (hp.is_swa(il) ? n_swa : n_full) += 1;
    }

    graph_sim g{};
    int tokens = -1, inpL = -1, normed_in = -1;
    if (win == nullptr) {
        // ---- graph inputs, allocated first in the order the graph visits them (ggml_gallocr_alloc_graph_impl
        // leafs). build_inp_embd: inp_tokens (I32 n_tokens), then the unused inp_embd (F32 n_embd x n_tokens), which
        // is an input leaf of the graph (ggml_build_forward_select) with no consumer, so it is never freed
        tokens = g.fresh(T * 4, 1);
        g.fresh(E * T * f32, 0);
    } else if (first >= end) {
        // the output layer alone: the copy of the last block's rows, normed by the device before it
        inpL = g.fresh(E * n_out * f32, 1);
    } else if (win->after_device) {
        // a device after another: the split starts with the copy of the normed activation (the previous device ran
        // this block's rms_norm); the residual's copy comes after the first block's attention inputs
        normed_in = g.fresh(E * T * f32, 1);
    } else {
        // the block before ran on the host (for block 0: the token embeddings' GET_ROWS), or this device runs its
        // first block's norm itself: the split starts with the copy of the residual
        inpL = g.fresh(E * T * f32, 1);
    }
    struct cache_inputs {
        int rot_k = -1, rot_v = -1, k_idxs = -1, v_idxs = -1, mask = -1;
    };
    cache_inputs ci[2]{};  // [0] full attention, [1] SWA
    int pos = -1;
    int out_ids = -1;
    std::uint64_t inputs = T * 4 + E * T * f32;
    // the first block's DFS meets, in order: rot_k (src0 of the Q rotation), inp_pos (rope), rot_v, k_idxs, v_idxs
    // (set_rows), the mask (attention); later blocks of the other attention kind add their own set
    // (llm_graph_context::build_attn_inp_kv_iswa builds idxs, mask and rotations per cache)
    auto make_cache_inputs = [&](int c, std::uint32_t layers_of_kind, std::uint64_t n_kv) {
        cache_inputs& x = ci[c];
        if (rot_k) { x.rot_k = g.fresh(rot_k_bytes, 2 * layers_of_kind); inputs += rot_k_bytes; }
        if (pos < 0) { pos = g.fresh(T * 4, 2 * (end - first)); inputs += T * 4; }
        if (rot_v) { x.rot_v = g.fresh(rot_v_bytes, 2 * layers_of_kind); inputs += rot_v_bytes; }
        // llama-kv-cache.cpp build_input_k_idxs / build_input_v_idxs: I64 per token (per element with a
        // transposed V cache, i.e. without flash attention)
        x.k_idxs = g.fresh(T * 8, layers_of_kind);
        const std::uint64_t v_idx_bytes = fa ? T * 8 : T * max_kv_gqa_v * 8;
        x.v_idxs = g.fresh(v_idx_bytes, layers_of_kind);
        const std::uint64_t mb = n_kv * T * mask_es;
        x.mask = g.fresh(mb, layers_of_kind);
        inputs += T * 8 + v_idx_bytes + mb;
        bd.kq_mask += mb;
    };

    if (first < end) {
        const int kind = hp.is_swa(first) ? 1 : 0;
        make_cache_inputs(kind, kind ? n_swa : n_full, kind ? s.n_kv_swa : s.n_kv);
        if (win != nullptr && win->after_device) inpL = g.fresh(E * T * f32, 1);  // the residual's copy
        if ((kind ? n_full : n_swa) > 0) make_cache_inputs(1 - kind, kind ? n_full : n_swa, kind ? s.n_kv : s.n_kv_swa);
        // build_inp_out_ids: I32 n_outputs, read by the two get_rows of the last block (one after it)
        if (end == hp.n_layer) {  // in a window, only when its blocks include the last
            out_ids = g.fresh(n_out * 4, at.out_rows_after_blocks ? 1 : 2);
            inputs += n_out * 4;
        }
    }

    // ---- nodes
    // embeddings (+ gemma scale, in place; on the first device when the GET_ROWS is the host's: "expand gpu up")
    if (win == nullptr) inpL = g.node(E * T * f32, 1, {tokens});
    if (embd_scale && (win == nullptr || first == 0)) inpL = g.node(E * T * f32, 1, {inpL}, true);
    std::uint64_t last_max = 0;

    // steady state: the blocks before the last that have the last-but-one's attention kind, head counts and sizes,
    // FFN width and dense-or-MoE FFN (everything a block below reads of its layer) are alike
    auto alike = [&](std::uint32_t a, std::uint32_t b) {
        const auto moe_at = [&](std::uint32_t l) { return hp.n_expert > 0 && l >= hp.n_layer_dense_lead; };
        return hp.is_swa(a) == hp.is_swa(b) && hp.head_count(a) == hp.head_count(b) &&
               hp.head_count_kv(a) == hp.head_count_kv(b) && hp.head_size_k(a) == hp.head_size_k(b) &&
               hp.head_size_v(a) == hp.head_size_v(b) && hp.ff_length(a) == hp.ff_length(b) && moe_at(a) == moe_at(b);
    };
    block_skipper skip{hp.n_layer - 1, hp.n_layer - 1};
    const int run_kind = hp.n_layer >= 2 && hp.is_swa(hp.n_layer - 2) ? 1 : 0;
    if (skip_repeats && win == nullptr && hp.n_layer > 3) {
        skip.from = hp.n_layer - 2;
        while (skip.from > 0 && alike(skip.from - 1, hp.n_layer - 2)) --skip.from;
    }
    const cache_inputs& run_inputs = ci[run_kind];

    for (std::uint32_t il = first; il < end; ++il) {
        il = skip.at(g, il, inpL, {pos, run_inputs.rot_k, run_inputs.rot_v, run_inputs.k_idxs, run_inputs.v_idxs, run_inputs.mask});
        const bool last = il + 1 == hp.n_layer;
        const int c = hp.is_swa(il) ? 1 : 0;
        const std::uint64_t n_kv = c ? s.n_kv_swa : s.n_kv;
        const cache_inputs& x = ci[c];
        const std::uint64_t H = hp.head_count(il), Hkv = hp.head_count_kv(il);
        const std::uint64_t hdk = hp.head_size_k(il), hdv = hp.head_size_v(il);
        const std::uint64_t q_bytes = hdk * H * T * f32, k_bytes = hdk * Hkv * T * f32, v_bytes = hdv * Hkv * T * f32;

        // attn_norm: rms_norm (inpL is also the residual) then mul by the weight in place; 3 consumers (Q, V, K)
        int cur = normed_in;
        if (il != first || normed_in < 0) {
            g.t[inpL].refs = 2;
            cur = g.node(E * T * f32, 1, {inpL}, true);
        }
        cur = g.node(E * T * f32, fused_qkv ? 1 : 3, {cur}, true);
        int qcur = -1;
        if (fused_qkv) {
            // build_qkv fused path: one mul_mat whose Q, K and V are views; rope of a view gets fresh memory; V is
            // written from its view by set_rows with FA, through a ggml_cont_2d without (cpy_v: not mergeable)
            const int qkv = g.node(q_bytes + k_bytes + v_bytes, 3, {cur});
            int q = g.node(q_bytes, 1, {qkv, pos});
            if (q_scale) q = g.node(q_bytes, 1, {q}, true);
            if (rot_k) q = g.node(q_bytes, 1, {x.rot_k, q});
            int v = -1;
            if (rot_v) v = g.node(v_bytes, 1, {x.rot_v, qkv});
            int k = g.node(k_bytes, 1, {qkv, pos});
            if (rot_k) k = g.node(k_bytes, 1, {x.rot_k, k});
            g.release(k); g.release(x.k_idxs);                       // cpy_k: set_rows
            if (v < 0) v = fa ? qkv : g.node(v_bytes, 1, {qkv});     // cpy_v: the view itself, or its cont
            g.release(v); g.release(x.v_idxs);                       // cpy_v: set_rows
            qcur = q;
        } else {
            // the three chains, in the order build_attn expands them: Q, V, K (build_attn_inp_kv) or Q, K, V
            // (build_attn_inp_kv_iswa); the last one is the last reader of the normed input. Bias adds (qwen2,
            // gpt-oss) are in place on the projection and do not show here.
            auto q_chain = [&]() {
                // mul_mat, [rms_norm, mul], rope, [scale], [Hadamard rotation]
                int q = g.node(q_bytes, 1, {cur});
                // the projection is read through a reshape view, and a view parent is never reused in place
                // (ggml-alloc.c ggml_gallocr_allocate_node asks ggml_gallocr_is_own, false for views): q-norm / rope
                // get fresh memory
                if (q_norm) { q = g.node(q_bytes, 1, {q}); q = g.node(q_bytes, 1, {q}, true); }
                q = g.node(q_bytes, 1, {q, pos}, q_norm);
                if (q_scale) q = g.node(q_bytes, 1, {q}, true);
                if (rot_k) q = g.node(q_bytes, 1, {x.rot_k, q});
                return q;
            };
            auto v_chain = [&]() {
                int v = g.node(v_bytes, 1, {cur});
                if (rot_v) v = g.node(v_bytes, 1, {x.rot_v, v});
                return v;
            };
            auto k_chain = [&]() {
                int k = g.node(k_bytes, 1, {cur});
                if (k_norm) { k = g.node(k_bytes, 1, {k}); k = g.node(k_bytes, 1, {k}, true); }
                k = g.node(k_bytes, 1, {k, pos}, k_norm);
                if (rot_k) k = g.node(k_bytes, 1, {x.rot_k, k});
                return k;
            };
            qcur = q_chain();
            int k = -1, v = -1;
            if (at.kv_iswa) {
                k = k_chain();
                v = v_chain();
            } else {
                v = v_chain();
                k = k_chain();
            }
            // llama_kv_cache::cpy_k / cpy_v: ggml_set_rows into the cache (a view of the KV buffer, not ours)
            g.release(k); g.release(x.k_idxs);
            g.release(v); g.release(x.v_idxs);
        }
        // llm_graph_context::build_attn_mha
        if (fa) {
            // flash_attn_ext: F32 [head_v, n_head, n_tokens]
            cur = g.node(hdv * H * T * f32, 1, {qcur, x.mask});
        } else {
            // kq = mul_mat(k, q): F32 [n_kv, n_tokens, n_head]; soft_max_ext in place; kqv; cont after permute
            const std::uint64_t kq = n_kv * T * H * f32;
            if (kq > bd.attn_scores) bd.attn_scores = kq;
            int s1 = g.node(kq, 1, {qcur});
            s1 = g.node(kq, 1, {s1, x.mask}, true);
            s1 = g.node(hdv * T * H * f32, 1, {s1});
            cur = g.node(hdv * H * T * f32, 1, {s1});
        }
        if (rot_v) cur = g.node(hdv * H * T * f32, 1, {x.rot_v, cur});
        cur = g.node(E * T * f32, 1, {cur});  // wo
        std::uint64_t To = T;
        int res = inpL;
        if (last && !at.out_rows_after_blocks) {
            // the last block keeps only the output rows: ggml_get_rows(cur / inpSA, inp_out_ids)
            To = n_out;
            cur = g.node(E * To * f32, 1, {cur, out_ids});
            res = g.node(E * To * f32, 1, {inpL, out_ids});
        }
        if (post_attn_norm) { cur = g.node(E * To * f32, 1, {cur}, true); cur = g.node(E * To * f32, 1, {cur}, true); }
        // ffn_inp = cur + residual (in place on cur); read by ffn_norm and the closing residual add
        int ffn_inp = g.node(E * To * f32, 2, {cur, res}, true);
        cur = g.node(E * To * f32, 1, {ffn_inp}, true);  // ffn_norm: rms_norm (fresh: ffn_inp has 2 readers) ...
        cur = g.node(E * To * f32, 1, {cur}, true);      // ... and mul by the weight, in place
        const bool moe = hp.n_expert > 0 && il >= hp.n_layer_dense_lead;
        if (!moe) {
            cur = dense_ffn(g, cur, E, hp.ff_length(il), To, fused_gate_up, bd);
        } else {
            moe_params mp{};
            mp.n_expert = hp.n_expert;
            mp.n_used = hp.n_expert_used;
            mp.n_ff_exp = hp.n_ff_exp != 0 ? hp.n_ff_exp : hp.ff_length(il);
            mp.norm_w = at.moe_norm_weights;
            mp.gating = at.gating;
            mp.biases = at.moe_biases;
            g.t[cur].refs = 3;  // router, up_exps, gate_exps
            cur = moe_ffn(g, cur, E, To, mp, bd);
        }
        if (post_ffw_norm) { cur = g.node(E * To * f32, 1, {cur}, true); cur = g.node(E * To * f32, 1, {cur}, true); }
        // llama.cpp: ggml_add(cur, ffn_inp); phi3.cpp: ggml_add(residual, cur) -- in place on the first own operand
        if (fused_gate_up) cur = g.node_any(E * To * f32, 1, {ffn_inp, cur}, 0b11u);
        else cur = g.node(E * To * f32, 1, {cur, ffn_inp}, true);
        inpL = cur;
        track_peak(g, last_max, il, bd);
    }
    if (!with_output) {
        // the next device's first block (or the output norm): its rms_norm runs here when that device does not pin
        // it (the residual it also reads has a second reader, so the norm gets fresh memory)
        std::uint64_t rows = T;
        if (end == hp.n_layer) {
            rows = n_out;
            if (at.out_rows_after_blocks) inpL = g.node(E * n_out * f32, 1, {inpL, out_ids});
        }
        if (win->before_device) (void)g.node(E * rows * f32, 1, {inpL});
        bd.inputs = inputs;
        settle(g, bd);
        return bd;
    }
    if (win != nullptr && first >= end) {
        // the output layer alone: the previous device ran output_norm's rms_norm (llm_graph's "result_norm" has no
        // layer, so nothing pins it), this one multiplies by the weight in place of the copy, then the LM head
        const int norm = g.node(E * n_out * f32, 1, {inpL}, true);
        g.t[norm].output = true;
        const int lg = g.node(std::uint64_t(hp.n_vocab) * n_out * f32, 1, {norm});
        g.t[lg].output = true;
        settle(g, bd);
        return bd;
    }
    // openai-moe.cpp & co.: the rows are taken after the last block, ggml_get_rows(cur, inp_out_ids)
    if (at.out_rows_after_blocks) inpL = g.node(E * n_out * f32, 1, {inpL, out_ids});
    bd.inputs = inputs;
    output_head(g, inpL, hp, graph_dims{E, T, n_seqs, n_out, s.n_kv, fa, mask_es}, last_max, bd);
    return bd;
}

}  // namespace llamaplan::detail::compute

#endif  // LLAMAPLAN_COMPUTE_DECODER_HPP
