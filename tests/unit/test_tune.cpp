// SPDX-License-Identifier: MIT
// recommend(): goal adjustments for a running plan from llama-server's live state (include/llamaplan/tune.hpp).
#include <llamaplan/tune.hpp>

#include <doctest/doctest.h>

using namespace llamaplan;

namespace {
constexpr running_plan plan4() {
    running_plan p;
    p.n_ctx_slot = 8192;
    p.n_slots = 4;
    p.memory_planned = 10ull << 30;
    p.memory_budget = 20ull << 30;
    return p;
}
constexpr observation busy_queue() {
    observation o;
    o.has_metrics = o.has_slots = true;
    o.n_slots = 4;
    o.busy_slots = 4;
    o.n_ctx_slot = 8192;
    o.requests_deferred = 3;
    o.n_tokens_max = 6000;
    o.decode_tps = 40;
    o.busy_slots_per_decode = 3.5;
    return o;
}
// usable in constant expressions
static_assert(recommend(plan4(), busy_queue(), tune_targets{}).size() == 1);
static_assert(recommend(plan4(), busy_queue(), tune_targets{})[0].action == tune_action::more_slots);
}  // namespace

TEST_CASE("tune: waiting requests with memory to spare: more slots") {
    const auto s = recommend(plan4(), busy_queue(), tune_targets{});
    REQUIRE(s.size() == 1);
    CHECK(s[0].action == tune_action::more_slots);
    CHECK(s[0].value == 8);
}

TEST_CASE("tune: waiting requests with memory full: a smaller context funds more slots") {
    auto p = plan4();
    p.memory_planned = 19ull << 30;  // 95 % of the budget
    const auto s = recommend(p, busy_queue(), tune_targets{});
    REQUIRE(s.size() == 2);
    CHECK(s[0].action == tune_action::smaller_context);
    CHECK(s[0].value == 7680);  // 1.25 x 6000 = 7500, padded to 256
    CHECK(s[1].action == tune_action::smaller_ubatch);
    CHECK(s[1].value == 256);
}

TEST_CASE("tune: the context high-water mark") {
    auto o = busy_queue();
    o.requests_deferred = 0;
    o.n_tokens_max = 1000;  // under half of 8192
    auto s = recommend(plan4(), o, tune_targets{});
    REQUIRE(s.size() == 1);
    CHECK(s[0].action == tune_action::smaller_context);
    CHECK(s[0].value == 1536);  // 1.5 x 1000 padded to 256
    o.n_tokens_max = 7900;      // over 90 %
    s = recommend(plan4(), o, tune_targets{});
    REQUIRE(s.size() == 1);
    CHECK(s[0].action == tune_action::larger_context);
    CHECK(s[0].value == 16384);
    auto full = plan4();
    full.memory_planned = full.memory_budget;  // no room: q8_0 KV instead
    s = recommend(full, o, tune_targets{});
    REQUIRE(s.size() >= 1);
    CHECK(s[0].action == tune_action::quantize_kv);
    CHECK(s[0].value == static_cast<std::uint32_t>(ggml_type::q8_0));
}

TEST_CASE("tune: slower than the target") {
    auto o = busy_queue();
    o.requests_deferred = 0;
    o.n_tokens_max = 5000;
    tune_targets t;
    t.min_decode_tps = 50;  // 40 observed with 3.5 busy slots per decode
    auto s = recommend(plan4(), o, t);
    REQUIRE(s.size() == 1);
    CHECK(s[0].action == tune_action::fewer_slots);
    CHECK(s[0].value == 2);
    o.busy_slots_per_decode = 1.0;
    t = tune_targets{};
    t.max_ms_per_token = 20;  // 25 ms per token observed
    s = recommend(plan4(), o, t);
    REQUIRE(s.size() == 1);
    CHECK(s[0].action == tune_action::quantize_kv);
    // a scrape without metrics recommends nothing
    CHECK(recommend(plan4(), observation{}, t).empty());
}
