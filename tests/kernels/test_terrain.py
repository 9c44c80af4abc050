"""Horn normals, slope and aspect against analytic planes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kernels import horn_normals, slope_aspect


def _slope_aspect(z, cs):
    ne, nn, nu = (np.empty_like(z) for _ in range(3))
    horn_normals(z, cs, ne, nn, nu)
    s, a = np.empty_like(z), np.empty_like(z)
    slope_aspect(ne, nn, nu, s, a)
    return s, a, (ne, nn, nu)


@pytest.mark.parametrize("tilt", [0.5, 10, 35, 60, 80])
@pytest.mark.parametrize("aspect", [0, 45, 90, 135, 180, 225, 270, 300])
def test_plane_slope_and_aspect(tilt, aspect):
    """A plane facing ``aspect`` (downhill direction, clockwise from north) with slope ``tilt``: exact (1e-9°)."""
    cs = 0.5
    rows, cols = np.mgrid[0:9, 0:9]
    b, g = math.radians(tilt), math.radians(aspect)
    z = -math.tan(b) * (cols * cs * math.sin(g) - rows * cs * math.cos(g))
    s, a, (ne, nn, nu) = _slope_aspect(z, cs)
    inner = (slice(1, -1), slice(1, -1))
    assert np.allclose(s[inner], tilt, atol=1e-9)
    assert np.allclose(np.cos(np.radians(a[inner] - aspect)), 1.0, atol=1e-12)
    assert np.allclose(ne**2 + nn**2 + nu**2, 1.0)


def test_east_facing_roof_has_aspect_90():
    z = np.tile(np.arange(10.0, 0.0, -1.0), (5, 1))  # heights fall towards the east (columns)
    s, a, _ = _slope_aspect(z, 1.0)
    assert a[2, 5] == pytest.approx(90.0)
    assert s[2, 5] == pytest.approx(45.0)


def test_flat_cell_convention_and_nodata():
    z = np.zeros((5, 5))
    z[0, 0] = np.nan
    s, a, _ = _slope_aspect(z, 1.0)
    assert s[2, 2] == 0.0 and a[2, 2] == 180.0
    assert np.isnan(s[0, 0]) and np.isnan(a[0, 0])
    assert s[1, 1] == 0.0  # a nodata neighbour takes the centre height


@pytest.mark.parametrize("tilt, aspect", [(0, 180), (10, 0), (35, 180), (35, 90), (45, 225)])
def test_cells_beside_a_wall_keep_their_own_plane(tilt, aspect):
    """Cells at the foot of a tall wall, and on the edge of a roof above a drop, get the slope and aspect of
    their own plane: the neighbours across the wall are left out (mirrored from the other side)."""
    cs = 0.5
    rows, cols = np.mgrid[0:20, 0:20]
    b, g = math.radians(tilt), math.radians(aspect)
    z = 5.0 - math.tan(b) * (cols * cs * math.sin(g) - rows * cs * math.cos(g))
    z[:, 12:] += 15.0  # a wall along column 12: a 15 m step up, the same plane on top
    s, a, _ = _slope_aspect(z, cs)
    for col in (11, 12):  # the foot of the wall, and the edge of the upper plane
        assert np.allclose(s[1:-1, col], tilt, atol=1e-9)
        if tilt:
            assert np.allclose(np.cos(np.radians(a[1:-1, col] - aspect)), 1.0, atol=1e-12)


def test_grid_edge_cells_get_their_plane_and_steep_slopes_stay_steep():
    """A plane reaches the grid's edge with its own slope; a 75° slope (steeper than the wall threshold on
    both sides of every cell) is still read as a 75° slope, not as walls."""
    cs = 0.5
    rows, cols = np.mgrid[0:9, 0:9]
    z = 0.3 * cols * cs + 0.1 * rows * cs
    s, _, _ = _slope_aspect(z, cs)
    assert np.allclose(s, s[4, 4], atol=1e-9)
    z = np.tan(np.radians(75)) * cols * cs
    s, a, _ = _slope_aspect(z, cs)
    assert np.allclose(s[:, 1:-1], 75.0, atol=1e-9) and np.allclose(a[:, 1:-1], 270.0)
