"""A reference forward pass of a TF Hub BERT encoder that also returns attention probabilities.

TF Hub encoders expose every layer's hidden states but not the attention probabilities
(``../shared/docs/tfhub-format.md`` section 2). :class:`AttentionForward` recomputes the encoder
from its own variables (section 3) with the post-LayerNorm BERT math of section 4, vectorised over
heads (one einsum over ``[batch, tokens, heads, head_size]``, no loop over heads), and keeps the
softmax of every layer.

The encoder does not say which GELU it uses (TF Hub BERTs use the tanh approximation, models
converted from Hugging Face the exact erf form), so :func:`select_forward` runs a one-sentence
self-check against the encoder's own ``encoder_outputs`` and ``sequence_output``, tanh first, then
erf, and raises :class:`~smallbert_viz.errors.AttentionMismatchError` rather than return a pass
that would draw wrong maps. :func:`forward_for` caches the checked pass per model in this module
(a weak-keyed dictionary; nothing is stored on the model).

:meth:`AttentionForward.encode_embeddings` exposes the same pass as a differentiable function of
the input word embeddings (``smallbert_viz.explain`` integrates its Jacobians along a path).

Compilation: the graph is a ``tf.function`` traced for token lengths that are multiples of
``LENGTH_STEP`` (inputs are padded up and the outputs sliced back), so a session traces it a few
times, not once per sentence length. Padded keys are masked out of the softmax (probability
exactly 0), so the padding changes the real tokens' results only by float32 rounding.
TensorFlow is imported when a pass is built, never at ``import smallbert_viz``.
"""

from __future__ import annotations

import functools
import math
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .._validation import check_choice
from ..errors import AttentionMismatchError
from ..models.config import GELU_KINDS, BertConfig

if TYPE_CHECKING:
    from ..models.model import BertModel

#: Largest absolute gap to the encoder's own outputs that the self-check accepts.
TOLERANCE = 1e-4
#: Token lengths are padded up to a multiple of this before the compiled graph runs.
LENGTH_STEP = 16
#: The order in which the self-check tries the GELU forms (TF Hub BERTs use tanh).
GELU_ORDER = ("tanh", "erf")
#: The sentence of the self-check: varied words, punctuation and split wordpieces.
CHECK_SENTENCE = (
    "Antibiotics aren't painkillers, but the 42 doctors in Zürich still prescribed them "
    "quickly; nobody questioned it."
)
#: Additive score for padded keys (Model Garden's float32 value); exp() of it is exactly 0.
_MASK_ADDER = -1e9
#: model -> its self-checked pass; weak keys, so a pass is dropped with its model.
_FORWARDS: weakref.WeakKeyDictionary[Any, AttentionForward] = weakref.WeakKeyDictionary()
_FORWARDS_LOCK = threading.Lock()


@dataclass(frozen=True)
class ForwardOutput:
    """What one forward pass computed, batch first.

    Attributes
    ----------
    hidden_states : ndarray of shape (batch, num_layers + 1, tokens, hidden), float32
        Index 0 is the embedding output (after its LayerNorm), index ``l`` the output of layer
        ``l``; ``hidden_states[:, 1:]`` corresponds to the encoder's ``encoder_outputs``.
    probs : ndarray of shape (batch, num_layers, num_heads, tokens, tokens), float32
        Softmax attention probabilities; row = query token ("from"), column = key ("to").
        Columns of padded keys are exactly 0 and every row sums to 1.
    pooled_output : ndarray of shape (batch, hidden), float32
        ``tanh(W_p @ sequence_output[:, 0] + b_p)``, as the encoder's ``pooled_output``.
    """

    hidden_states: np.ndarray
    probs: np.ndarray
    pooled_output: np.ndarray

    @property
    def encoder_outputs(self) -> np.ndarray:
        """``(batch, num_layers, tokens, hidden)``: every layer's output."""
        return self.hidden_states[:, 1:]

    @property
    def sequence_output(self) -> np.ndarray:
        """``(batch, tokens, hidden)``: the last layer's output."""
        return self.hidden_states[:, -1]


def _round_up(n: int, step: int) -> int:
    return -(-n // step) * step


class AttentionForward:
    """The encoder's forward pass with attention probabilities, compiled with ``tf.function``.

    Parameters
    ----------
    weights : mapping of str to tf.Variable, tf.Tensor or ndarray
        Every variable of ``config.variable_shapes()`` by name (without ``:0``). Variables are
        used as they are (no copy), so a pass built from a loaded encoder shares its memory.
    config : BertConfig
        Sizes; its ``gelu`` field is ignored in favour of ``gelu``.
    gelu : {"tanh", "erf"}
        The GELU form of the feed-forward layers.
    """

    def __init__(self, weights: Mapping[str, Any], config: BertConfig, *, gelu: str) -> None:
        import tensorflow as tf

        self.gelu = check_choice("gelu", gelu, GELU_KINDS, "AttentionForward")
        self.config = config
        self._weights = {}
        for name, shape in config.variable_shapes().items():
            if name not in weights:
                raise ValueError(f"weights has no variable {name!r}; pass every encoder variable.")
            value = weights[name]
            if not isinstance(value, tf.Variable | tf.Tensor):
                value = tf.constant(np.asarray(value, np.float32))
            if tuple(value.shape) != shape:
                raise ValueError(
                    f"weight {name!r} has shape {tuple(value.shape)}; the config needs {shape}."
                )
            self._weights[name] = value
        #: Max gap to the encoder found by the self-check (set by select_forward).
        self.check_gap: float | None = None

        # TF counts traces per Python code object, so the passes of several models (or GELU
        # candidates) would add up to a spurious "excessive retracing" warning; a partial has
        # no code object and is counted on its own. Token lengths reach the graph only as
        # multiples of LENGTH_STEP, and reduce_retracing then generalises to a
        # shape-polymorphic trace, so a pass is traced a few times at most.
        graph = functools.partial(AttentionForward._graph, self)
        self._compiled = tf.function(graph, reduce_retracing=True)

    @classmethod
    def from_model(cls, model: BertModel, *, gelu: str) -> AttentionForward:
        """A pass over the loaded encoder's own variables (shared, not copied)."""
        names = set(model.config.variable_shapes())
        weights = {}
        for variable in model.encoder.variables:
            name = variable.name.split(":")[0]
            if name in names:
                weights[name] = variable
        return cls(weights, model.config, gelu=gelu)

    # -- the graph ---------------------------------------------------------------------------

    def _layer_norm(self, x, prefix: str):
        import tensorflow as tf

        w = self._weights
        mean, variance = tf.nn.moments(x, axes=[-1], keepdims=True)
        x = (x - mean) * tf.math.rsqrt(variance + self.config.layer_norm_eps)
        return x * w[prefix + "/gamma"] + w[prefix + "/beta"]

    @property
    def word_embeddings(self):
        """The ``[vocab, hidden]`` wordpiece embedding table (the encoder's own variable)."""
        return self._weights["word_embeddings/embeddings"]

    def _layers(self, word_vectors, mask, types, *, keep_all: bool):
        """Everything after the wordpiece lookup, as a differentiable TensorFlow function.

        ``word_vectors`` ``[B, T, H]`` float32 (rows of the wordpiece table, or any point on a
        path between them), ``mask`` and ``types`` ``[B, T]`` int32. With ``keep_all`` it
        returns (hidden ``[B, L+1, T, H]``, probs ``[B, L, A, T, T]``, pooled ``[B, H]``);
        without, only (last layer ``[B, T, H]``, pooled ``[B, H]``), which keeps no per-layer
        tensors alive (the explanation code runs it on large batches under forward-mode AD).
        """
        import tensorflow as tf

        w = self._weights
        seq = tf.shape(word_vectors)[1]
        x = (
            word_vectors
            + w["position_embedding/embeddings"][tf.newaxis, :seq]
            + tf.gather(w["type_embeddings/embeddings"], types)
        )
        x = self._layer_norm(x, "embeddings/layer_norm")
        # [B, 1, 1, T]: broadcast over heads and query rows; padded keys get exp(-1e9) = 0.
        adder = (1.0 - tf.cast(mask, tf.float32))[:, tf.newaxis, tf.newaxis, :] * _MASK_ADDER
        scale = 1.0 / math.sqrt(self.config.head_size)
        approximate = self.gelu == "tanh"
        hidden, probs_all = [x], []
        for n in range(self.config.num_layers):
            p = f"transformer/layer_{n}/"
            sa = p + "self_attention/"
            # q, k, v: [B, T, A, d]; all heads at once.
            q = tf.einsum("btf,fnh->btnh", x, w[sa + "query/kernel"]) + w[sa + "query/bias"]
            k = tf.einsum("btf,fnh->btnh", x, w[sa + "key/kernel"]) + w[sa + "key/bias"]
            v = tf.einsum("btf,fnh->btnh", x, w[sa + "value/kernel"]) + w[sa + "value/bias"]
            scores = tf.einsum("bfnh,btnh->bnft", q, k) * scale + adder  # [B, A, T, T]
            probs = tf.nn.softmax(scores, axis=-1)
            context = tf.einsum("bnft,btnh->bfnh", probs, v)
            attended = tf.einsum("bfnh,nhd->bfd", context, w[sa + "attention_output/kernel"])
            attended = attended + w[sa + "attention_output/bias"]
            a = self._layer_norm(x + attended, p + "self_attention_layer_norm")
            inter = tf.einsum("btf,fi->bti", a, w[p + "intermediate/kernel"])
            inter = tf.nn.gelu(inter + w[p + "intermediate/bias"], approximate=approximate)
            out = tf.einsum("bti,if->btf", inter, w[p + "output/kernel"]) + w[p + "output/bias"]
            x = self._layer_norm(a + out, p + "output_layer_norm")
            if keep_all:
                hidden.append(x)
                probs_all.append(probs)
        pooled = tf.tanh(
            tf.matmul(x[:, 0, :], w["pooler_transform/kernel"]) + w["pooler_transform/bias"]
        )
        if not keep_all:
            return x, pooled
        return tf.stack(hidden, axis=1), tf.stack(probs_all, axis=1), pooled

    def encode_embeddings(self, word_vectors, mask, types):
        """The encoder as a function of its input word embeddings (differentiable, uncompiled).

        Parameters
        ----------
        word_vectors : tf.Tensor of shape (batch, tokens, hidden), float32
            What the wordpiece lookup would give (``tf.gather(word_embeddings, ids)``), or any
            other point in that space; position and segment embeddings are added here.
        mask, types : tf.Tensor of shape (batch, tokens), int32
            The encoder's ``input_mask`` and ``input_type_ids``.

        Returns
        -------
        (sequence_output, pooled_output) : tf.Tensor of shapes (batch, tokens, hidden) and
        (batch, hidden). Call it inside your own ``tf.function`` (and under
        ``tf.GradientTape`` / ``tf.autodiff.ForwardAccumulator``) to differentiate it.
        """
        return self._layers(word_vectors, mask, types, keep_all=False)

    def encode_tangents(self, word_vectors, tangents, types, *, pooling: str):
        """The sentence vector and its forward-mode derivatives, with the primal pass shared.

        A hand-written Jacobian-vector product of the pass (linear maps, LayerNorm, softmax,
        GELU and tanh differentiated by hand): each of the ``B`` path points is computed once
        and its ``R`` tangents ride along, where a ``tf.autodiff.ForwardAccumulator`` over
        ``B x R`` copies would recompute the point for every tangent. For ``cls`` the last
        layer is evaluated for the ``[CLS]`` query only. Every position is real (no padding
        mask); ``smallbert_viz.explain`` checks it against ``ForwardAccumulator``.

        Parameters
        ----------
        word_vectors : tf.Tensor of shape (B, T, H), float32
            Points in the space of input word embeddings.
        tangents : tf.Tensor of shape (B, R, T, H), float32
            ``R`` directions per point.
        types : tf.Tensor of shape (T,), int32
            Segment types of the positions.
        pooling : {"cls", "pooled"}

        Returns
        -------
        (vector, jvp) : tf.Tensor of shapes (B, H) and (B, R, H)
            The ``[CLS]`` output (or ``pooled_output``) and its derivative along each tangent.
        """
        import tensorflow as tf

        w = self._weights
        eps = self.config.layer_norm_eps

        def norm(x, dx, prefix):
            # LayerNorm and its JVP: gamma * rs * (dx - mean(dx) - xhat * mean(xhat * dx)).
            mean, variance = tf.nn.moments(x, axes=[-1], keepdims=True)
            rs = tf.math.rsqrt(variance + eps)
            xhat = (x - mean) * rs
            xh = xhat[:, tf.newaxis]
            dxhat = (
                dx
                - tf.reduce_mean(dx, -1, keepdims=True)
                - xh * tf.reduce_mean(xh * dx, -1, keepdims=True)
            ) * rs[:, tf.newaxis]
            gamma = w[prefix + "/gamma"]
            return xhat * gamma + w[prefix + "/beta"], dxhat * gamma

        def gelu(x, dx):
            if self.gelu == "tanh":
                c = math.sqrt(2.0 / math.pi)
                u = tf.tanh(c * (x + 0.044715 * x**3))
                y = 0.5 * x * (1.0 + u)
                slope = 0.5 * (1.0 + u) + 0.5 * x * (1.0 - u * u) * c * (1.0 + 3 * 0.044715 * x * x)
            else:
                cdf = 0.5 * (1.0 + tf.math.erf(x / math.sqrt(2.0)))
                y = x * cdf
                slope = cdf + x * tf.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
            return y, slope[:, tf.newaxis] * dx

        seq = tf.shape(word_vectors)[1]
        x = (
            word_vectors
            + w["position_embedding/embeddings"][tf.newaxis, :seq]
            + tf.gather(w["type_embeddings/embeddings"], types)[tf.newaxis]
        )
        x, dx = norm(x, tangents, "embeddings/layer_norm")
        scale = 1.0 / math.sqrt(self.config.head_size)
        layers = self.config.num_layers
        for n in range(layers):
            p = f"transformer/layer_{n}/"
            sa = p + "self_attention/"
            if pooling == "cls" and n == layers - 1:
                # Only the [CLS] row of the last layer reaches the sentence vector.
                xq, dxq = x[:, :1], dx[:, :, :1]
            else:
                xq, dxq = x, dx
            wq, wk, wv = (w[sa + name + "/kernel"] for name in ("query", "key", "value"))
            q = tf.einsum("btf,fnh->btnh", xq, wq) + w[sa + "query/bias"]
            k = tf.einsum("btf,fnh->btnh", x, wk) + w[sa + "key/bias"]
            v = tf.einsum("btf,fnh->btnh", x, wv) + w[sa + "value/bias"]
            dq = tf.einsum("brtf,fnh->brtnh", dxq, wq)
            dk = tf.einsum("brtf,fnh->brtnh", dx, wk)
            dv = tf.einsum("brtf,fnh->brtnh", dx, wv)
            probs = tf.nn.softmax(tf.einsum("bfnh,btnh->bnft", q, k) * scale, axis=-1)
            dscores = (
                tf.einsum("brfnh,btnh->brnft", dq, k) + tf.einsum("bfnh,brtnh->brnft", q, dk)
            ) * scale
            pr = probs[:, tf.newaxis]
            dprobs = pr * (dscores - tf.reduce_sum(pr * dscores, -1, keepdims=True))
            context = tf.einsum("bnft,btnh->bfnh", probs, v)
            dcontext = tf.einsum("brnft,btnh->brfnh", dprobs, v) + tf.einsum(
                "bnft,brtnh->brfnh", probs, dv
            )
            wo = w[sa + "attention_output/kernel"]
            attended = tf.einsum("bfnh,nhd->bfd", context, wo) + w[sa + "attention_output/bias"]
            dattended = tf.einsum("brfnh,nhd->brfd", dcontext, wo)
            a, da = norm(xq + attended, dxq + dattended, p + "self_attention_layer_norm")
            w1, w2 = w[p + "intermediate/kernel"], w[p + "output/kernel"]
            inter, dinter = gelu(
                tf.einsum("btf,fi->bti", a, w1) + w[p + "intermediate/bias"],
                tf.einsum("brtf,fi->brti", da, w1),
            )
            out = tf.einsum("bti,if->btf", inter, w2) + w[p + "output/bias"]
            dout = tf.einsum("brti,if->brtf", dinter, w2)
            x, dx = norm(a + out, da + dout, p + "output_layer_norm")
        first, dfirst = x[:, 0], dx[:, :, 0]
        if pooling == "cls":
            return first, dfirst
        kernel = w["pooler_transform/kernel"]
        pooled = tf.tanh(tf.matmul(first, kernel) + w["pooler_transform/bias"])
        dpooled = tf.einsum("brf,fg->brg", dfirst, kernel) * (1.0 - pooled * pooled)[:, tf.newaxis]
        return pooled, dpooled

    def _graph(self, ids, mask, types):
        """``[B, T]`` int32 inputs -> hidden ``[B, L+1, T, H]``, probs ``[B, L, A, T, T]``, pooled."""
        import tensorflow as tf

        word_vectors = tf.gather(self._weights["word_embeddings/embeddings"], ids)
        return self._layers(word_vectors, mask, types, keep_all=True)

    # -- calling -----------------------------------------------------------------------------

    def __call__(self, input_word_ids: Any, input_mask: Any, input_type_ids: Any) -> ForwardOutput:
        """Run the pass on ``[batch, tokens]`` int inputs (the encoder's three inputs).

        Returns
        -------
        ForwardOutput
            Arrays for exactly ``tokens`` positions (the internal padding is sliced off).
        """
        arrays = [np.asarray(a, np.int32) for a in (input_word_ids, input_mask, input_type_ids)]
        shape = arrays[0].shape
        if len(shape) != 2 or any(a.shape != shape for a in arrays):
            raise ValueError(
                "input_word_ids, input_mask and input_type_ids must be int arrays of the same "
                f"shape [batch, tokens]. Got shapes {[a.shape for a in arrays]} instead."
            )
        batch, tokens = shape
        if tokens > self.config.max_positions:
            raise ValueError(
                f"{tokens} tokens is more than the encoder's {self.config.max_positions} "
                "positions; truncate the input first."
            )
        padded = min(_round_up(max(tokens, 1), LENGTH_STEP), self.config.max_positions)
        if padded != tokens:
            # Padding tokens: id 0, mask 0, type 0 -> masked out of every softmax.
            arrays = [np.pad(a, ((0, 0), (0, padded - tokens))) for a in arrays]
        hidden, probs, pooled = self._compiled(*arrays)
        hidden = hidden.numpy()[:, :, :tokens]
        probs = probs.numpy()[:, :, :, :tokens, :tokens]
        return ForwardOutput(hidden, probs, pooled.numpy())


# -- self-check and caching ------------------------------------------------------------------


def check_inputs(model: BertModel, text: str = CHECK_SENTENCE) -> dict[str, np.ndarray]:
    """The encoder inputs (``[1, tokens]`` int32) of ``text`` packed to its exact length."""
    import tensorflow as tf

    pieces = model.preprocessor.tokenize(tf.constant([text]))
    length = int(tf.size(pieces.flat_values)) + 2
    packed = model.preprocessor.bert_pack_inputs([pieces], seq_length=tf.constant(length))
    return {k: packed[k].numpy().astype(np.int32) for k in packed}


def encoder_gap(model: BertModel, forward: AttentionForward, inputs: Mapping[str, Any]) -> float:
    """Largest absolute difference between ``forward`` and the encoder's ``encoder_outputs``
    and ``sequence_output`` on ``inputs``, over real (unpadded) tokens only."""
    import tensorflow as tf

    feed = {k: tf.constant(np.asarray(inputs[k], np.int32)) for k in inputs}
    reference = model.encoder(feed)
    expected = np.stack([t.numpy() for t in reference["encoder_outputs"]], axis=1)
    ours = forward(inputs["input_word_ids"], inputs["input_mask"], inputs["input_type_ids"])
    real = np.asarray(inputs["input_mask"], bool)  # [B, T]
    gap_layers = np.abs(ours.encoder_outputs - expected).max(axis=(1, 3))  # [B, T]
    gap_last = np.abs(ours.sequence_output - reference["sequence_output"].numpy()).max(axis=2)
    if not real.any():
        return 0.0
    return float(max(gap_layers[real].max(), gap_last[real].max()))


def select_forward(
    model: BertModel, *, weights: Mapping[str, Any] | None = None
) -> AttentionForward:
    """Build the pass for ``model`` and self-check it: tanh GELU first, then erf.

    Parameters
    ----------
    weights : mapping, optional
        Variables to build the pass from; default the encoder's own. (The self-check compares
        against the encoder itself either way.)

    Returns
    -------
    AttentionForward
        The first pass whose outputs are within ``TOLERANCE`` of the encoder's.

    Raises
    ------
    AttentionMismatchError
        If neither GELU form reproduces the encoder; the message names the model and the gaps.
    """
    inputs = check_inputs(model)
    gaps = {}
    for gelu in GELU_ORDER:
        if weights is None:
            forward = AttentionForward.from_model(model, gelu=gelu)
        else:
            forward = AttentionForward(weights, model.config, gelu=gelu)
        gap = encoder_gap(model, forward, inputs)
        if gap <= TOLERANCE:
            forward.check_gap = gap
            return forward
        gaps[gelu] = gap
    info = model.info
    tried = ", ".join(f"{g} GELU: {v:.2e}" for g, v in gaps.items())
    mode = getattr(model, "precision_mode", None)
    if mode is not None and mode.reduced:
        raise AttentionMismatchError(
            f"Attention maps of model {info.name!r} need float32: in this process the encoder "
            f"runs with {mode.label()}, and the maps' self-check against it is off by "
            f"{min(gaps.values()):.2e} (tolerance {TOLERANCE:g}), so none are computed. The "
            "precision is process-wide: restart the kernel and load the model with "
            "precision='float32' (the default) for attention maps."
        )
    raise AttentionMismatchError(
        f"The attention forward pass does not reproduce the encoder of model {info.name!r} "
        f"(encoder {info.encoder_handle!r}): on a one-sentence self-check the largest gap to its "
        f"encoder_outputs/sequence_output is {min(gaps.values()):.2e} ({tried}), more than the "
        f"tolerance {TOLERANCE:g}. Its attention maps would be wrong, so none are computed. The "
        "encoder is probably not a post-LayerNorm BERT with the TF Model Garden variable layout "
        "(for example a pre-LayerNorm or otherwise modified model)."
    )


def forward_for(model: BertModel) -> AttentionForward:
    """The self-checked pass of ``model``, built on first use and cached in this module.

    The cache is a ``weakref.WeakKeyDictionary`` owned here (nothing is written onto the
    model), so a pass lives as long as its model; a lock makes concurrent first calls (the
    widgets' worker threads) build it once.
    """
    with _FORWARDS_LOCK:
        forward = _FORWARDS.get(model)
        if forward is None:
            forward = select_forward(model)
            _FORWARDS[model] = forward
        return forward


def cached_forward(model: BertModel) -> AttentionForward | None:
    """The pass cached for ``model``, or None if none was built (no self-check is run)."""
    with _FORWARDS_LOCK:
        return _FORWARDS.get(model)
