#!/usr/bin/env bash
# Builds the native kernels into the CPU backend's resources, where the jar ships them prebuilt: a fresh clone
# builds and tests without a C compiler. Run it after changing gemma4j_kernels.c and commit the library with
# the source (NativeKernelsTest checks that the shipped library was built from the source beside it).
# Needs gcc for x86-64 (Debian 12's gcc 12 built the checked-in one).
set -euo pipefail
cd "$(dirname "$0")"
source=gemma4j_kernels.c
out=../resources/dev/gemma4j/backend/cpu/kernels/native/linux-x86_64
mkdir -p "$out"
sha=$(sha256sum "$source" | cut -d' ' -f1)
# -ffp-contract=off: the float sums must be the ones the source spells out (the Java kernel makes the same).
gcc -O2 -std=c11 -Wall -Wextra -Werror -ffp-contract=off -fno-fast-math -fPIC -shared \
  -DGEMMA4J_SOURCE_SHA256="\"$sha\"" -o "$out/libgemma4j_kernels.so" "$source" -lm
strip --strip-unneeded "$out/libgemma4j_kernels.so"
echo "built $out/libgemma4j_kernels.so from $source ($sha)"
