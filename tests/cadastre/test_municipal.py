"""municipal.csv: columns, per-row problems, the template, and matching rows to footprints."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from pyproj import Transformer
from helpers import X0, Y0
from shapely.geometry import box

from cadastre.errors import InputFileError
from cadastre.qualify.municipal import match_rows, municipal_template, read_municipal
from cadastre.qualify.config import MatchingConfig


def write(tmp_path, text, name="m.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(("text", "needle"), [
    ("insee,name,building_id\n62498,A,1\n", "missing column(s) type"),
    ("insee,type\n62498,school\n", "missing column(s) name"),
    ("insee,name,type,consumption_kwh\n62498,A,school,100\n", "no location column"),
    ("insee,name,type,x\n62498,A,school,3\n", "column y is missing while x is there"),
    ("insee,name,type,building_id\n", "no building row"),
    ("# only comments\n", "no header line"),
])
def test_missing_columns_are_one_clear_error(tmp_path, text, needle):
    with pytest.raises(InputFileError) as info:
        read_municipal(write(tmp_path, text))
    message = str(info.value)
    assert needle in message and "\n" not in message and message.startswith(str(tmp_path))


def test_semicolons_decimal_commas_comments_and_cp1252(tmp_path):
    text = ("# exported from a spreadsheet\nINSEE;Name;Type;Building_ID;Consumption_kWh;Contracted_kVA\n"
            "2498;École;School;12;45 000,5;36\n# a comment between rows\n62498;Mairie;town_hall;13;;\n")
    rows = read_municipal(write(tmp_path, text, encoding="cp1252"))
    assert rows["line"].tolist() == [3, 5]
    assert rows["insee"].tolist() == ["02498", "62498"]
    assert rows["name"].tolist() == ["École", "Mairie"]
    assert rows["type"].tolist() == ["school", "town_hall"]
    assert rows["consumption_kwh"].iloc[0] == 45000.5 and pd.isna(rows["consumption_kwh"].iloc[1])
    assert rows["problem"].tolist() == [None, None]


def test_bad_rows_get_a_problem_and_are_kept(tmp_path):
    text = ("insee,name,type,building_id,lon,lat,consumption_kwh,contracted_kva,floor_area_m2\n"
            "62498,A,school,1,,,-3,,\n"
            ",B,gym,1,,,,,\n"
            "62498,C,chapel,1,,,,,\n"
            "62498,D,school,,,,,,\n"
            "62498,E,school,,200,95,,,\n"
            "62498,F,school,1,,,abc,,\n"
            "62498,G,school,1,,,,-1,0\n"
            "62498,H,library,,2.83,50.43,,,\n"
            "62498,I,school,,2.83,,,,\n")
    rows = read_municipal(write(tmp_path, text)).set_index("name")["problem"]
    assert "negative consumption" in rows["A"]
    assert "no INSEE code" in rows["B"]
    assert "unknown type 'chapel'" in rows["C"]
    assert "no location" in rows["D"]
    assert "out of range" in rows["E"]
    assert "consumption_kwh 'abc' is not a number" in rows["F"]
    assert "negative contracted power" in rows["G"] and "floor area 0" in rows["G"]
    assert rows["H"] is None
    assert "lat is empty while lon is given" in rows["I"] and "no location" in rows["I"]


def test_template_reads_back(tmp_path):
    rows = read_municipal(write(tmp_path, municipal_template()))
    assert len(rows) == 2 and rows["problem"].isna().all()
    assert all("example" in name for name in rows["name"])


# --------------------------------------------------------------------------- matching


@pytest.fixture()
def footprints():
    """Three 10 x 10 m boxes: 1 and 2 side by side 6 m apart, 3 alone; 4 overlaps 3."""
    boxes = [box(X0, Y0, X0 + 10, Y0 + 10), box(X0 + 16, Y0, X0 + 26, Y0 + 10),
             box(X0 + 100, Y0, X0 + 110, Y0 + 10), box(X0 + 105, Y0 + 5, X0 + 115, Y0 + 15)]
    return gpd.GeoDataFrame({"building_id": ["1", "2", "3", "4"]}, geometry=boxes, crs="EPSG:2154")


def rows_of(*points, ids=None):
    n = len(points)
    frame = pd.DataFrame({"line": range(2, n + 2), "building_id": ids or [None] * n,
                          "x": [p[0] for p in points], "y": [p[1] for p in points],
                          "lon": [float("nan")] * n, "lat": [float("nan")] * n, "problem": [None] * n})
    return frame


def test_match_by_footprint_nearest_none_and_ambiguous(footprints):
    points = [(X0 + 5, Y0 + 5),      # inside 1
              (X0 + 5, Y0 - 4),      # 4 m south of 1, 11.7 m from 2
              (X0 + 5, Y0 - 30),     # 30 m from everything
              (X0 + 13, Y0 + 5),     # 3 m from both 1 and 2
              (X0 + 107, Y0 + 7),    # inside 3 and 4
              (X0 + 60, Y0 + 5)]     # 34 m from 2, 40 m from 3
    m = match_rows(rows_of(*points), footprints, MatchingConfig())
    assert [(x.building_id, x.how) for x in m] == [("1", "footprint"), ("1", "nearest"), (None, "none"),
                                                   (None, "ambiguous"), (None, "ambiguous"), (None, "none")]
    assert m[1].distance_m == pytest.approx(4.0) and "4.0 m" in m[1].note
    assert "no building within 20 m" in m[2].problem
    assert "1 (3.0 m) and 2 (3.0 m)" in m[3].problem
    assert "several footprints (3, 4)" in m[4].problem
    # but the first row already took building 1: the nearest-match row is reported as a duplicate
    assert "already the building of line 2" in m[1].problem


def test_match_by_id_and_lonlat(footprints):
    lon, lat = Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True).transform(X0 + 20, Y0 + 5)
    rows = pd.DataFrame({"line": [2, 3, 4, 5], "building_id": ["3", "9", None, "1"],
                         "x": [float("nan"), float("nan"), float("nan"), X0 + 300],
                         "y": [float("nan"), float("nan"), float("nan"), Y0],
                         "lon": [float("nan"), float("nan"), lon, float("nan")],
                         "lat": [float("nan"), float("nan"), lat, float("nan")],
                         "problem": [None, None, None, None]})
    m = match_rows(rows, footprints, MatchingConfig())
    assert (m[0].building_id, m[0].how) == ("3", "id")
    assert m[1].building_id is None and "building_id '9' is not in the run's buildings" in m[1].problem
    assert (m[2].building_id, m[2].how, m[2].distance_m) == ("2", "footprint", 0.0)
    assert m[3].building_id == "1" and "lie 290 m from building 1" in m[3].note


def test_rows_with_a_problem_are_not_matched(footprints):
    rows = rows_of((X0 + 5, Y0 + 5))
    rows["problem"] = ["negative consumption (-1)"]
    assert match_rows(rows, footprints)[0].how == "skipped"
