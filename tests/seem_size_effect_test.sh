#!/usr/bin/env bash
# tools/seem/size_effect.py on the committed datasets: its per-rate numbers against a direct
# computation from the traces (docs/seem.md, "Glass size").
set -euo pipefail
src=${1:?usage: seem_size_effect_test.sh SOURCE_DIR}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 "$src/tools/seem/size_effect.py" --data "$src/data/seem/cuzr_aqs.h5" \
  --data "$src/data/seem/cuzr_aqs_fine.h5" --fit "$src/data/seem/x1_fit.h5" --out "$work" \
  --gamma-max 0.3 --flow-from 0.2 > "$work/log.txt"
for f in size_effect.txt size_effect.json size_effect.png; do
  [[ -s "$work/$f" ]] || { echo "missing $f"; cat "$work/log.txt"; exit 1; }
done
/usr/bin/python3 - "$work/size_effect.json" "$src/data/seem/cuzr_aqs.h5" <<'PY'
import json, sys
import h5py
import numpy as np
res = json.load(open(sys.argv[1]))
rows = {r["rate"]: r for r in res["datasets"][0]["rates"]}
with h5py.File(sys.argv[2], "r") as h:
    for rate in (10.0, 1000.0):
        drops, strain, yields, flows = [], 0.0, [], []
        for g in h["samples"].values():
            if g.attrs["cooling_rate"] != rate:
                continue
            gam, tau = g["gamma"][:], g["tau"][:]
            keep = gam <= 0.3 + 1e-12
            gam, tau = gam[keep], tau[keep]
            d = -np.diff(tau)
            drops += list(d[d > 0])
            strain += gam[-1] - gam[0]
            yields.append(tau.max())
            flows.append(tau[gam >= 0.2].mean())
        r = rows[rate]
        assert r["events"] == len(drops), (rate, r["events"], len(drops))
        assert abs(r["relaxed_per_strain_GPa"] - sum(drops) / strain) < 1e-9 * r["relaxed_per_strain_GPa"]
        assert abs(r["yield_GPa"][0] - np.mean(yields)) < 1e-12 and abs(r["flow_GPa"][0] - np.mean(flows)) < 1e-12
        assert abs(r["mean_drop_times_N"] - np.mean(drops) * 256) < 1e-9 * r["mean_drop_times_N"]
print("size_effect: ok")
PY
set +e
/usr/bin/python3 "$src/tools/seem/size_effect.py" --data "$src/data/seem/cuzr_aqs.h5" --fit "$src/data/seem/x1_fit.h5" \
  --out "$work/bad" --flow-from 0.6 > "$work/msg.txt" 2>&1
rc=$?
set -e
[[ $rc != 0 ]] && grep -q -- "--flow-from 0.6" "$work/msg.txt" || { echo "--flow-from 0.6 accepted (rc $rc)"; cat "$work/msg.txt"; exit 1; }
