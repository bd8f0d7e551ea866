#!/usr/bin/python3
"""Reads an stzkmc output file back with h5py and its XDMF sidecar with the standard XML
parser, and checks the layout README.md promises. Prints "ok" and exits 0, or lists the
problems and exits 1.
Usage: io_check_output.py OUT/NAME.h5 [--status finished|interrupted|running] [--events]"""
import argparse
import os
import sys
import tomllib
import xml.etree.ElementTree as ET

import h5py
import numpy as np

CURVE_COLUMNS = ["applied_strain", "strain_11", "strain_22", "strain_12", "stress_11", "stress_22", "stress_12",
                 "p1_mean", "p3_mean", "time", "passes", "thermal_events", "athermal_passes", "athermal_flips",
                 "elastic_steps", "avalanches", "full_solves", "stage"]
FIELDS = ["p1", "p3", "eq_strain", "s11", "s22", "s12", "eta", "generation"]
META = ["format", "format_version", "version", "commit", "backend", "device", "threads", "seed", "start_time",
        "end_time", "wall_time_s", "segments", "status", "stop_reason", "deck_source", "command", "host", "grid_n",
        "voxel_size_nm"]
ANALYSIS = ["finished", "stop_reason", "peak_stress", "peak_strain", "offset_reached", "offset_stress", "offset_strain",
            "localization_reached", "localization_applied_strain", "sli", "extreme_sites", "extreme_fraction",
            "avalanche_count", "avalanche_max_size", "avalanche_mean_size", "avalanche_alpha"]
SNAPSHOT = ["index", "reason", "pass", "applied_strain", "strain", "strain_11", "strain_22", "strain_12", "stress",
            "stress_11", "stress_22", "stress_12", "p1_mean", "p3_mean", "time"]


def check_h5(path, args, problems):
    with h5py.File(path, "r") as f:
        for group in ("meta", "deck", "curve", "fields", "analysis", "avalanches"):
            if group not in f:
                problems.append(f"missing /{group}")
        if problems:
            return 0, 0
        meta = f["meta"].attrs
        problems += [f"/meta lacks {k}" for k in META if k not in meta]
        if args.status and meta["status"] != args.status:
            problems.append(f"/meta status {meta['status']!r}, expected {args.status!r}")
        n = int(meta["grid_n"])

        deck_text = f["deck"].asstr()[()]
        deck = tomllib.loads(deck_text)  # the resolved deck is valid TOML ...
        for key, value in f["deck"].attrs.items():  # ... and agrees with the per-key attributes
            if key == "source":
                continue
            if key == "stages":  # the number of [[stage]] tables
                if int(value) != len(deck.get("stage", [])):
                    problems.append(f"/deck attribute stages = {value} but the TOML text has "
                                    f"{len(deck.get('stage', []))} [[stage]] tables")
                continue
            parts = key.split(".")
            if parts[0] == "stage":  # stage.K.NAME: key NAME of the K-th [[stage]] (1-based)
                toml_value = deck["stage"][int(parts[1]) - 1][parts[2]]
            else:
                section, name = parts
                toml_value = deck[section][name]
            if isinstance(value, np.ndarray):
                ok = np.allclose(value, toml_value, rtol=0, atol=0)
            elif isinstance(toml_value, bool):
                ok = bool(value) == toml_value
            else:
                ok = value == toml_value
            if not ok:
                problems.append(f"/deck attribute {key} = {value!r} but the TOML text says {toml_value!r}")
        if deck["grid"]["n"] != n:
            problems.append("deck grid.n differs from /meta grid_n")

        curve = f["curve"][()]
        if list(curve.dtype.names) != CURVE_COLUMNS:
            problems.append(f"/curve columns {curve.dtype.names}")
        elif len(curve) < 3 or np.any(np.diff(curve["time"]) < 0) or curve["time"][0] != 0:
            problems.append("/curve is too short or time is not increasing from 0")

        snaps = sorted(f["fields"], key=int)
        for s in snaps:
            g = f["fields"][s]
            problems += [f"/fields/{s} lacks attribute {k}" for k in SNAPSHOT if k not in g.attrs]
            for name in FIELDS:
                if name not in g or g[name].shape != (n, n):
                    problems.append(f"/fields/{s}/{name} missing or not {n}x{n}")
            if not problems and not np.allclose(g["eq_strain"][()], np.hypot(g["p1"][()], g["p3"][()])):
                problems.append(f"/fields/{s}/eq_strain is not sqrt(p1^2 + p3^2)")
            if not problems and not np.isclose(g["p1"][()].mean(), g.attrs["p1_mean"], rtol=1e-9, atol=1e-15):
                problems.append(f"/fields/{s}: mean of p1 differs from its p1_mean attribute")
        problems += [f"/analysis lacks {k}" for k in ANALYSIS if k not in f["analysis"].attrs]
        aval = f["avalanches"][()]
        if len(aval) != f["analysis"].attrs["avalanche_count"]:
            problems.append("/avalanches length differs from avalanche_count")
        if args.events:
            ev = f["events"][()] if "events" in f else None
            if ev is None or list(ev.dtype.names) != ["time", "voxel", "mode", "barrier", "branch"]:
                problems.append("/events missing or with other columns")
            elif len(ev) != curve["thermal_events"][-1] + curve["athermal_flips"][-1]:
                problems.append(f"/events has {len(ev)} rows, the curve counts "
                                f"{curve['thermal_events'][-1] + curve['athermal_flips'][-1]} transformations")
        return n, len(snaps)


def check_xdmf(h5_path, n, count, problems):
    xdmf = os.path.splitext(h5_path)[0] + ".xdmf"
    if count == 0:
        return
    root = ET.parse(xdmf).getroot()
    collection = root.find("Domain/Grid")
    if collection is None or collection.get("CollectionType") != "Temporal":
        problems.append("XDMF: no temporal collection")
        return
    grids = collection.findall("Grid")
    if len(grids) != count:
        problems.append(f"XDMF lists {len(grids)} grids, the file has {count} snapshots")
    times = []
    with h5py.File(h5_path, "r") as f:
        for grid in grids:
            times.append(float(grid.find("Time").get("Value")))
            topo = grid.find("Topology")
            if topo.get("TopologyType") != "3DCoRectMesh" or topo.get("Dimensions") != f"2 {n + 1} {n + 1}":
                problems.append(f"XDMF grid {grid.get('Name')}: topology {topo.attrib}")
            names = []
            for attr in grid.findall("Attribute"):
                names.append(attr.get("Name"))
                # The (N, N) dataset itself with the slab's cell shape "1 N N", no Function wrapper
                # (which the Xdmf3 readers ignore).
                item = attr.find("DataItem")
                if item is None or item.get("Format") != "HDF" or item.find("DataItem") is not None:
                    problems.append(f"XDMF attribute {attr.get('Name')}: {None if item is None else item.attrib}")
                    continue
                file_name, dataset = item.text.strip().split(":", 1)
                if attr.get("Center") != "Cell" or file_name != os.path.basename(h5_path):
                    problems.append(f"XDMF attribute {attr.get('Name')}: {attr.attrib} {item.text}")
                elif item.get("Dimensions") != f"1 {n} {n}" or dataset not in f or f[dataset].shape != (n, n):
                    problems.append(f"XDMF references {dataset}, missing or of another shape")
            if names != FIELDS:
                problems.append(f"XDMF grid {grid.get('Name')} attributes {names}")
    if times != sorted(times):
        problems.append(f"XDMF times not increasing: {times}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    parser.add_argument("--status")
    parser.add_argument("--events", action="store_true")
    args = parser.parse_args()
    problems = []
    n, count = check_h5(args.output, args, problems)
    if not problems:
        check_xdmf(args.output, n, count, problems)
    for p in problems:
        print(p)
    print("ok" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
