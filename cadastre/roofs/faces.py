"""Roof cells, roof faces and their statistics (``docs/method.md``, section Buildings).

Roof cells are the cells of the irradiance raster whose centre lies inside a
building footprint, higher than ``min_height`` above the ground (when an nDSM
is given) and not topped by vegetation (when a vegetation mask is given).
Faces are grown on the cells' normals (:func:`kernels.segment.grow_faces`):
flat parts (< ``flat_slope``) form one face per connected part, pitched parts
split where the normal turns by more than ``max_face_angle``.

Per face: mean normal (tilt, azimuth), true area (cell area / cos slope),
mean irradiation, and the *usable* cells: at least ``setback`` away from the
face's edge and not steeper than ``max_slope``.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
import xarray as xr
from affine import Affine
from shapely.geometry import shape

from cadastre.config import RoofConfig
from kernels.segment import grow_faces


def rasterize_footprints(footprints: gpd.GeoDataFrame, transform: Affine, shape_: tuple[int, int]) -> np.ndarray:
    """Grid of footprint numbers (1-based position in ``footprints``), 0 outside; cell centres decide."""
    ids = np.zeros(shape_, np.int32)
    items = [(geom, k + 1) for k, geom in enumerate(footprints.geometry) if geom is not None and not geom.is_empty]
    if items:
        rasterio.features.rasterize(items, out=ids, transform=transform, all_touched=False, dtype="int32")
    return ids


def roof_cells(
    building: np.ndarray,
    global_: np.ndarray,
    *,
    ndsm: np.ndarray | None = None,
    vegetation: np.ndarray | None = None,
    min_height: float = 2.0,
) -> np.ndarray:
    """Building number of each roof cell, 0 elsewhere (see module docstring)."""
    roof = (building > 0) & np.isfinite(global_)
    if ndsm is not None:
        roof &= np.nan_to_num(ndsm, nan=-np.inf) > min_height
    if vegetation is not None:
        roof &= vegetation != 1
    return np.where(roof, building, 0).astype(np.int32)


# Faces work on the list of roof cells, as flat indices into a copy of the grid
# padded with ``margin`` empty cells on every side: the neighbour at (di, dj) of
# cell k is k + di * width + dj, inside the grid without bounds checks, for
# |di|, |dj| <= margin. Bincounts then run over the cells in raster order, as
# they would over the whole grid.


def _setback_mask(labels: np.ndarray, cells: np.ndarray, face: np.ndarray, width: int, radius_cells: float) -> np.ndarray:
    """Cells whose neighbours within ``radius_cells`` all belong to their face.

    ``labels``: padded flat grid of face numbers; ``cells``: flat indices of the
    face cells; ``face``: their face numbers.
    """
    keep = np.ones(cells.size, bool)
    r = int(math.floor(radius_cells + 1e-9))
    for di in range(-r, r + 1):
        for dj in range(-r, r + 1):
            if (di == 0 and dj == 0) or di * di + dj * dj > radius_cells * radius_cells + 1e-9:
                continue
            keep &= labels[cells + (di * width + dj)] == face
    return keep


def merge_fragments(labels: np.ndarray, cells: np.ndarray, building: np.ndarray, width: int, min_cells: int,
                    passes: int = 3) -> np.ndarray:
    """Merge fragments into the neighbour face (same building) they share most border with.

    A fragment has fewer than ``min_cells`` cells or is a strip at most two
    cells wide. Ridges, hips and eaves give such cells, whose 3x3 normals
    belong to no plane (flat along a symmetric ridge, steep along an eave).
    Fragments with no such neighbour stay.

    ``labels``: padded flat grid of face numbers (not modified); ``cells``: flat
    indices of the face cells; ``building``: their building numbers. Returns
    the new face number of each cell.
    """
    out = labels.copy()
    face = out[cells]
    for _ in range(passes):
        counts = np.bincount(face, minlength=1)
        interior = ((out[cells - width] == face) & (out[cells + width] == face)
                    & (out[cells - 1] == face) & (out[cells + 1] == face))
        thick = np.bincount(face, weights=interior, minlength=counts.size)
        # small, or a strip at most two cells wide (no cell with its four neighbours in the face)
        small = (counts < min_cells) | (thick == 0)
        small[0] = False
        if not small[face].any():
            break
        owner = np.zeros(counts.size, np.int64)
        owner[face] = building
        pairs = []
        for step in (1, width, -1, -width):
            other = out[cells + step]
            m = (other > 0) & (face != other) & small[face] & ~small[other]
            m &= owner[face] == owner[other]
            pairs.append(np.stack([face[m], other[m]], axis=1))
        edges = np.concatenate(pairs)
        if not len(edges):
            break
        uniq, border = _unique_pairs(edges, counts.size)
        order = np.lexsort((-border, uniq[:, 0]))
        uniq = uniq[order]
        first = np.r_[True, uniq[1:, 0] != uniq[:-1, 0]]
        mapping = np.arange(counts.size)
        mapping[uniq[first, 0]] = uniq[first, 1]
        face = mapping[face]
        out[cells] = face
    return face


def _unique_pairs(pairs: np.ndarray, base: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct rows of a (n, 2) array of non-negative ints (second column below ``base``), and their counts."""
    key = pairs[:, 0].astype(np.int64) * base + pairs[:, 1]
    uniq, counts = np.unique(key, return_counts=True)
    return np.stack([uniq // base, uniq % base], axis=1), counts


def _shared_cells(labels: np.ndarray, cells: np.ndarray, face: np.ndarray, core: np.ndarray, building: np.ndarray,
                  width: int, nb: int):
    """(cell position, face, weight) triples: a core cell counts fully for its face; a
    fragment cell is split evenly between the core faces of its building among its
    four neighbours (or counts for its own face when it touches none).

    Positions index ``cells``; ``labels`` is the padded flat grid of face numbers; ``nb``
    is the largest face number plus one.
    """
    size = labels.size
    core_grid = np.zeros(size, bool)
    core_grid[cells[core]] = True
    building_grid = np.zeros(size, building.dtype)
    building_grid[cells] = building
    at_core = np.flatnonzero(core)
    frag = np.flatnonzero(~core)
    cand_cell, cand_face = [], []
    for step in (-width, width, -1, 1):
        other = cells[frag] + step
        good = core_grid[other] & (building_grid[other] == building[frag]) & (labels[other] > 0)
        cand_cell.append(frag[good])
        cand_face.append(labels[other][good])
    pairs = _unique_pairs(np.stack([np.concatenate(cand_cell), np.concatenate(cand_face)], axis=1), nb)[0]
    k = np.bincount(pairs[:, 0], minlength=cells.size)
    lonely = frag[k[frag] == 0]
    idx = [at_core, pairs[:, 0], lonely]
    faces_ = [face[at_core], pairs[:, 1], face[lonely]]
    weights = [np.ones(at_core.size), 1.0 / k[pairs[:, 0]], np.ones(lonely.size)]
    return np.concatenate(idx), np.concatenate(faces_).astype(np.int64), np.concatenate(weights)


def _planes(se: np.ndarray, sn: np.ndarray, su: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tilt and azimuth [degrees] of the planes whose summed normals are (``se``, ``sn``, ``su``), and
    their area stretch 1 / cos(tilt) (true area over horizontal area; tilt capped at 85°)."""
    norm = np.sqrt(se**2 + sn**2 + su**2)
    with np.errstate(invalid="ignore", divide="ignore"):
        tilt = np.degrees(np.arccos(np.clip(su / norm, -1, 1)))
        azimuth = np.degrees(np.arctan2(se, sn)) % 360.0
        stretch = 1.0 / np.maximum(np.cos(np.radians(np.minimum(np.nan_to_num(tilt), 85.0))), 1e-6)
    return tilt, azimuth, stretch


def faces(irradiance: xr.Dataset, roof: np.ndarray, config: RoofConfig = RoofConfig(), *,
          with_usable: bool = False) -> tuple[np.ndarray, pd.DataFrame] | tuple[np.ndarray, pd.DataFrame, np.ndarray]:
    """Segment roof cells into faces and describe each face.

    Parameters
    ----------
    irradiance : xarray.Dataset
        Output of :func:`cadastre.solar.irradiance` (``global``, ``slope``, ``aspect``).
    roof : 2-D int array
        Building number of each roof cell (:func:`roof_cells`), 0 elsewhere.
    config : RoofConfig
        Segmentation and usability parameters.
    with_usable : bool
        Also return the grid of usable cells (third item).

    Returns
    -------
    labels : 2-D int32 array
        Face number of each roof cell (1..n), 0 elsewhere.
    table : pandas.DataFrame
        One row per face: ``face`` (1..n), ``building`` (number), ``cells``,
        ``tilt`` and ``azimuth`` of the mean normal [degrees], ``area_m2``
        (true area), ``irradiation`` (area-weighted mean of ``global``
        [kWh m-2]), ``usable_cells``, ``usable_area_m2`` (true area),
        ``usable_irradiation`` [kWh m-2], ``flat`` (bool).
    usable : 2-D bool array, only with ``with_usable``
        The usable cells (the ones ``usable_*`` count), on the grid of ``labels``.

    Work and memory beyond one pass over the grid are in proportion to the
    roof cells, not to the grid.
    """
    cell = abs(irradiance.rio.transform().a)
    h, w = roof.shape
    rows, cols = np.nonzero(roof)
    slope_r = np.asarray(irradiance["slope"].values[rows, cols], np.float64)
    aspect_r = np.asarray(irradiance["aspect"].values[rows, cols], np.float64)
    s, a = np.radians(slope_r), np.radians(aspect_r)
    normal = np.sin(s) * np.sin(a), np.sin(s) * np.cos(a), np.cos(s)
    grids = [np.zeros(roof.shape) for _ in range(4)]  # east, north, up, slope: read only on roof cells
    for grid, values in zip(grids, (*normal, slope_r), strict=True):
        grid[rows, cols] = values
    grown_grid = np.zeros(roof.shape, np.int32)
    grow_faces(roof, *grids[:3], grids[3], config.flat_slope, config.max_face_angle, grown_grid)
    del grids
    grown = grown_grid[rows, cols]
    keep = grown > 0  # roof cells with a normal
    radius = config.setback / cell
    margin = max(1, int(math.floor(radius + 1e-9)))
    width = w + 2 * margin
    cells = (rows[keep] + margin) * width + cols[keep] + margin
    grown, building = grown[keep], roof[rows[keep], cols[keep]]
    slope = slope_r[keep]
    n_e, n_n, n_u = (v[keep] for v in normal)
    glob = np.asarray(irradiance["global"].values[rows[keep], cols[keep]], np.float64)
    del grown_grid, rows, cols
    grid = np.zeros((h + 2 * margin) * width, np.int32)
    grid[cells] = grown
    merged = merge_fragments(grid, cells, building, width, max(1, int(round(config.min_fragment_area / (cell * cell)))))
    # renumber the surviving faces 1..n
    present = np.bincount(merged, minlength=1) > 0
    present[0] = True
    renumber = np.cumsum(present) - 1
    face = renumber[merged].astype(np.int32)
    grid[cells] = face
    nb = int(face.max(initial=0)) + 1
    # the plane of a face: the mean normal of the cells it grew from (not the absorbed fragments)
    core = merged == grown
    usable = _setback_mask(grid, cells, face, width, radius) & (slope <= config.max_slope)

    def total(values, where=None):
        v = values if where is None else np.where(where, values, 0.0)
        return np.bincount(face, weights=np.nan_to_num(v), minlength=nb)[1:]

    counts = np.bincount(face, minlength=nb)[1:]
    se, sn, su = total(n_e, core), total(n_n, core), total(np.nan_to_num(n_u), core)
    tilt, azimuth, stretch = _planes(se, sn, su)
    stretch = np.r_[0.0, stretch]
    with np.errstate(invalid="ignore", divide="ignore"):
        area = cell * cell * stretch[face]
        # ridge, hip and eave cells are shared by the faces they touch
        idx, face_of, weight = _shared_cells(grid, cells, face, core, building, width, nb)
        cell_area = weight * cell * cell * stretch[face_of]
        area_m2 = np.bincount(face_of, weights=cell_area, minlength=nb)[1:]
        irr = np.bincount(face_of, weights=cell_area * np.nan_to_num(glob[idx]), minlength=nb)[1:] / area_m2
        u_area = total(area, usable)
        u_irr = np.where(u_area > 0, total(glob * area, usable) / np.where(u_area > 0, u_area, 1), np.nan)
    building_of = np.zeros(nb, np.int64)
    building_of[face] = building
    flat_face = np.r_[False, np.nan_to_num(tilt, nan=0.0) < config.flat_slope]
    table = pd.DataFrame(
        {
            "face": np.arange(1, nb),
            "building": building_of[1:],
            "cells": counts,
            "tilt": tilt,
            "azimuth": azimuth,
            "area_m2": area_m2,
            "irradiation": irr,
            "usable_cells": np.bincount(face, weights=usable, minlength=nb)[1:].astype(np.int64),
            "usable_area_m2": u_area,
            "usable_irradiation": u_irr,
            "flat": flat_face[1:],
        }
    )
    labels = np.ascontiguousarray(grid.reshape(h + 2 * margin, width)[margin : margin + h, margin : margin + w])
    if not with_usable:
        return labels, table
    flags = np.zeros(grid.size, bool)
    flags[cells[usable]] = True
    usable_grid = np.ascontiguousarray(flags.reshape(h + 2 * margin, width)[margin : margin + h, margin : margin + w])
    return labels, table, usable_grid


def face_polygons(labels: np.ndarray, transform: Affine, crs) -> gpd.GeoDataFrame:
    """One polygon per face (4-connected cells), column ``face``."""
    geoms, ids = [], []
    for geom, value in rasterio.features.shapes(labels, mask=labels > 0, transform=transform, connectivity=4):
        geoms.append(shape(geom))
        ids.append(int(value))
    gdf = gpd.GeoDataFrame({"face": ids}, geometry=geoms, crs=crs)
    return gdf.dissolve(by="face", as_index=False) if len(gdf) else gdf
