#!/usr/bin/env bash
# The logic of tools/gpu_check.sh without a GPU (ctest gpu_check_dry): its CPU dry-run mode on
# this build tree, then a step forced past its timeout and a deadline too short for a step.
# The report must say what ran, what failed and why, and the outputs must be there.
# Usage: tests/gpu_check_dry_test.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
src=$1
build=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "gpu_check_dry: $*" >&2; [[ -f $report ]] && cat "$report" >&2; exit 1; }
export STZ_GPU_CPU=1 STZ_GPU_PREBUILT=$build STZ_COMMIT=dry-run
export STZ_BENCH_ARGS="--sizes 32 --events 20 --warmup 5 --rules reference --threads 1"
export STZ_GPU_STEPS=preflight,deps,probe,test,bench,profile

# 1. Every step passes; every output is there; the repository's record is untouched.
record_before=$(md5sum "$src/benchmarks/RECORD.md")
report=$work/ok/gpu-report.md
"$src/tools/gpu_check.sh" "$work/ok" > "$work/ok.log" 2>&1 || fail "dry run failed (exit $?)"
for f in gpu-report.md RECORD.md ctest.log ctest-junit.xml bench.csv logs.tar.gz; do
  [[ -s $work/ok/$f ]] || fail "missing output $f"
done
for s in preflight test bench profile; do
  grep -q "^- \*\*$s\*\*: ok" "$report" || fail "step $s not reported ok"
done
# deps: unpacked where .device-pkgs was fetched (tools/gpu_fetch_pkgs.sh), else said to be absent.
grep -q -E "^- \*\*deps\*\*: (ok|no .device-pkgs)" "$report" || fail "step deps not reported"
grep -q "^result: PASS" "$report" || fail "no PASS"
grep -q "backend_cuda" "$report" || fail "the GPU tests are not listed"
grep -q "| 32 | 20 | cpu | reference |" "$work/ok/RECORD.md" || fail "the bench table is not in the returned RECORD.md"
[[ $(md5sum "$src/benchmarks/RECORD.md") == "$record_before" ]] || fail "benchmarks/RECORD.md was modified"

# 2. A step that outlives its timeout is reported as such, and later steps still run.
report=$work/timeout/gpu-report.md
STZ_STEP_TIMEOUT_BENCH=1 STZ_BENCH_ARGS="--sizes 256 --events 100000 --max-seconds 30 --rules reference --threads 1" \
  "$src/tools/gpu_check.sh" "$work/timeout" > "$work/timeout.log" 2>&1 && fail "a timed-out step did not fail the check"
grep -q "^- \*\*bench\*\*: TIMEOUT" "$report" || fail "the timeout is not reported"
grep -q "^- \*\*profile\*\*: ok" "$report" || fail "the step after the timeout did not run"
grep -q "^result: FAIL" "$report" || fail "no FAIL"

# 3. A deadline too short for the remaining steps: they are skipped, and say so.
report=$work/deadline/gpu-report.md
STZ_GPU_DEADLINE=8 "$src/tools/gpu_check.sh" "$work/deadline" > "$work/deadline.log" 2>&1 &&
  fail "skipped steps did not fail the check"
grep -q "SKIPPED (" "$report" || fail "no step reported as skipped"
grep -q "^result: FAIL" "$report" || fail "no FAIL"
echo "gpu_check_dry: the dry run, a timed-out step and a short deadline are reported correctly"
