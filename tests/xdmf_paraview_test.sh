#!/usr/bin/env bash
# ctest xdmf_paraview: a run's XDMF sidecar in ParaView's three XDMF readers (pvpython). Exits 77
# (skipped) where ParaView is not installed (tools/install_deps.sh --with-paraview installs it).
# Usage: tests/xdmf_paraview_test.sh SOURCE_DIR STZKMC
set -uo pipefail
src=$1
stzkmc=$2
command -v pvpython > /dev/null || { echo "xdmf_paraview: pvpython not found: skipped"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
printf '[grid]\nn = 24\n[loading]\nend_strain = 0.012\n[run]\nbackend = "cpu"\nthreads = 1\n[output]\nname = "x"\nfield_strains = [0.004, 0.008]\n' > x.toml
OMP_WAIT_POLICY=passive "$stzkmc" run x.toml --out out --quiet || { echo "xdmf_paraview: the run failed"; exit 1; }
# Offscreen: no display is needed to read files.
pvpython --force-offscreen-rendering "$src/tests/xdmf_paraview_check.py" out/x.xdmf 2>&1 | grep -v "^$"
exit "${PIPESTATUS[0]}"
