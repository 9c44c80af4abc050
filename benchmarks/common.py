"""Seeded synthetic surfaces for the benchmarks: a town on gently rolling ground."""

from __future__ import annotations

import numpy as np


def synthetic_town(n: int = 2000, cellsize: float = 0.5, seed: int = 0) -> np.ndarray:
    """A north-up DSM [m] of ``n`` x ``n`` cells: rolling ground, ~30 % built, gables, trees.

    Buildings are boxes 8-40 m wide, 4-20 m high, half with gable roofs of
    20-45°; trees are round blobs; a 1 cm noise mimics LiDAR. Seeded.
    """
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:n, 0:n] * cellsize
    z = 40 + 6 * np.sin(x / 310.0) * np.cos(y / 270.0) + 0.004 * x
    size = n * cellsize
    built = 0.0
    while built < 0.3 * size * size:
        w, d = rng.uniform(8, 40, 2)
        x0, y0 = rng.uniform(0, size - w), rng.uniform(0, size - d)
        c0, c1 = int(x0 / cellsize), int((x0 + w) / cellsize)
        r0, r1 = int(y0 / cellsize), int((y0 + d) / cellsize)
        base = z[r0:r1, c0:c1].min()
        height = rng.uniform(4, 20)
        roof = np.full((r1 - r0, c1 - c0), base + height)
        if rng.random() < 0.5:
            pitch = np.tan(np.radians(rng.uniform(20, 45)))
            if rng.random() < 0.5:
                across = np.abs(np.arange(r1 - r0) - (r1 - r0) / 2)[:, None] * cellsize
            else:
                across = np.abs(np.arange(c1 - c0) - (c1 - c0) / 2)[None, :] * cellsize
            roof = roof + pitch * (across.max() - across)
        z[r0:r1, c0:c1] = np.maximum(z[r0:r1, c0:c1], roof)
        built += w * d
    for _ in range(n * n // 4000):
        r, c = rng.integers(0, n, 2)
        rad = rng.uniform(2, 6) / cellsize
        rr, cc = np.ogrid[-int(rad) : int(rad) + 1, -int(rad) : int(rad) + 1]
        blob = (rr**2 + cc**2) <= rad**2
        r0, c0 = max(0, r - int(rad)), max(0, c - int(rad))
        sub = z[r0 : r + int(rad) + 1, c0 : c + int(rad) + 1]
        b = blob[: sub.shape[0], : sub.shape[1]]
        sub[b] = np.maximum(sub[b], z[min(r, n - 1), min(c, n - 1)] + rng.uniform(5, 15))
    z += rng.normal(0, 0.01, z.shape)
    return z
