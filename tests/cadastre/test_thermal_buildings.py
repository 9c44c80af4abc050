"""Solar water heating of buildings and faces, and in the tables (cadastre.roofs.buildings.building_thermal)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from helpers import dsm_array
from scenes import CELL, GROUND, town

from cadastre import irradiance
from cadastre.areas.aggregate import aggregate
from cadastre.config import Config, ThermalConfig
from cadastre.roofs.buildings import BUILDING_THERMAL_COLUMNS, ROOF_THERMAL_COLUMNS, building_thermal, compute_buildings
from cadastre.solar.thermal import heat_economics, plane_thermal
from cadastre.solar.weather import load_weather
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SITE = (50.811, 3.310, 0.0)


def _weather():
    return load_weather(ROOT / "cadastre" / "data" / "pvgis_tmy_50.811_3.310_2005_2020.csv")


def test_building_thermal_places_the_standard_system_on_the_best_face():
    faces = pd.DataFrame({"face": [1, 2, 3], "usable_area_m2": [40.0, 6.0, 50.0], "tilt": [35.0, 35.0, 20.0],
                          "azimuth": [180.0, 90.0, 180.0], "shading_ratio": [1.0, 0.9, 1.0]})
    buildings = pd.DataFrame({"building_id": [1, 2, 3, 4], "footprint_area_m2": [100.0, 90.0, 500.0, 80.0],
                              "best_face": [1, 2, 3, 0], "has_data": [True, True, True, True],
                              "input_USAGE1": ["Résidentiel", None, "Commercial et services", "Résidentiel"]})
    w = _weather()
    face_out, out = building_thermal(faces, buildings, w, SITE, Config())
    # a house: the CESI, 4 m2; a house on a 6 m2 face: capped at half of it; not residential; no suitable face
    np.testing.assert_allclose(out["thermal_area_m2"], [4.0, 3.0, 0.0, 0.0])
    np.testing.assert_allclose(out["dwellings"], [1, 1, 0, 1])
    alone = plane_thermal(w, SITE, [35.0], [180.0], area=4.0, tank_l=300.0, demand_l=150.0)
    assert out["thermal_mwh"].iloc[0] == pytest.approx(alone.solar_kwh[0] / 1000.0)
    assert out["thermal_fraction"].iloc[0] == pytest.approx(alone.solar_fraction[0])
    assert 0 < out["thermal_fraction"].iloc[1] < out["thermal_fraction"].iloc[0]
    assert list(face_out.index) == [1, 2] and list(face_out.columns) == list(ROOF_THERMAL_COLUMNS)
    np.testing.assert_allclose(face_out["thermal_yield"], 1000.0 * face_out["thermal_mwh"] / face_out["thermal_area_m2"])
    assert list(out.columns) == list(BUILDING_THERMAL_COLUMNS)


def _table_input(thermal: bool) -> pd.DataFrame:
    frame = pd.DataFrame({"insee": ["59001", "59001", "59002"], "commune": ["A", "A", "B"],
                          "epci_siren": ["1", "1", "1"], "epci": ["E", "E", "E"], "roof_area_m2": [100.0] * 3,
                          "usable_area_m2": [50.0] * 3, "usable_area_net_m2": [30.0] * 3, "kwp": [10.0] * 3,
                          "kwp_net": [6.0] * 3, "mwh": [9.0] * 3, "mwh_net": [6.0] * 3})
    if thermal:
        frame["thermal_area_m2"] = [4.0, 0.0, 12.0]
        frame["thermal_mwh"] = [1.6, 0.0, 4.5]
    return frame


def test_tables_sum_the_thermal_potential():
    communes = aggregate(_table_input(True), "insee")
    np.testing.assert_allclose(communes["thermal_area_m2"], [4.0, 12.0])
    np.testing.assert_allclose(communes["thermal_gwh"], [0.0016, 0.0045])
    territory = aggregate(_table_input(True), None)
    assert territory["thermal_gwh"].iloc[0] == pytest.approx(0.0061)
    # a result written before solar water heating: its tables count none
    assert aggregate(_table_input(False), None)["thermal_gwh"].iloc[0] == 0.0


@pytest.mark.slow
def test_compute_buildings_writes_the_thermal_columns_from_the_profiles():
    z, footprints, _expected = town()
    w = _weather()
    irr = irradiance(dsm_array(z, CELL), w, n_directions=16, sky="perez", horizons=True)
    result = compute_buildings(irr, footprints, w, ndsm=z - GROUND)
    assert result.profiles is not None
    b, roofs = result.buildings, result.roofs
    assert (b["thermal_area_m2"] > 0).any()
    with_system = roofs[roofs["thermal_area_m2"] > 0]
    assert with_system["thermal_yield"].notna().all() and roofs.loc[roofs["thermal_area_m2"] == 0,
                                                                    "thermal_yield"].isna().all()
    per_building = with_system.groupby("building_id")["thermal_mwh"].sum()
    np.testing.assert_allclose(b.set_index("building_id").loc[per_building.index, "thermal_mwh"], per_building)
    assert (with_system["face"].isin(b["best_face"])).all()
    assert result.territory["thermal_gwh"].iloc[0] == pytest.approx(b["thermal_mwh"].sum() / 1000.0)


def _hand(mwh: float, area: float, cost: float, fuel: str, th) -> tuple[float, float, float]:
    """Savings [EUR/yr], CO2 [t/yr], payback [yr] worked by hand from the config's numbers."""
    price, eff, co2 = {"electric": (th.electric_price_eur_kwh, th.electric_efficiency, th.electric_co2_kg_kwh),
                       "gas": (th.gas_price_eur_kwh, th.gas_efficiency, th.gas_co2_kg_kwh)}[fuel]
    fuel_kwh = mwh * 1000.0 / eff
    savings = fuel_kwh * price
    investment = area * cost
    payback = (investment - min(area * th.subsidy_eur_m2, investment)) / (savings - th.om_rate * investment)
    return savings, fuel_kwh * co2 / 1000.0, payback


def _economics_buildings():
    faces = pd.DataFrame({"face": [1, 2], "usable_area_m2": [40.0, 200.0], "tilt": [35.0, 30.0],
                          "azimuth": [180.0, 170.0], "shading_ratio": [1.0, 0.95]})
    buildings = pd.DataFrame({"building_id": [1, 2, 3], "footprint_area_m2": [100.0, 400.0, 80.0],
                              "best_face": [1, 2, 0], "has_data": [True, True, True]})
    return faces, buildings, np.array([1.0, 20.0, 1.0])


@pytest.mark.parametrize("fuel", ["electric", "gas"])
def test_the_economics_of_a_house_and_a_collective_system_worked_by_hand(fuel):
    th = ThermalConfig(house_fuel=fuel, subsidy_eur_m2=100.0)
    faces, buildings, dwellings = _economics_buildings()
    _, out = building_thermal(faces, buildings, _weather(), SITE, Config(thermal=th), dwellings=dwellings)
    assert list(out.columns) == list(BUILDING_THERMAL_COLUMNS)
    house, flats, none = (out.iloc[i] for i in range(3))
    assert house["thermal_area_m2"] == 4.0 and flats["thermal_area_m2"] == pytest.approx(20 * th.dwelling_area)
    for row, cost in ((house, th.house_cost_eur_m2), (flats, th.collective_cost_eur_m2)):
        savings, co2, payback = _hand(row["thermal_mwh"], row["thermal_area_m2"], cost, fuel, th)
        assert row["thermal_savings_eur"] == pytest.approx(savings, rel=1e-12)
        assert row["thermal_co2_t"] == pytest.approx(co2, rel=1e-12)
        assert row["thermal_payback_years"] == pytest.approx(payback, rel=1e-12)
    # no system: nothing saved, no payback
    assert (none["thermal_savings_eur"], none["thermal_co2_t"]) == (0.0, 0.0)
    assert np.isnan(none["thermal_payback_years"])
    # the other fuel: the same heat, other savings and CO2, by the hand formula
    other = "gas" if fuel == "electric" else "electric"
    _, swapped = building_thermal(faces, buildings, _weather(), SITE,
                                  Config(thermal=dataclasses.replace(th, house_fuel=other)), dwellings=dwellings)
    np.testing.assert_allclose(swapped["thermal_mwh"], out["thermal_mwh"])
    savings, co2, _ = _hand(house["thermal_mwh"], 4.0, th.house_cost_eur_m2, other, th)
    assert swapped["thermal_savings_eur"].iloc[0] == pytest.approx(savings, rel=1e-12)
    assert swapped["thermal_co2_t"].iloc[0] == pytest.approx(co2, rel=1e-12)
    assert swapped["thermal_savings_eur"].iloc[0] != pytest.approx(house["thermal_savings_eur"])


def test_a_system_that_never_pays_back_has_a_nan_payback():
    th = ThermalConfig(om_rate=0.2, house_cost_eur_m2=50_000.0, collective_cost_eur_m2=50_000.0)
    faces, buildings, dwellings = _economics_buildings()
    _, out = building_thermal(faces, buildings, _weather(), SITE, Config(thermal=th), dwellings=dwellings)
    assert (out["thermal_savings_eur"].iloc[:2] > 0).all()
    assert out["thermal_payback_years"].isna().all()


def test_heat_economics_is_vectorised_and_takes_a_cost_per_system():
    e = heat_economics([1900.0, 0.0, 9500.0], [4.0, 0.0, 20.0], price=0.2, efficiency=0.95, co2_kg_kwh=0.05,
                       cost_eur_m2=[1000.0, 1000.0, 500.0], subsidy_eur_m2=100.0, om_rate=0.01, lifetime_years=2,
                       discount_rate=0.0)
    np.testing.assert_allclose(e.savings_eur, [400.0, 0.0, 2000.0])
    np.testing.assert_allclose(e.co2_t, [0.1, 0.0, 0.5])
    np.testing.assert_allclose(e.payback_years[[0, 2]], [3600.0 / 360.0, 8000.0 / 1900.0])
    assert np.isinf(e.payback_years[1])  # no savings: never
    np.testing.assert_allclose(e.npv_eur[[0, 2]], [2 * 360.0 - 3600.0, 2 * 1900.0 - 8000.0])
