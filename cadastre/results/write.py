"""Writing a result set (:mod:`cadastre.results.contract`), all or nothing.

The one writer of the roofs and buildings layers, the commune, EPCI and territory tables and
the metadata of a result folder. Every file is first written into a hidden staging folder on the
destination's disk (``.NAME.xxxxxxxx.tmp``: beside a new destination folder, inside an existing
one) and moved into place at the end; an error on the way leaves the destination as it was (the
previous complete set, or nothing) and no staging folder behind.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from cadastre.errors import CadastreError, OutputFileError
from cadastre.results.contract import (BUILDINGS, BUILDINGS_META, COMMUNES, COMMUNES_MONTHLY, COVERAGE,
                                       COVERAGE_PART_COLUMNS, EPCI, EPCI_MONTHLY, HOURLY, LAYERS, MONTHLY_TABLES, PROFILES,
                                       ROOFS, SOURCE_KEYS, TERRITORY, TERRITORY_MONTHLY, WORKBOOK)
from cadastre.results.tables import write_table, write_workbook
from cadastre.roofs.buildings import BuildingsResult
from cadastre.roofs.profiles import FaceProfiles, write_profile_parts, write_profiles
from rasters.footprints import GPKG_OPTIONS, write_vector
from rasters.io import check_output_folder, move_into_place, staging_path

Layer = gpd.GeoDataFrame | Sequence[Path]
"""A layer to write: a frame, or the GeoPackages of its parts (same layer name), appended in order."""
Profiles = FaceProfiles | Sequence[Path]
"""Shading profiles to write: a set, or the profile files of its parts (a run's tiles), concatenated in order."""


def write_results(
    folder: str | os.PathLike,
    *,
    roofs: Layer,
    buildings: Layer,
    communes: pd.DataFrame,
    epci: pd.DataFrame,
    territory: pd.DataFrame,
    monthly: Mapping[str, pd.DataFrame],
    coverage: Layer | None = None,
    profiles: Profiles | None = None,
    meta: dict | None = None,
    hourly: pd.DataFrame | None = None,
    overwrite: bool = False,
) -> Path:
    """Write a result set into ``folder`` (created if missing), all or nothing.

    Parameters
    ----------
    folder : path-like
        The destination; other files in it are left alone.
    roofs, buildings : GeoDataFrame or sequence of paths
        The layers :data:`~cadastre.results.contract.ROOFS` and
        :data:`~cadastre.results.contract.BUILDINGS`: a frame, or the GeoPackages of a run's
        tiles, whose features are appended tile after tile.
    communes, epci, territory : pandas.DataFrame
        The aggregate tables (:func:`cadastre.areas.aggregate.aggregate`), written as CSV and
        together as the workbook :data:`~cadastre.results.contract.WORKBOOK`
        (:mod:`cadastre.results.tables`: rounded, neutralised, French headers).
    monthly : mapping
        The monthly tables (:func:`cadastre.areas.aggregate.aggregate_monthly`) by file name
        (:data:`~cadastre.results.contract.MONTHLY_TABLES`): CSV, and sheets of the workbook after the
        annual ones.
    coverage : GeoDataFrame or sequence of paths, optional
        The layer :data:`~cadastre.results.contract.COVERAGE` (the covered part of each commune);
        None writes it empty.
    profiles : FaceProfiles or sequence of paths, optional
        The faces' shading profiles, written as :data:`~cadastre.results.contract.PROFILES`; None
        writes none (and removes an earlier set's once the new one is in place).
    meta : dict, optional
        Written as :data:`~cadastre.results.contract.BUILDINGS_META` (a run folder writes its
        own ``run.json``).
    hourly : pandas.DataFrame, optional
        Written as :data:`~cadastre.results.contract.HOURLY` (``cadastre buildings --hourly``); None writes
        none (and removes an earlier set's once the new one is in place).
    overwrite : bool
        Replace the files of an earlier set.

    Returns
    -------
    pathlib.Path
        ``folder``.

    Raises
    ------
    OutputFileError
        ``folder`` is a file or its parent is missing, or a file of the set exists and
        ``overwrite`` is false, or a file cannot be written.
    """
    if coverage is None:
        crs = roofs.crs if isinstance(roofs, gpd.GeoDataFrame) else (
            pyogrio.read_info(roofs[0], layer=LAYERS[ROOFS])["crs"] if len(roofs) else None)
        coverage = gpd.GeoDataFrame({c: pd.Series(dtype=t) for c, t in zip(COVERAGE_PART_COLUMNS, ("string", float),
                                                                           strict=True)}, geometry=[], crs=crs)
    if sorted(monthly) != sorted(MONTHLY_TABLES):
        raise ValueError(f"monthly: tables {sorted(monthly)}; give exactly {', '.join(MONTHLY_TABLES)}")
    names = [ROOFS, BUILDINGS, COVERAGE, COMMUNES, EPCI, TERRITORY, *MONTHLY_TABLES, WORKBOOK] + (
        [PROFILES] if profiles is not None else []) + ([BUILDINGS_META] if meta is not None else []) + ([HOURLY] if hourly is not None else [])
    dest = check_output_folder(folder, names, overwrite=overwrite)
    staging = staging_path(dest, "tmp")
    try:
        staging.mkdir()
        for name, layer in ((ROOFS, roofs), (BUILDINGS, buildings), (COVERAGE, coverage)):
            _write_layer(layer, staging / name, LAYERS[name])
        tables = {COMMUNES: communes, EPCI: epci, TERRITORY: territory,
                  **{name: monthly[name] for name in (COMMUNES_MONTHLY, EPCI_MONTHLY, TERRITORY_MONTHLY)}}
        for name, table in tables.items():
            write_table(table, staging / name)
        write_workbook({Path(name).stem: table for name, table in tables.items()}, staging / WORKBOOK)
        if profiles is not None:
            _write_profiles(profiles, staging / PROFILES)
        if meta is not None:
            (staging / BUILDINGS_META).write_text(json.dumps(meta, indent=2, default=str), encoding="utf-8")
        if hourly is not None:
            write_table(hourly, staging / HOURLY)
        stale = [name for name, given in ((PROFILES, profiles), (HOURLY, hourly))
                 if given is None and (dest / name).is_file()]
        move_into_place(staging, dest, names)
        for name in stale:  # an earlier set's profiles or hourly power, which the new tables do not match
            (dest / name).unlink()
    except CadastreError:  # an input or output error that already names its file
        raise
    except OSError as exc:
        raise OutputFileError(f"{dest}: cannot write the results ({exc.strerror or exc}); check the disk and the "
                              "folder") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def write_buildings(
    folder: str | os.PathLike, result: BuildingsResult, *, sources: dict, hourly: pd.DataFrame | None = None,
    overwrite: bool = False,
) -> Path:
    """Write what :func:`cadastre.roofs.buildings.compute_buildings` returned as a buildings folder.

    ``sources`` holds the :data:`~cadastre.results.contract.SOURCE_KEYS` (inputs used, CRS,
    seconds taken); the metadata is the result's report followed by them. ``hourly``: as in
    :func:`write_results`.

    Raises
    ------
    OutputFileError
        As :func:`write_results`.
    """
    if sorted(sources) != sorted(SOURCE_KEYS):
        raise ValueError(f"sources: keys {sorted(sources)}; give exactly {', '.join(SOURCE_KEYS)}")
    meta = {**result.report, **{key: sources[key] for key in SOURCE_KEYS}}
    monthly = {COMMUNES_MONTHLY: result.communes_monthly, EPCI_MONTHLY: result.epci_monthly,
               TERRITORY_MONTHLY: result.territory_monthly}
    return write_results(folder, roofs=result.roofs, buildings=result.buildings, communes=result.communes,
                         epci=result.epci, territory=result.territory, monthly=monthly, coverage=result.coverage,
                         profiles=result.profiles, meta=meta, hourly=hourly, overwrite=overwrite)


def _write_profiles(profiles: Profiles, path: Path) -> None:
    """A set of profiles, or the parts' files concatenated in order, as one profile file."""
    if isinstance(profiles, FaceProfiles):
        write_profiles(path, profiles)
    else:  # part after part: the memory of one tile's profiles, not the territory's
        write_profile_parts(path, list(profiles))


LAYER_BATCH = 50_000
"""Features of a run's parts written by one call (each call opens the GeoPackage and commits: ~20 ms)."""


def _write_layer(layer: Layer, path: Path, name: str) -> None:
    """A frame as one GeoPackage layer, or the features of the parts appended in order.

    Consecutive parts of the same columns and types are written together, up to :data:`LAYER_BATCH`
    features (the memory of a batch, not of the territory); a part of other types is appended alone,
    converted to the layer's fields as before.
    """
    if isinstance(layer, gpd.GeoDataFrame):
        write_vector(layer, path, layer=name)
        return
    batch: list[gpd.GeoDataFrame] = []
    written = False

    def flush():
        nonlocal written
        if batch:
            frame = batch[0] if len(batch) == 1 else pd.concat(batch, ignore_index=True)
            pyogrio.write_dataframe(frame, path, layer=name, append=written, promote_to_multi=True,
                                    dataset_options=None if written else GPKG_OPTIONS)
            written = True
            batch.clear()

    for part in layer:
        frame = gpd.read_file(part, layer=name)
        if batch and (not _same_types(frame, batch[0]) or sum(map(len, batch)) + len(frame) > LAYER_BATCH):
            flush()
        batch.append(frame)
    flush()


def _same_types(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Same columns, in the same order, of the same types."""
    return list(a.columns) == list(b.columns) and all(x == y for x, y in zip(a.dtypes, b.dtypes, strict=True))
