"""The monthly production of the commune and EPCI reports (``cadastre.report.pages``, ``docs/report.md``).

The folder is :func:`report_scene.make_run` (written by the test, no engine run) plus the monthly tables
``communes_monthly.csv`` and ``epci_monthly.csv``, split from the annual ``gwh_gross`` by fixed shares.
Checks: the chart's table holds the CSV's values as written and its months sum to the annual key figure;
French and English month labels; a folder without monthly tables (older engine) gives a report without
the section; a table without a month of the area, or with text in a number column, is refused in one line.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from report_scene import key_figures, make_run

from cadastre.errors import InputFileError
from cadastre.report.pages import write_report

SHARES = np.array([2, 3, 6, 9, 11, 12, 13, 12, 10, 7, 3, 2], float) / 90.0
"""Share of each month of the annual production in the test tables (sum 1)."""


def add_monthly(folder, *, epci: bool = True):
    """Write communes_monthly.csv (and epci_monthly.csv) from the annual tables, rounded as the engine writes."""
    for name, key, label in (("communes", "insee", "commune"), ("epci", "epci_siren", "epci"))[: 2 if epci else 1]:
        table = pd.read_csv(folder / f"{name}.csv", dtype={"insee": str, "epci_siren": str})
        rows = [{key: r[key], label: r[label], "month": m + 1, "gwh_gross": round(r["gwh_gross"] * s, 6),
                 "gwh_net": round(r["gwh_net"] * s, 6)} for _, r in table.iterrows() for m, s in enumerate(SHARES)]
        pd.DataFrame(rows).to_csv(folder / f"{name}_monthly.csv", index=False)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    folder = make_run(tmp_path_factory.mktemp("monthly-run") / "buildings")
    add_monthly(folder)
    return folder


def monthly_cells(text: str) -> dict[int, tuple[str, str]]:
    """Month -> (gwh_gross as written, value shown) of a report's monthly table."""
    return {int(m): (raw, shown) for m, raw, shown in
            re.findall(r'data-month="(\d+)" data-gwh="([^"]*)">([^<]*)<', text)}


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_commune_chart_holds_the_monthly_table_and_sums_to_the_annual_figure(run_dir, tmp_path):
    out = write_report(run_dir, tmp_path / "r.html", commune="62001")
    text = out.read_text(encoding="utf-8")
    cells = monthly_cells(text)
    table = pd.read_csv(run_dir / "communes_monthly.csv", dtype=str, keep_default_na=False)
    written = table[table["insee"] == "62001"].sort_values("month", key=lambda m: m.astype(int))
    assert [cells[m][0] for m in range(1, 13)] == list(written["gwh_gross"])
    annual = float(key_figures(text)["gwh_gross"][0])
    assert sum(float(cells[m][0]) for m in range(1, 13)) == pytest.approx(annual, abs=12 * 5e-7)
    assert 'id="monthly-chart"' in text and "data:image/png;base64," in text
    assert "janv." in text and "févr." in text and "déc." in text
    assert "10 bâtiments analysés de la commune" in text and "« pvgis.csv »" in text
    unit = re.search(r'data-key="monthly" data-unit="(\w+)"', text).group(1)
    factor = 1000.0 if unit == "MWh" else 1.0
    for m in range(1, 13):  # shown as the value written, in the unit of the table
        shown = float(cells[m][1].replace("\u202f", "").replace(",", "."))
        assert shown == pytest.approx(float(cells[m][0]) * factor, rel=0.06), m


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_epci_chart_in_english(run_dir, tmp_path):
    siren = pd.read_csv(run_dir / "epci.csv", dtype=str)["epci_siren"].iloc[0]
    text = write_report(run_dir, tmp_path / "e.html", epci=siren, lang="en").read_text(encoding="utf-8")
    cells = monthly_cells(text)
    table = pd.read_csv(run_dir / "epci_monthly.csv", dtype=str, keep_default_na=False)
    assert [cells[m][0] for m in range(1, 13)] == list(table.loc[table["epci_siren"] == siren, "gwh_gross"])
    annual = float(key_figures(text)["gwh_gross"][0])
    assert sum(float(v) for v, _ in cells.values()) == pytest.approx(annual, abs=12 * 5e-7)
    assert ">Jan<" in text and ">Dec<" in text and "janv." not in text
    assert "Production month by month" in text and "buildings analysed in the EPCI" in text


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_folder_without_monthly_tables_has_no_monthly_section(tmp_path):
    folder = make_run(tmp_path / "old")
    text = write_report(folder, tmp_path / "r.html", commune="62001").read_text(encoding="utf-8")
    assert 'id="monthly"' not in text and "data-month" not in text
    assert 'id="map"' in text


@pytest.mark.parametrize(("edit", "needle"), [
    (lambda t: t[~((t["insee"] == "62001") & (t["month"] == "7"))], "has months"),
    (lambda t: t.assign(gwh_gross=t["gwh_gross"].where(t.index != 3, "abc")), "column 'gwh_gross'"),
    (lambda t: t.drop(columns="gwh_gross"), "no 'gwh_gross' column"),
])
def test_a_bad_monthly_table_is_refused_in_one_line(tmp_path, edit, needle):
    folder = make_run(tmp_path / "bad")
    add_monthly(folder, epci=False)
    path = folder / "communes_monthly.csv"
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table["insee"] = table["insee"].str.zfill(5)
    edit(table).to_csv(path, index=False)
    with pytest.raises(InputFileError) as err:
        write_report(folder, tmp_path / "r.html", commune="62001")
    message = str(err.value)
    assert "\n" not in message and "communes_monthly.csv" in message and needle in message
    assert not (tmp_path / "r.html").exists()
