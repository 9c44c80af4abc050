"""``cadastre prepare`` from the command line: good runs and the bad-input contract.

Runs on the six real IGN LiDAR HD tiles shipped in ``samples/lidar/`` (central
Montpellier, 50 x 50 m each, Lambert-93). Bad input must give exit code 2,
exactly one stderr line ``error: <file or option>: <problem>...``, and leave
nothing behind: no output folder when there was none, no new file in one that
existed, no hidden ``.NAME.xxxx.tmp``.

The command runs through the real ``cadastre`` app (``cli.main.app``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import rasterio

from helpers import cli_runner, error_line, tmp_files

from cli.main import app
from cli.prepare import OUTPUTS
from rasters.lidar import prepare

pytestmark = pytest.mark.slow  # LiDAR tiles through the command line: left out of `make test-fast`

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples" / "lidar"
TILES = sorted(SAMPLES.glob("*.laz"))
WEST = SAMPLES / "test_data_77055_627755_LA93_IGN69.laz"
EAST = SAMPLES / "test_data_77060_627755_LA93_IGN69.laz"
EDGE = REPO / "tests" / "data" / "edge_cases"  # real tiles with odd headers (tests/data/PROVENANCE.md)
ST_BARTH = EDGE / "St_Barth_RGAF09_UTM20N_IGN_1988_SB_subset_100m.laz"
RASTERS = {  # name: (dtype, nodata, units)
    "dsm": ("float32", -9999.0, "m"),
    "dtm": ("float32", -9999.0, "m"),
    "ndsm": ("float32", -9999.0, "m"),
    "buildings": ("uint8", 255, "1"),
    "vegetation": ("uint8", 255, "1"),
}



runner = cli_runner()


def run(*args) -> object:
    return runner.invoke(app, ["prepare", *[str(a) for a in args]])


def snapshot(folder: Path) -> dict:
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(folder.iterdir())}


def assert_bad(result, out: Path, folder: Path, *needles: str, before: dict | None = None) -> str:
    """Exit 2, one ``error: `` line on stderr holding every needle, nothing written.

    ``before``: the output folder's content before the run (None: it did not exist).
    """
    line = error_line(result, *needles)
    if before is None:
        assert not out.exists()
    else:
        assert snapshot(out) == before
    assert tmp_files(folder) == []
    return line


# ----------------------------------------------------------------------------
# 1. good runs
# ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> tuple[Path, object]:
    """``cadastre prepare samples/lidar/*.laz -o OUT`` (with the progress bar and summary)."""
    out = tmp_path_factory.mktemp("prepare") / "prepared"
    result = run(*TILES, "-o", out)
    return out, result


def test_good_run_writes_five_cogs_and_a_report(prepared):
    out, result = prepared
    assert result.exit_code == 0, (result.output, result.exception)
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)
    assert tmp_files(out.parent) == []
    assert "cadastre prepare" in result.stdout and "EPSG:2154" in result.stdout
    ds, _ = prepare(TILES)
    for name, (dtype, nodata, units) in RASTERS.items():
        with rasterio.open(out / f"{name}.tif") as src:
            assert src.crs.to_epsg() == 2154, name
            assert src.count == 1 and src.dtypes == (dtype,), name
            assert src.nodata == nodata, name
            assert src.descriptions == (name,)
            assert src.tags(1)["units"] == units
            assert src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG", name
            assert src.transform == ds.rio.transform()
            assert src.bounds == (770500.0, 6277500.0, 770650.0, 6277600.0)
            assert (src.width, src.height) == (300, 200)
            values = src.read(1)
        expect = ds[name].values
        if dtype == "float32":
            expect = np.where(np.isnan(expect), nodata, expect).astype(np.float32)
        np.testing.assert_array_equal(values, expect, err_msg=name)
    with rasterio.open(out / "buildings.tif") as src:
        assert set(np.unique(src.read(1))) <= {0, 1, 255} and (src.read(1) == 1).mean() > 0.2


def test_good_run_report(prepared):
    out, _ = prepared
    report = json.loads((out / "prepare.json").read_text())
    for key in ("inputs", "points_per_class", "density_points_per_m2", "coverage", "seconds", "seconds_total",
                "crs", "resolution", "bounds", "width", "height", "points_total", "warnings", "outputs"):
        assert key in report, key
    assert report["crs"] == "EPSG:2154" and report["resolution"] == 0.5
    assert report["bounds"] == [770500.0, 6277500.0, 770650.0, 6277600.0]
    assert len(report["inputs"]) == 6
    for entry, tile in zip(report["inputs"], TILES, strict=True):
        assert Path(entry["path"]).name == tile.name
        assert entry["sha256"] == hashlib.sha256(tile.read_bytes()).hexdigest()
        assert entry["crs"] == "EPSG:2154" and entry["crs_from"] == "header"
    assert report["points_total"] == 84524 + 56035 + 72770 + 60653 + 83518 + 59606
    assert sum(report["points_per_class"].values()) == report["points_total"]
    assert report["points_per_class"]["6"] > 100_000  # building points
    assert 20 < report["density_points_per_m2"] < 40
    assert 0.99 < report["coverage"] <= 1.0
    assert report["seconds"] > 0 and report["seconds_total"] >= report["seconds"]
    assert report["warnings"] == []
    assert report["outputs"] == list(OUTPUTS)


def test_bounds_and_resolution(tmp_path):
    out = tmp_path / "crop"
    result = run(*TILES, "-o", out, "--bounds", 770520, 6277520, 770580, 6277570, "-r", 1, "-q")
    assert result.exit_code == 0, (result.output, result.exception)
    assert result.stdout == ""  # --quiet: no summary
    with rasterio.open(out / "dsm.tif") as src:
        assert src.bounds == (770520.0, 6277520.0, 770580.0, 6277570.0)
        assert src.res == (1.0, 1.0) and (src.width, src.height) == (60, 50)
    report = json.loads((out / "prepare.json").read_text())
    assert report["bounds"] == [770520.0, 6277520.0, 770580.0, 6277570.0]
    assert report["coverage"] > 0.99


def test_rerun_needs_overwrite(tmp_path):
    out = tmp_path / "prepared"
    assert run(WEST, "-o", out, "-q").exit_code == 0
    before = snapshot(out)
    result = run(WEST, "-o", out, "-q")
    assert_bad(result, out, tmp_path, "dsm.tif", "--overwrite", before=before)
    result = run(WEST, "-o", out, "-q", "--overwrite")
    assert result.exit_code == 0, (result.output, result.exception)
    after = snapshot(out)
    assert sorted(after) == sorted(OUTPUTS)
    for name in ("dsm.tif", "buildings.tif"):
        assert after[name][0] >= before[name][0]  # rewritten (same content)
        assert after[name][1] == before[name][1]
    assert tmp_files(tmp_path) == []


def test_one_existing_output_is_enough_to_refuse(tmp_path):
    out = tmp_path / "prepared"
    out.mkdir()
    (out / "vegetation.tif").write_bytes(b"keep me")
    before = snapshot(out)
    assert_bad(run(WEST, "-o", out, "-q"), out, tmp_path, "vegetation.tif", "--overwrite", before=before)


def test_output_into_an_existing_empty_folder(tmp_path):
    out = tmp_path / "prepared"
    out.mkdir()
    result = run(WEST, EAST, "-o", out, "-q", "--resolution", "0.25")
    assert result.exit_code == 0, (result.output, result.exception)
    with rasterio.open(out / "ndsm.tif") as src:
        assert src.bounds == (770550.0, 6277500.0, 770650.0, 6277550.0) and src.res == (0.25, 0.25)


def test_no_crs_with_the_crs_option(tmp_path):
    out = tmp_path / "stbarth"
    result = run(ST_BARTH, "-o", out, "--crs", "EPSG:5490", "-r", "1", "-q")
    assert result.exit_code == 0, (result.output, result.exception)
    with rasterio.open(out / "dsm.tif") as src:
        assert src.crs.to_epsg() == 5490 and src.bounds == (515000.0, 1981000.0, 515100.0, 1981100.0)
    assert json.loads((out / "prepare.json").read_text())["inputs"][0]["crs_from"] == "option"


# ----------------------------------------------------------------------------
# 2. bad input
# ----------------------------------------------------------------------------


def _missing(folder: Path) -> tuple[list, list[str]]:
    path = folder / "LHD_FXX_0770_6278.laz"
    return [path], [path.name, "no such file"]


def _truncated(folder: Path) -> tuple[list, list[str]]:
    path = folder / "cut.laz"
    data = WEST.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.6)])
    return [path], [path.name, "truncated"]


def _text(folder: Path) -> tuple[list, list[str]]:
    path = folder / "notes.laz"
    path.write_text("x y z\n1 2 3\n")
    return [path], [path.name, "not a readable LAS/LAZ"]


def _no_crs(folder: Path) -> tuple[list, list[str]]:
    return [ST_BARTH], [ST_BARTH.name, "--crs"]


def _twice(folder: Path) -> tuple[list, list[str]]:
    return [WEST, EAST, WEST], [WEST.name, "given twice"]


def _geographic(folder: Path) -> tuple[list, list[str]]:
    return [WEST, "--crs", "EPSG:4326"], ["EPSG:4326", "geographic"]


def _feet(folder: Path) -> tuple[list, list[str]]:
    return [WEST, "--crs", "EPSG:2227"], ["EPSG:2227", "metres"]


def _unknown_crs(folder: Path) -> tuple[list, list[str]]:
    return [WEST, "--crs", "nonsense"], ["--crs", "nonsense"]


def _zero_resolution(folder: Path) -> tuple[list, list[str]]:
    return [WEST, "--resolution", "0"], ["--resolution"]


def _negative_resolution(folder: Path) -> tuple[list, list[str]]:
    return [WEST, "--resolution", "-1"], ["--resolution"]


def _infinite_resolution(folder: Path) -> tuple[list, list[str]]:
    return [WEST, "--resolution", "inf"], ["--resolution"]


def _far_bounds(folder: Path) -> tuple[list, list[str]]:
    return [WEST, "--bounds", "0", "0", "100", "100"], ["--bounds", "does not overlap"]


def _empty_bounds(folder: Path) -> tuple[list, list[str]]:
    return [WEST, "--bounds", "770560", "6277500", "770550", "6277510"], ["--bounds", "empty"]


def _mixed_crs(folder: Path) -> tuple[list, list[str]]:
    import laspy
    import pyproj

    header = laspy.LasHeader(point_format=6, version="1.4")
    header.add_crs(pyproj.CRS("EPSG:32631"))
    las = laspy.LasData(header)
    las.x, las.y, las.z = np.array([500000.0, 500010.0]), np.array([4800000.0, 4800010.0]), np.array([1.0, 1.0])
    las.classification = np.array([2, 2], np.uint8)
    path = folder / "utm31.las"
    las.write(path)
    return [WEST, path], [path.name, "differs"]


CASES = [
    pytest.param(_missing, True, id="missing-file"),
    pytest.param(_text, True, id="text-file"),
    pytest.param(_no_crs, True, id="no-crs"),
    pytest.param(_geographic, True, id="crs-geographic"),
    pytest.param(_feet, True, id="crs-feet"),
    pytest.param(_unknown_crs, True, id="crs-unknown"),
    pytest.param(_zero_resolution, True, id="resolution-0"),
    pytest.param(_negative_resolution, True, id="resolution-negative"),
    pytest.param(_truncated, False, id="truncated-laz"),
    pytest.param(_twice, False, id="same-tile-twice"),
    pytest.param(_mixed_crs, False, id="mixed-crs"),
    pytest.param(_infinite_resolution, False, id="resolution-inf"),
    pytest.param(_far_bounds, False, id="bounds-not-overlapping"),
    pytest.param(_empty_bounds, False, id="bounds-empty"),
]


@pytest.mark.parametrize("existing", [False, True], ids=["new-folder", "existing-folder"])
@pytest.mark.parametrize("make, before_bar", CASES)
def test_bad_input_quiet(tmp_path, make, before_bar, existing):
    args, needles = make(tmp_path)
    out = tmp_path / "prepared"
    if existing:
        out.mkdir()
        (out / "notes.txt").write_text("mine")
    before = snapshot(out) if existing else None
    assert_bad(run(*args, "-o", out, "-q"), out, tmp_path, *needles, before=before)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(c.values[0], id=c.id)
        for c in CASES
    ],
)
def test_bad_input_with_progress_bar(tmp_path, make):
    """Without --quiet the contract is the same: one stderr line."""
    args, needles = make(tmp_path)
    out = tmp_path / "prepared"
    assert_bad(run(*args, "-o", out), out, tmp_path, *needles)


def test_output_is_a_file(tmp_path):
    out = tmp_path / "prepared"
    out.write_text("not a folder")
    result = run(WEST, "-o", out, "-q")
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert out.name in lines[0] and "not a folder" in lines[0]
    assert out.read_text() == "not a folder"
    assert tmp_files(tmp_path) == []


def test_output_parent_missing(tmp_path):
    out = tmp_path / "no_such_folder" / "prepared"
    result = run(WEST, "-o", out, "-q")
    assert_bad(result, out, tmp_path, "no_such_folder", "does not exist")
    assert not out.parent.exists()


def test_missing_tiles_argument(tmp_path):
    result = run("-o", tmp_path / "prepared")
    assert result.exit_code == 2  # click usage error
    assert not (tmp_path / "prepared").exists()


def test_help():
    result = runner.invoke(app, ["prepare", "--help"])
    assert result.exit_code == 0
    for option in ("--output", "--resolution", "--crs", "--bounds", "--overwrite", "--quiet"):
        assert option in result.stdout, option
