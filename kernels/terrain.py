"""Surface normal, slope and aspect of a gridded surface (Horn 1981)."""

from __future__ import annotations

import math

import numpy as np

from kernels._jit import njit, pjit, prange


@njit
def _at(z, i, j, default):
    """Height at (i, j), or ``default`` outside the grid or at nodata."""
    if i < 0 or j < 0 or i >= z.shape[0] or j >= z.shape[1]:
        return default
    v = z[i, j]
    return default if math.isnan(v) else v


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
    A neighbour outside the grid or at nodata takes the centre cell's height,
    so edge cells get a one-sided estimate instead of nodata.

    References
    ----------
    .. [1] B. K. P. Horn, "Hill shading and the reflectance map",
       Proc. IEEE 69(1), 14-47, 1981. :doi:`10.1109/PROC.1981.11918`
    """
    nrows, ncols = z.shape
    inv = 1.0 / (8.0 * cellsize)
    for i in prange(nrows):
        for j in range(ncols):
            e = z[i, j]
            if math.isnan(e):
                n_east[i, j] = np.nan
                n_north[i, j] = np.nan
                n_up[i, j] = np.nan
                continue
            a = _at(z, i - 1, j - 1, e)
            b = _at(z, i - 1, j, e)
            c = _at(z, i - 1, j + 1, e)
            d = _at(z, i, j - 1, e)
            f = _at(z, i, j + 1, e)
            g = _at(z, i + 1, j - 1, e)
            h = _at(z, i + 1, j, e)
            k = _at(z, i + 1, j + 1, e)
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
