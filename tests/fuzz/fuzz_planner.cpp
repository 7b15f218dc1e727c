// libFuzzer harness: the planner driven by synthetic hardware and synthetic models decoded from the input.
// Machines: 0-16 GPUs of every backend, 0 B to 2 TiB of free memory, odd bandwidths (0, 1, ~max); hosts of unknown
// size up to 2 TiB. Models: 0-1000 blocks, dense or MoE (up to 512 experts), sliding-window layers, tied heads,
// shapes that may contradict each other (the validators must refuse those with an error). Goals: every preset, odd
// margins, and a llama-server command line of pinned flags with odd values.
// Invariants (not just absence of crashes):
//   - a plan never exceeds a budget it claims to fit; a refusal names the device and the bytes it misses by;
//   - every pinned setting keeps its value and says so in its reason; the core settings have reasons;
//   - planning is deterministic;
//   - the emitted argv parses back to the plan's settings, and estimate_memory of it gives the plan's bytes.
#include "fuzz_check.hpp"
#include "../support/llama_shape.hpp"

#include <algorithm>
#include <cstdio>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

using namespace llamaplan;

namespace {

/// Reads the input front to back; past its end every read is 0, so short inputs still decode to a case.
struct bytes_in {
    const std::uint8_t* p;
    std::size_t n;
    std::uint64_t take(unsigned width) {
        std::uint64_t v = 0;
        for (unsigned i = 0; i < width; ++i) v = (v << 8) | (n ? (--n, *p++) : 0u);
        return v;
    }
    std::uint8_t byte() { return static_cast<std::uint8_t>(take(1)); }
};

constexpr ggml_type weight_types[] = {ggml_type::f16, ggml_type::q4_0, ggml_type::q8_0, ggml_type::q4_k,
                                      ggml_type::q6_k, ggml_type::bf16, ggml_type::iq4_xs, ggml_type::f32};

/// A synthetic llama-shaped model (names, tensors and hyper-parameters kept alive together).
struct synth_model {
    test_support::llama_shape shape;
    std::vector<std::uint8_t> swa;
    hparams hp;
    bool ok = true;  ///< false when the tensor layer refused a shape: the model is not built

    explicit synth_model(bytes_in& in) {
        const std::uint8_t flags = in.byte();
        const bool moe = (flags & 1) != 0, tied = (flags & 2) != 0, odd = (flags & 4) != 0;
        hp.architecture = moe ? "qwen3moe" : "llama";
        hp.n_layer = static_cast<std::uint32_t>(in.take(2) % 1001);
        const std::uint32_t head_dim = odd ? 1 + static_cast<std::uint32_t>(in.take(1)) : 16u << (in.byte() % 4);
        hp.n_head = 1 + in.byte() % 64;
        hp.n_head_kv = odd ? static_cast<std::uint32_t>(in.byte() % 65) : std::max(1u, hp.n_head >> (in.byte() % 4));
        hp.n_embd = odd ? 1 + static_cast<std::uint32_t>(in.take(2)) : hp.n_head * head_dim;
        hp.n_embd_head_k = hp.n_embd_head_v = head_dim;
        hp.n_ff = odd ? static_cast<std::uint32_t>(in.take(2)) : hp.n_embd * (1 + in.byte() % 4);
        hp.n_vocab = 1 + static_cast<std::uint32_t>(in.take(3) % 300000);
        hp.n_ctx_train = 1u << (in.byte() % 22);
        if (moe) {
            hp.n_expert = static_cast<std::uint32_t>(in.take(2) % 513);
            hp.n_expert_used = odd ? in.byte() : 1 + in.byte() % std::max(1u, std::min(8u, hp.n_expert));
            hp.n_ff_exp = odd ? static_cast<std::uint32_t>(in.take(2)) : std::max(32u, hp.n_embd / 2);
        }
        if (flags & 8) {
            hp.n_swa = odd ? static_cast<std::uint32_t>(in.take(2)) : 128u << (in.byte() % 5);
            swa.resize(hp.n_layer);
            set_swa_pattern(swa, 1 + in.byte() % 6);
            hp.swa_layers = swa;
        }
        const ggml_type wt = weight_types[in.byte() % std::size(weight_types)];
        shape.build(hp, wt, head_dim, tied);
        ok = shape.ok;
    }
};

/// A synthetic machine: 0-16 GPUs of any backend and size, a host of unknown size up to 2 TiB.
struct synth_machine {
    std::vector<device> gpus;
    machine hw;
    explicit synth_machine(bytes_in& in) {
        constexpr std::uint64_t odd_bandwidth[] = {0, 1, 1'000'000'000'000ull, ~0ull >> 1};
        const std::size_t n = in.byte() % 17;
        for (std::size_t i = 0; i < n; ++i) {
            device d;
            d.name = "gpu";
            d.kind = static_cast<backend>(in.byte() % 7);
            d.memory_total = in.take(5) << (in.byte() % 12);  // 0 B .. ~2^52 B; 2 TiB = 2^41
            d.memory_total = std::min<std::uint64_t>(d.memory_total, 2ull << 40);
            d.memory_free = d.memory_total / 255 * in.byte();
            const std::uint8_t bw = in.byte();
            d.bandwidth = bw < 4 ? odd_bandwidth[bw] : std::uint64_t(bw) * 4'000'000'000ull;
            d.unified_memory = bw % 11 == 0;
            gpus.push_back(d);
        }
        hw.host.cpus_physical = in.byte();
        hw.host.cpus_logical = hw.host.cpus_physical * (1 + in.byte() % 2);
        hw.host.numa_nodes = in.byte() % 9;
        hw.host.memory_total = std::min<std::uint64_t>(in.take(6), 2ull << 40);
        hw.host.memory_available = hw.host.memory_total / 255 * in.byte();
        const std::uint8_t bw = in.byte();
        hw.host.bandwidth = bw < 4 ? odd_bandwidth[bw] : std::uint64_t(bw) * 1'000'000'000ull;
        hw.host.cpu_repack = (bw & 16) != 0;
        hw.host.cpu_amx = (bw & 32) != 0;
        hw.devices = gpus;
    }
};

/// Pinned llama-server flags with odd values, as a user might write them.
std::vector<std::string> pinned_flags(bytes_in& in, std::uint32_t n_layer) {
    std::vector<std::string> f = {"llama-server", "-m", "x.gguf"};
    const std::uint16_t which = static_cast<std::uint16_t>(in.take(2));
    auto num = [&](unsigned width) { return std::to_string(in.take(width)); };
    if (which & 1) { f.push_back("-c"); f.push_back(num(3)); }
    if (which & 2) { f.push_back("-np"); f.push_back(std::to_string(in.byte() % 70)); }
    if (which & 4) { f.push_back("-ngl"); f.push_back(std::to_string(static_cast<int>(in.byte() % (std::min(n_layer, 250u) + 3)) - 1)); }
    if (which & 8) {
        constexpr const char* kv[] = {"f16", "q8_0", "q4_0", "bf16", "q5_1", "f32"};
        f.push_back("-ctk"); f.push_back(kv[in.byte() % 6]);
        f.push_back("-ctv"); f.push_back(kv[in.byte() % 6]);
    }
    if (which & 16) { constexpr const char* fa[] = {"on", "off", "auto"}; f.push_back("-fa"); f.push_back(fa[in.byte() % 3]); }
    if (which & 32) { f.push_back("-ub"); f.push_back(num(2)); }
    if (which & 64) { f.push_back("-b"); f.push_back(num(2)); }
    if (which & 128) { f.push_back("--n-cpu-moe"); f.push_back(std::to_string(in.take(2) % 1100)); }
    if (which & 256) { f.push_back("-ts"); f.push_back(std::to_string(in.byte()) + "," + std::to_string(in.byte())); }
    if (which & 512) {
        constexpr const char* ot[] = {"exps=CPU", "blk\\.1\\.=CUDA0", "ffn_up=Vulkan0", "attn=CUDA1", ".*=CPU"};
        f.push_back("-ot"); f.push_back(ot[in.byte() % 5]);
    }
    if (which & 1024) { f.push_back("-t"); f.push_back(std::to_string(in.byte())); }
    if (which & 2048) { constexpr const char* c[] = {"-1", "0", "100", "99999999"}; f.push_back("-cram"); f.push_back(c[in.byte() % 4]); }
    if (which & 4096) f.push_back("--swa-full");
    if (which & 8192) f.push_back("-kvu");
    if (which & 16384) f.push_back("--no-mmap");
    if (which & 32768) f.push_back("-nkvo");
    return f;
}

std::vector<std::string> argv_of(const plan& p, const model& m, const model_summary& s, const machine& hw) {
    std::vector<std::string> out;
    (void)emit_argv(p, m, s, hw, "model.gguf", [&](std::string_view a) { out.emplace_back(a); });
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const auto summary = std::make_unique<model_summary>();  // 430 KB: allocated once, refilled per input
    bytes_in in{data, size};
    synth_model sm(in);
    if (!sm.ok) return 0;
    synth_machine mach(in);
    const model m{sm.hp, sm.shape.tensors};
    const machine& hw = mach.hw;

    const auto flags = pinned_flags(in, sm.hp.n_layer);
    std::vector<std::string_view> views(flags.begin(), flags.end());
    auto args = parse_server_args(views);
    if (!args) {
        FUZZ_CHECK(!args.error().what.empty());
        return 0;
    }
    goal g = goal_from_args(*args, static_cast<preset_id>(in.byte() % preset_count));
    const std::uint8_t margins = in.byte();
    if (margins & 1) g.gpu_margin = in.take(5);
    if (margins & 2) g.host_margin = in.take(5);
    if (margins & 4) g.tensor_overrides = false;

    if (auto s = summarize_for(m, hw, g, *summary); !s) {
        FUZZ_CHECK(!s.error().what.empty());  // a refused model says why
        return 0;
    }
    auto p = plan_model(m, *summary, hw, g);
    if (!p) {
        FUZZ_CHECK(!p.error().what.empty());
        return 0;
    }

    // budgets: a fitting plan fits everywhere; a refusal names the device and the shortfall
    if (p->fits) {
        for (const auto& b : p->budgets) FUZZ_CHECK(b.fits());
    } else {
        bool named = false;
        for (const auto& b : p->budgets)
            if (b.device == p->short_device) named = b.shortfall() == p->short_bytes;
        FUZZ_CHECK(named && p->short_bytes > 0);
    }

    // pinned settings keep their values, and their reasons say so; the core settings have reasons
    const setting_set& pin = args->pinned;
    if (pin.has(setting::n_ctx) && args->params.n_ctx != 0) FUZZ_CHECK(p->params.n_ctx == args->params.n_ctx);
    if (pin.has(setting::type_k)) FUZZ_CHECK(p->params.type_k == args->params.type_k);
    if (pin.has(setting::type_v)) FUZZ_CHECK(p->params.type_v == args->params.type_v);
    if (pin.has(setting::n_parallel)) FUZZ_CHECK(p->params.n_seq_max == args->params.n_seq_max);
    if (pin.has(setting::threads)) FUZZ_CHECK(p->threads == args->threads);
    for (std::size_t k = 0; k < setting_count; ++k)
        if (pin.has(static_cast<setting>(k)))
            if (const reason* why = p->reason_for(static_cast<setting>(k))) FUZZ_CHECK(why->how == origin::pinned);
    for (const setting s : {setting::n_ctx, setting::n_gpu_layers, setting::type_k, setting::flash_attn, setting::n_ubatch})
        FUZZ_CHECK(p->reason_for(s) != nullptr);

    // deterministic
    const auto argv = argv_of(*p, m, *summary, hw);
    auto again = plan_model(m, *summary, hw, g);
    FUZZ_CHECK(again.has_value() && argv_of(*again, m, *summary, hw) == argv);

    // the emitted argv parses back to the plan's settings and reproduces its bytes
    std::vector<std::string_view> back(argv.begin(), argv.end());
    auto parsed = parse_server_args(back);
    if (!parsed) {
        std::fprintf(stderr, "emitted argv does not parse (%s at argument %u):", std::string(parsed.error().what).c_str(),
                     static_cast<unsigned>(parsed.error().where));
        for (const auto& a : argv) std::fprintf(stderr, " %s", a.c_str());
        std::fprintf(stderr, "\n");
    }
    FUZZ_CHECK(parsed.has_value());
    FUZZ_CHECK(parsed->params.n_ctx == p->params.n_ctx && parsed->params.n_seq_max == p->params.n_seq_max);
    FUZZ_CHECK(parsed->params.type_k == p->params.type_k && parsed->params.type_v == p->params.type_v);
    FUZZ_CHECK(parsed->params.n_ubatch == p->params.n_ubatch && parsed->params.n_batch == p->params.n_batch);
    overhead_params extra{};
    extra.prompt_cache = parsed->cache_ram == ~0ull ? 0 : parsed->cache_ram;
    auto e = estimate_memory(m, hw, parsed->params, extra);
    FUZZ_CHECK(e.has_value() && e->devices.size() == p->memory.devices.size());
    for (std::size_t i = 0; i < e->devices.size(); ++i) {
        FUZZ_CHECK(e->devices[i].model == p->memory.devices[i].model);
        FUZZ_CHECK(e->devices[i].context == p->memory.devices[i].context);
        FUZZ_CHECK(e->devices[i].compute == p->memory.devices[i].compute);
        FUZZ_CHECK(e->devices[i].overhead == p->memory.devices[i].overhead);
    }
    fuzz::check_estimate(*e);
    return 0;
}
