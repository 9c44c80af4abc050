"""``cadastre report`` from the command line, on folders the engine wrote, and rendered by headless Chromium.

- A ``cadastre buildings`` folder (four houses near Lens, so a PMA commune with its EPCI) and a
  ``cadastre run`` RUN_DIR (``cadastre init`` + ``cadastre run`` on the shipped Montpellier
  sample, 8 directions): the key figures in the HTML equal the run's communes.csv / epci.csv as
  written, the top table equals buildings.gpkg (string tile ids in a run), every section, no
  outside reference, the CSV and GeoPackage beside the page.
- Errors: unknown commune, a commune of the run's commune file with no computed tile, unknown
  EPCI, bad option combinations: exit code 2, one ``error:`` line, nothing written.
- ``--all``: progress bar, index.html, the communes without data listed.
- Chromium (provided by ``make install``; the test fails when it is missing) renders the
  report to a PNG: not blank, and the roof map is drawn (its class colours are on screen as
  many times as in the map image, beyond what the charts account for); printed to PDF, it
  gives A4 pages.
- ``cadastre demo`` ends with the report of the demo area, with the municipal buildings of the
  demo's qualification step, and prints its path.
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import re
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from helpers import cli_runner, shared_build
from PIL import Image
from report_scene import (SECTIONS, engine_buildings, external_references, key_figures, shared_demo, shared_engine_run,
                          shown_number)
from report_scene import table_rows as rows_of

from cadastre.pages.labels import verdict_label
from cadastre.report.pages import FIGURES
from cadastre.report.charts import CLASS_COLOURS
from cli import report as cli_report
from cli.main import app

pytestmark = pytest.mark.slow  # the demo, engine runs and Chromium: left out of `make test-fast`

runner = cli_runner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    """The engine's folders, built once per session (the tests only read them)."""
    _root, buildings = shared_build(tmp_path_factory, "report-engine", lambda root: engine_buildings(root / "scene"))
    return {"buildings": buildings, "run": shared_engine_run(tmp_path_factory)}


def main_row(folder: Path) -> pd.Series:
    """The row of communes.csv with the most buildings, as written."""
    table = pd.read_csv(folder / "communes.csv", dtype=str, keep_default_na=False)
    return table.loc[table["buildings"].astype(int).idxmax()]


@pytest.mark.parametrize("kind", ["buildings", "run"])
def test_report_of_an_engine_folder(folders, kind, tmp_path):
    folder = folders[kind]
    row = main_row(folder)
    out = tmp_path / "report.html"
    result = run("report", folder, "--commune", row["commune"].upper(), "-o", out)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert "report.html" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report-buildings.csv", "report-buildings.gpkg",
                                                          "report-buildings.xlsx", "report.html"]
    text = out.read_text(encoding="utf-8")
    figures = key_figures(text)
    for key, decimals in FIGURES.items():
        assert figures[key][0] == row[key], key  # the CSV text itself
        assert shown_number(figures[key][1], "fr") == pytest.approx(float(row[key]), abs=0.5 * 10.0 ** -decimals)
    territory = pd.read_csv(folder / "territory.csv")["gwh_net"].iloc[0]
    assert float(figures["share"][0]) == pytest.approx(100 * float(row["gwh_net"]) / territory, abs=0.006)
    for ident in SECTIONS:
        assert f'id="{ident}"' in text, ident
    assert row["insee"] in text and row["commune"] in text
    assert external_references(text) == []
    buildings = gpd.read_file(folder / "buildings.gpkg", layer="buildings")
    buildings = buildings[buildings["insee"] == row["insee"]].sort_values("mwh", ascending=False, kind="stable")
    producing = buildings[buildings["mwh"] > 0]
    top = rows_of(text, "top-roofs")
    assert [r[0] for r in top] == list(producing["building_id"].astype(str))[:20]
    assert [shown_number(r[3], "fr") for r in top] == pytest.approx(list(producing["mwh"])[:20], abs=0.05)
    beside = pd.read_csv(tmp_path / "report-buildings.csv", dtype={"insee": str, "building_id": str})
    assert sorted(beside["building_id"]) == sorted(buildings["building_id"].astype(str))


def test_epci_report_of_a_buildings_folder(folders, tmp_path):
    folder = folders["buildings"]
    table = pd.read_csv(folder / "epci.csv", dtype=str, keep_default_na=False)
    epci = table.loc[table["buildings"].astype(int).idxmax()]
    assert epci["epci_siren"], "the scene near Lens lies in a PMA EPCI"
    result = run("report", folder, "--epci", epci["epci"], "-o", tmp_path / "epci.html", "--lang", "en")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    text = (tmp_path / "epci.html").read_text(encoding="utf-8")
    assert 'lang="en"' in text and epci["epci_siren"] in text
    assert all(key_figures(text)[key][0] == epci[key] for key in FIGURES)


def bad(folder: Path, tmp_path: Path, *args) -> str:
    result = run("report", folder, *args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert [p.name for p in tmp_path.iterdir()] == []
    return lines[0]


@pytest.mark.parametrize("args, needle", [
    (["--commune", "99999"], "unknown commune"),
    (["--commune", "Lattes"], "Lattes has no computed building"),  # in the run's commune file, no tile there
    (["--commune", "34129"], "Lattes has no computed building"),
    (["--epci", "000000000"], "unknown EPCI"),
    ([], "exactly one of"),
    (["--commune", "34172", "--all"], "exactly one of"),
    (["--commune", "34172", "--lang", "de"], "unknown language"),
    (["--commune", "34172", "--qualification", "nowhere"], "no qualification table"),
])
def test_bad_requests_give_one_error_line_and_write_nothing(folders, tmp_path, args, needle):
    line = bad(folders["run"], tmp_path, *args, "-o", tmp_path / "a.html")
    assert needle in line


def test_all_on_a_run(folders, tmp_path, monkeypatch):
    folder = folders["run"]
    bars = []

    @contextlib.contextmanager
    def progress_bar(description, total, *, quiet):  # rich draws nothing off a terminal: record the updates
        bars.append((description, []))
        yield lambda done, total: bars[-1][1].append((done, total))

    monkeypatch.setattr(cli_report, "progress_bar", progress_bar)
    result = run("report", folder, "--all", "-o", tmp_path / "reports")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    communes = pd.read_csv(folder / "communes.csv", dtype=str, keep_default_na=False)
    done = communes[communes["buildings"].astype(int) > 0]
    empty = communes[communes["buildings"].astype(int) == 0]
    assert f"{len(done)} commune and 0 EPCI reports" in result.stdout
    assert f"communes with no data ({len(empty)})" in result.stdout and "Lattes (34129)" in result.stdout
    assert bars == [("reports", [(k, len(done)) for k in range(1, len(done) + 1)])]
    written = sorted(p.name for p in (tmp_path / "reports").glob("*.html"))
    assert written == sorted([*(f"{c}.html" for c in done["insee"]), "index.html"])
    index = (tmp_path / "reports" / "index.html").read_text(encoding="utf-8")
    assert all(f"({code})" in index for code in empty["insee"])
    before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "reports").iterdir()}
    again = run("report", folder, "--all", "-o", tmp_path / "reports")
    assert again.exit_code == 2 and "already exists; pass --overwrite" in again.stderr
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "reports").iterdir()} == before


def _hex(colour: str) -> np.ndarray:
    return np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])


def class_pixels(rgb: np.ndarray) -> int:
    """Pixels within 6 levels of a roof class colour 1-5."""
    pixels = rgb.reshape(-1, 3).astype(int)
    return sum(int((np.abs(pixels - _hex(CLASS_COLOURS[c])).max(axis=1) <= 6).sum()) for c in range(1, 6))


def test_chromium_screenshot_shows_the_map(folders, tmp_path, chromium):
    html = tmp_path / "report.html"
    assert run("report", folders["run"], "--commune", "Montpellier", "-o", html).exit_code == 0
    text = html.read_text(encoding="utf-8")
    images = {ident or f"chart{k}": np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB"))
              for k, (ident, data) in enumerate(re.findall(r'<img(?: id="([\w-]+)")? alt="[^"]*" '
                                                           r'src="data:image/png;base64,([^"]+)"', text))}
    assert set(images) == {"roof-map", "chart1", "chart2", "chart3", "monthly-chart"}
    in_map = class_pixels(images["roof-map"])
    in_charts = sum(class_pixels(images[k]) for k in ("chart1", "chart2", "chart3"))
    assert in_map > 10_000, "the map image itself holds few roof pixels"
    png = tmp_path / "shot.png"
    command = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
               "--force-device-scale-factor=1", "--force-color-profile=srgb", f"--user-data-dir={tmp_path / 'profile'}",
               f"--screenshot={png}", "--window-size=1200,5000", html.resolve().as_uri()]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    shot = np.asarray(Image.open(png).convert("RGB"))
    assert shot.shape[:2] == (5000, 1200)
    pixels = shot.reshape(-1, 3).astype(int)
    assert pixels.std(axis=0).max() > 20, "blank screenshot"
    assert (np.abs(pixels - 255).sum(axis=1) > 30).mean() > 0.05, "almost nothing drawn"
    on_screen = class_pixels(shot)
    # images are shown at their own size: the screen holds the map's roof pixels and the charts' bars
    assert on_screen - in_charts >= 0.9 * in_map, (on_screen, in_map, in_charts)
    assert on_screen <= 1.05 * (in_map + in_charts), (on_screen, in_map, in_charts)
    # printed: the print style's A4 pages (595 x 842 pt)
    pdf = tmp_path / "report.pdf"
    printing = [*command[:command.index(f"--screenshot={png}")], "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                html.resolve().as_uri()]
    subprocess.run(printing, check=True, capture_output=True, timeout=120)
    data = pdf.read_bytes()
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", data))
    assert pages >= 2 and boxes, (pages, boxes[:2])
    assert all(abs(float(w) - 595.3) < 1.5 and abs(float(h) - 841.9) < 1.5 for w, h in boxes), boxes[:2]


def test_demo_ends_with_the_report_of_the_demo_area(tmp_path_factory, tmp_path):
    demo, stdout = shared_demo(tmp_path_factory)  # `cadastre demo -o DEMO -q`, shared with test_stages_cli
    printed = "".join(stdout.split())  # rich wraps long lines
    assert printed.endswith("Communereport(openitinabrowser):" + str(demo / "report.html")), printed[-200:]
    text = (demo / "report.html").read_text(encoding="utf-8")
    row = main_row(demo / "buildings")
    assert row["commune"] in text
    assert all(key_figures(text)[key][0] == row[key] for key in FIGURES)
    # the demo's qualification step (``cadastre qualify``) ran before: its qualification.csv is in the report
    table = pd.read_csv(demo / "qualification" / "qualification.csv", dtype=str, keep_default_na=False)
    table = table[table["insee"] == row["insee"]]  # by rank, unranked rows (not matched) last
    table = table.sort_values("rank", key=lambda r: pd.to_numeric(r, errors="coerce"), kind="stable")
    out = tmp_path / "in-english.html"
    done = run("report", demo / "buildings", "--commune", row["insee"], "-o", out, "--qualification",
               demo / "qualification", "--lang", "en")
    assert done.exit_code == 0, (done.stdout, done.stderr)
    for page, lang in ((text, "fr"), (out.read_text(encoding="utf-8"), "en")):
        shown = rows_of(page, "municipal")
        assert len(shown) == len(table) > 0
        assert [r[1] for r in shown] == [html.escape(n, quote=False) for n in table["name"]]
        assert [r[-1] for r in shown] == [verdict_label(v, lang) for v in table["verdict"]]
        for cells, kwp in zip(shown, table["kwp"], strict=True):
            assert cells[4] == kwp if kwp == "" else shown_number(cells[4], lang) == pytest.approx(float(kwp), abs=0.05)
