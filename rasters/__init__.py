"""Raster I/O and grid geometry: GeoTIFF/COG <-> xarray, validation, atomic writes."""

from rasters.grid import Grid, grid_of
from rasters.io import check_output_path, read_dsm, write_bands

__all__ = ["Grid", "check_output_path", "grid_of", "read_dsm", "write_bands"]
