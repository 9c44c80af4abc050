"""Coverage: how much of a commune the data covers, and which footprints have data.

- :func:`covered_parts` on a DSM whose data covers a known part of a triangular commune: the covered
  area is the analytic area of that part.
- :func:`compute_buildings` on the town scene with one building's footprint under nodata and one
  footprint outside the raster: ``has_data``, the commune's ``buildings``, ``footprints``,
  ``footprints_with_data``, ``area_km2``, ``covered_km2`` and ``covered_share``.
- The EPCI row sums its communes' coverage.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from helpers import X0, Y0, dsm_array
from scenes import CELL, GROUND, town
from shapely.geometry import Polygon, box

from cadastre import irradiance
from cadastre.areas.coverage import COVERAGE_COLUMNS, covered_parts
from cadastre.results import contract
from cadastre.roofs.buildings import compute_buildings
from cadastre.solar.weather import Weather, clearsky_weather


def _communes(polygons: dict[str, object], epci: str = "200000001") -> gpd.GeoDataFrame:
    codes = list(polygons)
    return gpd.GeoDataFrame({"insee": pd.array(codes, dtype="string"), "commune": [f"C{c}" for c in codes],
                             "epci_siren": pd.array([epci] * len(codes), dtype="string"),
                             "epci": ["E"] * len(codes), "population": pd.array([100] * len(codes), dtype="Int64")},
                            geometry=list(polygons.values()), crs="EPSG:2154")


def test_covered_part_of_a_triangle_is_its_analytic_area():
    # raster: 200 x 100 m at 0.5 m from (0, 0); data only where x < 50 m (and inside the raster)
    transform = Affine(0.5, 0.0, 0.0, 0.0, -0.5, 100.0)
    valid = np.zeros((200, 400), bool)
    valid[:, :100] = True
    # commune: the triangle (0,0)-(100,0)-(0,100), 5000 m2; its part x < 50: 5000 - 50 x 50 / 2 = 3750 m2
    communes = _communes({"10001": Polygon([(0, 0), (100, 0), (0, 100)]), "10002": box(300, 0, 400, 100)})
    parts = covered_parts(valid, transform, "EPSG:2154", communes)
    assert list(parts["insee"]) == ["10001"]  # the other commune has no data
    assert parts["covered_m2"].iloc[0] == pytest.approx(3750.0, abs=1e-6)
    assert parts.geometry.iloc[0].area == pytest.approx(3750.0, abs=1e-6)
    # a core (bounds) cuts the part: x in [0, 25) -> 100*25 - 25*25/2 = 2187.5 m2
    core = covered_parts(valid, transform, "EPSG:2154", communes, bounds=(0.0, 0.0, 25.0, 100.0))
    assert core["covered_m2"].iloc[0] == pytest.approx(2187.5, abs=1e-6)


def one_day(lat: float, lon: float, alt: float) -> Weather:
    w = clearsky_weather(lat, lon, alt)
    start = pd.Timestamp("2023-06-21", tz="UTC")
    keep = (w.data.index >= start) & (w.data.index < start + pd.Timedelta(days=1))
    return Weather(data=w.data[keep], sun_times=w.sun_times[keep], interval_hours=1.0, source="clearsky-day",
                   kind="clearsky", time_label=w.time_label, metadata={})


@pytest.fixture(scope="module")
def partly_covered():
    z, footprints, _expected = town()
    z = z.astype(float).copy()
    height, width = z.shape
    gone = footprints.geometry.iloc[-1]  # this building's footprint (and a margin) lies under nodata
    x0, y0, x1, y1 = gone.bounds
    c0, c1 = int((x0 - X0) / CELL) - 2, int(np.ceil((x1 - X0) / CELL)) + 2
    r0, r1 = int((Y0 - y1) / CELL) - 2, int(np.ceil((Y0 - y0) / CELL)) + 2
    z[max(r0, 0):r1, max(c0, 0):c1] = np.nan
    outside = gpd.GeoDataFrame({"name": ["far"]}, geometry=[box(X0 + 500, Y0 - 40, X0 + 510, Y0 - 30)],
                               crs=footprints.crs)
    all_fp = pd.concat([footprints, outside], ignore_index=True)
    # commune: the raster and 1 km2 more to the east; the raster's own area is width x height cells
    raster = box(X0, Y0 - height * CELL, X0 + width * CELL, Y0)
    commune = box(X0, Y0 - height * CELL, X0 + width * CELL + 1000.0, Y0 - height * CELL + 1000.0)
    assert commune.contains(raster)
    communes = _communes({"10001": commune, "10002": box(X0 - 2000, Y0 - 2000, X0 - 1000, Y0 - 1000)})
    w = one_day(50.43, 2.83, 54.0)
    irr = irradiance(dsm_array(z, CELL), w, n_directions=8)
    result = compute_buildings(irr, all_fp, w, ndsm=z - GROUND, communes=communes)
    expected_covered = np.isfinite(z).sum() * CELL * CELL
    return result, expected_covered, commune.area, len(footprints)


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_buildings_without_data_are_flagged_and_not_analysed(partly_covered):
    result, _covered, _area, n = partly_covered
    b = result.buildings
    assert list(b["has_data"]) == [True] * (n - 1) + [False]
    assert b["has_data"].dtype == bool
    row = result.communes.set_index("insee").loc["10001"]
    assert row["buildings"] == n - 1  # analysed: the building under nodata is not counted
    assert row["footprints"] == n + 1  # every footprint given in the commune, the one off the raster too
    assert row["footprints_with_data"] == n - 1


@pytest.mark.slow
def test_commune_coverage_columns_are_the_covered_share(partly_covered):
    result, covered, area, _n = partly_covered
    communes = result.communes.set_index("insee")
    assert list(result.communes.columns) == list(contract.COMMUNES_COLUMNS)
    row = communes.loc["10001"]
    assert row["area_km2"] == pytest.approx(area / 1e6, rel=1e-12)
    assert row["covered_km2"] == pytest.approx(covered / 1e6, rel=1e-9)
    assert row["covered_share"] == pytest.approx(covered / area, rel=1e-9)
    assert row["covered_share"] < 0.01
    empty = communes.loc["10002"]
    assert (empty["area_km2"], empty["covered_km2"], empty["covered_share"], empty["footprints"]) == (
        pytest.approx(1.0), 0.0, 0.0, 0)
    parts = result.coverage
    assert list(parts["insee"]) == ["10001"] and parts["covered_m2"].iloc[0] == pytest.approx(covered)


@pytest.mark.slow
def test_epci_sums_its_communes_coverage(partly_covered):
    result, covered, area, n = partly_covered
    assert list(result.epci.columns) == list(contract.EPCI_COLUMNS)
    row = result.epci.iloc[0]
    assert row["area_km2"] == pytest.approx(area / 1e6 + 1.0)
    assert row["covered_km2"] == pytest.approx(covered / 1e6)
    assert row["covered_share"] == pytest.approx(covered / (area + 1e6))
    assert (row["footprints"], row["footprints_with_data"]) == (n + 1, n - 1)
    assert set(COVERAGE_COLUMNS) <= set(result.epci.columns)
