"""Shading profiles of roof faces: a weather-independent summary of their horizons (``docs/method.md``).

For each face and horizon direction, the profile is the distribution of the
effective horizon elevation of the face's usable cells (the horizon codes of
:func:`cadastre.solar.irradiance.irradiance` with ``horizons=True``, steps of
0.5°) as at most ``M + 1`` knots (``M =`` :data:`PROFILE_LEVELS`): elevation,
count of cells below it, and the *cumulative normal* (the sum of the normals
of those cells divided by the face's cell count). The knots are the exact
staircase of the codes (two per distinct code) simplified where it has more
(:func:`kernels.profile.face_quantiles`). With the face's mean sky-view factor
and mean fraction of the Perez horizon band seen, it is all
:mod:`cadastre.solar.hourly` needs to give the shaded irradiance of the face at
any hour of any weather year.

:class:`FaceProfiles` holds the profiles of a set of faces, named by integer
or string ids (a run names faces by tile and number, e.g. ``"0_0-12"``);
:meth:`FaceProfiles.select` and :meth:`FaceProfiles.concat` pick and merge
them (tiles). :func:`write_profiles` stores them as one Parquet file (zstd):
one row per face and direction (``face``, ``direction`` [degrees]), the knots
as list columns of increments (``h``: codes, uint8; ``n``: cell counts, int32;
``va``, ``vu``: the cumulative normals' departure from the face's mean normal
in steps of 1/:data:`NORMAL_SCALE`, int16: see :func:`encode`), and the
per-face values (``tilt``, ``azimuth``, ``svf``, ``band_seen``, ``cells``, the
mean normal ``ne``, ``nn``, ``nu``) repeated on each row of their face
(run-length encoded: a few bytes per face).
"""

from __future__ import annotations

import bisect
import dataclasses
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from cadastre.errors import InputFileError
from cadastre.solar.sky import HORIZON_BAND_WIDTH
from kernels.profile import HORIZON_CODE_STEP, N_CODES, NO_CODE, face_quantiles, lit_fractions
from rasters.io import atomic_path

PROFILE_LEVELS = 24
"""M: a profile holds at most M + 1 knots per direction (exact for a staircase of up to M / 2 distinct codes)."""
PROFILE_TOLERANCE = 0.2
"""Knots are dropped while the triangle a knot makes with its neighbours has twice its area at most this
[code steps x share of cells] (Visvalingam-Whyatt; :func:`kernels.profile.face_quantiles`)."""
KNOT_COLUMNS = {"h": "uint8", "n": "int32", "va": "int16", "vu": "int16"}
"""List columns of the knots in the file (increments from the previous knot; the first from 0) and their item types:
``h`` horizon code (steps of :data:`HORIZON_CODE_STEP`), ``n`` cells below, ``va``, ``vu`` the cumulative normal's
departure from ``share x mean normal`` along the direction (horizontal) and up, in steps of 1 / NORMAL_SCALE."""
NORMAL_SCALE = 256.0
"""The file stores the cumulative normals' departures in steps of ``1 / NORMAL_SCALE``."""
FACE_COLUMNS = {"tilt": "float32", "azimuth": "float32", "svf": "float32", "band_seen": "float32", "cells": "int64",
                "ne": "float32", "nn": "float32", "nu": "float32"}
"""Per-face columns of the file, repeated on each row of their face, and their dtypes (``ne``, ``nn``, ``nu``: the
mean normal of the cells, east, north, up)."""
_FIELDS = ("tilt", "azimuth", "svf", "band_seen", "cells")
"""The per-face columns that are fields of :class:`FaceProfiles`."""

__all__ = [
    "FACE_COLUMNS", "HORIZON_CODE_STEP", "KNOT_COLUMNS", "NORMAL_SCALE", "PROFILE_LEVELS", "PROFILE_TOLERANCE",
    "FaceProfiles", "decode", "encode", "face_profiles", "lit_fraction", "read_profiles", "write_profile_parts",
    "write_profiles",
]


def _ids(values) -> np.ndarray:
    """Face ids as int64, or as an object array of str; ValueError on a mix or on duplicates."""
    values = np.asarray(values)
    if values.dtype.kind in "iu":
        ids = values.astype(np.int64)
    elif values.dtype.kind in "OUT" and all(isinstance(v, str) for v in values.tolist()):
        ids = np.array(values.tolist(), dtype=object).reshape(values.shape)
    elif values.size == 0:
        ids = values.astype(np.int64)
    else:
        raise ValueError("face ids: give integers or strings, not a mix of both")
    if not pd.Index(ids).is_unique:
        raise ValueError(f"face ids: {pd.Index(ids)[pd.Index(ids).duplicated()][0]!r} is repeated")
    return ids


@dataclasses.dataclass(frozen=True)
class FaceProfiles:
    """Shading profiles of faces (F faces, N directions, at most M + 1 knots per direction).

    Attributes
    ----------
    faces : (F,) int64 or object (str)
        Face ids, unique.
    directions : (N,) float64
        Horizon azimuths, clockwise from north. [degrees]
    quantiles : (F, N, M + 1) float32
        Knot elevations of the usable cells' effective horizon [degrees], nondecreasing, the last repeated after
        the knots of the direction; NaN for a face without usable cells.
    cumulative : (F, N, M + 1, 3) float32
        ``V_j``: the sum of the unit normals (east, north, up) of the cells below knot ``j``, divided by the
        count ``n`` of cells with a code (``V_0 = 0``, the last the mean normal). 0 for a face without usable cells.
    tilt, azimuth : (F,) float32
        The plane of the usable cells: their mean normal, made unit [degrees] (the horizon band's term).
    svf : (F,) float32
        Mean sky-view factor of the usable cells.
    band_seen : (F,) float32
        Mean fraction of the Perez horizon band seen (1 for a face that faces no direction, e.g. flat).
    cells : (F,) int64
        Usable cells with a horizon code.
    counts : (F, N, M + 1) int32, optional
        ``N_j``: the cells below knot ``j`` (their share ``N_j / N_M``, the lit fraction at the knot). Default:
        ``j`` (shares ``j / M``: uniform levels, for profiles made by hand).
    """

    faces: np.ndarray
    directions: np.ndarray
    quantiles: np.ndarray
    cumulative: np.ndarray
    tilt: np.ndarray
    azimuth: np.ndarray
    svf: np.ndarray
    band_seen: np.ndarray
    cells: np.ndarray
    counts: np.ndarray | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "faces", _ids(self.faces))
        set_(self, "directions", np.asarray(self.directions, np.float64))
        set_(self, "quantiles", np.asarray(self.quantiles, np.float32))
        set_(self, "cumulative", np.asarray(self.cumulative, np.float32))
        for name in ("tilt", "azimuth", "svf", "band_seen"):
            set_(self, name, np.asarray(getattr(self, name), np.float32))
        set_(self, "cells", np.asarray(self.cells, np.int64))
        q = self.quantiles
        if self.counts is None and q.ndim == 3:
            set_(self, "counts", np.ascontiguousarray(np.broadcast_to(np.arange(q.shape[2], dtype=np.int32), q.shape)))
        set_(self, "counts", np.asarray(self.counts, np.int32))
        n_f, n_d = self.faces.size, self.directions.size
        if q.ndim != 3 or q.shape[:2] != (n_f, n_d) or self.cumulative.shape != (*q.shape, 3) or (
                self.counts.shape != q.shape) or any(getattr(self, a).shape != (n_f,) for a in _FIELDS):
            raise ValueError(f"FaceProfiles: {n_f} faces and {n_d} directions, but quantiles {q.shape}, counts "
                             f"{self.counts.shape} and cumulative {self.cumulative.shape}; per-face arrays need ({n_f},)")

    def __len__(self) -> int:
        return int(self.faces.size)

    @property
    def levels(self) -> int:
        """M: at most M + 1 knots per direction."""
        return self.quantiles.shape[2] - 1

    @property
    def shares(self) -> np.ndarray:
        """(F, N, M + 1) float64: the share of the cells below each knot, ``N_j / N_M`` (0 without cells)."""
        top = self.counts[..., -1:].astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(top > 0, self.counts / top, 0.0)

    def select(self, faces: Iterable) -> FaceProfiles:
        """The profiles of ``faces`` (ids), in their order; KeyError naming the first id without a profile."""
        wanted = list(faces)
        index = pd.Index(self.faces)
        at = index.get_indexer(pd.Index(wanted, dtype=object if self.faces.dtype == object else None))
        if (at < 0).any():
            raise KeyError(f"face {wanted[int(np.flatnonzero(at < 0)[0])]!r} has no profile")
        return self._take(at)

    def _take(self, at: np.ndarray) -> FaceProfiles:
        return FaceProfiles(faces=self.faces[at], directions=self.directions, quantiles=self.quantiles[at],
                            cumulative=self.cumulative[at], tilt=self.tilt[at], azimuth=self.azimuth[at],
                            svf=self.svf[at], band_seen=self.band_seen[at], cells=self.cells[at], counts=self.counts[at])

    @classmethod
    def concat(cls, parts: Sequence[FaceProfiles]) -> FaceProfiles:
        """The profiles of several sets (e.g. tiles) one after the other.

        ValueError if they differ in directions or levels, mix integer and string ids, or repeat an id.
        """
        parts = list(parts)
        if not parts:
            raise ValueError("FaceProfiles.concat: nothing to concatenate")
        first = parts[0]
        for p in parts[1:]:
            if not np.array_equal(p.directions, first.directions) or p.levels != first.levels:
                raise ValueError("FaceProfiles.concat: the parts differ in directions or levels")
        kinds = {p.faces.dtype == object for p in parts if len(p)}
        if len(kinds) > 1:
            raise ValueError("face ids: give integers or strings, not a mix of both")
        faces = np.concatenate([p.faces for p in parts])
        if kinds == {True}:
            faces = faces.astype(object)
        return cls(faces=faces, directions=first.directions,
                   **{name: np.concatenate([getattr(p, name) for p in parts]) for name in (
                       "quantiles", "cumulative", "tilt", "azimuth", "svf", "band_seen", "cells", "counts")})

    def as_stored(self) -> FaceProfiles:
        """These profiles as their file holds them (:func:`write_profiles` then :func:`read_profiles`), computed in
        memory: :func:`decode` of :func:`encode` (the cumulative normals in the file's steps, the per-face values in
        the file's dtypes)."""
        return decode(encode(self), self.faces, self.directions, self.levels)

    def frame(self) -> pd.DataFrame:
        """The file's table (see the module docstring); the knot columns hold numpy arrays."""
        return _arrow_table(self).to_pandas()


@dataclasses.dataclass(frozen=True)
class Encoded:
    """Profiles as the file codes them (:func:`encode`): one row per face and direction, knots as increments.

    ``lengths`` (F x N,) knots kept per row (0 without cells); ``knots``: per column of :data:`KNOT_COLUMNS`, the
    increments of all rows one after the other (int64); ``per_face``: per column of :data:`FACE_COLUMNS`, (F,)."""

    lengths: np.ndarray
    knots: dict
    per_face: dict


def _mean_normal(profiles: FaceProfiles) -> np.ndarray:
    """(F, 3) float32: each face's last cumulative normal in the direction with the most cells (the first of ties)."""
    best = np.argmax(profiles.counts[:, :, -1], axis=1) if profiles.directions.size else np.zeros(len(profiles), int)
    return profiles.cumulative[np.arange(len(profiles)), best, -1].reshape(-1, 3).astype(np.float32)


def _along(directions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """East and north components of the unit horizontal vector of each direction."""
    phi = np.radians(directions)
    return np.sin(phi), np.cos(phi)


def encode(profiles: FaceProfiles) -> Encoded:
    """The integers and per-face values the file stores.

    Per face and direction: the knots up to the first that equals the last (the rest repeat it); the codes
    ``rint(x / step)``; the counts; and ``a_j``, ``u_j``: the departure ``D_j = V_j - (N_j / N_M) V`` of the
    cumulative normal from the share times the face's mean normal ``V`` (:func:`_mean_normal`; float32, stored
    ``ne``, ``nn``, ``nu``) along the direction (horizontal) and up, ``rint(NORMAL_SCALE D)``. The part of ``D``
    across the direction is dropped: a sun in the sector lies within half a sector of its axis. A plane's cells
    share one normal: ``D = 0``, the profile exact.
    """
    n_f, n_d, n_l = profiles.quantiles.shape
    q = profiles.quantiles.reshape(n_f * n_d, n_l)
    counts = profiles.counts.reshape(n_f * n_d, n_l).astype(np.int64)
    empty = np.isnan(q[:, 0])
    codes = np.where(np.isnan(q), 0, np.rint(q / HORIZON_CODE_STEP)).astype(np.int64)
    same = (codes == codes[:, -1:]) & (counts == counts[:, -1:])
    lengths = np.where(empty, 0, n_l - np.cumprod(same[:, ::-1], axis=1).sum(axis=1) + 1)
    normal = _mean_normal(profiles)
    top = counts[:, -1:].astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(top > 0, counts / top, 0.0)
    v = profiles.cumulative.reshape(n_f * n_d, n_l, 3).astype(np.float64)
    departure = v - share[:, :, None] * np.repeat(normal, n_d, axis=0)[:, None, :].astype(np.float64)
    east, north = _along(profiles.directions)
    along = departure[:, :, 0] * np.tile(east, n_f)[:, None] + departure[:, :, 1] * np.tile(north, n_f)[:, None]
    kept = np.arange(n_l)[None, :] < lengths[:, None]

    def steps(values: np.ndarray) -> np.ndarray:
        return np.diff(values, axis=1, prepend=0)[kept]

    knots = {"h": steps(codes), "n": steps(counts), "va": steps(np.rint(along * NORMAL_SCALE).astype(np.int64)),
             "vu": steps(np.rint(departure[:, :, 2] * NORMAL_SCALE).astype(np.int64))}
    per_face = {name: np.asarray(getattr(profiles, name)).astype(FACE_COLUMNS[name]) for name in _FIELDS}
    per_face.update({name: normal[:, c] for c, name in enumerate(("ne", "nn", "nu"))})
    return Encoded(lengths=lengths.astype(np.int64), knots=knots, per_face=per_face)


def decode(encoded: Encoded, faces, directions: np.ndarray, levels: int) -> FaceProfiles:
    """The profiles of :func:`encode`'s integers (F faces, N directions, ``levels`` = M): the inverse of
    :func:`encode` up to the normals' steps, the knots after the stored ones repeating the last."""
    directions = np.asarray(directions, np.float64)
    n_f, n_d, n_l = len(faces), directions.size, levels + 1
    lengths = encoded.lengths
    rows = np.repeat(np.arange(lengths.size), lengths)
    cols = np.arange(rows.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)

    def running(name: str) -> np.ndarray:
        out = np.zeros((lengths.size, n_l), np.int64)
        out[rows, cols] = encoded.knots[name]
        return np.cumsum(out, axis=1)

    codes, counts = running("h"), running("n")
    empty = lengths == 0
    quantiles = np.where(empty[:, None], np.nan, codes * HORIZON_CODE_STEP).astype(np.float32)
    normal = np.column_stack([np.asarray(encoded.per_face[name], np.float32) for name in ("ne", "nn", "nu")])
    top = counts[:, -1:].astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(top > 0, counts / top, 0.0)
    along, up = running("va") / NORMAL_SCALE, running("vu") / NORMAL_SCALE
    east, north = _along(directions)
    cumulative = share[:, :, None] * np.repeat(normal, n_d, axis=0)[:, None, :].astype(np.float64)
    cumulative[:, :, 0] += along * np.tile(east, n_f)[:, None]
    cumulative[:, :, 1] += along * np.tile(north, n_f)[:, None]
    cumulative[:, :, 2] += up
    cumulative[empty] = 0.0
    return FaceProfiles(faces=faces, directions=directions, quantiles=quantiles.reshape(n_f, n_d, n_l),
                        cumulative=cumulative.astype(np.float32).reshape(n_f, n_d, n_l, 3),
                        counts=counts.astype(np.int32).reshape(n_f, n_d, n_l),
                        **{name: np.asarray(encoded.per_face[name]).astype(FACE_COLUMNS[name]) for name in _FIELDS})


def _arrow_table(profiles: FaceProfiles):
    """The file's table as a pyarrow Table (see the module docstring)."""
    import pyarrow as pa

    n_f, n_d = len(profiles), profiles.directions.size
    encoded = encode(profiles)
    faces = (pa.array(np.repeat(profiles.faces, n_d).tolist(), pa.string()) if profiles.faces.dtype == object
             else pa.array(np.repeat(profiles.faces, n_d), pa.int64()))
    offsets = pa.array(np.r_[0, np.cumsum(encoded.lengths)].astype(np.int32))
    columns = {"face": faces, "direction": pa.array(np.tile(profiles.directions, n_f), pa.float64())}
    for name, dtype in KNOT_COLUMNS.items():
        columns[name] = pa.ListArray.from_arrays(offsets, pa.array(encoded.knots[name].astype(dtype)))
    for name, dtype in FACE_COLUMNS.items():
        columns[name] = pa.array(np.repeat(encoded.per_face[name], n_d).astype(dtype))
    return pa.table(columns)


def face_profiles(irradiance: xr.Dataset, labels: np.ndarray, usable: np.ndarray, table: pd.DataFrame,
                  levels: int = PROFILE_LEVELS, *, ids=None, tolerance: float = PROFILE_TOLERANCE) -> FaceProfiles:
    """Shading profile, mean sky-view factor and band seen of every face of ``table``.

    Parameters
    ----------
    irradiance : xarray.Dataset
        With ``horizon`` (codes, ``irradiance(..., horizons=True)``: on the grid, or the compact form of
        ``cells=``, whose unlisted cells count as without code), ``svf``, ``slope`` and ``aspect``, on the grid
        of ``labels``.
    labels, usable : 2-D arrays
        Face number of each cell and the usable cells (:func:`cadastre.roofs.faces.faces` with ``with_usable=True``).
    table : pandas.DataFrame
        The faces (``face``: their numbers in ``labels``): one profile per row, in its order.
    levels : int
        M: at most M + 1 knots per direction.
    ids : sequence, optional
        The ids to give the faces (one per row of ``table``, ints or strings); default ``table["face"]``.
    tolerance : float
        :data:`PROFILE_TOLERANCE`.

    Notes
    -----
    Cells count equally (``usable_irradiation`` weighs a face's cells by one common area). The band
    seen is the raster kernel's: per direction the face faces (``n . d > 0``, with the usable cells'
    mean normal), the mean over its cells of ``1 - min(h, band) / band`` (on those directions the
    effective horizon is the terrain one), weighted by ``n . d``. Work: one pass over the usable
    cells per direction; memory: their codes (one byte per cell and direction).
    """
    if "horizon" not in irradiance:
        raise ValueError("irradiance: no 'horizon' variable; compute it with irradiance(..., horizons=True)")
    codes = irradiance["horizon"]
    directions = np.asarray(codes["direction"].values, np.float64)
    face_no = np.asarray(table["face"].to_numpy(), np.int64)
    nb = int(max(face_no.max(initial=0), labels.max(initial=0))) + 1
    position = np.full(nb, -1, np.int64)
    position[face_no] = np.arange(face_no.size)
    rows, cols = np.nonzero(usable & (labels > 0))
    pos = position[labels[rows, cols]]
    keep = pos >= 0
    rows, cols, pos = rows[keep], cols[keep], pos[keep]
    order = np.argsort(pos, kind="stable")
    rows, cols, pos = rows[order], cols[order], pos[order]
    cell_codes = _codes_of(codes, rows, cols, labels.shape[1])  # (cells, directions)
    starts = np.searchsorted(pos, np.arange(face_no.size + 1)).astype(np.int64)
    quantiles = np.empty((face_no.size, directions.size, levels + 1), np.float32)
    seen = np.empty((face_no.size, directions.size), np.float32)
    cumulative = np.empty((*quantiles.shape, 3), np.float32)
    below = np.empty(quantiles.shape, np.int32)
    face_quantiles(cell_codes, _cell_normals(irradiance, rows, cols), starts, int(levels), float(tolerance),
                   float(HORIZON_BAND_WIDTH), quantiles, below, seen, cumulative)
    svf_cells = np.asarray(irradiance["svf"].values[rows, cols], np.float64)
    ok = np.isfinite(svf_cells)
    counts = np.bincount(pos[ok], minlength=face_no.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        svf = np.bincount(pos[ok], weights=svf_cells[ok], minlength=face_no.size) / counts
    tilt, azimuth = _mean_plane(irradiance, rows, cols, pos, face_no.size)
    band = band_seen_of(seen, directions, tilt, azimuth)
    return FaceProfiles(faces=face_no if ids is None else ids, directions=directions, quantiles=quantiles,
                        cumulative=cumulative, counts=below, tilt=tilt, azimuth=azimuth, svf=svf, band_seen=band,
                        cells=np.diff(starts))


def _codes_of(codes: xr.DataArray, rows: np.ndarray, cols: np.ndarray, width: int) -> np.ndarray:
    """(cells, directions) uint8 codes of the cells ``rows, cols`` from either form of ``horizon``."""
    if "cell" not in codes.dims:
        return np.ascontiguousarray(codes.transpose("direction", "y", "x").values[:, rows, cols].T)
    values = codes.transpose("cell", "direction").values
    listed = codes["cell_row"].values.astype(np.int64) * width + codes["cell_col"].values.astype(np.int64)
    sort = np.argsort(listed, kind="stable")
    wanted = rows.astype(np.int64) * width + cols
    at = np.minimum(np.searchsorted(listed, wanted, sorter=sort), max(listed.size - 1, 0))
    found = sort[at] if listed.size else at
    ok = listed[found] == wanted if listed.size else np.zeros(wanted.size, bool)
    out = np.full((wanted.size, values.shape[1]), NO_CODE, np.uint8)
    out[ok] = values[found[ok]]
    return out


def _cell_normals(irradiance: xr.Dataset, rows, cols) -> np.ndarray:
    """(cells, 3) unit normals (east, north, up) of the listed cells, from ``slope`` and ``aspect``; 0 where NaN."""
    s = np.radians(np.asarray(irradiance["slope"].values[rows, cols], np.float64))
    a = np.radians(np.asarray(irradiance["aspect"].values[rows, cols], np.float64))
    horizontal = np.sin(s)
    with np.errstate(invalid="ignore"):
        out = np.column_stack([np.where(horizontal == 0, 0.0, horizontal * np.sin(a)),
                               np.where(horizontal == 0, 0.0, horizontal * np.cos(a)), np.cos(s)])
    return np.ascontiguousarray(np.nan_to_num(out))


def _mean_plane(irradiance: xr.Dataset, rows, cols, pos, n_faces) -> tuple[np.ndarray, np.ndarray]:
    """Tilt and azimuth [degrees] of the summed normals (from ``slope``, ``aspect``) of each face's listed cells."""
    s = np.radians(np.asarray(irradiance["slope"].values[rows, cols], np.float64))
    a = np.radians(np.asarray(irradiance["aspect"].values[rows, cols], np.float64))
    ok = np.isfinite(s) & np.isfinite(a)
    sums = [np.bincount(pos[ok], weights=v[ok], minlength=n_faces)
            for v in (np.sin(s) * np.sin(a), np.sin(s) * np.cos(a), np.cos(s))]
    norm = np.sqrt(sums[0] ** 2 + sums[1] ** 2 + sums[2] ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        tilt = np.degrees(np.arccos(np.clip(sums[2] / norm, -1.0, 1.0)))
    azimuth = np.degrees(np.arctan2(sums[0], sums[1])) % 360.0
    return tilt, np.where(np.isfinite(tilt), azimuth, np.nan)


def band_seen_of(seen: np.ndarray, directions: np.ndarray, tilt: np.ndarray, azimuth: np.ndarray) -> np.ndarray:
    """Facing-weighted mean of ``seen`` (faces x directions) over the directions each face faces.

    Weights ``n . d = sin(tilt) cos(direction - azimuth)`` where positive [degrees in]; 1 for a face
    facing none (flat), NaN where ``seen`` is NaN on a facing direction (no usable cell).
    """
    nd = np.sin(np.radians(tilt))[:, None] * np.cos(np.radians(directions[None, :] - np.nan_to_num(azimuth)[:, None]))
    w = np.where(nd > 0, nd, 0.0)
    total = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = (w * seen).sum(axis=1) / total
    empty = np.isnan(seen).all(axis=1)
    return np.where(empty, np.nan, np.where(total > 0, value, 1.0))


def lit_fraction(q, elevation, shares=None) -> np.ndarray:
    """Fraction of a face's usable cells whose horizon lies below a sun at ``elevation`` [degrees].

    ``q``: knots, shape ``(..., M + 1)`` [degrees]; ``shares``: the share of the cells below each knot
    (:attr:`FaceProfiles.shares`, same shape; default ``j / M``, uniform levels); ``elevation`` broadcasts
    against ``q[..., 0]``. 0 at or below ``q_0``, 1 above ``q_M``, linear between consecutive distinct knots;
    with tied knots ``q_k = ... = q_m`` (a step) the fraction just above them is the share of ``m``. NaN where
    ``q`` is NaN. Exact when the knots are those of the staircase (no more than M / 2 distinct codes).
    """
    q = np.asarray(q, np.float64)
    e = np.asarray(elevation, np.float64)
    levels = np.linspace(0.0, 1.0, q.shape[-1]) if shares is None else np.asarray(shares, np.float64)
    shape = np.broadcast_shapes(q.shape[:-1], e.shape, levels.shape[:-1])
    qq = np.ascontiguousarray(np.broadcast_to(q, (*shape, q.shape[-1])).reshape(-1, q.shape[-1]))
    ss = np.ascontiguousarray(np.broadcast_to(levels, (*shape, q.shape[-1])).reshape(-1, q.shape[-1]))
    ee = np.ascontiguousarray(np.broadcast_to(e, shape).reshape(-1))
    out = np.empty(ee.size)
    lit_fractions(qq, ss, ee, out)
    return out.reshape(shape)


def write_profiles(path: str | os.PathLike, profiles: FaceProfiles) -> Path:
    """Write ``profiles`` to one Parquet file (zstd), atomically; return the path.

    Rows in the order of the faces, then of the directions.
    """
    import pyarrow.parquet as pq

    path = Path(path)
    with atomic_path(path, ".parquet") as tmp:
        pq.write_table(_arrow_table(profiles), tmp, compression="zstd")
    return path


def write_profile_parts(path: str | os.PathLike, parts: Sequence[str | os.PathLike]) -> Path:
    """Write the profiles of several files (a run's tiles) as one file, part after part; return the path.

    Each part is read and checked by :func:`read_profiles`, then appended as its own row group: the
    memory is that of one part, whatever the number of parts. The parts must share their directions,
    levels and kind of face id (ValueError naming the part otherwise); parts without faces are skipped
    unless all are.
    """
    import pyarrow.parquet as pq

    path = Path(path)
    writer, reference, first = None, None, None
    with atomic_path(path, ".parquet") as tmp:
        try:
            for part in parts:
                profiles = read_profiles(part)
                if first is None:
                    first = profiles
                if not len(profiles):
                    continue
                kind = (tuple(profiles.directions.tolist()), profiles.levels, profiles.faces.dtype.kind)
                if reference is None:
                    reference = kind
                elif kind != reference:
                    raise ValueError(f"{part}: its directions, levels or kind of face id differ from the parts before")
                table = _arrow_table(profiles)
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
                writer.write_table(table.cast(writer.schema))
        finally:
            if writer is not None:
                writer.close()
        if writer is None:
            if first is None:
                raise ValueError("parts: none given")
            pq.write_table(_arrow_table(first), tmp, compression="zstd")
    return path


def row_groups_read(path: str | os.PathLike, faces: Iterable) -> list[int]:
    """The row groups of the profile file ``path`` that may hold one of ``faces`` (by the min and max of their
    ``face`` column; a row group without statistics may hold any)."""
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    column = meta.schema.names.index("face") if "face" in meta.schema.names else None
    wanted = sorted({str(f) for f in faces} if meta.num_row_groups and column is not None and meta.schema.column(
        column).physical_type == "BYTE_ARRAY" else {int(f) for f in faces})
    out = []
    for g in range(meta.num_row_groups):
        stats = meta.row_group(g).column(column).statistics if column is not None else None
        if stats is None or not stats.has_min_max:
            out.append(g)
            continue
        at = bisect.bisect_left(wanted, stats.min)
        if at < len(wanted) and wanted[at] <= stats.max:
            out.append(g)
    return out


def _rows_of(path: str | os.PathLike, faces: Iterable):
    """The rows (a pyarrow Table) of the profile file ``path`` of the faces ``faces``, read from the row groups
    that may hold them."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    faces = list(faces)
    file = pq.ParquetFile(path)
    if "face" not in file.schema_arrow.names:  # read_profiles names the missing column
        return file.schema_arrow.empty_table()
    groups = row_groups_read(path, faces)
    table = file.read_row_groups(groups) if groups else file.schema_arrow.empty_table()
    text = pa.types.is_string(table.schema.field("face").type) or pa.types.is_large_string(
        table.schema.field("face").type)
    wanted = sorted({str(f) for f in faces}) if text else sorted({int(f) for f in faces})
    return table.filter(pc.is_in(table.column("face"), value_set=pa.array(wanted, table.schema.field("face").type)))




def _type_name(arrow_type) -> str:
    """A column's type as the checks name it: the numpy dtype, or ``list of <dtype>``."""
    import pyarrow as pa

    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return f"list of {_type_name(arrow_type.value_type)}"
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "string"
    try:
        return str(np.dtype(arrow_type.to_pandas_dtype()))
    except (NotImplementedError, TypeError):
        return str(arrow_type)


#: Valid range of each per-face column of the file (closed bounds).
FACE_RANGES = {"tilt": (0.0, 90.0), "azimuth": (0.0, 360.0), "svf": (0.0, 1.0), "band_seen": (0.0, 1.0),
               "ne": (-1.0, 1.0), "nn": (-1.0, 1.0), "nu": (-1.0, 1.0)}


def _name(face) -> str:
    """A face id as in the file: ``'12-3'`` or ``7`` (not ``np.int64(7)``)."""
    return repr(face.item() if isinstance(face, np.generic) else face)


def _check_ranges(path: Path, directions: np.ndarray, per_face: dict, ids: np.ndarray, hint: str) -> None:
    """Refuse values no engine writes: directions not increasing within [0, 360), per-face values out of
    :data:`FACE_RANGES` or not finite (NaN allowed on a face without cells), negative ``cells``."""
    if not (np.isfinite(directions).all() and (directions >= 0).all() and (directions < 360).all()
            and (np.diff(directions) > 0).all()):
        raise InputFileError(f"{path}: column 'direction': directions must increase within [0, 360) degrees; {hint}")
    cells = per_face["cells"]
    if (cells < 0).any():
        raise InputFileError(f"{path}: column 'cells': negative count on face {_name(ids[int(np.argmax(cells < 0))])}; "
                             f"{hint}")
    for name, (low, high) in FACE_RANGES.items():
        values = per_face[name].astype(np.float64)
        with np.errstate(invalid="ignore"):
            bad = ~((values >= low) & (values <= high)) & ~(np.isnan(values) & (cells == 0))
        if bad.any():
            first = int(np.argmax(bad))
            raise InputFileError(f"{path}: column {name!r}: {values[first]:g} on face {_name(ids[first])}, outside "
                                 f"[{low:g}, {high:g}]; {hint}")


def read_profiles(path: str | os.PathLike, *, faces: Iterable | None = None) -> FaceProfiles:
    """The profiles of a file of :func:`write_profiles`.

    ``faces``: read only these face ids (those the file holds, in the file's order; :meth:`FaceProfiles.select`
    then orders them and names a missing one): only the row groups whose ``face`` statistics may hold one of
    them are read (:func:`_rows_of`), so that reading one tile of a run's merged file (a row group per tile)
    costs the memory of that tile.

    Raises
    ------
    InputFileError
        One line naming the file: missing or unreadable, a column missing or of another type, a face
        without one row per direction (the same directions for all), a per-face column that varies within
        a face, a repeated face, knot lists of unequal lengths in a row or longer than M + 1, decreasing
        counts or codes beyond 90°, directions not increasing within [0, 360), per-face values out of
        :data:`FACE_RANGES` or negative ``cells``.
    """
    import pyarrow.parquet as pq

    path = Path(path)
    try:
        table = pq.read_table(path) if faces is None else _rows_of(path, faces)
    except FileNotFoundError:
        raise InputFileError(f"{path}: file not found; give a profile file written by write_profiles") from None
    except Exception as exc:  # noqa: BLE001 (pyarrow raises many kinds on a bad file)
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputFileError(f"{path}: not a readable Parquet file ({first}); give a profile file") from None
    hint = "write the file with write_profiles"
    names = table.column_names
    if "face" not in names:
        raise InputFileError(f"{path}: column 'face' is missing; {hint}")
    face_type = _type_name(table.schema.field("face").type)
    if face_type not in ("int64", "string"):
        raise InputFileError(f"{path}: column 'face' is {face_type}, expected int64 or strings; {hint}")
    expected = {"direction": "float64", **{name: f"list of {dtype}" for name, dtype in KNOT_COLUMNS.items()},
                **FACE_COLUMNS}
    for name, dtype in expected.items():
        if name not in names:
            raise InputFileError(f"{path}: column {name!r} is missing; {hint}")
        got = _type_name(table.schema.field(name).type)
        if got != dtype:
            raise InputFileError(f"{path}: column {name!r} is {got}, expected {dtype}; {hint}")
    if table.column("face").null_count:
        raise InputFileError(f"{path}: column 'face' has empty values; {hint}")
    if not table.num_rows:  # a tile whose buildings have no roof face
        levels = PROFILE_LEVELS + 1
        return FaceProfiles(faces=np.empty(0, np.int64 if face_type == "int64" else object),
                            directions=np.empty(0), quantiles=np.empty((0, 0, levels), np.float32),
                            cumulative=np.empty((0, 0, levels, 3), np.float32),
                            **{name: np.empty(0, FACE_COLUMNS[name]) for name in _FIELDS})
    face = table.column("face").to_numpy()
    ids = face.astype(np.int64) if face_type == "int64" else np.array(face.tolist(), object)
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    n_f = starts.size
    n_d = table.num_rows // max(n_f, 1)
    directions = table.column("direction").to_numpy().astype(np.float64)
    if n_f == 0 or n_f * n_d != table.num_rows or (np.diff(starts) != n_d).any() or not np.array_equal(
            directions.reshape(n_f, n_d), np.broadcast_to(directions[:n_d], (n_f, n_d))):
        raise InputFileError(f"{path}: column 'direction': every face needs one row per direction, the same "
                             f"directions for all, rows grouped by face; {hint}")
    per_face = {}
    for name in FACE_COLUMNS:
        values = table.column(name).to_numpy().reshape(n_f, n_d)
        same = (values == values[:, :1]) | (np.isnan(values) & np.isnan(values[:, :1]) if values.dtype.kind == "f"
                                            else False)
        if not same.all():
            bad = ids[starts[int(np.flatnonzero(~same.all(axis=1))[0])]]
            raise InputFileError(f"{path}: column {name!r} varies within face {bad!r}; {hint}")
        per_face[name] = values[:, 0]
    if not pd.Index(ids[starts]).is_unique:
        raise InputFileError(f"{path}: column 'face': a face appears in two groups of rows; {hint}")
    _check_ranges(path, directions[:n_d], per_face, ids[starts], hint)
    encoded = Encoded(lengths=np.empty(0, np.int64), knots={}, per_face=per_face)
    for name in KNOT_COLUMNS:
        column = table.column(name).combine_chunks()
        lengths = np.nan_to_num(column.value_lengths().to_numpy(zero_copy_only=False)).astype(np.int64)
        if not encoded.knots:
            object.__setattr__(encoded, "lengths", lengths)
        elif not np.array_equal(lengths, encoded.lengths):
            raise InputFileError(f"{path}: column {name!r}: its lists differ in length from those of 'h'; {hint}")
        if lengths.max(initial=0) > PROFILE_LEVELS + 1:
            raise InputFileError(f"{path}: column {name!r}: more than {PROFILE_LEVELS + 1} knots in a row; {hint}")
        encoded.knots[name] = column.flatten().to_numpy().astype(np.int64)
    rows = np.repeat(np.arange(encoded.lengths.size), encoded.lengths)
    if (encoded.knots["n"] < 0).any() or (np.bincount(rows, encoded.knots["h"], encoded.lengths.size) > N_CODES - 1).any():
        raise InputFileError(f"{path}: column 'n' or 'h': decreasing counts or horizons beyond 90°; {hint}")
    return decode(encoded, ids[starts], directions[:n_d], PROFILE_LEVELS)
