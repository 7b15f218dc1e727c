// Reading only the header: the incremental header_parser over any byte source, read_header / open_source / open_stream,
// and gguf::open on a sparse 64 GiB file (a real header followed by a hole) by read and by mmap.
#include <doctest/doctest.h>

#include <llamaplan/gguf/file.hpp>
#include <llamaplan/gguf/reader.hpp>
#include <llamaplan/gguf/writer.hpp>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "../support/temp_dir.hpp"

using namespace llamaplan;
using namespace llamaplan::gguf;
namespace fs = std::filesystem;

namespace {
constexpr std::size_t block = 64u << 10;  // what the test's byte source serves per request at most (bytes)

using test_support::temp_dir;

/// A model with a 32,000-token BPE vocabulary and merges: a header of ~0.8 MB, many 64 KiB blocks long.
synth_spec vocab_spec() {
    synth_spec s;
    s.arch = "qwen3";
    s.n_layer = 4;
    s.n_embd = 256;
    s.n_head = 4;
    s.n_head_kv = 2;
    s.n_ff = 512;
    s.n_vocab = 32000;
    s.merges = true;
    s.qk_norm = true;
    return s;
}

/// The header's length measured without the parser: the writer's header-only image, less the padding it appends
/// after the last tensor info (less than the 32-byte alignment; none when it is already aligned).
std::uint64_t header_bound(const writer& w) { return w.bytes(data_fill::header_only).size(); }

/// A byte source over `bytes` serving at most 64 KiB per request, counting requests and bytes served.
struct counting_source {
    std::span<const std::byte> bytes;
    std::size_t requests = 0;
    std::uint64_t served = 0;
    std::vector<std::uint64_t> offsets{};
    result<std::size_t> operator()(std::uint64_t offset, std::span<std::byte> out) {
        ++requests;
        offsets.push_back(offset);
        if (offset >= bytes.size()) return std::size_t{0};
        const std::size_t n = std::min({out.size(), block, static_cast<std::size_t>(bytes.size() - offset)});
        std::memcpy(out.data(), bytes.data() + offset, n);
        served += n;
        return n;
    }
};

/// Same KVs and tensors in two headers.
void check_same(const reader& a, const reader& b) {
    REQUIRE(a.kvs().size() == b.kvs().size());
    for (std::size_t i = 0; i < a.kvs().size(); ++i) {
        CHECK(a.kvs()[i].key == b.kvs()[i].key);
        CHECK(a.kvs()[i].value_offset == b.kvs()[i].value_offset);
        CHECK(a.kvs()[i].value_size == b.kvs()[i].value_size);
    }
    REQUIRE(a.tensors().size() == b.tensors().size());
    for (std::size_t i = 0; i < a.tensors().size(); ++i) {
        CHECK(a.tensors()[i].name == b.tensors()[i].name);
        CHECK(a.tensors()[i].offset == b.tensors()[i].offset);
        CHECK(a.tensors()[i].bytes == b.tensors()[i].bytes);
    }
    CHECK(a.data().offset == b.data().offset);
    CHECK(a.data().expected_end == b.data().expected_end);
    CHECK(a.find("tokenizer.ggml.merges") != nullptr);
    CHECK(a.array_count("tokenizer.ggml.tokens").value_or(0) == b.array_count("tokenizer.ggml.tokens").value_or(1));
}

#if defined(__linux__)
/// rchar of /proc/self/io: bytes this process has passed through read(2) and friends (bytes); -1 if unknown.
long long rchar() {
    std::ifstream f("/proc/self/io");
    std::string key;
    long long v = -1;
    while (f >> key) {
        if (key == "rchar:") {
            f >> v;
            break;
        }
    }
    return v;
}

/// Bytes of this process's address space that map `path` (from /proc/self/maps); -1 if unknown.
long long mapped_bytes_of(const std::string& path) {
    std::ifstream f("/proc/self/maps");
    if (!f) return -1;
    const std::string canonical = std::filesystem::canonical(path).string();
    long long total = 0;
    std::string line;
    while (std::getline(f, line)) {
        if (line.size() < canonical.size() || line.compare(line.size() - canonical.size(), canonical.size(), canonical) != 0) continue;
        unsigned long long lo = 0, hi = 0;
        if (std::sscanf(line.c_str(), "%llx-%llx", &lo, &hi) == 2) total += static_cast<long long>(hi - lo);
    }
    return total;
}
#endif
}  // namespace

TEST_CASE("gguf source: a host reading 64 KiB blocks fetches the header and at most one block more") {
    const writer w = synthesize(vocab_spec());
    const auto file = w.bytes(data_fill::pattern);
    auto whole = reader::parse(file);
    REQUIRE(whole.has_value());
    const std::uint64_t bound = header_bound(w);
    REQUIRE(bound > 10 * block);  // the header spans many requests

    // the host asks for 64 KiB from where its prefix ends, whatever the parser needs, as an HTTP client might
    counting_source src{file};
    header_parser p(file.size());
    std::vector<std::byte> held;
    while (p.feed(held) == parse_status::need_more) {
        const byte_range r = p.need();
        CHECK(r.offset == held.size());
        CHECK(r.size > 0);
        held.resize(held.size() + block);
        auto n = src(r.offset, std::span<std::byte>(held.data() + r.offset, block));
        REQUIRE(n.has_value());
        held.resize(static_cast<std::size_t>(r.offset + *n));
    }
    REQUIRE(p.status() == parse_status::complete);
    const std::uint64_t header = p.header_size();
    CHECK(header <= bound);
    CHECK(bound - header < 32);
    CHECK(src.served <= header + block);                     // at most one request past the header
    CHECK(src.requests == (header + block - 1) / block);     // and no request it did not need
    auto r = p.take(held);
    REQUIRE(r.has_value());
    check_same(*r, *whole);
    CHECK(r->data().available == file.size());
    CHECK(r->data_present());
    CHECK(p.take(held).error().code == errc::invalid_argument);  // once only

    // a host fetching exactly what need() names (split by the source into 64 KiB pieces) fetches the header exactly
    counting_source exact{file};
    header_parser q(file.size());
    held.clear();
    std::size_t feeds = 0;
    while (q.feed(held) == parse_status::need_more) {
        ++feeds;
        const byte_range need = q.need();
        held.resize(static_cast<std::size_t>(need.end()));
        for (std::uint64_t at = need.offset; at < need.end();) {
            auto n = exact(at, std::span<std::byte>(held.data() + at, static_cast<std::size_t>(need.end() - at)));
            REQUIRE(n.has_value());
            REQUIRE(*n > 0);
            at += *n;
        }
    }
    REQUIRE(q.status() == parse_status::complete);
    CHECK(exact.served == q.header_size());
    CHECK(q.header_size() == header);
    // need() asks for every string length of a vocabulary at once, so there are far fewer feeds than strings
    CHECK(feeds < 200);
    MESSAGE("header " << header << " bytes; 64 KiB blocks: " << src.requests << " requests; exact: " << exact.requests
                      << " requests in " << feeds << " feeds");
}

TEST_CASE("gguf source: any cut into prefixes, moved in memory between feeds, gives the same header") {
    const writer w = synthesize(vocab_spec());
    const auto file = w.bytes(data_fill::header_only);
    auto whole = reader::parse(file);
    REQUIRE(whole.has_value());
    for (std::size_t step : {std::size_t{1} << 10, std::size_t{7777}, std::size_t{100000}}) {
        CAPTURE(step);
        header_parser p(unknown_size);
        std::vector<std::byte> held;
        std::size_t at = 0;
        parse_status st = parse_status::need_more;
        while (st == parse_status::need_more) {
            at = std::min(file.size(), at + step);
            std::vector<std::byte> moved(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(at));  // a new address
            held.swap(moved);
            st = at == file.size() ? p.feed_last(held) : p.feed(held);
        }
        REQUIRE(st == parse_status::complete);
        const std::vector<std::byte> final_copy = held;  // take() may view yet another copy
        auto r = p.take(final_copy);
        REQUIRE(r.has_value());
        check_same(*r, *whole);
        CHECK(r->data().available == final_copy.size());  // unknown size: what is held
        CHECK_FALSE(r->data_present());
    }
}

TEST_CASE("gguf source: a source that ends early fails exactly as parsing the cut bytes does") {
    writer w;
    w.set_string("general.architecture", "llama");
    w.set_u32("llama.block_count", 1);
    const std::vector<std::string> toks = {"a", "bb", "ccc", "dddd"};
    w.set_array_strings("tokenizer.ggml.tokens", toks);
    const std::vector<float> sc = {0.f, 1.f, 2.f, 3.f};
    w.set_array_f32("tokenizer.ggml.scores", sc);
    w.add_tensor("token_embd.weight", ggml_type::q8_0, {32, 4});
    w.add_tensor("output_norm.weight", ggml_type::f32, {5});
    const auto full = w.bytes(data_fill::header_only);
    for (std::size_t n = 0; n <= full.size(); ++n) {
        CAPTURE(n);
        const std::span<const std::byte> cut(full.data(), n);
        auto direct = reader::parse(cut);
        // fed in two pieces to a parser that does not know the size, then told the source ended
        header_parser p;
        const auto first = p.feed(cut.first(n / 2));
        REQUIRE(first != parse_status::complete);
        const auto st = p.feed_last(cut);
        REQUIRE(st != parse_status::need_more);
        CHECK((st == parse_status::complete) == direct.has_value());
        if (!direct) {
            CHECK(p.failure().code == direct.error().code);
            CHECK(p.failure().where == direct.error().where);
            CHECK(std::string_view(p.failure().what) == std::string_view(direct.error().what));
        }
        // told the true size up front, the parser asks for more instead of failing
        header_parser sized(full.size());
        const auto s2 = sized.feed(cut);
        CHECK(s2 == (direct ? parse_status::complete : parse_status::need_more));
        if (s2 == parse_status::need_more) {
            CHECK(sized.need().offset == n);
            CHECK(sized.need().end() <= full.size());
        }
    }
    // feeding fewer bytes than before, or more than the source holds, is a caller error
    header_parser p(full.size());
    REQUIRE(p.feed(std::span<const std::byte>(full.data(), 40)) == parse_status::need_more);
    CHECK(p.feed(std::span<const std::byte>(full.data(), 20)) == parse_status::failed);
    CHECK(p.failure().code == errc::invalid_argument);
    header_parser q(10);
    CHECK(q.feed(std::span<const std::byte>(full.data(), 40)) == parse_status::failed);
}

TEST_CASE("gguf source: a hostile stream cannot make the parser ask for more than max_header_bytes") {
    writer w;
    w.set_string("general.architecture", "llama");
    const std::vector<std::string> toks = {"a", "b"};
    w.set_array_strings("tokenizer.ggml.tokens", toks);
    auto b = w.bytes(data_fill::header_only);
    // claim 2^29 tokens: fine for a stream of unknown length until the limit is reached
    std::size_t at = 0;
    for (std::size_t i = 0; i + 21 <= b.size(); ++i)
        if (std::memcmp(b.data() + i, "tokenizer.ggml.tokens", 21) == 0) at = i + 21 + 4 + 4;
    REQUIRE(at != 0);
    const std::uint64_t n = 1ull << 29;
    for (int i = 0; i < 8; ++i) b[at + static_cast<std::size_t>(i)] = static_cast<std::byte>((n >> (8 * i)) & 0xFF);
    parse_options o;
    o.max_header_bytes = 1u << 20;
    header_parser p(unknown_size, o);
    REQUIRE(p.feed(b) == parse_status::need_more);
    CHECK(p.need().end() == o.max_header_bytes);  // the 2^29 string lengths need 4 GiB: capped at the limit
    b.resize(o.max_header_bytes);                 // zeros: empty strings, 8 bytes each, up to the limit
    CHECK(p.feed(b) == parse_status::failed);
    CHECK(p.failure().code == errc::capacity_exceeded);
    header_parser q(unknown_size);  // the default limit, 256 MiB
    REQUIRE(q.feed(b) == parse_status::need_more);
    CHECK(q.need().end() == parse_options{}.max_header_bytes);
}

TEST_CASE("gguf source: read_header and open_source over a 64 KiB-per-request source") {
    const writer w = synthesize(vocab_spec());
    const auto file = w.bytes(data_fill::pattern);
    auto whole = reader::parse(file);
    REQUIRE(whole.has_value());
    const std::uint64_t bound = header_bound(w);
    for (std::uint64_t ahead : {std::uint64_t{0}, std::uint64_t{block}, std::uint64_t{1} << 20}) {
        CAPTURE(ahead);
        open_options o;
        o.read_ahead = ahead;
        counting_source src{file};
        auto part = read_header(std::ref(src), file.size(), o);
        REQUIRE(part.has_value());
        CHECK(part->bytes_read == src.served);
        CHECK(part->requests == src.requests);
        CHECK(part->bytes.bytes().size() == src.served);
        CHECK(src.served >= bound - 31);
        CHECK(src.served <= bound + ahead);
        if (ahead == 0) CHECK(src.served <= bound);
        for (std::size_t i = 1; i < src.offsets.size(); ++i) CHECK(src.offsets[i] > src.offsets[i - 1]);  // consecutive
        check_same(part->header, *whole);
        CHECK(part->header.data_present());
    }
    // through open_source: a model, with the source's errors passed on
    counting_source src{file};
    file_error fe;
    auto m = open_source(std::ref(src), file.size(), "remote:model", fe);
    REQUIRE(m.has_value());
    CHECK(m->view().hp.n_vocab == 32000);
    CHECK(m->parts()[0]->path == "remote:model");
    auto failing = [](std::uint64_t, std::span<std::byte>) -> result<std::size_t> { return make_error(errc::io_error, "network down"); };
    auto bad = open_source(failing, file.size(), "remote:model", fe);
    CHECK(bad.error().code == errc::io_error);
    CHECK(fe.path == "remote:model");
    // a source shorter than it claimed
    counting_source short_src{std::span<const std::byte>(file.data(), 1000)};
    CHECK(open_source(std::ref(short_src), file.size(), "x", fe).error().code == errc::truncated);
}

TEST_CASE("gguf source: open_stream reads a header from a stream and stops there") {
    temp_dir d;
    const writer w = synthesize(vocab_spec());
    const std::string path = d.file("m.gguf");
    REQUIRE(w.write(path, data_fill::pattern));
    std::FILE* f = std::fopen(path.c_str(), "rb");
    REQUIRE(f != nullptr);
    open_options o;
    o.read_ahead = 0;
    file_error fe;
    auto m = open_stream(f, "-", fe, o);
    REQUIRE(m.has_value());
    // the stream is left just past the header: the next byte is the first one not read
    const long pos = std::ftell(f);
    std::fclose(f);
    CHECK(static_cast<std::uint64_t>(pos) == m->bytes_read());
    CHECK(m->bytes_read() <= header_bound(w));
    CHECK(m->bytes_read() >= header_bound(w) - 31);
    CHECK(m->view().hp.n_vocab == 32000);
    CHECK_FALSE(m->data_present());  // a stream's size is not known: only what was read counts
    // split parts are refused from a stream (the other parts cannot be reached)
    const auto parts = w.write_split(d.file("s"), 2, data_fill::header_only);
    std::FILE* g = std::fopen(parts[0].c_str(), "rb");
    REQUIRE(g != nullptr);
    auto s = open_stream(g, "-", fe);
    std::fclose(g);
    CHECK(s.error().code == errc::unsupported);
}

TEST_CASE("gguf source: split parts are each read up to their header only") {
    temp_dir d;
    const writer w = synthesize(vocab_spec());
    const auto paths = w.write_split(d.file("model"), 3, data_fill::pattern);
    REQUIRE(paths.size() == 3);
    for (bool mm : {false, true}) {
        CAPTURE(mm);
        open_options o;
        o.use_mmap = mm;
        o.read_ahead = 0;
        auto m = open(paths[1], o);
        REQUIRE(m.has_value());
        REQUIRE(m->parts().size() == 3);
        std::uint64_t sum = 0;
        for (const auto& p : m->parts()) {
            auto alone = reader::parse(p->bytes.bytes());  // what was read is exactly one whole header
            REQUIRE(alone.has_value());
            const std::uint64_t infos_end = p->header.data().offset;  // padded; the read stops at most 31 bytes short
            CHECK(p->bytes_read <= infos_end);
            CHECK(p->bytes_read + 32 > infos_end);
            CHECK(p->bytes_read < fs::file_size(p->path));
            sum += p->bytes_read;
        }
        CHECK(m->bytes_read() == sum);
        CHECK(m->data_present());
    }
}

TEST_CASE("gguf source: a sparse 64 GiB file is opened by reading its header only") {
    temp_dir d;
    const writer w = synthesize(vocab_spec());
    const auto header = w.bytes(data_fill::header_only);
    const std::string path = d.file("huge.gguf");
    REQUIRE(writer::write_file(path, header));
    constexpr std::uint64_t size = 64ull << 30;
    {
        const int fd = ::open(path.c_str(), O_WRONLY);
        REQUIRE(fd >= 0);
        const int rc = ::ftruncate(fd, static_cast<off_t>(size));  // a hole after the header
        ::close(fd);
        REQUIRE(rc == 0);
    }
    REQUIRE(fs::file_size(path) == size);
    for (bool mm : {false, true}) {
        CAPTURE(mm);
        open_options o;
        o.use_mmap = mm;
#if defined(__linux__)
        const long long before = rchar();
#endif
        auto m = open(path, o);
#if defined(__linux__)
        const long long after = rchar();
        // the mapping spans the header in 2 MiB steps (file.hpp read_header_mapped), never the 64 GiB behind it
        const long long spanned = mapped_bytes_of(path);
        if (spanned >= 0) CHECK(spanned == (mm ? static_cast<long long>((header.size() + o.read_ahead + (2u << 20) - 1) / (2u << 20) * (2u << 20)) : 0));
#endif
        REQUIRE(m.has_value());
        CHECK(m->view().hp.n_vocab == 32000);
        CHECK(m->header().data().available == size);
        CHECK(m->data_present());  // the hole reads as zeros: as far as the file system says, the data is there
        const std::uint64_t read = m->bytes_read();
        CHECK(read <= header.size() + o.read_ahead);
        CHECK(read >= header.size() - 31);
        CHECK(m->parts()[0]->bytes.bytes().size() == read);
#if defined(__linux__)
        if (before >= 0 && after >= 0) {
            // measured by the kernel: the read path's read(2) calls, plus the text of /proc/self/io read by the
            // first rchar() call (109 bytes measured; under 256 with every counter at 20 digits); mapping reads
            // nothing through read(2)
            const long long delta = after - before;
            CHECK(delta >= (mm ? 0 : static_cast<long long>(read)));
            CHECK(delta <= static_cast<long long>(mm ? 0 : read) + 256);
        }
#endif
    }
}
