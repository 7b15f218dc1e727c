// SPDX-License-Identifier: MIT
// llamaplan GGUF adapter: opening GGUF files (mmap on POSIX, a plain read elsewhere), split files
// ("<name>-00001-of-0000N.gguf", src/llama-model-loader.cpp llama_get_list_splits / llama_split_prefix and the
// split.no / split.count / split.tensors.count checks in llama_model_loader's constructor) and header-only copies.
#ifndef LLAMAPLAN_GGUF_FILE_HPP
#define LLAMAPLAN_GGUF_FILE_HPP

#include <llamaplan/gguf/hparams.hpp>
#include <llamaplan/gguf/reader.hpp>
#include <llamaplan/model.hpp>
#include <llamaplan/result.hpp>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
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

namespace llamaplan::gguf {

/// An error from the file layer: the core error plus the path it concerns.
struct file_error {
    error err{};        ///< code, static message and byte offset (offsets refer to `path`)
    std::string path{}; ///< the file concerned ("" when none)
};

/// The bytes of one file, memory-mapped read-only (POSIX) or read into memory. Move-only.
class mapped_bytes {
public:
    /// Holds no bytes.
    mapped_bytes() = default;
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

    /// Maps (or reads) `path`; with use_mmap false always reads. Errors: not_found, io_error.
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
                m.size_ = size;
            }
            ::close(fd);
            return m;
        }
#endif
        (void)use_mmap;
        std::FILE* f = std::fopen(path.c_str(), "rb");
        if (f == nullptr) return make_error(errno == ENOENT ? errc::not_found : errc::io_error, "cannot open file");
        auto buf = std::make_unique<std::vector<std::byte>>();
        std::byte chunk[65536];
        for (;;) {
            const std::size_t n = std::fread(chunk, 1, sizeof chunk, f);
            buf->insert(buf->end(), chunk, chunk + n);
            if (n < sizeof chunk) break;
        }
        const bool bad = std::ferror(f) != 0;
        std::fclose(f);
        if (bad) return make_error(errc::io_error, "read failed");
        m.size_ = buf->size();
        m.buf_ = std::move(buf);
        return m;
    }

    /// Holds `bytes` (already in memory, e.g. a header built by the catalog).
    [[nodiscard]] static mapped_bytes adopt(std::vector<std::byte> bytes) {
        mapped_bytes m;
        m.size_ = bytes.size();
        m.buf_ = std::make_unique<std::vector<std::byte>>(std::move(bytes));
        return m;
    }

    /// The bytes.
    [[nodiscard]] std::span<const std::byte> bytes() const noexcept {
        if (map_ != nullptr) return {static_cast<const std::byte*>(map_), size_};
        if (buf_) return {buf_->data(), buf_->size()};
        return {};
    }
    /// True if the bytes are memory-mapped.
    [[nodiscard]] bool is_mapped() const noexcept { return map_ != nullptr; }

private:
    void swap(mapped_bytes& o) noexcept {
        std::swap(map_, o.map_);
        std::swap(size_, o.size_);
        std::swap(buf_, o.buf_);
    }
    void release() noexcept {
#if LLAMAPLAN_GGUF_HAS_MMAP
        if (map_ != nullptr) ::munmap(map_, size_);
#endif
        map_ = nullptr;
        size_ = 0;
        buf_.reset();
    }
    void* map_ = nullptr;
    std::size_t size_ = 0;
    std::unique_ptr<std::vector<std::byte>> buf_{};
};

/// One file of a (possibly split) model.
struct file_part {
    std::string path{};      ///< where it was opened
    mapped_bytes bytes{};    ///< its bytes
    reader header{};         ///< its parsed header (views `bytes`)
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
    bool use_mmap = true;        ///< memory-map (POSIX) rather than read
    bool load_splits = true;     ///< open every part of a split model
    parse_options parse{};       ///< reader switches
};

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

    /// open_impl fills the private members.
    friend result<model_file> open_impl(const std::string& path, const open_options& o, file_error& fe);
    /// open_memory fills the private members.
    friend result<model_file> open_memory(std::vector<std::byte> bytes, std::string name, const parse_options& po);

private:
    std::vector<std::unique_ptr<file_part>> parts_{};
    model_hparams hp_{};
    std::vector<tensor_info> tensors_{};
    std::vector<tensor_location> locations_{};
};

/// Implementation of open(); fills `fe` with the path and error on failure.
[[nodiscard]] inline result<model_file> open_impl(const std::string& path, const open_options& o, file_error& fe) {
    model_file mf;
    auto open_part = [&](const std::string& p) -> bool {
        auto part = std::make_unique<file_part>();
        part->path = p;
        auto b = mapped_bytes::open(p, o.use_mmap);
        if (!b) { fe = {b.error(), p}; return false; }
        part->bytes = std::move(*b);
        auto r = reader::parse(part->bytes.bytes(), o.parse);
        if (!r) { fe = {r.error(), p}; return false; }
        part->header = std::move(*r);
        mf.parts_.push_back(std::move(part));
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
        std::uint64_t total = 0;
        for (std::uint32_t i = 0; i < n_split; ++i) {
            const reader& h = mf.parts_[i]->header;
            auto no = h.get_u32("split.no");
            auto c = h.get_u32("split.count");
            if (!no || *no != i || !c || *c != n_split) {
                fe = {make_error(errc::invalid_argument, "split.no / split.count disagree with the file name"), mf.parts_[i]->path};
                return fe.err;
            }
            total += h.tensors().size();
        }
        auto tc = mf.parts_.front()->header.get_u32("split.tensors.count");
        if (tc && *tc != total) {
            fe = {make_error(errc::invalid_argument, "split.tensors.count differs from the tensors found in the parts", total), path};
            return fe.err;
        }
    }

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
    return mf;
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

/// Opens a GGUF model (any part of a split model opens them all). On error `fe` names the file concerned.
[[nodiscard]] inline result<model_file> open(const std::string& path, file_error& fe, const open_options& o = {}) {
    return open_impl(path, o, fe);
}
/// Opens a GGUF model; the error's `where` is a byte offset in the failing file.
[[nodiscard]] inline result<model_file> open(const std::string& path, const open_options& o = {}) {
    file_error fe;
    return open_impl(path, o, fe);
}

}  // namespace llamaplan::gguf

#endif  // LLAMAPLAN_GGUF_FILE_HPP
