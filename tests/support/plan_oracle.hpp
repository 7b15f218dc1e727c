// An exhaustive search that proves the planner's (test and benchmark support, not library code): every candidate of a
// coarse but complete grid — context ladder x KV cache types x physical batches x placement families (-ngl 0..all,
// --n-cpu-moe 0..all for MoE models, layers split by free memory over every prefix of the GPUs) — priced with the
// planner's own memory budgets (detail::planning::search::price) and scored with its own objective. What it does not
// enumerate: partial expert blocks (one -ot rule), other load modes, slot counts other than the preset's.
#ifndef LLAMAPLAN_TESTS_PLAN_ORACLE_HPP
#define LLAMAPLAN_TESTS_PLAN_ORACLE_HPP

#include <llamaplan/planner.hpp>

#include "llama_shape.hpp"
#include "rng.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace plan_oracle {
using namespace llamaplan;
using test_support::rng;

/// A generated model with few blocks (2-8, so that the oracle's grid stays exhaustive) of realistic widths (n_embd
/// 2048-8192: 30 MB to 1.6 GB per block, so that bytes, not per-kernel overheads, dominate as in real models), dense
/// or MoE.
struct small_model {
    test_support::llama_shape shape;
    hparams hp;
    bool ok = true;  ///< the shape was built
    explicit small_model(rng& r) {
        const bool moe = r.chance(50);
        hp.architecture = moe ? "qwen3moe" : "llama";
        hp.n_layer = 2 + static_cast<std::uint32_t>(r.below(7));
        hp.n_embd = 2048u << r.below(3);
        hp.n_head = hp.n_embd / 64;
        hp.n_head_kv = std::max(1u, hp.n_head >> r.below(3));
        hp.n_embd_head_k = hp.n_embd_head_v = 64;
        hp.n_ff = hp.n_embd * 3;
        hp.n_vocab = 32000 + static_cast<std::uint32_t>(r.below(120000));
        hp.n_ctx_train = 8192u << r.below(3);
        if (moe) {
            hp.n_expert = 8u << r.below(3);
            hp.n_expert_used = 2;
            hp.n_ff_exp = hp.n_embd / 2;
        }
        shape.build(hp, r.chance(50) ? ggml_type::q4_0 : ggml_type::q8_0, 64, r.chance(30));
        ok = shape.ok;
    }
    [[nodiscard]] model view() const { return model{hp, shape.tensors}; }
};

/// A machine whose memory is scaled to the model: each GPU holds 20-120 % of its share of the model, the host 30-230 %.
struct scaled_machine {
    std::vector<device> devices;
    machine m;
    scaled_machine(rng& r, const model& mod) {
        const std::uint64_t bytes = mod.total_bytes();
        // none (a CPU box), one Apple-style unified-memory GPU, or 1-8 discrete GPUs of mixed sizes and backends
        const bool unified = r.chance(10);
        const std::size_t n = unified ? 1 : r.chance(15) ? 0 : 1 + r.below(8);
        for (std::size_t i = 0; i < n; ++i) {
            device d;
            d.name = "gpu";
            d.kind = unified ? backend::metal : r.chance(70) ? backend::cuda : r.chance(50) ? backend::rocm : backend::vulkan;
            d.unified_memory = unified;
            d.memory_total = d.memory_free = (bytes / n) / 100 * (20 + r.below(100)) + (1200ull << 20);
            d.bandwidth = 200'000'000'000ull * (1 + r.below(5));
            d.flops = 20'000'000'000'000ull * (1 + r.below(5));
            devices.push_back(d);
        }
        m.host.cpus_physical = 4 + static_cast<std::uint32_t>(r.below(12));
        m.host.cpus_logical = 2 * m.host.cpus_physical;
        m.host.memory_total = m.host.memory_available = bytes / 100 * (30 + r.below(200)) + (2200ull << 20);
        m.host.bandwidth = 40'000'000'000ull * (1 + r.below(3));
        m.devices = devices;
    }
};


/// The best candidate found at one context (tokens per slot).
struct at_context {
    std::uint32_t ctx = 0;   ///< ladder value
    bool feasible = false;   ///< some candidate fits every budget
    double best_score = 0;   ///< the best objective among those that fit (tokens/s)
    launch_params best{};    ///< its settings (for diagnostics)
    std::array<double, 3> best_by_kv{};  ///< the best objective per KV type of the preset (its kv_types order)
};

/// What the exhaustive search found.
struct result {
    std::vector<at_context> ladder;  ///< per context, smallest first
    std::uint64_t priced = 0;        ///< candidates priced
    [[nodiscard]] bool any_feasible() const {
        return std::any_of(ladder.begin(), ladder.end(), [](const at_context& a) { return a.feasible; });
    }
    /// The best objective among feasible candidates whose context is at least `ctx` and whose KV type is the preset's
    /// `kv_index`-th or a preferred one (0 if none): the planner takes a less precise cache only when it buys context
    /// or offload, so a plan is compared with candidates at least as precise.
    [[nodiscard]] double best_at_least(std::uint32_t ctx, std::size_t kv_index = 2) const {
        double b = 0;
        for (const auto& a : ladder)
            if (a.feasible && a.ctx >= ctx)
                for (std::size_t k = 0; k <= kv_index && k < a.best_by_kv.size(); ++k) b = std::max(b, a.best_by_kv[k]);
        return b;
    }
    /// The fastest feasible candidate at any context.
    [[nodiscard]] double fastest() const { return best_at_least(0); }
    /// The index of a KV type in the preset's list (the first match; the list's size if absent).
    [[nodiscard]] static std::size_t kv_index(const preset& pr, ggml_type t) {
        for (std::size_t k = 0; k < pr.n_kv_types; ++k)
            if (pr.kv_types[k] == t) return k;
        return pr.n_kv_types;
    }
};

/// Runs the exhaustive search for an unpinned goal (only the preset's row decides; placement flags must not be pinned).
/// `max_ngl_step` coarsens -ngl and --n-cpu-moe for deep models (1 = every value).
inline result search(const model& m, const model_summary& s, const machine& hw, const goal& g, std::uint32_t step = 1) {
    using namespace detail::planning;
    const preset& pr = preset_of(g.preset);
    llamaplan::detail::planning::search st{m, s, hw, g, pr};
    result out;
    const std::uint32_t train = m.hp.n_ctx_train != 0 ? m.hp.n_ctx_train : 4096;
    const std::uint32_t target = std::min(pr.ctx_target == 0 ? train : pr.ctx_target, train);
    std::vector<std::uint32_t> ctxs;
    for (std::uint32_t c = 512; c < target; c *= 2) ctxs.push_back(c);
    ctxs.push_back(target);
    const std::uint32_t n_all = s.n_layer_all;
    const std::size_t n_dev = hw.devices.size();
    for (const std::uint32_t c : ctxs) {
        at_context row{c, false, 0};
        for (std::size_t k = 0; k < pr.n_kv_types; ++k) {
            for (std::size_t u = 0; u < pr.n_ubatch; ++u) {
                launch_params p{};
                p.use_mmap = s.use_mmap;
                p.cpu_repack = s.repack;
                p.n_seq_max = pr.n_parallel;
                p.kv_unified = pr.n_parallel > 1;
                p.flash_attn = flash_attn_mode::on;
                p.type_k = p.type_v = pr.kv_types[k];
                p.n_ubatch = pr.ubatch[u];
                p.n_batch = std::max<std::uint32_t>(2048, p.n_ubatch);
                p.n_ctx = p.kv_unified ? c : c * pr.n_parallel;
                auto ctx = resolve_context(m.hp, p);
                if (!ctx) continue;
                const compute_breakdown graph = compute_buffer_cpu_breakdown(m, compute_shape_of(*ctx, p));
                auto try_one = [&](const launch_params& q) {
                    auto pl = resolve_placement(m, hw, q);
                    if (!pl) return;
                    evaluation ev;
                    ev.place = *pl;
                    st.price(ev, q, graph);
                    ++out.priced;
                    if (!ev.valid || !ev.fits) return;
                    row.feasible = true;
                    const double sc = objective(st, ev);
                    if (sc > row.best_score) { row.best_score = sc; row.best = q; }
                    row.best_by_kv[k] = std::max(row.best_by_kv[k], sc);
                };
                if (n_dev == 0) { try_one(p); continue; }
                const std::uint32_t n_moe = s.has_experts && g.tensor_overrides ? n_all : 0;
                for (std::uint32_t ngl = 0; ngl <= n_all + 1; ngl = ngl == n_all + 1 ? ngl + 1 : std::min(ngl + step, n_all + 1)) {
                    for (std::uint32_t n_cpu = 0; n_cpu <= n_moe; n_cpu = n_cpu == n_moe ? n_cpu + 1 : std::min(n_cpu + step, n_moe)) {
                        for (std::size_t used = 1; used <= n_dev; ++used) {
                            launch_params q = p;
                            q.n_gpu_layers = static_cast<std::int32_t>(ngl);
                            q.n_cpu_moe = n_cpu;
                            q.tensor_split = {};
                            for (std::size_t d = 0; d < used; ++d)
                                q.tensor_split[d] = float(hw.devices[d].memory_free >> 20) + 1.0f;
                            try_one(q);
                            if (ngl == 0) break;  // no layer on a GPU: the split does not matter
                        }
                        if (ngl == 0) break;
                    }
                }
            }
        }
        out.ladder.push_back(row);
    }
    return out;
}

}  // namespace plan_oracle

#endif  // LLAMAPLAN_TESTS_PLAN_ORACLE_HPP
