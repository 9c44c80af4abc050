"""The territory batch: every tile, every building, every commune, resumable, on Dask.

Stages (DESIGN.md §6):

1. *prepare* (LiDAR inputs only): each core tile's LAS/LAZ points to DSM, DTM,
   nDSM and masks on the core's grid (``tiles/<id>/prepared/``). A tile reads
   the files whose header extent meets its core.
2. *coarse*: each core's highest surface per coarse cell (``irradiance.far_cell``,
   e.g. 5 m; the cells whose centre lies in the core), ``tiles/<id>/coarse.tif``;
   together they are the territory's coarse surface (``farfield.vrt``), on which
   the far-field horizon is traced (:mod:`kernels.farfield`).
3. *tile*: each task reads its core plus a halo from the rasters of its
   neighbours (context only), computes the irradiance with the horizon reaching
   the halo, the roof faces and buildings, and owns exactly the cells of its
   core and the buildings whose footprint's representative point lies in it.
   Outputs: ``tiles/<id>/irradiance.tif`` (the core), ``buildings.gpkg``,
   ``roofs.gpkg``.
4. *merge*: ``irradiance.vrt`` over the tiles' rasters, ``buildings.gpkg`` and
   ``roofs.gpkg`` appended tile by tile, ``communes.csv``, ``epci.csv``,
   ``territory.csv`` and ``run.json``.

Every task is idempotent: it writes its outputs to temporary names, renames
them, then writes its manifest entry ``tiles/<id>/<stage>.json`` (key,
outputs with size and SHA-256, time, peak memory). A task whose entry exists,
whose key (hash of the stage's parameters and of the checksums of its inputs)
is unchanged and whose outputs are intact is not recomputed: a killed run
resumes where it stopped, and a configuration change recomputes exactly the
tiles and stages whose key it changes.

One site (the centre of the run's extent) gives the sun positions of every
tile, so a tiled run equals a single-raster run on the same surface.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import hashlib
import json
import math
import os
import resource
import shutil
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from pyproj import CRS, Transformer

from cadastre.areas.aggregate import (ASSIGNED_COLUMNS, BUILDING_COLUMNS, aggregate, default_communes_path,
                                      load_communes)
from cadastre.results.contract import (BUILDINGS, BUILDINGS_LAYER, FARFIELD_MOSAIC, IRRADIANCE_MOSAIC, LAYERS,
                                       MANIFEST, ROOFS, ROOFS_LAYER, RUN_CONFIG, RUN_META)
from cadastre.results.write import write_results
from cadastre.roofs.buildings import compute_buildings, owned_by_raster, prepare_footprints
from cadastre.solar.energy import yield_table
from cadastre.errors import CadastreError, CRSError, GridError, InputFileError, NoOverlapError, OutputFileError
from cadastre.solar.irradiance import irradiance
from cadastre.roofs.faces import rasterize_footprints, roof_cells
from cadastre.territory.config import RunConfig
from cadastre.solar.weather import Weather, default_weather_path, load_weather
from cadastre.solar.farfield import FarField
from rasters.coarse import block_max, far_bounds, read_coarse
from rasters.footprints import footprints_from_mask, write_vector
from rasters.grid import check_crs
from rasters.io import NODATA, atomic_path, to_dataarray, write_bands
from rasters.lidar import MASK_NODATA, inspect_las, prepare, sha256
from rasters.tiling import (Bounds, Tile, overlaps, plan_tiles, raster_bounds, read_window, window_transform,
                            write_vrt)

PREPARED = ("dsm", "dtm", "ndsm", "buildings", "vegetation")
SECONDS_PER_MCELL = 3.1
"""Cost of the tile stage per million window cells on one core, 64 directions, dense town [s] (benchmarks/RESULTS.md:
24.6 s a tile of 2,800² window cells with walls on their cell edges, 2026-12-04).

Measured on synthetic 1 km tiles a quarter covered by buildings (irradiance on the roofs): an upper
figure; tiles with fewer roofs trace fewer lines. For --dry-run."""
PREPARE_SECONDS_PER_MCELL = 1.8
"""Cost of the LiDAR preparation per million core cells on one core (15 points/m²) [s] (benchmarks/RESULTS.md)."""


@dataclasses.dataclass(frozen=True)
class Source:
    """An input file and its extent."""

    path: Path
    bounds: Bounds


@dataclasses.dataclass(frozen=True)
class Plan:
    """What a run will compute."""

    kind: str  # 'lidar' or 'dsm'
    crs: CRS
    tiles: tuple[Tile, ...]
    sources: tuple[Source, ...]
    config: RunConfig

    def sources_of(self, bounds: Bounds) -> list[Path]:
        """The input files with data in ``bounds`` (overlapping it with positive area)."""
        return [s.path for s in self.sources if overlaps(s.bounds, bounds)]

    def points_of(self, core: Bounds) -> list[Path]:
        """The LAS/LAZ files that may hold points of ``core``.

        A point belongs to the core when it lies in [xmin, xmax) x [ymin, ymax)
        (the convention of :func:`kernels.binning.bin_points`): a file whose extent
        only touches the core's east or north side holds none of them.
        """
        x0, y0, x1, y1 = core
        return [s.path for s in self.sources
                if s.bounds[0] < x1 and s.bounds[2] >= x0 and s.bounds[1] < y1 and s.bounds[3] >= y0]

    def estimate(self) -> dict:
        """Cells, time on one core and disk of the run (rough; see :data:`SECONDS_PER_MCELL`)."""
        r = self.config.resolution
        window_cells = sum((t.window[2] - t.window[0]) * (t.window[3] - t.window[1]) / r**2 for t in self.tiles)
        core_cells = sum((t.core[2] - t.core[0]) * (t.core[3] - t.core[1]) / r**2 for t in self.tiles)
        per_core = SECONDS_PER_MCELL * window_cells / 1e6 * self.config.directions / 64
        if self.kind == "lidar":
            per_core += PREPARE_SECONDS_PER_MCELL * core_cells / 1e6
        raster_bytes = core_cells * 4 * len(self.config.rasters) * 0.6
        prepared = core_cells * (3 * 4 * 0.5 + 2 * 0.1) if self.kind == "lidar" else 0.0
        return {"tiles": len(self.tiles), "core_cells": core_cells, "window_cells": window_cells,
                "cpu_seconds": per_core, "disk_bytes": raster_bytes + prepared + core_cells * 0.5}


def make_plan(config: RunConfig) -> Plan:
    """Read the inputs' extents and lay the tiles over them.

    Raises
    ------
    CRSError
        Inputs in different CRS, or no CRS.
    GridError
        DSM rasters at another cell size than ``tiles.resolution``.
    """
    sources = []
    crs = None
    if config.lidar:
        for path in config.lidar:
            src = inspect_las(path, crs=config.crs)
            if crs is None:
                crs = src.crs
            elif not src.crs.equals(crs, ignore_axis_order=True):
                raise CRSError(f"{path}: CRS {src.crs.to_string()} differs from the other tiles' {crs.to_string()}")
            sources.append(Source(Path(path), src.bounds))
        kind = "lidar"
    else:
        for path in config.dsm:
            bounds, cell, file_crs = raster_bounds(path)
            file_crs = check_crs(file_crs, str(path))
            if crs is None:
                crs = file_crs
            elif not file_crs.equals(crs):
                raise CRSError(f"{path}: CRS {file_crs.to_string()} differs from the other rasters' {crs.to_string()}")
            if abs(cell - config.resolution) > 1e-9:
                raise GridError(f"{path}: cell size {cell:g} m differs from tiles.resolution = {config.resolution:g} m")
            sources.append(Source(Path(path), bounds))
        kind = "dsm"
    tiles = plan_tiles([s.bounds for s in sources], size=config.size, halo=config.halo, resolution=config.resolution)
    return Plan(kind=kind, crs=crs, tiles=tuple(tiles), sources=tuple(sources), config=config)


# --------------------------------------------------------------------------- manifest


def _digest(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _outputs(paths: dict[str, Path], base: Path) -> dict:
    return {name: {"path": str(p.relative_to(base)), "size": p.stat().st_size, "sha256": sha256(p)}
            for name, p in paths.items()}


def _entry_path(run_dir: Path, tile: Tile, stage: str) -> Path:
    return run_dir / "tiles" / tile.id / f"{stage}.json"


def valid_entry(run_dir: Path, tile: Tile, stage: str, key: str) -> dict | None:
    """The manifest entry of a completed task if its key matches and its outputs are intact, else None."""
    path = _entry_path(run_dir, tile, stage)
    try:
        entry = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if entry.get("key") != key or entry.get("status") != "done":
        return None
    for out in entry.get("outputs", {}).values():
        p = run_dir / out["path"]
        if not p.is_file() or p.stat().st_size != out["size"] or sha256(p) != out["sha256"]:
            return None
    return entry


def _write_entry(run_dir: Path, tile: Tile, stage: str, entry: dict) -> dict:
    path = _entry_path(run_dir, tile, stage)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(entry, indent=1, default=str))
    return entry


def _peak_mib() -> float:
    """Peak resident memory of this process so far. [MiB]"""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 1024


def _release() -> None:
    """Free the task's arrays now: xarray objects that used an accessor (``.rio``) sit in reference
    cycles, which only the cyclic collector frees, and it runs too seldom (large arrays do not count
    towards its thresholds): a worker grew by ~300 MiB a tile without this."""
    gc.collect()


def _threads(n: int | None) -> None:
    if n:
        import numba

        numba.set_num_threads(max(1, min(int(n), numba.config.NUMBA_NUM_THREADS)))


def _error_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if isinstance(exc, CadastreError) else f"{type(exc).__name__}: {text}"


# --------------------------------------------------------------------------- tasks


def prepare_task(run_dir: str, tile: Tile, paths: list[str], config: RunConfig, threads: int | None = None) -> dict:
    """Stage 1 of a tile (LiDAR): points of its core to DSM, DTM, nDSM and masks."""
    run_dir = Path(run_dir)
    started = time.perf_counter()
    key = _digest("prepare", config.stage_hash("prepare"), tile.core, sorted(sha256(p) for p in paths))
    done = valid_entry(run_dir, tile, "prepare", key)
    if done is not None:
        return {**done, "reused": True}
    _threads(threads)
    entry = {"stage": "prepare", "tile": tile.id, "key": key, "inputs": paths}
    try:
        folder = run_dir / "tiles" / tile.id / "prepared"
        folder.mkdir(parents=True, exist_ok=True)
        ds, report = prepare(paths, resolution=config.resolution, crs=config.crs, bounds=tile.core, threads=threads)
        outs = {}
        for name in PREPARED:
            mask = name in ("buildings", "vegetation")
            outs[name] = write_bands([ds[name]], folder / f"{name}.tif", overwrite=True, cog=False,
                                     nodata=MASK_NODATA if mask else NODATA, dtype="uint8" if mask else "float32")
        entry.update(status="done", outputs=_outputs(outs, run_dir), points=report.get("points"))
    except Exception as exc:  # a failed tile is recorded and the run goes on
        entry.update(status="failed", error=_error_line(exc), traceback=traceback.format_exc(limit=5))
    _release()
    entry.update(seconds=time.perf_counter() - started, peak_rss_mib=_peak_mib(),
                 finished=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    return _write_entry(run_dir, tile, "prepare", entry)


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
    key = _digest("coarse", config.stage_hash("coarse"), tile.core, sorted(d for _p, d in files))
    done = valid_entry(run_dir, tile, "coarse", key)
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
            folder = run_dir / "tiles" / tile.id
            folder.mkdir(parents=True, exist_ok=True)
            da = to_dataarray(values, crs, transform, name="surface_max", units="m")
            outs["coarse"] = write_bands([da], folder / "coarse.tif", overwrite=True, cog=False)
        entry.update(status="done", outputs=_outputs(outs, run_dir))
    except Exception as exc:
        entry.update(status="failed", error=_error_line(exc), traceback=traceback.format_exc(limit=5))
    # no _release: the task's one xarray object is a 200 x 200 raster (a collection costs ~0.1 s)
    entry.update(seconds=time.perf_counter() - started, peak_rss_mib=_peak_mib(),
                 finished=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    return _write_entry(run_dir, tile, "coarse", entry)


@dataclasses.dataclass
class Shared:
    """What every tile task needs, computed once per run."""

    crs: CRS
    weather: Weather
    yields: object
    communes: gpd.GeoDataFrame
    site: tuple[float, float, float]
    digest: str  # checksums of weather, communes, footprints


def _layers(plan: Plan, prepared: dict[str, dict[str, tuple[str, str]]], tile: Tile) -> dict[str, list[tuple[str, str]]]:
    """(path, SHA-256) of the files of each raster layer meeting the tile's window.

    ``prepared``: per tile id, per layer name, (path, SHA-256) of the rasters of
    the prepare stage (LiDAR inputs), or of the input DSMs and the rasters
    beside a ``dsm.tif`` of 'cadastre prepare' (DSM inputs, keyed by file path).
    """
    if plan.kind == "lidar":
        near = [k.id for k in plan.tiles if overlaps(k.core, tile.window) and k.id in prepared]
        return {name: [prepared[k][name] for k in near] for name in PREPARED}
    files = [prepared[str(p)] for p in plan.sources_of(tile.window)]
    layers = {name: [f[name] for f in files] for name in PREPARED if all(name in f for f in files)}
    return layers if files else {"dsm": []}


def _dsm_files(plan: Plan, prepared: dict[str, dict[str, tuple[str, str]]], bounds: Bounds) -> list[tuple[str, str]]:
    """(path, SHA-256) of the surface rasters meeting ``bounds``."""
    if plan.kind == "lidar":
        return [prepared[k.id]["dsm"] for k in plan.tiles if k.id in prepared and overlaps(k.core, bounds)]
    return [prepared[str(p)]["dsm"] for p in plan.sources_of(bounds)]


def _dsm_layers(plan: Plan) -> dict[str, dict[str, tuple[str, str]]]:
    """(path, SHA-256) of every input DSM and of the rasters beside a ``dsm.tif``, each file hashed once."""
    out = {}
    for source in plan.sources:
        found = {"dsm": (str(source.path), sha256(source.path))}
        if source.path.name == "dsm.tif":
            for name in ("ndsm", "vegetation", "buildings"):
                sibling = source.path.with_name(f"{name}.tif")
                if sibling.is_file():
                    found[name] = (str(sibling), sha256(sibling))
        out[str(source.path)] = found
    return out


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
    key = _digest("tile", config.stage_hash("tile"), tile.core, tile.window, checks, shared.digest, shared.site)
    done = valid_entry(run_dir, tile, "tile", key)
    if done is not None:
        return {**done, "reused": True}
    _threads(threads)
    entry = {"stage": "tile", "tile": tile.id, "key": key}
    if missing:
        entry["halo_incomplete"] = sorted(missing)
    try:
        paths = {name: [path for path, _digest in files] for name, files in layers.items()}
        entry.update(_compute_tile(run_dir, tile, paths, config, shared), status="done")
    except Exception as exc:
        entry.update(status="failed", error=_error_line(exc), traceback=traceback.format_exc(limit=5))
    _release()
    entry.update(seconds=time.perf_counter() - started, peak_rss_mib=_peak_mib(),
                 finished=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    return _write_entry(run_dir, tile, "tile", entry)


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
    folder = run_dir / "tiles" / tile.id
    folder.mkdir(parents=True, exist_ok=True)
    if np.isnan(z[core]).all():
        return {"outputs": {}, "buildings": 0, "faces": 0, "note": "no surface data in the core"}
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
        return {"outputs": {}, "buildings": 0, "faces": 0, "note": "no roof cell in the core"}
    far = None
    if config.far_distance and layers.get("coarse"):
        surface = read_coarse(layers["coarse"], far_bounds(tile.window, config.far_distance, config.far_cell),
                              config.far_cell)
        far = FarField(surface, config.far_distance)  # traced only for the observers of wanted cells
    irr = irradiance(dsm, shared.weather, n_directions=config.directions, max_distance=config.reach,
                     albedo=config.config.albedo, sky=config.config.sky, site=shared.site, far_field=far,
                     cells=cells)
    outs = {}
    core_ds = irr.isel(y=core[0], x=core[1])
    outs["irradiance"] = write_bands([core_ds[b] for b in config.rasters], folder / "irradiance.tif",
                                     overwrite=True, tags=irr.attrs)
    try:
        result = compute_buildings(irr, fp, shared.weather, communes=shared.communes, ndsm=extra.get("ndsm"),
                                   vegetation=extra.get("vegetation"), config=config.config, core=tile.core,
                                   yields=shared.yields)
    except NoOverlapError:
        return {"outputs": _outputs(outs, run_dir), "buildings": 0, "faces": 0}
    b, r = result.buildings, result.roofs
    b["building_id"] = [f"{tile.id}-{n}" for n in b["building_id"]]
    r["building_id"] = [f"{tile.id}-{n}" for n in r["building_id"]]
    b.insert(1, "tile", tile.id)
    r.insert(2, "tile", tile.id)
    outs[BUILDINGS_LAYER] = write_vector(b, folder / BUILDINGS, overwrite=True, layer=BUILDINGS_LAYER)
    outs[ROOFS_LAYER] = write_vector(r, folder / ROOFS, overwrite=True, layer=ROOFS_LAYER)
    return {"outputs": _outputs(outs, run_dir), "buildings": int(len(b)), "faces": int(len(r)),
            "mwh": float(b["mwh"].sum()), "kwp": float(b["kwp"].sum())}


# --------------------------------------------------------------------------- the run


class Executor:
    """Runs tasks in this process (``synchronous``) or on a dask.distributed client."""

    def __init__(self, client=None):
        self.client = client

    def map(self, fn, calls: Sequence[tuple], on_done: Callable[[dict], None]) -> list[dict]:
        if self.client is None:
            results = []
            for args in calls:
                results.append(fn(*args))
                on_done(results[-1])
            return results
        from distributed import as_completed

        futures = [self.client.submit(fn, *args, pure=False) for args in calls]
        index = {f.key: k for k, f in enumerate(futures)}
        results: list = [None] * len(futures)
        for future in as_completed(futures):
            results[index[future.key]] = future.result()
            on_done(results[index[future.key]])
        return results

    def scatter(self, value):
        return value if self.client is None else self.client.scatter(value, broadcast=True)


def _site(plan: Plan, dsms: dict[str, list[str]]) -> tuple[float, float, float]:
    """Latitude, longitude [degrees] of the centre of the run's extent; altitude [m]: median DSM near it."""
    xs = [v for t in plan.tiles for v in (t.core[0], t.core[2])]
    ys = [v for t in plan.tiles for v in (t.core[1], t.core[3])]
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    lon, lat = Transformer.from_crs(plan.crs, "EPSG:4326", always_xy=True).transform(cx, cy)
    centre = min(plan.tiles, key=lambda t: ((t.core[0] + t.core[2]) / 2 - cx) ** 2 + ((t.core[1] + t.core[3]) / 2 - cy) ** 2)
    files = plan.sources_of(centre.core) if plan.kind == "dsm" else dsms.get(centre.id, [])
    alt = 0.0
    if files:
        z = read_window(files, centre.core, plan.config.resolution, nodata=NODATA)
        if np.isfinite(z).any():
            alt = float(np.nanmedian(z))
    return float(lat), float(lon), alt


def _file_digest(path) -> str:
    return sha256(path) if path is not None and str(path).lower() != "clearsky" else str(path)


def check_run_dir(run_dir: str | os.PathLike) -> Path:
    """The run folder as a Path, if it can be created or reused.

    Raises
    ------
    OutputFileError
        It exists and is not a folder, or its parent folder does not exist.
    """
    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise OutputFileError(f"{run_dir}: exists and is not a folder")
    if not run_dir.parent.is_dir():
        raise OutputFileError(f"{run_dir}: parent folder {run_dir.parent} does not exist; create it first")
    return run_dir


def run(
    config: RunConfig,
    run_dir: str | os.PathLike,
    *,
    plan: Plan | None = None,
    client=None,
    restart: bool = False,
    threads: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict:
    """Compute the cadastre of every tile of ``config`` into ``run_dir``; return the content of run.json.

    Parameters
    ----------
    config : RunConfig
        Inputs and parameters (:func:`cadastre.territory.config.load_run_config`).
    run_dir : path-like
        Output folder (created); completed tiles of an earlier run are reused.
    plan : Plan, optional
        :func:`make_plan` of ``config``, when the caller has it already.
    client : distributed.Client, optional
        Where the tasks run; ``None`` runs them one after the other in this process.
    restart : bool
        Forget the completed tiles of an earlier run (their files are removed).
    threads : int, optional
        Numba threads per task.
    progress : callable, optional
        ``progress(stage, done, total)`` after each task.
    """
    started = time.perf_counter()
    run_dir = check_run_dir(run_dir)
    plan = make_plan(config) if plan is None else plan
    communes = load_communes(config.communes, crs=plan.crs)
    if restart and (run_dir / "tiles").is_dir():
        shutil.rmtree(run_dir / "tiles")
    run_dir.mkdir(exist_ok=True)
    tell = progress or (lambda stage, done, total: None)
    ex = Executor(client)
    counter = {"n": 0}

    def step(stage, total):
        counter["n"] = 0

        def done(_entry):
            counter["n"] += 1
            tell(stage, counter["n"], total)
        return done

    entries: list[dict] = []
    if plan.kind == "lidar":
        calls = [(str(run_dir), t, [str(p) for p in plan.points_of(t.core)], config, threads)
                 for t in plan.tiles]
        results = ex.map(prepare_task, calls, step("prepare", len(calls)))
        entries += results
        prepared = {e["tile"]: {name: (str(run_dir / out["path"]), out["sha256"]) for name, out in e["outputs"].items()}
                    for e in results if e["status"] == "done"}
        site = _site(plan, {k: [v["dsm"][0]] for k, v in prepared.items()})
    else:
        prepared = _dsm_layers(plan)
        site = _site(plan, {})
    weather = load_weather(config.weather, latitude=site[0], longitude=site[1], altitude=site[2])
    cfg = config.config
    yields = yield_table(weather, *site, pv=cfg.pv, sky=cfg.sky, albedo=cfg.albedo)
    digest = _digest(_file_digest(config.weather or default_weather_path()),
                     _file_digest(config.communes or default_communes_path()), _file_digest(config.footprints))
    shared = ex.scatter(Shared(crs=plan.crs, weather=weather, yields=yields, communes=communes, site=site,
                               digest=digest))
    coarse: dict[str, tuple[str, str]] = {}
    if config.far_distance:
        calls = [(str(run_dir), t, _dsm_files(plan, prepared, coarse_bounds(t.core, config.far_cell)), config,
                  plan.crs, threads) for t in plan.tiles]
        results = ex.map(coarse_task, calls, step("coarse", len(calls)))
        entries += results
        coarse = {e["tile"]: (str(run_dir / e["outputs"]["coarse"]["path"]), e["outputs"]["coarse"]["sha256"])
                  for e in results if e["status"] == "done" and "coarse" in e.get("outputs", {})}
        if coarse:
            write_vrt([p for p, _d in coarse.values()], run_dir / FARFIELD_MOSAIC)
    calls, skipped = [], []
    for t in plan.tiles:
        if plan.kind == "lidar" and t.id not in prepared:
            # no surface for its core: nothing to compute (its prepare entry holds the error)
            skipped.append({"stage": "tile", "tile": t.id, "key": "", "status": "failed",
                            "error": "not computed: the prepare stage of this tile failed"})
            continue
        layers = _layers(plan, prepared, t)
        if coarse:
            reach = far_bounds(t.window, config.far_distance, config.far_cell)
            layers["coarse"] = [coarse[k.id] for k in plan.tiles if k.id in coarse and overlaps(k.core, reach)]
        missing = [k.id for k in plan.tiles if plan.kind == "lidar" and k.id not in prepared and k.id != t.id
                   and overlaps(k.core, t.window)]
        calls.append((str(run_dir), t, layers, config, shared, threads, missing))
    results = ex.map(tile_task, calls, step("tiles", len(calls))) + skipped
    entries += results
    summary = merge(run_dir, plan, results, communes)
    summary.update(_run_json(config, plan, entries, site, weather, started))
    if config.source is not None and Path(config.source).is_file():  # the configuration this run used
        with atomic_path(run_dir / RUN_CONFIG) as tmp:
            tmp.write_bytes(Path(config.source).read_bytes())
    with atomic_path(run_dir / MANIFEST) as tmp:
        tmp.write_text(json.dumps({"entries": entries}, indent=1, default=str))
    with atomic_path(run_dir / RUN_META) as tmp:
        tmp.write_text(json.dumps(summary, indent=2, default=str))
    return summary


def _run_json(config: RunConfig, plan: Plan, entries: list[dict], site, weather: Weather, started: float) -> dict:
    tiles = [e for e in entries if e["stage"] == "tile"]
    failed = [{"tile": e["tile"], "stage": e["stage"], "error": e.get("error")} for e in entries
              if e["status"] != "done"]
    return {
        "run_id": _digest(config.stage_hash("tile"), [e["key"] for e in tiles])[:12],
        "config": str(config.source) if config.source else None,
        "inputs": plan.kind,
        "crs": plan.crs.to_string(),
        "weather": str(weather.source),
        "communes": str(config.communes or default_communes_path()),
        "footprints": str(config.footprints) if config.footprints else "derived from the LiDAR building mask",
        "sky": config.config.sky,
        "net_reduction": config.config.aggregate.net_reduction,
        "site": dict(zip(("latitude", "longitude", "altitude"), site, strict=True)),
        "tile_size": config.size, "halo": config.halo, "max_distance": config.reach, "resolution": config.resolution,
        "directions": config.directions,
        "tiles": len(plan.tiles),
        "tiles_done": sum(e["status"] == "done" for e in tiles),
        "tiles_reused": sum(bool(e.get("reused")) for e in tiles),
        "tasks_reused": sum(bool(e.get("reused")) for e in entries),
        "tiles_failed": failed,
        "tiles_halo_incomplete": [{"tile": e["tile"], "missing": e["halo_incomplete"]} for e in tiles
                                  if e.get("halo_incomplete")],
        "peak_rss_mib": max((e.get("peak_rss_mib", 0.0) for e in entries), default=0.0),
        "task_seconds": sum(e.get("seconds", 0.0) for e in entries if not e.get("reused")),
        "seconds": time.perf_counter() - started,
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def merge(run_dir: Path, plan: Plan, entries: list[dict], communes: gpd.GeoDataFrame) -> dict:
    """Mosaic, merged vectors and the aggregate tables of the completed tiles (tile by tile)."""
    done = sorted((e for e in entries if e["status"] == "done"), key=lambda e: e["tile"])
    rasters = [run_dir / e["outputs"]["irradiance"]["path"] for e in done if "irradiance" in e.get("outputs", {})]
    if rasters:
        write_vrt(rasters, run_dir / IRRADIANCE_MOSAIC)
    layers: dict[str, list[Path] | gpd.GeoDataFrame] = {}
    for layer in LAYERS.values():
        parts = [run_dir / e["outputs"][layer]["path"] for e in done if layer in e.get("outputs", {})]
        layers[layer] = parts or gpd.GeoDataFrame({"building_id": pd.Series(dtype=str)}, geometry=[], crs=plan.crs)
    columns = list(ASSIGNED_COLUMNS + BUILDING_COLUMNS)  # only what the aggregation sums: a few numbers per building
    tables = [pyogrio.read_dataframe(part, layer=BUILDINGS_LAYER, columns=columns, read_geometry=False)[columns]
              for part in layers[BUILDINGS_LAYER] if isinstance(part, Path)]
    b = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=columns)
    for col in ASSIGNED_COLUMNS:
        b[col] = b[col].astype("string")
    aggregates = {by: aggregate(b, by, communes=communes) for by in ("insee", "epci_siren", None)}
    write_results(run_dir, roofs=layers[ROOFS_LAYER], buildings=layers[BUILDINGS_LAYER], communes=aggregates["insee"],
                  epci=aggregates["epci_siren"], territory=aggregates[None], overwrite=True)
    totals = {k: (v.item() if hasattr(v, "item") else v) for k, v in aggregates[None].iloc[0].items()
              if k not in ("territory",)}
    return {"totals": totals, "buildings": int(len(b))}
