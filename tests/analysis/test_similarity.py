import dataclasses

import numpy as np
import pytest
from scipy.cluster import hierarchy
from scipy.spatial.distance import pdist
from sklearn.metrics.pairwise import cosine_similarity, euclidean_distances

from smallbert_viz.analysis import SimilarityMatrix, cluster_order, similarity_matrix


@pytest.fixture
def x():
    return np.random.default_rng(1).normal(size=(40, 16)).astype(np.float32)


def clustered(rng, n_per=15, centers=3, dim=12, spread=0.05):
    c = rng.normal(size=(centers, dim)) * 3
    labels = np.repeat(np.arange(centers), n_per)
    pts = c[labels] + rng.normal(size=(labels.size, dim)) * spread
    perm = rng.permutation(labels.size)
    return pts[perm].astype(np.float32), labels[perm]


@pytest.mark.parametrize(
    ("metric", "reference"),
    [
        ("cosine", lambda a: cosine_similarity(a.astype(np.float64))),
        ("dot", lambda a: a.astype(np.float64) @ a.astype(np.float64).T),
        ("euclidean", lambda a: -euclidean_distances(a.astype(np.float64))),
    ],
)
def test_matrix_matches_reference(x, metric, reference):
    result = similarity_matrix(x, metric=metric)
    assert result.metric == metric
    assert result.matrix.dtype == np.float32
    assert result.matrix.shape == (40, 40)
    np.testing.assert_allclose(result.matrix, reference(x), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(result.matrix, result.matrix.T)


def test_result_is_frozen(x):
    result = similarity_matrix(x)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.metric = "dot"


def test_cluster_order_is_a_permutation_that_groups_clusters():
    pts, labels = clustered(np.random.default_rng(2))
    order = cluster_order(similarity_matrix(pts))
    assert order.dtype == np.int64
    np.testing.assert_array_equal(np.sort(order), np.arange(len(pts)))
    # Each cluster is one contiguous run in the new order: exactly 2 label changes.
    assert np.count_nonzero(np.diff(labels[order])) == 2


def test_cluster_order_euclidean_matches_scipy(x):
    order = cluster_order(similarity_matrix(x, metric="euclidean"), optimal=True)
    tree = hierarchy.linkage(pdist(x.astype(np.float64)), "average", optimal_ordering=True)
    np.testing.assert_array_equal(order, hierarchy.leaves_list(tree))


def test_cluster_order_cosine_tree_matches_scipy_cosine_distance(x):
    # Chord distance is monotone in cosine distance, so complete linkage gives the same tree.
    order = cluster_order(similarity_matrix(x), linkage="complete", optimal=False)
    tree = hierarchy.linkage(pdist(x.astype(np.float64), "cosine"), "complete")
    np.testing.assert_array_equal(order, hierarchy.leaves_list(tree))


def test_cluster_order_large_n_falls_back_to_dendrogram_order(monkeypatch):
    import smallbert_viz.analysis.similarity as sim

    pts, _ = clustered(np.random.default_rng(3), n_per=10)
    monkeypatch.setattr(sim, "OPTIMAL_ORDERING_MAX_N", 5)
    s = similarity_matrix(pts, metric="euclidean")
    plain = hierarchy.leaves_list(hierarchy.linkage(pdist(pts.astype(np.float64)), "average"))
    np.testing.assert_array_equal(cluster_order(s), plain)


def test_reordered_permutes_rows_and_columns(x):
    s = similarity_matrix(x)
    order = cluster_order(s)
    r = s.reordered(order)
    assert r.matrix[3, 7] == s.matrix[order[3], order[7]]


def test_tiny_inputs():
    s = similarity_matrix(np.ones((1, 3)))
    assert s.matrix.shape == (1, 1)
    np.testing.assert_array_equal(cluster_order(s), [0])


@pytest.mark.parametrize(
    ("data", "kwargs", "exc", "match"),
    [
        (np.ones((3, 4)), {"metric": "manhattan"}, ValueError, "'metric'.*'cosine'"),
        (np.ones(4), {}, ValueError, r"reshape\(1, -1\)"),
        (np.ones((0, 4)), {}, ValueError, "at least 1 row"),
        (np.array([[1.0, np.nan], [1.0, 2.0]]), {}, ValueError, r"NaN.*rows 0"),
        (np.array([[0.0, 0.0], [1.0, 2.0]]), {}, ValueError, "all-zero rows"),
        (np.array([["a", "b"]]), {}, TypeError, "dtype"),
    ],
)
def test_bad_input(data, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        similarity_matrix(data, **kwargs)


def test_cluster_order_bad_input(x):
    with pytest.raises(TypeError, match="SimilarityMatrix"):
        cluster_order(np.eye(3))
    with pytest.raises(ValueError, match="'linkage'"):
        cluster_order(similarity_matrix(x), linkage="centroid")


def test_zero_rows_allowed_for_dot():
    s = similarity_matrix(np.array([[0.0, 0.0], [1.0, 2.0]]), metric="dot")
    assert isinstance(s, SimilarityMatrix)
    assert s.matrix[1, 1] == pytest.approx(5.0)
