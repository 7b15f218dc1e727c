// SPDX-License-Identifier: MIT
// Re-planning after a real run: turn what a log shows (an allocation failure, or more memory used than planned) and
// what a machine file learned (calibration records) into smaller device budgets, each change with its reason. A
// planner then plans on the adjusted machine as on any other. Pure over the reader's results.
#ifndef LLAMAPLAN_LOGS_REPLAN_HPP
#define LLAMAPLAN_LOGS_REPLAN_HPP

#include <llamaplan/config.hpp>
#include <llamaplan/logs/calibrate.hpp>
#include <llamaplan/logs/reader.hpp>
#include <llamaplan/machine.hpp>
#include <llamaplan/memory.hpp>
#include <llamaplan/result.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::logs {

/// One budget change.
struct budget_change {
    std::int32_t device = host_device;  ///< machine device index (host_device: the host's RAM)
    std::uint64_t before = 0;           ///< free memory the planner had (bytes)
    std::uint64_t after = 0;            ///< free memory it gets now (bytes)
    std::string reason;                 ///< why, with the log line or record it rests on
};

/// A machine with adjusted budgets: a copy of the devices (their names still view the original machine's storage)
/// and the host, and the changes made.
struct adjusted_machine {
    struct host host {};              ///< the host (memory_available adjusted)
    std::vector<device> devices;      ///< the devices (memory_free adjusted)
    std::vector<budget_change> changes;  ///< what changed and why

    /// The machine to plan on (views into this object).
    [[nodiscard]] machine view() const {
        machine m;
        m.host = host;
        m.devices = devices;
        return m;
    }
    /// The reasons, one line each.
    [[nodiscard]] std::vector<std::string> reasons() const {
        std::vector<std::string> r;
        for (const auto& c : changes) r.push_back(c.reason);
        return r;
    }
};

namespace detail {
inline std::string mib_of(std::uint64_t bytes) { return std::to_string((bytes + (std::uint64_t{1} << 19)) >> 20); }

/// Reduces device `d`'s budget (the host's available RAM for host_device) by `by` bytes, with a reason.
inline void shrink(adjusted_machine& am, std::int32_t d, std::string_view name, std::uint64_t by, std::string why) {
    std::uint64_t& free = d == host_device ? am.host.memory_available : am.devices[static_cast<std::size_t>(d)].memory_free;
    budget_change c;
    c.device = d;
    c.before = free;
    free = free > by ? free - by : 0;
    c.after = free;
    c.reason = std::string(name) + ": " + why + ": budget " + mib_of(c.before) + " -> " + mib_of(c.after) + " MiB";
    am.changes.push_back(std::move(c));
}
}  // namespace detail

/// The budgets to plan with after `run`, on machine `hw`, keeping `margin` bytes free per device.
///
/// - A failed allocation of N bytes on a device: the load needed more than that device had free. What was missing
///   is N minus what the device still had: its free memory at load (when the log gives it) less the buffers the run
///   had placed on it before the failure; when the log does not give that, the whole N. The budget shrinks by what
///   was missing plus `margin`.
/// - Metal's command-buffer failure carries no size (ggml-metal-context.m): the rule applied is to shrink the Metal
///   device by the compute buffers the run logged on it (the allocation that grows during decode) plus `margin`,
///   or by a tenth of its budget when none was logged.
/// - A run that loaded: a breakdown "unaccounted" that is a measurement (see calibrate) larger than
///   `assumed_overhead` shrinks the device by the excess plus `margin`; and when `planned` (the estimate of the plan
///   that was run) is given, a device whose logged buffers exceed the planned ones shrinks by the excess plus
///   `margin`.
[[nodiscard]] inline result<adjusted_machine> budgets_after(const run_log& run, const machine& hw, std::uint64_t margin,
                                                            std::uint64_t assumed_overhead = 400ull << 20,
                                                            const memory_estimate* planned = nullptr) {
    adjusted_machine am;
    am.host = hw.host;
    am.devices.assign(hw.devices.begin(), hw.devices.end());
    const std::string at_line = " (log line " + std::to_string(run.failure.line) + ")";
    auto mibs = [](std::uint64_t b) { return detail::mib_text(bytes_to_mib100(b)); };
    if (run.failure.present) {
        const auto& f = run.failure;
        // the device: from the buffer name, else the backend and ordinal of the failure line
        std::int32_t d = -2;
        std::string name = f.buffer;
        if (!f.buffer.empty()) d = device_index(hw, f.buffer);
        else if (f.backend == "CPU") { d = host_device; name = "CPU"; }
        else if (auto k = backend_of_prefix(f.backend == "Metal" ? "MTL" : f.backend); k && *k != backend::cpu) {
            d = hw.find_device(*k, f.device < 0 ? 0u : static_cast<std::uint32_t>(f.device));
            if (d < 0) d = -2;  // find_device's -1 is not the host
            name = f.backend + std::to_string(f.device < 0 ? 0 : f.device);
        } else if (f.device >= 0) {  // "allocating ... on device N: cudaMalloc failed" before its buffer line
            for (backend k : {backend::cuda, backend::rocm})
                if (d < 0) d = hw.find_device(k, static_cast<std::uint32_t>(f.device));
            if (d < 0) d = -2;
            name = "device " + std::to_string(f.device);
        }
        if (d == -2)
            return make_error(errc::not_found, "the failure is on a device this machine does not have", f.line);
        const std::string phase(to_string(f.phase));
        if (f.size_known) {
            std::uint64_t had = 0;
            bool known = false;
            if (d != host_device) {
                const logged_device* ld = nullptr;
                for (const auto& x : run.devices) if (device_index(hw, x.name) == d) ld = &x;
                if (ld && ld->free_mib) {
                    std::uint64_t placed = 0;
                    for (const auto& b : run.buffers)
                        if (!b.draft && device_index(hw, b.name) == d) placed += mib100_to_bytes(b.mib100);
                    const std::uint64_t free_at_load = *ld->free_mib << 20;
                    had = free_at_load > placed ? free_at_load - placed : 0;
                    known = true;
                }
            }
            const std::uint64_t missing = known && f.bytes > had ? f.bytes - had : f.bytes;
            const std::string how = known && f.bytes > had
                ? mibs(missing) + " MiB missing (" + mibs(f.bytes) + " MiB asked, " + mibs(had) + " MiB left after the buffers before it)"
                : mibs(f.bytes) + " MiB (the whole allocation: the log does not show what was left)";
            detail::shrink(am, d, name, missing + margin,
                           "could not allocate " + mibs(f.bytes) + " MiB for the " + phase + at_line + "; " + how +
                               " + margin " + detail::mib_of(margin) + " MiB");
        } else if (f.backend == "Metal") {
            std::uint64_t compute = 0;
            for (const auto& b : run.buffers)
                if (!b.draft && b.role == buffer_role::compute && device_index(hw, b.name) == d) compute += mib100_to_bytes(b.mib100);
            const std::uint64_t budget = d == host_device ? am.host.memory_available : am.devices[static_cast<std::size_t>(d)].memory_free;
            const std::uint64_t by = compute ? compute : budget / 10;
            detail::shrink(am, d, name, by + margin,
                           "Metal ran out of memory" + at_line + " without a size; rule: shrink by " +
                               (compute ? "its logged compute buffers (" + detail::mib_of(compute) + " MiB)" : std::string("a tenth of its budget")) +
                               " + margin " + detail::mib_of(margin) + " MiB");
        } else {
            detail::shrink(am, d, name, margin, "ran out of memory" + at_line + " without a size; shrunk by the margin");
        }
        return am;
    }
    // a run that loaded: more outside llama.cpp's buffers, or more in them, than planned
    for (const auto& br : run.breakdown) {
        if (!br.device) continue;
        const std::int32_t d = device_index(hw, br.name);
        if (d < 0) continue;
        const bool measurement = br.unaccounted >= 0 && br.unaccounted < br.total && br.total - br.free - br.self == br.unaccounted;
        const std::uint64_t un = measurement ? static_cast<std::uint64_t>(br.unaccounted) << 20 : 0;
        if (un > assumed_overhead)
            detail::shrink(am, d, br.name, un - assumed_overhead + margin,
                           "the breakdown shows " + std::to_string(br.unaccounted) + " MiB outside llama.cpp's buffers, " +
                               detail::mib_of(assumed_overhead) + " MiB were assumed; + margin " + detail::mib_of(margin) + " MiB");
    }
    if (planned) {
        for (const auto& row : planned->devices) {
            std::uint64_t logged = 0;
            for (const auto& b : run.buffers)
                if (!b.draft && device_index(hw, b.name) == row.device) logged += mib100_to_bytes(b.mib100);
            const std::uint64_t plan = row.model + row.context + row.compute;
            // more than the printed rounding over the plan
            if (logged > plan + (std::uint64_t{1} << 20)) {
                char nb[llamaplan::buffer_name_capacity];
                const std::string name = row.device == host_device ? std::string("CPU")
                                                                   : std::string(buffer_name(hw, buffer_ref{buffer_kind::gpu, row.device}, nb));
                detail::shrink(am, row.device, name, logged - plan + margin,
                               "the run's buffers took " + detail::mib_of(logged) + " MiB, the plan " + detail::mib_of(plan) +
                                   " MiB; + margin " + detail::mib_of(margin) + " MiB");
            }
        }
    }
    return am;
}

/// The budgets to plan with given the calibration records of a machine file: a device whose measured overhead
/// exceeds `assumed_overhead`, or whose compute buffers were larger than predicted, has less to plan with. Records of
/// devices `hw` does not have are ignored (noted).
[[nodiscard]] inline adjusted_machine calibrated_budgets(const machine& hw, std::span<const probe::calibration_record> records,
                                                         std::uint64_t assumed_overhead = 400ull << 20) {
    adjusted_machine am;
    am.host = hw.host;
    am.devices.assign(hw.devices.begin(), hw.devices.end());
    for (const auto& c : records) {
        const std::int32_t d = record_device(hw, c);
        if (d == -2 || d == host_device) continue;
        if (c.overhead > assumed_overhead)
            detail::shrink(am, d, c.device, c.overhead - assumed_overhead,
                           "calibration (" + c.log + ", " + c.overhead_source + "): " + detail::mib_of(c.overhead) +
                               " MiB outside llama.cpp's buffers, " + detail::mib_of(assumed_overhead) + " MiB assumed");
        if (c.compute_predicted > 0 && bytes_to_mib100(c.compute_logged) > bytes_to_mib100(c.compute_predicted))
            detail::shrink(am, d, c.device, c.compute_logged - c.compute_predicted,
                           "calibration (" + c.log + "): compute buffers " + detail::mib_of(c.compute_logged) + " MiB logged vs " +
                               detail::mib_of(c.compute_predicted) + " MiB predicted");
    }
    return am;
}

}  // namespace llamaplan::logs

#endif  // LLAMAPLAN_LOGS_REPLAN_HPP
