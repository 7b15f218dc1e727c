// libFuzzer harness: the llama-server argument parser (include/llamaplan/server_args.hpp), then estimate_memory
// of a small fixed model with the parsed settings. The input is split into arguments at '\n' or '\0' (at most 64).
// Invariants: parsing is deterministic and ignores a leading "llama-server"; every refusal names an argument
// index inside argv; an accepted command line estimates or fails with a message, and estimates satisfy
// fuzz_check.hpp's sums.
#include "fuzz_check.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

using namespace llamaplan;

namespace {
/// llama-shaped, 2 layers, GQA 8/2 heads of 32, SWA off: consistent, so validate_model accepts it.
struct toy {
    std::array<tensor_info, 13> t{};
    hparams h{};
    toy() {
        std::size_t i = 0;
        std::uint64_t off = 0;
        auto add = [&](std::string_view n, ggml_type ty, std::uint64_t a, std::uint64_t b) {
            t[i] = *make_tensor(n, ty, {a, b, 1, 1}, b == 1 ? 1 : 2, off);
            off += (t[i].bytes + 31) / 32 * 32;
            ++i;
        };
        add("token_embd.weight", ggml_type::q8_0, 256, 1000);
        add("output_norm.weight", ggml_type::f32, 256, 1);
        add("output.weight", ggml_type::q4_0, 256, 1000);
        add("blk.0.attn_q.weight", ggml_type::f16, 256, 256);
        add("blk.0.attn_k.weight", ggml_type::f16, 256, 64);
        add("blk.0.attn_v.weight", ggml_type::f16, 256, 64);
        add("blk.0.ffn_up.weight", ggml_type::q4_0, 256, 512);
        add("blk.0.ffn_down.weight", ggml_type::q4_0, 512, 256);
        add("blk.1.attn_q.weight", ggml_type::f16, 256, 256);
        add("blk.1.attn_k.weight", ggml_type::f16, 256, 64);
        add("blk.1.attn_v.weight", ggml_type::f16, 256, 64);
        add("blk.1.ffn_up.weight", ggml_type::q4_0, 256, 512);
        add("blk.1.ffn_down.weight", ggml_type::q4_0, 512, 256);
        h.architecture = "llama";
        h.n_layer = 2;
        h.n_embd = 256;
        h.n_vocab = 1000;
        h.n_ctx_train = 8192;
        h.n_head = 8;
        h.n_head_kv = 2;
        h.n_ff = 512;
        h.n_embd_head_k = h.n_embd_head_v = 32;
    }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::vector<std::string_view> argv;
    argv.reserve(65);
    argv.push_back("llama-server");
    std::size_t start = 0;
    while (start <= text.size() && argv.size() < 65) {
        std::size_t end = start;
        while (end < text.size() && text[end] != '\n' && text[end] != '\0') ++end;
        argv.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    // a second program name would be skipped in one parse and not the other
    if (argv[1].ends_with("llama-server") || argv[1].ends_with("llama-server.exe")) return 0;
    const std::span<const std::string_view> with_prog(argv);
    const std::span<const std::string_view> without = with_prog.subspan(1);
    auto a = parse_server_args(with_prog);
    auto b = parse_server_args(without);
    FUZZ_CHECK(a.has_value() == b.has_value());
    if (!a) {
        FUZZ_CHECK(!a.error().what.empty() && a.error().where < with_prog.size());
        // the same argument, one index earlier without the program name
        FUZZ_CHECK(b.error().where + 1 == a.error().where && b.error().what == a.error().what);
        return 0;
    }
    const launch_params& p = a->params, &q = b->params;
    FUZZ_CHECK(p.n_ctx == q.n_ctx && p.n_batch == q.n_batch && p.n_ubatch == q.n_ubatch && p.type_k == q.type_k &&
               p.type_v == q.type_v && p.n_seq_max == q.n_seq_max && p.n_gpu_layers == q.n_gpu_layers &&
               p.overrides.size() == q.overrides.size() && a->model == b->model);
    static const toy t;
    const std::array<device, 2> gpus{{{"gpu0", backend::cuda, 24ull << 30, 23ull << 30}, {"gpu1", backend::cuda, 12ull << 30, 12ull << 30}}};
    auto e = estimate_memory(model{t.h, t.t}, machine{host{}, gpus}, p);
    if (!e) {
        FUZZ_CHECK(!e.error().what.empty());
        return 0;
    }
    fuzz::check_estimate(*e);
    return 0;
}
