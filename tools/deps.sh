#!/usr/bin/env bash
# Installs what building and testing llamaplan needs on a fresh Debian machine, if anything is missing.
# Sourced by tools/demo.sh and tools/test.sh.
set -euo pipefail
need=()
command -v c++ >/dev/null 2>&1 || need+=(g++)
command -v cmake >/dev/null 2>&1 || need+=(cmake)
command -v ninja >/dev/null 2>&1 || need+=(ninja-build)
command -v python3 >/dev/null 2>&1 || need+=(python3)
if [ "${LLAMAPLAN_NEED_TESTS:-0}" = 1 ]; then
  [ -f /usr/include/doctest/doctest.h ] || need+=(doctest-dev)
  command -v meson >/dev/null 2>&1 || need+=(meson)
  command -v clang++ >/dev/null 2>&1 || need+=(clang)
  python3 -c 'import yaml' >/dev/null 2>&1 || need+=(python3-yaml)  # the llama-swap rewrite test's YAML parser
fi
install_pkgs() {
  echo "installing: $*"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}
if [ ${#need[@]} -gt 0 ]; then
  install_pkgs "${need[@]}"
fi
# libFuzzer for tools/fuzz.sh: Debian ships libclang_rt.fuzzer in libclang-rt-<clang major>-dev
if [ "${LLAMAPLAN_NEED_TESTS:-0}" = 1 ] && command -v clang++ >/dev/null 2>&1; then
  if [ ! -f "$(clang++ -print-resource-dir)/lib/linux/libclang_rt.fuzzer-$(uname -m).a" ]; then
    install_pkgs "libclang-rt-$(clang++ -dumpversion | cut -d. -f1)-dev"
  fi
  command -v pkg-config >/dev/null 2>&1 || install_pkgs pkgconf
  # libc++ (LLVM's standard library, Apple clang's): the meson build of tools/test.sh uses it
  if ! echo '#include <string>' | clang++ -std=c++20 -stdlib=libc++ -x c++ -fsyntax-only - >/dev/null 2>&1; then
    install_pkgs libc++-dev libc++abi-dev
  fi
fi
