"""Horizon sweep against the brute-force ray march (oracle) and analytic geometry."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from kernels import horizon_tan, horizon_tan_bruteforce, line_step, need_blocks, runs_along_rows

ROOT = Path(__file__).resolve().parents[2]


def _across(need, azimuth):
    """``need`` and the neighbours of its cells across the lines of ``azimuth`` (traced for the centring)."""
    out = need.copy()
    if runs_along_rows(azimuth):  # lines step along rows: the neighbours across are in the same row
        out[:, 1:] |= need[:, :-1]
        out[:, :-1] |= need[:, 1:]
    else:
        out[1:] |= need[:-1]
        out[:-1] |= need[1:]
    return out


def _both(z, azimuth, cellsize, max_distance):
    a = np.empty_like(z)
    b = np.empty_like(z)
    horizon_tan(z, azimuth, cellsize, max_distance, a)
    horizon_tan_bruteforce(z, azimuth, cellsize, max_distance, b)
    return a, b


heights = st.floats(min_value=-50, max_value=50, allow_nan=False, width=64)


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(
    z=arrays(np.float64, st.tuples(st.integers(1, 24), st.integers(1, 24)), elements=heights),
    azimuth=st.one_of(st.floats(0, 360, exclude_max=True), st.sampled_from([0.0, 45.0, 90.0, 135.0, 180.0, 270.0])),
    cellsize=st.floats(0.25, 2.0),
    max_distance=st.floats(0.3, 40.0),
    holes=st.floats(0, 0.3),
    seed=st.integers(0, 2**16),
)
def test_sweep_equals_bruteforce(z, azimuth, cellsize, max_distance, holes, seed):
    """Property: the convex-hull sweep equals the ray march on random DSMs with nodata (1e-9)."""
    rng = np.random.default_rng(seed)
    z = z.copy()
    z[rng.random(z.shape) < holes] = np.nan
    a, b = _both(z, azimuth, cellsize, max_distance)
    assert np.array_equal(np.isnan(a), np.isnan(b))
    assert np.array_equal(np.isinf(a), np.isinf(b))
    fin = np.isfinite(a)
    assert np.allclose(a[fin], b[fin], rtol=1e-9, atol=1e-9)


@pytest.mark.slow
@settings(max_examples=80, deadline=None)
@given(
    z=arrays(np.float64, st.tuples(st.integers(1, 30), st.integers(1, 30)), elements=heights),
    azimuth=st.floats(0, 360, exclude_max=True),
    max_distance=st.floats(0.3, 40.0),
    wanted=st.floats(0, 1),
    seed=st.integers(0, 2**16),
    origin=st.tuples(st.integers(-500, 500), st.integers(-500, 500)),
)
def test_needed_cells_equal_the_brute_force(z, azimuth, max_distance, wanted, seed, origin):
    """Property: with a mask of needed cells, those cells get the ray march's horizon; the others are untouched,
    but for the neighbours across the lines, whose tracks the centring reads."""
    rng = np.random.default_rng(seed)
    z = z.copy()
    z[rng.random(z.shape) < 0.1] = np.nan
    need = rng.random(z.shape) < wanted
    a = np.full_like(z, 123.0)
    b = np.empty_like(z)
    horizon_tan(z, azimuth, 0.5, max_distance, a, *origin, need=need)
    horizon_tan_bruteforce(z, azimuth, 0.5, max_distance, b, *origin)
    assert (a[~_across(need, azimuth)] == 123.0).all()
    assert np.array_equal(np.isnan(a[need]), np.isnan(b[need]))
    assert np.array_equal(np.isinf(a[need]), np.isinf(b[need]))
    fin = need & np.isfinite(b)
    assert np.allclose(a[fin], b[fin], rtol=1e-9, atol=1e-9)


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(
    z=arrays(np.float64, st.tuples(st.integers(1, 30), st.integers(1, 30)), elements=heights),
    azimuth=st.floats(0, 360, exclude_max=True),
    max_distance=st.floats(0.3, 40.0),
    wanted=st.one_of(st.none(), st.floats(0, 1)),
    floor=st.one_of(st.just(0.0), st.floats(-3.0, 3.0)),
    roofs=st.booleans(),
    relief=st.floats(0.0, 1.0),
    gradient=st.tuples(st.floats(-3.0, 3.0), st.floats(-3.0, 3.0)),
    seed=st.integers(0, 2**16),
)
def test_floor_equals_the_clamped_brute_force(z, azimuth, max_distance, wanted, floor, roofs, relief, gradient,
                                              seed):
    """Property: with a floor, every (needed) track point gets max(ray march, floor); NaN stays NaN.

    The heights are random bumps (scaled by ``relief``) on a tilted plane
    (``gradient``, m per cell), so that negative horizons, where a negative
    floor matters, are common. ``roofs``: the needed cells are raised 5-20 m
    above the rest, as roofs are above the ground between them (most samples
    then fall below the floor's cut).
    """
    rng = np.random.default_rng(seed)
    rows, cols = np.indices(z.shape)
    z = relief * z + gradient[0] * rows + gradient[1] * cols
    z[rng.random(z.shape) < 0.1] = np.nan
    need = None if wanted is None else rng.random(z.shape) < wanted
    if roofs and need is not None:
        z[need] += rng.uniform(5, 20, int(need.sum()))
    a = np.full_like(z, 123.0)
    b = np.empty_like(z)
    # the track points' horizons: on planes many vertices tie for the largest slope up to rounding, and the
    # centring reads the height of the one chosen (the nearest, in both, but rounding differs)
    horizon_tan(z, azimuth, 0.5, max_distance, a, need=need, floor=floor, centre=False)
    horizon_tan_bruteforce(z, azimuth, 0.5, max_distance, b, floor=floor, centre=False)
    mask = np.ones(z.shape, bool) if need is None else need
    assert (a[~_across(mask, azimuth)] == 123.0).all()
    assert np.array_equal(np.isnan(a[mask]), np.isnan(b[mask]))
    fin = mask & ~np.isnan(b)
    assert (a[fin] >= floor).all()
    assert np.allclose(a[fin], b[fin], rtol=1e-9, atol=1e-9)


def test_negative_floor_keeps_far_samples_below_the_observer():
    """A cell on a slope down to a 9 m cliff over a plain rising 0.2 m per cell: its horizon east is
    set by the far plain, 2.2 m below it 20.5 m away (tan -0.11); a floor of -3 must not cut it."""
    z = np.tile(np.r_[10.0, 9.0, np.arange(40) * 0.2], (3, 1))
    a = np.empty_like(z)
    b = np.empty_like(z)
    need = np.zeros(z.shape, bool)
    need[1, 0] = True  # the only observer of its line
    horizon_tan(z, 90.0, 0.5, 20.5, a, need=need, floor=-3.0)
    horizon_tan_bruteforce(z, 90.0, 0.5, 20.5, b, floor=-3.0)
    assert -0.2 < b[1, 0] < 0.0
    assert a[1, 0] == pytest.approx(b[1, 0], rel=1e-12)


@pytest.mark.parametrize("azimuth", [0.0, 33.0, 90.0, 201.0, 300.0])
def test_needed_groups_far_apart_are_traced_separately_and_exactly(azimuth):
    """Clusters of needed cells farther apart than the reach, with towers in the gaps: each cluster
    is traced on its own (segments) and still gets the ray march's horizon."""
    rng = np.random.default_rng(7)
    z = rng.normal(10.0, 2.0, (120, 160))
    z[40:44, 60:64] = 60.0  # towers in the gaps, some within reach of a cluster, some not
    z[90:93, 20:24] = 45.0
    z[10:12, 130:135] = 80.0
    need = np.zeros(z.shape, bool)
    for r, c in [(5, 5), (50, 70), (100, 140), (60, 10), (20, 120), (110, 30)]:
        need[r:r + 6, c:c + 6] = True
    a = np.full_like(z, 123.0)
    b = np.empty_like(z)
    horizon_tan(z, azimuth, 0.5, 6.0, a, need=need)  # reach 12 samples, clusters ~50 apart
    horizon_tan_bruteforce(z, azimuth, 0.5, 6.0, b)
    assert (a[~_across(need, azimuth)] == 123.0).all()
    fin = need & np.isfinite(b)
    assert np.array_equal(np.isfinite(a[need]), np.isfinite(b[need]))
    assert np.allclose(a[fin], b[fin], rtol=1e-12, atol=1e-12)


@settings(max_examples=50, deadline=None)
@given(shape=st.tuples(st.integers(1, 70), st.integers(1, 70)), wanted=st.floats(0, 0.05), seed=st.integers(0, 999))
def test_need_blocks_mark_the_blocks_holding_a_needed_cell(shape, wanted, seed):
    """A block is marked when it holds a needed cell or one of its 8 neighbours (traced for the centring)."""
    need = np.random.default_rng(seed).random(shape) < wanted
    grown = np.zeros((shape[0] + 2, shape[1] + 2), bool)
    for di in range(3):
        for dj in range(3):
            grown[di:di + shape[0], dj:dj + shape[1]] |= need
    pad = np.zeros((-(-shape[0] // 16) * 16, -(-shape[1] // 16) * 16), bool)
    pad[: shape[0], : shape[1]] = grown[1:-1, 1:-1]
    expected = pad.reshape(pad.shape[0] // 16, 16, pad.shape[1] // 16, 16).any(axis=(1, 3))
    assert np.array_equal(need_blocks(need).astype(bool), expected)


def test_need_mask_of_wrong_shape_is_refused():
    z = np.zeros((5, 6))
    with pytest.raises(ValueError, match="shape"):
        horizon_tan(z, 10.0, 0.5, 5.0, np.empty_like(z), need=np.ones((6, 5), bool))


@pytest.mark.parametrize("azimuth", np.arange(0, 360, 360 / 64))
def test_sweep_equals_bruteforce_on_urban_scene(azimuth):
    """Same, on a blocky urban scene (walls, flat and tilted roofs) in all 64 directions."""
    rng = np.random.default_rng(7)
    z = rng.normal(0, 0.05, (70, 90))
    for _ in range(25):
        r, c = rng.integers(0, 60), rng.integers(0, 80)
        z[r : r + rng.integers(3, 15), c : c + rng.integers(3, 15)] += rng.uniform(3, 20)
    z[30:40, 10:50] += np.linspace(0, 5, 40)[None, :]
    a, b = _both(z, float(azimuth), 0.5, 12.0)
    assert np.allclose(a, b, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("tilt", [5, 20, 35, 50, 65])
@pytest.mark.parametrize("aspect", [0, 23, 90, 150, 211, 300])
def test_plane_does_not_shade_itself(tilt, aspect):
    """On a plane the horizon ahead rises exactly as the plane: tan h = -tan(beta) cos(phi - gamma)."""
    cs = 0.5
    rows, cols = np.mgrid[0:40, 0:40]
    b, g = math.radians(tilt), math.radians(aspect)
    z = -math.tan(b) * (cols * cs * math.sin(g) - rows * cs * math.cos(g))
    for azimuth in np.arange(0, 360, 360 / 32):
        h = np.empty_like(z)
        horizon_tan(z, float(azimuth), cs, 100.0, h)
        rise = -math.tan(b) * math.cos(math.radians(azimuth) - g)
        fin = np.isfinite(h)
        assert np.allclose(h[fin], rise, atol=1e-9)


def test_single_tower_angle():
    """A tower of height H whose near wall is at distance d along a grid axis is seen at atan(H / d)."""
    z = np.zeros((41, 41))
    z[20, 30] = 10.0  # 10 cells east of the centre: its west wall stands 9.5 m away
    h = np.empty_like(z)
    horizon_tan(z, 90.0, 1.0, 100.0, h)
    assert h[20, 20] == pytest.approx(10.0 / 9.5)
    horizon_tan(z, 270.0, 1.0, 100.0, h)
    assert h[20, 20] == 0.0  # flat ground ahead, westwards
    assert h[20, 0] == -np.inf  # nothing ahead at the west edge: the caller decides


def test_max_distance_cuts_the_view():
    z = np.zeros((1, 50))
    z[0, 40] = 30.0  # its near wall 39.5 m away; the reach counts whole steps (39 m, then 40 m)
    h = np.empty_like(z)
    horizon_tan(z, 90.0, 1.0, 39.9, h)
    assert h[0, 0] == 0.0  # out of reach: flat ground only
    horizon_tan(z, 90.0, 1.0, 40.0, h)
    assert h[0, 0] == pytest.approx(30.0 / 39.5)


def test_diagonal_tower_is_seen_at_true_distance():
    z = np.zeros((30, 30))
    z[5, 25] = 20.0  # north-east of (25, 5) by 20 cells in both axes
    h = np.empty_like(z)
    horizon_tan(z, 45.0, 0.5, 100.0, h)
    d = math.hypot(19.5, 19.5) * 0.5  # the ray meets the tower at its nearest corner
    assert h[25, 5] == pytest.approx(20.0 / d)
    assert line_step(45.0, 0.5) == pytest.approx(0.5 * math.sqrt(2))


def test_smooth_surface_close_to_continuous_ray_march():
    """On a smooth surface the effective horizon is close to a continuous ray march.

    Reference: rays from the cell centre along the exact azimuth, every 0.25 m,
    bilinear heights (scipy), the horizon taken, as the engine does, no lower
    than the cell's own tangent plane. The sweep samples once per cell along a
    track up to half a cell beside the centre, so it differs by a discretisation
    error: RMS < 1°, worst < 4° on this 8 m-amplitude surface of 1 m cells.
    """
    from scipy.ndimage import map_coordinates

    from kernels import horn_normals

    n, cs = 80, 1.0
    rows, cols = np.mgrid[0:n, 0:n].astype(float)
    z = 8 * np.sin(rows / 9.0) * np.cos(cols / 11.0) + 0.05 * cols
    ne, nn, nu = (np.empty_like(z) for _ in range(3))
    horn_normals(z, cs, ne, nn, nu)
    errors = []
    for azimuth in (17.0, 63.0, 100.0, 200.0, 333.0):
        h = np.empty_like(z)
        horizon_tan(z, azimuth, cs, 30.0, h)
        de, dn = math.sin(math.radians(azimuth)), math.cos(math.radians(azimuth))
        for i in range(20, 60, 3):
            for j in range(20, 60, 3):
                own = -(ne[i, j] * de + nn[i, j] * dn) / nu[i, j]
                s = np.arange(0.25, 30.0, 0.25)
                rr, cc = i - dn * s / cs, j + de * s / cs
                ok = (rr >= 0) & (rr <= n - 1) & (cc >= 0) & (cc <= n - 1)
                zz = map_coordinates(z, [rr[ok], cc[ok]], order=1)
                ref = math.atan(max(((zz - z[i, j]) / s[ok]).max(), own))
                errors.append(math.degrees(math.atan(max(h[i, j], own)) - ref))
    errors = np.array(errors)
    assert np.sqrt(np.mean(errors**2)) < 1.0
    assert np.abs(errors).max() < 4.0


@pytest.mark.slow  # a subprocess: left out of `make test-fast`
def test_kernels_run_without_jit(tmp_path):
    """The kernels are plain Python with NUMBA_DISABLE_JIT=1 and give the compiled result."""
    code = (
        "import numpy as np; from kernels import horizon_tan, horizon_tan_bruteforce;"
        "rng=np.random.default_rng(3); z=rng.normal(0,3,(7,9)); a=np.empty_like(z); b=np.empty_like(z);"
        "horizon_tan(z,33.0,0.5,3.0,a); horizon_tan_bruteforce(z,33.0,0.5,3.0,b);"
        "np.save('out.npy', np.stack([z, a, b]))"
    )
    env = dict(os.environ, NUMBA_DISABLE_JIT="1", PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=tmp_path)
    z, a, b = np.load(tmp_path / "out.npy")
    c = np.empty_like(z)
    horizon_tan(z, 33.0, 0.5, 3.0, c)
    assert np.allclose(a, b) and np.allclose(a, c)


@pytest.mark.parametrize("azimuth", [0.0, 11.25, 30.0, 45.0, 130.0, 180.0, 200.0, 315.0, 350.0])
def test_transposed_grid_gives_the_same_horizon(azimuth):
    """horizon_tan(z.T, transposed_azimuth(a)) == horizon_tan(z, a).T (the engine's fast path)."""
    from kernels import runs_along_rows, transposed_azimuth

    rng = np.random.default_rng(11)
    z = rng.normal(0, 2, (23, 31)).cumsum(1)
    z[rng.random(z.shape) < 0.05] = np.nan
    a = np.empty_like(z)
    horizon_tan(z, azimuth, 0.5, 8.0, a)
    zt = np.ascontiguousarray(z.T)
    b = np.empty_like(zt)
    horizon_tan(zt, transposed_azimuth(azimuth), 0.5, 8.0, b)
    # wall crossings are found by a division: rounding differs in the last bits between the two layouts
    assert np.allclose(a, b.T, rtol=1e-9, atol=1e-12, equal_nan=True)
    assert runs_along_rows(azimuth) != runs_along_rows(transposed_azimuth(azimuth)) or azimuth % 90 == 45


@pytest.mark.parametrize("azimuth", [0.0, 17.0, 45.0, 101.25, 200.0, 292.5, 333.0])
def test_window_with_global_origin_equals_the_larger_grid(azimuth):
    """Lines anchored to global indices: a window sees the larger grid's horizons where its reach fits."""
    rng = np.random.default_rng(11)
    big = rng.uniform(0, 12, (90, 110))
    reach, cell = 8.0, 1.0
    full = np.empty_like(big)
    horizon_tan(big, azimuth, cell, reach, full, 1000, 2000)
    r0, c0, h, w = 20, 30, 45, 50
    window = np.ascontiguousarray(big[r0:r0 + h, c0:c0 + w])
    part = np.empty_like(window)
    horizon_tan(window, azimuth, cell, reach, part, 1000 + r0, 2000 + c0)
    m = int(reach / cell) + 2  # cells whose reach stays inside the window
    np.testing.assert_allclose(part[m:-m, m:-m], full[r0 + m:r0 + h - m, c0 + m:c0 + w - m], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("azimuth", [30.0, 135.0, 250.0, 320.0])
def test_sweep_equals_bruteforce_with_a_global_origin(azimuth):
    rng = np.random.default_rng(5)
    z = rng.uniform(0, 10, (40, 55))
    z[5:9, 10:14] = np.nan
    a, b = np.empty_like(z), np.empty_like(z)
    horizon_tan(z, azimuth, 0.5, 6.0, a, 13_554_401, 1_541_001)
    horizon_tan_bruteforce(z, azimuth, 0.5, 6.0, b, 13_554_401, 1_541_001)
    fin = np.isfinite(a)
    assert np.array_equal(np.isnan(a), np.isnan(b)) and np.array_equal(np.isinf(a), np.isinf(b))
    np.testing.assert_allclose(a[fin], b[fin], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("azimuth", [0.0, 17.0, 45.0, 101.25, 200.0, 333.0])
def test_centring_listed_cells_equals_the_grid(azimuth):
    """centre_cells on a list of cells gives centre_horizons' values there (the engine's path for roofs)."""
    from kernels import centre_cells, centre_horizons

    rng = np.random.default_rng(4)
    z = rng.normal(0, 0.3, (60, 70))
    z[20:35, 10:30] += 12.0
    z[40:50, 40:65] += 6.0
    need = rng.random(z.shape) < 0.3
    tracks, height = np.full_like(z, np.nan), np.full_like(z, np.nan)
    horizon_tan(z, azimuth, 0.5, 10.0, tracks, need=need, floor=0.0, centre=False, height=height)
    grid = tracks.copy()
    centre_horizons(z, grid, height, azimuth, 0.5, need=need, floor=0.0)
    listed = tracks.copy()
    rows, cols = np.nonzero(need)
    centre_cells(z, listed, height, rows, cols, azimuth, 0.5, floor=0.0)
    np.testing.assert_array_equal(listed[need], grid[need])
    if azimuth % 45:  # on the axes and diagonals every track runs through the cells' centres
        assert (listed[need] != tracks[need]).any()  # the centring changed something


def _box_horizon(z, x0, y0, z0, azimuth, reach):
    """Largest tan of elevation from (x0, y0, z0) over a city of flat-topped box cells along a horizontal ray.

    An exact grid traversal (Amanatides & Woo 1987), independent of the engine: each cell the ray
    enters within ``reach`` counts at the distance where it is entered (through a corner, the two
    cells beside it too: the ray touches their edges). Coordinates in cells: x
    eastwards from the west edge, y southwards from the north edge; cell (i, j) spans
    [j, j+1) x [i, i+1); 1 m cells. None when the ray leaves the grid within ``reach`` (the engine's
    lines end at the grid's edge by whole steps).
    """
    dx, dy = math.sin(math.radians(azimuth)), -math.cos(math.radians(azimuth))
    i, j = int(math.floor(y0)), int(math.floor(x0))
    step_i, step_j = (1 if dy > 0 else -1), (1 if dx > 0 else -1)
    next_y = (i + (1 if dy > 0 else 0) - y0) / dy if abs(dy) > 1e-12 else math.inf
    next_x = (j + (1 if dx > 0 else 0) - x0) / dx if abs(dx) > 1e-12 else math.inf
    d_y = abs(1 / dy) if abs(dy) > 1e-12 else math.inf
    d_x = abs(1 / dx) if abs(dx) > 1e-12 else math.inf
    best = 0.0
    while True:
        if abs(next_x - next_y) < 1e-12:  # through a corner: the two side cells touch the ray there too
            s = next_x
            if s > reach:
                return best
            for ii, jj in ((i + step_i, j), (i, j + step_j)):
                if not (0 <= ii < z.shape[0] and 0 <= jj < z.shape[1]):
                    return None
                best = max(best, (z[ii, jj] - z0) / s)
            i, j, next_x, next_y = i + step_i, j + step_j, next_x + d_x, next_y + d_y
        elif next_x < next_y:
            s, j, next_x = next_x, j + step_j, next_x + d_x
        else:
            s, i, next_y = next_y, i + step_i, next_y + d_y
        if s > reach:
            return best
        if not (0 <= i < z.shape[0] and 0 <= j < z.shape[1]):
            return None
        if s > 1e-9:
            best = max(best, (z[i, j] - z0) / s)


@pytest.mark.slow
@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    azimuth=st.floats(0, 360, exclude_max=True),
    shape=st.tuples(st.integers(10, 24), st.integers(10, 24)),
)
@example(seed=0, azimuth=135.0, shape=(10, 10))  # every track through cell corners
@example(seed=1, azimuth=26.565051177077994, shape=(12, 12))  # a slope of 1/2: corners every other step
def test_track_points_see_box_cells_exactly(seed, azimuth, shape):
    """Property: on a city of box cells (heights 0-30 m in steps of 10 m on 1 m cells: every step a
    wall), a cell's track point sees the exact horizon of the boxes (an independent traversal)."""
    from kernels.lines import anchor, centre_offset, geometry, offset

    z = np.random.default_rng(seed).integers(0, 4, shape).astype(float) * 10.0
    out = np.empty_like(z)
    reach = 4.0
    horizon_tan(z, azimuth, 1.0, reach, out, floor=0.0, centre=False)
    checked = 0
    main_col, fwd, t = geometry(azimuth)
    step = math.sqrt(1 + t * t)
    for i in range(shape[0]):
        for j in range(shape[1]):
            a = j if main_col else i
            nu = shape[1] if main_col else shape[0]
            u = a if fwd > 0 else nu - 1 - a
            shift = anchor(main_col, fwd, t, nu, 0, 0)[0]
            delta = centre_offset(t, u + shift, offset(t, u + shift))  # the track passes delta cells off the centre
            if abs(abs(delta) - 0.5) < 1e-9:  # the track point on a cell edge: at the foot of any wall there (90°)
                continue
            x0, y0 = j + 0.5, i + 0.5
            if main_col:
                y0 -= delta
            else:
                x0 -= delta
            expected = _box_horizon(z, x0, y0, z[i, j], azimuth, int(reach / step + 1e-9) * step - 1e-6)
            if expected is None:
                continue
            assert out[i, j] == pytest.approx(expected, rel=1e-7, abs=1e-9), (i, j)  # crossings kept 1e-9 inside a step
            checked += expected > 0
    assert checked > 0
