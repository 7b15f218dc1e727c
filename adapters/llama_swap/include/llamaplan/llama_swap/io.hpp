// SPDX-License-Identifier: MIT
// The file side of the llama-swap adapter: read a config, write it back atomically (temporary file in the same
// directory, fsync, rename, fsync of the directory), with a backup of the previous contents.
#ifndef LLAMAPLAN_LLAMA_SWAP_IO_HPP
#define LLAMAPLAN_LLAMA_SWAP_IO_HPP

#include <llamaplan/config.hpp>

#include <llamaplan/result.hpp>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#define LLAMAPLAN_LLAMA_SWAP_POSIX 1
#else
#define LLAMAPLAN_LLAMA_SWAP_POSIX 0
#endif

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::llama_swap {

/// Largest config file read (bytes).
inline constexpr std::size_t max_config_bytes = 8u << 20;

/// Reads a whole file; larger than `max_bytes` is an error.
[[nodiscard]] inline result<std::string> read_config(const std::string& path, std::size_t max_bytes = max_config_bytes) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) return make_error(errc::not_found, "cannot open the config file", 0);
    std::string text;
    char buf[65536];
    for (;;) {
        const std::size_t n = std::fread(buf, 1, sizeof buf, f);
        if (n == 0) break;
        if (text.size() + n > max_bytes) {
            std::fclose(f);
            return make_error(errc::overflow, "config file is too large", max_bytes);
        }
        text.append(buf, n);
    }
    const bool bad = std::ferror(f) != 0;
    std::fclose(f);
    if (bad) return make_error(errc::io_error, "cannot read the config file", 0);
    return text;
}

namespace detail {

[[nodiscard]] inline std::string dir_of(const std::string& path) {
    const std::size_t s = path.find_last_of('/');
    if (s == std::string::npos) return ".";
    if (s == 0) return "/";
    return path.substr(0, s);
}

}  // namespace detail

/// Replaces `requested` with `text` atomically: writes "<path>.tmp.<pid>" next to it (keeping the old file's
/// permission bits), fsyncs it, renames it over the file and fsyncs the directory. Readers see the old or the new
/// file, never a part. When `requested` is a symbolic link, the file it points to is replaced and the link kept.
[[nodiscard]] inline result<bool> write_atomically(const std::string& requested, std::string_view text) {
    if (requested.empty()) return make_error(errc::invalid_argument, "empty output path", 0);
#if LLAMAPLAN_LLAMA_SWAP_POSIX
    // a symbolic link (a config kept in a dotfiles repository) stays a link: its target is replaced
    std::string path = requested;
    if (char* real = ::realpath(requested.c_str(), nullptr)) {
        path = real;
        std::free(real);
    }
    const std::string tmp = path + ".tmp." + std::to_string(static_cast<long>(getpid()));
    mode_t mode = 0644;
    struct stat st{};
    if (::stat(path.c_str(), &st) == 0) mode = st.st_mode & 07777;
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_TRUNC, mode);
    if (fd < 0) return make_error(errc::io_error, "cannot create a temporary file next to the output", 0);
    (void)::fchmod(fd, mode);
    std::size_t done = 0;
    bool ok = true;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n <= 0) { ok = false; break; }
        done += static_cast<std::size_t>(n);
    }
    ok = ok && ::fsync(fd) == 0;
    ok = (::close(fd) == 0) && ok;
    if (!ok) {
        ::unlink(tmp.c_str());
        return make_error(errc::io_error, "cannot write the temporary file", 0);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        ::unlink(tmp.c_str());
        return make_error(errc::io_error, "cannot rename the temporary file into place", 0);
    }
    const int dfd = ::open(detail::dir_of(path).c_str(), O_RDONLY);
    if (dfd >= 0) {
        (void)::fsync(dfd);
        ::close(dfd);
    }
    return true;
#else
    const std::string& path = requested;
    const std::string tmp = path + ".tmp";
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (f == nullptr) return make_error(errc::io_error, "cannot create a temporary file next to the output", 0);
    bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    ok = std::fflush(f) == 0 && ok;
    ok = std::fclose(f) == 0 && ok;
    if (!ok) {
        std::remove(tmp.c_str());
        return make_error(errc::io_error, "cannot write the temporary file", 0);
    }
    std::remove(path.c_str());
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        return make_error(errc::io_error, "cannot rename the temporary file into place", 0);
    }
    return true;
#endif
}

/// Where and how a rewritten config is written.
struct write_options {
    std::string output;   ///< write here instead of over the input (no backup is made then)
    bool backup = true;   ///< in place: first save the current contents as "<path>.bak" (atomically too)
};

/// Writes the rewritten config `text` for the config read from `path`: to `opt.output` when set, else over `path`
/// after saving `original` (the contents it was rewritten from) as "<path>.bak". Refuses to write in place when the
/// file changed since it was read. Returns the path written.
[[nodiscard]] inline result<std::string> write_config(const std::string& path, std::string_view original,
                                                      std::string_view text, const write_options& opt = {}) {
    if (!opt.output.empty()) {
        auto w = write_atomically(opt.output, text);
        if (!w) return w.error();
        return opt.output;
    }
    auto now = read_config(path);
    if (!now) return now.error();
    if (*now != original) return make_error(errc::invalid_combination, "the config file changed since it was read: not overwritten", 0);
    if (opt.backup) {
        auto b = write_atomically(path + ".bak", original);
        if (!b) return b.error();
    }
    auto w = write_atomically(path, text);
    if (!w) return w.error();
    return path;
}

}  // namespace llamaplan::llama_swap

#endif  // LLAMAPLAN_LLAMA_SWAP_IO_HPP
