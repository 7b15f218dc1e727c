// llama-server command lines (common/arg.cpp spellings) into launch parameters.
#include <llamaplan/planner.hpp>
#include <llamaplan/server_args.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {
llamaplan::result<llamaplan::server_args> parse(std::vector<std::string_view> v) { return llamaplan::parse_server_args(v); }
}  // namespace

TEST_CASE("llama-server defaults: 4 unified slots, training context, flash attention auto") {
    auto a = parse({"llama-server", "-m", "model.gguf"});
    REQUIRE(a);
    CHECK(a->model == "model.gguf");
    CHECK(a->params.n_seq_max == 4);
    CHECK(a->params.kv_unified);
    CHECK(a->n_parallel_auto);
    CHECK(a->params.n_ctx == 0);
    CHECK(a->params.flash_attn == llamaplan::flash_attn_mode::automatic);
    CHECK(a->n_gpu_layers_auto);
    CHECK(a->cache_ram == 8192ull << 20);
}

TEST_CASE("an explicit -np turns the unified cache off unless -kvu is given") {
    auto a = parse({"-m", "m.gguf", "-np", "2"});
    REQUIRE(a);
    CHECK(a->params.n_seq_max == 2);
    CHECK_FALSE(a->params.kv_unified);
    auto b = parse({"-kvu", "-m", "m.gguf", "-np", "2"});
    REQUIRE(b);
    CHECK(b->params.kv_unified);
}

TEST_CASE("every memory flag is read") {
    auto a = parse({"/usr/bin/llama-server", "--model", "m.gguf", "-c", "8192", "-b", "1024", "-ub", "256", "-ctk", "q8_0",
                    "-ctv", "q4_0", "-fa", "on", "-ngl", "20", "-ot", "blk\\.1[0-9]\\.ffn_.*_exps=CPU,attn=CUDA1", "-ts", "3,1",
                    "-sm", "row", "-mg", "1", "-nkvo", "--swa-full", "--n-cpu-moe", "5", "--cpu-moe", "--embeddings",
                    "--no-repack", "--load-mode", "none", "-cram", "0", "--port", "8080", "--no-warmup", "-t", "8"});
    REQUIRE(a);
    const auto& p = a->params;
    CHECK(p.n_ctx == 8192);
    CHECK(p.n_batch == 1024);
    CHECK(p.n_ubatch == 256);
    CHECK(p.type_k == llamaplan::ggml_type::q8_0);
    CHECK(p.type_v == llamaplan::ggml_type::q4_0);
    CHECK(p.flash_attn == llamaplan::flash_attn_mode::on);
    CHECK(p.n_gpu_layers == 20);
    CHECK_FALSE(a->n_gpu_layers_auto);
    REQUIRE(p.overrides.size() == 2);
    CHECK(p.overrides[0].pattern == "blk\\.1[0-9]\\.ffn_.*_exps");
    CHECK(p.overrides[0].device == llamaplan::host_device);
    CHECK(p.overrides[0].named_backend == llamaplan::backend::cpu);
    CHECK(p.overrides[1].named_backend == llamaplan::backend::cuda);  // CUDA1: the second CUDA device
    CHECK(p.overrides[1].named_ordinal == 1);
    CHECK(p.tensor_split[0] == doctest::Approx(3.0));
    CHECK(p.tensor_split[1] == doctest::Approx(1.0));
    CHECK(p.split_mode == llamaplan::split_mode::row);
    CHECK(p.main_gpu == 1);
    CHECK_FALSE(p.offload_kqv);
    CHECK(p.swa_full);
    CHECK(p.n_cpu_moe == 5);
    CHECK(p.cpu_moe);
    CHECK(p.embeddings);
    CHECK_FALSE(p.cpu_repack);
    CHECK_FALSE(p.use_mmap);
    CHECK(a->cache_ram == 0);
}

TEST_CASE("-ngl spellings: N, auto, all") {
    CHECK(parse({"-ngl", "all"})->params.n_gpu_layers == -1);
    CHECK_FALSE(parse({"-ngl", "all"})->n_gpu_layers_auto);
    CHECK(parse({"-ngl", "auto"})->n_gpu_layers_auto);
    CHECK(parse({"-ngl", "0"})->params.n_gpu_layers == 0);
}

TEST_CASE("bad command lines are errors that name the argument") {
    auto e1 = parse({"-m", "m.gguf", "--fit=off"});
    REQUIRE_FALSE(e1);
    CHECK(e1.error().where == 2);
    CHECK_FALSE(parse({"-ctv", "q4_K"}));          // not a cache type llama.cpp accepts
    CHECK_FALSE(parse({"-fa"}));                    // a bare -fa needs a value now
    CHECK_FALSE(parse({"-np", "0"}));               // 0 is rejected
    CHECK_FALSE(parse({"-ot", "exps"}));            // no =BUFT
    CHECK_FALSE(parse({"-ot", "exps=NPU"}));        // unknown buffer type
    CHECK_FALSE(parse({"--draft", "8"}));           // removed flag
    CHECK_FALSE(parse({"-c", "-5"}));
    CHECK_FALSE(parse({"a.gguf", "b.gguf"}));
}

TEST_CASE("a lone '-' is the model (the CLI reads it from standard input); '-x' is still a flag") {
    auto a = parse({"-", "-c", "4096"});
    REQUIRE(a);
    CHECK(a->model == "-");
    CHECK(a->params.n_ctx == 4096);
    auto b = parse({"-m", "-", "-c", "4096"});
    REQUIRE(b);
    CHECK(b->model == "-");
    CHECK(parse({"-", "-x"}).error().where == 1);
}

TEST_CASE("-ot device names are per backend, and -cram -1 is an explicit unbounded cache") {
    auto a = parse({"-m", "m.gguf", "-ot", "exps=Vulkan0,attn=ROCm2,x=MTL0", "-cram", "-1"});
    REQUIRE(a);
    REQUIRE(a->params.overrides.size() == 3);
    CHECK(a->params.overrides[0].named_backend == llamaplan::backend::vulkan);
    CHECK(a->params.overrides[0].named_ordinal == 0);
    CHECK(a->params.overrides[1].named_backend == llamaplan::backend::rocm);
    CHECK(a->params.overrides[1].named_ordinal == 2);
    CHECK(a->params.overrides[2].named_backend == llamaplan::backend::metal);
    CHECK(a->cache_ram == ~0ull);
    CHECK_FALSE(parse({"-m", "m.gguf", "-ot", "exps=Foo0"}));  // not a backend llama.cpp names devices after
    CHECK_FALSE(parse({"-m", "m.gguf", "-ot", "exps=CUDA"}));  // no device number
}

TEST_CASE("draft model flags (-md and its own -ngld -devd -ctkd -ctvd -otd -cmoed -ncmoed) and --spec-type") {
    auto a = parse({"-m", "t.gguf", "-md", "d.gguf", "-ngld", "7", "-ctkd", "q8_0", "--spec-draft-type-v", "q4_0",
                    "-otd", "ffn=CPU", "-ncmoed", "2", "-cmoed", "-td", "4", "--spec-type", "draft-simple",
                    "--spec-draft-n-max", "8", "--draft-p-min", "0.5", "-ctk", "q4_0", "-fa", "on"});
    REQUIRE(a);
    CHECK(a->model == "t.gguf");
    CHECK(a->draft_model == "d.gguf");
    CHECK(a->draft.n_gpu_layers == 7);
    CHECK_FALSE(a->draft_n_gpu_layers_auto);
    CHECK(a->draft.type_k == llamaplan::ggml_type::q8_0);
    CHECK(a->draft.type_v == llamaplan::ggml_type::q4_0);
    CHECK(a->params.type_k == llamaplan::ggml_type::q4_0);  // -ctk is the target's only
    REQUIRE(a->draft.overrides.size() == 1);
    CHECK(a->draft.overrides[0].pattern == "ffn");
    CHECK(a->params.overrides.empty());
    CHECK_FALSE(a->pinned.has(llamaplan::setting::tensor_overrides));
    CHECK(a->draft.n_cpu_moe == 2);
    CHECK(a->draft.cpu_moe);
    CHECK(llamaplan::spec_n_max(a->params.spec) == 8);

    // the draft context's settings (common_base_params_to_speculative): the target's, but its own KV types and
    // placement, one output row per slot, and the target's resolved n_ctx
    const auto dp = llamaplan::draft_launch_params(a->params, a->draft, 4096);
    CHECK(dp.n_ctx == 4096);
    CHECK(dp.type_k == llamaplan::ggml_type::q8_0);
    CHECK(dp.flash_attn == llamaplan::flash_attn_mode::on);
    CHECK(dp.n_gpu_layers == 7);
    CHECK(dp.n_outputs_max == a->params.n_seq_max);
    CHECK(llamaplan::spec_n_max(dp.spec) == 0);

    auto b = parse({"-m", "t.gguf", "--model-draft", "d.gguf", "-devd", "none", "-ngld", "all"});
    REQUIRE(b);
    CHECK_FALSE(b->draft.gpu);
    CHECK(b->draft.n_gpu_layers == -1);
    CHECK(llamaplan::spec_n_max(b->params.spec) == 0);  // -md alone: no --spec-type, nothing drafted (common_speculative_n_max)
    CHECK(llamaplan::draft_launch_params(b->params, b->draft, 256).n_gpu_layers == 0);
}

TEST_CASE("--spec-type sizes: the most any enabled type drafts per step") {
    CHECK(llamaplan::spec_n_max(parse({"-m", "t.gguf", "--spec-type", "ngram-mod"})->params.spec) == 64);
    CHECK(llamaplan::spec_n_max(parse({"-m", "t.gguf", "--spec-type", "ngram-simple,ngram-cache", "--spec-ngram-simple-size-m", "5"})->params.spec) == 8);
    CHECK(llamaplan::spec_n_max(parse({"-m", "t.gguf", "--spec-type", "none"})->params.spec) == 0);
    CHECK(llamaplan::spec_n_max(parse({"-m", "t.gguf", "--spec-type", "draft-simple", "--spec-type", "ngram-map-k"})->params.spec) == 48);
    CHECK_FALSE(parse({"-m", "t.gguf", "--spec-type", "draft-mtp"}));
    CHECK_FALSE(parse({"-m", "t.gguf", "--spec-type", "bogus"}));
    // removed or absent at 3f545bec: llama-server refuses them too
    CHECK_FALSE(parse({"-m", "t.gguf", "--draft-max", "8"}));
    CHECK_FALSE(parse({"-m", "t.gguf", "-md", "d.gguf", "-cd", "4096"}));
    CHECK_FALSE(parse({"-m", "t.gguf", "-md", "d.gguf", "-devd", "CPU"}));  // parse_device_list: not a CPU device
    auto c = parse({"-m", "t.gguf", "-md", "d.gguf", "-devd", "Vulkan1,CUDA0"});
    REQUIRE(c);
    REQUIRE(c->draft.devices.size() == 2);
    CHECK(c->draft.devices[0].named_backend == llamaplan::backend::vulkan);
    CHECK(c->draft.devices[0].named_ordinal == 1);
    CHECK(c->draft.devices[1].named_backend == llamaplan::backend::cuda);
    CHECK(c->draft.gpu);
}

TEST_CASE("a multimodal projector is recorded with how it is loaded, and --no-mmproj drops it") {
    auto a = parse({"-m", "gemma3.gguf", "--mmproj", "mmproj-gemma3.gguf", "--no-mmproj-offload", "--image-max-tokens",
                    "256", "-c", "8192"});
    REQUIRE(a);
    CHECK(a->mmproj == "mmproj-gemma3.gguf");
    CHECK(a->params.n_ctx == 8192);
    CHECK_FALSE(a->mmproj_load.offload);
    CHECK(a->mmproj_load.warmup);
    // common/arg.cpp: -mmdev NAME turns offloading on for that device, -mmdev none turns it off; the last flag wins
    auto d = parse({"-m", "m.gguf", "--mmproj", "p.gguf", "--no-mmproj-offload", "-mmdev", "Vulkan1", "--no-warmup"});
    REQUIRE(d);
    CHECK(d->mmproj_load.offload);
    CHECK(d->mmproj_load.has_device);
    CHECK(d->mmproj_load.device.named_backend == llamaplan::backend::vulkan);
    CHECK(d->mmproj_load.device.named_ordinal == 1);
    CHECK_FALSE(d->mmproj_load.warmup);
    auto e = parse({"-m", "m.gguf", "--mmproj", "p.gguf", "-mmdev", "CUDA0", "-mmdev", "none"});
    REQUIRE(e);
    CHECK_FALSE(e->mmproj_load.offload);
    CHECK_FALSE(parse({"-m", "m.gguf", "-mmdev", "CPU"}));  // a GPU name or none
    CHECK_FALSE(a->mmproj_url);
    auto u = parse({"-m", "m.gguf", "-mmu", "https://example.org/mmproj.gguf"});
    REQUIRE(u);
    CHECK(u->mmproj == "https://example.org/mmproj.gguf");
    CHECK(u->mmproj_url);  // not a file: a planner goal leaves it out (goal_from_args)
    CHECK(llamaplan::goal_from_args(*u).mmproj_path.empty());
    auto b = parse({"-m", "m.gguf", "-mm", "p.gguf", "--no-mmproj"});
    REQUIRE(b);
    CHECK(b->mmproj.empty());
    auto c = parse({"-m", "m.gguf", "--mmproj"});
    CHECK_FALSE(c);
}
