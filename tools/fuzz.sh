#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, ASan + UBSan) and runs each for a bounded time.
#   tools/fuzz.sh [SECONDS_PER_HARNESS=60] [HARNESS...]     (harnesses: gguf machine_file server_args probe planner logs rpc)
# Seeds come from tests/fuzz/make_seeds (the project's GGUF writer and tests/fixtures/probe); what a run finds is
# kept in build/fuzz/corpus/<harness> (and crash-*/timeout-* files in build/fuzz/findings) for later runs.
# Prints one "fuzz <harness> executions N" line per harness and fails if any harness found a crash or a timeout.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(gguf machine_file server_args probe planner logs rpc)
jobs=$(nproc 2>/dev/null || echo 2)
out=build/fuzz
cmake -S . -B $out -G Ninja -DCMAKE_BUILD_TYPE= -DCMAKE_CXX_COMPILER=clang++ -DLLAMAPLAN_BUILD_FUZZ=ON \
  -DLLAMAPLAN_BUILD_TESTS=OFF -DLLAMAPLAN_BUILD_EXAMPLES=OFF -DLLAMAPLAN_BUILD_BENCH=OFF -DLLAMAPLAN_INSTALL=OFF \
  -DCMAKE_CXX_FLAGS="-O1 -g1" >/dev/null
targets=(llamaplan_fuzz_make_seeds)
for h in "${harnesses[@]}"; do targets+=("llamaplan_fuzz_$h"); done
cmake --build $out -j "$jobs" --target "${targets[@]}"
rm -rf $out/seeds
$out/tests/fuzz/llamaplan_fuzz_make_seeds tests/fixtures $out/seeds >/dev/null
mkdir -p $out/findings
# one harness: its own corpus, log and findings; the exit status says whether it found something
run_one() {
  local h=$1 dict=()
  mkdir -p $out/corpus/$h
  [ "$h" = gguf ] && dict=(-dict=tests/fuzz/gguf.dict)
  # -timeout: an input that takes a second is a finding (an estimate must take milliseconds);
  # -rss_limit_mb / -malloc_limit_mb: unbounded allocation is a finding too
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    $out/tests/fuzz/llamaplan_fuzz_$h $out/corpus/$h $out/seeds/$h "${dict[@]}" -max_total_time="$secs" \
    -timeout=1 -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix=$out/findings/$h- >"$out/findings/$h.log" 2>&1
}
# as many harnesses at a time as there are CPUs (each is single-threaded)
declare -A pid_of
running=0
for h in "${harnesses[@]}"; do
  if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
  run_one "$h" & pid_of[$h]=$!
  running=$((running + 1))
done
status=0
for h in "${harnesses[@]}"; do
  log=$out/findings/$h.log
  if ! wait "${pid_of[$h]}"; then
    echo "fuzz $h: FAILED (see $log)"; grep -m3 -E "ERROR|invariant|SUMMARY" "$log" || true
    status=1
  fi
  execs=$(grep -m1 stat::number_of_executed_units "$log" | awk '{print $2}')
  echo "fuzz $h executions ${execs:-0} (${secs} s)"
done
exit $status
