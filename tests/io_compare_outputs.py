#!/usr/bin/python3
"""Bitwise comparison of two stzkmc output files: /curve, every /fields snapshot (data and
attributes), /avalanches, /events and /analysis. Prints the first differences and exits 1 if
any; /meta (times, segments, command) is expected to differ and is not compared.
Usage: io_compare_outputs.py A.h5 B.h5"""
import sys

import h5py
import numpy as np


def same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def main(a_path, b_path):
    problems = []
    with h5py.File(a_path, "r") as a, h5py.File(b_path, "r") as b:
        for name in ("curve", "avalanches", "events"):
            if (name in a) != (name in b):
                problems.append(f"/{name} present in only one file")
            elif name in a and not same(a[name][()], b[name][()]):
                problems.append(f"/{name} differs ({a[name].shape} vs {b[name].shape} rows)")
        fa, fb = sorted(a.get("fields", {})), sorted(b.get("fields", {}))
        if fa != fb:
            problems.append(f"snapshots differ: {fa} vs {fb}")
        for snap in set(fa) & set(fb):
            ga, gb = a["fields"][snap], b["fields"][snap]
            for key in ga.attrs:
                if not same(ga.attrs[key], gb.attrs.get(key)):
                    problems.append(f"/fields/{snap} attribute {key}: {ga.attrs[key]} vs {gb.attrs.get(key)}")
            for field in ga:
                if not same(ga[field][()], gb[field][()]):
                    problems.append(f"/fields/{snap}/{field} differs")
        for key in a["analysis"].attrs:
            if not same(a["analysis"].attrs[key], b["analysis"].attrs.get(key)):
                problems.append(f"/analysis attribute {key}: {a['analysis'].attrs[key]} vs {b['analysis'].attrs.get(key)}")
    for p in problems[:20]:
        print(p)
    print("identical" if not problems else f"{len(problems)} difference(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
