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
