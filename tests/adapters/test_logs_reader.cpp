// SPDX-License-Identifier: MIT
// The log reader on lines written as llama.cpp's printf formats produce them (cited per line in reader.hpp); real
// logs are in test_logs_real.cpp.
#include <llamaplan/logs/reader.hpp>

#include <doctest/doctest.h>

#include <string>

namespace logs = llamaplan::logs;
using logs::buffer_role;
using logs::failure_phase;

namespace {
// A CUDA run with one GPU at verbosity 4, in the formats of 3f545bec (values chosen by hand).
constexpr const char* cuda_run =
    "common_params_print_info: build 8000 (3f545bec) with cc (Debian 12.2.0-14) 12.2.0 for x86_64-linux-gnu\n"
    "device_info:\n"
    "  - CUDA0   : NVIDIA GeForce RTX 4090 (24080 MiB, 23008 MiB free)\n"
    "llama_model_load_from_file_impl: using device CUDA0 (NVIDIA GeForce RTX 4090) (0000:01:00.0) - 23008 MiB free\n"
    "llama_model_loader: loaded meta data with 29 key-value pairs and 292 tensors from /m/Llama 3 8B.gguf (version GGUF V3 (latest))\n"
    "print_info: file type   = Q4_K - Medium\n"
    "print_info: arch                  = llama\n"
    "print_info: n_ctx_train           = 131072\n"
    "print_info: n_embd                = 4096\n"
    "print_info: n_layer               = 32\n"
    "print_info: general.name          = Llama 3.1 8B\n"
    "load_tensors: offloaded 33/33 layers to GPU\n"
    "load_tensors:          CPU model buffer size =   281.81 MiB\n"
    "load_tensors:        CUDA0 model buffer size =  4403.49 MiB\n"
    "llama_context: n_seq_max             = 4\n"
    "llama_context: n_ctx                 = 32768\n"
    "llama_context: n_ctx_seq             = 32768\n"
    "llama_context: n_batch               = 2048\n"
    "llama_context: n_ubatch              = 512\n"
    "llama_context: causal_attn           = 1\n"
    "llama_context: flash_attn            = enabled\n"
    "llama_context: kv_unified            = true\n"
    "llama_context:  CUDA_Host  output buffer size =     1.96 MiB\n"
    "llama_kv_cache:      CUDA0 KV buffer size =  4096.00 MiB\n"
    "llama_kv_cache: size = 4096.00 MiB ( 32768 cells,  32 layers,  4/1 seqs), K (f16): 2048.00 MiB, V (f16): 2048.00 MiB\n"
    "sched_reserve:      CUDA0 compute buffer size =   304.00 MiB\n"
    "sched_reserve:  CUDA_Host compute buffer size =    72.01 MiB\n"
    "sched_reserve: graph nodes  = 1191\n"
    "sched_reserve: graph splits = 2\n"
    "srv    load_model: initializing, n_slots = 4, n_ctx_slot = 32768, kv_unified = 'true'\n"
    "srv    load_model: prompt cache is enabled, size limit: 8192 MiB\n"
    "srv    load_model: model loaded\n"
    "main: server is listening on http://127.0.0.1:8080\n"
    "slot print_timing: id  0 | task 0 | prompt eval time =     120.50 ms /   512 tokens (    0.24 ms per token,  4248.96 tokens per second)\n"
    "slot print_timing: id  0 | task 0 |        eval time =    1500.00 ms /   200 tokens (    7.50 ms per token,   133.33 tokens per second)\n"
    "common_memory_breakdown_print: | memory breakdown [MiB] | total    free     self   model   context   compute    unaccounted |\n"
    "common_memory_breakdown_print: |   - CUDA0 (RTX 4090)   | 24080 = 14586 + ( 8803 =  4403 +    4097 +     304) +         691 |\n"
    "common_memory_breakdown_print: |   - Host               |                    355 =   281 +       1 +      72                |\n";
}  // namespace

TEST_CASE("logs: a CUDA server run, every field") {
    auto r = logs::read_log(cuda_run);
    REQUIRE(r.has_value());
    REQUIRE(r->runs.size() == 1);
    const auto& run = r->runs[0];
    CHECK(run.build_number == 8000u);
    CHECK(run.commit == "3f545bec");
    CHECK(run.program == logs::program_kind::server);
    REQUIRE(run.devices.size() == 1);
    CHECK(run.devices[0].name == "CUDA0");
    CHECK(run.devices[0].description == "NVIDIA GeForce RTX 4090");
    CHECK(run.devices[0].total_mib == 24080u);
    CHECK(run.devices[0].free_mib == 23008u);
    CHECK(run.model_path == "/m/Llama 3 8B.gguf");  // a path with spaces
    CHECK(run.arch == "llama");
    CHECK(run.model_name == "Llama 3.1 8B");
    CHECK(run.file_type == "Q4_K - Medium");
    CHECK(run.n_ctx_train == 131072u);
    CHECK(run.n_layer == 32u);
    CHECK(run.offloaded_layers == 33u);
    CHECK(run.offloadable_layers == 33u);
    CHECK(run.n_seq_max == 4u);
    CHECK(run.n_ctx == 32768u);
    CHECK(run.n_ctx_seq == 32768u);
    CHECK(run.n_batch == 2048u);
    CHECK(run.n_ubatch == 512u);
    CHECK(run.flash_attn == true);
    CHECK(run.kv_unified == true);
    CHECK(run.n_slots == 4u);
    CHECK(run.n_ctx_slot == 32768u);
    CHECK(run.prompt_cache_mib == 8192);
    REQUIRE(run.buffers.size() == 6);
    CHECK(run.buffers[0].name == "CPU");
    CHECK(run.buffers[0].mib100 == 28181);
    CHECK(run.buffers[2].role == buffer_role::output);
    CHECK(run.buffers[2].name == "CUDA_Host");
    CHECK(run.sum_mib100(buffer_role::model) == 28181 + 440349);
    CHECK(run.sum_mib100(buffer_role::compute) == 30400 + 7201);
    REQUIRE(run.kv.size() == 1);
    CHECK(run.kv[0].cells == 32768);
    CHECK(run.kv[0].layers == 32);
    CHECK(run.kv[0].seqs == 4);
    CHECK(run.kv[0].streams == 1);
    CHECK(run.kv[0].type_k == "f16");
    CHECK(run.kv[0].v_mib100 == 204800);
    CHECK(run.graph_nodes == 1191u);
    CHECK(run.graph_splits == 2u);
    CHECK(run.graph_splits_tg == 2u);
    REQUIRE(run.timings.size() == 1);
    CHECK(run.timings[0].prompt_tokens == 512);
    CHECK(run.timings[0].eval_tokens == 200);
    CHECK(run.timings[0].eval_tps == doctest::Approx(133.33));
    REQUIRE(run.breakdown.size() == 2);
    const auto* b = run.breakdown_of("CUDA0");
    REQUIRE(b != nullptr);
    CHECK(b->device);
    CHECK(b->description == "RTX 4090");
    CHECK(b->total == 24080);
    CHECK(b->free == 14586);
    CHECK(b->self == 8803);
    CHECK(b->context == 4097);
    CHECK(b->unaccounted == 691);
    const auto* h = run.breakdown_of("Host");
    REQUIRE(h != nullptr);
    CHECK(!h->device);
    CHECK(h->self == 355);
    CHECK(h->compute == 72);
    CHECK(run.loaded);
    CHECK(!run.truncated());
    CHECK(!run.failure.present);
}

TEST_CASE("logs: another program's output is named as such") {
    auto r = logs::read_log("Hello\nThis is the output of make\n[ 10%] Building CXX object foo.o\n");
    REQUIRE(!r.has_value());
    CHECK(r.error().code == llamaplan::errc::bad_magic);
    CHECK(std::string(r.error().what).find("not a llama.cpp log") != std::string::npos);
    CHECK(!logs::read_log("").has_value());
}

TEST_CASE("logs: colours, CRLF line ends and an overlong line") {
    std::string s = "\x1b[32mload_tensors:          CPU model buffer size =   281.81 MiB\x1b[0m\r\n";
    s += std::string(100000, 'x') + " KV buffer size = 5.00 MiB\n";  // the pattern lies past max_line_bytes
    s += "llama_kv_cache:        CPU KV buffer size =    16.00 MiB\r\n";
    auto r = logs::read_log(s);
    REQUIRE(r.has_value());
    REQUIRE(r->runs[0].buffers.size() == 2);
    CHECK(r->runs[0].buffers[0].mib100 == 28181);
    CHECK(r->runs[0].buffers[1].role == buffer_role::kv);
    CHECK(r->runs[0].buffers[1].mib100 == 1600);
    CHECK(r->lines == 3);
}

TEST_CASE("logs: a truncated log keeps what it logged") {
    const std::string all = cuda_run;
    const std::string cut = all.substr(0, all.find("llama_context:  CUDA_Host") + 30);  // cut inside a line
    auto r = logs::read_log(cut);
    REQUIRE(r.has_value());
    const auto& run = r->runs.back();
    CHECK(run.truncated());
    CHECK(run.sum_mib100(buffer_role::model) == 28181 + 440349);
    CHECK(run.sum_mib100(buffer_role::output) == 0);  // "llama_context:  CUDA_Host  output buf": no size yet
    CHECK(run.n_ctx == 32768u);
}

TEST_CASE("logs: two runs in one log (a restart appended)") {
    std::string two = cuda_run;
    std::string second = cuda_run;
    second.replace(second.find("build 8000"), 10, "build 8001");
    second.replace(second.find("n_ctx                 = 32768"), 29, "n_ctx                 = 16384");
    two += second;
    auto r = logs::read_log(two);
    REQUIRE(r.has_value());
    REQUIRE(r->runs.size() == 2);
    CHECK(r->runs[0].build_number == 8000u);
    CHECK(r->runs[0].n_ctx == 32768u);
    CHECK(r->runs[1].build_number == 8001u);
    CHECK(r->runs[1].n_ctx == 16384u);
    CHECK(r->runs[1].buffers.size() == 6);
    CHECK(r->runs[1].first_line > r->runs[0].last_line);
    // without build lines (Ollama's runner): a load after a finished run starts another
    std::string nb;
    for (int k = 0; k < 2; ++k) {
        nb += "llama_model_loader: loaded meta data with 3 key-value pairs and 10 tensors from /a.gguf (version GGUF V3 (latest))\n";
        nb += "load_tensors:        CUDA0 model buffer size =   100.00 MiB\n";
        nb += "ggml_backend_cuda_buffer_type_alloc_buffer: allocating 512.00 MiB on device 0: cudaMalloc failed: out of memory\n";
    }
    auto r2 = logs::read_log(nb);
    REQUIRE(r2.has_value());
    CHECK(r2->runs.size() == 2);
}

TEST_CASE("logs: a draft model's buffers are told apart") {
    std::string s =
        "llama_model_loader: loaded meta data with 3 key-value pairs and 10 tensors from /target.gguf (version GGUF V3 (latest))\n"
        "load_tensors:          CPU model buffer size =   100.00 MiB\n"
        "llama_context: n_ctx                 = 4096\n"
        "llama_kv_cache:        CPU KV buffer size =    64.00 MiB\n"
        "llama_model_loader: loaded meta data with 3 key-value pairs and 10 tensors from /draft.gguf (version GGUF V3 (latest))\n"
        "load_tensors:          CPU model buffer size =    10.00 MiB\n"
        "llama_context: n_ctx                 = 4096\n"
        "llama_kv_cache:        CPU KV buffer size =     8.00 MiB\n"
        "srv    load_model: model loaded\n";
    auto r = logs::read_log(s);
    REQUIRE(r.has_value());
    REQUIRE(r->runs.size() == 1);
    const auto& run = r->runs[0];
    CHECK(run.draft);
    CHECK(run.model_path == "/target.gguf");
    CHECK(run.sum_mib100(buffer_role::model) == 10000);
    CHECK(run.sum_mib100(buffer_role::model, true) == 1000);
    CHECK(run.sum_mib100(buffer_role::kv, true) == 800);
}

TEST_CASE("logs: CUDA out of memory while loading weights") {
    // ggml-cuda.cu ggml_backend_cuda_buffer_type_alloc_buffer, ggml-alloc.c alloc_tensor_range,
    // llama-model.cpp load_tensors, as an Ollama/llama-server log shows them
    auto r = logs::read_log(
        "llama_model_loader: loaded meta data with 3 key-value pairs and 10 tensors from /a.gguf (version GGUF V3 (latest))\n"
        "load_tensors: offloaded 33/33 layers to GPU\n"
        "ggml_backend_cuda_buffer_type_alloc_buffer: allocating 4403.49 MiB on device 0: cudaMalloc failed: out of memory\n"
        "alloc_tensor_range: failed to allocate CUDA0 buffer of size 4617397248\n"
        "llama_model_load: error loading model: unable to allocate CUDA0 buffer\n");
    REQUIRE(r.has_value());
    const auto& f = r->runs[0].failure;
    REQUIRE(f.present);
    CHECK(f.phase == failure_phase::weights);
    CHECK(f.buffer == "CUDA0");
    CHECK(f.backend == "CUDA");
    CHECK(f.device == 0);
    CHECK(f.size_known);
    CHECK(f.size_exact);
    CHECK(f.bytes == 4617397248ull);
    CHECK(f.line == 3);
    CHECK(!r->runs[0].truncated());
}

TEST_CASE("logs: the phase of a failure: KV, compute, output") {
    const std::string pre =
        "llama_model_loader: loaded meta data with 3 key-value pairs and 10 tensors from /a.gguf (version GGUF V3 (latest))\n"
        "load_tensors:        ROCm0 model buffer size =   100.00 MiB\n"
        "llama_context: n_ctx                 = 4096\n"
        "llama_context:  ROCm_Host  output buffer size =     0.49 MiB\n";
    SUBCASE("kv") {
        auto r = logs::read_log(pre +
            "ggml_backend_cuda_buffer_type_alloc_buffer: allocating 2048.00 MiB on device 1: cudaMalloc failed: out of memory\n"
            "alloc_tensor_range: failed to allocate ROCm1 buffer of size 2147483648\n"
            "llama_init_from_model: failed to initialize the context: failed to allocate buffer for kv cache\n");
        REQUIRE(r.has_value());
        const auto& f = r->runs[0].failure;
        CHECK(f.phase == failure_phase::kv);
        CHECK(f.backend == "ROCm");
        CHECK(f.device == 1);
        CHECK(f.bytes == 2147483648ull);
    }
    SUBCASE("compute") {
        auto r = logs::read_log(pre +
            "llama_kv_cache:      ROCm0 KV buffer size =   512.00 MiB\n"
            "ggml_gallocr_reserve_n: failed to allocate ROCm0 buffer of size 1111490560\n"
            "graph_reserve: failed to allocate compute buffers\n");
        REQUIRE(r.has_value());
        const auto& f = r->runs[0].failure;
        CHECK(f.phase == failure_phase::compute);
        CHECK(f.bytes == 1111490560ull);
        CHECK(f.device == 0);
    }
    SUBCASE("output") {
        auto r = logs::read_log(
            "llama_context: n_ctx                 = 4096\n"
            "output_reserve: failed to allocate output buffer of size 0.49 MiB\n");
        REQUIRE(r.has_value());
        CHECK(r->runs[0].failure.phase == failure_phase::output);
        CHECK(!r->runs[0].failure.size_exact);
        CHECK(r->runs[0].failure.bytes == logs::mib100_to_bytes(49));
    }
    SUBCASE("the CPU backend's own line") {
        auto r = logs::read_log(
            "llama_model_loader: loaded meta data with 3 key-value pairs and 10 tensors from /a.gguf (version GGUF V3 (latest))\n"
            "ggml_backend_cpu_buffer_type_alloc_buffer: failed to allocate buffer of size 107184480\n"
            "alloc_tensor_range: failed to allocate CPU buffer of size 107184480\n");
        REQUIRE(r.has_value());
        const auto& f = r->runs[0].failure;
        CHECK(f.backend == "CPU");
        CHECK(f.device == -1);
        CHECK(f.phase == failure_phase::weights);
        CHECK(f.bytes == 107184480ull);
    }
}

TEST_CASE("logs: Vulkan and Metal failures") {
    auto v = logs::read_log(
        "llama_context: n_ctx                 = 4096\n"
        "llama_kv_cache:    Vulkan0 KV buffer size =   512.00 MiB\n"
        "ggml_vulkan: Device memory allocation of size 1073741824 failed.\n"
        "ggml_vulkan: vk::Device::allocateMemory: ErrorOutOfDeviceMemory\n"
        "ggml_gallocr_reserve_n: failed to allocate Vulkan0 buffer of size 1073741824\n");
    REQUIRE(v.has_value());
    CHECK(v->runs[0].failure.backend == "Vulkan");
    CHECK(v->runs[0].failure.bytes == 1073741824ull);
    CHECK(v->runs[0].failure.buffer == "Vulkan0");
    CHECK(v->runs[0].failure.phase == failure_phase::compute);
    // Metal: the command buffer fails during a decode, with no size (ggml-metal-context.m)
    auto m = logs::read_log(
        "load_tensors: Metal_Mapped model buffer size = 20000.00 MiB\n"
        "srv    load_model: model loaded\n"
        "ggml_metal_graph_compute: command buffer 0 failed with status 5\n"
        "error: Insufficient Memory (00000008:kIOGPUCommandBufferCallbackErrorOutOfMemory)\n");
    REQUIRE(m.has_value());
    CHECK(m->runs[0].failure.backend == "Metal");
    CHECK(!m->runs[0].failure.size_known);
    CHECK(m->runs[0].failure.phase == failure_phase::compute);
}

TEST_CASE("logs: buffer owners and MiB rounding") {
    CHECK(logs::owner_of("CUDA0").device == 0);
    CHECK(logs::owner_of("CUDA0").backend == "CUDA");
    CHECK(logs::owner_of("Vulkan12").device == 12);
    CHECK(logs::owner_of("CUDA_Host").device == -1);
    CHECK(logs::owner_of("CPU_Mapped").device == -1);
    CHECK(logs::owner_of("RPC1[127.0.0.1:50052]").device == 1);
    CHECK(logs::owner_of("RPC1[127.0.0.1:50052]").backend == "RPC");
    CHECK(logs::bytes_to_mib100(107184480) == 10222);  // 102.2186 MiB prints as 102.22
    CHECK(logs::bytes_to_mib100(1u << 20) == 100);
    CHECK(logs::bytes_to_mib100(~0ull) > 0);
    CHECK(logs::mib100_to_bytes(100) == (1u << 20));
}
