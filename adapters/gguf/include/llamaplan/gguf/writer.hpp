// SPDX-License-Identifier: MIT
// llamaplan GGUF adapter: a small GGUF v2/v3 writer (KVs of every type, tensor infos, aligned data, split files) and
// `synthesize`, which builds an architecture-shaped model (llama-style, MoE, SWA, MLA, recurrent, hybrid) so tests and
// benchmarks can make realistic files without committing binaries. Byte layout as read by ggml/src/gguf.cpp.
#ifndef LLAMAPLAN_GGUF_WRITER_HPP
#define LLAMAPLAN_GGUF_WRITER_HPP

#include <llamaplan/config.hpp>

#include <llamaplan/arch.hpp>

#include <llamaplan/gguf/reader.hpp>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <array>
#include <vector>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::gguf {

/// What `writer::bytes` puts after the tensor infos.
enum class data_fill : std::uint8_t {
    header_only,  ///< stop after the tensor infos (and the padding before the data section)
    zeros,        ///< the whole data section, zero-filled
    pattern,      ///< the whole data section, filled with a deterministic byte pattern
};

/// Encodes GGUF values (little-endian) into a byte vector; used by `writer` and by tests crafting raw values.
class value_encoder {
public:
    /// Appends a u8.
    value_encoder& u8(std::uint8_t v) { return le(v, 1); }
    /// Appends a u16.
    value_encoder& u16(std::uint16_t v) { return le(v, 2); }
    /// Appends a u32.
    value_encoder& u32(std::uint32_t v) { return le(v, 4); }
    /// Appends a u64.
    value_encoder& u64(std::uint64_t v) { return le(v, 8); }
    /// Appends an f32.
    value_encoder& f32(float v) { return le(detail::bit_cast<std::uint32_t>(v), 4); }
    /// Appends an f64.
    value_encoder& f64(double v) { return le(detail::bit_cast<std::uint64_t>(v), 8); }
    /// Appends a GGUF string (u64 length + bytes).
    value_encoder& str(std::string_view s) {
        u64(s.size());
        for (char ch : s) out.push_back(static_cast<std::byte>(ch));
        return *this;
    }
    /// Appends raw bytes.
    value_encoder& raw(std::span<const std::byte> b) {
        out.insert(out.end(), b.begin(), b.end());
        return *this;
    }
    std::vector<std::byte> out{};  ///< the encoded bytes

private:
    value_encoder& le(std::uint64_t v, int n) {
        for (int i = 0; i < n; ++i) out.push_back(static_cast<std::byte>((v >> (8 * i)) & 0xFF));
        return *this;
    }
};

/// Builds GGUF files in memory. Setting a key twice replaces the value (add_raw can create duplicates for tests).
class writer {
public:
    /// One KV pair: key, type and the encoded value after the type id (for arrays: elem type, count, elements).
    struct kv {
        std::string key{};             ///< the key
        std::uint32_t type = 0;        ///< value type id (may be invalid, for tests)
        std::vector<std::byte> value{};///< encoded value
    };
    /// One tensor info to write.
    struct tensor {
        std::string name{};                  ///< tensor name
        std::uint32_t type = 0;              ///< ggml type id (may be invalid, for tests)
        std::vector<std::uint64_t> shape{};  ///< ne[0..n_dims) (elements)
        std::uint64_t bytes = 0;             ///< ggml_nbytes (0 when the type or shape is invalid)
        bool offset_override = false;        ///< write `offset` instead of the computed offset
        std::uint64_t offset = 0;            ///< forced offset (bytes from the data section)
    };

    /// GGUF version to write (2 or 3; other values for tests).
    writer& set_version(std::uint32_t v) { version_ = v; return *this; }
    /// Sets `general.alignment` (u32) and aligns the data section to it (bytes).
    writer& set_alignment(std::uint32_t a) {
        alignment_ = a == 0 ? default_alignment : a;
        return set_u32("general.alignment", a);
    }

    /// Sets a u8 value.
    writer& set_u8(std::string_view k, std::uint8_t v) { return scalar(k, value_type::u8, value_encoder{}.u8(v).out); }
    /// Sets an i8 value.
    writer& set_i8(std::string_view k, std::int8_t v) { return scalar(k, value_type::i8, value_encoder{}.u8(std::uint8_t(v)).out); }
    /// Sets a u16 value.
    writer& set_u16(std::string_view k, std::uint16_t v) { return scalar(k, value_type::u16, value_encoder{}.u16(v).out); }
    /// Sets an i16 value.
    writer& set_i16(std::string_view k, std::int16_t v) { return scalar(k, value_type::i16, value_encoder{}.u16(std::uint16_t(v)).out); }
    /// Sets a u32 value.
    writer& set_u32(std::string_view k, std::uint32_t v) { return scalar(k, value_type::u32, value_encoder{}.u32(v).out); }
    /// Sets an i32 value.
    writer& set_i32(std::string_view k, std::int32_t v) { return scalar(k, value_type::i32, value_encoder{}.u32(std::uint32_t(v)).out); }
    /// Sets a u64 value.
    writer& set_u64(std::string_view k, std::uint64_t v) { return scalar(k, value_type::u64, value_encoder{}.u64(v).out); }
    /// Sets an i64 value.
    writer& set_i64(std::string_view k, std::int64_t v) { return scalar(k, value_type::i64, value_encoder{}.u64(std::uint64_t(v)).out); }
    /// Sets an f32 value.
    writer& set_f32(std::string_view k, float v) { return scalar(k, value_type::f32, value_encoder{}.f32(v).out); }
    /// Sets an f64 value.
    writer& set_f64(std::string_view k, double v) { return scalar(k, value_type::f64, value_encoder{}.f64(v).out); }
    /// Sets a bool value.
    writer& set_bool(std::string_view k, bool v) { return scalar(k, value_type::boolean, value_encoder{}.u8(v ? 1 : 0).out); }
    /// Sets a string value.
    writer& set_string(std::string_view k, std::string_view v) { return scalar(k, value_type::string, value_encoder{}.str(v).out); }

    /// Sets an array of fixed-size elements of type `t` (T's size must match scalar_size(t); bool as uint8_t).
    template <class T>
    writer& set_array(std::string_view k, value_type t, std::span<const T> v) {
        value_encoder e;
        e.u32(static_cast<std::uint32_t>(t)).u64(v.size());
        for (const T& x : v) {
            if constexpr (std::is_same_v<T, float>) e.f32(x);
            else if constexpr (std::is_same_v<T, double>) e.f64(x);
            else {
                const auto u = static_cast<std::uint64_t>(x);
                for (std::uint64_t i = 0; i < scalar_size(t); ++i) e.u8(static_cast<std::uint8_t>(u >> (8 * i)));
            }
        }
        return scalar(k, value_type::array, std::move(e.out));
    }
    /// Sets a u32 array.
    writer& set_array_u32(std::string_view k, std::span<const std::uint32_t> v) { return set_array(k, value_type::u32, v); }
    /// Sets an i32 array.
    writer& set_array_i32(std::string_view k, std::span<const std::int32_t> v) { return set_array(k, value_type::i32, v); }
    /// Sets an f32 array.
    writer& set_array_f32(std::string_view k, std::span<const float> v) { return set_array(k, value_type::f32, v); }
    /// Sets a bool array (0 / non-zero bytes).
    writer& set_array_bool(std::string_view k, std::span<const std::uint8_t> v) { return set_array(k, value_type::boolean, v); }
    /// Sets a string array.
    writer& set_array_strings(std::string_view k, std::span<const std::string> v) {
        value_encoder e;
        e.u32(static_cast<std::uint32_t>(value_type::string)).u64(v.size());
        std::size_t total = 12;
        for (const auto& s : v) total += 8 + s.size();
        e.out.reserve(total);
        for (const auto& s : v) e.str(s);
        return scalar(k, value_type::array, std::move(e.out));
    }
    /// Sets a value from its type id and encoded bytes (replacing any pair with that key).
    writer& set_raw(std::string_view k, std::uint32_t type, std::vector<std::byte> value) {
        for (auto& p : kvs_)
            if (p.key == k) { p.type = type; p.value = std::move(value); return *this; }
        kvs_.push_back({std::string(k), type, std::move(value)});
        return *this;
    }
    /// Appends a pair even if the key exists (for duplicate-key tests).
    writer& add_raw(std::string_view k, std::uint32_t type, std::vector<std::byte> value) {
        kvs_.push_back({std::string(k), type, std::move(value)});
        return *this;
    }
    /// Removes a key if present.
    writer& remove(std::string_view k) {
        std::erase_if(kvs_, [&](const kv& p) { return p.key == k; });
        return *this;
    }

    /// Adds a tensor info; shape is ne[0..n) innermost first (elements).
    writer& add_tensor(std::string_view name, ggml_type type, std::vector<std::uint64_t> shape) {
        return add_tensor_raw(name, static_cast<std::uint32_t>(type), std::move(shape));
    }
    /// Adds a tensor info with a raw ggml type id (may be invalid, for tests).
    writer& add_tensor_raw(std::string_view name, std::uint32_t type_id, std::vector<std::uint64_t> shape) {
        tensor t{std::string(name), type_id, std::move(shape), 0, false, 0};
        t.bytes = nbytes(t);
        tensors_.push_back(std::move(t));
        return *this;
    }
    /// Forces the written offset of tensor `i` (for tests of misplaced data).
    writer& set_tensor_offset(std::size_t i, std::uint64_t off) {
        tensors_.at(i).offset_override = true;
        tensors_.at(i).offset = off;
        return *this;
    }

    /// The pairs to write.
    [[nodiscard]] const std::vector<kv>& kvs() const noexcept { return kvs_; }
    /// The tensors to write.
    [[nodiscard]] const std::vector<tensor>& tensors() const noexcept { return tensors_; }
    /// Data alignment (bytes).
    [[nodiscard]] std::uint32_t alignment() const noexcept { return alignment_; }

    /// The whole file (or its header) as bytes.
    [[nodiscard]] std::vector<std::byte> bytes(data_fill fill = data_fill::zeros) const {
        std::vector<const kv*> k;
        for (const auto& p : kvs_) k.push_back(&p);
        std::vector<const tensor*> t;
        for (const auto& x : tensors_) t.push_back(&x);
        return encode(k, {}, t, fill);
    }

    /// The file cut into `n_parts` split files as tools/gguf-split writes them: part 0 holds every KV, every part
    /// holds split.no (u16, 0-based), split.count (u16) and split.tensors.count (i32); tensors are dealt out in order.
    [[nodiscard]] std::vector<std::vector<std::byte>> split_bytes(std::uint32_t n_parts, data_fill fill = data_fill::zeros) const {
        std::vector<std::vector<std::byte>> parts;
        if (n_parts == 0) return parts;
        const std::size_t per = (tensors_.size() + n_parts - 1) / n_parts;
        for (std::uint32_t p = 0; p < n_parts; ++p) {
            std::vector<kv> extra = {
                {"split.no", std::uint32_t(value_type::u16), value_encoder{}.u16(std::uint16_t(p)).out},
                {"split.count", std::uint32_t(value_type::u16), value_encoder{}.u16(std::uint16_t(n_parts)).out},
                {"split.tensors.count", std::uint32_t(value_type::i32), value_encoder{}.u32(std::uint32_t(tensors_.size())).out},
            };
            std::vector<const kv*> k;
            if (p == 0)
                for (const auto& x : kvs_) k.push_back(&x);
            std::vector<const tensor*> t;
            for (std::size_t i = p * per; i < std::min(tensors_.size(), (p + 1) * per); ++i) t.push_back(&tensors_[i]);
            parts.push_back(encode(k, extra, t, fill));
        }
        return parts;
    }

    /// Writes bytes to a file; false on any I/O error.
    static bool write_file(const std::string& path, std::span<const std::byte> b) {
        std::FILE* f = std::fopen(path.c_str(), "wb");
        if (f == nullptr) return false;
        const bool ok = b.empty() || std::fwrite(b.data(), 1, b.size(), f) == b.size();
        return std::fclose(f) == 0 && ok;
    }
    /// Writes the file; false on an I/O error.
    [[nodiscard]] bool write(const std::string& path, data_fill fill = data_fill::zeros) const {
        const auto b = bytes(fill);
        return write_file(path, b);
    }
    /// The name of split `i` (0-based) of `n`: "<prefix>-%05d-of-%05d.gguf" with 1-based numbers (llama_split_path).
    [[nodiscard]] static std::string split_path(std::string_view prefix, std::uint32_t i, std::uint32_t n) {
        return gguf::split_path(prefix, i, n);
    }
    /// Writes `n_parts` split files named split_path(prefix, i, n); returns the paths, or empty on an I/O error.
    [[nodiscard]] std::vector<std::string> write_split(std::string_view prefix, std::uint32_t n_parts, data_fill fill = data_fill::zeros) const {
        std::vector<std::string> paths;
        const auto parts = split_bytes(n_parts, fill);
        for (std::uint32_t i = 0; i < parts.size(); ++i) {
            paths.push_back(split_path(prefix, i, n_parts));
            if (!write_file(paths.back(), parts[i])) return {};
        }
        return paths;
    }

private:
    writer& scalar(std::string_view k, value_type t, std::vector<std::byte> v) {
        return set_raw(k, static_cast<std::uint32_t>(t), std::move(v));
    }

    [[nodiscard]] static std::uint64_t nbytes(const tensor& t) {
        if (t.shape.empty() || t.shape.size() > 4) return 0;
        std::array<std::uint64_t, 4> ne{1, 1, 1, 1};
        for (std::size_t i = 0; i < t.shape.size(); ++i) ne[i] = t.shape[i];
        auto r = make_tensor("", static_cast<ggml_type>(t.type), ne, static_cast<std::uint32_t>(t.shape.size()));
        return r ? r->bytes : 0;
    }

    [[nodiscard]] std::vector<std::byte> encode(const std::vector<const kv*>& k, const std::vector<kv>& extra,
                                                const std::vector<const tensor*>& t, data_fill fill) const {
        value_encoder e;
        std::size_t reserve = 64;
        for (const kv* p : k) reserve += 12 + p->key.size() + p->value.size();
        e.out.reserve(reserve + t.size() * 96);
        e.u8('G').u8('G').u8('U').u8('F').u32(version_).u64(t.size()).u64(k.size() + extra.size());
        auto put = [&](const kv& p) { e.str(p.key).u32(p.type).raw(p.value); };
        for (const kv* p : k) put(*p);
        for (const kv& p : extra) put(p);
        const std::uint64_t a = alignment_;
        std::uint64_t off = 0;
        for (const tensor* x : t) {
            e.str(x->name).u32(static_cast<std::uint32_t>(x->shape.size()));
            for (auto d : x->shape) e.u64(d);
            e.u32(x->type).u64(x->offset_override ? x->offset : off);
            off += (x->bytes + a - 1) / a * a;
        }
        if (!t.empty()) e.out.resize((e.out.size() + a - 1) / a * a, std::byte{0});
        if (fill == data_fill::header_only) return std::move(e.out);
        const std::size_t start = e.out.size();
        e.out.resize(start + off, std::byte{0});
        if (fill == data_fill::pattern)
            for (std::size_t i = 0; i < off; ++i) e.out[start + i] = static_cast<std::byte>((i * 31 + 7) & 0xFF);
        return std::move(e.out);
    }

    std::uint32_t version_ = 3;
    std::uint32_t alignment_ = default_alignment;
    std::vector<kv> kvs_{};
    std::vector<tensor> tensors_{};
};

/// What `synthesize` builds: the hyper-parameters of an architecture-shaped model (all sizes in elements / tokens).
struct synth_spec {
    std::string arch = "llama";          ///< general.architecture
    std::string name{};                  ///< general.name (empty: "llamaplan synthetic <arch>"; llama-vocab.cpp treats a
                                         ///< name containing "phi3" specially and needs "</s>" in the vocabulary then)
    std::uint32_t n_layer = 2;           ///< blocks used for inference (block_count = n_layer + n_nextn)
    std::uint32_t n_nextn = 0;           ///< MTP layers appended (nextn_predict_layers)
    std::uint32_t n_embd = 64;           ///< embedding_length
    std::uint32_t n_head = 4;            ///< attention.head_count (0 = none written)
    std::uint32_t n_head_kv = 4;         ///< attention.head_count_kv
    std::uint32_t head_dim = 0;          ///< attention.key_length / value_length when non-zero (else n_embd / n_head)
    std::uint32_t n_ff = 128;            ///< feed_forward_length (0 = no dense FFN)
    std::uint32_t n_vocab = 256;         ///< tokens
    std::uint32_t n_ctx = 4096;          ///< context_length
    bool write_vocab_size = false;       ///< also write %s.vocab_size
    bool tokenizer = true;               ///< write tokenizer.ggml.{model,tokens,scores,token_type}
    bool merges = false;                 ///< also write tokenizer.ggml.merges (n_vocab - 256 strings)
    bool qk_norm = false;                ///< attn_q_norm / attn_k_norm tensors (qwen3, gemma3)
    bool tied_output = false;            ///< no output.weight (tied to token_embd)
    bool attn_bias = false;              ///< attn_q / attn_k / attn_v bias tensors (qwen2)
    bool post_norms = false;             ///< post_attention_norm / post_ffw_norm tensors (gemma2, gemma3)
    bool fused_qkv = false;              ///< one attn_qkv {n_embd, (n_head + 2 n_head_kv) x head} instead of Q, K, V (phi3)
    bool fused_gate_up = false;          ///< ffn_up {n_embd, 2 n_ff} and no ffn_gate (phi3)
    std::vector<std::uint32_t> head_kv_per_layer{};  ///< written as an array when non-empty (0 = recurrent layer)
    std::vector<std::uint32_t> head_per_layer{};     ///< written as an array when non-empty
    std::vector<std::uint32_t> ff_per_layer{};       ///< written as an array when non-empty
    // mixture of experts
    std::uint32_t n_expert = 0;          ///< expert_count
    std::uint32_t n_expert_used = 0;     ///< expert_used_count
    std::uint32_t n_ff_exp = 0;          ///< expert_feed_forward_length
    std::uint32_t n_expert_shared = 0;   ///< expert_shared_count
    std::uint32_t n_ff_shexp = 0;        ///< expert_shared_feed_forward_length (0 = n_ff_exp * n_expert_shared)
    std::uint32_t n_layer_dense_lead = 0;///< leading_dense_block_count
    // sliding window
    std::uint32_t n_swa = 0;             ///< attention.sliding_window (0 = not written)
    std::uint32_t swa_period = 0;        ///< attention.sliding_window_pattern as u32 (0 = not written)
    std::vector<std::uint8_t> swa_pattern{};  ///< attention.sliding_window_pattern as a bool array (when non-empty)
    std::uint32_t head_dim_swa = 0;      ///< attention.key_length_swa / value_length_swa when non-zero
    // MLA
    std::uint32_t q_lora_rank = 0;       ///< attention.q_lora_rank (0 = not written)
    std::uint32_t kv_lora_rank = 0;      ///< attention.kv_lora_rank (0 = not MLA)
    std::uint32_t rope_dim = 64;         ///< rope.dimension_count for MLA
    std::uint32_t key_length_mla = 0;    ///< attention.key_length_mla (0 = not written)
    std::uint32_t value_length_mla = 0;  ///< attention.value_length_mla (0 = not written)
    // recurrent
    std::uint32_t ssm_d_conv = 0;        ///< ssm.conv_kernel (non-zero makes recurrent layers Mamba blocks)
    std::uint32_t ssm_d_inner = 0;       ///< ssm.inner_size
    std::uint32_t ssm_d_state = 0;       ///< ssm.state_size
    std::uint32_t ssm_dt_rank = 0;       ///< ssm.time_step_rank
    std::uint32_t ssm_n_group = 0;       ///< ssm.group_count (0 = not written)
    bool mamba1 = false;                 ///< recurrent blocks are Mamba-1 (ssm_x, ssm_dt; models/mamba.cpp) not Mamba-2
    bool parallel_ssm = false;           ///< every block has a Mamba-2 mixer beside its attention (falcon-h1)
    bool nemotron_h = false;             ///< nemotron-h blocks: Mamba-2 (no KV heads, no FFN), attention only (KV heads,
                                         ///< no FFN) or an up/down MLP (FFN, no KV heads); one norm per block
    std::uint32_t wkv_head_size = 0;     ///< wkv.head_size (non-zero makes every block an RWKV block: RWKV-7's time
                                         ///< mix when the architecture's recurrent kind is rwkv7, else RWKV-6's; a
                                         ///< Qwen2 block around it for rwkv6qwen2 / arwkv7, arch_traits::rwkv_qwen2_ffn)
    std::uint32_t time_mix_extra_dim = 32;    ///< RWKV-6 time_mix_extra_dim (LoRA rank of the five token-shift mixes)
    std::uint32_t time_decay_extra_dim = 64;  ///< RWKV-6 time_decay_extra_dim (LoRA rank of the decay)
    std::uint32_t lora_decay = 64;       ///< RWKV-7 attention.decay_lora_rank
    std::uint32_t lora_iclr = 64;        ///< RWKV-7 attention.iclr_lora_rank
    std::uint32_t lora_value_res_mix = 32;  ///< RWKV-7 attention.value_residual_mix_lora_rank
    std::uint32_t lora_gate = 128;       ///< RWKV-7 attention.gate_lora_rank
    bool gpt_oss = false;                ///< gpt-oss blocks (models/openai-moe.cpp load_arch_tensors): attn_sinks
                                         ///< {n_head}, attn_output.bias, post_attention_norm as the only FFN norm (no
                                         ///< ffn_norm), ffn_gate_inp.bias and the experts' biases; Q/K/V biases come
                                         ///< from attn_bias
    bool qwen3next = false;              ///< qwen3next blocks (models/qwen3next.cpp load_arch_tensors): gated delta-net
                                         ///< layers (attn_qkv, attn_gate, ssm_conv1d, ssm_dt.bias, ssm_a, ssm_ba,
                                         ///< ssm_norm, ssm_out) except every full_attention_interval-th one, which
                                         ///< attends with a gated Q (attn_q of 2 x n_head x head rows) and Q/K norms;
                                         ///< post_attention_norm as the FFN norm, a shared expert with its gate
                                         ///< (ffn_gate_inp_shexp); ssm.inner_size should be time_step_rank x state_size
    bool qwen35 = false;                 ///< with `qwen3next`: Qwen3.5 blocks (models/qwen35.cpp, qwen35moe.cpp
                                         ///< load_arch_tensors): ssm_beta and ssm_alpha {n_embd, time_step_rank}
                                         ///< instead of ssm_ba, rope.dimension_sections written; a dense FFN (no
                                         ///< experts: qwen35) has no ffn_norm either
    bool qwen3next_ssm_in = false;       ///< with `qwen3next`: the legacy layout, one ssm_in {n_embd, 2 key_dim + 2
                                         ///< value_dim} instead of attn_qkv and attn_gate (models/qwen3next.cpp
                                         ///< build_qkvz's legacy path)
    std::uint32_t full_attention_interval = 0;  ///< %s.full_attention_interval (0 = not written; qwen3next default 4)
    bool gemma3n = false;                ///< gemma3n tensors (models/gemma3n.cpp load_arch_tensors): altup_proj,
                                         ///< altup_unembd_proj {n_embd, n_embd, n_altup - 1}, per_layer_token_embd
                                         ///< {256 x n_layer, n_vocab}, per_layer_model_proj, per_layer_proj_norm; per
                                         ///< block the per-layer input gate / projection / post norm, the altup
                                         ///< router and coefficients and the laurel low-rank pair (n_altup 4, laurel
                                         ///< rank 64 and the per-layer width 256 are llama-hparams.h constants); Q/K
                                         ///< norms and post norms come from qk_norm / post_norms
    // types
    ggml_type weight_type = ggml_type::f16;  ///< matrices
    ggml_type embd_type = ggml_type::f16;    ///< token_embd and output
    std::uint32_t alignment = 0;         ///< general.alignment when non-zero
};

namespace detail {
/// A deterministic token string of 1..14 bytes for token i (lengths vary like a BPE vocabulary's).
inline std::string synth_token(std::uint32_t i) {
    std::string s;
    std::uint32_t x = i * 2654435761u;
    const std::uint32_t len = 1 + (x >> 28) % 14;
    for (std::uint32_t j = 0; j < len; ++j) {
        s.push_back(static_cast<char>('a' + (x % 26)));
        x = x * 1103515245u + 12345u;
    }
    s += std::to_string(i);
    return s;
}
}  // namespace detail

/// Builds a writer holding an architecture-shaped model: llama.cpp's key names (src/llama-arch.cpp LLM_KV_NAMES) and
/// tensor names (LLM_TENSOR_NAMES) with plausible shapes. Layers whose per-layer KV heads are 0, or all layers of a
/// model with ssm/wkv sizes and no attention heads, get recurrent blocks instead of attention.
[[nodiscard]] inline writer synthesize(const synth_spec& s) {
    writer w;
    const std::string a = s.arch + ".";
    const std::uint32_t n_all = s.n_layer + s.n_nextn;
    if (s.alignment != 0) w.set_alignment(s.alignment);
    w.set_string("general.architecture", s.arch);
    w.set_string("general.name", s.name.empty() ? "llamaplan synthetic " + s.arch : s.name);
    w.set_u32("general.file_type", 1);
    w.set_u32(a + "block_count", n_all);
    w.set_u32(a + "context_length", s.n_ctx);
    w.set_u32(a + "embedding_length", s.n_embd);
    if (!s.ff_per_layer.empty()) w.set_array_u32(a + "feed_forward_length", s.ff_per_layer);
    else w.set_u32(a + "feed_forward_length", s.n_ff);
    if (!s.head_per_layer.empty()) w.set_array_u32(a + "attention.head_count", s.head_per_layer);
    else if (s.n_head) w.set_u32(a + "attention.head_count", s.n_head);
    if (!s.head_kv_per_layer.empty()) w.set_array_u32(a + "attention.head_count_kv", s.head_kv_per_layer);
    else if (s.n_head) w.set_u32(a + "attention.head_count_kv", s.n_head_kv);
    if (s.n_head || s.ssm_d_conv) w.set_f32(a + "attention.layer_norm_rms_epsilon", 1e-6f);
    if (s.nemotron_h) w.set_f32(a + "attention.layer_norm_epsilon", 1e-5f);  // models/nemotron-h.cpp reads both
    const std::uint32_t hd = s.head_dim ? s.head_dim : (s.n_head ? s.n_embd / s.n_head : 0);
    if (s.head_dim) {
        w.set_u32(a + "attention.key_length", s.head_dim);
        w.set_u32(a + "attention.value_length", s.head_dim);
    }
    if (s.head_dim_swa) {
        w.set_u32(a + "attention.key_length_swa", s.head_dim_swa);
        w.set_u32(a + "attention.value_length_swa", s.head_dim_swa);
    }
    w.set_f32(a + "rope.freq_base", 1000000.0f);
    if (s.write_vocab_size) w.set_u32(a + "vocab_size", s.n_vocab);
    if (s.n_expert) {
        w.set_u32(a + "expert_count", s.n_expert);
        w.set_u32(a + "expert_used_count", s.n_expert_used);
        if (s.n_ff_exp) w.set_u32(a + "expert_feed_forward_length", s.n_ff_exp);
        if (s.n_expert_shared) w.set_u32(a + "expert_shared_count", s.n_expert_shared);
        if (s.n_ff_shexp) w.set_u32(a + "expert_shared_feed_forward_length", s.n_ff_shexp);
        if (s.n_layer_dense_lead) w.set_u32(a + "leading_dense_block_count", s.n_layer_dense_lead);
    }
    if (s.n_nextn) w.set_u32(a + "nextn_predict_layers", s.n_nextn);
    if (s.n_swa) w.set_u32(a + "attention.sliding_window", s.n_swa);
    if (!s.swa_pattern.empty()) w.set_array_bool(a + "attention.sliding_window_pattern", s.swa_pattern);
    else if (s.swa_period) w.set_u32(a + "attention.sliding_window_pattern", s.swa_period);
    const bool mla = s.kv_lora_rank != 0;
    if (mla) {
        if (s.q_lora_rank) w.set_u32(a + "attention.q_lora_rank", s.q_lora_rank);
        w.set_u32(a + "attention.kv_lora_rank", s.kv_lora_rank);
        w.set_u32(a + "rope.dimension_count", s.rope_dim);
        if (s.key_length_mla) w.set_u32(a + "attention.key_length_mla", s.key_length_mla);
        if (s.value_length_mla) w.set_u32(a + "attention.value_length_mla", s.value_length_mla);
    }
    if (s.ssm_d_conv) {
        w.set_u32(a + "ssm.conv_kernel", s.ssm_d_conv);
        w.set_u32(a + "ssm.inner_size", s.ssm_d_inner);
        w.set_u32(a + "ssm.state_size", s.ssm_d_state);
        w.set_u32(a + "ssm.time_step_rank", s.ssm_dt_rank);
        if (s.ssm_n_group) w.set_u32(a + "ssm.group_count", s.ssm_n_group);
    }
    const arch_traits* at = find_arch(s.arch);
    const bool rwkv7 = s.wkv_head_size != 0 && at != nullptr && at->recurrent == recurrent_kind::rwkv7;
    // rwkv6qwen2 / arwkv7 (models/rwkv6qwen2.cpp, arwkv7.cpp): RMS norms, one token shift, a Qwen2 FFN
    const bool rwkv_qwen2 = s.wkv_head_size != 0 && at != nullptr && at->rwkv_qwen2_ffn;
    if (s.wkv_head_size) {
        w.set_u32(a + "wkv.head_size", s.wkv_head_size);
        w.set_f32(a + "attention.layer_norm_epsilon", 1e-5f);
        if (rwkv_qwen2) {  // the graph asserts n_embd == n_embd_r
            w.set_f32(a + "attention.layer_norm_rms_epsilon", 1e-6f);
            w.set_u32(a + "token_shift_count", 1);
        }
        if (rwkv7) {  // models/rwkv7.cpp load_arch_hparams (the gate rank is optional there, its tensors are not)
            w.set_u32(a + "attention.decay_lora_rank", s.lora_decay);
            w.set_u32(a + "attention.iclr_lora_rank", s.lora_iclr);
            w.set_u32(a + "attention.value_residual_mix_lora_rank", s.lora_value_res_mix);
            w.set_u32(a + "attention.gate_lora_rank", s.lora_gate);
        } else {  // models/rwkv6.cpp load_arch_hparams
            w.set_u32(a + "time_mix_extra_dim", s.time_mix_extra_dim);
            w.set_u32(a + "time_decay_extra_dim", s.time_decay_extra_dim);
        }
    }
    if (s.full_attention_interval) w.set_u32(a + "full_attention_interval", s.full_attention_interval);
    // models/qwen35*.cpp load_arch_hparams: get_key_or_arr(LLM_KV_ROPE_DIMENSION_SECTIONS, rope_sections, 4, true);
    // sections of the rotated half of a head (convert_hf_to_gguf writes them as INT32)
    if (s.qwen35) {
        const std::int32_t half = static_cast<std::int32_t>((s.head_dim ? s.head_dim : (s.n_head ? s.n_embd / s.n_head : 0)) / 2);
        const std::vector<std::int32_t> sections{half - 2 * (half / 3), half / 3, half / 3, 0};
        w.set_array_i32(a + "rope.dimension_sections", sections);
    }
    if (s.tokenizer) {
        w.set_string("tokenizer.ggml.model", "gpt2");
        std::vector<std::string> tokens(s.n_vocab);
        for (std::uint32_t i = 0; i < s.n_vocab; ++i) tokens[i] = detail::synth_token(i);
        w.set_array_strings("tokenizer.ggml.tokens", tokens);
        std::vector<float> scores(s.n_vocab);
        for (std::uint32_t i = 0; i < s.n_vocab; ++i) scores[i] = -float(i);
        w.set_array_f32("tokenizer.ggml.scores", scores);
        std::vector<std::int32_t> types(s.n_vocab, 1);
        w.set_array_i32("tokenizer.ggml.token_type", types);
        if (s.merges && s.n_vocab > 256) {
            std::vector<std::string> merges(s.n_vocab - 256);
            for (std::uint32_t i = 0; i < merges.size(); ++i)
                merges[i] = detail::synth_token(i).substr(0, 5) + " " + detail::synth_token(i + 7).substr(0, 5);
            w.set_array_strings("tokenizer.ggml.merges", merges);
        }
        w.set_u32("tokenizer.ggml.bos_token_id", 1);
        w.set_u32("tokenizer.ggml.eos_token_id", 2);
    }

    using T = std::vector<std::uint64_t>;
    const ggml_type wt = s.weight_type;
    const std::uint64_t E = s.n_embd;
    w.add_tensor("token_embd.weight", s.embd_type, T{E, s.n_vocab});
    w.add_tensor("output_norm.weight", ggml_type::f32, T{E});
    if (s.wkv_head_size && !rwkv_qwen2) {  // models/rwkv6.cpp, rwkv7.cpp load_arch_tensors: LN0, biased norms
        w.add_tensor("token_embd_norm.weight", ggml_type::f32, T{E});
        w.add_tensor("token_embd_norm.bias", ggml_type::f32, T{E});
        w.add_tensor("output_norm.bias", ggml_type::f32, T{E});
    }
    if (!s.tied_output) w.add_tensor("output.weight", s.embd_type, T{E, s.n_vocab});
    // gemma3n: llama-hparams.h n_altup = 4, n_embd_altup = 256, laurel_rank = 64 (no keys for them)
    constexpr std::uint64_t g3n_altup = 4, g3n_embd_altup = 256, g3n_laurel = 64;
    if (s.gemma3n) {
        w.add_tensor("altup_proj.weight", wt, T{E, E, g3n_altup - 1});
        w.add_tensor("altup_unembd_proj.weight", wt, T{E, E, g3n_altup - 1});
        w.add_tensor("per_layer_token_embd.weight", s.embd_type, T{g3n_embd_altup * s.n_layer, s.n_vocab});
        w.add_tensor("per_layer_model_proj.weight", wt, T{E, g3n_embd_altup * s.n_layer});
        w.add_tensor("per_layer_proj_norm.weight", ggml_type::f32, T{g3n_embd_altup});
    }
    for (std::uint32_t il = 0; il < n_all; ++il) {
        const std::string b = "blk." + std::to_string(il) + ".";
        const std::uint32_t nh = il < s.head_per_layer.size() ? s.head_per_layer[il] : s.n_head;
        const std::uint32_t nkv = il < s.head_kv_per_layer.size() ? s.head_kv_per_layer[il] : s.n_head_kv;
        const std::uint32_t nff = il < s.ff_per_layer.size() ? s.ff_per_layer[il] : s.n_ff;
        if (s.wkv_head_size) {  // RWKV block: time mix + channel mix, LayerNorms with biases
            const std::uint64_t H = s.wkv_head_size, F = nff;
            if (rwkv_qwen2) {
                // RMS attn_norm without bias, the group norm's time_mix_ln only on arwkv7 (optional there; absent on
                // rwkv6qwen2, whose qrwkv time mix has no time_mix_first either), a SwiGLU FFN
                w.add_tensor(b + "attn_norm.weight", ggml_type::f32, T{E});
                if (rwkv7) {
                    w.add_tensor(b + "time_mix_ln.weight", ggml_type::f32, T{E});
                    w.add_tensor(b + "time_mix_ln.bias", ggml_type::f32, T{E});
                }
                w.add_tensor(b + "ffn_norm.weight", ggml_type::f32, T{E});
                w.add_tensor(b + "ffn_gate.weight", wt, T{E, F});
                w.add_tensor(b + "ffn_down.weight", wt, T{F, E});
                w.add_tensor(b + "ffn_up.weight", wt, T{E, F});
            } else {
                for (const char* n : {"attn_norm", "attn_norm_2", "time_mix_ln"}) {
                    w.add_tensor(b + n + ".weight", ggml_type::f32, T{E});
                    w.add_tensor(b + n + ".bias", ggml_type::f32, T{E});
                }
                w.add_tensor(b + "channel_mix_lerp_k.weight", ggml_type::f32, T{E, 1, 1});
                w.add_tensor(b + "channel_mix_key.weight", wt, T{E, F});
                w.add_tensor(b + "channel_mix_value.weight", wt, T{F, E});
            }
            // models/rwkv6qwen2.cpp: K and V of n_head_kv heads when head_count_kv is below n_embd / head size (GQA,
            // repeated in the graph); attn_bias gives the optional key / value / receptance biases
            // (head_count_kv is written only with n_head; without it llama.cpp's n_head_kv is 0: no GQA)
            const bool gqa = rwkv_qwen2 && !rwkv7 && s.n_head != 0 && nkv != 0 && nkv != E / H;
            const std::uint64_t kv = gqa ? std::uint64_t(nkv) * H : E;
            w.add_tensor(b + "time_mix_key.weight", wt, T{E, kv});
            w.add_tensor(b + "time_mix_value.weight", wt, T{E, kv});
            w.add_tensor(b + "time_mix_receptance.weight", wt, T{E, E});
            w.add_tensor(b + "time_mix_output.weight", wt, T{E, E});
            if (rwkv_qwen2 && !rwkv7 && s.attn_bias) {
                w.add_tensor(b + "time_mix_key.bias", ggml_type::f32, T{kv});
                w.add_tensor(b + "time_mix_value.bias", ggml_type::f32, T{kv});
                w.add_tensor(b + "time_mix_receptance.bias", ggml_type::f32, T{E});
            }
            if (rwkv7) {  // models/rwkv7.cpp load_arch_tensors
                const std::uint64_t vr = il == 0 ? s.lora_iclr : s.lora_value_res_mix;  // layer 0's v1/v2: iclr rank
                const std::pair<const char*, std::uint64_t> loras[] = {
                    {"w", s.lora_decay}, {"a", s.lora_iclr}, {"v", vr}, {"g", s.lora_gate}};
                for (const auto& [x, r] : loras) {
                    if (*x != 'g') w.add_tensor(b + "time_mix_" + x + "0.weight", ggml_type::f32, T{E});
                    w.add_tensor(b + "time_mix_" + x + "1.weight", wt, T{E, r});
                    w.add_tensor(b + "time_mix_" + x + "2.weight", wt, T{r, E});
                }
                w.add_tensor(b + "time_mix_lerp_fused.weight", ggml_type::f32, T{E, 1, 1, 6});
                for (const char* n : {"time_mix_k_k", "time_mix_k_a", "time_mix_r_k"})
                    w.add_tensor(b + n + ".weight", ggml_type::f32, T{E});
                continue;
            }
            // models/rwkv6.cpp load_arch_tensors, with the fused lerp convert_hf_to_gguf.py writes
            const std::uint64_t xd = s.time_mix_extra_dim, dd = s.time_decay_extra_dim;
            w.add_tensor(b + "time_mix_w1.weight", wt, T{E, xd * 5});
            w.add_tensor(b + "time_mix_w2.weight", wt, T{xd, E, 5});
            w.add_tensor(b + "time_mix_lerp_x.weight", ggml_type::f32, T{E, 1, 1});
            w.add_tensor(b + "time_mix_lerp_fused.weight", ggml_type::f32, T{E, 1, 1, 5});
            if (!rwkv_qwen2) w.add_tensor(b + "time_mix_first.weight", ggml_type::f32, T{H, E / H});
            w.add_tensor(b + "time_mix_decay.weight", ggml_type::f32, T{E});
            w.add_tensor(b + "time_mix_decay_w1.weight", wt, T{E, dd});
            w.add_tensor(b + "time_mix_decay_w2.weight", wt, T{dd, E});
            w.add_tensor(b + "time_mix_gate.weight", wt, T{E, E});
            if (!rwkv_qwen2) {
                w.add_tensor(b + "channel_mix_lerp_r.weight", ggml_type::f32, T{E, 1, 1});
                w.add_tensor(b + "channel_mix_receptance.weight", wt, T{E, E});
            }
            continue;
        }
        w.add_tensor(b + "attn_norm.weight", ggml_type::f32, T{E});
        // models/nemotron-h.cpp: recurrent IFF no KV heads and no FFN; an MLP block has neither mixer nor attention
        const bool nemotron_mlp = s.nemotron_h && nkv == 0 && nff != 0;
        // models/qwen3next.cpp load_arch_hparams: recurrent unless (il + 1) % full_attention_interval == 0
        const std::uint32_t q3n_interval = s.full_attention_interval ? s.full_attention_interval : 4;
        const bool recurrent = s.qwen3next    ? (il < s.n_layer && (il + 1) % q3n_interval != 0)
                               : s.nemotron_h ? (nkv == 0 && nff == 0)
                                              : ((nkv == 0 || nh == 0) && s.ssm_d_conv != 0) || s.parallel_ssm;
        if (s.qwen3next) w.add_tensor(b + "post_attention_norm.weight", ggml_type::f32, T{E});
        if (nemotron_mlp) {
            w.add_tensor(b + "ffn_down.weight", wt, T{nff, E});
            w.add_tensor(b + "ffn_up.weight", wt, T{E, nff});
            continue;
        }
        if (recurrent && s.qwen3next) {  // gated delta-net (models/qwen3next.cpp load_block_trunk)
            const std::uint64_t hk = s.ssm_d_state, ng = s.ssm_n_group, nv = s.ssm_dt_rank;
            const std::uint64_t key_dim = hk * ng, value_dim = hk * nv;
            if (s.qwen3next_ssm_in) {
                w.add_tensor(b + "ssm_in.weight", wt, T{E, 2 * key_dim + 2 * value_dim});
            } else {
                w.add_tensor(b + "attn_qkv.weight", wt, T{E, 2 * key_dim + value_dim});
                w.add_tensor(b + "attn_gate.weight", wt, T{E, value_dim});
            }
            w.add_tensor(b + "ssm_conv1d.weight", ggml_type::f32, T{s.ssm_d_conv, 2 * key_dim + value_dim});
            w.add_tensor(b + "ssm_dt.bias", ggml_type::f32, T{nv});
            w.add_tensor(b + "ssm_a", ggml_type::f32, T{nv});
            if (s.qwen35) {
                w.add_tensor(b + "ssm_beta.weight", wt, T{E, nv});
                w.add_tensor(b + "ssm_alpha.weight", wt, T{E, nv});
            } else {
                w.add_tensor(b + "ssm_ba.weight", wt, T{E, 2 * nv});
            }
            w.add_tensor(b + "ssm_norm.weight", ggml_type::f32, T{hk});
            w.add_tensor(b + "ssm_out.weight", wt, T{value_dim, E});
        } else if (recurrent && s.mamba1) {  // Mamba-1 block (models/mamba.cpp load_arch_tensors)
            const std::uint64_t di = s.ssm_d_inner, ds = s.ssm_d_state, dr = s.ssm_dt_rank;
            w.add_tensor(b + "ssm_in.weight", wt, T{E, 2 * di});
            w.add_tensor(b + "ssm_conv1d.weight", ggml_type::f32, T{s.ssm_d_conv, di});
            w.add_tensor(b + "ssm_conv1d.bias", ggml_type::f32, T{di});
            w.add_tensor(b + "ssm_x.weight", wt, T{di, dr + 2 * ds});
            w.add_tensor(b + "ssm_dt.weight", wt, T{dr, di});
            w.add_tensor(b + "ssm_dt.bias", ggml_type::f32, T{di});
            w.add_tensor(b + "ssm_a", ggml_type::f32, T{ds, di});
            w.add_tensor(b + "ssm_d", ggml_type::f32, T{di});
            w.add_tensor(b + "ssm_out.weight", wt, T{di, E});
        } else if (recurrent) {  // Mamba-2 style block
            const std::uint64_t ng = s.ssm_n_group ? s.ssm_n_group : 1;
            const std::uint64_t conv_dim = s.ssm_d_inner + 2 * ng * s.ssm_d_state;
            w.add_tensor(b + "ssm_in.weight", wt, T{E, s.ssm_d_inner + conv_dim + s.ssm_dt_rank});
            w.add_tensor(b + "ssm_conv1d.weight", ggml_type::f32, T{s.ssm_d_conv, conv_dim});
            w.add_tensor(b + "ssm_conv1d.bias", ggml_type::f32, T{conv_dim});
            w.add_tensor(b + "ssm_dt.bias", ggml_type::f32, T{s.ssm_dt_rank});
            w.add_tensor(b + "ssm_a", ggml_type::f32, T{1, s.ssm_dt_rank});
            w.add_tensor(b + "ssm_d", ggml_type::f32, T{1, s.ssm_dt_rank});
            w.add_tensor(b + "ssm_norm.weight", ggml_type::f32, T{s.ssm_d_inner / ng, ng});
            w.add_tensor(b + "ssm_out.weight", wt, T{s.ssm_d_inner, E});
        }
        if (recurrent && !s.parallel_ssm) {
            // the mixer is the whole token-mixing part of the block
        } else if (mla) {
            const std::uint64_t k_mla = s.key_length_mla ? s.key_length_mla : 192;
            const std::uint64_t v_mla = s.value_length_mla ? s.value_length_mla : 128;
            if (s.q_lora_rank) {
                w.add_tensor(b + "attn_q_a.weight", wt, T{E, s.q_lora_rank});
                w.add_tensor(b + "attn_q_a_norm.weight", ggml_type::f32, T{s.q_lora_rank});
                w.add_tensor(b + "attn_q_b.weight", wt, T{s.q_lora_rank, nh * k_mla});
            } else {
                w.add_tensor(b + "attn_q.weight", wt, T{E, nh * k_mla});
            }
            w.add_tensor(b + "attn_kv_a_mqa.weight", wt, T{E, std::uint64_t(s.kv_lora_rank) + s.rope_dim});
            w.add_tensor(b + "attn_kv_a_norm.weight", ggml_type::f32, T{s.kv_lora_rank});
            w.add_tensor(b + "attn_k_b.weight", wt, T{k_mla - s.rope_dim, s.kv_lora_rank, nh});
            w.add_tensor(b + "attn_v_b.weight", wt, T{s.kv_lora_rank, v_mla, nh});
            w.add_tensor(b + "attn_output.weight", wt, T{nh * v_mla, E});
        } else if (nh != 0) {
            if (s.fused_qkv) {  // llama-model.cpp create_tensor_qkv: {n_embd, n_embd_q + 2 n_embd_kv}
                w.add_tensor(b + "attn_qkv.weight", wt, T{E, (std::uint64_t(nh) + 2ull * nkv) * hd});
            } else {
                // qwen3next: Q and its output gate in one attn_q of 2 x n_head x head rows (create_tensor_qkv)
                w.add_tensor(b + "attn_q.weight", wt, T{E, std::uint64_t(nh) * hd * (s.qwen3next ? 2 : 1)});
                w.add_tensor(b + "attn_k.weight", wt, T{E, std::uint64_t(nkv) * hd});
                w.add_tensor(b + "attn_v.weight", wt, T{E, std::uint64_t(nkv) * hd});
            }
            w.add_tensor(b + "attn_output.weight", wt, T{std::uint64_t(nh) * hd, E});
            if (s.attn_bias) {
                w.add_tensor(b + "attn_q.bias", ggml_type::f32, T{std::uint64_t(nh) * hd});
                w.add_tensor(b + "attn_k.bias", ggml_type::f32, T{std::uint64_t(nkv) * hd});
                w.add_tensor(b + "attn_v.bias", ggml_type::f32, T{std::uint64_t(nkv) * hd});
            }
            if (s.post_norms) w.add_tensor(b + "post_attention_norm.weight", ggml_type::f32, T{E});
            if (s.gpt_oss) {
                w.add_tensor(b + "attn_output.bias", ggml_type::f32, T{E});
                w.add_tensor(b + "attn_sinks.weight", ggml_type::f32, T{nh});
            }
            if (s.qk_norm) {
                w.add_tensor(b + "attn_q_norm.weight", ggml_type::f32, T{hd});
                w.add_tensor(b + "attn_k_norm.weight", ggml_type::f32, T{hd});
            }
        }
        if (s.nemotron_h) continue;  // its attention and Mamba blocks have no FFN
        const bool moe = s.n_expert != 0 && il >= s.n_layer_dense_lead;
        if (moe) {
            const std::uint64_t fe = s.n_ff_exp ? s.n_ff_exp : nff;
            // gpt-oss normalises the FFN input with its post_attention_norm (attn_post_norm) and has no ffn_norm
            // qwen3next's post_attention_norm (written above) is its FFN norm too
            if (!s.qwen3next)
                w.add_tensor(b + (s.gpt_oss ? "post_attention_norm.weight" : "ffn_norm.weight"), ggml_type::f32, T{E});
            w.add_tensor(b + "ffn_gate_inp.weight", ggml_type::f32, T{E, s.n_expert});
            w.add_tensor(b + "ffn_gate_exps.weight", wt, T{E, fe, s.n_expert});
            w.add_tensor(b + "ffn_up_exps.weight", wt, T{E, fe, s.n_expert});
            w.add_tensor(b + "ffn_down_exps.weight", wt, T{fe, E, s.n_expert});
            if (s.gpt_oss) {
                w.add_tensor(b + "ffn_gate_inp.bias", ggml_type::f32, T{s.n_expert});
                w.add_tensor(b + "ffn_gate_exps.bias", ggml_type::f32, T{fe, s.n_expert});
                w.add_tensor(b + "ffn_up_exps.bias", ggml_type::f32, T{fe, s.n_expert});
                w.add_tensor(b + "ffn_down_exps.bias", ggml_type::f32, T{E, s.n_expert});
            }
            if (s.n_expert_shared) {
                const std::uint64_t fs = s.n_ff_shexp ? s.n_ff_shexp : fe * s.n_expert_shared;
                if (s.qwen3next) w.add_tensor(b + "ffn_gate_inp_shexp.weight", ggml_type::f32, T{E});
                w.add_tensor(b + "ffn_gate_shexp.weight", wt, T{E, fs});
                w.add_tensor(b + "ffn_up_shexp.weight", wt, T{E, fs});
                w.add_tensor(b + "ffn_down_shexp.weight", wt, T{fs, E});
            }
        } else if (nff != 0) {
            // models/falcon-h1.cpp load_arch_tensors asks for tn(LLM_TENSOR_FFN_NORM, i): "blk.N.ffn_norm", no suffix
            // qwen35's post_attention_norm (written above) is its FFN norm
            if (!s.qwen3next) w.add_tensor(b + (s.parallel_ssm ? "ffn_norm" : "ffn_norm.weight"), ggml_type::f32, T{E});
            if (s.fused_gate_up) {  // models/phi3.cpp: ffn_up {n_embd, 2 n_ff}, LLM_FFN_SEQ + swiglu
                w.add_tensor(b + "ffn_up.weight", wt, T{E, 2ull * nff});
            } else {
                w.add_tensor(b + "ffn_gate.weight", wt, T{E, nff});
                w.add_tensor(b + "ffn_up.weight", wt, T{E, nff});
            }
            w.add_tensor(b + "ffn_down.weight", wt, T{nff, E});
        }
        if (s.post_norms && !s.wkv_head_size) w.add_tensor(b + "post_ffw_norm.weight", ggml_type::f32, T{E});
        if (s.gemma3n) {  // models/gemma3n.cpp load_arch_tensors: altup & laurel
            w.add_tensor(b + "inp_gate.weight", wt, T{E, g3n_embd_altup});
            w.add_tensor(b + "proj.weight", wt, T{g3n_embd_altup, E});
            w.add_tensor(b + "post_norm.weight", ggml_type::f32, T{E});
            w.add_tensor(b + "altup_correct_coef.weight", ggml_type::f32, T{g3n_altup, g3n_altup});
            w.add_tensor(b + "altup_correct_scale.weight", ggml_type::f32, T{E});
            w.add_tensor(b + "altup_predict_coef.weight", ggml_type::f32, T{g3n_altup, g3n_altup * g3n_altup});
            w.add_tensor(b + "altup_router.weight", wt, T{E, g3n_altup});
            w.add_tensor(b + "altup_router_norm.weight", ggml_type::f32, T{E});
            w.add_tensor(b + "laurel_l.weight", wt, T{E, g3n_laurel});
            w.add_tensor(b + "laurel_r.weight", wt, T{g3n_laurel, E});
            w.add_tensor(b + "laurel_post_norm.weight", ggml_type::f32, T{E});
        }
        if (il >= s.n_layer) w.add_tensor(b + "nextn.eh_proj.weight", wt, T{2 * E, E});
    }
    return w;
}

/// What `synthesize_mmproj` builds: a vision projector file (`--mmproj`) as llama.cpp's tools/mtmd/clip.cpp loads it
/// (clip_model_loader: `clip.*` keys, a ViT `v.*` and the projector `mm.*`). Sizes in elements / pixels.
struct mmproj_spec {
    std::string projector = "mlp";   ///< clip.projector_type: "mlp" (LLaVA, models/llava.cpp) or "gemma3" (models/siglip.cpp)
    std::uint32_t n_layer = 2;       ///< clip.vision.block_count
    std::uint32_t n_embd = 128;      ///< clip.vision.embedding_length
    std::uint32_t n_head = 4;        ///< clip.vision.attention.head_count
    std::uint32_t n_ff = 512;        ///< clip.vision.feed_forward_length
    std::uint32_t image_size = 224;  ///< clip.vision.image_size (pixels; also the warmup image's side)
    std::uint32_t patch_size = 14;   ///< clip.vision.patch_size (pixels)
    std::uint32_t n_embd_text = 512; ///< the projector's output width: the text model's n_embd (projection_dim)
    std::uint32_t mlp_hidden = 0;    ///< "mlp": rows of mm.0 (0 = n_embd_text)
    std::uint32_t scale_factor = 0;  ///< "gemma3": clip.vision.projector.scale_factor (0 = not written, llama.cpp uses 4)
    ggml_type wtype = ggml_type::f16;///< type of the matrices and the patch / position embeddings (norms and biases F32)
};

/// Builds a writer holding a vision projector (see mmproj_spec): the tensors clip.cpp load_tensors asks for. "mlp" is
/// a CLIP ViT with a class token and pre-layernorm, quick-GELU FFN and a two-layer GELU MLP (mm.0, mm.2), as LLaVA 1.5
/// / 1.6 files are; "gemma3" is a SigLIP ViT with patch bias, GELU FFN and post-layernorm, then mm.soft_emb_norm and
/// mm.input_projection.
[[nodiscard]] inline writer synthesize_mmproj(const mmproj_spec& s) {
    using T = std::vector<std::uint64_t>;
    writer w;
    const bool g3 = s.projector == "gemma3";
    const std::uint64_t E = s.n_embd, F = s.n_ff, P = s.patch_size;
    const std::uint64_t side = s.patch_size ? s.image_size / s.patch_size : 0;
    const std::uint64_t n_pos = side * side + (g3 ? 0 : 1);
    w.set_string("general.architecture", "clip");
    w.set_string("general.name", "llamaplan synthetic mmproj " + s.projector);
    w.set_u32("general.file_type", 1);
    w.set_bool("clip.has_vision_encoder", true);
    w.set_string("clip.projector_type", s.projector);
    w.set_u32("clip.vision.embedding_length", s.n_embd);
    w.set_u32("clip.vision.feed_forward_length", s.n_ff);
    w.set_u32("clip.vision.block_count", s.n_layer);
    w.set_u32("clip.vision.projection_dim", s.n_embd_text);
    w.set_u32("clip.vision.attention.head_count", s.n_head);
    w.set_f32("clip.vision.attention.layer_norm_epsilon", 1e-6f);
    w.set_u32("clip.vision.image_size", s.image_size);
    w.set_u32("clip.vision.patch_size", s.patch_size);
    const std::array<float, 3> mean{0.5f, 0.5f, 0.5f};
    w.set_array_f32("clip.vision.image_mean", mean);
    w.set_array_f32("clip.vision.image_std", mean);
    if (g3) w.set_bool("clip.use_gelu", true);
    if (g3 && s.scale_factor) w.set_u32("clip.vision.projector.scale_factor", s.scale_factor);
    const ggml_type wt = s.wtype;
    w.add_tensor("v.patch_embd.weight", wt, T{P, P, 3, E});
    if (g3) w.add_tensor("v.patch_embd.bias", ggml_type::f32, T{E});
    else w.add_tensor("v.class_embd", ggml_type::f32, T{E});
    w.add_tensor("v.position_embd.weight", wt, T{E, n_pos});
    if (!g3) {
        w.add_tensor("v.pre_ln.weight", ggml_type::f32, T{E});
        w.add_tensor("v.pre_ln.bias", ggml_type::f32, T{E});
    }
    for (std::uint32_t il = 0; il < s.n_layer; ++il) {
        const std::string b = "v.blk." + std::to_string(il) + ".";
        for (const char* n : {"attn_q", "attn_k", "attn_v", "attn_out"}) {
            w.add_tensor(b + n + ".weight", wt, T{E, E});
            w.add_tensor(b + n + ".bias", ggml_type::f32, T{E});
        }
        for (const char* n : {"ln1", "ln2"}) {
            w.add_tensor(b + n + ".weight", ggml_type::f32, T{E});
            w.add_tensor(b + n + ".bias", ggml_type::f32, T{E});
        }
        w.add_tensor(b + "ffn_up.weight", wt, T{E, F});
        w.add_tensor(b + "ffn_up.bias", ggml_type::f32, T{F});
        w.add_tensor(b + "ffn_down.weight", wt, T{F, E});
        w.add_tensor(b + "ffn_down.bias", ggml_type::f32, T{E});
    }
    if (g3) {
        w.add_tensor("v.post_ln.weight", ggml_type::f32, T{E});
        w.add_tensor("v.post_ln.bias", ggml_type::f32, T{E});
        w.add_tensor("mm.soft_emb_norm.weight", ggml_type::f32, T{E});
        w.add_tensor("mm.input_projection.weight", wt, T{s.n_embd_text, E});
    } else {
        const std::uint64_t H = s.mlp_hidden ? s.mlp_hidden : s.n_embd_text;
        w.add_tensor("mm.0.weight", wt, T{E, H});
        w.add_tensor("mm.0.bias", ggml_type::f32, T{H});
        w.add_tensor("mm.2.weight", wt, T{H, s.n_embd_text});
        w.add_tensor("mm.2.bias", ggml_type::f32, T{s.n_embd_text});
    }
    return w;
}

}  // namespace llamaplan::gguf

#endif  // LLAMAPLAN_GGUF_WRITER_HPP
