#!/usr/bin/env bash
# The planner in the browser (examples/web): a static page and a WebAssembly build of the core and the GGUF reader.
#   bash tools/web.sh build   builds the page into build/web/ (installs Debian's clang-19 WASI toolchain if missing)
#   bash tools/web.sh [serve] builds it and serves it on http://127.0.0.1:${PORT:-8023}/ (Ctrl-C stops)
#   bash tools/web.sh test    builds it, compares it with the CLI on a grid (node), then drives it in chromium
#                             (puppeteer-core from npm, Debian's chromium); LLAMAPLAN_CLI and LLAMAPLAN_WRITE_MODELS
#                             name a built CLI and tests/support/write_models (else both are built in build/release)
#   bash tools/web.sh bench [MODEL.gguf ...]   first-plan and re-plan latency in chromium (bench/web_latency.mjs)
#   bash tools/web.sh deps    installs what `test` needs (the toolchain, node, chromium, puppeteer-core) and stops
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/web
llvm=/usr/lib/llvm-19

install_pkgs() {
  echo "installing: $*"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

toolchain() {
  local need=()
  command -v clang++-19 >/dev/null 2>&1 || need+=(clang-19)
  [ -x $llvm/bin/wasm-ld ] || need+=(lld-19)
  [ -f $llvm/lib/wasm32-wasi/libc++.a ] || need+=(libc++-19-dev-wasm32)
  [ -f $llvm/lib/wasm32-wasi/libc++abi.a ] || need+=(libc++abi-19-dev-wasm32)
  [ -f $llvm/lib/clang/19/lib/wasi/libclang_rt.builtins-wasm32.a ] || need+=(libclang-rt-19-dev-wasm32)
  [ -f /usr/lib/wasm32-wasi/libc.a ] || need+=(wasi-libc)
  if [ ${#need[@]} -gt 0 ]; then install_pkgs "${need[@]}"; fi
}

build() {
  toolchain
  mkdir -p $out
  # WASI reactor (no main: the page calls the exports), no exceptions; the wasm32 libc++ headers of the same LLVM.
  # 8 MiB of stack: a plan's model summary and candidates live there (planner.hpp: about 430 KB each).
  clang++-19 --target=wasm32-wasi -mexec-model=reactor -std=c++20 -Os -fno-exceptions \
    -nostdinc++ -isystem $llvm/include/wasm32-wasi/c++/v1 -Wall -Wextra -Wpedantic -Werror \
    -Iinclude -Iadapters/gguf/include examples/web/planner.cpp -o $out/llamaplan.wasm \
    -L$llvm/lib/wasm32-wasi -Wl,-z,stack-size=8388608 -Wl,--strip-all
  cp examples/web/index.html examples/web/app.js examples/web/llamaplan.js examples/web/style.css $out/
  local size
  size=$(stat -c %s $out/llamaplan.wasm)
  echo "built $out/ (llamaplan.wasm: $size bytes)"
  [ "$size" -le 1048576 ] || { echo "llamaplan.wasm is larger than 1 MiB"; exit 1; }
}

# the CLI to compare with and the test models' writer: LLAMAPLAN_CLI / LLAMAPLAN_WRITE_MODELS, or built here
native_tools() {
  if [ -n "${LLAMAPLAN_CLI:-}" ] && [ -n "${LLAMAPLAN_WRITE_MODELS:-}" ]; then return; fi
  LLAMAPLAN_NEED_TESTS=1 bash tools/deps.sh
  cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DLLAMAPLAN_BUILD_TESTS=ON -DLLAMAPLAN_BUILD_BENCH=OFF >/dev/null
  cmake --build build/release --target llamaplan_cli llamaplan_write_models
  LLAMAPLAN_CLI=$PWD/build/release/examples/llamaplan
  LLAMAPLAN_WRITE_MODELS=$PWD/build/release/tests/llamaplan_write_models
}

browser_deps() {
  local need=()
  command -v node >/dev/null 2>&1 || need+=(nodejs)
  command -v npm >/dev/null 2>&1 || need+=(npm)
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  if [ ${#need[@]} -gt 0 ]; then install_pkgs "${need[@]}"; fi
  if [ ! -d build/node/node_modules/puppeteer-core ]; then
    mkdir -p build/node
    [ -f build/node/package.json ] || echo '{"private":true}' > build/node/package.json
    (cd build/node && npm install --silent --no-audit --no-fund puppeteer-core@24 >/dev/null)
  fi
}

case "${1:-serve}" in
  deps) toolchain; browser_deps ;;  # everything `test` installs (tools/test.sh runs it while the other stages build)
  build) build ;;
  serve)
    build
    exec python3 examples/web/test/server.py $out --port "${PORT:-8023}" ;;
  test)
    build
    native_tools
    browser_deps
    node examples/web/test/compare_cli.mjs "$LLAMAPLAN_CLI" $out/llamaplan.wasm
    node examples/web/test/browser_test.mjs "$LLAMAPLAN_CLI" $out "$LLAMAPLAN_WRITE_MODELS" ;;
  bench)  # first plan shown and re-plan latency in chromium; GGUF files given are read through Range requests
    build
    browser_deps
    shift
    node bench/web_latency.mjs $out "$@" ;;
  *) echo "usage: bash tools/web.sh [build|serve|test|bench [MODEL.gguf ...]|deps]"; exit 2 ;;
esac
