import dataclasses

import numpy as np
import pytest
from scipy.spatial.distance import cosine as cosine_distance

from smallbert_viz.analysis import TokenContributions, token_contributions


@pytest.fixture
def pair():
    rng = np.random.default_rng(3)
    return rng.normal(size=(7, 32)), rng.normal(size=(4, 32)) + 0.3


def test_dot_sums_to_dot_of_means(pair):
    a, b = pair
    result = token_contributions(a, b, metric="dot")
    assert isinstance(result, TokenContributions)
    assert result.matrix.shape == (7, 4) and result.matrix.dtype == np.float32
    expected = float(a.mean(axis=0) @ b.mean(axis=0))
    assert result.total == pytest.approx(expected, rel=1e-10)
    assert float(result.matrix.sum(dtype=np.float64)) == pytest.approx(expected, rel=1e-5)


def test_cosine_sums_to_cosine_of_means(pair):
    a, b = pair
    result = token_contributions(a, b)
    expected = 1.0 - cosine_distance(a.mean(axis=0), b.mean(axis=0))
    assert result.metric == "cosine"
    assert result.total == pytest.approx(expected, rel=1e-10)
    assert float(result.matrix.sum(dtype=np.float64)) == pytest.approx(expected, rel=1e-5)


def test_entries_match_direct_computation(pair):
    a, b = pair
    result = token_contributions(a, b, metric="dot")
    for i in range(a.shape[0]):
        for j in range(b.shape[0]):
            assert result.matrix[i, j] == pytest.approx(a[i] @ b[j] / (7 * 4), rel=1e-5)


def test_single_tokens():
    result = token_contributions([[1.0, 2.0]], [[3.0, 4.0]], metric="dot")
    assert result.matrix.shape == (1, 1)
    assert result.total == pytest.approx(11.0)


def test_frozen(pair):
    with pytest.raises(dataclasses.FrozenInstanceError):
        token_contributions(*pair).total = 0.0


@pytest.mark.parametrize(
    ("a", "b", "kwargs", "exc", "match"),
    [
        (np.ones((2, 3)), np.ones((2, 4)), {}, ValueError, "same number of columns"),
        (np.ones((0, 3)), np.ones((2, 3)), {}, ValueError, "'a'.*at least 1 row"),
        (np.ones((2, 3)), np.ones(3), {}, ValueError, "'b'.*2-D"),
        (np.ones((2, 3)), np.ones((2, 3)), {"metric": "euclidean"}, ValueError, "'dot'"),
        (np.array([[1.0, -1.0], [-1.0, 1.0]]), np.ones((1, 2)), {}, ValueError, "zero vector"),
        (np.full((1, 2), np.inf), np.ones((1, 2)), {}, ValueError, "NaN or infinite"),
    ],
)
def test_bad_input(a, b, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        token_contributions(a, b, **kwargs)
