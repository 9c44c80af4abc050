"""Rebuild samples/montpellier_dsm_0.5m.tif from the IGN LiDAR HD test tiles.

Development-only script: it reads the tiles from ``../shared/data`` (not part
of a user's clone) and keeps, in each 0.5 m cell, the highest return of the
non-noise classes; empty cells surrounded by data are filled with the mean of
their neighbours (repeated twice: holes up to ~1 m). Issue "LiDAR -> rasters"
replaces this with ``cadastre prepare``.

    python samples/make_sample_dsm.py [SHARED_DATA_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

import laspy
import numpy as np
import rasterio
from rasterio.transform import from_origin

HERE = Path(__file__).resolve().parent
TILES = [
    "classified_laz_v1.2_test_data_77050_627755_LA93_IGN69.laz",  # full 50 m tile (the LAS 1.4 one is cropped)
    "test_data_77050_627760_LA93_IGN69.laz",
    "test_data_77055_627755_LA93_IGN69.laz",
    "test_data_77055_627760_LA93_IGN69.laz",
    "test_data_77060_627755_LA93_IGN69.laz",
    "test_data_77060_627760_LA93_IGN69.laz",
]
NOISE = (7, 18, 65, 66)  # low/high noise, LiDAR HD artefacts and virtual points
XMIN, YMAX, WIDTH, HEIGHT, RES = 770500.0, 6277600.0, 300, 200, 0.5


def main(shared: Path) -> None:
    folder = shared / "lidar" / "montpellier_ign_lidarhd_6tiles"
    dsm = np.full((HEIGHT, WIDTH), -np.inf)
    for name in TILES:
        las = laspy.read(folder / name)
        keep = ~np.isin(np.asarray(las.classification), NOISE)
        x, y, z = np.asarray(las.x)[keep], np.asarray(las.y)[keep], np.asarray(las.z)[keep]
        col = np.floor((x - XMIN) / RES).astype(int)
        row = np.floor((YMAX - y) / RES).astype(int)
        inside = (col >= 0) & (col < WIDTH) & (row >= 0) & (row < HEIGHT)
        np.maximum.at(dsm, (row[inside], col[inside]), z[inside])
    dsm[np.isinf(dsm)] = np.nan
    for _ in range(2):
        padded = np.pad(dsm, 1, constant_values=np.nan)
        stack = np.stack([padded[1 + di : 1 + di + HEIGHT, 1 + dj : 1 + dj + WIDTH]
                          for di in (-1, 0, 1) for dj in (-1, 0, 1) if di or dj])
        count = np.isfinite(stack).sum(0)
        fill = np.nansum(stack, 0) / np.maximum(count, 1)
        holes = np.isnan(dsm) & (count >= 3)
        dsm[holes] = fill[holes]
    print(f"cells without data after filling: {np.isnan(dsm).sum()}")
    profile = dict(driver="GTiff", width=WIDTH, height=HEIGHT, count=1, dtype="float32", crs="EPSG:2154",
                   transform=from_origin(XMIN, YMAX, RES, RES), nodata=-9999.0, compress="deflate",
                   predictor=3, tiled=True, blockxsize=256, blockysize=256)
    with rasterio.open(HERE / "montpellier_dsm_0.5m.tif", "w", **profile) as dst:
        dst.write(np.where(np.isnan(dsm), -9999.0, dsm).astype("float32"), 1)
        dst.set_band_description(1, "dsm")
        dst.update_tags(source="IGN LiDAR HD (Licence Ouverte 2.0), highest non-noise return per 0.5 m cell")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[1] / "shared" / "data")
