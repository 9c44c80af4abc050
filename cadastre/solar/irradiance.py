"""Irradiation of every cell of a surface model over a weather period.

Implements the model of ``docs/method.md``: Horn normals, horizon sweeps streamed one direction
at a time, sky-view factor of the tilted surface, beam and circumsolar from
sun tables, isotropic or Perez diffuse, ground-reflected irradiation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import xarray as xr

from cadastre.errors import OptionError
from cadastre.solar.sky import HORIZON_BAND_WIDTH, SunTables, build_sun_tables, check_sky
from cadastre.solar.weather import Weather, load_weather
from kernels import (
    accumulate_cells,
    accumulate_direction,
    accumulate_months,
    accumulate_months_cells,
    apply_far,
    apply_far_cells,
    centre_cells,
    centre_horizons,
    far_sweep,
    horizon_tan,
    horn_normals,
    need_blocks,
    need_marks,
    runs_along_rows,
    slope_aspect,
    transposed_azimuth,
)
from kernels.profile import HORIZON_CODE_STEP, NO_CODE, code_cells, code_direction
from cadastre.solar.farfield import FarField, far_setup
from cadastre.errors import AllNodataError
from rasters.grid import grid_of

BANDS = ("global", "beam", "diffuse", "reflected", "svf", "slope", "aspect")
"""Variables of the result, in the order of the bands of the GeoTIFF."""
UNITS = {
    "global": "kWh m-2",
    "beam": "kWh m-2",
    "diffuse": "kWh m-2",
    "reflected": "kWh m-2",
    "svf": "1",
    "slope": "degrees",
    "aspect": "degrees clockwise from north",
}
MONTH_BANDS = tuple(f"global_{m:02d}" for m in range(1, 13))
"""With ``months``: the global irradiation of each month [kWh m-2], bands after :data:`BANDS`."""
MIN_DIRECTIONS = 8
MAX_DIRECTIONS = 360
"""Most horizon directions: 1° steps; finer adds time and memory, not accuracy at these sun tables."""
MAX_DISTANCE = 20_000.0
"""Longest reach of the horizon search on the DSM itself [m]."""
MAX_FAR_DISTANCE = 50_000.0
"""Longest far-field reach [m]: 200 m below the horizontal line at 50 km from the Earth's curvature alone."""
MAX_FAR_CELL = 100.0
"""Largest cell of the far field's coarse surface [m]."""


def check_options(*, n_directions: int, max_distance: float, albedo: float, sky: str,
                  far_distance: float = 0.0, far_cell: float = 5.0) -> str:
    """Validate the model options against their physical ranges; return the normalised sky name.

    Raises
    ------
    OptionError
        ``n_directions`` not an integer in [8, 360], ``max_distance`` not in (0, 20 km], ``albedo``
        outside [0, 1], unknown sky model, ``far_distance`` not 0 or in (``max_distance``, 50 km],
        ``far_cell`` not in (0, 100 m] (NaN and infinities are out of every range).
    """
    if not (int(n_directions) == n_directions and MIN_DIRECTIONS <= n_directions <= MAX_DIRECTIONS):
        raise OptionError(f"--directions: {n_directions} is out of range; use an integer in "
                          f"[{MIN_DIRECTIONS}, {MAX_DIRECTIONS}] (default 64)")
    if not (0 < max_distance <= MAX_DISTANCE):
        raise OptionError(f"--max-distance: {max_distance} m; use a positive distance in metres, at most "
                          f"{MAX_DISTANCE:,.0f} (default 1000)")
    if not (0.0 <= albedo <= 1.0):
        raise OptionError(f"--albedo: {albedo} is outside 0-1; use a reflectance such as 0.2")
    if not (far_distance == 0 or max_distance < far_distance <= MAX_FAR_DISTANCE):
        raise OptionError(f"--far-distance: {far_distance:g} m; give 0 (off) or more than --max-distance "
                          f"({max_distance:g} m), at most {MAX_FAR_DISTANCE:,.0f} m")
    if not (0 < far_cell <= MAX_FAR_CELL):
        raise OptionError(f"--far-cell: {far_cell:g} m; give a cell size in (0, {MAX_FAR_CELL:g}] m")
    return check_sky(sky)


def site_of(dsm: xr.DataArray) -> tuple[float, float, float]:
    """Latitude, longitude [degrees] and altitude [m] of the raster centre.

    The altitude is the median surface height within 50 cells of the centre
    (the whole raster's median when that window is all nodata).
    """
    grid = grid_of(dsm)
    lon, lat = grid.centre_lonlat()
    z = dsm.values
    i, j = grid.height // 2, grid.width // 2
    window = z[max(0, i - 50) : i + 51, max(0, j - 50) : j + 51]
    alt = np.nanmedian(window) if np.isfinite(window).any() else np.nanmedian(z)
    return lat, lon, float(alt)


def irradiance(
    dsm: xr.DataArray,
    weather: Weather | str | None = None,
    *,
    n_directions: int = 64,
    max_distance: float = 1000.0,
    albedo: float = 0.2,
    sky: str = "isotropic",
    time_label: str | None = None,
    site: tuple[float, float, float] | None = None,
    far_field: FarField | None = None,
    cells: np.ndarray | None = None,
    progress: Callable[[int, int], None] | None = None,
    horizons: bool = False,
    months: bool = False,
) -> xr.Dataset:
    """Irradiation of every cell of a DSM, summed over the weather period.

    Parameters
    ----------
    dsm : xarray.DataArray
        Surface heights [m], 2-D, north-up, square cells, projected CRS in
        metres (rioxarray), NaN for nodata (see :func:`rasters.read_dsm`).
    weather : Weather or str, optional
        A loaded :class:`~cadastre.solar.weather.Weather`, a weather file path, or
        ``'clearsky'`` (Ineichen with the Linke turbidity climatology at the
        raster centre). Default: the Lens proxy TMY shipped with the package.
    n_directions : int
        Horizon azimuths, evenly spaced from north (>= 8). Default 64 (5.625°).
    max_distance : float
        Reach of the horizon search. [m]
    albedo : float
        Ground reflectance, 0-1.
    sky : {'isotropic', 'perez'}
        Diffuse sky model (see :mod:`cadastre.solar.sky`).
    time_label : str, optional
        What the stamps of a plain CSV weather file mark (see
        :mod:`cadastre.solar.weather`).
    site : (latitude, longitude, altitude), optional
        Where the sun positions are computed [degrees, degrees, m]; default:
        the raster centre (:func:`site_of`). A tiled run passes one site for
        all its tiles, so that tiles agree with a single-raster run.
    far_field : cadastre.solar.farfield.FarField, optional
        A coarse max-pooled surface (:func:`rasters.coarse.coarse_surface`)
        and a reach: each cell's horizon is then the larger of the near field
        (full resolution, up to ``max_distance``) and the far field traced on
        the coarse surface from ``max_distance`` to ``far_field.distance``
        (:mod:`kernels.farfield`). Without it nothing beyond ``max_distance``
        shades.
    cells : 2-D bool array, optional
        On the DSM's grid: the cells whose irradiation is wanted (a tile's
        roofs, its core). The horizons are traced only where these cells need
        them and the sky is accumulated only on them; every other cell is NaN
        in the result but for ``slope`` and ``aspect``. The wanted cells get
        the values of a run without ``cells``. Default: every cell.
    progress : callable, optional
        Called as ``progress(done, total)`` after each direction.
    horizons : bool
        Also return the horizon codes (variable ``horizon``, below). Memory: one
        byte per cell and direction; with ``cells``, per listed cell and direction
        only (twice that at the end, while the two layouts' codes are put in
        order). Every other variable is the same, bit for bit, with or without it.
    months : bool
        Also the global irradiation of each month (:data:`MONTH_BANDS`, months of the weather rows'
        UTC stamps): the beam and circumsolar of each month are shaded by the same horizons as the
        annual ones (the sun tables are split by month), the diffuse and reflected parts take the
        month's sky. Memory: 12 float32 values per computed cell (the accumulators become the
        bands), time: about 12 table look-ups more per cell and direction. The other variables
        are the same, bit for bit, with or without it; the months sum to ``global``.

    Returns
    -------
    xarray.Dataset
        On the DSM's grid and CRS, float32, NaN at nodata: ``global``,
        ``beam``, ``diffuse``, ``reflected`` [kWh m-2 over the period, per
        year for a TMY] on the tilted surface of each cell, ``svf`` (sky-view
        factor of the tilted surface, 0-1), ``slope`` [degrees] and
        ``aspect`` [degrees clockwise from north]. With ``horizons=True`` also
        ``horizon``: uint8, dims ``("direction", "y", "x")``, coordinate
        ``direction`` = the azimuths of :attr:`SunTables.azimuths` [degrees
        clockwise from north]: the effective horizon elevation of each computed
        cell in each direction (the larger of the terrain horizon, clamped at 0°,
        and the cell's own plane: the one the sky sums use), as
        ``round(h / HORIZON_CODE_STEP)`` (0..180, steps of 0.5°), ``NO_CODE``
        (255) where no value was computed (nodata, cells left out by ``cells``).
        With ``cells``, the compact form: dims ``("cell", "direction")``, one row
        per listed cell (in row-major order of the result's grid), coordinates
        ``cell_row`` and ``cell_col`` (int64: their indices along ``y`` and ``x``).
        With ``months=True`` also ``global_01`` ... ``global_12`` [kWh m-2], float32, NaN where
        ``global`` is.

    Notes
    -----
    Outside the raster the horizon is 0°: nothing beyond the edge shades, and
    a terrain horizon below 0° also counts as 0° (``docs/method.md``; GRASS issue OSGeo/grass#2935). Give the
    raster a margin (halo) of the reach of the shadows you care about.
    The reflected part uses ``albedo * GHI * (1 - svf)``: the non-sky part of
    the view is taken as ground lit by the global horizontal irradiance.

    References
    ----------
    .. [1] J. Dozier, J. Frew (1990), IEEE TGRS 28(5). :doi:`10.1109/36.58986`
    .. [2] R. Perez et al. (1990), Solar Energy 44(5). :doi:`10.1016/0038-092X(90)90055-H`
    """
    sky = check_options(n_directions=n_directions, max_distance=max_distance, albedo=albedo, sky=sky)
    grid = grid_of(dsm)
    z = np.ascontiguousarray(dsm.values, dtype=np.float64)
    if np.isnan(z).all():
        raise AllNodataError("DSM: every cell is nodata; nothing to compute")
    south_up = grid.transform.e > 0
    need = None
    if cells is not None:
        need = np.asarray(cells, dtype=bool)
        if need.shape != z.shape:
            raise OptionError(f"cells: shape {need.shape} differs from the DSM's {z.shape}")
        need = need & ~np.isnan(z)
        if not need.any():
            raise AllNodataError("cells: no wanted cell has surface data; nothing to compute")
    if south_up:
        z = z[::-1].copy()
        need = None if need is None else need[::-1].copy()
    lat, lon, alt = site_of(dsm) if site is None else (float(v) for v in site)
    if not isinstance(weather, Weather):
        weather = load_weather(weather, time_label=time_label, latitude=lat, longitude=lon, altitude=alt)
    tables = build_sun_tables(weather, lat, lon, alt, n_directions=int(n_directions), sky=sky, months=months)
    top = max(grid.transform.f, grid.transform.f + grid.transform.e * grid.height)
    origin = (int(round(-top / grid.cellsize)), int(round(grid.transform.c / grid.cellsize)))
    far = None
    if far_field is not None:
        start = max_distance if far_field.start is None else far_field.start
        far = far_setup(far_field, z, origin, grid.cellsize, start, wanted=None if need is None else _beside(need))
    out = _compute(z, grid.cellsize, tables, max_distance=max_distance, albedo=albedo, progress=progress,
                   origin=origin, far=far, need=need, horizons=horizons)
    codes = out.pop("horizon", None)
    where = out.pop("cells", None)
    if south_up:
        out = {k: v[::-1] for k, v in out.items()}
        if codes is not None and where is None:
            codes = codes[:, ::-1]
        elif codes is not None:
            where = (z.shape[0] - 1 - where[0], where[1])
    names = BANDS + (MONTH_BANDS if months else ())
    ds = xr.Dataset(
        {k: xr.DataArray(out[k].astype(np.float32, copy=False), dims=("y", "x"), name=k,
                         attrs={"units": UNITS.get(k, "kWh m-2")}) for k in names},
        coords={"y": dsm["y"].values, "x": dsm["x"].values},
    )
    if codes is not None:
        attrs = {"units": f"{HORIZON_CODE_STEP} degrees", "nodata": NO_CODE, "scale_factor_degrees": HORIZON_CODE_STEP}
        if where is None:
            ds["horizon"] = xr.DataArray(np.ascontiguousarray(codes), dims=("direction", "y", "x"),
                                         coords={"direction": tables.azimuths}, attrs=attrs)
        else:
            first = np.lexsort((where[1], where[0]))  # row-major in the result's grid
            ds["horizon"] = xr.DataArray(
                codes[first], dims=("cell", "direction"), attrs=attrs,
                coords={"direction": tables.azimuths, "cell_row": ("cell", where[0][first].astype(np.int64)),
                        "cell_col": ("cell", where[1][first].astype(np.int64))})
    ds.rio.write_crs(grid.crs, inplace=True).rio.write_transform(grid.transform, inplace=True)
    ds.attrs.update(
        weather=str(weather.source),
        weather_kind=weather.kind,
        time_label=weather.time_label,
        rows=len(weather.data),
        ghi_sum=tables.ghi,
        sky=sky,
        directions=int(n_directions),
        max_distance=float(max_distance),
        albedo=float(albedo),
        far_distance=float(far_field.distance) if far_field is not None else 0.0,
        far_cell=float(far_field.surface.cell) if far_field is not None else 0.0,
        latitude=lat,
        longitude=lon,
        altitude=alt,
    )
    return ds


def _compute(z, cellsize, tables: SunTables, *, max_distance, albedo, progress=None,
             origin=(0, 0), far=None, need=None, horizons=False) -> dict[str, np.ndarray]:
    """Run the kernels over every direction; return float32 arrays by band name.

    Directions whose lines run along rows are computed on the transposed
    grid (contiguous memory, same result): see :func:`kernels.transposed_azimuth`.
    ``origin``: global (row, col) of cell [0, 0], which anchors the horizon
    lines to the global grid (tiles of a run then agree with one raster).
    ``far``: a :class:`cadastre.solar.farfield.FarSetup` whose far-field horizon raises the near one.
    ``need``: the wanted cells (bool), or None for all; the others end NaN. With
    it the sky is summed on the list of wanted cells only (memory and time in
    proportion to them, not to the raster).
    Terrain horizons are clamped at 0 (§4), so the sweeps are asked for
    ``max(tan, 0)`` (``floor=0``): the ground below a roof then stays out of
    its hulls.
    ``horizons``: also return ``"horizon"``, the horizon codes: uint8, directions x grid; with ``need``,
    (listed cells, directions) and ``"cells"``, their (rows, cols).
    With the monthly sun tables (``tables.monthly_direct``), also the :data:`MONTH_BANDS`: views of one
    (rows, cols, 12) float32 array, the accumulators of the sweep turned into the global of each month.
    """
    shape = z.shape
    f4 = np.float32
    n_e, n_n, n_u = (np.empty(shape, f4) for _ in range(3))
    horn_normals(z, cellsize, n_e, n_n, n_u)
    slope, aspect = np.empty(shape, f4), np.empty(shape, f4)
    slope_aspect(n_e, n_n, n_u, slope, aspect)
    # the sweeps read heights as float32 when that is exact (DSMs stored as float32): half the memory traffic
    z32 = z.astype(np.float32)
    if np.array_equal(z32, z, equal_nan=True):
        z = z32
    codes = None
    with_months = tables.monthly_direct is not None
    if need is None:
        if horizons:
            codes = np.full((tables.n_directions, *shape), NO_CODE, np.uint8)
        months = np.zeros((*shape, 12), f4) if with_months else None
        sums = _sum_every_cell(z, (n_e, n_n, n_u), cellsize, tables, max_distance, progress, origin, far, codes,
                               months)
        normals = (n_e, n_n, n_u)
    else:
        rows, cols = np.nonzero(need)
        normals = tuple(a[rows, cols] for a in (n_e, n_n, n_u))
        months = np.zeros((rows.size, 12), f4) if with_months else None
        sums, codes = _sum_listed_cells(z, need, rows, cols, normals, cellsize, tables, max_distance, progress, origin,
                                        far, horizons, months)
    sky = _totals(*sums, normals, tables, albedo)
    if months is not None:
        _monthly_totals(months, sky["svf"], sums[3], sums[4], normals, tables, albedo)
    if need is not None:
        for name, values in sky.items():
            full = np.full(shape, np.nan, f4)
            full[rows, cols] = values
            sky[name] = full
        if months is not None:
            full = np.full((*shape, 12), np.nan, f4)
            full[rows, cols] = months
            months = full
    nodata = np.isnan(n_u)
    out = {**sky, "slope": slope, "aspect": aspect}
    for v in out.values():
        v[nodata] = np.nan
    if months is not None:
        months[nodata] = np.nan
        out.update({name: months[:, :, m] for m, name in enumerate(MONTH_BANDS)})  # views: no copy
    if codes is not None:
        out["horizon"] = codes
        if need is not None:
            out["cells"] = (rows, cols)
    return out


def _sum_every_cell(z, normals, cellsize, tables: SunTables, max_distance, progress, origin, far, codes=None,
                    months=None):
    """Per-direction sums (sky view, beam, circumsolar, horizon band seen and its weight) on every cell.

    ``codes``: a (directions, rows, cols) uint8 array to fill with the horizon codes, or None.
    ``months``: a (rows, cols, 12) float32 array to add each month's beam and circumsolar to, or None
    (the transposed directions add through a transposed view: one array for both layouts).
    """
    f4 = np.float32
    perez = tables.sky == "perez"
    layouts = {}
    for transposed in (False, True):
        arrays = [np.ascontiguousarray(a.T) for a in (z, *normals)] if transposed else [z, *normals]
        layouts[transposed] = (arrays, [np.zeros(arrays[0].shape, f4) for _ in range(5)],
                               np.empty(arrays[0].shape, f4), np.empty(arrays[0].shape, f4))
    if far is not None:
        far_tan, far_dist = np.empty_like(far.obs_z), np.empty_like(far.obs_z)
    for k, azimuth in enumerate(tables.azimuths):
        azimuth = float(azimuth)
        transposed = runs_along_rows(azimuth)
        (zz, ne, nn, nu), accumulators, horizon, height = layouts[transposed]
        row0, col0 = (origin[1], origin[0]) if transposed else origin
        az_layout = transposed_azimuth(azimuth) if transposed else azimuth
        horizon_tan(zz, az_layout, cellsize, max_distance, horizon, row0, col0, floor=0.0, centre=False,
                    height=height)
        if far is not None:
            far_sweep(far.surface, azimuth, far.cell, far.d0, far.dmax, far.row0, far.col0, far.obs_z, far.orow,
                      far.ocol, far_tan, far_dist)
            apply_far(horizon, zz, far.obs_row, far.obs_col, far.obs_z, far_tan, far_dist, transposed, height)
        centre_horizons(zz, horizon, height, az_layout, cellsize, row0, col0, floor=0.0)
        accumulate_direction(horizon, ne, nn, nu, azimuth, tables.beam[k], tables.circumsolar[k], tables.step,
                             HORIZON_BAND_WIDTH, perez, *accumulators)
        if codes is not None:
            code_direction(horizon, ne, nn, nu, azimuth, codes[k].T if transposed else codes[k])
        if months is not None:
            accumulate_months(horizon, ne, nn, nu, azimuth, tables.monthly_direct[k], tables.step,
                              months.transpose(1, 0, 2) if transposed else months)
        if progress is not None:
            progress(k + 1, tables.n_directions)
    return [a + b.T for a, b in zip(layouts[False][1], layouts[True][1], strict=True)]


class _Layout(NamedTuple):
    """One memory layout of :func:`_sum_listed_cells` (the grid as given, or transposed)."""

    z: np.ndarray
    need: np.ndarray
    blocks: np.ndarray  # need_blocks(need)
    marks: np.ndarray  # need_marks(need)
    horizon: np.ndarray  # one direction's horizons, NaN off the wanted cells
    height: np.ndarray  # the heights of the obstacles that make them (see horizon_tan)
    where: tuple[np.ndarray, np.ndarray]  # (row, col) of the listed cells in this layout
    cell: list[np.ndarray]  # per listed cell: normal (east, north, up), height, far-field observer (row, col)
    traced: tuple  # the traced cells (listed ones and their neighbours across the lines): row, col, height,
    # far-field observer (row, col); empty without a far field
    order: np.ndarray  # position of each listed cell in the caller's list
    sums: list[np.ndarray]  # the five per-cell sums


def _beside(need: np.ndarray) -> np.ndarray:
    """``need`` and the 4 neighbours of its cells: the tracks that the centring of a wanted cell may read."""
    out = need.copy()
    out[1:] |= need[:-1]
    out[:-1] |= need[1:]
    out[:, 1:] |= need[:, :-1]
    out[:, :-1] |= need[:, 1:]
    return out


def _sum_listed_cells(z, need, rows, cols, normals, cellsize, tables: SunTables, max_distance, progress, origin, far,
                      horizons=False, months=None):
    """The sums of :func:`_sum_every_cell` on the wanted cells only, as 1-D arrays over ``rows, cols``, and
    with ``horizons`` the (listed cells, directions) uint8 horizon codes (else None).
    ``months``: a (listed cells, 12) float32 array to add each month's beam and circumsolar to (in the
    order of ``rows, cols``), or None.

    The codes of a direction are written contiguously, in the order of the cells of its layout, and put in the
    caller's order once at the end.

    Each layout lists the cells in its own memory order (the transposed one
    column by column), so that reading the horizons stays cache friendly.
    """
    f4 = np.float32
    perez = tables.sky == "perez"
    heights = z[rows, cols].astype(np.float64)
    if far is not None:
        far_tan, far_dist = np.empty_like(far.obs_z), np.empty_like(far.obs_z)
        obs_i, obs_j = far.obs_row[rows], far.obs_col[cols]
    layouts = {}
    swept = {t: [k for k, a in enumerate(tables.azimuths) if runs_along_rows(float(a)) == t] for t in (False, True)}
    codes = {t: np.full((len(swept[t]), rows.size), NO_CODE, np.uint8) for t in (False, True)} if horizons else None
    for transposed in (False, True):
        order = np.lexsort((rows, cols)) if transposed else np.arange(rows.size)
        zz, mask = (np.ascontiguousarray(z.T), np.ascontiguousarray(need.T)) if transposed else (z, need)
        where = (cols[order], rows[order]) if transposed else (rows, cols)
        cell = [a[order] for a in normals] + [heights[order]]
        traced = ()
        if far is not None:
            cell += [obs_i[order], obs_j[order]]
            # the far field raises the horizons of the tracks beside each listed cell's centre (its neighbours
            # across the lines: one row up and down, or one column aside for the diagonals) before they are centred
            tr, tc = np.nonzero(_beside(mask))
            orig_r, orig_c = (tc, tr) if transposed else (tr, tc)
            traced = (tr, tc, zz[tr, tc].astype(np.float64), far.obs_row[orig_r], far.obs_col[orig_c])
        # cells left out by the mask keep a NaN horizon; one set of sums per layout, added at the end in the
        # order of _sum_every_cell, so that both give the same float32 sums
        layouts[transposed] = _Layout(zz, mask, need_blocks(mask), need_marks(mask, zz, cellsize), np.full(zz.shape, np.nan, f4),
                                      np.full(zz.shape, np.nan, f4), where, cell, traced,
                                      order, [np.zeros(rows.size, f4) for _ in range(5)])
    for k, azimuth in enumerate(tables.azimuths):
        azimuth = float(azimuth)
        transposed = runs_along_rows(azimuth)
        zz, mask, blocks, marks, horizon, height, (ri, ci), cell, traced, order, sums = layouts[transposed]
        row0, col0 = (origin[1], origin[0]) if transposed else origin
        az_layout = transposed_azimuth(azimuth) if transposed else azimuth
        horizon_tan(zz, az_layout, cellsize, max_distance, horizon, row0, col0, mask, blocks, floor=0.0, centre=False,
                    height=height, marks=marks)
        if far is not None:
            far_sweep(far.surface, azimuth, far.cell, far.d0, far.dmax, far.row0, far.col0, far.obs_z, far.orow,
                      far.ocol, far_tan, far_dist)
            apply_far_cells(horizon, *traced, far.obs_z, far_tan, far_dist, height)
        centre_cells(zz, horizon, height, ri, ci, az_layout, cellsize, row0, col0, floor=0.0)
        accumulate_cells(horizon, ri, ci, *cell[:3], azimuth, tables.beam[k], tables.circumsolar[k], tables.step,
                         HORIZON_BAND_WIDTH, perez, *sums)
        if codes is not None:
            code_cells(horizon, ri, ci, *cell[:3], azimuth, codes[transposed][swept[transposed].index(k)])
        if months is not None:
            accumulate_months_cells(horizon, ri, ci, *cell[:3], azimuth, tables.monthly_direct[k], tables.step,
                                    order, months)
        if progress is not None:
            progress(k + 1, tables.n_directions)
    order = layouts[True].order
    out = []
    for a, b in zip(layouts[False].sums, layouts[True].sums, strict=True):
        back = np.empty_like(b)
        back[order] = b
        out.append(a + back)
    return out, None if codes is None else _codes_in_order(codes, swept, order, rows.size, tables.n_directions)


def _codes_in_order(codes: dict, swept: dict, order: np.ndarray, n_cells: int, n_directions: int) -> np.ndarray:
    """(cells, directions) codes in the caller's cell order from the two layouts' (their directions, cells) codes."""
    out = np.empty((n_cells, n_directions), np.uint8)
    out[:, swept[False]] = codes.pop(False).T
    where = np.empty_like(order)
    where[order] = np.arange(order.size)  # position in the transposed layout of each cell of the caller's list
    out[:, swept[True]] = codes.pop(True)[:, where].T
    return out


def _totals(svf, beam, circ, band_seen, band_weight, normals, tables: SunTables, albedo) -> dict[str, np.ndarray]:
    """Global, beam, diffuse, reflected and sky-view factor from the per-direction sums."""
    n_e, n_n, _n_u = normals
    svf = svf / tables.n_directions
    np.clip(svf, 0.0, 1.0, out=svf)
    sin_beta = np.sqrt(n_e**2 + n_n**2)
    with np.errstate(invalid="ignore", divide="ignore"):
        band_seen = np.where(band_weight > 0, band_seen / band_weight, 1.0)
    diffuse = tables.diffuse_isotropic * svf + circ + tables.horizon_band * sin_beta * band_seen
    reflected = albedo * tables.ghi * (1.0 - svf)
    return {"global": beam + diffuse + reflected, "beam": beam, "diffuse": diffuse, "reflected": reflected, "svf": svf}


def _monthly_totals(months, svf, band_seen, band_weight, normals, tables: SunTables, albedo) -> None:
    """Turn the (cells..., 12) beam + circumsolar sums of each month into its global, in place.

    ``svf``: the final sky-view factor (as :func:`_totals` returns it); ``band_seen``, ``band_weight``: the sums of
    the sweep. The month's isotropic diffuse, horizon band and reflected parts as :func:`_totals` takes the year's.
    """
    n_e, n_n, _n_u = normals
    sin_beta = np.sqrt(n_e**2 + n_n**2)
    with np.errstate(invalid="ignore", divide="ignore"):
        band = sin_beta * np.where(band_weight > 0, band_seen / band_weight, 1.0)
    for m in range(12):
        months[..., m] += (tables.monthly_diffuse_isotropic[m] * svf + tables.monthly_horizon_band[m] * band
                           + albedo * tables.monthly_ghi[m] * (1.0 - svf))
