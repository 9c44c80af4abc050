"""The horizon codes of an irradiance raster as a GeoTIFF of their own (``NAME.horizons.tif``).

``cadastre irradiance`` writes, beside its raster ``NAME.tif``, the ``horizon`` variable of
:func:`cadastre.solar.irradiance.irradiance` (``horizons=True``) as ``NAME.horizons.tif``: one uint8
band per horizon direction, band description = the direction's azimuth [degrees clockwise from
north], nodata 255 (no code: a cell not computed), the codes ``round(h / 0.5°)`` of the effective
horizon elevation ``h``. ``cadastre buildings`` reads it back onto the irradiance Dataset, so that
:func:`cadastre.roofs.profiles.face_profiles` gives the faces their shading profiles.

This module is the one place outside the irradiance engine that handles the ``horizon`` variable's
layout: ``(direction, y, x)`` on the raster's grid.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import numpy as np
import rasterio
import xarray as xr

from cadastre.errors import InputFileError
from kernels.profile import HORIZON_CODE_STEP, NO_CODE
from rasters.io import atomic_path, check_output_path

SUFFIX = ".horizons.tif"
"""Name of the horizon file of ``NAME.tif``: ``NAME.horizons.tif``."""

__all__ = ["NAME_MAX", "NO_CODE", "SUFFIX", "attach_horizons", "horizon_path", "read_horizons", "staged_horizons",
           "write_horizons"]


NAME_MAX = 255
"""Longest file name [bytes] (most filesystems): a longer ``NAME.horizons.tif`` has ``NAME`` cut to fit."""


def horizon_path(raster: str | os.PathLike) -> Path:
    """The horizon file beside an irradiance raster: ``NAME.tif`` -> ``NAME.horizons.tif``.

    A name of :data:`NAME_MAX` bytes at most, ``NAME`` cut when the raster's name is at the limit.
    """
    raster = Path(raster)
    stem = raster.name.removesuffix(raster.suffix).encode("utf-8", "surrogateescape")
    stem = stem[:NAME_MAX - len(SUFFIX)].decode("utf-8", "ignore")
    return raster.with_name(stem + SUFFIX)


def staged_horizons(ds: xr.Dataset, raster: str | os.PathLike) -> Path:
    """Write the horizon file of ``raster`` under a hidden temporary name beside it; return that name.

    The caller writes the raster, then renames the staged file to :func:`horizon_path` (or removes it on
    failure), so that a failure leaves neither a horizon file without its raster nor a raster beside
    another run's horizons.
    """
    final = horizon_path(raster)
    staged = final.with_name(f".{final.name[:80]}.{uuid.uuid4().hex[:8]}.tmp.tif")
    write_horizons(ds, staged)
    return staged


def write_horizons(ds: xr.Dataset, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write the ``horizon`` variable of ``ds`` (directions x y x x, uint8) as a GeoTIFF, atomically.

    Band descriptions: the azimuths [degrees]; tags ``directions``, ``code_step`` [degrees].
    """
    out = check_output_path(path, overwrite=overwrite)
    codes = ds["horizon"]
    values = np.asarray(codes.values, np.uint8)
    directions = np.asarray(codes["direction"].values, np.float64)
    transform = ds.rio.transform()
    profile = {"driver": "GTiff", "width": values.shape[2], "height": values.shape[1], "count": values.shape[0],
               "dtype": "uint8", "nodata": NO_CODE, "crs": ds.rio.crs, "transform": transform, "tiled": True,
               "blockxsize": 256, "blockysize": 256, "compress": "zstd", "interleave": "band"}
    with atomic_path(out, ".tif") as tmp:
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.write(values)
            for k, azimuth in enumerate(directions, start=1):
                dst.set_band_description(k, f"{azimuth:.10g}")
            dst.update_tags(directions=len(directions), code_step=HORIZON_CODE_STEP)
    return out


def read_horizons(path: str | os.PathLike, like: xr.Dataset) -> xr.DataArray:
    """The horizon codes of a file of :func:`write_horizons`, checked against the grid of ``like``.

    Raises
    ------
    InputFileError
        One line naming the file: missing or unreadable, not uint8, a band without an azimuth as its
        description, another grid than the irradiance raster's.
    """
    path = Path(path)
    hint = "give the NAME.horizons.tif that 'cadastre irradiance' wrote with the raster"
    if not path.is_file():
        raise InputFileError(f"{path}: no such file; {hint}")
    try:
        with rasterio.open(path) as src:
            if set(src.dtypes) != {"uint8"}:
                raise InputFileError(f"{path}: bands of type {src.dtypes[0]}, not uint8 horizon codes; {hint}")
            try:
                directions = np.array([float(d) for d in src.descriptions], np.float64)
            except (TypeError, ValueError):
                raise InputFileError(f"{path}: a band's description is not an azimuth; {hint}") from None
            grid = (src.width, src.height, tuple(src.transform)[:6])
            wanted = (like.sizes["x"], like.sizes["y"], tuple(like.rio.transform())[:6])
            if grid != wanted or (src.crs is not None and like.rio.crs is not None and src.crs != like.rio.crs):
                raise InputFileError(f"{path}: not on the grid of the irradiance raster ({src.width} x {src.height} "
                                     f"cells where it has {wanted[0]} x {wanted[1]}, or another origin or CRS); {hint}")
            values = src.read()
    except rasterio.errors.RasterioIOError as exc:
        raise InputFileError(f"{path}: not a GeoTIFF GDAL can read ({str(exc).splitlines()[0]}); {hint}") from None
    return xr.DataArray(values, dims=("direction", "y", "x"),
                        coords={"direction": directions, "y": like["y"].values, "x": like["x"].values},
                        attrs={"units": f"{HORIZON_CODE_STEP} degrees", "nodata": NO_CODE,
                               "scale_factor_degrees": HORIZON_CODE_STEP})


def attach_horizons(ds: xr.Dataset, path: str | os.PathLike) -> xr.Dataset:
    """``ds`` (an irradiance raster read back) with the ``horizon`` codes of ``path``."""
    out = ds.copy()
    out["horizon"] = read_horizons(path, ds)
    return out
