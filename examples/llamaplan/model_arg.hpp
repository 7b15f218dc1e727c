// The model argument every command takes: a GGUF path (any part of a split model), "-" for a GGUF header on
// standard input (`curl -r 0-8000000 URL | llamaplan estimate -`; only the header is read, from either), or a
// catalog name NAME:QUANT (`qwen3-30b-a3b:Q4_K_M`, see `llamaplan catalog`), planned before downloading anything.
#ifndef LLAMAPLAN_EXAMPLES_MODEL_ARG_HPP
#define LLAMAPLAN_EXAMPLES_MODEL_ARG_HPP

#include <llamaplan/catalog.hpp>
#include <llamaplan/gguf/catalog.hpp>
#include <llamaplan/gguf/file.hpp>
#include <llamaplan/gguf/writer.hpp>

#include <cstdio>
#include <string>
#include <string_view>

#if defined(_WIN32)
#include <fcntl.h>
#include <io.h>
#endif

namespace cli {

/// Writes the built-in model of `plan` (no model given) and `demo` at `path`: a header-only GGUF shaped like
/// Llama-3.1-8B (32 blocks, GQA 32/8, Q4_K matrices, Q6_K embeddings, 128256-token vocabulary, 131072 trained
/// context). False if the file cannot be written.
[[nodiscard]] inline bool write_builtin_model(const std::string& path) {
    llamaplan::gguf::synth_spec s;
    s.arch = "llama";
    s.n_layer = 32;
    s.n_embd = 4096;
    s.n_head = 32;
    s.n_head_kv = 8;
    s.n_ff = 14336;
    s.n_vocab = 128256;
    s.n_ctx = 131072;
    s.write_vocab_size = true;
    s.weight_type = llamaplan::ggml_type::q4_k;
    s.embd_type = llamaplan::ggml_type::q6_k;
    return llamaplan::gguf::synthesize(s).write(path, llamaplan::gguf::data_fill::header_only);
}

/// Opens the model named on the command line: a path, or "-" for standard input. On error `fe.path` names the file
/// ("-" for standard input).
[[nodiscard]] inline llamaplan::result<llamaplan::gguf::model_file> load_model_arg(std::string_view path_or_dash,
                                                                                   llamaplan::gguf::file_error& fe) {
    if (llamaplan::looks_like_catalog_ref(path_or_dash)) {
        fe.path = std::string(path_or_dash);
        return llamaplan::gguf::open_catalog(path_or_dash);
    }
    if (path_or_dash == "-") {
#if defined(_WIN32)
        (void)_setmode(_fileno(stdin), _O_BINARY);
#endif
        return llamaplan::gguf::open_stream(stdin, "-", fe);
    }
    // a one-shot process: mapping the header (POSIX) avoids first-touch faults on a fresh buffer, which cost more
    // than the mapping in a process that opens once (bench/README.md); a long-lived host does better reading
    llamaplan::gguf::open_options o;
    o.use_mmap = true;
    return llamaplan::gguf::open(std::string(path_or_dash), fe, o);
}

}  // namespace cli

#endif  // LLAMAPLAN_EXAMPLES_MODEL_ARG_HPP
