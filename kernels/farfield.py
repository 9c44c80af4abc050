"""Far-field horizon: the horizon beyond the near-field reach, on a coarse surface.

The near field (:func:`kernels.horizon.horizon_tan`) traces every cell's
horizon at full resolution up to a reach ``d0`` (the halo of a tile). Beyond
it, hills and slag heaps kilometres away still shade, but tracing them at
0.5 m would cost far too much. The far field traces them instead on a
*pyramid* of max-pooled surfaces: level ``L`` has cells of ``cell * 2**L``
metres, each holding the highest surface of the finer cells under it, and a
ray samples level ``L`` from the distance ``ratio * cell * 2**L`` on, one
sample per level cell. Max pooling never lowers an obstacle; the angular error
it adds is at most ``slope * 0.7 / ratio`` radians (a cell's height spread).

Observers stand at the centres of the level-0 cells. The horizon of a cell at
height ``z`` seen from a fixed point is a convex, decreasing function of
``z``: ``f(z) = max_i (Z_i - z) / d_i``. Each observer records, for a few
reference heights ``z_k`` (the lowest to the highest fine cell it serves),
the horizon ``f(z_k)`` and the distance ``d_k`` of the obstacle that makes it.
A fine cell at height ``z`` then takes ``max_k f(z_k) - (z - z_k) / d_k``:
the tangents of ``f``, exact at every ``z_k`` and never above ``f``.

Positions are in level-0 cell units of the pyramid's array (row down, column
right); azimuths are clockwise from north in degrees.
"""

from __future__ import annotations

import math

import numpy as np

from kernels._jit import njit, pjit, prange


@njit
def max_pool2(z, out):
    """2x2 max pooling of ``z`` into ``out`` (shape ``ceil(z.shape / 2)``); NaN (nodata) is ignored."""
    nr, nc = z.shape
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            m = np.nan
            for a in range(2 * i, min(2 * i + 2, nr)):
                for b in range(2 * j, min(2 * j + 2, nc)):
                    v = z[a, b]
                    if v == v and not (v <= m):
                        m = v
            out[i, j] = m


@njit
def _clip_axis(p, dp, n, lo, hi):
    if abs(dp) < 1e-12:
        if p < 0.0 or p >= n:
            return 1.0, 0.0
        return lo, hi
    t1 = (0.0 - p) / dp
    t2 = (n - p) / dp
    if t1 > t2:
        t1, t2 = t2, t1
    return max(lo, t1), min(hi, t2)


@njit
def _clip(r, c, dr, dc, nr, nc, lo, hi):
    """Distance range [lo, hi] (cell units) in which the ray r + t*dr, c + t*dc stays inside the array."""
    lo, hi = _clip_axis(r, dr, float(nr), lo, hi)
    return _clip_axis(c, dc, float(nc), lo, hi)


@pjit
def far_horizon(pyramid, offsets, rows, cols, cell, obs_r, obs_c, obs_z, azimuth, d0, dmax, ratio, out_tan,
                out_dist):
    """tan of the far-field horizon of a grid of observers in one direction.

    Parameters
    ----------
    pyramid : 1-D float array
        The levels of max-pooled heights [m], each row-major, level ``L`` at
        ``offsets[L]`` with shape ``(rows[L], cols[L])``; level ``L + 1`` pools
        2x2 cells of level ``L``. NaN: no surface.
    cell : float
        Level-0 cell size. [m]
    obs_r, obs_c : 1-D float arrays
        Rows and columns of the observer grid (observer ``(a, b)`` stands at
        ``(obs_r[a], obs_c[b])``), in level-0 cell units.
    obs_z : (len(obs_r), len(obs_c), K) float array
        Reference heights of each observer [m]; NaN: skip the observer.
    azimuth : float
        Direction, clockwise from north. [degrees]
    d0, dmax : float
        The ray is sampled from ``d0`` to ``dmax``. [m]
    ratio : float
        Level ``L`` is used from ``ratio * cell * 2**L`` metres on.
    out_tan, out_dist : arrays shaped like ``obs_z``
        tan of the horizon for each reference height (``-inf`` when nothing
        is seen) and the distance of the obstacle that makes it [m].
    """
    a = math.radians(azimuth)
    dr = -math.cos(a)
    dc = math.sin(a)
    n_levels = offsets.shape[0]
    nro, nco, n_k = obs_z.shape
    for o in prange(nro * nco):
        i = o // nco
        j = o - i * nco
        for k in range(n_k):
            out_tan[i, j, k] = -np.inf
            out_dist[i, j, k] = np.inf
        if obs_z[i, j, 0] != obs_z[i, j, 0]:  # serves no cell
            continue
        r0 = obs_r[i]
        c0 = obs_c[j]
        lo, hi = _clip(r0, c0, dr, dc, rows[0], cols[0], d0 / cell, dmax / cell)
        if lo > hi:
            continue
        d = d0
        level = 0
        scale = 1.0
        while d <= dmax:
            while level + 1 < n_levels and ratio * cell * scale * 2.0 <= d:
                level += 1
                scale *= 2.0
            t = d / cell
            if t > hi:
                break
            if t >= lo:
                ii = int(math.floor((r0 + dr * t) / scale))
                jj = int(math.floor((c0 + dc * t) / scale))
                if 0 <= ii < rows[level] and 0 <= jj < cols[level]:
                    v = pyramid[offsets[level] + ii * cols[level] + jj]
                    if v == v:
                        for k in range(n_k):
                            tn = (v - obs_z[i, j, k]) / d
                            if tn > out_tan[i, j, k]:
                                out_tan[i, j, k] = tn
                                out_dist[i, j, k] = d
            d += cell * scale


@njit
def observer_heights(z, obs_row, obs_col, out):
    """Reference heights of each observer: evenly from the lowest to the highest cell it serves.

    ``obs_row[i]``, ``obs_col[j]``: the observer row and column of cell
    ``(i, j)`` of ``z`` (heights [m], NaN nodata); ``out`` (n_rows, n_cols, K),
    NaN for an observer that serves no valid cell.
    """
    nro, nco, n_k = out.shape
    lo = np.full((nro, nco), np.inf)
    hi = np.full((nro, nco), -np.inf)
    for i in range(z.shape[0]):
        a = obs_row[i]
        for j in range(z.shape[1]):
            v = z[i, j]
            if v == v:
                b = obs_col[j]
                if v < lo[a, b]:
                    lo[a, b] = v
                if v > hi[a, b]:
                    hi[a, b] = v
    for a in range(nro):
        for b in range(nco):
            if lo[a, b] > hi[a, b]:
                for k in range(n_k):
                    out[a, b, k] = np.nan
            else:
                for k in range(n_k):
                    w = k / (n_k - 1) if n_k > 1 else 0.0
                    out[a, b, k] = lo[a, b] + w * (hi[a, b] - lo[a, b])


@pjit
def apply_far(horizon, z, obs_row, obs_col, obs_z, far_tan, far_dist, transposed):
    """Raise each cell's horizon tan to its far-field horizon where that is higher.

    ``horizon`` and ``z`` share a layout; when ``transposed`` their element
    ``[a, b]`` is the cell at row ``b``, column ``a`` (see
    :func:`kernels.horizon.transposed_azimuth`). ``obs_row``/``obs_col`` map the
    cell's row/column to its observer (:func:`observer_heights`).
    """
    n0, n1 = horizon.shape
    n_k = obs_z.shape[2]
    for a in prange(n0):
        for b in range(n1):
            v = z[a, b]
            if v != v:
                continue
            if transposed:
                oi = obs_row[b]
                oj = obs_col[a]
            else:
                oi = obs_row[a]
                oj = obs_col[b]
            best = -np.inf
            for k in range(n_k):
                t = far_tan[oi, oj, k]
                if t > -np.inf:
                    t = t - (v - obs_z[oi, oj, k]) / far_dist[oi, oj, k]
                    if t > best:
                        best = t
            if best > horizon[a, b]:
                horizon[a, b] = best


def far_horizon_bruteforce(z, cell, row, col, height, azimuth, d0, dmax, step):
    """tan of the horizon of one point on a full-resolution surface, by dense ray sampling (test oracle).

    ``z``: heights [m] on cells of ``cell`` metres; ``(row, col)``: the point
    in cell units (float); samples every ``step`` metres from ``d0`` to
    ``dmax``, nearest cell. Returns -inf when nothing is seen.
    """
    a = math.radians(azimuth)
    d = np.arange(d0, dmax + 1e-9, step)
    r = np.floor(row - math.cos(a) * d / cell).astype(np.int64)
    c = np.floor(col + math.sin(a) * d / cell).astype(np.int64)
    inside = (r >= 0) & (r < z.shape[0]) & (c >= 0) & (c < z.shape[1])
    if not inside.any():
        return -np.inf
    v = z[r[inside], c[inside]]
    t = (v - height) / d[inside]
    t = t[np.isfinite(t)]
    return float(t.max()) if t.size else -np.inf
