// The estimator against every row llama.cpp measured (tests/data/groundtruth, copied from shared/groundtruth):
// model, KV, output and compute buffers must be exact to the MiB llama.cpp printed.
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
    MESSAGE("compute " << acc.compute.exact << "/" << acc.compute.rows << " to the printed MiB, median "
            << acc.compute.median() * 100 << " %, max " << acc.compute.max() * 100 << " %");
    // every compute buffer to llama.cpp's printed 0.01 MiB; relative bounds as measured (max 0.137 %)
    CHECK(acc.compute.rows == 805);
    CHECK(acc.compute.exact == acc.compute.rows);
    CHECK(acc.compute.median() <= 0.000036);  // measured 0.0035 %
    CHECK(acc.compute.max() <= 0.0014);       // measured 0.137 %
}
