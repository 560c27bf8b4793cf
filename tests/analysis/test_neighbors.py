import re
import tracemalloc

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from smallbert_viz.analysis import (
    Neighbors,
    most_similar_pair,
    nearest_neighbors,
    neighbor_preservation,
    query_neighbors,
)


@pytest.fixture
def x():
    return np.random.default_rng(0).normal(size=(203, 24)).astype(np.float32)


@pytest.mark.parametrize("chunk_size", [None, 1, 7, 1000])
@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_matches_sklearn_excluding_self(x, metric, chunk_size):
    ref = NearestNeighbors(n_neighbors=5, metric=metric, algorithm="brute").fit(x)
    dist, idx = ref.kneighbors()  # no X: each point is left out of its own neighbours
    result = nearest_neighbors(x, k=5, metric=metric, chunk_size=chunk_size)
    assert isinstance(result, Neighbors)
    assert result.indices.shape == result.scores.shape == (203, 5)
    assert result.indices.dtype == np.int64 and result.scores.dtype == np.float32
    np.testing.assert_array_equal(result.indices, idx)
    expected = 1.0 - dist if metric == "cosine" else -dist
    np.testing.assert_allclose(result.scores, expected, atol=1e-5)


def test_dot_matches_brute_force(x):
    full = x.astype(np.float64) @ x.astype(np.float64).T
    np.fill_diagonal(full, -np.inf)
    expected = np.argsort(-full, axis=1)[:, :4]
    result = nearest_neighbors(x, k=4, metric="dot", chunk_size=10)
    np.testing.assert_array_equal(result.indices, expected)
    np.testing.assert_allclose(result.scores, np.take_along_axis(full, expected, axis=1), rtol=1e-5)


def test_including_self_puts_self_first(x):
    result = nearest_neighbors(x, k=3, exclude_self=False)
    np.testing.assert_array_equal(result.indices[:, 0], np.arange(len(x)))
    np.testing.assert_allclose(result.scores[:, 0], 1.0, atol=1e-6)


def test_k_equal_to_n_returns_everything_sorted(x):
    result = nearest_neighbors(x[:10], k=10, exclude_self=False, metric="euclidean")
    assert (np.sort(result.indices, axis=1) == np.arange(10)).all()
    assert (np.diff(result.scores, axis=1) <= 0).all()


def test_duplicate_row_is_its_own_twins_neighbour(x):
    data = np.vstack([x, x[5:6]])
    result = nearest_neighbors(data, k=1)
    assert result.indices[5, 0] == len(x)
    assert result.indices[len(x), 0] == 5
    assert result.scores[5, 0] == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("metric", ["cosine", "dot", "euclidean"])
def test_query_neighbors_matches_sklearn(x, metric):
    queries = np.random.default_rng(5).normal(size=(17, 24)).astype(np.float32)
    result = query_neighbors(queries, x, k=6, metric=metric, chunk_size=4)
    assert result.indices.shape == (17, 6)
    if metric == "dot":
        full = queries.astype(np.float64) @ x.astype(np.float64).T
        np.testing.assert_array_equal(result.indices, np.argsort(-full, axis=1)[:, :6])
        return
    dist, idx = NearestNeighbors(n_neighbors=6, metric=metric).fit(x).kneighbors(queries)
    np.testing.assert_array_equal(result.indices, idx)
    expected = 1.0 - dist if metric == "cosine" else -dist
    np.testing.assert_allclose(result.scores, expected, atol=1e-5)


def test_memory_stays_bounded_for_many_rows():
    # The full 12,000 x 12,000 float32 matrix would take 576 MB.
    data = np.random.default_rng(1).normal(size=(12_000, 8)).astype(np.float32)
    tracemalloc.start()
    try:
        result = nearest_neighbors(data, k=3)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 150 * 2**20
    # Spot-check a few rows against brute force.
    unit = data / np.linalg.norm(data, axis=1, keepdims=True)
    for row in (0, 4321, 11_999):
        sims = unit @ unit[row]
        sims[row] = -np.inf
        np.testing.assert_array_equal(result.indices[row], np.argsort(-sims)[:3])


def test_neighbor_preservation_against_direct_computation(x):
    coords = x[:, :2] + 0.1 * x[:, 2:4]
    a = NearestNeighbors(n_neighbors=10, metric="cosine").fit(x).kneighbors()[1]
    b = NearestNeighbors(n_neighbors=10).fit(coords).kneighbors()[1]
    expected = np.mean([len(set(a[i]) & set(b[i])) / 10 for i in range(len(x))])
    assert neighbor_preservation(x, coords, k=10) == pytest.approx(expected)
    assert neighbor_preservation(x, x, metric="euclidean") == 1.0


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda x: nearest_neighbors(x, k=203), ValueError, r"'k'.*\[1, 202\]"),
        (lambda x: nearest_neighbors(x, k=0), ValueError, "'k'"),
        (lambda x: nearest_neighbors(x, k=2.5), TypeError, "'k'.*int"),
        (lambda x: nearest_neighbors(x, metric="l1"), ValueError, "'metric'"),
        (lambda x: nearest_neighbors(x[:1]), ValueError, "at least 2 rows"),
        (lambda x: nearest_neighbors(x, chunk_size=0), ValueError, "'chunk_size'"),
        (lambda x: query_neighbors(x[:, :5], x), ValueError, "same number of columns"),
        (lambda x: query_neighbors(x[:3], x[:4], k=5), ValueError, r"'k'.*\[1, 4\]"),
        (lambda x: query_neighbors(np.zeros((0, 24)), x), ValueError, "at least 1 row"),
        (lambda x: neighbor_preservation(x, x[:10]), ValueError, "same number of rows"),
    ],
)
def test_bad_input(x, call, exc, match):
    with pytest.raises(exc, match=match):
        call(x)


def test_nan_and_zero_rows_are_reported(x):
    bad = x.copy()
    bad[7, 3] = np.nan
    with pytest.raises(ValueError, match="rows 7"):
        nearest_neighbors(bad)
    zero = x.copy()
    zero[9] = 0
    with pytest.raises(ValueError, match=r"all-zero rows \(9\)"):
        nearest_neighbors(zero)
    assert nearest_neighbors(zero, metric="euclidean").indices.shape == (203, 10)


def test_most_similar_pair_skips_duplicates_and_matches_brute_force(x):
    texts = [f"t{i}" for i in range(len(x))]
    # Rows 5 and 9 are the same text with the same vector: the best pair must not be them.
    x = x.copy()
    x[9] = x[5]
    texts[9] = texts[5]
    nb = nearest_neighbors(x, k=4, metric="cosine")
    got = most_similar_pair(nb, texts)
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    sim = unit @ unit.T
    same = np.array([[a == b for b in texts] for a in texts])
    sim[same] = -np.inf
    i, j = np.unravel_index(np.argmax(sim), sim.shape)
    assert got == (min(i, j), max(i, j))


def test_most_similar_pair_of_only_duplicates_and_bad_input():
    x = np.ones((3, 4), dtype=np.float32)
    nb = nearest_neighbors(x, k=2)
    assert most_similar_pair(nb, ["a", "a", "a"]) == (0, 1)
    with pytest.raises(ValueError, match="one sentence per row"):
        most_similar_pair(nb, ["a", "b"])


# ---- approximate search -------------------------------------------------------------------


@pytest.fixture(scope="module")
def mixture():
    """3,000 points of a 30-component Gaussian mixture on the unit sphere in 16-D."""
    rng = np.random.default_rng(3)
    centers = rng.normal(size=(30, 16))
    data = centers[rng.integers(0, 30, 3000)] + 0.4 * rng.normal(size=(3000, 16))
    return (data / np.linalg.norm(data, axis=1, keepdims=True)).astype(np.float32)


def _recall(got, truth):
    return np.mean([len(set(a) & set(b)) / truth.shape[1] for a, b in zip(got, truth)])


@pytest.fixture(params=["faiss", "pynndescent"])
def library(request, monkeypatch):
    """Each approximate-search library in turn (the preferred one first, then the fallback)."""
    from smallbert_viz.analysis import _approximate

    pytest.importorskip(request.param)
    monkeypatch.setattr(_approximate, "LIBRARIES", (request.param,))
    return request.param


@pytest.mark.slow  # the first approximate search in a session compiles pynndescent
@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_approximate_finds_most_neighbours_and_reports_its_recall(mixture, metric, library):
    result = nearest_neighbors(mixture, k=10, metric=metric, method="approximate")
    truth = NearestNeighbors(n_neighbors=10, metric=metric, algorithm="brute").fit(mixture)
    dist, idx = truth.kneighbors()
    assert result.method == "approximate" and result.library.startswith(library + " ")
    assert result.indices.shape == (3000, 10) and result.indices.dtype == np.int64
    assert not (result.indices == np.arange(3000)[:, None]).any()  # self excluded
    assert (np.diff(result.scores, axis=1) <= 0).all()
    # The stored recall is measured on a sample of 1,000 rows; compare with all 3,000.
    assert result.recall_queries == 1000
    overall = _recall(result.indices, idx)
    assert overall > 0.9
    assert result.recall == pytest.approx(overall, abs=0.03)
    # Scores are exact for the pairs listed, whatever found them.
    a = mixture[np.arange(3000)[:, None]]
    b = mixture[result.indices]
    if metric == "cosine":
        expected = np.einsum("ijk,ijk->ij", a, b)
    else:
        expected = -np.linalg.norm(a - b, axis=2)
    np.testing.assert_allclose(result.scores, expected, atol=1e-5)
    text = result.describe()
    assert f"approximate ({library}" in text and "recall@10" in text and "1,000 queries" in text


def test_faiss_is_preferred_and_its_search_effort_is_stated(mixture):
    pytest.importorskip("faiss")
    from smallbert_viz.analysis import _approximate

    assert _approximate.LIBRARIES[0] == "faiss"
    result = nearest_neighbors(mixture, k=10, method="approximate")
    assert result.library.startswith("faiss ") and "IVF" in result.library
    assert "nprobe" in result.describe() and result.recall >= 0.9
    # The search effort stopped once the tuning sample reached its target recall, well before
    # probing every cell (which would be an exact search at extra cost).
    cells, probes = (int(v) for v in re.findall(r"IVF-SQ8 ([\d,]+) cells, nprobe (\d+)", result.library)[0])
    assert probes < cells


def test_missing_library_is_named_with_the_install_command(mixture, monkeypatch):
    from smallbert_viz.analysis import _approximate

    monkeypatch.setattr(_approximate, "LIBRARIES", ("smallbert_viz_no_such_ann_library",))
    with pytest.raises(ImportError, match="pip install faiss-cpu"):
        nearest_neighbors(mixture, k=5, method="approximate")
    # Exact search needs no extra library.
    assert nearest_neighbors(mixture[:200], k=5, method="auto").method == "exact"


@pytest.mark.slow  # the first approximate search in a session compiles pynndescent
def test_auto_switches_at_the_threshold(mixture):
    small = nearest_neighbors(mixture[:500], k=5, approximate_above=500)
    assert small.method == "exact" and small.recall == 1.0 and small.describe().endswith("exact")
    big = nearest_neighbors(mixture[:501], k=5, approximate_above=500)
    assert big.method == "approximate"
    # The dot product has no approximate index: "auto" stays exact, "approximate" refuses.
    assert nearest_neighbors(mixture[:501], k=5, metric="dot", approximate_above=10).method == (
        "exact"
    )
    with pytest.raises(ValueError, match="'metric'.*method='approximate'.*'dot'"):
        nearest_neighbors(mixture, metric="dot", method="approximate")
    with pytest.raises(ValueError, match="'method'.*'auto', 'exact', 'approximate'"):
        nearest_neighbors(mixture, method="annoy")
    with pytest.raises(ValueError, match="'approximate_above'"):
        nearest_neighbors(mixture, approximate_above=-1)
    # query_neighbors switches on the number of pairs: a few queries stay exact under "auto".
    corpus, queries = mixture[:2500], mixture[2500:]
    assert query_neighbors(queries[:3], corpus, k=8, approximate_above=100).method == "exact"
    assert query_neighbors(queries, corpus, k=8, approximate_above=100).method == "approximate"


@pytest.mark.slow  # the first approximate search in a session compiles pynndescent
def test_approximate_including_self_and_query_neighbors(mixture, library):
    result = nearest_neighbors(mixture, k=4, exclude_self=False, method="approximate")
    assert (result.indices[:, 0] == np.arange(3000)).mean() > 0.99
    corpus, queries = mixture[:2500], mixture[2500:]
    got = query_neighbors(queries, corpus, k=8, method="approximate")
    idx = NearestNeighbors(n_neighbors=8, metric="cosine").fit(corpus).kneighbors(queries)[1]
    assert got.method == "approximate" and got.recall_queries == 500
    assert _recall(got.indices, idx) > 0.9
    assert got.recall == pytest.approx(_recall(got.indices, idx))


def test_sampled_preservation_matches_the_full_measure(x):
    from smallbert_viz.analysis.neighbors import sampled_preservation

    coords = x[:, :2] + 0.1 * x[:, 2:4]
    full = neighbor_preservation(x, coords, k=10)
    kept, queries = sampled_preservation(x, coords, k=10, sample_size=1000)
    assert queries == 203 and kept == pytest.approx(full)
    kept, queries = sampled_preservation(x, coords, k=10, sample_size=50)
    assert queries == 50 and abs(kept - full) < 0.15
