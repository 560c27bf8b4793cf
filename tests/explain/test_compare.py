"""compare: two real models on the same sentences, against independent computations."""

import numpy as np
import pytest
from scipy.spatial import procrustes as scipy_procrustes
from sklearn.neighbors import NearestNeighbors

from smallbert_viz.analysis import project
from smallbert_viz.explain.comparison import ModelComparison, compare

TEXTS = [
    "Preheat the oven to 200 degrees before you put the bread in.",
    "The striker scored twice in the second half to win the match.",
    "The rocket lifted off from the launch pad just after dawn.",
    "The central bank raised interest rates by a quarter point.",
    "Stir the sauce slowly so that it does not burn.",
    "The goalkeeper saved a penalty in the last minute.",
    "Astronauts repaired the solar panel during a spacewalk.",
    "Markets fell after the inflation report came out.",
    "Knead the dough for ten minutes until it is smooth.",
    "The referee showed him a red card for the tackle.",
    "The telescope photographed a distant galaxy.",
    "Bond yields rose for the third week in a row.",
]


@pytest.fixture(scope="module")
def small_and_larger(standin_factory):
    from smallbert_viz import load_model

    enc_a, pre_a = standin_factory(2, 128, 2)
    enc_b, pre_b = standin_factory(4, 256, 4)
    return load_model(enc_a, preprocessor=pre_a), load_model(enc_b, preprocessor=pre_b)


def hsic_cka(x, y):
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    h = np.eye(len(x)) - 1.0 / len(x)
    k, l_ = h @ x @ x.T @ h, h @ y @ y.T @ h
    return np.sum(k * l_) / np.sqrt(np.sum(k * k) * np.sum(l_ * l_))


def knn_sets(x, k):
    idx = NearestNeighbors(n_neighbors=k, metric="cosine", algorithm="brute").fit(x).kneighbors()[1]
    return [set(row) for row in idx]


@pytest.mark.parametrize("n", [8, 12])  # PCA below 10 sentences, UMAP from 10
def test_two_sizes_against_independent_computations(small_and_larger, n):
    a, b = small_and_larger
    texts = TEXTS[:n]
    result = compare(texts, models=[a, b], k=3, labels=[str(i % 4) for i in range(n)])
    assert isinstance(result, ModelComparison)
    emb_a, emb_b = a.embed(texts), b.embed(texts)
    expected = np.array(
        [len(sa & sb) / 3 for sa, sb in zip(knn_sets(emb_a, 3), knn_sets(emb_b, 3), strict=True)]
    )
    np.testing.assert_array_equal(result.neighbor_overlap, expected)
    assert result.neighbor_overlap.shape == (n,)
    assert result.cka == pytest.approx(hsic_cka(emb_a, emb_b), rel=1e-5)
    assert 0.0 < result.cka < 1.0
    # A's layout is the plain projection; B's is its own projection aligned onto A's.
    method = "pca" if n < 10 else "umap"
    params = {"seed": 42} if method == "umap" else {}
    proj_a = project(emb_a, method=method, **params).coords
    proj_b = project(emb_b, method=method, **params).coords
    np.testing.assert_allclose(result.coords_a, proj_a, atol=1e-6)
    assert result.coords_b.shape == (n, 2) and result.coords_b.dtype == np.float32
    _, _, disparity = scipy_procrustes(proj_a, proj_b)
    assert result.alignment_disparity == pytest.approx(disparity, rel=1e-5, abs=1e-9)
    _, _, after = scipy_procrustes(result.coords_a, result.coords_b)
    assert after == pytest.approx(disparity, rel=1e-4, abs=1e-7)  # alignment is a similarity map
    # ... that brings B's layout onto A's: no worse than B's layout left where it was.
    assert np.sum((result.coords_b - proj_a) ** 2) <= np.sum((proj_b - proj_a) ** 2) + 1e-6
    assert result.names == (a.info.name, b.info.name)
    assert result.labels == tuple(str(i % 4) for i in range(n))
    assert method.upper() in result.projection and "Procrustes" in result.projection
    assert result.provenance_a.model.hidden_size == 128
    assert result.provenance_b.model.hidden_size == 256
    assert "k=3, cosine" in result.describe()


def test_same_model_twice_agrees_completely(small_and_larger):
    a, _ = small_and_larger
    result = compare(TEXTS, models=[a, a], k=4)
    np.testing.assert_array_equal(result.neighbor_overlap, 1.0)
    assert result.cka == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(result.coords_b, result.coords_a, atol=1e-4)
    assert result.alignment_disparity == pytest.approx(0.0, abs=1e-9)
    assert result.mean_overlap == 1.0


def test_pooling_choices_and_a_small_bert_against_minilm(small_and_larger, minilm_model):
    a, b = small_and_larger
    result = compare(TEXTS[:6], models=[a, minilm_model])
    assert (result.provenance_a.pooling, result.provenance_b.pooling) == ("cls", "mean")
    assert result.k == 5  # k=10 capped at N - 1
    both = compare(TEXTS[:6], models=[a, b], pooling="mean", k=2)
    assert (both.provenance_a.pooling, both.provenance_b.pooling) == ("mean", "mean")
    pair = compare(TEXTS[:6], models=[a, b], pooling=("pooled", None), k=2)
    assert (pair.provenance_a.pooling, pair.provenance_b.pooling) == ("pooled", "cls")
    expected = np.array(
        [
            len(sa & sb) / 2
            for sa, sb in zip(
                knn_sets(a.embed(TEXTS[:6], pooling="pooled"), 2),
                knn_sets(b.embed(TEXTS[:6]), 2),
                strict=True,
            )
        ]
    )
    np.testing.assert_array_equal(pair.neighbor_overlap, expected)


def test_bad_input(small_and_larger):
    a, b = small_and_larger
    with pytest.raises(TypeError, match="'models' parameter of compare must be a pair"):
        compare(TEXTS, models=[a])
    with pytest.raises(TypeError, match=r"'models\[1\]' parameter of compare must be a BertModel"):
        compare(TEXTS, models=[a, "L-4_H-256_A-4"])
    with pytest.raises(ValueError, match="'pooling' parameter of compare must be one of"):
        compare(TEXTS, models=[a, b], pooling="max")
    with pytest.raises(TypeError, match="a pair of str, one per model"):
        compare(TEXTS, models=[a, b], pooling=("cls", "cls", "cls"))
    with pytest.raises(ValueError, match=r"at least 3 sentences .* Got 2 instead"):
        compare(TEXTS[:2], models=[a, b])
    with pytest.raises(ValueError, match=r"one entry per sentence \(12\). Got 1"):
        compare(TEXTS, models=[a, b], labels=["x"])
    with pytest.raises(ValueError, match=r"'k' parameter of compare .* Got 0"):
        compare(TEXTS, models=[a, b], k=0)
