"""GeoTIFF writing: COG and plain tiled GeoTIFF give the same rasters back, atomically."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from affine import Affine

from rasters.io import read_bands, to_dataarray, write_bands


@pytest.mark.slow
@pytest.mark.parametrize("cog", [True, False])
@pytest.mark.parametrize("shape", [(37, 53), (700, 600)])
def test_round_trip(tmp_path, cog, shape):
    """Values, nodata, CRS, grid, band names and units come back as written; no temporary file is left."""
    rng = np.random.default_rng(1)
    values = rng.uniform(20, 80, shape)
    values[rng.random(shape) < 0.1] = np.nan
    transform = Affine(0.5, 0, 700000.0, 0, -0.5, 6601000.0)
    bands = [to_dataarray(values, "EPSG:2154", transform, name="dsm", units="m"),
             to_dataarray(values * 2, "EPSG:2154", transform, name="twice", units="m")]
    out = write_bands(bands, tmp_path / "r.tif", cog=cog, tags={"source": "test"})
    assert [p.name for p in tmp_path.iterdir()] == ["r.tif"]
    with rasterio.open(out) as src:
        assert src.crs.to_epsg() == 2154 and src.transform == transform and src.nodata == -9999.0
        assert src.descriptions == ("dsm", "twice") and src.tags()["source"] == "test"
        assert src.tags(1)["units"] == "m"
        assert (len(src.overviews(1)) > 0) == (cog and max(shape) > 512)
    back = read_bands(out)
    np.testing.assert_array_equal(back["dsm"].values, values.astype(np.float32))
    np.testing.assert_array_equal(back["twice"].values, (values * 2).astype(np.float32))


def test_plain_uint8_mask(tmp_path):
    mask = np.zeros((600, 520))
    mask[100:200, 50:80] = 1
    mask[0, :] = 255  # nodata (integer rasters take it as given)
    da = to_dataarray(mask, "EPSG:2154", Affine(0.5, 0, 0.0, 0, -0.5, 300.0), name="buildings", units="")
    out = write_bands([da], tmp_path / "b.tif", nodata=255, dtype="uint8", cog=False)
    with rasterio.open(out) as src:
        got = src.read(1)
        assert src.dtypes == ("uint8",) and src.nodata == 255 and src.block_shapes[0] == (512, 512)
    assert (got[0] == 255).all() and got[150, 60] == 1 and got[300, 300] == 0
