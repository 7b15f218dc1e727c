// Built with -fno-exceptions: the core must compile and work without exceptions (errors are values).
#include <llamaplan.hpp>

#include <array>
#include <cstdio>
#include <string_view>

int main() {
    using namespace llamaplan;
    static_assert(LLAMAPLAN_HAS_EXCEPTIONS == 0, "this test must be compiled with -fno-exceptions");
    int failures = 0;
    auto check = [&](bool ok, const char* what) {
        if (!ok) { std::fprintf(stderr, "FAILED: %s\n", what); ++failures; }
    };
    const std::array<std::string_view, 7> argv = {"-c", "4096", "-np", "2", "-ctv", "q8_0", "-fa"};
    auto bad = parse_server_args(argv);  // -fa without a value
    check(!bad && bad.error().code == errc::invalid_argument, "-fa without a value is an error value");
    const std::array<std::string_view, 8> ok_argv = {"-m", "x.gguf", "-c", "4096", "-np", "2", "-fa", "off"};
    auto args = parse_server_args(ok_argv);
    check(args.has_value() && args->params.n_ctx == 4096 && args->params.n_seq_max == 2, "flags parse");
    std::array<tensor_info, 1> t{*make_tensor("token_embd.weight", ggml_type::f16, {64, 100, 1, 1}, 2)};
    hparams h;
    h.n_layer = 1;
    h.n_embd = 64;
    h.n_vocab = 100;
    h.n_head = h.n_head_kv = 4;
    h.n_embd_head_k = h.n_embd_head_v = 16;
    h.n_ff = 128;
    launch_params p = args->params;
    p.type_v = ggml_type::q8_0;
    auto e = estimate_memory(model{h, t}, machine{}, p);
    check(!e && e.error().code == errc::invalid_combination, "quantized V without flash attention is refused");
    std::printf("%s\n", failures == 0 ? "1 passed, 0 failed" : "0 passed, 1 failed");
    return failures == 0 ? 0 : 1;
}
