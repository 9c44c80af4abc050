"""Point density of a tile's LiDAR and the cell size it suits.

A roof face is found from the heights of its cells: a cell without a return is a hole (small
holes are filled from their neighbours, larger ones from the ground). Below about one point per
cell most roof cells are holes and a run finds no roof; a run warns for such tiles and names a
cell size at which each cell holds about :data:`POINTS_PER_CELL` points.

Densities are in points/m² over the part of a tile's core that its input files' headers cover
(so that a tile at the edge of the data is not judged sparse); cell sizes in metres.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import shapely

__all__ = ["MIN_POINTS_PER_CELL", "POINTS_PER_CELL", "STEPS", "core_density", "low_density", "suited_resolution"]

MIN_POINTS_PER_CELL = 1.0
"""Fewer points per cell than this on average: a tile is too sparse for its cell size (IGN LiDAR HD, at least
10 points/m², gives 2.5 points per 0.5 m cell)."""
POINTS_PER_CELL = 4.0
"""Points per cell of the cell size :func:`suited_resolution` proposes."""
STEPS = (0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 2.5, 4.0, 5.0, 10.0, 20.0, 25.0, 50.0)
"""The cell sizes :func:`suited_resolution` chooses from [m]."""


def core_density(points: int, core: Sequence[float], extents: Iterable[Sequence[float]]) -> float | None:
    """Points per m² of a core: ``points`` over the area of the core that ``extents`` cover.

    ``core`` and each extent: (xmin, ymin, xmax, ymax) [m]. None when the extents miss the core.
    """
    covered = shapely.union_all([shapely.box(*e) for e in extents]).intersection(shapely.box(*core)).area
    return points / covered if covered > 0 else None


def _divides(step: float, length: float) -> bool:
    return abs(length / step - round(length / step)) < 1e-6


def suited_resolution(density: float, *, size: float, far_cell: float | None = None) -> float:
    """The smallest of :data:`STEPS` with about :data:`POINTS_PER_CELL` points per cell at ``density``.

    The cell size must divide the tile ``size`` [m] and, when the far field is on, its ``far_cell``
    [m] (the rules of a run file); a step that breaks them is passed over when another fits.
    """
    target = math.sqrt(POINTS_PER_CELL / density) if density > 0 else STEPS[-1]
    larger = [s for s in STEPS if s >= target - 1e-9] or [STEPS[-1]]
    for fits in (lambda s: _divides(s, size) and (not far_cell or (s <= far_cell and _divides(s, far_cell))),
                 lambda s: _divides(s, size), lambda s: True):
        chosen = [s for s in larger if fits(s)]
        if chosen:
            return chosen[0]
    return larger[0]  # pragma: no cover (the last rule accepts every step)


def low_density(density: float | None, resolution: float, *, size: float, far_cell: float | None = None) -> dict | None:
    """What a run reports of a tile too sparse for ``resolution`` [m], None when it is dense enough.

    Keys: ``density`` [points/m²], ``points_per_cell`` (at ``resolution``), ``resolution`` (the cell
    size it suits, :func:`suited_resolution`) [m].
    """
    if density is None or density * resolution**2 >= MIN_POINTS_PER_CELL:
        return None
    return {"density": round(density, 3), "points_per_cell": round(density * resolution**2, 3),
            "resolution": suited_resolution(density, size=size, far_cell=far_cell)}
