"""Shading profiles and hourly production: time of each step on the LiDAR sample.

(a) irradiance of the sample (the six tiles of ``samples/lidar`` at 0.5 m, the shipped TMY, 64
directions, Perez) with and without ``horizons=True``; (b) profile extraction of its faces;
(c) ``face_production`` for 1,000 faces x 8,760 rows (the sample's faces repeated); and the size
of the profile file per face.

Run from the repository root: ``python benchmarks/bench_profile.py``. Each step is timed after a
warm-up call (Numba compiled).
"""

from __future__ import annotations

import dataclasses
import glob
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import ndimage

from cadastre.roofs.faces import faces, roof_cells
from cadastre.roofs.profiles import FaceProfiles, face_profiles, write_profiles
from cadastre.solar.hourly import face_production
from cadastre.solar.irradiance import irradiance
from cadastre.solar.weather import load_weather
from rasters.lidar import prepare

ROOT = Path(__file__).resolve().parents[1]


def best(fn, repeat=2):
    """Smallest wall time of ``repeat`` calls after one warm-up [s], and the last result."""
    out = fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    surface, _ = prepare(sorted(glob.glob(str(ROOT / "samples" / "lidar" / "*.laz"))), resolution=0.5)
    tmy = load_weather(None)
    dsm = surface["dsm"]
    kw = dict(n_directions=64, sky="perez", max_distance=200)
    t_plain, _ = best(lambda: irradiance(dsm, tmy, **kw))
    t_codes, ds = best(lambda: irradiance(dsm, tmy, horizons=True, **kw))
    building, _ = ndimage.label(surface["buildings"].values == 1)
    roof = roof_cells(building, ds["global"].values, ndsm=surface["ndsm"].values)
    labels, table, usable = faces(ds, roof, with_usable=True)
    t_prof, p = best(lambda: face_profiles(ds, labels, usable, table))
    ok = p.cells > 0
    reps = int(np.ceil(1000 / ok.sum()))
    pick = np.concatenate([r * len(p) + np.flatnonzero(ok) for r in range(reps)])[:1000]
    site = tuple(float(ds.attrs[k]) for k in ("latitude", "longitude", "altitude"))
    many = FaceProfiles.concat([dataclasses.replace(p, faces=np.array([f"{r}-{f}" for f in p.faces], object))
                                for r in range(reps)])
    many = many.select(many.faces[pick])
    t_prod, _ = best(lambda: face_production(tmy, site, many, sky="perez"), repeat=1)
    with tempfile.TemporaryDirectory() as folder:
        path = write_profiles(Path(folder) / "p.parquet", p)
        size = os.path.getsize(path)
    print(f"grid {dsm.shape[0]} x {dsm.shape[1]} cells, {len(table)} faces ({ok.sum()} with usable cells), "
          f"{len(tmy.data)} weather rows, {os.cpu_count()} cores")
    print(f"(a) irradiance: {t_plain:.2f} s; with horizons=True: {t_codes:.2f} s "
          f"(+{100 * (t_codes / t_plain - 1):.0f} %), codes {ds['horizon'].nbytes / 2**20:.1f} MiB")
    print(f"(b) profiles of {len(table)} faces: {t_prof * 1000:.1f} ms")
    print(f"(c) face_production, 1,000 faces x {len(tmy.data)} rows: {t_prod:.2f} s")
    print(f"profile file: {size} bytes, {size / len(table):.0f} bytes per face (64 directions, K = 16)")


if __name__ == "__main__":
    main()
