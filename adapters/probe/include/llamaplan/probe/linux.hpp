// SPDX-License-Identifier: MIT
// Linux host probing: CPUs, cores, hybrid P/E, NUMA, RAM and cgroup (v1 and v2) limits.
// Pure parsers over file contents plus an I/O layer that reads them under a root directory.
#ifndef LLAMAPLAN_PROBE_LINUX_HPP
#define LLAMAPLAN_PROBE_LINUX_HPP

#include <llamaplan/config.hpp>

#include <llamaplan/probe/probe_result.hpp>
#include <llamaplan/probe/text.hpp>
#include <llamaplan/result.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#if defined(__linux__)
#include <sched.h>
#endif
#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::probe {

// ---------------------------------------------------------------------------------------------
// Pure parsers
// ---------------------------------------------------------------------------------------------

/// The /proc/meminfo fields the planner uses (bytes).
struct meminfo {
    std::uint64_t total = 0;       ///< MemTotal (bytes)
    std::uint64_t available = 0;   ///< MemAvailable, or MemFree + Buffers + Cached on kernels before 3.14 (bytes)
    bool estimated_available = false;  ///< true when MemAvailable was missing and `available` is the estimate
};

/// Parses /proc/meminfo ("MemTotal:       24684112 kB"; kernel Documentation/filesystems/proc.rst).
/// MemTotal is required; values are in kB (1024 bytes).
[[nodiscard]] inline result<meminfo> parse_meminfo(std::string_view text) {
    meminfo m;
    bool has_total = false, has_avail = false;
    std::uint64_t mem_free = 0, buffers = 0, cached = 0;
    std::uint64_t offset = 0;
    for (std::string_view line : split_lines(text)) {
        const std::uint64_t at = offset;
        offset += line.size() + 1;
        const auto colon = line.find(':');
        if (trim(line).empty()) continue;
        if (colon == std::string_view::npos) return make_error(errc::invalid_argument, "meminfo: line without ':'", at);
        const std::string_view key = line.substr(0, colon);
        std::string_view rest = trim(line.substr(colon + 1));
        bool kb = false;
        if (rest.size() > 3 && rest.substr(rest.size() - 3) == " kB") {
            rest = trim(rest.substr(0, rest.size() - 3));
            kb = true;
        }
        std::uint64_t v = 0;
        if (!parse_u64(rest, v)) {
            if (key == "MemTotal" || key == "MemAvailable") return make_error(errc::invalid_argument, "meminfo: bad number", at);
            continue;  // other fields (HugePages_*, DirectMap*) are not needed
        }
        if (kb) {
            if (v > std::numeric_limits<std::uint64_t>::max() / 1024) return make_error(errc::overflow, "meminfo: value too large", at);
            v *= 1024;
        }
        if (key == "MemTotal") { m.total = v; has_total = true; }
        else if (key == "MemAvailable") { m.available = v; has_avail = true; }
        else if (key == "MemFree") mem_free = v;
        else if (key == "Buffers") buffers = v;
        else if (key == "Cached") cached = v;
    }
    if (!has_total) return make_error(errc::missing_key, "meminfo: no MemTotal line", 0);
    if (!has_avail) {
        m.available = std::min(m.total, mem_free + buffers + cached);
        m.estimated_available = true;
    }
    return m;
}

/// One line of /proc/self/cgroup: "hierarchy-ID:controller-list:cgroup-path" (man 7 cgroups).
struct cgroup_entry {
    std::uint32_t hierarchy = 0;             ///< hierarchy ID (0 for the cgroup v2 unified hierarchy)
    std::vector<std::string> controllers{};  ///< v1 controllers ("cpu", "cpuacct", "name=systemd"); empty for v2
    std::string path{};                      ///< cgroup path, starting with '/'
};

/// Parses /proc/self/cgroup. The path may itself contain ':' (everything after the second ':' is the path).
[[nodiscard]] inline result<std::vector<cgroup_entry>> parse_proc_cgroup(std::string_view text) {
    std::vector<cgroup_entry> out;
    std::uint64_t offset = 0;
    for (std::string_view raw : split_lines(text)) {
        const std::uint64_t at = offset;
        offset += raw.size() + 1;
        const std::string_view line = trim(raw);
        if (line.empty()) continue;
        const auto c1 = line.find(':');
        const auto c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
        if (c2 == std::string_view::npos) return make_error(errc::invalid_argument, "/proc/self/cgroup: expected id:controllers:path", at);
        cgroup_entry e;
        std::uint64_t id = 0;
        if (!parse_u64(line.substr(0, c1), id) || id > 0xFFFFFFFFu)
            return make_error(errc::invalid_argument, "/proc/self/cgroup: bad hierarchy id", at);
        e.hierarchy = static_cast<std::uint32_t>(id);
        const std::string_view ctl = line.substr(c1 + 1, c2 - c1 - 1);
        if (!ctl.empty())
            for (std::string_view c : split(ctl, ',')) e.controllers.emplace_back(c);
        e.path = std::string(line.substr(c2 + 1));
        if (e.path.empty() || e.path.front() != '/')
            return make_error(errc::invalid_argument, "/proc/self/cgroup: path must start with '/'", at);
        if (out.size() >= 64) return make_error(errc::capacity_exceeded, "/proc/self/cgroup: too many lines", at);
        out.push_back(std::move(e));
    }
    return out;
}

/// Values at or above this are "no limit" in cgroup v1 (the kernel reports PAGE_COUNTER_MAX pages, e.g.
/// 9223372036854771712 on 4 KiB pages, for an unlimited memory.limit_in_bytes).
inline constexpr std::uint64_t cgroup_v1_unlimited = std::uint64_t{1} << 62;

/// Parses a memory limit file: cgroup v2 memory.max ("max" or bytes) or v1 memory.limit_in_bytes.
/// Returns 0 for "no limit".
[[nodiscard]] inline result<std::uint64_t> parse_memory_limit(std::string_view text) {
    const std::string_view t = trim(text);
    if (t == "max") return std::uint64_t{0};
    std::uint64_t v = 0;
    if (!parse_u64(t, v)) return make_error(errc::invalid_argument, "cgroup memory limit: expected 'max' or a byte count", 0);
    if (v >= cgroup_v1_unlimited) return std::uint64_t{0};
    return v;
}

/// CPU limit in thousandths of a CPU from quota and period (microseconds); 0 = unlimited.
[[nodiscard]] constexpr std::uint32_t quota_millis(std::uint64_t quota_us, std::uint64_t period_us) noexcept {
    if (period_us == 0) return 0;
    const std::uint64_t m = (quota_us * 1000 + period_us - 1) / period_us;
    return m == 0 ? 1u : (m > 0xFFFFFFFFu ? 0xFFFFFFFFu : static_cast<std::uint32_t>(m));
}

/// Parses cgroup v2 cpu.max ("$MAX $PERIOD"; "max 100000" = unlimited) into thousandths of a CPU (0 = none).
[[nodiscard]] inline result<std::uint32_t> parse_cpu_max(std::string_view text) {
    const std::string_view t = trim(text);
    const auto sp = t.find(' ');
    const std::string_view q = t.substr(0, sp);
    std::uint64_t period = 100000;
    if (sp != std::string_view::npos && (!parse_u64(trim(t.substr(sp + 1)), period) || period == 0 || period > 1000000000))
        return make_error(errc::invalid_argument, "cpu.max: bad period", sp);
    if (q == "max") return std::uint32_t{0};
    std::uint64_t quota = 0;
    if (!parse_u64(q, quota) || quota > (std::uint64_t{1} << 40)) return make_error(errc::invalid_argument, "cpu.max: expected 'max' or a quota", 0);
    return quota_millis(quota, period);
}

/// Parses cgroup v1 cpu.cfs_quota_us (-1 = unlimited) and cpu.cfs_period_us into thousandths of a CPU.
[[nodiscard]] inline result<std::uint32_t> parse_cfs_quota(std::string_view quota_text, std::string_view period_text) {
    std::int64_t quota = 0;
    std::uint64_t period = 0;
    if (!parse_i64(trim(quota_text), quota)) return make_error(errc::invalid_argument, "cpu.cfs_quota_us: not a number", 0);
    if (quota < 0) return std::uint32_t{0};
    if (!parse_u64(trim(period_text), period) || period == 0 || period > 1000000000)
        return make_error(errc::invalid_argument, "cpu.cfs_period_us: not a positive number", 0);
    if (static_cast<std::uint64_t>(quota) > (std::uint64_t{1} << 40)) return make_error(errc::overflow, "cpu.cfs_quota_us: too large", 0);
    return quota_millis(static_cast<std::uint64_t>(quota), period);
}

/// Physical cores as llama.cpp counts them on Linux: the number of distinct thread_siblings strings
/// (common/common.cpp, common_cpu_get_num_physical_cores). Empty strings are ignored.
[[nodiscard]] inline std::uint32_t count_unique_siblings(const std::vector<std::string>& siblings) {
    std::set<std::string_view> uniq;
    for (const auto& s : siblings) {
        const std::string_view t = trim(s);
        if (!t.empty()) uniq.insert(t);
    }
    return static_cast<std::uint32_t>(uniq.size());
}

/// Extracts "model name" (x86) and whether the CPU backend repacks weights (AVX2, AVX-512F or ARM ASIMD/NEON
/// present; ggml-cpu's repack paths, ggml/src/ggml-cpu/repack.cpp) from /proc/cpuinfo text.
struct cpuinfo_facts {
    std::string model_name{};  ///< first "model name" (x86) or "Model"/"Hardware" (ARM) value
    bool has_flags = false;    ///< a "flags" (x86) or "Features" (ARM) line was found
    bool repack = false;       ///< AVX2, AVX-512F or ASIMD present
    bool amx = false;          ///< amx_int8 and avx512_vnni present (ggml-cpu compiles its AMX buffer type for these)
    bool vnni = false;         ///< avx512_vnni present
};

/// Parses /proc/cpuinfo (only the first processor block matters).
[[nodiscard]] inline cpuinfo_facts parse_cpuinfo(std::string_view text) {
    cpuinfo_facts f;
    for (std::string_view line : split_lines(text)) {
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        const std::string_view key = trim(line.substr(0, colon));
        const std::string_view val = trim(line.substr(colon + 1));
        if (f.model_name.empty() && (key == "model name" || key == "Model" || key == "Hardware")) f.model_name = std::string(val);
        if (!f.has_flags && (key == "flags" || key == "Features")) {
            f.has_flags = true;
            for (std::string_view w : split(val, ' ')) {
                if (w == "avx2" || w == "avx512f" || w == "asimd" || w == "neon") f.repack = true;
                if (w == "amx_int8") f.amx = true;
                if (w == "avx512_vnni") f.vnni = true;
            }
        }
    }
    return f;
}

// ---------------------------------------------------------------------------------------------
// I/O layer
// ---------------------------------------------------------------------------------------------

namespace detail {

/// "/a/b" -> {"/", "/a", "/a/b"}: limits of every ancestor cgroup apply to a process.
[[nodiscard]] inline std::vector<std::string> cgroup_ancestors(std::string_view path) {
    std::vector<std::string> out{"/"};
    std::string cur;
    for (std::string_view part : split(path, '/')) {
        if (part.empty() || part == "." || part == "..") continue;
        cur += '/';
        cur += part;
        out.push_back(cur);
        if (out.size() > 64) break;
    }
    return out;
}

/// Reads `file` in every ancestor directory of `path` under `base` (deepest first).
[[nodiscard]] inline std::vector<std::pair<std::string, std::string>> read_up_tree(const std::string& base, std::string_view path,
                                                                                    std::string_view file) {
    std::vector<std::pair<std::string, std::string>> out;
    auto anc = cgroup_ancestors(path);
    for (auto it = anc.rbegin(); it != anc.rend(); ++it) {
        std::string p = base + (*it == "/" ? std::string() : *it) + "/" + std::string(file);
        if (auto t = read_file(p, 4096)) out.emplace_back(std::move(p), std::move(*t));
    }
    return out;
}

[[nodiscard]] inline std::string strip_root(const std::string& root, const std::string& path) {
    std::string r = root;
    while (!r.empty() && r.back() == '/') r.pop_back();
    if (!r.empty() && path.compare(0, r.size(), r) == 0) return path.substr(r.size());
    return path;
}

}  // namespace detail

/// Probes the Linux host under `root` ("/" for the real machine) into out.host / out.limits / out.sources.
/// `live` enables calls that describe the running process rather than files (sched_getaffinity, sysconf);
/// use false for a fake root. Missing files are notes, not errors.
inline void probe_linux_host(const std::string& root, probe_result& out, bool live) {
    out.platform = "linux";
    auto path = [&](std::string_view p) { return join_root(root, p); };
    container_limits& lim = out.limits;

    // ---- CPUs online
    std::vector<std::uint32_t> online;
    std::string cpu_src;
    if (auto t = read_file(path("/sys/devices/system/cpu/online"), 65536)) {
        if (auto l = parse_cpulist(*t)) {
            online = std::move(*l);
            cpu_src = "/sys/devices/system/cpu/online";
        } else {
            out.note("could not parse /sys/devices/system/cpu/online: " + std::string(l.error().what));
        }
    }
#if defined(__unix__) || defined(__APPLE__)
    if (online.empty() && live) {
        const long n = sysconf(_SC_NPROCESSORS_ONLN);
        for (long i = 0; i < n && i <= static_cast<long>(max_cpu_id); ++i) online.push_back(static_cast<std::uint32_t>(i));
        if (!online.empty()) cpu_src = "sysconf(_SC_NPROCESSORS_ONLN)";
    }
#endif
    if (online.empty()) out.note("online CPUs not found (/sys/devices/system/cpu/online missing)");
    lim.system_cpus = static_cast<std::uint32_t>(online.size());
    std::vector<std::uint32_t> usable = online;

    // ---- sched_getaffinity
#if defined(__linux__)
    if (live) {
        constexpr int max_cpus = 8192;
        cpu_set_t* set = CPU_ALLOC(max_cpus);
        if (set) {
            const std::size_t sz = CPU_ALLOC_SIZE(max_cpus);
            CPU_ZERO_S(sz, set);
            if (sched_getaffinity(0, sz, set) == 0) {
                std::vector<std::uint32_t> aff;
                for (int i = 0; i < max_cpus; ++i)
                    if (CPU_ISSET_S(static_cast<std::size_t>(i), sz, set)) aff.push_back(static_cast<std::uint32_t>(i));
                lim.affinity_cpus = static_cast<std::uint32_t>(aff.size());
                if (!aff.empty()) {
                    usable = usable.empty() ? aff : intersect(usable, aff);
                    cpu_src += ", sched_getaffinity";
                }
            }
            CPU_FREE(set);
        }
    }
#endif

    // ---- cgroups
    std::vector<cgroup_entry> groups;
    if (auto t = read_file(path("/proc/self/cgroup"), 65536)) {
        if (auto g = parse_proc_cgroup(*t)) groups = std::move(*g);
        else out.note("could not parse /proc/self/cgroup: " + std::string(g.error().what));
    } else {
        out.note("/proc/self/cgroup not found: no container limits applied");
    }
    auto v1_path = [&](std::string_view controller) -> std::optional<std::string> {
        for (const auto& g : groups)
            for (const auto& c : g.controllers)
                if (c == controller) return g.path;
        return std::nullopt;
    };
    std::optional<std::string> v2_path;
    for (const auto& g : groups)
        if (g.hierarchy == 0 && g.controllers.empty()) v2_path = g.path;
    const bool unified = read_file(path("/sys/fs/cgroup/cgroup.controllers"), 4096).has_value();

    std::uint64_t mem_limit = 0, mem_usage = 0;
    std::string mem_limit_src;
    std::uint32_t cpu_millis = 0;
    std::string cpu_limit_src;
    std::optional<std::vector<std::uint32_t>> cpuset;
    std::string cpuset_src;

    auto take_min_limit = [&](const std::vector<std::pair<std::string, std::string>>& files, bool memory) {
        for (const auto& [file, text] : files) {
            if (memory) {
                auto v = parse_memory_limit(text);
                if (!v) { out.note("could not parse " + detail::strip_root(root, file) + ": " + std::string(v.error().what)); continue; }
                if (*v != 0 && (mem_limit == 0 || *v < mem_limit)) { mem_limit = *v; mem_limit_src = detail::strip_root(root, file); }
            }
        }
    };
    auto take_cpuset = [&](const std::vector<std::pair<std::string, std::string>>& files) {
        if (files.empty() || cpuset) return;  // deepest first: the leaf's effective set already reflects ancestors
        auto l = parse_cpulist(files.front().second);
        if (!l) { out.note("could not parse " + detail::strip_root(root, files.front().first) + ": " + std::string(l.error().what)); return; }
        if (l->empty()) return;
        cpuset = std::move(*l);
        cpuset_src = detail::strip_root(root, files.front().first);
    };

    if (unified && v2_path) {
        lim.cgroup_version = "v2";
        lim.cgroup_path = *v2_path;
        const std::string base = path("/sys/fs/cgroup");
        take_min_limit(detail::read_up_tree(base, *v2_path, "memory.max"), true);
        if (auto cur = detail::read_up_tree(base, *v2_path, "memory.current"); !cur.empty()) (void)parse_u64(trim(cur.front().second), mem_usage);
        for (const auto& [file, text] : detail::read_up_tree(base, *v2_path, "cpu.max")) {
            auto m = parse_cpu_max(text);
            if (!m) { out.note("could not parse " + detail::strip_root(root, file) + ": " + std::string(m.error().what)); continue; }
            if (*m != 0 && (cpu_millis == 0 || *m < cpu_millis)) { cpu_millis = *m; cpu_limit_src = detail::strip_root(root, file); }
        }
        take_cpuset(detail::read_up_tree(base, *v2_path, "cpuset.cpus.effective"));
    } else if (!groups.empty()) {
        if (auto mp = v1_path("memory")) {
            lim.cgroup_version = "v1";
            lim.cgroup_path = *mp;
            const std::string base = path("/sys/fs/cgroup/memory");
            take_min_limit(detail::read_up_tree(base, *mp, "memory.limit_in_bytes"), true);
            if (auto cur = detail::read_up_tree(base, *mp, "memory.usage_in_bytes"); !cur.empty()) (void)parse_u64(trim(cur.front().second), mem_usage);
        }
        if (auto cp = v1_path("cpu")) {
            if (lim.cgroup_version.empty()) { lim.cgroup_version = "v1"; lim.cgroup_path = *cp; }
            for (const char* dir : {"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"}) {
                const std::string base = path(dir);
                const auto quotas = detail::read_up_tree(base, *cp, "cpu.cfs_quota_us");
                if (quotas.empty()) continue;
                for (std::size_t i = 0; i < quotas.size(); ++i) {
                    const std::string& qf = quotas[i].first;
                    const auto period = read_file(qf.substr(0, qf.size() - std::string_view("cpu.cfs_quota_us").size()) + "cpu.cfs_period_us", 4096);
                    auto m = parse_cfs_quota(quotas[i].second, period ? std::string_view(*period) : std::string_view("100000"));
                    if (!m) { out.note("could not parse " + detail::strip_root(root, quotas[i].first) + ": " + std::string(m.error().what)); continue; }
                    if (*m != 0 && (cpu_millis == 0 || *m < cpu_millis)) { cpu_millis = *m; cpu_limit_src = detail::strip_root(root, quotas[i].first); }
                }
                break;
            }
        }
        if (auto cs = v1_path("cpuset")) {
            const std::string base = path("/sys/fs/cgroup/cpuset");
            take_cpuset(detail::read_up_tree(base, *cs, "cpuset.effective_cpus"));
            take_cpuset(detail::read_up_tree(base, *cs, "cpuset.cpus"));
        }
    }
    lim.memory_limit = mem_limit;
    lim.memory_usage = mem_usage;
    lim.cpu_quota_millis = cpu_millis;
    if (cpuset) {
        lim.cpuset_cpus = static_cast<std::uint32_t>(cpuset->size());
        usable = usable.empty() ? *cpuset : intersect(usable, *cpuset);
        cpu_src += ", cgroup " + cpuset_src;
    }

    // ---- topology: physical cores = distinct thread_siblings (llama.cpp's rule), among usable CPUs
    auto siblings_of = [&](const std::vector<std::uint32_t>& cpus, std::size_t& found) {
        std::vector<std::string> sib;
        found = 0;
        for (std::uint32_t c : cpus) {
            if (auto t = read_file(path("/sys/devices/system/cpu/cpu" + std::to_string(c) + "/topology/thread_siblings"), 4096)) {
                sib.push_back(std::move(*t));
                ++found;
            }
        }
        return sib;
    };
    std::size_t found_all = 0, found_usable = 0;
    lim.system_cores = count_unique_siblings(siblings_of(online, found_all));
    std::uint32_t physical = count_unique_siblings(siblings_of(usable, found_usable));
    std::string phys_src = "distinct /sys/devices/system/cpu/cpuN/topology/thread_siblings (as llama.cpp counts)";
    if (found_usable < usable.size() || physical == 0) {
        physical = static_cast<std::uint32_t>(usable.size());
        phys_src = "assumed = logical CPUs (thread_siblings not readable)";
        out.note("CPU topology (thread_siblings) not readable: physical cores assumed equal to logical CPUs");
        if (lim.system_cores == 0) lim.system_cores = lim.system_cpus;
    }

    std::uint32_t logical = static_cast<std::uint32_t>(usable.size());
    if (cpu_millis != 0) {
        const std::uint32_t cap = std::max<std::uint32_t>(1, (cpu_millis + 999) / 1000);
        if (cap < logical) {
            logical = cap;
            cpu_src += ", capped by cgroup " + cpu_limit_src;
        }
        if (cap < physical) {
            physical = cap;
            phys_src += ", capped by cgroup " + cpu_limit_src;
        }
    }
    physical = std::min(physical, logical);
    out.host.cpus_logical = logical;
    out.host.cpus_physical = physical;
    if (logical) out.set_source("host.cpus_logical", cpu_src);
    if (physical) out.set_source("host.cpus_physical", phys_src);

    // ---- hybrid P/E (kernel perf: /sys/devices/cpu_core/cpus and /sys/devices/cpu_atom/cpus)
    auto core_list = read_file(path("/sys/devices/cpu_core/cpus"), 65536);
    auto atom_list = read_file(path("/sys/devices/cpu_atom/cpus"), 65536);
    if (core_list && atom_list) {
        auto pc = parse_cpulist(*core_list);
        auto ec = parse_cpulist(*atom_list);
        if (pc && ec) {
            std::size_t f1 = 0, f2 = 0;
            const auto p_usable = intersect(usable, *pc);
            const auto e_usable = intersect(usable, *ec);
            std::uint32_t p = count_unique_siblings(siblings_of(p_usable, f1));
            std::uint32_t e = count_unique_siblings(siblings_of(e_usable, f2));
            if (f1 < p_usable.size()) p = static_cast<std::uint32_t>(p_usable.size());
            if (f2 < e_usable.size()) e = static_cast<std::uint32_t>(e_usable.size());
            out.host.cpus_performance = p;
            out.host.cpus_efficiency = e;
            out.set_source("host.cpus_performance", "/sys/devices/cpu_core/cpus (distinct thread_siblings)");
            out.set_source("host.cpus_efficiency", "/sys/devices/cpu_atom/cpus");
        } else {
            out.note("could not parse the hybrid CPU lists under /sys/devices/cpu_core and cpu_atom");
        }
    }

    // ---- NUMA
    if (auto t = read_file(path("/sys/devices/system/node/online"), 65536)) {
        if (auto l = parse_cpulist(*t); l && !l->empty()) {
            out.host.numa_nodes = static_cast<std::uint32_t>(l->size());
            out.set_source("host.numa_nodes", "/sys/devices/system/node/online");
        } else {
            out.note("could not parse /sys/devices/system/node/online; assuming 1 NUMA node");
        }
    } else {
        out.host.numa_nodes = 1;
        out.note("NUMA nodes not found (/sys/devices/system/node/online missing); assuming 1");
    }

    // ---- memory
    if (auto t = read_file(path("/proc/meminfo"), 65536)) {
        if (auto m = parse_meminfo(*t)) {
            lim.system_memory = m->total;
            std::uint64_t total = m->total, avail = m->available;
            std::string tsrc = "/proc/meminfo MemTotal";
            std::string asrc = m->estimated_available ? "/proc/meminfo MemFree+Buffers+Cached (no MemAvailable)" : "/proc/meminfo MemAvailable";
            if (mem_limit != 0 && mem_limit < total) {
                total = mem_limit;
                tsrc = "cgroup " + lim.cgroup_version + " " + mem_limit_src + " (container limit; MemTotal " + format_bytes(m->total) + ")";
            }
            if (mem_limit != 0) {
                const std::uint64_t room = mem_limit > mem_usage ? mem_limit - mem_usage : 0;
                if (room < avail) {
                    avail = room;
                    asrc = "cgroup " + lim.cgroup_version + " limit minus usage (" + mem_limit_src + ")";
                }
            }
            out.host.memory_total = total;
            out.host.memory_available = std::min(avail, total);
            out.set_source("host.memory_total", tsrc);
            out.set_source("host.memory_available", asrc);
        } else {
            out.note("could not parse /proc/meminfo: " + std::string(m.error().what));
        }
    } else {
        out.note("/proc/meminfo not found: host memory unknown");
    }

    // ---- CPU model and repack support
    if (auto t = read_file(path("/proc/cpuinfo"), 1u << 20)) {
        const cpuinfo_facts f = parse_cpuinfo(*t);
        out.cpu_name = f.model_name;
        if (f.has_flags) {
            out.host.cpu_repack = f.repack;
            out.set_source("host.cpu_repack", "/proc/cpuinfo flags (avx2/avx512f/asimd)");
            // the AMX buffer exists only in a llama.cpp built for AMX (GGML_NATIVE on such a CPU, or GGML_AMX_INT8)
            out.host.cpu_amx = f.amx && f.vnni;
            out.set_source("host.cpu_amx", "/proc/cpuinfo flags (amx_int8 + avx512_vnni); assumes a native llama.cpp build");
        }
    } else {
        out.note("/proc/cpuinfo not found: CPU model and SIMD features unknown");
    }
}

}  // namespace llamaplan::probe

#endif  // LLAMAPLAN_PROBE_LINUX_HPP
