"""Shading profiles and hourly production: time of each step on the LiDAR sample.

(a) irradiance of the sample (the six tiles of ``samples/lidar`` at 0.5 m, the shipped TMY, 64
directions, Perez) with and without ``horizons=True``; (b) profile extraction of its faces;
(c) ``face_production`` for 1,000 faces x 8,760 rows (the sample's faces repeated); and the size
of the profile file per face.

Run from the repository root: ``python benchmarks/bench_profile.py``. Each step is timed after a
warm-up call (Numba compiled). ``python benchmarks/bench_profile.py codes``: time and traced peak memory
of ``irradiance(cells=...)`` with and without ``horizons=True`` on a synthetic 1200 x 1200 grid (400 roofs,
11 % of the cells listed, 64 directions, one clear-sky hour a week).
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
    print(f"profile file: {size} bytes, {size / len(table):.0f} bytes per face, {size / ok.sum():.0f} per face with usable "
          f"cells (64 directions, {p.levels + 1} knots at most)")


def codes() -> None:
    """Listed-cell mode: the cost of the horizon codes in time and traced peak memory (numpy arrays)."""
    import sys
    import tracemalloc

    sys.path.insert(0, str(ROOT / "tests"))
    from helpers import dsm_array

    from cadastre.solar.weather import Weather, clearsky_weather

    rng = np.random.default_rng(0)
    n = 1200
    z = np.full((n, n), 50.0)
    need = np.zeros((n, n), bool)
    for _ in range(400):
        r, c = rng.integers(0, n - 20, 2)
        z[r:r + 20, c:c + 20] = 50 + rng.uniform(8, 20)
        need[r + 1:r + 19, c + 1:c + 19] = True
    dsm = dsm_array(z, 1.0)
    w = clearsky_weather(50.43, 2.83, 54.0)
    pick = slice(None, None, 24 * 7 + 1)
    w = Weather(data=w.data.iloc[pick], sun_times=w.sun_times[pick], interval_hours=1.0, source="weekly",
                kind="clearsky", time_label=w.time_label, metadata={})
    kw = dict(n_directions=64, max_distance=100, cells=need)
    for horizons in (False, True):
        t, _ = best(lambda h=horizons: irradiance(dsm, w, horizons=h, **kw))
        tracemalloc.start()
        irradiance(dsm, w, horizons=horizons, **kw)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"horizons={horizons}: {t:.2f} s, traced peak {peak / 2**20:.0f} MiB "
              f"({need.sum()} listed cells, grid {n} x {n}), load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    import sys

    codes() if sys.argv[1:] == ["codes"] else main()
