"""Raster lines of a direction: the geometry shared by the near- and far-field sweeps.

For an azimuth ``phi`` (clockwise from north) the *main axis* is the grid axis
closest to ``phi`` (columns when ``|sin phi| >= |cos phi|``, else rows); one
step along a line moves one cell along the main axis and ``t`` cells
(``|t| <= 1``) along the other, the *minor* axis. Line ``c`` is the straight
*track* ``v = c + t*u`` (``u`` counted in the direction of travel), sampled
once per main-axis step, every ``cellsize * sqrt(1 + t**2)`` metres. The
cells whose centre is nearest to track ``c`` (``v = c + floor(t*u + 0.5)``,
less than half a cell away) belong to it: every cell belongs to exactly one
line. Lines are anchored to a global grid origin, so that a window of a larger
grid has the larger grid's lines.
"""

from __future__ import annotations

import math

import numpy as np

from kernels._jit import njit

EDGE_SLOPE = 70.0
"""Neighbours differing by more than ``cellsize * tan(EDGE_SLOPE)`` meet at a wall, not on a plane. [degrees]"""


@njit
def geometry(azimuth):
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
    return not geometry(azimuth)[0]


@njit
def transposed_azimuth(azimuth):
    """Azimuth, in the transposed grid ``z.T``, of the direction ``azimuth`` of ``z``. [degrees]

    Transposing swaps rows and columns, so (east, south) becomes (south, east):
    a kernel run on ``z.T`` with ``transposed_azimuth(a)`` gives the
    transpose of its run on ``z`` with ``a`` (the lines and tracks are the same).
    """
    az = math.radians(azimuth)
    return math.degrees(math.atan2(-math.cos(az), -math.sin(az))) % 360.0


@njit
def line_step(azimuth, cellsize):
    """Horizontal distance between two consecutive samples of a line [m]."""
    t = geometry(azimuth)[2]
    return cellsize * math.sqrt(1.0 + t * t)


@njit
def offset(t, u):
    """Minor offset, in cells, of the cell nearest to the track at main-axis step ``u``."""
    return int(math.floor(t * u + 0.5))


@njit
def centre_offset(t, u, off):
    """Signed offset of a cell centre from its track (centre minus track), in cells; noise below 1e-9 is 0."""
    delta = off - t * u
    return 0.0 if abs(delta) < 1e-9 else delta


@njit
def _first(t, target, nu, sign, shift, base):
    """First u in [0, nu] with sign*off(u) >= sign*target (sign*off non-decreasing).

    ``off(u) = offset(t, u + shift) - base``: lines anchored to a global origin.
    """
    lo = 0
    hi = nu
    while lo < hi:
        mid = (lo + hi) // 2
        if sign * (offset(t, mid + shift) - base) >= sign * target:
            hi = mid
        else:
            lo = mid + 1
    return lo


@njit
def u_range(t, c, nu, nv, shift, base):
    """Inclusive main-axis range of line ``c`` inside the grid (empty: lo > hi)."""
    if t >= 0.0:
        lo = _first(t, -c, nu, 1, shift, base)
        hi = _first(t, nv - c, nu, 1, shift, base) - 1
    else:
        lo = _first(t, nv - 1 - c, nu, -1, shift, base)
        hi = _first(t, -c - 1, nu, -1, shift, base) - 1
    return lo, hi


@njit
def setup(nrows, ncols, azimuth, cellsize, max_distance):
    """Line geometry of a direction: axis, sign, slope t, lengths, sample step [m], reach [samples], edge jump [m]."""
    main_col, fwd, t = geometry(azimuth)
    nu = ncols if main_col else nrows
    nv = nrows if main_col else ncols
    step = cellsize * math.sqrt(1.0 + t * t)
    k = max(1, int(max_distance / step + 1e-9))
    jump = cellsize * math.tan(math.radians(EDGE_SLOPE))
    return main_col, fwd, t, nu, nv, step, k, jump


@njit
def anchor(main_col, fwd, t, nu, row0, col0):
    """Shift of the main-axis step count and base offset that anchor the lines to the global grid.

    ``row0``, ``col0``: global indices of cell [0, 0] (e.g. -y_top / cellsize and
    x_left / cellsize). Lines and tracks then depend on the cells' global
    position only, so a window of a larger grid gets the same horizons as the
    larger grid within the window (the tiles of a run agree with one raster).
    """
    a0 = col0 if main_col else row0
    shift = a0 if fwd > 0 else -(a0 + nu - 1)
    return shift, offset(t, shift)


@njit
def line_tables(t, nu, shift, base):
    """Per main-axis step: minor offset of the line's cell, its distance to the track [cells], side of the track.

    The side (-1, +1) points from the cell centre towards the track, where the
    other cell the track passes lies; 0 when the track runs through the centre.
    """
    offs = np.empty(nu, np.int64)
    wts = np.empty(nu)
    nbs = np.empty(nu, np.int64)
    for u in range(nu):
        off = offset(t, u + shift)
        delta = centre_offset(t, u + shift, off)
        offs[u] = off - base
        wts[u] = abs(delta)
        nbs[u] = -1 if delta > 0.0 else (1 if delta < 0.0 else 0)
    return offs, wts, nbs


@njit
def lines(main_col, fwd, t, nu, nv, row0, col0, max_chunks):
    """The lines of a direction anchored at global (row0, col0): anchor, per-step tables, first and last
    line index, and their split into at most ``max_chunks`` chunks of ``per`` neighbouring lines."""
    shift, base = anchor(main_col, fwd, t, nu, row0, col0)
    offs, wts, nbs = line_tables(t, nu, shift, base)
    last = offs[nu - 1]
    c0 = -last if t >= 0.0 else 0
    c1 = nv - 1 if t >= 0.0 else nv - 1 - last
    nchunks = min(c1 - c0 + 1, max_chunks)
    per = (c1 - c0 + nchunks) // nchunks
    return shift, base, offs, wts, nbs, c0, c1, nchunks, per


@njit
def hull_tangent(zt, idx, first, count, reverse, m, zq):
    """Index of the hull sample seen at the largest slope from (m, zq), left of the hull (binary search).

    Samples sit at integer positions equal to their index. The hull's samples
    are ``idx[first .. first+count-1]``, left to right, or right to left when
    ``reverse``.
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
