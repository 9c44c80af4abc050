"""A territory run's coverage columns: the tiles' cores add up to the coverage of the whole raster.

The shared tiled run of ``test_territory`` (50 m tiles with 40 m halos over one DSM): the covered
area of each commune in ``communes.csv`` equals the covered part computed at once on the whole DSM
(no double count over the halos), and the footprints are counted once each.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from test_territory import scene, tiled  # noqa: F401  (shared fixtures: the scene and its tiled run)

from cadastre.areas.aggregate import default_communes_path, load_communes
from cadastre.areas.coverage import covered_parts

pytestmark = pytest.mark.slow  # a territory run (shared with test_territory)


def test_run_coverage_is_the_sum_over_tile_cores(scene, tiled):  # noqa: F811
    _folder, dsm, footprints, _config = scene
    run_dir = tiled[0]
    with rasterio.open(dsm) as src:
        z = src.read(1, masked=True)
        transform, crs = src.transform, src.crs
    communes = load_communes(default_communes_path().with_name("communes-lidar-samples.geojson"), crs=crs)
    whole = covered_parts(~np.ma.getmaskarray(z), transform, crs, communes).set_index("insee")["covered_m2"]
    table = pd.read_csv(run_dir / "communes.csv", dtype={"insee": str}).set_index("insee")
    assert whole.sum() > 0
    for insee, covered in whole.items():
        assert table.loc[insee, "covered_km2"] == pytest.approx(covered / 1e6, abs=1e-6), insee  # CSV: 1 m²
    assert table["covered_km2"].sum() == pytest.approx(whole.sum() / 1e6, abs=1e-6)
    assert table["covered_share"].max() <= 1.0
    n = len(gpd.read_file(footprints))
    assert table["footprints"].sum() == n
    assert table["footprints_with_data"].sum() == table["buildings"].sum() == n
