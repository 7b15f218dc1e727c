// llamaplan plan: the best llama-server settings for a model on a machine, for a goal, around any pinned flags.
#include "cli.hpp"
#include "commands.hpp"
#include "after_arg.hpp"
#include "machine_args.hpp"
#include "model_arg.hpp"

#include <llamaplan/emit.hpp>
#include <llamaplan/gguf/file.hpp>
#include <llamaplan/gguf/mmproj.hpp>
#include <llamaplan/planner.hpp>
#include <llamaplan/server_args.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace {

int plan_usage(std::FILE* out) {
    std::fputs(
        "usage: llamaplan plan [MODEL.gguf | -] [llama-server flags] [options]\n"
        "       llamaplan plan [options] -- llama-server -m MODEL.gguf [flags]\n"
        "\n"
        "Chooses every llama-server setting (context, KV cache types, flash attention, batch sizes, slots, GPU layers\n"
        "and their split, MoE expert placement, threads, load mode, prompt cache) for a goal, so that every device\n"
        "keeps its margin. Flags you give (-c, -ngl, -ot, -ctk, -np, ...) are pinned: kept as given, and the rest is\n"
        "planned around them. With no MODEL it plans a built-in Llama-3.1-8B-shaped model; '-' reads a GGUF header\n"
        "from standard input (curl -r 0-8000000 URL | llamaplan plan -).\n"
        "\n"
        "options:\n"
        "  --preset NAME               balanced (default), high_speed, more_context, system_safe, ultra_performance,\n"
        "                              moe_optimized, general, long_context, speed, quality\n"
        "  --margin SIZE               free memory kept on each GPU (a bare number is MiB) (default: the preset's, e.g. 1GiB)\n"
        "  --host-margin SIZE          free RAM kept on the host (a bare number is MiB) (default: the preset's)\n"
        "  --after LOG                 plan again after that llama-server run: a failed allocation's device keeps less\n"
        "                              (what was missing + the margin); so does one that used more than assumed\n"
        "  --with MODEL.gguf[@PRESET]  another model that runs at the same time (a draft or embedding model, a\n"
        "                              llama-swap group member): every device is shared so that all fit at once\n"
        "  --format FORMAT             llama-server (default: the command line and the memory per device),\n"
        "                              llama-swap (a cmd: block), llama-cpp-python (Llama() keyword arguments;\n"
        "                              planned without tensor overrides and with one slot, which it cannot express),\n"
        "                              json, runtime-config (hardware profile + plan + expected tokens/s, JSON)\n"
        "  --llama-cpp VERSION         the llama.cpp build to write flags for: b6325, 6325 or a date 2025-08-30\n"
        "                              (default: b10573, the build the memory model was measured against)\n"
        "  --json                      same as --format json\n"
        "  -v, --verbose               explain every setting\n"
        "machine (default: this machine, probed):\n",
        out);
    std::fputs(cli::machine_options::help(), out);
    std::fputs(
        "\nexit codes: 0 planned, 3 nothing fits (the closest configuration and the shortfall are printed),\n"
        "            2 bad input, 1 I/O error\n"
        "\nexamples:\n"
        "  llamaplan plan model.gguf\n"
        "  llamaplan plan model.gguf --preset more_context -np 4\n"
        "  llamaplan plan model.gguf -c 32768 -ctk q8_0 --gpu cuda:24GiB --json\n"
        "  llamaplan plan --machine server.json -- llama-server -m model.gguf --jinja\n",
        out);
    return out == stdout ? 0 : 2;
}

/// Writes the built-in model (Llama-3.1-8B-shaped, Q4_K) as a header-only GGUF in the temp directory.
std::string builtin_model(std::string& err) {
    std::error_code ec;
    const auto dir = std::filesystem::temp_directory_path(ec);
    if (ec) { err = "no temporary directory: " + ec.message(); return {}; }
    const std::string path = (dir / "llamaplan-builtin-llama3.1-8b-q4_k.gguf").string();
    if (!cli::write_builtin_model(path)) {
        err = "cannot write " + path;
        return {};
    }
    return path;
}

std::string device_name(const llamaplan::machine& hw, std::int32_t d) {
    char buf[llamaplan::buffer_name_capacity];
    return std::string(llamaplan::device_label(hw, d, buf));
}


void print_plan(const llamaplan::plan& plan, const llamaplan::model& m, const llamaplan::model_summary& summary,
                const llamaplan::machine& hw, const std::string& model_path, bool verbose, llamaplan::llama_cpp_version target) {
    const llamaplan::plan* pl = &plan;
    const auto preset = plan.preset;
    std::string line;
    const bool expressible = llamaplan::emit_command_line(*pl, m, summary, hw, model_path, [&](std::string_view s) { line += s; }, target);
    if (!pl->fits) {
        std::printf("nothing fits for preset %s: the closest configuration misses its budget on %s by %s\n\n",
                    std::string(llamaplan::to_string(preset)).c_str(), device_name(hw, pl->short_device).c_str(),
                    cli::human(pl->short_bytes).c_str());
    }
    std::string workers;
    (void)llamaplan::emit_rpc_servers(hw, [&](std::string_view s) { workers += (workers.empty() || workers.back() == '\n' ? "  " : " ") + std::string(s); },
                                      [&] { workers += "\n"; });
    if (!workers.empty())
        std::printf("on each worker first (rpc-server has no authentication: bind it to a private network):\n%s\n",
                    workers.c_str());
    std::printf("%s%s\n%s\n", pl->fits ? "" : "closest: ", line.c_str(),
                expressible ? "" : "(a pinned setting has no flag in the targeted llama.cpp build)\n");
    const auto& e = pl->memory;
    std::printf("preset %s: context %u tokens (%u per slot x %u slot%s), KV %s/%s, flash attention %s, batch %u/%u\n",
                std::string(llamaplan::to_string(preset)).c_str(), e.n_ctx, pl->ctx_per_slot, pl->params.n_seq_max,
                pl->params.n_seq_max == 1 ? "" : "s", std::string(llamaplan::type_name(pl->params.type_k)).c_str(),
                std::string(llamaplan::type_name(pl->params.type_v)).c_str(), e.flash_attn ? "on" : "off", e.n_batch, e.n_ubatch);
    std::printf("layers on GPUs: %u of %u; weights read per token: %s, %s of it from GPU memory\n",
                pl->place.layers.n_gpu_layers, pl->place.layers.n_layer_all + 1, cli::human(pl->speed.read_bytes).c_str(),
                cli::human(pl->speed.gpu_read_bytes).c_str());
    std::printf("predicted: %.1f tokens/s generating (%s bound), %.0f tokens/s on a 512-token prompt (%s bound)\n",
                pl->speed.decode_tps, std::string(llamaplan::to_string(pl->speed.decode_bound)).c_str(),
                pl->speed.prefill_tps, std::string(llamaplan::to_string(pl->speed.prefill_bound)).c_str());
    if (pl->fits) {
        const auto& pr = llamaplan::preset_of(preset);
        std::printf("objective: %.1f tokens/s over a request of %u prompt + %u generated tokens at depth %u; the context costs %.1f %% of it\n",
                    pl->score_tps, pr.prompt_tokens, pr.generate_tokens, pr.depth, 100.0 * pl->context_cost);
    }
    if (m.hp.n_ctx_train != 0 && pl->ctx_per_slot > m.hp.n_ctx_train)
        std::printf("warning: %u tokens per slot exceed the model's training context (%u): quality drops without RoPE scaling (--rope-scaling yarn)\n",
                    pl->ctx_per_slot, m.hp.n_ctx_train);
    if (hw.host.memory_available == 0)
        std::printf("warning: the host's RAM is unknown (--no-probe without --machine or --host-ram): the host row is not checked\n");
    std::printf("\n");
    const bool with_draft = e.draft.present;  // a pinned -md draft: its bytes per device, inside "planned"
    std::printf("  %-28s %10s %10s %10s %10s", "device (MiB)", "model", "context", "compute", "overhead");
    if (with_draft) std::printf(" %10s", "draft");
    const bool with_mmproj = e.mmproj.present;  // a pinned --mmproj: weights + warmup compute buffer, inside "planned"
    if (with_mmproj) std::printf(" %10s", "mmproj");
    std::printf(" %10s %10s %10s\n", "planned", "margin", "free");
    for (const auto& b : pl->budgets) {
        const auto* row = e.row(b.device);
        std::printf("  %-28s %10s %10s %10s %10s", device_name(hw, b.device).substr(0, 28).c_str(),
                    cli::mib(row ? row->model : 0).c_str(), cli::mib(row ? row->context : 0).c_str(),
                    cli::mib(row ? row->compute : 0).c_str(), cli::mib(row ? row->overhead : 0).c_str());
        if (with_draft) std::printf(" %10s", cli::mib(row ? row->draft : 0).c_str());
        if (with_mmproj) std::printf(" %10s", cli::mib(row ? row->mmproj : 0).c_str());
        std::printf(" %10s %10s %10s%s\n", cli::mib(b.planned).c_str(), cli::mib(b.margin).c_str(),
                    b.free == 0 && b.device == llamaplan::host_device ? "unknown" : cli::mib(b.free).c_str(),
                    b.fits() ? "" : "  <- over");
    }
    if (verbose) {
        std::printf("\nwhy:\n");
        for (const auto& r : pl->reasons)
            std::printf("  %-16s %-9s %s\n", std::string(llamaplan::to_string(r.what)).c_str(),
                        std::string(llamaplan::to_string(r.how)).c_str(), std::string(r.why).c_str());
        std::printf("  (%u candidate placements priced)\n", pl->candidates);
    }
}

}  // namespace

int cmd_plan(int argc, char** argv) {
    std::vector<std::string_view> server_argv;
    cli::machine_options machine_opts(/*probe_by_default=*/true);
    bool as_json = false, verbose = false;
    std::string format = "llama-server";
    llamaplan::llama_cpp_version target{};
    llamaplan::preset_id preset = llamaplan::preset_id::balanced;
    std::uint64_t margin = llamaplan::unset_bytes, host_margin = llamaplan::unset_bytes;
    std::vector<std::pair<std::string, llamaplan::preset_id>> with;  // co-resident models
    std::string after_log;  // --after LOG: plan again after that run (after_arg.hpp)
    for (int i = 0; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "-h" || a == "--help") return plan_usage(stdout);
        if (a == "--json") { format = "json"; continue; }
        if (a == "--format") {
            if (i + 1 >= argc) return cli::fail("plan: --format needs llama-server, llama-swap, llama-cpp-python, json or runtime-config");
            format = argv[++i];
            if (format != "llama-server" && format != "llama-swap" && format != "llama-cpp-python" && format != "json" &&
                format != "runtime-config")
                return cli::fail("plan: unknown format '" + format + "' (llama-server, llama-swap, llama-cpp-python, json, runtime-config)");
            continue;
        }
        if (a == "--llama-cpp") {
            if (i + 1 >= argc || !llamaplan::parse_llama_cpp_version(argv[i + 1], target))
                return cli::fail("plan: --llama-cpp needs a build (b6325 or 6325, at least b" +
                                 std::to_string(llamaplan::oldest_supported_build) + ") or a date (2025-08-30)");
            ++i;
            continue;
        }
        if (a == "-v" || a == "--verbose") { verbose = true; continue; }
        if (a == "--after") {
            if (i + 1 >= argc) return cli::fail("plan: --after needs a llama-server log");
            after_log = argv[++i];
            continue;
        }
        if (a == "--preset") {
            if (i + 1 >= argc || !llamaplan::parse_preset(argv[i + 1], preset))
                return cli::fail("plan: --preset needs one of balanced, high_speed, more_context, system_safe, "
                                 "ultra_performance, moe_optimized, general, long_context, speed, quality");
            ++i;
            continue;
        }
        if (a == "--with") {
            if (i + 1 >= argc) return cli::fail("plan: --with needs MODEL.gguf[@PRESET]");
            std::string v = argv[++i];
            llamaplan::preset_id wp = llamaplan::preset_id::balanced;
            if (const auto at = v.rfind('@'); at != std::string::npos) {
                if (!llamaplan::parse_preset(v.substr(at + 1), wp)) return cli::fail("plan: unknown preset in '" + v + "'");
                v.resize(at);
            }
            with.emplace_back(v, wp);
            continue;
        }
        if (a == "--margin" || a == "--host-margin") {
            if (i + 1 >= argc) return cli::fail("plan: " + std::string(a) + " needs a size");
            auto b = cli::parse_bytes(argv[++i]);
            if (!b) return cli::fail("plan: bad size '" + std::string(argv[i]) + "'");
            (a == "--margin" ? margin : host_margin) = *b;
            continue;
        }
        std::string err;
        const int took = machine_opts.consume(argc, argv, i, err);
        if (took < 0) return cli::fail("plan: " + err);
        if (took > 0) continue;
        if (a == "--") continue;
        server_argv.push_back(a);
    }
    auto args = llamaplan::parse_server_args(server_argv);
    if (!args) {
        const auto at = args.error().where;
        return cli::fail("plan: " + std::string(args.error().what) +
                         (at < server_argv.size() ? " ('" + std::string(server_argv[at]) + "')" : std::string{}));
    }
    as_json = format != "llama-server";
    std::string model_path(args->model);
    if (model_path.empty()) {
        std::string err;
        model_path = builtin_model(err);
        if (model_path.empty()) { std::fprintf(stderr, "llamaplan: plan: %s\n", err.c_str()); return 1; }
        if (!as_json) std::printf("(no model given: planning a built-in Llama-3.1-8B-shaped Q4_K model)\n");
    }
    llamaplan::gguf::file_error fe;
    auto mf = cli::load_model_arg(model_path, fe);
    if (!mf) {
        std::fprintf(stderr, "llamaplan: %s: %s\n", fe.path.c_str(), cli::describe(mf.error()).c_str());
        return mf.error().code == llamaplan::errc::io_error || mf.error().code == llamaplan::errc::not_found ? 1 : 2;
    }
    const llamaplan::model m = mf->view();
    llamaplan::machine hw;
    if (std::string err; !machine_opts.build(hw, err, args->rpc)) return cli::fail("plan: " + err);
    std::optional<llamaplan::logs::adjusted_machine> adjusted;  // calibration and --after LOG budgets (after_arg.hpp)
    if (std::string err; !cli::adjust_budgets(after_log, machine_opts, margin, adjusted, hw, err)) return cli::fail("plan: " + err);

    llamaplan::goal g = llamaplan::goal_from_args(*args, preset);
    // a projector pinned with --mmproj is loaded too: its weights and warmup compute buffer are in its device's
    // budget and --mmproj stays in the argv
    std::unique_ptr<llamaplan::gguf::mmproj_file> mmproj_file;
    llamaplan::mmproj_model mmproj_m{};
    if (args->mmproj_url)  // -mmu: llama-server downloads it; a plan without its bytes could not be trusted to fit
        return cli::fail("plan: --mmproj-url " + std::string(args->mmproj) + ": download the projector and pass --mmproj FILE");
    if (!args->mmproj.empty()) {
        auto pf = llamaplan::gguf::open_mmproj(std::string(args->mmproj));
        if (!pf) {
            std::fprintf(stderr, "llamaplan: %s: %s\n", std::string(args->mmproj).c_str(), cli::describe(pf.error()).c_str());
            return pf.error().code == llamaplan::errc::io_error || pf.error().code == llamaplan::errc::not_found ? 1 : 2;
        }
        mmproj_file = std::make_unique<llamaplan::gguf::mmproj_file>(std::move(*pf));
        mmproj_m = mmproj_file->view();
        g.mmproj = &mmproj_m;
    }
    // a draft pinned with -md is loaded too: the plan keeps its bytes in each device's budget and -md in its argv
    std::unique_ptr<llamaplan::gguf::model_file> draft_file;
    llamaplan::model draft_m{};
    auto draft_summary = std::make_unique<llamaplan::model_summary>();
    if (!args->draft_model.empty()) {
        auto df = cli::load_model_arg(args->draft_model, fe);
        if (!df) {
            std::fprintf(stderr, "llamaplan: %s: %s\n", fe.path.c_str(), cli::describe(df.error()).c_str());
            return df.error().code == llamaplan::errc::io_error || df.error().code == llamaplan::errc::not_found ? 1 : 2;
        }
        draft_file = std::make_unique<llamaplan::gguf::model_file>(std::move(*df));
        draft_m = draft_file->view();
        g.draft_model = &draft_m;
    }
    g.gpu_margin = margin;
    g.host_margin = host_margin;
    g.gpu_context = machine_opts.overhead.gpu_context;
    if (format == "llama-cpp-python") {
        // Llama() has no tensor overrides, one sequence, no server prompt cache (python_can_express)
        if (!llamaplan::python_goal(g))
            return cli::fail("plan: llama-cpp-python cannot express -ot / --cpu-moe / --n-cpu-moe or several slots");
    }
    // the main model first, then any co-resident ones, each with its own summary
    struct member {
        std::string path;
        std::unique_ptr<llamaplan::gguf::model_file> file;
        llamaplan::model m;
        std::unique_ptr<llamaplan::model_summary> summary = std::make_unique<llamaplan::model_summary>();
        llamaplan::goal g;
    };
    std::vector<member> members;
    members.push_back({model_path, nullptr, m, nullptr, g});
    members.back().summary = std::make_unique<llamaplan::model_summary>();
    for (const auto& [path, wp] : with) {
        auto f = cli::load_model_arg(path, fe);
        if (!f) {
            std::fprintf(stderr, "llamaplan: %s: %s\n", fe.path.c_str(), cli::describe(f.error()).c_str());
            return f.error().code == llamaplan::errc::io_error || f.error().code == llamaplan::errc::not_found ? 1 : 2;
        }
        member x{path, std::make_unique<llamaplan::gguf::model_file>(std::move(*f)), {}, std::make_unique<llamaplan::model_summary>(), g};
        x.m = x.file->view();
        x.g.preset = wp;
        x.g.pinned = {};  // the command line's flags pin the main model only
        x.g.draft_model = nullptr;  // and its draft belongs to it alone
        x.g.draft_path = {};
        x.g.draft = {};
        x.g.params.spec = {};
        x.g.mmproj = nullptr;  // the projector too
        x.g.mmproj_path = {};
        x.g.mmproj_load = {};
        members.push_back(std::move(x));
    }
    std::vector<llamaplan::model_request> requests;
    for (auto& x : members) {
        if (auto ok = llamaplan::summarize_for(x.m, hw, x.g, *x.summary); !ok)
            return cli::fail("plan: " + x.path + ": " + cli::describe(ok.error()));
        const llamaplan::model_summary* ds = nullptr;
        if (x.g.draft_model != nullptr) {
            const auto dd = llamaplan::draft_machine(hw, x.g.draft);
            if (!dd) return cli::fail("plan: " + cli::describe(dd.error()));
            if (auto ok = llamaplan::summarize_for(*x.g.draft_model, dd->view(), x.g, *draft_summary); !ok)
                return cli::fail("plan: " + std::string(x.g.draft_path) + ": " + cli::describe(ok.error()));
            ds = draft_summary.get();
        }
        requests.push_back({&x.m, x.summary.get(), x.g, ds});
    }
    std::vector<llamaplan::plan> plans(members.size());
    if (auto r = llamaplan::plan_models(requests, hw, plans); !r) return cli::fail("plan: " + cli::describe(r.error()));
    bool all_fit = true;
    for (const auto& p : plans) all_fit = all_fit && p.fits;
    const int rc = all_fit ? 0 : 3;
    if (as_json) {
        std::string out;
        auto sink = [&](std::string_view x) { out += x; };
        for (std::size_t k = 0; k < members.size(); ++k) {
            const auto& x = members[k];
            if (format == "llama-swap") {
                if (members.size() > 1) out += "# " + x.path + "\n";
                if (!llamaplan::emit_llama_swap(plans[k], x.m, *x.summary, hw, x.path, sink, "  ", target))
                    return cli::fail("plan: the plan needs a flag llama.cpp b" + std::to_string(target.build) + " does not have");
            } else if (format == "llama-cpp-python") {
                if (members.size() > 1) out += "# " + x.path + "\n";
                if (!llamaplan::emit_python_kwargs(plans[k], hw, x.path, sink))
                    return cli::fail("plan: llama-cpp-python cannot express this plan (tensor overrides or several slots)");
            }
        }
        if (format == "json" || format == "runtime-config") {
            auto one = [&](std::size_t k) {
                const auto& x = members[k];
                if (format == "json") llamaplan::emit_json(plans[k], x.m, *x.summary, hw, x.path, sink, target);
                else llamaplan::emit_runtime_config(plans[k], x.m, *x.summary, hw, x.path, sink, target);
            };
            if (members.size() == 1) {
                one(0);
            } else {
                out += all_fit ? "{\"ok\":true,\"models\":[" : "{\"ok\":false,\"models\":[";
                for (std::size_t k = 0; k < members.size(); ++k) {
                    if (k) out += ",";
                    one(k);
                }
                out += "]}";
            }
            out += "\n";
        }
        std::fputs(out.c_str(), stdout);
        if (verbose)
            for (std::size_t k = 0; k < members.size(); ++k)
                for (const auto& r : plans[k].reasons)
                    std::fprintf(stderr, "%s: %-16s %-9s %s\n", members[k].path.c_str(), std::string(llamaplan::to_string(r.what)).c_str(),
                                 std::string(llamaplan::to_string(r.how)).c_str(), std::string(r.why).c_str());
        return rc;
    }
    if (members.size() > 1)
        std::printf("%zu models side by side: each plan below leaves room for the others\n\n", members.size());
    for (std::size_t k = 0; k < members.size(); ++k) {
        if (members.size() > 1) std::printf("== %s\n", members[k].path.c_str());
        print_plan(plans[k], members[k].m, *members[k].summary, hw, members[k].path, verbose, target);
        if (k + 1 < members.size()) std::printf("\n");
    }
    return rc;
}
