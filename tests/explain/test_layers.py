"""layer_embeddings (TensorFlow) and layer_analysis on real stand-ins and all-MiniLM-L6-v2."""

import numpy as np
import pytest
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from smallbert_viz.corpus import sample_corpus
from smallbert_viz.explain import LayerAnalysis, layer_analysis
from smallbert_viz.provenance import Provenance

TEXTS = [
    "The cat sat on the mat.",
    "A dog barked at the mailman all afternoon long, again and again.",
    "Stocks fell sharply.",
    "Rain is expected tomorrow in the north.",
    "He plays the violin.",
    "x",
    "The striker scored twice in the second half to win the match for his team.",
]


def canonical_layers(model, texts, pooling):
    """Per-layer vectors straight from encoder(preprocessor(texts)), padded to 128 (TF Hub's way)."""
    import tensorflow as tf

    inputs = model.preprocessor(tf.constant(texts))
    layers = np.stack([t.numpy() for t in model.encoder(inputs)["encoder_outputs"]])
    if pooling == "cls":
        return layers[:, :, 0, :]
    mask = inputs["input_mask"].numpy().astype(np.float64)[None, :, :, None]
    return (layers * mask).sum(axis=2) / mask.sum(axis=2)


@pytest.fixture(scope="module")
def labelled():
    """15 sentences per topic from the sample corpus, 8 topics."""
    corpus = sample_corpus()
    texts, labels, seen = [], [], {}
    for text, label in zip(corpus.texts, corpus.labels, strict=True):
        if seen.get(label, 0) < 15:
            seen[label] = seen.get(label, 0) + 1
            texts.append(text)
            labels.append(label)
    return texts, labels


# ---- layer_embeddings --------------------------------------------------------------------------


@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_layer_embeddings_match_the_encoders_own_outputs(standin_model, pooling):
    layers = standin_model.layer_embeddings(TEXTS, pooling)
    assert layers.shape == (8, len(TEXTS), 128) and layers.dtype == np.float32
    np.testing.assert_allclose(layers, canonical_layers(standin_model, TEXTS, pooling), atol=2e-5)
    # The last layer is exactly what embed gives.
    np.testing.assert_allclose(layers[-1], standin_model.embed(TEXTS, pooling=pooling), atol=1e-5)
    # Layers differ from each other (the stack is not one layer repeated).
    assert np.abs(layers[0] - layers[-1]).max() > 0.1


def test_layer_embeddings_on_minilm_last_layer_is_embed(minilm_model):
    layers = minilm_model.layer_embeddings(TEXTS)  # default pooling: mean
    assert layers.shape == (6, len(TEXTS), 384)
    np.testing.assert_allclose(layers[-1], minilm_model.embed(TEXTS, progress=False), atol=1e-5)
    np.testing.assert_allclose(layers, canonical_layers(minilm_model, TEXTS, "mean"), atol=1e-4)


def test_layer_embeddings_order_batches_and_single_text(standin_model):
    ref = standin_model.layer_embeddings(TEXTS, "mean")
    order = np.random.default_rng(0).permutation(len(TEXTS))
    shuffled = standin_model.layer_embeddings([TEXTS[i] for i in order], "mean", batch_size=2)
    np.testing.assert_allclose(shuffled, ref[:, order], atol=1e-5)
    one = standin_model.layer_embeddings(TEXTS[1], "mean")
    assert one.shape == (8, 128)
    np.testing.assert_allclose(one, ref[:, 1], atol=1e-5)
    assert standin_model.layer_embeddings([], "cls").shape == (8, 0, 128)


def test_layer_embeddings_truncation_warns_and_equals_embed(standin_model):
    long = " ".join(["word"] * 40)
    with pytest.warns(UserWarning, match="1 of 2 texts were longer than max_length=16"):
        layers = standin_model.layer_embeddings([long, "short"], "cls", max_length=16)
    with pytest.warns(UserWarning):
        expected = standin_model.embed([long, "short"], pooling="cls", max_length=16)
    np.testing.assert_allclose(layers[-1], expected, atol=1e-5)


def test_layer_embeddings_bad_input(standin_model):
    with pytest.raises(ValueError, match="'pooled' instead: 'pooled' is the pooler's tanh layer"):
        standin_model.layer_embeddings(TEXTS, "pooled")
    with pytest.raises(ValueError, match="must be one of 'cls', 'mean'. Got 'max' instead"):
        standin_model.layer_embeddings(TEXTS, "max")
    with pytest.raises(TypeError, match=r"texts\[1\] is NoneType None, not str"):
        standin_model.layer_embeddings(["ok", None])
    with pytest.raises(ValueError, match=r"'batch_size' parameter of layer_embeddings .* Got 0"):
        standin_model.layer_embeddings(TEXTS, batch_size=0)


# ---- layer_analysis ----------------------------------------------------------------------------


def test_layer_analysis_against_sklearn_and_hsic(standin_model, labelled):
    texts, labels = labelled
    result = layer_analysis(texts, labels, model=standin_model, pooling="mean", k=3, folds=4)
    assert isinstance(result, LayerAnalysis)
    layers = standin_model.layer_embeddings(texts, "mean")
    cv = StratifiedKFold(n_splits=4, shuffle=True, random_state=0)
    clf = KNeighborsClassifier(n_neighbors=3, metric="cosine", algorithm="brute")
    expected = np.array(
        [cross_val_score(clf, layer.astype(np.float64), labels, cv=cv) for layer in layers]
    )
    np.testing.assert_allclose(result.fold_accuracy, expected)
    np.testing.assert_allclose(result.knn_accuracy, expected.mean(axis=1))
    # CKA straight from the HSIC definition with an explicit centring matrix.
    n = len(texts)
    h = np.eye(n) - 1.0 / n
    grams = [h @ (x.astype(np.float64) @ x.T.astype(np.float64)) @ h for x in layers]
    for i, j in [(0, 7), (2, 3), (5, 5)]:
        hsic = np.sum(grams[i] * grams[j])
        ref = hsic / np.sqrt(np.sum(grams[i] ** 2) * np.sum(grams[j] ** 2))
        assert result.cka[i, j] == pytest.approx(ref, rel=1e-6)
    assert result.cka.shape == (8, 8)
    np.testing.assert_allclose(np.diag(result.cka), 1.0)
    assert result.chance == pytest.approx(15 / 120)
    assert result.layer_names == tuple(f"layer {i}" for i in range(1, 9))
    assert (result.n_texts, result.n_labels, result.k, result.folds) == (120, 8, 3, 4)
    assert isinstance(result.provenance, Provenance)
    assert result.provenance.pooling == "mean"
    line = result.describe()
    assert "k=3, cosine, 4-fold stratified CV (seed 0)" in line and "RANDOM-WEIGHT" in line
    assert not result.knn_accuracy.flags.writeable


def test_layer_analysis_finds_topics_in_minilm(minilm_model, labelled):
    texts, labels = labelled
    result = layer_analysis(texts, labels, model=minilm_model)
    # A trained sentence encoder separates eight topics far above chance at its output, and
    # better there than at its first layer.
    assert result.knn_accuracy[-1] > 0.85 > 6 * result.chance
    assert result.knn_accuracy[-1] > result.knn_accuracy[0]
    assert result.provenance.pooling == "mean"
    # Neighbouring layers are more alike than the first and the last.
    assert result.cka[4, 5] > result.cka[0, 5]


def test_layer_analysis_seed_changes_folds_not_cka(standin_model, labelled):
    texts, labels = labelled
    a = layer_analysis(texts[:48], labels[:48], model=standin_model, pooling="cls", seed=0)
    b = layer_analysis(texts[:48], labels[:48], model=standin_model, pooling="cls", seed=1)
    np.testing.assert_array_equal(a.cka, b.cka)
    assert not np.array_equal(a.fold_accuracy, b.fold_accuracy)


def test_layer_analysis_bad_input(standin_model, labelled):
    texts, labels = labelled
    with pytest.raises(TypeError, match="'model' parameter of layer_analysis must be a BertModel"):
        layer_analysis(texts, labels, model="L-8_H-128_A-2")
    with pytest.raises(ValueError, match="'pooling' parameter of layer_analysis .* 'pooled'"):
        layer_analysis(texts, labels, model=standin_model, pooling="pooled")
    with pytest.raises(ValueError, match=r"one entry per sentence \(120\). Got 119"):
        layer_analysis(texts, labels[:-1], model=standin_model)
    with pytest.raises(ValueError, match="at least 2 different groups"):
        layer_analysis(texts, ["one"] * len(texts), model=standin_model)
    with pytest.raises(ValueError, match=r"'k' parameter of layer_analysis .* \[1, 96\]. Got 97"):
        layer_analysis(texts, labels, model=standin_model, k=97)
    with pytest.raises(ValueError, match="at least 4 sentences"):
        layer_analysis(texts[:3], labels[:3], model=standin_model)
    with pytest.raises(TypeError, match="single str"):
        layer_analysis("one sentence", ["a"], model=standin_model)
