// bench/plan: the median time of a full plan (summary excluded: it is computed once per model and machine), and of
// the summary itself, for (a) an 8B dense model on one 24 GiB GPU, (b) a Kimi-K2-shaped MoE (61 layers, 384 experts,
// MLA) on 8 x 80 GiB GPUs, (c) the same with one user `-ot` rule (placement pinned, regex resolved once per plan).
// Prints `name value unit` lines.
#include <llamaplan/emit.hpp>
#include <llamaplan/gguf/file.hpp>
#include <llamaplan/gguf/writer.hpp>
#include <llamaplan/planner.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace {
using clock_type = std::chrono::steady_clock;

std::string write_model(const llamaplan::gguf::synth_spec& s, const std::string& name) {
    const auto path = (std::filesystem::temp_directory_path() / name).string();
    if (!llamaplan::gguf::synthesize(s).write(path, llamaplan::gguf::data_fill::header_only)) return {};
    return path;
}

template <class F>
double median_us(F&& f, int runs) {
    std::vector<double> t;
    for (int i = 0; i < runs; ++i) {
        const auto a = clock_type::now();
        f();
        t.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - a).count());
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

int run_case(const char* name, const std::string& path, const llamaplan::machine& hw, std::vector<std::string> flags) {
    llamaplan::gguf::file_error fe;
    auto mf = llamaplan::gguf::open(path, fe);
    if (!mf) { std::fprintf(stderr, "plan bench: %s: %s\n", path.c_str(), mf.error().what.data()); return 1; }
    const auto m = mf->view();
    flags.insert(flags.begin(), path);
    std::vector<std::string_view> views(flags.begin(), flags.end());
    auto args = llamaplan::parse_server_args(views);
    if (!args) { std::fprintf(stderr, "plan bench: bad flags\n"); return 1; }
    const auto g = llamaplan::goal_from_args(*args);
    auto s = std::make_unique<llamaplan::model_summary>();
    const double summary_us = median_us([&] { (void)llamaplan::summarize(m, hw, true, true, *s); }, 31);
    auto p = std::make_unique<llamaplan::plan>();
    bool ok = true;
    const double plan_us = median_us([&] {
        auto r = llamaplan::plan_model(m, *s, hw, g);
        ok = ok && r.has_value();
        if (r) *p = *r;
    }, 31);
    if (!ok) { std::fprintf(stderr, "plan bench: %s: planning failed\n", name); return 1; }
    std::printf("plan_%s %.1f us\n", name, plan_us);
    std::printf("summary_%s %.1f us\n", name, summary_us);
    std::printf("plan_%s_candidates %u count\n", name, p->candidates);
    std::printf("plan_%s_tensors %zu count\n", name, m.tensors.size());
    std::printf("plan_%s_fits %d bool\n", name, p->fits ? 1 : 0);
    std::printf("plan_%s_gpu_layers %u layers\n", name, p->place.layers.n_gpu_layers);
    return 0;
}
}  // namespace

int main() {
    using llamaplan::gguf::synth_spec;
    synth_spec dense;  // Llama-3.1-8B shape, Q4_K
    dense.arch = "llama";
    dense.n_layer = 32;
    dense.n_embd = 4096;
    dense.n_head = 32;
    dense.n_head_kv = 8;
    dense.n_ff = 14336;
    dense.n_vocab = 128256;
    dense.n_ctx = 131072;
    dense.tokenizer = false;
    dense.weight_type = llamaplan::ggml_type::q4_k;
    dense.embd_type = llamaplan::ggml_type::q6_k;

    synth_spec kimi;  // Kimi-K2 shape: deepseek2 with MLA, 384 routed experts (8 used), one shared, one dense lead
    kimi.arch = "deepseek2";
    kimi.n_layer = 61;
    kimi.n_embd = 7168;
    kimi.n_head = 64;
    kimi.n_head_kv = 1;
    kimi.n_ff = 18432;
    kimi.q_lora_rank = 1536;
    kimi.kv_lora_rank = 512;
    kimi.rope_dim = 64;
    kimi.key_length_mla = 192;
    kimi.value_length_mla = 128;
    kimi.head_dim = 576;
    kimi.n_expert = 384;
    kimi.n_expert_used = 8;
    kimi.n_ff_exp = 2048;
    kimi.n_expert_shared = 1;
    kimi.n_layer_dense_lead = 1;
    kimi.n_vocab = 163840;
    kimi.n_ctx = 131072;
    kimi.tokenizer = false;
    kimi.weight_type = llamaplan::ggml_type::q8_0;  // MLA k_b rows are 128 wide: no 256-element K-quant blocks

    const auto dense_path = write_model(dense, "llamaplan-bench-8b.gguf");
    const auto kimi_path = write_model(kimi, "llamaplan-bench-kimi-k2.gguf");
    if (dense_path.empty() || kimi_path.empty()) { std::fprintf(stderr, "plan bench: cannot write models\n"); return 1; }

    llamaplan::machine one;
    one.host.cpus_physical = 16;
    one.host.memory_total = one.host.memory_available = 64ull << 30;
    std::vector<llamaplan::device> gpu1{{"RTX 4090", llamaplan::backend::cuda, 24ull << 30, 24ull << 30, 1008ull * 1000 * 1000 * 1000}};
    one.devices = gpu1;
    llamaplan::machine eight = one;
    eight.host.memory_total = eight.host.memory_available = 1024ull << 30;
    std::vector<llamaplan::device> gpu8(8, llamaplan::device{"H100", llamaplan::backend::cuda, 80ull << 30, 80ull << 30, 3350ull * 1000 * 1000 * 1000});
    eight.devices = gpu8;

    int rc = 0;
    rc |= run_case("dense_8b_1gpu", dense_path, one, {});
    rc |= run_case("kimi_k2_8gpu", kimi_path, eight, {});
    rc |= run_case("kimi_k2_8gpu_ot", kimi_path, eight, {"-ot", "blk\\.([1-9]|[1-3][0-9]|40)\\.ffn_(up|down|gate)_exps=CPU"});
    std::filesystem::remove(dense_path);
    if (!std::getenv("LLAMAPLAN_BENCH_KEEP")) std::filesystem::remove(kimi_path);
    return rc;
}
