// bench/throughput: predicts every row of the public llama.cpp speed data (shared/public: apple_silicon.csv,
// cuda.csv, cpu.csv) with the model catalog, the device table and the throughput model, and prints the median and
// max relative error per file and overall as `name value unit` lines.
//
//   llamaplan_bench_throughput DIR [--rows] [--const NAME=VALUE ...]
//
// DIR holds the three CSV files (shared/public, or the compact copy in tests/data/public). --rows prints every
// prediction; --const overrides an efficiency constant (tools/fit_throughput.py uses it to fit them).
#include <llamaplan.hpp>
#include <llamaplan/devices.hpp>
#include <llamaplan/gguf/catalog.hpp>
#include <llamaplan/perf.hpp>

#include "throughput_rows.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s DIR [--rows] [--const NAME=VALUE ...]\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1];
    bool print_rows = false;
    llamaplan::perf_constants c;
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--rows") { print_rows = true; continue; }
        if (a == "--const" && i + 1 < argc) {
            const std::string kv = argv[++i];
            const auto eq = kv.find('=');
            if (eq == std::string::npos || !tput::set_constant(c, kv.substr(0, eq), std::atof(kv.c_str() + eq + 1))) {
                std::fprintf(stderr, "bad --const '%s'\n", kv.c_str());
                return 2;
            }
            continue;
        }
        std::fprintf(stderr, "unknown option '%s'\n", a.c_str());
        return 2;
    }
    std::string err;
    std::vector<tput::row> rows;
    for (const char* f : {"apple_silicon.csv", "cuda.csv", "cpu.csv"})
        if (!tput::load_file(dir, f, rows, err)) {
            std::fprintf(stderr, "%s\n", err.c_str());
            return 1;
        }
    std::vector<tput::prediction> preds;
    std::size_t skipped = 0;
    for (auto& r : rows) {
        auto p = tput::predict(r, c);
        if (!p.ok) {
            ++skipped;
            if (print_rows) std::printf("# skip %s | %s | %s: %s\n", r.file.c_str(), r.hardware.c_str(), r.model.c_str(), p.why.c_str());
            continue;
        }
        if (print_rows)
            std::printf("# %-18s %-8s %-44.44s %-26.26s %5s meas %9.2f pred %9.2f err %+6.1f%%  (%s)\n", r.file.c_str(),
                        r.decode ? "decode" : "prefill", r.hardware.c_str(), (r.model + ":" + r.quant).c_str(),
                        r.scaled ? "size" : "cat", r.measured, p.predicted, 100.0 * (p.predicted / r.measured - 1.0),
                        p.bound.c_str());
        preds.push_back(p);
    }
    tput::report(preds, skipped);
    return 0;
}
