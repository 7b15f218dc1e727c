// The device table and the --gpu device-spec syntax (llamaplan/devices.hpp).
#include <llamaplan/devices.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace llamaplan;

TEST_CASE("parse_device_spec: table names, case, vendor prefix, backend, count") {
    auto a = parse_device_spec("RTX 4090");
    REQUIRE(a);
    CHECK(a->dev.name == "RTX 4090");
    CHECK(a->dev.kind == backend::cuda);
    CHECK(a->dev.memory_total == 24ull << 30);
    CHECK(a->dev.bandwidth == 1008000000000ull);
    CHECK(a->dev.flops == 165200000000000ull);
    CHECK(a->dev.int8_ops == 661000000000000ull);
    CHECK(a->count == 1);
    auto b = parse_device_spec("NVIDIA GeForce RTX 4090");
    REQUIRE(b);
    CHECK(b->spec == a->spec);
    auto c = parse_device_spec("vulkan:rtx 4090");
    REQUIRE(c);
    CHECK(c->spec == a->spec);
    CHECK(c->dev.kind == backend::vulkan);
    auto d = parse_device_spec("M2 Max");
    REQUIRE(d);
    CHECK(d->dev.kind == backend::metal);
    CHECK(d->dev.unified_memory);
    CHECK(d->dev.bandwidth == 400000000000ull);
    auto e = parse_device_spec("H100x8");
    REQUIRE(e);
    CHECK(e->count == 8);
    CHECK(e->dev.name == "H100");
    CHECK(e->dev.memory_total == 80ull << 30);
    auto f = parse_device_spec("Intel(R) Arc(TM) A770 Graphics");
    REQUIRE(f);
    CHECK(f->dev.name == "Arc A770");
    CHECK(f->dev.kind == backend::sycl);
    auto g = parse_device_spec("rtx 4090 d");  // not the RTX 4090
    REQUIRE(g);
    CHECK(g->dev.name == "RTX 4090 D");
}

TEST_CASE("parse_device_spec: BACKEND:FREE[:NAME] keeps working") {
    auto a = parse_device_spec("cuda:24GiB");
    REQUIRE(a);
    CHECK(a->spec == nullptr);
    CHECK(a->dev.kind == backend::cuda);
    CHECK(a->dev.memory_free == 24ull << 30);
    CHECK(a->dev.name.empty());
    CHECK(a->dev.bandwidth == 0);
    auto b = parse_device_spec("rocm:20.5G:RX 7900 XT card");
    REQUIRE(b);
    CHECK(b->dev.memory_free == (41ull << 29));
    CHECK(b->dev.name == "RX 7900 XT card");
    CHECK(b->dev.bandwidth == 800000000000ull);  // the name matches a table row
    auto c = parse_device_spec("metal:64GiB");
    REQUIRE(c);
    CHECK(c->dev.unified_memory);
}

TEST_CASE("parse_device_spec: errors") {
    CHECK(parse_device_spec("RTX 4095").error().code == errc::not_found);
    CHECK(parse_device_spec("").error().code == errc::not_found);
    CHECK(parse_device_spec("foo:RTX 4090").error().code == errc::invalid_argument);
    CHECK(parse_device_spec("cpu:RTX 4090").error().code == errc::invalid_argument);
    CHECK(parse_device_spec("cuda:24XB").error().code == errc::invalid_argument);
    CHECK(parse_device_spec("H100x0").error().code == errc::invalid_argument);
    CHECK(parse_device_spec("H100x100").error().code == errc::invalid_argument);
}

TEST_CASE("closest_devices lists the nearest table names first") {
    std::string_view out[3];
    REQUIRE(closest_devices("RTX 4095", out) == 3);
    CHECK(out[0] == "RTX 4090");  // one substitution away
    std::string_view one[1];
    REQUIRE(closest_devices("nvidia h10", one) == 1);
    CHECK((one[0] == "H100" || one[0] == "A10"));  // both one edit away; the table order decides
}

TEST_CASE("match_device prefers the longest whole-word name a driver reports") {
    CHECK(match_device("NVIDIA A10")->name == "A10");
    CHECK(match_device("NVIDIA A100-SXM4-80GB")->name == "A100-SXM4-80GB");
    CHECK(match_device("NVIDIA L4")->name == "L4");
    CHECK(match_device("Apple M3 Max")->name == "M3 Max");
    CHECK(match_device("NVIDIA RTX 6000 Ada Generation")->name == "RTX 6000 Ada");
    CHECK(match_device("Intel(R) UHD Graphics 770") == nullptr);
}

TEST_CASE("CPU memory arithmetic: channels x MT/s x 8 bytes") {
    CHECK(dram_bandwidth(6000, 2) == 96000000000ull);
    CHECK(dram_bandwidth(4800, 12) == 460800000000ull);
    CHECK(dram_bandwidth(8000, 4) == 256000000000ull);  // 256-bit LPDDR5X-8000
    for (const auto& c : cpu_table)
        if (c.channels && c.mts) CHECK(double(dram_bandwidth(c.mts, c.channels)) == doctest::Approx(c.bandwidth_gbs * 1e9));
    REQUIRE(find_cpu("ryzen 9 7950x") != nullptr);
    CHECK(find_cpu("ryzen 9 7950x")->cores == 16);
}

TEST_CASE("every table row names a source and unique name") {
    for (const auto& d : device_table) {
        CHECK(!d.source.empty());
        CHECK(find_device(d.name) == &d);  // lookup by its own name finds exactly this row
    }
}
