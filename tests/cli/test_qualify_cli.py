"""``cadastre qualify`` end to end on a small ``cadastre buildings`` output, and its bad inputs.

The scene: two roofs near Lens (a flat roof and a 20° roof facing south) on flat ground,
irradiance and buildings computed by the CLI over one clear-sky day. The qualification must
list every row, write every file, agree with the cadastre's own production of the faces
(sized to the whole roof: 0.65 x the faces' MWh, within 1 %), keep the operation totals equal
to the sums of its rows, and produce a self-contained HTML page.
"""

from __future__ import annotations

import html
import math
import re
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pvlib
import pytest
from helpers import X0, Y0, cli_runner
from report_scene import table_rows
from rasterio.transform import from_origin
from shapely.geometry import box

from cadastre.qualify.municipal import read_municipal
from cadastre.qualify.config import QualifyConfig, qualify_config_from_dict
from cli.main import app
from rasters.io import to_dataarray, write_bands

OUTPUTS = ("qualification.csv", "qualification.gpkg", "operation.csv", "qualification.xlsx", "qualification.html",
           "qualify.json", "qualify.toml")
REPORT_COLUMNS = ("insee", "commune", "name", "type", "building_id", "kwp", "mwh", "self_consumption_rate",
                  "self_sufficiency", "payback_years", "npv_eur", "lcoe_eur_kwh", "co2_t", "score", "rank", "verdict",
                  "reasons")
CELL = 0.5
SHAPE = (80, 100)  # 40 m (N-S) x 50 m (W-E)
runner = cli_runner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def scene_heights() -> np.ndarray:
    """Ground 0; a flat roof at 8 m (4-20 m east, 4-16 m south); a 20° roof facing south (26-46 m, 6-30 m)."""
    rows, cols = np.mgrid[0 : SHAPE[0], 0 : SHAPE[1]]
    x, y = (cols + 0.5) * CELL, (rows + 0.5) * CELL
    z = np.zeros(SHAPE)
    z[(x > 4) & (x < 20) & (y > 4) & (y < 16)] = 8.0
    shed = (x > 26) & (x < 46) & (y > 6) & (y < 30)
    z[shed] = 5.0 + math.tan(math.radians(20)) * (30 - y[shed])  # rises to the north: faces south
    return z


@pytest.fixture(scope="module")
def cadastre(tmp_path_factory) -> Path:
    """The output folder of 'cadastre buildings' on the scene."""
    folder = tmp_path_factory.mktemp("scene")
    z = scene_heights()
    transform = from_origin(X0, Y0, CELL, CELL)
    write_bands([to_dataarray(z + 30.0, "EPSG:2154", transform, name="dsm", units="m")], folder / "dsm.tif")
    (folder / "prepared").mkdir()
    write_bands([to_dataarray(z, "EPSG:2154", transform, name="ndsm", units="m")], folder / "prepared" / "ndsm.tif")
    boxes = [box(X0 + 4, Y0 - 16, X0 + 20, Y0 - 4), box(X0 + 26, Y0 - 30, X0 + 46, Y0 - 6)]
    gpd.GeoDataFrame({"name": ["flat", "south"]}, geometry=boxes, crs="EPSG:2154").to_file(folder / "fp.gpkg")
    times = pd.date_range("2023-06-21 00:30", periods=24, freq="h", tz="UTC")
    sky = pvlib.location.Location(50.43, 2.83, altitude=40).get_clearsky(times)
    pd.DataFrame({"time": [t.isoformat() for t in times], "ghi": sky["ghi"], "dni": sky["dni"],
                  "dhi": sky["dhi"]}).to_csv(folder / "day.csv", index=False)
    r = run("irradiance", folder / "dsm.tif", "-o", folder / "irr.tif", "--weather", folder / "day.csv",
            "--directions", "8", "--sky", "perez", "-q")
    assert r.exit_code == 0, (r.stderr, r.exception)
    out = folder / "buildings"
    r = run("buildings", "-i", folder / "irr.tif", "-p", folder / "prepared", "-f", folder / "fp.gpkg",
            "-w", folder / "day.csv", "-o", out, "-q")
    assert r.exit_code == 0, (r.stderr, r.exception)
    return out


def municipal(folder: Path, cadastre: Path) -> Path:
    b = gpd.read_file(cadastre / "buildings.gpkg")
    insee = b["insee"].iloc[0]
    south = b.loc[b["name"] == "south"].iloc[0]
    flat = b.loc[b["name"] == "flat"].iloc[0]
    inside = south.geometry.representative_point()
    lon, lat = to_lonlat(flat.geometry.representative_point())
    path = folder / "municipal.csv"
    path.write_text("\n".join([
        "insee,name,type,building_id,x,y,lon,lat,consumption_kwh,contracted_kva",
        f"{insee},Salle,gym,,{inside.x},{inside.y},,,30000,",
        f"{insee},Ecole,school,,,,{lon},{lat},,",
        f"{insee},Trop loin,library,,{X0 + 300},{Y0 - 300},,,,",
        f"99999,Ailleurs,other,{south['building_id']},,,,,,",
        f"{insee},Negatif,technical,{flat['building_id']},,,,,-10,",
    ]) + "\n", encoding="utf-8")
    return path


def to_lonlat(point):
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True).transform(point.x, point.y)


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_qualify_end_to_end(cadastre, tmp_path):
    csv = municipal(tmp_path, cadastre)
    out = tmp_path / "q"
    conf = tmp_path / "q.toml"
    conf.write_text('[sizing]\nmode = "roof"\n')
    r = run("qualify", cadastre, "--buildings", csv, "-o", out, "--config", conf, "--lang", "en")
    assert r.exit_code == 0, (r.stderr, r.exception)
    assert "cadastre qualify" in r.stdout and "rows with a problem" in r.stdout
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)
    table = pd.read_csv(out / "qualification.csv", dtype={"insee": str, "building_id": str})
    assert set(REPORT_COLUMNS) <= set(table.columns)
    assert table["name"].tolist() == ["Salle", "Ecole", "Trop loin", "Ailleurs", "Negatif"]
    assert table["status"].tolist() == ["ok", "ok", "error", "error", "error"]
    assert table["verdict"].isin(["qualified", "to study", "not qualified"]).all()
    assert sorted(table["rank"].dropna().astype(int)) == [1, 2]
    assert "no building within 20 m" in table.loc[2, "reasons"]
    assert "commune 99999" in table.loc[3, "reasons"] and "negative consumption" in table.loc[4, "reasons"]

    # the whole roof (0.65 of the cadastre's usable kWp) produces 0.65 x the cadastre's MWh of its faces
    roofs = gpd.read_file(cadastre / "roofs.gpkg")
    for _, row in table[table["status"] == "ok"].iterrows():
        faces = roofs[(roofs["building_id"].astype(str) == row["building_id"]) & roofs["suitable"]]
        assert row["kwp"] == pytest.approx(0.65 * faces["kwp"].sum(), abs=0.005)  # kWp written to 2 decimals
        assert row["mwh"] == pytest.approx(0.65 * faces["mwh"].sum(), rel=0.01)

    layer = gpd.read_file(out / "qualification.gpkg", layer="qualification")
    assert len(layer) == 5 and layer.crs.to_epsg() == 2154 and layer.geometry.notna().sum() == 2  # the matched rows
    op = pd.read_csv(out / "operation.csv", dtype={"insee": str})
    qualified = table[table["verdict"] == "qualified"]
    assert op.iloc[-1]["commune"] == "(operation)" and op.iloc[-1]["buildings"] == 5
    assert op.iloc[-1]["mwp"] == pytest.approx(qualified["kwp"].sum() / 1000.0, abs=1e-5)  # both rounded
    assert op.iloc[-1]["investment_eur"] == pytest.approx(qualified["investment_eur"].sum())
    page = (out / "qualification.html").read_text(encoding="utf-8")
    assert "http:" not in page and "https:" not in page and "<link" not in page and "<script" not in page
    assert page.count("data:image/png;base64,") == 2 and 'data-key="ranking"' in page and "review" in page
    assert tomllib.loads((out / "qualify.toml").read_text())["sizing"]["mode"] == "roof"


def test_template_and_print_config(tmp_path):
    r = run("qualify", "--template")
    assert r.exit_code == 0
    (tmp_path / "t.csv").write_text(r.stdout, encoding="utf-8")
    assert len(read_municipal(tmp_path / "t.csv")) == 2
    r = run("qualify", "--print-config")
    assert r.exit_code == 0 and qualify_config_from_dict(tomllib.loads(r.stdout)) == QualifyConfig()


def one_error_line(result) -> str:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr, result.exception)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.mark.slow
@pytest.mark.parametrize(("csv_text", "needle"), [
    ("insee,name,building_id\n62498,A,1\n", "missing column(s) type"),
    ("insee,name,type\n62498,A,school\n", "no location column"),
])
def test_bad_municipal_file_fails_before_any_output(cadastre, tmp_path, csv_text, needle):
    csv = tmp_path / "m.csv"
    csv.write_text(csv_text)
    out = tmp_path / "q"
    line = one_error_line(run("qualify", cadastre, "-b", csv, "-o", out))
    assert needle in line and str(csv) in line
    assert not out.exists()


@pytest.mark.slow
def test_bad_run_folder_and_config(cadastre, tmp_path):
    csv = municipal(tmp_path, cadastre)
    out = tmp_path / "q"
    assert "not a folder" in one_error_line(run("qualify", tmp_path / "none", "-b", csv, "-o", out))
    bad = tmp_path / "bad.toml"
    bad.write_text("[prices]\nimport_price_eur_kwh = -1\n")
    assert "out of range" in one_error_line(run("qualify", cadastre, "-b", csv, "-o", out, "-c", bad))
    assert not out.exists()


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_existing_outputs_need_overwrite(cadastre, tmp_path):
    csv = municipal(tmp_path, cadastre)
    out = tmp_path / "q"
    out.mkdir()
    (out / "qualification.csv").write_text("keep me")
    assert "--overwrite" in one_error_line(run("qualify", cadastre, "-b", csv, "-o", out, "-q"))
    assert (out / "qualification.csv").read_text() == "keep me"
    r = run("qualify", cadastre, "-b", csv, "-o", out, "-q", "--overwrite")
    assert r.exit_code == 0 and r.stdout == ""
    assert (out / "qualification.csv").read_text().startswith("line,insee,")
    assert not [p for p in out.iterdir() if ".tmp" in p.name]


def normalised(text: str) -> str:
    """Console text with the table borders and runs of blanks as one space."""
    return re.sub(r"[\s│┃|]+", " ", text)


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_qualify_speaks_french_by_default_and_counts_as_operation_csv(cadastre, tmp_path):
    csv = municipal(tmp_path, cadastre)
    out = tmp_path / "q"
    r = run("qualify", cadastre, "--buildings", csv, "-o", out)
    assert r.exit_code == 0, (r.stderr, r.exception)

    # the console counts are those of operation.csv's total row (a row with a problem is a problem)
    total = pd.read_csv(out / "operation.csv", dtype={"insee": str}).iloc[-1]
    printed = normalised(r.stdout)
    assert f"rows / problems {total['buildings']} / {total['errors']}" in printed, printed
    counts = f"{total['qualified']} / {total['to_study']} / {total['not_qualified']}"
    assert f"qualified / to study / not qualified {counts}" in printed, printed

    # the CSV keeps its codes; the page shows them in French
    table = pd.read_csv(out / "qualification.csv", dtype=str, keep_default_na=False)
    assert set(table["verdict"]) <= {"qualified", "to study", "not qualified"}
    assert set(table["type"]) == {"gym", "school", "library", "other", "technical"}
    page = (out / "qualification.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in page and "Synthèse" in page and "Summary" not in page
    words = {"qualified": "qualifié", "to study": "à étudier", "not qualified": "non qualifié"}
    ranking = [[html.unescape(c) for c in row] for row in table_rows(page, "ranking")]
    assert [row[-2] for row in ranking] == [words[v] for v in table.loc[table["status"] == "ok", "verdict"]]
    assert {row[3] for row in ranking} == {"gymnase", "école"}
    problems = [[html.unescape(c) for c in row] for row in table_rows(page, "problems")]
    assert [row[2] for row in problems] == ["Trop loin", "Ailleurs", "Negatif"]
    assert problems[0][3] == "aucun bâtiment à moins de 20 m du point"
    assert problems[1][3] == "la commune 99999 n'est pas dans le calcul"
    assert problems[2][3] == "consommation négative (-10)"
    shown = html.unescape(page)
    for reason in table["reasons"]:
        for english in reason.split("; "):
            assert english not in shown  # every reason is shown in French
    assert "VAN €" in page and "MWh/an" in page and "kWc" in page

    english = tmp_path / "en"
    r = run("qualify", cadastre, "--buildings", csv, "-o", english, "--lang", "en")
    assert r.exit_code == 0, (r.stderr, r.exception)
    page = (english / "qualification.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "Summary" in page and "no building within 20 m of the point" in page
    r = run("qualify", cadastre, "--buildings", csv, "-o", tmp_path / "de", "--lang", "de")
    assert r.exit_code != 0 and "unknown language" in r.stderr and not (tmp_path / "de").exists()


@pytest.mark.slow
def test_hostile_name_is_neutralised_in_csv_and_workbook(cadastre, tmp_path):
    from openpyxl import load_workbook

    hostile = '=HYPERLINK("http://example.invalid","clic")'
    csv = municipal(tmp_path, cadastre)
    lines = csv.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(",Salle,", ',"' + hostile.replace('"', '""') + '",')
    csv.write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")
    out = tmp_path / "q"
    r = run("qualify", cadastre, "--buildings", csv, "-o", out, "-q")
    assert r.exit_code == 0, (r.stderr, r.exception)
    table = pd.read_csv(out / "qualification.csv", dtype=str, keep_default_na=False)
    assert table["name"].tolist() == ["'" + hostile]
    book = load_workbook(out / "qualification.xlsx")
    assert book.sheetnames == ["qualification", "operation"]
    rows = list(book["qualification"].values)
    headers = rows[0]
    assert "Nom" in headers and "Production (MWh/an)" in headers and "Puissance installée (kWc)" in headers
    assert rows[1][headers.index("Nom")] == "'" + hostile
    assert rows[1][headers.index("Production (MWh/an)")] == pytest.approx(float(table.loc[0, "mwh"]), abs=1e-9)
    assert all(cell.data_type != "f" for row in book["qualification"].iter_rows() for cell in row)
    operation = list(book["operation"].values)
    assert operation[0][:3] == ("Code INSEE", "Commune", "Lignes") and operation[-1][2] == 1


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
@pytest.mark.parametrize("previous", [False, True])
def test_disk_full_leaves_the_previous_set_or_nothing(cadastre, tmp_path, monkeypatch, previous):
    """The disk fills up at the HTML page, after three files: no new file, no staging folder, the previous
    complete set (when there was one) untouched; one error line, exit 2."""
    import errno

    import cadastre.qualify.outputs as outputs

    csv = municipal(tmp_path, cadastre)
    out = tmp_path / "q"
    if previous:
        assert run("qualify", cadastre, "-b", csv, "-o", out, "-q").exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()} if out.exists() else None
    real = outputs._write_text

    def full(path, text):
        if path.name == "qualification.html":
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real(path, text)

    monkeypatch.setattr(outputs, "_write_text", full)
    line = one_error_line(run("qualify", cadastre, "-b", csv, "-o", out, "-q", "--overwrite"))
    assert "No space left on device" in line and str(out) in line
    after = {p.name: p.read_bytes() for p in out.iterdir()} if out.exists() else None
    assert after == before


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_scenarios_grouping_and_hot_water_reach_every_output(cadastre, tmp_path):
    """The old columns of qualification.csv first and unchanged, then the three scenarios, the grouped purchase
    and the hot-water demand; qualify.json records the objective; operation.csv compares alone and grouped."""
    from openpyxl import load_workbook

    from cadastre.qualify.scenarios import SCENARIO_COLUMNS

    csv = municipal(tmp_path, cadastre)
    conf = tmp_path / "q.toml"
    conf.write_text('[sizing]\nobjective = "payback"\n[grouping]\nfrom_kwp = [0.0]\ncost_reduction = [0.25]\n')
    out = tmp_path / "q"
    r = run("qualify", cadastre, "--buildings", csv, "-o", out, "--config", conf)
    assert r.exit_code == 0, (r.stderr, r.exception)
    printed = normalised(r.stdout)
    assert "grouped purchase" in printed and "cost per kWp -25%" in printed, printed
    table = pd.read_csv(out / "qualification.csv", dtype={"insee": str, "building_id": str})
    old = ["line", "insee", "commune", "name", "type", "building_id", "match", "distance_m", "status", "faces",
           "usable_area_m2", "roof_kwp", "kwp", "band", "ac_kw", "mwh", "specific_yield", "shading_ratio",
           "consumption_mwh", "consumption_source", "self_consumed_mwh", "surplus_mwh", "self_consumption_rate",
           "self_sufficiency", "investment_eur", "subsidy_eur", "savings_eur", "surplus_revenue_eur", "om_eur",
           "payback_years", "npv_eur", "lcoe_eur_kwh", "co2_t", "score", "score_payback", "score_yield",
           "score_self_consumption", "score_size", "rank", "verdict", "reasons"]
    assert list(table.columns[: len(old)]) == old
    assert set(SCENARIO_COLUMNS) | {"scenario", "scenario_reason", "hot_water_l_day", "hot_water_source"} <= \
        set(table.columns)
    ok = table[table["status"] == "ok"]
    assert ok["scenario_reason"].str.contains("payback|no scenario pays back").all()
    assert ok["hot_water_l_day"].notna().all() and (ok["hot_water_source"] == "estimated").all()
    meta = tomllib.loads((out / "qualify.toml").read_text(encoding="utf-8"))
    assert meta["sizing"]["objective"] == "payback" and meta["grouping"]["cost_reduction"] == [0.25]
    info = __import__("json").loads((out / "qualify.json").read_text(encoding="utf-8"))
    assert info["objective"] == "payback" and info["grouping"]["cost_reduction"] == 0.25
    op = pd.read_csv(out / "operation.csv", dtype={"insee": str}).iloc[-1]
    assert op["cost_reduction"] == 0.25 and op["grouped_buildings"] == ok["in_grouping"].sum()
    book = load_workbook(out / "qualification.xlsx")
    headers = next(book["qualification"].values)
    assert "Vente totale : VAN (€)" in headers and "Besoin d'eau chaude (L/jour à 60 °C)" in headers
    assert "VAN avec regroupement (€)" in next(book["operation"].values)
    page = (out / "qualification.html").read_text(encoding="utf-8")
    assert "Trois scénarios par bâtiment" in page and "25 % du coût par kWc" in page


def test_solar_thermal_against_pv_reaches_every_output(cadastre, tmp_path):
    """A gym with showers gets PV, solar thermal and both side by side in qualification.csv, .gpkg and .xlsx
    (French headers), operation.csv sums the buildings recommended thermal, the page compares them."""
    from openpyxl import load_workbook

    from cadastre.qualify.operation import THERMAL_NUMBERS

    csv = municipal(tmp_path, cadastre)
    conf = tmp_path / "q.toml"
    conf.write_text('[solar_thermal]\nfuel = "electric"\ncost_eur_m2 = 50.0\n')
    out = tmp_path / "q"
    r = run("qualify", cadastre, "--buildings", csv, "-o", out, "--config", conf)
    assert r.exit_code == 0, (r.stderr, r.exception)
    table = pd.read_csv(out / "qualification.csv", dtype={"insee": str, "building_id": str})
    gym = table[table["name"] == "Salle"].iloc[0]
    # every figure (the scene's weather is one day: the collectors never pay back their yearly upkeep)
    assert [c for c in THERMAL_NUMBERS if not np.isfinite(gym[c])] == ["thermal_payback_years"]
    assert gym["thermal_fuel"] == "electric"
    assert gym["use"] in ("thermal", "thermal_pv") and gym["use_reason"].startswith("highest NPV of the 3 uses")
    assert set(table.loc[table["status"] == "error", "use"].isna()) == {True}
    op = pd.read_csv(out / "operation.csv", dtype={"insee": str}).iloc[-1]
    heat = table[table["use"].isin(["thermal", "thermal_pv"])]
    assert op["thermal_buildings"] + op["thermal_pv_buildings"] == len(heat) >= 1
    for column in ("thermal_area_m2", "thermal_mwh", "thermal_investment_eur"):
        assert op[column] == pytest.approx(heat[column].sum(), rel=1e-6, abs=0.01), column
    layer = gpd.read_file(out / "qualification.gpkg")
    assert {"use", "thermal_npv_eur", "thermal_pv_kwp"} <= set(layer.columns)
    book = load_workbook(out / "qualification.xlsx")
    assert {"Usage recommandé (code)", "Solaire thermique : VAN (€)"} <= set(next(book["qualification"].values))
    assert "Bâtiments en thermique + PV" in next(book["operation"].values)
    page = (out / "qualification.html").read_text(encoding="utf-8")
    assert 'data-key="thermal"' in page and "Solaire thermique ou photovoltaïque" in page
