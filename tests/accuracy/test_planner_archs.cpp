// The planner on every architecture the memory model knows (dense, MoE, sliding-window, MLA, Mamba-2, hybrid,
// Gemma-3n, tied heads), each synthesized by the GGUF writer with 1 to 160 blocks and read back through the adapter:
// on generated machines every plan keeps its budgets, and `estimate` on the plan's argv reproduces its bytes.
#include "../support/planner_checks.hpp"
#include "extra_models.hpp"

#include <llamaplan/gguf/file.hpp>

#include <doctest/doctest.h>

#include <filesystem>

TEST_CASE("planner: every architecture, 1 to 160 blocks, generated machines: within budget and reproduced") {
    using namespace llamaplan;
    const auto dir = std::filesystem::temp_directory_path() / "llamaplan-planner-archs";
    std::filesystem::create_directories(dir);
    std::size_t plans = 0, fitted = 0;
    std::uint64_t seed = 1;
    for (auto def : extra::models()) {
        if (!def.quantized_from.empty()) continue;
        for (std::uint32_t n_layer : {1u, 7u, 48u, 160u}) {
            auto spec = def.spec;
            // hybrids and per-layer shapes: repeat the per-layer pattern
            auto repeat = [&](std::vector<std::uint32_t>& v) {
                if (v.empty()) return;
                const auto base = v;
                v.clear();
                for (std::uint32_t il = 0; il < n_layer; ++il) v.push_back(base[il % base.size()]);
            };
            repeat(spec.head_kv_per_layer);
            repeat(spec.head_per_layer);
            repeat(spec.ff_per_layer);
            if (!spec.swa_pattern.empty()) {
                const auto base = spec.swa_pattern;
                spec.swa_pattern.clear();
                for (std::uint32_t il = 0; il < n_layer; ++il) spec.swa_pattern.push_back(base[il % base.size()]);
            }
            if (spec.n_layer_dense_lead >= n_layer) spec.n_layer_dense_lead = 0;
            spec.n_layer = n_layer;
            const auto path = (dir / (def.id + "-" + std::to_string(n_layer) + ".gguf")).string();
            REQUIRE(gguf::synthesize(spec).write(path, gguf::data_fill::header_only));
            auto file = gguf::open(path);
            REQUIRE_MESSAGE(file.has_value(), def.id, ": ", file.error().what);
            const model m = file->view();
            for (int k = 0; k < 6; ++k, ++seed) {
                planner_checks::rng r(seed);
                planner_checks::gen_machine hw(r, 6);
                auto s = planner_checks::summary_of(m, hw.m);
                goal g;
                g.preset = static_cast<preset_id>(r.below(preset_count));
                auto p = plan_model(m, *s, hw.m, g);
                REQUIRE_MESSAGE(p.has_value(), def.id, " seed ", seed, ": ", p.error().what);
                ++plans;
                if (p->fits) {
                    ++fitted;
                    for (const auto& b : p->budgets) CHECK_MESSAGE(b.fits(), def.id, " seed ", seed);
                }
                planner_checks::check_reproduces(*p, m, *s, hw.m);
            }
        }
    }
    std::filesystem::remove_all(dir);
    MESSAGE("architecture plans: ", plans, ", fitting: ", fitted);
    CHECK(plans >= 200);
    CHECK(fitted * 2 > plans);
}
