// A model synthesized by the GGUF writer and read back through the reader, as a host would open it: the header
// bytes, the reader over them, the hyper-parameters and the tensor list, kept alive together.
#ifndef LLAMAPLAN_TESTS_SYNTH_MODEL_HPP
#define LLAMAPLAN_TESTS_SYNTH_MODEL_HPP

#include <llamaplan/gguf/hparams.hpp>
#include <llamaplan/gguf/reader.hpp>
#include <llamaplan/gguf/writer.hpp>
#include <llamaplan/model.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace test_support {

/// A synthesized model's header and what the adapter reads from it.
struct synth_model {
    std::vector<std::byte> header;
    std::optional<llamaplan::gguf::reader> r;
    llamaplan::gguf::model_hparams hp;
    std::vector<llamaplan::tensor_info> tensors;
    /// The model as the planner sees it (views into this object).
    [[nodiscard]] llamaplan::model view() const { return llamaplan::model{hp.view(), tensors}; }
};

/// Writes `spec`'s header and reads it back; nullptr if the reader or the hyper-parameters refuse it.
[[nodiscard]] inline std::unique_ptr<synth_model> load_synth(const llamaplan::gguf::synth_spec& spec) {
    auto out = std::make_unique<synth_model>();
    out->header = llamaplan::gguf::synthesize(spec).bytes(llamaplan::gguf::data_fill::header_only);
    auto r = llamaplan::gguf::reader::parse(std::span<const std::byte>(out->header));
    if (!r) return nullptr;
    out->r.emplace(std::move(*r));
    auto hp = llamaplan::gguf::extract_hparams(*out->r);
    if (!hp) return nullptr;
    out->hp = std::move(*hp);
    out->tensors.assign(out->r->tensors().begin(), out->r->tensors().end());
    return out;
}

}  // namespace test_support

#endif  // LLAMAPLAN_TESTS_SYNTH_MODEL_HPP
