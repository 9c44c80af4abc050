"""Writing the tables of every output folder: CSV for machines, one ``.xlsx`` workbook for people.

Every writer of a table (the result sets, ``cadastre qualify``, ``cadastre report``) goes through
this module, so that all tables follow the same rules:

- **Rounding** to a meaningful precision by column (:func:`decimals`): energy in MWh to
  3 decimals (1 kWh), power in kWp to 2, areas in m² to 1 (in km² to 6), ratios to 4, coordinates and distances
  in metres to 2, euros to 2; another float column keeps 6 significant digits, unless it
  holds whole numbers only (a code or a count stored as floats), kept as they are.
- **Neutralised text**: a text cell that begins with ``=``, ``+``, ``-`` or ``@`` is prefixed with
  ``'`` (:func:`neutralise`), so that a spreadsheet never reads it as a formula (a building named
  ``=HYPERLINK(...)`` stays a name).
- **CSV** (:func:`write_table`): UTF-8, comma-separated, decimal point, NA as an empty field, the
  column names as they are (machine-friendly).
- **Workbook** (:func:`write_workbook`): one sheet per table, headers in French with their units
  (:data:`cadastre.results.contract.HEADERS`, or the writer's own), numbers as numbers with a
  number format of the column's decimals (a French Excel shows them with its decimal comma),
  the header row frozen and filtered.

Every file is written atomically (a temporary name, then a rename).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from cadastre.errors import OutputFileError
from cadastre.results.contract import HEADERS
from rasters.io import atomic_path, check_output_path

__all__ = ["DANGEROUS", "decimals", "neutralise", "prepare", "write_table", "write_workbook"]

#: First characters that make a spreadsheet read a text cell as a formula.
DANGEROUS = ("=", "+", "-", "@")

#: Decimals of the columns named exactly so.
_EXACT = {
    "kwp": 2, "kwp_net": 2, "roof_kwp": 2, "ac_kw": 2, "mwh": 3, "mwh_net": 3, "specific_yield": 1,
    "irradiation": 1, "usable_irradiation": 1, "poa_unshaded": 1, "tilt": 1, "azimuth": 1, "x": 2, "y": 2,
    "lon": 6, "lat": 6, "payback_years": 2, "lcoe_eur_kwh": 4, "score": 1, "seconds": 1,
    "thermal_gwh": 6, "thermal_yield": 1, "dwellings": 1,
}
#: Decimals by the end of a column's name (unit), then by its beginning; the first that fits wins.
_SUFFIXES = (("_m2", 1), ("_km2", 6), ("_mwh", 3), ("_kwh", 3), ("_kwp", 2), ("_kw", 2), ("_kva", 2), ("_eur", 2),
             ("_ratio", 4), ("_rate", 4), ("_share", 4), ("_fraction", 4), ("_m", 2), ("_t", 3), ("_years", 2))
_PREFIXES = (("mwp", 5), ("gwh", 6), ("mwh", 3), ("score_", 4), ("share", 4), ("coverage", 4), ("fraction", 4),
             ("self_", 4))
#: Significant digits kept in a float column that no rule names.
SIGNIFICANT = 6


def decimals(column: str) -> int | None:
    """Decimals a float column is rounded to (module docstring); None: :data:`SIGNIFICANT` digits."""
    if column in _EXACT:
        return _EXACT[column]
    for end, digits in _SUFFIXES:
        if column.endswith(end):
            return digits
    for start, digits in _PREFIXES:
        if column.startswith(start):
            return digits
    return None


def neutralise(value: object) -> object:
    """``value`` with a leading ``'`` when it is text that begins as a formula; anything else as given."""
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


def _significant(values: pd.Series, digits: int = SIGNIFICANT) -> pd.Series:
    def one(x: float) -> float:
        if not math.isfinite(x) or x == 0.0:
            return x
        return round(x, digits - 1 - math.floor(math.log10(abs(x))))

    return values.map(one, na_action="ignore")


def _integral(values: pd.Series) -> bool:
    finite = values[np.isfinite(values)]
    return bool((finite == np.round(finite)).all())


def prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with its float columns rounded (:func:`decimals`) and its text neutralised."""
    out = pd.DataFrame(frame).copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_float_dtype(values):
            digits = decimals(str(column))
            if digits is not None:
                out[column] = values.round(digits)
            elif not _integral(values):  # codes and counts stored as floats (a SIREN, a population) stay whole
                out[column] = _significant(values)
        elif pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values):
            out[column] = values.map(neutralise, na_action="ignore")
    return out


def write_table(frame: pd.DataFrame, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write ``frame`` as CSV (UTF-8, comma, decimal point, NA empty), rounded and neutralised, atomically.

    Raises
    ------
    OutputFileError
        The folder is missing or not writable, or the file exists and ``overwrite`` is false.
    """
    out = check_output_path(path, overwrite=overwrite)
    table = prepare(frame)
    try:
        with atomic_path(out) as tmp:
            table.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
    except OSError as exc:
        raise OutputFileError(f"{out}: cannot write it ({exc.strerror or exc}); check the disk and the folder") from exc
    return out


def _number_format(digits: int | None) -> str:
    if digits is None:
        return "General"
    return "#,##0" + ("." + "0" * digits if digits else "")


def _cell(value: object) -> object:
    """A value as openpyxl writes it: None for a missing value, Python numbers, text as is."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else (float(value) if math.isfinite(value) else str(value))
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    return str(value)


def write_workbook(sheets: Mapping[str, pd.DataFrame], path: str | os.PathLike, *,
                   headers: Mapping[str, str] | None = None, overwrite: bool = False) -> Path:
    """Write the tables as one ``.xlsx`` workbook: one sheet per table, in the order given.

    Parameters
    ----------
    sheets : mapping
        Sheet name (at most 31 characters) -> table.
    path : path-like
        The workbook.
    headers : mapping, optional
        Column -> header shown (French, with its unit); completes :data:`HEADERS`. A column
        that neither names keeps its name.
    overwrite : bool
        Replace an existing file.

    Raises
    ------
    OutputFileError
        As :func:`write_table`.
    """
    from openpyxl import Workbook  # here: only the writers of tables pay for its import
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    out = check_output_path(path, overwrite=overwrite)
    names = {**HEADERS, **(headers or {})}
    book = Workbook()
    book.remove(book.active)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="EEF1F6")
    for name, frame in sheets.items():
        sheet = book.create_sheet(title=name[:31])
        table = prepare(frame)
        columns = [str(c) for c in table.columns]
        sheet.append([names.get(c, c) for c in columns])
        for cell in sheet[1]:
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in table.itertuples(index=False, name=None):
            sheet.append([_cell(v) for v in row])
        for k, column in enumerate(columns, start=1):
            letter = get_column_letter(k)
            if pd.api.types.is_float_dtype(table[column]):
                fmt = _number_format(decimals(column))
                for (cell,) in sheet.iter_rows(min_row=2, min_col=k, max_col=k):
                    cell.number_format = fmt
            width = max([len(str(names.get(column, column)))] + [len(str(v)) for v in table[column].head(200)])
            sheet.column_dimensions[letter].width = min(max(width * 0.9 + 2, 8), 45)
        sheet.freeze_panes = "A2"
        if columns:
            sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(table) + 1, 1)}"
    try:
        with atomic_path(out, ".xlsx") as tmp:
            book.save(tmp)
    except OSError as exc:
        raise OutputFileError(f"{out}: cannot write it ({exc.strerror or exc}); check the disk and the folder") from exc
    return out
