#!/usr/bin/env python3
"""Side-by-side CPU benchmark of two stzkmc binaries (before/after a change), in one run.

Runs `stzkmc bench` of each binary in alternation (old, new, old, new, ...) for --rounds rounds,
so that both see the same machine state, and prints CPU microseconds per thermal event per case
(median over rounds) with the ratio old/new. Any further arguments go to `stzkmc bench`.

    tools/bench_pair.py --old /tmp/stzkmc_before --new build/host/stzkmc --rounds 3 \
        --record benchmarks/RECORD.md -- --backends cpu --rules reference --threads 1 \
        --sizes 128,256 --events 300 --warmup 50

--new-args adds arguments for the new binary only (e.g. "--precision double,mixed", which an
older binary does not know); a case of the new binary is then compared with the old binary's
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
    ap.add_argument("--old", required=True, help="the binary before the change")
    ap.add_argument("--new", required=True, help="the binary after the change")
    ap.add_argument("--old-label", default="old")
    ap.add_argument("--new-label", default="new")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds (median reported)")
    ap.add_argument("--new-args", default="", help="extra stzkmc bench arguments for the new binary only")
    ap.add_argument("--record", help="append the table to this Markdown file")
    ap.add_argument("--title", default="Side by side", help="heading of the recorded table")
    ap.add_argument("bench_args", nargs=argparse.REMAINDER, help="-- then arguments of stzkmc bench")
    a = ap.parse_args()
    bench_args = a.bench_args[1:] if a.bench_args[:1] == ["--"] else a.bench_args
    if a.rounds < 1:
        sys.exit(f"bench_pair: --rounds = {a.rounds}: must be at least 1")
    for b in (a.old, a.new):
        if not os.access(b, os.X_OK):
            sys.exit(f"bench_pair: {b} is not an executable file")
    env = dict(os.environ)
    env.setdefault("OMP_WAIT_POLICY", "passive")
    samples = {"old": {}, "new": {}}
    devices = {}
    for _ in range(a.rounds):
        for which, binary in (("old", a.old), ("new", a.new)):
            extra = a.new_args.split() if which == "new" else []
            res, devices[which] = run_bench(binary, bench_args + extra, env)
            for k, v in res.items():
                samples[which].setdefault(k, []).append(v)
    def old_twin(k):
        if k in samples["old"]:
            return k
        double = k[:5] + ("double",)
        return double if double in samples["old"] else None

    keys = sorted(k for k in samples["new"] if old_twin(k))
    if not keys:
        sys.exit("bench_pair: the two binaries share no benchmark case")
    lines = [f"| N | M | backend | rule | {a.old_label} CPU us/event | {a.new_label} CPU us/event | {a.old_label}/{a.new_label} |",
             "|---|---|---|---|---|---|---|"]
    for k in keys:
        o = statistics.median(samples["old"][old_twin(k)])
        n = statistics.median(samples["new"][k])
        rule = k[3] + (f" ({k[5]})" if k[5] != "double" else "")
        lines.append(f"| {k[0]} | {k[1]} | {k[2]} | {rule} | {o:.1f} | {n:.1f} | {o / n:.2f}x |")
    table = "\n".join(lines)
    print(table)
    if a.record:
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        with open(a.record, "a") as f:
            f.write(f"\n## {stamp} - {a.title}\n\n")
            f.write(f"Devices: {devices.get('new', '')}  \n")
            extra = f" (new binary also `{a.new_args}`)" if a.new_args else ""
            f.write(f"`stzkmc bench {' '.join(bench_args)}`{extra}, {a.old_label} = `{a.old}`, {a.new_label} = `{a.new}`, "
                    f"alternating, median of {a.rounds} rounds, process CPU time per thermal event.\n\n")
            f.write(table + "\n")


if __name__ == "__main__":
    main()
