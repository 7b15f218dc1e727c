// SPDX-License-Identifier: MIT
// The llama.cpp log reader: what a llama-server / llama-cli run logged (build, devices, model, settings, every
// buffer, KV/RS cells, graph splits, the memory breakdown, prompt-cache limit, timings, the first allocation
// failure), read from the log's text. Pure over text: the host supplies the bytes. One pass over the lines, each line
// examined up to max_line_bytes with a fixed set of substring searches, every list capped: the cost is linear in the
// input and the memory bounded whatever the log holds. See adapters/logs/README.md.
//
// Formats are llama.cpp's at 3f545bec, with the spellings of older builds that public logs show (each noted where it
// is matched). Sizes printed as "%8.2f MiB" are kept exactly as printed, in hundredths of a MiB (`mib100`).
#ifndef LLAMAPLAN_LOGS_READER_HPP
#define LLAMAPLAN_LOGS_READER_HPP

#include <llamaplan/config.hpp>
#include <llamaplan/result.hpp>

#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::logs {

/// Bytes of one line that are examined (a longer line is read up to here; llama.cpp's lines are < 300 bytes).
inline constexpr std::size_t max_line_bytes = 4096;
/// Runs kept from one log (a log holding more starts is read to its end, later runs are counted, not kept).
inline constexpr std::size_t max_runs = 64;
/// Items kept per list of one run (buffers, devices, KV lines, breakdown rows, timings).
inline constexpr std::size_t max_items = 512;

/// Which allocation a "buffer size" line reports.
enum class buffer_role : std::uint8_t {
    model,      ///< "<buf> model buffer size" (src/llama-model.cpp llama_model::load_tensors)
    kv,         ///< "<buf> KV buffer size" (src/llama-kv-cache.cpp llama_kv_cache::llama_kv_cache)
    recurrent,  ///< "<buf> RS buffer size" (src/llama-memory-recurrent.cpp llama_memory_recurrent ctor)
    output,     ///< "<buf>  output buffer size" (src/llama-context.cpp llama_context ctor)
    compute,    ///< "<buf> compute buffer size" (src/llama-context.cpp llama_context::sched_reserve)
};

/// A short name for a role ("model", "kv", "recurrent", "output", "compute").
[[nodiscard]] constexpr std::string_view to_string(buffer_role r) noexcept {
    switch (r) {
        case buffer_role::model: return "model";
        case buffer_role::kv: return "kv";
        case buffer_role::recurrent: return "recurrent";
        case buffer_role::output: return "output";
        case buffer_role::compute: return "compute";
    }
    return "?";
}

/// The load phase an allocation failure happened in.
enum class failure_phase : std::uint8_t { unknown, weights, kv, recurrent, output, compute };

/// A short name for a phase ("weights", "kv", ...).
[[nodiscard]] constexpr std::string_view to_string(failure_phase p) noexcept {
    switch (p) {
        case failure_phase::weights: return "weights";
        case failure_phase::kv: return "kv";
        case failure_phase::recurrent: return "recurrent";
        case failure_phase::output: return "output";
        case failure_phase::compute: return "compute";
        default: return "unknown";
    }
}

/// Which program wrote the log, as far as its lines tell.
enum class program_kind : std::uint8_t { unknown, server, cli, ollama };

/// One buffer line.
struct logged_buffer {
    buffer_role role = buffer_role::model;  ///< which allocation
    std::string name;                       ///< buffer (type) name as printed: "CUDA0", "CPU_Mapped", "RPC0[host:port]"
    std::uint64_t mib100 = 0;               ///< size as printed, in hundredths of a MiB (1 MiB = 2^20 bytes)
    bool draft = false;                     ///< belongs to the draft model / context (a second load in the run)
};

/// One device the run saw.
struct logged_device {
    std::string name;                 ///< llama.cpp's device name: "CUDA0", "Vulkan1", "MTL0", "CPU"
    std::string description;          ///< "NVIDIA GeForce RTX 4090" (as printed)
    std::optional<std::uint64_t> total_mib;  ///< total memory (MiB), when a line gives it
    std::optional<std::uint64_t> free_mib;   ///< free memory at load (MiB), when a line gives it
};

/// The "size = ... (N cells, L layers, s/S seqs), K (t): ..., V (t): ..." line of one KV cache.
struct logged_kv {
    std::uint64_t size_mib100 = 0;  ///< K + V (hundredths of a MiB)
    std::uint32_t cells = 0;        ///< cells per stream
    std::uint32_t layers = 0;       ///< layers with this cache
    std::uint32_t seqs = 0;         ///< n_seq_max
    std::uint32_t streams = 0;      ///< KV streams (1 when unified; 0 when the build does not print it)
    std::string type_k, type_v;     ///< ggml type names ("f16", "q8_0")
    std::uint64_t k_mib100 = 0;     ///< K (hundredths of a MiB)
    std::uint64_t v_mib100 = 0;     ///< V (hundredths of a MiB)
    bool draft = false;             ///< the draft context's cache
};

/// The "size = ... (N cells, L layers, s seqs ...), R (t): ..., S (t): ..." line of a recurrent state.
struct logged_rs {
    std::uint64_t size_mib100 = 0;  ///< R + S (hundredths of a MiB)
    std::uint32_t cells = 0;        ///< cells
    std::uint32_t layers = 0;       ///< layers
    std::string type_r, type_s;     ///< ggml type names
    bool draft = false;             ///< the draft context's state
};

/// One row of the memory breakdown table (common/fit.cpp common_memory_breakdown_print; MiB, integer-truncated).
struct breakdown_row {
    std::string name;          ///< "CUDA0", "Host", "CPU_REPACK"
    std::string description;   ///< "RTX 4090" (device rows; prefixes like "NVIDIA " stripped by llama.cpp)
    bool device = false;       ///< a device row (with total, free and unaccounted)
    std::int64_t total = 0;    ///< device total (MiB)
    std::int64_t free = 0;     ///< device free at the time of printing (MiB)
    std::int64_t self = 0;     ///< model + context + compute (MiB)
    std::int64_t model = 0;    ///< weights (MiB)
    std::int64_t context = 0;  ///< KV + recurrent + output (MiB)
    std::int64_t compute = 0;  ///< compute buffers (MiB)
    std::int64_t unaccounted = 0;  ///< total - free - self: driver, cuBLAS, pools, other processes (MiB; may be < 0)
};

/// One request's timings (llama-server slot print_timings, or llama_perf_context_print of llama-cli).
struct logged_timing {
    double prompt_ms = 0;              ///< prompt evaluation time (ms)
    std::uint32_t prompt_tokens = 0;   ///< prompt tokens evaluated
    double prompt_tps = 0;             ///< prompt tokens per second as printed
    double eval_ms = 0;                ///< generation time (ms)
    std::uint32_t eval_tokens = 0;     ///< tokens generated ("runs" in llama_perf_context_print)
    double eval_tps = 0;               ///< generated tokens per second as printed
    bool has_prompt = false;           ///< a prompt line was read
    bool has_eval = false;             ///< an eval line was read
};

/// The first allocation failure of a run.
struct logged_failure {
    bool present = false;          ///< a failure line was read
    std::string backend;           ///< "CUDA", "ROCm", "MUSA", "Vulkan", "Metal", "CPU", "RPC" or "" (unknown)
    std::string buffer;            ///< the buffer type that failed ("CUDA0", "CPU"), when printed
    std::int32_t device = -1;      ///< the backend's device ordinal (CUDA0 -> 0), -1 for the host or unknown
    std::uint64_t bytes = 0;       ///< bytes that could not be allocated (exact, or from a MiB figure)
    bool size_known = false;       ///< the log gives the size (Metal's command-buffer OOM does not)
    bool size_exact = false;       ///< `bytes` is an exact byte count (not converted from MiB)
    failure_phase phase = failure_phase::unknown;  ///< weights, KV, recurrent, output or compute
    std::size_t line = 0;          ///< 1-based line of the first failure line
    std::string text;              ///< that line (trimmed, at most 300 bytes)
};

/// Everything one run of llama-server / llama-cli logged.
struct run_log {
    program_kind program = program_kind::unknown;  ///< which program, as far as its lines tell
    std::optional<std::uint32_t> build_number;     ///< "build 6325 (abc1234)"; 0 = built outside git
    std::string commit;                             ///< the commit hash as printed ("unknown" when built outside git)
    std::vector<logged_device> devices;             ///< devices the run listed, in order
    std::string model_path;                         ///< the GGUF path of the (target) model
    std::string arch;                               ///< print_info: arch
    std::string model_name;                         ///< print_info: general.name
    std::string file_type;                          ///< print_info: file type ("Q4_K - Medium")
    std::optional<std::uint32_t> n_ctx_train;       ///< print_info: n_ctx_train
    std::optional<std::uint32_t> n_layer;           ///< print_info: n_layer
    std::optional<std::uint32_t> n_embd;            ///< print_info: n_embd
    std::optional<std::uint32_t> n_seq_max;         ///< llama_context: n_seq_max (the target's context)
    std::optional<std::uint32_t> n_ctx;             ///< llama_context: n_ctx
    std::optional<std::uint32_t> n_ctx_seq;         ///< llama_context: n_ctx_seq (n_ctx_per_seq in older builds)
    std::optional<std::uint32_t> n_batch;           ///< llama_context: n_batch
    std::optional<std::uint32_t> n_ubatch;          ///< llama_context: n_ubatch
    std::optional<bool> flash_attn;                 ///< llama_context: flash_attn resolved ("enabled"/"disabled", 1/0)
    std::string flash_attn_text;                    ///< as printed ("auto" when unresolved at that point)
    std::optional<bool> kv_unified;                 ///< llama_context: kv_unified
    std::optional<std::uint32_t> n_slots;           ///< llama-server: n_slots
    std::optional<std::uint32_t> n_ctx_slot;        ///< llama-server: n_ctx_slot
    std::optional<std::int64_t> prompt_cache_mib;   ///< llama-server prompt cache limit (MiB; -1 = no limit)
    std::optional<std::uint32_t> offloaded_layers;  ///< load_tensors: offloaded N/M layers to GPU (N)
    std::optional<std::uint32_t> offloadable_layers;///< (M)
    std::vector<logged_buffer> buffers;             ///< every buffer line, in order
    std::vector<logged_kv> kv;                      ///< KV cache lines (one per cache: SWA and non-SWA apart)
    std::vector<logged_rs> rs;                      ///< recurrent-state lines
    std::optional<std::uint32_t> graph_nodes;       ///< graph nodes (with bs=n_ubatch)
    std::optional<std::uint32_t> graph_splits;      ///< graph splits (with bs=n_ubatch)
    std::optional<std::uint32_t> graph_splits_tg;   ///< graph splits with bs=1 (same as graph_splits when one figure)
    std::vector<breakdown_row> breakdown;           ///< the last memory breakdown table printed
    std::vector<logged_timing> timings;             ///< one per request
    logged_failure failure;                         ///< the first allocation failure
    bool draft = false;                             ///< a second model (the draft) was loaded in this run
    bool loaded = false;                            ///< the run got past loading ("model loaded", listening, generating)
    std::size_t first_line = 0;                     ///< 1-based line where the run starts
    std::size_t last_line = 0;                      ///< 1-based last line read into it

    /// Sum of the buffers of one role (hundredths of a MiB; `draft` selects the draft's or the target's).
    [[nodiscard]] std::uint64_t sum_mib100(buffer_role r, bool of_draft = false) const noexcept {
        std::uint64_t s = 0;
        for (const auto& b : buffers)
            if (b.role == r && b.draft == of_draft) s += b.mib100;
        return s;
    }
    /// The run ended before loading finished and without a failure line: the log was cut off.
    [[nodiscard]] bool truncated() const noexcept { return !loaded && !failure.present; }
    /// The row of the breakdown table for `name` ("CUDA0", "Host"), or nullptr.
    [[nodiscard]] const breakdown_row* breakdown_of(std::string_view name) const noexcept {
        for (const auto& r : breakdown)
            if (r.name == name) return &r;
        return nullptr;
    }
    /// The device named `name`, or nullptr.
    [[nodiscard]] const logged_device* device_named(std::string_view name) const noexcept {
        for (const auto& d : devices)
            if (d.name == name) return &d;
        return nullptr;
    }
};

/// What a whole log holds: its runs in order (a log may hold several starts, e.g. a restart appended to it).
struct log_reading {
    std::vector<run_log> runs;         ///< at most max_runs
    std::size_t runs_dropped = 0;      ///< runs past max_runs (counted, not kept)
    std::size_t lines = 0;             ///< lines read
    std::size_t recognized = 0;        ///< lines that matched a llama.cpp pattern
};

/// Hundredths of a MiB in bytes (the value llama.cpp printed, which is the size rounded to 0.01 MiB).
[[nodiscard]] constexpr std::uint64_t mib100_to_bytes(std::uint64_t mib100) noexcept {
    return ((mib100 << 20) + 50) / 100;
}
/// A byte count rounded to hundredths of a MiB, as llama.cpp's "%.2f" of bytes/1024/1024 prints it.
[[nodiscard]] constexpr std::uint64_t bytes_to_mib100(std::uint64_t bytes) noexcept {
    // bytes * 100 / 2^20 rounded half up (printf rounds the exact binary value; ties are measure-zero here),
    // split so that it cannot overflow
    return (bytes >> 20) * 100 + (((bytes & ((std::uint64_t{1} << 20) - 1)) * 100 + (std::uint64_t{1} << 19)) >> 20);
}

/// The backend prefix and device ordinal of a buffer or device name: "CUDA0" -> ("CUDA", 0), "ROCm1" -> ("ROCm", 1),
/// "RPC0[127.0.0.1:50052]" -> ("RPC", 0); host buffers ("CPU", "CPU_Mapped", "CUDA_Host") -> ordinal -1; Metal's buffers
/// ("MTL0", "MTL0_Mapped", and "Metal" / "Metal_Mapped" of older builds) -> 0: its one device is unified memory.
struct buffer_owner {
    std::string_view backend;  ///< "CUDA", "ROCm", "MUSA", "Vulkan", "MTL", "Metal", "SYCL", "RPC", "CPU", ...
    std::int32_t device = -1;  ///< device ordinal within its backend; -1 = host memory
};

/// Splits a buffer name into its backend and device ordinal (see buffer_owner).
[[nodiscard]] constexpr buffer_owner owner_of(std::string_view name) noexcept {
    buffer_owner o;
    std::size_t i = 0;
    while (i < name.size() && ((name[i] >= 'A' && name[i] <= 'Z') || (name[i] >= 'a' && name[i] <= 'z'))) ++i;
    o.backend = name.substr(0, i);
    std::size_t j = i;
    std::int64_t n = 0;
    while (j < name.size() && name[j] >= '0' && name[j] <= '9' && j - i < 6) n = n * 10 + (name[j++] - '0');
    const bool digits = j > i;
    const std::string_view rest = name.substr(j);
    // "CUDA0", "RPC0[host:port]", "MTL0", "Vulkan0"; "CUDA0_Host"-like names do not exist, "CUDA_Host" has no digits
    if (digits && (rest.empty() || rest.front() == '[')) o.device = static_cast<std::int32_t>(n);
    // Metal's one device: "MTL0_Mapped" (3f545bec) and "Metal" / "Metal_Mapped" (older builds) are its memory
    if (o.backend == "Metal" || (o.backend == "MTL" && digits)) o.device = digits ? static_cast<std::int32_t>(n) : 0;
    if (o.backend == "CPU" || o.backend == "AMX") o.device = -1;
    return o;
}

namespace detail {

/// `s` without leading and trailing spaces, tabs, CRs.
[[nodiscard]] constexpr std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
    return s;
}

/// Leading unsigned integer of `s` (after spaces); advances `s` past it. False when there is none or it overflows.
[[nodiscard]] inline bool take_u64(std::string_view& s, std::uint64_t& out) noexcept {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    std::size_t i = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == 0 || i > 19) return false;
    const auto r = std::from_chars(s.data(), s.data() + i, out);
    if (r.ec != std::errc{}) return false;
    s.remove_prefix(i);
    return true;
}

/// Leading signed integer of `s` (after spaces).
[[nodiscard]] inline bool take_i64(std::string_view& s, std::int64_t& out) noexcept {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    bool neg = false;
    if (!s.empty() && s.front() == '-') { neg = true; s.remove_prefix(1); }
    std::uint64_t u = 0;
    if (!take_u64(s, u) || u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return false;
    out = neg ? -static_cast<std::int64_t>(u) : static_cast<std::int64_t>(u);
    return true;
}

/// Leading u32.
[[nodiscard]] inline bool take_u32(std::string_view& s, std::uint32_t& out) noexcept {
    std::uint64_t v = 0;
    if (!take_u64(s, v) || v > 0xffffffffu) return false;
    out = static_cast<std::uint32_t>(v);
    return true;
}

/// Leading "%.2f"-style decimal as hundredths ("123.45" -> 12345; "7" -> 700; "1.5" -> 150); more decimals are cut.
[[nodiscard]] inline bool take_hundredths(std::string_view& s, std::uint64_t& out) noexcept {
    std::uint64_t whole = 0;
    if (!take_u64(s, whole) || whole > (std::uint64_t{1} << 50)) return false;
    std::uint64_t frac = 0;
    if (!s.empty() && s.front() == '.') {
        s.remove_prefix(1);
        unsigned digits = 0;
        while (!s.empty() && s.front() >= '0' && s.front() <= '9') {
            if (digits < 2) frac = frac * 10 + static_cast<std::uint64_t>(s.front() - '0');
            ++digits;
            s.remove_prefix(1);
        }
        if (digits == 1) frac *= 10;
    }
    out = whole * 100 + frac;
    return true;
}

/// Leading decimal as a double ("12.34").
[[nodiscard]] inline bool take_double(std::string_view& s, double& out) noexcept {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    std::size_t i = 0;
    while (i < s.size() && i < 32 && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) ++i;
    if (i == 0) return false;
    // digits and one point, parsed by hand: floating-point std::from_chars is missing from libc++ before 20
    double whole = 0, scale = 1;
    bool point = false, digit = false;
    std::size_t used = 0;
    for (; used < i; ++used) {
        const char c = s[used];
        if (c == '.') {
            if (point) break;
            point = true;
            continue;
        }
        digit = true;
        if (point) { scale /= 10; whole += scale * double(c - '0'); }
        else whole = whole * 10 + double(c - '0');
    }
    if (!digit) return false;
    out = whole;
    s.remove_prefix(used);
    return true;
}

/// The text after the first occurrence of `key` in `s` (empty optional when absent).
[[nodiscard]] constexpr std::optional<std::string_view> after(std::string_view s, std::string_view key) noexcept {
    const auto p = s.find(key);
    if (p == std::string_view::npos) return std::nullopt;
    return s.substr(p + key.size());
}

/// The last space-free token of `s` (trailing spaces ignored): "load_tensors:        CUDA0" -> "CUDA0".
[[nodiscard]] constexpr std::string_view last_token(std::string_view s) noexcept {
    s = trim(s);
    const auto p = s.find_last_of(" \t");
    return p == std::string_view::npos ? s : s.substr(p + 1);
}

/// The value of a "func: key   = value" line when its key (the first token after "func: ") is `key`.
[[nodiscard]] constexpr std::optional<std::string_view> setting(std::string_view line, std::string_view func,
                                                                std::string_view key) noexcept {
    const auto f = line.find(func);
    if (f == std::string_view::npos) return std::nullopt;
    std::string_view rest = line.substr(f + func.size());
    if (rest.size() < 2 || rest[0] != ':' || rest[1] != ' ') return std::nullopt;
    rest = trim(rest.substr(2));
    if (rest.substr(0, key.size()) != key) return std::nullopt;
    rest = rest.substr(key.size());
    std::size_t i = 0;
    while (i < rest.size() && rest[i] == ' ') ++i;
    if (i >= rest.size() || rest[i] != '=') return std::nullopt;
    return trim(rest.substr(i + 1));
}

/// Copies `s` into `out` with ANSI escape sequences removed, at most max_line_bytes bytes examined.
inline void clean_line(std::string_view s, std::string& out) {
    out.clear();
    if (s.size() > max_line_bytes) s = s.substr(0, max_line_bytes);
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\x1b') {  // ESC [ params letter (colors of --log-colors)
            std::size_t j = i + 1;
            if (j < s.size() && s[j] == '[') {
                ++j;
                while (j < s.size() && !((s[j] >= 'A' && s[j] <= 'Z') || (s[j] >= 'a' && s[j] <= 'z'))) ++j;
            }
            i = j;
            continue;
        }
        out.push_back(s[i]);
    }
}

/// Appends to a capped list; false (and nothing appended) when it is full.
template <class T>
bool push_capped(std::vector<T>& v, T item) {
    if (v.size() >= max_items) return false;
    v.push_back(std::move(item));
    return true;
}

/// A ggml type name in "K (f16)": the text between "(" and ")" right after `key`.
[[nodiscard]] constexpr std::string_view type_after(std::string_view s, std::string_view key) noexcept {
    const auto p = s.find(key);
    if (p == std::string_view::npos) return {};
    const auto rest = s.substr(p + key.size());
    const auto close = rest.find(')');
    if (close == std::string_view::npos || close > 16) return {};
    return rest.substr(0, close);
}

/// The reader's state over one log.
class log_parser {
public:
    log_reading out;

    void line(std::string_view raw) {
        ++out.lines;
        clean_line(raw, buf_);
        const std::string_view l = buf_;
        if (l.empty()) return;
        if (handle(l)) ++out.recognized;
    }

private:
    std::string buf_;
    bool in_breakdown_ = false;   // reading a breakdown table: a new header starts a fresh one
    bool context_seen_ = false;   // the (target) context was created in the current run
    bool in_draft_ = false;       // reading the draft model's lines
    failure_phase phase_hint_ = failure_phase::unknown;  // set by llama.cpp's own failure messages
    std::size_t model_loads_ = 0; // "loaded meta data" lines in the current run

    run_log* cur() { return out.runs.empty() ? nullptr : &out.runs.back(); }

    /// Starts a new run at this line.
    run_log& begin_run() {
        if (out.runs.size() >= max_runs) {
            ++out.runs_dropped;
            scratch_ = run_log{};
            scratch_active_ = true;
        } else {
            out.runs.emplace_back();
            scratch_active_ = false;
        }
        run_log& r = scratch_active_ ? scratch_ : out.runs.back();
        r.first_line = out.lines;
        context_seen_ = false;
        in_draft_ = false;
        in_breakdown_ = false;
        phase_hint_ = failure_phase::unknown;
        model_loads_ = 0;
        return r;
    }
    run_log scratch_;
    bool scratch_active_ = false;

    /// The current run, starting one when there is none.
    run_log& run() {
        if (scratch_active_) return scratch_;
        if (out.runs.empty()) return begin_run();
        return out.runs.back();
    }
    bool has_content() {
        if (!scratch_active_ && out.runs.empty()) return false;
        const run_log& r = run();
        // the device list alone does not make a run: older builds print ggml_cuda_init's devices before the build line
        return r.build_number || !r.model_path.empty() || !r.buffers.empty() || r.n_ctx || r.failure.present ||
               !r.breakdown.empty() || !r.timings.empty();
    }
    run_log& touch() {
        run_log& r = run();
        r.last_line = out.lines;
        return r;
    }

    bool handle(std::string_view l);
    bool handle_failure(std::string_view l);
    bool handle_breakdown(std::string_view l);
    void fail(std::string_view l, std::string_view backend, std::string_view buffer, std::uint64_t bytes, bool known,
              bool exact);
};

inline void log_parser::fail(std::string_view l, std::string_view backend, std::string_view buffer, std::uint64_t bytes,
                             bool known, bool exact) {
    run_log& r = touch();
    logged_failure& f = r.failure;
    if (f.present) {
        // ggml_gallocr_reserve_n only reserves compute buffers (ggml/src/ggml-alloc.c)
        if (l.find("ggml_gallocr_reserve_n") != std::string_view::npos) f.phase = failure_phase::compute;
        // a later line of the same failure may add what the first lacked (the buffer name, the size)
        if (f.buffer.empty() && !buffer.empty()) {
            f.buffer = std::string(buffer);
            f.device = owner_of(buffer).device;
        }
        if (f.backend.empty() && !backend.empty()) f.backend = std::string(backend);
        if (!f.size_known && known) { f.bytes = bytes; f.size_known = true; f.size_exact = exact; }
        else if (known && exact && !f.size_exact && f.size_known) { f.bytes = bytes; f.size_exact = true; }
        return;
    }
    f.present = true;
    f.backend = std::string(backend);
    f.buffer = std::string(buffer);
    f.device = buffer.empty() ? -1 : owner_of(buffer).device;
    f.bytes = bytes;
    f.size_known = known;
    f.size_exact = exact;
    f.line = out.lines;
    f.text = std::string(trim(l).substr(0, 300));
    // the phase: what was being allocated when it failed
    if (phase_hint_ != failure_phase::unknown) f.phase = phase_hint_;
    else if (l.find("ggml_gallocr_reserve_n") != std::string_view::npos) f.phase = failure_phase::compute;
    else if (!context_seen_) f.phase = failure_phase::weights;
    else if (!r.buffers.empty() && r.buffers.back().role == buffer_role::kv) f.phase = failure_phase::compute;
    else f.phase = failure_phase::kv;
}

inline bool log_parser::handle_failure(std::string_view l) {
    // llama.cpp's own messages name the phase; they come after the backend's line (exceptions caught by the caller)
    // src/llama-model.cpp load_tensors: "unable to allocate <buf> buffer"
    if (auto a = after(l, "unable to allocate ")) {
        phase_hint_ = failure_phase::weights;
        const auto name = a->substr(0, a->find(' '));
        fail(l, owner_of(name).backend, name, 0, false, false);
        touch().failure.phase = failure_phase::weights;
        return true;
    }
    // src/llama-kv-cache.cpp llama_kv_cache ctor; src/llama-memory-recurrent.cpp ctor
    if (l.find("failed to allocate buffer for kv cache") != std::string_view::npos ||
        l.find("failed to allocate buffer for rs cache") != std::string_view::npos) {
        const auto ph = l.find("kv cache") != std::string_view::npos ? failure_phase::kv : failure_phase::recurrent;
        fail(l, "", "", 0, false, false);
        touch().failure.phase = ph;
        return true;
    }
    // src/llama-context.cpp sched_reserve / graph_reserve
    if (l.find("failed to allocate compute") != std::string_view::npos) {
        fail(l, "", "", 0, false, false);
        touch().failure.phase = failure_phase::compute;
        return true;
    }
    // src/llama-context.cpp output_reserve: "failed to allocate output buffer of size %.2f MiB"
    if (auto a = after(l, "failed to allocate output buffer of size ")) {
        std::uint64_t m = 0;
        std::string_view s = *a;
        const bool ok = take_hundredths(s, m);
        fail(l, "", "", ok ? mib100_to_bytes(m) : 0, ok, false);
        touch().failure.phase = failure_phase::output;
        return true;
    }
    // ggml/src/ggml-alloc.c alloc_tensor_range (weights, KV, RS) and ggml_gallocr_reserve_n (compute):
    // "failed to allocate <buft> buffer of size <bytes>"
    if (auto a = after(l, "failed to allocate ")) {
        const auto of = a->find(" buffer of size ");
        if (of != std::string_view::npos && of > 0 && of < 64) {
            const auto name = a->substr(0, of);
            std::string_view s = a->substr(of + 16);
            std::uint64_t b = 0;
            const bool ok = take_u64(s, b);
            fail(l, owner_of(name).backend, name, b, ok, ok);
            return true;
        }
        // ggml/src/ggml-backend.cpp ggml_backend_cpu_buffer_type_alloc_buffer: "failed to allocate buffer of size N"
        if (auto c = after(*a, "buffer of size ")) {
            if (a->substr(0, 15) == "buffer of size ") {
                std::string_view s = *c;
                std::uint64_t b = 0;
                const bool ok = take_u64(s, b);
                const bool cpu = l.find("ggml_backend_cpu") != std::string_view::npos;
                fail(l, cpu ? "CPU" : "", cpu ? "CPU" : "", b, ok, ok);
                return true;
            }
        }
        // ggml-metal-device.m ggml_metal_buffer_init: "error: failed to allocate buffer, size = %8.2f MiB"
        if (auto c = after(*a, "buffer, size = ")) {
            std::string_view s = *c;
            std::uint64_t m = 0;
            const bool ok = take_hundredths(s, m);
            fail(l, "Metal", "", ok ? mib100_to_bytes(m) : 0, ok, false);
            return true;
        }
    }
    // ggml-cuda.cu ggml_backend_cuda_buffer_type_alloc_buffer:
    // "allocating %.2f MiB on device %d: cudaMalloc failed: out of memory" (the same text in ROCm and MUSA builds)
    if (auto a = after(l, "allocating ")) {
        const auto on = a->find(" MiB on device ");
        if (on != std::string_view::npos && l.find("Malloc failed") != std::string_view::npos) {
            std::string_view s = *a;
            std::uint64_t m = 0;
            std::uint64_t dev = 0;
            std::string_view d = a->substr(on + 15);
            const bool ok = take_hundredths(s, m);
            const bool dok = take_u64(d, dev) && dev < 1024;
            run_log& r = touch();
            const bool first = !r.failure.present;
            fail(l, "", "", ok ? mib100_to_bytes(m) : 0, ok, false);
            if (first && dok) r.failure.device = static_cast<std::int32_t>(dev);
            return true;
        }
    }
    // ggml-cuda.cu ggml_cuda_error: "CUDA error: out of memory" / "ROCm error: out of memory"
    for (std::string_view be : {std::string_view("CUDA"), std::string_view("ROCm"), std::string_view("MUSA")}) {
        const auto p = l.find(be);
        if (p != std::string_view::npos && l.substr(p + be.size(), 8) == " error: " &&
            l.find("out of memory") != std::string_view::npos) {
            fail(l, be, "", 0, false, false);
            return true;
        }
    }
    // ggml-vulkan.cpp ggml_vk_create_buffer_device: "ggml_vulkan: Device memory allocation of size N failed."
    if (auto a = after(l, "Device memory allocation of size ")) {
        std::string_view s = *a;
        std::uint64_t b = 0;
        const bool ok = take_u64(s, b);
        fail(l, "Vulkan", "", b, ok, ok);
        return true;
    }
    if (l.find("ErrorOutOfDeviceMemory") != std::string_view::npos) {
        fail(l, "Vulkan", "", 0, false, false);
        return true;
    }
    // ggml-metal-context.m: "command buffer N failed with status 5" and the IOKit "...ErrorOutOfMemory" reason
    if (l.find("kIOGPUCommandBufferCallbackErrorOutOfMemory") != std::string_view::npos ||
        (l.find("command buffer") != std::string_view::npos && l.find("failed with status 5") != std::string_view::npos)) {
        fail(l, "Metal", "", 0, false, false);
        run_log& r = touch();
        if (r.failure.phase == failure_phase::unknown || r.loaded) r.failure.phase = failure_phase::compute;
        return true;
    }
    return false;
}

inline bool log_parser::handle_breakdown(std::string_view l) {
    // common/fit.cpp common_memory_breakdown_print (llama_memory_breakdown_print in builds of PR #15860):
    // "| memory breakdown [MiB] | total free self model context compute unaccounted |" then one row per device:
    // "|   - CUDA0 (RTX 4090)   | 24077 =  945 + (19187 = 17904 +  384 +  898) +  3945 |", then "  - Host" and others
    const auto bar = l.find('|');
    if (bar == std::string_view::npos) return false;
    std::string_view rest = l.substr(bar + 1);
    if (rest.find("memory breakdown") != std::string_view::npos) {
        touch().breakdown.clear();  // a later table replaces an earlier one
        in_breakdown_ = true;
        return true;
    }
    if (!in_breakdown_) return false;
    const auto bar2 = rest.find('|');
    if (bar2 == std::string_view::npos) return false;
    std::string_view label = trim(rest.substr(0, bar2));
    if (label.substr(0, 2) != "- ") return false;
    label = trim(label.substr(2));
    breakdown_row row;
    const auto paren = label.find(" (");
    if (paren != std::string_view::npos && label.back() == ')') {
        row.name = std::string(label.substr(0, paren));
        row.description = std::string(label.substr(paren + 2, label.size() - paren - 3));
    } else {
        row.name = std::string(label);
    }
    std::string_view nums = rest.substr(bar2 + 1);
    std::int64_t v[7] = {};
    int n = 0;
    while (n < 7) {
        std::size_t i = 0;
        while (i < nums.size() && !(nums[i] >= '0' && nums[i] <= '9') && nums[i] != '-') ++i;
        nums.remove_prefix(i);
        if (nums.empty()) break;
        if (!take_i64(nums, v[n])) {
            if (!nums.empty()) nums.remove_prefix(1);  // a lone '-'
            continue;
        }
        ++n;
    }
    if (n == 7) {
        row.device = true;
        row.total = v[0]; row.free = v[1]; row.self = v[2]; row.model = v[3]; row.context = v[4]; row.compute = v[5];
        row.unaccounted = v[6];
    } else if (n == 4) {
        row.self = v[0]; row.model = v[1]; row.context = v[2]; row.compute = v[3];
    } else {
        return false;
    }
    run_log& r = touch();
    if (row.device && !r.device_named(row.name) && r.devices.size() < max_items) {
        logged_device d;
        d.name = row.name;
        d.description = row.description;
        r.devices.push_back(std::move(d));
    }
    if (row.device) {
        for (auto& d : r.devices)
            if (d.name == row.name && !d.total_mib) d.total_mib = static_cast<std::uint64_t>(row.total < 0 ? 0 : row.total);
    }
    (void)push_capped(r.breakdown, std::move(row));
    return true;
}

inline bool log_parser::handle(std::string_view l) {
    // ---- run boundaries and the build --------------------------------------------------------------------------
    // common/common.cpp common_params_print_info: "build 8000 (3f545bec) with cc for x86_64-linux-gnu"; older
    // builds: "build: 5489 (abc) with ..." and llama-cli's "main: build = 1234 (abc)"; --version: "version: 8000 (abc)"
    {
        std::optional<std::string_view> b;
        if (auto a = after(l, "common_params_print_info: build ")) b = a;
        else if (l.substr(0, 7) == "build: ") b = l.substr(7);
        else if (auto c = after(l, "main: build = ")) b = c;
        else if (l.substr(0, 9) == "version: ") b = l.substr(9);
        if (b) {
            std::string_view s = *b;
            std::uint32_t num = 0;
            if (take_u32(s, num)) {
                if (has_content()) begin_run();
                run_log& r = touch();
                r.build_number = num;
                const auto open = s.find('(');
                const auto close = s.find(')');
                if (open != std::string_view::npos && close != std::string_view::npos && close > open && close - open < 64) {
                    std::string_view c = s.substr(open + 1, close - open - 1);
                    if (c.substr(0, 7) == "commit ") c.remove_prefix(7);
                    if (c.substr(0, 6) == "build ") {  // "version: X (build N, commit C)"
                        const auto comma = c.find(", commit ");
                        c = comma == std::string_view::npos ? std::string_view{} : c.substr(comma + 9);
                    }
                    r.commit = std::string(c);
                }
                return true;
            }
        }
    }

    // ---- allocation failures -----------------------------------------------------------------------------------
    if (l.find("alloc") != std::string_view::npos || l.find("error") != std::string_view::npos ||
        l.find("failed") != std::string_view::npos || l.find("Error") != std::string_view::npos) {
        if (handle_failure(l)) return true;
    }

    // ---- the memory breakdown table ----------------------------------------------------------------------------
    if (l.find("memory_breakdown_print") != std::string_view::npos) return handle_breakdown(l);
    in_breakdown_ = false;

    // ---- buffers -----------------------------------------------------------------------------------------------
    struct pattern { std::string_view text; buffer_role role; };
    static constexpr pattern buffer_patterns[] = {
        {" model buffer size = ", buffer_role::model},     // src/llama-model.cpp load_tensors
        {" KV buffer size = ", buffer_role::kv},           // src/llama-kv-cache.cpp
        {" RS buffer size = ", buffer_role::recurrent},    // src/llama-memory-recurrent.cpp
        {" output buffer size = ", buffer_role::output},   // src/llama-context.cpp
        {" compute buffer size = ", buffer_role::compute}, // src/llama-context.cpp sched_reserve
    };
    for (const auto& p : buffer_patterns) {
        auto at = l.find(p.text);
        // older builds: "llm_load_tensors:      CUDA0 buffer size = 4403.49 MiB" (llm_load_tensors, no "model")
        if (at == std::string_view::npos && p.role == buffer_role::model && l.find("load_tensors:") != std::string_view::npos &&
            l.find(" LoRA ") == std::string_view::npos) {
            at = l.find(" buffer size = ");
            if (at != std::string_view::npos) {
                const auto name = last_token(l.substr(0, at));
                std::string_view s = l.substr(at + 15);
                std::uint64_t m = 0;
                if (name.empty() || name.back() == ':' || !take_hundredths(s, m)) return false;
                (void)push_capped(touch().buffers, logged_buffer{p.role, std::string(name), m, in_draft_});
                return true;
            }
            continue;
        }
        if (at == std::string_view::npos) continue;
        const auto name = last_token(l.substr(0, at));
        std::string_view s = l.substr(at + p.text.size());
        std::uint64_t m = 0;
        if (name.empty() || name.back() == ':' || !take_hundredths(s, m)) return false;
        run_log& r = touch();
        if (p.role != buffer_role::model) context_seen_ = true;
        (void)push_capped(r.buffers, logged_buffer{p.role, std::string(name), m, in_draft_});
        return true;
    }

    // ---- KV and recurrent-state cell lines -----------------------------------------------------------------------
    // "llama_kv_cache: size =  256.00 MiB (  4096 cells,  32 layers,  1/1 seqs), K (f16):  128.00 MiB, V (f16): ..."
    // (older: "llama_kv_cache_unified:" and "( 4096 cells, 32 layers, 1 seqs)" without the stream count)
    if (auto a = after(l, ": size = ")) {
        if (l.find(" cells, ") != std::string_view::npos && l.find(" layers, ") != std::string_view::npos) {
            std::string_view s = *a;
            std::uint64_t size = 0;
            if (!take_hundredths(s, size)) return false;
            const auto open = s.find('(');
            if (open == std::string_view::npos) return false;
            s.remove_prefix(open + 1);
            std::uint32_t cells = 0, layers = 0, seqs = 0, streams = 0;
            if (!take_u32(s, cells)) return false;
            if (auto c = after(s, "cells,")) s = *c; else return false;
            if (!take_u32(s, layers)) return false;
            if (auto c = after(s, "layers,")) s = *c; else return false;
            (void)take_u32(s, seqs);
            if (!s.empty() && s.front() == '/') { s.remove_prefix(1); (void)take_u32(s, streams); }
            run_log& r = touch();
            context_seen_ = true;
            if (l.find(" R (") != std::string_view::npos) {
                logged_rs x;
                x.size_mib100 = size; x.cells = cells; x.layers = layers; x.draft = in_draft_;
                x.type_r = std::string(type_after(l, " R ("));
                x.type_s = std::string(type_after(l, " S ("));
                (void)push_capped(r.rs, std::move(x));
            } else {
                logged_kv x;
                x.size_mib100 = size; x.cells = cells; x.layers = layers; x.seqs = seqs; x.streams = streams;
                x.draft = in_draft_;
                x.type_k = std::string(type_after(l, " K ("));
                x.type_v = std::string(type_after(l, " V ("));
                if (auto k = after(l, " K (")) { std::string_view t = *k; if (auto c = after(t, "):")) { t = *c; (void)take_hundredths(t, x.k_mib100); } }
                if (auto v = after(l, " V (")) { std::string_view t = *v; if (auto c = after(t, "):")) { t = *c; (void)take_hundredths(t, x.v_mib100); } }
                (void)push_capped(r.kv, std::move(x));
            }
            return true;
        }
    }

    // ---- model load ----------------------------------------------------------------------------------------------
    // src/llama-model-loader.cpp: "loaded meta data with %d key-value pairs and %d tensors from %s (version %s)"
    if (auto a = after(l, " tensors from ")) {
        if (l.find("loaded meta data with ") != std::string_view::npos) {
            std::string_view path = *a;
            const auto v = path.rfind(" (version ");
            if (v != std::string_view::npos) path = path.substr(0, v);
            path = trim(path);
            {
                run_log* r0 = (scratch_active_ || !out.runs.empty()) ? &run() : nullptr;
                // a finished run (loaded or failed) followed by another load: a new start (Ollama's retries, a
                // restart appended to the log); a second load before that: the draft model of speculative decoding,
                // unless it is the same file again (a restart of a run cut off while loading)
                if (r0 && (r0->loaded || r0->failure.present || (model_loads_ > 0 && path == r0->model_path) ||
                           (model_loads_ > 0 && !context_seen_))) {
                    begin_run();
                } else if (r0 && model_loads_ > 0) {
                    in_draft_ = true;
                    r0->draft = true;
                }
            }
            run_log& r = touch();
            ++model_loads_;
            if (!in_draft_) r.model_path = std::string(path.substr(0, 1024));
            return true;
        }
    }
    // src/llama-model.cpp load_tensors: "offloaded %d/%d layers to GPU"
    if (auto a = after(l, "offloaded ")) {
        std::string_view s = *a;
        std::uint32_t n = 0, m = 0;
        if (take_u32(s, n) && !s.empty() && s.front() == '/') {
            s.remove_prefix(1);
            if (take_u32(s, m) && s.substr(0, 14) == " layers to GPU") {
                run_log& r = touch();
                if (!in_draft_) { r.offloaded_layers = n; r.offloadable_layers = m; }
                return true;
            }
        }
    }
    // src/llama-model.cpp print_info (llm_load_print_meta in older builds)
    for (std::string_view func : {std::string_view("print_info"), std::string_view("llm_load_print_meta")}) {
        if (l.find(func) == std::string_view::npos) continue;
        if (in_draft_) return true;
        run_log& r = touch();
        if (auto v = setting(l, func, "arch")) { r.arch = std::string(v->substr(0, 64)); return true; }
        if (auto v = setting(l, func, "general.name")) { r.model_name = std::string(v->substr(0, 256)); return true; }
        if (auto v = setting(l, func, "file type")) { r.file_type = std::string(v->substr(0, 64)); return true; }
        if (auto v = setting(l, func, "model ftype")) { r.file_type = std::string(v->substr(0, 64)); return true; }
        std::uint32_t x = 0;
        if (auto v = setting(l, func, "n_ctx_train")) { std::string_view s = *v; if (take_u32(s, x)) r.n_ctx_train = x; return true; }
        if (auto v = setting(l, func, "n_layer")) { std::string_view s = *v; if (take_u32(s, x)) r.n_layer = x; return true; }
        if (auto v = setting(l, func, "n_embd")) { std::string_view s = *v; if (take_u32(s, x)) r.n_embd = x; return true; }
        return true;
    }
    // src/llama.cpp llama_model_load_from_file_impl: "using device CUDA0 (NVIDIA GeForce RTX 4090) (0000:01:00.0) -
    // 23008 MiB free" (older builds without the id)
    if (auto a = after(l, "using device ")) {
        std::string_view s = *a;
        const auto sp = s.find(' ');
        const auto dash = s.rfind(" - ");
        if (sp != std::string_view::npos && dash != std::string_view::npos && dash > sp) {
            const std::string_view name = s.substr(0, sp);
            std::string_view desc = trim(s.substr(sp, dash - sp));
            if (desc.size() >= 2 && desc.front() == '(') {
                const auto close = desc.find(')');
                desc = close == std::string_view::npos ? desc.substr(1) : desc.substr(1, close - 1);
            }
            std::string_view f = s.substr(dash + 3);
            std::uint64_t free = 0;
            const bool ok = take_u64(f, free) && f.substr(0, 4) == " MiB";
            if (in_draft_) return true;
            run_log& r = touch();
            logged_device* d = nullptr;
            for (auto& x : r.devices) if (x.name == name) d = &x;
            if (!d && r.devices.size() < max_items) { r.devices.push_back({}); d = &r.devices.back(); d->name = std::string(name); }
            if (d) {
                if (d->description.empty()) d->description = std::string(desc.substr(0, 256));
                if (ok) d->free_mib = free;
            }
            return true;
        }
    }
    // common/common.cpp common_params_print_info: "  - CUDA0   : NVIDIA GeForce RTX 4090 (24080 MiB, 23008 MiB free)"
    // (also llama-server --list-devices: "  CUDA0: NVIDIA GeForce RTX 4090 (24080 MiB, 23008 MiB free)")
    if (l.find(" MiB free)") != std::string_view::npos && l.find(" MiB, ") != std::string_view::npos) {
        std::string_view s = trim(l);
        if (s.substr(0, 2) == "- ") s = trim(s.substr(2));
        const auto colon = s.find(':');
        const auto open = s.rfind('(');
        if (colon != std::string_view::npos && open != std::string_view::npos && open > colon) {
            const std::string_view name = trim(s.substr(0, colon));
            const std::string_view desc = trim(s.substr(colon + 1, open - colon - 1));
            std::string_view nums = s.substr(open + 1);
            std::uint64_t total = 0, free = 0;
            if (!name.empty() && name.find(' ') == std::string_view::npos && take_u64(nums, total)) {
                if (auto c = after(nums, " MiB, ")) {
                    nums = *c;
                    if (take_u64(nums, free)) {
                        run_log& r = touch();
                        logged_device* d = nullptr;
                        for (auto& x : r.devices) if (x.name == name) d = &x;
                        if (!d && r.devices.size() < max_items) { r.devices.push_back({}); d = &r.devices.back(); d->name = std::string(name); }
                        if (d) {
                            if (d->description.empty()) d->description = std::string(desc.substr(0, 256));
                            d->total_mib = total;
                            d->free_mib = free;
                        }
                        return true;
                    }
                }
            }
        }
    }
    // ggml-cuda.cu ggml_cuda_init: "  Device 0: NVIDIA GeForce RTX 4090, compute capability 8.9, VMM: yes[, VRAM: N MiB]"
    if (auto a = after(l, "Device ")) {
        if (l.find(", compute capability ") != std::string_view::npos || l.find(", gfx") != std::string_view::npos) {
            std::string_view s = *a;
            std::uint32_t idx = 0;
            if (take_u32(s, idx) && idx < 1024 && s.substr(0, 2) == ": ") {
                s.remove_prefix(2);
                const std::string_view desc = s.substr(0, s.find(','));
                std::optional<std::uint64_t> vram;
                if (auto v = after(s, "VRAM: ")) { std::string_view t = *v; std::uint64_t x = 0; if (take_u64(t, x)) vram = x; }
                const bool rocm = l.find(", gfx") != std::string_view::npos;
                const std::string name = std::string(rocm ? "ROCm" : "CUDA") + std::to_string(idx);
                run_log& r = touch();
                logged_device* d = nullptr;
                for (auto& x : r.devices) if (x.name == name) d = &x;
                if (!d && r.devices.size() < max_items) { r.devices.push_back({}); d = &r.devices.back(); d->name = name; }
                if (d) {
                    if (d->description.empty()) d->description = std::string(desc.substr(0, 256));
                    if (vram && !d->total_mib) d->total_mib = vram;
                }
                return true;
            }
        }
    }

    // ---- context settings (src/llama-context.cpp llama_context ctor; llama_new_context_with_model in older builds) --
    for (std::string_view func : {std::string_view("llama_context"), std::string_view("llama_new_context_with_model"),
                                  std::string_view("llama_init_from_model")}) {
        if (l.find(func) == std::string_view::npos) continue;
        std::uint32_t x = 0;
        auto num = [&](std::string_view key, std::optional<std::uint32_t>& field) {
            if (auto v = setting(l, func, key)) {
                std::string_view s = *v;
                if (take_u32(s, x) && !in_draft_) field = x;
                return true;
            }
            return false;
        };
        run_log& r = touch();
        if (num("n_seq_max", r.n_seq_max)) return true;
        if (num("n_ctx_seq", r.n_ctx_seq) || num("n_ctx_per_seq", r.n_ctx_seq)) return true;
        if (num("n_ctx", r.n_ctx)) { context_seen_ = true; return true; }
        if (num("n_batch", r.n_batch)) return true;
        if (num("n_ubatch", r.n_ubatch)) return true;
        if (auto v = setting(l, func, "flash_attn")) {
            if (!in_draft_) {
                r.flash_attn_text = std::string(v->substr(0, 16));
                if (*v == "enabled" || *v == "1" || *v == "true") r.flash_attn = true;
                else if (*v == "disabled" || *v == "0" || *v == "false") r.flash_attn = false;
            }
            return true;
        }
        if (auto v = setting(l, func, "kv_unified")) {
            if (!in_draft_) r.kv_unified = *v == "true" || *v == "1";
            return true;
        }
        // "Flash Attention was auto, set to enabled" (src/llama-context.cpp, when auto resolves)
        if (auto a = after(l, "Flash Attention was auto, set to ")) {
            if (!in_draft_) {
                r.flash_attn = a->substr(0, 7) == "enabled";
                r.flash_attn_text = std::string(trim(a->substr(0, 16)));
            }
            return true;
        }
    }
    // src/llama-context.cpp sched_reserve: "graph nodes  = N (with bs=512), M (with bs=1)"; "graph splits = ..."
    for (const bool splits : {false, true}) {
        if (auto a = after(l, splits ? "graph splits = " : "graph nodes  = ")) {
            std::string_view s = *a;
            std::uint32_t pp = 0, tg = 0;
            if (!take_u32(s, pp)) return false;
            tg = pp;
            if (auto c = after(s, "), ")) { std::string_view t = *c; (void)take_u32(t, tg); }
            run_log& r = touch();
            if (!in_draft_) {
                if (splits) { r.graph_splits = pp; r.graph_splits_tg = tg; }
                else r.graph_nodes = pp;
            }
            return true;
        }
    }

    // ---- llama-server ------------------------------------------------------------------------------------------
    // tools/server/server-context.cpp load_model: "initializing, n_slots = %d, n_ctx_slot = %d, kv_unified = '%s'"
    // (older: "initializing slots, n_slots = %d" and "new slot n_ctx_slot = %d")
    if (auto a = after(l, "n_slots = ")) {
        std::string_view s = *a;
        std::uint32_t n = 0;
        if (take_u32(s, n)) {
            run_log& r = touch();
            r.program = program_kind::server;
            r.n_slots = n;
            if (auto c = after(s, "n_ctx_slot = ")) { std::string_view t = *c; std::uint32_t x = 0; if (take_u32(t, x)) r.n_ctx_slot = x; }
            return true;
        }
    }
    if (auto a = after(l, "new slot n_ctx_slot = ")) {
        std::string_view s = *a;
        std::uint32_t x = 0;
        if (take_u32(s, x)) { run_log& r = touch(); r.program = program_kind::server; if (!r.n_ctx_slot) r.n_ctx_slot = x; return true; }
    }
    // tools/server/server-context.cpp: "prompt cache is enabled, size limit: %d MiB" / "no limit"
    if (auto a = after(l, "prompt cache is enabled, size limit: ")) {
        run_log& r = touch();
        std::string_view s = *a;
        std::uint64_t x = 0;
        if (s.substr(0, 8) == "no limit") r.prompt_cache_mib = -1;
        else if (take_u64(s, x) && x < (std::uint64_t{1} << 40)) r.prompt_cache_mib = static_cast<std::int64_t>(x);
        return true;
    }
    // tools/server/server.cpp: "model loaded", "listening on ..." ("HTTP server is listening" in older builds)
    if (l.find("srv ") != std::string_view::npos || l.find("main: ") != std::string_view::npos) {
        if (l.find(": model loaded") != std::string_view::npos || l.find("listening on ") != std::string_view::npos ||
            l.find("server is listening") != std::string_view::npos || l.find("all slots are idle") != std::string_view::npos) {
            run_log& r = touch();
            r.program = program_kind::server;
            r.loaded = true;
            in_draft_ = false;
            return true;
        }
    }
    if (l.find("llama_perf_context_print:") != std::string_view::npos) {  // llama-cli / llama-completion / bindings
        run_log& r = touch();
        if (r.program == program_kind::unknown) r.program = program_kind::cli;
        r.loaded = true;
    }
    // timings: server slot print_timings "prompt eval time = %10.2f ms / %5d tokens (%8.2f ms per token, %8.2f tokens
    // per second)", "       eval time = ..."; llama_perf_context_print the same with "runs" for eval
    if (auto a = after(l, "eval time = ")) {
        std::string_view s = *a;
        double ms = 0, per = 0, tps = 0;
        std::uint32_t n = 0;
        if (!take_double(s, ms)) return false;
        if (auto c = after(s, "/")) s = *c; else return false;
        if (!take_u32(s, n)) return false;
        if (auto c = after(s, "(")) s = *c; else return false;
        if (!take_double(s, per)) return false;
        if (auto c = after(s, "ms per token,")) s = *c; else return false;
        if (!take_double(s, tps)) return false;
        run_log& r = touch();
        const bool prompt = l.find("prompt eval time") != std::string_view::npos;
        if (l.find("llama_perf_context_print") != std::string_view::npos && r.program == program_kind::unknown)
            r.program = program_kind::cli;
        if (prompt || r.timings.empty() || r.timings.back().has_eval) {
            if (!push_capped(r.timings, logged_timing{})) return true;
        }
        logged_timing& t = r.timings.back();
        if (prompt) { t.prompt_ms = ms; t.prompt_tokens = n; t.prompt_tps = tps; t.has_prompt = true; }
        else { t.eval_ms = ms; t.eval_tokens = n; t.eval_tps = tps; t.has_eval = true; }
        r.loaded = true;
        return true;
    }
    // llama-cli / llama-completion start generating: "generate: n_ctx = ..." / "main: interactive mode on"
    if (l.find("generate: n_ctx = ") != std::string_view::npos) {
        run_log& r = touch();
        if (r.program == program_kind::unknown) r.program = program_kind::cli;
        r.loaded = true;
        return true;
    }
    // Ollama's runner around llama.cpp (the llama.cpp lines are the same): "msg=\"starting go runner\"", "llama runner"
    if (l.find("msg=") != std::string_view::npos && l.find("source=") != std::string_view::npos) {
        if (l.find("llama runner started") != std::string_view::npos) {
            run_log& r = touch();
            r.program = program_kind::ollama;
            r.loaded = true;
            return true;
        }
        if (l.find("runner") != std::string_view::npos || l.find("llama server") != std::string_view::npos) {
            if (!out.runs.empty() || scratch_active_) run().program = program_kind::ollama;
            return false;
        }
    }
    // the model was loaded and the context created ("llama_context: constructing llama_context" and the server's
    // warmup are not needed); llama.cpp's own loader lines that start a run without a build line
    return false;
}

}  // namespace detail

/// Reads a llama.cpp log. Refuses text in which no line is one llama.cpp prints ("not a llama.cpp log"); otherwise
/// returns every run it holds (unknown lines skipped; a cut-off run is returned with what it logged, see
/// run_log::truncated()).
[[nodiscard]] inline result<log_reading> read_log(std::string_view text) {
    detail::log_parser p;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto nl = text.find('\n', pos);
        if (nl == std::string_view::npos) nl = text.size();
        p.line(text.substr(pos, nl - pos));
        pos = nl + 1;
    }
    if (p.out.recognized == 0 || p.out.runs.empty())
        return make_error(errc::bad_magic, "not a llama.cpp log: no line llama-server or llama-cli prints", 0);
    return std::move(p.out);
}

/// The last run of a log (the one a user asking about "the log" means).
[[nodiscard]] inline const run_log& last_run(const log_reading& r) noexcept { return r.runs.back(); }

}  // namespace llamaplan::logs

#endif  // LLAMAPLAN_LOGS_READER_HPP
