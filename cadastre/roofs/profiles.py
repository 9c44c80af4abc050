"""Shading profiles of roof faces: a weather-independent summary of their horizons (``docs/method.md``).

For each face and horizon direction, the profile holds the ``K + 1``
quantiles (levels ``0, 1/K, ..., 1``, ``K =`` :data:`PROFILE_LEVELS`) of the
effective horizon elevation of the face's usable cells (the horizon codes of
:func:`cadastre.solar.irradiance.irradiance` with ``horizons=True``, steps of
0.5°), and at each level the *cumulative normal*: the sum of the normals of
the cells up to that level, in increasing order of horizon, divided by the
face's cell count. With the face's mean sky-view factor and mean fraction of
the Perez horizon band seen, it is all :mod:`cadastre.solar.hourly` needs to
give the shaded irradiance of the face at any hour of any weather year.

:class:`FaceProfiles` holds the profiles of a set of faces, named by integer
or string ids (a run names faces by tile and number, e.g. ``"0_0-12"``);
:meth:`FaceProfiles.select` and :meth:`FaceProfiles.concat` pick and merge
them (tiles). :func:`write_profiles` stores them as one Parquet file (zstd):
one row per face and direction (``face``, ``direction`` [degrees], ``h00`` ...
``h16`` [degrees, float32], the cumulative normals ``ve01`` ... ``vu16``
[int16, in units of 1/32767]), the per-face values (``tilt``, ``azimuth``,
``svf``, ``band_seen``, ``cells``) repeated on each row of their face
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
from kernels.profile import HORIZON_CODE_STEP, NO_CODE, face_quantiles, lit_fractions
from rasters.io import atomic_path

PROFILE_LEVELS = 16
"""K: a profile holds the quantiles at levels k / K, k = 0..K."""
LEVEL_COLUMNS = tuple(f"h{k:02d}" for k in range(PROFILE_LEVELS + 1))
"""Columns of the quantiles in the file. [degrees]"""
NORMAL_COLUMNS = tuple(f"v{c}{k:02d}" for c in "enu" for k in range(1, PROFILE_LEVELS + 1))
"""Columns of the cumulative normals (east, north, up) at levels 1..K in the file (level 0 is 0)."""
NORMAL_SCALE = 32767.0
"""The file stores ``round(V * NORMAL_SCALE)`` as int16 (``|V| <= 1``)."""
FACE_COLUMNS = {"tilt": "float32", "azimuth": "float32", "svf": "float32", "band_seen": "float32", "cells": "int64"}
"""Per-face columns of the file, repeated on each row of their face, and their dtypes."""

__all__ = [
    "FACE_COLUMNS", "HORIZON_CODE_STEP", "LEVEL_COLUMNS", "NORMAL_COLUMNS", "NORMAL_SCALE", "PROFILE_LEVELS",
    "FaceProfiles", "face_profiles", "lit_fraction", "read_profiles", "write_profiles",
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
    """Shading profiles of faces (F faces, N directions, K + 1 levels).

    Attributes
    ----------
    faces : (F,) int64 or object (str)
        Face ids, unique.
    directions : (N,) float64
        Horizon azimuths, clockwise from north. [degrees]
    quantiles : (F, N, K + 1) float32
        Effective-horizon quantiles of the usable cells [degrees]; NaN for a face without usable cells.
    cumulative : (F, N, K + 1, 3) float32
        ``V_k``: the sum of the unit normals (east, north, up) of the first ``round(k n / K)`` of the
        face's ``n`` cells in increasing order of effective horizon, divided by ``n`` (``V_0 = 0``,
        ``V_K`` the mean normal). 0 for a face without usable cells.
    tilt, azimuth : (F,) float32
        The plane of the usable cells: their mean normal, made unit [degrees] (the horizon band's term).
    svf : (F,) float32
        Mean sky-view factor of the usable cells.
    band_seen : (F,) float32
        Mean fraction of the Perez horizon band seen (1 for a face that faces no direction, e.g. flat).
    cells : (F,) int64
        Usable cells with a horizon code.
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

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "faces", _ids(self.faces))
        set_(self, "directions", np.asarray(self.directions, np.float64))
        set_(self, "quantiles", np.asarray(self.quantiles, np.float32))
        set_(self, "cumulative", np.asarray(self.cumulative, np.float32))
        for name in ("tilt", "azimuth", "svf", "band_seen"):
            set_(self, name, np.asarray(getattr(self, name), np.float32))
        set_(self, "cells", np.asarray(self.cells, np.int64))
        n_f, n_d = self.faces.size, self.directions.size
        q = self.quantiles
        if q.ndim != 3 or q.shape[:2] != (n_f, n_d) or self.cumulative.shape != (*q.shape, 3) or any(
                getattr(self, a).shape != (n_f,) for a in ("tilt", "azimuth", "svf", "band_seen", "cells")):
            raise ValueError(f"FaceProfiles: {n_f} faces and {n_d} directions, but quantiles {q.shape} and "
                             f"cumulative {self.cumulative.shape}; per-face arrays need ({n_f},)")

    def __len__(self) -> int:
        return int(self.faces.size)

    @property
    def levels(self) -> int:
        """K."""
        return self.quantiles.shape[2] - 1

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
                            svf=self.svf[at], band_seen=self.band_seen[at], cells=self.cells[at])

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
                       "quantiles", "cumulative", "tilt", "azimuth", "svf", "band_seen", "cells")})

    def as_stored(self) -> FaceProfiles:
        """These profiles as their file holds them (:meth:`frame` then :func:`read_profiles`), computed in
        memory: the cumulative normals rounded to the file's int16 steps, the per-face values in the file's dtypes."""
        cumulative = _coded_normals(self.cumulative).astype(np.float32) / NORMAL_SCALE
        cumulative[:, :, 0] = 0.0  # level 0 is not stored: 0
        return dataclasses.replace(
            self, directions=np.asarray(self.directions, np.float64), quantiles=self.quantiles.astype(np.float32),
            cumulative=cumulative, **{name: getattr(self, name).astype(dtype) for name, dtype in FACE_COLUMNS.items()})

    def frame(self) -> pd.DataFrame:
        """The file's table: one row per face and direction (see the module docstring)."""
        n_f, n_d, n_l = self.quantiles.shape
        faces = pd.Series(np.repeat(self.faces, n_d), dtype="int64" if self.faces.dtype != object else "str")
        table = pd.DataFrame({"face": faces, "direction": np.tile(self.directions, n_f)})
        flat = self.quantiles.reshape(n_f * n_d, n_l)
        for k, name in enumerate(LEVEL_COLUMNS[:n_l]):
            table[name] = flat[:, k]
        v = self.cumulative.reshape(n_f * n_d, n_l, 3)
        coded = _coded_normals(v)
        for c, comp in enumerate("enu"):
            for k in range(1, n_l):
                table[f"v{comp}{k:02d}"] = coded[:, k, c]
        for name, dtype in FACE_COLUMNS.items():
            table[name] = np.repeat(getattr(self, name), n_d).astype(dtype)
        return table


def _coded_normals(v: np.ndarray) -> np.ndarray:
    """Cumulative normals as the file stores them: ``round(V * NORMAL_SCALE)``, int16."""
    return np.rint(np.clip(v, -1.0, 1.0) * NORMAL_SCALE).astype(np.int16)


def face_profiles(irradiance: xr.Dataset, labels: np.ndarray, usable: np.ndarray, table: pd.DataFrame,
                  levels: int = PROFILE_LEVELS, *, ids=None) -> FaceProfiles:
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
        K.
    ids : sequence, optional
        The ids to give the faces (one per row of ``table``, ints or strings); default ``table["face"]``.

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
    face_quantiles(cell_codes, _cell_normals(irradiance, rows, cols), starts, int(levels), float(HORIZON_BAND_WIDTH),
                   quantiles, seen, cumulative)
    svf_cells = np.asarray(irradiance["svf"].values[rows, cols], np.float64)
    ok = np.isfinite(svf_cells)
    counts = np.bincount(pos[ok], minlength=face_no.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        svf = np.bincount(pos[ok], weights=svf_cells[ok], minlength=face_no.size) / counts
    tilt, azimuth = _mean_plane(irradiance, rows, cols, pos, face_no.size)
    band = band_seen_of(seen, directions, tilt, azimuth)
    return FaceProfiles(faces=face_no if ids is None else ids, directions=directions, quantiles=quantiles,
                        cumulative=cumulative, tilt=tilt, azimuth=azimuth, svf=svf, band_seen=band,
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


def lit_fraction(q, elevation) -> np.ndarray:
    """Fraction of a face's usable cells whose horizon lies below a sun at ``elevation`` [degrees].

    ``q``: quantiles, shape ``(..., K + 1)`` [degrees]; ``elevation`` broadcasts against ``q[..., 0]``.
    0 at or below ``q_0``, 1 above ``q_K``, linear between consecutive distinct quantiles; with
    tied quantiles ``q_k = ... = q_m`` the fraction just above them is ``m / K``. NaN where ``q`` is
    NaN. Within ``1 / K`` of the true fraction, which lies in ``[k/K, (k+1)/K)`` on ``(q_k, q_{k+1}]``.
    """
    q = np.asarray(q, np.float64)
    e = np.asarray(elevation, np.float64)
    shape = np.broadcast_shapes(q.shape[:-1], e.shape)
    qq = np.ascontiguousarray(np.broadcast_to(q, (*shape, q.shape[-1])).reshape(-1, q.shape[-1]))
    ee = np.ascontiguousarray(np.broadcast_to(e, shape).reshape(-1))
    out = np.empty(ee.size)
    lit_fractions(qq, ee, out)
    return out.reshape(shape)



def write_profiles(path: str | os.PathLike, profiles: FaceProfiles) -> Path:
    """Write ``profiles`` to one Parquet file (zstd), atomically; return the path.

    Rows in the order of the faces, then of the directions.
    """
    path = Path(path)
    with atomic_path(path, ".parquet") as tmp:
        profiles.frame().to_parquet(tmp, engine="pyarrow", compression="zstd", index=False)
    return path


def write_profile_parts(path: str | os.PathLike, parts: Sequence[str | os.PathLike]) -> Path:
    """Write the profiles of several files (a run's tiles) as one file, part after part; return the path.

    Each part is read and checked by :func:`read_profiles`, then appended as its own row group: the
    memory is that of one part, whatever the number of parts. The parts must share their directions,
    levels and kind of face id (ValueError naming the part otherwise); parts without faces are skipped
    unless all are.
    """
    import pyarrow as pa
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
                table = pa.Table.from_pandas(profiles.frame(), preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
                writer.write_table(table.cast(writer.schema))
        finally:
            if writer is not None:
                writer.close()
        if writer is None:
            if first is None:
                raise ValueError("parts: none given")
            first.frame().to_parquet(tmp, engine="pyarrow", compression="zstd", index=False)
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


def _rows_of(path: str | os.PathLike, faces: Iterable) -> pd.DataFrame:
    """The rows of the profile file ``path`` of the faces ``faces``, read from the row groups that may hold them."""
    import pyarrow.parquet as pq

    faces = list(faces)
    file = pq.ParquetFile(path)
    if "face" not in file.schema_arrow.names:  # read_profiles names the missing column
        return file.schema_arrow.empty_table().to_pandas()
    groups = row_groups_read(path, faces)
    table = file.read_row_groups(groups).to_pandas() if groups else file.schema_arrow.empty_table().to_pandas()
    wanted = {str(f) for f in faces} if pd.api.types.is_string_dtype(table["face"].dtype) else {int(f) for f in faces}
    return table[table["face"].isin(wanted)].reset_index(drop=True)


def read_profiles(path: str | os.PathLike, *, faces: Iterable | None = None) -> FaceProfiles:
    """The profiles of a file of :func:`write_profiles`.

    ``faces``: read only these face ids (those the file holds, in the file's order; :meth:`FaceProfiles.select`
    then orders them and names a missing one): only the row groups whose ``face`` statistics may hold one of
    them are read (:func:`_rows_of`), so that reading one tile of a run's merged file (a row group per tile)
    costs the memory of that tile.

    Raises
    ------
    InputFileError
        One line naming the file: missing or unreadable, a column missing or of another dtype, a face
        without one row per direction (the same directions for all), a per-face column that varies within
        a face, a repeated face.
    """
    path = Path(path)
    try:
        table = pd.read_parquet(path, engine="pyarrow") if faces is None else _rows_of(path, faces)
    except FileNotFoundError:
        raise InputFileError(f"{path}: file not found; give a profile file written by write_profiles") from None
    except Exception as exc:  # noqa: BLE001 (pyarrow raises many kinds on a bad file)
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputFileError(f"{path}: not a readable Parquet file ({first}); give a profile file") from None
    hint = "write the file with write_profiles"
    if "face" not in table.columns:
        raise InputFileError(f"{path}: column 'face' is missing; {hint}")
    face = table["face"]
    if not (str(face.dtype) == "int64" or pd.api.types.is_string_dtype(face.dtype)):
        raise InputFileError(f"{path}: column 'face' is {face.dtype}, expected int64 or strings; {hint}")
    expected = {"direction": "float64", **dict.fromkeys(LEVEL_COLUMNS, "float32"),
                **dict.fromkeys(NORMAL_COLUMNS, "int16"), **FACE_COLUMNS}
    for name, dtype in expected.items():
        if name not in table.columns:
            raise InputFileError(f"{path}: column {name!r} is missing; {hint}")
        if str(table[name].dtype) != dtype:
            raise InputFileError(f"{path}: column {name!r} is {table[name].dtype}, expected {dtype}; {hint}")
    if face.isna().any():
        raise InputFileError(f"{path}: column 'face' has empty values; {hint}")
    if not len(table):  # a tile whose buildings have no roof face
        levels = len(LEVEL_COLUMNS)
        return FaceProfiles(faces=np.empty(0, np.int64 if str(face.dtype) == "int64" else object),
                            directions=np.empty(0), quantiles=np.empty((0, 0, levels), np.float32),
                            cumulative=np.empty((0, 0, levels, 3), np.float32),
                            **{name: np.empty(0, dtype) for name, dtype in FACE_COLUMNS.items()})
    ids = face.to_numpy(np.int64) if str(face.dtype) == "int64" else np.array(face.astype(str).tolist(), object)
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    n_f = starts.size
    n_d = len(table) // max(n_f, 1)
    directions = table["direction"].to_numpy(np.float64)
    if n_f == 0 or n_f * n_d != len(table) or (np.diff(starts) != n_d).any() or not np.array_equal(
            directions.reshape(n_f, n_d), np.broadcast_to(directions[:n_d], (n_f, n_d))):
        raise InputFileError(f"{path}: column 'direction': every face needs one row per direction, the same "
                             f"directions for all, rows grouped by face; {hint}")
    per_face = {}
    for name in FACE_COLUMNS:
        values = table[name].to_numpy().reshape(n_f, n_d)
        same = (values == values[:, :1]) | (np.isnan(values) & np.isnan(values[:, :1]) if values.dtype.kind == "f"
                                            else False)
        if not same.all():
            bad = ids[starts[int(np.flatnonzero(~same.all(axis=1))[0])]]
            raise InputFileError(f"{path}: column {name!r} varies within face {bad!r}; {hint}")
        per_face[name] = values[:, 0]
    if not pd.Index(ids[starts]).is_unique:
        raise InputFileError(f"{path}: column 'face': a face appears in two groups of rows; {hint}")
    levels = len(LEVEL_COLUMNS)
    quantiles = table[list(LEVEL_COLUMNS)].to_numpy(np.float32).reshape(n_f, n_d, levels)
    cumulative = np.zeros((n_f * n_d, levels, 3), np.float32)
    for c, comp in enumerate("enu"):
        cols = [f"v{comp}{k:02d}" for k in range(1, levels)]
        cumulative[:, 1:, c] = table[cols].to_numpy(np.float32) / NORMAL_SCALE
    return FaceProfiles(faces=ids[starts], directions=directions[:n_d], quantiles=quantiles,
                        cumulative=cumulative.reshape(n_f, n_d, levels, 3), **per_face)
