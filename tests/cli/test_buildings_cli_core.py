"""`cadastre buildings` end to end on the shipped LiDAR sample, and its bad inputs."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from cadastre.config import Config, load_config
from helpers import cli_runner, shared_build

from cli.main import app

pytestmark = pytest.mark.slow  # the sample through the whole command line: left out of `make test-fast`

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples" / "lidar"
SAMPLE_COMMUNES = ROOT / "cadastre" / "data" / "communes-lidar-samples.geojson"

runner = cli_runner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """prepare + irradiance (16 directions) of the six sample tiles, through the CLI (once per session;
    the tests only read them)."""
    folder, value = shared_build(tmp_path_factory, "buildings-cli-sample", _prepare_and_irradiance)
    return folder, *value


def _prepare_and_irradiance(folder: Path) -> tuple[Path, Path]:
    prepared = folder / "prepared"
    assert run("prepare", *sorted(SAMPLES.glob("*.laz")), "-o", prepared, "-q").exit_code == 0
    irr = folder / "irradiance.tif"
    r = run("irradiance", prepared / "dsm.tif", "-o", irr, "--directions", "16", "--sky", "perez", "-q")
    assert r.exit_code == 0, r.stderr
    return prepared, irr


def assert_bad(result, out: Path, *needles):
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr, result.exception)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    assert not out.exists() or not any(out.iterdir())


@pytest.fixture(scope="module")
def from_the_mask(inputs, tmp_path_factory):
    """``cadastre buildings`` on the sample, footprints from the building mask, run once per session:
    (its output folder, exit code, stdout, stderr). Only read the folder (copy it to change it)."""
    _folder, prepared, irr = inputs

    def build(root: Path):
        r = run("buildings", "-i", irr, "-p", prepared, "--communes", SAMPLE_COMMUNES, "-o", root / "b")
        return root / "b", r.exit_code, r.stdout, r.stderr

    return shared_build(tmp_path_factory, "buildings-cli-mask", build)[1]


def test_buildings_from_the_building_mask(from_the_mask):
    out, exit_code, stdout, stderr = from_the_mask
    assert exit_code == 0, stderr
    assert "top" in stdout and "cadastre buildings" in stdout
    b = gpd.read_file(out / "buildings.gpkg", layer="buildings")
    roofs = gpd.read_file(out / "roofs.gpkg", layer="roofs")
    territory = pd.read_csv(out / "territory.csv")
    communes = pd.read_csv(out / "communes.csv", dtype={"insee": str})
    assert len(b) > 3 and b.crs.to_epsg() == 2154
    assert (b["commune"] == "Montpellier").all()
    assert territory["gwh_gross"].iloc[0] == pytest.approx(b["mwh"].sum() / 1000, rel=1e-9, abs=0.5e-6)  # 6 decimals
    assert communes.set_index("insee").loc["34172", "buildings"] == len(b)
    suitable = roofs[roofs["suitable"].astype(bool)]
    assert ((suitable["kwp"] - suitable["usable_area_m2"] * 0.2).abs() < 1e-9).all()
    # plausible physics: a lost cosine or a W/kW slip would leave these ranges
    assert suitable["specific_yield"].between(600, 1150).all()
    assert suitable["irradiation"].between(700, 1400).all()
    assert (suitable["tilt"] <= 60).all()


def test_print_config_alone_round_trips(tmp_path):
    r = run("buildings", "--print-config")
    assert r.exit_code == 0
    path = tmp_path / "c.toml"
    path.write_text(r.stdout)
    assert load_config(path) == Config()


def test_footprints_in_another_crs_are_reprojected(inputs, tmp_path):
    folder, prepared, irr = inputs
    mask_fp = tmp_path / "fp.gpkg"
    assert run("footprints", prepared / "buildings.tif", "-o", mask_fp, "-q").exit_code == 0
    wgs = tmp_path / "fp4326.geojson"
    gpd.read_file(mask_fp).to_crs("EPSG:4326").to_file(wgs)
    a, b = tmp_path / "a", tmp_path / "b"
    for footprints, out in ((mask_fp, a), (wgs, b)):
        r = run("buildings", "-i", irr, "-p", prepared, "-f", footprints, "--communes", SAMPLE_COMMUNES, "-o", out, "-q")
        assert r.exit_code == 0, r.stderr
    ta, tb = pd.read_csv(a / "territory.csv"), pd.read_csv(b / "territory.csv")
    assert tb["mwp_gross"].iloc[0] == pytest.approx(ta["mwp_gross"].iloc[0], rel=0.02)


@pytest.mark.parametrize(
    "case",
    ["missing-irradiance", "dsm-as-irradiance", "no-overlap", "no-insee-column", "other-grid", "unknown-key",
     "missing-footprints"],
)
def test_bad_input(inputs, tmp_path, case):
    folder, prepared, irr = inputs
    out = tmp_path / "out"
    args = ["-i", irr, "-p", prepared, "--communes", SAMPLE_COMMUNES, "-o", out, "-q"]
    needles = []
    if case == "missing-irradiance":
        args[1] = tmp_path / "nope.tif"
        needles = ["nope.tif", "no such file"]
    elif case == "dsm-as-irradiance":
        args[1] = prepared / "dsm.tif"
        needles = ["dsm.tif", "global"]
    elif case == "no-overlap":
        far = gpd.GeoDataFrame(geometry=gpd.GeoSeries.from_wkt(["POLYGON((0 0, 20 0, 20 20, 0 20, 0 0))"]),
                               crs="EPSG:2154")
        far.to_file(tmp_path / "far.gpkg")
        args += ["-f", tmp_path / "far.gpkg"]
        needles = ["none of the 1 buildings"]
    elif case == "no-insee-column":
        zones = gpd.read_file(SAMPLE_COMMUNES).rename(columns={"code": "zone", "nom": "label"})
        zones.to_file(tmp_path / "zones.geojson")
        args[5] = tmp_path / "zones.geojson"
        needles = ["zones.geojson", "INSEE"]
    elif case == "other-grid":
        other = tmp_path / "prep2"
        assert run("prepare", sorted(SAMPLES.glob("*.laz"))[0], "-o", other, "-q").exit_code == 0
        args[3] = other
        needles = ["not on the grid"]
    elif case == "unknown-key":
        (tmp_path / "c.toml").write_text("[roofs]\nfoo = 1\n")
        args += ["--config", tmp_path / "c.toml"]
        needles = ["roofs.foo"]
    elif case == "missing-footprints":
        args += ["-f", tmp_path / "nope.gpkg"]
        needles = ["nope.gpkg"]
    assert_bad(run("buildings", *args), out, *needles)


def test_existing_outputs_need_overwrite(inputs, from_the_mask, tmp_path):
    folder, prepared, irr = inputs
    out = Path(shutil.copytree(from_the_mask[0], tmp_path / "b"))  # the outputs of a run with these arguments
    args = ["buildings", "-i", irr, "-p", prepared, "--communes", SAMPLE_COMMUNES, "-o", out, "-q"]
    assert from_the_mask[1] == 0
    before = (out / "buildings.gpkg").read_bytes()
    r = run(*args)
    assert r.exit_code == 2 and "--overwrite" in r.stderr
    assert (out / "buildings.gpkg").read_bytes() == before
    assert run(*args, "--overwrite").exit_code == 0
