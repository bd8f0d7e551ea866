#!/usr/bin/python3
"""Fit the X1 decomposition of MODEL.md part 2 (G0, uA, tauA, tauB) to AQS traces.

Usage: tools/seem/fit_x1.py DATA.h5 OUT_PREFIX [--holdout N] [--bootstrap B] [--seed S]
Writes OUT_PREFIX.h5 (root attributes read by `stzkmc seem --fit`), OUT_PREFIX.json and
OUT_PREFIX.png (diagnostics).

Model. The potential energy per atom is split as
    u = u0 + X1 + Omega tau^2 / (2 G0) [1 + X1/uA + (tau/tauA)^2 + (tau/tauB)^4],
which is MODEL.md's X1 formula solved for u. Between two plastic events (an elastic branch
of an AQS trace) the configuration only deforms elastically, so X1 is constant there and the
branch's u(tau) is fixed by the four parameters up to the branch's X1. We fit all branches of
the training samples at once:
  - u0 = mean initial (unstressed) energy of the most slowly quenched training glasses;
  - branches = runs of steps without a plastic step; a step is plastic when the stress drops
    or the step's tangent modulus is below --soft times the trace's median (hidden
    rearrangements); branches need >= --min-len states;
  - with c = 1/G0, d = 1/(G0 uA), a = 1/(G0 tauA^2), b = 1/(G0 tauB^4) and
    s = Omega tau^2/2 (in eV/GPa), u - u0 = X1_s (1 + s d) + s (c + a tau^2 + b tau^4):
    for fixed d this is linear in (c, a, b) and the per-branch X1_s, so X1_s is eliminated
    per branch in closed form and d is found by a 1D search of the residual (profile
    least squares).
Uncertainties: bootstrap over training samples (the branches of one glass are correlated, so
samples, not points, are resampled); the formal least-squares errors are given as well.
"""
import argparse
import json
import sys

import h5py
import numpy as np

GPA_A3_EV = 6.241509074460763e-3  # 1 GPa A^3 in eV
PUBLISHED = {"G0": 25.90, "uA": 0.101, "tauA": 8.4, "tauB": 2.90}


def load(path, holdout):
    """Training traces (the last `holdout` samples of each cooling rate are held out)."""
    traces = []
    with h5py.File(path, "r") as h:
        for name, g in h["samples"].items():
            traces.append(dict(name=name, rate=float(g.attrs["cooling_rate"]), sample=int(g.attrs["sample"]),
                               omega=float(g.attrs["omega"]), gamma=g["gamma"][:], tau=g["tau"][:], pe=g["pe"][:]))
    by_rate = {}
    for t in traces:
        by_rate.setdefault(t["rate"], []).append(t)
    train, held = [], []
    for rate, ts in sorted(by_rate.items()):
        ts.sort(key=lambda t: (t["sample"], t["name"]))
        if holdout and len(ts) <= holdout:
            sys.exit(f"fit_x1.py: cooling rate {rate} has {len(ts)} samples, cannot hold out {holdout}")
        train += ts[:len(ts) - holdout]
        held += ts[len(ts) - holdout:]
    return train, held


def branches(t, soft, min_len):
    """Index ranges [i, j) of elastic branches of one trace."""
    dg = np.diff(t["gamma"])
    dt = np.diff(t["tau"])
    slope = dt / dg
    gmed = np.median(slope[dt > 0])
    plastic = (dt < 0) | (slope < soft * gmed)
    out, start = [], 0
    for k, p in enumerate(plastic):
        if p:
            if k + 1 - start >= min_len:
                out.append((start, k + 1))
            start = k + 1
    if len(t["tau"]) - start >= min_len:
        out.append((start, len(t["tau"])))
    return out


def design(traces, soft, min_len):
    """Stacked points: y = u, s, tau, branch id, trace index."""
    ys, ss, ts, bid, tid = [], [], [], [], []
    nb = 0
    for it, t in enumerate(traces):
        for i, j in branches(t, soft, min_len):
            tau = t["tau"][i:j]
            ys.append(t["pe"][i:j])
            ss.append(0.5 * t["omega"] * tau ** 2 * GPA_A3_EV)
            ts.append(tau)
            bid.append(np.full(j - i, nb))
            tid.append(np.full(j - i, it))
            nb += 1
    return (np.concatenate(ys), np.concatenate(ss), np.concatenate(ts), np.concatenate(bid),
            np.concatenate(tid), nb)


def solve_fixed_d(d, y, s, tau, bid, nb):
    """Least squares in (c, a, b) and the branch offsets X1_s for fixed d, with a, b >= 0
    (tauA, tauB real; a coefficient the data push negative is set to 0, i.e. tau -> infinity)."""
    w = 1.0 + s * d                                    # coefficient of X1_s
    cols = np.stack([s, s * tau ** 2, s * tau ** 4], axis=1)
    ww = np.bincount(bid, w * w, nb)

    def project(f):                                    # remove the per-branch X1_s direction
        coef = np.bincount(bid, w * f, nb) / ww
        return f - w * coef[bid]

    yp = project(y)
    cp = np.stack([project(cols[:, k]) for k in range(3)], axis=1)
    best = None
    for active in ([0, 1, 2], [0, 1], [0, 2], [0]):   # non-negativity by active sets
        th, *_ = np.linalg.lstsq(cp[:, active], yp, rcond=None)
        if np.any(th[1:] < 0):
            continue
        theta = np.zeros(3)
        theta[active] = th
        r = yp - cp @ theta
        if best is None or r @ r < best[1]:
            best = (theta, float(r @ r))
    theta, ssr = best
    x1 = np.bincount(bid, w * (y - cols @ theta), nb) / ww
    return theta, x1, ssr, cp


def fit(traces, u0, soft, min_len):
    y, s, tau, bid, tid, nb = design(traces, soft, min_len)
    y = y - u0
    # profile the residual over d = 1/(G0 uA): coarse scan, then golden-section refinement
    grid = np.linspace(-0.2, 1.0, 61)
    ssr = [solve_fixed_d(d, y, s, tau, bid, nb)[2] for d in grid]
    k = int(np.argmin(ssr))
    lo, hi = grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)]
    phi = (np.sqrt(5) - 1) / 2
    for _ in range(80):
        m1, m2 = hi - phi * (hi - lo), lo + phi * (hi - lo)
        if solve_fixed_d(m1, y, s, tau, bid, nb)[2] < solve_fixed_d(m2, y, s, tau, bid, nb)[2]:
            hi = m2
        else:
            lo = m1
    d = 0.5 * (lo + hi)
    (c, a, b), x1, ssr_min, cp = solve_fixed_d(d, y, s, tau, bid, nb)
    n = len(y)
    p = dict(G0=1.0 / c, uA=c / d if d != 0 else float("inf"),
             tauA=float(np.sqrt(c / a)) if a > 0 else float("inf"),
             tauB=float((c / b) ** 0.25) if b > 0 else float("inf"),
             c=c, d=d, a=a, b=b)
    # formal errors of (c, a, b) from the projected design (d held at its optimum)
    sigma2 = ssr_min / max(n - nb - 4, 1)
    cov = sigma2 * np.linalg.inv(cp.T @ cp)
    info = dict(n_points=int(n), n_branches=int(nb), rms_residual_eV=float(np.sqrt(ssr_min / n)),
                formal_se_c_a_b=[float(np.sqrt(cov[i, i])) for i in range(3)])
    return p, info, dict(x1=x1, bid=bid, tid=tid, tau=tau, s=s, y=y)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data")
    ap.add_argument("out_prefix")
    ap.add_argument("--holdout", type=int, default=2)
    ap.add_argument("--bootstrap", type=int, default=200)
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--soft", type=float, default=0.5)
    ap.add_argument("--min-len", type=int, default=6)
    args = ap.parse_args()

    train, held = load(args.data, args.holdout)
    slowest = min(t["rate"] for t in train)
    u0 = float(np.mean([t["pe"][0] for t in train if t["rate"] == slowest]))
    omega = float(np.mean([t["omega"] for t in train]))
    p, info, aux = fit(train, u0, args.soft, args.min_len)

    # bootstrap over training samples, stratified by cooling rate
    rng = np.random.default_rng(args.seed)
    by_rate = {}
    for t in train:
        by_rate.setdefault(t["rate"], []).append(t)
    boot = []
    for _ in range(args.bootstrap):
        pick = []
        for ts in by_rate.values():
            pick += [ts[i] for i in rng.integers(0, len(ts), len(ts))]
        q, _, _ = fit(pick, u0, args.soft, args.min_len)
        boot.append([q["G0"], q["uA"], q["tauA"], q["tauB"]])
    boot = np.array(boot)
    keys = ["G0", "uA", "tauA", "tauB"]
    # a replica where a nonlinearity vanishes has tau -> infinity: the standard deviation uses
    # the finite replicas, the percentiles all of them, and the infinite fraction is reported
    def finite_std(v):
        v = v[np.isfinite(v)]
        return float(np.std(v, ddof=1)) if len(v) > 1 else float("nan")
    err = {k: finite_std(boot[:, i]) for i, k in enumerate(keys)}
    pct = {k: [float(v) for v in np.percentile(boot[:, i], [16, 84])] for i, k in enumerate(keys)}
    nan_frac = {k: float(np.mean(~np.isfinite(boot[:, i]))) for i, k in enumerate(keys)}

    x1_all = []
    for t in train + held:
        s = 0.5 * t["omega"] * t["tau"] ** 2 * GPA_A3_EV
        el = s / p["G0"] * (1 + (t["tau"] / p["tauA"]) ** 2 + (t["tau"] / p["tauB"]) ** 4)
        x1_all.append((t["pe"] - u0 - el) / (1 + s / (p["G0"] * p["uA"])))
    x1_cat = np.concatenate(x1_all)

    result = {
        "model": "u = u0 + X1 + Omega tau^2/(2 G0) [1 + X1/uA + (tau/tauA)^2 + (tau/tauB)^4]",
        "G0_GPa": p["G0"], "G0_err": err["G0"], "G0_p16_p84": pct["G0"],
        "uA_eV": p["uA"], "uA_err": err["uA"], "uA_p16_p84": pct["uA"],
        "tauA_GPa": p["tauA"], "tauA_err": err["tauA"], "tauA_p16_p84": pct["tauA"],
        "tauB_GPa": p["tauB"], "tauB_err": err["tauB"], "tauB_p16_p84": pct["tauB"],
        "bootstrap_infinite_fraction": nan_frac,
        "coefficients_c_d_a_b": [p["c"], p["d"], p["a"], p["b"]],
        "u0_eV": u0, "u0_definition": f"mean initial energy of the {slowest:g} K/ps training glasses",
        "omega_A3": omega,
        "published_for_comparison": PUBLISHED,
        "uncertainty": f"bootstrap over training samples (stratified by cooling rate), {args.bootstrap} replicas: "
                       "standard deviation and 16/84th percentiles",
        "training_samples": [t["name"] for t in train],
        "held_out_samples": [t["name"] for t in held],
        "branch_rule": {"soft": args.soft, "min_len": args.min_len},
        "X1_range_eV": [float(x1_cat.min()), float(x1_cat.max())],
        **info,
    }
    with open(args.out_prefix + ".json", "w") as f:
        json.dump(result, f, indent=2)
    with h5py.File(args.out_prefix + ".h5", "w") as h:
        for k, v in (("G0", p["G0"]), ("uA", p["uA"]), ("tauA", p["tauA"]), ("tauB", p["tauB"]),
                     ("u0", u0), ("omega", omega)):
            h.attrs[k] = float(v)
        for k in keys:
            h.attrs[k + "_err"] = err[k]
        h.attrs["rms_residual_eV"] = info["rms_residual_eV"]
        h.attrs["n_branches"] = info["n_branches"]
        h.attrs["n_points"] = info["n_points"]
        h.attrs["model"] = result["model"]
        h.attrs["uncertainty"] = result["uncertainty"]
        h.attrs["training_samples"] = ",".join(result["training_samples"])
        h.attrs["data"] = args.data
        h.create_dataset("bootstrap", data=boot)
        h["bootstrap"].attrs["columns"] = "G0 uA tauA tauB"

    print("X1 fit (%d branches, %d points, rms residual %.2e eV/atom):" % (
        info["n_branches"], info["n_points"], info["rms_residual_eV"]))
    for k, unit in zip(keys, ["GPa", "eV/atom", "GPa", "GPa"]):
        print(f"  {k:5s} = {p[k]:.4g} +- {err[k]:.2g} {unit}   (16-84%: {pct[k][0]:.4g} .. {pct[k][1]:.4g}; "
              f"published {PUBLISHED[k]})")
    print(f"  u0 = {u0:.6f} eV/atom, omega = {omega:.4f} A^3/atom; X1 range {x1_cat.min():.4f} .. {x1_cat.max():.4f}")

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(1, 2, figsize=(10, 4))
        # branch tangent modulus vs branch X1, with the fitted G(X1) at small stress
        gs, xs = [], []
        for it, t in enumerate(train):
            for (i, j) in branches(t, args.soft, args.min_len):
                if j - i >= 8:
                    gs.append(np.polyfit(t["gamma"][i:j], t["tau"][i:j], 1)[0])
                    xs.append(x1_all[it][i:j].mean())
        ax[0].plot(xs, gs, ".", ms=3, alpha=0.5, label="elastic branches (tangent modulus)")
        xx = np.linspace(min(xs), max(xs), 50)
        ax[0].plot(xx, p["G0"] * (1 - xx / p["uA"]), "k-", label="G0 (1 - X1/uA)")
        ax[0].set_xlabel("X1 (eV/atom)")
        ax[0].set_ylabel("dtau/dgamma (GPa)")
        ax[0].legend(fontsize=8)
        r = aux["y"] - (aux["x1"][aux["bid"]] * (1 + aux["s"] * p["d"])
                        + aux["s"] * (p["c"] + p["a"] * aux["tau"] ** 2 + p["b"] * aux["tau"] ** 4))
        ax[1].plot(aux["tau"], r * 1e6, ",", alpha=0.5)
        ax[1].set_xlabel("tau (GPa)")
        ax[1].set_ylabel("energy residual (micro-eV/atom)")
        ax[1].set_title(f"G0={p['G0']:.2f} GPa, uA={p['uA']:.3f} eV, tauA={p['tauA']:.2f}, tauB={p['tauB']:.2f} GPa",
                        fontsize=9)
        fig.tight_layout()
        fig.savefig(args.out_prefix + ".png", dpi=120)
    except Exception as e:  # plotting is a convenience; the fit files are already written
        print("fit_x1.py: no diagnostic plot:", e)


if __name__ == "__main__":
    main()
