"""Hourly irradiance and PV production of roof faces from their shading profiles (``docs/method.md``).

A face is given by its plane (tilt, azimuth), its mean sky-view factor, its
mean fraction of the Perez horizon band seen, and its shading profile: per
horizon direction, at most ``M + 1`` knots of the distribution of its cells'
effective horizon elevation with their cumulative normals (:mod:`cadastre.roofs.profiles`). For every weather row, with the
sun positions and Perez coefficients of the raster engine
(:func:`cadastre.solar.sky.build_sun_tables`, ``irradiance._totals``):

- the row carries beam and circumsolar only with apparent elevation > 0; its
  sector is ``rint(azimuth / (360 / N)) % N``;
- ``V = V(elevation)``: the cumulative normal of the face's cells whose horizon in
  that sector lies below the sun, interpolated between the profile's knots
  (:func:`kernels.profile.lit_normal_one`);
- beam ``= DNI max(0, V.s)``;
- diffuse ``= DHI (1 - F1) svf + DHI F1 / max(cos Z, cos 85°) max(0, V.s)
  + DHI F2 sin(tilt) band_seen`` (Perez), ``DHI svf`` (isotropic);
- reflected ``= albedo GHI (1 - svf)``.

Summed over the rows these are, face by face, the mean over its cells of the
raster's annual values (to the profile's resolution: ``docs/method.md``
gives the measured errors). PV power per kWp then follows the PVWatts chain
of :mod:`cadastre.solar.energy` (cell temperature, DC, inverter).

Months are those of the weather rows' stamps in UTC (``weather.data.index``):
a row of 23:00-24:00 UTC on the last day of a month counts for that month.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Protocol

import numpy as np
import pandas as pd

from cadastre.config import PVConfig
from cadastre.errors import OptionError
from cadastre.solar.energy import DEFAULT_TEMP_AIR, DEFAULT_WIND_SPEED, pvwatts_power
from cadastre.solar.sky import check_sky, perez_f1_f2, solar_position
from cadastre.solar.weather import Weather
from kernels.profile import poa_faces

CHUNK_FACES = 256
"""Faces computed together: the kernel's outputs hold 3 x 4 x CHUNK_FACES x rows bytes (27 MB for a year of
hours), the PVWatts step about 10 float64 arrays of that shape (180 MB)."""

__all__ = ["CHUNK_FACES", "FaceProduction", "Profiles", "SkyRows", "face_production", "hourly_poa", "sky_rows"]


class Profiles(Protocol):
    """What the hourly model reads of faces: :class:`cadastre.roofs.profiles.FaceProfiles` (a layer above)."""

    faces: np.ndarray  # (F,) ids
    quantiles: np.ndarray  # (F, N, M + 1) effective-horizon knots [degrees]
    cumulative: np.ndarray  # (F, N, M + 1, 3) cumulative normals
    tilt: np.ndarray  # (F,) [degrees]
    svf: np.ndarray  # (F,)
    band_seen: np.ndarray  # (F,)


@dataclasses.dataclass(frozen=True)
class SkyRows:
    """Per weather row, what the kernel needs (1-D arrays over the rows, W m-2 where irradiance)."""

    sun: np.ndarray  # (rows, 3) unit sun vector (east, north, up)
    elevation: np.ndarray  # apparent elevation [degrees]
    sector: np.ndarray  # horizon direction of the sun, -1 when down
    dni: np.ndarray
    diffuse_iso: np.ndarray  # DHI (1 - F1), or DHI
    circ: np.ndarray  # DHI F1 / max(cos Z, cos 85°) while up, else 0
    band: np.ndarray  # DHI F2
    reflect: np.ndarray  # albedo GHI


def sky_rows(weather: Weather, latitude: float, longitude: float, altitude: float, *, n_directions: int,
             sky: str = "isotropic", albedo: float = 0.2) -> SkyRows:
    """Sun and sky of every weather row, as :func:`cadastre.solar.sky.build_sun_tables` sees them."""
    sky = check_sky(sky)
    pos = solar_position(weather, latitude, longitude, altitude)
    elev = pos["apparent_elevation"].to_numpy(np.float64)
    zen = pos["apparent_zenith"].to_numpy(np.float64)
    az = pos["azimuth"].to_numpy(np.float64)
    up = elev > 0.0
    e_rad, a_rad = np.radians(elev), np.radians(az)
    sun = np.column_stack([np.cos(e_rad) * np.sin(a_rad), np.cos(e_rad) * np.cos(a_rad), np.sin(e_rad)])
    sector = np.where(up, np.rint(az / (360.0 / n_directions)).astype(np.int64) % n_directions, -1)
    ghi, dni, dhi = (weather.data[c].to_numpy(np.float64) for c in ("ghi", "dni", "dhi"))
    if sky == "perez":
        f1, f2 = perez_f1_f2(weather, pos)
        cos_z = np.maximum(np.cos(np.radians(zen)), math.cos(math.radians(85.0)))
        circ = np.where(up, dhi * f1 / cos_z, 0.0)
        iso, band = dhi * (1.0 - f1), dhi * f2
    else:
        circ, iso, band = np.zeros_like(dhi), dhi, np.zeros_like(dhi)
    return SkyRows(sun=np.ascontiguousarray(sun), elevation=elev, sector=sector.astype(np.int64),
                   dni=np.where(up, dni, 0.0), diffuse_iso=iso, circ=circ, band=band, reflect=albedo * ghi)


def _faces(profiles: Profiles):
    """Per-face arrays of the kernel: svf, sin(tilt) band_seen (float64), quantiles, cumulative (float32)."""
    if not all(hasattr(profiles, a) for a in ("faces", "quantiles", "cumulative", "tilt", "svf", "band_seen")):
        raise OptionError(f"profiles: give a FaceProfiles (face_profiles, read_profiles), not {type(profiles).__name__}")
    band_term = np.sin(np.radians(profiles.tilt.astype(np.float64))) * profiles.band_seen
    return (profiles.svf.astype(np.float64), band_term, np.ascontiguousarray(profiles.quantiles),
            np.ascontiguousarray(profiles.cumulative))


def _chunks(n: int, size: int):
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


def hourly_poa(weather: Weather, site: tuple[float, float, float], profiles: Profiles, *,
               sky: str = "isotropic", albedo: float = 0.2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shaded plane-of-array beam, diffuse and reflected irradiance of faces x weather rows. [W m-2]

    Parameters
    ----------
    weather : Weather
    site : (latitude, longitude, altitude)
        Where the sun is computed [degrees, degrees, m]: the raster's (``irradiance`` attrs).
    profiles : FaceProfiles
        The faces (:func:`cadastre.roofs.profiles.face_profiles`, ``read_profiles``).
    sky : {'isotropic', 'perez'}
    albedo : float

    Returns
    -------
    beam, diffuse, reflected : (F, rows) float32 arrays
        In the order of ``profiles.faces``; NaN for a face without usable cells.
    """
    svf, band_term, quantiles, cumulative = _faces(profiles)
    rows = sky_rows(weather, *site, n_directions=quantiles.shape[1], sky=sky, albedo=albedo)
    out = tuple(np.empty((svf.size, rows.dni.size), np.float32) for _ in range(3))
    for part in _chunks(svf.size, CHUNK_FACES):
        _kernel(rows, svf[part], band_term[part], quantiles[part], cumulative[part], *(o[part] for o in out))
    return out


def _kernel(rows: SkyRows, svf, band_term, quantiles, cumulative, beam, diffuse, reflected) -> None:
    poa_faces(svf, band_term, quantiles, cumulative, rows.sun, rows.elevation, rows.sector, rows.dni,
              rows.diffuse_iso, rows.circ, rows.band, rows.reflect, beam, diffuse, reflected)


@dataclasses.dataclass(frozen=True)
class FaceProduction:
    """Production of faces over a weather period (per year for a TMY).

    ``table``: one row per face (in the order of the profiles): ``face`` (its id), ``specific_yield`` [kWh kWp-1], ``irradiation``
    (shaded POA global) [kWh m-2], ``beam``, ``diffuse``, ``reflected`` [kWh m-2], then
    ``yield_01`` ... ``yield_12`` [kWh kWp-1] and ``irradiation_01`` ... ``irradiation_12`` [kWh m-2]
    by month of the rows' UTC stamps. ``hourly_ac``: AC power per kWp [W kWp-1] of the faces asked
    for, one column per face (named by its id), indexed as ``weather.data``; None if none asked.
    """

    table: pd.DataFrame
    hourly_ac: pd.DataFrame | None = None


def face_production(weather: Weather, site: tuple[float, float, float], profiles: Profiles, *,
                    pv: PVConfig = PVConfig(),  # noqa: B008 (frozen, immutable)
                    sky: str = "isotropic", albedo: float = 0.2, hourly_faces=None) -> FaceProduction:
    """Annual and monthly PVWatts yield and shaded irradiation of faces, row by row from their profiles.

    Parameters are those of :func:`hourly_poa`, plus ``pv`` (the PV system) and ``hourly_faces``
    (ids of the faces whose hourly AC power is wanted; KeyError for an id without a profile). Work:
    faces x rows, in chunks of :data:`CHUNK_FACES` faces (memory bound: see it); rows without
    irradiance are skipped by PVWatts (they give 0).
    """
    svf, band_term, quantiles, cumulative = _faces(profiles)
    wanted_ids = [] if hourly_faces is None else list(hourly_faces)
    wanted = np.asarray(pd.Index(profiles.faces).get_indexer(wanted_ids) if wanted_ids else [], np.int64)
    if (wanted < 0).any():
        raise KeyError(f"hourly_faces: face {wanted_ids[int(np.flatnonzero(wanted < 0)[0])]!r} has no profile")
    rows = sky_rows(weather, *site, n_directions=quantiles.shape[1], sky=sky, albedo=albedo)
    n_f, n_r = svf.size, rows.dni.size
    scale = weather.interval_hours / 1000.0
    month = weather.data.index.month.to_numpy() - 1
    day = (weather.data["ghi"].to_numpy() > 0) | (weather.data["dni"].to_numpy() > 0) | (
        weather.data["dhi"].to_numpy() > 0)
    temp_air = _column(weather, "temp_air", DEFAULT_TEMP_AIR)[day]
    wind = _column(weather, "wind_speed", DEFAULT_WIND_SPEED)[day]
    sums = {name: np.zeros(n_f) for name in ("specific_yield", "irradiation", "beam", "diffuse", "reflected")}
    monthly_yield, monthly_irr = np.zeros((n_f, 12)), np.zeros((n_f, 12))
    hourly = {}
    month_day = month[day]
    for part in _chunks(n_f, CHUNK_FACES):
        size = part.stop - part.start
        beam, diffuse, reflected = (np.empty((size, n_r), np.float32) for _ in range(3))
        _kernel(rows, svf[part], band_term[part], quantiles[part], cumulative[part], beam, diffuse, reflected)
        for name, values in (("beam", beam), ("diffuse", diffuse), ("reflected", reflected)):
            sums[name][part] = values.sum(axis=1, dtype=np.float64) * scale
        poa = (beam[:, day].astype(np.float64) + diffuse[:, day] + reflected[:, day]).T  # (day rows, faces)
        del beam, diffuse, reflected
        p_ac = pvwatts_power(np.nan_to_num(poa), temp_air, wind, pv)[2]
        p_ac[:, np.isnan(poa).any(axis=0)] = np.nan
        sums["irradiation"][part] = poa.sum(axis=0) * scale
        sums["specific_yield"][part] = p_ac.sum(axis=0) * scale
        for m in range(12):
            at = month_day == m
            monthly_irr[part, m] = poa[at].sum(axis=0) * scale
            monthly_yield[part, m] = p_ac[at].sum(axis=0) * scale
        for f in wanted[(wanted >= part.start) & (wanted < part.stop)]:
            full = np.zeros(n_r)
            full[day] = p_ac[:, f - part.start]
            hourly[int(f)] = full
    table = pd.DataFrame({"face": profiles.faces, **sums})
    for m in range(12):
        table[f"yield_{m + 1:02d}"] = monthly_yield[:, m]
    for m in range(12):
        table[f"irradiation_{m + 1:02d}"] = monthly_irr[:, m]
    hourly_ac = (pd.DataFrame({face: hourly[int(f)] for face, f in zip(wanted_ids, wanted, strict=True)},
                              index=weather.data.index) if wanted.size else None)
    return FaceProduction(table=table, hourly_ac=hourly_ac)


def _column(weather: Weather, name: str, default: float) -> np.ndarray:
    """A weather column as float64, ``default`` where absent or NaN (as :mod:`cadastre.solar.energy`)."""
    if name not in weather.data:
        return np.full(len(weather.data), default)
    values = weather.data[name].to_numpy(dtype=np.float64)
    return np.where(np.isfinite(values), values, default)
