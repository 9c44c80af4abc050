"""The territory batch: every tile, every building, every commune, resumable, on Dask.

:func:`run` makes the plan (:mod:`cadastre.territory.plan`), runs the tasks of every tile
(:mod:`cadastre.territory.tasks`: *prepare* for LiDAR inputs, *coarse*, *tile*), skipping those
whose manifest entry is still valid (:mod:`cadastre.territory.manifest`), then *merges*:
``irradiance.vrt`` over the tiles' rasters, ``buildings.gpkg`` and ``roofs.gpkg`` appended tile by
tile and ``communes.csv``, ``epci.csv``, ``territory.csv`` (written together through
:func:`cadastre.results.write.write_results`), then ``manifest.json`` and ``run.json``.

``run.json`` says whether the folder holds a finished run: at the start of a run it is replaced
by ``{"complete": false}`` (before any file changes; with ``restart``, the merged outputs are
removed before the tiles), and written whole, with ``"complete": true`` and the row counts and
checksums of the merged tables, as the run's last act. An interrupted run (Ctrl-C) raises
:class:`Interrupted`, which says how many tiles are done; the next run reuses them.

One site (the centre of the run's extent) gives the sun positions of every
tile, so a tiled run equals a single-raster run on the same surface.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from pyproj import Transformer

from cadastre.areas.aggregate import (ASSIGNED_COLUMNS, BUILDING_COLUMNS, BUILDING_MONTHLY_COLUMNS,
                                      OPTIONAL_BUILDING_COLUMNS, aggregate,
                                      aggregate_monthly, assign_communes, default_communes_path, load_communes)
from cadastre.areas.coverage import Coverage, footprint_counts
from cadastre.errors import OutputFileError
from cadastre.results.contract import (BUILDINGS_LAYER, COMMUNES_MONTHLY, COVERAGE_LAYER, EPCI_MONTHLY,
                                       FARFIELD_MOSAIC, IRRADIANCE_MOSAIC, LAYERS, MANIFEST, PROFILES, ROOFS_LAYER,
                                       RUN_CONFIG, RUN_META, TERRITORY_MONTHLY, TILES, WORKBOOK, WRITTEN_TABLES)
from cadastre.results.read import tables_record
from cadastre.results.write import write_results
from cadastre.roofs.buildings import MONTHLY_PROFILES, parameters_record, prepare_footprints
from cadastre.solar.energy import yield_table
from cadastre.solar.weather import Weather, default_weather_path, load_weather
from cadastre.territory.config import RunConfig
from cadastre.territory.folder import check_apart, check_links, hold, remove_temporaries
from cadastre.territory.manifest import PROFILES_OUTPUT, entry_path, hash_of
from cadastre.territory.plan import Plan, make_plan
from cadastre.territory.tasks import (DISK_FULL, PREPARED, Shared, coarse_bounds, coarse_task, disk_full,
                                      prepare_task, tile_task)
from rasters.coarse import far_bounds
from rasters.io import NODATA, atomic_path
from rasters.lidar import sha256
from rasters.tiling import Bounds, Tile, overlaps, read_window, write_vrt

# --------------------------------------------------------------------------- the inputs of each task


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


# --------------------------------------------------------------------------- the run


class Interrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C (a :class:`KeyboardInterrupt`): ``done`` of its ``total`` tiles are computed.

    Their results stay in the run folder and the next run with the same configuration reuses them;
    ``run.json`` says the folder is incomplete.
    """

    def __init__(self, done: int, total: int):
        super().__init__(f"interrupted: {done} of {total} tiles done")
        self.done, self.total = done, total


class CtrlC:
    """Ctrl-C raised as usual, and noted: :meth:`check` raises it again at the run's safe points.

    A KeyboardInterrupt that lands inside a weakref callback or a finaliser (the import system's
    module locks have one) is printed as "Exception ignored" and lost: the run went on to the end.
    """

    def __init__(self):
        self.seen = False

    def __call__(self, signum, frame):
        self.seen = True
        raise KeyboardInterrupt

    def check(self) -> None:
        """Raise KeyboardInterrupt if Ctrl-C was pressed (a second time, when the first was swallowed)."""
        if self.seen:
            raise KeyboardInterrupt


@contextlib.contextmanager
def noting_ctrl_c():
    """A :class:`CtrlC` as the SIGINT handler meanwhile (the main thread, where Python's own handler is set).

    Elsewhere (another thread, Ctrl-C ignored or handled by the host) the signal is left alone and
    the :class:`CtrlC` yielded never sees it.
    """
    note = CtrlC()
    if threading.current_thread() is not threading.main_thread() \
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield note
        return
    previous = signal.signal(signal.SIGINT, note)
    try:
        yield note
    finally:
        signal.signal(signal.SIGINT, previous)


class Executor:
    """Runs tasks in this process (``synchronous``) or on a dask.distributed client.

    ``check`` is called between tasks (it raises to stop the run: :meth:`CtrlC.check`).
    """

    def __init__(self, client=None, check: Callable[[], None] = lambda: None):
        self.client, self.check = client, check

    def map(self, fn, calls: Sequence[tuple], on_done: Callable[[dict], None]) -> list[dict]:
        if self.client is None:
            results = []
            for args in calls:
                self.check()
                results.append(fn(*args))
                on_done(results[-1])
            self.check()
            return results
        from distributed import as_completed

        futures = [self.client.submit(fn, *args, pure=False) for args in calls]
        index = {f.key: k for k, f in enumerate(futures)}
        results: list = [None] * len(futures)
        try:
            for future in as_completed(futures):
                self.check()
                results[index[future.key]] = future.result()
                on_done(results[index[future.key]])
            self.check()
        except BaseException:  # Ctrl-C, or a task that stops the run (a full disk)
            # the tasks not yet run are dropped (a task already running ends on its worker, or with it)
            self.client.cancel(futures, force=True)
            raise
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


def check_apart_from_inputs(config: RunConfig, run_dir: str | os.PathLike) -> None:
    """Refuse a run folder that holds an input of ``config``, or lies in an input folder (one line).

    Raises
    ------
    OutputFileError
        As :func:`cadastre.territory.folder.check_apart`.
    """
    check_apart(run_dir, [*config.lidar, *config.dsm, config.footprints, config.communes, config.weather],
                config.folders)


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


MERGED = (*WRITTEN_TABLES, PROFILES, WORKBOOK, IRRADIANCE_MOSAIC, FARFIELD_MOSAIC, MANIFEST, RUN_CONFIG)
"""What a run writes at the top of its folder besides ``run.json``, from its tiles."""


def _write_meta(run_dir: Path, meta: dict) -> None:
    with atomic_path(run_dir / RUN_META) as tmp:
        tmp.write_text(json.dumps(meta, indent=2, default=str))


def _start(run_dir: Path, restart: bool) -> None:
    """Mark the folder incomplete, then (``restart``) remove the merged outputs, then the tiles.

    In this order, an interruption at any point leaves a folder that says it is incomplete, never
    the merged tables of a previous run beside emptied tiles.
    """
    run_dir.mkdir(exist_ok=True)
    _write_meta(run_dir, {"complete": False,
                          "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")})
    if restart:
        for name in MERGED:
            (run_dir / name).unlink(missing_ok=True)
        if (run_dir / TILES).is_dir():
            shutil.rmtree(run_dir / TILES)


def tiles_done(run_dir: str | os.PathLike, plan: Plan) -> int:
    """How many tiles of ``plan`` have a completed tile task in ``run_dir`` (their manifest entries)."""
    done = 0
    for tile in plan.tiles:
        try:
            entry = json.loads(entry_path(Path(run_dir), tile, "tile").read_text())
        except (OSError, ValueError):
            continue
        done += isinstance(entry, dict) and entry.get("status") == "done"
    return done


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
        Forget the completed tiles of an earlier run (its merged outputs, then its tiles, are removed).
    threads : int, optional
        Numba threads per task.
    progress : callable, optional
        ``progress(stage, done, total)`` after each task.

    Raises
    ------
    Interrupted
        Ctrl-C (a KeyboardInterrupt) during the run: the completed tiles are kept for the next run.
        One that Python swallowed on the way (raised inside a weakref callback) stops the run at the
        next task, or before ``run.json`` says the folder is complete (:class:`CtrlC`).
    """
    started = time.perf_counter()
    run_dir = check_run_dir(run_dir)
    check_apart_from_inputs(config, run_dir)
    plan = make_plan(config) if plan is None else plan
    communes = load_communes(config.communes, crs=plan.crs)
    if client is not None:
        from distributed import as_completed  # noqa: F401  (imported now, not while Ctrl-C is awaited)
    with hold(run_dir) as lock, noting_ctrl_c() as ctrl_c:  # the lock is released on any exit, Ctrl-C included
        try:
            check_links(run_dir)
            remove_temporaries(run_dir)  # a killed run's: the lock is ours
            _start(run_dir, restart)
            return _run(config, run_dir, plan, communes, Executor(client, ctrl_c.check), threads, progress, started,
                        [lock.warning] if lock.warning else [])
        except Interrupted:
            raise
        except KeyboardInterrupt:
            raise Interrupted(tiles_done(run_dir, plan), len(plan.tiles)) from None
        except Exception as exc:
            if not disk_full(exc):
                raise
            raise OutputFileError(f"{run_dir}: disk full ({_where(exc)}); the run stopped, its completed tiles are "
                                  "kept: free some space, then run the same command again to resume") from exc


def _where(exc: BaseException) -> str:
    """The file and the words of a disk-full error, on one line."""
    if isinstance(exc, OSError) and exc.errno in DISK_FULL:
        return f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc.strerror or exc)
    return " ".join(str(exc).split())


def _run(config: RunConfig, run_dir: Path, plan: Plan, communes: gpd.GeoDataFrame, ex: Executor, threads: int | None,
         progress: Callable[[str, int, int], None] | None, started: float, warnings: list[str]) -> dict:
    tell = progress or (lambda stage, done, total: None)
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
    digest = hash_of(_file_digest(config.weather or default_weather_path()),
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
    if not coarse:  # not an earlier run's mosaic
        (run_dir / FARFIELD_MOSAIC).unlink(missing_ok=True)
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
    summary = merge(run_dir, plan, results, communes, config.footprints)
    ex.check()
    summary.update(_run_json(config, plan, entries, site, weather, started, warnings))
    if config.source is not None and Path(config.source).is_file():  # the configuration this run used
        with atomic_path(run_dir / RUN_CONFIG) as tmp:
            tmp.write_bytes(Path(config.source).read_bytes())
    with atomic_path(run_dir / MANIFEST) as tmp:
        tmp.write_text(json.dumps({"entries": entries}, indent=1, default=str))
    summary.update(tables=tables_record(run_dir), complete=True)
    ex.check()
    _write_meta(run_dir, summary)  # the last act: the folder is complete
    return summary


def _covered(parts) -> pd.Series:
    """Covered area [m²] per commune code, summed over the tiles' coverage layers."""
    if not isinstance(parts, list) or not parts:
        return pd.Series(dtype=float)
    frames = [pyogrio.read_dataframe(p, layer=COVERAGE_LAYER, columns=["insee", "covered_m2"], read_geometry=False)
              for p in parts]
    table = pd.concat(frames, ignore_index=True)
    return table.groupby(table["insee"].astype("string"))["covered_m2"].sum()


def _footprints_per_commune(path, crs, communes: gpd.GeoDataFrame) -> pd.Series:
    """Number of footprints of the file per commune code (by the representative point)."""
    fp, _repaired = prepare_footprints(gpd.read_file(path, columns=[]), crs)
    return footprint_counts(assign_communes(fp, communes))


def _run_json(config: RunConfig, plan: Plan, entries: list[dict], site, weather: Weather, started: float,
              warnings: Sequence[str] = ()) -> dict:
    tiles = [e for e in entries if e["stage"] == "tile"]
    failed = [{"tile": e["tile"], "stage": e["stage"], "error": e.get("error")} for e in entries
              if e["status"] != "done"]
    return {
        "run_id": hash_of(config.stage_hash("tile"), [e["key"] for e in tiles])[:12],
        "config": str(config.source) if config.source else None,
        "inputs": plan.kind,
        "crs": plan.crs.to_string(),
        "weather": str(weather.source),
        "communes": str(config.communes or default_communes_path()),
        "footprints": str(config.footprints) if config.footprints else "derived from the LiDAR building mask",
        "sky": config.config.sky,
        "net_reduction": config.config.aggregate.net_reduction,
        "parameters": parameters_record(
            config.config, resolution=config.resolution, directions=config.directions, max_distance=config.reach,
            far_distance=config.far_distance, far_cell=config.far_cell, sky=config.config.sky,
            albedo=config.config.albedo, weather=str(weather.source)),
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
        "tiles_low_density": [{"tile": e["tile"], **e["low_density"]} for e in entries
                              if e["stage"] == "prepare" and e.get("low_density")],
        "warnings": [*warnings, *(e["warning"] for e in entries if e.get("warning"))],
        "monthly": MONTHLY_PROFILES,
    }


def merge(run_dir: Path, plan: Plan, entries: list[dict], communes: gpd.GeoDataFrame,
          footprints: str | os.PathLike | None = None) -> dict:
    """Mosaic, merged vectors and the aggregate tables of the completed tiles (tile by tile).

    The covered area of a commune is the sum of its parts in the tiles' cores (which do not
    overlap); ``footprints`` (the file given, None when derived from the LiDAR) is counted per commune.
    """
    done = sorted((e for e in entries if e["status"] == "done"), key=lambda e: e["tile"])
    rasters = [run_dir / e["outputs"]["irradiance"]["path"] for e in done if "irradiance" in e.get("outputs", {})]
    if rasters:
        write_vrt(rasters, run_dir / IRRADIANCE_MOSAIC)
    else:  # not an earlier run's mosaic
        (run_dir / IRRADIANCE_MOSAIC).unlink(missing_ok=True)
    layers: dict[str, list[Path] | gpd.GeoDataFrame] = {}
    for layer in LAYERS.values():
        parts = [run_dir / e["outputs"][layer]["path"] for e in done if layer in e.get("outputs", {})]
        layers[layer] = parts or gpd.GeoDataFrame({"building_id": pd.Series(dtype=str)}, geometry=[], crs=plan.crs)
    # only what the aggregation sums: a few numbers per building
    columns = list(ASSIGNED_COLUMNS + BUILDING_COLUMNS + BUILDING_MONTHLY_COLUMNS)
    tables = []
    for part in layers[BUILDINGS_LAYER]:
        if isinstance(part, Path):
            fields = pyogrio.read_info(part, layer=BUILDINGS_LAYER)["fields"]
            wanted = columns + [c for c in ("has_data", *OPTIONAL_BUILDING_COLUMNS) if c in fields]
            tables.append(pyogrio.read_dataframe(part, layer=BUILDINGS_LAYER, columns=wanted, read_geometry=False)[wanted])
    b = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=columns)
    for col in ASSIGNED_COLUMNS:
        b[col] = b[col].astype("string")
    coverage = Coverage(covered=_covered(layers[COVERAGE_LAYER]), footprints=_footprints_per_commune(
        footprints, plan.crs, communes) if footprints is not None else None)
    aggregates = {by: aggregate(b, by, communes=communes, coverage=coverage) for by in ("insee", "epci_siren", None)}
    monthly = {name: aggregate_monthly(b, by, communes=communes) for name, by in (
        (COMMUNES_MONTHLY, "insee"), (EPCI_MONTHLY, "epci_siren"), (TERRITORY_MONTHLY, None))}
    profiles = [run_dir / e["outputs"][PROFILES_OUTPUT]["path"] for e in done if PROFILES_OUTPUT in e.get("outputs", {})]
    write_results(run_dir, roofs=layers[ROOFS_LAYER], buildings=layers[BUILDINGS_LAYER], communes=aggregates["insee"],
                  epci=aggregates["epci_siren"], territory=aggregates[None], monthly=monthly,
                  coverage=layers[COVERAGE_LAYER], profiles=profiles or None, overwrite=True)
    totals = {k: (v.item() if hasattr(v, "item") else v) for k, v in aggregates[None].iloc[0].items()
              if k not in ("territory",)}
    return {"totals": totals, "buildings": int(len(b))}
