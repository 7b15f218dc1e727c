// Benchmark: how fast a GGUF header is read. For each GGUF file on the command line (header-only copies such as
// shared/groundtruth/models/*.gguf, or whole models) it prints `name value unit` lines: the in-memory parse
// (gguf::reader::parse on bytes already held), gguf::open by mmap and by read (median of N opens each, in one process:
// the allocator reuses memory, as in a server; a one-shot process pays first-touch page faults on top), the bytes
// each path read and the reads (or mappings) it made, and, when built against llama.cpp (LLAMAPLAN_BENCH_LLAMA_CPP,
// see bench/CMakeLists.txt), llama.cpp's gguf_init_from_file (no_alloc) on the same file in the same process. With no
// file it synthesizes a qwen3-like header (151,936-token BPE vocabulary with merges) into a temporary file.
//
//     llamaplan_bench_gguf_read [--iterations N] [--read-ahead BYTES] [FILE.gguf ...]
#include <llamaplan/gguf/file.hpp>
#include <llamaplan/gguf/reader.hpp>
#include <llamaplan/gguf/writer.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#ifdef LLAMAPLAN_BENCH_HAVE_GGUF
#include <gguf.h>
#endif

using namespace llamaplan;

namespace {
/// Median wall time of `iterations` calls of f (ms).
template <class F>
double median_ms(int iterations, F&& f) {
    std::vector<double> t;
    t.reserve(static_cast<std::size_t>(iterations));
    for (int i = 0; i < iterations; ++i) {
        const auto a = std::chrono::steady_clock::now();
        f();
        const auto b = std::chrono::steady_clock::now();
        t.push_back(std::chrono::duration<double, std::milli>(b - a).count());
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

/// The qwen3-0.6b shape with its 151,936-token BPE vocabulary and merges, header only.
std::vector<std::byte> synthetic_qwen3_header() {
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
    s.weight_type = llamaplan::ggml_type::q4_k;
    s.embd_type = llamaplan::ggml_type::q6_k;
    return gguf::synthesize(s).bytes(gguf::data_fill::header_only);
}

void line(const std::string& name, const char* what, double v, const char* unit) {
    std::printf("gguf_read.%s.%s %.3f %s\n", name.c_str(), what, v, unit);
}
void line(const std::string& name, const char* what, std::uint64_t v, const char* unit) {
    std::printf("gguf_read.%s.%s %llu %s\n", name.c_str(), what, static_cast<unsigned long long>(v), unit);
}

/// Measures one file; false on an error.
bool bench_file(const std::string& path, int iterations, std::uint64_t read_ahead) {
    const std::string name = std::filesystem::path(path).stem().string();
    std::vector<std::byte> whole;
    {
        std::ifstream f(path, std::ios::binary);
        if (!f) {
            std::fprintf(stderr, "cannot read %s\n", path.c_str());
            return false;
        }
        // only header-only copies (a few MB) are held whole; the in-memory parse needs the header alone. The first
        // open maps, so that header pages not cached yet are read under the mapping's huge-page advice, as they are
        // the first time the mmap path opens a file (see read_header_mapped)
        gguf::open_options first_options;
        first_options.use_mmap = true;
        auto first = gguf::open(path, first_options);
        if (!first) {
            std::fprintf(stderr, "%s: %s\n", path.c_str(), std::string(first.error().what).c_str());
            return false;
        }
        whole.resize(static_cast<std::size_t>(first->header().data().offset));
        f.read(reinterpret_cast<char*>(whole.data()), static_cast<std::streamsize>(whole.size()));
        whole.resize(static_cast<std::size_t>(f.gcount()));
    }
    auto parsed = gguf::reader::parse(whole);
    if (!parsed) {
        std::fprintf(stderr, "%s: %s\n", path.c_str(), std::string(parsed.error().what).c_str());
        return false;
    }
    std::size_t sink = 0;
    line(name, "file_bytes", static_cast<std::uint64_t>(std::filesystem::file_size(path)), "bytes");
    line(name, "header_bytes", static_cast<std::uint64_t>(parsed->data().offset), "bytes");
    line(name, "parse_in_memory", median_ms(iterations, [&] {
             auto r = gguf::reader::parse(whole);
             sink += r->tensors().size();
         }), "ms");
    for (const bool mm : {true, false}) {
        gguf::open_options o;
        o.use_mmap = mm;
        o.read_ahead = read_ahead;
        std::uint64_t read = 0, requests = 0;
        {
            auto m = gguf::open(path, o);
            if (!m) {
                std::fprintf(stderr, "%s: open failed\n", path.c_str());
                return false;
            }
            read = m->bytes_read();
            for (const auto& p : m->parts()) requests += p->requests;
        }
        const double t = median_ms(iterations, [&] {
            auto m = gguf::open(path, o);
            sink += m->view().tensors.size();
        });
        line(name, mm ? "open_mmap" : "open_read", t, "ms");
        line(name, mm ? "requests_mmap" : "requests_read", requests, "requests");
        line(name, mm ? "bytes_read_mmap" : "bytes_read_read", read, "bytes");
    }
#ifdef LLAMAPLAN_BENCH_HAVE_GGUF
    {
        const double t = median_ms(iterations, [&] {
            gguf_init_params p{};
            p.no_alloc = true;
            p.ctx = nullptr;
            gguf_context* ctx = gguf_init_from_file(path.c_str(), p);
            if (ctx != nullptr) {
                sink += static_cast<std::size_t>(gguf_get_n_tensors(ctx));
                gguf_free(ctx);
            }
        });
        gguf::open_options o;
        o.use_mmap = false;
        o.read_ahead = read_ahead;
        const double ours = median_ms(iterations, [&] {
            auto m = gguf::open(path, o);
            sink += m->view().tensors.size();
        });
        line(name, "llama_cpp_gguf_init_from_file", t, "ms");
        line(name, "speedup_open_read_vs_llama_cpp", t / ours, "x");
    }
#endif
    std::fprintf(stderr, "(%s checksum %zu)\n", name.c_str(), sink);
    return true;
}
}  // namespace

int main(int argc, char** argv) {
    int iterations = 31;
    std::uint64_t read_ahead = gguf::open_options{}.read_ahead;
    std::vector<std::string> files;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--iterations" && i + 1 < argc) iterations = std::max(1, std::atoi(argv[++i]));
        else if (a == "--read-ahead" && i + 1 < argc) read_ahead = std::strtoull(argv[++i], nullptr, 10);
        else if (a == "-h" || a == "--help") {
            std::printf("usage: llamaplan_bench_gguf_read [--iterations N] [--read-ahead BYTES] [FILE.gguf ...]\n");
            return 0;
        } else files.push_back(a);
    }
    std::string temp;
    if (files.empty()) {
        temp = (std::filesystem::temp_directory_path() /
                ("llamaplan_bench_qwen3_synthetic_" + std::to_string(static_cast<long>(::getpid())) + ".gguf")).string();
        if (!gguf::writer::write_file(temp, synthetic_qwen3_header())) {
            std::fprintf(stderr, "cannot write %s\n", temp.c_str());
            return 1;
        }
        files.push_back(temp);
    }
    bool ok = true;
    for (const auto& f : files) ok = bench_file(f, iterations, read_ahead) && ok;
    if (!temp.empty()) std::filesystem::remove(temp);
    return ok ? 0 : 1;
}
