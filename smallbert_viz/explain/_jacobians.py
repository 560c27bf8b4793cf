"""Integrated Jacobians of one text's sentence vector, in forward mode.

For a text with input word embeddings x (``[T, H]``, the rows of the wordpiece table) and a
reference r (the ``[PAD]`` row at every position), the sentence vector f (the ``[CLS]`` vector
or ``pooled_output``, L2-normalised for cosine) satisfies along the straight path

    f(x) - f(r) = sum_i A_i,   A_i = (int_0^1 J_i(r + a (x - r)) da) (x_i - r_i)

with J_i the ``[D, H]`` Jacobian of f with respect to token i's embedding (positions, segment
types and the attention mask stay fixed). ``J_i(z) (x_i - r_i)`` is one Jacobian-vector product:
the tangent ``x_i - r_i`` at position i and zero elsewhere. Forward mode gives the whole
``D``-vector per product, so a text costs steps x tokens products, where reverse mode would need
D (the hidden size) backward passes per step. The products are written out by hand
(``AttentionForward.encode_tangents``): each path point is computed once and the tangents of all
its tokens ride along, so a batch of (nodes x tokens) products costs about one forward pass of
that many sentences, not two or three (``tf.autodiff.ForwardAccumulator`` recomputes the point
per tangent and transposes each op's gradient).

The integral is a Gauss-Legendre rule on [0, 1]; the integrand is smooth (LayerNorm, softmax,
GELU, tanh), so few nodes reach float32 accuracy. The completeness residual
``f(x) - f(r) - sum_i A_i`` measures the quadrature error directly, and by linearity it depends
only on the *total* derivative ``J(z) (x - r)`` along the path: ``sum_i A_i`` is the same rule
applied to it. One tangent (all of ``x - r``) per node gives that derivative, so a rule's
completeness error costs ``steps`` products instead of ``steps x tokens``: ``path_derivatives``
lets the caller pick the number of steps before paying for the per-token products once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..attention.forward import AttentionForward

#: Most tangent tokens (nodes x token rows x tokens) per forward-mode batch: it bounds the
#: memory of the tangent activations for long texts (benchmarks/bench_explain.py).
BATCH_TOKENS = 2048


def gauss_legendre(steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of the ``steps``-point Gauss-Legendre rule on [0, 1]."""
    nodes, weights = np.polynomial.legendre.leggauss(steps)
    return (nodes + 1.0) / 2.0, weights / 2.0


class PathIntegrator:
    """The sentence vector of one pooling as a function of word embeddings, and its
    integrated Jacobians, compiled once per (pass, pooling, normalisation).

    Parameters
    ----------
    forward : AttentionForward
        The self-checked pass of the model (``smallbert_viz.attention.forward.forward_for``).
    pooling : {"cls", "pooled"}
    normalize : bool
        L2-normalise the sentence vector (for cosine similarity).
    """

    def __init__(self, forward: AttentionForward, pooling: str, normalize: bool) -> None:
        import tensorflow as tf

        self.forward = forward
        self.pooling = pooling
        self.normalize = normalize
        hidden = forward.config.hidden_size
        matrix = tf.TensorSpec([None, hidden], tf.float32)
        ints = tf.TensorSpec([None], tf.int32)
        floats = tf.TensorSpec([None], tf.float32)
        self._value = tf.function(
            self._value_graph,
            input_signature=[tf.TensorSpec([None, None, hidden], tf.float32), ints],
        )
        # One graph for both uses (per-token and total tangents): one trace per integrator.
        self._jvp = tf.function(
            self._jvp_graph,
            autograph=False,
            input_signature=[matrix, matrix, ints, floats, tf.TensorSpec([None, None], tf.float32)],
        )

    def _sentence(self, word_vectors, types):
        import tensorflow as tf

        batch, tokens = tf.shape(word_vectors)[0], tf.shape(word_vectors)[1]
        mask = tf.ones([batch, tokens], tf.int32)
        types = tf.broadcast_to(types[tf.newaxis], [batch, tokens])
        sequence, pooled = self.forward.encode_embeddings(word_vectors, mask, types)
        vector = sequence[:, 0, :] if self.pooling == "cls" else pooled
        if self.normalize:
            vector = vector / tf.norm(vector, axis=-1, keepdims=True)
        return vector

    def _value_graph(self, word_vectors, types):
        return self._sentence(word_vectors, types)

    def _products(self, points, tangents, types):
        """``[K, T, H]`` points, ``[K, R, T, H]`` tangents -> ``[K, R, D]`` products of f."""
        import tensorflow as tf

        vector, jvp = self.forward.encode_tangents(points, tangents, types, pooling=self.pooling)
        if self.normalize:
            # d(v / |v|) = (dv - u (u . dv)) / |v|, u = v / |v|.
            length = tf.norm(vector, axis=-1, keepdims=True)[:, tf.newaxis]
            unit = vector[:, tf.newaxis] / length
            jvp = (jvp - unit * tf.reduce_sum(unit * jvp, -1, keepdims=True)) / length
        return jvp

    def _jvp_graph(self, x, r, types, alphas, selector):
        """Nodes alpha_k, a ``[R, T]`` selector -> ``[K, R, D]`` products ``J(z_k) t_r``.

        Tangent r is ``selector[r, i] (x_i - r_i)`` at every position i: a one-hot row gives
        token i's product, a row of ones the path derivative ``J(z_k) (x - r)``.
        """
        import tensorflow as tf

        delta = x - r
        points = r[tf.newaxis] + alphas[:, tf.newaxis, tf.newaxis] * delta[tf.newaxis]
        tangents = selector[:, :, tf.newaxis] * delta[tf.newaxis]  # [R, T, H]
        shape = tf.concat([tf.shape(alphas), tf.shape(tangents)], 0)
        return self._products(points, tf.broadcast_to(tangents[tf.newaxis], shape), types)

    def path_derivatives(
        self, x: np.ndarray, r: np.ndarray, types: np.ndarray, nodes: np.ndarray
    ) -> np.ndarray:
        """``d f(r + a (x - r)) / da`` at every node ``a``, ``[K, D]`` float64 (one product each).

        ``weights @ path_derivatives(...)`` equals ``attributions(...).sum(0)`` for the same
        rule, so it gives a rule's completeness residual at a ``1 / tokens`` of the cost.
        """
        tokens = max(1, x.shape[0])
        per_batch = max(1, BATCH_TOKENS // tokens)
        x32, r32 = np.asarray(x, np.float32), np.asarray(r, np.float32)
        ones = np.ones((1, tokens), np.float32)
        parts = [
            self._jvp(x32, r32, types, np.asarray(nodes[s : s + per_batch], np.float32), ones)
            .numpy()[:, 0]
            .astype(np.float64)
            for s in range(0, len(nodes), per_batch)
        ]
        return np.concatenate(parts)

    def value(self, word_vectors: np.ndarray, types: np.ndarray) -> np.ndarray:
        """Sentence vectors ``[B, D]`` of ``[B, T, H]`` word embeddings (one ``types`` row)."""
        return self._value(np.asarray(word_vectors, np.float32), types).numpy()

    def attributions(
        self,
        x: np.ndarray,
        r: np.ndarray,
        types: np.ndarray,
        nodes: np.ndarray,
        weights: np.ndarray,
    ) -> np.ndarray:
        """``A`` of shape ``[T, D]`` (float64): the quadrature of every token's path integral.

        With one node ``a`` and weight 1 it is the plain Jacobian-vector products at
        ``r + a (x - r)`` (used by the tests against finite differences).
        """
        tokens = x.shape[0]
        # A batch is (nodes x token rows); its cost grows with nodes x rows x tokens.
        rows_per_batch = max(1, min(tokens, BATCH_TOKENS // tokens))
        nodes_per_batch = max(1, BATCH_TOKENS // (rows_per_batch * tokens))
        total = np.zeros((tokens, self._width()), np.float64)
        x32, r32 = np.asarray(x, np.float32), np.asarray(r, np.float32)
        n32, weights = np.asarray(nodes, np.float32), np.asarray(weights, np.float64)
        eye = np.eye(tokens, dtype=np.float32)
        for first in range(0, tokens, rows_per_batch):
            rows = slice(first, min(tokens, first + rows_per_batch))
            for k in range(0, len(nodes), nodes_per_batch):
                ks = slice(k, k + nodes_per_batch)
                part = self._jvp(x32, r32, types, n32[ks], eye[rows]).numpy()
                total[rows] += np.einsum("k,krd->rd", weights[ks], part)
        return total

    def _width(self) -> int:
        return self.forward.config.hidden_size
