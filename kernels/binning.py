"""Binning of point clouds onto a grid: per-cell maximum, sums and counts."""

from __future__ import annotations

import math

from kernels._jit import njit


@njit
def bin_points(
    x,
    y,
    z,
    classification,
    keep,
    x0,
    y0,
    resolution,
    ground,
    building,
    top_z,
    top_class,
    ground_sum,
    ground_count,
    building_count,
    point_count,
):
    """Accumulate points into the cells of a north-up grid.

    A point at (x, y) falls in column ``floor((x - x0) / resolution)`` and row
    ``ceil((y0 - y) / resolution) - 1``: cells are closed on their west and
    south sides, open on their east and north sides, as IGN LiDAR HD tiles are
    ([x0, x0 + 1 km) x [y0, y0 + 1 km)), so that a point on the border of two
    adjacent tiles belongs to exactly one of them and a tile's points all fall
    in its own core. Points outside the grid and points with ``keep`` false
    are skipped.

    Parameters
    ----------
    x, y, z : 1-D float arrays
        Point coordinates. [m]
    classification : 1-D integer array
        ASPRS / LiDAR HD class of each point.
    keep : 1-D bool array
        False for points to ignore (noise, withheld).
    x0, y0 : float
        West and north edges of the grid. [m]
    resolution : float
        Cell size. [m]
    ground : 1-D bool array indexed by class
        Classes that count as ground.
    building : int
        The building class.
    top_z, top_class, ground_sum, ground_count, building_count, point_count : 2-D arrays
        Accumulators updated in place: highest z and its class, sum and count
        of ground heights, count of building points, count of kept points.
        ``top_z`` starts at -inf.
    """
    nrows, ncols = top_z.shape
    inv = 1.0 / resolution
    for k in range(x.shape[0]):
        if not keep[k]:
            continue
        c = int(math.floor((x[k] - x0) * inv))
        r = -int(math.floor((y[k] - y0) * inv)) - 1
        if c < 0 or r < 0 or c >= ncols or r >= nrows:
            continue
        cl = classification[k]
        h = z[k]
        point_count[r, c] += 1
        if h > top_z[r, c]:
            top_z[r, c] = h
            top_class[r, c] = cl
        if cl < ground.shape[0] and ground[cl]:
            ground_sum[r, c] += h
            ground_count[r, c] += 1
        if cl == building:
            building_count[r, c] += 1
