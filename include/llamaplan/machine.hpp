// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_MACHINE_HPP
#define LLAMAPLAN_MACHINE_HPP

#include <llamaplan/config.hpp>

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG {

/// A ggml backend family a device is driven by.
enum class backend : std::uint8_t { cpu, cuda, rocm, vulkan, metal, sycl, other };

/// A short name for a backend ("cuda"), as used in machine files and JSON.
[[nodiscard]] constexpr std::string_view to_string(backend b) noexcept {
    constexpr std::array<std::string_view, 7> names = {"cpu", "cuda", "rocm", "vulkan", "metal", "sycl", "other"};
    const auto i = static_cast<std::size_t>(b);
    return i < names.size() ? names[i] : "other";
}

/// Parses a backend name (as to_string spells it; "hip" is accepted for rocm).
[[nodiscard]] constexpr bool parse_backend(std::string_view s, backend& out) noexcept {
    constexpr std::array<std::string_view, 7> names = {"cpu", "cuda", "rocm", "vulkan", "metal", "sycl", "other"};
    for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == s) { out = static_cast<backend>(i); return true; }
    if (s == "hip") { out = backend::rocm; return true; }
    return false;
}

/// The prefix of a backend's device names ("CUDA" in "CUDA0"): ggml-cuda.cu GGML_CUDA_NAME ("ROCm" when built for
/// HIP), ggml-vulkan.cpp GGML_VK_NAME, ggml-sycl GGML_SYCL_NAME, ggml-metal "MTL". Each backend numbers its own
/// devices from 0, so a machine with one CUDA and one Vulkan GPU has CUDA0 and Vulkan0.
[[nodiscard]] constexpr std::string_view device_name_prefix(backend b) noexcept {
    switch (b) {
        case backend::cuda: return "CUDA";
        case backend::rocm: return "ROCm";
        case backend::vulkan: return "Vulkan";
        case backend::metal: return "MTL";
        case backend::sycl: return "SYCL";
        case backend::cpu: return "CPU";
        default: return "GPU";
    }
}

/// The longest rpc-server endpoint ("host:port") a device may name (characters); longer ones are refused where they
/// are read (server_args, machine files), so every buffer name fits a fixed buffer.
inline constexpr std::size_t max_endpoint_length = 80;

/// One accelerator (GPU) as llama.cpp would enumerate it.
struct device {
    std::string_view name{};            ///< marketing name, e.g. "NVIDIA GeForce RTX 4090"
    backend kind = backend::cuda;       ///< backend that drives it
    std::uint64_t memory_total = 0;     ///< device memory (bytes)
    std::uint64_t memory_free = 0;      ///< free device memory now (bytes)
    std::uint64_t bandwidth = 0;        ///< memory bandwidth (bytes/s); 0 = unknown
    std::uint64_t flops = 0;            ///< dense FP16 throughput (FLOP/s); 0 = unknown
    std::uint32_t compute_major = 0;    ///< CUDA compute capability major (0 = n/a)
    std::uint32_t compute_minor = 0;    ///< CUDA compute capability minor
    std::uint32_t pcie_generation = 0;  ///< current PCIe link generation (0 = unknown)
    std::uint32_t pcie_width = 0;       ///< current PCIe link width (lanes; 0 = unknown)
    bool unified_memory = false;        ///< shares host RAM (Apple silicon, iGPU/APU)
    std::uint64_t int8_ops = 0;         ///< dense INT8 matrix throughput (op/s); 0 = unknown or none
    /// "host:port" of the rpc-server this device is reached through (llama.cpp's RPC backend, `--rpc`); empty for a
    /// device of this host. `kind` is then the backend the worker drives it with (backend::cpu for a worker's CPU).
    std::string_view endpoint{};
    std::uint64_t alignment = 0;        ///< buffer alignment the device reports (bytes; 0 = its backend's rule)
    std::uint64_t max_buffer = 0;       ///< largest buffer the device allocates at once (bytes; 0 = unknown)
    std::uint64_t link_bandwidth = 0;   ///< network bandwidth to its worker (bytes/s; RPC devices; 0 = unknown)
    std::uint32_t link_latency_us = 0;  ///< network round trip to its worker (microseconds; RPC devices; 0 = unknown)
    std::uint32_t cpu_cores = 0;        ///< a worker's CPU device: the physical cores its threads run on (0 = unknown)

    /// True if llama.cpp reaches this device over its RPC backend.
    [[nodiscard]] constexpr bool remote() const noexcept { return !endpoint.empty(); }
};

/// The host: CPU cores and system memory, with container limits already applied.
struct host {
    std::uint32_t cpus_logical = 0;     ///< logical CPUs usable by this process
    std::uint32_t cpus_physical = 0;    ///< physical cores usable by this process
    std::uint32_t cpus_performance = 0; ///< performance cores on hybrid CPUs (0 = not hybrid / unknown)
    std::uint32_t cpus_efficiency = 0;  ///< efficiency cores on hybrid CPUs
    std::uint32_t numa_nodes = 1;       ///< NUMA nodes
    std::uint64_t memory_total = 0;     ///< RAM this process may use (bytes; cgroup limit applied)
    std::uint64_t memory_available = 0; ///< RAM available now (bytes)
    std::uint64_t bandwidth = 0;        ///< host memory bandwidth (bytes/s); 0 = unknown
    std::uint64_t flops = 0;            ///< CPU matrix throughput (FLOP/s); 0 = unknown
    std::uint64_t bandwidth_per_thread = 0; ///< memory bandwidth one thread streams (bytes/s); 0 = unknown (the throughput model's default)
    std::uint32_t memory_channels = 0;  ///< DRAM channels populated (0 = unknown)
    bool cpu_repack = true;             ///< CPU backend repacks Q4_0/Q4_K/IQ4_NL/MXFP4 weights (AVX2/AVX-512/NEON)
    bool cpu_amx = false;               ///< CPU backend built with AMX on an AMX CPU: matmul weights go to an "AMX" buffer
    std::string_view platform{};        ///< "linux", "macos", "windows"
};

/// A machine description: the host plus its accelerators (views over caller-owned storage).
struct machine {
    struct host host{};                 ///< CPU and RAM
    std::span<const device> devices{};  ///< GPUs in llama.cpp's enumeration order (CUDA0, CUDA1, ..., Vulkan0, ...)

    /// Index in `devices` of the `ordinal`-th local device driven by `kind` (what llama.cpp calls e.g. "Vulkan<ordinal>"),
    /// or -1 if there is none. Devices behind an rpc-server are numbered apart (find_remote).
    [[nodiscard]] constexpr std::int32_t find_device(backend kind, std::uint32_t ordinal) const noexcept {
        for (std::size_t i = 0; i < devices.size(); ++i)
            if (!devices[i].remote() && devices[i].kind == kind && ordinal-- == 0) return static_cast<std::int32_t>(i);
        return -1;
    }
    /// Index in `devices` of the `ordinal`-th device of the rpc-server at `endpoint` (llama.cpp's buffer type
    /// "RPC<ordinal>[endpoint]"), or -1 if there is none.
    [[nodiscard]] constexpr std::int32_t find_remote(std::string_view endpoint, std::uint32_t ordinal) const noexcept {
        for (std::size_t i = 0; i < devices.size(); ++i)
            if (devices[i].remote() && devices[i].endpoint == endpoint && ordinal-- == 0) return static_cast<std::int32_t>(i);
        return -1;
    }
    /// The per-backend number of device `index` (1 for the second local Vulkan device, whatever comes before it); for
    /// a device behind an rpc-server, its number on that server (ggml-rpc.cpp names its buffer types
    /// "RPC<device>[endpoint]").
    [[nodiscard]] constexpr std::uint32_t backend_ordinal(std::size_t index) const noexcept {
        std::uint32_t n = 0;
        if (index >= devices.size()) return 0;
        const device& d = devices[index];
        for (std::size_t i = 0; i < index; ++i) {
            const device& o = devices[i];
            if (d.remote() ? o.endpoint == d.endpoint : (!o.remote() && o.kind == d.kind)) ++n;
        }
        return n;
    }
    /// The number in llama.cpp's name of a device behind an rpc-server: "RPC<n>", counted over every server's
    /// devices in `--rpc` order (ggml-rpc.cpp ggml_backend_rpc_add_server).
    [[nodiscard]] constexpr std::uint32_t rpc_ordinal(std::size_t index) const noexcept {
        std::uint32_t n = 0;
        for (std::size_t i = 0; i < index && i < devices.size(); ++i) n += devices[i].remote() ? 1u : 0u;
        return n;
    }
};

/// ggml-backend.cpp GGML_SCHED_MAX_BACKENDS: the scheduler runs at most 16 backends, the host's CPU among them
/// (ggml_backend_sched_new asserts it), so llama.cpp uses at most 15 devices besides the CPU.
inline constexpr std::size_t max_sched_devices = 15;

/// A machine whose devices are stored here: a host's machine plus the devices of its rpc-servers. view() is valid
/// while this object lives, unmoved.
struct machine_storage {
    struct host host{};                                  ///< the main host
    std::array<device, LLAMAPLAN_MAX_DEVICES> devs{};    ///< devices in llama.cpp's order
    std::size_t n = 0;                                   ///< devices in use
    /// The machine (views into this object).
    [[nodiscard]] constexpr machine view() const noexcept { return machine{host, std::span<const device>(devs.data(), n)}; }
};

/// The devices an rpc-server started with its defaults exposes on the machine `worker` (a worker's machine file):
/// every GPU, or the CPU when it has none (tools/rpc/rpc-server.cpp get_devices: "Try non-CPU devices first",
/// "fallback to CPU device"), each tagged with `endpoint` (caller-owned storage). The CPU device holds the worker's
/// RAM (its memory_total and memory_available) and its figures. Writes at most out.size() devices; returns how many.
[[nodiscard]] constexpr std::size_t rpc_worker_devices(const machine& worker, std::string_view endpoint,
                                                       std::span<device> out) noexcept {
    std::size_t n = 0;
    for (const device& d : worker.devices) {
        if (n == out.size()) return n;
        out[n] = d;
        out[n].endpoint = endpoint;
        ++n;
    }
    if (n == 0 && !out.empty()) {
        device cpu{};
        cpu.name = "CPU";
        cpu.kind = backend::cpu;
        cpu.memory_total = worker.host.memory_total;
        cpu.memory_free = worker.host.memory_available;
        cpu.bandwidth = worker.host.bandwidth;
        cpu.flops = worker.host.flops;
        cpu.unified_memory = false;  // it shares the worker's RAM, which memory_total already is, not this host's
        cpu.cpu_cores = worker.host.cpus_performance != 0 ? worker.host.cpus_performance : worker.host.cpus_physical;
        cpu.alignment = 32;  // ggml-impl.h TENSOR_ALIGNMENT, the CPU buffer type's
        cpu.endpoint = endpoint;
        out[n++] = cpu;
    }
    return n;
}

/// The machine llama-server sees with `--rpc`: every rpc-server's devices first, in `--rpc` order and each server's
/// in a row, then the host's own GPUs (src/llama.cpp llama_prepare_model_devices puts RPC devices "at the front of the
/// list to minimize network transfers"). `remote` lists the servers' devices in that order, each with its endpoint.
/// Returns false (and leaves `out` partly filled) when a remote device has no endpoint, a server's devices are not
/// in a row, or there are more devices than the scheduler runs (max_sched_devices).
[[nodiscard]] constexpr bool with_rpc_devices(const machine& local, std::span<const device> remote, machine_storage& out) noexcept {
    out.host = local.host;
    out.n = 0;
    if (remote.size() + local.devices.size() > max_sched_devices) return false;
    for (std::size_t i = 0; i < remote.size(); ++i) {
        if (!remote[i].remote()) return false;
        for (std::size_t j = 0; j + 1 < i; ++j)  // a server seen before, with another one since
            if (remote[j].endpoint == remote[i].endpoint && remote[i - 1].endpoint != remote[i].endpoint) return false;
        out.devs[out.n++] = remote[i];
    }
    for (const device& d : local.devices) out.devs[out.n++] = d;
    return true;
}

}  // namespace llamaplan

#endif  // LLAMAPLAN_MACHINE_HPP
