"""The far field of a raster's horizons: the coarse surface around it and the reach of its rays.

:class:`FarField` says what to add to a raster's horizons; :func:`far_setup`
turns it into the arrays the kernels of :mod:`kernels.farfield` take for one
fine grid (observers on the coarse cells, their reference heights).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from cadastre.errors import GridError, OptionError
from kernels.farfield import observer_heights
from rasters.coarse import CoarseSurface, factor
from rasters.tiling import Bounds

HEIGHT_LEVELS = 3
"""Reference heights per observer (:func:`kernels.farfield.observer_heights`)."""


@dataclasses.dataclass(frozen=True)
class FarField:
    """The far field to add to a raster's horizons: a coarse surface and the reach [m] of the rays.

    The rays run from ``start`` (the near field's reach; default: the
    ``max_distance`` of the irradiance) to ``distance``.
    """

    surface: CoarseSurface
    distance: float = 5000.0
    start: float | None = None
    region: Bounds | None = None
    """Only the cells in this extent get a far field (a tile's core: its halo is context only)."""

    def __post_init__(self):
        if not self.distance > 0:
            raise OptionError(f"far-field distance = {self.distance:g} m; give a positive reach")


@dataclasses.dataclass
class FarSetup:
    """The arrays the far-field kernels take for one fine grid (:func:`far_setup`)."""

    surface: np.ndarray
    """Coarse heights [m] (float64, NaN no data); ``surface[0, 0]`` is global coarse cell (row0, col0)."""
    row0: int
    col0: int
    cell: float
    obs_z: np.ndarray
    """(n_rows, n_cols, K): reference heights of the observers, NaN for observers skipped."""
    orow: int
    ocol: int
    """Position in ``surface`` of observer [0, 0]."""
    obs_row: np.ndarray
    obs_col: np.ndarray
    """Observer row (column) of each fine row (column)."""
    d0: float
    dmax: float


def far_setup(far: FarField, z: np.ndarray, origin: tuple[int, int], resolution: float, d0: float,
              wanted: np.ndarray | None = None) -> FarSetup:
    """Coarse surface, observers and reference heights of the fine grid ``z`` (north-up, ``origin``: global row, col).

    ``wanted``: bool mask on ``z``'s grid; observers serving no wanted cell are skipped (their
    reference heights still come from every cell, so the wanted cells get the values of a full run).
    """
    s = far.surface
    if far.distance <= d0:
        raise GridError(f"far-field distance {far.distance:g} m does not exceed the near-field reach {d0:g} m")
    f = factor(s.cell, resolution)
    # observers: the coarse cells over the fine grid
    coarse_rows = (origin[0] + np.arange(z.shape[0])) // f
    coarse_cols = (origin[1] + np.arange(z.shape[1])) // f
    obs_row = (coarse_rows - coarse_rows[0]).astype(np.int64)
    obs_col = (coarse_cols - coarse_cols[0]).astype(np.int64)
    obs_z = np.empty((int(obs_row[-1]) + 1, int(obs_col[-1]) + 1, HEIGHT_LEVELS))
    observer_heights(z, obs_row, obs_col, obs_z)
    if wanted is not None:
        serves = np.zeros(obs_z.shape[:2], bool)
        rr, cc = np.nonzero(wanted)
        serves[obs_row[rr], obs_col[cc]] = True
        obs_z[~serves, :] = np.nan
    if far.region is not None:
        # observers whose coarse cell does not meet the region serve no cell that is kept: skip them
        x0, y0, x1, y1 = far.region
        cx = (np.arange(coarse_cols[0], coarse_cols[-1] + 1) + 0.5) * s.cell
        cy = -(np.arange(coarse_rows[0], coarse_rows[-1] + 1) + 0.5) * s.cell
        half = s.cell / 2
        keep_c = (cx + half > x0) & (cx - half < x1)
        keep_r = (cy + half > y0) & (cy - half < y1)
        obs_z[~keep_r, :, :] = np.nan
        obs_z[:, ~keep_c, :] = np.nan
    return FarSetup(np.asarray(s.values, dtype=np.float64), int(s.row0), int(s.col0), float(s.cell), obs_z,
                    int(coarse_rows[0] - s.row0), int(coarse_cols[0] - s.col0), obs_row, obs_col, float(d0),
                    float(far.distance))
