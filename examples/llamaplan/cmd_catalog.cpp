// llamaplan catalog: the models that can be planned by name (NAME:QUANT) before downloading them.
#include "cli.hpp"
#include "commands.hpp"

#include <llamaplan/catalog.hpp>
#include <llamaplan/probe/json.hpp>

#include <string>

int cmd_catalog(int argc, char** argv) {
    bool as_json = false;
    for (int i = 0; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--json") as_json = true;
        else if (a == "-h" || a == "--help") {
            std::puts("usage: llamaplan catalog [--json]\n"
                      "  Lists the built-in models (hyper-parameters of the published checkpoints) and the quantization\n"
                      "  schemes each offers, with the size llama-quantize produces (tensor data, GiB). Use them as\n"
                      "  NAME:QUANT wherever a GGUF path is accepted: llamaplan estimate qwen3-30b-a3b:Q4_K_M -c 32768");
            return 0;
        } else return cli::fail("catalog: unknown option '" + a + "'");
    }
    namespace json = llamaplan::probe::json;
    auto list = json::value::make_array();
    if (!as_json) std::printf("%-24s %-14s %-10s %9s  %s\n", "name", "alias", "arch", "params", "quantizations (GiB)");
    for (const auto& e : llamaplan::catalog_table) {
        const auto f16 = llamaplan::catalog_model_size(e, llamaplan::quant_scheme::f16);
        std::string quants;
        auto qs = json::value::make_object();
        for (std::size_t i = 0; i < llamaplan::quant_scheme_count; ++i) {
            const auto q = static_cast<llamaplan::quant_scheme>(i);
            if ((e.quants & llamaplan::quant_bit(q)) == 0) continue;
            const auto sz = llamaplan::catalog_model_size(e, q);
            char buf[48];
            std::snprintf(buf, sizeof buf, "%s%s %.1f", quants.empty() ? "" : ", ", std::string(to_string(q)).c_str(),
                          double(sz.bytes) / double(1ull << 30));
            quants += buf;
            qs.set(std::string(to_string(q)), json::value::make_u64(sz.bytes));
        }
        if (as_json) {
            auto o = json::value::make_object();
            o.set("name", json::value::make_string(e.name));
            o.set("alias", json::value::make_string(e.alias));
            o.set("architecture", json::value::make_string(e.arch));
            o.set("params", json::value::make_u64(f16.params));
            o.set("bytes", std::move(qs));
            o.set("source", json::value::make_string(e.source));
            list.push(std::move(o));
        } else {
            std::printf("%-24s %-14s %-10s %8.2fB  %s\n", std::string(e.name).c_str(), std::string(e.alias).c_str(),
                        std::string(e.arch).c_str(), double(f16.params) / 1e9, quants.c_str());
        }
    }
    if (as_json) std::printf("%s\n", json::dump(list).c_str());
    return 0;
}
