// SPDX-License-Identifier: MIT
#include <llamaplan/probe/probe.hpp>

#include <doctest/doctest.h>

#include "probe_fixtures.hpp"

#include <string>

namespace probe = llamaplan::probe;
using llamaplan::errc;
using probe_test::fixture;
using probe_test::read_fixture;

using probe_test::GiB;

TEST_CASE("linux: cpulist parsing") {
    auto l = probe::parse_cpulist("0-3,8,10-11\n");
    REQUIRE(l);
    CHECK(*l == std::vector<std::uint32_t>{0, 1, 2, 3, 8, 10, 11});
    CHECK(probe::parse_cpulist("")->empty());
    CHECK(probe::parse_cpulist("\n")->empty());
    CHECK(*probe::parse_cpulist("3,1,1-2") == std::vector<std::uint32_t>{1, 2, 3});
    CHECK(*probe::parse_cpulist("0-7:2/1") == std::vector<std::uint32_t>{0, 2, 4, 6});
    for (const char* bad : {"0-", "-3", "a", "3-1", "1,,2", "0-99999999", "1 2"}) {
        CAPTURE(bad);
        CHECK_FALSE(probe::parse_cpulist(bad));
    }
    CHECK(probe::parse_cpulist("0-65536").error().code == errc::overflow);
}

TEST_CASE("linux: /proc/meminfo") {
    auto m = probe::parse_meminfo(read_fixture("roots/smt-cgroup2/proc/meminfo"));
    REQUIRE(m);
    CHECK(m->total == 32773804ull * 1024);
    CHECK(m->available == 27410220ull * 1024);
    CHECK_FALSE(m->estimated_available);

    // Kernels before 3.14 have no MemAvailable: MemFree + Buffers + Cached.
    auto old = probe::parse_meminfo(read_fixture("meminfo/old-kernel.txt"));
    REQUIRE(old);
    CHECK(old->estimated_available);
    CHECK(old->available == (812340ull + 102400 + 1048576) * 1024);

    CHECK(probe::parse_meminfo("MemFree: 10 kB\n").error().code == errc::missing_key);
    CHECK(probe::parse_meminfo("MemTotal: lots kB\n").error().code == errc::invalid_argument);
    CHECK(probe::parse_meminfo("garbage without colon\n").error().code == errc::invalid_argument);
    CHECK(probe::parse_meminfo("MemTotal: 99999999999999999999 kB\n").error().code == errc::invalid_argument);
    CHECK(probe::parse_meminfo("MemTotal: 18446744073709551 kB\n").error().code == errc::overflow);
    const std::string full = read_fixture("roots/smt-cgroup2/proc/meminfo");
    for (std::size_t n = 0; n < full.size(); n += 7) (void)probe::parse_meminfo(full.substr(0, n));  // no crash on truncation
    CHECK_FALSE(probe::parse_meminfo(full.substr(0, 10)));  // "MemTotal: " without a value
}

TEST_CASE("linux: /proc/self/cgroup") {
    auto v2 = probe::parse_proc_cgroup(read_fixture("roots/smt-cgroup2/proc/self/cgroup"));
    REQUIRE(v2);
    REQUIRE(v2->size() == 1);
    CHECK((*v2)[0].hierarchy == 0);
    CHECK((*v2)[0].controllers.empty());
    CHECK((*v2)[0].path == "/system.slice/docker-4f1c2d3e.scope");

    auto v1 = probe::parse_proc_cgroup(read_fixture("roots/hybrid-numa-cgroup1/proc/self/cgroup"));
    REQUIRE(v1);
    CHECK(v1->size() == 13);
    CHECK((*v1)[4].controllers == std::vector<std::string>{"cpu", "cpuacct"});
    CHECK((*v1)[1].controllers == std::vector<std::string>{"memory"});
    CHECK((*v1)[1].path == "/docker/7d3f9a1b2c");

    CHECK(probe::parse_proc_cgroup("0::/a:b\n")->front().path == "/a:b");  // ':' inside a path
    CHECK_FALSE(probe::parse_proc_cgroup("this is not a cgroup file\n"));
    CHECK_FALSE(probe::parse_proc_cgroup("x::/\n"));
    CHECK_FALSE(probe::parse_proc_cgroup("0::relative\n"));
}

TEST_CASE("linux: cgroup limit files") {
    CHECK(*probe::parse_memory_limit("max\n") == 0);
    CHECK(*probe::parse_memory_limit("8589934592\n") == 8 * GiB);
    CHECK(*probe::parse_memory_limit("9223372036854771712\n") == 0);  // v1 "unlimited"
    CHECK_FALSE(probe::parse_memory_limit("-1"));
    CHECK_FALSE(probe::parse_memory_limit(""));

    CHECK(*probe::parse_cpu_max("max 100000\n") == 0);
    CHECK(*probe::parse_cpu_max("300000 100000\n") == 3000);
    CHECK(*probe::parse_cpu_max("150000 100000") == 1500);
    CHECK(*probe::parse_cpu_max("50000") == 500);  // period defaults to 100000
    CHECK_FALSE(probe::parse_cpu_max("150000 0"));
    CHECK_FALSE(probe::parse_cpu_max("lots 100000"));

    CHECK(*probe::parse_cfs_quota("-1\n", "100000\n") == 0);
    CHECK(*probe::parse_cfs_quota("250000\n", "100000\n") == 2500);
    CHECK_FALSE(probe::parse_cfs_quota("x", "100000"));
    CHECK_FALSE(probe::parse_cfs_quota("100000", "0"));
}

TEST_CASE("linux: physical cores = distinct thread_siblings (llama.cpp's rule)") {
    CHECK(probe::count_unique_siblings({"11\n", "22\n", "44\n", "88\n", "11\n", "22\n", "44\n", "88\n"}) == 4);
    CHECK(probe::count_unique_siblings({"1", "2", "4"}) == 3);
    CHECK(probe::count_unique_siblings({"", "\n"}) == 0);
}

TEST_CASE("linux: cpuinfo features") {
    const auto f = probe::parse_cpuinfo(read_fixture("roots/hybrid-numa-cgroup1/proc/cpuinfo"));
    CHECK(f.model_name == "12th Gen Intel(R) Core(TM) i7-12700K");
    CHECK(f.has_flags);
    CHECK(f.repack);
    const auto arm = probe::parse_cpuinfo("processor\t: 0\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32\n");
    CHECK(arm.repack);
    const auto old = probe::parse_cpuinfo("model name\t: Old CPU\nflags\t\t: fpu sse sse2 avx\n");
    CHECK_FALSE(old.repack);
    CHECK_FALSE(f.amx);  // Alder Lake has no AMX
    const auto spr = probe::parse_cpuinfo("model name\t: Intel(R) Xeon(R) Platinum 8480+\nflags\t\t: fpu avx2 avx512f avx512_vnni amx_bf16 amx_tile amx_int8\n");
    CHECK(spr.amx);
    CHECK(spr.vnni);
}

TEST_CASE("linux: SMT host in a cgroup v2 container (fake root)") {
    probe::probe_result r;
    probe::probe_linux_host(fixture("roots/smt-cgroup2"), r, false);
    CHECK(r.platform == "linux");
    CHECK(r.cpu_name == "AMD Ryzen 7 5800X 8-Core Processor");
    // cpuset 0-1,4-5: 4 logical CPUs on 2 cores; cpu.max 300000/100000 caps at 3 CPUs.
    CHECK(r.limits.cgroup_version == "v2");
    CHECK(r.limits.cgroup_path == "/system.slice/docker-4f1c2d3e.scope");
    CHECK(r.limits.cpuset_cpus == 4);
    CHECK(r.limits.cpu_quota_millis == 3000);
    CHECK(r.limits.system_cpus == 8);
    CHECK(r.limits.system_cores == 4);
    CHECK(r.host.cpus_logical == 3);
    CHECK(r.host.cpus_physical == 2);
    CHECK(r.host.cpus_performance == 0);
    CHECK(r.host.numa_nodes == 1);
    // memory.max 8 GiB < MemTotal 31.3 GiB; available = 8 GiB - memory.current 1 GiB.
    CHECK(r.limits.memory_limit == 8 * GiB);
    CHECK(r.limits.memory_usage == 1 * GiB);
    CHECK(r.limits.system_memory == 32773804ull * 1024);
    CHECK(r.host.memory_total == 8 * GiB);
    CHECK(r.host.memory_available == 7 * GiB);
    CHECK(r.source_of("host.memory_total").find("memory.max") != std::string_view::npos);
    CHECK(r.source_of("host.memory_total").find("container limit") != std::string_view::npos);
    CHECK(r.source_of("host.cpus_logical").find("cpu.max") != std::string_view::npos);
    CHECK(r.source_of("host.cpus_physical").find("thread_siblings") != std::string_view::npos);
    CHECK(r.host.cpu_repack);
}

TEST_CASE("linux: hybrid P/E, two NUMA nodes, cgroup v1 (fake root)") {
    probe::probe_result r;
    probe::probe_linux_host(fixture("roots/hybrid-numa-cgroup1"), r, false);
    CHECK(r.limits.cgroup_version == "v1");
    CHECK(r.limits.cgroup_path == "/docker/7d3f9a1b2c");
    CHECK(r.host.cpus_logical == 12);
    CHECK(r.host.cpus_physical == 8);  // 4 P-cores x 2 threads + 4 E-cores
    CHECK(r.host.cpus_performance == 4);
    CHECK(r.host.cpus_efficiency == 4);
    CHECK(r.host.numa_nodes == 2);
    CHECK(r.limits.cpu_quota_millis == 0);  // cfs_quota_us -1
    CHECK(r.limits.memory_limit == 16 * GiB);
    CHECK(r.host.memory_total == 16 * GiB);
    CHECK(r.host.memory_available == 14 * GiB);  // limit - memory.usage_in_bytes
    CHECK(r.source_of("host.memory_total").find("memory.limit_in_bytes") != std::string_view::npos);
    CHECK(r.source_of("host.cpus_performance").find("cpu_core") != std::string_view::npos);
}

TEST_CASE("linux: garbage and empty roots never crash, and say what is missing") {
    probe::probe_result g;
    probe::probe_linux_host(fixture("roots/garbage"), g, false);
    CHECK(g.host.cpus_logical == 0);
    CHECK(g.host.memory_total == 0);
    CHECK_FALSE(g.notes.empty());
    bool meminfo_note = false;
    for (const auto& n : g.notes) meminfo_note = meminfo_note || n.find("/proc/meminfo") != std::string::npos;
    CHECK(meminfo_note);

    auto e = probe::probe_machine({fixture("roots/amd-dgpu")});
    REQUIRE(e);
    CHECK(e->host.cpus_logical == 0);
    CHECK(e->host.memory_total == 0);

    probe::probe_options bad;
    bad.root = fixture("does-not-exist");
    CHECK(probe::probe_machine(bad).error().code == errc::not_found);
}

TEST_CASE("linux: probe_machine on a fake root does no live probing") {
    auto r = probe::probe_machine({fixture("roots/smt-cgroup2")});
    REQUIRE(r);
    CHECK(r->devices.empty());
    CHECK(r->limits.affinity_cpus == 0);  // sched_getaffinity is not called for a fake root
    CHECK(r->host.cpus_logical == 3);
    const llamaplan::machine m = r->view();
    CHECK(m.devices.empty());
    CHECK(m.host.memory_total == 8 * GiB);
    CHECK(m.host.platform == "linux");
}

TEST_CASE("linux: the real probe on this machine") {
    probe::probe_options opt;
    opt.measure_bandwidth = true;
    opt.measure_budget = std::chrono::milliseconds(100);
    auto r = probe::probe_machine(opt);
    REQUIRE(r);
#if defined(__linux__)
    CHECK(r->platform == "linux");
    CHECK(r->host.cpus_logical >= 1);
    CHECK(r->host.cpus_logical <= 4096);
    CHECK(r->host.cpus_physical >= 1);
    CHECK(r->host.cpus_physical <= r->host.cpus_logical);
    CHECK(r->host.memory_total >= (std::uint64_t{64} << 20));
    CHECK(r->host.memory_available <= r->host.memory_total);
    CHECK(r->host.memory_available > 0);
    CHECK(r->host.numa_nodes >= 1);
    CHECK(r->host.bandwidth > (std::uint64_t{100} << 20));  // measured: more than 100 MiB/s on anything real
    CHECK(r->source_of("host.bandwidth").rfind("measured", 0) == 0);
    CHECK(r->source_of("host.memory_total").size() > 0);
#endif
    // This test box is CPU-only; elsewhere GPUs may appear, and then they must be sane.
    for (const auto& d : r->devices) {
        CHECK_FALSE(d.name.empty());
        CHECK(d.info.memory_free <= d.info.memory_total);
    }
    const auto m = r->view();
    CHECK(m.devices.size() == r->devices.size());
}
