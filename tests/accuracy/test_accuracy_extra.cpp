// The estimator against llama.cpp on models and settings outside the shared ground truth (tests/data/extra): qwen2,
// gemma2, other expert counts and SWA windows, MLA, Mamba-2, hybrids, gpt-oss (sinks, iSWA, biased MoE, MXFP4),
// Gemma-3n (altup, laurel, per-layer inputs, shared KV), RWKV-6/7, llama-quantize'd files, and -ub / -b / -np / -kvu /
// --swa-full / -nkvo / -fa auto / --no-repack / odd -c values.
// The models are re-synthesized from their specs (extra_models.hpp) or, for quantized files, read from their tensor
// lists. KV cache, recurrent state and output buffers must be exact on every row llama.cpp printed them, and so must
// the model buffers (with or without AMX, per row); the compute buffer is asserted on the rows measured.csv marks
// (assert_compute) -- the others are rows where llama.cpp printed none, listed in tests/data/extra/README.md.
#include <doctest/doctest.h>

#include "../support/groundtruth.hpp"
#include "extra_loader.hpp"
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
    std::map<std::string, std::unique_ptr<extra::loaded_model>> models;
    for (const auto& d : defs) {
        auto m = std::make_unique<extra::loaded_model>();
        const std::string err = extra::load_model(d, defs, dir, *m);
        REQUIRE_MESSAGE(err.empty(), err);
        models[d.id] = std::move(m);
    }
    auto table = groundtruth::read_csv(dir + "/measured.csv");
    REQUIRE(table.has_value());
    REQUIRE(table->rows.size() == 400);

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
    CHECK(model_stats.rows == 399);
    CHECK(model_stats.exact == model_stats.rows);
    CHECK(kv_stats.rows == 323);
    CHECK(kv_stats.exact == kv_stats.rows);
    CHECK(rs_stats.rows == 164);
    CHECK(rs_stats.exact == rs_stats.rows);
    CHECK(output_stats.rows == 399);
    CHECK(output_stats.exact == output_stats.rows);
    CHECK(compute_stats.rows == 393);
    // every asserted compute buffer is llama.cpp's to its printed 0.01 MiB; relative bounds as measured (the largest
    // relative error is the printed rounding of a small buffer: qwen3next-ssm_in-6L-256 at -c 100, 1.3054 MiB printed
    // as 1.31)
    CHECK(compute_stats.exact == compute_stats.rows);
    CHECK(compute_stats.median() <= 0.00014);  // measured 0.0118 %
    CHECK(compute_stats.max() <= 0.0036);      // measured 0.354 %: the rounding of a 1.31 MiB buffer
}
