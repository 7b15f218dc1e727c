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

TEST_CASE("validation on the public llama.cpp data meets the targets (median 15 % decode, 25 % prefill)") {
    std::vector<tput::row> rows;
    std::string err;
    for (const char* f : {"apple_silicon.csv", "cuda.csv", "cpu.csv"})
        REQUIRE(tput::load_file(std::string(LLAMAPLAN_TEST_DATA) + "/public", f, rows, err));
    std::vector<tput::prediction> preds;
    std::size_t skipped = 0;
    for (auto& r : rows) {
        auto p = tput::predict(r, perf_constants{});
        if (p.ok) preds.push_back(p);
        else ++skipped;
    }
    CHECK(preds.size() == 265);
    CHECK(skipped == 4);  // i7-8700 "dense 1.5B / 3B" and Qwen3.6-35B-A3B: models not in the catalog
    const auto dec = tput::summarize(tput::errors(preds, "", true));
    const auto pp = tput::summarize(tput::errors(preds, "", false));
    CHECK(dec.n == 168);
    CHECK(pp.n == 97);
    // measured with the fitted constants: 8.5 % and 8.3 %; the targets are 15 % and 25 %
    CHECK(dec.median <= 9.0);
    CHECK(pp.median <= 9.0);
    for (const char* f : {"apple_silicon.csv", "cuda.csv", "cpu.csv"}) {
        CAPTURE(f);
        CHECK(tput::summarize(tput::errors(preds, f, true)).median <= 15.0);
        CHECK(tput::summarize(tput::errors(preds, f, false)).median <= 25.0);
    }
}
