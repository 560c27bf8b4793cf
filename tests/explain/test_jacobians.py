"""The hand-written forward-mode products (AttentionForward.encode_tangents) against TensorFlow's
own forward-mode autodiff (tf.autodiff.ForwardAccumulator over the plain pass), for both GELU
forms (the stand-ins use tanh, all-MiniLM-L6-v2 erf) and both poolings, at several path points
and in batches of every size the budget allows."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from smallbert_viz.explain import _jacobians  # noqa: E402
from smallbert_viz.explain.pair import _integrator, _pack  # noqa: E402

TEXT = "Someone plays the guitar outdoors, doesn't he?"


def reference(integrator, x, r, types, alphas):
    """[K, T, D]: J_i(z_k) (x_i - r_i) by ForwardAccumulator, one token tangent at a time."""
    points = tf.constant((r[None] + alphas[:, None, None] * (x - r)[None]).astype(np.float32))
    rows = []
    for i in range(x.shape[0]):
        tangent = np.zeros(points.shape, np.float32)
        tangent[:, i] = x[i] - r[i]
        with tf.autodiff.ForwardAccumulator(points, tf.constant(tangent)) as acc:
            vector = integrator._sentence(points, types)
        rows.append(acc.jvp(vector).numpy())
    return np.stack(rows, 1)


def side(model, integrator):
    table = integrator.forward.word_embeddings.numpy()
    ids, types, _ = _pack(model, TEXT, 128)
    x = table[ids]
    return x, np.broadcast_to(table[0], x.shape).copy(), types


@pytest.mark.parametrize("pooling", ["cls", "pooled"])
@pytest.mark.parametrize("normalize", [True, False])
def test_products_match_tensorflow_forward_mode_on_the_standin(standin_model, pooling, normalize):
    integrator = _integrator(standin_model, pooling, normalize=normalize)
    x, r, types = side(standin_model, integrator)
    alphas = np.array([0.0, 0.35, 1.0])
    expected = reference(integrator, x, r, types, alphas)
    for k, alpha in enumerate(alphas):
        got = integrator.attributions(x, r, types, np.array([alpha]), np.array([1.0]))
        np.testing.assert_allclose(got, expected[k], atol=2e-6 * np.abs(expected).max())
    totals = integrator.path_derivatives(x, r, types, alphas)
    np.testing.assert_allclose(totals, expected.sum(1), atol=2e-6 * np.abs(expected).max())
    assert np.abs(expected).max() > 1e-3


@pytest.mark.slow
@pytest.mark.parametrize("pooling", ["cls", "pooled"])
def test_products_match_tensorflow_forward_mode_on_minilm(minilm_model, pooling):
    integrator = _integrator(minilm_model, pooling, normalize=True)
    assert integrator.forward.gelu == "erf"
    x, r, types = side(minilm_model, integrator)
    alphas = np.array([0.2, 0.9])
    expected = reference(integrator, x, r, types, alphas)
    nodes, weights = alphas, np.array([0.25, 0.75])
    got = integrator.attributions(x, r, types, nodes, weights)
    want = np.einsum("k,ktd->td", weights, expected)
    np.testing.assert_allclose(got, want, atol=2e-6 * np.abs(want).max())


@pytest.mark.parametrize("budget", [1, 7, 40])
def test_small_batches_give_the_same_integral(standin_model, monkeypatch, budget):
    """Any budget splits nodes and token rows into batches; the sum must not change."""
    integrator = _integrator(standin_model, "cls", normalize=True)
    x, r, types = side(standin_model, integrator)
    nodes, weights = _jacobians.gauss_legendre(5)
    whole = integrator.attributions(x, r, types, nodes, weights)
    monkeypatch.setattr(_jacobians, "BATCH_TOKENS", budget)
    parts = integrator.attributions(x, r, types, nodes, weights)
    np.testing.assert_allclose(parts, whole, atol=1e-6 * np.abs(whole).max())
