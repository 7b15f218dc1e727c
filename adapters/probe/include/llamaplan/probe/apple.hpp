// SPDX-License-Identifier: MIT
// Apple silicon: a parser for `sysctl` output ("hw.memsize: 17179869184") and the Metal working-set rule;
// the sysctlbyname-based I/O part is compiled only on __APPLE__.
#ifndef LLAMAPLAN_PROBE_APPLE_HPP
#define LLAMAPLAN_PROBE_APPLE_HPP

#include <llamaplan/config.hpp>

#include <llamaplan/probe/bandwidth.hpp>
#include <llamaplan/probe/probe_result.hpp>
#include <llamaplan/probe/text.hpp>
#include <llamaplan/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#if defined(__APPLE__)
#include <mach/mach.h>
#include <sys/sysctl.h>
#include <sys/types.h>
#endif

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::probe {

/// The sysctl keys read on macOS, in the order `sysctl <keys>` prints them.
inline constexpr std::string_view apple_sysctl_keys[] = {
    "hw.memsize", "hw.physicalcpu", "hw.logicalcpu", "hw.nperflevels", "hw.perflevel0.physicalcpu",
    "hw.perflevel1.physicalcpu", "machdep.cpu.brand_string", "iogpu.wired_limit_mb",
};

/// Facts from sysctl (0 / empty = absent).
struct apple_facts {
    std::uint64_t memsize = 0;           ///< hw.memsize (bytes)
    std::uint32_t physicalcpu = 0;       ///< hw.physicalcpu (cores)
    std::uint32_t logicalcpu = 0;        ///< hw.logicalcpu
    std::uint32_t perf_cores = 0;        ///< hw.perflevel0.physicalcpu (performance cores)
    std::uint32_t efficiency_cores = 0;  ///< hw.perflevel1.physicalcpu (efficiency cores)
    std::uint64_t wired_limit_mb = 0;    ///< iogpu.wired_limit_mb (MiB; 0 = macOS default)
    std::string brand{};                 ///< machdep.cpu.brand_string, e.g. "Apple M2 Pro"
};

/// Parses `sysctl key...` output: one "name: value" per line. hw.memsize is required; unknown keys are ignored.
[[nodiscard]] inline result<apple_facts> parse_sysctl(std::string_view text) {
    apple_facts f;
    bool has_mem = false;
    std::uint64_t offset = 0;
    for (std::string_view raw : split_lines(text)) {
        const std::uint64_t at = offset;
        offset += raw.size() + 1;
        const std::string_view line = trim(raw);
        if (line.empty()) continue;
        const auto colon = line.find(": ");
        if (colon == std::string_view::npos) {
            if (line.back() == ':') continue;  // "name:" with an empty value
            return make_error(errc::invalid_argument, "sysctl: expected 'name: value'", at);
        }
        const std::string_view key = line.substr(0, colon);
        const std::string_view val = trim(line.substr(colon + 2));
        std::uint64_t n = 0;
        auto number = [&](std::uint64_t max) -> bool {
            if (!parse_u64(val, n) || n > max) return false;
            return true;
        };
        if (key == "machdep.cpu.brand_string") {
            f.brand = std::string(val);
            continue;
        }
        const bool known = key == "hw.memsize" || key == "hw.physicalcpu" || key == "hw.logicalcpu" ||
                           key == "hw.perflevel0.physicalcpu" || key == "hw.perflevel1.physicalcpu" || key == "iogpu.wired_limit_mb";
        if (!known) continue;
        if (!number(key == "hw.memsize" ? (std::uint64_t{1} << 50) : key == "iogpu.wired_limit_mb" ? (std::uint64_t{1} << 30) : 65536))
            return make_error(errc::invalid_argument, "sysctl: a numeric key has a bad value", at);
        if (key == "hw.memsize") { f.memsize = n; has_mem = true; }
        else if (key == "hw.physicalcpu") f.physicalcpu = static_cast<std::uint32_t>(n);
        else if (key == "hw.logicalcpu") f.logicalcpu = static_cast<std::uint32_t>(n);
        else if (key == "hw.perflevel0.physicalcpu") f.perf_cores = static_cast<std::uint32_t>(n);
        else if (key == "hw.perflevel1.physicalcpu") f.efficiency_cores = static_cast<std::uint32_t>(n);
        else if (key == "iogpu.wired_limit_mb") f.wired_limit_mb = n;
    }
    if (!has_mem) return make_error(errc::missing_key, "sysctl: no hw.memsize", 0);
    return f;
}

/// Metal's recommendedMaxWorkingSetSize estimate (bytes): iogpu.wired_limit_mb when set, else about 2/3 of RAM
/// up to 32 GiB and 3/4 above. Unverified heuristic (community reports: 16 GiB -> ~10.7 GB, 64 GiB -> 48 GiB);
/// llama.cpp's Metal backend reports the real value as the device total.
[[nodiscard]] constexpr std::uint64_t metal_working_set_estimate(std::uint64_t memsize, std::uint64_t wired_limit_mb) noexcept {
    if (wired_limit_mb > 0) {
        const std::uint64_t w = wired_limit_mb << 20;
        return w < memsize ? w : memsize;
    }
    return memsize > (std::uint64_t{32} << 30) ? memsize / 4 * 3 : memsize / 3 * 2;
}

/// Fills the host and one Metal device from sysctl facts. `available` is free RAM (bytes; 0 = unknown).
inline void apply_apple_facts(const apple_facts& f, std::uint64_t available, probe_result& out) {
    out.platform = "macos";
    out.cpu_name = f.brand;
    out.host.memory_total = f.memsize;
    out.limits.system_memory = f.memsize;
    out.set_source("host.memory_total", "sysctl hw.memsize");
    if (available) {
        out.host.memory_available = available < f.memsize ? available : f.memsize;
        out.set_source("host.memory_available", "host_statistics64 free + inactive pages");
    } else {
        out.note("free RAM not detected on macOS; host.memory_available is 0");
    }
    out.host.cpus_logical = f.logicalcpu ? f.logicalcpu : f.physicalcpu;
    out.host.cpus_physical = f.physicalcpu;
    out.host.cpus_performance = f.perf_cores;
    out.host.cpus_efficiency = f.efficiency_cores;
    out.host.numa_nodes = 1;
    out.host.cpu_repack = true;  // every Apple silicon CPU has NEON
    out.limits.system_cpus = out.host.cpus_logical;
    // llama.cpp uses hw.perflevel0.physicalcpu, falling back to hw.physicalcpu (common_cpu_get_num_physical_cores).
    out.limits.system_cores = f.perf_cores ? f.perf_cores : f.physicalcpu;
    if (out.host.cpus_logical) out.set_source("host.cpus_logical", f.logicalcpu ? "sysctl hw.logicalcpu" : "sysctl hw.physicalcpu");
    if (f.physicalcpu) out.set_source("host.cpus_physical", "sysctl hw.physicalcpu");
    if (f.perf_cores) out.set_source("host.cpus_performance", "sysctl hw.perflevel0.physicalcpu");
    if (f.efficiency_cores) out.set_source("host.cpus_efficiency", "sysctl hw.perflevel1.physicalcpu");
    out.set_source("host.numa_nodes", "Apple silicon: one memory domain");
    out.set_source("host.cpu_repack", "Apple silicon: NEON");

    const bandwidth_entry* bw = lookup_bandwidth(f.brand);
    if (bw) {
        out.host.bandwidth = bw->gb_per_s * 1000000000ull;
        out.set_source("host.bandwidth", "table: " + std::string(bw->source));
    } else {
        out.note("memory bandwidth of '" + f.brand + "' unknown (not in the table)");
    }
    if (f.brand.rfind("Apple ", 0) != 0) {
        out.note("not Apple silicon ('" + f.brand + "'): no Metal device listed");
        return;
    }
    device_record r;
    r.name = f.brand;
    r.id = "metal:0";
    r.source = "sysctl";
    r.info.kind = backend::metal;
    r.info.unified_memory = true;
    r.info.memory_total = metal_working_set_estimate(f.memsize, f.wired_limit_mb);
    r.info.memory_free = r.info.memory_total;
    r.info.bandwidth = out.host.bandwidth;
    const std::string k = "devices." + std::to_string(out.devices.size());
    out.set_source(k + ".memory_total", f.wired_limit_mb ? "sysctl iogpu.wired_limit_mb"
                                                         : "estimate of Metal recommendedMaxWorkingSetSize (2/3 of RAM up to 32 GiB, else 3/4)");
    out.set_source(k + ".memory_free", "= memory_total (nothing allocated yet)");
    if (bw) out.set_source(k + ".bandwidth", "table: " + std::string(bw->source));
    out.devices.push_back(std::move(r));
}

#if defined(__APPLE__)
/// Probes this Mac through sysctlbyname (formatted as `sysctl` prints, then parsed) and host_statistics64.
inline void probe_apple(probe_result& out) {
    std::string text;
    for (std::string_view key : apple_sysctl_keys) {
        const std::string k(key);
        std::size_t len = 0;
        if (sysctlbyname(k.c_str(), nullptr, &len, nullptr, 0) != 0 || len == 0 || len > 4096) continue;
        if (key == "machdep.cpu.brand_string") {
            std::string s(len, '\0');
            if (sysctlbyname(k.c_str(), s.data(), &len, nullptr, 0) != 0) continue;
            s.resize(strnlen(s.c_str(), len));
            text += k + ": " + s + "\n";
        } else if (len == sizeof(std::int64_t)) {
            std::int64_t v = 0;
            if (sysctlbyname(k.c_str(), &v, &len, nullptr, 0) == 0 && v >= 0) text += k + ": " + std::to_string(v) + "\n";
        } else if (len == sizeof(std::int32_t)) {
            std::int32_t v = 0;
            if (sysctlbyname(k.c_str(), &v, &len, nullptr, 0) == 0 && v >= 0) text += k + ": " + std::to_string(v) + "\n";
        }
    }
    auto f = parse_sysctl(text);
    if (!f) {
        out.note("sysctl: " + std::string(f.error().what));
        return;
    }
    std::uint64_t available = 0;
    vm_statistics64_data_t vm{};
    mach_msg_type_number_t count = HOST_VM_INFO64_COUNT;
    vm_size_t page = 0;
    if (host_page_size(mach_host_self(), &page) == KERN_SUCCESS &&
        host_statistics64(mach_host_self(), HOST_VM_INFO64, reinterpret_cast<host_info64_t>(&vm), &count) == KERN_SUCCESS)
        available = (static_cast<std::uint64_t>(vm.free_count) + vm.inactive_count) * page;
    apply_apple_facts(*f, available, out);
}
#endif

}  // namespace llamaplan::probe

#endif  // LLAMAPLAN_PROBE_APPLE_HPP
