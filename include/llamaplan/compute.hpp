// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_COMPUTE_HPP
#define LLAMAPLAN_COMPUTE_HPP

#include <llamaplan/config.hpp>

// Size of llama.cpp's compute buffer ("<BUFT> compute buffer size = X MiB") when the whole model runs on the CPU.
//
// Layout: compute/allocator.hpp (the ggml-alloc replay), compute/blocks.hpp (shape, breakdown and the blocks
// several architectures share: FFN, MoE, output head), one graph per family -- compute/decoder.hpp, compute/mla.hpp,
// compute/ssm_hybrid.hpp, compute/gemma3n.hpp, compute/delta_net.hpp, compute/rwkv.hpp -- chosen from the
// architecture's row of arch_table (arch.hpp).
//
// Method: replay the allocator. llama.cpp (src/llama-context.cpp, llama_context::sched_reserve) reserves the
// worst-case prompt graph (n_tokens = min(n_ctx, n_ubatch), KV of full size) and ggml-alloc's graph allocator
// (ggml/src/ggml-alloc.c, ggml_gallocr_alloc_graph_impl) places every intermediate tensor in one buffer: graph
// inputs first, then nodes in graph order, freeing a tensor after its last consumer and letting in-place ops reuse
// their parent's memory. The buffer size is the high-water mark of that placement. The graph headers rebuild the
// node sequence llama.cpp's model builders produce (src/models/*.cpp) and run the same best-fit allocator over it,
// so fragmentation is reproduced, not fitted: there are no calibrated constants. Validated on 805 measured rows
// (tests/data/groundtruth) and 393 more (tests/data/extra: qwen2, gemma2/3, Gemma-3n, phi3, gpt-oss, deepseek2 MLA,
// Mamba-1/2, granitehybrid, Nemotron-H, Falcon-H1, Qwen3-Next, Qwen3.5, RWKV-6/7, rwkv6qwen2, arwkv7, small
// contexts, 2-8 slots): all exact to llama.cpp's printed 0.01 MiB.

#include <llamaplan/arch.hpp>
#include <llamaplan/compute/allocator.hpp>
#include <llamaplan/compute/blocks.hpp>
#include <llamaplan/compute/decoder.hpp>
#include <llamaplan/compute/delta_net.hpp>
#include <llamaplan/compute/gemma3n.hpp>
#include <llamaplan/compute/mla.hpp>
#include <llamaplan/compute/rwkv.hpp>
#include <llamaplan/compute/ssm_hybrid.hpp>
#include <llamaplan/model.hpp>

#include <cstdint>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG {

/// Bytes of the CPU backend's compute buffer, with the terms that built it. See the file comment for the method.
///
/// The graph follows the architecture's arch_traits::graph: the standard decoder block (llama, qwen2/3, qwen3moe,
/// gemma2/3, phi3, gpt-oss), MLA (deepseek2 files with key_length_mla / value_length_mla), Mamba / hybrid (mamba2,
/// mamba, granitehybrid, nemotron-h, falcon-h1), Gemma-3n's (altup, laurel, per-layer inputs, shared KV), gated
/// delta-net (qwen3next, qwen35, qwen35moe) or RWKV (rwkv6, rwkv7, rwkv6qwen2, arwkv7). Architectures without a graph
/// of their own (graph_family::approximate: other hybrids, encoders, and arch::generic) get the decoder-block figure
/// and say so in `graph`. A model that names no architecture (hparams::id and architecture both unset or unknown) gets
/// compute_status::unknown_architecture.
[[nodiscard]] constexpr compute_breakdown compute_buffer_cpu_breakdown(const model& m,
                                                                        const compute_shape& s) noexcept {
    const hparams& hp = m.hp;
    compute_breakdown bd{};
    const arch a = arch_of(hp);
    if (a == arch::unknown) {
        bd.status = compute_status::unknown_architecture;
        bd.ok = false;
        return bd;
    }
    const arch_traits at = traits(a);
    bd.graph = at.graph;
    if (hp.n_layer == 0 || s.n_tokens == 0) return bd;
    if (at.graph == graph_family::mla || hp.is_mla()) {
        // the absorbed MLA graph needs key_length_mla / value_length_mla (deepseek2.cpp); without them it is a
        // standard-attention decoder with its own MoE
        if (hp.is_mla()) return detail::compute::mla_graph(m, s);
    }
    if (at.graph == graph_family::mamba_hybrid) {
        bool any_recurrent = false;
        for (std::uint32_t il = 0; il < hp.n_layer; ++il) any_recurrent = any_recurrent || hp.is_recurrent(il);
        // falcon-h1: attention and a Mamba-2 mixer side by side in every block
        if (any_recurrent && at.layers == recurrent_layer_rule::all_with_attention)
            return detail::compute::falcon_h1_graph(m, s);
        if (any_recurrent) return detail::compute::ssm_hybrid_graph(m, s);
    }
    if (at.graph == graph_family::gemma3n) return detail::compute::gemma3n_graph(m, s);
    if (at.graph == graph_family::delta_net) return detail::compute::delta_net_graph(m, s);
    if (at.graph == graph_family::rwkv && hp.wkv_head_size != 0) return detail::compute::rwkv_graph(m, s);
    return detail::compute::decoder_graph(m, s, at);
}

/// The compute buffer of one device of a layer split when llama.cpp's scheduler gives it nothing but its own blocks
/// (and the output layer), from a replay of just that device's split (detail::compute::device_window): true for the
/// standard decoder graph (graph_family::decoder) with no pipeline copies and no op offload -- measured over RPC
/// workers (tests/accuracy/test_rpc_real.cpp). Returns false for other graphs (the caller keeps its bound).
[[nodiscard]] constexpr bool compute_buffer_device(const model& m, const compute_shape& s,
                                                   const detail::compute::device_window& w, compute_breakdown& out) noexcept {
    const arch a = arch_of(m.hp);
    if (a == arch::unknown || m.hp.is_mla() || m.hp.n_layer == 0 || s.n_tokens == 0) return false;
    const arch_traits at = traits(a);
    if (at.graph != graph_family::decoder) return false;
    out = detail::compute::decoder_graph(m, s, at, false, &w);
    return out.ok;
}

/// Bytes of the CPU backend's compute buffer when the whole model runs on the CPU.
[[nodiscard]] constexpr std::uint64_t compute_buffer_cpu(const model& m, const compute_shape& s) noexcept {
    return compute_buffer_cpu_breakdown(m, s).total;
}

}  // namespace llamaplan

#endif  // LLAMAPLAN_COMPUTE_HPP
