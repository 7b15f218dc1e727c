// SPDX-License-Identifier: MIT
// Locates tests/fixtures/probe from this file's path (works for relative and absolute __FILE__).
#ifndef LLAMAPLAN_TESTS_PROBE_FIXTURES_HPP
#define LLAMAPLAN_TESTS_PROBE_FIXTURES_HPP

#include <llamaplan/probe/text.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

namespace probe_test {

/// One gibibyte (bytes), the unit the probe fixtures are written in.
inline constexpr std::uint64_t GiB = std::uint64_t{1} << 30;

/// Absolute path of a file or directory under tests/fixtures/probe.
inline std::string fixture(const std::string& rel) {
#if defined(LLAMAPLAN_PROBE_FIXTURES)
    const std::filesystem::path base = LLAMAPLAN_PROBE_FIXTURES;
#elif defined(LLAMAPLAN_FIXTURES)
    const std::filesystem::path base = std::filesystem::path(LLAMAPLAN_FIXTURES) / "probe";
#else
    const std::filesystem::path base = std::filesystem::absolute(std::filesystem::path(__FILE__)).parent_path().parent_path() / "fixtures" / "probe";
#endif
    return (base / rel).string();
}

/// The contents of a fixture file ("" when missing, which the tests then catch).
inline std::string read_fixture(const std::string& rel) { return llamaplan::probe::read_file(fixture(rel)).value_or(std::string()); }

}  // namespace probe_test

#endif  // LLAMAPLAN_TESTS_PROBE_FIXTURES_HPP
