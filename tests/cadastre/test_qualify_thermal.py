"""``cadastre qualify``: solar water heating against PV on the buildings with a hot-water demand
(:mod:`cadastre.qualify.thermal`): the three uses side by side, their economics worked by hand from the
engine's heat and the configuration's prices, the sizing on the demand and its cap, the choice by NPV, and
the operation's totals.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from test_qualify import run_dir  # noqa: F401 (the fixture)
from test_qualify_hourly import runs  # noqa: F401 (the fixture: one face behind an east wall, with and without profiles)

from cadastre.config import ThermalConfig
from cadastre.qualify.config import QualifyConfig, qualify_config_from_dict
from cadastre.qualify.loads import calendar, draw_shares
from cadastre.qualify.operation import THERMAL_NUMBERS, qualify
from cadastre.qualify.thermal import collector_areas
from cadastre.solar.thermal import demand_kwh, plane_absorbed, simulate
from cadastre.solar.weather import default_weather_path, load_weather

WEATHER = load_weather(default_weather_path())
SITE = (50.43, 2.83, 40.0)


def municipal(path, rows):
    """municipal.csv with a hot-water column: rows of (name, type, building_id, hot_water_l_day or '')."""
    lines = ["insee,name,type,building_id,consumption_kwh,hot_water_l_day",
             *(f"62498,{name},{kind},{bid},80000,{litres}" for name, kind, bid, litres in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_canteen_gets_the_three_uses_and_a_town_hall_stays_pv(run_dir, tmp_path):  # noqa: F811
    csv = municipal(tmp_path / "m.csv", [("Cantine", "school", 1, 1500), ("Mairie", "town_hall", 2, "")])
    result = qualify(run_dir, csv)
    school, hall = result.table.iloc[0], result.table.iloc[1]
    for column in THERMAL_NUMBERS:
        assert math.isfinite(school[column]), column
        assert math.isnan(hall[column]), column
    assert school["thermal_fuel"] == "gas" and school["use"] in ("pv", "thermal", "thermal_pv")
    assert 0 < school["thermal_fraction"] < 1 and school["thermal_mwh"] < school["hot_water_mwh"]
    assert hall["use"] == "pv" and hall["use_reason"] == "no hot-water demand: PV only"
    assert pd.isna(hall["thermal_fuel"])
    # the PV of thermal + PV fits in what the collectors leave of the roof: building 1 has one usable face of
    # 100 m2 (test_qualify.FACES), its kWp reduced by the share of it the collectors take
    left = school["roof_kwp"] * (1.0 - school["thermal_area_m2"] / 100.0)
    assert 0 < school["thermal_pv_kwp"] <= left + 1e-9 < school["roof_kwp"]
    assert result.meta["uses"] == {"pv": int(school["use"] == "pv") + 1, "thermal": int(school["use"] == "thermal"),
                                   "thermal_pv": int(school["use"] == "thermal_pv")}


def test_thermal_economics_worked_by_hand_from_the_engine_s_heat(run_dir, tmp_path):  # noqa: F811
    data = {"solar_thermal": {"fuel": "electric", "electric_price_eur_kwh": 0.25, "electric_efficiency": 0.9,
                              "electric_co2_kg_kwh": 0.06, "cost_eur_m2": 800.0, "subsidy_eur_m2": 200.0,
                              "om_rate": 0.01, "lifetime_years": 15},
            "economics": {"discount_rate": 0.03}}
    csv = municipal(tmp_path / "m.csv", [("Cantine", "school", 1, 2000)])
    row = qualify(run_dir, csv, config=qualify_config_from_dict(data)).table.iloc[0]
    heat = 1000.0 * row["thermal_mwh"]  # kWh/yr, the engine's figure
    area = row["thermal_area_m2"]
    fuel = heat / 0.9
    savings, investment, subsidy = fuel * 0.25, area * 800.0, area * 200.0
    om = 0.01 * investment
    annuity = sum(1.03 ** -t for t in range(1, 16))
    assert row["thermal_fuel"] == "electric"
    assert row["thermal_savings_eur"] == pytest.approx(savings, rel=1e-12)
    assert row["thermal_investment_eur"] == pytest.approx(investment, rel=1e-12)
    assert row["thermal_subsidy_eur"] == pytest.approx(subsidy, rel=1e-12)
    assert row["thermal_om_eur"] == pytest.approx(om, rel=1e-12)
    assert row["thermal_npv_eur"] == pytest.approx((savings - om) * annuity - (investment - subsidy), rel=1e-9)
    assert row["thermal_payback_years"] == pytest.approx((investment - subsidy) / (savings - om), rel=1e-9)
    assert row["thermal_co2_t"] == pytest.approx(fuel * 0.06 / 1000.0, rel=1e-12)
    # the tank is the run's litres per m2 of collector (ThermalConfig default: the run records none)
    assert row["thermal_tank_l"] == pytest.approx(area * ThermalConfig().tank_per_area)
    # thermal + PV: the collectors' investment plus the PV's at its band's cost (9-36 kWp: 1,600 EUR/kWp)
    assert 9.0 < row["thermal_pv_kwp"] <= 36.0
    assert row["thermal_pv_investment_eur"] == pytest.approx(investment + 1600.0 * row["thermal_pv_kwp"], rel=1e-9)


def test_more_demand_more_collectors_and_heat_up_to_the_face_share(run_dir, tmp_path):  # noqa: F811
    rows = []
    for k, litres in enumerate((300, 1500, 6000, 1_000_000)):
        csv = municipal(tmp_path / f"m{k}.csv", [("Cantine", "school", 1, litres)])
        rows.append(qualify(run_dir, csv).table.iloc[0])
    area = [r["thermal_area_m2"] for r in rows]
    heat = [r["thermal_mwh"] for r in rows]
    assert area == sorted(area) and len(set(area)) == 4
    assert heat == sorted(heat) and len(set(heat)) == 4
    # capped at max_area_share (0.5) of the one usable face's 100 m2, whatever the demand
    assert area[-1] == pytest.approx(ThermalConfig().max_area_share * 100.0)
    # below the cap: the mean daily draw over the year / litres per m2 (a school draws on its days of use only)
    cal = calendar(WEATHER.data.index)
    days_of_use = draw_shares(cal, "school", interval_hours=WEATHER.interval_hours).sum()
    litres_per_m2 = QualifyConfig().solar_thermal.litres_per_m2
    assert area[1] == pytest.approx(1500 * days_of_use / (len(WEATHER.data) / 24) / litres_per_m2, rel=1e-9)
    assert 100 < days_of_use < 200  # weekends, public and school holidays off


def test_collectors_fill_the_best_faces_first_each_capped():
    usable = np.array([40.0, 100.0, 10.0])
    assert collector_areas(600.0, usable, 0.5, 60.0).tolist() == [10.0, 0.0, 0.0]
    assert collector_areas(3000.0, usable, 0.5, 60.0).tolist() == [20.0, 30.0, 0.0]
    assert collector_areas(1e9, usable, 0.5, 60.0).tolist() == [20.0, 50.0, 5.0]
    assert collector_areas(0.0, usable, 0.5, 60.0).tolist() == [0.0, 0.0, 0.0]


def test_the_use_with_the_highest_npv_is_recommended_and_the_operation_counts_it(run_dir, tmp_path):  # noqa: F811
    csv = municipal(tmp_path / "m.csv", [("Cantine", "school", 1, 2000), ("Piscine", "swimming_pool", 2, 3000),
                                         ("Mairie", "town_hall", 3, "")])
    cheap = {"fuel": "electric", "cost_eur_m2": 100.0}
    configs = {
        "pv": {},  # gas, 1,100 EUR/m2: collectors do not pay
        "thermal_pv": {"solar_thermal": cheap},
        "thermal": {"solar_thermal": cheap, "bands": {"cost_eur_kwp": [9000.0, 9000.0, 9000.0, 9000.0]}},
    }
    for expected, data in configs.items():
        result = qualify(run_dir, csv, config=qualify_config_from_dict(data))
        t = result.table.iloc[:2]
        for _, row in t.iterrows():
            npv = {"pv": row["npv_eur"], "thermal": row["thermal_npv_eur"], "thermal_pv": row["thermal_pv_npv_eur"]}
            assert row["use"] == max(npv, key=npv.get) == expected, (expected, npv)
            assert row["use_reason"] == f"highest NPV of the 3 uses ({npv[expected]:,.0f} €)"
        error = result.table.iloc[2]  # no usable roof: an error row, no recommendation at all
        assert error["status"] == "error" and pd.isna(error["use"]) and pd.isna(error["scenario"])
        total = result.operation.iloc[-1]
        heat = t[t["use"].isin(["thermal", "thermal_pv"])]
        assert total["thermal_buildings"] == (t["use"] == "thermal").sum()
        assert total["thermal_pv_buildings"] == (t["use"] == "thermal_pv").sum()
        for column in ("thermal_area_m2", "thermal_mwh", "thermal_investment_eur"):
            assert total[column] == pytest.approx(heat[column].sum(), rel=1e-12), column
        if expected != "pv":
            assert total["thermal_area_m2"] > 0


def test_a_school_draws_on_its_days_of_use_only():
    index = pd.date_range("2025-01-01", periods=8760, freq="h", tz="Europe/Paris").tz_convert("UTC")
    cal = calendar(index)
    shares = draw_shares(cal, "school")
    local = index.tz_convert("Europe/Paris").strftime("%Y-%m-%d")
    assert shares[local == "2025-03-18"].sum() == pytest.approx(1.0)  # a Tuesday in term
    assert shares[local == "2025-03-16"].sum() == 0.0  # a Sunday
    assert shares[local == "2025-07-22"].sum() == 0.0  # the summer holidays
    gym = draw_shares(cal, "gym")
    assert gym[local == "2025-03-15"].sum() == pytest.approx(0.8)  # Saturday at the gym's Saturday level


def test_simulate_takes_a_per_row_draw_and_draws_nothing_on_closed_days():
    thermal = ThermalConfig()
    absorbed, _ = plane_absorbed(WEATHER, SITE, 35.0, 180.0, thermal=thermal)
    common = {"area": 4.0, "tank_l": 300.0, "demand_l": 200.0, "thermal": thermal}
    default = simulate(absorbed, WEATHER, **common)
    hours = (WEATHER.data.index.hour.to_numpy() + 1) % 24
    profile = np.asarray(thermal.draw_profile) / np.sum(thermal.draw_profile)
    same = simulate(absorbed, WEATHER, **common, shares=profile[hours] * WEATHER.interval_hours)
    assert same.solar_kwh[0] == default.solar_kwh[0] and same.demand_kwh[0] == default.demand_kwh[0]
    closed = simulate(absorbed, WEATHER, **common, shares=np.zeros(len(WEATHER.data)))
    assert closed.solar_kwh[0] == 0.0 and closed.demand_kwh[0] == 0.0
    half = np.where(WEATHER.data.index.dayofyear.to_numpy() % 2 == 0, profile[hours], 0.0)
    part = simulate(absorbed, WEATHER, **common, shares=half)
    assert part.demand_kwh[0] == pytest.approx(float(demand_kwh(200.0, thermal, WEATHER, half)))
    assert 0.3 * default.demand_kwh[0] < part.demand_kwh[0] < 0.7 * default.demand_kwh[0]
    assert 0 < part.solar_kwh[0] < default.solar_kwh[0]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_page_compares_the_uses_of_the_buildings_with_a_demand(run_dir, tmp_path, lang):  # noqa: F811
    import html

    from report_scene import table_rows

    from cadastre.qualify.html import render_html

    csv = municipal(tmp_path / "m.csv", [("Cantine", "school", 1, 2000), ("Mairie", "town_hall", 2, "")])
    config = qualify_config_from_dict({"solar_thermal": {"fuel": "electric", "cost_eur_m2": 100.0}})
    result = qualify(run_dir, csv, config=config)
    page = render_html(result, lang=lang)
    rows = [[html.unescape(c) for c in row] for row in table_rows(page, "thermal")]
    assert len(rows) == 1 and rows[0][1] == "Cantine"  # the town hall has no demand
    school = result.table.iloc[0]
    assert school["use"] == "thermal_pv"
    label = {"fr": "solaire thermique + photovoltaïque", "en": "solar thermal + PV"}[lang]
    reason = {"fr": "VAN la plus élevée des 3 usages", "en": "highest NPV of the 3 uses"}[lang]
    assert rows[0][-2] == label and rows[0][-1].startswith(reason)
    # the NPV of the recommended use is the one marked (green): the last of PV, thermal, thermal + PV
    table = re.search(r'<table data-key="thermal">.*?</table>', page, re.S).group(0)
    classes = re.findall(r'<td class="([^"]*)">', table)
    assert [("qualified" in c) for c in classes[-5:-2]] == [False, False, True]


def test_the_heat_follows_the_face_s_hourly_shading_profile_when_the_run_has_one(runs, tmp_path):  # noqa: F811
    """The face behind an east wall (test_qualify_hourly): with profiles the heat is that of the collectors on
    the profile's hourly shaded irradiance, without it on the unshaded plane x the annual ratio."""
    from test_qualify_hourly import SITE as RUN_SITE
    from test_qualify_hourly import east_wall_profile

    from cadastre.solar.thermal import face_absorbed

    with_profiles, without = runs
    csv = tmp_path / "m.csv"
    csv.write_text("insee,name,type,building_id,hot_water_l_day\n62498,EHPAD,nursing_home,1,1200\n", encoding="utf-8")
    hourly_row, ratio_row = (qualify(run, csv).table.iloc[0] for run in (with_profiles, without))
    assert hourly_row["thermal_area_m2"] == ratio_row["thermal_area_m2"] == pytest.approx(1200 / 60.0)
    # by hand: the nursing home draws 1,200 L every day over its occupied hours 7-21 h (local time)
    thermal, area = ThermalConfig(), 20.0
    shares = draw_shares(calendar(WEATHER.data.index), "nursing_home", interval_hours=WEATHER.interval_hours)
    absorbed = face_absorbed(WEATHER, RUN_SITE, east_wall_profile(), [180.0], thermal=thermal, sky="perez")
    expected = simulate(absorbed, WEATHER, area=area, tank_l=area * thermal.tank_per_area, demand_l=1200.0,
                        thermal=thermal, shares=shares)
    assert hourly_row["thermal_mwh"] == pytest.approx(expected.solar_kwh[0] / 1000.0, rel=1e-9)
    assert hourly_row["hot_water_mwh"] == pytest.approx(expected.demand_kwh[0] / 1000.0, rel=1e-9)
    # the same face without profiles: close over the year, not equal (the shade falls on the morning only)
    assert ratio_row["thermal_mwh"] == pytest.approx(hourly_row["thermal_mwh"], rel=0.15)
    assert ratio_row["thermal_mwh"] != pytest.approx(hourly_row["thermal_mwh"], rel=1e-4)
