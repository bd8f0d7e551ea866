#!/usr/bin/env bash
# Random single-bit flips in a checkpoint, resumed through the command line as a user would
# (issue 10): each damaged copy must be refused (exit 2) or, if the flip hit bytes that hold no
# value, resume to exactly the undamaged run's output. Never a crash, never a different result.
# Usage: checkpoint_flip_scan.sh STZKMC SOURCE_DIR [FLIPS]   (CI runs the in-process version of
# this in tests/test_io_robustness.cpp; this script is the end-to-end probe)
set -uo pipefail
stzkmc=${1:?path to stzkmc}; src=${2:?source dir}; flips=${3:-100}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cat > "$work/deck.toml" <<'TOML'
[grid]
n = 16
[run]
backend = "cpu"
threads = 1
[loading]
end_strain = 0.15
[output]
name = "f"
field_strains = [0.02]
checkpoint_strain_interval = 0.01
TOML
"$stzkmc" run "$work/deck.toml" --out "$work/ref" --quiet || exit 1
# A checkpoint to damage: the same run stopped with SIGTERM right after its second checkpoint.
"$stzkmc" run "$work/deck.toml" --out "$work/run" --quiet &
pid=$!
for _ in $(seq 5000); do [[ -f "$work/run/f.ckpt.prev.h5" ]] && break; sleep 0.002; done
kill -TERM $pid; wait $pid
refused=0; same=0; different=0; crashed=0
size=$(stat -c %s "$work/run/f.ckpt.h5")
for ((i = 0; i < flips; i++)); do
  rm -rf "$work/try"; cp -r "$work/run" "$work/try"; rm -f "$work/try/f.ckpt.prev.h5"
  bit=$(( (RANDOM * 32768 + RANDOM) % (size * 8) ))
  /usr/bin/python3 - "$work/try/f.ckpt.h5" $bit <<'PY'
import sys
path, bit = sys.argv[1], int(sys.argv[2])
with open(path, "r+b") as f:
    f.seek(bit // 8); b = f.read(1)[0]; f.seek(bit // 8); f.write(bytes([b ^ (1 << (bit % 8))]))
PY
  timeout 120 "$stzkmc" resume "$work/try/f.ckpt.h5" --quiet > "$work/log" 2>&1
  rc=$?
  if (( rc == 2 )); then ((refused++))
  elif (( rc == 0 )) && /usr/bin/python3 "$src/tests/io_compare_outputs.py" "$work/ref/f.h5" "$work/try/f.h5" > /dev/null 2>&1; then ((same++))
  elif (( rc == 0 )); then ((different++)); echo "bit $bit: resumed to a DIFFERENT result"
  else ((crashed++)); echo "bit $bit: exit $rc"; fi
done
echo "checkpoint flip scan: $flips flips of a $size-byte checkpoint: $refused refused, $same resumed to the same result, $different to a different result, $crashed other exits"
(( different == 0 && crashed == 0 ))
