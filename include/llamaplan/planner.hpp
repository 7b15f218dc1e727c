// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_PLANNER_HPP
#define LLAMAPLAN_PLANNER_HPP

// plan(): every llama.cpp setting chosen jointly for a goal, never over any device's budget.
//
// The search (DESIGN.md §7). For each discrete choice (KV cache type, physical batch) and each context on a ladder,
// tensors are placed greedily by value density — bytes read per decoded token per byte stored: attention, norms,
// dense FFN and shared experts (read in full every token) fill the fastest memory first, block by block from the
// output layer backwards as `-ngl` counts them, and routed experts (read n_expert_used / n_expert of the time) take
// the memory that remains, block by block and part by part (up, gate, down: partial blocks). Every candidate is
// priced with the memory model's own arithmetic (estimate_placed), so a plan's bytes are what `estimate` reports for
// its argv. Between candidates the goal decides lexicographically (presets.hpp): offload-first presets maximize the
// bytes read per token from GPU memory and then the context; context-first presets the reverse. Both orders are
// monotone in free memory, which the property tests check.

#include <llamaplan/config.hpp>
#include <llamaplan/machine.hpp>
#include <llamaplan/memory.hpp>
#include <llamaplan/model.hpp>
#include <llamaplan/params.hpp>
#include <llamaplan/perf.hpp>
#include <llamaplan/placement.hpp>
#include <llamaplan/presets.hpp>
#include <llamaplan/result.hpp>
#include <llamaplan/server_args.hpp>
#include <llamaplan/summary.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG {

/// "Not given": a margin or size the preset decides.
inline constexpr std::uint64_t unset_bytes = ~0ull;

/// What the user asks for: a preset, the settings pinned on the command line, and margins.
struct goal {
    preset_id preset = preset_id::balanced;  ///< the planning goal
    launch_params params{};                  ///< values of the pinned settings (the others are ignored)
    setting_set pinned{};                    ///< which settings are pinned
    std::uint32_t threads = 0;               ///< pinned `-t` (0 = llama.cpp's default)
    std::uint32_t threads_batch = 0;         ///< pinned `-tb`
    std::uint64_t cache_ram = 8192ull << 20; ///< pinned `-cram` (bytes; unset_bytes = unlimited)
    std::uint64_t gpu_margin = unset_bytes;  ///< free memory kept on each GPU (bytes; unset = the preset's)
    std::uint64_t host_margin = unset_bytes; ///< free RAM kept on the host (bytes; unset = the preset's)
    std::uint64_t gpu_context = 400ull << 20;///< driver context per CUDA/ROCm GPU, outside llama.cpp's buffers (bytes)
    bool tensor_overrides = true;            ///< the launcher can express `-ot` (llama-cpp-python cannot): else routed
                                             ///< experts stay with their blocks
    const model* draft_model = nullptr;      ///< the draft model pinned with `-md` (nullptr: none); the host loads it
    std::string_view draft_path{};           ///< its path as `-md` gave it (emitted back)
    draft_params draft{};                    ///< the draft's own flags (-ngld -devd -ctkd -ctvd -otd -cmoed -ncmoed)
    const mmproj_model* mmproj = nullptr;    ///< the multimodal projector pinned with `--mmproj` (nullptr: none); the
                                             ///< host opens it
    std::string_view mmproj_path{};          ///< its path as `--mmproj` gave it (emitted back; empty for `-mmu` URLs)
    mmproj_params mmproj_load{};             ///< how llama-server loads it (`--no-mmproj-offload`, `-mmdev`)
};

/// A goal from a parsed llama-server command line: every flag it gave is pinned.
[[nodiscard]] constexpr goal goal_from_args(const server_args& a, preset_id preset = preset_id::balanced) noexcept {
    goal g;
    g.preset = preset;
    g.params = a.params;
    g.pinned = a.pinned;
    g.threads = a.threads;
    g.threads_batch = a.threads_batch;
    g.cache_ram = a.cache_ram;
    g.draft_path = a.draft_model;  // the host loads the draft and sets draft_model
    g.draft = a.draft;
    g.mmproj_path = a.mmproj_url ? std::string_view{} : a.mmproj;  // the host opens the file and sets mmproj
    g.mmproj_load = a.mmproj_load;
    return g;
}

/// How a setting got its value.
enum class origin : std::uint8_t {
    pinned,     ///< the user gave it
    chosen,     ///< the planner chose it
    defaulted,  ///< llama.cpp's default, stated explicitly
};

/// The name of an origin ("pinned").
[[nodiscard]] constexpr std::string_view to_string(origin o) noexcept {
    return o == origin::pinned ? "pinned" : o == origin::chosen ? "chosen" : "defaulted";
}

/// Why a setting has its value.
struct reason {
    setting what = setting::n_ctx;  ///< the setting
    origin how = origin::chosen;    ///< pinned, chosen or defaulted
    std::string_view why{};         ///< the binding constraint or trade, in words
};

/// One device's budget in a plan (index 0 is the host).
struct device_budget {
    std::int32_t device = host_device;  ///< GPU index, or host_device
    std::uint64_t free = 0;             ///< free memory when planned (bytes; 0 for a host of unknown size)
    std::uint64_t planned = 0;          ///< what the plan puts there, overheads included (bytes)
    std::uint64_t margin = 0;           ///< kept free (bytes)
    /// True if planned + margin fits in free (a host of unknown size always fits).
    [[nodiscard]] constexpr bool fits() const noexcept {
        return (device == host_device && free == 0) || (planned <= free && margin <= free - planned);
    }
    /// Bytes by which it misses (0 if it fits).
    [[nodiscard]] constexpr std::uint64_t shortfall() const noexcept {
        return fits() ? 0 : planned + margin - free;
    }
};

/// Predicted speed of a plan (tokens/s).
struct speed_estimate {
    double decode_tps = 0;   ///< generation at an empty context (tokens/s)
    double prefill_tps = 0;  ///< prompt processing of 512 tokens (tokens/s)
    perf_bound decode_bound = perf_bound::memory_bandwidth;  ///< what limits generation
    perf_bound prefill_bound = perf_bound::compute;          ///< what limits prompt processing
    std::uint64_t read_bytes = 0;      ///< weight bytes read per decoded token (bytes)
    std::uint64_t gpu_read_bytes = 0;  ///< of which from GPU memory (bytes)
};

/// A launch plan: every setting, the placement, the memory model's bytes per device, the predicted speed and the
/// reasons. When `fits` is false nothing fitted: the plan is the smallest configuration tried and `short_device` /
/// `short_bytes` say where and by how much it missed.
struct plan {
    preset_id preset = preset_id::balanced;  ///< the goal planned for
    launch_params params{};                  ///< the settings (llama.cpp's memory-relevant ones)
    std::uint32_t threads = 0;               ///< `-t` (0 = not set)
    std::uint32_t threads_batch = 0;         ///< `-tb` (0 = not set)
    std::uint64_t cache_ram = 0;             ///< `-cram` (bytes; unset_bytes = unlimited)
    bool numa = false;                       ///< `--numa distribute`
    std::uint32_t ctx_per_slot = 0;          ///< context each slot can hold (tokens)
    placement place{};                       ///< where every block and part runs
    bool user_placement = false;             ///< `place` is the user's own placement flags (one was pinned): they
                                             ///< are kept whole, and emit_argv repeats them as given
    memory_estimate memory{};                ///< what llama.cpp will allocate (the draft's buffers in memory.draft)
    std::string_view draft_path{};           ///< the pinned `-md` draft (empty: none), kept in the plan's argv
    draft_params draft{};                    ///< its flags, kept as given
    std::string_view mmproj_path{};          ///< the pinned `--mmproj` (empty: none), kept in the plan's argv; its
                                             ///< bytes are in memory.mmproj
    mmproj_params mmproj_load{};             ///< how it is loaded, kept as given
    detail::fixed_vector<device_budget, LLAMAPLAN_MAX_DEVICES + 1> budgets{};  ///< host first, then each GPU
    speed_estimate speed{};                  ///< predicted throughput
    detail::fixed_vector<reason, setting_count + 4> reasons{};  ///< why each setting has its value
    bool fits = false;                       ///< every budget holds
    std::int32_t short_device = host_device; ///< when !fits: the device that missed
    std::uint64_t short_bytes = 0;           ///< when !fits: by how much (bytes)
    std::uint32_t candidates = 0;            ///< candidate placements priced
    double score_tps = 0;                    ///< the goal's objective: predicted tokens/s over one request of the preset
                                             ///< (prompt processing, then generation at its depth)
    double context_cost = 0;                 ///< share of that speed the chosen context costs against the smallest
                                             ///< context that fits (fraction; at most the preset's tolerance)

    /// The reason for a setting, or nullptr.
    [[nodiscard]] constexpr const reason* reason_for(setting s) const noexcept {
        for (const auto& r : reasons)
            if (r.what == s) return &r;
        return nullptr;
    }
};

namespace detail::planning {

/// Bandwidth assumed when a device does not report one (bytes/s): a dual-channel DDR4 host, a mid-range GPU.
inline constexpr double default_host_bandwidth = 50e9;
inline constexpr double default_gpu_bandwidth = 400e9;
inline constexpr double default_host_flops = 1e12;
inline constexpr double default_gpu_flops = 50e12;

/// Bytes read per token, and from GPU memory (the search's speed term: the throughput model's decode time is a sum of
/// these bytes over each memory's bandwidth, so more bytes on the GPUs is faster), with a first bandwidth/FLOPs
/// figure that finish() replaces by the throughput model's prediction (perf.hpp).
[[nodiscard]] constexpr speed_estimate predict_speed(const model_summary& s, const placement& pl, const machine& hw) noexcept {
    speed_estimate out;
    double t_decode = 0, t_prefill = 0;
    for (std::size_t g = 0; g < s.n_groups; ++g) {
        const auto& c = s.groups[g];
        const std::int32_t d = pl.group_device(g);
        const bool gpu = d != host_device;
        double bw = gpu ? double(hw.devices[static_cast<std::size_t>(d)].bandwidth) : double(hw.host.bandwidth);
        if (bw <= 0) bw = gpu ? default_gpu_bandwidth : default_host_bandwidth;
        double fl = gpu ? double(hw.devices[static_cast<std::size_t>(d)].flops) : double(hw.host.flops);
        if (fl <= 0) fl = gpu ? default_gpu_flops : default_host_flops;
        t_decode += double(c.read_per_token) / bw;
        t_prefill += 2.0 * double(c.active_params) / fl;
        out.read_bytes += c.read_per_token;
        if (gpu) out.gpu_read_bytes += c.read_per_token;
    }
    out.decode_tps = t_decode > 0 ? 1.0 / t_decode : 0;
    out.prefill_tps = t_prefill > 0 ? 1.0 / t_prefill : 0;
    return out;
}

/// Memoized compute graphs: the CPU figure depends on the shape only, never on the placement.
struct graph_memo {
    struct entry {
        compute_shape shape{};
        compute_breakdown graph{};
    };
    std::array<entry, 24> entries{};
    std::size_t n = 0, next = 0;

    [[nodiscard]] static constexpr bool same(const compute_shape& a, const compute_shape& b) noexcept {
        return a.n_tokens == b.n_tokens && a.n_outputs == b.n_outputs && a.n_seqs == b.n_seqs &&
               a.n_stream == b.n_stream && a.n_kv == b.n_kv && a.n_kv_swa == b.n_kv_swa &&
               a.flash_attn == b.flash_attn && a.type_k == b.type_k && a.type_v == b.type_v;
    }
    [[nodiscard]] constexpr const compute_breakdown& get(const model& m, const compute_shape& s) noexcept {
        for (std::size_t i = 0; i < n; ++i)
            if (same(entries[i].shape, s)) return entries[i].graph;
        const std::size_t i = n < entries.size() ? n++ : (next++ % entries.size());
        entries[i] = {s, compute_buffer_cpu_breakdown(m, s)};
        return entries[i].graph;
    }
};

/// One priced candidate.
struct evaluation {
    bool valid = false;         ///< llama.cpp accepts the settings
    bool fits = false;          ///< every budget holds
    launch_params params{};     ///< the settings priced
    placement place{};
    memory_estimate memory{};
    detail::fixed_vector<device_budget, LLAMAPLAN_MAX_DEVICES + 1> budgets{};
    std::uint64_t gpu_read = 0;      ///< weight bytes read per token from GPU memory
    std::uint64_t cache_ram = 0;     ///< the prompt cache granted (bytes)
    std::int32_t short_device = host_device;
    std::uint64_t short_bytes = 0;
    error err{};
};

/// Where routed experts go when the GPUs cannot hold every weight (the families of placements the search compares by
/// the objective).
enum class expert_layout : std::uint8_t {
    spill_fewest,  ///< the experts of the first blocks on the host, as few as possible (`--n-cpu-moe N` + one partial block)
    all_on_host,   ///< every routed expert on the host (`--cpu-moe`), the most blocks on the GPUs
    with_blocks,   ///< experts stay with their blocks (`-ngl` alone), the most whole blocks on the GPUs
};

/// The GPUs from the fastest: this host's before those behind rpc-servers (every split on a worker waits for the
/// network), then memory bandwidth, then free memory, then index. Fewer GPUs means the first of these.
[[nodiscard]] constexpr std::array<std::size_t, LLAMAPLAN_MAX_DEVICES> device_rank(const machine& hw) noexcept {
    std::array<std::size_t, LLAMAPLAN_MAX_DEVICES> order{};
    const std::size_t n = std::min<std::size_t>(hw.devices.size(), LLAMAPLAN_MAX_DEVICES);
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    for (std::size_t i = 1; i < n; ++i)  // insertion sort: stable, at most 16 devices
        for (std::size_t j = i; j > 0; --j) {
            const auto& a = hw.devices[order[j]];
            const auto& b = hw.devices[order[j - 1]];
            const bool before = a.remote() != b.remote()
                                    ? !a.remote()
                                    : a.bandwidth > b.bandwidth || (a.bandwidth == b.bandwidth && a.memory_free > b.memory_free);
            if (!before) break;
            std::swap(order[j], order[j - 1]);
        }
    return order;
}

/// Everything the search shares.
struct search {
    const model& m;
    const model_summary& s;
    const machine& hw;
    const goal& g;
    const preset& pr;
    const model_summary* draft_summary = nullptr;  ///< the draft's summary on draft_machine(hw, g.draft)->view()
    std::array<mmproj_estimate, 2> mmproj{};  ///< the pinned projector with flash attention off [0] and on [1]
    graph_memo memo{};
    std::uint32_t priced = 0;
    bool placement_pinned = false;
    placement user_placement{};  ///< the user's -ngl / -ts / -ot resolved once, when placement is pinned
    expert_layout layout = expert_layout::spill_fewest;  ///< how place() spills routed experts
    std::array<device, LLAMAPLAN_MAX_DEVICES> priced_devices{};  ///< hw's GPUs with_table_figures (perf.hpp)
    std::array<device_class, LLAMAPLAN_MAX_DEVICES> classes{};   ///< device_class_of each GPU
    machine perf_hw{};  ///< hw with priced_devices: the throughput model's machine, looked up in the table once

    constexpr search(const model& m_, const model_summary& s_, const machine& hw_, const goal& g_, const preset& pr_) noexcept
        : m(m_), s(s_), hw(hw_), g(g_), pr(pr_) {
        price_machine();
    }
    search(const search&) = delete;  // perf_hw points into this object
    search& operator=(const search&) = delete;

    /// Resolves the machine's figures for the throughput model, once.
    constexpr void price_machine() noexcept {
        const std::size_t n = std::min<std::size_t>(hw.devices.size(), LLAMAPLAN_MAX_DEVICES);
        for (std::size_t d = 0; d < n; ++d) {
            priced_devices[d] = with_table_figures(hw.devices[d]);
            classes[d] = device_class_of(hw.devices[d]);
        }
        perf_hw = machine{hw.host, std::span<const device>(priced_devices.data(), n)};
    }

    [[nodiscard]] constexpr std::uint64_t gpu_margin(std::size_t d) const noexcept {
        const std::uint64_t base = g.gpu_margin != unset_bytes ? g.gpu_margin : pr.gpu_margin;
        return base / 100 * rule_of(hw.devices[d].kind).margin_percent;
    }
    [[nodiscard]] constexpr std::uint64_t host_margin() const noexcept {
        if (g.host_margin != unset_bytes) return g.host_margin;
        return std::max(pr.host_margin, hw.host.memory_total / 100 * pr.host_margin_percent);
    }
    [[nodiscard]] constexpr std::uint64_t driver_overhead(std::size_t d) const noexcept {
        const auto k = hw.devices[d].kind;
        return k == backend::cuda || k == backend::rocm ? g.gpu_context : 0;
    }

    /// KV-cache + recurrent-state bytes of block il on a buffer of the given alignment (as add_kv_buffers sums them).
    [[nodiscard]] constexpr std::uint64_t state_bytes(const memory_estimate& e, const launch_params& p, std::uint32_t il,
                                                      std::uint64_t align, std::uint32_t v_max) const noexcept {
        const hparams& hp = m.hp;
        if (il >= hp.n_layer) return 0;
        std::uint64_t bytes = 0;
        if (hp.is_recurrent(il)) {
            const std::uint64_t rows = std::max<std::uint32_t>(1, p.n_seq_max);
            bytes += detail::pad_to(4 * hp.n_embd_r() * rows, align) + detail::pad_to(4 * hp.n_embd_s() * rows, align);
        }
        if (!hp.has_kv(il)) return bytes;  // recurrent layers have none, except Falcon-H1's (attention + mixer)
        const std::uint64_t cells = std::uint64_t(hp.is_swa(il) ? e.kv_cells_swa : e.kv_cells) * e.n_stream;
        bytes += detail::pad_to(row_size(p.type_k, hp.n_embd_k_gqa(il)) * cells, align);
        if (!hp.is_mla()) bytes += detail::pad_to(row_size(p.type_v, e.flash_attn ? hp.n_embd_v_gqa(il) : v_max) * cells, align);
        return bytes;
    }

    /// Prices a placement exactly and checks every budget.
    constexpr void price(evaluation& ev, const launch_params& p, const compute_breakdown& graph) noexcept {
        ++priced;
        ev.params = p;
        overhead_params extra{};
        extra.gpu_context = g.gpu_context;
        const bool cache_pinned = g.pinned.has(setting::cache_ram);
        extra.prompt_cache = cache_pinned && g.cache_ram != unset_bytes ? g.cache_ram : 0;
        auto e = estimate_placed(m, s, ev.place, hw, p, extra, &graph);
        if (!e) { ev.valid = false; ev.err = e.error(); return; }
        if (g.draft_model != nullptr && draft_summary != nullptr) {
            // the pinned draft: a second model and context on the target's resolved n_ctx, with its own flags; its
            // bytes land in the device rows (device_memory::draft), so every budget below holds it
            launch_params dp = draft_launch_params(p, g.draft, e->n_ctx);
            const auto dd = resolve_draft_devices(hw, g.draft, dp);
            if (!dd) { ev.valid = false; ev.err = dd.error(); return; }
            const machine hwd = dd->view();
            auto dpl = resolve_placement(*g.draft_model, hwd, dp);
            if (!dpl) { ev.valid = false; ev.err = dpl.error(); return; }
            auto de = estimate_placed(*g.draft_model, *draft_summary, *dpl, hwd, dp, overhead_params{0, 0});
            if (!de) { ev.valid = false; ev.err = de.error(); return; }
            dd->to_machine(*de);
            if (auto ok = attach_draft(*e, *de, hw, extra); !ok) { ev.valid = false; ev.err = ok.error(); return; }
        }
        if (g.mmproj != nullptr) {
            // the pinned projector: its weights and warmup compute buffer on its device (device_memory::mmproj); it
            // depends on the settings only through flash attention
            const mmproj_estimate& me = mmproj[p.flash_attn != flash_attn_mode::off ? 1 : 0];
            if (auto ok = attach_mmproj(*e, me, hw, extra); !ok) { ev.valid = false; ev.err = ok.error(); return; }
        }
        ev.valid = true;
        ev.memory = *e;
        ev.budgets.clear();
        std::uint64_t unified = 0;
        for (std::size_t d = 0; d < hw.devices.size(); ++d)
            if (!hw.devices[d].remote() && (rule_of(hw.devices[d].kind).shares_host_memory || hw.devices[d].unified_memory))
                unified += ev.memory.devices[d + 1].total();
        // the host keeps resident what the run reads: mapped ranges of tensors copied to a GPU or repacked at load
        // are page cache after loading (memory_estimate::mapped_reclaimable), not a second copy of the weights
        const std::uint64_t host_planned = ev.memory.devices[0].total() + unified - ev.memory.mapped_reclaimable();
        (void)ev.budgets.push_back({host_device, hw.host.memory_available, host_planned, host_margin()});
        // a GPU the plan leaves empty keeps no margin: only the driver context lands there
        for (std::size_t d = 0; d < hw.devices.size(); ++d) {
            const auto& row = ev.memory.devices[d + 1];
            const bool used = row.model + row.context + row.compute + row.draft + row.mmproj != 0;
            (void)ev.budgets.push_back({static_cast<std::int32_t>(d), hw.devices[d].memory_free, row.total(),
                                        used ? gpu_margin(d) : 0});
        }
        // the prompt cache takes what the host can spare, up to llama-server's default (-cram 8192): an upper bound
        // that fills over time, sized to the RAM the plan leaves (0 when tight), never a reason to refuse; it is in
        // the host row's overhead but not in its budget, so that models planned beside this one are not charged
        // for it (plan_models shares what is left between them)
        ev.cache_ram = extra.prompt_cache;
        if (!cache_pinned) {
            const auto& h = ev.budgets[0];
            std::uint64_t spare = g.cache_ram == unset_bytes ? (8192ull << 20) : g.cache_ram;
            if (h.free != 0) spare = h.planned + h.margin < h.free ? std::min(spare, h.free - h.planned - h.margin) : 0;
            ev.cache_ram = spare / (1ull << 20) * (1ull << 20);
            ev.memory.devices[0].overhead += ev.cache_ram;
        }
        ev.fits = true;
        ev.short_bytes = 0;
        for (const auto& b : ev.budgets)
            if (!b.fits() && b.shortfall() > ev.short_bytes) {
                ev.fits = false;
                ev.short_device = b.device;
                ev.short_bytes = b.shortfall();
            }
        ev.gpu_read = 0;
        for (std::size_t gi = 0; gi < s.n_groups; ++gi)
            if (ev.place.group_device(gi) != host_device) ev.gpu_read += s.groups[gi].read_per_token;
    }

    /// Places for settings `p` on the `n_use` fastest GPUs (memory bandwidth, then free memory) and prices the result (see the file comment): the most
    /// offload that fits, layers split over the GPUs in proportion to what each can hold, routed experts of the first
    /// blocks on the host (`--n-cpu-moe N`) only when the GPUs cannot hold them all, one partial block after them.
    [[nodiscard]] constexpr evaluation place(launch_params p, std::size_t n_use = LLAMAPLAN_MAX_DEVICES) noexcept {
        evaluation ev;
        auto ctx = resolve_context(m.hp, p, kv_apart_from_layers(hw, p));
        if (!ctx) { ev.err = ctx.error(); return ev; }
        const compute_breakdown& graph = memo.get(m, compute_shape_of(*ctx, p));
        if (placement_pinned || hw.devices.empty()) {
            ev.place = placement_pinned ? user_placement : placement{};
            if (!placement_pinned) {
                p.n_gpu_layers = 0;
                auto lp = place_layers(m.hp, hw, p);
                if (!lp) { ev.err = lp.error(); return ev; }
                ev.place.layers = *lp;
                ev.place.follow_layers();
            }
            price(ev, p, graph);
            return ev;
        }
        const std::uint32_t n_all = s.n_layer_all;
        const std::size_t n_dev = hw.devices.size();
        n_use = std::clamp<std::size_t>(n_use, 1, n_dev);
        std::array<bool, LLAMAPLAN_MAX_DEVICES> use{};
        const auto rank = device_rank(hw);
        for (std::size_t k = 0; k < n_use; ++k) use[rank[k]] = true;
        std::size_t last_used = 0;
        for (std::size_t d = 0; d < n_dev; ++d)
            if (use[d]) last_used = d;
        std::uint32_t v_max = 0;
        for (std::uint32_t il = 0; il < m.hp.n_layer; ++il)
            if (m.hp.has_kv(il)) v_max = std::max(v_max, m.hp.n_embd_v_gqa(il));
        std::array<std::int64_t, LLAMAPLAN_MAX_DEVICES> avail{};
        for (std::size_t d = 0; d < n_dev; ++d) {
            const std::uint64_t fixed = gpu_margin(d) + driver_overhead(d) + graph.total;
            avail[d] = !use[d] ? -1
                                  : std::int64_t(hw.devices[d].memory_free) - std::int64_t(std::min<std::uint64_t>(fixed, 1ull << 62));
        }
        // the cost of item i (block i, or the output layer at i == n_all) on a device of each buffer class: its dense
        // parts (core) and its routed experts apart, priced once here and read by every step of the search below
        const bool split_experts = s.has_experts && g.tensor_overrides;
        std::array<std::array<std::int64_t, gpu_class_count>, LLAMAPLAN_MAX_LAYERS + 2> core_cost{};
        std::array<std::array<std::int64_t, gpu_class_count>, LLAMAPLAN_MAX_LAYERS + 2> expert_cost{};
        std::array<bool, gpu_class_count> class_used{};
        for (std::size_t d = 0; d < n_dev; ++d) class_used[static_cast<std::size_t>(gpu_class_of(hw.devices[d]))] = true;
        for (std::size_t c = 0; c < gpu_class_count; ++c) {
            if (!class_used[c]) continue;
            const std::uint64_t align = gpu_alignment(static_cast<gpu_class>(c));
            for (std::uint32_t i = 0; i < n_all; ++i) {
                std::int64_t ex = 0;
                for (auto part : {layer_part::expert_gate, layer_part::expert_up, layer_part::expert_down})
                    ex += std::int64_t(s.part(i, part).gpu[c]);
                core_cost[i][c] = std::int64_t(s.part(i, layer_part::attention).gpu[c] + s.part(i, layer_part::ffn).gpu[c] +
                                               (p.offload_kqv ? state_bytes(*ctx, p, i, align, v_max) : 0)) +
                                  (split_experts ? 0 : ex);
                expert_cost[i][c] = split_experts ? ex : 0;
            }
            std::uint64_t out = s.group(group_index::output(n_all)).gpu[c];
            if (s.tied_output) out += detail::gpu_alloc_size(static_cast<gpu_class>(c), m.tensors[static_cast<std::size_t>(s.token_embd)]);
            core_cost[n_all][c] = std::int64_t(out);
        }
        auto cost = [&](std::uint32_t i, std::size_t d, std::uint32_t n_cpu) -> std::int64_t {
            const auto c = static_cast<std::size_t>(gpu_class_of(hw.devices[d]));
            return core_cost[i][c] + (i < n_cpu ? 0 : expert_cost[i][c]);
        };
        std::array<std::uint32_t, LLAMAPLAN_MAX_DEVICES> counts{};
        std::array<std::int64_t, LLAMAPLAN_MAX_DEVICES> rem{};
        // splits the last `ngl` items (experts of blocks < n_cpu on the host) into contiguous ranges over the GPUs in
        // device order, as llama.cpp assigns -ts ranges, each GPU taking about its share of the capacity (so that
        // every GPU keeps room in proportion), never more than it holds
        auto spread = [&](std::uint32_t ngl, std::uint32_t n_cpu) -> bool {
            counts = {};
            rem = avail;
            if (ngl == 0) return true;
            const std::uint32_t first = n_all + 1 - ngl;
            std::int64_t total = 0, cap = 0;
            for (std::uint32_t i = first; i <= n_all; ++i) total += cost(i, 0, n_cpu);
            for (std::size_t d = 0; d < n_dev; ++d) cap += std::max<std::int64_t>(avail[d], 0);
            if (total > cap || cap <= 0) return false;
            std::int64_t left = total;  // cost of the items not yet placed
            std::int64_t later = cap;   // capacity of the devices after the current one
            std::size_t d = 0;
            later -= std::max<std::int64_t>(avail[0], 0);
            for (std::uint32_t i = first; i <= n_all; ++i) {
                for (;;) {
                    if (d > last_used) return false;
                    const std::int64_t c = cost(i, d, n_cpu);
                    const std::int64_t used = avail[d] - rem[d];
                    const double share = double(total) * double(std::max<std::int64_t>(avail[d], 0)) / double(cap);
                    const bool wanted = double(used) + double(c) / 2 <= share || left > later || d == last_used;
                    if (c <= rem[d] && wanted) { rem[d] -= c; ++counts[d]; left -= c; break; }
                    ++d;
                    if (d < n_dev) later -= std::max<std::int64_t>(avail[d], 0);
                }
            }
            return true;
        };
        // packs the same items front to back, each GPU as full as it goes: the fallback when capacity is fragmented
        // (GPUs too small for a share of whole items); greedy packing of ordered items into ordered bins is exact
        // for feasibility, so feasibility stays monotone in ngl and n_cpu
        auto pack = [&](std::uint32_t ngl, std::uint32_t n_cpu) -> bool {
            counts = {};
            rem = avail;
            std::size_t d = 0;
            for (std::uint32_t i = n_all + 1 - ngl; i <= n_all; ++i) {
                for (;;) {
                    if (d > last_used) return false;
                    const std::int64_t c = cost(i, d, n_cpu);
                    if (c <= rem[d]) { rem[d] -= c; ++counts[d]; break; }
                    ++d;
                }
            }
            return true;
        };
        auto distribute = [&](std::uint32_t ngl, std::uint32_t n_cpu) -> bool {
            if (!spread(ngl, n_cpu)) return pack(ngl, n_cpu);
            return true;
        };
        // the expert layout first: every expert on the GPUs, else (spill_fewest) the fewest blocks' experts on the
        // host, or (all_on_host) every expert there, or (with_blocks) experts kept with their blocks; feasibility is
        // monotone in both n_cpu and ngl
        const expert_layout how = split_experts ? layout : expert_layout::with_blocks;
        std::uint32_t n_cpu = 0, ngl = n_all + 1;
        auto most_blocks = [&](std::uint32_t n) {
            std::uint32_t lo = 0, hi = n_all + 1;
            while (lo < hi) {
                const std::uint32_t mid = (lo + hi + 1) / 2;
                if (distribute(mid, n)) lo = mid; else hi = mid - 1;
            }
            return lo;
        };
        if (how != expert_layout::spill_fewest) {
            n_cpu = how == expert_layout::all_on_host ? n_all : 0;
            ngl = most_blocks(n_cpu);
        } else if (!distribute(ngl, 0)) {
            if (distribute(ngl, n_all)) {
                std::uint32_t lo = 1, hi = n_all;
                while (lo < hi) {
                    const std::uint32_t mid = (lo + hi) / 2;
                    if (distribute(ngl, mid)) hi = mid; else lo = mid + 1;
                }
                n_cpu = lo;
            } else {
                n_cpu = n_all;
                ngl = most_blocks(n_cpu);
            }
        }
        for (int attempt = 0; attempt < 2 * LLAMAPLAN_MAX_DEVICES + 8; ++attempt) {
            (void)distribute(ngl, n_cpu);
            p.n_gpu_layers = static_cast<std::int32_t>(ngl);
            p.tensor_split = {};
            if (n_dev > 1 && ngl > 0)
                for (std::size_t d = 0; d < n_dev; ++d) p.tensor_split[d] = float(counts[d]);
            auto lp = place_layers(m.hp, hw, p);
            if (!lp) { ev.err = lp.error(); return ev; }
            ev.place = placement{};
            ev.place.layers = *lp;
            ev.place.follow_layers();
            if (split_experts && n_cpu > 0) {
                // the experts of blocks < n_cpu on the host; with spill_fewest the last of them takes back what its
                // GPU still holds,
                // part by part (up, then gate, then down: --fit's order of keeping parts, common/fit.cpp)
                for (std::uint32_t il = 0; il < n_cpu && il < n_all; ++il) {
                    if (!s.layer_has_experts[il] || ev.place.layers.of(il) == host_device) continue;
                    for (auto part : {layer_part::expert_gate, layer_part::expert_up, layer_part::expert_down})
                        ev.place.set_part(il, part, host_device);
                    ev.place.overrides = true;
                }
                const std::uint32_t k = n_cpu - 1;
                const std::int32_t dk = ev.place.layers.of(k);
                if (how == expert_layout::spill_fewest && k < n_all && s.layer_has_experts[k] && dk != host_device) {
                    const auto d = static_cast<std::size_t>(dk);
                    const auto c = static_cast<std::size_t>(gpu_class_of(hw.devices[d]));
                    for (auto part : {layer_part::expert_up, layer_part::expert_gate, layer_part::expert_down}) {
                        const std::int64_t pc = std::int64_t(s.part(k, part).gpu[c]);
                        if (pc > rem[d]) break;
                        rem[d] -= pc;
                        ev.place.set_part(k, part, dk);
                    }
                }
            }
            price(ev, p, graph);
            if (!ev.valid || ev.fits || ev.short_device == host_device || ngl == 0) return ev;
            // a GPU missed by a little (the costs above are per item; the price is exact): shrink its budget
            avail[static_cast<std::size_t>(ev.short_device)] -= std::int64_t(ev.short_bytes);
            if (how == expert_layout::spill_fewest && n_cpu < n_all && distribute(ngl, n_all)) {
                while (n_cpu < n_all && !distribute(ngl, n_cpu)) ++n_cpu;
            } else {
                if (how == expert_layout::spill_fewest) n_cpu = n_all;
                while (ngl > 0 && !distribute(ngl, n_cpu)) --ngl;
            }
        }
        return ev;
    }
};

/// The goal's objective for a priced candidate: the throughput model's (perf.hpp) tokens/s over one request of the
/// preset (prompt_tokens processed, then generate_tokens decoded at `depth` tokens of context); 0 when it cannot run.
[[nodiscard]] constexpr double objective(const search& st, const evaluation& ev) noexcept {
    if (!ev.valid) return 0;
    auto in = make_perf_inputs(st.m, st.s, st.perf_hw, ev.params, ev.memory, ev.place, st.classes);
    if (!in) return 0;
    in->threads = st.g.pinned.has(setting::threads) ? st.g.threads : 0;
    in->threads_batch = st.g.pinned.has(setting::threads_batch) ? st.g.threads_batch : 0;
    const std::uint32_t n_ctx = ev.memory.n_ctx_seq != 0 ? ev.memory.n_ctx_seq : ev.memory.n_ctx;
    const throughput_estimate t = predict_throughput(st.perf_hw, *in, workload{st.pr.prompt_tokens, std::min(st.pr.depth, n_ctx)});
    if (t.decode_tps <= 0 || t.prefill_tps <= 0) return 0;
    const double seconds = double(st.pr.prompt_tokens) / t.prefill_tps + double(st.pr.generate_tokens) / t.decode_tps;
    return seconds > 0 ? double(st.pr.prompt_tokens + st.pr.generate_tokens) / seconds : 0;
}

/// Turns the chosen candidate into a plan: threads, NUMA, the prompt cache, speed and the reasons.
[[nodiscard]] constexpr plan finish(search& st, const evaluation& ev, bool fits, std::uint32_t ctx, std::uint32_t floor_ctx,
                                    std::uint32_t target) noexcept {
    const goal& g = st.g;
    const preset& pr = st.pr;
    const setting_set pin = g.pinned;
    const machine& hw = st.hw;
    plan out;
    out.preset = g.preset;
    out.params = ev.params;
    // llama.cpp clamps the batches to the requested context (llama_context ctor, see estimate_memory): emit what it
    // will use, not -b 2048 -ub 1024 next to -c 512; the bytes are the same
    const bool batch_clamped = ev.valid && ev.memory.n_batch != 0 && ev.memory.n_batch < ev.params.n_batch;
    if (batch_clamped && !pin.has(setting::n_batch)) out.params.n_batch = ev.memory.n_batch;
    if (batch_clamped && !pin.has(setting::n_ubatch)) out.params.n_ubatch = ev.memory.n_ubatch;
    out.place = ev.place;
    out.user_placement = st.placement_pinned;
    if (g.draft_model != nullptr) {
        out.draft_path = g.draft_path;
        out.draft = g.draft;
    }
    if (g.mmproj != nullptr) {
        out.mmproj_path = g.mmproj_path;
        out.mmproj_load = g.mmproj_load;
    }
    out.memory = ev.memory;
    out.budgets = ev.budgets;
    out.cache_ram = ev.cache_ram;
    out.fits = fits && ev.fits;
    out.short_device = out.fits ? host_device : ev.short_device;
    out.short_bytes = out.fits ? 0 : ev.short_bytes;
    out.candidates = st.priced;
    out.ctx_per_slot = ev.memory.n_ctx_seq != 0 ? ev.memory.n_ctx_seq : ev.memory.n_ctx / std::max<std::uint32_t>(1, ev.params.n_seq_max);
    out.speed = predict_speed(st.s, ev.place, hw);
    // the predicted speed: the throughput model (perf.hpp) on the plan's own placement, at an empty context and a
    // 512-token prompt (llama-bench's tg / pp512)
    if (ev.valid) {
        if (auto in = make_perf_inputs(st.m, st.s, st.perf_hw, ev.params, ev.memory, ev.place, st.classes)) {
            const throughput_estimate t = predict_throughput(st.perf_hw, *in, workload{});
            out.speed.decode_tps = t.decode_tps;
            out.speed.prefill_tps = t.prefill_tps;
            out.speed.decode_bound = t.decode_bound;
            out.speed.prefill_bound = t.prefill_bound;
        }
    }
    const bool all_on_gpu = !hw.devices.empty() &&
        out.speed.gpu_read_bytes >= out.speed.read_bytes - st.s.group(group_index::input(st.s.n_layer_all)).read_per_token;

    // threads: physical (performance) cores, never hyper-threads; few when the GPUs do all the work
    const host& h = hw.host;
    const std::uint32_t cores = h.cpus_performance != 0 ? h.cpus_performance
                              : h.cpus_physical != 0    ? h.cpus_physical
                                                        : h.cpus_logical;
    out.threads = pin.has(setting::threads) ? g.threads : all_on_gpu ? std::min<std::uint32_t>(cores, 4) : cores;
    out.threads_batch = pin.has(setting::threads_batch) ? g.threads_batch : cores;
    out.numa = pin.has(setting::numa) || (!pin.has(setting::numa) && h.numa_nodes > 1);

    auto add = [&](setting s, origin o, std::string_view why) { (void)out.reasons.push_back({s, o, why}); };
    auto pinned_or = [&](setting s, std::string_view why, origin o = origin::chosen) {
        if (pin.has(s)) add(s, origin::pinned, "given on the command line: kept as is");
        else add(s, o, why);
    };
    // context
    if (pin.has(setting::n_ctx)) add(setting::n_ctx, origin::pinned, "given on the command line: kept as is");
    else if (!out.fits) add(setting::n_ctx, origin::chosen, "the smallest context tried: even it does not fit");
    else if (ctx < floor_ctx) add(setting::n_ctx, origin::chosen, "below the preset's floor: no larger context fits in memory");
    else if (ctx >= target) add(setting::n_ctx, origin::chosen, pr.first == priority::context
                                                                    ? "the preset's context target (the model's training context or the preset's cap) fits"
                                                                    : "the preset's context target fits within the preset's speed tolerance");
    else if (pr.first == priority::context) add(setting::n_ctx, origin::chosen, "the longest context that fits in memory");
    else add(setting::n_ctx, origin::chosen, "the longest context within the preset's speed tolerance: the next step costs more speed or does not fit");
    pinned_or(setting::type_k, ev.params.type_k == ggml_type::f16 ? "full-precision KV cache fits the goal"
                                                                  : "quantized KV cache: more context or offload than with f16 in the same memory");
    pinned_or(setting::type_v, ev.params.type_v == ggml_type::f16 ? "same as the K cache" : "same as the K cache (quantized V needs flash attention, which is on)");
    pinned_or(setting::flash_attn, "on: smaller compute buffer and KV layout, needed for a quantized V cache");
    pinned_or(setting::n_ubatch, out.params.n_ubatch < ev.params.n_ubatch ? "clamped to the context as llama.cpp does"
                                 : ev.params.n_ubatch > 512 ? "a larger physical batch speeds up prompt processing more than the preset's tolerance (weights on the host are copied to the GPU once per ubatch)"
                                                            : "llama.cpp's default; a larger batch would not gain enough predicted speed, or not fit");
    pinned_or(setting::n_batch, batch_clamped ? "llama.cpp's default 2048, clamped to the context as llama.cpp does"
                                              : "at least llama.cpp's default 2048 and the physical batch", origin::defaulted);
    pinned_or(setting::n_parallel, ev.params.n_seq_max == 1 ? "one slot: the whole context for one conversation"
                                   : "llama-server's default: concurrent requests run side by side instead of queueing", origin::defaulted);
    pinned_or(setting::kv_unified, ev.params.kv_unified ? "one KV cache shared by the slots: each may use the whole context, at no extra memory"
                                                        : "one slot: no sharing needed", origin::defaulted);
    if (pin.any_placement()) {
        add(setting::n_gpu_layers, origin::pinned, "placement given on the command line (-ngl/-ts/-ot/...): kept as is");
    } else if (hw.devices.empty()) {
        add(setting::n_gpu_layers, origin::chosen, "no GPU: everything runs on the CPU");
    } else if (ev.place.layers.n_gpu_layers == ev.place.layers.n_layer_all + 1) {
        add(setting::n_gpu_layers, origin::chosen, "every layer fits on the GPUs");
    } else {
        add(setting::n_gpu_layers, origin::chosen, "the most layers that fit in GPU memory after margins, KV cache and compute buffers");
    }
    if (hw.devices.size() > 1 && !pin.any_placement())
        add(setting::tensor_split, origin::chosen, "layers per GPU in proportion to what each can hold (contiguous ranges in device order, as llama.cpp assigns -ts); the fewest GPUs that are as fast");
    if (st.s.has_experts && !pin.any_placement() && !g.tensor_overrides)
        add(setting::tensor_overrides, origin::chosen, "the launcher cannot express tensor overrides: routed experts stay with their blocks");
    else if (st.s.has_experts && !pin.any_placement())
        add(setting::tensor_overrides, origin::chosen, ev.place.overrides
                ? "the routed experts of the first blocks on the host (--n-cpu-moe), only as many as the GPUs cannot hold: they are read n_expert_used/n_expert per token, the dense parts every token"
                : "every routed expert fits on the GPUs beside the dense layers");
    pinned_or(setting::threads, all_on_gpu ? "the GPUs do the work: a few CPU threads suffice" : "physical (performance) cores, not hyper-threads");
    pinned_or(setting::threads_batch, "physical (performance) cores for prompt processing");
    pinned_or(setting::load_mode, "memory-mapped weights; the pages of tensors copied to a GPU or repacked are page cache after loading, so RAM counts them once", origin::defaulted);
    pinned_or(setting::cache_ram, out.cache_ram >= (8192ull << 20) ? "llama-server's default prompt cache fits in host RAM"
                                  : out.cache_ram == 0 ? "no host RAM left for a prompt cache: off (it is an upper bound, never a reason to refuse)"
                                                       : "prompt cache sized to the host RAM left after the model and margin (an upper bound that fills over time)");
    if (out.numa) pinned_or(setting::numa, "several NUMA nodes: spread threads and memory evenly");
    return out;
}

}  // namespace detail::planning

/// Plans a model on a machine for a goal, from a summary made by summarize() for this machine. Errors are input
/// errors (settings llama.cpp refuses, a pinned placement that names no device); a plan that does not fit is a plan
/// with `fits == false` (see plan).
/// With a draft (goal::draft_model), `draft_summary` is the draft's summary (summarize(draft, draft_machine(hw,
/// g.draft)->view(), same load mode and repacking)).
[[nodiscard]] constexpr result<plan> plan_model(const model& m, const model_summary& s, const machine& hw,
                                                const goal& g, const model_summary* draft_summary = nullptr) noexcept {
    using namespace detail::planning;
    const preset& pr = preset_of(g.preset);
    search st{m, s, hw, g, pr};
    if (g.draft_model == nullptr && !g.draft_path.empty())
        return make_error(errc::invalid_argument, "-md names a draft model the host did not load (set goal::draft_model)");
    if (g.draft_model != nullptr) {
        if (draft_summary == nullptr) return make_error(errc::invalid_argument, "a draft model needs its summary");
        if (auto ok = check_draft(*g.draft_model, g.params); !ok) return ok.error();
        if (draft_summary->use_mmap != s.use_mmap || draft_summary->repack != s.repack)
            return make_error(errc::invalid_argument, "the draft's summary was priced for another load mode or repacking");
        st.draft_summary = draft_summary;
    }
    if (g.mmproj == nullptr && !g.mmproj_path.empty())
        return make_error(errc::invalid_argument, "--mmproj names a projector the host did not open (set goal::mmproj)");
    if (g.mmproj != nullptr) {
        if (auto ok = check_mmproj(*g.mmproj, m.hp); !ok) return ok.error();
        for (const auto fa : {flash_attn_mode::off, flash_attn_mode::on}) {
            auto me = estimate_mmproj(*g.mmproj, hw, g.mmproj_load, fa);
            if (!me) return me.error();
            st.mmproj[fa == flash_attn_mode::on ? 1 : 0] = *me;
        }
    }
    const hparams& hp = m.hp;
    const setting_set pin = g.pinned;
    if (s.use_mmap != (pin.has(setting::load_mode) ? g.params.use_mmap : true) ||
        s.repack != (pin.has(setting::repack) ? g.params.cpu_repack : true))
        return make_error(errc::invalid_argument, "the summary was priced for another load mode or repacking");

    // ---- the settings that are not searched: pinned values, else the preset's or llama.cpp's
    launch_params base{};
    base.use_mmap = s.use_mmap;
    base.cpu_repack = s.repack;
    base.n_seq_max = pin.has(setting::n_parallel) ? g.params.n_seq_max : pr.n_parallel;
    base.kv_unified = pin.has(setting::kv_unified) ? g.params.kv_unified : base.n_seq_max > 1;
    base.flash_attn = pin.has(setting::flash_attn) ? g.params.flash_attn : flash_attn_mode::on;
    base.swa_full = g.params.swa_full;
    base.offload_kqv = g.params.offload_kqv;
    base.embeddings = g.params.embeddings;
    base.n_outputs_max = g.params.n_outputs_max;
    base.spec = g.params.spec;
    base.split_mode = pin.has(setting::split_mode) ? g.params.split_mode : split_mode::layer;
    base.main_gpu = g.params.main_gpu;
    if (pin.any_placement()) {
        launch_params up = base;
        up.n_gpu_layers = g.params.n_gpu_layers;
        up.tensor_split = g.params.tensor_split;
        up.split_mode = g.params.split_mode;
        up.main_gpu = g.params.main_gpu;
        up.overrides = g.params.overrides;
        up.cpu_moe = g.params.cpu_moe;
        up.n_cpu_moe = g.params.n_cpu_moe;
        auto pl = resolve_placement(m, hw, up);
        if (!pl) return pl.error();
        st.placement_pinned = true;
        st.user_placement = *pl;
        base.n_gpu_layers = up.n_gpu_layers;
        base.tensor_split = up.tensor_split;
        base.overrides = up.overrides;
        base.cpu_moe = up.cpu_moe;
        base.n_cpu_moe = up.n_cpu_moe;
    }
    // flash attention: on unless pinned off; a quantized K whose head size is not a multiple of its block size
    // makes llama.cpp refuse -fa on, so such types are skipped below
    std::array<ggml_type, 4> kv_types{};
    std::size_t n_kv = 0;
    if (pin.has(setting::type_k) || pin.has(setting::type_v)) {
        kv_types[n_kv++] = pin.has(setting::type_k) ? g.params.type_k : g.params.type_v;
    } else {
        for (std::size_t i = 0; i < pr.n_kv_types; ++i) {
            const ggml_type t = pr.kv_types[i];
            if (base.flash_attn == flash_attn_mode::off && type_traits(t).quantized) continue;
            bool dup = false;
            for (std::size_t j = 0; j < n_kv; ++j) dup = dup || kv_types[j] == t;
            if (!dup) kv_types[n_kv++] = t;
        }
        if (n_kv == 0) kv_types[n_kv++] = ggml_type::f16;
    }
    auto with_kv = [&](launch_params p, ggml_type t) {
        p.type_k = pin.has(setting::type_k) ? g.params.type_k : t;
        p.type_v = pin.has(setting::type_v) ? g.params.type_v : t;
        return p;
    };
    std::array<std::uint32_t, 3> ubatches{};
    std::size_t n_ub = 0;
    if (pin.has(setting::n_ubatch)) ubatches[n_ub++] = g.params.n_ubatch;
    else for (std::size_t i = 0; i < pr.n_ubatch; ++i) ubatches[n_ub++] = pr.ubatch[i];
    auto with_ubatch = [&](launch_params p, std::uint32_t ub) {
        p.n_ubatch = ub;
        p.n_batch = pin.has(setting::n_batch) ? g.params.n_batch : std::max<std::uint32_t>(2048, ub);
        return p;
    };

    // ---- the context ladder (tokens per slot): powers of two from 512 to the target, plus the target
    const std::uint32_t train = hp.n_ctx_train != 0 ? hp.n_ctx_train : 4096;
    const std::uint32_t slots = base.n_seq_max;
    const std::uint32_t target = std::min(pr.ctx_target == 0 ? train : pr.ctx_target, train);
    const std::uint32_t floor_ctx = std::min(pr.ctx_floor, target);
    std::array<std::uint32_t, 40> ladder{};
    std::size_t n_ladder = 0;
    if (pin.has(setting::n_ctx)) {
        ladder[n_ladder++] = g.params.n_ctx != 0 ? (g.params.n_ctx + slots - 1) / slots : train;
    } else {
        for (std::uint32_t c = 512; c < target && n_ladder + 1 < ladder.size(); c *= 2) ladder[n_ladder++] = c;
        ladder[n_ladder++] = target;
    }
    std::size_t floor_i = 0;
    while (floor_i + 1 < n_ladder && ladder[floor_i] < floor_ctx) ++floor_i;
    auto with_ctx = [&](launch_params p, std::uint32_t per_slot) {
        // with a unified KV cache every slot may use all of it (llama_context: n_ctx_seq = n_ctx), so the ladder's
        // value is the whole context; else each slot gets its share (n_ctx / n_seq_max)
        p.n_ctx = pin.has(setting::n_ctx) ? g.params.n_ctx : p.kv_unified ? per_slot : per_slot * slots;
        return p;
    };

    // ---- the search: for each KV cache type, the context ladder from the floor up; each candidate placed for the
    // most offload its memory allows (place) and scored by the goal's objective (predicted speed). Speed can only
    // fall as the context grows (the memory it takes comes out of offload), so the best speed is at the smallest
    // context that fits, and the context grows by bisection while the speed stays within the preset's tolerance of
    // it: a longer context is taken whenever it costs (almost) nothing. Context-first presets grow it as far as
    // anything fits.
    const double tol = pr.speed_tolerance;
    struct choice {
        evaluation ev{};
        double score = 0;
        std::uint32_t ctx = 0;  // ladder tokens per slot
        std::size_t kv = 0;     // index into kv_types
        expert_layout layout = expert_layout::spill_fewest;
    };
    choice best{}, fastest{};
    evaluation smallest{};  // the smallest configuration tried, for a refusal
    bool have_best = false, have_smallest = false;
    double floor_score = 0;  // the speed of the final plan at the smallest context that fits (for context_cost)
    error last_error = make_error(errc::invalid_combination, "no candidate settings");
    for (std::size_t k = 0; k < n_kv; ++k) {
        const launch_params pk = with_ubatch(with_kv(base, kv_types[k]), ubatches[0]);
        auto at = [&](std::size_t i) { return st.place(with_ctx(pk, ladder[i])); };
        // fits at the floor? else the largest ladder step below it that fits
        std::size_t ci = floor_i;
        evaluation ev = at(ci);
        if (!ev.valid) { last_error = ev.err; continue; }
        while (!ev.fits && ci > 0) {
            if (!have_smallest || ev.short_bytes < smallest.short_bytes) { smallest = ev; have_smallest = true; }
            ev = at(--ci);
        }
        if (!ev.fits && ev.short_device == host_device && !hw.devices.empty() && !st.placement_pinned) {
            // the host missed with layers on GPUs (their pinned host buffers and copies): everything on the host
            launch_params q = with_ctx(pk, ladder[ci]);
            q.n_gpu_layers = 0;
            auto pl = resolve_placement(m, hw, q);
            if (auto cx = resolve_context(hp, q, kv_apart_from_layers(hw, q)); pl && cx) {
                evaluation e2;
                e2.place = *pl;
                st.price(e2, q, st.memo.get(m, compute_shape_of(*cx, q)));
                if (e2.valid && e2.fits) ev = e2;
            }
        }
        if (!ev.fits) {
            if (!have_smallest || ev.short_bytes <= smallest.short_bytes) { smallest = ev; have_smallest = true; }
            continue;
        }
        double s0 = objective(st, ev);
        st.layout = expert_layout::spill_fewest;
        if (ev.place.overrides && !st.placement_pinned) {
            // experts spilled: the other layouts at the same settings, and the faster family for this KV type
            for (const auto alt : {expert_layout::all_on_host, expert_layout::with_blocks}) {
                const expert_layout keep = st.layout;
                st.layout = alt;
                evaluation e2 = at(ci);
                const double s2 = e2.valid && e2.fits ? objective(st, e2) : 0;
                if (s2 > s0) { ev = e2; s0 = s2; } else st.layout = keep;
            }
        }
        std::size_t lo = ci, hi = ci < floor_i ? ci : n_ladder - 1;
        choice here{ev, s0, ladder[ci], k, st.layout};
        while (lo < hi) {
            const std::size_t mid = (lo + hi + 1) / 2;
            evaluation e2 = at(mid);
            bool ok = e2.valid && e2.fits;
            double s2 = 0;
            if (ok && pr.first != priority::context) { s2 = objective(st, e2); ok = s2 >= (1 - tol) * s0; }
            if (ok) {
                lo = mid;
                here = {e2, s2 != 0 ? s2 : objective(st, e2), ladder[mid], k, st.layout};
            } else {
                hi = mid - 1;
            }
        }
        if (!have_best || s0 > fastest.score) fastest = {ev, s0, ladder[ci], k, st.layout};
        // between KV types: context-first presets take the longest context, then the speed; the others the fastest
        // plan, and a slower one only for a longer context within the tolerance; the earlier (fuller-precision) type
        // when they are alike
        bool take = !have_best;
        const bool here_floor = here.ctx >= ladder[floor_i], best_floor = have_best && best.ctx >= ladder[floor_i];
        if (have_best && here_floor != best_floor) {
            take = here_floor;  // reaching the preset's floor comes first (a quantized cache that reaches it wins)
        } else if (have_best) {
            // a less precise type only for more context, or for more offload that makes it faster
            const bool faster = here.score > (1 + tol) * best.score && here.ev.gpu_read > best.ev.gpu_read;
            if (pr.first == priority::context)
                take = here.ctx > best.ctx || (here.ctx == best.ctx && faster);
            else
                take = faster || (here.ctx > best.ctx && here.score >= (1 - tol) * fastest.score);
        }
        if (take) best = here;
        have_best = true;
    }
    evaluation chosen{};
    std::uint32_t best_ctx = 0;
    if (!have_best) {
        if (!have_smallest) return last_error;
        chosen = smallest;
    } else {
        st.layout = best.layout;
        // the KV cache type and the physical batch, jointly at the chosen context: the fastest pair, and the
        // preferred type's best pair unless another is faster by more than half the tolerance (a quantized cache
        // reads fewer bytes per token at depth; prompt processing with weights streamed from the host grows almost
        // linearly with -ub, since op offload copies them once per ubatch: ggml-backend.cpp
        // ggml_backend_sched_backend_id_from_cur)
        {
            choice top = best, preferred = best;
            const bool kv_free = !pin.has(setting::type_k) && !pin.has(setting::type_v);
            for (std::size_t k = 0; k < (kv_free ? n_kv : 1); ++k) {
                for (std::size_t u = 0; u < n_ub; ++u) {
                    launch_params q = with_ubatch(best.ev.params, ubatches[u]);
                    if (kv_free) q = with_kv(q, kv_types[k]);
                    if (q.type_k == best.ev.params.type_k && q.type_v == best.ev.params.type_v && q.n_ubatch == best.ev.params.n_ubatch) continue;
                    evaluation e2 = st.place(q);
                    if (!e2.valid || !e2.fits || e2.memory.n_ctx < best.ev.memory.n_ctx) continue;
                    const double s2 = objective(st, e2);
                    if (s2 > top.score) top = {e2, s2, best.ctx, kv_free ? k : best.kv, best.layout};
                    if ((kv_free ? k : best.kv) <= preferred.kv && (k < preferred.kv || s2 > preferred.score))
                        preferred = {e2, s2, best.ctx, kv_free ? k : best.kv, best.layout};
                }
            }
            // a less precise cache than the preferred one only when it buys offload (more weights read from GPU
            // memory), never for the KV bandwidth alone: the preset's KV types are in order of preference
            const bool buys = top.kv <= preferred.kv || top.ev.gpu_read > preferred.ev.gpu_read;
            best = buys && top.score > (1 + tol / 2) * preferred.score ? top : preferred;
        }
        // the expert layouts again at the final settings (a larger ubatch favours experts streamed from the host)
        if (best.ev.place.overrides && !st.placement_pinned) {
            for (const auto alt : {expert_layout::spill_fewest, expert_layout::all_on_host, expert_layout::with_blocks}) {
                if (alt == best.layout) continue;
                st.layout = alt;
                evaluation e2 = st.place(best.ev.params);
                const double s2 = e2.valid && e2.fits && e2.memory.n_ctx >= best.ev.memory.n_ctx ? objective(st, e2) : 0;
                if (s2 > best.score) { best.ev = e2; best.score = s2; best.layout = alt; }
            }
            st.layout = best.layout;
        }
        // fewer GPUs when as fast: each device boundary costs a hop per token, a slower GPU slows every token its
        // layers take, and an idle GPU is free for other work. The fastest GPUs first (device_rank); a set whose
        // free memory cannot hold what the plan puts on GPUs is skipped unpriced, and the first set that holds every
        // weight ends the walk (more, slower GPUs cannot make a full offload faster)
        const std::size_t n_dev = hw.devices.size();
        if (n_dev > 1 && !st.placement_pinned) {
            std::uint64_t need = 0;
            for (std::size_t d = 0; d < n_dev; ++d) need += best.ev.memory.devices[d + 1].model;
            const auto rank = device_rank(hw);
            const std::uint64_t host_weights = st.s.group(group_index::input(st.s.n_layer_all)).read_per_token;
            std::uint64_t have = 0;
            std::array<double, LLAMAPLAN_MAX_DEVICES> score_of{};  // by GPU count (0: not tried or not fitting)
            double fastest = best.score;
            std::size_t fastest_n = n_dev;
            for (std::size_t n_use = 1; n_use < n_dev; ++n_use) {
                have += hw.devices[rank[n_use - 1]].memory_free;
                if (have < need / 2) continue;
                evaluation e2 = st.place(best.ev.params, n_use);
                if (!e2.valid || !e2.fits || e2.memory.n_ctx < best.ev.memory.n_ctx) continue;
                score_of[n_use] = objective(st, e2);
                if (score_of[n_use] > fastest) { fastest = score_of[n_use]; fastest_n = n_use; }
                if (e2.gpu_read + host_weights >= st.s.read_per_token()) break;  // everything offloaded
            }
            std::size_t pick = fastest_n;
            for (std::size_t n_use = 1; n_use < fastest_n; ++n_use)
                if (score_of[n_use] > 0 && score_of[n_use] >= (1 - tol / 2) * fastest) { pick = n_use; break; }
            if (pick != n_dev) {
                best.ev = st.place(best.ev.params, pick);
                best.score = score_of[pick];
            }
        }
        // no GPU at all when the host is as fast: with rpc-servers in the machine, a model the host runs alone need
        // not cross the network (each split on a worker waits for its round trips)
        bool any_remote = false;
        for (const auto& d : hw.devices) any_remote = any_remote || d.remote();
        if (any_remote && !st.placement_pinned) {
            launch_params q = best.ev.params;
            q.n_gpu_layers = 0;
            q.cpu_moe = false;
            q.n_cpu_moe = 0;
            q.overrides.clear();
            auto pl = resolve_placement(m, hw, q);
            auto cx = resolve_context(hp, q);
            if (pl && cx) {
                evaluation e0;
                e0.place = *pl;
                st.price(e0, q, st.memo.get(m, compute_shape_of(*cx, q)));
                const double s0 = e0.valid && e0.fits && e0.memory.n_ctx >= best.ev.memory.n_ctx ? objective(st, e0) : 0;
                if (s0 > 0 && s0 >= (1 - tol / 2) * best.score) {
                    best.ev = e0;
                    best.score = s0;
                }
            }
        }
        chosen = best.ev;
        best_ctx = best.ctx;
    }
    floor_score = have_best ? best.score : 0;
    if (have_best && best_ctx > ladder[floor_i] && !pin.has(setting::n_ctx)) {
        // what the context costs: the same plan at the preset's floor (or the smallest context above it that fits)
        for (std::size_t i = floor_i; i < n_ladder && ladder[i] < best_ctx; ++i) {
            evaluation e2 = st.place(with_ctx(best.ev.params, ladder[i]));
            if (!e2.valid || !e2.fits) continue;
            floor_score = objective(st, e2);
            break;
        }
    }
    plan out = detail::planning::finish(st, chosen, have_best, best_ctx, ladder[floor_i], target);
    out.score_tps = have_best ? best.score : 0;
    out.context_cost = have_best && floor_score > 0 ? std::max(0.0, 1 - best.score / floor_score) : 0;
    return out;

}

/// Summarizes a model for planning toward a goal: weights mapped and repacked as the goal pins them, else as
/// llama.cpp does by default (mmap, repack on). `out` is about 430 KB: hosts keep one and refill it.
[[nodiscard]] constexpr result<bool> summarize_for(const model& m, const machine& hw, const goal& g,
                                                  model_summary& out) noexcept {
    const bool mmap = g.pinned.has(setting::load_mode) ? g.params.use_mmap : true;
    const bool repack = g.pinned.has(setting::repack) ? g.params.cpu_repack : true;
    return summarize(m, hw, mmap, repack, out);
}

/// Plans a model on a machine for a goal (summarizes the model first: about 430 KB of stack; see summary.hpp).
[[nodiscard]] constexpr result<plan> plan_model(const model& m, const machine& hw, const goal& g) noexcept {
    model_summary s;
    if (auto ok = summarize_for(m, hw, g, s); !ok) return ok.error();
    if (g.draft_model == nullptr) return plan_model(m, s, hw, g);
    model_summary ds;  // another ~430 KB of stack
    if (auto ok = check_model(*g.draft_model); !ok) return ok.error();
    const auto dd = draft_machine(hw, g.draft);
    if (!dd) return dd.error();
    if (auto ok = summarize_for(*g.draft_model, dd->view(), g, ds); !ok) return ok.error();
    return plan_model(m, s, hw, g, &ds);
}

/// Takes what a plan uses from the free memory of a machine's host and devices (the same devices the plan was made
/// for), so that a model planned next to it gets the rest. On a GPU the plan's bytes and its margin are taken: each
/// process keeps its own headroom there (its CUDA pools grow on their own). On the host only the plan's bytes are
/// taken: the host margin is the operating system's headroom, which the next plan keeps anyway, so it counts once.
/// A host of unknown size stays unknown.
constexpr void reserve_plan(const plan& p, host& h, std::span<device> devices) noexcept {
    for (const auto& b : p.budgets) {
        if (b.device == host_device) {
            if (h.memory_available == 0) continue;
            h.memory_available = h.memory_available > b.planned ? h.memory_available - b.planned : 1;
        } else if (static_cast<std::size_t>(b.device) < devices.size()) {
            auto& d = devices[static_cast<std::size_t>(b.device)];
            const std::uint64_t taken = b.planned + b.margin;
            d.memory_free = d.memory_free > taken ? d.memory_free - taken : 0;
        }
    }
}

/// One model of several that run side by side.
struct model_request {
    const model* m = nullptr;              ///< the model
    const model_summary* summary = nullptr;///< its summary for this machine
    goal g{};                              ///< its goal
    const model_summary* draft_summary = nullptr;  ///< the draft's summary, when g.draft_model is set (see plan_model)
};

/// Plans several co-resident models (a chat model and its draft, an embedding model beside it, a llama-swap group
/// that runs together): every device's memory is shared so that all fit at once, each model keeping its own margin
/// on each device it uses. The smaller models are planned first, each on what the ones before it left; the largest
/// takes the rest. `out[i]` receives the plan of
/// `requests[i]`. Returns false (with every plan filled) if some model did not fit.
[[nodiscard]] constexpr result<bool> plan_models(std::span<const model_request> requests, const machine& hw,
                                                 std::span<plan> out) noexcept {
    if (out.size() < requests.size()) return make_error(errc::invalid_argument, "fewer plans than models");
    if (hw.devices.size() > LLAMAPLAN_MAX_DEVICES) return make_error(errc::capacity_exceeded, "more devices than LLAMAPLAN_MAX_DEVICES");
    std::array<std::size_t, 64> order{};
    if (requests.size() > order.size()) return make_error(errc::capacity_exceeded, "more than 64 co-resident models");
    for (std::size_t i = 0; i < requests.size(); ++i) {
        if (requests[i].m == nullptr || requests[i].summary == nullptr) return make_error(errc::invalid_argument, "a model request is empty", i);
        order[i] = i;
    }
    auto size_of = [&](std::size_t i) { return requests[i].m->total_bytes(); };
    for (std::size_t i = 1; i < requests.size(); ++i)  // insertion sort: small first, stable
        for (std::size_t j = i; j > 0 && size_of(order[j]) < size_of(order[j - 1]); --j) std::swap(order[j], order[j - 1]);
    std::array<device, LLAMAPLAN_MAX_DEVICES> devs{};
    for (std::size_t d = 0; d < hw.devices.size(); ++d) devs[d] = hw.devices[d];
    machine left{hw.host, std::span<const device>(devs.data(), hw.devices.size())};
    bool all_fit = true;
    // two passes: each model as its goal asks; if one then misses, again with the models before the largest frugal
    // (their context at the preset's floor, llama.cpp's default ubatch, unless pinned), so that a small model's long
    // context or large batch does not crowd out the large one
    for (int pass = 0; pass < 2; ++pass) {
        all_fit = true;
        for (std::size_t d = 0; d < hw.devices.size(); ++d) devs[d] = hw.devices[d];
        left.host = hw.host;
        for (std::size_t k = 0; k < requests.size(); ++k) {
            const auto& r = requests[order[k]];
            goal g = r.g;
            if (pass == 1 && k + 1 < requests.size()) {
                const preset& pr = preset_of(g.preset);
                if (!g.pinned.has(setting::n_ubatch)) { g.params.n_ubatch = 512; g.pinned.add(setting::n_ubatch); }
                if (!g.pinned.has(setting::n_ctx) && r.m->hp.n_ctx_train != 0) {
                    g.params.n_ctx = std::min(pr.ctx_floor, r.m->hp.n_ctx_train);
                    g.pinned.add(setting::n_ctx);
                }
            }
            auto p = plan_model(*r.m, *r.summary, left, g, r.draft_summary);
            if (!p) return make_error(p.error().code, p.error().what, order[k]);
            out[order[k]] = *p;
            all_fit = all_fit && p->fits;
            reserve_plan(*p, left.host, std::span<device>(devs.data(), hw.devices.size()));
        }
        if (all_fit || requests.size() < 2) break;
    }
    // the prompt caches that were not pinned share what the host has left after every model and its margin: each
    // was sized as if alone (an upper bound that fills over time), so together they get equal shares of the rest
    if (hw.host.memory_available != 0 && requests.size() > 1) {
        std::uint64_t margin = 0, unpinned = 0;
        for (std::size_t i = 0; i < requests.size(); ++i) {
            if (!out[i].budgets.empty()) margin = std::max(margin, out[i].budgets[0].margin);
            if (!requests[i].g.pinned.has(setting::cache_ram) && out[i].cache_ram != unset_bytes) ++unpinned;
        }
        const std::uint64_t rest = left.host.memory_available > margin ? left.host.memory_available - margin : 0;
        const std::uint64_t share = unpinned ? rest / unpinned / (1ull << 20) * (1ull << 20) : 0;
        for (std::size_t i = 0; i < requests.size(); ++i) {
            if (requests[i].g.pinned.has(setting::cache_ram) || out[i].cache_ram == unset_bytes || out[i].cache_ram <= share) continue;
            if (!out[i].memory.devices.empty()) out[i].memory.devices[0].overhead -= out[i].cache_ram - share;
            out[i].cache_ram = share;
        }
    }
    return all_fit;
}

}  // namespace llamaplan

#endif  // LLAMAPLAN_PLANNER_HPP
