// SPDX-License-Identifier: MIT
#ifndef LLAMAPLAN_MMPROJ_HPP
#define LLAMAPLAN_MMPROJ_HPP

#include <llamaplan/config.hpp>

// The multimodal projector llama-server loads beside the model (`--mmproj`, tools/mtmd): a vision encoder (ViT) and a
// projector into the text model's embedding space, in its own clip_ctx (tools/mtmd/clip.cpp) with its own weights
// buffer and compute buffer. This header holds what a GGUF mmproj file says and what its memory estimate reports;
// memory.hpp prices it, compute/vision.hpp replays its warmup graph.

#include <llamaplan/ggml_types.hpp>
#include <llamaplan/machine.hpp>
#include <llamaplan/model.hpp>
#include <llamaplan/params.hpp>
#include <llamaplan/result.hpp>

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG {

/// The projector families (clip.projector_type, tools/mtmd/clip-impl.h PROJECTOR_TYPE_NAMES) llamaplan knows.
enum class projector_type : std::uint8_t {
    unknown,  ///< any other type: weights exact, compute buffer approximated by a plain ViT (see mmproj_estimate)
    mlp,      ///< "mlp": LLaVA 1.5 / 1.6 (CLIP ViT + two-layer GELU MLP; tools/mtmd/models/llava.cpp)
    gemma3,   ///< "gemma3": Gemma 3 (SigLIP ViT + 2-D average pool + RMS norm + projection; models/siglip.cpp)
};

/// One row of the projector table: the GGUF name, the type, and whether its warmup graph is replayed exactly.
struct projector_info {
    std::string_view name{};                     ///< clip.projector_type value
    projector_type type = projector_type::unknown;  ///< the family
    bool graph_exact = false;                    ///< compute buffer replayed and checked against llama.cpp (CPU)
};

/// Every projector type llamaplan models, in one table.
inline constexpr std::array<projector_info, 2> projector_table{{
    {"mlp", projector_type::mlp, true},
    {"gemma3", projector_type::gemma3, true},
}};

/// The table row of a clip.projector_type name (type unknown, graph_exact false when not in the table).
[[nodiscard]] constexpr projector_info projector_of(std::string_view name) noexcept {
    for (const auto& p : projector_table)
        if (p.name == name) return p;
    return {name, projector_type::unknown, false};
}

/// The hyper-parameters of a vision projector as clip_model_loader::load_hparams reads them (`clip.vision.*`).
struct mmproj_hparams {
    std::string_view projector_name{};              ///< clip.projector_type (or clip.vision.projector_type)
    projector_type projector = projector_type::unknown;  ///< its family (projector_of)
    std::uint32_t n_layer = 0;         ///< clip.vision.block_count
    std::uint32_t n_embd = 0;          ///< clip.vision.embedding_length
    std::uint32_t n_head = 0;          ///< clip.vision.attention.head_count
    std::uint32_t n_ff = 0;            ///< clip.vision.feed_forward_length
    std::uint32_t image_size = 0;      ///< clip.vision.image_size (pixels; the warmup image's side for mlp / gemma3)
    std::uint32_t patch_size = 0;      ///< clip.vision.patch_size (pixels)
    std::uint32_t projection_dim = 0;  ///< clip.vision.projection_dim
    std::uint32_t n_merge = 0;         ///< gemma3: clip.vision.projector.scale_factor (0 = absent; llama.cpp uses 4)
};

/// Refuses a vision encoder whose shape no released projector comes near, so that estimating it stays cheap and its
/// sizes fit in 64 bits whatever a file says: at most LLAMAPLAN_MAX_LAYERS blocks (the warmup graph is replayed block
/// by block), a width of 2^20, 4096 heads, an FFN of 2^22, a 65536-pixel warmup image and 2^20 patches (the
/// attention scores are n_patches^2 x heads floats).
[[nodiscard]] constexpr result<bool> check_mmproj_shape(const mmproj_hparams& hp) noexcept {
    if (hp.n_layer == 0 || hp.n_layer > LLAMAPLAN_MAX_LAYERS)
        return make_error(errc::capacity_exceeded, "clip.vision.block_count must be between 1 and LLAMAPLAN_MAX_LAYERS", hp.n_layer);
    if (hp.n_embd == 0 || hp.n_embd > (1u << 20) || hp.n_head == 0 || hp.n_head > 4096 || hp.n_ff > (1u << 22))
        return make_error(errc::capacity_exceeded, "the vision encoder's width, heads or FFN size is out of range", hp.n_embd);
    if (hp.patch_size == 0 || hp.image_size < hp.patch_size || hp.image_size > 65536)
        return make_error(errc::invalid_argument, "clip.vision.image_size must be between patch_size and 65536, patch_size at least 1");
    const std::uint64_t side = hp.image_size / hp.patch_size;
    if (side * side > (std::uint64_t{1} << 20))
        return make_error(errc::capacity_exceeded, "the warmup image has more than 2^20 patches", side * side);
    return true;
}

/// A projector file: its hyper-parameters and tensor list (spans over caller-owned storage, as in `model`).
struct mmproj_model {
    mmproj_hparams hp{};                     ///< hyper-parameters
    std::span<const tensor_info> tensors{};  ///< every tensor of the file
    /// The tensor of that name, or nullptr.
    [[nodiscard]] constexpr const tensor_info* find(std::string_view name) const noexcept {
        for (const auto& t : tensors)
            if (t.name == name) return &t;
        return nullptr;
    }
};

/// How llama-server loads the projector (common/arg.cpp; tools/server/server-context.cpp load_model fills
/// mtmd_context_params from them).
struct mmproj_params {
    bool offload = true;          ///< use_gpu: `--mmproj-offload` (default) or `-mmdev NAME` set it; `--no-mmproj-offload`
                                  ///< and `-mmdev none` clear it (the last flag wins)
    bool has_device = false;      ///< `-mmdev NAME` given: `device` names the GPU
    tensor_override device{};     ///< `-mmdev NAME`: named_backend / named_ordinal of the GPU
    bool warmup = true;           ///< `--no-warmup` clears it: the compute buffer is then allocated at the first image
                                  ///< instead of at start-up (it is budgeted either way)
};

/// What the projector costs (clip_ctx: clip_model_loader::load_tensors allocates the weights in one buffer of the
/// clip backend's default buffer type, warmup reserves the compute buffer of the warmup image's graph).
struct mmproj_estimate {
    bool present = false;                ///< a projector is loaded
    projector_type projector = projector_type::unknown;  ///< its family
    std::int32_t device = host_device;   ///< where weights and compute buffer live (host_device: the CPU backend)
    std::uint64_t weights = 0;           ///< weights buffer (bytes; each loaded tensor padded to the buffer's alignment)
    std::uint64_t weights_nbytes = 0;    ///< ggml_nbytes of every tensor in the file (bytes; clip.cpp logs it as
                                         ///< "model size")
    std::uint64_t compute = 0;           ///< compute buffer of the warmup graph (bytes)
    std::uint32_t warmup_image_size = 0; ///< side of the warmup image (pixels)
    std::uint32_t n_patches = 0;         ///< patches of the warmup image
    std::uint32_t n_layer_run = 0;       ///< encoder blocks in the graph (mlp: block_count - 1, the llava feature layer)
    bool flash_attn = false;             ///< flash attention in the vision encoder after resolving `auto`
    bool compute_exact = false;          ///< the compute figure is the replayed graph of a checked projector type on the
                                         ///< CPU backend; false: an approximation (unknown type: a plain ViT at
                                         ///< image_size; on a GPU: the CPU graph's figure)
    /// Weights plus compute buffer (bytes).
    [[nodiscard]] constexpr std::uint64_t total() const noexcept { return weights + compute; }
};

}  // namespace llamaplan

#endif  // LLAMAPLAN_MMPROJ_HPP
