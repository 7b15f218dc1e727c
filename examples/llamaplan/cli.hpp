// Shared helpers of the llamaplan command-line tool: argument access, number formatting, errors.
#ifndef LLAMAPLAN_EXAMPLES_CLI_HPP
#define LLAMAPLAN_EXAMPLES_CLI_HPP

#include <llamaplan.hpp>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace cli {

/// Prints "llamaplan: <what>" on stderr and returns the exit code for bad input.
inline int fail(const std::string& what) {
    std::fprintf(stderr, "llamaplan: %s\n", what.c_str());
    return 2;
}

/// Formats an error value as one line.
inline std::string describe(const llamaplan::error& e) {
    std::string s(e.what);
    s += " (";
    s += std::string(llamaplan::to_string(e.code));
    if (e.where != 0) s += ", at " + std::to_string(e.where);
    s += ")";
    return s;
}

/// Parses a size such as "24GiB", "24G", "512MiB", "4096" into bytes; a bare number counts `bare_unit` bytes each
/// (MiB for every size flag, as llama.cpp's --fit-target takes MiB).
inline std::optional<std::uint64_t> parse_bytes(std::string_view s, double bare_unit = 1024.0 * 1024) {
    std::size_t digits = 0;
    while (digits < s.size() && ((s[digits] >= '0' && s[digits] <= '9') || s[digits] == '.')) ++digits;
    if (digits == 0) return std::nullopt;
    double v = 0;
    try { v = std::stod(std::string(s.substr(0, digits))); } catch (...) { return std::nullopt; }
    std::string unit(s.substr(digits));
    for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    double mult = 1;
    if (unit.empty()) mult = bare_unit;
    else if (unit == "b") mult = 1;
    else if (unit == "k" || unit == "kib" || unit == "kb") mult = 1024.0;
    else if (unit == "m" || unit == "mib" || unit == "mb") mult = 1024.0 * 1024;
    else if (unit == "g" || unit == "gib" || unit == "gb") mult = 1024.0 * 1024 * 1024;
    else if (unit == "t" || unit == "tib" || unit == "tb") mult = 1024.0 * 1024 * 1024 * 1024;
    else return std::nullopt;
    const double bytes = v * mult;
    if (!(bytes >= 0) || bytes > 1.8e19) return std::nullopt;
    return static_cast<std::uint64_t>(bytes);
}

/// "1.23 GiB" style rendering of a byte count.
inline std::string human(std::uint64_t bytes) {
    char buf[32];
    const double b = static_cast<double>(bytes);
    if (b >= 1024.0 * 1024 * 1024) std::snprintf(buf, sizeof buf, "%.2f GiB", b / (1024.0 * 1024 * 1024));
    else std::snprintf(buf, sizeof buf, "%.2f MiB", b / (1024.0 * 1024));
    return buf;
}

/// MiB with two decimals, as llama.cpp prints buffer sizes.
inline std::string mib(std::uint64_t bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", static_cast<double>(bytes) / (1024.0 * 1024));
    return buf;
}

}  // namespace cli

#endif  // LLAMAPLAN_EXAMPLES_CLI_HPP
