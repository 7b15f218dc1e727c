// The models of extra_models.hpp as the estimator sees them: synthesized headers, or for quantized files the F16
// model's hparams with the tensor list llama-quantize wrote (tests/data/extra/tensors/<id>.tsv).
#ifndef LLAMAPLAN_TESTS_EXTRA_LOADER_HPP
#define LLAMAPLAN_TESTS_EXTRA_LOADER_HPP

#include "../support/groundtruth.hpp"
#include "extra_models.hpp"

#include <llamaplan/gguf/hparams.hpp>
#include <llamaplan/gguf/reader.hpp>
#include <llamaplan/gguf/writer.hpp>

#include <array>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace extra {

/// One model as the estimator sees it, with the storage its views point into.
struct loaded_model {
    std::vector<std::byte> header;              // synthesized GGUF header (hparams views point into it)
    std::optional<llamaplan::gguf::reader> r;   // parsed header
    llamaplan::gguf::model_hparams hp;          // hyper-parameters
    std::vector<std::string> names;             // tensor names of a tensor list read from a .tsv
    std::vector<llamaplan::tensor_info> tensors;
    [[nodiscard]] llamaplan::model view() const { return llamaplan::model{hp.view(), tensors}; }
};

/// Synthesizes `def` (header only) and takes its hparams; quantized models take their tensors from the .tsv.
inline std::string load_model(const model_def& def, const std::vector<model_def>& all, const std::string& dir,
                              loaded_model& out) {
    const llamaplan::gguf::synth_spec* spec = &def.spec;
    if (!def.quantized_from.empty())
        for (const auto& d : all)
            if (d.id == def.quantized_from) spec = &d.spec;
    out.header = llamaplan::gguf::synthesize(*spec).bytes(llamaplan::gguf::data_fill::header_only);
    auto r = llamaplan::gguf::reader::parse(std::span<const std::byte>(out.header));
    if (!r) return "cannot parse the synthesized header of " + def.id;
    out.r.emplace(std::move(*r));
    auto hp = llamaplan::gguf::extract_hparams(*out.r);
    if (!hp) return "cannot read the hparams of " + def.id + ": " + std::string(hp.error().what);
    out.hp = std::move(*hp);
    if (def.quantized_from.empty()) {
        out.tensors.assign(out.r->tensors().begin(), out.r->tensors().end());
        return {};
    }
    auto tsv = groundtruth::read_csv(dir + "/tensors/" + def.id + ".tsv", '\t');
    if (!tsv) return "cannot read the tensor list of " + def.id;
    out.names.reserve(tsv->rows.size());  // tensor_info keeps views into these strings
    for (std::size_t i = 0; i < tsv->rows.size(); ++i) {
        out.names.push_back(tsv->get(i, "name"));
        std::array<std::uint64_t, 4> ne{1, 1, 1, 1};
        const auto dims = groundtruth::split(tsv->get(i, "shape"), 'x');
        for (std::size_t d = 0; d < dims.size() && d < 4; ++d) ne[d] = std::stoull(dims[d]);
        const auto type = llamaplan::parse_type(tsv->get(i, "ggml_type"));
        if (!type) return "unknown type in " + def.id;
        auto t = llamaplan::make_tensor(out.names.back(), *type, ne, static_cast<std::uint32_t>(dims.size()),
                                        std::stoull(tsv->get(i, "offset")));
        if (!t || t->bytes != std::stoull(tsv->get(i, "nbytes"))) return "bad tensor in " + def.id;
        out.tensors.push_back(*t);
    }
    return {};
}

}  // namespace extra

#endif  // LLAMAPLAN_TESTS_EXTRA_LOADER_HPP
