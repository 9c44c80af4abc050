"""The engine's faces (on the list of roof cells) against a dense reference.

The reference (tests/cadastre/roofs_dense.py) does every step on whole
arrays; the engine works on the roof cells only. On random roofs (pitched
planes, flat parts, ridges, noise, holes with no normal, touching buildings,
faces on the grid's edge) both must give the same labels and the same table.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import xarray as xr
from helpers import dsm_array
from hypothesis import given, settings
from hypothesis import strategies as st
from roofs_dense import dense_faces
import pytest

from cadastre.config import RoofConfig
from cadastre.roofs.faces import faces


def _scene(seed: int, shape: tuple[int, int], cell: float):
    """Slope, aspect and global rasters of random buildings, and their roof numbers."""
    rng = np.random.default_rng(seed)
    h, w = shape
    roof = np.zeros(shape, np.int32)
    slope = np.full(shape, np.nan, np.float32)
    aspect = np.full(shape, np.nan, np.float32)
    for number in range(1, int(rng.integers(1, 7)) + 1):
        i0, j0 = int(rng.integers(0, h - 2)), int(rng.integers(0, w - 2))
        i1, j1 = min(h, i0 + int(rng.integers(2, 16))), min(w, j0 + int(rng.integers(2, 16)))
        roof[i0:i1, j0:j1] = number  # later buildings may cover or touch earlier ones
        tilt = float(rng.choice([2.0, 5.0, 30.0, 40.0]))
        facing = float(rng.uniform(0, 360))
        slope[i0:i1, j0:j1] = tilt
        aspect[i0:i1, j0:j1] = facing
        if rng.random() < 0.6:  # a gable: the other half faces the other way
            mid = (j0 + j1) // 2
            aspect[i0:i1, mid:j1] = (facing + 180.0) % 360.0
            slope[i0:i1, mid] = 0.0  # ridge cells
    noisy = rng.random(shape) < 0.15
    slope[noisy] = rng.uniform(0, 80, noisy.sum())
    aspect[noisy] = rng.uniform(0, 360, noisy.sum())
    holes = rng.random(shape) < 0.03
    slope[holes] = np.nan
    glob = rng.uniform(300, 1200, shape).astype(np.float32)
    glob[rng.random(shape) < 0.02] = np.nan
    base = dsm_array(np.zeros(shape), cell)
    ds = xr.Dataset({name: base.copy(data=values) for name, values in
                     (("slope", slope), ("aspect", aspect), ("global", glob))})
    return ds.rio.write_crs(base.rio.crs), roof


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    shape=st.tuples(st.integers(3, 40), st.integers(3, 40)),
    cell=st.sampled_from([0.5, 1.0]),
    setback=st.sampled_from([0.0, 0.5, 1.0, 1.6, 2.5]),
    fragment=st.sampled_from([0.5, 4.0, 20.0]),
)
def test_faces_equal_the_dense_reference(seed, shape, cell, setback, fragment):
    ds, roof = _scene(seed, shape, cell)
    config = dataclasses.replace(RoofConfig(), setback=setback, min_fragment_area=fragment)
    labels, table = faces(ds, roof, config)
    want_labels, want = dense_faces(ds, roof, config)
    np.testing.assert_array_equal(labels, want_labels)
    assert labels.dtype == want_labels.dtype
    pd.testing.assert_frame_equal(table, want, check_exact=False, rtol=1e-12, atol=0.0)


def test_faces_of_no_roof_cell():
    ds, roof = _scene(1, (6, 6), 0.5)
    labels, table = faces(ds, np.zeros_like(roof))
    assert not labels.any()
    assert table.empty and list(table.columns) == list(dense_faces(ds, np.zeros_like(roof))[1].columns)
