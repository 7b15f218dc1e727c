// bench/throughput: predicts every row of the public llama.cpp speed data (tests/data/public: apple_silicon.csv,
// cuda.csv, cpu.csv, llama3_xiongjiedai.csv, moe_offload.csv, more_llama_bench.csv) with the model catalog, the
// device table and the throughput model, and prints per group (one GPU, several GPUs, expert offload, Apple, CPU,
// Vulkan, ROCm, GB10), per phase and per set (fitted / held out by split.csv / all mainline / forks) the median and
// the worst relative error as `name value unit` lines.
//
//   llamaplan_bench_throughput DIR [--rows] [--const NAME=VALUE ...]
//
// DIR holds the CSV files and split.csv (tests/data/public). --rows prints every prediction; --const overrides an
// efficiency constant (tools/fit_throughput.py uses it to fit them).
#include <llamaplan.hpp>
#include <llamaplan/devices.hpp>
#include <llamaplan/gguf/catalog.hpp>
#include <llamaplan/perf.hpp>

#include "throughput_rows.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

namespace {
// The fit's objective on the fitted (not held-out, mainline) rows: the mean over groups and phases of the median
// |relative error|, plus a small weight on the mean |log error| so no row is traded away entirely.
double objective(const std::vector<tput::prepared>& xs, const llamaplan::perf_constants& c) {
    std::map<std::string, std::vector<double>> e;
    double logs = 0;
    std::size_t n = 0;
    for (const auto& x : xs) {
        if (!x.p.ok || x.p.fork || x.p.heldout || x.p.host_unknown) continue;
        const auto p = tput::evaluate(x, c);
        if (!(p.predicted > 0)) return 1e30;
        e[p.group + (p.decode ? ".d" : ".p")].push_back(std::fabs(p.predicted / p.measured - 1.0));
        logs += std::fabs(std::log(p.predicted / p.measured));
        ++n;
    }
    double sum = 0;
    for (auto& [k, v] : e) {
        std::sort(v.begin(), v.end());
        sum += v[v.size() / 2];
    }
    return 100.0 * (sum / double(e.size()) + 0.1 * logs / double(std::max<std::size_t>(n, 1)));
}

// Coordinate descent over multiplicative steps; fractions of peak stay at or below 1.
llamaplan::perf_constants fit(const std::vector<tput::prepared>& xs, llamaplan::perf_constants c,
                              const std::vector<std::string>& names) {
    double best = objective(xs, c);
    for (double step : {1.5, 1.2, 1.07, 1.02}) {
        for (int pass = 0; pass < 6; ++pass) {
            bool improved = false;
            for (const auto& k : names) {
                for (double f : {step, 1.0 / step}) {
                    llamaplan::perf_constants t = c;
                    double v = tput::get_constant(c, k) * f;
                    if (tput::is_fraction(k)) v = std::min(v, 1.0);
                    tput::set_constant(t, k, v);
                    const double o = objective(xs, t);
                    if (o < best - 1e-9) { best = o; c = t; improved = true; }
                }
            }
            if (!improved) break;
        }
        std::fprintf(stderr, "# step %.2f: objective %.3f\n", step, best);
    }
    return c;
}
}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s DIR [--rows] [--const NAME=VALUE ...]\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1];
    bool print_rows = false, do_fit = false;
    llamaplan::perf_constants c;
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--rows") { print_rows = true; continue; }
        if (a == "--fit") { do_fit = true; continue; }
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
    tput::split_map split;
    if (!tput::load_split(dir, split, err)) {
        std::fprintf(stderr, "%s\n", err.c_str());
        return 1;
    }
    for (const auto& f : tput::data_files())
        if (!tput::load_file(dir, f, rows, err, &split)) {
            std::fprintf(stderr, "%s\n", err.c_str());
            return 1;
        }
    std::vector<tput::prepared> xs;
    for (auto& r : rows) xs.push_back(tput::prepare(r));
    if (do_fit) {
        c = fit(xs, c, tput::fitted_constants());
        for (const auto& k : tput::fitted_constants()) std::printf("# fitted %s = %.4g\n", k.c_str(), tput::get_constant(c, k));
    }
    std::vector<tput::prediction> preds;
    std::size_t skipped = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto& r = rows[i];
        auto p = tput::evaluate(xs[i], c);
        if (!p.ok) {
            ++skipped;
            if (print_rows) std::printf("# skip %s | %s | %s: %s\n", r.file.c_str(), r.hardware.c_str(), r.model.c_str(), p.why.c_str());
            continue;
        }
        if (print_rows)
            std::printf("# %-11s %-7s %-7s %-40.40s %-30.30s %-16.16s %5s meas %9.2f pred %9.2f err %+6.1f%%  (%s)\n",
                        p.group.c_str(), r.decode ? "decode" : "prefill", r.fork ? "fork" : r.heldout ? "heldout" : "fit",
                        r.machine.c_str(), (r.model + ":" + r.quant).c_str(), r.test.c_str(),
                        r.proxy ? "proxy" : r.scaled ? "size" : "cat", r.measured, p.predicted,
                        100.0 * (p.predicted / r.measured - 1.0), p.bound.c_str());
        preds.push_back(p);
    }
    tput::report(preds, skipped);
    return 0;
}
