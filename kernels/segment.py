"""Roof faces: region growing of roof cells on their surface normals."""

from __future__ import annotations

import math

import numpy as np

from kernels._jit import njit


@njit
def grow_faces(building, n_east, n_north, n_up, slope, flat_slope, max_angle, labels):
    """Label roof faces: connected cells of one building with similar normals.

    A *flat* cell (slope below ``flat_slope``) joins the face of a
    4-connected flat neighbour of the same building: a flat roof is one face.
    A *pitched* cell joins a 4-connected pitched neighbour of the same
    building when its normal lies within ``max_angle`` of the face's mean
    normal so far (region growing, seeds in raster order).

    Parameters
    ----------
    building : 2-D integer array
        Building id of each roof cell, 0 elsewhere.
    n_east, n_north, n_up : 2-D float arrays
        Unit surface normals (NaN cells are skipped).
    slope : 2-D float array
        Slope of each cell. [degrees]
    flat_slope : float
        Below this slope a cell is flat. [degrees]
    max_angle : float
        Largest angle between a cell's normal and its face's mean normal. [degrees]
    labels : 2-D int32/int64 array
        Output: face number (1, 2, ...) of each roof cell, 0 elsewhere.

    Returns
    -------
    int
        The number of faces.
    """
    nrows, ncols = building.shape
    cos_max = math.cos(math.radians(max_angle))
    for i in range(nrows):
        for j in range(ncols):
            labels[i, j] = 0
    queue_i = np.empty(nrows * ncols, np.int64)
    queue_j = np.empty(nrows * ncols, np.int64)
    di = (-1, 1, 0, 0)
    dj = (0, 0, -1, 1)
    n = 0
    for i0 in range(nrows):
        for j0 in range(ncols):
            b = building[i0, j0]
            if b == 0 or labels[i0, j0] != 0 or math.isnan(n_up[i0, j0]):
                continue
            n += 1
            flat = slope[i0, j0] < flat_slope
            se = n_east[i0, j0]
            sn = n_north[i0, j0]
            su = n_up[i0, j0]
            labels[i0, j0] = n
            head = 0
            tail = 1
            queue_i[0] = i0
            queue_j[0] = j0
            while head < tail:
                ci = queue_i[head]
                cj = queue_j[head]
                head += 1
                for k in range(4):
                    ii = ci + di[k]
                    jj = cj + dj[k]
                    if ii < 0 or jj < 0 or ii >= nrows or jj >= ncols:
                        continue
                    if labels[ii, jj] != 0 or building[ii, jj] != b or math.isnan(n_up[ii, jj]):
                        continue
                    cell_flat = slope[ii, jj] < flat_slope
                    if cell_flat != flat:
                        continue
                    if not flat:
                        norm = math.sqrt(se * se + sn * sn + su * su)
                        dot = (n_east[ii, jj] * se + n_north[ii, jj] * sn + n_up[ii, jj] * su) / norm
                        if dot < cos_max:
                            continue
                    labels[ii, jj] = n
                    se += n_east[ii, jj]
                    sn += n_north[ii, jj]
                    su += n_up[ii, jj]
                    queue_i[tail] = ii
                    queue_j[tail] = jj
                    tail += 1
    return n
