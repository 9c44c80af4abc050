"""Dense reference for :func:`cadastre.roofs.faces.faces` (test oracle).

The engine's ``faces`` works on the list of roof cells; this straightforward
version works on whole arrays, cell by cell through numpy, as the engine did
until December 2026. The two must give the same labels and the same table.
"""

from __future__ import annotations

import collections
import math

import numpy as np
import pandas as pd
import xarray as xr

from cadastre.config import RoofConfig
from cadastre.roofs.faces import _planes
from kernels.segment import grow_faces


def _setback_mask(labels: np.ndarray, radius_cells: float) -> np.ndarray:
    """Cells whose neighbours within ``radius_cells`` all belong to the same face."""
    keep = labels > 0
    r = int(math.floor(radius_cells + 1e-9))
    if r <= 0:
        return keep
    padded = np.pad(labels, r, constant_values=0)
    h, w = labels.shape
    for di in range(-r, r + 1):
        for dj in range(-r, r + 1):
            if (di == 0 and dj == 0) or di * di + dj * dj > radius_cells * radius_cells + 1e-9:
                continue
            keep &= padded[r + di : r + di + h, r + dj : r + dj + w] == labels
    return keep


def merge_fragments(labels: np.ndarray, roof: np.ndarray, min_cells: int, passes: int = 3) -> np.ndarray:
    """:func:`cadastre.roofs.faces.merge_fragments` on the whole grid, the choice of face by a dictionary."""
    out = labels.copy()
    for _ in range(passes):
        counts = np.bincount(out.ravel())
        padded = np.pad(out, 1)
        interior = (
            (padded[:-2, 1:-1] == out) & (padded[2:, 1:-1] == out) & (padded[1:-1, :-2] == out) & (padded[1:-1, 2:] == out)
        )
        thick = np.bincount(out.ravel(), weights=interior.ravel(), minlength=counts.size)
        # small, or a strip at most two cells wide (no cell with its four neighbours in the face)
        small = (counts < min_cells) | (thick == 0)
        small[0] = False
        if not small[out].any():
            break
        owner = np.zeros(counts.size, np.int64)
        owner[out.ravel()] = roof.ravel()
        pairs = []
        for a, b in ((out[:, :-1], out[:, 1:]), (out[:-1, :], out[1:, :]), (out[:, 1:], out[:, :-1]), (out[1:, :], out[:-1, :])):
            m = (a > 0) & (b > 0) & (a != b) & small[a] & ~small[b]
            m &= owner[a] == owner[b]
            pairs.append(np.stack([a[m], b[m]], axis=1))
        edges = np.concatenate(pairs)
        if not len(edges):
            break
        # each fragment goes to the face it shares most border with (ties: the lowest face number)
        border = collections.Counter(map(tuple, edges.tolist()))
        best = {}
        for (a, b), n in border.items():
            if a not in best or (-n, b) < best[a]:
                best[a] = (-n, b)
        mapping = np.arange(counts.size)
        for a, (_n, b) in best.items():
            mapping[a] = b
        out = mapping[out]
    return out


def _unique_pairs(pairs: np.ndarray, base: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct rows of a (n, 2) array of non-negative ints (second column below ``base``), and their counts."""
    key = pairs[:, 0].astype(np.int64) * base + pairs[:, 1]
    uniq, counts = np.unique(key, return_counts=True)
    return np.stack([uniq // base, uniq % base], axis=1), counts


def _shared_cells(labels: np.ndarray, core: np.ndarray, roof: np.ndarray):
    """(cell index, face, weight) triples: a core cell counts fully for its face; a
    fragment cell is split evenly between the core faces of its building among its
    four neighbours (or counts for its own face when it touches none)."""
    h, w = labels.shape
    flat_labels = labels.ravel()
    cells = np.flatnonzero(flat_labels > 0)
    is_core = core.ravel()[cells]
    idx = [cells[is_core]]
    face = [flat_labels[cells[is_core]]]
    frag = cells[~is_core]
    rows, cols = np.divmod(frag, w)
    cand_cell, cand_face = [], []
    for di, dj in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        r, c = rows + di, cols + dj
        ok = (r >= 0) & (r < h) & (c >= 0) & (c < w)
        r, c, f = r[ok], c[ok], frag[ok]
        good = core[r, c] & (roof[r, c] == roof.ravel()[f]) & (labels[r, c] > 0)
        cand_cell.append(f[good])
        cand_face.append(labels[r, c][good])
    pairs = _unique_pairs(np.stack([np.concatenate(cand_cell), np.concatenate(cand_face)], axis=1),
                          int(labels.max()) + 1)[0]
    k = np.zeros(h * w, np.int64)
    np.add.at(k, pairs[:, 0], 1)
    lonely = frag[k[frag] == 0]
    idx += [pairs[:, 0], lonely]
    face += [pairs[:, 1], flat_labels[lonely]]
    weights = [np.ones(int(is_core.sum())), 1.0 / k[pairs[:, 0]], np.ones(lonely.size)]
    return np.concatenate(idx), np.concatenate(face).astype(np.int64), np.concatenate(weights)


def dense_faces(irradiance: xr.Dataset, roof: np.ndarray, config: RoofConfig = RoofConfig()) -> tuple[np.ndarray, pd.DataFrame]:
    """:func:`cadastre.roofs.faces.faces` on whole arrays: same arguments, same labels and table."""
    slope = np.asarray(irradiance["slope"].values, np.float64)
    aspect = np.asarray(irradiance["aspect"].values, np.float64)
    glob = np.asarray(irradiance["global"].values, np.float64)
    cell = abs(irradiance.rio.transform().a)
    s, a = np.radians(slope), np.radians(aspect)
    n_e, n_n, n_u = np.sin(s) * np.sin(a), np.sin(s) * np.cos(a), np.cos(s)
    n_u = np.where(roof > 0, n_u, np.nan)
    grown = np.zeros(roof.shape, np.int32)
    grow_faces(roof, n_e, n_n, n_u, slope, config.flat_slope, config.max_face_angle, grown)
    merged = merge_fragments(grown, roof, max(1, int(round(config.min_fragment_area / (cell * cell)))))
    # renumber the surviving faces 1..n
    present = np.bincount(merged.ravel()) > 0
    present[0] = True
    renumber = np.cumsum(present) - 1
    labels = renumber[merged].astype(np.int32)
    n = int(labels.max())
    nb = n + 1
    flat_idx = labels.ravel()
    # the plane of a face: the mean normal of the cells it grew from (not the absorbed fragments)
    core = (grown > 0) & (merged == grown)
    usable = _setback_mask(labels, config.setback / cell) & (slope <= config.max_slope)

    def total(values, where=None):
        v = values.ravel() if where is None else np.where(where, values, 0.0).ravel()
        return np.bincount(flat_idx, weights=np.nan_to_num(v), minlength=nb)[1:]

    cells = np.bincount(flat_idx, minlength=nb)[1:]
    se, sn, su = total(n_e, core), total(n_n, core), total(np.nan_to_num(n_u), core)
    tilt, azimuth, stretch = _planes(se, sn, su)  # the face statistics are not what this oracle checks
    with np.errstate(invalid="ignore", divide="ignore"):
        area = np.where(labels > 0, cell * cell * np.r_[0.0, stretch][labels], 0.0)
        # ridge, hip and eave cells are shared by the faces they touch
        idx, face_of, weight = _shared_cells(labels, core, roof)
        cell_area = weight * cell * cell * np.r_[0.0, stretch][face_of]
        area_m2 = np.bincount(face_of, weights=cell_area, minlength=nb)[1:]
        irr = np.bincount(face_of, weights=cell_area * np.nan_to_num(glob.ravel()[idx]), minlength=nb)[1:] / area_m2
        u_area = total(area, usable)
        u_irr = np.where(u_area > 0, total(glob * area, usable) / np.where(u_area > 0, u_area, 1), np.nan)
    building_of = np.zeros(nb, np.int64)
    building_of[flat_idx] = roof.ravel()
    flat_face = np.r_[False, np.nan_to_num(tilt, nan=0.0) < config.flat_slope]
    table = pd.DataFrame(
        {
            "face": np.arange(1, nb),
            "building": building_of[1:],
            "cells": cells,
            "tilt": tilt,
            "azimuth": azimuth,
            "area_m2": area_m2,
            "irradiation": irr,
            "usable_cells": np.bincount(flat_idx, weights=usable.ravel(), minlength=nb)[1:].astype(np.int64),
            "usable_area_m2": u_area,
            "usable_irradiation": u_irr,
            "flat": flat_face[1:],
        }
    )
    return labels, table
