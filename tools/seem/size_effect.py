#!/usr/bin/python3
"""Glass size in the AQS data SEEM learns from (docs/seem.md, "Glass size"): per dataset and
cooling rate, what the atomistic traces say before any SEEM model is built.

Per cooling rate: glasses, atoms; yield stress (each glass's largest stress, mean and standard
deviation over glasses); flow stress and X1 over the flow stage (gamma >= --flow-from, the
committed X1 decomposition of --fit); the events SEEM harvests (its "drop" criterion: a step whose
stress falls) per unit strain; their mean stress drop |dtau| and the same times the atom count
(constant if an event is a local rearrangement of a fixed number of atoms, whose stress drop is
diluted by the box); and the stress relaxed by events per unit strain (size independent if the
plastic flow is). A SEEM database inherits these: its lambda grows and its dtau shrinks with
the box, so a database is for one glass size. Also the share of events whose drop is below
--small (1 MPa), and of the stress they relax: drops at the noise level of the minimizer, which
SEEM's "drop" criterion counts as events (`seem harvest --threshold` sets a floor).

Usage: tools/seem/size_effect.py --data A.h5 --data B.h5 ... --fit data/seem/x1_fit.h5 --out DIR
           [--flow-from 0.3] [--gamma-max 0.5]
Writes DIR/size_effect.txt, DIR/size_effect.json and DIR/size_effect.png (mean stress-strain
curves per rate and size; the distributions of N |dtau|).
"""
import argparse
import json
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fit_x1 import x1_of  # noqa: E402  (the one X1 formula of the Python tools)


def load(path, gamma_max):
    out = []
    with h5py.File(path, "r") as h:
        for name, g in h["samples"].items():
            gamma = g["gamma"][:]
            keep = gamma <= gamma_max + 1e-12
            out.append(dict(name=name, rate=float(g.attrs["cooling_rate"]), natoms=int(g.attrs["natoms"]),
                            omega=float(g.attrs["omega"]), gamma=gamma[keep], tau=g["tau"][:][keep],
                            pe=g["pe"][:][keep]))
    return out


def per_rate(traces, fit, flow_from, small):
    rows = []
    for rate in sorted({t["rate"] for t in traces}):
        ts = [t for t in traces if t["rate"] == rate]
        yields, flows, x1s, strains, drops = [], [], [], [], []
        for t in ts:
            flow = t["gamma"] >= flow_from
            yields.append(t["tau"].max())
            if flow.any():
                flows.append(t["tau"][flow].mean())
                x1s.append(x1_of(t, fit["u0"], fit)[flow].mean())
            dtau = np.diff(t["tau"])
            drops.append(-dtau[dtau < 0])
            strains.append(t["gamma"][-1] - t["gamma"][0])
        d = np.concatenate(drops)
        natoms = sorted({t["natoms"] for t in ts})
        strain = float(np.sum(strains))

        def mean_sd(v):
            v = np.asarray(v, dtype=float)
            return [float(v.mean()) if len(v) else float("nan"), float(v.std(ddof=1)) if len(v) > 1 else float("nan")]
        rows.append(dict(rate=rate, glasses=len(ts), natoms=natoms[0] if len(natoms) == 1 else natoms,
                         strain=strain, yield_GPa=mean_sd(yields), flow_GPa=mean_sd(flows),
                         x1_flow_meV=[1e3 * x for x in mean_sd(x1s)], events=int(len(d)),
                         events_per_strain=len(d) / strain if strain > 0 else float("nan"),
                         mean_drop_GPa=float(d.mean()) if len(d) else float("nan"),
                         mean_drop_times_N=float(d.mean() * np.mean([t["natoms"] for t in ts])) if len(d) else float("nan"),
                         largest_drop_GPa=float(d.max()) if len(d) else float("nan"),
                         small_events_pct=float(100.0 * np.mean(d < small)) if len(d) else float("nan"),
                         small_relaxed_pct=float(100.0 * d[d < small].sum() / d.sum()) if len(d) else float("nan"),
                         relaxed_per_strain_GPa=float(d.sum() / strain) if strain > 0 else float("nan"),
                         drops_times_N=(d * np.mean([t["natoms"] for t in ts])).tolist()))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", action="append", required=True, help="AQS dataset (HDF5); repeat for each size")
    ap.add_argument("--fit", required=True, help="X1 fit (tools/seem/fit_x1.py), for the flow-stage X1")
    ap.add_argument("--out", required=True)
    ap.add_argument("--flow-from", type=float, default=0.3, help="the flow stage begins at this strain")
    ap.add_argument("--gamma-max", type=float, default=0.5, help="traces are cut at this strain")
    ap.add_argument("--small", type=float, default=0.001,
                    help="a stress drop below this (GPa) counts as small: their share of the events and of the relaxed stress")
    a = ap.parse_args()
    if not (0.0 <= a.flow_from < a.gamma_max):
        sys.exit(f"size_effect.py: --flow-from {a.flow_from}, --gamma-max {a.gamma_max}: allowed 0 <= flow-from < gamma-max")
    with h5py.File(a.fit, "r") as h:
        fit = {k: float(h.attrs[k]) for k in ("G0", "uA", "tauA", "tauB", "u0")}
    os.makedirs(a.out, exist_ok=True)
    if not a.small > 0:
        sys.exit(f"size_effect.py: --small {a.small}: allowed a stress drop > 0 (GPa)")
    result = {"flow_from": a.flow_from, "gamma_max": a.gamma_max, "fit": a.fit, "small_GPa": a.small, "datasets": []}
    lines = [f"AQS data by glass size (flow stage gamma >= {a.flow_from}, traces cut at {a.gamma_max}; "
             f"events = steps whose stress falls; mean +- sd over glasses; small = drops below {a.small:g} GPa)",
             f"{'dataset':28s} {'K/ps':>6s} {'N':>5s} {'gl':>3s} {'yield GPa':>13s} {'flow GPa':>13s} "
             f"{'X1 flow meV':>13s} {'ev/strain':>9s} {'<dtau> GPa':>10s} {'N<dtau>':>8s} {'max dtau':>8s} "
             f"{'relaxed/strain':>14s} {'small ev%':>9s} {'small rel%':>10s}"]
    traces_by_set = []
    for path in a.data:
        traces = load(path, a.gamma_max)
        if not traces:
            sys.exit(f"size_effect.py: {path} has no samples")
        traces_by_set.append(traces)
        rows = per_rate(traces, fit, a.flow_from, a.small)
        result["datasets"].append({"data": path, "rates": [{k: v for k, v in r.items() if k != "drops_times_N"}
                                                           for r in rows]})
        for r in rows:
            lines.append(f"{os.path.basename(path):28s} {r['rate']:6g} {str(r['natoms']):>5s} {r['glasses']:3d} "
                         f"{r['yield_GPa'][0]:6.3f}+-{r['yield_GPa'][1]:5.3f} {r['flow_GPa'][0]:6.3f}+-{r['flow_GPa'][1]:5.3f} "
                         f"{r['x1_flow_meV'][0]:6.2f}+-{r['x1_flow_meV'][1]:5.2f} {r['events_per_strain']:9.0f} "
                         f"{r['mean_drop_GPa']:10.4f} {r['mean_drop_times_N']:8.1f} {r['largest_drop_GPa']:8.3f} "
                         f"{r['relaxed_per_strain_GPa']:14.1f} {r['small_events_pct']:9.0f} {r['small_relaxed_pct']:10.1f}")
        result["datasets"][-1]["drops_times_N"] = {str(r["rate"]): r["drops_times_N"] for r in rows}
    text = "\n".join(lines) + "\n"
    print(text, end="")
    with open(os.path.join(a.out, "size_effect.txt.tmp"), "w") as f:
        f.write(text)
    os.replace(os.path.join(a.out, "size_effect.txt.tmp"), os.path.join(a.out, "size_effect.txt"))
    summary = {k: v for k, v in result.items()}
    summary["datasets"] = [{k: v for k, v in d.items() if k != "drops_times_N"} for d in result["datasets"]]
    with open(os.path.join(a.out, "size_effect.json.tmp"), "w") as f:
        json.dump(summary, f, indent=1)
    os.replace(os.path.join(a.out, "size_effect.json.tmp"), os.path.join(a.out, "size_effect.json"))

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 2, figsize=(11, 4.2))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    rates = sorted({t["rate"] for ts in traces_by_set for t in ts})
    styles = ["-", "--", ":", "-."]
    grid = np.linspace(0.0, a.gamma_max, 501)
    for si, (path, traces) in enumerate(zip(a.data, traces_by_set)):
        for ri, rate in enumerate(rates):
            ts = [t for t in traces if t["rate"] == rate]
            if not ts:
                continue
            mean = np.mean([np.interp(grid, t["gamma"], t["tau"]) for t in ts], axis=0)
            ax[0].plot(grid, mean, styles[si % 4], color=colors[ri % len(colors)], lw=1.2,
                       label=f"{rate:g} K/ps, N={ts[0]['natoms']} ({len(ts)})")
        d = np.sort(np.concatenate([np.asarray(v) for v in result["datasets"][si]["drops_times_N"].values()]))
        if len(d):
            # complementary cumulative distribution: smooth with few events, the usual view of
            # avalanche sizes
            ccdf = 1.0 - np.arange(len(d)) / len(d)
            ax[1].step(d, ccdf, where="post", lw=1.4,
                       label=f"{os.path.basename(path)} ({len(d)} events, N = {traces[0]['natoms']})")
    ax[0].set_xlabel("shear strain")
    ax[0].set_ylabel("mean shear stress (GPa)")
    ax[0].legend(fontsize=7, ncol=2)
    ax[0].set_title("mean AQS curves by cooling rate and size", fontsize=10)
    ax[1].set_xscale("log")
    ax[1].set_yscale("log")
    ax[1].set_xlabel("N |dtau| per event (GPa x atoms)")
    ax[1].set_ylabel("fraction of events above")
    ax[1].legend(fontsize=8)
    ax[1].set_title("stress drops scaled by the atom count (all rates)", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(a.out, "size_effect.png"), dpi=120)


if __name__ == "__main__":
    main()
