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
from hypothesis import given, settings
from hypothesis import strategies as st

from kernels.profile import HORIZON_CODE_STEP, NO_CODE, face_quantiles, lit_fractions

K = 16
BAND = 6.5


def _profile(codes: np.ndarray, levels: int = K):
    """Quantiles (K + 1,) and band seen of one face and one direction, from 1-D codes."""
    q = np.empty((1, 1, levels + 1), np.float32)
    seen = np.empty((1, 1), np.float32)
    face_quantiles(np.ascontiguousarray(codes.reshape(-1, 1), dtype=np.uint8), np.array([0, codes.size]), levels,
                   BAND, q, seen)
    return q[0, 0], seen[0, 0]


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
    q, seen = _profile(codes)
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
    q, _ = _profile(codes)
    h = codes * HORIZON_CODE_STEP
    for k in range(1, K):
        e = float(q[k]) + 1e-9
        assert np.count_nonzero(h < e) / h.size == k / K
        assert abs(_lit(q, e)[0] - k / K) < 1e-9


def test_faces_are_separate_and_no_data_left_out():
    """Two faces in one call; codes of NO_CODE do not count; a face with none gets NaN."""
    codes = np.array([[0, 10], [4, 10], [NO_CODE, NO_CODE], [8, 20], [NO_CODE, 30], [NO_CODE, NO_CODE]], np.uint8)
    starts = np.array([0, 4, 5, 6])  # face 0: rows 0-3, face 1: row 4, face 2: row 5 (no data)
    q = np.empty((3, 2, 3), np.float32)
    seen = np.empty((3, 2), np.float32)
    face_quantiles(codes, starts, 2, BAND, q, seen)
    np.testing.assert_array_equal(q[0, 0], [0.0, 2.0, 4.0])  # codes 0, 4, 8 (the no-data row left out)
    np.testing.assert_array_equal(q[0, 1], [5.0, 5.0, 10.0])  # codes 10, 10, 20 and NO_CODE
    assert np.isnan(q[1, 0]).all() and np.array_equal(q[1, 1], [15.0] * 3)
    assert np.isnan(q[2]).all() and np.isnan(seen[2]).all()
    assert np.isnan(_lit(q[2, 0], 30.0)[0])
