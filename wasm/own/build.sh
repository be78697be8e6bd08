#!/usr/bin/env bash
# Builds dicomflow's own WebAssembly codecs from pinned Debian source packages,
# with Debian's emscripten, at -O3:
# - OpenJPEG (wasm/own/openjpeg-simd.{cjs,wasm}) from openjpeg2, with
#   WebAssembly SIMD: OpenJPEG's SSE/SSE2/SSE4.1 paths (wavelet, MCT, T1) are
#   compiled through emscripten's SSE-to-SIMD128 headers;
# - CharLS 2.0.0 (wasm/own/charls-own.{cjs,wasm}) from the copy bundled in the
#   gdcm source package (Utilities/gdcmcharls: Debian's mirror has no charls
#   source package to fetch), with WebAssembly exception handling, which CharLS
#   uses for its errors, and with wasm/own/charls-decoder.patch (two bit-counting
#   loops of the decoder as leading-zero counts, 12% faster, and no table read
#   past its array; same results).
#   JPEG-LS decoding is serial: SIMD gives it nothing;
# - libjpeg-turbo 2.1.5 (wasm/own/libjpeg-turbo-own.{cjs,wasm}) from Debian's
#   libjpeg-turbo source, 8-bit samples, decompression sources only, scalar
#   (jsimd_none.c). Its x86 SIMD is NASM assembly; its Arm NEON intrinsics
#   compile for -msimd128 only with SIMDe's own headers (Debian's libsimde-dev:
#   emscripten's arm_neon.h here lacks the sub-headers it includes) and then
#   decode 2-3x slower (SIMDe emulates most lane and interleaving operations
#   with scalar loops), so they are left out. libjpeg's errors use
#   setjmp/longjmp, which Debian's emscripten lowers the JavaScript way (its
#   LLVM is too old for Wasm SjLj); libjpeg_turbo_df.c keeps that off the
#   per-row calls.
# No threads: the decode pool already runs one frame per core.
#
#   sudo bash wasm/own/build.sh            # needs root for apt-get; ~2 min
#   bash wasm/own/build.sh --check         # rebuild in a temp dir and compare with SHA256SUMS
#
# Inputs are pinned by checksum (the .dsc and the orig tarball); the Debian
# patches (CVE fixes) are applied by dpkg-source. The outputs' checksums are
# in wasm/own/SHA256SUMS; the build is deterministic for the same emscripten.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OPJ_VERSION=2.5.0-2+deb12u3
OPJ_UPSTREAM=2.5.0
OPJ_DSC_SHA256=f570a7c10d36f2d5b2553941e7821ed88d1cf7a93f9c49e7f6099e53f4491f47
OPJ_ORIG_SHA256=007e19d772c8b6b22e35379630b06ff3549e49ba719d96453607a36ad7b4de73
GDCM_VERSION=3.0.21-1
GDCM_UPSTREAM=3.0.21
GDCM_DSC_SHA256=6e9b38024573c0fcf2fee91857f6bfcbc0a96d1e61b34937c907adc504c44323
GDCM_ORIG_SHA256=7c456162a2de722cc90e3bdc46900302b1c367540a7131268d7bfd2a819cb5ed
LJT_VERSION=1:2.1.5-2
LJT_UPSTREAM=2.1.5
LJT_DSC_SHA256=d718ead0dfbcbc8523665c02a7f7152e31039ded641d022868722623bb3b486d
LJT_ORIG_SHA256=254f3642b04e309fee775123133c6464181addc150499561020312ec61c1bf7c
OUTPUTS=(openjpeg-simd.cjs openjpeg-simd.wasm charls-own.cjs charls-own.wasm libjpeg-turbo-own.cjs libjpeg-turbo-own.wasm)
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
# fetch PKG VERSION DSC_SHA256 ORIG_FILE ORIG_SHA256 DIR: download, verify and unpack (with Debian's patches) into DIR.
# The .dsc's file name leaves out the version's epoch (1:2.1.5-2 -> libjpeg-turbo_2.1.5-2.dsc).
fetch() {
  apt-get source --download-only -q "$1=$2" >&2
  echo "$3  ${1}_${2#*:}.dsc" | sha256sum -c --quiet
  echo "$5  $4" | sha256sum -c --quiet
  dpkg-source -x -q "${1}_${2#*:}.dsc" "$6" >&2
}
out="$work/out"
mkdir -p "$out"
# Debian's emscripten runs its JS optimizer with the node on PATH; its acorn is in /usr/share/nodejs (node-acorn).
export NODE_PATH="/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}"
LINK=(-sMODULARIZE=1 -sENVIRONMENT=node -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=16MB -sMAXIMUM_MEMORY=2GB -sFILESYSTEM=0
  -sEXIT_RUNTIME=0 -sNODEJS_CATCH_EXIT=0 -sNODEJS_CATCH_REJECTION=0 -sEXPORTED_RUNTIME_METHODS=UTF8ToString)

# --- OpenJPEG ---
fetch openjpeg2 "$OPJ_VERSION" "$OPJ_DSC_SHA256" "openjpeg2_${OPJ_UPSTREAM}.orig.tar.xz" "$OPJ_ORIG_SHA256" openjpeg
lib="$work/openjpeg/src/lib/openjp2"

# What CMake would generate for a little-endian target with stdint and posix_memalign.
cat > "$lib/opj_config.h" <<H
#define OPJ_HAVE_STDINT_H 1
#define OPJ_VERSION_MAJOR 2
#define OPJ_VERSION_MINOR 5
#define OPJ_VERSION_BUILD 0
H
cat > "$lib/opj_config_private.h" <<H
#define OPJ_HAVE_INTTYPES_H 1
#define OPJ_PACKAGE_VERSION "$OPJ_UPSTREAM"
#define OPJ_HAVE_POSIX_MEMALIGN 1
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200112L
#endif
H

sources=(thread bio cio dwt event ht_dec image invert j2k jp2 mct mqc openjpeg opj_clock pi t1 t2 tcd tgt function_list opj_malloc sparse_array)
files=()
for s in "${sources[@]}"; do files+=("$lib/$s.c"); done
emcc -O3 -msimd128 -msse -msse2 -msse4.1 -DNDEBUG -DOPJ_STATIC -I"$lib" \
  "${files[@]}" "$here/openjpeg_df.c" \
  -o "$out/openjpeg-simd.cjs" "${LINK[@]}" -sEXPORT_NAME=OpenJpegSimd \
  -sEXPORTED_FUNCTIONS=_df_decode,_df_malloc,_df_free,_df_version

# --- CharLS (bundled in gdcm) ---
fetch gdcm "$GDCM_VERSION" "$GDCM_DSC_SHA256" "gdcm_${GDCM_UPSTREAM}.orig.tar.gz" "$GDCM_ORIG_SHA256" gdcm
jls="$work/gdcm/Utilities/gdcmcharls"
grep -q 'archive/2.0.0.tar.gz' "$jls/README.GDCM.txt" || { echo "build: gdcm's bundled CharLS is not 2.0.0" >&2; exit 1; }
# dicomflow's patch to the decoder's per-sample path (see the patch's header).
sed -i 's/\r$//' "$jls/context.h" "$jls/decoderstrategy.h" "$jls/scan.h"
patch -d "$jls" -p1 --quiet --no-backup-if-mismatch < "$here/charls-decoder.patch"
em++ -O3 -std=c++14 -fwasm-exceptions -DNDEBUG -DCHARLS_STATIC -I"$jls" \
  "$jls"/interface.cpp "$jls"/jpegls.cpp "$jls"/jpegmarkersegment.cpp "$jls"/jpegstreamreader.cpp "$jls"/jpegstreamwriter.cpp "$here/charls_df.cpp" \
  -o "$out/charls-own.cjs" "${LINK[@]}" -sEXPORT_NAME=CharlsOwn \
  -sEXPORTED_FUNCTIONS=_df_jls_decode,_df_malloc,_df_free
# The patch's two rewritten counts against CharLS's loops, over every input they see (about 80 s).
em++ -O2 "$here/charls-patch-check.cpp" -o "$work/charls-patch-check.cjs" -sENVIRONMENT=node -sSINGLE_FILE=1
node "$work/charls-patch-check.cjs" >&2

# --- libjpeg-turbo ---
fetch libjpeg-turbo "$LJT_VERSION" "$LJT_DSC_SHA256" "libjpeg-turbo_${LJT_UPSTREAM}.orig.tar.gz" "$LJT_ORIG_SHA256" libjpeg-turbo
ljt="$work/libjpeg-turbo"
grep -q "^set(VERSION $LJT_UPSTREAM)" "$ljt/CMakeLists.txt" || { echo "build: libjpeg-turbo source is not $LJT_UPSTREAM" >&2; exit 1; }
# What CMake would generate for wasm32 with the defaults (libjpeg API 6.2, 8-bit samples, in-memory
# source manager), without SIMD and without arithmetic decoding: the guard lets only SOF0-2 through.
cat > "$ljt/jconfig.h" <<H
#define JPEG_LIB_VERSION 62
#define LIBJPEG_TURBO_VERSION $LJT_UPSTREAM
#define LIBJPEG_TURBO_VERSION_NUMBER 2001005
#define MEM_SRCDST_SUPPORTED 1
#define BITS_IN_JSAMPLE 8
H
cat > "$ljt/jconfigint.h" <<H
#define BUILD "debian-$LJT_VERSION"
#undef inline
#define INLINE __inline__ __attribute__((always_inline))
#define THREAD_LOCAL __thread
#define PACKAGE_NAME "libjpeg-turbo"
#define VERSION "$LJT_UPSTREAM"
#define SIZEOF_SIZE_T 4
#define HAVE_BUILTIN_CTZL
#define FALLTHROUGH __attribute__((fallthrough));
H
year="$(sed -n 's/^set(COPYRIGHT_YEAR "\(.*\)")$/\1/p' "$ljt/CMakeLists.txt")"
sed "s/@COPYRIGHT_YEAR@/$year/" "$ljt/jversion.h.in" > "$ljt/jversion.h"
# Not jerror.c (its printf) nor jquant1/2.c (colour quantization): libjpeg_turbo_df.c replaces both, 12 kB less packed.
sources=(jcomapi jdapimin jdapistd jdatasrc jdcoefct jdcolor jddctmgr jdhuff jdinput jdmainct jdmarker jdmaster jdmerge jdphuff
  jdpostct jdsample jidctflt jidctfst jidctint jidctred jutils jmemmgr jmemnobs jsimd_none)
files=()
for s in "${sources[@]}"; do files+=("$ljt/$s.c"); done
emcc -O3 -DNDEBUG -I"$ljt" "${files[@]}" "$here/libjpeg_turbo_df.c" \
  -o "$out/libjpeg-turbo-own.cjs" "${LINK[@]}" -sEXPORT_NAME=LibjpegTurboOwn \
  -sEXPORTED_FUNCTIONS=_df_jpeg_decode,_df_malloc,_df_free

if [[ $check == 1 ]]; then
  (cd "$out" && sha256sum -c "$here/SHA256SUMS")
  echo "build: outputs match wasm/own/SHA256SUMS" >&2
else
  for f in "${OUTPUTS[@]}"; do cp "$out/$f" "$here/"; done
  (cd "$here" && sha256sum "${OUTPUTS[@]}" > SHA256SUMS)
  echo "build: wrote ${OUTPUTS[*]} and SHA256SUMS in $here" >&2
  (cd "$here" && ls -l "${OUTPUTS[@]}") >&2
fi
