// SPDX-License-Identifier: MIT
#include <llamaplan/probe/probe.hpp>

#include <doctest/doctest.h>

#include "probe_fixtures.hpp"

#include <cstdio>
#include <filesystem>
#include <string>

namespace probe = llamaplan::probe;
namespace json = llamaplan::probe::json;
using llamaplan::errc;
using probe_test::fixture;

namespace {
probe::probe_result sample() {
    probe::probe_result r;
    probe::probe_linux_host(fixture("roots/smt-cgroup2"), r, false);
    (void)probe::probe_amd_sysfs(fixture("roots/amd-apu"), r);
    r.host.bandwidth = 51200000000ull;
    return r;
}
std::string temp_path(const char* name) {
    return (std::filesystem::temp_directory_path() / (std::string("llamaplan_test_") + name)).string();
}
}  // namespace

TEST_CASE("machine file: JSON has the documented keys") {
    const auto r = sample();
    auto v = json::parse(probe::machine_to_json(r));
    REQUIRE(v);
    CHECK(v->find("format")->text == "llamaplan-machine");
    const json::value* host = v->find("host");
    REQUIRE(host);
    std::uint64_t n = 0;
    CHECK(host->find("cpus_logical")->get_u64(n));
    CHECK(n == 3);
    CHECK(host->find("cpus_physical")->get_u64(n));
    CHECK(n == 2);
    CHECK(host->find("memory_total")->get_u64(n));
    CHECK(n == 8ull << 30);
    CHECK(host->find("memory_available")->get_u64(n));
    CHECK(n == 7ull << 30);
    CHECK(v->find("container")->find("memory_limit")->get_u64(n));
    CHECK(n == 8ull << 30);
    const json::value* dev = &v->find("devices")->items.at(0);
    CHECK(dev->find("name")->text == "AMD Radeon 780M (Phoenix APU)");
    CHECK(dev->find("backend")->text == "rocm");
    CHECK(dev->find("memory_total")->get_u64(n));
    CHECK(dev->find("memory_free") != nullptr);
    CHECK(dev->find("bandwidth") != nullptr);
    CHECK(v->find("sources")->find("host.memory_total")->text.find("memory.max") != std::string::npos);
}

TEST_CASE("machine file: save and load round-trip") {
    const auto r = sample();
    const std::string path = temp_path("roundtrip.json");
    auto saved = probe::save_machine_file(path, r);
    REQUIRE(saved);
    std::string msg;
    auto back = probe::load_machine_file(path, &msg);
    REQUIRE_MESSAGE(back, msg);
    CHECK(probe::machine_to_json(*back) == probe::machine_to_json(r));
    CHECK(back->host.memory_total == r.host.memory_total);
    CHECK(back->devices.size() == 1);
    CHECK(back->devices[0].info.unified_memory);
    const auto m = back->view();
    CHECK(m.devices[0].name == "AMD Radeon 780M (Phoenix APU)");
    CHECK(m.devices[0].kind == llamaplan::backend::rocm);
    CHECK(m.host.bandwidth == 51200000000ull);
    // No temporary file is left behind.
    for (const auto& e : std::filesystem::directory_iterator(std::filesystem::temp_directory_path()))
        CHECK(e.path().filename().string().find("llamaplan_test_roundtrip.json.tmp") == std::string::npos);
    std::remove(path.c_str());

    CHECK(probe::save_machine_file("/nonexistent-dir/x/machine.json", r).error().code == errc::io_error);
    CHECK(probe::load_machine_file(temp_path("missing.json"), &msg).error().code == errc::not_found);
    CHECK(msg.find("cannot read") != std::string::npos);
}

TEST_CASE("machine file: the per-thread bandwidth and memory channels round-trip, and are absent when unknown") {
    auto r = sample();
    CHECK(probe::machine_to_json(r).find("bandwidth_per_thread") == std::string::npos);
    r.host.bandwidth_per_thread = 14500000000ull;
    r.host.memory_channels = 4;
    auto back = probe::machine_from_json(probe::machine_to_json(r));
    REQUIRE(back);
    CHECK(back->host.bandwidth_per_thread == 14500000000ull);
    CHECK(back->host.memory_channels == 4);
    CHECK(back->view().host.bandwidth_per_thread == 14500000000ull);
}

TEST_CASE("machine file: strict loading with line and column") {
    const std::string minimal = R"({"format": "llamaplan-machine", "version": 1,
 "host": {"cpus_logical": 8, "cpus_physical": 4, "memory_total": 1000, "memory_available": 500},
 "devices": [{"name": "GPU", "backend": "cuda", "memory_total": 10, "memory_free": 5}]})";
    auto ok = probe::machine_from_json(minimal);
    REQUIRE(ok);
    CHECK(ok->host.cpus_logical == 8);
    CHECK(ok->host.numa_nodes == 1);  // optional keys keep defaults
    CHECK(ok->devices[0].info.kind == llamaplan::backend::cuda);

    struct bad_case { std::string text; errc code; std::uint64_t line; std::string what; };
    auto replace = [&](std::string from, std::string to) {
        std::string s = minimal;
        s.replace(s.find(from), from.size(), to);
        return s;
    };
    const bad_case cases[] = {
        {replace("\"cpus_physical\": 4", "\"cpus_physical\": \"4\""), errc::type_mismatch, 2, "expected a non-negative integer"},
        {replace("\"cpus_physical\": 4, ", ""), errc::missing_key, 2, "missing required key \"cpus_physical\""},
        {replace("\"backend\": \"cuda\"", "\"backend\": \"tpu\""), errc::invalid_argument, 3, "unknown backend"},
        {replace("\"memory_free\": 5", "\"memory_free\": 50"), errc::invalid_argument, 3, "device memory_free exceeds memory_total"},
        {replace("\"version\": 1", "\"version\": 2"), errc::unsupported_version, 1, "unsupported machine file version"},
        {replace("llamaplan-machine", "something-else"), errc::bad_magic, 1, "\"format\" is not \"llamaplan-machine\""},
        {replace("\"memory_available\": 500", "\"memory_available\": 500, \"colour\": 1"), errc::invalid_argument, 2, "unknown key"},
        {replace("\"memory_available\": 500", "\"memory_available\": -1"), errc::type_mismatch, 2, "expected a non-negative integer"},
        {replace("\"cpus_physical\": 4", "\"cpus_physical\": 16"), errc::invalid_argument, 2, "host.cpus_physical exceeds host.cpus_logical"},
        {replace("\"devices\": [", "\"devices\": [7, "), errc::type_mismatch, 3, "a device must be a JSON object"},
        {replace("500}", "500]"), errc::invalid_argument, 2, "expected ',' or '}' in object"},
        {"[]", errc::type_mismatch, 1, "a machine file must be a JSON object"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.text);
        auto r = probe::machine_from_json(c.text);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == c.code);
        CHECK(r.error().what == c.what);
        CHECK(json::position_of(c.text, r.error().where).line == c.line);
    }

    // Error message through load_machine_file: PATH:LINE:COLUMN: what.
    const std::string path = temp_path("bad.json");
    {
        std::FILE* f = std::fopen(path.c_str(), "wb");
        REQUIRE(f);
        const std::string text = "{\n  \"format\": \"llamaplan-machine\",\n  \"version\": 1,\n  \"host\": tru\n}";
        std::fwrite(text.data(), 1, text.size(), f);
        std::fclose(f);
    }
    std::string msg;
    CHECK_FALSE(probe::load_machine_file(path, &msg));
    CHECK(msg == path + ":4:11: invalid literal (expected true, false or null)");
    std::remove(path.c_str());
}

TEST_CASE("machine file: every truncation of a valid file fails cleanly") {
    const std::string text = probe::machine_to_json(sample());
    REQUIRE(probe::machine_from_json(text));
    for (std::size_t n = 0; n + 1 < text.size(); n += 3) {
        auto r = probe::machine_from_json(std::string_view(text).substr(0, n));
        CHECK_FALSE(r);
    }
    std::string deep = "{\"format\": \"llamaplan-machine\", \"version\": 1, \"notes\": " + std::string(50, '[') + std::string(50, ']') + "}";
    CHECK(probe::machine_from_json(deep).error().code == errc::overflow);
    std::string many = R"({"format": "llamaplan-machine", "version": 1, "host": {"cpus_logical": 1, "cpus_physical": 1, "memory_total": 1, "memory_available": 1}, "devices": [)";
    for (int i = 0; i < 17; ++i) many += std::string(i ? "," : "") + R"({"name": "g", "backend": "cuda", "memory_total": 1, "memory_free": 1})";
    many += "]}";
    CHECK(probe::machine_from_json(many).error().code == errc::capacity_exceeded);
}
