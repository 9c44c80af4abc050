"""cadastre.qualify.operation and its parts: production against pvlib run directly, self-consumption,
load profiles, economics against a hand-worked case, sizing, score, rank and verdict.

References are computed in the tests without the engine: pvlib's own functions chained by
hand (solar position, Perez transposition, SAPM cell temperature, PVWatts DC and inverter),
arithmetic written out, and properties (hypothesis) that must hold for any input.
"""

from __future__ import annotations

import json
import math
import tomllib

import geopandas as gpd
import numpy as np
import pandas as pd
import pvlib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from helpers import X0, Y0
from hypothesis.extra.numpy import arrays
from shapely.geometry import box

from cadastre.qualify.economics import band_of, economics, self_consumption
from cadastre.errors import InputFileError, OptionError
from cadastre.qualify.loads import calendar, load_profile, public_holidays
from cadastre.qualify.operation import face_production, qualify, rank, score, size_installation, verdict
from cadastre.qualify.config import (
    BUILDING_TYPES,
    QualifyConfig,
    default_qualify_toml,
    load_qualify_config,
    qualify_config_from_dict,
)
from cadastre.solar.weather import default_weather_path, load_weather

WEATHER = load_weather(default_weather_path())
SITE = (50.43, 2.83, 40.0)  # Lens


def pvlib_direct(weather, latitude, longitude, altitude, tilt, azimuth, *, losses=0.14, gamma=-0.0037,
                 eta=0.96, dc_ac=1.1, albedo=0.2):
    """AC power [W] of 1 kWp, written here from pvlib's functions only (the engine's docs define the chain)."""
    pos = pvlib.solarposition.get_solarposition(weather.sun_times, latitude, longitude, altitude)
    zen = pos["apparent_zenith"].to_numpy()
    d = weather.data
    irr = pvlib.irradiance.get_total_irradiance(
        tilt, azimuth, zen, pos["azimuth"].to_numpy(), d["dni"].to_numpy(), d["ghi"].to_numpy(), d["dhi"].to_numpy(),
        dni_extra=pvlib.irradiance.get_extra_radiation(weather.sun_times).to_numpy(),
        airmass=pvlib.atmosphere.get_relative_airmass(zen), albedo=albedo, model="perez")
    beam = np.where(pos["apparent_elevation"].to_numpy() > 0, np.nan_to_num(irr["poa_direct"]), 0.0)
    poa = np.maximum(beam + np.nan_to_num(irr["poa_diffuse"]), 0.0)
    params = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"]["close_mount_glass_glass"]
    cell = pvlib.temperature.sapm_cell(poa, d["temp_air"].to_numpy(), d["wind_speed"].to_numpy(), **params)
    dc = pvlib.pvsystem.pvwatts_dc(poa, cell, 1000.0, gamma) * (1 - losses)
    pac0 = 1000.0 / dc_ac
    return np.clip(np.nan_to_num(pvlib.inverter.pvwatts(dc, pac0 / eta, eta_inv_nom=eta)), 0.0, pac0)


# --------------------------------------------------------------------------- production


@pytest.mark.parametrize(("tilt", "azimuth", "ratio"), [(30.0, 180.0, 1.0), (40.0, 250.0, 0.8), (2.0, 90.0, 0.9)])
def test_face_production_equals_pvlib_run_directly(tilt, azimuth, ratio):
    faces = pd.DataFrame({"tilt": [tilt], "azimuth": [azimuth], "shading_ratio": [ratio]})
    engine = face_production(WEATHER, *SITE, faces)[0]  # kW per kWp
    reference = pvlib_direct(WEATHER, *SITE, tilt, azimuth) / 1000.0 * ratio
    assert engine.sum() == pytest.approx(reference.sum(), rel=0.005)
    assert np.abs(engine - reference).max() < 0.01  # kW per kWp, hour by hour


# --------------------------------------------------------------------------- self-consumption


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, 48, elements=st.floats(-5, 500)), arrays(np.float64, 48, elements=st.floats(-5, 500)))
def test_self_consumption_never_above_production_or_load(production, load):
    used = self_consumption(production, load)
    assert np.all(used <= np.maximum(production, 0) + 1e-12)
    assert np.all(used <= np.maximum(load, 0) + 1e-12)
    assert np.all(used >= 0)
    assert used.sum() == pytest.approx(np.sum(np.minimum(np.clip(production, 0, None), np.clip(load, 0, None))))


# --------------------------------------------------------------------------- loads


@pytest.mark.parametrize("kind", BUILDING_TYPES)
def test_load_profile_sums_to_the_annual_consumption(kind):
    load = load_profile(WEATHER.data.index, kind, 50_000.0)
    assert load.min() >= 0
    assert load.sum() * WEATHER.interval_hours == pytest.approx(50_000.0)


def test_public_holidays_of_2025():
    # Easter 2025 is 20 April: Easter Monday 21 April, Ascension 29 May, Whit Monday 9 June
    days = {d.isoformat() for d in public_holidays(2025)}
    assert {"2025-04-21", "2025-05-29", "2025-06-09", "2025-07-14", "2025-11-11"} <= days
    assert len(days) == 11


def test_load_shapes_follow_the_calendar():
    index = pd.date_range("2025-01-01", periods=8760, freq="h", tz="Europe/Paris").tz_convert("UTC")
    school = load_profile(index, "school", 50_000.0)
    hall = load_profile(index, "town_hall", 50_000.0)
    local = index.tz_convert("Europe/Paris")

    def at(day, hour, load):
        return load[(local.strftime("%Y-%m-%d") == day) & (local.hour == hour)][0]

    # Tuesday 18 March 2025 in term vs Tuesday 22 July (summer holidays) and 3 a.m.
    assert at("2025-03-18", 11, school) > 3 * at("2025-07-22", 11, school)
    assert at("2025-07-22", 11, school) == pytest.approx(at("2025-07-22", 3, school), rel=1e-9)
    # Monday 14 July (public holiday) is a Sunday for the town hall; Monday 7 July is a working day
    assert at("2025-07-14", 11, hall) == pytest.approx(at("2025-07-13", 11, hall), rel=1e-3)  # season: 1 day apart
    assert at("2025-07-07", 11, hall) > 2 * at("2025-07-14", 11, hall)
    cal = calendar(index)
    assert set(np.unique(cal.day_kind)) == {0, 1, 2}


# --------------------------------------------------------------------------- economics


def hand_config(**bands):
    data = {"bands": {"kwp_max": [100.0], "cost_eur_kwp": [1500.0], "subsidy_eur_kwp": [100.0],
                      "surplus_tariff_eur_kwh": [0.1], "total_sale_tariff_eur_kwh": [0.15], **bands},
            "prices": {"import_price_eur_kwh": 0.2, "import_escalation": 0.0, "grid_co2_kg_kwh": 0.052},
            "economics": {"discount_rate": 0.05, "lifetime_years": 2, "degradation": 0.01, "om_rate": 0.01}}
    return qualify_config_from_dict(data)


def test_economics_hand_worked_case():
    # 10 kWp: investment 15,000 €, subsidy 1,000 €, net 14,000 €; O&M 1 % of 15,000 = 150 €/yr.
    # Year 1: 6,000 kWh self-consumed x 0.2 = 1,200 €; 4,000 kWh surplus x 0.1 = 400 €; net 1,450 €.
    # Year 2 (x 0.99): 1,188 + 396 - 150 = 1,434 €.
    # NPV = -14,000 + 1,450 / 1.05 + 1,434 / 1.05^2 = -14,000 + 1,380.952381 + 1,300.680272
    # LCOE = (14,000 + 150 / 1.05 + 150 / 1.05^2) / (10,000 / 1.05 + 9,900 / 1.05^2)
    #      = 14,278.911565 / 18,503.401361
    e = economics(10.0, 10_000.0, 6_000.0, hand_config())
    assert (e.investment_eur, e.subsidy_eur, e.om_eur) == (15_000.0, 1_000.0, 150.0)
    assert (e.savings_eur, e.surplus_revenue_eur) == pytest.approx((1_200.0, 400.0))
    assert e.payback_years == pytest.approx(14_000.0 / 1_450.0)
    assert e.npv_eur == pytest.approx(-11_318.367347, abs=1e-5)
    assert e.lcoe_eur_kwh == pytest.approx(14_278.911565 / 18_503.401361, rel=1e-9)
    assert e.co2_t == pytest.approx(0.52)


def test_no_net_income_means_no_payback():
    e = economics(10.0, 0.0, 0.0, hand_config())
    assert math.isinf(e.payback_years) and math.isinf(e.lcoe_eur_kwh)


def test_bands_upper_bound_inclusive():
    bands = QualifyConfig().bands
    assert [band_of(k, bands).number for k in (3.0, 9.0, 9.01, 36.0, 100.0, 250.0, 900.0)] == [1, 1, 2, 2, 3, 4, 4]


# --------------------------------------------------------------------------- sizing, score, verdict, rank


def test_size_is_the_largest_reaching_the_target():
    hours = np.arange(240) % 24
    per_kwp = np.clip(np.sin((hours - 6) / 12 * np.pi), 0, None)[None, :] * np.array([[1.0], [0.8]])
    capacity = np.array([20.0, 30.0])
    load = np.where((hours >= 8) & (hours < 18), 10.0, 2.0)
    config = QualifyConfig()
    sized = size_installation(per_kwp, capacity, load, config)

    def rate(kwp):
        alloc = np.clip(kwp - np.array([0.0, 20.0]), 0, capacity)
        prod = alloc @ per_kwp
        return np.minimum(prod, load).sum() / prod.sum()

    assert rate(sized.kwp) >= 0.8 > rate(sized.kwp + config.sizing.step_kwp)
    assert sized.face_kwp[0] == pytest.approx(min(sized.kwp, 20.0))  # best face filled first
    roof = size_installation(per_kwp, capacity, load, qualify_config_from_dict({"sizing": {"mode": "roof"}}))
    assert roof.kwp == 50.0
    capped = size_installation(per_kwp, capacity * 20, load, qualify_config_from_dict({"sizing": {"mode": "roof"}}))
    assert capped.kwp == 500.0 and "capped" in capped.notes[0]


def test_score_components_and_weights():
    s = score(6.0, 1000.0, 0.5, 100.0)
    assert s["score_payback"] == 1.0 and s["score_yield"] == 1.0 and s["score_size"] == pytest.approx(1.0)
    assert s["score"] == pytest.approx(100 * (0.5 + 0.2 + 0.2 * 0.5 + 0.1))
    assert score(math.inf, 500.0, 0.0, 3.0)["score"] == 0.0


def base_row(**changes):
    row = {"roof_kwp": 50.0, "kwp": 20.0, "ac_kw": 18.2, "payback_years": 9.0, "npv_eur": 5000.0, "score": 70.0,
           "shading_ratio": 0.95, "contracted_kva": math.nan}
    return {**row, **changes}


@pytest.mark.parametrize(("changes", "expected", "needle"), [
    ({}, "qualified", "payback 9.0"),
    ({"payback_years": 15.0}, "to study", "payback 15.0 yr > 12"),
    ({"shading_ratio": 0.6}, "to study", "shading"),
    ({"contracted_kva": 12.0}, "to study", "contracted 12 kVA"),
    ({"score": 40.0}, "to study", "score 40 < 50"),
    ({"payback_years": 25.0}, "not qualified", "payback 25.0 yr > 20"),
    ({"payback_years": math.inf}, "not qualified", "no net income"),
    ({"roof_kwp": 2.0}, "not qualified", "less than 3"),
])
def test_verdict_rules(changes, expected, needle):
    decision, reasons = verdict(base_row(**changes))
    assert decision == expected
    assert any(needle in r for r in reasons), reasons


def test_rank_is_stable_with_ties_broken_by_npv_then_line():
    table = pd.DataFrame({"line": [5, 3, 4, 6, 2], "status": ["ok", "ok", "ok", "error", "ok"],
                          "score": [70.0, 70.0, 70.0, np.nan, 90.0], "npv_eur": [10.0, 10.0, 20.0, np.nan, 0.0]})
    assert rank(table).tolist() == [4, 3, 2, pd.NA, 1]
    shuffled = table.sample(frac=1.0, random_state=3)
    assert rank(shuffled).sort_index().tolist() == rank(table).tolist()


# --------------------------------------------------------------------------- configuration


def test_default_toml_reads_back_and_states_review():
    text = default_qualify_toml()
    assert qualify_config_from_dict(tomllib.loads(text)) == QualifyConfig()
    assert "REVIEW" in text and "S21" in text and "ADEME" in text


@pytest.mark.parametrize(("data", "needle"), [
    ({"prices": {"import_price": 0.3}}, "unknown key 'prices.import_price'"),
    ({"bands": {"kwp_max": [9.0, 36.0]}}, "different lengths"),
    ({"prices": {"import_price_eur_kwh": -1}}, "out of range"),
    ({"sizing": {"mode": "max"}}, "sizing.mode"),
    ({"loads": {"gym": {"open_hour": 20, "close_hour": 8}}}, "loads.gym.close_hour"),
    ({"loads": {"school_holidays": [["2025-07-05", "2025-07-01"]]}}, "two ISO dates in order"),
    ({"bands": {"total_sale_tariff_eur_kwh": [0.1, 0.1]}}, "different lengths"),
    ({"sizing": {"objective": "irr"}}, "use one of npv, payback, self_consumption, production"),
    ({"grouping": {"from_kwp": [100.0, 50.0], "cost_reduction": [0.1, 0.2]}}, "grouping.from_kwp"),
    ({"grouping": {"cost_reduction": [0.1]}}, "grouping.from_kwp and grouping.cost_reduction"),
    ({"grouping": {"from_kwp": [100.0], "cost_reduction": [1.0]}}, "grouping.cost_reduction has 1, out of range"),
    ({"hot_water": {"gym": {"litres_per_unit": -1}}}, "hot_water.gym.litres_per_unit = -1 L is out of range"),
])
def test_bad_config_values(data, needle):
    with pytest.raises(OptionError, match=needle.replace(".", r"\.").replace("(", r"\(")):
        qualify_config_from_dict(data, "q.toml")


def test_missing_config_file(tmp_path):
    with pytest.raises(InputFileError, match="file not found"):
        load_qualify_config(tmp_path / "none.toml")


# --------------------------------------------------------------------------- the pipeline on a synthetic run


FACES = [  # building, face, tilt, azimuth, usable m2, shading ratio, suitable, kWp
    (1, 11, 30.0, 180.0, 100.0, 0.9, True, 20.0),
    (1, 12, 30.0, 0.0, 100.0, 0.5, False, 0.0),
    (2, 21, 15.0, 120.0, 60.0, 1.0, True, 12.0),
    (2, 22, 15.0, 240.0, 60.0, 0.95, True, 12.0),
    (3, 31, 50.0, 0.0, 5.0, 0.7, False, 0.0),
]


@pytest.fixture()
def run_dir(tmp_path):
    """A result folder of three buildings near Lens with known faces (docs/run-dir.md)."""
    folder = tmp_path / "run"
    folder.mkdir()
    boxes = [box(X0, Y0, X0 + 20, Y0 + 10), box(X0 + 30, Y0, X0 + 45, Y0 + 8), box(X0, Y0 + 30, X0 + 6, Y0 + 36)]
    gpd.GeoDataFrame({"building_id": [1, 2, 3], "insee": ["62498"] * 3, "commune": ["Lens"] * 3,
                      "footprint_area_m2": [b.area for b in boxes]}, geometry=boxes, crs="EPSG:2154").to_file(
        folder / "buildings.gpkg", layer="buildings")
    roofs = pd.DataFrame(FACES, columns=["building_id", "face", "tilt", "azimuth", "usable_area_m2", "shading_ratio",
                                         "suitable", "kwp"])
    gpd.GeoDataFrame(roofs, geometry=[box(X0, Y0, X0 + 1, Y0 + 1)] * len(roofs), crs="EPSG:2154").to_file(
        folder / "roofs.gpkg", layer="roofs")
    pd.DataFrame({"insee": ["62498"], "commune": ["Lens"]}).to_csv(folder / "communes.csv", index=False)
    (folder / "buildings.json").write_text(json.dumps({"weather": str(default_weather_path()), "sky": "perez",
                                                       "crs": "EPSG:2154"}))
    return folder


def write_csv(path, rows):
    head = "insee,name,type,building_id,x,y,consumption_kwh,contracted_kva"
    path.write_text("\n".join([head, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.mark.slow
def test_pipeline_roof_production_equals_pvlib(run_dir, tmp_path):
    csv = write_csv(tmp_path / "m.csv", ["62498,Mairie,town_hall,2,,,40000,"])
    config = qualify_config_from_dict({"sizing": {"mode": "roof"}})
    row = qualify(run_dir, csv, config=config).table.iloc[0]
    lon, lat = to_lonlat(X0 + 37.5, Y0 + 4.0)
    expected = sum(kwp * 0.65 * ratio * pvlib_direct(WEATHER, lat, lon, 0.0, tilt, az).sum() / 1e6
                   for _, _, tilt, az, _, ratio, ok, kwp in FACES[2:4])
    assert row["kwp"] == pytest.approx(24.0 * 0.65)
    assert row["mwh"] == pytest.approx(expected, rel=0.005)
    assert row["faces"] == 2 and row["status"] == "ok"


def to_lonlat(x, y):
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True).transform(x, y)


@pytest.mark.slow
def test_pipeline_constant_load_above_peak_and_zero_load(run_dir, tmp_path):
    # 'other' made flat (base 1, no season): 10 GWh/yr is 1,142 kW every hour, far above a ~13 kWp peak
    flat = {"sizing": {"mode": "roof"}, "loads": {"other": {"base": 1.0, "winter": 0.0}}}
    csv = write_csv(tmp_path / "m.csv", ["62498,Atelier,other,1,,,10000000,", "62498,Vide,other,2,,,0,"])
    table = qualify(run_dir, csv, config=qualify_config_from_dict(flat)).table
    full, empty = table.iloc[0], table.iloc[1]
    assert full["self_consumption_rate"] == pytest.approx(1.0, abs=1e-12)
    assert full["surplus_mwh"] == pytest.approx(0.0, abs=1e-9)
    assert empty["self_consumption_rate"] == 0.0 and empty["self_consumed_mwh"] == 0.0
    assert math.isnan(empty["self_sufficiency"])
    assert empty["savings_eur"] == 0.0 and empty["surplus_revenue_eur"] > 0


@pytest.mark.slow
def test_pipeline_score_is_explained_by_its_components(run_dir, tmp_path):
    csv = write_csv(tmp_path / "m.csv", ["62498,École,school,1,,,80000,", "62498,Mairie,town_hall,2,,,30000,"])
    table = qualify(run_dir, csv).table
    w = QualifyConfig().score
    weights = np.array([w.weight_payback, w.weight_yield, w.weight_self_consumption, w.weight_size])
    parts = table[["score_payback", "score_yield", "score_self_consumption", "score_size"]].to_numpy()
    assert np.allclose(table["score"], 100 * parts @ weights / weights.sum())
    assert table.sort_values("rank")["score"].is_monotonic_decreasing
    assert set(table["verdict"]) <= {"qualified", "to study", "not qualified"}
    assert all(table["reasons"].str.len() > 0)


@pytest.mark.slow
def test_pipeline_bad_rows_are_reported_and_others_qualified(run_dir, tmp_path):
    csv = write_csv(tmp_path / "m.csv", [
        "62498,Bon,school,1,,,50000,",
        "99999,Commune inconnue,school,1,,,50000,",
        "62498,Sans toit,gym,3,,,50000,",
        "62498,Loin,library,,687500,7036500,,",
        "62498,Négatif,technical,2,,,-5,",
        "62498,Type,church,2,,,100,",
        "62498,Doublon,other,1,,,100,",
    ])
    table = qualify(run_dir, csv).table.set_index("name")
    assert table.loc["Bon", "status"] == "ok" and table.loc["Bon", "rank"] == 1
    problems = {
        "Commune inconnue": "commune 99999 is not among the run's communes",
        "Sans toit": "no usable roof face on building 3",
        "Loin": "no building within 20 m",
        "Négatif": "negative consumption",
        "Type": "unknown type 'church'",
        "Doublon": "already the building of line 2",
    }
    for name, needle in problems.items():
        assert table.loc[name, "status"] == "error"
        assert needle in table.loc[name, "reasons"], table.loc[name, "reasons"]
        assert table.loc[name, "verdict"] == "not qualified" and pd.isna(table.loc[name, "rank"])


def test_pipeline_missing_column_fails_before_reading_the_run(tmp_path):
    csv = tmp_path / "m.csv"
    csv.write_text("insee,name,building_id\n62498,Mairie,1\n")
    with pytest.raises(InputFileError, match="missing column.s. type"):
        qualify(tmp_path / "no-such-run", csv)
