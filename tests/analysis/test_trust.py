"""projection_trust: per-point neighbour overlap, against scikit-learn and neighbor_preservation."""

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from smallbert_viz.analysis.neighbors import neighbor_preservation
from smallbert_viz.analysis.trust import layout_neighbors, projection_trust


@pytest.fixture
def data():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(250, 20)).astype(np.float32)
    coords = x[:, :2] + 0.4 * rng.normal(size=(250, 2))  # a layout that keeps some neighbours
    return x, coords


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_each_point_matches_sklearn_neighbour_sets(data, metric):
    x, coords = data
    high = NearestNeighbors(n_neighbors=7, metric=metric, algorithm="brute").fit(x).kneighbors()[1]
    low = NearestNeighbors(n_neighbors=7).fit(coords).kneighbors()[1]
    expected = [len(set(high[i]) & set(low[i])) / 7 for i in range(len(x))]
    trust = projection_trust(x, coords, k=7, metric=metric, method="exact")
    assert trust.shape == (250,) and trust.dtype == np.float64
    np.testing.assert_allclose(trust, expected)
    assert 0.0 < trust.mean() < 1.0  # the test layout is neither perfect nor random


@pytest.mark.parametrize("k", [1, 10, 249])
def test_mean_is_neighbor_preservation(data, k):
    x, coords = data
    trust = projection_trust(x, coords, k=k, method="exact")
    assert trust.mean() == pytest.approx(neighbor_preservation(x, coords, k=k), abs=1e-12)


def test_a_perfect_layout_is_trusted_everywhere_and_a_torn_point_is_not(data):
    x, _ = data
    assert (projection_trust(x, x, k=5, metric="euclidean", method="exact") == 1.0).all()
    # Move one point far away in the layout: it keeps none of its neighbours.
    torn = x.astype(np.float64).copy()
    torn[17] += 1_000.0
    trust = projection_trust(x, torn, k=5, metric="euclidean", method="exact")
    assert trust[17] == 0.0
    assert np.delete(trust, 17).min() >= 0.8  # the others lose at most that one neighbour


def test_layout_neighbors_leave_self_out_even_among_duplicate_points():
    coords = np.zeros((6, 2))  # all points on one spot: every order is a tie
    coords[5] = [1.0, 0.0]
    idx = layout_neighbors(coords, 4)
    assert idx.shape == (6, 4)
    for i, row in enumerate(idx):
        assert i not in row and len(set(row)) == 4
    assert set(idx[5]) < {0, 1, 2, 3, 4}


@pytest.mark.slow  # the first approximate search in a session compiles pynndescent
def test_approximate_neighbours_give_close_values():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(20, 32)) * 4
    x = (centres[rng.integers(0, 20, 3000)] + rng.normal(size=(3000, 32))).astype(np.float32)
    coords = x[:, :2]
    exact = projection_trust(x, coords, k=10, method="exact")
    approx = projection_trust(x, coords, k=10, method="approximate")
    assert abs(approx.mean() - exact.mean()) < 0.02
    assert np.mean(approx == exact) >= 0.9


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda x, c: projection_trust(x, c[:10]), ValueError, "same number of rows"),
        (lambda x, c: projection_trust(x, c, k=250), ValueError, r"'k'.*\[1, 249\]"),
        (lambda x, c: projection_trust(x, c, k=0), ValueError, "'k'"),
        (lambda x, c: projection_trust(x, c, k=2.0), TypeError, "'k'.*int"),
        (lambda x, c: projection_trust(x, c, method="fast"), ValueError, "'method'.*'exact'"),
        (lambda x, c: projection_trust(x, c, metric="l1"), ValueError, "'metric'"),
        (lambda x, c: projection_trust(x, c[:, 0]), ValueError, "reshape"),
    ],
)
def test_bad_input(data, call, exc, match):
    with pytest.raises(exc, match=match):
        call(*data)


def test_nan_in_the_layout_is_reported(data):
    x, coords = data
    bad = coords.copy()
    bad[4, 1] = np.nan
    with pytest.raises(ValueError, match="'coords'.*rows 4"):
        projection_trust(x, bad)
