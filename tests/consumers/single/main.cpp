// The single header, copied alone next to this file (tools/consumers.sh), built with -fno-exceptions -fno-rtti:
// a hand-described model planned at compile time and at run time.
#include "llamaplan.hpp"

#include <array>
#include <cstdio>

namespace {
using namespace llamaplan;
constexpr hparams hp = [] {
    hparams h;
    h.architecture = "llama";
    h.n_layer = 2;
    h.n_embd = 64;
    h.n_vocab = 100;
    h.n_ctx_train = 1024;
    h.n_head = h.n_head_kv = 4;
    h.n_embd_head_k = h.n_embd_head_v = 16;
    h.n_ff = 128;
    return h;
}();
// 2 layers x (K + V) x 64 f16 elements x 1024 cells
constexpr auto kv = estimate_memory(model{hp, {}}, machine{}, launch_params{}).value_or({}).kv();
static_assert(kv == 2ull * 2 * 64 * 2 * 1024);
}  // namespace

int main() {
    launch_params p;
    p.n_ctx = 2048;
    auto e = estimate_memory(model{hp, {}}, machine{}, p);
    if (!e || e->kv() != 2 * kv) {
        std::puts("single header consumer: wrong estimate");
        return 1;
    }
    std::printf("single header consumer: KV %llu bytes\n", static_cast<unsigned long long>(e->kv()));
    return 0;
}
