// SPDX-License-Identifier: MIT
// llamaplan GGUF adapter: opening GGUF files by reading (or mapping, on POSIX) their headers only, split files
// ("<name>-00001-of-0000N.gguf", src/llama-model-loader.cpp llama_get_list_splits / llama_split_prefix and the
// split.no / split.count / split.tensors.count checks in llama_model_loader's constructor) and header-only copies.
#ifndef LLAMAPLAN_GGUF_FILE_HPP
#define LLAMAPLAN_GGUF_FILE_HPP

#include <llamaplan/config.hpp>

#include <llamaplan/gguf/hparams.hpp>
#include <llamaplan/gguf/reader.hpp>
#include <llamaplan/model.hpp>
#include <llamaplan/result.hpp>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#define LLAMAPLAN_GGUF_HAS_MMAP 1
#else
#define LLAMAPLAN_GGUF_HAS_MMAP 0
#endif
// A standard library without <filesystem> (libc++ as Debian builds it for WASI): files are read as streams
#if defined(_LIBCPP_HAS_NO_FILESYSTEM) || (defined(_LIBCPP_HAS_FILESYSTEM) && !_LIBCPP_HAS_FILESYSTEM)
#define LLAMAPLAN_GGUF_HAS_FILESYSTEM 0
#else
#define LLAMAPLAN_GGUF_HAS_FILESYSTEM 1
#endif

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::gguf {

/// An error from the file layer: the core error plus the path it concerns.
struct file_error {
    error err{};        ///< code, static message and byte offset (offsets refer to `path`)
    std::string path{}; ///< the file concerned ("" when none)
};

namespace detail {
/// A growable byte buffer whose unused capacity is never touched (no value-initialisation), so reserving the most a
/// header may need costs address space only.
struct grow_buffer {
    std::unique_ptr<std::byte[]> data{};
    std::size_t capacity = 0;  ///< bytes allocated
    std::size_t size = 0;      ///< bytes held

    /// Ensures capacity >= n (copying what is held); false if the memory is not available.
    [[nodiscard]] bool reserve(std::size_t n) noexcept {
        if (n <= capacity) return true;
        std::unique_ptr<std::byte[]> bigger(new (std::nothrow) std::byte[n]);
        if (!bigger) return false;
        if (size != 0) std::memcpy(bigger.get(), data.get(), size);
        data = std::move(bigger);
        capacity = n;
#if LLAMAPLAN_GGUF_HAS_MMAP && defined(__linux__) && defined(MADV_HUGEPAGE)
        // best effort: back a multi-MB header with 2 MiB pages. On virtual machines first-touch page faults are
        // slow (fresh memory for a 4.3 MB header: ~40 ms in 4 KiB pages, ~4 ms in 2 MiB pages, measured on a
        // Firecracker VM); memory the allocator reuses is already backed and unaffected
        constexpr std::uintptr_t huge = std::uintptr_t{2} << 20;
        const auto lo = (reinterpret_cast<std::uintptr_t>(data.get()) + huge - 1) & ~(huge - 1);
        const auto hi = (reinterpret_cast<std::uintptr_t>(data.get()) + n) & ~(huge - 1);
        if (hi > lo) (void)::madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);
#endif
        return true;
    }
};
struct mapping_access;
}  // namespace detail

/// The bytes of one file, or of its header, memory-mapped read-only (POSIX) or read into memory. Move-only.
class mapped_bytes {
public:
    /// Holds no bytes.
    mapped_bytes() = default;
    /// Takes the bytes a buffer holds.
    explicit mapped_bytes(detail::grow_buffer&& b) noexcept : size_(b.size), buf_(std::move(b.data)) { b = {}; }
    /// Not copyable (owns a mapping).
    mapped_bytes(const mapped_bytes&) = delete;
    /// Not copyable (owns a mapping).
    mapped_bytes& operator=(const mapped_bytes&) = delete;
    /// Moves the mapping; the bytes do not move, so views into them stay valid.
    mapped_bytes(mapped_bytes&& o) noexcept { swap(o); }
    /// Moves the mapping.
    mapped_bytes& operator=(mapped_bytes&& o) noexcept {
        if (this != &o) { release(); swap(o); }
        return *this;
    }
    /// Unmaps or frees the bytes.
    ~mapped_bytes() { release(); }

    /// Maps (or reads) the whole of `path`; with use_mmap false always reads. Errors: not_found, io_error.
    /// gguf::open does not use this: it reads only the header (see read_header).
    [[nodiscard]] static result<mapped_bytes> open(const std::string& path, bool use_mmap = true) {
        mapped_bytes m;
#if LLAMAPLAN_GGUF_HAS_MMAP
        if (use_mmap) {
            const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0) return make_error(errno == ENOENT ? errc::not_found : errc::io_error, "cannot open file");
            struct stat st {};
            if (::fstat(fd, &st) != 0) { ::close(fd); return make_error(errc::io_error, "cannot stat file"); }
            if (!S_ISREG(st.st_mode)) { ::close(fd); return make_error(errc::io_error, "not a regular file"); }
            const auto size = static_cast<std::size_t>(st.st_size);
            if (size > 0) {
                void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
                if (p == MAP_FAILED) { ::close(fd); return make_error(errc::io_error, "mmap failed"); }
                m.map_ = p;
                m.size_ = m.map_len_ = size;
            }
            ::close(fd);
            return m;
        }
#endif
        (void)use_mmap;
        std::FILE* f = std::fopen(path.c_str(), "rb");
        if (f == nullptr) return make_error(errno == ENOENT ? errc::not_found : errc::io_error, "cannot open file");
        detail::grow_buffer buf;
        bool bad = false;
        for (;;) {
            if (buf.size == buf.capacity && !buf.reserve(buf.capacity < 65536 ? 65536 : buf.capacity * 2)) { bad = true; break; }
            const std::size_t n = std::fread(buf.data.get() + buf.size, 1, buf.capacity - buf.size, f);
            buf.size += n;
            if (n == 0) break;
        }
        bad = bad || std::ferror(f) != 0;
        std::fclose(f);
        if (bad) return make_error(errc::io_error, "read failed or out of memory");
        return mapped_bytes(std::move(buf));
    }

    /// Holds `bytes` (already in memory, e.g. a header built by the catalog).
    [[nodiscard]] static mapped_bytes adopt(std::vector<std::byte> bytes) {
        mapped_bytes m;
        m.size_ = bytes.size();
#if defined(__cpp_lib_smart_ptr_for_overwrite)
        m.buf_ = std::make_unique_for_overwrite<std::byte[]>(bytes.size());
#else  // libc++ before 16 (Xcode 14): the same default-initialized array
        m.buf_ = std::unique_ptr<std::byte[]>(new std::byte[bytes.size()]);
#endif
        std::copy(bytes.begin(), bytes.end(), m.buf_.get());
        return m;
    }

    /// The bytes.
    [[nodiscard]] std::span<const std::byte> bytes() const noexcept {
        if (map_ != nullptr) return {static_cast<const std::byte*>(map_), size_};
        if (buf_) return {buf_.get(), size_};
        return {};
    }
    /// True if the bytes are memory-mapped.
    [[nodiscard]] bool is_mapped() const noexcept { return map_ != nullptr; }

private:
    friend struct detail::mapping_access;

    void swap(mapped_bytes& o) noexcept {
        std::swap(map_, o.map_);
        std::swap(map_len_, o.map_len_);
        std::swap(size_, o.size_);
        std::swap(buf_, o.buf_);
    }
    void release() noexcept {
#if LLAMAPLAN_GGUF_HAS_MMAP
        if (map_ != nullptr) ::munmap(map_, map_len_);
#endif
        map_ = nullptr;
        map_len_ = 0;
        size_ = 0;
        buf_.reset();
    }
    void* map_ = nullptr;
    std::size_t map_len_ = 0;  // bytes of the mapping, file-backed or only reserved (a whole number of pages)
    std::size_t size_ = 0;     // bytes held
    std::unique_ptr<std::byte[]> buf_{};
};

/// One file of a (possibly split) model.
struct file_part {
    std::string path{};      ///< where it was opened ("" for a byte source without a name)
    mapped_bytes bytes{};    ///< its header: the bytes up to the end of the tensor infos, and at most one read-ahead more
    reader header{};         ///< its parsed header (views `bytes`)
    std::uint64_t bytes_read = 0;  ///< bytes read (or mapped) from the file (bytes)
    std::uint32_t requests = 0;    ///< reads (or mappings) made
};

/// Where one tensor's data lies on disk.
struct tensor_location {
    std::uint32_t split = 0;       ///< index of the part (0-based) holding the tensor
    std::uint64_t file_offset = 0; ///< bytes from the start of that part's file
};

/// Splits "<prefix>-NNNNN-of-MMMMM.gguf" into prefix, 0-based index and count; false if the name has no such suffix.
[[nodiscard]] inline bool parse_split_path(std::string_view path, std::string_view& prefix, std::uint32_t& index, std::uint32_t& count) noexcept {
    constexpr std::string_view tail = ".gguf";
    // "-%05d-of-%05d.gguf" is 20 characters (llama.cpp llama_split_path)
    if (path.size() < 20 || path.substr(path.size() - tail.size()) != tail) return false;
    const std::string_view s = path.substr(path.size() - 20, 15);  // "-NNNNN-of-MMMMM"
    if (s[0] != '-' || s.substr(6, 4) != "-of-") return false;
    std::uint32_t a = 0, b = 0;
    for (int i = 1; i < 6; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        a = a * 10 + std::uint32_t(s[i] - '0');
    }
    for (int i = 10; i < 15; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        b = b * 10 + std::uint32_t(s[i] - '0');
    }
    if (a == 0 || b == 0 || a > b) return false;
    prefix = path.substr(0, path.size() - 20);
    index = a - 1;
    count = b;
    return true;
}

/// Options for open().
struct open_options {
    /// Memory-map the header (POSIX) rather than read it. Off by default: reading costs the same whatever the page
    /// cache holds, while a mapping is as fast only over pages cached as 2 MiB folios (bench/gguf_read, 4.3 MB qwen3
    /// header on a 2-core virtual machine: read 0.64-0.77 ms; mmap 0.63-0.77 ms when the mmap path read the header
    /// into the cache, 1.6-2.5 ms when another reader had cached it in small folios).
    bool use_mmap = false;
    bool load_splits = true;     ///< open every part of a split model
    parse_options parse{};       ///< reader switches (and the largest header to read, parse.max_header_bytes)
    /// Bytes read (or mapped) past what the parser needs next, in the same request, to save requests (bytes). The
    /// most read past the header's end; 0 reads exactly what the parser asks for.
    std::uint64_t read_ahead = 256u << 10;
};
/// Reads a GGUF header from any byte source and stops at the end of its tensor infos: tensor data is never asked
/// for, beyond at most `o.read_ahead` bytes in the request that completes the header. `src(offset, out)` writes up
/// to out.size() bytes of the source, starting at byte `offset`, into `out` (a std::span<std::byte>) and returns
/// how many as a result<std::size_t> (0 only at the end of the source; an error value stops the read). Offsets are
/// consecutive: each call starts where the last one ended, so a stream serves as well as a file. `source_size` is
/// the source's length (gguf::unknown_size when not known: the header is then read until it is complete or the
/// source ends). The part's `path` is left empty. Errors: the parser's, the source's, capacity_exceeded.
template <class Source>
[[nodiscard]] result<file_part> read_header(Source&& src, std::uint64_t source_size = unknown_size, const open_options& o = {}) {
    header_parser p(source_size, o.parse);
    detail::grow_buffer buf;
    file_part part;
    bool ended = false;
    for (;;) {
        const std::span<const std::byte> held(buf.data.get(), buf.size);
        const parse_status st = ended ? p.feed_last(held) : p.feed(held);
        if (st == parse_status::complete) break;
        if (st == parse_status::failed) return p.failure();
        const byte_range r = p.need();  // r.offset == buf.size
        // read what the parser needs and up to read_ahead more, within the source and the header limit
        std::uint64_t target = std::max<std::uint64_t>(r.end(), buf.size + o.read_ahead);
        target = std::min({target, source_size, std::max<std::uint64_t>(r.end(), o.parse.max_header_bytes)});
        if (target > std::numeric_limits<std::size_t>::max()) return make_error(errc::capacity_exceeded, "header does not fit in memory", target);
        if (target > buf.capacity) {
            // a known size is reserved at once (address space only; untouched pages cost nothing), up to 64 MiB, so
            // that a header is read without copying; otherwise the buffer doubles
            std::uint64_t cap = buf.capacity == 0 && source_size != unknown_size ? std::min<std::uint64_t>(source_size, 64u << 20) : buf.capacity * 2;
            cap = std::max(cap, target);
            if (source_size != unknown_size) cap = std::min(cap, source_size);
            if (!buf.reserve(static_cast<std::size_t>(cap)) && !buf.reserve(static_cast<std::size_t>(target)))
                return make_error(errc::capacity_exceeded, "out of memory for the header", target);
        }
        while (buf.size < r.end()) {
            auto n = src(std::uint64_t{buf.size}, std::span<std::byte>(buf.data.get() + buf.size, static_cast<std::size_t>(target) - buf.size));
            ++part.requests;
            if (!n) return n.error();
            if (*n == 0) { ended = true; break; }
            if (*n > static_cast<std::size_t>(target) - buf.size) return make_error(errc::io_error, "byte source returned more than asked", buf.size);
            buf.size += *n;
            part.bytes_read += *n;
        }
    }
    part.bytes = mapped_bytes(std::move(buf));
    auto h = p.take(part.bytes.bytes());
    if (!h) return h.error();
    part.header = std::move(*h);
    return part;
}

namespace detail {
/// Gives the file layer access to mapped_bytes' mapping.
struct mapping_access {
    static void adopt(mapped_bytes& m, void* map, std::size_t mapped, std::size_t held) noexcept {
        m.release();
        m.map_ = map;
        m.map_len_ = mapped;
        m.size_ = held;
    }
};

/// A byte source reading a std::FILE from its current position on (offsets are consecutive, see read_header).
[[nodiscard]] inline auto stdio_source(std::FILE* f) {
    return [f](std::uint64_t, std::span<std::byte> out) -> result<std::size_t> {
        const std::size_t n = std::fread(out.data(), 1, out.size(), f);
        if (n == 0 && std::ferror(f) != 0) return make_error(errc::io_error, "read failed");
        return n;
    };
}

/// Reads a header through std::FILE (the portable path; a stream when `size` is unknown_size).
[[nodiscard]] inline result<file_part> read_header_stdio(std::FILE* f, std::uint64_t size, const open_options& o) {
    return read_header(stdio_source(f), size, o);
}

#if LLAMAPLAN_GGUF_HAS_MMAP
/// Address space reserved for a header mapping (no memory: PROT_NONE, never touched) and released when the result
/// does not adopt it.
struct header_reservation {
    void* base = nullptr;    ///< start of the usable range (2 MiB aligned where huge pages are advised)
    std::size_t length = 0;  ///< bytes of the usable range (a whole number of pages)
    header_reservation() = default;
    header_reservation(const header_reservation&) = delete;
    header_reservation& operator=(const header_reservation&) = delete;
    ~header_reservation() {
        if (base != nullptr) ::munmap(base, length);
    }
};

/// Maps a header. Address space for the largest header the file can hold (min(file size, max_header_bytes)) is
/// reserved once, aligned to 2 MiB, and the file is mapped into it from offset 0 in 2 MiB steps as the parser asks;
/// only the pages up to what the parser asked for plus one read-ahead are populated and read: tensor data is never
/// touched (the mapping's last step may span up to 2 MiB of it, as address space). Each step is advised
/// MADV_HUGEPAGE (Linux) before it is populated, so pages the kernel reads for it land in the page cache as 2 MiB
/// folios mapped by PMD entries (on a cold cache the kernel's huge-page readahead, mm/filemap.c
/// do_sync_mmap_readahead, may bring up to 4 MiB past the header into the page cache). Why: parsing touches every page of the header, and on a virtual machine the
/// first access to each 4 KiB mapping costs a two-level page walk even with the page already mapped (measured on the
/// project's Firecracker VM: 0.73-1.6 ms to read one byte per page of a populated 4.3 MB mapping, 0.04-0.2 ms once
/// its pages were 2 MiB folios; a second pass over 4 KiB pages 0.008 ms). Pages another reader already cached in
/// small folios stay small (mm/readahead.c allocates large folios only on a miss). Populated where the system can.
[[nodiscard]] inline result<file_part> read_header_mapped(int fd, std::uint64_t size, const open_options& o) {
    header_parser p(size, o.parse);
    file_part part;
    const std::uint64_t page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE) > 0 ? ::sysconf(_SC_PAGESIZE) : 4096);
    constexpr std::uint64_t huge = std::uint64_t{2} << 20;
    const std::uint64_t most = std::min(size, std::max<std::uint64_t>(o.parse.max_header_bytes, page));
    const std::uint64_t reserve_len = std::max((most + page - 1) / page * page, page);
    if (reserve_len + huge > std::numeric_limits<std::size_t>::max()) return make_error(errc::capacity_exceeded, "header does not fit in memory", size);
    header_reservation res;
    {
        int flags = MAP_PRIVATE | MAP_ANONYMOUS;
#if defined(MAP_NORESERVE)
        flags |= MAP_NORESERVE;
#endif
        const std::size_t whole = static_cast<std::size_t>(reserve_len + huge);
        void* r = ::mmap(nullptr, whole, PROT_NONE, flags, -1, 0);
        if (r == MAP_FAILED) return make_error(errc::capacity_exceeded, "cannot reserve address space for the header", reserve_len);
        // keep [aligned, aligned + reserve_len) and give back the slack on both sides
        const auto lo = reinterpret_cast<std::uintptr_t>(r);
        const auto aligned = (lo + huge - 1) & ~static_cast<std::uintptr_t>(huge - 1);
        if (aligned > lo) ::munmap(r, aligned - lo);
        const std::uintptr_t tail = lo + whole - (aligned + reserve_len);
        if (tail > 0) ::munmap(reinterpret_cast<void*>(aligned + reserve_len), tail);
        res.base = reinterpret_cast<void*>(aligned);
        res.length = static_cast<std::size_t>(reserve_len);
    }
    auto* const base = static_cast<std::byte*>(res.base);
    std::uint64_t mapped = 0, populated = 0, held = 0;
    for (;;) {
        const parse_status st = p.feed(std::span<const std::byte>(base, static_cast<std::size_t>(held)));
        if (st == parse_status::complete) break;
        if (st == parse_status::failed) return p.failure();
        const byte_range r = p.need();  // within the file and max_header_bytes: the parser checks both
        const std::uint64_t target = std::min({std::max<std::uint64_t>(r.end(), held + o.read_ahead), size,
                                               std::max<std::uint64_t>(r.end(), o.parse.max_header_bytes)});
        if (target > reserve_len) return make_error(errc::capacity_exceeded, "header larger than the reserved mapping", target);
        // the mapping grows in whole 2 MiB steps (a PMD entry maps only a range the mapping spans); what is faulted
        // in (and ever touched) stops at the page holding the target
        const std::uint64_t len = std::min((target + huge - 1) / huge * huge, reserve_len);
        if (len > mapped) {
            void* piece = base + mapped;
            const std::size_t n = static_cast<std::size_t>(len - mapped);
            if (::mmap(piece, n, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, static_cast<off_t>(mapped)) == MAP_FAILED)
                return make_error(errc::io_error, "mmap failed", mapped);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
            (void)::madvise(piece, n, MADV_HUGEPAGE);  // best effort: THP may be off
#endif
            mapped = len;
            ++part.requests;
        }
        const std::uint64_t want = std::min((target + page - 1) / page * page, mapped);
        if (want > populated) {
#if defined(__linux__) && defined(MADV_POPULATE_READ)
            // best effort: fault the new pages in one call (Linux 5.14+)
            (void)::madvise(base + populated, static_cast<std::size_t>(want - populated), MADV_POPULATE_READ);
#endif
            populated = want;
        }
        part.bytes_read += target - held;
        held = target;
    }
    mapping_access::adopt(part.bytes, res.base, res.length, static_cast<std::size_t>(held));
    res.base = nullptr;  // adopted: mapped_bytes unmaps the whole reservation
    auto h = p.take(part.bytes.bytes());
    if (!h) return h.error();
    part.header = std::move(*h);
    return part;
}
#endif

/// Reads the header of the file at `path`: mapped (POSIX, use_mmap) or read. Errors: not_found, io_error, the parser's.
[[nodiscard]] inline result<file_part> read_file_header(const std::string& path, const open_options& o) {
#if LLAMAPLAN_GGUF_HAS_MMAP
    if (o.use_mmap) {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return make_error(errno == ENOENT ? errc::not_found : errc::io_error, "cannot open file");
        struct stat st {};
        if (::fstat(fd, &st) != 0) { ::close(fd); return make_error(errc::io_error, "cannot stat file"); }
        if (S_ISREG(st.st_mode)) {
            auto part = read_header_mapped(fd, static_cast<std::uint64_t>(st.st_size), o);
            ::close(fd);
            if (part) part->path = path;
            return part;
        }
        ::close(fd);
        if (S_ISDIR(st.st_mode)) return make_error(errc::io_error, "not a regular file");
        // a pipe or a device: read it as a stream below
    }
#endif
#if LLAMAPLAN_GGUF_HAS_FILESYSTEM
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::exists(status))
        return make_error(ec == std::errc::no_such_file_or_directory || !std::filesystem::exists(status) ? errc::not_found : errc::io_error, "cannot open file");
    if (std::filesystem::is_directory(status)) return make_error(errc::io_error, "not a regular file");
    std::uint64_t size = unknown_size;  // a pipe or a device is read as a stream
    if (std::filesystem::is_regular_file(status)) {
        size = std::filesystem::file_size(path, ec);
        if (ec) return make_error(errc::io_error, "cannot stat file");
    }
#else
    const std::uint64_t size = unknown_size;  // no <filesystem>: read as a stream, to the header's end
#endif
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) return make_error(errno == ENOENT ? errc::not_found : errc::io_error, "cannot open file");
    std::setvbuf(f, nullptr, _IONBF, 0);  // read straight into the header buffer: no stdio copy, no extra bytes read
    auto part = read_header_stdio(f, size, o);
    std::fclose(f);
    if (part) part->path = path;
    return part;
}
}  // namespace detail

namespace detail {
struct model_file_access;
}  // namespace detail

/// An opened model: every part's bytes and header, the hyper-parameters and the gathered tensor list. Move-only
/// (views point into the parts, which are heap-stable).
class model_file {
public:
    /// The model as the planner sees it (views into this object).
    [[nodiscard]] model view() const noexcept { return model{hp_.view(), tensors_}; }
    /// Hyper-parameters with their storage.
    [[nodiscard]] const model_hparams& hparams() const noexcept { return hp_; }
    /// Every part, in split order (one for an unsplit file).
    [[nodiscard]] const std::vector<std::unique_ptr<file_part>>& parts() const noexcept { return parts_; }
    /// The first part's header (KVs for `inspect`).
    [[nodiscard]] const reader& header() const noexcept { return parts_.front()->header; }
    /// Every tensor of every part, in part then file order; `offset` is relative to its part's data section.
    [[nodiscard]] std::span<const tensor_info> tensors() const noexcept { return tensors_; }
    /// Where each tensor (same index as tensors()) lies on disk.
    [[nodiscard]] std::span<const tensor_location> locations() const noexcept { return locations_; }
    /// True if every part holds all of its tensor data (false for header-only or cut-short copies).
    [[nodiscard]] bool data_present() const noexcept {
        for (const auto& p : parts_)
            if (!p->header.data_present()) return false;
        return true;
    }
    /// Bytes of tensor data the parts need in total (bytes).
    [[nodiscard]] std::uint64_t data_bytes_expected() const noexcept {
        std::uint64_t s = 0;
        for (const auto& p : parts_) s += p->header.data().needed;
        return s;
    }
    /// Bytes of tensor data the parts actually hold (bytes).
    [[nodiscard]] std::uint64_t data_bytes_available() const noexcept {
        std::uint64_t s = 0;
        for (const auto& p : parts_) {
            const auto& d = p->header.data();
            s += d.available > d.offset ? std::min(d.available - d.offset, d.needed) : 0;
        }
        return s;
    }
    /// Total file bytes needed by all parts together (bytes).
    [[nodiscard]] std::uint64_t file_bytes_expected() const noexcept {
        std::uint64_t s = 0;
        for (const auto& p : parts_) s += p->header.data().expected_end;
        return s;
    }

    /// Bytes read (or mapped) from all parts together: their headers and at most one read-ahead each (bytes).
    [[nodiscard]] std::uint64_t bytes_read() const noexcept {
        std::uint64_t s = 0;
        for (const auto& p : parts_) s += p->bytes_read;
        return s;
    }

    /// open_impl fills the private members.
    friend result<model_file> open_impl(const std::string& path, const open_options& o, file_error& fe);
    /// finish_model gathers the tensors and hyper-parameters of the parts.
    friend result<model_file> finish_model(model_file&& mf, const std::string& path, file_error& fe);
    /// open_source adds its part.
    friend struct detail::model_file_access;
    /// open_memory fills the private members.
    friend result<model_file> open_memory(std::vector<std::byte> bytes, std::string name, const parse_options& po);

private:
    std::vector<std::unique_ptr<file_part>> parts_{};
    model_hparams hp_{};
    std::vector<tensor_info> tensors_{};
    std::vector<tensor_location> locations_{};
};

namespace detail {
/// Gives open_source access to a model_file's parts.
struct model_file_access {
    static std::vector<std::unique_ptr<file_part>>& parts(model_file& m) noexcept { return m.parts_; }
};
}  // namespace detail

namespace detail {
/// Checks that `parts` are splits 0..n-1 of one split model in order (split.no, split.count, and
/// split.tensors.count against the tensors found; llama-model-loader.cpp). False with `fe` set otherwise.
[[nodiscard]] inline bool check_split_parts(const std::vector<std::unique_ptr<file_part>>& parts, const std::string& path,
                                            file_error& fe) {
    const auto n_split = static_cast<std::uint32_t>(parts.size());
    std::uint64_t total = 0;
    for (std::uint32_t i = 0; i < n_split; ++i) {
        const reader& h = parts[i]->header;
        auto no = h.get_u32("split.no");
        auto c = h.get_u32("split.count");
        if (!no || *no != i || !c || *c != n_split) {
            fe = {make_error(errc::invalid_argument, "split.no / split.count disagree with the file name"), parts[i]->path};
            return false;
        }
        total += h.tensors().size();
    }
    auto tc = parts.front()->header.get_u32("split.tensors.count");
    if (tc && *tc != total) {
        fe = {make_error(errc::invalid_argument, "split.tensors.count differs from the tensors found in the parts", total), path};
        return false;
    }
    return true;
}
}  // namespace detail

/// Implementation of open(); fills `fe` with the path and error on failure.
[[nodiscard]] inline result<model_file> open_impl(const std::string& path, const open_options& o, file_error& fe) {
    model_file mf;
    auto open_part = [&](const std::string& p) -> bool {
        auto part = detail::read_file_header(p, o);  // the header only: tensor data is never read
        if (!part) { fe = {part.error(), p}; return false; }
        mf.parts_.push_back(std::make_unique<file_part>(std::move(*part)));
        return true;
    };
    if (!open_part(path)) return fe.err;

    // split files (llama-model-loader.cpp): split.count > 1 means every part must be present and consistent
    const reader& first = mf.parts_.front()->header;
    std::uint32_t n_split = 1, split_no = 0;
    if (first.has("split.count")) {
        auto c = first.get_u32("split.count");
        if (!c) { fe = {c.error(), path}; return fe.err; }
        n_split = *c == 0 ? 1 : *c;
        auto no = first.get_u32("split.no");
        if (no) split_no = *no;
    }
    if (n_split > 1 && o.load_splits) {
        std::string_view prefix;
        std::uint32_t idx = 0, cnt = 0;
        if (!parse_split_path(path, prefix, idx, cnt) || cnt != n_split || idx != split_no) {
            fe = {make_error(errc::invalid_argument, "split file name does not match split.no / split.count"), path};
            return fe.err;
        }
        const std::string pre(prefix);
        mf.parts_.clear();  // reopen in order so that part i is split i
        for (std::uint32_t i = 0; i < n_split; ++i)
            if (!open_part(split_path(pre, i, n_split))) return fe.err;
        if (!detail::check_split_parts(mf.parts_, path, fe)) return fe.err;
    }

    return finish_model(std::move(mf), path, fe);
}

/// Gathers the tensors of the parts (in order) and extracts the hyper-parameters from the first part.
[[nodiscard]] inline result<model_file> finish_model(model_file&& mf, const std::string& path, file_error& fe) {
    // gather tensors; names must be unique across parts (llama_model_loader weights_map)
    std::size_t n = 0;
    for (const auto& p : mf.parts_) n += p->header.tensors().size();
    mf.tensors_.reserve(n);
    mf.locations_.reserve(n);
    for (std::uint32_t i = 0; i < mf.parts_.size(); ++i) {
        const reader& h = mf.parts_[i]->header;
        for (const auto& t : h.tensors()) {
            mf.tensors_.push_back(t);
            mf.tensors_.back().file = i;  // split index (tensor_info::file)
            mf.locations_.push_back({i, h.data().offset + t.offset});
        }
    }
    if (mf.parts_.size() > 1) {
        std::vector<std::string_view> names;
        names.reserve(n);
        for (const auto& t : mf.tensors_) names.push_back(t.name);
        std::sort(names.begin(), names.end());
        if (std::adjacent_find(names.begin(), names.end()) != names.end()) {
            fe = {make_error(errc::invalid_argument, "the same tensor name appears in two split parts"), path};
            return fe.err;
        }
    }
    auto hp = extract_hparams(mf.parts_.front()->header);
    if (!hp) { fe = {hp.error(), mf.parts_.front()->path}; return fe.err; }
    mf.hp_ = std::move(*hp);
    return std::move(mf);
}

/// Opens a single-file GGUF model held in memory (`name` stands for its path in messages and parts()).
[[nodiscard]] inline result<model_file> open_memory(std::vector<std::byte> bytes, std::string name,
                                                   const parse_options& po = {}) {
    model_file mf;
    auto part = std::make_unique<file_part>();
    part->path = std::move(name);
    part->bytes = mapped_bytes::adopt(std::move(bytes));
    auto r = reader::parse(part->bytes.bytes(), po);
    if (!r) return r.error();
    part->header = std::move(*r);
    mf.parts_.push_back(std::move(part));
    const reader& h = mf.parts_.front()->header;
    mf.tensors_.assign(h.tensors().begin(), h.tensors().end());
    for (const auto& t : h.tensors()) mf.locations_.push_back({0, h.data().offset + t.offset});
    auto hp = extract_hparams(h);
    if (!hp) return hp.error();
    mf.hp_ = std::move(*hp);
    return mf;
}

/// Opens a split model whose parts' headers are held in memory, read part by part by a host that does its own I/O
/// (HTTP range requests in a browser): `parts[i]` holds at least the header of split i (in split order) and
/// `names[i]` names it in messages. The parts are checked as open() checks split files. On error `fe` names the part.
[[nodiscard]] inline result<model_file> open_memory_parts(std::vector<std::vector<std::byte>> parts, std::vector<std::string> names,
                                                          file_error& fe, const parse_options& po = {}) {
    if (parts.empty() || parts.size() != names.size()) {
        fe = {make_error(errc::invalid_argument, "one name per part, at least one part"), {}};
        return fe.err;
    }
    model_file mf;
    auto& held = detail::model_file_access::parts(mf);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        auto part = std::make_unique<file_part>();
        part->path = std::move(names[i]);
        part->bytes = mapped_bytes::adopt(std::move(parts[i]));
        auto r = reader::parse(part->bytes.bytes(), po);
        if (!r) { fe = {r.error(), part->path}; return fe.err; }
        part->header = std::move(*r);
        held.push_back(std::move(part));
    }
    const std::string first = held.front()->path;
    if (held.size() > 1 && !detail::check_split_parts(held, first, fe)) return fe.err;
    return finish_model(std::move(mf), first, fe);
}

/// Opens a GGUF model (any part of a split model opens them all). On error `fe` names the file concerned.
[[nodiscard]] inline result<model_file> open(const std::string& path, file_error& fe, const open_options& o = {}) {
    return open_impl(path, o, fe);
}
/// Opens a GGUF model; the error's `where` is a byte offset in the failing file.
[[nodiscard]] inline result<model_file> open(const std::string& path, const open_options& o = {}) {
    file_error fe;
    return open_impl(path, o, fe);
}

/// Opens a model whose header comes from a byte source (see read_header for `src`): over HTTP range requests, from
/// object storage or a socket, with the host's own client; llamaplan does no I/O of its own here. `name` labels
/// errors. A split model's part is refused unless o.load_splits is false (its other parts are not reachable here).
template <class Source>
[[nodiscard]] result<model_file> open_source(Source&& src, std::uint64_t source_size, const std::string& name, file_error& fe,
                                             const open_options& o = {}) {
    auto part = read_header(std::forward<Source>(src), source_size, o);
    if (!part) { fe = {part.error(), name}; return fe.err; }
    part->path = name;
    if (o.load_splits) {
        auto c = part->header.get_u32("split.count");
        if (c && *c > 1) {
            fe = {make_error(errc::unsupported, "a split model's part alone: open the parts by path, or set load_splits = false"), name};
            return fe.err;
        }
    }
    model_file mf;
    detail::model_file_access::parts(mf).push_back(std::make_unique<file_part>(std::move(*part)));
    return finish_model(std::move(mf), name, fe);
}

/// Opens a model from a stream (standard input, a pipe; opened in binary mode) from its current position: reads the
/// header and stops there (stdio may buffer a little more), so `curl -r 0-8000000 URL | llamaplan inspect -` takes
/// what it needs of the 8 MB. `name` labels errors ("-", "<stdin>").
[[nodiscard]] inline result<model_file> open_stream(std::FILE* f, const std::string& name, file_error& fe, const open_options& o = {}) {
    return open_source(detail::stdio_source(f), unknown_size, name, fe, o);
}

}  // namespace llamaplan::gguf

#endif  // LLAMAPLAN_GGUF_FILE_HPP
