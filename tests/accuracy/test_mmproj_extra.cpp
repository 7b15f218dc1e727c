// The multimodal projector (llama-server --mmproj) against llama.cpp (tests/data/extra/mmproj.csv): each row is a
// llama-server start with a text model and a projector; its command line is parsed as a user's would be, and the
// estimate must give the projector's weights (clip.cpp logs their sum as "model size"), the compute buffer of its
// warmup graph and the flash-attention choice as llama.cpp printed them (to its 0.01 MiB), leave the text model's
// buffers as they were, and refuse what llama.cpp could not load. The warmup graphs are also checked to the byte
// against ggml-alloc.c's allocation trace, and a plan with --mmproj must reserve the projector's bytes.
#include <doctest/doctest.h>

#include "../support/groundtruth.hpp"
#include "../support/synth_model.hpp"
#include "extra_models.hpp"
#include "mmproj_models.hpp"

#include <llamaplan/emit.hpp>
#include <llamaplan/gguf/hparams.hpp>
#include <llamaplan/gguf/mmproj.hpp>
#include <llamaplan/gguf/reader.hpp>
#include <llamaplan/gguf/writer.hpp>
#include <llamaplan/memory.hpp>
#include <llamaplan/planner.hpp>
#include <llamaplan/server_args.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace {

using test_support::load_synth;
using test_support::synth_model;

struct synth_mmproj {
    std::vector<std::byte> header;
    std::optional<llamaplan::gguf::reader> r;
    llamaplan::mmproj_hparams hp;
    std::vector<llamaplan::tensor_info> tensors;
    [[nodiscard]] llamaplan::mmproj_model view() const { return llamaplan::mmproj_model{hp, tensors}; }
};

std::unique_ptr<synth_mmproj> load_mmproj(const llamaplan::gguf::mmproj_spec& spec) {
    auto out = std::make_unique<synth_mmproj>();
    out->header = llamaplan::gguf::synthesize_mmproj(spec).bytes(llamaplan::gguf::data_fill::header_only);
    auto r = llamaplan::gguf::reader::parse(std::span<const std::byte>(out->header));
    if (!r) return nullptr;
    out->r.emplace(std::move(*r));
    auto hp = llamaplan::gguf::extract_mmproj_hparams(*out->r);
    if (!hp) return nullptr;
    out->hp = *hp;
    out->tensors.assign(out->r->tensors().begin(), out->r->tensors().end());
    return out;
}

std::map<std::string, std::unique_ptr<synth_mmproj>> all_mmprojs() {
    std::map<std::string, std::unique_ptr<synth_mmproj>> out;
    for (const auto& d : extra::mmproj_models()) out[d.id] = load_mmproj(d.spec);
    return out;
}

std::unique_ptr<synth_model> text_model(const std::string& id) {
    for (const auto& d : extra::models())
        if (d.id == id) return load_synth(d.spec);
    return nullptr;
}

}  // namespace

TEST_CASE("a multimodal projector (--mmproj) is estimated as llama-server loads it") {
    const auto mmprojs = all_mmprojs();
    std::map<std::string, std::unique_ptr<synth_model>> targets;
    for (const char* id : {"llama-4L-512", "gemma3-6L-swa160"}) targets[id] = text_model(id);
    for (const auto& kv : mmprojs) REQUIRE_MESSAGE(kv.second != nullptr, "cannot synthesize " << kv.first);
    for (const auto& kv : targets) REQUIRE_MESSAGE(kv.second != nullptr, "cannot synthesize " << kv.first);
    const std::string dir = std::string(LLAMAPLAN_TEST_DATA) + "/extra";
    auto table = groundtruth::read_csv(dir + "/mmproj.csv");
    REQUIRE(table.has_value());
    REQUIRE(table->rows.size() == 29);
    const auto hw = groundtruth::cpu_machine();  // AVX-512, no AMX
    std::size_t loaded = 0, refused = 0, compute_rows = 0;
    for (std::size_t r = 0; r < table->rows.size(); ++r) {
        const std::string command = table->get(r, "command");
        CAPTURE(command);
        const auto words = groundtruth::split(command, ' ');
        std::vector<std::string_view> argv(words.begin(), words.end());
        const auto args = llamaplan::parse_server_args(argv);
        REQUIRE(args.has_value());
        REQUIRE(args->mmproj == table->get(r, "mmproj") + ".gguf");
        const auto& target = targets.at(table->get(r, "target"));
        const auto& mm = mmprojs.at(table->get(r, "mmproj"));
        CHECK(mm->hp.projector_name == table->get(r, "projector"));
        llamaplan::overhead_params none{0, 0};
        const auto est = llamaplan::estimate_memory(target->view(), hw, args->params, mm->view(), args->mmproj_load, none);
        if (table->get(r, "loaded") == "0") {
            // a BF16 patch embedding: llama.cpp aborted in ggml_backend_sched_split_graph (no CPU kernel for the conv)
            REQUIRE_FALSE(est.has_value());
            CHECK(est.error().code == llamaplan::errc::unsupported);
            ++refused;
            continue;
        }
        REQUIRE(est.has_value());
        const auto& e = *est;
        const auto& p = e.mmproj;
        REQUIRE(p.present);
        // the text model is unchanged by the projector
        CHECK(groundtruth::model_buffers_match(e, hw, table->get(r, "tgt_model_buf")));
        CHECK(groundtruth::same_mib(e.compute(), std::stod(table->get(r, "tgt_compute_mib"))));
        // the projector: CPU backend ("CLIP using CPU backend"), warmup image, weights
        CHECK(table->get(r, "clip_backend") == "CPU");
        CHECK(p.device == llamaplan::host_device);
        CHECK(p.warmup_image_size == std::stoul(table->get(r, "warmup_image")));
        CHECK(groundtruth::same_mib(p.weights_nbytes, std::stod(table->get(r, "mm_model_size_mib"))));
        // llama.cpp logs no line for the weights buffer itself: it pads each tensor to 32 bytes
        // (ggml_backend_alloc_ctx_tensors_from_buft), which adds nothing to these files' tensors
        CHECK(groundtruth::same_mib(p.weights, std::stod(table->get(r, "mm_model_size_mib"))));
        const std::string compute = table->get(r, "mm_compute_buf");
        if (compute.empty()) {
            // --no-warmup: mtmd_context_params::warmup is false, clip.cpp reserves nothing at start-up
            CHECK_FALSE(args->mmproj_load.warmup);
            CHECK(table->get(r, "flash_attn").empty());
        } else {
            CHECK(args->mmproj_load.warmup);
            CHECK(p.flash_attn == (table->get(r, "flash_attn") == "enabled"));
            REQUIRE(compute.substr(0, 4) == "CPU=");
            CHECK(groundtruth::same_mib(p.compute, std::stod(compute.substr(4))));
            CHECK(p.compute_exact);
            ++compute_rows;
        }
        // the host row holds the projector beside the model
        const auto* host = e.row(llamaplan::host_device);
        REQUIRE(host != nullptr);
        CHECK(host->mmproj == p.weights + p.compute);
        CHECK(host->total() == e.weights() + e.kv() + e.recurrent() + e.output() + e.compute() + host->mmproj);
        ++loaded;
    }
    CHECK(loaded == 25);
    CHECK(refused == 4);
    CHECK(compute_rows == 23);
}

TEST_CASE("a projector's warmup graph allocates what ggml-alloc.c allocated, to the byte") {
    // high-water marks of the traced libggml-base (ggml-alloc.c AT_PRINTF) for clip.cpp's warmup reserve on the CPU
    struct traced { const char* id; bool fa; std::uint64_t bytes; };
    const traced rows[] = {
        {"mmproj-mlp-3L-256", true, 1920032},         {"mmproj-mlp-3L-256", false, 2187328},
        {"mmproj-mlp-4L-384-i336", true, 6677024},    {"mmproj-mlp-4L-384-i336", false, 12008512},
        {"mmproj-mlp-2L-256-p16", true, 1612352},     {"mmproj-mlp-2L-256-p16", false, 1628128},
        {"mmproj-mlp-3L-256-f32", true, 1920032},     {"mmproj-mlp-3L-256-f32", false, 2187328},
        {"mmproj-gemma3-3L-256", true, 1835008},      {"mmproj-gemma3-3L-256", false, 2621440},
        {"mmproj-gemma3-4L-384-i448", true, 11010048}, {"mmproj-gemma3-4L-384-i448", false, 34603008},
        {"mmproj-gemma3-2L-256-s2", true, 1835008},   {"mmproj-gemma3-2L-256-s2", false, 2621440},
        {"mmproj-gemma3-3L-256-i230", true, 1835008}, {"mmproj-gemma3-3L-256-i230", false, 2621440},
        {"mmproj-mlp-4L-1024-i336", true, 20262432},  {"mmproj-mlp-4L-1024-i336", false, 34479712},
        {"mmproj-gemma3-4L-1152-i896", true, 127139840}, {"mmproj-gemma3-4L-1152-i896", false, 1186988032},
    };
    const auto mmprojs = all_mmprojs();
    for (const auto& t : rows) {
        CAPTURE(t.id);
        CAPTURE(t.fa);
        const auto& mm = mmprojs.at(t.id);
        REQUIRE(mm != nullptr);
        CHECK(llamaplan::vision_compute_cpu(mm->view(), t.fa) == t.bytes);
    }
}

TEST_CASE("a projector whose output width is not the model's n_embd is refused, as mtmd_init_from_file does") {
    const auto mmprojs = all_mmprojs();
    const auto llama = text_model("llama-4L-512");
    REQUIRE(llama != nullptr);
    // measured: llama-server -m llama-4L-512.gguf --mmproj mmproj-gemma3-3L-256.gguf logs "mismatch between text model
    // (n_embd = 512) and mmproj (n_embd = 320)" and exits
    llamaplan::launch_params p{};
    const auto est = llamaplan::estimate_memory(llama->view(), groundtruth::cpu_machine(), p,
                                                mmprojs.at("mmproj-gemma3-3L-256")->view(), llamaplan::mmproj_params{});
    REQUIRE_FALSE(est.has_value());
    CHECK(est.error().code == llamaplan::errc::invalid_combination);
}

TEST_CASE("planner: a plan with --mmproj reserves the projector's bytes on its device") {
    using namespace llamaplan;
    const auto mmprojs = all_mmprojs();
    const auto& mm = mmprojs.at("mmproj-mlp-4L-384-i336");
    const auto text = text_model("llama-4L-512");
    REQUIRE(text != nullptr);
    const model m = text->view();
    std::vector<device> gpus{device{"gpu0", backend::cuda, 0, 0}};
    gpus[0].memory_total = gpus[0].memory_free = 64ull << 30;
    machine hw{host{}, gpus};
    hw.host.memory_total = hw.host.memory_available = 256ull << 30;
    // every setting that moves bytes is pinned, so the plans differ by the projector alone (the words are literals:
    // the goal keeps views of them)
    const std::vector<std::string_view> base = {"-m", "llama-4L-512.gguf", "-c", "4096", "-np", "1", "-ngl", "99", "-fa",
                                                "on", "-b", "2048", "-ub", "512", "-ctk", "f16", "-ctv", "f16", "-cram", "0"};
    auto goal_of = [&](std::vector<std::string_view> extra_words) {
        std::vector<std::string_view> v = base;
        v.insert(v.end(), extra_words.begin(), extra_words.end());
        auto a = parse_server_args(v);
        REQUIRE(a.has_value());
        goal g = goal_from_args(*a, preset_id::high_speed);
        g.gpu_margin = 0;
        return g;
    };
    const goal g_alone = goal_of({});
    auto alone = plan_model(m, hw, g_alone);
    REQUIRE(alone.has_value());
    REQUIRE(alone->fits);
    // a GPU that holds the model and its context exactly
    gpus[0].memory_total = gpus[0].memory_free = alone->budgets[1].planned;
    alone = plan_model(m, hw, g_alone);
    REQUIRE(alone.has_value());
    REQUIRE(alone->fits);

    goal g = goal_of({"--mmproj", "mm.gguf"});
    CHECK_FALSE(plan_model(m, hw, g).has_value());  // --mmproj without the opened projector is refused
    const mmproj_model mmv = mm->view();
    g.mmproj = &mmv;
    const auto expected = estimate_mmproj(mmv, hw, g.mmproj_load, flash_attn_mode::on);
    REQUIRE(expected.has_value());
    CHECK(expected->device == 0);  // offloaded by default: clip.cpp takes the first GPU
    auto with = plan_model(m, hw, g);
    REQUIRE(with.has_value());
    REQUIRE(with->memory.mmproj.present);
    CHECK(with->memory.row(0)->mmproj == expected->total());
    CHECK(with->memory.row(host_device)->mmproj == 0);
    // the GPU that held the model exactly is now short by the projector's bytes, and the plan says so
    CHECK_FALSE(with->fits);
    CHECK(with->short_device == 0);
    CHECK(with->short_bytes == expected->total());
    CHECK(with->budgets[1].planned == alone->budgets[1].planned + expected->total());
    // the argv keeps the projector
    model_summary s;
    REQUIRE(summarize_for(m, hw, g, s).has_value());
    std::vector<std::string> argv;
    (void)emit_argv(*with, m, s, hw, "llama-4L-512.gguf", [&](std::string_view a) { argv.emplace_back(a); });
    const auto at = std::find(argv.begin(), argv.end(), "--mmproj");
    REQUIRE(at != argv.end());
    REQUIRE(at + 1 != argv.end());
    CHECK(*(at + 1) == "mm.gguf");

    // without offload the projector lands on the host and the GPU keeps the model alone
    goal g_host = goal_of({"--mmproj", "mm.gguf", "--no-mmproj-offload"});
    g_host.mmproj = &mmv;
    const auto on_host = estimate_mmproj(mmv, hw, g_host.mmproj_load, flash_attn_mode::on);
    REQUIRE(on_host.has_value());
    CHECK(on_host->device == host_device);
    // measured on the CPU (tests/data/extra/mmproj.csv): 15.31 MiB of weights, 6.37 MiB of compute with flash attention
    CHECK(groundtruth::same_mib(on_host->weights, 15.31));
    CHECK(groundtruth::same_mib(on_host->compute, 6.37));
    auto host_plan = plan_model(m, hw, g_host);
    REQUIRE(host_plan.has_value());
    CHECK(host_plan->fits);
    CHECK(host_plan->memory.row(host_device)->mmproj == on_host->total());
    CHECK(host_plan->budgets[1].planned == alone->budgets[1].planned);
    CHECK(host_plan->budgets[0].planned == alone->budgets[0].planned + on_host->total());
    argv.clear();
    (void)emit_argv(*host_plan, m, s, hw, "llama-4L-512.gguf", [&](std::string_view a) { argv.emplace_back(a); });
    CHECK(std::find(argv.begin(), argv.end(), "--no-mmproj-offload") != argv.end());
}

TEST_CASE("the mmproj reader refuses projector files it cannot model, with a reason") {
    llamaplan::gguf::mmproj_spec spec;  // a small gemma3 projector
    spec.projector = "gemma3";
    std::vector<std::byte> bytes;  // the last header parsed: the projector name views it
    auto parse = [&bytes](const llamaplan::gguf::writer& w) {
        bytes = w.bytes(llamaplan::gguf::data_fill::header_only);
        auto r = llamaplan::gguf::reader::parse(std::span<const std::byte>(bytes));
        REQUIRE(r.has_value());
        return llamaplan::gguf::extract_mmproj_hparams(*r);
    };
    {
        const auto hp = parse(llamaplan::gguf::synthesize_mmproj(spec));
        REQUIRE(hp.has_value());
        CHECK(hp->projector == llamaplan::projector_type::gemma3);
        CHECK(hp->image_size == 224);
        CHECK(hp->patch_size == 14);
        CHECK(hp->n_merge == 0);  // not written: clip.cpp uses 4
    }
    auto w = llamaplan::gguf::synthesize_mmproj(spec);
    w.set_bool("clip.has_audio_encoder", true);  // a second clip context for audio
    CHECK(parse(w).error().code == llamaplan::errc::unsupported);
    w = llamaplan::gguf::synthesize_mmproj(spec);
    w.set_bool("clip.has_vision_encoder", false);
    CHECK(parse(w).error().code == llamaplan::errc::unsupported);
    w = llamaplan::gguf::synthesize_mmproj(spec);
    w.remove("clip.vision.patch_size");  // clip.cpp requires it
    CHECK_FALSE(parse(w).has_value());
    w = llamaplan::gguf::synthesize_mmproj(spec);
    w.set_u32("clip.vision.patch_size", 0);
    CHECK(parse(w).error().code == llamaplan::errc::invalid_argument);
    w = llamaplan::gguf::synthesize_mmproj(spec);
    w.set_u32("clip.vision.attention.head_count", 3);  // 128 is not a multiple of 3
    CHECK(parse(w).error().code == llamaplan::errc::invalid_argument);
    w = llamaplan::gguf::synthesize_mmproj(spec);
    w.set_string("clip.projector_type", "qwen2.5vl");  // read, but not claimed exact
    const auto q = parse(w);
    REQUIRE(q.has_value());
    CHECK(q->projector == llamaplan::projector_type::unknown);
    CHECK_FALSE(llamaplan::projector_of(q->projector_name).graph_exact);
}
