"""Reading a result folder (:mod:`cadastre.results.contract`): metadata, layers, tables, codes and paths.

Shared by ``cadastre report`` (:mod:`cadastre.report.data`) and ``cadastre qualify``
(:mod:`cadastre.qualify.operation`), which both accept the output folder of ``cadastre buildings`` and a
``cadastre run`` RUN_DIR. Tables are read as written (text), so that the numbers shown are the files' own.

A run folder is read only when its ``run.json`` says it is complete and its tables are those the
run wrote (:func:`check_run`): the CSV tables by their SHA-256, the GeoPackages by their number of
features (GIS software may rewrite a GeoPackage's internals when it opens one).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from cadastre.errors import InputFileError
from cadastre.results.contract import (BOOL, BUILDINGS, COLUMN_TYPES, COMMUNES, EMPTY_IN, EPCI, INT, LAYERS,
                                       MAY_BE_EMPTY, META_FIELD_TYPES, META_FILES, META_TYPES, REQUIRED_COLUMNS, REQUIRED_META_KEYS,
                                       MONTHLY_TABLES, RESULT_TABLES, ROOFS, RUN_META, TABLES, TERRITORY, TEXT,
                                       WRITTEN_TABLES)

NOT_A_FOLDER = "give the output folder of `cadastre buildings` or `cadastre run`"
RERUN = "rerun the cadastre"
_JSON_TYPES = {"string": str, "object": dict, "list": list, "boolean": bool}


@dataclasses.dataclass
class ResultSet:
    """A result folder read back: both layers, the three tables (text) and the metadata."""

    folder: Path
    roofs: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    communes: pd.DataFrame
    epci: pd.DataFrame
    territory: pd.DataFrame
    meta: dict | None


def insee_code(value) -> str:
    """An INSEE code as text of 5 characters (a numeric code written without its leading zero gets it back;
    empty for a missing value)."""
    text = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value).strip()
    return text.zfill(5) if text.isdigit() else text


def meta_path(folder: Path) -> Path | None:
    """The folder's metadata file (:data:`META_FILES`), None when it has none."""
    return next((folder / name for name in META_FILES if (folder / name).is_file()), None)


def read_meta(folder: Path) -> dict | None:
    """The folder's metadata (:data:`META_FILES`: ``run.json``, else ``buildings.json``), None when it has neither.

    The metadata is checked (:func:`check_meta`), and a ``run.json`` also against the tables (:func:`check_run`).

    Raises
    ------
    InputFileError
        The file is there but not readable JSON, not a JSON object, lacks a key or holds one of another type;
        or the run is incomplete, or its tables are not the ones it wrote.
    """
    path = meta_path(folder)
    if path is None:
        return None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        where = f" at line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise InputFileError(f"{path}: not readable JSON{where}; {RERUN}") from None
    check_meta(path, meta)
    if path.name == RUN_META:
        check_run(Path(folder), meta)
    return meta


def _json_type(value) -> str | None:
    """The JSON type name of a decoded value (:data:`~cadastre.results.contract.META_TYPES`), None for null."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number" if math.isfinite(value) else "non-finite number"
    return next((name for name, kind in _JSON_TYPES.items() if isinstance(value, kind)), type(value).__name__)


def _a(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


def check_meta(path: Path, meta) -> None:
    """Refuse metadata (``meta``, read from ``path``) that is not a JSON object, lacks one of
    :data:`~cadastre.results.contract.REQUIRED_META_KEYS` or holds a key of another type than
    :data:`~cadastre.results.contract.META_TYPES` says.

    An interrupted run's ``run.json`` (``{"complete": false, ...}``) is left to :func:`check_run`.

    Raises
    ------
    InputFileError
        One line naming the file and the key.
    """
    if not isinstance(meta, dict):
        raise InputFileError(f"{path}: holds {_a(_json_type(meta) or 'null')} in JSON, not an object; {RERUN}")
    if meta.get("complete") is False:
        return
    for key in REQUIRED_META_KEYS:
        if key not in meta:
            raise InputFileError(f"{path}: no '{key}' key; {RERUN}")
    fields = [((key,), allowed) for key, allowed in META_TYPES.items()] + list(META_FIELD_TYPES.items())
    for keys, allowed in fields:
        value, found = meta, True
        for key in keys:
            found = isinstance(value, dict) and key in value
            if not found:
                break
            value = value[key]
        if found and _json_type(value) not in allowed:
            expected = " or ".join("null" if a is None else a for a in allowed)
            raise InputFileError(f"{path}: '{'.'.join(keys)}' is {_a(_json_type(value) or 'null')} where "
                                 f"{_a(expected)} belongs; {RERUN}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _rows(path: Path) -> int:
    """Features of a GeoPackage of the folder, rows of a CSV table."""
    if path.name not in LAYERS:
        return len(read_table(path))
    try:
        return int(pyogrio.read_info(path, layer=LAYERS[path.name])["features"])
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as exc:
        raise InputFileError(f"{path}: cannot read it ({str(exc).splitlines()[0]}); rerun the cadastre") from None


def tables_record(folder: Path) -> dict:
    """What ``run.json`` records of the tables a run wrote (:data:`WRITTEN_TABLES`), for :func:`check_run`.

    Per file name: ``rows`` (features of a GeoPackage, rows of a CSV) and, for the CSV tables,
    ``sha256``.
    """
    record = {}
    for name in WRITTEN_TABLES:
        path = Path(folder) / name
        csv = name in TABLES or name in MONTHLY_TABLES
        record[name] = {"rows": _rows(path), **({"sha256": _sha256(path)} if csv else {})}
    return record


def check_run(folder: Path, meta: dict) -> None:
    """Refuse a run folder whose ``run.json`` (``meta``) says it is incomplete, or whose tables differ from
    what it recorded (:func:`tables_record`).

    A ``run.json`` written before runs recorded ``complete`` and ``tables`` is taken as it is.

    Raises
    ------
    InputFileError
        One line naming the folder and what is wrong.
    """
    again = "run the same 'cadastre run' command again"
    if meta.get("complete") is False:
        raise InputFileError(f"{folder}: incomplete run ({RUN_META} says so: the run was interrupted or is still "
                             f"going, and its tables may be missing or an earlier run's); {again} to finish it")
    for name, recorded in (meta.get("tables") or {}).items():
        path = inside(folder, name, f"{RUN_META} 'tables'")
        if name not in WRITTEN_TABLES or not isinstance(recorded, dict):
            raise InputFileError(f"{folder / RUN_META}: 'tables' lists '{name}', not a table of a result folder "
                                 f"with its record; {again} to write the tables anew")
        if not path.is_file():
            raise InputFileError(f"{folder}: {name} is missing, though {RUN_META} lists it; {again} to write "
                                 "the tables anew")
        rows = _rows(path)
        if "rows" in recorded and rows != recorded["rows"]:
            what = f"{rows} rows where {RUN_META} recorded {recorded['rows']}"
        elif "sha256" in recorded and _sha256(path) != recorded["sha256"]:
            what = f"its SHA-256 differs from the one {RUN_META} recorded"
        else:
            continue
        raise InputFileError(f"{folder}: {name} is not the table this run wrote ({what}); {again} to write the "
                             "tables anew")


def inside(folder: Path, name, where: str) -> Path:
    """``folder / name`` when it lies inside ``folder`` once links are resolved (a path that the metadata lists
    as one of the folder's own files: tables, tiles, rasters).

    Raises
    ------
    InputFileError
        ``name`` is not a relative path, or leads outside the folder.
    """
    if not isinstance(name, str) or not name or os.path.isabs(name):
        raise InputFileError(f"{folder}: {where} names a file outside the folder; {RERUN}")
    path = Path(folder) / name
    try:
        path.resolve().relative_to(Path(folder).resolve())
    except ValueError:
        raise InputFileError(f"{folder}: {where} names a file outside the folder; {RERUN}") from None
    return path


def _may_be_empty(name: str, column: str) -> bool:
    return column in MAY_BE_EMPTY or column in EMPTY_IN.get(name, ())


def check_columns(path: Path, found, required) -> None:
    """Refuse a file without one of the ``required`` columns (names are case-sensitive, lower-case).

    Raises
    ------
    InputFileError
        One line naming the file and the first missing column.
    """
    found = [str(c) for c in found]
    for column in required:
        if column not in found:
            case = " (column names are lower-case; this file's are not)" if column in {
                c.lower() for c in found} else ""
            raise InputFileError(f"{path}: no '{column}' column{case}; {RERUN}")


def _line_error(path: Path, column: str, where: str, what: str) -> InputFileError:
    return InputFileError(f"{path}: column '{column}' {what} {where}; {RERUN}")


def check_table_values(path: Path, frame: pd.DataFrame) -> None:
    """Refuse a CSV table (read as text) whose columns of :data:`~cadastre.results.contract.COLUMN_TYPES` hold
    a field of another type, NaN or infinity, or an empty field where the contract wants a value.

    Raises
    ------
    InputFileError
        One line naming the file, the column and the line.
    """
    for column in frame.columns:
        kind = COLUMN_TYPES.get(column)
        if kind in (None, TEXT):
            continue
        text = frame[column].astype(str).str.strip()
        empty = (text == "").to_numpy()
        value = pd.to_numeric(text.where(~empty, "0"), errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(value)
        if kind == INT or kind == BOOL:
            bad |= np.isfinite(value) & (value != np.round(value))
        if kind == BOOL:
            bad |= np.isfinite(value) & ~np.isin(value, (0.0, 1.0))
        problems = [(bad, f"is not a{'n' if kind == INT else ''} {kind}")]
        if not _may_be_empty(path.name, column):
            problems.insert(0, (empty, "is empty"))
        for mask, what in problems:
            if mask.any():
                raise _line_error(path, column, f"at line {int(np.flatnonzero(mask)[0]) + 2}", what)


def check_layer_values(path: Path, frame: pd.DataFrame) -> None:
    """Refuse a layer whose columns of :data:`~cadastre.results.contract.COLUMN_TYPES` hold text where numbers
    belong, or NaN where the contract wants a value.

    Raises
    ------
    InputFileError
        One line naming the file, the column and the feature (counted from 1).
    """
    for column in frame.columns:
        kind = COLUMN_TYPES.get(column)
        if kind in (None, TEXT):
            continue
        values = frame[column]
        missing = values.isna().to_numpy()
        if not pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
            known = values[~missing]
            ok = known.map(lambda v: isinstance(v, bool | int | float | np.number | np.bool_)).to_numpy()
            if not ok.all():
                where = f"in feature {int(np.flatnonzero(~missing)[np.flatnonzero(~ok)[0]]) + 1}"
                raise _line_error(path, column, where, f"holds text where a{'n' if kind == INT else ''} {kind} "
                                  "belongs")
        if missing.any() and not _may_be_empty(path.name, column):
            where = f"in {int(missing.sum())} of {len(values)} features (the first: {int(np.flatnonzero(missing)[0]) + 1})"
            raise _line_error(path, column, where, "is empty (NaN)")


def read_layer(path: Path, *, required: tuple[str, ...] | None = None, **options) -> gpd.GeoDataFrame:
    """The layer of a GeoPackage of the folder (:data:`~cadastre.results.contract.LAYERS`), with ``building_id``
    as text, checked against the contract.

    ``required``: the columns the caller needs (default: :data:`~cadastre.results.contract.REQUIRED_COLUMNS` of
    the file, and the ``columns`` asked); ``options`` go to :func:`pyogrio.read_dataframe` (``where``, ``bbox``,
    ``columns``...).

    Raises
    ------
    InputFileError
        The file is missing or unreadable, has not the layer, lacks a required column, or holds a value of
        another type (:func:`check_layer_values`).
    """
    if not path.is_file():
        raise InputFileError(f"{path}: missing; {NOT_A_FOLDER}")
    layer = LAYERS.get(path.name, path.stem)
    try:
        fields = list(pyogrio.read_info(path, layer=layer)["fields"])
    except pyogrio.errors.DataLayerError:
        raise InputFileError(f"{path}: no layer '{layer}'; {RERUN}") from None
    except (pyogrio.errors.DataSourceError, OSError):
        raise InputFileError(f"{path}: not a GeoPackage GDAL can read; {RERUN}") from None
    if required is None:
        required = REQUIRED_COLUMNS.get(path.name, ())
    check_columns(path, fields, (*required, *(options.get("columns") or ())))
    try:
        frame = pyogrio.read_dataframe(path, layer=layer, **options)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, pyogrio.errors.FieldError,
            OSError) as exc:
        raise InputFileError(f"{path}: cannot read it ({str(exc).splitlines()[0][:120]}); {RERUN}") from None
    check_layer_values(path, frame)
    if "building_id" in frame:
        frame["building_id"] = frame["building_id"].astype(str)
    return frame


def resolve(folder: Path, value) -> Path | None:
    """A path recorded in the metadata (absolute, or relative to the folder) if it exists, else None."""
    if not value or not isinstance(value, str | os.PathLike):
        return None
    path = Path(value)
    if not path.is_absolute():
        path = folder / path
    return path if path.exists() else None


def read_table(path: Path, *, required: tuple[str, ...] | None = None) -> pd.DataFrame:
    """A CSV table of the folder as text (empty fields as ``""``, never NaN), checked against the contract.

    ``required``: the columns the caller needs (default: :data:`~cadastre.results.contract.REQUIRED_COLUMNS` of
    the file).

    Raises
    ------
    InputFileError
        The file is missing or unreadable, lacks a required column, or holds a field of another type
        (:func:`check_table_values`).
    """
    if not path.is_file():
        raise InputFileError(f"{path}: missing; {NOT_A_FOLDER}")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{path}: not UTF-8 text (byte {exc.start}); {RERUN}") from None
    except pd.errors.EmptyDataError:
        raise InputFileError(f"{path}: empty; {RERUN}") from None
    except (OSError, ValueError) as exc:
        raise InputFileError(f"{path}: not a readable CSV table ({type(exc).__name__}); {RERUN}") from None
    check_columns(path, frame.columns, REQUIRED_COLUMNS.get(path.name, ()) if required is None else required)
    if path.name in TABLES or path.name in MONTHLY_TABLES:  # the contract's tables (another CSV, such as
        check_table_values(path, frame)  # qualification.csv, has its own columns)
    return frame


def check_folder(folder: Path) -> Path:
    """``folder`` if it holds every file of a result set (:data:`RESULT_TABLES`).

    Raises
    ------
    InputFileError
        ``folder`` is not a folder, or one of the files is missing (the first one, named).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(f"{folder}: not a folder; {NOT_A_FOLDER}")
    for name in RESULT_TABLES:
        if not (folder / name).is_file():
            raise InputFileError(f"{folder / name}: missing; {NOT_A_FOLDER}")
    return folder


def read_results(folder: Path) -> ResultSet:
    """Every file of a result folder: layers with ``building_id`` as text, tables as text, metadata.

    Raises
    ------
    InputFileError
        Not a folder, a missing or unreadable file, or unreadable metadata.
    """
    folder = check_folder(folder)
    return ResultSet(
        folder=folder,
        roofs=read_layer(folder / ROOFS),
        buildings=read_layer(folder / BUILDINGS),
        communes=read_table(folder / COMMUNES),
        epci=read_table(folder / EPCI),
        territory=read_table(folder / TERRITORY),
        meta=read_meta(folder),
    )
