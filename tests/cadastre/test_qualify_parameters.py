"""The qualification takes the sky model and albedo of the run it reads from the parameters the run recorded."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
from helpers import X0, Y0
from shapely.geometry import box
import pytest

from cadastre.config import Config
from cadastre.qualify.operation import qualify
from cadastre.roofs.buildings import parameters_record
from cadastre.solar.weather import default_weather_path


@pytest.mark.slow
def test_qualify_uses_the_sky_and_albedo_the_run_recorded(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    footprint = box(X0, Y0, X0 + 20, Y0 + 10)
    gpd.GeoDataFrame({"building_id": [1], "insee": ["62498"], "commune": ["Lens"], "footprint_area_m2": [200.0]},
                     geometry=[footprint], crs="EPSG:2154").to_file(folder / "buildings.gpkg", layer="buildings")
    roofs = pd.DataFrame({"building_id": [1], "face": [11], "tilt": [30.0], "azimuth": [180.0],
                          "usable_area_m2": [100.0], "shading_ratio": [0.9], "suitable": [True], "kwp": [20.0]})
    gpd.GeoDataFrame(roofs, geometry=[box(X0, Y0, X0 + 1, Y0 + 1)], crs="EPSG:2154").to_file(
        folder / "roofs.gpkg", layer="roofs")
    pd.DataFrame({"insee": ["62498"], "commune": ["Lens"]}).to_csv(folder / "communes.csv", index=False)
    weather = str(default_weather_path())
    params = parameters_record(Config(), resolution=0.5, directions=8, max_distance=200.0, far_distance=0.0,
                               far_cell=5.0, sky="isotropic", albedo=0.45, weather=weather)
    (folder / "buildings.json").write_text(json.dumps({"weather": weather, "sky": "isotropic", "crs": "EPSG:2154",
                                                       "parameters": params}))
    csv = tmp_path / "m.csv"
    csv.write_text("insee,name,type,building_id,x,y,consumption_kwh,contracted_kva\n62498,Mairie,town_hall,1,,,,\n",
                   encoding="utf-8")
    result = qualify(folder, csv)
    assert result.meta["sky"] == "isotropic"
    assert result.meta["albedo"] == 0.45
