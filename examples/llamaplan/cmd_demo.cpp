// llamaplan demo: the main job on built-in inputs, so it runs anywhere (no GPU, no download).
// It synthesizes a header-only GGUF shaped like Llama-3.1-8B (Q4_K matrices, Q6_K embeddings, 128256-token
// vocabulary), inspects it, and estimates llama.cpp's memory on the host CPU and on a built-in 24 GiB CUDA GPU.
#include "cli.hpp"
#include "commands.hpp"
#include "model_arg.hpp"

#include <filesystem>
#include <string>
#include <vector>

int cmd_demo(int argc, char** argv) {
    std::string out_dir;
    for (int i = 0; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            std::puts("usage: llamaplan demo [--dir DIR]\n"
                      "  Writes a header-only Llama-3.1-8B-shaped GGUF to DIR (default: the temp directory), then runs\n"
                      "  'inspect' on it and 'estimate' for the host CPU and for a built-in 24 GiB CUDA GPU.");
            return 0;
        }
        if (a == "--dir" && i + 1 < argc) out_dir = argv[++i];
        else return cli::fail("demo: unknown option '" + a + "'");
    }
    std::error_code ec;
    const std::filesystem::path dir = out_dir.empty() ? std::filesystem::temp_directory_path(ec) : std::filesystem::path(out_dir);
    if (ec) return cli::fail("demo: no temporary directory: " + ec.message());
    const std::string path = (dir / "llamaplan-demo-llama3.1-8b-q4_k.gguf").string();

    if (!cli::write_builtin_model(path)) return cli::fail("demo: cannot write " + path);

    std::printf("== llamaplan inspect %s\n\n", path.c_str());
    std::vector<std::string> a1 = {path};
    std::vector<char*> v1;
    for (auto& x : a1) v1.push_back(x.data());
    if (int rc = cmd_inspect(static_cast<int>(v1.size()), v1.data()); rc != 0) return rc;

    std::printf("\n== llamaplan estimate %s -c 16384 -np 1 -fa on   (host CPU, CPU build of llama.cpp)\n\n", path.c_str());
    std::vector<std::string> a2 = {path, "-c", "16384", "-np", "1", "-fa", "on"};
    std::vector<char*> v2;
    for (auto& x : a2) v2.push_back(x.data());
    if (int rc = cmd_estimate(static_cast<int>(v2.size()), v2.data()); rc != 0) return rc;

    std::printf("\n== llamaplan estimate %s -c 32768 -ngl all -ctk q8_0 -ctv q8_0 --gpu 'cuda:24GiB:RTX 4090 (built-in)'\n\n", path.c_str());
    std::vector<std::string> a3 = {path, "-c", "32768", "-ngl", "all", "-ctk", "q8_0", "-ctv", "q8_0", "--gpu", "cuda:24GiB:RTX 4090 (built-in)"};
    std::vector<char*> v3;
    for (auto& x : a3) v3.push_back(x.data());
    return cmd_estimate(static_cast<int>(v3.size()), v3.data());
}
