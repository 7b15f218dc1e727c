// SPDX-License-Identifier: MIT
// Operating-system helpers for the probe's I/O layers: run-time symbol loading and running a command.
#ifndef LLAMAPLAN_PROBE_SYSTEM_HPP
#define LLAMAPLAN_PROBE_SYSTEM_HPP

#include <llamaplan/config.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#if defined(__unix__) || defined(__APPLE__)
#include <dlfcn.h>
#include <sys/wait.h>
#endif

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::probe {

namespace detail {

#if defined(__unix__) || defined(__APPLE__)
/// dlsym into a function pointer without a pointer-to-object cast (memcpy keeps -Wpedantic quiet).
template <class F>
[[nodiscard]] F load_symbol(void* lib, const char* name) noexcept {
    void* p = dlsym(lib, name);
    F f = nullptr;
    static_assert(sizeof f == sizeof p);
    std::memcpy(&f, &p, sizeof f);
    return f;
}

/// What a command printed and how it ended.
struct command_output {
    int exit_code = -1;  ///< the command's exit status (127: not found), -1 when it did not exit normally
    std::string text{};  ///< stdout (and stderr when the command redirects it), at most the requested bytes
};

/// Runs a shell command (popen) and collects at most `max_bytes` of its output; nullopt when popen fails.
[[nodiscard]] inline std::optional<command_output> run_command(const std::string& cmd, std::size_t max_bytes = 1u << 20) {
    std::FILE* p = popen(cmd.c_str(), "r");
    if (!p) return std::nullopt;
    command_output out;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
        if (out.text.size() < max_bytes) out.text.append(buf, std::min(n, max_bytes - out.text.size()));
    const int rc = pclose(p);
    out.exit_code = (rc != -1 && WIFEXITED(rc)) ? WEXITSTATUS(rc) : -1;
    return out;
}
#endif

}  // namespace detail

}  // namespace llamaplan::probe

#endif  // LLAMAPLAN_PROBE_SYSTEM_HPP
