// The estimator against every row llama.cpp measured (tests/data/groundtruth, copied from shared/groundtruth):
// model, KV and output buffers must be exact, the compute buffer within the accuracy targets.
#include <doctest/doctest.h>

#include "../support/groundtruth.hpp"

TEST_CASE("estimates match llama.cpp's measured buffers on every ground-truth row") {
    const std::string dir = std::string(LLAMAPLAN_TEST_DATA) + "/groundtruth";
    groundtruth::model_store store;
    const std::string err = store.load(dir);
    REQUIRE_MESSAGE(err.empty(), err);
    auto table = groundtruth::read_csv(dir + "/measured.csv");
    REQUIRE(table.has_value());
    REQUIRE(table->rows.size() == 1165);  // 805 measured + 360 llama.cpp refused

    groundtruth::accuracy acc;
    const auto hw = groundtruth::cpu_machine();
    for (std::size_t r = 0; r < table->rows.size(); ++r) {
        const auto it = store.models.find(table->get(r, "model_file"));
        REQUIRE(it != store.models.end());
        acc.add(*table, r, hw, llamaplan::estimate_memory(it->second, hw, groundtruth::params_of(*table, r)));
    }
    for (const auto& m : acc.mismatches) MESSAGE(m);
    CHECK(acc.failed == 0);
    CHECK(acc.rejected_rows == 360);
    CHECK(acc.rejected_agree == acc.rejected_rows);
    CHECK(acc.model.rows == 805);
    CHECK(acc.model.exact == acc.model.rows);
    CHECK(acc.kv.exact == acc.kv.rows);
    CHECK(acc.output.exact == acc.output.rows);
    MESSAGE("compute median " << acc.compute.median() * 100 << " %, max " << acc.compute.max() * 100 << " %");
    // just above what is measured (median 0.0035 %, max 0.137 %, 803 of 805 rows to the printed 0.01 MiB): a
    // regression in the graph replay fails here; tighten further (and raise `exact`) when the model improves
    CHECK(acc.compute.rows == 805);
    CHECK(acc.compute.exact == 803);
    CHECK(acc.compute.median() <= 0.000036);
    CHECK(acc.compute.max() <= 0.0014);
}
