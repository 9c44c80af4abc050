"""Sun positions and sun tables: the weather year binned by sky direction.

The engine never loops over hours per pixel. Each weather row is assigned to
the nearest of the ``n_directions`` horizon azimuths (its *sector*); per
sector, the beam energy of its rows is accumulated as energy-weighted sun
vectors into a table indexed by a threshold elevation on a fine grid
(default 0.1°, finer than the ≤ 1° bins of the design). A pixel whose
horizon in that sector is ``h`` receives ``n · table(h)``: the rows whose sun
stands above ``h``, each with its own sun vector (linear interpolation between
grid rows).

Sky models
----------
``isotropic``
    Diffuse = DHI × sky-view factor of the tilted surface.
``perez``
    Perez et al. (1990) with pvlib's coefficients (``allsitescomposite1990``):
    isotropic part ``DHI (1 - F1)`` × sky-view factor; circumsolar part
    ``DHI F1 cos(AOI) / max(cos Z, cos 85°)`` handled exactly like the beam
    (it is shaded when the sun is); horizon band ``DHI F2 sin(beta)``, shaded by
    the fraction of the band seen in the directions the surface faces.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pvlib

from cadastre.errors import OptionError
from cadastre.solar.weather import Weather

SKY_MODELS = ("isotropic", "perez")
TABLE_STEP = 0.1
"""Threshold-elevation spacing of the sun tables. [degrees]"""
HORIZON_BAND_WIDTH = 6.5
"""Nominal height of the Perez horizon-brightening band, for its shading. [degrees]"""


@dataclasses.dataclass(frozen=True)
class SunTables:
    """Weather binned by horizon direction, ready for the kernels.

    Energies are sums over the weather rows in kWh m-2; table rows are the
    threshold elevations ``i * step`` [degrees]; the last axis holds the
    (east, north, up) components of energy-weighted sun vectors.
    """

    n_directions: int
    step: float
    beam: np.ndarray
    circumsolar: np.ndarray
    diffuse_isotropic: float
    horizon_band: float
    ghi: float
    dhi: float
    dni: float
    sky: str
    monthly_direct: np.ndarray | None = None
    """With ``months``: (directions, table rows, 12, 3), the beam and circumsolar tables of each month's
    weather rows, added (months of the rows' UTC stamps) [kWh m-2]; else None."""
    monthly_diffuse_isotropic: np.ndarray | None = None
    """With ``months``: (12,) the isotropic diffuse of each month [kWh m-2]."""
    monthly_horizon_band: np.ndarray | None = None
    """With ``months``: (12,) the Perez horizon band of each month [kWh m-2]."""
    monthly_ghi: np.ndarray | None = None
    """With ``months``: (12,) the GHI of each month [kWh m-2]."""

    @property
    def azimuths(self) -> np.ndarray:
        """Azimuth of each direction, clockwise from north. [degrees]"""
        return np.arange(self.n_directions) * (360.0 / self.n_directions)


def check_sky(sky: str) -> str:
    """Lower-case ``sky`` and check it names a model; raise OptionError otherwise."""
    name = str(sky).lower()
    if name not in SKY_MODELS:
        raise OptionError(f"--sky: unknown sky model {sky!r}; use one of {', '.join(SKY_MODELS)}")
    return name


def solar_position(weather: Weather, latitude: float, longitude: float, altitude: float) -> pd.DataFrame:
    """pvlib solar position at the instants the weather values represent.

    Evaluated at ``weather.sun_times`` (not the raw stamps: see
    :mod:`cadastre.solar.weather` for each source's convention), with refraction for
    the air temperature of the row when the source has one (12 °C where it is
    missing).
    Index: the weather's own stamps.
    """
    temperature = weather.data["temp_air"].fillna(12.0).to_numpy() if "temp_air" in weather.data else 12.0
    pos = pvlib.solarposition.get_solarposition(
        weather.sun_times, latitude, longitude, altitude=altitude, temperature=temperature
    )
    pos.index = weather.data.index
    return pos


def perez_f1_f2(weather: Weather, position: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Perez circumsolar (F1) and horizon (F2) brightening coefficients per row.

    Taken from :func:`pvlib.irradiance.perez` itself, so that the engine uses
    pvlib's coefficients and clipping: on a horizontal plane the isotropic
    component is ``DHI (1 - F1)``; on a vertical plane facing away from the sun
    the horizon component is ``DHI F2``.
    """
    dhi = weather.data["dhi"].to_numpy()
    dni = weather.data["dni"].to_numpy()
    zenith = position["apparent_zenith"].to_numpy()
    azimuth = position["azimuth"].to_numpy()
    dni_extra = pvlib.irradiance.get_extra_radiation(weather.sun_times).to_numpy()
    airmass = pvlib.atmosphere.get_relative_airmass(zenith)
    flat = pvlib.irradiance.perez(0.0, 180.0, dhi, dni, dni_extra, zenith, azimuth, airmass, return_components=True)
    away = pvlib.irradiance.perez(
        90.0, (azimuth + 180.0) % 360.0, dhi, dni, dni_extra, zenith, azimuth, airmass, return_components=True
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(dhi > 0, 1.0 - np.asarray(flat["poa_isotropic"]) / dhi, 0.0)
        f2 = np.where(dhi > 0, np.asarray(away["poa_horizon"]) / dhi, 0.0)
    return np.nan_to_num(f1), np.nan_to_num(f2)


def _sector_table(sector, elevation, energy, vectors, n_directions, step):
    rows = int(math.ceil(90.0 / step)) + 1
    hist = np.zeros((n_directions, rows, 3))
    j = np.clip(np.ceil(elevation / step).astype(np.int64) - 1, 0, rows - 1)
    np.add.at(hist, (sector, j), energy[:, None] * vectors)
    return np.cumsum(hist[:, ::-1], axis=1)[:, ::-1].copy()


def _monthly_tables(month, sector, elevation, energy, vectors, n_directions, step) -> np.ndarray:
    """(directions, table rows, 12, 3): :func:`_sector_table` of each month's rows (``month``: 0-11 per row); the
    months of a table row side by side, as the kernel reads them."""
    rows = int(math.ceil(90.0 / step)) + 1
    hist = np.zeros((n_directions, rows, 12, 3))
    j = np.clip(np.ceil(elevation / step).astype(np.int64) - 1, 0, rows - 1)
    np.add.at(hist, (sector, j, month), energy[:, None] * vectors)
    return np.cumsum(hist[:, ::-1], axis=1)[:, ::-1].copy()


def _month_sums(month, values) -> np.ndarray:
    """(12,) sums of ``values`` by month (``month``: 0-11 per row)."""
    return np.bincount(month, weights=values, minlength=12)[:12]


def build_sun_tables(
    weather: Weather,
    latitude: float,
    longitude: float,
    altitude: float,
    *,
    n_directions: int = 64,
    sky: str = "isotropic",
    step: float = TABLE_STEP,
    months: bool = False,
) -> SunTables:
    """Bin the weather rows by sun azimuth sector and elevation threshold.

    Parameters
    ----------
    weather : Weather
        Hourly (or other regular) GHI, DNI, DHI. [W m-2]
    latitude, longitude : float
        Site, for the sun position. [degrees]
    altitude : float
        Site altitude above sea level. [m]
    n_directions : int
        Number of horizon azimuths, evenly spaced from north.
    sky : {'isotropic', 'perez'}
        Diffuse sky model.
    step : float
        Threshold-elevation spacing of the tables. [degrees]
    months : bool
        Also the tables and sums of each month (``monthly_*``; months of the rows' UTC stamps, as
        :mod:`cadastre.solar.hourly`): beam and circumsolar in one table per month, 12 times the
        memory of ``beam`` (17 MB with 64 directions).

    Returns
    -------
    SunTables
        Energies summed over the rows [kWh m-2].

    Notes
    -----
    Only rows with the sun above the horizontal (apparent elevation > 0)
    carry beam and circumsolar energy: the terrain horizon is never taken
    below 0°.
    """
    sky = check_sky(sky)
    pos = solar_position(weather, latitude, longitude, altitude)
    kwh = weather.interval_hours / 1000.0
    ghi = weather.data["ghi"].to_numpy()
    dni = weather.data["dni"].to_numpy()
    dhi = weather.data["dhi"].to_numpy()
    elev = pos["apparent_elevation"].to_numpy()
    zen = pos["apparent_zenith"].to_numpy()
    az = pos["azimuth"].to_numpy()
    up = elev > 0.0
    e_rad = np.radians(elev[up])
    a_rad = np.radians(az[up])
    vectors = np.column_stack([np.cos(e_rad) * np.sin(a_rad), np.cos(e_rad) * np.cos(a_rad), np.sin(e_rad)])
    sector = np.rint(az[up] / (360.0 / n_directions)).astype(np.int64) % n_directions
    beam = _sector_table(sector, elev[up], dni[up] * kwh, vectors, n_directions, step)
    if sky == "perez":
        f1, f2 = perez_f1_f2(weather, pos)
        cos_z = np.maximum(np.cos(np.radians(zen[up])), math.cos(math.radians(85.0)))
        circ_energy = dhi[up] * f1[up] / cos_z * kwh
        circumsolar = _sector_table(sector, elev[up], circ_energy, vectors, n_directions, step)
        iso_rows, band_rows = dhi * (1.0 - f1) * kwh, dhi * f2 * kwh
        iso = float(np.sum(dhi * (1.0 - f1)) * kwh)
        band = float(np.sum(dhi * f2) * kwh)
    else:
        circumsolar = np.zeros_like(beam)
        circ_energy = np.zeros(int(up.sum()))
        iso_rows, band_rows = dhi * kwh, np.zeros_like(dhi)
        iso = float(np.sum(dhi) * kwh)
        band = 0.0
    monthly = {}
    if months:
        month = weather.data.index.month.to_numpy() - 1
        monthly = dict(
            monthly_direct=_monthly_tables(month[up], sector, elev[up], dni[up] * kwh + circ_energy, vectors,
                                           n_directions, step),
            monthly_diffuse_isotropic=_month_sums(month, iso_rows),
            monthly_horizon_band=_month_sums(month, band_rows),
            monthly_ghi=_month_sums(month, ghi * kwh),
        )
    return SunTables(
        n_directions=n_directions,
        step=step,
        beam=beam,
        circumsolar=circumsolar,
        diffuse_isotropic=iso,
        horizon_band=band,
        ghi=float(np.sum(ghi) * kwh),
        dhi=float(np.sum(dhi) * kwh),
        dni=float(np.sum(dni) * kwh),
        sky=sky,
        **monthly,
    )
