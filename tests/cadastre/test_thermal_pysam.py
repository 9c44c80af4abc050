"""The solar water heating model against NREL SAM's (PySAM ``Swh``) on the same inputs (mapping: thermal_pysam)."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

from cadastre.config import ThermalConfig
from cadastre.solar.thermal import plane_absorbed, plane_thermal
from cadastre.solar.weather import load_weather

pytest.importorskip("PySAM.Swh")

from thermal_pysam import linear, run_sam, sam_inputs  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CLIMATES = {
    "lille-area": ROOT / "cadastre" / "data" / "pvgis_tmy_50.811_3.310_2005_2020.csv",
    "coast": ROOT / "tests" / "data" / "weather" / "pvgis_tmy_50.911_3.192_2005_2020.csv",
}
PLANES = {"south-45": (45.0, 180.0), "east-30": (30.0, 90.0), "west-60": (60.0, 270.0), "flat-5": (5.0, 180.0)}
DEMANDS = {"house": (4.0, 300.0, 150.0), "large": (40.0, 2400.0, 2000.0)}  # m2, L, L/day


@functools.cache
def _weather(name: str):
    w = load_weather(CLIMATES[name])
    return w, sam_inputs(w), (w.metadata["latitude"], w.metadata["longitude"], 0.0)


@pytest.mark.slow
@pytest.mark.parametrize("climate", list(CLIMATES))
@pytest.mark.parametrize("plane", list(PLANES))
def test_annual_useful_heat_within_5_percent_of_pysam(climate, plane):
    weather, resource, site = _weather(climate)
    tilt, azimuth = PLANES[plane]
    thermal = linear(ThermalConfig())
    for area, tank, demand in DEMANDS.values():
        sam = run_sam(weather, tilt, azimuth, area=area, tank_l=tank, demand_l=demand, thermal=thermal,
                      resource=resource)
        ours = plane_thermal(weather, site, [tilt], [azimuth], area=area, tank_l=tank, demand_l=demand,
                             thermal=thermal)
        assert ours.solar_kwh[0] == pytest.approx(sam["solar_kwh"], rel=0.05)
        assert ours.solar_fraction[0] == pytest.approx(sam["solar_fraction"], abs=0.03)


def test_same_plane_irradiance_as_pysam():
    """The inputs are the same: SAM's unshaded isotropic plane-of-array irradiation equals ours to 0.1 %."""
    weather, resource, site = _weather("lille-area")
    thermal = linear(ThermalConfig())
    sam = run_sam(weather, 30.0, 90.0, area=4.0, tank_l=300.0, demand_l=150.0, thermal=thermal, resource=resource)
    _absorbed, poa = plane_absorbed(weather, site, [30.0], [90.0])
    assert poa.sum() / 1000.0 == pytest.approx(sam["poa_kwh"], rel=1e-3)


def test_monthly_shape_follows_pysam():
    weather, resource, site = _weather("lille-area")
    thermal = linear(ThermalConfig())
    sam = run_sam(weather, 45.0, 180.0, area=4.0, tank_l=300.0, demand_l=150.0, thermal=thermal, resource=resource)
    ours = plane_thermal(weather, site, [45.0], [180.0], area=4.0, tank_l=300.0, demand_l=150.0, thermal=thermal)
    assert np.corrcoef(ours.monthly_kwh[0], sam["monthly_kwh"])[0, 1] > 0.99
    np.testing.assert_allclose(ours.monthly_kwh[0], sam["monthly_kwh"], rtol=0.15)
