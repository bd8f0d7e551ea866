#!/usr/bin/env bash
# GPU check (issue 4, docs/cuda.md): builds stzkmc with the CUDA backend on a GPU machine that
# has no network, runs the whole ctest suite with STZ_REQUIRE_GPU=1 (a GPU test that skips
# fails), and writes a short report: device, date, commit, toolchain, test summary.
#
# Usage: tools/gpu_check.sh [REPORT_FILE]      (the report goes to stdout without an argument)
#
# Build dependencies: the Debian packages in .device-pkgs/*.deb (git-ignored; fetch them first
# with tools/gpu_fetch_pkgs.sh on a machine with the package registry and carry the folder
# along). They are unpacked with dpkg -x into $STZ_DEVICE_PREFIX and found through
# CMAKE_PREFIX_PATH, CPATH, LIBRARY_PATH and PKG_CONFIG_PATH; shared libraries the machine
# lacks are put on LD_LIBRARY_PATH through a folder of links, so that none of the machine's
# own libraries is shadowed. Without .device-pkgs the system's packages are used.
#
# Environment (all optional):
#   STZ_GPU_ARCHS       CUDA architectures to build (default 90: H100/H200)
#   STZ_GPU_BUILD_DIR   build directory (default build-gpu-check)
#   STZ_DEVICE_PREFIX   where the .debs are unpacked (default /tmp/stz-device-prefix)
#   STZ_GPU_STEPS       comma-separated subset of deps,configure,build,test,sanitize,bench
#                       (default deps,configure,build,test; steps are re-runnable, so a long
#                       check can be split over several calls that keep the build folder)
#   STZ_GPU_CTEST_ARGS  extra ctest arguments, e.g. "-L gpu" for the GPU tests only
#   STZ_BENCH_ARGS      arguments of the bench step (default: sizes 64..4096, 2000 events, 20 s
#                       cap per case); the bench step appends its table to benchmarks/RECORD.md
#                       (and prints it), so commit that file after a GPU session
#   STZ_COMMIT          commit named in the report when this copy has no .git
#   STZ_JOBS            build parallelism (default nproc)
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
report_file=${1:-}
archs=${STZ_GPU_ARCHS:-90}
build=${STZ_GPU_BUILD_DIR:-build-gpu-check}
prefix=${STZ_DEVICE_PREFIX:-/tmp/stz-device-prefix}
steps=",${STZ_GPU_STEPS:-deps,configure,build,test},"
jobs=${STZ_JOBS:-$(nproc)}
status=0
notes=()

say() { echo "gpu_check: $*" >&2; }
want() { [[ $steps == *",$1,"* ]]; }

# ---- Dependencies from .device-pkgs ---------------------------------------------------------
multiarch=$(gcc -print-multiarch 2>/dev/null || true)
multiarch=${multiarch:-x86_64-linux-gnu}
usr="$prefix/usr"
libdir="$usr/lib/$multiarch"
runtime="$prefix/runtime-lib"
have_pkgs=0
compgen -G ".device-pkgs/*.deb" >/dev/null && have_pkgs=1

if want deps && (( have_pkgs )); then
  mkdir -p "$prefix/.unpacked"
  for deb in .device-pkgs/*.deb; do
    stamp="$prefix/.unpacked/$(basename "$deb")"
    [[ -f $stamp && $stamp -nt $deb ]] && continue
    if command -v dpkg >/dev/null; then
      dpkg -x "$deb" "$prefix" || { say "dpkg -x $deb failed"; exit 2; }
    else  # a .deb is an ar archive holding data.tar.*
      tmp=$(mktemp -d)
      (cd "$tmp" && ar x "$root/$deb" && tar -xf data.tar.* -C "$prefix") || { say "unpacking $deb failed"; exit 2; }
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
  # pkg-config: the machine's if it has one, else the carried pkgconf.
  if ! command -v pkg-config >/dev/null && [[ -x $usr/bin/pkgconf ]]; then
    mkdir -p "$prefix/bin"
    printf '#!/bin/sh\nexec "%s" "$@"\n' "$usr/bin/pkgconf" > "$prefix/bin/pkg-config"
    chmod +x "$prefix/bin/pkg-config"
  fi
  say "unpacked $(ls .device-pkgs/*.deb | wc -l) packages into $prefix ($(ls "$runtime" | wc -l) libraries not on this machine)"
fi
if (( have_pkgs )); then
  export CPATH="$usr/include${CPATH:+:$CPATH}"
  export LIBRARY_PATH="$libdir:$libdir/hdf5/serial${LIBRARY_PATH:+:$LIBRARY_PATH}"
  export PKG_CONFIG_PATH="$libdir/pkgconfig:$usr/share/pkgconfig:$usr/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
  export LD_LIBRARY_PATH="$runtime${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export PATH="$PATH:$prefix/bin"
  export CMAKE_PREFIX_PATH="$usr${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
fi
# CMake 4 refuses packages whose config files ask for policies older than 3.5.
export CMAKE_POLICY_VERSION_MINIMUM=${CMAKE_POLICY_VERSION_MINIMUM:-3.5}

# ---- Configure and build --------------------------------------------------------------------
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if want configure; then
  say "configuring $build (CUDA architectures $archs)"
  if ! cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DSTZ_CUDA=ON \
         -DCMAKE_CUDA_ARCHITECTURES="$archs" > "$build.configure.log" 2>&1; then
    tail -40 "$build.configure.log" >&2
    notes+=("configure FAILED (see $build.configure.log)")
    status=1
  fi
  mv -f "$build.configure.log" "$build/" 2>/dev/null || true
fi
if want build && (( status == 0 )); then
  say "building with $jobs jobs"
  if ! cmake --build "$build" -j "$jobs" > "$build/build.log" 2>&1; then
    grep -E "error|Error" "$build/build.log" | head -40 >&2
    tail -20 "$build/build.log" >&2
    notes+=("build FAILED (see $build/build.log)")
    status=1
  fi
  warnings=$(grep -c "warning" "$build/build.log" || true)
  notes+=("build: $warnings compiler warning line(s)")
fi

# ---- Tests ----------------------------------------------------------------------------------
ctest_log="$build/gpu-check-ctest.log"
if want test && (( status == 0 )); then
  say "running ctest with STZ_REQUIRE_GPU=1"
  # shellcheck disable=SC2086  # word splitting of the extra arguments is intended
  (cd "$build" && STZ_REQUIRE_GPU=1 ctest --output-on-failure --timeout 1200 ${STZ_GPU_CTEST_ARGS:-}) \
      > "$ctest_log" 2>&1 || status=1
  tail -30 "$ctest_log" >&2
fi
if want sanitize && (( status == 0 )) && command -v compute-sanitizer >/dev/null; then
  # Memory errors in every kernel the fast [backend] tests reach; races in the shared-memory
  # reductions of the barrier pass and the selection (small grids keep this quick).
  say "compute-sanitizer memcheck and racecheck"
  san_log="$build/gpu-check-sanitizer.log"
  : > "$san_log"
  timeout 900 compute-sanitizer --tool memcheck --error-exitcode 3 "$build/tests/stz_tests" --backend cuda \
      "[backend]~[slow]" >> "$san_log" 2>&1 || { status=1; notes+=("memcheck FAILED or timed out (see $san_log)"); }
  timeout 600 compute-sanitizer --tool racecheck --error-exitcode 3 "$build/tests/stz_tests" --backend cuda \
      "Barriers match MODEL.md 1.5 evaluated independently" >> "$san_log" 2>&1 ||
      { status=1; notes+=("racecheck FAILED or timed out (see $san_log)"); }
  timeout 600 compute-sanitizer --tool racecheck --error-exitcode 3 "$build/tests/stz_tests" --backend cuda \
      "kMC selection frequencies match k/R (chi-square)" >> "$san_log" 2>&1 ||
      { status=1; notes+=("racecheck (selection) FAILED or timed out (see $san_log)"); }
  grep -E "ERROR SUMMARY|RACECHECK SUMMARY" "$san_log" >&2 || true
fi

# ---- Benchmark (issue 5): CPU (all cores) and GPU side by side, appended to the record ---------
bench_log="$build/gpu-check-bench.log"
if want bench && (( status == 0 )); then
  say "stzkmc bench ${STZ_BENCH_ARGS:---sizes 64,128,256,512,1024,2048,4096 --events 2000 --max-seconds 20 --rules reference}"
  # shellcheck disable=SC2086
  "$build/host/stzkmc" bench --backends cpu,cuda ${STZ_BENCH_ARGS:---sizes 64,128,256,512,1024,2048,4096 --events 2000 --max-seconds 20 --rules reference} \
      --record benchmarks/RECORD.md > "$bench_log" 2>&1 || { status=1; notes+=("stzkmc bench failed, see $bench_log"); }
fi

# ---- Report ---------------------------------------------------------------------------------
commit=${STZ_COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo "unknown (no .git in this copy; set STZ_COMMIT)")}
{
  echo "# stzkmc GPU check"
  echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "commit:  $commit"
  if command -v nvidia-smi >/dev/null; then
    echo "device:  $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1)"
  else
    echo "device:  (nvidia-smi not found)"
  fi
  echo "nvcc:    $(nvcc --version 2>/dev/null | tail -1)"
  echo "cmake:   $(cmake --version 2>/dev/null | head -1)"
  echo "g++:     $(g++ --version 2>/dev/null | head -1)"
  echo "archs:   $archs; steps: ${steps//,/ }"
  echo "deps:    $( ((have_pkgs)) && echo ".device-pkgs ($(ls .device-pkgs/*.deb | wc -l) packages) unpacked in $prefix" || echo "system packages")"
  for n in "${notes[@]}"; do echo "note:    $n"; done
  if [[ -f $ctest_log ]]; then
    echo
    echo "## ctest (STZ_REQUIRE_GPU=1)"
    grep -E "Test +#|tests passed|tests failed|Total Test time|\(Failed\)|\(Not Run\)|\(Timeout\)|\(Skipped\)" "$ctest_log"
    last="$build/Testing/Temporary/LastTest.log"
    if [[ -f $last ]]; then
      echo
      echo "## measurements printed by the tests (Catch2 WARN lines)"
      grep -A4 "warning:" "$last" | grep -v -E "warning:|^--$|^ *$|^[.=-]+$" | sed 's/^ */  /' | head -40
    fi
  fi
  if [[ -f $build/gpu-check-sanitizer.log ]]; then
    echo
    echo "## compute-sanitizer"
    grep -E "ERROR SUMMARY|RACECHECK SUMMARY|test cases" "$build/gpu-check-sanitizer.log"
  fi
  if [[ -f $bench_log ]]; then
    echo
    echo "## stzkmc bench (appended to benchmarks/RECORD.md)"
    grep -E "^\||^devices|^stzkmc bench" "$bench_log"
  fi
  echo
  echo "result:  $( ((status == 0)) && echo PASS || echo FAIL )"
} > "${report_file:-/dev/stdout}"
[[ -n $report_file ]] && say "report written to $report_file"
exit "$status"
