// Shared by the libFuzzer harnesses: invariant checks that abort (so libFuzzer records a crash and the input),
// and the estimate invariants every harness that reaches estimate_memory asserts.
#ifndef LLAMAPLAN_FUZZ_CHECK_HPP
#define LLAMAPLAN_FUZZ_CHECK_HPP

#include <llamaplan.hpp>

#include <cstdio>
#include <cstdlib>

/// Aborts with the failed condition when an invariant does not hold.
#define FUZZ_CHECK(cond)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                                  \
        }                                                                                  \
    } while (0)

namespace llamaplan::fuzz {

/// Launch settings and machines chosen by one input byte, so every harness exercises GPUs, -ot, SWA sizes, ...
struct setting {
    launch_params p{};
    std::array<device, 2> gpus{{{"gpu0", backend::cuda, 24ull << 30, 23ull << 30}, {"gpu1", backend::vulkan, 16ull << 30, 16ull << 30}}};
    machine hw{};
};

inline void choose(setting& s, unsigned char b) {
    launch_params& p = s.p;
    static constexpr std::uint32_t ctx[8] = {0, 1, 256, 4096, 32768, 131072, 1u << 20, 0xffffffffu};
    p.n_ctx = ctx[b & 7];
    p.n_seq_max = (b & 8) ? 4 : 1;
    p.kv_unified = (b & 16) != 0;
    p.flash_attn = (b & 32) ? flash_attn_mode::off : flash_attn_mode::automatic;
    if (b & 64) {
        p.type_k = p.type_v = ggml_type::q8_0;
        p.flash_attn = flash_attn_mode::on;
    }
    s.hw = machine{};
    if (b & 128) {
        s.hw.devices = s.gpus;
        p.n_gpu_layers = (b & 1) ? 3 : -1;
        (void)p.overrides.push_back({"ffn_(up|down|gate)_exps", host_device});
    }
}

/// What must hold for every successful estimate, whatever the model.
inline void check_estimate(const memory_estimate& e) {
    FUZZ_CHECK(e.kv() == e.kv_k + e.kv_v);
    FUZZ_CHECK(e.kv_swa <= e.kv());
    FUZZ_CHECK(e.n_ubatch <= e.n_batch && e.n_batch <= e.n_ctx);
    FUZZ_CHECK(e.n_ctx % 256 == 0 && e.n_ctx_seq % 256 == 0);
    std::uint64_t rows = 0, overhead = 0;
    for (const auto& d : e.devices) {
        rows += d.model + d.context + d.compute;
        overhead += d.overhead;
    }
    FUZZ_CHECK(rows == e.weights() + e.kv() + e.recurrent() + e.output() + e.compute());
    (void)overhead;
}

}  // namespace llamaplan::fuzz

#endif  // LLAMAPLAN_FUZZ_CHECK_HPP
