// The machine options every planning subcommand takes (--machine, --gpu, --gpu-overhead, ...), and the machine
// they describe: a saved machine file, this machine probed, or the host alone, plus any GPUs given by hand.
#ifndef LLAMAPLAN_EXAMPLES_MACHINE_ARGS_HPP
#define LLAMAPLAN_EXAMPLES_MACHINE_ARGS_HPP

#include "cli.hpp"

#include <llamaplan/memory.hpp>
#include <llamaplan/probe/machine_file.hpp>
#include <llamaplan/probe/probe.hpp>

#include <deque>
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
               "  --gpu BACKEND:FREE[:NAME]   add a GPU (cuda, rocm, vulkan, metal, sycl), e.g. --gpu cuda:24GiB\n"
               "  --no-probe                  do not probe this machine: the host alone, plus --gpu devices\n"
               "  --no-repack-cpu             the host CPU does not repack weights (no AVX2/NEON kernels)\n"
               "  --cpu-amx                   llama.cpp was built with AMX for an AMX CPU (weights go to an AMX buffer)\n"
               "  --gpu-overhead BYTES        driver/context memory per CUDA/ROCm GPU (default 400MiB)\n";
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
        if (a == "--gpu") {
            const char* v = value("BACKEND:FREE[:NAME]");
            if (!v) return -1;
            return add_gpu(v, err) ? 1 : -1;
        }
        return 0;
    }

    /// Builds the machine. Probes this machine when asked to and no --machine was given.
    [[nodiscard]] bool build(llamaplan::machine& out, std::string& err) {
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
        hw.host.cpu_repack = hw.host.cpu_repack && host_repack_;
        hw.host.cpu_amx = hw.host.cpu_amx || host_amx_;
        hw.devices = devices_;
        out = hw;
        return true;
    }

    /// The probe or machine-file result the machine came from, if any (its notes and sources).
    [[nodiscard]] const std::optional<llamaplan::probe::probe_result>& source() const noexcept { return base_; }

    llamaplan::overhead_params overhead{};  ///< --gpu-overhead (the prompt cache is set from -cram by the command)

private:
    bool add_gpu(const std::string& spec, std::string& err) {
        const auto c1 = spec.find(':');
        if (c1 == std::string::npos) { err = "--gpu needs BACKEND:FREE[:NAME], got '" + spec + "'"; return false; }
        const auto c2 = spec.find(':', c1 + 1);
        llamaplan::device d;
        if (!llamaplan::parse_backend(spec.substr(0, c1), d.kind) || d.kind == llamaplan::backend::cpu) {
            err = "unknown GPU backend '" + spec.substr(0, c1) + "'";
            return false;
        }
        const auto mem = parse_bytes(spec.substr(c1 + 1, c2 == std::string::npos ? std::string::npos : c2 - c1 - 1));
        if (!mem || *mem == 0) { err = "bad GPU memory size in '" + spec + "'"; return false; }
        d.memory_total = d.memory_free = *mem;
        names_.push_back(c2 == std::string::npos ? spec.substr(0, c1) + std::to_string(extra_gpus_.size())
                                                 : spec.substr(c2 + 1));
        d.name = names_.back();
        d.unified_memory = d.kind == llamaplan::backend::metal;
        extra_gpus_.push_back(d);
        return true;
    }

    bool probe_by_default_ = false;
    bool host_repack_ = true;
    bool host_amx_ = false;
    std::optional<llamaplan::probe::probe_result> base_;
    std::deque<std::string> names_;              // stable storage for --gpu names
    std::vector<llamaplan::device> extra_gpus_;  // --gpu devices, after the base machine's
    std::vector<llamaplan::device> devices_;     // what the built machine views
};

}  // namespace cli

#endif  // LLAMAPLAN_EXAMPLES_MACHINE_ARGS_HPP
