// The tensor list of a llama-shaped model (dense or MoE FFN, tied or separate output head) for hand-built
// hyper-parameters: shared by the planner's property tests and its fuzz harness, which generate the shapes.
#ifndef LLAMAPLAN_TESTS_LLAMA_SHAPE_HPP
#define LLAMAPLAN_TESTS_LLAMA_SHAPE_HPP

#include <llamaplan/model.hpp>

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace test_support {

/// Tensors named as llama.cpp names them, laid out one after the other (32-byte aligned offsets).
struct llama_shape {
    std::deque<std::string> names;  ///< the tensors' names (tensor_info keeps views of them)
    std::vector<llamaplan::tensor_info> tensors;
    bool ok = true;  ///< false once make_tensor refused a shape (the list is then incomplete)

    void add(std::string name, llamaplan::ggml_type type, std::uint64_t ne0, std::uint64_t ne1, std::uint64_t ne2) {
        names.push_back(std::move(name));
        const std::uint64_t off = tensors.empty() ? 0 : (tensors.back().offset + tensors.back().bytes + 31) / 32 * 32;
        auto t = llamaplan::make_tensor(names.back(), type, {ne0, ne1, ne2, 1}, ne2 > 1 ? 3u : (ne1 > 1 ? 2u : 1u), off);
        if (!t) { ok = false; return; }
        tensors.push_back(*t);
    }

    /// token_embd (Q8_0), every block's attention (`head_dim`-wide heads) and FFN (routed experts when hp.n_expert
    /// is set) in `wt`, the output norm and, unless tied, the output head (Q8_0).
    void build(const llamaplan::hparams& hp, llamaplan::ggml_type wt, std::uint64_t head_dim, bool tied) {
        using llamaplan::ggml_type;
        const std::uint64_t E = hp.n_embd, q = std::uint64_t(hp.n_head) * head_dim, kv = std::uint64_t(hp.n_head_kv) * head_dim;
        tensors.reserve(3 + 11 * std::size_t(hp.n_layer));
        add("token_embd.weight", ggml_type::q8_0, E, hp.n_vocab, 1);
        for (std::uint32_t il = 0; il < hp.n_layer && ok; ++il) {
            const std::string b = "blk." + std::to_string(il) + ".";
            add(b + "attn_norm.weight", ggml_type::f32, E, 1, 1);
            add(b + "attn_q.weight", wt, E, q, 1);
            add(b + "attn_k.weight", wt, E, kv, 1);
            add(b + "attn_v.weight", wt, E, kv, 1);
            add(b + "attn_output.weight", wt, q, E, 1);
            add(b + "ffn_norm.weight", ggml_type::f32, E, 1, 1);
            if (hp.n_expert != 0) {
                add(b + "ffn_gate_inp.weight", ggml_type::f32, E, hp.n_expert, 1);
                add(b + "ffn_gate_exps.weight", wt, E, hp.n_ff_exp, hp.n_expert);
                add(b + "ffn_up_exps.weight", wt, E, hp.n_ff_exp, hp.n_expert);
                add(b + "ffn_down_exps.weight", wt, hp.n_ff_exp, E, hp.n_expert);
            } else {
                add(b + "ffn_gate.weight", wt, E, hp.n_ff, 1);
                add(b + "ffn_up.weight", wt, E, hp.n_ff, 1);
                add(b + "ffn_down.weight", wt, hp.n_ff, E, 1);
            }
        }
        add("output_norm.weight", ggml_type::f32, E, 1, 1);
        if (!tied) add("output.weight", ggml_type::q8_0, E, hp.n_vocab, 1);
    }
};

}  // namespace test_support

#endif
