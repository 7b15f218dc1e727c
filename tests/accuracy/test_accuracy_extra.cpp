// The estimator against llama.cpp on models and settings outside the shared ground truth (tests/data/extra): qwen2,
// gemma2, other expert counts and SWA windows, MLA, Mamba-2, hybrids, gpt-oss (sinks, iSWA, biased MoE, MXFP4),
// llama-quantize'd files, and -ub / -b / -np / -kvu / --swa-full / -nkvo / -fa auto / --no-repack / odd -c values.
// The models are re-synthesized from their specs (extra_models.hpp) or, for quantized files, read from their tensor
// lists. KV cache, recurrent state and output buffers must be exact on every row llama.cpp printed them, and so must
// the model buffers (with or without AMX, per row); the compute buffer is asserted on the rows measured.csv marks
// (assert_compute) -- the others are rows where llama.cpp printed none, listed in tests/data/extra/README.md.
#include <doctest/doctest.h>

#include "../support/groundtruth.hpp"
#include "extra_models.hpp"

#include <llamaplan/gguf/hparams.hpp>
#include <llamaplan/gguf/reader.hpp>
#include <llamaplan/gguf/writer.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace {

/// One model as the estimator sees it, with the storage its views point into.
struct loaded_model {
    std::vector<std::byte> header;              // synthesized GGUF header (hparams views point into it)
    std::optional<llamaplan::gguf::reader> r;   // parsed header
    llamaplan::gguf::model_hparams hp;          // hyper-parameters
    std::vector<std::string> names;             // tensor names of a tensor list read from a .tsv
    std::vector<llamaplan::tensor_info> tensors;
    [[nodiscard]] llamaplan::model view() const { return llamaplan::model{hp.view(), tensors}; }
};

/// Synthesizes `def` (header only) and takes its hparams; quantized models take their tensors from the .tsv.
std::string load_model(const extra::model_def& def, const std::vector<extra::model_def>& all, const std::string& dir,
                       loaded_model& out) {
    const llamaplan::gguf::synth_spec* spec = &def.spec;
    if (!def.quantized_from.empty())
        for (const auto& d : all)
            if (d.id == def.quantized_from) spec = &d.spec;
    out.header = llamaplan::gguf::synthesize(*spec).bytes(llamaplan::gguf::data_fill::header_only);
    auto r = llamaplan::gguf::reader::parse(std::span<const std::byte>(out.header));
    if (!r) return "cannot parse the synthesized header of " + def.id;
    out.r.emplace(std::move(*r));
    auto hp = llamaplan::gguf::extract_hparams(*out.r);
    if (!hp) return "cannot read the hparams of " + def.id + ": " + std::string(hp.error().what);
    out.hp = std::move(*hp);
    if (def.quantized_from.empty()) {
        out.tensors.assign(out.r->tensors().begin(), out.r->tensors().end());
        return {};
    }
    auto tsv = groundtruth::read_csv(dir + "/tensors/" + def.id + ".tsv", '\t');
    if (!tsv) return "cannot read the tensor list of " + def.id;
    out.names.reserve(tsv->rows.size());  // tensor_info keeps views into these strings
    for (std::size_t i = 0; i < tsv->rows.size(); ++i) {
        out.names.push_back(tsv->get(i, "name"));
        std::array<std::uint64_t, 4> ne{1, 1, 1, 1};
        const auto dims = groundtruth::split(tsv->get(i, "shape"), 'x');
        for (std::size_t d = 0; d < dims.size() && d < 4; ++d) ne[d] = std::stoull(dims[d]);
        const auto type = llamaplan::parse_type(tsv->get(i, "ggml_type"));
        if (!type) return "unknown type in " + def.id;
        auto t = llamaplan::make_tensor(out.names.back(), *type, ne, static_cast<std::uint32_t>(dims.size()),
                                        std::stoull(tsv->get(i, "offset")));
        if (!t || t->bytes != std::stoull(tsv->get(i, "nbytes"))) return "bad tensor in " + def.id;
        out.tensors.push_back(*t);
    }
    return {};
}

/// The shared columns as groundtruth::params_of reads them, plus the flags only these rows vary.
llamaplan::launch_params extra_params(const groundtruth::csv& t, std::size_t r) {
    llamaplan::launch_params p = groundtruth::params_of(t, r);
    p.swa_full = t.get(r, "swa_full") == "1";
    p.offload_kqv = t.get(r, "no_kv_offload") != "1";
    p.cpu_repack = t.get(r, "no_repack") != "1";
    return p;
}

bool printed(const groundtruth::csv& t, std::size_t r, const char* col) { return !t.get(r, col).empty(); }

}  // namespace

TEST_CASE("estimates match llama.cpp on models and settings outside the shared ground truth") {
    const std::string dir = std::string(LLAMAPLAN_TEST_DATA) + "/extra";
    const auto defs = extra::models();
    std::map<std::string, std::unique_ptr<loaded_model>> models;
    for (const auto& d : defs) {
        auto m = std::make_unique<loaded_model>();
        const std::string err = load_model(d, defs, dir, *m);
        REQUIRE_MESSAGE(err.empty(), err);
        models[d.id] = std::move(m);
    }
    auto table = groundtruth::read_csv(dir + "/measured.csv");
    REQUIRE(table.has_value());
    REQUIRE(table->rows.size() == 284);

    // the first 157 rows were measured on a CPU with AMX (Sapphire Rapids class) and a native build: weights go to
    // the AMX buffer first; rows with cpu_amx = 0 on an AVX-512 CPU without AMX (CPU_REPACK takes what it supports)
    auto hw_amx = groundtruth::cpu_machine();
    hw_amx.host.cpu_amx = true;
    const auto hw_plain = groundtruth::cpu_machine();
    groundtruth::component_stats model_stats, kv_stats, rs_stats, output_stats, compute_stats;
    std::size_t refused = 0, refused_agree = 0;
    for (std::size_t r = 0; r < table->rows.size(); ++r) {
        const std::string id = table->get(r, "model");
        const auto it = models.find(id);
        REQUIRE_MESSAGE(it != models.end(), "no spec for " << id);
        const auto& hw = table->get(r, "cpu_amx") == "0" ? hw_plain : hw_amx;
        const auto est = llamaplan::estimate_memory(it->second->view(), hw, extra_params(*table, r));
        const std::string what = id + " " + table->get(r, "command");
        if (table->get(r, "refused") == "1") {  // llama.cpp rejected the settings (rc != 0 before allocating)
            ++refused;
            const bool agree = !est && est.error().code == llamaplan::errc::invalid_combination;
            if (agree) ++refused_agree;
            else MESSAGE("llama.cpp refused, the estimator did not: " << what);
            continue;
        }
        REQUIRE_MESSAGE(est.has_value(), "estimator refused: " << what);
        const auto& e = *est;

        if (!table->get(r, "model_buf_detail").empty()) {
            const bool exact = groundtruth::model_buffers_match(e, hw, table->get(r, "model_buf_detail"));
            model_stats.add(e.weights(), groundtruth::detail_sum(table->get(r, "model_buf_detail")), exact);
            if (!exact)
                MESSAGE("model buffers differ (ours " << groundtruth::model_buffers_text(e, hw) << " llama.cpp "
                                                      << table->get(r, "model_buf_detail") << "): " << what);
        }
        if (printed(*table, r, "kv_buf_mib") || e.kv() != 0) {
            const bool exact = printed(*table, r, "kv_buf_mib") &&
                               groundtruth::kv_matches(e, table->get(r, "kv_buf_mib"), table->get(r, "kv_swa_mib"),
                                                       table->get(r, "kv_nonswa_mib"));
            kv_stats.add(e.kv(), printed(*table, r, "kv_buf_mib") ? std::stod(table->get(r, "kv_buf_mib")) : 0.0, exact);
            if (!exact) MESSAGE("KV differs (ours " << groundtruth::mib(e.kv()) << " MiB): " << what);
        }
        if (printed(*table, r, "rs_buf_mib") || e.recurrent() != 0) {
            const bool exact = printed(*table, r, "rs_buf_mib") &&
                               groundtruth::same_mib(e.recurrent(), std::stod(table->get(r, "rs_buf_mib")));
            rs_stats.add(e.recurrent(), printed(*table, r, "rs_buf_mib") ? std::stod(table->get(r, "rs_buf_mib")) : 0.0, exact);
            if (!exact) MESSAGE("RS differs (ours " << groundtruth::mib(e.recurrent()) << " MiB): " << what);
        }
        if (printed(*table, r, "output_buf_mib")) {
            output_stats.add(e.output(), std::stod(table->get(r, "output_buf_mib")));
            if (!groundtruth::same_mib(e.output(), std::stod(table->get(r, "output_buf_mib"))))
                MESSAGE("output differs (ours " << groundtruth::mib(e.output()) << " MiB): " << what);
        }
        if (table->get(r, "assert_compute") == "1") {
            const double measured = std::stod(table->get(r, "compute_buf_mib"));
            compute_stats.add(e.compute(), measured);
            if (!groundtruth::same_mib(e.compute(), measured))
                MESSAGE("compute differs from the printed MiB (ours " << groundtruth::mib(e.compute()) << " MiB): " << what);
        }
    }
    MESSAGE("rows " << table->rows.size() << ", refused " << refused << "; exact: model " << model_stats.exact << "/"
            << model_stats.rows << ", KV " << kv_stats.exact << "/" << kv_stats.rows << ", RS " << rs_stats.exact << "/"
            << rs_stats.rows << ", output " << output_stats.exact << "/" << output_stats.rows << "; compute "
            << compute_stats.exact << "/" << compute_stats.rows << " to the printed MiB, median "
            << compute_stats.median() * 100 << " %, max " << compute_stats.max() * 100 << " %");
    CHECK(refused == 1);
    CHECK(refused_agree == refused);
    CHECK(model_stats.rows == 283);
    CHECK(model_stats.exact == model_stats.rows);
    CHECK(kv_stats.rows == 264);
    CHECK(kv_stats.exact == kv_stats.rows);
    CHECK(rs_stats.rows == 64);
    CHECK(rs_stats.exact == rs_stats.rows);
    CHECK(output_stats.rows == 283);
    CHECK(output_stats.exact == output_stats.rows);
    CHECK(compute_stats.rows == 277);
    // every asserted compute buffer is llama.cpp's to its printed 0.01 MiB; relative bounds as measured (the largest
    // relative error is the rounding of a 1.5 MiB buffer)
    CHECK(compute_stats.exact == compute_stats.rows);
    CHECK(compute_stats.median() <= 0.00014);  // measured 0.0118 %
    CHECK(compute_stats.max() <= 0.0032);      // measured 0.312 %: the rounding of a 1.5 MiB buffer
}
