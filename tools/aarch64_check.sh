#!/usr/bin/env bash
# The CPU backend's hot loops on aarch64 compute the x86 bits (issue 15; docs/performance.md,
# "Other CPUs"): cross-compiles tests/isa/hot_loops_isa.cpp with tests/isa/isa_digest.cpp for
# aarch64 twice — the portable build's NEON code (-march=armv8-a) and SVE code
# (-march=armv8.2-a+sve) — runs them under qemu (SVE at vector lengths 128, 256, 512 and 2048
# bits) and requires every result digest to equal the x86 build's (ctest isa_aarch64 passes
# that build's stz_isa_digest). No aarch64 machine needed; speed is not measured (emulated).
#
# Usage: tools/aarch64_check.sh X86_DIGEST_BINARY [WORK_DIR]
# Needs aarch64-linux-gnu-g++ and qemu-aarch64 (Debian: g++-aarch64-linux-gnu qemu-user;
# tools/install_deps.sh --with-aarch64-check); exits 77 (skipped) without them.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
x86_digest=${1:?usage: tools/aarch64_check.sh X86_DIGEST_BINARY [WORK_DIR]}
work=${2:-$(mktemp -d)}
mkdir -p "$work"
for tool in aarch64-linux-gnu-g++ aarch64-linux-gnu-objdump qemu-aarch64; do
  if ! command -v "$tool" >/dev/null; then
    echo "aarch64 check: skipped ($tool not found; tools/install_deps.sh --with-aarch64-check installs it)"
    exit 77
  fi
done

"$x86_digest" > "$work/x86.txt"
# The flags of the project's build (CMakeLists.txt, stz_flags) that decide the bits.
flags=(-std=c++17 -O3 -DNDEBUG -ffp-contract=off -fno-trapping-math -fopenmp -static
       -I"$here/tests" -I"$here/include" -I"$here/host" -I"$here")
status=0
compare() {  # name, output file
  if diff <(grep -v '^#' "$work/x86.txt") <(grep -v '^#' "$2") > "$work/$1.diff"; then
    echo "aarch64 check: $1 = x86 ($(grep -vc '^#' "$2") digests)"
  else
    echo "aarch64 check: $1 DIFFERS from x86:"
    head -20 "$work/$1.diff"
    status=1
  fi
}
for level in neon sve; do
  march=armv8-a
  [[ $level == sve ]] && march=armv8.2-a+sve
  aarch64-linux-gnu-g++ "${flags[@]}" -march="$march" -DSTZ_HOT_LEVEL="$level" \
    "$here/tests/isa/hot_loops_isa.cpp" "$here/tests/isa/isa_digest.cpp" -o "$work/digest_$level" \
    2> "$work/build_$level.log" || { cat "$work/build_$level.log"; exit 1; }
  # A build for SVE must contain SVE code, or the check below would prove nothing.
  if [[ $level == sve ]] && (( $(aarch64-linux-gnu-objdump -d "$work/digest_sve" | grep -cE '\bwhilelo\b') == 0 )); then
    echo "aarch64 check: the SVE build has no SVE loop (no whilelo)"
    exit 1
  fi
done
emulate() {  # name, binary, qemu cpu: runs it, and compares unless it failed (then says so)
  if qemu-aarch64 -cpu "$3" "$2" > "$work/$1.txt" 2> "$work/$1.err"; then
    compare "$1" "$work/$1.txt"
  else
    echo "aarch64 check: $1 FAILED to run under qemu (-cpu $3):"
    tail -5 "$work/$1.err"
    status=1
  fi
}
emulate neon "$work/digest_neon" cortex-a57
cat "$work/neon.err"
for bytes in 16 32 64 256; do
  emulate "sve$((bytes * 8))" "$work/digest_sve" "max,sve-default-vector-length=$bytes"
done
cat "$work/sve2048.err"
exit "$status"
