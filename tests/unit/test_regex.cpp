// The -ot regex engine agrees with std::regex_search (ECMAScript), which llama.cpp uses.
#include <llamaplan/detail/regex.hpp>

#include <doctest/doctest.h>

#include <regex>
#include <string>

TEST_CASE("-ot patterns match like std::regex_search") {
    const char* patterns[] = {"\\.ffn_(up|down|gate|gate_up)_(ch|)exps", "blk\\.[1-3]?[02468]\\.", "^output", "[^.]+_norm",
                              "x*", "a+b*c?$", "\\d{2}", "(?:up|down)_exps", "\\w+\\.\\d\\.attn", "blk\\.(1[0-9]|2[0-3])\\.",
                              "attn_(q|k|v)\\.weight$", ".*", "exps\\.weight", "blk\\.[0-9]{1,2}\\.ffn_down", "[a-c-]+z"};
    const char* names[] = {"blk.12.ffn_up_exps.weight", "output.weight", "blk.24.attn_q.weight", "token_embd.weight",
                           "blk.4.attn_norm.weight", "", "abc", "blk.3.attn_k.weight", "blk.0.ffn_gate_up_chexps.weight",
                           "blk.17.ffn_down.weight", "output_norm.weight", "b-az"};
    for (const char* p : patterns) {
        auto ours = llamaplan::detail::regex::compile(p);
        REQUIRE_MESSAGE(ours.has_value(), p);
        const std::regex theirs(p);
        for (const char* n : names) {
            CHECK_MESSAGE(ours->search(n) == std::regex_search(std::string(n), theirs), p, " on ", n);
        }
    }
}

TEST_CASE("invalid or unsupported patterns are errors, never a crash") {
    for (const char* p : {"(", ")", "[a-", "a{2", "a{3,1}", "*a", "a**", "\\", "(?=x)", "\\1", "[z-a]"}) {
        CHECK_MESSAGE(!llamaplan::detail::regex::compile(p).has_value(), p);
    }
    std::string huge(5000, 'a');
    CHECK_FALSE(llamaplan::detail::regex::compile(huge).has_value());  // over capacity: refused
    CHECK_FALSE(llamaplan::detail::regex::compile("(((((((((((((((((((((((((((((((((((a)))))))))))))))))))))))))))))))))))").has_value());
}
