// SPDX-License-Identifier: MIT
// llama-server's live state: its /metrics (Prometheus text, with --metrics) and /slots (JSON) as an observation for
// llamaplan::recommend (include/llamaplan/tune.hpp). Pure over text: the host fetches the bytes.
#ifndef LLAMAPLAN_LOGS_METRICS_HPP
#define LLAMAPLAN_LOGS_METRICS_HPP

#include <llamaplan/config.hpp>
#include <llamaplan/probe/json.hpp>
#include <llamaplan/result.hpp>
#include <llamaplan/tune.hpp>

#include <charconv>
#include <cstdint>
#include <string_view>
#include <system_error>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::logs {

/// Largest /metrics or /slots text read (bytes).
inline constexpr std::size_t max_scrape_bytes = 1u << 20;

/// Reads llama-server's /metrics text (tools/server/server-task.cpp server_task_result_metrics::to_metrics: one
/// "llamacpp:NAME VALUE" line per metric, "# HELP"/"# TYPE" lines, labelled series) into `obs`. Refuses text with no
/// llamacpp: metric ("not llama-server /metrics").
[[nodiscard]] inline result<bool> read_metrics(std::string_view text, observation& obs) {
    if (text.size() > max_scrape_bytes) return make_error(errc::overflow, "/metrics text too large", max_scrape_bytes);
    std::size_t pos = 0, found = 0;
    while (pos < text.size()) {
        auto nl = text.find('\n', pos);
        if (nl == std::string_view::npos) nl = text.size();
        std::string_view line = text.substr(pos, nl - pos);
        pos = nl + 1;
        if (line.substr(0, 9) != "llamacpp:") continue;
        line.remove_prefix(9);
        const auto sp = line.find(' ');
        if (sp == std::string_view::npos || line.find('{') < sp) continue;  // labelled series: not used
        const std::string_view name = line.substr(0, sp);
        std::string_view v = line.substr(sp + 1);
        while (!v.empty() && (v.back() == '\r' || v.back() == ' ')) v.remove_suffix(1);
        double x = 0;
        if (!probe::detail::parse_double(v, x) || !(x >= 0) || x > 1e15) continue;  // libc++-safe (probe/text.hpp)
        ++found;
        if (name == "prompt_tokens_seconds") obs.prompt_tps = x;
        else if (name == "predicted_tokens_seconds") obs.decode_tps = x;
        else if (name == "n_tokens_max") obs.n_tokens_max = static_cast<std::uint32_t>(x);
        else if (name == "requests_processing") obs.requests_processing = static_cast<std::uint32_t>(x);
        else if (name == "requests_deferred") obs.requests_deferred = static_cast<std::uint32_t>(x);
        else if (name == "n_busy_slots_per_decode") obs.busy_slots_per_decode = x;
        else if (name == "tokens_predicted_total") obs.tokens_predicted = static_cast<std::uint64_t>(x);
        else if (name == "n_decode_total") obs.n_decode = static_cast<std::uint64_t>(x);
        else --found;
    }
    if (found == 0) return make_error(errc::bad_magic, "not llama-server /metrics text (no llamacpp: metric)", 0);
    obs.has_metrics = true;
    return true;
}

/// Reads llama-server's /slots JSON (an array of slots, each with "n_ctx" and "is_processing") into `obs`.
[[nodiscard]] inline result<bool> read_slots(std::string_view text, observation& obs) {
    probe::json::limits lim;
    lim.max_size = max_scrape_bytes;
    lim.max_depth = 64;
    auto v = probe::json::parse(text, lim);
    if (!v) return v.error();
    if (v->type != probe::json::kind::array) return make_error(errc::type_mismatch, "/slots is not a JSON array", 0);
    std::uint32_t n = 0, busy = 0, ctx = 0;
    for (const auto& s : v->items) {
        if (s.type != probe::json::kind::object) return make_error(errc::type_mismatch, "a slot is not a JSON object", s.offset);
        ++n;
        if (const auto* p = s.find("is_processing"); p && p->type == probe::json::kind::boolean && p->boolean) ++busy;
        if (const auto* c = s.find("n_ctx"); c && c->type == probe::json::kind::number) {
            std::uint64_t x = 0;
            if (c->get_u64(x) && x < (1u << 31)) ctx = static_cast<std::uint32_t>(x);
        }
    }
    obs.n_slots = n;
    obs.busy_slots = busy;
    obs.n_ctx_slot = ctx;
    obs.has_slots = true;
    return true;
}

}  // namespace llamaplan::logs

#endif  // LLAMAPLAN_LOGS_METRICS_HPP
