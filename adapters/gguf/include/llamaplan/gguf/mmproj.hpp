// SPDX-License-Identifier: MIT
// llamaplan GGUF adapter: a multimodal projector file (`--mmproj`) read into llamaplan::mmproj_model, following
// llama.cpp's tools/mtmd/clip.cpp clip_model_loader (commit 3f545bec): the `clip.*` keys of load_hparams and the
// tensors load_tensors asks for.
#ifndef LLAMAPLAN_GGUF_MMPROJ_HPP
#define LLAMAPLAN_GGUF_MMPROJ_HPP

#include <llamaplan/config.hpp>
#include <llamaplan/gguf/file.hpp>
#include <llamaplan/gguf/reader.hpp>
#include <llamaplan/mmproj.hpp>
#include <llamaplan/result.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::gguf {

/// The projector's hyper-parameters from a parsed header (views into the reader's input for the projector name).
/// Refuses a file without a vision encoder or with an audio encoder (audio is not modelled) and one missing a key clip.cpp
/// requires (embedding_length, head_count, feed_forward_length, block_count, projection_dim, image_size, patch_size).
[[nodiscard]] inline result<mmproj_hparams> extract_mmproj_hparams(const reader& r) {
    mmproj_hparams hp;
    auto vision = r.get_bool("clip.has_vision_encoder");
    if (!vision || !*vision)
        return make_error(errc::unsupported, "the mmproj file has no vision encoder (audio projectors are not modelled)");
    // a file with an audio encoder too gets a second clip context (mtmd.cpp ctx_a) with its own buffers: not modelled,
    // and refused rather than under-estimated
    if (auto audio = r.get_bool("clip.has_audio_encoder"); audio && *audio)
        return make_error(errc::unsupported, "the mmproj file has an audio encoder too (its buffers are not modelled)");
    auto name = r.get_string("clip.projector_type");
    if (!name) name = r.get_string("clip.vision.projector_type");  // mixed-modality files (load_hparams)
    if (!name) return make_error(errc::invalid_argument, "the mmproj file names no projector type (clip.projector_type)");
    hp.projector_name = *name;
    hp.projector = projector_of(*name).type;
    struct key { std::string_view k; std::uint32_t* out; };
    for (const key& k : {key{"clip.vision.embedding_length", &hp.n_embd}, key{"clip.vision.attention.head_count", &hp.n_head},
                         key{"clip.vision.feed_forward_length", &hp.n_ff}, key{"clip.vision.block_count", &hp.n_layer},
                         key{"clip.vision.projection_dim", &hp.projection_dim}, key{"clip.vision.image_size", &hp.image_size},
                         key{"clip.vision.patch_size", &hp.patch_size}}) {
        auto v = r.get_u32(k.k);
        if (!v) return make_error(v.error().code, "the mmproj file lacks a clip.vision key clip.cpp requires", v.error().where);
        *k.out = *v;
    }
    if (auto ok = check_mmproj_shape(hp); !ok) return ok.error();
    if (hp.n_embd % hp.n_head != 0)
        return make_error(errc::invalid_argument, "clip.vision.embedding_length must be a multiple of head_count");
    if (r.find("clip.vision.projector.scale_factor")) {
        auto v = r.get_u32("clip.vision.projector.scale_factor");
        if (!v) return v.error();
        hp.n_merge = *v;
    }
    return hp;
}

/// An opened projector file: its header, hyper-parameters and tensors (view() is valid while this object lives).
struct mmproj_file {
    std::unique_ptr<file_part> part{};   ///< the header bytes and the parsed header (held apart: views point into it)
    mmproj_hparams hp{};                 ///< hyper-parameters (projector_name views `part`)
    std::vector<tensor_info> tensors{};  ///< the file's tensors
    /// The projector as the core sees it.
    [[nodiscard]] mmproj_model view() const noexcept { return mmproj_model{hp, tensors}; }
};

/// Opens a projector file: reads its header only (not the weights).
[[nodiscard]] inline result<mmproj_file> open_mmproj(const std::string& path, const open_options& o = {}) {
    auto part = detail::read_file_header(path, o);
    if (!part) return part.error();
    mmproj_file f;
    f.part = std::make_unique<file_part>(std::move(*part));
    auto hp = extract_mmproj_hparams(f.part->header);
    if (!hp) return hp.error();
    f.hp = *hp;
    f.tensors.assign(f.part->header.tensors().begin(), f.part->header.tensors().end());
    return f;
}

}  // namespace llamaplan::gguf

#endif  // LLAMAPLAN_GGUF_MMPROJ_HPP
