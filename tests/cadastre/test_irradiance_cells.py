"""Irradiance on wanted cells only (``irradiance(..., cells=)``): the same values as every cell, elsewhere NaN."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import dsm_array

from cadastre import irradiance
from cadastre.errors import OptionError
from cadastre.solar.weather import load_weather
from kernels import accumulate_cells, accumulate_direction, apply_far, apply_far_cells
from cadastre.solar.farfield import FarField
from rasters.coarse import coarse_surface
from cadastre.errors import AllNodataError

SKY = ("global", "beam", "diffuse", "reflected", "svf")


def _town(n=120, seed=5):
    rng = np.random.default_rng(seed)
    z = 40.0 + rng.normal(0, 0.05, (n, n))
    for _ in range(30):
        r, c = rng.integers(0, n - 12, 2)
        h, w = rng.integers(6, 12, 2)
        z[r:r + h, c:c + w] += rng.uniform(4, 15) + np.linspace(0, rng.uniform(0, 3), w)[None, :]
    z[5:9, 100:110] = np.nan
    z[110:, :20] = 95.0  # a tall block: the far field sees it from beyond the near reach
    return z


@pytest.fixture(scope="module")
def weather():
    return load_weather("clearsky", latitude=50.43, longitude=2.83, altitude=40.0)


@pytest.mark.slow
@pytest.mark.parametrize("sky", ["isotropic", "perez"])
@pytest.mark.parametrize("far", [False, True])
def test_wanted_cells_equal_a_full_run(weather, sky, far):
    """On random wanted cells every band equals the full computation; the other cells are NaN (not slope, aspect)."""
    dsm = dsm_array(_town())
    rng = np.random.default_rng(1)
    cells = rng.random(dsm.shape) < 0.2
    field = FarField(coarse_surface(dsm, 2.5), 400.0) if far else None
    full = irradiance(dsm, weather, n_directions=16, max_distance=10.0, sky=sky, far_field=field)
    part = irradiance(dsm, weather, n_directions=16, max_distance=10.0, sky=sky, far_field=field, cells=cells)
    valid = cells & np.isfinite(dsm.values)
    for band in SKY:
        a, b = full[band].values, part[band].values
        np.testing.assert_array_equal(b[valid], a[valid], err_msg=band)
        assert np.isnan(b[~valid]).all(), band
    for band in ("slope", "aspect"):
        np.testing.assert_array_equal(part[band].values, full[band].values)
    if far:  # the far field changes these cells: the test compares something that matters
        near = irradiance(dsm, weather, n_directions=16, max_distance=10.0, sky=sky, cells=cells)
        assert np.nanmax(np.abs(near["svf"].values - part["svf"].values)) > 0.01


def test_bad_cells_masks(weather):
    dsm = dsm_array(_town(40))
    with pytest.raises(OptionError, match="shape"):
        irradiance(dsm, weather, n_directions=8, cells=np.ones((40, 41), bool))
    with pytest.raises(AllNodataError, match="no wanted cell"):
        irradiance(dsm, weather, n_directions=8, cells=np.zeros((40, 40), bool))


def test_listed_kernels_equal_the_grid_kernels():
    """accumulate_cells / apply_far_cells on a list of cells = accumulate_direction / apply_far on the grid."""
    rng = np.random.default_rng(2)
    shape = (30, 40)
    horizon = np.tan(np.radians(rng.uniform(-5, 50, shape)))
    horizon[rng.random(shape) < 0.3] = np.nan
    s, a = np.radians(rng.uniform(0, 60, shape)), np.radians(rng.uniform(0, 360, shape))
    ne, nn, nu = np.sin(s) * np.sin(a), np.sin(s) * np.cos(a), np.cos(s)
    table = np.cumsum(rng.random((901, 3)), axis=0)[::-1].copy()
    z = rng.uniform(30, 60, shape)
    obs_row, obs_col = np.arange(shape[0]) // 5, np.arange(shape[1]) // 5
    obs_z = np.sort(rng.uniform(20, 70, (6, 8, 3)), axis=2)
    far_tan, far_dist = rng.uniform(-0.1, 0.6, obs_z.shape), rng.uniform(200, 2000, obs_z.shape)
    grid = horizon.copy()
    grid_height = np.ones(shape)
    apply_far(grid, z, obs_row, obs_col, obs_z, far_tan, far_dist, False, grid_height)
    rows, cols = np.nonzero(rng.random(shape) < 0.5)
    listed = horizon.copy()
    listed_height = np.ones(shape)
    apply_far_cells(listed, rows, cols, z[rows, cols], obs_row[rows], obs_col[cols], obs_z, far_tan, far_dist,
                    listed_height)
    np.testing.assert_array_equal(listed[rows, cols], grid[rows, cols])
    # a raised horizon no longer has a near obstacle's height
    np.testing.assert_array_equal(listed_height[rows, cols], grid_height[rows, cols])
    raised = (grid != horizon) & ~np.isnan(horizon)
    assert raised.any() and np.isnan(grid_height[raised]).all() and (grid_height[~raised] == 1.0).all()
    dense = [np.zeros(shape) for _ in range(5)]
    accumulate_direction(grid, ne, nn, nu, 123.0, table, 0.2 * table, 0.1, 6.5, True, *dense)
    sparse = [np.zeros(rows.size) for _ in range(5)]
    accumulate_cells(grid, rows, cols, ne[rows, cols], nn[rows, cols], nu[rows, cols], 123.0, table, 0.2 * table,
                     0.1, 6.5, True, *sparse)
    for d, p in zip(dense, sparse, strict=True):
        np.testing.assert_array_equal(p, d[rows, cols])
    assert np.count_nonzero(dense[1]) > 0 and np.count_nonzero(dense[3]) > 0
