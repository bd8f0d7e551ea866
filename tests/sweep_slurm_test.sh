#!/usr/bin/env bash
# The Slurm path for real: starts a single-node Slurm (munge, slurmctld, slurmd from Debian) on
# this machine, submits a 3-task array with `stzkmc sweep --slurm`, waits, checks the three
# outputs and the collected table. Exit 77 (skipped) where Slurm cannot be started (not root).
set -euo pipefail
stzkmc=${1:?path to stzkmc}; src=${2:?source dir}
if [[ $(id -u) -ne 0 ]]; then echo "SKIPPED: the Slurm test needs root to start munge and slurmd"; exit 77; fi
work=$(mktemp -d)
cleanup() { "$src/tools/slurm_local.sh" stop "$work/slurm" || true; rm -rf "$work" 2>/dev/null || true; }
trap cleanup EXIT
eval "$("$src/tools/slurm_local.sh" start "$work/slurm")"
cat > "$work/array.sweep.toml" <<TOML
name = "array"
base = "$src/runs/quickstart.toml"
seeds = [11, 12, 13]
[set]
"grid.n" = 32
"run.backend" = "cpu"
[slurm]
time = "00:10:00"
cpus_per_task = 1
signal_seconds = 60
TOML
"$stzkmc" sweep "$work/array.sweep.toml" --slurm
job=$(cat "$work/results/array/slurm/job_id")
for _ in $(seq 300); do
  [[ -z "$(squeue -h -j "$job" 2>/dev/null)" ]] && break
  sleep 1
done
[[ -z "$(squeue -h -j "$job")" ]] || { echo "array job $job still queued/running after 300 s"; squeue; exit 1; }
out="$work/results/array"
cat "$out"/slurm/*.log || true
for s in 11 12 13; do
  test -f "$out/base/seed-$s/DONE" && test -s "$out/base/seed-$s/run.h5"
done
"$stzkmc" collect "$work/array.sweep.toml"
test "$(tail -n +2 "$out/summary.csv" | wc -l)" -eq 3
echo "sweep slurm test: OK"
