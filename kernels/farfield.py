"""Far-field horizon: the horizon beyond the near-field reach, on a coarse surface.

The near field (:func:`kernels.horizon.horizon_tan`) traces every cell's
horizon at full resolution up to a reach ``d0`` (the halo of a tile). Beyond
it, hills and slag heaps kilometres away still shade, but tracing them at
0.5 m would cost far too much. The far field traces them instead on a
*coarse* max-pooled surface (e.g. 5 m cells, each holding the highest
surface of the fine cells under it: max pooling never lowers an obstacle),
from ``d0`` to ``dmax``, with the same convex-hull sweep along lines as the
near field (:func:`far_sweep`): amortised O(1) work per coarse cell and
direction, plus two binary searches per observer.

Observers stand at the centres of the coarse cells. The horizon of a cell at
height ``z`` seen from a fixed point is a convex, decreasing function of
``z``: ``f(z) = max_i (Z_i - z) / d_i``. Each observer records, for a few
reference heights ``z_k`` (the lowest to the highest fine cell it serves),
the horizon ``f(z_k)`` and the distance ``d_k`` of the obstacle that makes it.
A fine cell at height ``z`` then takes ``max_k f(z_k) - (z - z_k) / d_k``:
the tangents of ``f``, exact at every ``z_k`` and never above ``f``.

Azimuths are clockwise from north in degrees; rows run north to south.
"""

from __future__ import annotations

import math

import numpy as np

from kernels._jit import inline, njit, pjit, prange
from kernels.lines import anchor, centre_offset, hull_tangent, lines, offset, setup, u_range


@inline
def _track(z, main_col, a, v, nv, w, nb, jump):
    """Height of the coarse track beside cell (minor ``v``, main ``a``) [m].

    ``w`` is the distance from the cell centre to the track [cells], ``nb`` the
    side (-1, +1) of the neighbour the track passes towards (0: on the centre).
    Interpolates across the track unless the two cells differ by more than
    ``jump``; there the track takes the higher cell. Max pooling already keeps
    every obstacle at its full height; at the far field's distances the half
    coarse cell this may move a step towards the observer is a small angle.
    """
    za = z[v, a] if main_col else z[a, v]
    if math.isnan(za) or nb == 0:
        return za
    vb = v + nb
    if vb < 0 or vb >= nv:  # the grid edge: the plane of the cell and its other neighbour, continued
        vc = v - nb
        if vc < 0 or vc >= nv:
            return za
        zc = z[vc, a] if main_col else z[a, vc]
        if math.isnan(zc) or abs(za - zc) > jump:
            return za
        return za - w * (zc - za)
    zb = z[vb, a] if main_col else z[a, vb]
    if math.isnan(zb):
        return za
    if abs(za - zb) <= jump:
        return (1.0 - w) * za + w * zb
    return max(za, zb)


@njit
def _sample(z, main_col, fwd, nu, nv, t, c, u, jump, shift, base):
    """Track height of line ``c`` at ``u``, computed from scratch (oracle)."""
    off = offset(t, u + shift)
    delta = centre_offset(t, u + shift, off)
    off -= base
    nb = -1 if delta > 0.0 else (1 if delta < 0.0 else 0)
    a = u if fwd > 0 else nu - 1 - u
    return _track(z, main_col, a, c + off, nv, abs(delta), nb, jump)


@njit
def _observe(zt, idx, count, reverse, m, o, obs_z, step, out_tan, out_dist):
    """Raise observer ``o``'s horizons (each reference height) with the hull ``idx[:count]``, seen from sample m."""
    nco = obs_z.shape[1]
    i = o // nco
    j = o - i * nco
    for h in range(obs_z.shape[2]):
        zq = obs_z[i, j, h]
        q = hull_tangent(zt, idx, 0, count, reverse, m, zq)
        d = (q - m) * step
        tn = (zt[q] - zq) / d
        if tn > out_tan[i, j, h]:
            out_tan[i, j, h] = tn
            out_dist[i, j, h] = d


@pjit
def far_sweep(zc, azimuth, cell, d0, dmax, row0, col0, obs_z, orow, ocol, out_tan, out_dist):
    """tan of the far-field horizon of observers on a coarse surface, in one direction.

    The lines and their tracks are those of :mod:`kernels.lines`
    on the coarse grid, anchored to the global grid (windows agree with the
    whole surface). An observer stands on its cell's line; its horizon is the
    largest elevation angle of the track samples from ``d0`` to ``dmax`` ahead
    of it, seen from each of its reference heights (exact on the discrete
    profile; the tangent is found on upper convex hulls of blocks of the line,
    as in the near field's sweep, :mod:`kernels.horizon`).

    Parameters
    ----------
    zc : 2-D float array
        Coarse surface: highest height of each coarse cell [m], NaN no data.
    azimuth : float
        Direction, clockwise from north. [degrees]
    cell : float
        Coarse cell size. [m]
    d0, dmax : float
        The samples between these distances are obstacles. [m]
    row0, col0 : int
        Global (coarse) row and column of ``zc[0, 0]``.
    obs_z : (nro, nco, K) float array
        Reference heights [m] of the observers at coarse cells
        ``(orow + a, ocol + b)`` of ``zc``; NaN in ``[..., 0]``: skip it.
    orow, ocol : int
        Position in ``zc`` of observer ``[0, 0]``.
    out_tan, out_dist : arrays shaped like ``obs_z``
        tan of the horizon for each reference height (``-inf`` when nothing
        is seen) and the distance of the obstacle that makes it [m].
    """
    nrows, ncols = zc.shape
    nro, nco, n_k = obs_z.shape
    for a in range(nro):
        for b in range(nco):
            for h in range(n_k):
                out_tan[a, b, h] = -np.inf
                out_dist[a, b, h] = np.inf
    main_col, fwd, t, nu, nv, step, k1, jump = setup(nrows, ncols, azimuth, cell, dmax)
    k0 = max(1, int(math.ceil(d0 / step - 1e-9)))
    if k1 < k0:
        return
    width = k1 - k0 + 1  # samples in an observer's window [m + k0, m + k1]
    shift, base, offs, wts, nbs, c0, c1, nchunks, per = lines(main_col, fwd, t, nu, nv, row0, col0, 64)
    for ch in prange(nchunks):
        zt = np.empty(nu)
        obs = np.empty(nu, np.int64)
        stk = np.empty(nu, np.int64)
        hull = np.empty(nu, np.int64)
        for c in range(c0 + ch * per, min(c0 + (ch + 1) * per, c1 + 1)):
            lo, hi = u_range(t, c, nu, nv, shift, base)
            n = hi - lo + 1
            first = -1
            final = -1
            for m in range(n):
                u = lo + m
                a = u if fwd > 0 else nu - 1 - u
                v = c + offs[u]
                i = (v if main_col else a) - orow
                j = (a if main_col else v) - ocol
                obs[m] = -1
                if 0 <= i < nro and 0 <= j < nco and obs_z[i, j, 0] == obs_z[i, j, 0]:
                    obs[m] = i * nco + j
                    if first < 0:
                        first = m
                    final = m
            if first < 0:
                continue
            s_lo = first + k0
            s_hi = min(n - 1, final + k1)
            if s_lo > s_hi:
                continue
            for m in range(s_lo, s_hi + 1):
                u = lo + m
                a = u if fwd > 0 else nu - 1 - u
                zt[m] = _track(zc, main_col, a, c + offs[u], nv, wts[u], nbs[u], jump)
            bs = s_lo
            while bs <= s_hi:
                be = min(bs + width - 1, s_hi)
                # samples [s, be] of the block: upper hull built backwards; observer m = s - k0
                top = 0
                for s in range(be, bs - 1, -1):
                    zs = zt[s]
                    if zs == zs:
                        while top >= 2:
                            p = stk[top - 2]
                            q = stk[top - 1]
                            if (zt[p] - zs) * (q - s) >= (zt[q] - zs) * (p - s):
                                top -= 1
                            else:
                                break
                        stk[top] = s
                        top += 1
                    m = s - k0
                    if m <= final and obs[m] >= 0 and top >= 1:
                        _observe(zt, stk, top, True, m, obs[m], obs_z, step, out_tan, out_dist)
                # samples of the next block up to m + k1: upper hull built forwards
                if be < s_hi:
                    hn = 0
                    nxt = be + 1
                    for s in range(bs + 1, be + 1):
                        e = min(s + width - 1, s_hi)
                        while nxt <= e:
                            zr = zt[nxt]
                            if zr == zr:
                                while hn >= 2:
                                    p1 = hull[hn - 2]
                                    p2 = hull[hn - 1]
                                    if (p2 - p1) * (zr - zt[p1]) - (zt[p2] - zt[p1]) * (nxt - p1) >= 0.0:
                                        hn -= 1
                                    else:
                                        break
                                hull[hn] = nxt
                                hn += 1
                            nxt += 1
                        m = s - k0
                        if m <= final and obs[m] >= 0 and hn >= 1:
                            _observe(zt, hull, hn, False, m, obs[m], obs_z, step, out_tan, out_dist)
                bs = be + 1


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


@inline
def _far_at(v, oi, oj, obs_z, far_tan, far_dist):
    """The tangent rule: far-field tan of a cell at height ``v`` served by observer (oi, oj)."""
    best = -np.inf
    for k in range(obs_z.shape[2]):
        t = far_tan[oi, oj, k]
        if t > -np.inf:
            t = t - (v - obs_z[oi, oj, k]) / far_dist[oi, oj, k]
            if t > best:
                best = t
    return best


@pjit
def apply_far(horizon, z, obs_row, obs_col, obs_z, far_tan, far_dist, transposed, height):
    """Raise each cell's horizon tan to its far-field horizon where that is higher.

    ``height``: the near field's obstacle heights (:func:`kernels.horizon.horizon_tan`),
    set to NaN where the far field raises the horizon.

    ``horizon`` and ``z`` share a layout; when ``transposed`` their element
    ``[a, b]`` is the cell at row ``b``, column ``a`` (see
    :func:`kernels.horizon.transposed_azimuth`). ``obs_row``/``obs_col`` map the
    cell's row/column to its observer (:func:`observer_heights`). Cells with a
    NaN horizon (nodata, or not wanted) are left as they are.
    """
    n0, n1 = horizon.shape
    for a in prange(n0):
        for b in range(n1):
            v = z[a, b]
            if v != v or horizon[a, b] != horizon[a, b]:  # nodata, or a cell not wanted (NaN horizon)
                continue
            if transposed:
                best = _far_at(v, obs_row[b], obs_col[a], obs_z, far_tan, far_dist)
            else:
                best = _far_at(v, obs_row[a], obs_col[b], obs_z, far_tan, far_dist)
            if best > horizon[a, b]:
                horizon[a, b] = best
                height[a, b] = np.nan


@pjit
def apply_far_cells(horizon, rows, cols, z, obs_i, obs_j, obs_z, far_tan, far_dist, height):
    """:func:`apply_far` for a list of cells: cell ``k`` at ``horizon[rows[k], cols[k]]``, height ``z[k]``
    [m], served by observer ``(obs_i[k], obs_j[k])``; ``height`` as in :func:`apply_far`."""
    for k in prange(rows.shape[0]):
        r = rows[k]
        c = cols[k]
        v = z[k]
        if v != v or horizon[r, c] != horizon[r, c]:
            continue
        best = _far_at(v, obs_i[k], obs_j[k], obs_z, far_tan, far_dist)
        if best > horizon[r, c]:
            horizon[r, c] = best
            height[r, c] = np.nan


@njit
def far_sweep_bruteforce(zc, azimuth, cell, d0, dmax, row0, col0, obs_z, orow, ocol, out_tan, out_dist):
    """Same result as :func:`far_sweep` by marching each observer's line sample by sample: the test oracle."""
    nrows, ncols = zc.shape
    nro, nco, n_k = obs_z.shape
    main_col, fwd, t, nu, nv, step, k1, jump = setup(nrows, ncols, azimuth, cell, dmax)
    k0 = max(1, int(math.ceil(d0 / step - 1e-9)))
    shift, base = anchor(main_col, fwd, t, nu, row0, col0)
    for i in range(nro):
        for j in range(nco):
            for h in range(n_k):
                out_tan[i, j, h] = -np.inf
                out_dist[i, j, h] = np.inf
            if obs_z[i, j, 0] != obs_z[i, j, 0]:
                continue
            r = orow + i
            q = ocol + j
            if r < 0 or q < 0 or r >= nrows or q >= ncols:
                continue
            a = q if main_col else r
            v = r if main_col else q
            u = a if fwd > 0 else nu - 1 - a
            c = v - (offset(t, u + shift) - base)
            for s in range(k0, k1 + 1):
                u2 = u + s
                if u2 >= nu:
                    break
                v2 = c + offset(t, u2 + shift) - base
                if v2 < 0 or v2 >= nv:
                    break
                zs = _sample(zc, main_col, fwd, nu, nv, t, c, u2, jump, shift, base)
                if zs != zs:
                    continue
                for h in range(n_k):
                    tn = (zs - obs_z[i, j, h]) / (s * step)
                    if tn > out_tan[i, j, h]:
                        out_tan[i, j, h] = tn
                        out_dist[i, j, h] = s * step
