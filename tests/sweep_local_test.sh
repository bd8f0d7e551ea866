#!/usr/bin/env bash
# The local sweep runner end to end on tiny decks: 2 cases x 2 seeds with -j 2, a rerun that skips
# finished runs, a partial run (killed, checkpoint left) that resumes, and `collect`.
set -euo pipefail
stzkmc=${1:?path to stzkmc}; src=${2:?source dir}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cat > "$work/tiny.sweep.toml" <<TOML
name = "tiny"
base = "$src/runs/quickstart.toml"
seeds = [1, 2]
[set]
"grid.n" = 48
"run.backend" = "cpu"
"output.checkpoint_strain_interval" = 0.002
[grid]
"loading.strain_rate" = [1e-4, 100.0]
TOML
"$stzkmc" sweep "$work/tiny.sweep.toml" --dry-run | tee "$work/plan.txt"
grep -q "4 runs" "$work/plan.txt"
"$stzkmc" sweep "$work/tiny.sweep.toml" --local -j 2
out="$work/results/tiny"
for d in "$out"/*/seed-*; do test -f "$d/DONE" && test -f "$d/run.h5"; done
test "$(ls -d "$out"/*/seed-* | wc -l)" -eq 4
# A rerun starts nothing.
"$stzkmc" sweep "$work/tiny.sweep.toml" --local -j 2 | tee "$work/rerun.txt"
grep -q "4 already finished, 0 to run" "$work/rerun.txt"
# A run that was cut off mid-way (SIGKILL after its first checkpoint, DONE missing) is resumed,
# not restarted, and ends with exactly the curve of the uninterrupted run.
victim="$out/strain_rate=1e-04/seed-2"
cp "$victim/run.h5" "$work/reference.h5"
rm -f "$victim/DONE" "$victim"/run.*
"$stzkmc" sweep "$work/tiny.sweep.toml" --dry-run | awk '/strain_rate=1e-04\/seed-2$/ {getline; print}' > "$work/victim_cmd.txt"
read -r -a cmd < "$work/victim_cmd.txt"
"${cmd[@]}" > /dev/null 2>&1 &
pid=$!
for _ in $(seq 2000); do [[ -f "$victim/run.ckpt.h5" ]] && break; sleep 0.005; done
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
test -f "$victim/run.ckpt.h5"
"$stzkmc" sweep "$work/tiny.sweep.toml" --dry-run > "$work/plan2.txt"
grep -q "resume" "$work/plan2.txt"
"$stzkmc" sweep "$work/tiny.sweep.toml" --local -j 2 | tee "$work/resume.txt"
grep -q "1 to run" "$work/resume.txt"
test -f "$victim/DONE"
/usr/bin/python3 - "$work/reference.h5" "$victim/run.h5" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1]) as a, h5py.File(sys.argv[2]) as b:
    ca, cb = a["curve"][()], b["curve"][()]
    assert ca.shape == cb.shape and all(np.array_equal(ca[k], cb[k]) for k in ca.dtype.names), "resumed curve differs"
PY
"$stzkmc" collect "$work/tiny.sweep.toml"
test "$(tail -n +2 "$out/summary.csv" | wc -l)" -eq 4
test "$(tail -n +2 "$out/cases.csv" | wc -l)" -eq 2
for f in summary.h5 stress_strain.png yield.png localization.png; do test -s "$out/$f"; done
/usr/bin/python3 - "$out/summary.h5" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1]) as f:
    peak = f["runs/peak_stress"][()]
    rate = f["runs/loading.strain_rate"].asstr()[()]
    assert len(peak) == 4 and np.all(np.isfinite(peak)), peak
    slow = peak[rate == "1e-04"].mean(); fast = peak[rate == "100"].mean()
    assert fast > slow, (slow, fast)   # yield stress rises with strain rate
PY
# The same sweep with another grid size must not reuse (or summarise) the 48^2 runs.
if "$stzkmc" sweep "$work/tiny.sweep.toml" --local -j 2 --set grid.n=64 > "$work/mismatch.txt" 2>&1; then
  echo "a rerun with --set grid.n=64 reused the 48^2 runs"; exit 1
fi
grep -q "grid.n: 48 vs 64" "$work/mismatch.txt"
if "$stzkmc" sweep "$work/tiny.sweep.toml" --dry-run --set grid.n=64 > "$work/mismatch2.txt" 2>&1; then
  echo "--dry-run did not report the mismatch"; exit 1
fi
grep -q "DIFFERS" "$work/mismatch2.txt"
if "$stzkmc" collect "$work/tiny.sweep.toml" --set grid.n=64 > "$work/mismatch3.txt" 2>&1; then
  echo "collect summarised runs of another deck"; exit 1
fi
grep -q "grid.n: 48 vs 64" "$work/mismatch3.txt"
# The summary names the fixed keys too.
head -1 "$out/summary.csv" | grep -q "grid.n"
# The Slurm script: setup lines before the command; requeue only after SIGTERM (143), bounded.
cat > "$work/slurm.sweep.toml" <<TOML
name = "tinyslurm"
base = "$src/runs/quickstart.toml"
seeds = [1]
[set]
"grid.n" = 16
[slurm]
setup = ["module load cuda/12", "export OMP_PROC_BIND=close"]
max_requeues = 7
TOML
"$stzkmc" sweep "$work/slurm.sweep.toml" --slurm --no-submit > /dev/null
script="$work/results/tinyslurm/slurm/array.sbatch"
grep -q "^module load cuda/12$" "$script"
grep -q 'rc -eq 143' "$script"
grep -q 'SLURM_RESTART_COUNT:-0}" -lt 7' "$script"
bash -n "$script"

# A sweep over a stage's key (stage.K.NAME, docs/model.md §6.8), one run per case: each run's
# deck has the swept value in its second stage, and collect copes with no scatter.
cat > "$work/staged.toml" <<'TOML'
[grid]
n = 16
[[stage]]
end_strain = 0.01
[[stage]]
protocol = "creep"
end_time = 50.0
[run]
backend = "cpu"
threads = 1
[output]
field_strains = []
TOML
cat > "$work/staged.sweep.toml" <<'TOML'
base = "staged.toml"
replicas = 1
[grid]
"stage.2.creep_stress" = [0.5, 0.9]
TOML
"$stzkmc" sweep "$work/staged.sweep.toml" --local -j 2 > /dev/null
"$stzkmc" collect "$work/staged.sweep.toml" > /dev/null
for v in 0.5 0.9; do
  out=$(ls "$work"/results/staged.sweep/stage2.creep_stress=$v/seed-1/*.h5 | head -1)
  /usr/bin/python3 -c "import h5py,sys; f=h5py.File(sys.argv[1]); assert abs(f['deck'].attrs['stage.2.creep_stress'] - float(sys.argv[2])) < 1e-12 and f['curve']['stage'][-1] == 1" "$out" "$v"
done
echo "sweep local test: OK"
