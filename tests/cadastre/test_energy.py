"""PVWatts production of unshaded planes at Lens: against pvlib run directly, the yield table, plausible ranges.

The reference pipeline below is written here with pvlib alone (solar position, transposition,
SAPM cell temperature, PVWatts DC and inverter), so that it does not share code with
cadastre.solar.energy. Weather: the default TMY (Lens proxy).
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd
import pvlib
import pytest

from cadastre.config import PVConfig
from cadastre.solar.energy import (
    YieldTable,
    poa_annual,
    pvwatts_hourly,
    pvwatts_planes,
    specific_yield,
    yield_table,
)
from cadastre.errors import OptionError
from cadastre.solar.weather import load_weather

LAT, LON, ALT = 50.43, 2.83, 54.0
SITE = (LAT, LON, ALT)


@pytest.fixture(scope="module")
def weather():
    return load_weather(None)


@pytest.fixture(scope="module")
def table_and_time(weather):
    started = time.perf_counter()
    table = yield_table(weather, *SITE)
    return table, time.perf_counter() - started


@pytest.fixture(scope="module")
def table(table_and_time):
    return table_and_time[0]


def reference(weather, tilt, azimuth, *, sky="perez", albedo=0.2, pv=None):
    """POA [W m-2] and AC power [W per kWp] per row, with pvlib only."""
    pv = pv or PVConfig()
    d = weather.data
    temp_air = d["temp_air"].to_numpy() if "temp_air" in d else np.full(len(d), 12.0)
    wind = d["wind_speed"].to_numpy() if "wind_speed" in d else np.full(len(d), 1.0)
    sun = pvlib.solarposition.get_solarposition(weather.sun_times, LAT, LON, altitude=ALT, temperature=temp_air)
    irr = pvlib.irradiance.get_total_irradiance(
        tilt,
        azimuth,
        sun["apparent_zenith"],
        sun["azimuth"],
        pd.Series(d["dni"].to_numpy(), index=sun.index),
        pd.Series(d["ghi"].to_numpy(), index=sun.index),
        pd.Series(d["dhi"].to_numpy(), index=sun.index),
        dni_extra=pvlib.irradiance.get_extra_radiation(weather.sun_times),
        airmass=pvlib.atmosphere.get_relative_airmass(sun["apparent_zenith"]),
        albedo=albedo,
        model=sky,
    )
    beam = irr["poa_direct"].where(sun["apparent_elevation"] > 0, 0.0).fillna(0.0)
    poa = (beam + irr["poa_diffuse"].fillna(0.0)).to_numpy()
    params = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"][pv.temperature_model]
    cell = pvlib.temperature.sapm_cell(poa, temp_air, wind, **params)
    dc = pvlib.pvsystem.pvwatts_dc(poa, cell, 1000.0, pv.gamma_pdc) * (1 - pv.system_losses)
    ac = pvlib.inverter.pvwatts(dc, 1000.0 / pv.dc_ac_ratio / pv.inverter_efficiency, pv.inverter_efficiency)
    return poa, ac


# --------------------------------------------------------------------------
# against pvlib run directly
# --------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "tilt, azimuth, sky",
    [
        (35, 180, "perez"),
        (0, 0, "perez"),
        (20, 90, "perez"),
        (45, 270, "perez"),
        (60, 0, "perez"),
        (10, 135, "isotropic"),
        (90, 180, "isotropic"),
    ],
)
def test_matches_pvlib(weather, tilt, azimuth, sky):
    poa, ac = reference(weather, tilt, azimuth, sky=sky)
    assert poa_annual(weather, *SITE, tilt, azimuth, sky=sky) == pytest.approx(poa.sum() / 1000.0, rel=1e-3)
    assert specific_yield(weather, *SITE, tilt, azimuth, sky=sky) == pytest.approx(ac.sum() / 1000.0, rel=1e-3)


def test_hourly_matches_pvlib_with_other_system(weather):
    pv = PVConfig(
        system_losses=0.1,
        inverter_efficiency=0.97,
        dc_ac_ratio=1.3,
        gamma_pdc=-0.004,
        temperature_model="open_rack_glass_polymer",
    )
    hourly = pvwatts_hourly(weather, *SITE, 30, 200, pv=pv, albedo=0.3)
    poa, ac = reference(weather, 30, 200, pv=pv, albedo=0.3)
    assert list(hourly.columns) == ["poa_global", "temp_cell", "p_dc", "p_ac"]
    assert hourly.index.equals(weather.data.index)
    np.testing.assert_allclose(hourly["poa_global"], poa, atol=1e-6)
    np.testing.assert_allclose(hourly["p_ac"], ac, atol=1e-6)


@pytest.mark.slow
def test_planes_match_pvlib_plane_by_plane(weather):
    """pvwatts_planes (sun positions once, every plane together) = pvlib run plane by plane."""
    planes = [(30, 200), (0, 180), (45, 90), (12, 300)]
    p_ac = pvwatts_planes(weather, *SITE, [t for t, _ in planes], [a for _, a in planes], albedo=0.3)
    assert p_ac.shape == (len(weather.data), len(planes))
    for k, (tilt, azimuth) in enumerate(planes):
        np.testing.assert_allclose(p_ac[:, k], reference(weather, tilt, azimuth, albedo=0.3)[1], atol=1e-6)
    with pytest.raises(OptionError, match="surface_tilt"):
        pvwatts_planes(weather, *SITE, [30, 200], [180, 180])


def test_defaults_without_temperature_and_wind(weather):
    bare = dataclasses.replace(weather, data=weather.data[["ghi", "dni", "dhi"]])
    _, ac = reference(bare, 35, 180)
    assert specific_yield(bare, *SITE, 35, 180) == pytest.approx(ac.sum() / 1000.0, rel=1e-3)
    cell = pvwatts_hourly(bare, *SITE, 35, 180)["temp_cell"]
    # 12 °C air at night
    assert cell[bare.data["ghi"] == 0].eq(12.0).all()


# --------------------------------------------------------------------------
# yield table
# --------------------------------------------------------------------------


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_yield_table_time_and_shape(table_and_time):
    table, seconds = table_and_time
    assert seconds < 10.0, f"yield_table took {seconds:.1f} s"
    assert table.tilts[0] == 0.0 and table.tilts[-1] == 90.0 and len(table.tilts) == 37
    assert table.azimuths[0] == 0.0 and len(table.azimuths) == 72
    assert table.poa.shape == table.yield_.shape == (37, 72)


@pytest.mark.slow
def test_tilt_zero_is_the_same_for_every_azimuth(table):
    assert np.all(table.poa[0] == table.poa[0, 0])
    assert np.all(table.yield_[0] == table.yield_[0, 0])


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_lookup_matches_direct_computation(weather, table):
    rng = np.random.default_rng(20240611)
    tilts, azimuths = rng.uniform(0.0, 60.0, 15), rng.uniform(0.0, 360.0, 15)
    poa, spec = table.lookup(tilts, azimuths)
    for k in range(15):
        assert poa[k] == pytest.approx(poa_annual(weather, *SITE, tilts[k], azimuths[k]), rel=5e-3)
        assert spec[k] == pytest.approx(specific_yield(weather, *SITE, tilts[k], azimuths[k]), rel=5e-3)


@pytest.mark.slow
def test_lookup_at_nodes_periodicity_clipping_and_nan(table):
    poa, spec = table.lookup(table.tilts[6], table.azimuths[36])
    assert poa == pytest.approx(table.poa[6, 36], rel=1e-12) and spec == pytest.approx(table.yield_[6, 36], rel=1e-12)
    a, _ = table.lookup(30.0, [-10.0, 350.0, 710.0])
    assert a[0] == pytest.approx(a[1]) and a[1] == pytest.approx(a[2])
    # between the last azimuth node and 360
    edge, _ = table.lookup(30.0, 357.5)
    i = int(np.flatnonzero(table.tilts == 30.0)[0])
    assert edge == pytest.approx((table.poa[i, -1] + table.poa[i, 0]) / 2)
    steep, _ = table.lookup([95.0, -5.0], 180.0)
    assert steep[0] == pytest.approx(table.poa[-1, 36]) and steep[1] == pytest.approx(table.poa[0, 0])
    poa, spec = table.lookup(np.array([[np.nan, 10.0]]), np.array([180.0, np.nan]))
    assert poa.shape == spec.shape == (1, 2) and np.isnan(poa).all() and np.isnan(spec).all()


@pytest.mark.slow
def test_optimum_is_refined_and_consistent(weather, table):
    tilt, azimuth, poa = table.optimum()
    assert poa >= table.poa.max()
    assert poa == pytest.approx(poa_annual(weather, *SITE, tilt, azimuth), rel=1e-9)
    grid_only = YieldTable(table.tilts, table.azimuths, table.poa, table.yield_)
    assert grid_only.optimum()[2] == table.poa.max()


def test_steps_that_do_not_divide_the_range(weather):
    month = dataclasses.replace(weather, data=weather.data.iloc[:744], sun_times=weather.sun_times[:744])
    t = yield_table(month, *SITE, tilt_step=4.0, azimuth_step=7.0)
    assert t.tilts[-1] == 90.0 and np.all(np.diff(t.tilts) <= 4.0)
    assert len(t.azimuths) == 52 and np.all(np.diff(t.azimuths) <= 7.0)
    for bad in ({"tilt_step": 0.0}, {"tilt_step": 60.0}, {"azimuth_step": -5.0}, {"azimuth_step": float("nan")}):
        with pytest.raises(OptionError):
            yield_table(month, *SITE, **bad)


# --------------------------------------------------------------------------
# plausibility: what a lost cosine or a wrong unit would break
# --------------------------------------------------------------------------


def test_unshaded_optimum_at_lens(table):
    tilt, azimuth, poa = table.optimum()
    assert 30.0 <= tilt <= 45.0
    assert 170.0 <= azimuth <= 190.0
    assert 1200.0 <= poa <= 1400.0


def test_yields_south_and_north(weather):
    south = specific_yield(weather, *SITE, 35, 180)
    north = specific_yield(weather, *SITE, 35, 0)
    assert 850.0 <= south <= 1150.0
    assert north < 0.75 * south


def test_horizontal_poa_is_ghi(weather, table):
    ghi = weather.data["ghi"].sum() * weather.interval_hours / 1000.0
    assert poa_annual(weather, *SITE, 0, 180) == pytest.approx(ghi, rel=0.01)
    assert table.poa[0, 0] == pytest.approx(ghi, rel=0.01)


# --------------------------------------------------------------------------
# PVWatts conventions
# --------------------------------------------------------------------------


def test_ac_within_inverter_rating(weather):
    pv = PVConfig(dc_ac_ratio=1.6)  # small inverter: clips on clear noons
    hourly = pvwatts_hourly(weather, *SITE, 35, 180, pv=pv)
    rating = 1000.0 / pv.dc_ac_ratio
    assert hourly["p_ac"].max() <= rating + 1e-9
    assert (hourly["p_ac"] > rating - 1e-6).any()
    assert (hourly["p_ac"] >= 0).all() and (hourly["p_dc"] >= 0).all()


def test_no_irradiance_no_power(weather):
    hourly = pvwatts_hourly(weather, *SITE, 35, 180)
    dark = (weather.data[["ghi", "dni", "dhi"]] == 0).all(axis=1)
    assert dark.sum() > 3000
    assert (hourly.loc[dark, ["poa_global", "p_dc", "p_ac"]] == 0).all().all()


def test_pvlib_inverter_has_no_night_tare():
    # pvlib's PVWatts inverter clips its negative efficiency at very low load (zeta < 0.006) to 0 W
    ac = pvlib.inverter.pvwatts(np.array([0.0, 1e-3, 1.0, 5.0]), 1000.0 / 1.1 / 0.96, 0.96)
    assert ac[0] == 0.0 and ac[1] == 0.0 and (ac >= 0).all()


def test_bad_options(weather):
    with pytest.raises(OptionError, match="--sky"):
        poa_annual(weather, *SITE, 35, 180, sky="hay")
    with pytest.raises(OptionError, match="albedo"):
        specific_yield(weather, *SITE, 35, 180, albedo=1.5)
    with pytest.raises(OptionError, match="surface_tilt"):
        pvwatts_hourly(weather, *SITE, -5, 180)
    with pytest.raises(OptionError, match="latitude"):
        poa_annual(weather, 95.0, LON, ALT, 35, 180)
