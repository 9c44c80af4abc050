"""Horizon sweep vs brute-force ray march on a 2000 x 2000 DSM (one 1 km LiDAR tile at 0.5 m).

    python benchmarks/bench_horizon.py [--size 2000] [--directions 64] [--brute-directions 2]

Reports Mpx·direction/s of:
- the sweep as the engine runs it (north-south directions on the transposed grid),
- the sweep on the grid as given (every direction in place),
- the brute-force ray march (the test oracle) on a few directions, and the ratio.
The DSM is a seeded synthetic town (benchmarks/common.py); max distance 1000 m.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numba
import numpy as np

from common import synthetic_town
from kernels import horizon_tan, horizon_tan_bruteforce, runs_along_rows, transposed_azimuth


def best_of(fn, repeat: int = 2) -> float:
    """Best wall time of ``repeat`` calls [s]."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def run(size: int, directions: int, brute_directions: int, cellsize: float = 0.5, reach: float = 1000.0) -> dict:
    z = synthetic_town(size, cellsize)
    zt = np.ascontiguousarray(z.T)
    out = np.empty(z.shape, np.float32)
    outt = np.empty(zt.shape, np.float32)
    azimuths = np.arange(directions) * 360.0 / directions
    horizon_tan(z[:64, :64].copy(), 10.0, cellsize, reach, out[:64, :64].copy())  # compile
    horizon_tan_bruteforce(z[:64, :64].copy(), 10.0, cellsize, reach, out[:64, :64].copy())

    def engine_layout():
        for a in azimuths:
            if runs_along_rows(a):
                horizon_tan(zt, transposed_azimuth(a), cellsize, reach, outt)
            else:
                horizon_tan(z, a, cellsize, reach, out)

    def in_place_layout():
        for a in azimuths:
            horizon_tan(z, a, cellsize, reach, out)

    engine = best_of(engine_layout)
    in_place = best_of(in_place_layout)

    brute_az = [azimuths[1 + k * (directions // max(brute_directions, 1)) % directions] for k in range(brute_directions)]
    sweep_same = np.empty(z.shape, np.float32)
    t0 = time.perf_counter()
    for a in brute_az:
        horizon_tan_bruteforce(z, a, cellsize, reach, out)
    brute = time.perf_counter() - t0
    t0 = time.perf_counter()
    for a in brute_az:
        horizon_tan(z, a, cellsize, reach, sweep_same)
    sweep_brute_dirs = time.perf_counter() - t0
    assert np.allclose(out, sweep_same, rtol=1e-5, atol=1e-6, equal_nan=True)

    mpx = z.size / 1e6
    return {
        "size": size,
        "directions": directions,
        "engine_mpx_dir_s": mpx * directions / engine,
        "in_place_mpx_dir_s": mpx * directions / in_place,
        "brute_directions": [float(a) for a in brute_az],
        "brute_mpx_dir_s": mpx * len(brute_az) / brute,
        "sweep_on_brute_dirs_mpx_dir_s": mpx * len(brute_az) / sweep_brute_dirs,
        "ratio_sweep_vs_brute": brute / sweep_brute_dirs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--directions", type=int, default=64)
    parser.add_argument("--brute-directions", type=int, default=2)
    args = parser.parse_args()
    r = run(args.size, args.directions, args.brute_directions)
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, numba {numba.__version__}, threads {numba.get_num_threads()}")
    print(f"DSM {r['size']} x {r['size']} cells, {r['directions']} directions, max distance 1000 m")
    print(f"sweep (engine layout) : {r['engine_mpx_dir_s']:7.1f} Mpx·dir/s")
    print(f"sweep (in place)      : {r['in_place_mpx_dir_s']:7.1f} Mpx·dir/s")
    print(f"brute force on {r['brute_directions']}: {r['brute_mpx_dir_s']:7.2f} Mpx·dir/s "
          f"(sweep on the same: {r['sweep_on_brute_dirs_mpx_dir_s']:.1f}); ratio {r['ratio_sweep_vs_brute']:.0f}x")


if __name__ == "__main__":
    main()
