"""Shading profiles: horizon codes of cells, their per-face quantiles, and the lit fraction of a face.

A *horizon code* is the effective horizon elevation of a cell in one
direction, the ``h`` of :func:`kernels.irradiance._add_cell` (the larger of
the terrain horizon, clamped at 0, and the cell's own plane horizon),
quantised in steps of :data:`HORIZON_CODE_STEP`: ``code = round(h / step)``,
0..180; :data:`NO_CODE` (255) marks a cell without data.

A face's *profile* in one direction is the ``K + 1`` quantiles (levels
``k / K``) of its cells' effective horizon elevations; :func:`lit_fraction_one`
turns it back into the fraction of the cells that a sun at a given elevation
lights.
"""

from __future__ import annotations

import math

import numpy as np

from kernels._jit import inline, pjit, prange

HORIZON_CODE_STEP = 0.5
"""Quantisation step of the horizon codes. [degrees]"""
N_CODES = 181
"""Codes 0..180: 0° to 90° in steps of :data:`HORIZON_CODE_STEP`."""
NO_CODE = 255
"""Code of a cell without data (not computed, nodata)."""


@inline
def _code(ht, ne, nn, nu, de, dn):
    """Horizon code of one cell in the direction (de, dn): the quantised ``h`` of ``_add_cell``."""
    if math.isnan(nu) or math.isnan(ht):
        return NO_CODE
    nd = ne * de + nn * dn
    t_terrain = ht if ht > 0.0 else 0.0
    t_plane = -nd / (nu if nu > 1e-9 else 1e-9)
    t = t_terrain if t_terrain > t_plane else t_plane
    c = int(math.degrees(math.atan(t)) / HORIZON_CODE_STEP + 0.5)
    return c if c < N_CODES else N_CODES - 1


@pjit
def code_direction(horizon, n_east, n_north, n_up, azimuth, out):
    """Horizon codes of every cell for one direction, written into ``out`` (uint8, shape of ``horizon``).

    ``horizon``: tan of the terrain horizon (as :func:`kernels.irradiance.accumulate_direction`);
    ``n_*``: unit normals; ``azimuth`` [degrees clockwise from north]. ``out`` may be a strided view
    (the transposed band of a north-up result).
    """
    az = math.radians(azimuth)
    de = math.sin(az)
    dn = math.cos(az)
    nrows, ncols = n_up.shape
    for i in prange(nrows):
        for j in range(ncols):
            out[i, j] = _code(horizon[i, j], n_east[i, j], n_north[i, j], n_up[i, j], de, dn)


@pjit
def code_cells(horizon, rows, cols, n_east, n_north, n_up, azimuth, at, out):
    """:func:`code_direction` for a list of cells: cell ``k`` reads ``horizon[rows[k], cols[k]]`` and
    its normal ``n_*[k]``, and writes ``out[at[k]]`` (``at`` maps the list to the caller's order)."""
    az = math.radians(azimuth)
    de = math.sin(az)
    dn = math.cos(az)
    for k in prange(rows.shape[0]):
        out[at[k]] = _code(horizon[rows[k], cols[k]], n_east[k], n_north[k], n_up[k], de, dn)


@pjit
def face_quantiles(codes, starts, levels, band_width, quantiles, seen):
    """Per face and direction: the quantiles of the cells' effective horizon, and the mean band seen.

    Parameters
    ----------
    codes : (cells, directions) uint8 array
        Horizon codes of the faces' cells, grouped by face: face ``f`` owns rows
        ``starts[f]:starts[f + 1]``. Codes :data:`NO_CODE` are left out.
    starts : (faces + 1,) int array
    levels : int
        K: quantiles at levels ``k / K``, k = 0..K.
    band_width : float
        Height of the Perez horizon band. [degrees]
    quantiles : (faces, directions, K + 1) float32 array, out
        ``q_k``: the smallest coded elevation ``e`` such that at least ``k / K`` of
        the cells have a horizon ``<= e`` (``q_0``: the lowest). [degrees] NaN for a
        face without cells.
    seen : (faces, directions) float32 array, out
        Mean over the cells of ``1 - min(h, band_width) / band_width``; NaN without cells.

    Exact on the codes: one 181-bin histogram per face and direction.
    """
    n_faces = starts.shape[0] - 1
    n_dir = codes.shape[1]
    for f in prange(n_faces):
        hist = np.zeros(N_CODES, np.int64)
        for d in range(n_dir):
            for b in range(N_CODES):
                hist[b] = 0
            n = 0
            for r in range(starts[f], starts[f + 1]):
                c = codes[r, d]
                if c < N_CODES:
                    hist[c] += 1
                    n += 1
            if n == 0:
                for k in range(levels + 1):
                    quantiles[f, d, k] = math.nan
                seen[f, d] = math.nan
                continue
            total_seen = 0.0
            for b in range(N_CODES):
                if hist[b] > 0:
                    e = b * HORIZON_CODE_STEP
                    total_seen += hist[b] * (1.0 - min(e, band_width) / band_width)
            seen[f, d] = total_seen / n
            b = 0
            while hist[b] == 0:
                b += 1
            quantiles[f, d, 0] = b * HORIZON_CODE_STEP
            below = hist[b]  # cells with a code <= b
            for k in range(1, levels + 1):
                # smallest b with below / n >= k / K, i.e. below * K >= k * n (integers: exact)
                while below * levels < k * n:
                    b += 1
                    below += hist[b]
                quantiles[f, d, k] = b * HORIZON_CODE_STEP


@inline
def _level(q, elevation):
    """``(k, w)``: the sun at ``elevation`` lies ``w`` of the way from level ``k`` to ``k + 1`` (see
    :func:`lit_fraction_one`); ``(0, 0)`` at or below ``q_0``, ``(K, 0)`` above ``q_K``, ``(-1, 0)`` for NaN ``q``."""
    levels = q.shape[0] - 1
    if math.isnan(q[0]):
        return -1, 0.0
    if not elevation > q[0]:
        return 0, 0.0
    if elevation > q[levels]:
        return levels, 0.0
    k = 0
    while q[k + 1] < elevation:
        k += 1
    return k, (elevation - q[k]) / (q[k + 1] - q[k])


@inline
def lit_fraction_one(q, elevation):
    """Fraction of a face's cells lit by a sun at ``elevation`` [degrees], from its quantiles ``q`` (K + 1).

    0 at or below ``q_0``, 1 above ``q_K``; between, linear from ``(q_k, k/K)`` to
    ``(q_{k+1}, (k+1)/K)`` with ``k`` the largest index such that ``q_k < elevation``
    (so with tied quantiles the fraction just above them is the highest of their levels).
    NaN when ``q`` is NaN (a face without cells).
    """
    k, w = _level(q, elevation)
    if k < 0:
        return math.nan
    return (k + w) / (q.shape[0] - 1)


@inline
def lit_normal_one(q, v, elevation):
    """Cumulative normal ``V(elevation)`` (east, north, up) of the lit cells, from the quantiles ``q`` (K + 1)
    and the cumulative normals ``v`` (K + 1, 3): ``V_k + w (V_{k+1} - V_k)`` with the ``k, w`` of
    :func:`lit_fraction_one`; NaN when ``q`` is NaN."""
    k, w = _level(q, elevation)
    if k < 0:
        return math.nan, math.nan, math.nan
    if w == 0.0:
        return v[k, 0], v[k, 1], v[k, 2]
    return (v[k, 0] + w * (v[k + 1, 0] - v[k, 0]), v[k, 1] + w * (v[k + 1, 1] - v[k, 1]),
            v[k, 2] + w * (v[k + 1, 2] - v[k, 2]))


@pjit
def lit_fractions(q, elevation, out):
    """:func:`lit_fraction_one` over flat arrays: ``q`` (n, K + 1), ``elevation`` and ``out`` (n,)."""
    for i in prange(q.shape[0]):
        out[i] = lit_fraction_one(q[i], elevation[i])


@pjit
def poa_faces(svf, band_term, quantiles, cumulative, sun, elevation, sector, dni, diffuse_iso, circ, band, reflect,
              beam_out, diffuse_out, reflected_out):
    """Plane-of-array irradiance of faces x weather rows, split in beam, diffuse and reflected. [W m-2]

    Parameters
    ----------
    svf : (faces,) float array
        Sky-view factor.
    band_term : (faces,) float array
        ``sin(tilt) * band_seen``: the horizon band's share the face receives.
    quantiles : (faces, directions, K + 1) float32 array
        Effective-horizon quantiles [degrees].
    cumulative : (faces, directions, K + 1, 3) float32 array
        Cumulative normals ``V_k`` (see :func:`lit_normal_one`).
    sun : (rows, 3) float array
        Sun unit vector (east, north, up).
    elevation : (rows,) float array
        Apparent sun elevation [degrees].
    sector : (rows,) int array
        Horizon direction of the sun; -1 when the sun is down (no beam, no circumsolar).
    dni : (rows,) W m-2
    diffuse_iso : (rows,) W m-2
        Isotropic diffuse on an unobstructed horizontal plane (DHI (1 - F1), or DHI).
    circ : (rows,) W m-2
        Circumsolar normal irradiance ``DHI F1 / max(cos Z, cos 85°)`` (0 without Perez).
    band : (rows,) W m-2
        Horizon-band irradiance ``DHI F2`` (0 without Perez).
    reflect : (rows,) W m-2
        ``albedo * GHI``.
    beam_out, diffuse_out, reflected_out : (faces, rows) float32 arrays, out

    The beam is ``DNI max(0, V(e) . s)``: the mean over the face's cells of ``DNI n_c . s`` over its lit
    cells, as the raster sums it. Memory: the three outputs only (the caller chunks the faces).
    """
    n_faces = svf.shape[0]
    n_rows = sun.shape[0]
    for f in prange(n_faces):
        s = svf[f]
        bt = band_term[f]
        for r in range(n_rows):
            direct = 0.0
            if sector[r] >= 0:
                d = sector[r]
                ve, vn, vu = lit_normal_one(quantiles[f, d], cumulative[f, d], elevation[r])
                direct = ve * sun[r, 0] + vn * sun[r, 1] + vu * sun[r, 2]
                if not direct > 0.0:
                    direct = 0.0 if not math.isnan(direct) else math.nan
            beam_out[f, r] = dni[r] * direct
            diffuse_out[f, r] = diffuse_iso[r] * s + circ[r] * direct + band[r] * bt
            reflected_out[f, r] = reflect[r] * (1.0 - s)
