#!/usr/bin/env python3
"""Statistical comparison of kinetics rules over seeds (docs/model.md §5.6).

Reads a sweep whose grid includes "kinetics.rule" (runs/paper/kinetics_rules.sweep.toml) and,
for every case and rule, the mean and standard error over seeds of: peak stress, the stress at
<p1> = 0.02 (loaded plastic strain, interpolated along the curve), thermal events, athermal flips
and SLI. Each rule is compared with the first (by default "bounded"): the difference in units of
the combined standard error, z = (a - b) / sqrt(se_a^2 + se_b^2); |z| < 3 passes.

usage: compare_rules.py SWEEP_OUT_DIR [--against RULE] [--markdown FILE]
Exit code 0 when every comparison passes, 1 otherwise, 2 on bad input.
"""
import argparse
import csv
import math
import os
import sys

import h5py
import numpy as np

METRICS = [
    ("peak_stress", "peak stress (GPa)", "{:.3f}"),
    ("flow_stress", "stress at <p1> = 0.02 (GPa)", "{:.3f}"),
    ("thermal_events", "thermal events", "{:.0f}"),
    ("athermal_flips", "athermal flips", "{:.0f}"),
    ("sli", "SLI", "{:.4f}"),
]
FLOW_PLASTIC_STRAIN = 0.02


def loaded(curve, mode):
    """The loaded stress and plastic strain of a curve, as stzkmc defines them
    (host/core/protocols/strain_control.cpp): tension sigma11 and p1, compression -sigma11 and
    -p1, shear sigma12 and 2 p3."""
    if mode == "shear":
        return curve["stress_12"], 2.0 * curve["p3_mean"]
    sign = -1.0 if mode == "compression" else 1.0
    return sign * curve["stress_11"], sign * curve["p1_mean"]


def text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def run_metrics(path):
    """The metrics of one finished run, or None while it is unfinished."""
    with h5py.File(path, "r") as f:
        if text(f["meta"].attrs["status"]) != "finished":
            return None
        a = {k: f["analysis"].attrs[k] for k in ("peak_stress", "sli", "localization_reached")}
        curve = f["curve"][()]
        deck = text(f["deck"][()])
    mode, section = "tension", ""
    for line in deck.splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("["):
            section = line.strip("[]")
        key, _, value = line.partition("=")
        if section == "loading" and key.strip() == "mode":
            mode = value.strip().strip('"')
    stress, plastic = loaded(curve, mode)
    flow = math.nan
    above = np.nonzero(plastic >= FLOW_PLASTIC_STRAIN)[0]
    if above.size and above[0] > 0:
        i = above[0]
        w = (FLOW_PLASTIC_STRAIN - plastic[i - 1]) / (plastic[i] - plastic[i - 1])
        flow = float(stress[i - 1] + w * (stress[i] - stress[i - 1]))
    return {
        "peak_stress": float(a["peak_stress"]),
        "flow_stress": flow,
        "thermal_events": float(curve["thermal_events"][-1]),
        "athermal_flips": float(curve["athermal_flips"][-1]),
        "sli": float(a["sli"]) if a["localization_reached"] else math.nan,
    }


def read_plan(out_dir):
    path = os.path.join(out_dir, "plan.tsv")
    if not os.path.exists(path):
        sys.exit(f"compare_rules: {path} not found: give the output directory of a sweep (stzkmc sweep ...)")
    with open(path) as f:
        lines = [l for l in f if not l.startswith("#")]
    rows = list(csv.DictReader(lines, delimiter="\t"))
    if not rows or "kinetics.rule" not in rows[0]:
        sys.exit(f"compare_rules: {path} has no kinetics.rule column: the sweep must vary kinetics.rule")
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--against", default="bounded", help="the rule the others are compared with")
    ap.add_argument("--markdown", help="also write the table as Markdown to this file")
    args = ap.parse_args()
    groups = {}  # (case without the rule, rule) -> list of metric dicts
    missing = 0
    for r in read_plan(args.out_dir):
        output = r["output"]
        if not os.path.isabs(output) and not os.path.exists(output):
            output = os.path.join(args.out_dir, os.path.relpath(output, os.path.dirname(os.path.normpath(args.out_dir))))
        metrics = run_metrics(output) if os.path.exists(output) else None
        if metrics is None:
            missing += 1
            continue
        case = r["case"].replace(f"_rule={r['kinetics.rule']}", "").replace(f"rule={r['kinetics.rule']}", "") or "all"
        groups.setdefault((case, r["kinetics.rule"]), []).append(metrics)
    if missing:
        print(f"compare_rules: {missing} runs have no finished output (not run, still running, or failed)", file=sys.stderr)
    cases = sorted({c for c, _ in groups})
    rules = sorted({r for _, r in groups}, key=lambda r: (r != args.against, r))
    if args.against not in rules:
        sys.exit(f"compare_rules: no runs of rule {args.against!r}; rules present: {', '.join(rules)}")

    def stats(values):
        v = np.array([x for x in values if not math.isnan(x)])
        if v.size < 2:
            return math.nan, math.nan, v.size
        return float(v.mean()), float(v.std(ddof=1) / math.sqrt(v.size)), v.size

    lines = ["| case | metric | " + " | ".join(f"{r} (mean ± s.e.)" for r in rules) + " | " +
             " | ".join(f"z {r}" for r in rules if r != args.against) + " |",
             "|---|---|" + "---|" * (2 * len(rules) - 1)]
    worst = 0.0
    for case in cases:
        for key, label, fmt in METRICS:
            cells, zs = [], []
            base = stats([m[key] for m in groups.get((case, args.against), [])])
            for rule in rules:
                mean, se, n = stats([m[key] for m in groups.get((case, rule), [])])
                cells.append(f"{fmt.format(mean)} ± {fmt.format(se)} (n={n})")
                if rule != args.against:
                    z = (mean - base[0]) / math.hypot(se, base[1]) if se > 0 or base[1] > 0 else 0.0
                    worst = max(worst, abs(z)) if not math.isnan(z) else worst
                    zs.append(f"{z:+.2f}")
            lines.append(f"| {case} | {label} | " + " | ".join(cells) + " | " + " | ".join(zs) + " |")
    table = "\n".join(lines)
    print(table)
    print(f"\nlargest |z| = {worst:.2f} ({'all within 3 combined standard errors' if worst < 3 else 'NOT within 3'})")
    if args.markdown:
        tmp = f"{args.markdown}.tmp-{os.getpid()}"
        with open(tmp, "w") as f:
            f.write(table + "\n")
        os.replace(tmp, args.markdown)
    return 0 if worst < 3 else 1


if __name__ == "__main__":
    sys.exit(main())
