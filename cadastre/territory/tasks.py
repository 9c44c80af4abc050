"""The tasks of a territory run, one per tile and stage; each records its manifest entry.

1. *prepare* (LiDAR inputs only, :func:`prepare_task`): each core tile's LAS/LAZ points to DSM,
   DTM, nDSM and masks on the core's grid (``tiles/<id>/prepared/``). A tile reads the files
   whose header extent meets its core; its entry records the point density of the core and, when
   it is too sparse for the cell size, the cell size it suits (:mod:`cadastre.territory.density`).
2. *coarse* (:func:`coarse_task`): each core's highest surface per coarse cell
   (``irradiance.far_cell``, e.g. 5 m; the cells whose centre lies in the core),
   ``tiles/<id>/coarse.tif``; together they are the territory's coarse surface
   (``farfield.vrt``), on which the far-field horizon is traced (:mod:`kernels.farfield`).
3. *tile* (:func:`tile_task`): each task reads its core plus a halo from the rasters of its
   neighbours (context only), computes the irradiance with the horizon reaching the halo, the
   roof faces and buildings, and owns exactly the cells of its core and the buildings whose
   footprint's representative point lies in it. Outputs: ``tiles/<id>/irradiance.tif`` (the
   core), ``buildings.gpkg``, ``roofs.gpkg`` and ``profiles.parquet`` (the shading profiles of its
   faces, named ``<tile id>-<face>``: the irradiance is computed with its horizon codes).

A failed task is recorded (status ``failed``, a one-line error) and the run goes on.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import errno
import gc
import math
import resource
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
from pyproj import CRS

from cadastre.errors import CadastreError, InputFileError, NoOverlapError
from cadastre.areas.coverage import covered_parts
from cadastre.results.contract import (BUILDINGS, BUILDINGS_LAYER, COVERAGE, COVERAGE_LAYER, PROFILES, ROOFS,
                                       ROOFS_LAYER, TILES)
from cadastre.roofs.buildings import compute_buildings, owned_by_raster, prepare_footprints
from cadastre.roofs.faces import rasterize_footprints, roof_cells
from cadastre.roofs.profiles import write_profiles
from cadastre.solar.farfield import FarField
from cadastre.solar.irradiance import irradiance
from cadastre.solar.weather import Weather
from cadastre.territory.config import RunConfig
from cadastre.territory.density import core_density, low_density
from cadastre.territory.manifest import (NO_COARSE, NO_ROOF, NO_SURFACE, PREPARED, PROFILES_OUTPUT, check_entry,
                                         describe_outputs, hash_of, write_entry)
from rasters.coarse import block_max, far_bounds, read_coarse
from rasters.footprints import footprints_from_mask, write_vector
from rasters.io import NODATA, to_dataarray, write_bands
from rasters.lidar import MASK_NODATA, prepare, sha256
from rasters.tiling import Bounds, Tile, read_window, window_transform

__all__ = ["PREPARED", "Shared", "coarse_bounds", "coarse_task", "prepare_task", "tile_task"]

DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
"""System errors that stop the whole run (every other task would meet them too) instead of failing a tile."""


def _peak_mib() -> float:
    """Peak resident memory of this process so far. [MiB]"""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 1024


@contextlib.contextmanager
def _freeing():
    """Free the task's arrays when it ends: xarray objects that used an accessor (``.rio``) sit in
    reference cycles, which only the cyclic collector frees, and it runs too seldom (large arrays do
    not count towards its thresholds): a worker grew by ~300 MiB a tile without this.

    The objects that existed before the task are frozen meanwhile (:func:`gc.freeze`), so that the
    collection at the end scans only the task's own: about 1 ms instead of 0.1-0.3 s a task in a
    process holding a few hundred thousand objects. A process that froze objects itself keeps them
    frozen (a plain collection then).
    """
    freeze = gc.get_freeze_count() == 0
    if freeze:
        gc.freeze()
    try:
        yield
    finally:
        gc.collect()
        if freeze:
            gc.unfreeze()


def _threads(n: int | None) -> None:
    if n:
        import numba

        numba.set_num_threads(max(1, min(int(n), numba.config.NUMBA_NUM_THREADS)))


def disk_full(exc: BaseException) -> bool:
    """Whether ``exc``, or an exception it comes from, is a full disk (or quota): GDAL and pyogrio say it in words."""
    seen = 0
    while exc is not None and seen < 10:
        if getattr(exc, "errno", None) in DISK_FULL or "No space left on device" in str(exc) \
                or "Disk quota exceeded" in str(exc):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _with_warning(entry: dict, warning: str | None, tile: Tile) -> dict:
    """The entry a task returns: with one line saying why an earlier entry was not trusted (not written)."""
    return entry if warning is None else {**entry, "warning": f"tile {tile.id}: {warning}; recomputed"}


def _error_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if isinstance(exc, CadastreError) else f"{type(exc).__name__}: {text}"


def prepare_task(run_dir: str, tile: Tile, paths: list[str], config: RunConfig, threads: int | None = None) -> dict:
    """Stage 1 of a tile (LiDAR): points of its core to DSM, DTM, nDSM and masks."""
    run_dir = Path(run_dir)
    started = time.perf_counter()
    key = hash_of("prepare", config.stage_hash("prepare"), tile.core, sorted(sha256(p) for p in paths))
    done, warning = check_entry(run_dir, tile, "prepare", key)
    if done is not None:
        return {**done, "reused": True}
    _threads(threads)
    entry = {"stage": "prepare", "tile": tile.id, "key": key, "inputs": paths}
    with _freeing():
        try:
            folder = run_dir / TILES / tile.id / "prepared"
            folder.mkdir(parents=True, exist_ok=True)
            ds, report = prepare(paths, resolution=config.resolution, crs=config.crs, bounds=tile.core, threads=threads)
            outs = {}
            for name in PREPARED:
                mask = name in ("buildings", "vegetation")
                outs[name] = write_bands([ds[name]], folder / f"{name}.tif", overwrite=True, cog=False,
                                         nodata=MASK_NODATA if mask else NODATA, dtype="uint8" if mask else "float32")
            density = core_density(report["points_in_grid"], tile.core, [i["bounds"] for i in report["inputs"]])
            entry.update(status="done", outputs=describe_outputs(outs, run_dir), points=report["points_in_grid"],
                         density=density)
            sparse = low_density(density, config.resolution, size=config.size,
                                 far_cell=config.far_cell if config.far_distance else None)
            if sparse is not None:
                entry["low_density"] = sparse
        except Exception as exc:  # a failed tile is recorded and the run goes on
            if disk_full(exc):
                raise
            entry.update(status="failed", error=_error_line(exc), traceback=traceback.format_exc(limit=5))
    entry.update(seconds=time.perf_counter() - started, peak_rss_mib=_peak_mib(),
                 finished=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    return _with_warning(write_entry(run_dir, tile, "prepare", entry), warning, tile)


def coarse_bounds(core: Bounds, cell: float) -> Bounds:
    """Extent of the coarse cells (``cell`` [m], anchored at the CRS origin) whose centre lies in ``core``."""
    lo = [math.ceil(v / cell - 0.5) * cell for v in core[:2]]
    hi = [math.ceil(v / cell - 0.5) * cell for v in core[2:]]
    return (lo[0], lo[1], hi[0], hi[1])


def coarse_task(run_dir: str, tile: Tile, files: list[tuple[str, str]], config: RunConfig, crs: CRS,
                threads: int | None = None) -> dict:
    """Stage 2 of a tile: the highest surface of each coarse cell of its core (far-field surface).

    ``files``: (path, SHA-256) of the DSM rasters meeting the core's coarse cells.
    """
    run_dir = Path(run_dir)
    started = time.perf_counter()
    key = hash_of("coarse", config.stage_hash("coarse"), tile.core, sorted(d for _p, d in files))
    done, warning = check_entry(run_dir, tile, "coarse", key)
    if done is not None:
        return {**done, "reused": True}
    entry = {"stage": "coarse", "tile": tile.id, "key": key}
    try:
        cell, res = config.far_cell, config.resolution
        bounds = coarse_bounds(tile.core, cell)
        outs = {}
        if files and bounds[0] < bounds[2] and bounds[1] < bounds[3]:
            z = read_window([p for p, _d in files], bounds, res, nodata=NODATA)
            values, _r, _c = block_max(z, int(round(-bounds[3] / res)), int(round(bounds[0] / res)),
                                       int(round(cell / res)))
            transform, _w, _h = window_transform(bounds, cell)
            folder = run_dir / TILES / tile.id
            folder.mkdir(parents=True, exist_ok=True)
            da = to_dataarray(values, crs, transform, name="surface_max", units="m")
            outs["coarse"] = write_bands([da], folder / "coarse.tif", overwrite=True, cog=False)
        entry.update(status="done", outputs=describe_outputs(outs, run_dir))
        if not outs:
            entry["note"] = NO_COARSE
    except Exception as exc:
        if disk_full(exc):
            raise
        entry.update(status="failed", error=_error_line(exc), traceback=traceback.format_exc(limit=5))
    # no _freeing: the task's one xarray object is a 200 x 200 raster
    entry.update(seconds=time.perf_counter() - started, peak_rss_mib=_peak_mib(),
                 finished=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    return _with_warning(write_entry(run_dir, tile, "coarse", entry), warning, tile)


TILE_OUTPUTS_VERSION = "profiles-1"
"""Part of the tile task's key: tiles of an engine that wrote no profiles are recomputed (silently)."""


@dataclasses.dataclass
class Shared:
    """What every tile task needs, computed once per run."""

    crs: CRS
    weather: Weather
    yields: object
    communes: gpd.GeoDataFrame
    site: tuple[float, float, float]
    digest: str  # checksums of weather, communes, footprints


def tile_task(run_dir: str, tile: Tile, layers: dict[str, list[tuple[str, str]]], config: RunConfig,
              shared: Shared, threads: int | None = None, missing: Sequence[str] = ()) -> dict:
    """Stage 3 of a tile: irradiance, roofs and buildings of its core, with its halo as context.

    ``layers``: per raster layer, (path, SHA-256) of the files meeting the window.
    ``missing``: neighbours whose surface is missing (their prepare failed): the
    tile is computed without their part of the halo and its entry says so.
    """
    run_dir = Path(run_dir)
    started = time.perf_counter()
    checks = {name: sorted(digest for _path, digest in files) for name, files in layers.items()}
    key = hash_of("tile", config.stage_hash("tile"), tile.core, tile.window, checks, shared.digest, shared.site,
                  TILE_OUTPUTS_VERSION)
    done, warning = check_entry(run_dir, tile, "tile", key)
    if done is not None:
        return {**done, "reused": True}
    _threads(threads)
    entry = {"stage": "tile", "tile": tile.id, "key": key}
    if missing:
        entry["halo_incomplete"] = sorted(missing)
    with _freeing():
        try:
            paths = {name: [path for path, _digest in files] for name, files in layers.items()}
            entry.update(_compute_tile(run_dir, tile, paths, config, shared), status="done")
        except Exception as exc:
            if disk_full(exc):
                raise
            entry.update(status="failed", error=_error_line(exc), traceback=traceback.format_exc(limit=5))
    entry.update(seconds=time.perf_counter() - started, peak_rss_mib=_peak_mib(),
                 finished=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    return _with_warning(write_entry(run_dir, tile, "tile", entry), warning, tile)


def _wanted_cells(config: RunConfig, tile: Tile, footprints: gpd.GeoDataFrame, crs: CRS, shape: tuple[int, int],
                  transform, core: tuple[slice, slice], extra: dict[str, np.ndarray]) -> np.ndarray:
    """Cells of the window whose irradiance the tile computes (``irradiance.cells``).

    Always the roof cells (as :func:`cadastre.roofs.faces.roof_cells` finds them)
    of the buildings the tile owns, which may stick out of the core, and
    the roof cells of the core (for the tile's raster); with ``"core"`` every
    cell of the core.
    """
    wanted = np.zeros(shape, bool)
    if config.cells == "core":
        wanted[core] = True
    if len(footprints):
        fp, _repaired = prepare_footprints(footprints, crs)
        owned = owned_by_raster(fp, tile.core)
        flat = np.ones(shape, np.float32)
        kw = dict(ndsm=extra.get("ndsm"), vegetation=extra.get("vegetation"), min_height=config.config.roofs.min_height)
        wanted |= roof_cells(rasterize_footprints(fp[owned], transform, shape), flat, **kw) > 0
        if config.cells == "roofs" and not owned.all():
            others = np.zeros(shape, bool)
            others[core] = roof_cells(rasterize_footprints(fp[~owned], transform, shape), flat, **kw)[core] > 0
            wanted |= others
    return wanted


def _compute_tile(run_dir: Path, tile: Tile, layers: dict[str, list[str]], config: RunConfig, shared: Shared) -> dict:
    res = config.resolution
    if not layers.get("dsm"):
        raise NoOverlapError(f"tile {tile.id}: no surface raster (its prepare stage failed or it holds no data)")
    crs = shared.crs
    transform, width, height = window_transform(tile.window, res)
    z = read_window(layers["dsm"], tile.window, res, nodata=NODATA)
    pad = int(round((tile.core[0] - tile.window[0]) / res))
    core = (slice(pad, height - pad), slice(pad, width - pad))
    folder = run_dir / TILES / tile.id
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob(".*.tmp*"):  # left by a killed run (e.g. a GeoPackage's journal)
        stale.unlink(missing_ok=True)
    if np.isnan(z[core]).all():
        return {"outputs": {}, "buildings": 0, "faces": 0, "note": NO_SURFACE}
    valid = np.isfinite(z)
    covered = covered_parts(valid, transform, crs, shared.communes, tile.core)  # the core's part of each commune
    outs = {COVERAGE_LAYER: write_vector(covered.assign(tile=tile.id)[["insee", "tile", "covered_m2", "geometry"]],
                                         folder / COVERAGE, overwrite=True, layer=COVERAGE_LAYER)}
    extra = {}
    for name in ("ndsm", "vegetation", "buildings"):
        if name in layers:
            nodata = MASK_NODATA if name != "ndsm" else NODATA
            extra[name] = read_window(layers[name], tile.window, res, nodata=nodata)
    if config.footprints is not None:
        import shapely

        box = gpd.GeoSeries([shapely.box(*tile.window)], crs=crs)
        fp = gpd.read_file(config.footprints, bbox=box)
    elif "buildings" in extra:
        mask = np.where(np.isnan(extra["buildings"]), 255, extra["buildings"]).astype("uint8")
        fp = footprints_from_mask(mask, transform=transform, crs=crs, min_area=config.config.roofs.min_face_area)
    else:
        raise InputFileError(f"tile {tile.id}: no footprints; set inputs.footprints, or use LiDAR inputs (building mask)")
    dsm = to_dataarray(z, crs, transform, name="dsm", units="m")
    cells = _wanted_cells(config, tile, fp, crs, (height, width), transform, core, extra)
    if not cells.any():
        return {"outputs": describe_outputs(outs, run_dir), "buildings": 0, "faces": 0,
                "note": NO_ROOF}
    far = None
    if config.far_distance and layers.get("coarse"):
        surface = read_coarse(layers["coarse"], far_bounds(tile.window, config.far_distance, config.far_cell),
                              config.far_cell)
        far = FarField(surface, config.far_distance)  # traced only for the observers of wanted cells
    irr = irradiance(dsm, shared.weather, n_directions=config.directions, max_distance=config.reach,
                     albedo=config.config.albedo, sky=config.config.sky, site=shared.site, far_field=far,
                     cells=cells, horizons=True)
    core_ds = irr.isel(y=core[0], x=core[1])
    outs["irradiance"] = write_bands([core_ds[b] for b in config.rasters], folder / "irradiance.tif",
                                     overwrite=True, tags=irr.attrs)
    try:
        result = compute_buildings(irr, fp, shared.weather, communes=shared.communes, ndsm=extra.get("ndsm"),
                                   vegetation=extra.get("vegetation"), config=config.config, core=tile.core,
                                   yields=shared.yields, data=valid, covered=covered,
                                   given_footprints=config.footprints is not None, tables=False)
    except NoOverlapError:
        return {"outputs": describe_outputs(outs, run_dir), "buildings": 0, "faces": 0}
    b, r = result.buildings, result.roofs
    if not len(b):  # the entry's form: no building, no layers (manifest.expected_outputs)
        return {"outputs": describe_outputs(outs, run_dir), "buildings": 0, "faces": 0}
    b["building_id"] = [f"{tile.id}-{n}" for n in b["building_id"]]
    r["building_id"] = [f"{tile.id}-{n}" for n in r["building_id"]]
    b.insert(1, "tile", tile.id)
    r.insert(2, "tile", tile.id)
    outs[BUILDINGS_LAYER] = write_vector(b, folder / BUILDINGS, overwrite=True, layer=BUILDINGS_LAYER)
    outs[ROOFS_LAYER] = write_vector(r, folder / ROOFS, overwrite=True, layer=ROOFS_LAYER)
    profiles = dataclasses.replace(result.profiles, faces=[f"{tile.id}-{n}" for n in result.profiles.faces])
    outs[PROFILES_OUTPUT] = write_profiles(folder / PROFILES, profiles)
    return {"outputs": describe_outputs(outs, run_dir), "buildings": int(len(b)), "faces": int(len(r)),
            "mwh": float(b["mwh"].sum()), "kwp": float(b["kwp"].sum())}
