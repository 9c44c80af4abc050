"""Weather input of the cadastre: irradiance time series and their time stamps.

The engine needs, for every row of a weather series, the global, direct
normal and diffuse horizontal irradiance and the instant at which the sun
position must be evaluated to split that irradiance onto tilted roofs.
Getting that instant wrong by half an hour moves energy between east and
west roofs, so every reader documents the time-stamp convention of its
source and :func:`load_weather` turns it into explicit ``sun_times``.

Readers follow the pvlib convention ``read_<format>(path) -> (data,
metadata)``:

* :func:`read_pvgis_tmy` -- PVGIS typical meteorological year, CSV (with or
  without the PVGIS header and footer lines) or JSON.
* :func:`read_epw` -- EnergyPlus weather files.
* :func:`read_csv` -- plain CSV with columns ``time,ghi,dni,dhi``.

:func:`load_weather` dispatches on the source, checks the values and returns
a :class:`Weather`; :func:`clearsky_weather` builds a clear-sky year.

Every error raised on bad input derives from
:class:`cadastre.errors.CadastreError` and reads
``"<file>: <problem>; <fix>"``.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import io
import json
import math
import os
import pathlib
import re
from typing import Any

import numpy as np
import pandas as pd
import pvlib

from cadastre.errors import (
    InputFileError,
    OptionError,
    WeatherColumnsError,
    WeatherError,
)

__all__ = [
    "TIME_LABELS",
    "Weather",
    "clearsky_weather",
    "default_weather_path",
    "load_weather",
    "read_csv",
    "read_epw",
    "read_pvgis_tmy",
]

#: What a time stamp of a plain series may mark: the start, the middle or the
#: end of the row's interval, or the instant of an instantaneous value.
TIME_LABELS = ("start", "middle", "end", "instant")

#: ``time_label`` of PVGIS data read with their own convention.
PVGIS_TIME_LABEL = "pvgis+10min"

#: PVGIS satellite irradiance is instantaneous about 10 minutes after the
#: HH:00 UTC stamp of its row.
PVGIS_SUN_OFFSET = pd.Timedelta(minutes=10)

#: Name of the weather file shipped in ``cadastre/data``.
DEFAULT_WEATHER_FILE = "pvgis_tmy_50.811_3.310_2005_2020.csv"

#: Irradiance columns every weather series has [W m-2].
IRRADIANCE_COLUMNS = ("ghi", "dni", "dhi")

#: Optional columns kept in :attr:`Weather.data` when the source has them.
OPTIONAL_COLUMNS = ("temp_air", "wind_speed")

#: Negative irradiance down to this value [W m-2] is night-time sensor or
#: model noise and is clipped to 0; lower values are an error.
NEGATIVE_NOISE_LIMIT = -10.0

#: Irradiance above this value [W m-2] is an error (missing-value code,
#: wrong units).
MAX_IRRADIANCE = 2000.0

# PVGIS column names -> pvlib names (pvlib.iotools.pvgis.VARIABLE_MAP subset).
_PVGIS_VARIABLE_MAP = {
    "G(h)": "ghi",
    "Gb(n)": "dni",
    "Gd(h)": "dhi",
    "T2m": "temp_air",
    "RH": "relative_humidity",
    "SP": "pressure",
    "WS10m": "wind_speed",
    "WD10m": "wind_direction",
}
_PVGIS_REQUIRED = ("G(h)", "Gb(n)", "Gd(h)")
_PVGIS_TIME_COLUMN = "time(UTC)"
_PVGIS_TIME_FORMAT = "%Y%m%d:%H%M"
_PVGIS_HEADER_RE = re.compile(r"^\s*time\(UTC\)", re.MULTILINE)
_PVGIS_ROW_RE = re.compile(r"^\s*\d{8}:\d{4}\s*,")
TMY_ROWS = 8760
"""Hourly rows of a typical meteorological year (PVGIS TMY; an EPW may also hold 8,784 for a leap year)."""
_PVGIS_MONTH_RE = re.compile(r"^\s*(\d{1,2})\s*,\s*(\d{4})\s*$")
# ``..._<lat>_<lon>_...`` in a PVGIS file name, e.g.
# ``pvgis_tmy_50.811_3.310_2005_2020.csv``.
_FILENAME_LATLON_RE = re.compile(r"_(-?\d{1,2}\.\d+)_(-?\d{1,3}\.\d+)_")

_CSV_REQUIRED = ("time",) + IRRADIANCE_COLUMNS
_CSV_KNOWN = _CSV_REQUIRED + OPTIONAL_COLUMNS

_TIME_LABEL_SHIFT = {"start": 0.5, "middle": 0.0, "end": -0.5, "instant": 0.0}


@dataclasses.dataclass(frozen=True, eq=False)
class Weather:
    """A weather series ready for the irradiance kernels.

    Attributes
    ----------
    data : pandas.DataFrame
        Index: the source's own time stamps, tz-aware, converted to UTC.
        Columns ``ghi``, ``dni``, ``dhi`` [W m-2] (float64, finite,
        ``>= 0``), plus ``temp_air`` [degC] and ``wind_speed`` [m s-1] when
        the source has them.
    sun_times : pandas.DatetimeIndex
        Tz-aware UTC, same length as ``data``: the instant at which the sun
        position must be evaluated for each row.
    interval_hours : float
        Length of one row's interval [h]. The energy of a row is
        ``irradiance * interval_hours / 1000`` [kWh m-2].
    source : str
        File path as given, or ``'clearsky'``.
    kind : str
        ``'pvgis'``, ``'epw'``, ``'csv'`` or ``'clearsky'``.
    time_label : str
        What the stamps of ``data`` mark: one of :data:`TIME_LABELS`, or
        ``'pvgis+10min'`` for PVGIS data read with their own convention.
    metadata : dict
        What the source says (``latitude`` [deg], ``longitude`` [deg],
        ``altitude`` and ``elevation`` [m] when known, and source-specific
        entries).

    Notes
    -----
    The dataclass compares by identity (``eq=False``): a DataFrame has no
    truth value, so field-wise equality would not work.
    """

    data: pd.DataFrame
    sun_times: pd.DatetimeIndex
    interval_hours: float
    source: str
    kind: str
    time_label: str
    metadata: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.sun_times) != len(self.data):
            raise ValueError(
                f"sun_times has {len(self.sun_times)} entries, "
                f"data has {len(self.data)} rows")
        if not self.interval_hours > 0:
            raise ValueError(
                f"interval_hours must be > 0, got {self.interval_hours}")


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def _one_line(text: object, limit: int = 200) -> str:
    """Collapse whitespace so that a message fits on one line."""
    s = " ".join(str(text).split())
    return s if len(s) <= limit else s[: limit - 3] + "..."


def _excerpt(text: object, limit: int = 24) -> str:
    """A short, escaped quote of a recognised weather file's text (a cell, a time) for an error message.

    Only a file already recognised as weather (by its extension and header) is quoted; never more than
    ``limit`` characters, non-ASCII and control characters escaped.
    """
    return ascii(_one_line(text, limit))


def _read_text(path: str | os.PathLike) -> str:
    """Read a text file, turning OS errors into :class:`InputFileError`.

    Refuses what is not a regular file (a device, a pipe) before reading it.
    """
    p = pathlib.Path(path)
    if p.exists() and not p.is_dir() and not p.is_file():
        raise InputFileError(f"{path}: not a regular file, not a weather file; give a PVGIS TMY "
                             "(CSV/JSON), EPW or CSV file")
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise InputFileError(
            f"{path}: file not found; check the path of the weather file"
        ) from None
    except IsADirectoryError:
        raise InputFileError(
            f"{path}: is a directory; give a weather file"
        ) from None
    except PermissionError:
        raise InputFileError(
            f"{path}: permission denied; make the file readable"
        ) from None
    except OSError as exc:
        raise InputFileError(
            f"{path}: cannot read ({_one_line(exc.strerror or exc)}); "
            "check the file") from None
    if b"\x00" in raw:
        raise InputFileError(
            f"{path}: binary file, not a weather file; give a PVGIS TMY "
            "(CSV/JSON), EPW or CSV file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _check_time_label(time_label: str) -> None:
    if time_label not in TIME_LABELS:
        raise OptionError(
            f"--time-label: invalid value {time_label!r}; use one of "
            f"{', '.join(TIME_LABELS)}")


def _first_true(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _to_float(values: pd.Series, column: str, path: object,
              labels: pd.Index | list) -> pd.Series:
    """Convert a column to float64; empty cells become NaN.

    Raises :class:`WeatherError` naming the column and the first row whose
    text is not a number.
    """
    if pd.api.types.is_numeric_dtype(values.dtype) and \
            not pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("float64")
    out = pd.to_numeric(values, errors="coerce").astype("float64")
    bad = out.isna().to_numpy() & values.notna().to_numpy()
    # blank text is a missing value, not garbage
    if bad.any():
        text = values.astype(object).where(values.notna(), "")
        blank = np.array([str(v).strip() == "" for v in text], dtype=bool)
        bad &= ~blank
    if bad.any():
        i = _first_true(bad)
        raise WeatherError(
            f"{path}: column '{column}' is not numeric at row {i + 1} "
            f"(time {labels[i]}): {_excerpt(values.iloc[i])}; "
            "write plain numbers")
    return out


def _check_unique(index: pd.DatetimeIndex, path: object) -> None:
    dup = index.duplicated()
    if dup.any():
        i = _first_true(dup)
        raise WeatherError(
            f"{path}: duplicated time {index[i]} at row {i + 1}; "
            "remove the repeated rows")


def _check_sorted(index: pd.DatetimeIndex, path: object) -> None:
    _check_unique(index, path)
    if len(index) > 1:
        step = np.diff(index.asi8)
        if (step <= 0).any():
            i = _first_true(step <= 0) + 1
            raise WeatherError(
                f"{path}: times not sorted, row {i + 1} ({index[i]}) comes "
                f"before row {i} ({index[i - 1]}); sort the rows by time")


def _seconds(deltas: np.ndarray) -> np.ndarray:
    return deltas / np.timedelta64(1, "s")


def _infer_interval_hours(index: pd.DatetimeIndex, path: object) -> float:
    """Median spacing of sorted stamps [h]; all spacings must be equal."""
    if len(index) < 2:
        return 1.0
    step = _seconds(np.diff(index.to_numpy()))
    median = float(np.median(step))
    if not median > 0:
        raise WeatherError(
            f"{path}: time spacing is not positive; sort the rows by time")
    off = np.abs(step - median) > 1e-6
    if off.any():
        i = _first_true(off) + 1
        raise WeatherError(
            f"{path}: irregular time spacing, {step[i - 1] / 3600:g} h "
            f"between rows {i} and {i + 1} ({index[i - 1]} -> {index[i]}) "
            f"where the usual step is {median / 3600:g} h; give a series "
            "with a constant time step and no gaps")
    return median / 3600.0


def _sun_times(index: pd.DatetimeIndex, time_label: str,
               interval_hours: float) -> pd.DatetimeIndex:
    shift = pd.Timedelta(hours=_TIME_LABEL_SHIFT[time_label] * interval_hours)
    return pd.DatetimeIndex(index + shift, name="sun_time")


def _check_irradiance(data: pd.DataFrame, path: object) -> pd.DataFrame:
    """Reject NaN and out-of-range irradiance, clip night noise to 0."""
    out = data.copy()
    for col in IRRADIANCE_COLUMNS:
        v = out[col].to_numpy(dtype="float64", copy=True)
        nan = np.isnan(v)
        if nan.any():
            i = _first_true(nan)
            raise WeatherError(
                f"{path}: column '{col}' has no value (NaN) at row {i + 1} "
                f"(time {out.index[i]}); fill the gap or remove the row")
        bad = (v < NEGATIVE_NOISE_LIMIT) | (v > MAX_IRRADIANCE)
        if bad.any():
            i = _first_true(bad)
            raise WeatherError(
                f"{path}: column '{col}' value {v[i]:g} W m-2 at row {i + 1} "
                f"(time {out.index[i]}) is outside "
                f"[{NEGATIVE_NOISE_LIMIT:g}, {MAX_IRRADIANCE:g}]; check the "
                "units (W m-2) and missing-value codes such as 9999")
        np.maximum(v, 0.0, out=v)
        out[col] = v
    return out


def _latlon_from_filename(path: str | os.PathLike) -> dict:
    """``latitude``/``longitude`` from a ``_<lat>_<lon>_`` file name."""
    m = _FILENAME_LATLON_RE.search(pathlib.Path(path).name)
    if m is None:
        return {}
    lat, lon = float(m.group(1)), float(m.group(2))
    if -90 <= lat <= 90 and -180 <= lon <= 180:
        return {"latitude": lat, "longitude": lon}
    return {}


# --------------------------------------------------------------------------
# PVGIS
# --------------------------------------------------------------------------

def _locate(meta: dict, path: object, found_in: str) -> None:
    """Record where the site came from: ``found_in``, else the file name, else nowhere."""
    if "latitude" in meta and "longitude" in meta:
        meta["location_from"] = found_in
        return
    from_name = _latlon_from_filename(str(path))
    if from_name:
        meta.update(from_name)
        meta["location_from"] = "file name"


def _finish_pvgis(raw: pd.DataFrame, stamps: pd.Series, path: object,
                  first_line: int | None = None) -> pd.DataFrame:
    """Parse PVGIS stamps and numbers, rename columns to pvlib names.

    ``first_line``: the file's line number of the first row (CSV), so that an
    error names the line; None for a JSON file (rows are counted).
    """
    stamps = stamps.astype(str).str.strip()
    index = pd.to_datetime(stamps, format=_PVGIS_TIME_FORMAT, utc=True,
                           errors="coerce")
    if index.isna().any():
        i = _first_true(index.isna().to_numpy())
        where = f"line {first_line + i}" if first_line else f"row {i + 1}"
        raise WeatherError(
            f"{path}: cannot read time {_excerpt(stamps.iloc[i])} at {where}; "
            "PVGIS times look like 20150101:0000 (UTC)")
    index = pd.DatetimeIndex(index, name="time")
    labels = list(stamps)
    data = pd.DataFrame(index=index)
    for col in raw.columns:
        data[col] = _to_float(raw[col].reset_index(drop=True), col, path,
                              labels).to_numpy()
    data = data.rename(columns=_PVGIS_VARIABLE_MAP)
    _check_unique(data.index, path)
    return data


def _check_whole_year(rows: int, path: object, where: str, allowed: tuple[int, ...] = (TMY_ROWS,)) -> None:
    """A typical year is read whole or refused: ``rows`` must be one of ``allowed``."""
    if rows not in allowed:
        expected = " or ".join(f"{n:,}" for n in allowed)
        raise WeatherError(
            f"{path}: {rows:,} hourly rows ({where}) where a whole typical year has {expected}; "
            "the file is cut or edited, download it again")


def _parse_pvgis_csv(text: str, path: object) -> tuple[pd.DataFrame, dict]:
    lines = text.splitlines()
    header_i = next((i for i, line in enumerate(lines)
                     if line.lstrip().startswith(_PVGIS_TIME_COLUMN)), None)
    if header_i is None:
        raise InputFileError(
            f"{path}: no '{_PVGIS_TIME_COLUMN},...' header line, not a PVGIS "
            "TMY CSV file; give a PVGIS TMY file (CSV or JSON)")
    columns = [c.strip() for c in lines[header_i].split(",")]
    missing = [c for c in _PVGIS_REQUIRED if c not in columns]
    if missing:
        raise WeatherColumnsError(
            f"{path}: missing PVGIS column(s) {', '.join(missing)} "
            f"(columns found: {_excerpt(', '.join(columns), 80)}); download the "
            "PVGIS TMY file again with all its columns")
    # the table runs from the header to the first line that does not start
    # with a digit (blank, or the first description line); a damaged row
    # inside it is reported below, never taken as the end of the table
    end = header_i + 1
    while end < len(lines) and lines[end].lstrip()[:1].isdigit():
        end += 1
    later = next((j for j in range(end, len(lines)) if _PVGIS_ROW_RE.match(lines[j])), None)
    if later is not None:
        raise WeatherError(
            f"{path}: line {end + 1} ({_excerpt(lines[end])}) is not a data row "
            f"but data rows follow it (line {later + 1}); the file is damaged, download it again")
    rows = lines[header_i + 1:end]
    if not rows:
        raise WeatherError(
            f"{path}: no data rows after the '{_PVGIS_TIME_COLUMN}' header; "
            "download the PVGIS TMY file again")
    for k, line in enumerate(rows):
        n = line.count(",") + 1
        if n != len(columns):
            raise WeatherError(
                f"{path}: line {header_i + 2 + k} has {n} fields where the "
                f"header has {len(columns)}; the file is truncated or edited, "
                "download it again")

    raw = pd.read_csv(io.StringIO("\n".join(rows)), header=None,
                      names=columns, dtype=str, keep_default_na=False,
                      skipinitialspace=True)
    stamps = raw.pop(_PVGIS_TIME_COLUMN)
    data = _finish_pvgis(raw, stamps, path, first_line=header_i + 2)
    _check_whole_year(len(data), path, f"lines {header_i + 2}-{end}")

    meta: dict[str, Any] = {"format": "csv"}
    months = []
    for line in lines[:header_i]:
        m = _PVGIS_MONTH_RE.match(line)
        if m:
            months.append({"month": int(m.group(1)), "year": int(m.group(2))})
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key = key.strip().lower()
        try:
            number = float(value)
        except ValueError:
            meta.setdefault("inputs", {})[key] = value.strip()
            continue
        if key.startswith("latitude"):
            meta["latitude"] = number
        elif key.startswith("longitude"):
            meta["longitude"] = number
        elif key.startswith("elevation"):
            meta["elevation"] = meta["altitude"] = number
        elif key.startswith("irradiance time offset"):
            meta["irradiance_time_offset_hours"] = number
        else:
            meta.setdefault("inputs", {})[key] = number
    if months:
        meta["months_selected"] = months
    descriptions = {}
    for line in lines[end:]:
        key, sep, value = line.partition(":")
        if sep and key.strip():
            descriptions[key.strip()] = value.strip()
    if descriptions:
        meta["descriptions"] = descriptions
    _locate(meta, path, "header")
    return data, meta


def _parse_pvgis_json(text: str, path: object) -> tuple[pd.DataFrame, dict]:
    try:
        src = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(
            f"{path}: not valid JSON ({_one_line(exc)}); give a PVGIS TMY "
            "JSON file") from None
    try:
        rows = src["outputs"]["tmy_hourly"]
    except (KeyError, TypeError):
        raise InputFileError(
            f"{path}: no 'outputs.tmy_hourly' entry, not a PVGIS TMY JSON "
            "file; download the TMY from PVGIS with outputformat=json"
        ) from None
    if not isinstance(rows, list) or not rows:
        raise WeatherError(
            f"{path}: 'outputs.tmy_hourly' holds no rows; download the PVGIS "
            "TMY file again")
    found = sorted({k for row in rows if isinstance(row, dict) for k in row})
    missing = [c for c in (_PVGIS_TIME_COLUMN,) + _PVGIS_REQUIRED
               if c not in found]
    if missing:
        raise WeatherColumnsError(
            f"{path}: missing PVGIS column(s) {', '.join(missing)} "
            f"(columns found: {_excerpt(', '.join(found), 80)}); download the "
            "PVGIS TMY file again with all its columns")
    # pvlib 0.16 also needs 'inputs', 'meta.inputs' and
    # 'outputs.months_selected'; PVGIS always writes them, hand-made files
    # may not
    if isinstance(src, dict) and isinstance(src.get("outputs"), dict):
        src.setdefault("inputs", {})
        if not isinstance(src.get("meta"), dict):
            src["meta"] = {}
        src["meta"].setdefault("inputs", {})
        src["outputs"].setdefault("months_selected", [])
    try:
        raw, pvmeta = pvlib.iotools.read_pvgis_tmy(
            io.StringIO(json.dumps(src)), pvgis_format="json",
            map_variables=False)
    except KeyError as exc:
        raise InputFileError(
            f"{path}: missing key {exc} in the PVGIS JSON; download the TMY "
            "from PVGIS with outputformat=json") from None
    except (ValueError, TypeError) as exc:
        raise WeatherError(
            f"{path}: cannot read the PVGIS times ({_excerpt(exc, 60)}); "
            "PVGIS times look like 20150101:0000 (UTC)") from None
    stamps = pd.Series([str(r.get(_PVGIS_TIME_COLUMN)) for r in rows])
    raw = raw.reset_index(drop=True)
    data = _finish_pvgis(raw, stamps, path)
    _check_whole_year(len(data), path, "'outputs.tmy_hourly'")

    meta: dict[str, Any] = dict(pvmeta)
    meta["format"] = "json"
    location = (pvmeta.get("inputs") or {}).get("location") or {}
    for key in ("latitude", "longitude", "elevation"):
        if location.get(key) is not None:
            meta[key] = float(location[key])
    if "elevation" in meta:
        meta["altitude"] = meta["elevation"]
    _locate(meta, path, "inputs.location")
    return data, meta


def _looks_like_json(path: str | os.PathLike, text: str) -> bool:
    return (pathlib.Path(path).suffix.lower() == ".json"
            or text.lstrip().startswith("{"))


def read_pvgis_tmy(path: str | os.PathLike) -> tuple[pd.DataFrame, dict]:
    """Read a PVGIS typical meteorological year (TMY), CSV or JSON.

    The CSV may be the full file as PVGIS delivers it (location lines, the
    table of selected months, the ``time(UTC),...`` header, the data rows,
    then description lines) or just the header line and the data rows. The
    JSON is parsed with :func:`pvlib.iotools.read_pvgis_tmy`.

    Parameters
    ----------
    path : str or path-like
        PVGIS TMY file. ``.json`` files (or files starting with ``{``) are
        read as JSON, anything else as CSV.

    Returns
    -------
    data : pandas.DataFrame
        Index: the PVGIS stamps, tz-aware UTC, unchanged. PVGIS marks each
        hourly row with ``HH:00`` UTC while its satellite irradiance is
        instantaneous about 10 minutes later. The months of a TMY come from
        different years (e.g. January 2015, February 2007), so the index is
        not sorted across month boundaries. Columns, renamed to pvlib names:
        ``ghi`` (``G(h)``), ``dni`` (``Gb(n)``), ``dhi`` (``Gd(h)``) [W m-2];
        ``temp_air`` (``T2m``) [degC]; ``wind_speed`` (``WS10m``) [m s-1];
        ``relative_humidity`` (``RH``) [%]; ``pressure`` (``SP``) [Pa];
        ``wind_direction`` (``WD10m``) [deg]; other columns (``IR(h)``
        [W m-2]) keep their PVGIS names. All float64.
    metadata : dict
        ``latitude``, ``longitude`` [deg] and ``elevation`` (also as
        ``altitude``) [m] from the CSV header lines or the JSON
        ``inputs.location``; when the file has no location the latitude and
        longitude come from a file name like
        ``pvgis_tmy_50.811_3.310_2005_2020.csv`` (``location_from`` says
        which). Also ``months_selected``, ``descriptions``,
        ``irradiance_time_offset_hours`` when present and ``format``
        (``'csv'`` or ``'json'``).

    Raises
    ------
    InputFileError
        Missing or unreadable file, or not a PVGIS TMY file.
    WeatherColumnsError
        ``G(h)``, ``Gb(n)`` or ``Gd(h)`` missing.
    WeatherError
        No rows, truncated rows, unreadable or duplicated times, non-numeric
        values, a damaged row inside the table (named by its line), or not
        exactly :data:`TMY_ROWS` rows: a TMY is read whole or refused.

    See Also
    --------
    pvlib.iotools.read_pvgis_tmy
    """
    text = _read_text(path)
    if _looks_like_json(path, text):
        return _parse_pvgis_json(text, path)
    return _parse_pvgis_csv(text, path)


# --------------------------------------------------------------------------
# EPW
# --------------------------------------------------------------------------

def _parse_epw(text: str, path: object) -> tuple[pd.DataFrame, dict]:
    if not text.lstrip().upper().startswith("LOCATION"):
        raise InputFileError(
            f"{path}: does not start with a LOCATION line, not an EPW file; "
            "give an EnergyPlus weather (.epw) file")
    try:
        raw, meta = pvlib.iotools.read_epw(io.StringIO(text))
    except Exception as exc:  # pvlib raises whatever pandas/float() raise
        raise InputFileError(
            f"{path}: cannot parse as EPW ({type(exc).__name__}: "
            f"{_excerpt(exc, 60)}); give a valid EnergyPlus weather file"
        ) from None
    if raw.empty:
        raise WeatherError(
            f"{path}: no data rows after the 8 EPW header lines; give a "
            "complete EPW file")
    _check_whole_year(len(raw), path, f"lines 9-{8 + len(raw)}", (TMY_ROWS, TMY_ROWS + 24))
    # pvlib labels the hour-ending value of EPW hour H with H-1 (the start of
    # its interval); put back the file's own stamp, H, the end of the hour.
    index = pd.DatetimeIndex(raw.index + pd.Timedelta(hours=1))
    index = index.tz_convert("UTC")
    index.name = "time"
    labels = list(index)
    data = raw.copy()
    data.index = index
    for col in IRRADIANCE_COLUMNS + OPTIONAL_COLUMNS:
        data[col] = _to_float(raw[col].reset_index(drop=True), col, path,
                              labels).to_numpy()
    _check_unique(data.index, path)
    meta = dict(meta)
    if "altitude" in meta:
        meta["elevation"] = meta["altitude"]
    return data, meta


def read_epw(path: str | os.PathLike) -> tuple[pd.DataFrame, dict]:
    """Read an EnergyPlus weather (EPW) file.

    Parsing is done by :func:`pvlib.iotools.read_epw`; the time stamps are
    then set back to the file's own convention (see ``data``).

    Parameters
    ----------
    path : str or path-like
        EPW file.

    Returns
    -------
    data : pandas.DataFrame
        Index: the file's stamps converted to UTC. An EPW row with hour
        ``H`` (1-24, local standard time, fixed offset ``TZ`` from the
        header) holds averages over the hour ENDING at ``H``; the index is
        that end, ``H:00`` (hour 24 is 00:00 of the next day). Note that
        :func:`pvlib.iotools.read_epw` labels the same row ``H-1``, the start
        of the hour: this index is pvlib's plus one hour. Columns: all of
        pvlib's, with ``ghi``, ``dni``, ``dhi`` [W m-2], ``temp_air``
        [degC] and ``wind_speed`` [m s-1] as float64.
    metadata : dict
        The header as pvlib reads it: ``latitude``, ``longitude`` [deg],
        ``altitude`` (also as ``elevation``) [m], ``TZ`` [h], ``city``...

    Raises
    ------
    InputFileError
        Missing, unreadable or malformed file.
    WeatherError
        No rows, duplicated times (sub-hourly EPW files are not supported),
        non-numeric values, or not a whole year (8,760 rows, 8,784 for a
        leap year).

    See Also
    --------
    pvlib.iotools.read_epw
    """
    return _parse_epw(_read_text(path), path)


# --------------------------------------------------------------------------
# plain CSV
# --------------------------------------------------------------------------

def _parse_iso_times(values: pd.Series, path: object) -> pd.DatetimeIndex:
    stamps = []
    for i, value in enumerate(values):
        s = "" if pd.isna(value) else str(value).strip()
        if not s:
            raise WeatherError(
                f"{path}: empty time at row {i + 1}; give every row an ISO "
                "8601 time with zone, e.g. 2023-06-21T12:00:00+02:00")
        try:
            t = dt.datetime.fromisoformat(s)
        except ValueError:
            raise WeatherError(
                f"{path}: cannot read time {_excerpt(s)} at row "
                f"{i + 1}; write ISO 8601 times with zone, e.g. "
                "2023-06-21T12:00:00+02:00 or 2023-06-21T10:00:00Z") from None
        if t.tzinfo is None or t.utcoffset() is None:
            raise WeatherError(
                f"{path}: time {_excerpt(s)} at row {i + 1} has no time zone; add "
                "the UTC offset to every time, e.g. 2023-06-21T12:00:00+02:00 "
                "or 2023-06-21T10:00:00Z")
        stamps.append(t.astimezone(dt.timezone.utc))
    return pd.DatetimeIndex(pd.to_datetime(stamps, utc=True), name="time")


def _check_csv_header(text: str, path: object) -> None:
    """Refuse, before parsing and without quoting it, a file whose first line (blank and ``#`` lines
    aside) does not name ``time`` and one of the irradiance columns: not a weather file."""
    number, header = next(((n, line) for n, line in enumerate(text.splitlines(), 1)
                           if line.strip() and not line.lstrip().startswith("#")), (0, ""))
    names = {name.strip().lower() for name in header.split(",")}
    if "time" not in names or not names & set(IRRADIANCE_COLUMNS):
        raise InputFileError(
            f"{path}: not a weather file (line {number} does not name the columns "
            "time,ghi,dni,dhi, and it is neither a PVGIS TMY nor an EPW file); give a PVGIS TMY "
            "(CSV/JSON), EPW or CSV weather file")


def _parse_plain_csv(text: str, path: object) -> tuple[pd.DataFrame, dict]:
    if not text.strip():
        raise WeatherError(
            f"{path}: empty file; give a CSV with a header line "
            "time,ghi,dni,dhi and one row per time step")
    _check_csv_header(text, path)
    try:
        raw = pd.read_csv(io.StringIO(text), dtype=str, comment="#",
                          skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise WeatherError(
            f"{path}: empty file; give a CSV with a header line "
            "time,ghi,dni,dhi and one row per time step") from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputFileError(
            f"{path}: cannot parse as CSV ({_one_line(exc, 120)}); give a "
            "comma-separated file with the same number of fields on every "
            "line") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    rename = {c: c.lower() for c in raw.columns
              if c.lower() in _CSV_KNOWN and c != c.lower()}
    raw = raw.rename(columns=rename)
    missing = [c for c in _CSV_REQUIRED if c not in raw.columns]
    if missing:
        raise WeatherColumnsError(
            f"{path}: missing column(s) {', '.join(missing)} (columns found: "
            f"{_excerpt(', '.join(map(str, raw.columns)), 80)}); the first line "
            "must name the columns time,ghi,dni,dhi")
    if raw.empty:
        raise WeatherError(
            f"{path}: no data rows below the header; add one row per time "
            "step")
    index = _parse_iso_times(raw["time"], path)
    labels = list(raw["time"])
    data = pd.DataFrame(index=index)
    for col in raw.columns:
        if col == "time":
            continue
        values = raw[col].reset_index(drop=True)
        if col in _CSV_KNOWN:
            data[col] = _to_float(values, col, path, labels).to_numpy()
        else:
            converted = pd.to_numeric(values, errors="coerce")
            if converted.notna().sum() == values.notna().sum():
                data[col] = converted.astype("float64").to_numpy()
            else:
                data[col] = values.to_numpy()
    _check_sorted(data.index, path)
    return data, {}


def read_csv(path: str | os.PathLike) -> tuple[pd.DataFrame, dict]:
    """Read a plain CSV weather file with columns ``time,ghi,dni,dhi``.

    Parameters
    ----------
    path : str or path-like
        CSV file. The first line names the columns (case-insensitive for
        the known names); ``time``, ``ghi``, ``dni`` and ``dhi`` are
        required, ``temp_air`` and ``wind_speed`` are recognised, other
        columns are kept. Lines starting with ``#`` are ignored.

    Returns
    -------
    data : pandas.DataFrame
        Index: the ``time`` column, ISO 8601 times that MUST carry a zone
        (``2023-06-21T12:00:00+02:00``, ``...Z``), converted to UTC and
        strictly increasing. What a stamp marks (start, middle or end of the
        interval, or an instant) is not in the file: it is the
        ``time_label`` argument of :func:`load_weather`. Columns ``ghi``,
        ``dni``, ``dhi`` [W m-2], ``temp_air`` [degC] and ``wind_speed``
        [m s-1] as float64 (empty cells are NaN); other columns as float64
        when all numeric, else as text.
    metadata : dict
        Empty: a plain CSV carries no metadata.

    Raises
    ------
    InputFileError
        Missing, unreadable or malformed file.
    WeatherColumnsError
        A required column is missing.
    WeatherError
        Empty file, unreadable, zone-less, duplicated or unsorted times,
        non-numeric values.
    """
    return _parse_plain_csv(_read_text(path), path)


# --------------------------------------------------------------------------
# public entry points
# --------------------------------------------------------------------------

def default_weather_path() -> pathlib.Path:
    """Path of the PVGIS TMY file shipped with the engine.

    Returns
    -------
    pathlib.Path
        ``cadastre/data/pvgis_tmy_50.811_3.310_2005_2020.csv``: PVGIS TMY
        2005-2020 at 50.811 N, 3.310 E, header-less CSV, stamps in UTC.
    """
    return pathlib.Path(__file__).resolve().parents[1] / "data" / \
        DEFAULT_WEATHER_FILE


def _detect_kind(path: str | os.PathLike, text: str) -> str:
    """'pvgis_json', 'pvgis_csv', 'epw' or 'csv' from extension/content."""
    suffix = pathlib.Path(path).suffix.lower()
    if suffix == ".epw":
        return "epw"
    if suffix == ".json":
        return "pvgis_json"
    if suffix != ".csv":
        head = text.lstrip()
        if head.upper().startswith("LOCATION"):
            return "epw"
        if head.startswith("{"):
            return "pvgis_json"
    if _PVGIS_HEADER_RE.search(text):
        return "pvgis_csv"
    return "csv"


def _check_location(latitude: float, longitude: float, altitude: float,
                    where: str) -> None:
    for name, value, low, high in (("latitude", latitude, -90, 90),
                                   ("longitude", longitude, -180, 180),
                                   ("altitude", altitude, -500, 9000)):
        try:
            ok = math.isfinite(float(value)) and low <= float(value) <= high
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise OptionError(
                f"{where}: {name} {value!r} is invalid; give a number in "
                f"[{low}, {high}]")


def load_weather(source: str | os.PathLike | None = None, *,
                 time_label: str | None = None,
                 latitude: float | None = None,
                 longitude: float | None = None,
                 altitude: float | None = None) -> Weather:
    """Load a weather series and work out its sun-position times.

    Parameters
    ----------
    source : str, path-like or None, default None
        ``None``: the shipped PVGIS TMY (:func:`default_weather_path`).
        ``'clearsky'``: a clear-sky year at ``latitude``, ``longitude``,
        ``altitude`` (:func:`clearsky_weather`). Otherwise a file:
        ``.epw`` -> EPW; ``.json`` -> PVGIS TMY JSON; ``.csv`` -> PVGIS TMY
        CSV when a line starts with ``time(UTC)``, else a plain CSV
        ``time,ghi,dni,dhi``. Other extensions are recognised by content.
    time_label : {'start', 'middle', 'end', 'instant'} or None, default None
        What the stamps mark. ``None`` uses the convention of the source:

        * PVGIS: stamps ``HH:00`` UTC, values instantaneous 10 min later:
          ``sun_times = stamp + 10 min``, ``time_label='pvgis+10min'``.
        * EPW: hour-ending averages: ``sun_times = stamp - 30 min``,
          ``time_label='end'``.
        * plain CSV: ``'middle'``.

        Given explicitly, it overrides the convention of PVGIS and EPW
        files too: ``'start'`` -> ``sun_times = stamp + interval/2``,
        ``'middle'`` and ``'instant'`` -> ``stamp``, ``'end'`` ->
        ``stamp - interval/2``. With ``'clearsky'`` only ``None`` or
        ``'start'`` is accepted.
    latitude, longitude : float, optional
        [deg north, deg east]. Required for ``'clearsky'``; for files they
        fill ``metadata`` only where the file gives no location (the file's
        values win).
    altitude : float, optional
        [m]. Required for ``'clearsky'``; for files as above.

    Returns
    -------
    Weather
        ``interval_hours`` is 1 for PVGIS, EPW and clear sky; for a plain
        CSV the spacing of the stamps (1 h for a single row). Irradiance
        between -10 and 0 W m-2 is clipped to 0.

    Raises
    ------
    OptionError
        Invalid ``time_label``; ``'clearsky'`` without location.
    InputFileError
        Missing, unreadable or malformed file.
    WeatherColumnsError
        Missing irradiance or time columns.
    WeatherError
        Empty file, bad times (unreadable, without zone, duplicated,
        unsorted, irregular spacing), NaN or non-numeric irradiance,
        irradiance below -10 or above 2000 W m-2.
    """
    if time_label is not None:
        _check_time_label(time_label)

    if isinstance(source, str) and source.strip().lower() == "clearsky":
        missing = [name for name, value in (("latitude", latitude),
                                            ("longitude", longitude),
                                            ("altitude", altitude))
                   if value is None]
        if missing:
            raise OptionError(
                f"clearsky: {', '.join(missing)} not given; the clear-sky "
                "weather needs latitude, longitude and altitude")
        if time_label not in (None, "start"):
            raise OptionError(
                f"clearsky: --time-label {time_label!r} does not apply, "
                "clear-sky stamps mark the start of each hour; leave "
                "--time-label unset")
        return clearsky_weather(latitude, longitude, altitude)

    path = default_weather_path() if source is None else source
    name = str(path)
    text = _read_text(path)
    kind = _detect_kind(path, text)
    if kind == "epw":
        data, meta = _parse_epw(text, name)
        kind, own_label, interval = "epw", "end", 1.0
    elif kind in ("pvgis_csv", "pvgis_json"):
        if kind == "pvgis_json":
            data, meta = _parse_pvgis_json(text, name)
        else:
            data, meta = _parse_pvgis_csv(text, name)
        kind, own_label, interval = "pvgis", PVGIS_TIME_LABEL, 1.0
    else:
        data, meta = _parse_plain_csv(text, name)
        kind, own_label = "csv", "middle"
        interval = _infer_interval_hours(data.index, name)

    columns = list(IRRADIANCE_COLUMNS) + [c for c in OPTIONAL_COLUMNS
                                          if c in data.columns]
    data = _check_irradiance(data[columns], name)
    data = data.astype("float64")
    data.index = pd.DatetimeIndex(data.index, name="time")

    label = own_label if time_label is None else time_label
    if label == PVGIS_TIME_LABEL:
        sun = pd.DatetimeIndex(data.index + PVGIS_SUN_OFFSET, name="sun_time")
    else:
        sun = _sun_times(data.index, label, interval)

    meta = dict(meta)
    for key, value in (("latitude", latitude), ("longitude", longitude),
                       ("altitude", altitude)):
        if value is not None and key not in meta:
            meta[key] = float(value)
    if "altitude" in meta and "elevation" not in meta:
        meta["elevation"] = meta["altitude"]
    return Weather(data=data, sun_times=sun, interval_hours=float(interval),
                   source=name, kind=kind, time_label=label, metadata=meta)


def clearsky_weather(latitude: float, longitude: float, altitude: float, *,
                     year: int = 2023) -> Weather:
    """Build an hourly clear-sky year.

    Ineichen-Perez clear sky (:meth:`pvlib.location.Location.get_clearsky`,
    ``model='ineichen'``) with the monthly Linke turbidity climatology of
    :func:`pvlib.clearsky.lookup_linke_turbidity`, interpolated to the day.

    Parameters
    ----------
    latitude : float
        [deg north].
    longitude : float
        [deg east].
    altitude : float
        Site altitude above sea level [m].
    year : int, default 2023
        A non-leap year, so that the series has 8760 rows.

    Returns
    -------
    Weather
        8760 hourly rows. Stamps ``HH:00`` UTC mark the START of each hour
        (``time_label='start'``); each row's value is computed at the middle
        of its hour, ``stamp + 30 min``, which is also ``sun_times``.
        ``interval_hours`` 1, ``source`` and ``kind`` ``'clearsky'``; columns
        ``ghi``, ``dni``, ``dhi`` [W m-2] only.

    Raises
    ------
    OptionError
        Location out of range, or a leap year.
    """
    _check_location(latitude, longitude, altitude, "clearsky")
    if not isinstance(year, (int, np.integer)) or calendar.isleap(int(year)):
        raise OptionError(
            f"clearsky: year {year!r} is not a non-leap year; give a year "
            "with 365 days such as 2023")
    latitude, longitude, altitude = (float(latitude), float(longitude),
                                     float(altitude))
    stamps = pd.date_range(f"{int(year)}-01-01", periods=8760, freq="h",
                           tz="UTC", name="time")
    middle = pd.DatetimeIndex(stamps + pd.Timedelta(minutes=30),
                              name="sun_time")
    site = pvlib.location.Location(latitude, longitude, tz="UTC",
                                   altitude=altitude)
    turbidity = pvlib.clearsky.lookup_linke_turbidity(middle, latitude,
                                                      longitude)
    cs = site.get_clearsky(middle, model="ineichen",
                           linke_turbidity=turbidity)
    data = pd.DataFrame(
        {col: np.maximum(cs[col].to_numpy(dtype="float64"), 0.0)
         for col in IRRADIANCE_COLUMNS},
        index=stamps)
    meta = {"latitude": latitude, "longitude": longitude,
            "altitude": altitude, "elevation": altitude,
            "model": "ineichen",
            "linke_turbidity": "pvlib climatology (lookup_linke_turbidity)",
            "year": int(year)}
    return Weather(data=data, sun_times=middle, interval_hours=1.0,
                   source="clearsky", kind="clearsky", time_label="start",
                   metadata=meta)
