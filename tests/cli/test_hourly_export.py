"""``cadastre buildings --hourly IDS``: the hourly AC power of chosen buildings (``hourly.csv``, ``docs/run-dir.md``).

On :func:`report_scene.engine_buildings` (four synthetic houses near Lens, 8 horizon directions, default weather):
each building's hourly kW, summed over the year, is its ``mwh`` of buildings.gpkg within 0.1 %; the stamps are
the weather's rows in UTC ISO 8601; an unknown id, or no horizon codes, is one line and writes nothing; a rerun
without --hourly removes the earlier hourly.csv (it would not match the new tables).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from helpers import cli_runner, shared_build
from report_scene import engine_buildings

from cli.main import app

pytestmark = pytest.mark.slow  # an irradiance (shared) and buildings runs (~7 s)


def buildings(folder, out, *options):
    return cli_runner().invoke(app, ["buildings", "-i", str(folder / "irradiance.tif"), "-p", str(folder / "prepared"),
                                     "-f", str(folder / "footprints.gpkg"), "-o", str(out), "-q", *options])


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    """engine_buildings' folder, built once per session and shared with the report tests: only read it."""
    _root, out = shared_build(tmp_path_factory, "report-engine", lambda root: engine_buildings(root / "scene"))
    return out.parent


@pytest.fixture(scope="module")
def hourly(scene, tmp_path_factory):
    """``buildings --hourly "1,3, 2"`` on the scene, run once per session: (its output folder, exit code, output).
    Only read the folder (the rerun test changes a copy)."""
    def build(root):
        result = buildings(scene, root / "out", "--hourly", "1,3, 2")
        return root / "out", result.exit_code, result.output

    return shared_build(tmp_path_factory, "hourly-export", build)[1]


def test_hourly_sums_to_each_buildings_mwh(hourly):
    out, exit_code, output = hourly
    assert exit_code == 0, output
    table = pd.read_csv(out / "hourly.csv", dtype={"building_id": str})
    assert list(table.columns) == ["time", "building_id", "kw_ac"]
    assert list(dict.fromkeys(table["building_id"])) == ["1", "3", "2"]
    first = table[table["building_id"] == "1"]
    stamps = pd.to_datetime(first["time"], format="%Y-%m-%dT%H:%M:%SZ", utc=True)
    assert len(first) in (8760, 8784) and stamps.notna().all() and first["time"].iloc[0].endswith("Z")
    layer = pyogrio.read_dataframe(out / "buildings.gpkg", layer="buildings").set_index("building_id")
    hours = (stamps.iloc[1] - stamps.iloc[0]) / pd.Timedelta(hours=1)
    for building, rows in table.groupby("building_id"):
        mwh = float(layer.loc[int(building), "mwh"])
        assert mwh > 0
        assert rows["kw_ac"].sum() * hours / 1000.0 == pytest.approx(mwh, rel=1e-3), building
        assert rows["kw_ac"].min() >= 0.0


def test_unknown_id_is_one_line_and_writes_nothing(scene, tmp_path):
    out = tmp_path / "out"
    result = buildings(scene, out, "--hourly", "1,999")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "999" in lines[0] and "--hourly" in lines[0]
    assert not out.exists() or not any(out.iterdir())


def test_without_horizon_codes_is_refused_before_the_work(scene, tmp_path):
    bare = tmp_path / "bare.tif"
    bare.write_bytes((scene / "irradiance.tif").read_bytes())
    result = cli_runner().invoke(app, ["buildings", "-i", str(bare), "-p", str(scene / "prepared"), "-f",
                                       str(scene / "footprints.gpkg"), "-o", str(tmp_path / "out"), "-q",
                                       "--hourly", "1"])
    assert result.exit_code == 2
    assert "no horizon codes" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_rerun_without_hourly_removes_the_earlier_file(scene, hourly, tmp_path):
    out = Path(shutil.copytree(hourly[0], tmp_path / "out"))  # a --hourly run's folder
    assert hourly[1] == 0
    assert (out / "hourly.csv").is_file()
    assert buildings(scene, out, "--overwrite").exit_code == 0
    assert not (out / "hourly.csv").exists()
