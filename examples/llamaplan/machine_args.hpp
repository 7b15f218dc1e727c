// The machine options every planning subcommand takes (--machine, --gpu, --gpu-overhead, ...), and the machine
// they describe: a saved machine file, this machine probed, or the host alone, plus any GPUs given by hand.
#ifndef LLAMAPLAN_EXAMPLES_MACHINE_ARGS_HPP
#define LLAMAPLAN_EXAMPLES_MACHINE_ARGS_HPP

#include "cli.hpp"

#include <llamaplan/devices.hpp>
#include <llamaplan/memory.hpp>
#include <llamaplan/server_args.hpp>
#include <llamaplan/probe/machine_file.hpp>
#include <llamaplan/probe/probe.hpp>
#include <llamaplan/probe/rpc.hpp>

#include <array>
#include <cstdlib>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cli {

/// Collects the machine options of a command line and builds the machine they describe.
/// Owns every string and device the resulting llamaplan::machine views: keep it alive while the machine is used.
class machine_options {
public:
    /// `probe_by_default`: with no --machine, describe this machine as probed (true) or the host alone (false).
    explicit machine_options(bool probe_by_default) : probe_by_default_(probe_by_default) {}

    /// Help lines for these options.
    [[nodiscard]] static const char* help() {
        return "  --machine FILE              the machine from a file saved by 'llamaplan specs --save FILE'\n"
               "  --gpu [BACKEND:]NAME[xN]    add a GPU from the device table: --gpu \"RTX 4090\", --gpu \"vulkan:RTX 4090\",\n"
               "                              --gpu \"M2 Max\", --gpu H100x8 (eight); repeat to add more\n"
               "  --gpu BACKEND:FREE[:NAME]   add a GPU by its free memory (cuda, rocm, vulkan, metal, sycl): cuda:24GiB\n"
               "  --host-ram SIZE             the host's RAM, e.g. 64GiB (a bare number is MiB), all of it available\n"
               "                              (the preset's host margin keeps the OS's share)\n"
               "  --host-cores N              the host's physical CPU cores\n"
               "  --host-bandwidth GB/S       host memory bandwidth, e.g. 96 (dual-channel DDR5-6000 = 2 x 6000 x 8 / 1000)\n"
               "  --threads N                 CPU threads llama.cpp uses (-t; default: physical cores)\n"
               "  --no-probe                  do not probe this machine: the host alone, plus --gpu devices\n"
               "  --no-repack-cpu             the host CPU does not repack weights (no AVX2/NEON kernels)\n"
               "  --cpu-amx                   llama.cpp was built with AMX for an AMX CPU (weights go to an AMX buffer)\n"
               "  --gpu-overhead SIZE         driver/context memory per CUDA/ROCm GPU (default 400; a bare number is MiB)\n"
               "  --worker HOST:PORT=FILE     the machine behind an rpc-server of --rpc, from its 'llamaplan specs --save'\n"
               "                              file (the server exposes its GPUs, or its CPU when it has none); repeatable;\n"
               "                              an --rpc server without one is probed live (its backend stays unknown)\n";
    }

    /// If argv[i] is a machine option, consumes it (and its value, advancing i) and returns 1; returns 0 if it is
    /// not one; returns -1 with `err` set when its value is missing or invalid.
    int consume(int argc, char** argv, int& i, std::string& err) {
        const std::string_view a = argv[i];
        auto value = [&](const char* what) -> const char* {
            if (i + 1 >= argc) {
                err = std::string(a) + " needs " + what;
                return nullptr;
            }
            return argv[++i];
        };
        if (a == "--no-repack-cpu") { host_repack_ = false; return 1; }
        if (a == "--cpu-amx") { host_amx_ = true; return 1; }
        if (a == "--no-probe") { probe_by_default_ = false; return 1; }
        if (a == "--gpu-overhead") {
            const char* v = value("a size");
            if (!v) return -1;
            auto b = parse_bytes(v);
            if (!b) { err = "bad size '" + std::string(v) + "'"; return -1; }
            overhead.gpu_context = *b;
            return 1;
        }
        if (a == "--machine") {
            const char* v = value("a file");
            if (!v) return -1;
            std::string message;
            auto loaded = llamaplan::probe::load_machine_file(v, &message);
            if (!loaded) { err = message; return -1; }
            base_ = std::move(*loaded);
            return 1;
        }
        if (a == "--host-ram") {
            const char* v = value("a size");
            if (!v) return -1;
            auto b = parse_bytes(v);
            if (!b || *b < (64ull << 20)) { err = "bad --host-ram '" + std::string(v) + "' (a size: 64GiB, or MiB)"; return -1; }
            host_ram_ = *b;
            return 1;
        }
        if (a == "--host-cores") {
            const char* v = value("a core count");
            if (!v) return -1;
            char* end = nullptr;
            const long n = std::strtol(v, &end, 10);
            if (end == v || *end != '\0' || n < 1 || n > 4096) { err = "bad --host-cores '" + std::string(v) + "'"; return -1; }
            host_cores_ = static_cast<std::uint32_t>(n);
            return 1;
        }
        if (a == "--host-bandwidth") {
            const char* v = value("GB/s");
            if (!v) return -1;
            char* end = nullptr;
            const double gbs = std::strtod(v, &end);
            if (end == v || !(gbs > 0 && gbs < 1e6)) { err = "bad --host-bandwidth '" + std::string(v) + "' (GB/s)"; return -1; }
            host_bandwidth_ = static_cast<std::uint64_t>(gbs * 1e9);
            return 1;
        }
        if (a == "--threads") {
            const char* v = value("a thread count");
            if (!v) return -1;
            char* end = nullptr;
            const long n = std::strtol(v, &end, 10);
            if (end == v || *end != '\0' || n < 1 || n > 4096) { err = "bad --threads '" + std::string(v) + "'"; return -1; }
            threads_ = static_cast<std::uint32_t>(n);
            return 1;
        }
        if (a == "--worker") {
            const char* v = value("HOST:PORT=FILE");
            if (!v) return -1;
            const std::string_view spec = v;
            const auto eq = spec.find('=');
            if (eq == std::string_view::npos || !llamaplan::rpc_endpoint_valid(spec.substr(0, eq))) {
                err = "bad --worker '" + std::string(spec) + "' (HOST:PORT=FILE)";
                return -1;
            }
            std::string message;
            auto loaded = llamaplan::probe::load_machine_file(std::string(spec.substr(eq + 1)), &message);
            if (!loaded) { err = "--worker " + std::string(spec.substr(0, eq)) + ": " + message; return -1; }
            workers_.push_back({std::string(spec.substr(0, eq)), std::move(*loaded)});
            return 1;
        }
        if (a == "--gpu") {
            const char* v = value("[BACKEND:]NAME or BACKEND:FREE[:NAME]");
            if (!v) return -1;
            return add_gpu(v, err) ? 1 : -1;
        }
        return 0;
    }

    /// Builds the machine. Probes this machine when asked to and no --machine was given. `rpc` is llama-server's
    /// `--rpc` list (server_args::rpc): each server's devices, from its --worker file, come first.
    [[nodiscard]] bool build(llamaplan::machine& out, std::string& err, std::string_view rpc = {}) {
        if (!base_ && probe_by_default_) {
            auto probed = llamaplan::probe::probe_machine();
            if (!probed) { err = "probing this machine failed: " + describe(probed.error()); return false; }
            base_ = std::move(*probed);
        }
        devices_.clear();
        llamaplan::machine hw;
        if (base_) {
            const auto saved = base_->view();
            hw.host = saved.host;
            devices_.assign(saved.devices.begin(), saved.devices.end());
        }
        devices_.insert(devices_.end(), extra_gpus_.begin(), extra_gpus_.end());
        if (host_bandwidth_) hw.host.bandwidth = host_bandwidth_;
        if (host_ram_) {  // all of it available: the preset's host margin is the OS's headroom
            hw.host.memory_total = host_ram_;
            hw.host.memory_available = host_ram_;
        }
        if (host_cores_) {
            hw.host.cpus_physical = host_cores_;
            hw.host.cpus_performance = 0;
            if (hw.host.cpus_logical < host_cores_) hw.host.cpus_logical = host_cores_;
        }
        hw.host.cpu_repack = hw.host.cpu_repack && host_repack_;
        hw.host.cpu_amx = hw.host.cpu_amx || host_amx_;
        hw.devices = devices_;
        if (!rpc.empty()) {
            std::vector<llamaplan::device> remote;
            for (std::size_t k = 0;; ++k) {
                const std::string_view endpoint = llamaplan::rpc_endpoint(rpc, k);
                if (endpoint.empty()) break;
                const worker* w = nullptr;
                for (const auto& x : workers_)
                    if (x.endpoint == endpoint) w = &x;
                if (!w) {
                    // no machine file: ask the live worker over its own protocol; its backend stays unknown
                    std::string message;
                    auto probed = llamaplan::probe::probe_rpc_worker(endpoint, {}, &message);
                    if (!probed) {
                        err = "--rpc " + message + " (or give --worker " + std::string(endpoint) +
                              "=FILE, its 'llamaplan specs --save FILE')";
                        return false;
                    }
                    probed_.push_back(std::move(*probed));
                    auto devs = llamaplan::probe::rpc_worker_devices(probed_.back(), nullptr, &message);
                    if (!devs) { err = "--rpc " + message; return false; }
                    std::fprintf(stderr, "llamaplan: note: rpc-server %s probed: %zu device(s) of unknown backend, priced "
                                 "with generic rules (--worker %s=FILE gives its backend)\n", std::string(endpoint).c_str(),
                                 devs->size(), std::string(endpoint).c_str());
                    remote.insert(remote.end(), devs->begin(), devs->end());
                    continue;
                }
                std::array<llamaplan::device, LLAMAPLAN_MAX_DEVICES> devs{};
                const std::size_t n = llamaplan::rpc_worker_devices(w->machine.view(), w->endpoint, devs);
                remote.insert(remote.end(), devs.begin(), devs.begin() + static_cast<std::ptrdiff_t>(n));
            }
            auto storage = std::make_unique<llamaplan::machine_storage>();
            if (!llamaplan::with_rpc_devices(hw, remote, *storage)) {
                err = "--rpc: more devices than llama.cpp's scheduler runs (15 besides the CPU, GGML_SCHED_MAX_BACKENDS)";
                return false;
            }
            with_workers_ = std::move(storage);
            hw = with_workers_->view();
        }
        out = hw;
        return true;
    }

    /// The probe or machine-file result the machine came from, if any (its notes and sources).
    [[nodiscard]] const std::optional<llamaplan::probe::probe_result>& source() const noexcept { return base_; }

    llamaplan::overhead_params overhead{};  ///< --gpu-overhead (the prompt cache is set from -cram by the command)

    /// --threads (0 when not given: the throughput model uses the physical cores).
    [[nodiscard]] std::uint32_t threads() const noexcept { return threads_; }

private:
    bool add_gpu(const std::string& spec, std::string& err) {
        auto r = llamaplan::parse_device_spec(spec);  // [BACKEND:]NAME[xN] or BACKEND:FREE[:NAME] (llamaplan/devices.hpp)
        if (!r) {
            err = "--gpu '" + spec + "': " + std::string(r.error().what);
            if (r.error().code == llamaplan::errc::not_found) {
                std::string_view near[5];
                const std::size_t n = llamaplan::closest_devices(spec, near);
                err += "; closest: ";
                for (std::size_t i = 0; i < n; ++i) err += (i ? ", " : "") + std::string(near[i]);
                err += " (or give BACKEND:FREE[:NAME], e.g. cuda:24GiB)";
            }
            return false;
        }
        llamaplan::device d = r->dev;
        if (d.name.empty()) {  // BACKEND:FREE without a name
            names_.push_back(std::string(llamaplan::to_string(d.kind)) + std::to_string(extra_gpus_.size()));
            d.name = names_.back();
        } else if (!r->spec) {  // BACKEND:FREE:NAME: the name views `spec`, which does not outlive this call
            names_.push_back(std::string(d.name));
            d.name = names_.back();
        }
        for (std::uint32_t k = 0; k < r->count; ++k) extra_gpus_.push_back(d);
        return true;
    }

    bool probe_by_default_ = false;
    bool host_repack_ = true;
    bool host_amx_ = false;
    std::uint64_t host_ram_ = 0;                 // --host-ram (bytes), 0 = as probed / unknown
    std::uint32_t host_cores_ = 0;               // --host-cores (physical cores), 0 = as probed / unknown
    std::uint64_t host_bandwidth_ = 0;           // --host-bandwidth (bytes/s), 0 = as probed / unknown
    std::uint32_t threads_ = 0;                  // --threads
    std::optional<llamaplan::probe::probe_result> base_;
    std::deque<std::string> names_;              // stable storage for --gpu names
    std::vector<llamaplan::device> extra_gpus_;  // --gpu devices, after the base machine's
    std::vector<llamaplan::device> devices_;     // what the built machine views
    struct worker {
        std::string endpoint;                    // HOST:PORT as --rpc spells it
        llamaplan::probe::probe_result machine;  // its machine file
    };
    std::deque<worker> workers_;                 // --worker (stable: devices view their endpoints)
    std::deque<llamaplan::probe::rpc_worker> probed_;  // --rpc workers without a file, as probed (devices view them)
    std::unique_ptr<llamaplan::machine_storage> with_workers_;  // the machine with the workers' devices first
};

}  // namespace cli

#endif  // LLAMAPLAN_EXAMPLES_MACHINE_ARGS_HPP
