"""LiDAR tiles to rasters (``cadastre prepare``): points/s, peak RSS and where the time goes.

    python benchmarks/bench_prepare.py [--data ../shared/data/lidar] [--points 15000000] [--repeat 2]

Inputs, each prepared at 0.5 m:
- each full 1 km IGN tile of ``ign_decimated_tiles/`` alone (sparse: ≈ 0.3 pts/m²),
- each dense roof of ``ign_dsm_markers/`` alone (≈ 55-85 pts/m²),
- the six tiles of ``samples/lidar/`` together,
- a seeded synthetic "real tile": 1 km x 1 km, ``--points`` points (≈ 15 pts/m²),
  point format 6, EPSG:2154, ground / box roofs / trees / noise, points in
  scan-line order with returns, intensity, GPS time and scan angle (so that it
  compresses to a few bytes per point, like the dense IGN files). Generated
  once, in chunks, into ``--cache`` (default: a folder of the system's
  temporary directory) and reused.

For each input: wall time and peak RSS (GNU ``time`` when installed) of
``cadastre prepare`` in a fresh process (``python -m cli.main prepare ...
--quiet --overwrite``; one warm-up run first so that numba's on-disk cache is
filled), best of ``--repeat``, split with its ``prepare.json`` into start-up,
``prepare()`` and writing; then ``prepare()`` in this process for points/s
and the split of its time (the read/decode generator, the binning kernel,
checksums, small-hole filling, DTM interpolation, the rest), laspy alone
streaming the file with ``chunk_iterator`` (decompression without binning;
all LAZ layers, then only those prepare() needs), and the writing of the five
COGs as the command writes them. Before each timed run the script waits (up
to ``--max-wait`` s) for idle CPUs, since the machine may be shared. Ends with
an extrapolation to 10-20 M-point tiles.

``--data`` defaults to ``shared/data/lidar`` beside the repository.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import laspy
import numba
import numpy as np
import pyproj
from laspy import DecompressionSelection as DS


from rasters import lidar
from rasters.io import NODATA, write_bands

ROOT = Path(__file__).resolve().parents[1]

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "lidar"
CHUNK_WRITE = 2_000_000
SYNTH_VERSION = 1  # bump when synthetic_tile changes, to regenerate the cached file


# --------------------------------------------------------------------------- shared machine


def _cpu_times() -> tuple[int, int] | None:
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return idle, sum(fields)


def idle_fraction(seconds: float = 1.0) -> float:
    """Share of CPU time left idle over ``seconds`` (1.0 where /proc/stat is missing)."""
    a = _cpu_times()
    time.sleep(seconds)
    b = _cpu_times()
    if a is None or b is None or b[1] == a[1]:
        return 1.0
    return (b[0] - a[0]) / (b[1] - a[1])


def wait_quiet(max_wait: float, min_idle: float = 0.9) -> float:
    """Wait until the CPUs are at least ``min_idle`` idle over 2 s, for at most ``max_wait`` s; the idle share."""
    deadline = time.monotonic() + max_wait
    while True:
        idle = idle_fraction(2.0)
        if idle >= min_idle or time.monotonic() >= deadline:
            if idle < min_idle:
                print(f"  (machine busy: {100 * idle:.0f} % idle after waiting {max_wait:.0f} s; measuring anyway)")
            return idle


# --------------------------------------------------------------------------- synthetic tile


def synthetic_tile(path: Path, points: int, seed: int = 0, x0: float = 700_000.0, y0: float = 6_600_000.0,
                   built: float = 0.25) -> None:
    """A seeded 1 km x 1 km LAZ tile (LAS 1.4, point format 6, EPSG:2154), written in chunks.

    ``built`` (default ≈ 25 %) of the area under box buildings (flat or gabled, 8-35 m wide, 4-15 m
    high), ≈ 32 % under round trees (2-8 m radius, 5-20 m high): about 45 %
    ground, 25 % building, 25 % vegetation, 4 % unclassified and 0.2 % noise
    points. Points come in scan lines (as the scanner delivers them), with
    several returns in trees, intensity, GPS time and scan angle.
    """
    rng = np.random.default_rng(seed)
    cell, n = 0.5, 2000

    def ground_z(x, y):
        return 40 + 8 * np.sin(x / 230.0) * np.cos(y / 190.0) + 0.005 * x

    # buildings on a 0.5 m label grid (row 0 = north)
    bid = np.full((n, n), -1, np.int32)
    bx, by, bw, bd, bh, pitch, along_x = [], [], [], [], [], [], []
    covered = 0
    while covered < built * n * n:
        w, d = rng.uniform(8, 35, 2)
        cx, cy = rng.uniform(w / 2, 1000 - w / 2), rng.uniform(d / 2, 1000 - d / 2)
        c0, c1 = int((cx - w / 2) / cell), int((cx + w / 2) / cell)
        r0, r1 = int((1000 - cy - d / 2) / cell), int((1000 - cy + d / 2) / cell)
        region = bid[r0:r1, c0:c1]
        free = region < 0
        region[free] = len(bx)
        covered += int(free.sum())
        for values, v in zip((bx, by, bw, bd, bh), (cx, cy, w, d, rng.uniform(4, 15)), strict=True):
            values.append(v)
        pitch.append(np.tan(np.radians(rng.uniform(20, 45))) if rng.random() < 0.6 else 0.0)
        along_x.append(rng.random() < 0.5)
    bx, by, bw, bd, bh, pitch, along_x = map(np.asarray, (bx, by, bw, bd, bh, pitch, along_x))
    bbase = ground_z(bx, by)
    # trees outside buildings
    tid = np.full((n, n), -1, np.int32)
    th = []
    covered = 0
    rr_all, cc_all = np.mgrid[-16:17, -16:17]
    while covered < 0.32 * n * n:
        rad = rng.uniform(2, 8) / cell
        r, c = rng.integers(0, n, 2)
        disc = rr_all**2 + cc_all**2 <= rad**2
        rows, cols = r + rr_all[disc], c + cc_all[disc]
        ok = (rows >= 0) & (rows < n) & (cols >= 0) & (cols < n)
        rows, cols = rows[ok], cols[ok]
        free = (bid[rows, cols] < 0) & (tid[rows, cols] < 0)
        tid[rows[free], cols[free]] = len(th)
        covered += int(free.sum())
        th.append(rng.uniform(5, 20))
    th = np.asarray(th)

    header = laspy.LasHeader(point_format=6, version="1.4")
    header.offsets = [x0, y0, 0.0]
    header.scales = [0.01, 0.01, 0.01]
    header.add_crs(pyproj.CRS("EPSG:2154"))
    n_chunks = max(1, math.ceil(points / CHUNK_WRITE))
    spacing = 1.0 / math.sqrt(points / 1e6)  # distance between scan lines [m]
    done = 0
    tmp = path.with_name(path.name + ".part")
    with laspy.open(tmp, mode="w", header=header, laz_backend=lidar.LAZ_BACKEND, do_compress=True) as writer:
        for k in range(n_chunks):
            m = points // n_chunks + (1 if k < points % n_chunks else 0)
            ylo, yhi = 1000.0 * k / n_chunks, 1000.0 * (k + 1) / n_chunks
            x = rng.uniform(0, 999.99, m)
            y = rng.uniform(ylo, min(yhi, 999.99), m)
            line = np.floor(y / spacing).astype(np.int64)
            order = np.lexsort((np.where(line % 2 == 0, x, -x), line))  # zig-zag scan lines
            x, y = x[order], y[order]
            g = ground_z(x, y)
            r = np.minimum(((1000 - y) / cell).astype(np.int64), n - 1)
            c = np.minimum((x / cell).astype(np.int64), n - 1)
            b, t = bid[r, c], tid[r, c]
            u = rng.random(m)
            z = g + rng.normal(0, 0.03, m)
            cls = np.full(m, 2, np.uint8)
            nret = np.ones(m, np.uint8)
            ret = np.ones(m, np.uint8)
            intensity = rng.normal(900, 150, m)
            # buildings: flat or gabled roofs
            inb = b >= 0
            kb = b[inb]
            across = np.where(along_x[kb], np.abs(y[inb] - by[kb]), np.abs(x[inb] - bx[kb]))
            half = np.where(along_x[kb], bd[kb], bw[kb]) / 2
            z[inb] = bbase[kb] + bh[kb] + pitch[kb] * (half - across) + rng.normal(0, 0.03, kb.size)
            cls[inb] = 6
            intensity[inb] = rng.normal(1500, 300, kb.size)
            # trees: 75 % vegetation returns, 20 % ground (last returns), 5 % unclassified
            intr = (t >= 0) & ~inb
            top = th[t[intr]]
            ut = u[intr]
            nr = rng.integers(1, 5, intr.sum()).astype(np.uint8)
            veg = ut < 0.75
            frac = np.where(veg, 1 - 0.7 * rng.random(intr.sum()) ** 2, rng.random(intr.sum()))
            zt = np.where(ut < 0.95, np.where(veg, g[intr] + top * frac, z[intr]), g[intr] + top * frac)
            ct = np.where(veg, np.where(top * frac > 2, 5, np.where(top * frac > 0.5, 4, 3)), np.where(ut < 0.95, 2, 1))
            rt = np.where(veg, rng.integers(1, 5, intr.sum()), nr).astype(np.uint8)
            z[intr], cls[intr], nret[intr], ret[intr] = zt, ct, nr, np.minimum(rt, nr)
            intensity[intr] = rng.normal(400, 150, intr.sum())
            # open ground: 92 % ground, 5 % unclassified (low objects), 3 % low vegetation
            out = ~inb & (t < 0)
            uo = u[out]
            low = uo >= 0.92
            z[out] = np.where(low, g[out] + rng.uniform(0.2, 2.0, out.sum()), z[out])
            cls[out] = np.where(uo < 0.92, 2, np.where(uo < 0.97, 1, 3))
            # noise: low (7) and high (18)
            noise = rng.random(m) < 0.002
            high = noise & (rng.random(m) < 0.5)
            z[noise & ~high] = g[noise & ~high] - rng.uniform(1, 20, (noise & ~high).sum())
            z[high] = g[high] + rng.uniform(50, 300, high.sum())
            cls[noise] = np.where(high[noise], 18, 7)

            rec = laspy.ScaleAwarePointRecord.zeros(m, header=header)
            rec.x, rec.y, rec.z = x + x0, y + y0, z
            rec.classification = cls
            rec.return_number, rec.number_of_returns = ret, nret
            rec.intensity = np.clip(intensity, 0, 65535).astype(np.uint16)
            rec.gps_time = 3.6e8 + (done + np.arange(m)) * 4e-6  # 250 kHz
            rec.scan_angle = np.round((x - 500) / 500 * 20 / 0.006).astype(np.int16)
            rec.point_source_id = np.full(m, 1, np.uint16)
            writer.write_points(rec)
            done += m
    tmp.replace(path)


def cached_synthetic(cache: Path, points: int, seed: int) -> tuple[Path, float | None]:
    """The synthetic tile in ``cache`` (generated if missing) and the generation time [s], None if reused."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"synthetic_1km_{points}pts_seed{seed}_v{SYNTH_VERSION}.laz"
    if path.is_file():
        with laspy.open(path) as r:
            if r.header.point_count == points:
                return path, None
    t0 = time.perf_counter()
    synthetic_tile(path, points, seed)
    return path, time.perf_counter() - t0


# --------------------------------------------------------------------------- measurements


@functools.cache
def gnu_time() -> str | None:
    """The GNU ``time`` program when installed (it reports a child's peak RSS with ``-f %M``), else None."""
    found = shutil.which("time")
    if found is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "rss"
        cmd = [found, "-f", "%M", "-o", str(probe), sys.executable, "-c", "pass"]
        done = subprocess.run(cmd, check=False, capture_output=True)
        words = probe.read_text().split() if probe.is_file() else []
        if done.returncode == 0 and words and words[-1].isdigit():
            return found
    return None


def cli_run(tiles: list[Path], out: Path) -> dict:
    """Wall time [s], peak RSS [GiB] and split of one fresh ``cadastre prepare`` process.

    The split comes from the ``prepare.json`` it writes: ``seconds`` (its
    ``prepare()`` call) and ``seconds_total`` (the command after its imports);
    start-up = wall - seconds_total, writing and checks = seconds_total - seconds.

    The peak RSS comes from GNU time where installed: a child spawned straight
    from this process inherits this process's high-water mark across exec on
    Linux, so ``wait4``'s figure (the fallback) can overstate small runs.
    """
    cmd = [sys.executable, "-m", "cli.main", "prepare", *map(str, tiles), "-o", str(out), "--quiet", "--overwrite"]
    with tempfile.TemporaryDirectory() as tmp:
        rss_file = Path(tmp) / "rss"
        if gnu_time():
            cmd = [gnu_time(), "-f", "%M", "-o", str(rss_file), *cmd]
        with open(Path(tmp) / "err", "w+b") as err:
            t0 = time.perf_counter()
            proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - t0
            proc.returncode = os.waitstatus_to_exitcode(status)
            if proc.returncode:
                err.seek(0)
                sys.exit(f"cadastre prepare failed ({proc.returncode}):\n{err.read().decode(errors='replace')}")
        if rss_file.is_file():
            kib = int(rss_file.read_text().split()[-1])
        else:
            kib = usage.ru_maxrss // (1024 if sys.platform == "darwin" else 1)
    report = json.loads((out / "prepare.json").read_text())
    return {
        "wall": wall,
        "rss": kib / 2**20,
        "startup": wall - report["seconds_total"],
        "prepare": report["seconds"],
        "write": report["seconds_total"] - report["seconds"],
    }


def startup_time() -> float:
    """Wall time [s] of ``python -m cli.main --version``: interpreter start and the command's imports."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "cli.main", "--version"], cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - t0


@contextmanager
def instrumented():
    """Time the parts of ``rasters.lidar.prepare`` by wrapping the module functions it calls."""
    spent = {"read": 0.0, "binning": 0.0, "sha256": 0.0, "small holes": 0.0, "dtm": 0.0}
    saved = {
        k: getattr(lidar, k) for k in ("_chunks", "bin_points", "sha256", "_fill_small_holes", "_interpolate_ground")
    }

    def timed(key, fn):
        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[key] += time.perf_counter() - t0

        return wrapper

    def chunks(*args, **kwargs):
        it = saved["_chunks"](*args, **kwargs)
        while True:
            t0 = time.perf_counter()
            try:
                item = next(it)
            except StopIteration:
                spent["read"] += time.perf_counter() - t0
                return
            spent["read"] += time.perf_counter() - t0
            yield item

    lidar._chunks = chunks
    lidar.bin_points = timed("binning", saved["bin_points"])
    lidar.sha256 = timed("sha256", saved["sha256"])
    lidar._fill_small_holes = timed("small holes", saved["_fill_small_holes"])
    lidar._interpolate_ground = timed("dtm", saved["_interpolate_ground"])
    try:
        yield spent
    finally:
        for k, v in saved.items():
            setattr(lidar, k, v)


def in_process(tiles: list[Path], out: Path, repeat: int, max_wait: float) -> dict:
    """Best-of-``repeat`` prepare() split, laspy-only read and COG writing, in this process."""
    best = None
    for _ in range(repeat):
        wait_quiet(max_wait)
        with instrumented() as spent:
            t0 = time.perf_counter()
            ds, report = lidar.prepare(tiles)
            total = time.perf_counter() - t0
        if best is None or total < best["prepare"]:
            best = {"prepare": total, **spent}
    best["rest"] = best["prepare"] - sum(best[k] for k in ("read", "binning", "sha256", "small holes", "dtm"))
    laspy_only = math.inf
    for _ in range(repeat):
        wait_quiet(max_wait)
        t0 = time.perf_counter()
        for tile in tiles:
            with laspy.open(tile, laz_backend=lidar.LAZ_BACKEND) as reader:
                for _points in reader.chunk_iterator(lidar.CHUNK_POINTS):
                    pass
        laspy_only = min(laspy_only, time.perf_counter() - t0)
    best["laspy only"] = laspy_only
    selected = math.inf  # only the LAZ layers prepare() uses
    layers = DS.XY_RETURNS_CHANNEL | DS.Z | DS.CLASSIFICATION | DS.FLAGS
    for _ in range(repeat):
        wait_quiet(max_wait)
        t0 = time.perf_counter()
        for tile in tiles:
            with laspy.open(tile, laz_backend=lidar.LAZ_BACKEND, decompression_selection=layers) as reader:
                for _points in reader.chunk_iterator(lidar.CHUNK_POINTS):
                    pass
        selected = min(selected, time.perf_counter() - t0)
    best["laspy sel."] = selected
    write = math.inf
    out.mkdir(exist_ok=True)
    for _ in range(repeat):
        wait_quiet(max_wait)
        t0 = time.perf_counter()
        for name in ("dsm", "dtm", "ndsm"):
            write_bands([ds[name]], out / f"{name}.tif", overwrite=True, nodata=NODATA)
        for name in ("buildings", "vegetation"):
            write_bands([ds[name]], out / f"{name}.tif", overwrite=True, nodata=lidar.MASK_NODATA, dtype="uint8")
        write = min(write, time.perf_counter() - t0)
    best["write"] = write
    best["grid"] = (report["width"], report["height"])
    return best


def header_stats(tiles: list[Path]) -> tuple[int, float]:
    """Points and density [pts/m²] over the header extents."""
    points, area = 0, 0.0
    for t in tiles:
        with laspy.open(t) as r:
            h = r.header
            points += h.point_count
            area += (h.maxs[0] - h.mins[0]) * (h.maxs[1] - h.mins[1])
    return points, points / area


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="folder holding ign_decimated_tiles/ and ign_dsm_markers/"
    )
    parser.add_argument("--points", type=int, default=15_000_000, help="points of the synthetic 1 km tile (0: none)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "cadastre-bench-prepare")
    parser.add_argument("--repeat", type=int, default=2, help="runs per measurement; the best is reported")
    parser.add_argument("--max-wait", type=float, default=120.0, help="seconds to wait for idle CPUs before a run")
    args = parser.parse_args()

    sets: dict[str, list[Path]] = {}
    for name in ("ign_decimated_tiles", "ign_dsm_markers"):
        files = sorted((args.data / name).glob("*.laz"))
        if not files:
            sys.exit(
                f"{args.data / name}: no LAZ file there; pass --data pointing at the shared lidar data folder "
                f"(the one holding ign_decimated_tiles/ and ign_dsm_markers/)"
            )
        for f in files:
            sets[f"{name}/{f.name}"] = [f]
    samples = sorted((ROOT / "samples" / "lidar").glob("*.laz"))
    sets[f"samples/lidar ({len(samples)} tiles together)"] = samples
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"laspy {laspy.__version__} ({lidar.LAZ_BACKEND}), numba {numba.__version__}, numpy {np.__version__}"
    )
    if args.points > 0:
        synth, took = cached_synthetic(args.cache, args.points, args.seed)
        note = f"generated in {took:.0f} s" if took is not None else "reused from the cache"
        print(f"synthetic tile: {args.points:,} points, {synth.stat().st_size / 2**20:.0f} MiB LAZ ({note})")
        sets[f"synthetic 1 km tile, {args.points / 1e6:g} M points"] = [synth]

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cli_run(samples, tmp / "warm")  # fills numba's cache
        lidar.prepare(samples[:1])  # loads the kernels in this process
        startup = min(startup_time() for _ in range(args.repeat))
        print(f"start-up (python -m cli.main --version): {startup:.2f} s\n")
        for name, tiles in sets.items():
            points, density = header_stats(tiles)
            runs = []
            for _ in range(args.repeat):
                wait_quiet(args.max_wait)
                runs.append(cli_run(tiles, tmp / "out"))
            cli = min(runs, key=lambda run: run["wall"])
            split = in_process(tiles, tmp / "inproc", args.repeat, args.max_wait)
            results[name] = {"points": points, "density": density, "wall": cli["wall"], "cli": cli, **split}
            results[name]["rss"] = max(run["rss"] for run in runs)
            r = results[name]
            walls = ", ".join(f"{run['wall']:.2f}" for run in runs)
            print(
                f"{name}: {points:,} points, {density:.2f} pts/m², grid {r['grid'][0]} x {r['grid'][1]}; "
                f"cadastre prepare {r['wall']:.2f} s (runs: {walls}), "
                f"peak RSS {r['rss']:.2f} GiB; prepare() {r['prepare']:.2f} s = "
                f"{points / r['prepare'] / 1e6:.2f} Mpts/s",
                flush=True,
            )

    print(
        "\ncadastre prepare, fresh process, best run [s] = start-up (imports) + prepare() + writing; "
        "Mpts/s = points / prepare() in this process (best run)"
    )
    head = ("points", "pts/m²", "wall", "start-up", "prepare()", "writing", "Mpts/s", "RSS GiB")
    print(f"{'input':52s} " + " ".join(f"{c:>9s}" for c in head))
    for name, r in results.items():
        label = name if len(name) <= 52 else "…" + name[-51:]
        c = r["cli"]
        print(
            f"{label:52s} {r['points']:9,d} {r['density']:9.2f} {c['wall']:9.2f} {c['startup']:9.2f} "
            f"{c['prepare']:9.2f} {c['write']:9.2f} {r['points'] / r['prepare'] / 1e6:9.2f} {r['rss']:9.2f}"
        )
    cols = ("prepare", "read", "binning", "sha256", "small holes", "dtm", "rest", "laspy only", "laspy sel.", "write")
    print(
        "\nprepare() in this process, best run [s] = read + binning + sha256 + small holes + dtm + rest; "
        "'laspy only': chunk_iterator streaming without binning; 'laspy sel.': the same decompressing only "
        "x, y, z, returns, classification and flags; write: the 5 COGs"
    )
    print(f"{'input':52s} " + " ".join(f"{c:>11s}" for c in cols))
    for name, r in results.items():
        label = name if len(name) <= 52 else "…" + name[-51:]
        print(f"{label:52s} " + " ".join(f"{r[c]:11.2f}" for c in cols))

    # extrapolation to a real LiDAR HD tile from the largest input (the synthetic tile when there is one):
    # a per-point cost (read + binning) and a per-grid cost (the rest of the command's wall time)
    big = max(results.values(), key=lambda r: r["points"])
    per_point = (big["read"] + big["binning"]) / big["points"]
    fixed = big["wall"] - (big["read"] + big["binning"])
    print(
        f"\nextrapolation from the largest input ({big['points']:,} points, grid {big['grid'][0]} x {big['grid'][1]}): "
        f"{1e6 * per_point:.3f} µs/point (read + binning) + {fixed:.1f} s per grid (start-up, checks, holes, DTM, "
        f"masks, writing); prepare() alone {big['points'] / big['prepare'] / 1e6:.2f} Mpts/s"
    )
    for n in (10e6, 15e6, 20e6):
        print(
            f"  {n / 1e6:.0f} M points: cadastre prepare ≈ {fixed + n * per_point:5.1f} s "
            f"(target ≤ 20 s); prepare() at the measured rate ≈ {n * big['prepare'] / big['points']:5.1f} s"
        )
    real = [r for name, r in results.items() if not name.startswith("synthetic")]
    slow = min(real, key=lambda r: r["points"] / r["laspy only"])
    slow_rate = slow["points"] / slow["laspy only"]
    extra = 1 / slow_rate - big["laspy only"] / big["points"]  # s/point more than the largest input's decompression
    if extra > 0:
        print(
            f"  with the slowest decompression measured on a real file ({slow_rate / 1e6:.2f} Mpts/s, laspy only): "
            + ", ".join(f"{n / 1e6:.0f} M points ≈ {fixed + n * (per_point + extra):.1f} s" for n in (10e6, 15e6, 20e6))
        )


if __name__ == "__main__":
    main()
