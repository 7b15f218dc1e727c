// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_EMIT_HPP
#define LLAMAPLAN_EMIT_HPP

#include <llamaplan/config.hpp>

// Renders plans: llama-server argv with the current flag spellings (values as separate arguments, `-fa on|off`,
// `--load-mode`, `--fit off` since the plan sets placement), the placement as the shortest flags (layer ranges in
// `-ot` regexes, `--n-cpu-moe` / `--cpu-moe` where they say the same thing), and JSON. Pure: text goes to a sink
// the caller supplies (any callable taking std::string_view), so nothing here allocates or does I/O.

#include <llamaplan/llama_cpp_version.hpp>
#include <llamaplan/memory.hpp>
#include <llamaplan/planner.hpp>

#include <array>
#include <cstdint>
#include <string_view>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG {

namespace detail {
/// A fixed-capacity text buffer (constexpr-friendly); sets `overflow` instead of writing past its end.
template <std::size_t N>
struct text {
    std::array<char, N> buf{};
    std::size_t n = 0;
    bool overflow = false;
    constexpr text& put(std::string_view s) noexcept {
        for (char c : s) {
            if (n == N) { overflow = true; return *this; }
            buf[n++] = c;
        }
        return *this;
    }
    constexpr text& put(std::uint64_t v) noexcept {
        char d[20]{};
        std::size_t k = 0;
        do { d[k++] = char('0' + v % 10); v /= 10; } while (v != 0);
        while (k > 0) put(std::string_view(&d[--k], 1));
        return *this;
    }
    [[nodiscard]] constexpr std::string_view view() const noexcept { return {buf.data(), n}; }
    constexpr void clear() noexcept { n = 0; overflow = false; }
};

/// Appends regex alternatives matching exactly the decimal numbers a..b (a <= b), e.g. 3..35 -> [3-9]|[1-2][0-9]|3[0-5].
/// Each alternative is a run of aligned blocks of equal length under one prefix, so no number gets a leading zero.
template <std::size_t N>
constexpr void number_range_regex(text<N>& out, std::uint64_t a, std::uint64_t b, bool& first) noexcept {
    while (a <= b) {
        // the largest aligned block [a, a + k - 1] inside [a, b] whose numbers all have the same length
        std::uint64_t k = 1;
        std::uint32_t digits = 0;
        while (k < 1000000000ull && a % (k * 10) == 0 && a + k * 10 - 1 <= b && (a / (k * 10) != 0 || k == 1)) {
            k *= 10;
            ++digits;
        }
        // consecutive blocks of that size under the same higher digits: prefix p0..p1 share p0 / 10
        const std::uint64_t p0 = a / k;
        std::uint64_t p1 = p0;
        while (p0 != 0 && p1 % 10 != 9 && (p1 + 2) * k - 1 <= b) ++p1;
        if (!first) out.put("|");
        first = false;
        if (p0 / 10 != 0) out.put(p0 / 10);
        if (p0 == p1) {
            if (p0 != 0 || digits == 0) out.put(p0 % 10);  // block [0, 9] is "[0-9]", not "0[0-9]"
        } else {
            out.put("[").put(p0 % 10).put("-").put(p1 % 10).put("]");
        }
        for (std::uint32_t i = 0; i < digits; ++i) out.put("[0-9]");
        a = (p1 + 1) * k;
    }
}

/// Appends a regex-escaped literal.
template <std::size_t N>
constexpr void regex_escape(text<N>& out, std::string_view s) noexcept {
    for (char c : s) {
        if (c == '.' || c == '\\' || c == '(' || c == ')' || c == '[' || c == ']' || c == '{' || c == '}' || c == '*' ||
            c == '+' || c == '?' || c == '|' || c == '^' || c == '$')
            out.put("\\");
        out.put(std::string_view(&c, 1));
    }
}

/// The `-ot` buffer-type name of a device ("CPU", "CUDA0").
template <std::size_t N>
constexpr void buft_name(text<N>& out, const machine& hw, std::int32_t device) noexcept {
    if (device == host_device) { out.put("CPU"); return; }
    char tmp[buffer_name_capacity]{};
    out.put(buffer_name(hw, {buffer_kind::gpu, device}, tmp));
}

/// The regex alternatives of a set of expert parts (bit p = layer_part p).
template <std::size_t N>
constexpr void expert_parts_regex(text<N>& out, unsigned mask, const model& m) noexcept {
    // only the spellings the model has: ffn_gate_exps or the fused ffn_gate_up_exps (llama-arch.cpp LLM_TENSOR_FFN_*_EXPS)
    bool gate = false, gate_up = false;
    for (const auto& t : m.tensors) {
        if (t.role != tensor_role::ffn_expert) continue;
        if (t.name.find("ffn_gate_up_") != std::string_view::npos) gate_up = true;
        else if (t.name.find("ffn_gate_") != std::string_view::npos) gate = true;
    }
    bool first = true;
    auto alt = [&](std::string_view v) { if (!first) out.put("|"); first = false; out.put(v); };
    if (mask >> static_cast<unsigned>(layer_part::expert_up) & 1u) alt("up");
    if (mask >> static_cast<unsigned>(layer_part::expert_down) & 1u) alt("down");
    if (mask >> static_cast<unsigned>(layer_part::expert_gate) & 1u) {
        if (gate || !gate_up) alt("gate");
        if (gate_up) alt("gate_up");
    }
}

/// The routed-expert suffix the model's tensors use: `_exps`, `_chexps` (chunked experts) or both.
template <std::size_t N>
constexpr void expert_suffix_regex(text<N>& out, const model& m) noexcept {
    bool ch = false, plain = false;
    for (const auto& t : m.tensors) {
        if (t.role != tensor_role::ffn_expert) continue;
        if (t.name.find("_chexps") != std::string_view::npos) ch = true;
        else if (t.name.find("_exps") != std::string_view::npos) plain = true;
    }
    out.put(ch && plain ? ")_(ch|)exps" : ch ? ")_chexps" : ")_exps");
}

inline constexpr std::size_t arg_capacity = 8192;

/// `-ngl` (the resolved count, output layer included), then `-sm none -mg N`, or `-ts` as per-GPU block counts
/// (llama.cpp turns proportions into the same contiguous ranges). False if an argument overflows.
template <class Out>
constexpr bool emit_layer_flags(const placement& pl, const launch_params& p, const machine& hw, Out&& out) noexcept {
    text<64> a;
    out("-ngl");
    a.put(std::uint64_t(pl.layers.n_gpu_layers));
    out(a.view());
    if (p.split_mode == split_mode::none) {
        out("-sm"); out("none");
        out("-mg"); a.clear(); a.put(std::uint64_t(p.main_gpu)); out(a.view());
        return !a.overflow;
    }
    if (hw.devices.size() <= 1 || pl.layers.n_gpu_layers <= 0) return !a.overflow;
    if (p.split_mode != split_mode::layer) { out("-sm"); out(p.split_mode == split_mode::row ? "row" : "tensor"); }
    text<(LLAMAPLAN_MAX_DEVICES + 1) * 12> ts;
    for (std::size_t d = 0; d < hw.devices.size(); ++d) {
        std::uint64_t c = 0;
        for (const auto dev : pl.layers.device) c += dev == static_cast<std::int32_t>(d) ? 1 : 0;
        if (d > 0) ts.put(",");
        ts.put(c);
    }
    out("-ts");
    out(ts.view());
    return !a.overflow && !ts.overflow;
}
}  // namespace detail

/// The command each rpc-server of the machine runs, one argument per call of `out` and `end_line()` after each
/// command: `rpc-server -H HOST -p PORT` with its defaults (it exposes its GPUs, or its CPU; tools/rpc/rpc-server.cpp
/// get_devices), `-t THREADS` for a CPU device (the worker's physical cores are not known here: `threads` when
/// non-zero), and `-c` (its local tensor cache, which saves re-sending the weights on every reload) when `cache` is
/// set. rpc-server has no authentication: HOST must be an address of a private network. Returns false if an
/// argument overflows.
template <class Out, class End>
constexpr bool emit_rpc_servers(const machine& hw, Out&& out, End&& end_line, bool cache = true,
                                std::uint32_t threads = 0, std::string_view program = "rpc-server") noexcept {
    bool ok = true;
    for (std::size_t d = 0; d < hw.devices.size(); ++d) {
        const device& dev = hw.devices[d];
        if (!dev.remote() || (d > 0 && hw.devices[d - 1].endpoint == dev.endpoint)) continue;
        const auto colon = dev.endpoint.rfind(':');
        if (colon == std::string_view::npos) return false;
        out(program);
        out("-H"); out(dev.endpoint.substr(0, colon));
        out("-p"); out(dev.endpoint.substr(colon + 1));
        if (dev.kind == backend::cpu && threads != 0) {
            detail::text<16> t;
            t.put(std::uint64_t(threads));
            out("-t"); out(t.view());
            ok = ok && !t.overflow;
        }
        if (cache) out("-c");
        end_line();
    }
    return ok;
}

/// Emits the placement as llama-server flags (`-ngl`, `-sm`/`-mg`/`-ts`, `-ot`, `--n-cpu-moe`/`--cpu-moe`), one
/// argument per call of `out`. Returns false if an argument would exceed the internal buffer (8 KiB).
template <class Out>
constexpr bool emit_placement(const placement& pl, const launch_params& p, const model& m, const model_summary& s,
                              const machine& hw, Out&& out, llama_cpp_version target = {}) noexcept {
    using detail::text;
    text<detail::arg_capacity> a;
    bool ok = true;
    auto arg = [&](std::string_view v) { out(v); };
    auto flush = [&]() { ok = ok && !a.overflow; out(a.view()); a.clear(); };
    const std::uint32_t n_all = pl.layers.n_layer_all;

    ok = detail::emit_layer_flags(pl, p, hw, out) && ok;
    // routed-expert parts moved apart from their block: --n-cpu-moe N when they are exactly the experts of the
    // blocks below N, moved to the host
    const bool rules = pl.overrides;
    if (!rules) return ok;
    bool only_host_experts = pl.exceptions.empty() && pl.input == host_device && pl.output == pl.layers.output();
    std::uint32_t n_cpu = 0;
    for (std::uint32_t il = 0; il < n_all && only_host_experts; ++il)
        for (std::size_t k = 0; k < layer_part_count; ++k) {
            const auto part = static_cast<layer_part>(k);
            if (s.part(il, part).tensors == 0 || pl.part(il, part) == pl.layers.of(il)) continue;
            if (!is_expert_part(part) || pl.part(il, part) != host_device) only_host_experts = false;
            else n_cpu = il + 1;
        }
    // the last of those blocks may keep some of its expert parts on its GPU: --n-cpu-moe for the blocks before it,
    // and one -ot rule for the parts of that block on the host
    std::uint32_t n_whole = n_cpu;
    if (only_host_experts && n_cpu > 0) {
        for (std::uint32_t il = 0; il < n_cpu && only_host_experts; ++il)
            for (auto part : {layer_part::expert_gate, layer_part::expert_up, layer_part::expert_down})
                if (s.part(il, part).tensors != 0 && pl.part(il, part) != host_device) {
                    if (il + 1 == n_cpu) n_whole = il;
                    else only_host_experts = false;
                }
    }
    if (only_host_experts && n_whole < n_cpu && supports(target, flag_feature::n_cpu_moe)) {
        const std::uint32_t k = n_whole;
        unsigned mask = 0;
        for (auto part : {layer_part::expert_gate, layer_part::expert_up, layer_part::expert_down})
            if (s.part(k, part).tensors != 0 && pl.part(k, part) == host_device) mask |= 1u << static_cast<unsigned>(part);
        a.put("blk\\.");
        a.put(std::uint64_t(k));
        a.put("\\.ffn_(");
        detail::expert_parts_regex(a, mask, m);
        detail::expert_suffix_regex(a, m);
        a.put("=CPU");
        arg("-ot");
        flush();
        if (n_whole > 0) {
            arg("--n-cpu-moe");
            a.put(std::uint64_t(n_whole));
            flush();
        }
        return ok;
    }
    if (only_host_experts) {
        std::uint32_t last_expert_layer = 0;
        for (std::uint32_t il = 0; il < n_all; ++il)
            if (s.layer_has_experts[il]) last_expert_layer = il + 1;
        if (n_cpu >= last_expert_layer && supports(target, flag_feature::cpu_moe)) {
            arg("--cpu-moe");
            return ok;
        }
        if (supports(target, flag_feature::n_cpu_moe)) {
            arg("--n-cpu-moe");
            a.put(std::uint64_t(n_cpu));
            flush();
            return ok;
        }
    }
    // general case: -ot rules, most specific first (single tensors, then whole groups, then expert parts by range)
    auto rule_end = [&](std::int32_t dev) { a.put("="); detail::buft_name(a, hw, dev); arg("-ot"); flush(); };
    for (const auto& x : pl.exceptions) {
        a.put("^");
        detail::regex_escape(a, m.tensors[x.tensor].name);
        a.put("$");
        rule_end(x.device);
    }
    // whole non-expert groups apart from their block (the input and output layers included): their tensor names
    auto group_rule = [&](std::size_t g, std::int32_t dev) {
        a.put("^(");
        bool first = true;
        for (const auto& t : m.tensors) {
            if (group_of(t, n_all) != g) continue;
            if (!first) a.put("|");
            first = false;
            detail::regex_escape(a, t.name);
        }
        a.put(")$");
        rule_end(dev);
    };
    if (pl.input != host_device && s.group(group_index::input(n_all)).tensors != 0) group_rule(group_index::input(n_all), pl.input);
    if (pl.output != pl.layers.output() && s.group(group_index::output(n_all)).tensors != 0)
        group_rule(group_index::output(n_all), pl.output);
    for (std::uint32_t il = 0; il < n_all; ++il)
        for (auto part : {layer_part::attention, layer_part::ffn})
            if (s.part(il, part).tensors != 0 && pl.part(il, part) != pl.layers.of(il))
                group_rule(group_index::of(il, part), pl.part(il, part));
    // expert parts: one rule per (parts, device) with the blocks as number ranges
    for (unsigned mask = 1; mask < (1u << layer_part_count); ++mask) {
        if ((mask & 0b00011u) != 0) continue;  // expert parts only
        for (std::int32_t dev = host_device; dev < static_cast<std::int32_t>(hw.devices.size()); ++dev) {
            auto moved_mask = [&](std::uint32_t il) {
                unsigned mk = 0;
                for (auto part : {layer_part::expert_gate, layer_part::expert_up, layer_part::expert_down})
                    if (s.part(il, part).tensors != 0 && pl.part(il, part) != pl.layers.of(il) && pl.part(il, part) == dev)
                        mk |= 1u << static_cast<unsigned>(part);
                return mk;
            };
            bool any = false;
            for (std::uint32_t il = 0; il < n_all && !any; ++il) any = moved_mask(il) == mask;
            if (!any) continue;
            a.put("blk\\.(");
            bool first = true;
            for (std::uint32_t il = 0; il < n_all;) {
                if (moved_mask(il) != mask) { ++il; continue; }
                std::uint32_t end = il;
                while (end + 1 < n_all && moved_mask(end + 1) == mask) ++end;
                detail::number_range_regex(a, il, end, first);
                il = end + 1;
            }
            a.put(")\\.ffn_(");
            detail::expert_parts_regex(a, mask, m);
            detail::expert_suffix_regex(a, m);
            rule_end(dev);
        }
    }
    return ok;
}

/// Emits a placement the user gave (pinned `-ngl`/`-ts`/`-sm`/`-mg`/`-ot`/`--n-cpu-moe`/`--cpu-moe`) as flags that
/// reproduce it: the block counts as resolved, and the user's own `-ot` rules and expert flags, in their order (a
/// rule set rebuilt from the resolved tensors could need far more rules than the user wrote). Returns false if a flag
/// is unknown to the targeted build or an argument would exceed the internal buffer.
template <class Out>
constexpr bool emit_user_placement(const placement& pl, const launch_params& p, const machine& hw, Out&& out,
                                   llama_cpp_version target = {}) noexcept {
    using detail::text;
    text<detail::arg_capacity> a;
    bool ok = true;
    auto flush = [&]() { ok = ok && !a.overflow; out(a.view()); a.clear(); };
    ok = detail::emit_layer_flags(pl, p, hw, out) && ok;
    for (const auto& r : p.overrides) {
        out("-ot");
        a.put(r.pattern);
        a.put("=");
        const std::int32_t dev = override_device(hw, r);
        detail::buft_name(a, hw, dev);
        flush();
    }
    if (p.cpu_moe) {
        ok = ok && supports(target, flag_feature::cpu_moe);
        out("--cpu-moe");
    } else if (p.n_cpu_moe > 0) {
        ok = ok && supports(target, flag_feature::n_cpu_moe);
        out("--n-cpu-moe");
        a.put(std::uint64_t(p.n_cpu_moe));
        flush();
    }
    return ok;
}

/// Emits a plan as a llama-server command line (`program`, then `-m model_path`, then every setting), one argument
/// per call of `out`, with the flag spellings of the targeted llama.cpp build (llama_cpp_version.hpp; by default the
/// build the memory model was measured against, 3f545bec). Every setting is explicit, so the plan never relies on a
/// default that changed between builds. Returns false if a setting cannot be expressed for that build (`--no-repack`
/// before b6049) or an argument would exceed the internal buffer.
template <class Out>
constexpr bool emit_argv(const plan& pl, const model& m, const model_summary& s, const machine& hw,
                         std::string_view model_path, Out&& out, std::string_view program = "llama-server",
                         llama_cpp_version target = {}) noexcept {
    detail::text<64> a;
    const launch_params& p = pl.params;
    bool ok = true;
    auto num = [&](std::string_view flag, std::uint64_t v) { out(flag); a.clear(); a.put(v); out(a.view()); };
    out(program);
    out("-m"); out(model_path);
    {  // the rpc-servers whose devices the machine lists first, in that order (--rpc; see with_rpc_devices)
        detail::text<(max_endpoint_length + 1) * LLAMAPLAN_MAX_DEVICES> rpc;
        for (std::size_t d = 0; d < hw.devices.size(); ++d) {
            if (!hw.devices[d].remote() || (d > 0 && hw.devices[d - 1].endpoint == hw.devices[d].endpoint)) continue;
            if (!rpc.view().empty()) rpc.put(",");
            rpc.put(hw.devices[d].endpoint);
        }
        if (!rpc.view().empty()) { out("--rpc"); out(rpc.view()); }
        ok = ok && !rpc.overflow;
    }
    num("-c", p.n_ctx);
    num("-np", p.n_seq_max);
    if (p.kv_unified) out("-kvu");
    else if (supports(target, flag_feature::no_kv_unified)) out("-no-kvu");
    num("-b", p.n_batch);
    num("-ub", p.n_ubatch);
    out("-ctk"); out(type_name(p.type_k));
    out("-ctv"); out(type_name(p.type_v));
    if (supports(target, flag_feature::fa_value)) {
        out("-fa");
        out(p.flash_attn == flash_attn_mode::off ? "off" : p.flash_attn == flash_attn_mode::on ? "on" : "auto");
    } else if (p.flash_attn != flash_attn_mode::off) {
        out("-fa");  // a switch before b6325, off by default
    }
    ok = (pl.user_placement ? emit_user_placement(pl.place, p, hw, out, target)
                            : emit_placement(pl.place, p, m, s, hw, out, target)) && ok;
    if (!pl.draft_path.empty() && pl.memory.draft.present) {
        // the pinned draft model (common/arg.cpp spellings at 3f545bec), with its placement as priced
        const draft_params& d = pl.draft;
        out("-md"); out(pl.draft_path);
        if (!d.gpu) {
            out("-devd"); out("none");
        } else if (!d.devices.empty()) {
            detail::text<256> names;
            for (std::size_t i = 0; i < d.devices.size(); ++i) {
                if (i > 0) names.put(",");
                names.put(device_name_prefix(d.devices[i].named_backend)).put(std::uint64_t(d.devices[i].named_ordinal));
            }
            out("-devd"); out(names.view());
        }
        num("-ngld", pl.memory.draft.layers.n_gpu_layers);
        out("-ctkd"); out(type_name(d.type_k));
        out("-ctvd"); out(type_name(d.type_v));
        if (!d.overrides.empty()) {
            detail::text<detail::arg_capacity> rules;
            for (std::size_t i = 0; i < d.overrides.size(); ++i) {
                const tensor_override& o = d.overrides[i];
                if (i > 0) rules.put(",");
                rules.put(o.pattern).put("=");
                if (o.named_backend != backend::cpu) rules.put(device_name_prefix(o.named_backend)).put(std::uint64_t(o.named_ordinal));
                else detail::buft_name(rules, hw, o.device);
            }
            ok = ok && !rules.overflow;
            out("-otd"); out(rules.view());
        }
        if (d.cpu_moe) out("-cmoed");
        if (d.n_cpu_moe != 0) num("-ncmoed", d.n_cpu_moe);
    }
    if (!pl.mmproj_path.empty() && pl.memory.mmproj.present) {
        // the pinned multimodal projector, loaded as priced (common/arg.cpp spellings at 3f545bec)
        out("--mmproj"); out(pl.mmproj_path);
        if (!pl.mmproj_load.offload) out("--no-mmproj-offload");
        else if (pl.mmproj_load.has_device) {
            detail::text<32> name;
            name.put(device_name_prefix(pl.mmproj_load.device.named_backend)).put(std::uint64_t(pl.mmproj_load.device.named_ordinal));
            out("-mmdev"); out(name.view());
        }
        if (!pl.mmproj_load.warmup) out("--no-warmup");
    }
    if (p.spec.types != 0) {  // --spec-type changes the target's output rows: keep it, with sizes off their defaults
        detail::text<256> names;
        for (std::size_t i = 0; i < spec_type_names.size(); ++i)
            if ((p.spec.types >> i) & 1u) {
                if (names.n != 0) names.put(",");
                names.put(spec_type_names[i]);
            }
        out("--spec-type"); out(names.view());
        const speculation dflt{};
        if (p.spec.draft_n_max != dflt.draft_n_max) num("--spec-draft-n-max", p.spec.draft_n_max);
        if (p.spec.ngram_simple_m != dflt.ngram_simple_m) num("--spec-ngram-simple-size-m", p.spec.ngram_simple_m);
        if (p.spec.ngram_map_k_m != dflt.ngram_map_k_m) num("--spec-ngram-map-k-size-m", p.spec.ngram_map_k_m);
        if (p.spec.ngram_map_k4v_m != dflt.ngram_map_k4v_m) num("--spec-ngram-map-k4v-size-m", p.spec.ngram_map_k4v_m);
        if (p.spec.ngram_mod_n_max != dflt.ngram_mod_n_max) num("--spec-ngram-mod-n-max", p.spec.ngram_mod_n_max);
    }
    if (pl.threads != 0) num("-t", pl.threads);
    if (pl.threads_batch != 0) num("-tb", pl.threads_batch);
    if (supports(target, flag_feature::load_mode)) {
        out("--load-mode"); out(p.use_mmap ? "mmap" : "none");
    } else if (!p.use_mmap) {
        out("--no-mmap");
    }
    if (supports(target, flag_feature::cache_ram)) {
        if (pl.cache_ram == unset_bytes) { out("-cram"); out("-1"); }
        else num("-cram", pl.cache_ram >> 20);
    }
    if (pl.numa) { out("--numa"); out("distribute"); }
    if (p.swa_full) out("--swa-full");
    if (!p.offload_kqv) out("-nkvo");
    if (!p.cpu_repack) {
        if (supports(target, flag_feature::no_repack)) out("--no-repack");
        else ok = false;
    }
    if (p.embeddings) out("--embeddings");
    if (supports(target, flag_feature::fit)) { out("--fit"); out("off"); }
    return ok;
}

/// Quotes one argument for a POSIX shell (and for llama-swap's shell-word splitting), when it needs it.
template <class Out>
constexpr void shell_quote(std::string_view a, Out&& out) noexcept {
    constexpr std::string_view safe = "-_./:=,+@%";
    bool plain = !a.empty();
    for (char c : a)
        plain = plain && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                          safe.find(c) != std::string_view::npos);
    if (plain) { out(a); return; }
    out("'");
    std::size_t from = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i] == '\'') { out(a.substr(from, i - from)); out("'\\''"); from = i + 1; }
    out(a.substr(from));
    out("'");
}

/// Emits a plan as one shell command line (arguments quoted where needed).
template <class Out>
constexpr bool emit_command_line(const plan& pl, const model& m, const model_summary& s, const machine& hw,
                                 std::string_view model_path, Out&& out, llama_cpp_version target = {}) noexcept {
    bool first = true;
    return emit_argv(pl, m, s, hw, model_path, [&](std::string_view arg) {
        if (!first) out(" ");
        first = false;
        shell_quote(arg, out);
    }, "llama-server", target);
}

/// Emits a plan as a llama-swap `cmd:` block: a YAML literal block, one flag (with its value) per line, listening on
/// llama-swap's `${PORT}` macro.
template <class Out>
constexpr bool emit_llama_swap(const plan& pl, const model& m, const model_summary& s, const machine& hw,
                               std::string_view model_path, Out&& out, std::string_view indent = "    ",
                               llama_cpp_version target = {}) noexcept {
    out("cmd: |\n");
    out(indent);
    bool first = true;
    const bool ok = emit_argv(pl, m, s, hw, model_path, [&](std::string_view arg) {
        // a new line before every flag, so each setting reads on its own line
        if (!first) {
            if (arg.size() > 1 && arg[0] == '-' && !(arg[1] >= '0' && arg[1] <= '9')) { out("\n"); out(indent); }
            else out(" ");
        }
        first = false;
        shell_quote(arg, out);
    }, "llama-server", target);
    out("\n"); out(indent); out("--port ${PORT}\n");
    return ok;
}

/// What llama-cpp-python's `Llama()` cannot express (llama_cpp/llama.py 0.3.x): tensor overrides (its
/// tensor_buft_overrides is an unused pointer), several slots or a unified KV cache (n_seq_max / kv_unified are set
/// for embeddings only), a draft model or `--spec-type` (its draft_model is a Python-side object), a multimodal
/// projector (its chat handlers load one on their own, not priced here). A plan for it is
/// made with these off; emit_python_kwargs refuses a plan that needs them.
[[nodiscard]] constexpr bool python_can_express(const plan& pl) noexcept {
    return !pl.place.overrides && pl.params.n_seq_max == 1 && pl.params.cpu_repack && pl.draft_path.empty() &&
           pl.params.spec.types == 0 && pl.mmproj_path.empty();
}

/// Restricts a goal to what llama-cpp-python's `Llama()` can express (python_can_express): no tensor overrides, one
/// slot without a unified KV cache, no server prompt cache. False, leaving `g` as it was, when a pinned setting
/// needs what it cannot express (-ot, --cpu-moe, --n-cpu-moe, several slots).
[[nodiscard]] constexpr bool python_goal(goal& g) noexcept {
    if (g.pinned.has(setting::tensor_overrides) || (g.pinned.has(setting::n_parallel) && g.params.n_seq_max != 1))
        return false;
    g.tensor_overrides = false;
    g.params.n_seq_max = 1;
    g.params.kv_unified = false;
    g.pinned.add(setting::n_parallel);
    g.pinned.add(setting::kv_unified);
    g.cache_ram = 0;
    g.pinned.add(setting::cache_ram);
    return true;
}

/// Emits a plan as llama-cpp-python keyword arguments (`Llama(model_path=..., ...)`). llama-cpp-python's library
/// defaults differ from llama-server's (swa_full = True, n_ctx = 512, n_gpu_layers = 0), so every setting is given.
/// Returns false, writing nothing, when the plan needs what Llama() cannot express (python_can_express).
template <class Out>
constexpr bool emit_python_kwargs(const plan& pl, const machine& hw, std::string_view model_path, Out&& out) noexcept {
    if (!python_can_express(pl)) return false;
    const launch_params& p = pl.params;
    detail::text<64> t;
    auto num = [&](std::string_view k, std::uint64_t v) { out("    "); out(k); out("="); t.clear(); t.put(v); out(t.view()); out(",\n"); };
    auto boolean = [&](std::string_view k, bool v) { out("    "); out(k); out(v ? "=True,\n" : "=False,\n"); };
    out("Llama(\n    model_path=");
    out("\"");
    for (char c : model_path) {
        if (c == '"' || c == '\\') out("\\");
        out(std::string_view(&c, 1));
    }
    out("\",\n");
    num("n_ctx", p.n_ctx);
    num("n_batch", p.n_batch);
    num("n_ubatch", p.n_ubatch);
    num("n_gpu_layers", pl.place.layers.n_gpu_layers);
    num("split_mode", static_cast<std::uint64_t>(p.split_mode));  // LLAMA_SPLIT_MODE_NONE / LAYER / ROW
    num("main_gpu", p.main_gpu);
    if (hw.devices.size() > 1 && pl.place.layers.n_gpu_layers > 0) {
        out("    tensor_split=[");
        for (std::size_t d = 0; d < hw.devices.size(); ++d) {
            std::uint64_t c = 0;
            for (const auto dev : pl.place.layers.device) c += dev == static_cast<std::int32_t>(d) ? 1 : 0;
            if (d > 0) out(", ");
            t.clear(); t.put(c).put(".0"); out(t.view());
        }
        out("],\n");
    }
    if (pl.threads != 0) num("n_threads", pl.threads);
    if (pl.threads_batch != 0) num("n_threads_batch", pl.threads_batch);
    boolean("flash_attn", pl.memory.flash_attn);
    num("type_k", static_cast<std::uint64_t>(p.type_k));  // ggml type ids (GGML_TYPE_F16 = 1, GGML_TYPE_Q8_0 = 8, ...)
    num("type_v", static_cast<std::uint64_t>(p.type_v));
    boolean("offload_kqv", p.offload_kqv);
    boolean("swa_full", p.swa_full);
    boolean("use_mmap", p.use_mmap);
    boolean("use_mlock", false);
    boolean("embedding", p.embeddings);
    out(")\n");
    return true;
}

namespace detail {
/// A JSON string literal of plain text (quotes, backslashes and control characters escaped).
template <class Out>
constexpr void json_string(Out& out, std::string_view s) noexcept {
    out("\"");
    std::size_t from = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20) continue;
        out(s.substr(from, i - from));
        if (c == '"') out("\\\"");
        else if (c == '\\') out("\\\\");
        else {
            constexpr std::string_view hex = "0123456789abcdef";
            char u[6] = {'\\', 'u', '0', '0', hex[(c >> 4) & 0xf], hex[c & 0xf]};
            out(std::string_view(u, 6));
        }
        from = i + 1;
    }
    out(s.substr(from));
    out("\"");
}
template <class Out>
constexpr void json_u64(Out& out, std::uint64_t v) noexcept {
    text<24> t;
    t.put(v);
    out(t.view());
}
/// A non-negative double with two decimals (tokens/s).
template <class Out>
constexpr void json_rate(Out& out, double v) noexcept {
    if (!(v >= 0) || v > 1e15) v = 0;
    const auto hundredths = static_cast<std::uint64_t>(v * 100 + 0.5);
    text<32> t;
    t.put(hundredths / 100).put(".");
    if (hundredths % 100 < 10) t.put("0");
    t.put(hundredths % 100);
    out(t.view());
}
}  // namespace detail

/// Emits a plan as JSON: `{"ok":..,"preset":..,"argv":[..],"settings":{..},"devices":[..],"throughput":{..},
/// "reasons":[..],"memory":{..}}` (bytes, tokens, tokens/s). A plan that does not fit is `"ok":false` with
/// `"error"` and `"closest"` (the smallest configuration tried, in the same shape).
template <class Out>
constexpr void emit_json(const plan& pl, const model& m, const model_summary& s, const machine& hw,
                         std::string_view model_path, Out&& out, llama_cpp_version target = {}) noexcept {
    using detail::json_string;
    using detail::json_u64;
    auto key = [&](std::string_view k) { json_string(out, k); out(":"); };
    auto body = [&]() {
        key("preset"); json_string(out, to_string(pl.preset)); out(",");
        key("argv"); out("[");
        bool first = true;
        (void)emit_argv(pl, m, s, hw, model_path, [&](std::string_view a) {
            if (!first) out(",");
            first = false;
            json_string(out, a);
        }, "llama-server", target);
        out("],");
        const launch_params& p = pl.params;
        key("settings"); out("{");
        key("n_ctx"); json_u64(out, pl.memory.n_ctx); out(",");
        key("ctx_per_slot"); json_u64(out, pl.ctx_per_slot); out(",");
        key("n_batch"); json_u64(out, pl.memory.n_batch); out(",");
        key("n_ubatch"); json_u64(out, pl.memory.n_ubatch); out(",");
        key("type_k"); json_string(out, type_name(p.type_k)); out(",");
        key("type_v"); json_string(out, type_name(p.type_v)); out(",");
        key("flash_attn"); out(pl.memory.flash_attn ? "true" : "false"); out(",");
        key("n_parallel"); json_u64(out, p.n_seq_max); out(",");
        key("kv_unified"); out(p.kv_unified ? "true" : "false"); out(",");
        key("n_gpu_layers"); json_u64(out, pl.place.layers.n_gpu_layers); out(",");
        key("n_layers"); json_u64(out, pl.place.layers.n_layer_all + 1); out(",");
        key("threads"); json_u64(out, pl.threads); out(",");
        key("threads_batch"); json_u64(out, pl.threads_batch); out(",");
        key("load_mode"); json_string(out, p.use_mmap ? "mmap" : "none"); out(",");
        key("cache_ram"); json_u64(out, pl.cache_ram == unset_bytes ? 0 : pl.cache_ram); out(",");
        key("numa"); out(pl.numa ? "true" : "false");
        out("},");
        key("objective"); out("{");
        key("tokens_per_s"); detail::json_rate(out, pl.score_tps); out(",");
        key("prompt_tokens"); json_u64(out, preset_of(pl.preset).prompt_tokens); out(",");
        key("generate_tokens"); json_u64(out, preset_of(pl.preset).generate_tokens); out(",");
        key("depth"); json_u64(out, preset_of(pl.preset).depth); out(",");
        key("context_cost_percent"); detail::json_rate(out, 100 * pl.context_cost);
        out("},");
        key("warnings"); out("[");
        bool any_warning = false;
        auto warn = [&](std::string_view w) { if (any_warning) out(","); any_warning = true; json_string(out, w); };
        if (hw.host.memory_available == 0) warn("host RAM unknown: the host's budget is not checked");
        if (m.hp.n_ctx_train != 0 && pl.ctx_per_slot > m.hp.n_ctx_train)
            warn("the context per slot exceeds the model's training context: quality drops without RoPE scaling (--rope-scaling yarn)");
        out("],");
        key("devices"); out("[");
        for (std::size_t i = 0; i < pl.budgets.size(); ++i) {
            const auto& b = pl.budgets[i];
            if (i > 0) out(",");
            out("{");
            key("name");
            if (b.device == host_device) json_string(out, "CPU");
            else json_string(out, hw.devices[static_cast<std::size_t>(b.device)].name);
            out(",");
            key("buffer");
            detail::text<buffer_name_capacity> t;
            detail::buft_name(t, hw, b.device);
            json_string(out, t.view());
            out(",");
            key("free"); json_u64(out, b.free); out(",");
            key("planned"); json_u64(out, b.planned); out(",");
            key("margin"); json_u64(out, b.margin); out(",");
            const device_memory* row = pl.memory.row(b.device);
            key("model"); json_u64(out, row ? row->model : 0); out(",");
            key("context"); json_u64(out, row ? row->context : 0); out(",");
            key("compute"); json_u64(out, row ? row->compute : 0); out(",");
            key("overhead"); json_u64(out, row ? row->overhead : 0);
            if (pl.memory.draft.present) { out(","); key("draft"); json_u64(out, row ? row->draft : 0); }
            if (pl.memory.mmproj.present) { out(","); key("mmproj"); json_u64(out, row ? row->mmproj : 0); }
            out("}");
        }
        out("],");
        key("throughput"); out("{");
        key("decode_tps"); detail::json_rate(out, pl.speed.decode_tps); out(",");
        key("prefill_tps"); detail::json_rate(out, pl.speed.prefill_tps); out(",");
        key("prefill_tokens"); json_u64(out, 512); out(",");
        key("depth"); json_u64(out, 0); out(",");
        key("decode_bound"); json_string(out, to_string(pl.speed.decode_bound)); out(",");
        key("prefill_bound"); json_string(out, to_string(pl.speed.prefill_bound)); out(",");
        key("read_bytes_per_token"); json_u64(out, pl.speed.read_bytes); out(",");
        key("gpu_read_bytes_per_token"); json_u64(out, pl.speed.gpu_read_bytes);
        out("},");
        key("reasons"); out("[");
        for (std::size_t i = 0; i < pl.reasons.size(); ++i) {
            const auto& r = pl.reasons[i];
            if (i > 0) out(",");
            out("{");
            key("setting"); json_string(out, to_string(r.what)); out(",");
            key("origin"); json_string(out, to_string(r.how)); out(",");
            key("why"); json_string(out, r.why);
            out("}");
        }
        out("],");
        key("memory"); out("{");
        key("weights"); json_u64(out, pl.memory.weights()); out(",");
        key("kv"); json_u64(out, pl.memory.kv()); out(",");
        key("recurrent"); json_u64(out, pl.memory.recurrent()); out(",");
        key("output"); json_u64(out, pl.memory.output()); out(",");
        key("compute"); json_u64(out, pl.memory.compute());
        out("},");
        key("candidates"); json_u64(out, pl.candidates);
    };
    out("{");
    if (pl.fits) {
        key("ok"); out("true,");
        body();
    } else {
        key("ok"); out("false,");
        key("error"); json_string(out, "nothing fits: even the smallest configuration tried misses its budget"); out(",");
        key("short_device");
        detail::text<buffer_name_capacity> t;
        detail::buft_name(t, hw, pl.short_device);
        json_string(out, t.view());
        out(",");
        key("short_bytes"); json_u64(out, pl.short_bytes); out(",");
        key("closest"); out("{");
        body();
        out("}");
    }
    out("}");
}

/// Emits a runtime configuration a launcher can read: the hardware profile the plan was made for, the targeted
/// llama.cpp build and the plan as emit_json writes it (settings, argv, expected tokens/s, reasons).
template <class Out>
constexpr void emit_runtime_config(const plan& pl, const model& m, const model_summary& s, const machine& hw,
                                   std::string_view model_path, Out&& out, llama_cpp_version target = {}) noexcept {
    using detail::json_string;
    using detail::json_u64;
    auto key = [&](std::string_view k) { json_string(out, k); out(":"); };
    out("{");
    key("format"); json_string(out, "llamaplan-runtime-config"); out(",");
    key("format_version"); json_u64(out, 1); out(",");
    key("llamaplan"); json_string(out, LLAMAPLAN_VERSION_STRING); out(",");
    key("llama_cpp_build"); json_u64(out, target.build); out(",");
    key("model"); json_string(out, model_path); out(",");
    key("hardware"); out("{");
    key("platform"); json_string(out, hw.host.platform); out(",");
    key("cpu_cores"); json_u64(out, hw.host.cpus_physical); out(",");
    key("cpu_threads"); json_u64(out, hw.host.cpus_logical); out(",");
    key("numa_nodes"); json_u64(out, hw.host.numa_nodes); out(",");
    key("ram"); json_u64(out, hw.host.memory_total); out(",");
    key("ram_available"); json_u64(out, hw.host.memory_available); out(",");
    key("ram_bandwidth"); json_u64(out, hw.host.bandwidth); out(",");
    key("gpus"); out("[");
    for (std::size_t d = 0; d < hw.devices.size(); ++d) {
        const auto& g = hw.devices[d];
        if (d > 0) out(",");
        out("{");
        key("name"); json_string(out, g.name); out(",");
        key("backend"); json_string(out, to_string(g.kind)); out(",");
        key("memory_total"); json_u64(out, g.memory_total); out(",");
        key("memory_free"); json_u64(out, g.memory_free); out(",");
        key("bandwidth"); json_u64(out, g.bandwidth); out(",");
        key("unified_memory"); out(g.unified_memory ? "true" : "false");
        out("}");
    }
    out("]},");
    key("plan");
    emit_json(pl, m, s, hw, model_path, out, target);
    out("}");
}

/// Emits where every tensor lives under a plan, as JSON (the tensor-override optimizer's analysis): per device its
/// buffer name, free memory and what the plan puts there; per tensor its name, role, block, bytes and buffer.
template <class Out>
constexpr void emit_tensor_analysis(const plan& pl, const model& m, const machine& hw, Out&& out) noexcept {
    using detail::json_string;
    using detail::json_u64;
    auto key = [&](std::string_view k) { json_string(out, k); out(":"); };
    auto buft = [&](std::int32_t d) { detail::text<buffer_name_capacity> t; detail::buft_name(t, hw, d); json_string(out, t.view()); };
    out("{");
    key("fits"); out(pl.fits ? "true" : "false"); out(",");
    key("devices"); out("[");
    for (std::size_t i = 0; i < pl.budgets.size(); ++i) {
        const auto& b = pl.budgets[i];
        const device_memory* row = pl.memory.row(b.device);
        if (i > 0) out(",");
        out("{");
        key("buffer"); buft(b.device); out(",");
        key("name");
        json_string(out, b.device == host_device ? std::string_view("CPU") : hw.devices[static_cast<std::size_t>(b.device)].name);
        out(",");
        key("free"); json_u64(out, b.free); out(",");
        key("weights"); json_u64(out, row ? row->model : 0); out(",");
        key("planned"); json_u64(out, b.planned); out(",");
        key("margin"); json_u64(out, b.margin);
        out("}");
    }
    out("],");
    key("tensors"); out("[");
    for (std::size_t i = 0; i < m.tensors.size(); ++i) {
        const auto& t = m.tensors[i];
        if (i > 0) out(",");
        out("{");
        key("name"); json_string(out, t.name); out(",");
        key("role"); json_string(out, to_string(t.role)); out(",");
        key("layer"); if (t.layer < 0) out("null"); else json_u64(out, static_cast<std::uint64_t>(t.layer)); out(",");
        key("bytes"); json_u64(out, t.bytes); out(",");
        key("buffer"); buft(pl.place.tensor_device(static_cast<std::uint32_t>(i), t));
        out("}");
    }
    out("]}");
}

}  // namespace llamaplan

#endif  // LLAMAPLAN_EMIT_HPP
