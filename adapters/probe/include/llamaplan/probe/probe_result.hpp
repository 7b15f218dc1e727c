// SPDX-License-Identifier: MIT
// The owning result of a hardware probe: the machine plus where every fact came from.
#ifndef LLAMAPLAN_PROBE_PROBE_RESULT_HPP
#define LLAMAPLAN_PROBE_PROBE_RESULT_HPP

#include <llamaplan/config.hpp>

#include <llamaplan/machine.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::probe {

/// Which source supplied one fact ("host.memory_total" <- "/proc/meminfo MemTotal, capped by cgroup v2 memory.max").
struct fact_source {
    std::string fact{};    ///< dotted fact name as in machine files ("host.cpus_physical", "devices.0.bandwidth")
    std::string source{};  ///< where it came from, human-readable
};

/// Limits a container (cgroup) or the scheduler places on this process; 0 = no limit found.
struct container_limits {
    std::string cgroup_version{};        ///< "v2", "v1", or empty when no cgroup files were found
    std::string cgroup_path{};           ///< the process's cgroup path from /proc/self/cgroup (memory controller for v1)
    std::uint64_t memory_limit = 0;      ///< cgroup memory limit (bytes); 0 = unlimited / not found
    std::uint64_t memory_usage = 0;      ///< cgroup memory usage now (bytes; memory.current / memory.usage_in_bytes)
    std::uint32_t cpu_quota_millis = 0;  ///< CPU bandwidth limit in thousandths of a CPU (quota / period); 0 = none
    std::uint32_t cpuset_cpus = 0;       ///< CPUs in the cgroup cpuset (0 = not found)
    std::uint32_t affinity_cpus = 0;     ///< CPUs in sched_getaffinity (0 = not queried)
    std::uint32_t system_cpus = 0;       ///< CPUs online on the whole system (logical)
    std::uint32_t system_cores = 0;      ///< physical cores on the whole system: llama.cpp's default -t on Linux
    std::uint64_t system_memory = 0;     ///< MemTotal of the whole system (bytes)
};

/// One accelerator with owned strings.
struct device_record {
    std::string name{};      ///< marketing name
    std::string id{};        ///< stable identifier: PCI bus id, UUID or Vulkan index; may be empty
    std::string source{};    ///< which probe found it ("nvml", "nvidia-smi", "sysfs", "vulkan", "sysctl", "file")
    device info{};           ///< the numbers; info.name is re-pointed at `name` by probe_result::view()
};

/// What one real run taught about one device (`llamaplan calibrate`, adapters/logs calibrate.hpp). It belongs to the
/// device it was measured on, identified by llama.cpp's device name, backend and total memory; a record whose device
/// is not in the machine is never applied.
struct calibration_record {
    std::string device{};               ///< llama.cpp's device name: "CUDA0", "Vulkan1", "MTL0", or "CPU" for the host
    std::string description{};          ///< the device's name as the log printed it ("NVIDIA GeForce RTX 4090")
    backend kind = backend::cpu;        ///< its backend (backend::cpu for the host)
    std::uint64_t memory_total = 0;     ///< its total memory when measured (bytes; 0 = the log did not say)
    std::string log{};                  ///< the log it was learned from (as named on the command line)
    std::uint32_t build = 0;            ///< llama.cpp build number of that log (0 = unknown)
    std::uint64_t overhead = 0;         ///< memory outside llama.cpp's buffers on this device (bytes; 0 = not measured)
    std::string overhead_source{};      ///< "breakdown" (the "unaccounted" column) or "free at load" (total - free)
    std::uint64_t compute_predicted = 0;///< compute buffers llamaplan predicted on this device for that run (bytes)
    std::uint64_t compute_logged = 0;   ///< compute buffers llama.cpp logged there (bytes, from its 0.01 MiB figures)
    std::uint32_t decode_efficiency_ppm = 0;   ///< observed / predicted decode tokens/s (parts per million; 0 = none)
    std::uint32_t prefill_efficiency_ppm = 0;  ///< observed / predicted prompt tokens/s (parts per million; 0 = none)
};

/// Everything one probe learned. Owns its strings; view() hands out the core's non-owning machine.
struct probe_result {
    struct host host{};                       ///< CPU and RAM (host.platform is re-pointed by view())
    std::string platform{};                   ///< "linux", "macos", "windows" or "unknown"
    std::string cpu_name{};                   ///< CPU model name, when known
    std::vector<device_record> devices{};     ///< accelerators in llama.cpp order
    container_limits limits{};                ///< container and affinity limits already applied to `host`
    std::vector<fact_source> sources{};       ///< where each fact came from
    std::vector<std::string> notes{};         ///< what could not be detected, fallbacks taken, warnings
    std::vector<calibration_record> calibrations{};  ///< learned from real runs (at most one per device)

    /// Records (or replaces) the source of a fact.
    void set_source(std::string_view fact, std::string_view source) {
        for (auto& s : sources)
            if (s.fact == fact) {
                s.source = std::string(source);
                return;
            }
        sources.push_back({std::string(fact), std::string(source)});
    }
    /// The recorded source of a fact, or "" when none was recorded.
    [[nodiscard]] std::string_view source_of(std::string_view fact) const noexcept {
        for (const auto& s : sources)
            if (s.fact == fact) return s.source;
        return {};
    }
    /// Adds a note (something not detected, a fallback taken, a warning).
    void note(std::string text) { notes.push_back(std::move(text)); }

    /// The core's machine description. Its views point into this object: valid until it is changed,
    /// moved or destroyed. Each call rebuilds them.
    [[nodiscard]] machine view() const {
        view_devices_.clear();
        view_devices_.reserve(devices.size());
        for (const auto& d : devices) {
            device v = d.info;
            v.name = d.name;
            view_devices_.push_back(v);
        }
        machine m;
        m.host = host;
        m.host.platform = platform;
        m.devices = view_devices_;
        return m;
    }

private:
    mutable std::vector<device> view_devices_{};  // storage behind the last view()
};

}  // namespace llamaplan::probe

#endif  // LLAMAPLAN_PROBE_PROBE_RESULT_HPP
