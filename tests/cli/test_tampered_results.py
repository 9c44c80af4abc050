"""``cadastre report`` and ``cadastre qualify`` on a damaged result folder refuse it in one line.

The folder is a real ``cadastre buildings`` output (``report_scene.engine_buildings``, 1 m cells, built once per
session), copied into ``tmp_path`` and damaged there: upper-case headers, a missing column, NaN or text where
numbers belong, a GeoPackage without its layer, metadata that is a list, a number where a path belongs, a missing
key. The same folder with ``run.json`` instead of ``buildings.json`` stands for a run folder. Every damage gives
exit code 2, one ``error:`` line naming the file and the column or key, no traceback and no output.

Metadata that points outside the folder: a weather path climbing to a secret file is refused without a word of
the file; a ``tables`` entry of ``run.json`` that leads outside the folder (``..``, a symbolic link) is refused.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from helpers import cli_runner, error_line, shared_build
from report_scene import engine_buildings

from cadastre.results.read import tables_record
from cli.main import app

runner = cli_runner()
SECRET = "root:$6$SECRET-HASH-do-not-print:19000:0:99999:7:::"


@pytest.fixture(scope="module")
def engine_folder(tmp_path_factory) -> Path:
    """A ``cadastre buildings`` folder written by the engine (shared by the session; only read here)."""
    _root, folder = shared_build(tmp_path_factory, "readers-engine", lambda root: engine_buildings(root / "scene",
                                                                                                  cell=1.0))
    return folder


def copy_of(engine_folder: Path, tmp_path: Path, kind: str) -> Path:
    """A copy of the folder in ``tmp_path``: as written (``buildings``), or as a run folder (``run``: ``run.json``
    with a run id, complete)."""
    folder = tmp_path / "results" / kind
    shutil.copytree(engine_folder, folder)
    if kind == "run":
        meta = json.loads((folder / "buildings.json").read_text())
        (folder / "buildings.json").unlink()
        (folder / "run.json").write_text(json.dumps({**meta, "run_id": "test-run", "complete": True}))
    return folder


def meta_file(folder: Path) -> Path:
    return folder / ("run.json" if (folder / "run.json").is_file() else "buildings.json")


def edit_csv(name, edit):
    def tamper(folder):
        path = folder / name
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        edit(table).to_csv(path, index=False)
    return tamper


def upper_headers(name):
    def tamper(folder):
        path = folder / name
        head, rest = path.read_text(encoding="utf-8").split("\n", 1)
        path.write_text(head.upper() + "\n" + rest, encoding="utf-8")
    return tamper


def edit_layer(name, edit, layer=None):
    def tamper(folder):
        path = folder / name
        frame = gpd.read_file(path, layer=path.stem)
        path.unlink()
        edit(frame).to_file(path, layer=layer or path.stem, driver="GPKG")
    return tamper


def edit_meta(edit):
    def tamper(folder):
        path = meta_file(folder)
        path.write_text(json.dumps(edit(json.loads(path.read_text()))))
    return tamper


def without(key):
    return lambda meta: {k: v for k, v in meta.items() if k != key}


# damage -> (file named, column or key named): refused by both readers
BOTH = {
    "communes.csv upper-case headers": (upper_headers("communes.csv"), "communes.csv", "'insee'"),
    "communes.csv gwh_net as text": (edit_csv("communes.csv", lambda t: t.assign(gwh_net="a lot")), "communes.csv",
                                     "'gwh_net'"),
    "communes.csv buildings not an integer": (edit_csv("communes.csv", lambda t: t.assign(buildings="1.5")),
                                              "communes.csv", "'buildings'"),
    "roofs NaN tilt": (edit_layer("roofs.gpkg", lambda g: g.assign(tilt=float("nan"))), "roofs.gpkg", "'tilt'"),
    "roofs tilt as text": (edit_layer("roofs.gpkg", lambda g: g.assign(tilt="steep")), "roofs.gpkg", "'tilt'"),
    "roofs kwp as text": (edit_layer("roofs.gpkg", lambda g: g.assign(kwp="12 kWc")), "roofs.gpkg", "'kwp'"),
    "roofs layer renamed": (edit_layer("roofs.gpkg", lambda g: g, layer="faces"), "roofs.gpkg", "layer 'roofs'"),
    "buildings layer renamed": (edit_layer("buildings.gpkg", lambda g: g, layer="other"), "buildings.gpkg",
                                "layer 'buildings'"),
    "buildings without insee": (edit_layer("buildings.gpkg", lambda g: g.drop(columns="insee")), "buildings.gpkg",
                                "'insee'"),
    "buildings mwh as text": (edit_layer("buildings.gpkg", lambda g: g.assign(mwh="lots")), "buildings.gpkg",
                              "'mwh'"),
    "metadata a list": (edit_meta(lambda m: [m]), ".json", "not an object"),
    "metadata weather a number": (edit_meta(lambda m: {**m, "weather": 42}), ".json", "'weather'"),
    "metadata communes a number": (edit_meta(lambda m: {**m, "communes": 7}), ".json", "'communes'"),
    "metadata without weather": (edit_meta(without("weather")), ".json", "'weather'"),
    "metadata without crs": (edit_meta(without("crs")), ".json", "'crs'"),
    "metadata parameters a list": (edit_meta(lambda m: {**m, "parameters": [1, 2]}), ".json", "'parameters'"),
    "metadata net_reduction as text": (edit_meta(lambda m: {**m, "net_reduction": "35 %"}), ".json",
                                       "'net_reduction'"),
    "metadata albedo as text": (edit_meta(lambda m: {**m, "parameters": {**m["parameters"], "albedo": "high"}}),
                                ".json", "'parameters.albedo'"),
}
# refused by the report, which reads these (the qualification does not read them)
REPORT_ONLY = {
    "communes.csv without gwh_net": (edit_csv("communes.csv", lambda t: t.drop(columns="gwh_net")), "communes.csv",
                                     "'gwh_net'"),
    "epci.csv upper-case headers": (upper_headers("epci.csv"), "epci.csv", "'epci_siren'"),
    "territory.csv without gwh_net": (edit_csv("territory.csv", lambda t: t.drop(columns="gwh_net")),
                                      "territory.csv", "'gwh_net'"),
    "roofs without class": (edit_layer("roofs.gpkg", lambda g: g.drop(columns="class")), "roofs.gpkg", "'class'"),
    "coverage layer renamed": (edit_layer("coverage.gpkg", lambda g: g, layer="parts"), "coverage.gpkg",
                               "layer 'coverage'"),
    "metadata without parameters": (edit_meta(without("parameters")), ".json", "'parameters'"),
}


def municipal_csv(folder: Path, tmp_path: Path) -> Path:
    """One municipal building: the first building of the folder, by its id."""
    first = gpd.read_file(folder / "buildings.gpkg", layer="buildings").iloc[0]
    path = tmp_path / "municipal.csv"
    path.write_text(f"insee,name,type,building_id\n{first['insee']},Ecole,school,{first['building_id']}\n",
                    encoding="utf-8")
    return path


def invoke(command: str, folder: Path, municipal: Path, out: Path):
    if command == "report":
        args = ["report", folder, "--commune", "62291", "-o", out / "report.html"]
    else:
        args = ["qualify", folder, "-b", municipal, "-o", out, "-q"]
    return runner.invoke(app, [str(a) for a in args])


def refused(engine_folder, tmp_path, kind, command, damage) -> str:
    folder = copy_of(engine_folder, tmp_path, kind)
    municipal = municipal_csv(folder, tmp_path)
    tamper, named, what = damage
    tamper(folder)
    out = tmp_path / "out"
    result = invoke(command, folder, municipal, out)
    line = error_line(result, named, what)
    assert "Traceback" not in result.stderr + result.stdout
    assert not out.exists(), sorted(p.name for p in out.rglob("*"))
    return line


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
@pytest.mark.parametrize("kind", ["buildings", "run"])
@pytest.mark.parametrize("command", ["report", "qualify"])
@pytest.mark.parametrize("damage", list(BOTH))
def test_both_readers_refuse_a_damaged_folder(engine_folder, tmp_path, kind, command, damage):
    refused(engine_folder, tmp_path, kind, command, BOTH[damage])


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
@pytest.mark.parametrize("kind", ["buildings", "run"])
@pytest.mark.parametrize("damage", list(REPORT_ONLY))
def test_report_refuses_a_folder_without_what_it_shows(engine_folder, tmp_path, kind, damage):
    refused(engine_folder, tmp_path, kind, "report", REPORT_ONLY[damage])


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
@pytest.mark.parametrize("command", ["report", "qualify"])
def test_an_intact_copy_is_read(engine_folder, tmp_path, command):
    """The control: the engine's own folder passes every check (a check that refused it would be wrong)."""
    folder = copy_of(engine_folder, tmp_path, "run")
    result = invoke(command, folder, municipal_csv(folder, tmp_path), tmp_path / "out")
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)


@pytest.mark.slow  # would build the shared engine folder for the fast subset alone (about 1 s): out of `make test-fast`
@pytest.mark.parametrize("kind", ["buildings", "run"])
def test_weather_outside_the_folder_is_refused_without_echoing_it(engine_folder, tmp_path, kind):
    """A weather path that climbs out of the folder to a secret file: one line, not a word of the file."""
    folder = copy_of(engine_folder, tmp_path, kind)
    secret = tmp_path / "etc" / "shadow"
    secret.parent.mkdir()
    secret.write_text(SECRET + "\nbin:*:19000:0:99999:7:::\n", encoding="utf-8")
    climb = "../" * len(folder.relative_to(tmp_path).parts) + "etc/shadow"
    assert (folder / climb).resolve() == secret.resolve()
    edit_meta(lambda m: {**m, "weather": climb})(folder)
    out = tmp_path / "out"
    result = invoke("qualify", folder, municipal_csv(folder, tmp_path), out)
    line = error_line(result, "shadow", "not a weather file")
    assert "SECRET" not in result.stderr + result.stdout and "$6$" not in line
    assert not out.exists()


@pytest.mark.slow  # would build the shared engine folder for the fast subset alone (about 1 s): out of `make test-fast`
@pytest.mark.parametrize("name", ["../../../../../../../../etc/passwd", "/etc/passwd", "link.csv"])
def test_run_tables_outside_the_folder_are_refused(engine_folder, tmp_path, name):
    """``run.json`` lists its tables; one that leads outside the folder (``..``, absolute, a link) is refused
    before it is read."""
    folder = copy_of(engine_folder, tmp_path, "run")
    outside = tmp_path / "elsewhere.csv"
    outside.write_text(SECRET + "\n", encoding="utf-8")
    (folder / "link.csv").symlink_to(outside)
    record = tables_record(folder)
    edit_meta(lambda m: {**m, "tables": {name: {"rows": 1}, **record}})(folder)
    for command in ("report", "qualify"):
        result = invoke(command, folder, municipal_csv(folder, tmp_path), tmp_path / "out")
        error_line(result, "run.json 'tables'", "outside the folder")
        assert "SECRET" not in result.stderr


@pytest.mark.slow  # would build the shared engine folder for the fast subset alone (about 1 s): out of `make test-fast`
def test_a_table_of_the_run_replaced_by_a_link_outside_is_refused(engine_folder, tmp_path):
    folder = copy_of(engine_folder, tmp_path, "run")
    edit_meta(lambda m: {**m, "tables": tables_record(folder)})(folder)
    outside = tmp_path / "territory.csv"
    shutil.copy(folder / "territory.csv", outside)
    (folder / "territory.csv").unlink()
    (folder / "territory.csv").symlink_to(outside)
    result = invoke("report", folder, municipal_csv(folder, tmp_path), tmp_path / "out")
    error_line(result, "outside the folder")


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["buildings", "run"])
def test_reweather_blames_a_damaged_profile_file_not_the_disk(engine_folder, tmp_path, kind):
    """A truncated ``profiles.parquet`` is an input error naming that file, not 'cannot write ... check the disk'."""
    folder = copy_of(engine_folder, tmp_path, kind)
    path = folder / "profiles.parquet"
    assert path.is_file()
    path.write_bytes(path.read_bytes()[:3000])
    out = tmp_path / "out"
    result = runner.invoke(app, ["reweather", str(folder), "--weather", "clearsky", "-o", str(out), "-q"])
    line = error_line(result, "profiles.parquet", "not a readable Parquet file")
    assert "cannot write" not in line and "disk" not in line
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]
