"""Horizon angles by a convex-hull sweep along raster lines (Dozier & Frew 1990).

Geometry
--------
For an azimuth ``phi`` (clockwise from north) the main axis is the grid axis
closest to ``phi`` (columns when ``|sin phi| >= |cos phi|``, else rows); one
step along a line moves one cell along the main axis and ``t`` cells
(``|t| <= 1``) along the other. Line ``c`` is the straight *track*
``v = c + t*u`` (``u`` counted in the direction of travel); its samples, one
per main-axis step, every ``cellsize * sqrt(1 + t**2)`` metres, take the
height of the surface on the track, interpolated linearly across the minor
axis between the two cells it passes. The cells whose centre is nearest to
track ``c`` (``v = c + floor(t*u + 0.5)``, less than half a cell away) belong
to it: every cell belongs to exactly one line.

A cell looks from the track point beside it, at the track's height there:
on any plane this is exact, so a tilted roof does not shade itself. Where the
two cells across the track differ by more than ``cellsize * tan(70°)`` (a
wall or a roof edge, not a plane) no interpolation is made: the track takes
the higher cell (an obstacle keeps its full height) and the cell looks from
its own height.

The horizon of a cell is the largest elevation angle of the samples ahead of
it on its line within ``max_distance``: the horizon of the *discrete
profile*. :func:`horizon_tan` computes it exactly with upper convex hulls,
:func:`horizon_tan_bruteforce` by marching every ray (the test oracle).
"""

from __future__ import annotations

import math

import numpy as np

from kernels._jit import inline, njit, pjit, prange


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
def runs_along_rows(azimuth):
    """True when lines of ``azimuth`` step along rows (north-south-ish directions).

    Such lines gather cells one row apart, a slow strided access; the same
    horizons come out of the transposed grid (see :func:`transposed_azimuth`),
    where the lines run along contiguous memory.
    """
    return not _geometry(azimuth)[0]


@njit
def transposed_azimuth(azimuth):
    """Azimuth, in the transposed grid ``z.T``, of the direction ``azimuth`` of ``z``. [degrees]

    Transposing swaps rows and columns, so (east, south) becomes (south, east):
    ``horizon_tan(z.T, transposed_azimuth(a), ...)`` equals
    ``horizon_tan(z, a, ...).T`` exactly (the lines and tracks are the same).
    """
    az = math.radians(azimuth)
    return math.degrees(math.atan2(-math.cos(az), -math.sin(az))) % 360.0


@njit
def line_step(azimuth, cellsize):
    """Horizontal distance between two consecutive samples of a line [m]."""
    t = _geometry(azimuth)[2]
    return cellsize * math.sqrt(1.0 + t * t)


@njit
def _off(t, u):
    return int(math.floor(t * u + 0.5))


@njit
def _delta(t, u, off):
    """Signed offset of a cell centre from its track, in cells (rounding noise below 1e-9 is 0)."""
    delta = off - t * u
    return 0.0 if abs(delta) < 1e-9 else delta


@njit
def _first(t, target, nu, sign, shift, base):
    """First u in [0, nu] with sign*off(u) >= sign*target (sign*off non-decreasing).

    ``off(u) = _off(t, u + shift) - base``: lines anchored to a global origin.
    """
    lo = 0
    hi = nu
    while lo < hi:
        mid = (lo + hi) // 2
        if sign * (_off(t, mid + shift) - base) >= sign * target:
            hi = mid
        else:
            lo = mid + 1
    return lo


@njit
def _u_range(t, c, nu, nv, shift, base):
    """Inclusive main-axis range of line ``c`` inside the grid (empty: lo > hi)."""
    if t >= 0.0:
        lo = _first(t, -c, nu, 1, shift, base)
        hi = _first(t, nv - c, nu, 1, shift, base) - 1
    else:
        lo = _first(t, nv - 1 - c, nu, -1, shift, base)
        hi = _first(t, -c - 1, nu, -1, shift, base) - 1
    return lo, hi


EDGE_SLOPE = 70.0
"""Cells differing by more than ``cellsize * tan(EDGE_SLOPE)`` are not interpolated. [degrees]"""


@njit
def _sample(z, main_col, fwd, nu, nv, t, c, u, jump, shift, base):
    """Track height and observer height of line ``c`` at ``u``, computed from scratch (oracle)."""
    off = _off(t, u + shift)
    delta = _delta(t, u + shift, off)
    off -= base
    nb = -1 if delta > 0.0 else (1 if delta < 0.0 else 0)
    a = u if fwd > 0 else nu - 1 - u
    return _track(z, main_col, a, c + off, nv, abs(delta), nb, jump)


@njit
def _setup(nrows, ncols, azimuth, cellsize, max_distance):
    """Line geometry of a direction: axis, sign, slope t, lengths, sample step [m], reach [samples], edge jump [m]."""
    main_col, fwd, t = _geometry(azimuth)
    nu = ncols if main_col else nrows
    nv = nrows if main_col else ncols
    step = cellsize * math.sqrt(1.0 + t * t)
    k = max(1, int(max_distance / step + 1e-9))
    jump = cellsize * math.tan(math.radians(EDGE_SLOPE))
    return main_col, fwd, t, nu, nv, step, k, jump


@njit
def _tangent(zt, idx, first, count, reverse, m, zq):
    """Index of the hull sample seen at the largest slope from (m, zq), left of the hull (binary search).

    The hull's samples are ``idx[first .. first+count-1]``, left to right, or
    right to left when ``reverse``.
    """
    lo = 0
    hi = count - 1
    while lo < hi:
        mid = (lo + hi) // 2
        a = idx[first + count - 1 - mid] if reverse else idx[first + mid]
        b = idx[first + count - 2 - mid] if reverse else idx[first + mid + 1]
        if (zt[b] - zq) * (a - m) <= (zt[a] - zq) * (b - m):
            hi = mid
        else:
            lo = mid + 1
    return idx[first + count - 1 - lo] if reverse else idx[first + lo]


@njit
def _sweep_line(zt, zo, n, k, res, stk, hull, low):
    """Largest slope (dz per sample) from each observer to the track ahead within k.

    The line is cut into blocks of ``k`` samples. The part of a window inside
    the cell's own block is answered by a backward sweep that keeps the upper
    convex hull of the samples ahead (amortised O(1) when the observer is on
    the track, a binary search otherwise); the part in the next block, a
    prefix that grows by one sample per step, by a forward hull and a binary
    search for the tangent (O(log hull)). The forward hull is only built as
    far as an observer needs it: one whose slope to the highest sample of
    the prefix, taken at the prefix's nearest distance, cannot beat what it
    already has skips the search. NaN samples, and samples below ``low``
    (-inf: none), neither obstruct nor get a value; NaN observers (``zo``)
    get no value; -inf means nothing lies ahead.
    """
    for m in range(n):
        res[m] = -np.inf
    bs = 0
    while bs < n:
        be = min(bs + k, n)
        top = 0
        for m in range(be - 1, bs - 1, -1):
            zs = zt[m]
            if not zs >= low:  # NaN or too low to matter
                continue
            zq = zo[m]
            on_track = zq == zs
            if not on_track and top >= 1 and not math.isnan(zq):
                q = _tangent(zt, stk, 0, top, True, m, zq)
                res[m] = (zt[q] - zq) / (q - m)
            while top >= 2:
                a = stk[top - 2]
                b = stk[top - 1]
                if (zt[a] - zs) * (b - m) >= (zt[b] - zs) * (a - m):
                    top -= 1
                else:
                    break
            if on_track and top >= 1:
                b = stk[top - 1]
                res[m] = (zt[b] - zs) / (b - m)
            stk[top] = m
            top += 1
        if be < n:
            hn = 0
            built = be  # next sample of the prefix to enter the hull (built only when a search needs it)
            nxt = be
            top_z = -np.inf  # highest sample of the prefix
            for m in range(bs, be):
                w = min(m + k, n - 1)
                while nxt <= w:
                    zr = zt[nxt]
                    if zr > top_z and zr >= low:
                        top_z = zr
                    nxt += 1
                zq = zo[m]
                if top_z == -np.inf or math.isnan(zq):
                    continue
                gap = top_z - zq  # the prefix's samples lie be - m to w - m samples ahead: bound their slope
                if (gap / (be - m) if gap >= 0.0 else gap / (w - m)) <= res[m]:
                    continue
                while built <= w:
                    zr = zt[built]
                    if zr >= low:
                        while hn >= 2:
                            p1 = hull[hn - 2]
                            p2 = hull[hn - 1]
                            cross = (p2 - p1) * (zr - zt[p1]) - (zt[p2] - zt[p1]) * (built - p1)
                            if cross >= 0.0:
                                hn -= 1
                            else:
                                break
                        hull[hn] = built
                        hn += 1
                    built += 1
                q = _tangent(zt, hull, 0, hn, False, m, zq)
                s = (zt[q] - zq) / (q - m)
                if s > res[m]:
                    res[m] = s
        bs = be


@njit
def _line_tables(t, nu, shift, base):
    """Per main-axis step: minor offset of the line's cell, interpolation weight, side of the neighbour."""
    offs = np.empty(nu, np.int64)
    wts = np.empty(nu)
    nbs = np.empty(nu, np.int64)
    for u in range(nu):
        off = _off(t, u + shift)
        delta = _delta(t, u + shift, off)
        offs[u] = off - base
        wts[u] = abs(delta)
        nbs[u] = -1 if delta > 0.0 else (1 if delta < 0.0 else 0)
    return offs, wts, nbs


@inline
def _track(z, main_col, a, v, nv, w, nb, jump):
    """Track height and observer height beside cell (minor ``v``, main ``a``).

    ``w`` is the distance from the cell centre to the track [cells], ``nb`` the
    side (-1, +1) of the neighbour the track passes towards (0: on the centre).
    Interpolates across the track unless the two cells differ by more than
    ``jump`` (an edge: the track takes the higher, the observer its own cell).
    """
    za = z[v, a] if main_col else z[a, v]
    if math.isnan(za):
        return np.nan, np.nan
    if nb == 0:
        return za, za
    vb = v + nb
    if vb < 0 or vb >= nv:
        vc = v - nb
        if vc < 0 or vc >= nv:
            return za, za
        zc = z[vc, a] if main_col else z[a, vc]
        if math.isnan(zc) or abs(za - zc) > jump:
            return za, za
        zt = za - w * (zc - za)
        return zt, zt
    zb = z[vb, a] if main_col else z[a, vb]
    if math.isnan(zb):
        return za, za
    if abs(za - zb) <= jump:
        zt = (1.0 - w) * za + w * zb
        return zt, zt
    return max(za, zb), za


@njit
def _anchor(main_col, fwd, t, nu, row0, col0):
    """Shift of the main-axis step count and base offset that anchor the lines to the global grid.

    ``row0``, ``col0``: global indices of cell [0, 0] (e.g. -y_top / cellsize and
    x_left / cellsize). Lines and tracks then depend on the cells' global
    position only, so a window of a larger grid gets the same horizons as the
    larger grid within the window (the tiles of a run agree with one raster).
    """
    a0 = col0 if main_col else row0
    shift = a0 if fwd > 0 else -(a0 + nu - 1)
    return shift, _off(t, shift)


def horizon_tan(z, azimuth, cellsize, max_distance, out, row0=0, col0=0, need=None, blocks=None, floor=-np.inf):
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
        Samples farther than this along the line are ignored. [m]
    out : 2-D float array, same shape as ``z``
        Output: tan of the horizon elevation angle (positive above the
        horizontal); ``-inf`` where no valid sample lies ahead within reach
        (the grid edge: the caller decides what lies beyond), NaN at nodata.
    row0, col0 : int, optional
        Global indices of cell [0, 0]: the lines are laid on the global grid,
        so a window of a larger grid gets the larger grid's horizons in every
        cell whose reach lies inside the window. Default 0.
    need : 2-D bool or uint8 array, optional
        The cells whose horizon is wanted (e.g. a tile's roofs): only the parts
        of each line from a needed cell to ``max_distance`` beyond it are
        traced, lines without a needed cell are skipped, and ``out``
        is left unchanged where ``need`` is false (fill it with NaN first).
        The needed cells get exactly the values of a run without ``need``.
        Default: every cell.
    blocks : 2-D uint8 array, optional
        :func:`need_blocks` of ``need``, when the caller sweeps the same mask
        in many directions. Default: computed here.
    floor : float, optional
        Smallest tangent wanted: ``out`` gets ``max(tan, floor)``. The engine
        clamps terrain horizons at 0 (the far ground of a flat territory), so
        it passes 0; samples lower than every observer of a line part then
        cannot matter and stay out of the hulls (on roofs, the ground between
        them: the sweep takes about half the time). Default ``-inf``: the
        exact angles, negative ones included.

    Notes
    -----
    Exact on the discrete profile (see the module docstring); amortised
    O(1) per cell when ``max_distance`` spans the grid and the cell is not
    at an edge, O(log h) otherwise, h being the size of the hull. Chunks of
    neighbouring lines run in parallel; memory is O(cells) whatever the
    number of directions.

    References
    ----------
    .. [1] J. Dozier, J. Frew, "Rapid calculation of terrain parameters for
       radiation modeling from digital elevation data", IEEE TGRS 28(5),
       963-969, 1990. :doi:`10.1109/36.58986`
    """
    if need is None:
        _horizon_tan(z, float(azimuth), float(cellsize), float(max_distance), out, int(row0), int(col0),
                     _NO_MASK, _NO_MASK, False, float(floor))
    else:
        if need.shape != z.shape:
            raise ValueError(f"horizon_tan: need has shape {need.shape}, z has {z.shape}")
        need = need.view(np.uint8) if need.dtype == np.bool_ else need
        if blocks is None:
            blocks = need_blocks(need)
        _horizon_tan(z, float(azimuth), float(cellsize), float(max_distance), out, int(row0), int(col0),
                     need, blocks, True, float(floor))


_NO_MASK = np.ones((1, 1), np.uint8)

NEED_BLOCK_SHIFT = 4
"""Blocks of 16 x 16 cells summarise the mask of needed cells (:func:`need_blocks`)."""


@njit
def _any_in_blocks(need, out):
    for i in range(need.shape[0]):
        bi = i >> NEED_BLOCK_SHIFT
        for j in range(need.shape[1]):
            if need[i, j] != 0:
                out[bi, j >> NEED_BLOCK_SHIFT] = 1


def need_blocks(need: np.ndarray) -> np.ndarray:
    """1 where a block of 16 x 16 cells of ``need`` holds a needed cell (uint8): lets the sweep skip empty ground."""
    n = 1 << NEED_BLOCK_SHIFT
    out = np.zeros(((need.shape[0] + n - 1) // n, (need.shape[1] + n - 1) // n), np.uint8)
    _any_in_blocks(need.view(np.uint8) if need.dtype == np.bool_ else need, out)
    return out


@njit
def _lines(main_col, fwd, t, nu, nv, row0, col0, max_chunks):
    """The lines of a direction anchored at global (row0, col0): anchor, per-step tables, first and last
    line index, and their split into at most ``max_chunks`` chunks of ``per`` neighbouring lines."""
    shift, base = _anchor(main_col, fwd, t, nu, row0, col0)
    offs, wts, nbs = _line_tables(t, nu, shift, base)
    last = offs[nu - 1]
    c0 = -last if t >= 0.0 else 0
    c1 = nv - 1 if t >= 0.0 else nv - 1 - last
    nchunks = min(c1 - c0 + 1, max_chunks)
    per = (c1 - c0 + nchunks) // nchunks
    return shift, base, offs, wts, nbs, c0, c1, nchunks, per


@njit
def _trace(z, main_col, fwd, c, lo, hi, offs, wts, nbs, nu, nv, jump, k, step, zt, zo, res, stk, hull, wanted, out,
           need, use_need, floor):
    """Sweep steps ``lo..hi`` of line ``c`` and write the horizon of its (needed) cells into ``out``.

    Only needed cells are observers. With a ``floor`` (> -inf), samples lower
    than the lowest observer by more than the floor allows are left out of the
    hulls: they cannot raise any observer's horizon above the floor.
    """
    n = hi - lo + 1
    count = 0
    lowest = np.inf
    for m in range(n):
        u = lo + m
        a = u if fwd > 0 else nu - 1 - u
        v = c + offs[u]
        ts, os_ = _track(z, main_col, a, v, nv, wts[u], nbs[u], jump)
        zt[m] = ts
        if use_need and (need[v, a] if main_col else need[a, v]) == 0:
            zo[m] = np.nan
            continue
        zo[m] = os_
        wanted[count] = m
        count += 1
        if os_ < lowest:
            lowest = os_
    if count == 0:
        return
    if lowest < np.inf:  # some observer has a height
        low = -np.inf
        if floor > -np.inf:
            low = lowest + (floor * k * step if floor < 0.0 else 0.0)
        _sweep_line(zt, zo, n, k, res, stk, hull, low)
    for i in range(count):
        m = wanted[i]
        u = lo + m
        a = u if fwd > 0 else nu - 1 - u
        v = c + offs[u]
        val = np.nan
        if not math.isnan(zo[m]):
            val = res[m] / step
            if val < floor:
                val = floor
        if main_col:
            out[v, a] = val
        else:
            out[a, v] = val


@pjit
def _horizon_tan(z, azimuth, cellsize, max_distance, out, row0, col0, need, blocks, use_need, floor):
    """:func:`horizon_tan` with the mask always given (``use_need`` false: every cell).

    With ``use_need`` a line is traced in segments: each group of needed cells
    from its first cell to ``k`` samples beyond its last, a new group starting
    at a needed cell farther than that from the previous one (the samples
    between are nobody's horizon).
    """
    nrows, ncols = z.shape
    main_col, fwd, t, nu, nv, step, k, jump = _setup(nrows, ncols, azimuth, cellsize, max_distance)
    shift, base, offs, wts, nbs, c0, c1, nchunks, per = _lines(main_col, fwd, t, nu, nv, row0, col0, 128)
    for ch in prange(nchunks):
        zt = np.empty(nu)
        zo = np.empty(nu)
        res = np.empty(nu)
        stk = np.empty(nu, np.int64)
        hull = np.empty(nu, np.int64)
        wanted = np.empty(nu, np.int64)
        for c in range(c0 + ch * per, min(c0 + (ch + 1) * per, c1 + 1)):
            lo, hi = _u_range(t, c, nu, nv, shift, base)
            if hi < lo:
                continue
            if not use_need:
                _trace(z, main_col, fwd, c, lo, hi, offs, wts, nbs, nu, nv, jump, k, step, zt, zo, res, stk, hull,
                       wanted, out, need, use_need, floor)
                continue
            start = -1
            final = -1
            u = lo
            while u <= hi:
                # the steps of this line inside one block column: skipped at once when the (at most two)
                # blocks they cross hold no needed cell
                a = u if fwd > 0 else nu - 1 - u
                ab = a >> NEED_BLOCK_SHIFT
                ue = min(hi, u + (((ab + 1) << NEED_BLOCK_SHIFT) - 1 - a if fwd > 0 else a - (ab << NEED_BLOCK_SHIFT)))
                vb1 = (c + offs[u]) >> NEED_BLOCK_SHIFT
                vb2 = (c + offs[ue]) >> NEED_BLOCK_SHIFT
                if main_col:
                    empty = blocks[vb1, ab] == 0 and blocks[vb2, ab] == 0
                else:
                    empty = blocks[ab, vb1] == 0 and blocks[ab, vb2] == 0
                if not empty:
                    for uu in range(u, ue + 1):
                        a = uu if fwd > 0 else nu - 1 - uu
                        v = c + offs[uu]
                        if (need[v, a] if main_col else need[a, v]) != 0:
                            if start < 0:
                                start = uu
                            elif uu > final + k:
                                _trace(z, main_col, fwd, c, start, final + k, offs, wts, nbs, nu, nv, jump, k, step,
                                       zt, zo, res, stk, hull, wanted, out, need, use_need, floor)
                                start = uu
                            final = uu
                u = ue + 1
            if start >= 0:
                _trace(z, main_col, fwd, c, start, min(hi, final + k), offs, wts, nbs, nu, nv, jump, k, step, zt, zo,
                       res, stk, hull, wanted, out, need, use_need, floor)


@pjit
def horizon_tan_bruteforce(z, azimuth, cellsize, max_distance, out, row0=0, col0=0):
    """Same result as :func:`horizon_tan` by marching every ray: the test oracle.

    O(cells × samples within ``max_distance``). Kept for tests and benchmarks.
    """
    nrows, ncols = z.shape
    main_col, fwd, t, nu, nv, step, k, jump = _setup(nrows, ncols, azimuth, cellsize, max_distance)
    shift, base = _anchor(main_col, fwd, t, nu, row0, col0)
    for ii in prange(nrows):
        i = np.int64(ii)
        for j in range(ncols):
            a = j if main_col else i
            v = i if main_col else j
            u = a if fwd > 0 else nu - 1 - a
            c = v - (_off(t, u + shift) - base)
            zq = _sample(z, main_col, fwd, nu, nv, t, c, u, jump, shift, base)[1]
            if math.isnan(zq):
                out[i, j] = np.nan
                continue
            best = -np.inf
            for s in range(1, k + 1):
                u2 = u + s
                if u2 >= nu:
                    break
                v2 = c + _off(t, u2 + shift) - base
                if v2 < 0 or v2 >= nv:
                    break
                zs = _sample(z, main_col, fwd, nu, nv, t, c, u2, jump, shift, base)[0]
                if math.isnan(zs):
                    continue
                sl = (zs - zq) / (s * step)
                if sl > best:
                    best = sl
            out[i, j] = best
