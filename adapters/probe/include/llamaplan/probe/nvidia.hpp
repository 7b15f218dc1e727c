// SPDX-License-Identifier: MIT
// NVIDIA GPUs: NVML loaded at run time (no SDK headers), with nvidia-smi's CSV output as the fallback.
// NVML signatures follow nvml.h as summarised in shared/reference/llama-cpp-facts.md section 7.
#ifndef LLAMAPLAN_PROBE_NVIDIA_HPP
#define LLAMAPLAN_PROBE_NVIDIA_HPP

#include <llamaplan/config.hpp>

#include <llamaplan/probe/bandwidth.hpp>
#include <llamaplan/probe/probe_result.hpp>
#include <llamaplan/probe/system.hpp>
#include <llamaplan/probe/text.hpp>
#include <llamaplan/result.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>


namespace llamaplan::inline LLAMAPLAN_ABI_TAG::probe {

// ---------------------------------------------------------------------------------------------
// nvidia-smi CSV parser
// ---------------------------------------------------------------------------------------------

/// The fields llamaplan asks nvidia-smi for (`--query-gpu=<this> --format=csv,noheader,nounits`).
/// pcie.link.gen.max is the link's maximum (GPU and slot): the current generation drops to 1 at idle.
inline constexpr std::string_view nvidia_smi_fields =
    "index,name,uuid,pci.bus_id,memory.total,memory.used,memory.free,compute_cap,pcie.link.gen.max,"
    "pcie.link.width.current,clocks.max.memory,mig.mode.current,driver_version";

/// One GPU line of nvidia-smi's CSV output. Numbers are 0 when the field was absent or "[N/A]".
struct nvidia_smi_gpu {
    std::uint32_t index = 0;          ///< nvidia-smi index (PCI bus order)
    std::string name{};               ///< product name
    std::string uuid{};               ///< "GPU-..." UUID
    std::string pci_bus_id{};         ///< "00000000:01:00.0"
    std::string driver_version{};     ///< e.g. "550.54.14"
    std::uint64_t memory_total = 0;   ///< bytes (nvidia-smi prints MiB)
    std::uint64_t memory_used = 0;    ///< bytes
    std::uint64_t memory_free = 0;    ///< bytes
    std::uint32_t compute_major = 0;  ///< from compute_cap "8.9"; 0 = unknown (drivers before ~510 lack the field)
    std::uint32_t compute_minor = 0;  ///< minor part of compute_cap
    std::uint32_t pcie_generation = 0;  ///< pcie.link.gen.max
    std::uint32_t pcie_width = 0;     ///< pcie.link.width.current (lanes)
    std::uint32_t max_memory_clock = 0;  ///< clocks.max.memory (MHz)
    bool mig_enabled = false;         ///< mig.mode.current == "Enabled"
};

/// True for nvidia-smi's "no value" spellings: "[N/A]", "N/A", "[Not Supported]", "[Insufficient Permissions]",
/// "[Unknown Error]", "[Unknown]" and empty fields.
[[nodiscard]] constexpr bool nvidia_smi_missing(std::string_view v) noexcept {
    return v.empty() || v == "N/A" || (v.front() == '[' && v.back() == ']');
}

/// When nvidia-smi rejected a field ('Field "compute_cap" is not a valid field to query.'), its name; else "".
[[nodiscard]] inline std::string nvidia_smi_invalid_field(std::string_view output) {
    const auto p = output.find("is not a valid field to query");
    if (p == std::string_view::npos) return {};
    const auto close = output.rfind('"', p);
    if (close == std::string_view::npos || close == 0) return {};
    const auto open = output.rfind('"', close - 1);
    if (open == std::string_view::npos) return {};
    return std::string(output.substr(open + 1, close - open - 1));
}

/// Parses `nvidia-smi --query-gpu=<fields> --format=csv,noheader,nounits` output. `fields` is the
/// comma-separated list that was queried (unknown fields are skipped). "No devices were found" is an empty list.
[[nodiscard]] inline result<std::vector<nvidia_smi_gpu>> parse_nvidia_smi_csv(std::string_view fields, std::string_view output) {
    std::vector<nvidia_smi_gpu> gpus;
    std::vector<std::string_view> names;
    for (std::string_view f : split(fields, ',')) names.push_back(trim(f));
    if (names.empty() || names.size() > 64) return make_error(errc::invalid_argument, "nvidia-smi: bad field list", 0);
    if (!nvidia_smi_invalid_field(output).empty()) return make_error(errc::unsupported, "nvidia-smi: a queried field is not supported by this driver", 0);
    if (output.find("NVIDIA-SMI has failed") != std::string_view::npos || output.find("couldn't communicate with the NVIDIA driver") != std::string_view::npos)
        return make_error(errc::io_error, "nvidia-smi: cannot communicate with the NVIDIA driver", 0);
    std::uint64_t offset = 0;
    for (std::string_view raw : split_lines(output)) {
        const std::uint64_t at = offset;
        offset += raw.size() + 1;
        const std::string_view line = trim(raw);
        if (line.empty()) continue;
        if (line == "No devices were found") continue;
        const auto cols = split(line, ',');
        if (cols.size() != names.size()) return make_error(errc::invalid_argument, "nvidia-smi: wrong number of columns in a line", at);
        nvidia_smi_gpu g;
        for (std::size_t i = 0; i < cols.size(); ++i) {
            const std::string_view key = names[i];
            const std::string_view v = trim(cols[i]);
            if (nvidia_smi_missing(v)) continue;
            std::uint64_t n = 0;
            auto number = [&](std::uint64_t max) -> bool { return parse_u64(v, n) && n <= max; };
            if (key == "index") {
                if (!number(0xFFFF)) return make_error(errc::invalid_argument, "nvidia-smi: bad index", at);
                g.index = static_cast<std::uint32_t>(n);
            } else if (key == "name") {
                g.name = std::string(v);
            } else if (key == "uuid") {
                g.uuid = std::string(v);
            } else if (key == "pci.bus_id") {
                g.pci_bus_id = std::string(v);
            } else if (key == "driver_version") {
                g.driver_version = std::string(v);
            } else if (key == "memory.total" || key == "memory.used" || key == "memory.free") {
                if (!number(std::uint64_t{1} << 40)) return make_error(errc::invalid_argument, "nvidia-smi: bad memory value (MiB expected)", at);
                const std::uint64_t bytes = n << 20;
                (key == "memory.total" ? g.memory_total : key == "memory.used" ? g.memory_used : g.memory_free) = bytes;
            } else if (key == "compute_cap") {
                const auto dot = v.find('.');
                std::uint64_t ma = 0, mi = 0;
                if (dot == std::string_view::npos || !parse_u64(v.substr(0, dot), ma) || !parse_u64(v.substr(dot + 1), mi) || ma > 99 || mi > 99)
                    return make_error(errc::invalid_argument, "nvidia-smi: bad compute_cap (expected major.minor)", at);
                g.compute_major = static_cast<std::uint32_t>(ma);
                g.compute_minor = static_cast<std::uint32_t>(mi);
            } else if (key == "pcie.link.gen.max" || key == "pcie.link.gen.gpucurrent" || key == "pcie.link.gen.current") {
                if (!number(99)) return make_error(errc::invalid_argument, "nvidia-smi: bad PCIe generation", at);
                if (g.pcie_generation == 0 || key == "pcie.link.gen.max") g.pcie_generation = static_cast<std::uint32_t>(n);
            } else if (key == "pcie.link.width.current" || key == "pcie.link.width.max") {
                if (!number(64)) return make_error(errc::invalid_argument, "nvidia-smi: bad PCIe width", at);
                if (g.pcie_width == 0 || key == "pcie.link.width.current") g.pcie_width = static_cast<std::uint32_t>(n);
            } else if (key == "clocks.max.memory") {
                if (!number(1000000)) return make_error(errc::invalid_argument, "nvidia-smi: bad memory clock", at);
                g.max_memory_clock = static_cast<std::uint32_t>(n);
            } else if (key == "mig.mode.current") {
                g.mig_enabled = v == "Enabled";
            }
        }
        if (g.name.empty()) return make_error(errc::invalid_argument, "nvidia-smi: a GPU line has no name", at);
        if (gpus.size() >= 64) return make_error(errc::capacity_exceeded, "nvidia-smi: too many GPUs", at);
        gpus.push_back(std::move(g));
    }
    return gpus;
}

/// One MIG instance from `nvidia-smi -L` ("  MIG 3g.20gb     Device  0: (UUID: MIG-...)").
struct nvidia_mig_instance {
    std::uint32_t gpu = 0;         ///< parent GPU index
    std::string profile{};         ///< "3g.20gb"
    std::string uuid{};            ///< "MIG-..."
    std::uint64_t memory = 0;      ///< memory from the profile name (decimal GB x 1e9; an estimate)
};

/// Parses `nvidia-smi -L` for MIG instances (GPU lines "GPU 0: NAME (UUID: GPU-...)" set the parent).
[[nodiscard]] inline result<std::vector<nvidia_mig_instance>> parse_nvidia_smi_list(std::string_view output) {
    std::vector<nvidia_mig_instance> out;
    std::uint32_t gpu = 0;
    bool have_gpu = false;
    std::uint64_t offset = 0;
    for (std::string_view raw : split_lines(output)) {
        const std::uint64_t at = offset;
        offset += raw.size() + 1;
        const std::string_view line = trim(raw);
        if (line.empty()) continue;
        if (line.substr(0, 4) == "GPU ") {
            const auto colon = line.find(':');
            std::uint64_t n = 0;
            if (colon == std::string_view::npos || !parse_u64(line.substr(4, colon - 4), n) || n > 0xFFFF)
                return make_error(errc::invalid_argument, "nvidia-smi -L: bad GPU line", at);
            gpu = static_cast<std::uint32_t>(n);
            have_gpu = true;
        } else if (line.substr(0, 4) == "MIG ") {
            if (!have_gpu) return make_error(errc::invalid_argument, "nvidia-smi -L: MIG line before any GPU line", at);
            nvidia_mig_instance m;
            m.gpu = gpu;
            const std::string_view rest = trim(line.substr(4));
            m.profile = std::string(rest.substr(0, rest.find(' ')));
            const auto u = line.find("(UUID: ");
            if (u != std::string_view::npos) {
                const auto e = line.find(')', u);
                if (e == std::string_view::npos) return make_error(errc::invalid_argument, "nvidia-smi -L: unterminated UUID", at);
                m.uuid = std::string(line.substr(u + 7, e - u - 7));
            }
            const auto dot = m.profile.find('.');
            const auto gb = m.profile.rfind("gb");
            std::uint64_t g = 0;
            if (dot != std::string::npos && gb != std::string::npos && gb > dot + 1 &&
                parse_u64(std::string_view(m.profile).substr(dot + 1, gb - dot - 1), g) && g < 100000)
                m.memory = g * 1000000000ull;
            if (out.size() >= 256) return make_error(errc::capacity_exceeded, "nvidia-smi -L: too many MIG instances", at);
            out.push_back(std::move(m));
        } else {
            return make_error(errc::invalid_argument, "nvidia-smi -L: unexpected line", at);
        }
    }
    return out;
}

/// Turns parsed nvidia-smi output into device records (MIG-enabled GPUs become one record per MIG instance
/// from `mig`, as CUDA enumerates them). Bandwidth comes from the table; notes go to `out`.
inline void add_nvidia_smi_devices(const std::vector<nvidia_smi_gpu>& gpus, const std::vector<nvidia_mig_instance>& mig,
                                   probe_result& out) {
    for (const auto& g : gpus) {
        device_record r;
        r.name = g.name;
        r.id = !g.pci_bus_id.empty() ? g.pci_bus_id : g.uuid;
        r.source = "nvidia-smi";
        r.info.kind = backend::cuda;
        r.info.memory_total = g.memory_total;
        r.info.memory_free = g.memory_free;
        r.info.compute_major = g.compute_major;
        r.info.compute_minor = g.compute_minor;
        r.info.pcie_generation = g.pcie_generation;
        r.info.pcie_width = g.pcie_width;
        std::string bw_src;
        if (const auto* e = lookup_bandwidth(g.name)) {
            r.info.bandwidth = e->gb_per_s * 1000000000ull;
            bw_src = "table: " + std::string(e->source);
        }
        if (g.compute_major == 0) out.note("GPU " + std::to_string(g.index) + " (" + g.name + "): compute capability unknown (old driver without compute_cap?)");
        if (r.info.bandwidth == 0) out.note("GPU " + std::to_string(g.index) + " (" + g.name + "): memory bandwidth unknown (not in the table; nvidia-smi has no bus width)");
        if (g.memory_total == 0) out.note("GPU " + std::to_string(g.index) + " (" + g.name + "): memory size not reported");
        std::vector<const nvidia_mig_instance*> inst;
        if (g.mig_enabled)
            for (const auto& m : mig)
                if (m.gpu == g.index) inst.push_back(&m);
        if (g.mig_enabled && inst.empty())
            out.note("GPU " + std::to_string(g.index) + " (" + g.name + ") has MIG enabled but no MIG instances were listed: CUDA will not see it");
        if (!inst.empty()) {
            out.note("GPU " + std::to_string(g.index) + " (" + g.name + ") has MIG enabled: listed as its " + std::to_string(inst.size()) +
                     " MIG instance(s); their memory is estimated from the profile names");
            for (const auto* m : inst) {
                device_record mr = r;
                mr.name = g.name + " MIG " + m->profile;
                mr.id = m->uuid;
                mr.info.memory_total = m->memory;
                mr.info.memory_free = m->memory;
                if (g.memory_total && r.info.bandwidth)
                    mr.info.bandwidth = static_cast<std::uint64_t>(static_cast<double>(r.info.bandwidth) *
                                                                   std::min(1.0, static_cast<double>(m->memory) / static_cast<double>(g.memory_total)));
                const std::string k = "devices." + std::to_string(out.devices.size());
                out.set_source(k + ".memory_total", "nvidia-smi -L MIG profile " + m->profile + " (estimate)");
                if (mr.info.bandwidth) out.set_source(k + ".bandwidth", bw_src + ", scaled by the MIG memory share (estimate)");
                out.devices.push_back(std::move(mr));
            }
            continue;
        }
        const std::string k = "devices." + std::to_string(out.devices.size());
        out.set_source(k + ".memory_total", "nvidia-smi memory.total");
        out.set_source(k + ".memory_free", "nvidia-smi memory.free");
        if (r.info.bandwidth) out.set_source(k + ".bandwidth", bw_src);
        if (g.compute_major) out.set_source(k + ".compute_capability", "nvidia-smi compute_cap");
        if (g.pcie_generation) out.set_source(k + ".pcie", "nvidia-smi pcie.link.gen.max / pcie.link.width.current");
        out.devices.push_back(std::move(r));
    }
}

// ---------------------------------------------------------------------------------------------
// I/O: NVML via dlopen, then nvidia-smi
// ---------------------------------------------------------------------------------------------


/// Probes NVIDIA GPUs through NVML (libnvidia-ml.so.1, loaded at run time). Returns false when NVML is not
/// available (library absent, init failed); true when it answered (possibly with 0 GPUs).
inline bool probe_nvml(probe_result& out) {
#if defined(__unix__) || defined(__APPLE__)
    using nvml_return = int;  // nvmlReturn_t; NVML_SUCCESS = 0
    using nvml_device = void*;
    struct nvml_memory { unsigned long long total, free, used; };                      // nvmlMemory_t
    struct nvml_memory_v2 { unsigned int version; unsigned long long total, reserved, free, used; };  // nvmlMemory_v2_t
    void* lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) return false;
    using fn_void = nvml_return (*)();
    using fn_count = nvml_return (*)(unsigned*);
    using fn_handle = nvml_return (*)(unsigned, nvml_device*);
    using fn_str = nvml_return (*)(nvml_device, char*, unsigned);
    using fn_mem = nvml_return (*)(nvml_device, nvml_memory*);
    using fn_mem2 = nvml_return (*)(nvml_device, nvml_memory_v2*);
    using fn_cc = nvml_return (*)(nvml_device, int*, int*);
    using fn_uint = nvml_return (*)(nvml_device, unsigned*);
    using fn_clock = nvml_return (*)(nvml_device, int, unsigned*);
    using fn_mig = nvml_return (*)(nvml_device, unsigned*, unsigned*);
    using fn_mig_handle = nvml_return (*)(nvml_device, unsigned, nvml_device*);
    auto init = detail::load_symbol<fn_void>(lib, "nvmlInit_v2");
    if (!init) init = detail::load_symbol<fn_void>(lib, "nvmlInit");
    auto shutdown = detail::load_symbol<fn_void>(lib, "nvmlShutdown");
    auto count = detail::load_symbol<fn_count>(lib, "nvmlDeviceGetCount_v2");
    if (!count) count = detail::load_symbol<fn_count>(lib, "nvmlDeviceGetCount");
    auto handle = detail::load_symbol<fn_handle>(lib, "nvmlDeviceGetHandleByIndex_v2");
    if (!handle) handle = detail::load_symbol<fn_handle>(lib, "nvmlDeviceGetHandleByIndex");
    auto get_name = detail::load_symbol<fn_str>(lib, "nvmlDeviceGetName");
    auto get_uuid = detail::load_symbol<fn_str>(lib, "nvmlDeviceGetUUID");
    auto mem2 = detail::load_symbol<fn_mem2>(lib, "nvmlDeviceGetMemoryInfo_v2");
    auto mem1 = detail::load_symbol<fn_mem>(lib, "nvmlDeviceGetMemoryInfo");
    auto cc = detail::load_symbol<fn_cc>(lib, "nvmlDeviceGetCudaComputeCapability");
    auto bus = detail::load_symbol<fn_uint>(lib, "nvmlDeviceGetMemoryBusWidth");
    auto max_clock = detail::load_symbol<fn_clock>(lib, "nvmlDeviceGetMaxClockInfo");
    auto pcie_gen = detail::load_symbol<fn_uint>(lib, "nvmlDeviceGetMaxPcieLinkGeneration");
    auto pcie_width = detail::load_symbol<fn_uint>(lib, "nvmlDeviceGetCurrPcieLinkWidth");
    auto mig_mode = detail::load_symbol<fn_mig>(lib, "nvmlDeviceGetMigMode");
    auto mig_max = detail::load_symbol<fn_uint>(lib, "nvmlDeviceGetMaxMigDeviceCount");
    auto mig_handle = detail::load_symbol<fn_mig_handle>(lib, "nvmlDeviceGetMigDeviceHandleByIndex");
    if (!init || !shutdown || !count || !handle || !get_name || (!mem1 && !mem2)) {
        out.note("libnvidia-ml.so.1 lacks required NVML functions; trying nvidia-smi");
        dlclose(lib);
        return false;
    }
    if (init() != 0) {
        out.note("nvmlInit failed (driver not loaded?); trying nvidia-smi");
        dlclose(lib);
        return false;
    }
    unsigned n = 0;
    if (count(&n) != 0) n = 0;
    if (n > 64) n = 64;

    // Fills one record from a (GPU or MIG) handle.
    auto fill = [&](nvml_device d, device_record& r, const std::string& key) {
        char buf[96] = {};  // NVML_DEVICE_NAME_V2_BUFFER_SIZE / NVML_DEVICE_UUID_V2_BUFFER_SIZE
        if (get_name(d, buf, sizeof buf) == 0) r.name.assign(buf, strnlen(buf, sizeof buf));
        char ubuf[96] = {};
        if (get_uuid && get_uuid(d, ubuf, sizeof ubuf) == 0) r.id.assign(ubuf, strnlen(ubuf, sizeof ubuf));
        nvml_memory_v2 m2{};
        m2.version = static_cast<unsigned>(sizeof(nvml_memory_v2)) | (2u << 24);
        nvml_memory m1{};
        if (mem2 && mem2(d, &m2) == 0) {
            r.info.memory_total = m2.total;
            r.info.memory_free = m2.free;
            out.set_source(key + ".memory_total", "NVML nvmlDeviceGetMemoryInfo_v2");
            out.set_source(key + ".memory_free", "NVML nvmlDeviceGetMemoryInfo_v2 (free excludes reserved)");
        } else if (mem1 && mem1(d, &m1) == 0) {
            r.info.memory_total = m1.total;
            r.info.memory_free = m1.free;
            out.set_source(key + ".memory_total", "NVML nvmlDeviceGetMemoryInfo");
            out.set_source(key + ".memory_free", "NVML nvmlDeviceGetMemoryInfo");
        } else {
            out.note(key + " (" + r.name + "): NVML memory query failed");
        }
        int ma = 0, mi = 0;
        if (cc && cc(d, &ma, &mi) == 0 && ma > 0) {
            r.info.compute_major = static_cast<std::uint32_t>(ma);
            r.info.compute_minor = static_cast<std::uint32_t>(mi);
            out.set_source(key + ".compute_capability", "NVML nvmlDeviceGetCudaComputeCapability");
        }
        unsigned v = 0;
        if (pcie_gen && pcie_gen(d, &v) == 0) r.info.pcie_generation = v;
        if (pcie_width && pcie_width(d, &v) == 0) r.info.pcie_width = v;
        if (r.info.pcie_generation) out.set_source(key + ".pcie", "NVML max link generation / current link width");
        unsigned bits = 0, mhz = 0;
        if (bus && max_clock && bus(d, &bits) == 0 && max_clock(d, 2 /* NVML_CLOCK_MEM */, &mhz) == 0 && bits && mhz) {
            r.info.bandwidth = nvml_bandwidth_estimate(bits, mhz);
            out.set_source(key + ".bandwidth", "NVML bus width " + std::to_string(bits) + " bit x max memory clock " +
                                                   std::to_string(mhz) + " MHz x 2 (heuristic)");
        } else if (const auto* e = lookup_bandwidth(r.name)) {
            r.info.bandwidth = e->gb_per_s * 1000000000ull;
            out.set_source(key + ".bandwidth", "table: " + std::string(e->source));
        } else {
            out.note(key + " (" + r.name + "): memory bandwidth unknown");
        }
    };

    for (unsigned i = 0; i < n; ++i) {
        nvml_device d = nullptr;
        if (handle(i, &d) != 0 || !d) {
            out.note("NVML could not open GPU " + std::to_string(i) + " (permissions?)");
            continue;
        }
        unsigned cur = 0, pending = 0;
        if (mig_mode && mig_max && mig_handle && mig_mode(d, &cur, &pending) == 0 && cur == 1) {
            device_record parent;
            parent.info.kind = backend::cuda;
            fill(d, parent, "devices.parent");
            unsigned max_inst = 0;
            if (mig_max(d, &max_inst) != 0) max_inst = 0;
            std::size_t added = 0;
            for (unsigned k = 0; k < max_inst && k < 64; ++k) {
                nvml_device md = nullptr;
                if (mig_handle(d, k, &md) != 0 || !md) continue;
                device_record r;
                r.source = "nvml";
                r.info.kind = backend::cuda;
                fill(md, r, "devices." + std::to_string(out.devices.size()));
                if (r.name.empty()) r.name = parent.name + " MIG";
                if (r.info.bandwidth == 0 || r.info.bandwidth == parent.info.bandwidth) {
                    r.info.bandwidth = parent.info.memory_total ? static_cast<std::uint64_t>(
                        static_cast<double>(parent.info.bandwidth) * std::min(1.0, static_cast<double>(r.info.memory_total) /
                                                                                      static_cast<double>(parent.info.memory_total))) : 0;
                }
                r.info.compute_major = parent.info.compute_major;
                r.info.compute_minor = parent.info.compute_minor;
                out.devices.push_back(std::move(r));
                ++added;
            }
            out.note("GPU " + std::to_string(i) + " (" + parent.name + ") has MIG enabled: listed as its " + std::to_string(added) +
                     " MIG instance(s), as CUDA enumerates them");
            for (auto it = out.sources.begin(); it != out.sources.end();)
                it = it->fact.rfind("devices.parent", 0) == 0 ? out.sources.erase(it) : it + 1;
            continue;
        }
        device_record r;
        r.source = "nvml";
        r.info.kind = backend::cuda;
        fill(d, r, "devices." + std::to_string(out.devices.size()));
        out.devices.push_back(std::move(r));
    }
    if (n > 1)
        out.note("NVIDIA GPUs are listed in PCI bus order (NVML); CUDA orders the fastest first unless CUDA_DEVICE_ORDER=PCI_BUS_ID");
    shutdown();
    dlclose(lib);
    return true;
#else
    (void)out;
    return false;
#endif
}

/// Runs nvidia-smi (dropping fields an old driver rejects) and adds its GPUs. False when it is not available.
inline bool probe_nvidia_smi(probe_result& out) {
#if defined(__unix__) || defined(__APPLE__)
    std::vector<std::string> fields;
    for (std::string_view f : split(nvidia_smi_fields, ',')) fields.emplace_back(f);
    for (int attempt = 0; attempt < 6; ++attempt) {
        std::string list;
        for (const auto& f : fields) list += (list.empty() ? "" : ",") + f;
        const auto run = detail::run_command("nvidia-smi --query-gpu=" + list + " --format=csv,noheader,nounits 2>&1");
        if (!run || run->exit_code == 127 || run->exit_code == -1) return false;  // not installed
        const std::string* text = &run->text;
        const std::string bad = nvidia_smi_invalid_field(*text);
        if (!bad.empty()) {
            const auto before = fields.size();
            std::erase(fields, bad);
            if (fields.size() == before) return false;
            out.note("nvidia-smi does not know the field '" + bad + "' (old driver); queried without it");
            continue;
        }
        auto gpus = parse_nvidia_smi_csv(list, *text);
        if (!gpus) {
            out.note("could not parse nvidia-smi output: " + std::string(gpus.error().what));
            return false;
        }
        std::vector<nvidia_mig_instance> mig;
        bool any_mig = false;
        for (const auto& g : *gpus) any_mig = any_mig || g.mig_enabled;
        if (any_mig)
            if (auto l = detail::run_command("nvidia-smi -L 2>&1"); l && l->exit_code == 0)
                if (auto m = parse_nvidia_smi_list(l->text)) mig = std::move(*m);
        add_nvidia_smi_devices(*gpus, mig, out);
        return true;
    }
    return false;
#else
    (void)out;
    return false;
#endif
}

}  // namespace llamaplan::probe

#endif  // LLAMAPLAN_PROBE_NVIDIA_HPP
