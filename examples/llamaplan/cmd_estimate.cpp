// llamaplan estimate: the buffers llama.cpp will allocate for a model and a llama-server command line.
#include "cli.hpp"
#include "commands.hpp"
#include "machine_args.hpp"
#include "model_arg.hpp"

#include <llamaplan/catalog.hpp>
#include <llamaplan/gguf/catalog.hpp>
#include <llamaplan/gguf/file.hpp>
#include <llamaplan/gguf/mmproj.hpp>
#include <llamaplan/logs/calibrate.hpp>
#include <llamaplan/memory.hpp>
#include <llamaplan/perf.hpp>
#include <llamaplan/probe/json.hpp>
#include <llamaplan/server_args.hpp>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace {
namespace json = llamaplan::probe::json;

int estimate_usage(std::FILE* out) {
    std::fputs(
        "usage: llamaplan estimate MODEL.gguf|NAME:QUANT [llama-server flags] [options]\n"
        "       llamaplan estimate [options] -- llama-server -m MODEL.gguf [flags]\n"
        "\n"
        "Predicts llama.cpp's model, KV, recurrent-state, output and compute buffers from the GGUF metadata.\n"
        "MODEL.gguf '-' reads the header from standard input: curl -r 0-8000000 URL | llamaplan estimate - -c 8192\n"
        "llama-server flags (same spellings and defaults): -m -c -b -ub -ctk -ctv -fa -np -ngl -ot -ts -sm -mg\n"
        "  -kvu -no-kvu -nkvo --swa-full --cpu-moe --n-cpu-moe --embeddings --no-repack --load-mode -cram;\n"
        "  a draft model for speculative decoding: -md DRAFT.gguf [-ngld N] [-devd none|CUDA1,...] [-ctkd T] [-ctvd T] [-otd ...]\n"
        "  [--spec-type draft-simple] [--spec-draft-n-max N] (the draft's buffers are listed apart);\n"
        "  a multimodal projector: --mmproj MMPROJ.gguf [--no-mmproj-offload] [-mmdev none|CUDA1] (weights and image\n"
        "  compute buffer listed apart);\n"
        "  flags that do not change memory (--host, --port, -t, ...) are accepted and ignored.\n"
        "\n"
        "options:\n"
        "  --json                      print JSON (bytes) instead of a table\n"
        "  --pp N                      prompt tokens for the prefill speed prediction (llama-bench -p; default 512)\n"
        "  --depth D                   context already filled for the decode prediction (llama-bench -d; default 0)\n"
        "MODEL may be a catalog name such as qwen3-30b-a3b:Q4_K_M (see 'llamaplan catalog').\n"
        "machine (default: the host CPU alone, as a CPU build of llama.cpp sees it; no probing):\n",
        out);
    std::fputs(cli::machine_options::help(), out);
    return out == stdout ? 0 : 2;
}

std::string device_label(const llamaplan::machine& hw, std::int32_t d) {
    char buf[llamaplan::buffer_name_capacity];
    return std::string(llamaplan::device_label(hw, d, buf));
}
}  // namespace

int cmd_estimate(int argc, char** argv) {
    std::vector<std::string_view> server_argv;
    cli::machine_options machine_opts(/*probe_by_default=*/false);
    bool as_json = false;
    llamaplan::workload work;
    for (int i = 0; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "-h" || a == "--help") return estimate_usage(stdout);
        if (a == "--json") { as_json = true; continue; }
        if (a == "--pp" || a == "--depth") {
            char* end = nullptr;
            const long v = i + 1 < argc ? std::strtol(argv[i + 1], &end, 10) : -1;
            if (i + 1 >= argc || end == argv[i + 1] || *end != '\0' || v < (a == "--pp" ? 1 : 0) || v > 16777216)
                return cli::fail("estimate: " + std::string(a) + " needs a token count");
            (a == "--pp" ? work.prompt_tokens : work.depth) = static_cast<std::uint32_t>(v);
            ++i;
            continue;
        }
        std::string err;
        const int took = machine_opts.consume(argc, argv, i, err);
        if (took < 0) return cli::fail("estimate: " + err);
        if (took > 0) continue;
        if (a == "--") continue;
        server_argv.push_back(a);
    }
    if (server_argv.empty()) return estimate_usage(stderr);
    auto args = llamaplan::parse_server_args(server_argv);
    if (!args) {
        const auto at = args.error().where;
        return cli::fail("estimate: " + std::string(args.error().what) +
                         (at < server_argv.size() ? " ('" + std::string(server_argv[at]) + "')" : std::string{}));
    }
    if (args->model.empty()) return cli::fail("estimate: no model given (pass MODEL.gguf or -m MODEL.gguf)");

    llamaplan::gguf::file_error fe;
    auto mf = cli::load_model_arg(args->model, fe);
    if (!mf) return cli::fail(fe.path + ": " + cli::describe(mf.error()));
    const llamaplan::model m = mf->view();

    llamaplan::machine hw;
    if (std::string err; !machine_opts.build(hw, err, args->rpc)) return cli::fail("estimate: " + err);
    llamaplan::overhead_params overhead = machine_opts.overhead;
    overhead.prompt_cache = args->cache_ram;  // ~0 (-cram -1) is llamaplan::unbounded_prompt_cache
    // the multimodal projector (--mmproj, tools/mtmd): its weights and warmup compute buffer on its device
    std::optional<llamaplan::gguf::mmproj_file> mmproj_file;
    if (args->mmproj_url)  // -mmu: llama-server downloads it; its header is not at hand here
        std::fprintf(stderr, "llamaplan: note: the multimodal projector %s is a URL: its weights and image compute buffer "
                     "are not in this estimate (download it and pass --mmproj FILE)\n", std::string(args->mmproj).c_str());
    if (!args->mmproj.empty() && !args->mmproj_url) {
        auto mf2 = llamaplan::gguf::open_mmproj(std::string(args->mmproj));
        if (!mf2) return cli::fail(std::string(args->mmproj) + ": " + cli::describe(mf2.error()));
        mmproj_file.emplace(std::move(*mf2));
    }
    // the draft of speculative decoding (-md): a second model and context with their own buffers
    std::optional<llamaplan::gguf::model_file> draft_file;
    if (!args->draft_model.empty()) {
        llamaplan::gguf::file_error dfe;
        auto df = cli::load_model_arg(args->draft_model, dfe);
        if (!df) return cli::fail(dfe.path + ": " + cli::describe(df.error()));
        draft_file.emplace(std::move(*df));
    }
    auto est = draft_file ? llamaplan::estimate_memory(m, hw, args->params, draft_file->view(), args->draft, overhead)
                          : llamaplan::estimate_memory(m, hw, args->params, overhead);
    if (!est) return cli::fail("estimate: " + cli::describe(est.error()));
    if (mmproj_file) {
        const auto mm = mmproj_file->view();
        if (auto ok = llamaplan::check_mmproj(mm, m.hp); !ok) return cli::fail("estimate: " + cli::describe(ok.error()));
        auto me = llamaplan::estimate_mmproj(mm, hw, args->mmproj_load, args->params.flash_attn);
        if (!me) return cli::fail("estimate: " + cli::describe(me.error()));
        if (auto ok = llamaplan::attach_mmproj(*est, *me, hw, overhead); !ok) return cli::fail("estimate: " + cli::describe(ok.error()));
    }
    // a machine file's calibration (llamaplan calibrate --save): measured overheads and compute corrections
    if (machine_opts.source() && !machine_opts.source()->calibrations.empty())
        for (const auto& why : llamaplan::logs::apply_calibration(*est, hw, machine_opts.source()->calibrations))
            std::fprintf(stderr, "llamaplan: calibration: %s\n", why.c_str());
    const auto& e = *est;

    // predicted speed (llamaplan/perf.hpp)
    auto perf_in = llamaplan::make_perf_inputs(m, hw, args->params, e);
    if (!perf_in) return cli::fail("estimate: " + cli::describe(perf_in.error()));
    perf_in->threads = machine_opts.threads();
    const auto tput = llamaplan::predict_throughput(hw, *perf_in, work);

    char name_buf[llamaplan::buffer_name_capacity];
    auto name = [&](llamaplan::buffer_ref b) { return std::string(llamaplan::buffer_name(hw, b, name_buf)); };

    if (as_json) {
        auto o = json::value::make_object();
        auto devices = json::value::make_array();
        for (const auto& d : e.devices) {
            auto r = json::value::make_object();
            r.set("name", json::value::make_string(device_label(hw, d.device)));
            r.set("model", json::value::make_u64(d.model));
            r.set("context", json::value::make_u64(d.context));
            r.set("compute", json::value::make_u64(d.compute));
            r.set("overhead", json::value::make_u64(d.overhead));
            r.set("draft", json::value::make_u64(d.draft));
            r.set("mmproj", json::value::make_u64(d.mmproj));
            r.set("total", json::value::make_u64(d.total()));
            devices.push(std::move(r));
        }
        o.set("devices", std::move(devices));
        auto items = json::value::make_object();
        items.set("weights", json::value::make_u64(e.weights()));
        items.set("kv", json::value::make_u64(e.kv()));
        items.set("kv_k", json::value::make_u64(e.kv_k));
        items.set("kv_v", json::value::make_u64(e.kv_v));
        items.set("recurrent", json::value::make_u64(e.recurrent()));
        items.set("output", json::value::make_u64(e.output()));
        items.set("compute", json::value::make_u64(e.compute()));
        o.set("items", std::move(items));
        // every buffer of an estimate (the target's, or the draft's), one object each
        auto buffers_of = [&](const auto& x) {
            auto buffers = json::value::make_array();
            auto list = [&](const char* what, const llamaplan::buffer_list& l) {
                for (const auto& b : l) {
                    auto r = json::value::make_object();
                    r.set("kind", json::value::make_string(what));
                    r.set("buffer", json::value::make_string(name(b.buffer)));
                    r.set("bytes", json::value::make_u64(b.bytes));
                    buffers.push(std::move(r));
                }
            };
            list("model", x.model_buffers);
            list("kv", x.kv_buffers);
            list("recurrent", x.recurrent_buffers);
            list("output", x.output_buffers);
            list("compute", x.compute_buffers);
            return buffers;
        };
        o.set("buffers", buffers_of(e));
        if (e.draft.present) {  // the draft model's own buffers and context (-md)
            const auto& dr = e.draft;
            auto dj = json::value::make_object();
            dj.set("model", json::value::make_string(std::string(args->draft_model)));
            dj.set("buffers", buffers_of(dr));
            dj.set("n_ctx", json::value::make_u64(dr.n_ctx));
            dj.set("n_ctx_seq", json::value::make_u64(dr.n_ctx_seq));
            dj.set("n_batch", json::value::make_u64(dr.n_batch));
            dj.set("n_ubatch", json::value::make_u64(dr.n_ubatch));
            dj.set("kv_cells", json::value::make_u64(dr.kv_cells));
            dj.set("kv_cells_swa", json::value::make_u64(dr.kv_cells_swa));
            dj.set("flash_attn", json::value::make_bool(dr.flash_attn));
            dj.set("n_gpu_layers", json::value::make_u64(dr.layers.n_gpu_layers));
            o.set("draft", std::move(dj));
        }
        if (e.mmproj.present) {  // the multimodal projector (--mmproj)
            const auto& mp = e.mmproj;
            auto mj = json::value::make_object();
            mj.set("file", json::value::make_string(std::string(args->mmproj)));
            mj.set("projector", json::value::make_string(std::string(mmproj_file->hp.projector_name)));
            mj.set("buffer", json::value::make_string(device_label(hw, mp.device)));
            mj.set("weights", json::value::make_u64(mp.weights));
            mj.set("compute", json::value::make_u64(mp.compute));
            mj.set("warmup_image_size", json::value::make_u64(mp.warmup_image_size));
            mj.set("flash_attn", json::value::make_bool(mp.flash_attn));
            mj.set("compute_exact", json::value::make_bool(mp.compute_exact));
            o.set("mmproj", std::move(mj));
        }
        o.set("n_ctx", json::value::make_u64(e.n_ctx));
        o.set("n_ctx_seq", json::value::make_u64(e.n_ctx_seq));
        o.set("n_seq_max", json::value::make_u64(args->params.n_seq_max));
        o.set("kv_unified", json::value::make_bool(args->params.kv_unified));
        o.set("n_batch", json::value::make_u64(e.n_batch));
        o.set("n_ubatch", json::value::make_u64(e.n_ubatch));
        o.set("kv_cells", json::value::make_u64(e.kv_cells));
        o.set("kv_cells_swa", json::value::make_u64(e.kv_cells_swa));
        o.set("flash_attn", json::value::make_bool(e.flash_attn));
        o.set("n_gpu_layers", json::value::make_u64(e.layers.n_gpu_layers));
        o.set("compute_calibrated", json::value::make_bool(e.compute_calibrated));
        auto t = json::value::make_object();
        t.set("decode_tps", json::value::make_double(tput.decode_tps));
        t.set("prefill_tps", json::value::make_double(tput.prefill_tps));
        t.set("prefill_tokens", json::value::make_u64(work.prompt_tokens));
        t.set("depth", json::value::make_u64(work.depth));
        t.set("decode_bound", json::value::make_string(std::string(llamaplan::to_string(tput.decode_bound))));
        t.set("decode_bound_device", json::value::make_string(device_label(hw, tput.decode_bound_device)));
        t.set("prefill_bound", json::value::make_string(std::string(llamaplan::to_string(tput.prefill_bound))));
        t.set("prefill_bound_device", json::value::make_string(device_label(hw, tput.prefill_bound_device)));
        o.set("throughput", std::move(t));
        std::printf("%s\n", json::dump(o).c_str());
        return 0;
    }

    const auto& hp = m.hp;
    std::printf("%s (%s, %u layers)\n", std::string(args->model).c_str(), std::string(hp.architecture).c_str(), hp.n_layer);
    std::printf("context: n_ctx = %u, n_ctx_seq = %u, %u stream(s)%s, n_batch = %u, n_ubatch = %u, flash attention %s\n",
                e.n_ctx, e.n_ctx_seq, e.n_stream, args->params.kv_unified ? " (unified)" : "", e.n_batch, e.n_ubatch,
                e.flash_attn ? "on" : "off");
    std::printf("KV cache: %u cells x %u layers", e.kv_cells, e.kv_layers);
    if (e.kv_cells_swa) std::printf(" (sliding-window layers: %u cells)", e.kv_cells_swa);
    std::printf(", K %s %s, V %s %s\n", std::string(llamaplan::type_name(args->params.type_k)).c_str(), cli::mib(e.kv_k).c_str(),
                std::string(llamaplan::type_name(args->params.type_v)).c_str(), cli::mib(e.kv_v).c_str());
    if (!hw.devices.empty())
        std::printf("layers on GPUs: %u of %u (output layer included)%s\n", e.layers.n_gpu_layers, e.layers.n_layer_all + 1,
                    args->n_gpu_layers_auto ? "  [-ngl auto: llama-server's --fit may choose fewer]" : "");
    std::printf("\nbuffers (MiB, as llama.cpp logs them):\n");
    auto lines = [&](const char* what, const llamaplan::buffer_list& l) {
        for (const auto& b : l) std::printf("  %12s %-8s buffer size = %10s MiB\n", name(b.buffer).c_str(), what, cli::mib(b.bytes).c_str());
    };
    auto model_lines = [&](const auto& x) {  // the target's or the draft's buffers (the same fields)
        lines("model", x.model_buffers);
        lines("KV", x.kv_buffers);
        lines("RS", x.recurrent_buffers);
        lines("output", x.output_buffers);
        lines("compute", x.compute_buffers);
    };
    model_lines(e);
    if (e.draft.present) {
        const auto& dr = e.draft;
        std::printf("\ndraft model %s: n_ctx = %u, n_ctx_seq = %u, n_batch = %u, n_ubatch = %u, flash attention %s, KV K %s %s, V %s %s\n",
                    std::string(args->draft_model).c_str(), dr.n_ctx, dr.n_ctx_seq, dr.n_batch, dr.n_ubatch,
                    dr.flash_attn ? "on" : "off", std::string(llamaplan::type_name(args->draft.type_k)).c_str(),
                    cli::mib(dr.kv_k).c_str(), std::string(llamaplan::type_name(args->draft.type_v)).c_str(), cli::mib(dr.kv_v).c_str());
        if (!hw.devices.empty())
            std::printf("draft layers on GPUs: %u of %u (output layer included)%s\n", dr.layers.n_gpu_layers,
                        dr.layers.n_layer_all + 1,
                        args->draft_n_gpu_layers_auto && args->draft.gpu ? "  [-ngld auto: llama-server's --fit may choose fewer]" : "");
        model_lines(dr);
    }
    if (e.mmproj.present) {
        const auto& mp = e.mmproj;
        std::printf("\nmultimodal projector %s (%s): warmup image %u x %u (%u patches, %u blocks), flash attention %s, on %s\n",
                    std::string(args->mmproj).c_str(), std::string(mmproj_file->hp.projector_name).c_str(), mp.warmup_image_size,
                    mp.warmup_image_size, mp.n_patches, mp.n_layer_run, mp.flash_attn ? "on" : "off", device_label(hw, mp.device).c_str());
        std::printf("  %12s %-8s buffer size = %10s MiB   (llama.cpp logs the tensors' sum as \"model size\": %s MiB)\n",
                    device_label(hw, mp.device).c_str(), "weights", cli::mib(mp.weights).c_str(), cli::mib(mp.weights_nbytes).c_str());
        std::printf("  %12s %-8s buffer size = %10s MiB%s\n", device_label(hw, mp.device).c_str(), "compute", cli::mib(mp.compute).c_str(),
                    mp.compute_exact ? "" : "   [approximation: not checked against llama.cpp for this projector or device]");
        if (!args->mmproj_load.warmup) std::printf("  (--no-warmup: the compute buffer is allocated at the first image, not at start-up)\n");
    }
    const bool with_draft = e.draft.present;
    const bool with_mmproj = e.mmproj.present;
    std::printf("\nmemory breakdown (MiB):\n  %-28s %10s %10s %10s %10s", "device", "model", "context", "compute", "overhead");
    if (with_draft) std::printf(" %10s", "draft");
    if (with_mmproj) std::printf(" %10s", "mmproj");
    std::printf(" %10s\n", "total");
    for (const auto& d : e.devices) {
        std::printf("  %-28s %10s %10s %10s %10s", device_label(hw, d.device).c_str(), cli::mib(d.model).c_str(), cli::mib(d.context).c_str(),
                    cli::mib(d.compute).c_str(), cli::mib(d.overhead).c_str());
        if (with_draft) std::printf(" %10s", cli::mib(d.draft).c_str());
        if (with_mmproj) std::printf(" %10s", cli::mib(d.mmproj).c_str());
        std::printf(" %10s\n", cli::mib(d.total()).c_str());
    }
    auto bound = [&](llamaplan::perf_bound b, std::int32_t d) {
        if (b == llamaplan::perf_bound::link) return std::string("the host-GPU link");
        return std::string(llamaplan::to_string(b)) + " of " + device_label(hw, d);
    };
    std::printf("\npredicted speed (llamaplan/perf.hpp; fitted on published llama-bench results, see README):\n");
    std::printf("  decode  %8.1f tokens/s at depth %u   (bound: %s)\n", tput.decode_tps, work.depth,
                bound(tput.decode_bound, tput.decode_bound_device).c_str());
    std::printf("  prefill %8.1f tokens/s for a %u-token prompt   (bound: %s)\n", tput.prefill_tps, work.prompt_tokens,
                bound(tput.prefill_bound, tput.prefill_bound_device).c_str());
    if (!e.compute_calibrated)
        std::printf("\nnote: the GPU compute buffers are extrapolated from the CPU measurements (no GPU calibration yet).\n");
    return 0;
}
