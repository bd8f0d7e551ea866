#!/usr/bin/env bash
# Bad inputs of every kind, as a demanding user would try them (issue 10): malformed decks and
# --set values, decks that can never progress, damaged checkpoints, unsafe sweep files, SEEM
# arguments. Each must end within 120 s with an exit code below 128 (no crash, no hang) and,
# where the input is invalid, with the documented exit code. Prints one line per case.
# Usage: bad_input_probe.sh STZKMC SOURCE_DIR
set -uo pipefail
stzkmc=${1:?path to stzkmc}; src=${2:?source dir}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
cat > base.toml <<'TOML'
[grid]
n = 32
[run]
backend = "cpu"
threads = 1
[output]
name = "p"
field_strains = [0.02]
checkpoint_strain_interval = 0.005
TOML
/usr/bin/python3 -c "print('[grid]\n' + '.'.join(['a'] * 40000) + ' = 1')" > deep.toml
/usr/bin/python3 -c "print('[output]\nname = \"' + 'x' * 50000000 + '\"')" > huge.toml
mkfifo fifo.toml
long_name=$(printf 'n%.0s' $(seq 240))

cases=0; bad=0
# check NAME ALLOWED_EXIT_CODES COMMAND...: runs COMMAND, fails the probe if it crashes, hangs,
# or exits with a code outside ALLOWED ("0|3", "2", ...).
check() {
  local name=$1 allowed=$2; shift 2
  local t0=$SECONDS
  timeout -k 5 120 "$@" > out.log 2>&1 < /dev/null
  local rc=$? verdict=ok
  if (( rc >= 124 )); then verdict="CRASH OR HANG"; elif [[ ! "|$allowed|" == *"|$rc|"* ]]; then verdict="unexpected exit code"; fi
  ((cases++)); [[ $verdict == ok ]] || ((bad++))
  printf '%-48s exit %3d  %3ds  %-22s %s\n' "$name" "$rc" $((SECONDS - t0)) "$verdict" \
    "$(grep -m1 -E 'stzkmc:|error|invalid|warning|stalled|  ' out.log | cut -c1-110)"
}

run() { "$stzkmc" run base.toml --out "out/$1" --quiet "${@:2}"; }
export -f run 2>/dev/null || true

# ---- decks and --set ------------------------------------------------------------------------
check "40,000-deep dotted key"                 2  "$stzkmc" run deep.toml --out out/deep
check "a directory as the deck"                2  "$stzkmc" run "$work" --out out/dir
check "/dev/zero as the deck"                  2  "$stzkmc" run /dev/zero --out out/zero
check "a FIFO as the deck"                     2  "$stzkmc" run fifo.toml --out out/fifo
check "a 50 MB string value"                   2  "$stzkmc" run huge.toml --out out/huge
check "--set with an embedded newline"         2  "$stzkmc" run base.toml --out out/nl --set "$(printf 'grid.n=64\ngrid.modes=2')"
check "full_solve_interval=4294967297"         2  "$stzkmc" run base.toml --out out/i1 --set solver.full_solve_interval=4294967297
check "full_solve_interval=2147483648"         2  "$stzkmc" run base.toml --out out/i2 --set solver.full_solve_interval=2147483648
check "record_interval=1e-300"                 2  "$stzkmc" run base.toml --out out/ri --set loading.record_interval=1e-300
check "240-character output.name"              2  "$stzkmc" run base.toml --out out/ln --set "output.name=$long_name"
check "output.field_strains=[]"                0  "$stzkmc" run base.toml --out out/empty --quiet --set "output.field_strains=[]"
check "grid.n=65536 (memory)"                  2  "$stzkmc" run base.toml --out out/huge_grid --set grid.n=65536
check "kinetics.temperature=1e-300"            2  "$stzkmc" run base.toml --out out/t0 --set kinetics.temperature=1e-300
check "loading.strain_step=1e-14"              2  "$stzkmc" run base.toml --out out/ss --set loading.strain_step=1e-14
check "loading.end_strain=1e9"                 2  "$stzkmc" run base.toml --out out/es --set loading.end_strain=1e9
check "an unknown key 10 kB long"              2  "$stzkmc" run base.toml --out out/uk --set "grid.$(printf 'k%.0s' $(seq 10000))=1"
check "--out is a file"                        2  "$stzkmc" run base.toml --out base.toml
check "solver.precision=mixed on reference"     2  "$stzkmc" run base.toml --out out/bc --set solver.precision=mixed --set run.backend=reference
check "kinetics.bound_slack=0"                  2  "$stzkmc" run base.toml --out out/bs0 --set kinetics.rule=bounded --set kinetics.bound_slack=0
check "kinetics.bound_slack=1e6"                2  "$stzkmc" run base.toml --out out/bs6 --set kinetics.rule=bounded --set kinetics.bound_slack=1e6
check "softening_clock=event, rule reference"   2  "$stzkmc" run base.toml --out out/sce --set kinetics.softening_clock=event

# ---- stages ([[stage]] tables, --set stage.K.NAME, resume --append-stage) ------------------------
printf '[[stage]]\nend_strain = 0.01\n[[stage]]\nstrain_rate = -1e-4\nstop_stress = 0.0\n' > stages.toml
cat base.toml stages.toml > staged.toml
printf '[stage]\nend_strain = 0.01\n' | cat base.toml - > stage_table.toml
printf '[[stage]]\nmode = "shear"\n' | cat base.toml - > stage_mode.toml
printf '[[stage]]\nstrain_rate = -1e-4\n' | cat base.toml - > stage_unload_first.toml
printf '[[stage]]\ntemperature = 0.5\n' | cat base.toml - > stage_cold.toml
printf '[[stage]]\nendstrain = 0.01\n' | cat base.toml - > stage_typo.toml
/usr/bin/python3 -c "print('\n'.join(['[[stage]]\nend_strain = 0.01'] * 1001))" | cat base.toml - > stage_many.toml
printf '[loading]\nstrain_rate = 1.0\n' > not_stages.toml
check "[stage] as a table, not [[stage]]"        2  "$stzkmc" run stage_table.toml --out out/st1
check "[[stage]] sets loading.mode"              2  "$stzkmc" run stage_mode.toml --out out/st2
check "a first stage that unloads"               2  "$stzkmc" run stage_unload_first.toml --out out/st3
check "[[stage]] temperature = 0.5 K"            2  "$stzkmc" run stage_cold.toml --out out/st4
check "[[stage]] with a misspelt key"            2  "$stzkmc" run stage_typo.toml --out out/st5
check "1001 [[stage]] tables"                    2  "$stzkmc" run stage_many.toml --out out/st6
check "--set stage.3.end_strain (2 stages)"      2  "$stzkmc" run staged.toml --out out/st7 --set stage.3.end_strain=0.02
check "--set stage.x.end_strain"                 2  "$stzkmc" run staged.toml --out out/st8 --set stage.x.end_strain=0.02
check "--set stage.2.cycles=0"                   2  "$stzkmc" run staged.toml --out out/st9 --set stage.2.protocol=cyclic --set stage.2.cycles=0
check "a staged run"                             0  "$stzkmc" run staged.toml --out out/st10 --quiet --set output.keep_final_checkpoint=true
check "--append-stage with a [loading] table"    2  "$stzkmc" resume out/st10/p.ckpt.h5 --append-stage not_stages.toml
check "--append-stage of a missing file"         2  "$stzkmc" resume out/st10/p.ckpt.h5 --append-stage missing.toml
check "--append-stage to a finished run"         0  "$stzkmc" resume out/st10/p.ckpt.h5 --append-stage stages.toml --quiet
check "--append-stage, checkpoints removed"      2  "$stzkmc" resume out/empty/p.ckpt.h5 --append-stage stages.toml

# ---- decks that can never progress: rejected (2) or stopped by the watchdog (3) ----------------
for s in "catalog.barrier_mean=0" "catalog.barrier_mean=0.34" "athermal.threshold=5" "kinetics.temperature=500" \
         "kinetics.temperature=1000" "kinetics.temperature=10000" "kinetics.attempt_frequency=1e30" \
         "elastic.youngs_modulus=1e6" "grid.voxel_size=100" "catalog.gamma_star=5" "softening.kappa_t=1e6" \
         "catalog.barrier_std=5" "loading.strain_rate=1e-300" "kinetics.rule=residence-time kinetics.temperature=800" \
         "kinetics.rule=probabilistic kinetics.temperature=800" "loading.stop_stress=1e10" \
         "kinetics.rule=bounded kinetics.temperature=800" "kinetics.rule=bounded catalog.barrier_mean=0.34" \
         "kinetics.rule=bounded kinetics.bound_slack=8" "kinetics.rule=bounded kinetics.bound_slack=1e-9"; do
  sets=(); for kv in $s; do sets+=(--set "$kv"); done
  check "cannot progress: $s" "0|2|3" "$stzkmc" run base.toml --out "out/np_${s//[^a-z0-9]/_}" --quiet "${sets[@]}"
done

# ---- checkpoints and run directories ----------------------------------------------------------
"$stzkmc" run base.toml --out out/ck --quiet --set loading.end_strain=1.0 > /dev/null 2>&1 &
pid=$!
for _ in $(seq 3000); do [[ -f out/ck/p.ckpt.h5 ]] && break; sleep 0.01; done
check "resume while the run is going"           2  "$stzkmc" resume out/ck/p.ckpt.h5
check "run --force while the run is going"      2  "$stzkmc" run base.toml --out out/ck --force
kill -TERM $pid; wait $pid
check "run into an unfinished run"              2  "$stzkmc" run base.toml --out out/ck
cp out/ck/p.ckpt.h5 nan.ckpt.h5
/usr/bin/python3 - nan.ckpt.h5 <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    f["driver"].attrs["time"] = np.nan   # the digest no longer matches
PY
check "a checkpoint with NaN time"              2  "$stzkmc" resume nan.ckpt.h5
head -c 100000 out/ck/p.ckpt.h5 > cut.ckpt.h5
check "a truncated checkpoint"                  2  "$stzkmc" resume cut.ckpt.h5
check "an output file given to resume"          2  "$stzkmc" resume out/empty/p.h5
check "analyze a checkpoint"                    "1|2" "$stzkmc" analyze out/ck/p.ckpt.h5

# ---- sweeps ------------------------------------------------------------------------------------
sweep() {  # a sweep file over base.toml with one seed, unless it sets its own
  local seeds='seeds = [1]'; [[ $1 == *replicas* ]] && seeds=''
  printf 'base = "%s"\n%s\n%s\n' "$work/base.toml" "$seeds" "$1" > s.toml
}
sweep '[[case]]
label = "../../../x"
"grid.n" = 16'
check "sweep label ../../../x"                  "2" "$stzkmc" sweep s.toml --dry-run
sweep '[slurm]
partition = "gpu\nrm -rf ~"'
check "sweep partition with a newline"          "2" "$stzkmc" sweep s.toml --dry-run
sweep '[[case]]
label = "a\tb"
"grid.n" = 16'
check "sweep label with a tab"                  "2" "$stzkmc" sweep s.toml --dry-run
sweep '[grid]
"grid.nn" = [32]'
check "sweep with an unknown deck key"          "2" "$stzkmc" sweep s.toml --dry-run
sweep 'replicas = 1e8'
check "sweep replicas = 1e8"                    "2" "$stzkmc" sweep s.toml --dry-run
sweep 'replicas = 10000000'
check "sweep replicas = 10000000"               "2" "$stzkmc" sweep s.toml --dry-run
printf 'base = "%s"\nseeds = [1]\nreplicas = 3\n' "$work/base.toml" > s.toml
check "sweep with both seeds and replicas"      "2" "$stzkmc" sweep s.toml --dry-run

# ---- SEEM --------------------------------------------------------------------------------------
db="$src/data/seem/seem_db.h5"
if [[ -f $db ]]; then
  for a in "--x1 nan" "--x1 inf" "--x1 0.02 --tau nan" "--x1 0.02 --dgamma -1" "--x1 0.02 --dgamma nan" \
           "--x1 0.02 --gamma-max inf" "--x1 0.5 --strict"; do
    # shellcheck disable=SC2086
    check "seem run $a" "1|2" "$stzkmc" seem run --db "$db" --traj 10 $a
  done
  check "seem x1 --fit with a database"         1  "$stzkmc" seem x1 --pe -4.4 --fit "$db"
  check "seem folds --folds 9"                  1  "$stzkmc" seem folds --data "$src/data/seem/cuzr_aqs.h5" --folds 9
  check "seem harvest --data with a database"   1  "$stzkmc" seem harvest --data "$db" -o "$work/x.h5" --u0 1 --omega 1
  for a in "--folds 9" "--folds 1" "--folds 8 --fold-fits $db" "--fold-fits $work/f{fold}.h5" \
           "--folds 8 --fold-fits $work/missing{fold}.h5" "--folds 8 --fold-fits $db{fold}"; do
    # shellcheck disable=SC2086
    check "seem validate $a" "1|2" "$stzkmc" seem validate --db "$db" --data "$src/data/seem/cuzr_aqs.h5" --traj 10 $a
  done
  for a in "--window 5" "--window nan" "--window 0.05 --starts-x1 0" "--window 0.05 --bootstrap 3" \
           "--window 0.05 --bootstrap -1" "--window 0.05 --data $db"; do
    # shellcheck disable=SC2086
    check "seem fixedpoint $a" "1|2" "$stzkmc" seem fixedpoint --db "$db" --traj 10 --gamma-max 0.1 --starts-x1 1 \
      --starts-tau 1 $a
  done
fi
echo "bad input probe: $cases cases, $bad with a crash, a hang or an unexpected exit code"
(( bad == 0 ))
