// The planner's guarantees, checked on generated models and machines: never over budget, the plan's bytes equal
// what estimate_memory reports for the plan's own argv, monotone in free memory, deterministic, pins kept; and the
// placement emitter round-trips (emit -> parse -> resolve gives the same device for every tensor).
#include "../support/llama_shape.hpp"
#include "../support/planner_checks.hpp"

#include <algorithm>
#include <array>

#include <memory>
#include <string>
#include <vector>

namespace {
using namespace llamaplan;
using planner_checks::rng;
using planner_checks::gen_machine;
using planner_checks::argv_of;
using planner_checks::summary_of;
using planner_checks::check_reproduces;

/// A generated llama-shaped model: dense or MoE, optional sliding-window layers, tied or separate output head.
struct gen_model {
    test_support::llama_shape shape;
    std::vector<std::uint8_t> swa;
    hparams hp;
    bool moe = false;

    gen_model(rng& r, std::uint32_t max_layers = 80, std::uint32_t vocab = 0) {
        moe = r.chance(40);
        hp.architecture = moe ? "qwen3moe" : "llama";
        hp.n_layer = 1 + static_cast<std::uint32_t>(r.below(max_layers));
        hp.n_embd = 256u << r.below(4);
        hp.n_head = hp.n_embd / 64;
        hp.n_head_kv = std::max(1u, hp.n_head >> r.below(3));
        hp.n_embd_head_k = hp.n_embd_head_v = 64;
        hp.n_ff = hp.n_embd * (2 + static_cast<std::uint32_t>(r.below(3)));
        hp.n_vocab = 1000 + static_cast<std::uint32_t>(r.below(60000));
        if (vocab != 0) hp.n_vocab = vocab;  // a draft model speaks its target's vocabulary
        hp.n_ctx_train = 4096u << r.below(6);
        if (moe) {
            hp.n_expert = 4u << r.below(5);
            hp.n_expert_used = 1 + static_cast<std::uint32_t>(r.below(std::min(8u, hp.n_expert)));
            hp.n_ff_exp = hp.n_embd / 2;
        }
        if (r.chance(20)) {
            hp.n_swa = 512u << r.below(3);
            swa.resize(hp.n_layer);
            set_swa_pattern(swa, 4);
            hp.swa_layers = swa;
        }
        const ggml_type wt = r.chance(50) ? ggml_type::q4_0 : (r.chance(50) ? ggml_type::q8_0 : ggml_type::f16);
        const bool tied = r.chance(30);
        shape.build(hp, wt, 64, tied);
        REQUIRE(shape.ok);
    }
    [[nodiscard]] model view() const { return model{hp, shape.tensors}; }
};

}  // namespace

TEST_CASE("planner: never over budget, and the plan's argv reproduces its bytes, on generated models and machines") {
    std::size_t planned = 0, fitted = 0, moe_split = 0;
    for (std::uint64_t seed = 1; seed <= 600; ++seed) {
        rng r(seed);
        gen_model gm(r);
        gen_machine hw(r);
        const model m = gm.view();
        if (gm.moe && !hw.devices.empty() && r.chance(60)) {
            // GPUs that hold most of the model but not all of it: experts must be split off
            const std::uint64_t share = m.total_bytes() / hw.devices.size() / 100 * (40 + r.below(60));
            for (auto& d : hw.devices) d.memory_free = d.memory_total = share + (2ull << 30);
            hw.m.devices = hw.devices;
        }
        auto s = summary_of(m, hw.m);
        goal g;
        g.preset = static_cast<preset_id>(r.below(preset_count));
        auto p = plan_model(m, *s, hw.m, g);
        REQUIRE_MESSAGE(p.has_value(), "seed ", seed, ": ", p.error().what);
        ++planned;
        if (p->fits) {
            ++fitted;
            for (const auto& b : p->budgets) CHECK_MESSAGE(b.fits(), "seed ", seed, " device ", b.device);
            if (p->place.overrides) ++moe_split;
        } else {
            // a refusal names the device and the bytes by which the closest configuration missed
            bool found = false;
            for (const auto& b : p->budgets)
                if (b.device == p->short_device) { found = true; CHECK(b.shortfall() == p->short_bytes); }
            CHECK(found);
            CHECK(p->short_bytes > 0);
        }
        CHECK(p->reasons.size() >= 10);
        check_reproduces(*p, m, *s, hw.m);
    }
    CHECK(planned == 600);
    MESSAGE("plans: ", planned, ", fitting: ", fitted, ", with experts split from their blocks: ", moe_split);
    CHECK(fitted > 300);
    CHECK(moe_split > 10);
}

TEST_CASE("planner: a pinned -md draft is budgeted on the devices it lands on and kept in the argv") {
    std::size_t fitted = 0, on_gpu = 0;
    for (std::uint64_t seed = 3000; seed < 3150; ++seed) {
        rng r(seed);
        gen_model gm(r, 40);
        gen_model gd(r, 4, gm.hp.n_vocab);  // common_speculative_are_compatible wants the target's vocabulary
        gen_machine hw(r, 3);
        const model m = gm.view(), d = gd.view();
        auto s = summary_of(m, hw.m);
        std::vector<std::string> words = {"-m", "model.gguf", "-md", "draft.gguf", "--spec-type", "draft-simple"};
        if (r.chance(30)) { words.push_back("-ctkd"); words.push_back("q8_0"); }
        if (r.chance(20)) { words.push_back("-ngld"); words.push_back(std::to_string(r.below(gd.hp.n_layer + 2))); }
        if (r.chance(15)) { words.push_back("-devd"); words.push_back("none"); }
        else if (!hw.devices.empty() && r.chance(20)) {  // one GPU by its llama.cpp name ("CUDA1", "Vulkan0")
            char name[32];
            const auto dev = static_cast<std::int32_t>(r.below(hw.devices.size()));
            words.push_back("-devd");
            words.push_back(std::string(buffer_name(hw.m, {buffer_kind::gpu, dev}, name)));
        }
        if (r.chance(30)) { words.push_back("--spec-draft-n-max"); words.push_back(std::to_string(r.below(17))); }
        std::vector<std::string_view> views(words.begin(), words.end());
        auto args = parse_server_args(views);
        REQUIRE(args.has_value());
        goal g = goal_from_args(*args, static_cast<preset_id>(r.below(preset_count)));
        CHECK_FALSE(plan_model(m, *s, hw.m, g).has_value());  // -md without the loaded draft is refused
        g.draft_model = &d;
        auto p = plan_model(m, hw.m, g);
        REQUIRE_MESSAGE(p.has_value(), "seed ", seed, ": ", p.error().what);
        REQUIRE(p->memory.draft.present);
        if (p->fits) {
            ++fitted;
            for (const auto& b : p->budgets) CHECK_MESSAGE(b.fits(), "seed ", seed, " device ", b.device);
        }
        std::uint64_t draft_bytes = 0;
        for (const auto& row : p->memory.devices) {
            draft_bytes += row.draft;
            if (row.device != host_device && row.draft != 0) ++on_gpu;
        }
        CHECK(draft_bytes >= d.total_bytes() / 2);  // its weights at least (mapped or copied), wherever they are
        // the argv keeps -md and the draft's flags, and estimating it gives the plan's bytes, draft included
        const auto argv = argv_of(*p, m, *s, hw.m);
        CHECK(std::find(argv.begin(), argv.end(), "-md") != argv.end());
        check_reproduces(*p, m, *s, hw.m, &d);
    }
    MESSAGE("plans with a draft: 150, fitting: ", fitted, ", draft on a GPU: ", on_gpu);
    CHECK(fitted > 50);
    CHECK(on_gpu > 20);
}

TEST_CASE("planner: a draft takes GPU memory the target alone would have used") {
    rng r(77);
    gen_model gm(r, 40);
    gen_model gd(r, 4, gm.hp.n_vocab);
    const model m = gm.view(), d = gd.view();
    std::vector<device> gpus{device{"gpu0", backend::cuda, 0, 0}};
    machine hw{host{}, gpus};
    hw.host.memory_total = hw.host.memory_available = 256ull << 30;
    goal g;
    g.preset = preset_id::high_speed;
    g.gpu_margin = 0;
    // a GPU that holds the target and its context exactly, with nothing to spare
    gpus[0].memory_total = gpus[0].memory_free = 64ull << 30;
    auto alone = plan_model(m, hw, g);
    REQUIRE(alone.has_value());
    REQUIRE(alone->fits);
    gpus[0].memory_total = gpus[0].memory_free = alone->budgets[1].planned;
    alone = plan_model(m, hw, g);
    REQUIRE(alone.has_value());
    REQUIRE(alone->fits);
    g.draft_model = &d;
    g.draft_path = "draft.gguf";
    auto with = plan_model(m, hw, g);
    REQUIRE(with.has_value());
    REQUIRE(with->fits);
    CHECK(with->budgets[1].planned <= gpus[0].memory_free);
    CHECK(with->memory.row(0)->draft > 0);
    // the draft's bytes on the GPU came out of the target's share: fewer layers or a shorter context
    CHECK(with->memory.row(0)->total() - with->memory.row(0)->draft < alone->memory.row(0)->total());
}

TEST_CASE("planner: more free memory never gives less offload, and never a shorter context for offload-first goals") {
    std::size_t compared = 0;
    for (std::uint64_t seed = 1000; seed < 1300; ++seed) {
        rng r(seed);
        gen_model gm(r);
        gen_machine small(r, 4);
        const model m = gm.view();
        goal g;
        g.preset = r.chance(50) ? preset_id::balanced : preset_id::high_speed;
        const gen_machine big = small.scaled(3, 2);
        auto s1 = summary_of(m, small.m);
        auto s2 = summary_of(m, big.m);
        auto p1 = plan_model(m, *s1, small.m, g);
        auto p2 = plan_model(m, *s2, big.m, g);
        REQUIRE(p1.has_value());
        REQUIRE(p2.has_value());
        if (!p1->fits) continue;
        ++compared;
        CHECK_MESSAGE(p2->fits, "seed ", seed);
        CHECK_MESSAGE(p2->speed.gpu_read_bytes >= p1->speed.gpu_read_bytes, "seed ", seed);
        CHECK_MESSAGE(p2->ctx_per_slot >= p1->ctx_per_slot, "seed ", seed);
    }
    CHECK(compared > 150);
}

TEST_CASE("planner: context-first goals never get a shorter context with more memory") {
    for (std::uint64_t seed = 2000; seed < 2150; ++seed) {
        rng r(seed);
        gen_model gm(r);
        gen_machine small(r, 4);
        const model m = gm.view();
        goal g;
        g.preset = r.chance(50) ? preset_id::more_context : preset_id::long_context;
        const gen_machine big = small.scaled(2, 1);
        auto p1 = plan_model(m, *summary_of(m, small.m), small.m, g);
        auto p2 = plan_model(m, *summary_of(m, big.m), big.m, g);
        REQUIRE(p1.has_value());
        REQUIRE(p2.has_value());
        if (!p1->fits) continue;
        CHECK_MESSAGE(p2->ctx_per_slot >= p1->ctx_per_slot, "seed ", seed);
    }
}

TEST_CASE("planner: deterministic, and pinned settings are kept") {
    for (std::uint64_t seed = 3000; seed < 3200; ++seed) {
        rng r(seed);
        gen_model gm(r);
        gen_machine hw(r, 3);
        const model m = gm.view();
        auto s = summary_of(m, hw.m);
        // pin a few llama-server flags, as a user would
        std::vector<std::string> flags = {"llama-server", "-m", "x.gguf"};
        if (r.chance(50)) { flags.push_back("-c"); flags.push_back(std::to_string(512u << r.below(5))); }
        if (r.chance(40)) { flags.push_back("-ctk"); flags.push_back("q8_0"); flags.push_back("-ctv"); flags.push_back("q8_0"); }
        if (r.chance(30)) { flags.push_back("-np"); flags.push_back(std::to_string(1 + r.below(4))); }
        if (r.chance(30) && !hw.devices.empty()) { flags.push_back("-ngl"); flags.push_back(std::to_string(r.below(gm.hp.n_layer + 2))); }
        if (r.chance(20) && gm.moe) { flags.push_back("--n-cpu-moe"); flags.push_back(std::to_string(r.below(gm.hp.n_layer + 1))); }
        if (r.chance(20)) { flags.push_back("-t"); flags.push_back("3"); }
        std::vector<std::string_view> views(flags.begin(), flags.end());
        auto args = parse_server_args(views);
        REQUIRE(args.has_value());
        const goal g = goal_from_args(*args, static_cast<preset_id>(r.below(preset_count)));
        auto p = plan_model(m, *s, hw.m, g);
        REQUIRE_MESSAGE(p.has_value(), p.error().what);
        auto again = plan_model(m, *s, hw.m, g);
        REQUIRE(again.has_value());
        CHECK(argv_of(*p, m, *s, hw.m) == argv_of(*again, m, *s, hw.m));
        const auto& pin = args->pinned;
        if (pin.has(setting::n_ctx)) CHECK(p->params.n_ctx == args->params.n_ctx);
        if (pin.has(setting::type_k)) CHECK(p->params.type_k == ggml_type::q8_0);
        if (pin.has(setting::type_v)) CHECK(p->params.type_v == ggml_type::q8_0);
        if (pin.has(setting::n_parallel)) CHECK(p->params.n_seq_max == args->params.n_seq_max);
        if (pin.has(setting::threads)) CHECK(p->threads == 3);
        if (pin.any_placement()) {
            auto user = resolve_placement(m, hw.m, args->params);
            REQUIRE(user.has_value());
            CHECK(p->place.layers.n_gpu_layers == user->layers.n_gpu_layers);
            for (std::uint32_t i = 0; i < m.tensors.size(); ++i)
                CHECK(p->place.tensor_device(i, m.tensors[i]) == user->tensor_device(i, m.tensors[i]));
        }
        for (std::size_t k = 0; k < setting_count; ++k)
            if (pin.has(static_cast<setting>(k)))
                if (const reason* why = p->reason_for(static_cast<setting>(k))) CHECK(why->how == origin::pinned);
    }
}

TEST_CASE("placement: emit -> parse -> resolve gives the same device for every tensor") {
    std::size_t checked = 0, with_rules = 0;
    for (std::uint64_t seed = 5000; seed < 7000; ++seed) {
        rng r(seed);
        gen_model gm(r, 48);
        gen_machine hw(r, 4);
        const model m = gm.view();
        auto s = summary_of(m, hw.m);
        // a random placement: -ngl and -ts counts, then expert parts moved anywhere, maybe a whole group
        launch_params p;
        p.n_gpu_layers = static_cast<std::int32_t>(r.below(gm.hp.n_layer + 2));
        for (std::size_t d = 0; d < hw.devices.size(); ++d) p.tensor_split[d] = float(r.below(5));
        auto lp = place_layers(gm.hp, hw.m, p);
        REQUIRE(lp.has_value());
        placement pl;
        pl.layers = *lp;
        pl.follow_layers();
        const auto n_dev = static_cast<std::int32_t>(hw.devices.size());
        auto random_device = [&]() { return static_cast<std::int32_t>(r.below(std::size_t(n_dev) + 1)) - 1; };
        for (std::uint32_t il = 0; il < gm.hp.n_layer; ++il) {
            if (gm.moe && r.chance(40))
                for (auto part : {layer_part::expert_gate, layer_part::expert_up, layer_part::expert_down})
                    if (r.chance(60)) pl.set_part(il, part, random_device());
            if (r.chance(3)) pl.set_part(il, layer_part::attention, random_device());
        }
        if (r.chance(5)) pl.output = random_device();
        for (std::uint32_t il = 0; il < gm.hp.n_layer && !pl.overrides; ++il)
            for (std::size_t k = 0; k < layer_part_count; ++k)
                if (s->part(il, static_cast<layer_part>(k)).tensors != 0 && pl.parts[il][k] != pl.layers.of(il)) pl.overrides = true;
        if (pl.output != pl.layers.output()) pl.overrides = true;
        std::vector<std::string> args = {"llama-server", "-m", "x.gguf"};
        REQUIRE(emit_placement(pl, p, m, *s, hw.m, [&](std::string_view a) { args.emplace_back(a); }));
        std::vector<std::string_view> views(args.begin(), args.end());
        auto parsed = parse_server_args(views);
        REQUIRE_MESSAGE(parsed.has_value(), parsed.error().what);
        auto back = resolve_placement(m, hw.m, parsed->params);
        REQUIRE_MESSAGE(back.has_value(), back.error().what);
        CHECK(back->overrides == pl.overrides);
        CHECK(back->layers.n_gpu_layers == pl.layers.n_gpu_layers);
        for (std::uint32_t il = 0; il <= pl.layers.n_layer_all; ++il) CHECK(back->layers.of(il) == pl.layers.of(il));
        bool all_same = true;
        for (std::uint32_t i = 0; i < m.tensors.size(); ++i)
            all_same = all_same && back->tensor_device(i, m.tensors[i]) == pl.tensor_device(i, m.tensors[i]);
        CHECK_MESSAGE(all_same, "seed ", seed);
        ++checked;
        if (pl.overrides) ++with_rules;
    }
    CHECK(checked == 2000);
    CHECK(with_rules > 500);
}

TEST_CASE("emit: layer ranges become short regexes that match exactly their numbers") {
    auto ranges = [](std::uint64_t a, std::uint64_t b) {
        detail::text<512> t;
        bool first = true;
        detail::number_range_regex(t, a, b, first);
        return std::string(t.view());
    };
    CHECK(ranges(3, 35) == "[3-9]|[1-2][0-9]|3[0-5]");
    CHECK(ranges(0, 60) == "[0-9]|[1-5][0-9]|60");
    CHECK(ranges(0, 199) == "[0-9]|[1-9][0-9]|1[0-9][0-9]");
    CHECK(ranges(7, 7) == "7");
    CHECK(ranges(100, 199) == "1[0-9][0-9]");
    // every number in 0..400 is matched by exactly the ranges that contain it
    for (std::uint64_t a = 0; a < 130; a += 7)
        for (std::uint64_t b = a; b < 400; b += 13) {
            auto re = detail::regex::compile("^(" + ranges(a, b) + ")$");
            REQUIRE(re.has_value());
            for (std::uint64_t x = 0; x < 420; x += 3) {
                const std::string s = std::to_string(x);
                CHECK(re->search(s) == (x >= a && x <= b));
            }
        }
}

TEST_CASE("planner: MoE experts go to the host before any dense part, and come back as memory allows") {
    rng r(42);
    gen_model gm(r);
    auto expert_bytes = [](const gen_model& x) {
        std::uint64_t e = 0;
        for (const auto& t : x.shape.tensors) e += t.role == tensor_role::ffn_expert ? t.bytes : 0;
        return e;
    };
    while (!gm.moe || gm.hp.n_layer < 8 || expert_bytes(gm) < (8ull << 30)) gm = gen_model(r);
    const model m = gm.view();
    std::uint64_t total = 0, experts = 0;
    for (const auto& t : m.tensors) {
        total += t.bytes;
        if (t.role == tensor_role::ffn_expert) experts += t.bytes;
    }
    // a GPU that holds everything but half of the experts
    std::vector<device> gpu{device{"gpu", backend::cuda}};
    gpu[0].memory_free = gpu[0].memory_total = (total - experts / 2) + (3ull << 30);
    machine hw;
    hw.host.memory_total = hw.host.memory_available = 256ull << 30;
    hw.devices = gpu;
    goal g;
    g.preset = preset_id::high_speed;
    auto p = plan_model(m, hw, g);
    REQUIRE(p.has_value());
    REQUIRE(p->fits);
    CHECK(p->place.layers.n_gpu_layers == gm.hp.n_layer + 1);  // every dense part is on the GPU
    CHECK(p->place.overrides);                                  // and some experts are not
    std::uint32_t host_layers = 0;
    for (std::uint32_t il = 0; il < gm.hp.n_layer; ++il) host_layers += p->place.part(il, layer_part::expert_down) == host_device;
    CHECK(host_layers > 0);
    CHECK(host_layers < gm.hp.n_layer);
}

TEST_CASE("planner: co-resident models share every device, and each is told what it got") {
    std::size_t host_checked = 0;
    for (std::uint64_t seed = 8000; seed < 8100; ++seed) {
        rng r(seed);
        gen_model a(r), b(r);
        gen_machine hw(r, 3);
        const model ma = a.view(), mb = b.view();
        auto sa = summary_of(ma, hw.m);
        auto sb = summary_of(mb, hw.m);
        std::array<model_request, 2> req{{{&ma, sa.get(), goal{}}, {&mb, sb.get(), goal{}}}};
        req[1].g.preset = preset_id::high_speed;
        auto plans = std::make_unique<std::array<plan, 2>>();
        auto ok = plan_models(req, hw.m, *plans);
        REQUIRE(ok.has_value());
        if (!*ok) continue;
        // together they fit: on every GPU what both planned plus both margins (each process keeps its own headroom
        // there) is free; on the host what both planned plus the larger margin (the OS's headroom, kept once)
        for (std::size_t i = 0; i < (*plans)[0].budgets.size(); ++i) {
            const auto& x = (*plans)[0].budgets[i];
            const auto& y = (*plans)[1].budgets[i];
            REQUIRE(x.device == y.device);
            if (x.device == host_device && x.free == 0) continue;
            const std::uint64_t free = x.device == host_device ? hw.m.host.memory_available
                                                               : hw.devices[static_cast<std::size_t>(x.device)].memory_free;
            const std::uint64_t margins = x.device == host_device ? std::max(x.margin, y.margin) : x.margin + y.margin;
            CHECK_MESSAGE(x.planned + y.planned + margins <= free, "seed ", seed, " device ", x.device);
            if (x.device == host_device) host_checked += 1;
        }
        CHECK((*plans)[0].preset == preset_id::balanced);
        CHECK((*plans)[1].preset == preset_id::high_speed);
    }
    CHECK(host_checked > 30);
}

TEST_CASE("emit: flags for the targeted llama.cpp build") {
    llama_cpp_version v{};
    CHECK(parse_llama_cpp_version("b6325", v));
    CHECK(v.build == 6325);
    CHECK(parse_llama_cpp_version("7416", v));
    CHECK(v.build == 7416);
    CHECK(parse_llama_cpp_version("2025-08-30", v));  // the day -fa took a value
    CHECK(v.build == 6325);
    CHECK(parse_llama_cpp_version("2025-08-29", v));
    CHECK(v.build == 6089);
    CHECK(parse_llama_cpp_version("2026-12-01", v));
    CHECK(v.build == 10573);
    CHECK_FALSE(parse_llama_cpp_version("b5000", v));       // older than -kvu
    CHECK_FALSE(parse_llama_cpp_version("2025-13-01", v));
    CHECK_FALSE(parse_llama_cpp_version("latest", v));
    CHECK(supports(llama_cpp_version{6325}, flag_feature::fa_value));
    CHECK_FALSE(supports(llama_cpp_version{6324}, flag_feature::fa_value));
    CHECK_FALSE(supports(llama_cpp_version{10107}, flag_feature::load_mode));

    rng r(77);
    gen_model gm(r);
    while (!gm.moe) gm = gen_model(r);
    const model m = gm.view();
    std::vector<device> gpu{device{"gpu", backend::cuda}};
    std::uint64_t total = m.total_bytes();
    gpu[0].memory_free = gpu[0].memory_total = total / 2 + (2ull << 30);
    machine hw;
    hw.host.memory_total = hw.host.memory_available = 512ull << 30;
    hw.host.cpus_physical = 8;
    hw.devices = gpu;
    auto s = summary_of(m, hw);
    auto p = plan_model(m, *s, hw, goal{});
    REQUIRE(p.has_value());
    REQUIRE(p->fits);
    REQUIRE(p->place.overrides);  // half the model on the GPU: experts are split off
    auto args_for = [&](std::uint32_t build) {
        std::vector<std::string> out;
        CHECK(emit_argv(*p, m, *s, hw, "m.gguf", [&](std::string_view a) { out.emplace_back(a); }, "llama-server",
                        llama_cpp_version{build}));
        return out;
    };
    auto has = [](const std::vector<std::string>& a, std::string_view f) { return std::find(a.begin(), a.end(), f) != a.end(); };
    const auto now = args_for(10573);
    CHECK(has(now, "--load-mode"));
    CHECK(has(now, "--fit"));
    CHECK(has(now, "-cram"));
    CHECK(has(now, "-kvu"));  // llama-server's 4 slots share one KV cache
    const auto old = args_for(6089);  // before -fa values, -cram, --fit, -no-kvu and --load-mode
    CHECK_FALSE(has(old, "--load-mode"));
    CHECK_FALSE(has(old, "--fit"));
    CHECK_FALSE(has(old, "-cram"));
    CHECK_FALSE(has(old, "-no-kvu"));
    CHECK_FALSE(has(old, "on"));
    CHECK(has(old, "-fa"));
    const auto older = args_for(6050);  // before --n-cpu-moe and --cpu-moe: the same placement as -ot rules
    CHECK_FALSE(has(older, "--n-cpu-moe"));
    CHECK_FALSE(has(older, "--cpu-moe"));
    CHECK(has(older, "-ot"));
    // llama-cpp-python has no tensor overrides: such a plan is refused by its emitter
    std::string kwargs;
    CHECK_FALSE(emit_python_kwargs(*p, hw, "m.gguf", [&](std::string_view x) { kwargs += x; }));
    CHECK(kwargs.empty());
    goal g;  // what `plan --format llama-cpp-python` asks for: no -ot, one sequence
    g.tensor_overrides = false;
    g.params.n_seq_max = 1;
    g.params.kv_unified = false;
    g.pinned.add(setting::n_parallel);
    g.pinned.add(setting::kv_unified);
    auto q = plan_model(m, *s, hw, g);
    REQUIRE(q.has_value());
    CHECK_FALSE(q->place.overrides);
    CHECK(emit_python_kwargs(*q, hw, "m.gguf", [&](std::string_view x) { kwargs += x; }));
    CHECK(kwargs.find("n_gpu_layers=" + std::to_string(q->place.layers.n_gpu_layers) + ",") != std::string::npos);
    CHECK(kwargs.find("swa_full=False") != std::string::npos);
}

TEST_CASE("planner: a pinned placement is emitted as the user's own flags (fuzz finding)") {
    // tests/fuzz/fuzz_planner.cpp found a MoE model of 94 blocks pinned with `-ngl 95 -ot .*=CPU`: the emitter rebuilt
    // the resolved placement as one -ot rule per block part (189 rules), which no parser with 32 rules accepts.
    std::uint64_t seed = 1;
    for (;; ++seed) {
        rng probe(seed);
        gen_model candidate(probe, 96);
        if (candidate.moe && candidate.hp.n_layer >= 40) break;
    }
    rng r(seed);
    gen_model gm(r, 96);
    const model m = gm.view();
    const std::array<device, 2> gpus{{{"gpu0", backend::cuda, 24ull << 30, 24ull << 30},
                                      {"gpu1", backend::vulkan, 16ull << 30, 16ull << 30}}};
    machine hw;
    hw.host.memory_total = hw.host.memory_available = 512ull << 30;
    hw.devices = gpus;
    auto s = summary_of(m, hw);
    for (const auto& flags : std::vector<std::vector<std::string>>{
             {"llama-server", "-m", "x.gguf", "-ngl", std::to_string(gm.hp.n_layer + 1), "-ot", ".*=CPU"},
             {"llama-server", "-m", "x.gguf", "-ot", "blk\\.1[0-9]\\.=Vulkan0", "-ot", "attn=CUDA0", "--n-cpu-moe", "7"},
             {"llama-server", "-m", "x.gguf", "-ts", "3,1", "-ot", "exps=CPU"}}) {
        std::vector<std::string_view> views(flags.begin(), flags.end());
        auto args = parse_server_args(views);
        REQUIRE(args.has_value());
        auto p = plan_model(m, *s, hw, goal_from_args(*args));
        REQUIRE(p.has_value());
        CHECK(p->user_placement);
        const auto argv = argv_of(*p, m, *s, hw);
        // the user's rules, once each and in order
        std::vector<std::string> rules;
        for (std::size_t i = 0; i + 1 < argv.size(); ++i)
            if (argv[i] == "-ot") rules.push_back(argv[i + 1]);
        std::vector<std::string> given;
        for (std::size_t i = 0; i + 1 < flags.size(); ++i)
            if (flags[i] == "-ot") given.push_back(flags[i + 1]);
        CHECK(rules == given);
        check_reproduces(*p, m, *s, hw);
    }
}
