#!/usr/bin/env bash
# Disk full at every point of a run (issue 10): runs a 32^2 deck on a small tmpfs filled so that
# FREE KiB are left, for TRIALS values of FREE spread over 0 .. 2.4 MiB (the whole run needs about
# 2 MiB at its peak, so the last trials run to the end), and checks each run:
#   - it ends with exit 0 (it fitted: then its output is the reference's) or 1 with "No space
#     left on device (ENOSPC)" on stderr: never a signal, never a hang (120 s limit);
#   - the output NAME.h5, if any, opens and says what happened;
#   - every checkpoint left (NAME.ckpt.h5 and NAME.ckpt.prev.h5), once space is freed, resumes
#     to exactly the uninterrupted run's output (tests/io_compare_outputs.py).
# Needs root to mount the tmpfs; exits 77 (ctest: skipped) with a message where it cannot.
# Usage: storage_fault_scan.sh STZKMC SOURCE_DIR [TRIALS]   (the probe of issue 10: TRIALS=50)
set -uo pipefail
stzkmc=${1:?path to stzkmc}; src=${2:?source dir}; trials=${3:-10}
py=/usr/bin/python3
work=$(mktemp -d)
mnt="$work/fs"
cleanup() { mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$mnt"
if ! mount -t tmpfs -o size=3m tmpfs "$mnt" 2>/dev/null; then
  echo "storage fault scan skipped: cannot mount a tmpfs here (needs root)"; exit 77
fi
cat > "$work/deck.toml" <<'TOML'
[grid]
n = 32
[run]
backend = "cpu"
threads = 1
[output]
name = "full"
field_strains = [0.01, 0.02, 0.03, 0.04, 0.05]
checkpoint_strain_interval = 0.005
TOML
"$stzkmc" run "$work/deck.toml" --out "$work/ref" --quiet || { echo "reference run failed"; exit 1; }

failures=0; crashes=0; resumable=0; with_checkpoint=0; fitted=0
for ((i = 0; i < trials; i++)); do
  free_kib=$(( trials > 1 ? i * 2400 / (trials - 1) : 1200 ))
  rm -rf "${mnt:?}"/*
  avail=$(df -k --output=avail "$mnt" | tail -1)
  fill=$(( avail - free_kib ))
  (( fill > 0 )) && dd if=/dev/zero of="$mnt/fill" bs=1k count=$fill status=none 2>/dev/null
  timeout 120 "$stzkmc" run "$work/deck.toml" --out "$mnt/run" --quiet > "$work/log" 2>&1
  rc=$?
  verdict="ok"
  if (( rc == 0 )); then
    ((fitted++))
    $py "$src/tests/io_compare_outputs.py" "$work/ref/full.h5" "$mnt/run/full.h5" > "$work/clog" 2>&1 ||
      verdict="finished with a different result: $(head -1 "$work/clog")"
  elif (( rc == 1 )); then
    grep -q "No space left on device (ENOSPC)" "$work/log" || verdict="exit 1 without an ENOSPC message"
  else
    ((crashes++)); verdict="exit $rc (crash or hang)"
  fi
  if [[ -f "$mnt/run/full.h5" ]]; then
    $py - "$mnt/run/full.h5" > "$work/pylog" 2>&1 <<'PY' || verdict="output unreadable: $(tail -1 "$work/pylog")"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    status = f["meta"].attrs["status"]
    n = len(f["curve"])
    assert status in ("running", "failed", "finished"), status
    for name in f.get("fields", {}):
        for field in f["fields"][name].values():
            field[()]
PY
  fi
  rm -f "$mnt/fill"   # space is back: the checkpoints must resume
  ckpts=()
  [[ -f "$mnt/run/full.ckpt.h5" ]] && ckpts+=(full.ckpt.h5)
  [[ -f "$mnt/run/full.ckpt.prev.h5" ]] && ckpts+=(full.ckpt.prev.h5)
  (( ${#ckpts[@]} )) && ((with_checkpoint++))
  all_resumed=1
  for c in "${ckpts[@]}"; do
    rm -rf "$work/copy"; cp -r "$mnt/run" "$work/copy"
    if ! timeout 120 "$stzkmc" resume "$work/copy/$c" --quiet > "$work/rlog" 2>&1; then
      verdict="$c does not resume: $(tail -1 "$work/rlog")"; all_resumed=0
    elif ! $py "$src/tests/io_compare_outputs.py" "$work/ref/full.h5" "$work/copy/full.h5" > "$work/clog" 2>&1; then
      verdict="$c resumes to a different result: $(head -1 "$work/clog")"; all_resumed=0
    fi
  done
  (( ${#ckpts[@]} && all_resumed )) && ((resumable++))
  [[ $verdict == ok ]] || ((failures++))
  printf 'free %5d KiB: exit %3d, checkpoints: %-30s %s\n' "$free_kib" "$rc" "${ckpts[*]:-none}" "$verdict"
done
echo "storage fault scan: $trials trials, $fitted ran to the end, $crashes crashes or hangs, $with_checkpoint left checkpoints, $resumable of them resumed bitwise to the reference, $failures failures"
(( failures == 0 ))
