"""From irradiance to PV potential: roof faces, buildings, communes, EPCI, territory.

Method (``docs/method.md``, section Buildings; parameters in :mod:`cadastre.config`):

1. Footprints are reprojected to the raster's CRS and repaired
   (``shapely.make_valid``). A building belongs to the raster (tile) holding
   its footprint's representative point: buildings whose point lies outside
   are left to their own tile, so none is counted twice.
2. Roof cells and faces: :mod:`cadastre.roofs.faces`.
3. A face is *suitable* when its tilt <= ``max_slope``, it does not face north
   (pitched faces within ``north_limit`` of north), its usable irradiation is
   at least ``min_irradiation_fraction`` of the unshaded optimally oriented
   plane, and its usable area >= ``min_face_area``.
4. Production. When the irradiance carries horizon codes (``irradiance(...,
   horizons=True)``, or a horizon file read back), each face's shading profile
   (:func:`cadastre.roofs.profiles.face_profiles`) gives its production hour by
   hour: the shaded PVWatts of :func:`cadastre.solar.hourly.face_production`
   (``specific_yield`` and ``yield_01`` ... ``yield_12``). Without them (a raster
   from elsewhere): pvlib PVWatts for the face's own tilt and azimuth
   (:class:`cadastre.solar.energy.YieldTable`), scaled by the face's *shading
   ratio* = its mean irradiation from the raster / the irradiation of the same
   plane unshaded (capped at 1), and the months split as the unshaded plane's
   monthly yield (:func:`unshaded_monthly_shares`). kWp = usable area x module
   density. Gross: every suitable face fully covered; net: gross x (1 -
   ``net_reduction``). ``mwh_01`` ... ``mwh_12`` (months of the weather rows'
   UTC stamps) sum to ``mwh``; the report says which method (``monthly``:
   :data:`MONTHLY_PROFILES` or :data:`MONTHLY_SHARES`).
5. Class 1-5 of a face: its usable irradiation as a fraction of the optimal
   plane's, cut at ``class_thresholds``; a building takes the highest class of its
   *suitable* faces (a small or north-facing face does not lift it), 0 when none is suitable.

Limits: flat roofs are counted with modules flat on the roof (no racking
tilt, no row spacing); a face's production uses its mean shading ratio (no
electrical mismatch of partly shaded strings).
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr
import shapely
from affine import Affine
from shapely import make_valid

from cadastre.areas.aggregate import ASSIGNED_COLUMNS, aggregate, aggregate_monthly, assign_communes
from cadastre.areas.coverage import Coverage, covered_parts, footprint_counts
from cadastre.config import Config, ThermalConfig
from cadastre.solar.energy import YieldTable, pvwatts_planes, yield_table
from cadastre.errors import NoOverlapError, OptionError
from cadastre.solar.hourly import face_production
from cadastre.solar.irradiance import site_of
from cadastre.solar.thermal import dwelling_systems, face_thermal, heat_economics, plane_thermal, residential_systems
from cadastre.roofs.faces import face_polygons, faces, rasterize_footprints, roof_cells
from cadastre.roofs.profiles import FaceProfiles, face_profiles
from cadastre.solar.weather import Weather
from rasters.grid import grid_of

MONTHLY_COLUMNS = tuple(f"mwh_{m:02d}" for m in range(1, 13))
"""Production of each month [MWh], on the basis of ``mwh`` (gross): faces and buildings; they sum to ``mwh``."""
MONTHLY_PROFILES = "profiles"
"""``monthly`` of the report: the production, annual and monthly, of the faces' shading profiles, hour by hour."""
MONTHLY_SHARES = "unshaded shares"
"""``monthly`` of the report: annual production of the yield table x shading ratio, split into months as the
unshaded plane's production (no horizon codes)."""

ROOF_THERMAL_COLUMNS = ("thermal_area_m2", "thermal_mwh", "thermal_yield")
"""Solar water heating on a face: collector area placed on it [m2], useful solar heat of that system [MWh/yr], and
per m2 of collector [kWh/m2/yr] (empty on a face without collectors; :func:`building_thermal`)."""
BUILDING_HEAT_COLUMNS = ("dwellings", "thermal_area_m2", "thermal_mwh", "thermal_fraction")
"""Solar water heating of a building: dwellings (given or estimated; 0: not residential), collector area [m2],
useful solar heat [MWh/yr], solar fraction of its hot water (0-1) (:func:`building_thermal`)."""
BUILDING_ECONOMICS_COLUMNS = ("thermal_savings_eur", "thermal_co2_t", "thermal_payback_years")
"""Economics of a building's solar water heater (:func:`thermal_economics`): first-year savings on the fuel it
replaces [EUR/yr incl. VAT], CO2 avoided [t/yr], simple payback [yr] (NaN: never, or no system). A folder written
before them lacks them (optional columns)."""
BUILDING_THERMAL_COLUMNS = (*BUILDING_HEAT_COLUMNS, *BUILDING_ECONOMICS_COLUMNS)
"""All the solar water heating columns of a building, in order."""

RESULT_COLUMNS = (
    "building_id", "insee", "commune", "epci_siren", "epci", "footprint_area_m2", "roof_area_m2", "faces",
    "suitable_faces", "usable_area_m2", "usable_area_net_m2", "kwp", "kwp_net", "mwh", "mwh_net",
    "specific_yield", "irradiation", "best_face", "class", "has_data", *MONTHLY_COLUMNS, *BUILDING_THERMAL_COLUMNS,
)


@dataclasses.dataclass
class BuildingsResult:
    """Everything ``cadastre buildings`` writes."""

    roofs: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    communes: pd.DataFrame
    epci: pd.DataFrame
    territory: pd.DataFrame
    report: dict
    coverage: gpd.GeoDataFrame | None = None
    """The covered part of each commune (:func:`cadastre.areas.coverage.covered_parts`)."""
    profiles: FaceProfiles | None = None
    """The shading profiles of the faces (ids: ``face``), None without horizon codes."""
    communes_monthly: pd.DataFrame | None = None
    epci_monthly: pd.DataFrame | None = None
    territory_monthly: pd.DataFrame | None = None
    """The monthly tables (:func:`cadastre.areas.aggregate.aggregate_monthly`)."""


def prepare_footprints(footprints: gpd.GeoDataFrame, crs, name: str = "footprints") -> tuple[gpd.GeoDataFrame, int]:
    """Reproject to ``crs``, repair invalid geometries, keep polygons; return them and the number repaired."""
    if footprints.crs is None:
        from cadastre.errors import CRSError

        raise CRSError(f"{name}: no CRS; set one (e.g. EPSG:2154) in the file")
    gdf = footprints.to_crs(crs) if not footprints.crs.equals(crs) else footprints.copy()
    if gdf.geometry.has_z.any():  # BD TOPO footprints are PolygonZ: the heights come from the DSM
        gdf = gdf.set_geometry(shapely.force_2d(gdf.geometry.values))
    invalid = ~gdf.geometry.is_valid
    repaired = int(invalid.sum())
    if repaired:
        geoms = gdf.geometry.copy()
        geoms[invalid] = geoms[invalid].apply(make_valid)
        gdf = gdf.set_geometry(geoms.apply(_polygonal))
    keep = gdf.geometry.notna() & ~gdf.geometry.is_empty & gdf.geom_type.isin(["Polygon", "MultiPolygon"])
    return gdf[keep].reset_index(drop=True), repaired


def _polygonal(geom):
    """The polygonal part of a repaired geometry (GeometryCollections from make_valid)."""
    if geom is None or geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    from shapely.geometry import MultiPolygon
    from shapely.ops import unary_union

    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    merged = unary_union(parts) if parts else None
    return merged if merged is None or merged.geom_type in ("Polygon", "MultiPolygon") else MultiPolygon()


def owned_by_raster(footprints: gpd.GeoDataFrame, bounds: tuple[float, float, float, float]) -> np.ndarray:
    """True for footprints whose representative point lies in [xmin, xmax) x (ymin, ymax]."""
    pts = footprints.geometry.representative_point()
    xmin, ymin, xmax, ymax = bounds
    return ((pts.x >= xmin) & (pts.x < xmax) & (pts.y > ymin) & (pts.y <= ymax)).to_numpy()


def classify(fraction: np.ndarray, thresholds) -> np.ndarray:
    """Class 1-5 from the fraction of the optimal plane's irradiation."""
    return (1 + np.searchsorted(np.asarray(thresholds), np.nan_to_num(fraction, nan=0.0), side="right")).astype(np.int64)


def building_class(faces: pd.DataFrame) -> pd.Series:
    """Class of each building (index ``building``): the highest class of its suitable faces.

    Buildings with no suitable face are absent (class 0 once reindexed on every building).
    """
    suitable = faces[faces["suitable"].astype(bool)]
    return suitable.groupby("building")["class"].max()


def parameters_record(
    config: Config,
    *,
    resolution: float,
    directions: int | None,
    max_distance: float | None,
    far_distance: float | None,
    far_cell: float | None,
    sky: str,
    albedo: float,
    weather: str,
) -> dict:
    """Every parameter a result was computed with, as recorded in its metadata (key ``parameters``).

    Keys (:data:`cadastre.results.contract.PARAMETER_KEYS`): ``resolution`` (cell size [m]),
    ``directions``, ``max_distance`` [m], ``far_distance`` [m] and ``far_cell`` [m] of the horizon
    search (None when unknown), ``sky``, ``albedo`` (0-1), ``weather`` (the file or ``clearsky``) and
    ``weather_sha256`` (None for ``clearsky``), then the sections ``pv``, ``roofs``, ``aggregate`` (and ``thermal``,
    not among the keys readers require) of
    ``config`` with the units of :mod:`cadastre.config` (fractions 0-1, not percent; module density
    [kWp/m²]; angles [degrees]; areas [m²]).
    """
    from rasters.lidar import sha256

    path = str(weather)
    digest = sha256(path) if path.lower() != "clearsky" and os.path.isfile(path) else None

    def number(value):
        return None if value is None else float(value)

    return {
        "resolution": float(resolution),
        "directions": None if directions is None else int(directions),
        "max_distance": number(max_distance),
        "far_distance": number(far_distance),
        "far_cell": number(far_cell),
        "sky": str(sky),
        "albedo": float(albedo),
        "weather": path,
        "weather_sha256": digest,
        "pv": dataclasses.asdict(config.pv),
        "roofs": {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(config.roofs).items()},
        "aggregate": dataclasses.asdict(config.aggregate),
        "thermal": {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(config.thermal).items()},
    }


def stored(profiles: FaceProfiles) -> FaceProfiles:
    """``profiles`` as their file holds them (:meth:`FaceProfiles.as_stored`): the production of a result set is
    that of the profiles it stores, so that ``cadastre reweather`` with the same weather gives the same numbers."""
    return profiles.as_stored()


def unshaded_monthly_shares(weather: Weather, site: tuple[float, float, float], tilt, azimuth, *, pv,
                            sky: str, albedo: float, tilt_step: float = 1.0, azimuth_step: float = 5.0) -> np.ndarray:
    """Share of each month (UTC stamps) in the PVWatts yield of unshaded planes, shape (planes, 12).

    Planes are rounded to ``tilt_step`` x ``azimuth_step`` [degrees] and each rounded plane computed
    once; a plane without yield (or NaN) gets zeros.
    """
    tilt = np.clip(np.nan_to_num(np.asarray(tilt, np.float64)), 0.0, 90.0)
    azimuth = np.nan_to_num(np.asarray(azimuth, np.float64)) % 360.0
    t = np.round(tilt / tilt_step) * tilt_step
    a = np.where(t > 0, np.round(azimuth / azimuth_step) * azimuth_step % 360.0, 180.0)
    planes, inverse = np.unique(np.column_stack([t, a]), axis=0, return_inverse=True)
    month = weather.data.index.month.to_numpy() - 1
    monthly = np.zeros((len(planes), 12))
    for start in range(0, len(planes), 128):
        part = planes[start:start + 128]
        ac = pvwatts_planes(weather, *site, part[:, 0], part[:, 1], pv=pv, sky=sky, albedo=albedo)
        for m in range(12):
            monthly[start:start + len(part), m] = ac[month == m].sum(axis=0)
    total = monthly.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(total > 0, monthly / np.where(total > 0, total, 1.0), 0.0)
    return shares[np.asarray(inverse).reshape(-1)]


def monthly_mwh(kwp: np.ndarray, yields: np.ndarray) -> np.ndarray:
    """MWh of each month (faces x 12) from kWp and monthly specific yields [kWh/kWp]; 0 where kWp is 0."""
    kwp = np.asarray(kwp, np.float64)[:, None]
    return np.where(kwp > 0, kwp * np.nan_to_num(np.asarray(yields, np.float64)) / 1000.0, 0.0)


def profile_energy(table: pd.DataFrame, production: pd.DataFrame) -> pd.DataFrame:
    """``table`` (of :func:`face_energy`) with ``specific_yield``, ``mwh`` and ``mwh_01`` ... ``mwh_12`` from the
    faces' hourly production (``production``: :attr:`cadastre.solar.hourly.FaceProduction.table`, same rows)."""
    out = table.copy()
    spec = production["specific_yield"].to_numpy(np.float64)
    kwp = out["kwp"].to_numpy(np.float64)
    months = monthly_mwh(kwp, production[[f"yield_{m:02d}" for m in range(1, 13)]].to_numpy())
    out["specific_yield"] = spec
    out["mwh"] = np.where(kwp > 0, kwp * np.nan_to_num(spec) / 1000.0, 0.0)
    for m, column in enumerate(MONTHLY_COLUMNS):
        out[column] = months[:, m]
    return out


def building_production(faces: pd.DataFrame, ids, kwp, net: float, *, by: str = "building_id") -> pd.DataFrame:
    """The production of buildings from their faces': the one rule of ``cadastre buildings`` and ``cadastre
    reweather``.

    ``faces``: one row per face with ``face``, ``suitable``, ``specific_yield`` [kWh/kWp], ``mwh`` and ``mwh_01``
    ... ``mwh_12`` [MWh], and the building's id in column ``by``; ``ids``: the buildings, ``kwp`` their kWp
    (same order); ``net``: the net share (1 - net reduction). Returns, one row per building of ``ids`` in order
    (a building without faces: 0 MWh): ``mwh`` and the months (sums of its faces'), ``specific_yield``
    (1000 ``mwh`` / ``kwp`` [kWh/kWp], NaN without kWp), ``mwh_net`` (``mwh`` x ``net``) and ``best_face`` (its
    suitable face of highest specific yield, the first in the faces' order on a tie; 0 without one).
    """
    ids = np.asarray(ids)
    per = faces.groupby(by)
    joined = pd.DataFrame({column: per[column].sum() for column in ("mwh", *MONTHLY_COLUMNS)}).reindex(ids)
    out = pd.DataFrame({column: joined[column].fillna(0.0).to_numpy() for column in ("mwh", *MONTHLY_COLUMNS)})
    kwp = np.asarray(kwp, np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["specific_yield"] = np.where(kwp > 0, 1000.0 * out["mwh"] / np.where(kwp > 0, kwp, 1), np.nan)
    out["mwh_net"] = out["mwh"] * net
    suitable = faces[faces["suitable"].astype(bool)].sort_values([by, "specific_yield"], ascending=[True, False],
                                                                 kind="stable")
    best = suitable.drop_duplicates(by).set_index(by)["face"]
    out["best_face"] = best.reindex(ids).fillna(0).astype(np.int64).to_numpy()
    return out


def face_energy(table: pd.DataFrame, yields: YieldTable, config: Config) -> pd.DataFrame:
    """Add suitability, class, kWp, MWh/yr and specific yield to a face table (see module docstring)."""
    r = config.roofs
    opt_tilt, opt_azimuth, opt_poa = yields.optimum()
    poa, spec = yields.lookup(table["tilt"].to_numpy(), table["azimuth"].to_numpy())
    irr = table["usable_irradiation"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.clip(np.nan_to_num(irr / poa), 0.0, 1.0)
        fraction = irr / opt_poa
    az = table["azimuth"].to_numpy()
    north = (~table["flat"].to_numpy()) & (np.minimum(az % 360, 360 - az % 360) < r.north_limit)
    suitable = (
        (table["tilt"].to_numpy() <= r.max_slope)
        & ~north
        & (np.nan_to_num(fraction) >= r.min_irradiation_fraction)
        & (table["usable_area_m2"].to_numpy() >= r.min_face_area)
    )
    out = table.copy()
    out["poa_unshaded"] = poa
    out["shading_ratio"] = ratio
    out["fraction_of_optimum"] = fraction
    out["class"] = classify(fraction, r.class_thresholds)
    out["suitable"] = suitable
    out["kwp"] = np.where(suitable, table["usable_area_m2"].to_numpy() * config.pv.module_density, 0.0)
    out["specific_yield"] = spec * ratio
    out["mwh"] = out["kwp"] * out["specific_yield"] / 1000.0
    return out


def compute_buildings(
    irradiance: xr.Dataset,
    footprints: gpd.GeoDataFrame,
    weather: Weather,
    *,
    communes: gpd.GeoDataFrame | None = None,
    ndsm: np.ndarray | None = None,
    vegetation: np.ndarray | None = None,
    config: Config = Config(),
    core: tuple[float, float, float, float] | None = None,
    yields: YieldTable | None = None,
    progress: Callable[[str], None] | None = None,
    data: np.ndarray | None = None,
    covered: gpd.GeoDataFrame | None = None,
    given_footprints: bool = True,
    tables: bool = True,
) -> BuildingsResult:
    """PV potential of every roof face and building of a raster, aggregated by commune and EPCI.

    Parameters
    ----------
    irradiance : xarray.Dataset
        Output of :func:`cadastre.solar.irradiance` (or the GeoTIFF it wrote, read back).
    footprints : geopandas.GeoDataFrame
        Building polygons, any CRS; their attributes are kept.
    weather : Weather
        The weather used for the production (PVWatts with temperature).
    communes : geopandas.GeoDataFrame, optional
        Communes from :func:`cadastre.areas.aggregate.load_communes`.
    ndsm, vegetation : 2-D arrays, optional
        Height above ground [m] and vegetation mask on the raster's grid.
    config : Config
        All parameters.
    core : (xmin, ymin, xmax, ymax), optional
        The part of the raster this call owns [m]: a tile's core when the
        raster carries a halo of its neighbours. A building belongs to the call
        whose core holds its footprint's representative point. Default: the
        whole raster.
    yields : YieldTable, optional
        A yield table already computed for this weather, site, sky and PV
        parameters (a tiled run computes it once); default: computed here.
    data : 2-D bool array, optional
        Cells with data (the DSM is not nodata) on the raster's grid; default: the cells where the
        irradiance is finite. A building with no cell of data in its footprint has ``has_data``
        false and is not counted as analysed.
    covered : GeoDataFrame, optional
        The covered part of each commune, if already computed for ``core``
        (:func:`cadastre.areas.coverage.covered_parts`); default: computed here from ``data``.
    given_footprints : bool
        The footprints were given (a file), not derived from the LiDAR: the tables count them per
        commune (``footprints``, ``footprints_with_data``).
    tables : bool
        Aggregate the commune, EPCI and territory tables (annual and monthly). A tiled run, which
        aggregates all its buildings at the end, asks for none: the result's tables are then empty
        and its monthly tables None.
    """
    say = progress or (lambda message: None)
    grid = grid_of(irradiance["global"], "irradiance")
    t = grid.transform
    bounds = (t.c, t.f + t.e * grid.height, t.c + t.a * grid.width, t.f)
    fp, repaired = prepare_footprints(footprints, grid.crs)
    if fp.empty:
        raise NoOverlapError("footprints: no valid polygon")
    owned = owned_by_raster(fp, bounds if core is None else tuple(core))
    valid = np.isfinite(irradiance["global"].values) if data is None else np.asarray(data, bool)
    if covered is None:
        covered = covered_parts(valid, t, grid.crs, communes, None if core is None else tuple(core))
    counted = fp if core is None else fp[owned]  # one raster: the footprints outside it have no data
    if not owned.any():
        raise NoOverlapError(
            f"footprints: none of the {len(fp)} buildings lies on the irradiance raster "
            f"(bounds {', '.join(f'{v:.0f}' for v in bounds)} in {grid.crs.to_string()}); check the files and CRS"
        )
    fp = fp[owned].reset_index(drop=True)
    say(f"{len(fp):,} buildings on the raster")
    ids = rasterize_footprints(fp, t, (grid.height, grid.width))
    has_data = _with_data(fp, ids, valid, t)
    roof = roof_cells(ids, irradiance["global"].values, ndsm=ndsm, vegetation=vegetation, min_height=config.roofs.min_height)
    # faces are local: work on the bounding box of the roof cells (a tile's halo holds few of them)
    rows, cols = np.flatnonzero(roof.any(axis=1)), np.flatnonzero(roof.any(axis=0))
    box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)) if rows.size else (slice(0, 1), slice(0, 1))
    window = irradiance[[name for name in irradiance.data_vars if name != "horizon"]].isel(y=box[0], x=box[1])
    labels, table, usable = faces(window, roof[box], config.roofs, with_usable=True)
    say(f"{len(table):,} roof faces")
    lat, lon, alt = (irradiance.attrs.get(k) for k in ("latitude", "longitude", "altitude"))
    if lat is None:
        lat, lon, alt = site_of(irradiance["global"])
    sky = str(irradiance.attrs.get("sky", config.sky))
    albedo = float(irradiance.attrs.get("albedo", config.albedo))
    if yields is None:
        yields = yield_table(weather, float(lat), float(lon), float(alt), pv=config.pv, sky=sky, albedo=albedo)
    table = face_energy(table, yields, config)
    site = (float(lat), float(lon), float(alt))
    profiles = None
    if "horizon" in irradiance and len(table):
        # the labels on the whole grid: the horizon codes are read through face_profiles only
        full_labels = np.zeros(roof.shape, np.int32)
        full_usable = np.zeros(roof.shape, bool)
        full_labels[box], full_usable[box] = labels, usable
        profiles = stored(face_profiles(irradiance, full_labels, full_usable, table))
        del full_labels, full_usable
        say(f"{len(profiles):,} shading profiles")
        production = face_production(weather, site, profiles, pv=config.pv, sky=sky, albedo=albedo)
        table = profile_energy(table, production.table)
    else:
        shares = unshaded_monthly_shares(weather, site, table["tilt"].to_numpy(), table["azimuth"].to_numpy(),
                                         pv=config.pv, sky=sky, albedo=albedo) if len(table) else np.zeros((0, 12))
        months = table["mwh"].to_numpy(np.float64)[:, None] * shares
        for m, column in enumerate(MONTHLY_COLUMNS):
            table[column] = months[:, m]
    net = 1.0 - config.aggregate.net_reduction

    polys = face_polygons(labels, t * Affine.translation(box[1].start, box[0].start), grid.crs)
    roofs = polys.merge(table, on="face", how="left")
    roofs.insert(1, "building_id", roofs["building"].to_numpy())
    roofs = roofs.drop(columns=["building"])

    per = table.assign(
        suitable_area=np.where(table["suitable"], table["usable_area_m2"], 0.0),
        energy=table["irradiation"] * table["area_m2"],
    ).groupby("building")
    agg = pd.DataFrame(
        {
            "roof_area_m2": per["area_m2"].sum(),
            "faces": per["face"].count(),
            "suitable_faces": per["suitable"].sum(),
            "usable_area_m2": per["suitable_area"].sum(),
            "kwp": per["kwp"].sum(),
            "energy": per["energy"].sum(),
        }
    )
    agg["class"] = building_class(table)
    number = np.arange(1, len(fp) + 1)
    b = fp.copy()
    for column in RESULT_COLUMNS:
        if column in b.columns:
            b = b.rename(columns={column: f"input_{column}"})
    b["building_id"] = number
    b["footprint_area_m2"] = fp.geometry.area.to_numpy()
    joined = agg.reindex(number)
    for column in ("roof_area_m2", "faces", "suitable_faces", "usable_area_m2", "kwp"):
        b[column] = joined[column].fillna(0).to_numpy()
    production = building_production(table, number, b["kwp"].to_numpy(np.float64), net, by="building")
    for column in ("mwh", *MONTHLY_COLUMNS):
        b[column] = production[column]
    with np.errstate(invalid="ignore", divide="ignore"):
        b["irradiation"] = (joined["energy"] / joined["roof_area_m2"]).to_numpy()
    b["specific_yield"] = production["specific_yield"]
    b["usable_area_net_m2"] = b["usable_area_m2"] * net
    b["kwp_net"] = b["kwp"] * net
    b["mwh_net"] = production["mwh_net"]
    b["best_face"] = production["best_face"]
    b["class"] = joined["class"].fillna(0).astype(np.int64).to_numpy()
    b["has_data"] = has_data
    b["faces"] = b["faces"].astype(np.int64)
    b["suitable_faces"] = b["suitable_faces"].astype(np.int64)
    heights = _median_heights(ids, roof, ndsm, number)
    face_cols, building_cols = building_thermal(table, b, weather, site, config, heights=heights, profiles=profiles,
                                                sky=sky, albedo=albedo)
    for column in BUILDING_THERMAL_COLUMNS:
        b[column] = building_cols[column].to_numpy()
    if communes is not None:
        b = assign_communes(b, communes)
    else:
        for column in ASSIGNED_COLUMNS:
            b[column] = pd.NA
    front = [c for c in RESULT_COLUMNS if c in b.columns]
    b = b[front + [c for c in b.columns if c not in front]]
    roofs["building_id"] = roofs["building_id"].astype(np.int64)
    thermal_faces = roof_thermal(roofs["face"], face_cols)
    for column in ROOF_THERMAL_COLUMNS:
        roofs[column] = thermal_faces[column].to_numpy()
    report = {
        "buildings": int(len(b)),
        "buildings_outside_raster": int((~owned).sum()),
        "footprints_repaired": repaired,
        "faces": int(len(table)),
        "suitable_faces": int(table["suitable"].sum()),
        "optimum": dict(zip(("tilt", "azimuth", "poa_kwh_m2"), (float(v) for v in yields.optimum()), strict=True)),
        "sky": sky,
        "net_reduction": config.aggregate.net_reduction,
        "parameters": parameters_record(
            config, resolution=abs(t.a), directions=irradiance.attrs.get("directions"),
            max_distance=irradiance.attrs.get("max_distance"), far_distance=irradiance.attrs.get("far_distance"),
            far_cell=irradiance.attrs.get("far_cell"), sky=sky, albedo=albedo, weather=str(weather.source)),
        "monthly": MONTHLY_PROFILES if profiles is not None else MONTHLY_SHARES,
        "site": dict(zip(("latitude", "longitude", "altitude"), site, strict=True)),
    }
    if not math.isfinite(report["optimum"]["poa_kwh_m2"]):
        raise OptionError("weather: the optimal plane receives no irradiation; check the weather file")
    counts = None
    if given_footprints and tables:
        counts = footprint_counts(assign_communes(counted, communes)) if communes is not None else pd.Series(
            dtype="Int64")
    coverage = Coverage(covered=covered.groupby("insee")["covered_m2"].sum(), footprints=counts)
    return BuildingsResult(
        roofs=roofs,
        buildings=b,
        communes=aggregate(b, "insee", communes=communes, coverage=coverage) if tables else pd.DataFrame(),
        epci=aggregate(b, "epci_siren", communes=communes, coverage=coverage) if tables else pd.DataFrame(),
        territory=aggregate(b, None, communes=communes) if tables else pd.DataFrame(),
        report=report,
        coverage=covered,
        profiles=profiles,
        communes_monthly=aggregate_monthly(b, "insee", communes=communes) if tables else None,
        epci_monthly=aggregate_monthly(b, "epci_siren", communes=communes) if tables else None,
        territory_monthly=aggregate_monthly(b, None, communes=communes) if tables else None,
    )


def _median_heights(ids: np.ndarray, roof: np.ndarray, ndsm: np.ndarray | None, number: np.ndarray) -> np.ndarray | None:
    """Median height above ground of each building's roof cells [m] (NaN without roof cells), None without nDSM."""
    if ndsm is None:
        return None
    at = (roof > 0) & (ids > 0) & np.isfinite(ndsm)
    med = pd.Series(np.asarray(ndsm, np.float64)[at]).groupby(ids[at]).median()
    return med.reindex(number).to_numpy(np.float64)


def building_thermal(faces: pd.DataFrame, buildings: pd.DataFrame, weather: Weather,
                     site: tuple[float, float, float], config: Config, *, heights=None,
                     profiles: FaceProfiles | None = None, sky: str = "isotropic",
                     albedo: float = 0.2, dwellings=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Solar water heating of residential buildings, on their best face (method: ``docs/method.md``).

    Each residential building with data and a suitable face gets the standard system of
    :func:`cadastre.solar.thermal.residential_systems` (``heights``: median roof height per building [m], for the
    levels) on its ``best_face``, its collector area capped at ``thermal.max_area_share`` of the face's usable area
    (tank and demand kept: a capped system covers less of the demand). The heat is simulated hour by hour on the
    face's shaded irradiance (its shading profile, when ``profiles`` is given), else on the unshaded plane x its
    ``shading_ratio``. ``dwellings``: the buildings' dwellings when already known (a result's ``dwellings``
    column, as ``cadastre reweather`` reads it), instead of sizing them from the footprints and ``heights``.

    Parameters
    ----------
    faces : DataFrame
        The face table (``face``, ``usable_area_m2``, ``tilt``, ``azimuth``, ``shading_ratio``).
    buildings : DataFrame
        ``building_id``, ``footprint_area_m2``, ``best_face`` (0: none), ``has_data`` and the input attributes.

    Returns
    -------
    faces_out : DataFrame indexed by face id
        :data:`ROOF_THERMAL_COLUMNS` of the faces that carry collectors.
    buildings_out : DataFrame, index of ``buildings``
        :data:`BUILDING_THERMAL_COLUMNS` (economics: :func:`thermal_economics`).
    """
    th = config.thermal
    if dwellings is None:
        systems = residential_systems(buildings, height=heights, thermal=th)
    else:
        systems = dwelling_systems(dwellings, thermal=th, index=buildings.index)
    best = buildings["best_face"].to_numpy(np.int64)
    by_face = faces.set_index("face")
    usable = by_face["usable_area_m2"].reindex(best).to_numpy(np.float64)
    area = np.minimum(systems["area_m2"].to_numpy(), th.max_area_share * np.nan_to_num(usable))
    has = (best > 0) & (area > 0) & buildings["has_data"].to_numpy(bool)
    out = pd.DataFrame({"dwellings": systems["dwellings"].to_numpy(), "thermal_area_m2": 0.0, "thermal_mwh": 0.0,
                        "thermal_fraction": 0.0}, index=buildings.index)
    face_out = pd.DataFrame(columns=list(ROOF_THERMAL_COLUMNS), dtype=float)
    if not has.any():
        return face_out, thermal_economics(out, th)
    ids = best[has]
    tank = systems["tank_l"].to_numpy()[has]
    demand = systems["demand_l"].to_numpy()[has]
    if profiles is not None:
        chosen = profiles.select(ids)
        result = face_thermal(weather, site, chosen, chosen.azimuth, area=area[has], tank_l=tank, demand_l=demand,
                              thermal=th, sky=sky, albedo=albedo)
    else:
        plane = by_face.loc[ids]
        result = plane_thermal(weather, site, plane["tilt"].to_numpy(), plane["azimuth"].to_numpy(), area=area[has],
                               tank_l=tank, demand_l=demand, shading=plane["shading_ratio"].to_numpy(), thermal=th,
                               sky=sky, albedo=albedo)
    out.loc[has, "thermal_area_m2"] = area[has]
    out.loc[has, "thermal_mwh"] = result.solar_kwh / 1000.0
    out.loc[has, "thermal_fraction"] = result.solar_fraction
    face_out = pd.DataFrame({"thermal_area_m2": area[has], "thermal_mwh": result.solar_kwh / 1000.0,
                             "thermal_yield": result.solar_kwh / area[has]}, index=pd.Index(ids, name="face"))
    return face_out, thermal_economics(out, th)


def thermal_economics(heat: pd.DataFrame, thermal: ThermalConfig) -> pd.DataFrame:
    """``heat`` (:data:`BUILDING_HEAT_COLUMNS`) with :data:`BUILDING_ECONOMICS_COLUMNS`: the economics of each
    building's system (:func:`cadastre.solar.thermal.heat_economics`) for a household, against ``thermal.house_fuel``
    at the household prices incl. VAT; the installed cost per m2 is ``house_cost_eur_m2`` for a house (one dwelling:
    a CESI), ``collective_cost_eur_m2`` otherwise. A building without a system: 0 EUR, 0 t and a NaN payback; a
    system that never pays back (savings <= upkeep): NaN."""
    gas = thermal.house_fuel == "gas"
    area = heat["thermal_area_m2"].to_numpy(np.float64)
    cost = np.where(heat["dwellings"].to_numpy(np.float64) == 1, thermal.house_cost_eur_m2,
                    thermal.collective_cost_eur_m2)
    e = heat_economics(heat["thermal_mwh"].to_numpy(np.float64) * 1000.0, area,
                       price=thermal.gas_price_eur_kwh if gas else thermal.electric_price_eur_kwh,
                       efficiency=thermal.gas_efficiency if gas else thermal.electric_efficiency,
                       co2_kg_kwh=thermal.gas_co2_kg_kwh if gas else thermal.electric_co2_kg_kwh, cost_eur_m2=cost,
                       subsidy_eur_m2=thermal.subsidy_eur_m2, om_rate=thermal.om_rate,
                       lifetime_years=thermal.lifetime_years, discount_rate=thermal.discount_rate)
    has = area > 0
    out = heat.copy()
    out["thermal_savings_eur"] = np.where(has, e.savings_eur, 0.0)
    out["thermal_co2_t"] = np.where(has, e.co2_t, 0.0)
    out["thermal_payback_years"] = np.where(has & np.isfinite(e.payback_years), e.payback_years, np.nan)
    return out


def roof_thermal(faces, placed: pd.DataFrame) -> pd.DataFrame:
    """:data:`ROOF_THERMAL_COLUMNS` of the faces ``faces`` (ids, in order): the values of ``placed`` (the faces that
    carry collectors, indexed by face id: the first output of :func:`building_thermal`), 0 m2 and 0 MWh elsewhere,
    and an empty ``thermal_yield`` there."""
    out = pd.DataFrame(0.0, index=pd.Index(faces), columns=list(ROOF_THERMAL_COLUMNS))
    out["thermal_yield"] = np.nan
    placed = placed.reindex(out.index).dropna(how="all")
    out.loc[placed.index, list(ROOF_THERMAL_COLUMNS)] = placed[list(ROOF_THERMAL_COLUMNS)].to_numpy()
    return out


def _with_data(fp: gpd.GeoDataFrame, ids: np.ndarray, valid: np.ndarray, transform: Affine) -> np.ndarray:
    """True for each footprint with a cell of data: one of its cells, or the cell of its representative point."""
    n = len(fp)
    hit = np.bincount(ids[valid & (ids > 0)].ravel(), minlength=n + 1)[1:n + 1] > 0
    if not hit.all():
        pts = fp.geometry.representative_point()
        cols, rows = ~transform * (pts.x.to_numpy(), pts.y.to_numpy())
        rows, cols = np.floor(rows).astype(np.int64), np.floor(cols).astype(np.int64)
        inside = (rows >= 0) & (rows < valid.shape[0]) & (cols >= 0) & (cols < valid.shape[1])
        point = np.zeros(n, bool)
        point[inside] = valid[rows[inside], cols[inside]]
        hit |= point
    return hit
