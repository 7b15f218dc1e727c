// llamaplan inspect: what a GGUF file says about the model, summarised for planning.
#include "cli.hpp"
#include "commands.hpp"
#include "model_arg.hpp"

#include <llamaplan/catalog.hpp>
#include <llamaplan/gguf/catalog.hpp>
#include <llamaplan/gguf/file.hpp>
#include <llamaplan/probe/json.hpp>

#include <map>
#include <string>

namespace {
namespace json = llamaplan::probe::json;
using llamaplan::tensor_role;

struct tally {
    std::uint64_t count = 0;
    std::uint64_t bytes = 0;
    std::uint64_t params = 0;
};

const char* memory_kind_name(llamaplan::memory_kind k) {
    switch (k) {
        case llamaplan::memory_kind::recurrent: return "recurrent";
        case llamaplan::memory_kind::hybrid: return "hybrid";
        default: return "attention";
    }
}

json::value tally_json(const tally& t) {
    auto o = json::value::make_object();
    o.set("count", json::value::make_u64(t.count));
    o.set("bytes", json::value::make_u64(t.bytes));
    o.set("params", json::value::make_u64(t.params));
    return o;
}

int inspect_usage(std::FILE* out) {
    std::fputs("usage: llamaplan inspect MODEL.gguf|NAME:QUANT [--json]\n"
               "  Prints the architecture, hyper-parameters and a tensor summary by role, layer and type.\n"
               "  A split model opens from any of its parts; a header-only copy (no tensor data) is fine.\n"
               "  MODEL.gguf '-' reads the header from standard input: curl -r 0-8000000 URL | llamaplan inspect -\n",
               out);
    return out == stdout ? 0 : 2;
}
}  // namespace

int cmd_inspect(int argc, char** argv) {
    std::string path;
    bool as_json = false;
    for (int i = 0; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--json") as_json = true;
        else if (a == "-h" || a == "--help") return inspect_usage(stdout);
        else if (a.size() > 1 && a[0] == '-') return cli::fail("inspect: unknown option '" + a + "'");
        else if (path.empty()) path = a;
        else return cli::fail("inspect: more than one model given");
    }
    if (path.empty()) return inspect_usage(stderr);

    llamaplan::gguf::file_error fe;
    auto mf = cli::load_model_arg(path, fe);
    if (!mf) return cli::fail(fe.path + ": " + cli::describe(mf.error()));
    const llamaplan::model m = mf->view();
    const auto& hp = m.hp;

    std::map<std::string, tally> by_role, by_type;
    std::map<std::int32_t, tally> by_layer;
    tally all;
    for (const auto& t : m.tensors) {
        const std::uint64_t params = t.ne[0] * t.ne[1] * t.ne[2] * t.ne[3];
        for (tally* x : {&by_role[std::string(llamaplan::to_string(t.role))], &by_type[std::string(llamaplan::type_name(t.type))],
                         &by_layer[t.layer], &all}) {
            ++x->count;
            x->bytes += t.bytes;
            x->params += params;
        }
    }

    if (as_json) {
        auto o = json::value::make_object();
        o.set("file", json::value::make_string(path));
        o.set("parts", json::value::make_u64(mf->parts().size()));
        o.set("data_present", json::value::make_bool(mf->data_present()));
        o.set("architecture", json::value::make_string(hp.architecture));
        o.set("memory", json::value::make_string(memory_kind_name(hp.memory)));
        auto h = json::value::make_object();
        auto u = [&](const char* k, std::uint64_t v) { h.set(k, json::value::make_u64(v)); };
        u("n_layer", hp.n_layer);
        u("n_layer_nextn", hp.n_layer_nextn);
        u("n_embd", hp.n_embd);
        u("n_vocab", hp.n_vocab);
        u("n_ctx_train", hp.n_ctx_train);
        u("n_head", hp.n_head);
        u("n_head_kv", hp.n_head_kv);
        u("n_ff", hp.n_ff);
        u("n_embd_head_k", hp.n_embd_head_k);
        u("n_embd_head_v", hp.n_embd_head_v);
        u("n_expert", hp.n_expert);
        u("n_expert_used", hp.n_expert_used);
        u("n_ff_exp", hp.n_ff_exp);
        u("n_swa", hp.n_swa);
        h.set("mla", json::value::make_bool(hp.is_mla()));
        o.set("hparams", std::move(h));
        o.set("tensors", tally_json(all));
        auto roles = json::value::make_object();
        for (const auto& [k, v] : by_role) roles.set(k, tally_json(v));
        o.set("by_role", std::move(roles));
        auto types = json::value::make_object();
        for (const auto& [k, v] : by_type) types.set(k, tally_json(v));
        o.set("by_type", std::move(types));
        auto layers = json::value::make_array();
        for (const auto& [k, v] : by_layer) {
            auto l = tally_json(v);
            l.set("layer", k < 0 ? json::value::make_string("none") : json::value::make_u64(static_cast<std::uint64_t>(k)));
            layers.push(std::move(l));
        }
        o.set("by_layer", std::move(layers));
        std::printf("%s\n", json::dump(o).c_str());
        return 0;
    }

    std::printf("%s: %s, %zu part(s), %s\n", path.c_str(), std::string(hp.architecture).c_str(), mf->parts().size(),
                mf->data_present() ? "tensor data present" : "header only (tensor data missing or truncated)");
    std::printf("  memory          %s%s\n", memory_kind_name(hp.memory), hp.is_mla() ? " (MLA)" : "");
    std::printf("  layers          %u (+%u next-n)\n", hp.n_layer, hp.n_layer_nextn);
    std::printf("  embedding       %u, vocabulary %u tokens, training context %u tokens\n", hp.n_embd, hp.n_vocab, hp.n_ctx_train);
    std::printf("  attention       %u heads, %u KV heads, head size %u/%u (K/V)\n", hp.n_head, hp.n_head_kv, hp.n_embd_head_k, hp.n_embd_head_v);
    std::printf("  feed-forward    %u\n", hp.n_ff);
    if (hp.n_expert > 0)
        std::printf("  experts         %u routed (%u used per token), width %u, %u shared\n", hp.n_expert, hp.n_expert_used, hp.n_ff_exp, hp.n_expert_shared);
    if (hp.n_swa > 0) {
        std::uint32_t n = 0;
        for (std::uint32_t il = 0; il < hp.n_layer; ++il) n += hp.is_swa(il) ? 1u : 0u;
        std::printf("  sliding window  %u tokens on %u of %u layers\n", hp.n_swa, n, hp.n_layer);
    }
    std::printf("  tensors         %llu, %llu parameters, %s\n", (unsigned long long)all.count, (unsigned long long)all.params, cli::human(all.bytes).c_str());
    std::printf("\nby role:\n");
    for (const auto& [k, v] : by_role)
        std::printf("  %-18s %6llu tensors %14s\n", k.c_str(), (unsigned long long)v.count, cli::human(v.bytes).c_str());
    std::printf("\nby type:\n");
    for (const auto& [k, v] : by_type)
        std::printf("  %-18s %6llu tensors %14s\n", k.c_str(), (unsigned long long)v.count, cli::human(v.bytes).c_str());
    std::printf("\nby layer:\n");
    for (const auto& [k, v] : by_layer) {
        const std::string name = k < 0 ? "(none)" : "blk." + std::to_string(k);
        std::printf("  %-18s %6llu tensors %14s\n", name.c_str(), (unsigned long long)v.count, cli::human(v.bytes).c_str());
    }
    return 0;
}
