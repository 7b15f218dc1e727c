// SPDX-License-Identifier: MIT
#include <llamaplan/probe/amd.hpp>
#include <llamaplan/probe/vulkan.hpp>

#include <doctest/doctest.h>

#include "probe_fixtures.hpp"

#include <string>

namespace probe = llamaplan::probe;
using llamaplan::errc;
using probe_test::fixture;

using probe_test::GiB;

TEST_CASE("amd: discrete GPU from sysfs; connectors and non-AMD cards skipped") {
    probe::probe_result r;
    CHECK(probe::probe_amd_sysfs(fixture("roots/amd-dgpu"), r) == 1);
    REQUIRE(r.devices.size() == 1);
    const auto& d = r.devices[0];
    CHECK(d.name == "AMD Radeon RX 7900 series (Navi 31)");
    CHECK(d.id == "card0");
    CHECK(d.source == "sysfs");
    CHECK(d.info.kind == llamaplan::backend::rocm);
    CHECK(d.info.memory_total == 25753026560ull);
    CHECK(d.info.memory_free == 25753026560ull - GiB);
    CHECK_FALSE(d.info.unified_memory);
    CHECK(d.info.pcie_generation == 4);
    CHECK(d.info.pcie_width == 16);
    CHECK(d.info.bandwidth == 0);  // the id names a family, not a board: bandwidth unknown
    CHECK(r.source_of("devices.0.memory_total") == "/sys/class/drm/card0/device/mem_info_vram_total");
}

TEST_CASE("amd: APU reports carve-out + GTT as unified memory") {
    probe::probe_result r;
    CHECK(probe::probe_amd_sysfs(fixture("roots/amd-apu"), r) == 1);
    REQUIRE(r.devices.size() == 1);
    const auto& d = r.devices[0];
    CHECK(d.name == "AMD Radeon 780M (Phoenix APU)");  // empty product_name falls back to the id table
    CHECK(d.info.unified_memory);
    CHECK(d.info.memory_total == 536870912ull + 16106127360ull);
    CHECK(d.info.memory_free == (536870912ull - 100663296ull) + (16106127360ull - 52428800ull));
    CHECK(d.info.pcie_generation == 0);
    CHECK(r.source_of("devices.0.memory_total").find("GTT") != std::string_view::npos);
}

TEST_CASE("amd: product_name wins; a card with garbage files is noted, not fatal") {
    probe::probe_result r;
    CHECK(probe::probe_amd_sysfs(fixture("roots/amd-mi300x"), r) == 1);
    REQUIRE(r.devices.size() == 1);
    CHECK(r.devices[0].name == "AMD Instinct MI300X OAM");
    CHECK(r.devices[0].info.bandwidth == 5300000000000ull);
    CHECK(r.devices[0].info.pcie_generation == 5);
    bool noted = false;
    for (const auto& n : r.notes) noted = noted || n.find("card3") != std::string::npos;
    CHECK(noted);
}

TEST_CASE("amd: card parser") {
    probe::amd_card_files f;
    f.vendor = "0x10de\n";
    f.vram_total = "1024\n";
    CHECK(probe::parse_amd_card(f).error().code == errc::not_found);
    f.vendor = "0x1002\n";
    f.vram_total = std::nullopt;
    CHECK(probe::parse_amd_card(f).error().code == errc::not_found);
    f.vram_total = "-5";
    CHECK(probe::parse_amd_card(f).error().code == errc::invalid_argument);
    f.vram_total = "17163091968";
    f.device = "0x1234";
    auto c = probe::parse_amd_card(f);
    REQUIRE(c);
    CHECK(c->name == "AMD GPU 1002:1234");
    CHECK_FALSE(c->apu);
    // Unknown id with a small VRAM carve-out and a large GTT: treated as an APU.
    f.vram_total = "536870912";
    f.gtt_total = "8589934592";
    CHECK(probe::parse_amd_card(f)->apu);
    CHECK(probe::pcie_generation_from_speed("2.5 GT/s PCIe") == 1);
    CHECK(probe::pcie_generation_from_speed("8.0 GT/s PCIe") == 3);
    CHECK(probe::pcie_generation_from_speed("Unknown") == 0);
    CHECK(probe::pcie_generation_from_speed("") == 0);
}

TEST_CASE("amd: a root without /sys/class/drm finds nothing") {
    probe::probe_result r;
    CHECK(probe::probe_amd_sysfs(fixture("roots/smt-cgroup2"), r) == 0);
    CHECK(r.devices.empty());
}

TEST_CASE("vulkan: ggml-vulkan's memory rule") {
    const std::vector<probe::vulkan_heap> dgpu = {{24 * GiB, true, 23 * GiB, 1 * GiB}, {32 * GiB, false, 30 * GiB, 0}};
    auto m = probe::vulkan_device_memory(dgpu, false, true);
    CHECK(m.total == 24 * GiB);
    CHECK(m.free == 22 * GiB);
    m = probe::vulkan_device_memory(dgpu, false, false);
    CHECK(m.free == 24 * GiB);  // no VK_EXT_memory_budget: heap size
    m = probe::vulkan_device_memory(dgpu, true, true);  // integrated: every heap counts
    CHECK(m.total == 56 * GiB);
    CHECK(m.free == 52 * GiB);
    const std::vector<probe::vulkan_heap> over = {{4 * GiB, true, 1 * GiB, 2 * GiB}};
    CHECK(probe::vulkan_device_memory(over, false, true).free == 0);  // usage above budget
}

TEST_CASE("vulkan: absent loader is not an error") {
    probe::probe_result r;
    if (!probe::probe_vulkan(r)) CHECK(r.devices.empty());
    for (const auto& d : r.devices) CHECK(d.info.memory_free <= d.info.memory_total);
}
