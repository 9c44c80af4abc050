"""``cadastre reweather``: a result folder under another weather, from its faces' shading profiles.

- With the folder's own weather the result is the folder's: roofs and buildings ``mwh``, the annual and
  monthly tables, byte for byte in the CSV files.
- With another PVGIS TMY (tests/data) the totals change, the faces and kWp stay, the months sum to the year,
  and buildings.json names the new weather.
- A folder without profiles.parquet is refused in one line; so is the folder itself as output.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from helpers import cli_runner, dsm_array, error_line, tmp_files
from scenes import CELL, GROUND, town

from cadastre import irradiance
from cadastre.areas.aggregate import load_communes
from cadastre.config import Config
from cadastre.results import contract
from cadastre.results.reweather import read_source, reweather
from cadastre.results.write import write_buildings
from cadastre.roofs.buildings import compute_buildings
from cadastre.solar.weather import load_weather
from cli.main import app

ROOT = Path(__file__).resolve().parents[2]
OTHER = ROOT / "tests" / "data" / "weather" / "pvgis_tmy_50.911_3.192_2005_2020.csv"
pytestmark = pytest.mark.slow  # a year of irradiance on the town (8 s), then reweathering
runner = cli_runner()


def _sources(weather) -> dict:
    return {"footprints": "footprints.gpkg", "irradiance": "irradiance.tif", "weather": str(weather.source),
            "communes": "communes.geojson", "crs": "EPSG:2154", "seconds": 1.0}


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """The town computed with the shipped TMY, with and without horizon codes."""
    root = tmp_path_factory.mktemp("reweather")
    z, footprints, _expected = town()
    weather = load_weather(None, latitude=50.43, longitude=2.83, altitude=54.0)
    irr = irradiance(dsm_array(z, CELL), weather, n_directions=8, max_distance=40, sky="perez", horizons=True)
    for name, ds in (("with", irr), ("without", irr.drop_vars("horizon"))):
        result = compute_buildings(ds, footprints, weather, ndsm=z - GROUND, config=Config(),
                                  communes=load_communes(crs="EPSG:2154"))  # as `cadastre buildings`
        write_buildings(root / name, result, sources=_sources(weather))
    return root, weather


def test_the_same_weather_gives_the_same_tables(folders, tmp_path):
    root, weather = folders
    result = runner.invoke(app, ["reweather", str(root / "with"), "-w", str(weather.source), "-o",
                                 str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == sorted([*contract.BUILDINGS_FILES, contract.PROFILES])
    for name in (*contract.TABLES, *contract.MONTHLY_TABLES):
        assert (out / name).read_bytes() == (root / "with" / name).read_bytes(), name
    for name in (contract.ROOFS, contract.BUILDINGS):
        before, after = gpd.read_file(root / "with" / name), gpd.read_file(out / name)
        assert list(after.columns) == list(before.columns)
        for column in ("mwh", "specific_yield", "mwh_06", "kwp", "best_face"):
            if column in before:
                np.testing.assert_array_equal(after[column], before[column], err_msg=f"{name} {column}")
    meta = json.loads((out / contract.BUILDINGS_META).read_text())
    assert meta["reweathered"]["from"] == str(root / "with")


def test_another_weather_changes_the_totals(folders, tmp_path):
    root, _weather = folders
    source = read_source(root / "with")
    other = load_weather(OTHER, latitude=source.site[0], longitude=source.site[1], altitude=source.site[2])
    result = reweather(source, other, tmp_path)
    before = pd.read_csv(root / "with" / contract.TERRITORY)
    assert abs(result.territory["gwh_gross"].iloc[0] / before["gwh_gross"].iloc[0] - 1) > 0.005
    roofs = pd.concat([gpd.read_file(p) for p in result.roofs])
    np.testing.assert_array_equal(roofs["kwp"], gpd.read_file(root / "with" / contract.ROOFS)["kwp"])
    months = roofs[[f"mwh_{m:02d}" for m in range(1, 13)]].sum(axis=1)
    np.testing.assert_allclose(months, roofs["mwh"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(result.monthly[contract.TERRITORY_MONTHLY]["gwh_net"].sum(),
                               result.territory["gwh_net"].iloc[0], rtol=1e-9)
    assert result.meta["weather"] == str(OTHER) and result.meta["parameters"]["weather"] == str(OTHER)
    assert result.meta["parameters"]["weather_sha256"] is not None


def test_a_folder_without_profiles_is_refused(folders, tmp_path):
    root, weather = folders
    result = runner.invoke(app, ["reweather", str(root / "without"), "-w", str(OTHER), "-o", str(tmp_path / "out")])
    error_line(result, str(root / "without"), "no profiles.parquet")
    assert not (tmp_path / "out").exists() and tmp_files(tmp_path) == []
    result = runner.invoke(app, ["reweather", str(root / "with"), "-w", str(OTHER), "-o", str(root / "with")])
    error_line(result, "another output folder")
