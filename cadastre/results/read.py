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
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from cadastre.errors import InputFileError
from cadastre.results.contract import (BUILDINGS, COMMUNES, EPCI, LAYERS, META_FILES, RESULT_TABLES, ROOFS, RUN_META,
                                       TABLES, TERRITORY)

NOT_A_FOLDER = "give the output folder of `cadastre buildings` or `cadastre run`"


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

    A ``run.json`` is checked (:func:`check_run`).

    Raises
    ------
    InputFileError
        The file is there but not readable JSON; or the run is incomplete, or its tables are not the
        ones it wrote.
    """
    path = meta_path(folder)
    if path is None:
        return None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputFileError(f"{path}: not readable JSON ({exc}); rerun the cadastre") from None
    if path.name == RUN_META:
        check_run(Path(folder), meta)
    return meta


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
    """What ``run.json`` records of the tables a run wrote (:data:`RESULT_TABLES`), for :func:`check_run`.

    Per file name: ``rows`` (features of a GeoPackage, rows of a CSV) and, for the CSV tables,
    ``sha256``.
    """
    record = {}
    for name in RESULT_TABLES:
        path = Path(folder) / name
        record[name] = {"rows": _rows(path), **({"sha256": _sha256(path)} if name in TABLES else {})}
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
        path = folder / name
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


def read_layer(path: Path, **options) -> gpd.GeoDataFrame:
    """A GeoPackage layer of the folder with ``building_id`` as text.

    ``options`` go to :func:`pyogrio.read_dataframe` (``where``, ``bbox``, ``columns``...).

    Raises
    ------
    InputFileError
        The file is missing or unreadable, or has no ``building_id`` column.
    """
    if not path.is_file():
        raise InputFileError(f"{path}: missing; {NOT_A_FOLDER}")
    try:
        frame = pyogrio.read_dataframe(path, **options)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, pyogrio.errors.FieldError,
            OSError) as exc:
        raise InputFileError(f"{path}: cannot read it ({str(exc).splitlines()[0]}); rerun the cadastre") from None
    if "building_id" not in frame:
        raise InputFileError(f"{path}: no building_id column; {NOT_A_FOLDER}")
    frame["building_id"] = frame["building_id"].astype(str)
    return frame


def resolve(folder: Path, value) -> Path | None:
    """A path recorded in the metadata (absolute, or relative to the folder) if it exists, else None."""
    if not value:
        return None
    path = Path(value)
    if not path.is_absolute():
        path = folder / path
    return path if path.exists() else None


def read_table(path: Path) -> pd.DataFrame:
    """A CSV table of the folder as text (empty fields as ``""``, never NaN).

    Raises
    ------
    InputFileError
        The file is missing or unreadable.
    """
    if not path.is_file():
        raise InputFileError(f"{path}: missing; {NOT_A_FOLDER}")
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path}: cannot read it ({exc}); rerun the cadastre") from exc


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
