"""LiDAR point clouds to surface rasters: ``rasters.lidar.prepare`` against independent oracles.

The oracles read the points with laspy (not through the engine) and bin them
with NumPy: a point falls in column ``floor((x - x0) / res)`` and row
``ceil((y0 - y) / res) - 1`` of the engine's grid; the DSM of a cell holding kept
points (class not in ``NOISE_CLASSES``, not withheld) is their highest height,
exact to the float32 cast.

Data: the six real IGN LiDAR HD tiles shipped in ``samples/lidar/`` (central
Montpellier, 50 x 50 m each, Lambert-93), synthetic LAS 1.4 files written with
laspy in ``tmp_path``, and the CRS edge cases of the development data in
``../shared/data/lidar/`` (skipped when absent, as in a user's clone).
"""

from __future__ import annotations

import functools
import math
import os
from pathlib import Path

import laspy
import numpy as np
import pyproj
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kernels import horn_normals, slope_aspect
from rasters.errors import CRSError, InputFileError, NoOverlapError, OptionError
from rasters.lidar import (
    BUILDING_CLASS,
    GROUND_CLASSES,
    MASK_NODATA,
    NOISE_CLASSES,
    VEGETATION_CLASSES,
    inspect_las,
    plan_grid,
    prepare,
    sha256,
)

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples" / "lidar"
EDGE = REPO / "tests" / "data" / "edge_cases"  # real tiles with odd headers (tests/data/PROVENANCE.md)
ST_BARTH = EDGE / "St_Barth_RGAF09_UTM20N_IGN_1988_SB_subset_100m.laz"
REUNION = EDGE / "sample_lareunion_epsg2975.laz"
NOEPSG = EDGE / "test_noepsg_043500_629205_IGN69.laz"

TILES = sorted(p.name for p in SAMPLES.glob("*.laz"))
WEST = "test_data_77055_627755_LA93_IGN69.laz"  # x 770550-770600, y 6277500-6277550
EAST = "test_data_77060_627755_LA93_IGN69.laz"  # x 770600-770650, same rows
NORTH = "test_data_77055_627760_LA93_IGN69.laz"  # x 770550-770600, y 6277550-6277600
CLASSIFIED_V12 = "classified_laz_v1.2_test_data_77050_627755_LA93_IGN69.laz"  # LAS 1.2, point format 3
TILE_SETS = [(name,) for name in TILES] + [tuple(TILES)]
RESOLUTIONS = (0.25, 0.5, 1.0)
LAYERS = ("dsm", "dtm", "ndsm", "buildings", "vegetation")
X0, Y0 = 700000.0, 6600000.0  # synthetic data, Lambert-93


def test_samples_are_there():
    assert len(TILES) == 6, TILES


def sample(*names: str) -> list[Path]:
    return [SAMPLES / n for n in names]


def need(path: Path) -> Path:
    assert path.is_file(), f"test data missing: {path}"
    return path


# ----------------------------------------------------------------------------
# oracle: points read with laspy, binned with numpy
# ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def points_of(path: Path) -> dict:
    """x, y, z, class and keep flag of every point, straight from laspy (read once per file)."""
    las = laspy.read(path)
    cls = np.asarray(las.classification, dtype=np.int64)
    keep = ~np.isin(cls, NOISE_CLASSES)
    if "withheld" in las.point_format.dimension_names:
        keep &= ~np.asarray(las.withheld, dtype=bool)
    return {
        "x": np.asarray(las.x, dtype=np.float64),
        "y": np.asarray(las.y, dtype=np.float64),
        "z": np.asarray(las.z, dtype=np.float64),
        "cls": cls,
        "keep": keep,
    }


def oracle(paths, transform, shape) -> dict:
    """Per-cell statistics of the kept points of ``paths`` (in that order) on the grid ``transform``."""
    pts = [points_of(Path(p)) for p in paths]
    x, y, z, cls, keep = (np.concatenate([p[k] for p in pts]) for k in ("x", "y", "z", "cls", "keep"))
    order = np.arange(x.size)
    res, x0, y0 = transform.a, transform.c, transform.f
    col = np.floor((x - x0) / res).astype(np.int64)
    row = (np.ceil((y0 - y) / res) - 1).astype(np.int64)
    inside = keep & (col >= 0) & (row >= 0) & (col < shape[1]) & (row < shape[0])
    r, c, z, cls, order = row[inside], col[inside], z[inside], cls[inside], order[inside]
    top = np.full(shape, -np.inf)
    np.maximum.at(top, (r, c), z)
    count = np.zeros(shape, np.int64)
    np.add.at(count, (r, c), 1)
    building = np.zeros(shape, np.int64)
    b = cls == BUILDING_CLASS
    np.add.at(building, (r[b], c[b]), 1)
    gsum, gcount = np.zeros(shape), np.zeros(shape, np.int64)
    g = np.isin(cls, GROUND_CLASSES)
    np.add.at(gsum, (r[g], c[g]), z[g])
    np.add.at(gcount, (r[g], c[g]), 1)
    # class of the highest point; on a tie, the first one read (file order, files in the given order)
    at_top = z == top[r, c]
    first = np.full(shape, np.iinfo(np.int64).max)
    np.minimum.at(first, (r[at_top], c[at_top]), order[at_top])
    all_cls = np.concatenate([p["cls"] for p in pts])
    top_cls = np.where(count > 0, all_cls[np.minimum(first, all_cls.size - 1)], -1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ground = np.where(gcount > 0, gsum / np.maximum(gcount, 1), np.nan)
    return {
        "top": top,
        "count": count,
        "building": building,
        "ground": ground,
        "gcount": gcount,
        "top_cls": top_cls,
        "sum": int(count.sum()),
    }


@functools.lru_cache(maxsize=64)
def run(names: tuple, resolution: float = 0.5, bounds: tuple | None = None, chunk_points: int | None = None,
        threads: int | None = None):
    """``prepare`` on sample tiles, cached (callers must not modify the result)."""
    kwargs = {} if chunk_points is None else {"chunk_points": chunk_points}
    kwargs.update({} if threads is None else {"threads": threads})
    return prepare(sample(*names), resolution=resolution, bounds=bounds, **kwargs)


def layers(ds) -> dict:
    return {k: ds[k].values for k in LAYERS}


def check_against_oracle(ds, report, paths, resolution):
    """Every property of the rasters that the points alone determine."""
    t = ds.rio.transform()
    shape = ds["dsm"].shape
    assert t.a == resolution and t.e == -resolution and t.b == 0 and t.d == 0
    o = oracle(paths, t, shape)
    dsm, dtm, ndsm, bld, veg = (ds[k].values for k in LAYERS)
    assert dsm.dtype == dtm.dtype == ndsm.dtype == np.float32
    assert bld.dtype == veg.dtype == np.uint8
    has = o["count"] > 0
    valid = ~np.isnan(dsm)
    assert has.any()
    # DSM: the highest kept point of every cell holding one, exactly (float32 cast)
    np.testing.assert_array_equal(dsm[has], o["top"][has].astype(np.float32))
    # cells without points are filled (small holes, enclosed gaps from the DTM) or nodata
    assert int((valid & ~has).sum()) == report["cells_filled_small_holes"] + report["cells_filled_from_dtm"]
    assert report["cells_nodata"] == int((~valid).sum())
    assert report["points_in_grid"] == o["sum"]
    assert report["coverage"] == pytest.approx(has.mean())
    assert report["ground_cells"] == int((o["gcount"] > 0).sum())
    # DTM: mean of the ground points where the cell has some (clamped to the DSM, a no-op there)
    g = o["gcount"] > 0
    expect = np.minimum(o["ground"][g].astype(np.float32).astype(np.float64), o["top"][g]).astype(np.float32)
    np.testing.assert_allclose(dtm[g], expect, rtol=0, atol=1e-5)
    both = valid & ~np.isnan(dtm)
    assert np.all(dtm[both] <= dsm[both] + 1e-4)
    assert np.all(np.isnan(dtm[~valid])) and np.all(np.isnan(ndsm[~valid]))
    assert np.all(ndsm[both] >= 0)
    np.testing.assert_array_equal(ndsm[both], dsm[both] - dtm[both])
    assert np.all(np.isnan(ndsm[~both]))
    # masks: 1 / 0 / 255 (nodata exactly where the DSM is)
    for mask in (bld, veg):
        assert set(np.unique(mask)) <= {0, 1, MASK_NODATA}
        np.testing.assert_array_equal(mask == MASK_NODATA, ~valid)
    np.testing.assert_array_equal(bld == 1, o["building"] > 0)
    np.testing.assert_array_equal(veg == 1, has & np.isin(o["top_cls"], VEGETATION_CLASSES))
    return o


# ----------------------------------------------------------------------------
# 1. real tiles: DSM, DTM, nDSM and masks against the oracle
# ----------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("resolution", RESOLUTIONS)
@pytest.mark.parametrize("names", TILE_SETS, ids=[n[0][:30] if len(n) == 1 else "all6" for n in TILE_SETS])
def test_rasters_match_the_points(names, resolution):
    ds, report = run(names, resolution)
    o = check_against_oracle(ds, report, sample(*names), resolution)
    # default extent: the union of the headers, aligned (the sample headers are on whole metres)
    xmin = min(inspect_las(p).bounds[0] for p in sample(*names))
    ymax = max(inspect_las(p).bounds[3] for p in sample(*names))
    assert ds.rio.transform().c == xmin and ds.rio.transform().f == ymax
    assert report["points_total"] == sum(points_of(p)["x"].size for p in sample(*names))
    assert report["crs"] == "EPSG:2154"
    # counts per class cover every point read (noise included)
    every = np.concatenate([points_of(p)["cls"] for p in sample(*names)])
    assert report["points_per_class"] == {str(k): int(v) for k, v in enumerate(np.bincount(every)) if v}
    assert report["density_points_per_m2"] == pytest.approx(o["sum"] / ((o["count"] > 0).sum() * resolution**2))
    assert 15 < report["density_points_per_m2"] < 60  # LiDAR HD: 22-35 pts/m² announced


@st.composite
def sub_bounds(draw):
    names = draw(st.sampled_from(TILE_SETS))
    heads = [inspect_las(p).bounds for p in sample(*names)]
    ux0, uy0 = min(h[0] for h in heads), min(h[1] for h in heads)
    ux1, uy1 = max(h[2] for h in heads), max(h[3] for h in heads)
    xmin = draw(st.floats(ux0 - 5, ux1 - 0.5, allow_nan=False))
    ymin = draw(st.floats(uy0 - 5, uy1 - 0.5, allow_nan=False))
    w = draw(st.floats(0.3, 40.0, allow_nan=False))
    h = draw(st.floats(0.3, 40.0, allow_nan=False))
    return names, (xmin, ymin, xmin + w, ymin + h)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=sub_bounds(), resolution=st.sampled_from(RESOLUTIONS))
def test_rasters_match_the_points_in_random_bounds(case, resolution):
    names, bounds = case
    assume(any(_overlaps(inspect_las(p).bounds, bounds) for p in sample(*names)))
    try:
        ds, report = prepare(sample(*names), resolution=resolution, bounds=bounds)
    except NoOverlapError:
        # the grid overlaps a header but holds no kept point
        t, w, h = plan_grid([inspect_las(p) for p in sample(*names)], resolution, bounds)
        assert oracle(sample(*names), t, (h, w))["sum"] == 0
        return
    check_against_oracle(ds, report, sample(*names), resolution)
    check_alignment(ds.rio.transform(), ds["dsm"].shape, bounds, resolution)


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


# ----------------------------------------------------------------------------
# 2. grid alignment
# ----------------------------------------------------------------------------


def check_alignment(t, shape, bounds, res):
    """Origin and extent on multiples of ``res``; the grid covers ``bounds`` with less than a cell to spare."""
    height, width = shape
    x0, y1 = t.c, t.f
    x1, y0 = x0 + width * res, y1 - height * res
    for v in (x0, y1, x1, y0):
        assert v / res == pytest.approx(round(v / res), abs=1e-6), v
    xmin, ymin, xmax, ymax = bounds
    eps = 1e-6
    assert xmin - res < x0 <= xmin + eps and xmax - eps <= x1 < xmax + res
    assert ymin - res < y0 <= ymin + eps and ymax - eps <= y1 < ymax + res


@pytest.mark.slow
@pytest.mark.parametrize("resolution", RESOLUTIONS + (2.0,))
def test_grid_is_aligned_for_odd_bounds(resolution):
    bounds = (770500.3, 6277500.2, 770540.1, 6277555.7)
    names = tuple(TILES)
    ds, report = run(names, resolution, bounds)
    t = ds.rio.transform()
    check_alignment(t, ds["dsm"].shape, bounds, resolution)
    if resolution == 0.5:
        assert (t.c, t.f) == (770500.0, 6277556.0)
        assert ds["dsm"].shape == (112, 81)
    assert report["bounds"] == pytest.approx(list(ds.rio.bounds()))
    assert (report["width"], report["height"]) == (ds.sizes["x"], ds.sizes["y"])
    # the cell-centre coordinates agree with the transform
    np.testing.assert_allclose(ds.x.values, t.c + resolution * (np.arange(ds.sizes["x"]) + 0.5))
    np.testing.assert_allclose(ds.y.values, t.f - resolution * (np.arange(ds.sizes["y"]) + 0.5))


def test_plan_grid_of_the_headers():
    sources = [inspect_las(p) for p in sample(WEST, EAST)]
    t, w, h = plan_grid(sources, 0.5)
    assert (t.c, t.f, w, h) == (770550.0, 6277550.0, 200, 100)
    t, w, h = plan_grid(sources, 0.3, (770550.1, 6277500.05, 770551.0, 6277501.0))
    assert w == 4 and h == 4  # 770550.0-770551.2 and 6277500.0-6277501.2 on multiples of 0.3


# ----------------------------------------------------------------------------
# 3. seams: tiles prepared separately mosaic onto the joint grid
# ----------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("first, second", [(WEST, EAST), (NORTH, WEST)], ids=["west-east", "north-south"])
def test_separate_tiles_mosaic_onto_the_joint_grid(first, second):
    """Tiles prepared one by one give the joint rasters, cell for cell, except at the seam as stated here.

    - Cells holding points: DSM, masks and (where the cell has ground points)
      DTM are exactly equal, except in the few seam cells that also hold
      points of the *other* file: these sample tiles carry points exactly on
      their east and north edges (x == xmax, y == ymax); the engine's cells
      are closed on their west and south sides, so those points belong to
      the neighbour's first column (last row) and a tile prepared alone
      cannot see them. There the joint DSM is >= the separate one.
    - Interpolated DTM cells (no ground point) may differ near the seam:
      without a halo each tile interpolates from its own ground points only.
      Measured on these tiles: at most 0.13 m, within 8 m of the seam; the
      test allows 0.25 m.
    """
    joint, _ = run((first, second))
    jt = joint.rio.transform()
    j = layers(joint)
    mosaic = {k: np.full_like(v, np.nan if v.dtype.kind == "f" else 0) for k, v in j.items()}
    placed = np.zeros(joint["dsm"].shape, bool)
    first_line = np.zeros(joint["dsm"].shape, bool)  # last row and first column of each tile
    for name in (first, second):
        alone, _ = run((name,))
        t = alone.rio.transform()
        assert t.a == jt.a
        c0, r0 = (t.c - jt.c) / t.a, (jt.f - t.f) / t.a
        assert c0 == int(c0) and r0 == int(r0)  # same alignment
        rows = slice(int(r0), int(r0) + alone.sizes["y"])
        cols = slice(int(c0), int(c0) + alone.sizes["x"])
        assert not placed[rows, cols].any()
        placed[rows, cols] = True
        first_line[rows.stop - 1, cols] = first_line[rows, cols.start] = True
        for k, v in layers(alone).items():
            mosaic[k][rows, cols] = v
    assert placed.all()

    # cells that receive points from both files (the seam cells described above)
    per_file = [oracle(sample(n), jt, placed.shape)["count"] for n in (first, second)]
    shared = (per_file[0] > 0) & (per_file[1] > 0)
    assert 0 < shared.sum() < 20
    assert np.all(first_line[shared])
    has = (per_file[0] + per_file[1]) > 0
    plain = has & ~shared

    np.testing.assert_array_equal(mosaic["dsm"][plain], j["dsm"][plain])
    assert np.all(j["dsm"][shared] >= mosaic["dsm"][shared])
    for k in ("buildings", "vegetation"):
        np.testing.assert_array_equal(mosaic[k][~shared], j[k][~shared])
    ground = oracle(sample(first, second), jt, placed.shape)["gcount"] > 0
    np.testing.assert_array_equal(mosaic["dtm"][ground & ~shared], j["dtm"][ground & ~shared])
    np.testing.assert_array_equal(np.isnan(mosaic["dtm"]), np.isnan(j["dtm"]))
    both = ~np.isnan(mosaic["dtm"])
    assert np.max(np.abs(mosaic["dtm"][both] - j["dtm"][both])) <= 0.25


# ----------------------------------------------------------------------------
# 4. streaming is exact
# ----------------------------------------------------------------------------


@pytest.mark.slow
def test_small_chunks_give_the_same_rasters():
    names = (CLASSIFIED_V12, WEST, EAST)
    default, r1 = run(names)
    chunked, r2 = run(names, chunk_points=10_000)
    for k in LAYERS:
        np.testing.assert_array_equal(chunked[k].values, default[k].values, err_msg=k)
    for key in ("points_total", "points_in_grid", "points_per_class", "coverage", "cells_filled_small_holes"):
        assert r1[key] == r2[key], key


def test_one_decompression_thread_gives_the_same_rasters():
    names = (CLASSIFIED_V12, WEST)
    default, r1 = run(names)
    single, r2 = run(names, threads=1)
    for k in LAYERS:
        np.testing.assert_array_equal(single[k].values, default[k].values, err_msg=k)
    assert r1["points_per_class"] == r2["points_per_class"]


def test_file_checksum_follows_the_file(tmp_path):
    """The remembered SHA-256 changes when the file does (size or modification time)."""
    import hashlib

    f = tmp_path / "a.bin"
    f.write_bytes(b"first")
    assert sha256(f) == hashlib.sha256(b"first").hexdigest()
    f.write_bytes(b"second, longer")
    assert sha256(f) == hashlib.sha256(b"second, longer").hexdigest()
    f.write_bytes(b"third, longer!")  # same size as before, another modification time
    os.utime(f, ns=(2_000_000_000, 2_000_000_000))
    assert sha256(f) == hashlib.sha256(b"third, longer!").hexdigest()


def test_progress_reaches_the_total():
    calls = []
    _, report = prepare(sample(WEST), progress=lambda done, total: calls.append((done, total)), chunk_points=20_000)
    assert len(calls) == 4  # 72,770 points in chunks of 20,000
    assert calls[-1] == (report["points_total"], report["points_total"])
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


# ----------------------------------------------------------------------------
# 5. synthetic point clouds: analytic roofs, classes, withheld points
# ----------------------------------------------------------------------------


def write_las(path: Path, x, y, z, cls, *, withheld=None, crs="EPSG:2154", point_format=6, version="1.4") -> Path:
    header = laspy.LasHeader(point_format=point_format, version=version)
    header.scales = np.array([0.001, 0.001, 0.001])
    header.offsets = np.array([X0, Y0, 0.0])
    if crs is not None:
        header.add_crs(pyproj.CRS(crs))
    las = laspy.LasData(header)
    las.x, las.y, las.z = np.asarray(x, float), np.asarray(y, float), np.asarray(z, float)
    las.classification = np.asarray(cls, np.uint8)
    if withheld is not None:
        las.withheld = np.asarray(withheld, bool)
    las.write(path)
    return path


TILT = 35.0
EAVES, GROUND_Z, HALF = 56.0, 50.0, 10.0
RIDGE_Y = Y0 + 20.0  # a multiple of every resolution used


def roof_height(y):
    return EAVES + math.tan(math.radians(TILT)) * (HALF - np.abs(y - RIDGE_Y))


@pytest.fixture(scope="module")
def gable(tmp_path_factory) -> Path:
    """Flat ground (class 2, z = 50 m) over 40 x 40 m and a 35° gable roof (class 6), ridge along x.

    The roof spans x 10-30 m and y 10-30 m (ridge at 20 m, eaves at 56 m, 10 m
    wide each side); no ground point under it. Roof points lie on lines
    y = ridge + k * 2 cm (so that every cell edge, a multiple of 0.5 m, holds
    one) at random x, two per 0.5 m of x: 200 points/m². The highest point of
    a 0.5 m cell is then within 2 cm (in y) of the cell's highest edge: its
    height is within 1.4 cm of the analytic maximum over the cell. Ground:
    30 random points/m².
    """
    rng = np.random.default_rng(7)
    n = 40 * 40 * 30
    gx, gy = X0 + rng.uniform(0, 40, n), Y0 + rng.uniform(0, 40, n)
    off = (gx >= X0 + 10) & (gx <= X0 + 30) & (gy >= Y0 + 10) & (gy <= Y0 + 30)
    gx, gy = gx[~off], gy[~off]
    ry = RIDGE_Y + 0.02 * np.arange(-500, 501)
    strata = X0 + 10 + 0.25 * np.arange(80)
    rx = (strata[None, :] + rng.uniform(0, 0.25, (ry.size, strata.size))).ravel()
    ry = np.repeat(ry, strata.size)
    x = np.concatenate([gx, rx])
    y = np.concatenate([gy, ry])
    z = np.concatenate([np.full(gx.size, GROUND_Z), roof_height(ry)])
    cls = np.concatenate([np.full(gx.size, 2), np.full(rx.size, 6)])
    return write_las(tmp_path_factory.mktemp("gable") / "gable.las", x, y, z, cls)


def test_gable_roof(gable):
    res = 0.5
    ds, report = prepare([gable], resolution=res)
    assert ds.rio.crs.to_epsg() == 2154
    assert report["inputs"][0]["crs_from"] == "header" and report["inputs"][0]["point_format"] == 6
    check_against_oracle(ds, report, [gable], res)
    dsm, dtm, ndsm, bld, veg = (ds[k].values.astype(np.float64) for k in LAYERS)
    t = ds.rio.transform()
    north_edge = t.f - res * np.arange(ds.sizes["y"])  # open edge of each row (the south one is closed)
    xs = t.c + res * (np.arange(ds.sizes["x"]) + 0.5)
    # roof interior: two cells from the ridge, the eaves and the gable ends
    south = (north_edge <= RIDGE_Y - 2 * res) & (north_edge - res >= RIDGE_Y - HALF + 2 * res)
    north = (north_edge - res >= RIDGE_Y + 2 * res) & (north_edge <= RIDGE_Y + HALF - 2 * res)
    cols = (xs > X0 + 10 + 2 * res) & (xs < X0 + 30 - 2 * res)
    assert south.sum() == north.sum() == 16 and cols.sum() == 36
    # analytic maximum over each cell: at its north edge on the south slope (open: within 2 cm of points),
    # at its south edge on the north slope
    best = np.where(north_edge <= RIDGE_Y, roof_height(north_edge), roof_height(north_edge - res))
    for side in (south, north):
        inner = np.ix_(side, cols)
        expect = np.broadcast_to(best[side][:, None], dsm[inner].shape)
        assert np.all(dsm[inner] <= expect + 0.001)
        np.testing.assert_allclose(dsm[inner], expect, rtol=0, atol=0.02)
        np.testing.assert_allclose(dtm[inner], GROUND_Z, rtol=0, atol=0.05)  # interpolated under the roof
        np.testing.assert_allclose(ndsm[inner], expect - GROUND_Z, rtol=0, atol=0.02 + 0.05)
        assert np.all(bld[inner] == 1) and np.all(veg[inner] == 0)
    ne, nn, nu = (np.empty_like(dsm) for _ in range(3))
    horn_normals(dsm, res, ne, nn, nu)
    slope, aspect = np.empty_like(dsm), np.empty_like(dsm)
    slope_aspect(ne, nn, nu, slope, aspect)
    for side, facing in ((south, 180.0), (north, 0.0)):
        inner = np.ix_(side, cols)
        np.testing.assert_allclose(slope[inner], TILT, atol=1.0)
        np.testing.assert_allclose((aspect[inner] - facing + 180) % 360 - 180, 0, atol=1.0)
    # ground: flat at 50 m, no building, nDSM 0
    ground_cells = (dsm == GROUND_Z) & (bld == 0)
    assert ground_cells.sum() > 4000
    np.testing.assert_array_equal(dtm[ground_cells], GROUND_Z)
    np.testing.assert_array_equal(ndsm[ground_cells], 0.0)
    assert report["warnings"] == []


def test_classes_noise_and_withheld(tmp_path):
    """One point per rule in its own cell of a 1 m grid over flat ground at 10 m."""
    gx, gy = np.meshgrid(np.arange(10) + 0.25, np.arange(10) + 0.25)
    x, y = list(X0 + gx.ravel()), list(Y0 + gy.ravel())
    z, cls, withheld = [10.0] * len(x), [2] * len(x), [False] * len(x)
    cases = {  # (column, row from the south): (class, height, withheld)
        (1, 1): (7, 30.0, False),  # low noise: dropped
        (2, 1): (18, 30.0, False),  # high noise: dropped
        (3, 1): (65, 30.0, False),  # LiDAR HD artefact: dropped
        (4, 1): (66, 30.0, False),  # virtual point: dropped
        (5, 1): (6, 30.0, True),  # withheld building: dropped
        (1, 3): (6, 15.0, False),  # building
        (2, 3): (3, 11.0, False),  # low vegetation on top
        (3, 3): (5, 18.0, False),  # high vegetation on top
        (4, 3): (17, 16.0, False),  # bridge deck: DSM, not ground
        (5, 3): (64, 12.0, False),  # permanent above-ground
        (6, 3): (67, 13.0, False),  # other
        (7, 3): (1, 14.0, False),  # unclassified
    }
    for (c, r), (k, h, wh) in cases.items():
        x.append(X0 + c + 0.75)
        y.append(Y0 + r + 0.75)
        z.append(h)
        cls.append(k)
        withheld.append(wh)
    # water (class 9) is ground: a cell with water only, lower than the land
    x.append(X0 + 8.75)
    y.append(Y0 + 5.75)
    z.append(9.0)
    cls.append(9)
    withheld.append(False)
    path = write_las(tmp_path / "classes.las", x, y, z, cls, withheld=withheld)
    ds, report = prepare([path], resolution=1.0, bounds=(X0, Y0, X0 + 10, Y0 + 10))
    check_against_oracle(ds, report, [path], 1.0)
    dsm, dtm, bld, veg = (ds[k].values for k in ("dsm", "dtm", "buildings", "vegetation"))

    def cell(c, r):
        return 9 - r, c  # row index from the north

    for (c, r), (k, h, wh) in cases.items():
        dropped = k in NOISE_CLASSES or wh
        assert dsm[cell(c, r)] == (10.0 if dropped else h), (k, wh)
        assert dtm[cell(c, r)] == 10.0  # only the ground point counts
        assert bld[cell(c, r)] == (1 if (k == 6 and not dropped) else 0), (k, wh)
        assert veg[cell(c, r)] == (1 if k in VEGETATION_CLASSES else 0), k
    assert dsm[cell(8, 5)] == 10.0 and dtm[cell(8, 5)] == pytest.approx(9.5)  # mean of land and water
    assert report["points_per_class"]["7"] == 1 and report["points_per_class"]["66"] == 1
    assert report["points_in_grid"] == len(x) - 5


def test_withheld_in_las_1_2(tmp_path):
    """LAS 1.2 (point format 3) keeps the withheld flag in the classification byte: dropped too."""
    x, y = X0 + np.array([0.2, 0.3]), Y0 + np.array([0.7, 0.8])
    path = write_las(
        tmp_path / "v12.las", x, y, [10.0, 30.0], [2, 6], withheld=[False, True], point_format=3, version="1.2"
    )
    ds, report = prepare([path], resolution=1.0, bounds=(X0, Y0, X0 + 1, Y0 + 1))
    assert ds["dsm"].values.tolist() == [[10.0]] and ds["buildings"].values.tolist() == [[0]]
    assert report["inputs"][0]["las_version"] == "1.2" and report["points_in_grid"] == 1


def test_building_point_below_vegetation(tmp_path):
    """A cell with a building point under a tree: building mask 1 and vegetation mask 1 (highest is a tree)."""
    x = X0 + np.array([0.1, 0.2, 0.3, 1.5])
    y = Y0 + np.array([0.9, 0.8, 0.7, 0.5])
    path = write_las(tmp_path / "tree.las", x, y, [10, 15, 20, 10], [2, 6, 5, 2])
    ds, _ = prepare([path], resolution=1.0, bounds=(X0, Y0, X0 + 2, Y0 + 1))
    assert ds["buildings"].values.tolist() == [[1, 0]]
    assert ds["vegetation"].values.tolist() == [[1, 0]]
    assert ds["dsm"].values.tolist() == [[20.0, 10.0]]


def test_compound_crs_keeps_the_horizontal_part(tmp_path):
    x, y = X0 + np.array([1.0, 2.0, 3.0]), Y0 + np.array([1.0, 2.0, 3.0])
    path = write_las(tmp_path / "compound.las", x, y, [1, 2, 3], [2, 2, 2], crs="EPSG:2154+5720")
    src = inspect_las(path)
    assert src.crs.to_epsg() == 2154 and src.crs_from == "header"
    ds, report = prepare([path], resolution=1.0, bounds=(X0, Y0, X0 + 4, Y0 + 4))
    assert ds.rio.crs.to_epsg() == 2154 and report["crs"] == "EPSG:2154"


def test_inspect_sample_header():
    src = inspect_las(SAMPLES / WEST)
    assert src.crs.to_epsg() == 2154 and src.crs_from == "header"
    assert src.bounds == (770550.0, 6277500.0, 770600.0, 6277550.0)
    assert (src.points, src.version, src.point_format) == (72770, "1.4", 8)
    v12 = inspect_las(SAMPLES / CLASSIFIED_V12)
    assert (v12.version, v12.point_format) == ("1.2", 3)
    assert inspect_las(SAMPLES / WEST, crs="EPSG:2154").crs_from == "option"


# ----------------------------------------------------------------------------
# 6. CRS edge cases (development data; skipped without ../shared)
# ----------------------------------------------------------------------------


def test_no_crs_needs_the_option():
    path = need(ST_BARTH)
    with pytest.raises(CRSError, match="--crs") as info:
        prepare([path])
    assert path.name in str(info.value)


@pytest.mark.slow
def test_no_crs_with_the_option():
    path = need(ST_BARTH)
    ds, report = prepare([path], resolution=1.0, crs="EPSG:5490")
    assert ds.rio.crs.to_epsg() == 5490 and report["crs"] == "EPSG:5490"
    assert report["inputs"][0]["crs_from"] == "option"
    assert ds.rio.bounds() == (515000.0, 1981000.0, 515100.0, 1981100.0)
    assert ds["dsm"].shape == (100, 100)
    check_against_oracle(ds, report, [path], 1.0)


def test_crs_from_the_header_without_classes():
    path = need(REUNION)
    ds, report = prepare([path])
    assert ds.rio.crs.to_epsg() == 2975 and report["inputs"][0]["crs_from"] == "header"
    assert np.isnan(ds["dtm"].values).all() and np.isnan(ds["ndsm"].values).all()
    assert report["ground_cells"] == 0
    assert any("no ground point" in w for w in report["warnings"])
    assert np.isfinite(ds["dsm"].values).mean() > 0.9
    assert (ds["buildings"].values != 1).all() and (ds["vegetation"].values != 1).all()
    check_against_oracle(ds, report, [path], 0.5)


def test_lambert93_without_epsg():
    path = need(NOEPSG)
    with pytest.raises(CRSError, match="--crs"):
        prepare([path])
    ds, report = prepare([path], crs="EPSG:2154")
    assert ds.rio.crs.to_epsg() == 2154
    head = inspect_las(path, crs="EPSG:2154").bounds  # 435000-435049.991, 6291000.006-6291049.997
    assert ds.rio.bounds() == (435000.0, 6291000.0, 435050.0, 6291050.0)
    check_alignment(ds.rio.transform(), ds["dsm"].shape, head, 0.5)
    assert any("no ground point" in w for w in report["warnings"])  # all class 1
    check_against_oracle(ds, report, [path], 0.5)


@pytest.mark.slow
@pytest.mark.parametrize(
    "crs, needle",
    [("EPSG:4326", "geographic"), ("EPSG:2227", "not metres"), ("EPSG:99999999", "--crs"), ("nonsense", "--crs")],
)
def test_unusable_crs_option(crs, needle):
    with pytest.raises(CRSError, match=needle):
        prepare(sample(WEST), crs=crs)


def test_geographic_crs_option_on_a_file_without_crs():
    with pytest.raises(CRSError, match="geographic"):
        prepare([need(ST_BARTH)], crs="EPSG:4326")


# ----------------------------------------------------------------------------
# 7. bad input
# ----------------------------------------------------------------------------


def truncated(folder: Path, fraction: float = 0.6, name: str = WEST) -> Path:
    data = (SAMPLES / name).read_bytes()
    path = folder / f"truncated_{name}"
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


@pytest.mark.parametrize("fraction", [0.6, 0.99])
def test_truncated_laz(tmp_path, fraction):
    path = truncated(tmp_path, fraction)
    src = inspect_las(path)  # the header still parses: the error comes while streaming
    assert src.points == 72770
    with pytest.raises(InputFileError, match="truncated or corrupt") as info:
        prepare([path])
    assert path.name in str(info.value)


def test_truncated_las(tmp_path):
    full = tmp_path / "full.las"
    laspy.read(SAMPLES / WEST).write(full)
    data = full.read_bytes()
    path = tmp_path / "truncated.las"
    path.write_bytes(data[: int(len(data) * 0.6)])
    for chunk in (10_000, 2_000_000):
        with pytest.raises(InputFileError, match="truncated"):
            prepare([path], chunk_points=chunk)


@pytest.mark.parametrize(
    "content, needle",
    [(b"x,y,z\n1,2,3\n" * 20, "not a readable LAS/LAZ"), (b"", "not a readable LAS/LAZ")],
    ids=["text", "empty"],
)
def test_not_a_las_file(tmp_path, content, needle):
    path = tmp_path / "tile.laz"
    path.write_bytes(content)
    with pytest.raises(InputFileError, match=needle) as info:
        prepare([path])
    assert "tile.laz" in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(InputFileError, match="no such file"):
        prepare([tmp_path / "nothere.laz"])


def test_file_without_points(tmp_path):
    path = write_las(tmp_path / "void.las", [], [], [], [])
    with pytest.raises(InputFileError, match="no points"):
        prepare([path])


def test_same_tile_twice(tmp_path):
    with pytest.raises(InputFileError, match="given twice"):
        prepare(sample(WEST, EAST, WEST))
    link = tmp_path / "alias.laz"
    try:
        os.symlink(SAMPLES / WEST, link)
    except OSError:
        pytest.skip("no symlinks here")
    with pytest.raises(InputFileError, match="given twice"):
        prepare([SAMPLES / WEST, link])


def test_tiles_in_different_crs(tmp_path):
    other = write_las(tmp_path / "utm.las", [X0 + 1, X0 + 5], [Y0 + 1, Y0 + 5], [1.0, 1.0], [2, 2], crs="EPSG:32631")
    with pytest.raises(CRSError, match="differs"):
        prepare([SAMPLES / WEST, other])
    with pytest.raises(CRSError, match="EPSG:2975"):
        prepare([SAMPLES / WEST, need(REUNION)])
    # --crs overrides every header: then they agree
    ds, _ = prepare([SAMPLES / WEST, other], crs="EPSG:2154", bounds=(770550, 6277500, 770560, 6277510))
    assert ds.rio.crs.to_epsg() == 2154


@pytest.mark.parametrize(
    "bounds, error, needle",
    [
        ((0, 0, 10, 10), NoOverlapError, "does not overlap"),
        ((770700, 6277500, 770710, 6277510), NoOverlapError, "does not overlap"),
        ((770560, 6277500, 770550, 6277510), OptionError, "empty"),
        ((770550, 6277500, 770560, 6277500), OptionError, "empty"),
    ],
)
def test_bad_bounds(bounds, error, needle):
    with pytest.raises(error, match=needle):
        prepare(sample(WEST), bounds=bounds)


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        ({"resolution": 0}, "--resolution"),
        ({"resolution": -0.5}, "--resolution"),
        ({"resolution": float("nan")}, "--resolution"),
        ({"resolution": float("inf")}, "--resolution"),
        ({"max_hole": -1}, "max_hole"),
    ],
)
def test_bad_options(kwargs, needle):
    with pytest.raises(OptionError, match=needle):
        prepare(sample(WEST), **kwargs)


def test_no_tile():
    with pytest.raises(OptionError, match="no input tile"):
        prepare([])


# ----------------------------------------------------------------------------
# 8. regressions: DTM far from any ground cell (GDAL's search left cells unfilled: they kept a 0 placeholder)
# ----------------------------------------------------------------------------


def test_dtm_far_from_ground_is_never_the_placeholder_zero():
    """Inverse-distance values lie within the range of the ground cells (or the cell is nodata).

    A 7.8 x 7.7 m window on a roof with ground points in two cells of its west
    column: the four cells of the east column farthest from them get DTM 0.0
    (ground is ~20.9 m) and nDSM 37 m instead of ~16 m.
    """
    ds, report = run((CLASSIFIED_V12,), 0.5, (770528.9, 6277526.2, 770536.7, 6277533.9))
    assert report["ground_cells"] == 2
    dtm = ds["dtm"].values
    assert np.nanmin(dtm) > 20.0, np.argwhere(dtm == 0).tolist()



def test_dtm_under_a_large_roof_with_ground_in_one_corner(tmp_path):
    rng = np.random.default_rng(3)
    n = 40 * 40 * 10
    x, y = X0 + rng.uniform(0, 40, n), Y0 + rng.uniform(0, 40, n)
    ground = (x < X0 + 1) & (y > Y0 + 39)
    path = write_las(tmp_path / "corner.las", x, y, np.where(ground, 50.0, 60.0), np.where(ground, 2, 6))
    ds, _ = prepare([path])
    dtm = ds["dtm"].values
    assert np.all(np.isnan(dtm) | (np.abs(dtm - 50.0) < 1e-3)), int((dtm == 0).sum())


# ----------------------------------------------------------------------------
# 8. files that are LAS/LAZ but not LiDAR tiles: refused with their name
# ----------------------------------------------------------------------------


def test_noise_only_tile_named(tmp_path):
    rng = np.random.default_rng(3)
    x, y = X0 + rng.uniform(0, 20, 300), Y0 + rng.uniform(0, 20, 300)
    path = write_las(tmp_path / "noise_only.laz", x, y, np.full(300, 60.0), np.where(np.arange(300) % 2, 7, 18))
    with pytest.raises(InputFileError, match=r"noise_only\.laz: all 300 points are noise"):
        prepare([path], resolution=0.5)


def test_noise_only_tile_named_among_good_ones(tmp_path):
    rng = np.random.default_rng(4)
    x, y = X0 + rng.uniform(0, 20, 300), Y0 + rng.uniform(0, 20, 300)
    good = write_las(tmp_path / "good.laz", x, y, np.full(300, 50.0), np.full(300, 2))
    bad = write_las(tmp_path / "bad.laz", x, y, np.full(300, 60.0), np.full(300, 7))
    with pytest.raises(InputFileError, match=r"bad\.laz: all 300 points are noise"):
        prepare([good, bad], resolution=0.5)


@pytest.mark.parametrize("n", [1, 5])
def test_identical_points_are_not_a_tile(tmp_path, n):
    path = write_las(tmp_path / "same.laz", np.full(n, X0 + 1), np.full(n, Y0 + 1), np.full(n, 50.0), np.full(n, 6))
    with pytest.raises(InputFileError, match=rf"same\.laz: its {n} points cover 0\.00 x 0\.00 m, a point or a line; not a LiDAR tile"):
        inspect_las(path)
