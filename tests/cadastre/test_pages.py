"""The HTML pages (``cadastre.pages``): numbers, images, escaping, one stylesheet, self-contained pages.

Checks: numbers in French, English and ISO style against strings written by hand; PNG embedding;
a hostile commune name (report) and building name (qualification) shown as text, never as markup;
both pages carry exactly the shared stylesheet and every CSS class they use is styled there; a name
missing from a template's context is an error; no page loads anything from outside; every template
is declared as package data (so it ships in the wheel).
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import jinja2
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from report_scene import external_references, make_run

import cadastre
from cadastre.pages.images import data_uri, figure_png
from cadastre.pages.numbers import number
from cadastre.pages.rendering import render, stylesheet
from cadastre.qualify.config import QualifyConfig
from cadastre.qualify import html as qualify_html
from cadastre.qualify.html import render_html
from cadastre.qualify.operation import Profiles, QualifyResult, operation_table
from cadastre.report.data import find_commune, read_run
from cadastre.report.pages import render as render_report

HOSTILE = '<script>alert("x")</script> & <b>Co</b>'
NNBSP = "\u202f"


def visible_text(page: str) -> str:
    """The text of the page's body, entities decoded, whitespace collapsed (blocks are not separated)."""

    class Text(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.parts, self.hidden = [], 0

        def handle_starttag(self, tag, attrs):
            self.hidden += tag in ("head", "script", "style")

        def handle_endtag(self, tag):
            self.hidden -= tag in ("head", "script", "style")

        def handle_data(self, data):
            if not self.hidden:
                self.parts.append(data)

    parser = Text()
    parser.feed(page)
    return re.sub(r"[ \t\r\n]+", " ", "".join(parser.parts)).strip()  # U+202F is kept


def tags(page: str, name: str) -> int:
    """How many start tags ``name`` the page holds, as parsed (a ``<script>`` written as text is not one)."""
    found = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.extend([tag] if tag == name else [])

    Tags().feed(page)
    return len(found)


# --- numbers and images ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, decimals, style, expected", [
    (1234567.891, 2, "fr", f"1{NNBSP}234{NNBSP}567,89"),
    (1234567.891, 2, "en", "1,234,567.89"),
    (1234567.891, 2, "iso", f"1{NNBSP}234{NNBSP}567.89"),
    (-9876.54, 1, "fr", f"-9{NNBSP}876,5"),
    (2031.4, 0, "fr", f"2{NNBSP}031"),
    (5, 1, "fr", "5,0"),
    (999.96, 1, "en", "1,000.0"),
    ("0.185", 3, "fr", "0,185"),  # a value as written in a CSV
    (134400.0, 0, "iso", f"134{NNBSP}400"),
])
def test_number_styles(value, decimals, style, expected):
    assert number(value, decimals, style) == expected


def test_number_keeps_significant_digits_of_small_values():
    assert number(0.0123, 2, "fr", significant=2) == "0,012"
    assert number(0.00123, 3, "en", significant=2) == "0.0012"
    assert number(0.000001234, 0, "en", significant=2) == "0.000001"  # at most 6 decimals
    assert number(0.5, 2, "fr", significant=2) == "0,50"  # never fewer decimals than asked
    assert number(0.0, 2, "fr", significant=2) == "0,00"


def test_number_of_what_is_not_a_finite_number():
    assert number("n/a", 1, "fr") == "n/a"
    assert number(None, 1, "en") == "None"
    assert number(float("nan"), 1, "fr") == "–"
    assert number(float("-inf"), 0, "en") == "–"


def test_images_are_inline_png():
    assert data_uri(b"\x89PNG") == "data:image/png;base64,iVBORw=="
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    fig, ax = plt.subplots(figsize=(1, 1))
    ax.plot([0, 1], [0, 1])
    png = figure_png(fig, dpi=50)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and set(plt.get_fignums()) == before  # pyplot's figure closed
    assert figure_png(Figure(figsize=(1, 1)), dpi=50).startswith(b"\x89PNG")  # object API: nothing to close


# --- the two pages ----------------------------------------------------------------------------------------------------

def qualify_result() -> QualifyResult:
    """A hand-made qualification: a hostile building name ranked first, one row with a problem."""
    rows = [
        {"line": 2, "insee": "62001", "commune": "Ablain-Saint-Nazaire", "name": HOSTILE, "type": "school",
         "building_id": "7", "status": "ok", "kwp": 21.6, "mwh": 19.2, "self_consumption_rate": 0.81,
         "self_sufficiency": 0.16, "investment_eur": 34400.0, "payback_years": 10.6, "npv_eur": 6785.0,
         "lcoe_eur_kwh": 0.149, "co2_t": 1.0, "score": 74.0, "verdict": "qualified", "rank": 1,
         "reasons": "payback 10.6 yr <= 12"},
        {"line": 3, "insee": "62001", "commune": "Ablain-Saint-Nazaire", "name": "Salle", "type": "gym",
         "building_id": "", "status": "error", "kwp": np.nan, "mwh": np.nan, "verdict": "not qualified",
         "rank": None, "reasons": "no building within 20 m"},
    ]
    frame = pd.DataFrame(rows)
    frame["rank"] = frame["rank"].astype("Int64")  # as cadastre.qualify.operation.rank writes it
    table = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([None, None]), crs="EPSG:2154")
    hours = np.arange(24)
    profiles = {2: Profiles(np.full(12, 1.6), np.full(12, 3.0), np.full(12, 1.2),
                            np.clip(np.sin((hours - 6) / 12 * np.pi), 0, None) * 8, np.full(24, 5.0))}
    meta = {"run": "run/buildings", "municipal": "municipal.csv", "weather": "data/tmy.csv", "sky": "perez",
            "albedo": 0.2, "errors": 1, "verdicts": {"qualified": 1, "to study": 0, "not qualified": 1}}
    return QualifyResult(table, operation_table(frame), profiles, meta, QualifyConfig())


@pytest.fixture(scope="module")
def qualification() -> str:
    return render_html(qualify_result(), lang="en")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return make_run(tmp_path_factory.mktemp("pages-run") / "buildings")


@pytest.fixture(scope="module")
def report(run_dir) -> str:
    """The French report of 62001 with a hostile commune name."""
    run = read_run(run_dir)
    row = find_commune(run, "62001").copy()
    row["commune"] = HOSTILE
    return render_report(run, row, kind="commune", lang="fr")[0]


@pytest.mark.slow
def test_hostile_building_name_stays_text(qualification):
    assert tags(qualification, "script") == tags(qualification, "b") == 0 and tags(qualification, "td") > 0
    assert "&lt;script&gt;" in qualification
    text = visible_text(qualification)
    assert text.count(HOSTILE) == 3  # the ranking's cell, the scenarios table's and the chart's caption
    assert f"#1 {HOSTILE} (Ablain-Saint-Nazaire): 21.6 kWp: monthly energies" in text
    assert 'alt="#1 &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;Co&lt;/b&gt;' in qualification
    assert "payback 10.6 yr <= 12" in text and "inf" not in text.split()


@pytest.mark.slow
def test_hostile_commune_name_stays_text(report):
    assert tags(report, "script") == tags(report, "b") == 0 and tags(report, "h1") == 1
    title = re.search(r"<title>(.*?)</title>", report, re.S).group(1)
    assert "<" not in title and "&lt;script&gt;" in title
    assert f"Potentiel solaire des toitures — {HOSTILE}" in visible_text(report)


def page_classes(page: str) -> set[str]:
    return {name for value in re.findall(r'class="([^"]*)"', page) for name in value.split()}


@pytest.mark.parametrize("which", ["qualification", pytest.param("report", marks=pytest.mark.slow)])
def test_pages_carry_the_one_stylesheet(which, request):
    page = request.getfixturevalue(which)
    sheet = (Path(cadastre.__file__).parent / "pages" / "templates" / "style.css").read_text(encoding="utf-8")
    assert stylesheet() == sheet
    styles = re.findall(r"<style>(.*?)</style>", page, re.S)
    assert len(styles) == 1 and styles[0].strip() == sheet.strip()
    assert 'style="' not in page  # no inline style besides the sheet
    missing = {c for c in page_classes(page) if not re.search(rf"\.{re.escape(c)}\b", sheet)}
    assert not missing, missing  # every class the page uses is styled by the sheet
    assert page.startswith("<!DOCTYPE html>\n") and '<header id="header">' in page and page.count("<h1>") == 1


@pytest.mark.parametrize("which", ["qualification", pytest.param("report", marks=pytest.mark.slow)])
def test_pages_load_nothing_from_outside(which, request):
    page = request.getfixturevalue(which)
    assert external_references(page) == []
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page, re.I)
    assert page.count('src="data:image/png;base64,') == (1 if which == "qualification" else 4)


def test_qualification_keeps_its_numbers_and_words(qualification):
    text = visible_text(qualification)
    assert "2 rows: 1 qualified, 0 to study, 1 not qualified (of which 1 row with a problem)." in text
    # 21.6 kWp qualified = 0.022 MWp (3 decimals); 19.2 MWh/yr shown without decimals; € grouped by thin spaces
    assert f"Qualified buildings: 0.022 MWp, 19 MWh/yr, investment 34{NNBSP}400 €; to study: 0.000 MWp, 0 €." \
        in text
    assert "Run's sky model: perez; albedo 0.2." in text
    assert "Cadastre: run/buildings · buildings: municipal.csv · weather: tmy.csv" in text
    assert re.search(r'<td class="qualified">qualified</td>', qualification)


@pytest.mark.slow
def test_a_name_missing_from_the_context_is_an_error(monkeypatch):
    with pytest.raises(jinja2.UndefinedError, match="'lang' is undefined"):
        render("cadastre.pages", "layout.html.j2")  # a lenient environment would write lang=""
    real = qualify_html.render

    def without_sky(package, template, **context):
        del context["sky"]
        return real(package, template, **context)

    monkeypatch.setattr(qualify_html, "render", without_sky)
    with pytest.raises(jinja2.UndefinedError, match="'sky' is undefined"):
        render_html(qualify_result(), lang="en")


def test_every_template_ships_as_package_data():
    root = Path(cadastre.__file__).parent
    pyproject = tomllib.loads((root.parent / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["cadastre"]
    templates = sorted(p.relative_to(root).as_posix() for p in root.glob("*/templates/*") if p.is_file())
    assert {"pages/templates/layout.html.j2", "pages/templates/helpers.html.j2", "pages/templates/style.css",
            "report/templates/report.html.j2", "qualify/templates/qualification.html.j2"} <= set(templates)
    assert [t for t in templates if not any(fnmatch.fnmatch(t, p) for p in patterns)] == []


def test_wide_tables_fit_the_printed_page(qualification):
    """The qualification's wide tables print on A4 landscape, smaller, with long text columns wrapped."""
    sheet = stylesheet()
    print_rules = sheet[sheet.index("@media print"):]
    assert re.search(r"@page wide\{size:A4 landscape", sheet) and "body.wide{page:wide" in print_rules
    assert "div.table{overflow:visible}" in print_rules  # nothing hidden behind a scroll bar on paper
    assert re.search(r"body\.wide table\{font-size:[0-9.]+pt\}", print_rules)
    assert '<body class="wide">' in qualification
    ranking = re.search(r'<table data-key="ranking">.*?</table>', qualification, re.S).group(0)
    assert ranking.count('<td class="long">') == 1  # the reasons of the ranked row wrap in a column of its own
