#!/usr/bin/env bash
# Builds dicomflow's own WebAssembly OpenJPEG (wasm/own/openjpeg-simd.{cjs,wasm})
# from the pinned Debian source package, with Debian's emscripten, at -O3 with
# WebAssembly SIMD: OpenJPEG's SSE/SSE2/SSE4.1 paths (wavelet, MCT, T1) are
# compiled through emscripten's SSE-to-SIMD128 headers. No threads: the decode
# pool already runs one frame per core.
#
#   sudo bash wasm/own/build.sh            # needs root for apt-get; ~1 min
#   bash wasm/own/build.sh --check         # rebuild in a temp dir and compare with SHA256SUMS
#
# Inputs are pinned by checksum (the .dsc and the orig tarball); the Debian
# patches (CVE fixes) are applied by dpkg-source. The outputs' checksums are
# in wasm/own/SHA256SUMS; the build is deterministic for the same emscripten.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PKG=openjpeg2
VERSION=2.5.0-2+deb12u3
UPSTREAM=2.5.0
DSC_SHA256=f570a7c10d36f2d5b2553941e7821ed88d1cf7a93f9c49e7f6099e53f4491f47
ORIG_SHA256=007e19d772c8b6b22e35379630b06ff3549e49ba719d96453607a36ad7b4de73
EMSCRIPTEN_VERSION=3.1.6
check=0
[[ "${1:-}" == "--check" ]] && check=1

need() { command -v "$1" >/dev/null 2>&1; }
if ! need emcc || ! need dpkg-source; then
  echo "build: installing emscripten and dpkg-dev (apt-get)" >&2
  apt-get install -y -q emscripten dpkg-dev node-acorn >&2
fi
have="$(emcc --version | head -1 | sed -E 's/.* ([0-9]+\.[0-9]+\.[0-9]+).*/\1/')"
[[ "$have" == "$EMSCRIPTEN_VERSION" ]] || echo "build: warning: emscripten $have, the checksums were made with $EMSCRIPTEN_VERSION" >&2

# apt-get source needs a deb-src entry; add one for the distribution's own mirror.
if ! grep -rqs 'deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  suites="$(. /etc/os-release && echo "$VERSION_CODENAME $VERSION_CODENAME-updates")"
  printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$suites" \
    > /etc/apt/sources.list.d/dicomflow-src.sources
  echo "build: added /etc/apt/sources.list.d/dicomflow-src.sources" >&2
  apt-get update -q >&2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get source --download-only -q "$PKG=$VERSION" >&2
echo "$DSC_SHA256  ${PKG}_${VERSION}.dsc" | sha256sum -c --quiet
echo "$ORIG_SHA256  ${PKG}_${UPSTREAM}.orig.tar.xz" | sha256sum -c --quiet
dpkg-source -x -q "${PKG}_${VERSION}.dsc" src >&2
lib="$work/src/src/lib/openjp2"

# What CMake would generate for a little-endian target with stdint and posix_memalign.
cat > "$lib/opj_config.h" <<H
#define OPJ_HAVE_STDINT_H 1
#define OPJ_VERSION_MAJOR 2
#define OPJ_VERSION_MINOR 5
#define OPJ_VERSION_BUILD 0
H
cat > "$lib/opj_config_private.h" <<H
#define OPJ_HAVE_INTTYPES_H 1
#define OPJ_PACKAGE_VERSION "$UPSTREAM"
#define OPJ_HAVE_POSIX_MEMALIGN 1
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200112L
#endif
H

sources=(thread bio cio dwt event ht_dec image invert j2k jp2 mct mqc openjpeg opj_clock pi t1 t2 tcd tgt function_list opj_malloc sparse_array)
files=()
for s in "${sources[@]}"; do files+=("$lib/$s.c"); done
out="$work/out"
mkdir -p "$out"
# Debian's emscripten runs its JS optimizer with the node on PATH; its acorn is in /usr/share/nodejs (node-acorn).
export NODE_PATH="/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}"
emcc -O3 -msimd128 -msse -msse2 -msse4.1 -DNDEBUG -DOPJ_STATIC -I"$lib" \
  "${files[@]}" "$here/openjpeg_df.c" \
  -o "$out/openjpeg-simd.cjs" \
  -sMODULARIZE=1 -sEXPORT_NAME=OpenJpegSimd -sENVIRONMENT=node -sALLOW_MEMORY_GROWTH=1 \
  -sINITIAL_MEMORY=16MB -sMAXIMUM_MEMORY=2GB -sFILESYSTEM=0 -sEXIT_RUNTIME=0 -sNODEJS_CATCH_EXIT=0 -sNODEJS_CATCH_REJECTION=0 \
  -sEXPORTED_FUNCTIONS=_df_decode,_df_malloc,_df_free,_df_version \
  -sEXPORTED_RUNTIME_METHODS=UTF8ToString

if [[ $check == 1 ]]; then
  (cd "$out" && sha256sum -c "$here/SHA256SUMS")
  echo "build: outputs match wasm/own/SHA256SUMS" >&2
else
  cp "$out/openjpeg-simd.cjs" "$out/openjpeg-simd.wasm" "$here/"
  (cd "$here" && sha256sum openjpeg-simd.cjs openjpeg-simd.wasm > SHA256SUMS)
  echo "build: wrote $here/openjpeg-simd.{cjs,wasm} and SHA256SUMS" >&2
  ls -l "$here"/openjpeg-simd.* >&2
fi
