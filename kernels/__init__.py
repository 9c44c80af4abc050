"""Numba kernels: pure functions on NumPy arrays (no I/O, no xarray, no pandas).

Conventions: rows run north to south and columns west to east (a north-up
raster); azimuths are clockwise from north; angles at public boundaries in
degrees; surface normals as (east, north, up) unit-vector components.
"""

from kernels.farfield import apply_far, apply_far_cells, far_sweep, far_sweep_bruteforce, observer_heights
from kernels.horizon import (
    centre_cells,
    centre_horizons,
    horizon_tan,
    horizon_tan_bruteforce,
    line_step,
    need_blocks,
    need_marks,
    runs_along_rows,
    transposed_azimuth,
)
from kernels.irradiance import accumulate_cells, accumulate_direction, accumulate_months, accumulate_months_cells
from kernels.terrain import horn_normals, slope_aspect

__all__ = [
    "accumulate_cells",
    "accumulate_direction",
    "accumulate_months",
    "accumulate_months_cells",
    "apply_far",
    "apply_far_cells",
    "centre_cells",
    "centre_horizons",
    "far_sweep",
    "far_sweep_bruteforce",
    "horizon_tan",
    "horizon_tan_bruteforce",
    "horn_normals",
    "line_step",
    "need_blocks",
    "need_marks",
    "observer_heights",
    "runs_along_rows",
    "slope_aspect",
    "transposed_azimuth",
]
