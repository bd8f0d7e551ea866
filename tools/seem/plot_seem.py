#!/usr/bin/python3
"""Figures and a JSON summary of a trained SEEM and its validation.

Usage: tools/seem/plot_seem.py --db DB.h5 --validation VAL.h5 --data DATA.h5 [--fit FIT.json]
                               [--holdout N] [--fixed-point FP.h5] --out DIR
       tools/seem/plot_seem.py --db DB.h5 [--fixed-point FP.h5] [--run RUN.h5] [--events] --out DIR
                               (only those figures)
Writes to DIR:
  seem_maps.png         the four state-space maps: lambda, mean dX1, mean dtau_pl, flow map
  seem_vs_aqs.png       SEEM mean (and 5-95 % band) vs held-out AQS mean, tau and X1 vs strain,
                        per cooling rate
  seem_state_space.png  mean trajectories in (X1, tau), AQS and SEEM, with their crossings
  seem_summary.json     the numbers quoted in docs/seem.md
  seem_fixed_point.png  (with --fixed-point, from `stzkmc seem fixedpoint`) the mean flow with its
                        nullclines, the ensemble means from every start, the fixed point with its
                        bootstrap range, the mean-flow attractor and the atomistic steady state
  seem_trajectories.png (with --run, from `stzkmc seem run --save-trajectories N`) single
                        trajectories with their events, against the ensemble's mean and band
  seem_events.png       (with --events) the recorded events (dtau_pl, dX1) of the busiest bins with
                        the energy-release boundary, and where events rejuvenate or age
"""
import argparse
import json
import os

import h5py
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.patches  # noqa: E402,F401

GPA_A3_EV = 6.241509074460763e-3


def x1_of(pe, tau, omega, a):
    s = 0.5 * omega * tau ** 2 * GPA_A3_EV
    el = s / a["G0"] * (1 + (tau / a["tauA"]) ** 2 + (tau / a["tauB"]) ** 4)
    return (pe - a["u0"] - el) / (1 + s / (a["G0"] * a["uA"]))


def held_out_traces(data, holdout):
    with h5py.File(data, "r") as h:
        traces = [dict(name=n, rate=float(g.attrs["cooling_rate"]), sample=int(g.attrs["sample"]),
                       omega=float(g.attrs["omega"]), gamma=g["gamma"][:], tau=g["tau"][:], pe=g["pe"][:])
                  for n, g in h["samples"].items()]
    held = []
    for rate in sorted({t["rate"] for t in traces}):
        ts = sorted([t for t in traces if t["rate"] == rate], key=lambda t: (t["sample"], t["name"]))
        held += ts[len(ts) - holdout:] if holdout else []
    return held


def plot_maps(db, out):
    with h5py.File(db, "r") as h:
        a = dict(h.attrs)
        m = {k: h["maps"][k][:] for k in h["maps"]}
    xe, te = m["x1_edges"], m["tau_edges"]
    trusted = m["visits"] >= a["min_visits"]
    fig, axs = plt.subplots(2, 2, figsize=(11, 8.5), sharex=True, sharey=True)

    def show(ax, z, title, cmap, label, log=False, sym=False):
        z = np.where(trusted, z, np.nan)
        cm = plt.get_cmap(cmap).copy()
        kw = {}
        if log:
            zpos = z[np.isfinite(z) & (z > 0)]
            if zpos.size:
                kw["norm"] = matplotlib.colors.LogNorm(vmin=zpos.min(), vmax=zpos.max())
            cm.set_under("white")                       # trusted bins without events
            z = np.where(z > 0, z, np.where(np.isfinite(z), 1e-30, np.nan))
        elif sym:
            v = np.nanmax(np.abs(z)) if np.isfinite(z).any() else 1.0
            kw.update(vmin=-v, vmax=v)
        pc = ax.pcolormesh(xe, te, z.T, cmap=cm, shading="flat", **kw)
        fig.colorbar(pc, ax=ax, label=label, extend="min" if log else "neither")
        ax.set_title(title, fontsize=10)
        ax.set_facecolor("0.85")

    show(axs[0, 0], m["lambda"], "event rate lambda (white: no events, grey: untrusted)", "viridis",
         "events per unit strain", log=True)
    show(axs[0, 1], m["mean_dx1"] * 1e3, "mean dX1 per event", "RdBu_r", "meV/atom", sym=True)
    show(axs[1, 0], m["mean_dtau"], "mean plastic stress drop dtau_pl per event", "magma", "GPa")
    # flow map: unit arrows (in bin units) give the direction of the mean flow
    # (dX1/dgamma, dtau/dgamma); their colour gives dtau/dgamma, the background the visits
    vis = np.where(m["visits"] > 0, m["visits"], np.nan)
    axs[1, 1].pcolormesh(xe, te, vis.T, cmap="Greys", shading="flat", alpha=0.5,
                         norm=matplotlib.colors.LogNorm(vmin=1, vmax=np.nanmax(vis)))
    xc, tc = 0.5 * (xe[1:] + xe[:-1]), 0.5 * (te[1:] + te[:-1])
    X, T = np.meshgrid(xc, tc, indexing="ij")
    dx, dt = xe[1] - xe[0], te[1] - te[0]
    u = np.where(trusted, m["flow_dx1"], np.nan) / dx
    v = np.where(trusted, m["flow_dtau"], np.nan) / dt
    norm = np.hypot(u, v)
    norm[norm == 0] = 1.0
    q = axs[1, 1].quiver(X, T, 0.8 * u / norm * dx, 0.8 * v / norm * dt, np.where(trusted, m["flow_dtau"], np.nan),
                         cmap="coolwarm", angles="xy", scale_units="xy", scale=1.0, width=0.005,
                         norm=matplotlib.colors.TwoSlopeNorm(vcenter=0.0))
    fig.colorbar(q, ax=axs[1, 1], label="dtau/dgamma (GPa)")
    axs[1, 1].set_title("flow map: direction of mean (dX1/dgamma, dtau/dgamma)", fontsize=10)
    axs[1, 1].set_facecolor("white")
    for ax in axs[1]:
        ax.set_xlabel("X1 (eV/atom)")
    for ax in axs[:, 0]:
        ax.set_ylabel("tau (GPa)")
    fig.suptitle(f"SEEM database: {int(a['n_events'])} events, {int(a['trusted_bins'])} trusted bins "
                 f"of {int(a['n_x1'])}x{int(a['n_tau'])} (>= {int(a['min_visits'])} visits)")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "seem_maps.png"), dpi=110)
    plt.close(fig)


def smooth_nan(z, w):
    """Weighted 3x3 average of z over the cells where w > 0 (NaN where none): the nullclines of
    a binned flow map are the zero contours of this, not of the raw, noisy bins."""
    z = np.where(w > 0, z, 0.0)
    w = (w > 0).astype(float)
    kern = np.array([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]])
    zp, wp = np.pad(z * w, 1), np.pad(w, 1)
    num = sum(kern[i, j] * zp[i:i + z.shape[0], j:j + z.shape[1]] for i in range(3) for j in range(3))
    den = sum(kern[i, j] * wp[i:i + z.shape[0], j:j + z.shape[1]] for i in range(3) for j in range(3))
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def plot_fixed_point(db, fp, out):
    with h5py.File(db, "r") as h:
        a = dict(h.attrs)
        m = {k: h["maps"][k][:] for k in h["maps"]}
    with h5py.File(fp, "r") as h:
        f = dict(h.attrs)
        starts = [dict(h["starts"][k].attrs, gamma=h["starts"][k]["gamma"][:], x1=h["starts"][k]["mean_x1"][:],
                       tau=h["starts"][k]["mean_tau"][:]) for k in sorted(h["starts"], key=lambda k: int(k[1:]))]
        flow = (h["flow_x1"][:], h["flow_tau"][:])
        boot = dict(h["bootstrap"].attrs, x1=h["bootstrap"]["x1"][:], tau=h["bootstrap"]["tau"][:]) \
            if "bootstrap" in h else None
        aqs = dict(h["aqs_steady_state"].attrs, per_rate=h["aqs_steady_state"]["per_rate"][:]) \
            if "aqs_steady_state" in h else None
    xe, te = m["x1_edges"], m["tau_edges"]
    trusted = m["visits"] >= a["min_visits"]
    xc, tc = 0.5 * (xe[1:] + xe[:-1]), 0.5 * (te[1:] + te[:-1])
    X, T = np.meshgrid(xc, tc, indexing="ij")
    dx, dt = xe[1] - xe[0], te[1] - te[0]
    fig, axs = plt.subplots(2, 2, figsize=(12, 9))
    ax = axs[0, 0]
    u = np.where(trusted, m["flow_dx1"], np.nan) / dx
    v = np.where(trusted, m["flow_dtau"], np.nan) / dt
    norm = np.hypot(u, v)
    norm[norm == 0] = 1.0
    ax.quiver(X, T, 0.7 * u / norm * dx, 0.7 * v / norm * dt, color="0.6", angles="xy", scale_units="xy",
              scale=1.0, width=0.004)
    w = np.where(trusted, m["visits"], 0)
    for z, col, lab in ((m["flow_dx1"], "tab:blue", "dX1/dgamma = 0"), (m["flow_dtau"], "tab:red", "dtau/dgamma = 0")):
        zs = smooth_nan(np.nan_to_num(z), w)
        if np.nanmin(zs) < 0 < np.nanmax(zs):
            ax.contour(X, T, zs, levels=[0.0], colors=col, linewidths=2)
            ax.plot([], [], color=col, lw=2, label=f"nullcline {lab} (smoothed)")
    for k, s in enumerate(starts):
        ax.plot(s["x1"], s["tau"], color="tab:green", lw=0.8, alpha=0.8, label="ensemble means" if k == 0 else None)
        ax.plot(s["x1"][0], s["tau"][0], "o", color="tab:green", ms=4)
    ax.plot(*flow, color="k", lw=0.6, alpha=0.6, label="mean flow from the fixed point")
    ax.plot(f["attractor_x1"], f["attractor_tau"], "D", color="k", ms=8, mfc="none", mew=2,
            label="mean-flow attractor")
    if boot is not None:
        # The 16-84 % box of the replicas that stay in the grid (it need not contain the point:
        # the bootstrap distribution can be skewed).
        ax.add_patch(matplotlib.patches.Rectangle((boot["x1_16"], boot["tau_16"]), boot["x1_84"] - boot["x1_16"],
                                                  boot["tau_84"] - boot["tau_16"], fill=False, ec="m", lw=2))
    ax.plot(f["x1"], f["tau"], "*", color="m", ms=16,
            label="SEEM fixed point" + (" (box: bootstrap 16-84 %)" if boot is not None else ""))
    if aqs is not None:
        ax.errorbar(aqs["x1"], aqs["tau"], xerr=aqs["x1_se"], yerr=aqs["tau_se"], fmt="s", color="tab:orange",
                    ms=8, capsize=4, label=f"AQS, strain {aqs['gamma_lo']:g}-{aqs['gamma_hi']:g} (all glasses, SE)")
    ax.set_xlim(xe[0], xe[-1])
    ax.set_ylim(te[0], te[-1])
    ax.set_xlabel("X1 (eV/atom)")
    ax.set_ylabel("tau (GPa)")
    ax.set_title("mean flow (arrows: direction), nullclines and the fixed point", fontsize=10)
    ax.legend(fontsize=7, loc="lower right")
    for col, key, lab in ((0, "tau", "tau (GPa)"), (1, "x1", "X1 (meV/atom)")):
        ax = axs[1, col]
        scale = 1e3 if key == "x1" else 1.0
        for s in starts:
            ax.plot(s["gamma"], s[key] * scale, lw=0.8)
        ax.axhline(f[key] * scale, color="m", lw=2, label="SEEM fixed point")
        ax.axvspan(starts[0]["gamma"][-1] - f["window"], starts[0]["gamma"][-1], color="m", alpha=0.08,
                   label="steady-state window")
        if aqs is not None:
            ax.axhspan((aqs[key] - aqs[key + "_se"]) * scale, (aqs[key] + aqs[key + "_se"]) * scale,
                       color="tab:orange", alpha=0.4, label="AQS steady state (+- SE)")
        ax.set_xlabel("shear strain")
        ax.set_ylabel(lab)
        ax.set_title(f"ensemble means from {len(starts)} starts", fontsize=10)
        ax.legend(fontsize=7)
    ax = axs[0, 1]
    if boot is not None:
        inside = (boot["x1"] >= xe[0]) & (boot["x1"] <= xe[-1]) & (boot["tau"] >= te[0]) & (boot["tau"] <= te[-1])
        ax.plot(boot["x1"][inside] * 1e3, boot["tau"][inside], ".", color="m", alpha=0.6,
                label=f"replicas in the grid ({inside.sum()})")
        out_x = np.clip(boot["x1"][~inside], xe[0], xe[-1]) * 1e3
        out_t = np.clip(boot["tau"][~inside], te[0], te[-1])
        ax.plot(out_x, out_t, "x", color="0.4",
                label=f"escaped the grid ({(~inside).sum()}; drawn at its edge)")
        ax.plot(f["x1"] * 1e3, f["tau"], "*", color="m", ms=14, mec="k", label="SEEM fixed point")
        if aqs is not None:
            for r in aqs["per_rate"]:
                ax.errorbar(r[2] * 1e3, r[4], xerr=r[3] * 1e3, yerr=r[5], fmt="s", ms=6, capsize=3,
                            label=f"AQS {r[0]:g} K/ps ({int(r[1])} glasses)")
        ax.set_xlim(xe[0] * 1e3, xe[-1] * 1e3)
        ax.set_ylim(te[0], te[-1])
        ax.set_title(f"bootstrap over training glasses: {int(boot['replicas'])} replicas", fontsize=10)
        ax.legend(fontsize=7)
    else:
        ax.text(0.5, 0.5, "no bootstrap (run with --data and --bootstrap)", ha="center", transform=ax.transAxes)
    ax.set_xlabel("X1 (meV/atom)")
    ax.set_ylabel("tau (GPa)")
    fig.suptitle(f"SEEM steady state: X1 = {f['x1'] * 1e3:.2f} meV/atom, tau = {f['tau']:.3f} GPa "
                 f"(strain to {f['gamma_max']:g}, {int(f['n_traj'])} trajectories per start)")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "seem_fixed_point.png"), dpi=110)
    plt.close(fig)


def energy(x1, tau, a):
    """The model's potential energy per atom (eV) of state (X1, tau): u0 + X1 (1 + s) + e0(tau)."""
    s = 0.5 * a["omega"] * tau ** 2 * GPA_A3_EV / (a["G0"] * a["uA"])
    e0 = 0.5 * a["omega"] * tau ** 2 * GPA_A3_EV / a["G0"] * (1 + (tau / a["tauA"]) ** 2 + (tau / a["tauB"]) ** 4)
    return a["u0"] + x1 * (1 + s) + e0


def release_boundary(x1, tau, dtau, a):
    """The dX1 at which an event (dtau_pl, dX1) from (X1, tau) leaves the energy unchanged at fixed
    strain: events above it would raise the potential energy, which a mechanical instability
    (an AQS event) cannot."""
    t2 = tau - dtau
    s2 = 0.5 * a["omega"] * t2 ** 2 * GPA_A3_EV / (a["G0"] * a["uA"])
    # u(X1 + dX1, tau - dtau) = u(X1, tau), with u = u0 + X1 (1 + s(tau)) + e0(tau).
    return (energy(x1, tau, a) - energy(0.0, t2, a)) / (1 + s2) - x1


def plot_events(db, out):
    with h5py.File(db, "r") as h:
        a = {k: float(h.attrs[k]) for k in ("G0", "uA", "tauA", "tauB", "u0", "omega")}
        m = {k: h["maps"][k][:] for k in h["maps"]}
        off, dtau, dx1 = h["events"]["offset"][:], h["events"]["dtau"][:], h["events"]["dx1"][:]
    xe, te = m["x1_edges"], m["tau_edges"]
    nx, nt = len(xe) - 1, len(te) - 1
    xc, tc = 0.5 * (xe[1:] + xe[:-1]), 0.5 * (te[1:] + te[:-1])
    counts = np.diff(off)
    busiest = np.argsort(counts)[::-1][:4]
    # Every event against the boundary at its bin's centre (the database keeps the bin, not the
    # exact state before the event): relative distance (dX1 - boundary) / |boundary|; near 0 an
    # event releases almost no energy (a nearly reversible step), below -0.5 it dissipates more
    # than half of what its stress drop released.
    rel = []
    for b in range(nx * nt):
        lo, hi = off[b], off[b + 1]
        if hi > lo:
            bound = release_boundary(xc[b // nt], tc[b % nt], dtau[lo:hi].astype(float), a)
            rel += list((dx1[lo:hi] - bound) / np.maximum(np.abs(bound), 1e-12))
    rel = np.array(rel)
    above, near, dissipative = int(np.sum(rel > 0)), int(np.sum(np.abs(rel) < 0.1)), int(np.sum(rel < -0.5))
    rejuv = int(np.sum(dx1 > 0))
    fig = plt.figure(figsize=(14, 7.5))
    for k, b in enumerate(busiest):
        ax = fig.add_subplot(2, 3, [1, 2, 4, 5][k])
        lo, hi = off[b], off[b + 1]
        x0, t0 = xc[b // nt], tc[b % nt]
        ax.plot(dtau[lo:hi], dx1[lo:hi] * 1e3, "o", ms=4, alpha=0.7)
        d = np.linspace(min(0.0, dtau[lo:hi].min()), max(dtau[lo:hi].max(), 0.1) * 1.1, 100)
        ax.plot(d, release_boundary(x0, t0, d, a) * 1e3, "r-", lw=1.5,
                label="energy-release boundary (events above it would raise u)")
        ax.axhline(0.0, color="k", lw=0.6)
        ax.set_title(f"bin X1 = {x0 * 1e3:.1f} meV/atom, tau = {t0:.2f} GPa: {hi - lo} events", fontsize=9)
        ax.set_xlabel("plastic stress drop dtau_pl (GPa)")
        ax.set_ylabel("dX1 (meV/atom)")
        if k == 0:
            ax.legend(fontsize=7)
    ax = fig.add_subplot(1, 3, 3)
    frac = np.full((nx, nt), np.nan)
    for b in range(nx * nt):
        if counts[b] > 0:
            frac[b // nt, b % nt] = np.mean(dx1[off[b]:off[b + 1]] > 0)
    pc = ax.pcolormesh(xe * 1e3, te, frac.T, cmap="RdBu_r", vmin=0, vmax=1, shading="flat")
    fig.colorbar(pc, ax=ax, label="fraction of events with dX1 > 0 (rejuvenating)")
    ax.set_facecolor("0.85")
    ax.set_xlabel("X1 (meV/atom)")
    ax.set_ylabel("tau (GPa)")
    ax.set_title(f"rejuvenation vs aging: {rejuv} of {len(dx1)} events raise X1", fontsize=9)
    n = max(len(dx1), 1)
    fig.suptitle(f"SEEM events: {len(dx1)} in {int(np.sum(counts > 0))} bins. Against the energy-release boundary "
                 f"at the bin's centre: {100.0 * near / n:.0f} % within 10 % of it (nearly energy-neutral), "
                 f"{100.0 * dissipative / n:.0f} % dissipate more than half, {100.0 * above / n:.0f} % above it",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "seem_events.png"), dpi=110)
    plt.close(fig)
    return {"events": int(len(dx1)), "rejuvenating": rejuv, "near_release_boundary": near,
            "dissipative_half": dissipative, "above_release_boundary": above}


def plot_trajectories(run, out, shown=5):
    with h5py.File(run, "r") as h:
        g, mt, mx = h["gamma"][:], h["mean_tau"][:], h["mean_x1"][:]
        pct, pt, px = h["percentiles"][:], h["pct_tau"][:], h["pct_x1"][:]
        t = h["trajectories"]
        tau, x1, off = t["tau"][:], t["x1"][:], t["ev_offset"][:]
        eg, et, ex, ed, edx = (t[k][:] for k in ("ev_gamma", "ev_tau", "ev_x1", "ev_dtau", "ev_dx1"))
        process = h.attrs["process"].decode() if isinstance(h.attrs["process"], bytes) else h.attrs["process"]
    fig, axs = plt.subplots(1, 3, figsize=(16, 4.8))
    lo, hi = (np.argmin(np.abs(pct - 5)), np.argmin(np.abs(pct - 95))) if len(pct) > 1 else (0, 0)
    axs[0].fill_between(g, pt[lo], pt[hi], color="0.85", label=f"ensemble {pct[lo]:g}-{pct[hi]:g} %")
    axs[0].plot(g, mt, "k-", lw=2, label="ensemble mean")
    axs[1].fill_between(g, px[lo] * 1e3, px[hi] * 1e3, color="0.85")
    axs[1].plot(g, mx * 1e3, "k-", lw=2)
    for j in range(min(shown, tau.shape[0])):
        c = f"C{j}"
        e = slice(off[j], off[j + 1])
        axs[0].plot(g, tau[j], color=c, lw=0.9)
        axs[0].scatter(eg[e], et[e], s=8 + 60 * np.abs(ed[e]), color=c, alpha=0.7, zorder=3)
        axs[1].plot(g, x1[j] * 1e3, color=c, lw=0.9)
        axs[2].plot(x1[j] * 1e3, tau[j], color=c, lw=0.8, label=f"trajectory {j}: {off[j + 1] - off[j]} event steps")
        axs[2].plot(ex[e] * 1e3, et[e], ".", color=c, ms=4)
    axs[0].set_xlabel("shear strain")
    axs[0].set_ylabel("tau (GPa)")
    axs[0].set_title("stress; dots: events before they happen (size ~ stress drop)", fontsize=9)
    axs[0].legend(fontsize=7)
    axs[1].set_xlabel("shear strain")
    axs[1].set_ylabel("X1 (meV/atom)")
    axs[2].set_xlabel("X1 (meV/atom)")
    axs[2].set_ylabel("tau (GPa)")
    axs[2].set_title("in the state space (record points; dots: event states)", fontsize=9)
    axs[2].legend(fontsize=7)
    fig.suptitle(f"single SEEM trajectories ({process} process) against the ensemble")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "seem_trajectories.png"), dpi=110)
    plt.close(fig)


def plot_comparison(val, fitp, held, out):
    with h5py.File(val, "r") as h:
        rates = [dict(h["rates"][k].attrs) | {d: h["rates"][k][d][:] for d in h["rates"][k]}
                 for k in h["rates"]]
        cross = {k: h[k][:] for k in ("crossings_aqs", "crossings_seem")}
    rates.sort(key=lambda r: r["cooling_rate"])
    n = len(rates)
    fig, axs = plt.subplots(2, n, figsize=(4.2 * n, 7), squeeze=False)
    for i, r in enumerate(rates):
        g = r["gamma"]
        pct = list(r["seem_percentiles"])
        for row, (q, unit, scale) in enumerate((("tau", "GPa", 1.0), ("x1", "meV/atom", 1e3))):
            ax = axs[row, i]
            for t in held:
                if t["rate"] == r["cooling_rate"]:
                    y = t["tau"] if q == "tau" else x1_of(t["pe"], t["tau"], t["omega"], fitp)
                    ax.plot(t["gamma"], y * scale, color="0.6", lw=0.6)
            if 5.0 in pct and 95.0 in pct:
                lo, hi = r[f"seem_pct_{q}"][pct.index(5.0)], r[f"seem_pct_{q}"][pct.index(95.0)]
                ax.fill_between(g, lo * scale, hi * scale, color="tab:blue", alpha=0.15, label="SEEM 5-95 %")
            ax.plot(g, r[f"held_mean_{q}"] * scale, "k-", lw=1.8, label=f"held-out AQS mean ({int(r['n_held'])})")
            ax.fill_between(g, (r[f"held_mean_{q}"] - r[f"held_sd_{q}"]) * scale,
                            (r[f"held_mean_{q}"] + r[f"held_sd_{q}"]) * scale, color="k", alpha=0.08)
            ax.plot(g, r[f"seem_mean_{q}"] * scale, "tab:blue", lw=1.8, label="SEEM mean")
            if f"train_mean_{q}" in r:
                ax.plot(g, r[f"train_mean_{q}"] * scale, "tab:orange", lw=1, ls="--",
                        label=f"training AQS mean ({int(r['n_train'])})")
            rms = r[f"rms_{q}"] * scale
            title = f"{r['cooling_rate']:g} K/ps: RMS {rms:.3g} {unit}"
            if q == "tau" and "yield_seem" in r:
                title += (f"\nmax stress: SEEM {r['yield_seem']:.2f}+-{r['yield_seem_sd']:.2f}, "
                          f"AQS {r['yield_aqs']:.2f}+-{r['yield_aqs_sd']:.2f} GPa")
            ax.set_title(title, fontsize=9)
            ax.set_xlabel("shear strain")
            ax.set_ylabel(("tau" if q == "tau" else "X1") + f" ({unit})")
            if i == 0:
                ax.legend(fontsize=7)
    fig.suptitle("SEEM vs held-out AQS samples (grey: individual held-out traces)")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "seem_vs_aqs.png"), dpi=110)
    plt.close(fig)

    fig, axs = plt.subplots(1, 2, figsize=(11, 4.5), sharex=True, sharey=True)
    colors = plt.cm.plasma(np.linspace(0.1, 0.8, n))
    for ax, (kind, xkey, ykey, ck) in zip(axs, (("AQS means (all samples)", "all_mean_x1", "all_mean_tau", "crossings_aqs"),
                                                 ("SEEM means", "seem_mean_x1", "seem_mean_tau", "crossings_seem"))):
        for r, c in zip(rates, colors):
            ax.plot(r[xkey] * 1e3, r[ykey], color=c, lw=1.5, label=f"{r['cooling_rate']:g} K/ps")
            ax.plot(r[xkey][0] * 1e3, r[ykey][0], "o", color=c)
        cs = cross[ck]
        if cs.size:
            ax.plot(cs[:, 4] * 1e3, cs[:, 5], "kx", ms=7, label=f"{len(cs)} crossings")
        ax.set_title(kind, fontsize=10)
        ax.set_xlabel("X1 (meV/atom)")
        ax.legend(fontsize=8)
    axs[0].set_ylabel("tau (GPa)")
    fig.suptitle("mean trajectories in the SEEM state space (dots: start)")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "seem_state_space.png"), dpi=110)
    plt.close(fig)
    return rates, cross


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--validation")
    ap.add_argument("--data")
    ap.add_argument("--fixed-point", help="output of 'stzkmc seem fixedpoint'")
    ap.add_argument("--run", help="output of 'stzkmc seem run --save-trajectories N'")
    ap.add_argument("--events", action="store_true", help="the events figure (also drawn with --validation)")
    ap.add_argument("--fit", help="fit JSON (tools/seem/fit_x1.py)")
    ap.add_argument("--holdout", type=int, default=2)
    ap.add_argument("--bench", help="text file with the output of 'stzkmc seem bench'")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if args.fixed_point:
        plot_fixed_point(args.db, args.fixed_point, args.out)
    if args.run:
        plot_trajectories(args.run, args.out)
    if args.events or args.validation:
        events = plot_events(args.db, args.out)
    if not args.validation:
        print("figures written to", args.out)
        return
    if not args.validation or not args.data:
        ap.error("--validation and --data are needed (or only --fixed-point)")
    with h5py.File(args.db, "r") as h:
        fitp = {k: float(h.attrs[k]) for k in ("G0", "uA", "tauA", "tauB", "u0", "omega")}
        dbattrs = {k: (v.item() if hasattr(v, "item") else v) for k, v in h.attrs.items()}
    plot_maps(args.db, args.out)
    rates, cross = plot_comparison(args.validation, fitp, held_out_traces(args.data, args.holdout), args.out)
    summary = {
        "database": {k: (v.decode() if isinstance(v, bytes) else v) for k, v in dbattrs.items() if k != "sources"},
        "rates": [{k: float(r[k]) for k in ("cooling_rate", "n_train", "n_held", "rms_tau", "rms_tau_train",
                                            "rms_x1", "rms_x1_train", "peak_tau_seem", "peak_tau_aqs",
                                            "yield_seem", "yield_seem_sd", "yield_aqs", "yield_aqs_sd",
                                            "flow_tau_seem", "flow_tau_aqs", "fallback_lookups",
                                            "outside_lookups", "n_traj", "events")} for r in rates],
        "crossings_aqs": len(cross["crossings_aqs"]),
        "crossings_seem": len(cross["crossings_seem"]),
        "first_crossings_aqs": cross["crossings_aqs"][:5].tolist(),
        "crossing_columns": "rate_a rate_b gamma_a gamma_b x1 tau",
        "events": events,
    }
    if args.fit:
        summary["fit"] = json.load(open(args.fit))
    if args.bench and os.path.exists(args.bench):
        summary["bench"] = open(args.bench).read().strip().splitlines()
    with open(os.path.join(args.out, "seem_summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print("figures and seem_summary.json written to", args.out)


if __name__ == "__main__":
    main()
