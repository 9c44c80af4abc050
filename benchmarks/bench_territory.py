"""Territory batch: seconds per tile and peak memory per worker, and a scaling run.

Usage (from the repository root):

    python benchmarks/bench_territory.py --lidar ../shared/data/lidar/ign_decimated_tiles
    python benchmarks/bench_territory.py --laz 4 16 --built 0.25 0.05 0.02
    python benchmarks/bench_territory.py --synthetic 1 4 16

``--lidar DIR``: every LAS/LAZ file of the folder as 1 km tiles. ``--laz N [N ...]``: runs of N synthetic
1 km LiDAR tiles (a square block of them, 15 points/m² or ``--density``, the seeded town of
``bench_prepare.synthetic_tile``) for each building cover of ``--built`` (fraction of the area under
buildings: 0.25 a dense town centre, 0.05 the PMA's assumed average, 0.02 farmland with a hamlet);
generated once into ``--cache``. With two sizes or more, the *marginal* wall time per tile (the
slope between the two largest runs) leaves out what a run pays once: the cluster's start-up and
each worker's first imports and compiled-code loading; the PMA extrapolation is then the largest
run's wall time plus the marginal time for each of the remaining tiles.
``--synthetic N``: a synthetic DSM of N tiles of ``--tile`` metres (gabled houses on a plain, 18 %
built) without LiDAR preparation, to show time linear in the tiles and memory flat.

Every run uses the run defaults (halo 200 m, 0.5 m, 64 directions, far field 5 km on 5 m cells,
irradiance on the roofs) on the default local Dask cluster (one worker per core), or in this
process with ``--synchronous``. Per run: wall time, seconds per tile, the single-core seconds of
each stage per tile (from the tiles' manifest entries) and the peak memory of a worker. Results go
to stdout as a table; copy them into RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from affine import Affine

HERE = Path(__file__).resolve().parent
PMA_TILES = 1128


def _cadastre(config: Path, out: Path, synchronous: bool) -> dict:
    exe = Path(sys.executable).with_name("cadastre")
    command = [str(exe), "run", str(config), "-o", str(out), "-q"]
    if synchronous:
        command += ["--scheduler", "synchronous"]
    started = time.perf_counter()
    subprocess.run(command, check=True)
    wall = time.perf_counter() - started
    summary = json.loads((out / "run.json").read_text())
    stages: dict[str, list[float]] = {}
    for entry in json.loads((out / "manifest.json").read_text())["entries"]:
        stages.setdefault(entry["stage"], []).append(entry.get("seconds", 0.0))
    return {"wall_s": wall, "tiles": summary["tiles"], "peak_rss_mib": summary["peak_rss_mib"],
            "buildings": summary["buildings"], "stage_s": {k: float(np.mean(v)) for k, v in stages.items()}}


def synthetic_dsm(path: Path, tiles_side: int, tile: float, res: float = 0.5) -> None:
    """Gabled houses (8-20 m) on a flat plain every 30 m, about 18 % of the area built; footprints beside."""
    n = int(round(tiles_side * tile / res))
    rng = np.random.default_rng(0)
    z = np.full((n, n), 40.0, dtype=np.float32)
    step = int(30 / res)
    boxes = []
    for r in range(5, n - step, step):
        for c in range(5, n - step, step):
            h, w = int(rng.integers(16, 30)), int(rng.integers(16, 40))
            rows = np.arange(h)
            z[r:r + h, c:c + w] = (46 + np.minimum(rows + 0.5, h - rows - 0.5) * res * 0.7)[:, None]
            boxes.append(shapely.box(650000 + c * res, 7030000 - (r + h) * res, 650000 + (c + w) * res,
                                     7030000 - r * res))
    profile = dict(driver="GTiff", width=n, height=n, count=1, dtype="float32", crs="EPSG:2154", nodata=-9999.0,
                   transform=Affine(res, 0, 650000.0, 0, -res, 7030000.0), tiled=True, compress="deflate")
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(z, 1)
    gpd.GeoDataFrame(geometry=boxes, crs="EPSG:2154").to_file(path.with_suffix(".gpkg"))


def synthetic_laz(cache: Path, count: int, built: float, density: float = 15.0) -> Path:
    """A folder of ``count`` adjacent synthetic 1 km LAZ tiles of ``density`` points/m² (generated once)."""
    sys.path.insert(0, str(HERE))
    from bench_prepare import synthetic_tile

    side = int(round(np.sqrt(count)))
    folder = cache / (f"laz_{side}x{side}_built{built:g}" + ("" if density == 15.0 else f"_d{density:g}"))
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(side):
        for j in range(side):
            path = folder / f"synthetic_{700 + j}_{6601 + i}.laz"
            if not path.exists():
                synthetic_tile(path, int(round(density * 1e6)), seed=100 * i + j, x0=700_000.0 + 1000 * j,
                               y0=6_600_000.0 + 1000 * i, built=built)
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lidar", type=Path)
    ap.add_argument("--laz", type=int, nargs="*", default=[],
                    help="sizes of the synthetic LiDAR runs, in tiles (square numbers), per building cover")
    ap.add_argument("--built", type=float, nargs="*", default=[0.25])
    ap.add_argument("--density", type=float, default=15.0,
                    help="points per m² of the synthetic LiDAR (IGN LiDAR HD: about 10 pulses/m², 20-40 points/m²)")
    ap.add_argument("--synthetic", type=int, nargs="*", default=[])
    ap.add_argument("--tile", type=float, default=1000.0)
    ap.add_argument("--directions", type=int, default=64)
    ap.add_argument("--synchronous", action="store_true", help="run in this process (Numba on all cores)")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "pma-cadastre-bench")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        lidar_runs = [("lidar " + args.lidar.name, args.lidar.resolve(), "real")] if args.lidar else []
        dens = "" if args.density == 15.0 else f", {args.density:g} pts/m²"
        lidar_runs += [(f"synthetic LiDAR, {b:.0%} built{dens}", synthetic_laz(args.cache, n, b, args.density),
                        f"built {b}") for b in args.built for n in args.laz]
        for k, (name, folder, group) in enumerate(lidar_runs):
            cfg = tmp / f"lidar{k}.toml"
            cfg.write_text(f'[inputs]\nlidar = ["{folder}"]\n[tiles]\nsize = 1000\nhalo = 200\n'
                           f'[irradiance]\ndirections = {args.directions}\n')
            rows.append((name, _cadastre(cfg, tmp / f"lidar{k}-run", args.synchronous), group))
        for n in args.synthetic:
            side = int(round(np.sqrt(n)))
            dsm = tmp / f"dsm{n}.tif"
            synthetic_dsm(dsm, side, args.tile)
            cfg = tmp / f"syn{n}.toml"
            cfg.write_text(f'[inputs]\ndsm = ["{dsm}"]\nfootprints = "{dsm.with_suffix(".gpkg")}"\n[tiles]\n'
                           f'size = {args.tile}\nhalo = 200\n[irradiance]\ndirections = {args.directions}\n')
            rows.append((f"synthetic DSM, {side * side} x {args.tile:g} m", _cadastre(cfg, tmp / f"syn{n}-run",
                                                                                     args.synchronous), "dsm"))
    workers = 1 if args.synchronous else os.cpu_count()
    print(f"{workers} worker(s), {os.cpu_count()} cores")
    print(f"{'run':<34} {'tiles':>5} {'bldgs':>6} {'wall s':>7} {'s/tile':>7} {'marg.':>6} {'prepare':>8} "
          f"{'coarse':>7} {'tile':>6} {'peak MiB':>9} {'PMA h':>6}")
    for name, r, group in rows:
        s = r["stage_s"]
        per = r["wall_s"] / r["tiles"]
        smaller = [q for _n, q, g in rows if g == group and q["tiles"] < r["tiles"]]
        pma = PMA_TILES * per
        marginal = "—"
        if smaller:  # slope from the next smaller run of the same kind
            q = max(smaller, key=lambda x: x["tiles"])
            slope = (r["wall_s"] - q["wall_s"]) / (r["tiles"] - q["tiles"])
            pma = r["wall_s"] + (PMA_TILES - r["tiles"]) * slope
            marginal = f"{slope:.1f}"
        print(f"{name:<34} {r['tiles']:>5} {r['buildings']:>6} {r['wall_s']:>7.1f} {per:>7.1f} {marginal:>6} "
              f"{s.get('prepare', 0):>8.1f} {s.get('coarse', 0):>7.1f} {s.get('tile', 0):>6.1f} "
              f"{r['peak_rss_mib']:>9.0f} {pma / 3600:>6.1f}")


if __name__ == "__main__":
    main()
