#!/usr/bin/python3
"""Figures of an stzkmc output file, written as PNGs beside it (or into --out):

  NAME_curve.png        loaded stress vs loaded strain (stress_11 vs strain_11 in tension), with
                        the peak, the 0.2 % offset yield and the field snapshots marked
  NAME_eq_strain.png    EqStrain maps of every field snapshot on one colour scale
  NAME_fields_NNNN.png  EqStrain and loaded-stress maps of snapshot NNNN; extreme sites
                        (EqStrain > 0.7) circled
  NAME_avalanches.png   avalanche size distribution P(s) on logarithmic bins

Usage: /usr/bin/python3 tools/plot_run.py OUT/NAME.h5 [--out DIR]
       (or: stzkmc plot OUT/NAME.h5). Needs numpy, h5py, matplotlib (Debian packages).
Works on the output of a running job too: the file on disk is always complete.
"""
import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")  # no display needed
import h5py  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

EXTREME_SITE = 0.7  # EqStrain threshold of an extreme site (MODEL.md 1.8)


def text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def loaded_columns(mode, curve):
    """Loaded strain and stress of the curve, signed to grow during loading, and labels."""
    if mode == "compression":
        return -curve["strain_11"], -curve["stress_11"], r"$-\bar\varepsilon_{11}$", r"$-\bar\sigma_{11}$ (GPa)"
    if mode == "shear":
        return 2 * curve["strain_12"], curve["stress_12"], r"$\bar\gamma_{12} = 2\bar\varepsilon_{12}$", r"$\bar\sigma_{12}$ (GPa)"
    return curve["strain_11"], curve["stress_11"], r"$\bar\varepsilon_{11}$", r"$\bar\sigma_{11}$ (GPa)"


def stress_field(mode):
    return ("s12", r"$\sigma_{12}$ (GPa)") if mode == "shear" else ("s11", r"$\sigma_{11}$ (GPa)")


def snapshots(f):
    if "fields" not in f:
        return []
    return [(name, f["fields"][name]) for name in sorted(f["fields"], key=int)]


def plot_curve(f, mode, name, out):
    curve = f["curve"][()]
    strain, stress, xlabel, ylabel = loaded_columns(mode, curve)
    a = f["analysis"].attrs
    fig, ax = plt.subplots(figsize=(6, 4.2))
    ax.plot(strain, stress, "-", color="C0", lw=1.6, label="mean stress")
    ax.plot([a["peak_strain"]], [a["peak_stress"]], "v", color="C3", label=f"peak {a['peak_stress']:.3f} GPa")
    if a["offset_reached"]:
        ax.plot([a["offset_strain"]], [a["offset_stress"]], "o", mfc="none", color="C2",
                label=f"0.2% offset yield {a['offset_stress']:.3f} GPa")
    for i, (_, g) in enumerate(snapshots(f)):
        ax.axvline(g.attrs["strain"], color="0.6", lw=0.8, ls=":", label="field snapshots" if i == 0 else None)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    n = f["meta"].attrs["grid_n"]
    rate = f["deck"].attrs["loading.strain_rate"]
    ax.set_title(f"{name}: {mode}, {n}$^2$ voxels, strain rate {rate:g}/s", fontsize=10)
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=min(0.0, float(np.min(stress))))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    path = os.path.join(out, f"{name}_curve.png")
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return path


def extent(f):
    size = f["meta"].attrs["grid_n"] * f["meta"].attrs["voxel_size_nm"]
    return [0, size, 0, size]


def mark_extreme(ax, eq, ext):
    ys, xs = np.nonzero(eq > EXTREME_SITE)
    if len(xs) == 0:
        return 0
    n = eq.shape[0]
    h = (ext[1] - ext[0]) / n
    ax.scatter((xs + 0.5) * h, (ys + 0.5) * h, s=14, facecolors="none", edgecolors="red", linewidths=0.8)
    return len(xs)


def plot_snapshot(f, mode, name, out, label, g):
    eq = g["eq_strain"][()]
    key, slabel = stress_field(mode)
    sig = g[key][()]
    ext = extent(f)
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.6))
    im = axes[0].imshow(eq, origin="lower", extent=ext, cmap="magma", vmin=0, vmax=max(EXTREME_SITE, float(eq.max())))
    count = mark_extreme(axes[0], eq, ext)
    fig.colorbar(im, ax=axes[0], label="EqStrain")
    axes[0].set_title(f"EqStrain; {count} extreme sites (> {EXTREME_SITE}) circled", fontsize=9)
    lo, hi = np.percentile(sig, [1, 99])
    im = axes[1].imshow(sig, origin="lower", extent=ext, cmap="RdBu_r", vmin=lo, vmax=hi)
    mark_extreme(axes[1], eq, ext)
    fig.colorbar(im, ax=axes[1], label=slabel)
    axes[1].set_title(f"local stress {slabel}", fontsize=9)
    for ax in axes:
        ax.set_xlabel("x (nm)")
        ax.set_ylabel("y (nm)")
    at = g.attrs
    fig.suptitle(f"{name} snapshot {label}: strain {at['strain']:.4f}, stress {at['stress']:.3f} GPa, "
                 f"<p1> {at['p1_mean']:.4f} ({text(at['reason'])})", fontsize=10)
    fig.tight_layout()
    path = os.path.join(out, f"{name}_fields_{label}.png")
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path


def plot_eq_strain_overview(f, name, out, snaps):
    count = len(snaps)
    cols = min(count, 4)
    rows = (count + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.0 * cols + 1.2, 3.2 * rows + 0.4), squeeze=False,
                             constrained_layout=True)
    vmax = max(EXTREME_SITE, max(float(g["eq_strain"][()].max()) for _, g in snaps))
    ext = extent(f)
    im = None
    for ax, (label, g) in zip(axes.flat, snaps):
        eq = g["eq_strain"][()]
        im = ax.imshow(eq, origin="lower", extent=ext, cmap="magma", vmin=0, vmax=vmax)
        mark_extreme(ax, eq, ext)
        ax.set_title(f"{label}: strain {g.attrs['strain']:.4f}\n{text(g.attrs['reason'])}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in list(axes.flat)[count:]:
        ax.axis("off")
    fig.colorbar(im, ax=axes, label="EqStrain (von Mises strain)", shrink=0.8)
    fig.suptitle(f"{name}: EqStrain maps, extreme sites (> {EXTREME_SITE}) circled", fontsize=10)
    path = os.path.join(out, f"{name}_eq_strain.png")
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path


def plot_avalanches(f, name, out):
    sizes = f["avalanches"][()]
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
        alpha = float(f["analysis"].attrs["avalanche_alpha"])
        if alpha > 0:
            s_min = float(f["analysis"].attrs["avalanche_s_min"])
            s = np.logspace(np.log10(s_min), np.log10(max(sizes.max(), s_min + 1)), 50)
            ax.loglog(s, density[keep][0] * (s / centers[keep][0]) ** (-alpha), "--", color="C3",
                      label=rf"$s^{{-{alpha:.2f}}}$ (max. likelihood)")
        ax.set_xlabel("avalanche size s (voxels flipped)")
        ax.set_ylabel("P(s)")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3, which="both")
    ax.set_title(f"{name}: athermal avalanche sizes", fontsize=10)
    fig.tight_layout()
    path = os.path.join(out, f"{name}_avalanches.png")
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", help="stzkmc output file OUT/NAME.h5")
    parser.add_argument("--out", help="directory of the PNGs (default: beside the output)")
    args = parser.parse_args(argv)
    out = args.out or os.path.dirname(os.path.abspath(args.output))
    os.makedirs(out, exist_ok=True)
    name = os.path.splitext(os.path.basename(args.output))[0]
    written = []
    with h5py.File(args.output, "r") as f:
        if "curve" not in f or "deck" not in f:
            sys.exit(f"{args.output} is not an stzkmc output file (no /curve or /deck)")
        mode = text(f["deck"].attrs["loading.mode"])
        written.append(plot_curve(f, mode, name, out))
        snaps = snapshots(f)
        if snaps:
            written.append(plot_eq_strain_overview(f, name, out, snaps))
            for label, g in snaps:
                written.append(plot_snapshot(f, mode, name, out, label, g))
        written.append(plot_avalanches(f, name, out))
    for path in written:
        print(path)


if __name__ == "__main__":
    main()
