"""``cadastre qualify`` from the hourly shaded production of the faces' profiles (``profiles.parquet``).

A hand-made shading profile puts a tall wall to the east of a south face: its cells see no sky below 60°
between azimuths 20° and 160°, i.e. no sun before about 11:00 solar time, and an open sky elsewhere. The
roofs' annual ``shading_ratio`` is set to the one the profile gives, so that both methods produce the same
year and differ only in WHEN the face produces:

- the annual-ratio method (no ``profiles.parquet``) scales every hour by the same ratio: the morning keeps
  its unshaded share of the day's production;
- the hourly method produces nothing in the shaded morning and all of the unshaded afternoon.

With a load that is zero outside its occupied hours and far above the roof's peak inside them, the
self-consumed energy is the production of the occupied hours, so the rate is the share of the year's
production falling in them: LOWER with the hourly method for a morning load (its mornings are shaded),
HIGHER for an afternoon load (its afternoons carry the energy the ratio spread over the morning).
"""

from __future__ import annotations

import json
import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from helpers import X0, Y0
from report_scene import shared_demo
from shapely.geometry import box

from cadastre.errors import InputFileError
from cadastre.qualify.config import qualify_config_from_dict
from cadastre.qualify.operation import HOURLY_PROFILES, RATIO_PROFILE, face_production, qualify
from cadastre.roofs.profiles import PROFILE_LEVELS, FaceProfiles, write_profiles
from cadastre.solar import hourly
from cadastre.solar.weather import default_weather_path, load_weather

WEATHER = load_weather(default_weather_path())
TILT, AZIMUTH, KWP = 30.0, 180.0, 20.0
DIRECTIONS = np.arange(32) * 360.0 / 32
EAST = (DIRECTIONS >= 20.0) & (DIRECTIONS <= 160.0)
WALL = 60.0  # [degrees]


def _lonlat(x, y):
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True).transform(x, y)


LON, LAT = _lonlat(X0 + 10.0, Y0 + 5.0)  # the building's representative point (a box's centre)
SITE = (LAT, LON, 0.0)


def east_wall_profile(face=1) -> FaceProfiles:
    """One face of uniform cells (tilt 30°, south) behind a 60° wall over azimuths 20°-160°."""
    t, a = np.radians(TILT), np.radians(AZIMUTH)
    normal = np.array([np.sin(t) * np.sin(a), np.sin(t) * np.cos(a), np.cos(t)])
    levels = np.arange(PROFILE_LEVELS + 1) / PROFILE_LEVELS
    quantiles = np.where(EAST[:, None], WALL, 0.0) * np.ones((1, PROFILE_LEVELS + 1))
    cumulative = np.broadcast_to(levels[None, :, None] * normal[None, None, :],
                                 (DIRECTIONS.size, PROFILE_LEVELS + 1, 3))
    # sky-view factor: an open plane's, less the wall's share over its azimuths (sin² 60° of that part)
    svf = (1 + np.cos(t)) / 2 * (1.0 - EAST.mean() * np.sin(np.radians(WALL)) ** 2)
    return FaceProfiles(faces=[face], directions=DIRECTIONS, quantiles=quantiles[None], cumulative=cumulative[None],
                        tilt=[TILT], azimuth=[AZIMUTH], svf=[svf], band_seen=[1.0], cells=[100])


def annual_ratio() -> float:
    """The annual shading ratio the profile implies against qualify's unshaded plane (same PV, same site)."""
    pv = qualify_config_from_dict({}).production
    shaded = hourly.face_production(WEATHER, SITE, east_wall_profile(), pv=pv.pv(), sky="perez",
                                    albedo=pv.albedo).table["specific_yield"].iloc[0]
    plane = pd.DataFrame({"tilt": [TILT], "azimuth": [AZIMUTH], "shading_ratio": [1.0]})
    unshaded = face_production(WEATHER, *SITE, plane).sum() * WEATHER.interval_hours
    return float(shaded / unshaded)


RATIO = annual_ratio()


def make_run(folder, *, profiles=True, ratio=RATIO):
    """A buildings folder of one building with the one face (docs/run-dir.md), with or without profiles."""
    folder.mkdir()
    footprint = box(X0, Y0, X0 + 20, Y0 + 10)
    gpd.GeoDataFrame({"building_id": [1], "insee": ["62498"], "commune": ["Lens"],
                      "footprint_area_m2": [footprint.area]}, geometry=[footprint], crs="EPSG:2154").to_file(
        folder / "buildings.gpkg", layer="buildings")
    roofs = pd.DataFrame({"building_id": [1], "face": [1], "tilt": [TILT], "azimuth": [AZIMUTH],
                          "usable_area_m2": [120.0], "shading_ratio": [ratio], "suitable": [True], "kwp": [KWP]})
    gpd.GeoDataFrame(roofs, geometry=[footprint], crs="EPSG:2154").to_file(folder / "roofs.gpkg", layer="roofs")
    pd.DataFrame({"insee": ["62498"], "commune": ["Lens"]}).to_csv(folder / "communes.csv", index=False)
    (folder / "buildings.json").write_text(json.dumps({
        "weather": str(default_weather_path()), "sky": "perez", "crs": "EPSG:2154",
        "site": {"latitude": LAT, "longitude": LON, "altitude": 0.0}}))
    if profiles:
        write_profiles(folder / "profiles.parquet", east_wall_profile())
    return folder


def municipal(path, kind="other", consumption=10_000_000):
    path.write_text("insee,name,type,building_id,x,y,consumption_kwh,contracted_kva\n"
                    f"62498,Atelier,{kind},1,,,{consumption},\n", encoding="utf-8")
    return path


def occupied(open_hour, close_hour):
    """Whole roof; 'other' occupied every day from open to close hour (local), no load outside."""
    shape = {"base": 0.0, "winter": 0.0, "saturday": 1.0, "sunday": 1.0, "school_holidays": 1.0,
             "open_hour": open_hour, "close_hour": close_hour}
    return qualify_config_from_dict({"sizing": {"mode": "roof"}, "loads": {"other": shape}})


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    return make_run(root / "hourly"), make_run(root / "ratio", profiles=False)


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_morning_shade_lowers_a_morning_load_and_raises_an_afternoon_one(runs, tmp_path):
    with_profiles, without = runs
    csv = municipal(tmp_path / "m.csv")
    rates = {}
    for name, config in (("morning", occupied(5, 12)), ("afternoon", occupied(12, 22))):
        a, b = qualify(with_profiles, csv, config=config), qualify(without, csv, config=config)
        assert (a.meta["production"], b.meta["production"]) == (HOURLY_PROFILES, RATIO_PROFILE)
        h, r = a.table.iloc[0], b.table.iloc[0]
        assert h["kwp"] == r["kwp"] == pytest.approx(KWP * 0.65)
        assert h["mwh"] == pytest.approx(r["mwh"], rel=0.01)  # the same year, spread otherwise over the day
        rates[name] = (h["self_consumption_rate"], r["self_consumption_rate"], h["savings_eur"], r["savings_eur"])
    hourly_m, ratio_m, save_hm, save_rm = rates["morning"]
    hourly_a, ratio_a, save_ha, save_ra = rates["afternoon"]
    assert hourly_m < ratio_m - 0.05 and save_hm < save_rm
    assert hourly_a > ratio_a + 0.05 and save_ha > save_ra
    assert hourly_m + hourly_a == pytest.approx(1.0, abs=0.02)  # 22:00-5:00: no sun


# qualify as it was before the hourly method (main before this change), on make_run(profiles=False), the morning load
PINNED = {"kwp": 13.0, "mwh": 9.450123048355174, "self_consumed_mwh": 2.535684151484084,
          "savings_eur": 507.1368302968169, "npv_eur": -9051.546992113364}


@pytest.mark.slow
def test_without_profiles_the_numbers_are_those_of_the_annual_ratio(runs, tmp_path):
    result = qualify(runs[1], municipal(tmp_path / "m.csv"), config=occupied(5, 12))
    row = result.table.iloc[0]
    assert result.meta["production"] == RATIO_PROFILE
    assert any("profiles.parquet" in note for note in result.meta["notes"])
    for column, value in PINNED.items():
        assert row[column] == pytest.approx(value, rel=1e-9), column


def test_a_damaged_profile_file_is_one_line_naming_it(runs, tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(runs[0], folder)
    (folder / "profiles.parquet").write_bytes(b"not parquet")
    with pytest.raises(InputFileError) as info:
        qualify(folder, municipal(tmp_path / "m.csv"))
    assert "profiles.parquet" in str(info.value) and "\n" not in str(info.value)


def test_a_face_without_profile_is_one_line_naming_the_file(runs, tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(runs[0], folder)
    write_profiles(folder / "profiles.parquet", east_wall_profile(face=7))
    with pytest.raises(InputFileError, match=r"profiles\.parquet: face 1 has no profile") as info:
        qualify(folder, municipal(tmp_path / "m.csv"))
    assert "\n" not in str(info.value)


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_the_page_charts_the_monthly_production_of_the_qualified_buildings(runs, tmp_path):
    from cadastre.qualify.html import qualified_monthly, render_html

    result = qualify(runs[0], municipal(tmp_path / "m.csv"), config=occupied(12, 22))
    result.table["verdict"] = "qualified"
    monthly, count = qualified_monthly(result)
    assert count == 1 and monthly.shape == (12,)
    assert monthly.sum() == pytest.approx(result.table["mwh"].iloc[0], rel=1e-9)
    assert monthly[5] > 2 * monthly[11]  # June against December
    page = render_html(result)
    assert "Production mensuelle des bâtiments qualifiés" in page and "1 bâtiments qualifiés" in page
    assert "profiles.parquet" in page and page.count("<rect ") == 12  # the 12 bars, inline SVG
    result.table["verdict"] = "to study"
    assert "Aucun bâtiment qualifié." in render_html(result)


@pytest.mark.slow  # the demo (shared with the stages test)
def test_the_demo_qualifies_from_its_hourly_shaded_profiles(tmp_path_factory):
    demo, _stdout = shared_demo(tmp_path_factory)  # `cadastre demo -q`, shared with the stages and report tests
    out = demo / "qualification"
    meta = json.loads((out / "qualify.json").read_text(encoding="utf-8"))
    assert meta["production"] == HOURLY_PROFILES and meta["verdicts"]["qualified"] >= 1
    table = pd.read_csv(out / "qualification.csv")
    ok = table[table["status"] == "ok"]
    assert len(ok) >= 4 and (ok["self_consumption_rate"].between(0, 1)).all()
    page = (out / "qualification.html").read_text(encoding="utf-8")
    assert "Production mensuelle des bâtiments qualifiés" in page and "profils d'ombrage" in page
