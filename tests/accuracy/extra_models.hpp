// The models behind tests/data/extra/measured.csv: every one is re-synthesized here from its synth_spec (the GGUF
// writer is deterministic), so the test sees exactly the header llama.cpp loaded. Quantized models are the F16
// model of `base` run through llama-quantize; their tensor lists are in tests/data/extra/tensors/<id>.tsv.
#ifndef LLAMAPLAN_TESTS_EXTRA_MODELS_HPP
#define LLAMAPLAN_TESTS_EXTRA_MODELS_HPP

#include <llamaplan/gguf/writer.hpp>

#include <string>
#include <vector>

namespace extra {

struct model_def {
    std::string id;                   ///< file name without ".gguf", as in measured.csv's model column
    llamaplan::gguf::synth_spec spec; ///< what synthesize() builds (for quantized models: the F16 original)
    std::string quantized_from;       ///< empty for synthesized files, else the id of the F16 model quantized
};

inline std::vector<model_def> models() {
    using llamaplan::gguf::synth_spec;
    std::vector<model_def> out;
    auto add = [&](std::string id, synth_spec s, std::string from = {}) { out.push_back({std::move(id), std::move(s), std::move(from)}); };

    synth_spec llama;
    llama.arch = "llama";
    llama.n_layer = 4;
    llama.n_embd = 512;
    llama.n_head = 8;
    llama.n_head_kv = 4;
    llama.n_ff = 1408;
    llama.n_vocab = 8000;
    llama.n_ctx = 8192;
    llama.merges = true;
    add("llama-4L-512", llama);

    synth_spec tied = llama;
    tied.n_layer = 3;
    tied.n_embd = 384;
    tied.n_head = 6;
    tied.n_head_kv = 2;
    tied.n_ff = 1024;
    tied.tied_output = true;
    tied.n_vocab = 12000;
    add("llama-tied-3L-384", tied);

    synth_spec qwen2 = llama;  // attention biases
    qwen2.arch = "qwen2";
    qwen2.n_layer = 3;
    qwen2.n_embd = 448;
    qwen2.n_head = 7;
    qwen2.n_head_kv = 1;
    qwen2.n_ff = 1216;
    qwen2.attn_bias = true;
    qwen2.n_vocab = 10000;
    qwen2.n_ctx = 32768;
    add("qwen2-3L-448", qwen2);

    synth_spec moe = llama;  // qwen3moe: Q/K norms, no dense FFN
    moe.arch = "qwen3moe";
    moe.n_layer = 3;
    moe.n_embd = 384;
    moe.n_head = 6;
    moe.n_head_kv = 2;
    moe.head_dim = 64;
    moe.qk_norm = true;
    moe.n_ff = 0;
    moe.n_expert = 8;
    moe.n_expert_used = 2;
    moe.n_ff_exp = 192;
    moe.n_vocab = 6000;
    moe.n_ctx = 32768;
    add("qwen3moe-e8u2", moe);
    moe.n_expert = 32;
    moe.n_expert_used = 6;
    moe.n_ff_exp = 128;
    add("qwen3moe-e32u6", moe);

    synth_spec g3 = llama;  // gemma3: SWA every layer but each 3rd, window 160
    g3.arch = "gemma3";
    g3.n_layer = 6;
    g3.n_embd = 320;
    g3.n_head = 4;
    g3.n_head_kv = 1;
    g3.head_dim = 128;
    g3.qk_norm = true;
    g3.post_norms = true;
    g3.tied_output = true;
    g3.n_ff = 960;
    g3.n_swa = 160;
    g3.swa_period = 3;
    g3.n_vocab = 16000;
    g3.n_ctx = 32768;
    add("gemma3-6L-swa160", g3);

    synth_spec g2 = g3;  // gemma2: no Q/K norms, SWA on even layers, window 512
    g2.arch = "gemma2";
    g2.n_layer = 4;
    g2.qk_norm = false;
    g2.n_swa = 512;
    g2.swa_period = 0;
    add("gemma2-4L-swa512", g2);

    synth_spec ds = llama;  // deepseek2 with MLA, one dense lead block, shared expert
    ds.arch = "deepseek2";
    ds.n_layer = 3;
    ds.n_embd = 384;
    ds.n_head = 4;
    ds.n_head_kv = 1;
    ds.n_ff = 768;
    ds.q_lora_rank = 192;
    ds.kv_lora_rank = 128;
    ds.rope_dim = 32;
    ds.key_length_mla = 96;
    ds.value_length_mla = 64;
    ds.head_dim = 160;  // key_length = kv_lora_rank + rope_dim, value_length = kv_lora_rank (as converted MLA files)
    ds.n_expert = 8;
    ds.n_expert_used = 2;
    ds.n_ff_exp = 128;
    ds.n_expert_shared = 1;
    ds.n_layer_dense_lead = 1;
    ds.n_vocab = 6000;
    ds.n_ctx = 16384;
    add("deepseek2-mla-3L", ds);

    synth_spec m2 = llama;  // mamba2: every layer recurrent
    m2.arch = "mamba2";
    m2.n_layer = 3;
    m2.n_embd = 256;
    m2.n_head = 0;
    m2.n_head_kv = 0;
    m2.n_ff = 0;
    m2.ssm_d_conv = 4;
    m2.ssm_d_inner = 512;
    m2.ssm_d_state = 64;
    m2.ssm_dt_rank = 8;
    m2.ssm_n_group = 1;
    m2.n_vocab = 6000;
    add("mamba2-3L-256", m2);

    synth_spec gh = llama;  // granitehybrid: Mamba-2 layers with attention on layer 1 and 3
    gh.arch = "granitehybrid";
    gh.n_layer = 4;
    gh.n_embd = 256;
    gh.n_head = 4;
    gh.n_head_kv = 2;
    gh.head_kv_per_layer = {0, 2, 0, 2};
    gh.n_ff = 512;
    gh.ssm_d_conv = 4;
    gh.ssm_d_inner = 512;
    gh.ssm_d_state = 64;
    gh.ssm_dt_rank = 8;
    gh.ssm_n_group = 1;
    gh.n_vocab = 6000;
    add("granitehybrid-4L-256", gh);

    // --- added for issue 11 (measured on a CPU without AMX; rows with cpu_amx = 0) ---
    synth_spec phi3 = llama;  // phi3: fused attn_qkv, fused gate/up FFN (ffn_up of 2 x n_ff), GQA
    phi3.arch = "phi3";
    phi3.name = "llamaplan synthetic model";  // a name with "phi3" in it makes llama-vocab.cpp look up "</s>"
    phi3.n_layer = 4;
    phi3.n_embd = 384;
    phi3.n_head = 6;
    phi3.n_head_kv = 2;
    phi3.n_ff = 1024;
    phi3.fused_qkv = true;
    phi3.fused_gate_up = true;
    phi3.n_vocab = 8000;
    phi3.n_ctx = 4096;
    add("phi3-4L-384", phi3);

    // deepseek2 MLA with widths that take K-quants (multiples of 256), quantized to Q4_K_M below: attn_v_b
    // {kv_lora 256, v 128, heads} becomes Q4_K but is a batched 3-D MUL_MAT weight, which CPU_REPACK refuses
    synth_spec ds4 = ds;
    ds4.n_layer = 4;
    ds4.n_embd = 512;
    ds4.n_head = 4;
    ds4.n_ff = 1024;
    ds4.q_lora_rank = 256;
    ds4.kv_lora_rank = 256;
    ds4.rope_dim = 64;
    ds4.key_length_mla = 192;
    ds4.value_length_mla = 128;
    ds4.head_dim = 320;  // key_length = kv_lora_rank + rope_dim
    ds4.n_ff_exp = 256;
    ds4.n_vocab = 6000;
    add("deepseek2-mla-4L-512", ds4);

    synth_spec m1 = m2;  // Mamba-1: d_inner 2 x n_embd, dt_rank n_embd / 16, no groups
    m1.arch = "mamba";
    m1.mamba1 = true;
    m1.ssm_d_state = 16;
    m1.ssm_dt_rank = 16;
    m1.ssm_n_group = 0;
    add("mamba-3L-256", m1);

    synth_spec fh = llama;  // falcon-h1: a Mamba-2 mixer beside the attention in every block (KV + RS per layer)
    fh.arch = "falcon-h1";
    fh.n_layer = 3;
    fh.n_embd = 256;
    fh.n_head = 4;
    fh.n_head_kv = 2;
    fh.n_ff = 512;
    fh.parallel_ssm = true;
    fh.ssm_d_conv = 4;
    fh.ssm_d_inner = 512;
    fh.ssm_d_state = 64;
    fh.ssm_dt_rank = 8;
    fh.ssm_n_group = 1;
    fh.n_vocab = 6000;
    add("falcon-h1-3L-256", fh);

    synth_spec nh = llama;  // nemotron-h: Mamba-2, attention-only and MLP-only blocks
    nh.arch = "nemotron_h";
    nh.n_layer = 6;
    nh.n_embd = 256;
    nh.n_head = 4;
    nh.n_head_kv = 2;
    nh.head_kv_per_layer = {0, 0, 2, 0, 0, 0};
    nh.ff_per_layer = {0, 768, 0, 0, 768, 0};
    nh.nemotron_h = true;
    nh.ssm_d_conv = 4;
    nh.ssm_d_inner = 512;
    nh.ssm_d_state = 64;
    nh.ssm_dt_rank = 8;
    nh.ssm_n_group = 2;
    nh.n_vocab = 6000;
    add("nemotron-h-6L-256", nh);

    // gpt-oss (models/openai-moe.cpp): SWA on even layers (default period 2) with the file's window, Q/K/V/O biases,
    // attention sinks, post_attention_norm before a biased router and biased experts, SwiGLU-OAI, softmax over the
    // chosen experts' logits (LLAMA_EXPERT_GATING_FUNC_TYPE_SOFTMAX_WEIGHT); quantized to MXFP4_MOE below
    synth_spec oss = llama;
    oss.arch = "gpt-oss";
    oss.n_layer = 4;
    oss.n_embd = 512;
    oss.n_head = 8;
    oss.n_head_kv = 2;
    oss.head_dim = 64;
    oss.attn_bias = true;
    oss.gpt_oss = true;
    oss.n_ff = 256;
    oss.n_expert = 16;
    oss.n_expert_used = 4;
    oss.n_ff_exp = 256;
    oss.n_swa = 128;
    oss.n_vocab = 8000;
    oss.n_ctx = 8192;
    add("gpt-oss-4L-512", oss);
    // as gpt-oss itself: Q width (heads x 64) wider than n_embd, 32 experts of which 4 are used
    synth_spec oss32 = oss;
    oss32.n_embd = 768;
    oss32.n_head = 16;
    oss32.n_head_kv = 2;
    oss32.n_expert = 32;
    oss32.n_ff = 192;
    oss32.n_ff_exp = 192;
    oss32.n_vocab = 6000;
    add("gpt-oss-e32-4L-768", oss32);

    // qwen3next (models/qwen3next.cpp): gated delta-net layers, full attention on every 3rd layer (full_attention_interval
    // 3: layers 2 and 5) with a gated Q wider than n_embd (4 heads x 128) and Q/K norms, MoE with a gated shared expert
    synth_spec q3n = llama;
    q3n.arch = "qwen3next";
    q3n.qwen3next = true;
    q3n.n_layer = 6;
    q3n.full_attention_interval = 3;
    q3n.n_embd = 256;
    q3n.n_head = 4;
    q3n.n_head_kv = 2;
    q3n.head_dim = 128;
    q3n.qk_norm = true;
    q3n.n_ff = 512;
    q3n.n_expert = 8;
    q3n.n_expert_used = 2;
    q3n.n_ff_exp = 128;
    q3n.n_expert_shared = 1;
    q3n.n_ff_shexp = 256;
    q3n.ssm_d_conv = 4;
    q3n.ssm_d_state = 64;  // head_k_dim = head_v_dim
    q3n.ssm_n_group = 2;   // K heads
    q3n.ssm_dt_rank = 4;   // V heads
    q3n.ssm_d_inner = 256; // V heads x head_v_dim
    q3n.n_vocab = 6000;
    add("qwen3next-6L-256", q3n);
    // a second shape: full_attention_interval not written (default 4: layers 3 and 7 attend), as many K as V heads (no
    // repeat before the delta net), 8 heads x 64, 16 experts of which 4 are used; every matrix row a multiple of 32
    // so llama-quantize can make it Q4_0
    synth_spec q3n8 = q3n;
    q3n8.n_layer = 8;
    q3n8.full_attention_interval = 0;
    q3n8.n_embd = 384;
    q3n8.n_head = 8;
    q3n8.n_head_kv = 2;
    q3n8.head_dim = 64;
    q3n8.n_expert = 16;
    q3n8.n_expert_used = 4;
    q3n8.n_ff_exp = 96;
    q3n8.n_ff_shexp = 192;
    q3n8.ssm_d_state = 64;
    q3n8.ssm_n_group = 4;
    q3n8.ssm_dt_rank = 4;
    q3n8.ssm_d_inner = 256;
    q3n8.n_vocab = 5000;
    add("qwen3next-8L-384", q3n8);
    // qwen3next-6L-256 in the legacy layout (one ssm_in per delta-net layer instead of attn_qkv and attn_gate)
    synth_spec q3n_in = q3n;
    q3n_in.qwen3next_ssm_in = true;
    add("qwen3next-ssm_in-6L-256", q3n_in);
    // Qwen3.5 (models/qwen35moe.cpp, qwen35.cpp): qwen3next's blocks with ssm_beta / ssm_alpha and IMRoPE sections;
    // 2 K and 4 V heads (the fused delta net takes them unrepeated); the MoE model as qwen3next-6L-256, the dense one
    // with an FFN of 512
    synth_spec q35m = q3n;
    q35m.arch = "qwen35moe";
    q35m.qwen35 = true;
    q35m.n_head = 8;
    q35m.head_dim = 64;
    add("qwen35moe-6L-256", q35m);
    synth_spec q35 = q35m;
    q35.arch = "qwen35";
    q35.n_layer = 8;
    q35.full_attention_interval = 0;
    q35.n_expert = 0;
    q35.n_expert_used = 0;
    q35.n_ff_exp = 0;
    q35.n_expert_shared = 0;
    q35.n_ff_shexp = 0;
    q35.n_ff = 512;
    add("qwen35-8L-256", q35);

    // gemma3n (models/gemma3n.cpp): altup (4 streams), laurel, per-layer token embeddings, activation sparsity on the
    // first 10 layers; load_arch_hparams fixes n_layer_kv_from_start at 20, so layers 20+ reuse the KV of layer 18
    // (SWA) or 19 (full); SWA on 4 of every 5 layers by default (window 256), tied output, Q/K/V norms
    synth_spec g3n = llama;
    g3n.arch = "gemma3n";
    g3n.gemma3n = true;
    g3n.n_layer = 25;
    g3n.n_embd = 256;
    g3n.n_head = 4;
    g3n.n_head_kv = 2;
    g3n.head_dim = 128;
    g3n.qk_norm = true;
    g3n.post_norms = true;
    g3n.tied_output = true;
    g3n.n_ff = 512;
    g3n.n_swa = 256;
    g3n.n_vocab = 2048;
    g3n.n_ctx = 32768;
    add("gemma3n-25L-256", g3n);

    // a second shape: Q narrower than n_embd (6 x 64 = 384 = n_embd here), period 4 written (layers 3, 7, ... full),
    // window 128, 24 layers (20-22 reuse layer 18's SWA cache, 23 reuses layer 19's full cache)
    synth_spec g3n2 = g3n;
    g3n2.n_layer = 24;
    g3n2.n_embd = 384;
    g3n2.n_head = 6;
    g3n2.n_head_kv = 2;
    g3n2.head_dim = 64;
    g3n2.n_ff = 768;
    g3n2.n_swa = 128;
    g3n2.swa_period = 4;
    g3n2.n_vocab = 3000;
    add("gemma3n-24L-384", g3n2);

    // RWKV-6 (models/rwkv6.cpp): every block a time mix (token-shift LoRA of rank time_mix_extra_dim, decay LoRA,
    // wkv6 over heads of wkv_head_size) and a channel mix; no attention, no KV cache
    synth_spec rwkv6 = llama;
    rwkv6.arch = "rwkv6";
    rwkv6.n_head = 0;
    rwkv6.wkv_head_size = 64;
    rwkv6.n_ff = 1792;
    rwkv6.time_mix_extra_dim = 32;
    rwkv6.time_decay_extra_dim = 64;
    add("rwkv6-4L-512", rwkv6);
    synth_spec rwkv6b = rwkv6;  // a second shape: 3 layers, 6 heads, another vocabulary
    rwkv6b.n_layer = 3;
    rwkv6b.n_embd = 384;
    rwkv6b.n_ff = 1344;
    rwkv6b.n_vocab = 6000;
    add("rwkv6-3L-384", rwkv6b);

    // RWKV-7 (models/rwkv7.cpp): LoRAs for decay, in-context learning rate, value residual and gate; wkv7
    synth_spec rwkv7 = llama;
    rwkv7.arch = "rwkv7";
    rwkv7.n_head = 0;
    rwkv7.wkv_head_size = 64;
    rwkv7.n_ff = 2048;
    rwkv7.lora_decay = 64;
    rwkv7.lora_iclr = 64;
    rwkv7.lora_value_res_mix = 32;
    rwkv7.lora_gate = 128;
    add("rwkv7-4L-512", rwkv7);
    synth_spec rwkv7b = rwkv7;  // a second shape: 3 layers, 6 heads, smaller LoRAs
    rwkv7b.n_layer = 3;
    rwkv7b.n_embd = 384;
    rwkv7b.n_ff = 1536;
    rwkv7b.lora_decay = 32;
    rwkv7b.lora_iclr = 32;
    rwkv7b.lora_value_res_mix = 16;
    rwkv7b.lora_gate = 64;
    rwkv7b.n_vocab = 6000;
    add("rwkv7-3L-384", rwkv7b);

    // rwkv6qwen2 / arwkv7 (models/rwkv6qwen2.cpp, arwkv7.cpp): the RWKV-6 time mix without time_mix_first (gated
    // linear attention) / the RWKV-7 time mix, in a block with RMS norms, one token shift and a SwiGLU FFN
    synth_spec rwkv6q = rwkv6;
    rwkv6q.arch = "rwkv6qwen2";
    rwkv6q.n_ff = 1408;
    add("rwkv6qwen2-4L-512", rwkv6q);
    synth_spec rwkv6qg = rwkv6q;  // as QRWKV6: K and V of 2 of the 8 heads (repeated), key / value / receptance biases
    rwkv6qg.n_layer = 3;
    rwkv6qg.n_head = 8;
    rwkv6qg.n_head_kv = 2;
    rwkv6qg.attn_bias = true;
    rwkv6qg.n_vocab = 6000;
    add("rwkv6qwen2-gqa-3L-512", rwkv6qg);
    synth_spec arwkv7 = rwkv7;
    arwkv7.arch = "arwkv7";
    arwkv7.n_ff = 1408;
    add("arwkv7-4L-512", arwkv7);

    // llama-quantize <F16 file> <out> <type> 2 (tensor lists in tests/data/extra/tensors)
    add("llama-4L-512-Q4_0", {}, "llama-4L-512");
    add("llama-4L-512-Q4_K_M", {}, "llama-4L-512");
    add("qwen3moe-e8u2-Q4_0", {}, "qwen3moe-e8u2");
    add("deepseek2-mla-4L-512-Q4_K_M", {}, "deepseek2-mla-4L-512");
    add("gpt-oss-4L-512-MXFP4_MOE", {}, "gpt-oss-4L-512");
    add("qwen3next-8L-384-Q4_0", {}, "qwen3next-8L-384");
    add("rwkv6-4L-512-Q4_0", {}, "rwkv6-4L-512");
    add("rwkv7-4L-512-Q4_0", {}, "rwkv7-4L-512");
    return out;
}

}  // namespace extra

#endif  // LLAMAPLAN_TESTS_EXTRA_MODELS_HPP
