// Catalog models as opened files (llamaplan/gguf/catalog.hpp): the header round-trips through the GGUF reader and
// hyper-parameter extraction, and the memory model accepts every entry.
#include <llamaplan/gguf/catalog.hpp>
#include <llamaplan/memory.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace llamaplan;

TEST_CASE("every catalog entry and scheme opens, with the table's hyper-parameters and sizes") {
    for (const auto& e : catalog_table) {
        for (std::size_t i = 0; i < quant_scheme_count; ++i) {
            const auto q = static_cast<quant_scheme>(i);
            if ((e.quants & quant_bit(q)) == 0) continue;
            CAPTURE(e.name);
            CAPTURE(to_string(q));
            auto mf = gguf::open_catalog(catalog_ref{&e, q});
            REQUIRE(mf);
            const model m = mf->view();
            CHECK(m.hp.architecture == e.arch);
            CHECK(m.hp.n_layer == e.n_layer);
            CHECK(m.hp.n_layer_nextn == e.n_nextn);
            CHECK(m.hp.n_embd == e.n_embd);
            CHECK(m.hp.n_vocab == e.n_vocab);
            CHECK(m.hp.n_expert == e.n_expert);
            CHECK(m.hp.n_expert_used == e.n_expert_used);
            CHECK(m.hp.n_swa == e.n_swa);
            CHECK(m.hp.is_mla() == (e.kv_lora != 0));
            const auto s = catalog_model_size(e, q);
            CHECK(m.total_bytes() == s.bytes);
            CHECK(m.total_params() == s.params);
            CHECK_FALSE(mf->data_present());  // header only
        }
    }
}

TEST_CASE("catalog models go through the memory model") {
    auto mf = gguf::open_catalog("gemma-3-27b:Q4_K_M");
    REQUIRE(mf);
    const model m = mf->view();
    // gemma3: every 6th layer global, the others a 1024-token window (models/gemma3.cpp set_swa_pattern(6))
    CHECK(m.hp.is_swa(0));
    CHECK_FALSE(m.hp.is_swa(5));
    launch_params p;
    p.n_ctx = 32768;
    auto est = estimate_memory(m, machine{}, p);
    REQUIRE(est);
    // 62 layers: 10 global (5, 11, ..., 59) x 32768 cells, 52 SWA x 1536 cells (llama-kv-cache-iswa.cpp: window + ubatch,
    // padded to 256);
    // K and V F16, 16 KV heads x 128 = 2048 per row
    CHECK(est->kv() == (10ull * 32768 + 52ull * 1536) * 2048 * 2 * 2);
    CHECK(gguf::open_catalog("gemma-3-27b:Q3_K_M").error().code == errc::invalid_argument);
    CHECK(gguf::open_catalog("nope-1b:Q4_0").error().code == errc::not_found);
    CHECK(gguf::open_memory({}, "empty").error().code == errc::truncated);
}
