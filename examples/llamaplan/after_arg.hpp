// plan --after LOG, and a machine file's calibration: the budgets `plan` plans with, adjusted by what real runs
// showed (adapters/logs replan.hpp does the work; this reads the file and prints the reasons).
#ifndef LLAMAPLAN_EXAMPLES_AFTER_ARG_HPP
#define LLAMAPLAN_EXAMPLES_AFTER_ARG_HPP

#include "machine_args.hpp"

#include <llamaplan/logs/reader.hpp>
#include <llamaplan/logs/replan.hpp>
#include <llamaplan/probe/text.hpp>

#include <cstdio>
#include <optional>
#include <string>

namespace cli {

/// Adjusts `hw` (which must be machine_opts' machine) for the calibration records of the machine file and, when
/// `after_log` is not empty, for the failure or over-use its last run shows. `storage` keeps the adjusted devices
/// alive while `hw` is used. Prints one "llamaplan: plan: ..." line per change on stderr. False with `err` on bad
/// input (an unreadable log, a failure on a device this machine does not have).
inline bool adjust_budgets(const std::string& after_log, const machine_options& machine_opts, std::uint64_t margin,
                           std::optional<llamaplan::logs::adjusted_machine>& storage, llamaplan::machine& hw, std::string& err) {
    const std::uint64_t gpu_context = machine_opts.overhead.gpu_context;
    if (machine_opts.source() && !machine_opts.source()->calibrations.empty()) {
        storage.emplace(llamaplan::logs::calibrated_budgets(hw, machine_opts.source()->calibrations, gpu_context));
        hw = storage->view();
        for (const auto& r : storage->reasons()) std::fprintf(stderr, "llamaplan: plan: %s\n", r.c_str());
    }
    if (after_log.empty()) return true;
    const auto text = llamaplan::probe::read_file(after_log, std::size_t{256} << 20);
    if (!text) { err = after_log + ": cannot read the file"; return false; }
    auto reading = llamaplan::logs::read_log(*text);
    if (!reading) { err = after_log + ": " + std::string(reading.error().what); return false; }
    const auto& run = reading->runs.back();
    // the margin the budgets keep: --margin, else the default presets' 1 GiB (README: GPU margin)
    const std::uint64_t keep = margin != llamaplan::unset_bytes ? margin : std::uint64_t{1} << 30;
    auto adjusted = llamaplan::logs::budgets_after(run, hw, keep, gpu_context);
    if (!adjusted) { err = after_log + ": " + std::string(adjusted.error().what); return false; }
    if (adjusted->changes.empty())
        std::fprintf(stderr, "llamaplan: plan: %s: the run neither failed nor used more than assumed: budgets unchanged\n", after_log.c_str());
    for (const auto& r : adjusted->reasons()) std::fprintf(stderr, "llamaplan: plan: --after %s\n", r.c_str());
    // keep the earlier adjustment's devices alive: the new one copies them
    storage.emplace(std::move(*adjusted));
    hw = storage->view();
    return true;
}

}  // namespace cli

#endif  // LLAMAPLAN_EXAMPLES_AFTER_ARG_HPP
