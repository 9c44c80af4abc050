"""Horizon angles by a convex-hull sweep along digital lines (Dozier & Frew 1990).

Geometry
--------
For an azimuth ``phi`` (clockwise from north) the grid is partitioned into
parallel *digital lines*. The main axis is the grid axis closest to ``phi``
(columns when ``|sin phi| >= |cos phi|``, else rows); one step along a line
moves one cell along the main axis and ``t`` cells (``|t| <= 1``) along the
other. The cell of a line at main-axis position ``u`` (counted in the
direction of travel) is at minor position ``c + floor(t*u + 0.5)``, so every
cell lies on exactly one line ``c``. Along a line the profile is sampled at
cell centres, every ``cellsize * sqrt(1 + t**2)`` metres.

The horizon of a cell is the largest elevation angle, seen from its centre, of
the cells ahead of it on its line within ``max_distance``: the *discrete
profile* horizon. :func:`horizon_tan` computes it exactly with an upper convex
hull, :func:`horizon_tan_bruteforce` by marching every ray (the test oracle).
"""

from __future__ import annotations

import math

import numpy as np

from kernels._jit import njit, pjit, prange


@njit
def _geometry(azimuth):
    """Main axis (True for columns), travel sign along it, minor cells per step."""
    az = math.radians(azimuth)
    d_col = math.sin(az)
    d_row = -math.cos(az)
    if abs(d_col) >= abs(d_row):
        return True, (1 if d_col > 0 else -1), d_row / abs(d_col)
    return False, (1 if d_row > 0 else -1), d_col / abs(d_row)


@njit
def line_step(azimuth, cellsize):
    """Horizontal distance between two consecutive samples of a line [m]."""
    t = _geometry(azimuth)[2]
    return cellsize * math.sqrt(1.0 + t * t)


@njit
def _off(t, u):
    return int(math.floor(t * u + 0.5))


@njit
def _first_ge(t, target, nu):
    """First u in [0, nu] with off(u) >= target (off non-decreasing)."""
    lo = 0
    hi = nu
    while lo < hi:
        mid = (lo + hi) // 2
        if _off(t, mid) >= target:
            hi = mid
        else:
            lo = mid + 1
    return lo


@njit
def _first_le(t, target, nu):
    """First u in [0, nu] with off(u) <= target (off non-increasing)."""
    lo = 0
    hi = nu
    while lo < hi:
        mid = (lo + hi) // 2
        if _off(t, mid) <= target:
            hi = mid
        else:
            lo = mid + 1
    return lo


@njit
def _u_range(t, c, nu, nv):
    """Inclusive main-axis range of line ``c`` inside the grid (empty: lo > hi)."""
    if t >= 0.0:
        lo = _first_ge(t, -c, nu)
        hi = _first_ge(t, nv - c, nu) - 1
    else:
        lo = _first_le(t, nv - 1 - c, nu)
        hi = _first_le(t, -c - 1, nu) - 1
    return lo, hi


@njit
def _sweep_line(zb, n, k, res, stk, hull):
    """Largest slope (dz per sample) from each sample to those ahead within k.

    The line is cut into blocks of ``k`` samples. The part of a window inside
    the cell's own block is answered by a backward sweep that keeps the upper
    convex hull of the samples ahead (amortised O(1)); the part in the next
    block, a prefix that grows by one sample per step, by a forward hull and a
    binary search for the tangent (O(log hull)). NaN samples (nodata) neither
    obstruct nor get a value; -inf means nothing lies ahead.
    """
    for m in range(n):
        res[m] = -np.inf
    bs = 0
    while bs < n:
        be = min(bs + k, n)
        top = 0
        for m in range(be - 1, bs - 1, -1):
            zp = zb[m]
            if math.isnan(zp):
                continue
            while top >= 2:
                a = stk[top - 2]
                b = stk[top - 1]
                if (zb[a] - zp) * (b - m) >= (zb[b] - zp) * (a - m):
                    top -= 1
                else:
                    break
            if top >= 1:
                b = stk[top - 1]
                res[m] = (zb[b] - zp) / (b - m)
            stk[top] = m
            top += 1
        if be < n:
            hn = 0
            nxt = be
            for m in range(bs, be):
                w = min(m + k, n - 1)
                while nxt <= w:
                    zr = zb[nxt]
                    if not math.isnan(zr):
                        while hn >= 2:
                            p1 = hull[hn - 2]
                            p2 = hull[hn - 1]
                            cross = (p2 - p1) * (zr - zb[p1]) - (zb[p2] - zb[p1]) * (nxt - p1)
                            if cross >= 0.0:
                                hn -= 1
                            else:
                                break
                        hull[hn] = nxt
                        hn += 1
                    nxt += 1
                zp = zb[m]
                if hn == 0 or math.isnan(zp):
                    continue
                lo = 0
                hi = hn - 1
                while lo < hi:
                    mid = (lo + hi) // 2
                    a = hull[mid]
                    b = hull[mid + 1]
                    if (zb[b] - zp) * (a - m) <= (zb[a] - zp) * (b - m):
                        hi = mid
                    else:
                        lo = mid + 1
                q = hull[lo]
                s = (zb[q] - zp) / (q - m)
                if s > res[m]:
                    res[m] = s
        bs = be


@pjit
def horizon_tan(z, azimuth, cellsize, max_distance, out):
    """Tangent of the horizon angle of every cell in one azimuth.

    Parameters
    ----------
    z : 2-D float array
        Surface heights, rows north to south, NaN for nodata. [m]
    azimuth : float
        Direction looked at, clockwise from north. [degrees]
    cellsize : float
        Side of a square cell. [m]
    max_distance : float
        Cells farther than this along the line are ignored. [m]
    out : 2-D float array, same shape as ``z``
        Output: tan of the horizon elevation angle (positive above the
        horizontal); ``-inf`` where no valid cell lies ahead within reach
        (the grid edge: the caller decides what lies beyond), NaN at nodata.

    Notes
    -----
    Exact on the discrete profile (see the module docstring); amortised
    O(1) per cell when ``max_distance`` spans the grid, O(log h) otherwise,
    h being the size of the hull. Lines run in parallel.

    References
    ----------
    .. [1] J. Dozier, J. Frew, "Rapid calculation of terrain parameters for
       radiation modeling from digital elevation data", IEEE TGRS 28(5),
       963-969, 1990. :doi:`10.1109/36.58986`
    """
    nrows, ncols = z.shape
    main_col, fwd, t = _geometry(azimuth)
    nu = ncols if main_col else nrows
    nv = nrows if main_col else ncols
    step = cellsize * math.sqrt(1.0 + t * t)
    k = max(1, int(max_distance / step + 1e-9))
    last = _off(t, nu - 1)
    c0 = -last if t >= 0.0 else 0
    c1 = nv - 1 if t >= 0.0 else nv - 1 - last
    nlines = c1 - c0 + 1
    nchunks = min(nlines, 256)
    per = (nlines + nchunks - 1) // nchunks
    for ch in prange(nchunks):
        zb = np.empty(nu)
        res = np.empty(nu)
        stk = np.empty(nu, np.int64)
        hull = np.empty(nu, np.int64)
        ia = np.empty(nu, np.int64)
        ja = np.empty(nu, np.int64)
        for c in range(c0 + ch * per, min(c0 + (ch + 1) * per, c1 + 1)):
            lo, hi = _u_range(t, c, nu, nv)
            n = hi - lo + 1
            if n <= 0:
                continue
            for m in range(n):
                u = lo + m
                v = c + _off(t, u)
                a = u if fwd > 0 else nu - 1 - u
                if main_col:
                    ia[m] = v
                    ja[m] = a
                else:
                    ia[m] = a
                    ja[m] = v
                zb[m] = z[ia[m], ja[m]]
            _sweep_line(zb, n, k, res, stk, hull)
            for m in range(n):
                if math.isnan(zb[m]):
                    out[ia[m], ja[m]] = np.nan
                else:
                    out[ia[m], ja[m]] = res[m] / step


@pjit
def horizon_tan_bruteforce(z, azimuth, cellsize, max_distance, out):
    """Same result as :func:`horizon_tan` by marching every ray: the test oracle.

    O(cells × samples within ``max_distance``). Kept for tests and benchmarks.
    """
    nrows, ncols = z.shape
    main_col, fwd, t = _geometry(azimuth)
    nu = ncols if main_col else nrows
    nv = nrows if main_col else ncols
    step = cellsize * math.sqrt(1.0 + t * t)
    k = max(1, int(max_distance / step + 1e-9))
    for ii in prange(nrows):
        i = np.int64(ii)
        for j in range(ncols):
            zp = z[i, j]
            if math.isnan(zp):
                out[i, j] = np.nan
                continue
            a = j if main_col else i
            v = i if main_col else j
            u = a if fwd > 0 else nu - 1 - a
            c = v - _off(t, u)
            best = -np.inf
            for s in range(1, k + 1):
                u2 = u + s
                if u2 >= nu:
                    break
                v2 = c + _off(t, u2)
                if v2 < 0 or v2 >= nv:
                    break
                a2 = u2 if fwd > 0 else nu - 1 - u2
                zq = z[v2, a2] if main_col else z[a2, v2]
                if math.isnan(zq):
                    continue
                sl = (zq - zp) / (s * step)
                if sl > best:
                    best = sl
            out[i, j] = best
