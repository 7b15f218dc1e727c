// The multimodal projectors behind tests/data/extra/mmproj.csv (llama-server `--mmproj`): each is re-synthesized from
// its mmproj_spec with llamaplan::gguf::synthesize_mmproj (deterministic), like the text models of extra_models.hpp.
// "mlp" files go with llama-4L-512 (n_embd 512), "gemma3" files with gemma3-6L-swa160 (n_embd 320): a projector's
// output width must equal its text model's n_embd (tools/mtmd/mtmd.cpp).
#ifndef LLAMAPLAN_TESTS_MMPROJ_MODELS_HPP
#define LLAMAPLAN_TESTS_MMPROJ_MODELS_HPP

#include <llamaplan/gguf/writer.hpp>

#include <string>
#include <utility>
#include <vector>

namespace extra {

struct mmproj_def {
    std::string id;                     ///< file name without .gguf
    llamaplan::gguf::mmproj_spec spec;  ///< how to rebuild it
};

inline std::vector<mmproj_def> mmproj_models() {
    using llamaplan::gguf::mmproj_spec;
    std::vector<mmproj_def> out;
    auto add = [&](std::string id, const std::string& proj, std::uint32_t layers, std::uint32_t embd, std::uint32_t heads,
                   std::uint32_t ff, std::uint32_t image, std::uint32_t patch, std::uint32_t text, std::uint32_t scale,
                   llamaplan::ggml_type wt) {
        mmproj_spec s;
        s.projector = proj;
        s.n_layer = layers;
        s.n_embd = embd;
        s.n_head = heads;
        s.n_ff = ff;
        s.image_size = image;
        s.patch_size = patch;
        s.n_embd_text = text;
        s.scale_factor = scale;
        s.wtype = wt;
        out.push_back({std::move(id), s});
    };
    using T = llamaplan::ggml_type;
    add("mmproj-mlp-3L-256", "mlp", 3, 256, 4, 1024, 224, 14, 512, 0, T::f16);
    add("mmproj-mlp-4L-384-i336", "mlp", 4, 384, 6, 1536, 336, 14, 512, 0, T::f16);
    add("mmproj-mlp-2L-256-p16", "mlp", 2, 256, 4, 1024, 224, 16, 512, 0, T::f16);
    add("mmproj-mlp-3L-256-bf16", "mlp", 3, 256, 4, 1024, 224, 14, 512, 0, T::bf16);
    add("mmproj-mlp-3L-256-f32", "mlp", 3, 256, 4, 1024, 224, 14, 512, 0, T::f32);
    add("mmproj-gemma3-3L-256", "gemma3", 3, 256, 4, 1024, 224, 14, 320, 0, T::f16);
    add("mmproj-gemma3-4L-384-i448", "gemma3", 4, 384, 6, 1536, 448, 14, 320, 0, T::f16);
    add("mmproj-gemma3-2L-256-s2", "gemma3", 2, 256, 4, 1024, 224, 14, 320, 2, T::f16);
    add("mmproj-gemma3-3L-256-i230", "gemma3", 3, 256, 4, 1024, 230, 14, 320, 0, T::f16);
    add("mmproj-gemma3-3L-256-bf16", "gemma3", 3, 256, 4, 1024, 224, 14, 320, 0, T::bf16);
    // the real encoders' widths (four blocks only): LLaVA 1.5's CLIP ViT-L/14 at 336 px (577 positions, head size
    // 64) and Gemma 3's SigLIP at 896 px (4096 patches, head size 72)
    add("mmproj-mlp-4L-1024-i336", "mlp", 4, 1024, 16, 4096, 336, 14, 512, 0, T::f16);
    add("mmproj-gemma3-4L-1152-i896", "gemma3", 4, 1152, 16, 4304, 896, 14, 320, 0, T::f16);
    return out;
}

}  // namespace extra

#endif  // LLAMAPLAN_TESTS_MMPROJ_MODELS_HPP
