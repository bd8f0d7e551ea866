#!/usr/bin/env bash
# SEEM training data: quench Cu64Zr36 glasses with LAMMPS at several cooling rates and shear each
# one by AQS. One job = one (cooling rate, sample): in.cuzr_quench.lmp then in.cuzr_aqs.lmp.
# Jobs run in parallel (--jobs), interleaved over rates so that an interrupted run still has
# samples of every rate; finished jobs are skipped, so the script can be re-run to resume.
#
# Usage: tools/seem/generate.sh [--out DIR (out/seem/lammps)] [--ncell 4] [--rates "1000 100 10"] [--samples 8]
#                               [--dgamma 2e-4] [--gmax 0.3] [--ftol 1e-4] [--jobs 2] [--seed0 7100]
# Progress: DIR/progress.log (one line per finished stage, with wall time).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="out/seem/lammps"; ncell=4; rates="1000 100 10"; samples=8
dgamma=2e-4; gmax=0.3; ftol=1e-4; jobs=2; seed0=7100
while (( $# )); do
  case "$1" in
    --out) out="$2"; shift 2;;  --ncell) ncell="$2"; shift 2;;  --rates) rates="$2"; shift 2;;
    --samples) samples="$2"; shift 2;;  --dgamma) dgamma="$2"; shift 2;;  --gmax) gmax="$2"; shift 2;;
    --ftol) ftol="$2"; shift 2;;  --jobs) jobs="$2"; shift 2;;  --seed0) seed0="$2"; shift 2;;
    -h|--help) sed -n 2,10p "$0"; exit 0;;
    *) echo "generate.sh: unknown option '$1'" >&2; exit 2;;
  esac
done
command -v lmp >/dev/null || { echo "generate.sh: 'lmp' not found: apt-get install lammps lammps-data (tools/install_deps.sh --with-lammps)" >&2; exit 1; }
potfile="$(dpkg -L lammps-data 2>/dev/null | grep '/CuZr_mm.eam.fs$' | head -1 || true)"
[[ -n "$potfile" && -f "$potfile" ]] || { echo "generate.sh: CuZr_mm.eam.fs not found (package lammps-data)" >&2; exit 1; }
mkdir -p "$out"
cp "$here/in.cuzr_quench.lmp" "$here/in.cuzr_aqs.lmp" "$out/"
log="$out/progress.log"
# Settings of this dataset, read back by lammps_to_h5.py as provenance.
cat > "$out/settings.txt" <<SET
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
echo "$(date -Is) start: ncell=$ncell rates=[$rates] samples=$samples dgamma=$dgamma gmax=$gmax jobs=$jobs" >> "$log"

# Job list: sample-major, so all rates advance together. Seed = seed0 + 100*rate_index + sample.
joblist=()
for ((s = 0; s < samples; ++s)); do
  ri=0
  for r in $rates; do joblist+=("$r $s $((seed0 + 100 * ri + s))"); ri=$((ri + 1)); done
done

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
echo "$(date -Is) all jobs finished" >> "$log"
