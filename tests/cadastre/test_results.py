"""Result folders: the contract, the all-or-nothing writer and the reader (cadastre.results).

- docs/run-dir.md names every file, column and metadata key of the contract.
- A real result (the synthetic town of tests/cadastre/scenes.py) written and read back: the files
  are exactly those of the contract, the layers and tables have the contract's columns in order,
  and the values are the computed ones.
- A territory run of one small tile: its folder holds the contract's files, its layers the
  ``tile`` column and its run.json the contract's keys.
- All or nothing: a failure while writing a table, or while moving the files into place, leaves
  the previous complete set (or nothing) and no staging folder.
- The reader refuses a folder with a missing file with one line naming it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import dsm_array, shared_build, tmp_files
from scenes import CELL, GROUND, town

import cadastre.results.write as write_module
from cadastre import irradiance
from cadastre.areas.aggregate import load_communes
from cadastre.config import Config
from cadastre.errors import InputFileError, OutputFileError
from cadastre.results import contract
from cadastre.results.read import read_results
from cadastre.results.tables import decimals
from cadastre.results.write import write_buildings, write_results
from cadastre.roofs.buildings import compute_buildings
from cadastre.solar.weather import clearsky_weather

DOC = Path(__file__).resolve().parents[2] / "docs" / "run-dir.md"
SOURCES = {"footprints": "footprints.gpkg", "irradiance": "irradiance.tif", "weather": "clearsky",
           "communes": "communes.geojson", "crs": "EPSG:2154", "seconds": 1.5}


@pytest.fixture(scope="module")
def result():
    """compute_buildings on the town of known roofs, one clear-sky day, with the shipped communes."""
    z, footprints, _expected = town()
    footprints = footprints.assign(height=[10.0, 6.0, 5.0])  # an input attribute to keep
    dsm = dsm_array(z, CELL)
    w = clearsky_weather(50.43, 2.83, 54.0)
    day = (w.data.index >= pd.Timestamp("2023-06-21", tz="UTC")) & (w.data.index < pd.Timestamp("2023-06-22", tz="UTC"))
    w = type(w)(data=w.data[day], sun_times=w.sun_times[day], interval_hours=1.0, source="clearsky-day",
                kind="clearsky", time_label=w.time_label, metadata={})
    irr = irradiance(dsm, w, n_directions=16, sky="perez")
    return compute_buildings(irr, footprints, w, ndsm=z - GROUND, config=Config(), communes=load_communes())


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# --------------------------------------------------------------------------- the documentation


def _doc_row(doc: str, name: str) -> str:
    rows = [line for line in doc.splitlines() if line.startswith(f"| `{name}` |")]
    assert len(rows) == 1, f"docs/run-dir.md: no table row for {name}"
    return rows[0]


def test_docs_name_every_file_column_and_key():
    doc = DOC.read_text(encoding="utf-8")
    section_run = doc[doc.index("## 2."):doc.index("## Rules")]
    for name in contract.BUILDINGS_FILES:
        _doc_row(doc, name)
    for name, columns in (*contract.TABLE_COLUMNS.items(), *contract.MONTHLY_TABLE_COLUMNS_OF.items()):
        assert ", ".join(columns) in _doc_row(doc, name), name
    _doc_row(doc, contract.PROFILES)
    for name, columns in ((contract.ROOFS, contract.ROOFS_COLUMNS), (contract.BUILDINGS, contract.BUILDINGS_COLUMNS)):
        row = _doc_row(doc, name)
        assert f"layer `{contract.LAYERS[name]}`" in row
        positions = [row.find(f"`{column}`") for column in columns]
        assert -1 not in positions, [c for c, p in zip(columns, positions, strict=True) if p < 0]
        assert positions == sorted(positions), f"{name}: columns not in the contract's order"
    row = _doc_row(doc, contract.BUILDINGS_META)
    assert [key for key in contract.BUILDINGS_META_KEYS if f"`{key}`" not in row] == []
    for name in (*contract.RESULT_TABLES, *contract.RUN_EXTRA_FILES, contract.TILE_COLUMN):
        assert re.search(rf"`{re.escape(name)}/?`", section_run), name
    assert [key for key in contract.RUN_META_KEYS if f"`{key}`" not in section_run] == []
    rules = doc[doc.index("## Rules"):]
    assert [key for key in contract.SHARED_META_KEYS if f"`{key}`" not in rules] == []
    assert set(contract.SHARED_META_KEYS) <= set(contract.BUILDINGS_META_KEYS) & set(contract.RUN_META_KEYS)


# --------------------------------------------------------------------------- write -> read


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_round_trip_holds_the_contract_and_the_values(result, tmp_path):
    folder = write_buildings(tmp_path / "out", result, sources=SOURCES)
    assert sorted(p.name for p in folder.iterdir()) == sorted(contract.BUILDINGS_FILES)
    assert tmp_files(tmp_path) == []
    back = read_results(folder)

    assert list(back.roofs.columns) == [*contract.ROOFS_COLUMNS, "geometry"]
    assert len(back.roofs) == len(result.roofs) > 0
    assert list(back.roofs["building_id"]) == [str(v) for v in result.roofs["building_id"]]
    np.testing.assert_allclose(back.roofs["mwh"], result.roofs["mwh"], rtol=1e-12)
    np.testing.assert_allclose(back.roofs.geometry.area, result.roofs.geometry.area, rtol=1e-9)

    n = len(contract.BUILDINGS_COLUMNS)
    assert list(back.buildings.columns[:n]) == list(contract.BUILDINGS_COLUMNS)
    assert "height" in back.buildings.columns  # the input attribute, after the contract's columns
    assert list(back.buildings["building_id"]) == ["1", "2", "3"]
    np.testing.assert_allclose(back.buildings["kwp"], result.buildings["kwp"], rtol=1e-12)
    assert back.buildings.crs == result.buildings.crs

    for name, columns in contract.TABLE_COLUMNS.items():
        table = getattr(back, name.removesuffix(".csv"))
        computed = getattr(result, name.removesuffix(".csv"))
        assert list(table.columns) == list(columns), name
        assert len(table) == len(computed) > 0, name
        for column in contract.METRIC_COLUMNS:
            # the CSV holds the value rounded to its column's precision: within half a unit of the last decimal
            np.testing.assert_allclose(pd.to_numeric(table[column]).to_numpy(float),
                                       computed[column].to_numpy(float), rtol=1e-12,
                                       atol=0.5 * 10.0 ** -(decimals(column) or 12) * (1 + 1e-9),
                                       err_msg=f"{name} {column}")
    assert back.territory["buildings"].tolist() == ["3"]

    assert list(back.meta) == list(contract.BUILDINGS_META_KEYS)
    assert back.meta["seconds"] == 1.5 and back.meta["footprints"] == "footprints.gpkg"
    assert back.meta["buildings"] == 3 and back.meta["sky"] == "perez"


@pytest.mark.slow
def test_sources_must_be_the_contract_keys(result, tmp_path):
    with pytest.raises(ValueError, match="seconds"):
        write_buildings(tmp_path / "out", result, sources={k: v for k, v in SOURCES.items() if k != "seconds"})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow  # a territory run (the small scene of test_run_failures, shared with its tests)
def test_a_run_folder_holds_the_contract(tmp_path_factory):
    from test_run_failures import _clean_run

    folder, summary = shared_build(tmp_path_factory, "failures-scene", _clean_run)
    out = folder / "run"
    names = {p.name for p in out.iterdir()}
    assert set(contract.RESULT_TABLES) | {contract.RUN_META, contract.MANIFEST, contract.RUN_CONFIG,
                                          contract.IRRADIANCE_MOSAIC, contract.TILES} <= names
    assert contract.BUILDINGS_META not in names
    assert tmp_files(out) == []
    assert list(summary) == list(contract.RUN_META_KEYS)
    params = summary[contract.PARAMETERS]  # the run's own parameters, as in run.toml
    assert list(params) == [*contract.PARAMETER_KEYS, *contract.OPTIONAL_PARAMETER_KEYS]
    assert (params["resolution"], params["directions"], params["max_distance"]) == (1.0, 8, 10.0)
    assert params["pv"]["module_density"] == 0.2 and params["sky"] == "perez"
    back = read_results(out)
    assert list(back.meta) == list(contract.RUN_META_KEYS)
    assert list(back.roofs.columns[:3]) == ["face", "building_id", contract.TILE_COLUMN]
    assert list(back.buildings.columns[:2]) == ["building_id", contract.TILE_COLUMN]
    assert len(back.buildings) == 4
    for name, columns in contract.TABLE_COLUMNS.items():
        assert list(getattr(back, name.removesuffix(".csv")).columns) == list(columns), name


# --------------------------------------------------------------------------- all or nothing


def _failing_on(monkeypatch, path: Path):
    """Make the writer's CSV writer raise when it writes ``path``'s name (after the layers)."""
    real = write_module.write_table

    def write_table(table, target, **kw):
        if Path(target).name == path.name:
            raise RuntimeError("disk pulled out")
        return real(table, target, **kw)

    monkeypatch.setattr(write_module, "write_table", write_table)


@pytest.mark.slow
def test_a_failure_while_writing_leaves_nothing(result, tmp_path, monkeypatch):
    _failing_on(monkeypatch, tmp_path / contract.EPCI)
    with pytest.raises(RuntimeError, match="disk pulled out"):
        write_buildings(tmp_path / "out", result, sources=SOURCES)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_a_failure_while_writing_keeps_the_previous_set(result, tmp_path, monkeypatch):
    folder = write_buildings(tmp_path / "out", result, sources=SOURCES)
    (folder / "notes.txt").write_text("the user's own file")
    before = _contents(folder)
    _failing_on(monkeypatch, tmp_path / contract.TERRITORY)
    with pytest.raises(RuntimeError):
        write_buildings(folder, result, sources={**SOURCES, "seconds": 2.5}, overwrite=True)
    assert _contents(folder) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_the_tables_also_as_one_workbook(result, tmp_path):
    from openpyxl import load_workbook

    folder = write_buildings(tmp_path / "out", result, sources=SOURCES)
    book = load_workbook(folder / contract.WORKBOOK)
    assert book.sheetnames == ["communes", "epci", "territory", "communes_monthly", "epci_monthly",
                               "territory_monthly"]
    for name in contract.TABLES:
        table = pd.read_csv(folder / name, dtype={"insee": str, "epci_siren": str})
        rows = list(book[name.removesuffix(".csv")].values)
        headers, body = rows[0], rows[1:]
        assert len(headers) == len(table.columns) and len(body) == len(table), name
        assert "Production nette (GWh/an)" in headers and "Surface utile (m²)" in headers, headers
        gwh = [row[headers.index("Production nette (GWh/an)")] for row in body]
        assert all(isinstance(v, float | int) for v in gwh), name
        np.testing.assert_allclose(gwh, table["gwh_net"], atol=1e-12)
        assert book[name.removesuffix(".csv")].freeze_panes == "A2"


@pytest.mark.slow
def test_the_current_folder_as_destination(result, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_buildings(Path("."), result, sources=SOURCES)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(contract.BUILDINGS_FILES)
    assert tmp_files(tmp_path) == []


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_a_failure_while_moving_into_place_puts_the_previous_set_back(result, tmp_path, monkeypatch):
    folder = write_buildings(tmp_path / "out", result, sources=SOURCES)
    before = _contents(folder)
    real = os.replace

    failed = []

    def replace(src, dst):  # the third file of the new set cannot be moved in (once)
        if Path(dst) == folder / contract.COMMUNES and not failed:
            failed.append(src)
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(write_module.os, "replace", replace)
    with pytest.raises(OutputFileError, match="No space left on device"):
        write_buildings(folder, result, sources={**SOURCES, "seconds": 2.5}, overwrite=True)
    monkeypatch.undo()
    assert failed and Path(failed[0]).parent != folder  # it failed on a file of the new set
    assert _contents(folder) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_an_existing_set_needs_overwrite(result, tmp_path):
    folder = write_buildings(tmp_path / "out", result, sources=SOURCES)
    before = _contents(folder)
    with pytest.raises(OutputFileError, match="overwrite"):
        write_buildings(folder, result, sources={**SOURCES, "seconds": 2.5})
    assert _contents(folder) == before
    write_buildings(folder, result, sources={**SOURCES, "seconds": 2.5}, overwrite=True)
    assert json.loads((folder / contract.BUILDINGS_META).read_text())["seconds"] == 2.5
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_layers_from_parts_are_appended_in_order(result, tmp_path):
    parts = []
    for k, ids in enumerate(([1], [2, 3])):
        part = tmp_path / f"part{k}"
        part.mkdir()
        write_buildings(part, dataclasses.replace(
            result, roofs=result.roofs[result.roofs["building_id"].isin(ids)], buildings=result.buildings[
                result.buildings["building_id"].isin(ids)]), sources=SOURCES, overwrite=True)
        parts.append(part)
    monthly = {contract.COMMUNES_MONTHLY: result.communes_monthly, contract.EPCI_MONTHLY: result.epci_monthly,
               contract.TERRITORY_MONTHLY: result.territory_monthly}
    write_results(tmp_path / "merged", roofs=[p / contract.ROOFS for p in parts],
                  buildings=[p / contract.BUILDINGS for p in parts], communes=result.communes, epci=result.epci,
                  territory=result.territory, monthly=monthly)
    back = read_results(tmp_path / "merged")
    assert back.meta is None
    assert list(back.buildings["building_id"]) == ["1", "2", "3"]
    roofs = result.roofs["building_id"]
    assert list(back.roofs["building_id"]) == [str(v) for ids in ([1], [2, 3]) for v in roofs[roofs.isin(ids)]]


# --------------------------------------------------------------------------- the reader


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
@pytest.mark.parametrize("name", contract.RESULT_TABLES)
def test_the_reader_refuses_a_folder_with_a_missing_file(result, tmp_path, name):
    folder = write_buildings(tmp_path / "out", result, sources=SOURCES)
    (folder / name).unlink()
    with pytest.raises(InputFileError) as info:
        read_results(folder)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{folder / name}: missing;")
