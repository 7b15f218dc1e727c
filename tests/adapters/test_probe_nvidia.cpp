// SPDX-License-Identifier: MIT
#include <llamaplan/probe/nvidia.hpp>

#include <doctest/doctest.h>

#include "probe_fixtures.hpp"

#include <string>

namespace probe = llamaplan::probe;
using llamaplan::errc;
using probe_test::read_fixture;

constexpr std::uint64_t MiB = std::uint64_t{1} << 20;

TEST_CASE("nvidia-smi: single GPU") {
    auto g = probe::parse_nvidia_smi_csv(probe::nvidia_smi_fields, read_fixture("nvidia-smi/single.csv"));
    REQUIRE(g);
    REQUIRE(g->size() == 1);
    const auto& x = (*g)[0];
    CHECK(x.index == 0);
    CHECK(x.name == "NVIDIA GeForce RTX 4090");
    CHECK(x.uuid == "GPU-3b5d6c2e-8f1a-4c7d-9e2b-1a2b3c4d5e6f");
    CHECK(x.pci_bus_id == "00000000:01:00.0");
    CHECK(x.memory_total == 24564 * MiB);
    CHECK(x.memory_used == 1021 * MiB);
    CHECK(x.memory_free == 23087 * MiB);
    CHECK(x.compute_major == 8);
    CHECK(x.compute_minor == 9);
    CHECK(x.pcie_generation == 4);
    CHECK(x.pcie_width == 16);
    CHECK(x.max_memory_clock == 10501);
    CHECK_FALSE(x.mig_enabled);
    CHECK(x.driver_version == "550.54.14");

    probe::probe_result r;
    probe::add_nvidia_smi_devices(*g, {}, r);
    REQUIRE(r.devices.size() == 1);
    CHECK(r.devices[0].info.kind == llamaplan::backend::cuda);
    CHECK(r.devices[0].info.bandwidth == 1008000000000ull);  // table: RTX 4090
    CHECK(r.source_of("devices.0.bandwidth").find("table") == 0);
    CHECK(r.source_of("devices.0.memory_free") == "nvidia-smi memory.free");
    CHECK(r.view().devices[0].name == "NVIDIA GeForce RTX 4090");
}

TEST_CASE("nvidia-smi: multi-GPU keeps order; 'RTX 3090' does not match the 'RTX 3090 Ti' row") {
    auto g = probe::parse_nvidia_smi_csv(probe::nvidia_smi_fields, read_fixture("nvidia-smi/multi.csv"));
    REQUIRE(g);
    REQUIRE(g->size() == 3);
    CHECK((*g)[1].index == 1);
    CHECK((*g)[1].pcie_width == 8);
    CHECK((*g)[2].name == "NVIDIA RTX A6000");
    CHECK((*g)[2].memory_total == 49140 * MiB);
    probe::probe_result r;
    probe::add_nvidia_smi_devices(*g, {}, r);
    REQUIRE(r.devices.size() == 3);
    CHECK(r.devices[0].info.bandwidth == 936000000000ull);
    CHECK(r.devices[2].info.bandwidth == 768000000000ull);
    CHECK(r.devices[1].id == "00000000:02:00.0");
}

TEST_CASE("nvidia-smi: MIG-enabled GPU becomes its MIG instances") {
    auto g = probe::parse_nvidia_smi_csv(probe::nvidia_smi_fields, read_fixture("nvidia-smi/mig.csv"));
    REQUIRE(g);
    REQUIRE(g->size() == 2);
    CHECK((*g)[0].mig_enabled);
    CHECK_FALSE((*g)[1].mig_enabled);
    auto mig = probe::parse_nvidia_smi_list(read_fixture("nvidia-smi/mig-list.txt"));
    REQUIRE(mig);
    REQUIRE(mig->size() == 3);
    CHECK((*mig)[0].profile == "3g.20gb");
    CHECK((*mig)[0].memory == 20000000000ull);
    CHECK((*mig)[2].uuid == "MIG-2a3b4c5d-6e7f-5081-a0b1-2c3d4e5f6a7b");

    probe::probe_result r;
    probe::add_nvidia_smi_devices(*g, *mig, r);
    REQUIRE(r.devices.size() == 4);  // 3 MIG instances of GPU 0, then GPU 1 whole
    CHECK(r.devices[0].name == "NVIDIA A100-SXM4-40GB MIG 3g.20gb");
    CHECK(r.devices[0].info.memory_total == 20000000000ull);
    CHECK(r.devices[0].info.bandwidth > 0);
    CHECK(r.devices[0].info.bandwidth < 1555000000000ull);
    CHECK(r.devices[3].name == "NVIDIA A100-SXM4-40GB");
    CHECK(r.devices[3].info.bandwidth == 1555000000000ull);
    bool noted = false;
    for (const auto& n : r.notes) noted = noted || n.find("MIG enabled") != std::string::npos;
    CHECK(noted);

    // MIG enabled but no instances listed: the GPU is noted as invisible to CUDA.
    probe::probe_result r2;
    probe::add_nvidia_smi_devices(*g, {}, r2);
    bool invisible = false;
    for (const auto& n : r2.notes) invisible = invisible || n.find("CUDA will not see it") != std::string::npos;
    CHECK(invisible);
}

TEST_CASE("nvidia-smi: old driver without compute_cap") {
    const std::string err = read_fixture("nvidia-smi/old-driver-error.txt");
    CHECK(probe::nvidia_smi_invalid_field(err) == "compute_cap");
    CHECK(probe::parse_nvidia_smi_csv(probe::nvidia_smi_fields, err).error().code == errc::unsupported);
    CHECK(probe::nvidia_smi_invalid_field("0, NVIDIA GeForce RTX 4090").empty());

    const std::string fields = "index,name,uuid,pci.bus_id,memory.total,memory.used,memory.free,pcie.link.gen.max,"
                               "pcie.link.width.current,clocks.max.memory,mig.mode.current,driver_version";
    auto g = probe::parse_nvidia_smi_csv(fields, read_fixture("nvidia-smi/old-driver.csv"));
    REQUIRE(g);
    REQUIRE(g->size() == 1);
    CHECK((*g)[0].name == "Tesla P40");
    CHECK((*g)[0].compute_major == 0);
    CHECK((*g)[0].pcie_generation == 3);
    probe::probe_result r;
    probe::add_nvidia_smi_devices(*g, {}, r);
    CHECK(r.devices[0].info.bandwidth == 346000000000ull);
    bool noted = false;
    for (const auto& n : r.notes) noted = noted || n.find("compute capability unknown") != std::string::npos;
    CHECK(noted);
}

TEST_CASE("nvidia-smi: [N/A] and [Not Supported] fields are unknown, not errors") {
    auto g = probe::parse_nvidia_smi_csv(probe::nvidia_smi_fields, read_fixture("nvidia-smi/na-fields.csv"));
    REQUIRE(g);
    const auto& x = (*g)[0];
    CHECK(x.name == "NVIDIA GeForce GTX 1080 Ti");
    CHECK(x.memory_total == 11264 * MiB);
    CHECK(x.memory_free == 0);
    CHECK(x.pcie_generation == 0);
    CHECK(x.max_memory_clock == 0);
    CHECK(x.compute_major == 6);
    probe::probe_result r;
    probe::add_nvidia_smi_devices(*g, {}, r);
    CHECK(r.devices[0].info.bandwidth == 0);  // not in the table
    CHECK(r.source_of("devices.0.bandwidth").empty());
    CHECK(probe::nvidia_smi_missing("[Insufficient Permissions]"));
    CHECK(probe::nvidia_smi_missing("N/A"));
    CHECK_FALSE(probe::nvidia_smi_missing("0"));
}

TEST_CASE("nvidia-smi: failures, empty output and garbage") {
    CHECK(probe::parse_nvidia_smi_csv(probe::nvidia_smi_fields, read_fixture("nvidia-smi/driver-failed.txt")).error().code == errc::io_error);
    auto none = probe::parse_nvidia_smi_csv(probe::nvidia_smi_fields, read_fixture("nvidia-smi/no-devices.txt"));
    REQUIRE(none);
    CHECK(none->empty());
    CHECK(probe::parse_nvidia_smi_csv(probe::nvidia_smi_fields, "")->empty());
    const auto t = probe::parse_nvidia_smi_csv(probe::nvidia_smi_fields, read_fixture("nvidia-smi/truncated.csv"));
    CHECK(t.error().code == errc::invalid_argument);
    CHECK(t.error().what == "nvidia-smi: wrong number of columns in a line");
    CHECK_FALSE(probe::parse_nvidia_smi_csv("index,name,memory.total", "0, GPU, lots\n"));
    CHECK_FALSE(probe::parse_nvidia_smi_csv("index,name,compute_cap", "0, GPU, 8\n"));
    CHECK_FALSE(probe::parse_nvidia_smi_csv("index,name", "0, \n"));  // no name
    CHECK_FALSE(probe::parse_nvidia_smi_csv("index,name,memory.total", "0, GPU, 99999999999999\n"));
    // Every prefix of a valid output either parses or fails cleanly.
    const std::string full = read_fixture("nvidia-smi/multi.csv");
    for (std::size_t n = 0; n <= full.size(); ++n) (void)probe::parse_nvidia_smi_csv(probe::nvidia_smi_fields, full.substr(0, n));
    CHECK_FALSE(probe::parse_nvidia_smi_list("MIG 1g.5gb Device 0: (UUID: MIG-x)\n"));  // MIG before GPU
    CHECK_FALSE(probe::parse_nvidia_smi_list("GPU x: foo\n"));
    CHECK_FALSE(probe::parse_nvidia_smi_list("GPU 0: A (UUID: GPU-1)\n  MIG 1g.5gb Device 0: (UUID: MIG-x\n"));
}

TEST_CASE("bandwidth: table lookup and NVML estimate") {
    CHECK(probe::lookup_bandwidth("NVIDIA GeForce RTX 4090")->gb_per_s == 1008);
    CHECK(probe::lookup_bandwidth("NVIDIA GeForce RTX 3090 Ti")->gb_per_s == 1008);
    CHECK(probe::lookup_bandwidth("NVIDIA GeForce RTX 4070 Ti SUPER")->gb_per_s == 672);
    CHECK(probe::lookup_bandwidth("NVIDIA A100 80GB PCIe")->gb_per_s == 1935);
    CHECK(probe::lookup_bandwidth("NVIDIA A10")->gb_per_s == 600);   // not A100
    CHECK(probe::lookup_bandwidth("NVIDIA L4")->gb_per_s == 300);    // not L40
    CHECK(probe::lookup_bandwidth("Apple M1 Max")->gb_per_s == 400);
    CHECK(probe::lookup_bandwidth("apple m1")->gb_per_s == 68);
    CHECK(probe::lookup_bandwidth("Intel(R) UHD Graphics 770") == nullptr);
    CHECK(probe::lookup_bandwidth("") == nullptr);
    static_assert(probe::nvml_bandwidth_estimate(384, 10501) == 1008096000000ull);
    static_assert(probe::nvml_bandwidth_estimate(5120, 1215) == 1555200000000ull);
    static_assert(probe::dram_bandwidth(6000, 2) == 96000000000ull);
    static_assert(probe::dram_bandwidth(3200, 8) == 204800000000ull);
    for (const auto& e : probe::bandwidth_table) {
        CHECK_FALSE(e.key.empty());
        CHECK(e.gb_per_s > 0);
        CHECK_FALSE(e.source.empty());
        CHECK(probe::lookup_bandwidth(e.key) == &e);  // every key finds its own row (no duplicates)
    }
}

TEST_CASE("nvml and nvidia-smi absent on this machine are not errors") {
    probe::probe_result r;
    const bool nvml = probe::probe_nvml(r);
    if (!nvml) CHECK(r.devices.empty());
    for (const auto& d : r.devices) CHECK(d.info.kind == llamaplan::backend::cuda);
}
