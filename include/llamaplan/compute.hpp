// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_COMPUTE_HPP
#define LLAMAPLAN_COMPUTE_HPP

// Size of llama.cpp's compute buffer ("<BUFT> compute buffer size = X MiB") when the whole model runs on the CPU.
//
// Method: replay the allocator. llama.cpp (src/llama-context.cpp, llama_context::sched_reserve) reserves the
// worst-case prompt graph (n_tokens = min(n_ctx, n_ubatch), KV of full size) and ggml-alloc's graph allocator
// (ggml/src/ggml-alloc.c, ggml_gallocr_alloc_graph_impl) places every intermediate tensor in one buffer: graph
// inputs first, then nodes in graph order, freeing a tensor after its last consumer and letting in-place ops reuse
// their parent's memory. The buffer size is the high-water mark of that placement. This header rebuilds the node
// sequence of a standard decoder block (the one src/models/llama.cpp, qwen3.cpp, qwen3moe.cpp and gemma3.cpp build)
// and runs the same best-fit allocator over it, so fragmentation is reproduced, not fitted: there are no calibrated
// constants. Validated on 805 measured rows (tests/data/groundtruth_compute.csv): max relative error 0.14 %; and on
// tests/data/extra (150 rows incl. deepseek2 MLA, mamba2, granitehybrid): max 0.07 % (the printed MiB's rounding).

#include <llamaplan/config.hpp>
#include <llamaplan/model.hpp>

#include <array>
#include <cstdint>
#include <string_view>

namespace llamaplan {

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

/// Which terms made up the result (bytes; peaks are the live sizes of the largest single tensors involved).
struct compute_breakdown {
    std::uint64_t total = 0;          ///< compute buffer bytes (the allocator's high-water mark)
    std::uint64_t inputs = 0;         ///< graph inputs allocated before any node (tokens, positions, masks, ids, ...)
    std::uint64_t kq_mask = 0;        ///< KQ mask bytes (full + SWA), part of `inputs`
    std::uint64_t attn_scores = 0;    ///< largest attention-score tensor (n_kv x n_tokens x n_head f32; 0 with FA)
    std::uint64_t ffn_hidden = 0;     ///< largest FFN intermediate (n_ff x n_tokens f32, or experts' n_ff_exp x n_used)
    std::uint64_t logits = 0;         ///< n_vocab x n_outputs f32
    std::uint32_t peak_layer = 0;     ///< layer during which the high-water mark was first reached (n_layer = output)
    bool ok = true;                   ///< false if a fixed capacity was exceeded (result then a lower bound)
};

namespace detail::compute {

/// ggml-impl.h TENSOR_ALIGNMENT, returned by ggml-backend.cpp ggml_backend_cpu_buffer_type_get_alignment.
inline constexpr std::uint64_t cpu_alignment = 32;
/// ggml-alloc.c MAX_FREE_BLOCKS.
inline constexpr int max_free_blocks = 256;
/// Tensors alive at once in this simulation (inputs + one block's intermediates).
inline constexpr int max_live = 96;

[[nodiscard]] constexpr std::uint64_t align_up(std::uint64_t n, std::uint64_t a) noexcept { return (n + a - 1) / a * a; }

/// ggml-alloc.c ggml_dyn_tallocr with a single chunk (the CPU buffer has no maximum size): best fit among the
/// free blocks except the last, else the last block (which grows the buffer); frees merge with neighbours.
struct dyn_allocator {
    struct block {
        std::uint64_t offset = 0;
        std::uint64_t size = 0;
    };
    std::array<block, max_free_blocks> blocks{};
    int n = 1;
    std::uint64_t max_size = 0;
    bool ok = true;

    constexpr dyn_allocator() noexcept { blocks[0] = {0, std::uint64_t(1) << 62}; }

    constexpr void remove(int i) noexcept {
        for (int j = i; j < n - 1; ++j) blocks[j] = blocks[j + 1];
        --n;
    }
    // ggml_dyn_tallocr_alloc
    constexpr std::uint64_t alloc(std::uint64_t size) noexcept {
        size = align_up(size, cpu_alignment);
        int best = -1;
        std::uint64_t best_size = ~std::uint64_t(0);
        for (int i = 0; i < n - 1; ++i)
            if (blocks[i].size >= size && blocks[i].size <= best_size) {
                best = i;
                best_size = blocks[i].size;
            }
        if (best == -1) best = n - 1;
        const std::uint64_t off = blocks[best].offset;
        blocks[best].offset += size;
        blocks[best].size -= size;
        if (blocks[best].size == 0) remove(best);
        if (off + size > max_size) max_size = off + size;
        return off;
    }
    // ggml_dyn_tallocr_free_bytes
    constexpr void free(std::uint64_t off, std::uint64_t size) noexcept {
        size = align_up(size, cpu_alignment);
        for (int i = 0; i < n; ++i) {
            block& b = blocks[i];
            if (b.offset + b.size == off) {
                b.size += size;
                if (i < n - 1 && b.offset + b.size == blocks[i + 1].offset) {
                    b.size += blocks[i + 1].size;
                    remove(i + 1);
                }
                return;
            }
            if (off + size == b.offset) {
                b.offset = off;
                b.size += size;
                if (i > 0 && blocks[i - 1].offset + blocks[i - 1].size == b.offset) {
                    blocks[i - 1].size += b.size;
                    remove(i);
                }
                return;
            }
        }
        if (n >= max_free_blocks) {
            ok = false;
            return;
        }
        int pos = 0;
        while (pos < n && blocks[pos].offset < off) ++pos;
        for (int j = n; j > pos; --j) blocks[j] = blocks[j - 1];
        blocks[pos] = {off, size};
        ++n;
    }
};

/// The graph allocator's view of the tensors: each has a size and a count of consumers still to run ("refs",
/// ggml-alloc.c hash_node n_children, with uses through a view counted on the viewed tensor). A tensor is freed
/// when its last consumer has run (ggml_gallocr_alloc_graph_impl "update parents"); an in-place op
/// (ggml_op_can_inplace: add, mul, scale, unary, rope, rms_norm, soft_max, ...) takes over a parent of the same
/// layout whose only remaining consumer it is and which is not a view (ggml_gallocr_allocate_node). Callers pass
/// `inplace` only where src[0] is such a non-view parent.
struct graph_sim {
    struct tensor {
        std::uint64_t offset = 0;
        std::uint64_t size = 0;
        std::uint32_t refs = 0;
        bool live = false;
        bool output = false;  // GGML_TENSOR_FLAG_OUTPUT: never freed nor reused
    };
    dyn_allocator a{};
    std::array<tensor, max_live> t{};
    bool ok = true;

    constexpr int slot() noexcept {
        for (int i = 0; i < max_live; ++i)
            if (!t[i].live) return i;
        ok = false;
        return max_live - 1;
    }
    /// A graph input or a node that cannot reuse a parent: fresh memory.
    constexpr int fresh(std::uint64_t size, std::uint32_t refs) noexcept {
        const int i = slot();
        t[i] = {a.alloc(size), size, refs, true, false};
        return i;
    }
    /// One use of `i` has run; frees it after its last use.
    constexpr void release(int i) noexcept {
        if (i < 0 || !t[i].live) return;
        if (t[i].refs > 0) --t[i].refs;
        if (t[i].refs == 0 && !t[i].output) {
            a.free(t[i].offset, t[i].size);
            t[i].live = false;
        }
    }
    /// A node of `size` bytes with `refs` consumers, reading tensors `srcs` (-1 = weights/KV, not ours).
    /// `inplace`: the op may reuse srcs[0] when it has the same layout (same size here).
    template <std::size_t N>
    constexpr int node(std::uint64_t size, std::uint32_t refs, const int (&srcs)[N], bool inplace = false) noexcept {
        int out = -1;
        if (inplace) {
            const int p = srcs[0];
            if (p >= 0 && t[p].live && !t[p].output && t[p].refs == 1 && t[p].size == size) {
                // the parent's memory passes to the node; the parent is not freed
                t[p].refs = refs;
                out = p;
            }
        }
        if (out < 0) out = fresh(size, refs);
        for (std::size_t k = 0; k < N; ++k)
            if (srcs[k] != out) release(srcs[k]);
        return out;
    }
    /// `n` in-place ops on `acc` that each read `src` once (the adds summing MoE expert rows): the allocator ends in
    /// the same state as after n calls of node(size of acc, 1, {acc, src}, true), in O(1) rather than O(n) when
    /// every step can reuse acc (then each step only drops one use of src), so the work does not grow with
    /// n_expert_used.
    constexpr int inplace_chain(int acc, int src, std::uint64_t n) noexcept {
        if (n == 0 || acc < 0 || src < 0) return acc;
        const std::uint64_t size = t[acc].size;
        if (t[acc].live && !t[acc].output && t[acc].refs == 1 && src != acc && t[src].refs >= n) {
            t[src].refs -= static_cast<std::uint32_t>(n - 1);
            return node(size, 1, {acc, src}, true);
        }
        for (std::uint64_t e = 0; e < n; ++e) acc = node(size, 1, {acc, src}, true);
        return acc;
    }
    /// Like node(), but an in-place op may take over any source whose bit is set in `direct` (ggml_gallocr_allocate_node
    /// walks src[0], src[1], ... and takes the first own, non-view parent of the same layout with one consumer left).
    template <std::size_t N>
    constexpr int node_any(std::uint64_t size, std::uint32_t refs, const int (&srcs)[N], unsigned direct) noexcept {
        int out = -1;
        for (std::size_t k = 0; k < N && out < 0; ++k) {
            const int p = srcs[k];
            if ((direct >> k & 1u) && p >= 0 && t[p].live && !t[p].output && t[p].refs == 1 && t[p].size == size) {
                t[p].refs = refs;
                out = p;
            }
        }
        if (out < 0) out = fresh(size, refs);
        for (std::size_t k = 0; k < N; ++k)
            if (srcs[k] != out) release(srcs[k]);
        return out;
    }
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

/// The tensor "blk.<il>.<suffix>" of every block (nullptr where absent; the first in file order, as model::find),
/// found in one pass so that per-layer lookups cost O(tensors + layers) rather than O(tensors x layers).
struct layer_tensors {
    std::array<const tensor_info*, LLAMAPLAN_MAX_LAYERS> at{};
    constexpr layer_tensors(const model& m, std::string_view suffix) noexcept {
        for (const auto& t : m.tensors) {
            if (t.layer < 0 || static_cast<std::uint64_t>(t.layer) >= at.size()) continue;
            auto& slot = at[static_cast<std::size_t>(t.layer)];
            if (slot == nullptr && t.name.substr(t.name.find('.', 4) + 1) == suffix) slot = &t;
        }
    }
    /// The tensor of block `il`, or nullptr.
    [[nodiscard]] constexpr const tensor_info* operator()(std::uint32_t il) const noexcept {
        return il < at.size() ? at[il] : nullptr;
    }
};

/// Shape values shared by the architecture-specific graphs below.
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

/// The dense FFN of build_ffn (parallel gate, SiLU GLU) on `cur` (To rows), then the closing residual add on
/// `ffn_inp` (in place on the FFN output). Returns l_out.
constexpr int dense_ffn_residual(graph_sim& g, int cur, int ffn_inp, std::uint64_t E, std::uint64_t F, std::uint64_t To,
                                 compute_breakdown& bd) noexcept {
    const std::uint64_t fb = F * To * 4;
    if (fb > bd.ffn_hidden) bd.ffn_hidden = fb;
    g.t[cur].refs = 2;
    const int gate = g.node(fb, 1, {cur});
    const int up = g.node(fb, 1, {cur});
    const int act = g.node(fb, 1, {gate, up});  // GGML_OP_GLU (swiglu_split) is not in place
    cur = g.node(E * To * 4, 1, {act});
    return g.node_any(E * To * 4, 1, {cur, ffn_inp}, 0b11u);
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
    const graph_dims d = dims_of(hp, s);
    const std::uint64_t f32 = 4, E = d.E, T = d.T;

    const std::uint64_t d_inner = hp.ssm_d_inner, d_state = hp.ssm_d_state, d_conv = hp.ssm_d_conv;
    const std::uint64_t n_group = hp.ssm_n_group == 0 ? 1 : hp.ssm_n_group;
    const std::uint64_t n_head_ssm = hp.ssm_dt_rank;
    const std::uint64_t ch = d_inner + 2 * n_group * d_state;                  // xBC channels
    const std::uint64_t d_in_proj = 2 * d_inner + 2 * n_group * d_state + n_head_ssm;  // ssm_in rows: z, xBC, dt

    std::uint32_t n_recr = 0, n_attn = 0;
    std::uint64_t max_kv_gqa_v = 0;
    for (std::uint32_t il = 0; il < hp.n_layer; ++il) {
        if (hp.is_recurrent(il)) ++n_recr;
        else ++n_attn;
        if (!hp.is_recurrent(il) && hp.n_embd_v_gqa(il) > max_kv_gqa_v) max_kv_gqa_v = hp.n_embd_v_gqa(il);
    }

    const layer_tensors ssm_norms(m, "ssm_norm.weight");
    graph_sim g{};
    // graph inputs in first-visit order: inp_tokens, the unused inp_embd, then the inputs of the first layer's kind
    const int tokens = g.fresh(T * 4, 1);
    g.fresh(E * T * f32, 0);
    std::uint64_t inputs = T * 4 + E * T * f32;
    int s_copy = -1, pos = -1, k_idxs = -1, v_idxs = -1, mask = -1;
    auto make_rs = [&]() {
        // build_rs_inp: s_copy, I32 n_rs = n_seq_max; read through s_copy_main and s_copy_extra views by the conv
        // and the ssm build_rs of every recurrent layer (get_rows main, get_rows extra, ssm_scan ids, get_rows extra)
        s_copy = g.fresh(d.n_seqs * 4, 4 * n_recr);
        inputs += d.n_seqs * 4;
    };
    auto make_attn = [&]() {
        // build_inp_pos (read by both ropes), the KV cache's k_idxs / v_idxs (I64; per element for a transposed V
        // cache) and the KQ mask (n_kv x n_tokens), as in compute_buffer_cpu_breakdown
        pos = g.fresh(T * 4, 2 * n_attn);
        k_idxs = g.fresh(T * 8, n_attn);
        const std::uint64_t vb = d.fa ? T * 8 : T * max_kv_gqa_v * 8;
        v_idxs = g.fresh(vb, n_attn);
        const std::uint64_t mb = d.n_kv * T * d.mask_es;
        mask = g.fresh(mb, n_attn);
        inputs += T * 4 + T * 8 + vb + mb;
        bd.kq_mask += mb;
    };
    if (hp.is_recurrent(0)) {
        make_rs();
        if (n_attn > 0) make_attn();
    } else {
        make_attn();
        if (n_recr > 0) make_rs();
    }
    const int out_ids = g.fresh(d.n_out * 4, 2);
    inputs += d.n_out * 4;

    int inpL = g.node(E * T * f32, 1, {tokens});  // get_rows of token_embd
    std::uint64_t last_max = 0;

    // what a layer leaves for the next one to pull in
    struct pending {
        bool recurrent = false;
        int zx = -1, xbc = -1, y = -1;  // recurrent: ssm_in output, conv output (x, B, C), ssm_scan output
        int attn = -1;                  // attention: attention output before wo
        int inpSA = -1;                 // the layer input (residual)
    };
    pending p{};
    bool has_pending = false;

    auto tail = [&](const pending& pd, std::uint32_t il) -> int {
        const bool last = il + 1 == hp.n_layer;
        int cur = -1;
        bool cur_view = false;  // the mixer output is a reshape view (mamba_out), never reused in place
        if (pd.recurrent) {
            const std::uint64_t yb = d_inner * T * f32;
            const int zc = g.node(yb, 1, {pd.zx});               // ggml_cont(z)
            int yd = g.node(yb, 1, {pd.xbc});                    // ggml_mul(x, ssm_d): x is a view, fresh
            yd = g.node_any(yb, 1, {pd.y, yd}, 0b10u);          // y + x*D, in place on x*D
            int yy = g.node(yb, 1, {zc, yd});                    // swiglu_split(cont(z), y)
            if (ssm_norms(il) != nullptr) {
                yy = g.node(yb, 1, {yy});                        // grouped rms_norm of a reshape view: fresh
                yy = g.node(yb, 1, {yy}, true);                  // * ssm_norm, in place
            }
            cur = g.node(E * T * f32, 1, {yy});                  // ssm_out
            cur_view = true;
        } else {
            cur = g.node(E * T * f32, 1, {pd.attn});             // wo
        }
        std::uint64_t To = T;
        int res = pd.inpSA;
        if (last) {
            // ggml_get_rows(cur / inpSA, inp_out_ids)
            To = d.n_out;
            cur = g.node(E * To * f32, 1, {cur, out_ids});
            res = g.node(E * To * f32, 1, {res, out_ids});
            cur_view = false;
        }
        const std::uint64_t F = hp.ff_length(il);
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

    for (std::uint32_t il = 0; il < hp.n_layer; ++il) {
        const bool recr = hp.is_recurrent(il);
        int conv_rows = -1;
        if (recr) {
            // build_rs(conv states): get_rows of n_seqs rows of n_embd_r (the empty "extra" get_rows costs nothing)
            conv_rows = g.node(hp.n_embd_r() * d.n_seqs * f32, 1, {s_copy});
            g.release(s_copy);
        }
        if (has_pending) inpL = tail(p, il - 1);
        // attn_norm: rms_norm (inpL is also the residual), * weight in place
        g.t[inpL].refs = 2;
        int cur = g.node(E * T * f32, 1, {inpL}, true);
        cur = g.node(E * T * f32, 1, {cur}, true);
        p = pending{};
        p.inpSA = inpL;
        if (recr) {
            p.recurrent = true;
            // ssm_in: z, xBC and dt are views of it (z -> cont in the tail, xBC -> concat, dt -> cont)
            const int zx = g.node(d_in_proj * T * f32, 3, {cur});
            // concat(conv states, transpose(xBC)): {d_conv - 1 + n_seq_tokens, ch, n_seqs}; read by the cpy of its last
            // d_conv - 1 columns into the cache and by ssm_conv
            const int conv_x = g.node(((d_conv > 0 ? d_conv - 1 : 0) * d.n_seqs + T) * ch * f32, 2, {conv_rows, zx});
            g.release(conv_x);
            int xbc = g.node(ch * T * f32, 1, {conv_x});      // ggml_ssm_conv: {ch, n_seq_tokens, n_seqs}
            xbc = g.node(ch * T * f32, 1, {xbc}, true);       // + conv bias
            xbc = g.node(ch * T * f32, 4, {xbc}, true);       // silu; read as x, B, C by ssm_scan and x by y*D
            int dt = g.node(n_head_ssm * T * f32, 1, {zx});   // ggml_cont(dt)
            dt = g.node(n_head_ssm * T * f32, 1, {dt}, true); // + dt bias
            // ggml_ssm_scan (ggml.c): y {d_inner, n_tokens} followed by the final states {d_state, d_inner, n_seqs};
            // read by the cpy of the states and by the y view of the tail
            const int y = g.node((d_inner * T + d_state * d_inner * d.n_seqs) * f32, 2, {dt, xbc, xbc, xbc, s_copy});
            g.release(s_copy);  // the ssm build_rs "extra" get_rows
            g.release(y);       // cpy of the final states into the cache
            p.zx = zx;
            p.xbc = xbc;
            p.y = y;
        } else {
            const std::uint64_t H = hp.head_count(il), Hkv = hp.head_count_kv(il);
            const std::uint64_t hdk = hp.head_size_k(il), hdv = hp.head_size_v(il);
            const std::uint64_t q_bytes = hdk * H * T * f32, k_bytes = hdk * Hkv * T * f32, v_bytes = hdv * Hkv * T * f32;
            g.t[cur].refs = 3;
            int q = g.node(q_bytes, 1, {cur});
            q = g.node(q_bytes, 1, {q, pos});                 // rope of a reshape view: fresh
            int v = g.node(v_bytes, 1, {cur});
            int k = g.node(k_bytes, 1, {cur});
            k = g.node(k_bytes, 1, {k, pos});
            g.release(k); g.release(k_idxs);                  // set_rows into the K cache
            g.release(v); g.release(v_idxs);                  // set_rows into the V cache
            if (d.fa) {
                p.attn = g.node(hdv * H * T * f32, 1, {q, mask});
            } else {
                const std::uint64_t kq = d.n_kv * T * H * f32;
                if (kq > bd.attn_scores) bd.attn_scores = kq;
                int s1 = g.node(kq, 1, {q});
                s1 = g.node(kq, 1, {s1, mask}, true);
                s1 = g.node(hdv * T * H * f32, 1, {s1});
                p.attn = g.node(hdv * H * T * f32, 1, {s1});
            }
        }
        has_pending = true;
        if (g.a.max_size > last_max) {
            last_max = g.a.max_size;
            bd.peak_layer = il;
        }
    }
    inpL = tail(p, hp.n_layer - 1);
    // output_norm and the LM head (both graph outputs)
    int cur = g.node(E * d.n_out * f32, 1, {inpL}, true);
    cur = g.node(E * d.n_out * f32, 1, {cur}, true);
    g.t[cur].output = true;
    const std::uint64_t logits = std::uint64_t(hp.n_vocab) * d.n_out * f32;
    const int lg = g.node(logits, 1, {cur});
    g.t[lg].output = true;
    if (g.a.max_size > last_max) bd.peak_layer = hp.n_layer;
    bd.total = g.a.max_size;
    bd.inputs = inputs;
    bd.logits = logits;
    bd.ok = g.ok && g.a.ok;
    return bd;
}

/// DeepSeek-2/3 style MLA (src/models/deepseek2.cpp, the absorbed path taken when key_length_mla / value_length_mla
/// are present): q = q_b(rms_norm(q_a(x))) (or wq), q_nope absorbed through wk_b, q_pe roped, Qcur = concat; the K-only
/// cache stores concat(rms_norm(kv_cmpr), rope(k_pe)) and V is a view of it (src/llama-graph.cpp build_attn with a
/// llm_graph_input_attn_k, build_attn_mha with v_mla = wv_b). Dense FFN on the first n_layer_dense_lead blocks, then
/// build_moe_ffn (softmax gating) plus the shared expert.
[[nodiscard]] constexpr compute_breakdown mla_graph(const model& m, const compute_shape& s) noexcept {
    const hparams& hp = m.hp;
    compute_breakdown bd{};
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

    const layer_tensors shexp_up(m, "ffn_up_shexp.weight");
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
    for (std::uint32_t il = 0; il < hp.n_layer; ++il) {
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
            // build_moe_ffn: logits, soft_max (in place), argsort of all experts (ggml_argsort_top_k keeps a view of
            // the first n_used), weights = get_rows(probs, top-k) (expanded before the experts), gate / up
            // mul_mat_id, swiglu, down, * weights in place, then the sum of the n_used expert rows
            const std::uint64_t ne = hp.n_expert, nu = hp.n_expert_used == 0 ? 1 : hp.n_expert_used;
            const std::uint64_t Fe = hp.n_ff_exp != 0 ? hp.n_ff_exp : hp.ff_length(il);
            std::uint64_t Fs = hp.n_ff_shexp != 0 ? hp.n_ff_shexp : Fe * hp.n_expert_shared;
            if (const tensor_info* t = shexp_up(il); t != nullptr) Fs = t->ne[1];
            const bool shexp = hp.n_expert_shared > 0 && Fs > 0;
            const std::uint64_t fb = Fe * nu * To * f32;
            if (fb > bd.ffn_hidden) bd.ffn_hidden = fb;
            g.t[cur].refs = shexp ? 5 : 3;  // router, gate_exps, up_exps (+ shared gate, up)
            int lg = g.node(ne * To * f32, 1, {cur});
            const int probs = g.node(ne * To * f32, 2, {lg}, true);
            const int sel = g.node(ne * To * 4, 4, {probs});        // argsort: I32 {n_expert, T}
            const int w = g.node(nu * To * f32, 1, {probs, sel});   // get_rows
            const int gate = g.node(fb, 1, {cur, sel});
            const int up = g.node(fb, 1, {cur, sel});
            const int act = g.node(fb, 1, {gate, up});
            int ex = g.node(E * nu * To * f32, 1, {act, sel});
            ex = g.node(E * nu * To * f32, static_cast<std::uint32_t>(nu), {ex, w}, true);
            int moe = ex;
            if (nu > 1) {
                moe = g.node(E * To * f32, 1, {ex, ex});
                moe = g.inplace_chain(moe, ex, nu - 2);  // e = 2 .. nu-1
            }
            if (shexp) {
                const int sg = g.node(Fs * To * f32, 1, {cur});
                const int su = g.node(Fs * To * f32, 1, {cur});
                const int sa = g.node(Fs * To * f32, 1, {sg, su});
                const int sd = g.node(E * To * f32, 1, {sa});
                moe = g.node_any(E * To * f32, 1, {moe, sd}, 0b11u);
            }
            inpL = g.node_any(E * To * f32, 1, {moe, ffn_inp}, 0b11u);
        }
        if (g.a.max_size > last_max) {
            last_max = g.a.max_size;
            bd.peak_layer = il;
        }
    }
    int cur = g.node(E * d.n_out * f32, 1, {inpL}, true);
    cur = g.node(E * d.n_out * f32, 1, {cur}, true);
    g.t[cur].output = true;
    const std::uint64_t logits = std::uint64_t(hp.n_vocab) * d.n_out * f32;
    const int lgt = g.node(logits, 1, {cur});
    g.t[lgt].output = true;
    if (g.a.max_size > last_max) bd.peak_layer = hp.n_layer;
    bd.total = g.a.max_size;
    bd.logits = logits;
    bd.ok = g.ok && g.a.ok;
    return bd;
}

}  // namespace detail::compute

/// Bytes of the CPU backend's compute buffer, with the terms that built it. See the file comment for the method.
///
/// The block follows src/models/llama.cpp (and qwen3/qwen3moe/gemma3, which add Q/K norms, post-norms, an
/// embedding scale and MoE routing): attn_norm -> Q,V,K projections (-> q/k norm) -> rope -> KV store -> attention
/// (flash_attn_ext, or mul_mat+soft_max+mul_mat) -> wo -> residual -> ffn_norm -> gate/up -> GLU -> down -> residual;
/// after the last block output_norm and the LM head. MLA models (deepseek2) and Mamba-2 / granitehybrid models take
/// their own graphs (detail::compute::mla_graph, ssm_hybrid_graph); other recurrent (Mamba-1, RWKV), hybrid and
/// encoder models are not modelled (they get the decoder-block figure).
[[nodiscard]] constexpr compute_breakdown compute_buffer_cpu_breakdown(const model& m,
                                                                        const compute_shape& s) noexcept {
    using detail::compute::graph_sim;
    const hparams& hp = m.hp;
    compute_breakdown bd{};
    if (hp.n_layer == 0 || s.n_tokens == 0) return bd;
    if (hp.is_mla()) return detail::compute::mla_graph(m, s);
    if (hp.architecture == "mamba2" || hp.architecture == "granitehybrid") {
        bool any_recurrent = false;
        for (std::uint32_t il = 0; il < hp.n_layer; ++il) any_recurrent = any_recurrent || hp.is_recurrent(il);
        if (any_recurrent) return detail::compute::ssm_hybrid_graph(m, s);
    }

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
    const bool post_attn_norm = m.find("blk.0.post_attention_norm.weight") != nullptr;
    const bool post_ffw_norm = m.find("blk.0.post_ffw_norm.weight") != nullptr;
    const bool gemma = detail::starts_with(hp.architecture, "gemma");
    // gemma3.cpp: inpL = ggml_scale(embd, sqrt(n_embd)); Qcur = ggml_scale(Qcur, f_attention_scale)
    const bool embd_scale = gemma;
    const bool q_scale = hp.architecture == "gemma3";

    // llama-kv-cache.cpp llama_kv_cache ctor: Hadamard rotation of K (V) when the cache type is quantized, every
    // layer has the same head size and it is a multiple of 64; K uses the largest power of two >= 64 dividing it
    std::uint32_t hk_all = 0, hv_all = 0;
    bool hk_same = true, hv_same = true;
    for (std::uint32_t il = 0; il < hp.n_layer; ++il) {
        if (!hp.has_kv(il)) continue;
        if (hk_all == 0) hk_all = hp.head_size_k(il);
        else if (hk_all != hp.head_size_k(il)) hk_same = false;
        if (hv_all == 0) hv_all = hp.head_size_v(il);
        else if (hv_all != hp.head_size_v(il)) hv_same = false;
    }
    const bool rot_k = hk_same && hk_all > 0 && detail::compute::is_quantized_kv(s.type_k) && hp.n_embd_head_k % 64 == 0;
    const bool rot_v = hv_same && hv_all > 0 && detail::compute::is_quantized_kv(s.type_v) && hp.n_embd_head_v % 64 == 0;
    std::uint64_t nrot_k = 64;
    while (hk_all != 0 && hk_all % (nrot_k * 2) == 0) nrot_k *= 2;
    const std::uint64_t rot_k_bytes = nrot_k * nrot_k * f32;  // build_input_k_rot: F32 nrot x nrot
    const std::uint64_t rot_v_bytes = 64 * 64 * f32;          // build_input_v_rot: F32 64 x 64

    // how often each cache's inputs are read (consumer counts) -- one "cache" for SWA layers, one for the others
    std::uint32_t n_full = 0, n_swa = 0;
    std::uint64_t max_kv_gqa_v = 0;
    for (std::uint32_t il = 0; il < hp.n_layer; ++il) {
        (hp.is_swa(il) ? n_swa : n_full) += 1;
        if (hp.n_embd_v_gqa(il) > max_kv_gqa_v) max_kv_gqa_v = hp.n_embd_v_gqa(il);
    }

    graph_sim g{};
    // ---- graph inputs, allocated first in the order the graph visits them (ggml_gallocr_alloc_graph_impl leafs)
    // build_inp_embd: inp_tokens (I32 n_tokens), then the unused inp_embd (F32 n_embd x n_tokens), which is an
    // input leaf of the graph (ggml_build_forward_select) with no consumer, so it is never freed
    const int tokens = g.fresh(T * 4, 1);
    g.fresh(E * T * f32, 0);
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
        if (pos < 0) { pos = g.fresh(T * 4, 2 * hp.n_layer); inputs += T * 4; }
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

    {
        const int first = hp.is_swa(0) ? 1 : 0;
        make_cache_inputs(first, first ? n_swa : n_full, first ? s.n_kv_swa : s.n_kv);
        if ((first ? n_full : n_swa) > 0) make_cache_inputs(1 - first, first ? n_full : n_swa, first ? s.n_kv : s.n_kv_swa);
        // build_inp_out_ids: I32 n_outputs, read by the two get_rows of the last block
        out_ids = g.fresh(n_out * 4, 2);
        inputs += n_out * 4;
    }

    // ---- nodes
    // embeddings (+ gemma scale, in place)
    int inpL = g.node(E * T * f32, 1, {tokens});
    if (embd_scale) inpL = g.node(E * T * f32, 1, {inpL}, true);
    std::uint64_t last_max = 0;

    for (std::uint32_t il = 0; il < hp.n_layer; ++il) {
        const bool last = il + 1 == hp.n_layer;
        const int c = hp.is_swa(il) ? 1 : 0;
        const std::uint64_t n_kv = c ? s.n_kv_swa : s.n_kv;
        const cache_inputs& x = ci[c];
        const std::uint64_t H = hp.head_count(il), Hkv = hp.head_count_kv(il);
        const std::uint64_t hdk = hp.head_size_k(il), hdv = hp.head_size_v(il);
        const std::uint64_t q_bytes = hdk * H * T * f32, k_bytes = hdk * Hkv * T * f32, v_bytes = hdv * Hkv * T * f32;

        // attn_norm: rms_norm (inpL is also the residual) then mul by the weight in place; 3 consumers (Q, V, K)
        g.t[inpL].refs = 2;
        int cur = g.node(E * T * f32, 1, {inpL}, true);
        cur = g.node(E * T * f32, 3, {cur}, true);
        // Q chain (expanded first by build_attn): mul_mat, [rms_norm, mul], rope, [scale], [Hadamard rotation]
        int q = g.node(q_bytes, 1, {cur});
        // the projection is read through a reshape view, and a view parent is never reused in place (ggml-alloc.c
        // ggml_gallocr_allocate_node asks ggml_gallocr_is_own, false for views): q-norm / rope get fresh memory
        if (q_norm) { q = g.node(q_bytes, 1, {q}); q = g.node(q_bytes, 1, {q}, true); }
        q = g.node(q_bytes, 1, {q, pos}, q_norm);
        if (q_scale) q = g.node(q_bytes, 1, {q}, true);
        if (rot_k) q = g.node(q_bytes, 1, {x.rot_k, q});
        // V chain (expanded second)
        int v = g.node(v_bytes, 1, {cur});
        if (rot_v) v = g.node(v_bytes, 1, {x.rot_v, v});
        // K chain (expanded third): the last reader of the normed input
        int k = g.node(k_bytes, 1, {cur});
        if (k_norm) { k = g.node(k_bytes, 1, {k}); k = g.node(k_bytes, 1, {k}, true); }
        k = g.node(k_bytes, 1, {k, pos}, k_norm);
        if (rot_k) k = g.node(k_bytes, 1, {x.rot_k, k});
        // llama_kv_cache::cpy_k / cpy_v: ggml_set_rows into the cache (a view of the KV buffer, not ours)
        g.release(k); g.release(x.k_idxs);
        g.release(v); g.release(x.v_idxs);
        // llm_graph_context::build_attn_mha
        if (fa) {
            // flash_attn_ext: F32 [head_v, n_head, n_tokens]
            cur = g.node(hdv * H * T * f32, 1, {q, x.mask});
        } else {
            // kq = mul_mat(k, q): F32 [n_kv, n_tokens, n_head]; soft_max_ext in place; kqv; cont after permute
            const std::uint64_t kq = n_kv * T * H * f32;
            if (kq > bd.attn_scores) bd.attn_scores = kq;
            int s1 = g.node(kq, 1, {q});
            s1 = g.node(kq, 1, {s1, x.mask}, true);
            s1 = g.node(hdv * T * H * f32, 1, {s1});
            cur = g.node(hdv * H * T * f32, 1, {s1});
        }
        if (rot_v) cur = g.node(hdv * H * T * f32, 1, {x.rot_v, cur});
        cur = g.node(E * T * f32, 1, {cur});  // wo
        std::uint64_t To = T;
        int res = inpL;
        if (last) {
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
            // build_ffn with a parallel gate: gate and up mul_mat, then ggml_swiglu_split / geglu_split
            // (GGML_OP_GLU is not in-place), then down
            const std::uint64_t F = hp.ff_length(il);
            const std::uint64_t fb = F * To * f32;
            if (fb > bd.ffn_hidden) bd.ffn_hidden = fb;
            g.t[cur].refs = 2;
            const int gate = g.node(fb, 1, {cur});
            const int up = g.node(fb, 1, {cur});
            const int act = g.node(fb, 1, {gate, up});
            cur = g.node(E * To * f32, 1, {act});
        } else {
            // build_moe_ffn (softmax gating, top-k, normalised weights, mul_mat_id per projection, weighted sum)
            const std::uint64_t ne = hp.n_expert, nu = hp.n_expert_used == 0 ? 1 : hp.n_expert_used;
            const std::uint64_t Fe = hp.n_ff_exp != 0 ? hp.n_ff_exp : hp.ff_length(il);
            const std::uint64_t fb = Fe * nu * To * f32;
            if (fb > bd.ffn_hidden) bd.ffn_hidden = fb;
            g.t[cur].refs = 4;  // router, gate_exps, up_exps (through a view) ... and nothing else
            int logits = g.node(ne * To * f32, 1, {cur});
            int probs = g.node(ne * To * f32, 2, {logits}, true);         // soft_max
            const int sel = g.node(nu * To * 4, 4, {probs});               // argsort_top_k: I32 ids
            const int gate = g.node(fb, 1, {cur, sel});                    // mul_mat_id
            const int up = g.node(fb, 1, {cur, sel});
            g.release(cur);  // the fourth reader above was only counted for the view
            const int act = g.node(fb, 1, {gate, up});
            int ex = g.node(E * nu * To * f32, 1, {act, sel});             // down mul_mat_id
            int w = g.node(nu * To * f32, 2, {probs, sel});                // get_rows of the chosen probabilities
            const int wsum = g.node(To * f32, 1, {w});                     // sum_rows
            w = g.node(nu * To * f32, 1, {w, wsum});                       // div (normalise)
            ex = g.node(E * nu * To * f32, static_cast<std::uint32_t>(nu > 1 ? nu - 1 : 1), {ex, w}, true);  // weight in place
            // sum of the n_used expert rows: views of ex added pairwise, the first add fresh, then in place
            if (nu == 1) {
                cur = ex;
            } else {
                int acc = g.node(E * To * f32, 1, {ex});
                acc = g.inplace_chain(acc, ex, nu - 2);  // e = 2 .. nu-1, each in place on acc
                cur = acc;
            }
        }
        if (post_ffw_norm) { cur = g.node(E * To * f32, 1, {cur}, true); cur = g.node(E * To * f32, 1, {cur}, true); }
        cur = g.node(E * To * f32, 1, {cur, ffn_inp}, true);
        inpL = cur;
        if (g.a.max_size > last_max) {
            last_max = g.a.max_size;
            bd.peak_layer = il;
        }
    }
    // output_norm (rms_norm, mul in place; result_norm is a graph output) and the LM head (result_output)
    int cur = g.node(E * n_out * f32, 1, {inpL}, true);
    cur = g.node(E * n_out * f32, 1, {cur}, true);
    g.t[cur].output = true;
    const std::uint64_t logits = std::uint64_t(hp.n_vocab) * n_out * f32;
    const int lg = g.node(logits, 1, {cur});
    g.t[lg].output = true;
    if (g.a.max_size > last_max) bd.peak_layer = hp.n_layer;

    bd.total = g.a.max_size;
    bd.inputs = inputs;
    bd.logits = logits;
    bd.ok = g.ok && g.a.ok;
    return bd;
}

/// Bytes of the CPU backend's compute buffer when the whole model runs on the CPU.
[[nodiscard]] constexpr std::uint64_t compute_buffer_cpu(const model& m, const compute_shape& s) noexcept {
    return compute_buffer_cpu_breakdown(m, s).total;
}

}  // namespace llamaplan

#endif  // LLAMAPLAN_COMPUTE_HPP
