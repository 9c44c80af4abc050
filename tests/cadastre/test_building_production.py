"""The one rule that sums faces into buildings (``compute_buildings`` and ``cadastre reweather``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

import cadastre.results.reweather as reweather_module
from cadastre.roofs.buildings import MONTHLY_COLUMNS, building_production


def _faces() -> pd.DataFrame:
    months = np.arange(1, 13) / 78.0  # sums to 1
    rows = [("a", 1, True, 900.0, 2.0), ("a", 2, True, 950.0, 1.0), ("a", 3, False, 990.0, 0.0),
            ("b", 4, True, 800.0, 3.0), ("b", 5, True, 800.0, 3.0)]
    table = pd.DataFrame(rows, columns=["building_id", "face", "suitable", "specific_yield", "mwh"])
    for m, column in enumerate(MONTHLY_COLUMNS):
        table[column] = table["mwh"] * months[m]
    return table


def test_sums_yield_net_and_best_face():
    """Sums per building, 0 for a building without faces, NaN yield without kWp, the best suitable face (the
    first in face order on a tie)."""
    out = building_production(_faces(), ["b", "c", "a"], [4.0, 0.0, 3.0], 0.65)
    np.testing.assert_allclose(out["mwh"], [6.0, 0.0, 3.0])
    np.testing.assert_allclose(out[list(MONTHLY_COLUMNS)].sum(axis=1), out["mwh"])
    np.testing.assert_allclose(out["specific_yield"], [1500.0, np.nan, 1000.0])
    np.testing.assert_allclose(out["mwh_net"], [3.9, 0.0, 1.95])
    assert out["best_face"].tolist() == [4, 0, 2]  # a's face 3 yields more but is not suitable


def test_reweather_sums_buildings_by_the_same_rule():
    faces = _faces()
    buildings = pd.DataFrame({"building_id": ["a", "b"], "kwp": [3.0, 4.0], "mwh": [0.0, 0.0]})
    out = reweather_module._buildings(buildings, faces, 0.65)
    expected = building_production(faces, ["a", "b"], [3.0, 4.0], 0.65)
    for column in expected:
        np.testing.assert_array_equal(out[column].to_numpy(), expected[column].to_numpy(), err_msg=column)
