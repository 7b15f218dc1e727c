// Compile-time planner checks: plan_model on a hand-written model is a constant expression, within the compilers'
// default constexpr limits, so a preset table can be computed at compile time (examples/compile_time_presets).
#include <llamaplan.hpp>

#include <array>

namespace {
using namespace llamaplan;

// a 4-block llama-shaped model: F16 attention, Q8_0 FFN, a 1024-token vocabulary (bytes worked out below)
constexpr std::array<tensor_info, 19> tiny_tensors = [] {
    std::array<tensor_info, 19> t{};
    std::uint64_t off = 0;
    std::size_t i = 0;
    auto add = [&](std::string_view name, ggml_type type, std::uint64_t ne0, std::uint64_t ne1) {
        t[i] = *make_tensor(name, type, {ne0, ne1, 1, 1}, ne1 == 1 ? 1u : 2u, off);
        off += (t[i].bytes + 31) / 32 * 32;
        ++i;
    };
    add("token_embd.weight", ggml_type::q8_0, 128, 1024);
    add("output_norm.weight", ggml_type::f32, 128, 1);
    add("output.weight", ggml_type::q8_0, 128, 1024);
    constexpr std::string_view names[4][4] = {
        {"blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.attn_v.weight", "blk.0.ffn_up.weight"},
        {"blk.1.attn_q.weight", "blk.1.attn_k.weight", "blk.1.attn_v.weight", "blk.1.ffn_up.weight"},
        {"blk.2.attn_q.weight", "blk.2.attn_k.weight", "blk.2.attn_v.weight", "blk.2.ffn_up.weight"},
        {"blk.3.attn_q.weight", "blk.3.attn_k.weight", "blk.3.attn_v.weight", "blk.3.ffn_up.weight"}};
    for (const auto& b : names) {
        add(b[0], ggml_type::f16, 128, 128);
        add(b[1], ggml_type::f16, 128, 64);
        add(b[2], ggml_type::f16, 128, 64);
        add(b[3], ggml_type::q8_0, 128, 256);
    }
    return t;
}();

constexpr hparams tiny_hparams = [] {
    hparams h;
    h.architecture = "llama";
    h.n_layer = 4;
    h.n_embd = 128;
    h.n_vocab = 1024;
    h.n_ctx_train = 8192;
    h.n_head = 4;
    h.n_head_kv = 2;
    h.n_ff = 256;
    h.n_embd_head_k = 32;
    h.n_embd_head_v = 32;
    return h;
}();
constexpr model tiny{tiny_hparams, tiny_tensors};

// per block: q 128x128 f16 = 32768, k and v 128x64 f16 = 16384 each, ffn_up 256 rows of Q8_0 = 256 * 136 = 34816
constexpr std::uint64_t block_bytes = 32768 + 2 * 16384 + 34816;
static_assert(block_bytes == 100352);

// a CPU-only machine with 4 GiB of RAM: nothing is offloaded, the balanced preset reaches its 8192-token target
// (the training context), the weights are mapped, and the prompt cache takes what the 2 GiB host margin leaves
constexpr auto cpu_plan = [] {
    machine hw;
    hw.host.cpus_physical = 8;
    hw.host.memory_total = hw.host.memory_available = 4ull << 30;
    auto p = plan_model(tiny, hw, goal{});
    return p ? *p : plan{};
}();
static_assert(cpu_plan.fits);
static_assert(cpu_plan.place.layers.n_gpu_layers == 0);
static_assert(cpu_plan.ctx_per_slot == 8192 && cpu_plan.memory.n_ctx == 8192);
static_assert(cpu_plan.threads == 8 && cpu_plan.threads_batch == 8);
// KV: 4 layers x (K + V) x 64 f16 values x 8192 cells
static_assert(cpu_plan.memory.kv() == 4ull * 2 * 64 * 2 * 8192);
static_assert(cpu_plan.reason_for(setting::n_gpu_layers)->how == origin::chosen);

// one small GPU: the weights fit on it, so every layer is offloaded; a pinned context is kept as given
constexpr std::array<device, 1> small_gpu{device{"gpu", backend::cuda, 3ull << 30, 3ull << 30}};
constexpr auto gpu_plan = [] {
    machine hw{host{}, small_gpu};
    hw.host.memory_total = hw.host.memory_available = 8ull << 30;
    goal g;
    g.preset = preset_id::high_speed;
    g.params.n_ctx = 2048;
    g.pinned.add(setting::n_ctx);
    auto p = plan_model(tiny, hw, g);
    return p ? *p : plan{};
}();
static_assert(gpu_plan.fits);
static_assert(gpu_plan.place.layers.n_gpu_layers == 5);  // 4 blocks + the output layer
static_assert(gpu_plan.params.n_ctx == 2048);
static_assert(gpu_plan.reason_for(setting::n_ctx)->how == origin::pinned);
// the GPU holds the 4 blocks and the output head (128 x 1024 Q8_0 = 139264 bytes + the f32 norm, 128-aligned); CUDA
// pads each quantized row of 128 elements to 512 (ggml_backend_cuda_buffer_type_get_alloc_size): 384 more Q8_0
// elements = 408 bytes per row, on 256 rows of each ffn_up and 1024 rows of the output head
static_assert(gpu_plan.memory.devices[1].model == 4 * (block_bytes + 256 * 408) + 139264 + 1024 * 408 + 512);

// a GPU too small for a layer beside its margin: the plan keeps every layer on the host, and the GPU keeps only the
// driver context (no margin is needed on a GPU the plan leaves empty)
constexpr std::array<device, 1> tiny_gpu{device{"gpu", backend::cuda, 1200ull << 20, 1200ull << 20}};
constexpr auto squeezed = [] {
    machine hw{host{}, tiny_gpu};
    hw.host.memory_total = hw.host.memory_available = 8ull << 30;
    auto p = plan_model(tiny, hw, goal{});
    return p ? *p : plan{};
}();
static_assert(squeezed.fits && squeezed.place.layers.n_gpu_layers == 0);
static_assert(squeezed.budgets[1].planned == 400ull << 20 && squeezed.budgets[1].margin == 0);

}  // namespace
