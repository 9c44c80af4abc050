"""The report's method text shows the parameters the run used, read from its metadata.

A ``cadastre buildings`` run at 1 m cells with a module density of 0.15 kWp/m², 12 m² of least
usable area, a 1 m set-back, 55° of largest slope, 75 % of the optimal plane and a 25 % net
reduction: ``buildings.json`` records them, and the report (French and English) says them, not the
engine's defaults (0.5 m, 0.2 kWp/m², 10 m², 0.5 m, 60°, 70 %, 35 %).
"""

from __future__ import annotations

import json
import re

import pytest
from helpers import cli_runner, shared_build
from report_scene import engine_buildings

from cadastre.report.pages import main_commune
from cadastre.results import contract
from cli.main import app

CONFIG = """\
[pv]
module_density = 0.15
[roofs]
min_face_area = 12
setback = 1.0
max_slope = 55
min_irradiation_fraction = 0.75
[aggregate]
net_reduction = 0.25
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    _root, value = shared_build(tmp_path_factory, "report-parameters",
                                lambda root: engine_buildings(root / "scene", cell=1.0, config=CONFIG))
    return value


def _method(folder, tmp_path, lang: str) -> str:
    insee = main_commune(folder)
    out = tmp_path / f"report-{lang}.html"
    result = cli_runner().invoke(app, ["report", str(folder), "--commune", insee, "-o", str(out), "--lang", lang])
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    html = out.read_text(encoding="utf-8")
    section = re.search(r'<section id="method">.*?</section>', html, flags=re.S)
    assert section, "no method section"
    return " ".join(re.sub(r"<[^>]+>", " ", section.group(0)).split())


@pytest.mark.slow  # would build the shared engine folder for the fast subset alone (about 1 s): out of `make test-fast`
def test_buildings_json_records_every_parameter(folder):
    meta = json.loads((folder / contract.BUILDINGS_META).read_text(encoding="utf-8"))
    params = meta[contract.PARAMETERS]
    assert list(params) == [*contract.PARAMETER_KEYS, *contract.OPTIONAL_PARAMETER_KEYS]
    assert params["resolution"] == 1.0 and params["directions"] == 8 and params["sky"] == "perez"
    assert params["pv"]["module_density"] == 0.15 and params["aggregate"]["net_reduction"] == 0.25
    assert params["roofs"]["min_face_area"] == 12 and params["roofs"]["setback"] == 1.0
    assert re.fullmatch(r"[0-9a-f]{64}", params["weather_sha256"])


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_report_method_shows_the_parameters_of_the_run_in_french(folder, tmp_path):
    text = _method(folder, tmp_path, "fr")
    for shown in ("cellule de toit (1 m)", "au plus de 55°", "au moins 75 %", "au moins 12 m²", "retrait de 1 m",
                  "0,15 kWc par m²", "réduction de 25 %", "8 directions"):
        assert shown in text, (shown, text)
    for default in ("0,5 m", "0,2 kWc", "60°", "70 %", "10 m²", "35 %"):
        assert default not in text, (default, text)


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_report_method_shows_the_parameters_of_the_run_in_english(folder, tmp_path):
    text = _method(folder, tmp_path, "en")
    for shown in ("roof cell (1 m)", "most 55°", "least 75 %", "least 12 m²", "1 m set-back", "0.15 kWp per usable",
                  "25 % reduction"):
        assert shown in text, (shown, text)
