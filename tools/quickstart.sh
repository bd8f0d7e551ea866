#!/usr/bin/env bash
# README command 1: install what is missing, build, run the quickstart deck, plot it.
# Leaves out/quickstart/ with the HDF5 output, its XDMF sidecar and PNG figures.
set -euo pipefail
cd "$(dirname "$0")/.."
# Sleeping (not spinning) OpenMP waits: far faster when the cores are shared with other work.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
tools/install_deps.sh
tools/build.sh
# An interrupted quickstart (Ctrl-C) continues from its checkpoint instead of being refused.
if [[ -f out/quickstart/quickstart.ckpt.h5 ]]; then
  ./build/host/stzkmc resume out/quickstart/quickstart.ckpt.h5
else
  ./build/host/stzkmc run runs/quickstart.toml --out out/quickstart "$@"
fi
./build/host/stzkmc plot out/quickstart/quickstart.h5
echo "stzkmc: results in out/quickstart/ (quickstart.h5, quickstart.xdmf, *.png)"
