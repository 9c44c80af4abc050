"""The configuration of a territory run (``cadastre run CONFIG.toml``).

A TOML file with the inputs, the tiling and every parameter of the stages::

    sky = "perez"            # as in 'cadastre buildings --print-config'

    [inputs]                 # lidar (LAS/LAZ files or folders) or dsm (GeoTIFFs), footprints, communes, ...
    lidar = ["lidar/"]

    [tiles]                  # size, resolution, halo, rasters
    size = 1000.0

    [irradiance]             # directions, max_distance, far_distance, far_cell, cells
    directions = 64

    [pv] / [roofs] / [aggregate]   # as in 'cadastre buildings'

The sections are declared once, with their defaults, units, ranges and sources,
in :class:`InputsConfig`, :class:`TilesConfig` and :class:`IrradianceConfig`
(table: docs/parameters.md; ``cadastre init`` writes a commented example).
Relative paths are relative to the folder of the TOML file.
"""

from __future__ import annotations

import dataclasses
import glob
import hashlib
import json
import os
from pathlib import Path

from cadastre import _params
from cadastre._params import param, section
from cadastre.config import Config, config_from_dict, read_toml
from cadastre.errors import CRSError, InputFileError, OptionError
from cadastre.solar.irradiance import BANDS, MAX_DIRECTIONS, MAX_DISTANCE, MAX_FAR_CELL, MAX_FAR_DISTANCE, MIN_DIRECTIONS

LIDAR_SUFFIXES = (".las", ".laz")
CELLS = ("roofs", "core")
"""Values of ``irradiance.cells``: where a tile computes the irradiance."""
RASTER_SUFFIXES = (".tif", ".tiff", ".vrt")


@dataclasses.dataclass(frozen=True)
class InputsConfig:
    """Section ``[inputs]`` of a run file: what the run reads (paths relative to the file's folder)."""

    lidar: tuple[str, ...] = param(
        (), "", "LAS/LAZ tiles: files or folders; give either lidar or dsm", rule="paths of .las/.laz files or folders, or glob patterns")
    dsm: tuple[str, ...] = param(
        (), "", "DSM GeoTIFFs on one aligned grid, e.g. the dsm.tif of 'cadastre prepare' (its ndsm, vegetation "
        "and buildings rasters beside it are used too); give either lidar or dsm",
        rule="paths of .tif/.tiff/.vrt files or folders")
    footprints: str = param(
        "", "", 'building polygons (GeoPackage, shapefile, GeoJSON); "" = derived from the LiDAR building mask',
        rule='a file path, or ""')
    communes: str = param(
        "", "", 'commune polygons with an INSEE code; "" = the 150 communes of the PMA', rule='a file path, or ""')
    weather: str = param(
        "", "", 'weather file (PVGIS TMY CSV/JSON, EPW, CSV) or "clearsky"; "" = the Lens proxy TMY shipped '
        "with the engine", rule='a file path, "clearsky" or ""')
    crs: str = param("", "", 'CRS of LAS headers that have none (e.g. "EPSG:2154"); "" = from the headers',
                     rule='a CRS name, or ""')


@dataclasses.dataclass(frozen=True)
class TilesConfig:
    """Section ``[tiles]`` of a run file: how the territory is cut."""

    size: float = param(
        1000.0, "m", "side of a tile's core, aligned to multiples of it (IGN LiDAR HD tiles: 1000; the sample's "
        "tiles: 50); a multiple of resolution", ge=1.0, le=10_000.0)
    resolution: float = param(0.5, "m", "cell size of the rasters", ge=0.01, le=10.0)
    halo: float = param(
        200.0, "m", "context read around each core, and the reach of the horizon search", gt=0.0, le=MAX_DISTANCE)
    rasters: tuple[str, ...] = param(
        ("global",), "", "irradiance bands kept per tile and in the mosaic (a non-empty list)", choices=BANDS)


@dataclasses.dataclass(frozen=True)
class IrradianceConfig:
    """Section ``[irradiance]`` of a run file: the horizons and where the irradiance is computed."""

    directions: int = param(64, "", "horizon directions", ge=MIN_DIRECTIONS, le=MAX_DIRECTIONS)
    max_distance: float | None = param(
        None, "m", "reach of the horizon search, at most the halo; none = the halo. Cells of a building that "
        "sticks out of its core by d see exactly as in one raster when max_distance <= halo - d", gt=0.0,
        le=MAX_DISTANCE,
        example=150.0)
    far_distance: float = param(
        5000.0, "m", "far field: hills and slag heaps beyond the halo shade too; their horizon is traced up to "
        "far_distance on a coarse surface; 0 = no far field, else beyond the reach of the horizon search",
        ge=0.0, le=MAX_FAR_DISTANCE)
    far_cell: float = param(
        5.0, "m", "cell of the coarse surface (the highest point of each cell, built once per run); a whole "
        "multiple of tiles.resolution", gt=0.0, le=MAX_FAR_CELL)
    cells: str = param(
        "roofs", "", "where the irradiance is computed: roofs = the roof cells of the buildings each tile owns "
        "(the fastest), core = every cell of the tiles (a full irradiance map, slower); rasters hold nodata "
        "where nothing was computed", choices=CELLS)


@dataclasses.dataclass(frozen=True)
class RunFile:
    """The sections of a run file proper; its other keys are those of :class:`cadastre.config.Config`."""

    inputs: InputsConfig = section(InputsConfig, "what the run reads; relative paths are relative to this file")
    tiles: TilesConfig = section(TilesConfig, "how the territory is cut into tiles")
    irradiance: IrradianceConfig = section(IrradianceConfig, "horizons and where the irradiance is computed")


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """Everything a territory run needs (see the module docstring); defaults as declared in :class:`RunFile`."""

    lidar: tuple[Path, ...] = ()
    dsm: tuple[Path, ...] = ()
    footprints: Path | None = None
    communes: Path | None = None
    weather: str | None = None
    crs: str | None = None
    size: float = TilesConfig.size
    resolution: float = TilesConfig.resolution
    halo: float = TilesConfig.halo
    rasters: tuple[str, ...] = TilesConfig.rasters
    directions: int = IrradianceConfig.directions
    max_distance: float | None = IrradianceConfig.max_distance
    far_distance: float = IrradianceConfig.far_distance
    far_cell: float = IrradianceConfig.far_cell
    cells: str = IrradianceConfig.cells
    config: Config = dataclasses.field(default_factory=Config)
    source: Path | None = None
    folders: tuple[Path, ...] = ()
    """The folders given as inputs.lidar or inputs.dsm (the parent of a glob pattern): their files are read."""
    @property
    def reach(self) -> float:
        """Reach of the horizon search [m]: ``irradiance.max_distance``, default the halo."""
        return self.halo if self.max_distance is None else self.max_distance

    def stage_hash(self, stage: str) -> str:
        """SHA-256 of the parameters that change the outputs of ``stage`` ('prepare', 'coarse' or 'tile')."""
        if stage == "prepare":
            part = {"resolution": self.resolution, "crs": self.crs, "size": self.size}
        elif stage == "coarse":
            part = {"resolution": self.resolution, "size": self.size, "far_cell": self.far_cell}
        else:
            part = {
                "resolution": self.resolution, "size": self.size, "halo": self.halo, "rasters": list(self.rasters),
                "directions": self.directions, "reach": self.reach, "config": dataclasses.asdict(self.config),
                "far_distance": self.far_distance, "far_cell": self.far_cell if self.far_distance else None,
                "cells": self.cells,
            }
        return hashlib.sha256(json.dumps(part, sort_keys=True, default=str).encode()).hexdigest()


def _expand(where: str, key: str, values, base: Path, suffixes: tuple[str, ...]) -> tuple[Path, ...]:
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list):
        raise OptionError(f"{where}: inputs.{key} must be a list of files or folders")
    found: list[Path] = []
    for value in values:
        p = Path(value) if Path(value).is_absolute() else base / value
        if glob.has_magic(str(value)):  # a pattern such as tiles/*.laz
            matched = sorted(Path(f) for f in glob.glob(str(p)) if Path(f).suffix.lower() in suffixes)
            if not matched:
                raise InputFileError(f"{where}: inputs.{key}: no {'/'.join(suffixes)} file matches {p}")
            found += matched
        elif p.is_dir():
            found += sorted(f for f in p.iterdir() if f.suffix.lower() in suffixes)
        elif p.is_file():
            found.append(p)
        else:
            raise InputFileError(f"{where}: inputs.{key}: {p} does not exist")
    if values and not found:
        raise InputFileError(f"{where}: inputs.{key}: no {'/'.join(suffixes)} file in {', '.join(map(str, values))}")
    return tuple(found)


def _folders(values, base: Path) -> tuple[Path, ...]:
    """The folders whose files ``values`` (files, folders, glob patterns) read: a folder, a pattern's parent."""
    found = []
    for value in values if isinstance(values, list) else []:
        p = Path(value) if Path(value).is_absolute() else base / value
        if glob.has_magic(str(value)):
            parts = list(p.parts)
            first = next(k for k, part in enumerate(parts) if glob.has_magic(part))
            found.append(Path(*parts[:first]))
        elif p.is_dir():
            found.append(p)
    return tuple(found)


def _optional_path(where: str, key: str, value, base: Path) -> Path | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise OptionError(f"{where}: inputs.{key} must be a path (string)")
    p = Path(value) if Path(value).is_absolute() else base / value
    if not p.is_file():
        raise InputFileError(f"{where}: inputs.{key}: {p} does not exist")
    return p


def load_run_config(path: str | os.PathLike) -> RunConfig:
    """Read and check a run configuration (see the module docstring).

    Raises
    ------
    InputFileError
        The file, or an input it names, is missing or unreadable.
    OptionError
        Invalid TOML, an unknown key, a value of the wrong type or out of range,
        both or neither of ``inputs.lidar`` and ``inputs.dsm``.
    """
    where = str(path)
    data = read_toml(path, given_to="'cadastre run'", example="cadastre init")
    base = Path(path).resolve().parent
    tables = {name: data.pop(name) for name in ("inputs", "tiles", "irradiance") if name in data}
    inputs = tables.get("inputs")
    if isinstance(inputs, dict):  # one file or folder may be given without a list
        tables["inputs"] = {k: [v] if k in ("lidar", "dsm") and isinstance(v, str) else v for k, v in inputs.items()}
    file = _params.build(RunFile(), tables, where)
    config = config_from_dict(data, where)
    inputs, tiles, irr = file.inputs, file.tiles, file.irradiance
    lidar = _expand(where, "lidar", list(inputs.lidar), base, LIDAR_SUFFIXES)
    dsm = _expand(where, "dsm", list(inputs.dsm), base, RASTER_SUFFIXES)
    if bool(lidar) == bool(dsm):
        raise OptionError(f"{where}: give exactly one of inputs.lidar (LAS/LAZ tiles) and inputs.dsm (GeoTIFF DSMs)")
    weather = inputs.weather or None
    if weather is not None and weather.lower() != "clearsky":
        weather = str(_optional_path(where, "weather", weather, base))
    if inputs.crs:
        from pyproj import CRS
        from pyproj.exceptions import CRSError as CRSErrorBase

        from rasters.grid import check_crs

        try:
            check_crs(CRS.from_user_input(inputs.crs), f"{where}: inputs.crs = {inputs.crs!r}")
        except CRSErrorBase as exc:
            raise CRSError(f"{where}: inputs.crs = {inputs.crs!r} is not a CRS pyproj knows; give e.g. "
                           '"EPSG:2154" (Lambert-93)') from exc
    if not tiles.rasters:
        raise OptionError(f"{where}: tiles.rasters = []; give a non-empty list of {', '.join(BANDS)}")
    size, resolution, halo = tiles.size, tiles.resolution, tiles.halo
    if abs(size / resolution - round(size / resolution)) > 1e-6:
        raise OptionError(f"{where}: tiles.size = {size:g} m is not a multiple of tiles.resolution = {resolution:g} m")
    max_distance, far_distance, far_cell = irr.max_distance, irr.far_distance, irr.far_cell
    if max_distance is not None and max_distance > halo:
        raise OptionError(f"{where}: irradiance.max_distance = {max_distance:g} m exceeds tiles.halo = {halo:g} m; "
                          "the horizon cannot reach beyond the halo")
    if far_distance:
        reach = halo if max_distance is None else max_distance
        if far_distance <= reach:
            raise OptionError(f"{where}: irradiance.far_distance = {far_distance:g} m does not exceed the near-field "
                              f"reach {reach:g} m; give a larger reach, or 0 for no far field")
        if abs(far_cell / resolution - round(far_cell / resolution)) > 1e-6 or far_cell < resolution:
            raise OptionError(f"{where}: irradiance.far_cell = {far_cell:g} m is not a whole multiple of "
                              f"tiles.resolution = {resolution:g} m")
    return RunConfig(
        lidar=lidar, dsm=dsm,
        footprints=_optional_path(where, "footprints", inputs.footprints, base),
        communes=_optional_path(where, "communes", inputs.communes, base),
        weather=weather, crs=inputs.crs or None, size=size, resolution=resolution, halo=halo, rasters=tiles.rasters,
        directions=irr.directions, max_distance=max_distance, far_distance=far_distance, far_cell=far_cell,
        cells=irr.cells, config=config, source=Path(path),
        folders=_folders(list(inputs.lidar), base) + _folders(list(inputs.dsm), base),
    )


def example_config_toml(
    *,
    lidar: str | tuple[str, ...],
    communes: str = "",
    footprints: str = "",
    weather: str = "",
    size: float = TilesConfig.size,
    halo: float = TilesConfig.halo,
) -> str:
    """A commented run configuration for the given inputs (``cadastre init``).

    ``lidar``: files, folders or glob patterns (``tiles/*.laz``); paths as they
    should stand in the file (relative paths are relative to its folder). Tiles of
    ``size`` m with a ``halo`` m context: by default the territory's (1 km IGN LiDAR
    HD tiles). Each key is preceded by a comment with its meaning and source,
    ``[unit]``, range and default; :func:`load_run_config` reads it back.
    """
    stages = _params.toml_lines(Config())
    first = stages.index("") if "" in stages else len(stages)  # the top-level keys end at the first section
    lidar = (lidar,) if isinstance(lidar, str) else tuple(lidar)
    inputs = InputsConfig(lidar=lidar, communes=communes, footprints=footprints, weather=weather)
    file = RunFile(inputs=inputs, tiles=TilesConfig(size=size, halo=halo))
    lines = [
        "# Configuration of 'cadastre run' (written by 'cadastre init'). Relative paths are relative to this file.",
        "# Run it with:  cadastre run THIS_FILE -o RUN_DIR      (see 'cadastre run --help')",
        "# Each key: a comment with its meaning and source, [unit], range and default (table: docs/parameters.md).",
        "",
        "# ---- sky model and albedo of the irradiance and of the PV yield (as 'cadastre buildings --print-config') "
        "----",
        *stages[:first],
        *_params.toml_lines(file),
        "",
        "# ---- parameters of the roofs and buildings stage (as 'cadastre buildings --print-config') ----",
        *stages[first:],
    ]
    return "\n".join(lines) + "\n"
