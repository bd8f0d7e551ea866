#!/usr/bin/python3
"""Figures of an stzkmc output file, written beside it (or into --out):

  NAME_curve.FMT        loaded stress vs strain (sigma_11 vs eps_11 in tension), with the peak,
                        the 0.2 % offset yield and the field snapshots (numbered) marked
                        (creep, relaxation and cyclic runs: NAME_creep, NAME_relaxation,
                        NAME_cyclic instead)
  NAME_stages.FMT       a staged run ([[stage]] tables): stress vs strain coloured by stage,
                        and stress and strain against time with the stages marked
  NAME_evolution.FMT    every field snapshot side by side: EqStrain (one power-law colour
                        scale for all, so early diffuse plasticity and the later band both
                        show; extreme sites outlined) and the loaded local stress about its
                        mean (white = the snapshot's mean stress, symmetric limits)
  NAME_eq_strain.FMT    the EqStrain row alone, larger
  NAME_fields_NNNN.FMT  EqStrain and stress maps of snapshot NNNN with colour bars
  NAME_avalanches.FMT   avalanche size distribution P(s) on logarithmic bins

FMT is png (default), pdf or svg (--format); --dpi sets the raster resolution (default 150,
300 for print). Usage: /usr/bin/python3 tools/plot_run.py OUT/NAME.h5 [--out DIR]
[--format png|pdf|svg] [--dpi N] (or: stzkmc plot OUT/NAME.h5 ...). Needs numpy, h5py,
matplotlib (Debian packages). Works on the output of a running job too.

Colour scales (docs/model.md §7.2): EqStrain is 0 in every voxel that never transformed and
~0.09 per transformation, up to ~3 in a mature band; a linear scale shows only the band, so the
maps use a power norm (exponent 0.4) from 0 to the largest value of the shown snapshots. The
stress maps show sigma - <sigma> of the loaded component with limits at +-(99th percentile of
|sigma - <sigma>|): red is more loaded than the mean, blue less. The fine checkerboard around
each transformed voxel is the discrete elastic kernel's shortest wavelength (docs/model.md
§3.3), drawn as it is (nearest-neighbour pixels).
"""
import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")  # no display needed
import h5py  # noqa: E402
import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.ticker  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

EXTREME_SITE = 0.7  # EqStrain threshold of an extreme site (docs/model.md §7)


EQ_GAMMA = 0.4  # power-norm exponent of the EqStrain maps
STYLE = {"font.size": 9, "axes.titlesize": 9, "axes.labelsize": 9, "xtick.labelsize": 8, "ytick.labelsize": 8,
         "legend.fontsize": 8, "figure.titlesize": 10, "image.interpolation": "nearest"}


def text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def loaded_columns(mode, curve):
    """Loaded strain and stress of the curve, signed to grow during loading, and labels."""
    if mode == "compression":
        return -curve["strain_11"], -curve["stress_11"], r"strain $-\bar\varepsilon_{11}$", r"stress $-\bar\sigma_{11}$ (GPa)"
    if mode == "shear":
        return (2 * curve["strain_12"], curve["stress_12"], r"strain $\bar\gamma = 2\bar\varepsilon_{12}$",
                r"stress $\bar\sigma_{12}$ (GPa)")
    return curve["strain_11"], curve["stress_11"], r"strain $\bar\varepsilon_{11}$", r"stress $\bar\sigma_{11}$ (GPa)"


def stress_field(mode):
    """The loaded local stress component, its sign (compression: -sigma_11) and its label."""
    if mode == "shear":
        return "s12", 1.0, r"$\sigma_{12}$"
    if mode == "compression":
        return "s11", -1.0, r"$-\sigma_{11}$"
    return "s11", 1.0, r"$\sigma_{11}$"


def snapshots(f):
    if "fields" not in f:
        return []
    return [(name, f["fields"][name]) for name in sorted(f["fields"], key=int)]


def save(fig, out, name, kind, fmt, dpi):
    path = os.path.join(out, f"{name}_{kind}.{fmt}")
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def plot_curve(f, mode, name, out, fmt, dpi):
    curve = f["curve"][()]
    strain, stress, xlabel, ylabel = loaded_columns(mode, curve)
    a = f["analysis"].attrs
    fig, ax = plt.subplots(figsize=(6, 4.2))
    ax.plot(strain, stress, "-", color="C0", lw=1.6, label="mean stress")
    ax.plot([a["peak_strain"]], [a["peak_stress"]], "v", color="C3", label=f"peak {a['peak_stress']:.3f} GPa")
    if a["offset_reached"]:
        ax.plot([a["offset_strain"]], [a["offset_stress"]], "o", mfc="none", color="C2",
                label=f"0.2% offset yield {a['offset_stress']:.3f} GPa")
    for i, (label, g) in enumerate(snapshots(f)):
        x = g.attrs["strain"]
        ax.axvline(x, color="0.6", lw=0.8, ls=":", label="field snapshots" if i == 0 else None)
        ax.annotate(str(int(label)), (x, 0), xytext=(2, 2), textcoords="offset points", fontsize=7, color="0.4")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    n = f["meta"].attrs["grid_n"]
    rate = f["deck"].attrs["loading.strain_rate"]
    ax.set_title(f"{name}: {mode}, {n}$^2$ voxels, strain rate {rate:g}/s")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=min(0.0, float(np.min(stress))))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return save(fig, out, name, "curve", fmt, dpi)


def creep_rates(curve, mode, span=4):
    """Loaded strain and time of the curve, and the creep rate over windows of `span` curve
    points (a fifth of a decade of time at 20 points per decade: single intervals hold too few
    events), at the windows' geometric mean times. Points at t = 0 (the elastic load) are left
    out of the rates."""
    strain, _, _, _ = loaded_columns(mode, curve)
    t = np.asarray(curve["time"], dtype=float)
    strain = np.asarray(strain, dtype=float)
    pos = np.nonzero(t > 0)[0]
    tp, sp = t[pos], strain[pos]
    if tp.size <= span:
        return t, strain, np.array([]), np.array([])
    rate = (sp[span:] - sp[:-span]) / (tp[span:] - tp[:-span])
    mid = np.sqrt(tp[span:] * tp[:-span])
    return t, strain, mid, rate


def plot_stages(f, mode, name, out, fmt, dpi):
    """A staged run: the loaded stress against the loaded strain, one colour per stage, and the
    stress and strain against time with each stage's span, protocol and temperature."""
    curve = f["curve"][()]
    deck = f["deck"].attrs
    strain, stress, xlabel, ylabel = loaded_columns(mode, curve)
    stage = curve["stage"]
    t = curve["time"]
    count = int(deck["stages"])
    colours = plt.get_cmap("viridis" if count > 6 else "tab10")
    fig, (a0, a1) = plt.subplots(1, 2, figsize=(11, 4.2))
    a1b = a1.twinx()
    for k in range(count):
        rows = stage == k
        if not np.any(rows):
            continue
        c = colours(k / max(count - 1, 1)) if count > 6 else colours(k)
        protocol = text(deck[f"stage.{k + 1}.protocol"])
        temperature = float(deck[f"stage.{k + 1}.temperature"])
        label = f"{k + 1}: {protocol}, {temperature:g} K"
        a0.plot(strain[rows], stress[rows], "-", color=c, lw=1.4, label=label)
        a1.plot(t[rows], stress[rows], "-", color=c, lw=1.4)
        a1b.plot(t[rows], strain[rows], "--", color=c, lw=1.0)
        t0, t1 = float(t[rows][0]), float(t[rows][-1])
        a1.axvspan(t0, t1, color=c, alpha=0.08, lw=0)
        a1.annotate(str(k + 1), ((t0 + t1) / 2, 1.0), xycoords=("data", "axes fraction"), xytext=(0, -10),
                    textcoords="offset points", ha="center", fontsize=8, color=c)
    a0.set_xlabel(xlabel)
    a0.set_ylabel(ylabel)
    a0.grid(alpha=0.3)
    a0.legend(loc="best", title="stage")
    a1.set_xlabel("time (s)")
    a1.set_ylabel(ylabel + " (solid)")
    a1b.set_ylabel(xlabel.replace("strain", "loaded strain") + " (dashed)")
    a1.grid(alpha=0.3)
    n = f["meta"].attrs["grid_n"]
    fig.suptitle(f"{name}: {count} stages in {mode}, {n}$^2$ voxels")
    fig.tight_layout()
    return save(fig, out, name, "stages", fmt, dpi)


def plot_creep(f, mode, name, out, fmt, dpi):
    """Creep (loading.protocol = "creep"): loaded strain against log time, and the creep rate
    against time with its minimum (the secondary creep rate) marked."""
    curve = f["curve"][()]
    deck = f["deck"].attrs
    t, strain, mid, rate = creep_rates(curve, mode)
    _, _, xlabel, _ = loaded_columns(mode, curve)
    fig, (a0, a1) = plt.subplots(1, 2, figsize=(10, 4.0))
    pos = t > 0
    a0.semilogx(t[pos], strain[pos], "-o", ms=2.5, color="C0")
    a0.set_xlabel("time (s)")
    a0.set_ylabel(xlabel.replace("strain", "loaded strain"))
    a0.axhline(strain[0], color="0.6", lw=0.8, ls=":", label=f"elastic strain of the load {strain[0]:.4f}")
    a0.legend(loc="upper left")
    a0.grid(alpha=0.3, which="both")
    good = rate > 0
    if np.any(good):
        a1.loglog(mid[good], rate[good], "-o", ms=2.5, color="C1")
        i = int(np.argmin(np.where(good, rate, np.inf)))
        a1.plot([mid[i]], [rate[i]], "v", color="C3", ms=8, label=f"minimum creep rate {rate[i]:.3g}/s")
        a1.legend(loc="upper right")
    a1.set_xlabel("time (s)")
    a1.set_ylabel("creep rate d(strain)/dt (1/s)")
    a1.grid(alpha=0.3, which="both")
    n = f["meta"].attrs["grid_n"]
    fig.suptitle(f"{name}: creep in {mode} at {deck['loading.creep_stress']:g} GPa, {n}$^2$ voxels, "
                 f"{deck['kinetics.temperature']:g} K")
    fig.tight_layout()
    return save(fig, out, name, "creep", fmt, dpi)


def plot_relaxation(f, mode, name, out, fmt, dpi):
    """Stress relaxation (loading.protocol = "relaxation"): loaded stress against log time, with a
    straight line fitted to stress against ln t between 10 and 1000 time steps (the logarithmic
    relaxation of glasses, sigma = a - b ln t; later the relaxation may accelerate as the glass
    softens and localizes, which no single logarithm describes)."""
    curve = f["curve"][()]
    deck = f["deck"].attrs
    _, stress, _, ylabel = loaded_columns(mode, curve)
    t = np.asarray(curve["time"], dtype=float)
    stress = np.asarray(stress, dtype=float)
    fig, ax = plt.subplots(figsize=(6, 4.2))
    pos = t > 0
    ax.semilogx(t[pos], stress[pos], "-o", ms=2.5, color="C0", label="loaded stress")
    ax.axhline(stress[0], color="0.6", lw=0.8, ls=":", label=f"elastic stress of the held strain {stress[0]:.3f} GPa")
    dt = float(deck["loading.time_step"])
    fit = (t >= 10.0 * dt) & (t <= 1000.0 * dt)
    if np.count_nonzero(fit) >= 3:
        b, a = np.polyfit(np.log(t[fit]), stress[fit], 1)
        xs = np.geomspace(t[fit].min(), t[fit].max(), 50)
        ax.semilogx(xs, a + b * np.log(xs), "--", color="C3", label=f"fit over 10-1000 time steps: d(stress)/d ln t = {b:.3f} GPa")
    ax.set_xlabel("time (s)")
    ax.set_ylabel(ylabel)
    n = f["meta"].attrs["grid_n"]
    ax.set_title(f"{name}: relaxation in {mode}, strain {deck['loading.relaxation_strain']:g} held, {n}$^2$ voxels")
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="lower left")
    fig.tight_layout()
    return save(fig, out, name, "relaxation", fmt, dpi)


def cyclic_travel(curve, deck):
    """The distance travelled along the wave, s = rate * t: in applied strain, or in loaded stress
    (GPa) for stress cycles (loading.cyclic_control = "stress"); and the unit's words."""
    stress = "loading.cyclic_control" in deck and text(deck["loading.cyclic_control"]) == "stress"
    rate = float(deck["loading.stress_rate"] if stress else deck["loading.strain_rate"])
    return rate * np.asarray(curve["time"], dtype=float), (f"{rate:g} GPa/s, stress" if stress else f"{rate:g}/s, strain")


def cyclic_records(curve, mode, deck):
    """Per cycle (top, bottom, top of the applied strain): the peak stresses, the loop area (the
    energy dissipated per unit volume, GPa = GJ/m^3), the loaded plastic strain gained and the
    drift of the loaded strain at the top (ratcheting). Cycle k runs over the distance travelled
    s in [top + 4 A (k-1), top + 4 A k], s = rate * t (strain, or stress for stress cycles)."""
    strain, stress, _, _ = loaded_columns(mode, curve)
    sign = -1.0 if mode == "compression" else 1.0
    plastic = 2.0 * curve["p3_mean"] if mode == "shear" else sign * curve["p1_mean"]
    amp, mean = float(deck["loading.cyclic_amplitude"]), float(deck["loading.cyclic_mean"])
    s, _ = cyclic_travel(curve, deck)
    top = mean + amp
    rows = []
    k = 1
    while True:
        lo, hi = top + 4 * amp * (k - 1), top + 4 * amp * k
        sel = np.nonzero((s >= lo - 1e-12) & (s <= hi + 1e-12))[0]
        if sel.size < 3 or s[-1] < hi * (1 - 1e-9):
            break
        e, st = strain[sel], stress[sel]
        area = float(np.sum(0.5 * (st[1:] + st[:-1]) * np.diff(e)))
        rows.append({"cycle": k, "max_stress": float(st.max()), "min_stress": float(st.min()),
                     "loop_area": area, "plastic_gained": float(plastic[sel[-1]] - plastic[sel[0]]),
                     "strain_at_top": float(e[-1])})
        k += 1
    return strain, stress, s, rows


def plot_cyclic(f, mode, name, out, fmt, dpi):
    """Cyclic straining: hysteresis loops (stress against strain) coloured by cycle, and per
    cycle the loop area and the peak stresses; the per-cycle table is printed too."""
    curve = f["curve"][()]
    deck = f["deck"].attrs
    strain, stress, s, rows = cyclic_records(curve, mode, deck)
    _, _, xlabel, ylabel = loaded_columns(mode, curve)
    amp, mean = float(deck["loading.cyclic_amplitude"]), float(deck["loading.cyclic_mean"])
    cycle = np.where(s <= mean + amp, 0, np.floor((s - (mean + amp)) / (4 * amp)) + 1)
    cycle = np.minimum(cycle, int(deck["loading.cycles"]))  # the last point closes the last cycle
    fig, (a0, a1) = plt.subplots(1, 2, figsize=(11, 4.2))
    ncyc = int(cycle.max()) if cycle.size else 0
    cmap = plt.get_cmap("viridis")
    for c in range(0, ncyc + 1):
        sel = cycle == c
        if c > 0:  # join each cycle to the end of the previous one
            prev = np.nonzero(cycle == c - 1)[0]
            sel[prev[-1]] = True if prev.size else sel[0]
        label = "first rise" if c == 0 else (f"cycle {c}" if c in (1, ncyc) or ncyc <= 6 else None)
        a0.plot(strain[sel], stress[sel], "-", lw=1.2, color=cmap(c / max(ncyc, 1)), label=label)
    a0.set_xlabel(xlabel)
    a0.set_ylabel(ylabel)
    a0.grid(alpha=0.3)
    a0.legend(loc="lower right", fontsize=8)
    if rows:
        ks = [r["cycle"] for r in rows]
        a1.plot(ks, [r["loop_area"] * 1000 for r in rows], "o-", color="C3", label="loop area (MJ/m$^3$)")
        a1.set_xlabel("cycle")
        a1.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        a1.set_ylabel("loop area (MJ/m$^3$)", color="C3")
        a2 = a1.twinx()
        a2.plot(ks, [r["max_stress"] for r in rows], "^-", color="C0", label="max stress")
        a2.plot(ks, [r["min_stress"] for r in rows], "v-", color="C2", label="min stress")
        a2.set_ylabel("peak stresses (GPa)")
        a2.legend(loc="center right", fontsize=8)
        a1.grid(alpha=0.3)
    n = f["meta"].attrs["grid_n"]
    _, words = cyclic_travel(curve, deck)
    fig.suptitle(f"{name}: cyclic {mode}, {words} amplitude {amp:g} about {mean:g}, {n}$^2$ voxels"
                 + ("" if rows else " (no full cycle)"))
    fig.tight_layout()
    for r in rows:
        print(f"cycle {r['cycle']}: stress {r['min_stress']:.3f} to {r['max_stress']:.3f} GPa, loop area "
              f"{r['loop_area'] * 1000:.2f} MJ/m^3, plastic strain gained {r['plastic_gained']:.5f}, "
              f"strain at the top {r['strain_at_top']:.5f}")
    return save(fig, out, name, "cycles", fmt, dpi)


def extent(f):
    size = f["meta"].attrs["grid_n"] * f["meta"].attrs["voxel_size_nm"]
    return [0, size, 0, size]


def outline_extreme(ax, eq, ext):
    """Extreme sites (EqStrain > 0.7) as thin outlines that leave the band visible; their count."""
    mask = eq > EXTREME_SITE
    count = int(mask.sum())
    if count:
        n = eq.shape[0]
        h = (ext[1] - ext[0]) / n
        centres = (np.arange(n) + 0.5) * h
        ax.contour(centres, centres, mask.astype(float), levels=[0.5], colors="cyan", linewidths=0.35, alpha=0.8)
    return count


def eq_norm(vmax):
    return mcolors.PowerNorm(gamma=EQ_GAMMA, vmin=0.0, vmax=max(vmax, 1e-6))


def stress_deviation(g, mode):
    key, sign, label = stress_field(mode)
    sig = sign * g[key][()]
    mean = float(sig.mean())
    return sig - mean, mean, label


def symmetric_limit(dev):
    return max(float(np.percentile(np.abs(dev), 99)), 1e-6)


def snapshot_title(label, g):
    """Snapshot number and strain; why it was taken unless it was a requested strain."""
    at = g.attrs
    why = ", ".join(r for r in text(at["reason"]).split(", ") if not r.startswith("strain "))
    return f"{int(label)}: strain {at['strain']:.4f}" + (f" ({why})" if why else "")


def plot_snapshot(f, mode, name, out, label, g, fmt, dpi):
    eq = g["eq_strain"][()]
    dev, mean, slabel = stress_deviation(g, mode)
    ext = extent(f)
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.6))
    im = axes[0].imshow(eq, origin="lower", extent=ext, cmap="magma", norm=eq_norm(float(eq.max())))
    count = outline_extreme(axes[0], eq, ext)
    fig.colorbar(im, ax=axes[0], label=f"EqStrain (power scale, exponent {EQ_GAMMA})")
    axes[0].set_title(f"EqStrain; {count} extreme sites (> {EXTREME_SITE}) outlined in cyan")
    lim = symmetric_limit(dev)
    im = axes[1].imshow(dev, origin="lower", extent=ext, cmap="RdBu_r", vmin=-lim, vmax=lim)
    fig.colorbar(im, ax=axes[1], label=f"{slabel} $-$ mean (GPa)")
    axes[1].set_title(f"local stress {slabel} about its mean {mean:.3f} GPa (white)")
    for ax in axes:
        ax.set_xlabel("x (nm)")
        ax.set_ylabel("y (nm)")
    at = g.attrs
    fig.suptitle(f"{name} snapshot {label}: strain {at['strain']:.4f}, applied strain {at['applied_strain']:.4f}, "
                 f"stress {at['stress']:.3f} GPa ({text(at['reason'])})")
    fig.tight_layout()
    return save(fig, out, name, f"fields_{label}", fmt, dpi)


def plot_evolution(f, mode, name, out, snaps, fmt, dpi, stress_row=True):
    """Snapshots side by side: one EqStrain scale for all, and (stress_row) the stress about its mean."""
    count = len(snaps)
    rows = 2 if stress_row else 1
    fig, axes = plt.subplots(rows, count, figsize=(2.7 * count + 1.6, 2.9 * rows + 0.5), squeeze=False,
                             constrained_layout=True)
    ext = extent(f)
    vmax = max(float(g["eq_strain"][()].max()) for _, g in snaps)
    devs = [stress_deviation(g, mode) for _, g in snaps]
    lim = max(symmetric_limit(d) for d, _, _ in devs)
    im_eq = im_s = None
    for c, (label, g) in enumerate(snaps):
        eq = g["eq_strain"][()]
        ax = axes[0][c]
        im_eq = ax.imshow(eq, origin="lower", extent=ext, cmap="magma", norm=eq_norm(vmax))
        n_ext = outline_extreme(ax, eq, ext)
        ax.set_title(snapshot_title(label, g) + (f"\n{n_ext} extreme sites" if n_ext else "\nno extreme site"))
        if stress_row:
            dev, mean, slabel = devs[c]
            im_s = axes[1][c].imshow(dev, origin="lower", extent=ext, cmap="RdBu_r", vmin=-lim, vmax=lim)
            axes[1][c].set_title(f"{slabel}: mean {mean:.3f} GPa")
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(im_eq, ax=axes[0, :], label=f"EqStrain\n(power scale {EQ_GAMMA})", shrink=0.9)
    if stress_row:
        fig.colorbar(im_s, ax=axes[1, :], label=f"{devs[0][2]} $-$ mean (GPa)", shrink=0.9)
    size = ext[1]
    what = "EqStrain and loaded stress about its mean" if stress_row else "EqStrain"
    fig.suptitle(f"{name}: {what}, {size:.1f} nm box; extreme sites (> {EXTREME_SITE}) outlined in cyan")
    return save(fig, out, name, "evolution" if stress_row else "eq_strain", fmt, dpi)


def plot_avalanches(f, name, out, fmt, dpi):
    sizes = f["avalanches"][()]
    a = f["analysis"].attrs
    fig, ax = plt.subplots(figsize=(5.2, 4))
    if len(sizes) == 0:
        ax.text(0.5, 0.5, "no athermal avalanches", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
    else:
        edges = np.unique(np.round(np.logspace(0, np.log10(sizes.max() + 1), 20))).astype(float)
        if len(edges) < 2 or edges[-1] <= sizes.max():
            edges = np.append(edges, sizes.max() + 1)
        counts, _ = np.histogram(sizes, bins=edges)
        density = counts / (np.diff(edges) * len(sizes))
        # Sizes are integers: a bin [a, b) holds a..b-1, so its centre is sqrt(a (b - 1)).
        centers = np.sqrt(edges[:-1] * (edges[1:] - 1))
        keep = counts > 0
        ax.loglog(centers[keep], density[keep], "o", color="C0", label=f"{len(sizes)} avalanches")
        alpha = float(a["avalanche_alpha"])
        if alpha > 0:
            err = float(a["avalanche_alpha_error"]) if "avalanche_alpha_error" in a else 0.0
            s_min = float(a["avalanche_s_min"])
            s = np.logspace(np.log10(s_min), np.log10(max(sizes.max(), s_min + 1)), 50)
            # The fitted law itself (the continuous approximation the estimator uses), normalised
            # to the fraction of avalanches in the tail, not pinned to a data point.
            tail = float(np.mean(sizes >= s_min))
            law = tail * (alpha - 1.0) / (s_min - 0.5) * (s / (s_min - 0.5)) ** (-alpha)
            ax.loglog(s, law, "--", color="C3",
                      label=rf"$s^{{-\alpha}}$, $\alpha$ = {alpha:.2f} $\pm$ {err:.2f} (max. likelihood)")
        else:
            ax.text(0.97, 0.97, "too few avalanches, or too narrow a size range,\nfor a power-law exponent",
                    ha="right", va="top", transform=ax.transAxes, fontsize=7, color="0.4")
        ax.set_xlabel("avalanche size s (voxels flipped)")
        ax.set_ylabel("P(s)")
        ax.legend(loc="lower left")
        ax.grid(alpha=0.3, which="both")
    ax.set_title(f"{name}: athermal avalanche sizes")
    fig.tight_layout()
    return save(fig, out, name, "avalanches", fmt, dpi)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", help="stzkmc output file OUT/NAME.h5")
    parser.add_argument("--out", help="directory of the figures (default: beside the output)")
    parser.add_argument("--format", choices=["png", "pdf", "svg"], default="png", help="file format (default png)")
    parser.add_argument("--dpi", type=int, default=150, help="raster resolution (default 150; 300 for print)")
    args = parser.parse_args(argv)
    if not 50 <= args.dpi <= 1200:
        parser.error(f"--dpi {args.dpi}: allowed 50 to 1200")
    out = args.out or os.path.dirname(os.path.abspath(args.output))
    os.makedirs(out, exist_ok=True)
    name = os.path.splitext(os.path.basename(args.output))[0]
    written = []
    plt.rcParams.update(STYLE)
    with h5py.File(args.output, "r") as f:
        if "curve" not in f or "deck" not in f:
            sys.exit(f"{args.output} is not an stzkmc output file (no /curve or /deck)")
        mode = text(f["deck"].attrs["loading.mode"])
        protocol = text(f["deck"].attrs["loading.protocol"]) if "loading.protocol" in f["deck"].attrs else "strain-rate"
        staged = int(f["deck"].attrs["stages"]) if "stages" in f["deck"].attrs else 0
        if staged > 0:
            written.append(plot_stages(f, mode, name, out, args.format, args.dpi))
        elif protocol == "creep":
            written.append(plot_creep(f, mode, name, out, args.format, args.dpi))
        elif protocol == "relaxation":
            written.append(plot_relaxation(f, mode, name, out, args.format, args.dpi))
        elif protocol == "cyclic":
            written.append(plot_cyclic(f, mode, name, out, args.format, args.dpi))
        else:
            written.append(plot_curve(f, mode, name, out, args.format, args.dpi))
        snaps = snapshots(f)
        if snaps:
            written.append(plot_evolution(f, mode, name, out, snaps, args.format, args.dpi))
            written.append(plot_evolution(f, mode, name, out, snaps, args.format, args.dpi, stress_row=False))
            for label, g in snaps:
                written.append(plot_snapshot(f, mode, name, out, label, g, args.format, args.dpi))
        written.append(plot_avalanches(f, name, out, args.format, args.dpi))
    for path in written:
        print(path)


if __name__ == "__main__":
    main()
