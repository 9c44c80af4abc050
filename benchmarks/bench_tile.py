"""The irradiance of one run tile's roofs, as ``cadastre run`` computes it: one window, single core.

    NUMBA_NUM_THREADS=1 python benchmarks/bench_tile.py [--size 2800] [--built 0.05] [--repeat 3]
    NUMBA_NUM_THREADS=1 python benchmarks/bench_tile.py --code OTHER_CHECKOUT   # the same, another version

A window of ``--size`` cells at 0.5 m (a 1 km core and its 200 m halo: 2,800²) of the seeded
synthetic town of :func:`common.synthetic_town`, its buildings thinned to about ``--built`` of the
area; the wanted cells are the roof cells of the core; the run's defaults otherwise (64
directions, Perez, 200 m near reach, far field to 5 km on 5 m cells, the Lens TMY). Reports the
best of ``--repeat`` calls of :func:`cadastre.solar.irradiance` (compiled kernels warm) and, with
``--code``, runs the very same measurement on another checkout of the engine (e.g. a worktree of
an earlier commit) in a subprocess, so that both figures come from one run on one machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _scene(size: int, built: float, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    sys.path.insert(0, str(HERE))
    from common import synthetic_town

    z = synthetic_town(size, 0.5, seed)
    rng = np.random.default_rng(seed)
    # buildings: cells well above a smooth ground estimate; thin them out by 25 m blocks to ~``built``
    from scipy.ndimage import minimum_filter, uniform_filter

    ground = uniform_filter(minimum_filter(z, 41), 41)
    roofs = z - ground > 2.5
    blocks = rng.random((size // 50 + 1, size // 50 + 1))
    share = roofs.mean()
    keep = np.kron(blocks < built / max(share, 1e-9), np.ones((50, 50), bool))[:size, :size]
    z = np.where(roofs & ~keep, ground, z)
    roofs &= keep
    halo = (size - 2000) // 2
    core = np.zeros_like(roofs)
    core[halo:size - halo, halo:size - halo] = True
    return z, roofs & core


def measure(size: int, built: float, repeat: int) -> dict:
    from rasterio.transform import from_origin

    from cadastre import irradiance
    from cadastre.solar.weather import load_weather
    from cadastre.solar.farfield import FarField
    from rasters.coarse import coarse_surface
    from rasters.io import to_dataarray

    z, cells = _scene(size, built)
    dsm = to_dataarray(z, "EPSG:2154", from_origin(687000.0, 7036000.0, 0.5, 0.5), name="dsm", units="m")
    weather = load_weather(None, latitude=50.43, longitude=2.83, altitude=40.0)
    far = FarField(coarse_surface(dsm, 5.0), 5000.0)
    times = []
    out = None
    for _ in range(repeat + 1):  # the first call loads the compiled kernels
        started = time.perf_counter()
        out = irradiance(dsm, weather, n_directions=64, max_distance=200.0, sky="perez", far_field=far, cells=cells)
        times.append(time.perf_counter() - started)
    g = out["global"].values[cells]
    return {"seconds": min(times[1:]), "cells": int(cells.sum()), "built": float(cells.mean()),
            "mean_global": float(np.nanmean(g))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=2800)
    ap.add_argument("--built", type=float, default=0.05)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--code", type=Path, help="another checkout of the engine to measure the same way")
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    result = measure(args.size, args.built, args.repeat)
    if args.json:
        print(json.dumps(result))
        return
    rows = [("this checkout", result)]
    if args.code is not None:
        env = dict(os.environ, PYTHONPATH=str(args.code.resolve()))
        done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--size", str(args.size), "--built",
                               str(args.built), "--repeat", str(args.repeat), "--json"],
                              env=env, cwd=args.code, check=True, capture_output=True, text=True)
        rows.append((str(args.code), json.loads(done.stdout.strip().splitlines()[-1])))
    threads = os.environ.get("NUMBA_NUM_THREADS", "all")
    print(f"window {args.size}² cells of 0.5 m, {rows[0][1]['cells']:,} roof cells of the core "
          f"({rows[0][1]['built']:.1%} of the window), 64 directions, Perez, far field; Numba threads: {threads}")
    for name, r in rows:
        print(f"{name}: {r['seconds']:.2f} s (best of {args.repeat}), mean global on the roofs "
              f"{r['mean_global']:.1f} kWh/m²")
    if len(rows) == 2:
        print(f"ratio: {rows[0][1]['seconds'] / rows[1][1]['seconds']:.3f}")


if __name__ == "__main__":
    main()
