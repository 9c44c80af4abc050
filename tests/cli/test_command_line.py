"""The command line as a user meets it: start-up, help texts, ``init``, ``--dry-run``, ``report -o``, GIS files.

- Start-up: importing the command line (``--help``, argument errors) loads none of the heavy
  libraries (Numba, GDAL, Dask, matplotlib, GeoPandas, pvlib), nor does ``import cadastre``;
  the public API is still there on first use; a real ``cadastre irradiance`` process never
  imports Dask.
- Help: every sub-command's ``--help``, rendered at 80 columns, holds every word of every
  option's help text whole, units such as ``[m]`` included, and no metavar cut in two.
- ``cadastre init --lidar DIR|GLOB``: a configuration for the user's own tiles, with the
  territory's tiles and halo, paths relative to the file (absolute ones kept), that
  ``cadastre run`` reads back, and no path of this checkout in it.
- ``cadastre run --dry-run``: the time in minutes (or hours and minutes), estimated from the
  benchmarked costs per tile.
- ``cadastre report -o`` creates missing folders; a refused request leaves none behind.
- GeoPackages are version 1.3 (GDAL 3.6 / QGIS LTR read them without a warning); raster bands
  and the VRT mosaics carry their unit as GDAL's unit type (what QGIS shows).
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import cli_runner, shared_build

from cli.main import app

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("numba", "rasterio", "dask", "matplotlib", "geopandas", "pvlib")

runner = cli_runner()


def _modules_after(statement: str) -> list[str]:
    code = (f"{statement}; import sys; print(sorted(m for m in sys.modules if m.split('.')[0] in {set(HEAVY)!r}))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return eval(done.stdout.strip())  # a printed list of str


# ---- start-up ----------------------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("statement", ["import cli.main", "import cadastre, cadastre.errors, rasters, rasters.errors"])
def test_the_command_line_loads_nothing_heavy(statement):
    assert _modules_after(statement) == []


def test_the_public_api_is_loaded_on_first_use():
    import cadastre
    import rasters
    from cadastre.solar.irradiance import irradiance
    from cadastre.solar.weather import load_weather
    from rasters.io import read_dsm

    assert cadastre.irradiance is irradiance and cadastre.load_weather is load_weather
    assert rasters.read_dsm is read_dsm
    assert {"irradiance", "load_weather", "BANDS", "Weather"} <= set(dir(cadastre))
    with pytest.raises(AttributeError):
        cadastre.no_such_name  # noqa: B018


def test_time_labels_of_the_help_are_the_readers():
    from cadastre.solar.weather import TIME_LABELS
    from cli.irradiance import TIME_LABELS as shown

    assert shown == TIME_LABELS


@pytest.mark.slow
def test_an_irradiance_process_never_imports_dask(tmp_path):
    """The console entry point keeps Dask out of the commands that do not use it (a real process, as a user runs
    it; ``-X importtime`` lists every module it loaded)."""
    import rasterio
    from rasterio.transform import from_origin

    dsm = tmp_path / "dsm.tif"
    z = 40.0 + np.add.outer(np.arange(20.0), np.arange(20.0)) * 0.1
    with rasterio.open(dsm, "w", driver="GTiff", width=20, height=20, count=1, dtype="float32", crs="EPSG:2154",
                       transform=from_origin(687000.0, 7036000.0, 0.5, 0.5)) as dst:
        dst.write(z.astype("float32"), 1)
    code = "import sys; from cli.main import main; sys.argv[0] = 'cadastre'; main()"
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code, "irradiance", str(dsm), "-o",
                           str(tmp_path / "out.tif"), "--directions", "8", "--weather", "clearsky", "-q"],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time")]
    assert "numba" in loaded and "dask.array.core" not in loaded and "dask.config" not in loaded


# ---- help texts --------------------------------------------------------------------------------------------------

def _commands() -> list[str]:
    import typer

    return sorted(typer.main.get_command(app).commands)


def _words(text: str) -> list[str]:
    return text.replace("│", " ").split()


@pytest.mark.parametrize("name", [None, *_commands()])
def test_help_keeps_every_word_and_unit(name):
    import typer

    group = typer.main.get_command(app)
    command = group if name is None else group.commands[name]
    result = runner.invoke(app, ([] if name is None else [name]) + ["--help"], env={"COLUMNS": "80"},
                           terminal_width=80)
    assert result.exit_code == 0, result.output
    shown = _words(result.stdout)
    units = 0
    for param in command.params:
        text = getattr(param, "help", None) or ""
        for unit in re.findall(r"\[[^\]\s]+\]", text):
            units += 1
            assert unit in result.stdout, (name, param.name, unit)
        missing = [w for w in _words(text.replace("\\[", "[")) if w not in shown]  # rich's escape of [unit]
        assert not missing, (name, param.name, missing)
    for word in shown:  # a metavar cut by the wrapping: <float,float,float,float / >...
        assert not word.startswith("<") or ">" in word, (name, word)
    if name in ("prepare", "irradiance"):
        assert units >= 2, "the units of the options are written [m]"


# ---- init --------------------------------------------------------------------------------------------------------

def _user_data(root: Path) -> Path:
    data = root / "data"
    (data / "tiles").mkdir(parents=True)
    for name in ("LHD_FXX_0700_6600_PTS_C_LAMB93_IGN69.copc.laz", "LHD_FXX_0701_6600_PTS_C_LAMB93_IGN69.copc.laz"):
        (data / "tiles" / name).write_bytes(b"")  # the configuration is checked by name; the plan reads the points
    (data / "batiment.gpkg").write_bytes(b"")
    (data / "communes.geojson").write_text("{}")
    (data / "tmy.csv").write_text("")
    return data


@pytest.mark.parametrize("lidar", ["data/tiles/*.laz", "data/tiles/", "data/tiles"])
def test_init_writes_a_configuration_for_the_users_tiles(tmp_path, monkeypatch, lidar):
    from cadastre.territory.config import TilesConfig, load_run_config

    data = _user_data(tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cfg").mkdir()
    result = runner.invoke(app, ["init", "--lidar", lidar, "--footprints", "data/batiment.gpkg", "--communes",
                                 str(data / "communes.geojson"), "--weather", "data/tmy.csv", "-o", "cfg/run.toml"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "cfg" / "run.toml").read_text(encoding="utf-8")
    config = load_run_config(tmp_path / "cfg" / "run.toml")
    assert [p.resolve() for p in config.lidar] == sorted((data / "tiles").glob("*.laz"))
    assert (config.size, config.halo) == (1000.0, 200.0) == (TilesConfig.size, TilesConfig.halo)
    assert config.footprints.resolve() == data / "batiment.gpkg" and config.communes == data / "communes.geojson"
    assert Path(config.weather).resolve() == data / "tmy.csv"
    assert f'lidar = ["../{lidar}"]' in text and 'footprints = "../data/batiment.gpkg"' in text
    assert f'communes = "{data / "communes.geojson"}"' in text  # given absolute: kept so
    assert str(ROOT) not in text and "samples" not in text
    (tmp_path / "cfg").rename(tmp_path / "cfg2")  # relative to the file, not to the working folder
    monkeypatch.chdir(data)
    assert load_run_config(tmp_path / "cfg2" / "run.toml").footprints.resolve() == data / "batiment.gpkg"


def test_init_refuses_tiles_that_are_not_there(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["init", "--lidar", "nowhere/*.laz", "-o", "run.toml"])
    assert result.exit_code == 2 and "nowhere" in result.stderr and "error:" in result.stderr
    assert not (tmp_path / "run.toml").exists() and not list(tmp_path.iterdir())


def test_odd_file_names_print_as_they_are(tmp_path, monkeypatch):
    """Brackets and colons of a file name are not rich markup or emoji codes; the hint can be pasted in a shell."""
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["init", "-o", "run [bold] :sun:.toml"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "run [bold] :sun:.toml").is_file()
    assert "wrote run [bold] :sun:.toml;" in result.stdout
    assert "cadastre run 'run [bold] :sun:.toml' -o run/ --dry-run" in result.stdout


# ---- dry run -----------------------------------------------------------------------------------------------------

def test_durations_read_in_minutes():
    from cli.run import duration

    assert [duration(s) for s in (5, 29, 31, 59 * 60, 3600, 8912, 26 * 3600 + 5)] == [
        "< 1 min", "< 1 min", "1 min", "59 min", "1 h 00 min", "2 h 29 min", "26 h 00 min"]


def _plan(n: int, kind: str = "lidar"):
    from pyproj import CRS

    from cadastre.territory.config import RunConfig
    from cadastre.territory.plan import Plan
    from rasters.tiling import Tile

    tiles = tuple(Tile(f"{700000 + 1000 * k}_6600000", (700000.0 + 1000 * k, 6599000.0, 701000.0 + 1000 * k,
                                                          6600000.0),
                       (699800.0 + 1000 * k, 6598800.0, 701200.0 + 1000 * k, 6600200.0)) for k in range(n))
    return Plan(kind=kind, crs=CRS.from_epsg(2154), tiles=tiles, sources=(), config=RunConfig())


def test_the_estimate_matches_the_benchmarked_runs():
    """benchmarks/RESULTS.md, territory batch, 2 workers, 1 km LiDAR tiles at 15 points/m²: 16 tiles 5 % built in
    130.8 s, 25 % built (dense) in 252.3 s; 2.4 h for the 1,128 PMA tiles (5 % built)."""
    est = _plan(16).estimate(workers=2)
    assert est["wall_seconds"] == pytest.approx(130.8, rel=0.15)
    assert est["wall_seconds_dense"] == pytest.approx(252.3, rel=0.15)
    assert _plan(1128).estimate(workers=2)["wall_seconds"] / 3600 == pytest.approx(2.4, rel=0.15)
    one = _plan(1).estimate(workers=2)  # one tile: one worker computes it, the other waits
    assert one["wall_seconds"] == pytest.approx(_plan(1).estimate(workers=1)["wall_seconds"])


def test_dry_run_prints_minutes(tmp_path):
    from cli.run import plan_table
    from rich.console import Console

    console = Console(width=200, record=True, file=open(__import__("os").devnull, "w"))  # noqa: SIM115
    console.print(plan_table(_plan(2), tmp_path / "run", 2))
    text = console.export_text()
    assert "0.00 h" not in text and re.search(r"estimated time +│ < 1 min on 2 worker", text), text
    console.print(plan_table(_plan(1128), tmp_path / "run", 2))
    assert re.search(r"\d h \d\d min on 2 worker", console.export_text()), console.export_text()


# ---- GIS files ---------------------------------------------------------------------------------------------------

def _gpkg_version(path: Path) -> tuple[int, int]:
    with sqlite3.connect(path) as db:
        return db.execute("PRAGMA application_id").fetchone()[0], db.execute("PRAGMA user_version").fetchone()[0]


GPKG = 0x47504B47  # 'GPKG'


def test_geopackages_are_version_1_3(tmp_path):
    import geopandas as gpd
    import shapely

    from rasters.footprints import write_vector

    frame = gpd.GeoDataFrame({"building_id": [1]}, geometry=[shapely.box(0, 0, 10, 10)], crs="EPSG:2154")
    assert _gpkg_version(write_vector(frame, tmp_path / "f.gpkg")) == (GPKG, 10300)


def test_raster_bands_and_mosaics_carry_their_unit(tmp_path):
    import rasterio
    from rasterio.transform import from_origin

    from rasters.io import to_dataarray, write_bands
    from rasters.tiling import write_vrt

    paths = []
    for k, cog in enumerate((True, False)):
        band = to_dataarray(np.full((4, 4), 1000.0), "EPSG:2154", from_origin(4.0 * k, 4.0, 1.0, 1.0),
                            name="global", units="kWh/m²")
        slope = to_dataarray(np.zeros((4, 4)), "EPSG:2154", from_origin(4.0 * k, 4.0, 1.0, 1.0), name="slope",
                             units="degrees")
        paths.append(write_bands([band, slope], tmp_path / f"t{k}.tif", cog=cog))
    mosaic = write_vrt(paths, tmp_path / "m.vrt")
    for path in (*paths, mosaic):
        with rasterio.open(path) as src:
            assert src.units == ("kWh/m²", "degrees"), path
            assert src.descriptions == ("global", "slope"), path


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    """The engine folders of the report tests (built once per session, shared with them)."""
    from report_scene import engine_buildings, shared_engine_run

    _root, buildings = shared_build(tmp_path_factory, "report-engine", lambda root: engine_buildings(root / "scene"))
    return {"buildings": buildings, "run": shared_engine_run(tmp_path_factory)}


@pytest.mark.slow
def test_a_run_writes_geopackages_1_3_and_a_mosaic_with_units(folders):
    import rasterio

    run = folders["run"]
    for name in ("buildings.gpkg", "roofs.gpkg"):
        assert _gpkg_version(run / name) == (GPKG, 10300), name
    with rasterio.open(run / "irradiance.vrt") as src:
        assert src.units[0].startswith("kWh m") and src.descriptions[0] == "global"  # kWh m-2


# ---- report -o ---------------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_report_creates_missing_folders(folders, tmp_path):
    import pandas as pd

    folder = folders["buildings"]
    communes = pd.read_csv(folder / "communes.csv", dtype=str, keep_default_na=False)
    code = communes.loc[communes["buildings"].astype(int).idxmax(), "commune"]
    out = tmp_path / "reports" / "2026" / "commune.html"
    result = runner.invoke(app, ["report", str(folder), "--commune", code, "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert out.is_file() and out.with_name("commune-buildings.csv").is_file()
    result = runner.invoke(app, ["report", str(folder), "--all", "-o", str(tmp_path / "all" / "2026"), "-q"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "all" / "2026" / "index.html").is_file()
    refused = runner.invoke(app, ["report", str(folder), "--commune", "no such commune", "-o",
                                  str(tmp_path / "new" / "deeper" / "x.html")])
    assert refused.exit_code == 2 and not (tmp_path / "new").exists()


def test_run_summary_says_how_many_buildings_have_data(tmp_path):
    """40 footprints of which 6 have LiDAR: the summary says both (a bare '40' read as 40 analysed)."""
    from rich.console import Console

    from cli.run import summary_table

    s = {"totals": {"buildings": 6, "outside_buildings": 0, "mwp_gross": 0.07, "mwp_net": 0.05, "gwh_gross": 0.06,
                    "gwh_net": 0.04},
         "buildings": 40, "tiles": 1, "tiles_done": 1, "tiles_reused": 0, "tiles_failed": [], "peak_rss_mib": 10.0,
         "seconds": 1.0}
    console = Console(width=120, record=True)
    console.print(summary_table(s, tmp_path))
    assert "40 (6 with LiDAR data)" in console.export_text()
