"""The territory batch: seams, resume, kill and resume, Dask scheduler, mosaics, bad configs.

The expensive runs are shared: one run of the synthetic scene (``tiled``) and one clean run of the
LiDAR sample (``lidar_clean``) per session, whatever the xdist workers; a test that changes a run
folder works on a copy. The tests that run the batch are marked slow, the others are not. The
command line runs in the process (typer's CliRunner) but for the kill in the middle of a run, a real
subprocess of the console script.
"""

from __future__ import annotations

import dataclasses
import json
import gc
import os
import shutil
import signal
import subprocess
import sys
import time
import weakref
from pathlib import Path
from unittest import mock

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from affine import Affine
from helpers import cli_runner, shared_build
from report_scene import shared_engine_run

from cadastre.areas.aggregate import default_communes_path, load_communes
from cadastre.roofs.buildings import compute_buildings
from cadastre.config import Config
from cadastre.errors import OptionError
from cadastre.solar.irradiance import irradiance
from cadastre.territory.config import load_run_config
from cadastre.territory.plan import make_plan
from cadastre.territory.run import run
from cadastre.solar.weather import load_weather
from cadastre.solar.farfield import FarField
from rasters.coarse import coarse_surface
from rasters.io import read_dsm
from rasters.tiling import plan_tiles, read_window, write_vrt
from cli.main import app

slow = pytest.mark.slow  # whole runs, on Dask and in subprocesses: left out of `make test-fast`

X0, Y1, RES = 770400.0, 6277700.0, 1.0
CRS = "EPSG:2154"
SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "lidar"
runner = cli_runner()


def _scene(width=200, height=100, seed=3):
    """Ground at 50 m with gabled houses and a tall block; footprints as rectangles."""
    rng = np.random.default_rng(seed)
    z = np.full((height, width), 50.0)
    polys, names = [], []
    k = 0
    for r0 in range(8, height - 20, 30):
        for c0 in range(6, width - 20, 26):
            h, w = int(rng.integers(10, 16)), int(rng.integers(12, 18))
            eave = 50.0 + rng.uniform(5, 9)
            rows = np.arange(h)
            ridge = np.minimum(rows + 0.5, h - rows - 0.5) * np.tan(np.radians(35)) * RES
            z[r0:r0 + h, c0:c0 + w] = (eave + ridge)[:, None]
            polys.append(shapely.box(X0 + c0 * RES, Y1 - (r0 + h) * RES, X0 + (c0 + w) * RES, Y1 - r0 * RES))
            names.append(f"b{k}")
            k += 1
    z[40:60, 184:198] = 80.0  # a tall flat block that shades its neighbours (footprints do not overlap)
    polys.append(shapely.box(X0 + 184, Y1 - 60, X0 + 198, Y1 - 40))
    names.append("tower")
    return z, gpd.GeoDataFrame({"name": names}, geometry=polys, crs=CRS)


def _write_dsm(path: Path, z: np.ndarray) -> Path:
    profile = dict(driver="GTiff", width=z.shape[1], height=z.shape[0], count=1, dtype="float32", crs=CRS,
                   transform=Affine(RES, 0, X0, 0, -RES, Y1), nodata=-9999.0)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(z.astype("float32"), 1)
    return path


def _config(folder: Path, dsm: Path, footprints: Path, *, size=50, halo=40, extra="", name="run.toml",
            cells="core") -> Path:
    communes = default_communes_path().with_name("communes-lidar-samples.geojson")
    text = f"""
[inputs]
dsm = ["{dsm.name}"]
footprints = "{footprints.name}"
communes = "{communes}"
[tiles]
size = {size}
resolution = {RES}
halo = {halo}
rasters = ["global", "svf"]
[irradiance]
directions = 16
max_distance = 20
cells = "{cells}"
{extra}
"""
    path = folder / name
    path.write_text(text)
    return path


def _write_scene(folder: Path) -> None:
    z, fp = _scene()
    dsm = _write_dsm(folder / "dsm_scene.tif", z)
    fp.to_file(folder / "footprints.gpkg", layer="footprints")
    _config(folder, dsm, folder / "footprints.gpkg")


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    """The scene's DSM, footprints and run.toml (the bad configurations are written beside them)."""
    folder, _ = shared_build(tmp_path_factory, "territory-scene", _write_scene)
    return folder, folder / "dsm_scene.tif", folder / "footprints.gpkg", folder / "run.toml"


def _tracked_run(cfg: Path, out: Path) -> dict:
    """The scene's run; records whether each tile's irradiance was freed when its task ended (for
    ``test_tasks_free_their_rasters_when_they_end``): weak references to the arrays, checked at the
    end of the run with the garbage collector off."""
    import cadastre.territory.tasks as territory

    alive = []
    original = territory.irradiance

    def tracked(*args, **kwargs):
        ds = original(*args, **kwargs)
        alive.append(weakref.ref(ds["global"].values))  # the array itself, whoever holds it
        return ds

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(territory, "irradiance", tracked)
        gc.disable()
        try:
            summary = run(load_run_config(cfg), out)
            freed = [ref() is None for ref in alive]
        finally:
            gc.enable()
    return {"summary": summary, "freed": freed}


@pytest.fixture(scope="module")
def tiled(scene, tmp_path_factory):
    """The scene's run, shared by the tests that read it (copy it before changing it)."""
    cfg = scene[3]
    folder, value = shared_build(tmp_path_factory, "territory-tiled", lambda f: _tracked_run(cfg, f / "run"))
    return folder / "run", value["summary"], value["freed"]


def _copy_run(tiled, destination: Path) -> Path:
    """A copy of the shared run folder, for a test that changes it."""
    return Path(shutil.copytree(tiled[0], destination))


def _lidar_config(folder: Path, lidar: Path, extra: str = "", name: str = "run.toml") -> Path:
    """The LiDAR sample in 6 tiles of 50 m, 8 directions, no far field."""
    communes = default_communes_path().with_name("communes-lidar-samples.geojson")
    path = folder / name
    path.write_text(f'[inputs]\nlidar = ["{lidar}"]\ncommunes = "{communes}"\n[tiles]\nsize = 50\nhalo = 20\n'
                    f'[irradiance]\ndirections = 8\nfar_distance = 0\n{extra}')
    return path


def _settings(config) -> dict:
    """A run configuration's values, its paths resolved, but where it was read from."""
    def resolved(value):
        if isinstance(value, Path):
            return value.resolve()
        return tuple(resolved(v) for v in value) if isinstance(value, tuple) else value

    return {f.name: resolved(getattr(config, f.name)) for f in dataclasses.fields(config) if f.name != "source"}


@pytest.fixture(scope="module")
def lidar_clean(tmp_path_factory):
    """A clean run of the LiDAR sample, shared with the report tests (``report_scene.engine_run``: the run of
    ``cadastre init``'s configuration with ``_lidar_config``'s settings); copy it before changing it."""
    clean = shared_engine_run(tmp_path_factory)
    cfg = clean.parent / "run.toml"
    ours = load_run_config(_lidar_config(tmp_path_factory.mktemp("lidar-config"), SAMPLES))
    assert _settings(load_run_config(cfg)) == _settings(ours), "engine_run no longer runs _lidar_config's settings"
    return cfg, clean, json.loads((clean / "run.json").read_text())


def test_plan_tiles_cover_and_align():
    tiles = plan_tiles([(10.0, 10.0, 2990.0, 1990.0)], size=1000, halo=200, resolution=0.5)
    assert [t.id for t in tiles] == ["0_2000", "1000_2000", "2000_2000", "0_1000", "1000_1000", "2000_1000"]
    t = tiles[0]
    assert t.core == (0.0, 1000.0, 1000.0, 2000.0) and t.window == (-200.0, 800.0, 1200.0, 2200.0)
    with pytest.raises(OptionError):
        plan_tiles([(0, 0, 1, 1)], size=1000.25, halo=0, resolution=0.5)


def test_vrt_and_windows_rebuild_the_raster(tmp_path):
    z = np.arange(40 * 60, dtype=float).reshape(40, 60)
    parts = []
    for r in (0, 20):
        for c in (0, 30):
            p = tmp_path / f"part_{r}_{c}.tif"
            profile = dict(driver="GTiff", width=30, height=20, count=1, dtype="float32", crs=CRS, nodata=-9999.0,
                           transform=Affine(RES, 0, X0 + c, 0, -RES, Y1 - r))
            with rasterio.open(p, "w", **profile) as dst:
                dst.write(z[r:r + 20, c:c + 30].astype("float32"), 1)
            parts.append(p)
    vrt = write_vrt(parts, tmp_path / "mosaic.vrt")
    with rasterio.open(vrt) as src:
        np.testing.assert_array_equal(src.read(1), z)
        assert src.crs.to_epsg() == 2154
    window = read_window(parts, (X0 + 10, Y1 - 35, X0 + 70, Y1 - 5), RES)
    assert np.isnan(window[:, 50:]).all()  # beyond the rasters
    np.testing.assert_array_equal(window[:, :50], z[5:35, 10:60])


def test_windows_read_nodata_and_mask_bands_as_nan(tmp_path):
    """A nodata value, an internal mask band and NaN all read as NaN; other cells as they are."""
    z = np.arange(20 * 30, dtype=float).reshape(20, 30)
    hole = np.zeros(z.shape, bool)
    hole[3:7, 4:9] = True
    profile = dict(driver="GTiff", width=30, height=20, count=1, dtype="float32", crs=CRS,
                   transform=Affine(RES, 0, X0, 0, -RES, Y1))
    with rasterio.open(tmp_path / "nodata.tif", "w", **profile, nodata=-9999.0) as dst:
        dst.write(np.where(hole, -9999.0, z).astype("float32"), 1)
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True), rasterio.open(tmp_path / "mask.tif", "w", **profile) as dst:
        dst.write(np.where(hole, 5.0, z).astype("float32"), 1)
        dst.write_mask(np.where(hole, 0, 255).astype("uint8"))
    with rasterio.open(tmp_path / "nan.tif", "w", **profile, nodata=np.nan) as dst:
        dst.write(np.where(hole, np.nan, z).astype("float32"), 1)
    expected = np.where(hole, np.nan, z)
    for name in ("nodata", "mask", "nan"):
        window = read_window([tmp_path / f"{name}.tif"], (X0, Y1 - 20, X0 + 30, Y1), RES)
        np.testing.assert_array_equal(window, expected, err_msg=name)


@slow
def test_tiles_with_halo_equal_one_raster(scene, tiled):
    """Seam test: every core cell and every building as in a single-raster computation."""
    folder, dsm_path, fp_path, cfg = scene
    out, summary, _freed = tiled
    assert summary["tiles"] == 8 and summary["tiles_done"] == 8 and not summary["tiles_failed"]
    assert (out / "config.toml").read_text() == cfg.read_text()
    site = tuple(summary["site"][k] for k in ("latitude", "longitude", "altitude"))
    config = load_run_config(cfg)
    weather = load_weather(None, latitude=site[0], longitude=site[1], altitude=site[2])
    dsm = read_dsm(dsm_path)
    assert config.far_distance == 5000.0  # the default: the tiles trace the far field beyond their halo
    far = FarField(coarse_surface(dsm, config.far_cell), config.far_distance)
    whole = irradiance(dsm, weather, n_directions=16, max_distance=20.0, sky="perez", site=site, far_field=far,
                       horizons=True)  # the tiles' production comes from the faces' shading profiles
    near_only = irradiance(dsm, weather, n_directions=16, max_distance=20.0, sky="perez", site=site)
    with rasterio.open(out / "irradiance.vrt") as src:
        mosaic = np.ma.filled(src.read(1, masked=True).astype(float), np.nan)
        svf = np.ma.filled(src.read(2, masked=True).astype(float), np.nan)
        assert src.descriptions == ("global", "svf")
    ref = whole["global"].values
    assert mosaic.shape == ref.shape
    np.testing.assert_allclose(mosaic, ref, rtol=1e-4)
    np.testing.assert_allclose(svf, whole["svf"].values, rtol=1e-4)
    # the far field matters on this scene (tall blocks beyond 20 m): the tiles did not just ignore it
    assert np.nanmax(np.abs(near_only["svf"].values - svf)) > 0.01
    with rasterio.open(out / "farfield.vrt") as src:
        np.testing.assert_array_equal(np.ma.filled(src.read(1, masked=True), np.nan),
                                      coarse_surface(dsm, config.far_cell).values)
    communes = load_communes(config.communes, crs=CRS)
    single = compute_buildings(whole, gpd.read_file(fp_path), weather, communes=communes, config=Config())
    merged = gpd.read_file(out / "buildings.gpkg")
    assert len(merged) == len(single.buildings) == len(gpd.read_file(fp_path))
    a = merged.set_index("name").sort_index()
    b = single.buildings.set_index("name").sort_index()
    for column in ("roof_area_m2", "usable_area_m2", "kwp", "mwh", "faces"):
        np.testing.assert_allclose(a[column].to_numpy(float), b[column].to_numpy(float), rtol=1e-6, err_msg=column)
    assert merged["building_id"].is_unique
    communes_csv = pd.read_csv(out / "communes.csv")
    # each row written to 6 decimals of GWh (1 kWh): the sum within half a kWh per row
    np.testing.assert_allclose(communes_csv["gwh_gross"].sum(), single.communes["gwh_gross"].sum(), rtol=1e-9,
                               atol=0.5e-6 * len(communes_csv))


@slow
def test_the_run_has_profiles_and_monthly_tables_that_sum_to_the_annual_ones(tiled):
    from cadastre.results import contract
    from cadastre.roofs.profiles import read_profiles

    out, summary, _freed = tiled
    assert summary["monthly"] == "profiles"
    roofs = gpd.read_file(out / "roofs.gpkg")
    profiles = read_profiles(out / contract.PROFILES)
    assert list(profiles.faces) == [f"{t}-{f}" for t, f in zip(roofs["tile"], roofs["face"], strict=True)]
    for tile in sorted({str(t) for t in roofs["tile"]}):
        entry = json.loads((out / "tiles" / tile / "tile.json").read_text())
        assert entry["outputs"]["profiles"]["path"] == f"tiles/{tile}/profiles.parquet"
    np.testing.assert_allclose(roofs[list(contract.MONTHLY_COLUMNS)].sum(axis=1), roofs["mwh"], rtol=1e-9)
    for name, annual_name in zip(contract.MONTHLY_TABLES, contract.TABLES, strict=True):
        monthly = pd.read_csv(out / name)
        annual = pd.read_csv(out / annual_name)
        assert list(monthly.columns) == list(contract.MONTHLY_TABLE_COLUMNS_OF[name])
        assert len(monthly) == 12 * len(annual) and monthly["month"].tolist() == list(range(1, 13)) * len(annual)
        for column in ("gwh_gross", "gwh_net"):
            summed = monthly[column].to_numpy().reshape(len(annual), 12).sum(axis=1)
            np.testing.assert_allclose(summed, annual[column], atol=13 * 0.5e-6)
    assert annual["gwh_gross"].iloc[0] > 0
    assert set(summary["tables"]) == set(contract.WRITTEN_TABLES)


@slow
def test_roof_cells_only_give_the_same_roofs_and_buildings(scene, tiled, tmp_path):
    """irradiance.cells = "roofs": the roof cells and every building as with every core cell computed."""
    folder, dsm, fp, _cfg = scene
    out, full, _freed = tiled
    cfg = _config(folder, dsm, fp, cells="roofs", name="roofs.toml")
    summary = run(load_run_config(cfg), tmp_path / "roofs")
    assert summary["tiles_done"] == full["tiles_done"] and not summary["tiles_failed"]
    with rasterio.open(out / "irradiance.vrt") as src:
        every = np.ma.filled(src.read(1, masked=True).astype(float), np.nan)
    with rasterio.open(tmp_path / "roofs" / "irradiance.vrt") as src:
        roofs = np.ma.filled(src.read(1, masked=True).astype(float), np.nan)
    computed = np.isfinite(roofs)
    # the roof cells are computed (inside the footprints, above the ground) and nothing else
    inside = np.zeros(every.shape, bool)
    for geom in gpd.read_file(fp).geometry:
        x0, y0, x1, y1 = geom.bounds
        inside[int(round((Y1 - y1) / RES)):int(round((Y1 - y0) / RES)), int(round((x0 - X0) / RES)):int(round((x1 - X0) / RES))] = True
    assert computed.any() and not (computed & ~inside).any()
    assert computed.sum() == inside.sum()  # every footprint cell is a roof cell on this scene (eaves > 2 m)
    np.testing.assert_allclose(roofs[computed], every[computed], rtol=1e-6)
    a = gpd.read_file(out / "buildings.gpkg").set_index("name").sort_index()
    b = gpd.read_file(tmp_path / "roofs" / "buildings.gpkg").set_index("name").sort_index()
    for column in ("roof_area_m2", "usable_area_m2", "kwp", "mwh", "faces", "irradiation"):
        np.testing.assert_allclose(b[column].to_numpy(float), a[column].to_numpy(float), rtol=1e-6, err_msg=column)
    assert (tmp_path / "roofs" / "communes.csv").read_text() == (out / "communes.csv").read_text()


@slow
def test_resume_recomputes_only_missing_or_invalid_tiles(scene, tiled, tmp_path):
    _folder, _dsm, _fp, cfg = scene
    _out, first, _freed = tiled
    out = _copy_run(tiled, tmp_path / "run")
    before = (out / "communes.csv").read_text()
    victim = sorted((out / "tiles").iterdir())[2]
    (victim / "irradiance.tif").write_bytes(b"truncated")  # an invalid output
    again = run(load_run_config(cfg), out)
    assert again["tiles_reused"] == first["tiles"] - 1
    assert (out / "communes.csv").read_text() == before
    # a change of the PV parameters: test_run_failures::test_a_pv_change_recomputes_every_tile_stage (small scene)


@slow
def test_tasks_free_their_rasters_when_they_end(tiled):
    """A worker's memory stays that of one tile: the irradiance of a finished tile is freed at once,
    even though xarray's accessors hold it in a reference cycle (the collector was off during the
    shared run, which tracked the arrays: see ``tiled``)."""
    _out, summary, freed = tiled
    assert len(freed) == summary["tiles"] > 1
    assert freed == [True] * len(freed)


@slow
def test_config_change_invalidates_exactly_the_affected_stage(lidar_clean, tmp_path):
    """LiDAR sample: a PV change keeps every prepare task, recomputes every tile task."""
    _cfg, clean, first = lidar_clean
    assert first["tiles"] == 6 and first["tiles_done"] == 6 and first["buildings"] > 0
    assert first["tiles_low_density"] == []  # 22 to 34 points/m²: no warning at 0.5 m
    shutil.copytree(clean, tmp_path / "run")
    changed = _lidar_config(tmp_path, SAMPLES, "[pv]\nsystem_losses = 0.2\n", name="b.toml")
    second = run(load_run_config(changed), tmp_path / "run")
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())["entries"]
    assert all(e.get("reused") for e in manifest if e["stage"] == "prepare")
    assert not any(e.get("reused") for e in manifest if e["stage"] == "tile")
    assert second["totals"]["gwh_gross"] < first["totals"]["gwh_gross"]
    assert second["totals"]["mwp_gross"] == pytest.approx(first["totals"]["mwp_gross"], rel=1e-12)


@slow
def test_corrupt_laz_fails_its_tile_and_the_run_goes_on(lidar_clean, tmp_path):
    """A truncated LAZ: its tile fails with the reason, its neighbours are flagged, the others are computed;
    the CLI exits 1. Replacing the file and rerunning recomputes what it touched and equals a clean run."""
    inputs = tmp_path / "lidar"
    shutil.copytree(SAMPLES, inputs)
    victim = inputs / "test_data_77055_627755_LA93_IGN69.laz"
    data = victim.read_bytes()
    victim.write_bytes(data[: len(data) // 2])  # the header is intact: the plan still sees the tile
    _lidar_config(tmp_path, inputs)
    result = _invoke("run", tmp_path / "run.toml", "-o", tmp_path / "run", "--scheduler", "synchronous")
    assert result.exit_code == 1, result.stderr
    summary = json.loads((tmp_path / "run" / "run.json").read_text())
    plan = make_plan(load_run_config(tmp_path / "run.toml"))
    # the cores that need points of the file (these sample tiles hold points on their east and north edges)
    hit = {t.id for t in plan.tiles if victim in plan.points_of(t.core)}
    assert "770550_6277550" in hit and len(hit) < 6
    failed = {(f["tile"], f["stage"]): f["error"] for f in summary["tiles_failed"]}
    assert set(failed) == {(t, stage) for t in hit for stage in ("prepare", "tile")}
    assert all("truncated or corrupt" in failed[(t, "prepare")] and victim.name in failed[(t, "prepare")]
               for t in hit)
    assert summary["tiles_done"] == 6 - len(hit) and summary["buildings"] > 0
    flagged = {h["tile"]: set(h["missing"]) for h in summary["tiles_halo_incomplete"]}
    assert set(flagged) == {t.id for t in plan.tiles if t.id not in hit}  # every other tile borders a failed one
    assert all(missing <= hit for missing in flagged.values())
    assert "truncated or corrupt" in result.stderr and "without the halo of" in result.stderr
    # the file is fixed: the rerun keeps the untouched tasks and ends as a clean run
    victim.write_bytes(data)
    again = run(load_run_config(tmp_path / "run.toml"), tmp_path / "run")
    assert again["tiles_done"] == 6 and not again["tiles_failed"] and not again["tiles_halo_incomplete"]
    _cfg, clean, _summary = lidar_clean  # the same configuration on the unharmed sample
    assert (tmp_path / "run" / "communes.csv").read_text() == (clean / "communes.csv").read_text()
    pd.testing.assert_frame_equal(_attributes(tmp_path / "run" / "buildings.gpkg"),
                                  _attributes(clean / "buildings.gpkg"))


def _invoke(*args):
    """The command line in this process."""
    return runner.invoke(app, [str(a) for a in args])


def _attributes(path: Path) -> pd.DataFrame:
    frame = gpd.read_file(path)
    return pd.DataFrame(frame.drop(columns="geometry")).sort_values("building_id").reset_index(drop=True)


@slow
def test_kill_and_resume_equals_a_clean_run(scene, tiled, tmp_path):
    folder, _dsm, _fp, cfg = scene
    clean, _summary, _freed = tiled
    out = tmp_path / "killed"
    exe = Path(sys.executable).with_name("cadastre")
    proc = subprocess.Popen([str(exe), "run", str(cfg), "-o", str(out), "--scheduler", "synchronous", "-q"],
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while time.time() < deadline and len(list(out.glob("tiles/*/tile.json"))) < 3:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(list(out.glob("tiles/*/tile.json")))
    assert 0 < done < 8, "the kill should land in the middle of the run"
    assert json.loads((out / "run.json").read_text()) == {"complete": False, "started": mock.ANY}
    assert not (out / "buildings.gpkg").exists()
    result = _invoke("run", cfg, "-o", out, "--scheduler", "synchronous", "-q")
    assert result.exit_code == 0, result.stderr
    summary = json.loads((out / "run.json").read_text())
    assert summary["tiles_reused"] >= done
    pd.testing.assert_frame_equal(_attributes(out / "buildings.gpkg"), _attributes(clean / "buildings.gpkg"))
    assert (out / "communes.csv").read_text() == (clean / "communes.csv").read_text()
    with rasterio.open(out / "irradiance.vrt") as a, rasterio.open(clean / "irradiance.vrt") as b:
        np.testing.assert_array_equal(a.read(), b.read())
    assert not list(out.rglob(".*.tmp*")), "no temporary file left"


@slow
def test_same_results_on_a_dask_scheduler(tmp_path_factory, tmp_path):
    """The small scene of test_run_failures (6 tiles, shared with its tests) on a scheduler of two worker
    processes: the run in this process, tile by tile, gave the same buildings and tables."""
    from test_run_failures import _clean_run

    distributed = pytest.importorskip("distributed")
    folder, _summary = shared_build(tmp_path_factory, "failures-scene", _clean_run)
    cfg = Path(shutil.copytree(folder, tmp_path / "scene", ignore=shutil.ignore_patterns("run"))) / "run.toml"
    clean = folder / "run"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        result = _invoke("run", cfg, "-o", tmp_path / "dask", "--scheduler", cluster.scheduler_address, "-q")
    assert result.exit_code == 0, result.stderr
    assert json.loads((tmp_path / "dask" / "run.json").read_text())["tiles_reused"] == 0
    pd.testing.assert_frame_equal(_attributes(tmp_path / "dask" / "buildings.gpkg"),
                                  _attributes(clean / "buildings.gpkg"))
    assert (tmp_path / "dask" / "communes.csv").read_text() == (clean / "communes.csv").read_text()


def test_dry_run_prints_the_plan_and_writes_nothing(scene, tmp_path):
    _folder, _dsm, _fp, cfg = scene
    result = _invoke("run", cfg, "-o", tmp_path / "plan", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "8 cores of 50 m" in " ".join(result.stdout.split()) and "estimated time" in result.stdout
    assert not (tmp_path / "plan").exists()


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('[inputs]\ndsm = ["missing.tif"]\n', "does not exist"),
        ("[inputs]\n", "exactly one of inputs.lidar"),
        ('[inputs]\ndsm = ["dsm_scene.tif"]\n[tiles]\nhalo = -5\n', "tiles.halo"),
        ('[inputs]\ndsm = ["dsm_scene.tif"]\n[tiles]\nsize = 50.3\n', "not a multiple"),
        ('[inputs]\ndsm = ["dsm_scene.tif"]\n[tiles]\nwidth = 5\n', "unknown key 'tiles.width'"),
        ('[inputs]\ndsm = ["dsm_scene.tif"]\n[tiles]\nresolution = 0.5\n', "cell size 1 m differs"),
        ('[inputs]\ndsm = ["dsm_scene.tif"]\n[irradiance]\ndirections = 4\n', "irradiance.directions"),
        ('[inputs]\ndsm = ["dsm_scene.tif"]\n[irradiance]\ncells = "all"\n', "irradiance.cells = 'all'"),
        ("[inputs\n", "invalid TOML"),
    ],
)
def test_bad_configs_are_refused_before_any_work(scene, tmp_path, text, needle):
    """Each bad configuration is refused by the checks `cadastre run` makes first (read, then plan), with a
    message naming the key or the file; the command turns it into one line (next test)."""
    from cadastre.errors import CadastreError

    folder = scene[0]
    bad = folder / f"bad-{abs(hash(text))}.toml"
    bad.write_text(text)
    with pytest.raises(CadastreError) as caught:
        make_plan(load_run_config(bad))
    message = str(caught.value)
    assert needle in message and "\n" not in message, message


def test_a_bad_config_is_a_one_line_error_of_the_command(scene, tmp_path):
    """The command line: one `error:` line, exit 2, no output folder (one case for all: the message is the
    library's, tested above; in this process, as a real process's one-line error is tested by
    test_run_folder::test_two_real_runs_on_one_folder_one_is_refused_the_other_complete)."""
    bad = scene[0] / "bad-command.toml"
    bad.write_text('[inputs]\ndsm = ["dsm_scene.tif"]\n[tiles]\nhalo = -5\n')
    result = _invoke("run", bad, "-o", tmp_path / "out", "--scheduler", "synchronous")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "tiles.halo" in lines[0], result.stderr
    assert not (tmp_path / "out").exists()


def test_init_writes_a_config_that_runs_on_the_sample(tmp_path):
    result = _invoke("init", "-o", tmp_path / "run.toml")
    assert result.exit_code == 0, result.stderr
    config = load_run_config(tmp_path / "run.toml")
    assert len(config.lidar) == 6 and config.size == 50.0
    assert len(make_plan(config).tiles) == 6
    again = _invoke("init", "-o", tmp_path / "run.toml")
    assert again.exit_code == 2 and "already exists" in again.stderr
