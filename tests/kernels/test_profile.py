"""kernels.profile: per-face knots of horizon codes and the lit fraction, against brute-force counts.

- :func:`face_quantiles`: the knots are vertices of the exact staircase of the coded horizons (the share and the
  normals of the cells below, or at or below, a code), from ``(lowest, 0)`` to ``(highest, 1)``, at most M + 1;
  with at most ``M / 2`` distinct codes they are the whole staircase: the lit fraction and the lit cells' normal
  sum ``V(e)`` are then exact at every elevation (a canyon's rows, a small face) when no tolerance drops more. The mean band seen is the
  brute-force mean; a face without cells (or only no-data codes) gets NaN.
- :func:`lit_fraction_one` (through :func:`lit_fractions`): exact at the knots, between the shares of the
  surrounding knots elsewhere, 0 at and below the lowest code, 1 above the highest.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
import pytest

from kernels.profile import HORIZON_CODE_STEP, NO_CODE, face_quantiles, lit_fractions, lit_normals

M = 24
BAND = 6.5


def _normals(n: int, seed: int = 0) -> np.ndarray:
    """n random unit normals pointing up."""
    v = np.random.default_rng(seed).normal(size=(n, 3)) * [0.5, 0.5, 1.0]
    v[:, 2] = np.abs(v[:, 2]) + 0.1
    return v / np.linalg.norm(v, axis=1)[:, None]


def _knots(codes, starts, levels=M, normals=None, tolerance=0.0):
    """face_quantiles: knots, counts, band seen and cumulative normals of (cells, directions) codes."""
    normals = np.zeros((codes.shape[0], 3)) if normals is None else normals
    n_f, n_d = len(starts) - 1, codes.shape[1]
    q = np.empty((n_f, n_d, levels + 1), np.float32)
    counts = np.empty((n_f, n_d, levels + 1), np.int32)
    seen = np.empty((n_f, n_d), np.float32)
    v = np.empty((n_f, n_d, levels + 1, 3), np.float32)
    face_quantiles(np.ascontiguousarray(codes, dtype=np.uint8), np.ascontiguousarray(normals, dtype=np.float64),
                   np.asarray(starts), levels, tolerance, BAND, q, counts, seen, v)
    return q, counts, seen, v


def _profile(codes: np.ndarray, normals=None, tolerance=0.0):
    """Knots, shares, band seen and cumulative normals of one face and one direction."""
    q, counts, seen, v = _knots(codes.reshape(-1, 1), [0, codes.size], M, normals, tolerance)
    return q[0, 0], counts[0, 0] / codes.size, seen[0, 0], v[0, 0]


def _lit(q, shares, e) -> np.ndarray:
    e = np.atleast_1d(np.asarray(e, np.float64))
    out = np.empty(e.size)
    lit_fractions(np.ascontiguousarray(np.broadcast_to(q.astype(np.float64), (e.size, q.size))),
                  np.ascontiguousarray(np.broadcast_to(shares.astype(np.float64), (e.size, q.size))), e, out)
    return out


def _lit_normal(q, v, e):
    e = np.atleast_1d(np.asarray(e, np.float64))
    out = np.empty((e.size, 3))
    lit_normals(np.ascontiguousarray(np.broadcast_to(q, (e.size, q.size)), np.float32),
                np.ascontiguousarray(np.broadcast_to(v, (e.size, *v.shape)), np.float32), e, out)
    return out


def _probes(h):
    """Elevations around every horizon and between: where a staircase steps and where it is flat."""
    return np.concatenate([np.linspace(-1.0, 91.0, 400), h, h + 1e-4, h - 1e-4, h + 0.25])


codes_strategy = st.lists(st.integers(0, 180), min_size=1, max_size=300).map(lambda v: np.array(v, np.uint8))
clustered = st.lists(st.integers(40, 50), min_size=1, max_size=60).map(lambda v: np.array(v, np.uint8))
few = st.lists(st.sampled_from(list(range(0, 181, 7))), min_size=1, max_size=200).filter(
    lambda v: len(set(v)) <= M // 2).map(lambda v: np.array(v, np.uint8))


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(codes=st.one_of(codes_strategy, clustered, few), seed=st.integers(0, 1000),
       tolerance=st.sampled_from([0.0, 0.2, 1.0]))
def test_knots_are_vertices_of_the_staircase(codes, seed, tolerance):
    """Every knot is (c, share below c) or (c, share at or below c) with the normals of those cells, summed over n;
    the first (lowest, 0), the last (highest, 1, the mean normal); nondecreasing; the lit fraction is exact at the
    knots and between the shares of the surrounding knots elsewhere; the band seen is the mean."""
    h = codes * HORIZON_CODE_STEP
    n = h.size
    normals = _normals(n, seed)
    q, shares, seen, v = _profile(codes, normals, tolerance)
    assert q[0] == h.min() and q[-1] == h.max() and shares[0] == 0.0 and shares[-1] == 1.0
    assert np.all(np.diff(q) >= 0) and np.all(np.diff(shares) >= 0)
    for x, share, vv in zip(q, shares, v, strict=True):
        below, at_or_below = h < x, h <= x
        assert share in (below.mean(), at_or_below.mean())
        cells = below if share == below.mean() else at_or_below
        np.testing.assert_allclose(vv, normals[cells].sum(axis=0) / n, atol=1e-6)
    np.testing.assert_allclose(v[-1], normals.mean(axis=0), atol=1e-6)
    e = _probes(h)
    got = _lit(q, shares, e)
    k = np.clip(np.searchsorted(q, e, side="left") - 1, 0, M)  # the knot just below (q_k < e)
    brute = np.array([np.count_nonzero(h < x) / n for x in e])
    for values in (got, brute):  # the polyline and the staircase both lie between the surrounding knots' shares
        assert np.all(values >= shares[k] - 1e-9) and np.all(values <= shares[np.minimum(k + 1, M)] + 1e-9)
    assert np.all(_lit(q, shares, e[e <= q[0]]) == 0.0) and np.all(_lit(q, shares, e[e > q[-1]]) == 1.0)
    np.testing.assert_allclose(seen, np.mean(1.0 - np.minimum(h, BAND) / BAND), rtol=1e-6)


@pytest.mark.slow
@settings(max_examples=50, deadline=None)
@given(codes=few, seed=st.integers(0, 1000))
def test_staircases_of_at_most_m_over_2_steps_are_exact(codes, seed):
    """At most M / 2 distinct codes (a canyon's rows, a small face): the lit fraction and V(e) . s are the
    brute-force share and mean of n_c . s over the cells below the sun, at every elevation (tolerance 0)."""
    h = codes * HORIZON_CODE_STEP
    normals = _normals(h.size, seed)
    sun = np.array([0.2, -0.6, 0.77])
    e = _probes(h)
    brute = np.array([np.count_nonzero(h < x) / h.size for x in e])
    beam = np.array([(normals[h < x] @ sun).sum() / h.size for x in e])
    q, shares, _, v = _profile(codes, normals)
    np.testing.assert_allclose(_lit(q, shares, e), brute, atol=1e-6)
    np.testing.assert_allclose(_lit_normal(q, v, e) @ sun, beam, atol=1e-5)


def test_many_codes_are_simplified_to_m_plus_1_knots():
    """181 distinct codes (362 vertices) are cut to M + 1 knots, within a few percent of the brute-force share."""
    codes = np.repeat(np.arange(181, dtype=np.uint8), np.arange(181) % 7 + 1)
    q, shares, _, _ = _profile(codes)
    assert np.unique(np.c_[q, shares], axis=0).shape[0] == M + 1
    h = codes * HORIZON_CODE_STEP
    e = np.linspace(0.0, 90.0, 721) + 1e-4
    brute = np.array([np.count_nonzero(h < x) / h.size for x in e])
    assert np.abs(_lit(q, shares, e) - brute).max() < 0.03


def test_faces_are_separate_and_no_data_left_out():
    """Two faces in one call; codes of NO_CODE do not count; a face with none gets NaN."""
    codes = np.array([[0, 10], [4, 10], [NO_CODE, NO_CODE], [8, 20], [NO_CODE, 30], [NO_CODE, NO_CODE]], np.uint8)
    starts = np.array([0, 4, 5, 6])  # face 0: rows 0-3, face 1: row 4, face 2: row 5 (no data)
    q, counts, seen, v = _knots(codes, starts, 8, np.ones((6, 3)))
    np.testing.assert_array_equal(q[0, 0, :6], [0.0, 0.0, 2.0, 2.0, 4.0, 4.0])  # codes 0, 4, 8: 2 vertices each
    np.testing.assert_array_equal(counts[0, 0], [0, 1, 1, 2, 2, 3, 3, 3, 3])  # then the last repeated
    np.testing.assert_array_equal(q[0, 1, :4], [5.0, 5.0, 10.0, 10.0])  # codes 10, 10, 20 and NO_CODE
    np.testing.assert_array_equal(counts[0, 1, :4], [0, 2, 2, 3])
    np.testing.assert_allclose(v[0, 1, :4, 0], [0.0, 2 / 3, 2 / 3, 1.0])
    assert np.isnan(q[1, 0]).all() and np.array_equal(q[1, 1], [15.0] * 9)
    assert np.isnan(q[2]).all() and np.isnan(seen[2]).all() and (v[2] == 0).all() and (counts[2] == 0).all()
    assert np.isnan(_lit(q[2, 0], counts[2, 0] * 1.0, 30.0)[0])
