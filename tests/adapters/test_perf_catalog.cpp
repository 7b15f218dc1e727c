// The throughput model on catalog models: perf inputs worked out by hand, monotonicity (more bandwidth, experts
// moved to the host), and the validation figures on the public data (tests/data/public, a compact copy of
// shared/public) held to the targets.
#include <llamaplan/gguf/catalog.hpp>
#include <llamaplan/memory.hpp>
#include <llamaplan/perf.hpp>

#include "../../bench/throughput_rows.hpp"

#include <doctest/doctest.h>

#include <array>
#include <string>

using namespace llamaplan;

namespace {
struct planned {
    perf_inputs in;
    throughput_estimate t;
};

planned predict_for(const model& m, const machine& hw, const launch_params& p, workload w = {}) {
    auto est = estimate_memory(m, hw, p);
    REQUIRE(est);
    auto in = make_perf_inputs(m, hw, p, *est);
    REQUIRE(in);
    return {*in, predict_throughput(hw, *in, w)};
}

host test_host() {
    host h;
    h.cpus_physical = h.cpus_logical = 16;
    h.memory_total = h.memory_available = 256ull << 30;
    h.bandwidth = 96000000000ull;
    return h;
}
}  // namespace

TEST_CASE("make_perf_inputs: llama-2-7b Q4_0 on one GPU, by hand") {
    auto mf = gguf::open_catalog("llama-2-7b:Q4_0");
    REQUIRE(mf);
    const model m = mf->view();
    const std::array<device, 1> g{parse_device_spec("RTX 4090")->dev};
    const machine hw{test_host(), g};
    launch_params p;
    p.n_ctx = 4096;
    const auto r = predict_for(m, hw, p);
    REQUIRE(r.in.work.size() == 2);  // the host (token embedding) and the GPU
    const auto& host = r.in.work[0];
    const auto& gw = r.in.work[1];
    CHECK(host.device == host_device);
    CHECK(host.weight_bytes == 0);  // the token embedding is gathered, not read
    CHECK(gw.device == 0);
    // 6 738 415 616 elements - 131 072 000 (token_embd) - 65 x 4096 norm weights = 6 607 077 376 matmul elements
    CHECK(gw.matmul_flops == 2ull * 6607077376ull);
    // tensor bytes minus token_embd (Q4_0: 131 072 000 / 32 x 18 bytes)
    CHECK(gw.weight_bytes == m.total_bytes() - 131072000ull / 32 * 18);
    // K + V in F16: 32 layers x 2 x 4096 x 2 bytes per token of depth
    CHECK(gw.kv_bytes_per_depth == 524288);
    // attention: 32 layers x 2 x 32 heads x (128 + 128) FLOPs per token of depth
    CHECK(gw.attn_flops_per_depth == 524288);
    CHECK(gw.layers == 33);
    CHECK(r.in.device_hops == 1);  // the host's embedding output enters the GPU once
    CHECK(r.in.weight_type == ggml_type::q4_0);
    CHECK(r.in.host_weights_streamed == 0);
    CHECK(r.t.decode_bound == perf_bound::memory_bandwidth);
    CHECK(r.t.decode_bound_device == 0);
    // dense: no MoE work; 32 blocks x 9 weight tensors (2 norms, q, k, v, o, gate, up, down); one GPU: no pipeline
    CHECK(gw.moe_layers == 0);
    CHECK(gw.expert_bytes == 0);
    CHECK(gw.expert_flops == 0);
    CHECK(gw.weight_tensors == 32 * 9);
    CHECK_FALSE(r.in.pipeline_parallel);
    CHECK_FALSE(r.in.row_split);
    CHECK(r.t.group == perf_group::one_gpu);
}

TEST_CASE("make_perf_inputs: qwen3-30b-a3b's experts, on the GPU and with --n-cpu-moe 36") {
    auto mf = gguf::open_catalog("qwen3-30b-a3b:Q4_K_M");
    REQUIRE(mf);
    const model m = mf->view();
    std::uint64_t experts = 0;
    for (const auto& t : m.tensors)
        if (t.role == tensor_role::ffn_expert) experts += t.bytes;
    const std::array<device, 1> g{parse_device_spec("RTX 4090")->dev};
    const machine hw{test_host(), g};
    launch_params p;
    p.n_ctx = 4096;
    auto r = predict_for(m, hw, p);
    REQUIRE(r.in.work.size() == 2);
    CHECK(r.in.work[1].moe_layers == 48);
    CHECK(r.in.work[1].expert_bytes_all == experts);
    // 8 of 128 experts per token (each tensor's share truncated to whole bytes)
    CHECK(double(r.in.work[1].expert_bytes) == doctest::Approx(double(experts) * 8 / 128).epsilon(1e-6));
    p.n_cpu_moe = 36;
    r = predict_for(m, hw, p);
    CHECK(r.in.work[0].moe_layers == 36);
    CHECK(r.in.work[1].moe_layers == 12);
    CHECK(r.in.device_hops == 1 + 2 * 36);  // into the GPU once, out to the host experts and back per offloaded layer
    CHECK(r.in.host_weights_streamed > 0);
    CHECK(r.t.group == perf_group::offload);
}

TEST_CASE("make_perf_inputs: pipeline parallelism and row split as llama_context decides them") {
    auto mf = gguf::open_catalog("llama-3-8b:Q4_K_M");
    REQUIRE(mf);
    const model m = mf->view();
    const std::array<device, 2> g{parse_device_spec("RTX 3090")->dev, parse_device_spec("RTX 3090")->dev};
    const machine hw{test_host(), g};
    launch_params p;
    p.n_ctx = 4096;
    CHECK(predict_for(m, hw, p).in.pipeline_parallel);  // every layer on the GPUs, layer split, KV offloaded
    CHECK(predict_for(m, hw, p).t.group == perf_group::multi_gpu);
    launch_params q = p;
    q.n_gpu_layers = 20;
    CHECK_FALSE(predict_for(m, hw, q).in.pipeline_parallel);
    q = p;
    q.offload_kqv = false;
    CHECK_FALSE(predict_for(m, hw, q).in.pipeline_parallel);
    q = p;
    q.split_mode = split_mode::row;
    const auto row = predict_for(m, hw, q);
    CHECK_FALSE(row.in.pipeline_parallel);
    CHECK(row.in.row_split);
    // pipelining only helps a prompt of several ubatches
    const auto pp512 = predict_for(m, hw, p, workload{512, 0}).t.prefill_tps;
    const auto pp2048 = predict_for(m, hw, p, workload{2048, 0}).t.prefill_tps;
    CHECK(pp2048 > pp512);
}

TEST_CASE("the issue's examples (issue 18), within the error measured at this commit") {
    // Qwen3-30B-A3B Q4_K_M on an RTX 4090: public reports ~170-196 t/s (issue 18; 290 predicted before it)
    auto q = gguf::open_catalog("qwen3-30b-a3b:Q4_K_M");
    REQUIRE(q);
    const std::array<device, 1> g4090{parse_device_spec("RTX 4090")->dev};
    launch_params p;
    p.n_ctx = 4096;
    p.flash_attn = flash_attn_mode::on;
    auto t = predict_for(q->view(), machine{test_host(), g4090}, p, workload{512, 64}).t;
    CHECK(t.decode_tps >= 170);  // 195 measured at this commit
    CHECK(t.decode_tps <= 200);
    CHECK(t.decode_tps_low <= 170);
    CHECK(t.decode_tps_high >= 196);
    // gemma-3-4b Q4_K_M on an RTX 3090: reported ~189 (304 before); 229.5 at this commit (+21 %)
    auto gm = gguf::open_catalog("gemma-3-4b:Q4_K_M");
    REQUIRE(gm);
    const std::array<device, 1> g3090{parse_device_spec("RTX 3090")->dev};
    t = predict_for(gm->view(), machine{test_host(), g3090}, p, workload{512, 64}).t;
    CHECK(t.decode_tps <= 189 * 1.22);
    CHECK(t.decode_tps >= 189);
    // --n-cpu-moe 36 on an 8 GB RTX 2080 with quad-channel DDR4 (~102 GB/s measured, 10 cores): 36.7 measured
    // (llmfit PR #755; 63 before); 43.4 at this commit (+18 %)
    host h;
    h.cpus_physical = 10;
    h.cpus_logical = 20;
    h.bandwidth = 102000000000ull;
    h.memory_total = h.memory_available = 128ull << 30;
    const std::array<device, 1> g2080{parse_device_spec("RTX 2080")->dev};
    p.n_cpu_moe = 36;
    t = predict_for(q->view(), machine{h, g2080}, p, workload{512, 256}).t;
    CHECK(t.decode_tps >= 36.7);
    CHECK(t.decode_tps <= 36.7 * 1.2);
    CHECK(t.decode_tps_low <= 36.7);
    CHECK(t.group == perf_group::offload);
}

TEST_CASE("experts on the host never predict faster decode than on the GPU") {
    for (const char* name : {"qwen3-30b-a3b:Q4_K_M", "gpt-oss-120b:MXFP4", "glm-4.5-air:Q4_K_M"}) {
        CAPTURE(name);
        auto mf = gguf::open_catalog(name);
        REQUIRE(mf);
        const model m = mf->view();
        for (const char* gpu_name : {"RTX 4090", "H100", "M3 Max"}) {
            CAPTURE(gpu_name);
            std::array<device, 1> g{parse_device_spec(gpu_name)->dev};
            g[0].memory_free = g[0].memory_total = 512ull << 30;  // room for everything: only speed is compared
            const machine hw{test_host(), g};
            launch_params p;
            p.n_ctx = 8192;
            double prev = 1e30, prev_pp = 1e30;
            for (std::uint32_t k = 0; k <= m.hp.n_layer; k += 4) {
                p.n_cpu_moe = k;
                const auto t = predict_for(m, hw, p, workload{512, 1024}).t;
                CHECK(t.decode_tps <= prev * (1 + 1e-12));
                CHECK(t.prefill_tps <= prev_pp * (1 + 1e-12));
                prev = t.decode_tps;
                prev_pp = t.prefill_tps;
            }
            p.n_cpu_moe = 0;
            const double all_gpu = predict_for(m, hw, p).t.decode_tps;
            p.cpu_moe = true;
            const auto moe_host = predict_for(m, hw, p);
            CHECK(moe_host.t.decode_tps < all_gpu);
            if (!g[0].unified_memory) CHECK(moe_host.in.host_weights_streamed > 0);
        }
    }
}

TEST_CASE("more bandwidth never predicts fewer tokens/s on catalog models") {
    for (const char* name : {"llama-3-8b:Q4_K_M", "qwen3-30b-a3b:Q4_K_M", "gemma-3-27b:Q8_0", "deepseek-v3:Q4_K_M"}) {
        CAPTURE(name);
        auto mf = gguf::open_catalog(name);
        REQUIRE(mf);
        const model m = mf->view();
        for (int ngl : {0, 10, -1}) {
            CAPTURE(ngl);
            double prev_dec = 0, prev_pp = 0;
            for (double scale : {0.25, 0.5, 1.0, 2.0, 4.0}) {
                std::array<device, 2> g{parse_device_spec("RTX 3090")->dev, parse_device_spec("RTX 3090")->dev};
                for (auto& d : g) {
                    d.memory_free = d.memory_total = 512ull << 30;
                    d.bandwidth = static_cast<std::uint64_t>(double(d.bandwidth) * scale);
                }
                host h = test_host();
                h.bandwidth = static_cast<std::uint64_t>(double(h.bandwidth) * scale);
                const machine hw{h, g};
                launch_params p;
                p.n_ctx = 8192;
                p.n_gpu_layers = ngl;
                const auto t = predict_for(m, hw, p, workload{512, 4096}).t;
                CHECK(t.decode_tps >= prev_dec);
                CHECK(t.prefill_tps >= prev_pp);
                prev_dec = t.decode_tps;
                prev_pp = t.prefill_tps;
            }
        }
    }
}

TEST_CASE("validation on the public llama.cpp data: held-out machines, per group (issue 18 targets)") {
    const std::string dir = std::string(LLAMAPLAN_TEST_DATA) + "/public";
    std::string err;
    tput::split_map split;
    REQUIRE(tput::load_split(dir, split, err));
    std::vector<tput::row> rows;
    for (const auto& f : tput::data_files()) REQUIRE(tput::load_file(dir, f, rows, err, &split));
    std::vector<tput::prediction> preds;
    for (auto& r : rows) {
        auto p = tput::predict(r, perf_constants{});
        if (p.ok) preds.push_back(p);
    }
    auto med = [&](const char* group, bool decode, const char* set) {
        const auto s = tput::summarize(tput::errors_of(preds, group, decode, set));
        CAPTURE(group);
        CAPTURE(decode);
        CAPTURE(set);
        CAPTURE(s.n);
        return s;
    };
    // the targets on held-out rows: decode <= 12 %, prefill <= 20 % (measured 7.2 % and 14.4 % over 150 rows
    // each at this commit; the tolerances are those figures, rounded up)
    const auto dec = med("", true, "heldout"), pp = med("", false, "heldout");
    CHECK(dec.n >= 150);
    CHECK(pp.n >= 150);
    CHECK(dec.median <= 7.5);
    CHECK(pp.median <= 15.0);
    // groups with >= 10 held-out rows of a phase, each at its measured median rounded up
    CHECK(med("one_gpu", true, "heldout").median <= 5.5);
    CHECK(med("one_gpu", false, "heldout").median <= 25.5);
    CHECK(med("multi_gpu", true, "heldout").median <= 11.0);
    CHECK(med("multi_gpu", false, "heldout").median <= 7.5);
    CHECK(med("apple", true, "heldout").median <= 9.0);
    CHECK(med("apple", false, "heldout").median <= 9.5);
    CHECK(med("gb10", true, "heldout").median <= 4.5);
    CHECK(med("gb10", false, "heldout").median <= 9.5);
    // the three files of the previous fit, every mainline row (8.5 % / 8.3 % decode / prefill before issue 18)
    std::vector<double> old_dec, old_pp;
    for (const char* f : {"apple_silicon.csv", "cuda.csv", "cpu.csv"}) {
        for (double e : tput::errors(preds, f, true)) old_dec.push_back(e);
        for (double e : tput::errors(preds, f, false)) old_pp.push_back(e);
    }
    CHECK(old_dec.size() == 168);
    CHECK(old_pp.size() == 97);
    CHECK(tput::summarize(old_dec).median <= 8.5);  // 8.49 % at this commit
    CHECK(tput::summarize(old_pp).median <= 8.6);   // 8.52 % at this commit
    // experts on the host, mainline builds with a stated host (3 fitted + 3 held out): within 20 % held out
    CHECK(med("moe_offload", true, "heldout").median <= 19.0);
    // the bands hold most held-out measurements (80 % bands; 75.7 % measured)
    std::size_t inside = 0, n = 0;
    for (const auto& p : preds)
        if (!p.fork && p.heldout) { ++n; inside += p.measured >= p.low && p.measured <= p.high ? 1 : 0; }
    CHECK(double(inside) / double(n) >= 0.75);
}
