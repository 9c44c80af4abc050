"""A report of a commune that the data covers only in part says so, and its map shows the covered area.

The engine folder of ``test_report_parameters`` (a few houses on a 50 x 60 m DSM in a commune of
several km²): ``communes.csv`` gives its covered share, and the report prints it in the sentence
"ce calcul couvre N % de la surface de la commune" (English with ``--lang en``).
"""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest
from helpers import cli_runner
from test_report_parameters import folder  # noqa: F401  (the shared engine folder)

from cadastre.report import charts
from cadastre.report.data import boundary, read_run
from cadastre.report.pages import coverage_note, main_commune
from cli.main import app


def _report(folder, tmp_path, lang):  # noqa: F811
    insee = main_commune(folder)
    out = tmp_path / f"r-{lang}.html"
    result = cli_runner().invoke(app, ["report", str(folder), "--commune", insee, "-o", str(out), "--lang", lang])
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    row = pd.read_csv(folder / "communes.csv", dtype={"insee": str}).set_index("insee").loc[insee]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", out.read_text(encoding="utf-8"))).split()), row


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_partly_covered_commune_says_so_in_french(folder, tmp_path):  # noqa: F811
    text, row = _report(folder, tmp_path, "fr")
    assert 0 < row["covered_share"] < 0.01  # a 50 x 60 m DSM in a commune of several km²
    assert row["area_km2"] > 1 and row["covered_km2"] == pytest.approx(0.003, rel=1e-6)
    pct = f"{100 * row['covered_share']:.2f}".replace(".", ",")
    assert f"Ce calcul couvre {pct} % de la surface de la commune" in text, text[:3000]
    assert f"{row['footprints_with_data']} de ses {row['footprints']} bâtiments" in text


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_partly_covered_commune_says_so_in_english(folder, tmp_path):  # noqa: F811
    text, row = _report(folder, tmp_path, "en")
    pct = f"{100 * row['covered_share']:.2f}"
    assert f"This computation covers {pct} % of the commune's area" in text


def test_no_sentence_when_the_commune_is_covered():
    assert coverage_note(pd.Series({"covered_share": "0.999", "covered_km2": "1", "area_km2": "1"})) is None
    assert coverage_note(pd.Series({"buildings": "3"})) is None  # a table without coverage columns
    assert coverage_note(pd.Series({"covered_share": "0.12", "covered_km2": "1.2", "area_km2": "10"})).startswith(
        "Ce calcul couvre 12 % de la surface de la commune")


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_map_draws_the_covered_area(folder):  # noqa: F811
    run = read_run(folder)
    insee = main_commune(folder)
    covered = run.covered([insee])
    assert covered is not None and len(covered) == 1
    assert covered["covered_m2"].iloc[0] == pytest.approx(3000.0)
    _buildings, roofs = run.area([insee])
    area = boundary(run, [insee])
    assert charts.roof_map(roofs, area, covered=covered) != charts.roof_map(roofs, area)
