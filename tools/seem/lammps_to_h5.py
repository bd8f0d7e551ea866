#!/usr/bin/python3
"""Pack the AQS traces written by tools/seem/generate.sh into one compact HDF5 dataset.

Usage: tools/seem/lammps_to_h5.py RUN_DIR OUT.h5

Layout (read by `stzkmc seem harvest --data` and the Python tools):
  /                       string attributes: provenance (LAMMPS version, potential and its
                          SHA-256, composition, protocol, cooling rates, settings, date)
  /inputs/<file>          the LAMMPS inputs, settings.txt and progress.log, verbatim
  /samples/r<rate>_s<NN>/ gamma (engineering shear strain), tau (shear stress, GPa),
                          pe (potential energy per atom, eV), p (pressure, GPa, float32);
                          attributes cooling_rate (K/ps), cooling_rate_K_per_s, sample, seed,
                          natoms, volume (A^3), omega (A^3/atom)
Only finished traces (ending in '# done') are packed.
"""
import datetime
import hashlib
import os
import re
import sys

import h5py
import numpy as np


def read_settings(run_dir):
    settings = {}
    with open(os.path.join(run_dir, "settings.txt")) as f:
        for line in f:
            key, _, value = line.strip().partition(" ")
            if key:
                settings[key] = value
    return settings


def seeds_from_progress(run_dir):
    seeds = {}
    path = os.path.join(run_dir, "progress.log")
    if os.path.exists(path):
        for line in open(path):
            m = re.search(r"quenched (\S+) seed=(\d+)", line)
            if m:
                seeds[m.group(1)] = int(m.group(2))
    return seeds


def read_trace(path):
    header = {}
    with open(path) as f:
        first = f.readline().split()
        # "# natoms N volume V dgamma D ftol F"
        for k in range(1, len(first) - 1, 2):
            header[first[k]] = first[k + 1]
        done = any(line.startswith("# done") for line in f)
    data = np.loadtxt(path, comments="#", ndmin=2)
    return header, data, done


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    run_dir, out = sys.argv[1], sys.argv[2]
    settings = read_settings(run_dir)
    seeds = seeds_from_progress(run_dir)
    names = sorted(f[:-8] for f in os.listdir(run_dir) if f.endswith(".aqs.txt"))
    pot = settings.get("potfile", "")
    pot_sha = hashlib.sha256(open(pot, "rb").read()).hexdigest() if os.path.exists(pot) else "unknown"
    packed, skipped = [], []
    with h5py.File(out, "w") as h:
        h.attrs["title"] = "Cu64Zr36 metallic glass, athermal quasistatic simple shear (SEEM training data)"
        h.attrs["composition"] = "Cu64Zr36"
        h.attrs["potential"] = "CuZr_mm.eam.fs (pair_style eam/fs, Mendelev Cu-Zr, Debian lammps-data)"
        h.attrs["potential_sha256"] = pot_sha
        h.attrs["lammps_version"] = settings.get("lammps_version", "unknown")
        h.attrs["lammps_package"] = "Debian lammps " + settings.get("lammps_package", "unknown")
        h.attrs["protocol"] = (
            "FCC random solid solution at 36 % Zr -> NPT 2000 K 5 ps -> 1300 K (2 ps ramp, 3 ps hold) -> "
            "ramp 1300 -> 300 K at the cooling rate -> 300 -> 10 K in 2 ps -> CG minimization with all six "
            "box components relaxed to zero stress -> AQS simple shear in xy: affine step dgamma "
            "(change_box xy delta, remap) + CG minimization at fixed box (ftol) per step; "
            "tau = -pxy from the virial; timestep 2 fs, NPT damping 0.1/1.0 ps")
        h.attrs["cooling_rates_K_per_ps"] = settings.get("rates_K_per_ps", "")
        h.attrs["settings"] = " ; ".join(f"{k}={v}" for k, v in settings.items())
        h.attrs["units"] = "gamma: engineering shear strain; tau, p: GPa; pe: eV/atom; volume: A^3"
        h.attrs["created"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        h.attrs["generator"] = "tools/seem/generate.sh (LAMMPS) + tools/seem/lammps_to_h5.py"
        inputs = h.create_group("inputs")
        for f in ("in.cuzr_quench.lmp", "in.cuzr_aqs.lmp", "settings.txt", "progress.log"):
            p = os.path.join(run_dir, f)
            if os.path.exists(p):
                inputs.create_dataset(f, data=open(p).read())
        samples = h.create_group("samples")
        for name in names:
            header, d, done = read_trace(os.path.join(run_dir, name + ".aqs.txt"))
            if not done or d.shape[0] < 2:
                skipped.append(name)
                continue
            m = re.match(r"r([0-9.eE+-]+)_s(\d+)$", name)
            rate, sample = float(m.group(1)), int(m.group(2))
            g = samples.create_group(name)
            kw = dict(compression="gzip", compression_opts=9, shuffle=True)
            g.create_dataset("gamma", data=d[:, 1], **kw)
            g.create_dataset("tau", data=d[:, 2], **kw)
            g.create_dataset("pe", data=d[:, 3], **kw)
            g.create_dataset("p", data=d[:, 4].astype(np.float32), **kw)
            natoms, volume = int(header["natoms"]), float(header["volume"])
            g.attrs["cooling_rate"] = rate
            g.attrs["cooling_rate_K_per_s"] = rate * 1e12
            g.attrs["sample"] = sample
            g.attrs["seed"] = seeds.get(name, -1)
            g.attrs["natoms"] = natoms
            g.attrs["volume"] = volume
            g.attrs["omega"] = volume / natoms
            packed.append(name)
        h.attrs["n_samples"] = len(packed)
    print(f"packed {len(packed)} traces into {out} ({os.path.getsize(out) / 1024:.0f} KiB)"
          + (f"; skipped unfinished: {' '.join(skipped)}" if skipped else ""))
    if not packed:
        sys.exit("lammps_to_h5.py: no finished AQS trace in " + run_dir)


if __name__ == "__main__":
    main()
