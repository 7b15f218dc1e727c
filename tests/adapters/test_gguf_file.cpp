// Opening GGUF files: mmap and read paths, split models, header-only copies, and (when available) the real
// header-only GGUF copies of the shared ground truth.
#include <doctest/doctest.h>

#include <llamaplan/gguf/file.hpp>
#include <llamaplan/gguf/writer.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#ifndef LLAMAPLAN_FIXTURES
#define LLAMAPLAN_FIXTURES "tests/fixtures"
#endif

#include "../support/temp_dir.hpp"

using namespace llamaplan;
using namespace llamaplan::gguf;
namespace fs = std::filesystem;

namespace {
using test_support::temp_dir;

synth_spec small_spec() {
    synth_spec s;
    s.arch = "qwen3";
    s.n_layer = 3;
    s.n_embd = 64;
    s.n_head = 4;
    s.n_head_kv = 2;
    s.n_ff = 96;
    s.n_vocab = 500;
    s.qk_norm = true;
    return s;
}

/// The byte at a tensor's location, read from its part's file (open() holds headers only).
std::uint8_t byte_at(const model_file& m, std::size_t tensor) {
    const auto loc = m.locations()[tensor];
    std::ifstream f(m.parts()[loc.split]->path, std::ios::binary);
    f.seekg(static_cast<std::streamoff>(loc.file_offset));
    return static_cast<std::uint8_t>(f.get());
}
}  // namespace

TEST_CASE("gguf file: open by mmap and by read give the same model") {
    temp_dir d;
    const writer w = synthesize(small_spec());
    const std::string path = d.file("m.gguf");
    REQUIRE(w.write(path, data_fill::pattern));
    for (bool mm : {true, false}) {
        CAPTURE(mm);
        open_options o;
        o.use_mmap = mm;
        auto m = open(path, o);
        REQUIRE(m.has_value());
        CHECK(m->parts().size() == 1);
        CHECK(m->parts()[0]->bytes.is_mapped() == (mm && LLAMAPLAN_GGUF_HAS_MMAP));
        CHECK(m->data_present());
        const model v = m->view();
        CHECK(v.hp.architecture == "qwen3");
        CHECK(v.hp.n_layer == 3);
        CHECK(v.hp.n_vocab == 500);
        CHECK(v.tensors.size() == w.tensors().size());
        CHECK(v.find("blk.2.attn_k_norm.weight") != nullptr);
        CHECK(m->data_bytes_expected() == m->header().data().needed);
        CHECK(v.total_bytes() <= m->data_bytes_expected());
        CHECK(m->file_bytes_expected() <= fs::file_size(path));
        CHECK(m->data_bytes_available() == m->data_bytes_expected());
        // the pattern byte at each tensor's file offset is ((offset in data) * 31 + 7) & 0xFF
        for (std::size_t i = 0; i < v.tensors.size(); ++i) {
            if (v.tensors[i].bytes == 0) continue;
            CHECK(byte_at(*m, i) == static_cast<std::uint8_t>((v.tensors[i].offset * 31 + 7) & 0xFF));
            CHECK(m->locations()[i].file_offset == m->header().data().offset + v.tensors[i].offset);
        }
    }
}

TEST_CASE("gguf file: header-only and cut-short copies parse with data_present false") {
    temp_dir d;
    const writer w = synthesize(small_spec());
    const std::string head = d.file("head.gguf");
    REQUIRE(w.write(head, data_fill::header_only));
    auto m = open(head);
    REQUIRE(m.has_value());
    CHECK_FALSE(m->data_present());
    CHECK(m->data_bytes_available() == 0);
    CHECK(m->data_bytes_expected() > 0);
    CHECK(m->header().data().available == fs::file_size(head));
    CHECK(m->view().hp.n_layer == 3);
    // cut in the middle of the data
    const auto full = w.bytes(data_fill::zeros);
    const std::string cut = d.file("cut.gguf");
    const std::size_t keep = m->header().data().offset + 1000;
    REQUIRE(writer::write_file(cut, std::span<const std::byte>(full.data(), keep)));
    auto c = open(cut);
    REQUIRE(c.has_value());
    CHECK_FALSE(c->data_present());
    CHECK(c->data_bytes_available() == 1000);
    CHECK(c->header().data().missing() == c->header().data().expected_end - keep);
}

TEST_CASE("gguf file: errors name the file") {
    temp_dir d;
    file_error fe;
    auto m = open(d.file("absent.gguf"), fe);
    CHECK(m.error().code == errc::not_found);
    CHECK(fe.path == d.file("absent.gguf"));
    const std::string junk = d.file("junk.gguf");
    const std::vector<std::byte> j(100, std::byte{'x'});
    REQUIRE(writer::write_file(junk, j));
    auto b = open(junk, fe);
    CHECK(b.error().code == errc::bad_magic);
    CHECK(fe.path == junk);
    const std::string empty = d.file("empty.gguf");
    REQUIRE(writer::write_file(empty, {}));
    CHECK(open(empty).error().code == errc::truncated);
    CHECK(open(d.path.string()).error().code == errc::io_error);  // a directory
}

TEST_CASE("gguf file: a split model's headers joined from memory (open_memory_parts)") {
    const writer w = synthesize(small_spec());
    const auto parts = w.split_bytes(3, data_fill::header_only);
    REQUIRE(parts.size() == 3);
    file_error fe;
    auto m = open_memory_parts(parts, {"a-00001-of-00003.gguf", "a-00002-of-00003.gguf", "a-00003-of-00003.gguf"}, fe);
    REQUIRE(m.has_value());
    CHECK(m->parts().size() == 3);
    const model v = m->view();
    REQUIRE(v.tensors.size() == w.tensors().size());
    for (std::size_t i = 0; i < v.tensors.size(); ++i) CHECK(v.tensors[i].name == w.tensors()[i].name);
    CHECK(v.hp.n_layer == 3);
    CHECK(v.hp.n_vocab == 500);
    CHECK(m->locations().back().split == 2);
    // parts out of order, a part missing, or no name per part: errors naming the part
    auto swapped = open_memory_parts({parts[0], parts[2], parts[1]}, {"p1", "p3", "p2"}, fe);
    REQUIRE_FALSE(swapped.has_value());
    CHECK(swapped.error().code == errc::invalid_argument);
    CHECK(fe.path == "p3");
    auto missing = open_memory_parts({parts[0], parts[1]}, {"p1", "p2"}, fe);
    REQUIRE_FALSE(missing.has_value());
    CHECK(fe.path == "p1");
    CHECK(open_memory_parts({parts[0]}, {}, fe).error().code == errc::invalid_argument);
    // one unsplit model in memory is a model too
    auto single = open_memory_parts({w.bytes(data_fill::header_only)}, {"one.gguf"}, fe);
    REQUIRE(single.has_value());
    CHECK(single->view().tensors.size() == w.tensors().size());
}

TEST_CASE("gguf file: a model split in 3 parts") {
    temp_dir d;
    const writer w = synthesize(small_spec());
    const std::string prefix = d.file("model");
    for (data_fill fill : {data_fill::pattern, data_fill::header_only}) {
        CAPTURE(static_cast<int>(fill));
        const auto paths = w.write_split(prefix, 3, fill);
        REQUIRE(paths.size() == 3);
        CHECK(paths[0] == prefix + "-00001-of-00003.gguf");
        CHECK(paths[2] == prefix + "-00003-of-00003.gguf");
        for (const auto& start : {paths[0], paths[1]}) {  // any part opens the whole model
            auto m = open(start);
            REQUIRE(m.has_value());
            CHECK(m->parts().size() == 3);
            CHECK(m->data_present() == (fill != data_fill::header_only));
            const model v = m->view();
            REQUIRE(v.tensors.size() == w.tensors().size());
            for (std::size_t i = 0; i < v.tensors.size(); ++i) CHECK(v.tensors[i].name == w.tensors()[i].name);
            CHECK(v.hp.n_layer == 3);
            CHECK(v.hp.n_vocab == 500);
            // each part's tensors start at offset 0 of its own data section and remember their split
            std::uint32_t last_split = 0;
            for (std::size_t i = 0; i < v.tensors.size(); ++i) {
                const auto loc = m->locations()[i];
                CHECK(loc.split >= last_split);
                CHECK(v.tensors[i].file == loc.split);
                if (loc.split != last_split) CHECK(v.tensors[i].offset == 0);
                last_split = loc.split;
                CHECK(loc.file_offset == m->parts()[loc.split]->header.data().offset + v.tensors[i].offset);
                if (fill == data_fill::pattern && v.tensors[i].bytes != 0)
                    CHECK(byte_at(*m, i) == static_cast<std::uint8_t>((v.tensors[i].offset * 31 + 7) & 0xFF));
            }
            CHECK(last_split == 2);
        }
        // without split loading only the named part is opened
        open_options one;
        one.load_splits = false;
        auto m0 = open(paths[0], one);
        REQUIRE(m0.has_value());
        CHECK(m0->parts().size() == 1);
        CHECK(m0->tensors().size() < w.tensors().size());
        // later parts carry only the split keys, so alone they have no hyper-parameters
        CHECK(open(paths[1], one).error().code == errc::missing_key);
    }
    // a missing part is an error naming it
    const auto paths = w.write_split(prefix, 3, data_fill::header_only);
    fs::remove(paths[2]);
    file_error fe;
    auto m = open(paths[0], fe);
    CHECK(m.error().code == errc::not_found);
    CHECK(fe.path == paths[2]);
    // a part renamed out of place disagrees with its split.no
    fs::copy_file(paths[1], paths[2]);
    auto bad = open(paths[0], fe);
    CHECK(bad.error().code == errc::invalid_argument);
    CHECK(fe.path == paths[2]);
    // a split file under a name without the -NNNNN-of-NNNNN suffix
    const std::string renamed = d.file("plain.gguf");
    fs::copy_file(paths[0], renamed);
    CHECK(open(renamed).error().code == errc::invalid_argument);
}

TEST_CASE("gguf file: split names") {
    std::string_view prefix;
    std::uint32_t i = 0, n = 0;
    CHECK(parse_split_path("/a/b/model-00002-of-00005.gguf", prefix, i, n));
    CHECK(prefix == "/a/b/model");
    CHECK(i == 1);
    CHECK(n == 5);
    CHECK_FALSE(parse_split_path("model-00006-of-00005.gguf", prefix, i, n));
    CHECK_FALSE(parse_split_path("model-00000-of-00005.gguf", prefix, i, n));
    CHECK_FALSE(parse_split_path("model.gguf", prefix, i, n));
    CHECK_FALSE(parse_split_path("model-0000a-of-00005.gguf", prefix, i, n));
    CHECK(split_path("x", 0, 3) == "x-00001-of-00003.gguf");
}

namespace {
struct tsv_row {
    std::string name, type, shape;
    std::uint64_t nbytes = 0, offset = 0;
};
std::vector<tsv_row> read_tsv(const std::string& path) {
    std::vector<tsv_row> rows;
    std::ifstream f(path);
    std::string line;
    std::getline(f, line);  // header
    while (std::getline(f, line)) {
        std::istringstream ls(line);
        tsv_row r;
        std::string nb, off;
        std::getline(ls, r.name, '\t');
        std::getline(ls, r.type, '\t');
        std::getline(ls, r.shape, '\t');
        std::getline(ls, nb, '\t');
        std::getline(ls, off, '\t');
        r.nbytes = std::stoull(nb);
        r.offset = std::stoull(off);
        rows.push_back(r);
    }
    return rows;
}
std::string shape_of(const tensor_info& t) {
    std::string s;
    for (std::uint32_t d = 0; d < t.n_dims; ++d) s += (d ? "x" : "") + std::to_string(t.ne[d]);
    return s;
}
}  // namespace

TEST_CASE("gguf file: real header-only GGUF copies match the recorded tensor tables") {
    const char* shared = std::getenv("LLAMAPLAN_SHARED");
    const fs::path models = shared ? fs::path(shared) / "groundtruth" / "models" : fs::path();
    if (shared == nullptr || !fs::is_directory(models)) {
        MESSAGE("skipped: set LLAMAPLAN_SHARED to a directory holding groundtruth/models to run this check");
        return;
    }
    struct expect {
        const char* model;
        const char* arch;
        std::uint32_t n_layer, n_embd, n_vocab, n_head, n_head_kv, n_ff, head_k, n_swa, n_expert, n_expert_used;
        std::size_t swa_layers;
    };
    // the same numbers as tests/fixtures/gguf/*.tsv and the GGUF metadata (llama.cpp prints them at load)
    const expect cases[] = {
        {"qwen3moe-6L-Q4_K_M", "qwen3moe", 6, 1024, 151936, 16, 4, 6144, 128, 0, 16, 4, 0},
        {"gemma3-1b-12L-Q4_K_M", "gemma3", 12, 1152, 262144, 4, 1, 6912, 256, 512, 0, 0, 10},
        {"llama2-tiny-Q8_0", "llama", 6, 512, 32000, 8, 8, 1536, 64, 0, 0, 0, 0},
    };
    std::size_t checked = 0;
    for (const auto& e : cases) {
        CAPTURE(e.model);
        const fs::path gguf_path = models / (std::string(e.model) + ".gguf");
        if (!fs::exists(gguf_path)) {
            MESSAGE("missing " << gguf_path.string());
            continue;
        }
        auto m = open(gguf_path.string());
        REQUIRE(m.has_value());
        CHECK_FALSE(m->data_present());  // header-only copies
        const model v = m->view();
        CHECK(v.hp.architecture == e.arch);
        CHECK(v.hp.n_layer == e.n_layer);
        CHECK(v.hp.n_embd == e.n_embd);
        CHECK(v.hp.n_vocab == e.n_vocab);
        CHECK(v.hp.n_head == e.n_head);
        CHECK(v.hp.n_head_kv == e.n_head_kv);
        CHECK(v.hp.n_ff == e.n_ff);
        CHECK(v.hp.n_embd_head_k == e.head_k);
        CHECK(v.hp.n_swa == e.n_swa);
        CHECK(v.hp.n_expert == e.n_expert);
        CHECK(v.hp.n_expert_used == e.n_expert_used);
        std::size_t swa = 0;
        for (std::uint32_t il = 0; il < v.hp.n_layer; ++il) swa += v.hp.is_swa(il) ? 1 : 0;
        CHECK(swa == e.swa_layers);
        const auto rows = read_tsv(std::string(LLAMAPLAN_FIXTURES) + "/gguf/" + e.model + ".tsv");
        REQUIRE(rows.size() == v.tensors.size());
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const auto& t = v.tensors[i];
            CAPTURE(rows[i].name);
            CHECK(t.name == rows[i].name);
            CHECK(parse_type(rows[i].type) == t.type);
            CHECK(shape_of(t) == rows[i].shape);
            CHECK(t.bytes == rows[i].nbytes);
            CHECK(m->header().data().offset + t.offset == rows[i].offset);  // the table's offsets are absolute
        }
        CHECK(m->header().data().expected_end == rows.back().offset + rows.back().nbytes);
        ++checked;
    }
    // every other model of the shared set parses and matches its own table
    const fs::path tables = fs::path(shared) / "groundtruth" / "tensors";
    for (const auto& entry : fs::directory_iterator(models)) {
        if (entry.path().extension() != ".gguf") continue;
        CAPTURE(entry.path().string());
        auto m = open(entry.path().string());
        REQUIRE(m.has_value());
        const fs::path table = tables / (entry.path().stem().string() + ".tsv");
        if (!fs::exists(table)) continue;
        const auto rows = read_tsv(table.string());
        REQUIRE(rows.size() == m->tensors().size());
        for (std::size_t i = 0; i < rows.size(); ++i) {
            CHECK(m->tensors()[i].bytes == rows[i].nbytes);
            CHECK(m->header().data().offset + m->tensors()[i].offset == rows[i].offset);
        }
        ++checked;
    }
    CHECK(checked > 0);
}
