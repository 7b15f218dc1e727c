// Writes the fuzzers' seed corpora: GGUF headers made by the project's own writer (one per modelled architecture,
// whole and split, with several launch-setting bytes; every measured model of tests/accuracy/extra_models.hpp and
// projector of mmproj_models.hpp once), a canonical machine file, llama-server command lines, the
// recorded probe fixtures (tests/fixtures/probe) prefixed with the byte that selects their parser, and planner cases
// in fuzz_planner.cpp's encoding.
//   make_seeds FIXTURES_DIR OUT_DIR      -> OUT_DIR/{gguf,machine_file,server_args,probe,planner,logs,rpc}/seed-N
// (the logs seeds: every file of tests/data/logs, FIXTURES_DIR/../data/logs)
#include "../accuracy/extra_models.hpp"
#include "../accuracy/mmproj_models.hpp"

#include <llamaplan/gguf/writer.hpp>
#include <llamaplan/probe/machine_file.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace llamaplan;
using namespace llamaplan::gguf;

namespace {
int counter = 0;
void put(const fs::path& dir, const std::vector<std::byte>& bytes) {
    fs::create_directories(dir);
    std::ofstream f(dir / ("seed-" + std::to_string(counter++)), std::ios::binary);
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}
std::vector<std::byte> text(std::string_view prefix, std::string_view s) {
    std::vector<std::byte> b;
    for (char c : prefix) b.push_back(std::byte(c));
    for (char c : s) b.push_back(std::byte(c));
    return b;
}

/// Appends `value` big-endian in `width` bytes (fuzz_planner.cpp's bytes_in reads them so).
void be(std::vector<std::byte>& b, std::uint64_t value, unsigned width) {
    for (unsigned i = width; i-- > 0;) b.push_back(std::byte((value >> (8 * i)) & 0xff));
}

/// One planner case in fuzz_planner.cpp's encoding: a consistent model (head dim 64, 32 heads), `gpus` CUDA GPUs of
/// `gpu_gib` GiB, a host of `host_gib` GiB, pinned `-c ctx` when ctx > 0, and a preset.
std::vector<std::byte> planner_case(bool moe, bool swa, std::uint32_t n_layer, std::size_t gpus, std::uint64_t gpu_gib,
                                    std::uint64_t host_gib, std::uint32_t ctx, std::uint8_t preset) {
    std::vector<std::byte> b;
    be(b, (moe ? 1u : 0u) | (swa ? 8u : 0u), 1);  // flags: MoE, SWA; untied, consistent shapes
    be(b, n_layer, 2);
    be(b, 2, 1);       // head dim 16 << 2 = 64
    be(b, 31, 1);      // 32 heads
    be(b, 2, 1);       // 32 >> 2 = 8 KV heads
    be(b, 2, 1);       // n_ff = 3 * n_embd
    be(b, 128000, 3);  // vocabulary
    be(b, 17, 1);      // trained context 2^17
    if (moe) {
        be(b, 128, 2);  // experts
        be(b, 7, 1);    // 8 used
    }
    if (swa) {
        be(b, 2, 1);  // window 128 << 2
        be(b, 3, 1);  // every 4th layer full
    }
    be(b, 1, 1);  // Q4_0 weights
    be(b, gpus, 1);
    for (std::size_t i = 0; i < gpus; ++i) {
        be(b, 1, 1);                 // CUDA
        be(b, gpu_gib << 30, 5);
        be(b, 0, 1);                 // no shift
        be(b, 250, 1);               // 98 % free
        be(b, 250, 1);               // 1 TB/s
    }
    be(b, 16, 1);                    // 16 cores
    be(b, 1, 1);                     // 32 threads
    be(b, 1, 1);                     // one NUMA node
    be(b, host_gib << 30, 6);
    be(b, 200, 1);                   // 78 % available
    be(b, 80, 1);                    // 80 GB/s, repack on, no AMX
    be(b, ctx ? 1 : 0, 2);           // pinned flags: -c only
    if (ctx) be(b, ctx, 3);
    be(b, preset, 1);
    be(b, 0, 1);                     // the preset's margins
    return b;
}

std::vector<synth_spec> models() {
    std::vector<synth_spec> v;
    synth_spec llama;
    llama.n_layer = 3;
    llama.n_vocab = 64;
    v.push_back(llama);
    synth_spec tied = llama;
    tied.tied_output = true;
    tied.n_head_kv = 2;
    v.push_back(tied);
    synth_spec moe;
    moe.arch = "qwen3moe";
    moe.n_layer = 3;
    moe.n_expert = 8;
    moe.n_expert_used = 2;
    moe.n_ff_exp = 32;
    moe.qk_norm = true;
    moe.n_vocab = 64;
    v.push_back(moe);
    synth_spec ds = moe;  // deepseek2-style MLA with a dense first block and shared experts
    ds.arch = "deepseek2";
    ds.qk_norm = false;
    ds.n_layer_dense_lead = 1;
    ds.n_expert_shared = 1;
    ds.kv_lora_rank = 32;
    ds.q_lora_rank = 24;
    ds.rope_dim = 16;
    ds.key_length_mla = 48;
    ds.value_length_mla = 32;
    v.push_back(ds);
    synth_spec g3;
    g3.arch = "gemma3";
    g3.n_layer = 7;
    g3.n_swa = 128;
    g3.qk_norm = true;
    g3.post_norms = true;
    g3.n_vocab = 64;
    v.push_back(g3);
    synth_spec g2 = g3;
    g2.arch = "gemma2";
    v.push_back(g2);
    synth_spec l4 = llama;
    l4.arch = "llama4";
    l4.n_layer = 4;
    v.push_back(l4);
    synth_spec mamba;
    mamba.arch = "mamba2";
    mamba.n_layer = 2;
    mamba.n_head = 0;
    mamba.n_ff = 0;
    mamba.ssm_d_conv = 4;
    mamba.ssm_d_inner = 128;
    mamba.ssm_d_state = 16;
    mamba.ssm_dt_rank = 4;
    mamba.ssm_n_group = 1;
    mamba.n_vocab = 64;
    v.push_back(mamba);
    synth_spec hybrid = mamba;
    hybrid.arch = "granitehybrid";
    hybrid.n_layer = 4;
    hybrid.n_head = 4;
    hybrid.n_head_kv = 2;
    hybrid.n_ff = 96;
    hybrid.head_kv_per_layer = {0, 2, 0, 0};
    v.push_back(hybrid);
    synth_spec rwkv;
    rwkv.arch = "rwkv6";
    rwkv.n_layer = 2;
    rwkv.n_head = 0;
    rwkv.wkv_head_size = 16;
    rwkv.n_vocab = 64;
    v.push_back(rwkv);
    return v;
}
}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: make_seeds FIXTURES_DIR OUT_DIR\n");
        return 2;
    }
    const fs::path fixtures = argv[1], out = argv[2];

    // GGUF: byte 0 = launch settings, byte 1 bit 0 = split mode (see fuzz_gguf.cpp)
    for (const auto& s : models()) {
        const writer w = synthesize(s);
        for (unsigned char setting : {0x03, 0x2c, 0x5b, 0x84, 0xc3}) {
            std::vector<std::byte> b{std::byte(setting), std::byte(0)};
            const auto h = w.bytes(data_fill::header_only);
            b.insert(b.end(), h.begin(), h.end());
            put(out / "gguf", b);
        }
        std::vector<std::byte> b{std::byte(0x03), std::byte(1)};
        const auto parts = w.split_bytes(3, data_fill::header_only);
        for (std::size_t i = 0; i < parts.size(); ++i) {
            if (i > 0)
                for (char c : std::string_view("LPSPLIT!")) b.push_back(std::byte(c));
            b.insert(b.end(), parts[i].begin(), parts[i].end());
        }
        put(out / "gguf", b);
    }

    // the measured models (every architecture with a replayed graph) and projectors, header only, default settings
    auto header_seed = [&](const writer& w) {
        std::vector<std::byte> b{std::byte(0x03), std::byte(0)};
        const auto h = w.bytes(data_fill::header_only);
        b.insert(b.end(), h.begin(), h.end());
        put(out / "gguf", b);
    };
    for (const auto& d : extra::models())
        if (d.quantized_from.empty()) header_seed(synthesize(d.spec));
    for (const auto& d : extra::mmproj_models()) header_seed(synthesize_mmproj(d.spec));

    // machine files: a canonical one (via machine_to_json) and the hand-written form
    const std::string hand = R"({"format": "llamaplan-machine", "version": 1, "platform": "linux", "cpu_name": "x",
 "host": {"cpus_logical": 4, "cpus_physical": 2, "memory_total": 8589934592, "memory_available": 7516192768,
          "cpu_repack": true},
 "devices": [{"name": "NVIDIA GeForce RTX 4090", "backend": "cuda", "memory_total": 25757220864,
              "memory_free": 24208670720, "compute_major": 8, "compute_minor": 9}]})";
    put(out / "machine_file", text("", hand));
    if (auto m = probe::machine_from_json(hand)) put(out / "machine_file", text("", probe::machine_to_json(*m)));
    else std::fprintf(stderr, "make_seeds: the hand-written machine file is refused: %s\n", std::string(m.error().what).c_str());

    // rpc-server replies, prefixed with fuzz_rpc.cpp's command selector (0 HELLO, 1 DEVICE_COUNT, 2 GET_DEVICE_MEMORY,
    // 3 GET_ALIGNMENT, 4 GET_MAX_SIZE): | size (8, little-endian) | payload |, as ggml-rpc.cpp send_msg writes them
    {
        const auto reply = [](unsigned char sel, std::vector<std::uint64_t> fields, unsigned width) {
            std::vector<std::byte> b{std::byte(sel)};
            const std::uint64_t n = fields.size() * width;
            for (unsigned i = 0; i < 8; ++i) b.push_back(std::byte((n >> (8 * i)) & 0xff));
            for (auto f : fields)
                for (unsigned i = 0; i < width; ++i) b.push_back(std::byte((f >> (8 * i)) & 0xff));
            return b;
        };
        std::vector<std::uint64_t> hello(28, 0);
        hello[0] = 5, hello[1] = 1;
        put(out / "rpc", reply(0, hello, 1));
        put(out / "rpc", reply(1, {2}, 4));
        put(out / "rpc", reply(2, {22ull << 30, 24ull << 30}, 8));
        put(out / "rpc", reply(3, {256}, 8));
        put(out / "rpc", reply(4, {~0ull}, 8));
        put(out / "rpc", text("\x01", "[::1]:50052"));
        put(out / "rpc", text("\x01", "192.168.1.20:50052"));
    }

    // llama-server command lines, one argument per line
    for (const char* cl : {"-m\nmodel.gguf\n-c\n8192\n-np\n4\n-ngl\n99\n-fa\non\n-ctk\nq8_0\n-ctv\nq8_0",
                           "-m\nm.gguf\n-ot\nffn_.*_exps=CPU\n-ts\n3,1\n-sm\nrow\n-mg\n1\n--cpu-moe",
                           "--model\nm.gguf\n-b\n4096\n-ub\n1024\n-kvu\n--swa-full\n-nkvo\n--n-cpu-moe\n10\n--no-repack",
                           "m.gguf\n--host\n0.0.0.0\n--port\n8080\n-t\n8\n--embeddings\n-cram\n0\n--load-mode\nmmap"})
        put(out / "server_args", text("", cl));

    // llama.cpp logs: the real and public logs the reader is tested on
    if (fs::is_directory(fixtures / ".." / "data" / "logs"))
        for (const auto& e : fs::recursive_directory_iterator(fixtures / ".." / "data" / "logs")) {
            if (!e.is_regular_file() || e.file_size() > 65536) continue;
            std::ifstream f(e.path(), std::ios::binary);
            std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
            put(out / "logs", text("", s));
        }

    // probe fixtures, by the parser each file is for (fuzz_probe.cpp's selector byte)
    const std::map<std::string, char> by_name = {
        {"meminfo", 2}, {"cgroup", 3}, {"memory.max", 4}, {"memory.limit_in_bytes", 4}, {"cpu.max", 5},
        {"cpuinfo", 7}, {"online", 8}, {"cpus", 8}, {"cpuset.cpus", 8}, {"cpuset.cpus.effective", 8},
        {"thread_siblings_list", 8}};
    for (const auto& e : fs::recursive_directory_iterator(fixtures / "probe")) {
        if (!e.is_regular_file()) continue;
        std::ifstream f(e.path(), std::ios::binary);
        const std::string body((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        const std::string name = e.path().filename().string(), parent = e.path().parent_path().filename().string();
        char sel = -1;
        if (parent == "nvidia-smi") sel = name == "mig-list.txt" ? 1 : 0;
        else if (parent == "meminfo") sel = 2;
        else if (parent == "sysctl") sel = 10;
        else if (auto it = by_name.find(name); it != by_name.end()) sel = it->second;
        if (sel >= 0) put(out / "probe", text(std::string(1, sel), body));
    }
    put(out / "probe", text("\x09", "0x1002\n0x744c\n-\n25753026560\n1048576\n33554432000\n0\n16.0 GT/s PCIe\n16"));
    put(out / "probe", text("\x06", "200000\n100000"));
    // planner cases: dense / MoE / SWA models on 0-4 GPUs, some with a pinned context, several presets
    put(out / "planner", planner_case(false, false, 32, 1, 24, 64, 0, 0));
    put(out / "planner", planner_case(true, false, 48, 2, 24, 128, 32768, 1));
    put(out / "planner", planner_case(false, true, 62, 4, 80, 512, 0, 2));
    put(out / "planner", planner_case(true, false, 94, 0, 0, 256, 8192, 3));
    put(out / "planner", planner_case(false, false, 1, 1, 8, 16, 0, 4));
    put(out / "planner", planner_case(true, true, 8, 3, 12, 32, 131072, 5));
    std::printf("make_seeds: %d seeds in %s\n", counter, out.string().c_str());
    return 0;
}
