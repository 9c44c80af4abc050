"""Commune and EPCI reports (``cadastre.report.pages``, ``docs/report.md``) from a synthetic result folder.

The folder (``report_scene.make_run``) is written by the test, not by the engine: 18 buildings of
known figures in two communes of the CA de Lens - Liévin, one commune listed without building.
Checks: key figures in the HTML equal communes.csv / epci.csv as written (value and display),
the derived household and share figures, every section, nothing referenced outside the page,
the top table against buildings.gpkg, the municipal table (tolerant to the columns present),
unknown and empty communes as errors that write nothing, a failure halfway through ``write_all``
that leaves nothing, English, EPCI pages, the index and its list of communes without data.
"""

from __future__ import annotations

import hashlib

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from report_scene import (
    COMMUNES,
    EMPTY,
    SECTIONS,
    external_references,
    key_figures,
    make_run,
    shown_number,
    table_rows,
)

from cadastre.report import pages as report_module
from cadastre.areas.aggregate import pma_table
from cadastre.errors import InputFileError, OptionError, OutputFileError
from cadastre.report.pages import FIGURES, HOUSEHOLD_MWH, main_commune, write_all, write_report
from cadastre.report.charts import map_classes, sector

pytestmark = pytest.mark.slow  # reports of whole result folders: left out of `make test-fast`

SIREN = pma_table().loc["62001", "epci_siren"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return make_run(tmp_path_factory.mktemp("report-run") / "buildings")


@pytest.fixture(scope="module")
def report(run_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "ablain.html"
    write_report(run_dir, out, commune="62001")
    return out, out.read_text(encoding="utf-8")


def csv_row(path, key, code) -> pd.Series:
    return pd.read_csv(path, dtype=str, keep_default_na=False).set_index(key).loc[code]


def assert_figures_equal_row(text: str, row: pd.Series, territory_net: float, lang: str) -> None:
    """Every key figure: data-value is the CSV text, the shown number is the CSV number rounded."""
    figures = key_figures(text)
    for key, decimals in FIGURES.items():
        value, shown = figures[key]
        assert value == row[key], key
        expected = float(row[key])
        assert shown_number(shown, lang) == pytest.approx(expected, abs=0.5 * 10.0 ** -decimals), (key, shown)
    net = float(row["gwh_net"])
    assert float(figures["households"][0]) == pytest.approx(net * 1000 / HOUSEHOLD_MWH, abs=0.5)
    assert float(figures["share"][0]) == pytest.approx(100 * net / territory_net, abs=0.006)


def test_key_figures_equal_the_communes_table(run_dir, report):
    _, text = report
    territory = pd.read_csv(run_dir / "territory.csv")["gwh_net"].iloc[0]
    assert_figures_equal_row(text, csv_row(run_dir / "communes.csv", "insee", "62001"), territory, "fr")
    assert 'lang="fr"' in text and "Chiffres clés" in text and "5,0 MWh/an" in text


def test_every_section_is_present(run_dir, report):
    _, text = report
    run_id = hashlib.sha256((run_dir / "buildings.json").read_bytes()).hexdigest()[:12]  # no run id in the folder
    for ident in SECTIONS:
        assert f'<section id="{ident}">' in text or f'<header id="{ident}">' in text, ident
    assert text.count('src="data:image/png;base64,') == 4  # map + 3 charts
    assert 'id="roof-map"' in text
    header = text[text.index('<header id="header">'):text.index("</header>")]
    for needle in ("Ablain-Saint-Nazaire", "62001", "CA de Lens", SIREN, "1\u202f966", run_id):
        assert needle in header, needle  # name, INSEE, EPCI, population of the shipped table, run id
    assert "@media print" in text and "size:A4" in text


def test_the_page_references_nothing_outside_itself(report):
    _, text = report
    assert external_references(text) == []
    probe = '<img src="map.png"><a href="https://x.org">x</a><link rel="stylesheet" href="//cdn.x.org/a.css">'
    assert len(external_references(probe)) >= 4  # the check itself sees each kind of reference


def test_top_table_is_the_best_buildings_as_written(run_dir, report):
    _, text = report
    rows = table_rows(text, "top-roofs")
    buildings = gpd.read_file(run_dir / "buildings.gpkg")
    expected = buildings[(buildings["insee"] == "62001") & (buildings["mwh"] > 0)].sort_values("mwh", ascending=False)
    assert [r[0] for r in rows] == list(expected["building_id"].astype(str))[:20]
    for cells, (_, b) in zip(rows, expected.iterrows(), strict=True):
        assert shown_number(cells[3], "fr") == pytest.approx(b["mwh"], abs=0.05)
        assert shown_number(cells[2], "fr") == pytest.approx(b["kwp"], abs=0.05)
        assert cells[4] == str(b["class"])


def test_top_table_leaves_out_buildings_that_produce_nothing():
    """A footprint without LiDAR data (or without a suitable face) has 0 MWh: it is no 'best building'."""
    from cadastre.report.html import TEXT

    buildings = pd.DataFrame({"building_id": ["a", "b", "c", "d"], "usable_area_m2": [50.0, 0.0, 120.0, 0.0],
                              "kwp": [7.5, 0.0, 18.0, 0.0], "mwh": [6.4, 0.0, 15.2, np.nan], "class": [3, 0, 4, 0]})
    table = report_module._top_table(buildings, TEXT["fr"], "fr")
    assert [row[0][0] for row in table.rows] == ["c", "a"]


def test_buildings_written_beside_the_html(report):
    out, _ = report
    csv = pd.read_csv(out.with_name("ablain-buildings.csv"), dtype={"insee": str})
    gpkg = gpd.read_file(out.with_name("ablain-buildings.gpkg"))
    assert len(csv) == len(gpkg) == COMMUNES["62001"]
    assert set(csv["insee"]) == {"62001"}


def test_buildings_workbook_beside_the_html(report):
    """The area's buildings also as a workbook: the CSV's rows, French headers with units, numbers as numbers."""
    from openpyxl import load_workbook

    out, _ = report
    csv = pd.read_csv(out.with_name("ablain-buildings.csv"), dtype={"insee": str, "building_id": str})
    book = load_workbook(out.with_name("ablain-buildings.xlsx"))
    assert book.sheetnames == ["buildings"]
    rows = list(book["buildings"].values)
    headers, body = rows[0], rows[1:]
    assert len(body) == len(csv) == COMMUNES["62001"]
    assert "Production (MWh/an)" in headers and "Puissance (kWc)" in headers and "Code INSEE" in headers
    mwh = [row[headers.index("Production (MWh/an)")] for row in body]
    assert all(isinstance(v, float | int) and not isinstance(v, bool) for v in mwh)  # numbers, not text
    np.testing.assert_allclose(mwh, csv["mwh"], atol=1e-9)  # the CSV's rounded values
    assert {row[headers.index("Code INSEE")] for row in body} == {"62001"}


def test_no_qualification_says_so(report):
    assert 'data-key="no-qualification"' in report[1]


def write_qualification(folder, columns=None):
    """A qualification.csv in the columns promised by ``cadastre qualify``: two buildings of 62001, one of 62003."""
    (folder / "qualification").mkdir(exist_ok=True)
    path = folder / "qualification" / "qualification.csv"
    frame = pd.DataFrame([
        {"insee": "62001", "name": "Mairie <annexe>", "type": "mairie", "building_id": 5, "kwp": 8.0, "mwh": 7.9,
         "self_consumption_rate": 0.7, "payback_years": 11.0, "verdict": "à étudier", "rank": 2},
        {"insee": "62001", "name": "École Jules Ferry", "type": "école", "building_id": 3, "kwp": 12.5, "mwh": 13.1,
         "self_consumption_rate": 0.62, "payback_years": 9.5, "verdict": "favorable", "rank": 1},
        {"insee": "62003", "name": "Salle des sports", "type": "gymnase", "building_id": 12, "kwp": 30.0,
         "mwh": 29.0, "self_consumption_rate": 0.4, "payback_years": 12.0, "verdict": "favorable", "rank": 3},
    ])
    frame[columns or list(frame)].to_csv(path, index=False)
    return path


def test_municipal_buildings_of_the_commune_in_english(run_dir, tmp_path):
    qual = write_qualification(tmp_path)
    out = write_report(run_dir, tmp_path / "r.html", commune="ablain saint nazaire", lang="en",
                       qualification=qual.parent)
    text = out.read_text(encoding="utf-8")
    assert 'lang="en"' in text and "Key figures" in text and "Ablain-Saint-Nazaire" in text
    rows = table_rows(text, "municipal")
    assert [r[1] for r in rows] == ["École Jules Ferry", "Mairie &lt;annexe&gt;"]  # by rank, escaped, 62001 only
    assert rows[0] == ["1", "École Jules Ferry", "école", "3", "12.5", "13.1", "62", "9.5", "favorable"]
    territory = pd.read_csv(run_dir / "territory.csv")["gwh_net"].iloc[0]
    assert_figures_equal_row(text, csv_row(run_dir / "communes.csv", "insee", "62001"), territory, "en")


def test_municipal_table_shows_the_columns_that_exist(run_dir, tmp_path):
    folder = make_run(tmp_path / "copy")
    write_qualification(folder, columns=["name", "insee", "verdict"])  # found in RUN_DIR/qualification/
    text = write_report(folder, tmp_path / "r.html", commune="62003").read_text(encoding="utf-8")
    assert table_rows(text, "municipal") == [["Salle des sports", "favorable"]]
    text = write_report(folder, tmp_path / "s.html", commune="62001", lang="en").read_text(encoding="utf-8")
    assert "<th>Name</th><th>Verdict</th>" in text


def test_municipal_types_and_verdicts_in_the_report_language(run_dir, tmp_path):
    """The codes of qualification.csv (type, verdict) are shown as words of the page's language."""
    folder = tmp_path / "q"
    folder.mkdir()
    pd.DataFrame([
        {"insee": "62001", "name": "Groupe scolaire", "type": "school", "verdict": "to study", "rank": 2},
        {"insee": "62001", "name": "Hôtel de ville", "type": "town_hall", "verdict": "qualified", "rank": 1},
        {"insee": "62001", "name": "Ateliers", "type": "technical", "verdict": "not qualified", "rank": ""},
    ]).to_csv(folder / "qualification.csv", index=False)
    text = write_report(run_dir, tmp_path / "fr.html", commune="62001", qualification=folder).read_text("utf-8")
    assert table_rows(text, "municipal") == [["1", "Hôtel de ville", "mairie", "qualifié"],
                                             ["2", "Groupe scolaire", "école", "à étudier"],
                                             ["", "Ateliers", "bâtiment technique", "non qualifié"]]
    text = write_report(run_dir, tmp_path / "en.html", commune="62001", qualification=folder,
                        lang="en").read_text("utf-8")
    assert [r[2:] for r in table_rows(text, "municipal")] == [["town hall", "qualified"], ["school", "to study"],
                                                             ["technical building", "not qualified"]]


def test_missing_qualification_given_is_an_error(run_dir, tmp_path):
    with pytest.raises(InputFileError, match="no qualification table"):
        write_report(run_dir, tmp_path / "r.html", commune="62001", qualification=tmp_path / "nothing")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("commune, needle", [("99999", "unknown commune"), ("Nowhere", "unknown commune"),
                                              (EMPTY, "no computed building"), ("Allouagne", "no computed building"),
                                              (" ", "empty")])
def test_unknown_or_empty_commune_writes_nothing(run_dir, tmp_path, commune, needle):
    with pytest.raises(OptionError, match=needle):
        write_report(run_dir, tmp_path / "r.html", commune=commune)
    assert list(tmp_path.iterdir()) == []


def test_existing_output_needs_overwrite(run_dir, report):
    out, _ = report
    with pytest.raises(OutputFileError, match="already exists"):
        write_report(run_dir, out, commune="62001")
    write_report(run_dir, out, commune="62003", overwrite=True)
    assert "Acheville" in out.read_text(encoding="utf-8")
    write_report(run_dir, out, commune="62001", overwrite=True)


def test_epci_report_uses_the_epci_table(run_dir, tmp_path):
    out = write_report(run_dir, tmp_path / "epci.html", epci=SIREN)
    text = out.read_text(encoding="utf-8")
    territory = pd.read_csv(run_dir / "territory.csv")["gwh_net"].iloc[0]
    assert_figures_equal_row(text, csv_row(run_dir / "epci.csv", "epci_siren", SIREN), territory, "fr")
    assert len(pd.read_csv(tmp_path / "epci-buildings.csv")) == sum(COMMUNES.values())
    table = pma_table()  # epci.csv has no population column here: the EPCI's total in the shipped table
    population = table.loc[table["epci_siren"] == SIREN, "population"].sum()
    assert population > 100_000
    assert f"{population:,}".replace(",", "\u202f") in text


def test_all_writes_one_report_per_commune_and_an_index(run_dir, tmp_path):
    calls = []
    result = write_all(run_dir, tmp_path / "reports", progress=lambda done, total: calls.append((done, total)))
    names = sorted(p.name for p in (tmp_path / "reports").glob("*.html"))
    assert names == sorted([*(f"{c}.html" for c in COMMUNES), f"epci-{SIREN}.html", "index.html"])
    assert calls == [(1, 3), (2, 3), (3, 3)]
    index = result.index.read_text(encoding="utf-8")
    for code in COMMUNES:
        assert f'href="{code}.html"' in index
    no_data = index[index.index('<ul data-key="no-data">'):]
    no_data = no_data[:no_data.index("</ul>")]
    assert f"({EMPTY})" in no_data and "(62023)" in no_data and "(62001)" not in no_data  # PMA communes not run
    assert (EMPTY, pma_table().loc[EMPTY, "commune"]) in result.no_data
    page = (tmp_path / "reports" / "62003.html").read_text(encoding="utf-8")
    territory = pd.read_csv(run_dir / "territory.csv")["gwh_net"].iloc[0]
    assert_figures_equal_row(page, csv_row(run_dir / "communes.csv", "insee", "62003"), territory, "fr")
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".")]  # no staging folder left


def test_all_failing_halfway_writes_nothing(run_dir, tmp_path, monkeypatch):
    real, calls = report_module.render, []

    def render(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(report_module, "render", render)
    with pytest.raises(OSError, match="disk full"):
        write_all(run_dir, tmp_path / "reports")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "existing").mkdir()
    calls.clear()
    with pytest.raises(OSError, match="disk full"):
        write_all(run_dir, tmp_path / "existing")
    assert list((tmp_path / "existing").iterdir()) == []


def test_bad_options(run_dir, tmp_path):
    with pytest.raises(OptionError, match="unknown language"):
        write_report(run_dir, tmp_path / "r.html", commune="62001", lang="de")
    with pytest.raises(OptionError, match="exactly one"):
        write_report(run_dir, tmp_path / "r.html", commune="62001", epci=SIREN)
    with pytest.raises(OutputFileError, match="not an HTML name"):
        write_report(run_dir, tmp_path / "r.pdf", commune="62001")
    with pytest.raises(InputFileError, match="neither run.json nor buildings.json"):
        write_report(tmp_path, tmp_path / "r.html", commune="62001")
    assert list(tmp_path.iterdir()) == []


def test_main_commune_is_the_largest_net_production(run_dir):
    table = pd.read_csv(run_dir / "communes.csv", dtype={"insee": str})
    assert main_commune(run_dir) == table.loc[table["gwh_net"].idxmax(), "insee"]


def test_orientation_sectors():
    az = pd.Series([0.0, 22.4, 22.6, 90.0, 180.0, 200.0, 270.0, 337.6, 359.0, 100.0])
    flat = pd.Series([False] * 9 + [True])
    assert list(sector(az, flat)) == ["N", "N", "NE", "E", "S", "S", "W", "N", "N", "flat"]


def test_map_draws_unsuitable_faces_as_no_class():
    roofs = pd.DataFrame({"class": [5, 5, 3, None], "suitable": [True, False, True, False]})
    assert map_classes(roofs).tolist() == [5, 0, 3, 0]
