"""``cadastre reweather`` on a run folder: tile by tile, all or nothing, and ``--hourly``.

On the shared run of ``test_run_failures`` (four houses, 6 tiles of 20 m, a day of weather):

- with the run's own weather the CSV tables are the run's, byte for byte, and the layers' production and
  profiles the run's; with another weather the tables change;
- the faces, buildings and profiles are read part by part, a part being consecutive tiles up to
  ``PART_FACES`` faces (with parts of one tile: the most faces held at once is the largest tile's, one row
  group of profiles.parquet per tile);
- a full disk part-way writes nothing and leaves no staging folder;
- ``--hourly`` gives each building's AC power, whose sum is its reweathered ``mwh``; an unknown id is one line.
"""

from __future__ import annotations

import errno
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from helpers import cli_runner, error_line, shared_build, tmp_files
from test_run_failures import _clean_run

import cadastre.results.reweather as reweather_module
import cadastre.roofs.profiles as profiles_module
from cadastre.results import contract
from cadastre.roofs.profiles import read_profiles
from cadastre.solar.weather import default_weather_path
from cli.main import app

runner = cli_runner()
CSV = (*contract.TABLES, *contract.MONTHLY_TABLES)


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """The scene and its complete run (``run/``), shared with test_run_failures: never changed here."""
    folder, _summary = shared_build(tmp_path_factory, "failures-scene", _clean_run)
    return folder


def _reweather(run, out, weather, *options):
    return runner.invoke(app, ["reweather", str(run), "-w", str(weather), "-o", str(out), "-q", *options])


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_own_weather_gives_the_runs_tables_byte_for_byte(clean, tmp_path):
    run, out = clean / "run", tmp_path / "out"
    result = _reweather(run, out, clean / "day.csv")
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    for name in CSV:
        assert (out / name).read_bytes() == (run / name).read_bytes(), name
    for name in (contract.ROOFS, contract.BUILDINGS):
        before, after = gpd.read_file(run / name), gpd.read_file(out / name)
        assert list(after.columns) == list(before.columns) and "tile" in after
        pd.testing.assert_frame_equal(pd.DataFrame(after.drop(columns="geometry")),
                                      pd.DataFrame(before.drop(columns="geometry")), check_exact=True)
        assert after.geometry.equals(before.geometry)
    old, new = read_profiles(run / contract.PROFILES), read_profiles(out / contract.PROFILES)
    assert list(new.faces) == list(old.faces)
    np.testing.assert_array_equal(new.quantiles, old.quantiles)
    np.testing.assert_array_equal(new.cumulative, old.cumulative)
    meta = json.loads((out / contract.BUILDINGS_META).read_text())
    assert meta["faces"] == 8 and meta["buildings"] == 4 and meta["reweathered"]["from"] == str(run)
    assert tmp_files(tmp_path) == []


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_another_weather_changes_the_tables(clean, tmp_path):
    run, out = clean / "run", tmp_path / "out"
    result = _reweather(run, out, default_weather_path())
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    for name in CSV:
        assert (out / name).read_bytes() != (run / name).read_bytes(), name
    months = pd.read_csv(out / contract.TERRITORY_MONTHLY)["gwh_gross"]
    assert (months > 0).all()  # a year, where the run had one day of June
    assert months.sum() == pytest.approx(pd.read_csv(out / contract.TERRITORY)["gwh_gross"].iloc[0], rel=1e-5)


@pytest.mark.slow
def test_parts_group_consecutive_tiles_up_to_a_number_of_faces(clean):
    run = clean / "run"
    roofs = pyogrio.read_dataframe(run / contract.ROOFS, columns=["tile"], read_geometry=False)["tile"]
    buildings = pyogrio.read_dataframe(run / contract.BUILDINGS, columns=["tile"], read_geometry=False)["tile"]
    for budget, most in ((1, roofs.value_counts().max()), (4, 4), (10_000, len(roofs))):
        parts = reweather_module._parts(run, budget)
        assert [t for p in parts for t in p.tiles] == list(dict.fromkeys(buildings))  # each tile once, in order
        held = [len(pyogrio.read_dataframe(run / contract.ROOFS, where=p.roofs, read_geometry=False)) for p in parts]
        assert sum(held) == len(roofs) and max(held) == most, (budget, held)
        assert sum(len(pyogrio.read_dataframe(run / contract.BUILDINGS, where=p.buildings, read_geometry=False))
                   for p in parts) == len(buildings)
    assert len(reweather_module._parts(run, 10_000)) == 1


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_a_run_is_read_one_tile_at_a_time(clean, tmp_path, monkeypatch):
    """With parts of one tile (PART_FACES = 1), the most faces (and buildings) held at once is the largest
    tile's, and each tile's profiles come from one row group of the merged file."""
    monkeypatch.setattr(reweather_module, "PART_FACES", 1)
    run = clean / "run"
    roofs = pyogrio.read_dataframe(run / contract.ROOFS, columns=["tile"], read_geometry=False)
    per_tile = roofs["tile"].value_counts()
    assert len(per_tile) > 1 and per_tile.max() < len(roofs)
    held, groups = {"roofs": [], "buildings": [], "profiles": []}, []
    layer, profiles, row_groups = (reweather_module.read_layer, reweather_module.read_profiles,
                                   profiles_module.row_groups_read)

    def read_layer(path, **options):
        frame = layer(path, **options)
        held[path.stem].append(len(frame))
        return frame

    def read_profiles(path, **options):
        out = profiles(path, **options)
        held["profiles"].append(len(out))
        return out

    def row_groups_read(path, faces):
        out = row_groups(path, faces)
        groups.append(len(out))
        return out

    monkeypatch.setattr(reweather_module, "read_layer", read_layer)
    monkeypatch.setattr(reweather_module, "read_profiles", read_profiles)
    monkeypatch.setattr(profiles_module, "row_groups_read", row_groups_read)
    result = _reweather(run, tmp_path / "out", clean / "day.csv")
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    assert sum(held["roofs"]) == len(roofs) and max(held["roofs"]) == per_tile.max()
    assert max(held["profiles"]) == per_tile.max() and sum(held["profiles"]) == len(roofs)
    buildings = pyogrio.read_dataframe(run / contract.BUILDINGS, columns=["tile"], read_geometry=False)
    assert max(held["buildings"]) == buildings["tile"].value_counts().max() < len(buildings)
    assert groups and max(groups) == 1


@pytest.mark.slow
def test_a_full_disk_part_way_writes_nothing(clean, tmp_path, monkeypatch):
    monkeypatch.setattr(reweather_module, "PART_FACES", 1)  # a part per tile: the disk fills at the second tile
    run, out = clean / "run", tmp_path / "out"
    written = []
    original = reweather_module.write_vector

    def write_vector(frame, path, **options):
        if len(written) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(path)
        return original(frame, path, **options)

    monkeypatch.setattr(reweather_module, "write_vector", write_vector)
    result = _reweather(run, out, clean / "day.csv")
    error_line(result, str(out), "No space left on device")
    assert not out.exists() and tmp_files(tmp_path) == []


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_hourly_sums_to_the_reweathered_mwh(clean, tmp_path):
    run, out = clean / "run", tmp_path / "out"
    ids = pyogrio.read_dataframe(run / contract.BUILDINGS, columns=["building_id"],
                                 read_geometry=False)["building_id"].astype(str).tolist()
    wanted = [ids[2], ids[0]]
    result = _reweather(run, out, default_weather_path(), "--hourly", ",".join(wanted))
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    table = pd.read_csv(out / contract.HOURLY, dtype={"building_id": str})
    assert list(table.columns) == list(contract.HOURLY_COLUMNS)
    assert list(dict.fromkeys(table["building_id"])) == wanted
    assert len(table) == 2 * 8760 and table["time"].iloc[0].endswith("Z")
    layer = pyogrio.read_dataframe(out / contract.BUILDINGS, read_geometry=False).set_index("building_id")
    for building, rows in table.groupby("building_id"):
        mwh = float(layer.loc[building, "mwh"])
        assert mwh > 0 and rows["kw_ac"].min() >= 0.0
        assert rows["kw_ac"].sum() / 1000.0 == pytest.approx(mwh, rel=1e-5), building  # hourly rows
    result = _reweather(run, tmp_path / "other", clean / "day.csv", "--hourly", f"{ids[0]},nowhere")
    error_line(result, "--hourly", "nowhere")
    assert not (tmp_path / "other").exists() and tmp_files(tmp_path) == []


@pytest.mark.slow
def test_a_runs_tables_sum_its_buildings_thermal_columns(clean):
    """The run's merge (and so reweather's tables) sums the buildings' solar water heating, not 0."""
    run = clean / "run"
    buildings = pyogrio.read_dataframe(run / contract.BUILDINGS, columns=["thermal_area_m2", "thermal_mwh"],
                                       read_geometry=False)
    assert buildings["thermal_mwh"].sum() > 0
    territory = pd.read_csv(run / "territory.csv")
    assert territory["thermal_area_m2"].sum() == pytest.approx(buildings["thermal_area_m2"].sum(), rel=1e-3)
    assert territory["thermal_gwh"].sum() == pytest.approx(buildings["thermal_mwh"].sum() / 1000, rel=1e-2, abs=1e-3)


THERMAL = ("dwellings", "thermal_area_m2", "thermal_mwh", "thermal_fraction")
ECONOMICS = ("thermal_savings_eur", "thermal_co2_t", "thermal_payback_years")


def _brighter(day, path, factor=1.3):
    """A copy of the run's day with its irradiance times ``factor``."""
    table = pd.read_csv(day)
    for column in ("ghi", "dni", "dhi"):
        table[column] *= factor
    table.to_csv(path, index=False)
    return path


@pytest.mark.slow
def test_the_solar_water_heating_follows_the_new_weather(clean, tmp_path):
    """More irradiance, more solar heat on the same collectors; the tables sum the buildings' new heat."""
    run, out = clean / "run", tmp_path / "out"
    result = _reweather(run, out, _brighter(clean / "day.csv", tmp_path / "bright.csv"))
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    key = ["building_id"]
    before = pyogrio.read_dataframe(run / contract.BUILDINGS, read_geometry=False).set_index(key)
    after = pyogrio.read_dataframe(out / contract.BUILDINGS, read_geometry=False).set_index(key).loc[before.index]
    equipped = before["thermal_area_m2"] > 0
    assert equipped.sum() == 4
    np.testing.assert_array_equal(after["dwellings"], before["dwellings"])
    np.testing.assert_array_equal(after["thermal_area_m2"], before["thermal_area_m2"])
    gain = after.loc[equipped, "thermal_mwh"] / before.loc[equipped, "thermal_mwh"]
    assert (gain > 1.05).all() and (gain < 1.3).all(), gain.tolist()  # losses and the tank: less than the sun's +30 %
    assert (after.loc[equipped, "thermal_fraction"] > before.loc[equipped, "thermal_fraction"]).all()
    roofs = pyogrio.read_dataframe(out / contract.ROOFS, read_geometry=False)
    placed = roofs[roofs["thermal_area_m2"] > 0]
    assert len(placed) == 4 and roofs.loc[roofs["thermal_area_m2"] == 0, "thermal_yield"].isna().all()
    assert placed["thermal_mwh"].sum() == pytest.approx(after["thermal_mwh"].sum(), rel=1e-12)
    np.testing.assert_allclose(placed["thermal_yield"], 1000 * placed["thermal_mwh"] / placed["thermal_area_m2"])
    communes = pd.read_csv(out / contract.COMMUNES, dtype={"insee": str})
    by_commune = after.groupby(after["insee"].astype(str))["thermal_mwh"].sum() / 1000
    for insee, gwh in by_commune.items():
        assert communes.set_index("insee").loc[insee, "thermal_gwh"] == pytest.approx(gwh, abs=5e-7)
    assert pd.read_csv(out / contract.TERRITORY)["thermal_gwh"].iloc[0] == pytest.approx(by_commune.sum(), abs=5e-7)


@pytest.mark.slow
def test_a_folder_without_the_thermal_record_is_refused(clean, tmp_path):
    """Thermal columns but no recorded thermal parameters: they cannot be recomputed, one line, nothing written."""
    import shutil

    run = shutil.copytree(clean / "run", tmp_path / "run")
    meta = json.loads((run / contract.RUN_META).read_text())
    del meta["parameters"]["thermal"]
    (run / contract.RUN_META).write_text(json.dumps(meta))
    result = _reweather(run, tmp_path / "out", clean / "day.csv")
    error_line(result, "'thermal'", contract.BUILDINGS)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_an_older_folder_without_thermal_columns_stays_without(clean, tmp_path):
    """A folder of an engine before the solar water heating: reweathered as it is, the tables' thermal columns 0."""
    import shutil

    run = shutil.copytree(clean / "run", tmp_path / "run")
    for name, columns in ((contract.BUILDINGS, THERMAL + ECONOMICS), (contract.ROOFS, ("thermal_area_m2", "thermal_mwh",
                                                                             "thermal_yield"))):
        layer = gpd.read_file(run / name).drop(columns=list(columns))
        (run / name).unlink()
        layer.to_file(run / name, layer=contract.LAYERS[name], driver="GPKG")
    out = tmp_path / "out"
    result = _reweather(run, out, _brighter(clean / "day.csv", tmp_path / "bright.csv"))
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    fields = pyogrio.read_info(out / contract.BUILDINGS)["fields"]
    assert not set(THERMAL + ECONOMICS) & set(fields) and "mwh" in fields
    assert (pd.read_csv(out / contract.COMMUNES)["thermal_gwh"] == 0).all()


@pytest.mark.slow
def test_a_folder_without_the_economics_columns_is_read_and_reweathered_with_them(clean, tmp_path):
    """A folder written before the solar water heaters' economics (heat columns, no economics): read as it is, and
    reweathered with the economics of the new heat (cadastre.roofs.buildings.thermal_economics)."""
    import shutil

    from cadastre.config import config_from_dict
    from cadastre.results.read import read_layer
    from cadastre.roofs.buildings import BUILDING_HEAT_COLUMNS, thermal_economics

    run = shutil.copytree(clean / "run", tmp_path / "run")
    full = gpd.read_file(run / contract.BUILDINGS)
    assert set(ECONOMICS) <= set(full.columns) and (full["thermal_savings_eur"] > 0).sum() == 4  # one day's heat
    (run / contract.BUILDINGS).unlink()
    full.drop(columns=list(ECONOMICS)).to_file(run / contract.BUILDINGS, layer=contract.LAYERS[contract.BUILDINGS],
                                               driver="GPKG")
    assert not set(ECONOMICS) & set(read_layer(run / contract.BUILDINGS).columns)
    out = tmp_path / "out"
    result = _reweather(run, out, _brighter(clean / "day.csv", tmp_path / "bright.csv"))
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    after = read_layer(out / contract.BUILDINGS)
    thermal = config_from_dict({"thermal": json.loads((run / contract.RUN_META).read_text())["parameters"]["thermal"]})
    expected = thermal_economics(pd.DataFrame({c: after[c].to_numpy(np.float64) for c in BUILDING_HEAT_COLUMNS}),
                                 thermal.thermal)
    for column in ECONOMICS:
        np.testing.assert_allclose(after[column].to_numpy(np.float64), expected[column].to_numpy(), rtol=1e-12)
    assert (after["thermal_savings_eur"] > 0).sum() == 4
