#!/usr/bin/env python3
"""Minimum creep rate against stress from a creep sweep (docs/model.md §6.5).

Reads every finished run of a sweep output directory (the runs' HDF5 files, loading.protocol =
"creep"), takes each run's minimum creep rate (the loaded strain's rate over strain windows of
5e-4, the minimum over window starts) and its time to the end strain (tertiary creep), and per
stress their geometric means and the standard error of ln(rate) over seeds. It then fits
ln(rate_min) = a + b * stress: for a thermally activated rate ~ exp(sigma V*/kT) the apparent
activation volume is V* = b kT, compared with the model's STZ volume V and with (V/2) gamma*,
the resolved work per unit stress of a mode whose SFTS component is gamma* (two standard
deviations). Also the stress exponent n = d ln(rate)/d ln(sigma) at the mean stress.
Writes creep_fit.csv and creep_rate.png (rate against stress with the fit) into the directory.

usage: creep_fit.py SWEEP_OUT_DIR
"""
import csv
import math
import os
import sys

import h5py
import numpy as np

GPA_NM3_IN_EV = 6.241509074460763  # 1 GPa nm^3 in eV
KB_EV = 8.617333262e-5


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def min_creep_rate(path, window=5e-4):
    """(minimum creep rate, time to the end strain or None, parameters) of a finished creep run.
    The rate is taken over strain windows of at least `window` (about 30 thermal events at 64^2:
    at low stress a window of a fixed span of time may hold one event or none, and its rate
    measures the discreteness, not the creep), the minimum over all window starts."""
    with h5py.File(path, "r") as f:
        if text(f["meta"].attrs["status"]) != "finished":
            return None
        d = f["deck"].attrs
        if text(d["loading.protocol"]) != "creep":
            sys.exit(f"creep_fit: {path} is not a creep run (loading.protocol = {text(d['loading.protocol'])})")
        c = f["curve"][()]
        mode = text(d["loading.mode"])
        if mode == "shear":
            strain = 2.0 * c["strain_12"]
        else:
            strain = (-1.0 if mode == "compression" else 1.0) * c["strain_11"]
        t = np.asarray(c["time"], dtype=float)
        strain = np.asarray(strain, dtype=float)
        end_strain = float(d["loading.end_strain"])
        t_end = float(t[-1]) if strain[-1] >= end_strain else None
        pos = t > 0
        t, strain = t[pos], strain[pos]
        rates = []
        # The strain is not monotone (a plastic event can lower it): search its running maximum
        # for the first point at least `window` above strain[i].
        running_max = np.maximum.accumulate(strain)
        for i in range(t.size):
            j = np.searchsorted(running_max, strain[i] + window, side="left")
            if j < t.size and t[j] > t[i]:
                rates.append((strain[j] - strain[i]) / (t[j] - t[i]))
        if not rates:
            return None
        params = {k: float(d[k]) for k in ("loading.creep_stress", "kinetics.temperature", "grid.voxel_size",
                                            "grid.thickness", "catalog.gamma_star")}
        return float(min(rates)), t_end, params


def main():
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        sys.exit(__doc__)
    out = sys.argv[1]
    runs = []
    for root, _, files in os.walk(out):
        for name in files:
            if name.endswith(".h5") and not name.endswith(".ckpt.h5") and not name.startswith("summary"):
                r = min_creep_rate(os.path.join(root, name))
                if r:
                    runs.append(r)
    if not runs:
        sys.exit(f"creep_fit: no finished creep run under {out}")
    by_stress = {}
    t_end = {}
    for rate, te, p in runs:
        by_stress.setdefault(p["loading.creep_stress"], []).append(rate)
        if te is not None:
            t_end.setdefault(p["loading.creep_stress"], []).append(te)
    p0 = runs[0][2]
    kT = KB_EV * p0["kinetics.temperature"]
    volume = p0["grid.voxel_size"] ** 2 * p0["grid.thickness"]  # nm^3
    stresses = np.array(sorted(by_stress))
    logs = [np.log(by_stress[s]) for s in stresses]
    mean_log = np.array([np.mean(x) for x in logs])
    se_log = np.array([np.std(x, ddof=1) / math.sqrt(len(x)) if len(x) > 1 else float("nan") for x in logs])
    rows = []
    for s, m, e, x in zip(stresses, mean_log, se_log, logs):
        te = t_end.get(s, [])
        rows.append({"stress_gpa": s, "seeds": len(x), "min_creep_rate_geomean": math.exp(m),
                     "ln_rate_se": e, "runs_to_end_strain": len(te),
                     "time_to_end_strain_geomean": math.exp(np.mean(np.log(te))) if te else float("nan")})
    with open(os.path.join(out, "creep_fit.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    for r in rows:
        print(f"stress {r['stress_gpa']:.3f} GPa: minimum creep rate {r['min_creep_rate_geomean']:.3e} /s "
              f"(geometric mean of {r['seeds']} seeds, ln se {r['ln_rate_se']:.2f}); time to the end strain "
              f"{r['time_to_end_strain_geomean']:.3g} s ({r['runs_to_end_strain']} runs reached it)")
    if len(stresses) < 2:
        return
    b, a = np.polyfit(stresses, mean_log, 1)
    v_star = b * kT / GPA_NM3_IN_EV  # nm^3
    n_exp = b * float(np.mean(stresses))
    print(f"fit ln(rate) = {a:.2f} + {b:.2f} * stress/GPa: apparent activation volume V* = {v_star:.3f} nm^3 "
          f"= {v_star / volume:.3f} V (V = {volume:.3f} nm^3; (V/2) gamma* = {0.5 * volume * p0['catalog.gamma_star']:.3f}"
          f" nm^3); stress exponent n = {n_exp:.1f} at {np.mean(stresses):.2f} GPa")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for s, x in zip(stresses, logs):
        ax.semilogy([s] * len(x), np.exp(x), "o", color="C0", alpha=0.4, ms=4)
    ax.errorbar(stresses, np.exp(mean_log), yerr=[np.exp(mean_log) - np.exp(mean_log - se_log),
                                                  np.exp(mean_log + se_log) - np.exp(mean_log)],
                fmt="s", color="C3", label="geometric mean over seeds")
    xs = np.linspace(stresses.min(), stresses.max(), 50)
    ax.semilogy(xs, np.exp(a + b * xs), "-", color="0.3", label=f"exp fit: V* = {v_star:.2f} nm$^3$ = {v_star / volume:.2f} V")
    ax.set_xlabel("held stress (GPa)")
    ax.set_ylabel("minimum creep rate (1/s)")
    ax.set_title(f"creep, {p0['kinetics.temperature']:g} K")
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "creep_rate.png"), dpi=150)
    print(os.path.join(out, "creep_rate.png"))


if __name__ == "__main__":
    main()
