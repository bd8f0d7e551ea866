#!/usr/bin/env bash
# tools/seem/kfold_refit.sh on the committed dataset, small: the split comes from `stzkmc seem
# folds`, every fold's X1 fit sees exactly its training glasses, and `seem validate --fold-fits`
# uses one fit per fold (docs/seem.md, "The X1 fit inside the folds").
set -euo pipefail
stzkmc=${1:?usage: seem_kfold_refit_test.sh STZKMC SOURCE_DIR}
src=${2:?usage: seem_kfold_refit_test.sh STZKMC SOURCE_DIR}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bash "$src/tools/seem/kfold_refit.sh" --data "$src/data/seem/cuzr_aqs.h5" --db "$src/data/seem/seem_db.h5" \
  --folds 2 --out "$work/r" --control "$src/data/seem/x1_fit.h5" --stzkmc "$stzkmc" -- --traj 200 > "$work/log.txt"
for f in folds.txt x1_fold0.h5 x1_fold1.h5 x1_folds.txt kfold_refit.txt kfold_refit.h5 kfold_control.txt; do
  [[ -s "$work/r/$f" ]] || { echo "missing $f"; cat "$work/log.txt"; exit 1; }
done
grep -q 'one per fold from --fold-fits' "$work/r/kfold_refit.txt" || { echo "validate did not take the fold fits"; exit 1; }
# Each fit's training glasses are the fold's training line, the two folds' differ, and so do the fits.
/usr/bin/python3 - "$work/r" <<'PY'
import sys
import h5py
d = sys.argv[1]
train = {}
for line in open(f"{d}/folds.txt"):
    w = line.split()
    if w[2] == "train":
        train[int(w[1])] = w[3].split(",")
assert sorted(train) == [0, 1], train
fits = []
for f in (0, 1):
    with h5py.File(f"{d}/x1_fold{f}.h5", "r") as h:
        got = h.attrs["training_samples"]
        got = got.decode() if isinstance(got, bytes) else got
        assert sorted(got.split(",")) == sorted(train[f]), (f, got, train[f])
        fits.append([float(h.attrs[k]) for k in ("G0", "uA", "u0")])
assert not set(train[0]) & set(train[1]), "2 folds: disjoint training sets"
assert fits[0] != fits[1], fits
print("fold fits:", fits)
PY
# bad input: names that are not samples, and a bad fold count
set +e
/usr/bin/python3 "$src/tools/seem/fit_x1.py" "$src/data/seem/cuzr_aqs.h5" "$work/bad" --train r10_s00,nosuch \
  --bootstrap 0 --no-plot > "$work/msg.txt" 2>&1
rc=$?
set -e
[[ $rc != 0 ]] && grep -q "nosuch" "$work/msg.txt" || { echo "fit_x1.py --train with an unknown name: rc $rc"; cat "$work/msg.txt"; exit 1; }
[[ ! -e "$work/bad.h5" ]] || { echo "fit file written despite the error"; exit 1; }
set +e
bash "$src/tools/seem/kfold_refit.sh" --data "$src/data/seem/cuzr_aqs.h5" --db "$src/data/seem/seem_db.h5" \
  --folds 1 --out "$work/x" > "$work/msg.txt" 2>&1
rc=$?
set -e
[[ $rc == 2 ]] && grep -q -- "--folds = '1'" "$work/msg.txt" || { echo "--folds 1: rc $rc"; cat "$work/msg.txt"; exit 1; }
echo "seem_kfold_refit: ok"
