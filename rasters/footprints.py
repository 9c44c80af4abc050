"""Building footprints from a building mask raster: polygons for places without a footprint layer.

The mask is the ``buildings.tif`` of ``cadastre prepare`` or any single-band
integer GeoTIFF holding 1 (building), 0 (not a building) and 255 (nodata).
Buildings are the 4-connected regions of cells at 1: two cells belong to the
same building only if they share a side, so buildings touching at a corner
stay apart. Nodata counts as "not a building" (a nodata cell inside a roof
makes a hole). See ``docs/method.md``.
"""

from __future__ import annotations

import contextlib
import math
import os
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import rasterio
import rasterio.features
import shapely
import xarray as xr
from affine import Affine

from rasters.errors import AllNodataError, GridError, InputFileError, OptionError, OutputFileError
from rasters.grid import check_crs, check_transform
from rasters.io import atomic_path, check_output_path, read_single_band, to_dataarray, write_problem

BUILDING = 1
NOT_BUILDING = 0
MASK_NODATA = 255
"""Values of a building mask: 1 building, 0 not a building, 255 nodata."""

GPKG_OPTIONS = {"VERSION": "1.3"}
"""Dataset creation options of every GeoPackage the engine writes: version 1.3, which GDAL 3.6 and the QGIS
long-term releases read without a warning (GDAL >= 3.7 writes 1.4 by default)."""

LAYER = "footprints"
"""Layer name of the GeoPackage written by :func:`write_vector`."""

COLUMNS = ["building_id", "area_m2", "cells", "geometry"]
CONNECTIVITY = 4


def check_options(*, min_area: float = 10.0, simplify: float | None = None) -> None:
    """Refuse a negative (or non-finite) ``min_area`` or ``simplify`` before any work.

    Raises
    ------
    OptionError
        ``min_area`` < 0 or ``simplify`` < 0 (or either is NaN or infinite).
    """
    if not (math.isfinite(min_area) and min_area >= 0):
        raise OptionError(f"--min-area: {min_area} m²; give an area >= 0 in m² (default 10)")
    if simplify is not None and not (math.isfinite(simplify) and simplify >= 0):
        raise OptionError(
            f"--simplify: {simplify} m; give a tolerance >= 0 in metres (default half a cell, 0 = no simplification)"
        )


def read_mask(path: str | os.PathLike, *, name: str | None = None) -> xr.DataArray:
    """Read a building mask GeoTIFF as a uint8 DataArray (1 building, 0 not, 255 nodata).

    Parameters
    ----------
    path : path-like
        A single-band integer GeoTIFF (or COG, or VRT) in a projected CRS in
        metres, north-up, square pixels, with values 0, 1 and 255. A declared
        nodata value other than 255 is honoured and becomes 255.
    name : str, optional
        Name used in error messages; defaults to the path.

    Returns
    -------
    xarray.DataArray
        uint8, dims ``(y, x)`` at cell centres, with CRS and transform.

    Raises
    ------
    InputFileError
        Missing, unreadable or truncated file, not a GeoTIFF, not an integer
        raster, or values other than 0, 1 and 255.
    CRSError
        No CRS, geographic CRS, or not in metres.
    GridError
        Several bands, rotated or rectangular pixels.
    AllNodataError
        Every cell is nodata.
    """
    label = name or str(path)
    band, crs, transform, dtype = read_single_band(path, label=label, what="a building mask")
    if dtype.kind not in "iu":
        raise InputFileError(
            f"{label}: is a {dtype.name} raster, not a building mask; give an integer mask "
            "(1 building, 0 not, 255 nodata) such as the buildings.tif of cadastre prepare"
        )
    values = np.ma.getdata(band)
    missing = (values == MASK_NODATA) | np.ma.getmaskarray(band)
    bad = ~missing & (values != BUILDING) & (values != NOT_BUILDING)
    if bad.any():
        found = np.unique(values[bad])
        shown = ", ".join(str(v) for v in found[:5]) + (", ..." if found.size > 5 else "")
        raise InputFileError(
            f"{label}: has values {shown} outside 0, 1 and 255; a building mask holds 1 (building), "
            "0 (not) and 255 (nodata)"
        )
    if missing.all():
        raise AllNodataError(f"{label}: every cell is nodata; nothing to polygonise")
    mask = np.where(missing, MASK_NODATA, values).astype(np.uint8)
    return to_dataarray(mask, crs, transform, name="buildings", units="1", nodata=MASK_NODATA)


def footprints_from_mask(
    mask: xr.DataArray | np.ndarray,
    *,
    transform: Affine | None = None,
    crs=None,
    min_area: float = 10.0,
    simplify: float | None = None,
) -> gpd.GeoDataFrame:
    """Building polygons from a building mask.

    Parameters
    ----------
    mask : xarray.DataArray or numpy.ndarray
        2-D, rows north to south: 1 building, anything else not (0; 255 or NaN
        for nodata). A DataArray carries its grid (rioxarray); a bare array
        needs ``transform``.
    transform : affine.Affine, optional
        Cell to map coordinates (upper-left corners); overrides the
        DataArray's.
    crs : optional
        CRS of the result; overrides the DataArray's. A projected CRS in
        metres.
    min_area : float
        Polygons smaller than this after simplification are dropped. [m²]
    simplify : float, optional
        Douglas-Peucker tolerance [m], topology-preserving per polygon (rings
        stay valid, holes are kept). Default: half the cell size, which removes
        the collinear vertices of the cell edges and keeps the staircase of
        oblique walls; 0 keeps the exact cell outlines.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per building (4-connected region of cells at 1, holes such as
        courtyards kept): ``building_id`` (1..n by descending area, ties
        north-west first), ``area_m2`` (area of the simplified polygon),
        ``cells`` (mask cells of the building) and ``geometry`` (Polygon), in
        the mask's CRS. Empty (same columns) when no building is large enough.

    Raises
    ------
    OptionError
        ``min_area`` < 0 or ``simplify`` < 0.
    AllNodataError
        Every cell is nodata.
    GridError, CRSError
        Not 2-D, rotated or rectangular cells, a CRS that is not projected in metres.
    """
    check_options(min_area=min_area, simplify=simplify)
    if isinstance(mask, xr.DataArray):
        if transform is None:
            transform = mask.rio.transform(recalc=True)
        if crs is None:
            crs = mask.rio.crs
        values = np.asarray(mask.values)
    else:
        values = np.asarray(mask)
        if transform is None:
            raise ValueError("footprints_from_mask: a numpy mask needs transform=")
    if values.ndim != 2:
        raise GridError(f"mask: expected a single band (2-D array), got shape {values.shape}")
    transform = check_transform(Affine(*tuple(transform)[:6]), "mask")
    crs = None if crs is None or (isinstance(crs, str) and not crs) else check_crs(crs, "mask")

    if values.dtype.kind == "f":
        missing = ~np.isfinite(values) | (values == MASK_NODATA)
    else:
        missing = values == MASK_NODATA
    if missing.all():
        raise AllNodataError("mask: every cell is nodata; nothing to polygonise")
    building = (values == BUILDING) & ~missing
    cell_area = abs(transform.a * transform.e)
    tolerance = 0.5 * abs(transform.a) if simplify is None else float(simplify)

    raw = [
        shapely.geometry.shape(geom)
        for geom, _ in rasterio.features.shapes(
            building.astype(np.uint8), mask=building, connectivity=CONNECTIVITY, transform=transform
        )
    ]
    if not raw:
        return _frame([], [], [], crs)
    polygons = np.array(raw, dtype=object)
    invalid = ~shapely.is_valid(polygons)
    if invalid.any():  # not seen from GDAL's polygoniser, kept as a guard
        polygons[invalid] = [_largest_polygon(shapely.make_valid(p)) for p in polygons[invalid]]
    cells = np.rint(shapely.area(polygons) / cell_area).astype(np.int64)
    if tolerance > 0:
        polygons = shapely.simplify(polygons, tolerance, preserve_topology=True)
    areas = shapely.area(polygons)
    keep = ~shapely.is_empty(polygons) & (areas > 0) & (areas >= min_area)
    polygons, cells, areas = polygons[keep], cells[keep], areas[keep]
    if polygons.size == 0:
        return _frame([], [], [], crs)
    # descending area; ties: northernmost, then westernmost (deterministic whatever GDAL's order)
    bounds = shapely.bounds(polygons)
    order = np.lexsort((bounds[:, 0], -bounds[:, 3], -areas))
    return _frame(polygons[order], areas[order], cells[order], crs)


def _largest_polygon(geom) -> shapely.Polygon:
    """The largest polygon of a (repaired) geometry."""
    parts = [g for g in shapely.get_parts(geom) if isinstance(g, shapely.Polygon)]
    return max(parts, key=lambda g: g.area) if parts else shapely.Polygon()


def _frame(polygons, areas, cells, crs) -> gpd.GeoDataFrame:
    n = len(polygons)
    return gpd.GeoDataFrame(
        {
            "building_id": np.arange(1, n + 1, dtype=np.int64),
            "area_m2": np.asarray(areas, dtype=np.float64),
            "cells": np.asarray(cells, dtype=np.int64),
        },
        geometry=gpd.GeoSeries(list(polygons), crs=crs),
        crs=crs,
    )[COLUMNS]


def check_vector_output(path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Check that ``path`` can take a GeoPackage, before any work is done.

    Raises
    ------
    OutputFileError
        Not a ``.gpkg`` name, or any reason of :func:`rasters.io.check_output_path`.
    """
    out = Path(path)
    if out.suffix.lower() != ".gpkg":
        raise OutputFileError(f"{out}: not a GeoPackage name; give a .gpkg file (e.g. {out.with_suffix('.gpkg')})")
    return check_output_path(out, overwrite=overwrite)


def write_vector(
    gdf: gpd.GeoDataFrame, path: str | os.PathLike, *, overwrite: bool = False, layer: str = LAYER
) -> Path:
    """Write polygons as a GeoPackage layer (``footprints`` by default), atomically.

    Polygon layers stay Polygon; a frame holding any MultiPolygon is written
    as a MultiPolygon layer.

    The file is written to a hidden temporary name in the same folder and
    renamed at the end, so a reader never sees a half-written file and an
    existing output is untouched on failure. An empty frame gives an empty
    layer with the same fields.

    Raises
    ------
    OutputFileError
        Not a ``.gpkg`` name, the path exists and ``overwrite`` is false, the
        folder is missing or not writable, or GDAL fails to write.
    """
    out = check_vector_output(path, overwrite=overwrite)
    try:
        with atomic_path(out, suffix=".gpkg") as tmp:
            try:
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", message=".*extension should be 'gpkg'.*")
                    multi = bool(len(gdf)) and bool((gdf.geom_type == "MultiPolygon").any())
                    pyogrio.write_dataframe(
                        gdf,
                        tmp,
                        layer=layer,
                        driver="GPKG",
                        geometry_type="MultiPolygon" if multi else "Polygon",
                        promote_to_multi=multi,
                        dataset_options=GPKG_OPTIONS,
                    )
            finally:
                for suffix in ("-journal", "-wal", "-shm"):
                    with contextlib.suppress(OSError):
                        tmp.with_name(tmp.name + suffix).unlink()
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, pyogrio.errors.GeometryError,
            pyogrio.errors.FieldError, pyogrio.errors.CRSError, OSError) as exc:
        raise OutputFileError(f"{out}: {write_problem(exc)}") from exc
    return out
