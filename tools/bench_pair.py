#!/usr/bin/env python3
"""Side-by-side CPU benchmark of two or more stzkmc binaries (before/after a change, or builds
for different instruction sets), in one run.

Runs `stzkmc bench` of each binary in alternation (A, B, ..., A, B, ...) for --rounds rounds, so
that all see the same machine state, and prints CPU microseconds per thermal event per case
(median over rounds) with the ratio of the first binary's time to each other's. Any further
arguments go to `stzkmc bench`.

    tools/bench_pair.py --old /tmp/stzkmc_before --new build/host/stzkmc --rounds 3 \\
        --record benchmarks/RECORD.md -- --backends cpu --rules reference --threads 1 \\
        --sizes 128,256 --events 300 --warmup 50
    tools/bench_pair.py --bin portable=build/host/stzkmc --bin native=/tmp/native/host/stzkmc ...

--new-args adds arguments for the binaries after the first only (e.g. "--precision double,mixed",
which an older binary does not know); their cases are then compared with the first binary's
case of the same precision, or else with its double-precision one.

Only CPU time is compared (process CPU seconds over the timed window): other load on a shared
machine inflates wall time but hardly CPU time. Needs only the Python standard library.
"""
import argparse
import csv
import datetime
import os
import statistics
import subprocess
import sys
import tempfile


def run_bench(binary, bench_args, env):
    with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as f:
        path = f.name
    try:
        proc = subprocess.run([binary, "bench", *bench_args, "--csv", path], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if proc.returncode != 0:
            sys.exit(f"bench_pair: {binary} bench failed (exit {proc.returncode}):\n{proc.stdout[-2000:]}")
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    finally:
        os.unlink(path)
    out = {}
    device = ""
    for r in rows:
        key = (int(r["n"]), int(r["modes"]), r["backend"], r["rule"], r["loop"], r.get("precision", "double"))
        events = float(r["events"])
        if events > 0:
            out[key] = 1e6 * float(r["cpu_seconds"]) / events
        device = r["device"]
    return out, device


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--old", help="the binary before the change (same as the first --bin, labelled --old-label)")
    ap.add_argument("--new", help="the binary after the change")
    ap.add_argument("--old-label", default="old")
    ap.add_argument("--new-label", default="new")
    ap.add_argument("--bin", action="append", default=[], metavar="LABEL=PATH",
                    help="a binary to compare (repeatable; the first is the reference of the ratios)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds (median reported)")
    ap.add_argument("--new-args", default="", help="extra stzkmc bench arguments for all but the first binary")
    ap.add_argument("--record", help="append the table to this Markdown file")
    ap.add_argument("--title", default="Side by side", help="heading of the recorded table")
    ap.add_argument("bench_args", nargs=argparse.REMAINDER, help="-- then arguments of stzkmc bench")
    a = ap.parse_args()
    bench_args = a.bench_args[1:] if a.bench_args[:1] == ["--"] else a.bench_args
    bins = []
    if a.old:
        bins.append((a.old_label, a.old))
    if a.new:
        bins.append((a.new_label, a.new))
    for spec in a.bin:
        label, sep, path = spec.partition("=")
        if not sep or not label or not path:
            sys.exit(f"bench_pair: --bin {spec!r}: expected LABEL=PATH")
        bins.append((label, path))
    if len(bins) < 2:
        sys.exit("bench_pair: give two binaries at least (--old and --new, or --bin LABEL=PATH twice)")
    if a.rounds < 1:
        sys.exit(f"bench_pair: --rounds = {a.rounds}: must be at least 1")
    for _, b in bins:
        if not os.access(b, os.X_OK):
            sys.exit(f"bench_pair: {b} is not an executable file")
    env = dict(os.environ)
    env.setdefault("OMP_WAIT_POLICY", "passive")
    samples = [{} for _ in bins]
    devices = [""] * len(bins)
    for _ in range(a.rounds):
        for i, (_, binary) in enumerate(bins):
            extra = a.new_args.split() if i > 0 else []
            res, devices[i] = run_bench(binary, bench_args + extra, env)
            for k, v in res.items():
                samples[i].setdefault(k, []).append(v)

    def reference_twin(k):
        if k in samples[0]:
            return k
        double = k[:5] + ("double",)
        return double if double in samples[0] else None

    keys = sorted({k for s in samples[1:] for k in s if reference_twin(k)})
    if not keys:
        sys.exit("bench_pair: the binaries share no benchmark case")
    ref_label = bins[0][0]
    head = "| N | M | backend | rule | " + " | ".join(f"{lab} CPU us/event" for lab, _ in bins)
    head += " | " + " | ".join(f"{ref_label}/{lab}" for lab, _ in bins[1:]) + " |"
    lines = [head, "|" + "---|" * (4 + len(bins) + len(bins) - 1)]
    for k in keys:
        ref = statistics.median(samples[0][reference_twin(k)])
        times = [ref] + [statistics.median(s[k]) if k in s else float("nan") for s in samples[1:]]
        rule = k[3] + (f" ({k[5]})" if k[5] != "double" else "")
        cells = [f"{t:.1f}" for t in times] + [f"{ref / t:.2f}x" for t in times[1:]]
        lines.append(f"| {k[0]} | {k[1]} | {k[2]} | {rule} | " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    print(table)
    if a.record:
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        with open(a.record, "a") as f:
            f.write(f"\n## {stamp} - {a.title}\n\n")
            f.write(f"Devices: {'; '.join(sorted(set(devices)))}  \n")
            extra = f" (all but the first also `{a.new_args}`)" if a.new_args else ""
            names = ", ".join(f"{lab} = `{path}`" for lab, path in bins)
            f.write(f"`stzkmc bench {' '.join(bench_args)}`{extra}; {names}; alternating, median of {a.rounds} "
                    "rounds, process CPU time per thermal event.\n\n")
            f.write(table + "\n")


if __name__ == "__main__":
    main()
