// llama-server runs over llama.cpp's RPC backend (tests/data/rpc_real, measured by tools/check_rpc_real.py; commit,
// CPU and command in its README): two or three ggml-rpc-server workers on loopback, each exposing the CPU as one
// device. Every row is estimated again here as `llamaplan estimate --worker EP=cpu.json ... -- llama-server --rpc
// EP,... FLAGS` does it: the devices in llama.cpp's order (the servers' first, in --rpc order), their names
// ("RPC0[127.0.0.1:61150]"), and every model, KV, recurrent-state and output buffer on every worker and on the host to
// the 0.01 MiB llama.cpp prints. Compute buffers: the host's is exact when it runs no block, attention or expert; a
// worker's is exact where its split is replayed (the standard decoder graph, no part of a block elsewhere:
// compute_buffer_device), and at least llama.cpp's elsewhere (the whole graph plus the host's copies).
#include <doctest/doctest.h>

#include "../support/groundtruth.hpp"
#include "extra_loader.hpp"
#include "extra_models.hpp"

#include <llamaplan/emit.hpp>
#include <llamaplan/memory.hpp>
#include <llamaplan/planner.hpp>
#include <llamaplan/probe/machine_file.hpp>
#include <llamaplan/server_args.hpp>

#include <algorithm>
#include <cmath>
#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

#ifndef LLAMAPLAN_TEST_DATA
#error "LLAMAPLAN_TEST_DATA must name tests/data"
#endif

namespace {

/// The estimate's buffers keyed as check_rpc_real.py records llama-server's lines ("KV:RPC0[127.0.0.1:61150]", ...).
std::map<std::string, std::uint64_t> estimated_buffers(const llamaplan::memory_estimate& e, const llamaplan::machine& hw) {
    std::map<std::string, std::uint64_t> out;
    char name[llamaplan::buffer_name_capacity];
    auto put = [&](const char* kind, const llamaplan::buffer_list& l) {
        for (const auto& b : l) out[std::string(kind) + ":" + std::string(llamaplan::buffer_name(hw, b.buffer, name))] += b.bytes;
    };
    put("model", e.model_buffers);
    put("output", e.output_buffers);
    put("KV", e.kv_buffers);
    put("RS", e.recurrent_buffers);
    put("compute", e.compute_buffers);
    return out;
}

}  // namespace

TEST_CASE("llama-server over RPC workers: every buffer on every worker and on the host") {
    using namespace llamaplan;
    const std::string dir = std::string(LLAMAPLAN_TEST_DATA) + "/rpc_real";
    const auto table = groundtruth::read_csv(dir + "/measured.csv");
    REQUIRE(table.has_value());
    REQUIRE(table->rows.size() == 114);

    std::string message;
    auto cpu = probe::load_machine_file(std::string(LLAMAPLAN_TEST_DATA) + "/real_plans/machines/cpu.json", &message);
    REQUIRE_MESSAGE(cpu.has_value(), message);
    const machine host_only = cpu->view();  // the main host: this CPU, no GPU
    // the planned rows' host: tight.json with 64 MiB of RAM, all available (llamaplan plan --host-ram 64MiB)
    auto tight = probe::load_machine_file(std::string(LLAMAPLAN_TEST_DATA) + "/real_plans/machines/tight.json", &message);
    REQUIRE_MESSAGE(tight.has_value(), message);
    machine small_host = tight->view();
    small_host.host.memory_total = small_host.host.memory_available = 64ull << 20;
    const auto defs = extra::models();
    std::map<std::string, std::unique_ptr<extra::loaded_model>> models;
    for (const auto& d : defs) {
        auto m = std::make_unique<extra::loaded_model>();
        const std::string err = extra::load_model(d, defs, std::string(LLAMAPLAN_TEST_DATA) + "/extra", *m);
        REQUIRE_MESSAGE(err.empty(), err);
        models[d.id] = std::move(m);
    }

    std::map<std::string, std::size_t> exact_by_kind, by_kind;
    double worst_over = 0;       // the largest device compute over-estimate (MiB)
    double worst_host_over = 0;  // the same for a host that runs blocks, attention or experts
    std::size_t rows = 0, aborted = 0, planned_rows = 0, planned_on_workers = 0;
    for (std::size_t r = 0; r < table->rows.size(); ++r) {
        const std::string id = table->get(r, "model");
        const std::string rpc = table->get(r, "rpc");
        const std::string what = id + " --rpc " + rpc + " " + table->get(r, "flags");
        CAPTURE(what);
        REQUIRE(models.count(id) == 1);
        const model m = models[id]->view();

        // each worker: an rpc-server with its defaults on this CPU (tools/rpc/rpc-server.cpp: no GPU, so the CPU)
        std::vector<std::string> endpoints = groundtruth::split(rpc, ',');
        std::vector<device> remote;
        for (const auto& ep : endpoints) {
            std::array<device, 4> devs{};
            REQUIRE(rpc_worker_devices(host_only, ep, devs) == 1);
            CHECK(devs[0].kind == backend::cpu);
            remote.push_back(devs[0]);
        }
        const std::string preset_name = table->get(r, "preset");
        machine_storage storage;
        REQUIRE(with_rpc_devices(preset_name.empty() ? host_only : small_host, remote, storage));
        const machine hw = storage.view();
        REQUIRE(hw.devices.size() == endpoints.size());

        std::vector<std::string> argv = {"llama-server", "-m", "MODEL", "--rpc", rpc};
        for (const auto& f : groundtruth::split(table->get(r, "flags"), ' '))
            if (!f.empty()) argv.push_back(f);
        if (preset_name.empty()) {
            argv.push_back("--fit");
            argv.push_back("off");
        }
        const std::vector<std::string_view> views(argv.begin(), argv.end());
        auto args = parse_server_args(views);
        REQUIRE_MESSAGE(args.has_value(), args.error().what);
        if (!preset_name.empty()) {
            // a plan over the workers: `llamaplan plan MODEL --machine tight.json --host-ram 64MiB --host-margin
            // 8MiB --worker ... --preset P -- --rpc ...` plans the argv llama-server ran
            const std::vector<std::string_view> asked = {"llama-server", "-m", "MODEL", "--rpc", rpc};
            auto pinned = parse_server_args(asked);
            REQUIRE(pinned.has_value());
            preset_id preset{};
            REQUIRE(parse_preset(preset_name, preset));
            goal g = goal_from_args(*pinned, preset);
            g.host_margin = 8ull << 20;
            auto summary = std::make_unique<model_summary>();
            REQUIRE(summarize(m, hw, true, true, *summary).has_value());
            const model_request req{&m, summary.get(), g};
            std::vector<plan> plans(1);
            REQUIRE(plan_models(std::span<const model_request>(&req, 1), hw, plans).has_value());
            CHECK(plans[0].fits);
            std::vector<std::string> emitted;
            REQUIRE(emit_argv(plans[0], m, *summary, hw, "MODEL", [&](std::string_view a) { emitted.emplace_back(a); }));
            std::string planned;
            for (std::size_t i = 5; i < emitted.size(); ++i) planned += (i > 5 ? " " : "") + emitted[i];
            CHECK(planned == table->get(r, "flags"));
            ++planned_rows;
            bool uses_worker = false;
            for (std::uint32_t il = 0; il <= plans[0].memory.layers.n_layer_all; ++il)
                uses_worker = uses_worker || plans[0].memory.layers.of(il) != host_device;
            planned_on_workers += uses_worker ? 1 : 0;  // the small models fit the 64 MiB host alone
        }
        CHECK(args->rpc == rpc);
        auto est = estimate_memory(m, hw, args->params);
        REQUIRE_MESSAGE(est.has_value(), est.error().what);
        CHECK(std::to_string(est->n_ctx) == table->get(r, "n_ctx"));
        CHECK(std::to_string(est->n_ubatch) == table->get(r, "n_ubatch"));

        // llama.cpp aborts some graphs over RPC after allocating them (the worker refuses a graph node: mamba2's
        // SSM scan at 3f545bec); their buffers are logged before that and compared all the same
        if (table->get(r, "loaded") != "1") ++aborted;
        auto ours = estimated_buffers(*est, hw);
        // the host runs only the token embedding's GET_ROWS when every block, its KV cache and its weights are on
        // the workers; otherwise it runs blocks, attention (-nkvo) or expert matmuls (--cpu-moe, -ot ...=CPU)
        const std::string flags = table->get(r, "flags");
        // the devices' compute buffers are replayed for the standard decoder graph when no part of a block runs
        // elsewhere (-nkvo, --cpu-moe, -ot): llama, qwen3moe, gemma3 and phi3 here; MLA, Mamba and the hybrid keep
        // the bound
        const bool replayed = traits(arch_of(m.hp)).graph == graph_family::decoder && !m.hp.is_mla() &&
                              flags.find("-nkvo") == std::string::npos && flags.find("cpu-moe") == std::string::npos &&
                              flags.find("-ot") == std::string::npos;
        const bool host_idle = est->layers.n_gpu_layers == est->layers.n_layer_all + 1 &&
                               flags.find("-nkvo") == std::string::npos && flags.find("cpu-moe") == std::string::npos &&
                               flags.find("=CPU") == std::string::npos;
        // the lines, per buffer (a device's SWA and non-SWA KV caches are two lines: summed, to 0.01 MiB each)
        std::map<std::string, std::pair<double, int>> measured;
        for (const auto& item : groundtruth::split(table->get(r, "buffers"), ';')) {
            const auto eq = item.find('=');
            REQUIRE(eq != std::string::npos);
            std::string key = item.substr(0, eq);
            if (key.rfind("KV_SWA:", 0) == 0) key = "KV:" + key.substr(7);
            measured[key].first += std::stod(item.substr(eq + 1));
            measured[key].second += 1;
        }
        for (const auto& entry : measured) {  // no structured bindings: doctest's messages capture them in lambdas
            const std::string& key = entry.first;
            const auto& line = entry.second;
            const double mib = line.first;
            const std::string kind = key.substr(0, key.find(':'));
            REQUIRE_MESSAGE(ours.count(key) == 1, "llama-server logged " << key << ", the estimate has no such buffer");
            const double est_mib = groundtruth::mib(ours[key]);
            if (kind == "compute") {
                if (key == "compute:CPU" && host_idle) {
                    ++by_kind["compute:host"];
                    const bool exact = groundtruth::same_mib(ours[key], mib);
                    exact_by_kind["compute:host"] += exact ? 1 : 0;
                    CHECK_MESSAGE(exact, key << ": estimated " << est_mib << " MiB, llama-server " << mib);
                } else if (key == "compute:CPU") {
                    ++by_kind["compute:busy_host"];
                    CHECK_MESSAGE(est_mib >= mib - 0.005, key << ": estimated " << est_mib << " MiB < llama-server's " << mib);
                    worst_host_over = std::max(worst_host_over, est_mib - mib);
                } else {
                    if (replayed) {  // the device's own split, replayed (compute_buffer_device): exact
                        ++by_kind["compute:device"];
                        const bool exact = groundtruth::same_mib(ours[key], mib);
                        exact_by_kind["compute:device"] += exact ? 1 : 0;
                        CHECK_MESSAGE(exact, key << ": estimated " << est_mib << " MiB, llama-server " << mib);
                    } else {  // the whole graph and the copies the host's work sends: a bound
                        ++by_kind["compute:device_bound"];
                        CHECK_MESSAGE(est_mib >= mib - 0.005, key << ": estimated " << est_mib << " MiB < llama-server's " << mib);
                        worst_over = std::max(worst_over, est_mib - mib);
                    }
                }
                continue;
            }
            ++by_kind[kind];
            const bool exact = line.second == 1 ? groundtruth::same_mib(ours[key], mib) : std::abs(est_mib - mib) < 0.0151;
            exact_by_kind[kind] += exact ? 1 : 0;
            CHECK_MESSAGE(exact, key << ": estimated " << est_mib << " MiB, llama-server " << mib << " MiB");
        }
        std::size_t nonzero = 0;
        for (const auto& entry : ours) nonzero += entry.second != 0 && measured.count(entry.first) == 0 ? 1 : 0;
        CHECK_MESSAGE(nonzero == 0, "the estimate has buffers llama-server did not log");
        const std::size_t logged = measured.size();
        CHECK(logged > 0);
        ++rows;
    }
    MESSAGE("RPC runs: " << rows << " (" << aborted << " aborted by llama.cpp after allocating; " << planned_rows
            << " planned, " << planned_on_workers << " of them on the workers); exact: model "
            << exact_by_kind["model"] << "/" << by_kind["model"] << ", KV " << exact_by_kind["KV"] << "/" << by_kind["KV"]
            << ", RS " << exact_by_kind["RS"] << "/" << by_kind["RS"] << ", output " << exact_by_kind["output"] << "/"
            << by_kind["output"] << ", host compute " << exact_by_kind["compute:host"] << "/" << by_kind["compute:host"]
            << ", device compute " << exact_by_kind["compute:device"] << "/" << by_kind["compute:device"]
            << "; upper bounds: device compute " << by_kind["compute:device_bound"] << " (at most " << worst_over
            << " MiB over), busy host compute " << by_kind["compute:busy_host"] << " (at most " << worst_host_over << " MiB over)");
    CHECK(rows == 114);
    CHECK(aborted == 7);
    CHECK(by_kind["model"] == 346);
    CHECK(by_kind["KV"] == 186);
    CHECK(by_kind["RS"] == 22);
    CHECK(by_kind["output"] == 114);
    CHECK(by_kind["compute:host"] == 80);
    CHECK(by_kind["compute:device"] == 125);
    CHECK(by_kind["compute:device_bound"] == 103);
    CHECK(planned_rows == 30);
    CHECK(planned_on_workers == 23);
}
