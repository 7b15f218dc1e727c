// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_SERVER_ARGS_HPP
#define LLAMAPLAN_SERVER_ARGS_HPP

#include <llamaplan/config.hpp>
#include <llamaplan/ggml_types.hpp>
#include <llamaplan/mmproj.hpp>
#include <llamaplan/params.hpp>
#include <llamaplan/result.hpp>

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG {

/// A llama-server command line turned into launch parameters (flag spellings from common/arg.cpp).
struct server_args {
    launch_params params{};        ///< the settings, with llama-server's defaults where a flag is absent
    std::string_view model{};      ///< `-m` / `--model` (or the first positional argument; "-" is kept as given)
    bool n_gpu_layers_auto = true; ///< `-ngl` absent or `auto`: llama-server's `--fit` would choose
    bool n_parallel_auto = true;   ///< `-np` absent or -1: 4 slots with a unified KV cache
    bool fit = true;               ///< `--fit on|off` (default on)
    std::uint64_t cache_ram = 8192ull << 20;  ///< `-cram` host prompt cache (bytes; default 8192 MiB; 0 = off;
                                              ///< -1 = ~0, no byte limit: see memory.hpp unbounded_prompt_cache)
    std::uint32_t threads = 0;       ///< `-t` CPU threads for generation (0 = llama.cpp's default)
    std::uint32_t threads_batch = 0; ///< `-tb` CPU threads for batches (0 = same as threads)
    std::string_view numa{};         ///< `--numa distribute|isolate|numactl`, empty when absent
    setting_set pinned{};            ///< the settings the command line gave explicitly
    std::string_view draft_model{};  ///< `-md` / `--model-draft` / `--spec-draft-model`: the draft for speculative
                                     ///< decoding; empty when absent
    draft_params draft{};            ///< the draft's own flags (-ngld -devd -ctkd -ctvd -otd -cmoed -ncmoed)
    bool draft_n_gpu_layers_auto = true;  ///< `-ngld` absent or `auto`: llama-server's `--fit` would choose
    /// `-mm` / `--mmproj` (or `-mmu` / `--mmproj-url`): the multimodal projector llama-server loads beside the model
    /// (tools/mtmd); a host opens it and passes it to estimate_memory / the planner. Empty when absent or `--no-mmproj`.
    std::string_view mmproj{};
    bool mmproj_url = false;      ///< `mmproj` came from `-mmu` / `--mmproj-url`: a URL llama-server downloads, not a file
    mmproj_params mmproj_load{};  ///< `--mmproj-offload` / `--no-mmproj-offload`, `-mmdev`, `--warmup` / `--no-warmup`
    /// `--rpc HOST:PORT[,HOST:PORT...]`: the rpc-servers whose devices llama.cpp puts first in its device list, in
    /// this order (common/arg.cpp add_rpc_devices; src/llama.cpp llama_prepare_model_devices). Each entry was checked
    /// by rpc_endpoint_valid; the host adds the workers' devices to the machine (with_rpc_devices). Empty when absent.
    std::string_view rpc{};
};

/// True if `e` is an rpc-server endpoint llama.cpp can connect to: HOST:PORT with a non-empty host (a name, an IPv4
/// address or a bracketed IPv6 address; ggml-rpc.cpp parse_endpoint splits at the last ':'), a port of 1 to 65535,
/// and at most max_endpoint_length characters.
[[nodiscard]] constexpr bool rpc_endpoint_valid(std::string_view e) noexcept {
    const auto colon = e.rfind(':');
    if (e.empty() || e.size() > max_endpoint_length || colon == std::string_view::npos || colon == 0) return false;
    const std::string_view port = e.substr(colon + 1);
    if (port.empty() || port.size() > 5) return false;
    std::uint32_t v = 0;
    for (const char c : port) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + std::uint32_t(c - '0');
    }
    if (v == 0 || v > 65535) return false;
    for (const char c : e.substr(0, colon))
        if (c <= ' ' || c == ',' || c == '=' || static_cast<unsigned char>(c) >= 127) return false;
    return true;
}

/// The `index`-th endpoint of a `--rpc` list (empty past the end).
[[nodiscard]] constexpr std::string_view rpc_endpoint(std::string_view list, std::size_t index) noexcept {
    while (!list.empty()) {
        const auto comma = list.find(',');
        if (index-- == 0) return list.substr(0, comma);
        if (comma == std::string_view::npos) break;
        list = list.substr(comma + 1);
    }
    return {};
}

namespace detail {
[[nodiscard]] constexpr bool parse_u64(std::string_view s, std::uint64_t& out) noexcept {
    if (s.empty() || s.size() > 19) return false;
    out = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        out = out * 10 + std::uint64_t(c - '0');
    }
    return true;
}
[[nodiscard]] constexpr bool parse_i64(std::string_view s, std::int64_t& out) noexcept {
    const bool neg = !s.empty() && s[0] == '-';
    std::uint64_t u = 0;
    if (!parse_u64(neg ? s.substr(1) : s, u) || u > 0x7fffffffffffffffull) return false;
    out = neg ? -std::int64_t(u) : std::int64_t(u);
    return true;
}
/// A non-negative decimal like "3", "0.5", "1e2" is not needed: `-ts` takes plain decimals.
[[nodiscard]] constexpr bool parse_float(std::string_view s, float& out) noexcept {
    if (s.empty()) return false;
    double v = 0, scale = 0;
    bool any = false;
    for (char c : s) {
        if (c == '.' && scale == 0) { scale = 1; continue; }
        if (c < '0' || c > '9') return false;
        any = true;
        if (scale == 0) v = v * 10 + (c - '0');
        else { scale /= 10; v += (c - '0') * scale; }
    }
    out = static_cast<float>(v);
    return any;
}
/// llama.cpp's boolean spellings (common/arg.cpp): on|enabled|true|1 and off|disabled|false|0.
[[nodiscard]] constexpr int parse_switch(std::string_view s) noexcept {
    if (s == "on" || s == "enabled" || s == "true" || s == "1") return 1;
    if (s == "off" || s == "disabled" || s == "false" || s == "0") return 0;
    return -1;
}
template <std::size_t N>
[[nodiscard]] constexpr bool one_of(std::string_view a, const std::array<std::string_view, N>& names) noexcept {
    for (auto n : names)
        if (a == n) return true;
    return false;
}
/// Reads a buffer-type name of `-ot` into `o`: "CPU" (any case) is the host; "CUDA0", "Vulkan1", "ROCm2", "SYCL0",
/// "MTL0" name the k-th device *of that backend* (llama.cpp numbers devices per backend), resolved against the
/// machine by compile_overrides.
[[nodiscard]] constexpr bool parse_buft(std::string_view s, tensor_override& o) noexcept {
    if (iequals(s, "CPU")) { o.device = host_device; o.named_backend = backend::cpu; return true; }
    // "RPC<device>[endpoint]": a device of an rpc-server (ggml-rpc.cpp ggml_backend_rpc_buffer_type)
    if (s.size() > 5 && s.substr(0, 3) == "RPC" && s.back() == ']') {
        const auto open = s.find('[');
        std::uint64_t k = 0;
        if (open == std::string_view::npos || !parse_u64(s.substr(3, open - 3), k) || k >= LLAMAPLAN_MAX_DEVICES) return false;
        const std::string_view endpoint = s.substr(open + 1, s.size() - open - 2);
        if (!rpc_endpoint_valid(endpoint)) return false;
        o.named_backend = backend::other;
        o.named_ordinal = static_cast<std::uint32_t>(k);
        o.named_endpoint = endpoint;
        return true;
    }
    std::size_t i = s.size();
    while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9') --i;
    if (i == 0 || i == s.size()) return false;
    std::uint64_t k = 0;
    if (!parse_u64(s.substr(i), k) || k >= LLAMAPLAN_MAX_DEVICES) return false;
    constexpr std::array<backend, 5> gpus = {backend::cuda, backend::rocm, backend::vulkan, backend::sycl, backend::metal};
    for (const backend b : gpus)
        if (iequals(s.substr(0, i), device_name_prefix(b))) {
            o.named_backend = b;
            o.named_ordinal = static_cast<std::uint32_t>(k);
            return true;
        }
    return false;
}

/// Reads a `-ot` / `-otd` value (REGEX=BUFT[,...]) into `out`; returns the reason it is malformed, or empty.
[[nodiscard]] constexpr std::string_view parse_override_list(
    std::string_view rest, detail::fixed_vector<tensor_override, LLAMAPLAN_MAX_OVERRIDES>& out) noexcept {
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        const auto item = rest.substr(0, comma);
        const auto eq = item.rfind('=');
        if (eq == std::string_view::npos || eq == 0) return "-ot entries are REGEX=BUFT";
        tensor_override o{item.substr(0, eq), host_device};
        if (!parse_buft(item.substr(eq + 1), o)) return "-ot names an unknown buffer type (use CPU, CUDA0, Vulkan0, ROCm0, SYCL0, MTL0, RPC0[HOST:PORT])";
        if (!out.push_back(o)) return "too many -ot rules";
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
    return {};
}

// Flags llama-server accepts that do not change memory; listed so a pasted command line parses (common/arg.cpp).
inline constexpr std::array<std::string_view, 49> ignored_with_value = {
    "--image-min-tokens", "--image-max-tokens", "--host", "--port", "-lv", "--verbosity", "--log-verbosity",
    "-a", "--alias", "--api-key", "--api-key-file", "-s", "--seed", "--temp", "--top-k", "--top-p", "--min-p",
    "-n", "--n-predict", "--predict", "--chat-template", "--chat-template-file", "--timeout", "--threads-http",
    "-fitt", "--fit-target", "-fitc", "--fit-ctx", "--keep", "--slot-save-path", "--reasoning-format",
    "--reasoning-budget", "-C", "--cpu-mask", "-Cb", "--cpu-mask-batch", "--prio", "--prio-batch", "--cache-reuse",
    "-ctxcp", "--ctx-checkpoints", "--swa-checkpoints", "--log-file", "--path", "--api-prefix", "--rope-freq-base",
    "--rope-freq-scale", "--rope-scaling", "--yarn-orig-ctx"};
// `--no-op-offload` changes where large-batch ops of host weights run on a GPU (not modelled: see memory.hpp)
inline constexpr std::array<std::string_view, 23> ignored_switches = {
    "--mmproj-auto", "--jinja", "--no-jinja", "--metrics", "--slots", "--no-slots", "-cb", "--cont-batching",
    "-nocb", "--no-cont-batching", "-v", "--verbose", "--log-disable", "--no-webui", "--props", "--mlock",
    "--no-perf", "--perf", "-fa-auto", "--log-colors", "--log-prefix", "--log-timestamps", "--no-op-offload"};
// Speculative-decoding flags that do not change memory (common/arg.cpp, set_spec()): threads, CPU affinity, priorities
// and the acceptance thresholds of the draft, and the ngram sizes that do not bound a draft's length.
inline constexpr std::array<std::string_view, 37> ignored_spec_with_value = {
    "-td", "--threads-draft", "--spec-draft-threads", "-tbd", "--threads-batch-draft", "--spec-draft-threads-batch",
    "-Cd", "--cpu-mask-draft", "--spec-draft-cpu-mask", "-Crd", "--cpu-range-draft", "--spec-draft-cpu-range",
    "--cpu-strict-draft", "--spec-draft-cpu-strict", "--prio-draft", "--spec-draft-prio", "--poll-draft",
    "--spec-draft-poll", "-Cbd", "--cpu-mask-batch-draft", "--spec-draft-cpu-mask-batch", "-Crbd",
    "--cpu-range-batch-draft", "--spec-draft-cpu-range-batch", "--spec-draft-n-min", "--draft-p-split",
    "--spec-draft-p-split", "--draft-p-min", "--spec-draft-p-min", "--spec-ngram-mod-n-min", "--spec-ngram-mod-n-match",
    "--spec-ngram-simple-size-n", "--spec-ngram-simple-min-hits", "--spec-ngram-map-k-size-n",
    "--spec-ngram-map-k-min-hits", "--spec-ngram-map-k4v-size-n", "--spec-ngram-map-k4v-min-hits"};
inline constexpr std::array<std::string_view, 2> ignored_spec_switches = {
    "--spec-draft-backend-sampling", "--no-spec-draft-backend-sampling"};
}  // namespace detail

/// Parses llama-server arguments (argv without the program name; a leading "llama-server" word is skipped).
/// Values are the next argument, never `--flag=value`, as in common/arg.cpp. Unknown flags are an error naming
/// the argument index, so nothing is silently misread.
[[nodiscard]] constexpr result<server_args> parse_server_args(std::span<const std::string_view> argv) noexcept {
    server_args out;
    launch_params& p = out.params;
    p.n_seq_max = 4;  // llama-server: -np auto = 4 slots with a unified KV cache
    p.kv_unified = true;
    bool kvu_explicit = false;
    speculation& spec = p.spec;
    std::size_t i = 0;
    if (!argv.empty()) {
        const auto first = argv[0];
        const auto slash = first.rfind('/');
        const auto base = slash == std::string_view::npos ? first : first.substr(slash + 1);
        if (base == "llama-server" || base == "llama-server.exe") i = 1;
    }
    auto bad = [](std::string_view what, std::size_t at) { return make_error(errc::invalid_argument, what, at); };
    for (; i < argv.size(); ++i) {
        const std::string_view a = argv[i];
        const bool has_value = i + 1 < argv.size();
        const std::string_view v = has_value ? argv[i + 1] : std::string_view{};
        std::uint64_t u = 0;
        std::int64_t s = 0;
        auto need = [&]() -> bool { return has_value; };
        if (a.find('=') != std::string_view::npos && a.size() > 2 && a[0] == '-' && a[1] == '-')
            return bad("llama-server does not accept --flag=value; pass the value as the next argument", i);
        if (a == "-m" || a == "--model") {
            if (!need()) return bad("missing value after -m", i);
            out.model = v; ++i;
        } else if (a == "-c" || a == "--ctx-size") {
            if (!need() || !detail::parse_u64(v, u) || u > 0xffffffffull) return bad("-c needs a token count", i);
            p.n_ctx = static_cast<std::uint32_t>(u); out.pinned.add(setting::n_ctx); ++i;
        } else if (a == "-b" || a == "--batch-size") {
            if (!need() || !detail::parse_u64(v, u) || u == 0 || u > 0xffffffffull) return bad("-b needs a positive token count", i);
            p.n_batch = static_cast<std::uint32_t>(u); out.pinned.add(setting::n_batch); ++i;
        } else if (a == "-ub" || a == "--ubatch-size") {
            if (!need() || !detail::parse_u64(v, u) || u == 0 || u > 0xffffffffull) return bad("-ub needs a positive token count", i);
            p.n_ubatch = static_cast<std::uint32_t>(u); out.pinned.add(setting::n_ubatch); ++i;
        } else if (a == "-ctk" || a == "--cache-type-k" || a == "-ctv" || a == "--cache-type-v") {
            if (!need()) return bad("missing cache type", i);
            const auto t = parse_type(v);
            if (!t || !is_kv_cache_type(*t))
                return bad("unsupported cache type (allowed: f32, f16, bf16, q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1)", i + 1);
            const bool is_k = a == "-ctk" || a == "--cache-type-k";
            (is_k ? p.type_k : p.type_v) = *t;
            out.pinned.add(is_k ? setting::type_k : setting::type_v);
            ++i;
        } else if (a == "-fa" || a == "--flash-attn") {
            if (!need()) return bad("-fa needs on, off or auto", i);
            const int sw = detail::parse_switch(v);
            if (v == "auto" || v == "-1") p.flash_attn = flash_attn_mode::automatic;
            else if (sw < 0) return bad("-fa needs on, off or auto", i + 1);
            else p.flash_attn = sw ? flash_attn_mode::on : flash_attn_mode::off;
            out.pinned.add(setting::flash_attn);
            ++i;
        } else if (a == "-np" || a == "--parallel") {
            if (!need() || !detail::parse_i64(v, s) || s == 0 || s < -1 || s > 256) return bad("-np needs 1..256 or -1 (auto)", i);
            out.n_parallel_auto = s == -1;
            p.n_seq_max = s == -1 ? 4 : static_cast<std::uint32_t>(s);
            if (!kvu_explicit) p.kv_unified = out.n_parallel_auto;
            if (!out.n_parallel_auto) out.pinned.add(setting::n_parallel);
            ++i;
        } else if (a == "-kvu" || a == "--kv-unified") {
            p.kv_unified = true; kvu_explicit = true; out.pinned.add(setting::kv_unified);
        } else if (a == "-no-kvu" || a == "--no-kv-unified") {
            p.kv_unified = false; kvu_explicit = true; out.pinned.add(setting::kv_unified);
        } else if (a == "-ngl" || a == "--gpu-layers" || a == "--n-gpu-layers") {
            if (!need()) return bad("-ngl needs N, auto or all", i);
            if (v == "auto" || v == "-1") { out.n_gpu_layers_auto = true; p.n_gpu_layers = -1; }
            else if (v == "all" || v == "-2") { out.n_gpu_layers_auto = false; p.n_gpu_layers = -1; }
            else if (detail::parse_u64(v, u) && u <= 0x7fffffff) { out.n_gpu_layers_auto = false; p.n_gpu_layers = static_cast<std::int32_t>(u); }
            else return bad("-ngl needs N, auto or all", i + 1);
            if (!out.n_gpu_layers_auto) out.pinned.add(setting::n_gpu_layers);
            ++i;
        } else if (a == "-ot" || a == "--override-tensor" || a == "-otd" || a == "--override-tensor-draft" ||
                   a == "--spec-draft-override-tensor") {
            if (!need()) return bad("-ot needs REGEX=BUFT[,...]", i);
            const bool for_draft = a != "-ot" && a != "--override-tensor";
            const auto why = detail::parse_override_list(v, for_draft ? out.draft.overrides : p.overrides);
            if (why == "too many -ot rules") return make_error(errc::capacity_exceeded, why, i + 1);
            if (!why.empty()) return bad(why, i + 1);
            if (!for_draft) out.pinned.add(setting::tensor_overrides);
            ++i;
        } else if (a == "--rpc") {
            if (!need()) return bad("--rpc needs HOST:PORT[,HOST:PORT...]", i);
            std::string_view rest = v;
            for (std::size_t n = 1;; ++n) {
                // llama.cpp runs at most GGML_SCHED_MAX_BACKENDS = 16 backends, the CPU's among them
                if (n > LLAMAPLAN_MAX_DEVICES) return make_error(errc::capacity_exceeded, "--rpc lists more servers than LLAMAPLAN_MAX_DEVICES", i + 1);
                const auto comma = rest.find(',');
                if (!rpc_endpoint_valid(rest.substr(0, comma))) return bad("--rpc entries are HOST:PORT (port 1-65535)", i + 1);
                if (comma == std::string_view::npos) break;
                rest = rest.substr(comma + 1);
            }
            out.rpc = v; ++i;
        } else if (a == "-md" || a == "--model-draft" || a == "--spec-draft-model") {
            if (!need()) return bad("missing value after -md", i);
            out.draft_model = v; ++i;
        } else if (a == "-ngld" || a == "--gpu-layers-draft" || a == "--n-gpu-layers-draft" || a == "--spec-draft-ngl") {
            // common/arg.cpp: auto = -1 (--fit decides), all = -2, else std::stoi
            if (!need()) return bad("-ngld needs N, auto or all", i);
            if (v == "auto" || v == "-1") { out.draft_n_gpu_layers_auto = true; out.draft.n_gpu_layers = -1; }
            else if (v == "all" || v == "-2") { out.draft_n_gpu_layers_auto = false; out.draft.n_gpu_layers = -1; }
            else if (detail::parse_u64(v, u) && u <= 0x7fffffff) { out.draft_n_gpu_layers_auto = false; out.draft.n_gpu_layers = static_cast<std::int32_t>(u); }
            else return bad("-ngld needs N, auto or all", i + 1);
            ++i;
        } else if (a == "-devd" || a == "--device-draft" || a == "--spec-draft-device") {
            // common/arg.cpp parse_device_list: "none", or GPU names (a CPU device is invalid)
            if (!need()) return bad("-devd needs a device list or none", i);
            out.draft.devices.clear();
            out.draft.gpu = v != "none";
            for (std::string_view rest = out.draft.gpu ? v : std::string_view{}; !rest.empty();) {
                const auto comma = rest.find(',');
                tensor_override o{};
                if (!detail::parse_buft(rest.substr(0, comma), o) || o.named_backend == backend::cpu)
                    return bad("-devd needs none or GPU names like CUDA0,CUDA1 or Vulkan0", i + 1);
                if (!out.draft.devices.push_back(o)) return make_error(errc::capacity_exceeded, "too many -devd devices", i + 1);
                rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
            }
            ++i;
        } else if (a == "-ctkd" || a == "--cache-type-k-draft" || a == "--spec-draft-type-k" || a == "-ctvd" ||
                   a == "--cache-type-v-draft" || a == "--spec-draft-type-v") {
            if (!need()) return bad("missing cache type", i);
            const auto t = parse_type(v);
            if (!t || !is_kv_cache_type(*t))
                return bad("unsupported cache type (allowed: f32, f16, bf16, q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1)", i + 1);
            const bool is_k = a == "-ctkd" || a == "--cache-type-k-draft" || a == "--spec-draft-type-k";
            (is_k ? out.draft.type_k : out.draft.type_v) = *t;
            ++i;
        } else if (a == "-cmoed" || a == "--cpu-moe-draft" || a == "--spec-draft-cpu-moe") {
            out.draft.cpu_moe = true;
        } else if (a == "-ncmoed" || a == "--n-cpu-moe-draft" || a == "--spec-draft-n-cpu-moe" || a == "--spec-draft-ncmoe") {
            if (!need() || !detail::parse_u64(v, u) || u > 0xffffffffull) return bad("--n-cpu-moe-draft needs a layer count", i);
            out.draft.n_cpu_moe = static_cast<std::uint32_t>(u); ++i;
        } else if (a == "--spec-type") {
            // common_speculative_types_from_names; the list is appended to the types given before
            if (!need()) return bad("--spec-type needs a list of types", i);
            std::string_view rest = v;
            while (true) {
                const auto comma = rest.find(',');
                const auto name = rest.substr(0, comma);
                std::size_t k = 0;
                while (k < spec_type_names.size() && spec_type_names[k] != name) ++k;
                if (k == spec_type_names.size()) return bad("unknown speculative type", i + 1);
                if (k >= 2 && k <= 5)  // draft-eagle3, draft-mtp, draft-dflash, draft-dspark
                    return bad("--spec-type draft-eagle3, draft-mtp, draft-dflash and draft-dspark are not modelled", i + 1);
                spec.types |= 1u << k;
                if (comma == std::string_view::npos) break;
                rest = rest.substr(comma + 1);
            }
            ++i;
        } else if (a == "--spec-draft-n-max" || a == "--spec-ngram-simple-size-m" || a == "--spec-ngram-map-k-size-m" ||
                   a == "--spec-ngram-map-k4v-size-m" || a == "--spec-ngram-mod-n-max") {
            if (!need() || !detail::parse_u64(v, u) || u > 1024) return bad("a draft length needs 0..1024 tokens", i);
            const auto n = static_cast<std::uint32_t>(u);
            if (a == "--spec-draft-n-max") spec.draft_n_max = n;
            else if (a == "--spec-ngram-simple-size-m") spec.ngram_simple_m = n;
            else if (a == "--spec-ngram-map-k-size-m") spec.ngram_map_k_m = n;
            else if (a == "--spec-ngram-map-k4v-size-m") spec.ngram_map_k4v_m = n;
            else spec.ngram_mod_n_max = n;
            ++i;
        } else if (a == "--draft" || a == "--draft-n" || a == "--draft-max" || a == "--draft-min" || a == "--draft-n-min") {
            return bad("the argument has been removed: use --spec-draft-n-max (common/arg.cpp)", i);
        } else if (a == "-cd" || a == "--ctx-size-draft") {
            return bad("llama-server 3f545bec has no -cd: the draft context takes the target's n_ctx", i);
        } else if (detail::one_of(a, detail::ignored_spec_with_value)) {
            if (!need()) return bad("missing value after a flag", i);
            ++i;
        } else if (detail::one_of(a, detail::ignored_spec_switches)) {
            // no effect on memory
        } else if (a == "-ts" || a == "--tensor-split") {
            if (!need()) return bad("-ts needs proportions like 3,1", i);
            std::string_view rest = v;
            std::size_t k = 0;
            while (!rest.empty()) {
                std::size_t cut = rest.find_first_of(",/");
                const auto item = rest.substr(0, cut);
                if (k >= p.tensor_split.size() || !detail::parse_float(item, p.tensor_split[k])) return bad("-ts needs proportions like 3,1", i + 1);
                ++k;
                rest = cut == std::string_view::npos ? std::string_view{} : rest.substr(cut + 1);
            }
            out.pinned.add(setting::tensor_split);
            ++i;
        } else if (a == "-sm" || a == "--split-mode") {
            if (!need()) return bad("-sm needs none, layer, row or tensor", i);
            if (v == "none") p.split_mode = split_mode::none;
            else if (v == "layer") p.split_mode = split_mode::layer;
            else if (v == "row") p.split_mode = split_mode::row;
            else if (v == "tensor") p.split_mode = split_mode::tensor;
            else return bad("-sm needs none, layer, row or tensor", i + 1);
            out.pinned.add(setting::split_mode);
            ++i;
        } else if (a == "-mg" || a == "--main-gpu") {
            if (!need() || !detail::parse_u64(v, u) || u >= LLAMAPLAN_MAX_DEVICES) return bad("-mg needs a device index", i);
            p.main_gpu = static_cast<std::uint32_t>(u); out.pinned.add(setting::main_gpu); ++i;
        } else if (a == "-nkvo" || a == "--no-kv-offload") {
            p.offload_kqv = false; out.pinned.add(setting::offload_kqv);
        } else if (a == "-kvo" || a == "--kv-offload") {
            p.offload_kqv = true; out.pinned.add(setting::offload_kqv);
        } else if (a == "--swa-full") {
            p.swa_full = true; out.pinned.add(setting::swa_full);
        } else if (a == "-cmoe" || a == "--cpu-moe") {
            p.cpu_moe = true; out.pinned.add(setting::tensor_overrides);
        } else if (a == "-ncmoe" || a == "--n-cpu-moe") {
            if (!need() || !detail::parse_u64(v, u) || u > 0xffffffffull) return bad("--n-cpu-moe needs a layer count", i);
            p.n_cpu_moe = static_cast<std::uint32_t>(u); out.pinned.add(setting::tensor_overrides); ++i;
        } else if (a == "--embedding" || a == "--embeddings") {
            p.embeddings = true;
        } else if (a == "-nr" || a == "--no-repack") {
            p.cpu_repack = false; out.pinned.add(setting::repack);
        } else if (a == "--repack") {
            p.cpu_repack = true; out.pinned.add(setting::repack);
        } else if (a == "--no-mmap") {
            p.use_mmap = false; out.pinned.add(setting::load_mode);
        } else if (a == "--mmap") {
            p.use_mmap = true; out.pinned.add(setting::load_mode);
        } else if (a == "-lm" || a == "--load-mode") {
            if (!need()) return bad("--load-mode needs a mode", i);
            if (v == "none" || v == "dio") p.use_mmap = false;
            else if (v == "auto" || v == "mmap" || v == "mlock" || v == "mmap+mlock") p.use_mmap = v != "mlock";
            else return bad("--load-mode needs auto, none, mmap, mlock, mmap+mlock or dio", i + 1);
            out.pinned.add(setting::load_mode);
            ++i;
        } else if (a == "-fit" || a == "--fit") {
            if (!need() || detail::parse_switch(v) < 0) return bad("--fit needs on or off", i);
            out.fit = detail::parse_switch(v) == 1; ++i;
        } else if (a == "-cram" || a == "--cache-ram") {
            if (!need() || !detail::parse_i64(v, s) || s < -1) return bad("-cram needs MiB, 0 or -1", i);
            out.cache_ram = s < 0 ? ~0ull : std::uint64_t(s) << 20; out.pinned.add(setting::cache_ram); ++i;
        } else if (a == "-t" || a == "--threads" || a == "-tb" || a == "--threads-batch") {
            if (!need() || !detail::parse_i64(v, s) || s < -1 || s > 4096) return bad("-t needs a thread count", i);
            const bool batch = a == "-tb" || a == "--threads-batch";
            (batch ? out.threads_batch : out.threads) = s < 0 ? 0 : static_cast<std::uint32_t>(s);
            out.pinned.add(batch ? setting::threads_batch : setting::threads); ++i;
        } else if (a == "--numa") {
            if (!need() || !(v == "distribute" || v == "isolate" || v == "numactl")) return bad("--numa needs distribute, isolate or numactl", i);
            out.numa = v; out.pinned.add(setting::numa); ++i;
        } else if (a == "-mm" || a == "--mmproj" || a == "-mmu" || a == "--mmproj-url") {
            // common/arg.cpp: the projector file (or URL) of a multimodal model
            if (!need()) return bad("--mmproj needs a file", i);
            out.mmproj = v;
            out.mmproj_url = a == "-mmu" || a == "--mmproj-url";
            ++i;
        } else if (a == "--no-mmproj" || a == "--no-mmproj-auto") {
            out.mmproj = {};
            out.mmproj_url = false;
        } else if (a == "--mmproj-offload" || a == "--no-mmproj-offload") {
            out.mmproj_load.offload = a == "--mmproj-offload";
        } else if (a == "-mmdev" || a == "--mmproj-device") {
            // common/arg.cpp: "none" = no offload; else one GPU name, which also turns offloading on
            if (!need()) return bad("-mmdev needs a device or none", i);
            out.mmproj_load.offload = v != "none";
            out.mmproj_load.has_device = v != "none";
            if (v != "none") {
                tensor_override o{};
                if (!detail::parse_buft(v, o) || o.named_backend == backend::cpu)
                    return bad("-mmdev needs none or one GPU name like CUDA0 or Vulkan0", i + 1);
                out.mmproj_load.device = o;
            }
            ++i;
        } else if (a == "--warmup" || a == "--no-warmup") {
            out.mmproj_load.warmup = a == "--warmup";
        } else if (detail::one_of(a, detail::ignored_with_value)) {
            if (!need()) return bad("missing value after a flag", i);
            ++i;
        } else if (detail::one_of(a, detail::ignored_switches)) {
            // no effect on memory
        } else if (a.size() > 1 && a[0] == '-') {  // a lone "-" is a positional: the model on standard input
            return bad("unknown or unsupported llama-server flag", i);
        } else if (out.model.empty()) {
            out.model = a;
        } else {
            return bad("unexpected argument", i);
        }
    }
    return out;
}

}  // namespace llamaplan

#endif  // LLAMAPLAN_SERVER_ARGS_HPP
