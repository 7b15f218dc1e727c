// The draft models behind tests/data/extra/draft.csv (speculative decoding, llama-server `-md`): each is
// re-synthesized from its synth_spec like the targets in extra_models.hpp. A draft shares its target's vocabulary
// (the writer's tokens are a function of the token id, so equal or close n_vocab gives the same token texts, which
// common/speculative.cpp common_speculative_are_compatible checks from id 5 on, with at most 128 tokens difference).
#ifndef LLAMAPLAN_TESTS_DRAFT_MODELS_HPP
#define LLAMAPLAN_TESTS_DRAFT_MODELS_HPP

#include "extra_models.hpp"

#include <llamaplan/gguf/writer.hpp>

#include <vector>

namespace extra {

inline std::vector<model_def> draft_models() {
    using llamaplan::gguf::synth_spec;
    std::vector<model_def> out;
    auto add = [&](std::string id, synth_spec s) { out.push_back({std::move(id), std::move(s), {}}); };

    synth_spec d;  // a small llama for llama-4L-512 (vocab 8000), trained on a shorter context than its target
    d.arch = "llama";
    d.n_layer = 2;
    d.n_embd = 256;
    d.n_head = 4;
    d.n_head_kv = 2;
    d.n_ff = 704;
    d.n_vocab = 8000;
    d.n_ctx = 2048;
    d.merges = true;
    add("draft-llama-2L-256", d);

    synth_spec t = d;  // tied output head, 64 tokens more than its target (within the 128 allowed)
    t.n_embd = 192;
    t.n_head = 3;
    t.n_head_kv = 1;
    t.n_ff = 512;
    t.tied_output = true;
    t.n_vocab = 8064;
    t.n_ctx = 8192;
    add("draft-tied-2L-192-v8064", t);

    synth_spec g = d;  // gemma3 for gemma3-6L-swa160 (vocab 16000): SWA on every other layer, window 128
    g.arch = "gemma3";
    g.n_layer = 4;
    g.n_embd = 256;
    g.n_head = 4;
    g.n_head_kv = 1;
    g.head_dim = 64;
    g.qk_norm = true;
    g.post_norms = true;
    g.tied_output = true;
    g.n_ff = 512;
    g.n_swa = 128;
    g.swa_period = 2;
    g.n_vocab = 16000;
    g.n_ctx = 32768;
    add("draft-gemma3-4L-256-swa128", g);
    return out;
}

}  // namespace extra

#endif  // LLAMAPLAN_TESTS_DRAFT_MODELS_HPP
