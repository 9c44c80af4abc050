"""The list of candidate municipal buildings (``municipal.csv``) and its matching to the cadastre.

Columns (names case-insensitive; comma, semicolon or tab separated; UTF-8 or
Windows-1252; lines starting with ``#`` are comments; decimal commas accepted):

===================  =========  ==============================================================
column               needed     meaning
===================  =========  ==============================================================
``insee``            required   INSEE code of the commune owning the building
``name``             required   building name
``type``             required   ``school``, ``town_hall``, ``gym``, ``library``, ``technical``,
                                ``nursing_home``, ``swimming_pool`` or ``other`` (sets the load
                                profile and the default hot-water demand)
``building_id``      location   id of the building in the run's ``buildings.gpkg``
``x``, ``y``         location   a point on the building in the run's CRS [m]
``lon``, ``lat``     location   a point on the building, WGS84 [degrees]
``consumption_kwh``  optional   yearly electricity consumption [kWh]; empty: the type's default
                                per m2 of floor area
``contracted_kva``   optional   contracted power [kVA]
``floor_area_m2``    optional   floor area for the default consumption [m2]; empty: the
                                footprint area
``hot_water_l_day``  optional   daily hot-water demand on a day of use [L at 60 °C]; empty: the
                                type's default (``[hot_water]``); also read as ``ecs_litres_jour``
===================  =========  ==============================================================

At least one location column (or pair) must exist; each row needs one
location. ``building_id`` wins over ``x``/``y``, which win over ``lon``/``lat``.
A point is matched to the footprint holding it; outside every footprint, to
the nearest one within ``matching.max_distance_m``; two candidates (two
footprints holding it, or two nearest within ``ambiguity_margin_m`` of each
other) make the row ambiguous.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from cadastre.config import read_input_bytes
from cadastre.errors import InputFileError
from cadastre.qualify.config import BUILDING_TYPES, MatchingConfig
from cadastre.results.read import insee_code

__all__ = [
    "ALIASES",
    "LOCATION_COLUMNS",
    "NUMERIC_COLUMNS",
    "REQUIRED_COLUMNS",
    "Match",
    "match_rows",
    "municipal_template",
    "read_municipal",
]

REQUIRED_COLUMNS = ("insee", "name", "type")
LOCATION_COLUMNS = (("building_id",), ("x", "y"), ("lon", "lat"))
NUMERIC_COLUMNS = ("x", "y", "lon", "lat", "consumption_kwh", "contracted_kva", "floor_area_m2", "hot_water_l_day")
#: Other names accepted for a column (a French spreadsheet's): name -> the column.
ALIASES = {"ecs_litres_jour": "hot_water_l_day"}
_TEXT_COLUMNS = ("insee", "name", "type", "building_id")
_FIX = "see 'cadastre qualify --template'"


def municipal_template() -> str:
    """A documented ``municipal.csv`` with two example rows (to replace)."""
    types = ", ".join(BUILDING_TYPES)
    return "\n".join([
        "# municipal.csv: candidate municipal buildings for 'cadastre qualify' (lines starting with # are comments).",
        "# One row per building; comma- or semicolon-separated; UTF-8. Columns:",
        "#   insee            required  INSEE code of the commune owning the building (e.g. 62498)",
        "#   name             required  building name",
        f"#   type             required  {types} (sets the load profile)",
        "#   building_id      location  id of the building in the run's buildings.gpkg",
        "#   x, y             location  a point on the building in the run's CRS (e.g. Lambert-93, metres)",
        "#   lon, lat         location  a point on the building, WGS84 degrees",
        "#                    each row needs one location: building_id wins, then x/y, then lon/lat;",
        "#                    a point outside every footprint takes the nearest one within 20 m",
        "#   consumption_kwh  optional  yearly electricity consumption (kWh); empty: a default per m2 by type",
        "#   contracted_kva   optional  contracted power (kVA); an inverter above it is flagged",
        "#   floor_area_m2    optional  floor area for the default consumption (m2); empty: the footprint area",
        "#   hot_water_l_day  optional  hot water used on a day of use (litres at 60 C; or column ecs_litres_jour);",
        "#                    empty: a default by type (school canteen, gym showers, nursing home, swimming pool)",
        "# The two rows below are EXAMPLES: replace them with your buildings.",
        "insee,name,type,building_id,x,y,lon,lat,consumption_kwh,contracted_kva,floor_area_m2,hot_water_l_day",
        "62498,École Jean Jaurès (example),school,,,,2.8310,50.4320,45000,36,,",
        "62498,Salle des sports (example),gym,,687250.0,7036120.0,,,,,1200,900",
        "",
    ])


def _read_text(path: Path) -> str:
    raw = read_input_bytes(path, given_to="--buildings", what="the municipal CSV file")
    if b"\x00" in raw:
        raise InputFileError(f"{path}: binary file, not a CSV; save the list as CSV ({_FIX})")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _number(text: str) -> float | None:
    """A number written with a decimal point or comma (spaces as thousands separators); None if blank."""
    s = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").strip()
    if not s:
        return None
    if "," in s and "." not in s:
        s = s.replace(",", ".")
    return float(s)


def _row_problems(row: dict) -> list[str]:
    problems = []
    if not row["insee"]:
        problems.append("no INSEE code")
    if row["type"] not in BUILDING_TYPES:
        problems.append(f"unknown type '{row['type']}' (use {', '.join(BUILDING_TYPES)})")
    has_point = any(row.get(a) is not None and row.get(b) is not None for a, b in (("x", "y"), ("lon", "lat")))
    if not row.get("building_id") and not has_point:
        problems.append("no location (give building_id, x and y, or lon and lat)")
    for a, b in LOCATION_COLUMNS[1:]:
        if (row.get(a) is None) != (row.get(b) is None):
            problems.append(f"{a if row.get(a) is None else b} is empty while {b if row.get(a) is None else a} is given")
    if row.get("lon") is not None and row.get("lat") is not None and not (
            -180 <= row["lon"] <= 180 and -90 <= row["lat"] <= 90):
        problems.append(f"lon/lat {row['lon']:g}, {row['lat']:g} out of range")
    for column, label in (("consumption_kwh", "consumption"), ("contracted_kva", "contracted power")):
        if row.get(column) is not None and row[column] < 0:
            problems.append(f"negative {label} ({row[column]:g})")
    if row.get("hot_water_l_day") is not None and row["hot_water_l_day"] < 0:
        problems.append(f"negative hot-water demand ({row['hot_water_l_day']:g})")
    if row.get("floor_area_m2") is not None and row["floor_area_m2"] <= 0:
        problems.append(f"floor area {row['floor_area_m2']:g} m2 is not positive")
    return problems


def read_municipal(path: str | os.PathLike) -> pd.DataFrame:
    """Read and check ``municipal.csv`` (module docstring).

    Parameters
    ----------
    path : path-like
        The CSV file.

    Returns
    -------
    pandas.DataFrame
        One row per building row of the file, in file order, with ``line``
        (line number in the file), ``insee``, ``name``, ``type`` (stripped;
        ``insee`` of digits padded to 5), ``building_id`` (string or None),
        the numeric columns as floats (NaN when blank) and ``problem`` (the
        row's problems joined by '; ', or None). Rows with a problem are kept.

    Raises
    ------
    InputFileError
        Unreadable file, a missing required column, no location column, half
        a coordinate pair, or no row.
    """
    path = Path(path)
    text = _read_text(path)
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1)
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise InputFileError(f"{path}: no header line; write the column names first ({_FIX})")
    header = lines[0][1]
    sep = max((";", ",", "\t"), key=header.count)
    parsed = list(csv.reader(io.StringIO("\n".join(line for _, line in lines)), delimiter=sep))
    columns = [c.strip().lower().replace(" ", "_") for c in parsed[0]]
    columns = [ALIASES.get(c, c) for c in columns]
    twice = sorted({c for c in ALIASES.values() if columns.count(c) > 1})
    if twice:
        raise InputFileError(f"{path}: column {', '.join(twice)} given twice (with its French name "
                             f"{', '.join(a for a, b in ALIASES.items() if b in twice)}); keep one")
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise InputFileError(f"{path}: missing column(s) {', '.join(missing)} (found: {', '.join(columns)}); "
                             f"add them ({_FIX})")
    for pair in LOCATION_COLUMNS[1:]:
        if sum(c in columns for c in pair) == 1:
            raise InputFileError(f"{path}: column {' or '.join(c for c in pair if c not in columns)} is missing "
                                 f"while {' or '.join(c for c in pair if c in columns)} is there; give both")
    if not any(all(c in columns for c in pair) for pair in LOCATION_COLUMNS):
        raise InputFileError(f"{path}: no location column; add building_id, x and y, or lon and lat ({_FIX})")
    if len(parsed) < 2:
        raise InputFileError(f"{path}: no building row after the header; add one row per building ({_FIX})")
    records = []
    for (number, _), values in zip(lines[1:], parsed[1:], strict=True):
        cells = dict(zip(columns, [v.strip() for v in values], strict=False))
        row: dict = {"line": number}
        problems = []
        for column in _TEXT_COLUMNS:
            row[column] = cells.get(column, "") or None
        row["insee"] = insee_code(row["insee"])
        row["type"] = (row["type"] or "").lower()
        row["name"] = row["name"] or f"line {number}"
        for column in NUMERIC_COLUMNS:
            try:
                row[column] = _number(cells.get(column, ""))
            except ValueError:
                row[column] = None
                problems.append(f"{column} '{cells[column]}' is not a number")
            if row[column] is not None and not math.isfinite(row[column]):
                row[column] = None
                problems.append(f"{column} is not a finite number")
        problems += _row_problems(row)
        row["problem"] = "; ".join(problems) or None
        records.append(row)
    frame = pd.DataFrame.from_records(records)
    for column in (*_TEXT_COLUMNS, "problem"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    for column in NUMERIC_COLUMNS:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame


@dataclasses.dataclass(frozen=True)
class Match:
    """Where a row landed: the building (or None), how, and how far [m]."""

    building_id: str | None
    how: str
    distance_m: float = math.nan
    problem: str | None = None
    note: str | None = None


def _points(rows: pd.DataFrame, crs) -> np.ndarray:
    """A point per row in ``crs`` (x/y first, else lon/lat), None where neither is given."""
    x, y = rows["x"].to_numpy(float), rows["y"].to_numpy(float)
    to_crs = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    lx, ly = to_crs.transform(rows["lon"].to_numpy(float), rows["lat"].to_numpy(float))
    use_xy = np.isfinite(x) & np.isfinite(y)
    px, py = np.where(use_xy, x, lx), np.where(use_xy, y, ly)
    ok = np.isfinite(px) & np.isfinite(py)
    return np.array([shapely.Point(a, b) if good else None for a, b, good in zip(px, py, ok, strict=True)],
                    dtype=object)


def _match_point(point, footprints: gpd.GeoDataFrame, config: MatchingConfig) -> Match:
    ids = footprints["building_id"].to_numpy()
    inside = footprints.sindex.query(point, predicate="intersects")
    if len(inside) > 1:
        names = ", ".join(sorted(str(ids[i]) for i in inside))
        return Match(None, "ambiguous", 0.0, f"the point lies in several footprints ({names}); give building_id")
    if len(inside) == 1:
        return Match(str(ids[inside[0]]), "footprint", 0.0)
    near = footprints.sindex.query(point.buffer(config.max_distance_m), predicate="intersects")
    if not len(near):
        return Match(None, "none", math.nan, f"no building within {config.max_distance_m:g} m of the point")
    dist = footprints.geometry.iloc[near].distance(point).to_numpy()
    order = np.argsort(dist, kind="stable")
    near, dist = near[order], dist[order]
    if dist[0] > config.max_distance_m:
        return Match(None, "none", float(dist[0]), f"no building within {config.max_distance_m:g} m of the point")
    if len(dist) > 1 and dist[1] <= config.max_distance_m and dist[1] - dist[0] < config.ambiguity_margin_m:
        return Match(None, "ambiguous", float(dist[0]),
                     f"buildings {ids[near[0]]} ({dist[0]:.1f} m) and {ids[near[1]]} ({dist[1]:.1f} m) are about "
                     "as near; give building_id")
    return Match(str(ids[near[0]]), "nearest", float(dist[0]), note=f"nearest building, {dist[0]:.1f} m away")


def match_rows(rows: pd.DataFrame, footprints: gpd.GeoDataFrame, config: MatchingConfig = MatchingConfig()  # noqa: B008
               ) -> list[Match]:
    """Match every row of :func:`read_municipal` to a building of ``footprints``.

    Parameters
    ----------
    rows : pandas.DataFrame
        From :func:`read_municipal`; rows with a ``problem`` get
        ``Match(None, 'skipped')``.
    footprints : geopandas.GeoDataFrame
        ``building_id`` and polygons, in the run's CRS.
    config : MatchingConfig
        Search distance and ambiguity margin.

    Returns
    -------
    list of Match
        One per row, in order. A building given by two rows is matched to the
        first; the later rows get a problem naming the first row's line.
    """
    ids = footprints["building_id"].astype(str).to_numpy()
    position = {b: k for k, b in enumerate(ids)}
    points = _points(rows, footprints.crs)
    out: list[Match] = []
    first_line: dict[str, int] = {}
    for k, row in enumerate(rows.itertuples(index=False)):
        if isinstance(row.problem, str):
            out.append(Match(None, "skipped"))
            continue
        point = points[k]
        if isinstance(row.building_id, str) and row.building_id:
            bid = row.building_id
            if bid not in position:
                out.append(Match(None, "none", problem=f"building_id '{bid}' is not in the run's buildings"))
                continue
            distance = 0.0 if point is None else float(footprints.geometry.iloc[position[bid]].distance(point))
            note = None
            if point is not None and distance > config.max_distance_m:
                note = f"the row's coordinates lie {distance:.0f} m from building {bid}"
            match = Match(bid, "id", distance, note=note)
        else:
            match = _match_point(point, footprints, config)
        if match.building_id is not None and match.building_id in first_line:
            match = dataclasses.replace(match, problem=f"building {match.building_id} is already the building of "
                                        f"line {first_line[match.building_id]}")
        elif match.building_id is not None:
            first_line[match.building_id] = int(row.line)
        out.append(match)
    return out
