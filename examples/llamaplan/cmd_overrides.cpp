// llamaplan overrides: the tensor-override optimizer's job with the exact memory model: the placement flags of a
// plan (-ngl, -ts, one -ot per line, ready to paste) and a JSON analysis of where every tensor lives.
#include "cli.hpp"
#include "commands.hpp"
#include "machine_args.hpp"

#include <llamaplan/emit.hpp>
#include <llamaplan/gguf/file.hpp>
#include <llamaplan/gguf/mmproj.hpp>
#include <llamaplan/llama_swap/io.hpp>
#include <llamaplan/planner.hpp>

#include <filesystem>
#include <memory>
#include <string>

namespace {
int overrides_usage(std::FILE* out) {
    std::fputs(
        "usage: llamaplan overrides MODEL.gguf [llama-server flags] [options]\n"
        "\n"
        "Plans the model (preset moe_optimized unless --preset says otherwise) and writes its placement as\n"
        "llama-server flags, one per line, ready to paste: -ngl, -ts for several GPUs, and -ot rules (routed experts\n"
        "to the CPU or to a GPU, by layer range; buffer names as llama.cpp spells them: CPU, CUDA0, CUDA1, ...), plus\n"
        "a JSON analysis: per device its free memory and what the plan puts there, per tensor its role, bytes and\n"
        "buffer. Files: DIR/MODEL.ot.txt and DIR/MODEL.ot.json (written atomically).\n"
        "\n"
        "options:\n"
        "  --output DIR                where to write the two files (default: the current directory)\n"
        "  --dry-run                   print both to standard output instead of writing files\n"
        "  --preset NAME               the goal (default moe_optimized)\n"
        "  --margin SIZE               free memory kept on each GPU (a bare number is MiB) (default: the preset's)\n"
        "  -v, --verbose               explain every setting\n"
        "machine (default: this machine, probed):\n",
        out);
    std::fputs(cli::machine_options::help(), out);
    std::fputs("\nexit codes: 0 written, 3 nothing fits (the closest placement is written), 2 bad input, 1 I/O error\n"
               "\nexample:\n  llamaplan overrides Qwen3-235B-A22B-Q4_K_M-00001-of-00003.gguf --gpu cuda:24GiB --gpu cuda:24GiB\n",
               out);
    return out == stdout ? 0 : 2;
}
}  // namespace

int cmd_overrides(int argc, char** argv) {
    std::vector<std::string_view> server_argv;
    cli::machine_options machine_opts(/*probe_by_default=*/true);
    std::string out_dir = ".";
    bool dry_run = false, verbose = false;
    llamaplan::preset_id preset = llamaplan::preset_id::moe_optimized;
    std::uint64_t margin = llamaplan::unset_bytes;
    for (int i = 0; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "-h" || a == "--help") return overrides_usage(stdout);
        if (a == "--dry-run") { dry_run = true; continue; }
        if (a == "-v" || a == "--verbose") { verbose = true; continue; }
        if (a == "--output") {
            if (i + 1 >= argc) return cli::fail("overrides: --output needs a directory");
            out_dir = argv[++i];
            continue;
        }
        if (a == "--preset") {
            if (i + 1 >= argc || !llamaplan::parse_preset(argv[i + 1], preset)) return cli::fail("overrides: --preset needs a preset name");
            ++i;
            continue;
        }
        if (a == "--margin") {
            auto b = i + 1 < argc ? cli::parse_bytes(argv[i + 1]) : std::nullopt;
            if (!b) return cli::fail("overrides: --margin needs a size");
            margin = *b;
            ++i;
            continue;
        }
        std::string err;
        const int took = machine_opts.consume(argc, argv, i, err);
        if (took < 0) return cli::fail("overrides: " + err);
        if (took > 0) continue;
        server_argv.push_back(a);
    }
    if (server_argv.empty()) return overrides_usage(stderr);
    auto args = llamaplan::parse_server_args(server_argv);
    if (!args) return cli::fail("overrides: " + std::string(args.error().what));
    if (args->model.empty()) return cli::fail("overrides: no model given");
    const std::string path(args->model);
    llamaplan::gguf::file_error fe;
    auto f = llamaplan::gguf::open(path, fe);
    if (!f) {
        std::fprintf(stderr, "llamaplan: %s: %s\n", fe.path.c_str(), cli::describe(f.error()).c_str());
        return f.error().code == llamaplan::errc::io_error || f.error().code == llamaplan::errc::not_found ? 1 : 2;
    }
    const llamaplan::model m = f->view();
    llamaplan::machine hw;
    if (std::string err; !machine_opts.build(hw, err)) return cli::fail("overrides: " + err);
    llamaplan::goal g = llamaplan::goal_from_args(*args, preset);
    // a projector given with --mmproj takes its device's memory too (the planner refuses a path it was not given)
    std::unique_ptr<llamaplan::gguf::mmproj_file> mmproj_file;
    llamaplan::mmproj_model mmproj_m{};
    if (args->mmproj_url)  // -mmu: llama-server downloads it; its header is not at hand here
        std::fprintf(stderr, "llamaplan: note: the multimodal projector %s is a URL: its weights and image compute buffer "
                     "are not in this placement (download it and pass --mmproj FILE)\n", std::string(args->mmproj).c_str());
    if (!args->mmproj.empty() && !args->mmproj_url) {
        auto pf = llamaplan::gguf::open_mmproj(std::string(args->mmproj));
        if (!pf) return cli::fail(std::string(args->mmproj) + ": " + cli::describe(pf.error()));
        mmproj_file = std::make_unique<llamaplan::gguf::mmproj_file>(std::move(*pf));
        mmproj_m = mmproj_file->view();
        g.mmproj = &mmproj_m;
    }
    g.gpu_margin = margin;
    g.gpu_context = machine_opts.overhead.gpu_context;
    auto s = std::make_unique<llamaplan::model_summary>();
    if (auto ok = llamaplan::summarize_for(m, hw, g, *s); !ok) return cli::fail("overrides: " + cli::describe(ok.error()));
    auto p = std::make_unique<llamaplan::plan>();
    {
        auto r = llamaplan::plan_model(m, *s, hw, g);
        if (!r) return cli::fail("overrides: " + cli::describe(r.error()));
        *p = *r;
    }
    // the placement flags, -ot rules rather than --n-cpu-moe (a build before it: the tools that read these files
    // expect -ot lines), one flag and its value per line, shell-quoted
    std::string lines, pending;
    (void)llamaplan::emit_placement(p->place, p->params, m, *s, hw, [&](std::string_view a) {
        const bool flag = a.size() > 1 && a[0] == '-' && !(a[1] >= '0' && a[1] <= '9');
        if (flag && !pending.empty()) { lines += pending + "\n"; pending.clear(); }
        if (!pending.empty()) pending += " ";
        llamaplan::shell_quote(a, [&](std::string_view x) { pending += x; });
    }, llamaplan::llama_cpp_version{llamaplan::oldest_supported_build});
    if (!pending.empty()) lines += pending + "\n";
    std::string analysis;
    llamaplan::emit_tensor_analysis(*p, m, hw, [&](std::string_view x) { analysis += x; });
    analysis += "\n";
    const int rc = p->fits ? 0 : 3;
    if (!p->fits)
        std::fprintf(stderr, "llamaplan: nothing fits: the closest placement misses by %s (written anyway)\n", cli::human(p->short_bytes).c_str());
    if (verbose)
        for (const auto& r : p->reasons)
            std::fprintf(stderr, "%-16s %-9s %s\n", std::string(llamaplan::to_string(r.what)).c_str(),
                         std::string(llamaplan::to_string(r.how)).c_str(), std::string(r.why).c_str());
    if (dry_run) {
        std::fputs(lines.c_str(), stdout);
        std::fputs(analysis.c_str(), stdout);
        return rc;
    }
    std::string stem = std::filesystem::path(path).filename().string();
    if (stem.size() > 5 && stem.substr(stem.size() - 5) == ".gguf") stem.resize(stem.size() - 5);
    const auto txt = (std::filesystem::path(out_dir) / (stem + ".ot.txt")).string();
    const auto json = (std::filesystem::path(out_dir) / (stem + ".ot.json")).string();
    for (const auto& [file, body] : {std::pair{txt, &lines}, std::pair{json, &analysis}}) {
        auto w = llamaplan::llama_swap::write_atomically(file, *body);
        if (!w) { std::fprintf(stderr, "llamaplan: %s: %s\n", file.c_str(), cli::describe(w.error()).c_str()); return 1; }
    }
    std::printf("wrote %s and %s\n", txt.c_str(), json.c_str());
    return rc;
}
