"""How much of each commune the data covers: area with LiDAR data, footprints with data.

A cell *has data* when the surface model (DSM) holds a value there (not nodata). The covered
part of a commune is the union of its cells with data (their square outlines), intersected with
the commune polygon, within the part of the raster a computation owns (a tile's core; the whole
raster otherwise), so that the parts of adjacent tiles never overlap and their areas add up.

Columns added to the commune and EPCI tables (:data:`COVERAGE_COLUMNS`): ``area_km2`` (the
commune's area, or the sum over the EPCI's communes [km²]), ``covered_km2`` (its part covered by
data [km²]), ``covered_share`` (covered / area, 0-1), ``footprints`` (footprints given in it,
by the representative point; NA when the footprints were derived from the LiDAR) and
``footprints_with_data`` (those of them with at least one cell of data, i.e. the buildings
analysed).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from rasterio import features

COVERAGE_COLUMNS = ("area_km2", "covered_km2", "covered_share", "footprints", "footprints_with_data")
"""Coverage columns of the commune and EPCI tables, in order (see the module docstring)."""
PART_COLUMNS = ("insee", "covered_m2")
"""Columns of :func:`covered_parts`' result besides its geometry: commune code, covered area [m²]."""


@dataclass(frozen=True)
class Coverage:
    """What is known of the data's coverage, per commune code.

    ``covered``: area covered by data [m²] by code (codes absent: 0); ``footprints``: number of
    footprints given by code, None when the footprints were derived from the LiDAR itself.
    """

    covered: pd.Series
    footprints: pd.Series | None = None


def data_outline(valid: np.ndarray, transform: Affine, bounds: tuple[float, float, float, float] | None = None):
    """The union of the cells where ``valid`` is true, as one (multi)polygon in the raster's CRS.

    ``bounds`` (xmin, ymin, xmax, ymax) [m] clips it (a tile's core); None keeps the whole raster.
    """
    mask = np.asarray(valid, bool)
    if not mask.any():
        return shapely.Polygon()
    polys = [shapely.geometry.shape(geom) for geom, _ in
             features.shapes(mask.astype(np.uint8), mask=mask, transform=transform, connectivity=4)]
    outline = shapely.union_all(polys)
    if bounds is not None:
        outline = shapely.intersection(outline, shapely.box(*bounds))
    return outline


def covered_parts(valid: np.ndarray, transform: Affine, crs, communes: gpd.GeoDataFrame | None,
                  bounds: tuple[float, float, float, float] | None = None) -> gpd.GeoDataFrame:
    """The covered part of each commune: cells with data (``valid``) within ``bounds``, cut by commune.

    Returns one row per commune that the data touches (:data:`PART_COLUMNS` and the polygon of the
    covered part, in ``crs``); no row without communes.
    """
    empty = gpd.GeoDataFrame({"insee": pd.Series(dtype="string"), "covered_m2": pd.Series(dtype=float)},
                             geometry=gpd.GeoSeries([], crs=crs), crs=crs)
    if communes is None or not len(communes):
        return empty
    outline = data_outline(valid, transform, bounds)
    if outline.is_empty:
        return empty
    zones = communes[["insee", communes.geometry.name]].to_crs(crs)
    zones = zones[zones.intersects(outline)]
    if not len(zones):
        return empty
    parts = shapely.intersection(zones.geometry.to_numpy(), outline)
    frame = gpd.GeoDataFrame({"insee": pd.array(zones["insee"].to_numpy(), dtype="string"),
                              "covered_m2": shapely.area(parts)}, geometry=parts, crs=crs)
    frame = frame[frame["covered_m2"] > 0].reset_index(drop=True)
    frame["geometry"] = [g if g.geom_type != "GeometryCollection" else
                         shapely.union_all([p for p in g.geoms if p.geom_type in ("Polygon", "MultiPolygon")])
                         for g in frame.geometry]
    return frame


def footprint_counts(footprints: gpd.GeoDataFrame) -> pd.Series:
    """Number of footprints per commune code (``insee`` column, NA kept as its own key)."""
    return footprints["insee"].astype("string").value_counts(dropna=False)


def commune_areas(communes: gpd.GeoDataFrame) -> pd.Series:
    """Area of each commune [m²] by code, in its projected CRS (a geographic CRS is projected to UTM)."""
    zones = communes if communes.crs is None or communes.crs.is_projected else communes.to_crs(
        communes.estimate_utm_crs())
    return pd.Series(zones.geometry.area.to_numpy(), index=pd.Index(zones["insee"].astype("string"), name="insee"))


def coverage_of(keys: pd.Series, *, areas: pd.Series | None, covered: pd.Series | None,
                footprints: pd.Series | None, with_data: pd.Series | None) -> pd.DataFrame:
    """The :data:`COVERAGE_COLUMNS` for each commune code of ``keys`` (same order).

    ``areas``, ``covered`` [m²] and the counts ``footprints``, ``with_data`` are indexed by code; a
    missing series gives NA (``covered`` missing: nothing is known of the data); a code absent from a
    given series counts 0 (area: NA).
    """
    codes = pd.Index(keys.astype("string"))
    n = len(codes)
    area = areas.groupby(level=0).sum().reindex(codes) if areas is not None else pd.Series([np.nan] * n)
    cov = covered.groupby(level=0).sum().reindex(codes).fillna(0.0) if covered is not None else pd.Series(
        [np.nan] * n)
    area_km2 = area.to_numpy(float) / 1e6
    covered_km2 = cov.to_numpy(float) / 1e6
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(area_km2 > 0, np.minimum(covered_km2 / area_km2, 1.0), np.nan)
    out = pd.DataFrame({"area_km2": area_km2, "covered_km2": covered_km2, "covered_share": share})
    for name, counts in (("footprints", footprints), ("footprints_with_data", with_data)):
        values = (counts.groupby(level=0).sum().reindex(codes).fillna(0).to_numpy() if counts is not None
                  else [pd.NA] * n)
        out[name] = pd.array(values, dtype="Int64")
    return out
