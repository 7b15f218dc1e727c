#!/usr/bin/env bash
# The main job on built-in inputs: build the llamaplan tool, then inspect and estimate a built-in model
# on the host CPU and on a built-in 24 GiB GPU. Works on a fresh Debian machine without a GPU or a download.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DLLAMAPLAN_BUILD_TESTS=OFF -DLLAMAPLAN_BUILD_BENCH=OFF >/dev/null
cmake --build build/release --target llamaplan_cli
./build/release/examples/llamaplan demo "$@"
