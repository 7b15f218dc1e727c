// libFuzzer harness: GGUF bytes -> gguf::reader::parse -> extract_hparams -> validate_model -> estimate_memory, or
// for a projector file (tools/mtmd, --mmproj) extract_mmproj_hparams -> estimate_mmproj.
// Input layout: byte 0 chooses the launch settings (fuzz_check.hpp choose) and, in bit 0 of byte 1, split mode;
// the rest is one GGUF file, or in split mode up to 8 parts separated by "LPSPLIT!" (gathered as gguf::open does:
// tensors of part i get file index i). Invariants: tensor sizes recomputed from shapes, hyper-parameters within
// llama.cpp's limits after a successful extraction, bounded estimate time, and the estimate's sums (fuzz_check.hpp).
#include "fuzz_check.hpp"

#include <llamaplan/gguf/hparams.hpp>
#include <llamaplan/gguf/mmproj.hpp>
#include <llamaplan/gguf/reader.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

using namespace llamaplan;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    fuzz::setting s;
    fuzz::choose(s, data[0]);
    const bool split = (data[1] & 1) != 0;
    const std::span<const std::byte> all(reinterpret_cast<const std::byte*>(data + 2), size - 2);

    std::vector<std::span<const std::byte>> parts;
    if (!split) {
        parts.push_back(all);
    } else {
        const std::string_view text(reinterpret_cast<const char*>(all.data()), all.size());
        std::size_t start = 0;
        while (parts.size() < 8) {
            const std::size_t at = text.find("LPSPLIT!", start);
            const std::size_t end = at == std::string_view::npos ? text.size() : at;
            parts.push_back(all.subspan(start, end - start));
            if (at == std::string_view::npos) break;
            start = at + 8;
        }
    }
    std::vector<gguf::reader> readers;
    readers.reserve(parts.size());
    std::vector<tensor_info> tensors;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        auto r = gguf::reader::parse(parts[i]);
        if (!r) {
            FUZZ_CHECK(r.error().code != errc::ok && !r.error().what.empty());
            return 0;
        }
        for (tensor_info t : r->tensors()) {
            auto again = make_tensor(t.name, t.type, t.ne, t.n_dims, t.offset);
            FUZZ_CHECK(again.has_value() && again->bytes == t.bytes);
            t.file = static_cast<std::uint32_t>(i);
            tensors.push_back(t);
        }
        readers.push_back(std::move(*r));
    }
    // a projector: its reader, then its weights and warmup graph with and without flash attention, in bounded time
    if (auto ph = gguf::extract_mmproj_hparams(readers.front())) {
        const mmproj_model mm{*ph, tensors};
        for (const flash_attn_mode fa : {flash_attn_mode::off, flash_attn_mode::on}) {
            const auto t0 = std::chrono::steady_clock::now();
            auto pe = estimate_mmproj(mm, s.hw, mmproj_params{}, fa);
            FUZZ_CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(250));
            if (!pe) {
                FUZZ_CHECK(pe.error().code != errc::ok && !pe.error().what.empty());
                continue;
            }
            FUZZ_CHECK(pe->present && pe->compute > 0);
        }
        return 0;
    }
    auto mh = gguf::extract_hparams(readers.front());
    if (!mh) {
        FUZZ_CHECK(mh.error().code != errc::ok && !mh.error().what.empty());
        return 0;
    }
    const hparams h = mh->view();
    FUZZ_CHECK(h.n_layer >= 1 && h.n_layer + h.n_layer_nextn <= LLAMAPLAN_MAX_LAYERS);
    FUZZ_CHECK(h.n_expert <= max_experts && h.n_expert_used <= h.n_expert);
    const std::string block_count = std::string(h.architecture) + ".block_count";
    FUZZ_CHECK(readers.front().get_u32(block_count).value_or(0) == h.n_layer + h.n_layer_nextn);
    const model m{h, tensors};
    // bounded work: the largest accepted model estimates in about 0.5 ms optimised (bench/README.md); 250 ms allows
    // for the sanitizers and a loaded machine, and still catches work that grows with a hyper-parameter's value
    const auto t0 = std::chrono::steady_clock::now();
    auto e = estimate_memory(m, s.hw, s.p);
    FUZZ_CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(250));
    if (!e) {
        FUZZ_CHECK(e.error().code != errc::ok && !e.error().what.empty());
        return 0;
    }
    FUZZ_CHECK(validate_model(m).code == errc::ok);
    fuzz::check_estimate(*e);
    return 0;
}
