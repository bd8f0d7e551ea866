#!/usr/bin/env bash
# Downloads into .device-pkgs/ (git-ignored) the Debian packages that tools/gpu_check.sh needs
# to build stzkmc on a GPU machine that has no network: the -dev packages of the build
# (headers, CMake/pkg-config files, link symlinks) and the shared libraries they bring, with
# their dependency closure minus the C/C++ runtime every such machine has (libc6, libgcc-s1,
# libstdc++6, libgomp1 come with its own compiler and are newer there).
#
# Run it here, on a Debian machine that reaches the package registry, before the repository
# copy goes to the GPU machine (a run of the device tool carries `.device-pkgs` by name).
# Usage: tools/gpu_fetch_pkgs.sh            (idempotent: keeps .debs already downloaded)
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.device-pkgs

# The -dev packages themselves: their own Depends (Fortran/C++ HDF5 bindings, libssl-dev, ...)
# are not needed for the C API and are left out on purpose.
dev_packages=(libfftw3-dev librandom123-dev catch2 libtomlplusplus-dev libcli11-dev libspdlog-dev
              libfmt-dev libhdf5-dev pkgconf pkgconf-bin)
# Shared libraries the build links and the tests load, whose Depends are followed recursively.
runtime_roots=(libfftw3-double3 libtomlplusplus3 libspdlog1.10 libfmt9 libhdf5-103-1 libpkgconf3)
# Never carried: the target's compiler brings its own (newer) C and C++ runtime.
base_re='^(libc6|libgcc-s1|libstdc\+\+6|gcc-[0-9]+-base|libgomp1)$'

if ! apt-cache show libhdf5-103-1 >/dev/null 2>&1; then
  echo "gpu_fetch_pkgs: refreshing the package lists (apt-get update)"
  apt-get update -qq
fi

mapfile -t closure < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
                         --no-breaks --no-replaces --no-enhances "${runtime_roots[@]}" |
                       grep -v '^ ' | grep -v '^<' | sort -u | grep -Ev "$base_re")
packages=("${dev_packages[@]}" "${closure[@]}")
mapfile -t packages < <(printf '%s\n' "${packages[@]}" | sort -u)

mkdir -p "$dest"
cd "$dest"
missing=()
for p in "${packages[@]}"; do
  [[ -f "$p.deb" ]] || missing+=("$p")
done
if (( ${#missing[@]} )); then
  echo "gpu_fetch_pkgs: downloading ${#missing[@]} package(s): ${missing[*]}"
  apt-get download "${missing[@]}"
  # Plain names (NAME.deb): version strings carry '%' and '+', which some copy tools refuse.
  for p in "${missing[@]}"; do
    mv -f "${p}"_*.deb "$p.deb"
  done
fi
printf '%s\n' "${packages[@]}" > PACKAGES.txt
echo "gpu_fetch_pkgs: ${#packages[@]} packages in $dest ($(du -sh . | cut -f1)); list in $dest/PACKAGES.txt"
