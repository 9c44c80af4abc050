"""A synthetic town of known roofs (flat, gable 35° south/north, hip 30°) with exact footprints."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
from shapely.geometry import box

from helpers import X0, Y0

CELL = 0.5
SHAPE = (160, 200)  # rows (north-south), columns (west-east): 80 m x 100 m
GROUND = 30.0


def _xy(shape=SHAPE, cell=CELL):
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]]
    return X0 + (cols + 0.5) * cell, Y0 - (rows + 0.5) * cell


def town():
    """Heights [m] (rows north to south) and footprints (EPSG:2154) with the expected faces.

    - ``flat``: 20 x 15 m, flat roof at 10 m.
    - ``gable``: 20 m (E-W) x 16 m (N-S), eaves at 6 m, ridge along x, slopes of 35° facing
      south and north (8 m horizontal run each).
    - ``hip``: 24 x 24 m square, eaves at 5 m, four faces of 30° (N, E, S, W).
    """
    x, y = _xy()
    z = np.full(SHAPE, GROUND)
    boxes = {
        "flat": (X0 + 10, Y0 - 30, X0 + 30, Y0 - 15),
        "gable": (X0 + 45, Y0 - 30, X0 + 65, Y0 - 14),
        "hip": (X0 + 20, Y0 - 70, X0 + 44, Y0 - 46),
    }
    xmin, ymin, xmax, ymax = boxes["flat"]
    inside = (x > xmin) & (x < xmax) & (y > ymin) & (y < ymax)
    z[inside] = GROUND + 10
    xmin, ymin, xmax, ymax = boxes["gable"]
    inside = (x > xmin) & (x < xmax) & (y > ymin) & (y < ymax)
    ridge_y = (ymin + ymax) / 2
    z[inside] = GROUND + 6 + math.tan(math.radians(35)) * (8 - np.abs(y[inside] - ridge_y))
    xmin, ymin, xmax, ymax = boxes["hip"]
    inside = (x > xmin) & (x < xmax) & (y > ymin) & (y < ymax)
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    dist_edge = 12 - np.maximum(np.abs(x[inside] - cx), np.abs(y[inside] - cy))
    z[inside] = GROUND + 5 + math.tan(math.radians(30)) * dist_edge
    footprints = gpd.GeoDataFrame(
        {"name": list(boxes)}, geometry=[box(*b) for b in boxes.values()], crs="EPSG:2154"
    )
    expected = {
        "flat": [(0.0, None, 20 * 15)],
        "gable": [(35.0, 180.0, 20 * 8 / math.cos(math.radians(35)))] * 1
        + [(35.0, 0.0, 20 * 8 / math.cos(math.radians(35)))],
        "hip": [(30.0, a, 24 * 12 / 2 / math.cos(math.radians(30))) for a in (0.0, 90.0, 180.0, 270.0)],
    }
    return z, footprints, expected
