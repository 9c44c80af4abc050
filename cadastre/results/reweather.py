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

The solar water heating (``thermal_*`` columns of both layers, when the folder has them) is simulated again
under the new weather by :func:`cadastre.roofs.buildings.building_thermal`, the rule of ``cadastre buildings``,
with the thermal parameters the metadata records: the system of each building sized on its recorded
``dwellings``, on its (new) best face, from that face's shading profile.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from cadastre.areas.aggregate import (ASSIGNED_COLUMNS, BUILDING_COLUMNS, OPTIONAL_BUILDING_COLUMNS, aggregate, aggregate_monthly,
                                      default_communes_path, load_communes)
from cadastre.areas.coverage import Coverage
from cadastre.config import Config, config_from_dict
from cadastre.errors import CadastreError, InputFileError, OptionError, OutputFileError
from cadastre.results.contract import (BUILDINGS, BUILDINGS_META, BUILDINGS_META_KEYS, COMMUNES, COMMUNES_MONTHLY,
                                       COVERAGE, COVERAGE_LAYER, EPCI, EPCI_MONTHLY, HOURLY_COLUMNS, LAYERS, PARAMETERS,
                                       PROFILES, ROOFS, RUN_META, TERRITORY, TERRITORY_MONTHLY, TILE_COLUMN)
from cadastre.results.read import RERUN, check_folder, meta_path, read_layer, read_meta, read_table, resolve
from cadastre.results.write import write_results
from cadastre.roofs.buildings import (BUILDING_HEAT_COLUMNS, BUILDING_THERMAL_COLUMNS, MONTHLY_COLUMNS, MONTHLY_PROFILES,
                                      ROOF_THERMAL_COLUMNS, building_production, building_thermal, profile_energy,
                                      roof_thermal)
from cadastre.roofs.profiles import FaceProfiles, read_profiles, write_profiles
from cadastre.solar.hourly import face_production
from cadastre.solar.weather import Weather, load_weather
from rasters.footprints import write_vector
from rasters.io import staging_path

__all__ = ["Part", "Reweathered", "Source", "parts_folder", "read_source", "reweather", "write_reweathered"]


@dataclasses.dataclass
class Reweathered:
    """A result set recomputed under another weather, ready for :func:`write_reweathered`.

    ``roofs``, ``buildings`` and ``profiles`` are the part files written tile by tile (in the source's order);
    ``frame`` the buildings' columns that the tables sum (a few numbers per building).
    """

    roofs: list[Path] | gpd.GeoDataFrame
    buildings: list[Path] | gpd.GeoDataFrame
    profiles: list[Path]
    frame: pd.DataFrame
    communes: pd.DataFrame
    epci: pd.DataFrame
    territory: pd.DataFrame
    monthly: dict[str, pd.DataFrame]
    coverage: gpd.GeoDataFrame
    meta: dict
    hourly: pd.DataFrame | None = None


PART_FACES = 2048
"""Most faces of a part (consecutive tiles of a run computed together) unless one tile has more: a part's
profiles take about 60 MB with 64 directions, and the sun's positions and every file are computed or
written once per part, not per tile."""


@dataclasses.dataclass(frozen=True)
class Part:
    """Consecutive tiles of a run folder (the whole folder for a buildings folder): their features in the two
    layers, as ``where`` filters of :func:`cadastre.results.read.read_layer` (None: every feature)."""

    tiles: tuple[str, ...]
    roofs: str | None
    buildings: str | None


@dataclasses.dataclass
class Source:
    """What :func:`reweather` reads of a result folder: the small files at once, the layers part by part."""

    folder: Path
    communes_table: pd.DataFrame
    coverage: gpd.GeoDataFrame
    meta: dict
    config: Config
    site: tuple[float, float, float]
    parts: list[Part]
    numbered: bool  # a buildings folder: integer building ids
    thermal: bool = False  # the layers hold the solar water heating columns (recomputed under the new weather)

    @property
    def profiles_path(self) -> Path:
        return self.folder / PROFILES

    def roofs(self, part: Part) -> gpd.GeoDataFrame:
        """The roof faces of ``part``, checked (:func:`cadastre.results.read.read_layer`)."""
        return self._layer(ROOFS, part.roofs)

    def buildings(self, part: Part) -> gpd.GeoDataFrame:
        """The buildings of ``part``, checked."""
        return self._layer(BUILDINGS, part.buildings)

    def _layer(self, name: str, where: str | None) -> gpd.GeoDataFrame:
        frame = read_layer(self.folder / name, **({} if where is None else {"where": where}))
        if self.numbered:
            frame["building_id"] = frame["building_id"].astype(np.int64)
        return frame

    def profiles(self, roofs: pd.DataFrame) -> FaceProfiles:
        """The profiles of the faces ``roofs``, in their order, read from the row groups that hold them.

        Raises
        ------
        InputFileError
            A face without a profile.
        """
        ids = _face_ids(roofs)
        try:
            return read_profiles(self.profiles_path, faces=ids).select(ids)
        except KeyError as exc:
            raise InputFileError(f"{self.profiles_path}: {exc.args[0]}, though roofs.gpkg has it; {RERUN}") from None


def read_source(folder: str | os.PathLike) -> Source:
    """The result folder's metadata, tables, coverage, parameters and site, checked; the layers' parts.

    The layers themselves are read part by part (:meth:`Source.roofs`, :meth:`Source.buildings`): a run
    folder tile by tile, a buildings folder at once.

    Raises
    ------
    InputFileError
        One line: a file of the result set missing or invalid (as :func:`cadastre.results.read.read_results`),
        no ``profiles.parquet``, no metadata, no ``parameters`` or ``site`` in it.
    """
    folder = check_folder(Path(folder))
    for name in (COMMUNES, EPCI, TERRITORY):
        table = read_table(folder / name)
        if name == COMMUNES:
            communes_table = table
    path = folder / PROFILES
    if not path.is_file():
        raise InputFileError(f"{folder}: no {PROFILES} (its irradiance had no horizon codes, or an older engine "
                             "wrote it); compute it again with horizon codes to reweather it")
    meta = read_meta(folder)
    where = meta_path(folder)
    if meta is None:
        raise InputFileError(f"{folder}: no {RUN_META} or {BUILDINGS_META}; {RERUN}")
    for key in (PARAMETERS, "site"):
        if not isinstance(meta.get(key), dict):
            raise InputFileError(f"{where}: no '{key}' (written by an older engine); {RERUN}")
    params = meta[PARAMETERS]
    thermal = _has_thermal(folder)
    if thermal and not isinstance(params.get("thermal"), dict):
        raise InputFileError(f"{where}: '{PARAMETERS}' has no 'thermal' section, though {BUILDINGS} has the solar "
                             f"water heating columns; {RERUN}")
    sections = ("pv", "roofs", "aggregate", "sky", "albedo", *(("thermal",) if thermal else ()))
    try:
        config = config_from_dict({name: params[name] for name in sections}, f"{where} '{PARAMETERS}'")
        site = tuple(float(meta["site"][k]) for k in ("latitude", "longitude", "altitude"))
    except (KeyError, TypeError, ValueError) as exc:
        raise InputFileError(f"{where}: '{PARAMETERS}' or 'site' lacks {exc}; {RERUN}") from None
    coverage = gpd.read_file(folder / COVERAGE, layer=COVERAGE_LAYER)
    return Source(folder=folder, communes_table=communes_table, coverage=coverage, meta=meta, config=config,
                  site=site, parts=_parts(folder), numbered=where.name == BUILDINGS_META, thermal=thermal)


def _has_thermal(folder: Path) -> bool:
    """Both layers hold the solar water heating columns (a folder of an older engine has none; the economics
    columns, younger, are not required: they are computed again with the rest)."""
    for name, columns in ((BUILDINGS, BUILDING_HEAT_COLUMNS), (ROOFS, ROOF_THERMAL_COLUMNS)):
        try:
            fields = set(pyogrio.read_info(folder / name, layer=LAYERS[name])["fields"])
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError):
            return False  # read_layer says why, part by part
        if not set(columns) <= fields:
            return False
    return True


def _parts(folder: Path, budget: int | None = None) -> list[Part]:
    """The folder's tiles in their order, grouped into parts of consecutive tiles of at most ``budget`` faces
    (default :data:`PART_FACES`; a tile with more is a part of its own), each part as its features' ``where``
    filters; one part for a folder without a ``tile`` column (a buildings folder)."""
    budget = PART_FACES if budget is None else budget
    spans = {name: _tile_spans(folder / name) for name in (ROOFS, BUILDINGS)}
    if spans[BUILDINGS] is None or spans[ROOFS] is None:
        return [Part(tiles=(), roofs=None, buildings=None)]
    groups, faces = [], 0
    for tile in spans[BUILDINGS]:
        n = spans[ROOFS][tile][2] if tile in spans[ROOFS] else 0
        if not groups or faces + n > budget:
            groups.append([])
            faces = 0
        groups[-1].append(tile)
        faces += n
    return [Part(tiles=tuple(group), roofs=_where(spans[ROOFS], group, folder / ROOFS),
                 buildings=_where(spans[BUILDINGS], group, folder / BUILDINGS)) for group in groups]


def _tile_spans(path: Path) -> dict[str, tuple[int, int, int]] | None:
    """Per tile of the layer ``path`` (in the order of its first feature): the lowest and highest feature id
    of its features and their number. None when the layer has no tile column (or cannot be read:
    :func:`read_layer` says why)."""
    layer = LAYERS[path.name]
    try:
        info = pyogrio.read_info(path, layer=layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError):
        return None
    if TILE_COLUMN not in list(info["fields"]):
        return None
    fid = _fid(path)
    try:
        spans = pyogrio.read_dataframe(path, sql=f'SELECT "{TILE_COLUMN}" AS tile, MIN("{fid}") AS lo, '
                                       f'MAX("{fid}") AS hi, COUNT(*) AS n FROM "{layer}" GROUP BY "{TILE_COLUMN}" '
                                       'ORDER BY lo', read_geometry=False)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, pyogrio.errors.FieldError, OSError):
        return None
    return {str(t): (int(lo), int(hi), int(n)) for t, lo, hi, n in spans[["tile", "lo", "hi", "n"]].itertuples(
        index=False)}


def _fid(path: Path) -> str:
    return pyogrio.read_info(path, layer=LAYERS[path.name]).get("fid_column") or "fid"


def _where(spans: dict[str, tuple[int, int, int]], tiles: list[str], path: Path) -> str:
    """The ``where`` filter of the features of ``tiles`` in a layer: ranges of feature ids (a run appends its
    tiles one after the other, so consecutive tiles make one range), or the tiles' names when a tile's features
    are not contiguous."""
    held = [spans[t] for t in tiles if t in spans]
    if not held:
        return "0 = 1"
    if any(hi - lo + 1 != n for lo, hi, n in held):
        names = ", ".join("'" + t.replace("'", "''") + "'" for t in tiles)
        return f'"{TILE_COLUMN}" IN ({names})'
    ranges = []
    for lo, hi, _n in held:
        if ranges and lo == ranges[-1][1] + 1:
            ranges[-1][1] = hi
        else:
            ranges.append([lo, hi])
    fid = _fid(path)
    return " OR ".join(f'"{fid}" BETWEEN {lo} AND {hi}' for lo, hi in ranges)


def _face_ids(roofs: pd.DataFrame) -> list:
    """The ids of the faces' profiles: the face number, or ``<tile>-<face>`` in a run."""
    faces = roofs["face"].astype(np.int64)
    if TILE_COLUMN in roofs:
        return [f"{t}-{f}" for t, f in zip(roofs[TILE_COLUMN].astype(str), faces, strict=True)]
    return faces.tolist()


AGGREGATED = (*ASSIGNED_COLUMNS, *BUILDING_COLUMNS, *MONTHLY_COLUMNS, *OPTIONAL_BUILDING_COLUMNS, "has_data")
"""The buildings' columns the tables sum, kept in memory for the whole folder (a few numbers per building), the
solar water heating ones as recomputed under the new weather (:func:`_thermal`)."""


def reweather(source: Source, weather: Weather, work: str | os.PathLike, *, hourly: Sequence[str] = (),
              started: float | None = None) -> Reweathered:
    """The result set of ``source`` under ``weather`` (module docstring), computed part by part (tile by tile).

    Each part's faces, profiles and buildings (consecutive tiles, at most :data:`PART_FACES` faces unless one
    tile has more) are read, recomputed and written into the folder ``work`` (files ``roofs-N.gpkg``,
    ``buildings-N.gpkg``, ``profiles-N.parquet``), so that the memory is that of one part;
    the tables are then aggregated from the buildings' :data:`AGGREGATED` columns. ``hourly``: building ids
    whose hourly AC power to compute (:data:`~cadastre.results.contract.HOURLY_COLUMNS`, as ``cadastre
    buildings --hourly``).

    Raises
    ------
    OptionError
        An id of ``hourly`` that is not a building of the folder (before any work).
    InputFileError
        A part of the folder that is not valid (a layer, a face without a profile).
    """
    started = time.perf_counter() if started is None else started
    work = Path(work)
    config = source.config
    hourly = [str(b) for b in hourly]
    _check_buildings(source, hourly)
    power = {building: None for building in hourly}
    written = {ROOFS: [], BUILDINGS: [], PROFILES: []}
    empty = {}
    frames, counts = [], {"faces": 0, "suitable_faces": 0, "buildings": 0}
    for k, part in enumerate(source.parts):
        roofs, buildings = source.roofs(part), source.buildings(part)
        empty.setdefault(ROOFS, roofs.iloc[:0])
        empty.setdefault(BUILDINGS, buildings.iloc[:0])
        profiles = None
        if len(roofs):
            profiles = source.profiles(roofs)
            wanted = roofs["building_id"].astype(str).isin(hourly).to_numpy() & (roofs["kwp"].to_numpy() > 0)
            ids = _face_ids(roofs)
            asked = [ids[i] for i in np.flatnonzero(wanted)]
            production = face_production(weather, source.site, profiles, pv=config.pv, sky=config.sky,
                                         albedo=config.albedo, hourly_faces=asked or None)
            roofs = gpd.GeoDataFrame(profile_energy(roofs, production.table.reset_index(drop=True)),
                                     geometry=roofs.geometry.name, crs=roofs.crs)
            for i, face in zip(np.flatnonzero(wanted), asked, strict=True):
                building = str(roofs["building_id"].iloc[i])
                kw = float(roofs["kwp"].iloc[i]) * np.nan_to_num(production.hourly_ac[face].to_numpy()) / 1000.0
                power[building] = kw if power[building] is None else power[building] + kw
            del production
        buildings = _buildings(buildings, roofs, 1.0 - config.aggregate.net_reduction)
        if source.thermal:
            roofs, buildings = _thermal(source, weather, roofs, buildings, profiles)
        if len(roofs):
            written[ROOFS].append(write_vector(roofs, work / f"roofs-{k:06d}.gpkg", layer=LAYERS[ROOFS]))
            written[PROFILES].append(write_profiles(work / f"profiles-{k:06d}.parquet", profiles))
        del profiles
        if len(buildings):
            written[BUILDINGS].append(write_vector(buildings, work / f"buildings-{k:06d}.gpkg",
                                                   layer=LAYERS[BUILDINGS]))
        frames.append(pd.DataFrame(buildings[[c for c in AGGREGATED if c in buildings]]))
        counts["faces"] += len(roofs)
        counts["suitable_faces"] += int(roofs["suitable"].astype(bool).sum())
        counts["buildings"] += len(buildings)
    frame = pd.concat(frames, ignore_index=True)
    for column in ASSIGNED_COLUMNS:
        frame[column] = frame[column].astype("string").replace("", pd.NA)
    communes = load_communes(_communes_path(source), crs=_crs(source))
    coverage = Coverage(covered=source.coverage.groupby(source.coverage["insee"].astype("string"))["covered_m2"].sum(),
                        footprints=_footprints(source.communes_table))
    tables = {by: aggregate(frame, by, communes=communes, coverage=None if by is None else coverage)
              for by in ("insee", "epci_siren", None)}
    monthly = {name: aggregate_monthly(frame, by, communes=communes) for name, by in (
        (COMMUNES_MONTHLY, "insee"), (EPCI_MONTHLY, "epci_siren"), (TERRITORY_MONTHLY, None))}
    return Reweathered(
        roofs=written[ROOFS] or empty[ROOFS], buildings=written[BUILDINGS] or empty[BUILDINGS],
        profiles=written[PROFILES] or [source.profiles_path], frame=frame, communes=tables["insee"],
        epci=tables["epci_siren"], territory=tables[None], monthly=monthly, coverage=source.coverage,
        meta=_meta(source, counts, weather, started), hourly=_hourly_table(weather, power) if hourly else None)


def _crs(source: Source):
    """The CRS of the folder's layers."""
    return pyogrio.read_info(source.folder / BUILDINGS, layer=LAYERS[BUILDINGS])["crs"]


def _check_buildings(source: Source, ids: list[str]) -> None:
    """Refuse an id of ``ids`` that is not a building of the folder (one line, as ``cadastre buildings --hourly``)."""
    if not ids:
        return
    path = source.folder / BUILDINGS
    quoted = ", ".join("'" + i.replace("'", "''") + "'" for i in ids)
    found = pyogrio.read_dataframe(path, layer=LAYERS[BUILDINGS], columns=["building_id"], read_geometry=False,
                                   where=f"CAST(building_id AS TEXT) IN ({quoted})")
    known = set(found["building_id"].astype(str))
    for building in ids:
        if building not in known:
            total = pyogrio.read_info(path, layer=LAYERS[BUILDINGS])["features"]
            raise OptionError(f"--hourly: no building '{building}' in the results (ids of buildings.gpkg: "
                              f"{total:,} buildings); nothing written")


def _hourly_table(weather: Weather, power: dict) -> pd.DataFrame:
    """The long table of :data:`~cadastre.results.contract.HOURLY_COLUMNS` from each building's kW per row (None:
    a building without a face with kWp, 0 kW)."""
    stamps = weather.data.index.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = np.zeros((len(power), len(stamps)))
    for i, kw in enumerate(power.values()):
        if kw is not None:
            rows[i] = kw
    return pd.DataFrame({HOURLY_COLUMNS[0]: np.tile(np.asarray(stamps), len(power)),
                         HOURLY_COLUMNS[1]: np.repeat(list(power), len(stamps)), HOURLY_COLUMNS[2]: rows.ravel()})


def _buildings(buildings: gpd.GeoDataFrame, roofs: pd.DataFrame, net: float) -> gpd.GeoDataFrame:
    """The buildings with their faces' new production (:func:`cadastre.roofs.buildings.building_production`)."""
    out = buildings.copy()
    production = building_production(roofs, out["building_id"].to_numpy(), out["kwp"].to_numpy(np.float64), net)
    for column in production:
        out[column] = production[column].to_numpy()
    return out


def _thermal(source: Source, weather: Weather, roofs: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame,
             profiles: FaceProfiles | None) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The part's faces and buildings with their solar water heating under ``weather``
    (:func:`cadastre.roofs.buildings.building_thermal`, the rule of ``cadastre buildings``: on each building's
    ``best_face`` as just recomputed, its system sized on its recorded ``dwellings``, the heat simulated hour by hour
    from the face's shading profile). The faces are numbered by their position in the part (a run's face numbers
    repeat from tile to tile)."""
    keys = np.arange(1, len(roofs) + 1, dtype=np.int64)
    where = pd.MultiIndex.from_arrays([_tiles(roofs), roofs["face"].astype(np.int64).to_numpy()])
    best = buildings["best_face"].astype(np.int64).to_numpy()
    at = where.get_indexer(pd.MultiIndex.from_arrays([_tiles(buildings), best]))
    faces = pd.DataFrame({"face": keys, **{c: roofs[c].to_numpy(np.float64) for c in (
        "usable_area_m2", "tilt", "azimuth", "shading_ratio")}})
    frame = pd.DataFrame({"building_id": buildings["building_id"].to_numpy(),
                          "footprint_area_m2": buildings["footprint_area_m2"].to_numpy(np.float64),
                          "best_face": np.where((best > 0) & (at >= 0), at + 1, 0),
                          "has_data": buildings["has_data"].to_numpy(bool)})
    chosen = None if profiles is None else dataclasses.replace(profiles, faces=keys)
    config = source.config
    placed, heat = building_thermal(faces, frame, weather, source.site, config, profiles=chosen, sky=config.sky,
                                    albedo=config.albedo, dwellings=buildings["dwellings"].to_numpy(np.float64))
    roofs, buildings = roofs.copy(), buildings.copy()
    per_face = roof_thermal(keys, placed)
    for column in ROOF_THERMAL_COLUMNS:
        roofs[column] = per_face[column].to_numpy()
    for column in BUILDING_THERMAL_COLUMNS:
        buildings[column] = heat[column].to_numpy()
    return roofs, buildings


def _tiles(frame: pd.DataFrame) -> np.ndarray:
    """The tile of each row (a run's ``tile`` column), '' for a buildings folder."""
    if TILE_COLUMN in frame:
        return frame[TILE_COLUMN].astype(str).to_numpy()
    return np.full(len(frame), "", dtype=object)


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


def _meta(source: Source, counts: dict, weather: Weather, started: float) -> dict:
    """``buildings.json`` of the new set: the folder's, with the new weather (and, from a run, its keys)."""
    from rasters.lidar import sha256

    old = source.meta
    params = dict(old[PARAMETERS])
    path = str(weather.source)
    params.update(weather=path, weather_sha256=sha256(path) if path.lower() != "clearsky" and os.path.isfile(path)
                  else None)
    derived = {**counts, "monthly": MONTHLY_PROFILES, PARAMETERS: params, "weather": path,
               "seconds": time.perf_counter() - started}
    if meta_path(source.folder).name == RUN_META:
        derived["irradiance"] = str(source.folder / "irradiance.vrt")
    meta = {key: derived.get(key, old.get(key)) for key in BUILDINGS_META_KEYS}
    meta["reweathered"] = {"from": str(source.folder), "weather": old.get("weather")}
    return meta


def write_reweathered(folder: str | os.PathLike, result: Reweathered, *, overwrite: bool = False) -> Path:
    """Write the set as a buildings folder (:func:`cadastre.results.write.write_results`), all or nothing."""
    return write_results(folder, roofs=result.roofs, buildings=result.buildings, communes=result.communes,
                         epci=result.epci, territory=result.territory, monthly=result.monthly,
                         coverage=result.coverage, profiles=result.profiles, meta=result.meta, hourly=result.hourly,
                         overwrite=overwrite)


@contextlib.contextmanager
def parts_folder(output: str | os.PathLike) -> Iterator[Path]:
    """A hidden staging folder on the output's disk (``.NAME.xxxxxxxx.tmp``) for the parts of :func:`reweather`,
    removed at the end, whatever happens. An OS error on the way (a full disk) becomes one line naming ``output``."""
    folder = staging_path(Path(output), "tmp")
    try:
        folder.mkdir()
        yield folder
    except CadastreError:  # an input or output error that already names its file
        raise
    except OSError as exc:  # a part that could not be written
        raise OutputFileError(f"{output}: cannot write the results ({exc.strerror or exc}); check the disk and the "
                              "folder") from exc
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def load_for(source: Source, weather: str | None, time_label: str | None = None) -> Weather:
    """The new weather, loaded for the folder's site."""
    return load_weather(weather, time_label=time_label, latitude=source.site[0], longitude=source.site[1],
                        altitude=source.site[2])
