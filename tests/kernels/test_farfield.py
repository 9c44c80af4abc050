"""Two-level horizon (near field + far field swept on a max-pooled coarse surface) against a full-resolution horizon."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from kernels import apply_far, centre_horizons, far_sweep, far_sweep_bruteforce, horizon_tan, observer_heights
from cadastre.solar.farfield import FarField, far_setup
from rasters.coarse import CoarseSurface, block_max

pytestmark = pytest.mark.slow  # kilometre scenes at full resolution: left out of `make test-fast`

RES = 4.0  # fine cell [m]
SIZE = 5200.0  # scene side [m]
NEAR = 200.0  # near-field reach [m]
FAR = 5000.0


def _scene(kind: str) -> tuple[np.ndarray, tuple[slice, slice]]:
    """Heights [m] on a SIZE x SIZE scene: a patch of houses in the middle and a far obstacle.

    'cone': a cone 100 m high (base radius 250 m) 2 km north-east of the patch;
    'ridge': a ridge 60 m high, Gaussian cross-section (sigma 120 m), 4 km long,
    running north-south 1.5 km west of the patch, on a plain rising gently east.
    """
    n = int(SIZE / RES)
    y, x = np.mgrid[0:n, 0:n] * RES + RES / 2
    cx = cy = SIZE / 2
    z = np.full((n, n), 30.0)
    if kind == "cone":
        ax, ay = cx + 2000 / math.sqrt(2), cy - 2000 / math.sqrt(2)  # rows count down: north is -y
        r = np.hypot(x - ax, y - ay)
        z += np.clip(100.0 * (1 - r / 250.0), 0, None)
    else:
        z += 0.002 * (x - cx)
        along = np.abs(y - cy) <= 2000
        z += np.where(along, 60.0 * np.exp(-0.5 * ((x - (cx - 1500)) / 120.0) ** 2), 0.0)
    # houses: 8 m boxes with pitched roofs in a 120 m patch around the centre
    patch = (slice(int((cy - 60) / RES), int((cy + 60) / RES)), slice(int((cx - 60) / RES), int((cx + 60) / RES)))
    rng = np.random.default_rng(3)
    for _ in range(12):
        r0, c0 = rng.integers(patch[0].start, patch[0].stop - 8), rng.integers(patch[1].start, patch[1].stop - 8)
        ridge = np.abs(np.arange(8) - 3.5)
        z[r0 : r0 + 8, c0 : c0 + 8] = np.maximum(z[r0 : r0 + 8, c0 : c0 + 8], 30 + 8 + 3 - ridge[None, :] * 0.8)
    return z, patch


def _coarse(z, coarse_cell, origin=(0, 0)):
    values, r0, c0 = block_max(z, origin[0], origin[1], int(round(coarse_cell / RES)))
    return CoarseSurface(values, coarse_cell, r0, c0)


def _two_level(z, azimuth, coarse_cell, origin=(0, 0), surface=None, region=None):
    near, height = np.empty_like(z), np.empty_like(z)
    horizon_tan(z, azimuth, RES, NEAR, near, *origin, centre=False, height=height)
    surface = _coarse(z, coarse_cell, origin) if surface is None else surface
    setup = far_setup(FarField(surface, FAR, region=region), z, origin, RES, NEAR)
    t, d = np.empty_like(setup.obs_z), np.empty_like(setup.obs_z)
    far_sweep(setup.surface, azimuth, setup.cell, setup.d0, setup.dmax, setup.row0, setup.col0, setup.obs_z,
              setup.orow, setup.ocol, t, d)
    apply_far(near, z, setup.obs_row, setup.obs_col, setup.obs_z, t, d, False, height)
    centre_horizons(z, near, height, azimuth, RES, *origin)  # the engine's order: tracks, far field, then centres
    return near


def _degrees(tan):
    return np.degrees(np.arctan(np.maximum(tan, 0.0)))


@pytest.fixture(scope="module", params=["cone", "ridge"])
def scene(request):
    return request.param, *_scene(request.param)


@pytest.mark.parametrize("coarse_cell", [20.0])
def test_two_level_horizon_matches_full_resolution(scene, coarse_cell):
    """In 24 directions, every patch cell's two-level horizon is within 0.5° of the full-resolution one.

    The two-level horizon is computed as a tile does: on a window around the patch (the patch and
    the near reach), with its global origin and the whole scene's coarse surface; its patch cells
    equal the whole raster's (test_windows_equal_one_raster), at a hundredth of the near-field work.
    """
    kind, z, patch = scene
    worst, seen = 0.0, 0.0
    need = np.zeros(z.shape, bool)
    need[patch] = True  # the oracle traced only for the patch: the same values there (horizon_tan's need)
    margin = int(NEAR / RES) + 2  # the near reach, in cells, and a little more
    window = tuple(slice(s.start - margin, s.stop + margin) for s in patch)
    inner = tuple(slice(margin, margin + s.stop - s.start) for s in patch)  # the patch in the window
    zw = np.ascontiguousarray(z[window])
    surface = _coarse(z, coarse_cell)
    for azimuth in np.arange(0, 360, 360 / 24):
        full = np.full_like(z, np.nan)
        horizon_tan(z, azimuth, RES, FAR, full, need=need)
        two = _two_level(zw, azimuth, coarse_cell, origin=(window[0].start, window[1].start), surface=surface)
        a, b = _degrees(full[patch]), _degrees(two[inner])
        worst = max(worst, float(np.abs(a - b).max()))
        seen = max(seen, float(a.max()))
    assert worst <= 0.5, f"{kind}: worst difference {worst:.3f}°"
    # the far obstacle is really there: without the far field it would be lost
    expected = {"cone": math.degrees(math.atan(100 / 2000)) * 0.8, "ridge": math.degrees(math.atan(55 / 1500))}
    assert seen >= expected[kind]


def test_far_field_sees_the_cone_the_near_field_misses():
    """Toward the cone apex the near field alone sees ~0°, the two-level horizon ~atan((H - h) / D)."""
    z, patch = _scene("cone")
    i = j = int((SIZE / 2 - 300) / RES)  # a ground cell 300 m north and west of the houses
    east = SIZE / 2 + 2000 / math.sqrt(2) - (j + 0.5) * RES
    north = (i + 0.5) * RES - (SIZE / 2 - 2000 / math.sqrt(2))
    azimuth = math.degrees(math.atan2(east, north))
    near = np.empty_like(z)
    horizon_tan(z, azimuth, RES, NEAR, near)
    two = _two_level(z, azimuth, 20.0)
    assert _degrees(near[i, j]) < 0.1
    analytic = math.degrees(math.atan((130.0 - z[i, j]) / math.hypot(east, north)))
    assert abs(_degrees(two[i, j]) - analytic) < 0.5


def test_windows_equal_one_raster():
    """A window with its global origin gets the whole raster's two-level horizon (tiles agree)."""
    z, _patch = _scene("ridge")
    win = (slice(550, 750), slice(500, 700))
    surface = _coarse(z, 20.0)
    inner = (slice(50, 150), slice(50, 150))  # cells whose near reach (50 cells) lies inside the window
    for azimuth in (270.0, 33.0, 135.0):
        full = _two_level(z, azimuth, 20.0, surface=surface)
        part = _two_level(np.ascontiguousarray(z[win]), azimuth, 20.0, origin=(win[0].start, win[1].start),
                          surface=surface)
        assert np.allclose(part[inner], full[win][inner], rtol=1e-12, atol=1e-12)
        assert (part[inner] > 0.02).any() or azimuth != 270.0  # the ridge, 1.5 km west, is seen


def test_region_limits_the_far_field_to_its_cells():
    """With a region (a tile's core), cells in it get the far field, the others the near field only."""
    z, _patch = _scene("ridge")
    win = (slice(550, 750), slice(500, 700))
    zw = np.ascontiguousarray(z[win])
    origin = (win[0].start, win[1].start)
    surface = _coarse(z, 20.0)
    # region: window cells 50..150 (x from col 550 to 650, y from row 600 to 700; y = -row * RES)
    region = (550 * RES, -700 * RES, 650 * RES, -600 * RES)
    full = _two_level(zw, 270.0, 20.0, origin=origin, surface=surface)
    part = _two_level(zw, 270.0, 20.0, origin=origin, surface=surface, region=region)
    near = np.empty_like(zw)
    horizon_tan(zw, 270.0, RES, NEAR, near, *origin)
    inside = (slice(50, 150), slice(50, 150))
    np.testing.assert_array_equal(part[inside], full[inside])
    outside = np.ones(zw.shape, bool)
    outside[45:155, 45:155] = False  # observers of 20 m straddle the region's edge
    np.testing.assert_array_equal(part[outside], near[outside])
    assert (full[outside] != near[outside]).any()


@settings(max_examples=60, deadline=None)
@given(
    zc=arrays(np.float64, st.tuples(st.integers(1, 40), st.integers(1, 40)),
              elements=st.one_of(st.floats(-20, 120), st.just(np.nan))),
    azimuth=st.floats(0, 360, exclude_max=True),
    d0=st.floats(0, 60),
    span=st.floats(1, 200),
    origin=st.tuples(st.integers(-300, 300), st.integers(-300, 300)),
    observers=st.tuples(st.integers(-3, 10), st.integers(-3, 10), st.integers(1, 30), st.integers(1, 30)),
    seed=st.integers(0, 2**16),
)
def test_far_sweep_equals_the_line_march(zc, azimuth, d0, span, origin, observers, seed):
    """Property: the hull sweep gives each observer the largest angle of the samples d0..dmax ahead on its line,
    and the distance of that sample, as marching the line sample by sample does."""
    rng = np.random.default_rng(seed)
    orow, ocol, nro, nco = observers
    obs_z = np.sort(rng.uniform(-30, 130, (nro, nco, 3)), axis=2)
    obs_z[rng.random((nro, nco)) < 0.2] = np.nan
    cell, dmax = 5.0, d0 + span
    got_t, got_d, ref_t, ref_d = (np.empty_like(obs_z) for _ in range(4))
    far_sweep(zc, azimuth, cell, d0, dmax, *origin, obs_z, orow, ocol, got_t, got_d)
    far_sweep_bruteforce(zc, azimuth, cell, d0, dmax, *origin, obs_z, orow, ocol, ref_t, ref_d)
    assert np.array_equal(np.isinf(got_t), np.isinf(ref_t))
    fin = np.isfinite(ref_t)
    np.testing.assert_allclose(got_t[fin], ref_t[fin], rtol=1e-9, atol=1e-12)
    # the obstacle's distance: equal unless two samples give the same angle
    same = np.isclose(got_d[fin], ref_d[fin], rtol=1e-12)
    assert same.mean() > 0.9 if same.size else True


def test_far_sweep_reaches_between_d0_and_dmax():
    """A lone 100 m peak is seen only when its distance lies within [d0, dmax]."""
    zc = np.zeros((1, 200))
    zc[0, 150] = 100.0  # 5 m cells: the peak 100 cells = 500 m east of column 50
    obs_z = np.zeros((1, 1, 1))
    t, d = np.empty_like(obs_z), np.empty_like(obs_z)
    for d0, dmax, seen in ((200.0, 1000.0, True), (505.0, 1000.0, False), (100.0, 495.0, False)):
        far_sweep(zc, 90.0, 5.0, d0, dmax, 0, 0, obs_z, 0, 50, t, d)
        if seen:
            assert t[0, 0, 0] == pytest.approx(100.0 / 500.0) and d[0, 0, 0] == pytest.approx(500.0)
        else:
            assert t[0, 0, 0] <= 0.0


@settings(max_examples=40, deadline=None)
@given(z=arrays(np.float64, st.tuples(st.integers(1, 40), st.integers(1, 40)), elements=st.floats(0, 50)),
       row0=st.integers(-30, 30), col0=st.integers(-30, 30), factor=st.integers(1, 6))
def test_block_max_is_anchored_to_the_global_grid(z, row0, col0, factor):
    """Each coarse cell holds the maximum (float32) of the fine cells whose global index falls in it."""
    values, r0, c0 = block_max(z, row0, col0, factor)
    expected = np.full(values.shape, -np.inf)
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            R, C = (row0 + i) // factor - r0, (col0 + j) // factor - c0
            expected[R, C] = max(expected[R, C], np.float32(z[i, j]))
    assert np.array_equal(values, expected.astype(np.float32))


@settings(max_examples=40, deadline=None)
@given(heights=st.lists(st.floats(-50, 150), min_size=5, max_size=5), azimuth=st.floats(0, 360),
       levels=st.integers(2, 4))
def test_tangents_never_exceed_the_exact_far_horizon(heights, azimuth, levels):
    """Property: for any cell height the tangent rule is <= the exact far horizon of the observer, and
    equal at the reference heights."""
    rng = np.random.default_rng(int(sum(heights) * 10) % 2**16)
    zc = rng.uniform(0, 120, (64, 64))
    obs_z = np.sort(np.array(heights[:levels]))[None, None, :]
    t, d = np.empty_like(obs_z), np.empty_like(obs_z)
    far_sweep(zc, azimuth, 5.0, 20.0, 150.0, 0, 0, obs_z, 32, 32, t, d)

    def exact(h):
        one, dist = np.empty((1, 1, 1)), np.empty((1, 1, 1))
        far_sweep_bruteforce(zc, azimuth, 5.0, 20.0, 150.0, 0, 0, np.array([[[h]]]), 32, 32, one, dist)
        return one[0, 0, 0]

    for k in range(levels):
        assert math.isclose(t[0, 0, k], exact(obs_z[0, 0, k]), rel_tol=1e-9, abs_tol=1e-9)
    for h in heights:
        zz = np.array([[h]])
        horizon = np.array([[-np.inf]])
        apply_far(horizon, zz, np.array([0]), np.array([0]), obs_z, t, d, False, np.empty((1, 1)))
        assert horizon[0, 0] <= exact(h) + 1e-9


def test_observer_heights_span_the_cells_served():
    z = np.array([[1.0, 5.0, np.nan], [3.0, 2.0, 9.0]])
    out = np.empty((1, 2, 3))
    observer_heights(z, np.array([0, 0]), np.array([0, 0, 1]), out)
    assert np.allclose(out[0, 0], [1.0, 3.0, 5.0])
    assert np.allclose(out[0, 1], [9.0, 9.0, 9.0])
