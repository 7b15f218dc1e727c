// The generated single header alone on the include path: it must be self-contained and give the same results.
#include <llamaplan.hpp>

#include <doctest/doctest.h>

#include <array>

#ifndef LLAMAPLAN_MEMORY_HPP
#error "single_include/llamaplan.hpp must contain the memory model"
#endif

TEST_CASE("the single header provides the whole core") {
    using namespace llamaplan;
    static_assert(row_size(ggml_type::q4_k, 512) == 288);
    std::array<tensor_info, 2> t{*make_tensor("token_embd.weight", ggml_type::f16, {64, 100, 1, 1}, 2),
                                 *make_tensor("blk.0.attn_q.weight", ggml_type::f16, {64, 64, 1, 1}, 2, 12800)};
    hparams h;
    h.id = arch::generic;  // a hand-built model names its architecture (here: the explicit generic decoder)
    h.n_layer = 1;
    h.n_embd = 64;
    h.n_vocab = 100;
    h.n_ctx_train = 2048;
    h.n_head = h.n_head_kv = 4;
    h.n_embd_head_k = h.n_embd_head_v = 16;
    h.n_ff = 128;
    auto e = estimate_memory(model{h, t}, machine{}, launch_params{});
    REQUIRE(e.has_value());
    CHECK(e->n_ctx == 2048);                         // -c 0 = training context
    CHECK(e->kv() == 2ull * 64 * 2 * 2048);          // K + V, 64 wide, f16, 2048 cells
    CHECK(e->weights() == 12800 + 64 * 64 * 2);      // mapped range of the file
}
