"""Reading a finished cadastre's folder (docs/run-dir.md): metadata, layers, codes and paths.

Shared by ``cadastre report`` (:mod:`cadastre.report.data`) and ``cadastre qualify``
(:mod:`cadastre.qualify.operation`), which both accept the output folder of ``cadastre buildings`` and a
``cadastre run`` RUN_DIR.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from cadastre.errors import InputFileError

NOT_A_FOLDER = "give the output folder of `cadastre buildings` or `cadastre run`"
META_FILES = ("run.json", "buildings.json")
"""The metadata of a run folder, else of a ``cadastre buildings`` folder (first found wins)."""


def insee_code(value) -> str:
    """An INSEE code as text of 5 characters (a numeric code written without its leading zero gets it back;
    empty for a missing value)."""
    text = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value).strip()
    return text.zfill(5) if text.isdigit() else text


def meta_path(folder: Path) -> Path | None:
    """The folder's metadata file (:data:`META_FILES`), None when it has none."""
    return next((folder / name for name in META_FILES if (folder / name).is_file()), None)


def read_meta(folder: Path) -> dict | None:
    """The folder's metadata (``run.json``, else ``buildings.json``), None when it has neither.

    Raises
    ------
    InputFileError
        The file is there but not readable JSON.
    """
    path = meta_path(folder)
    if path is None:
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputFileError(f"{path}: not readable JSON ({exc}); rerun the cadastre") from None


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
