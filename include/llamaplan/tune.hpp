// SPDX-License-Identifier: MIT
// Tuning a running plan from what llama-server shows (its /metrics and /slots): which goal to change, and why.
#ifndef LLAMAPLAN_TUNE_HPP
#define LLAMAPLAN_TUNE_HPP

#include <llamaplan/config.hpp>
#include <llamaplan/detail/fixed_vector.hpp>
#include <llamaplan/ggml_types.hpp>

#include <cstdint>
#include <string_view>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG {

/// What a running llama-server shows: its /metrics (with --metrics; tools/server/server-task.cpp to_metrics) and
/// /slots. Fields a scrape did not give stay 0.
struct observation {
    double decode_tps = 0;               ///< llamacpp:predicted_tokens_seconds: generation tokens/s (recent average)
    double prompt_tps = 0;               ///< llamacpp:prompt_tokens_seconds: prompt tokens/s
    std::uint32_t n_tokens_max = 0;      ///< llamacpp:n_tokens_max: longest sequence seen (tokens): the context high-water mark
    std::uint32_t requests_processing = 0;  ///< llamacpp:requests_processing: busy slots now
    std::uint32_t requests_deferred = 0; ///< llamacpp:requests_deferred: requests waiting for a slot now
    double busy_slots_per_decode = 0;    ///< llamacpp:n_busy_slots_per_decode: mean busy slots per llama_decode
    std::uint64_t tokens_predicted = 0;  ///< llamacpp:tokens_predicted_total
    std::uint64_t n_decode = 0;          ///< llamacpp:n_decode_total
    std::uint32_t n_slots = 0;           ///< /slots: slots
    std::uint32_t busy_slots = 0;        ///< /slots: slots with is_processing
    std::uint32_t n_ctx_slot = 0;        ///< /slots: context per slot (tokens)
    bool has_metrics = false;            ///< a /metrics scrape was read
    bool has_slots = false;              ///< a /slots scrape was read
};

/// The plan that is running, as far as tuning needs it.
struct running_plan {
    std::uint32_t n_ctx_slot = 0;        ///< context per slot (tokens)
    std::uint32_t n_slots = 1;           ///< slots (-np)
    ggml_type type_k = ggml_type::f16;   ///< K cache type
    ggml_type type_v = ggml_type::f16;   ///< V cache type
    std::uint32_t n_ubatch = 512;        ///< physical batch (tokens)
    double predicted_decode_tps = 0;     ///< the plan's predicted decode tokens/s (0 = unknown)
    std::uint64_t memory_planned = 0;    ///< bytes the plan uses on its fullest device (0 = unknown)
    std::uint64_t memory_budget = 0;     ///< that device's budget (bytes; 0 = unknown)
};

/// What the operator wants, like a real-time optimizer's constraints (0 = no target).
struct tune_targets {
    double min_decode_tps = 0;           ///< generation tokens/s per request at least
    double max_ms_per_token = 0;         ///< latency per generated token at most (ms)
    double memory_threshold = 0.9;       ///< fraction of the budget a plan may fill before growing anything
};

/// A goal adjustment.
enum class tune_action : std::uint8_t { more_slots, fewer_slots, larger_context, smaller_context, quantize_kv, smaller_ubatch };

/// A short name for an action ("more_slots", ...).
[[nodiscard]] constexpr std::string_view to_string(tune_action a) noexcept {
    switch (a) {
        case tune_action::more_slots: return "more_slots";
        case tune_action::fewer_slots: return "fewer_slots";
        case tune_action::larger_context: return "larger_context";
        case tune_action::smaller_context: return "smaller_context";
        case tune_action::quantize_kv: return "quantize_kv";
        case tune_action::smaller_ubatch: return "smaller_ubatch";
    }
    return "?";
}

/// One recommended change: the action, its new value (slots, tokens per slot, ubatch; for quantize_kv the ggml type
/// as an integer) and the reason.
struct tune_step {
    tune_action action = tune_action::more_slots;  ///< what to change
    std::uint32_t value = 0;                       ///< the new value (see above)
    std::string_view reason{};                     ///< why (a literal)
};

/// The changes recommended, most important first.
using tune_steps = detail::fixed_vector<tune_step, 8>;

namespace detail {
[[nodiscard]] constexpr std::uint32_t pad256(std::uint64_t n) noexcept {
    const std::uint64_t p = (n + 255) / 256 * 256;
    return static_cast<std::uint32_t>(p > 0xffffff00u ? 0xffffff00u : (p < 256 ? 256 : p));
}
}  // namespace detail

/// Recommends goal adjustments for a running plan from an observation and targets. Rules (each only when the scrape
/// gave what it needs):
/// - requests wait (deferred > 0) while every slot is busy: more slots (twice as many, at most 64) when memory is
///   under the threshold, else a smaller context per slot (1.25x the high-water mark) to fund them;
/// - the context high-water mark is under half the slot's context: a smaller context (1.5x the mark, padded to
///   256); at 90 % or more of it: a larger one (twice) when memory allows, else a quantized KV cache (q8_0);
/// - generation is slower than the target (tokens/s, or ms per token) with more than 1.5 busy slots per decode:
///   fewer slots (half); with about one busy slot and an f16 KV cache: q8_0 KV (fewer bytes read per token);
/// - memory above the threshold: a smaller ubatch (half, at least 64): the compute buffer grows with it.
[[nodiscard]] constexpr tune_steps recommend(const running_plan& plan, const observation& obs, const tune_targets& t) noexcept {
    tune_steps out;
    const bool memory_known = plan.memory_budget > 0;
    const double fill = memory_known ? static_cast<double>(plan.memory_planned) / static_cast<double>(plan.memory_budget) : 0.0;
    const bool headroom = !memory_known || fill < t.memory_threshold;
    const std::uint32_t slots = obs.has_slots && obs.n_slots ? obs.n_slots : plan.n_slots;
    const std::uint32_t ctx = obs.has_slots && obs.n_ctx_slot ? obs.n_ctx_slot : plan.n_ctx_slot;
    const bool all_busy = obs.has_slots ? obs.busy_slots >= slots : obs.requests_processing >= slots;
    if (obs.has_metrics && obs.requests_deferred > 0 && all_busy) {
        if (headroom && slots < 64)
            (void)out.push_back({tune_action::more_slots, slots * 2 > 64 ? 64 : slots * 2,
                                 "requests wait for a slot while every slot is busy, and memory allows more slots"});
        else if (obs.n_tokens_max > 0 && obs.n_tokens_max * 5ull / 4 < ctx)
            (void)out.push_back({tune_action::smaller_context, detail::pad256(obs.n_tokens_max * 5ull / 4),
                                 "requests wait for a slot and memory is full: a smaller context per slot funds more slots"});
    }
    if (obs.has_metrics && obs.n_tokens_max > 0 && ctx > 0) {
        if (obs.n_tokens_max * 2ull < ctx) {
            const std::uint32_t v = detail::pad256(obs.n_tokens_max * 3ull / 2);
            if (v < ctx)
                (void)out.push_back({tune_action::smaller_context, v, "the longest sequence used under half of the slot's context"});
        } else if (obs.n_tokens_max * 10ull >= ctx * 9ull) {
            if (headroom)
                (void)out.push_back({tune_action::larger_context, detail::pad256(ctx * 2ull),
                                     "the longest sequence reached 90 % of the slot's context, and memory allows more"});
            else if (plan.type_k == ggml_type::f16)
                (void)out.push_back({tune_action::quantize_kv, static_cast<std::uint32_t>(ggml_type::q8_0),
                                     "the longest sequence reached 90 % of the slot's context and memory is full: q8_0 KV halves it"});
        }
    }
    const double ms = obs.decode_tps > 0 ? 1000.0 / obs.decode_tps : 0.0;
    const bool slow = obs.has_metrics && obs.decode_tps > 0 &&
                      ((t.min_decode_tps > 0 && obs.decode_tps < t.min_decode_tps) || (t.max_ms_per_token > 0 && ms > t.max_ms_per_token));
    if (slow) {
        if (obs.busy_slots_per_decode > 1.5 && slots > 1)
            (void)out.push_back({tune_action::fewer_slots, slots / 2,
                                 "generation is slower than the target while several slots share each decode"});
        else if (plan.type_k == ggml_type::f16)
            (void)out.push_back({tune_action::quantize_kv, static_cast<std::uint32_t>(ggml_type::q8_0),
                                 "generation is slower than the target with one request: q8_0 KV reads fewer bytes per token"});
    }
    if (memory_known && fill >= t.memory_threshold && plan.n_ubatch > 64)
        (void)out.push_back({tune_action::smaller_ubatch, plan.n_ubatch / 2 < 64 ? 64 : plan.n_ubatch / 2,
                             "memory is above the threshold: the compute buffer shrinks with the ubatch"});
    return out;
}

}  // namespace llamaplan

#endif  // LLAMAPLAN_TUNE_HPP
