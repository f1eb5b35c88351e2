#!/bin/sh
# Builds the ascend-emulator into $1, laid out like a CANN toolkit: $1/lib64/libascendcl.so,
# libnnopbase.so and libopapi.so. Run by the test phase of gemma-backend-npu (and so by mvn package).
#
# The three names are links to one shared object, so the runtime, tensor and operator functions share one
# device-memory registry, and each copy of the toolkit folder (tests make copies with their own
# emulator.conf) is an independent emulator: no library depends on another by soname.
set -eu
out="$1"
src="$(cd "$(dirname "$0")" && pwd)"
command -v gcc >/dev/null 2>&1 || { echo "the ascend-emulator needs gcc (apt-get install gcc)" >&2; exit 1; }
mkdir -p "$out/lib64" "$out/opp"
gcc -O2 -std=gnu11 -Wall -Wextra -Werror -fPIC -shared -Wl,-soname,libascend_emulator.so \
  -o "$out/lib64/libascend_emulator.so" "$src/emu_runtime.c" "$src/emu_tensor.c" "$src/emu_ops.c" -ldl -lpthread -lm
for name in libascendcl.so libnnopbase.so libopapi.so; do
  ln -sf libascend_emulator.so "$out/lib64/$name"
done
cp "$src/MANIFEST.md" "$out/MANIFEST.md"
echo "ascend-emulator built in $out"
