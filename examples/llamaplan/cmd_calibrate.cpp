// llamaplan calibrate: compare a real llama-server / llama-cli run (its log) with the estimate, and keep what it
// teaches in the machine file. The work is in adapters/logs (reader.hpp, calibrate.hpp); this is the command line.
#include "cli.hpp"
#include "commands.hpp"
#include "model_arg.hpp"

#include <llamaplan/gguf/file.hpp>
#include <llamaplan/logs/calibrate.hpp>
#include <llamaplan/logs/reader.hpp>
#include <llamaplan/probe/json.hpp>
#include <llamaplan/probe/machine_file.hpp>
#include <llamaplan/probe/probe.hpp>
#include <llamaplan/probe/text.hpp>
#include <llamaplan/server_args.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace {
namespace logs = llamaplan::logs;
namespace json = llamaplan::probe::json;

/// Largest log read (bytes): llama-server logs of long sessions grow; the reader's cost is linear.
constexpr std::size_t max_log_bytes = std::size_t{256} << 20;

int calibrate_usage(std::FILE* out) {
    std::fputs(
        "usage: llamaplan calibrate LOG [-m MODEL] [--machine FILE] [--save FILE] [--run N] [--json] [-- llama-server ...]\n"
        "\n"
        "Re-estimates the run a llama-server / llama-cli log shows (settings from the log; from the command line after\n"
        "'--' where the log does not say) and prints predicted vs logged per buffer and per device, and tokens/s when\n"
        "the log has timings. What it learns per device (the memory outside llama.cpp's buffers, the compute buffers'\n"
        "correction, throughput efficiency) is saved with --save into a machine file: the --machine one, or this\n"
        "machine probed. A calibration for a device the machine file does not have is refused.\n"
        "llama.cpp 3f545bec prints its buffer lines at -lv 4 (and the breakdown table when it exits).\n"
        "\n"
        "  -m MODEL          the model (a GGUF file or a catalog NAME:QUANT); default: the path in the log or after '--'\n"
        "  --machine FILE    the machine the run was on (default: the devices the log lists)\n"
        "  --save FILE       write the machine file with what was learned (may be the --machine file)\n"
        "  --run N           which run of a log holding several (1 = first; default: the last)\n"
        "  --json            print JSON\n",
        out);
    return out == stdout ? 0 : 2;
}

std::string mib(std::optional<std::uint64_t> v) { return v ? logs::detail::mib_text(*v) : std::string("-"); }
std::string signed_mib(std::int64_t d) { return (d < 0 ? "-" : "+") + logs::detail::mib_text(static_cast<std::uint64_t>(d < 0 ? -d : d)); }
}  // namespace

int cmd_calibrate(int argc, char** argv) {
    std::string log_path, model_arg, machine_path, save_path;
    std::vector<std::string_view> server_argv;
    bool as_json = false, after_dashes = false;
    long run_index = 0;
    for (int i = 0; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (after_dashes) { server_argv.push_back(a); continue; }
        if (a == "-h" || a == "--help") return calibrate_usage(stdout);
        if (a == "--") { after_dashes = true; continue; }
        if (a == "--json") { as_json = true; continue; }
        auto value = [&](std::string& out) {
            if (i + 1 >= argc) return false;
            out = argv[++i];
            return true;
        };
        if (a == "-m" || a == "--model") { if (!value(model_arg)) return cli::fail("calibrate: -m needs a model"); continue; }
        if (a == "--machine") { if (!value(machine_path)) return cli::fail("calibrate: --machine needs a file"); continue; }
        if (a == "--save") { if (!value(save_path)) return cli::fail("calibrate: --save needs a file"); continue; }
        if (a == "--run") {
            std::string v;
            char* end = nullptr;
            if (!value(v) || (run_index = std::strtol(v.c_str(), &end, 10)) < 1 || *end != '\0')
                return cli::fail("calibrate: --run needs a run number (1 = the first)");
            continue;
        }
        if (!a.empty() && a[0] == '-') return cli::fail("calibrate: unknown option '" + std::string(a) + "'");
        if (!log_path.empty()) return cli::fail("calibrate: one log at a time ('" + std::string(a) + "')");
        log_path = std::string(a);
    }
    if (log_path.empty()) return calibrate_usage(stderr);

    // ---- the log ----
    const auto text = llamaplan::probe::read_file(log_path, max_log_bytes + 1);
    if (!text) { std::fprintf(stderr, "llamaplan: %s: cannot read the file\n", log_path.c_str()); return 1; }
    if (text->size() > max_log_bytes) return cli::fail(log_path + ": larger than 256 MiB; cut the run out of it");
    auto reading = logs::read_log(*text);
    if (!reading) return cli::fail(log_path + ": " + std::string(reading.error().what));
    if (run_index > static_cast<long>(reading->runs.size()))
        return cli::fail(log_path + ": has " + std::to_string(reading->runs.size()) + " run(s), not " + std::to_string(run_index));
    const logs::run_log& run = run_index ? reading->runs[static_cast<std::size_t>(run_index - 1)] : reading->runs.back();
    if (reading->runs.size() > 1 && !run_index)
        std::fprintf(stderr, "llamaplan: note: %s holds %zu runs; calibrating the last (lines %zu-%zu; --run N picks another)\n",
                     log_path.c_str(), reading->runs.size(), run.first_line, run.last_line);

    // ---- settings of the command line, where the log does not say ----
    llamaplan::launch_params base{};
    std::string cmdline_model;
    if (!server_argv.empty()) {
        auto args = llamaplan::parse_server_args(server_argv);
        if (!args) return cli::fail("calibrate: " + std::string(args.error().what));
        base = args->params;
        cmdline_model = std::string(args->model);
    }

    // ---- the model: -m, the command line's, the log's path ----
    std::string model_path = !model_arg.empty() ? model_arg : !cmdline_model.empty() ? cmdline_model : run.model_path;
    if (model_path.empty()) return cli::fail(log_path + ": the log names no model file: pass -m MODEL (a GGUF file or NAME:QUANT)");
    if (model_arg.empty() && cmdline_model.empty() && !llamaplan::looks_like_catalog_ref(model_path) &&
        !std::filesystem::exists(model_path))
        return cli::fail(log_path + ": the log's model " + model_path + " is not on this machine: pass -m MODEL (a copy, or NAME:QUANT)");
    llamaplan::gguf::file_error fe;
    auto mf = cli::load_model_arg(model_path, fe);
    if (!mf) return cli::fail(fe.path + ": " + cli::describe(mf.error()));

    // ---- the machine ----
    std::optional<llamaplan::probe::probe_result> machine_file;
    if (!machine_path.empty()) {
        std::string message;
        auto loaded = llamaplan::probe::load_machine_file(machine_path, &message);
        if (!loaded) return cli::fail(message);
        machine_file.emplace(std::move(*loaded));
    }
    logs::log_machine lm = logs::machine_from_log(run);
    llamaplan::machine hw = machine_file ? machine_file->view() : lm.view();
    if (machine_file) {  // the log's GPUs must be the machine file's
        for (const auto& d : run.devices) {
            const auto k = logs::backend_of_prefix(logs::owner_of(d.name).backend);
            if (!k || *k == llamaplan::backend::cpu) continue;
            const auto i = logs::device_index(hw, d.name);
            if (i < 0 || !logs::same_device(d.description.empty() ? d.name : d.description, d.total_mib ? *d.total_mib << 20 : 0,
                                            hw.devices[static_cast<std::size_t>(i)].name,
                                            hw.devices[static_cast<std::size_t>(i)].memory_total))
                return cli::fail(log_path + ": the run's " + d.name + " (" + d.description + ") is not a device of " + machine_path);
        }
    }

    auto rep = logs::calibrate(run, mf->view(), hw, base, std::filesystem::path(log_path).filename().string());
    if (!rep) return cli::fail(log_path + ": " + std::string(rep.error().what));

    // ---- save ----
    std::string saved_note;
    if (!save_path.empty()) {
        llamaplan::probe::probe_result target;
        if (machine_file) {
            target = *machine_file;
        } else {
            auto probed = llamaplan::probe::probe_machine();
            if (!probed) return cli::fail("calibrate: probing this machine failed: " + cli::describe(probed.error()));
            target = std::move(*probed);
        }
        std::string message;
        if (auto ok = logs::merge_calibration(target, rep->learned, &message); !ok) return cli::fail(save_path + ": " + message);
        if (auto ok = llamaplan::probe::save_machine_file(save_path, target); !ok) {
            std::fprintf(stderr, "llamaplan: %s: %s\n", save_path.c_str(), std::string(ok.error().what).c_str());
            return 1;
        }
        saved_note = "saved " + std::to_string(rep->learned.size()) + " calibration record(s) to " + save_path;
    }

    // ---- print ----
    if (as_json) {
        auto o = json::value::make_object();
        o.set("log", json::value::make_string(log_path));
        o.set("exact", json::value::make_bool(rep->exact));
        auto bufs = json::value::make_array();
        for (const auto& b : rep->buffers) {
            auto r = json::value::make_object();
            r.set("kind", json::value::make_string(logs::to_string(b.role)));
            r.set("buffer", json::value::make_string(b.name));
            if (b.predicted) r.set("predicted_mib100", json::value::make_u64(*b.predicted));
            if (b.logged) r.set("logged_mib100", json::value::make_u64(*b.logged));
            r.set("exact", json::value::make_bool(b.exact()));
            bufs.push(std::move(r));
        }
        o.set("buffers", std::move(bufs));
        auto devs = json::value::make_array();
        for (const auto& d : rep->devices) {
            auto r = json::value::make_object();
            r.set("device", json::value::make_string(d.name));
            r.set("predicted_mib100", json::value::make_u64(d.predicted));
            r.set("logged_mib100", json::value::make_u64(d.logged));
            devs.push(std::move(r));
        }
        o.set("devices", std::move(devs));
        auto notes = json::value::make_array();
        for (const auto& n : rep->notes) notes.push(json::value::make_string(n));
        o.set("notes", std::move(notes));
        std::printf("%s\n", json::dump(o, 2).c_str());
        if (!saved_note.empty()) std::fprintf(stderr, "llamaplan: %s\n", saved_note.c_str());
        return 0;
    }
    std::printf("%s: run at lines %zu-%zu%s, model %s\n", log_path.c_str(), run.first_line, run.last_line,
                run.build_number ? (", build " + std::to_string(*run.build_number)).c_str() : "", model_path.c_str());
    std::printf("settings: n_ctx %u, n_seq_max %u%s, n_batch %u, n_ubatch %u, flash attention %s\n\n", rep->params.n_ctx,
                rep->params.n_seq_max, rep->params.kv_unified ? " (unified KV)" : "", rep->estimate.n_batch,
                rep->estimate.n_ubatch, rep->estimate.flash_attn ? "on" : "off");
    std::printf("%-9s %-24s %12s %12s %10s\n", "buffer", "name", "predicted", "logged", "diff MiB");
    for (const auto& b : rep->buffers)
        std::printf("%-9s %-24s %12s %12s %10s%s\n", std::string(logs::to_string(b.role)).c_str(), b.name.c_str(),
                    mib(b.predicted).c_str(), mib(b.logged).c_str(),
                    b.predicted && b.logged ? signed_mib(b.difference()).c_str() : "n/a", b.exact() ? "  exact" : "");
    std::printf("\n%-9s %-24s %12s %12s %10s\n", "device", "", "predicted", "logged", "diff MiB");
    for (const auto& d : rep->devices)
        std::printf("%-9s %-24s %12s %12s %10s\n", d.name.c_str(), "", logs::detail::mib_text(d.predicted).c_str(),
                    logs::detail::mib_text(d.logged).c_str(),
                    signed_mib(static_cast<std::int64_t>(d.logged) - static_cast<std::int64_t>(d.predicted)).c_str());
    if (rep->decode_observed > 0 || rep->prefill_observed > 0)
        std::printf("\ntokens/s: decode predicted %.1f, observed %.1f; prompt predicted %.1f, observed %.1f\n",
                    rep->decode_predicted, rep->decode_observed, rep->prefill_predicted, rep->prefill_observed);
    std::printf("\n%s\n", rep->exact ? "every buffer as predicted (to llama.cpp's printed 0.01 MiB)" : "differences: see above");
    for (const auto& c : rep->learned) {
        std::string what;
        if (c.overhead) what += " overhead " + std::to_string(c.overhead >> 20) + " MiB (" + c.overhead_source + ")";
        if (c.compute_predicted && logs::bytes_to_mib100(c.compute_logged) != logs::bytes_to_mib100(c.compute_predicted))
            what += " compute x" + std::to_string(static_cast<double>(c.compute_logged) / static_cast<double>(c.compute_predicted)).substr(0, 5);
        if (c.decode_efficiency_ppm) what += " decode efficiency " + std::to_string(c.decode_efficiency_ppm / 10000) + " %";
        if (!what.empty()) std::printf("learned for %s:%s\n", c.device.c_str(), what.c_str());
    }
    for (const auto& n : rep->notes) std::printf("note: %s\n", n.c_str());
    if (!saved_note.empty()) std::printf("%s\n", saved_note.c_str());
    return 0;
}
