// Reading llama.cpp's measured buffer sizes (shared/groundtruth/measured.csv, or the compact copy in tests/data)
// and comparing them with llamaplan's estimates. Used by tests/accuracy and bench/accuracy.
#ifndef LLAMAPLAN_TESTS_GROUNDTRUTH_HPP
#define LLAMAPLAN_TESTS_GROUNDTRUTH_HPP

#include <llamaplan/memory.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace groundtruth {

/// A CSV file with a header row and no quoted fields (the ground-truth files need none).
struct csv {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;

    [[nodiscard]] std::size_t col(const std::string& name) const {
        for (std::size_t i = 0; i < header.size(); ++i)
            if (header[i] == name) return i;
        return header.size();
    }
    [[nodiscard]] std::string get(std::size_t row, const std::string& name) const {
        const std::size_t c = col(name);
        return c < rows[row].size() ? rows[row][c] : std::string{};
    }
};

inline std::vector<std::string> split(const std::string& line, char sep) {
    std::vector<std::string> out;
    std::string cur;
    bool quoted = false;  // RFC 4180 quoting, as Python's csv module writes it
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char ch = line[i];
        if (quoted) {
            if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') { cur += '"'; ++i; }
            else if (ch == '"') quoted = false;
            else cur += ch;
        } else if (ch == '"') {
            quoted = true;
        } else if (ch == sep) {
            out.push_back(cur);
            cur.clear();
        } else if (ch != '\r') {
            cur += ch;
        }
    }
    out.push_back(cur);
    return out;
}

inline std::optional<csv> read_csv(const std::string& path, char sep = ',') {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    csv out;
    std::string line;
    if (!std::getline(in, line)) return std::nullopt;
    out.header = split(line, sep);
    while (std::getline(in, line))
        if (!line.empty()) out.rows.push_back(split(line, sep));
    return out;
}

/// llama.cpp prints sizes as MiB with two decimals; "exact" means equal after the same rounding.
inline double mib(std::uint64_t bytes) { return double(bytes) / 1024.0 / 1024.0; }
inline bool same_mib(std::uint64_t bytes, double printed) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", mib(bytes));  // the rounding llama.cpp's own "%8.2f MiB" applies
    return std::fabs(std::stod(buf) - printed) < 0.001;
}

/// The settings of one measured row as llamaplan launch parameters.
inline llamaplan::launch_params params_of(const csv& t, std::size_t r) {
    llamaplan::launch_params p;
    p.n_ctx = static_cast<std::uint32_t>(std::stoul(t.get(r, "n_ctx")));
    p.n_batch = static_cast<std::uint32_t>(std::stoul(t.get(r, "n_batch")));
    p.n_ubatch = static_cast<std::uint32_t>(std::stoul(t.get(r, "n_ubatch")));
    p.type_k = llamaplan::parse_type(t.get(r, "type_k")).value_or(llamaplan::ggml_type::f16);
    p.type_v = llamaplan::parse_type(t.get(r, "type_v")).value_or(llamaplan::ggml_type::f16);
    const std::string fa = t.get(r, "flash_attn");
    p.flash_attn = fa == "on" ? llamaplan::flash_attn_mode::on
                 : fa == "off" ? llamaplan::flash_attn_mode::off : llamaplan::flash_attn_mode::automatic;
    p.n_seq_max = static_cast<std::uint32_t>(std::stoul(t.get(r, "n_parallel")));
    p.kv_unified = t.get(r, "kv_unified") == "true";
    // llama-completion leaves n_outputs_max at 0, which llama.cpp turns into n_batch (llama_context constructor)
    if (t.get(r, "tool") == "completion") p.n_outputs_max = std::min(p.n_batch, std::max(p.n_ctx, 256u));
    return p;
}

/// Sum of "BUFT=MiB;BUFT=MiB" as printed by llama.cpp.
inline double detail_sum(const std::string& s) {
    double sum = 0;
    for (const auto& part : split(s, ';')) {
        const auto eq = part.find('=');
        if (eq != std::string::npos) sum += std::stod(part.substr(eq + 1));
    }
    return sum;
}

/// Per-component accuracy over many rows.
struct component_stats {
    std::size_t rows = 0, exact = 0;
    std::vector<double> rel_errors;
    void add(std::uint64_t predicted, double measured_mib) { add(predicted, measured_mib, same_mib(predicted, measured_mib)); }
    void add(std::uint64_t predicted, double measured_mib, bool is_exact) {
        ++rows;
        if (is_exact) ++exact;
        rel_errors.push_back(measured_mib > 0 ? std::fabs(mib(predicted) - measured_mib) / measured_mib : 0.0);
    }
    [[nodiscard]] double median() const {
        if (rel_errors.empty()) return 0;
        auto v = rel_errors;
        std::sort(v.begin(), v.end());
        return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
    }
    [[nodiscard]] double max() const { return rel_errors.empty() ? 0 : *std::max_element(rel_errors.begin(), rel_errors.end()); }
};

/// True if every model buffer llama.cpp printed ("CPU_Mapped=335.82;CPU_REPACK=111.38") matches the estimate's buffer
/// of the same name, and the estimate has no buffer llama.cpp did not print.
inline bool model_buffers_match(const llamaplan::memory_estimate& e, const llamaplan::machine& hw, const std::string& detail) {
    std::size_t n_printed = 0;
    for (const auto& part : split(detail, ';')) {
        const auto eq = part.find('=');
        if (eq == std::string::npos) continue;
        ++n_printed;
        std::uint64_t ours = 0;
        char name[32];
        for (const auto& b : e.model_buffers)
            if (llamaplan::buffer_name(hw, b.buffer, name) == part.substr(0, eq)) ours = b.bytes;
        if (!same_mib(ours, std::stod(part.substr(eq + 1)))) return false;
    }
    return n_printed == e.model_buffers.size();
}

/// The estimate's model buffers in llama.cpp's "NAME=MiB;" form, for failure messages.
inline std::string model_buffers_text(const llamaplan::memory_estimate& e, const llamaplan::machine& hw) {
    std::string out;
    char name[32], v[32];
    for (const auto& b : e.model_buffers) {
        std::snprintf(v, sizeof v, "=%.2f;", mib(b.bytes));
        out += std::string(llamaplan::buffer_name(hw, b.buffer, name)) + v;
    }
    return out;
}

/// True if the KV cache matches; with sliding-window layers llama.cpp prints two caches and each must match.
inline bool kv_matches(const llamaplan::memory_estimate& e, const std::string& total_mib, const std::string& swa_mib,
                       const std::string& nonswa_mib) {
    if (swa_mib.empty()) return same_mib(e.kv(), std::stod(total_mib));
    return same_mib(e.kv_swa, std::stod(swa_mib)) && same_mib(e.kv() - e.kv_swa, std::stod(nonswa_mib));
}

struct accuracy {
    component_stats model, kv, output, compute;
    std::size_t rejected_rows = 0, rejected_agree = 0, failed = 0;
    std::vector<std::string> mismatches;  ///< first few disagreements, for diagnosis

    /// Compares one row with an estimate (or with the refusal the estimator returned).
    void add(const csv& t, std::size_t r, const llamaplan::machine& hw,
             const llamaplan::result<llamaplan::memory_estimate>& est) {
        const bool measured_ok = t.get(r, "rc") == "0";
        if (!measured_ok) {
            ++rejected_rows;
            if (!est && est.error().code == llamaplan::errc::invalid_combination) ++rejected_agree;
            else note(t, r, "llama.cpp refused this row but the estimator accepted it");
            return;
        }
        if (!est) { ++failed; note(t, r, std::string("estimator refused: ") + std::string(est.error().what)); return; }
        const auto& e = *est;
        const bool buffers_exact = model_buffers_match(e, hw, t.get(r, "model_buf_detail"));
        model.add(e.weights(), detail_sum(t.get(r, "model_buf_detail")), buffers_exact);
        if (!buffers_exact) note(t, r, "model buffers " + model_buffers_text(e, hw));
        const bool kv_exact = kv_matches(e, t.get(r, "kv_buf_mib"), t.get(r, "kv_swa_mib"), t.get(r, "kv_nonswa_mib"));
        kv.add(e.kv(), std::stod(t.get(r, "kv_buf_mib")), kv_exact);
        if (!kv_exact) note(t, r, "kv " + std::to_string(mib(e.kv())));
        output.add(e.output(), std::stod(t.get(r, "output_buf_mib")));
        compute.add(e.compute(), std::stod(t.get(r, "compute_buf_mib")));
        if (!same_mib(e.output(), std::stod(t.get(r, "output_buf_mib")))) note(t, r, "output " + std::to_string(mib(e.output())));
    }
    void note(const csv& t, std::size_t r, const std::string& what) {
        if (mismatches.size() < 20)
            mismatches.push_back(t.get(r, "tool") + " " + t.get(r, "model_file") + " c=" + t.get(r, "n_ctx") + " ub=" +
                                 t.get(r, "n_ubatch") + " np=" + t.get(r, "n_parallel") + " fa=" + t.get(r, "flash_attn") +
                                 " kvu=" + t.get(r, "kv_unified") + ": " + what);
    }
};

/// Ground-truth models: hyper-parameters (hparams.csv) and tensor lists (tensors/*.tsv) in tests/data/groundtruth.
struct model_store {
    std::map<std::string, std::vector<std::string>> names;  // owns the tensor-name strings
    std::map<std::string, std::vector<llamaplan::tensor_info>> tensors;
    std::map<std::string, std::vector<std::uint8_t>> swa;
    std::map<std::string, llamaplan::model> models;
    std::map<std::string, std::string> archs;  // owns the architecture strings

    /// Loads every model of `dir`; returns an empty optional string on success, else what failed.
    std::string load(const std::string& dir) {
        auto hp = read_csv(dir + "/hparams.csv");
        if (!hp) return "cannot read " + dir + "/hparams.csv";
        for (std::size_t r = 0; r < hp->rows.size(); ++r) {
            const std::string file = hp->get(r, "model_file");
            auto u = [&](const char* k) { return static_cast<std::uint32_t>(std::stoul(hp->get(r, k))); };
            llamaplan::hparams h;
            archs[file] = hp->get(r, "architecture");
            h.architecture = archs[file];
            h.n_layer = u("n_layer");
            h.n_embd = u("n_embd");
            h.n_vocab = u("n_vocab");
            h.n_ctx_train = u("n_ctx_train");
            h.n_head = u("n_head");
            h.n_head_kv = u("n_head_kv");
            h.n_ff = u("n_ff");
            h.n_embd_head_k = u("head_k");
            h.n_embd_head_v = u("head_v");
            h.n_swa = u("n_swa");
            h.n_expert = u("n_expert");
            h.n_expert_used = u("n_expert_used");
            h.n_ff_exp = u("n_ff_exp");
            if (h.n_swa > 0) {
                auto& s = swa[file];
                s.resize(h.n_layer);
                llamaplan::set_swa_pattern(s, u("swa_period"));
                h.swa_layers = s;
            }
            const std::string stem = file.substr(0, file.size() - 5);
            auto tsv = read_csv(dir + "/tensors/" + stem + ".tsv", '\t');
            if (!tsv) return "cannot read tensor list of " + file;
            auto& nm = names[file];
            nm.reserve(tsv->rows.size());  // tensor_info keeps views into these strings
            auto& ts = tensors[file];
            for (std::size_t i = 0; i < tsv->rows.size(); ++i) {
                nm.push_back(tsv->get(i, "name"));
                std::array<std::uint64_t, 4> ne{1, 1, 1, 1};
                const auto dims = split(tsv->get(i, "shape"), 'x');
                for (std::size_t d = 0; d < dims.size() && d < 4; ++d) ne[d] = std::stoull(dims[d]);
                auto type = llamaplan::parse_type(tsv->get(i, "ggml_type"));
                if (!type) return "unknown type in " + file;
                auto t = llamaplan::make_tensor(nm.back(), *type, ne, static_cast<std::uint32_t>(dims.size()),
                                                std::stoull(tsv->get(i, "offset")));
                if (!t) return "bad tensor in " + file;
                if (t->bytes != std::stoull(tsv->get(i, "nbytes"))) return "tensor size disagrees with llama.cpp in " + file;
                ts.push_back(*t);
            }
            models[file] = llamaplan::model{h, ts};
        }
        return {};
    }
};

/// The machine the ground truth was measured on: a CPU build of llama.cpp, x86 with AVX-512 (repacking on).
inline llamaplan::machine cpu_machine() {
    llamaplan::machine m;
    m.host.cpu_repack = true;
    return m;
}

}  // namespace groundtruth

#endif  // LLAMAPLAN_TESTS_GROUNDTRUTH_HPP
