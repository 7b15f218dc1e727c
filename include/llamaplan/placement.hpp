// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_PLACEMENT_HPP
#define LLAMAPLAN_PLACEMENT_HPP

#include <llamaplan/config.hpp>
#include <llamaplan/detail/fixed_vector.hpp>
#include <llamaplan/detail/regex.hpp>
#include <llamaplan/machine.hpp>
#include <llamaplan/model.hpp>
#include <llamaplan/params.hpp>
#include <llamaplan/result.hpp>
#include <llamaplan/summary.hpp>

#include <array>
#include <cstdint>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG {

/// Which device runs each layer: llama.cpp's layer assignment for `-ngl`, `-ts`, `-sm` and `-mg`.
struct layer_placement {
    std::uint32_t n_layer_all = 0;  ///< blocks in the file (n_layer + nextn layers)
    /// Device of block il (index into machine::devices, or host_device); entry n_layer_all is the output layer.
    detail::fixed_vector<std::int32_t, LLAMAPLAN_MAX_LAYERS + 1> device{};
    std::uint32_t n_gpu_layers = 0; ///< layers (including the output layer) on GPUs

    /// Device of block il, or of the output layer for il == n_layer_all.
    [[nodiscard]] constexpr std::int32_t of(std::uint32_t il) const noexcept {
        return il < device.size() ? device[il] : host_device;
    }
    /// Device of the output layer (output.weight, output_norm).
    [[nodiscard]] constexpr std::int32_t output() const noexcept { return of(n_layer_all); }
};

/// Assigns layers to devices as llama.cpp does (src/llama-model.cpp, llama_model::load_tensors: split points from
/// `-ts` or free memory, i_gpu_start = max(n_layer_all + 1 - ngl, 0), std::upper_bound over the cumulative split,
/// the token embedding always on the CPU). With split_mode none only `main_gpu` is used.
[[nodiscard]] constexpr result<layer_placement> place_layers(const hparams& hp, const machine& m,
                                                             const launch_params& p) noexcept {
    layer_placement out;
    out.n_layer_all = hp.n_layer + hp.n_layer_nextn;
    if (out.n_layer_all > LLAMAPLAN_MAX_LAYERS)
        return make_error(errc::capacity_exceeded, "model has more layers than LLAMAPLAN_MAX_LAYERS", out.n_layer_all);
    (void)out.device.resize(out.n_layer_all + 1);
    for (auto& d : out.device) d = host_device;

    // the devices llama.cpp uses: all of them, or only main_gpu with split mode none (llama_model_load)
    detail::fixed_vector<std::int32_t, LLAMAPLAN_MAX_DEVICES> used;
    if (m.devices.size() > LLAMAPLAN_MAX_DEVICES)
        return make_error(errc::capacity_exceeded, "more devices than LLAMAPLAN_MAX_DEVICES", m.devices.size());
    if (p.split_mode == split_mode::none) {
        if (!m.devices.empty()) {
            if (p.main_gpu >= m.devices.size()) return make_error(errc::invalid_argument, "main_gpu is out of range", p.main_gpu);
            (void)used.push_back(static_cast<std::int32_t>(p.main_gpu));
        }
    } else {
        for (std::size_t i = 0; i < m.devices.size(); ++i) (void)used.push_back(static_cast<std::int32_t>(i));
    }
    if (used.empty()) return out;

    // split points: -ts proportions, or free memory when all are zero
    std::array<float, LLAMAPLAN_MAX_DEVICES> splits{};
    bool all_zero = true;
    for (std::size_t i = 0; i < used.size(); ++i) all_zero = all_zero && p.tensor_split[i] == 0.0f;
    for (std::size_t i = 0; i < used.size(); ++i)
        splits[i] = all_zero ? static_cast<float>(m.devices[static_cast<std::size_t>(used[i])].memory_free)
                             : p.tensor_split[i];
    float sum = 0.0f;
    for (std::size_t i = 0; i < used.size(); ++i) {
        if (splits[i] < 0.0f) return make_error(errc::invalid_argument, "tensor split proportions must not be negative", i);
        sum += splits[i];
        splits[i] = sum;
    }
    if (sum <= 0.0f) {  // no free memory reported anywhere: split evenly
        for (std::size_t i = 0; i < used.size(); ++i) splits[i] = float(i + 1) / float(used.size());
    } else {
        for (std::size_t i = 0; i < used.size(); ++i) splits[i] /= sum;
    }

    const std::int64_t n_all = out.n_layer_all;
    const std::int64_t ngl = p.n_gpu_layers < 0 ? n_all + 1 : p.n_gpu_layers;
    const std::int64_t i_gpu_start = std::max<std::int64_t>(n_all + 1 - ngl, 0);
    const std::int64_t act = std::min<std::int64_t>(ngl, n_all + 1);
    for (std::int64_t il = 0; il <= n_all; ++il) {
        if (il < i_gpu_start || il - i_gpu_start >= act) continue;
        const float x = float(il - i_gpu_start) / float(act);
        std::size_t k = 0;  // upper_bound: first split point > x
        while (k < used.size() && !(x < splits[k])) ++k;
        if (k >= used.size()) k = used.size() - 1;
        out.device[static_cast<std::size_t>(il)] = used[k];
        ++out.n_gpu_layers;
    }
    return out;
}

namespace detail {
/// The `--cpu-moe` pattern (common/arg.cpp, LLM_FFN_EXPS_REGEX): routed expert tensors.
inline constexpr std::string_view ffn_exps_pattern = "\\.ffn_(up|down|gate|gate_up)_(ch|)exps";

/// True if the tensor is a routed expert of a block below `n` (what `--n-cpu-moe n` matches with
/// `blk\.<i>\.ffn_(up|down|gate|gate_up)_(ch|)exps` for each i < n).
[[nodiscard]] constexpr bool n_cpu_moe_matches(const tensor_info& t, std::uint32_t n) noexcept {
    return t.role == tensor_role::ffn_expert && t.layer >= 0 && static_cast<std::uint32_t>(t.layer) < n;
}
}  // namespace detail

/// The device an `-ot` rule names on machine `m`: host_device for CPU, the index of the named device ("CUDA1": the
/// second local CUDA device; "RPC0[host:port]": that server's first device), or -2 when the machine has none such.
[[nodiscard]] constexpr std::int32_t override_device(const machine& m, const tensor_override& o) noexcept {
    if (!o.named_endpoint.empty()) {
        const std::int32_t d = m.find_remote(o.named_endpoint, o.named_ordinal);
        return d < 0 ? -2 : d;
    }
    if (o.named_backend == backend::cpu) return o.device;
    const std::int32_t d = m.find_device(o.named_backend, o.named_ordinal);
    return d < 0 ? -2 : d;
}

/// Compiled `-ot` rules (regexes compiled once, checked for syntax).
struct compiled_overrides {
    detail::fixed_vector<detail::regex, LLAMAPLAN_MAX_OVERRIDES> rules{};  ///< one per launch_params::overrides entry
    std::array<std::int32_t, LLAMAPLAN_MAX_OVERRIDES> device{};  ///< each rule's device (machine index or host_device)
};

/// Compiles the `-ot` rules of `p`; an invalid regex is an error naming the rule index.
[[nodiscard]] constexpr result<compiled_overrides> compile_overrides(const launch_params& p, const machine& m) noexcept {
    compiled_overrides out;
    for (std::size_t i = 0; i < p.overrides.size(); ++i) {
        const auto& o = p.overrides[i];
        // llama.cpp numbers devices per backend (CUDA0, Vulkan0) and per rpc-server (RPC0[host:port]); an unknown
        // name is its "unknown buffer type" error (common/arg.cpp parse_tensor_buffer_overrides)
        const std::int32_t dev = override_device(m, o);
        if (dev == -2) return make_error(errc::invalid_argument, "-ot names a device this machine does not have (llama.cpp: unknown buffer type)", i);
        if (dev != host_device && (dev < 0 || static_cast<std::size_t>(dev) >= m.devices.size()))
            return make_error(errc::invalid_argument, "-ot names a device that does not exist", i);
        out.device[i] = dev;
        auto re = detail::regex::compile(o.pattern);
        if (!re) return make_error(re.error().code, re.error().what, i);
        (void)out.rules.push_back(*re);
    }
    return out;
}

/// The device a tensor's weights live on: `-ot` rules first (first match wins), then `--cpu-moe` /
/// `--n-cpu-moe`, then the layer's device (token embedding on the CPU; output tensors on the output layer's device).
[[nodiscard]] constexpr std::int32_t tensor_device(const tensor_info& t, const layer_placement& lp,
                                                   const launch_params& p, const compiled_overrides& ov) noexcept {
    for (std::size_t i = 0; i < ov.rules.size(); ++i)
        if (ov.rules[i].search(t.name)) return ov.device[i];
    if (t.role == tensor_role::ffn_expert && (p.cpu_moe || detail::n_cpu_moe_matches(t, p.n_cpu_moe))) return host_device;
    if (t.layer >= 0) return lp.of(static_cast<std::uint32_t>(t.layer));
    if (t.role == tensor_role::token_embedding || detail::starts_with(t.name, "token_") ||
        detail::starts_with(t.name, "position_embd"))
        return host_device;  // input layer: "always keep it on the CPU" (llama_model::load_tensors)
    return lp.output();
}


/// A tensor placed apart from the rest of its group (by a user `-ot` rule that splits a group).
struct tensor_exception {
    std::uint32_t tensor = 0;           ///< index into model::tensors
    std::int32_t device = host_device;  ///< where its weights live
};

/// Placement as data: which device runs each block (llama.cpp's layer assignment, which the KV cache and recurrent
/// state follow) and where the weights of each part of each block live (`-ot` / `--n-cpu-moe` move parts apart from
/// their block). User flags are resolved into it once; the planner builds it directly; emit.hpp turns it back into
/// the shortest llama-server flags.
struct placement {
    layer_placement layers{};  ///< device of each block and of the output layer (from -ngl / -ts / -sm / -mg)
    /// Device of each part's weights, per block (index into machine::devices, or host_device).
    std::array<std::array<std::int8_t, layer_part_count>, LLAMAPLAN_MAX_LAYERS> parts{};
    std::int32_t input = host_device;   ///< device of the input layer's weights (the host, unless a rule moves them)
    std::int32_t output = host_device;  ///< device of the output layer's weights
    detail::fixed_vector<tensor_exception, LLAMAPLAN_MAX_EXCEPTIONS> exceptions{};  ///< tensors apart from their group
    bool overrides = false;  ///< tensor-buffer overrides are in effect (`-ot`, `--cpu-moe`, `--n-cpu-moe`): llama.cpp
                             ///< then never uses pipeline parallelism (llama_model::has_tensor_overrides)

    /// Device of group g's weights.
    [[nodiscard]] constexpr std::int32_t group_device(std::size_t g) const noexcept {
        const std::size_t n = layers.n_layer_all;
        if (g == group_index::input(static_cast<std::uint32_t>(n))) return input;
        if (g == group_index::output(static_cast<std::uint32_t>(n))) return output;
        return parts[g / layer_part_count][g % layer_part_count];
    }
    /// Sets the device of part p of block il.
    constexpr void set_part(std::uint32_t il, layer_part p, std::int32_t device) noexcept {
        parts[il][static_cast<std::size_t>(p)] = static_cast<std::int8_t>(device);
    }
    /// Device of part p of block il.
    [[nodiscard]] constexpr std::int32_t part(std::uint32_t il, layer_part p) const noexcept {
        return parts[il][static_cast<std::size_t>(p)];
    }
    /// Device of tensor `index` of a model (its exception, else its group's device).
    [[nodiscard]] constexpr std::int32_t tensor_device(std::uint32_t index, const tensor_info& t) const noexcept {
        for (const auto& x : exceptions)
            if (x.tensor == index) return x.device;
        return group_device(group_of(t, layers.n_layer_all));
    }
    /// Every part of every block on its block's device, input on the host, output on the output layer's device.
    constexpr void follow_layers() noexcept {
        for (std::uint32_t il = 0; il < layers.n_layer_all; ++il)
            for (std::size_t p = 0; p < layer_part_count; ++p) parts[il][p] = static_cast<std::int8_t>(layers.of(il));
        input = host_device;
        output = layers.output();
        exceptions.clear();
    }
};

/// Resolves llama-server settings (-ngl / -ts / -sm / -mg, then `-ot` rules, `--cpu-moe`, `--n-cpu-moe`) into a
/// placement. Each `-ot` regex runs once per tensor here and never again while the placement is priced.
[[nodiscard]] constexpr result<placement> resolve_placement(const model& m, const machine& hw,
                                                            const launch_params& p) noexcept {
    placement out;
    auto lp = place_layers(m.hp, hw, p);
    if (!lp) return lp.error();
    out.layers = *lp;
    out.follow_layers();
    out.overrides = !p.overrides.empty() || p.cpu_moe || p.n_cpu_moe > 0;
    if (!out.overrides) return out;
    auto ov = compile_overrides(p, hw);
    if (!ov) return ov.error();
    // the first tensor of a group decides the group's device; the others that differ become exceptions
    constexpr std::size_t n_max = max_groups;
    std::array<bool, n_max> seen{};
    for (std::size_t i = 0; i < m.tensors.size(); ++i) {
        const auto& t = m.tensors[i];
        const std::int32_t dev = llamaplan::tensor_device(t, out.layers, p, *ov);
        const std::size_t g = group_of(t, out.layers.n_layer_all);
        if (!seen[g]) {
            seen[g] = true;
            const auto n = out.layers.n_layer_all;
            if (g == group_index::input(n)) out.input = dev;
            else if (g == group_index::output(n)) out.output = dev;
            else out.parts[g / layer_part_count][g % layer_part_count] = static_cast<std::int8_t>(dev);
        } else if (dev != out.group_device(g)) {
            if (!out.exceptions.push_back({static_cast<std::uint32_t>(i), dev}))
                return make_error(errc::capacity_exceeded, "-ot rules split more tensors from their blocks than LLAMAPLAN_MAX_EXCEPTIONS", i);
        }
    }
    return out;
}

}  // namespace llamaplan

#endif  // LLAMAPLAN_PLACEMENT_HPP
