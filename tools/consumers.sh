#!/usr/bin/env bash
# Downstream-project checks (run by tools/test.sh after `cmake --install build/gcc --prefix build/prefix`):
# add_subdirectory, FetchContent, a meson subproject, pkg-config against the install prefix, the single header copied
# alone (g++ and clang++, -fno-exceptions -fno-rtti), and a configure without doctest (tests skipped, not failed).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=build/consumers
prefix=$root/build/prefix
rm -rf $out && mkdir -p $out

echo "-- add_subdirectory"
cmake -S tests/package -B $out/subdir -G Ninja -DLLAMAPLAN_SOURCE_DIR="$root" >/dev/null
cmake --build $out/subdir >/dev/null
$out/subdir/consumer

echo "-- FetchContent (local path)"
cmake -S tests/consumers/fetchcontent -B $out/fetch -G Ninja -DLLAMAPLAN_SOURCE_DIR="$root" >/dev/null
cmake --build $out/fetch >/dev/null
$out/fetch/consumer

echo "-- meson subproject, dependency('llamaplan')"
mkdir -p $out/meson/subprojects
cp tests/consumers/meson/meson.build tests/package/consumer.cpp $out/meson/
ln -s "$root" $out/meson/subprojects/llamaplan
meson setup $out/meson/b $out/meson >/dev/null
meson compile -C $out/meson/b >/dev/null
$out/meson/b/consumer

echo "-- pkg-config --cflags llamaplan (installed prefix)"
pc_dir=$(dirname "$(find "$prefix" -name llamaplan.pc | head -1)")
flags=$(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags llamaplan)
c++ $flags tests/package/consumer.cpp -o $out/pkgconfig_consumer
$out/pkgconfig_consumer

echo "-- the single header alone, -fno-exceptions -fno-rtti"
mkdir -p $out/single
cp single_include/llamaplan.hpp tests/consumers/single/main.cpp $out/single/
for cxx in g++ clang++; do
  $cxx -std=c++20 -Wall -Wextra -Wpedantic -Werror -fno-exceptions -fno-rtti -I$out/single $out/single/main.cpp \
    -o $out/single/consumer-$cxx
  $out/single/consumer-$cxx
done

echo "-- no doctest: configure succeeds, tests skipped with a message, library/CLI/benchmarks still configured"
log=$out/nodoctest.log
cmake -S . -B $out/nodoctest -G Ninja -DCMAKE_DISABLE_FIND_PACKAGE_doctest=ON -DCMAKE_IGNORE_PATH=/usr/include >"$log"
grep -q "doctest not found, so the tests are skipped" "$log"
targets=$(ninja -C $out/nodoctest -t targets all)  # not piped into grep -q: an early exit would SIGPIPE ninja
grep -q "^llamaplan_bench_gguf_read:" <<<"$targets"
grep -q "^examples/llamaplan:" <<<"$targets"
if grep -q "llamaplan_core_tests" <<<"$targets"; then echo "tests configured without doctest"; exit 1; fi
echo "consumers: all passed"
