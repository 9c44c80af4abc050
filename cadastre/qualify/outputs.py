"""The files of ``cadastre qualify``, written all or nothing (a staging folder moved into place)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from cadastre.errors import OutputFileError
from cadastre.qualify.operation import HEADERS, QualifyResult
from cadastre.results.tables import write_table, write_workbook
from cadastre.results.write import move_into_place, staging_path
from cadastre.qualify.config import default_qualify_toml
from rasters.footprints import write_vector
from rasters.io import atomic_path, check_output_folder

__all__ = ["OUTPUTS", "check_outputs", "write_qualification"]

#: Files written into OUT_DIR.
OUTPUTS = ("qualification.csv", "qualification.gpkg", "operation.csv", "qualification.xlsx", "qualification.html",
           "qualify.json", "qualify.toml")


def check_outputs(out_dir: str | Path, *, overwrite: bool = False) -> Path:
    """Check before any work that OUT_DIR can receive the outputs.

    Raises
    ------
    OutputFileError
        OUT_DIR is a file, its parent folder is missing, or an output exists
        and ``overwrite`` is false.
    """
    return check_output_folder(out_dir, OUTPUTS, overwrite=overwrite)


def _write_text(path: Path, text: str) -> None:
    try:
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
    except OSError as exc:
        message = exc.strerror or exc
        raise OutputFileError(f"{path}: cannot write it ({message}); check the disk and the folder") from exc


def write_qualification(result: QualifyResult, out_dir: str | Path, *, overwrite: bool = False,
                        top: int = 5, lang: str = "fr") -> list[Path]:
    """Write :data:`OUTPUTS` into ``out_dir`` (created if missing); return their paths.

    The HTML page (in ``lang``, French by default) is rendered before anything is written; the files
    are written into a staging folder on the same disk and moved into place at the end, so a failure
    (a full disk) leaves the previous set, or nothing, and no staging folder behind.
    """
    from cadastre.qualify.html import render_html  # here: matplotlib costs 0.4 s at every start of the CLI

    out = check_outputs(out_dir, overwrite=overwrite)
    page = render_html(result, top=top, lang=lang)
    table = result.table
    rows = table.drop(columns="geometry")
    staging = staging_path(out, "tmp")
    try:
        staging.mkdir()
        write_table(rows, staging / "qualification.csv")
        write_vector(table, staging / "qualification.gpkg", layer="qualification")
        write_table(result.operation, staging / "operation.csv")
        write_workbook({"qualification": rows, "operation": result.operation}, staging / "qualification.xlsx",
                       headers=HEADERS)
        _write_text(staging / "qualification.html", page)
        _write_text(staging / "qualify.json", json.dumps(result.meta, indent=2, default=str) + "\n")
        _write_text(staging / "qualify.toml", default_qualify_toml(result.config))
        move_into_place(staging, out, list(OUTPUTS))
    except OSError as exc:  # OutputFileError too: name the destination, not the staging folder
        cause = exc.__cause__ if isinstance(exc.__cause__, OSError) else exc
        raise OutputFileError(f"{out}: cannot write the qualification ({cause.strerror or cause}); check the disk "
                              "and the folder") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [out / name for name in OUTPUTS]
