"""Coarse max-pooled surfaces for the far-field horizon.

A :class:`CoarseSurface` holds the highest surface height of each coarse cell
(e.g. 5 m) of a territory, on a grid anchored to the CRS origin: coarse cell
``(R, C)`` spans ``x`` from ``C * cell`` to ``(C + 1) * cell`` and ``y`` from
``-(R + 1) * cell`` to ``-R * cell``. Because of that anchoring, the coarse
surfaces of tiles mosaic into the coarse surface of the whole territory, and
a tiled run traces the same far field as a single raster.
"""

from __future__ import annotations

import dataclasses
import math
import os
import warnings
from collections.abc import Sequence

import numpy as np
import xarray as xr

from rasters.errors import OptionError
from rasters.grid import grid_of
from rasters.tiling import Bounds, read_window

@dataclasses.dataclass(frozen=True)
class CoarseSurface:
    """Max-pooled heights [m] (NaN: no data) on the anchored coarse grid.

    ``values[0, 0]`` is global coarse cell ``(row0, col0)`` (rows count down
    from ``y = 0``: ``row = -y_top / cell``).
    """

    values: np.ndarray
    cell: float
    row0: int
    col0: int

    @property
    def bounds(self) -> Bounds:
        nr, nc = self.values.shape
        c = self.cell
        return (self.col0 * c, -(self.row0 + nr) * c, (self.col0 + nc) * c, -self.row0 * c)


def factor(cell: float, resolution: float) -> int:
    f = cell / resolution
    if f < 1 or abs(f - round(f)) > 1e-6:
        raise OptionError(f"far-field cell {cell:g} m is not a whole multiple of the raster cell {resolution:g} m")
    return int(round(f))


def block_max(z: np.ndarray, row0: int, col0: int, factor: int) -> tuple[np.ndarray, int, int]:
    """Max of the ``factor x factor`` blocks of the anchored grid over ``z``.

    ``(row0, col0)``: global fine row and column of ``z[0, 0]``. Returns the
    pooled array and the global coarse row and column of its first cell.
    """
    r0, c0 = row0 // factor, col0 // factor
    top, left = row0 - r0 * factor, col0 - c0 * factor
    nr = -(-(top + z.shape[0]) // factor)
    nc = -(-(left + z.shape[1]) // factor)
    pad = np.full((nr * factor, nc * factor), np.nan, dtype=np.float32)
    pad[top : top + z.shape[0], left : left + z.shape[1]] = z
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        pooled = np.nanmax(pad.reshape(nr, factor, nc, factor), axis=(1, 3))
    return pooled.astype(np.float32), r0, c0


def coarse_surface(dsm: xr.DataArray, cell: float = 5.0) -> CoarseSurface:
    """The coarse max-pooled surface of a DSM (cell [m], a whole multiple of the DSM's)."""
    grid = grid_of(dsm)
    f = factor(cell, grid.cellsize)
    z = np.asarray(dsm.values, dtype=np.float32)
    if grid.transform.e > 0:
        z = z[::-1]
    top = max(grid.transform.f, grid.transform.f + grid.transform.e * grid.height)
    row0 = int(round(-top / grid.cellsize))
    col0 = int(round(grid.transform.c / grid.cellsize))
    values, r0, c0 = block_max(z, row0, col0, f)
    return CoarseSurface(values, float(cell), r0, c0)


def read_coarse(paths: Sequence[str | os.PathLike], bounds: Bounds, cell: float) -> CoarseSurface:
    """The coarse surface of ``bounds`` (snapped out to the coarse grid) from coarse rasters."""
    snapped = (math.floor(bounds[0] / cell) * cell, math.floor(bounds[1] / cell) * cell,
               math.ceil(bounds[2] / cell) * cell, math.ceil(bounds[3] / cell) * cell)
    values = read_window(list(paths), snapped, cell, nodata=None).astype(np.float32)
    return CoarseSurface(values, float(cell), int(round(-snapped[3] / cell)), int(round(snapped[0] / cell)))


def far_bounds(bounds: Bounds, distance: float, cell: float) -> Bounds:
    """Extent of the coarse surface that the far field of ``bounds`` reads, reach ``distance`` [m].

    Grown by the reach and two coarse cells (a line's track may pass a cell beside
    its observer's), snapped out to the coarse grid.
    """
    grow = distance + 2 * cell
    return (math.floor((bounds[0] - grow) / cell) * cell, math.floor((bounds[1] - grow) / cell) * cell,
            math.ceil((bounds[2] + grow) / cell) * cell, math.ceil((bounds[3] + grow) / cell) * cell)
