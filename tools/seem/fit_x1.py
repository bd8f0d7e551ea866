#!/usr/bin/python3
"""Fit the X1 decomposition of docs/seem.md (G0, uA, tauA, tauB) to AQS traces.

Usage: tools/seem/fit_x1.py DATA.h5 OUT_PREFIX [--holdout N | --train NAME,NAME,...]
                           [--bootstrap B] [--seed S] [--no-plot]
Writes OUT_PREFIX.h5 (root attributes read by `stzkmc seem --fit`), OUT_PREFIX.json and
OUT_PREFIX.png (diagnostics). --train fits on the named samples only (the rest count as held
out): tools/seem/kfold_refit.sh passes each fold's training glasses (`stzkmc seem folds`).

Model. docs/seem.md's X1 formula is the potential energy per atom split as
    u = u0 + X1 + Omega tau^2 / (2 G0) [1 + X1/uA + (tau/tauA)^2 + (tau/tauB)^4]
solved for X1. On an elastic AQS step the structure (X1) does not change and du = Omega tau
dgamma (checked on the data to 1e-8 eV), so the energy model fixes the elastic compliance:
    J = dgamma/dtau = (1/G0) [1 + X1/uA + 2 (tau/tauA)^2 + 3 (tau/tauB)^4],
i.e. G(X1) = G0 (1 - X1/uA) to first order at small stress, softening with stress through
tauA and tauB. J is linear in (1/G0, 1/(G0 uA), 1/(G0 tauA^2), 1/(G0 tauB^4)), so the fit is:
  - u0 = mean initial (unstressed) energy of the most slowly quenched training glasses;
  - elastic steps: every step with a stress increase; per step J = dgamma/dtau at the mean
    stress of the step and X1 of its start state;
  - linear least squares for the four coefficients, with the two nonlinear ones >= 0 (a
    coefficient pushed negative is set to 0: tau -> infinity), trimming outliers (steps with
    J > 3x the median, then residuals beyond 4 robust standard deviations: hidden plastic
    relaxations and the softening right before an instability);
  - X1 depends on the parameters, so X1 -> fit -> X1 is iterated to a fixed point (starting
    from the published values; converges in a few iterations).
An earlier variant fitted the energies of whole elastic branches directly; it is ill
conditioned here (G0 and uA trade off through the per-branch X1 offsets), the compliance form
is not.
Uncertainties: bootstrap over training samples, stratified by cooling rate (the steps of one
glass are correlated, so glasses, not steps, are resampled).
"""
import argparse
import json
import os
import sys

import h5py
import numpy as np

GPA_A3_EV = 6.241509074460763e-3  # 1 GPa A^3 in eV
PUBLISHED = {"G0": 25.90, "uA": 0.101, "tauA": 8.4, "tauB": 2.90}


def load(path, holdout, train_names=None):
    """Training traces: the named ones if `train_names` is given, else all but the last `holdout`
    samples of each cooling rate."""
    traces = []
    with h5py.File(path, "r") as h:
        for name, g in h["samples"].items():
            traces.append(dict(name=name, rate=float(g.attrs["cooling_rate"]), sample=int(g.attrs["sample"]),
                               omega=float(g.attrs["omega"]), gamma=g["gamma"][:], tau=g["tau"][:], pe=g["pe"][:]))
    if train_names is not None:
        known = {t["name"] for t in traces}
        missing = sorted(set(train_names) - known)
        if missing:
            sys.exit(f"fit_x1.py: --train names {', '.join(missing)}: not samples of {path} "
                     f"(allowed: {', '.join(sorted(known))})")
        wanted = set(train_names)
        return ([t for t in traces if t["name"] in wanted], [t for t in traces if t["name"] not in wanted])
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


def x1_of(t, u0, p):
    """docs/seem.md's X1 for every state of a trace."""
    s = 0.5 * t["omega"] * t["tau"] ** 2 * GPA_A3_EV
    el = s / p["G0"] * (1 + (t["tau"] / p["tauA"]) ** 2 + (t["tau"] / p["tauB"]) ** 4)
    return (t["pe"] - u0 - el) / (1 + s / (p["G0"] * p["uA"]))


def elastic_steps(traces, u0, p):
    """Compliance J, start-state X1 and mid-step stress of every step with a stress increase."""
    J, X, T = [], [], []
    for t in traces:
        x = x1_of(t, u0, p)
        dg, dt = np.diff(t["gamma"]), np.diff(t["tau"])
        ok = dt > 0
        J.append(dg[ok] / dt[ok])
        X.append(x[:-1][ok])
        T.append(0.5 * (t["tau"][1:] + t["tau"][:-1])[ok])
    return np.concatenate(J), np.concatenate(X), np.concatenate(T)


def solve(J, X, T, keep=None):
    """Trimmed, sign-constrained least squares for J = c + d X1 + a 2 tau^2 + b 3 tau^4.
    With `keep` given the trimming is frozen (one solve on those points)."""
    A = np.stack([np.ones_like(X), X, 2 * T ** 2, 3 * T ** 4], axis=1)
    frozen = keep is not None
    if not frozen:
        keep = J < 3 * np.median(J)
    for _ in range(1 if frozen else 4):
        best = None
        for active in ([0, 1, 2, 3], [0, 1, 2], [0, 1, 3], [0, 1]):   # a, b >= 0 by active sets
            th, *_ = np.linalg.lstsq(A[keep][:, active], J[keep], rcond=None)
            if np.any(th[2:] < 0):
                continue
            theta = np.zeros(4)
            theta[active] = th
            r = J[keep] - A[keep] @ theta
            if best is None or r @ r < best[1]:
                best = (theta, float(r @ r))
        theta = best[0]
        r = J - A @ theta
        if not frozen:
            mad = 1.4826 * np.median(np.abs(r[keep]))
            keep = np.abs(r) < 4 * mad
    return theta, keep, r


def params_of(theta):
    c, d, a, b = theta
    return dict(G0=1.0 / c, uA=c / d if d > 0 else float("inf"),
                tauA=float(np.sqrt(c / a)) if a > 0 else float("inf"),
                tauB=float((c / b) ** 0.25) if b > 0 else float("inf"))


def fit(traces, u0):
    p = dict(PUBLISHED)
    keep = None
    for it in range(100):
        J, X, T = elastic_steps(traces, u0, p)
        # the trimming is re-decided in the first iterations, then frozen: a point flipping in
        # and out of the trimmed set would otherwise make the fixed-point iteration cycle
        theta, keep, r = solve(J, X, T, keep if it >= 5 else None)
        q = params_of(theta)
        done = all(abs(q[k] - p[k]) <= 1e-9 * abs(q[k]) or q[k] == p[k] for k in q)
        p = q
        if done:
            break
    info = dict(n_steps=int(len(J)), n_kept=int(keep.sum()), iterations=it + 1,
                rms_residual_compliance=float(np.sqrt(np.mean(r[keep] ** 2))),
                coefficients_c_d_a_b=[float(v) for v in theta])
    return p, info, dict(J=J, X=X, T=T, keep=keep, theta=theta)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data")
    ap.add_argument("out_prefix")
    ap.add_argument("--holdout", type=int, default=2)
    ap.add_argument("--train", help="comma-separated sample names to fit on (overrides --holdout)")
    ap.add_argument("--bootstrap", type=int, default=200, help="replicas (0: no uncertainties)")
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--no-plot", action="store_true", help="skip the diagnostic figure")
    args = ap.parse_args()
    if args.bootstrap < 0:
        sys.exit(f"fit_x1.py: --bootstrap = {args.bootstrap}: allowed 0 or more")

    train_names = [n for n in args.train.split(",") if n] if args.train is not None else None
    if train_names is not None and not train_names:
        sys.exit("fit_x1.py: --train is empty: allowed a comma-separated list of sample names")
    train, held = load(args.data, args.holdout, train_names)
    slowest = min(t["rate"] for t in train)
    u0 = float(np.mean([t["pe"][0] for t in train if t["rate"] == slowest]))
    omega = float(np.mean([t["omega"] for t in train]))
    p, info, aux = fit(train, u0)

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
        q, _, _ = fit(pick, u0)
        boot.append([q["G0"], q["uA"], q["tauA"], q["tauB"]])
    boot = np.array(boot).reshape(-1, 4)
    keys = ["G0", "uA", "tauA", "tauB"]
    # a replica where a nonlinearity vanishes has tau -> infinity: the standard deviation uses
    # the finite replicas, the percentiles all of them, and the infinite fraction is reported
    def finite_std(v):
        v = v[np.isfinite(v)]
        return float(np.std(v, ddof=1)) if len(v) > 1 else float("nan")
    err = {k: finite_std(boot[:, i]) for i, k in enumerate(keys)}
    pct = {k: ([float(v) for v in np.percentile(boot[:, i], [16, 84], method="nearest")] if len(boot)
               else [float("nan")] * 2) for i, k in enumerate(keys)}
    nan_frac = {k: (float(np.mean(~np.isfinite(boot[:, i]))) if len(boot) else float("nan"))
                for i, k in enumerate(keys)}

    x1_cat = np.concatenate([x1_of(t, u0, p) for t in train + held])

    result = {
        "model": "u = u0 + X1 + Omega tau^2/(2 G0) [1 + X1/uA + (tau/tauA)^2 + (tau/tauB)^4]",
        "G0_GPa": p["G0"], "G0_err": err["G0"], "G0_p16_p84": pct["G0"],
        "uA_eV": p["uA"], "uA_err": err["uA"], "uA_p16_p84": pct["uA"],
        "tauA_GPa": p["tauA"], "tauA_err": err["tauA"], "tauA_p16_p84": pct["tauA"],
        "tauB_GPa": p["tauB"], "tauB_err": err["tauB"], "tauB_p16_p84": pct["tauB"],
        "bootstrap_infinite_fraction": nan_frac,
        "u0_eV": u0, "u0_definition": f"mean initial energy of the {slowest:g} K/ps training glasses",
        "omega_A3": omega,
        "published_for_comparison": PUBLISHED,
        "uncertainty": f"bootstrap over training samples (stratified by cooling rate), {args.bootstrap} replicas: "
                       "standard deviation and 16/84th percentiles",
        "training_samples": [t["name"] for t in train],
        "held_out_samples": [t["name"] for t in held],
        "X1_range_eV": [float(x1_cat.min()), float(x1_cat.max())],
        **info,
    }
    def plain(v):  # strict JSON: infinities (a vanished nonlinearity) and NaN as strings
        if isinstance(v, float) and not np.isfinite(v):
            return str(v)
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        if isinstance(v, list):
            return [plain(x) for x in v]
        return v

    # written under temporary names and renamed: a fit file is never left half written
    with open(args.out_prefix + ".json.tmp", "w") as f:
        json.dump(plain(result), f, indent=2)
    os.replace(args.out_prefix + ".json.tmp", args.out_prefix + ".json")
    with h5py.File(args.out_prefix + ".h5.tmp", "w") as h:
        for k, v in (("G0", p["G0"]), ("uA", p["uA"]), ("tauA", p["tauA"]), ("tauB", p["tauB"]),
                     ("u0", u0), ("omega", omega)):
            h.attrs[k] = float(v)
        for k in keys:
            h.attrs[k + "_err"] = err[k]
        h.attrs["n_steps"] = info["n_steps"]
        h.attrs["n_kept"] = info["n_kept"]
        h.attrs["model"] = result["model"]
        h.attrs["uncertainty"] = result["uncertainty"]
        h.attrs["training_samples"] = ",".join(result["training_samples"])
        h.attrs["data"] = args.data
        h.create_dataset("bootstrap", data=boot)
        h["bootstrap"].attrs["columns"] = "G0 uA tauA tauB"
    os.replace(args.out_prefix + ".h5.tmp", args.out_prefix + ".h5")

    print("X1 fit (%d elastic steps, %d kept after trimming, %d iterations):" % (
        info["n_steps"], info["n_kept"], info["iterations"]))
    for k, unit in zip(keys, ["GPa", "eV/atom", "GPa", "GPa"]):
        print(f"  {k:5s} = {p[k]:.4g} +- {err[k]:.2g} {unit}   (16-84%: {pct[k][0]:.4g} .. {pct[k][1]:.4g}; "
              f"published {PUBLISHED[k]})")
    print(f"  u0 = {u0:.6f} eV/atom, omega = {omega:.4f} A^3/atom; X1 range {x1_cat.min():.4f} .. {x1_cat.max():.4f}")

    if args.no_plot:
        return
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        J, X, T, keep = aux["J"], aux["X"], aux["T"], aux["keep"]
        c, d, a, b = aux["theta"]
        fig, ax = plt.subplots(1, 2, figsize=(10, 4))
        # modulus vs X1 with the stress dependence removed: 1 / (J - 2a tau^2 - 3b tau^4)
        g0 = 1.0 / (J - a * 2 * T ** 2 - b * 3 * T ** 4)
        ax[0].plot(X[keep] * 1e3, g0[keep], ",", color="0.6", alpha=0.4)
        edges = np.linspace(X[keep].min(), X[keep].max(), 16)
        idx = np.digitize(X[keep], edges)
        xm = [X[keep][idx == i].mean() * 1e3 for i in range(1, 16) if (idx == i).sum() > 20]
        gm = [np.median(g0[keep][idx == i]) for i in range(1, 16) if (idx == i).sum() > 20]
        ax[0].plot(xm, gm, "o", color="tab:blue", label="median per X1 bin")
        xx = np.linspace(X[keep].min(), X[keep].max(), 50)
        ax[0].plot(xx * 1e3, 1.0 / (c + d * xx), "k-", label="fit: G0 / (1 + X1/uA)")
        ax[0].set_ylim(0, 2 * np.median(g0[keep]))
        ax[0].set_xlabel("X1 (meV/atom)")
        ax[0].set_ylabel("elastic modulus at tau -> 0 (GPa)")
        ax[0].legend(fontsize=8)
        # compliance vs stress with the X1 dependence removed
        j0 = J - d * X
        ax[1].plot(T[keep], j0[keep] * 1e3, ",", color="0.6", alpha=0.4)
        edges = np.linspace(0, T[keep].max(), 16)
        idx = np.digitize(T[keep], edges)
        tm = [T[keep][idx == i].mean() for i in range(1, 16) if (idx == i).sum() > 20]
        jm = [np.median(j0[keep][idx == i]) * 1e3 for i in range(1, 16) if (idx == i).sum() > 20]
        ax[1].plot(tm, jm, "o", color="tab:blue", label="median per stress bin")
        tt = np.linspace(0, T[keep].max(), 50)
        ax[1].plot(tt, (c + 2 * a * tt ** 2 + 3 * b * tt ** 4) * 1e3, "k-", label="fit")
        ax[1].set_ylim(0, 3e3 * np.median(j0[keep]))
        ax[1].set_xlabel("tau (GPa)")
        ax[1].set_ylabel("compliance at X1 = 0 (1/TPa)")
        ax[1].legend(fontsize=8)
        fig.suptitle(f"X1 fit: G0={p['G0']:.1f} GPa, uA={p['uA']:.3f} eV, tauA={p['tauA']:.2f} GPa, "
                     f"tauB={p['tauB']:.2f} GPa", fontsize=10)
        fig.tight_layout()
        fig.savefig(args.out_prefix + ".png", dpi=120)
    except Exception as e:  # plotting is a convenience; the fit files are already written
        print("fit_x1.py: no diagnostic plot:", e)


if __name__ == "__main__":
    main()
