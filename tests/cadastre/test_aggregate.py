"""Communes, assignment of buildings and totals per commune, EPCI and territory."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, Polygon, box

from cadastre.areas.aggregate import (
    BUILDING_COLUMNS,
    NO_EPCI,
    OUTSIDE,
    aggregate,
    assign_communes,
    default_communes_path,
    load_communes,
)
from cadastre.errors import CadastreError, CRSError, InputFileError, OptionError, OutputFileError

L93 = "EPSG:2154"
BBA, LENS_LIEVIN, HENIN_CARVIN = "200072460", "246200364", "246200299"
# One commune of each EPCI: Béthune, Lens, Hénin-Beaumont.
PICKED = {"62119": BBA, "62498": LENS_LIEVIN, "62427": HENIN_CARVIN}
MONTPELLIER_XY = (770_550.0, 6_277_550.0)  # the LiDAR sample, outside the PMA
SUMMED = ["buildings", "suitable_buildings", "roof_area_m2", "usable_area_m2", "usable_area_net_m2"]
SCALED = ["mwp_gross", "mwp_net", "gwh_gross", "gwh_net"]


@pytest.fixture(scope="module")
def communes() -> gpd.GeoDataFrame:
    return load_communes(crs=L93)


def _values(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Building values in quarter units, so that every sum is exact in floating point."""
    rng = np.random.default_rng(seed)
    values = {c: rng.integers(0, 4000, n) / 4.0 for c in BUILDING_COLUMNS}
    values["kwp"][::4] = 0.0  # a quarter of the buildings is unsuitable
    return values


@pytest.fixture(scope="module")
def buildings(communes) -> gpd.GeoDataFrame:
    """10 squares of 10 m around the representative point of each picked commune, plus one outside."""
    squares = []
    for code in PICKED:
        centre = shapely.point_on_surface(communes.set_index("insee").geometry[code])
        for k in range(10):
            angle = 2 * np.pi * k / 10
            x, y = centre.x + 60 * np.cos(angle), centre.y + 60 * np.sin(angle)
            squares.append(box(x - 5, y - 5, x + 5, y + 5))
    squares.append(box(MONTPELLIER_XY[0] - 5, MONTPELLIER_XY[1] - 5, MONTPELLIER_XY[0] + 5, MONTPELLIER_XY[1] + 5))
    frame = pd.DataFrame(_values(len(squares)), index=pd.RangeIndex(100, 100 + len(squares)))
    return gpd.GeoDataFrame(frame, geometry=squares, crs=L93)


@pytest.fixture(scope="module")
def assigned(buildings, communes) -> gpd.GeoDataFrame:
    return assign_communes(buildings, communes)


def _expected_code(geometry, communes) -> str | None:
    """The commune whose polygon contains the building's representative point, by shapely alone."""
    point = shapely.point_on_surface(geometry)
    hits = [code for code, poly in zip(communes["insee"], communes.geometry, strict=True) if poly.covers(point)]
    assert len(hits) <= 1
    return hits[0] if hits else None


# --------------------------------------------------------------------------- load_communes


def test_default_communes_are_the_150_pma_communes(communes):
    assert default_communes_path().is_file()
    assert len(communes) == 150
    assert list(communes.columns) == ["insee", "commune", "epci_siren", "epci", "population", "geometry"]
    assert communes["insee"].is_unique and communes["insee"].is_monotonic_increasing
    assert (communes["insee"].str.len() == 5).all()
    assert communes["epci_siren"].value_counts().to_dict() == {BBA: 100, LENS_LIEVIN: 36, HENIN_CARVIN: 14}
    assert communes["population"].notna().all()
    assert int(communes["population"].sum()) == 644_460  # municipal population, 2026 table
    assert communes.crs.to_epsg() == 2154
    assert communes.area.sum() / 1e6 == pytest.approx(1002, rel=0.02)
    assert communes.attrs["repaired"] == 0
    names = communes.set_index("insee")["commune"]
    assert names["62498"] == "Lens" and names["62252"] == "La Couture"  # 2026 names, not the 2018 'Couture'


def test_default_communes_keep_their_crs_when_none_asked():
    assert load_communes().crs.to_epsg() == 4326


def test_other_communes_file_lidar_samples():
    lidar = load_communes(default_communes_path().with_name("communes-lidar-samples.geojson"), crs=L93)
    assert len(lidar) == 18
    assert lidar["epci_siren"].isna().all() and lidar["population"].isna().all()
    assert lidar.set_index("insee")["commune"]["34172"] == "Montpellier"
    sample = gpd.GeoDataFrame(_values(1), geometry=[Point(MONTPELLIER_XY).buffer(5)], crs=L93)
    out = assign_communes(sample, lidar)
    assert out["insee"].tolist() == ["34172"] and out.attrs["outside"] == 0
    by_epci = aggregate(out, "epci_siren", communes=lidar)
    assert by_epci["epci"].tolist() == [NO_EPCI]
    assert by_epci["communes"].tolist() == [18] and by_epci["buildings"].tolist() == [1]


def test_other_file_takes_epci_and_population_from_the_pma_table(tmp_path):
    """A file with codes only (as integers) gets names, EPCI and population by code."""
    path = tmp_path / "codes.geojson"
    gpd.GeoDataFrame({"INSEE_COM": [62498, 1004]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=L93).to_file(path)
    out = load_communes(path)
    assert out["insee"].tolist() == ["01004", "62498"]
    lens = out.iloc[1]
    assert (lens["commune"], lens["epci_siren"], lens["population"]) == ("Lens", LENS_LIEVIN, 32_697)
    other = out.iloc[0]
    assert other["commune"] == "01004" and pd.isna(other["epci_siren"]) and pd.isna(other["population"])


def test_file_without_insee_column_names_its_columns(tmp_path):
    path = tmp_path / "zones.geojson"
    gpd.GeoDataFrame({"zone": ["a"], "label": ["b"]}, geometry=[box(0, 0, 1, 1)], crs=L93).to_file(path)
    with pytest.raises(InputFileError, match=r"zones\.geojson: no INSEE code column among zone, label; ") as info:
        load_communes(path)
    assert "\n" not in str(info.value)


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_file_without_crs_is_refused(tmp_path):
    path = tmp_path / "communes.shp"
    gpd.GeoDataFrame({"insee": ["62498"]}, geometry=[box(0, 0, 1, 1)]).to_file(path)
    path.with_suffix(".prj").unlink(missing_ok=True)
    with pytest.raises(CRSError, match=r"communes\.shp: has no CRS; "):
        load_communes(path)


def test_invalid_polygon_is_repaired(tmp_path):
    path = tmp_path / "bowtie.gpkg"
    bowtie = Polygon([(0, 0), (10, 10), (10, 0), (0, 10), (0, 0)])
    assert not bowtie.is_valid
    gpd.GeoDataFrame({"code": ["62498", "62510"]}, geometry=[bowtie, box(20, 0, 30, 10)], crs=L93).to_file(path)
    out = load_communes(path)
    assert out.attrs["repaired"] == 1
    assert out.is_valid.all() and set(out.geom_type) <= {"Polygon", "MultiPolygon"}
    assert out.area.iloc[0] == pytest.approx(50.0)


@pytest.mark.parametrize("content", [None, "not a vector file"])
def test_missing_or_unreadable_file(tmp_path, content):
    path = tmp_path / "communes.geojson"
    if content is not None:
        path.write_text(content)
    with pytest.raises(InputFileError, match=r"communes\.geojson: .+; "):
        load_communes(path)


def test_points_are_not_communes(tmp_path):
    path = tmp_path / "points.geojson"
    gpd.GeoDataFrame({"insee": ["62498"]}, geometry=[Point(0, 0)], crs=L93).to_file(path)
    with pytest.raises(InputFileError, match="Point geometries, not polygons"):
        load_communes(path)


# --------------------------------------------------------------------------- assign_communes


def test_assign_communes_by_representative_point(assigned, buildings, communes):
    assert len(assigned) == len(buildings) and assigned.index.equals(buildings.index)
    expected = [_expected_code(g, communes) for g in buildings.geometry]
    assert expected[:-1] == [code for code in PICKED for _ in range(10)] and expected[-1] is None
    assert assigned["insee"].iloc[:-1].tolist() == expected[:-1]
    assert pd.isna(assigned["insee"].iloc[-1]) and pd.isna(assigned["epci_siren"].iloc[-1])
    assert assigned.attrs["outside"] == 1
    assert assigned["epci_siren"].iloc[:-1].tolist() == [PICKED[c] for c in expected[:-1]]
    assert assigned.iloc[0]["commune"] == "Béthune"
    assert "insee" not in buildings.columns  # the input is not modified


def test_communes_are_reprojected_to_the_buildings_crs(buildings, communes):
    out = assign_communes(buildings, communes.to_crs(4326))
    assert out["insee"].tolist()[:-1] == [code for code in PICKED for _ in range(10)]


def test_building_straddling_two_communes_is_counted_once(communes):
    polys = communes.set_index("insee").geometry
    border = polys["62498"].boundary.intersection(polys["62510"].boundary)  # Lens / Liévin
    assert border.length > 100
    middle = shapely.line_interpolate_point(shapely.line_merge(border), 0.5, normalized=True)
    square = middle.buffer(15, cap_style="square")
    assert square.intersects(polys["62498"]) and square.intersects(polys["62510"])
    house = gpd.GeoDataFrame(_values(1), geometry=[square], crs=L93)
    out = assign_communes(house, communes)
    assert len(out) == 1 and out["insee"].iloc[0] == _expected_code(square, communes)
    assert aggregate(out, "insee", communes=communes)["buildings"].sum() == 1


def test_point_on_a_shared_border_goes_to_the_smaller_code():
    zones = gpd.GeoDataFrame(
        {"insee": ["62002", "62001"], "commune": ["B", "A"], "epci_siren": [pd.NA] * 2, "epci": [pd.NA] * 2},
        geometry=[box(10, 0, 20, 10), box(0, 0, 10, 10)],
        crs=L93,
    )
    house = box(9, 4, 11, 6)
    assert shapely.point_on_surface(house).equals(Point(10, 5))  # exactly on the shared edge
    out = assign_communes(gpd.GeoDataFrame(_values(1), geometry=[house], crs=L93), zones)
    assert out["insee"].tolist() == ["62001"]


def test_assign_needs_a_crs(buildings, communes):
    with pytest.raises(CRSError, match="buildings: have no CRS; "):
        assign_communes(buildings.set_crs(None, allow_override=True), communes)


# --------------------------------------------------------------------------- aggregate


def test_aggregate_by_commune(assigned, communes):
    table = aggregate(assigned, "insee", communes=communes)
    assert len(table) == 151  # every commune, plus the outside row
    assert table["insee"].iloc[:-1].is_monotonic_increasing
    last = table.iloc[-1]
    assert pd.isna(last["insee"]) and last["commune"] == OUTSIDE and last["buildings"] == 1
    rows = table.set_index("insee", drop=False)
    for code in PICKED:
        mine = assigned[assigned["insee"] == code]
        row = rows.loc[code]
        assert row["buildings"] == 10 and row["suitable_buildings"] == int((mine["kwp"] > 0).sum())
        assert row["roof_area_m2"] == mine["roof_area_m2"].sum()
        assert row["usable_area_net_m2"] == mine["usable_area_net_m2"].sum()
        assert row["mwp_gross"] == mine["kwp"].sum() / 1000 and row["gwh_net"] == mine["mwh_net"].sum() / 1000
        assert row["population"] == communes.set_index("insee")["population"][code]
    assert (table["buildings"] > 0).sum() == 4
    assert table["population"].iloc[:-1].sum() == 644_460


def test_aggregate_without_communes_lists_only_communes_with_buildings(assigned):
    table = aggregate(assigned, "insee")
    assert table["insee"].iloc[:-1].tolist() == sorted(PICKED)
    assert table["population"].isna().all() and table["commune"].iloc[-1] == OUTSIDE


def test_totals_add_up_commune_epci_territory(assigned, communes):
    by_commune = aggregate(assigned, "insee", communes=communes)
    by_epci = aggregate(assigned, "epci_siren", communes=communes)
    territory = aggregate(assigned, None, communes=communes)
    assert by_epci["epci_siren"].iloc[:-1].tolist() == sorted([BBA, LENS_LIEVIN, HENIN_CARVIN])
    assert by_epci["epci"].iloc[-1] == OUTSIDE and pd.isna(by_epci["epci_siren"].iloc[-1])
    assert by_epci["communes"].tolist() == [100, 14, 36, 0]
    assert by_epci["population"].iloc[:-1].sum() == 644_460
    # Communes -> EPCIs (the outside row maps to the outside row).
    per_epci = by_commune.assign(key=by_commune["epci_siren"].fillna(OUTSIDE)).groupby("key")[SUMMED + SCALED].sum()
    epci = by_epci.assign(key=by_epci["epci_siren"].fillna(OUTSIDE)).set_index("key")
    pd.testing.assert_frame_equal(per_epci[SUMMED], epci.loc[per_epci.index, SUMMED], check_dtype=False)
    pd.testing.assert_frame_equal(per_epci[SCALED], epci.loc[per_epci.index, SCALED], rtol=1e-12)
    # Every table sums to the territory, which sums the buildings (outside one included).
    total = territory.iloc[0]
    assert len(territory) == 1 and total["outside_buildings"] == 1 and total["communes"] == 150
    assert total["buildings"] == len(assigned) and total["population"] == 644_460
    for table in (by_commune, by_epci):
        for column in SUMMED:
            assert table[column].sum() == total[column]
        for column in SCALED:
            assert table[column].sum() == pytest.approx(total[column], rel=1e-12)
    for column, source in [("roof_area_m2", "roof_area_m2"), ("usable_area_m2", "usable_area_m2"),
                           ("usable_area_net_m2", "usable_area_net_m2")]:
        assert total[column] == assigned[source].sum()
    for column, source in [("mwp_gross", "kwp"), ("mwp_net", "kwp_net"), ("gwh_gross", "mwh"), ("gwh_net", "mwh_net")]:
        assert total[column] == assigned[source].sum() / 1000
    assert total["suitable_buildings"] == int((assigned["kwp"] > 0).sum())


def test_aggregate_territory_needs_no_communes(buildings):
    total = aggregate(buildings, None).iloc[0]
    assert total["buildings"] == len(buildings) and pd.isna(total["outside_buildings"])
    assert total["roof_area_m2"] == buildings["roof_area_m2"].sum()


def test_nan_values_count_as_zero(assigned):
    holed = assigned.copy()
    holed.loc[holed.index[0], ["mwh", "kwp"]] = np.nan
    total = aggregate(holed, None).iloc[0]
    assert total["gwh_gross"] == holed["mwh"].sum() / 1000
    assert total["suitable_buildings"] == int((holed["kwp"] > 0).sum())


def test_aggregate_names_missing_columns(assigned):
    with pytest.raises(CadastreError, match=r"buildings: missing columns kwp_net, mwh; "):
        aggregate(assigned.drop(columns=["kwp_net", "mwh"]), None)
    with pytest.raises(CadastreError, match=r"missing columns insee, commune, epci_siren, epci; "):
        aggregate(pd.DataFrame(_values(2)), "insee")
    with pytest.raises(OptionError, match="by='commune'"):
        aggregate(assigned, "commune")


# --------------------------------------------------------------------------- write_table

from cadastre.results.tables import write_table  # noqa: E402  (the one CSV writer of tables)


def test_write_table_csv_utf8_atomic(tmp_path, assigned, communes):
    table = aggregate(assigned, "insee", communes=communes)
    path = write_table(table, tmp_path / "communes.csv")
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("insee,commune,epci_siren,epci,population,buildings,")
    assert "Béthune" in text and f",{OUTSIDE},,," in text
    back = pd.read_csv(path, dtype={"insee": str, "epci_siren": str})
    assert len(back) == 151 and back["buildings"].sum() == len(assigned)
    assert list(tmp_path.iterdir()) == [path]  # no temporary left behind
    with pytest.raises(OutputFileError, match="already exists; pass --overwrite"):
        write_table(table, path)
    write_table(table.iloc[:3], path, overwrite=True)
    assert len(pd.read_csv(path)) == 3


# --------------------------------------------------------------------------- monthly tables

from cadastre.areas.aggregate import BUILDING_MONTHLY_COLUMNS, aggregate_monthly  # noqa: E402


@pytest.mark.slow
@pytest.mark.parametrize("by", ["insee", "epci_siren", None])
def test_each_month_is_the_annual_grouping_of_that_month(assigned, communes, by):
    # oracle: the annual aggregate of a frame whose production is the month's (net by the building's ratio)
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(assigned.drop(columns="geometry"))
    months = rng.uniform(0.0, 5.0, size=(len(frame), 12))
    months[::4] = 0.0  # buildings without production
    for m, column in enumerate(BUILDING_MONTHLY_COLUMNS):
        frame[column] = months[:, m]
    frame["mwh"] = months.sum(axis=1)
    frame["mwh_net"] = 0.6 * frame["mwh"]
    table = aggregate_monthly(frame, by, communes=communes)
    for m, column in enumerate(BUILDING_MONTHLY_COLUMNS, start=1):
        expected = aggregate(frame.assign(mwh=frame[column], mwh_net=0.6 * frame[column]), by, communes=communes)
        got = table[table["month"] == m]
        assert len(got) == len(expected)
        np.testing.assert_allclose(got["gwh_gross"].to_numpy(float), expected["gwh_gross"].to_numpy(float), rtol=1e-12)
        np.testing.assert_allclose(got["gwh_net"].to_numpy(float), expected["gwh_net"].to_numpy(float), rtol=1e-12)
