// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_COMPUTE_VISION_HPP
#define LLAMAPLAN_COMPUTE_VISION_HPP

#include <llamaplan/config.hpp>

// The warmup graph of a vision projector (tools/mtmd/clip.cpp clip_model_loader::warmup reserves it with
// ggml_backend_sched_reserve), replayed through the graph allocator: the ViT of clip_graph::build_vit /
// clip_graph_llava::build with the projector tails of models/llava.cpp (PROJECTOR_TYPE_MLP) and models/siglip.cpp
// (PROJECTOR_TYPE_GEMMA3). Ops that run in place (bias adds, norm weights, GELU, soft_max, rms_norm) take over their
// parent's memory and are left out; every other node is a fresh allocation. Checked allocation by allocation against
// ggml-alloc.c's trace (tests/data/extra/README.md, "Multimodal projectors").

#include <llamaplan/compute/allocator.hpp>
#include <llamaplan/mmproj.hpp>

#include <cstdint>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG {

/// The shape of a projector's warmup graph.
struct vision_shape {
    std::uint32_t image_size = 0;  ///< side of the warmup image (pixels)
    std::uint32_t n_patches = 0;   ///< patches (image_size / patch_size)^2
    std::uint32_t n_pos = 0;       ///< tokens through the encoder (patches + the class token)
    std::uint32_t n_layer_run = 0; ///< encoder blocks in the graph
};

/// The warmup shape: clip.cpp load_hparams sets warmup_image_size = image_size for mlp and gemma3 (other types may
/// set a token budget instead; they get image_size here, an approximation); clip_graph: n_patches = (nx / patch)^2;
/// llava runs block_count - 1 blocks (its default feature layer is the second to last).
[[nodiscard]] constexpr vision_shape vision_shape_of(const mmproj_model& m) noexcept {
    vision_shape s{};
    const auto& hp = m.hp;
    s.image_size = hp.image_size;
    const std::uint64_t side = hp.patch_size ? hp.image_size / hp.patch_size : 0;
    s.n_patches = static_cast<std::uint32_t>(side * side);
    s.n_pos = s.n_patches + (m.find("v.class_embd") ? 1u : 0u);
    s.n_layer_run = hp.projector == projector_type::mlp && hp.n_layer > 0 ? hp.n_layer - 1 : hp.n_layer;
    return s;
}

namespace detail::compute {

/// One encoder block on residual `x` (refs: the ln1 norm and the residual add). Returns the block output with
/// `out_refs` consumers. `extra_after_v` > 0 allocates a tensor of that size right after the V projection (gemma3's
/// transposed projection weight lands there in graph order); its index goes to `extra`.
constexpr int vit_block(graph_sim& g, int x, std::uint64_t E, std::uint64_t F, std::uint64_t H, std::uint64_t N,
                        bool fa, std::uint32_t out_refs, std::uint64_t extra_after_v, int& extra) noexcept {
    const std::uint64_t act = E * N * 4;                 // F32 [n_embd, n_pos]
    const int a = g.node(act, 3, {x});                   // ggml_norm (not in place); * ln1.weight + ln1.bias in place
    const int q = g.node(act, 1, {a});                   // Q = wq x (+ bias in place); build_attn orders Q, K, V first
    const int k = g.node(act, 1, {a});
    const int v = g.node(act, 1, {a});
    if (extra_after_v > 0) extra = g.fresh(extra_after_v, 1);
    int o = -1;
    if (fa) {  // clip_graph::build_attn, flash attention: K and V cast to F16, one flash_attn_ext (F32 out)
        const int kc = g.node(E * N * 2, 1, {k});
        const int vc = g.node(E * N * 2, 1, {v});
        o = g.node(act, 1, {q, kc, vc});
    } else {   // V permuted and made contiguous, KQ = k q (F32, n_pos x n_pos x n_head), soft_max in place, KQV, cont
        const int vc = g.node(act, 1, {v});
        const int kq = g.node(N * N * H * 4, 1, {k, q});
        const int kqv = g.node(act, 1, {vc, kq});
        o = g.node(act, 1, {kqv});
    }
    o = g.node(act, 1, {o});                             // wo (+ bias in place)
    const int ffn_inp = g.node(act, 2, {o, x}, true);    // residual add, in place on the attention output
    const int n2 = g.node(act, 1, {ffn_inp});            // ggml_norm; ln2 weight and bias in place
    const int up = g.node(F * N * 4, 1, {n2});           // ffn_up (+ bias, GELU in place)
    const int down = g.node(act, 1, {up});               // ffn_down (+ bias in place)
    return g.node(act, out_refs, {ffn_inp, down}, true); // residual add, in place on ffn_inp
}

}  // namespace detail::compute

/// The compute buffer clip.cpp reserves for the projector's warmup image on the CPU backend (bytes), flash attention
/// on or off. mlp and gemma3 are the graphs of llava.cpp and siglip.cpp; any other type gets a plain ViT of
/// n_layer blocks at image_size (an approximation: their graphs add merges, windows, rope or other tails).
/// Returns 0 when the shape is empty (no patches, layers or width) or the replay ran out of capacity.
[[nodiscard]] constexpr std::uint64_t vision_compute_cpu(const mmproj_model& m, bool flash_attn) noexcept {
    using detail::compute::graph_sim;
    const auto& hp = m.hp;
    const vision_shape s = vision_shape_of(m);
    const std::uint64_t E = hp.n_embd, F = hp.n_ff, H = hp.n_head, N = s.n_pos, NP = s.n_patches;
    const std::uint64_t P = hp.patch_size;
    if (E == 0 || H == 0 || NP == 0 || s.n_layer_run == 0) return 0;
    graph_sim g{};
    // inputs first (ggml_gallocr_alloc_graph_impl allocates graph inputs before any node): the F32 image, then
    // llava's position ids and patch ids
    const std::uint64_t S = s.image_size;
    const int inp_raw = g.fresh(S * S * 3 * 4, 1);
    const bool llava = hp.projector == projector_type::mlp;
    const int positions = llava ? g.fresh(N * 4, 1) : -1;
    const int patches = llava ? g.fresh(NP * 4, 1) : -1;
    // clip_graph::build_inp: ggml_conv_2d = im2col (F16, or F32 for a BF16 kernel) + mul_mat, permute + cont, then
    // cont(transpose); the patch bias is added in place
    const tensor_info* pe = m.find("v.patch_embd.weight");
    const std::uint64_t im2col_es = pe && pe->type == ggml_type::bf16 ? 4 : 2;
    int x = g.node(P * P * 3 * NP * im2col_es, 1, {inp_raw});
    x = g.node(NP * E * 4, 1, {x});
    x = g.node(NP * E * 4, 1, {x});
    x = g.node(NP * E * 4, 1, {x});
    if (llava) {
        if (m.find("v.class_embd")) x = g.node(N * E * 4, 1, {x});  // ggml_concat with the class embedding
        const int pos = g.node(N * E * 4, 1, {positions});            // ggml_get_rows of the position embeddings
        const bool pre_ln = m.find("v.pre_ln.weight") != nullptr;
        x = g.node(N * E * 4, pre_ln ? 1 : 2, {x, pos}, true);        // + position embeddings, in place
        if (pre_ln) x = g.node(N * E * 4, 2, {x});                    // pre-layernorm (ggml_norm)
    } else {
        x = g.node(N * E * 4, 2, {x}, true);  // + learned position embeddings, in place (build_vit)
    }
    const bool gemma3 = hp.projector == projector_type::gemma3;
    const tensor_info* proj_w = gemma3 ? m.find("mm.input_projection.weight") : nullptr;
    const bool post_ln = m.find("v.post_ln.weight") != nullptr;
    int wt = -1;
    for (std::uint32_t il = 0; il < s.n_layer_run; ++il) {
        const bool last = il + 1 == s.n_layer_run;
        // gemma3's final mul_mat visits ggml_cont(ggml_transpose(mm.input_projection.weight)) first, so the graph
        // expansion places it after the last block's Q/K/V (ordered earlier by build_attn's ggml_build_forward_order)
        x = detail::compute::vit_block(g, x, E, F, H, N, flash_attn, last ? 1u : 2u,
                                       last && proj_w ? proj_w->bytes : 0, wt);
    }
    if (post_ln) x = g.node(N * E * 4, 1, {x});  // post-layernorm (ggml_norm; weight and bias in place)
    if (llava) {
        // llava projector: get_rows of the patch rows (drops the class token), mm.0 (+ bias, GELU in place), mm.2
        x = g.node(NP * E * 4, 1, {x, patches});
        const tensor_info* mm0 = m.find("mm.0.weight");
        const tensor_info* mm2 = m.find("mm.2.weight");
        if (mm0) x = g.node(NP * mm0->ne[1] * 4, 1, {x});
        if (mm2) x = g.node(NP * mm2->ne[1] * 4, 1, {x});
    } else if (gemma3) {
        // siglip.cpp: cont(transpose) to [side, side, n_embd], 2-D average pool by n_merge, cont(transpose), rms_norm
        // and soft_emb_norm in place, then the projection by the transposed weight's copy
        const std::uint64_t side = P ? S / P : 0;
        const std::uint64_t k = hp.n_merge ? hp.n_merge : 4;
        const std::uint64_t pooled = side >= k ? (side - k) / k + 1 : 0;
        x = g.node(N * E * 4, 1, {x});
        x = g.node(pooled * pooled * E * 4, 1, {x});
        x = g.node(pooled * pooled * E * 4, 1, {x});
        if (proj_w) x = g.node(pooled * pooled * proj_w->ne[0] * 4, 1, {wt, x});
    }
    (void)x;
    return g.ok && g.a.ok ? g.a.max_size : 0;
}

}  // namespace llamaplan

#endif  // LLAMAPLAN_COMPUTE_VISION_HPP
