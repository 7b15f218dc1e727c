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
    c.cpu_core_bw = 1e15;      // any thread reaches the whole bandwidth
    c.layer_overhead_cpu_s = 0;
    c.moe_layer_overhead_s = 0;
    c.tensor_overhead_s = 0;
    c.bw_expert = 1;
    c.bw_expert_cpu = 1;
    c.mm_expert = 1;
    c.attn_gpu = 1;
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

TEST_CASE("MoE: routed-expert reads at their own efficiency, a fixed cost per MoE layer and per weight tensor") {
    const std::array<device, 1> g{gpu(1000000000000ull, 100000000000000ull)};
    const machine hw{cpu8(), g};
    perf_inputs in;
    device_work w;
    w.device = 0;
    w.weight_bytes = 2000000000;   // 2 GB, 1.5 GB of it routed experts
    w.expert_bytes = 1500000000;
    w.expert_bytes_all = 24000000000;
    w.matmul_flops = 6000000000;
    w.expert_flops = 4000000000;
    w.layers = 49;
    w.moe_layers = 48;
    w.weight_tensors = 576;
    (void)in.work.push_back(device_work{});
    (void)in.work.push_back(w);
    auto c = round_constants();
    c.bw_expert = 0.5;                // expert bytes take twice as long
    c.moe_layer_overhead_s = 2e-5;
    c.tensor_overhead_s = 1e-6;
    // (0.5 GB + 1.5 GB / 0.5) / 0.5 TB/s = 7 ms; 49 x 0.1 ms + 48 x 20 us + 576 x 1 us = 6.436 ms
    auto t = predict_throughput(hw, in, workload{512, 0}, c);
    CHECK(t.decode_tps == doctest::Approx(1.0 / (0.007 + 0.0049 + 0.00096 + 0.000576)));
    CHECK(t.decode_bound == perf_bound::memory_bandwidth);
    // prefill, one ubatch of 512: every expert is read (0.5 + 24 GB) / 0.5 TB/s = 49 ms; compute
    // 512 x (2e9 + 4e9 / 0.25) / 5e13 = 184.32 ms with mm_expert 0.25; + the same fixed costs once
    c.mm_expert = 0.25;
    t = predict_throughput(hw, in, workload{512, 0}, c);
    CHECK(t.prefill_tps == doctest::Approx(512.0 / (0.18432 + 0.0049 + 0.00096 + 0.000576)));
    CHECK(t.prefill_bound == perf_bound::compute);
}

TEST_CASE("several GPUs: pipelined prefill overlaps the ubatches of a batch; -sm row runs the GPUs at once") {
    const std::array<device, 2> g{gpu(1000000000000ull, 100000000000000ull), gpu(1000000000000ull, 100000000000000ull)};
    const machine hw{cpu8(), g};
    perf_inputs in;
    device_work a, b;
    a.device = 0;
    b.device = 1;
    a.weight_bytes = b.weight_bytes = 2000000000;
    a.matmul_flops = b.matmul_flops = 5000000000;
    a.layers = b.layers = 16;
    (void)in.work.push_back(device_work{});
    (void)in.work.push_back(a);
    (void)in.work.push_back(b);
    in.n_ubatch = 512;
    in.n_batch = 2048;
    const auto c = round_constants();
    // per device and ubatch: compute 512 x 5e9 / 5e13 = 51.2 ms (weights 4 ms) + 16 x 0.1 ms = 52.8 ms
    const double t_ub = 0.0512 + 0.0016;
    auto t = predict_throughput(hw, in, workload{2048, 0}, c);
    CHECK(t.prefill_tps == doctest::Approx(2048.0 / (8 * t_ub)));  // in sequence: 4 ubatches x 2 devices
    in.pipeline_parallel = true;
    t = predict_throughput(hw, in, workload{2048, 0}, c);
    CHECK(t.prefill_tps == doctest::Approx(2048.0 / (2 * t_ub + 3 * t_ub)));  // fill and drain once, then one device per ubatch
    t = predict_throughput(hw, in, workload{512, 0}, c);
    CHECK(t.prefill_tps == doctest::Approx(512.0 / (2 * t_ub)));  // one ubatch: nothing to overlap
    // decode: each device 2 GB / 0.5 TB/s = 4 ms + 1.6 ms; in sequence 11.2 ms, with -sm row at once + 32 x row_sync
    in.pipeline_parallel = false;
    t = predict_throughput(hw, in, workload{512, 0}, c);
    CHECK(t.decode_tps == doctest::Approx(1.0 / 0.0112));
    in.row_split = true;
    t = predict_throughput(hw, in, workload{512, 0}, c);
    CHECK(t.decode_tps == doctest::Approx(1.0 / (0.0056 + 32 * c.row_sync_s)));
}

TEST_CASE("CPU bandwidth grows with threads up to the socket's; a stated per-thread figure wins") {
    host h = cpu8();  // 100 GB/s
    perf_constants c;
    c.bw_cpu = 0.8;
    c.cpu_core_bw = 10e9;
    CHECK(detail::cpu_bandwidth(h, 1, c) == doctest::Approx(10e9));
    CHECK(detail::cpu_bandwidth(h, 4, c) == doctest::Approx(40e9));
    CHECK(detail::cpu_bandwidth(h, 16, c) == doctest::Approx(80e9));  // 0.8 x 100 GB/s
    h.bandwidth_per_thread = 5000000000ull;
    CHECK(detail::cpu_bandwidth(h, 4, c) == doctest::Approx(20e9));
    // decode of 5 GB of host weights with 2 threads of 5 GB/s: 0.5 s
    const machine hw{h, {}};
    perf_inputs in;
    device_work w;
    w.weight_bytes = 5000000000;
    w.matmul_flops = 1000000000;
    (void)in.work.push_back(w);
    in.threads = 2;
    auto rc = round_constants();
    rc.cpu_decode_compute = 1.0;
    CHECK(predict_throughput(hw, in, workload{}, rc).decode_tps == doctest::Approx(2.0));
}

TEST_CASE("expert offload: prefill copies the host experts once per ubatch (-ub), decode reads them at the host's rate") {
    const std::array<device, 1> g{gpu(1000000000000ull, 100000000000000ull)};
    host h = cpu8();
    h.bandwidth_per_thread = 10000000000ull;  // 10 GB/s a thread
    const machine hw{h, g};
    perf_inputs in;
    device_work hw_work, d;
    hw_work.weight_bytes = hw_work.expert_bytes = 1000000000;
    hw_work.expert_bytes_all = 16000000000;
    hw_work.matmul_flops = hw_work.expert_flops = 2000000000;
    hw_work.moe_layers = 48;
    d.device = 0;
    d.weight_bytes = 800000000;
    d.matmul_flops = 2000000000;
    d.layers = 49;
    (void)in.work.push_back(hw_work);
    (void)in.work.push_back(d);
    in.host_weights_streamed = 16000000000;
    in.host_streamed_flops = 2000000000;
    in.device_hops = 96;
    in.hop_bytes = 8192;
    const auto c = round_constants();
    double prev = 0;
    for (std::uint32_t ub : {256u, 512u, 1024u, 2048u}) {
        in.n_ubatch = ub;
        in.n_batch = 2048;
        const auto t = predict_throughput(hw, in, workload{2048, 0}, c);
        CHECK(t.prefill_bound == perf_bound::link);
        CHECK(t.prefill_tps > prev);  // fewer ubatches, fewer copies
        prev = t.prefill_tps;
    }
    // decode: the host reads 1 GB at min(50 GB/s, threads x 10 GB/s)
    in.threads = 2;
    const double two = predict_throughput(hw, in, workload{}, c).decode_tps;
    in.threads = 8;
    const double eight = predict_throughput(hw, in, workload{}, c).decode_tps;
    CHECK(eight > two);
    // 2 threads: 1 GB / 20 GB/s = 50 ms; GPU 0.8 GB / 0.5 TB/s = 1.6 ms + 4.9 ms; 96 hops x 8192 B / 31.5 GB/s
    const double link = 16 * 1.969e9;
    CHECK(two == doctest::Approx(1.0 / (0.05 + 0.0016 + 0.0049 + 96 * 8192.0 / link)));
}

TEST_CASE("every prediction carries an interval and names its group") {
    perf_inputs in;
    device_work w;
    w.device = 0;
    w.weight_bytes = 4000000000;
    w.matmul_flops = 8000000000;
    w.layers = 33;
    (void)in.work.push_back(device_work{});
    (void)in.work.push_back(w);
    auto check = [&](const machine& hw, perf_group want) {
        const auto t = predict_throughput(hw, in, workload{512, 1024});
        CHECK(t.group == want);
        CHECK(t.decode_tps_low < t.decode_tps);
        CHECK(t.decode_tps < t.decode_tps_high);
        CHECK(t.prefill_tps_low < t.prefill_tps);
        CHECK(t.prefill_tps < t.prefill_tps_high);
    };
    std::array<device, 1> g{gpu(1000000000000ull, 100000000000000ull)};
    check(machine{cpu8(), g}, perf_group::one_gpu);
    g[0].kind = backend::rocm;
    check(machine{cpu8(), g}, perf_group::rocm);
    g[0].kind = backend::vulkan;
    check(machine{cpu8(), g}, perf_group::vulkan);
    g[0].kind = backend::sycl;
    check(machine{cpu8(), g}, perf_group::other);
    g[0].kind = backend::metal;
    g[0].unified_memory = true;
    check(machine{cpu8(), g}, perf_group::apple);
    g[0].kind = backend::cuda;
    check(machine{cpu8(), g}, perf_group::unified_cuda);
    // no data behind a group: the widest band
    CHECK(perf_bands[static_cast<std::size_t>(perf_group::other)].decode_hi >= perf_bands[static_cast<std::size_t>(perf_group::one_gpu)].decode_hi);
    in.work[0].weight_bytes = 1000000000;  // weights on the host
    g[0].unified_memory = false;
    check(machine{cpu8(), g}, perf_group::offload);
    check(machine{cpu8(), {}}, perf_group::cpu);
}
