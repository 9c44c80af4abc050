"""``cadastre irradiance`` writes the horizon codes beside its raster; ``cadastre buildings`` reads them.

On the synthetic town (tests/cadastre/scenes.py), 8 directions, clear sky: ``NAME.horizons.tif`` is a
uint8 GeoTIFF, one band per direction (description = azimuth), nodata 255; the buildings folder then
holds ``profiles.parquet`` and says ``"monthly": "profiles"``. With ``--no-horizons`` there is no horizon
file and the buildings take the annual method (``"unshaded shares"``). A horizon file of another grid is
refused in one line.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import rasterio
from helpers import cli_runner, dsm_array, error_line
from scenes import CELL, town

from cli.main import app
from rasters.io import write_bands

pytestmark = pytest.mark.slow  # command lines computing irradiance (about 4 s each)
runner = cli_runner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("town")
    z, footprints, _expected = town()
    write_bands([dsm_array(z, CELL).rename("dsm")], folder / "dsm.tif")
    footprints.to_file(folder / "footprints.gpkg")
    return folder


def _irradiance(inputs, out, *extra):
    result = run("irradiance", inputs / "dsm.tif", "-o", out, "--weather", "clearsky", "--directions", 8,
                 "--max-distance", 40, "-q", *extra)
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)


def _buildings(inputs, irr, out, *extra):
    return run("buildings", "-i", irr, "-f", inputs / "footprints.gpkg", "-o", out, "--weather", "clearsky", "-q",
               *extra)


def test_horizon_file_beside_the_raster_gives_profiles(inputs, tmp_path):
    _irradiance(inputs, tmp_path / "irr.tif")
    sidecar = tmp_path / "irr.horizons.tif"
    with rasterio.open(sidecar) as src, rasterio.open(tmp_path / "irr.tif") as irr:
        assert src.count == 8 and set(src.dtypes) == {"uint8"} and src.nodata == 255
        assert [float(d) for d in src.descriptions] == [45.0 * k for k in range(8)]
        assert src.transform == irr.transform and (src.width, src.height) == (irr.width, irr.height)
        codes = src.read()
    assert codes.max() <= 180 or (codes == 255).any()
    result = _buildings(inputs, tmp_path / "irr.tif", tmp_path / "b")
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    meta = json.loads((tmp_path / "b" / "buildings.json").read_text())
    assert meta["monthly"] == "profiles"
    assert (tmp_path / "b" / "profiles.parquet").is_file()
    monthly = pd.read_csv(tmp_path / "b" / "territory_monthly.csv")
    annual = pd.read_csv(tmp_path / "b" / "territory.csv")
    np.testing.assert_allclose(monthly["gwh_gross"].sum(), annual["gwh_gross"].iloc[0], atol=13 * 0.5e-6)
    assert monthly.loc[monthly["month"] == 6, "gwh_gross"].iloc[0] > monthly.loc[monthly["month"] == 12,
                                                                                 "gwh_gross"].iloc[0]


def test_without_horizons_the_annual_method(inputs, tmp_path):
    _irradiance(inputs, tmp_path / "irr.tif")
    _irradiance(inputs, tmp_path / "irr.tif", "--no-horizons", "--overwrite")  # the earlier codes go too
    assert not (tmp_path / "irr.horizons.tif").exists()
    result = _buildings(inputs, tmp_path / "irr.tif", tmp_path / "b")
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    assert json.loads((tmp_path / "b" / "buildings.json").read_text())["monthly"] == "unshaded shares"
    assert not (tmp_path / "b" / "profiles.parquet").exists()


def test_a_horizon_file_of_another_grid_is_refused(inputs, tmp_path):
    _irradiance(inputs, tmp_path / "irr.tif")
    with rasterio.open(tmp_path / "irr.horizons.tif") as src:
        profile, codes, names = src.profile, src.read(), src.descriptions
    profile.update(width=profile["width"] - 1)
    with rasterio.open(tmp_path / "other.tif", "w", **profile) as dst:
        dst.write(codes[:, :, :-1])
        for k, name in enumerate(names, start=1):
            dst.set_band_description(k, name)
    line = error_line(_buildings(inputs, tmp_path / "irr.tif", tmp_path / "b", "--horizons", tmp_path / "other.tif"),
                      "other.tif", "not on the grid")
    assert not (tmp_path / "b").exists(), line
