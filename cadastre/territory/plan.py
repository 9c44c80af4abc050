"""What a territory run computes: its tiles over the inputs' extents, and their cost.

:func:`make_plan` reads the extents of the LiDAR or DSM inputs and lays square tiles (a core
each, plus a halo read from the neighbours) over them (:func:`rasters.tiling.plan_tiles`);
:meth:`Plan.estimate` gives the cells, the time on one core and the disk of the run (for
``cadastre run --dry-run``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from pyproj import CRS

from cadastre.errors import AllNodataError, CRSError, GridError
from cadastre.territory.config import RunConfig
from rasters.grid import check_crs
from rasters.lidar import inspect_las
from rasters.tiling import Bounds, Tile, has_data, overlaps, plan_tiles, raster_bounds

__all__ = ["PREPARE_SECONDS_PER_MCELL", "SECONDS_PER_MCELL", "SECONDS_PER_MCELL_DENSE", "STARTUP_SECONDS", "Plan",
           "Source", "Tile", "make_plan"]

SECONDS_PER_MCELL = 1.1
"""Cost of the tile stage per million window cells on one core, 64 directions, a territory about 5 % built [s]
(benchmarks/RESULTS.md, territory batch: 8.7 s a tile of 2,800² window cells on synthetic 1 km tiles 5 % covered by
buildings, the PMA's assumed average). For --dry-run."""
SECONDS_PER_MCELL_DENSE = 3.1
"""The same on a dense town centre, a quarter covered by buildings [s] (benchmarks/RESULTS.md: 24.6 s a tile of
2,800² window cells with walls on their cell edges, 2026-12-04): the upper figure of --dry-run."""
PREPARE_SECONDS_PER_MCELL = 1.8
"""Cost of the LiDAR preparation per million core cells on one core (15 points/m²) [s] (benchmarks/RESULTS.md)."""
STARTUP_SECONDS = 10.0
"""What a run pays once [s]: the local cluster's start-up, each worker's imports and compiled kernels, the final
merge (benchmarks/RESULTS.md, territory batch: wall time minus the marginal time of its tiles, 9-10 s)."""


@dataclasses.dataclass(frozen=True)
class Source:
    """An input file and its extent."""

    path: Path
    bounds: Bounds


@dataclasses.dataclass(frozen=True)
class Plan:
    """What a run will compute."""

    kind: str  # 'lidar' or 'dsm'
    crs: CRS
    tiles: tuple[Tile, ...]
    sources: tuple[Source, ...]
    config: RunConfig

    def sources_of(self, bounds: Bounds) -> list[Path]:
        """The input files with data in ``bounds`` (overlapping it with positive area)."""
        return [s.path for s in self.sources if overlaps(s.bounds, bounds)]

    def points_of(self, core: Bounds) -> list[Path]:
        """The LAS/LAZ files that may hold points of ``core``.

        A point belongs to the core when it lies in [xmin, xmax) x [ymin, ymax)
        (the convention of :func:`kernels.binning.bin_points`): a file whose extent
        only touches the core's east or north side holds none of them.
        """
        x0, y0, x1, y1 = core
        return [s.path for s in self.sources
                if s.bounds[0] < x1 and s.bounds[2] >= x0 and s.bounds[1] < y1 and s.bounds[3] >= y0]

    def estimate(self, workers: int = 1) -> dict:
        """Cells, time and disk of the run (rough; see :data:`SECONDS_PER_MCELL`).

        ``cpu_seconds``: the tiles' time on one core, for a territory about 5 % built;
        ``cpu_seconds_dense``: the same if it were all dense town centre. ``wall_seconds`` and
        ``wall_seconds_dense``: on ``workers`` workers of one core each, the tiles shared out
        whole, plus :data:`STARTUP_SECONDS`.
        """
        r = self.config.resolution
        window_cells = sum((t.window[2] - t.window[0]) * (t.window[3] - t.window[1]) / r**2 for t in self.tiles)
        core_cells = sum((t.core[2] - t.core[0]) * (t.core[3] - t.core[1]) / r**2 for t in self.tiles)
        directions = self.config.directions / 64
        prepare = PREPARE_SECONDS_PER_MCELL * core_cells / 1e6 if self.kind == "lidar" else 0.0
        cpu = SECONDS_PER_MCELL * window_cells / 1e6 * directions + prepare
        dense = SECONDS_PER_MCELL_DENSE * window_cells / 1e6 * directions + prepare
        n = len(self.tiles)
        rounds = -(-n // max(1, workers))  # tiles per worker, whole
        raster_bytes = core_cells * 4 * len(self.config.rasters) * 0.6
        prepared = core_cells * (3 * 4 * 0.5 + 2 * 0.1) if self.kind == "lidar" else 0.0
        return {"tiles": n, "core_cells": core_cells, "window_cells": window_cells,
                "cpu_seconds": cpu, "cpu_seconds_dense": dense,
                "wall_seconds": STARTUP_SECONDS + rounds * cpu / max(1, n),
                "wall_seconds_dense": STARTUP_SECONDS + rounds * dense / max(1, n),
                "disk_bytes": raster_bytes + prepared + core_cells * 0.5}


GRID_TOLERANCE = 1e-6
"""Offset of a raster's corner from the run's grid that counts as none [fraction of a cell]."""


def grid_offset(bounds: Bounds, resolution: float) -> tuple[float, float]:
    """Offset [m] east and north of a raster's north-west corner from the run's grid (corners on multiples of
    ``resolution``), each in (-resolution/2, resolution/2]."""
    def off(v: float) -> float:
        return v - round(v / resolution) * resolution
    return off(bounds[0]), off(bounds[3])


def _check_on_grid(path, bounds: Bounds, resolution: float) -> None:
    """Refuse a raster off the run's grid: its cells would be shifted by the offset, silently."""
    dx, dy = grid_offset(bounds, resolution)
    if max(abs(dx), abs(dy)) > GRID_TOLERANCE * resolution:
        raise GridError(f"{path}: off the run's grid by {dx:+.4g} m east, {dy:+.4g} m north (cell corners must lie on "
                        f"multiples of tiles.resolution = {resolution:g} m); resample it onto that grid "
                        f"(gdalwarp -tap -tr {resolution:g} {resolution:g})")


def make_plan(config: RunConfig) -> Plan:
    """Read the inputs' extents and lay the tiles over them.

    Raises
    ------
    CRSError
        Inputs in different CRS, or no CRS.
    GridError
        DSM rasters at another cell size than ``tiles.resolution``, or off its grid (cell corners
        on multiples of the resolution) by a fraction of a cell.
    AllNodataError
        A DSM raster holds no data.
    """
    sources = []
    crs = None
    if config.lidar:
        for path in config.lidar:
            src = inspect_las(path, crs=config.crs)
            if crs is None:
                crs = src.crs
            elif not src.crs.equals(crs, ignore_axis_order=True):
                raise CRSError(f"{path}: CRS {src.crs.to_string()} differs from the other tiles' {crs.to_string()}")
            sources.append(Source(Path(path), src.bounds))
        kind = "lidar"
    else:
        for path in config.dsm:
            bounds, cell, file_crs = raster_bounds(path)
            file_crs = check_crs(file_crs, str(path))
            if crs is None:
                crs = file_crs
            elif not file_crs.equals(crs):
                raise CRSError(f"{path}: CRS {file_crs.to_string()} differs from the other rasters' {crs.to_string()}")
            if abs(cell - config.resolution) > 1e-9:
                raise GridError(f"{path}: cell size {cell:g} m differs from tiles.resolution = {config.resolution:g} m")
            _check_on_grid(path, bounds, config.resolution)
            if not has_data(path):
                raise AllNodataError(f"{path}: every cell is nodata; give a DSM with data (or remove it from "
                                     "inputs.dsm)")
            sources.append(Source(Path(path), bounds))
        kind = "dsm"
    tiles = plan_tiles([s.bounds for s in sources], size=config.size, halo=config.halo, resolution=config.resolution)
    return Plan(kind=kind, crs=crs, tiles=tuple(tiles), sources=tuple(sources), config=config)
