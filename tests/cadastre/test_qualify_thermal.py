"""``cadastre qualify``: solar water heating against PV on the buildings with a hot-water demand
(:mod:`cadastre.qualify.thermal`): the three uses side by side, their economics worked by hand from the
engine's heat and the configuration's prices, the sizing on the demand and its cap, the choice by NPV, and
the operation's totals.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from test_qualify import run_dir  # noqa: F401 (the fixture)

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
