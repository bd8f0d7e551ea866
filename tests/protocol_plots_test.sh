#!/bin/bash
# The protocols' example decks at 16^2 (creep, relaxation, cyclic, load-unload-reload with stages
# appended by resume --append-stage: docs/model.md §6.5-6.8) run to their ends and
# tools/plot_run.py draws each one's figure; the cyclic table has one line per cycle.
# usage: protocol_plots_test.sh STZKMC SOURCE_DIR
set -u
bin=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
py=/usr/bin/python3
$py -c "import h5py, matplotlib" 2>/dev/null || { echo "SKIPPED: /usr/bin/python3 lacks h5py or matplotlib"; exit 77; }
cd "$work" || exit 1
run() {
  local deck=$1 name=$2
  shift 2
  "$bin" run "$src/runs/protocols/$deck" --set grid.n=16 --set output.name="$name" --out "$work/$name" --quiet "$@" \
    > "$work/$name.log" 2>&1 || fail "$deck did not finish: $(tail -3 "$work/$name.log")"
}
run creep.toml creep --set loading.creep_stress=1.9
run relaxation.toml relaxation --set loading.end_time=100
run cyclic.toml cyclic --set loading.cycles=2 --set loading.cyclic_amplitude=0.02
run stress_cycles.toml stress_cycles --set loading.cycles=2 --set loading.cyclic_mean=1.0 --set loading.cyclic_amplitude=0.5
run load_unload_reload.toml lur
"$bin" resume "$work/lur/lur.ckpt.h5" --append-stage "$src/runs/protocols/warm_hold.stages.toml" --quiet \
  > "$work/lur_resume.log" 2>&1 || fail "resume --append-stage: $(tail -3 "$work/lur_resume.log")"
$py - "$work/lur/lur.h5" <<'PY' || fail "the appended run is not 5 finished stages"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    stages = f["analysis/stages"]
    assert len(stages) == 5 and all(bool(stages[k].attrs["ended"]) for k in stages), list(stages)
    assert int(f["deck"].attrs["stages"]) == 5 and f["curve"]["stage"][-1] == 4
    assert f["meta"].attrs["status"] in ("finished", b"finished")
PY
for name in creep relaxation cyclic stress_cycles lur; do
  $py "$src/tools/plot_run.py" "$work/$name/$name.h5" > "$work/$name.plot" 2>&1 || fail "plot_run.py on $name: $(tail -3 "$work/$name.plot")"
done
kind() { [ -s "$work/$1/$1_$2.png" ] || fail "no $1_$2.png"; }
kind creep creep
kind relaxation relaxation
kind cyclic cycles
kind stress_cycles cycles
kind lur stages
[ "$(grep -c '^cycle [0-9]*: stress 0.500 to 1.500 GPa' "$work/stress_cycles.plot")" = 2 ] ||
  fail "stress cycles table: $(cat "$work/stress_cycles.plot")"
[ "$(grep -c '^cycle [0-9]*:' "$work/cyclic.plot")" = 2 ] || fail "cyclic table: $(cat "$work/cyclic.plot")"
echo "protocol plots: creep, relaxation, cyclic, load-unload-reload + 2 appended stages drawn; $(grep -c '^cycle' "$work/cyclic.plot") cycles tabulated"
