"""A finished cadastre under another weather: its faces' production recomputed from their shading profiles.

:func:`reweather` reads a result folder (:mod:`cadastre.results.read`: a buildings folder or a run
folder, validated), its ``profiles.parquet`` and the parameters its metadata records (site, sky,
albedo, PV system, net reduction), and recomputes each face's production under the new weather with
:func:`cadastre.solar.hourly.face_production` (the hourly shaded PVWatts of its profile; the horizons
are not traced again). Then, as :func:`cadastre.roofs.buildings.compute_buildings`: ``mwh`` and
``mwh_01`` ... ``mwh_12`` per face and building, ``specific_yield`` and ``best_face``; the tables by
commune, EPCI and territory, annual and monthly, with the folder's coverage.

What the irradiance raster decided is kept as the folder has it: the faces, their kWp, suitability,
class, irradiation, shading ratio and fraction of the optimum (computed with the original weather), and
the coverage. With the folder's own weather, the result is the folder's tables (same numbers).
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from cadastre.areas.aggregate import (ASSIGNED_COLUMNS, aggregate, aggregate_monthly, default_communes_path,
                                      load_communes)
from cadastre.areas.coverage import Coverage
from cadastre.config import Config, config_from_dict
from cadastre.errors import InputFileError
from cadastre.results.contract import (BUILDINGS_META, BUILDINGS_META_KEYS, COMMUNES_MONTHLY, COVERAGE,
                                       COVERAGE_LAYER, EPCI_MONTHLY, PARAMETERS, PROFILES, RUN_META, TERRITORY_MONTHLY,
                                       TILE_COLUMN)
from cadastre.results.read import RERUN, meta_path, read_results, resolve
from cadastre.results.write import write_results
from cadastre.roofs.buildings import MONTHLY_COLUMNS, MONTHLY_PROFILES, profile_energy
from cadastre.roofs.profiles import FaceProfiles, read_profiles
from cadastre.solar.hourly import face_production
from cadastre.solar.weather import Weather, load_weather

__all__ = ["Reweathered", "read_source", "reweather", "write_reweathered"]


@dataclasses.dataclass
class Reweathered:
    """A result set recomputed under another weather, ready for :func:`write_reweathered`."""

    roofs: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    communes: pd.DataFrame
    epci: pd.DataFrame
    territory: pd.DataFrame
    monthly: dict[str, pd.DataFrame]
    coverage: gpd.GeoDataFrame
    profiles: FaceProfiles
    meta: dict


@dataclasses.dataclass
class Source:
    """What :func:`reweather` reads of a result folder."""

    folder: Path
    roofs: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    communes_table: pd.DataFrame
    coverage: gpd.GeoDataFrame
    profiles: FaceProfiles
    meta: dict
    config: Config
    site: tuple[float, float, float]


def read_source(folder: str | os.PathLike) -> Source:
    """The result folder, its profiles, parameters and site, checked.

    Raises
    ------
    InputFileError
        One line: a file of the result set missing or invalid (:func:`cadastre.results.read.read_results`),
        no ``profiles.parquet`` (or an invalid one), no metadata, no ``parameters`` or ``site`` in it, a face
        of ``roofs.gpkg`` without a profile.
    """
    folder = Path(folder)
    result = read_results(folder)
    path = folder / PROFILES
    if not path.is_file():
        raise InputFileError(f"{folder}: no {PROFILES} (its irradiance had no horizon codes, or an older engine "
                             "wrote it); compute it again with horizon codes to reweather it")
    meta = result.meta
    where = meta_path(folder)
    if meta is None:
        raise InputFileError(f"{folder}: no {RUN_META} or {BUILDINGS_META}; {RERUN}")
    for key in (PARAMETERS, "site"):
        if not isinstance(meta.get(key), dict):
            raise InputFileError(f"{where}: no '{key}' (written by an older engine); {RERUN}")
    params = meta[PARAMETERS]
    try:
        config = config_from_dict({name: params[name] for name in ("pv", "roofs", "aggregate", "sky", "albedo")},
                                  f"{where} '{PARAMETERS}'")
        site = tuple(float(meta["site"][k]) for k in ("latitude", "longitude", "altitude"))
    except (KeyError, TypeError, ValueError) as exc:
        raise InputFileError(f"{where}: '{PARAMETERS}' or 'site' lacks {exc}; {RERUN}") from None
    roofs, buildings = result.roofs, result.buildings
    if where.name == BUILDINGS_META:  # a buildings folder numbers its buildings
        for frame in (roofs, buildings):
            frame["building_id"] = frame["building_id"].astype(np.int64)
    profiles = read_profiles(path)
    try:
        profiles = profiles.select(_face_ids(roofs))
    except KeyError as exc:
        raise InputFileError(f"{path}: {exc.args[0]}, though roofs.gpkg has it; {RERUN}") from None
    coverage = gpd.read_file(folder / COVERAGE, layer=COVERAGE_LAYER)
    return Source(folder=folder, roofs=roofs, buildings=buildings, communes_table=result.communes,
                  coverage=coverage, profiles=profiles, meta=meta, config=config, site=site)


def _face_ids(roofs: pd.DataFrame) -> list:
    """The ids of the faces' profiles: the face number, or ``<tile>-<face>`` in a run."""
    faces = roofs["face"].astype(np.int64)
    if TILE_COLUMN in roofs:
        return [f"{t}-{f}" for t, f in zip(roofs[TILE_COLUMN].astype(str), faces, strict=True)]
    return faces.tolist()


def reweather(source: Source, weather: Weather, *, started: float | None = None) -> Reweathered:
    """The result set of ``source`` under ``weather`` (module docstring)."""
    started = time.perf_counter() if started is None else started
    config = source.config
    production = face_production(weather, source.site, source.profiles, pv=config.pv, sky=config.sky,
                                 albedo=config.albedo).table
    roofs = gpd.GeoDataFrame(profile_energy(source.roofs, production.reset_index(drop=True)),
                             geometry=source.roofs.geometry.name, crs=source.roofs.crs)
    buildings = _buildings(source.buildings, roofs, 1.0 - config.aggregate.net_reduction)
    communes = load_communes(_communes_path(source), crs=buildings.crs)
    frame = pd.DataFrame(buildings.drop(columns=buildings.geometry.name))
    for column in ASSIGNED_COLUMNS:
        frame[column] = frame[column].astype("string").replace("", pd.NA)
    coverage = Coverage(covered=source.coverage.groupby(source.coverage["insee"].astype("string"))["covered_m2"].sum(),
                        footprints=_footprints(source.communes_table))
    tables = {by: aggregate(frame, by, communes=communes, coverage=None if by is None else coverage)
              for by in ("insee", "epci_siren", None)}
    monthly = {name: aggregate_monthly(frame, by, communes=communes) for name, by in (
        (COMMUNES_MONTHLY, "insee"), (EPCI_MONTHLY, "epci_siren"), (TERRITORY_MONTHLY, None))}
    return Reweathered(roofs=roofs, buildings=buildings, communes=tables["insee"], epci=tables["epci_siren"],
                       territory=tables[None], monthly=monthly, coverage=source.coverage,
                       profiles=source.profiles, meta=_meta(source, roofs, buildings, weather, started))


def _buildings(buildings: gpd.GeoDataFrame, roofs: pd.DataFrame, net: float) -> gpd.GeoDataFrame:
    """The buildings with their faces' new production summed (as ``compute_buildings``)."""
    per = roofs.groupby("building_id")
    sums = pd.DataFrame({column: per[column].sum() for column in ("mwh", *MONTHLY_COLUMNS)})
    joined = sums.reindex(buildings["building_id"].to_numpy())
    out = buildings.copy()
    for column in ("mwh", *MONTHLY_COLUMNS):
        out[column] = joined[column].fillna(0.0).to_numpy()
    kwp = out["kwp"].to_numpy(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["specific_yield"] = np.where(kwp > 0, 1000.0 * out["mwh"] / np.where(kwp > 0, kwp, 1), np.nan)
    out["mwh_net"] = out["mwh"] * net
    suitable = roofs[roofs["suitable"].astype(bool)].sort_values(["building_id", "specific_yield"],
                                                                 ascending=[True, False], kind="stable")
    best = suitable.drop_duplicates("building_id").set_index("building_id")["face"]
    out["best_face"] = best.reindex(out["building_id"].to_numpy()).fillna(0).astype(np.int64).to_numpy()
    return out


def _communes_path(source: Source) -> Path | None:
    """The communes the folder was computed with; None for the shipped ones (read with the shipped table), or
    when the recorded file is gone (the rule of ``docs/run-dir.md``: fall back to the shipped default)."""
    path = resolve(source.folder, source.meta.get("communes"))
    if path is None or not path.is_file() or path.resolve() == default_communes_path().resolve():
        return None
    return path


def _footprints(communes: pd.DataFrame) -> pd.Series | None:
    """Footprints per commune of the folder's ``communes.csv`` (given footprints), None when empty (derived)."""
    if "footprints" not in communes:
        return None
    rows = communes[(communes["insee"] != "") & (communes["footprints"] != "")]
    if rows.empty:
        return None
    return pd.Series(pd.to_numeric(rows["footprints"]).astype(np.int64).to_numpy(),
                     index=pd.Index(rows["insee"].astype("string"), name="insee"))


def _meta(source: Source, roofs: pd.DataFrame, buildings: pd.DataFrame, weather: Weather, started: float) -> dict:
    """``buildings.json`` of the new set: the folder's, with the new weather (and, from a run, its keys)."""
    from rasters.lidar import sha256

    old = source.meta
    params = dict(old[PARAMETERS])
    path = str(weather.source)
    params.update(weather=path, weather_sha256=sha256(path) if path.lower() != "clearsky" and os.path.isfile(path)
                  else None)
    derived = {"buildings": int(len(buildings)), "faces": int(len(roofs)),
               "suitable_faces": int(roofs["suitable"].astype(bool).sum()), "monthly": MONTHLY_PROFILES,
               PARAMETERS: params, "weather": path, "seconds": time.perf_counter() - started}
    if meta_path(source.folder).name == RUN_META:
        derived["irradiance"] = str(source.folder / "irradiance.vrt")
    meta = {key: derived.get(key, old.get(key)) for key in BUILDINGS_META_KEYS}
    meta["reweathered"] = {"from": str(source.folder), "weather": old.get("weather")}
    return meta


def write_reweathered(folder: str | os.PathLike, result: Reweathered, *, overwrite: bool = False) -> Path:
    """Write the set as a buildings folder (:func:`cadastre.results.write.write_results`), all or nothing."""
    return write_results(folder, roofs=result.roofs, buildings=result.buildings, communes=result.communes,
                         epci=result.epci, territory=result.territory, monthly=result.monthly,
                         coverage=result.coverage, profiles=result.profiles, meta=result.meta, overwrite=overwrite)


def load_for(source: Source, weather: str | None, time_label: str | None = None) -> Weather:
    """The new weather, loaded for the folder's site."""
    return load_weather(weather, time_label=time_label, latitude=source.site[0], longitude=source.site[1],
                        altitude=source.site[2])
