// SPDX-License-Identifier: MIT
// llamaplan's hardware probe: one call that fills a probe_result from every available source.
// Include <llamaplan/probe/probe.hpp> for everything (probe, machine files, JSON).
#ifndef LLAMAPLAN_PROBE_PROBE_HPP
#define LLAMAPLAN_PROBE_PROBE_HPP

#include <llamaplan/config.hpp>

#include <llamaplan/probe/amd.hpp>
#include <llamaplan/probe/apple.hpp>
#include <llamaplan/probe/bandwidth.hpp>
#include <llamaplan/probe/json.hpp>
#include <llamaplan/probe/linux.hpp>
#include <llamaplan/probe/machine_file.hpp>
#include <llamaplan/probe/nvidia.hpp>
#include <llamaplan/probe/probe_result.hpp>
#include <llamaplan/probe/rpc.hpp>
#include <llamaplan/probe/rpc_protocol.hpp>
#include <llamaplan/probe/text.hpp>
#include <llamaplan/probe/vulkan.hpp>
#include <llamaplan/result.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::probe {

/// What to probe and where.
struct probe_options {
    std::string root = "/";        ///< filesystem root for /proc and /sys (a fake tree in tests)
    bool live = true;              ///< allow process/driver queries (sched_getaffinity, NVML, nvidia-smi, Vulkan, sysctl);
                                   ///< always off when `root` is not "/" (those would describe the real machine)
    bool nvml = true;              ///< try NVML (libnvidia-ml.so.1)
    bool nvidia_smi = true;        ///< fall back to nvidia-smi when NVML is unavailable
    bool amd_sysfs = true;         ///< scan amdgpu sysfs files under `root`
    bool vulkan = true;            ///< list Vulkan GPUs not covered by NVIDIA/AMD native probes
    bool measure_bandwidth = false;  ///< opt-in: measure host memory bandwidth (costs about `measure_budget`)
    std::chrono::milliseconds measure_budget{500};  ///< time bound of the measurement
};

/// True when `root` names the real filesystem root ("/", "//", ...).
[[nodiscard]] inline bool is_real_root(std::string_view root) noexcept {
    if (root.empty()) return false;
    for (char c : root)
        if (c != '/') return false;
    return true;
}

/// Probes the machine. Fails only when `root` is not a directory; anything undetected becomes a note.
[[nodiscard]] inline result<probe_result> probe_machine(const probe_options& opt = {}) {
    std::error_code ec;
    if (!std::filesystem::is_directory(opt.root, ec)) return make_error(errc::not_found, "probe root is not a directory", 0);
    const bool live = opt.live && is_real_root(opt.root);
    probe_result out;
    std::vector<std::string> tried;

#if defined(__APPLE__)
    if (live) {
        probe_apple(out);
        tried.push_back("Metal (sysctl)");
    } else {
        probe_linux_host(opt.root, out, false);
    }
#elif defined(__linux__)
    probe_linux_host(opt.root, out, live);
#else
    probe_linux_host(opt.root, out, live);
    if (is_real_root(opt.root)) out.platform = "unknown";
#endif

    bool have_nvidia = false;
    if (live && opt.nvml) {
        tried.push_back("NVML");
        have_nvidia = probe_nvml(out);  // NVML answered (even with 0 GPUs): nvidia-smi would say the same
    }
    if (live && opt.nvidia_smi && !have_nvidia) {
        tried.push_back("nvidia-smi");
        have_nvidia = probe_nvidia_smi(out);
    }
    if (opt.amd_sysfs) {
        tried.push_back("amdgpu sysfs");
        (void)probe_amd_sysfs(opt.root, out);
    }
    if (live && opt.vulkan) {
        tried.push_back("Vulkan");
        std::vector<std::uint32_t> skip;
        for (const auto& d : out.devices) {
            if (d.info.kind == backend::cuda) skip.push_back(0x10de);
            if (d.info.kind == backend::rocm) skip.push_back(0x1002);
            if (d.info.kind == backend::metal) skip.push_back(0x106b);
        }
        if (!probe_vulkan(out, skip)) out.note("Vulkan loader (libvulkan.so.1) not available");
    }
    if (out.devices.empty()) {
        std::string list;
        for (const auto& t : tried) list += (list.empty() ? "" : ", ") + t;
        out.note("no GPU detected (tried: " + (list.empty() ? std::string("nothing; live probing off") : list) + "); CPU only");
    }
    if (opt.measure_bandwidth) {
        const std::uint32_t threads = out.host.cpus_physical ? out.host.cpus_physical : 1;
        const std::uint64_t bw = measure_host_bandwidth(std::min<std::uint32_t>(threads, 8), opt.measure_budget);
        if (bw) {
            out.host.bandwidth = bw;
            out.set_source("host.bandwidth", "measured: " + std::to_string(std::min<std::uint32_t>(threads, 8)) +
                                                 "-thread read of 64 MiB for " + std::to_string(opt.measure_budget.count()) + " ms (a lower bound)");
            // what one thread streams: the throughput model's CPU bandwidth with few threads (perf.hpp cpu_bandwidth)
            const auto quarter = std::chrono::milliseconds(std::max<std::int64_t>(1, opt.measure_budget.count() / 4));
            if (const std::uint64_t one = measure_host_bandwidth(1, quarter)) {
                out.host.bandwidth_per_thread = std::min(one, bw);
                out.set_source("host.bandwidth_per_thread", "measured: 1-thread read of 64 MiB for " +
                                                                std::to_string(quarter.count()) + " ms (a lower bound)");
            }
        } else {
            out.note("host memory bandwidth measurement failed (allocation)");
        }
    } else if (out.host.bandwidth == 0) {
        out.note("host memory bandwidth unknown (use the opt-in measurement)");
    }
    return out;
}

}  // namespace llamaplan::probe

#endif  // LLAMAPLAN_PROBE_PROBE_HPP
