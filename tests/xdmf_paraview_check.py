"""ParaView's three XDMF readers on an stzkmc output (ctest xdmf_paraview, run by pvpython).

Usage: pvpython tests/xdmf_paraview_check.py OUT/NAME.xdmf
Each reader (the legacy "XDMF Reader", "Xdmf3ReaderS", "Xdmf3ReaderT") must load every time
step with the N x N x 1 cells of the slab and every field as a cell array whose values equal the
HDF5 dataset the XDMF file points to.
"""
import os
import sys
import xml.etree.ElementTree as ET

import h5py
import numpy as np
from paraview import servermanager as sm
from paraview import simple
from vtkmodules.util.numpy_support import vtk_to_numpy

FIELDS = ["p1", "p3", "eq_strain", "s11", "s22", "s12", "eta", "generation"]


def main(path):
    root = ET.parse(path).getroot()
    grids = root.findall("Domain/Grid/Grid")
    times = [float(g.find("Time").get("Value")) for g in grids]
    h5_path = os.path.join(os.path.dirname(path), grids[0].find("Attribute/DataItem").text.split(":")[0])
    problems = []
    with h5py.File(h5_path, "r") as f:
        n = int(f["meta"].attrs["grid_n"])
        for name, make in [
            ("XDMF Reader (legacy)", lambda: simple.XDMFReader(FileNames=[path])),
            ("Xdmf3ReaderS", lambda: simple.Xdmf3ReaderS(FileName=[path])),
            ("Xdmf3ReaderT", lambda: simple.Xdmf3ReaderT(FileName=[path])),
        ]:
            reader = make()
            reader.UpdatePipelineInformation()
            steps = list(reader.TimestepValues)
            if len(steps) != len(times) or any(abs(a - b) > 1e-12 * max(1.0, abs(b)) for a, b in zip(steps, times)):
                problems.append(f"{name}: time steps {steps}, the file lists {times}")
            for grid, t in zip(grids, times):
                reader.UpdatePipeline(t)
                data = sm.Fetch(reader)
                if data.IsA("vtkMultiBlockDataSet"):
                    data = data.GetBlock(0)
                if data.GetNumberOfCells() != n * n:
                    problems.append(f"{name} at {t}: {data.GetNumberOfCells()} cells, expected {n * n}")
                    continue
                cells = data.GetCellData()
                names = [cells.GetArrayName(i) for i in range(cells.GetNumberOfArrays())]
                if names != FIELDS:
                    problems.append(f"{name} at {t}: cell arrays {names}")
                    continue
                for attr in grid.findall("Attribute"):
                    dataset = attr.find("DataItem").text.strip().split(":", 1)[1]
                    got = vtk_to_numpy(cells.GetArray(attr.get("Name"))).reshape(n, n)
                    if not np.array_equal(got, f[dataset][...]):
                        problems.append(f"{name} at {t}: {attr.get('Name')} differs from {dataset}")
            simple.Delete(reader)
            print(f"{name}: {len(steps)} time steps, {n}x{n} cells, arrays checked against {h5_path}")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
