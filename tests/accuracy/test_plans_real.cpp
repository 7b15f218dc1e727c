// Plans run by a real llama-server (tests/data/real_plans, measured by tools/check_plans_real.py; the llama.cpp commit,
// CPU and command are in its README). Every row is planned again here as `llamaplan plan MODEL --machine
// machines/<machine>.json --preset <preset> <flags>` does it; the plan must be the argv llama-server ran, llama-server
// must have loaded it with the planned context, batch, flash attention and slots, and every buffer it logged must be
// the plan's to the 0.01 MiB llama.cpp prints (model, KV -- SWA and non-SWA caches apart --, RS, output and compute),
// with no planned buffer that llama-server did not log.
#include <doctest/doctest.h>

#include "../support/groundtruth.hpp"
#include "extra_loader.hpp"
#include "extra_models.hpp"

#include <llamaplan/emit.hpp>
#include <llamaplan/planner.hpp>
#include <llamaplan/probe/machine_file.hpp>
#include <llamaplan/server_args.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#ifndef LLAMAPLAN_TEST_DATA
#error "LLAMAPLAN_TEST_DATA must name tests/data"
#endif

namespace {

/// "1GiB" / "512MiB" (the only size forms measured.csv uses in its flags).
std::uint64_t parse_size(const std::string& s) {
    const auto unit = s.find_first_not_of("0123456789");
    const std::uint64_t n = std::stoull(s.substr(0, unit));
    const std::string u = unit == std::string::npos ? "" : s.substr(unit);
    REQUIRE_MESSAGE((u == "GiB" || u == "MiB"), "unexpected size '" << s << "'");
    return u == "GiB" ? n << 30 : n << 20;
}

/// The plan's buffers keyed as check_plans_real.py records llama-server's lines ("KV:CPU", "KV_SWA:CPU", ...).
std::map<std::string, std::uint64_t> planned_buffers(const llamaplan::memory_estimate& e, const llamaplan::machine& hw) {
    std::map<std::string, std::uint64_t> out;
    char name[32];
    auto put = [&](const char* kind, const llamaplan::buffer_list& l) {
        for (const auto& b : l) out[std::string(kind) + ":" + std::string(llamaplan::buffer_name(hw, b.buffer, name))] += b.bytes;
    };
    put("model", e.model_buffers);
    put("output", e.output_buffers);
    put("KV", e.kv_buffers);
    put("RS", e.recurrent_buffers);
    put("compute", e.compute_buffers);
    if (e.kv_swa != 0) {  // llama_kv_cache_iswa logs the non-SWA cache, then the SWA cache (one CPU buffer each here)
        REQUIRE(e.kv_buffers.size() == 1);
        const std::string key = "KV:" + std::string(llamaplan::buffer_name(hw, e.kv_buffers[0].buffer, name));
        out[key] -= e.kv_swa;
        out["KV_SWA" + key.substr(2)] = e.kv_swa;
    }
    return out;
}

}  // namespace

TEST_CASE("plans run by a real llama-server: the argv it ran, the context it loaded, every buffer it logged") {
    using namespace llamaplan;
    const std::string dir = std::string(LLAMAPLAN_TEST_DATA) + "/real_plans";
    const auto table = groundtruth::read_csv(dir + "/measured.csv");
    REQUIRE(table.has_value());
    REQUIRE(table->rows.size() == 154);

    std::map<std::string, probe::probe_result> machines;
    for (const char* name : {"cpu", "tight"}) {
        std::string message;
        auto loaded = probe::load_machine_file(dir + "/machines/" + name + ".json", &message);
        REQUIRE_MESSAGE(loaded.has_value(), message);
        // the CPU llama-server ran on: AVX-512 without AMX, so CPU_REPACK and no AMX buffer
        CHECK(loaded->host.cpu_repack);
        CHECK_FALSE(loaded->host.cpu_amx);
        machines.emplace(name, std::move(*loaded));
    }
    const auto defs = extra::models();
    std::map<std::string, std::unique_ptr<extra::loaded_model>> models;
    for (const auto& d : defs) {
        auto m = std::make_unique<extra::loaded_model>();
        const std::string err = extra::load_model(d, defs, std::string(LLAMAPLAN_TEST_DATA) + "/extra", *m);
        REQUIRE_MESSAGE(err.empty(), err);
        models[d.id] = std::move(m);
    }

    std::size_t rows = 0, fitting = 0, shrunk = 0, buffers = 0;
    std::map<std::string, std::size_t> per_kind;
    std::set<std::string> archs;
    for (std::size_t r = 0; r < table->rows.size(); ++r) {
        const std::string id = table->get(r, "model");
        const std::string what = id + " --machine " + table->get(r, "machine") + " --preset " + table->get(r, "preset") +
                                 " " + table->get(r, "flags");
        CAPTURE(what);
        REQUIRE(models.count(id) == 1);
        REQUIRE(machines.count(table->get(r, "machine")) == 1);
        const model m = models[id]->view();
        const machine hw = machines.at(table->get(r, "machine")).view();

        // `llamaplan plan MODEL --machine FILE --preset P FLAGS` (examples/llamaplan/cmd_plan.cpp)
        std::vector<std::string> argv = {"llama-server", "-m", "MODEL"};
        std::uint64_t host_margin = unset_bytes;
        const auto flags = groundtruth::split(table->get(r, "flags"), ' ');
        for (std::size_t i = 0; i < flags.size(); ++i) {
            if (flags[i].empty()) continue;
            if (flags[i] == "--host-margin" && i + 1 < flags.size()) host_margin = parse_size(flags[++i]);
            else argv.push_back(flags[i]);
        }
        const std::vector<std::string_view> views(argv.begin(), argv.end());
        auto args = parse_server_args(views);
        REQUIRE(args.has_value());
        preset_id preset{};
        REQUIRE(parse_preset(table->get(r, "preset"), preset));
        goal g = goal_from_args(*args, preset);
        g.host_margin = host_margin;
        const bool mmap = g.pinned.has(setting::load_mode) ? g.params.use_mmap : true;
        const bool repack = g.pinned.has(setting::repack) ? g.params.cpu_repack : true;
        auto summary = std::make_unique<model_summary>();
        REQUIRE(summarize(m, hw, mmap, repack, *summary).has_value());
        const model_request req{&m, summary.get(), g};
        std::vector<plan> plans(1);
        REQUIRE(plan_models(std::span<const model_request>(&req, 1), hw, plans).has_value());
        const plan& p = plans[0];

        // the argv llama-server ran (after `-m MODEL`; the script added only --host, --port, --no-warmup, -lv 4)
        CHECK(int(p.fits) == std::stoi(table->get(r, "fits")));
        std::vector<std::string> emitted;
        REQUIRE(emit_argv(p, m, *summary, hw, "MODEL", [&](std::string_view a) { emitted.emplace_back(a); }));
        std::string planned_argv;
        for (std::size_t i = 3; i < emitted.size(); ++i) planned_argv += (i > 3 ? " " : "") + emitted[i];
        CHECK(planned_argv == table->get(r, "argv"));

        // it loaded, with the planned context, batches, flash attention and slots
        REQUIRE(table->get(r, "loaded") == "1");
        CHECK(table->get(r, "rc") == "0");
        const auto& e = p.memory;
        CHECK(std::to_string(e.n_ctx) == table->get(r, "n_ctx"));
        CHECK(std::to_string(e.n_ctx_seq) == table->get(r, "n_ctx_seq"));
        CHECK(std::to_string(e.n_batch) == table->get(r, "n_batch"));
        CHECK(std::to_string(e.n_ubatch) == table->get(r, "n_ubatch"));
        CHECK((e.flash_attn ? "enabled" : "disabled") == table->get(r, "flash_attn"));
        CHECK(std::to_string(p.params.n_seq_max) == table->get(r, "n_slots"));
        // a slot's context is llama_n_ctx_seq capped at the training context (tools/server/server-context.cpp
        // load_model); with -kvu that is the whole context, not the plan's ctx_per_slot share
        CHECK(std::to_string(std::min(e.n_ctx_seq, m.hp.n_ctx_train)) == table->get(r, "n_ctx_slot"));

        // every buffer it logged is the plan's, to the printed 0.01 MiB, and it logged every planned buffer
        auto planned = planned_buffers(e, hw);
        std::size_t logged = 0;
        for (const auto& item : groundtruth::split(table->get(r, "buffers"), ';')) {
            const auto eq = item.find('=');
            REQUIRE(eq != std::string::npos);
            const std::string key = item.substr(0, eq);
            const double mib = std::stod(item.substr(eq + 1));
            ++logged;
            ++per_kind[key.substr(0, key.find(':'))];
            REQUIRE_MESSAGE(planned.count(key) == 1, "llama-server logged " << key << ", the plan has no such buffer");
            const bool exact = groundtruth::same_mib(planned[key], mib);
            CHECK_MESSAGE(exact, key << ": planned " << groundtruth::mib(planned[key]) << " MiB, llama-server " << mib << " MiB");
        }
        std::size_t nonzero = 0;
        for (const auto& [key, bytes] : planned) nonzero += bytes != 0 ? 1 : 0;
        CHECK_MESSAGE(logged == nonzero, "the plan has buffers llama-server did not log");
        buffers += logged;
        ++rows;
        if (p.fits) ++fitting;
        const std::uint32_t target = preset_of(preset).ctx_target;
        const std::uint32_t wanted = target == 0 || target > m.hp.n_ctx_train ? m.hp.n_ctx_train : target;
        if (p.fits && p.ctx_per_slot < wanted && !g.pinned.has(setting::n_ctx))
            ++shrunk;  // the host's RAM, not the preset's target or the training context, set the context
        archs.emplace(m.hp.architecture);
    }
    MESSAGE("llama-server runs: " << rows << " (" << fitting << " fitting plans, " << shrunk << " with a context the host "
            "RAM shrank), " << buffers << " buffers compared, " << archs.size() << " architectures");
    CHECK(rows == 154);
    CHECK(fitting == 134);
    CHECK(shrunk == 17);  // all on tight.json
    CHECK(archs.size() == 21);
    CHECK(per_kind["RS"] == 62);
    CHECK(per_kind["KV_SWA"] == 26);
}
