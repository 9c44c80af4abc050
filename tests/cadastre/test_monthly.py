"""Monthly production of every roof face (issue "Time: monthly and hourly production of every roof face").

- With horizon codes, ``compute_buildings`` takes each face's production from its shading profile (the hourly
  shaded PVWatts of ``face_production``), returns the profiles, and gives ``mwh_01`` ... ``mwh_12`` per face
  and building that sum to ``mwh``; without them, the annual method and the unshaded plane's monthly shares.
- The monthly tables of communes, EPCI and territory sum to the annual tables, in memory and in the files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import dsm_array
from scenes import CELL, GROUND, town

from cadastre import irradiance
from cadastre.areas.aggregate import load_communes
from cadastre.config import Config
from cadastre.results import contract
from cadastre.results.write import write_buildings
from cadastre.roofs.buildings import MONTHLY_COLUMNS, MONTHLY_PROFILES, MONTHLY_SHARES, compute_buildings
from cadastre.roofs.profiles import read_profiles
from cadastre.solar.hourly import face_production
from cadastre.solar.weather import clearsky_weather

SOURCES = {"footprints": "footprints.gpkg", "irradiance": "irradiance.tif", "weather": "clearsky",
           "communes": "communes.geojson", "crs": "EPSG:2154", "seconds": 1.0}


def _weather():
    """Clear sky, one day in each month (12 days: fast, and every month has production)."""
    w = clearsky_weather(50.43, 2.83, 54.0)
    keep = w.data.index.day == 15
    return type(w)(data=w.data[keep], sun_times=w.sun_times[keep], interval_hours=1.0, source="clearsky-15th",
                   kind="clearsky", time_label=w.time_label, metadata={})


@pytest.fixture(scope="module")
def scene():
    z, footprints, _expected = town()
    w = _weather()
    irr = irradiance(dsm_array(z, CELL), w, n_directions=16, sky="perez", horizons=True)
    return z, footprints, w, irr


@pytest.fixture(scope="module")
def with_profiles(scene):
    z, footprints, w, irr = scene
    return compute_buildings(irr, footprints, w, ndsm=z - GROUND, config=Config(), communes=load_communes())


@pytest.fixture(scope="module")
def without_profiles(scene):
    z, footprints, w, irr = scene
    return compute_buildings(irr.drop_vars("horizon"), footprints, w, ndsm=z - GROUND, config=Config(),
                             communes=load_communes())


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_production_comes_from_the_profiles(scene, with_profiles):
    _z, _fp, w, irr = scene
    r = with_profiles
    assert r.report["monthly"] == MONTHLY_PROFILES
    assert r.profiles is not None and list(r.profiles.faces) == list(r.roofs["face"])
    site = tuple(r.report["site"][k] for k in ("latitude", "longitude", "altitude"))
    expected = face_production(w, site, r.profiles, pv=Config().pv, sky="perez", albedo=0.2).table
    kwp = r.roofs["kwp"].to_numpy()
    assert (kwp > 0).sum() >= 3
    np.testing.assert_allclose(r.roofs["mwh"], np.where(kwp > 0, kwp * expected["specific_yield"] / 1000, 0),
                               rtol=1e-12)
    np.testing.assert_allclose(r.roofs["mwh_06"], np.where(kwp > 0, kwp * expected["yield_06"] / 1000, 0),
                               rtol=1e-12)


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
@pytest.mark.parametrize("which", ["with_profiles", "without_profiles"])
def test_months_sum_to_the_year(which, request):
    r = request.getfixturevalue(which)
    for layer in (r.roofs, r.buildings):
        months = layer[list(MONTHLY_COLUMNS)].to_numpy()
        assert (months >= 0).all()
        np.testing.assert_allclose(months.sum(axis=1), layer["mwh"], rtol=1e-9, atol=1e-12)
    # June's clear-sky day gives more than December's
    assert r.buildings["mwh_06"].sum() > 2 * r.buildings["mwh_12"].sum() > 0
    for monthly, annual in ((r.communes_monthly, r.communes), (r.epci_monthly, r.epci),
                            (r.territory_monthly, r.territory)):
        assert len(monthly) == 12 * len(annual)
        assert monthly["month"].tolist() == list(range(1, 13)) * len(annual)
        for column in ("gwh_gross", "gwh_net"):
            summed = monthly[column].to_numpy().reshape(len(annual), 12).sum(axis=1)
            np.testing.assert_allclose(summed, annual[column], rtol=1e-9, atol=1e-15)


@pytest.mark.slow
def test_without_horizon_codes_the_annual_method_and_unshaded_shares(with_profiles, without_profiles):
    r = without_profiles
    assert r.profiles is None and r.report["monthly"] == MONTHLY_SHARES
    # the annual method: yield table x shading ratio
    np.testing.assert_allclose(r.roofs["mwh"], r.roofs["kwp"] * r.roofs["specific_yield"] / 1000, rtol=1e-12)
    # same faces and suitability either way; the profile's production within a few percent of the annual method's
    assert list(r.roofs["suitable"]) == list(with_profiles.roofs["suitable"])
    np.testing.assert_allclose(with_profiles.territory["gwh_gross"], r.territory["gwh_gross"], rtol=0.05)


@pytest.mark.slow
def test_the_folder_holds_the_profiles_and_monthly_tables_summing_to_the_annual_ones(with_profiles, tmp_path):
    folder = write_buildings(tmp_path / "out", with_profiles, sources=SOURCES)
    assert sorted(p.name for p in folder.iterdir()) == sorted([*contract.BUILDINGS_FILES, contract.PROFILES])
    back = read_profiles(folder / contract.PROFILES)
    assert list(back.faces) == list(with_profiles.roofs["face"])
    for name, annual_name in zip(contract.MONTHLY_TABLES, contract.TABLES, strict=True):
        monthly = pd.read_csv(folder / name)
        annual = pd.read_csv(folder / annual_name)
        assert list(monthly.columns) == list(contract.MONTHLY_TABLE_COLUMNS_OF[name])
        for column in ("gwh_gross", "gwh_net"):  # 6 decimals in each file: 12 roundings at most
            summed = monthly[column].to_numpy().reshape(len(annual), 12).sum(axis=1)
            np.testing.assert_allclose(summed, annual[column], atol=13 * 0.5e-6)
    import openpyxl

    sheets = openpyxl.load_workbook(folder / contract.WORKBOOK, read_only=True).sheetnames
    assert sheets == ["communes", "epci", "territory", "communes_monthly", "epci_monthly", "territory_monthly"]


@pytest.mark.slow
def test_a_set_without_profiles_removes_an_earlier_sets(with_profiles, without_profiles, tmp_path):
    folder = write_buildings(tmp_path / "out", with_profiles, sources=SOURCES)
    assert (folder / contract.PROFILES).is_file()
    write_buildings(folder, without_profiles, sources=SOURCES, overwrite=True)
    assert sorted(p.name for p in folder.iterdir()) == sorted(contract.BUILDINGS_FILES)
