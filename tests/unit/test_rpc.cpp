// Devices behind rpc-servers (llama.cpp's RPC backend): the --rpc flag, llama.cpp's device order and names, -ot
// rules naming a worker's device, and the commands a plan emits.
#include <doctest/doctest.h>

#include <llamaplan/emit.hpp>
#include <llamaplan/memory.hpp>
#include <llamaplan/server_args.hpp>

#include <array>
#include <string>
#include <string_view>
#include <vector>

using namespace llamaplan;

TEST_CASE("rpc: endpoints are HOST:PORT with a port of 1 to 65535") {
    CHECK(rpc_endpoint_valid("10.0.0.2:50052"));
    CHECK(rpc_endpoint_valid("worker-1.lan:1"));
    CHECK(rpc_endpoint_valid("[::1]:50052"));
    CHECK_FALSE(rpc_endpoint_valid("10.0.0.2"));
    CHECK_FALSE(rpc_endpoint_valid(":50052"));
    CHECK_FALSE(rpc_endpoint_valid("10.0.0.2:0"));
    CHECK_FALSE(rpc_endpoint_valid("10.0.0.2:65536"));
    CHECK_FALSE(rpc_endpoint_valid("10.0.0.2:5x"));
    CHECK_FALSE(rpc_endpoint_valid("a b:1"));
    CHECK_FALSE(rpc_endpoint_valid(std::string(max_endpoint_length, 'h') + ":1"));
    CHECK(rpc_endpoint("a:1,b:2,c:3", 1) == "b:2");
    CHECK(rpc_endpoint("a:1,b:2,c:3", 3).empty());
}

TEST_CASE("rpc: --rpc is parsed, checked and bounded") {
    auto parse = [](std::vector<std::string_view> v) { return parse_server_args(v); };
    auto ok = parse({"llama-server", "-m", "x.gguf", "--rpc", "10.0.0.2:50052,10.0.0.3:50052"});
    REQUIRE(ok.has_value());
    CHECK(ok->rpc == "10.0.0.2:50052,10.0.0.3:50052");
    CHECK_FALSE(parse({"llama-server", "-m", "x.gguf", "--rpc", "10.0.0.2:50052,"}).has_value());
    CHECK_FALSE(parse({"llama-server", "-m", "x.gguf", "--rpc", "10.0.0.2"}).has_value());
    CHECK_FALSE(parse({"llama-server", "-m", "x.gguf", "--rpc"}).has_value());
    std::string many;
    for (int i = 0; i < 17; ++i) many += (i ? "," : "") + std::string("h:") + std::to_string(1000 + i);
    CHECK_FALSE(parse({"llama-server", "-m", "x.gguf", "--rpc", many}).has_value());
    CHECK(parse({"llama-server", "-m", "x.gguf", "--no-op-offload"}).has_value());
}

TEST_CASE("rpc: the workers' devices come first, named as llama.cpp names them") {
    host h{};
    h.memory_total = h.memory_available = 64ull << 30;
    const std::array<device, 1> local = {device{"NVIDIA GeForce RTX 4090", backend::cuda, 24ull << 30, 23ull << 30}};
    machine worker_a{h, {}};  // a worker without GPU: its CPU
    std::array<device, 2> gpus = {device{"RTX 3090", backend::cuda, 24ull << 30, 24ull << 30},
                                  device{"RTX 3090", backend::cuda, 24ull << 30, 20ull << 30}};
    machine worker_b{h, gpus};
    std::array<device, 4> remote{};
    REQUIRE(rpc_worker_devices(worker_a, "10.0.0.2:50052", std::span<device>(remote.data(), 1)) == 1);
    CHECK(remote[0].kind == backend::cpu);
    CHECK(remote[0].memory_free == 64ull << 30);
    CHECK(remote[0].alignment == 32);
    REQUIRE(rpc_worker_devices(worker_b, "10.0.0.3:50052", std::span<device>(remote.data() + 1, 3)) == 2);
    machine_storage st;
    REQUIRE(with_rpc_devices(machine{h, local}, std::span<const device>(remote.data(), 3), st));
    const machine hw = st.view();
    REQUIRE(hw.devices.size() == 4);
    CHECK(hw.devices[3].name == "NVIDIA GeForce RTX 4090");  // local GPUs after every worker's
    char buf[buffer_name_capacity];
    CHECK(buffer_name(hw, {buffer_kind::gpu, 0}, buf) == "RPC0[10.0.0.2:50052]");
    CHECK(buffer_name(hw, {buffer_kind::gpu, 1}, buf) == "RPC0[10.0.0.3:50052]");  // numbered per server
    CHECK(buffer_name(hw, {buffer_kind::gpu, 2}, buf) == "RPC1[10.0.0.3:50052]");
    CHECK(buffer_name(hw, {buffer_kind::gpu, 3}, buf) == "CUDA0");  // the remote CUDA devices do not count
    CHECK(hw.rpc_ordinal(2) == 2);                                 // its device name is "RPC2"
    CHECK(device_label(hw, 2, buf) == "RPC2 (10.0.0.3:50052)");   // as llama_memory_breakdown_print names it
    CHECK(device_label(hw, 3, buf) == "NVIDIA GeForce RTX 4090");
    CHECK(device_label(hw, host_device, buf) == "CPU");
    CHECK(buffer_name(hw, {buffer_kind::host_pinned, host_device}, buf) == "CUDA_Host");
    CHECK(gpu_class_of(hw.devices[0]) == gpu_class::metal);      // a CPU worker allocates with 32-byte alignment
    CHECK(gpu_class_of(hw.devices[1]) == gpu_class::cuda_like);  // a CUDA worker pads rows as CUDA does

    // a server's devices must be in a row, and the scheduler runs at most 15 devices besides the CPU
    machine_storage other;
    std::array<device, 3> scattered = {remote[1], remote[0], remote[2]};
    CHECK_FALSE(with_rpc_devices(machine{h, local}, scattered, other));
    std::array<device, 16> too_many{};
    for (auto& d : too_many) d = remote[0];
    CHECK_FALSE(with_rpc_devices(machine{h, {}}, too_many, other));

    // -ot rules name a worker's device by its buffer type
    auto args = parse_server_args(std::vector<std::string_view>{"llama-server", "-m", "x", "-ot", "exps=RPC1[10.0.0.3:50052]",
                                                                "-ot", "attn=RPC0[10.0.0.9:1]"});
    REQUIRE(args.has_value());
    CHECK(override_device(hw, args->params.overrides[0]) == 2);
    CHECK(override_device(hw, args->params.overrides[1]) == -2);  // no such server: llama.cpp's "unknown buffer type"
    CHECK_FALSE(parse_server_args(std::vector<std::string_view>{"llama-server", "-m", "x", "-ot", "a=RPC0[nohost]"}).has_value());

    // the rpc-server commands a plan over this machine starts with
    std::vector<std::string> lines(1);
    REQUIRE(emit_rpc_servers(hw, [&](std::string_view s) { lines.back() += (lines.back().empty() ? "" : " ") + std::string(s); },
                             [&] { lines.emplace_back(); }, true, 8));
    CHECK(lines[0] == "rpc-server -H 10.0.0.2 -p 50052 -t 8 -c");
    CHECK(lines[1] == "rpc-server -H 10.0.0.3 -p 50052 -c");
    CHECK(lines.size() == 3);
}

#include "../support/llama_shape.hpp"
#include "../support/planner_checks.hpp"

#include <llamaplan/planner.hpp>

TEST_CASE("rpc: a plan crosses the network only when the host cannot run the model alone as fast") {
    // a 32-block, 4096-wide dense model in Q8_0 (about 7 GiB), two workers with 16 GiB of RAM each (their CPUs)
    hparams hp{};
    hp.architecture = "llama";
    hp.n_layer = 32;
    hp.n_embd = 4096;
    hp.n_head = 32;
    hp.n_head_kv = 8;
    hp.n_embd_head_k = hp.n_embd_head_v = 128;
    hp.n_ff = 14336;
    hp.n_vocab = 32000;
    hp.n_ctx_train = 8192;
    test_support::llama_shape shape;
    shape.build(hp, ggml_type::q8_0, 128, false);
    REQUIRE(shape.ok);
    const model m{hp, shape.tensors};

    host worker_host{};
    worker_host.cpus_physical = worker_host.cpus_logical = 8;
    worker_host.memory_total = worker_host.memory_available = 16ull << 30;
    std::array<device, 2> remote{};
    REQUIRE(rpc_worker_devices(machine{worker_host, {}}, "10.0.0.2:50052", std::span<device>(remote.data(), 1)) == 1);
    REQUIRE(rpc_worker_devices(machine{worker_host, {}}, "10.0.0.3:50052", std::span<device>(remote.data() + 1, 1)) == 1);

    for (const std::uint64_t ram_gib : {4ull, 64ull}) {
        CAPTURE(ram_gib);
        host h{};
        h.cpus_physical = h.cpus_logical = 8;
        h.memory_total = h.memory_available = ram_gib << 30;
        machine_storage st;
        REQUIRE(with_rpc_devices(machine{h, {}}, remote, st));
        const machine hw = st.view();
        const auto s = planner_checks::summary_of(m, hw);
        auto p = plan_model(m, *s, hw, goal{});
        REQUIRE(p.has_value());
        CHECK(p->fits);
        const auto argv = planner_checks::argv_of(*p, m, *s, hw);
        REQUIRE(argv.size() > 4);
        CHECK(argv[3] == "--rpc");
        CHECK(argv[4] == "10.0.0.2:50052,10.0.0.3:50052");
        if (ram_gib == 4) {
            // the host's 4 GiB cannot hold 7 GiB of weights: the blocks go to the workers
            CHECK(p->place.layers.n_gpu_layers == hp.n_layer + 1);
        } else {
            // the host alone is as fast as the workers once the network's round trips are counted
            CHECK(p->place.layers.n_gpu_layers == 0);
        }
        planner_checks::check_reproduces(*p, m, *s, hw);
    }
}
