// SPDX-License-Identifier: MIT
#include <llamaplan/probe/json.hpp>

#include <doctest/doctest.h>

#include <limits>
#include <string>

namespace json = llamaplan::probe::json;
using llamaplan::errc;

TEST_CASE("json: parses every kind of value") {
    const auto r = json::parse(R"( {"a": [1, -2.5e3, true, false, null], "b": {"c": "x\ny"}, "big": 18446744073709551615} )");
    REQUIRE(r);
    const json::value& v = *r;
    CHECK(v.type == json::kind::object);
    const json::value* a = v.find("a");
    REQUIRE(a != nullptr);
    REQUIRE(a->items.size() == 5);
    std::uint64_t one = 0;
    CHECK(a->items[0].get_u64(one));
    CHECK(one == 1);
    double d = 0;
    CHECK(a->items[1].get_double(d));
    CHECK(d == -2500.0);
    CHECK_FALSE(a->items[1].get_u64(one));  // negative, fractional
    CHECK(a->items[2].type == json::kind::boolean);
    CHECK(a->items[2].boolean);
    CHECK_FALSE(a->items[3].boolean);
    CHECK(a->items[4].type == json::kind::null);
    CHECK(v.find("b")->find("c")->text == "x\ny");
    std::uint64_t big = 0;
    CHECK(v.find("big")->get_u64(big));
    CHECK(big == 18446744073709551615ull);
    CHECK(v.find("missing") == nullptr);
}

TEST_CASE("json: 2^64 does not fit u64") {
    const auto r = json::parse("18446744073709551616");
    REQUIRE(r);
    std::uint64_t n = 0;
    CHECK_FALSE(r->get_u64(n));
}

TEST_CASE("json: unicode escapes and UTF-8") {
    const auto r = json::parse(R"(["\u00e9\u20ac\ud83d\ude00", "h\u00e9"])");
    REQUIRE(r);
    CHECK(r->items[0].text == "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
    CHECK(json::parse("\"\xC3\xA9\"")->text == "\xC3\xA9");
    CHECK(json::parse("\"\xC3").error().code == errc::truncated);
    CHECK(json::parse("\"\xC3\"").error().code == errc::invalid_argument);
    CHECK(json::parse("\"\xFF\"").error().code == errc::invalid_argument);
    CHECK(json::parse("\"\xC0\xAF\"").error().code == errc::invalid_argument);  // overlong
    CHECK(json::parse(R"("\ud83d")").error().code == errc::truncated);
    CHECK(json::parse(R"("\ud83d x")").error().code == errc::invalid_argument);
    CHECK(json::parse(R"("\ude00")").error().code == errc::invalid_argument);
}

TEST_CASE("json: strictness") {
    for (const char* bad : {"[1,]", "{\"a\":1,}", "01", "1.", ".5", "-", "+1", "1e", "NaN", "[1 2]", "{'a':1}",
                            "{\"a\" 1}", "\"tab\there\"", "[\"\\x\"]", "truex", "nul", "//c\n1", "1 2", "\xEF\xBB\xBF{}",
                            "{\"a\":1,\"a\":2}", "", "   "}) {
        CAPTURE(bad);
        const auto r = json::parse(bad);
        CHECK_FALSE(r);
        CHECK(r.error().code != errc::ok);
        CHECK_FALSE(r.error().what.empty());
    }
}

TEST_CASE("json: errors give line and column") {
    const std::string text = "{\n  \"a\": 1,\n  \"b\": tru\n}";
    const auto r = json::parse(text);
    REQUIRE_FALSE(r);
    const auto pos = json::position_of(text, r.error().where);
    CHECK(pos.line == 3);
    CHECK(pos.column == 8);
    CHECK(json::describe(text, r.error()) == "line 3, column 8: invalid literal (expected true, false or null)");

    const std::string cut = "{\"a\": [1, 2";
    const auto t = json::parse(cut);
    REQUIRE_FALSE(t);
    CHECK(t.error().code == errc::truncated);
    CHECK(json::position_of(cut, t.error().where).column == 12);
}

TEST_CASE("json: limits bound depth, size and value count") {
    std::string deep(100, '[');
    deep += std::string(100, ']');
    const auto r = json::parse(deep);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::overflow);

    json::limits shallow;
    shallow.max_depth = 100;
    CHECK(json::parse(deep, shallow));

    json::limits small;
    small.max_size = 4;
    CHECK(json::parse("[1,2]", small).error().code == errc::overflow);

    json::limits few;
    few.max_values = 3;
    CHECK(json::parse("[1,2]", few));
    CHECK(json::parse("[1,2,3]", few).error().code == errc::overflow);

    // Deep nesting far beyond the limit must neither crash nor recurse unboundedly.
    std::string very_deep(200000, '[');
    CHECK(json::parse(very_deep).error().code == errc::overflow);
}

TEST_CASE("json: truncations of a valid document all fail cleanly") {
    const std::string doc = R"({"host": {"cpus": [1, 2.5, "s\u00e9"], "ok": true, "n": null}})";
    REQUIRE(json::parse(doc));
    for (std::size_t n = 0; n < doc.size(); ++n) {
        CAPTURE(n);
        CHECK_FALSE(json::parse(std::string_view(doc).substr(0, n)));
    }
}

TEST_CASE("json: dump round-trips and escapes") {
    json::value o = json::value::make_object();
    o.set("s", json::value::make_string("q\"\\\n\x01\xC3\xA9"));
    o.set("u", json::value::make_u64(18446744073709551615ull));
    o.set("i", json::value::make_i64(-5));
    o.set("d", json::value::make_double(0.5));
    o.set("nan", json::value::make_double(std::numeric_limits<double>::quiet_NaN()));
    o.set("b", json::value::make_bool(true));
    json::value& arr = o.set("a", json::value::make_array());
    arr.push(json::value::make_null());
    arr.push(json::value::make_object());
    o.set("bad", json::value::make_string("x\xFFy"));

    const std::string compact = json::dump(o, 0);
    CHECK(compact ==
          "{\"s\":\"q\\\"\\\\\\n\\u0001\xC3\xA9\",\"u\":18446744073709551615,\"i\":-5,\"d\":0.5,\"nan\":null,"
          "\"b\":true,\"a\":[null,{}],\"bad\":\"x\xEF\xBF\xBDy\"}");
    const auto back = json::parse(json::dump(o, 2));
    REQUIRE(back);
    CHECK(json::dump(*back, 0) == compact);
    CHECK(back->find("s")->text == "q\"\\\n\x01\xC3\xA9");
}
