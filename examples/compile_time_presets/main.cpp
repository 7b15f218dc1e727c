// A preset table computed by the compiler: plans for hand-described models on hand-described machines are
// constant expressions, checked by static_assert and printed at run time. This is how a server can ship launch
// settings for the hardware it supports without planning at start-up (and how fuzzers drive synthetic hardware).
#include <llamaplan.hpp>

#include <array>
#include <cstdio>
#include <string>

namespace {
using namespace llamaplan;

/// An 8-block llama-shaped model (Q8_0 matrices, F16 KV), described by hand.
struct tiny_llama {
    static constexpr std::size_t n_tensors = 3 + 8 * 7;
    static constexpr std::array<std::string_view, 8 * 7> block_names = {
#define LLAMAPLAN_BLOCK(i)                                                                                          \
    "blk." #i ".attn_norm.weight", "blk." #i ".attn_q.weight", "blk." #i ".attn_k.weight", "blk." #i ".attn_v.weight", \
        "blk." #i ".attn_output.weight", "blk." #i ".ffn_up.weight", "blk." #i ".ffn_down.weight"
        LLAMAPLAN_BLOCK(0), LLAMAPLAN_BLOCK(1), LLAMAPLAN_BLOCK(2), LLAMAPLAN_BLOCK(3),
        LLAMAPLAN_BLOCK(4), LLAMAPLAN_BLOCK(5), LLAMAPLAN_BLOCK(6), LLAMAPLAN_BLOCK(7)
#undef LLAMAPLAN_BLOCK
    };
    static constexpr std::array<tensor_info, n_tensors> tensors = [] {
        std::array<tensor_info, n_tensors> t{};
        std::uint64_t off = 0;
        std::size_t n = 0;
        auto add = [&](std::string_view name, ggml_type type, std::uint64_t ne0, std::uint64_t ne1) {
            t[n] = *make_tensor(name, type, {ne0, ne1, 1, 1}, ne1 == 1 ? 1u : 2u, off);
            off += (t[n].bytes + 31) / 32 * 32;
            ++n;
        };
        add("token_embd.weight", ggml_type::q8_0, 1024, 32000);
        add("output_norm.weight", ggml_type::f32, 1024, 1);
        add("output.weight", ggml_type::q8_0, 1024, 32000);
        for (std::size_t b = 0; b < 8; ++b) {
            const auto* nm = &block_names[b * 7];
            add(nm[0], ggml_type::f32, 1024, 1);
            add(nm[1], ggml_type::q8_0, 1024, 1024);
            add(nm[2], ggml_type::q8_0, 1024, 256);
            add(nm[3], ggml_type::q8_0, 1024, 256);
            add(nm[4], ggml_type::q8_0, 1024, 1024);
            add(nm[5], ggml_type::q8_0, 1024, 4096);
            add(nm[6], ggml_type::q8_0, 4096, 1024);
        }
        return t;
    }();
    static constexpr hparams hp = [] {
        hparams h;
        h.architecture = "llama";
        h.n_layer = 8;
        h.n_embd = 1024;
        h.n_vocab = 32000;
        h.n_ctx_train = 32768;
        h.n_head = 16;
        h.n_head_kv = 4;
        h.n_ff = 4096;
        h.n_embd_head_k = h.n_embd_head_v = 64;
        return h;
    }();
    static constexpr model m{hp, tensors};
};

constexpr std::array<device, 1> small_gpu{device{"8 GiB CUDA GPU", backend::cuda, 8ull << 30, 7ull << 30, 448'000'000'000}};
constexpr std::array<device, 1> tiny_gpu{device{"2 GiB Vulkan iGPU", backend::vulkan, 2ull << 30, 1800ull << 20, 100'000'000'000}};

constexpr machine with_host(std::span<const device> gpus, std::uint64_t ram) {
    machine hw{host{}, gpus};
    hw.host.cpus_physical = 8;
    hw.host.cpus_logical = 16;
    hw.host.memory_total = hw.host.memory_available = ram;
    hw.host.bandwidth = 60'000'000'000;
    return hw;
}

constexpr plan plan_for(const machine& hw, preset_id preset) {
    goal g;
    g.preset = preset;
    auto p = plan_model(tiny_llama::m, hw, g);
    return p ? *p : plan{};
}

// one constant per plan: each is evaluated within the compilers' default constexpr limits
constexpr plan cpu_balanced = plan_for(with_host({}, 16ull << 30), preset_id::balanced);
constexpr plan gpu_balanced = plan_for(with_host(small_gpu, 16ull << 30), preset_id::balanced);
constexpr plan gpu_context = plan_for(with_host(small_gpu, 16ull << 30), preset_id::more_context);
constexpr plan igpu_speed = plan_for(with_host(tiny_gpu, 8ull << 30), preset_id::high_speed);

// what the compiler proved
static_assert(cpu_balanced.fits && cpu_balanced.place.layers.n_gpu_layers == 0);
static_assert(gpu_balanced.fits && gpu_balanced.place.layers.n_gpu_layers == 9);  // 8 blocks + output layer
static_assert(gpu_context.fits && gpu_context.ctx_per_slot == 32768);             // the training context
static_assert(igpu_speed.fits && igpu_speed.memory.n_ctx >= 4096);

struct row {
    const char* machine_name;
    const plan* p;
};
constexpr std::array<row, 4> table = {{
    {"CPU only, 16 GiB", &cpu_balanced},
    {"8 GiB CUDA GPU", &gpu_balanced},
    {"8 GiB CUDA GPU", &gpu_context},
    {"2 GiB Vulkan iGPU", &igpu_speed},
}};
}  // namespace

int main() {
    std::printf("%-20s %-14s %8s %5s %6s %6s %12s\n", "machine", "preset", "context", "ngl", "K", "V", "decode t/s");
    for (const auto& r : table)
        std::printf("%-20s %-14s %8u %5u %6s %6s %12.1f\n", r.machine_name, std::string(to_string(r.p->preset)).c_str(),
                    r.p->memory.n_ctx, r.p->place.layers.n_gpu_layers, std::string(type_name(r.p->params.type_k)).c_str(),
                    std::string(type_name(r.p->params.type_v)).c_str(), r.p->speed.decode_tps);
    return 0;
}
