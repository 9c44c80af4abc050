"""Shading profiles: horizon codes of cells, their per-face knots, and the lit fraction of a face.

A *horizon code* is the effective horizon elevation of a cell in one
direction, the ``h`` of :func:`kernels.irradiance._add_cell` (the larger of
the terrain horizon, clamped at 0, and the cell's own plane horizon),
quantised in steps of :data:`HORIZON_CODE_STEP`: ``code = round(h / step)``,
0..180; :data:`NO_CODE` (255) marks a cell without data.

A face's *profile* in one direction is the distribution of its cells'
effective horizon elevations as at most ``M + 1`` knots (elevation, share of
the cells below it, their cumulative normal): the exact staircase of the
codes, simplified where it has more steps (:func:`face_quantiles`);
:func:`lit_fraction_one` turns it back into the fraction of the cells that a
sun at a given elevation lights.
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
def code_cells(horizon, rows, cols, n_east, n_north, n_up, azimuth, out):
    """:func:`code_direction` for a list of cells: cell ``k`` reads ``horizon[rows[k], cols[k]]`` and
    its normal ``n_*[k]``, and writes ``out[k]`` (contiguous writes)."""
    az = math.radians(azimuth)
    de = math.sin(az)
    dn = math.cos(az)
    for k in prange(rows.shape[0]):
        out[k] = _code(horizon[rows[k], cols[k]], n_east[k], n_north[k], n_up[k], de, dn)


@inline
def _vw_area(x, y, a, b, c):
    """Twice the area of the triangle of vertices ``a, b, c`` of the polyline ``(x, y)``."""
    return abs((x[b] - x[a]) * (y[c] - y[a]) - (x[c] - x[a]) * (y[b] - y[a]))


@inline
def _simplify(x, y, keep, most, tolerance):
    """Visvalingam-Whyatt: drop the vertex of smallest triangle area, again, while more than ``most`` are left
    or the smallest area is at most ``tolerance``; the first and last vertices stay. ``keep`` (bool, out)
    marks the vertices left; returns their count. Work: O(vertices²) comparisons at worst."""
    m = x.shape[0]
    prev = np.empty(m, np.int64)
    nxt = np.empty(m, np.int64)
    area = np.empty(m)
    for i in range(m):
        keep[i] = True
        prev[i] = i - 1
        nxt[i] = i + 1
        area[i] = math.inf
    for i in range(1, m - 1):
        area[i] = _vw_area(x, y, i - 1, i, i + 1)
    left = m
    while left > 2:
        at = -1
        best = math.inf
        for i in range(1, m - 1):
            if keep[i] and area[i] < best:
                best = area[i]
                at = i
        if left <= most and best > tolerance:
            break
        keep[at] = False
        left -= 1
        a, c = prev[at], nxt[at]
        nxt[a] = c
        prev[c] = a
        if a > 0:
            area[a] = _vw_area(x, y, prev[a], a, c)
        if c < m - 1:
            area[c] = _vw_area(x, y, a, c, nxt[c])
    return left


@pjit
def face_quantiles(codes, normals, starts, levels, tolerance, band_width, quantiles, counts, seen, cumulative):
    """Per face and direction: the knots of the cells' effective-horizon distribution with their cumulative normals,
    and the mean band seen.

    The exact distribution of a face's ``n`` coded horizons in one direction is a staircase: the share of its cells
    whose horizon lies below a sun at elevation ``e`` jumps at each distinct code. It is the polyline of the
    vertices ``(c, #{h < c} / n)`` and ``(c, #{h <= c} / n)`` for each distinct code ``c`` in increasing order
    (a vertical step at each code, flat between). Its knots are these vertices, simplified by Visvalingam-Whyatt
    (in code steps x share of cells) to at most ``levels + 1``, and further while a dropped vertex's triangle has
    twice its area at most ``tolerance``: with tolerance 0, exact for a staircase of up to ``levels / 2`` steps (a
    canyon's rows, a small face), linear between knots for a rough face's spread horizons.

    Parameters
    ----------
    codes : (cells, directions) uint8 array
        Horizon codes of the faces' cells, grouped by face: face ``f`` owns rows
        ``starts[f]:starts[f + 1]``. Codes :data:`NO_CODE` are left out.
    normals : (cells, 3) float array
        Unit normal (east, north, up) of each cell.
    starts : (faces + 1,) int array
    levels : int
        M: at most ``M + 1`` knots.
    tolerance : float
        Twice the triangle area [code steps x share] below which a knot is dropped even if fewer than M + 1 are left.
    band_width : float
        Height of the Perez horizon band. [degrees]
    quantiles : (faces, directions, M + 1) float32 array, out
        Knot elevations ``x_j`` [degrees], nondecreasing; the last repeated after the knots kept. NaN for a face
        without cells.
    counts : (faces, directions, M + 1) int32 array, out
        ``N_j``: the cells below the sun at ``x_j`` (the lower vertex of a code: horizon below it; the upper: at
        or below it), nondecreasing from 0 to ``n``; their share ``L_j = N_j / n``. 0 without cells.
    seen : (faces, directions) float32 array, out
        Mean over the cells of ``1 - min(h, band_width) / band_width``; NaN without cells.
    cumulative : (faces, directions, M + 1, 3) float32 array, out
        ``V_j``: the sum of the normals of those cells, divided by ``n`` (``V_0 = 0``, the last: the mean normal);
        0 without cells.

    Exact on the codes: one 181-bin histogram (a counting sort) per face and direction.
    """
    n_faces = starts.shape[0] - 1
    n_dir = codes.shape[1]
    for f in prange(n_faces):
        hist = np.zeros(N_CODES, np.int64)
        sums = np.zeros((N_CODES, 3))
        vx = np.empty(2 * N_CODES)
        vy = np.empty(2 * N_CODES)
        vcount = np.empty(2 * N_CODES, np.int64)
        vsum = np.empty((2 * N_CODES, 3))
        keep = np.empty(2 * N_CODES, np.bool_)
        for d in range(n_dir):
            for b in range(N_CODES):
                hist[b] = 0
                sums[b, 0] = 0.0
                sums[b, 1] = 0.0
                sums[b, 2] = 0.0
            n = 0
            for r in range(starts[f], starts[f + 1]):
                c = codes[r, d]
                if c < N_CODES:
                    hist[c] += 1
                    sums[c, 0] += normals[r, 0]
                    sums[c, 1] += normals[r, 1]
                    sums[c, 2] += normals[r, 2]
                    n += 1
            if n == 0:
                for k in range(levels + 1):
                    quantiles[f, d, k] = math.nan
                    counts[f, d, k] = 0
                    for i in range(3):
                        cumulative[f, d, k, i] = 0.0
                seen[f, d] = math.nan
                continue
            total_seen = 0.0
            m = 0
            below = 0
            se, sn, su = 0.0, 0.0, 0.0
            for b in range(N_CODES):
                if hist[b] == 0:
                    continue
                e = b * HORIZON_CODE_STEP
                total_seen += hist[b] * (1.0 - min(e, band_width) / band_width)
                for side in range(2):
                    if side == 1:
                        below += hist[b]
                        se += sums[b, 0]
                        sn += sums[b, 1]
                        su += sums[b, 2]
                    vx[m] = b
                    vy[m] = below / n
                    vcount[m] = below
                    vsum[m, 0] = se
                    vsum[m, 1] = sn
                    vsum[m, 2] = su
                    m += 1
            seen[f, d] = total_seen / n
            _simplify(vx[:m], vy[:m], keep[:m], levels + 1, tolerance)
            k = 0
            for i in range(m):
                if keep[i]:
                    quantiles[f, d, k] = vx[i] * HORIZON_CODE_STEP
                    counts[f, d, k] = vcount[i]
                    for j in range(3):
                        cumulative[f, d, k, j] = vsum[i, j] / n
                    k += 1
            for j in range(k, levels + 1):
                quantiles[f, d, j] = quantiles[f, d, k - 1]
                counts[f, d, j] = counts[f, d, k - 1]
                for i in range(3):
                    cumulative[f, d, j, i] = cumulative[f, d, k - 1, i]


@inline
def _level(q, elevation):
    """``(k, w)``: the sun at ``elevation`` lies ``w`` of the way from knot ``k`` to ``k + 1`` (see
    :func:`lit_fraction_one`); ``(0, 0)`` at or below ``q_0``, ``(M, 0)`` above ``q_M``, ``(-1, 0)`` for NaN ``q``."""
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
def lit_fraction_one(q, shares, elevation):
    """Fraction of a face's cells lit by a sun at ``elevation`` [degrees], from its knots ``q`` and ``shares``
    (M + 1, :func:`face_quantiles`).

    0 at or below ``q_0``, 1 above ``q_M``; between, linear from ``(q_k, L_k)`` to ``(q_{k+1}, L_{k+1})``
    with ``k`` the largest index such that ``q_k < elevation`` (so with tied knots, a step, the fraction just
    above them is the highest of their shares). NaN when ``q`` is NaN (a face without cells).
    """
    k, w = _level(q, elevation)
    if k < 0:
        return math.nan
    if w == 0.0:
        return shares[k]
    return shares[k] + w * (shares[k + 1] - shares[k])


@inline
def lit_normal_one(q, v, elevation):
    """Cumulative normal ``V(elevation)`` (east, north, up) of the lit cells, from the knots ``q`` (M + 1) and
    the cumulative normals ``v`` (M + 1, 3): ``V_k + w (V_{k+1} - V_k)`` with the ``k, w`` of
    :func:`lit_fraction_one`; NaN when ``q`` is NaN."""
    k, w = _level(q, elevation)
    if k < 0:
        return math.nan, math.nan, math.nan
    if w == 0.0:
        return v[k, 0], v[k, 1], v[k, 2]
    return (v[k, 0] + w * (v[k + 1, 0] - v[k, 0]), v[k, 1] + w * (v[k + 1, 1] - v[k, 1]),
            v[k, 2] + w * (v[k + 1, 2] - v[k, 2]))


@pjit
def lit_fractions(q, shares, elevation, out):
    """:func:`lit_fraction_one` over flat arrays: ``q``, ``shares`` (n, M + 1), ``elevation`` and ``out`` (n,)."""
    for i in prange(q.shape[0]):
        out[i] = lit_fraction_one(q[i], shares[i], elevation[i])


@pjit
def lit_normals(q, v, elevation, out):
    """:func:`lit_normal_one` over flat arrays: ``q`` (n, M + 1), ``v`` (n, M + 1, 3), ``elevation`` (n,),
    ``out`` (n, 3)."""
    for i in prange(q.shape[0]):
        out[i, 0], out[i, 1], out[i, 2] = lit_normal_one(q[i], v[i], elevation[i])


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
    quantiles : (faces, directions, M + 1) float32 array
        Knot elevations of the effective horizon [degrees] (:func:`face_quantiles`).
    cumulative : (faces, directions, M + 1, 3) float32 array
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
