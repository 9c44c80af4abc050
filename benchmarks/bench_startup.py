"""Start-up of the ``cadastre`` command: help, an argument error, and ``irradiance`` on small rasters.

    python benchmarks/bench_startup.py [--repeat 5] [--code OTHER_CHECKOUT ...]

Each command runs in a fresh process (as a user runs it), ``--repeat`` times; the table gives
the best and the median wall time and the best CPU time (user + system, which a busy machine
inflates less) [s]. ``irradiance`` runs on two synthetic DSMs of
``common.synthetic_town``: 100 x 100 cells (10,000 cells: the run is nearly all start-up, that
is imports, loading the cached Numba kernels, reading the weather) and 500 x 500 cells (a user's
small raster), 64 directions, the default weather. Numba's on-disk cache is warmed by one run
before timing. With ``--code``, the same commands run on other checkouts too (e.g. a worktree of
an earlier commit), interleaved with this one so that a busy machine slows both alike.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import synthetic_town

ROOT = Path(__file__).resolve().parents[1]


def write_dsm(path: Path, size: int) -> None:
    """A synthetic DSM GeoTIFF of ``size`` x ``size`` cells at 0.5 m, Lambert-93."""
    import rasterio
    from rasterio.transform import from_origin

    z = synthetic_town(size).astype("float32")
    profile = dict(driver="GTiff", width=size, height=size, count=1, dtype="float32", crs="EPSG:2154",
                   transform=from_origin(687000.0, 7036000.0, 0.5, 0.5), nodata=-9999.0)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(z, 1)


def commands(folder: Path) -> dict[str, tuple[list[str], int]]:
    """Label -> (arguments of ``python -m cli.main``, expected exit code)."""
    irr = ["irradiance", "--overwrite", "--quiet", "--directions", "64"]
    return {
        "cadastre --help": (["--help"], 0),
        "cadastre irradiance --help": (["irradiance", "--help"], 0),
        "cadastre irradiance (no -o: argument error)": (["irradiance", str(folder / "dsm100.tif")], 2),
        "cadastre irradiance, 100 x 100 DSM": (irr + [str(folder / "dsm100.tif"), "-o", str(folder / "o100.tif")], 0),
        "cadastre irradiance, 500 x 500 DSM": (irr + [str(folder / "dsm500.tif"), "-o", str(folder / "o500.tif")], 0),
    }


def timed(code: Path, args: list[str], expected: int) -> tuple[float, float]:
    """Wall time and CPU time (user + system) [s] of ``python -m cli.main ARGS`` run from the checkout ``code``."""
    env = dict(os.environ, PYTHONPATH=str(code))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=code, env=env, capture_output=True,
                          text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != expected:
        raise SystemExit(f"{code}: {' '.join(args)} exited {done.returncode}:\n{done.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="runs of each command (default 5)")
    ap.add_argument("--code", type=Path, nargs="*", default=[], help="other checkouts to measure the same way")
    args = ap.parse_args()
    codes = [ROOT] + [c.resolve() for c in args.code]
    print(f"# {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_dsm(folder / "dsm100.tif", 100)
        write_dsm(folder / "dsm500.tif", 500)
        cmds = commands(folder)
        for code in codes:  # warm numba's on-disk cache of each checkout
            timed(code, *cmds["cadastre irradiance, 100 x 100 DSM"])
        times: dict[tuple[str, Path], list[tuple[float, float]]] = {}
        for _ in range(args.repeat):
            for label, (argv, expected) in cmds.items():
                for code in codes:
                    times.setdefault((label, code), []).append(timed(code, argv, expected))
    header = "| command | " + " | ".join(f"{c.name}: wall best / median, CPU best [s]" for c in codes)
    header += " | speed-up (best wall, other / this) |" if len(codes) > 1 else " |"
    print(header)
    print("|---" * (len(codes) + 1 + (len(codes) > 1)) + "|")
    for label in cmds:
        cells = [times[(label, c)] for c in codes]
        walls = [[w for w, _ in t] for t in cells]
        row = f"| {label} | " + " | ".join(
            f"{min(w):.2f} / {statistics.median(w):.2f}, {min(c for _, c in t):.2f}" for w, t in zip(walls, cells, strict=True))
        if len(codes) > 1:
            row += " | " + " / ".join(f"{min(w) / min(walls[0]):.2f}" for w in walls[1:])
        print(row + " |")

if __name__ == "__main__":
    main()
