#!/usr/bin/env bash
# tools/seem/generate.sh without LAMMPS: the Slurm array script (--slurm) and the argument checks
# of --task and the counts (docs/seem.md, "How much data"). The jobs themselves need LAMMPS.
set -euo pipefail
src=${1:?usage: seem_generate_test.sh SOURCE_DIR}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gen="$src/tools/seem/generate.sh"
bash "$gen" --out "$work/a" --ncell 7 --rates "1000 300 100 30 10" --samples 12 --dgamma 5e-5 --gmax 0.5 --slurm \
  --sbatch "--partition=short --time=02:00:00" > "$work/out.txt"
s="$work/a/generate.sbatch"
grep -q '^#SBATCH --array=0-59$' "$s" || { echo "array range wrong:"; cat "$s"; exit 1; }
grep -q '^#SBATCH --partition=short$' "$s" && grep -q '^#SBATCH --time=02:00:00$' "$s" || { echo "sbatch options lost"; exit 1; }
grep -q -- '--task "$SLURM_ARRAY_TASK_ID"' "$s" || { echo "no --task"; exit 1; }
grep -q -- '--ncell 7' "$s" && grep -q -- '--dgamma 5e-5' "$s" && grep -q -- '--gmax 0.5' "$s" || { echo "settings lost"; exit 1; }
bash -n "$s"
# An sbatch option with a glob is written as given (no file-name expansion).
touch "$work/node1"
( cd "$work" && bash "$gen" --out "$work/c" --samples 1 --slurm --sbatch "--exclude=node[1-3]" > /dev/null )
grep -q '^#SBATCH --exclude=node\[1-3\]$' "$work/c/generate.sbatch" || { echo "glob expanded"; cat "$work/c/generate.sbatch"; exit 1; }
expect_exit() {  # code, args...
  local code=$1; shift
  set +e
  bash "$gen" --out "$work/b" "$@" > "$work/msg.txt" 2>&1
  local rc=$?
  set -e
  [[ $rc == "$code" ]] || { echo "generate.sh $*: exit $rc, expected $code"; cat "$work/msg.txt"; exit 1; }
}
expect_exit 2 --samples 2 --rates "1000 10" --task 4
expect_exit 2 --samples x
expect_exit 2 --task -1
expect_exit 2 --samples 0
expect_exit 2 --jobs 0
expect_exit 2 --dgamma -1
expect_exit 2 --gmax abc
expect_exit 2 --samples 2000
expect_exit 2 --bogus
grep -q "unknown option" "$work/msg.txt"
echo "seem generate test: OK"
