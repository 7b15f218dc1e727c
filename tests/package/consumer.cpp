// Uses the installed headers the way a downstream project would.
#include <llamaplan.hpp>
#include <llamaplan/gguf/writer.hpp>
#include <llamaplan/gguf/hparams.hpp>
#include <llamaplan/llama_swap.hpp>
#include <llamaplan/logs/reader.hpp>

#include <cstdio>

int main() {
    llamaplan::gguf::synth_spec s;  // a tiny llama-shaped model, written and read back in memory
    const auto bytes = llamaplan::gguf::synthesize(s).bytes(llamaplan::gguf::data_fill::header_only);
    auto r = llamaplan::gguf::reader::parse(bytes);
    if (!r) { std::puts("parse failed"); return 1; }
    auto hp = llamaplan::gguf::extract_hparams(*r);
    if (!hp) { std::puts("hparams failed"); return 1; }
    auto e = llamaplan::estimate_memory(llamaplan::model{hp->view(), r->tensors()}, llamaplan::machine{}, {});
    // synth_spec's default: 2 layers x (K + V) x 4 KV heads x 16 x f16 x 4096 cells (the training context)
    if (!e || e->kv() != 2ull * 2 * 4 * 16 * 2 * 4096) { std::puts("estimate failed"); return 1; }
    auto swap = llamaplan::llama_swap::parse_config("models:\n  m:\n    cmd: llama-server -m m.gguf\n");
    if (!swap || swap->models.size() != 1) { std::puts("llama-swap config failed"); return 1; }
    auto log = llamaplan::logs::read_log("llama_kv_cache:        CPU KV buffer size =     8.00 MiB\n");
    if (!log || log->runs.size() != 1 || log->runs[0].sum_mib100(llamaplan::logs::buffer_role::kv) != 800) {
        std::puts("log reader failed");
        return 1;
    }
    std::printf("consumer: KV %llu bytes, version %s\n", static_cast<unsigned long long>(e->kv()), LLAMAPLAN_VERSION_STRING);
    return 0;
}
