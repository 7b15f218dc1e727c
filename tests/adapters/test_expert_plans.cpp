// Expert scenarios: what an experienced llama.cpp user expects of a launch plan on a given machine, and why. Each case
// plans a catalog model (gguf::open_catalog, header only) on a described machine (GPUs from the device table, a host
// of given RAM and cores) and checks the choices a person would check before launching it: are all GPUs used when the
// model needs them, do experts stay on the GPUs while they fit, is the context what the goal asks for, is the KV cache
// quantized only when that buys something, are pinned flags kept, and does the plan refuse only what cannot run.
// Public sources are named where a recipe or a measurement exists.
#include <doctest/doctest.h>

#include <llamaplan/devices.hpp>
#include <llamaplan/emit.hpp>
#include <llamaplan/gguf/catalog.hpp>
#include <llamaplan/planner.hpp>
#include <llamaplan/server_args.hpp>

#include <algorithm>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {
using namespace llamaplan;

/// A machine described as a person would: GPUs by name (the CLI's --gpu syntax), host RAM and physical cores.
struct scenario_machine {
    std::vector<device> devices;
    machine m;
    scenario_machine(std::initializer_list<std::string_view> gpus, std::uint64_t ram_gib, std::uint32_t cores,
                     double host_gbs = 80) {
        for (const auto spec : gpus) {
            auto r = parse_device_spec(spec);
            REQUIRE_MESSAGE(r.has_value(), spec);
            for (std::uint32_t i = 0; i < r->count; ++i) devices.push_back(r->dev);
        }
        m.host.memory_total = m.host.memory_available = ram_gib << 30;
        m.host.cpus_physical = cores;
        m.host.cpus_logical = 2 * cores;
        m.host.bandwidth = static_cast<std::uint64_t>(host_gbs * 1e9);
        m.devices = devices;
    }
};

/// A plan of a catalog model for a goal, with llama-server flags pinned as a person types them.
struct planned {
    std::unique_ptr<model_summary> summary = std::make_unique<model_summary>();
    gguf::model_file file;
    plan p{};
    std::vector<std::string> argv;

    planned(std::string_view model_spec, const scenario_machine& hw, preset_id preset,
            std::initializer_list<std::string_view> flags = {}) {
        auto f = gguf::open_catalog(model_spec);
        REQUIRE_MESSAGE(f.has_value(), model_spec);
        file = std::move(*f);
        std::vector<std::string_view> args{"-m", "x.gguf"};
        args.insert(args.end(), flags.begin(), flags.end());
        auto a = parse_server_args(args);
        REQUIRE_MESSAGE(a.has_value(), a.error().what);
        goal g = goal_from_args(*a, preset);
        const model m = file.view();
        REQUIRE(summarize_for(m, hw.m, g, *summary).has_value());
        auto r = plan_model(m, *summary, hw.m, g);
        REQUIRE_MESSAGE(r.has_value(), r.error().what);
        p = *r;
        (void)emit_argv(p, m, *summary, hw.m, "x.gguf", [&](std::string_view s) { argv.emplace_back(s); });
    }
    /// GPUs that hold weights.
    [[nodiscard]] std::size_t gpus_used() const {
        std::size_t n = 0;
        for (std::size_t d = 1; d < p.memory.devices.size(); ++d) n += p.memory.devices[d].model != 0;
        return n;
    }
    /// Routed-expert bytes on the host (CPU buffers of expert tensors).
    [[nodiscard]] bool experts_on_host() const {
        const model m = file.view();
        for (std::uint32_t i = 0; i < m.tensors.size(); ++i)
            if (m.tensors[i].role == tensor_role::ffn_expert && p.place.tensor_device(i, m.tensors[i]) == host_device)
                return true;
        return false;
    }
    [[nodiscard]] bool has_arg(std::string_view a) const { return std::find(argv.begin(), argv.end(), a) != argv.end(); }
    [[nodiscard]] std::string joined() const {
        std::string s;
        for (const auto& a : argv) s += a + " ";
        return s;
    }
};

constexpr std::uint32_t ctx_of(const plan& p) { return p.memory.n_ctx; }

}  // namespace

TEST_CASE("expert plans: one GPU, the model fits") {
    // an 8B Q4_K_M on a 24 GB card: every layer on the GPU, llama-server's 4 slots sharing a unified cache, f16 KV,
    // and the balanced preset's 32k context (about 4.5 GiB of f16 KV): nothing has to give
    const scenario_machine hw({"RTX 4090"}, 64, 16);
    const planned r("qwen3-8b:Q4_K_M", hw, preset_id::balanced);
    CHECK(r.p.fits);
    CHECK(r.p.place.layers.n_gpu_layers == r.p.place.layers.n_layer_all + 1);
    CHECK(r.p.params.n_seq_max == 4);
    CHECK(r.p.params.kv_unified);
    CHECK(r.p.params.type_k == ggml_type::f16);
    CHECK(ctx_of(r.p) == 32768);
    CHECK_FALSE(r.experts_on_host());
}

TEST_CASE("expert plans: a dense model over two GPUs uses both") {
    // Llama-3.1-70B Q4_K_M (~40 GiB) on 2x RTX 3090: the usual home recipe, -ngl all split over both cards
    const scenario_machine hw({"RTX 3090x2"}, 64, 16);
    const planned r("llama-3.1-70b:Q4_K_M", hw, preset_id::balanced);
    CHECK(r.p.fits);
    CHECK(r.p.place.layers.n_gpu_layers == r.p.place.layers.n_layer_all + 1);
    CHECK(r.gpus_used() == 2);
    CHECK(ctx_of(r.p) >= 4096);
}

TEST_CASE("expert plans: F16 70B on 8x H100 spreads over the GPUs it needs, nothing on the host") {
    // 141 GB of weights: two H100s at the very least; the fill must not pack GPU0 and leave layers behind
    const scenario_machine hw({"H100x8"}, 2048, 112);
    const planned r("llama-3.1-70b:F16", hw, preset_id::balanced);
    CHECK(r.p.fits);
    CHECK(r.p.place.layers.n_gpu_layers == r.p.place.layers.n_layer_all + 1);
    CHECK(r.gpus_used() >= 2);
    CHECK(ctx_of(r.p) == 32768);
}

TEST_CASE("expert plans: DeepSeek-V3 on 8x H100 keeps every expert on the GPUs") {
    // ~377 GiB Q4_K_M in 640 GB of VRAM: the whole model on the GPUs (issue: the old fill put 323 GB of experts in host
    // RAM and left seven GPUs idle)
    const scenario_machine hw({"H100x8"}, 2048, 112);
    const planned r("deepseek-v3:Q4_K_M", hw, preset_id::balanced);
    CHECK(r.p.fits);
    CHECK_FALSE(r.experts_on_host());
    CHECK(r.gpus_used() >= 5);
    CHECK_FALSE(r.has_arg("--n-cpu-moe"));
    CHECK_FALSE(r.has_arg("-ot"));
}

TEST_CASE("expert plans: gpt-oss-120b on 4x RTX 3090 fits on the GPUs") {
    // ~61 GiB MXFP4 in 96 GB of VRAM: all four cards, no expert on the CPU (the old plan: -ts 37,0,0,0 and 42 GB of
    // experts on the CPU)
    const scenario_machine hw({"RTX 3090x4"}, 128, 16);
    const planned r("gpt-oss-120b:MXFP4", hw, preset_id::balanced);
    CHECK(r.p.fits);
    CHECK_FALSE(r.experts_on_host());
    CHECK(r.gpus_used() >= 3);
}

TEST_CASE("expert plans: gpt-oss-120b on one 24 GB GPU: experts on the host, a long context, a large ubatch") {
    // the r/LocalLLaMA recipe: -ngl 99 --n-cpu-moe N -c 32768+ -ub 2048+ on a 24 GB card and 64 GB of RAM; the KV
    // cache costs ~40 KiB per token, so the context costs almost nothing, and prompt processing copies the host's
    // experts over PCIe once per ubatch, so a large ubatch multiplies prefill speed
    const scenario_machine hw({"RTX 4090"}, 96, 16);
    const planned r("gpt-oss-120b:MXFP4", hw, preset_id::balanced);
    CHECK(r.p.fits);
    CHECK(r.experts_on_host());
    CHECK(r.has_arg("--n-cpu-moe"));
    CHECK(ctx_of(r.p) >= 32768);
    CHECK(r.p.params.n_ubatch >= 2048);
    CHECK(r.p.place.layers.n_gpu_layers == r.p.place.layers.n_layer_all + 1);
}

TEST_CASE("expert plans: MoE over two GPUs that cannot hold it uses both, experts of the first blocks on the host") {
    const scenario_machine hw({"RTX 4090x2"}, 128, 16);
    const planned r("gpt-oss-120b:MXFP4", hw, preset_id::balanced);
    CHECK(r.p.fits);
    CHECK(r.gpus_used() == 2);
    CHECK(r.experts_on_host());
    CHECK(r.has_arg("--n-cpu-moe"));
    CHECK(ctx_of(r.p) >= 32768);
}

TEST_CASE("expert plans: Qwen3-30B-A3B on an 8 GB GPU and 64 GB RAM") {
    // llmfit PR #755's machine (RTX 2080 8 GB, quad-channel DDR4): --n-cpu-moe, every layer's dense part on the GPU
    const scenario_machine hw({"RTX 2080 Ti"}, 64, 8, 76.8);
    const planned r("qwen3-30b-a3b:Q4_K_M", hw, preset_id::balanced);
    CHECK(r.p.fits);
    CHECK(r.experts_on_host());
    CHECK(r.p.place.layers.n_gpu_layers == r.p.place.layers.n_layer_all + 1);
    // its KV cache costs ~96 KiB per token (48 layers, 4 KV heads of 128): 32k would push a fifth of the experts
    // that stay on the 11 GB card to the host, more than the balanced preset's 2 % of speed; it stops before that
    CHECK(ctx_of(r.p) >= 8192);
    CHECK(r.p.context_cost <= preset_of(preset_id::balanced).speed_tolerance);
}

TEST_CASE("expert plans: CPU-only machines run what fits in RAM") {
    // Qwen3-30B-A3B Q4_K_M (17.7 GB) on a 32 GB box: the mapped file and the repacked copy are not both resident
    // (repacked tensors' pages are page cache after loading); the old planner refused it by 5.5 GiB
    const scenario_machine hw({}, 32, 8);
    const planned r("qwen3-30b-a3b:Q4_K_M", hw, preset_id::balanced);
    CHECK(r.p.fits);
    CHECK(ctx_of(r.p) >= 32768);
    // an 8B on a 16 GB laptop: f16 KV at 32k fits beside 4.7 GiB of weights
    const scenario_machine laptop({}, 16, 4, 60);
    const planned s("qwen3-8b:Q4_K_M", laptop, preset_id::balanced);
    CHECK(s.p.fits);
    CHECK(s.p.params.type_k == ggml_type::f16);
    CHECK(ctx_of(s.p) == 32768);
    CHECK(s.p.threads == 4);
}

TEST_CASE("expert plans: the KV cache is quantized only when it buys context") {
    // gemma-3-4b for long documents on a 24 GB GPU: the training context (131072) fits with f16, so no q8_0
    const scenario_machine hw({"RTX 4090"}, 64, 16);
    const planned r("gemma-3-4b:Q4_K_M", hw, preset_id::long_context);
    CHECK(r.p.fits);
    CHECK(ctx_of(r.p) == 131072);
    CHECK(r.p.params.type_k == ggml_type::f16);
    // a 70B on 2x 3090 at its training context: f16 KV would not reach it, q8_0 reaches further
    const scenario_machine two({"RTX 3090x2"}, 64, 16);
    const planned q("llama-3.1-70b:Q4_K_M", two, preset_id::long_context);
    CHECK(q.p.fits);
    CHECK(q.p.params.type_k != ggml_type::f16);
}

TEST_CASE("expert plans: Llama 3.1 is a 128k model") {
    const scenario_machine hw({"H100"}, 256, 32);
    const planned r("llama-3.1-8b:Q8_0", hw, preset_id::long_context);
    CHECK(r.p.fits);
    CHECK(ctx_of(r.p) == 131072);
    const planned old("llama-3-8b:Q8_0", hw, preset_id::long_context);
    CHECK(ctx_of(old.p) == 8192);
}

TEST_CASE("expert plans: pinned placements keep a long context") {
    // -ngl 99 --n-cpu-moe 28 or -ot exps=CPU fix the weights; the context only costs GPU KV memory, so the balanced
    // preset grows it to its target (the old planner kept 4096 "or weights would move off the GPUs", false there)
    const scenario_machine hw({"RTX 4090"}, 96, 16);
    for (auto flags : {std::initializer_list<std::string_view>{"-ngl", "99", "--n-cpu-moe", "28"},
                       std::initializer_list<std::string_view>{"-ngl", "99", "-ot", "exps=CPU"}}) {
        const planned r("gpt-oss-120b:MXFP4", hw, preset_id::balanced, flags);
        CHECK(r.p.fits);
        CHECK(r.p.user_placement);
        CHECK(ctx_of(r.p) == 32768);
    }
    const planned c("gpt-oss-120b:MXFP4", hw, preset_id::balanced, {"-c", "65536"});
    CHECK(c.p.fits);
    CHECK(ctx_of(c.p) == 65536);
    CHECK(c.experts_on_host());
}

TEST_CASE("expert plans: pins are kept") {
    const scenario_machine hw({"RTX 4090"}, 64, 16);
    const planned a("qwen3-8b:Q4_K_M", hw, preset_id::balanced, {"-np", "1"});
    CHECK(a.p.params.n_seq_max == 1);
    CHECK_FALSE(a.p.params.kv_unified);
    const planned b("qwen3-8b:Q4_K_M", hw, preset_id::balanced, {"-ctk", "q8_0", "-ctv", "q8_0"});
    CHECK(b.p.params.type_k == ggml_type::q8_0);
    CHECK(b.p.params.type_v == ggml_type::q8_0);
    const planned c("qwen3-8b:Q4_K_M", hw, preset_id::more_context, {"-fa", "off"});
    CHECK(c.p.params.flash_attn == flash_attn_mode::off);
    CHECK(c.p.params.type_v == ggml_type::f16);
    const planned d("qwen3-8b:Q4_K_M", hw, preset_id::balanced, {"-ub", "256"});
    CHECK(d.p.params.n_ubatch == 256);
    const planned e("qwen3-8b:Q4_K_M", hw, preset_id::balanced, {"-c", "12000"});
    CHECK(e.p.params.n_ctx == 12000);
}

TEST_CASE("expert plans: a small model on eight GPUs uses one for latency") {
    // an 8B on 8x A100: splitting it adds a hop per device and per token and gives decode nothing, so the latency
    // preset keeps it on one GPU; the balanced preset's 2048-token prompts gain from pipelined prefill over the GPUs
    // (llama_context: pipeline parallelism with every layer offloaded), which the objective weighs, and decode stays
    // within the tolerance
    const scenario_machine hw({"A100 80GBx8"}, 1024, 64);
    const planned r("qwen3-8b:Q8_0", hw, preset_id::high_speed);
    CHECK(r.p.fits);
    CHECK(r.gpus_used() == 1);
    const planned b("qwen3-8b:Q8_0", hw, preset_id::balanced);
    CHECK(b.p.fits);
    CHECK(b.p.speed.decode_tps >= 0.99 * r.p.speed.decode_tps);
}

TEST_CASE("expert plans: heterogeneous GPUs each take what they can hold") {
    // a 70B Q4_K_M (~40 GiB) on a 4090 + a 3060 12 GB (36 GB): partial offload, the bigger card takes more layers
    const scenario_machine hw({"RTX 4090", "RTX 3060"}, 128, 16);
    const planned r("llama-3.1-70b:Q4_K_M", hw, preset_id::balanced);
    CHECK(r.p.fits);
    CHECK(r.gpus_used() == 2);
    CHECK(r.p.memory.devices[1].model > r.p.memory.devices[2].model);
    CHECK(r.p.place.layers.n_gpu_layers < r.p.place.layers.n_layer_all + 1);
    CHECK(ctx_of(r.p) >= 4096);
}

TEST_CASE("expert plans: Kimi-K2 on 8x H100: Q4_K_M on the GPUs, Q8_0 with the first blocks' experts on the host") {
    // ~1T parameters: Q4_K_M (~580 GB) fits in 640 GB of VRAM with every expert on the GPUs; Q8_0 (~1.1 TB) does
    // not, so the first blocks' experts go to the host (--n-cpu-moe) and every GPU is full of layers
    const scenario_machine hw({"H100x8"}, 2048, 112);
    const planned q4("kimi-k2:Q4_K_M", hw, preset_id::balanced);
    CHECK(q4.p.fits);
    CHECK_FALSE(q4.experts_on_host());
    CHECK(q4.gpus_used() == 8);
    const planned q8("kimi-k2:Q8_0", hw, preset_id::balanced);
    CHECK(q8.p.fits);
    CHECK(q8.gpus_used() == 8);
    CHECK(q8.experts_on_host());
    CHECK(q8.has_arg("--n-cpu-moe"));
    CHECK(q8.p.place.layers.n_gpu_layers == q8.p.place.layers.n_layer_all + 1);
}

TEST_CASE("expert plans: a model larger than the machine is refused with the shortfall") {
    const scenario_machine hw({}, 16, 8);
    const planned r("llama-3.1-70b:F16", hw, preset_id::balanced);
    CHECK_FALSE(r.p.fits);
    CHECK(r.p.short_device == host_device);
    CHECK(r.p.short_bytes > (100ull << 30));
}

TEST_CASE("expert plans: presets differ where they should") {
    const scenario_machine hw({"RTX 4090"}, 64, 16);
    const planned safe("qwen3-32b:Q4_K_M", hw, preset_id::system_safe);
    const planned ultra("qwen3-32b:Q4_K_M", hw, preset_id::ultra_performance);
    CHECK(safe.p.fits);
    CHECK(ultra.p.fits);
    // system_safe leaves more of the GPU free than ultra_performance
    CHECK(safe.p.budgets[1].planned < ultra.p.budgets[1].planned);
    CHECK(ultra.p.params.n_ubatch >= safe.p.params.n_ubatch);
    // more_context reaches at least the context of high_speed
    const planned fast("qwen3-32b:Q4_K_M", hw, preset_id::high_speed);
    const planned longer("qwen3-32b:Q4_K_M", hw, preset_id::more_context);
    CHECK(ctx_of(longer.p) >= ctx_of(fast.p));
    CHECK(ctx_of(longer.p) > 8192);
}

TEST_CASE("expert plans: Apple unified memory") {
    // an M2 Max with 64 GB: Qwen3-30B-A3B Q4_K_M entirely on the GPU (Metal shares the RAM)
    const scenario_machine hw({"M2 Max"}, 64, 8, 400);
    const planned r("qwen3-30b-a3b:Q4_K_M", hw, preset_id::balanced);
    CHECK(r.p.fits);
    CHECK_FALSE(r.experts_on_host());
    CHECK(r.p.place.layers.n_gpu_layers == r.p.place.layers.n_layer_all + 1);
}

TEST_CASE("expert plans: the context cost is stated") {
    // gpt-oss-120b with experts on the host: the 32k context costs under the preset's tolerance of speed
    const scenario_machine hw({"RTX 4090"}, 96, 16);
    const planned r("gpt-oss-120b:MXFP4", hw, preset_id::balanced);
    CHECK(r.p.score_tps > 0);
    CHECK(r.p.context_cost >= 0);
    CHECK(r.p.context_cost <= preset_of(preset_id::balanced).speed_tolerance);
}
