#!/usr/bin/python3
"""How much AQS data SEEM needs (docs/seem.md, "How much data"): the harvested maps and the fixed
point against the number of training glasses.

For n = 1, 2, ... glasses per cooling rate (drawn without replacement, `--replicas` times each),
the subset is harvested on the grid of the reference database (every glass of the dataset,
same ranges) and compared with it: the error of the event-rate map lambda and of the mean plastic
stress drop per event, each a relative L1 difference weighted by the reference's strain exposure
over the bins the reference trusts; the events per trusted bin; the fraction of the reference's
trusted bins the subset trusts; and the SEEM fixed point of the subset (`seem fixedpoint`, a few
starts). The errors fall roughly as 1/sqrt(events per bin); the fit says how many events per
bin reach a target error.

Usage: tools/seem/data_convergence.py --stzkmc build/host/stzkmc --data data/seem/cuzr_aqs.h5
           --fit data/seem/x1_fit.h5 --grid-from data/seem/seem_db.h5 [--replicas 5] --out DIR
Writes DIR/data_convergence.txt and DIR/data_convergence.png.
"""
import argparse
import os
import subprocess

import h5py
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def write_subset(data, names, path):
    with h5py.File(data, "r") as src, h5py.File(path, "w") as dst:
        for k, v in src.attrs.items():
            dst.attrs[k] = v
        g = dst.create_group("samples")
        for n in names:
            src.copy(src["samples"][n], g, name=n)


def harvest(args, data, grid, path):
    subprocess.run([args.stzkmc, "seem", "harvest", "--data", data, "--fit", args.fit] + grid + ["-o", path],
                   check=True, capture_output=True, text=True)
    with h5py.File(path, "r") as h:
        m = {k: h["maps"][k][:] for k in ("lambda", "mean_dtau", "visits", "strain", "events")}
        m["min_visits"] = int(h.attrs["min_visits"])
    return m


def fixed_point(args, db, path):
    out = subprocess.run([args.stzkmc, "seem", "fixedpoint", "--db", db, "--traj", "2000", "--starts-x1", "2",
                          "--starts-tau", "1", "-o", path], check=True, capture_output=True, text=True).stdout
    with h5py.File(path, "r") as h:
        return float(h.attrs["x1"]), float(h.attrs["tau"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stzkmc", default="build/host/stzkmc")
    ap.add_argument("--data", required=True)
    ap.add_argument("--fit", required=True)
    ap.add_argument("--grid-from", required=True, help="a database whose grid (ranges) every subset uses")
    ap.add_argument("--replicas", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    # Every database bins, counts and trusts as the --grid-from one does.
    with h5py.File(args.grid_from, "r") as h:
        xe, te = h["maps"]["x1_edges"][:], h["maps"]["tau_edges"][:]
        at = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in h.attrs.items()}
    ranges = [f"--x1-range={xe[0]!r},{xe[-1]!r}", f"--tau-range={te[0]!r},{te[-1]!r}",
              "--n-x1", str(len(xe) - 1), "--n-tau", str(len(te) - 1), "--min-visits", str(int(at["min_visits"])),
              "--criterion", str(at["criterion"]), "--threshold", repr(float(at["drop_threshold"])),
              "--lambda-policy", str(at["lambda_policy"])]
    with h5py.File(args.data, "r") as h:
        by_rate = {}
        for n, g in h["samples"].items():
            by_rate.setdefault(float(g.attrs["cooling_rate"]), []).append(n)
    per_rate = min(len(v) for v in by_rate.values())
    ref = harvest(args, args.data, ranges, os.path.join(args.out, "reference_db.h5"))
    trusted = ref["visits"] >= ref["min_visits"]
    w = np.where(trusted, ref["strain"], 0.0)
    ref_fp = fixed_point(args, os.path.join(args.out, "reference_db.h5"), os.path.join(args.out, "fp_ref.h5"))

    rng = np.random.default_rng(args.seed)

    def subset_db(names, tag):
        sub = os.path.join(args.out, f"subset_{tag}.h5")
        write_subset(args.data, names, sub)
        db = os.path.join(args.out, f"db_{tag}.h5")
        m = harvest(args, sub, ranges, db)
        m["fp"] = fixed_point(args, db, os.path.join(args.out, f"fp_{tag}.h5"))
        for p in (sub, db, os.path.join(args.out, f"fp_{tag}.h5")):
            os.remove(p)
        return m

    def rel_l1(a, b, key, weight):
        x, y = np.nan_to_num(a[key]), np.nan_to_num(b[key])
        norm = np.sum(weight * 0.5 * (x + y))
        return np.sum(weight * np.abs(x - y)) / norm if norm > 0 else np.nan  # no bin both trust

    # Two disjoint halves of n glasses per rate each: their difference is sqrt(2) times the error
    # of one (no overlap with a reference that would shrink it as n grows).
    rows = []
    for n in range(1, per_rate // 2 + 1):
        lam_err, drop_err, epb, cover, fps = [], [], [], [], []
        for r in range(args.replicas):
            halves = [[], []]
            for rate in sorted(by_rate):
                pick = rng.choice(sorted(by_rate[rate]), 2 * n, replace=False)
                halves[0] += list(pick[:n])
                halves[1] += list(pick[n:])
            a, b = subset_db(halves[0], f"{n}_{r}_a"), subset_db(halves[1], f"{n}_{r}_b")
            ta, tb = a["visits"] >= a["min_visits"], b["visits"] >= b["min_visits"]
            both = ta & tb & trusted
            w = np.where(both, 0.5 * (a["strain"] + b["strain"]), 0.0)
            lam_err.append(rel_l1(a, b, "lambda", w) / np.sqrt(2.0))
            we = np.where(both & (a["events"] > 0) & (b["events"] > 0), w, 0.0)
            drop_err.append(rel_l1(a, b, "mean_dtau", we) / np.sqrt(2.0))
            for m, t in ((a, ta), (b, tb)):
                epb.append(np.sum(m["events"][t]) / max(np.sum(t), 1))
                cover.append(np.sum(t & trusted) / np.sum(trusted))
                fps.append(m["fp"])
        fps = np.array(fps)
        inside = (fps[:, 0] >= xe[0]) & (fps[:, 0] <= xe[-1]) & (fps[:, 1] >= te[0]) & (fps[:, 1] <= te[-1])
        rows.append(dict(n=n * len(by_rate), per_rate=n, lam=np.mean(lam_err), lam_sd=np.std(lam_err),
                         drop=np.mean(drop_err), drop_sd=np.std(drop_err), epb=np.mean(epb), cover=np.mean(cover),
                         escaped=1.0 - np.mean(inside),
                         fx=np.median(fps[inside, 0]) if inside.any() else np.nan,
                         ft=np.median(fps[inside, 1]) if inside.any() else np.nan))
    # The error's prefactor for an imposed 1/sqrt law (counting noise), and the fitted slope as a check.
    ok = [r for r in rows if np.isfinite(r["lam"]) and r["lam"] > 0]
    a = np.exp(np.mean([np.log(r["lam"]) + 0.5 * np.log(r["epb"]) for r in ok]))
    slope = np.polyfit(np.log([r["epb"] for r in ok]), np.log([r["lam"] for r in ok]), 1)[0] if len(ok) > 1 else np.nan
    full_epb = np.sum(ref["events"][trusted]) / np.sum(trusted)
    lines = [f"SEEM data convergence: {args.data}; two disjoint halves of n glasses per cooling rate "
             f"({len(by_rate)} rates), {args.replicas} random draws each, harvested on the grid of {args.grid_from}",
             "lambda err, drop err: relative L1 difference between the halves / sqrt(2) (the error of one half), "
             "weighted by their strain exposure over the bins both and the all-glass database trust; fixed point: "
             "median over the halves whose steady state stays in the grid; escaped: the others",
             f"{'glasses':>7s} {'per rate':>8s} {'events/bin':>10s} {'coverage':>8s} {'lambda err':>14s} "
             f"{'drop err':>14s} {'escaped':>7s} {'fixed X1 meV':>12s} {'fixed tau':>9s}"]
    for r in rows:
        lines.append(f"{r['n']:7d} {r['per_rate']:8d} {r['epb']:10.2f} {r['cover']:8.2f} "
                     f"{r['lam']:7.3f}+-{r['lam_sd']:5.3f} {r['drop']:7.3f}+-{r['drop_sd']:5.3f} "
                     f"{r['escaped']:7.2f} {r['fx'] * 1e3:12.2f} {r['ft']:9.3f}")
    lines.append(f"all {per_rate * len(by_rate)} glasses: {full_epb:.2f} events per trusted bin, fixed point X1 "
                 f"{ref_fp[0] * 1e3:.2f} meV/atom, tau {ref_fp[1]:.3f} GPa")
    lines.append(f"fitted slope of log(lambda error) against log(events per bin): {slope:.2f} (counting noise: -0.5)")
    lines.append(f"fit: lambda error = {a:.2f} / sqrt(events per trusted bin) => 10 % needs {(a / 0.10) ** 2:.0f} "
                 f"events per bin, 5 % needs {(a / 0.05) ** 2:.0f}; at the present "
                 f"{full_epb / (per_rate * len(by_rate)):.2f} events per bin and glass: "
                 f"{(a / 0.10) ** 2 / (full_epb / (per_rate * len(by_rate))):.0f} and "
                 f"{(a / 0.05) ** 2 / (full_epb / (per_rate * len(by_rate))):.0f} glasses of this size (if the events "
                 f"per bin grew in proportion to the glasses; the trusted bins grow too, so this is a lower bound)")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    with open(os.path.join(args.out, "data_convergence.txt"), "w") as f:
        f.write(text)

    fig, axs = plt.subplots(1, 2, figsize=(11, 4.2))
    e = np.array([r["epb"] for r in rows])
    axs[0].errorbar(e, [r["lam"] for r in rows], yerr=[r["lam_sd"] for r in rows], fmt="o-", label="lambda map")
    axs[0].errorbar(e, [r["drop"] for r in rows], yerr=[r["drop_sd"] for r in rows], fmt="s-",
                    label="mean stress drop map")
    ee = np.geomspace(e.min() * 0.8, (a / 0.05) ** 2, 100)
    axs[0].plot(ee, a / np.sqrt(ee), "k--", lw=1, label=f"{a:.2f} / sqrt(events per bin)")
    axs[0].axvline(full_epb, color="0.5", ls=":", label="all glasses")
    axs[0].set_xscale("log")
    axs[0].set_yscale("log")
    axs[0].set_xlabel("events per trusted bin")
    axs[0].set_ylabel("relative error of one half (difference / sqrt 2)")
    axs[0].legend(fontsize=8)
    n = [r["n"] for r in rows]
    axs[1].plot(n, [r["escaped"] for r in rows], "o-", color="k", label="fixed point escaped the grid")
    axs[1].plot(n, [r["cover"] for r in rows], "s-", color="C2", label="trusted bins (of the all-glass database)")
    axs[1].set_ylim(0, 1.05)
    axs[1].set_xlabel("training glasses")
    axs[1].set_ylabel("fraction")
    axs[1].legend(fontsize=8)
    fig.suptitle(f"SEEM against the amount of training data (halves of {os.path.basename(args.data)})", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, "data_convergence.png"), dpi=110)
    print("wrote", os.path.join(args.out, "data_convergence.png"))


if __name__ == "__main__":
    main()
