#!/usr/bin/python3
"""Collect a finished (or partly finished) stzkmc sweep into one summary and the figures.

Usage: sweep_collect.py SWEEP_OUT/plan.tsv     (what `stzkmc collect SWEEP.toml` runs)

Writes beside plan.tsv:
  summary.csv, summary.h5   one row per run: swept parameters, seed, yield stress (peak and 0.2 %
                            offset), extreme sites and SLI at <p> = 0.02, thermal events, athermal
                            flips, avalanches, wall time, backend
  cases.csv                 mean and standard deviation per case
  stress_strain.png         curves of every run, coloured by case
  yield.png                 peak and offset yield stress vs the swept parameter (mean +- std)
  localization.png          extreme sites and SLI per case (mean +- std)
  eqstrain_maps.png         EqStrain at <p> = 0.02 of the first seed of each case, extreme sites marked
"""
import contextlib
import csv
import math
import os
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

RUN_COLUMNS = ["peak_stress", "peak_strain", "offset_stress", "offset_strain", "extreme_sites", "sli",
               "thermal_events", "athermal_flips", "athermal_passes", "avalanches", "wall_time_s"]


@contextlib.contextmanager
def atomic_text(path):
    """A text file written under a temporary name and renamed into place once complete."""
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "w", newline="") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def read_plan(path):
    """The sweep's name, its swept keys, every key column (fixed and swept), and the rows."""
    with open(path) as f:
        header = f.readline().rstrip("\n").split("\t")
        name = header[1] if len(header) > 1 else "sweep"
        pos = f.tell()
        line = f.readline()
        swept = None
        if line.startswith("# swept"):
            swept = [k for k in line.rstrip("\n").split("\t")[1:] if k]
        else:
            f.seek(pos)
        rows = list(csv.DictReader(f, delimiter="\t"))
    columns = [k for k in rows[0].keys() if k not in ("index", "case", "seed", "dir", "output")] if rows else []
    if swept is None:  # a plan.tsv of an earlier stzkmc: every key column is swept
        swept = columns
    return name, swept, columns, rows


def read_run(path):
    """The summary numbers of one output file, or None if it is missing or unfinished."""
    if not os.path.exists(path):
        return None
    with h5py.File(path, "r") as f:
        meta, a = f["meta"].attrs, f["analysis"].attrs
        status = meta["status"].decode() if isinstance(meta["status"], bytes) else str(meta["status"])
        curve = f["curve"][()]
        last = curve[-1]
        r = {
            "status": status,
            "backend": str(meta["backend"]),
            "peak_stress": float(a["peak_stress"]),
            "peak_strain": float(a["peak_strain"]),
            "offset_stress": float(a["offset_stress"]) if a["offset_reached"] else math.nan,
            "offset_strain": float(a["offset_strain"]) if a["offset_reached"] else math.nan,
            "extreme_sites": float(a["extreme_sites"]) if a["localization_reached"] else math.nan,
            "sli": float(a["sli"]) if a["localization_reached"] else math.nan,
            "thermal_events": int(last["thermal_events"]),
            "athermal_flips": int(last["athermal_flips"]),
            "athermal_passes": int(last["athermal_passes"]),
            "avalanches": int(a["avalanche_count"]),
            "wall_time_s": float(meta["wall_time_s"]),
            "curve_strain": np.asarray(curve["strain_11"]),
            "curve_stress": np.asarray(curve["stress_11"]),
            "eq_map": None,
        }
        for key in sorted(f.get("fields", {}).keys()):
            g = f["fields"][key]
            reason = g.attrs.get("reason", b"")
            reason = reason.decode() if isinstance(reason, bytes) else str(reason)
            if "localization" in reason:
                r["eq_map"] = np.asarray(g["eq_strain"])
                break
        return r


def as_number(text):
    try:
        return float(text)
    except ValueError:
        return None


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    plan_path = sys.argv[1]
    out = os.path.dirname(os.path.abspath(plan_path))
    name, swept, columns, plan = read_plan(plan_path)
    runs, missing = [], 0
    for p in plan:
        r = read_run(p["output"])
        if r is None or r["status"] != "finished":
            missing += 1
            continue
        r.update({"case": p["case"], "seed": int(p["seed"]), **{k: p[k] for k in columns}})
        runs.append(r)
    if not runs:
        sys.exit(f"collect: no finished run among the {len(plan)} of {plan_path}")
    cases = list(dict.fromkeys(r["case"] for r in runs))

    fields = ["case", "seed"] + columns + ["backend"] + RUN_COLUMNS
    with atomic_text(os.path.join(out, "summary.csv")) as f:
        w = csv.writer(f)
        w.writerow(fields)
        for r in runs:
            w.writerow([r[k] for k in fields])
    stats = {}
    with atomic_text(os.path.join(out, "cases.csv")) as f:
        w = csv.writer(f)
        w.writerow(["case"] + columns + ["runs"] + [f"{c}_{s}" for c in RUN_COLUMNS for s in ("mean", "std")])
        for c in cases:
            rs = [r for r in runs if r["case"] == c]
            row = [c] + [rs[0][k] for k in columns] + [len(rs)]
            stats[c] = {}
            for col in RUN_COLUMNS:
                v = np.array([r[col] for r in rs], dtype=float)
                v = v[np.isfinite(v)]
                m = float(v.mean()) if v.size else math.nan
                s = float(v.std(ddof=1)) if v.size > 1 else math.nan
                stats[c][col] = (m, s, v.size)
                row += [m, s]
            w.writerow(row)
    with h5py.File(os.path.join(out, "summary.h5.tmp"), "w") as f:
        f.attrs["sweep"] = name
        g = f.create_group("runs")
        g["case"] = np.array([r["case"] for r in runs], dtype=h5py.string_dtype())
        g["seed"] = np.array([r["seed"] for r in runs])
        g["backend"] = np.array([r["backend"] for r in runs], dtype=h5py.string_dtype())
        for k in columns:
            g[k] = np.array([r[k] for r in runs], dtype=h5py.string_dtype())
        for col in RUN_COLUMNS:
            g[col] = np.array([r[col] for r in runs], dtype=float)
        h = f.create_group("cases")
        h["case"] = np.array(cases, dtype=h5py.string_dtype())
        for col in RUN_COLUMNS:
            h[col + "_mean"] = np.array([stats[c][col][0] for c in cases])
            h[col + "_std"] = np.array([stats[c][col][1] for c in cases])
            h[col + "_n"] = np.array([stats[c][col][2] for c in cases])
    os.replace(os.path.join(out, "summary.h5.tmp"), os.path.join(out, "summary.h5"))

    colours = plt.cm.viridis(np.linspace(0, 0.9, len(cases)))
    # Stress-strain curves.
    fig, ax = plt.subplots(figsize=(6, 4.2))
    for c, col in zip(cases, colours):
        for i, r in enumerate(x for x in runs if x["case"] == c):
            ax.plot(r["curve_strain"], r["curve_stress"], color=col, lw=0.8, alpha=0.8, label=c if i == 0 else None)
    ax.set_xlabel("strain $\\bar\\varepsilon_{11}$")
    ax.set_ylabel("stress $\\bar\\sigma_{11}$ (GPa)")
    ax.set_title(f"{name}: stress-strain")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "stress_strain.png"), dpi=130)
    plt.close(fig)

    # Yield stress vs the swept parameter (numeric: as x; otherwise per case).
    xkey = swept[-1] if len(swept) == 1 or (swept and all(as_number(runs[0][k]) is not None for k in swept[-1:])) else None
    xs = [as_number(next(r for r in runs if r["case"] == c)[xkey]) if xkey else None for c in cases]
    numeric = xkey is not None and all(x is not None for x in xs) and len(swept) == 1
    fig, ax = plt.subplots(figsize=(6, 4.2))
    pos = np.array(xs, dtype=float) if numeric else np.arange(len(cases))
    for col, label, marker in (("peak_stress", "peak", "o"), ("offset_stress", "0.2 % offset", "s")):
        m = [stats[c][col][0] for c in cases]
        s = [stats[c][col][1] for c in cases]
        if not np.any(np.isfinite(m)):
            continue  # e.g. the offset yield of runs that never reached it
        # One run per case has no scatter: no error bars (matplotlib refuses all-NaN ones).
        ax.errorbar(pos, m, yerr=s if np.any(np.isfinite(s)) else None, marker=marker, capsize=3, label=label)
    if numeric:
        if min(pos) > 0 and max(pos) / min(pos) > 50:
            ax.set_xscale("log")
        ax.set_xlabel(xkey)
    else:
        ax.set_xticks(pos)
        ax.set_xticklabels(cases, rotation=20, fontsize=7)
    ax.set_ylabel("yield stress (GPa)")
    ax.set_title(f"{name}: yield stress (mean $\\pm$ std over seeds)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out, "yield.png"), dpi=130)
    plt.close(fig)

    # Extreme sites and SLI bars.
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
    for ax, col, label in ((axes[0], "extreme_sites", "extreme sites (EqStrain > 0.7)"), (axes[1], "sli", "SLI")):
        m = [stats[c][col][0] for c in cases]
        s = [stats[c][col][1] for c in cases]
        m = [v if np.isfinite(v) else 0.0 for v in m]  # not reached: an empty bar
        ax.bar(np.arange(len(cases)), m, yerr=s if np.any(np.isfinite(s)) else None, color=colours, capsize=3)
        ax.set_xticks(np.arange(len(cases)))
        ax.set_xticklabels(cases, rotation=25, fontsize=7, ha="right")
        ax.set_ylabel(label)
    fig.suptitle(f"{name}: localization at $\\langle p_1\\rangle$ = 0.02")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "localization.png"), dpi=130)
    plt.close(fig)

    # EqStrain maps at <p> = 0.02, first seed of each case.
    maps = [(c, next((r["eq_map"] for r in runs if r["case"] == c and r["eq_map"] is not None), None)) for c in cases]
    maps = [(c, m) for c, m in maps if m is not None]
    if maps:
        fig, axes = plt.subplots(1, len(maps), figsize=(3.2 * len(maps), 3.4), squeeze=False)
        vmax = max(float(m.max()) for _, m in maps)
        for ax, (c, m) in zip(axes[0], maps):
            im = ax.imshow(m, origin="lower", cmap="magma", vmin=0, vmax=vmax)
            ys, xs_ = np.nonzero(m > 0.7)
            ax.scatter(xs_, ys, s=6, facecolors="none", edgecolors="cyan", linewidths=0.6)
            ax.set_title(c, fontsize=8)
            ax.set_xticks([])
            ax.set_yticks([])
        fig.colorbar(im, ax=axes[0].tolist(), shrink=0.8, label="EqStrain")
        fig.suptitle(f"{name}: EqStrain at $\\langle p_1\\rangle$ = 0.02 (circles: > 0.7)")
        fig.savefig(os.path.join(out, "eqstrain_maps.png"), dpi=130)
        plt.close(fig)

    print(f"collect {name}: {len(runs)} finished runs in {len(cases)} cases ({missing} missing or unfinished)")
    for c in cases:
        st = stats[c]
        print(f"  {c:40s} n={st['peak_stress'][2]}  peak {st['peak_stress'][0]:.3f} +- {st['peak_stress'][1]:.3f} GPa"
              f"  offset {st['offset_stress'][0]:.3f} +- {st['offset_stress'][1]:.3f}"
              f"  extreme {st['extreme_sites'][0]:.1f} +- {st['extreme_sites'][1]:.1f}"
              f"  SLI {st['sli'][0]:.4f} +- {st['sli'][1]:.4f}  events {st['thermal_events'][0]:.0f}")
    print(f"wrote {out}/summary.csv, cases.csv, summary.h5 and PNG figures")


if __name__ == "__main__":
    main()
