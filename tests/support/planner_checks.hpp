// Generators and checks shared by the planner's property tests: a seedable generator, generated machines (0-16
// GPUs of mixed backends, a host of unknown size up to 2 TiB), and the check that `estimate` on a plan's own argv
// reproduces the plan's bytes.
#ifndef LLAMAPLAN_TESTS_PLANNER_CHECKS_HPP
#define LLAMAPLAN_TESTS_PLANNER_CHECKS_HPP

#include <llamaplan/emit.hpp>
#include <llamaplan/planner.hpp>
#include <llamaplan/server_args.hpp>

#include "rng.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

namespace planner_checks {
using namespace llamaplan;

using test_support::rng;

/// A generated machine: 0-16 GPUs of mixed backends and sizes, a host of 0 (unknown) to 2 TiB.
struct gen_machine {
    std::vector<device> devices;
    machine m;
    explicit gen_machine(rng& r, std::size_t max_devices = 16) {
        const std::size_t n = r.chance(20) ? 0 : 1 + r.below(max_devices);
        constexpr backend kinds[] = {backend::cuda, backend::cuda, backend::rocm, backend::vulkan, backend::sycl};
        for (std::size_t i = 0; i < n; ++i) {
            device d;
            d.name = "gpu";
            d.kind = kinds[r.below(5)];
            d.memory_total = (1ull << 30) * (1 + r.below(96));
            d.memory_free = r.chance(10) ? 0 : d.memory_total / 100 * (50 + r.below(51));
            d.bandwidth = r.chance(20) ? 0 : 100'000'000'000ull * (1 + r.below(40));
            devices.push_back(d);
        }
        m.host.cpus_physical = static_cast<std::uint32_t>(r.below(129));
        m.host.cpus_logical = m.host.cpus_physical * 2;
        m.host.numa_nodes = 1 + static_cast<std::uint32_t>(r.below(2));
        m.host.memory_total = r.chance(5) ? 0 : (1ull << 30) * (1 + r.below(2048));
        m.host.memory_available = m.host.memory_total / 100 * (40 + r.below(61));
        m.host.bandwidth = 10'000'000'000ull * (1 + r.below(40));
        m.host.cpu_repack = r.chance(70);
        m.devices = devices;
    }
    /// The same machine with every free size multiplied by num / den.
    [[nodiscard]] gen_machine scaled(std::uint64_t num, std::uint64_t den) const {
        gen_machine out = *this;
        for (auto& d : out.devices) d.memory_free = d.memory_free / den * num;
        out.m.host.memory_available = out.m.host.memory_available / den * num;
        out.m.devices = out.devices;
        return out;
    }
    gen_machine(const gen_machine& o) : devices(o.devices), m(o.m) { m.devices = devices; }
};

inline std::vector<std::string> argv_of(const plan& p, const model& m, const model_summary& s, const machine& hw) {
    std::vector<std::string> out;
    (void)emit_argv(p, m, s, hw, "model.gguf", [&](std::string_view a) { out.emplace_back(a); });
    return out;
}

inline std::unique_ptr<model_summary> summary_of(const model& m, const machine& hw, bool mmap = true, bool repack = true) {
    auto s = std::make_unique<model_summary>();
    REQUIRE(summarize(m, hw, mmap, repack, *s).has_value());
    return s;
}

/// Parses an emitted argv back and estimates it: the per-device rows must equal the plan's. A plan with a draft
/// (`-md`) is estimated with `draft`, the model its goal named.
inline void check_reproduces(const plan& p, const model& m, const model_summary& s, const machine& hw,
                             const model* draft = nullptr) {
    const auto args = argv_of(p, m, s, hw);
    std::vector<std::string_view> views(args.begin(), args.end());
    auto parsed = parse_server_args(views);
    REQUIRE_MESSAGE(parsed.has_value(), parsed.error().what);
    CHECK(parsed->params.n_ctx == p.params.n_ctx);
    overhead_params extra{};
    extra.prompt_cache = parsed->cache_ram == ~0ull ? 0 : parsed->cache_ram;
    CHECK(parsed->draft_model.empty() == (draft == nullptr));
    auto e = parsed->draft_model.empty() || draft == nullptr
                 ? estimate_memory(m, hw, parsed->params, extra)
                 : estimate_memory(m, hw, parsed->params, *draft, parsed->draft, extra);
    REQUIRE(e.has_value());
    REQUIRE(e->devices.size() == p.memory.devices.size());
    for (std::size_t i = 0; i < e->devices.size(); ++i) {
        CHECK(e->devices[i].model == p.memory.devices[i].model);
        CHECK(e->devices[i].context == p.memory.devices[i].context);
        CHECK(e->devices[i].compute == p.memory.devices[i].compute);
        CHECK(e->devices[i].overhead == p.memory.devices[i].overhead);
        CHECK(e->devices[i].draft == p.memory.devices[i].draft);
    }
}

}  // namespace planner_checks

#endif  // LLAMAPLAN_TESTS_PLANNER_CHECKS_HPP
