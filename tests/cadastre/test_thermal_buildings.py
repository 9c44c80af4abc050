"""Solar water heating of buildings and faces, and in the tables (cadastre.roofs.buildings.building_thermal)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import dsm_array
from scenes import CELL, GROUND, town

from cadastre import irradiance
from cadastre.areas.aggregate import aggregate
from cadastre.config import Config
from cadastre.roofs.buildings import BUILDING_THERMAL_COLUMNS, ROOF_THERMAL_COLUMNS, building_thermal, compute_buildings
from cadastre.solar.thermal import plane_thermal
from cadastre.solar.weather import load_weather
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SITE = (50.811, 3.310, 0.0)


def _weather():
    return load_weather(ROOT / "cadastre" / "data" / "pvgis_tmy_50.811_3.310_2005_2020.csv")


def test_building_thermal_places_the_standard_system_on_the_best_face():
    faces = pd.DataFrame({"face": [1, 2, 3], "usable_area_m2": [40.0, 6.0, 50.0], "tilt": [35.0, 35.0, 20.0],
                          "azimuth": [180.0, 90.0, 180.0], "shading_ratio": [1.0, 0.9, 1.0]})
    buildings = pd.DataFrame({"building_id": [1, 2, 3, 4], "footprint_area_m2": [100.0, 90.0, 500.0, 80.0],
                              "best_face": [1, 2, 3, 0], "has_data": [True, True, True, True],
                              "input_USAGE1": ["Résidentiel", None, "Commercial et services", "Résidentiel"]})
    w = _weather()
    face_out, out = building_thermal(faces, buildings, w, SITE, Config())
    # a house: the CESI, 4 m2; a house on a 6 m2 face: capped at half of it; not residential; no suitable face
    np.testing.assert_allclose(out["thermal_area_m2"], [4.0, 3.0, 0.0, 0.0])
    np.testing.assert_allclose(out["dwellings"], [1, 1, 0, 1])
    alone = plane_thermal(w, SITE, [35.0], [180.0], area=4.0, tank_l=300.0, demand_l=150.0)
    assert out["thermal_mwh"].iloc[0] == pytest.approx(alone.solar_kwh[0] / 1000.0)
    assert out["thermal_fraction"].iloc[0] == pytest.approx(alone.solar_fraction[0])
    assert 0 < out["thermal_fraction"].iloc[1] < out["thermal_fraction"].iloc[0]
    assert list(face_out.index) == [1, 2] and list(face_out.columns) == list(ROOF_THERMAL_COLUMNS)
    np.testing.assert_allclose(face_out["thermal_yield"], 1000.0 * face_out["thermal_mwh"] / face_out["thermal_area_m2"])
    assert list(out.columns) == list(BUILDING_THERMAL_COLUMNS)


def _table_input(thermal: bool) -> pd.DataFrame:
    frame = pd.DataFrame({"insee": ["59001", "59001", "59002"], "commune": ["A", "A", "B"],
                          "epci_siren": ["1", "1", "1"], "epci": ["E", "E", "E"], "roof_area_m2": [100.0] * 3,
                          "usable_area_m2": [50.0] * 3, "usable_area_net_m2": [30.0] * 3, "kwp": [10.0] * 3,
                          "kwp_net": [6.0] * 3, "mwh": [9.0] * 3, "mwh_net": [6.0] * 3})
    if thermal:
        frame["thermal_area_m2"] = [4.0, 0.0, 12.0]
        frame["thermal_mwh"] = [1.6, 0.0, 4.5]
    return frame


def test_tables_sum_the_thermal_potential():
    communes = aggregate(_table_input(True), "insee")
    np.testing.assert_allclose(communes["thermal_area_m2"], [4.0, 12.0])
    np.testing.assert_allclose(communes["thermal_gwh"], [0.0016, 0.0045])
    territory = aggregate(_table_input(True), None)
    assert territory["thermal_gwh"].iloc[0] == pytest.approx(0.0061)
    # a result written before solar water heating: its tables count none
    assert aggregate(_table_input(False), None)["thermal_gwh"].iloc[0] == 0.0


@pytest.mark.slow
def test_compute_buildings_writes_the_thermal_columns_from_the_profiles():
    z, footprints, _expected = town()
    w = _weather()
    irr = irradiance(dsm_array(z, CELL), w, n_directions=16, sky="perez", horizons=True)
    result = compute_buildings(irr, footprints, w, ndsm=z - GROUND)
    assert result.profiles is not None
    b, roofs = result.buildings, result.roofs
    assert (b["thermal_area_m2"] > 0).any()
    with_system = roofs[roofs["thermal_area_m2"] > 0]
    assert with_system["thermal_yield"].notna().all() and roofs.loc[roofs["thermal_area_m2"] == 0,
                                                                    "thermal_yield"].isna().all()
    per_building = with_system.groupby("building_id")["thermal_mwh"].sum()
    np.testing.assert_allclose(b.set_index("building_id").loc[per_building.index, "thermal_mwh"], per_building)
    assert (with_system["face"].isin(b["best_face"])).all()
    assert result.territory["thermal_gwh"].iloc[0] == pytest.approx(b["thermal_mwh"].sum() / 1000.0)
