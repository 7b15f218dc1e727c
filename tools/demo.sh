#!/usr/bin/env bash
# The main job on built-in inputs: build the llamaplan tool, then plan a built-in Llama-3.1-8B-shaped model for this
# machine (probed) and for a built-in 24 GiB GPU, explaining every setting. Works on a fresh Debian machine without a
# GPU or a download. Extra arguments go to the first plan (e.g. --preset more_context, --json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DLLAMAPLAN_BUILD_TESTS=OFF -DLLAMAPLAN_BUILD_BENCH=OFF >/dev/null
cmake --build build/release --target llamaplan_cli
cli=./build/release/examples/llamaplan
echo "== llamaplan plan -v   (this machine, probed)"
"$cli" plan -v "$@"
echo
echo "== llamaplan plan -v --no-probe --gpu 'cuda:24GiB:RTX 4090 (built-in)'   (a built-in machine)"
"$cli" plan -v --no-probe --gpu 'cuda:24GiB:RTX 4090 (built-in)'
