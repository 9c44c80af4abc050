"""Per-direction accumulation of sky view, beam and circumsolar irradiation.

For one horizon direction ``phi`` the caller passes the horizon of every cell
(from :func:`kernels.horizon.horizon_tan`) and a *sun table*: for a grid of
threshold elevations ``g_i = i * step``, the energy-weighted sum of the sun
vectors of the weather rows of that azimuth sector whose sun stands higher
than ``g_i``. Because the beam on a plane is linear in the sun vector,

.. math::

    \\sum_{e_h > h} E_h \\max(0, \\mathbf{n}\\cdot\\mathbf{s}_h)
    = \\mathbf{n} \\cdot \\sum_{e_h > h} E_h \\mathbf{s}_h

whenever ``h`` is at least the cell's own plane horizon, so each cell needs
one table look-up per direction instead of a loop over hours.
"""

from __future__ import annotations

import math

from kernels._jit import inline, pjit, prange

HALF_PI = 0.5 * math.pi


@pjit
def accumulate_direction(
    horizon,
    n_east,
    n_north,
    n_up,
    azimuth,
    beam_table,
    circumsolar_table,
    table_step,
    band_width,
    perez,
    svf,
    beam,
    circumsolar,
    band_seen,
    band_weight,
):
    """Add one direction's share of sky view, beam and circumsolar to the totals.

    Parameters
    ----------
    horizon : 2-D float array
        tan of the terrain horizon angle in this direction; ``-inf`` (nothing
        ahead) and negative values count as 0 (a flat far ground). NaN cells
        are skipped.
    n_east, n_north, n_up : 2-D float arrays
        Unit surface normal; NaN cells are skipped.
    azimuth : float
        The direction, clockwise from north. [degrees]
    beam_table, circumsolar_table : (m, 3) float arrays
        Row ``i``: sum of ``E * s`` (east, north, up) over the sector's rows
        with sun elevation above ``i * table_step``. [kWh m-2]
    table_step : float
        Threshold spacing of the tables. [degrees]
    band_width : float
        Height of the Perez horizon-brightening band. [degrees]
    perez : bool
        Accumulate circumsolar and horizon band too (else they are left as is).
    svf, beam, circumsolar, band_seen, band_weight : 2-D float arrays
        Accumulators, updated in place: sky-view integrand (divide by the
        number of directions), beam and circumsolar irradiation [kWh m-2],
        and the facing-weighted visible fraction of the horizon band and its
        weight.

    Notes
    -----
    With ``T`` the tangent of the effective horizon (terrain or the cell's
    own plane, whichever is higher) and ``nd = n . d`` the normal's component
    along the direction, the sky-view integrand of a tilted surface is
    (Dozier & Frew 1990, eq. 7b)

    .. math::

        \\cos\\beta \\sin^2 H + \\sin\\beta\\cos(\\phi-\\gamma)(H - \\sin H\\cos H)
        = \\frac{n_u}{1+T^2} + n_d\\left(\\frac{\\pi}{2} - \\arctan T - \\frac{T}{1+T^2}\\right)

    with ``H`` the horizon zenith angle.
    """
    az = math.radians(azimuth)
    de = math.sin(az)
    dn = math.cos(az)
    inv_step = 1.0 / table_step
    band_rad = math.radians(band_width)
    band_tan = math.tan(band_rad)
    nrows, ncols = n_up.shape
    for i in prange(nrows):
        for j in range(ncols):
            _add_cell(horizon[i, j], n_east[i, j], n_north[i, j], n_up[i, j], de, dn, beam_table, circumsolar_table,
                      inv_step, band_rad, band_tan, perez, svf, beam, circumsolar, band_seen, band_weight, (i, j))


@pjit
def accumulate_cells(
    horizon,
    rows,
    cols,
    n_east,
    n_north,
    n_up,
    azimuth,
    beam_table,
    circumsolar_table,
    table_step,
    band_width,
    perez,
    svf,
    beam,
    circumsolar,
    band_seen,
    band_weight,
):
    """:func:`accumulate_direction` for a list of cells: the wanted cells of a raster.

    Cell ``k`` reads its horizon at ``horizon[rows[k], cols[k]]``; its normal
    (``n_east[k]``...) and its accumulators (``svf[k]``...) are 1-D arrays
    over the list. Same units and conventions as :func:`accumulate_direction`.
    """
    az = math.radians(azimuth)
    de = math.sin(az)
    dn = math.cos(az)
    inv_step = 1.0 / table_step
    band_rad = math.radians(band_width)
    band_tan = math.tan(band_rad)
    for k in prange(rows.shape[0]):
        _add_cell(horizon[rows[k], cols[k]], n_east[k], n_north[k], n_up[k], de, dn, beam_table, circumsolar_table,
                  inv_step, band_rad, band_tan, perez, svf, beam, circumsolar, band_seen, band_weight, k)


@inline
def _effective(ht, ne, nn, nu, de, dn):
    """``(n . d, terrain tan, effective tan)`` of a cell in a direction: the terrain horizon clamped at 0,
    raised to the cell's own plane horizon."""
    nd = ne * de + nn * dn
    t_terrain = ht if ht > 0.0 else 0.0
    t_plane = -nd / (nu if nu > 1e-9 else 1e-9)
    return nd, t_terrain, (t_terrain if t_terrain > t_plane else t_plane)


@inline
def _add_cell(ht, ne, nn, nu, de, dn, beam_table, circumsolar_table, inv_step, band_rad, band_tan, perez, svf, beam,
              circumsolar, band_seen, band_weight, at):
    """Add one cell's share of one direction to the accumulators at index ``at`` (see accumulate_direction)."""
    if math.isnan(nu) or math.isnan(ht):
        return
    nd, t_terrain, t = _effective(ht, ne, nn, nu, de, dn)
    h = math.atan(t)
    q = 1.0 / (1.0 + t * t)
    svf[at] += nu * q + nd * (HALF_PI - h - t * q)
    if perez and nd > 0.0:
        if t_terrain <= 0.0:
            seen = 1.0
        elif t_terrain >= band_tan:
            seen = 0.0
        else:
            seen = 1.0 - (h if t == t_terrain else math.atan(t_terrain)) / band_rad
        band_seen[at] += nd * seen
        band_weight[at] += nd
    x = math.degrees(h) * inv_step
    last = beam_table.shape[0] - 1
    if x >= last:
        return  # no sun above this horizon in this sector
    r = int(x)
    f = x - r
    g = 1.0 - f
    beam[at] += (
        ne * (g * beam_table[r, 0] + f * beam_table[r + 1, 0])
        + nn * (g * beam_table[r, 1] + f * beam_table[r + 1, 1])
        + nu * (g * beam_table[r, 2] + f * beam_table[r + 1, 2])
    )
    if perez:
        circumsolar[at] += (
            ne * (g * circumsolar_table[r, 0] + f * circumsolar_table[r + 1, 0])
            + nn * (g * circumsolar_table[r, 1] + f * circumsolar_table[r + 1, 1])
            + nu * (g * circumsolar_table[r, 2] + f * circumsolar_table[r + 1, 2])
        )


@pjit
def accumulate_months(horizon, n_east, n_north, n_up, azimuth, tables, table_step, out):
    """Add one direction's beam and circumsolar of each month to ``out``.

    ``horizon``, ``n_east``, ``n_north``, ``n_up``, ``azimuth`` and ``table_step`` as in
    :func:`accumulate_direction`. ``tables``: (m, months, 3), ``tables[i, k]`` the sum of
    ``E * s`` over month ``k``'s rows of the sector with sun elevation above ``i * table_step``
    [kWh m-2] (beam and circumsolar in one table: both are shaded alike). ``out``: (rows, cols,
    months) float accumulators [kWh m-2], updated in place; it may be a transposed view. Same horizon
    and interpolation as :func:`accumulate_direction`, so the months sum to its beam + circumsolar.
    """
    az = math.radians(azimuth)
    de = math.sin(az)
    dn = math.cos(az)
    inv_step = 1.0 / table_step
    nrows, ncols = n_up.shape
    for i in prange(nrows):
        for j in range(ncols):
            _add_months(horizon[i, j], n_east[i, j], n_north[i, j], n_up[i, j], de, dn, tables, inv_step, out[i, j])


@pjit
def accumulate_months_cells(horizon, rows, cols, n_east, n_north, n_up, azimuth, tables, table_step, slots, out):
    """:func:`accumulate_months` for a list of cells (as :func:`accumulate_cells`).

    Cell ``k`` reads its horizon at ``horizon[rows[k], cols[k]]`` and its normal at ``n_east[k]``...; it adds
    to ``out[slots[k]]`` (``out``: (listed cells, months); ``slots`` a permutation, so that both layouts of
    the caller add into one array in its own order).
    """
    az = math.radians(azimuth)
    de = math.sin(az)
    dn = math.cos(az)
    inv_step = 1.0 / table_step
    for k in prange(rows.shape[0]):
        _add_months(horizon[rows[k], cols[k]], n_east[k], n_north[k], n_up[k], de, dn, tables, inv_step,
                    out[slots[k]])


@inline
def _add_months(ht, ne, nn, nu, de, dn, tables, inv_step, acc):
    """Add one cell's beam and circumsolar of each month of one direction to ``acc`` (months,)."""
    if math.isnan(nu) or math.isnan(ht):
        return
    _nd, _t_terrain, t = _effective(ht, ne, nn, nu, de, dn)
    x = math.degrees(math.atan(t)) * inv_step
    last = tables.shape[0] - 1
    if x >= last:
        return
    r = int(x)
    f = x - r
    g = 1.0 - f
    for m in range(tables.shape[1]):
        acc[m] += (
            ne * (g * tables[r, m, 0] + f * tables[r + 1, m, 0])
            + nn * (g * tables[r, m, 1] + f * tables[r + 1, m, 1])
            + nu * (g * tables[r, m, 2] + f * tables[r + 1, m, 2])
        )
