"""Buildings to communes and EPCIs: the admin layer and the totals per territory.

:func:`load_communes` reads any polygon layer with an INSEE code column (default: the 150
communes of the Pôle Métropolitain de l'Artois shipped in ``cadastre/data``) into one schema;
:func:`assign_communes` puts each building in the commune holding its footprint's
representative point; :func:`aggregate` sums the buildings' PV potential per commune, per EPCI
or over the whole territory (:mod:`cadastre.results.tables` writes such tables).

Buildings outside every commune
-------------------------------
They are kept. :func:`assign_communes` gives them ``insee`` NA; :func:`aggregate` reports them
as one separate row with code NA and name :data:`OUTSIDE` (last) in the commune and EPCI tables,
and counts them in the territory total (column ``outside_buildings`` says how many). Buildings
in a commune that belongs to no known EPCI form an EPCI row with code NA and name
:data:`NO_EPCI`. Every building therefore appears exactly once in every table, and the rows of
each table sum to the territory total.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from cadastre.areas.coverage import COVERAGE_COLUMNS, Coverage, commune_areas, coverage_of
from cadastre.errors import CadastreError, CRSError, InputFileError, OptionError

#: Column names holding the INSEE commune code, tried in this order (case-insensitive).
INSEE_COLUMNS = ("insee", "code_insee", "insee_com", "code", "codgeo", "com")
#: Column names holding the commune name (case-insensitive).
NAME_COLUMNS = ("nom", "name", "nom_com", "libelle", "libgeo", "nom_commune")
#: Column names holding the SIREN of the commune's EPCI (case-insensitive).
EPCI_SIREN_COLUMNS = ("epci_siren", "siren_epci", "code_epci", "epci_code")
#: Column names holding the name of the commune's EPCI (case-insensitive).
EPCI_NAME_COLUMNS = ("epci_nom", "nom_epci", "epci_name", "lib_epci", "libepci")
#: Column names holding the commune's population [inhabitants] (case-insensitive).
POPULATION_COLUMNS = ("population", "population_municipale", "pmun", "pop")

#: Communes shipped with the engine: the 150 PMA communes (EPSG:4326).
DEFAULT_COMMUNES_FILE = "communes-pma-150.geojson"
#: Commune table shipped with the engine: EPCI and population of the PMA communes (2026).
PMA_TABLE_FILE = "pma_communes_epci_2026.csv"

#: Columns of :func:`load_communes`' result, in order.
COMMUNE_COLUMNS = ("insee", "commune", "epci_siren", "epci", "population", "geometry")
#: Columns :func:`assign_communes` adds to the buildings.
ASSIGNED_COLUMNS = ("insee", "commune", "epci_siren", "epci")
#: Building columns :func:`aggregate` sums: areas [m2], peak power [kWp], yearly energy [MWh].
BUILDING_COLUMNS = ("roof_area_m2", "usable_area_m2", "usable_area_net_m2", "kwp", "kwp_net", "mwh", "mwh_net")
#: Values of ``by`` accepted by :func:`aggregate`.
AGGREGATE_BY = ("insee", "epci_siren", None)

#: Name of the row of buildings outside every commune.
OUTSIDE = "(outside the communes)"
#: Name of the EPCI row of buildings in communes without a known EPCI.
NO_EPCI = "(communes without EPCI)"

_INSEE_RE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
_SUMS = {  # output column -> (building column, divisor)
    "roof_area_m2": ("roof_area_m2", 1.0),
    "usable_area_m2": ("usable_area_m2", 1.0),
    "usable_area_net_m2": ("usable_area_net_m2", 1.0),
    "mwp_gross": ("kwp", 1000.0),
    "mwp_net": ("kwp_net", 1000.0),
    "gwh_gross": ("mwh", 1000.0),
    "gwh_net": ("mwh_net", 1000.0),
    "thermal_area_m2": ("thermal_area_m2", 1.0),
    "thermal_gwh": ("thermal_mwh", 1000.0),
}
#: Sums whose building column may be absent (a result written before solar water heating): they count 0.
OPTIONAL_SUMS = ("thermal_area_m2", "thermal_gwh")
#: Building columns of :data:`OPTIONAL_SUMS`: summed when a buildings layer has them.
OPTIONAL_BUILDING_COLUMNS = tuple(_SUMS[c][0] for c in OPTIONAL_SUMS)
#: Count columns of every :func:`aggregate` table: buildings analysed (with data: ``has_data``), and buildings
#: with ``kwp`` > 0.
COUNT_COLUMNS = ("buildings", "suitable_buildings")
#: Count and sum columns of every :func:`aggregate` table, after its key columns, in order.
METRIC_COLUMNS = (*COUNT_COLUMNS, *_SUMS)
#: Building columns of the production of each month [MWh] (gross, as ``mwh``), summed by :func:`aggregate_monthly`.
BUILDING_MONTHLY_COLUMNS = tuple(f"mwh_{m:02d}" for m in range(1, 13))
#: Key columns of the monthly tables, by ``by``.
MONTHLY_KEYS = {"insee": ("insee", "commune"), "epci_siren": ("epci_siren", "epci"), None: ("territory",)}
#: Columns of :func:`aggregate_monthly`'s tables, by ``by``: the keys, ``month`` (1-12), ``gwh_gross``, ``gwh_net``.
MONTHLY_TABLE_COLUMNS = {by: (*keys, "month", "gwh_gross", "gwh_net") for by, keys in MONTHLY_KEYS.items()}


# --------------------------------------------------------------------------- communes


def default_communes_path() -> Path:
    """Path of the communes shipped with the engine.

    Returns
    -------
    pathlib.Path
        ``cadastre/data/communes-pma-150.geojson``: the 150 PMA communes, EPSG:4326, simplified
        IGN Admin Express geometry (about 1 m).
    """
    return _data_dir() / DEFAULT_COMMUNES_FILE


def _data_dir() -> Path:
    """The ``cadastre/data`` folder of the installed package."""
    return Path(__file__).resolve().parents[1] / "data"


@functools.lru_cache(maxsize=1)
def _pma_table_cached() -> pd.DataFrame:
    """The shipped PMA commune table, indexed by INSEE code (read once)."""
    table = pd.read_csv(_data_dir() / PMA_TABLE_FILE, dtype=str, encoding="utf-8")
    return pd.DataFrame(
        {
            "commune": table["nom"].astype("string").to_numpy(),
            "epci_siren": table["epci_siren"].astype("string").to_numpy(),
            "epci": table["epci_nom"].astype("string").to_numpy(),
            "population": pd.array(table["population_municipale"].astype(int), dtype="Int64"),
        },
        index=pd.Index(table["insee"].str.zfill(5), name="insee"),
    )


def pma_table() -> pd.DataFrame:
    """The 150 PMA communes of 2026 with their EPCI and population.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``insee`` (5-character string); columns ``commune`` (name), ``epci_siren``,
        ``epci`` (EPCI name) and ``population`` (municipal population [inhabitants], Int64).
        Source: ``cadastre/data/pma_communes_epci_2026.csv`` (see its PROVENANCE).
    """
    return _pma_table_cached().copy()


def load_communes(path: str | os.PathLike | None = None, *, crs=None) -> gpd.GeoDataFrame:
    """Read commune polygons into the engine's schema.

    Parameters
    ----------
    path : path-like, optional
        Any vector file GDAL reads (GeoJSON, GeoPackage, shapefile...) of polygons with a CRS and
        an INSEE code column (one of :data:`INSEE_COLUMNS`, case-insensitive). Default: the 150
        PMA communes shipped with the engine, with names, EPCI and population of 2026 taken from
        the shipped table ``pma_communes_epci_2026.csv``.
    crs : optional
        CRS to reproject to (anything :mod:`pyproj` accepts, e.g. ``"EPSG:2154"``); default: the
        file's own CRS.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per commune, sorted by code, columns :data:`COMMUNE_COLUMNS`: ``insee`` (string,
        5 characters, zero-padded), ``commune`` (name; the code when the file has no name
        column), ``epci_siren`` and ``epci`` (string or NA), ``population`` (municipal
        population [inhabitants], Int64 or NA). Name, EPCI and population come from the file's
        own columns (:data:`NAME_COLUMNS`, :data:`EPCI_SIREN_COLUMNS`,
        :data:`EPCI_NAME_COLUMNS`, :data:`POPULATION_COLUMNS`) when present, else from the
        shipped PMA table by INSEE code, else NA. ``attrs``: ``source`` (file name),
        ``insee_column``, ``repaired`` (invalid polygons repaired with
        :func:`shapely.make_valid`), ``dissolved`` (rows merged into a commune listed twice),
        ``dropped`` (rows without geometry).

    Raises
    ------
    InputFileError
        Missing or unreadable file, no features, no INSEE-like column, bad or missing codes,
        geometries that are not polygons.
    CRSError
        The file has no CRS.
    """
    default = path is None
    path = Path(default_communes_path() if default else path)
    gdf = _read_vector(path)
    column = _find_column(gdf, INSEE_COLUMNS)
    if column is None:
        raise InputFileError(
            f"{path}: no INSEE code column among {_list(c for c in gdf.columns if c != gdf.geometry.name)}; "
            f"name the column holding the 5-character commune code one of {_list(INSEE_COLUMNS)}"
        )
    codes = _normalise_codes(gdf[column], path, column)
    gdf, dropped = _drop_empty(gdf, path)
    codes = codes.loc[gdf.index]
    gdf, repaired = _repair(gdf, path)
    out = _with_attributes(gdf, codes, use_own=not default)
    out, dissolved = _dissolve_duplicates(out)
    if crs is not None:
        out = out.to_crs(crs)
    out.attrs.update(source=path.name, insee_column=column, repaired=repaired, dissolved=dissolved, dropped=dropped)
    return out


def _read_vector(path: Path) -> gpd.GeoDataFrame:
    """Read a vector file, checking existence, readability, features and CRS."""
    if not path.is_file():
        raise InputFileError(f"{path}: no such file; give a communes file (GeoJSON, GeoPackage, shapefile)")
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError, or GDAL errors
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputFileError(
            f"{path}: cannot read it as a vector file ({reason}); give a GeoJSON, GeoPackage or shapefile"
        ) from exc
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        raise InputFileError(f"{path}: has no geometry; give commune polygons")
    if len(gdf) == 0:
        raise InputFileError(f"{path}: has no features; give a file with commune polygons")
    if gdf.crs is None:
        raise CRSError(f"{path}: has no CRS; add one (the .prj of a shapefile, or ogr2ogr -a_srs EPSG:2154)")
    return gdf


def _find_column(df: pd.DataFrame, candidates: Sequence[str]) -> str | None:
    """First column of ``df`` whose lower-cased name is in ``candidates`` (in candidate order)."""
    by_lower = {}
    for name in df.columns:
        by_lower.setdefault(str(name).lower(), name)
    return next((by_lower[c] for c in candidates if c in by_lower), None)


def _normalise_codes(values: pd.Series, path: Path, column: str) -> pd.Series:
    """INSEE codes as 5-character strings (numbers zero-padded); error on missing or bad codes."""
    if pd.api.types.is_float_dtype(values) and values.notna().all() and (values % 1 == 0).all():
        values = values.astype(np.int64)
    codes = values.astype("string").str.strip().str.zfill(5)
    bad = codes.isna() | ~codes.fillna("").str.match(_INSEE_RE)
    if bad.any():
        examples = ", ".join(repr(v) for v in values[bad].head(3).tolist())
        raise InputFileError(
            f"{path}: {int(bad.sum())} of {len(codes)} values of column {column!r} are not INSEE codes "
            f"(e.g. {examples}); give 5-character commune codes such as '62498'"
        )
    return codes


def _drop_empty(gdf: gpd.GeoDataFrame, path: Path) -> tuple[gpd.GeoDataFrame, int]:
    """Drop rows without geometry; error when a geometry is not polygonal."""
    empty = gdf.geometry.isna() | gdf.geometry.is_empty
    gdf = gdf.loc[~empty]
    if len(gdf) == 0:
        raise InputFileError(f"{path}: every feature has an empty geometry; give commune polygons")
    kinds = set(gdf.geom_type) - {"Polygon", "MultiPolygon"}
    if kinds:
        raise InputFileError(f"{path}: has {_list(sorted(kinds))} geometries, not polygons; give commune polygons")
    return gdf, int(empty.sum())


def _repair(gdf: gpd.GeoDataFrame, path: Path) -> tuple[gpd.GeoDataFrame, int]:
    """Repair invalid polygons with :func:`shapely.make_valid`, keeping their polygonal part."""
    invalid = ~gdf.geometry.is_valid
    if not invalid.any():
        return gdf, 0
    gdf = gdf.copy()
    fixed = [_polygonal(g) for g in shapely.make_valid(gdf.geometry[invalid].to_numpy())]
    if any(g.is_empty for g in fixed):
        raise InputFileError(f"{path}: a polygon collapses to nothing once repaired; fix or remove it")
    gdf.loc[invalid, gdf.geometry.name] = gpd.GeoSeries(fixed, index=gdf.index[invalid], crs=gdf.crs)
    return gdf, int(invalid.sum())


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygonal part of a geometry (``make_valid`` may add lines or points)."""
    if isinstance(geom, (shapely.Polygon, shapely.MultiPolygon)):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, (shapely.Polygon, shapely.MultiPolygon))]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _with_attributes(gdf: gpd.GeoDataFrame, codes: pd.Series, *, use_own: bool) -> gpd.GeoDataFrame:
    """The engine's commune schema from the file's columns and the shipped PMA table."""
    table = pma_table().reindex(codes.to_numpy())
    out = {"insee": codes.to_numpy()}
    for key, candidates in (
        ("commune", NAME_COLUMNS),
        ("epci_siren", EPCI_SIREN_COLUMNS),
        ("epci", EPCI_NAME_COLUMNS),
        ("population", POPULATION_COLUMNS),
    ):
        column = _find_column(gdf, candidates) if use_own else None
        out[key] = gdf[column].to_numpy() if column is not None else table[key].to_numpy()
    frame = pd.DataFrame(out)
    frame["insee"] = frame["insee"].astype("string")
    frame["commune"] = frame["commune"].astype("string").fillna(frame["insee"])
    frame["epci_siren"] = _text(frame["epci_siren"])
    frame["epci"] = _text(frame["epci"])
    frame["population"] = pd.to_numeric(frame["population"], errors="coerce").round().astype("Int64")
    return gpd.GeoDataFrame(frame, geometry=gdf.geometry.to_numpy(), crs=gdf.crs)


def _text(values: pd.Series) -> pd.Series:
    """Strings with NA for missing or blank values (integer-valued floats without ``.0``)."""
    if pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
        values = values.astype("Int64")
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def _dissolve_duplicates(gdf: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int]:
    """One row per INSEE code (parts of a commune listed twice merged), sorted by code."""
    duplicated = int(gdf["insee"].duplicated().sum())
    if duplicated:
        gdf = gdf.dissolve(by="insee", as_index=False, aggfunc="first")
    gdf = gdf[list(COMMUNE_COLUMNS)].sort_values("insee", kind="stable").reset_index(drop=True)
    return gdf, duplicated


def _list(names) -> str:
    """Names joined for an error message."""
    names = [str(n) for n in names]
    return ", ".join(names) if names else "(none)"


# --------------------------------------------------------------------------- assignment


def assign_communes(buildings: gpd.GeoDataFrame, communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Put every building in the commune holding its footprint's representative point.

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        Building footprints (polygons) with a CRS.
    communes : geopandas.GeoDataFrame
        Communes as returned by :func:`load_communes` (any CRS; reprojected to the buildings').

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``buildings`` (same rows, order and index) with :data:`ASSIGNED_COLUMNS`
        (``insee``, ``commune``, ``epci_siren``, ``epci``) set or replaced. The representative
        point is :func:`shapely.point_on_surface` (always inside the footprint), so a building
        straddling two communes is counted once. A point on a border shared by several communes
        (or on the boundary of one) goes to the commune with the smallest code. Buildings whose
        point lies in no commune, or without geometry, get NA; ``attrs['outside']`` counts them.

    Raises
    ------
    CRSError
        ``buildings`` or ``communes`` has no CRS.
    """
    if buildings.crs is None:
        raise CRSError("buildings: have no CRS; set one (GeoDataFrame.set_crs) before assigning communes")
    if communes.crs is None:
        raise CRSError("communes: have no CRS; load them with load_communes()")
    zones = communes[list(ASSIGNED_COLUMNS) + [communes.geometry.name]].to_crs(buildings.crs)
    zones = zones.sort_values("insee", kind="stable").reset_index(drop=True)
    points = gpd.GeoDataFrame(
        {"_row": np.arange(len(buildings))},
        geometry=shapely.point_on_surface(buildings.geometry.to_numpy()),
        crs=buildings.crs,
    )
    # 'intersects' rather than 'within': a point on a commune's boundary is within no polygon.
    joined = gpd.sjoin(points, zones, how="left", predicate="intersects")
    joined = joined.sort_values(["_row", "index_right"], kind="stable", na_position="last")
    joined = joined.drop_duplicates("_row", keep="first").set_index("_row").reindex(np.arange(len(buildings)))
    out = buildings.copy()
    for key in ASSIGNED_COLUMNS:
        out[key] = pd.array(joined[key].to_numpy(), dtype="string")
    assert len(out) == len(buildings), "assign_communes changed the number of buildings"
    out.attrs["outside"] = int(out["insee"].isna().sum())
    return out


# --------------------------------------------------------------------------- aggregation


def aggregate(
    buildings: pd.DataFrame, by: str | None, *, communes: pd.DataFrame | None = None,
    coverage: Coverage | None = None,
) -> pd.DataFrame:
    """Sum the buildings' PV potential per commune, per EPCI or over the whole territory.

    Parameters
    ----------
    buildings : pandas.DataFrame
        One row per building with :data:`BUILDING_COLUMNS`: ``roof_area_m2`` (roof area [m2]),
        ``usable_area_m2`` (usable roof area, gross [m2]), ``usable_area_net_m2`` (usable area
        net of obstacles and spacing [m2]), ``kwp`` and ``kwp_net`` (peak power, gross and net
        [kWp]), ``mwh`` and ``mwh_net`` (yearly production, gross and net [MWh]); and, for
        ``by='insee'`` or ``'epci_siren'``, the columns of :func:`assign_communes`. NaN counts
        as 0.
    by : {'insee', 'epci_siren', None}
        Per commune, per EPCI, or one row for the territory.
    communes : pandas.DataFrame, optional
        Communes as returned by :func:`load_communes`. When given, every commune (or EPCI) of it
        appears, with zeros where it has no building, and ``population`` is filled (municipal
        population [inhabitants]; the EPCI's and territory's are the sums over their communes).
        Otherwise only communes with buildings appear and ``population`` is NA.
    coverage : Coverage, optional
        Covered area and footprints per commune: the commune and EPCI tables end with
        :data:`~cadastre.areas.coverage.COVERAGE_COLUMNS` (``area_km2`` from the polygons of
        ``communes``); without it, or for the rows outside the communes, they are NA.

    Buildings with ``has_data`` false (no cell of data in their footprint) are not analysed: they
    are not counted in ``buildings`` (their sums are zero).

    Returns
    -------
    pandas.DataFrame
        Sorted by code; the row of buildings outside every commune (code NA, name
        :data:`OUTSIDE`) and the EPCI row of communes without EPCI (code NA, name
        :data:`NO_EPCI`) come last (see the module docstring). Columns: the key (``insee``,
        ``commune``, ``epci_siren``, ``epci``; or ``epci_siren``, ``epci``, ``communes`` (count);
        or ``territory``, ``communes``, ``outside_buildings``), ``population``, then
        ``buildings`` (count), ``suitable_buildings`` (count with ``kwp`` > 0),
        ``roof_area_m2``, ``usable_area_m2``, ``usable_area_net_m2`` [m2], ``mwp_gross``,
        ``mwp_net`` [MWp] (sums of kWp / 1000), ``gwh_gross``, ``gwh_net`` [GWh] (sums of
        MWh / 1000), ``thermal_area_m2`` [m2] (solar water heating collectors) and ``thermal_gwh`` [GWh of heat]
        (sums of the buildings' ``thermal_area_m2`` and ``thermal_mwh`` / 1000; 0 when absent).

    Raises
    ------
    OptionError
        ``by`` is not one of :data:`AGGREGATE_BY`.
    CadastreError
        ``buildings`` lacks a needed column.
    """
    if by not in AGGREGATE_BY:
        raise OptionError(f"aggregate: by={by!r} is not one of 'insee', 'epci_siren', None; pick one")
    needed = list(BUILDING_COLUMNS) + ([] if by is None else list(ASSIGNED_COLUMNS))
    missing = [c for c in needed if c not in buildings.columns]
    if missing:
        raise CadastreError(
            f"buildings: missing columns {_list(missing)}; compute the roofs' PV potential"
            f"{'' if by is None else ' and run assign_communes'} first"
        )
    if by is None:
        return _territory(buildings, communes)
    return _with_coverage(_grouped(buildings, by, communes), by, buildings, communes, coverage)


def _grouped(buildings: pd.DataFrame, by: str | None, communes: pd.DataFrame | None) -> pd.DataFrame:
    """:func:`aggregate`'s table without its coverage columns (checked inputs)."""
    if by is None:
        return _territory(buildings, communes)
    return _by_commune(buildings, communes) if by == "insee" else _by_epci(buildings, communes)


def _with_coverage(table: pd.DataFrame, by: str, buildings: pd.DataFrame, communes: pd.DataFrame | None,
                   coverage: Coverage | None) -> pd.DataFrame:
    """``table`` with :data:`COVERAGE_COLUMNS` appended (per commune, or summed per EPCI)."""
    members = _commune_keys(buildings, communes)
    areas = commune_areas(communes) if isinstance(communes, gpd.GeoDataFrame) and coverage is not None else None
    with_data = None
    if coverage is not None and coverage.footprints is not None:
        analysed = buildings[_analysed(buildings)]
        with_data = analysed["insee"].astype("string").dropna().value_counts()
    per = coverage_of(members["insee"], areas=areas, covered=None if coverage is None else coverage.covered,
                      footprints=None if coverage is None else coverage.footprints, with_data=with_data)
    per.index = pd.Index(members["insee"].astype("string"))
    if by == "insee":
        values = per.reindex(pd.Index(table["insee"].astype("string"))).reset_index(drop=True)
    else:
        label = pd.Index(members["epci_siren"].astype("string").fillna(NO_EPCI))
        summed = per.set_axis(label).groupby(level=0).sum(min_count=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            summed["covered_share"] = np.where(summed["area_km2"] > 0,
                                               np.minimum(summed["covered_km2"] / summed["area_km2"], 1.0), np.nan)
        keys = table["epci_siren"].astype("string").fillna(NO_EPCI)
        keys[table["epci"].astype("string") == OUTSIDE] = OUTSIDE
        values = summed.reindex(pd.Index(keys)).reset_index(drop=True)
    out = table.copy()
    for column in COVERAGE_COLUMNS:
        column_values = values[column]
        out[column] = (pd.array(column_values, dtype="Int64") if column.startswith("footprints")
                       else column_values.astype(float).to_numpy())
    return out


def _analysed(buildings: pd.DataFrame) -> pd.Series:
    """True for buildings with data (``has_data``; every building when the column is absent)."""
    if "has_data" not in buildings.columns:
        return pd.Series(True, index=buildings.index)
    return buildings["has_data"].astype("boolean").fillna(True).astype(bool)


def _sums(buildings: pd.DataFrame, key: pd.Series) -> pd.DataFrame:
    """Counts and sums per value of ``key`` (NA kept as its own group), indexed by key.

    The kWp and MWh columns are summed first, then divided by 1000, so a total is the sum of
    the buildings' values, scaled.
    """
    frame = pd.DataFrame({"_key": key.to_numpy()}, index=buildings.index)
    frame["buildings"] = _analysed(buildings).astype(np.int64).to_numpy()
    frame["suitable_buildings"] = (pd.to_numeric(buildings["kwp"], errors="coerce").fillna(0) > 0).astype(np.int64)
    for name, (column, _divisor) in _SUMS.items():
        if column not in buildings.columns and name in OPTIONAL_SUMS:
            frame[name] = 0.0
            continue
        frame[name] = pd.to_numeric(buildings[column], errors="coerce").astype(float).fillna(0.0)
    sums = frame.groupby("_key", dropna=False, sort=False).sum()
    # an all-NA key (every building outside the communes) would come back as a float index
    sums.index = pd.Index(sums.index.astype(object), dtype=key.dtype, name=sums.index.name)
    for name, (_column, divisor) in _SUMS.items():
        sums[name] = sums[name] / divisor
    return sums


def _fill_metrics(table: pd.DataFrame) -> pd.DataFrame:
    """Zeros for groups without buildings; integer counts."""
    metrics = list(METRIC_COLUMNS)
    table[metrics] = table[metrics].fillna(0)
    table[list(COUNT_COLUMNS)] = table[list(COUNT_COLUMNS)].astype(np.int64)
    return table


def _commune_keys(buildings: pd.DataFrame, communes: pd.DataFrame | None) -> pd.DataFrame:
    """Every commune to report: those of ``communes`` plus any other the buildings name.

    Columns ``insee``, ``commune``, ``epci_siren``, ``epci``, ``population``; one row per code,
    sorted by code.
    """
    own = pd.DataFrame(buildings[list(ASSIGNED_COLUMNS)]).dropna(subset=["insee"]).drop_duplicates("insee")
    own = own.assign(population=pd.array([pd.NA] * len(own), dtype="Int64"))
    if communes is not None:
        given = pd.DataFrame(communes[list(ASSIGNED_COLUMNS) + ["population"]]).drop_duplicates("insee")
        own = pd.concat([given, own[~own["insee"].isin(given["insee"])]], ignore_index=True)
    own = own.astype({"insee": "string", "epci_siren": "string"})
    own["population"] = pd.array(own["population"], dtype="Int64")
    return own.sort_values("insee", kind="stable").reset_index(drop=True)


def _by_commune(buildings: pd.DataFrame, communes: pd.DataFrame | None) -> pd.DataFrame:
    """One row per commune, plus the row of buildings outside every commune."""
    sums = _sums(buildings, buildings["insee"].astype("string"))
    table = _fill_metrics(_commune_keys(buildings, communes).merge(sums, left_on="insee", right_index=True, how="left"))
    if sums.index.isna().any():
        outside = sums.loc[sums.index.isna()].reset_index(drop=True)
        outside = outside.assign(insee=pd.NA, commune=OUTSIDE, epci_siren=pd.NA, epci=pd.NA, population=pd.NA)
        table = pd.concat([table, outside[table.columns]], ignore_index=True)
    return _typed(table)


def _by_epci(buildings: pd.DataFrame, communes: pd.DataFrame | None) -> pd.DataFrame:
    """One row per EPCI, plus the rows of communes without EPCI and of buildings outside."""
    outside = buildings["insee"].isna().to_numpy()
    label = buildings["epci_siren"].astype("string").copy()
    label[outside] = OUTSIDE
    sums = _sums(buildings, label.fillna(NO_EPCI))
    members = _commune_keys(buildings, communes)
    members["_label"] = members["epci_siren"].fillna(NO_EPCI)
    keys = members.groupby("_label", sort=True).agg(
        epci=("epci", "first"),
        communes=("insee", "size"),
        population=("population", lambda p: p.sum(skipna=False)),
    )
    specials = [k for k in (NO_EPCI, OUTSIDE) if k in keys.index or k in sums.index]
    keys = keys.reindex([k for k in keys.index if k not in specials] + specials)
    keys.loc[specials, "epci"] = specials
    keys["communes"] = keys["communes"].fillna(0)
    table = _fill_metrics(keys.join(sums, how="left"))
    table.insert(0, "epci_siren", [pd.NA if k in specials else k for k in table.index])
    return _typed(table.reset_index(drop=True))


def _territory(buildings: pd.DataFrame, communes: pd.DataFrame | None) -> pd.DataFrame:
    """One row: every building, including those outside the communes."""
    row = _fill_metrics(_sums(buildings, pd.Series(0, index=buildings.index)).reindex([0]).reset_index(drop=True))
    assigned = all(c in buildings.columns for c in ASSIGNED_COLUMNS)
    base = buildings if assigned else pd.DataFrame(columns=list(ASSIGNED_COLUMNS))
    keys = _commune_keys(base, communes) if assigned or communes is not None else None
    row.insert(0, "territory", "territory")
    row.insert(1, "communes", pd.NA if keys is None else len(keys))
    row.insert(2, "outside_buildings", int(buildings["insee"].isna().sum()) if assigned else pd.NA)
    population = pd.NA if communes is None else keys["population"].sum(skipna=False)
    row.insert(3, "population", pd.array([population], dtype="Int64"))
    return _typed(row)


def _typed(table: pd.DataFrame) -> pd.DataFrame:
    """Stable dtypes: codes and names as strings, population and counts as integers."""
    for column in ("insee", "commune", "epci_siren", "epci", "territory"):
        if column in table:
            table[column] = table[column].astype("string")
    for column in ("population", "communes", "outside_buildings"):
        if column in table:
            table[column] = pd.array(table[column], dtype="Int64")
    return table.reset_index(drop=True)


def aggregate_monthly(buildings: pd.DataFrame, by: str | None, *, communes: pd.DataFrame | None = None) -> pd.DataFrame:
    """The production of each month per commune, per EPCI or over the territory (long format).

    ``buildings`` as for :func:`aggregate`, with :data:`BUILDING_MONTHLY_COLUMNS` (``mwh_01`` ... ``mwh_12``,
    gross [MWh], summing to ``mwh``). The net production of a month is its gross one times the building's
    ``mwh_net / mwh`` (0 where ``mwh`` is 0), so that the months sum to ``mwh_net`` too.

    Returns
    -------
    pandas.DataFrame
        :data:`MONTHLY_TABLE_COLUMNS` of ``by``: the rows of :func:`aggregate`'s table (same areas, same
        order), each repeated for ``month`` 1 to 12, with ``gwh_gross`` and ``gwh_net`` [GWh]; summed over
        the months they equal the annual table's (to float rounding).

    Raises
    ------
    CadastreError
        ``buildings`` lacks a monthly column.
    """
    if by not in AGGREGATE_BY:
        raise OptionError(f"aggregate_monthly: by={by!r} is not one of 'insee', 'epci_siren', None; pick one")
    needed = list(BUILDING_COLUMNS) + ([] if by is None else list(ASSIGNED_COLUMNS))
    missing = [c for c in (*needed, *BUILDING_MONTHLY_COLUMNS) if c not in buildings.columns]
    if missing:
        raise CadastreError(f"buildings: missing columns {_list(missing)}; compute the roofs' monthly production first")
    gross = pd.to_numeric(buildings["mwh"], errors="coerce").astype(float).fillna(0.0).to_numpy()
    net = pd.to_numeric(buildings["mwh_net"], errors="coerce").astype(float).fillna(0.0).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(gross != 0, net / np.where(gross != 0, gross, 1.0), 0.0)
    keys = list(MONTHLY_KEYS[by])
    series = {}  # (month, gwh column) -> the buildings' MWh of that month
    for m, column in enumerate(BUILDING_MONTHLY_COLUMNS, start=1):
        month = pd.to_numeric(buildings[column], errors="coerce").astype(float).fillna(0.0).to_numpy()
        series[(m, "gwh_gross")], series[(m, "gwh_net")] = month, month * ratio
    # the sums are linear and the groups do not depend on the month: each pass of the annual grouping
    # carries seven of the 24 monthly series in the seven summed columns (scaled to come out in GWh)
    sums = {}
    todo = list(series)
    slots = list(_SUMS.items())
    while todo:
        batch, todo = todo[: len(slots)], todo[len(slots):]
        frame = pd.DataFrame(buildings).copy()
        for (_name, (building_column, divisor)), key in zip(slots, batch, strict=False):
            frame[building_column] = series[key] * divisor / 1000.0
        table = _grouped(frame, by, communes)
        for (name, _spec), key in zip(slots, batch, strict=False):
            sums[key] = table[name].to_numpy(float)
    parts = []
    for m in range(1, 13):
        part = table[keys].copy()
        part["month"] = m
        part["gwh_gross"], part["gwh_net"] = sums[(m, "gwh_gross")], sums[(m, "gwh_net")]
        part["_row"] = np.arange(len(part))
        parts.append(part)
    out = pd.concat(parts, ignore_index=True).sort_values(["_row", "month"], kind="stable")
    out["month"] = out["month"].astype(np.int64)
    return _typed(out.drop(columns="_row"))
