"""Shading profiles of roof faces: a weather-independent summary of their horizons (``docs/method.md``).

For each face and horizon direction, the profile holds the ``K + 1``
quantiles (levels ``0, 1/K, ..., 1``, ``K =`` :data:`PROFILE_LEVELS`) of the
effective horizon elevation of the face's usable cells (the horizon codes of
:func:`cadastre.solar.irradiance.irradiance` with ``horizons=True``, steps of
0.5°). With the face's mean sky-view factor and mean fraction of the Perez
horizon band seen, it is all :mod:`cadastre.solar.hourly` needs to give the
shaded irradiance of the face at any hour of any weather year.

:func:`lit_fraction` turns a profile back into the fraction of the usable
cells that a sun at a given elevation lights: exact at the quantile levels,
within ``1 / K`` elsewhere.

Tables: a long frame, one row per face and direction (``face``,
``direction`` [degrees], ``h00`` ... ``h16`` [degrees, float32]), and a
per-face frame (``face``, ``tilt``, ``azimuth``, ``svf``, ``band_seen``). :func:`write_profiles`
stores both in one Parquet file (zstd), the per-face values repeated on
each row of their face (run-length encoded: a few bytes per face).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from cadastre.errors import InputFileError
from cadastre.solar.sky import HORIZON_BAND_WIDTH
from kernels.profile import HORIZON_CODE_STEP, face_quantiles, lit_fractions
from rasters.io import atomic_path

PROFILE_LEVELS = 16
"""K: a profile holds the quantiles at levels k / K, k = 0..K."""
LEVEL_COLUMNS = tuple(f"h{k:02d}" for k in range(PROFILE_LEVELS + 1))
"""Columns of the quantiles in the long table. [degrees]"""
PROFILE_DTYPES = {"face": "int64", "direction": "float64", **dict.fromkeys(LEVEL_COLUMNS, "float32")}
FACE_DTYPES = {"face": "int64", "tilt": "float32", "azimuth": "float32", "svf": "float32", "band_seen": "float32"}

__all__ = [
    "FACE_DTYPES", "HORIZON_CODE_STEP", "LEVEL_COLUMNS", "PROFILE_DTYPES", "PROFILE_LEVELS", "FaceProfiles",
    "face_profiles", "lit_fraction", "read_profiles", "write_profiles",
]


@dataclasses.dataclass(frozen=True)
class FaceProfiles:
    """Shading profiles of faces.

    Attributes
    ----------
    faces : (F,) int64
        Face numbers.
    directions : (N,) float64
        Horizon azimuths, clockwise from north. [degrees]
    quantiles : (F, N, K + 1) float32
        Effective-horizon quantiles of the usable cells [degrees]; NaN for a face without usable cells.
    tilt, azimuth : (F,) float32
        The plane of the usable cells: their mean normal, made unit [degrees]. The plane to give
        :mod:`cadastre.solar.hourly`: on a rough face it differs from the face's own (the mean normal of
        all the cells it grew from) by degrees, and the beam with it.
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
    tilt: np.ndarray
    azimuth: np.ndarray
    svf: np.ndarray
    band_seen: np.ndarray
    cells: np.ndarray

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The long table (face x direction) and the per-face table (see module docstring)."""
        n_f, n_d, n_l = self.quantiles.shape
        long = pd.DataFrame({"face": np.repeat(self.faces.astype(np.int64), n_d),
                             "direction": np.tile(self.directions.astype(np.float64), n_f)})
        flat = self.quantiles.reshape(n_f * n_d, n_l).astype(np.float32)
        for k, name in enumerate(LEVEL_COLUMNS[:n_l]):
            long[name] = flat[:, k]
        per_face = pd.DataFrame({"face": self.faces.astype(np.int64), "tilt": self.tilt.astype(np.float32),
                                 "azimuth": self.azimuth.astype(np.float32), "svf": self.svf.astype(np.float32),
                                 "band_seen": self.band_seen.astype(np.float32)})
        return long, per_face


def face_profiles(irradiance: xr.Dataset, labels: np.ndarray, usable: np.ndarray, table: pd.DataFrame,
                  levels: int = PROFILE_LEVELS) -> FaceProfiles:
    """Shading profile, mean sky-view factor and band seen of every face of ``table``.

    Parameters
    ----------
    irradiance : xarray.Dataset
        With ``horizon`` (codes, ``irradiance(..., horizons=True)``), ``svf``, ``slope`` and ``aspect``,
        on the grid of ``labels``.
    labels, usable : 2-D arrays
        Face number of each cell and the usable cells (:func:`cadastre.roofs.faces.faces` with ``with_usable=True``).
    table : pandas.DataFrame
        The faces (``face``): one profile per row, in its order.
    levels : int
        K.

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
    cell_codes = np.ascontiguousarray(codes.values[:, rows, cols].T)  # (cells, directions)
    starts = np.searchsorted(pos, np.arange(face_no.size + 1)).astype(np.int64)
    quantiles = np.empty((face_no.size, directions.size, levels + 1), np.float32)
    seen = np.empty((face_no.size, directions.size), np.float32)
    face_quantiles(cell_codes, starts, int(levels), float(HORIZON_BAND_WIDTH), quantiles, seen)
    svf_cells = np.asarray(irradiance["svf"].values[rows, cols], np.float64)
    ok = np.isfinite(svf_cells)
    counts = np.bincount(pos[ok], minlength=face_no.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        svf = np.bincount(pos[ok], weights=svf_cells[ok], minlength=face_no.size) / counts
    tilt, azimuth = _mean_plane(irradiance, rows, cols, pos, face_no.size)
    band = band_seen_of(seen, directions, tilt, azimuth)
    return FaceProfiles(faces=face_no, directions=directions, quantiles=quantiles, tilt=tilt.astype(np.float32),
                        azimuth=azimuth.astype(np.float32), svf=svf.astype(np.float32),
                        band_seen=band.astype(np.float32), cells=np.diff(starts))


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


def write_profiles(path: str | os.PathLike, profiles: pd.DataFrame, faces: pd.DataFrame) -> Path:
    """Write the long table and the per-face table to one Parquet file (zstd), atomically.

    Rows are sorted by face and direction; ``svf`` and ``band_seen`` are stored on every row of
    their face. Returns the path.
    """
    _check(profiles, PROFILE_DTYPES, "profiles")
    _check(faces, FACE_DTYPES, "faces")
    table = profiles[list(PROFILE_DTYPES)].astype(PROFILE_DTYPES).merge(
        faces[list(FACE_DTYPES)].astype(FACE_DTYPES), on="face", how="left", validate="many_to_one")
    table = table.sort_values(["face", "direction"], kind="stable").reset_index(drop=True)
    path = Path(path)
    with atomic_path(path, ".parquet") as tmp:
        table.to_parquet(tmp, engine="pyarrow", compression="zstd", index=False)
    return path


def read_profiles(path: str | os.PathLike) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The long table and the per-face table of a file of :func:`write_profiles`.

    Raises
    ------
    InputFileError
        One line naming the file: missing or unreadable, a column missing or of another dtype,
        ``svf``/``band_seen`` not constant within a face.
    """
    path = Path(path)
    try:
        table = pd.read_parquet(path, engine="pyarrow")
    except FileNotFoundError:
        raise InputFileError(f"{path}: file not found; give a profile file written by write_profiles") from None
    except Exception as exc:  # noqa: BLE001 (pyarrow raises many kinds on a bad file)
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputFileError(f"{path}: not a readable Parquet file ({first}); give a profile file") from None
    expected = {**PROFILE_DTYPES, **FACE_DTYPES}
    for name, dtype in expected.items():
        if name not in table.columns:
            raise InputFileError(f"{path}: column {name!r} is missing; write the file with write_profiles")
        if str(table[name].dtype) != dtype:
            raise InputFileError(f"{path}: column {name!r} is {table[name].dtype}, expected {dtype}; "
                                 "write the file with write_profiles")
    per_face = table[list(FACE_DTYPES)].drop_duplicates()
    if per_face["face"].duplicated().any():
        face = int(per_face.loc[per_face["face"].duplicated(), "face"].iloc[0])
        raise InputFileError(f"{path}: column 'svf' or 'band_seen' varies within face {face}; "
                             "write the file with write_profiles")
    return table[list(PROFILE_DTYPES)].reset_index(drop=True), per_face.reset_index(drop=True)


def profile_array(profiles: pd.DataFrame, faces) -> tuple[np.ndarray, np.ndarray]:
    """Directions [degrees] and the (F, N, K + 1) float32 quantiles of ``faces`` (in their order) from a long table.

    Every face needs one row per direction, the same directions for all.
    """
    table = profiles.sort_values(["face", "direction"], kind="stable")
    directions = np.unique(table["direction"].to_numpy(np.float64))
    levels = [c for c in LEVEL_COLUMNS if c in table.columns]
    values = table[levels].to_numpy(np.float32).reshape(-1, directions.size, len(levels))
    numbers = table["face"].to_numpy(np.int64)[:: directions.size]
    where = np.searchsorted(numbers, np.asarray(faces, np.int64))
    if (where >= numbers.size).any() or (numbers[np.minimum(where, numbers.size - 1)] != np.asarray(faces)).any():
        raise ValueError("profiles: some faces have no profile")
    return directions, values[where]


def _check(frame: pd.DataFrame, dtypes: dict, what: str) -> None:
    missing = [name for name in dtypes if name not in frame.columns]
    if missing:
        raise ValueError(f"{what}: columns {', '.join(missing)} are missing")
