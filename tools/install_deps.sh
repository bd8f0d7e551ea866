#!/usr/bin/env bash
# Installs the Debian packages stzkmc needs, only those missing. Safe to run repeatedly.
# Usage: tools/install_deps.sh [--with-lammps] [--with-paraview] [--with-aarch64-check]
#   --with-lammps    LAMMPS for the SEEM data pipeline (tools/seem)
#   --with-paraview  ParaView (pvpython, ~550 MB) for ctest xdmf_paraview, which is skipped without it
#   --with-aarch64-check  an aarch64 cross compiler and qemu for ctest isa_aarch64 (skipped without)
set -euo pipefail
packages=(build-essential cmake ninja-build pkg-config git clang-format
          libfftw3-dev librandom123-dev catch2 libtomlplusplus-dev libcli11-dev
          libspdlog-dev libfmt-dev libhdf5-dev zlib1g-dev
          python3 python3-numpy python3-h5py python3-matplotlib)
for option in "$@"; do
  case "$option" in
    --with-lammps) packages+=(lammps lammps-data) ;;
    --with-paraview) packages+=(paraview python3-paraview) ;;
    --with-aarch64-check) packages+=(g++-aarch64-linux-gnu qemu-user) ;;
    *) echo "tools/install_deps.sh: unknown option $option (allowed: --with-lammps, --with-paraview," \
            "--with-aarch64-check)" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# A compiler able to do OpenMP is part of build-essential (g++ with libgomp).
if (( ${#missing[@]} )); then
  echo "stzkmc: installing missing Debian packages: ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "stzkmc: all required Debian packages are installed"
fi
