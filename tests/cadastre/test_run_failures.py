"""A territory run that fails looks like a failure: sparse LiDAR, Ctrl-C, an interrupted --restart.

- LiDAR too sparse for the cell size: a warning per tile with its density and the cell size that
  suits it; no building at all is one ``error:`` line and exit code 2; the summary names only the
  files that exist.
- Ctrl-C: one line ``interrupted: N of M tiles done; ...``, exit code 130, no traceback (ours or
  Dask's); the next run says how many tiles it reused.
- ``run.json`` says whether a run folder is complete, and records its tables; ``report`` and
  ``qualify`` refuse, in one line, a folder that is incomplete or whose tables are not the run's.

A small DSM scene (6 tiles of 20 m, 8 directions, no far field, one day of weather: about a second
a run) is shared; a test that changes its run folder works on a copy.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import weakref
from pathlib import Path

import geopandas as gpd
import laspy
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
import shapely
from affine import Affine
from helpers import cli_runner, error_line, shared_build

import cadastre.territory.run as run_module
from cadastre.areas.aggregate import default_communes_path
from cadastre.errors import InputFileError
from cadastre.results import contract
from cadastre.results.read import read_meta, read_results
from cadastre.territory.config import load_run_config
from cadastre.territory.density import (MIN_POINTS_PER_CELL, POINTS_PER_CELL, core_density, low_density,
                                        suited_resolution)
from cadastre.territory.run import Interrupted, run
from cli.main import app

X0, Y1, RES = 770400.0, 6277700.0, 1.0
CRS = "EPSG:2154"
SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "lidar" / "test_data_77055_627755_LA93_IGN69.laz"
COMMUNES = default_communes_path().with_name("communes-lidar-samples.geojson")
TILES = 6
runner = cli_runner()


def _invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


# --------------------------------------------------------------------------- the scene


def _write_day(path: Path) -> None:
    """One clear day, hourly (a run computes with it in a fraction of the time a year takes)."""
    times = pd.date_range("2023-06-21 00:30", periods=24, freq="h", tz="UTC")
    ghi = np.clip(800 * np.sin(np.pi * (np.arange(24) + 0.5 - 6) / 14), 0, None).round(1)
    pd.DataFrame({"time": [t.isoformat() for t in times], "ghi": ghi, "dni": (0.8 * ghi).round(1),
                  "dhi": (0.2 * ghi).round(1)}).to_csv(path, index=False)


def _write_scene(folder: Path) -> None:
    """A 60 x 40 m DSM at 1 m with four gabled houses, their footprints and run.toml (6 tiles of 20 m)."""
    z = np.full((40, 60), 50.0)
    boxes = []
    for r0, c0 in ((4, 4), (6, 34), (22, 12), (24, 40)):
        rows = np.arange(12)
        z[r0:r0 + 12, c0:c0 + 14] = (56.0 + np.minimum(rows + 0.5, 11.5 - rows) * np.tan(np.radians(30)))[:, None]
        boxes.append(shapely.box(X0 + c0, Y1 - r0 - 12, X0 + c0 + 14, Y1 - r0))
    profile = dict(driver="GTiff", width=60, height=40, count=1, dtype="float32", crs=CRS,
                   transform=Affine(RES, 0, X0, 0, -RES, Y1), nodata=-9999.0)
    with rasterio.open(folder / "dsm.tif", "w", **profile) as dst:
        dst.write(z.astype("float32"), 1)
    gpd.GeoDataFrame({"name": list("abcd")}, geometry=boxes, crs=CRS).to_file(folder / "footprints.gpkg")
    _write_day(folder / "day.csv")
    (folder / "run.toml").write_text(f"""
[inputs]
dsm = ["dsm.tif"]
footprints = "footprints.gpkg"
communes = "{COMMUNES.as_posix()}"
weather = "day.csv"
[tiles]
size = 20
resolution = 1.0
halo = 10
[irradiance]
directions = 8
max_distance = 10
far_distance = 0
""")


def _clean_run(folder: Path) -> dict:
    _write_scene(folder)
    return run(load_run_config(folder / "run.toml"), folder / "run")


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """The scene (``run.toml`` and its inputs) and its complete run (``run/``), shared: copy before changing."""
    folder, summary = shared_build(tmp_path_factory, "failures-scene", _clean_run)
    return folder, summary


def _copy(clean, destination: Path) -> tuple[Path, Path]:
    """A copy of the scene and of its run folder: (run.toml, run folder)."""
    folder = Path(shutil.copytree(clean[0], destination))
    return folder / "run.toml", folder / "run"


# --------------------------------------------------------------------------- point density


def test_density_of_a_core_counts_the_area_the_files_cover():
    # two files covering the west 5 m and the east 16 m of a 10 x 10 m core (overlapping): all of it
    assert core_density(100, (0, 0, 10, 10), [(0, 0, 5, 10), (4, 0, 20, 10)]) == pytest.approx(1.0)
    # a file covering a quarter of the core: its points over that quarter
    assert core_density(50, (0, 0, 10, 10), [(5, 5, 30, 30)]) == pytest.approx(2.0)
    assert core_density(0, (0, 0, 10, 10), [(20, 20, 30, 30)]) is None


def test_suited_resolution_holds_about_four_points_per_cell_and_fits_the_run():
    # 0.3 points/m²: sqrt(4 / 0.3) = 3.65 m; 4 m divides 1000 m tiles; with a 5 m far-field cell, 5 m
    assert suited_resolution(0.3, size=1000) == 4.0
    assert suited_resolution(0.3, size=1000, far_cell=5.0) == 5.0
    assert suited_resolution(0.3, size=50) == 5.0  # 4 m does not divide 50 m tiles
    assert suited_resolution(2.0, size=1000, far_cell=5.0) == 2.5  # sqrt(2) = 1.41; 2 m does not divide 5 m
    for density in (0.05, 0.3, 1.0, 3.0, 16.0, 100.0):
        cell = suited_resolution(density, size=1000)
        assert density * cell**2 >= POINTS_PER_CELL - 1e-9
        assert 1000 / cell == round(1000 / cell)


def test_low_density_below_one_point_per_cell():
    assert MIN_POINTS_PER_CELL == 1.0
    assert low_density(10.0, 0.5, size=1000) is None  # IGN LiDAR HD: 2.5 points per 0.5 m cell
    assert low_density(None, 0.5, size=1000) is None  # no data in the core: not a density problem
    sparse = low_density(0.3, 0.5, size=1000, far_cell=5.0)
    assert sparse == {"density": 0.3, "points_per_cell": 0.075, "resolution": 5.0}
    assert low_density(0.3, 2.0, size=1000) is None  # 1.2 points per 2 m cell


CORE = (770550.0, 6277500.0, 770600.0, 6277550.0)
"""The 50 m core of the sample tile."""


def _decimated(folder: Path, keep_every: int) -> tuple[Path, float]:
    """The sample tile with one point in ``keep_every`` (as IGN's 0.3 points/m² tiles): its path and its
    density [points/m²]: the points in the core (west and south edges in, east and north edges out) over the
    part of the core the new header's extent covers."""
    las = laspy.read(SAMPLE)
    keep = np.zeros(len(las.points), bool)
    keep[::keep_every] = True
    las.points = las.points[keep]  # a copy (a strided view cannot be compressed)
    path = folder / "sparse" / SAMPLE.name
    path.parent.mkdir()
    las.write(path)
    header = laspy.read(path).header
    x, y = np.asarray(las.x), np.asarray(las.y)
    inside = (x >= CORE[0]) & (x < CORE[2]) & (y >= CORE[1]) & (y < CORE[3])
    width = min(header.maxs[0], CORE[2]) - max(header.mins[0], CORE[0])
    height = min(header.maxs[1], CORE[3]) - max(header.mins[1], CORE[1])
    return path, int(inside.sum()) / (width * height)


@pytest.mark.slow  # a LiDAR run
def test_sparse_lidar_warns_per_tile_and_no_building_is_an_error(tmp_path):
    _laz, density = _decimated(tmp_path, 100)
    assert 0.2 < density < 0.4
    (tmp_path / "run.toml").write_text(
        f'[inputs]\nlidar = ["sparse"]\ncommunes = "{COMMUNES.as_posix()}"\n[tiles]\nsize = 50\nhalo = 20\n'
        f"[irradiance]\ndirections = 8\nfar_distance = 0\n")
    out = tmp_path / "run"
    result = _invoke("run", tmp_path / "run.toml", "-o", out, "--scheduler", "synchronous")
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = _lines(result.stderr)
    warnings = [line for line in lines if line.startswith("warning tile ")]
    assert len(warnings) == 1, result.stderr
    assert f"{density:.2g} LiDAR points/m², {density * 0.25:.2g} per 0.5 m cell" in warnings[0]
    assert "tiles.resolution = 5 suits it" in warnings[0]  # sqrt(4 / 0.29) = 3.7 m; 5 m divides the 50 m tiles
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1 and len(lines) == 2, result.stderr
    assert "no building found in the 1 tile of" in errors[0] and "tiles.resolution = 5" in errors[0]
    # the summary names the files the run wrote, and only them
    listed = " ".join(result.stdout.split())
    assert not (out / "irradiance.vrt").exists() and not (out / "farfield.vrt").exists()
    assert "irradiance.vrt" not in listed and "farfield.vrt" not in listed
    assert "buildings.gpkg" in listed and "run.json" in listed
    meta = json.loads((out / "run.json").read_text())
    assert meta["buildings"] == 0 and meta["complete"] is True
    assert meta["tiles_low_density"] == [{"tile": "770550_6277550", "density": round(density, 3),
                                          "points_per_cell": round(density * 0.25, 3), "resolution": 5.0}]


# --------------------------------------------------------------------------- run.json and its tables


def test_a_complete_run_records_its_tables(clean):
    folder, summary = clean
    out = folder / "run"
    meta = json.loads((out / "run.json").read_text())
    assert meta["complete"] is True and list(meta) == list(contract.RUN_META_KEYS)
    assert meta["tiles_low_density"] == []  # a DSM run has no point density
    assert set(meta["tables"]) == set(contract.WRITTEN_TABLES)  # the monthly tables too
    assert meta["tables"]["buildings.gpkg"]["rows"] == len(gpd.read_file(out / "buildings.gpkg")) == 4
    assert meta["tables"]["roofs.gpkg"]["rows"] == len(gpd.read_file(out / "roofs.gpkg")) > 4
    for name in (*contract.TABLES, *contract.MONTHLY_TABLES):
        assert meta["tables"][name]["sha256"] == hashlib.sha256((out / name).read_bytes()).hexdigest()
        assert meta["tables"][name]["rows"] == len(pd.read_csv(out / name))
    assert read_results(out).meta == meta


def _drop_a_building(out: Path) -> None:
    frame = gpd.read_file(out / "buildings.gpkg", layer="buildings")
    pyogrio.write_dataframe(frame.iloc[1:], out / "buildings.gpkg", layer="buildings")


def _touch_a_commune(out: Path) -> None:
    """One digit of communes.csv changed: the same rows, other figures."""
    text = (out / "communes.csv").read_text()
    k = max(i for i, ch in enumerate(text) if ch.isdigit())
    (out / "communes.csv").write_text(text[:k] + str((int(text[k]) + 1) % 10) + text[k + 1:])


@pytest.mark.slow  # a second run of every tile
def test_a_pv_change_recomputes_every_tile_stage(clean, tmp_path):
    """A change of the PV parameters recomputes every tile stage of a complete run (none is reused), and the
    module density scales the peak power (0.18 instead of the default 0.2: 0.9 times)."""
    cfg, out = _copy(clean, tmp_path / "scene")
    first = clean[1]
    cfg.write_text(cfg.read_text() + "[pv]\nmodule_density = 0.18\n")
    other = run(load_run_config(cfg), out)
    assert other["tiles"] == first["tiles"] == TILES and other["tiles_reused"] == 0
    ratio = other["totals"]["mwp_gross"] / first["totals"]["mwp_gross"]
    assert ratio == pytest.approx(0.9, rel=1e-9)


@pytest.mark.parametrize(("change", "needle"), [
    (_drop_a_building, "buildings.gpkg is not the table this run wrote (3 rows where run.json recorded 4)"),
    (_touch_a_commune, "communes.csv is not the table this run wrote (its SHA-256 differs"),
    (lambda out: (out / "territory.csv").unlink(), "territory.csv is missing, though run.json lists it"),
    (lambda out: (out / "run.json").write_text('{"complete": false, "started": "2026-12-05T08:00:00+00:00"}'),
     "incomplete run (run.json says so"),
])
def test_readers_refuse_a_run_folder_that_does_not_match_its_run_json(clean, tmp_path, change, needle):
    _cfg, out = _copy(clean, tmp_path / "scene")
    before = (out / "communes.csv").read_text()
    change(out)
    if change is _touch_a_commune:
        assert (out / "communes.csv").read_text() != before
    with pytest.raises(InputFileError) as caught:
        read_meta(out)
    assert str(caught.value).startswith(f"{out}: ") and needle in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.slow  # two command lines
def test_report_and_qualify_refuse_an_incomplete_run_in_one_line(clean, tmp_path):
    _cfg, out = _copy(clean, tmp_path / "scene")
    (out / "run.json").write_text('{"complete": false, "started": "2026-12-05T08:00:00+00:00"}')
    report = _invoke("report", out, "-o", tmp_path / "reports", "--all")
    error_line(report, str(out), "incomplete run", "run the same 'cadastre run' command again")
    (tmp_path / "municipal.csv").write_text(_invoke("qualify", "--template").stdout)
    qualify = _invoke("qualify", out, "-b", tmp_path / "municipal.csv", "-o", tmp_path / "q")
    error_line(qualify, str(out), "incomplete run")
    _drop_a_building(out)  # the tables of another run
    (out / "run.json").write_text(json.dumps(clean[1], default=str))
    report = _invoke("report", out, "-o", tmp_path / "reports", "--all")
    error_line(report, str(out), "buildings.gpkg is not the table this run wrote")


# --------------------------------------------------------------------------- Ctrl-C


def _stop_after(monkeypatch, k: int) -> None:
    """Ctrl-C when the tile task of the (k+1)-th tile starts (tasks run one after the other)."""
    real, calls = run_module.tile_task, []

    def task(*args, **kwargs):
        if len(calls) == k:
            raise KeyboardInterrupt
        calls.append(args[1].id)
        return real(*args, **kwargs)

    monkeypatch.setattr(run_module, "tile_task", task)


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_ctrl_c_is_one_line_exit_130_and_the_next_run_reuses_the_tiles(clean, tmp_path, monkeypatch):
    folder, summary = clean
    cfg, out = _copy(clean, tmp_path / "scene")
    shutil.rmtree(out)
    with monkeypatch.context() as patch:
        _stop_after(patch, 2)
        result = _invoke("run", cfg, "-o", out, "--scheduler", "synchronous")
    assert result.exit_code == 130, (result.stdout, result.stderr, result.exception)
    assert _lines(result.stderr) == [f"interrupted: 2 of {TILES} tiles done; run the same command again to resume"]
    assert "Traceback" not in result.stdout + result.stderr
    assert json.loads((out / "run.json").read_text())["complete"] is False
    assert not (out / "buildings.gpkg").exists()
    again = _invoke("run", cfg, "-o", out, "--scheduler", "synchronous")
    assert again.exit_code == 0, again.stderr
    assert "2 tiles reused from the previous run" in _lines(again.stderr)
    meta = json.loads((out / "run.json").read_text())
    assert meta["complete"] is True and meta["tiles_reused"] == 2 and meta["tiles_done"] == TILES
    assert (out / "communes.csv").read_text() == (folder / "run" / "communes.csv").read_text()


def test_ctrl_c_while_the_plan_reads_the_inputs(clean, tmp_path, monkeypatch):
    import cadastre.territory.plan

    def reading(_config):
        raise KeyboardInterrupt

    monkeypatch.setattr(cadastre.territory.plan, "make_plan", reading)  # cli.run imports it when it runs
    result = _invoke("run", clean[0] / "run.toml", "-o", tmp_path / "run", "--scheduler", "synchronous")
    assert result.exit_code == 130, (result.stdout, result.stderr, result.exception)
    assert _lines(result.stderr) == ["interrupted: while reading the inputs, before any tile was computed"]
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_ctrl_c_in_the_dask_loop_cancels_the_tasks(clean, tmp_path):
    """Ctrl-C while the run waits on Dask (in the loop over completed tasks): the tasks not yet run are
    cancelled, and the run raises :class:`Interrupted` with the tiles done."""
    distributed = pytest.importorskip("distributed")
    cfg, out = _copy(clean, tmp_path / "scene")
    shutil.rmtree(out)

    def progress(stage, done, total):
        if stage == "tiles" and done == 1:
            raise KeyboardInterrupt

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None,
                                  scheduler_kwargs={"dashboard_address": ":0"}) \
            as cluster, distributed.Client(cluster) as client:
        with pytest.raises(Interrupted) as caught:
            run(load_run_config(cfg), out, client=client, progress=progress)
        deadline = time.time() + 10
        while time.time() < deadline and any("tile_task" in str(key) for key in cluster.scheduler.tasks):
            time.sleep(0.05)
        assert not any("tile_task" in str(key) for key in cluster.scheduler.tasks)
    assert caught.value.total == TILES and 1 <= caught.value.done < TILES
    assert str(caught.value) == f"interrupted: {caught.value.done} of {TILES} tiles done"
    assert json.loads((out / "run.json").read_text())["complete"] is False


def test_an_interrupted_restart_leaves_no_tables_of_the_previous_run(clean, tmp_path, monkeypatch):
    """Ctrl-C while --restart wipes the tiles: the previous run's merged tables are gone already, and run.json
    says the folder is incomplete, so that nothing reads them as this folder's results."""
    cfg, out = _copy(clean, tmp_path / "scene")
    real = shutil.rmtree

    def wipe(path, *args, **kwargs):
        if Path(path).name == "tiles":
            real(next(Path(path).iterdir()))  # one tile gone, then Ctrl-C
            raise KeyboardInterrupt
        return real(path, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(run_module.shutil, "rmtree", wipe)
        result = _invoke("run", cfg, "-o", out, "--scheduler", "synchronous", "--restart")
    assert result.exit_code == 130, (result.stdout, result.stderr, result.exception)
    assert _lines(result.stderr) == [
        f"interrupted: {TILES - 1} of {TILES} tiles done; run the same command without --restart to resume"]
    for name in (*contract.RESULT_TABLES, contract.IRRADIANCE_MOSAIC, contract.MANIFEST):
        assert not (out / name).exists(), name
    assert json.loads((out / "run.json").read_text())["complete"] is False
    with pytest.raises(InputFileError, match="incomplete run"):
        read_meta(out)


def test_a_resumed_run_marks_its_folder_incomplete_until_it_ends(clean, tmp_path, monkeypatch):
    """Ctrl-C during a resumed run: the previous tables stay (they are replaced at the merge), but run.json
    says the folder is incomplete."""
    cfg, out = _copy(clean, tmp_path / "scene")
    with monkeypatch.context() as patch:
        patch.setattr(run_module, "merge", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()))
        with pytest.raises(Interrupted) as caught:
            run(load_run_config(cfg), out)
    assert (caught.value.done, caught.value.total) == (TILES, TILES)
    assert (out / "buildings.gpkg").exists()
    with pytest.raises(InputFileError, match="incomplete run"):
        read_results(out)


def _swallowed_ctrl_c() -> None:
    """Ctrl-C delivered inside a weakref callback: Python prints "Exception ignored" and drops the
    KeyboardInterrupt (as it did inside the import system's module locks, and the run went on)."""
    thing = type("Thing", (), {})()
    ref = weakref.ref(thing, lambda _ref: signal.raise_signal(signal.SIGINT))
    del thing
    assert ref() is None


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
@pytest.mark.parametrize("moment", ["first tile", "last tile", "merge"])
def test_a_ctrl_c_swallowed_on_the_way_still_stops_the_run(clean, tmp_path, monkeypatch, moment):
    """At the next task, or before run.json says the folder is complete (the tiles are reused but for the
    first case, which computes them)."""
    cfg, out = _copy(clean, tmp_path / "scene")
    if moment == "first tile":
        shutil.rmtree(out)
    swallowed = []
    monkeypatch.setattr(sys, "unraisablehook", swallowed.append)
    real_merge = run_module.merge

    def merge(*args, **kwargs):
        summary = real_merge(*args, **kwargs)
        _swallowed_ctrl_c()
        return summary

    def progress(stage, done, total):
        if stage == "tiles" and done == {"first tile": 1, "last tile": total}.get(moment):
            _swallowed_ctrl_c()

    if moment == "merge":
        monkeypatch.setattr(run_module, "merge", merge)
    with pytest.raises(Interrupted) as caught:
        run(load_run_config(cfg), out, progress=progress)
    assert [type(u.exc_value) for u in swallowed] == [KeyboardInterrupt]  # Python did drop it
    assert (caught.value.done, caught.value.total) == (1 if moment == "first tile" else TILES, TILES)
    assert json.loads((out / "run.json").read_text())["complete"] is False
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the run's handler is gone


@pytest.mark.slow  # a subprocess with a local Dask cluster
def test_sigint_to_a_real_run_on_a_local_cluster(clean, tmp_path):
    """Ctrl-C in a terminal reaches every process of the group, the Dask workers too: one line, exit 130."""
    cfg, out = _copy(clean, tmp_path / "scene")
    shutil.rmtree(out)
    text = cfg.read_text().replace("directions = 8", "directions = 64").replace("size = 20", "size = 10")
    cfg.write_text(text)  # 24 slower tiles: the signal lands in the middle of the run
    exe = Path(sys.executable).with_name("cadastre")
    proc = subprocess.Popen([str(exe), "run", str(cfg), "-o", str(out), "-n", "1"], start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and not list(out.glob("tiles/*/tile.json")):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal does
    try:
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, stderr
    lines = _lines(stderr)
    assert len(lines) == 1 and lines[0].startswith("interrupted: ") and lines[0].endswith(
        "of 24 tiles done; run the same command again to resume"), stderr
    assert "Traceback" not in stdout + stderr
    assert json.loads((out / "run.json").read_text())["complete"] is False
    # the count is that of the tiles on disk once the workers are gone: those the next run reuses
    done = [json.loads(p.read_text())["status"] for p in out.glob("tiles/*/tile.json")]
    assert lines[0].startswith(f"interrupted: {done.count('done')} of 24 ") and 0 < len(done) < 24
