#!/usr/bin/python3
"""The layers of the tree and the include graph between them (docs/architecture.md).

Scans every #include "..." of include/, host/ and cuda/, maps each file to its module, and checks
that a module includes only itself and modules of lower layers: no back-edges, no edges between
siblings. Prints the module graph as a Markdown table.

Usage: tools/layers.py [--check-doc docs/architecture.md]
  --check-doc: also fail if the graph between the "layers:begin" and "layers:end" markers of
  that file differs from the tree's (regenerate it with: tools/layers.py --write-doc FILE).
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Module -> (layer, folder prefix of its files, include prefix). Lower layers come first.
MODULES = [
    ("stz", 0, "include/stz/", "stz/"),
    ("core", 1, "host/core/", "core/"),
    ("backends/cpu", 2, "host/backends/cpu/", "backends/cpu/"),
    ("backends/reference", 2, "host/backends/reference/", "backends/reference/"),
    ("cuda", 2, "cuda/", "cuda/"),
    ("backends", 3, "host/backends/", "backends/"),
    ("io", 4, "host/io/", "io/"),
    ("app", 5, "host/app/", "app/"),
    ("seem", 5, "host/seem/", "seem/"),
    ("cli", 6, "host/cli/", "cli/"),
]
LAYER = {name: layer for name, layer, _, _ in MODULES}


def module_of_file(path):
    for name, _, folder, _ in MODULES:  # the most specific folder first: backends/cpu before backends
        if path.startswith(folder):
            return name
    return None


def module_of_include(inc):
    for name, _, _, prefix in MODULES:
        if inc.startswith(prefix):
            return name
    return None


def scan():
    edges, problems = {}, []
    for top in ("include", "host", "cuda"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
            for f in files:
                if not re.search(r"\.(hpp|cpp|cuh|cu)$", f):
                    continue
                path = os.path.relpath(os.path.join(dirpath, f), ROOT)
                src = module_of_file(path)
                for line_no, line in enumerate(open(os.path.join(ROOT, path)), 1):
                    m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                    if not m:
                        continue
                    dst = module_of_include(m.group(1))
                    if dst is None:
                        problems.append(f"{path}:{line_no}: include \"{m.group(1)}\" is not folder-qualified")
                        continue
                    if dst == src:
                        continue
                    edges.setdefault((src, dst), []).append(f"{path}:{line_no}")
                    if LAYER[dst] >= LAYER[src]:
                        kind = "a sibling" if LAYER[dst] == LAYER[src] else "a higher layer"
                        problems.append(f"{path}:{line_no}: {src} includes {m.group(1)} of {kind} ({dst})")
    return edges, problems


def graph_markdown(edges):
    lines = ["| layer | module | includes |", "|---|---|---|"]
    for name, layer, _, _ in MODULES:
        deps = sorted({d for (s, d) in edges if s == name}, key=lambda d: (LAYER[d], d))
        lines.append(f"| {layer} | `{name}` | {', '.join('`' + d + '`' for d in deps) or '—'} |")
    return "\n".join(lines) + "\n"


def main():
    edges, problems = scan()
    table = graph_markdown(edges)
    args = sys.argv[1:]
    if len(args) == 2 and args[0] in ("--check-doc", "--write-doc"):
        doc = args[1]
        text = open(doc).read()
        begin = text.index("\n", text.index("<!-- layers:begin")) + 1
        end = text.index("<!-- layers:end")
        if args[0] == "--write-doc":
            open(doc, "w").write(text[:begin] + table + text[end:])
        elif text[begin:end] != table:
            problems.append(f"{doc}: the layer table differs from the tree; run tools/layers.py --write-doc {doc}")
    print(table, end="")
    for p in problems:
        print("LAYER PROBLEM:", p)
    print(f"layers: {sum(len(v) for v in edges.values())} includes between modules, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
