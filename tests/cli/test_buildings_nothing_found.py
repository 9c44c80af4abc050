"""``cadastre buildings`` that finds no roof face fails: exit code 2, one ``error:`` line, nothing written.

A flat 20 x 20 m irradiance raster near Lens with one 8 x 8 m footprint: its cells are roof cells
without ``--prepared`` (the control), and none with a height above ground of 0 m (``--prepared``
with an nDSM of zeros: a footprint on bare ground).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from helpers import X0, Y0, cli_runner, error_line, tmp_files
from rasterio.transform import from_origin
from shapely.geometry import box

from cli.main import app
from rasters.io import to_dataarray, write_bands

pytestmark = pytest.mark.slow  # command lines computing a yield table

CELL = 0.5
SHAPE = (40, 40)
runner = cli_runner()


def _band(values, name: str, units: str):
    return to_dataarray(np.broadcast_to(np.asarray(values, float), SHAPE), "EPSG:2154",
                        from_origin(X0, Y0, CELL, CELL), name=name, units=units)


@pytest.fixture(scope="module")
def flat(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("flat")
    write_bands([_band(1000.0, "global", "kWh/m2"), _band(0.0, "slope", "degrees"), _band(180.0, "aspect", "degrees")],
                folder / "irradiance.tif")
    (folder / "prepared").mkdir()
    write_bands([_band(0.0, "ndsm", "m")], folder / "prepared" / "ndsm.tif")
    gpd.GeoDataFrame({"name": ["shed"]}, geometry=[box(X0 + 6, Y0 - 14, X0 + 14, Y0 - 6)],
                     crs="EPSG:2154").to_file(folder / "footprints.gpkg")
    times = pd.date_range("2023-06-21 00:30", periods=24, freq="h", tz="UTC")  # one clear day: a quick yield table
    ghi = np.clip(800 * np.sin(np.pi * (np.arange(24) + 0.5 - 6) / 14), 0, None).round(1)
    pd.DataFrame({"time": [t.isoformat() for t in times], "ghi": ghi, "dni": (0.8 * ghi).round(1),
                  "dhi": (0.2 * ghi).round(1)}).to_csv(folder / "day.csv", index=False)
    return folder


def _buildings(flat: Path, out: Path, *extra):
    args = ["buildings", "-i", flat / "irradiance.tif", "-f", flat / "footprints.gpkg", "-w", flat / "day.csv",
            "-o", out, "-q", *extra]
    return runner.invoke(app, [str(a) for a in args])


def test_roof_faces_found_write_the_folder(flat, tmp_path):
    result = _buildings(flat, tmp_path / "out")
    assert result.exit_code == 0, (result.stderr, result.exception)
    assert gpd.read_file(tmp_path / "out" / "buildings.gpkg")["faces"].tolist() == [1]


def test_no_roof_face_is_an_error_and_writes_nothing(flat, tmp_path):
    result = _buildings(flat, tmp_path / "out", "-p", flat / "prepared")
    error_line(result, "irradiance.tif", "no roof face on the 1 buildings", "roofs.min_height = 2 m",
               "nothing written")
    assert not (tmp_path / "out").exists()
    assert tmp_files(tmp_path) == []
