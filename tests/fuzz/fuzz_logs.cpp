// libFuzzer harness: the llama.cpp log reader (adapters/logs reader.hpp).
// Invariants: it never crashes, hangs or allocates without bound (tools/fuzz.sh's -timeout and -malloc_limit_mb);
// it keeps at most max_runs runs and max_items items per list; a refused text carries a message; reading is
// deterministic; every run's lines lie inside the text and in order; the same text with a run appended reads as at
// least as many runs; re-planning after it only shrinks budgets, with a reason each; the same bytes read as a
// /metrics or /slots scrape give an observation or an error.
#include "fuzz_check.hpp"

#include <llamaplan/logs/metrics.hpp>
#include <llamaplan/logs/reader.hpp>
#include <llamaplan/logs/replan.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace llamaplan;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    // the same bytes as a /metrics or /slots scrape: an observation or an error, never a crash
    observation obs;
    if (auto m = logs::read_metrics(text, obs); !m) FUZZ_CHECK(!m.error().what.empty());
    if (auto s = logs::read_slots(text, obs); !s) FUZZ_CHECK(!s.error().what.empty());
    auto r = logs::read_log(text);
    if (!r) {
        FUZZ_CHECK(!r.error().what.empty());
        return 0;
    }
    FUZZ_CHECK(!r->runs.empty() && r->runs.size() <= logs::max_runs);
    FUZZ_CHECK(r->recognized <= r->lines);
    std::size_t prev_first = 0;
    for (const auto& run : r->runs) {
        FUZZ_CHECK(run.buffers.size() <= logs::max_items && run.devices.size() <= logs::max_items);
        FUZZ_CHECK(run.kv.size() <= logs::max_items && run.rs.size() <= logs::max_items);
        FUZZ_CHECK(run.breakdown.size() <= logs::max_items && run.timings.size() <= logs::max_items);
        FUZZ_CHECK(run.first_line >= prev_first && run.last_line <= r->lines);
        FUZZ_CHECK(run.model_path.size() <= 1024 && run.failure.text.size() <= 300);
        for (const auto& b : run.buffers) FUZZ_CHECK(!b.name.empty() && b.name.size() <= logs::max_line_bytes);
        if (run.failure.present) FUZZ_CHECK(run.failure.line >= run.first_line && run.failure.line <= r->lines);
        prev_first = run.first_line;
    }
    // re-planning after any run on a one-GPU machine: budgets only shrink
    {
        device gpus[1] = {{"RTX 4090", backend::cuda, 24ull << 30, 23ull << 30}};
        machine hw;
        hw.host.memory_total = hw.host.memory_available = 64ull << 30;
        hw.devices = gpus;
        if (auto am = logs::budgets_after(r->runs.back(), hw, 1ull << 30)) {
            for (const auto& c : am->changes) FUZZ_CHECK(c.after <= c.before && !c.reason.empty());
        }
    }
    auto again = logs::read_log(text);
    FUZZ_CHECK(again.has_value() && again->runs.size() == r->runs.size() && again->lines == r->lines);
    if (size < 8192) {
        std::string more(text);
        more += "\ncommon_params_print_info: build 1 (x) with cc for y\nload_tensors: CPU model buffer size = 1.00 MiB\n";
        auto m = logs::read_log(more);
        FUZZ_CHECK(m.has_value());
        FUZZ_CHECK(m->runs.size() + m->runs_dropped >= r->runs.size() + r->runs_dropped);
    }
    return 0;
}
