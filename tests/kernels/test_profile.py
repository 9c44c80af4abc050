"""kernels.profile: per-face quantiles of horizon codes and the lit fraction, against brute-force counts.

- :func:`face_quantiles`: each ``q_k`` is an exact ``k/K`` quantile of the coded horizons (fewer
  than ``k/K`` of the cells strictly below it, at least ``k/K`` at or below it); the mean band seen
  is the brute-force mean; a face without cells (or only no-data codes) gets NaN.
- :func:`lit_fraction_one` (through :func:`lit_fractions`): exact at the quantile levels (just above
  ``q_k`` it is the highest level tied with ``q_k``), within ``1/K`` of the brute-force fraction of
  cells strictly below the sun everywhere, 0 at and below ``q_0``, 1 above ``q_K``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernels.profile import HORIZON_CODE_STEP, NO_CODE, face_quantiles, lit_fractions, lit_normals

K = 16
BAND = 6.5


def _normals(n: int, seed: int = 0) -> np.ndarray:
    """n random unit normals pointing up."""
    v = np.random.default_rng(seed).normal(size=(n, 3)) * [0.5, 0.5, 1.0]
    v[:, 2] = np.abs(v[:, 2]) + 0.1
    return v / np.linalg.norm(v, axis=1)[:, None]


def _quantiles(codes, starts, levels, normals=None):
    """face_quantiles: quantiles, band seen and cumulative normals of (cells, directions) codes."""
    normals = np.zeros((codes.shape[0], 3)) if normals is None else normals
    n_f, n_d = len(starts) - 1, codes.shape[1]
    q = np.empty((n_f, n_d, levels + 1), np.float32)
    seen = np.empty((n_f, n_d), np.float32)
    v = np.empty((n_f, n_d, levels + 1, 3), np.float32)
    face_quantiles(np.ascontiguousarray(codes, dtype=np.uint8), np.ascontiguousarray(normals, dtype=np.float64),
                   np.asarray(starts), levels, BAND, q, seen, v)
    return q, seen, v


def _profile(codes: np.ndarray, levels: int = K, normals=None):
    """Quantiles (K + 1,), band seen and cumulative normals (K + 1, 3) of one face and one direction."""
    q, seen, v = _quantiles(codes.reshape(-1, 1), [0, codes.size], levels, normals)
    return q[0, 0], seen[0, 0], v[0, 0]


def _lit(q: np.ndarray, e) -> np.ndarray:
    e = np.atleast_1d(np.asarray(e, np.float64))
    out = np.empty(e.size)
    lit_fractions(np.ascontiguousarray(np.broadcast_to(q.astype(np.float64), (e.size, q.size))), e, out)
    return out


codes_strategy = st.lists(st.integers(0, 180), min_size=1, max_size=300).map(lambda v: np.array(v, np.uint8))
clustered = st.lists(st.integers(40, 50), min_size=1, max_size=60).map(lambda v: np.array(v, np.uint8))


@settings(max_examples=150, deadline=None)
@given(codes=st.one_of(codes_strategy, clustered))
def test_quantiles_are_exact_and_lit_fraction_within_one_level(codes):
    h = codes * HORIZON_CODE_STEP
    n = h.size
    q, seen, _ = _profile(codes)
    assert q[0] == h.min() and q[-1] == h.max()
    assert np.all(np.diff(q) >= 0)
    for k in range(K + 1):
        # q_k is an exact k/K quantile of the cells' horizons
        assert np.count_nonzero(h < q[k]) * K < max(k, 1) * n or k == 0
        assert np.count_nonzero(h <= q[k]) * K >= k * n
        # just above q_k: the highest level tied with q_k, never below the true share of lit cells
        top = max(j for j in range(K + 1) if q[j] == q[k])
        just_above = float(q[k]) + 1e-6
        got = _lit(q, just_above)[0]
        if top < K:
            assert abs(got - top / K) < 1e-4
            assert np.count_nonzero(h < just_above) * K >= top * n
        else:
            assert got == 1.0
    e = np.concatenate([np.linspace(-1.0, 91.0, 400), q, q + 0.25])
    brute = np.array([np.count_nonzero(h < x) / n for x in e])
    assert np.all(np.abs(_lit(q, e) - brute) <= 1.0 / K + 1e-9)
    assert np.all(_lit(q, e[e <= q[0]]) == 0.0) and np.all(_lit(q, e[e > q[-1]]) == 1.0)
    np.testing.assert_allclose(seen, np.mean(1.0 - np.minimum(h, BAND) / BAND), rtol=1e-6)


def test_lit_fraction_is_exact_on_distinct_horizons_in_multiples_of_k():
    """n = 3 K distinct horizons: the brute-force fraction just above q_k is k/K exactly, as the profile's."""
    rng = np.random.default_rng(1)
    codes = rng.permutation(np.arange(181))[: 3 * K].astype(np.uint8)
    q, _, _ = _profile(codes)
    h = codes * HORIZON_CODE_STEP
    for k in range(1, K):
        e = float(q[k]) + 1e-9
        assert np.count_nonzero(h < e) / h.size == k / K
        assert abs(_lit(q, e)[0] - k / K) < 1e-9


def test_faces_are_separate_and_no_data_left_out():
    """Two faces in one call; codes of NO_CODE do not count; a face with none gets NaN."""
    codes = np.array([[0, 10], [4, 10], [NO_CODE, NO_CODE], [8, 20], [NO_CODE, 30], [NO_CODE, NO_CODE]], np.uint8)
    starts = np.array([0, 4, 5, 6])  # face 0: rows 0-3, face 1: row 4, face 2: row 5 (no data)
    q, seen, v = _quantiles(codes, starts, 2, np.ones((6, 3)))
    np.testing.assert_array_equal(q[0, 0], [0.0, 2.0, 4.0])  # codes 0, 4, 8 (the no-data row left out)
    np.testing.assert_array_equal(q[0, 1], [5.0, 5.0, 10.0])  # codes 10, 10, 20 and NO_CODE
    assert np.isnan(q[1, 0]).all() and np.array_equal(q[1, 1], [15.0] * 3)
    assert np.isnan(q[2]).all() and np.isnan(seen[2]).all() and (v[2] == 0).all()
    np.testing.assert_allclose(v[0, 0, :, 0], [0.0, 2 / 3, 1.0])  # round(k n / K) = 0, 2 (1.5 up), 3 of 3 cells
    assert np.isnan(_lit(q[2, 0], 30.0)[0])


def _lit_normal(q, v, e, cells=0):
    e = np.atleast_1d(np.asarray(e, np.float64))
    out = np.empty((e.size, 3))
    lit_normals(np.ascontiguousarray(np.broadcast_to(q, (e.size, q.size)), np.float32),
                np.ascontiguousarray(np.broadcast_to(v, (e.size, *v.shape)), np.float32),
                np.full(e.size, cells, np.int64), e, out)
    return out


@settings(max_examples=100, deadline=None)
@given(codes=st.one_of(codes_strategy, clustered), seed=st.integers(0, 1000))
def test_cumulative_normals_are_the_sorted_running_sums(codes, seed):
    """V_k = the normals of the first ceil(k n / K) cells in increasing order of code (stable) summed, over n; at
    each level the interpolated V(e) just above q_k is V_m of the highest tied level m; 0 at and below q_0, V_K above
    q_K (the mean normal)."""
    n = codes.size
    normals = _normals(n, seed)
    q, _, v = _profile(codes, normals=normals)
    order = np.argsort(codes, kind="stable")
    for k in range(K + 1):
        m = -(-k * n // K)
        np.testing.assert_allclose(v[k], normals[order[:m]].sum(axis=0) / n, atol=1e-6)
        top = max(j for j in range(K + 1) if q[j] == q[k])
        got = _lit_normal(q, v, float(q[k]) + 1e-6)[0]
        np.testing.assert_allclose(got, v[top] if top < K else v[K], atol=1e-4)
    np.testing.assert_array_equal(_lit_normal(q, v, float(q[0]))[0], 0.0)
    np.testing.assert_allclose(_lit_normal(q, v, float(q[K]) + 0.1)[0], normals.mean(axis=0), atol=1e-6)


def test_lit_normal_is_the_raster_decomposition_on_levels():
    """n = 3 K distinct horizons: just above q_k the lit cells are exactly the first k n / K, and
    sum_c n_c . s [h_c < e] / n = V(e) . s, for any sun vector s (the raster's beam sum)."""
    rng = np.random.default_rng(2)
    codes = rng.permutation(np.arange(181))[: 3 * K].astype(np.uint8)
    normals = _normals(codes.size, 3)
    q, _, v = _profile(codes, normals=normals)
    h = codes * HORIZON_CODE_STEP
    sun = np.array([0.3, -0.5, 0.81])
    for k in range(1, K + 1):
        e = float(q[k]) + 1e-6
        brute = (normals[h < e] @ sun).sum() / h.size
        assert _lit_normal(q, v, e)[0] @ sun == pytest.approx(brute, abs=1e-6)


@pytest.mark.parametrize("n", [5, 14, 16])
def test_lit_normal_of_a_small_face_is_a_step_at_each_cell(n):
    """n <= K distinct codes: V(e) . s is the brute-force mean of n_c . s over the cells below e, everywhere but
    within half a code step below a cell's horizon (where it ramps); without the cell count it ramps from the
    previous quantile (the plain interpolation, biased up)."""
    rng = np.random.default_rng(n)
    codes = np.sort(rng.choice(np.arange(0, 181, 4), n, replace=False)).astype(np.uint8)
    normals = _normals(n, n)
    q, _, v = _profile(codes, normals=normals)
    h = codes * HORIZON_CODE_STEP
    sun = np.array([0.2, -0.6, 0.77])
    e = np.linspace(-1.0, 91.0, 2001)
    e = e[np.min(np.abs(e[:, None] - (h[None, :] - 0.125)), axis=1) > 0.13]  # away from the ramps
    brute = np.array([(normals[h < x] @ sun).sum() / n for x in e])
    np.testing.assert_allclose(_lit_normal(q, v, e, cells=n) @ sun, brute, atol=1e-6)
    assert np.abs(_lit_normal(q, v, e) @ sun - brute).max() > 0.01
