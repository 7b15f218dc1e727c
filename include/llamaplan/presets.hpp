// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_PRESETS_HPP
#define LLAMAPLAN_PRESETS_HPP

#include <llamaplan/config.hpp>

// Planning goals as data: one row per preset. The planner reads nothing but these fields, so a new goal is a new
// row, not new code.

#include <llamaplan/ggml_types.hpp>
#include <llamaplan/machine.hpp>

#include <array>
#include <cstdint>
#include <string_view>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG {

/// The planning goals, by the names people use (the first six are the llama-swap optimizer's presets, the last four
/// the use cases of one-command auto-configuration tools).
enum class preset_id : std::uint8_t {
    balanced,           ///< the default: full speed first, then a comfortable context
    high_speed,         ///< the most layers on the fastest memory; a modest context
    more_context,       ///< the longest context first, then speed
    system_safe,        ///< wide margins; leaves room for the desktop and other programs
    ultra_performance,  ///< thin margins, large batches: everything for throughput
    moe_optimized,      ///< MoE: dense parts on GPUs first, routed experts wherever memory remains
    general,            ///< use case: general chat (as balanced)
    long_context,       ///< use case: long documents (context first, quantized KV allowed)
    speed,              ///< use case: latency (as high_speed)
    quality,            ///< use case: best output quality (full-precision KV only)
};

/// Number of preset_id values.
inline constexpr std::size_t preset_count = 10;

/// Which goal comes first when memory is short.
enum class priority : std::uint8_t {
    offload,  ///< put the most bytes read per token on the fastest memory, then grow the context
    context,  ///< reach the longest context, then put what remains on the fastest memory
};

/// A planning goal. Context values are per slot (tokens); margins are kept free on each device (bytes).
struct preset {
    preset_id id = preset_id::balanced;  ///< which preset
    std::string_view name{};             ///< its name on the command line ("balanced")
    std::string_view summary{};          ///< one line for help and reasons
    priority first = priority::offload;  ///< what wins when memory is short
    std::uint32_t ctx_floor = 4096;      ///< context the plan reaches before anything else (tokens per slot)
    std::uint32_t ctx_target = 32768;    ///< context it grows to when memory allows (tokens per slot; 0 = training context)
    std::array<ggml_type, 3> kv_types{ggml_type::f16, ggml_type::q8_0, ggml_type::f16};  ///< KV cache types, preferred first
    std::uint32_t n_kv_types = 2;        ///< entries of kv_types in use
    std::array<std::uint32_t, 3> ubatch{512, 1024, 4096};  ///< physical batches tried (tokens), smallest first: a larger
                                                           ///< one is taken when the objective gains from it
    std::uint32_t n_ubatch = 1;          ///< entries of ubatch in use
    std::uint32_t n_parallel = 4;        ///< slots (`-np`; llama-server's default: 4 sharing a unified KV cache)
    std::uint64_t gpu_margin = 1024ull << 20;   ///< free memory kept on each GPU (bytes; llama.cpp --fit's default)
    std::uint64_t host_margin = 2048ull << 20;  ///< free RAM kept for the OS and other programs (bytes)
    std::uint32_t host_margin_percent = 5;      ///< ... or this share of the host's RAM, whichever is larger
    // the objective: predicted time of one request (prompt_tokens of prompt processing, then generate_tokens decoded
    // at depth tokens of context, perf.hpp), as tokens/s; plans within speed_tolerance of the best count as equally fast
    std::uint32_t prompt_tokens = 2048;  ///< prompt of a typical request (tokens)
    std::uint32_t generate_tokens = 256; ///< tokens generated per request (tokens)
    std::uint32_t depth = 4096;          ///< context filled while generating (tokens)
    double speed_tolerance = 0.02;       ///< speed given up for more context, slots or fewer devices (fraction)
};

/// The preset table.
inline constexpr std::array<preset, preset_count> presets = {{
    // id, name, summary, first, ctx floor, ctx target, KV types (n), ubatches (n), slots, GPU margin, host margin
    // (MiB, %), request: prompt, generated, depth (tokens), speed tolerance
    {preset_id::balanced, "balanced", "full speed first, then a comfortable context (default)", priority::offload, 4096, 32768, {ggml_type::f16, ggml_type::q8_0, ggml_type::f16}, 2, {512, 1024, 4096}, 3, 4,
     1024ull << 20, 2048ull << 20, 5, 2048, 256, 4096, 0.02},
    {preset_id::high_speed, "high_speed", "the fastest plan; a modest context", priority::offload, 4096, 8192, {ggml_type::f16, ggml_type::q8_0, ggml_type::f16}, 2, {512, 1024, 4096}, 3, 4,
     768ull << 20, 2048ull << 20, 5, 512, 512, 0, 0.01},
    {preset_id::more_context, "more_context", "the longest context first, then speed", priority::context, 8192, 0, {ggml_type::f16, ggml_type::q8_0, ggml_type::q4_0}, 3, {512, 1024, 4096}, 3, 4,
     1024ull << 20, 2048ull << 20, 5, 8192, 256, 16384, 0.02},
    {preset_id::system_safe, "system_safe", "wide margins for the desktop and other programs", priority::offload, 4096, 16384, {ggml_type::f16, ggml_type::q8_0, ggml_type::f16}, 2, {512, 1024, 2048}, 2, 4,
     2048ull << 20, 4096ull << 20, 15, 2048, 256, 4096, 0.03},
    {preset_id::ultra_performance, "ultra_performance", "thin margins and large batches, all for throughput", priority::offload, 4096, 16384, {ggml_type::f16, ggml_type::q8_0, ggml_type::f16}, 2, {512, 2048, 4096}, 3, 4,
     512ull << 20, 1024ull << 20, 3, 4096, 256, 4096, 0.01},
    {preset_id::moe_optimized, "moe_optimized", "dense parts on GPUs first, routed experts where memory remains", priority::offload, 4096, 32768, {ggml_type::f16, ggml_type::q8_0, ggml_type::f16}, 2, {512, 2048, 4096}, 3, 4,
     1024ull << 20, 2048ull << 20, 5, 4096, 256, 4096, 0.02},
    {preset_id::general, "general", "use case: general chat (as balanced)", priority::offload, 4096, 32768, {ggml_type::f16, ggml_type::q8_0, ggml_type::f16}, 2, {512, 1024, 4096}, 3, 4,
     1024ull << 20, 2048ull << 20, 5, 2048, 256, 4096, 0.02},
    {preset_id::long_context, "long_context", "use case: long documents (context first, quantized KV)", priority::context, 16384, 0, {ggml_type::f16, ggml_type::q8_0, ggml_type::q4_0}, 3, {512, 1024, 4096}, 3, 4,
     1024ull << 20, 2048ull << 20, 5, 16384, 256, 32768, 0.02},
    {preset_id::speed, "speed", "use case: latency (as high_speed)", priority::offload, 4096, 8192, {ggml_type::f16, ggml_type::q8_0, ggml_type::f16}, 2, {512, 1024, 4096}, 3, 4,
     768ull << 20, 2048ull << 20, 5, 512, 512, 0, 0.01},
    {preset_id::quality, "quality", "use case: best output quality (full-precision KV cache only)", priority::offload, 4096, 32768, {ggml_type::f16, ggml_type::f16, ggml_type::f16}, 1, {512, 1024, 4096}, 3, 4,
     1024ull << 20, 2048ull << 20, 5, 2048, 256, 4096, 0.02},
}};

/// The preset row of an id.
[[nodiscard]] constexpr const preset& preset_of(preset_id id) noexcept {
    const auto i = static_cast<std::size_t>(id);
    return presets[i < presets.size() ? i : 0];
}

/// The name of a preset ("balanced").
[[nodiscard]] constexpr std::string_view to_string(preset_id id) noexcept { return preset_of(id).name; }

/// Parses a preset name (as to_string spells it; '-' is accepted for '_').
[[nodiscard]] constexpr bool parse_preset(std::string_view s, preset_id& out) noexcept {
    for (const auto& p : presets) {
        if (p.name.size() != s.size()) continue;
        bool same = true;
        for (std::size_t i = 0; i < s.size() && same; ++i) same = p.name[i] == (s[i] == '-' ? '_' : s[i]);
        if (same) { out = p.id; return true; }
    }
    return false;
}

/// How each backend's memory is budgeted (one row per backend).
struct backend_rule {
    backend kind = backend::cuda;  ///< which backend
    std::uint32_t margin_percent = 100;  ///< the preset's GPU margin is scaled by this (percent)
    bool shares_host_memory = false;     ///< its memory is the host's RAM: planned bytes count against the host too
};

/// Backend rules: Vulkan drivers report free memory less reliably and allocate outside it (a larger margin); Metal
/// and other unified-memory GPUs share the host's RAM (planned bytes count against the host, and no mlock).
inline constexpr std::array<backend_rule, 7> backend_rules = {{
    {backend::cpu, 100, true},
    {backend::cuda, 100, false},
    {backend::rocm, 100, false},
    {backend::vulkan, 150, false},
    {backend::metal, 100, true},
    {backend::sycl, 125, false},
    {backend::other, 150, false},
}};

/// The rule of a backend.
[[nodiscard]] constexpr const backend_rule& rule_of(backend b) noexcept {
    const auto i = static_cast<std::size_t>(b);
    return backend_rules[i < backend_rules.size() ? i : backend_rules.size() - 1];
}

}  // namespace llamaplan

#endif  // LLAMAPLAN_PRESETS_HPP
