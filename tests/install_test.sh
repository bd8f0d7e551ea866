#!/usr/bin/env bash
# `cmake --install` (ctest install): the installed stzkmc, run from a directory that is neither
# the source nor the build tree, runs a deck and plots it with its installed tools, and finds
# its installed decks and documentation.
# Usage: tests/install_test.sh BUILD_DIR
set -uo pipefail
build=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "install: $*" >&2; [[ -f $work/log ]] && cat "$work/log" >&2; exit 1; }

cmake --install "$build" --prefix "$work/prefix" > "$work/install.log" 2>&1 || fail "cmake --install failed: $(cat "$work/install.log")"
for f in bin/stzkmc share/stzkmc/tools/plot_run.py share/stzkmc/tools/sweep_collect.py \
         share/stzkmc/runs/quickstart.toml share/stzkmc/runs/README.md share/doc/stzkmc/README.md \
         share/doc/stzkmc/docs/model.md; do
  [[ -e $work/prefix/$f ]] || fail "$f was not installed"
done
mkdir -p "$work/elsewhere"
cd "$work/elsewhere" || fail "no directory"
printf '[grid]\nn = 16\n[loading]\nend_strain = 0.01\n[run]\nbackend = "cpu"\nthreads = 1\n[output]\nname = "tiny"\n' > tiny.toml
OMP_WAIT_POLICY=passive "$work/prefix/bin/stzkmc" run tiny.toml --out out --quiet > "$work/log" 2>&1 || fail "run failed"
"$work/prefix/bin/stzkmc" plot out/tiny.h5 >> "$work/log" 2>&1 || fail "plot failed"
# It ran the installed script, not the source tree's.
grep -q "plot: .*$work/prefix/share/stzkmc/tools/plot_run.py" "$work/log" || fail "plot did not run the installed script"
ls out/*.png > /dev/null 2>&1 || fail "no PNG written"
echo "install: ok ($(ls out/*.png | wc -l) figures from the installed binary)"
