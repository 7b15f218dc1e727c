// bench/plan_oracle: the planner against an exhaustive search (tests/support/plan_oracle.hpp) on N generated
// (model, machine, goal) triples (default 1000): dense and MoE models of 2-8 blocks; CPU-only, unified-memory and 1-8
// GPU machines of mixed sizes and backends; every preset. Prints `name value unit` lines: how often the plan fits
// where the oracle found a plan (and the reverse), the distribution of plan objective / oracle objective at the plan's
// context, how often the plan's context is below what the oracle reaches within the preset's tolerance, and the time
// per plan and per oracle search.
// usage: llamaplan_bench_plan_oracle [N] [first seed]
#include "../tests/support/plan_oracle.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

int main(int argc, char** argv) {
    using namespace llamaplan;
    const std::uint64_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000;
    const std::uint64_t first = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1;
    std::vector<double> ratios;
    std::uint64_t triples = 0, both = 0, refused_wrongly = 0, fit_wrongly = 0, ctx_short = 0, below_98 = 0, oracle_priced = 0;
    double plan_us = 0, oracle_ms = 0;
    auto s = std::make_unique<model_summary>();
    for (std::uint64_t seed = first; seed < first + n; ++seed) {
        test_support::rng r(seed);
        plan_oracle::small_model sm(r);
        if (!sm.ok) continue;
        const model m = sm.view();
        plan_oracle::scaled_machine hw(r, m);
        goal g;
        g.preset = static_cast<preset_id>(r.below(preset_count));
        if (!summarize(m, hw.m, true, true, *s)) continue;
        const auto t0 = std::chrono::steady_clock::now();
        auto p = plan_model(m, *s, hw.m, g);
        const auto t1 = std::chrono::steady_clock::now();
        if (!p) continue;
        const auto o = plan_oracle::search(m, *s, hw.m, g);
        const auto t2 = std::chrono::steady_clock::now();
        plan_us += std::chrono::duration<double, std::micro>(t1 - t0).count();
        oracle_ms += std::chrono::duration<double, std::milli>(t2 - t1).count();
        oracle_priced += o.priced;
        ++triples;
        if (p->fits && !o.any_feasible()) ++fit_wrongly;
        if (!p->fits && o.any_feasible()) {
            ++refused_wrongly;
            std::fprintf(stderr, "seed %llu: refused, the oracle found a plan\n", static_cast<unsigned long long>(seed));
        }
        if (!p->fits || !o.any_feasible()) continue;
        ++both;
        const double best = o.best_at_least(std::min(p->ctx_per_slot, o.ladder.back().ctx), plan_oracle::result::kv_index(preset_of(g.preset), p->params.type_k));
        const double ratio = best > 0 ? p->score_tps / best : 1.0;
        ratios.push_back(ratio);
        if (ratio < 0.98) {
            ++below_98;
            std::fprintf(stderr, "seed %llu: plan/oracle %.4f (preset %s)\n", static_cast<unsigned long long>(seed), ratio,
                         std::string(to_string(g.preset)).c_str());
        }
        const preset& pr = preset_of(g.preset);
        std::uint32_t reachable = 0;
        const double bar = pr.first == priority::offload ? (1 - pr.speed_tolerance) * o.fastest() / 0.98 : 0;
        for (const auto& a : o.ladder)
            if (a.feasible && a.best_score >= bar) reachable = a.ctx;
        if (p->ctx_per_slot < reachable) {
            ++ctx_short;
            std::fprintf(stderr, "seed %llu: context %u, the oracle reaches %u (preset %s)\n",
                         static_cast<unsigned long long>(seed), p->ctx_per_slot, reachable, std::string(to_string(g.preset)).c_str());
        }
    }
    std::sort(ratios.begin(), ratios.end());
    auto q = [&](double f) { return ratios.empty() ? 0.0 : ratios[static_cast<std::size_t>(f * double(ratios.size() - 1))]; };
    std::printf("oracle_triples %llu count\n", static_cast<unsigned long long>(triples));
    std::printf("oracle_both_feasible %llu count\n", static_cast<unsigned long long>(both));
    std::printf("oracle_refused_but_feasible %llu count\n", static_cast<unsigned long long>(refused_wrongly));
    std::printf("oracle_fits_but_infeasible %llu count\n", static_cast<unsigned long long>(fit_wrongly));
    std::printf("oracle_ratio_min %.4f ratio\n", q(0.0));
    std::printf("oracle_ratio_p01 %.4f ratio\n", q(0.01));
    std::printf("oracle_ratio_p10 %.4f ratio\n", q(0.10));
    std::printf("oracle_ratio_median %.4f ratio\n", q(0.5));
    std::printf("oracle_ratio_max %.4f ratio\n", q(1.0));
    std::printf("oracle_below_98_percent %llu count\n", static_cast<unsigned long long>(below_98));
    std::printf("oracle_context_short %llu count\n", static_cast<unsigned long long>(ctx_short));
    std::printf("oracle_plan_mean %.1f us\n", triples ? plan_us / double(triples) : 0.0);
    std::printf("oracle_search_mean %.1f ms\n", triples ? oracle_ms / double(triples) : 0.0);
    std::printf("oracle_candidates_mean %.0f count\n", triples ? double(oracle_priced) / double(triples) : 0.0);
    return refused_wrongly == 0 && below_98 == 0 ? 0 : 1;
}
