"""Roof faces of a synthetic town of known roofs: count, tilt, azimuth (1°), true area (2 %).

References are analytic: the roofs are built from their planes (tests/cadastre/scenes.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import dsm_array
from scenes import CELL, town

from cadastre import irradiance
from cadastre.config import RoofConfig
from cadastre.roofs.faces import faces, rasterize_footprints, roof_cells
from cadastre.solar.weather import clearsky_weather


@pytest.fixture(scope="module")
def scene():
    z, footprints, expected = town()
    dsm = dsm_array(z, CELL)
    w = clearsky_weather(50.43, 2.83, 54.0)
    keep = (w.data.index >= "2023-06-21") & (w.data.index < "2023-06-22")
    day = type(w)(data=w.data[keep], sun_times=w.sun_times[keep], interval_hours=1.0, source="clearsky",
                  kind="clearsky", time_label=w.time_label, metadata={})
    irr = irradiance(dsm, day, n_directions=16)
    ids = rasterize_footprints(footprints, dsm.rio.transform(), z.shape)
    roof = roof_cells(ids, irr["global"].values, ndsm=z - 30.0, min_height=2.0)
    labels, table = faces(irr, roof, RoofConfig())
    return footprints, expected, labels, table


def _angle_diff(a, b):
    return abs((a - b + 180) % 360 - 180)


@pytest.mark.parametrize("name", ["flat", "gable", "hip"])
def test_faces_of_known_roofs(scene, name):
    footprints, expected, labels, table = scene
    number = int(np.flatnonzero(footprints["name"] == name)[0]) + 1
    main = table[(table["building"] == number) & (table["usable_area_m2"] >= 10.0)]
    want = expected[name]
    assert len(main) == len(want), main
    for tilt, azimuth, area in want:
        if azimuth is None:
            row = main.iloc[0]
        else:
            row = main.iloc[np.argmin([_angle_diff(a, azimuth) for a in main["azimuth"]])]
            assert _angle_diff(row["azimuth"], azimuth) <= 1.0, row
        assert abs(row["tilt"] - tilt) <= 1.0, row
        assert row["area_m2"] == pytest.approx(area, rel=0.02), row
    faces_of_building = table[table["building"] == number]
    assert len(faces_of_building) == len(want)  # ridge, hip and eave fragments are absorbed


def test_every_roof_cell_in_one_face(scene):
    _, _, labels, table = scene
    assert (np.bincount(labels.ravel())[1:] == table["cells"].to_numpy()).all()
    assert table["face"].is_unique
