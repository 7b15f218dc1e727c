// Round trips through the GGUF writer and reader: every value type, versions 2 and 3, alignment, lazy accessors.
#include <doctest/doctest.h>

#include <llamaplan/gguf/reader.hpp>
#include <llamaplan/gguf/writer.hpp>

#include <cstring>
#include <string>
#include <vector>

using namespace llamaplan;
using namespace llamaplan::gguf;

namespace {
writer all_types_writer() {
    writer w;
    w.set_u8("t.u8", 200).set_i8("t.i8", -100).set_u16("t.u16", 60000).set_i16("t.i16", -30000);
    w.set_u32("t.u32", 4000000000u).set_i32("t.i32", -2000000000).set_u64("t.u64", 0xFFFFFFFFFFFFFFF0ull);
    w.set_i64("t.i64", -5000000000ll).set_f32("t.f32", 1.5f).set_f64("t.f64", -2.25).set_bool("t.bool", true);
    w.set_string("t.str", "hello gguf");
    const std::vector<std::uint32_t> au32 = {1, 2, 3};
    const std::vector<std::int32_t> ai32 = {-1, 0, 7};
    const std::vector<float> af32 = {0.5f, -1.0f};
    const std::vector<std::uint8_t> ab = {1, 0, 1, 1};
    const std::vector<std::string> as = {"a", "", "ccc"};
    const std::vector<std::uint16_t> au16 = {9, 65535};
    const std::vector<std::int64_t> ai64 = {-3, 1ll << 40};
    const std::vector<double> af64 = {3.25};
    w.set_array_u32("a.u32", au32).set_array_i32("a.i32", ai32).set_array_f32("a.f32", af32);
    w.set_array_bool("a.bool", ab).set_array_strings("a.str", as);
    w.set_array(std::string_view("a.u16"), value_type::u16, std::span<const std::uint16_t>(au16));
    w.set_array(std::string_view("a.i64"), value_type::i64, std::span<const std::int64_t>(ai64));
    w.set_array(std::string_view("a.f64"), value_type::f64, std::span<const double>(af64));
    w.set_array_u32("a.empty", std::span<const std::uint32_t>{});
    return w;
}
}  // namespace

TEST_CASE("gguf reader: every scalar value type round-trips") {
    for (std::uint32_t version : {2u, 3u}) {
        CAPTURE(version);
        writer w = all_types_writer();
        w.set_version(version);
        const auto bytes = w.bytes();
        auto r = reader::parse(bytes);
        REQUIRE(r.has_value());
        CHECK(r->version() == version);
        CHECK(r->kvs().size() == w.kvs().size());
        CHECK(*r->get_uint("t.u8") == 200);
        CHECK(*r->get_i64("t.i8") == -100);
        CHECK(*r->get_u32("t.u16") == 60000);
        CHECK(*r->get_i64("t.i16") == -30000);
        CHECK(*r->get_u32("t.u32") == 4000000000u);
        CHECK(*r->get_i64("t.i32") == -2000000000);
        CHECK(*r->get_uint("t.u64") == 0xFFFFFFFFFFFFFFF0ull);
        CHECK(*r->get_i64("t.i64") == -5000000000ll);
        CHECK(*r->get_f32("t.f32") == 1.5f);
        CHECK(*r->get_f64("t.f64") == -2.25);
        CHECK(*r->get_bool("t.bool") == true);
        CHECK(*r->get_string("t.str") == "hello gguf");
        CHECK(r->find("t.u32")->type == value_type::u32);
        CHECK(r->find("a.str")->elem_type == value_type::string);
    }
}

TEST_CASE("gguf reader: accessor errors") {
    const auto bytes = all_types_writer().bytes();
    auto r = reader::parse(bytes);
    REQUIRE(r.has_value());
    CHECK(r->get_u32("nope").error().code == errc::missing_key);
    CHECK(r->get_u32("t.str").error().code == errc::type_mismatch);
    CHECK(r->get_u32("t.i32").error().code == errc::type_mismatch);  // negative
    CHECK(r->get_u32("t.u64").error().code == errc::overflow);
    CHECK(r->get_i64("t.u64").error().code == errc::overflow);
    CHECK(r->get_string("t.u8").error().code == errc::type_mismatch);
    CHECK(r->get_bool("t.u8").error().code == errc::type_mismatch);
    CHECK(r->get_array("t.u8").error().code == errc::type_mismatch);
    CHECK(r->get_u32("a.u32").error().code == errc::type_mismatch);
    std::vector<std::uint32_t> v;
    CHECK(r->get_array_u32("a.str", v).code == errc::type_mismatch);
    CHECK(r->get_array_u32("a.i32", v).code == errc::type_mismatch);  // holds -1
}

TEST_CASE("gguf reader: arrays are decoded lazily and correctly") {
    const auto bytes = all_types_writer().bytes();
    auto r = reader::parse(bytes);
    REQUIRE(r.has_value());
    std::vector<std::uint32_t> u;
    REQUIRE(r->get_array_u32("a.u32", u).code == errc::ok);
    CHECK(u == std::vector<std::uint32_t>{1, 2, 3});
    REQUIRE(r->get_array_u32("a.u16", u).code == errc::ok);
    CHECK(u == std::vector<std::uint32_t>{9, 65535});
    REQUIRE(r->get_array_u32("a.bool", u).code == errc::ok);
    CHECK(u == std::vector<std::uint32_t>{1, 0, 1, 1});
    std::vector<std::int64_t> i;
    REQUIRE(r->get_array_i64("a.i32", i).code == errc::ok);
    CHECK(i == std::vector<std::int64_t>{-1, 0, 7});
    REQUIRE(r->get_array_i64("a.i64", i).code == errc::ok);
    CHECK(i == std::vector<std::int64_t>{-3, 1ll << 40});
    std::vector<double> f;
    REQUIRE(r->get_array_f64("a.f32", f).code == errc::ok);
    CHECK(f == std::vector<double>{0.5, -1.0});
    REQUIRE(r->get_array_f64("a.f64", f).code == errc::ok);
    CHECK(f == std::vector<double>{3.25});
    std::vector<std::uint8_t> b;
    REQUIRE(r->get_bool_array("a.bool", b).code == errc::ok);
    CHECK(b == std::vector<std::uint8_t>{1, 0, 1, 1});
    std::vector<std::string_view> s;
    REQUIRE(r->get_array_strings("a.str", s).code == errc::ok);
    REQUIRE(s.size() == 3);
    CHECK(s[0] == "a");
    CHECK(s[1].empty());
    CHECK(s[2] == "ccc");
    CHECK(*r->array_count("a.str") == 3);
    CHECK(*r->array_count("a.empty") == 0);
    // views point into the input, not into copies
    const auto* base = reinterpret_cast<const char*>(bytes.data());
    CHECK(s[2].data() >= base);
    CHECK(s[2].data() < base + bytes.size());
    // visit_strings stops when asked
    int seen = 0;
    reader::visit_strings(*r->get_array("a.str"), [&](std::uint64_t, std::string_view) { return ++seen < 2; });
    CHECK(seen == 2);
}

TEST_CASE("gguf reader: format_value renders scalars and arrays") {
    const auto bytes = all_types_writer().bytes();
    auto r = reader::parse(bytes);
    REQUIRE(r.has_value());
    CHECK(r->format_value(*r->find("t.u32")) == "4000000000");
    CHECK(r->format_value(*r->find("t.i8")) == "-100");
    CHECK(r->format_value(*r->find("t.bool")) == "true");
    CHECK(r->format_value(*r->find("t.str")) == "\"hello gguf\"");
    CHECK(r->format_value(*r->find("t.f32")) == "1.5");
    CHECK(r->format_value(*r->find("a.u32")) == "[3 x u32] 1, 2, 3");
    CHECK(r->format_value(*r->find("a.u32"), 2) == "[3 x u32] 1, 2, ...");
    CHECK(r->format_value(*r->find("a.str")) == "[3 x string] \"a\", \"\", \"ccc\"");
}

TEST_CASE("gguf reader: tensors, offsets and the data section") {
    for (std::uint32_t align : {0u, 8u, 32u, 64u, 4096u}) {
        CAPTURE(align);
        writer w;
        if (align) w.set_alignment(align);
        w.set_string("general.architecture", "llama");
        w.add_tensor("token_embd.weight", ggml_type::q4_k, {256, 10});
        w.add_tensor("blk.0.attn_q.weight", ggml_type::f16, {7, 3});
        w.add_tensor("blk.0.ffn_down_exps.weight", ggml_type::q8_0, {64, 4, 2});
        w.add_tensor("output_norm.weight", ggml_type::f32, {5});
        const auto full = w.bytes(data_fill::pattern);
        auto r = reader::parse(full);
        REQUIRE(r.has_value());
        const std::uint32_t a = align ? align : 32;
        CHECK(r->alignment() == a);
        REQUIRE(r->tensors().size() == 4);
        const auto t = r->tensors();
        CHECK(t[0].name == "token_embd.weight");
        CHECK(t[0].bytes == 144 * 10);
        CHECK(t[0].role == tensor_role::token_embedding);
        CHECK(t[1].bytes == 7 * 3 * 2);
        CHECK(t[1].layer == 0);
        CHECK(t[1].ne[0] == 7);
        CHECK(t[1].ne[1] == 3);
        CHECK(t[1].n_dims == 2);
        CHECK(t[2].bytes == 2 * 34 * 4 * 2);
        CHECK(t[2].role == tensor_role::ffn_expert);
        CHECK(t[2].n_dims == 3);
        std::uint64_t expect = 0;
        for (const auto& x : t) {
            CHECK(x.offset == expect);
            CHECK(x.offset % a == 0);
            expect += (x.bytes + a - 1) / a * a;
        }
        CHECK(r->data().offset % a == 0);
        CHECK(r->data().needed_padded == expect);
        CHECK(r->data().needed == t[3].offset + t[3].bytes);
        CHECK(r->data().present);
        CHECK(r->data().missing() == 0);
        CHECK(full.size() == r->data().offset + expect);
        // the data section starts right after the header padding
        const auto header = w.bytes(data_fill::header_only);
        CHECK(header.size() == r->data().offset);
        auto h = reader::parse(header);
        REQUIRE(h.has_value());
        CHECK_FALSE(h->data_present());
        CHECK(h->data().missing() == r->data().needed);
        CHECK(h->data().available == header.size());
        CHECK(h->data().expected_end == r->data().expected_end);
        CHECK(h->tensors().size() == 4);
    }
}

TEST_CASE("gguf reader: a file without tensors has its data section right after the KVs") {
    writer w;
    w.set_u32("x", 1);
    const auto b = w.bytes();
    auto r = reader::parse(b);
    REQUIRE(r.has_value());
    CHECK(r->tensors().empty());
    CHECK(r->data().offset == b.size());
    CHECK(r->data_present());
}

TEST_CASE("gguf reader: nested arrays parse unless disabled") {
    value_encoder e;
    e.u32(std::uint32_t(value_type::array)).u64(2);
    e.u32(std::uint32_t(value_type::u32)).u64(2).u32(1).u32(2);
    e.u32(std::uint32_t(value_type::string)).u64(1).str("x");
    writer w;
    w.set_raw("nested", std::uint32_t(value_type::array), e.out);
    w.set_u32("after", 9);
    const auto b = w.bytes();
    auto r = reader::parse(b);
    REQUIRE(r.has_value());
    CHECK(r->find("nested")->elem_type == value_type::array);
    CHECK(r->find("nested")->count == 2);
    CHECK(*r->get_u32("after") == 9);
    CHECK(r->format_value(*r->find("nested")) == "[2 x array]");
    auto strict = reader::parse(b, parse_options{false});
    CHECK(strict.error().code == errc::unsupported);
}

TEST_CASE("gguf reader: a large vocabulary is counted without materialising strings") {
    synth_spec s;
    s.n_vocab = 151936;
    s.merges = true;
    const auto b = synthesize(s).bytes(data_fill::header_only);
    auto r = reader::parse(b);
    REQUIRE(r.has_value());
    CHECK(*r->array_count("tokenizer.ggml.tokens") == 151936);
    CHECK(*r->array_count("tokenizer.ggml.merges") == 151936 - 256);
    std::string_view last;
    reader::visit_strings(*r->get_array("tokenizer.ggml.tokens"), [&](std::uint64_t i, std::string_view v) {
        if (i == 151935) last = v;
        return true;
    });
    CHECK(last == gguf::detail::synth_token(151935));
}
