// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_EMIT_HPP
#define LLAMAPLAN_EMIT_HPP

// Renders plans: llama-server argv with the current flag spellings (values as separate arguments, `-fa on|off`,
// `--load-mode`, `--fit off` since the plan sets placement), the placement as the shortest flags (layer ranges in
// `-ot` regexes, `--n-cpu-moe` / `--cpu-moe` where they say the same thing), and JSON. Pure: text goes to a sink
// the caller supplies (any callable taking std::string_view), so nothing here allocates or does I/O.

#include <llamaplan/memory.hpp>
#include <llamaplan/planner.hpp>

#include <array>
#include <cstdint>
#include <string_view>

namespace llamaplan {

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
    char tmp[24]{};
    out.put(buffer_name(hw, {buffer_kind::gpu, device}, tmp));
}

/// The regex alternatives of a set of expert parts (bit p = layer_part p).
template <std::size_t N>
constexpr void expert_parts_regex(text<N>& out, unsigned mask) noexcept {
    bool first = true;
    auto alt = [&](std::string_view s) { if (!first) out.put("|"); first = false; out.put(s); };
    if (mask >> static_cast<unsigned>(layer_part::expert_up) & 1u) alt("up");
    if (mask >> static_cast<unsigned>(layer_part::expert_down) & 1u) alt("down");
    if (mask >> static_cast<unsigned>(layer_part::expert_gate) & 1u) { alt("gate"); alt("gate_up"); }
}

inline constexpr std::size_t arg_capacity = 8192;
}  // namespace detail

/// Emits the placement as llama-server flags (`-ngl`, `-sm`/`-mg`/`-ts`, `-ot`, `--n-cpu-moe`/`--cpu-moe`), one
/// argument per call of `out`. Returns false if an argument would exceed the internal buffer (8 KiB).
template <class Out>
constexpr bool emit_placement(const placement& pl, const launch_params& p, const model& m, const model_summary& s,
                              const machine& hw, Out&& out) noexcept {
    using detail::text;
    text<detail::arg_capacity> a;
    bool ok = true;
    auto arg = [&](std::string_view v) { out(v); };
    auto flush = [&]() { ok = ok && !a.overflow; out(a.view()); a.clear(); };
    const std::uint32_t n_all = pl.layers.n_layer_all;

    arg("-ngl");
    a.put(std::uint64_t(pl.layers.n_gpu_layers));
    flush();
    if (p.split_mode == split_mode::none) {
        arg("-sm"); arg("none");
        arg("-mg"); a.put(std::uint64_t(p.main_gpu)); flush();
    } else if (hw.devices.size() > 1 && pl.layers.n_gpu_layers > 0) {
        if (p.split_mode != split_mode::layer) { arg("-sm"); arg(p.split_mode == split_mode::row ? "row" : "tensor"); }
        arg("-ts");
        for (std::size_t d = 0; d < hw.devices.size(); ++d) {
            std::uint64_t c = 0;
            for (const auto dev : pl.layers.device) c += dev == static_cast<std::int32_t>(d) ? 1 : 0;
            if (d > 0) a.put(",");
            a.put(c);
        }
        flush();
    }
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
    if (only_host_experts) {
        for (std::uint32_t il = 0; il < n_cpu && only_host_experts; ++il)
            for (auto part : {layer_part::expert_gate, layer_part::expert_up, layer_part::expert_down})
                if (s.part(il, part).tensors != 0 && pl.part(il, part) != host_device) only_host_experts = false;
    }
    if (only_host_experts) {
        std::uint32_t last_expert_layer = 0;
        for (std::uint32_t il = 0; il < n_all; ++il)
            if (s.layer_has_experts[il]) last_expert_layer = il + 1;
        if (n_cpu >= last_expert_layer) {
            arg("--cpu-moe");
        } else {
            arg("--n-cpu-moe");
            a.put(std::uint64_t(n_cpu));
            flush();
        }
        return ok;
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
            detail::expert_parts_regex(a, mask);
            a.put(")_(ch|)exps");
            rule_end(dev);
        }
    }
    return ok;
}

/// Emits a plan as a llama-server command line (`program`, then `-m model_path`, then every setting), one
/// argument per call of `out`. The flags are those of llama.cpp at the commit the memory model was measured
/// against (3f545bec, common/arg.cpp). Returns false if an argument would exceed the internal buffer.
template <class Out>
constexpr bool emit_argv(const plan& pl, const model& m, const model_summary& s, const machine& hw,
                         std::string_view model_path, Out&& out, std::string_view program = "llama-server") noexcept {
    detail::text<64> a;
    const launch_params& p = pl.params;
    auto num = [&](std::string_view flag, std::uint64_t v) { out(flag); a.clear(); a.put(v); out(a.view()); };
    out(program);
    out("-m"); out(model_path);
    num("-c", p.n_ctx);
    num("-np", p.n_seq_max);
    out(p.kv_unified ? "-kvu" : "-no-kvu");
    num("-b", p.n_batch);
    num("-ub", p.n_ubatch);
    out("-ctk"); out(type_name(p.type_k));
    out("-ctv"); out(type_name(p.type_v));
    out("-fa"); out(p.flash_attn == flash_attn_mode::off ? "off" : p.flash_attn == flash_attn_mode::on ? "on" : "auto");
    const bool ok = emit_placement(pl.place, p, m, s, hw, out);
    if (pl.threads != 0) num("-t", pl.threads);
    if (pl.threads_batch != 0) num("-tb", pl.threads_batch);
    out("--load-mode"); out(p.use_mmap ? "mmap" : "none");
    if (pl.cache_ram == unset_bytes) { out("-cram"); out("-1"); }
    else num("-cram", pl.cache_ram >> 20);
    if (pl.numa) { out("--numa"); out("distribute"); }
    if (p.swa_full) out("--swa-full");
    if (!p.offload_kqv) out("-nkvo");
    if (!p.cpu_repack) out("--no-repack");
    if (p.embeddings) out("--embeddings");
    out("--fit"); out("off");
    return ok;
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
                         std::string_view model_path, Out&& out) noexcept {
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
        });
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
            detail::text<32> t;
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
            out("}");
        }
        out("],");
        key("throughput"); out("{");
        key("decode_tps"); detail::json_rate(out, pl.speed.decode_tps); out(",");
        key("prefill_tps"); detail::json_rate(out, pl.speed.prefill_tps); out(",");
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
        detail::text<32> t;
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

}  // namespace llamaplan

#endif  // LLAMAPLAN_EMIT_HPP
