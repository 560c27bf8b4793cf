"""explain_pair: the matrix plus the offset adds up to the score model.embed gives.

References: model.embed and numpy for the score; the encoder's own sequence_output for the
mean-pooling matrix; central finite differences of the sentence vector for the forward-mode
Jacobian-vector products that integrated Jacobians sum.
"""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from smallbert_viz.explain import explain_pair  # noqa: E402

PAIRS = [
    ("A man is playing a guitar on the street.", "Someone plays the guitar outdoors."),
    ("How old is the universe?", "About 13.8 billion years, astronomers estimate."),
]


def embed_score(model, a, b, pooling, metric):
    u, v = model.embed([a, b], pooling=pooling).astype(np.float64)
    dot = float(u @ v)
    return dot / float(np.linalg.norm(u) * np.linalg.norm(v)) if metric == "cosine" else dot


def check_complete(e, model, a, b):
    assert e.score == pytest.approx(embed_score(model, a, b, e.pooling, e.metric), rel=1e-9)
    assert e.matrix.dtype == np.float32
    assert e.matrix.shape == (len(e.tokens_a), len(e.tokens_b))
    assert e.tokens_a[0] == e.tokens_b[0] == "[CLS]" and e.tokens_a[-1] == "[SEP]"
    assert list(e.tokens_a[1:-1]) == model.tokenize(a)
    total = float(e.matrix.sum(dtype=np.float64)) + e.offset
    assert e.completeness_error == pytest.approx(abs(total - e.score), abs=1e-9)
    assert e.completeness_error <= max(0.01 * abs(e.score), 0.005)
    assert e.converged


@pytest.mark.parametrize("metric", ["cosine", "dot"])
def test_mean_is_the_exact_decomposition_over_all_tokens(standin_model, metric):
    a, b = PAIRS[0]
    e = explain_pair(a, b, model=standin_model, pooling="mean", metric=metric)
    check_complete(e, standin_model, a, b)
    assert e.offset == 0.0 and e.steps is None and e.method == "exact mean-pooling decomposition"
    # Independent: the encoder's own last layer over [CLS] ... [SEP], averaged by the mask.
    seqs = []
    for text in (a, b):
        packed = standin_model.preprocessor([text])
        n = int(packed["input_mask"].numpy().sum())
        seqs.append(standin_model.encoder(packed)["sequence_output"].numpy()[0, :n])
    sa, sb = (s.astype(np.float64) for s in seqs)
    expected = sa @ sb.T / (len(sa) * len(sb))
    if metric == "cosine":
        expected /= np.linalg.norm(sa.mean(0)) * np.linalg.norm(sb.mean(0))
    np.testing.assert_allclose(e.matrix, expected, rtol=1e-3, atol=1e-4 * np.abs(expected).max())


@pytest.mark.parametrize("pooling", ["cls", "pooled"])
@pytest.mark.parametrize("metric", ["cosine", "dot"])
def test_integrated_jacobians_add_up_on_the_standin(standin_model, pooling, metric):
    a, b = PAIRS[1]
    e = explain_pair(a, b, model=standin_model, pooling=pooling, metric=metric)
    check_complete(e, standin_model, a, b)
    assert e.steps is not None and e.method == f"integrated Jacobians, {e.steps} Gauss-Legendre steps"
    assert e.offset != 0.0 and np.abs(e.matrix).max() > 0
    text = e.provenance.describe()
    assert "integrated Jacobians" in text and "completeness error" in text and pooling in text


def test_fixed_steps_are_used_and_more_steps_do_not_change_the_matrix(standin_model):
    a, b = PAIRS[0]
    coarse = explain_pair(a, b, model=standin_model, pooling="cls", steps=8)
    fine = explain_pair(a, b, model=standin_model, pooling="cls", steps=48)
    assert coarse.steps == 8 and fine.steps == 48
    np.testing.assert_allclose(coarse.matrix, fine.matrix, atol=1e-3 * np.abs(fine.matrix).max())
    assert coarse.offset == pytest.approx(fine.offset, abs=1e-6)


@pytest.mark.parametrize("pooling", ["cls", "pooled"])
def test_jvps_match_finite_differences(standin_factory, pooling):
    """Each row of a one-node 'integral' is J_i(z) (x_i - r_i): compare with (f(z+h) - f(z-h))/2."""
    from smallbert_viz import load_model
    from smallbert_viz.attention.forward import forward_for
    from smallbert_viz.explain._jacobians import PathIntegrator

    encoder, pre = standin_factory(2, 128, 2, seed=3)
    model = load_model(encoder, preprocessor=pre)
    integrator = PathIntegrator(forward_for(model), pooling, normalize=True)
    ids = np.array([101, 2023, 2003, 1037, 3231, 102], np.int32)
    types = np.zeros_like(ids)
    table = integrator.forward.word_embeddings.numpy().astype(np.float64)
    x, r = table[ids], np.broadcast_to(table[0], (len(ids), table.shape[1]))
    alpha = 0.4
    jvp = integrator.attributions(x, r, types, np.array([alpha]), np.array([1.0]))
    z, delta, h = r + alpha * (x - r), x - r, 1e-2
    for i in range(len(ids)):
        step = np.zeros_like(z)
        step[i] = h * delta[i]
        plus, minus = integrator.value(np.stack([z + step, z - step]), types).astype(np.float64)
        fd = (plus - minus) / (2 * h)
        np.testing.assert_allclose(jvp[i], fd, atol=2e-3 * np.abs(fd).max() + 1e-5)
    assert np.abs(jvp).max() > 1e-3


@pytest.mark.slow
@pytest.mark.parametrize("pooling", ["cls", "pooled"])
def test_integrated_jacobians_add_up_on_minilm(minilm_model, pooling):
    a, b = PAIRS[0]
    e = explain_pair(a, b, model=minilm_model, pooling=pooling)
    check_complete(e, minilm_model, a, b)


def test_mean_on_minilm_adds_up(minilm_model):
    a, b = PAIRS[1]
    e = explain_pair(a, b, model=minilm_model)  # its default pooling is mean
    assert e.pooling == "mean"
    check_complete(e, minilm_model, a, b)


def test_bad_input_is_rejected_in_the_house_form(standin_model):
    with pytest.raises(ValueError, match=r"The 'pooling' parameter of explain_pair must be one of"):
        explain_pair("a", "b", model=standin_model, pooling="max")
    with pytest.raises(ValueError, match=r"The 'metric' parameter of explain_pair .* 'euclid'"):
        explain_pair("a", "b", model=standin_model, metric="euclid")
    with pytest.raises(ValueError, match=r"'steps' parameter of explain_pair .*\[1, 1024\]. Got 0"):
        explain_pair("a", "b", model=standin_model, pooling="cls", steps=0)
    with pytest.raises(TypeError, match=r"'text_b' parameter of explain_pair must be a str"):
        explain_pair("a", ["b"], model=standin_model)


def test_long_texts_are_cut_with_a_warning(standin_model):
    long = " ".join(["word"] * 40)
    with pytest.warns(UserWarning, match="text_a had more than max_length=16"):
        e = explain_pair(long, "short text", model=standin_model, pooling="cls", max_length=16)
    assert len(e.tokens_a) == 16 and e.tokens_a[-1] == "[SEP]"
    u, v = standin_model.embed([long, "short text"], pooling="cls", max_length=16)
    assert e.score == pytest.approx(float(u @ v / np.linalg.norm(u) / np.linalg.norm(v)), abs=1e-6)

