// SPDX-License-Identifier: MIT
// `llamaplan specs`: probe this machine (or a fake root) and print, save or emit it as JSON.
#include "commands.hpp"

#include <llamaplan/probe/probe.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

namespace probe = llamaplan::probe;

constexpr const char* specs_usage =
    "usage: llamaplan specs [--json] [--save FILE] [--root DIR] [--measure] [--help]\n"
    "       llamaplan specs --rpc HOST:PORT[,HOST:PORT...] [--timeout MS] [--json]\n"
    "\n"
    "Probes CPUs, RAM (container limits applied) and GPUs (NVML, nvidia-smi, amdgpu sysfs, Vulkan, Metal)\n"
    "and shows each fact with the source it came from, plus what could not be detected.\n"
    "With --rpc, asks each llama.cpp rpc-server worker instead, over its own protocol (5.x): its protocol\n"
    "version and, per device, free and total memory, buffer alignment and largest buffer.\n"
    "\n"
    "  --json        print the machine as JSON (the machine file format) instead of a table\n"
    "  --save FILE   also write a machine file (atomically: temporary file, then rename)\n"
    "  --root DIR    read /proc and /sys under DIR instead of / (no driver queries)\n"
    "  --measure     measure host memory bandwidth (about 0.5 s)\n"
    "  --rpc LIST    probe rpc-server workers (llama-server's --rpc list; [IPV6]:PORT for IPv6 literals)\n"
    "  --timeout MS  with --rpc: connect and per-reply timeout (default 2000)\n"
    "  --help        show this help\n";

std::string or_unknown(std::uint64_t v, bool bytes) {
    if (v == 0) return "unknown";
    return bytes ? probe::format_bytes(v) : std::to_string(v);
}

std::string rate(std::uint64_t bytes_per_s) {
    if (bytes_per_s == 0) return "unknown";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f GB/s", static_cast<double>(bytes_per_s) / 1e9);
    return buf;
}

void row(const std::string& label, const std::string& value, std::string_view source) {
    std::printf("  %-20s %-22s %s\n", label.c_str(), value.c_str(), source.empty() ? "" : std::string("[" + std::string(source) + "]").c_str());
}

void print_table(const probe::probe_result& r) {
    const auto& h = r.host;
    std::printf("Host (%s%s%s)\n", r.platform.c_str(), r.cpu_name.empty() ? "" : ", ", r.cpu_name.c_str());
    row("logical CPUs", or_unknown(h.cpus_logical, false), r.source_of("host.cpus_logical"));
    row("physical cores", or_unknown(h.cpus_physical, false), r.source_of("host.cpus_physical"));
    if (h.cpus_performance || h.cpus_efficiency) {
        row("performance cores", std::to_string(h.cpus_performance), r.source_of("host.cpus_performance"));
        row("efficiency cores", std::to_string(h.cpus_efficiency), r.source_of("host.cpus_efficiency"));
    }
    row("NUMA nodes", std::to_string(h.numa_nodes), r.source_of("host.numa_nodes"));
    row("memory total", or_unknown(h.memory_total, true), r.source_of("host.memory_total"));
    row("memory available", or_unknown(h.memory_available, true), r.source_of("host.memory_available"));
    row("memory bandwidth", rate(h.bandwidth), r.source_of("host.bandwidth"));
    row("weight repacking", h.cpu_repack ? "yes" : "no", r.source_of("host.cpu_repack"));
    row("AMX weights", h.cpu_amx ? "yes" : "no", r.source_of("host.cpu_amx"));

    const auto& l = r.limits;
    std::printf("Container and scheduler limits\n");
    row("cgroup", l.cgroup_version.empty() ? "none found" : l.cgroup_version + " " + l.cgroup_path, "");
    row("memory limit", l.memory_limit ? probe::format_bytes(l.memory_limit) : "none", "");
    if (l.cpu_quota_millis) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.2f CPUs", l.cpu_quota_millis / 1000.0);
        row("CPU quota", buf, "");
    } else {
        row("CPU quota", "none", "");
    }
    if (l.cpuset_cpus) row("cpuset CPUs", std::to_string(l.cpuset_cpus), "");
    if (l.affinity_cpus) row("affinity CPUs", std::to_string(l.affinity_cpus), "");
    row("system CPUs / cores", std::to_string(l.system_cpus) + " / " + std::to_string(l.system_cores), "llama.cpp's default -t is the core count");
    if (l.system_memory) row("system memory", probe::format_bytes(l.system_memory), "");

    std::printf("Devices (%zu)\n", r.devices.size());
    for (std::size_t i = 0; i < r.devices.size(); ++i) {
        const auto& d = r.devices[i];
        const std::string k = "devices." + std::to_string(i);
        std::printf("  [%zu] %s (%s, via %s%s%s)\n", i, d.name.c_str(), std::string(llamaplan::to_string(d.info.kind)).c_str(),
                    d.source.c_str(), d.id.empty() ? "" : ", ", d.id.c_str());
        row("  memory total", or_unknown(d.info.memory_total, true), r.source_of(k + ".memory_total"));
        row("  memory free", probe::format_bytes(d.info.memory_free), r.source_of(k + ".memory_free"));
        row("  bandwidth", rate(d.info.bandwidth), r.source_of(k + ".bandwidth"));
        if (d.info.compute_major)
            row("  compute capability", std::to_string(d.info.compute_major) + "." + std::to_string(d.info.compute_minor),
                r.source_of(k + ".compute_capability"));
        if (d.info.pcie_generation)
            row("  PCIe", "gen " + std::to_string(d.info.pcie_generation) + " x" + std::to_string(d.info.pcie_width), r.source_of(k + ".pcie"));
        if (d.info.unified_memory) row("  unified memory", "yes (shares host RAM)", "");
    }
    if (!r.notes.empty()) {
        std::printf("Not detected / notes\n");
        for (const auto& n : r.notes) std::printf("  - %s\n", n.c_str());
    }
}

std::string max_size_text(std::uint64_t v) {
    return v == ~std::uint64_t{0} ? std::string("no limit") : probe::format_bytes(v);
}

/// `specs --rpc`: every worker in turn; a worker that fails is reported and the others still probed (exit 1).
int specs_rpc(std::string_view list, std::chrono::milliseconds timeout, bool as_json) {
    auto endpoints = probe::split_rpc_list(list);
    if (!endpoints) {
        std::fprintf(stderr, "llamaplan specs: --rpc: %s\n", std::string(endpoints.error().what).c_str());
        return 2;
    }
    probe::rpc_timeouts t;
    t.connect = t.reply = timeout;
    auto all = probe::json::value::make_array();
    int rc = 0;
    for (const auto& e : *endpoints) {
        std::string message;
        auto w = probe::probe_rpc_worker(e, t, &message);
        if (!w) {
            rc = 1;
            std::fprintf(stderr, "llamaplan specs: %s\n", message.c_str());
            if (as_json) all.push(probe::rpc_failure_to_json_value(e, message));
            continue;
        }
        if (as_json) {
            all.push(probe::rpc_worker_to_json_value(*w));
            continue;
        }
        std::printf("Worker %s: RPC protocol %u.%u.%u, %zu device(s), %u round trips in %.2f ms\n", w->endpoint.c_str(),
                    unsigned{w->version.major}, unsigned{w->version.minor}, unsigned{w->version.patch}, w->devices.size(),
                    w->round_trips, static_cast<double>(w->elapsed.count()) / 1000.0);
        for (std::size_t i = 0; i < w->devices.size(); ++i) {
            const auto& d = w->devices[i];
            std::printf("  [%zu] memory %llu MiB total, %llu MiB free; alignment %llu B; max buffer %s\n", i,
                        static_cast<unsigned long long>(d.memory_total >> 20), static_cast<unsigned long long>(d.memory_free >> 20),
                        static_cast<unsigned long long>(d.alignment), max_size_text(d.max_size).c_str());
        }
    }
    if (as_json) {
        auto root = probe::json::value::make_object();
        root.set("workers", std::move(all));
        std::fputs((probe::json::dump(root, 2) + "\n").c_str(), stdout);
    }
    return std::fflush(stdout) == 0 ? rc : 1;
}

}  // namespace

int cmd_specs(int argc, char** argv) {
    bool as_json = false, measure = false;
    std::string save, root = "/", rpc;
    long timeout_ms = 2000;
    for (int i = 0; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--help" || a == "-h") {
            std::fputs(specs_usage, stdout);
            return 0;
        }
        if (a == "--json") {
            as_json = true;
        } else if (a == "--measure") {
            measure = true;
        } else if (a == "--rpc" || a == "--timeout") {
            if (i + 1 >= argc || argv[i + 1][0] == '\0') {
                std::fprintf(stderr, "llamaplan specs: %s needs a value\n", argv[i]);
                return 2;
            }
            const std::string_view v = argv[++i];
            if (a == "--rpc") {
                rpc = v;
            } else {
                char* end = nullptr;
                timeout_ms = std::strtol(argv[i], &end, 10);
                if (*end != '\0' || timeout_ms < 1 || timeout_ms > 600000) {
                    std::fprintf(stderr, "llamaplan specs: --timeout wants milliseconds in 1..600000, not '%s'\n", argv[i]);
                    return 2;
                }
            }
        } else if (a == "--save" || a == "--root") {
            if (i + 1 >= argc || argv[i + 1][0] == '\0') {
                std::fprintf(stderr, "llamaplan specs: %s needs a value\n", argv[i]);
                return 2;
            }
            (a == "--save" ? save : root) = argv[++i];
        } else {
            std::fprintf(stderr, "llamaplan specs: unknown argument '%s' (see --help)\n", argv[i]);
            return 2;
        }
    }
    if (!rpc.empty()) {
        if (!save.empty() || measure || root != "/") {
            std::fprintf(stderr, "llamaplan specs: --rpc goes with --json and --timeout only\n");
            return 2;
        }
        return specs_rpc(rpc, std::chrono::milliseconds(timeout_ms), as_json);
    }
    probe::probe_options opt;
    opt.root = root;
    opt.measure_bandwidth = measure;
    auto r = probe::probe_machine(opt);
    if (!r) {
        std::fprintf(stderr, "llamaplan specs: %s: %s\n", root.c_str(), std::string(r.error().what).c_str());
        return 1;
    }
    if (!save.empty()) {
        auto s = probe::save_machine_file(save, *r);
        if (!s) {
            std::fprintf(stderr, "llamaplan specs: %s: %s\n", save.c_str(), std::string(s.error().what).c_str());
            return 1;
        }
    }
    if (as_json) {
        std::fputs(probe::machine_to_json(*r).c_str(), stdout);
    } else {
        print_table(*r);
        if (!save.empty()) std::printf("Saved machine file: %s\n", save.c_str());
    }
    return std::fflush(stdout) == 0 ? 0 : 1;
}
