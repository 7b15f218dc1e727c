// Benchmark: parse a realistic qwen3-like GGUF header (151936-token vocabulary with scores, token types and merges)
// from memory and through gguf::open (mmap), and print the median time per header in microseconds.
#include <llamaplan/gguf/file.hpp>
#include <llamaplan/gguf/hparams.hpp>
#include <llamaplan/gguf/reader.hpp>
#include <llamaplan/gguf/writer.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <unistd.h>

using namespace llamaplan;

namespace {
template <class F>
double median_us(int iterations, F&& f) {
    std::vector<double> t;
    t.reserve(static_cast<std::size_t>(iterations));
    for (int i = 0; i < iterations; ++i) {
        const auto a = std::chrono::steady_clock::now();
        f();
        const auto b = std::chrono::steady_clock::now();
        t.push_back(std::chrono::duration<double, std::micro>(b - a).count());
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}
}  // namespace

int main(int argc, char** argv) {
    const int iterations = argc > 1 ? std::atoi(argv[1]) : 200;
    gguf::synth_spec s;
    s.arch = "qwen3";
    s.n_layer = 28;
    s.n_embd = 1024;
    s.n_head = 16;
    s.n_head_kv = 8;
    s.head_dim = 128;
    s.n_ff = 3072;
    s.n_vocab = 151936;
    s.n_ctx = 40960;
    s.merges = true;
    s.qk_norm = true;
    s.weight_type = ggml_type::q4_k;
    s.embd_type = ggml_type::q6_k;
    const auto header = gguf::synthesize(s).bytes(gguf::data_fill::header_only);
    const std::string path = "/tmp/llamaplan_bench_qwen3_" + std::to_string(static_cast<long>(::getpid())) + ".gguf";
    if (!gguf::writer::write_file(path, header)) {
        std::fprintf(stderr, "cannot write %s\n", path.c_str());
        return 1;
    }

    std::size_t sink = 0;
    auto check = gguf::reader::parse(header);
    if (!check) {
        std::fprintf(stderr, "parse failed: %s\n", std::string(check.error().what).c_str());
        return 1;
    }
    const double mem = median_us(iterations, [&] {
        auto r = gguf::reader::parse(header);
        sink += r->tensors().size();
    });
    const double mem_hp = median_us(iterations, [&] {
        auto r = gguf::reader::parse(header);
        auto h = gguf::extract_hparams(*r);
        sink += h->scalars.n_vocab;
    });
    const double file = median_us(iterations, [&] {
        auto m = gguf::open(path);
        sink += m->view().tensors.size();
    });
    std::remove(path.c_str());

    std::printf("header: %zu bytes, %zu KVs, %zu tensors, vocab %u tokens\n", header.size(), check->kvs().size(),
                check->tensors().size(), s.n_vocab);
    std::printf("parse in memory          : median %.1f us (%d iterations)\n", mem, iterations);
    std::printf("parse + hparams in memory: median %.1f us\n", mem_hp);
    std::printf("gguf::open (mmap) + view : median %.1f us\n", file);
    std::printf("(checksum %zu)\n", sink);
    return 0;
}
