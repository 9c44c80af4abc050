"""The configuration of a territory run (``cadastre run CONFIG.toml``).

A TOML file with the inputs, the tiling and every parameter of the stages::

    sky = "perez"            # as in 'cadastre buildings --print-config'
    albedo = 0.2

    [inputs]
    lidar = ["lidar/"]       # LAS/LAZ files or folders; or
    dsm = []                 # prepared DSM GeoTIFFs (dsm.tif of 'cadastre prepare': its ndsm,
                             # vegetation and buildings rasters beside it are used too)
    footprints = ""          # building polygons; "" = derived from the LiDAR building mask
    communes = ""            # commune polygons; "" = the 150 PMA communes
    weather = ""             # weather file or "clearsky"; "" = the Lens proxy TMY
    crs = ""                 # CRS of LAS headers that have none (e.g. "EPSG:2154")

    [tiles]
    size = 1000.0            # side of a tile's core [m]
    resolution = 0.5         # cell size [m]
    halo = 200.0             # context read around each core, and reach of the horizon [m]
    rasters = ["global"]     # irradiance bands kept per tile (of global, beam, diffuse,
                             # reflected, svf, slope, aspect)

    [irradiance]
    directions = 64
    max_distance = 150.0     # reach of the horizon search (<= halo) [m]; default: the halo
    far_distance = 5000.0    # reach of the far field on the coarse surface [m]; 0 = no far field
    far_cell = 5.0           # cell of the coarse max-pooled surface [m] (a multiple of resolution)
    cells = "roofs"          # where the irradiance is computed: "roofs" (the roof cells of the
                             # buildings a tile owns) or "core" (every cell of the core)

    [pv] / [roofs] / [aggregate]   # as in 'cadastre buildings'

Relative paths are relative to the folder of the TOML file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
from pathlib import Path

from cadastre.config import Config, config_from_dict, default_config_toml, read_toml
from cadastre.errors import InputFileError, OptionError
from cadastre.solar.irradiance import BANDS, MIN_DIRECTIONS

LIDAR_SUFFIXES = (".las", ".laz")
CELLS = ("roofs", "core")
"""Values of ``irradiance.cells``: where a tile computes the irradiance."""
RASTER_SUFFIXES = (".tif", ".tiff", ".vrt")


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """Everything a territory run needs (see the module docstring)."""

    lidar: tuple[Path, ...] = ()
    dsm: tuple[Path, ...] = ()
    footprints: Path | None = None
    communes: Path | None = None
    weather: str | None = None
    crs: str | None = None
    size: float = 1000.0
    resolution: float = 0.5
    halo: float = 200.0
    rasters: tuple[str, ...] = ("global",)
    directions: int = 64
    max_distance: float | None = None
    far_distance: float = 5000.0
    far_cell: float = 5.0
    cells: str = "roofs"
    config: Config = dataclasses.field(default_factory=Config)
    source: Path | None = None

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
        if p.is_dir():
            found += sorted(f for f in p.iterdir() if f.suffix.lower() in suffixes)
        elif p.is_file():
            found.append(p)
        else:
            raise InputFileError(f"{where}: inputs.{key}: {p} does not exist")
    if values and not found:
        raise InputFileError(f"{where}: inputs.{key}: no {'/'.join(suffixes)} file in {', '.join(map(str, values))}")
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


def _number(where: str, section: str, key: str, value, *, low: float, integer: bool = False):
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise OptionError(f"{where}: {section}.{key} = {value!r} is not a number")
    if integer and int(value) != value:
        raise OptionError(f"{where}: {section}.{key} = {value!r} is not an integer")
    if value < low:
        raise OptionError(f"{where}: {section}.{key} = {value!r} is below {low:g}")
    return int(value) if integer else float(value)


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
    inputs = data.pop("inputs", {})
    tiles = data.pop("tiles", {})
    irr = data.pop("irradiance", {})
    for name, table, keys in (
        ("inputs", inputs, ("lidar", "dsm", "footprints", "communes", "weather", "crs")),
        ("tiles", tiles, ("size", "resolution", "halo", "rasters")),
        ("irradiance", irr, ("directions", "max_distance", "far_distance", "far_cell", "cells")),
    ):
        if not isinstance(table, dict):
            raise OptionError(f"{where}: '{name}' must be a section [{name}]")
        for key in table:
            if key not in keys:
                raise OptionError(f"{where}: unknown key '{name}.{key}'; valid keys of [{name}]: {', '.join(keys)}")
    config = config_from_dict(data, where)
    lidar = _expand(where, "lidar", inputs.get("lidar", []), base, LIDAR_SUFFIXES)
    dsm = _expand(where, "dsm", inputs.get("dsm", []), base, RASTER_SUFFIXES)
    if bool(lidar) == bool(dsm):
        raise OptionError(f"{where}: give exactly one of inputs.lidar (LAS/LAZ tiles) and inputs.dsm (GeoTIFF DSMs)")
    weather = inputs.get("weather") or None
    if weather is not None and str(weather).lower() != "clearsky":
        weather = str(_optional_path(where, "weather", weather, base))
    rasters = tiles.get("rasters", ["global"])
    if not isinstance(rasters, list) or not rasters or any(r not in BANDS for r in rasters):
        raise OptionError(f"{where}: tiles.rasters = {rasters!r}; give a non-empty list of {', '.join(BANDS)}")
    size = _number(where, "tiles", "size", tiles.get("size", 1000.0), low=1.0)
    resolution = _number(where, "tiles", "resolution", tiles.get("resolution", 0.5), low=0.01)
    halo = _number(where, "tiles", "halo", tiles.get("halo", 200.0), low=0.0)
    if abs(size / resolution - round(size / resolution)) > 1e-6:
        raise OptionError(f"{where}: tiles.size = {size:g} m is not a multiple of tiles.resolution = {resolution:g} m")
    if halo <= 0:
        raise OptionError(f"{where}: tiles.halo = {halo:g} m; give the reach of the horizon (> 0, default 200)")
    directions = _number(where, "irradiance", "directions", irr.get("directions", 64), low=MIN_DIRECTIONS,
                         integer=True)
    max_distance = irr.get("max_distance")
    if max_distance is not None:
        max_distance = _number(where, "irradiance", "max_distance", max_distance, low=1e-9)
        if max_distance > halo:
            raise OptionError(f"{where}: irradiance.max_distance = {max_distance:g} m exceeds tiles.halo = {halo:g} m; "
                              "the horizon cannot reach beyond the halo")
    far_distance = _number(where, "irradiance", "far_distance", irr.get("far_distance", 5000.0), low=0.0)
    far_cell = _number(where, "irradiance", "far_cell", irr.get("far_cell", 5.0), low=1e-9)
    if far_distance:
        reach = halo if max_distance is None else max_distance
        if far_distance <= reach:
            raise OptionError(f"{where}: irradiance.far_distance = {far_distance:g} m does not exceed the near-field "
                              f"reach {reach:g} m; give a larger reach, or 0 for no far field")
        if abs(far_cell / resolution - round(far_cell / resolution)) > 1e-6 or far_cell < resolution:
            raise OptionError(f"{where}: irradiance.far_cell = {far_cell:g} m is not a whole multiple of "
                              f"tiles.resolution = {resolution:g} m")
    cells = irr.get("cells", "roofs")
    if cells not in CELLS:
        raise OptionError(f"{where}: irradiance.cells = {cells!r}; give one of {', '.join(repr(c) for c in CELLS)}")
    crs = inputs.get("crs") or None
    return RunConfig(
        lidar=lidar, dsm=dsm,
        footprints=_optional_path(where, "footprints", inputs.get("footprints"), base),
        communes=_optional_path(where, "communes", inputs.get("communes"), base),
        weather=weather, crs=crs, size=size, resolution=resolution, halo=halo, rasters=tuple(rasters),
        directions=directions, max_distance=max_distance, far_distance=far_distance, far_cell=far_cell,
        cells=cells, config=config, source=Path(path),
    )


def example_config_toml(*, lidar: str, communes: str, size: float = 50.0, halo: float = 50.0) -> str:
    """A commented run configuration for the given inputs (``cadastre init``)."""
    stages = default_config_toml().split("\n")
    stages = [line for line in stages if not line.startswith("# Parameters of") and not line.startswith("# Copy this")]
    first = next(k for k, line in enumerate(stages) if line.startswith("["))
    top, body = "\n".join(stages[:first]).strip(), "\n".join(stages[first:])
    return f"""# Configuration of 'cadastre run' (written by 'cadastre init'). Relative paths are relative to this file.
# Run it with:  cadastre run THIS_FILE -o RUN_DIR      (see 'cadastre run --help')

# ---- sky model and albedo of the irradiance and of the PV yield (as 'cadastre buildings --print-config') ----
{top}

[inputs]
# LAS/LAZ tiles: files or folders. Alternatively 'dsm = [...]': DSM GeoTIFFs on one aligned grid.
lidar = ["{lidar}"]
# Building polygons (GeoPackage, shapefile, GeoJSON). "" = derived from the LiDAR building mask.
footprints = ""
# Commune polygons with an INSEE code. "" = the 150 communes of the PMA.
communes = "{communes}"
# Weather file (PVGIS TMY CSV/JSON, EPW, CSV) or "clearsky". "" = the Lens proxy TMY shipped with the engine.
weather = ""
# CRS for LAS headers that have none (e.g. "EPSG:2154"). "" = from the headers.
crs = ""

[tiles]
# Side of a tile's core, aligned to multiples of it. [m] IGN LiDAR HD tiles: 1000. The sample's tiles: 50.
size = {size!r}
# Cell size of the rasters. [m]
resolution = 0.5
# Context read around each core, and the reach of the horizon search. [m] default: 200
halo = {halo!r}
# Irradiance bands kept per tile and in the mosaic (global, beam, diffuse, reflected, svf, slope, aspect).
rasters = ["global"]

[irradiance]
# Horizon directions (>= 8). default: 64
directions = 64
# Reach of the horizon search, at most the halo. [m] Default: the halo. Cells of a building that
# sticks out of its core by d see exactly as in one raster when max_distance <= halo - d.
# max_distance = 150.0
# Far field: hills and slag heaps beyond the halo shade too. Their horizon is traced up to far_distance
# on a coarse surface (the highest point of each far_cell x far_cell cell, built once per run). [m]
# 0 = no far field. default: 5000 and 5
far_distance = 5000.0
far_cell = 5.0
# Where the irradiance is computed: "roofs" = the roof cells of the buildings each tile owns (the
# horizons are traced and the sky summed only where they need it: the fastest), "core" = every cell
# of the tiles (a full irradiance map, slower). Rasters hold nodata where nothing was computed.
cells = "roofs"

# ---- parameters of the roofs and buildings stage (as 'cadastre buildings --print-config') ----

{body}"""
