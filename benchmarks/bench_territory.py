"""Territory batch: seconds per tile and peak memory per worker, and a scaling run.

Usage (from the repository root):

    python benchmarks/bench_territory.py --lidar ../shared/data/lidar/ign_decimated_tiles
    python benchmarks/bench_territory.py --synthetic 1 4 16 --tile 250

``--lidar``: every LAS/LAZ file of the folder as 1 km tiles (halo 200 m, 0.5 m, 64 directions),
in this process (``--scheduler synchronous``), so the figures are per worker. ``--synthetic N``:
a synthetic DSM of N tiles of ``--tile`` metres (gabled houses on a plain), to show time linear
in the tiles and memory flat. Results go to stdout as a table; copy them into RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
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


def _cadastre(config: Path, out: Path) -> dict:
    exe = Path(sys.executable).with_name("cadastre")
    started = time.perf_counter()
    subprocess.run([str(exe), "run", str(config), "-o", str(out), "--scheduler", "synchronous", "-q"], check=True)
    wall = time.perf_counter() - started
    summary = json.loads((out / "run.json").read_text())
    return {"wall_s": wall, "tiles": summary["tiles"], "peak_rss_mib": summary["peak_rss_mib"],
            "task_s": summary["task_seconds"], "buildings": summary["buildings"]}


def synthetic_dsm(path: Path, tiles_side: int, tile: float, res: float = 0.5) -> None:
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lidar", type=Path)
    ap.add_argument("--synthetic", type=int, nargs="*", default=[])
    ap.add_argument("--tile", type=float, default=1000.0)
    ap.add_argument("--directions", type=int, default=64)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.lidar:
            cfg = tmp / "lidar.toml"
            cfg.write_text(f'[inputs]\nlidar = ["{args.lidar.resolve()}"]\n[tiles]\nsize = 1000\nhalo = 200\n'
                           f'[irradiance]\ndirections = {args.directions}\n')
            rows.append(("lidar " + args.lidar.name, _cadastre(cfg, tmp / "lidar-run")))
        for n in args.synthetic:
            side = int(round(np.sqrt(n)))
            dsm = tmp / f"dsm{n}.tif"
            synthetic_dsm(dsm, side, args.tile)
            footprints = f'footprints = "{dsm.with_suffix(".gpkg")}"\n'
            cfg = tmp / f"syn{n}.toml"
            cfg.write_text(f'[inputs]\ndsm = ["{dsm}"]\n{footprints}[tiles]\nsize = {args.tile}\nhalo = 200\n'
                           f'rasters = ["global"]\n[irradiance]\ndirections = {args.directions}\n')
            rows.append((f"synthetic {side * side} x {args.tile:g} m", _cadastre(cfg, tmp / f"syn{n}-run")))
    print(f"{'run':<40} {'tiles':>5} {'wall s':>8} {'s/tile':>8} {'peak MiB':>9}")
    for name, r in rows:
        print(f"{name:<40} {r['tiles']:>5} {r['wall_s']:>8.1f} {r['wall_s'] / r['tiles']:>8.1f} {r['peak_rss_mib']:>9.0f}")


if __name__ == "__main__":
    main()
