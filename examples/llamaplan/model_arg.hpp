// The model argument every command takes: a GGUF path (any part of a split model), or "-" for a GGUF header on
// standard input (`curl -r 0-8000000 URL | llamaplan estimate -`): only the header is read, from either.
#ifndef LLAMAPLAN_EXAMPLES_MODEL_ARG_HPP
#define LLAMAPLAN_EXAMPLES_MODEL_ARG_HPP

#include <llamaplan/gguf/file.hpp>

#include <cstdio>
#include <string>
#include <string_view>

#if defined(_WIN32)
#include <fcntl.h>
#include <io.h>
#endif

namespace cli {

/// Opens the model named on the command line: a path, or "-" for standard input. On error `fe.path` names the file
/// ("-" for standard input).
[[nodiscard]] inline llamaplan::result<llamaplan::gguf::model_file> load_model_arg(std::string_view path_or_dash,
                                                                                   llamaplan::gguf::file_error& fe) {
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
