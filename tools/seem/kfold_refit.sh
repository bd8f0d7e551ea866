#!/usr/bin/env bash
# k-fold validation of SEEM with the X1 decomposition refitted inside every fold: each fold's
# X1 fit (tools/seem/fit_x1.py) sees only that fold's training glasses, so no held-out glass
# enters the X1 it is validated with (docs/seem.md, "k-fold validation").
#
# Usage: tools/seem/kfold_refit.sh --data DATA.h5 --db SEEM_DB.h5 --folds K --out DIR
#                                  [--control FIT.h5] [--stzkmc PATH]
#                                  [-- extra `seem validate` options, e.g. --traj 20000]
# Writes DIR/folds.txt (the split, from `stzkmc seem folds`), DIR/x1_fold<F>.{h5,json} (one fit
# per fold, no bootstrap), DIR/x1_folds.txt (their parameters next to --db's), and
# DIR/kfold_refit.{txt,h5} (`seem validate --folds K --fold-fits DIR/x1_fold{fold}.h5`).
# With per-fold fits every fold also chooses its own X1 bin range (its fit moves X1); --control
# FIT.h5 runs the same k-fold with FIT in every fold (DIR/kfold_control.{txt,h5}), which
# separates the effect of refitting from that of the per-fold bin range.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
data=""; db=""; folds=""; out=""; stzkmc=""; control=""; extra=()
while (( $# )); do
  case "$1" in
    --data) data="$2"; shift 2;;  --db) db="$2"; shift 2;;  --folds) folds="$2"; shift 2;;
    --out) out="$2"; shift 2;;  --stzkmc) stzkmc="$2"; shift 2;;  --control) control="$2"; shift 2;;
    --) shift; extra=("$@"); break;;
    -h|--help) sed -n 2,15p "$0"; exit 0;;
    *) echo "kfold_refit.sh: unknown option '$1' (see --help)" >&2; exit 2;;
  esac
done
for v in data db folds out; do
  [[ -n "${!v}" ]] || { echo "kfold_refit.sh: --$v is required (see --help)" >&2; exit 2; }
done
[[ "$folds" =~ ^[0-9]+$ ]] && (( folds >= 2 )) ||
  { echo "kfold_refit.sh: --folds = '$folds': allowed an integer >= 2" >&2; exit 2; }
for f in "$data" "$db" ${control:+"$control"}; do [[ -f "$f" ]] || { echo "kfold_refit.sh: '$f' not found" >&2; exit 1; }; done
if [[ -z "$stzkmc" ]]; then
  for c in "$root"/build/host/stzkmc "$root"/build-*/host/stzkmc; do [[ -x "$c" ]] && { stzkmc="$c"; break; }; done
fi
[[ -n "$stzkmc" && -x "$stzkmc" ]] || { echo "kfold_refit.sh: stzkmc not found; build it or pass --stzkmc" >&2; exit 1; }
py=/usr/bin/python3
mkdir -p "$out"

# The split comes from stzkmc itself, so the fits and the validation cannot disagree on it.
"$stzkmc" seem folds --data "$data" --folds "$folds" > "$out/folds.txt.tmp"
mv "$out/folds.txt.tmp" "$out/folds.txt"
for ((f = 0; f < folds; ++f)); do
  names=$(awk -v f="$f" '$1 == "fold" && $2 == f && $3 == "train" { print $4 }' "$out/folds.txt")
  [[ -n "$names" ]] || { echo "kfold_refit.sh: fold $f has no training glasses in $out/folds.txt" >&2; exit 1; }
  echo "fold $f: fitting X1 on its training glasses"
  $py "$root/tools/seem/fit_x1.py" "$data" "$out/x1_fold$f" --train "$names" --bootstrap 0 --no-plot > "$out/x1_fold$f.log"
done
# The folds' parameters next to the database's (how much the decomposition moves between folds).
$py - "$db" "$out" "$folds" > "$out/x1_folds.txt.tmp" <<'EOF'
import sys
import h5py
db, out, folds = sys.argv[1], sys.argv[2], int(sys.argv[3])
keys = ["G0", "uA", "tauA", "tauB", "u0"]
rows = []
with h5py.File(db, "r") as h:
    rows.append(("--db", [float(h.attrs[k]) for k in keys]))
for f in range(folds):
    with h5py.File(f"{out}/x1_fold{f}.h5", "r") as h:
        rows.append((f"fold {f}", [float(h.attrs[k]) for k in keys]))
print("%-8s %10s %10s %10s %10s %12s" % ("fit", "G0 GPa", "uA eV", "tauA GPa", "tauB GPa", "u0 eV"))
for name, v in rows:
    print("%-8s %10.4g %10.4g %10.4g %10.4g %12.6f" % (name, *v))
EOF
mv "$out/x1_folds.txt.tmp" "$out/x1_folds.txt"
cat "$out/x1_folds.txt"
"$stzkmc" seem validate --db "$db" --data "$data" --folds "$folds" --fold-fits "$out/x1_fold{fold}.h5" \
  -o "$out/kfold_refit.h5" "${extra[@]}" | tee "$out/kfold_refit.txt.tmp"
mv "$out/kfold_refit.txt.tmp" "$out/kfold_refit.txt"
if [[ -n "$control" ]]; then
  for ((f = 0; f < folds; ++f)); do cp "$control" "$out/x1_control$f.h5"; done
  "$stzkmc" seem validate --db "$db" --data "$data" --folds "$folds" --fold-fits "$out/x1_control{fold}.h5" \
    -o "$out/kfold_control.h5" "${extra[@]}" > "$out/kfold_control.txt.tmp"
  mv "$out/kfold_control.txt.tmp" "$out/kfold_control.txt"
  echo "control ($control in every fold, per-fold bin range): $out/kfold_control.txt"
  cat "$out/kfold_control.txt"
fi
