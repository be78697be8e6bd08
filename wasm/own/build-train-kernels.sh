#!/usr/bin/env bash
# Builds dicomflow's WebAssembly SIMD training kernels (wasm/own/train-kernels.wasm)
# from wasm/own/train_kernels.c with Debian's clang-14 and wasm-ld-14: wasm32,
# -O3, SIMD128, no libc, the memory imported (it is the tfjs wasm backend's heap).
#
#   sudo bash wasm/own/build-train-kernels.sh          # needs root for apt-get if clang is missing; seconds
#   bash wasm/own/build-train-kernels.sh --check       # rebuild in a temp dir and compare with train-kernels.SHA256SUMS
#
# The module must not use memory of its own (that memory is tfjs's): the
# build fails if the code reads the shadow-stack pointer or has data segments.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CLANG_VERSION=14
check=0
[[ "${1:-}" == "--check" ]] && check=1

need() { command -v "$1" >/dev/null 2>&1; }
if ! need "clang-$CLANG_VERSION" || ! need "wasm-ld-$CLANG_VERSION" || ! need wasm-dis; then
  echo "build: installing clang-$CLANG_VERSION, lld-$CLANG_VERSION and binaryen (apt-get)" >&2
  apt-get install -y -q "clang-$CLANG_VERSION" "lld-$CLANG_VERSION" binaryen >&2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Compile and link in two steps: clang's driver would run binaryen's wasm-opt
# (if on PATH) after linking, without SIMD enabled.
"clang-$CLANG_VERSION" --target=wasm32 -O3 -msimd128 -ffreestanding -fno-builtin -Wall -Wextra -Werror \
  -c -o "$work/train_kernels.o" "$here/train_kernels.c"
"wasm-ld-$CLANG_VERSION" --no-entry --import-memory -z stack-size=0 --initial-memory=65536 --strip-all \
  -o "$work/train-kernels.wasm" "$work/train_kernels.o"

wasm-dis "$work/train-kernels.wasm" > "$work/train-kernels.wat"
if grep -q 'global.get' "$work/train-kernels.wat"; then
  echo "build: the module reads a global (the shadow stack?): it would write into tfjs's heap" >&2
  exit 1
fi
if grep -q '(data ' "$work/train-kernels.wat"; then
  echo "build: the module has a data segment: it would overwrite tfjs's heap" >&2
  exit 1
fi

if [[ $check == 1 ]]; then
  (cd "$work" && sha256sum -c "$here/train-kernels.SHA256SUMS")
  echo "build: output matches wasm/own/train-kernels.SHA256SUMS" >&2
else
  cp "$work/train-kernels.wasm" "$here/"
  (cd "$here" && sha256sum train-kernels.wasm > train-kernels.SHA256SUMS)
  echo "build: wrote $here/train-kernels.wasm and train-kernels.SHA256SUMS" >&2
  ls -l "$here/train-kernels.wasm" >&2
fi
