#!/usr/bin/env bash
# Everything CI checks, on a fresh Debian machine: the single header is fresh; CMake (g++ and libstdc++ under ASan +
# UBSan, warnings as errors) and meson (clang++ and libc++) build and run the same tests; downstream consumers; the
# fuzz harnesses; the CLI; the planner in WebAssembly and the page in a real browser (tools/web.sh test).
# Both builds are unity builds (CMAKE_UNITY_BUILD / meson --unity): the test sources share one copy of the library's
# generated code per batch, which halves the build on a 2-core machine (tests/support keeps their helpers apart).
set -euo pipefail
cd "$(dirname "$0")/.."
export LLAMAPLAN_NEED_TESTS=1
bash tools/deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
stage() { echo "== $* (at ${SECONDS} s)"; }
# the web stage's packages (clang-19 for WASI, node, chromium, puppeteer-core) download while the C++ stages build
mkdir -p build
bash tools/web.sh deps > build/web-deps.log 2>&1 &
web_deps=$!

stage "single_include is generated from include/"
python3 tools/amalgamate.py --check

stage "CMake + g++ under ASan + UBSan (warnings are errors): tests, CLI, examples (the benchmarks build with meson)"
# -O0: g++ compiles this code with ASan 3.6x faster than at -O1 (11 s vs 41 s for one test file), and the tests
# still run in about a minute. GCC 12 under ASan reports std::regex's std::function members as maybe-uninitialized
# (a known false positive of -Wmaybe-uninitialized with sanitizers; test_regex.cpp compares the Pike VM with
# std::regex), so that warning is off.
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -Wno-maybe-uninitialized"
cmake -S . -B build/gcc -G Ninja -DCMAKE_BUILD_TYPE= -DCMAKE_CXX_COMPILER=g++ -DLLAMAPLAN_WARNINGS_AS_ERRORS=ON \
  -DCMAKE_UNITY_BUILD=ON -DLLAMAPLAN_BUILD_BENCH=OFF -DCMAKE_CXX_FLAGS="-O0 -g1 $san" >/dev/null
cmake --build build/gcc -j "$jobs"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --test-dir build/gcc --output-on-failure -j "$jobs"

stage "package: install, then find_package from a downstream project"
rm -rf build/prefix build/consumer
cmake --install build/gcc --prefix build/prefix >/dev/null
cmake -S tests/package -B build/consumer -G Ninja -DCMAKE_PREFIX_PATH="$PWD/build/prefix" >/dev/null
cmake --build build/consumer
ctest --test-dir build/consumer --output-on-failure

stage "consumers: add_subdirectory, FetchContent, meson subproject, pkg-config, single header alone, no doctest"
bash tools/consumers.sh

stage "meson + clang++ with libc++: everything (tests, CLI, benchmarks, examples), then the same test lists"
# LLVM's libc++ (Apple clang's standard library) rather than libstdc++: the CMake build above tests g++ with
# libstdc++, this one clang++ with libc++, so each standard library builds and runs every test at no extra cost
# (clang++ with libstdc++ still compiles the single header in tools/consumers.sh and the fuzz harnesses).
# -O0: clang compiles this code several times faster without optimization, and the tests still run in seconds (CI's
# time goes to compiling on 2 cores; the ASan stage above runs the same tests at -O0 too).
if [ ! -d build/meson ]; then
  CXX=clang++ meson setup build/meson --unity on -Doptimization=0 -Ddebug=false -Dwerror=true \
    -Dcpp_args=-stdlib=libc++ -Dcpp_link_args=-stdlib=libc++ >/dev/null
fi
meson compile -C build/meson >/dev/null
meson test -C build/meson --print-errorlogs

stage "fuzz: each libFuzzer harness for a bounded time (tools/fuzz.sh SECONDS runs them longer)"
bash tools/fuzz.sh "${LLAMAPLAN_FUZZ_SECONDS:-5}"

stage "CLI smoke test"
cli=build/gcc/examples/llamaplan
$cli demo --dir build/gcc >/dev/null
$cli estimate build/gcc/llamaplan-demo-llama3.1-8b-q4_k.gguf -c 4096 --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["items"]["kv"] > 0 and d["n_ctx"] == 4096, d'
if $cli estimate build/gcc/llamaplan-demo-llama3.1-8b-q4_k.gguf -ctv q8_0 -fa off 2>/dev/null; then
  echo "expected a refusal for quantized V without flash attention"; exit 1
fi
if $cli inspect /nonexistent.gguf 2>/dev/null; then echo "expected an error for a missing file"; exit 1; fi
# plan: the built-in model on a built-in GPU; the plan's argv, estimated again, gives the plan's bytes
$cli plan --no-probe --gpu cuda:24GiB --json > build/gcc/plan.json
python3 - build/gcc/plan.json "$cli" <<'PY'
import json, subprocess, sys
plan = json.load(open(sys.argv[1]))
assert plan["ok"] and plan["settings"]["n_gpu_layers"] == plan["settings"]["n_layers"], plan
argv = plan["argv"][1:]
est = json.loads(subprocess.check_output([sys.argv[2], "estimate", "--gpu", "cuda:24GiB", "--json", "--"] + ["llama-server"] + argv))
planned = {d["name"]: d for d in plan["devices"]}
for d in est["devices"]:
    p = planned["CPU" if d["name"] == "CPU" else "cuda0"]
    for k in ("model", "context", "compute", "overhead"):
        assert d[k] == p[k], (d["name"], k, d[k], p[k])
PY
rc=0; $cli plan --no-probe --gpu cuda:1GiB -c 131072 -ngl all >/dev/null 2>&1 || rc=$?
[ "$rc" = 3 ] || { echo "expected exit code 3 when nothing fits, got $rc"; exit 1; }
# '-' reads the header from standard input (and stops reading there)
cat build/gcc/llamaplan-demo-llama3.1-8b-q4_k.gguf | $cli estimate - -c 4096 --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["n_ctx"] == 4096, d'
$cli inspect - < build/gcc/llamaplan-demo-llama3.1-8b-q4_k.gguf | grep -q "^-: llama"
$cli catalog >/dev/null
# calibrate: a public CUDA log against a catalog model; another program's output is refused
$cli calibrate tests/data/logs/public/cuda_rtx4090_llama31_8b_q4km_np4.log -m llama-3.1-8b:Q4_K_M --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert not d["exact"] and any(b["buffer"] == "CUDA0" and b["exact"] for b in d["buffers"]), d'
if $cli calibrate README.md -m llama-3.1-8b:Q4_K_M 2>/dev/null; then echo "expected a refusal for a file that is not a llama.cpp log"; exit 1; fi
$cli estimate qwen3-30b-a3b:Q4_K_M -c 8192 --gpu "RTX 4090" --cpu-moe --json | python3 -c 'import json,sys; t=json.load(sys.stdin)["throughput"]; assert t["decode_tps"] > 0 and t["prefill_tps"] > 0 and t["prefill_tokens"] == 512 and t["depth"] == 0, t'
if $cli estimate llama-2-7b:Q4_0 --gpu "RTX 4095" 2>/dev/null; then echo "expected an error for an unknown GPU"; exit 1; fi
stage "web: the planner in WebAssembly against the CLI on a grid, then the page in chromium (tools/web.sh test)"
wait "$web_deps" || { cat build/web-deps.log; echo "installing the web stage's packages failed"; exit 1; }
LLAMAPLAN_CLI="$PWD/build/meson/llamaplan" LLAMAPLAN_WRITE_MODELS="$PWD/build/meson/llamaplan_write_models" bash tools/web.sh test
echo "tests: all passed in ${SECONDS} s"
