"""The commune report's roof map: seconds per map with and without geopandas' idle draws.

Usage (from the repository root, after ``make demo``)::

    python benchmarks/bench_report_map.py demo-output/buildings [--repeat 5]

Each geopandas ``plot`` call ends with ``canvas.draw_idle()``, a full render of the figure so far; the
report suppresses them (:func:`cadastre.report.charts._no_idle_draws`) and renders once when saving.
The baseline is the same map with the idle draws left on, in the same run; the two PNGs are compared
byte for byte.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import time
from pathlib import Path

import geopandas as gpd

from cadastre.report import charts


def _time(repeat: int, roofs, boundary) -> tuple[float, str]:
    charts.roof_map(roofs, boundary)  # warm-up: fonts, caches
    start = time.perf_counter()
    for _ in range(repeat):
        png = charts.roof_map(roofs, boundary)
    return (time.perf_counter() - start) / repeat, hashlib.sha256(png).hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path, help="a cadastre buildings folder (roofs.gpkg)")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    roofs = gpd.read_file(args.folder / "roofs.gpkg", layer="roofs")
    x0, y0, x1, y1 = roofs.total_bounds
    boundary = gpd.GeoDataFrame(geometry=gpd.GeoSeries.from_xy([x0], [y0], crs=roofs.crs).buffer(
        2 * max(x1 - x0, y1 - y0)), crs=roofs.crs)
    after, h_after = _time(args.repeat, roofs, boundary)
    with contextlib.ExitStack() as stack:
        stack.callback(setattr, charts, "_no_idle_draws", charts._no_idle_draws)
        charts._no_idle_draws = lambda fig: contextlib.nullcontext()
        before, h_before = _time(args.repeat, roofs, boundary)
    print(f"{len(roofs)} roof faces; roof map with idle draws {before:.3f} s, without {after:.3f} s "
          f"({before / after:.1f}x); same PNG: {h_before == h_after}")


if __name__ == "__main__":
    main()
