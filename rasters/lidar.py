"""LiDAR point clouds (LAS/LAZ) to surface rasters: DSM, DTM, nDSM, building and vegetation masks.

Classes (ASPRS, with the IGN LiDAR HD extensions):

=========  =====================================  =====================================
class      meaning                                use
=========  =====================================  =====================================
1          unclassified                           DSM
2          ground                                 DSM, DTM
3, 4, 5    low, medium, high vegetation           DSM, vegetation mask (when on top)
6          building                               DSM, building mask
9          water                                  DSM, DTM (the water surface is ground)
17         bridge deck                            DSM only (not ground)
64, 67     LiDAR HD permanent above-ground, other DSM
7, 18      low and high noise                     dropped
65, 66     LiDAR HD artefacts, virtual points     dropped
=========  =====================================  =====================================

Withheld points are dropped too. Points are streamed in chunks: memory is
bounded by the grid, never by the number of points.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import math
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import laspy
import numpy as np
import rasterio.fill
import xarray as xr
from affine import Affine
from pyproj import CRS
from scipy import ndimage

from kernels.binning import bin_points
from rasters.errors import CRSError, InputFileError, NoOverlapError, OptionError
from rasters.grid import check_crs
from rasters.io import to_dataarray

NOISE_CLASSES = (7, 18, 65, 66)
GROUND_CLASSES = (2, 9)
BUILDING_CLASS = 6
VEGETATION_CLASSES = (3, 4, 5)
CHUNK_POINTS = 2_000_000
LAZ_BACKEND = laspy.LazBackend.LazrsParallel if laspy.LazBackend.LazrsParallel.is_available() else None
"""Decompress LAZ on all cores when lazrs is installed (about twice as fast on 2 cores)."""
LAZ_BACKEND_ONE_THREAD = laspy.LazBackend.Lazrs if laspy.LazBackend.Lazrs.is_available() else None
"""Decompress on the calling thread: for workers that share the cores (a run's cluster)."""
_D = laspy.DecompressionSelection
LAYERS = _D.XY_RETURNS_CHANNEL | _D.Z | _D.CLASSIFICATION | _D.FLAGS
"""LAZ 1.4 layers decoded: coordinates, classes and flags only (a third faster; other formats decode whole)."""
MASK_NODATA = 255
MIN_EXTENT = 0.01
"""Smallest side [m] of the area a file's points cover: below it they lie on a point or a line, not a surface."""


@dataclasses.dataclass(frozen=True)
class LasSource:
    """What the header of a LAS/LAZ file says, checked."""

    path: Path
    crs: CRS
    crs_from: str
    bounds: tuple[float, float, float, float]
    points: int
    version: str
    point_format: int

    def as_dict(self) -> dict:
        return {
            "path": str(self.path),
            "crs": self.crs.to_string(),
            "crs_from": self.crs_from,
            "bounds": list(self.bounds),
            "points": self.points,
            "las_version": self.version,
            "point_format": self.point_format,
        }


def sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks.

    Remembered for the file's path, size and modification time, so a run that
    checks an input and then records it reads it once.
    """
    st = os.stat(path)
    return _sha256(os.path.abspath(path), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=256)
def _sha256(path: str, _size: int, _mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def inspect_las(path: str | os.PathLike, *, crs=None) -> LasSource:
    """Open the header of a LAS/LAZ file and check its CRS.

    Parameters
    ----------
    path : path-like
        LAS 1.2-1.4 or LAZ file.
    crs : optional
        CRS that overrides the header's (anything pyproj accepts: ``'EPSG:2154'``).

    Raises
    ------
    InputFileError
        Missing file, not a LAS/LAZ file, no points.
    CRSError
        No CRS in the header and none given; a geographic CRS or one not in metres.
    """
    p = Path(path)
    if not p.is_file():
        raise InputFileError(f"{p}: no such file")
    try:
        with laspy.open(p) as reader:
            header = reader.header
            header_crs = None
            try:
                header_crs = header.parse_crs()
            except Exception:  # a malformed CRS record counts as none
                header_crs = None
    except Exception as exc:
        raise InputFileError(f"{p}: not a readable LAS/LAZ file ({_first_line(exc)})") from exc
    if header.point_count == 0:
        raise InputFileError(f"{p}: holds no points")
    extent = [float(header.maxs[k] - header.mins[k]) for k in (0, 1)]
    if min(extent) < MIN_EXTENT:
        raise InputFileError(
            f"{p}: its {header.point_count:,} points cover {extent[0]:.2f} x {extent[1]:.2f} m, a point or a line; "
            "not a LiDAR tile")
    if crs is not None:
        try:
            chosen, source = CRS.from_user_input(crs), "option"
        except Exception as exc:
            raise CRSError(f"--crs: {crs!r} is not a CRS pyproj knows ({_first_line(exc)})") from exc
    elif header_crs is not None:
        chosen, source = header_crs, "header"
    else:
        raise CRSError(f"{p}: no CRS in the LAS header; pass --crs (e.g. --crs EPSG:2154 for Lambert-93)")
    chosen = check_crs(chosen, str(p))
    if chosen.is_compound:
        chosen = CRS.from_user_input(chosen.sub_crs_list[0])
    mins, maxs = header.mins, header.maxs
    return LasSource(
        path=p,
        crs=chosen,
        crs_from=source,
        bounds=(float(mins[0]), float(mins[1]), float(maxs[0]), float(maxs[1])),
        points=int(header.point_count),
        version=str(header.version),
        point_format=int(header.point_format.id),
    )


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def plan_grid(
    sources: Sequence[LasSource], resolution: float, bounds: Sequence[float] | None = None
) -> tuple[Affine, int, int]:
    """North-up grid covering the sources (or ``bounds``), aligned to multiples of ``resolution``.

    Alignment makes the grids of adjacent tiles line up exactly, so that their
    rasters mosaic without seams.
    """
    if not (resolution > 0 and math.isfinite(resolution)):
        raise OptionError(f"--resolution: {resolution} m; give a positive cell size such as 0.5")
    if bounds is None:
        xmin = min(s.bounds[0] for s in sources)
        ymin = min(s.bounds[1] for s in sources)
        xmax = max(s.bounds[2] for s in sources)
        ymax = max(s.bounds[3] for s in sources)
    else:
        xmin, ymin, xmax, ymax = (float(v) for v in bounds)
        if not (xmax > xmin and ymax > ymin):
            raise OptionError(f"--bounds: {list(bounds)} is empty; give xmin ymin xmax ymax with xmin < xmax, ymin < ymax")
        if not any(_overlaps(s.bounds, (xmin, ymin, xmax, ymax)) for s in sources):
            raise NoOverlapError(f"--bounds: {list(bounds)} does not overlap any input tile")
    x0 = math.floor(xmin / resolution + 1e-9) * resolution
    y1 = math.ceil(ymax / resolution - 1e-9) * resolution
    x1 = math.ceil(xmax / resolution - 1e-9) * resolution
    y0 = math.floor(ymin / resolution + 1e-9) * resolution
    width = max(1, int(round((x1 - x0) / resolution)))
    height = max(1, int(round((y1 - y0) / resolution)))
    if width * height > 400_000_000:
        raise OptionError(
            f"grid of {width} x {height} cells is too large for one call; prepare tiles separately or pass --bounds"
        )
    return Affine(resolution, 0.0, x0, 0.0, -resolution, y1), width, height


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def check_sources(paths: Sequence[str | os.PathLike], crs) -> list[LasSource]:
    if not paths:
        raise OptionError("no input tile given")
    seen: dict[str, Path] = {}
    sources = []
    for path in paths:
        src = inspect_las(path, crs=crs)
        key = str(src.path.resolve())
        if key in seen:
            raise InputFileError(f"{src.path}: given twice; give each tile once")
        seen[key] = src.path
        sources.append(src)
    first = sources[0]
    for src in sources[1:]:
        if not src.crs.equals(first.crs, ignore_axis_order=True):
            raise CRSError(
                f"{src.path}: CRS {src.crs.to_string()} differs from {first.path.name}'s {first.crs.to_string()}; "
                "reproject the tiles or pass --crs"
            )
    return sources


def _chunks(src: LasSource, chunk_points: int, backend=LAZ_BACKEND):
    """Yield (x, y, z, classification, keep) arrays of a file, chunk by chunk."""
    read = 0
    try:
        with laspy.open(src.path, laz_backend=backend, decompression_selection=LAYERS) as reader:
            for points in reader.chunk_iterator(chunk_points):
                n = len(points)
                if n == 0:
                    break
                read += n
                cls = np.asarray(points.classification, dtype=np.uint8)
                keep = ~np.isin(cls, NOISE_CLASSES)
                names = points.point_format.dimension_names
                if "withheld" in names:
                    keep &= ~np.asarray(points.withheld, dtype=bool)
                yield (
                    np.asarray(points.x, dtype=np.float64),
                    np.asarray(points.y, dtype=np.float64),
                    np.asarray(points.z, dtype=np.float64),
                    cls,
                    keep,
                )
    except InputFileError:
        raise
    except Exception as exc:
        raise InputFileError(
            f"{src.path}: truncated or corrupt after {read:,} of {src.points:,} points ({_first_line(exc)}); "
            "download the tile again"
        ) from exc
    if read < src.points:
        raise InputFileError(
            f"{src.path}: truncated, {read:,} of the {src.points:,} points announced by the header; "
            "download the tile again"
        )


def _fill_small_holes(dsm: np.ndarray, empty: np.ndarray, max_cells: int) -> tuple[np.ndarray, np.ndarray]:
    """Fill empty components that fit in a ``max_cells`` square from their surroundings (GDAL fillnodata)."""
    labels, n = ndimage.label(empty, structure=np.ones((3, 3)))
    if n == 0:
        return dsm, np.zeros_like(empty)
    slices = ndimage.find_objects(labels)
    small_ids = [
        k + 1
        for k, s in enumerate(slices)
        if (s[0].stop - s[0].start) <= max_cells and (s[1].stop - s[1].start) <= max_cells
    ]
    small = np.isin(labels, small_ids)
    if not small.any():
        return dsm, small
    filled = rasterio.fill.fillnodata(
        np.where(empty, 0, dsm).astype(np.float32),
        mask=(~empty).astype(np.uint8),
        max_search_distance=float(2 * max_cells + 2),
        smoothing_iterations=0,
    )
    out = dsm.copy()
    out[small] = filled[small]
    return out, small


def _interpolate_ground(ground: np.ndarray, has_ground: np.ndarray, resolution: float) -> np.ndarray:
    """Ground under buildings and trees: GDAL's inverse-distance fill of the ground cells."""
    if not has_ground.any():
        return np.full(ground.shape, np.nan, np.float32)
    search = float(max(ground.shape))
    filled = rasterio.fill.fillnodata(
        np.where(has_ground, ground, np.nan).astype(np.float32),
        mask=has_ground.astype(np.uint8),
        max_search_distance=search,
        smoothing_iterations=0,
    )
    # GDAL's search can leave cells unfilled far from any ground cell: take the nearest ground cell there
    left = np.isnan(filled)
    if left.any():
        nearest = ndimage.distance_transform_edt(~has_ground, return_distances=False, return_indices=True)
        filled[left] = ground[nearest[0][left], nearest[1][left]]
    return filled.astype(np.float32)


def prepare(
    paths: Sequence[str | os.PathLike],
    *,
    resolution: float = 0.5,
    crs=None,
    bounds: Sequence[float] | None = None,
    max_hole: float = 2.0,
    chunk_points: int = CHUNK_POINTS,
    threads: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[xr.Dataset, dict]:
    """Surface rasters from LiDAR tiles, on one grid aligned to multiples of ``resolution``.

    Parameters
    ----------
    paths : sequence of path-like
        LAS/LAZ tiles (merged onto one grid; a tile given twice is an error).
    resolution : float
        Cell size. [m]
    crs : optional
        Overrides the CRS of the headers (needed when a header has none).
    bounds : (xmin, ymin, xmax, ymax), optional
        Extent of the grid [m, in the CRS]; default: the union of the headers'.
    max_hole : float
        Empty DSM areas fitting in a square this wide are filled from their
        surroundings; larger ones from the DTM when enclosed by data, else nodata. [m]
    chunk_points : int
        Points read at a time (memory bound).
    threads : int, optional
        1: decompress LAZ on the calling thread (workers sharing the cores);
        default: on all cores.
    progress : callable, optional
        ``progress(points_done, points_total)``.

    Returns
    -------
    (xarray.Dataset, dict)
        Variables ``dsm``, ``dtm``, ``ndsm`` [m, float32, NaN for nodata],
        ``buildings``, ``vegetation`` (uint8: 1 yes, 0 no, 255 nodata); and a
        report (inputs, grid, point counts per class, density, coverage, time).

    Notes
    -----
    - DSM: highest kept return per cell; small holes filled (``max_hole``);
      larger enclosed gaps (water without returns, occlusions) take the DTM.
    - DTM: mean height of the ground and water returns of each cell, then
      GDAL's inverse-distance fill (``rasterio.fill.fillnodata``) under
      buildings and trees; clamped to the DSM, so that DTM <= DSM everywhere.
      A file without ground points gives a DTM and nDSM of nodata.
    - nDSM = DSM - DTM (>= 0).
    - Building mask: cells holding at least one class-6 return. Vegetation
      mask: cells whose highest return is of class 3, 4 or 5.
    """
    started = time.perf_counter()
    if not (resolution > 0 and math.isfinite(resolution)):
        raise OptionError(f"--resolution: {resolution} m; give a positive cell size such as 0.5")
    if max_hole < 0:
        raise OptionError(f"max_hole: {max_hole} m; give a size >= 0")
    sources = check_sources(paths, crs)
    transform, width, height = plan_grid(sources, resolution, bounds)
    x0, y0 = transform.c, transform.f
    shape = (height, width)
    top_z = np.full(shape, -np.inf)
    top_class = np.zeros(shape, np.uint8)
    ground_sum = np.zeros(shape)
    ground_count = np.zeros(shape, np.int32)
    building_count = np.zeros(shape, np.int32)
    point_count = np.zeros(shape, np.int32)
    ground_lut = np.zeros(256, np.bool_)
    ground_lut[list(GROUND_CLASSES)] = True
    class_counts = np.zeros(256, np.int64)
    total = sum(s.points for s in sources)
    done = 0
    inputs = []
    backend = LAZ_BACKEND_ONE_THREAD if threads == 1 else LAZ_BACKEND
    for src in sources:
        kept = 0
        for x, y, z, cls, keep in _chunks(src, chunk_points, backend):
            kept += int(np.count_nonzero(keep))
            class_counts += np.bincount(cls, minlength=256)
            bin_points(
                x, y, z, cls, keep, x0, y0, resolution, ground_lut, BUILDING_CLASS,
                top_z, top_class, ground_sum, ground_count, building_count, point_count,
            )
            done += len(x)
            if progress is not None:
                progress(done, total)
        if kept == 0:
            raise InputFileError(
                f"{src.path}: all {src.points:,} points are noise or withheld (classes "
                f"{', '.join(map(str, NOISE_CLASSES))}); nothing to grid, check the file or leave it out")
        inputs.append({**src.as_dict(), "sha256": sha256(src.path)})
    has_points = point_count > 0
    if not has_points.any():
        names = ", ".join(str(src.path) for src in sources[:3]) + (", ..." if len(sources) > 3 else "")
        raise NoOverlapError(
            f"{names}: no point falls in the grid" + (f" given by --bounds {list(bounds)}" if bounds else "")
        )
    dsm = np.where(has_points, top_z, np.nan)
    empty = ~has_points
    max_cells = int(math.floor(max_hole / resolution + 1e-9))
    dsm, small = _fill_small_holes(dsm, empty, max_cells) if max_cells > 0 else (dsm, np.zeros_like(empty))
    has_ground = ground_count > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        ground = np.where(has_ground, ground_sum / np.maximum(ground_count, 1), np.nan)
    dtm = _interpolate_ground(ground, has_ground, resolution)
    # larger gaps enclosed by data take the DTM; gaps open to the grid border stay nodata
    still = np.isnan(dsm)
    from_dtm = np.zeros(shape, bool)
    if still.any() and has_ground.any():
        labels, n = ndimage.label(still, structure=np.ones((3, 3)))
        border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
        from_dtm = still & ~np.isin(labels, border[border > 0])
        dsm[from_dtm] = dtm[from_dtm]
    valid = ~np.isnan(dsm)
    dtm = np.where(valid, np.minimum(dtm, dsm), np.nan).astype(np.float32)
    dsm = dsm.astype(np.float32)
    ndsm = np.where(valid & ~np.isnan(dtm), dsm - dtm, np.nan).astype(np.float32)
    buildings = np.where(valid, (building_count > 0).astype(np.uint8), MASK_NODATA).astype(np.uint8)
    vegetation = np.where(
        valid, (np.isin(top_class, VEGETATION_CLASSES) & has_points).astype(np.uint8), MASK_NODATA
    ).astype(np.uint8)
    crs_out = sources[0].crs
    layers = {
        "dsm": to_dataarray(dsm, crs_out, transform, name="dsm", units="m"),
        "dtm": to_dataarray(dtm, crs_out, transform, name="dtm", units="m"),
        "ndsm": to_dataarray(ndsm, crs_out, transform, name="ndsm", units="m"),
        "buildings": to_dataarray(buildings, crs_out, transform, name="buildings", units="1"),
        "vegetation": to_dataarray(vegetation, crs_out, transform, name="vegetation", units="1"),
    }
    ds = xr.Dataset(layers)
    ds.rio.write_crs(crs_out, inplace=True).rio.write_transform(transform, inplace=True)
    cells = width * height
    covered = int(has_points.sum())
    kept = int(point_count.sum())
    report = {
        "inputs": inputs,
        "crs": crs_out.to_string(),
        "resolution": resolution,
        "bounds": [x0, y0 - height * resolution, x0 + width * resolution, y0],
        "width": width,
        "height": height,
        "points_total": int(total),
        "points_in_grid": kept,
        "points_per_class": {str(k): int(v) for k, v in enumerate(class_counts) if v},
        "density_points_per_m2": kept / max(covered * resolution**2, 1e-9),
        "coverage": covered / cells,
        "cells_filled_small_holes": int(small.sum()),
        "cells_filled_from_dtm": int(from_dtm.sum()),
        "cells_nodata": int((~valid).sum()),
        "ground_cells": int(has_ground.sum()),
        "warnings": [] if has_ground.any() else ["no ground point (class 2 or 9): DTM and nDSM are nodata"],
        "seconds": time.perf_counter() - started,
    }
    return ds, report
