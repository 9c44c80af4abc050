"""Run NREL SAM's solar water heating model (PySAM ``Swh``) on the inputs of :mod:`cadastre.solar.thermal`.

The mapping of the inputs (``docs/method.md``, Solar hot water):

- weather: the rows of the :class:`~cadastre.solar.weather.Weather` as they are (UTC stamps, ``tz = 0``), with
  ``minute = 10``: SAM then evaluates the sun at HH:10, PVGIS's instant (its unshaded plane-of-array
  irradiance equals pvlib's to 0.02 %); ``irrad_mode = 0`` (beam and diffuse), ``sky_model = 0`` (isotropic);
- collector: SAM's ``FRta``, ``FRUL`` are inlet-temperature coefficients at the test flow; from EN ISO 9806's
  ``η0``, ``a1`` at the loop flow ``m`` (Duffie and Beckman 2013, eq. 6.19.x): ``FRta = η0 / (1 + a1 / (2 m
  cp))``, ``FRUL = a1 / (1 + a1 / (2 m cp))``; SAM is linear: compare with ``a2 = 0``; ``iam = b0``; one
  collector of the whole area, ``mdot = test_flow = m x area`` (no flow correction), water in both loops;
- no heat exchanger (``hx_eff = 1``), negligible pipe (1 mm, k = 1e-6) and pump (1e-6 W);
- tank: ``V_tank``; SAM's ``U_tank`` [W/m2K] = our UA / SAM's tank surface (height = 2 x diameter);
  ``T_room``, ``T_tank_max``, ``T_set`` ours;
- mains: ``custom_mains`` = ours hour by hour; draw: ``scaled_draw`` [kg/h] = our hourly draw.

SAM's ``annual_energy`` (energy saved: auxiliary without solar minus auxiliary with solar, minus pump) is
our ``solar_kwh``.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from cadastre.config import ThermalConfig
from cadastre.solar.thermal import draw_shares, mains_hourly, tank_ua
from cadastre.solar.weather import Weather
from kernels.thermal import CP_WATER


def sam_inputs(weather: Weather) -> dict:
    """SAM's ``solar_resource_data`` of a weather (rows as given, UTC)."""
    idx = weather.data.index
    data = weather.data
    lat, lon = weather.metadata["latitude"], weather.metadata["longitude"]
    return dict(year=[2015] * len(idx), month=list(idx.month), day=list(idx.day), hour=list(idx.hour),
                minute=[10] * len(idx), dn=list(data["dni"]), df=list(data["dhi"]), gh=list(data["ghi"]),
                tdry=list(data["temp_air"]), wspd=list(data.get("wind_speed", 0.0 * data["ghi"])),
                lat=lat, lon=lon, tz=0, elev=0)


def run_sam(weather: Weather, tilt: float, azimuth: float, *, area: float, tank_l: float, demand_l: float,
            thermal: ThermalConfig, resource: dict | None = None) -> dict:
    """Annual and monthly results of PySAM ``Swh`` [kWh]: ``solar_kwh``, ``monthly_kwh``, ``solar_fraction``."""
    import PySAM.Swh as Swh

    m = Swh.default("SolarWaterHeatingNone")
    m.SolarResource.solar_resource_data = resource or sam_inputs(weather)
    flow = thermal.flow * area
    f = 1.0 + thermal.a1 / (2.0 * thermal.flow * CP_WATER)
    v = tank_l / 1000.0
    radius = (v / (2 * math.pi * 2.0)) ** (1 / 3)
    surface = 2 * math.pi * radius ** 2 + 2 * math.pi * radius * (2 * radius * 2.0)
    draw = demand_l * draw_shares(weather, thermal)
    m.SWH.assign(dict(
        tilt=tilt, azimuth=azimuth, albedo=0.2, irrad_mode=0, sky_model=0,
        FRta=thermal.eta0 / f, FRUL=thermal.a1 / f, iam=thermal.iam_b0, area_coll=area, ncoll=1,
        mdot=flow, test_flow=flow, fluid=0, test_fluid=0, hx_eff=1.0,
        pipe_length=1e-3, pipe_diam=0.02, pipe_k=1e-6, pipe_insul=0.02, pump_power=1e-6, pump_eff=0.85,
        V_tank=v, tank_h2d_ratio=2.0, U_tank=float(tank_ua(tank_l, thermal)) / surface,
        T_room=thermal.room_temperature, T_tank_max=thermal.max_temperature, T_set=thermal.set_point,
        use_custom_mains=1, custom_mains=list(mains_hourly(weather, thermal)), use_custom_set=0,
        custom_set=[thermal.set_point] * len(draw), scaled_draw=list(draw),
        system_capacity=area * thermal.eta0 * 0.7,
    ))
    m.execute()
    out = m.Outputs
    return {"solar_kwh": out.annual_energy, "monthly_kwh": np.asarray(out.monthly_energy),
            "solar_fraction": out.solar_fraction, "poa_kwh": float(np.sum(out.I_incident)) / 1000.0}


def linear(thermal: ThermalConfig) -> ThermalConfig:
    """``thermal`` without the second-order loss (SAM's collector is linear)."""
    return dataclasses.replace(thermal, a2=0.0)
