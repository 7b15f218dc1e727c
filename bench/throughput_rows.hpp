// The rows of the public llama.cpp speed data (shared/public, or the compact copy in tests/data/public) turned into
// throughput predictions: which machine, model, settings and workload each row describes, which group it belongs to
// (one GPU, several GPUs, expert offload, Apple, CPU, Vulkan, ROCm, GB10) and whether it is fitted or held out
// (split.csv). Shared by bench/throughput and tests/adapters/test_perf_catalog.cpp.
#ifndef LLAMAPLAN_BENCH_THROUGHPUT_ROWS_HPP
#define LLAMAPLAN_BENCH_THROUGHPUT_ROWS_HPP

#include <llamaplan.hpp>
#include <llamaplan/catalog.hpp>
#include <llamaplan/devices.hpp>
#include <llamaplan/gguf/catalog.hpp>
#include <llamaplan/perf.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace tput {

/// The data files bench/throughput reads, in order.
inline const std::vector<std::string>& data_files() {
    static const std::vector<std::string> f = {"apple_silicon.csv", "cuda.csv", "cpu.csv", "llama3_xiongjiedai.csv",
                                               "moe_offload.csv", "more_llama_bench.csv"};
    return f;
}

/// The groups reported, in order (each needs >= 10 rows of a phase to count).
inline const std::vector<std::string>& group_names() {
    static const std::vector<std::string> g = {"one_gpu", "multi_gpu", "moe_offload", "apple", "cpu", "vulkan", "rocm", "gb10"};
    return g;
}

/// One measured speed.
struct row {
    std::string file;        ///< source file name
    std::string hardware;    ///< chip / GPU / CPU / machine as the file names it
    std::string machine;     ///< the split key: hardware (+ " (backend)" in more_llama_bench.csv, + " xN" for N GPUs)
    std::string model;       ///< model as the file names it
    std::string quant;       ///< quantization as the file names it
    std::string ram;         ///< memory configuration (cpu.csv, moe_offload.csv)
    std::string bw_stated;   ///< stated bandwidth (GB/s)
    std::string size;        ///< reported model size (GiB, "N MB" or "N GB")
    std::string threads;     ///< threads
    std::string test;        ///< test as the file names it
    std::string notes;       ///< notes and settings (fa=1, -ctk q8_0, offload flags, ...)
    std::string backend;     ///< CUDA / Metal / Vulkan / ROCm / CPU
    std::string gpu;         ///< GPU name to look up in the device table ("" = the hardware column)
    std::string cpu;         ///< CPU name to look up in the CPU table ("" = none stated)
    std::uint32_t gpu_cores = 0;  ///< Apple GPU cores
    std::uint32_t n_gpus = 1;     ///< GPUs (layer split)
    bool decode = true;      ///< decode (tg) or prefill (pp)
    double measured = 0;     ///< tokens/s
    std::uint32_t prompt = 512, depth = 0;  ///< workload
    bool workload_set = false;              ///< prompt / depth parsed from the test (else the cpu.csv rules)
    std::uint32_t n_ubatch = 512;           ///< -ub
    bool fa = false;                        ///< -fa 1
    std::int32_t n_cpu_moe = -1;            ///< --n-cpu-moe (-1 = none)
    bool cpu_moe = false;                   ///< --cpu-moe / -ot exps=CPU
    std::int32_t ngl = -1;                  ///< -ngl (-1 = all)
    bool fork = false;       ///< a fork or patched build: reported apart, never fitted
    bool proxy = false;      ///< model not in the catalog: a catalog model of the same kind scaled to its size
    bool heldout = true;     ///< held out by split.csv (machines missing there count as held out)
    bool host_unknown = false;  ///< experts on a host whose CPU and memory the source does not state: not fitted
    std::string group;       ///< one of group_names()
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

inline bool has(const std::string& s, const char* p) { return s.find(p) != std::string::npos; }

inline std::string lower(std::string s) {
    for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
}

/// The number after `key` in `s` ("--n-cpu-moe 24" -> 24), or -1.
inline std::int32_t flag_value(const std::string& s, const char* key) {
    const auto at = s.find(key);
    if (at == std::string::npos) return -1;
    std::size_t i = at + std::string(key).size();
    while (i < s.size() && (s[i] == ' ' || s[i] == '=')) ++i;
    if (i >= s.size() || !(s[i] >= '0' && s[i] <= '9')) return -1;
    return static_cast<std::int32_t>(std::atoi(s.c_str() + i));
}

/// Reads a llama-bench test ("pp512", "tg128", "pp2048 @ d4096", "tg32 @ d8192", "pp512 @N_KV=0") into the row's
/// workload; tg N from depth D averages depth D + N / 2. False when the test names no size (server figures).
inline bool parse_test(row& r, const std::string& test) {
    const std::string t = lower(test);
    std::size_t i = 0;
    while (i < t.size() && t[i] == ' ') ++i;
    if (has(t, "+")) return false;  // pp512+tg128: a combined figure
    const bool pp = t.compare(i, 2, "pp") == 0, tg = t.compare(i, 2, "tg") == 0;
    double d = 0;
    if (auto at = t.find("@ d"); at != std::string::npos) d = number(t.substr(at + 3));
    else if (auto at2 = t.find("@d"); at2 != std::string::npos) d = number(t.substr(at2 + 2));
    if (pp || tg) {
        const double n = number(t.substr(i + 2));
        if (n <= 0) return false;
        r.decode = tg;
        r.prompt = pp ? static_cast<std::uint32_t>(n) : 512;
        r.depth = static_cast<std::uint32_t>(d + (tg ? n / 2 : 0));
        r.workload_set = true;
        return true;
    }
    if (has(t, "decode") || has(t, "generation")) {  // a server's decode figure after a short prompt
        r.decode = true;
        r.depth = 256;
        r.workload_set = true;
        return true;
    }
    return false;
}

/// The split: machine -> held out.
using split_map = std::map<std::string, bool>;

/// Reads split.csv (file,hardware,set).
inline bool load_split(const std::string& dir, split_map& out, std::string& err) {
    std::ifstream f(dir + "/split.csv");
    if (!f) { err = "cannot open " + dir + "/split.csv"; return false; }
    std::string line;
    bool head = true;
    while (std::getline(f, line)) {
        if (line.empty() || line[0] == '#') continue;
        auto v = split_csv(line);
        if (head) { head = false; continue; }
        if (v.size() < 3) continue;
        out[v[0] + "/" + v[1]] = v[2] == "heldout";
    }
    return true;
}

/// The group of a row (group_names()).
inline std::string group_of(const row& r) {
    if (r.backend == "CPU") return "cpu";
    if (r.file == "moe_offload.csv" && (r.cpu_moe || r.n_cpu_moe > 0 || (r.ngl >= 0 && r.proxy))) return "moe_offload";
    if (r.backend == "Metal") return "apple";
    if (r.n_gpus > 1) return "multi_gpu";
    if (r.backend == "Vulkan") return "vulkan";
    if (r.backend == "ROCm") return "rocm";
    if (has(r.hardware, "DGX Spark") || has(r.hardware, "GB10")) return "gb10";
    return "one_gpu";
}

/// The GPU name of a llama3_xiongjiedai.csv hardware column ("3080Ti" -> "RTX 3080 Ti"), or "" for Macs.
inline std::string xiongjiedai_gpu(const std::string& h) {
    static const std::map<std::string, std::string> m = {
        {"3070", "RTX 3070"}, {"3080", "RTX 3080"}, {"3080Ti", "RTX 3080 Ti"}, {"3090", "RTX 3090"},
        {"4070Ti", "RTX 4070 Ti"}, {"4080", "RTX 4080"}, {"4090", "RTX 4090"}, {"4000_Ada", "RTX 4000 Ada"},
        {"5000_Ada", "RTX 5000 Ada"}, {"6000_Ada", "RTX 6000 Ada"}, {"A6000", "RTX A6000"}, {"A40", "A40"},
        {"L40S", "L40S"}, {"A100_PCIe", "A100 80GB PCIe"}, {"A100_SXM", "A100-SXM4-80GB"}, {"H100_PCIe", "H100 PCIe"}};
    auto it = m.find(h);
    return it == m.end() ? std::string() : it->second;
}

/// Reads one file's rows (one row per measured number). Comment lines start with '#'.
inline bool load_file(const std::string& dir, const std::string& name, std::vector<row>& out, std::string& err,
                      const split_map* split = nullptr) {
    std::ifstream f(dir + "/" + name);
    if (!f) { err = "cannot open " + dir + "/" + name; return false; }
    std::string line;
    std::vector<std::string> head;
    std::vector<row> rows;
    while (std::getline(f, line)) {
        if (line.empty() || line[0] == '#') continue;
        auto v = split_csv(line);
        if (head.empty()) { head = v; continue; }
        std::map<std::string, std::string> c;
        for (std::size_t i = 0; i < head.size() && i < v.size(); ++i) c[head[i]] = v[i];
        row r;
        r.file = name;
        if (name == "apple_silicon.csv") {
            r.hardware = r.machine = c["chip"];
            r.backend = "Metal";
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
                    rows.push_back(x);
                }
        } else if (name == "cuda.csv") {
            r.hardware = r.machine = c["gpu"];
            r.backend = "CUDA";
            r.model = "Llama-2-7B";
            r.quant = c["quant"];
            r.size = c["size_gib"];
            r.notes = c["notes"];
            r.fa = has(r.notes, "fa=1");
            for (const char* t : {"pp512", "tg128"}) {
                if (c[t].empty()) continue;
                row x = r;
                x.test = t;
                x.decode = t[0] == 't';
                x.measured = number(c[t]);
                rows.push_back(x);
            }
        } else if (name == "cpu.csv") {
            r.hardware = r.machine = c["hardware"];
            r.backend = "CPU";
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
            r.fa = has(r.notes, "-fa 1") || has(r.notes, "FA on") || has(r.test, "-fa");
            rows.push_back(r);
        } else if (name == "llama3_xiongjiedai.csv") {
            r.hardware = c["hardware"];
            r.n_gpus = static_cast<std::uint32_t>(std::max(1.0, number(c["n_gpus"])));
            r.machine = r.hardware + (r.n_gpus > 1 ? " x" + std::to_string(r.n_gpus) : "");
            r.gpu = xiongjiedai_gpu(r.hardware);
            r.backend = r.gpu.empty() ? "Metal" : "CUDA";
            r.model = c["model"];
            r.size = c["size_gib"];
            r.test = c["test"];
            r.measured = number(c["t_per_s"]);
            r.n_ubatch = 512;  // llama-bench defaults of May 2024: -b 2048 -ub 512, FA off
            if (!parse_test(r, r.test)) continue;
            rows.push_back(r);
        } else if (name == "more_llama_bench.csv") {
            r.hardware = c["hardware"];
            r.backend = c["backend"];
            r.n_gpus = static_cast<std::uint32_t>(std::max(1.0, number(c["n_gpus"])));
            r.machine = r.hardware + " (" + r.backend + ")" + (r.n_gpus > 1 ? " x" + std::to_string(r.n_gpus) : "");
            r.model = c["model"];
            r.size = c["size_gib"];
            r.fa = c["fa"] == "1";
            r.n_ubatch = static_cast<std::uint32_t>(std::max(1.0, number(c["n_ubatch"])));
            r.test = c["test"];
            r.measured = number(c["t_per_s"]);
            r.notes = c["notes"];
            if (r.backend == "Metal") r.threads = "16";
            if (!parse_test(r, r.test)) continue;
            rows.push_back(r);
        } else if (name == "moe_offload.csv") {
            r.hardware = r.machine = c["hardware"];
            const std::string engine = lower(c["engine"]);
            r.fork = has(engine, "patch") || has(engine, "fork");
            r.gpu = c["gpu"].substr(0, c["gpu"].find(" ("));
            r.cpu = c["cpu"];
            r.ram = c["ram_config"];
            r.bw_stated = c["ram_bw_gbs_stated"];
            r.model = c["model"];
            r.quant = c["quant"];
            r.size = c["model_size"];
            const std::string set = c["offload_setting"];
            r.notes = set;
            r.backend = r.gpu == "none" ? "CPU" : has(lower(r.gpu), "radeon") || has(lower(r.gpu), "gfx") ? "ROCm" : "CUDA";
            r.n_cpu_moe = flag_value(set, "--n-cpu-moe");
            if (r.n_cpu_moe < 0 && !c["n_cpu_moe"].empty() && c["n_cpu_moe"] != "all") r.n_cpu_moe = static_cast<std::int32_t>(number(c["n_cpu_moe"]));
            r.cpu_moe = has(set, "--cpu-moe") || has(set, "exps=CPU") || c["n_cpu_moe"] == "all";
            r.ngl = flag_value(set, "-ngl ");
            if (r.ngl >= 99) r.ngl = -1;
            if (has(set, "blk\\.3[4-9]\\.ffn=CPU,blk\\.4[0-9]\\.ffn=CPU")) r.n_cpu_moe = 14;  // the last 14 of 48 layers' FFNs
            if (has(set, "--fit")) continue;  // placement chosen by llama.cpp's --fit: not stated
            // no offload flag, a model larger than the card: the driver spilled to system memory (not modelled)
            if (r.n_cpu_moe <= 0 && !r.cpu_moe && !has(set, "=CPU") && number(c["gpu_vram"]) > 0 &&
                number(r.size) > number(c["gpu_vram"]) && r.gpu != "none")
                continue;
            std::int32_t t = flag_value(set, "-t ");
            if (t < 0) t = flag_value(set, "(-t ");
            if (t < 0) t = static_cast<std::int32_t>(number(r.cpu.substr(std::min(r.cpu.find(','), r.cpu.size()))));
            if (t < 0 || (t == 0 && has(r.cpu, "threads"))) t = static_cast<std::int32_t>(number(r.cpu));
            if (t > 0) r.threads = std::to_string(t);
            if (has(set, "q8_0") || has(lower(set), "kv q8_0")) r.notes += " ctk/-ctv q8_0";
            // -fa defaults to auto (on for these GPUs) in the 2025-2026 builds of this file; a quantized V cache needs it
            r.fa = !has(set, "FA off") && !has(set, "-fa 0");
            for (int phase = 0; phase < 2; ++phase) {
                row x = r;
                const std::string test = phase == 0 ? c["pp_test"] : c["tg_test"];
                const std::string val = phase == 0 ? c["pp_tps"] : c["tg_tps"];
                if (test.empty() || val.empty()) continue;
                x.test = test;
                x.measured = number(val);
                if (!parse_test(x, test)) continue;
                rows.push_back(x);
            }
        } else {
            err = "unknown data file " + name;
            return false;
        }
    }
    for (auto& r : rows) {
        if (split) {
            auto it = split->find(r.file + "/" + r.machine);
            r.heldout = it == split->end() || it->second;
        }
        out.push_back(r);
    }
    return true;
}

/// The perf_constants fields by name.
inline const std::map<std::string, double llamaplan::perf_constants::*>& constant_fields() {
    using P = llamaplan::perf_constants;
    static const std::map<std::string, double P::*> m = {
        {"bw_gpu", &P::bw_gpu}, {"bw_metal", &P::bw_metal}, {"bw_cpu", &P::bw_cpu},
        {"layer_overhead_gpu_s", &P::layer_overhead_gpu_s}, {"layer_overhead_metal_s", &P::layer_overhead_metal_s},
        {"cpu_thread_reach", &P::cpu_thread_reach}, {"mm_gpu", &P::mm_gpu}, {"mm_metal", &P::mm_metal},
        {"cpu_f16", &P::cpu_f16}, {"cpu_q8_0", &P::cpu_q8_0}, {"cpu_q4_0", &P::cpu_q4_0}, {"cpu_kquant", &P::cpu_kquant},
        {"cpu_iquant", &P::cpu_iquant}, {"cpu_decode_compute", &P::cpu_decode_compute},
        {"mm_gpu_fp16_fallback", &P::mm_gpu_fp16_fallback}, {"link_efficiency", &P::link_efficiency},
        {"hop_latency_s", &P::hop_latency_s}, {"fa_off_attention_factor", &P::fa_off_attention_factor},
        {"moe_layer_overhead_s", &P::moe_layer_overhead_s}, {"bw_expert", &P::bw_expert}, {"mm_expert", &P::mm_expert},
        {"attn_gpu", &P::attn_gpu}, {"cpu_core_bw", &P::cpu_core_bw}, {"layer_overhead_cpu_s", &P::layer_overhead_cpu_s},
        {"bw_rocm", &P::bw_rocm}, {"bw_vulkan", &P::bw_vulkan}, {"mm_rocm", &P::mm_rocm}, {"mm_vulkan", &P::mm_vulkan},
        {"row_sync_s", &P::row_sync_s}, {"mm_gpu_pro", &P::mm_gpu_pro}, {"bw_hbm", &P::bw_hbm}, {"bw_expert_cpu", &P::bw_expert_cpu}, {"tensor_overhead_s", &P::tensor_overhead_s}};
    return m;
}

/// Sets a perf_constants field by name.
inline bool set_constant(llamaplan::perf_constants& c, const std::string& n, double v) {
    auto it = constant_fields().find(n);
    if (it == constant_fields().end()) return false;
    c.*(it->second) = v;
    return true;
}

/// Reads a perf_constants field by name (0 for an unknown name).
inline double get_constant(const llamaplan::perf_constants& c, const std::string& n) {
    auto it = constant_fields().find(n);
    return it == constant_fields().end() ? 0.0 : c.*(it->second);
}

/// The constants tools/fit_throughput.py fits (the rest: not exercised by any row, or fixed physics).
inline const std::vector<std::string>& fitted_constants() {
    static const std::vector<std::string> f = {
        "bw_gpu", "bw_metal", "bw_cpu", "bw_hbm", "bw_rocm", "bw_vulkan", "bw_expert", "bw_expert_cpu", "layer_overhead_gpu_s",
        "layer_overhead_metal_s", "layer_overhead_cpu_s", "moe_layer_overhead_s", "tensor_overhead_s", "hop_latency_s", "cpu_core_bw",
        "mm_gpu", "mm_gpu_pro", "mm_gpu_fp16_fallback", "mm_metal", "mm_rocm", "mm_vulkan", "mm_expert", "attn_gpu",
        "cpu_f16", "cpu_q8_0", "cpu_q4_0", "cpu_kquant", "cpu_iquant", "cpu_decode_compute"};
    return f;
}

/// Whether a constant is a fraction of a peak (kept at or below 1).
inline bool is_fraction(const std::string& n) {
    return n.rfind("bw_", 0) == 0 || n.rfind("mm_", 0) == 0 || n.rfind("cpu_f16", 0) == 0 || n == "cpu_q8_0" ||
           n == "cpu_q4_0" || n == "cpu_kquant" || n == "cpu_iquant" || n == "attn_gpu";
}

/// A row's prediction.
struct prediction {
    bool ok = false;
    std::string why;          ///< reason when !ok
    std::string file, group, label;
    bool decode = true, heldout = true, fork = false, proxy = false, host_unknown = false;
    double predicted = 0, measured = 0;  ///< tokens/s
    double low = 0, high = 0;            ///< the prediction's interval (tokens/s)
    std::string bound;        ///< what bounds it
};

/// The catalog model a row names ("" when none); sets r.proxy for stand-ins.
inline std::string catalog_name(row& r) {
    const std::string& m = r.model;
    if (has(m, "Llama-2-7B") || has(m, "llama 7B")) return "llama-2-7b";
    if (has(m, "llama 13B")) return "llama-2-13b";
    if (has(m, "LLaMA-3.1-8B") || has(m, "llama 8B")) return "llama-3-8b";
    if (has(m, "llama 70B")) return "llama-3-70b";
    if (has(m, "Qwen3-30B-A3B") || has(m, "qwen3moe 30B.A3B")) return "qwen3-30b-a3b";
    if (has(m, "Qwen3.5-35B-A3B") || has(m, "Qwen3.6-35B-A3B")) {  // 40 blocks, 256 experts: not in the catalog
        r.proxy = true;
        return "qwen3-30b-a3b";
    }
    if (has(m, "gpt-oss 20B") || m == "gpt-oss-20b") return "gpt-oss-20b";
    if (has(m, "gpt-oss 120B") || has(m, "gpt-oss-120b")) return "gpt-oss-120b";
    if (has(m, "qwen2 7B")) return "qwen2.5-7b";
    if (has(m, "gemma3 4B")) return "gemma-3-4b";
    if (has(m, "qwen3 32B")) return "qwen3-32b";
    if (has(m, "Midnight Miqu 70B")) return "llama-2-70b";
    if (has(m, "LLaMA 33B")) return "llama-1-33b";
    if (has(m, "DeepSeek-Coder-V2-Lite")) return "deepseek-coder-v2-lite";
    if (has(m, "dense 7B (7.6B)")) return "qwen2.5-7b";
    if (has(m, "dense 8B")) return "llama-3-8b";
    return {};
}

/// The quantization of a row: its quant column, or the type in a llama-bench model name ("llama 8B Q4_K - Medium").
inline std::string quant_of(const row& r) {
    if (!r.quant.empty()) return r.quant;
    const std::string& m = r.model;
    if (has(m, "Q4_K - Medium")) return "Q4_K_M";
    if (has(m, "MXFP4")) return "MXFP4_MOE";
    for (const char* q : {"Q4_0", "Q8_0", "F16", "BF16", "Q6_K", "Q5_K", "Q4_K", "IQ4_XS"})
        if (has(m, q)) return q;
    return {};
}

/// The main weight type a quantization string names (first word, ggml spelling), or nullopt.
inline std::optional<llamaplan::ggml_type> main_type(std::string q) {
    if (has(q, "IQ4_XS") || has(q, "experts IQ4_XS")) return llamaplan::ggml_type::iq4_xs;
    if (has(q, "MXFP4")) return llamaplan::ggml_type::mxfp4;
    if (has(q, "IQ3_S")) return llamaplan::ggml_type::iq3_s;
    if (has(q, "Q4_K_XL") || has(q, "Q4_K_M") || has(q, "Q4_K - Medium")) return llamaplan::ggml_type::q4_k;
    if (has(q, "Q5_K_XL")) return llamaplan::ggml_type::q5_k;
    q = q.substr(0, q.find_first_of(" ("));
    const std::string l = lower(q);
    if (l == "q2_k" || l == "q3_k" || l == "q4_k" || l == "q5_k" || l == "q6_k") return llamaplan::parse_type(l);
    if (auto t = llamaplan::parse_type(l)) return t;
    return std::nullopt;
}

/// The size in bytes a row reports (GiB, "N MB", "N GB"; moe_offload's "Q8_0 36.9 GB / Q4_K_M ~20 GB" by quant).
inline double reported_bytes(const row& r) {
    std::string s = r.size;
    if (has(s, " / ") && has(s, "Q4_K_M")) s = has(r.quant, "Q8_0") ? s.substr(0, s.find(" / ")) : s.substr(s.find(" / ") + 3);
    if (s.empty() && has(r.quant, "GB)")) s = r.quant.substr(r.quant.find('('));
    // the number right before the unit ("Q4_K_M ~20 GB" -> 20)
    auto before = [&](std::size_t at) {
        std::size_t e = at;
        while (e > 0 && s[e - 1] == ' ') --e;
        std::size_t b = e;
        while (b > 0 && ((s[b - 1] >= '0' && s[b - 1] <= '9') || s[b - 1] == '.')) --b;
        return b < e ? std::atof(s.substr(b, e - b).c_str()) : 0.0;
    };
    if (auto at = s.find("MB"); at != std::string::npos) return before(at) * 1e6;
    if (auto at = s.find("GiB"); at != std::string::npos) return before(at) * double(1ull << 30);
    if (auto at = s.find("GB"); at != std::string::npos) return before(at) * 1e9;
    if (number(s) > 0) return number(s) * double(1ull << 30);
    return 0;
}

/// The host described by a CPU name and memory configuration: the CPU table entry, memory from the row.
inline bool host_of(const std::string& hardware, const row& r, llamaplan::host& h, std::string& why) {
    const llamaplan::cpu_spec* best = nullptr;
    for (const auto& c : llamaplan::cpu_table) {
        std::string n(c.name);
        if (n == "Apple M2 Max CPU") n = "Apple M2 Max";
        if (has(hardware, n.c_str()) && (!best || c.name.size() > best->name.size())) best = &c;
    }
    if (!best) { why = "CPU not in the table"; return false; }
    h.cpus_physical = h.cpus_logical = best->cores;
    h.flops = static_cast<std::uint64_t>(best->cores * best->ghz * 1e9 * best->flops_per_cycle);
    double bw = best->bandwidth_gbs * 1e9;
    const double stated = number(r.bw_stated);
    // "dual-channel DDR4 @ 3466 MHz", "quad-channel DDR4 @ 2133 MHz", "2 sticks DDR4-2133"
    std::uint32_t ch = 0;
    if (has(r.ram, "dual-channel") || has(r.ram, "dual channel") || has(r.ram, "2 sticks")) ch = 2;
    if (has(r.ram, "quad-channel")) ch = 4;
    double mts = 0;
    if (auto at = r.ram.find('@'); at != std::string::npos) mts = number(r.ram.substr(at));
    else if (auto d = r.ram.find("DDR4-"); d != std::string::npos) mts = number(r.ram.substr(d + 5));
    else if (auto d5 = r.ram.find("DDR5-"); d5 != std::string::npos) mts = number(r.ram.substr(d5 + 5));
    if (stated > 0) bw = stated * 1e9;
    else if (ch && mts > 0) bw = double(llamaplan::dram_bandwidth(static_cast<std::uint64_t>(mts), ch));
    else if (ch && best->mts) bw = double(llamaplan::dram_bandwidth(best->mts, ch));
    h.bandwidth = static_cast<std::uint64_t>(bw);
    h.memory_channels = ch ? ch : best->channels;
    h.memory_total = h.memory_available = 512ull << 30;
    return true;
}

/// A row made ready for the throughput model: the machine, the perf inputs and the workload (the constants only
/// enter predict_throughput, so a fit evaluates prepared rows).
struct prepared {
    prediction p;                            ///< ok / why / labels
    std::vector<llamaplan::device> gpus;     ///< the machine's GPUs (hw.devices views them)
    llamaplan::host host{};
    llamaplan::perf_inputs in{};
    llamaplan::workload w{};
    bool decode = true;
    [[nodiscard]] llamaplan::machine machine() const { return llamaplan::machine{host, gpus}; }
};

/// Evaluates a prepared row with constants `c`.
inline prediction evaluate(const prepared& x, const llamaplan::perf_constants& c) {
    prediction p = x.p;
    if (!p.ok) return p;
    const auto t = llamaplan::predict_throughput(x.machine(), x.in, x.w, c);
    p.predicted = x.decode ? t.decode_tps : t.prefill_tps;
    p.low = x.decode ? t.decode_tps_low : t.prefill_tps_low;
    p.high = x.decode ? t.decode_tps_high : t.prefill_tps_high;
    p.bound = std::string(to_string(x.decode ? t.decode_bound : t.prefill_bound));
    return p;
}

/// Prepares one row (model, machine, placement).
inline prepared prepare(row& r) {
    using namespace llamaplan;
    prepared out;
    prediction& p = out.p;
    p.file = r.file;
    p.decode = r.decode;
    p.measured = r.measured;
    p.heldout = r.heldout;
    p.fork = r.fork;
    if (r.measured <= 0) { p.why = "no measurement"; return out; }
    const std::string name = catalog_name(r);
    p.proxy = r.proxy;
    if (name.empty()) { p.why = "model not in the catalog"; return out; }
    r.group = group_of(r);
    p.group = r.group;
    p.label = r.machine + " | " + r.model + (r.quant.empty() ? "" : ":" + r.quant) + " | " + r.test;
    // the workload
    workload w;
    std::uint32_t prompt = 512;
    if (r.workload_set) {
        w.prompt_tokens = r.decode ? 512 : r.prompt;
        w.depth = r.depth;
        prompt = r.prompt;
    } else {
        if (has(r.test, "pp4096") || has(r.test, "tg4096")) prompt = 4096;
        if (!r.decode) w.prompt_tokens = prompt;
        // tg N starts from an empty context: its average depth is N / 2; batched-bench S_TG runs after a 128 prompt
        if (r.decode) w.depth = has(r.test, "tg4096") ? 2048 : has(r.test, "PP128") ? 128 + 64 : 64;
    }

    // the machine
    std::vector<device> gpus;
    machine hw;
    hw.host.cpus_physical = hw.host.cpus_logical = 8;
    hw.host.memory_total = hw.host.memory_available = 512ull << 30;
    launch_params lp;
    lp.flash_attn = r.fa ? flash_attn_mode::on : flash_attn_mode::off;
    lp.n_ubatch = r.n_ubatch;
    std::uint32_t threads = static_cast<std::uint32_t>(std::max(0.0, number(r.threads)));
    const std::string gpu_name = r.gpu.empty() ? r.hardware : r.gpu;
    if (r.file == "cpu.csv") {
        if (!host_of(r.hardware, r, hw.host, p.why)) return out;
        if (has(r.hardware, "RTX 3070")) gpus.push_back(parse_device_spec("RTX 3070")->dev);  // CUDA build, -ngl 0
        if (has(r.notes, "ctk/-ctv q8_0")) lp.type_k = lp.type_v = ggml_type::q8_0;
        if (has(r.notes, "K cache q8_0")) lp.type_k = ggml_type::q8_0;
        lp.n_gpu_layers = 0;
    } else if (r.backend == "Metal") {
        std::string chip = r.hardware;
        if (r.file == "llama3_xiongjiedai.csv") {  // "M2ultra_192GB" -> "M2 Ultra"
            chip = r.hardware.substr(0, r.hardware.find('_'));
            for (const char* k : {"max", "ultra", "pro"})
                if (auto at = chip.find(k); at != std::string::npos) {
                    std::string w2(k);
                    w2[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(w2[0])));
                    chip = chip.substr(0, at) + " " + w2;
                }
        }
        if (has(chip, "Apple ")) chip = chip.substr(6);
        auto d = parse_device_spec(chip);
        if (!d) { p.why = "chip not in the device table"; return out; }
        device g = d->dev;
        if (number(r.bw_stated) > 0) g.bandwidth = static_cast<std::uint64_t>(number(r.bw_stated) * 1e9);
        if (r.gpu_cores && d->spec->gpu_cores) g.flops = static_cast<std::uint64_t>(double(g.flops) * r.gpu_cores / d->spec->gpu_cores);
        gpus.push_back(g);
    } else if (r.backend == "CPU") {  // moe_offload.csv CPU-only rows
        if (!host_of(r.cpu, r, hw.host, p.why)) return out;
        lp.n_gpu_layers = 0;
    } else {
        const device_spec* s = match_device(gpu_name);
        if (!s) { p.why = "GPU not in the device table"; return out; }
        auto d = parse_device_spec(s->name);
        device g = d->dev;
        if (r.backend == "Vulkan") g.kind = backend::vulkan;
        if (r.backend == "ROCm") g.kind = backend::rocm;
        if (r.backend == "CUDA") g.kind = backend::cuda;
        for (std::uint32_t i = 0; i < r.n_gpus; ++i) gpus.push_back(g);
        if (r.file == "moe_offload.csv") {
            std::string why;
            if (!host_of(r.cpu, r, hw.host, why)) {
                if (number(r.bw_stated) > 0) hw.host.bandwidth = static_cast<std::uint64_t>(number(r.bw_stated) * 1e9);
                else r.host_unknown = p.host_unknown = true;  // the default host stands in; such rows constrain nothing
            }
            if (has(r.notes, "ctk/-ctv q8_0")) lp.type_k = lp.type_v = ggml_type::q8_0;
        }
        if (has(r.hardware, "DGX Spark")) hw.host.cpus_physical = hw.host.cpus_logical = 20;
    }
    if (r.backend != "CPU" && r.file != "cpu.csv")
        for (auto& g : gpus) g.memory_total = g.memory_free = 512ull << 30;  // only speed is compared
    hw.devices = gpus;

    // the model: the catalog recipe when it names the scheme and matches the reported size, else the catalog shape
    // with the weights scaled to the reported size
    std::string q = quant_of(r);
    for (auto& ch : q) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    q = q.substr(0, q.find_first_of(" ("));
    if (q == "Q4_K") q = "Q4_K_M";
    auto ref = find_catalog_model(name + ":" + q);
    const double reported = reported_bytes(r);
    std::optional<ggml_type> scale_type;
    if (!ref || r.proxy) {
        ref = find_catalog_model(name + ":F16");
        scale_type = main_type(quant_of(r));
        if (!scale_type) scale_type = ggml_type::q4_k;  // "not stated": the common Q4_K_M
        if (reported <= 0) { p.why = "quantization not in the catalog and no size"; return out; }
    }
    auto mf = gguf::open_catalog(*ref);
    if (!mf) { p.why = "catalog model failed"; return out; }
    const model m = mf->view();
    if (reported > 0 && !scale_type && std::fabs(double(m.total_bytes()) / reported - 1.0) > 0.02) scale_type = main_type(quant_of(r));
    // offload flags; a stand-in model's layer counts scale to its block count (Qwen3.5/3.6-35B-A3B: 40 blocks)
    const double layer_scale = r.proxy ? double(m.hp.n_layer) / 40.0 : 1.0;
    auto scale_layers = [&](std::int32_t n) { return static_cast<std::int32_t>(std::lround(double(n) * layer_scale)); };
    if (r.n_cpu_moe > 0) lp.n_cpu_moe = static_cast<std::uint32_t>(std::min<std::int32_t>(scale_layers(r.n_cpu_moe), static_cast<std::int32_t>(m.hp.n_layer)));
    if (r.cpu_moe) lp.cpu_moe = true;
    if (r.ngl >= 0 && r.file == "moe_offload.csv") lp.n_gpu_layers = r.ngl >= 40 && r.proxy ? -1 : scale_layers(r.ngl);
    lp.n_ctx = std::max<std::uint32_t>(2048, prompt + w.depth * 2 + 256);
    auto est = estimate_memory(m, hw, lp);
    if (!est) { p.why = std::string("estimate failed: ") + std::string(est.error().what); return out; }
    auto in = make_perf_inputs(m, hw, lp, *est);
    if (!in) { p.why = "perf inputs failed"; return out; }
    if (scale_type) {
        r.scaled = true;
        const double k = reported / double(m.total_bytes());
        for (auto& wk : in->work) {
            wk.weight_bytes = static_cast<std::uint64_t>(double(wk.weight_bytes) * k);
            wk.expert_bytes = static_cast<std::uint64_t>(double(wk.expert_bytes) * k);
            wk.expert_bytes_all = static_cast<std::uint64_t>(double(wk.expert_bytes_all) * k);
        }
        in->host_weights_streamed = static_cast<std::uint64_t>(double(in->host_weights_streamed) * k);
        in->weight_type = *scale_type;
    }
    if (r.proxy) {
        // Qwen3.5 / 3.6-35B-A3B route 8 of 256 experts (moe_offload.csv), the stand-in 8 of 128: its share per token halves
        const double f = (8.0 / 256.0) / (double(m.hp.n_expert_used) / double(m.hp.n_expert));
        for (auto& wk : in->work) {
            const auto active = static_cast<std::uint64_t>(double(wk.expert_bytes) * f);
            wk.weight_bytes -= wk.expert_bytes - active;
            wk.expert_bytes = active;
            const auto fl = static_cast<std::uint64_t>(double(wk.expert_flops) * f);
            wk.matmul_flops -= wk.expert_flops - fl;
            wk.expert_flops = fl;
        }
        in->host_streamed_flops = static_cast<std::uint64_t>(double(in->host_streamed_flops) * f);
    }
    in->threads = threads;
    in->threads_batch = threads;
    p.ok = true;
    out.gpus = gpus;
    out.host = hw.host;
    out.in = *in;
    out.w = w;
    out.decode = r.decode;
    return out;
}

/// Predicts one row with constants `c`.
inline prediction predict(row& r, const llamaplan::perf_constants& c) { return evaluate(prepare(r), c); }

/// Median and max |relative error| of a set (percent), and the worst row.
struct summary {
    std::size_t n = 0;
    double median = 0, max = 0;
    std::string worst;
};

inline summary summarize(std::vector<std::pair<double, std::string>> e) {
    summary s;
    s.n = e.size();
    if (e.empty()) return s;
    std::sort(e.begin(), e.end());
    s.median = e.size() % 2 ? e[e.size() / 2].first : 0.5 * (e[e.size() / 2 - 1].first + e[e.size() / 2].first);
    s.max = e.back().first;
    s.worst = e.back().second;
    return s;
}

inline summary summarize(const std::vector<double>& e) {
    std::vector<std::pair<double, std::string>> v;
    for (double x : e) v.push_back({x, {}});
    return summarize(v);
}

/// Which rows: `set` "fit", "heldout", "all" (mainline), "fork", or "nohost" (mainline, not held out, host not
/// stated: not fitted).
inline bool in_set(const prediction& p, const std::string& set) {
    if (set == "fork") return p.fork;
    if (p.fork) return false;
    if (set == "nohost") return !p.heldout && p.host_unknown;
    if (set == "fit") return !p.heldout && !p.host_unknown;
    if (set == "heldout") return p.heldout;
    return true;
}

/// |predicted / measured - 1| in percent with each row's label, for the predictions of one group ("" = all), phase
/// and set.
inline std::vector<std::pair<double, std::string>> errors_of(const std::vector<prediction>& ps, const std::string& group,
                                                             bool decode, const std::string& set) {
    std::vector<std::pair<double, std::string>> e;
    for (const auto& p : ps)
        if (p.ok && p.decode == decode && (group.empty() || p.group == group) && in_set(p, set))
            e.push_back({100.0 * std::fabs(p.predicted / p.measured - 1.0),
                         p.label + " (meas " + std::to_string(p.measured) + " pred " + std::to_string(p.predicted) + ")"});
    return e;
}

/// The old interface: |errors| of one file ("" = all) and phase, every mainline row.
inline std::vector<double> errors(const std::vector<prediction>& ps, const std::string& file, bool decode) {
    std::vector<double> e;
    for (const auto& p : ps)
        if (p.ok && !p.fork && p.decode == decode && (file.empty() || p.file == file))
            e.push_back(100.0 * std::fabs(p.predicted / p.measured - 1.0));
    return e;
}

/// measured / predicted quantile (q in 0..1) of a group's fitted mainline rows of a phase (for perf_bands; the
/// held-out rows then test the bands: throughput.interval_coverage.heldout).
inline double ratio_quantile(const std::vector<prediction>& ps, const std::string& group, bool decode, double q,
                             std::size_t* n = nullptr) {
    std::vector<double> v;
    for (const auto& p : ps)
        if (p.ok && !p.fork && !p.heldout && !p.host_unknown && p.decode == decode && p.group == group)
            v.push_back(p.measured / p.predicted);
    if (n) *n = v.size();
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const double pos = q * double(v.size() - 1);
    const std::size_t i = static_cast<std::size_t>(pos);
    const double f = pos - double(i);
    return i + 1 < v.size() ? v[i] * (1 - f) + v[i + 1] * f : v[i];
}

/// Prints the `name value unit` lines: per group, phase and set (fit / held-out / all mainline / forks) the rows,
/// the median and the worst |error| (a group counts from 10 rows); the overall figures; the bands.
inline void report(const std::vector<prediction>& ps, std::size_t skipped) {
    std::vector<std::string> groups = group_names();
    groups.push_back("");
    for (const auto& g : groups) {
        for (bool dec : {true, false}) {
            for (const std::string set : {"fit", "heldout", "all", "fork", "nohost"}) {
                const auto s = summarize(errors_of(ps, g, dec, set));
                if ((set == "fork" || set == "nohost") && s.n == 0) continue;
                const std::string base = "throughput." + (g.empty() ? std::string("overall") : g) + "." +
                                         (dec ? "decode" : "prefill") + "." + set;
                std::printf("%s.rows %zu rows\n", base.c_str(), s.n);
                if (s.n == 0) continue;
                std::printf("%s.median_abs_error %.1f %%\n", base.c_str(), s.median);
                std::printf("%s.max_abs_error %.1f %%  # %s\n", base.c_str(), s.max, s.worst.c_str());
            }
        }
    }
    // how often the interval holds the measurement (held-out mainline rows)
    std::size_t inside = 0, n = 0;
    for (const auto& p : ps)
        if (p.ok && !p.fork && p.heldout) { ++n; inside += p.measured >= p.low && p.measured <= p.high ? 1 : 0; }
    std::printf("throughput.interval_coverage.heldout %.1f %%\n", n ? 100.0 * double(inside) / double(n) : 0.0);
    for (const auto& g : group_names()) {
        std::size_t nd = 0, np = 0;
        double dlo = ratio_quantile(ps, g, true, 0.1, &nd), dhi = ratio_quantile(ps, g, true, 0.9);
        double plo = ratio_quantile(ps, g, false, 0.1, &np), phi = ratio_quantile(ps, g, false, 0.9);
        // fewer than 10 fitted rows: at least the wide default (perf_band{})
        const llamaplan::perf_band wide{};
        if (nd < 10) { dlo = nd ? std::min(dlo, wide.decode_lo) : wide.decode_lo; dhi = nd ? std::max(dhi, wide.decode_hi) : wide.decode_hi; }
        if (np < 10) { plo = np ? std::min(plo, wide.prefill_lo) : wide.prefill_lo; phi = np ? std::max(phi, wide.prefill_hi) : wide.prefill_hi; }
        std::printf("# band %s {%.3g, %.3g, %.3g, %.3g, %zu, %zu},\n", g.c_str(), dlo, dhi, plo, phi, nd, np);
    }
    std::printf("throughput.skipped_rows %zu rows\n", skipped);
}

}  // namespace tput

#endif  // LLAMAPLAN_BENCH_THROUGHPUT_ROWS_HPP
