// SPDX-License-Identifier: MIT
// Re-planning after a run (adapters/logs replan.hpp): budgets shrink by what a failure was missing plus the margin.
#include <llamaplan/logs/replan.hpp>

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace logs = llamaplan::logs;

namespace {
logs::run_log run_of(const std::string& text) {
    auto r = logs::read_log(text);
    REQUIRE(r.has_value());
    return r->runs.back();
}
std::string public_text(const char* name) {
    std::ifstream f(std::string(LLAMAPLAN_TEST_DATA) + "/logs/public/" + name, std::ios::binary);
    REQUIRE(f.good());
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}
constexpr std::uint64_t MiB = 1ull << 20;
}  // namespace

TEST_CASE("replan: a weights OOM without the free figure shrinks by the whole allocation plus the margin") {
    const auto run = run_of(public_text("cuda_oom_weights_issue20431.log"));
    llamaplan::device gpus[1] = {{"GPU", llamaplan::backend::cuda, 200000 * MiB, 190000 * MiB}};
    llamaplan::machine hw;
    hw.devices = gpus;
    auto am = logs::budgets_after(run, hw, 1024 * MiB);
    REQUIRE(am.has_value());
    REQUIRE(am->changes.size() == 1);
    CHECK(am->changes[0].device == 0);
    CHECK(am->changes[0].before == 190000 * MiB);
    CHECK(am->changes[0].after == 190000 * MiB - 151851674624ull - 1024 * MiB);  // the logged bytes + margin
    CHECK(am->view().devices[0].memory_free == am->changes[0].after);
    CHECK(am->changes[0].reason.find("weights") != std::string::npos);
    CHECK(am->changes[0].reason.find("144817.04") != std::string::npos);
}

TEST_CASE("replan: with the free memory at load, only what was missing") {
    const auto run = run_of(
        "llama_model_load_from_file_impl: using device CUDA0 (NVIDIA GeForce RTX 4090) (0000:01:00.0) - 20000 MiB free\n"
        "llama_model_loader: loaded meta data with 3 key-value pairs and 10 tensors from /a.gguf (version GGUF V3 (latest))\n"
        "load_tensors:        CUDA0 model buffer size = 15000.00 MiB\n"
        "llama_context: n_ctx                 = 65536\n"
        "llama_context:  CUDA_Host  output buffer size =     0.49 MiB\n"
        "ggml_backend_cuda_buffer_type_alloc_buffer: allocating 8192.00 MiB on device 0: cudaMalloc failed: out of memory\n"
        "alloc_tensor_range: failed to allocate CUDA0 buffer of size 8589934592\n"
        "llama_init_from_model: failed to initialize the context: failed to allocate buffer for kv cache\n");
    REQUIRE(run.failure.phase == logs::failure_phase::kv);
    llamaplan::device gpus[1] = {{"RTX 4090", llamaplan::backend::cuda, 24080 * MiB, 20000 * MiB}};
    llamaplan::machine hw;
    hw.devices = gpus;
    auto am = logs::budgets_after(run, hw, 1024 * MiB);
    REQUIRE(am.has_value());
    REQUIRE(am->changes.size() == 1);
    // 20000 MiB free at load - 15000 MiB of weights = 5000 MiB left; 8192 asked: 3192 MiB missing, + 1024 margin
    CHECK(am->changes[0].after == 20000 * MiB - (8192 - 5000) * MiB - 1024 * MiB);
    CHECK(am->changes[0].reason.find("kv") != std::string::npos);
}

TEST_CASE("replan: Metal without a size, the rule; a device the machine lacks is refused") {
    const auto run = run_of(
        "llama_context:      MTL0 compute buffer size =   300.00 MiB\n"
        "srv    load_model: model loaded\n"
        "ggml_metal_synchronize: error: command buffer 1 failed with status 5\n"
        "error: Insufficient Memory (00000008:kIOGPUCommandBufferCallbackErrorOutOfMemory)\n");
    llamaplan::device gpus[1] = {{"Apple M4", llamaplan::backend::metal, 11453 * MiB, 11000 * MiB}};
    llamaplan::machine hw;
    hw.devices = gpus;
    auto am = logs::budgets_after(run, hw, 512 * MiB);
    REQUIRE(am.has_value());
    REQUIRE(am->changes.size() == 1);
    CHECK(am->changes[0].after == 11000 * MiB - 300 * MiB - 512 * MiB);
    CHECK(am->changes[0].reason.find("rule") != std::string::npos);
    llamaplan::machine cpu_only;
    CHECK(!logs::budgets_after(run, cpu_only, 512 * MiB).has_value());
}

TEST_CASE("replan: a loaded run with more outside llama.cpp's buffers than assumed") {
    const auto run = run_of(public_text("cuda_breakdown_fitparams_readme.log"));
    llamaplan::device gpus[1] = {{"RTX 4090", llamaplan::backend::cuda, 24077 * MiB, 23000 * MiB}};
    llamaplan::machine hw;
    hw.devices = gpus;
    auto am = logs::budgets_after(run, hw, 1024 * MiB, 400 * MiB);
    REQUIRE(am.has_value());
    REQUIRE(am->changes.size() == 1);
    CHECK(am->changes[0].after == 23000 * MiB - (3945 - 400) * MiB - 1024 * MiB);
    // the same with an underflowed breakdown: nothing learned, nothing changed
    const auto bad = run_of(public_text("cuda_breakdown_underflow_issue19437.log"));
    auto am2 = logs::budgets_after(bad, hw, 1024 * MiB, 400 * MiB);
    REQUIRE(am2.has_value());
    CHECK(am2->changes.empty());
}
