#!/usr/bin/env bash
# SEEM end to end: LAMMPS training data -> HDF5 dataset -> X1 fit -> harvest -> run ->
# validation against held-out samples -> figures (docs/seem.md).
#
# Usage:
#   tools/seem/pipeline.sh                     # everything, generating new LAMMPS data (24 glasses: ~25 min on 2 idle cores)
#   tools/seem/pipeline.sh --from-committed    # reuse data/seem/cuzr_aqs.h5 (no LAMMPS needed, ~1 min)
# Options:
#   --out DIR          work/output directory (default out/seem)
#   --stzkmc PATH      the stzkmc binary (default build/host/stzkmc, then build-*/host/stzkmc)
#   --holdout N        samples per cooling rate held out for validation (default 2)
#   --traj N           SEEM trajectories per ensemble (default 20000)
#   --criterion C --threshold T --lambda-policy P
#                      harvest settings (default: drop 0 raw = the paper's stress drops); the
#                      "elastic 0.002" event definition and the other lambda policy are validated
#                      for comparison (docs/seem.md)
#   --data FILE        start from an existing dataset (skips LAMMPS), like --from-committed
#   --update-committed copy dataset, fit, database and figures into data/seem/
#   anything after --  is passed to tools/seem/generate.sh (e.g. -- --samples 4 --gmax 0.2)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
out="out/seem"; stzkmc=""; holdout=2; traj=20000; from_committed=0; update=0; gen_args=(); data=""; policy=raw; criterion=drop; threshold=0
while (( $# )); do
  case "$1" in
    --out) out="$2"; shift 2;;  --stzkmc) stzkmc="$2"; shift 2;;  --holdout) holdout="$2"; shift 2;;
    --traj) traj="$2"; shift 2;;  --from-committed) from_committed=1; shift;;
    --lambda-policy) policy="$2"; shift 2;;  --criterion) criterion="$2"; shift 2;;
    --threshold) threshold="$2"; shift 2;;
    --update-committed) update=1; shift;;  --data) data="$2"; from_committed=1; shift 2;;
    --) shift; gen_args=("$@"); break;;
    -h|--help) sed -n 2,21p "$0"; exit 0;;
    *) echo "pipeline.sh: unknown option '$1'" >&2; exit 2;;
  esac
done
if [[ -z "$stzkmc" ]]; then
  for c in build/host/stzkmc build-*/host/stzkmc; do [[ -x "$c" ]] && { stzkmc="$c"; break; }; done
fi
[[ -n "$stzkmc" && -x "$stzkmc" ]] || { echo "pipeline.sh: stzkmc not found; build it (tools/build.sh) or pass --stzkmc" >&2; exit 1; }
py=/usr/bin/python3
mkdir -p "$out/figures"
step() { echo; echo "=== $(date +%T) $*"; }

if (( from_committed )); then
  [[ -n "$data" ]] || data="data/seem/cuzr_aqs.h5"
  [[ -f "$data" ]] || { echo "pipeline.sh: $data missing" >&2; exit 1; }
else
  step "1/7 generate: LAMMPS quench + AQS (log: $out/lammps/progress.log)"
  tools/seem/generate.sh --out "$out/lammps" "${gen_args[@]}"
  step "2/7 convert to HDF5"
  data="$out/cuzr_aqs.h5"
  $py tools/seem/lammps_to_h5.py "$out/lammps" "$data"
fi

step "3/7 fit X1 parameters (training samples only)"
$py tools/seem/fit_x1.py "$data" "$out/x1_fit" --holdout "$holdout"

step "4/7 harvest the SEEM database"
"$stzkmc" seem harvest --data "$data" --fit "$out/x1_fit.h5" --holdout "$holdout" --lambda-policy "$policy" \
  --criterion "$criterion" --threshold "$threshold" -o "$out/seem_db.h5"

step "5/7 SEEM run from the mean unstressed state of the slowest quench (demo)"
read -r x1s <<<"$($py - "$data" "$out/x1_fit.h5" <<'EOF'
import sys, h5py, numpy as np
d, f = sys.argv[1], sys.argv[2]
a = h5py.File(f, "r").attrs
with h5py.File(d, "r") as h:
    gs = list(h["samples"].values())
    slow = min(g.attrs["cooling_rate"] for g in gs)
    print(np.mean([g["pe"][0] - a["u0"] for g in gs if g.attrs["cooling_rate"] == slow]))
EOF
)"
"$stzkmc" seem run --db "$out/seem_db.h5" --x1 "$x1s" --tau 0 --traj "$traj" --save-trajectories 5 \
  -o "$out/seem_run.h5"

step "6/7 validate against held-out samples"
"$stzkmc" seem validate --db "$out/seem_db.h5" --data "$data" --holdout "$holdout" --traj "$traj" \
  -o "$out/validation.h5" | tee "$out/validation.txt"
# for comparison (docs/seem.md): events as a shortfall against elastic loading (this also
# catches plastic steps without a stress drop), and the other lambda policy
"$stzkmc" seem harvest --data "$data" --fit "$out/x1_fit.h5" --holdout "$holdout" --criterion elastic \
  --threshold 0.002 -o "$out/seem_db_elastic.h5" > /dev/null
"$stzkmc" seem validate --db "$out/seem_db_elastic.h5" --data "$data" --holdout "$holdout" --traj "$traj" \
  > "$out/validation_elastic.txt"
if [[ "$policy" == raw ]]; then other_policy=monotone; else other_policy=raw; fi
"$stzkmc" seem validate --db "$out/seem_db.h5" --data "$data" --holdout "$holdout" --traj "$traj" \
  --lambda-policy "$other_policy" > "$out/validation_$other_policy.txt"
"$stzkmc" seem bench --db "$out/seem_db.h5" | tee "$out/bench.txt"
# k-fold over glasses: every glass held out once (up to 8 folds, as many as the smallest rate has glasses)
folds=$($py -c "import h5py, collections, sys; c = collections.Counter(g.attrs['cooling_rate'] for g in h5py.File(sys.argv[1])['samples'].values()); print(min(8, min(c.values())))" "$data")
if (( folds >= 2 )); then
  "$stzkmc" seem validate --db "$out/seem_db.h5" --data "$data" --folds "$folds" --traj "$traj" \
    -o "$out/kfold$folds.h5" | tee "$out/kfold$folds.txt"
  # the same with the X1 decomposition refitted inside every fold (no held-out glass in the fit)
  tools/seem/kfold_refit.sh --data "$data" --db "$out/seem_db.h5" --folds "$folds" --out "$out/kfold_refit" \
    --control "$out/x1_fit.h5" --stzkmc "$stzkmc" -- --traj "$traj"
fi
# the steady state: 10 starts to strain 1.5, a bootstrap over the training glasses, the
# atomistic steady state of all glasses (docs/seem.md, "The fixed point")
"$stzkmc" seem fixedpoint --db "$out/seem_db.h5" --data "$data" --traj "$traj" --bootstrap 200 \
  --bootstrap-traj 2000 -o "$out/fixed_point.h5" | tee "$out/fixed_point.txt"
# the strain step: the step process at four steps against the Poisson process
$py tools/seem/dgamma_convergence.py --stzkmc "$stzkmc" --db "$out/seem_db.h5" --x1 "$x1s" --traj 100000 \
  --out "$out/dgamma"

step "7/7 figures"
$py tools/seem/plot_seem.py --db "$out/seem_db.h5" --validation "$out/validation.h5" --data "$data" \
  --fit "$out/x1_fit.json" --holdout "$holdout" --bench "$out/bench.txt" --fixed-point "$out/fixed_point.h5" \
  --run "$out/seem_run.h5" --out "$out/figures"
cp "$out/x1_fit.png" "$out/figures/x1_fit.png" 2>/dev/null || true

if (( update )); then
  step "copy results into data/seem/"
  mkdir -p data/seem/figures
  [[ "$(realpath "$data")" == "$(realpath -m data/seem/cuzr_aqs.h5)" ]] || cp "$data" data/seem/cuzr_aqs.h5
  cp "$out/x1_fit.h5" "$out/x1_fit.json" "$out/seem_db.h5" "$out/validation.txt" "$out/validation_elastic.txt" \
     "$out/validation_$other_policy.txt" "$out/bench.txt" "$out/fixed_point.h5" "$out/fixed_point.txt" \
     "$out/dgamma/dgamma_convergence.txt" data/seem/
  if (( folds >= 2 )); then
    cp "$out/kfold$folds.txt" "$out/kfold$folds.h5" data/seem/
    cp "$out/kfold_refit/kfold_refit.txt" "data/seem/kfold${folds}_refit.txt"
    cp "$out/kfold_refit/kfold_refit.h5" "data/seem/kfold${folds}_refit.h5"
    cp "$out/kfold_refit/x1_folds.txt" "data/seem/x1_folds${folds}.txt"
    cp "$out/kfold_refit/kfold_control.txt" "data/seem/kfold${folds}_control.txt"
  fi
  cp "$out/dgamma/dgamma_convergence.png" data/seem/figures/
  cp "$out"/figures/*.png "$out/figures/seem_summary.json" data/seem/figures/
fi
echo; echo "done: results in $out (figures in $out/figures)"
