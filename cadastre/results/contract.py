"""What a result folder holds: file names, layers, columns and metadata keys.

Two kinds of folder hold a finished cadastre (``docs/run-dir.md`` describes both for users):

- a *buildings folder*, written by ``cadastre buildings`` and ``cadastre demo``:
  :data:`BUILDINGS_FILES`;
- a *run folder*, written by ``cadastre run``: the same tables (:data:`RESULT_TABLES`)
  with a ``tile`` column in both layers, and :data:`RUN_META` instead of
  :data:`BUILDINGS_META`, plus :data:`RUN_EXTRA_FILES`.

Units of the columns: areas [m²], power [kWp] per building and face, [MWp] in the
aggregate tables, energy [MWh/yr] per building and face, [GWh/yr] in the aggregate
tables, irradiation [kWh/m²/yr], angles [degrees], azimuth clockwise from north.

The column lists that the computing layers own are re-exported here, not repeated:
:data:`BUILDINGS_COLUMNS` (``RESULT_COLUMNS`` of :mod:`cadastre.roofs.buildings`: the leading
columns of the buildings layer; not to be confused with ``BUILDING_COLUMNS`` of
:mod:`cadastre.areas.aggregate`, the columns the tables sum), :data:`ASSIGNED_COLUMNS` and
:data:`METRIC_COLUMNS` (:mod:`cadastre.areas.aggregate`).
"""

from __future__ import annotations

from cadastre.areas.aggregate import ASSIGNED_COLUMNS, METRIC_COLUMNS, MONTHLY_TABLE_COLUMNS
from cadastre.areas.coverage import COVERAGE_COLUMNS, PART_COLUMNS
from cadastre.roofs.buildings import MONTHLY_COLUMNS, ROOF_THERMAL_COLUMNS
from cadastre.roofs.buildings import RESULT_COLUMNS as BUILDINGS_COLUMNS

# --------------------------------------------------------------------------- files

ROOFS = "roofs.gpkg"
"""One polygon per roof face (layer :data:`ROOFS_LAYER`)."""
BUILDINGS = "buildings.gpkg"
"""One polygon per building footprint (layer :data:`BUILDINGS_LAYER`)."""
COVERAGE = "coverage.gpkg"
"""The part of each commune covered by data, one polygon per commune (and per tile in a run; layer
:data:`COVERAGE_LAYER`, :data:`COVERAGE_PART_COLUMNS`)."""
COMMUNES = "communes.csv"
"""One row per commune (:data:`COMMUNES_COLUMNS`)."""
EPCI = "epci.csv"
"""One row per EPCI (:data:`EPCI_COLUMNS`)."""
TERRITORY = "territory.csv"
"""One row: the totals (:data:`TERRITORY_COLUMNS`)."""
COMMUNES_MONTHLY = "communes_monthly.csv"
"""Per commune and month (1-12), the production (:data:`COMMUNES_MONTHLY_COLUMNS`); the months sum to the annual
``gwh_gross`` and ``gwh_net`` of :data:`COMMUNES`."""
EPCI_MONTHLY = "epci_monthly.csv"
"""Per EPCI and month (:data:`EPCI_MONTHLY_COLUMNS`)."""
TERRITORY_MONTHLY = "territory_monthly.csv"
"""Per month, the territory's production (:data:`TERRITORY_MONTHLY_COLUMNS`)."""
PROFILES = "profiles.parquet"
"""The shading profiles of the roof faces (:func:`cadastre.roofs.profiles.write_profiles`; ``face``: the face's
number in a buildings folder, ``<tile>-<face>`` in a run folder): what ``cadastre reweather`` needs. Absent from a
buildings folder computed from an irradiance raster without horizon codes."""
HOURLY = "hourly.csv"
"""The hourly AC power of the buildings asked for with ``cadastre buildings --hourly`` (:data:`HOURLY_COLUMNS`);
absent otherwise."""
HOURLY_COLUMNS = ("time", "building_id", "kw_ac")
"""Columns of :data:`HOURLY`: the weather row's stamp (UTC, ISO 8601), the building, its AC power [kW]."""
WORKBOOK = "tables.xlsx"
"""The aggregate tables as one workbook for spreadsheets, one sheet per table, French headers with units
(:func:`cadastre.results.tables.write_workbook`)."""
BUILDINGS_META = "buildings.json"
"""Metadata of a buildings folder (:data:`BUILDINGS_META_KEYS`)."""
RUN_META = "run.json"
"""Metadata of a run folder (:data:`RUN_META_KEYS`)."""
MANIFEST = "manifest.json"
"""A run's manifest entries of every task."""
RUN_CONFIG = "config.toml"
"""A copy of the configuration a run used."""
IRRADIANCE_MOSAIC = "irradiance.vrt"
"""Mosaic of the tiles' irradiance rasters."""
FARFIELD_MOSAIC = "farfield.vrt"
"""Mosaic of the tiles' coarse surfaces (far field)."""
TILES = "tiles"
"""Folder of a run's tiles: ``tiles/<tile id>/``."""
RUN_LOCK = "run.lock"
"""The lock of a run folder while a run uses it: JSON ``pid``, ``host``, ``started`` of the run holding it
(:mod:`cadastre.territory.folder`); removed when the run ends."""

LAYERS = {ROOFS: "roofs", BUILDINGS: "buildings", COVERAGE: "coverage"}
"""The GeoPackages of a result set and the name of their one layer."""
ROOFS_LAYER = LAYERS[ROOFS]
BUILDINGS_LAYER = LAYERS[BUILDINGS]
COVERAGE_LAYER = LAYERS[COVERAGE]
TABLES = (COMMUNES, EPCI, TERRITORY)
"""The aggregate tables of a result set (CSV, UTF-8, NA as an empty field)."""
MONTHLY_TABLES = (COMMUNES_MONTHLY, EPCI_MONTHLY, TERRITORY_MONTHLY)
"""The monthly tables of a result set (CSV, long format: one row per area and month)."""
RESULT_TABLES = (ROOFS, BUILDINGS, COVERAGE, *TABLES)
"""The files every result set holds, in either kind of folder (what the readers require)."""
WRITTEN_TABLES = (*RESULT_TABLES, *MONTHLY_TABLES)
"""The files :func:`cadastre.results.write.write_results` writes into every result set (besides the workbook, the
metadata and :data:`PROFILES`)."""
BUILDINGS_FILES = (*WRITTEN_TABLES, WORKBOOK, BUILDINGS_META)
"""Everything a buildings folder holds (and :data:`PROFILES` when its irradiance had horizon codes)."""
RUN_EXTRA_FILES = (*MONTHLY_TABLES, PROFILES, WORKBOOK, RUN_META, MANIFEST, RUN_CONFIG, IRRADIANCE_MOSAIC,
                   FARFIELD_MOSAIC, TILES)
"""What a run folder holds besides :data:`RESULT_TABLES`."""
META_FILES = (RUN_META, BUILDINGS_META)
"""The metadata of a run folder, else of a buildings folder (first found wins)."""

# --------------------------------------------------------------------------- columns

ROOFS_COLUMNS = (
    "face", "building_id", "cells", "tilt", "azimuth", "area_m2", "irradiation", "usable_cells", "usable_area_m2",
    "usable_irradiation", "flat", "poa_unshaded", "shading_ratio", "fraction_of_optimum", "class", "suitable", "kwp",
    "specific_yield", "mwh", *MONTHLY_COLUMNS, *ROOF_THERMAL_COLUMNS,
)
"""Columns of the roofs layer, in order (a run folder adds ``tile`` after ``building_id``)."""
TILE_COLUMN = "tile"
"""The column a run folder adds to both layers: the id of the tile that owns the building."""
COMMUNES_COLUMNS = (*ASSIGNED_COLUMNS, "population", *METRIC_COLUMNS, *COVERAGE_COLUMNS)
"""Columns of :data:`COMMUNES`, in order; the last ones, :data:`COVERAGE_COLUMNS`, say how much of the commune the
data covers (:mod:`cadastre.areas.coverage`)."""
EPCI_COLUMNS = ("epci_siren", "epci", "communes", "population", *METRIC_COLUMNS, *COVERAGE_COLUMNS)
"""Columns of :data:`EPCI`, in order (coverage summed over the EPCI's communes)."""
COVERAGE_PART_COLUMNS = PART_COLUMNS
"""Columns of the coverage layer (a run folder adds ``tile`` after ``insee``): commune code, covered area [m²]."""
TERRITORY_COLUMNS = ("territory", "communes", "outside_buildings", "population", *METRIC_COLUMNS)
"""Columns of :data:`TERRITORY`, in order."""
COMMUNES_MONTHLY_COLUMNS = MONTHLY_TABLE_COLUMNS["insee"]
"""Columns of :data:`COMMUNES_MONTHLY`: code, name, ``month`` (1-12), ``gwh_gross``, ``gwh_net`` [GWh]."""
EPCI_MONTHLY_COLUMNS = MONTHLY_TABLE_COLUMNS["epci_siren"]
"""Columns of :data:`EPCI_MONTHLY`."""
TERRITORY_MONTHLY_COLUMNS = MONTHLY_TABLE_COLUMNS[None]
"""Columns of :data:`TERRITORY_MONTHLY`."""
TABLE_COLUMNS = {COMMUNES: COMMUNES_COLUMNS, EPCI: EPCI_COLUMNS, TERRITORY: TERRITORY_COLUMNS}
MONTHLY_TABLE_COLUMNS_OF = {COMMUNES_MONTHLY: COMMUNES_MONTHLY_COLUMNS, EPCI_MONTHLY: EPCI_MONTHLY_COLUMNS,
                            TERRITORY_MONTHLY: TERRITORY_MONTHLY_COLUMNS}
"""Columns of each of :data:`MONTHLY_TABLES`, in order."""

# --------------------------------------------------------------------------- metadata

PARAMETERS = "parameters"
"""Key of both metadata files: every parameter the result was computed with (:data:`PARAMETER_KEYS`).

Readers (the report, the qualification) take the run's parameters from there, in the units recorded."""
PARAMETER_KEYS = (
    "resolution", "directions", "max_distance", "far_distance", "far_cell", "sky", "albedo", "weather",
    "weather_sha256", "pv", "roofs", "aggregate",
)
"""Keys of :data:`PARAMETERS`, in order: cell size [m]; horizon directions, reach [m], far field distance and cell
[m] (None when unknown); sky model; albedo (0-1); weather file (or ``clearsky``) and its SHA-256 (None for
``clearsky``); the sections ``pv``, ``roofs`` and ``aggregate`` of :class:`cadastre.config.Config` with its
keys and units (fractions 0-1, not percent; module density [kWp/m²]; angles [degrees]; areas [m²])."""
OPTIONAL_PARAMETER_KEYS = ("thermal",)
"""Keys of :data:`PARAMETERS` written after :data:`PARAMETER_KEYS` but not required of a folder (a result written
before them lacks them): ``thermal``, the section of :class:`cadastre.config.ThermalConfig` (solar water heating)."""
REPORT_KEYS = (
    "buildings", "buildings_outside_raster", "footprints_repaired", "faces", "suitable_faces", "optimum", "sky",
    "net_reduction", PARAMETERS, "monthly", "site",
)
"""Keys of the report of :func:`cadastre.roofs.buildings.compute_buildings`, first in :data:`BUILDINGS_META`."""
SOURCE_KEYS = ("footprints", "irradiance", "weather", "communes", "crs", "seconds")
"""Keys :data:`BUILDINGS_META` adds: the inputs used (paths, or how the footprints were made), the CRS and the
time taken [s]."""
BUILDINGS_META_KEYS = (*REPORT_KEYS, *SOURCE_KEYS)
"""Keys of :data:`BUILDINGS_META`, in order."""
SHARED_META_KEYS = ("weather", "communes", "crs", "sky", "net_reduction", PARAMETERS)
"""Keys both metadata files hold: what the readers rely on."""
RUN_META_KEYS = (
    "totals", "buildings", "run_id", "config", "inputs", "crs", "weather", "communes", "footprints", "sky",
    "net_reduction", PARAMETERS, "site", "tile_size", "halo", "max_distance", "resolution", "directions", "tiles", "tiles_done",
    "tiles_reused", "tasks_reused", "tiles_failed", "tiles_halo_incomplete", "peak_rss_mib", "task_seconds",
    "seconds", "finished", "tiles_low_density", "warnings", "monthly", "tables", "complete",
)
"""Keys of :data:`RUN_META`, in order, once the run has ended (``complete`` true; ``tables``: what
:func:`cadastre.results.read.tables_record` records). While a run goes on, or after it was
interrupted, the file holds ``{"complete": false, "started": ...}`` only."""

__all__ = [
    "ASSIGNED_COLUMNS", "BUILDINGS", "COVERAGE", "COVERAGE_COLUMNS", "COVERAGE_LAYER", "COVERAGE_PART_COLUMNS", "BUILDINGS_COLUMNS", "BUILDINGS_FILES", "BUILDINGS_LAYER", "BUILDINGS_META",
    "BUILDINGS_META_KEYS", "COMMUNES", "COMMUNES_COLUMNS", "COMMUNES_MONTHLY", "COMMUNES_MONTHLY_COLUMNS", "EPCI",
    "EPCI_COLUMNS", "EPCI_MONTHLY", "EPCI_MONTHLY_COLUMNS", "MONTHLY_COLUMNS", "MONTHLY_TABLES", "MONTHLY_TABLE_COLUMNS_OF", "PROFILES",
    "TERRITORY_MONTHLY", "TERRITORY_MONTHLY_COLUMNS", "WRITTEN_TABLES",
    "FARFIELD_MOSAIC", "IRRADIANCE_MOSAIC", "LAYERS", "MANIFEST", "METRIC_COLUMNS", "META_FILES", "PARAMETERS",
    "OPTIONAL_PARAMETER_KEYS", "PARAMETER_KEYS", "REPORT_KEYS",
    "RESULT_TABLES", "ROOFS", "ROOFS_COLUMNS", "ROOFS_LAYER", "RUN_CONFIG", "RUN_EXTRA_FILES", "RUN_LOCK", "RUN_META",
    "RUN_META_KEYS", "SHARED_META_KEYS", "SOURCE_KEYS", "TABLES", "TABLE_COLUMNS", "TERRITORY", "TERRITORY_COLUMNS",
    "TILES", "TILE_COLUMN",
]

# --------------------------------------------------------------------------- for people
HEADERS = {
    # identities
    "building_id": "Identifiant du bâtiment", "input_building_id": "Identifiant d'origine", "tile": "Dalle",
    "face": "Pan de toit", "best_face": "Meilleur pan", "insee": "Code INSEE", "commune": "Commune",
    "epci_siren": "SIREN de l'EPCI", "epci": "EPCI", "territory": "Territoire", "communes": "Communes",
    "population": "Population", "outside_buildings": "Bâtiments hors communes",
    # buildings and faces
    "buildings": "Bâtiments analysés", "suitable_buildings": "Bâtiments avec toiture favorable",
    "faces": "Pans de toit", "suitable_faces": "Pans favorables", "cells": "Cellules", "usable_cells": "Cellules utiles",
    "area_m2": "Surface (m²)", "footprint_area_m2": "Emprise au sol (m²)", "roof_area_m2": "Surface de toiture (m²)",
    "usable_area_m2": "Surface utile (m²)", "usable_area_net_m2": "Surface utile nette (m²)",
    "tilt": "Inclinaison (°)", "azimuth": "Azimut (° depuis le nord)", "flat": "Toit plat",
    "irradiation": "Irradiation (kWh/m²/an)", "usable_irradiation": "Irradiation utile (kWh/m²/an)",
    "poa_unshaded": "Irradiation sans ombre (kWh/m²/an)", "shading_ratio": "Ratio d'ombrage (0-1, 1 = sans ombre)",
    "fraction_of_optimum": "Part de l'optimum (0-1)", "class": "Classe (0-5)", "suitable": "Favorable",
    "kwp": "Puissance (kWc)", "kwp_net": "Puissance nette (kWc)", "mwh": "Production (MWh/an)",
    "mwh_net": "Production nette (MWh/an)", "specific_yield": "Productible (kWh/kWc/an)",
    # aggregates
    "mwp_gross": "Puissance brute (MWc)", "mwp_net": "Puissance nette (MWc)",
    "gwh_gross": "Production brute (GWh/an)", "gwh_net": "Production nette (GWh/an)", "month": "Mois (1-12)",
    **{column: f"Production du mois {column[-2:]} (MWh)" for column in MONTHLY_COLUMNS},
    # coverage
    "has_data": "Données LiDAR", "area_km2": "Surface (km²)", "covered_km2": "Surface couverte par les données (km²)",
    "covered_share": "Part couverte (0-1)", "footprints": "Emprises de bâtiments",
    "footprints_with_data": "Emprises avec données",
    # solar water heating
    "dwellings": "Logements (donnés ou estimés)", "thermal_area_m2": "Capteurs solaires thermiques (m²)",
    "thermal_mwh": "Chaleur solaire utile (MWh/an)", "thermal_yield": "Chaleur solaire par m² de capteur (kWh/m²/an)",
    "thermal_fraction": "Couverture solaire de l'eau chaude (0-1)", "thermal_gwh": "Chaleur solaire utile (GWh/an)",
    "thermal_savings_eur": "Chauffe-eau solaire : économie la 1re année (€ TTC/an)",
    "thermal_co2_t": "Chauffe-eau solaire : CO₂ évité (t/an)",
    "thermal_payback_years": "Chauffe-eau solaire : temps de retour (ans)",
}
"""Column -> header of the workbooks, in French with the unit (:data:`WORKBOOK`, and the workbooks of
``cadastre report`` and ``cadastre qualify``, which add their own columns)."""

__all__ += ["HEADERS", "HOURLY", "HOURLY_COLUMNS", "WORKBOOK"]

# --------------------------------------------------------------------------- what readers check
# (cadastre.results.read refuses a folder that breaks these, with one line naming the file and the column or key)

INT, FLOAT, BOOL, TEXT = "integer", "number", "boolean", "text"
COLUMN_TYPES = {
    **dict.fromkeys(("face", "cells", "usable_cells", "class", "faces", "suitable_faces", "best_face", "buildings",
                     "suitable_buildings", "communes", "outside_buildings", "population", "footprints",
                     "footprints_with_data", "month"), INT),
    **dict.fromkeys(("tilt", "azimuth", "area_m2", "irradiation", "usable_area_m2", "usable_irradiation",
                     "poa_unshaded", "shading_ratio", "fraction_of_optimum", "kwp", "specific_yield", "mwh",
                     "footprint_area_m2", "roof_area_m2", "usable_area_net_m2", "kwp_net", "mwh_net", "mwp_gross",
                     "mwp_net", "gwh_gross", "gwh_net", "area_km2", "covered_km2", "covered_share", "covered_m2",
                     "dwellings", "thermal_area_m2", "thermal_mwh", "thermal_yield", "thermal_fraction",
                     "thermal_gwh", "thermal_savings_eur", "thermal_co2_t", "thermal_payback_years", *MONTHLY_COLUMNS),
                    FLOAT),
    **dict.fromkeys(("flat", "suitable", "has_data"), BOOL),
    **dict.fromkeys(("building_id", "tile", "insee", "commune", "epci_siren", "epci", "territory"), TEXT),
}
"""Type of every column of the result files, the same in every file that has it (a GeoPackage column of an integer
or a number type, a CSV field that reads as one; a boolean: a GeoPackage boolean or 0/1)."""
_FIGURES = ("buildings", "suitable_buildings", "usable_area_m2", "mwp_gross", "mwp_net", "gwh_gross", "gwh_net")
REQUIRED_COLUMNS = {
    ROOFS: ("face", "building_id", "tilt", "azimuth", "area_m2", "irradiation", "usable_area_m2", "flat", "class",
            "suitable", "kwp", "mwh"),
    BUILDINGS: ("building_id", "insee", "commune", "usable_area_m2", "kwp", "mwh", "class"),
    COVERAGE: ("insee",),
    COMMUNES: ("insee", "commune", "epci_siren", "epci", *_FIGURES),
    EPCI: ("epci_siren", "epci", *_FIGURES),
    TERRITORY: ("gwh_net",),
}
"""Per file, the columns the readers (report, qualification) rely on: a file without one of them is refused."""
MAY_BE_EMPTY = frozenset(("insee", "commune", "epci_siren", "epci", "population", "usable_irradiation", "tile",
                          "shading_ratio", "fraction_of_optimum", "specific_yield", "thermal_yield",
                          "area_km2", "covered_km2", "covered_share", "footprints", "footprints_with_data"))
"""Columns that may hold an empty CSV field or NaN (a row outside the communes, an unknown population, a face
without usable cells, footprints derived from the LiDAR); every other column of :data:`COLUMN_TYPES` holds a value
in every row. (The buildings layer's ``irradiation`` and ``specific_yield`` may be NaN: a building without data.)"""
EMPTY_IN = {BUILDINGS: frozenset(("irradiation", "specific_yield", "best_face", "thermal_payback_years"))}
"""Columns that may be empty in one file only (besides :data:`MAY_BE_EMPTY`; ``thermal_payback_years``: a building
without a solar water heater, or one that never pays back)."""

NUMBER, OBJECT, LIST, STRING, BOOLEAN = "number", "object", "list", "string", "boolean"
META_TYPES = {
    "weather": (STRING, None), "communes": (STRING, None), "crs": (STRING, None), "sky": (STRING, None),
    "net_reduction": (NUMBER, None), PARAMETERS: (OBJECT,), "run_id": (STRING,), "footprints": (STRING, None),
    "irradiance": (STRING, None), "site": (OBJECT,), "directions": (NUMBER, None), "tables": (OBJECT,),
    "complete": (BOOLEAN,), "monthly": (STRING,),
}
"""JSON type of the metadata keys readers use (None: null allowed); a key of another type is refused."""
META_FIELD_TYPES = {
    **{("site", key): (NUMBER, None) for key in ("latitude", "longitude", "altitude")},
    **{(PARAMETERS, key): (NUMBER, None) for key in ("resolution", "directions", "albedo")},
    (PARAMETERS, "sky"): (STRING, None),
    **{(PARAMETERS, key): (OBJECT,) for key in ("pv", "roofs", "aggregate")},
    (PARAMETERS, "pv", "module_density"): (NUMBER,),
    **{(PARAMETERS, "roofs", key): (NUMBER,) for key in ("max_slope", "min_irradiation_fraction", "min_face_area",
                                                          "setback")},
    (PARAMETERS, "aggregate", "net_reduction"): (NUMBER,),
}
"""JSON type of the fields, inside the metadata's objects, that readers use (the path of keys to each); checked
when the field is there."""
REQUIRED_META_KEYS = ("weather", "crs", "sky")
"""Keys every metadata file must hold to be read (the report also needs :data:`PARAMETERS`)."""
INSIDE_META = ("tables",)
"""Keys of ``run.json`` whose entries name files that lie inside the folder (checked after resolving links)."""

__all__ += ["BOOL", "COLUMN_TYPES", "EMPTY_IN", "FLOAT", "INSIDE_META", "INT", "MAY_BE_EMPTY", "META_FIELD_TYPES",
            "META_TYPES",
            "REQUIRED_COLUMNS", "REQUIRED_META_KEYS", "TEXT"]
