// SPDX-License-Identifier: MIT
// Calibration from a real run: re-estimate what a llama.cpp log shows, compare every buffer and device with what was
// logged, learn what the memory model cannot know (the memory outside llama.cpp's buffers on each device, a
// backend's compute-buffer correction, observed throughput), keep it in the machine file, and apply it to later
// estimates with reasons. Pure: the host reads the log, the model and the machine file.
#ifndef LLAMAPLAN_LOGS_CALIBRATE_HPP
#define LLAMAPLAN_LOGS_CALIBRATE_HPP

#include <llamaplan/config.hpp>
#include <llamaplan/ggml_types.hpp>
#include <llamaplan/logs/reader.hpp>
#include <llamaplan/machine.hpp>
#include <llamaplan/memory.hpp>
#include <llamaplan/model.hpp>
#include <llamaplan/params.hpp>
#include <llamaplan/perf.hpp>
#include <llamaplan/probe/probe_result.hpp>
#include <llamaplan/result.hpp>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::logs {

/// The backend a llama.cpp device / buffer name prefix belongs to ("CUDA" -> cuda, "MTL" -> metal, "CPU" -> cpu);
/// nullopt for a prefix llamaplan does not model (RPC, CANN, ...).
[[nodiscard]] constexpr std::optional<backend> backend_of_prefix(std::string_view p) noexcept {
    if (p == "CUDA" || p == "MUSA") return backend::cuda;  // ggml-cuda.cu GGML_CUDA_NAME
    if (p == "ROCm") return backend::rocm;
    if (p == "Vulkan") return backend::vulkan;              // ggml-vulkan.cpp GGML_VK_NAME
    if (p == "MTL" || p == "Metal") return backend::metal;  // ggml-metal: "MTL0" (3f545bec), "Metal" (older)
    if (p == "SYCL") return backend::sycl;
    if (p == "CPU" || p == "AMX") return backend::cpu;
    return std::nullopt;
}

namespace detail {
/// Lower-case `s` without the vendor words llama.cpp's breakdown strips ("NVIDIA ", "GeForce ", ...).
inline std::string normalized_device_name(std::string_view s) {
    std::string out;
    for (char c : s) out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
    for (std::string_view w : {"nvidia ", "geforce ", "tesla ", "amd ", "radeon ", "instinct ", "apple "}) {
        for (auto p = out.find(w); p != std::string::npos; p = out.find(w)) out.erase(p, w.size());
    }
    return out;
}
/// MiB with two decimals from hundredths.
inline std::string mib_text(std::uint64_t mib100) {
    char b[40];
    std::snprintf(b, sizeof b, "%llu.%02llu", static_cast<unsigned long long>(mib100 / 100),
                  static_cast<unsigned long long>(mib100 % 100));
    return b;
}
}  // namespace detail

/// Whether a device named `a` (as a log or a machine file names it) is the device named `b`: one normalized name
/// contains the other ("NVIDIA GeForce RTX 4090" and "RTX 4090"), and total memories (bytes, 0 = unknown) agree to
/// 2 % or 64 MiB.
[[nodiscard]] inline bool same_device(std::string_view a, std::uint64_t total_a, std::string_view b, std::uint64_t total_b) {
    const std::string na = detail::normalized_device_name(a), nb = detail::normalized_device_name(b);
    if (na.empty() || nb.empty()) return false;
    if (na.find(nb) == std::string::npos && nb.find(na) == std::string::npos) return false;
    if (total_a == 0 || total_b == 0) return true;
    const std::uint64_t diff = total_a > total_b ? total_a - total_b : total_b - total_a;
    const std::uint64_t big = total_a > total_b ? total_a : total_b;
    return diff <= (std::uint64_t{64} << 20) || diff * 50 <= big;
}

/// The machine a log describes: its GPUs (backend from the device name, total and free memory as logged) and a host
/// whose CPU buffers follow the log (CPU_REPACK / AMX buffers present). Owns the device names.
struct log_machine {
    std::vector<std::string> names;  ///< descriptions, owned
    std::vector<device> devices;     ///< in the log's order
    struct host host {};             ///< host: repack / AMX as the log shows, memory unknown (0)

    /// The machine (views into this object).
    [[nodiscard]] machine view() {
        for (std::size_t i = 0; i < devices.size(); ++i) devices[i].name = names[i];
        machine m;
        m.host = host;
        m.devices = devices;
        return m;
    }
};

/// The machine of a run as its log tells it. Devices of backends llamaplan does not model are left out (noted).
[[nodiscard]] inline log_machine machine_from_log(const run_log& run, std::vector<std::string>* notes = nullptr) {
    log_machine lm;
    lm.host.cpu_repack = false;
    for (const auto& b : run.buffers) {
        if (b.name == "CPU_REPACK") lm.host.cpu_repack = true;
        if (b.name == "AMX") lm.host.cpu_amx = true;
    }
    // a model on the CPU with no repack buffer: the log's build repacked nothing (or could not); repack stays off
    for (const auto& d : run.devices) {
        const auto o = owner_of(d.name);
        const auto k = backend_of_prefix(o.backend);
        if (!k || *k == backend::cpu) {
            if (!k && notes) notes->push_back(d.name + ": a " + std::string(o.backend) + " device, not modelled: left out");
            continue;
        }
        device v;
        v.kind = *k;
        v.memory_total = d.total_mib ? *d.total_mib << 20 : 0;
        v.memory_free = d.free_mib ? *d.free_mib << 20 : v.memory_total;
        if (v.memory_total == 0) v.memory_total = v.memory_free;
        if (v.memory_free > v.memory_total) v.memory_free = v.memory_total;  // (#17536: a UMA figure)
        v.unified_memory = *k == backend::metal;
        lm.names.push_back(d.description.empty() ? d.name : d.description);
        lm.devices.push_back(v);
    }
    // buffers on a GPU the log never listed (older builds print no device list at default verbosity)
    for (const auto& b : run.buffers) {
        const auto o = owner_of(b.name);
        const auto k = backend_of_prefix(o.backend);
        if (!k || *k == backend::cpu || o.device < 0) continue;
        std::uint32_t have = 0;
        for (const auto& d : lm.devices) have += d.kind == *k;
        while (have <= static_cast<std::uint32_t>(o.device) && lm.devices.size() < LLAMAPLAN_MAX_DEVICES) {
            device v;
            v.kind = *k;
            v.unified_memory = *k == backend::metal;
            lm.names.push_back(std::string(o.backend) + std::to_string(have));
            lm.devices.push_back(v);
            ++have;
        }
    }
    return lm;
}

/// The settings a run used: `base` (the command line's, or llama-server's defaults) with every setting the log
/// states put over it. `notes` receives what was taken from where.
[[nodiscard]] inline launch_params settings_from_log(const run_log& run, launch_params base, std::vector<std::string>* notes = nullptr) {
    launch_params p = base;
    auto note = [&](std::string s) { if (notes) notes->push_back(std::move(s)); };
    if (run.n_seq_max) p.n_seq_max = *run.n_seq_max;
    if (run.n_ctx) p.n_ctx = *run.n_ctx;
    if (run.n_batch) p.n_batch = *run.n_batch;
    if (run.n_ubatch) p.n_ubatch = *run.n_ubatch;
    if (run.flash_attn) p.flash_attn = *run.flash_attn ? flash_attn_mode::on : flash_attn_mode::off;
    if (run.kv_unified) {
        p.kv_unified = *run.kv_unified;
    } else if (!run.kv.empty() && run.kv[0].streams != 0) {
        p.kv_unified = run.kv[0].streams == 1 && p.n_seq_max > 1;
    } else if (p.n_seq_max > 1) {
        // builds before per-sequence KV streams print neither kv_unified nor streams: one cache for all sequences
        p.kv_unified = true;
        note("kv_unified: the log does not say; one KV cache for all sequences, as builds before split KV streams had");
    }
    for (const auto& kv : run.kv) {
        if (kv.draft) continue;
        if (auto t = parse_type(kv.type_k)) p.type_k = *t;
        if (auto t = parse_type(kv.type_v)) p.type_v = *t;
        break;
    }
    if (run.offloaded_layers && run.offloadable_layers) {
        p.n_gpu_layers = *run.offloaded_layers >= *run.offloadable_layers ? -1 : static_cast<std::int32_t>(*run.offloaded_layers);
    }
    bool mapped = false;
    for (const auto& b : run.buffers) mapped = mapped || b.name.find("_Mapped") != std::string::npos;
    if (!mapped && !run.buffers.empty() && run.build_number && *run.build_number >= 4000) {
        // builds since CPU_Mapped was named (2024) print it for a mapped file; without it the file was read
        p.use_mmap = false;
        note("no *_Mapped buffer: the weights were read, not mapped (--no-mmap)");
    }
    bool repack = false;
    for (const auto& b : run.buffers) repack = repack || b.name == "CPU_REPACK";
    if (!repack) p.cpu_repack = false;
    return p;
}

/// One buffer, predicted and logged.
struct buffer_row {
    buffer_role role = buffer_role::model;    ///< which allocation
    std::string name;                         ///< the buffer's name (the log's when it logged one)
    std::int32_t device = host_device;        ///< machine device index, host_device for host memory
    std::optional<std::uint64_t> predicted;   ///< predicted size (hundredths of a MiB, rounded as llama.cpp prints)
    std::optional<std::uint64_t> logged;      ///< logged size (hundredths of a MiB; lines of one buffer summed)
    std::uint32_t lines = 0;                  ///< log lines summed into `logged`
    /// Logged minus predicted (hundredths of a MiB); 0 when either side is missing.
    [[nodiscard]] std::int64_t difference() const noexcept {
        return predicted && logged ? static_cast<std::int64_t>(*logged) - static_cast<std::int64_t>(*predicted) : 0;
    }
    /// Both sides present and equal to llama.cpp's printed precision (0.01 MiB per line summed).
    [[nodiscard]] bool exact() const noexcept {
        const auto d = difference();
        return predicted && logged && (d < 0 ? -d : d) <= static_cast<std::int64_t>(lines > 1 ? lines : 0);
    }
};

/// One device (or the host), predicted and logged: the sums of its buffers.
struct device_row {
    std::string name;                 ///< "CUDA0", "CPU" (host)
    std::int32_t device = host_device;///< machine device index, host_device for the host
    std::uint64_t predicted = 0;      ///< predicted buffers (hundredths of a MiB)
    std::uint64_t logged = 0;         ///< logged buffers (hundredths of a MiB)
};

/// What calibrating from one run found.
struct calibration_report {
    launch_params params{};                  ///< the settings re-estimated (the log's over the command line's)
    memory_estimate estimate{};              ///< llamaplan's estimate of the run
    std::vector<buffer_row> buffers;         ///< every buffer, predicted vs logged
    std::vector<device_row> devices;         ///< per device and the host
    bool exact = false;                      ///< every buffer on both sides and equal to the printed precision
    double decode_predicted = 0;             ///< predicted decode tokens/s (0 = no prediction)
    double decode_observed = 0;              ///< mean of the logged eval tokens/s (0 = no timings)
    double prefill_predicted = 0;            ///< predicted prompt tokens/s
    double prefill_observed = 0;             ///< mean of the logged prompt tokens/s
    std::vector<probe::calibration_record> learned;  ///< one record per device (and the host) with a measurement
    std::vector<std::string> notes;          ///< what was taken from where, what was not a measurement
};

/// Refuses a log of another model than `m`: its architecture, layer count or width differ. (A different training
/// context alone is not refused: fine-tunes and the catalog's aliases change it without changing a buffer.)
[[nodiscard]] inline result<bool> check_same_model(const run_log& run, const model& m) {
    if (!run.arch.empty() && !m.hp.architecture.empty() && run.arch != m.hp.architecture)
        return make_error(errc::invalid_argument, "the log is of a different model (another architecture)", 0);
    if (run.n_layer && *run.n_layer != m.hp.n_layer + m.hp.n_layer_nextn && *run.n_layer != m.hp.n_layer)
        return make_error(errc::invalid_argument, "the log is of a different model (another layer count)", 0);
    if (run.n_embd && *run.n_embd != m.hp.n_embd)
        return make_error(errc::invalid_argument, "the log is of a different model (another embedding width)", 0);
    return true;
}

/// The machine device index of a llama.cpp name ("CUDA1" -> the second CUDA device of `hw`), host_device for host
/// buffers, -2 when `hw` has no such device.
[[nodiscard]] inline std::int32_t device_index(const machine& hw, std::string_view name) {
    const auto o = owner_of(name);
    const auto k = backend_of_prefix(o.backend);
    if (o.device < 0 || !k || *k == backend::cpu) return host_device;
    const auto i = hw.find_device(*k, static_cast<std::uint32_t>(o.device));
    return i < 0 ? -2 : i;
}

/// Re-estimates a logged run of `m` on `hw` with the log's settings over `base`, compares every buffer and device,
/// and learns a calibration record per device. `log_name` labels what is learned. Refuses a log without buffer lines
/// (llama.cpp at 3f545bec prints them at -lv 4) and a log of another model.
[[nodiscard]] inline result<calibration_report> calibrate(const run_log& run, const model& m, const machine& hw,
                                                          const launch_params& base, std::string_view log_name) {
    calibration_report rep;
    if (run.buffers.empty())
        return make_error(errc::unsupported, "the log has no buffer lines (run llama-server with -lv 4, or a build that prints them)", 0);
    if (auto same = check_same_model(run, m); !same) return same.error();
    if (run.n_ctx_train && m.hp.n_ctx_train && *run.n_ctx_train != m.hp.n_ctx_train)
        rep.notes.push_back("the log's model was trained for " + std::to_string(*run.n_ctx_train) + " tokens, the given one for " +
                            std::to_string(m.hp.n_ctx_train) + " (no buffer depends on it when -c is set)");
    rep.params = settings_from_log(run, base, &rep.notes);
    // the machine must have every GPU the log used
    for (const auto& b : run.buffers)
        if (device_index(hw, b.name) == -2)
            return make_error(errc::not_found, "the log uses a device the machine does not have", 0);
    overhead_params none{0, 0};
    auto est = estimate_memory(m, hw, rep.params, none);
    if (!est) return est.error();
    rep.estimate = *est;

    // ---- buffers: by role and name, then unmatched pairs of one role on one device (older builds' names) ----
    char tmp[llamaplan::buffer_name_capacity];
    auto add_predicted = [&](buffer_role role, const buffer_list& list) {
        for (const auto& b : list) {
            const std::string name(buffer_name(hw, b.buffer, tmp));
            buffer_row* row = nullptr;
            for (auto& r : rep.buffers) if (r.role == role && r.name == name) row = &r;
            if (!row) { rep.buffers.push_back({}); row = &rep.buffers.back(); row->role = role; row->name = name; }
            row->device = b.buffer.kind == buffer_kind::gpu ? b.buffer.device : host_device;
            row->predicted = row->predicted.value_or(0) + bytes_to_mib100(b.bytes);
        }
    };
    add_predicted(buffer_role::model, rep.estimate.model_buffers);
    add_predicted(buffer_role::kv, rep.estimate.kv_buffers);
    add_predicted(buffer_role::recurrent, rep.estimate.recurrent_buffers);
    add_predicted(buffer_role::output, rep.estimate.output_buffers);
    add_predicted(buffer_role::compute, rep.estimate.compute_buffers);
    std::vector<buffer_row> unmatched;
    for (const auto& b : run.buffers) {
        if (b.draft) continue;
        buffer_row* row = nullptr;
        for (auto& r : rep.buffers) if (r.role == b.role && r.name == b.name) row = &r;
        if (!row) {
            for (auto& u : unmatched) if (u.role == b.role && u.name == b.name) row = &u;
            if (!row) { unmatched.push_back({}); row = &unmatched.back(); row->role = b.role; row->name = b.name; row->device = device_index(hw, b.name); }
        }
        row->logged = row->logged.value_or(0) + b.mib100;
        ++row->lines;
    }
    for (auto& u : unmatched) {
        buffer_row* pair = nullptr;
        for (auto& r : rep.buffers)
            if (r.role == u.role && r.device == u.device && !r.logged && r.predicted) { pair = &r; break; }
        if (pair) {
            rep.notes.push_back("the log's " + u.name + " " + std::string(to_string(u.role)) + " buffer is llamaplan's " + pair->name);
            pair->logged = u.logged;
            pair->lines = u.lines;
        } else {
            rep.buffers.push_back(u);
        }
    }
    rep.exact = true;
    for (const auto& r : rep.buffers) rep.exact = rep.exact && r.exact();

    // ---- devices ----
    auto row_of = [&](std::int32_t d) -> device_row& {
        for (auto& r : rep.devices) if (r.device == d) return r;
        rep.devices.push_back({});
        device_row& r = rep.devices.back();
        r.device = d;
        if (d == host_device) r.name = "CPU";
        else {
            char nb[llamaplan::buffer_name_capacity];
            r.name = std::string(buffer_name(hw, buffer_ref{buffer_kind::gpu, d}, nb));
        }
        return r;
    };
    (void)row_of(host_device);
    for (std::size_t i = 0; i < hw.devices.size(); ++i) (void)row_of(static_cast<std::int32_t>(i));
    for (const auto& r : rep.buffers) {
        device_row& d = row_of(r.device < 0 ? host_device : r.device);
        d.predicted += r.predicted.value_or(0);
        d.logged += r.logged.value_or(0);
    }

    // ---- throughput: observed vs predicted ----
    if (!run.timings.empty()) {
        double dsum = 0, psum = 0;
        int dn = 0, pn = 0;
        for (const auto& t : run.timings) {
            if (t.has_eval && t.eval_tokens >= 8 && t.eval_tps > 0) { dsum += t.eval_tps; ++dn; }
            if (t.has_prompt && t.prompt_tokens >= 8 && t.prompt_tps > 0) { psum += t.prompt_tps; ++pn; }
        }
        rep.decode_observed = dn ? dsum / dn : 0;
        rep.prefill_observed = pn ? psum / pn : 0;
        if (auto in = make_perf_inputs(m, hw, rep.params, rep.estimate)) {
            workload w;
            const auto tp = predict_throughput(hw, *in, w);
            rep.decode_predicted = tp.decode_tps;
            rep.prefill_predicted = tp.prefill_tps;
        }
    }

    // ---- learn: one record per device the run used (and the host) ----
    auto learn = [&](std::int32_t d, const std::string& name, std::string_view description, backend kind, std::uint64_t total) {
        probe::calibration_record c;
        c.device = name;
        c.description = std::string(description);
        c.kind = kind;
        c.memory_total = total;
        c.log = std::string(log_name);
        c.build = run.build_number.value_or(0);
        // compute buffers on the device itself (GPU memory; the host row takes the host's plain CPU buffer)
        for (const auto& r : rep.buffers) {
            if (r.role != buffer_role::compute || !r.predicted || !r.logged) continue;
            if (d == host_device ? r.name != "CPU" : r.device != d) continue;
            c.compute_logged += mib100_to_bytes(*r.logged);
            for (const auto& b : rep.estimate.compute_buffers) {
                char nb2[llamaplan::buffer_name_capacity];
                if (std::string_view(buffer_name(hw, b.buffer, nb2)) == r.name) c.compute_predicted += b.bytes;
            }
        }
        if (d != host_device) {
            const logged_device* ld = run.device_named(name);
            const breakdown_row* br = run.breakdown_of(name);
            if (br && br->device) {
                // total = free + self + unaccounted; an underflowed or negative figure (while fitting, or RPC) is not one
                const bool consistent = br->total - br->free - br->self == br->unaccounted;
                if (br->unaccounted >= 0 && br->unaccounted < br->total && consistent) {
                    c.overhead = static_cast<std::uint64_t>(br->unaccounted) << 20;
                    c.overhead_source = "breakdown";
                } else {
                    rep.notes.push_back(name + ": the breakdown's unaccounted " + std::to_string(br->unaccounted) +
                                        " MiB is not a measurement (negative, underflowed or inconsistent): not learned");
                }
            }
            if (c.overhead == 0 && ld && ld->total_mib && ld->free_mib && *ld->free_mib <= *ld->total_mib) {
                c.overhead = (*ld->total_mib - *ld->free_mib) << 20;
                c.overhead_source = "free at load";
            }
        }
        if (rep.decode_predicted > 0 && rep.decode_observed > 0)
            c.decode_efficiency_ppm = static_cast<std::uint32_t>(rep.decode_observed / rep.decode_predicted * 1e6 + 0.5);
        if (rep.prefill_predicted > 0 && rep.prefill_observed > 0)
            c.prefill_efficiency_ppm = static_cast<std::uint32_t>(rep.prefill_observed / rep.prefill_predicted * 1e6 + 0.5);
        rep.learned.push_back(std::move(c));
    };
    learn(host_device, "CPU", "", backend::cpu, 0);
    for (std::size_t i = 0; i < hw.devices.size(); ++i) {
        char nb[llamaplan::buffer_name_capacity];
        const std::string name(buffer_name(hw, buffer_ref{buffer_kind::gpu, static_cast<std::int32_t>(i)}, nb));
        bool used = false;
        for (const auto& r : rep.buffers) used = used || (r.device == static_cast<std::int32_t>(i) && r.logged);
        if (!used && !run.breakdown_of(name)) continue;
        const logged_device* ld = run.device_named(name);
        // the total as the log states it (0 = unknown: a free figure is not a total)
        const std::uint64_t total = ld && ld->total_mib ? *ld->total_mib << 20 : 0;
        learn(static_cast<std::int32_t>(i), name, ld && !ld->description.empty() ? std::string_view(ld->description) : hw.devices[i].name,
              hw.devices[i].kind, total);
    }
    return rep;
}

/// The machine device a calibration record belongs to (host_device for "CPU"), or -2 when `hw` has no device with
/// its name, backend and total memory.
[[nodiscard]] inline std::int32_t record_device(const machine& hw, const probe::calibration_record& c) {
    if (c.kind == backend::cpu) return host_device;
    const auto o = owner_of(c.device);
    if (o.device < 0 || backend_of_prefix(o.backend) != c.kind) return -2;
    const auto i = hw.find_device(c.kind, static_cast<std::uint32_t>(o.device));
    if (i < 0) return -2;
    const auto& d = hw.devices[static_cast<std::size_t>(i)];
    return same_device(c.description, c.memory_total, d.name, d.memory_total) ? i : -2;
}

/// Merges learned records into a machine file: each replaces the record of its device. Refuses (and changes
/// nothing) when a record is for a device the machine file does not have: another name, backend or total memory.
[[nodiscard]] inline result<bool> merge_calibration(probe::probe_result& mf, std::span<const probe::calibration_record> learned,
                                                    std::string* message = nullptr) {
    const machine hw = mf.view();
    for (const auto& c : learned) {
        if (record_device(hw, c) != -2) continue;
        if (message) {
            *message = "refused: the log's " + c.device + " is " + (c.description.empty() ? std::string("unnamed") : c.description) +
                       (c.memory_total ? " (" + std::to_string(c.memory_total >> 20) + " MiB)" : std::string()) +
                       ", which is not a device of this machine file";
            for (std::size_t i = 0; i < hw.devices.size(); ++i)
                *message += std::string(i == 0 ? " (it has " : ", ") + std::string(hw.devices[i].name) + " " +
                            std::to_string(hw.devices[i].memory_total >> 20) + " MiB" + (i + 1 == hw.devices.size() ? ")" : "");
        }
        return make_error(errc::invalid_argument, "a calibration for another device is refused", 0);
    }
    for (const auto& c : learned) {
        bool replaced = false;
        for (auto& old : mf.calibrations)
            if (old.device == c.device && old.kind == c.kind) { old = c; replaced = true; }
        if (!replaced) mf.calibrations.push_back(c);
    }
    return true;
}

/// Applies the calibration records of a machine to an estimate made for it: a device's measured overhead replaces
/// the assumed one, and its compute buffers are scaled by logged / predicted of the run it was learned from (GPU
/// backends only: CPU compute buffers are exact). Records of devices `hw` does not have are skipped (noted).
/// Returns the reasons, one per change.
inline std::vector<std::string> apply_calibration(memory_estimate& e, const machine& hw,
                                                  std::span<const probe::calibration_record> records) {
    std::vector<std::string> why;
    for (const auto& c : records) {
        const std::int32_t d = record_device(hw, c);
        if (d == -2) {
            why.push_back("calibration for " + c.device + " (" + c.description + ") skipped: not a device of this machine");
            continue;
        }
        device_memory* row = nullptr;
        for (auto& r : e.devices) if (r.device == d) row = &r;
        if (!row) continue;
        if (c.overhead > 0 && d != host_device) {
            why.push_back(c.device + ": overhead " + std::to_string(c.overhead >> 20) + " MiB measured (" + c.overhead_source +
                          ", " + c.log + ") instead of " + std::to_string(row->overhead >> 20) + " MiB assumed");
            row->overhead = c.overhead;
        }
        if (d != host_device && c.compute_predicted > 0 && bytes_to_mib100(c.compute_logged) != bytes_to_mib100(c.compute_predicted)) {
            std::uint64_t before = 0, after = 0;
            for (auto& b : e.compute_buffers) {
                if (b.buffer.kind != buffer_kind::gpu || b.buffer.device != d) continue;
                before += b.bytes;
                b.bytes = static_cast<std::uint64_t>(static_cast<double>(b.bytes) * static_cast<double>(c.compute_logged) /
                                                     static_cast<double>(c.compute_predicted) + 0.5);
                after += b.bytes;
            }
            if (before != after) {
                row->compute = row->compute - before + after;
                why.push_back(c.device + ": compute buffers x" + std::to_string(static_cast<double>(c.compute_logged) / static_cast<double>(c.compute_predicted)).substr(0, 5) +
                              " (" + detail::mib_text(bytes_to_mib100(c.compute_logged)) + " MiB logged vs " +
                              detail::mib_text(bytes_to_mib100(c.compute_predicted)) + " MiB predicted in " + c.log + ")");
            }
        }
    }
    return why;
}

}  // namespace llamaplan::logs

#endif  // LLAMAPLAN_LOGS_CALIBRATE_HPP
