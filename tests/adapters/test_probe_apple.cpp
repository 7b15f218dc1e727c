// SPDX-License-Identifier: MIT
#include <llamaplan/probe/apple.hpp>

#include <doctest/doctest.h>

#include "probe_fixtures.hpp"

#include <string>

namespace probe = llamaplan::probe;
using llamaplan::errc;
using probe_test::read_fixture;

using probe_test::GiB;

TEST_CASE("apple: sysctl output of an M2 Pro") {
    auto f = probe::parse_sysctl(read_fixture("sysctl/m2-pro-32g.txt"));
    REQUIRE(f);
    CHECK(f->memsize == 32 * GiB);
    CHECK(f->physicalcpu == 12);
    CHECK(f->logicalcpu == 12);
    CHECK(f->perf_cores == 8);
    CHECK(f->efficiency_cores == 4);
    CHECK(f->wired_limit_mb == 0);
    CHECK(f->brand == "Apple M2 Pro");

    probe::probe_result r;
    probe::apply_apple_facts(*f, 20 * GiB, r);
    CHECK(r.platform == "macos");
    CHECK(r.host.memory_total == 32 * GiB);
    CHECK(r.host.memory_available == 20 * GiB);
    CHECK(r.host.cpus_physical == 12);
    CHECK(r.host.cpus_performance == 8);
    CHECK(r.host.cpus_efficiency == 4);
    CHECK(r.limits.system_cores == 8);  // llama.cpp's default threads: hw.perflevel0.physicalcpu
    CHECK(r.host.bandwidth == 200000000000ull);
    REQUIRE(r.devices.size() == 1);
    const auto& d = r.devices[0];
    CHECK(d.info.kind == llamaplan::backend::metal);
    CHECK(d.info.unified_memory);
    CHECK(d.info.memory_total == 32 * GiB / 3 * 2);  // <= 32 GiB: about 2/3
    CHECK(d.info.bandwidth == 200000000000ull);
    CHECK(r.source_of("devices.0.memory_total").find("estimate") != std::string_view::npos);
}

TEST_CASE("apple: iogpu.wired_limit_mb overrides the working-set estimate") {
    auto f = probe::parse_sysctl(read_fixture("sysctl/m3-max-128g-wired.txt"));
    REQUIRE(f);
    probe::probe_result r;
    probe::apply_apple_facts(*f, 0, r);
    REQUIRE(r.devices.size() == 1);
    CHECK(r.devices[0].info.memory_total == 122880ull << 20);
    CHECK(r.devices[0].info.bandwidth == 400000000000ull);
    CHECK(r.source_of("devices.0.memory_total") == "sysctl iogpu.wired_limit_mb");
    CHECK(r.host.memory_available == 0);
    CHECK_FALSE(r.notes.empty());  // free RAM not detected
    static_assert(probe::metal_working_set_estimate(64 * GiB, 0) == 48 * GiB);
    static_assert(probe::metal_working_set_estimate(16 * GiB, 0) == 16 * GiB / 3 * 2);
    static_assert(probe::metal_working_set_estimate(16 * GiB, 1u << 20) == 16 * GiB);  // capped at RAM
}

TEST_CASE("apple: an Intel Mac has no Metal device listed here, but a host") {
    auto f = probe::parse_sysctl(read_fixture("sysctl/intel-mac.txt"));
    REQUIRE(f);
    CHECK(f->perf_cores == 0);
    probe::probe_result r;
    probe::apply_apple_facts(*f, 0, r);
    CHECK(r.devices.empty());
    CHECK(r.host.cpus_logical == 8);
    CHECK(r.host.cpus_physical == 4);
    CHECK(r.limits.system_cores == 4);  // fallback to hw.physicalcpu
}

TEST_CASE("apple: garbage and truncated sysctl output") {
    CHECK(probe::parse_sysctl(read_fixture("sysctl/garbage.txt")).error().code == errc::invalid_argument);
    CHECK(probe::parse_sysctl("").error().code == errc::missing_key);
    CHECK(probe::parse_sysctl("hw.physicalcpu: 8\n").error().code == errc::missing_key);
    CHECK(probe::parse_sysctl("no separator here\n").error().code == errc::invalid_argument);
    CHECK(probe::parse_sysctl("hw.physicalcpu: 99999999\nhw.memsize: 1\n").error().code == errc::invalid_argument);
    CHECK(probe::parse_sysctl("kern.foo: whatever\nhw.memsize: 1024\n"));  // unknown keys ignored
    const std::string full = read_fixture("sysctl/m2-pro-32g.txt");
    for (std::size_t n = 0; n <= full.size(); ++n) {
        auto r = probe::parse_sysctl(full.substr(0, n));
        if (r) CHECK(r->memsize > 0);
    }
    CHECK_FALSE(probe::parse_sysctl(full.substr(0, 12)));  // "hw.memsize: " with nothing after
}
