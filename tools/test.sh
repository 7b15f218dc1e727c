#!/usr/bin/env bash
# Everything CI checks, on a fresh Debian machine: the single header is fresh; CMake (g++, warnings as errors) and
# meson (clang++) build and run the same tests; one build runs them under ASan + UBSan; the CLI smoke-tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export LLAMAPLAN_NEED_TESTS=1
bash tools/deps.sh
jobs=$(nproc 2>/dev/null || echo 2)

echo "== single_include is generated from include/"
python3 tools/amalgamate.py --check

echo "== CMake + g++ (warnings are errors)"
cmake -S . -B build/gcc -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=g++ -DLLAMAPLAN_WARNINGS_AS_ERRORS=ON \
  -DCMAKE_CXX_FLAGS="-O1" >/dev/null
cmake --build build/gcc -j "$jobs"
ctest --test-dir build/gcc --output-on-failure

echo "== package: install, then find_package from a downstream project"
rm -rf build/prefix build/consumer
cmake --install build/gcc --prefix build/prefix >/dev/null
cmake -S tests/package -B build/consumer -G Ninja -DCMAKE_PREFIX_PATH="$PWD/build/prefix" >/dev/null
cmake --build build/consumer
ctest --test-dir build/consumer --output-on-failure

echo "== consumers: add_subdirectory, FetchContent, meson subproject, pkg-config, single header alone, no doctest"
bash tools/consumers.sh

echo "== meson + clang++ (same test lists)"
if [ ! -d build/meson ]; then
  CXX=clang++ meson setup build/meson --buildtype=debugoptimized -Dwerror=true >/dev/null
fi
meson test -C build/meson --print-errorlogs

echo "== ASan + UBSan"
cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=g++ -DLLAMAPLAN_BUILD_BENCH=OFF \
  -DCMAKE_CXX_FLAGS="-O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" >/dev/null
cmake --build build/asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --test-dir build/asan --output-on-failure

echo "== fuzz: each libFuzzer harness for a bounded time (tools/fuzz.sh SECONDS runs them longer)"
bash tools/fuzz.sh "${LLAMAPLAN_FUZZ_SECONDS:-12}"

echo "== CLI smoke test"
cli=build/gcc/examples/llamaplan
$cli demo --dir build/gcc >/dev/null
$cli estimate build/gcc/llamaplan-demo-llama3.1-8b-q4_k.gguf -c 4096 --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["items"]["kv"] > 0 and d["n_ctx"] == 4096, d'
if $cli estimate build/gcc/llamaplan-demo-llama3.1-8b-q4_k.gguf -ctv q8_0 -fa off 2>/dev/null; then
  echo "expected a refusal for quantized V without flash attention"; exit 1
fi
if $cli inspect /nonexistent.gguf 2>/dev/null; then echo "expected an error for a missing file"; exit 1; fi
echo "tests: all passed"
