// Benchmark: estimate_memory latency and allocations on a realistic MoE, the cost cap on the largest model
// validate_model accepts, the slowest estimate over the fuzz corpus, and the compile time of the constexpr test.
// Prints one `name value unit` line per figure.
//   llamaplan_bench_estimate [ITERATIONS=2000] [FUZZ_CORPUS_DIR...]
// The Kimi-K2-shaped model (61 blocks, 384 routed experts of which 8 are used, 1 shared expert, MLA, a dense first
// block, 163840-token vocabulary, about 1,100 tensors) is made in-process with the project's GGUF writer.
#include <llamaplan.hpp>
#include <llamaplan/gguf/hparams.hpp>
#include <llamaplan/gguf/reader.hpp>
#include <llamaplan/gguf/writer.hpp>

#include "../tests/fuzz/fuzz_check.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <string>
#include <vector>

// ---- allocation counting: every global operator new of this program is counted
#if defined(__GNUC__) && !defined(__clang__)
// the replaced operator delete frees what the replaced operator new mallocs; GCC cannot see that they pair
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
namespace {
std::atomic<std::uint64_t> g_allocations{0};
}
void* operator new(std::size_t n) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using namespace llamaplan;
namespace fs = std::filesystem;

namespace {
template <class F>
double median_us(int iterations, F&& f) {
    std::vector<double> t;
    t.reserve(static_cast<std::size_t>(iterations));
    for (int i = 0; i < iterations; ++i) {
        const auto a = std::chrono::steady_clock::now();
        f();
        const auto b = std::chrono::steady_clock::now();
        t.push_back(std::chrono::duration<double, std::micro>(b - a).count());
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

/// A parsed in-memory model: bytes, header, hyper-parameters.
struct loaded {
    std::vector<std::byte> bytes;
    gguf::reader r;
    gguf::model_hparams mh;
    [[nodiscard]] model view() const { return model{mh.view(), r.tensors()}; }
};

bool load(const gguf::writer& w, loaded& out) {
    out.bytes = w.bytes(gguf::data_fill::header_only);
    auto r = gguf::reader::parse(out.bytes);
    if (!r) return false;
    out.r = std::move(*r);
    auto mh = gguf::extract_hparams(out.r);
    if (!mh) {
        std::fprintf(stderr, "extract_hparams: %s\n", std::string(mh.error().what).c_str());
        return false;
    }
    out.mh = std::move(*mh);
    return true;
}

gguf::synth_spec kimi_k2() {
    gguf::synth_spec s;
    s.arch = "deepseek2";
    s.n_layer = 61;
    s.n_embd = 7168;
    s.n_head = 64;
    s.n_head_kv = 64;
    s.n_ff = 18432;
    s.n_vocab = 163840;
    s.tokenizer = false;
    s.write_vocab_size = true;
    s.n_ctx = 131072;
    s.n_expert = 384;
    s.n_expert_used = 8;
    s.n_expert_shared = 1;
    s.n_ff_exp = 2048;
    s.n_layer_dense_lead = 1;
    s.q_lora_rank = 1536;
    s.kv_lora_rank = 512;
    s.rope_dim = 64;
    s.key_length_mla = 192;
    s.value_length_mla = 128;
    s.weight_type = ggml_type::q8_0;
    s.embd_type = ggml_type::q8_0;
    return s;
}

/// An RWKV-7 14B-shaped model (61 blocks of 4096, head size 64, LoRA ranks 128 / 128 / 96 / 480, 65536 tokens).
gguf::synth_spec rwkv7_14b() {
    gguf::synth_spec s;
    s.arch = "rwkv7";
    s.n_layer = 61;
    s.n_embd = 4096;
    s.n_head = 0;
    s.wkv_head_size = 64;
    s.n_ff = 16384;
    s.n_vocab = 65536;
    s.tokenizer = false;
    s.write_vocab_size = true;
    s.lora_decay = 128;
    s.lora_iclr = 128;
    s.lora_value_res_mix = 96;
    s.lora_gate = 480;
    return s;
}

/// The most work validate_model lets through: LLAMA_MAX_LAYERS blocks, LLAMA_MAX_EXPERTS experts, all used.
gguf::synth_spec worst_case() {
    gguf::synth_spec s;
    s.arch = "qwen3moe";
    s.n_layer = LLAMAPLAN_MAX_LAYERS;
    s.n_embd = 64;
    s.n_head = 4;
    s.n_head_kv = 4;
    s.n_vocab = 64;
    s.n_expert = max_experts;
    s.n_expert_used = max_experts;
    s.n_ff_exp = 32;
    return s;
}
}  // namespace

int main(int argc, char** argv) {
    const int iterations = argc > 1 ? std::atoi(argv[1]) : 2000;

    loaded kimi;
    if (!load(gguf::synthesize(kimi_k2()), kimi)) return 1;
    const model km = kimi.view();
    std::printf("kimi_k2_tensors %zu count\n", km.tensors.size());

    // one 80 GB GPU holding every layer, with and without one -ot rule sending the routed experts to the CPU
    const std::array<device, 1> gpu{{{"H100", backend::cuda, 80ull << 30, 79ull << 30}}};
    const machine hw{host{}, gpu};
    launch_params p;
    p.n_ctx = 32768;
    launch_params p_ot = p;
    (void)p_ot.overrides.push_back({"\\.ffn_(up|down|gate)_exps", host_device});
    std::uint64_t sink = 0;
    auto est = [&](const launch_params& q) {
        auto e = estimate_memory(km, hw, q);
        if (!e) {
            std::fprintf(stderr, "estimate failed: %s\n", std::string(e.error().what).c_str());
            std::exit(1);
        }
        sink += e->weights();
    };
    std::printf("estimate_kimi_k2 %.1f us\n", median_us(iterations, [&] { est(p); }));
    std::printf("estimate_kimi_k2_ot %.1f us\n", median_us(iterations, [&] { est(p_ot); }));

    // allocations inside the core during one estimate (the model is already built)
    const std::uint64_t before = g_allocations.load();
    est(p_ot);
    std::printf("estimate_allocations %llu count\n", static_cast<unsigned long long>(g_allocations.load() - before));

    // the RWKV graph replay (compute/rwkv.hpp) on the CPU, -c 4096, 4 slots
    loaded rwkv;
    if (!load(gguf::synthesize(rwkv7_14b()), rwkv)) return 1;
    const model rm = rwkv.view();
    launch_params pr;
    pr.n_ctx = 4096;
    pr.n_seq_max = 4;
    std::printf("estimate_rwkv7_14b %.1f us\n", median_us(iterations, [&] {
        auto e = estimate_memory(rm, machine{}, pr);
        sink += e ? e->compute() : 0;
    }));

    loaded worst;
    if (!load(gguf::synthesize(worst_case()), worst)) return 1;
    const model wm = worst.view();
    if (validate_model(wm).code != errc::ok) return 1;
    launch_params pw;
    pw.n_ctx = 4096;
    std::printf("estimate_worst_accepted %.1f us\n", median_us(std::max(1, iterations / 20), [&] {
        auto e = estimate_memory(wm, machine{}, pw);
        sink += e ? e->compute() : 0;
    }));

    // the slowest estimate over a fuzz corpus (fuzz_gguf input format; split inputs are read as their first part)
    std::size_t n_inputs = 0, n_estimates = 0;
    double slowest = 0;
    for (int a = 2; a < argc; ++a) {
        if (!fs::is_directory(argv[a])) continue;
        for (const auto& entry : fs::directory_iterator(argv[a])) {
            if (!entry.is_regular_file()) continue;
            std::ifstream f(entry.path(), std::ios::binary);
            std::vector<char> raw((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
            ++n_inputs;
            if (raw.size() < 2) continue;
            fuzz::setting s;
            fuzz::choose(s, static_cast<unsigned char>(raw[0]));
            const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(raw.data() + 2), raw.size() - 2);
            auto r = gguf::reader::parse(bytes);
            if (!r) continue;
            auto mh = gguf::extract_hparams(*r);
            if (!mh) continue;
            const model m{mh->view(), r->tensors()};
            const double t = median_us(3, [&] { sink += estimate_memory(m, s.hw, s.p).has_value(); });
            ++n_estimates;
            slowest = std::max(slowest, t);
        }
    }
    if (n_inputs > 0) {
        std::printf("fuzz_corpus_inputs %zu count\n", n_inputs);
        std::printf("fuzz_corpus_estimates %zu count\n", n_estimates);
        std::printf("fuzz_corpus_slowest_estimate %.1f us\n", slowest);
    }

#if defined(LLAMAPLAN_BENCH_CXX) && defined(LLAMAPLAN_BENCH_SOURCE_DIR)
    // compile time of the constexpr static test (every static_assert evaluates the core at compile time)
    {
        const std::string cmd = std::string(LLAMAPLAN_BENCH_CXX) + " -std=c++20 -fsyntax-only -I" + LLAMAPLAN_BENCH_SOURCE_DIR +
                                "/include " + LLAMAPLAN_BENCH_SOURCE_DIR + "/tests/static/static_core.cpp";
        const auto a = std::chrono::steady_clock::now();
        const int rc = std::system(cmd.c_str());
        const auto b = std::chrono::steady_clock::now();
        if (rc == 0) std::printf("compile_static_core %.2f s\n", std::chrono::duration<double>(b - a).count());
    }
#endif
    return sink == 42 ? 1 : 0;
}
