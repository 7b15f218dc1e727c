// Compile-time tests of the projector's warmup graph (compute/vision.hpp): the replay is constexpr, so the byte
// figures ggml-alloc.c's trace gave for two measured projectors (tests/data/extra/mmproj.csv, README "Multimodal
// projectors") are checked by static_assert. The replay reads the hyper-parameters and a few tensors only (class
// token, norms, patch embedding, projector matrices), so the tensor lists below hold just those.
#include <llamaplan.hpp>

#include <array>

namespace {
using namespace llamaplan;

constexpr tensor_info t(std::string_view name, ggml_type type, std::uint64_t ne0, std::uint64_t ne1 = 1,
                        std::uint64_t ne2 = 1, std::uint64_t ne3 = 1) {
    return *make_tensor(name, type, {ne0, ne1, ne2, ne3}, ne3 > 1 ? 4u : ne2 > 1 ? 3u : ne1 > 1 ? 2u : 1u);
}

// mmproj-mlp-3L-256: LLaVA MLP, 3 blocks (2 run), width 256, 4 heads, FFN 1024, 224 px, patch 14, output 512
constexpr std::array<tensor_info, 5> mlp_tensors{
    t("v.patch_embd.weight", ggml_type::f16, 14, 14, 3, 256), t("v.class_embd", ggml_type::f32, 256),
    t("v.pre_ln.weight", ggml_type::f32, 256), t("mm.0.weight", ggml_type::f16, 256, 512),
    t("mm.2.weight", ggml_type::f16, 512, 512)};
constexpr mmproj_model mlp{{"mlp", projector_type::mlp, 3, 256, 4, 1024, 224, 14, 512, 0}, mlp_tensors};
static_assert(vision_shape_of(mlp).n_pos == 257 && vision_shape_of(mlp).n_layer_run == 2);
static_assert(vision_compute_cpu(mlp, true) == 1920032);
static_assert(vision_compute_cpu(mlp, false) == 2187328);

// mmproj-gemma3-4L-384-i448: SigLIP, 4 blocks, width 384, 6 heads, FFN 1536, 448 px, patch 14, pool 4, output 320
constexpr std::array<tensor_info, 3> gemma3_tensors{
    t("v.patch_embd.weight", ggml_type::f16, 14, 14, 3, 384), t("v.post_ln.weight", ggml_type::f32, 384),
    t("mm.input_projection.weight", ggml_type::f16, 320, 384)};
constexpr mmproj_model gemma3{{"gemma3", projector_type::gemma3, 4, 384, 6, 1536, 448, 14, 320, 0}, gemma3_tensors};
static_assert(vision_compute_cpu(gemma3, true) == 11010048);
static_assert(vision_compute_cpu(gemma3, false) == 34603008);

// shapes whose estimate would loop or overflow are refused before any replay (a fuzzed file had 262,146 blocks);
// the measured ones pass
constexpr mmproj_hparams shape(std::uint32_t layers, std::uint32_t image, std::uint32_t patch, std::uint32_t heads = 4) {
    return {"mlp", projector_type::mlp, layers, 256, heads, 1024, image, patch, 512, 0};
}
static_assert(check_mmproj_shape(mlp.hp) && check_mmproj_shape(gemma3.hp));
static_assert(check_mmproj_shape(shape(LLAMAPLAN_MAX_LAYERS, 224, 14)));
static_assert(check_mmproj_shape(shape(LLAMAPLAN_MAX_LAYERS + 1, 224, 14)).error().code == errc::capacity_exceeded);
static_assert(check_mmproj_shape(shape(3, 1024, 1)));   // 2^20 patches: the limit
static_assert(!check_mmproj_shape(shape(3, 1025, 1)));  // one row more
static_assert(!check_mmproj_shape(shape(3, 65537, 65537)) && !check_mmproj_shape(shape(3, 224, 0)));
static_assert(!check_mmproj_shape(shape(3, 224, 14, 4097)) && !check_mmproj_shape(shape(0, 224, 14)));
static_assert(!estimate_mmproj({shape(LLAMAPLAN_MAX_LAYERS + 1, 224, 14), mlp_tensors}, machine{}, mmproj_params{}, flash_attn_mode::on));

// the projector table: an unknown type is not claimed exact
static_assert(projector_of("gemma3").graph_exact && projector_of("mlp").graph_exact);
static_assert(projector_of("qwen2.5vl").type == projector_type::unknown && !projector_of("qwen2.5vl").graph_exact);

}  // namespace
