// Writes the synthetic models of tests/accuracy/extra_models.hpp (and, when named, the projectors of
// tests/accuracy/mmproj_models.hpp) as GGUF files, with zero-filled tensor data so that a real llama-server loads them
// (tools/check_plans_real.py), or header-only (enough to plan them: the swap test).
// Quantized entries (made by llama-quantize from an F16 model) are not written: quantize the F16 file instead.
// With --split N each text model is written as N split files (ID-0000i-of-0000N.gguf, as llama-gguf-split names them).
// usage: llamaplan_write_models [--header-only] [--split N] OUT_DIR [ID...]   (no ID: every synthesized text model)
#include "../accuracy/extra_models.hpp"
#include "../accuracy/mmproj_models.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    bool header_only = false;
    std::uint32_t split = 1;
    std::string dir;
    std::vector<std::string> ids;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--header-only") == 0) header_only = true;
        else if (std::strcmp(argv[i], "--split") == 0 && i + 1 < argc) split = static_cast<std::uint32_t>(std::atoi(argv[++i]));
        else if (dir.empty()) dir = argv[i];
        else ids.emplace_back(argv[i]);
    }
    if (dir.empty()) {
        std::fprintf(stderr, "usage: llamaplan_write_models [--header-only] [--split N] OUT_DIR [ID...]\n");
        return 2;
    }
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        std::fprintf(stderr, "llamaplan_write_models: cannot create %s: %s\n", dir.c_str(), ec.message().c_str());
        return 1;
    }
    const auto defs = extra::models();
    const auto projectors = extra::mmproj_models();
    const auto fill = header_only ? llamaplan::gguf::data_fill::header_only : llamaplan::gguf::data_fill::zeros;
    for (const auto& id : ids) {
        bool found = false;
        for (const auto& d : defs) found = found || (d.id == id && d.quantized_from.empty());
        for (const auto& d : projectors) found = found || d.id == id;
        if (!found) {
            std::fprintf(stderr, "llamaplan_write_models: no synthesized model '%s' in extra_models.hpp or mmproj_models.hpp\n", id.c_str());
            return 2;
        }
    }
    for (const auto& def : defs) {
        if (!def.quantized_from.empty()) continue;
        if (!ids.empty()) {
            bool wanted = false;
            for (const auto& id : ids) wanted = wanted || id == def.id;
            if (!wanted) continue;
        }
        if (split > 1) {
            const auto prefix = (std::filesystem::path(dir) / def.id).string();
            const auto paths = llamaplan::gguf::synthesize(def.spec).write_split(prefix, split, fill);
            if (paths.empty()) {
                std::fprintf(stderr, "llamaplan_write_models: cannot write %s-*.gguf\n", prefix.c_str());
                return 1;
            }
            for (const auto& p : paths) std::printf("%s\n", p.c_str());
            continue;
        }
        const auto path = (std::filesystem::path(dir) / (def.id + ".gguf")).string();
        if (!llamaplan::gguf::synthesize(def.spec).write(path, fill)) {
            std::fprintf(stderr, "llamaplan_write_models: cannot write %s\n", path.c_str());
            return 1;
        }
        std::printf("%s\n", path.c_str());
    }
    for (const auto& def : projectors) {  // only when named
        bool wanted = false;
        for (const auto& id : ids) wanted = wanted || id == def.id;
        if (!wanted) continue;
        const auto path = (std::filesystem::path(dir) / (def.id + ".gguf")).string();
        if (!llamaplan::gguf::synthesize_mmproj(def.spec).write(path, fill)) {
            std::fprintf(stderr, "llamaplan_write_models: cannot write %s\n", path.c_str());
            return 1;
        }
        std::printf("%s\n", path.c_str());
    }
    return 0;
}
