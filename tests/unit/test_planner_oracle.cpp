// The planner against an exhaustive search (tests/support/plan_oracle.hpp) on generated (model, machine, goal)
// triples: dense and MoE models, 0 to 4 GPUs of mixed sizes, hosts from tight to roomy. On every triple the plan must
// (1) fit whenever the oracle found any candidate that fits, (2) reach at least 97 % of the oracle's best objective
// among candidates with at least the plan's context, and (3) for speed-first presets, reach the longest ladder context
// whose best candidate is within the preset's tolerance of the oracle's fastest (less the same 2 %). bench/plan_oracle
// runs 1,000 such triples and reports the distribution; this test runs a fixed subset.
#include "../support/llama_shape.hpp"
#include "../support/plan_oracle.hpp"
#include "../support/planner_checks.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>

using namespace llamaplan;

TEST_CASE("planner vs an exhaustive search: never refuses what fits, reaches 97 % of the best objective") {
    std::size_t triples = 0, feasible = 0, moe_spills = 0;
    double worst = 1.0;
    for (std::uint64_t seed = 1; seed <= 16; ++seed) {
        test_support::rng r(seed);
        plan_oracle::small_model sm(r);
        const model m = sm.view();
        plan_oracle::scaled_machine hw(r, m);
        goal g;
        constexpr preset_id presets[] = {preset_id::balanced, preset_id::high_speed, preset_id::more_context,
                                         preset_id::system_safe, preset_id::moe_optimized, preset_id::long_context};
        g.preset = presets[r.below(6)];
        auto s = planner_checks::summary_of(m, hw.m);
        auto p = plan_model(m, *s, hw.m, g);
        REQUIRE_MESSAGE(p.has_value(), "seed ", seed, ": ", p.error().what);
        const auto oracle = plan_oracle::search(m, *s, hw.m, g);
        ++triples;
        INFO("seed ", seed, " preset ", to_string(g.preset), " GPUs ", hw.devices.size(), " layers ", m.hp.n_layer);
        // (1) never refuse where the oracle found a plan
        if (oracle.any_feasible()) CHECK(p->fits);  // (the plan may find what the coarse grid does not)
        if (!p->fits || !oracle.any_feasible()) continue;
        ++feasible;
        moe_spills += p->place.overrides;
        // (2) at least 97 % of the best the oracle found with at least the plan's context
        const auto per_slot = p->ctx_per_slot;
        const double best = oracle.best_at_least(std::min(per_slot, oracle.ladder.back().ctx), plan_oracle::result::kv_index(preset_of(g.preset), p->params.type_k));
        // the target is 98 % on every triple; bench/plan_oracle finds 4 of 400 below it (bench/README.md), and
        // on these 16 the worst measured is 0.975 (clang + libc++; 1.0 with g++): this guards the level reached
        CHECK(p->score_tps >= 0.97 * best);
        if (best > 0) worst = std::min(worst, p->score_tps / best);
        // (3) speed-first presets: the longest context the oracle can reach within the tolerance
        const preset& pr = preset_of(g.preset);
        if (pr.first == priority::offload) {
            const double bar = (1 - pr.speed_tolerance) * oracle.fastest() / 0.98;
            std::uint32_t reachable = 0;
            for (const auto& a : oracle.ladder)
                if (a.feasible && a.best_score >= bar) reachable = a.ctx;
            CHECK(per_slot >= reachable);
        } else {
            std::uint32_t longest = 0;
            for (const auto& a : oracle.ladder)
                if (a.feasible) longest = a.ctx;
            CHECK(per_slot >= longest);
        }
    }
    MESSAGE(triples, " triples, ", feasible, " feasible, ", moe_spills, " with experts split off; worst plan/oracle ", worst);
    CHECK(feasible >= 8);
}
