// bench/accuracy: llamaplan's memory estimate against every row llama.cpp measured in shared/groundtruth.
// Models are read from the header-only GGUF copies there, through the GGUF adapter, exactly as a user's file would be.
//   llamaplan_bench_accuracy [GROUNDTRUTH_DIR]   (default: $LLAMAPLAN_GROUNDTRUTH or ../shared/groundtruth)
#include "../tests/support/groundtruth.hpp"

#include <llamaplan/gguf/file.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>

int main(int argc, char** argv) {
    std::string dir = argc > 1 ? argv[1] : "";
    if (dir.empty()) {
        const char* env = std::getenv("LLAMAPLAN_GROUNDTRUTH");
        dir = env ? env : "../shared/groundtruth";
    }
    auto table = groundtruth::read_csv(dir + "/measured.csv");
    if (!table) {
        std::fprintf(stderr, "accuracy: cannot read %s/measured.csv (pass the ground-truth directory)\n", dir.c_str());
        return 2;
    }
    std::map<std::string, std::unique_ptr<llamaplan::gguf::model_file>> files;
    groundtruth::accuracy acc;
    const auto hw = groundtruth::cpu_machine();
    double estimate_us = 0;
    std::size_t estimates = 0;
    for (std::size_t r = 0; r < table->rows.size(); ++r) {
        const std::string name = table->get(r, "model_file");
        auto& f = files[name];
        if (!f) {
            llamaplan::gguf::file_error fe;
            auto opened = llamaplan::gguf::open(dir + "/models/" + name, fe);
            if (!opened) {
                std::fprintf(stderr, "accuracy: %s: %s\n", fe.path.c_str(), std::string(opened.error().what).c_str());
                return 2;
            }
            f = std::make_unique<llamaplan::gguf::model_file>(std::move(*opened));
        }
        const auto params = groundtruth::params_of(*table, r);
        const auto t0 = std::chrono::steady_clock::now();
        auto est = llamaplan::estimate_memory(f->view(), hw, params);
        estimate_us += std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
        ++estimates;
        acc.add(*table, r, hw, est);
    }
    std::printf("ground truth: %s (%zu rows: %zu accepted by llama.cpp, %zu refused)\n", dir.c_str(), table->rows.size(),
                acc.model.rows + acc.failed, acc.rejected_rows);
    std::printf("errors are relative to the MiB llama.cpp printed (rounded to 0.01), so an exact row can show a small one\n");
    std::printf("%-9s %6s %8s %12s %12s\n", "component", "rows", "exact", "median err", "max err");
    auto line = [](const char* what, const groundtruth::component_stats& s) {
        std::printf("%-9s %6zu %8zu %11.4f%% %11.4f%%\n", what, s.rows, s.exact, s.median() * 100, s.max() * 100);
    };
    line("model", acc.model);
    line("kv", acc.kv);
    line("output", acc.output);
    line("compute", acc.compute);
    std::printf("refusals matching llama.cpp's: %zu of %zu; estimator errors on accepted rows: %zu\n", acc.rejected_agree,
                acc.rejected_rows, acc.failed);
    std::printf("mean estimate time: %.1f us per row\n", estimate_us / double(estimates));
    for (const auto& m : acc.mismatches) std::printf("  mismatch: %s\n", m.c_str());
    const bool met = acc.model.exact == acc.model.rows && acc.kv.exact == acc.kv.rows && acc.output.exact == acc.output.rows &&
                     acc.compute.median() <= 0.03 && acc.compute.max() <= 0.10 && acc.failed == 0 &&
                     acc.rejected_agree == acc.rejected_rows;
    std::printf("targets (model/KV/output exact, compute median <= 3 %%, max <= 10 %%): %s\n", met ? "met" : "NOT met");
    return met ? 0 : 1;
}
