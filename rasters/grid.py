"""Grid geometry of a raster held as an ``xarray.DataArray`` (rioxarray)."""

from __future__ import annotations

import dataclasses

import numpy as np
import xarray as xr
from affine import Affine
from pyproj import CRS, Transformer

from rasters.errors import CRSError, GridError


@dataclasses.dataclass(frozen=True)
class Grid:
    """A north-up grid of square cells in a projected CRS in metres.

    ``transform`` maps (col, row) to the upper-left corner of a cell;
    ``cellsize`` is the side of a cell [m].
    """

    crs: CRS
    transform: Affine
    width: int
    height: int

    @property
    def cellsize(self) -> float:
        return abs(self.transform.a)

    @property
    def centre(self) -> tuple[float, float]:
        """Projected coordinates of the grid centre. [m]"""
        return self.transform @ (self.width / 2.0, self.height / 2.0)

    def centre_lonlat(self) -> tuple[float, float]:
        """Longitude and latitude of the grid centre. [degrees]"""
        to_geo = Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True)
        lon, lat = to_geo.transform(*self.centre)
        return float(lon), float(lat)


def check_crs(crs, name: str) -> CRS:
    """Return ``crs`` as a pyproj CRS if it is projected and in metres, else raise CRSError."""
    if crs is None or crs == "":
        raise CRSError(f"{name}: no CRS; assign a projected CRS in metres (e.g. gdal_edit.py -a_srs EPSG:2154)")
    crs = CRS.from_user_input(crs)
    if not crs.is_projected:
        raise CRSError(
            f"{name}: CRS {crs.to_string()} is geographic (degrees); reproject to a projected CRS in metres "
            "(e.g. EPSG:2154)"
        )
    units = {a.unit_name.lower() for a in crs.axis_info[:2]}
    if not units <= {"metre", "meter", "m"}:
        raise CRSError(f"{name}: CRS {crs.to_string()} is in {', '.join(sorted(units))}, not metres; reproject it")
    return crs


def check_transform(transform: Affine, name: str) -> Affine:
    """Refuse rotated, sheared or rectangular cells; return the transform."""
    if transform.b != 0 or transform.d != 0:
        raise GridError(f"{name}: rotated or sheared grid; warp it to a north-up grid (gdalwarp)")
    if transform.a <= 0 or transform.e == 0:
        raise GridError(f"{name}: invalid pixel size ({transform.a}, {transform.e}); expected x > 0")
    if not np.isclose(abs(transform.a), abs(transform.e), rtol=1e-6, atol=0):
        raise GridError(
            f"{name}: pixels are not square ({abs(transform.a):g} x {abs(transform.e):g} m); "
            "resample to square pixels (gdalwarp -tr)"
        )
    return transform


def grid_of(da: xr.DataArray, name: str = "DSM") -> Grid:
    """Check and describe the grid of a 2-D DataArray carrying a CRS (rioxarray).

    Raises
    ------
    CRSError
        No CRS, a geographic CRS or a CRS not in metres.
    GridError
        Not 2-D, rotated, sheared or rectangular pixels.
    """
    if da.ndim != 2:
        raise GridError(f"{name}: expected a single band (2-D array), got dims {da.dims}")
    crs = check_crs(da.rio.crs, name)
    transform = check_transform(da.rio.transform(recalc=True), name)
    return Grid(crs=crs, transform=transform, width=int(da.sizes[da.rio.x_dim]), height=int(da.sizes[da.rio.y_dim]))
