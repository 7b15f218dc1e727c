// SPDX-License-Identifier: MIT
// Real llama-server logs of this project's synthetic models, made with a CPU build of llama.cpp 3f545bec by
// tools/make_log_fixtures.py (tests/data/logs/cpu): calibration finds no difference on an exact CPU run; real
// allocation failures under an address-space limit are read with their phase and size; a mixed and a truncated log;
// the /metrics and /slots scrapes of the same server.
#include "../accuracy/extra_loader.hpp"

#include <llamaplan/logs/calibrate.hpp>
#include <llamaplan/logs/metrics.hpp>
#include <llamaplan/logs/reader.hpp>
#include <llamaplan/logs/replan.hpp>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace logs = llamaplan::logs;
using logs::buffer_role;

namespace {
std::string cpu_text(const std::string& name) {
    std::ifstream f(std::string(LLAMAPLAN_TEST_DATA) + "/logs/cpu/" + name, std::ios::binary);
    REQUIRE_MESSAGE(f.good(), name);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}
logs::run_log last_run(const std::string& text) {
    auto r = logs::read_log(text);
    REQUIRE(r.has_value());
    return r->runs.back();
}
/// The synthetic model a log loaded (its file name is the model's id in extra_models.hpp).
void load_model_of(const logs::run_log& run, extra::loaded_model& out) {
    const std::string id = std::filesystem::path(run.model_path).stem().string();
    const auto defs = extra::models();
    for (const auto& d : defs)
        if (d.id == id) {
            const std::string err = extra::load_model(d, defs, std::string(LLAMAPLAN_TEST_DATA) + "/extra", out);
            REQUIRE_MESSAGE(err.empty(), err);
            return;
        }
    FAIL("no synthetic model " << id);
}
}  // namespace

TEST_CASE("logs cpu: calibrate reports zero difference on exact CPU runs") {
    for (const char* name : {"llama_c1024_np2.log", "qwen3moe_c512.log", "gemma3_swa_c2048.log", "mamba2_c512_np2.log",
                             "llama_reference_for_oom.log"}) {
        CAPTURE(name);
        const auto run = last_run(cpu_text(name));
        CHECK(run.loaded);
        CHECK(run.build_number.has_value());
        REQUIRE(!run.buffers.empty());
        extra::loaded_model m;
        load_model_of(run, m);
        auto lm = logs::machine_from_log(run);
        const auto hw = lm.view();
        CHECK(hw.devices.empty());
        auto rep = logs::calibrate(run, m.view(), hw, llamaplan::launch_params{}, name);
        REQUIRE(rep.has_value());
        for (const auto& b : rep->buffers) {
            CAPTURE(b.name);
            CAPTURE(logs::to_string(b.role));
            CHECK(b.exact());
            CHECK(b.difference() == 0);
        }
        CHECK(rep->exact);
        for (const auto& d : rep->devices) CHECK(d.predicted == d.logged);
        // the breakdown table printed at exit agrees with the buffers (integer MiB, truncated)
        const auto* host = run.breakdown_of("Host");
        REQUIRE(host != nullptr);
        CHECK(host->model == static_cast<std::int64_t>(logs::mib100_to_bytes(run.sum_mib100(buffer_role::model)) >> 20));
    }
}

TEST_CASE("logs cpu: the SWA and recurrent cell lines, timings") {
    const auto g = last_run(cpu_text("gemma3_swa_c2048.log"));
    CHECK(g.kv.size() == 2);  // the non-SWA and the SWA cache
    const auto m = last_run(cpu_text("mamba2_c512_np2.log"));
    REQUIRE(!m.rs.empty());
    CHECK(m.rs[0].layers == 3);
    const auto l = last_run(cpu_text("llama_c1024_np2.log"));
    CHECK(l.n_seq_max == 2u);
    CHECK(l.n_slots == 2u);
    CHECK(l.n_ctx_slot == 512u);
    // the synthetic model's prompt became no tokens (no real tokenizer): the timing lines are read, with zeros
    REQUIRE(!l.timings.empty());
    CHECK(l.timings[0].has_prompt);
    CHECK(l.timings[0].has_eval);
    CHECK(l.timings[0].eval_tokens == 0);
}

TEST_CASE("logs cpu: a real allocation failure in the compute phase") {
    // (tools/make_log_fixtures.py found no address-space limit between the start-up's and the compute buffer's
    // that fails in the weights or the KV phase of this small model: those phases are tested on public logs)
    const auto ref = last_run(cpu_text("llama_reference_for_oom.log"));
    struct want { const char* file; logs::failure_phase phase; buffer_role role; };
    for (const want& w : {want{"oom_compute.log", logs::failure_phase::compute, buffer_role::compute}}) {
        CAPTURE(w.file);
        const auto run = last_run(cpu_text(w.file));
        REQUIRE(run.failure.present);
        CHECK(run.failure.phase == w.phase);
        CHECK(run.failure.backend == "CPU");
        CHECK(run.failure.device == -1);
        CHECK(run.failure.size_exact);
        // the allocation that failed is the buffer the same settings logged when they fitted
        CHECK(logs::bytes_to_mib100(run.failure.bytes) == ref.sum_mib100(w.role));
        CHECK(!run.loaded);
        // re-planning shrinks the host's RAM budget by the whole allocation (no free figure for the host) + margin
        llamaplan::machine hw;
        hw.host.memory_total = hw.host.memory_available = 64ull << 30;
        auto am = logs::budgets_after(run, hw, 1ull << 30);
        REQUIRE(am.has_value());
        REQUIRE(am->changes.size() == 1);
        CHECK(am->changes[0].device == llamaplan::host_device);
        CHECK(am->changes[0].after == (64ull << 30) - run.failure.bytes - (1ull << 30));
    }
}

TEST_CASE("logs cpu: a mixed log (two servers' output appended) and a truncated one") {
    const std::string a = cpu_text("llama_c1024_np2.log"), b = cpu_text("qwen3moe_c512.log");
    auto r = logs::read_log(a + b);
    REQUIRE(r.has_value());
    REQUIRE(r->runs.size() == 2);
    CHECK(std::filesystem::path(r->runs[0].model_path).stem() == "llama-4L-512");
    CHECK(std::filesystem::path(r->runs[1].model_path).stem() == "qwen3moe-e8u2");
    CHECK(r->runs[0].sum_mib100(buffer_role::kv) == last_run(a).sum_mib100(buffer_role::kv));
    // cut in the middle of the KV line: what came before is kept, the run is marked truncated
    const auto cut = a.substr(0, a.find("KV buffer size") + 5);
    const auto t = last_run(cut);
    CHECK(t.truncated());
    CHECK(t.sum_mib100(buffer_role::model) == last_run(a).sum_mib100(buffer_role::model));
    CHECK(t.sum_mib100(buffer_role::kv) == 0);
}

TEST_CASE("logs cpu: /metrics and /slots of the same server") {
    llamaplan::observation obs;
    REQUIRE(logs::read_metrics(cpu_text("metrics.txt"), obs).has_value());
    CHECK(obs.has_metrics);
    CHECK(obs.n_tokens_max == 0);  // the request had no tokens (see above)
    CHECK(obs.requests_deferred == 0);
    REQUIRE(logs::read_slots(cpu_text("slots.json"), obs).has_value());
    CHECK(obs.n_slots == 2);
    CHECK(obs.n_ctx_slot == 512);
    CHECK(obs.busy_slots == 0);
    // an idle server with no high-water mark and no target: nothing to change
    llamaplan::running_plan p;
    p.n_ctx_slot = 512;
    p.n_slots = 2;
    CHECK(llamaplan::recommend(p, obs, llamaplan::tune_targets{}).empty());
    CHECK(!logs::read_metrics("# HELP x\nfoo 1\n", obs).has_value());
    CHECK(!logs::read_slots("{\"not\": \"an array\"}", obs).has_value());
}
