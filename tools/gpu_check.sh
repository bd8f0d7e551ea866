#!/usr/bin/env bash
# First contact with a GPU machine (issue 13, docs/cuda.md "On a GPU machine"): builds stzkmc
# with the CUDA backend on a machine without network, runs the GPU tests with STZ_REQUIRE_GPU=1,
# measures the device's ceilings (tools/gpu_probe.cu), a short side-by-side bench and a device
# profile, in steps that each have their own timeout, inside one overall deadline.
#
# Usage: tools/gpu_check.sh OUT_DIR
#
# OUT_DIR receives, as soon as each step ends (so a killed call still returns something):
#   gpu-report.md   the report: device, date, commit, toolchain, one section per step, result
#   RECORD.md       benchmarks/RECORD.md with this run's bench table appended (the repository's
#                   copy is not touched: commit the returned file after a GPU session)
#   ctest.log, ctest-junit.xml   the GPU tests' log and JUnit XML
#   bench.csv       the bench rows
#   logs.tar.gz     everything else (configure/build logs, probe, sanitizer, profile)
# Exit status: 0 when every step that ran passed, 1 otherwise.
#
# Dependencies: the Debian packages in .device-pkgs/*.deb (git-ignored; tools/gpu_fetch_pkgs.sh
# fetches them on a machine with the package registry; carry the folder along). They are
# unpacked with dpkg -x (or ar + tar) into $STZ_DEVICE_PREFIX and found through
# CMAKE_PREFIX_PATH, CPATH, LIBRARY_PATH and PKG_CONFIG_PATH; shared libraries the machine lacks
# are linked into a folder on LD_LIBRARY_PATH, so none of the machine's own is shadowed.
#
# Environment (all optional):
#   STZ_GPU_STEPS      steps to run, comma-separated, in this order:
#                      preflight,deps,configure,build,probe,test,bench,profile,sanitize
#                      (default: all but sanitize)
#   STZ_GPU_FULL=1     the test step runs the whole suite instead of the GPU tests (-L gpu);
#                      the io/cli/sweep tests need /usr/bin/python3 with h5py
#   STZ_GPU_DEADLINE   seconds for the whole script (default 540: inside a 10-minute command);
#                      a step that would not fit in what is left is skipped and reported
#   STZ_GPU_ARCHS      CUDA architectures (default 90: H100/H200)
#   STZ_GPU_BUILD_DIR  build directory (default build-gpu-check); kept between calls
#   STZ_GPU_PREBUILT   a build directory to use instead of configure+build (the steps are then
#                      skipped); also the fallback when the build fails
#   STZ_GPU_CPU=1      dry run on a machine without a GPU: every step runs its logic, GPU tests
#                      may skip, the bench and profile use the CPU backend, the probe is
#                      reported as skipped (tests/gpu_check_dry_test.sh runs this in CI)
#   STZ_BENCH_ARGS     the bench step's arguments (default: 512 and 2048, 300 events, both backends, rules reference and bounded,
#                      on the GPU both loops: solver.gpu_loop = host and device)
#   STZ_COMMIT         commit named in the report when this copy has no .git
#   STZ_JOBS           build parallelism (default nproc)
#   STZ_DEVICE_PREFIX  where the .debs are unpacked (default /tmp/stz-device-prefix)
#   STZ_STEP_TIMEOUT_<STEP>  a step's own timeout in seconds (e.g. STZ_STEP_TIMEOUT_BUILD=300)
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=${1:?usage: tools/gpu_check.sh OUT_DIR}
mkdir -p "$out" || { echo "gpu_check: cannot create $out" >&2; exit 1; }
out=$(cd "$out" && pwd)
report="$out/gpu-report.md"
archs=${STZ_GPU_ARCHS:-90}
build=${STZ_GPU_BUILD_DIR:-build-gpu-check}
prefix=${STZ_DEVICE_PREFIX:-/tmp/stz-device-prefix}
steps=",${STZ_GPU_STEPS:-preflight,deps,configure,build,probe,test,bench,profile},"
jobs=${STZ_JOBS:-$(nproc)}
cpu_mode=${STZ_GPU_CPU:-0}
deadline=$((SECONDS + ${STZ_GPU_DEADLINE:-540}))
logs="$out/.logs"
mkdir -p "$logs"
failed=0
cp -f benchmarks/RECORD.md "$logs/RECORD.md" 2>/dev/null || : > "$logs/RECORD.md"


say() { echo "gpu_check: $*" >&2; }
want() { [[ $steps == *",$1,"* ]]; }
note() { echo "$*" >> "$report"; }

# Default timeouts (s) and the least time a step needs to be worth starting.
declare -A step_timeout=([preflight]=30 [deps]=60 [configure]=90 [build]=300 [probe]=60 [test]=300
                         [bench]=150 [profile]=60 [sanitize]=240)
declare -A step_minimum=([preflight]=5 [deps]=10 [configure]=20 [build]=60 [probe]=15 [test]=60
                         [bench]=30 [profile]=15 [sanitize]=60)

# Copies what the report points to into OUT_DIR: after every step, so a kill loses little.
publish() {
  cp -f "$logs/RECORD.md" "$out/RECORD.md"
  [[ -f $logs/ctest.log ]] && cp -f "$logs/ctest.log" "$out/ctest.log"
  [[ -f $logs/ctest-junit.xml ]] && cp -f "$logs/ctest-junit.xml" "$out/ctest-junit.xml"
  [[ -f $logs/bench.csv ]] && cp -f "$logs/bench.csv" "$out/bench.csv"
  tar -czf "$out/logs.tar.gz.tmp" -C "$logs" . 2>/dev/null && mv -f "$out/logs.tar.gz.tmp" "$out/logs.tar.gz"
  return 0
}

# run_step NAME COMMAND...: runs the command under the step's timeout (bounded by the deadline),
# its output in $logs/NAME.log, and appends the outcome and the log's last lines to the report.
run_step() {
  local name=$1
  shift
  local upper=${name^^}
  local var="STZ_STEP_TIMEOUT_$upper"
  local limit=${!var:-${step_timeout[$name]}}
  local left=$((deadline - SECONDS))
  if ((left < ${step_minimum[$name]})); then
    note "- **$name**: SKIPPED (${left} s left of the deadline, needs ${step_minimum[$name]} s)"
    failed=1
    publish
    return 2
  fi
  ((limit > left)) && limit=$left
  say "$name (timeout ${limit} s)"
  local t0=$SECONDS rc
  # A step may be one of this script's functions: timeout runs it in a child bash (export -f).
  if declare -F "$1" >/dev/null; then
    timeout --kill-after=10 "$limit" bash -c '"$@"' step "$@" > "$logs/$name.log" 2>&1
  else
    timeout --kill-after=10 "$limit" "$@" > "$logs/$name.log" 2>&1
  fi
  rc=$?
  local took=$((SECONDS - t0))
  if ((rc == 0)); then
    note "- **$name**: ok (${took} s)"
  elif ((rc == 124 || rc == 137)); then
    note "- **$name**: TIMEOUT after ${took} s (limit ${limit} s)"
    failed=1
  else
    note "- **$name**: FAILED, exit $rc (${took} s)"
    failed=1
  fi
  if ((rc != 0)); then
    note '  ```'
    tail -25 "$logs/$name.log" | sed 's/^/  /' >> "$report"
    note '  ```'
  fi
  publish
  return "$rc"
}

# ---- Header ---------------------------------------------------------------------------------
commit=${STZ_COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo "unknown (no .git in this copy; set STZ_COMMIT)")}
export STZ_COMMIT=$commit  # CMake names it in the binaries (a copy's .git may be stale)
{
  echo "# stzkmc GPU check"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "- commit: $commit"
  echo "- host: $(uname -srm), $(nproc) CPUs"
  ((cpu_mode)) && echo "- mode: STZ_GPU_CPU=1 (dry run without a GPU: GPU tests may skip, bench on the CPU)"
  echo "- steps: ${steps//,/ }; deadline ${STZ_GPU_DEADLINE:-540} s"
  echo
  echo "## Steps"
  echo
} > "$report"

# ---- preflight: what the machine has, with clear messages --------------------------------------
preflight() {
  local bad=0
  echo "nvidia-smi: $(nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.mem --format=csv,noheader 2>&1 | head -2)"
  for tool in nvcc cmake g++ ninja compute-sanitizer python3 tar; do
    if command -v "$tool" >/dev/null; then
      echo "$tool: $(command -v "$tool"): $("$tool" --version 2>&1 | grep -m1 -E '[0-9]+\.[0-9]+' )"
    else
      echo "$tool: NOT FOUND"
      case $tool in nvcc | cmake | g++) bad=1 ;; esac
    fi
  done
  echo "glibc: $(ldd --version 2>&1 | head -1)"
  echo "libstdc++: $(ldconfig -p 2>/dev/null | grep -m1 'libstdc++.so.6 ' || echo '?')"
  echo "cufft: $(ldconfig -p 2>/dev/null | grep -m1 'libcufft.so' || ls "$(dirname "$(command -v nvcc 2>/dev/null || echo /x)")"/../lib64/libcufft.so* 2>/dev/null | head -1 || echo 'not found')"
  if compgen -G ".device-pkgs/*.deb" >/dev/null; then
    echo ".device-pkgs: $(ls .device-pkgs/*.deb | wc -l) packages"
  else
    echo ".device-pkgs: absent (the machine's own packages are used)"
  fi
  if ((!cpu_mode)) && ! nvidia-smi -L >/dev/null 2>&1; then
    echo "no GPU answers nvidia-smi -L"
    bad=1
  fi
  ((bad)) && echo "preflight: a required tool or the GPU is missing (see above)"
  return "$bad"
}
export -f preflight
export cpu_mode
if want preflight && run_step preflight preflight; then
  note '  ```'
  sed 's/^/  /' "$logs/preflight.log" >> "$report"
  note '  ```'
fi

# ---- deps: the carried Debian packages ------------------------------------------------------
multiarch=$(gcc -print-multiarch 2>/dev/null || true)
multiarch=${multiarch:-x86_64-linux-gnu}
usr="$prefix/usr"
libdir="$usr/lib/$multiarch"
runtime="$prefix/runtime-lib"
have_pkgs=0
compgen -G ".device-pkgs/*.deb" >/dev/null && have_pkgs=1

unpack_deps() {
  mkdir -p "$prefix/.unpacked" || return 1
  for deb in .device-pkgs/*.deb; do
    stamp="$prefix/.unpacked/$(basename "$deb")"
    [[ -f $stamp && $stamp -nt $deb ]] && continue
    if command -v dpkg >/dev/null; then
      dpkg -x "$deb" "$prefix" || { echo "dpkg -x $deb failed"; return 1; }
    else  # a .deb is an ar archive holding data.tar.*
      tmp=$(mktemp -d)
      (cd "$tmp" && ar x "$root/$deb" && tar -xf data.tar.* -C "$prefix") || { echo "unpacking $deb failed"; return 1; }
      rm -rf "$tmp"
    fi
    touch "$stamp"
  done
  # Links to the carried shared libraries whose soname the machine does not have.
  rm -rf "$runtime" && mkdir -p "$runtime"
  known=$(ldconfig -p 2>/dev/null | awk 'NR > 1 {print $1}')
  for f in "$libdir"/lib*.so.*; do
    [[ -e $f ]] || continue
    base=$(basename "$f")
    grep -qxF "$base" <<<"$known" || ln -sf "$f" "$runtime/$base"
  done
  if ! command -v pkg-config >/dev/null && [[ -x $usr/bin/pkgconf ]]; then
    mkdir -p "$prefix/bin"
    printf '#!/bin/sh\nexec "%s" "$@"\n' "$usr/bin/pkgconf" > "$prefix/bin/pkg-config"
    chmod +x "$prefix/bin/pkg-config"
  fi
  echo "unpacked $(ls .device-pkgs/*.deb | wc -l) packages into $prefix ($(ls "$runtime" | wc -l) libraries not on this machine)"
}
export -f unpack_deps
export prefix root usr libdir runtime
if want deps; then
  if ((have_pkgs)); then
    run_step deps unpack_deps
  else
    note "- **deps**: no .device-pkgs (the machine's own packages are used)"
  fi
fi
if ((have_pkgs)); then
  export CPATH="$usr/include${CPATH:+:$CPATH}"
  export LIBRARY_PATH="$libdir:$libdir/hdf5/serial${LIBRARY_PATH:+:$LIBRARY_PATH}"
  export PKG_CONFIG_PATH="$libdir/pkgconfig:$usr/share/pkgconfig:$usr/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
  export LD_LIBRARY_PATH="$runtime${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export PATH="$PATH:$prefix/bin"
  export CMAKE_PREFIX_PATH="$usr${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
fi
# CMake 4 refuses packages whose config files ask for policies older than 3.5.
export CMAKE_POLICY_VERSION_MINIMUM=${CMAKE_POLICY_VERSION_MINIMUM:-3.5}

# ---- configure, build (or a prebuilt tree) ----------------------------------------------------
bin=""
if [[ -n ${STZ_GPU_PREBUILT:-} ]] && ! want build; then
  bin=$STZ_GPU_PREBUILT
  note "- **build**: prebuilt tree $bin"
fi
built=0
if want configure; then
  generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  run_step configure cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DSTZ_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES="$archs"
fi
if want build && [[ -f $build/CMakeCache.txt ]]; then
  if run_step build cmake --build "$build" -j "$jobs"; then
    built=1
    bin=$build
    note "  - $(grep -c -i 'warning' "$logs/build.log") compiler warning line(s)"
  fi
fi
if [[ -z $bin && -n ${STZ_GPU_PREBUILT:-} ]]; then
  bin=$STZ_GPU_PREBUILT
  note "- the build did not finish: the prebuilt tree $bin is used for what follows"
fi
[[ -n $bin ]] && bin=$(cd "$bin" && pwd)
((built)) || [[ -n $bin ]] || note "- no build to test: the remaining steps are skipped"

# ---- probe: the device's ceilings --------------------------------------------------------------
if want probe && [[ -n $bin ]]; then
  if ((cpu_mode)); then
    note "- **probe**: skipped (STZ_GPU_CPU=1)"
  elif [[ -x $bin/cuda/gpu_probe ]]; then
    run_step probe "$bin/cuda/gpu_probe"
    note
    grep -E '^\||^gpu_probe' "$logs/probe.log" >> "$report"
    note
  else
    note "- **probe**: $bin/cuda/gpu_probe not built"
    failed=1
  fi
fi

# ---- test: the GPU tests (all tests with STZ_GPU_FULL=1) ---------------------------------------
if want test && [[ -n $bin ]]; then
  selection=(-L gpu)
  [[ ${STZ_GPU_FULL:-0} == 1 ]] && selection=()
  require=1
  ((cpu_mode)) && require=0
  run_step test env STZ_REQUIRE_GPU=$require ctest --test-dir "$bin" "${selection[@]}" --output-on-failure \
    --timeout 240 --output-junit "$logs/ctest-junit.xml"
  cp -f "$logs/test.log" "$logs/ctest.log"
  note
  grep -E "Test +#|tests passed|tests failed|Total Test time|\(Failed\)|\(Not Run\)|\(Timeout\)|\(Skipped\)" \
    "$logs/test.log" | sed 's/^/    /' >> "$report"
  last="$bin/Testing/Temporary/LastTest.log"
  if [[ -f $last ]]; then
    note
    note "Measurements printed by the tests (Catch2 WARN lines):"
    note
    grep -A4 "warning:" "$last" | grep -v -E "warning:|^--$|^ *$|^[.=-]+$" | sed 's/^ */    /' | head -40 >> "$report"
  fi
  note
  publish
fi

# ---- bench and profile ---------------------------------------------------------------------
backends=cpu,cuda
((cpu_mode)) && backends=cpu
if want bench && [[ -n $bin ]]; then
  # shellcheck disable=SC2086  # word splitting of the arguments is intended
  run_step bench "$bin/host/stzkmc" bench --backends $backends \
    ${STZ_BENCH_ARGS:---sizes 512,2048 --events 300 --warmup 50 --max-seconds 20 --rules reference,bounded --gpu-loop host,device} \
    --record "$logs/RECORD.md" --csv "$logs/bench.csv"
  note
  grep -E '^\||^devices|^stzkmc bench|^warm-up|^loaded' "$logs/bench.log" >> "$report"
  note
  publish
fi
if want profile && [[ -n $bin ]]; then
  pb=cuda
  ((cpu_mode)) && pb=cpu
  run_step profile "$bin/host/stzkmc" bench --backends $pb --sizes 512 --events 300 --warmup 50 --max-seconds 20 \
    --rules reference,bounded --gpu-loop host,device --precision double,mixed --profile
  note
  sed -n '/^Device time per operation/,$p' "$logs/profile.log" >> "$report"
  note
  publish
fi

# ---- sanitize (opt-in) -----------------------------------------------------------------------
sanitize() {
  if ! command -v compute-sanitizer >/dev/null; then
    echo "compute-sanitizer is not on PATH: memcheck and racecheck did not run"
    return 1
  fi
  local rc=0
  compute-sanitizer --tool memcheck --error-exitcode 3 "$bin/tests/stz_tests" --backend cuda "[backend]~[slow]" || rc=1
  compute-sanitizer --tool racecheck --error-exitcode 3 "$bin/tests/stz_tests" --backend cuda \
    "Barriers match the formulas of docs/model.md 4 evaluated independently" || rc=1
  compute-sanitizer --tool racecheck --error-exitcode 3 "$bin/tests/stz_tests" --backend cuda \
    "The device loop runs*" -c "reference rule, tension, published clock" || rc=1
  compute-sanitizer --tool racecheck --error-exitcode 3 "$bin/tests/stz_tests" --backend cuda \
    "[racecheck]" || rc=1
  return $rc
}
export -f sanitize
export bin
if want sanitize && [[ -n $bin ]]; then
  run_step sanitize sanitize
  grep -E "ERROR SUMMARY|RACECHECK SUMMARY|test cases" "$logs/sanitize.log" | sed 's/^/    /' >> "$report"
fi

note
note "result: $( ((failed == 0)) && echo PASS || echo FAIL ) ($SECONDS s)"
publish
say "report: $report ($( ((failed == 0)) && echo PASS || echo FAIL ))"
exit "$failed"
