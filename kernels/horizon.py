"""Horizon angles by a convex-hull sweep along raster lines (Dozier & Frew 1990).

Surface
-------
The lines and their tracks are those of :mod:`kernels.lines`. Along its track
a line's *profile* is the surface that the DSM describes. Two neighbouring
cells that differ by at most ``cellsize * tan(70°)`` lie on one surface,
interpolated linearly between their centres (any plane is exact); two that
differ by more meet at a vertical wall on their common cell edge, each keeping
its own height up to it. The profile is piecewise linear, with vertices

- at every main-axis step, where the track crosses the centre line of a row
  or column of cells (the *sample*): the height interpolated across the track
  between the two cells it passes; when the other cell is beyond a wall, the
  height of the cell the track point lies in, continued as a plane from its
  neighbour on the other side when they lie on one surface;
- at every wall the track crosses, at the exact point where it crosses the
  cell edge (a main-axis edge half a step after a sample, or a minor-axis edge
  anywhere between two samples), with the top of the taller cell.

A wall is therefore seen at its true place: from a cell at its foot it stands
half a cell away, and a track running nearly along a wall meets it where it
crosses the wall's edge, not at the next sample.

Observers
---------
A cell's observer stands on its line at its sample, at the sample's height (at
a wall, at the cell's own height, so that the top of a roof edge does not look
up at itself). That point lies up to half a cell beside the cell's centre,
across the track. The horizon *of the cell* is the one seen from its centre,
from the horizons of its own track and of the parallel track on the other
side of the centre (the track of the neighbour across, one cell away, when it
lies on the same surface): when both are made by one wall (obstacles of the
same height, less than 64 cells apart) the obstacle's distance and height are
interpolated linearly across the tracks, which is exact for a straight wall;
otherwise the tangents are. A cell between its track and a wall extrapolates
from the track on its other side the same way (:func:`_centred`). Equal
horizons stay as they are, so a tilted roof still never shades itself.

:func:`horizon_tan` computes the horizon of each track point exactly on the
piecewise-linear profile with upper convex hulls, :func:`horizon_tan_bruteforce`
by marching every ray (the test oracle); both then interpolate to the centres
the same way.
"""

from __future__ import annotations

import math

import numpy as np

from kernels._jit import inline, njit, pjit, prange
from kernels.lines import (
    EDGE_SLOPE,
    anchor,
    centre_offset,
    line_step,
    lines,
    offset,
    runs_along_rows,
    setup,
    transposed_azimuth,
    u_range,
)

__all__ = [
    "centre_cells",
    "centre_horizons",
    "horizon_tan",
    "horizon_tan_bruteforce",
    "line_step",
    "need_blocks",
    "need_marks",
    "runs_along_rows",
    "transposed_azimuth",
]


@inline
def _cell(z, main_col, a, v):
    """Height of the cell at main index ``a``, minor index ``v``."""
    return z[v, a] if main_col else z[a, v]


@inline
def _partner(z, main_col, a, v, nv, nb):
    """Height of the other cell the track passes at step ``a`` (``v + nb``), NaN when none or outside the grid."""
    vb = v + nb
    if nb == 0 or vb < 0 or vb >= nv:
        return np.nan
    return _cell(z, main_col, a, vb)


@inline
def _sample(z, main_col, a, v, za, zb, nv, w, nb, jump):
    """Track height and observer height beside cell (minor ``v``, main ``a``), of height ``za``.

    ``w`` is the distance from the cell centre to the track [cells], ``nb`` the
    side (-1, +1) of the other cell the track passes (0: through the centre),
    ``zb`` that cell's height (:func:`_partner`). Interpolates across the
    track when the two cells lie on one surface; else the track point is on
    the cell itself, continued as the plane through its neighbour on the other
    side (or flat). The observer stands at the track point, except beside a
    wall, where it takes the cell's own height.
    """
    if math.isnan(za):
        return np.nan, np.nan
    if nb == 0:
        return za, za
    if not math.isnan(zb) and abs(za - zb) <= jump:
        zt = (1.0 - w) * za + w * zb
        return zt, zt
    zt = za
    vc = v - nb
    if 0 <= vc < nv:
        zc = _cell(z, main_col, a, vc)
        if not math.isnan(zc) and abs(za - zc) <= jump:
            zt = za - w * (zc - za)
    if math.isnan(zb):  # the grid edge or nodata beyond: the observer stays on its plane
        return zt, zt
    return zt, za


@inline
def _wall(p, q, jump):
    """Top of a wall between two cells of heights ``p`` and ``q`` [m], NaN when they lie on one surface."""
    if math.isnan(p) or math.isnan(q) or abs(p - q) <= jump:
        return np.nan
    return max(p, q)


@njit
def _crossing(t, delta0, s):
    """Where a track leaves its cell's row or column across the minor axis between two steps.

    ``delta0``: the signed offset of the first cell's centre from the track
    [cells], ``s`` (+1, -1) the side it leaves towards. Returns the position
    after the first sample [steps], within (0, 1); exactly 0.5 through a corner.
    """
    xm = (0.5 * s + delta0) / t  # the track reaches the cell edge s/2 from the centre
    return min(max(xm, 1e-9), 1.0 - 1e-9)


@njit
def _crossings(t, offs, wts, nbs):
    """Per step ``u`` of the lines of a direction, :func:`_crossing` towards step ``u + 1`` (NaN: none)."""
    nu = offs.shape[0]
    out = np.full(nu, np.nan)
    for u in range(nu - 1):
        s = offs[u + 1] - offs[u]
        if s != 0:
            out[u] = _crossing(t, -nbs[u] * wts[u], s)
    return out


@inline
def _walls(za, zc, zbm, zbn, xm, jump):
    """Walls the track crosses between the samples of two consecutive steps whose cells differ across the line.

    ``za``, ``zc``: the line's cells at the two steps; ``zbm`` the cell beside
    the first across the line (where the track goes when it crosses the
    minor-axis edge first), ``zbn`` the cell beside the second (when it crosses
    the main-axis edge first); ``xm``: where it crosses the minor-axis edge
    (:func:`_crossing`), 0.5 through a corner, where both side cells touch it.
    Returns two (position after the first sample [steps], wall top [m]) pairs
    in order of position, NaN heights where no wall is crossed.
    """
    if abs(xm - 0.5) < 1e-9:
        h = np.nan
        for w in (_wall(za, zbm, jump), _wall(zbm, zc, jump), _wall(za, zbn, jump), _wall(zbn, zc, jump)):
            if not math.isnan(w) and not w <= h:
                h = w
        return 0.5, h, 0.5, np.nan
    if xm < 0.5:  # across the minor edge first, then the main edge
        return xm, _wall(za, zbm, jump), 0.5, _wall(zbm, zc, jump)
    return 0.5, _wall(za, zbn, jump), xm, _wall(zbn, zc, jump)


@njit
def _tangent(px, pz, idx, count, reverse, x, zq):
    """Index of the hull vertex seen at the largest slope from (x, zq), left of the hull (binary search);
    the farther one on a tie.

    The hull's vertices are ``idx[0 .. count-1]``, left to right, or right to
    left when ``reverse``; ``px`` their positions, ``pz`` their heights.
    """
    lo = 0
    hi = count - 1
    while lo < hi:
        mid = (lo + hi) // 2
        a = idx[count - 1 - mid] if reverse else idx[mid]
        b = idx[count - 2 - mid] if reverse else idx[mid + 1]
        if (pz[b] - zq) * (px[a] - x) < (pz[a] - zq) * (px[b] - x):
            hi = mid
        else:
            lo = mid + 1
    return idx[count - 1 - lo] if reverse else idx[lo]


@njit
def _sweep_line(px, pz, po, col, cidx, obs, count, n, k, res, rdz, stk, hull, low):
    """Largest slope (dz per step) from each observer to the profile ahead within k steps.

    The profile's vertices are at positions ``px`` [steps], heights ``pz``;
    the sample of step ``m`` is vertex ``cidx[m]`` (``cidx[n]``: the vertex
    count), at position ``m``; ``col[i]`` is ``m`` when vertex ``i`` is the
    sample of an observer (height ``po[i]``), else -1; ``obs[:count]``: the
    observers' vertices, in order.

    The steps are cut into blocks of ``k``. The part of a window inside the
    observer's own block is answered by a backward sweep that keeps the upper
    convex hull of the vertices ahead (amortised O(1) when the observer stands
    on its sample, a binary search otherwise); the part in the next block, a
    prefix that grows by one step at a time, by a forward hull and a binary
    search for the tangent (O(log hull)). The forward hull is only built as
    far as an observer needs it: one whose slope to the highest vertex of the
    prefix, taken at the prefix's nearest distance, cannot beat what it
    already has skips the search. Among vertices seen at the same largest
    slope the farthest is the one reported (its height goes into ``rdz``), as
    the ray march does, whatever the segment traced. NaN vertices, and
    vertices below ``low``
    (-inf: none), neither obstruct nor get a value; NaN observers get no
    value; -inf means nothing lies ahead. ``rdz[m]``: the height of the vertex
    that makes the horizon above the observer [m].
    """
    for j in range(count):
        m = col[obs[j]]
        res[m] = -np.inf
        rdz[m] = np.nan
    first = 0  # the first observer of the block
    bs = 0
    while bs < n:
        be = min(bs + k, n)
        top = 0
        for i in range(cidx[be] - 1, cidx[bs] - 1, -1):
            zs = pz[i]
            m = col[i]
            push = zs >= low  # False for NaN
            if not push and m < 0:  # most of a line: ground below every observer, or nodata
                continue
            xi = px[i]
            zq = po[i] if m >= 0 else np.nan
            on_sample = push and zq == zs
            if not on_sample and top >= 1 and not math.isnan(zq):
                q = _tangent(px, pz, stk, top, True, xi, zq)
                res[m] = (pz[q] - zq) / (px[q] - xi)
                rdz[m] = pz[q] - zq
            if not push:
                continue
            while top >= 2:
                a = stk[top - 2]
                b = stk[top - 1]
                if (pz[a] - zs) * (px[b] - xi) >= (pz[b] - zs) * (px[a] - xi):
                    top -= 1
                else:
                    break
            if on_sample and top >= 1:
                b = stk[top - 1]
                res[m] = (pz[b] - zs) / (px[b] - xi)
                rdz[m] = pz[b] - zs
            stk[top] = i
            top += 1
        if be < n:
            hn = 0
            built = cidx[be]  # next vertex of the prefix to enter the hull (built only when a search needs it)
            nxt = cidx[be]
            top_z = -np.inf  # highest vertex of the prefix
            while first < count and col[obs[first]] < bs:
                first += 1
            for j in range(first, count):
                i = obs[j]
                m = col[i]
                if m >= be:
                    break
                w = min(m + k, n - 1)
                wend = cidx[w]  # the last vertex within reach: the sample of step w
                while nxt <= wend:
                    zr = pz[nxt]
                    if zr > top_z and zr >= low:
                        top_z = zr
                    nxt += 1
                zq = po[i]
                if top_z == -np.inf or math.isnan(zq):
                    continue
                gap = top_z - zq  # the prefix's vertices lie be - m to w - m steps ahead: bound their slope
                if (gap / (be - m) if gap >= 0.0 else gap / (w - m)) < res[m]:
                    continue
                while built <= wend:
                    zr = pz[built]
                    if zr >= low:
                        xr = px[built]
                        while hn >= 2:
                            p1 = hull[hn - 2]
                            p2 = hull[hn - 1]
                            cross = (px[p2] - px[p1]) * (zr - pz[p1]) - (pz[p2] - pz[p1]) * (xr - px[p1])
                            if cross >= 0.0:
                                hn -= 1
                            else:
                                break
                        hull[hn] = built
                        hn += 1
                    built += 1
                if hn == 0:
                    continue
                q = _tangent(px, pz, hull, hn, False, float(m), zq)
                s = (pz[q] - zq) / (px[q] - m)
                if s >= res[m]:  # on a tie the farther vertex
                    res[m] = s
                    rdz[m] = pz[q] - zq
        bs = be


@inline
def _wanted(marks, main_col, a, v):
    """True when cell (v, a) is wanted or a neighbour, across the lines, of a wanted cell (see :func:`need_marks`)."""
    return ((marks[v, a] & ACROSS_ROWS) if main_col else (marks[a, v] & ACROSS_COLUMNS)) != 0


@njit
def _profile(z, main_col, fwd, c, lo, hi, offs, wts, nbs, xms, nu, nv, jump, marks, use_need, px, pz, po, col,
             cidx, obs):
    """Vertices of line ``c`` from step ``lo`` to ``hi`` (see :func:`_sweep_line`); observers: the traced cells.

    Returns the lowest observer height (inf: no observer with a height) and
    the number of observers.
    """
    n = hi - lo + 1
    ns = 0
    lowest = np.inf
    count = 0
    a_prev = -1
    v_prev = -1
    z_prev = np.nan
    zb_prev = np.nan
    nb_prev = 0
    for m in range(n):
        u = lo + m
        a = u if fwd > 0 else nu - 1 - u
        v = c + offs[u]
        za = _cell(z, main_col, a, v)
        nb = nbs[u]
        zb = _partner(z, main_col, a, v, nv, nb)
        if m > 0 and v == v_prev:  # the edge across the line between the previous step and this one
            d = za - z_prev
            if d > jump or d < -jump:  # a wall (False with NaN)
                px[ns] = m - 0.5
                pz[ns] = za if d > 0.0 else z_prev
                col[ns] = -1
                ns += 1
        elif m > 0:  # the track also crosses an edge along the line: up to two walls
            sd = v - v_prev
            xm = xms[u - 1]
            corner = abs(xm - 0.5) < 1e-9
            zbm = np.nan
            zbn = np.nan
            if corner or xm < 0.5:  # the cells beside are those the tracks pass at the two steps (already read)
                zbm = zb_prev if nb_prev == sd else _cell(z, main_col, a_prev, v)
            if corner or xm > 0.5:
                zbn = zb if nb == -sd else _cell(z, main_col, a, v_prev)
            x1, h1, x2, h2 = _walls(z_prev, za, zbm, zbn, xm, jump)
            if not math.isnan(h1):
                px[ns] = m - 1 + x1
                pz[ns] = h1
                col[ns] = -1
                ns += 1
            if not math.isnan(h2):
                px[ns] = m - 1 + x2
                pz[ns] = h2
                col[ns] = -1
                ns += 1
        zs, zo = _sample(z, main_col, a, v, za, zb, nv, wts[u], nb, jump)
        cidx[m] = ns
        px[ns] = m
        pz[ns] = zs
        if not use_need or _wanted(marks, main_col, a, v):
            col[ns] = m
            po[ns] = zo
            obs[count] = ns
            count += 1
            if zo < lowest:
                lowest = zo
        else:
            col[ns] = -1
        ns += 1
        a_prev, v_prev, z_prev, zb_prev, nb_prev = a, v, za, zb, nb
    cidx[n] = ns
    return lowest, count


@njit
def _trace(z, main_col, fwd, c, lo, hi, offs, wts, nbs, xms, nu, nv, jump, k, step, px, pz, po, col, cidx, obs, res,
           rdz, stk, hull, out, dz, marks, use_need, floor):
    """Sweep steps ``lo..hi`` of line ``c`` and write the horizon of its traced cells' track points into ``out``.

    With a ``floor`` (> -inf), vertices lower than the lowest observer by more
    than the floor allows are left out of the hulls: they cannot raise any
    observer's horizon above the floor.
    """
    n = hi - lo + 1
    lowest, count = _profile(z, main_col, fwd, c, lo, hi, offs, wts, nbs, xms, nu, nv, jump, marks, use_need, px, pz,
                             po, col, cidx, obs)
    if count == 0:
        return
    if lowest < np.inf:  # some observer has a height
        low = -np.inf
        if floor > -np.inf:
            low = lowest + (floor * k * step if floor < 0.0 else 0.0)
        _sweep_line(px, pz, po, col, cidx, obs, count, n, k, res, rdz, stk, hull, low)
    for j in range(count):
        i = obs[j]
        m = col[i]
        u = lo + m
        a = u if fwd > 0 else nu - 1 - u
        v = c + offs[u]
        val = np.nan
        dh = np.nan
        if not math.isnan(po[i]):
            val = res[m] / step
            dh = rdz[m]
            if val < floor:
                val = floor
                dh = np.nan
        if main_col:
            out[v, a] = val
            dz[v, a] = dh
        else:
            out[a, v] = val
            dz[a, v] = dh


@pjit
def _centre(z, out, dz, main_col, fwd, t, nu, nv, shift, jump, span, marks, blocks, use_need, floor):
    """Horizon of each cell's centre from those of the tracks on either side of it (in place, see :func:`_centred`).

    All cells of a step lie on the same side ``s`` of their tracks; sweeping
    ``v`` towards ``s`` reads each neighbour ``v + s`` before it is updated,
    and keeps the track values of ``v - s`` as they were. With ``use_need``
    only needed cells change, and blocks without one are skipped.
    """
    nb_blk = 1 << NEED_BLOCK_SHIFT
    for a in prange(nu):
        u = a if fwd > 0 else nu - 1 - a
        off = offset(t, u + shift)
        delta = centre_offset(t, u + shift, off)
        if delta == 0.0:
            continue
        w = abs(delta)
        s = 1 if delta > 0.0 else -1
        ab = a >> NEED_BLOCK_SHIFT
        prev = np.nan  # the track horizon of the cell before (v - s), before it was centred, and its height
        prev_dz = np.nan
        i = 0
        while i < nv:
            v = i if s > 0 else nv - 1 - i
            if use_need:
                vb_blk = v >> NEED_BLOCK_SHIFT
                if (blocks[vb_blk, ab] if main_col else blocks[ab, vb_blk]) == 0:
                    # skip the rest of this block of the minor axis (no needed cell, nor a neighbour of one)
                    i += (nb_blk - (v & (nb_blk - 1))) if s > 0 else ((v & (nb_blk - 1)) + 1)
                    prev = np.nan
                    continue
            i += 1
            h = out[v, a] if main_col else out[a, v]
            dh = dz[v, a] if main_col else dz[a, v]
            back, back_dz = prev, prev_dz
            prev, prev_dz = h, dh
            if use_need and ((marks[v, a] if main_col else marks[a, v]) & WANTED) == 0:
                continue
            val = _centred(z, out, dz, main_col, a, v, s, nv, h, dh, back, back_dz, w, jump, span)
            if val < floor:
                val = floor
            if main_col:
                out[v, a] = val
            else:
                out[a, v] = val


SAME_WALL = 0.25
"""Largest relative difference of the heights of the obstacles two tracks see, to take them as one wall."""
SAME_WALL_GAP = 64
"""Largest difference of their distances, in cells: a wall within 0.9° of the rays (one cell across, 64 along)."""


@inline
def _one_wall(p, dp, q, dq, span):
    """True when two neighbouring tracks' horizons (tangents ``p``, ``q``) look like one wall: obstacle tops
    ``dp``, ``dq`` metres above their observers within :data:`SAME_WALL` of each other, at distances
    (``dp / p`` and ``dq / q``) less than ``span`` metres apart."""
    if not (p > 0.0 and q > 0.0 and dp > 0.0 and dq > 0.0):  # False for NaN
        return False
    return abs(dp - dq) <= SAME_WALL * max(dp, dq) and abs(dp / p - dq / q) <= span


@inline
def _centred(z, out, dz, main_col, a, v, s, nv, h, dh, hc, dhc, w, jump, span):
    """Horizon of the centre of cell ``v``, ``w`` cells from its track (horizon ``h``, obstacle height ``dh``)
    towards the track of ``v + s``; ``hc``, ``dhc``: the track of ``v - s``, on the other side.

    When both tracks see one wall (:func:`_one_wall`), the obstacle's distance
    (``dh / h``) and height are interpolated linearly across the tracks, which
    is exact for a straight wall whose top is level or uniformly sloping;
    otherwise the tangents are. Beside a wall (``v + s`` on another surface)
    the same is extrapolated from the track of ``v - s``, within the bounds of
    the wall case, or the cell keeps its own track's horizon.
    """
    if not abs(h) < np.inf:  # NaN or nothing ahead
        return h
    za = _cell(z, main_col, a, v)
    vb = v + s
    if 0 <= vb < nv:
        zb = _cell(z, main_col, a, vb)
        if abs(za - zb) <= jump:
            hb = out[vb, a] if main_col else out[a, vb]
            if not abs(hb) < np.inf or hb == h:  # equal horizons (a plane) stay exactly as they are
                return h
            dhb = dz[vb, a] if main_col else dz[a, vb]
            if _one_wall(h, dh, hb, dhb, span):
                val = ((1.0 - w) * dh + w * dhb) / ((1.0 - w) * dh / h + w * dhb / hb)
            else:
                val = (1.0 - w) * h + w * hb
            return min(max(val, min(h, hb)), max(h, hb))
    # the centre lies between its track and a wall (or nodata, or the grid edge)
    vc = v - s
    if vc < 0 or vc >= nv or hc == h or not _one_wall(h, dh, hc, dhc, span):
        return h
    zc = _cell(z, main_col, a, vc)
    if not abs(za - zc) <= jump:
        return h
    dist = (1.0 + w) * dh / h - w * dhc / hc
    height = (1.0 + w) * dh - w * dhc
    lo = h / (1.0 + 2.0 * w)  # the wall case: the track 1/2 + w cells from the face, the centre 1/2
    hi = h * (1.0 + 2.0 * w)
    if dist <= 0.0 or height <= 0.0:
        return hi if height > 0.0 else lo
    return min(max(height / dist, lo), hi)


def centre_horizons(z, out, height, azimuth, cellsize, row0=0, col0=0, need=None, blocks=None, floor=-np.inf,
                    marks=None):
    """Turn the track-point horizons of ``horizon_tan(..., centre=False)`` into the cells' centre horizons.

    In place on ``out``; ``height`` is the ``height`` output of
    :func:`horizon_tan`; the other arguments are those of :func:`horizon_tan`
    (the centred horizons are no lower than ``floor`` either). Call it after
    anything that raises the track-point horizons (the far field, which then
    sets ``height`` to NaN), so that a cell's horizon comes from the complete
    horizons of the tracks beside its centre.
    """
    azimuth, cellsize = float(azimuth), float(cellsize)
    marks, blocks, use_need = _masks(z, need, blocks, marks, cellsize)
    nrows, ncols = z.shape
    main_col, fwd, t, nu, nv, _step, _k, jump = setup(nrows, ncols, azimuth, cellsize, 1.0)
    shift, _base = anchor(main_col, fwd, t, nu, int(row0), int(col0))
    _centre(z, out, height, main_col, fwd, t, nu, nv, shift, jump, SAME_WALL_GAP * cellsize, marks, blocks, use_need,
            float(floor))


def centre_cells(z, out, height, rows, cols, azimuth, cellsize, row0=0, col0=0, floor=-np.inf):
    """:func:`centre_horizons` on a list of cells only: cell ``k`` at ``out[rows[k], cols[k]]``.

    The same values as the grid version for the listed cells, in time
    proportional to the list; their neighbours across the lines must have
    been traced (``horizon_tan`` with the listed cells as ``need``).
    """
    nrows, ncols = z.shape
    main_col, fwd, t, nu, nv, _step, _k, jump = setup(nrows, ncols, float(azimuth), float(cellsize), 1.0)
    shift, _base = anchor(main_col, fwd, t, nu, int(row0), int(col0))
    vals = np.empty(rows.shape[0])
    _centre_list(z, out, height, rows, cols, main_col, fwd, t, nu, nv, shift, jump, SAME_WALL_GAP * float(cellsize),
                 float(floor), vals)


@pjit
def _centre_list(z, out, dz, rows, cols, main_col, fwd, t, nu, nv, shift, jump, span, floor, vals):
    """:func:`_centre` on listed cells: all values from the uncentred arrays first, then written."""
    for k in prange(rows.shape[0]):
        r = rows[k]
        q = cols[k]
        a = q if main_col else r
        v = r if main_col else q
        u = a if fwd > 0 else nu - 1 - a
        off = offset(t, u + shift)
        delta = centre_offset(t, u + shift, off)
        h = out[r, q]
        if delta == 0.0:
            vals[k] = h
            continue
        s = 1 if delta > 0.0 else -1
        vc = v - s
        hc = np.nan
        dhc = np.nan
        if 0 <= vc < nv:
            hc = out[vc, a] if main_col else out[a, vc]
            dhc = dz[vc, a] if main_col else dz[a, vc]
        val = _centred(z, out, dz, main_col, a, v, s, nv, h, dz[r, q], hc, dhc, abs(delta), jump, span)
        vals[k] = floor if val < floor else val
    for k in prange(rows.shape[0]):
        out[rows[k], cols[k]] = vals[k]


def _masks(z, need, blocks, marks, cellsize):
    """The marks and blocks of ``need`` (computed unless given), and whether there is a mask at all."""
    if need is None:
        return _NO_MASK, _NO_MASK, False
    if need.shape != z.shape:
        raise ValueError(f"horizon_tan: need has shape {need.shape}, z has {z.shape}")
    if marks is None:
        marks = need_marks(need, z, cellsize)
    if blocks is None:
        blocks = need_blocks(need)
    return marks, blocks, True


def horizon_tan(z, azimuth, cellsize, max_distance, out, row0=0, col0=0, need=None, blocks=None, floor=-np.inf,
                centre=True, height=None, marks=None):
    """Tangent of the horizon angle of every cell's centre in one azimuth.

    Parameters
    ----------
    z : 2-D float array
        Surface heights, rows north to south, NaN for nodata. [m]
    azimuth : float
        Direction looked at, clockwise from north. [degrees]
    cellsize : float
        Side of a square cell. [m]
    max_distance : float
        Profile vertices farther than this along the line are ignored. [m]
    out : 2-D float array, same shape as ``z``
        Output: tan of the horizon elevation angle (positive above the
        horizontal); ``-inf`` where no valid sample lies ahead within reach
        (the grid edge: the caller decides what lies beyond), NaN at nodata.
    row0, col0 : int, optional
        Global indices of cell [0, 0]: the lines are laid on the global grid,
        so a window of a larger grid gets the larger grid's horizons in every
        cell whose reach (and neighbours across the lines) lies inside the
        window. Default 0.
    need : 2-D bool or uint8 array, optional
        The cells whose horizon is wanted (e.g. a tile's roofs): only these
        and their neighbours across the lines on the same surface (whose
        tracks the centring reads, :func:`need_marks`) are traced, each from
        its sample to ``max_distance`` beyond; lines without such a cell are
        skipped. ``out`` gets the wanted cells' values, exactly those of a run
        without ``need``; those neighbours get working values; elsewhere it is
        unchanged (fill it with NaN first). Default: every cell.
    blocks, marks : 2-D uint8 arrays, optional
        :func:`need_blocks` and :func:`need_marks` of ``need``, when the
        caller sweeps the same mask in many directions. Default: computed here.
    floor : float, optional
        Smallest tangent wanted: ``out`` gets ``max(tan, floor)``. The engine
        clamps terrain horizons at 0 (the far ground of a flat territory), so
        it passes 0; vertices lower than every observer of a line part then
        cannot matter and stay out of the hulls (on roofs, the ground between
        them: the sweep takes about half the time). Default ``-inf``: the
        exact angles, negative ones included.
    centre : bool, optional
        True (default): the horizons of the cells' centres. False: those of
        their track points, which :func:`centre_horizons` turns into centre
        horizons later (the engine raises them with the far field first).
    height : 2-D float array, optional
        Output: the height above the observer of the profile vertex that makes
        each traced cell's horizon [m] (NaN: none, or the floor); the
        centring needs it. Default: a temporary array.

    Notes
    -----
    Exact on the profile described in the module docstring; amortised
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
    marks, blocks, use_need = _masks(z, need, blocks, marks, cellsize)
    if height is None:
        height = np.empty(z.shape)
    azimuth, cellsize = float(azimuth), float(cellsize)
    _horizon_tan(z, azimuth, cellsize, float(max_distance), out, height, int(row0), int(col0), marks, blocks,
                 use_need, float(floor))
    if centre:
        centre_horizons(z, out, height, azimuth, cellsize, row0, col0, need, blocks, floor, marks)


_NO_MASK = np.ones((1, 1), np.uint8)

WANTED, ACROSS_ROWS, ACROSS_COLUMNS = 1, 2, 4
"""Bits of :func:`need_marks`."""


def need_marks(need: np.ndarray, z: np.ndarray, cellsize: float) -> np.ndarray:
    """The cells to trace for a mask of wanted cells (uint8 bits, see :data:`WANTED`).

    ``WANTED``: the wanted cells. ``ACROSS_ROWS``: those and their neighbours
    along the rows axis that lie on the same surface (within ``cellsize *
    tan(70°)`` in height, as in :mod:`kernels.lines`): the neighbours across
    lines that step along columns, whose tracks the centring reads.
    ``ACROSS_COLUMNS``: the same along the columns axis. The ground below a
    roof's eaves is not traced, so that it stays below the sweeps' floor.
    """
    need = np.asarray(need)
    out = np.zeros(need.shape, np.uint8)
    _mark(need.view(np.uint8) if need.dtype == np.bool_ else need, z, cellsize * math.tan(math.radians(EDGE_SLOPE)),
          out)
    return out


@njit
def _mark(need, z, jump, out):
    n0, n1 = need.shape
    for i in range(n0):
        for j in range(n1):
            if need[i, j] == 0:
                continue
            out[i, j] |= WANTED | ACROSS_ROWS | ACROSS_COLUMNS
            e = z[i, j]
            if i > 0 and abs(z[i - 1, j] - e) <= jump:
                out[i - 1, j] |= ACROSS_ROWS
            if i < n0 - 1 and abs(z[i + 1, j] - e) <= jump:
                out[i + 1, j] |= ACROSS_ROWS
            if j > 0 and abs(z[i, j - 1] - e) <= jump:
                out[i, j - 1] |= ACROSS_COLUMNS
            if j < n1 - 1 and abs(z[i, j + 1] - e) <= jump:
                out[i, j + 1] |= ACROSS_COLUMNS


NEED_BLOCK_SHIFT = 4
"""Blocks of 16 x 16 cells summarise the mask of needed cells (:func:`need_blocks`)."""


@njit
def _any_in_blocks(need, out):
    n0, n1 = need.shape
    for i in range(n0):
        for j in range(n1):
            if need[i, j] != 0:  # the cell and its neighbours (traced for the centring)
                for ii in range(max(i - 1, 0), min(i + 2, n0)):
                    for jj in range(max(j - 1, 0), min(j + 2, n1)):
                        out[ii >> NEED_BLOCK_SHIFT, jj >> NEED_BLOCK_SHIFT] = 1


def need_blocks(need: np.ndarray) -> np.ndarray:
    """1 where a block of 16 x 16 cells holds a needed cell or a neighbour of one (uint8): lets the sweep skip
    empty ground."""
    n = 1 << NEED_BLOCK_SHIFT
    out = np.zeros(((need.shape[0] + n - 1) // n, (need.shape[1] + n - 1) // n), np.uint8)
    _any_in_blocks(need.view(np.uint8) if need.dtype == np.bool_ else need, out)
    return out


@pjit
def _horizon_tan(z, azimuth, cellsize, max_distance, out, dz, row0, col0, marks, blocks, use_need, floor):
    """The track-point horizons of :func:`horizon_tan` (before the centring), mask always given.

    With ``use_need`` a line is traced in segments: each group of traced cells
    from its first cell to ``k`` steps beyond its last, a new group starting
    at a traced cell farther than that from the previous one (the samples
    between are nobody's horizon).
    """
    nrows, ncols = z.shape
    main_col, fwd, t, nu, nv, step, k, jump = setup(nrows, ncols, azimuth, cellsize, max_distance)
    shift, base, offs, wts, nbs, c0, c1, nchunks, per = lines(main_col, fwd, t, nu, nv, row0, col0, 128)
    xms = _crossings(t, offs, wts, nbs)
    for ch in prange(nchunks):
        px = np.empty(3 * nu)
        pz = np.empty(3 * nu)
        po = np.empty(3 * nu)
        col = np.empty(3 * nu, np.int64)
        cidx = np.empty(nu + 1, np.int64)
        obs = np.empty(nu, np.int64)
        res = np.empty(nu)
        rdz = np.empty(nu)
        stk = np.empty(3 * nu, np.int64)
        hull = np.empty(3 * nu, np.int64)
        for c in range(c0 + ch * per, min(c0 + (ch + 1) * per, c1 + 1)):
            lo, hi = u_range(t, c, nu, nv, shift, base)
            if hi < lo:
                continue
            if not use_need:
                _trace(z, main_col, fwd, c, lo, hi, offs, wts, nbs, xms, nu, nv, jump, k, step, px, pz, po, col, cidx,
                       obs, res, rdz, stk, hull, out, dz, marks, use_need, floor)
                continue
            start = -1
            final = -1
            u = lo
            while u <= hi:
                # the steps of this line inside one block column: skipped at once when the (at most two)
                # blocks they cross hold no traced cell
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
                        if _wanted(marks, main_col, a, v):
                            if start < 0:
                                start = uu
                            elif uu > final + k:
                                _trace(z, main_col, fwd, c, start, final + k, offs, wts, nbs, xms, nu, nv, jump, k,
                                       step, px, pz, po, col, cidx, obs, res, rdz, stk, hull, out, dz, marks,
                                       use_need, floor)
                                start = uu
                            final = uu
                u = ue + 1
            if start >= 0:
                _trace(z, main_col, fwd, c, start, min(hi, final + k), offs, wts, nbs, xms, nu, nv, jump, k, step,
                       px, pz, po, col, cidx, obs, res, rdz, stk, hull, out, dz, marks, use_need, floor)


@pjit
def _bruteforce_tracks(z, azimuth, cellsize, max_distance, out, dz, row0, col0):
    """Track-point horizons by marching every ray, vertex by vertex, recomputed from scratch."""
    nrows, ncols = z.shape
    main_col, fwd, t, nu, nv, step, k, jump = setup(nrows, ncols, azimuth, cellsize, max_distance)
    shift, base = anchor(main_col, fwd, t, nu, row0, col0)
    for ii in prange(nrows):
        i = np.int64(ii)
        for j in range(ncols):
            a = j if main_col else i
            v = i if main_col else j
            u = a if fwd > 0 else nu - 1 - a
            off = offset(t, u + shift)
            c = v - (off - base)
            delta = centre_offset(t, u + shift, off)
            nb = -1 if delta > 0.0 else (1 if delta < 0.0 else 0)
            zq = _sample(z, main_col, a, v, _cell(z, main_col, a, v), _partner(z, main_col, a, v, nv, nb), nv,
                         abs(delta), nb, jump)[1]
            out[i, j] = np.nan
            dz[i, j] = np.nan
            if math.isnan(zq):
                continue
            best = -np.inf
            rise = np.nan
            ap, vp, dp = a, v, delta  # the previous step's cell and centre offset
            for s in range(1, k + 1):
                u2 = u + s
                if u2 >= nu:
                    break
                off2 = offset(t, u2 + shift)
                v2 = c + off2 - base
                if v2 < 0 or v2 >= nv:
                    break
                a2 = u2 if fwd > 0 else nu - 1 - u2
                d2 = centre_offset(t, u2 + shift, off2)
                za, zc = _cell(z, main_col, ap, vp), _cell(z, main_col, a2, v2)
                if v2 == vp:
                    x1, h1, x2, h2 = 0.5, _wall(za, zc, jump), 0.5, np.nan
                else:
                    x1, h1, x2, h2 = _walls(za, zc, _cell(z, main_col, ap, v2), _cell(z, main_col, a2, vp),
                                            _crossing(t, dp, v2 - vp), jump)
                nb2 = -1 if d2 > 0.0 else (1 if d2 < 0.0 else 0)
                zs = _sample(z, main_col, a2, v2, zc, _partner(z, main_col, a2, v2, nv, nb2), nv, abs(d2), nb2,
                             jump)[0]
                for x, h in ((s - 1 + x1, h1), (s - 1 + x2, h2), (float(s), zs)):
                    if not math.isnan(h):
                        sl = (h - zq) / (x * step)
                        if sl >= best:  # on a tie the farther vertex
                            best = sl
                            rise = h - zq
                ap, vp, dp = a2, v2, d2
            out[i, j] = best
            dz[i, j] = rise


def horizon_tan_bruteforce(z, azimuth, cellsize, max_distance, out, row0=0, col0=0, floor=-np.inf, centre=True):
    """Same result as :func:`horizon_tan` by marching every ray: the test oracle.

    O(cells × samples within ``max_distance``). Kept for tests and benchmarks.
    """
    azimuth, cellsize = float(azimuth), float(cellsize)
    height = np.empty(z.shape)
    _bruteforce_tracks(z, azimuth, cellsize, float(max_distance), out, height, int(row0), int(col0))
    height[~(out >= floor)] = np.nan  # clamped to the floor (or NaN): no obstacle makes the horizon
    np.maximum(out, floor, out=out)  # NaN stays NaN
    if centre:
        centre_horizons(z, out, height, azimuth, cellsize, row0, col0, floor=floor)
