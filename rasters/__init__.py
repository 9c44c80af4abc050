"""Raster I/O and grid geometry: GeoTIFF/COG <-> xarray, validation, atomic writes.

The names below are imported on first use (``rasters.read_dsm``): importing a light module
of the package (``rasters.errors``) does not load GDAL.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rasters.grid import Grid, grid_of
    from rasters.io import check_output_path, read_dsm, write_bands

__all__ = ["Grid", "check_output_path", "grid_of", "read_dsm", "write_bands"]

_LAZY = {
    "Grid": "rasters.grid",
    "grid_of": "rasters.grid",
    "check_output_path": "rasters.io",
    "read_dsm": "rasters.io",
    "write_bands": "rasters.io",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'rasters' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
