"""Solar water heating model: physics sanity, parameters, sizing (cadastre.solar.thermal, kernels.thermal)."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cadastre.config import Config, ThermalConfig, config_from_dict
from cadastre.errors import OptionError
from cadastre.solar.thermal import (
    mains_from_air,
    plane_absorbed,
    plane_thermal,
    residential_systems,
    simulate,
    tank_ua,
)
from cadastre.solar.weather import load_weather
from kernels.thermal import collector_gain

ROOT = Path(__file__).resolve().parents[2]
SITE = (50.811, 3.310, 0.0)


@functools.cache
def _weather():
    return load_weather(ROOT / "cadastre" / "data" / "pvgis_tmy_50.811_3.310_2005_2020.csv")


def test_useful_heat_below_incident_times_optical_efficiency():
    w = _weather()
    tilts, azimuths = [45.0, 30.0, 60.0, 5.0, 90.0], [180.0, 90.0, 270.0, 180.0, 180.0]
    areas = np.array([4.0, 20.0, 2.0, 40.0, 4.0])
    r = plane_thermal(w, SITE, tilts, azimuths, area=areas, tank_l=[300, 1200, 200, 2400, 300],
                      demand_l=[150, 1000, 300, 2000, 5000])
    _a, poa = plane_absorbed(w, SITE, tilts, azimuths)
    bound = poa.sum(axis=1) / 1000.0 * ThermalConfig().eta0 * areas
    assert (r.solar_kwh > 0).all()
    assert (r.gain_kwh <= bound).all() and (r.solar_kwh <= r.gain_kwh).all()
    np.testing.assert_allclose(r.monthly_kwh.sum(axis=1), r.solar_kwh)
    np.testing.assert_allclose(r.aux_kwh, r.demand_kwh - r.solar_kwh)


def test_zero_demand_gives_zero_useful_heat():
    r = plane_thermal(_weather(), SITE, [45.0], [180.0], area=4.0, tank_l=300.0, demand_l=0.0)
    assert r.solar_kwh[0] == 0.0 and r.demand_kwh[0] == 0.0 and r.solar_fraction[0] == 0.0
    assert r.gain_kwh[0] > 0  # the collector heats the tank until it reaches its maximum


def test_solar_fraction_rises_with_area_and_saturates_below_one():
    areas = np.array([1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0])
    r = plane_thermal(_weather(), SITE, [45.0] * 7, [180.0] * 7, area=areas, tank_l=300.0, demand_l=150.0)
    f = r.solar_fraction
    assert (np.diff(f) > 0).all() and f[-1] < 1.0
    gains = np.diff(f) / np.diff(areas)  # the marginal gain per m2 falls
    assert (np.diff(gains) < 0).all()
    assert f[-1] - f[-2] < 0.05


def test_shading_lowers_useful_heat():
    r = plane_thermal(_weather(), SITE, [45.0] * 3, [180.0] * 3, area=4.0, tank_l=300.0, demand_l=150.0,
                      shading=[1.0, 0.8, 0.5])
    assert r.solar_kwh[0] > r.solar_kwh[1] > r.solar_kwh[2] > 0


def test_collector_gain_solves_the_mean_temperature_balance():
    for s, d, a1, a2, c in ((800.0, 30.0, 3.8, 0.012, 0.006), (300.0, 10.0, 4.0, 0.0, 0.006),
                            (600.0, -5.0, 3.5, 0.02, 0.0)):
        q = collector_gain(s, d, a1, a2, c)
        x = d + c * q
        assert q == pytest.approx(s - a1 * x - a2 * x * x, abs=1e-9)


def test_simulate_without_irradiance_delivers_nothing():
    w = _weather()
    r = simulate(np.zeros((1, len(w.data))), w, area=4.0, tank_l=300.0, demand_l=150.0)
    # only the month-to-month steps of the mains temperature leave the tank a little warmer than the mains
    assert r.solar_kwh[0] < 1e-3 * r.demand_kwh[0]


def test_default_mains_are_burch_christensen_on_the_shipped_weather():
    np.testing.assert_allclose(np.round(mains_from_air(_weather()) * 2) / 2, ThermalConfig().mains_temperature)


def test_tank_losses_are_the_class_c_limit():
    assert tank_ua(300.0) == pytest.approx((16.66 + 8.33 * 300 ** 0.4) / 45.0)
    assert tank_ua(300.0, dataclasses.replace(ThermalConfig(), tank_loss_factor=0.5)) == pytest.approx(
        tank_ua(300.0) / 2)


def test_thermal_section_of_the_configuration():
    config = config_from_dict({"thermal": {"eta0": 0.75, "house_area": 5}})
    assert config.thermal.eta0 == 0.75 and config.thermal.house_area == 5.0
    assert Config().thermal == ThermalConfig()
    with pytest.raises(OptionError, match="thermal.mains_temperature has 3 values; give 12"):
        config_from_dict({"thermal": {"mains_temperature": [10.0, 11.0, 12.0]}}, "x.toml")
    with pytest.raises(OptionError, match="thermal.eta0"):
        config_from_dict({"thermal": {"eta0": 1.5}}, "x.toml")


def test_residential_sizing():
    frame = pd.DataFrame({
        "footprint_area_m2": [100.0, 100.0, 400.0, 400.0, 100.0, 500.0],
        "input_NB_LOGTS": [None, 12, None, None, None, 0],
        "input_USAGE1": ["Résidentiel", "Résidentiel", "Résidentiel", None, "Industriel", None],
        "input_HAUTEUR": [6.0, 15.0, 12.0, 3.0, 6.0, 6.0],
    })
    t = ThermalConfig()
    out = residential_systems(frame, thermal=t)
    # a small house; 12 dwellings given; 400 m2 x 4 levels / 65 m2; 400 m2 on one level; not residential;
    # no dwelling count (0 = unknown): 500 m2 x 2 levels / 65
    np.testing.assert_allclose(out["dwellings"], [1, 12, 25, 6, 0, 15])
    np.testing.assert_allclose(out["area_m2"], [4.0, 12 * 1.2, 25 * 1.2, 6 * 1.2, 0.0, 15 * 1.2])
    np.testing.assert_allclose(out["tank_l"], [300.0, 12 * 1.2 * 60, 25 * 1.2 * 60, 6 * 1.2 * 60, 0.0, 15 * 1.2 * 60])
    np.testing.assert_allclose(out["demand_l"], [150.0, 12 * 80, 25 * 80, 6 * 80, 0.0, 15 * 80])


def test_residential_sizing_from_the_measured_height_without_attributes():
    frame = pd.DataFrame({"footprint_area_m2": [120.0, 300.0]})
    out = residential_systems(frame, height=[5.0, 14.0])
    np.testing.assert_allclose(out["dwellings"], [1, round(300 * 5 / 65)])
