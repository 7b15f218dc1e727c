// The throughput model on hand-built inputs: each expected figure is worked out by hand from the formulas in
// llamaplan/perf.hpp with round constants, so the tests do not depend on the fitted values.
#include <llamaplan/perf.hpp>

#include <doctest/doctest.h>

#include <array>

using namespace llamaplan;

namespace {
perf_constants round_constants() {
    perf_constants c;
    c.bw_gpu = 0.5;
    c.bw_metal = 0.5;
    c.bw_cpu = 0.5;
    c.layer_overhead_gpu_s = 1e-4;
    c.layer_overhead_metal_s = 1e-4;
    c.cpu_thread_reach = 100;  // any thread reaches the whole bandwidth
    c.mm_gpu = 0.5;
    c.mm_metal = 0.5;
    c.cpu_q4_0 = 0.5;
    c.cpu_decode_compute = 1.0;
    c.link_efficiency = 1.0;
    c.hop_latency_s = 0;
    return c;
}

device gpu(std::uint64_t bandwidth, std::uint64_t int8) {
    device d;
    d.name = "test GPU";
    d.kind = backend::cuda;
    d.memory_total = d.memory_free = 24ull << 30;
    d.bandwidth = bandwidth;
    d.flops = int8 / 2;
    d.int8_ops = int8;
    d.pcie_generation = 4;
    d.pcie_width = 16;
    return d;
}

host cpu8() {
    host h;
    h.cpus_physical = h.cpus_logical = 8;
    h.bandwidth = 100000000000ull;  // 100 GB/s
    h.flops = 800000000000ull;      // 8 cores x 100 GFLOP/s
    return h;
}
}  // namespace

TEST_CASE("decode on one GPU: bytes over bandwidth plus a fixed cost per layer") {
    const std::array<device, 1> g{gpu(1000000000000ull, 100000000000000ull)};
    const machine hw{cpu8(), g};
    perf_inputs in;
    device_work w;
    w.device = 0;
    w.weight_bytes = 4000000000;       // 4 GB
    w.kv_bytes_per_depth = 500000;     // 0.5 MB per token of context
    w.matmul_flops = 10000000000;      // 1e10
    w.layers = 33;
    (void)in.work.push_back(device_work{});  // the host, idle
    (void)in.work.push_back(w);
    const auto c = round_constants();
    // depth 0: 4e9 / (0.5 x 1e12) = 8 ms; 33 x 0.1 ms = 3.3 ms -> 1 / 11.3 ms
    auto t = predict_throughput(hw, in, workload{512, 0}, c);
    CHECK(t.decode_tps == doctest::Approx(1.0 / 0.0113));
    CHECK(t.decode_bound == perf_bound::memory_bandwidth);
    CHECK(t.decode_bound_device == 0);
    // depth 4000: + 4000 x 0.5 MB = 2 GB -> 12 ms + 3.3 ms
    t = predict_throughput(hw, in, workload{512, 4000}, c);
    CHECK(t.decode_tps == doctest::Approx(1.0 / 0.0153));
    // prefill 512 tokens, one ubatch: compute 512 x 1e10 / (0.5 x 1e14) = 102.4 ms > weights 8 ms; + 3.3 ms overhead
    t = predict_throughput(hw, in, workload{512, 0}, c);
    CHECK(t.prefill_tps == doctest::Approx(512.0 / 0.1057));
    CHECK(t.prefill_bound == perf_bound::compute);
}

TEST_CASE("decode on the CPU: memory bound with enough threads, compute bound with one") {
    const machine hw{cpu8(), {}};
    perf_inputs in;
    device_work w;
    w.weight_bytes = 5000000000;   // 5 GB
    w.matmul_flops = 10000000000;  // 1e10
    w.layers = 33;
    (void)in.work.push_back(w);
    in.weight_type = ggml_type::q4_0;
    const auto c = round_constants();
    // 8 threads: memory 5e9 / (0.5 x 1e11) = 0.1 s; compute 1e10 / (8 x 1e11/8 x 0.5) = 0.025 s
    in.threads = 8;
    auto t = predict_throughput(hw, in, workload{}, c);
    CHECK(t.decode_tps == doctest::Approx(10.0));
    CHECK(t.decode_bound == perf_bound::memory_bandwidth);
    CHECK(t.decode_bound_device == host_device);
    // 1 thread: compute 1e10 / (1e11 x 0.5) = 0.2 s
    in.threads = 1;
    t = predict_throughput(hw, in, workload{}, c);
    CHECK(t.decode_tps == doctest::Approx(5.0));
    CHECK(t.decode_bound == perf_bound::compute);
    // prefill with 8 threads: 512 x 1e10 / (8 x 5e10) = 12.8 s (weights read once: 0.1 s)
    in.threads = 8;
    t = predict_throughput(hw, in, workload{512, 0}, c);
    CHECK(t.prefill_tps == doctest::Approx(40.0));
}

TEST_CASE("host weights make large-batch prefill link bound when a GPU is present (op offload)") {
    const std::array<device, 1> g{gpu(1000000000000ull, 100000000000000ull)};
    const machine hw{cpu8(), g};
    perf_inputs in;
    device_work h;
    h.weight_bytes = 2000000000;    // routed experts, active share
    h.matmul_flops = 4000000000;
    device_work d;
    d.device = 0;
    d.weight_bytes = 1000000000;
    d.matmul_flops = 2000000000;
    d.layers = 49;
    (void)in.work.push_back(h);
    (void)in.work.push_back(d);
    in.host_weights_streamed = 15750000000;  // every expert tensor, copied per ubatch
    in.host_streamed_flops = 4000000000;
    in.device_hops = 0;
    const auto c = round_constants();
    // PCIe 4.0 x16: 16 x 1.969 GB/s = 31.5 GB/s; 15.75e9 / 31.504e9 = 0.49994 s per ubatch
    // GPU: 512 x (2e9 + 4e9) / 5e13 = 61.44 ms; overhead 49 x 0.1 ms; host: weights 2e9 / 5e10 = 40 ms (read once)
    auto t = predict_throughput(hw, in, workload{512, 0}, c);
    const double link = 15750000000.0 / (16 * 1.969e9);
    CHECK(t.prefill_tps == doctest::Approx(512.0 / (link + 0.06144 + 0.0049 + 0.04)));
    CHECK(t.prefill_bound == perf_bound::link);
    // a ubatch below 32 rows is not offloaded (ggml_backend_cuda_device_offload_op): the host computes its share
    in.n_ubatch = 16;
    t = predict_throughput(hw, in, workload{512, 0}, c);
    CHECK(t.prefill_bound != perf_bound::link);
}

TEST_CASE("more bandwidth never predicts fewer tokens/s") {
    perf_inputs in;
    device_work h, d;
    h.weight_bytes = 3000000000;
    h.kv_bytes_per_depth = 100000;
    h.matmul_flops = 6000000000;
    d.device = 0;
    d.weight_bytes = 2000000000;
    d.kv_bytes_per_depth = 200000;
    d.matmul_flops = 4000000000;
    d.layers = 20;
    (void)in.work.push_back(h);
    (void)in.work.push_back(d);
    in.host_weights_streamed = 3000000000;
    in.host_streamed_flops = 6000000000;
    in.device_hops = 2;
    in.hop_bytes = 16384;
    std::array<double, 2> prev_dec{}, prev_pp{};
    for (std::uint64_t gbs = 50; gbs <= 5000; gbs = gbs * 3 / 2) {
        std::array<device, 1> g{gpu(gbs * 1000000000ull, 200000000000000ull)};
        host hh = cpu8();
        hh.bandwidth = gbs * 100000000ull;  // the host scales too
        const machine hw{hh, g};
        for (std::size_t k = 0; k < 2; ++k) {
            const auto t = predict_throughput(hw, in, workload{512, k == 0 ? 0u : 8192u});
            CHECK(t.decode_tps >= prev_dec[k]);
            CHECK(t.prefill_tps >= prev_pp[k]);
            prev_dec[k] = t.decode_tps;
            prev_pp[k] = t.prefill_tps;
        }
    }
    CHECK(prev_dec[0] > prev_dec[1]);  // a deeper context is slower
}

TEST_CASE("CPU kernel families") {
    CHECK(cpu_kernel_of(ggml_type::bf16) == cpu_kernel::f16);
    CHECK(cpu_kernel_of(ggml_type::q4_0) == cpu_kernel::q4_0);
    CHECK(cpu_kernel_of(ggml_type::q6_k) == cpu_kernel::kquant);
    CHECK(cpu_kernel_of(ggml_type::iq4_xs) == cpu_kernel::iquant);
    static_assert(predict_throughput(machine{}, perf_inputs{}, workload{}).decode_tps == 0);
}
