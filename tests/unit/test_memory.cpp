// The memory model on hand-built models: each expected figure is worked out by hand from llama.cpp's rules.
#include <llamaplan/memory.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {
using namespace llamaplan;

/// A llama-shaped model with `n_layer` blocks, F16 attention and Q4_0 FFN (or routed experts).
struct toy_model {
    std::vector<std::string> names;
    std::vector<tensor_info> tensors;
    std::vector<std::uint8_t> swa;
    std::vector<std::uint8_t> recurrent;
    hparams hp;

    toy_model(std::uint32_t n_layer, bool moe = false, bool tied = false) {
        hp.architecture = "llama";
        hp.n_layer = n_layer;
        hp.n_embd = 256;
        hp.n_vocab = 1000;
        hp.n_ctx_train = 4096;
        hp.n_head = 8;
        hp.n_head_kv = 2;
        hp.n_ff = 512;
        hp.n_embd_head_k = hp.n_embd_head_v = 32;
        if (moe) { hp.n_expert = 4; hp.n_expert_used = 2; hp.n_ff_exp = 128; }
        names.reserve(16 + 8 * n_layer);
        add("token_embd.weight", ggml_type::q8_0, 256, 1000, 1);
        add("output_norm.weight", ggml_type::f32, 256, 1, 1);
        if (!tied) add("output.weight", ggml_type::q8_0, 256, 1000, 1);
        for (std::uint32_t il = 0; il < n_layer; ++il) {
            const std::string b = "blk." + std::to_string(il) + ".";
            add(b + "attn_norm.weight", ggml_type::f32, 256, 1, 1);
            add(b + "attn_q.weight", ggml_type::f16, 256, 256, 1);
            add(b + "attn_k.weight", ggml_type::f16, 256, 64, 1);
            add(b + "attn_v.weight", ggml_type::f16, 256, 64, 1);
            add(b + "attn_output.weight", ggml_type::f16, 256, 256, 1);
            if (moe) {
                add(b + "ffn_gate_inp.weight", ggml_type::f32, 256, 4, 1);
                add(b + "ffn_up_exps.weight", ggml_type::q4_0, 256, 128, 4);
                add(b + "ffn_down_exps.weight", ggml_type::q4_0, 128, 256, 4);
            } else {
                add(b + "ffn_up.weight", ggml_type::q4_0, 256, 512, 1);
                add(b + "ffn_down.weight", ggml_type::q4_0, 512, 256, 1);
            }
        }
    }
    void add(std::string name, ggml_type type, std::uint64_t ne0, std::uint64_t ne1, std::uint64_t ne2) {
        names.push_back(std::move(name));
        const std::uint64_t off = tensors.empty() ? 0 : (tensors.back().offset + tensors.back().bytes + 31) / 32 * 32;
        tensors.push_back(*make_tensor(names.back(), type, {ne0, ne1, ne2, 1}, ne2 > 1 ? 3u : (ne1 > 1 ? 2u : 1u), off));
    }
    [[nodiscard]] model view() const { return model{hp, tensors}; }
    [[nodiscard]] std::uint64_t bytes_where(bool (*pred)(const tensor_info&)) const {
        std::uint64_t s = 0;
        for (const auto& t : tensors)
            if (pred(t)) s += t.bytes;
        return s;
    }
};

std::uint64_t bytes_of(const buffer_list& l, buffer_ref b) {
    for (const auto& x : l)
        if (x.buffer == b) return x.bytes;
    return 0;
}
constexpr buffer_ref cpu{buffer_kind::cpu, host_device};
constexpr buffer_ref mapped{buffer_kind::cpu_mapped, host_device};
constexpr buffer_ref repack{buffer_kind::cpu_repack, host_device};
constexpr buffer_ref cuda0{buffer_kind::gpu, 0};
constexpr buffer_ref cuda1{buffer_kind::gpu, 1};
}  // namespace

TEST_CASE("CPU only: Q4_0 matrices repack, the rest stays mapped") {
    toy_model tm(2);
    machine hw;
    auto e = estimate_memory(tm.view(), hw, launch_params{});
    REQUIRE(e);
    // repacked: the four Q4_0 FFN matrices (ne1 % 8 == 0), each padded to 32 bytes
    const std::uint64_t q4 = 2 * (512 / 32 * 18 * 256 + 256 / 32 * 18 * 512);
    CHECK(bytes_of(e->model_buffers, repack) == q4);
    // mapped: from the first to the end of the last non-repacked tensor; here blk.1.attn_output is last mapped
    const auto* last = tm.view().find("blk.1.attn_output.weight");
    CHECK(bytes_of(e->model_buffers, mapped) == last->offset + last->bytes);
    SUBCASE("without repacking everything is one mapped range") {
        hw.host.cpu_repack = false;
        auto f = estimate_memory(tm.view(), hw, launch_params{});
        const auto& t = tm.tensors.back();
        CHECK(f->weights() == t.offset + t.bytes);
    }
}

TEST_CASE("full offload to one CUDA GPU: token embedding stays on the host") {
    toy_model tm(2);
    const std::array<device, 1> gpus{device{"gpu0", backend::cuda, 24ull << 30, 24ull << 30}};
    machine hw{host{}, gpus};
    launch_params p;
    p.n_ctx = 1024;
    auto e = estimate_memory(tm.view(), hw, p);
    REQUIRE(e);
    CHECK(e->layers.n_gpu_layers == 3);
    // host: only token_embd, mapped (with a GPU the pinned host buffer wins over CPU_REPACK, and mmap maps it)
    CHECK(bytes_of(e->model_buffers, mapped) == tm.tensors[0].bytes);
    CHECK(bytes_of(e->model_buffers, repack) == 0);
    // GPU: every other tensor, 128-byte aligned; Q4_0 rows of 256 elements are padded to 512 (MATRIX_ROW_PADDING)
    std::uint64_t gpu = 0;
    for (std::size_t i = 1; i < tm.tensors.size(); ++i) {
        const auto& t = tm.tensors[i];
        std::uint64_t b = t.bytes;
        if (t.type == ggml_type::q4_0 || t.type == ggml_type::q8_0) b += row_size(t.type, 512 - t.ne[0] % 512) * t.ne[1] * t.ne[2] * (t.ne[0] % 512 != 0);
        gpu += (b + 127) / 128 * 128;
    }
    CHECK(bytes_of(e->model_buffers, cuda0) == gpu);
    // KV on the GPU: 2 layers x (K + V) x 64 wide x f16 x 1024 cells
    CHECK(bytes_of(e->kv_buffers, cuda0) == 2ull * 2 * 64 * 2 * 1024);
    // logits in the pinned host buffer of the output device
    CHECK(bytes_of(e->output_buffers, {buffer_kind::host_pinned, host_device}) == 1000ull * 4);
    CHECK(e->devices.size() == 2);
    CHECK(e->row(0)->overhead == 400ull << 20);

    SUBCASE("-nkvo keeps the KV cache on the host") {
        p.offload_kqv = false;
        auto f = estimate_memory(tm.view(), hw, p);
        CHECK(bytes_of(f->kv_buffers, cpu) == 2ull * 2 * 64 * 2 * 1024);
        CHECK(bytes_of(f->kv_buffers, cuda0) == 0);
    }
}

TEST_CASE("-ngl counts the output layer and offloads the last layers") {
    toy_model tm(4);
    const std::array<device, 1> gpus{device{"gpu0", backend::cuda, 24ull << 30, 24ull << 30}};
    launch_params p;
    p.n_gpu_layers = 2;  // output layer + block 3
    auto lp = place_layers(tm.hp, machine{host{}, gpus}, p);
    REQUIRE(lp);
    CHECK(lp->of(0) == host_device);
    CHECK(lp->of(2) == host_device);
    CHECK(lp->of(3) == 0);
    CHECK(lp->output() == 0);
    p.n_gpu_layers = 0;
    CHECK(place_layers(tm.hp, machine{host{}, gpus}, p)->n_gpu_layers == 0);
}

TEST_CASE("-ts splits layers proportionally across GPUs") {
    toy_model tm(8);
    const std::array<device, 2> gpus{device{"a", backend::cuda, 8ull << 30, 8ull << 30},
                                     device{"b", backend::cuda, 8ull << 30, 8ull << 30}};
    launch_params p;
    p.tensor_split[0] = 1;
    p.tensor_split[1] = 2;
    auto lp = place_layers(tm.hp, machine{host{}, gpus}, p);
    REQUIRE(lp);
    // 9 layers (8 + output): layer il goes to the first device whose cumulative split exceeds il / 9
    int on0 = 0;
    for (std::uint32_t il = 0; il <= 8; ++il) on0 += lp->of(il) == 0;
    CHECK(on0 == 3);  // il / 9 < 1/3 for il = 0, 1, 2
    CHECK(lp->output() == 1);
    SUBCASE("all-zero split follows free memory") {
        const std::array<device, 2> uneven{device{"a", backend::cuda, 24ull << 30, 6ull << 30},
                                           device{"b", backend::cuda, 24ull << 30, 12ull << 30}};
        auto lq = place_layers(tm.hp, machine{host{}, uneven}, launch_params{});
        int n0 = 0;
        for (std::uint32_t il = 0; il <= 8; ++il) n0 += lq->of(il) == 0;
        CHECK(n0 == 3);
    }
}

TEST_CASE("--cpu-moe, --n-cpu-moe and -ot move routed experts to the host") {
    toy_model tm(3, /*moe=*/true);
    const std::array<device, 1> gpus{device{"gpu0", backend::cuda, 24ull << 30, 24ull << 30}};
    machine hw{host{}, gpus};
    auto experts_of = [&](int layer_below) {
        std::uint64_t s = 0;
        for (const auto& t : tm.tensors)
            if (t.role == tensor_role::ffn_expert && t.layer < layer_below) s += t.bytes;
        return s;
    };
    launch_params p;
    p.cpu_moe = true;
    auto e = estimate_memory(tm.view(), hw, p);
    REQUIRE(e);
    // experts on the host are mapped from the file: the range spans from token_embd to the last expert
    std::uint64_t first = ~0ull, last = 0;
    for (const auto& t : tm.tensors)
        if (t.role == tensor_role::ffn_expert || t.role == tensor_role::token_embedding) {
            first = std::min(first, t.offset);
            last = std::max(last, t.offset + t.bytes);
        }
    CHECK(bytes_of(e->model_buffers, mapped) == last - first);
    CHECK(last - first > experts_of(3));  // the range includes the GPU tensors lying between the experts
    launch_params q;
    q.n_cpu_moe = 1;
    auto f = estimate_memory(tm.view(), hw, q);
    launch_params r;
    (void)r.overrides.push_back({"blk\\.0\\.ffn_(up|down)_exps", host_device});
    auto g = estimate_memory(tm.view(), hw, r);
    REQUIRE(f);
    REQUIRE(g);
    CHECK(bytes_of(f->model_buffers, cuda0) == bytes_of(g->model_buffers, cuda0));
    CHECK(bytes_of(e->model_buffers, cuda0) < bytes_of(f->model_buffers, cuda0));
    SUBCASE("a bad -ot regex is an error naming the rule") {
        launch_params b;
        (void)b.overrides.push_back({"ok", host_device});
        (void)b.overrides.push_back({"(broken", host_device});
        auto h = estimate_memory(tm.view(), hw, b);
        REQUIRE_FALSE(h);
        CHECK(h.error().where == 1);
    }
    SUBCASE("-ot to a device that does not exist is refused") {
        launch_params b;
        (void)b.overrides.push_back({"exps", 3});
        CHECK_FALSE(estimate_memory(tm.view(), hw, b));
    }
}

TEST_CASE("a tied output head is duplicated onto the GPU") {
    toy_model untied(2), tied(2, false, true);
    const std::array<device, 1> gpus{device{"gpu0", backend::cuda, 24ull << 30, 24ull << 30}};
    machine hw{host{}, gpus};
    auto a = estimate_memory(untied.view(), hw, launch_params{});
    auto b = estimate_memory(tied.view(), hw, launch_params{});
    // same GPU bytes: output.weight in one, a copy of token_embd (same shape and type) in the other
    CHECK(bytes_of(a->model_buffers, cuda0) == bytes_of(b->model_buffers, cuda0));
}

TEST_CASE("sliding-window layers get a smaller cache unless --swa-full") {
    toy_model tm(6);
    tm.hp.n_swa = 128;
    tm.swa.resize(6);
    set_swa_pattern(tm.swa, 3);  // layers 0,1 SWA; 2 full; 3,4 SWA; 5 full
    tm.hp.swa_layers = tm.swa;
    launch_params p;
    p.n_ctx = 4096;
    p.n_ubatch = 512;
    auto e = estimate_memory(tm.view(), machine{}, p);
    REQUIRE(e);
    CHECK(e->kv_cells == 4096);
    CHECK(e->kv_cells_swa == 768);  // pad256(min(4096, 128 * 1 + 512)) = 768
    const std::uint64_t row = 64 * 2;
    CHECK(e->kv() == 2 * row * (4 * 768 + 2 * 4096));
    CHECK(e->kv_swa == 2 * row * 4 * 768);
    p.swa_full = true;
    CHECK(estimate_memory(tm.view(), machine{}, p)->kv() == 2 * row * 6 * 4096);
    p.swa_full = false;
    p.kv_unified = true;
    p.n_seq_max = 4;  // unified: n_swa * n_seq_max + n_ubatch = 1024
    CHECK(estimate_memory(tm.view(), machine{}, p)->kv_cells_swa == 1024);
}

TEST_CASE("MLA stores no V; hybrid models keep recurrent state instead of KV on recurrent layers") {
    toy_model tm(4);
    tm.hp.n_embd_head_k_mla = 192;
    tm.hp.n_embd_head_v_mla = 128;
    tm.hp.n_head_kv = 1;
    tm.hp.n_embd_head_k = 576;  // kv_lora_rank + rope
    tm.hp.n_embd_head_v = 512;
    launch_params p;
    p.n_ctx = 512;
    auto e = estimate_memory(tm.view(), machine{}, p);
    REQUIRE(e);
    CHECK(e->kv_v == 0);
    CHECK(e->kv_k == 4ull * 576 * 2 * 512);
    p.type_v = ggml_type::q8_0;
    p.flash_attn = flash_attn_mode::on;
    CHECK_FALSE(estimate_memory(tm.view(), machine{}, p));  // MLA needs matching K and V types

    toy_model hy(4);
    hy.hp.memory = memory_kind::hybrid;
    hy.recurrent = {1, 1, 1, 0};
    hy.hp.recurrent_layers = hy.recurrent;
    hy.hp.ssm_d_conv = 4;
    hy.hp.ssm_d_inner = 512;
    hy.hp.ssm_d_state = 16;
    hy.hp.ssm_n_group = 1;
    launch_params q;
    q.n_ctx = 512;
    q.n_seq_max = 2;
    auto h = estimate_memory(hy.view(), machine{}, q);
    REQUIRE(h);
    CHECK(h->kv_layers == 1);
    CHECK(h->recurrent_layers == 3);
    // r: (d_conv - 1) * (d_inner + 2 * n_group * d_state) floats, s: d_state * d_inner floats, per sequence
    const std::uint64_t r = 3 * (512 + 2 * 16), s = 16 * 512;
    CHECK(h->recurrent() == 3 * 4 * 2 * (r + s));
}

TEST_CASE("flash attention off pads V rows to the widest layer") {
    toy_model tm(2);
    std::vector<std::uint32_t> kv_heads{2, 4};
    tm.hp.n_head_kv_arr = kv_heads;
    // layer 1's K and V projections are 4 heads x 32 wide (validate_model checks the shapes agree)
    for (auto& t : tm.tensors)
        if (t.name == "blk.1.attn_k.weight" || t.name == "blk.1.attn_v.weight")
            t = *make_tensor(t.name, t.type, {256, 128, 1, 1}, 2, t.offset);
    launch_params p;
    p.n_ctx = 256;
    p.flash_attn = flash_attn_mode::off;
    auto off = estimate_memory(tm.view(), machine{}, p);
    p.flash_attn = flash_attn_mode::on;
    auto on = estimate_memory(tm.view(), machine{}, p);
    CHECK(on->kv_v == (64 + 128) * 2ull * 256);
    CHECK(off->kv_v == (128 + 128) * 2ull * 256);
    CHECK(on->kv_k == off->kv_k);
}

TEST_CASE("buffer names follow llama.cpp's logs") {
    const std::array<device, 2> gpus{device{"a", backend::cuda}, device{"b", backend::vulkan}};
    machine hw{host{}, gpus};
    char buf[32];
    CHECK(buffer_name(hw, mapped, buf) == "CPU_Mapped");
    CHECK(buffer_name(hw, repack, buf) == "CPU_REPACK");
    CHECK(buffer_name(hw, cuda0, buf) == "CUDA0");
    // devices are numbered per backend: the first Vulkan device is Vulkan0 even after a CUDA one
    CHECK(buffer_name(hw, cuda1, buf) == "Vulkan0");
    const std::array<device, 4> mixed{device{"a", backend::vulkan}, device{"b", backend::cuda},
                                      device{"c", backend::vulkan}, device{"d", backend::cuda}};
    machine hw2{host{}, mixed};
    CHECK(buffer_name(hw2, {buffer_kind::gpu, 2}, buf) == "Vulkan1");
    CHECK(buffer_name(hw2, {buffer_kind::gpu, 3}, buf) == "CUDA1");
    CHECK(buffer_name(hw, {buffer_kind::host_pinned, host_device}, buf) == "CUDA_Host");
}

TEST_CASE("absurd hyper-parameters and contexts are errors, not wrapped-around sizes") {
    toy_model tm(2);
    tm.hp.n_embd_head_k = tm.hp.n_embd_head_v = 65535;
    tm.hp.n_head = tm.hp.n_head_kv = 65535;
    // with its tensors the model contradicts itself (attn_q is 256 wide): llama.cpp's shape check refuses it
    auto bad = estimate_memory(tm.view(), machine{}, launch_params{});
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == errc::invalid_argument);
    CHECK(bad.error().what == "attention.key_length x attention.head_count differs from attn_q.weight ne[1]");
    // described by hyper-parameters alone, the sizes are checked for overflow instead
    const model bare{tm.hp, {}};
    launch_params p;
    p.n_ctx = 0x80000000u;  // 2 layers x 2^31 cells x a 65535 * 65535 * 2-byte row overflows 64 bits
    auto e = estimate_memory(bare, machine{}, p);
    REQUIRE_FALSE(e);
    CHECK(e.error().code == errc::overflow);
    tm.hp.n_embd_head_k = 1u << 20;
    CHECK(estimate_memory(model{tm.hp, {}}, machine{}, launch_params{}).error().code == errc::overflow);
    tm.hp.n_embd_head_k = tm.hp.n_embd_head_v = 32;
    tm.hp.n_head_kv = 2;
    tm.hp.n_head = 8;
    p.n_seq_max = 0;
    CHECK(estimate_memory(tm.view(), machine{}, p).error().what == "n_seq_max must be between 1 and 256 (LLAMA_MAX_SEQ)");
}

TEST_CASE("-ot Vulkan0 is the first Vulkan device, not machine device 0") {
    toy_model tm(2);
    const std::array<device, 2> gpus{device{"a", backend::cuda, 24ull << 30, 24ull << 30},
                                     device{"b", backend::vulkan, 24ull << 30, 24ull << 30}};
    machine hw{host{}, gpus};
    launch_params p;
    p.n_ctx = 256;
    p.tensor_split[0] = 1.0f;  // every layer (and the output layer) on the CUDA device
    tensor_override o{"ffn_up", host_device};
    o.named_backend = backend::vulkan;
    o.named_ordinal = 0;
    REQUIRE(p.overrides.push_back(o));
    auto e = estimate_memory(tm.view(), hw, p);
    REQUIRE(e);
    // only the two ffn_up (Q4_0 256 x 512) on the Vulkan device (machine index 1), each padded to 128 bytes
    const std::uint64_t up = 512 / 32 * 18 * 256;
    CHECK(e->row(1)->model == 2 * ((up + 127) / 128 * 128));
    o.named_ordinal = 1;  // there is no second Vulkan device
    p.overrides[0] = o;
    CHECK(estimate_memory(tm.view(), hw, p).error().code == errc::invalid_argument);
}

TEST_CASE("a context smaller than the ubatch clamps the batch to the requested context, not the padded one") {
    toy_model tm(2);
    launch_params p;
    p.n_ctx = 100;  // padded to 256 KV cells; llama_context clamps n_batch to 100 before padding
    auto e = estimate_memory(tm.view(), machine{}, p);
    REQUIRE(e);
    CHECK(e->n_ctx == 256);
    CHECK(e->n_batch == 100);
    CHECK(e->n_ubatch == 100);
    p.n_ctx = 300;
    p.n_ubatch = 200;
    CHECK(estimate_memory(tm.view(), machine{}, p)->n_ubatch == 200);
}

TEST_CASE("CPU_REPACK takes 2-D MUL_MAT and 3-D MUL_MAT_ID weights only: MLA's batched attn_k_b stays mapped") {
    toy_model tm(1, /*moe=*/true);  // Q4_0 ffn_up_exps / ffn_down_exps over 4 experts
    tm.add("blk.0.attn_k_b.weight", ggml_type::q4_0, 64, 128, 4);   // 3-D MUL_MAT (per-head batched)
    tm.add("blk.0.ffn_gate_exps.weight", ggml_type::q4_0, 256, 128, 4);  // 3-D MUL_MAT_ID
    auto e = estimate_memory(tm.view(), machine{}, launch_params{});
    REQUIRE_MESSAGE(e, e.error().what);
    // gate and up: 128 rows of 256 Q4_0 elements per expert; down: 256 rows of 128; attn_k_b is not among them
    const std::uint64_t exps = 2 * (256 / 32 * 18 * 128 * 4) + 128 / 32 * 18 * 256 * 4;
    CHECK(bytes_of(e->model_buffers, repack) == exps);
}

TEST_CASE("-cram -1 budgets all host RAM the other items leave, or refuses without a RAM size") {
    toy_model tm(2);
    launch_params p;
    p.n_ctx = 256;
    overhead_params o;
    o.prompt_cache = unbounded_prompt_cache;
    CHECK(estimate_memory(tm.view(), machine{}, p, o).error().code == errc::invalid_argument);
    machine hw;
    hw.host.memory_total = 16ull << 30;
    auto e = estimate_memory(tm.view(), hw, p, o);
    REQUIRE(e);
    CHECK(e->prompt_cache_unbounded);
    CHECK(e->row(host_device)->total() == 16ull << 30);
    const auto& h = *e->row(host_device);
    CHECK(h.overhead == (16ull << 30) - h.model - h.context - h.compute);
    o.prompt_cache = 1ull << 30;
    auto f = estimate_memory(tm.view(), hw, p, o);
    CHECK_FALSE(f->prompt_cache_unbounded);
    CHECK(f->row(host_device)->overhead == 1ull << 30);
}

TEST_CASE("a hand-built model must name its architecture; arch::generic is the explicit standard-decoder choice") {
    toy_model tm(2);
    tm.hp.architecture = {};
    auto e = estimate_memory(tm.view(), machine{}, launch_params{});
    REQUIRE_FALSE(e);
    CHECK(e.error().code == errc::invalid_argument);
    tm.hp.id = arch::generic;
    auto g = estimate_memory(tm.view(), machine{}, launch_params{});
    REQUIRE(g);
    CHECK(g->compute_detail.graph == graph_family::approximate);
    tm.hp.id = arch::llama;
    CHECK(estimate_memory(tm.view(), machine{}, launch_params{})->compute() == g->compute());
}

TEST_CASE("Falcon-H1 layers keep both a KV cache and recurrent state") {
    toy_model fh(3);
    fh.hp.architecture = "falcon-h1";
    fh.hp.memory = memory_kind::hybrid;
    fh.recurrent = {1, 1, 1};  // what the adapter sets for falcon-h1: every layer
    fh.hp.recurrent_layers = fh.recurrent;
    fh.hp.ssm_d_conv = 4;
    fh.hp.ssm_d_inner = 512;
    fh.hp.ssm_d_state = 16;
    fh.hp.ssm_n_group = 1;
    launch_params p;
    p.n_ctx = 512;
    auto e = estimate_memory(fh.view(), machine{}, p);
    REQUIRE(e);
    CHECK(e->kv_layers == 3);
    CHECK(e->recurrent_layers == 3);
    CHECK(e->kv() == 3ull * 2 * (64 * 2 * 512));  // K and V: 2 KV heads x 32 x f16 x 512 cells per layer
    fh.hp.architecture = "granitehybrid";  // the same layers in an ordinary hybrid keep only recurrent state
    CHECK(estimate_memory(fh.view(), machine{}, p)->kv_layers == 0);
}

TEST_CASE("a draft model (-md) gets its own buffers, on the target's context size, and the device rows hold it") {
    toy_model target(4), draft(1);
    draft.hp.n_ctx_train = 512;  // the draft context takes the target's n_ctx, not its own training context
    const std::array<device, 1> gpus{device{"gpu0", backend::cuda, 24ull << 30, 24ull << 30}};
    machine hw{host{}, gpus};
    launch_params p;
    p.n_ctx = 1000;  // padded to 1024 by the target's context, which the draft then takes as it is
    p.n_seq_max = 2;
    p.kv_unified = true;
    p.type_k = p.type_v = ggml_type::q8_0;  // -ctk / -ctv are the target's; the draft keeps f16 without -ctkd
    draft_params d;
    auto e = estimate_memory(target.view(), hw, p, draft.view(), d);
    REQUIRE(e);
    const auto& dr = e->draft;
    REQUIRE(dr.present);
    CHECK(dr.n_ctx == 1024);
    CHECK(dr.n_batch == 1024);  // clamped to the padded n_ctx the draft was given
    CHECK(dr.n_ubatch == 512);
    CHECK(dr.layers.n_gpu_layers == 2);
    // 1 layer x (K + V) x 64 wide x f16 x 1024 cells, on the GPU
    CHECK(bytes_of(dr.kv_buffers, cuda0) == 2ull * 64 * 2 * 1024);
    CHECK(bytes_of(dr.output_buffers, {buffer_kind::host_pinned, host_device}) == 1000ull * 2 * 4);
    const auto without = estimate_memory(target.view(), hw, p);
    REQUIRE(without);
    // the target is unchanged without --spec-type, and the draft adds exactly its own buffers to each row
    CHECK(e->weights() == without->weights());
    CHECK(e->compute() == without->compute());
    std::uint64_t gpu_draft = 0;
    for (const auto* l : {&dr.model_buffers, &dr.kv_buffers, &dr.compute_buffers})
        gpu_draft += bytes_of(*l, cuda0);
    CHECK(e->row(0)->draft == gpu_draft);
    CHECK(e->row(0)->total() == without->row(0)->total() + gpu_draft);
    CHECK(e->row(host_device)->total() == without->row(host_device)->total() + e->row(host_device)->draft);

    SUBCASE("a draft with MTP layers would be run as draft-mtp without --spec-type: refused") {
        draft.hp.n_layer_nextn = 1;
        CHECK_FALSE(estimate_memory(target.view(), hw, p, draft.view(), d).has_value());
        p.spec.types = 1u << 1;  // --spec-type draft-simple: loaded as a plain draft
        CHECK(estimate_memory(target.view(), hw, p, draft.view(), d).has_value());
    }
    SUBCASE("-ctkd / -ctvd set the draft's cache types") {
        d.type_k = d.type_v = ggml_type::q8_0;
        auto f = estimate_memory(target.view(), hw, p, draft.view(), d);
        REQUIRE(f);
        CHECK(bytes_of(f->draft.kv_buffers, cuda0) == 2ull * row_size(ggml_type::q8_0, 64) * 1024);
    }
    SUBCASE("-ngld 0 keeps the draft on the host, -devd none too and without a pinned output buffer") {
        d.n_gpu_layers = 0;
        auto f = estimate_memory(target.view(), hw, p, draft.view(), d);
        REQUIRE(f);
        CHECK(f->row(0)->draft == 0);
        CHECK(bytes_of(f->draft.kv_buffers, cpu) == 2ull * 64 * 2 * 1024);
        d.n_gpu_layers = -1;
        d.gpu = false;
        auto g = estimate_memory(target.view(), hw, p, draft.view(), d);
        REQUIRE(g);
        CHECK(g->row(0)->draft == 0);
        CHECK(bytes_of(g->draft.output_buffers, cpu) == 1000ull * 2 * 4);
    }
    SUBCASE("--spec-type draft-simple: the target reserves 1 + n_max output rows per slot in its graph") {
        p.spec.types = 1u << 1;  // draft-simple, n_max 3
        auto f = estimate_memory(target.view(), machine{}, p, draft.view(), d);
        REQUIRE(f);
        CHECK(f->n_outputs_graph == 8);
        CHECK(f->n_outputs == 2);  // the output buffer still starts at n_seq_max rows
        CHECK(f->draft.n_ctx == 1024);
        p.spec = {};
        CHECK(estimate_memory(target.view(), machine{}, p)->n_outputs_graph == 2);
    }
}

TEST_CASE("-devd puts the draft on the listed devices, by llama.cpp's per-backend names") {
    toy_model target(4), draft(2);
    const std::array<device, 3> gpus{device{"a", backend::cuda, 24ull << 30, 24ull << 30},
                                     device{"b", backend::cuda, 24ull << 30, 24ull << 30},
                                     device{"c", backend::vulkan, 16ull << 30, 16ull << 30}};
    machine hw{host{}, gpus};
    launch_params p;
    p.n_ctx = 1024;
    p.n_gpu_layers = 5;
    p.split_mode = split_mode::none;  // the target on device 0 alone
    draft_params d;
    tensor_override second_cuda{};  // "-devd CUDA1"
    second_cuda.named_backend = backend::cuda;
    second_cuda.named_ordinal = 1;
    (void)d.devices.push_back(second_cuda);
    auto e = estimate_memory(target.view(), hw, p, draft.view(), d);
    REQUIRE(e);
    CHECK(e->row(0)->draft == 0);
    CHECK(e->row(1)->draft > 0);
    CHECK(e->row(2)->draft == 0);
    // the draft's KV: 2 layers x (K + V) x 64 wide x f16 x 1024 cells, all on machine device 1
    CHECK(bytes_of(e->draft.kv_buffers, cuda1) == 2ull * 2 * 64 * 2 * 1024);
    for (std::uint32_t il = 0; il < 2; ++il) CHECK(e->draft.layers.of(il) == 1);

    SUBCASE("Vulkan0 is the machine's third device") {
        d.devices.clear();
        tensor_override vk0{};
        vk0.named_backend = backend::vulkan;
        (void)d.devices.push_back(vk0);
        auto f = estimate_memory(target.view(), hw, p, draft.view(), d);
        REQUIRE(f);
        CHECK(f->row(2)->draft > 0);
        CHECK(f->row(1)->draft == 0);
    }
    SUBCASE("-otd may name only the draft's own devices; a device the machine lacks is an error") {
        tensor_override rule{};
        rule.pattern = "ffn";
        rule.named_backend = backend::cuda;
        rule.named_ordinal = 0;
        (void)d.overrides.push_back(rule);
        CHECK_FALSE(estimate_memory(target.view(), hw, p, draft.view(), d).has_value());
        d.overrides[0].named_ordinal = 1;
        CHECK(estimate_memory(target.view(), hw, p, draft.view(), d).has_value());
        d.devices[0].named_ordinal = 5;
        CHECK_FALSE(estimate_memory(target.view(), hw, p, draft.view(), d).has_value());
    }
}


TEST_CASE("gemma3n: the per-layer token table stays on the host, the per-layer projection follows block 0") {
    // llama-arch.cpp LLM_TENSOR_INFOS: per_layer_token_embd is an input-layer GET_ROWS table; models/gemma3n.cpp
    // creates per_layer_model_proj / per_layer_proj_norm with block id 0 and altup_proj as an output-layer tensor
    toy_model tm(2);
    tm.hp.architecture = "gemma3n";
    tm.add("per_layer_token_embd.weight", ggml_type::f16, 512, 1000, 1);
    tm.add("per_layer_model_proj.weight", ggml_type::f16, 256, 512, 1);
    tm.add("per_layer_proj_norm.weight", ggml_type::f32, 256, 1, 1);
    tm.add("altup_proj.weight", ggml_type::f16, 256, 256, 3);
    const std::array<device, 1> gpus{device{"gpu0", backend::cuda, 24ull << 30, 24ull << 30}};
    machine hw{host{}, gpus};
    auto gpu_bytes = [&](auto on_gpu) {
        std::uint64_t gpu = 0;
        for (const auto& t : tm.tensors) {
            if (!on_gpu(t)) continue;
            std::uint64_t b = t.bytes;
            if (t.type == ggml_type::q4_0 || t.type == ggml_type::q8_0)
                b += row_size(t.type, 512 - t.ne[0] % 512) * t.ne[1] * t.ne[2] * (t.ne[0] % 512 != 0);
            gpu += (b + 127) / 128 * 128;
        }
        return gpu;
    };
    launch_params p;
    p.n_ctx = 1024;
    auto all = estimate_memory(tm.view(), hw, p);  // -ngl auto: every block and the output layer
    REQUIRE(all);
    CHECK(bytes_of(all->model_buffers, cuda0) == gpu_bytes([](const tensor_info& t) {
              return t.name != "token_embd.weight" && t.name != "per_layer_token_embd.weight";
          }));
    p.n_gpu_layers = 1;  // the output layer only
    auto out = estimate_memory(tm.view(), hw, p);
    REQUIRE(out);
    CHECK(bytes_of(out->model_buffers, cuda0) == gpu_bytes([](const tensor_info& t) {
              return t.name == "output.weight" || t.name == "output_norm.weight" || t.name == "altup_proj.weight";
          }));
}
