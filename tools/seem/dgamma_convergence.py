#!/usr/bin/python3
"""Convergence of SEEM in the strain step (docs/seem.md, "The strain step").

Runs `stzkmc seem run` from one start with the step process at several strain steps and with the
continuous-strain Poisson process, and compares their mean curves: the RMS difference of the
mean stress and of the mean X1 from the Poisson run over the strain range, the yield (mean of
each trajectory's maximum stress) and the flow stress (mean stress over the last third).

Usage: tools/seem/dgamma_convergence.py --stzkmc build/host/stzkmc --db data/seem/seem_db.h5
           --x1 X1 [--dgammas 1e-3,2e-4,5e-5,1.25e-5] [--traj 20000] [--gamma-max 0.3] --out DIR
Writes DIR/dgamma_convergence.txt (the table) and DIR/dgamma_convergence.png.
"""
import argparse
import os
import subprocess

import h5py
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

RECORD_SPACING = 0.002  # strain between record points, for every step size


def run(args, dgamma, process, path, seed_offset=0):
    every = max(1, int(round(RECORD_SPACING / dgamma)))
    cmd = [args.stzkmc, "seem", "run", "--db", args.db, "--x1", str(args.x1), "--tau", "0", "--gamma-max",
           str(args.gamma_max), "--dgamma", str(dgamma), "--traj", str(args.traj), "--record-every", str(every),
           "--process", process, "--backend", "cpu", "--seed", str(args.seed + seed_offset), "-o", path]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    with h5py.File(path, "r") as h:
        r = {k: h[k][:] for k in ("gamma", "mean_tau", "mean_x1")}
        r.update({k: h.attrs[k] for k in ("peak_tau_mean", "events", "n_traj", "max_step_probability", "seconds")})
    r["log"] = out
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stzkmc", default="build/host/stzkmc")
    ap.add_argument("--db", required=True)
    ap.add_argument("--x1", type=float, required=True)
    ap.add_argument("--dgammas", default="1e-3,2e-4,5e-5,1.25e-5")
    ap.add_argument("--poisson-dgamma", type=float, default=2e-4, help="record step of the Poisson run")
    ap.add_argument("--traj", type=int, default=20000)
    ap.add_argument("--gamma-max", type=float, default=0.3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    grid = np.arange(0.0, args.gamma_max + 1e-12, RECORD_SPACING)
    runs = []
    for dg in [float(x) for x in args.dgammas.split(",")]:
        runs.append(("steps", dg, run(args, dg, "steps", os.path.join(args.out, f"steps_{dg:g}.h5"))))
    ref = run(args, args.poisson_dgamma, "poisson", os.path.join(args.out, "poisson.h5"))
    # The Monte Carlo noise floor: the same Poisson run with other random numbers.
    twin = run(args, args.poisson_dgamma, "poisson", os.path.join(args.out, "poisson_seed2.h5"), seed_offset=1)
    runs.append(("poisson", args.poisson_dgamma, ref))
    runs.append(("noise", args.poisson_dgamma, twin))

    def on_grid(r, key):
        return np.interp(grid, r["gamma"], r[key])

    def flow(r):
        g = r["gamma"]
        return float(np.mean(r["mean_tau"][g >= 2.0 * args.gamma_max / 3.0]))

    lines = [f"SEEM strain-step convergence: start X1 = {args.x1:g} eV/atom, tau = 0, {args.traj} trajectories "
             f"to strain {args.gamma_max:g}; database {args.db}",
             "RMS differences from the Poisson run on a grid of strain 0.002 (tau GPa, X1 meV/atom); yield = mean "
             "of each trajectory's maximum stress; flow = mean stress over the last third; 'noise': the Poisson "
             "run again with other random numbers (the Monte Carlo floor of the RMS differences)",
             f"{'process':8s} {'dgamma':>9s} {'max P/step':>10s} {'events/traj':>11s} {'rms tau':>8s} "
             f"{'rms X1':>7s} {'yield':>6s} {'flow':>6s} {'seconds':>7s}"]
    for process, dg, r in runs:
        rms_t = float(np.sqrt(np.mean((on_grid(r, "mean_tau") - on_grid(ref, "mean_tau")) ** 2)))
        rms_x = float(np.sqrt(np.mean((on_grid(r, "mean_x1") - on_grid(ref, "mean_x1")) ** 2))) * 1e3
        pmax = min(float(r["max_step_probability"]), 1.0) if process == "steps" else float("nan")  # nan: no limit
        lines.append(f"{process:8s} {dg:9.3g} {pmax:10.2f} {r['events'] / r['n_traj']:11.1f} {rms_t:8.4f} "
                     f"{rms_x:7.3f} {r['peak_tau_mean']:6.3f} {flow(r):6.3f} {r['seconds']:7.1f}")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    with open(os.path.join(args.out, "dgamma_convergence.txt"), "w") as f:
        f.write(text)

    fig, axs = plt.subplots(1, 3, figsize=(15, 4.2))
    for process, dg, r in runs:
        if process == "noise":
            axs[2].plot(grid, on_grid(r, "mean_tau") - on_grid(ref, "mean_tau"), color="0.6", lw=1.0,
                        label="Poisson, other random numbers (noise)")
            continue
        style = dict(color="k", lw=2.2, ls="--") if process == "poisson" else dict(lw=1.2)
        label = f"Poisson process (record every {dg:g})" if process == "poisson" else f"steps, dgamma {dg:g}"
        axs[0].plot(r["gamma"], r["mean_tau"], label=label, **style)
        axs[1].plot(r["gamma"], r["mean_x1"] * 1e3, label=label, **style)
        if process == "steps":
            axs[2].plot(grid, on_grid(r, "mean_tau") - on_grid(ref, "mean_tau"), lw=1.2, label=label)
    axs[0].set_ylabel("mean tau (GPa)")
    axs[1].set_ylabel("mean X1 (meV/atom)")
    axs[2].set_ylabel("mean tau - mean tau of the Poisson run (GPa)")
    axs[2].axhline(0.0, color="k", lw=0.8)
    for ax in axs:
        ax.set_xlabel("shear strain")
        ax.legend(fontsize=8)
    fig.suptitle(f"SEEM from X1 = {args.x1 * 1e3:.2f} meV/atom: the step process converges to the Poisson "
                 f"process as dgamma -> 0 ({args.traj} trajectories)", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, "dgamma_convergence.png"), dpi=110)
    print("wrote", os.path.join(args.out, "dgamma_convergence.png"))


if __name__ == "__main__":
    main()
