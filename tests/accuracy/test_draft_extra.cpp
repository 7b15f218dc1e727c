// The draft model of speculative decoding (llama-server -md) against llama.cpp (tests/data/extra/draft.csv): each
// row is a llama-server start with a target and a draft; its command line is parsed as a user's would be, and the
// estimate must give the target's and the draft's buffers (model, KV with SWA and non-SWA apart, output, compute)
// and the draft context's resolved sizes exactly as llama.cpp printed them (to its 0.01 MiB).
#include <doctest/doctest.h>

#include "../support/groundtruth.hpp"
#include "../support/synth_model.hpp"
#include "draft_models.hpp"
#include "extra_models.hpp"

#include <llamaplan/gguf/hparams.hpp>
#include <llamaplan/gguf/reader.hpp>
#include <llamaplan/gguf/writer.hpp>
#include <llamaplan/memory.hpp>
#include <llamaplan/server_args.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace {

using test_support::load_synth;
using test_support::synth_model;

/// "BUFT=MiB;..." against a buffer list, by name.
bool buffers_match(const llamaplan::buffer_list& l, const llamaplan::machine& hw, const std::string& detail) {
    std::map<std::string, std::uint64_t> ours;
    char name[32];
    for (const auto& b : l) ours[std::string(llamaplan::buffer_name(hw, b.buffer, name))] += b.bytes;
    const auto parts = groundtruth::split(detail, ';');
    if (parts.size() != ours.size()) return false;
    for (const auto& part : parts) {
        const auto eq = part.find('=');
        const auto it = ours.find(part.substr(0, eq));
        if (it == ours.end() || !groundtruth::same_mib(it->second, std::stod(part.substr(eq + 1)))) return false;
    }
    return true;
}

std::uint64_t sum(const llamaplan::buffer_list& l) { return llamaplan::memory_estimate::sum(l); }

}  // namespace

TEST_CASE("a draft model (-md) is estimated as llama-server loads it") {
    std::map<std::string, std::unique_ptr<synth_model>> models;
    auto defs = extra::models();
    for (auto& d : extra::draft_models()) defs.push_back(d);
    for (const auto& d : defs) {
        if (!d.quantized_from.empty()) continue;
        auto m = load_synth(d.spec);
        REQUIRE_MESSAGE(m != nullptr, "cannot synthesize " << d.id);
        models[d.id] = std::move(m);
    }
    const std::string dir = std::string(LLAMAPLAN_TEST_DATA) + "/extra";
    auto table = groundtruth::read_csv(dir + "/draft.csv");
    REQUIRE(table.has_value());
    REQUIRE(table->rows.size() == 25);
    const auto hw = groundtruth::cpu_machine();  // AVX-512, no AMX
    std::size_t checked = 0;
    for (std::size_t r = 0; r < table->rows.size(); ++r) {
        const std::string command = table->get(r, "command");
        CAPTURE(command);
        const auto words = groundtruth::split(command, ' ');
        std::vector<std::string_view> argv(words.begin(), words.end());
        const auto args = llamaplan::parse_server_args(argv);
        REQUIRE(args.has_value());
        REQUIRE(args->draft_model == table->get(r, "draft") + ".gguf");
        const auto& target = models.at(table->get(r, "target"));
        const auto& draft = models.at(table->get(r, "draft"));
        llamaplan::overhead_params none{0, 0};
        const auto est = llamaplan::estimate_memory(target->view(), hw, args->params, draft->view(), args->draft, none);
        REQUIRE(est.has_value());
        const auto& e = *est;
        const auto& d = e.draft;
        REQUIRE(d.present);
        // the target: speculation changes only its reserved output rows (n_outputs_max = n_parallel x (1 + n_max))
        CHECK(buffers_match(e.model_buffers, hw, table->get(r, "tgt_model_mib")));
        if (table->get(r, "tgt_kv_swa_mib").empty()) {
            CHECK(groundtruth::same_mib(e.kv(), std::stod(table->get(r, "tgt_kv_mib"))));
        } else {  // two caches, each printed (tgt_kv_mib is the sum of the two rounded figures)
            CHECK(groundtruth::same_mib(e.kv_swa, std::stod(table->get(r, "tgt_kv_swa_mib"))));
            CHECK(groundtruth::same_mib(e.kv() - e.kv_swa, std::stod(table->get(r, "tgt_kv_nonswa_mib"))));
        }
        CHECK(groundtruth::same_mib(e.output(), std::stod(table->get(r, "tgt_output_mib"))));
        CHECK(groundtruth::same_mib(e.compute(), std::stod(table->get(r, "tgt_compute_mib"))));
        // the draft context's sizes as llama_context printed them
        CHECK(d.n_ctx == std::stoul(table->get(r, "dft_n_ctx")));
        CHECK(d.n_ctx_seq == std::stoul(table->get(r, "dft_n_ctx_seq")));
        CHECK(d.n_batch == std::stoul(table->get(r, "dft_n_batch")));
        CHECK(d.n_ubatch == std::stoul(table->get(r, "dft_n_ubatch")));
        // the draft's buffers
        CHECK(buffers_match(d.model_buffers, hw, table->get(r, "dft_model_buf")));
        if (table->get(r, "dft_kv_swa_mib").empty()) {
            CHECK(groundtruth::same_mib(sum(d.kv_buffers), std::stod(table->get(r, "dft_kv_mib"))));
        } else {  // two caches, each printed (dft_kv_mib is the sum of the two rounded figures)
            CHECK(groundtruth::same_mib(d.kv_swa, std::stod(table->get(r, "dft_kv_swa_mib"))));
            CHECK(groundtruth::same_mib(sum(d.kv_buffers) - d.kv_swa, std::stod(table->get(r, "dft_kv_nonswa_mib"))));
        }
        CHECK(groundtruth::same_mib(sum(d.output_buffers), std::stod(table->get(r, "dft_output_mib"))));
        CHECK(groundtruth::same_mib(sum(d.compute_buffers), std::stod(table->get(r, "dft_compute_mib"))));
        // the host row holds both models
        const auto* host = e.row(llamaplan::host_device);
        REQUIRE(host != nullptr);
        CHECK(host->draft == sum(d.model_buffers) + sum(d.kv_buffers) + sum(d.recurrent_buffers) +
                                 sum(d.output_buffers) + sum(d.compute_buffers));
        CHECK(host->total() == e.weights() + e.kv() + e.recurrent() + e.output() + e.compute() + host->draft);
        ++checked;
    }
    CHECK(checked == 25);
}
