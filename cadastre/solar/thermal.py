"""Solar water heating: useful heat of flat-plate collectors on a plane or a roof face (``docs/method.md``).

Model (parameters: :class:`cadastre.config.ThermalConfig`; kernel: :mod:`kernels.thermal`):

- absorbed irradiance ``S = η0 (K_b beam + K_d sky diffuse + K_g ground reflected)`` [W m-2], with
  the incidence-angle modifier ``K(θ) = 1 - b0 (1/cos θ - 1)`` (clipped to [0, 1]) at the beam's
  angle of incidence, and at the effective angles of sky diffuse and ground-reflected light of
  Brandemuehl and Beckman (Duffie and Beckman 2013, eq. 5.4.1-5.4.2);
- collector gain ``q = S - a1 x - a2 x²``, ``x`` the mean fluid minus air temperature
  (EN ISO 9806), hour by hour;
- a two-zone stratified tank (volume ``V``, standing losses ``UA``), a daily hot water demand at
  the set-point drawn along an hourly profile, mains water by month; an auxiliary heater tops
  the delivered water up to the set-point.

Outputs per system: useful solar heat delivered (annual and per month of the weather rows' UTC
stamps) [kWh], the demand [kWh], the auxiliary energy [kWh] and the solar fraction.

Irradiance: :func:`plane_thermal` for unshaded planes (pvlib transposition, times a shading
ratio), :func:`face_thermal` for roof faces with a shading profile (the hourly shaded irradiance
of :func:`cadastre.solar.hourly.hourly_poa`). Sizing of residential systems: :func:`residential_systems`.

Economics of a system (:func:`heat_economics`, flat prices, years ``t = 1..N``): the useful heat ``Q`` [kWh/yr]
replaces ``F = Q / efficiency`` of a fuel; savings ``S = F x price``; investment ``I = A x cost``, subsidy
``min(A x subsidy, I)``; running cost ``O = om_rate x I``; payback ``(I - subsidy) / (S - O)`` (inf when
``S <= O``); NPV ``-(I - subsidy) + sum_t (S - O) / (1 + r)^t``; CO2 avoided ``F x factor``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pvlib

from cadastre.config import ThermalConfig
from cadastre.solar.hourly import CHUNK_FACES, Profiles, hourly_poa, sky_rows
from cadastre.solar.sky import check_sky, solar_position
from cadastre.solar.weather import Weather
from kernels.thermal import CP_WATER, RHO_WATER, swh_systems

__all__ = [
    "HeatEconomics",
    "ThermalResult",
    "absorbed",
    "annuity_factor",
    "demand_kwh",
    "draw_shares",
    "dwelling_systems",
    "face_absorbed",
    "face_thermal",
    "heat_economics",
    "iam",
    "mains_from_air",
    "mains_hourly",
    "plane_absorbed",
    "plane_thermal",
    "residential_systems",
    "simulate",
    "tank_ua",
]

_J_PER_KWH = 3.6e6


@dataclasses.dataclass(frozen=True)
class ThermalResult:
    """Yearly (weather period) results of ``n`` systems, in their order.

    ``solar_kwh`` (n,) useful solar heat delivered to the draw [kWh]; ``monthly_kwh`` (n, 12) the same
    per month (UTC stamps); ``gain_kwh`` (n,) heat gained by the collectors [kWh]; ``demand_kwh`` (n,)
    heat of the hot water demand from mains to set-point [kWh]; ``aux_kwh`` = demand - solar [kWh];
    ``solar_fraction`` (n,) solar / demand (0 without demand).
    """

    solar_kwh: np.ndarray
    monthly_kwh: np.ndarray
    gain_kwh: np.ndarray
    demand_kwh: np.ndarray

    @property
    def aux_kwh(self) -> np.ndarray:
        return np.maximum(self.demand_kwh - self.solar_kwh, 0.0)

    @property
    def solar_fraction(self) -> np.ndarray:
        d = self.demand_kwh
        return np.where(d > 0, self.solar_kwh / np.where(d > 0, d, 1.0), 0.0)


def tank_ua(volume_l, thermal: ThermalConfig = ThermalConfig()) -> np.ndarray:  # noqa: B008 (frozen)
    """Tank loss coefficient [W K-1] of tanks of ``volume_l`` litres: ``tank_loss_factor`` x the class C limit
    of EU regulation 812/2013, ``(16.66 + 8.33 V^0.4) / 45``."""
    v = np.maximum(np.asarray(volume_l, np.float64), 0.0)
    return thermal.tank_loss_factor * (16.66 + 8.33 * v ** 0.4) / 45.0


def iam(theta_deg, b0: float) -> np.ndarray:
    """Incidence angle modifier ``1 - b0 (1/cos θ - 1)`` in [0, 1]; 0 from 90 degrees. [θ: degrees]"""
    cos_t = np.cos(np.radians(np.asarray(theta_deg, np.float64)))
    with np.errstate(divide="ignore", invalid="ignore"):
        k = 1.0 - b0 * (1.0 / cos_t - 1.0)
    return np.where(cos_t > 1e-6, np.clip(k, 0.0, 1.0), 0.0)


def _diffuse_angles(tilt_deg) -> tuple[np.ndarray, np.ndarray]:
    """Effective incidence angles of sky diffuse and ground-reflected light (Brandemuehl and Beckman). [degrees]"""
    b = np.asarray(tilt_deg, np.float64)
    return 59.7 - 0.1388 * b + 0.001497 * b * b, 90.0 - 0.5788 * b + 0.002693 * b * b


def absorbed(beam, sky, ground, cos_aoi, tilt_deg, thermal: ThermalConfig) -> np.ndarray:
    """Absorbed irradiance η0 (K_b beam + K_d sky + K_g ground) [W m-2]; arrays (planes, rows) or broadcastable.

    ``cos_aoi``: cosine of the beam's angle of incidence; ``tilt_deg``: per plane, shape (planes, 1).
    """
    theta = np.degrees(np.arccos(np.clip(np.asarray(cos_aoi, np.float64), -1.0, 1.0)))
    t_sky, t_ground = _diffuse_angles(tilt_deg)
    k_b = iam(theta, thermal.iam_b0)
    out = k_b * np.nan_to_num(beam) + iam(t_sky, thermal.iam_b0) * np.nan_to_num(sky)
    out += iam(t_ground, thermal.iam_b0) * np.nan_to_num(ground)
    return thermal.eta0 * np.maximum(out, 0.0)


def mains_from_air(weather: Weather) -> np.ndarray:
    """Monthly mains water temperature [degC] from the air temperature (Burch and Christensen 2007, as in SAM).

    ``T = T_avg + 6 + ratio (ΔT_max / 2) sin(0.986 (day - 15 - lag) - 90)`` in °F, ``ratio = 0.4 + 0.01 (T_avg
    - 44)``, ``lag = 35 - (T_avg - 44)``, day the mid-month day of year.
    """
    t = weather.data["temp_air"].to_numpy(np.float64)
    month = weather.data.index.month.to_numpy() - 1
    monthly = np.array([t[month == m].mean() for m in range(12)])
    avg_f, high_f, low_f = 32 + 1.8 * t.mean(), 32 + 1.8 * monthly.max(), 32 + 1.8 * monthly.min()
    ratio, lag = 0.4 + 0.01 * (avg_f - 44.0), 35.0 - (avg_f - 44.0)
    day = np.array([15, 46, 74, 105, 135, 166, 196, 227, 258, 288, 319, 349], np.float64)
    t_f = avg_f + 6.0 + ratio * (high_f - low_f) / 2.0 * np.sin(np.radians(0.986 * (day - 15.0 - lag) - 90.0))
    return (t_f - 32.0) / 1.8


def mains_hourly(weather: Weather, thermal: ThermalConfig) -> np.ndarray:
    """Mains water temperature of every weather row [degC]: the month's value (UTC stamps)."""
    return np.asarray(thermal.mains_temperature, np.float64)[weather.data.index.month.to_numpy() - 1]


def draw_shares(weather: Weather, thermal: ThermalConfig) -> np.ndarray:
    """Share of the day's demand drawn in each weather row: the profile at the row's local hour."""
    profile = np.asarray(thermal.draw_profile, np.float64)
    profile = profile / profile.sum()
    local = (weather.data.index.hour.to_numpy() + int(round(thermal.utc_offset))) % 24
    return profile[local] * weather.interval_hours


def demand_kwh(daily_litres, thermal: ThermalConfig, weather: Weather, shares=None) -> np.ndarray:
    """Heat of the hot water demand over the weather period [kWh]: daily litres at the set-point from mains.

    ``shares``: the share of the daily litres drawn in each weather row (default :func:`draw_shares`, every day
    alike; a per-row array lets days without use draw nothing)."""
    shares = draw_shares(weather, thermal) if shares is None else np.asarray(shares, np.float64)
    dt_k = np.maximum(thermal.set_point - mains_hourly(weather, thermal), 0.0)
    per_litre = float((shares * dt_k).sum()) * RHO_WATER / 1000.0 * CP_WATER / _J_PER_KWH
    return np.asarray(daily_litres, np.float64) * per_litre


def _temp_air(weather: Weather) -> np.ndarray:
    if "temp_air" not in weather.data:
        return np.full(len(weather.data), 12.0)
    t = weather.data["temp_air"].to_numpy(np.float64)
    return np.where(np.isfinite(t), t, 12.0)


def simulate(absorbed_w: np.ndarray, weather: Weather, *, area, tank_l, demand_l,
             thermal: ThermalConfig = ThermalConfig(), shares=None) -> ThermalResult:  # noqa: B008 (frozen)
    """Run the systems hour by hour on their absorbed irradiance.

    Parameters
    ----------
    absorbed_w : (n, rows) array
        Absorbed irradiance per m2 of collector (:func:`absorbed`) [W m-2], rows as ``weather.data``.
    weather : Weather
        Air temperature (``temp_air``, 12 degC where absent) and the rows' stamps.
    area, tank_l, demand_l : (n,) arrays or scalars
        Collector area [m2], tank volume [L], daily hot water demand at the set-point [L/day].
    thermal : ThermalConfig
    shares : (rows,) array, optional
        Share of ``demand_l`` drawn in each row (default :func:`draw_shares`: the daily profile, every day
        alike); e.g. 0 on the days a building is closed.

    Returns
    -------
    ThermalResult
    """
    shares = draw_shares(weather, thermal) if shares is None else np.asarray(shares, np.float64)
    if shares.shape != (len(weather.data),):
        raise ValueError(f"shares: shape {shares.shape}, not one value per weather row ({len(weather.data)})")
    a = np.atleast_2d(np.asarray(absorbed_w, np.float64))
    n = a.shape[0]
    area, tank_l, demand_l = (np.broadcast_to(np.asarray(x, np.float64), (n,)).copy() for x in (area, tank_l, demand_l))
    solar, gain = np.zeros((n, 12)), np.zeros((n, 12))
    month = (weather.data.index.month.to_numpy() - 1).astype(np.int64)
    swh_systems(np.ascontiguousarray(a), _temp_air(weather), mains_hourly(weather, thermal),
                np.ascontiguousarray(shares), month, area, tank_l / 1000.0, tank_ua(tank_l, thermal),
                demand_l * RHO_WATER / 1000.0, thermal.a1, thermal.a2, thermal.flow, thermal.set_point,
                thermal.room_temperature, thermal.max_temperature, weather.interval_hours * 3600.0, solar, gain)
    monthly = solar / _J_PER_KWH
    return ThermalResult(solar_kwh=monthly.sum(axis=1), monthly_kwh=monthly, gain_kwh=gain.sum(axis=1) / _J_PER_KWH,
                         demand_kwh=demand_kwh(demand_l, thermal, weather, shares))


def plane_absorbed(weather: Weather, site: tuple[float, float, float], tilt, azimuth, *,
                   thermal: ThermalConfig = ThermalConfig(), sky: str = "isotropic",  # noqa: B008 (frozen)
                   albedo: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """Absorbed irradiance [W m-2] and plane-of-array global irradiance [W m-2] of unshaded planes, (planes, rows)."""
    sky = check_sky(sky)
    pos = solar_position(weather, *site)
    zen = pos["apparent_zenith"].to_numpy(np.float64)[None, :]
    az = pos["azimuth"].to_numpy(np.float64)[None, :]
    up = (pos["apparent_elevation"].to_numpy(np.float64) > 0.0)[None, :]
    tilt = np.atleast_1d(np.asarray(tilt, np.float64))[:, None]
    azimuth = np.atleast_1d(np.asarray(azimuth, np.float64))[:, None]
    ghi, dni, dhi = (weather.data[c].to_numpy(np.float64)[None, :] for c in ("ghi", "dni", "dhi"))
    extra = np.asarray(pvlib.irradiance.get_extra_radiation(weather.sun_times), np.float64)[None, :]
    airmass = np.asarray(pvlib.atmosphere.get_relative_airmass(zen[0]), np.float64)[None, :]
    poa = pvlib.irradiance.get_total_irradiance(tilt, azimuth, zen, az, dni, ghi, dhi, dni_extra=extra,
                                                airmass=airmass, albedo=albedo, model=sky)
    beam = np.where(up, np.nan_to_num(np.asarray(poa["poa_direct"], np.float64)), 0.0)
    sky_d = np.nan_to_num(np.asarray(poa["poa_sky_diffuse"], np.float64))
    ground = np.nan_to_num(np.asarray(poa["poa_ground_diffuse"], np.float64))
    cos_aoi = np.cos(np.radians(pvlib.irradiance.aoi(tilt, azimuth, zen, az)))
    beam, sky_d, ground = np.broadcast_arrays(beam, sky_d, ground)
    return absorbed(beam, sky_d, ground, cos_aoi, tilt, thermal), np.maximum(beam + sky_d + ground, 0.0)


def _concat(parts: list[ThermalResult]) -> ThermalResult:
    if not parts:
        empty = np.zeros(0)
        return ThermalResult(solar_kwh=empty, monthly_kwh=np.zeros((0, 12)), gain_kwh=empty, demand_kwh=empty)
    return ThermalResult(*(np.concatenate([getattr(p, f.name) for p in parts])
                           for f in dataclasses.fields(ThermalResult)))


def _per_system(n: int, *values) -> list[np.ndarray]:
    return [np.broadcast_to(np.asarray(v, np.float64), (n,)).copy() for v in values]


def plane_thermal(weather: Weather, site: tuple[float, float, float], tilt, azimuth, *, area, tank_l, demand_l,
                  shading=1.0, thermal: ThermalConfig = ThermalConfig(), sky: str = "isotropic",  # noqa: B008
                  albedo: float = 0.2) -> ThermalResult:
    """Systems on unshaded planes (tilt, azimuth [degrees], one per system), their irradiance times ``shading``
    (the face's annual shading ratio, 0-1; 1 unshaded). Other parameters: :func:`simulate`. Work: in chunks of
    :data:`CHUNK_FACES` systems."""
    tilt, azimuth = np.atleast_1d(np.asarray(tilt, np.float64)), np.atleast_1d(np.asarray(azimuth, np.float64))
    n = tilt.size
    area, tank_l, demand_l, shading = _per_system(n, area, tank_l, demand_l, shading)
    ratio = np.clip(np.nan_to_num(shading), 0.0, 1.0)
    parts = []
    for part in _chunks(n, CHUNK_FACES):
        a, _poa = plane_absorbed(weather, site, tilt[part], azimuth[part], thermal=thermal, sky=sky, albedo=albedo)
        parts.append(simulate(a * ratio[part, None], weather, area=area[part], tank_l=tank_l[part],
                              demand_l=demand_l[part], thermal=thermal))
    return _concat(parts)


def _face_absorbed_chunks(weather: Weather, site: tuple[float, float, float], profiles: Profiles, azimuth,
                          thermal: ThermalConfig, sky: str, albedo: float):
    """(slice of faces, their absorbed irradiance [W m-2] (faces, rows)), chunk by chunk of :data:`CHUNK_FACES`."""
    n = len(profiles.faces)
    azimuth = np.broadcast_to(np.asarray(azimuth, np.float64), (n,))
    tilt = np.asarray(profiles.tilt, np.float64)
    az, t = np.radians(azimuth), np.radians(tilt)
    normal = np.column_stack([np.sin(t) * np.sin(az), np.sin(t) * np.cos(az), np.cos(t)])
    sun = sky_rows(weather, *site, n_directions=profiles.quantiles.shape[1], sky=sky, albedo=albedo).sun
    for part in _chunks(n, CHUNK_FACES):
        beam, diffuse, reflected = hourly_poa(weather, site, _Part(profiles, part), sky=sky, albedo=albedo)
        yield part, absorbed(beam, diffuse, reflected, normal[part] @ sun.T, tilt[part, None], thermal)


def face_absorbed(weather: Weather, site: tuple[float, float, float], profiles: Profiles, azimuth, *,
                  thermal: ThermalConfig = ThermalConfig(), sky: str = "isotropic",  # noqa: B008 (frozen)
                  albedo: float = 0.2) -> np.ndarray:
    """Absorbed irradiance [W m-2] of collectors on roof faces with a shading profile, (faces, rows): the hourly
    shaded irradiance of :func:`cadastre.solar.hourly.hourly_poa` through :func:`absorbed`; ``azimuth``
    [degrees] of each face (its tilt is the profile's)."""
    parts = [a for _, a in _face_absorbed_chunks(weather, site, profiles, azimuth, thermal, sky, albedo)]
    return np.concatenate(parts) if parts else np.zeros((0, len(weather.data)))


def face_thermal(weather: Weather, site: tuple[float, float, float], profiles: Profiles, azimuth, *, area, tank_l,
                 demand_l, thermal: ThermalConfig = ThermalConfig(), sky: str = "isotropic",  # noqa: B008
                 albedo: float = 0.2) -> ThermalResult:
    """Systems on roof faces with a shading profile (one per face of ``profiles``, in their order), on the hourly
    shaded irradiance of :func:`cadastre.solar.hourly.hourly_poa`; ``azimuth`` [degrees] of each face (its tilt
    is the profile's). Other parameters: :func:`simulate`. Work: in chunks of :data:`CHUNK_FACES` faces."""
    n = len(profiles.faces)
    area, tank_l, demand_l, azimuth = _per_system(n, area, tank_l, demand_l, azimuth)
    parts = [simulate(a, weather, area=area[part], tank_l=tank_l[part], demand_l=demand_l[part], thermal=thermal)
             for part, a in _face_absorbed_chunks(weather, site, profiles, azimuth, thermal, sky, albedo)]
    return _concat(parts)


class _Part:
    """Faces ``part`` (a slice) of profiles, as :func:`cadastre.solar.hourly.hourly_poa` reads them."""

    def __init__(self, profiles: Profiles, part: slice):
        for name in ("faces", "quantiles", "cumulative", "tilt", "svf", "band_seen", "cells"):
            setattr(self, name, getattr(profiles, name)[part])


def _chunks(n: int, size: int):
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


# --------------------------------------------------------------------------- economics


@dataclasses.dataclass(frozen=True)
class HeatEconomics:
    """Economics of ``n`` solar water heaters, arrays (n,) (floats for one system, as
    :func:`cadastre.qualify.thermal.thermal_economics` gives them): investment and subsidy [€], first-year savings
    and running cost [€/yr], payback [yr, inf: never], NPV [€], fuel saved [kWh/yr], CO2 avoided [t/yr]."""

    investment_eur: np.ndarray
    subsidy_eur: np.ndarray
    savings_eur: np.ndarray
    om_eur: np.ndarray
    payback_years: np.ndarray
    npv_eur: np.ndarray
    fuel_kwh: np.ndarray
    co2_t: np.ndarray


def annuity_factor(discount_rate: float, lifetime_years: int) -> float:
    """``sum_t (1 + r)^-t`` for ``t = 1..lifetime_years`` [yr]."""
    return float(np.sum((1.0 + discount_rate) ** -np.arange(1, lifetime_years + 1)))


def heat_economics(heat_kwh, area_m2, *, price: float, efficiency: float, co2_kg_kwh: float, cost_eur_m2,
                   subsidy_eur_m2: float, om_rate: float, lifetime_years: int,
                   discount_rate: float) -> HeatEconomics:
    """The economics of solar water heaters of ``area_m2`` [m2] delivering ``heat_kwh`` [kWh/yr] (module
    docstring): the fuel they replace costs ``price`` [€/kWh] and emits ``co2_kg_kwh`` [kgCO2e/kWh], its heater
    gives ``efficiency`` kWh of hot water per kWh; ``cost_eur_m2`` (scalar or per system) and ``subsidy_eur_m2``
    [€/m2], ``om_rate`` [1/yr] of the investment, ``discount_rate`` [1/yr] over ``lifetime_years`` [yr]."""
    heat = np.asarray(heat_kwh, np.float64)
    area = np.asarray(area_m2, np.float64)
    fuel = heat / efficiency
    savings = fuel * price
    investment = area * np.asarray(cost_eur_m2, np.float64)
    subsidy = np.minimum(area * subsidy_eur_m2, investment)
    net = investment - subsidy
    om = om_rate * investment
    first = savings - om
    with np.errstate(divide="ignore", invalid="ignore"):
        payback = np.where(first > 0, net / np.where(first > 0, first, 1.0), np.inf)
    return HeatEconomics(investment_eur=investment, subsidy_eur=subsidy, savings_eur=savings, om_eur=om,
                         payback_years=payback, npv_eur=first * annuity_factor(discount_rate, lifetime_years) - net,
                         fuel_kwh=fuel, co2_t=fuel * co2_kg_kwh / 1000.0)


# --------------------------------------------------------------------------- residential sizing

DWELLING_COLUMNS = ("nombre_de_logements", "nb_logts")
"""Footprint attributes giving the number of dwellings (BD TOPO BATIMENT; case-insensitive)."""
LEVEL_COLUMNS = ("nombre_d_etages", "nb_etages")
HEIGHT_COLUMNS = ("hauteur",)
USAGE_COLUMNS = ("usage_1", "usage1")
RESIDENTIAL = "résidentiel"


def _column(frame: pd.DataFrame, names: tuple[str, ...]) -> pd.Series | None:
    lower = {str(c).lower(): c for c in frame.columns}
    for name in names:
        for prefix in ("", "input_"):
            if prefix + name in lower:
                return frame[lower[prefix + name]]
    return None


def residential_systems(buildings: pd.DataFrame, height=None,
                        thermal: ThermalConfig = ThermalConfig()) -> pd.DataFrame:  # noqa: B008 (frozen)
    """The standard solar water heater of each residential building: dwellings, collector area, tank, demand.

    Rules (parameters of :class:`ThermalConfig`): a building whose usage (BD TOPO ``usage_1``) is given and
    not residential gets none. Dwellings: the footprints' ``nombre_de_logements`` / ``NB_LOGTS`` when given
    (> 0); else, from the floor area ``footprint_area_m2 x levels / floor_per_dwelling`` (levels from
    ``nombre_d_etages`` / ``NB_ETAGES``, else the height (``hauteur``, else ``height`` [m]) /
    ``storey_height``, at least 1), except that a footprint below ``house_max_footprint`` with at most 2
    levels is one house. One dwelling: a CESI (``house_area``, ``house_tank``, ``house_demand``); more: a
    collective system of ``dwelling_area`` and ``dwelling_demand`` per dwelling and ``tank_per_area``.

    Returns
    -------
    DataFrame, index of ``buildings``
        ``dwellings`` (float, 0 without a system), ``area_m2``, ``tank_l``, ``demand_l`` (L/day).
    """
    n = len(buildings)
    footprint = buildings["footprint_area_m2"].to_numpy(np.float64) if n else np.zeros(0)
    usage = _column(buildings, USAGE_COLUMNS)
    residential = np.ones(n, bool)
    if usage is not None:
        text = usage.astype("string").str.strip().str.lower()
        residential = (text.isna() | (text == "") | (text == RESIDENTIAL)).fillna(True).to_numpy(bool)
    levels = np.full(n, np.nan)
    given_levels = _column(buildings, LEVEL_COLUMNS)
    if given_levels is not None:
        levels = pd.to_numeric(given_levels, errors="coerce").to_numpy(np.float64)
    h = _column(buildings, HEIGHT_COLUMNS)
    h = pd.to_numeric(h, errors="coerce").to_numpy(np.float64) if h is not None else np.full(n, np.nan)
    if height is not None:
        h = np.where(np.isfinite(h), h, np.asarray(height, np.float64))
    from_height = np.maximum(1.0, np.round(np.nan_to_num(h, nan=thermal.storey_height) / thermal.storey_height))
    levels = np.where(np.isfinite(levels) & (levels > 0), levels, from_height)
    estimated = np.maximum(1.0, np.round(footprint * levels / thermal.floor_per_dwelling))
    estimated = np.where((footprint < thermal.house_max_footprint) & (levels <= 2), 1.0, estimated)
    given = _column(buildings, DWELLING_COLUMNS)
    dwellings = estimated
    if given is not None:
        g = pd.to_numeric(given, errors="coerce").to_numpy(np.float64)
        dwellings = np.where(np.isfinite(g) & (g > 0), g, estimated)
    dwellings = np.where(residential, dwellings, 0.0)
    return dwelling_systems(dwellings, thermal=thermal, index=buildings.index)


def dwelling_systems(dwellings, thermal: ThermalConfig = ThermalConfig(),  # noqa: B008 (frozen)
                     index: pd.Index | None = None) -> pd.DataFrame:
    """The standard system of buildings of ``dwellings`` dwellings each (0: none): the sizing rule of
    :func:`residential_systems` once the dwellings are known (one: a CESI; more: a collective system).

    Returns
    -------
    DataFrame (index ``index``, default a range)
        ``dwellings``, ``area_m2`` [m2], ``tank_l`` [L], ``demand_l`` [L/day].
    """
    dwellings = np.maximum(np.nan_to_num(np.asarray(dwellings, np.float64)), 0.0)
    house = dwellings == 1
    area = np.where(house, thermal.house_area, dwellings * thermal.dwelling_area)
    tank = np.where(house, thermal.house_tank, area * thermal.tank_per_area)
    demand = np.where(house, thermal.house_demand, dwellings * thermal.dwelling_demand)
    return pd.DataFrame({"dwellings": dwellings, "area_m2": area, "tank_l": tank, "demand_l": demand}, index=index)
