"""The solar water heating section of the commune report (``cadastre.report.pages``, issue 21 §3).

On the synthetic folder of ``report_scene.make_run`` with solar water heating columns added (houses, blocks of
flats, a non-residential building, a building without system): the section's figures equal the sums of the
commune's buildings, computed here from buildings.gpkg; the assumptions shown are the run's recorded
``thermal`` parameters (a changed one shows); a folder without the columns (an older engine) says so.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from report_scene import key_figures, make_run, shown_number, table_rows

from cadastre.report.pages import write_report

INSEE = "62001"


def add_thermal(folder):
    """Give the folder's buildings a solar water heating (and its sums to communes.csv, as the engine writes)."""
    buildings = gpd.read_file(folder / "buildings.gpkg")
    n = len(buildings)
    dwellings = np.array([1, 1, 0, 6, 1, 12, 1, 3, 1, 0] * ((n + 9) // 10), float)[:n]
    area = np.where(dwellings == 1, 4.0, 1.2 * dwellings)
    area[4] = 0.0  # a house without a suitable face: no system
    buildings["dwellings"] = dwellings
    buildings["thermal_area_m2"] = area
    buildings["thermal_mwh"] = area * (0.45 + 0.01 * np.arange(n))
    buildings["thermal_fraction"] = np.where(area > 0, 0.3 + 0.02 * np.arange(n), 0.0)
    buildings.to_file(folder / "buildings.gpkg", layer="buildings", driver="GPKG")
    communes = pd.read_csv(folder / "communes.csv", dtype={"insee": str})
    sums = buildings.groupby("insee")[["thermal_area_m2", "thermal_mwh"]].sum()
    communes["thermal_area_m2"] = communes["insee"].map(sums["thermal_area_m2"]).fillna(0.0).round(1)
    communes["thermal_gwh"] = (communes["insee"].map(sums["thermal_mwh"]).fillna(0.0) / 1000).round(6)
    communes.to_csv(folder / "communes.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return add_thermal(make_run(tmp_path_factory.mktemp("thermal-run") / "buildings"))


def _section(text: str) -> str:
    start = text.index('<section id="thermal">')
    return text[start:text.index("</section>", start)]


def _report(run_dir, out, lang="fr") -> str:
    write_report(run_dir, out, commune=INSEE, lang=lang)
    return out.read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_section_figures_are_the_sums_of_the_communes_buildings(run_dir, tmp_path):
    section = _section(_report(run_dir, tmp_path / "r.html"))
    figures = key_figures(section)
    b = gpd.read_file(run_dir / "buildings.gpkg")
    b = b[b["insee"].astype(str) == INSEE]
    equipped = b[b["thermal_area_m2"] > 0]
    houses, flats = equipped[equipped["dwellings"] == 1], equipped[equipped["dwellings"] > 1]
    assert len(houses) and len(flats) and len(equipped) < len(b)  # the scene has both kinds, and some without
    assert float(figures["thermal_gwh"][0]) == pytest.approx(b["thermal_mwh"].sum() / 1000, abs=5e-7)
    assert shown_number(figures["thermal_gwh"][1], "fr") == pytest.approx(b["thermal_mwh"].sum() / 1000, rel=0.01)
    assert float(figures["thermal_area_m2"][0]) == pytest.approx(b["thermal_area_m2"].sum(), abs=0.05)
    assert int(figures["thermal_buildings"][0]) == len(equipped)
    assert int(figures["thermal_houses"][0]) == len(houses)
    assert int(figures["thermal_collective"][0]) == len(flats)
    assert float(figures["thermal_fraction"][0]) == pytest.approx(100 * equipped["thermal_fraction"].mean(), abs=0.006)
    rows = table_rows(section, "thermal-systems")
    for row, group in zip(rows, (houses, flats), strict=True):
        assert "CESI" in row[0] if group is houses else "CESC" in row[0]
        cells = [shown_number(c, "fr") for c in row[1:]]
        assert cells[0] == len(group) and cells[1] == group["dwellings"].sum()
        assert cells[2] == pytest.approx(group["thermal_area_m2"].sum(), abs=0.5)
        assert cells[3] == pytest.approx(group["thermal_mwh"].sum(), abs=0.05)
        assert cells[4] == pytest.approx(100 * group["thermal_fraction"].mean(), abs=0.5)


@pytest.mark.slow
def test_the_assumptions_are_the_runs_recorded_parameters(tmp_path):
    folder = add_thermal(make_run(tmp_path / "buildings"))
    meta = json.loads((folder / "buildings.json").read_text())
    meta["parameters"]["thermal"].update(house_area=5.5, dwelling_demand=95.0, max_area_share=0.4)
    (folder / "buildings.json").write_text(json.dumps(meta))
    section = _section(_report(folder, tmp_path / "fr.html"))
    for needle in ("CESI de 5,5 m²", "95 L/jour par logement", "au plus 40 %"):
        assert needle in " ".join(section.split()), needle
    assert "de 4 m²" not in section
    english = " ".join(_section(_report(folder, tmp_path / "en.html", "en")).split())
    assert "Solar water heating" in english and "5.5 m² of collectors" in english and "95 L/day" in english


@pytest.mark.slow
def test_a_folder_without_thermal_columns_says_so(tmp_path):
    folder = make_run(tmp_path / "buildings")  # as an engine before the solar water heating wrote it
    text = _report(folder, tmp_path / "r.html")
    section = _section(text)
    assert 'data-key="no-thermal"' in section and "solaire thermique" in section
    assert "thermal_gwh" not in key_figures(text) and "thermal-systems" not in text
