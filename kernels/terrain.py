"""Surface normal, slope and aspect of a gridded surface (Horn 1981)."""

from __future__ import annotations

import math

import numpy as np

from kernels._jit import njit, pjit, prange
from kernels.lines import EDGE_SLOPE


@njit
def _get(z, i, j):
    """Height at (i, j), NaN outside the grid or at nodata."""
    if i < 0 or j < 0 or i >= z.shape[0] or j >= z.shape[1]:
        return np.nan
    return z[i, j]


@njit
def _pair(p, q, e, jump):
    """Two opposite neighbours of a cell at height ``e``, as its slope should see them.

    A neighbour that is missing (NaN) or across a wall (differs from ``e`` by
    more than ``jump``) while the opposite one lies on the cell's surface is
    replaced by the mirror image of that one through the centre (the plane
    continued); when neither lies on it, a missing one takes the centre's
    height and walls on both sides are kept (a slope steeper than the wall
    threshold, or a one-cell ridge).
    """
    p_on = abs(p - e) <= jump  # False for NaN
    q_on = abs(q - e) <= jump
    if p_on and q_on:
        return p, q
    if p_on:
        return p, 2.0 * e - p
    if q_on:
        return 2.0 * e - q, q
    return (e if math.isnan(p) else p), (e if math.isnan(q) else q)


@pjit
def horn_normals(z, cellsize, n_east, n_north, n_up):
    """Unit surface normal of every cell by Horn's 3×3 finite differences.

    .. math::

        \\partial z/\\partial x = ((c + 2f + i) - (a + 2d + g)) / 8r, \\quad
        \\partial z/\\partial y = ((a + 2b + c) - (g + 2h + i)) / 8r

    with the 3×3 window ``a b c / d e f / g h i`` (north row first) and ``r``
    the cell size; the normal is ``(-dz/dx, -dz/dy, 1)`` normalised.

    Parameters
    ----------
    z : 2-D float array
        Surface heights, rows north to south, NaN for nodata. [m]
    cellsize : float
        Side of a square cell. [m]
    n_east, n_north, n_up : 2-D float arrays, same shape as ``z``
        Output: the normal's components (east, north, up). NaN where ``z`` is NaN.

    Notes
    -----
    Only neighbours on the cell's own surface enter its slope: one that
    differs from the centre by more than ``cellsize * tan(70°)`` (across a
    wall, as in :mod:`kernels.horizon`), lies outside the grid or is nodata,
    while the opposite neighbour lies on the surface, is replaced by the mirror
    image of that one through the centre (``2e - opposite``). A cell at the
    foot of a wall, on a roof edge or on the grid's edge thus gets the slope
    of its own plane, exactly, instead of one that leans on the wall. When
    neither neighbour of a pair along an axis lies on the surface, a missing
    one takes the centre's height and walls are kept as they are (slopes
    steeper than 70°); a diagonal pair is then taken from the plane of the
    four neighbours along the axes (``b + d - e``...).

    References
    ----------
    .. [1] B. K. P. Horn, "Hill shading and the reflectance map",
       Proc. IEEE 69(1), 14-47, 1981. :doi:`10.1109/PROC.1981.11918`
    """
    nrows, ncols = z.shape
    inv = 1.0 / (8.0 * cellsize)
    jump = cellsize * math.tan(math.radians(EDGE_SLOPE))
    for i in prange(nrows):
        for j in range(ncols):
            e = z[i, j]
            if math.isnan(e):
                n_east[i, j] = np.nan
                n_north[i, j] = np.nan
                n_up[i, j] = np.nan
                continue
            b, h = _pair(_get(z, i - 1, j), _get(z, i + 1, j), e, jump)
            d, f = _pair(_get(z, i, j - 1), _get(z, i, j + 1), e, jump)
            a, k = _get(z, i - 1, j - 1), _get(z, i + 1, j + 1)
            if abs(a - e) <= jump or abs(k - e) <= jump:
                a, k = _pair(a, k, e, jump)
            else:  # neither diagonal on the surface: the plane of the four neighbours along the axes
                a = b + d - e
                k = h + f - e
            c, g = _get(z, i - 1, j + 1), _get(z, i + 1, j - 1)
            if abs(c - e) <= jump or abs(g - e) <= jump:
                c, g = _pair(c, g, e, jump)
            else:
                c = b + f - e
                g = h + d - e
            dzdx = ((c + 2.0 * f + k) - (a + 2.0 * d + g)) * inv
            dzdy = ((a + 2.0 * b + c) - (g + 2.0 * h + k)) * inv
            norm = math.sqrt(dzdx * dzdx + dzdy * dzdy + 1.0)
            n_east[i, j] = -dzdx / norm
            n_north[i, j] = -dzdy / norm
            n_up[i, j] = 1.0 / norm


@pjit
def slope_aspect(n_east, n_north, n_up, slope, aspect):
    """Slope and aspect from unit normals.

    Parameters
    ----------
    n_east, n_north, n_up : 2-D float arrays
        Unit normal components, NaN for nodata.
    slope, aspect : 2-D float arrays
        Output: slope from horizontal [degrees, 0-90] and aspect, the azimuth
        the slope faces (downhill), clockwise from north [degrees, 0-360).
        A flat cell gets aspect 180 (south) by convention. NaN for nodata.
    """
    nrows, ncols = n_up.shape
    for i in prange(nrows):
        for j in range(ncols):
            u = n_up[i, j]
            if math.isnan(u):
                slope[i, j] = np.nan
                aspect[i, j] = np.nan
                continue
            h = math.sqrt(n_east[i, j] ** 2 + n_north[i, j] ** 2)
            slope[i, j] = math.degrees(math.atan2(h, u))
            if h < 1e-12:
                aspect[i, j] = 180.0
            else:
                a = math.degrees(math.atan2(n_east[i, j], n_north[i, j]))
                aspect[i, j] = a + 360.0 if a < 0.0 else a
