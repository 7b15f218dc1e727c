// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_COMPUTE_BLOCKS_HPP
#define LLAMAPLAN_COMPUTE_BLOCKS_HPP

#include <llamaplan/config.hpp>

// What every compute graph shares: the shape it is reserved for, the breakdown it reports, and the blocks several
// architectures build the same way in llama.cpp (src/llama-graph.cpp build_ffn, build_moe_ffn, the output head).

#include <llamaplan/arch.hpp>
#include <llamaplan/compute/allocator.hpp>
#include <llamaplan/model.hpp>

#include <array>
#include <cstdint>
#include <string_view>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG {

/// Resolved graph shape the compute buffer depends on.
struct compute_shape {
    std::uint32_t n_tokens = 512;   ///< tokens in the reserved ubatch = min(n_ctx, n_ubatch)
    std::uint32_t n_outputs = 1;    ///< output rows reserved (llama-server: n_seq_max; llama-completion: n_tokens)
    std::uint32_t n_seqs = 1;       ///< n_seq_max (n_tokens is rounded up to a multiple of it, as llama.cpp does)
    std::uint32_t n_stream = 1;     ///< KV streams (1 if the KV cache is unified, else n_seqs)
    std::uint32_t n_kv = 0;         ///< KV cells seen by full-attention layers (per stream)
    std::uint32_t n_kv_swa = 0;     ///< KV cells seen by SWA layers (per stream)
    bool flash_attn = true;         ///< flash attention on
    ggml_type type_k = ggml_type::f16;  ///< K cache type
    ggml_type type_v = ggml_type::f16;  ///< V cache type
};

/// Whether a compute-buffer figure could be produced.
enum class compute_status : std::uint8_t {
    ok,                    ///< the figure is the replayed high-water mark
    capacity_exceeded,     ///< a fixed capacity of the replay ran out (the figure would be a lower bound)
    unknown_architecture,  ///< the model names no architecture (set hparams::id, e.g. arch::generic)
};

/// Which terms made up the result (bytes; peaks are the live sizes of the largest single tensors involved).
struct compute_breakdown {
    std::uint64_t total = 0;          ///< compute buffer bytes (the allocator's high-water mark)
    std::uint64_t inputs = 0;         ///< graph inputs allocated before any node (tokens, positions, masks, ids, ...)
    std::uint64_t kq_mask = 0;        ///< KQ mask bytes (full + SWA), part of `inputs`
    std::uint64_t attn_scores = 0;    ///< largest attention-score tensor (n_kv x n_tokens x n_head f32; 0 with FA)
    std::uint64_t ffn_hidden = 0;     ///< largest FFN intermediate (n_ff x n_tokens f32, or experts' n_ff_exp x n_used)
    std::uint64_t logits = 0;         ///< n_vocab x n_outputs f32
    std::uint32_t peak_layer = 0;     ///< layer during which the high-water mark was first reached (n_layer = output)
    graph_family graph = graph_family::approximate;  ///< the graph replayed (approximate: not validated for this arch)
    compute_status status = compute_status::ok;      ///< why there is no figure, if there is none
    bool ok = true;                   ///< status == compute_status::ok
};

namespace detail::compute {

/// One device's share of a layer split, for replaying what it allocates in its own compute buffer: blocks
/// [first, last) (first == last: the output layer alone), the output layer when `output`, and where the norms at
/// its two ends run.
struct device_window {
    std::uint32_t first = 0;     ///< its first block
    std::uint32_t last = 0;      ///< one past its last block
    bool output = false;         ///< it holds the output layer (and the last block)
    bool after_device = false;   ///< the device before ran this window's first rms_norm: its normed activation and
                                 ///< the residual come in; false: the residual comes in (from the host, or normed here)
    bool before_device = false;  ///< the next block's (or the output layer's) rms_norm runs here, for another device
};

[[nodiscard]] constexpr bool is_quantized_kv(ggml_type t) noexcept { return type_traits(t).quantized; }

/// The tensor "blk.<il>.<suffix>" of `m`, or nullptr.
[[nodiscard]] constexpr const tensor_info* find_layer_tensor(const model& m, std::uint32_t il, std::string_view suffix) noexcept {
    std::array<char, 96> buf{};
    std::size_t n = 0;
    for (const char c : std::string_view("blk.")) buf[n++] = c;
    char digits[10]{};
    int nd = 0;
    do {
        digits[nd++] = static_cast<char>('0' + il % 10);
        il /= 10;
    } while (il != 0 && nd < 10);
    while (nd > 0) buf[n++] = digits[--nd];
    buf[n++] = '.';
    if (n + suffix.size() > buf.size()) return nullptr;
    for (const char c : suffix) buf[n++] = c;
    return m.find(std::string_view(buf.data(), n));
}

/// Shape values shared by the architecture-specific graphs.
struct graph_dims {
    std::uint64_t E = 0;       ///< n_embd
    std::uint64_t T = 0;       ///< tokens of the reserved ubatch (a multiple of n_seqs)
    std::uint64_t n_seqs = 1;  ///< sequences of the reserved ubatch (n_seq_max)
    std::uint64_t n_out = 1;   ///< output rows
    std::uint64_t n_kv = 0;    ///< KV cells per stream
    bool fa = true;            ///< flash attention
    std::uint64_t mask_es = 2; ///< KQ mask element size (F16 with flash attention, else F32)
};

[[nodiscard]] constexpr graph_dims dims_of(const hparams& hp, const compute_shape& s) noexcept {
    graph_dims d{};
    d.E = hp.n_embd;
    d.n_seqs = s.n_seqs == 0 ? 1 : s.n_seqs;
    d.T = (std::uint64_t(s.n_tokens) + d.n_seqs - 1) / d.n_seqs * d.n_seqs;  // llama_context::graph_reserve
    d.n_out = s.n_outputs == 0 ? 1 : s.n_outputs;
    d.n_kv = s.n_kv;
    d.fa = s.flash_attn;
    d.mask_es = s.flash_attn ? 2 : 4;
    return d;
}

/// The Hadamard rotations of a quantized KV cache (llama-kv-cache.cpp llama_kv_cache ctor): K (V) is rotated when its
/// cache type is quantized, every layer with KV has the same head size and it is a multiple of 64; K uses the
/// largest power of two >= 64 dividing it. The rotation matrices are graph inputs (build_input_k_rot / _v_rot).
struct kv_rotation {
    bool k = false, v = false;     ///< K / V rotated
    std::uint64_t k_bytes = 0;     ///< F32 nrot x nrot
    std::uint64_t v_bytes = 0;     ///< F32 64 x 64
};
[[nodiscard]] constexpr kv_rotation kv_rotation_of(const hparams& hp, const compute_shape& s) noexcept {
    std::uint32_t hk_all = 0, hv_all = 0;
    bool hk_same = true, hv_same = true;
    for (std::uint32_t il = 0; il < hp.n_layer; ++il) {
        if (!hp.has_kv(il)) continue;
        if (hk_all == 0) hk_all = hp.head_size_k(il);
        else if (hk_all != hp.head_size_k(il)) hk_same = false;
        if (hv_all == 0) hv_all = hp.head_size_v(il);
        else if (hv_all != hp.head_size_v(il)) hv_same = false;
    }
    kv_rotation r{};
    r.k = hk_same && hk_all > 0 && is_quantized_kv(s.type_k) && hp.n_embd_head_k % 64 == 0;
    r.v = hv_same && hv_all > 0 && is_quantized_kv(s.type_v) && hp.n_embd_head_v % 64 == 0;
    std::uint64_t nrot_k = 64;
    while (hk_all != 0 && hk_all % (nrot_k * 2) == 0) nrot_k *= 2;
    r.k_bytes = nrot_k * nrot_k * 4;
    r.v_bytes = 64 * 64 * 4;
    return r;
}

/// Keeps the layer where the high-water mark was first reached.
constexpr void track_peak(const graph_sim& g, std::uint64_t& last_max, std::uint32_t il, compute_breakdown& bd) noexcept {
    if (g.a.max_size > last_max) {
        last_max = g.a.max_size;
        bd.peak_layer = il;
    }
}

/// The dense FFN of build_ffn on `cur` (To rows): with a parallel gate (gate and up mul_mat, then
/// ggml_swiglu_split / geglu_split, GGML_OP_GLU, not in place), or -- `fused_gate_up`, phi3's LLM_FFN_SEQ with a
/// 2 x F wide ffn_up -- one up mul_mat and ggml_swiglu of its two halves; then down. Returns the FFN output.
constexpr int dense_ffn(graph_sim& g, int cur, std::uint64_t E, std::uint64_t F, std::uint64_t To, bool fused_gate_up,
                        compute_breakdown& bd) noexcept {
    const std::uint64_t fb = F * To * 4;
    if (fb > bd.ffn_hidden) bd.ffn_hidden = fb;
    int act = -1;
    if (fused_gate_up) {
        const int up = g.node(2 * fb, 1, {cur});
        act = g.node(fb, 1, {up});
    } else {
        g.t[cur].refs = 2;
        const int gate = g.node(fb, 1, {cur});
        const int up = g.node(fb, 1, {cur});
        act = g.node(fb, 1, {gate, up});
    }
    return g.node(E * To * 4, 1, {act});
}

/// dense_ffn, then the closing residual add on `ffn_inp` (in place on either operand). Returns l_out.
constexpr int dense_ffn_residual(graph_sim& g, int cur, int ffn_inp, std::uint64_t E, std::uint64_t F, std::uint64_t To,
                                 compute_breakdown& bd) noexcept {
    cur = dense_ffn(g, cur, E, F, To, false, bd);
    return g.node_any(E * To * 4, 1, {cur, ffn_inp}, 0b11u);
}

/// What build_moe_ffn needs beyond the shape.
struct moe_params {
    std::uint64_t n_expert = 0;     ///< routed experts
    std::uint64_t n_used = 1;       ///< experts per token
    std::uint64_t n_ff_exp = 0;     ///< expert FFN width
    std::uint64_t n_ff_shexp = 0;   ///< shared-expert FFN width (0 = no shared expert)
    bool norm_w = false;            ///< chosen weights renormalised (sum_rows, clamp, div)
    moe_gating gating = moe_gating::softmax;  ///< softmax over all experts, or softmax over the chosen ones' logits
    bool biases = false;            ///< router bias and expert biases (ggml_add_id after each expert mul_mat_id)
};

/// build_moe_ffn (src/llama-graph.cpp) on `cur` (To rows, its readers set by the caller to the router + gate_exps +
/// up_exps (+ shared gate, up)): logits (+ the router bias, an add in place), soft_max in place -- not with
/// LLAMA_EXPERT_GATING_FUNC_TYPE_SOFTMAX_WEIGHT, where the probabilities are the logits --, ggml_argsort_top_k (a full
/// argsort of all experts, I32, viewed to the first n_used), weights = get_rows(probs, top-k), then -- softmax_weight
/// -- soft_max of their reshape (a view, so fresh memory) and -- norm_w -- sum_rows, clamp and div, all expanded
/// before the experts ("call early so that topk-moe can be used"); then gate and up mul_mat_id (each + its bias by
/// ggml_add_id, in place; ADD_ID is in ggml_op_can_inplace), the GLU (swiglu_split or swiglu_oai, GGML_OP_GLU: not
/// in place), down mul_mat_id (+ bias), * weights in place, and the sum of the n_used expert views (the first add
/// fresh, the rest in place). Then the shared expert (build_ffn, parallel gate) added to it. Returns the MoE output.
constexpr int moe_ffn(graph_sim& g, int cur, std::uint64_t E, std::uint64_t To, const moe_params& mp,
                      compute_breakdown& bd) noexcept {
    const std::uint64_t f32 = 4, ne = mp.n_expert, nu = mp.n_used == 0 ? 1 : mp.n_used;
    const std::uint64_t fb = mp.n_ff_exp * nu * To * f32;
    if (fb > bd.ffn_hidden) bd.ffn_hidden = fb;
    int lg = g.node(ne * To * f32, 1, {cur});
    if (mp.biases) lg = g.node(ne * To * f32, 1, {lg}, true);          // + ffn_gate_inp bias
    // soft_max in place (or the logits themselves); read by argsort and get_rows
    const int probs = mp.gating == moe_gating::softmax_weight ? lg : g.node(ne * To * f32, 1, {lg}, true);
    g.t[probs].refs = 2;
    // argsort: I32 {n_expert, T}, read (through the top-k view) by get_rows, the three mul_mat_id and their add_id
    const int sel = g.node(ne * To * 4, mp.biases ? 7 : 4, {probs});
    int w = g.node(nu * To * f32, 1, {probs, sel});                // get_rows of the chosen probabilities
    if (mp.gating == moe_gating::softmax_weight) w = g.node(nu * To * f32, 1, {w});  // soft_max of a reshape view
    if (mp.norm_w) {
        g.t[w].refs = 2;
        // sum_rows; the clamp is a view of it (ggml.c ggml_clamp: ggml_view_tensor), so it takes no memory and the
        // sum lives until the div
        const int wsum = g.node(To * f32, 1, {w});
        w = g.node(nu * To * f32, 1, {w, wsum});                   // div of a reshape view: fresh
    }
    // gate and up are allocated alike and freed together by the GLU, so their order does not matter here
    int gate = g.node(fb, 1, {cur, sel});                          // mul_mat_id
    if (mp.biases) gate = g.node(fb, 1, {gate, sel}, true);        // add_id
    int up = g.node(fb, 1, {cur, sel});
    if (mp.biases) up = g.node(fb, 1, {up, sel}, true);
    const int act = g.node(fb, 1, {gate, up});                     // swiglu_split / swiglu_oai
    int ex = g.node(E * nu * To * f32, 1, {act, sel});             // down mul_mat_id
    if (mp.biases) ex = g.node(E * nu * To * f32, 1, {ex, sel}, true);
    ex = g.node(E * nu * To * f32, static_cast<std::uint32_t>(nu), {ex, w}, true);  // * weights, in place
    int moe = ex;
    if (nu > 1) {
        moe = g.node(E * To * f32, 1, {ex, ex});                   // add of two views: fresh
        moe = g.inplace_chain(moe, ex, nu - 2);  // e = 2 .. nu-1, each in place on moe
    }
    if (mp.n_ff_shexp > 0) {
        const std::uint64_t Fs = mp.n_ff_shexp;
        const int sg = g.node(Fs * To * f32, 1, {cur});
        const int su = g.node(Fs * To * f32, 1, {cur});
        const int sa = g.node(Fs * To * f32, 1, {sg, su});
        const int sd = g.node(E * To * f32, 1, {sa});
        moe = g.node_any(E * To * f32, 1, {moe, sd}, 0b11u);
    }
    return moe;
}

/// Records the replay's result in `bd`: the allocator's high-water mark, and whether a fixed capacity ran out.
constexpr void settle(const graph_sim& g, compute_breakdown& bd) noexcept {
    bd.total = g.a.max_size;
    bd.ok = g.ok && g.a.ok;
    if (!bd.ok) bd.status = compute_status::capacity_exceeded;
}

/// After the last block: output_norm (rms_norm, * weight in place; result_norm is a graph output) and the LM head
/// (result_output, a graph output). Fills total, logits, status and the peak layer. With `out_ids` (>= 0) the norm
/// runs over every token (a graph output, nemotron-h's t_h_nextn) and the output rows are taken after it (get_rows,
/// an output too).
constexpr void output_head(graph_sim& g, int inpL, const hparams& hp, const graph_dims& d, std::uint64_t last_max,
                           compute_breakdown& bd, int out_ids = -1) noexcept {
    const std::uint64_t f32 = 4;
    const std::uint64_t rows = out_ids >= 0 ? d.T : d.n_out;
    int cur = g.node(d.E * rows * f32, 1, {inpL}, true);
    cur = g.node(d.E * rows * f32, 1, {cur}, true);
    g.t[cur].output = true;
    if (out_ids >= 0) {
        cur = g.node(d.E * d.n_out * f32, 1, {cur, out_ids});
        g.t[cur].output = true;
    }
    const std::uint64_t logits = std::uint64_t(hp.n_vocab) * d.n_out * f32;
    const int lg = g.node(logits, 1, {cur});
    g.t[lg].output = true;
    if (g.a.max_size > last_max) bd.peak_layer = hp.n_layer;
    bd.logits = logits;
    settle(g, bd);
}

}  // namespace detail::compute
}  // namespace llamaplan

#endif  // LLAMAPLAN_COMPUTE_BLOCKS_HPP
