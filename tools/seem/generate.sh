#!/usr/bin/env bash
# SEEM training data: quench Cu64Zr36 glasses with LAMMPS at several cooling rates and shear each
# one by AQS. One job = one (cooling rate, sample): in.cuzr_quench.lmp then in.cuzr_aqs.lmp.
# Jobs run in parallel (--jobs), interleaved over rates so that an interrupted run still has
# samples of every rate; finished jobs are skipped, so the script can be re-run to resume.
#
# Usage: tools/seem/generate.sh [--out DIR (out/seem/lammps)] [--ncell 4] [--rates "1000 100 10"] [--samples 8]
#                               [--dgamma 2e-4] [--gmax 0.3] [--ftol 1e-4] [--jobs 2] [--seed0 7100]
#                               [--slurm [--sbatch "OPTIONS"]] [--task K]
# Progress: DIR/progress.log (one line per finished stage, with wall time).
# On a cluster: --slurm writes DIR/generate.sbatch, a Slurm array of one task per job (submit it
# with sbatch; every task runs this script with the same settings and --task K, K the array
# index); --sbatch adds #SBATCH lines (e.g. "--partition=short --time=04:00:00"). --task K runs
# only the K-th job (0-based, the order above). Collect with tools/seem/lammps_to_h5.py as usual.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="out/seem/lammps"; ncell=4; rates="1000 100 10"; samples=8
dgamma=2e-4; gmax=0.3; ftol=1e-4; jobs=2; seed0=7100; slurm=0; sbatch_opts=""; task=""
while (( $# )); do
  case "$1" in
    --out) out="$2"; shift 2;;  --ncell) ncell="$2"; shift 2;;  --rates) rates="$2"; shift 2;;
    --samples) samples="$2"; shift 2;;  --dgamma) dgamma="$2"; shift 2;;  --gmax) gmax="$2"; shift 2;;
    --ftol) ftol="$2"; shift 2;;  --jobs) jobs="$2"; shift 2;;  --seed0) seed0="$2"; shift 2;;
    --slurm) slurm=1; shift;;  --sbatch) sbatch_opts="$2"; shift 2;;  --task) task="$2"; shift 2;;
    -h|--help) sed -n 2,16p "$0"; exit 0;;
    *) echo "generate.sh: unknown option '$1'" >&2; exit 2;;
  esac
done
for v in ncell samples jobs seed0; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || { echo "generate.sh: --$v = '${!v}': allowed a non-negative integer" >&2; exit 2; }
done
(( jobs >= 1 && ncell >= 1 )) || { echo "generate.sh: --jobs = $jobs, --ncell = $ncell: allowed 1 or more" >&2; exit 2; }
for v in dgamma gmax ftol; do
  [[ "${!v}" =~ ^[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$ ]] && awk -v x="${!v}" 'BEGIN { exit !(x > 0) }' ||
    { echo "generate.sh: --$v = '${!v}': allowed a number > 0" >&2; exit 2; }
done
[[ -z "$task" || "$task" =~ ^[0-9]+$ ]] || { echo "generate.sh: --task = '$task': allowed a non-negative integer" >&2; exit 2; }
# Job list: sample-major, so all rates advance together. Seed = seed0 + 100*rate_index + sample
# for samples below 100 (the committed dataset's), seed0 + 1000000 + 1000*rate_index + sample - 100
# beyond (up to 1100 samples): a sample keeps its seed when --samples grows, and no two collide.
(( samples <= 1100 )) || { echo "generate.sh: --samples = $samples: allowed at most 1100" >&2; exit 2; }
joblist=()
for ((s = 0; s < samples; ++s)); do
  ri=0
  for r in $rates; do
    if (( s < 100 )); then seed=$((seed0 + 100 * ri + s)); else seed=$((seed0 + 1000000 + 1000 * ri + s - 100)); fi
    joblist+=("$r $s $seed")
    ri=$((ri + 1))
  done
done
(( ${#joblist[@]} > 0 )) || { echo "generate.sh: no jobs (--rates '$rates', --samples $samples)" >&2; exit 2; }
if (( slurm )); then
  mkdir -p "$out"
  script="$out/generate.sbatch"
  {
    echo "#!/usr/bin/env bash"
    echo "#SBATCH --job-name=seem-aqs"
    echo "#SBATCH --array=0-$(( ${#joblist[@]} - 1 ))"
    echo "#SBATCH --ntasks=1"
    echo "#SBATCH --output=$(realpath "$out")/slurm-%A_%a.out"
    read -ra sbatch_list <<< "$sbatch_opts"  # split on spaces, no glob expansion
    for o in "${sbatch_list[@]}"; do echo "#SBATCH $o"; done
    echo "# ${#joblist[@]} jobs: one (cooling rate, sample) each; written by tools/seem/generate.sh --slurm"
    printf 'exec %q --out %q --ncell %q --rates %q --samples %q --dgamma %q --gmax %q --ftol %q --seed0 %q' \
      "$here/generate.sh" "$(realpath "$out")" "$ncell" "$rates" "$samples" "$dgamma" "$gmax" "$ftol" "$seed0"
    echo ' --task "$SLURM_ARRAY_TASK_ID"'
  } > "$script.tmp"
  mv "$script.tmp" "$script"
  echo "generate.sh: wrote $script (${#joblist[@]} array tasks); submit it with: sbatch $script"
  exit 0
fi
if [[ -n "$task" ]]; then
  (( task < ${#joblist[@]} )) || { echo "generate.sh: --task = $task: allowed 0 to $(( ${#joblist[@]} - 1 ))" >&2; exit 2; }
  joblist=("${joblist[$task]}")
  jobs=1
fi
command -v lmp >/dev/null || { echo "generate.sh: 'lmp' not found: apt-get install lammps lammps-data (tools/install_deps.sh --with-lammps)" >&2; exit 1; }
potfile="$(dpkg -L lammps-data 2>/dev/null | grep '/CuZr_mm.eam.fs$' | head -1 || true)"
[[ -n "$potfile" && -f "$potfile" ]] || { echo "generate.sh: CuZr_mm.eam.fs not found (package lammps-data)" >&2; exit 1; }
mkdir -p "$out"
# (Array tasks start together: every shared file is written under a private name and renamed.)
for f in in.cuzr_quench.lmp in.cuzr_aqs.lmp; do cp "$here/$f" "$out/$f.$$" && mv "$out/$f.$$" "$out/$f"; done
log="$out/progress.log"
# Settings of this dataset, read back by lammps_to_h5.py as provenance.
cat > "$out/settings.txt.$$" <<SET
ncell $ncell
rates_K_per_ps $rates
samples $samples
dgamma $dgamma
gmax $gmax
ftol $ftol
seed0 $seed0
potfile $potfile
lammps_package $(dpkg-query -W -f='${Version}' lammps 2>/dev/null || echo unknown)
lammps_version $(lmp -h 2>/dev/null | grep -m1 'Large-scale' | sed 's/.*Simulator - //')
host_cpu $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
SET
mv "$out/settings.txt.$$" "$out/settings.txt"
echo "$(date -Is) start${task:+ task $task}: ncell=$ncell rates=[$rates] samples=$samples dgamma=$dgamma gmax=$gmax jobs=$jobs" >> "$log"

run_one() {  # rate sample seed
  local rate="$1" s="$2" seed="$3"
  local name; name=$(printf "r%s_s%02d" "$rate" "$s")
  local pre="$out/$name"
  if [[ -f "$pre.aqs.txt" ]] && grep -q '^# done' "$pre.aqs.txt"; then return 0; fi
  local t0=$SECONDS
  lmp -in "$out/in.cuzr_quench.lmp" -var seed "$seed" -var ncell "$ncell" -var rate "$rate" \
      -var potfile "$potfile" -var out "$pre" -log "$pre.quench.log" -screen none \
    || { echo "$(date -Is) FAILED quench $name (see $pre.quench.log)" >> "$log"; return 1; }
  echo "$(date -Is) quenched $name seed=$seed in $((SECONDS - t0)) s" >> "$log"
  local t1=$SECONDS
  lmp -in "$out/in.cuzr_aqs.lmp" -var glass "$pre.glass.data" -var potfile "$potfile" \
      -var dgamma "$dgamma" -var gmax "$gmax" -var ftol "$ftol" -var out "$pre" \
      -log "$pre.aqs.log" -screen none \
    || { echo "$(date -Is) FAILED aqs $name (see $pre.aqs.log)" >> "$log"; return 1; }
  echo "$(date -Is) sheared $name in $((SECONDS - t1)) s" >> "$log"
  # keep the thermo log small: the per-step table lives in .aqs.txt
  gzip -f "$pre.aqs.log"
}
export -f run_one
export out ncell potfile dgamma gmax ftol log
printf '%s\n' "${joblist[@]}" | xargs -P "$jobs" -L 1 bash -c 'run_one $0 $1 $2'
echo "$(date -Is) ${task:+task $task: }all jobs finished" >> "$log"
