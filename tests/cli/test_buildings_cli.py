"""``cadastre buildings`` from the command line: outputs, real LiDAR HD + BD TOPO data, bad inputs.

- A small synthetic scene near Lens (flat, gable 35° S/N, single-pitch roofs on a flat ground,
  0.5 m cells) whose irradiance is computed by ``cadastre irradiance`` over one clear-sky day:
  the five output files and buildings.json, their columns and their sums; footprints in
  EPSG:4326; a bow-tie footprint; --config and --print-config; every bad input gives exit code
  2, one ``error:`` line on stderr and no output (nor ``*.tmp``).
- The LiDAR HD subset of Louhans with its 40 BD TOPO footprints (``tests/data/louhans``, see
  ``tests/data/PROVENANCE.md``): prepare ->
  irradiance -> buildings, with plausible figures (ranges a wrong unit or a lost cosine would
  leave).
"""

from __future__ import annotations

import json
import math
import tomllib
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pvlib
import pytest
import rasterio
from helpers import X0, Y0, cli_runner, error_line, tmp_files
from rasterio.transform import from_origin
from shapely.geometry import Polygon, box

from cadastre.config import Config, load_config
from cadastre.results.tables import decimals
from cli.main import app
from rasters.io import to_dataarray, write_bands

pytestmark = pytest.mark.slow  # end-to-end command lines: left out of `make test-fast`

ROOT = Path(__file__).resolve().parents[2]
LOUHANS = ROOT / "tests" / "data" / "louhans"  # real LiDAR HD and BD TOPO (tests/data/PROVENANCE.md)
SAMPLE_COMMUNES = ROOT / "cadastre" / "data" / "communes-lidar-samples.geojson"
OUTPUTS = ("roofs.gpkg", "buildings.gpkg", "coverage.gpkg", "communes.csv", "epci.csv", "territory.csv",
           "communes_monthly.csv", "epci_monthly.csv", "territory_monthly.csv", "tables.xlsx", "buildings.json",
           "profiles.parquet")  # profiles: 'cadastre irradiance' wrote the horizon codes beside its raster
ROOF_COLUMNS = ("face", "building_id", "tilt", "azimuth", "area_m2", "irradiation", "usable_area_m2", "kwp", "mwh",
                "specific_yield", "class", "suitable")
SUMS = {  # table column -> (building column, divisor)
    "roof_area_m2": ("roof_area_m2", 1.0),
    "usable_area_m2": ("usable_area_m2", 1.0),
    "usable_area_net_m2": ("usable_area_net_m2", 1.0),
    "mwp_gross": ("kwp", 1000.0),
    "mwp_net": ("kwp_net", 1000.0),
    "gwh_gross": ("mwh", 1000.0),
    "gwh_net": ("mwh_net", 1000.0),
}

CELL = 0.5
SHAPE = (100, 120)  # 50 m (N-S) x 60 m (W-E)
GROUND = 30.0

runner = cli_runner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def assert_bad(result, out: Path, folder: Path, *needles: str) -> str:
    """Exit 2, one ``error: `` line on stderr holding every needle, no output written."""
    line = error_line(result, *needles)
    assert not out.exists()
    assert tmp_files(folder) == []
    return line


# ---------------------------------------------------------------------------
# the synthetic scene
# ---------------------------------------------------------------------------

ROOFS = {  # name: (kind, (east0, south0, east1, south1) metres from (X0, Y0), eaves height, tilt, azimuth)
    "flat": ("flat", (4, 4, 20, 16), 8.0, 0.0, 0.0),
    "gable": ("gable", (28, 4, 48, 20), 6.0, 35.0, 0.0),
    "shed": ("shed", (10, 26, 30, 44), 5.0, 20.0, 200.0),
}


def heights() -> np.ndarray:
    """Ground at 30 m and the three roofs of ROOFS (rows north to south)."""
    rows, cols = np.mgrid[0 : SHAPE[0], 0 : SHAPE[1]]
    x, y = (cols + 0.5) * CELL, (rows + 0.5) * CELL  # metres east and south of (X0, Y0)
    z = np.full(SHAPE, GROUND)
    for kind, (e0, s0, e1, s1), eaves, tilt, azimuth in ROOFS.values():
        inside = (x > e0) & (x < e1) & (y > s0) & (y < s1)
        xs, ys = x[inside], y[inside]
        t = math.tan(math.radians(tilt))
        if kind == "flat":
            roof = np.full(xs.shape, eaves)
        elif kind == "gable":  # ridge along x
            roof = eaves + t * ((s1 - s0) / 2 - np.abs(ys - (s0 + s1) / 2))
        else:  # one plane facing azimuth
            a = math.radians(azimuth)
            along = xs * math.sin(a) - ys * math.cos(a)
            roof = eaves + t * (along.max() - along)
        z[inside] = GROUND + roof
    return z


def footprint_frame() -> gpd.GeoDataFrame:
    """Footprints with attributes to keep; 'kwp' collides with a result column."""
    return gpd.GeoDataFrame(
        {"name": list(ROOFS), "levels": [3, 2, 1], "kwp": [-1.0, -2.0, -3.0]},
        geometry=[box(X0 + e0, Y0 - s1, X0 + e1, Y0 - s0) for _, (e0, s0, e1, s1), *_ in ROOFS.values()],
        crs="EPSG:2154",
    )


def write_raster(values: np.ndarray, path: Path, name: str, origin=(X0, Y0)) -> Path:
    da = to_dataarray(np.asarray(values, float), "EPSG:2154", from_origin(*origin, CELL, CELL), name=name, units="m")
    write_bands([da], path)
    return path


def write_day(path: Path) -> Path:
    """One clear-sky day at Lens (21 June 2023), hourly, UTC stamps marking the middle of the hour."""
    times = pd.date_range("2023-06-21 00:30", periods=24, freq="h", tz="UTC")
    cs = pvlib.location.Location(50.43, 2.83, altitude=40).get_clearsky(times)
    frame = pd.DataFrame({"time": [t.isoformat() for t in times], "ghi": cs["ghi"].round(2),
                          "dni": cs["dni"].round(2), "dhi": cs["dhi"].round(2)})
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    """dsm.tif, prepared/ndsm.tif, footprints.gpkg, day.csv and irradiance.tif (through the CLI)."""
    folder = tmp_path_factory.mktemp("scene")
    z = heights()
    dsm = write_raster(z, folder / "dsm.tif", "dsm")
    (folder / "prepared").mkdir()
    write_raster(z - GROUND, folder / "prepared" / "ndsm.tif", "ndsm")
    footprint_frame().to_file(folder / "footprints.gpkg")
    day = write_day(folder / "day.csv")
    irr = folder / "irradiance.tif"
    r = run("irradiance", dsm, "-o", irr, "--weather", day, "--directions", "8", "--sky", "perez", "-q")
    assert r.exit_code == 0, (r.stderr, r.exception)
    return folder


def good_args(scene: Path, out: Path, *extra):
    return ["buildings", "-i", scene / "irradiance.tif", "-p", scene / "prepared", "-f", scene / "footprints.gpkg",
            "-w", scene / "day.csv", "-o", out, *extra]


@pytest.fixture(scope="module")
def result(scene, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    r = run(*good_args(scene, out))
    assert r.exit_code == 0, (r.stderr, r.exception)
    return r, out


def read_outputs(out: Path):
    roofs = gpd.read_file(out / "roofs.gpkg", layer="roofs")
    b = gpd.read_file(out / "buildings.gpkg", layer="buildings")
    text = {"insee": str, "epci_siren": str}
    communes = pd.read_csv(out / "communes.csv", dtype=text)
    epci = pd.read_csv(out / "epci.csv", dtype=text)
    territory = pd.read_csv(out / "territory.csv")
    report = json.loads((out / "buildings.json").read_text())
    return roofs, b, communes, epci, territory, report


def half(column: str) -> float:
    """Half a unit of the last decimal a table column is written with (0 for a count)."""
    digits = decimals(column)
    return 0.0 if digits is None else 0.5 * 10.0 ** -digits * (1 + 1e-9)


def assert_tables_sum_buildings(b, communes, epci, territory):
    """Every commune / EPCI row is the sum of its buildings; the tables add up to the territory."""
    for table, key in ((communes, "insee"), (epci, "epci_siren")):
        for code, group in b.groupby(key):
            row = table.set_index(key).loc[code]
            assert row["buildings"] == len(group)
            assert row["suitable_buildings"] == int((group["kwp"] > 0).sum())
            for column, (source, divisor) in SUMS.items():
                # the CSV holds the sum rounded to the column's precision (results.tables): within half a unit
                assert row[column] == pytest.approx(group[source].sum() / divisor, rel=1e-9, abs=half(column)), column
        for column in ("buildings", "suitable_buildings", *SUMS):
            assert table[column].sum() == pytest.approx(territory[column].iloc[0], rel=1e-9,
                                                        abs=half(column) * (len(table) + 1)), column
    assert territory["buildings"].iloc[0] == len(b)
    for column, (source, divisor) in SUMS.items():
        assert territory[column].iloc[0] == pytest.approx(b[source].sum() / divisor, rel=1e-9, abs=half(column)), \
            column


# ---------------------------------------------------------------------------
# 1. outputs of a good run
# ---------------------------------------------------------------------------


def test_outputs_layers_and_columns(result, tmp_path):
    r, out = result
    assert "cadastre buildings" in r.stdout and "top 3 buildings" in r.stdout
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)
    assert tmp_files(out.parent) == []
    assert gpd.list_layers(out / "roofs.gpkg")["name"].tolist() == ["roofs"]
    assert gpd.list_layers(out / "buildings.gpkg")["name"].tolist() == ["buildings"]
    roofs, b, communes, epci, territory, report = read_outputs(out)
    assert set(ROOF_COLUMNS) <= set(roofs.columns), sorted(roofs.columns)
    assert roofs.crs.to_epsg() == 2154 and b.crs.to_epsg() == 2154
    # input attributes kept; the one named like a result column is renamed, not overwritten
    assert list(b["name"]) == list(ROOFS) and list(b["levels"]) == [3, 2, 1]
    assert list(b["input_kwp"]) == [-1.0, -2.0, -3.0] and (b["kwp"] > 0).all()
    fp = footprint_frame()
    assert all(b.geometry.iloc[k].equals_exact(fp.geometry.iloc[k], 1e-6) for k in range(len(fp)))
    # faces: 1 flat, 2 gable (the north one unsuitable), 1 shed
    count = roofs.groupby("building_id").size()
    assert count.to_dict() == {1: 1, 2: 2, 3: 1}
    gable = roofs[roofs["building_id"] == 2].sort_values("azimuth")
    assert abs(gable["azimuth"].iloc[0] - 0) < 1 or abs(gable["azimuth"].iloc[0] - 360) < 1
    assert abs(gable["azimuth"].iloc[1] - 180) < 1 and (abs(gable["tilt"] - 35) < 1).all()
    assert gable["suitable"].astype(bool).tolist() == [False, True]
    shed = roofs[roofs["building_id"] == 3].iloc[0]
    assert abs(shed["tilt"] - 20) < 1 and abs(shed["azimuth"] - 200) < 1
    suitable = roofs["suitable"].astype(bool)
    assert (roofs.loc[suitable, "kwp"] == roofs.loc[suitable, "usable_area_m2"] * 0.2).all()
    assert (roofs.loc[~suitable, ["kwp", "mwh"]] == 0).all().all()
    np.testing.assert_allclose(roofs["mwh"], roofs["kwp"] * roofs["specific_yield"] / 1000, rtol=1e-9)
    per = roofs.groupby("building_id")[["kwp", "mwh", "area_m2"]].sum()
    np.testing.assert_allclose(b.set_index("building_id")[["kwp", "mwh", "roof_area_m2"]], per, rtol=1e-9)
    # communes: the 150 PMA communes by default; the scene lies in Éleu-dit-Leauwette
    assert len(communes) == 150 and len(epci) == 3 and len(territory) == 1
    assert set(b["insee"]) == {"62291"} and set(b["epci_siren"]) == {"246200364"}
    assert territory["population"].iloc[0] == 644460
    assert_tables_sum_buildings(b, communes, epci, territory)
    assert report["buildings"] == 3 and report["faces"] == len(roofs) == 4
    assert report["suitable_faces"] == int(suitable.sum())
    assert report["footprints_repaired"] == 0 and report["buildings_outside_raster"] == 0
    assert report["sky"] == "perez" and report["net_reduction"] == 0.35


def test_footprints_in_another_crs_are_reprojected(scene, result, tmp_path):
    _, ref_out = result
    wgs = tmp_path / "fp4326.geojson"
    footprint_frame().to_crs("EPSG:4326").to_file(wgs)
    assert gpd.read_file(wgs).crs.to_epsg() == 4326
    out = tmp_path / "out"
    args = good_args(scene, out, "-q")
    args[args.index("-f") + 1] = wgs
    r = run(*args)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "" and r.stderr == ""
    _, b, _, _, territory, _ = read_outputs(out)
    _, ref, _, _, ref_territory, _ = read_outputs(ref_out)
    assert b.crs.to_epsg() == 2154  # the raster's CRS
    columns = ["faces", "suitable_faces", "usable_area_m2", "kwp", "mwh", "irradiation", "class"]
    np.testing.assert_allclose(b[columns].to_numpy(float), ref[columns].to_numpy(float), rtol=1e-9)
    np.testing.assert_allclose(b["footprint_area_m2"], ref["footprint_area_m2"], rtol=1e-6)
    assert territory["gwh_gross"].iloc[0] == pytest.approx(ref_territory["gwh_gross"].iloc[0], rel=1e-9)


def test_bow_tie_footprint_is_repaired_and_counted(scene, tmp_path):
    fp = footprint_frame()
    x0, y0 = X0 + 4, Y0 - 4  # over the flat roof: two triangles of a quarter of a 12 m square each
    fp.loc[0, "geometry"] = Polygon([(x0, y0), (x0 + 12, y0 - 12), (x0 + 12, y0), (x0, y0 - 12)])
    assert not fp.geometry.iloc[0].is_valid
    path = tmp_path / "bow.gpkg"
    fp.to_file(path)
    out = tmp_path / "out"
    args = good_args(scene, out, "-q")
    args[args.index("-f") + 1] = path
    r = run(*args)
    assert r.exit_code == 0, (r.stderr, r.exception)
    _, b, *_, report = read_outputs(out)
    assert report["footprints_repaired"] == 1 and report["buildings"] == 3
    assert b.geometry.is_valid.all()
    bow = b[b["name"] == "flat"].iloc[0]
    assert bow["footprint_area_m2"] == pytest.approx(72.0) and bow.geometry.area == pytest.approx(72.0)
    # a flat roof cut to the two triangles (one flat face per connected part)
    assert bow["faces"] in (1, 2) and bow["roof_area_m2"] == pytest.approx(72.0, rel=0.15)


def test_config_file_changes_the_result(scene, result, tmp_path):
    _, ref_out = result
    config = tmp_path / "c.toml"
    config.write_text("[pv]\nmodule_density = 0.1\n\n[aggregate]\nnet_reduction = 0.5\n")
    out = tmp_path / "out"
    r = run(*good_args(scene, out, "-q", "--config", config))
    assert r.exit_code == 0, r.stderr
    _, b, *_ = read_outputs(out)
    _, ref, *_ = read_outputs(ref_out)
    np.testing.assert_allclose(b["kwp"], ref["kwp"] / 2, rtol=1e-12)
    np.testing.assert_allclose(b["mwh"], ref["mwh"] / 2, rtol=1e-12)
    np.testing.assert_allclose(b["kwp_net"], b["kwp"] * 0.5, rtol=1e-12)


def test_print_config_reads_back_to_the_defaults(tmp_path):
    r = run("buildings", "--print-config")
    assert r.exit_code == 0, r.stderr
    text = r.stdout
    data = tomllib.loads(text)
    assert set(data) == {"sky", "albedo", "pv", "roofs", "aggregate", "thermal"}
    assert data["pv"]["module_density"] == 0.2 and data["aggregate"]["net_reduction"] == 0.35
    path = tmp_path / "defaults.toml"
    path.write_text(text)
    assert load_config(path) == Config()
    # eager: it wins over the other options, even missing or wrong ones
    again = run("buildings", "-i", tmp_path / "nope.tif", "-o", tmp_path / "out", "--print-config")
    assert again.exit_code == 0 and again.stdout == text
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------
# 2. bad inputs
# ---------------------------------------------------------------------------

BAD = [
    "missing-irradiance", "dsm-as-irradiance", "no-overlap", "no-insee-column", "missing-communes", "other-grid",
    "prepared-not-a-folder", "unknown-key", "unknown-top-key", "unknown-section", "bad-value", "missing-footprints",
    "footprints-not-vector", "footprints-without-crs", "footprints-points", "no-footprints", "negative-top",
]


@pytest.mark.parametrize("case", BAD)
def test_bad_input(scene, tmp_path, case):
    out = tmp_path / "out"
    args = good_args(scene, out, "-q")

    def replace(option, value):
        args[args.index(option) + 1] = value

    needles: list[str] = []
    if case == "missing-irradiance":
        replace("-i", tmp_path / "nope.tif")
        needles = ["nope.tif", "no such file"]
    elif case == "dsm-as-irradiance":  # a plain DSM has no 'global', 'slope', 'aspect' bands
        replace("-i", scene / "dsm.tif")
        needles = ["dsm.tif", "global", "cadastre irradiance"]
    elif case == "no-overlap":
        far = footprint_frame().translate(xoff=10_000.0)
        far.to_file(tmp_path / "far.gpkg")
        replace("-f", tmp_path / "far.gpkg")
        needles = ["none of the 3 buildings", "EPSG:2154"]
    elif case == "no-insee-column":
        zones = gpd.read_file(SAMPLE_COMMUNES).rename(columns={"code": "zone", "nom": "label"})
        zones.to_file(tmp_path / "zones.geojson")
        args += ["--communes", tmp_path / "zones.geojson"]
        needles = ["zones.geojson", "INSEE", "zone"]
    elif case == "missing-communes":
        args += ["--communes", tmp_path / "nope.geojson"]
        needles = ["nope.geojson"]
    elif case == "other-grid":  # the same rasters shifted by one cell
        other = tmp_path / "prep2"
        other.mkdir()
        write_raster(heights() - GROUND, other / "ndsm.tif", "ndsm", origin=(X0 + CELL, Y0))
        replace("-p", other)
        needles = ["ndsm.tif", "not on the grid"]
    elif case == "prepared-not-a-folder":
        replace("-p", scene / "day.csv")
        needles = ["day.csv", "not a folder"]
    elif case == "unknown-key":
        (tmp_path / "c.toml").write_text("[roofs]\nsetback = 0.5\nmax_tilt = 50\n")
        args += ["--config", tmp_path / "c.toml"]
        needles = ["c.toml", "roofs.max_tilt"]
    elif case == "unknown-top-key":
        (tmp_path / "c.toml").write_text("albedo = 0.3\nmodule_density = 0.2\n")
        args += ["--config", tmp_path / "c.toml"]
        needles = ["c.toml", "module_density"]
    elif case == "unknown-section":
        (tmp_path / "c.toml").write_text("[panels]\nmodule_density = 0.2\n")
        args += ["--config", tmp_path / "c.toml"]
        needles = ["c.toml", "[panels]"]
    elif case == "bad-value":
        (tmp_path / "c.toml").write_text("[pv]\nmodule_density = -0.2\n")
        args += ["--config", tmp_path / "c.toml"]
        needles = ["c.toml", "pv.module_density"]
    elif case == "missing-footprints":
        replace("-f", tmp_path / "nope.gpkg")
        needles = ["nope.gpkg"]
    elif case == "footprints-not-vector":
        replace("-f", scene / "day.csv")  # GDAL reads a CSV as a table without geometry
        needles = ["day.csv", "no geometry"]
    elif case == "footprints-without-crs":  # a shapefile without .prj (GeoJSON would default to EPSG:4326)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            footprint_frame().set_crs(None, allow_override=True).to_file(tmp_path / "nocrs.shp")
        replace("-f", tmp_path / "nocrs.shp")
        needles = ["no CRS"]
    elif case == "footprints-points":  # no polygon at all
        points = footprint_frame().set_geometry(footprint_frame().centroid)
        points.to_file(tmp_path / "points.gpkg")
        replace("-f", tmp_path / "points.gpkg")
        needles = ["no valid polygon"]
    elif case == "no-footprints":  # neither --footprints nor a building mask in --prepared
        i = args.index("-f")
        del args[i : i + 2]
        needles = ["irradiance.tif", "--footprints"]
    elif case == "negative-top":
        args += ["--top", "-1"]
        needles = ["--top"]
    assert_bad(run(*args), out, tmp_path, *needles)


def test_existing_outputs_need_overwrite(scene, tmp_path):
    out = tmp_path / "out"
    assert run(*good_args(scene, out, "-q")).exit_code == 0
    before = {name: (out / name).read_bytes() for name in OUTPUTS}
    r = run(*good_args(scene, out, "-q"))
    assert r.exit_code == 2, (r.stderr, r.exception)
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "--overwrite" in lines[0], r.stderr
    assert {name: (out / name).read_bytes() for name in OUTPUTS} == before
    assert tmp_files(tmp_path) == []
    # one leftover output is enough to refuse
    for name in OUTPUTS:
        if name != "communes.csv":
            (out / name).unlink()
    r = run(*good_args(scene, out, "-q"))
    assert r.exit_code == 2 and "communes.csv" in r.stderr and "--overwrite" in r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["communes.csv"]
    r = run(*good_args(scene, out, "-q", "--overwrite"))
    assert r.exit_code == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)
    assert tmp_files(tmp_path) == []


def test_output_path_that_is_a_file(scene, tmp_path):
    out = tmp_path / "out"
    out.write_text("not a folder")
    r = run(*good_args(scene, out, "-q"))
    assert r.exit_code == 2 and "not a folder" in r.stderr
    assert out.read_text() == "not a folder"


def test_buildings_outside_every_commune_are_reported(scene, tmp_path):
    out = tmp_path / "out"
    r = run(*good_args(scene, out, "-q", "--communes", SAMPLE_COMMUNES))  # communes far from Lens
    assert r.exit_code == 0, (r.stderr, r.exception)
    _, b, communes, epci, territory, _ = read_outputs(out)
    assert b["insee"].isna().all() and b["commune"].isna().all()
    # the 18 sample communes with zeros, then the row of the buildings outside them
    assert len(communes) == 19 and (communes["buildings"].iloc[:-1] == 0).all()
    outside = communes.iloc[-1]
    assert outside["commune"] == "(outside the communes)" and pd.isna(outside["insee"])
    assert outside["buildings"] == 3 and outside["suitable_buildings"] == int((b["kwp"] > 0).sum())
    assert outside["gwh_gross"] == pytest.approx(b["mwh"].sum() / 1000, rel=1e-9, abs=half("gwh_gross"))
    assert outside["mwp_net"] == pytest.approx(b["kwp_net"].sum() / 1000, rel=1e-9, abs=half("mwp_net"))
    row = epci.set_index("epci").loc["(outside the communes)"]
    assert row["buildings"] == 3 and row["gwh_gross"] == pytest.approx(b["mwh"].sum() / 1000, rel=1e-9,
                                                                       abs=half("gwh_gross"))
    assert epci["buildings"].sum() == 3
    assert territory["outside_buildings"].iloc[0] == 3 and territory["buildings"].iloc[0] == 3
    assert territory["gwh_gross"].iloc[0] == pytest.approx(b["mwh"].sum() / 1000, rel=1e-9, abs=half("gwh_gross"))


# ---------------------------------------------------------------------------
# 3. real data: LiDAR HD and BD TOPO footprints at Louhans
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def louhans(tmp_path_factory):
    laz = sorted(LOUHANS.glob("*.laz"))
    shp = sorted(LOUHANS.glob("*.shp"))
    assert laz and shp, f"test data missing from {LOUHANS}"
    folder = tmp_path_factory.mktemp("louhans")
    prepared, irr, out = folder / "prepared", folder / "irradiance.tif", folder / "buildings"
    r = run("prepare", *laz, "-o", prepared, "-q")
    assert r.exit_code == 0, (r.stderr, r.exception)
    r = run("irradiance", prepared / "dsm.tif", "-o", irr, "--directions", "16", "-q")
    assert r.exit_code == 0, (r.stderr, r.exception)
    r = run("buildings", "-i", irr, "-p", prepared, "-f", shp[0], "--communes", SAMPLE_COMMUNES, "-o", out)
    assert r.exit_code == 0, (r.stderr, r.exception)
    return shp[0], prepared, irr, out


def test_louhans_end_to_end(louhans):
    shp, _, irr, out = louhans
    roofs, b, communes, epci, territory, report = read_outputs(out)
    footprints = gpd.read_file(shp)
    assert len(footprints) == 40
    # the representative-point rule: exactly the footprints whose point lies on the raster are kept
    with rasterio.open(irr) as src:
        left, bottom, right, top = src.bounds
    pts = footprints.geometry.representative_point()
    on = (pts.x >= left) & (pts.x < right) & (pts.y > bottom) & (pts.y <= top)
    assert report["buildings"] == len(b) == int(on.sum()) >= 4
    assert report["buildings_outside_raster"] == 40 - len(b)
    assert report["footprints_repaired"] == 0
    assert "PRESENCE" in b.columns  # BD TOPO attributes kept
    assert b.geometry.has_z.sum() == 0  # PolygonZ flattened
    # all in Louhans (71263)
    assert set(b["insee"]) == {"71263"} and set(b["commune"]) == {"Louhans"}
    row = communes.set_index("insee").loc["71263"]
    assert row["buildings"] == len(b)
    assert_tables_sum_buildings(b, communes, epci, territory)
    # kWp = usable area x 0.2 (faces and buildings); MWh / kWp = specific yield
    suitable = roofs["suitable"].astype(bool)
    assert suitable.sum() >= 4
    assert ((roofs.loc[suitable, "kwp"] - roofs.loc[suitable, "usable_area_m2"] * 0.2).abs() < 1e-9).all()
    assert (roofs.loc[~suitable, "kwp"] == 0).all()
    np.testing.assert_allclose(b["kwp"], b["usable_area_m2"] * 0.2, rtol=1e-9)
    producing = b[b["kwp"] > 0]
    assert len(producing) >= 3
    np.testing.assert_allclose(1000 * producing["mwh"] / producing["kwp"], producing["specific_yield"], rtol=1e-9)
    np.testing.assert_allclose(roofs["mwh"], roofs["kwp"] * roofs["specific_yield"] / 1000, rtol=1e-9)
    # plausible physics (default TMY, 16 directions): a W/kW slip, a lost cosine or a wrong sum leaves these ranges
    good = producing[producing["class"] >= 4]
    assert len(good) >= 1
    assert good["specific_yield"].between(800, 1150).all(), good["specific_yield"]
    assert producing["specific_yield"].between(600, 1150).all(), producing["specific_yield"]
    best_faces = roofs[suitable & (roofs["class"] >= 4)]
    assert len(best_faces) >= 1
    assert best_faces["irradiation"].between(900, 1400).all(), best_faces["irradiation"]
    assert roofs.loc[suitable, "irradiation"].between(700, 1400).all()
    # performance ratio of good faces: AC yield / plane irradiation
    ratio = best_faces["specific_yield"] / best_faces["usable_irradiation"]
    assert ratio.between(0.70, 0.88).all(), ratio
    # suitable faces are pitched at most 60°, none faces north; their shading ratio is a ratio
    assert (roofs.loc[suitable, "tilt"] <= 60).all()
    north = roofs["azimuth"].map(lambda a: min(a % 360, 360 - a % 360) < 45) & ~roofs["flat"].astype(bool)
    assert not (suitable & north).any()
    assert roofs["shading_ratio"].between(0, 1).all()
    # roofs are pitched: true roof area exceeds the footprint, but not by a lost cosine's worth
    with_faces = b[b["faces"] > 0]
    stretch = with_faces["roof_area_m2"].sum() / with_faces["footprint_area_m2"].sum()
    assert 0.8 < stretch < 1.6
    assert report["optimum"]["tilt"] == pytest.approx(35, abs=10)
    assert 160 <= report["optimum"]["azimuth"] <= 200
    assert 1150 < report["optimum"]["poa_kwh_m2"] < 1450
