// SPDX-License-Identifier: MIT
// The log reader on public GPU logs (tests/data/logs/public: the relevant lines of logs people posted, each file
// with its source URL). Expected values are the figures printed in those files.
#include <llamaplan/logs/reader.hpp>

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace logs = llamaplan::logs;
using logs::buffer_role;

namespace {
std::string public_log(const char* name) {
    std::ifstream f(std::string(LLAMAPLAN_TEST_DATA) + "/logs/public/" + name, std::ios::binary);
    REQUIRE(f.good());
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}
/// The one run of a log (a copy: the reading may be a temporary).
logs::run_log only_run(const llamaplan::result<logs::log_reading>& r) {
    REQUIRE(r.has_value());
    REQUIRE(r->runs.size() == 1);
    return r->runs[0];
}
}  // namespace

TEST_CASE("logs public: CUDA, RTX 4090, Llama 3.1 8B Q4_K_M in Ollama's runner") {
    const auto r = logs::read_log(public_log("cuda_rtx4090_llama31_8b_q4km_np4.log"));
    const auto run = only_run(r);
    CHECK(run.program == logs::program_kind::ollama);
    CHECK(run.loaded);
    REQUIRE(run.devices.size() == 1);
    CHECK(run.devices[0].name == "CUDA0");
    CHECK(run.devices[0].description == "NVIDIA GeForce RTX 4090");
    CHECK(run.devices[0].free_mib == 23818u);
    CHECK(run.arch == "llama");
    CHECK(run.file_type == "Q4_K - Medium");
    CHECK(run.n_layer == 32u);
    CHECK(run.offloaded_layers == 33u);
    CHECK(run.n_seq_max == 4u);
    CHECK(run.n_ctx == 8192u);
    CHECK(run.n_ctx_seq == 2048u);  // "n_ctx_per_seq" in that build
    CHECK(run.n_ubatch == 512u);
    CHECK(run.flash_attn == false);
    CHECK(run.sum_mib100(buffer_role::model) == 28181 + 440349);
    CHECK(run.sum_mib100(buffer_role::kv) == 102400);
    CHECK(run.sum_mib100(buffer_role::output) == 202);
    CHECK(run.sum_mib100(buffer_role::compute) == 56000 + 2401);
    CHECK(run.buffers.size() == 6);  // the LoRA adapter's buffer is not one of the run's
    CHECK(run.graph_splits == 2u);
}

TEST_CASE("logs public: CUDA, RTX 3070, the llm_load_tensors spelling of older builds") {
    const auto r = logs::read_log(public_log("cuda_rtx3070_llama3_8b_q4km_c512.log"));
    const auto run = only_run(r);
    CHECK(run.program == logs::program_kind::cli);
    REQUIRE(run.devices.size() == 1);
    CHECK(run.devices[0].name == "CUDA0");
    CHECK(run.devices[0].description == "NVIDIA GeForce RTX 3070");
    CHECK(run.model_path == "/ckpt/llama-3-Korean-Bllossom-8B-Q4_K_M.gguf");
    REQUIRE(run.buffers.size() == 6);
    CHECK(run.buffers[0].role == buffer_role::model);
    CHECK(run.buffers[0].name == "CPU");
    CHECK(run.buffers[1].name == "CUDA0");
    CHECK(run.buffers[1].mib100 == 440349);
    CHECK(run.n_ctx == 512u);
    CHECK(run.sum_mib100(buffer_role::compute) == 25850 + 901);
    CHECK(run.timings.empty());  // "inf tokens per second" is not a figure
}

TEST_CASE("logs public: out of memory and breakdowns that are not measurements") {
    const auto oom = only_run(logs::read_log(public_log("cuda_oom_weights_issue20431.log")));
    REQUIRE(oom.failure.present);
    CHECK(oom.failure.phase == logs::failure_phase::weights);
    CHECK(oom.failure.buffer == "CUDA0");
    CHECK(oom.failure.device == 0);
    CHECK(oom.failure.bytes == 151851674624ull);
    CHECK(oom.failure.size_exact);

    const auto uf = only_run(logs::read_log(public_log("cuda_breakdown_underflow_issue19437.log")));
    const auto* row = uf.breakdown_of("CUDA0");
    REQUIRE(row != nullptr);
    CHECK(row->unaccounted == 17592186036877ll);  // kept as printed; calibration refuses it
    CHECK(row->total - row->free - row->self < 0);

    const auto fit = only_run(logs::read_log(public_log("cuda_fit_negative_unaccounted_ollama16031.log")));
    REQUIRE(fit.breakdown.size() == 3);
    CHECK(fit.breakdown_of("CUDA1")->unaccounted == -16586);
    CHECK(fit.breakdown_of("Host")->context == 21504);

    const auto readme = only_run(logs::read_log(public_log("cuda_breakdown_fitparams_readme.log")));
    CHECK(readme.loaded);
    CHECK(readme.breakdown_of("CUDA0")->unaccounted == 3945);
    CHECK(readme.breakdown_of("CUDA0")->total == 24077);
    CHECK(readme.model_path.empty());  // "loading model '...'" is the server's line, not the loader's
}

TEST_CASE("logs public: Metal") {
    const auto m4 = only_run(logs::read_log(public_log("metal_m4_build4409.log")));
    CHECK(m4.sum_mib100(buffer_role::kv) == 11200);
    CHECK(m4.sum_mib100(buffer_role::compute) == 29975 + 1101);
    CHECK(logs::owner_of(m4.buffers[0].name).device == 0);  // "Metal" is the GPU's (unified) memory
    const auto oom = only_run(logs::read_log(public_log("metal_oom_command_buffer_pr22673.log")));
    REQUIRE(oom.failure.present);
    CHECK(oom.failure.backend == "Metal");
    CHECK(!oom.failure.size_known);
}

TEST_CASE("logs public: build lines and device lists") {
    const auto b = only_run(logs::read_log(public_log("cuda_rtx4080s_build4701.log")));
    CHECK(b.build_number == 4701u);
    CHECK(b.commit == "be3bbd62");
    CHECK(b.devices[0].free_mib == 15035u);
    CHECK(b.sum_mib100(buffer_role::compute) == 30075 + 1201);
    const auto l = only_run(logs::read_log(public_log("cuda_list_devices_issue17536.log")));
    REQUIRE(l.devices.size() == 1);
    CHECK(l.devices[0].total_mib == 32106u);
    CHECK(l.devices[0].free_mib == 55372u);
}
