// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_PARAMS_HPP
#define LLAMAPLAN_PARAMS_HPP

#include <llamaplan/config.hpp>
#include <llamaplan/detail/fixed_vector.hpp>
#include <llamaplan/ggml_types.hpp>
#include <llamaplan/machine.hpp>

#include <array>
#include <cstdint>
#include <string_view>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG {

/// `-fa on|off|auto` (common/arg.cpp; llama.h llama_flash_attn_type).
enum class flash_attn_mode : std::uint8_t { off, on, automatic };

/// `-sm none|layer|row|tensor` (llama.h llama_split_mode).
enum class split_mode : std::uint8_t { none, layer, row, tensor };

/// Device index meaning "the host CPU" in tensor overrides and placements.
inline constexpr std::int32_t host_device = -1;

/// One `-ot REGEX=BUFT` rule: tensors whose name matches `pattern` (std::regex_search) go to `device`.
struct tensor_override {
    std::string_view pattern{};         ///< ECMAScript regex over tensor names
    std::int32_t device = host_device;  ///< index into machine::devices, or host_device for CPU (when `named` is unset)
    /// The device as llama.cpp names it, per backend: `-ot ...=Vulkan0` is the first Vulkan device whatever comes
    /// before it. When `named_backend` is not backend::cpu, compile_overrides resolves it against the machine and
    /// `device` is ignored.
    backend named_backend = backend::cpu;
    std::uint32_t named_ordinal = 0;    ///< the number after the backend name ("Vulkan1" -> 1)
    /// For a device behind an rpc-server (`-ot ...=RPC0[10.0.0.2:50052]`): the server's endpoint; named_ordinal is
    /// then the device's number on that server, and named_backend backend::other.
    std::string_view named_endpoint{};
};

/// `--spec-type` and the sizes behind common_speculative_n_max (common/speculative.cpp), with common/common.h's
/// defaults: what each enabled type drafts per step at most.
struct speculation {
    std::uint32_t types = 0;              ///< bit per enabled type, in spec_type_names order (0: no speculation)
    std::uint32_t draft_n_max = 3;        ///< `--spec-draft-n-max` (draft-simple; tokens)
    std::uint32_t ngram_simple_m = 48;    ///< `--spec-ngram-simple-size-m` (tokens)
    std::uint32_t ngram_map_k_m = 48;     ///< `--spec-ngram-map-k-size-m` (tokens)
    std::uint32_t ngram_map_k4v_m = 48;   ///< `--spec-ngram-map-k4v-size-m` (tokens)
    std::uint32_t ngram_mod_n_max = 64;   ///< `--spec-ngram-mod-n-max` (tokens)
};

/// The names of `--spec-type` in common_speculative_type order (common/speculative.cpp
/// common_speculative_type_from_name_map); bit i of speculation::types.
inline constexpr std::array<std::string_view, 11> spec_type_names = {
    "none", "draft-simple", "draft-eagle3", "draft-mtp", "draft-dflash", "draft-dspark",
    "ngram-simple", "ngram-map-k", "ngram-map-k4v", "ngram-mod", "ngram-cache"};

/// common_speculative_n_max: the most tokens any enabled type drafts per step (tokens; 0 without speculation).
[[nodiscard]] constexpr std::uint32_t spec_n_max(const speculation& z) noexcept {
    const std::array<std::uint32_t, 11> n = {0, z.draft_n_max, z.draft_n_max, z.draft_n_max, z.draft_n_max,
                                             z.draft_n_max, z.ngram_simple_m, z.ngram_map_k_m, z.ngram_map_k4v_m,
                                             z.ngram_mod_n_max, 8};
    std::uint32_t out = 0;
    for (std::size_t i = 0; i < n.size(); ++i)
        if (((z.types >> i) & 1u) != 0 && n[i] > out) out = n[i];
    return out;
}

/// A launch setting a user can pin and the planner decides (one entry per llama-server flag family).
enum class setting : std::uint8_t {
    n_ctx, n_batch, n_ubatch, type_k, type_v, flash_attn, n_parallel, kv_unified, n_gpu_layers, tensor_split,
    split_mode, main_gpu, tensor_overrides, threads, threads_batch, load_mode, cache_ram, swa_full, offload_kqv,
    repack, numa,
};

/// Number of setting values.
inline constexpr std::size_t setting_count = 21;

/// The name of a setting as JSON and reasons spell it ("n_ctx").
[[nodiscard]] constexpr std::string_view to_string(setting s) noexcept {
    constexpr std::array<std::string_view, setting_count> names = {
        "n_ctx", "n_batch", "n_ubatch", "type_k", "type_v", "flash_attn", "n_parallel", "kv_unified", "n_gpu_layers",
        "tensor_split", "split_mode", "main_gpu", "tensor_overrides", "threads", "threads_batch", "load_mode",
        "cache_ram", "swa_full", "offload_kqv", "repack", "numa"};
    const auto i = static_cast<std::size_t>(s);
    return i < names.size() ? names[i] : "n_ctx";
}

/// A set of settings (which ones a user pinned).
struct setting_set {
    std::uint32_t bits = 0;  ///< bit i = setting i
    /// True if `s` is in the set.
    [[nodiscard]] constexpr bool has(setting s) const noexcept { return (bits >> static_cast<unsigned>(s)) & 1u; }
    /// Adds `s`.
    constexpr void add(setting s) noexcept { bits |= 1u << static_cast<unsigned>(s); }
    /// True if any placement setting (-ngl, -ts, -sm, -mg, -ot, --cpu-moe, --n-cpu-moe) is in the set.
    [[nodiscard]] constexpr bool any_placement() const noexcept {
        return has(setting::n_gpu_layers) || has(setting::tensor_split) || has(setting::split_mode) ||
               has(setting::main_gpu) || has(setting::tensor_overrides);
    }
};

/// The llama.cpp settings that decide memory use: the llama_model_params and llama_context_params a
/// llama-server command line turns into (common/common.cpp common_model_params_to_llama / common_context_params_to_llama).
struct launch_params {
    std::uint32_t n_ctx = 0;             ///< `-c`: context (tokens); 0 = the model's training context
    std::uint32_t n_batch = 2048;        ///< `-b`: logical batch (tokens)
    std::uint32_t n_ubatch = 512;        ///< `-ub`: physical batch (tokens)
    ggml_type type_k = ggml_type::f16;   ///< `-ctk`: K cache type
    ggml_type type_v = ggml_type::f16;   ///< `-ctv`: V cache type
    flash_attn_mode flash_attn = flash_attn_mode::automatic;  ///< `-fa`
    std::uint32_t n_seq_max = 1;         ///< `-np`: parallel sequences (slots)
    bool kv_unified = false;             ///< `-kvu`: one KV stream shared by all sequences
    bool swa_full = false;               ///< `--swa-full`: full-size cache for sliding-window layers
    bool offload_kqv = true;             ///< false with `-nkvo`: KV cache stays in host memory
    bool embeddings = false;             ///< `--embeddings`: output buffer also holds embeddings
    std::int32_t n_gpu_layers = -1;      ///< `-ngl`: layers on GPUs, counting the output layer; -1 = all
    enum split_mode split_mode = split_mode::layer;  ///< `-sm`
    std::array<float, LLAMAPLAN_MAX_DEVICES> tensor_split{};  ///< `-ts` proportions; all zero = by free memory
    std::uint32_t main_gpu = 0;          ///< `-mg`: device for split_mode none
    detail::fixed_vector<tensor_override, LLAMAPLAN_MAX_OVERRIDES> overrides{};  ///< `-ot` rules, first match wins
    std::uint32_t n_cpu_moe = 0;         ///< `--n-cpu-moe N`: experts of blocks < N on the CPU (after `-ot` rules)
    bool cpu_moe = false;                ///< `--cpu-moe`: all experts on the CPU
    bool use_mmap = true;                ///< weights mapped from the file (`--load-mode mmap`, the default)
    bool cpu_repack = true;              ///< CPU weight repacking (`--repack`, the default; `--no-repack` turns it off)
    std::uint32_t n_outputs_max = 0;     ///< output rows reserved; 0 = llama-server's: min(n_batch, n_seq_max x
                                         ///< (1 + spec_n_max(spec))) (tools/server/server-context.cpp server_output_limits)
    speculation spec{};                  ///< `--spec-type` and its sizes: the target verifies spec_n_max(spec) drafted
                                         ///< tokens per slot in one batch, so it reserves that many output rows more
};

/// The draft model llama-server loads for speculative decoding (`-md`), with the flags that only it reads. Everything
/// else (-c, -b, -ub, -fa, -np, -kvu, --swa-full, -nkvo, -sm, -ts, -mg, --no-repack, --load-mode) it takes from the
/// target's settings: common/speculative.cpp common_base_params_to_speculative copies the target's common_params and
/// replaces only devices, n_gpu_layers, tensor overrides, threads and the KV types, and
/// common_speculative_init_result gives the draft context the target context's n_ctx (see draft_launch_params).
struct draft_params {
    std::int32_t n_gpu_layers = -1;      ///< `-ngld`: draft layers on GPUs, counting the output layer; -1 = all
    bool gpu = true;                     ///< false with `-devd none`: the draft model gets no GPU at all
    /// `-devd NAME,...`: the draft's devices, in order, by llama.cpp's per-backend names ("CUDA1" -> cuda, 1; a
    /// tensor_override carries the name's backend and number); empty = every device of the machine
    detail::fixed_vector<tensor_override, LLAMAPLAN_MAX_DEVICES> devices{};
    ggml_type type_k = ggml_type::f16;   ///< `-ctkd`: the draft's K cache type (default f16, not `-ctk`'s)
    ggml_type type_v = ggml_type::f16;   ///< `-ctvd`: the draft's V cache type (default f16, not `-ctv`'s)
    detail::fixed_vector<tensor_override, LLAMAPLAN_MAX_OVERRIDES> overrides{};  ///< `-otd` rules (not `-ot`'s)
    std::uint32_t n_cpu_moe = 0;         ///< `-ncmoed N`: draft experts of blocks < N on the CPU
    bool cpu_moe = false;                ///< `-cmoed`: all draft experts on the CPU
};

/// The launch parameters of the draft's model and context, from the target's settings `target`, the draft flags `d`
/// and the context size llama.cpp resolved for the target (`target_n_ctx`, memory_estimate::n_ctx: llama_n_ctx of
/// the target context, already padded; common_speculative_init_result sets `cparams.n_ctx = llama_n_ctx(ctx_tgt)`).
/// The draft reserves one output row per slot (common_base_params_to_speculative: n_outputs_max = n_parallel,
/// n_outputs_max_per_seq = 1), never embeddings (embedding = false), and no recurrent rollback rows (n_rs_seq = 0).
[[nodiscard]] constexpr launch_params draft_launch_params(const launch_params& target, const draft_params& d,
                                                          std::uint32_t target_n_ctx) noexcept {
    launch_params p = target;
    p.n_ctx = target_n_ctx;
    p.type_k = d.type_k;
    p.type_v = d.type_v;
    p.n_gpu_layers = d.gpu ? d.n_gpu_layers : 0;
    p.overrides = d.overrides;
    p.n_cpu_moe = d.n_cpu_moe;
    p.cpu_moe = d.cpu_moe;
    p.embeddings = false;
    p.n_outputs_max = p.n_seq_max;
    p.spec = {};
    return p;
}

}  // namespace llamaplan

#endif  // LLAMAPLAN_PARAMS_HPP
