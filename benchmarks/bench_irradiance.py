"""Whole ``cadastre irradiance`` on one LiDAR tile: 2000 x 2000 cells at 0.5 m, 64 directions, 8,760 rows.

    python benchmarks/bench_irradiance.py [--size 2000] [--directions 64] [--sky isotropic perez]

For each sky model: wall time and peak RSS of the real command in a fresh
process (numba's on-disk cache warmed first), then, in this process, where
the time goes (sun tables, normals + horizon sweeps + accumulation, writing).
Baseline measured in the same run: pvlib's ``get_total_irradiance`` called
once per cell over the same 8,760 rows (no shading at all), timed on 200
cells and scaled to the tile.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pvlib
import rasterio
from rasterio.transform import from_origin

from common import synthetic_town


from cadastre.solar.irradiance import _compute, site_of
from cadastre.solar.sky import build_sun_tables, solar_position
from cadastre.solar.weather import load_weather
from rasters.io import read_dsm

ROOT = Path(__file__).resolve().parents[1]


def write_dsm(path: Path, size: int) -> None:
    z = synthetic_town(size).astype("float32")
    profile = dict(driver="GTiff", width=size, height=size, count=1, dtype="float32", crs="EPSG:2154",
                   transform=from_origin(687000.0, 7036000.0, 0.5, 0.5), nodata=-9999.0, tiled=True,
                   compress="deflate")
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(z, 1)


def cli_run(dsm: Path, out: Path, directions: int, sky: str) -> tuple[float, float]:
    """Wall time [s] and peak RSS [GiB] of one ``cadastre irradiance`` process."""
    cmd = [sys.executable, "-m", "cli.main", "irradiance", str(dsm), "-o", str(out), "--directions", str(directions),
           "--sky", sky, "--overwrite", "--quiet"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 2**20


def phases(dsm: Path, directions: int, sky: str) -> dict:
    surface = read_dsm(dsm)
    lat, lon, alt = site_of(surface)
    weather = load_weather(None)
    t0 = time.perf_counter()
    tables = build_sun_tables(weather, lat, lon, alt, n_directions=directions, sky=sky)
    t_tables = time.perf_counter() - t0
    t0 = time.perf_counter()
    _compute(surface.values, 0.5, tables, max_distance=1000.0, albedo=0.2)
    t_kernels = time.perf_counter() - t0
    return {"tables": t_tables, "kernels": t_kernels}


def pvlib_point_loop(cells: int = 200) -> float:
    """Seconds per cell for pvlib get_total_irradiance over the TMY (unshaded plane)."""
    weather = load_weather(None)
    pos = solar_position(weather, 50.43, 2.83, 50.0)
    d = weather.data
    dni_extra = pvlib.irradiance.get_extra_radiation(weather.sun_times)
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    for _ in range(cells):
        pvlib.irradiance.get_total_irradiance(
            rng.uniform(0, 60), rng.uniform(0, 360), pos["apparent_zenith"], pos["azimuth"], d["dni"], d["ghi"],
            d["dhi"], dni_extra=dni_extra, model="isotropic").sum()
    return (time.perf_counter() - t0) / cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--directions", type=int, default=64)
    parser.add_argument("--sky", nargs="+", default=["isotropic", "perez"])
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; DSM {args.size} x {args.size} at 0.5 m, "
          f"{args.directions} directions, default TMY (8,760 rows)")
    with tempfile.TemporaryDirectory() as tmp:
        dsm = Path(tmp) / "dsm.tif"
        write_dsm(dsm, args.size)
        cli_run(dsm, Path(tmp) / "warm.tif", 8, "perez")  # fills numba's cache
        for sky in args.sky:
            wall, rss = cli_run(dsm, Path(tmp) / f"{sky}.tif", args.directions, sky)
            p = phases(dsm, args.directions, sky)
            print(f"{sky:9s}: cadastre irradiance {wall:6.1f} s wall, peak RSS {rss:5.2f} GiB "
                  f"(sun tables {p['tables']:.1f} s, kernels {p['kernels']:.1f} s, rest: start-up, read, write)")
    per_cell = pvlib_point_loop()
    cells = args.size**2
    print(f"baseline : pvlib get_total_irradiance point loop {per_cell * 1e3:.1f} ms/cell -> "
          f"{per_cell * cells / 3600:.1f} h for the tile, unshaded")


if __name__ == "__main__":
    main()
