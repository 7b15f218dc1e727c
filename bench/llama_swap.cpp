// Benchmark: a llama-swap config with 100 models (block-scalar cmds with continuations, macros, groups) and a
// 4 MiB hostile one-line value; prints the median time to parse the config, to build every model's argv, and to
// rewrite every model's planning flags in one rewrite_config call (which parses the result again to verify it).
#include <llamaplan/llama_swap.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace llamaplan::llama_swap;

namespace {
template <class F>
double median_us(int iterations, F&& f) {
    std::vector<double> t;
    for (int i = 0; i < iterations; ++i) {
        const auto a = std::chrono::steady_clock::now();
        f();
        const auto b = std::chrono::steady_clock::now();
        t.push_back(std::chrono::duration<double, std::micro>(b - a).count());
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}
}  // namespace

int main(int argc, char** argv) {
    const int iterations = argc > 1 ? std::atoi(argv[1]) : 20;
    std::string cfg = "macros:\n  bin: /opt/llama.cpp/build/bin/llama-server\n  dir: /srv/models\nmodels:\n";
    for (int i = 0; i < 100; ++i) {
        const std::string n = std::to_string(i);
        cfg += "  model-" + n + ":\n    # model " + n + "\n    cmd: |\n      ${bin} --port ${PORT} \\\n"
               "        -m ${dir}/model-" + n + "-Q4_K_M.gguf \\\n        -c 8192 -ngl 99 \\\n"
               "        --jinja --temp 0.6 -fa on\n    ttl: 300\n";
    }
    cfg += "groups:\n  g:\n    swap: false\n    exclusive: false\n    members: [model-0, model-1]\n";
    std::vector<std::pair<std::string, cmd_edits>> plan;
    for (int i = 0; i < 100; ++i) {
        cmd_edits e;
        for (auto f : planning_flags) e.remove.emplace_back(f);
        e.set = {{"-c", {"32768"}}, {"-ngl", {"40"}}, {"-ot", {"blk\\.(3[0-9])\\.ffn_.*_exps\\.=CPU"}}, {"--fit", {"off"}}};
        plan.emplace_back("model-" + std::to_string(i), e);
    }
    std::size_t sink = 0;
    const double parse = median_us(iterations, [&] { sink += parse_config(cfg)->models.size(); });
    auto parsed = parse_config(cfg);
    const double words = median_us(iterations, [&] {
        for (const auto& m : parsed->models) sink += model_command(*parsed, m, {}).argv.size();
    });
    const double rewrite = median_us(iterations, [&] { sink += rewrite_config(cfg, plan)->text.size(); });
    const std::string hostile = "a: " + std::string(4u << 20, 'x') + "\n";
    const double big = median_us(iterations, [&] { sink += parse_yaml(hostile)->size(); });
    std::printf("llama_swap_config_bytes %zu bytes\n", cfg.size());
    std::printf("llama_swap_parse_100_models %.1f us\n", parse);
    std::printf("llama_swap_argv_100_models %.1f us\n", words);
    std::printf("llama_swap_rewrite_100_models %.1f us\n", rewrite);
    std::printf("llama_swap_parse_4MiB_line %.1f us\n", big);
    return sink == 0;
}
