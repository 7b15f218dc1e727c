// SPDX-License-Identifier: MIT
// Test helper for llama_swap_structure.py: rewrites every model of a llama-swap config with one fixed plan (in one
// rewrite_config call) and
// prints, per model, the argv before and after and why it was skipped, as JSON lines.
// usage: llamaplan_llama_swap_rewrite CONFIG OUTPUT [--windows] [--env NAME=VALUE]...
//        llamaplan_llama_swap_rewrite --dump FILE      (the parsed YAML as JSON: mappings, lists, strings)
#include <llamaplan/llama_swap.hpp>

#include <cstdio>
#include <string>
#include <string_view>

namespace {
std::string json_string(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') { out.push_back('\\'); out.push_back(c); }
        else if (static_cast<unsigned char>(c) < 0x20) { char b[8]; std::snprintf(b, sizeof b, "\\u%04x", c); out += b; }
        else out.push_back(c);
    }
    return out + "\"";
}
std::string dump(const llamaplan::llama_swap::node& n) {
    using llamaplan::llama_swap::node_kind;
    switch (n.kind) {
        case node_kind::null: return "\"\"";
        case node_kind::scalar: return json_string(n.value.text);
        case node_kind::sequence: {
            std::string out = "[";
            for (std::size_t i = 0; i < n.children.size(); ++i) out += (i ? "," : "") + dump(n.children[i]);
            return out + "]";
        }
        case node_kind::mapping: {
            std::string out = "{";
            for (std::size_t i = 0; i + 1 < n.children.size(); i += 2)
                out += (i ? "," : "") + json_string(n.children[i].value.text) + ":" + dump(n.children[i + 1]);
            return out + "}";
        }
    }
    return "null";
}
std::string json_list(const std::vector<std::string>& v) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + json_string(v[i]);
    return out + "]";
}
}  // namespace

int main(int argc, char** argv) {
    using namespace llamaplan::llama_swap;
    if (argc == 3 && std::string_view(argv[1]) == "--dump") {
        auto text = read_config(argv[2]);
        if (!text) return 1;
        auto doc = parse_yaml(*text);
        if (!doc) { std::fprintf(stderr, "%llu: %s\n", static_cast<unsigned long long>(doc.error().where), std::string(doc.error().what).c_str()); return 1; }
        std::printf("%s\n", dump(*doc).c_str());
        return 0;
    }
    if (argc < 3) { std::fputs("usage: llamaplan_llama_swap_rewrite CONFIG OUTPUT [--windows] [--env NAME=VALUE]...\n", stderr); return 2; }
    command_options opt;
    for (int i = 3; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--windows") opt.dialect = shell_dialect::windows;
        else if (a == "--env" && i + 1 < argc) {
            const std::string kv = argv[++i];
            const auto eq = kv.find('=');
            opt.env.emplace_back(kv.substr(0, eq), eq == std::string::npos ? "" : kv.substr(eq + 1));
        }
    }
    auto text = read_config(argv[1]);
    if (!text) { std::fprintf(stderr, "%s: %s\n", argv[1], std::string(text.error().what).c_str()); return 1; }
    auto cfg = parse_config(*text);
    if (!cfg) { std::fprintf(stderr, "%s:%llu: %s\n", argv[1], static_cast<unsigned long long>(cfg.error().where), std::string(cfg.error().what).c_str()); return 1; }
    cmd_edits plan;
    for (auto f : planning_flags) plan.remove.emplace_back(f);
    plan.set = {{"-c", {"16384"}}, {"-ngl", {"99"}}, {"-fa", {"on"}}, {"-ctk", {"q8_0"}}, {"-ctv", {"q8_0"}},
                {"-ot", {"blk\\.(2[4-9]|3[0-9])\\.ffn_.*_exps\\.=CPU"}}, {"--no-mmap", {}}, {"-t", {"8"}}};
    std::vector<std::pair<std::string, cmd_edits>> all;
    for (const auto& m : cfg->models) all.emplace_back(m.id, plan);
    auto r = rewrite_config(*text, all, opt);
    if (!r) { std::fprintf(stderr, "%s: %s\n", argv[1], std::string(r.error().what).c_str()); return 1; }
    for (const auto& m : r->models)
        std::printf("{\"id\":%s,\"skipped\":%s,\"changed\":%s,\"before\":%s,\"after\":%s}\n", json_string(m.id).c_str(),
                    json_string(m.skipped).c_str(), m.changed ? "true" : "false", json_list(m.argv_before).c_str(),
                    json_list(m.argv_after).c_str());
    const std::string current = r->text;
    auto w = write_atomically(argv[2], current);
    if (!w) { std::fprintf(stderr, "%s: %s\n", argv[2], std::string(w.error().what).c_str()); return 1; }
    return 0;
}
