// The rows of the public llama.cpp speed data (shared/public, or the compact copy in tests/data/public) turned into
// throughput predictions: which machine, model, settings and workload each row describes. Shared by
// bench/throughput and tests/unit/test_perf_public.cpp.
#ifndef LLAMAPLAN_BENCH_THROUGHPUT_ROWS_HPP
#define LLAMAPLAN_BENCH_THROUGHPUT_ROWS_HPP

#include <llamaplan.hpp>
#include <llamaplan/catalog.hpp>
#include <llamaplan/devices.hpp>
#include <llamaplan/gguf/catalog.hpp>
#include <llamaplan/perf.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace tput {

/// One measured speed.
struct row {
    std::string file;        ///< source file name
    std::string hardware;    ///< chip / GPU / CPU as the file names it
    std::string model;       ///< model as the file names it
    std::string quant;       ///< quantization as the file names it
    std::string ram;         ///< memory configuration (cpu.csv)
    std::string bw_stated;   ///< stated bandwidth (GB/s; apple bw_gbs, cpu ram_bw_gbs_stated)
    std::string size;        ///< reported model size (GiB, or "N MB")
    std::string threads;     ///< threads (cpu.csv)
    std::string test;        ///< test as the file names it
    std::string notes;       ///< notes (fa=1, ...)
    std::uint32_t gpu_cores = 0;  ///< Apple GPU cores
    bool decode = true;      ///< decode (tg) or prefill (pp)
    double measured = 0;     ///< tokens/s
    bool scaled = false;     ///< set by predict: weights scaled to the reported size
};

/// Splits one CSV line (double-quoted fields, "" escapes).
inline std::vector<std::string> split_csv(const std::string& line) {
    std::vector<std::string> out(1);
    bool q = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char ch = line[i];
        if (q) {
            if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') { out.back() += '"'; ++i; }
            else if (ch == '"') q = false;
            else out.back() += ch;
        } else if (ch == '"') q = true;
        else if (ch == ',') out.emplace_back();
        else if (ch != '\r') out.back() += ch;
    }
    return out;
}

inline double number(const std::string& s) {
    std::size_t i = 0;
    while (i < s.size() && !(s[i] >= '0' && s[i] <= '9')) ++i;
    if (i == s.size()) return 0;
    return std::atof(s.c_str() + i);
}

/// Reads one file's rows (one row per measured number). Comment lines start with '#'.
inline bool load_file(const std::string& dir, const std::string& name, std::vector<row>& out, std::string& err) {
    std::ifstream f(dir + "/" + name);
    if (!f) { err = "cannot open " + dir + "/" + name; return false; }
    std::string line;
    std::vector<std::string> head;
    while (std::getline(f, line)) {
        if (line.empty() || line[0] == '#') continue;
        auto v = split_csv(line);
        if (head.empty()) { head = v; continue; }
        std::map<std::string, std::string> c;
        for (std::size_t i = 0; i < head.size() && i < v.size(); ++i) c[head[i]] = v[i];
        row r;
        r.file = name;
        if (name == "apple_silicon.csv") {
            r.hardware = c["chip"];
            r.model = "Llama-2-7B";
            r.bw_stated = c["bw_gbs"];
            r.gpu_cores = static_cast<std::uint32_t>(number(c["gpu_cores"]));
            for (const char* q : {"f16", "q8_0", "q4_0"})
                for (const char* t : {"pp512", "tg128"}) {
                    const std::string k = std::string(q) + "_" + t;
                    if (c[k].empty()) continue;
                    row x = r;
                    x.quant = q;
                    x.test = t;
                    x.decode = t[0] == 't';
                    x.measured = number(c[k]);
                    out.push_back(x);
                }
        } else if (name == "cuda.csv") {
            r.hardware = c["gpu"];
            r.model = "Llama-2-7B";
            r.quant = c["quant"];
            r.size = c["size_gib"];
            r.notes = c["notes"];
            for (const char* t : {"pp512", "tg128"}) {
                if (c[t].empty()) continue;
                row x = r;
                x.test = t;
                x.decode = t[0] == 't';
                x.measured = number(c[t]);
                out.push_back(x);
            }
        } else {
            r.hardware = c["hardware"];
            r.model = c["model"];
            r.quant = c["quant"];
            r.ram = c["ram_config"];
            r.bw_stated = c["ram_bw_gbs_stated"];
            r.size = c["size_gib"];
            r.threads = c["threads"];
            r.test = c["test"];
            r.notes = c["notes"];
            r.decode = !(r.test.rfind("pp", 0) == 0);
            r.measured = number(c["t_per_s"]);
            out.push_back(r);
        }
    }
    return true;
}

/// Sets a perf_constants field by name.
inline bool set_constant(llamaplan::perf_constants& c, const std::string& n, double v) {
    const std::map<std::string, double llamaplan::perf_constants::*> m = {
        {"bw_gpu", &llamaplan::perf_constants::bw_gpu}, {"bw_metal", &llamaplan::perf_constants::bw_metal},
        {"bw_cpu", &llamaplan::perf_constants::bw_cpu},
        {"layer_overhead_gpu_s", &llamaplan::perf_constants::layer_overhead_gpu_s},
        {"layer_overhead_metal_s", &llamaplan::perf_constants::layer_overhead_metal_s},
        {"cpu_thread_reach", &llamaplan::perf_constants::cpu_thread_reach}, {"mm_gpu", &llamaplan::perf_constants::mm_gpu},
        {"mm_metal", &llamaplan::perf_constants::mm_metal}, {"cpu_f16", &llamaplan::perf_constants::cpu_f16},
        {"cpu_q8_0", &llamaplan::perf_constants::cpu_q8_0}, {"cpu_q4_0", &llamaplan::perf_constants::cpu_q4_0},
        {"cpu_kquant", &llamaplan::perf_constants::cpu_kquant}, {"cpu_iquant", &llamaplan::perf_constants::cpu_iquant},
        {"cpu_decode_compute", &llamaplan::perf_constants::cpu_decode_compute},
        {"mm_gpu_fp16_fallback", &llamaplan::perf_constants::mm_gpu_fp16_fallback},
        {"link_efficiency", &llamaplan::perf_constants::link_efficiency},
        {"hop_latency_s", &llamaplan::perf_constants::hop_latency_s},
        {"fa_off_attention_factor", &llamaplan::perf_constants::fa_off_attention_factor}};
    auto it = m.find(n);
    if (it == m.end()) return false;
    c.*(it->second) = v;
    return true;
}

/// A row's prediction.
struct prediction {
    bool ok = false;
    std::string why;          ///< reason when !ok
    std::string file;
    bool decode = true;
    double predicted = 0, measured = 0;  ///< tokens/s
    std::string bound;        ///< what bounds it
};

inline bool has(const std::string& s, const char* p) { return s.find(p) != std::string::npos; }

/// The catalog model a row names ("" when none).
inline std::string catalog_name(const row& r) {
    const std::string& m = r.model;
    if (has(m, "Llama-2-7B") || has(m, "llama 7B")) return "llama-2-7b";
    if (has(m, "LLaMA-3.1-8B")) return "llama-3.1-8b";
    if (has(m, "Qwen3-30B-A3B")) return "qwen3-30b-a3b";
    if (has(m, "Midnight Miqu 70B")) return "llama-2-70b";
    if (has(m, "LLaMA 33B")) return "llama-1-33b";
    if (has(m, "DeepSeek-Coder-V2-Lite")) return "deepseek-coder-v2-lite";
    if (has(m, "dense 7B (7.6B)")) return "qwen2.5-7b";
    if (has(m, "dense 8B")) return "llama-3-8b";
    return {};
}

/// The main weight type a quantization string names (first word, ggml spelling), or nullopt.
inline std::optional<llamaplan::ggml_type> main_type(std::string q) {
    if (has(q, "IQ4_XS") || has(q, "experts IQ4_XS")) return llamaplan::ggml_type::iq4_xs;
    q = q.substr(0, q.find_first_of(" ("));
    std::string lower;
    for (char ch : q) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (lower == "q2_k" || lower == "q3_k" || lower == "q4_k" || lower == "q5_k" || lower == "q6_k")
        return llamaplan::parse_type(lower);
    if (auto t = llamaplan::parse_type(lower)) return t;
    return std::nullopt;
}

/// The host described by a cpu.csv row: the CPU table entry, memory from the row's configuration.
inline bool host_of(const row& r, llamaplan::host& h, std::string& why) {
    const llamaplan::cpu_spec* best = nullptr;
    for (const auto& c : llamaplan::cpu_table) {
        std::string n(c.name);
        if (n == "Apple M2 Max CPU") n = "Apple M2 Max";
        if (has(r.hardware, n.c_str()) && (!best || c.name.size() > best->name.size())) best = &c;
    }
    if (!best) { why = "CPU not in the table"; return false; }
    h.cpus_physical = h.cpus_logical = best->cores;
    h.flops = static_cast<std::uint64_t>(best->cores * best->ghz * 1e9 * best->flops_per_cycle);
    double bw = best->bandwidth_gbs * 1e9;
    const double stated = number(r.bw_stated);
    // "dual-channel DDR4 @ 3466 MHz", "quad-channel DDR4 @ 2133 MHz", "2 sticks DDR4-2133"
    std::uint32_t ch = 0;
    if (has(r.ram, "dual-channel") || has(r.ram, "2 sticks")) ch = 2;
    if (has(r.ram, "quad-channel")) ch = 4;
    double mts = 0;
    if (auto at = r.ram.find('@'); at != std::string::npos) mts = number(r.ram.substr(at));
    else if (auto d = r.ram.find("DDR4-"); d != std::string::npos) mts = number(r.ram.substr(d + 5));
    if (stated > 0) bw = stated * 1e9;
    else if (ch && mts > 0) bw = double(llamaplan::dram_bandwidth(static_cast<std::uint64_t>(mts), ch));
    else if (ch && best->mts) bw = double(llamaplan::dram_bandwidth(best->mts, ch));
    h.bandwidth = static_cast<std::uint64_t>(bw);
    h.memory_total = h.memory_available = 512ull << 30;
    return true;
}

/// Predicts one row with constants `c`.
inline prediction predict(row& r, const llamaplan::perf_constants& c) {
    using namespace llamaplan;
    prediction p;
    p.file = r.file;
    p.decode = r.decode;
    p.measured = r.measured;
    if (r.measured <= 0) { p.why = "no measurement"; return p; }
    const std::string name = catalog_name(r);
    if (name.empty()) { p.why = "model not in the catalog"; return p; }
    // the workload
    workload w;
    std::uint32_t prompt = 512;
    if (has(r.test, "pp4096") || has(r.test, "tg4096")) prompt = 4096;
    if (!r.decode) w.prompt_tokens = prompt;
    // tg N starts from an empty context: its average depth is N / 2; batched-bench S_TG runs after a 128 prompt
    if (r.decode) w.depth = has(r.test, "tg4096") ? 2048 : has(r.test, "PP128") ? 128 + 64 : 64;

    // the machine
    std::vector<device> gpus;
    machine hw;
    hw.host.cpus_physical = hw.host.cpus_logical = 8;
    hw.host.memory_total = hw.host.memory_available = 512ull << 30;
    launch_params lp;
    lp.flash_attn = flash_attn_mode::off;
    std::uint32_t threads = 0;
    if (r.file == "apple_silicon.csv") {
        auto d = parse_device_spec(r.hardware);
        if (!d) { p.why = "chip not in the device table"; return p; }
        device g = d->dev;
        if (number(r.bw_stated) > 0) g.bandwidth = static_cast<std::uint64_t>(number(r.bw_stated) * 1e9);
        if (r.gpu_cores && d->spec->gpu_cores) g.flops = static_cast<std::uint64_t>(double(g.flops) * r.gpu_cores / d->spec->gpu_cores);
        gpus.push_back(g);
        hw.host.cpus_physical = hw.host.cpus_logical = 8;
    } else if (r.file == "cuda.csv") {
        const device_spec* s = match_device(r.hardware);
        if (!s) { p.why = "GPU not in the device table"; return p; }
        auto d = parse_device_spec(s->name);
        gpus.push_back(d->dev);
        if (has(r.notes, "fa=1")) lp.flash_attn = flash_attn_mode::on;
    } else {
        if (!host_of(r, hw.host, p.why)) return p;
        if (has(r.hardware, "RTX 3070")) gpus.push_back(parse_device_spec("RTX 3070")->dev);  // CUDA build, -ngl 0
        const double t = number(r.threads);
        if (t > 0) threads = static_cast<std::uint32_t>(t);
        if (has(r.notes, "-fa 1") || has(r.notes, "FA on") || has(r.test, "-fa")) lp.flash_attn = flash_attn_mode::on;
        if (has(r.notes, "ctk/-ctv q8_0")) lp.type_k = lp.type_v = ggml_type::q8_0;
        if (has(r.notes, "K cache q8_0")) lp.type_k = ggml_type::q8_0;
        lp.n_gpu_layers = 0;
    }
    hw.devices = gpus;

    // the model: the catalog recipe when it names the scheme and matches the reported size, else the catalog shape
    // with the weights scaled to the reported size
    std::string q = r.quant;
    for (auto& ch : q) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    q = q.substr(0, q.find_first_of(" ("));
    if (q == "Q4_K") q = "Q4_K_M";
    auto ref = find_catalog_model(name + ":" + q);
    double reported = 0;
    if (has(r.size, "MB")) reported = number(r.size) * 1e6;
    else if (number(r.size) > 0) reported = number(r.size) * double(1ull << 30);
    std::optional<ggml_type> scale_type;
    if (!ref) {
        ref = find_catalog_model(name + ":F16");
        scale_type = main_type(r.quant);
        if (!scale_type) scale_type = ggml_type::q4_k;  // "not stated": the common Q4_K_M
        if (reported <= 0) { p.why = "quantization not in the catalog and no size"; return p; }
    }
    auto mf = gguf::open_catalog(*ref);
    if (!mf) { p.why = "catalog model failed"; return p; }
    const model m = mf->view();
    if (reported > 0 && !scale_type && std::fabs(double(m.total_bytes()) / reported - 1.0) > 0.02) scale_type = main_type(r.quant);
    lp.n_ctx = std::max<std::uint32_t>(2048, prompt + w.depth * 2 + 256);
    auto est = estimate_memory(m, hw, lp);
    if (!est) { p.why = std::string("estimate failed: ") + std::string(est.error().what); return p; }
    auto in = make_perf_inputs(m, hw, lp, *est);
    if (!in) { p.why = "perf inputs failed"; return p; }
    if (scale_type) {
        r.scaled = true;
        const double k = reported / double(m.total_bytes());
        for (auto& wk : in->work) wk.weight_bytes = static_cast<std::uint64_t>(double(wk.weight_bytes) * k);
        in->host_weights_streamed = static_cast<std::uint64_t>(double(in->host_weights_streamed) * k);
        in->weight_type = *scale_type;
    }
    in->threads = threads;
    in->threads_batch = threads;
    const auto t = predict_throughput(hw, *in, w, c);
    p.ok = true;
    p.predicted = r.decode ? t.decode_tps : t.prefill_tps;
    p.bound = std::string(to_string(r.decode ? t.decode_bound : t.prefill_bound));
    return p;
}

/// Median and max |relative error| of a set (percent).
struct summary {
    std::size_t n = 0;
    double median = 0, max = 0;
};

inline summary summarize(std::vector<double> e) {
    summary s;
    s.n = e.size();
    if (e.empty()) return s;
    std::sort(e.begin(), e.end());
    s.median = e.size() % 2 ? e[e.size() / 2] : 0.5 * (e[e.size() / 2 - 1] + e[e.size() / 2]);
    s.max = e.back();
    return s;
}

/// |predicted / measured - 1| in percent for the predictions of one file ("" = all) and phase.
inline std::vector<double> errors(const std::vector<prediction>& ps, const std::string& file, bool decode) {
    std::vector<double> e;
    for (const auto& p : ps)
        if (p.ok && p.decode == decode && (file.empty() || p.file == file))
            e.push_back(100.0 * std::fabs(p.predicted / p.measured - 1.0));
    return e;
}

/// Prints the `name value unit` lines.
inline void report(const std::vector<prediction>& ps, std::size_t skipped) {
    for (const std::string f : {"apple_silicon", "cuda", "cpu", "overall"}) {
        for (bool dec : {true, false}) {
            const auto s = summarize(errors(ps, f == "overall" ? "" : f + ".csv", dec));
            const std::string base = "throughput." + f + "." + (dec ? "decode" : "prefill");
            std::printf("%s.rows %zu rows\n", base.c_str(), s.n);
            std::printf("%s.median_abs_error %.1f %%\n", base.c_str(), s.median);
            std::printf("%s.max_abs_error %.1f %%\n", base.c_str(), s.max);
        }
    }
    std::printf("throughput.skipped_rows %zu rows\n", skipped);
}

}  // namespace tput

#endif  // LLAMAPLAN_BENCH_THROUGHPUT_ROWS_HPP
