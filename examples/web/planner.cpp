// The WebAssembly module behind the static page in examples/web: the planner, the catalog, the device table, the
// GGUF header parser and the emitters, exported as a few C functions (WASI reactor: no main; the page calls them).
// Built by tools/web.sh with Debian's clang-19 for wasm32-wasi, -fno-exceptions. The module does no I/O: the page
// fetches bytes (File.slice, HTTP Range requests) and feeds them to gguf::header_parser, which says what it needs.
//
// Calling convention (see llamaplan.js): the page writes its input into the buffer lp_input(n) returns, calls a
// function with the input's length, and reads the answer (UTF-8 JSON) from lp_output() / lp_output_size().
#include <llamaplan.hpp>
#include <llamaplan/gguf/catalog.hpp>
#include <llamaplan/gguf/file.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#define LP_EXPORT(name) extern "C" __attribute__((export_name(#name)))

namespace lp = llamaplan;

namespace {

/// Everything the page's calls share (one page, one module instance).
struct session {
    std::vector<char> input;             // what the page wrote last (lp_input)
    std::string output;                  // the last answer (JSON)
    // a GGUF header being read: the prefix fed so far and the parser driving the reads
    std::vector<std::byte> header;
    std::optional<lp::gguf::header_parser> parser;
    std::uint32_t requests = 0;
    // the parts of a split model read so far (lp_gguf_keep_part), in split order
    std::vector<std::vector<std::byte>> parts;
    std::vector<std::string> part_names;
    std::uint64_t parts_bytes = 0;
    std::uint32_t parts_requests = 0;
    // the model read from a header (a local file or a URL), kept for re-plans
    std::optional<lp::gguf::model_file> loaded;
    std::uint64_t loaded_bytes_read = 0;
    std::uint32_t loaded_requests = 0;
    // the catalog model last opened, kept while the page plans it again with other settings
    std::string catalog_name;
    std::optional<lp::gguf::model_file> catalog;
    std::unique_ptr<lp::model_summary> summary = std::make_unique<lp::model_summary>();
};

session& the_session() {
    static session s;
    return s;
}

/// Appends JSON text to a string.
struct json_out {
    std::string& s;
    void operator()(std::string_view x) const { s.append(x.data(), x.size()); }
};

void key(std::string& o, std::string_view k) {
    json_out w{o};
    lp::detail::json_string(w, k);
    o += ':';
}
void str(std::string& o, std::string_view v) {
    json_out w{o};
    lp::detail::json_string(w, v);
}
void num(std::string& o, std::uint64_t v) { o += std::to_string(v); }

/// "what (code, at N)", as the command-line tool describes an error value.
std::string describe(const lp::error& e) {
    std::string s(e.what);
    s += " (";
    s += std::string(lp::to_string(e.code));
    if (e.where != 0) s += ", at " + std::to_string(e.where);
    s += ")";
    return s;
}

void answer_error(std::string_view message) {
    auto& o = the_session().output;
    o = "{";
    key(o, "ok");
    o += "false,";
    key(o, "error");
    str(o, message);
    o += "}";
}

/// The input as NUL-separated fields.
std::vector<std::string_view> fields(std::size_t n) {
    auto& in = the_session().input;
    std::vector<std::string_view> out;
    if (n > in.size()) return out;
    std::string_view all(in.data(), n);
    while (!all.empty()) {
        const auto z = all.find('\0');
        out.push_back(all.substr(0, z));
        if (z == std::string_view::npos) break;
        all.remove_prefix(z + 1);
    }
    return out;
}

/// Model facts the page shows next to a plan.
void model_facts(std::string& o, const lp::gguf::model_file& mf) {
    const lp::model m = mf.view();
    key(o, "architecture");
    str(o, m.hp.architecture);
    o += ',';
    key(o, "tensors");
    num(o, m.tensors.size());
    o += ',';
    key(o, "weights");
    num(o, m.total_bytes());
    o += ',';
    key(o, "layers");
    num(o, m.hp.n_layer);
    o += ',';
    key(o, "n_ctx_train");
    num(o, m.hp.n_ctx_train);
}

}  // namespace

/// A buffer of at least `n` bytes for the page's next input (valid until the next call).
LP_EXPORT(lp_input) char* lp_input(std::uint32_t n) {
    auto& in = the_session().input;
    if (in.size() < n) in.resize(n);
    return in.data();
}
/// The last answer (UTF-8 JSON), and its size in bytes.
LP_EXPORT(lp_output) const char* lp_output() { return the_session().output.data(); }
LP_EXPORT(lp_output_size) std::uint32_t lp_output_size() { return static_cast<std::uint32_t>(the_session().output.size()); }

/// The catalog: `[{"name","alias","arch","params","quants":{"Q4_K_M":bytes,...}}, ...]`.
LP_EXPORT(lp_catalog) void lp_catalog() {
    auto& o = the_session().output;
    o = "[";
    bool first = true;
    for (const auto& e : lp::catalog_table) {
        if (!first) o += ',';
        first = false;
        o += '{';
        key(o, "name"); str(o, e.name); o += ',';
        key(o, "alias"); str(o, e.alias); o += ',';
        key(o, "arch"); str(o, e.arch); o += ',';
        key(o, "params"); num(o, lp::catalog_model_size(e, lp::quant_scheme::f16).params); o += ',';
        key(o, "quants"); o += '{';
        bool fq = true;
        for (std::size_t i = 0; i < lp::quant_scheme_count; ++i) {
            const auto q = static_cast<lp::quant_scheme>(i);
            if ((e.quants & lp::quant_bit(q)) == 0) continue;
            if (!fq) o += ',';
            fq = false;
            key(o, lp::to_string(q));
            num(o, lp::catalog_model_size(e, q).bytes);
        }
        o += "}}";
    }
    o += ']';
}

/// The device table: `[{"name","backend","memory","bandwidth_gbs","unified"}, ...]` (memory in bytes).
LP_EXPORT(lp_devices) void lp_devices() {
    auto& o = the_session().output;
    o = "[";
    bool first = true;
    for (const auto& d : lp::device_table) {
        if (!first) o += ',';
        first = false;
        o += '{';
        key(o, "name"); str(o, d.name); o += ',';
        key(o, "backend"); str(o, lp::to_string(d.kind)); o += ',';
        key(o, "memory"); num(o, static_cast<std::uint64_t>(d.memory_gib * double(1ull << 30))); o += ',';
        key(o, "bandwidth_gbs"); num(o, static_cast<std::uint64_t>(d.bandwidth_gbs)); o += ',';
        key(o, "unified"); o += d.unified_memory ? "true" : "false";
        o += '}';
    }
    o += ']';
}

/// Starts reading a GGUF header of `size` bytes (a negative size: unknown). Returns the first byte range to read as
/// lp_need() reports it.
LP_EXPORT(lp_gguf_begin) void lp_gguf_begin(double size) {
    auto& s = the_session();
    s.header.clear();
    s.requests = 0;
    const std::uint64_t total = size < 0 ? lp::gguf::unknown_size : static_cast<std::uint64_t>(size);
    s.parser.emplace(total);
}

/// The end (exclusive, bytes) of the range the parser needs next: the page reads [bytes fed, lp_gguf_need()) or
/// more in one request. 0 when the parse is complete or failed.
LP_EXPORT(lp_gguf_need) double lp_gguf_need() {
    auto& s = the_session();
    if (!s.parser || s.parser->status() != lp::gguf::parse_status::need_more) return 0;
    const auto r = s.parser->need();
    return static_cast<double>(r.offset + r.size);
}

/// Feeds the `n` bytes in the input buffer, which continue the header where the last feed ended; `last` says the
/// source has nothing more (the file or the response ended). Returns 0 when more bytes are needed, 1 when the header
/// is complete, 2 on an error (described by the output).
LP_EXPORT(lp_gguf_feed) int lp_gguf_feed(std::uint32_t n, int last) {
    auto& s = the_session();
    if (!s.parser) { answer_error("no header is being read"); return 2; }
    if (n > s.input.size()) { answer_error("input larger than its buffer"); return 2; }
    const auto* p = reinterpret_cast<const std::byte*>(s.input.data());
    s.header.insert(s.header.end(), p, p + n);
    ++s.requests;
    const std::span<const std::byte> prefix(s.header.data(), s.header.size());
    const auto st = last ? s.parser->feed_last(prefix) : s.parser->feed(prefix);
    if (st == lp::gguf::parse_status::need_more) return 0;
    if (st == lp::gguf::parse_status::failed) {
        answer_error("not a GGUF model header: " + describe(s.parser->failure()));
        return 2;
    }
    return 1;
}

/// Opens the model of the header just read (lp_gguf_feed returned 1); `name` (the input, `n` bytes) labels it.
/// Answers `{"ok":true,"architecture",...,"bytes_read","requests","split_count"}` or `{"ok":false,"error"}`.
LP_EXPORT(lp_gguf_open) int lp_gguf_open(std::uint32_t n) {
    auto& s = the_session();
    const auto f = fields(n);
    const std::string name = f.empty() ? std::string("model.gguf") : std::string(f[0]);
    if (!s.parser || s.parser->status() != lp::gguf::parse_status::complete) { answer_error("the header is not complete"); return 2; }
    const std::uint64_t read = s.header.size();
    lp::gguf::parse_options po;
    auto mf = lp::gguf::open_memory(s.header, name, po);  // a copy: a split model's first part is kept next
    if (!mf) { answer_error(name + ": " + describe(mf.error())); return 2; }
    std::uint32_t split_count = 1;
    if (auto c = mf->header().get_u32("split.count"); c && *c > 1) split_count = *c;
    s.loaded.emplace(std::move(*mf));
    s.loaded_bytes_read = read;
    s.loaded_requests = s.requests;
    auto& o = s.output;
    o = "{";
    key(o, "ok"); o += "true,";
    model_facts(o, *s.loaded);
    o += ',';
    key(o, "bytes_read"); num(o, read); o += ',';
    key(o, "requests"); num(o, s.requests); o += ',';
    key(o, "split_count"); num(o, split_count);
    o += '}';
    return split_count > 1 ? 3 : 0;
}

/// Keeps the header just read (lp_gguf_feed returned 1) as the next part of a split model; `name` (the input)
/// labels it. Returns the number of parts kept, or -1 (described by the output).
LP_EXPORT(lp_gguf_keep_part) int lp_gguf_keep_part(std::uint32_t n) {
    auto& s = the_session();
    const auto f = fields(n);
    if (!s.parser || s.parser->status() != lp::gguf::parse_status::complete) { answer_error("the header is not complete"); return -1; }
    s.parts_bytes += s.header.size();
    s.parts_requests += s.requests;
    s.parts.push_back(std::move(s.header));
    s.part_names.emplace_back(f.empty() ? std::string("part") : std::string(f[0]));
    s.header = {};
    s.parser.reset();
    return static_cast<int>(s.parts.size());
}

/// Forgets the parts kept so far.
LP_EXPORT(lp_gguf_reset_parts) void lp_gguf_reset_parts() {
    auto& s = the_session();
    s.parts.clear();
    s.part_names.clear();
    s.parts_bytes = 0;
    s.parts_requests = 0;
}

/// Opens the split model of the parts kept (gguf::open_memory_parts checks split.no / split.count); answers as
/// lp_gguf_open, with the bytes and requests of all parts.
LP_EXPORT(lp_gguf_open_parts) int lp_gguf_open_parts() {
    auto& s = the_session();
    const std::uint64_t read = s.parts_bytes;
    const std::uint32_t requests = s.parts_requests;
    const std::size_t n_parts = s.parts.size();
    lp::gguf::file_error fe;
    auto mf = lp::gguf::open_memory_parts(std::move(s.parts), std::move(s.part_names), fe);
    lp_gguf_reset_parts();
    if (!mf) { answer_error(fe.path + ": " + describe(mf.error())); return 2; }
    s.loaded.emplace(std::move(*mf));
    s.loaded_bytes_read = read;
    s.loaded_requests = requests;
    auto& o = s.output;
    o = "{";
    key(o, "ok"); o += "true,";
    model_facts(o, *s.loaded);
    o += ',';
    key(o, "bytes_read"); num(o, read); o += ',';
    key(o, "requests"); num(o, requests); o += ',';
    key(o, "split_count"); num(o, n_parts);
    o += '}';
    return 0;
}

/// Plans. The input is NUL-separated `key`, `value` pairs:
///   model NAME:QUANT        a catalog model, or `loaded` for the header read last (lp_gguf_open)
///   path TEXT               how the command names the model (`-m TEXT`; a catalog model's name by default)
///   url TEXT                the model is at this URL: the command loads it with `-mu URL`
///   gpu SPEC                a GPU as the CLI's --gpu takes it (repeatable)
///   ram SIZE, cores N       host RAM (e.g. 64GiB) and CPU cores (the CLI's --host-ram, --host-cores)
///   preset NAME             the planning goal (balanced by default)
///   format NAME             llama-server (default), llama-swap, llama-cpp-python, json
///   arg TEXT                one llama-server argument pinned by the user (repeatable, in order)
/// Answers `{"ok":..,"rc":0|2|3,"command","text","plan":{emit_json},"model":{..}}`: `text` is what `llamaplan plan`
/// prints for the format (json: its JSON line), `command` the llama-server command line; `rc` the CLI's exit code.
LP_EXPORT(lp_plan) int lp_plan(std::uint32_t n) {
    auto& s = the_session();
    const auto f = fields(n);
    std::string model_ref = "", path, url, preset_name = "balanced", format = "llama-server";
    std::vector<std::string> gpus, args;
    std::string ram, cores;
    for (std::size_t i = 0; i + 1 < f.size(); i += 2) {
        const std::string_view k = f[i], v = f[i + 1];
        if (k == "model") model_ref = v;
        else if (k == "path") path = v;
        else if (k == "url") url = v;
        else if (k == "gpu") gpus.emplace_back(v);
        else if (k == "ram") ram = v;
        else if (k == "cores") cores = v;
        else if (k == "preset") preset_name = v;
        else if (k == "format") format = v;
        else if (k == "arg") args.emplace_back(v);
        else { answer_error("unknown request field '" + std::string(k) + "'"); return 2; }
    }
    if (format != "llama-server" && format != "llama-swap" && format != "llama-cpp-python" && format != "json") {
        answer_error("unknown format '" + format + "' (llama-server, llama-swap, llama-cpp-python, json)");
        return 2;
    }
    lp::preset_id preset = lp::preset_id::balanced;
    if (!lp::parse_preset(preset_name, preset)) {
        answer_error("--preset needs one of balanced, high_speed, more_context, system_safe, ultra_performance, "
                     "moe_optimized, general, long_context, speed, quality");
        return 2;
    }
    // the model
    const lp::gguf::model_file* mf = nullptr;
    if (model_ref == "loaded") {
        if (!s.loaded) { answer_error("no model header has been read"); return 2; }
        mf = &*s.loaded;
    } else {
        if (model_ref.empty()) { answer_error("no model given"); return 2; }
        if (!s.catalog || s.catalog_name != model_ref) {
            auto c = lp::gguf::open_catalog(model_ref);
            if (!c) {
                s.catalog.reset();
                answer_error(model_ref + ": " + describe(c.error()));
                return c.error().code == lp::errc::not_found ? 1 : 2;
            }
            s.catalog.emplace(std::move(*c));
            s.catalog_name = model_ref;
        }
        mf = &*s.catalog;
        if (path.empty()) path = model_ref;
    }
    if (path.empty()) path = "model.gguf";
    // the machine: the host (RAM and cores when given) and the GPUs, as `--no-probe --gpu ...` builds it
    std::deque<std::string> names;  // storage for device names
    std::vector<lp::device> devices;
    for (const auto& spec : gpus) {
        auto r = lp::parse_device_spec(spec);
        if (!r) {
            std::string err = "--gpu '" + spec + "': " + std::string(r.error().what);
            if (r.error().code == lp::errc::not_found) {
                std::string_view near[5];
                const std::size_t k = lp::closest_devices(spec, near);
                err += "; closest: ";
                for (std::size_t i = 0; i < k; ++i) err += (i ? ", " : "") + std::string(near[i]);
                err += " (or give BACKEND:FREE[:NAME], e.g. cuda:24GiB)";
            }
            answer_error(err);
            return 2;
        }
        lp::device d = r->dev;
        if (d.name.empty()) {
            names.push_back(std::string(lp::to_string(d.kind)) + std::to_string(devices.size()));
            d.name = names.back();
        } else if (!r->spec) {
            names.push_back(std::string(d.name));
            d.name = names.back();
        }
        for (std::uint32_t k = 0; k < r->count; ++k) devices.push_back(d);
    }
    lp::machine hw;
    if (!ram.empty()) {
        // as the CLI's --host-ram: a size (64GiB), a bare number is MiB, at least 64 MiB, all of it available
        const bool bare = ram.find_first_not_of("0123456789.") == std::string::npos;
        const std::uint64_t b = lp::detail::parse_size_bytes(bare ? ram + "MiB" : ram);
        if (b < (64ull << 20)) { answer_error("bad --host-ram '" + ram + "' (a size: 64GiB, or MiB)"); return 2; }
        hw.host.memory_total = hw.host.memory_available = b;
    }
    if (!cores.empty()) {
        std::uint32_t c = 0;
        for (char ch : cores) {
            if (ch < '0' || ch > '9' || c > 100000) { c = 0; break; }
            c = c * 10 + std::uint32_t(ch - '0');
        }
        if (c == 0 || c > 4096) { answer_error("bad --host-cores '" + cores + "'"); return 2; }
        hw.host.cpus_physical = hw.host.cpus_logical = c;
    }
    hw.devices = devices;
    // the pinned flags, as llama-server takes them
    std::vector<std::string_view> argv(args.begin(), args.end());
    auto parsed = lp::parse_server_args(argv);
    if (!parsed) {
        const auto at = parsed.error().where;
        answer_error(std::string(parsed.error().what) + (at < argv.size() ? " ('" + std::string(argv[at]) + "')" : std::string{}));
        return 2;
    }
    if (!parsed->model.empty()) { answer_error("give the model in the model field, not with -m"); return 2; }
    if (!parsed->draft_model.empty() || !parsed->mmproj.empty()) {
        answer_error("a draft model (-md) or a projector (--mmproj) cannot be planned in the browser yet");
        return 2;
    }
    lp::goal g = lp::goal_from_args(*parsed, preset);
    if (format == "llama-cpp-python" && !lp::python_goal(g)) {
        answer_error("llama-cpp-python cannot express -ot / --cpu-moe / --n-cpu-moe or several slots");
        return 2;
    }
    const lp::model m = mf->view();
    if (auto ok = lp::summarize_for(m, hw, g, *s.summary); !ok) { answer_error(path + ": " + describe(ok.error())); return 2; }
    const lp::model_request req{&m, s.summary.get(), g, nullptr};
    lp::plan pl;
    if (auto r = lp::plan_models(std::span<const lp::model_request>(&req, 1), hw, std::span<lp::plan>(&pl, 1)); !r) {
        answer_error(describe(r.error()));
        return 2;
    }
    const int rc = pl.fits ? 0 : 3;
    // a model at a URL: llama-server downloads it with -mu (the emitters write -m PATH; the sink swaps the flag)
    const bool from_url = !url.empty() && model_ref == "loaded";
    if (from_url) path = url;
    bool saw_m = false;
    auto swap_m = [&](std::string_view a) -> std::string_view {
        if (from_url && !saw_m && a == "-m") { saw_m = true; return "-mu"; }
        return a;
    };
    std::string command, text, plan_json;
    {
        bool first = true;
        saw_m = false;
        (void)lp::emit_argv(pl, m, *s.summary, hw, path, [&](std::string_view a) {
            if (!first) command += ' ';
            first = false;
            lp::shell_quote(swap_m(a), json_out{command});
        });
    }
    {
        saw_m = false;
        // emit_json writes the argv with -m: for a URL the argv array keeps llama-server's -mu as well
        std::string j;
        lp::emit_json(pl, m, *s.summary, hw, path, json_out{j});
        if (from_url) {
            const std::string needle = "\"argv\":[\"llama-server\",\"-m\",";
            if (const auto at = j.find(needle); at != std::string::npos)
                j.replace(at, needle.size(), "\"argv\":[\"llama-server\",\"-mu\",");
        }
        plan_json = j;
    }
    bool expressible = true;
    if (format == "llama-server") {
        text = command;
    } else if (format == "llama-swap") {
        saw_m = false;
        expressible = lp::emit_llama_swap(pl, m, *s.summary, hw, path, [&](std::string_view a) { json_out{text}(swap_m(a)); }, "  ");
    } else if (format == "llama-cpp-python") {
        expressible = lp::emit_python_kwargs(pl, hw, path, json_out{text});
        if (!expressible) text = "# llama-cpp-python cannot express this plan (tensor overrides or several slots)\n";
    } else {
        text = plan_json + "\n";
    }
    auto& o = s.output;
    o = "{";
    key(o, "ok"); o += pl.fits ? "true" : "false"; o += ',';
    key(o, "rc"); num(o, static_cast<std::uint64_t>(rc)); o += ',';
    key(o, "expressible"); o += expressible ? "true" : "false"; o += ',';
    key(o, "command"); str(o, command); o += ',';
    key(o, "text"); str(o, text); o += ',';
    key(o, "model"); o += '{';
    model_facts(o, *mf);
    if (mf == &*s.loaded) {
        o += ',';
        key(o, "bytes_read"); num(o, s.loaded_bytes_read); o += ',';
        key(o, "requests"); num(o, s.loaded_requests);
    }
    o += "},";
    key(o, "plan"); o += plan_json;
    o += '}';
    return rc;
}
