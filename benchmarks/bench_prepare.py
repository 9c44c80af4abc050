"""LiDAR tiles to rasters (`cadastre prepare`): points/s and peak RSS.

    python benchmarks/bench_prepare.py [--data ../shared/data/lidar] [--synthetic-points 15000000]

Inputs: the two full 1 km IGN tiles of ``ign_decimated_tiles/`` (sparse), the
two dense roofs of ``ign_dsm_markers/``, the six sample tiles of
``samples/lidar/`` together, and a seeded synthetic 1 km x 1 km LAZ tile of
``--synthetic-points`` points (≈ a real LiDAR HD tile) generated once into a
temporary folder. Each is run as a fresh ``cadastre prepare`` process (numba
cache warm) for wall time and peak RSS.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import laspy
import numpy as np
import pyproj

ROOT = Path(__file__).resolve().parents[1]


RUNNER = (
    "import resource, sys; from cli.main import app\n"
    "try:\n    app(sys.argv[1:])\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
)


def run_prepare(tiles: list[Path], out: Path) -> tuple[float, float]:
    """Wall time [s] and peak RSS [GiB] of one ``cadastre prepare`` process (its own maximum)."""
    cmd = [sys.executable, "-c", RUNNER, "prepare", *map(str, tiles), "-o", str(out), "--quiet", "--overwrite"]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    return wall, int(done.stdout.strip().splitlines()[-1]) / 2**20


def synthetic_tile(path: Path, points: int, seed: int = 0) -> None:
    """A 1 km x 1 km LAZ (point format 6, EPSG:2154): ground, box roofs, trees, a little noise."""
    rng = np.random.default_rng(seed)
    header = laspy.LasHeader(point_format=6, version="1.4")
    header.offsets = [700000.0, 7030000.0, 0.0]
    header.scales = [0.01, 0.01, 0.01]
    header.add_crs(pyproj.CRS("EPSG:2154"))
    boxes = rng.uniform(0, 1000, (1500, 2))
    sizes = rng.uniform(8, 30, (1500, 2))
    heights = rng.uniform(4, 15, 1500)
    with laspy.open(path, mode="w", header=header) as writer:
        chunk = 2_000_000
        for start in range(0, points, chunk):
            n = min(chunk, points - start)
            x = rng.uniform(0, 1000, n)
            y = rng.uniform(0, 1000, n)
            ground = 40 + 5 * np.sin(x / 200) * np.cos(y / 170)
            z = ground.copy()
            cls = np.full(n, 2, np.uint8)
            k = rng.integers(0, len(boxes), n)
            inside = (np.abs(x - boxes[k, 0]) < sizes[k, 0] / 2) & (np.abs(y - boxes[k, 1]) < sizes[k, 1] / 2)
            z[inside] += heights[k[inside]]
            cls[inside] = 6
            trees = ~inside & (rng.random(n) < 0.25)
            z[trees] += rng.uniform(2, 15, trees.sum())
            cls[trees] = 5
            noise = rng.random(n) < 0.001
            z[noise] += rng.uniform(-20, 80, noise.sum())
            cls[noise] = 7
            rec = laspy.ScaleAwarePointRecord.zeros(n, header=header)
            rec.x, rec.y, rec.z = x + 700000.0, y + 7030000.0, z
            rec.classification = cls
            writer.write_points(rec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "lidar")
    parser.add_argument("--synthetic-points", type=int, default=15_000_000)
    args = parser.parse_args()
    sets = {"samples/lidar (6 tiles)": sorted((ROOT / "samples" / "lidar").glob("*.laz"))}
    if args.data.is_dir():
        for name in ("ign_decimated_tiles", "ign_dsm_markers"):
            for f in sorted((args.data / name).glob("*.laz")):
                sets[f"{name}/{f.name}"] = [f]
    else:
        print(f"{args.data}: not found; only the shipped samples and the synthetic tile are measured")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, laspy {laspy.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        synth = tmp / "synthetic_1km.laz"
        t0 = time.perf_counter()
        synthetic_tile(synth, args.synthetic_points)
        print(f"(synthetic tile of {args.synthetic_points:,} points written in {time.perf_counter() - t0:.0f} s)")
        sets[f"synthetic 1 km tile ({args.synthetic_points / 1e6:.0f} M points)"] = [synth]
        run_prepare(sets["samples/lidar (6 tiles)"], tmp / "warm")
        print(f"{'input':58s} {'points':>11s} {'pts/m²':>7s} {'wall s':>7s} {'Mpts/s':>7s} {'RSS GiB':>8s}")
        for name, tiles in sets.items():
            points = 0
            area = 0.0
            for t in tiles:
                with laspy.open(t) as r:
                    points += r.header.point_count
                    area += (r.header.maxs[0] - r.header.mins[0]) * (r.header.maxs[1] - r.header.mins[1])
            wall, rss = run_prepare(tiles, tmp / "out")
            name = name if len(name) <= 58 else "…" + name[-57:]
            print(f"{name:58s} {points:11,d} {points / area:7.1f} {wall:7.1f} {points / wall / 1e6:7.2f} {rss:8.2f}")


if __name__ == "__main__":
    main()
