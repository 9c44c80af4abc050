"""``cadastre irradiance`` from the command line: good runs and the bad-input contract.

Bad input must give exit code 2, exactly one stderr line ``error: <file or
option>: <problem>...``, and leave no output (nor hidden ``.NAME.xxxx.tmp``)
behind. Everything runs on a small synthetic DSM (24 x 20 cells of 0.5 m,
Lambert-93 near Lens, a box building in the middle) with a one-day CSV weather
and 8 or 16 horizon directions, so each case takes well under a second once
Numba has compiled.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
import pytest
import rasterio
from affine import Affine
from rasterio.transform import from_origin

from cadastre import __version__
from helpers import cli_runner, error_line, tmp_files

from cli.main import app

BANDS = ["global", "beam", "diffuse", "reflected", "svf", "slope", "aspect"]
NODATA = -9999.0
CELL = 0.5
WIDTH, HEIGHT = 24, 20
X0, Y0 = 700000.0, 7050000.0  # Lambert-93, near Lens
NODATA_CELLS = ((0, 0), (3, 5), (10, 0), (19, 23))
WEATHER_HEADER = "time,ghi,dni,dhi"
FAST = ["--directions", "8"]

runner = cli_runner()


# ----------------------------------------------------------------------------
# builders
# ----------------------------------------------------------------------------


def heights() -> np.ndarray:
    """Ground at 30 m, a 4 m x 4 m box building of 10 m in the middle, a few nodata cells."""
    z = np.full((HEIGHT, WIDTH), 30.0, dtype="float32")
    z[6:14, 8:16] = 40.0
    for i, j in NODATA_CELLS:
        z[i, j] = NODATA
    return z


def write_raster(
    path: Path,
    data: np.ndarray | None = None,
    *,
    crs: str | None = "EPSG:2154",
    transform: Affine | None = None,
    driver: str = "GTiff",
    dtype: str = "float32",
    nodata: float | None = NODATA,
) -> Path:
    """A raster file; ``data`` is 2-D (one band) or 3-D (bands first)."""
    data = heights() if data is None else np.asarray(data)
    if data.ndim == 2:
        data = data[np.newaxis]
    profile = {
        "driver": driver,
        "count": data.shape[0],
        "height": data.shape[1],
        "width": data.shape[2],
        "dtype": dtype,
        "transform": from_origin(X0, Y0, CELL, CELL) if transform is None else transform,
    }
    if crs is not None:
        profile["crs"] = crs
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data.astype(dtype))
    return path


def _summer_day_at_lens() -> list[list[str]]:
    """24 hourly rows (time, ghi, dni, dhi) of clear sky at Lens, 21 June 2023, stamps in local time."""
    times = pd.date_range("2023-06-21 00:00", periods=24, freq="h", tz="Europe/Paris")
    cs = pvlib.location.Location(50.43, 2.83, altitude=40).get_clearsky(times)
    return [
        [t.isoformat(), f"{g:.1f}", f"{b:.1f}", f"{d:.1f}"]
        for t, g, b, d in zip(times, cs["ghi"], cs["dni"], cs["dhi"], strict=True)
    ]


WEATHER_ROWS = _summer_day_at_lens()


def write_weather(path: Path, rows: list[list[str]] | None = None, header: str = WEATHER_HEADER) -> Path:
    rows = WEATHER_ROWS if rows is None else rows
    path.write_text("\n".join([header] + [",".join(r) for r in rows]) + "\n")
    return path


@pytest.fixture
def dsm(tmp_path: Path) -> Path:
    return write_raster(tmp_path / "dsm.tif")


@pytest.fixture
def weather(tmp_path: Path) -> Path:
    return write_weather(tmp_path / "weather.csv")


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "irradiance.tif"


def run(*args) -> object:
    return runner.invoke(app, [str(a) for a in args])


def assert_bad(result, out: Path, folder: Path, *needles: str, output_gone: bool = True) -> str:
    """Exit 2, one ``error: `` line on stderr holding every needle, nothing written."""
    line = error_line(result, *needles)
    if output_gone:
        assert not out.exists()
    assert tmp_files(folder) == []
    return line


# ----------------------------------------------------------------------------
# 1. good run
# ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra, quiet",
    [
        pytest.param([], False, id="isotropic"),
        pytest.param(["--quiet"], True, id="quiet"),
        pytest.param(["-q", "--sky", "perez", "--directions", "16", "--albedo", "0.3"], True, id="perez-16"),
        pytest.param(["--time-label", "start", "--max-distance", "50"], False, id="time-label-start"),
    ],
)
def test_good_run(dsm, weather, out, tmp_path, extra, quiet):
    result = run("irradiance", dsm, "-o", out, "--weather", weather, *FAST, *extra)
    assert result.exit_code == 0, (result.output, result.exception)
    if quiet:
        assert result.stdout == ""
        assert result.stderr == ""
    else:
        # the summary table (the output path itself may be wrapped by rich)
        assert "cadastre irradiance" in result.stdout
        assert "global mean / max" in result.stdout
    assert tmp_files(tmp_path) == []

    with rasterio.open(dsm) as src:
        z = src.read(1)
        crs, transform, shape = src.crs, src.transform, (src.height, src.width)
    with rasterio.open(out) as res:
        assert res.driver == "GTiff"
        assert res.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
        assert res.count == 7
        assert list(res.descriptions) == BANDS
        assert set(res.dtypes) == {"float32"}
        assert res.crs == crs
        assert res.transform == transform
        assert (res.height, res.width) == shape
        assert res.nodata == NODATA
        bands = dict(zip(BANDS, res.read(), strict=True))

    hole = z == NODATA
    assert hole.sum() == len(NODATA_CELLS)
    for name, values in bands.items():
        assert np.array_equal(values == NODATA, hole), name
        assert np.isfinite(values[~hole]).all(), name
    valid = {name: values[~hole].astype(np.float64) for name, values in bands.items()}
    assert valid["svf"].min() >= 0.0 and valid["svf"].max() <= 1.0
    np.testing.assert_allclose(
        valid["global"], valid["beam"] + valid["diffuse"] + valid["reflected"], rtol=1e-5, atol=1e-6
    )
    for name in ("global", "beam", "diffuse", "reflected"):
        assert valid[name].min() >= 0.0, name
    assert valid["global"].max() > 0.0
    assert valid["slope"].min() >= 0.0 and valid["slope"].max() <= 90.0
    assert valid["aspect"].min() >= 0.0 and valid["aspect"].max() < 360.0


@pytest.mark.slow
def test_monthly_adds_twelve_bands(dsm, weather, out, tmp_path):
    """--monthly: the 7 bands, then global_01...global_12 (same nodata), which sum to global."""
    result = run("irradiance", dsm, "-o", out, "--weather", weather, *FAST, "--monthly", "--quiet")
    assert result.exit_code == 0, (result.output, result.exception)
    months = [f"global_{m:02d}" for m in range(1, 13)]
    with rasterio.open(out) as res:
        assert list(res.descriptions) == BANDS + months
        assert set(res.dtypes) == {"float32"} and res.nodata == NODATA
        assert [res.tags(k)["units"] for k in range(8, 20)] == ["kWh m-2"] * 12
        bands = res.read().astype(np.float64)
    hole = bands[0] == NODATA
    assert all(np.array_equal(b == NODATA, hole) for b in bands[7:])
    np.testing.assert_allclose(bands[7:, ~hole].sum(axis=0), bands[0, ~hole], rtol=1e-5)
    assert bands[7 + 5, ~hole].min() > 0 and (bands[7:12, ~hole] == 0).all()  # a day of June only
    assert tmp_files(tmp_path) == []


# ----------------------------------------------------------------------------
# 2. existing output
# ----------------------------------------------------------------------------


def test_existing_output_needs_overwrite(dsm, weather, out, tmp_path):
    out.write_bytes(b"an older result, not to be lost\n")
    before = out.read_bytes()

    result = run("irradiance", dsm, "-o", out, "--weather", weather, *FAST)
    assert_bad(result, out, tmp_path, out.name, "--overwrite", output_gone=False)
    assert out.read_bytes() == before

    result = run("irradiance", dsm, "-o", out, "--weather", weather, *FAST, "--overwrite", "--quiet")
    assert result.exit_code == 0, (result.output, result.exception)
    assert out.read_bytes() != before
    with rasterio.open(out) as res:
        assert res.count == 7
        assert list(res.descriptions) == BANDS
    assert tmp_files(tmp_path) == []


# ----------------------------------------------------------------------------
# 3-4. bad DSM
# ----------------------------------------------------------------------------


def _text_file(folder: Path) -> Path:
    path = folder / "dsm.tif"
    path.write_text("x,y,z\n700000,7050000,30\n")
    return path


def _png(folder: Path) -> Path:
    data = np.clip(heights(), 0, 255)
    return write_raster(folder / "dsm.png", data, driver="PNG", dtype="uint8", nodata=None)


def _truncated(folder: Path) -> Path:
    full = write_raster(folder / "full.tif").read_bytes()
    path = folder / "dsm.tif"
    path.write_bytes(full[: len(full) // 2])
    return path


def _missing(folder: Path) -> Path:
    return folder / "dsm.tif"


def _geographic(folder: Path) -> Path:
    return write_raster(folder / "dsm.tif", crs="EPSG:4326", transform=from_origin(2.83, 50.43, 5e-6, 5e-6))


def _no_crs(folder: Path) -> Path:
    return write_raster(folder / "dsm.tif", crs=None)


def _feet(folder: Path) -> Path:
    # NAD83 / California zone 3 (ftUS)
    return write_raster(folder / "dsm.tif", crs="EPSG:2227", transform=from_origin(6.0e6, 2.1e6, 1.64, 1.64))


def _rectangular(folder: Path) -> Path:
    return write_raster(folder / "dsm.tif", transform=from_origin(X0, Y0, 0.5, 1.0))


def _rotated(folder: Path) -> Path:
    return write_raster(folder / "dsm.tif", transform=Affine(0.5, 0.1, X0, 0.1, -0.5, Y0))


def _two_bands(folder: Path) -> Path:
    return write_raster(folder / "dsm.tif", np.stack([heights(), heights()]))


def _all_nodata(folder: Path) -> Path:
    return write_raster(folder / "dsm.tif", np.full((HEIGHT, WIDTH), NODATA))


@pytest.mark.parametrize(
    "make, needles",
    [
        pytest.param(_text_file, ["not a GeoTIFF"], id="text-file"),
        pytest.param(_png, ["PNG", "not a GeoTIFF"], id="png"),
        pytest.param(_truncated, ["truncated or corrupt"], id="truncated"),
        pytest.param(_missing, ["no such file"], id="missing"),
        pytest.param(_geographic, ["geographic"], id="geographic-crs"),
        pytest.param(_no_crs, ["no CRS"], id="no-crs"),
        pytest.param(_feet, ["not metres"], id="crs-in-feet"),
        pytest.param(_rectangular, ["not square"], id="rectangular-pixels"),
        pytest.param(_rotated, ["rotated"], id="rotated"),
        pytest.param(_two_bands, ["2 bands"], id="two-bands"),
        pytest.param(_all_nodata, ["nodata"], id="all-nodata"),
    ],
)
def test_bad_dsm(tmp_path, weather, out, make, needles):
    dsm = make(tmp_path)
    result = run("irradiance", dsm, "-o", out, "--weather", weather, *FAST)
    assert_bad(result, out, tmp_path, dsm.name, *needles)


# ----------------------------------------------------------------------------
# 5. bad weather
# ----------------------------------------------------------------------------


def _without_dni(folder: Path) -> Path:
    rows = [[t, g, d] for t, g, _, d in WEATHER_ROWS]
    return write_weather(folder / "weather.csv", rows, header="time,ghi,dhi")


def _unreadable_time(folder: Path) -> Path:
    rows = [list(r) for r in WEATHER_ROWS]
    rows[5][0] = "21 June 2023 at 5"
    return write_weather(folder / "weather.csv", rows)


def _naive_times(folder: Path) -> Path:
    rows = [[t[:19], g, b, d] for t, g, b, d in WEATHER_ROWS]
    return write_weather(folder / "weather.csv", rows)


def _nan_value(folder: Path) -> Path:
    rows = [list(r) for r in WEATHER_ROWS]
    rows[12][1] = ""
    return write_weather(folder / "weather.csv", rows)


def _nonexistent(folder: Path) -> Path:
    return folder / "no_such_weather.csv"


def _pvgis_without_dni(folder: Path) -> Path:
    path = folder / "pvgis_tmy.csv"
    lines = [
        "Latitude (decimal degrees): 50.430",
        "Longitude (decimal degrees): 2.830",
        "Elevation (m): 40",
        "time(UTC),T2m,RH,G(h),Gd(h),IR(h),WS10m,WD10m,SP",
    ]
    for h in range(24):
        g = max(0.0, 800.0 * np.sin(np.pi * (h - 4) / 16)) if 4 <= h <= 20 else 0.0
        lines.append(f"20230621:{h:02d}00,18.0,70.0,{g:.1f},{g / 3:.1f},320.0,3.0,200.0,101300.0")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    "make, needles",
    [
        pytest.param(_without_dni, ["missing column", "dni"], id="missing-dni-column"),
        pytest.param(_unreadable_time, ["cannot read time"], id="unreadable-time"),
        pytest.param(_naive_times, ["no time zone"], id="naive-times"),
        pytest.param(_nan_value, ["ghi", "NaN"], id="nan-value"),
        pytest.param(_nonexistent, ["not found"], id="nonexistent-file"),
        pytest.param(_pvgis_without_dni, ["Gb(n)"], id="pvgis-without-Gb(n)"),
    ],
)
def test_bad_weather(tmp_path, dsm, out, make, needles):
    weather = make(tmp_path)
    result = run("irradiance", dsm, "-o", out, "--weather", weather, *FAST)
    assert_bad(result, out, tmp_path, weather.name, *needles)


# ----------------------------------------------------------------------------
# 6. bad options
# ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "option, value",
    [
        pytest.param("--directions", "4", id="directions-4"),
        pytest.param("--albedo", "-0.1", id="albedo-negative"),
        pytest.param("--albedo", "1.5", id="albedo-above-1"),
        pytest.param("--max-distance", "0", id="max-distance-0"),
        pytest.param("--max-distance", "-5", id="max-distance-negative"),
        pytest.param("--sky", "foo", id="sky-foo"),
        pytest.param("--time-label", "foo", id="time-label-foo"),
        pytest.param("--far-distance", "0.5", id="far-distance-within-reach"),
    ],
)
def test_bad_option(tmp_path, dsm, weather, out, option, value):
    result = run("irradiance", dsm, "-o", out, "--weather", weather, *FAST, option, value)
    assert_bad(result, out, tmp_path, option, value)


@pytest.mark.slow
def test_far_field_option(tmp_path, weather):
    """--far-distance: a tall block beyond --max-distance shades (lower sky view) only with the far field on."""
    z = np.full((20, 120), 30.0, dtype="float32")
    z[:, 100:] = 60.0  # a 30 m wall 40-50 m east of the western cells
    dsm = write_raster(tmp_path / "far.tif", z)
    near, far = tmp_path / "near.tif", tmp_path / "far_on.tif"
    common = ["--weather", weather, *FAST, "--max-distance", "5", "-q"]
    assert run("irradiance", dsm, "-o", near, *common).exit_code == 0
    result = run("irradiance", dsm, "-o", far, *common, "--far-distance", "200", "--far-cell", "1")
    assert result.exit_code == 0, result.output
    with rasterio.open(near) as a, rasterio.open(far) as b:
        svf_near, svf_far = a.read(5)[:, :20], b.read(5)[:, :20]
        assert b.tags()["far_distance"] == "200.0"
    # the wall, D = 50 - x m east of a cell, hides the sky of one direction in 8 up to h = atan(30 / D):
    # a flat cell's sky view is 1 - sin²(h) / 8 (D within the coarse cell and the track's 1.5 m)
    x = (np.arange(20) + 0.5) * CELL
    expect = [1 - np.sin(np.arctan(30.0 / (50.0 - x + dd))) ** 2 / 8 for dd in (-1.5, 1.5)]
    assert (svf_near > 0.99).all()
    assert ((svf_far >= expect[0][None, :] - 1e-4) & (svf_far <= expect[1][None, :] + 1e-4)).all()


def test_far_cell_must_be_a_multiple_of_the_dsm_cell(tmp_path, dsm, weather, out):
    result = run("irradiance", dsm, "-o", out, "--weather", weather, *FAST, "--far-distance", "2000",
                 "--far-cell", "0.7")
    assert_bad(result, out, tmp_path, "--far-cell", "0.7")


def test_bad_time_label(tmp_path, dsm, weather, out):
    """The --time-label message lists the valid values."""
    result = run("irradiance", dsm, "-o", out, "--weather", weather, *FAST, "--time-label", "foo")
    assert_bad(result, out, tmp_path, "--time-label", "'foo'", "middle")


def test_non_integer_directions_is_a_usage_error(tmp_path, dsm, weather, out):
    result = run("irradiance", dsm, "-o", out, "--weather", weather, "--directions", "eight")
    assert result.exit_code == 2
    assert "--directions" in result.stderr
    assert not out.exists()
    assert tmp_files(tmp_path) == []


# ----------------------------------------------------------------------------
# 7. unwritable output
# ----------------------------------------------------------------------------


def test_output_folder_does_not_exist(tmp_path, dsm, weather):
    out = tmp_path / "no_such_folder" / "irradiance.tif"
    result = run("irradiance", dsm, "-o", out, "--weather", weather, *FAST)
    assert_bad(result, out, tmp_path, out.name, "no_such_folder")
    assert not out.parent.exists()


def test_output_is_a_folder(tmp_path, dsm, weather):
    out = tmp_path / "results.tif"
    out.mkdir()
    result = run("irradiance", dsm, "-o", out, "--weather", weather, *FAST)
    assert_bad(result, out, tmp_path, out.name, "folder", output_gone=False)
    assert out.is_dir() and list(out.iterdir()) == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_output_folder_not_writable(tmp_path, dsm, weather):
    if os.geteuid() == 0:
        # root ignores permission bits: use a regular file as the folder instead
        folder = tmp_path / "afile.txt"
        folder.write_text("not a folder\n")
        out = folder / "irradiance.tif"
        result = run("irradiance", dsm, "-o", out, "--weather", weather, *FAST)
        assert_bad(result, out, tmp_path, out.name, folder.name)
        assert folder.read_text() == "not a folder\n"
        return
    folder = tmp_path / "read_only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        out = folder / "irradiance.tif"
        result = run("irradiance", dsm, "-o", out, "--weather", weather, *FAST)
        assert_bad(result, out, tmp_path, out.name, "not writable")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "pathconf"), reason="needs os.pathconf")
def test_output_name_at_the_length_limit_is_written(tmp_path, dsm, weather):
    """A valid output name as long as the filesystem allows: the hidden temporary name must still fit."""
    name_max = os.pathconf(tmp_path, "PC_NAME_MAX")
    out = tmp_path / ("x" * (name_max - 4) + ".tif")
    result = run("irradiance", dsm, "-o", out, "--weather", weather, *FAST, "--quiet")
    assert result.exit_code == 0, result.stderr
    assert out.exists() and not tmp_files(tmp_path)


# ----------------------------------------------------------------------------
# 8. help and version
# ----------------------------------------------------------------------------


def test_help():
    result = run("--help")
    assert result.exit_code == 0, result.output
    assert "irradiance" in result.stdout


def test_irradiance_help_lists_every_option():
    result = runner.invoke(app, ["irradiance", "--help"], env={"COLUMNS": "200"}, terminal_width=200)
    assert result.exit_code == 0, result.output
    for option in (
        "--output",
        "-o",
        "--weather",
        "--directions",
        "--max-distance",
        "--albedo",
        "--sky",
        "--time-label",
        "--far-distance",
        "--far-cell",
        "--overwrite",
        "--quiet",
        "--help",
    ):
        assert option in result.stdout, option


def test_version():
    result = run("--version")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"cadastre {__version__}"


# ----------------------------------------------------------------------------
# 9. clear sky
# ----------------------------------------------------------------------------


@pytest.mark.slow
def test_clearsky_weather(dsm, out, tmp_path):
    result = run("irradiance", dsm, "-o", out, "--weather", "clearsky", *FAST, "--quiet")
    assert result.exit_code == 0, (result.output, result.exception)
    with rasterio.open(out) as res:
        assert list(res.descriptions) == BANDS
        g = res.read(1)
    g = g[g != NODATA]
    # a clear-sky year at 50.5 N: roughly 1000-1400 kWh/m2 on flat ground
    assert 800.0 < np.median(g) < 1600.0
    assert tmp_files(tmp_path) == []


# ----------------------------------------------------------------------------
# the console script in a real process
# ----------------------------------------------------------------------------


def cadastre_command() -> list[str]:
    """The installed ``cadastre`` script, else ``python -m cli.main``."""
    name = "cadastre.exe" if os.name == "nt" else "cadastre"
    script = Path(sysconfig.get_path("scripts")) / name
    if script.is_file():
        return [str(script)]
    found = shutil.which("cadastre")
    if found:
        return [found]
    return [sys.executable, "-m", "cli.main"]


@pytest.mark.slow  # the console script in subprocesses: left out of `make test-fast`
def test_console_script(dsm, weather, out, tmp_path):
    cmd = cadastre_command()
    done = subprocess.run(
        [*cmd, "irradiance", str(dsm), "-o", str(out), "--weather", str(weather), *FAST, "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    with rasterio.open(out) as res:
        assert res.count == 7
        assert list(res.descriptions) == BANDS

    # a bad case in a real process: no warning or traceback besides the one error line
    again = subprocess.run(
        [*cmd, "irradiance", str(dsm), "-o", str(out), "--weather", str(weather), *FAST],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 2
    assert again.stderr.splitlines() == [again.stderr.strip()]
    assert again.stderr.startswith("error: ") and out.name in again.stderr and "--overwrite" in again.stderr
