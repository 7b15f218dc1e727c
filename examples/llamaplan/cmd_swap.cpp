// llamaplan swap: re-plan every model of a llama-swap config for this machine, rewriting only the planning flags of
// each `cmd` (the llama_swap adapter keeps every other byte), with models that run side by side planned together.
#include "cli.hpp"
#include "commands.hpp"
#include "machine_args.hpp"

#include <llamaplan/emit.hpp>
#include <llamaplan/gguf/file.hpp>
#include <llamaplan/llama_swap.hpp>
#include <llamaplan/planner.hpp>
#include <llamaplan/server_args.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

extern char** environ;

namespace {
namespace ls = llamaplan::llama_swap;

int swap_usage(std::FILE* out) {
    std::fputs(
        "usage: llamaplan swap CONFIG.yaml [options]\n"
        "\n"
        "Plans every model of a llama-swap config for this machine (or --machine / --gpu) and rewrites only the\n"
        "planning flags of each cmd (-c -ngl -ts -sm -mg -ot --cpu-moe --n-cpu-moe -ctk -ctv -fa -b -ub -np -kvu -t -tb\n"
        "--load-mode -cram --fit ...), keeping every other byte: other flags, macros, comments, key order, quoting,\n"
        "block scalars, line continuations, CRLF line endings. Models that run side by side (groups with swap: false,\n"
        "persistent groups, matrix sets) are planned together so that they fit at once. A cmd that is not llama-server,\n"
        "a model file that does not exist, or a construct that cannot be edited safely is reported and left as written.\n"
        "A draft model a cmd loads for speculative decoding (-md, with -ngld -devd -ctkd ... --spec-type) is planned\n"
        "with its model: its flags stay as written and its bytes are kept in each device's budget.\n"
        "\n"
        "options:\n"
        "  --model ID                  only this model (repeatable)\n"
        "  --preset NAME               the goal for every model (default balanced; see 'llamaplan plan --help')\n"
        "  --output FILE               write the result here instead of in place\n"
        "  --no-backup                 in place, without saving CONFIG.yaml.bak first\n"
        "  --dry-run                   print a unified diff and change nothing\n"
        "  --windows                   split cmd as llama-swap does on Windows\n"
        "  --llama-cpp VERSION         the llama.cpp build to write flags for (default b10573)\n"
        "  -v, --verbose               explain each model's plan\n"
        "machine (default: this machine, probed):\n",
        out);
    std::fputs(cli::machine_options::help(), out);
    std::fputs("\nexit codes: 0 done (models may be skipped, see the summary), 3 some model does not fit, 2 bad input,\n"
               "            1 I/O error\n"
               "\nexamples:\n"
               "  llamaplan swap config.yaml --dry-run\n"
               "  llamaplan swap config.yaml --model qwen3-30b --preset moe_optimized\n"
               "  llamaplan swap config.yaml --machine server.json --output planned.yaml\n",
               out);
    return out == stdout ? 0 : 2;
}

/// True for a flag of speculative decoding (a draft model and its settings, `--spec-type`): every spelling of each
/// has a `--spec-` form (common/arg.cpp at 3f545bec). The user's own stay in the cmd as written.
bool speculative(ls::flag_ref f) {
    if (!f.known()) return false;
    for (const auto n : ls::llama_flags[f.option].names)
        if (n.starts_with("--spec-")) return true;
    return false;
}

/// Splits an emitted argv (after the program and `-m PATH`) into flag settings for the rewriter. The draft's flags
/// are left out: the plan priced the cmd's own (-md ... as written), which the rewrite keeps.
std::vector<ls::flag_setting> settings_of(const std::vector<std::string>& argv) {
    std::vector<ls::flag_setting> out;
    bool skipping = false;
    for (std::size_t i = 3; i < argv.size(); ++i) {  // llama-server -m PATH ...
        const std::string& a = argv[i];
        const bool flag = a.size() > 1 && a[0] == '-' && !(a[1] >= '0' && a[1] <= '9');
        if (flag) skipping = speculative(ls::find_flag(a));
        if (skipping) continue;
        if (flag || out.empty()) out.push_back({a, {}});
        else out.back().values.push_back(a);
    }
    return out;
}

/// The cmd's speculative-decoding words (flags and values), after a "llama-server" word, for parse_server_args.
std::vector<std::string> speculative_words(const ls::command_info& c) {
    std::vector<std::string> out{"llama-server"};
    for (const auto& fl : c.flags) {
        if (!speculative(fl.flag)) continue;
        for (std::size_t k = 0; k <= fl.values && fl.index + k < c.argv.size(); ++k) out.push_back(c.argv[fl.index + k].value);
    }
    return out;
}

/// True if the text has line breaks and every one of them is CRLF (and no other CR).
bool uses_crlf(std::string_view t) {
    std::size_t lf = 0;
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (t[i] == '\r' && (i + 1 >= t.size() || t[i + 1] != '\n')) return false;
        if (t[i] == '\n') {
            if (i == 0 || t[i - 1] != '\r') return false;
            ++lf;
        }
    }
    return lf > 0;
}

/// The text with every CRLF turned into LF.
std::string without_cr(std::string_view t) {
    std::string out;
    out.reserve(t.size());
    for (std::size_t i = 0; i < t.size(); ++i)
        if (!(t[i] == '\r' && i + 1 < t.size() && t[i + 1] == '\n')) out += t[i];
    return out;
}

/// The text with every LF turned into CRLF.
std::string with_cr(std::string_view t) {
    std::string out;
    out.reserve(t.size() + t.size() / 16);
    for (const char c : t) {
        if (c == '\n') out += '\r';
        out += c;
    }
    return out;
}

struct planned_model {
    std::string id;
    std::string path;
    std::unique_ptr<llamaplan::gguf::model_file> file;
    llamaplan::model m;
    std::unique_ptr<llamaplan::model_summary> summary = std::make_unique<llamaplan::model_summary>();
    // a draft model the cmd loads with -md: priced with the model, its flags kept as written
    std::vector<std::string> spec_words;  // what g.draft_path and g.draft's patterns view
    std::unique_ptr<llamaplan::gguf::model_file> draft_file;
    llamaplan::model draft_m;
    std::unique_ptr<llamaplan::model_summary> draft_summary = std::make_unique<llamaplan::model_summary>();
    llamaplan::goal g;
    llamaplan::plan p;
    bool planned = false;
    std::string skipped;
};

/// Loads the draft the cmd names with -md (and its flags, --spec-type) into pm.g; returns why the model cannot be
/// planned, or "" (also when the cmd has no draft).
std::string load_draft(planned_model& pm, const ls::command_info& c, const llamaplan::machine& hw) {
    pm.spec_words = speculative_words(c);
    if (pm.spec_words.size() == 1) return {};
    std::vector<std::string_view> views(pm.spec_words.begin(), pm.spec_words.end());
    auto a = llamaplan::parse_server_args(views);
    if (!a) return "cannot plan its speculative decoding: " + cli::describe(a.error());
    pm.g.params.spec = a->params.spec;  // --spec-type changes the model's output rows
    if (a->draft_model.empty()) return {};
    const std::string path(a->draft_model);
    if (!std::filesystem::exists(path)) return "draft model file '" + path + "' not found (relative paths are taken from the current directory)";
    llamaplan::gguf::file_error fe;
    auto f = llamaplan::gguf::open(path, fe);
    if (!f) return "cannot read the draft " + path + ": " + cli::describe(f.error());
    pm.draft_file = std::make_unique<llamaplan::gguf::model_file>(std::move(*f));
    pm.draft_m = pm.draft_file->view();
    pm.g.draft_model = &pm.draft_m;
    pm.g.draft_path = a->draft_model;
    pm.g.draft = a->draft;
    const auto dd = llamaplan::draft_machine(hw, pm.g.draft);
    if (!dd) return "cannot plan its draft: " + cli::describe(dd.error());
    if (auto ok = llamaplan::summarize_for(pm.draft_m, dd->view(), pm.g, *pm.draft_summary); !ok)
        return "cannot plan its draft " + path + ": " + cli::describe(ok.error());
    return {};
}

}  // namespace

int cmd_swap(int argc, char** argv) {
    std::string config_path, output;
    std::vector<std::string> only;
    bool backup = true, dry_run = false, verbose = false, windows = false;
    llamaplan::preset_id preset = llamaplan::preset_id::balanced;
    llamaplan::llama_cpp_version target{};
    cli::machine_options machine_opts(/*probe_by_default=*/true);
    for (int i = 0; i < argc; ++i) {
        const std::string_view a = argv[i];
        auto value = [&](const char* what) -> const char* {
            if (i + 1 >= argc) return nullptr;
            (void)what;
            return argv[++i];
        };
        if (a == "-h" || a == "--help") return swap_usage(stdout);
        if (a == "--no-backup") { backup = false; continue; }
        if (a == "--dry-run") { dry_run = true; continue; }
        if (a == "--windows") { windows = true; continue; }
        if (a == "-v" || a == "--verbose") { verbose = true; continue; }
        if (a == "--model") {
            const char* v = value("an ID");
            if (!v) return cli::fail("swap: --model needs a model ID");
            only.emplace_back(v);
            continue;
        }
        if (a == "--output") {
            const char* v = value("a file");
            if (!v) return cli::fail("swap: --output needs a file");
            output = v;
            continue;
        }
        if (a == "--preset") {
            const char* v = value("a preset");
            if (!v || !llamaplan::parse_preset(v, preset)) return cli::fail("swap: --preset needs a preset name (see 'llamaplan plan --help')");
            continue;
        }
        if (a == "--llama-cpp") {
            const char* v = value("a version");
            if (!v || !llamaplan::parse_llama_cpp_version(v, target)) return cli::fail("swap: --llama-cpp needs a build (b6325) or a date (2025-08-30)");
            continue;
        }
        std::string err;
        const int took = machine_opts.consume(argc, argv, i, err);
        if (took < 0) return cli::fail("swap: " + err);
        if (took > 0) continue;
        if (!a.empty() && a[0] == '-') return cli::fail("swap: unknown option '" + std::string(a) + "' (see --help)");
        if (!config_path.empty()) return cli::fail("swap: one config file at a time");
        config_path = std::string(a);
    }
    if (config_path.empty()) return swap_usage(stderr);

    auto text = ls::read_config(config_path);
    if (!text) { std::fprintf(stderr, "llamaplan: %s: %s\n", config_path.c_str(), cli::describe(text.error()).c_str()); return 1; }
    // Windows line endings: a file whose every line ends in CRLF is edited as LF text and written back with CRLF
    // (YAML reads a CRLF line break as one '\n', so every value is the same); a file that mixes them is refused
    const bool crlf = uses_crlf(*text);
    const std::string lf_text = crlf ? without_cr(*text) : *text;
    auto cfg = ls::parse_config(lf_text);
    if (!cfg) return cli::fail(config_path + ":" + std::to_string(cfg.error().where) + ": " + std::string(cfg.error().what));
    for (const auto& id : only)
        if (cfg->find(id) == nullptr) return cli::fail("swap: no model '" + id + "' in " + config_path);

    ls::command_options opt;
    opt.dialect = windows ? ls::shell_dialect::windows : ls::shell_dialect::posix;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        const std::string kv = *e;
        if (const auto eq = kv.find('='); eq != std::string::npos) opt.env.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
    llamaplan::machine hw;
    if (std::string err; !machine_opts.build(hw, err)) return cli::fail("swap: " + err);

    // 1. every model's command, its GGUF and the memory-relevant flags that are not planning flags
    std::map<std::string, planned_model> models;
    for (const auto& entry : cfg->models) {
        if (!only.empty() && std::find(only.begin(), only.end(), entry.id) == only.end()) continue;
        planned_model pm;
        pm.id = entry.id;
        const ls::command_info c = ls::model_command(*cfg, entry, opt);
        if (!c.problem.empty()) {
            pm.skipped = c.problem;
        } else if (!std::filesystem::exists(c.model_path)) {
            pm.skipped = "model file '" + c.model_path + "' not found (relative paths are taken from the current directory)";
        } else {
            llamaplan::gguf::file_error fe;
            auto f = llamaplan::gguf::open(c.model_path, fe);
            if (!f) {
                pm.skipped = "cannot read " + c.model_path + ": " + cli::describe(f.error());
            } else {
                pm.path = c.model_path;
                pm.file = std::make_unique<llamaplan::gguf::model_file>(std::move(*f));
                pm.m = pm.file->view();
                pm.g.preset = preset;
                pm.g.gpu_context = machine_opts.overhead.gpu_context;
                // flags that change memory but are the user's to choose: kept, and planned around
                for (const auto& fl : c.flags) {
                    if (!fl.flag.known()) continue;
                    const auto names = ls::llama_flags[fl.flag.option].names;
                    auto is = [&](std::string_view n) { return std::find(names.begin(), names.end(), n) != names.end(); };
                    if (is("--embeddings") || is("--embedding")) pm.g.params.embeddings = true;
                    if (is("--no-repack") || is("-nr")) { pm.g.params.cpu_repack = false; pm.g.pinned.add(llamaplan::setting::repack); }
                    if (is("-kvo") && fl.flag.negated) { pm.g.params.offload_kqv = false; pm.g.pinned.add(llamaplan::setting::offload_kqv); }
                }
                if (auto ok = llamaplan::summarize_for(pm.m, hw, pm.g, *pm.summary); !ok)
                    pm.skipped = "cannot plan: " + cli::describe(ok.error());
                if (pm.skipped.empty()) pm.skipped = load_draft(pm, c, hw);
            }
        }
        auto placed = models.emplace(pm.id, std::move(pm)).first;
        if (placed->second.draft_file) placed->second.g.draft_model = &placed->second.draft_m;  // it moved
    }

    // 2. side by side: plan the largest sets first; a model planned in an earlier set keeps its plan, and the others
    // of a later set are planned on what it leaves
    auto sets = ls::side_by_side_sets(*cfg);
    if (!sets) return cli::fail(config_path + ":" + std::to_string(sets.error().where) + ": " + std::string(sets.error().what));
    std::vector<std::vector<std::string>> order = sets->sets;
    for (const auto& [id, pm] : models)  // every model at least alone
        order.push_back({id});
    std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
    bool all_fit = true;
    for (const auto& set : order) {
        std::vector<planned_model*> fresh;
        std::vector<const planned_model*> fixed;
        for (const auto& id : set) {
            auto it = models.find(id);
            if (it == models.end() || !it->second.skipped.empty()) continue;
            if (it->second.planned) fixed.push_back(&it->second);
            else fresh.push_back(&it->second);
        }
        if (fresh.empty()) continue;
        // what the models already planned in this set take (and the margins they keep)
        std::vector<llamaplan::device> devs(hw.devices.begin(), hw.devices.end());
        llamaplan::machine left{hw.host, devs};
        for (const auto* f : fixed) llamaplan::reserve_plan(f->p, left.host, devs);
        std::vector<llamaplan::model_request> req;
        for (auto* pm : fresh) req.push_back({&pm->m, pm->summary.get(), pm->g, pm->g.draft_model != nullptr ? pm->draft_summary.get() : nullptr});
        std::vector<llamaplan::plan> plans(fresh.size());
        auto r = llamaplan::plan_models(req, left, plans);
        if (!r) return cli::fail("swap: " + cli::describe(r.error()));
        for (std::size_t k = 0; k < fresh.size(); ++k) {
            fresh[k]->p = plans[k];
            fresh[k]->planned = true;
            all_fit = all_fit && plans[k].fits;
        }
    }

    // 3. the edits: drop every planning flag, then the plan's settings
    std::vector<std::pair<std::string, ls::cmd_edits>> edits;
    for (auto& [id, pm] : models) {
        if (!pm.planned || !pm.p.fits) continue;
        std::vector<std::string> args;
        (void)llamaplan::emit_argv(pm.p, pm.m, *pm.summary, hw, pm.path, [&](std::string_view a) { args.emplace_back(a); },
                                   "llama-server", target);
        ls::cmd_edits e;
        for (auto f : ls::planning_flags) e.remove.emplace_back(f);
        e.set = settings_of(args);
        edits.emplace_back(id, std::move(e));
    }
    auto rewritten = ls::rewrite_config(lf_text, edits, opt);
    if (!rewritten) return cli::fail(config_path + ": " + cli::describe(rewritten.error()));
    if (crlf) rewritten->text = with_cr(rewritten->text);

    // 4. the summary, then the diff or the file
    std::map<std::string, const ls::model_rewrite*> outcome;
    for (const auto& m : rewritten->models) outcome[m.id] = &m;
    FILE* report = dry_run ? stderr : stdout;
    for (const auto& [id, pm] : models) {
        if (!pm.skipped.empty()) { std::fprintf(report, "%-24s skipped: %s\n", id.c_str(), pm.skipped.c_str()); continue; }
        if (!pm.p.fits) {
            std::fprintf(report, "%-24s left as written: nothing fits beside the models it runs with (%s short on %s)\n",
                         id.c_str(), cli::human(pm.p.short_bytes).c_str(),
                         pm.p.short_device == llamaplan::host_device ? "the host" : std::string(hw.devices[static_cast<std::size_t>(pm.p.short_device)].name).c_str());
            continue;
        }
        const auto* o = outcome.count(id) ? outcome[id] : nullptr;
        if (o && !o->skipped.empty()) { std::fprintf(report, "%-24s skipped: %s\n", id.c_str(), o->skipped.c_str()); continue; }
        std::fprintf(report, "%-24s %s: -c %u, %u of %u layers on GPUs, KV %s, %.1f tokens/s predicted\n", id.c_str(),
                     o && o->changed ? "planned" : "unchanged", pm.p.params.n_ctx, pm.p.place.layers.n_gpu_layers,
                     pm.p.place.layers.n_layer_all + 1, std::string(llamaplan::type_name(pm.p.params.type_k)).c_str(),
                     pm.p.speed.decode_tps);
        if (verbose)
            for (const auto& why : pm.p.reasons)
                std::fprintf(report, "    %-16s %-9s %s\n", std::string(llamaplan::to_string(why.what)).c_str(),
                             std::string(llamaplan::to_string(why.how)).c_str(), std::string(why.why).c_str());
    }
    if (dry_run) {
        std::fputs(ls::unified_diff(*text, rewritten->text, "a/" + config_path, "b/" + config_path).c_str(), stdout);
    } else if (rewritten->changed || !output.empty()) {
        ls::write_options w;
        w.output = output;
        w.backup = backup;
        auto written = ls::write_config(config_path, *text, rewritten->text, w);
        if (!written) { std::fprintf(stderr, "llamaplan: %s: %s\n", config_path.c_str(), cli::describe(written.error()).c_str()); return 1; }
        std::fprintf(report, "wrote %s%s\n", written->c_str(), output.empty() && backup ? (" (backup: " + config_path + ".bak)").c_str() : "");
    } else {
        std::fprintf(report, "nothing to change\n");
    }
    return all_fit ? 0 : 3;
}
