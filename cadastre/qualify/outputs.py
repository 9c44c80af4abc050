"""The files of ``cadastre qualify``, each written atomically (temporary name, then rename)."""

from __future__ import annotations

import json
from pathlib import Path

from cadastre.errors import OutputFileError
from cadastre.qualify.operation import HEADERS, QualifyResult
from cadastre.results.tables import write_table, write_workbook
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

    The HTML page (in ``lang``, French by default) is rendered before anything is written, so a
    failure leaves no new file behind.
    """
    from cadastre.qualify.html import render_html  # here: matplotlib costs 0.4 s at every start of the CLI

    out = check_outputs(out_dir, overwrite=overwrite)
    page = render_html(result, top=top, lang=lang)
    out.mkdir(exist_ok=True)
    table = result.table
    rows = table.drop(columns="geometry")
    write_table(rows, out / "qualification.csv", overwrite=overwrite)
    write_vector(table, out / "qualification.gpkg", overwrite=overwrite, layer="qualification")
    write_table(result.operation, out / "operation.csv", overwrite=overwrite)
    write_workbook({"qualification": rows, "operation": result.operation}, out / "qualification.xlsx",
                   headers=HEADERS, overwrite=overwrite)
    _write_text(out / "qualification.html", page)
    _write_text(out / "qualify.json", json.dumps(result.meta, indent=2, default=str) + "\n")
    _write_text(out / "qualify.toml", default_qualify_toml(result.config))
    return [out / name for name in OUTPUTS]
