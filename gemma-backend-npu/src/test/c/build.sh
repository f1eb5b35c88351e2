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
# Like a CANN toolkit's set_env.sh: `source $out/set_env.sh` points the backend (and anything else) at it.
cat > "$out/set_env.sh" <<'SETENV'
# Sets the variables a CANN toolkit's set_env.sh sets, for the ascend-emulator in this folder (bash).
_ascend_emulator_home="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd)"
export ASCEND_HOME_PATH="$_ascend_emulator_home"
export ASCEND_TOOLKIT_HOME="$_ascend_emulator_home"
export ASCEND_OPP_PATH="$_ascend_emulator_home/opp"
export LD_LIBRARY_PATH="$_ascend_emulator_home/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
unset _ascend_emulator_home
SETENV
echo "ascend-emulator built in $out"
