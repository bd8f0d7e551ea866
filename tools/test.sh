#!/usr/bin/env bash
# README command 2: install what is missing, build, run the whole test suite (ctest).
# GPU tests are skipped without a device; set STZ_REQUIRE_GPU=1 to make that a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
# Sleeping (not spinning) OpenMP waits: far faster when the cores are shared with other work.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
# ParaView (pvpython) too: ctest xdmf_paraview reads the XDMF output with its three XDMF readers;
# and an aarch64 cross compiler with qemu: ctest isa_aarch64 checks the hot loops' NEON and SVE bits.
tools/install_deps.sh --with-paraview --with-aarch64-check
tools/build.sh
cd build
ctest --output-on-failure -j "$(nproc)" "$@"
