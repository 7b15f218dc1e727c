// SPDX-License-Identifier: MIT
// Calibration from logs: predicted vs logged per buffer and device, what is learned, the machine file, refusals.
// GPU figures come from the public logs in tests/data/logs/public (see its README); predicted figures are never
// asserted as numbers, only compared with the logged ones.
#include <llamaplan/gguf/catalog.hpp>
#include <llamaplan/logs/calibrate.hpp>
#include <llamaplan/probe/machine_file.hpp>

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace logs = llamaplan::logs;
using logs::buffer_role;

namespace {
std::string read_text(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    REQUIRE(f.good());
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}
logs::run_log public_run(const char* name) {
    auto r = logs::read_log(read_text(std::string(LLAMAPLAN_TEST_DATA) + "/logs/public/" + name));
    REQUIRE(r.has_value());
    REQUIRE(!r->runs.empty());
    return r->runs.back();
}
const logs::buffer_row* row(const logs::calibration_report& rep, buffer_role role, std::string_view name) {
    for (const auto& r : rep.buffers)
        if (r.role == role && r.name == name) return &r;
    return nullptr;
}
}  // namespace

TEST_CASE("calibrate: the RTX 4090 log, predicted vs logged") {
    const auto run = public_run("cuda_rtx4090_llama31_8b_q4km_np4.log");
    auto mf = llamaplan::gguf::open_catalog("llama-3.1-8b:Q4_K_M");
    REQUIRE(mf.has_value());
    auto lm = logs::machine_from_log(run);
    const auto hw = lm.view();
    REQUIRE(hw.devices.size() == 1);
    CHECK(hw.devices[0].kind == llamaplan::backend::cuda);
    CHECK(hw.devices[0].memory_free == (23818ull << 20));
    auto rep = logs::calibrate(run, mf->view(), hw, llamaplan::launch_params{}, "rtx4090.log");
    if (!rep) MESSAGE(std::string(rep.error().what));
    REQUIRE(rep.has_value());
    // the settings are the log's
    CHECK(rep->params.n_ctx == 8192);
    CHECK(rep->params.n_seq_max == 4);
    CHECK(rep->params.kv_unified);  // 8192 cells for 4 sequences: one cache
    CHECK(rep->params.flash_attn == llamaplan::flash_attn_mode::off);
    CHECK(rep->params.n_gpu_layers == -1);
    // weights and KV are exact on this 2024 build too; the older build's compute and output buffers are not
    const auto* w = row(*rep, buffer_role::model, "CUDA0");
    REQUIRE(w != nullptr);
    CHECK(w->logged == 440349u);
    CHECK(w->exact());
    const auto* host_w = row(*rep, buffer_role::model, "CPU_Mapped");  // the log's "CPU" (older name), paired
    REQUIRE(host_w != nullptr);
    CHECK(host_w->logged == 28181u);
    CHECK(host_w->exact());
    const auto* kv = row(*rep, buffer_role::kv, "CUDA0");
    REQUIRE(kv != nullptr);
    CHECK(kv->exact());
    const auto* c = row(*rep, buffer_role::compute, "CUDA0");
    REQUIRE(c != nullptr);
    CHECK(c->logged == 56000u);
    CHECK(c->predicted.has_value());
    CHECK(!c->exact());
    CHECK(c->difference() == 56000 - static_cast<std::int64_t>(*c->predicted));
    CHECK(!rep->exact);
    // per device: the logged sums are the log's
    bool saw_gpu = false;
    for (const auto& d : rep->devices)
        if (d.name == "CUDA0") {
            saw_gpu = true;
            CHECK(d.logged == 440349u + 102400u + 56000u);
        }
    CHECK(saw_gpu);
    // learned: the GPU's compute figures (this log has no total memory and no breakdown: no overhead learned)
    const llamaplan::probe::calibration_record* g = nullptr;
    for (const auto& l : rep->learned) if (l.device == "CUDA0") g = &l;
    REQUIRE(g != nullptr);
    CHECK(g->description == "NVIDIA GeForce RTX 4090");
    CHECK(g->compute_logged == logs::mib100_to_bytes(56000));
    CHECK(logs::bytes_to_mib100(g->compute_predicted) == *c->predicted);
    CHECK(g->overhead == 0);
    CHECK(g->log == "rtx4090.log");

    // applied to an estimate of the same machine, the GPU's compute buffer becomes the logged one (to rounding)
    auto e = rep->estimate;
    const auto why = logs::apply_calibration(e, hw, rep->learned);
    REQUIRE(!why.empty());
    std::uint64_t gpu_compute = 0;
    for (const auto& b : e.compute_buffers) if (b.buffer.kind == llamaplan::buffer_kind::gpu) gpu_compute += b.bytes;
    CHECK(logs::bytes_to_mib100(gpu_compute) == 56000);
}

TEST_CASE("calibrate: refusals") {
    const auto run = public_run("cuda_rtx4090_llama31_8b_q4km_np4.log");
    auto lm = logs::machine_from_log(run);
    const auto hw = lm.view();
    // another model than the log's
    auto other = llamaplan::gguf::open_catalog("qwen3-8b:Q4_K_M");
    REQUIRE(other.has_value());
    auto bad = logs::calibrate(run, other->view(), hw, llamaplan::launch_params{}, "x.log");
    REQUIRE(!bad.has_value());
    CHECK(std::string(bad.error().what).find("different model") != std::string::npos);
    // a log without buffer lines
    const auto nobuf = public_run("cuda_breakdown_fitparams_readme.log");
    auto mf = llamaplan::gguf::open_catalog("llama-3.1-8b:Q4_K_M");
    REQUIRE(mf.has_value());
    auto nb = logs::calibrate(nobuf, mf->view(), hw, llamaplan::launch_params{}, "x.log");
    REQUIRE(!nb.has_value());
    CHECK(nb.error().code == llamaplan::errc::unsupported);
    // a machine file of another GPU refuses what the RTX 4090 log taught
    auto rep = logs::calibrate(run, mf->view(), hw, llamaplan::launch_params{}, "rtx4090.log");
    REQUIRE(rep.has_value());
    llamaplan::probe::probe_result machine3070;
    machine3070.host.cpus_logical = machine3070.host.cpus_physical = 8;
    machine3070.host.memory_total = machine3070.host.memory_available = 32ull << 30;
    llamaplan::probe::device_record d;
    d.name = "NVIDIA GeForce RTX 3070";
    d.info.kind = llamaplan::backend::cuda;
    d.info.memory_total = d.info.memory_free = 8ull << 30;
    machine3070.devices.push_back(d);
    std::string msg;
    auto merged = logs::merge_calibration(machine3070, rep->learned, &msg);
    REQUIRE(!merged.has_value());
    CHECK(msg.find("RTX 4090") != std::string::npos);
    CHECK(machine3070.calibrations.empty());
    // the same GPU accepts it, and the machine file keeps it across a save and a load
    llamaplan::probe::probe_result machine4090 = machine3070;
    machine4090.devices[0].name = "RTX 4090";
    machine4090.devices[0].info.memory_total = machine4090.devices[0].info.memory_free = 24ull << 30;
    REQUIRE(logs::merge_calibration(machine4090, rep->learned).has_value());
    REQUIRE(machine4090.calibrations.size() == 2);  // the host and CUDA0
    auto back = llamaplan::probe::machine_from_json(llamaplan::probe::machine_to_json(machine4090));
    REQUIRE(back.has_value());
    REQUIRE(back->calibrations.size() == 2);
    CHECK(back->calibrations[1].device == "CUDA0");
    CHECK(back->calibrations[1].compute_logged == rep->learned[1].compute_logged);
    CHECK(back->calibrations[1].log == "rtx4090.log");
}

TEST_CASE("calibrate: a breakdown's unaccounted is learned only when it is a measurement") {
    // llama.cpp's own example (tools/fit-params/README.md): 24077 = 945 + 19187 + 3945 -> 3945 MiB is learned
    const auto ok = public_run("cuda_breakdown_fitparams_readme.log");
    const auto* r = ok.breakdown_of("CUDA0");
    REQUIRE(r != nullptr);
    CHECK(r->total - r->free - r->self == r->unaccounted);
    // an underflowed one (#19437) and a negative one (during --fit, ollama #16031) are not
    const auto uf = public_run("cuda_breakdown_underflow_issue19437.log");
    CHECK(uf.breakdown_of("CUDA0")->total - uf.breakdown_of("CUDA0")->free - uf.breakdown_of("CUDA0")->self !=
          uf.breakdown_of("CUDA0")->unaccounted);
    const auto neg = public_run("cuda_fit_negative_unaccounted_ollama16031.log");
    CHECK(neg.breakdown_of("CUDA0")->unaccounted < 0);
}
