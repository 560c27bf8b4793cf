"""``explain_pair``: why two sentences match, as a token x token matrix, for every pooling.

* ``pooling="mean"``: the exact decomposition of the mean-pooled score,
  ``u . v = sum_ij a_i . b_j / (n m)`` over every real token ([CLS] and [SEP] included, as the
  mean pooling averages them); offset 0 (``smallbert_viz.analysis.token_contributions``).
* ``pooling="cls"`` / ``"pooled"``: integrated Jacobians (Moeller, Nikolaev, Pado, "An
  Attribution Method for Siamese Encoders", EMNLP 2023, arXiv 2310.05703). With f and g the two
  texts' sentence vectors (L2-normalised inside for cosine) as functions of their input word
  embeddings x and y, and references r, r' (the [PAD] embedding at every position; positions,
  segment types and the mask fixed), ``f(x) - f(r) = sum_i A_i`` and ``g(y) - g(r') = sum_j B_j``
  (see ``_jacobians``). Then

      score = f(x) . g(y) = sum_ij A_i . B_j + [f(r) . g(y) + f(x) . g(r') - f(r) . g(r')]

  so ``matrix[i, j] = A_i . B_j`` and ``offset`` is the bracket (what the references carry, not
  any token pair). Only the quadrature makes the sum inexact; ``steps=None`` takes the first
  rule of ``STEP_SCHEDULE`` whose completeness error is within ``max(1% of |score|, 0.005)``,
  judged from the path derivatives alone (``sum_i A_i`` depends on them only), and then
  computes the per-token products once, for that rule.
"""

from __future__ import annotations

import threading
import warnings
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .. import _truncation
from .._validation import check_choice, check_int
from ..provenance import Provenance

if TYPE_CHECKING:
    from ..models.model import BertModel
    from ._jacobians import PathIntegrator

PairMetric = Literal["cosine", "dot"]
METRICS: tuple[str, ...] = ("cosine", "dot")
POOLINGS: tuple[str, ...] = ("cls", "pooled", "mean")
#: Gauss-Legendre step counts that ``steps=None`` tries in turn (the last one is the cap). Trying
#: one costs ``steps`` path-derivative products per text, not ``steps x tokens``, so the schedule
#: can be fine: the per-token products are paid for the chosen rule only.
STEP_SCHEDULE: tuple[int, ...] = (8, 12, 16, 20, 24, 32, 48, 64)
#: A rule is chosen when its completeness error is within this share of the bound (room for the
#: float32 sum of the per-token products, which matches the path derivatives' up to rounding).
SELECT_MARGIN = 0.5
#: Completeness bound of the adaptive rule: ``max(RELATIVE_TOLERANCE * |score|, ABSOLUTE_...)``.
RELATIVE_TOLERANCE = 0.01
ABSOLUTE_TOLERANCE = 0.005
#: Most steps a caller may ask for.
MAX_STEPS = 1024
MAX_LENGTH_LIMIT = 512
EXACT_METHOD = "exact mean-pooling decomposition"

# model -> {(pooling, normalize): PathIntegrator}; weak keys, so they go with the model.
_INTEGRATORS: weakref.WeakKeyDictionary[Any, dict] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


@dataclass(frozen=True, eq=False)  # eq on arrays is ambiguous: compare fields yourself
class PairExplanation:
    """Token x token attributions of one sentence pair's similarity.

    Attributes
    ----------
    text_a, text_b : str
        The two texts.
    tokens_a, tokens_b : tuple of str
        Their wordpieces as the encoder saw them, [CLS] and [SEP] included.
    matrix : ndarray of shape (len(tokens_a), len(tokens_b)), float32
        ``matrix[i, j]``: the part of the score carried by token i of A with token j of B.
    score : float
        The pair's similarity exactly as ``model.embed(..., pooling=pooling)`` and then
        cosine or dot give it.
    offset : float
        The part of the score no token pair carries (the reference terms; 0 for mean pooling).
    completeness_error : float
        ``|matrix.sum() + offset - score|``.
    tolerance : float
        The bound the adaptive step rule aims for, ``max(1% of |score|, 0.005)``.
    method : str
        ``"exact mean-pooling decomposition"`` or ``"integrated Jacobians, N Gauss-Legendre
        steps"``.
    steps : int or None
        Gauss-Legendre steps per text (None for mean pooling).
    pooling : {"cls", "pooled", "mean"}
    metric : {"cosine", "dot"}
    provenance : Provenance
        Model, pooling and max_length, with extras naming the method, steps and error.
    """

    text_a: str
    text_b: str
    tokens_a: tuple[str, ...]
    tokens_b: tuple[str, ...]
    matrix: np.ndarray
    score: float
    offset: float
    completeness_error: float
    tolerance: float
    method: str
    steps: int | None
    pooling: str
    metric: str
    provenance: Provenance

    @property
    def converged(self) -> bool:
        """Whether the completeness error is within ``tolerance``."""
        return self.completeness_error <= self.tolerance


def _check_text(value: object, name: str) -> str:
    if not isinstance(value, str):
        hint = (
            " Decode it first with .decode('utf-8')."
            if isinstance(value, bytes | bytearray)
            else " Pass one string per text; explain_pair compares exactly two texts."
        )
        raise TypeError(
            f"The {name!r} parameter of explain_pair must be a str. Got "
            f"{type(value).__name__} {value!r:.60} instead.{hint}"
        )
    return value


def _pack(model: BertModel, text: str, max_length: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(ids ``[T]``, types ``[T]``, wordpieces before truncation) of ``[CLS] text [SEP]``."""
    import tensorflow as tf

    from ..embedding import _tokenize

    pieces = _tokenize(model, [text])
    total = int(tf.size(pieces.flat_values)) + 2
    length = min(total, max_length)
    packed = model.preprocessor.bert_pack_inputs([pieces], seq_length=tf.constant(length))
    ids = packed["input_word_ids"].numpy()[0].astype(np.int32)
    types = packed["input_type_ids"].numpy()[0].astype(np.int32)
    return ids, types, total


def _integrator(model: BertModel, pooling: str, normalize: bool) -> PathIntegrator:
    from ..attention.forward import forward_for
    from ._jacobians import PathIntegrator

    forward = forward_for(model)
    with _LOCK:
        per_model = _INTEGRATORS.setdefault(model, {})
        key = (pooling, normalize)
        if key not in per_model:
            per_model[key] = PathIntegrator(forward, pooling, normalize)
        return per_model[key]


def _tolerance(score: float) -> float:
    return max(RELATIVE_TOLERANCE * abs(score), ABSOLUTE_TOLERANCE)


def _mean_matrix(model, text_a, text_b, metric, max_length):
    from ..analysis.contributions import token_contributions
    from ..embedding import token_vectors

    va, vb = token_vectors(model, [text_a, text_b], max_length=max_length)
    contributions = token_contributions(va.vectors, vb.vectors, metric=metric)
    return va.tokens, vb.tokens, contributions.matrix.astype(np.float64), 0.0


def _completeness(totals, weights, offset, score):
    """Pair completeness error of a rule from each text's path derivatives at its nodes."""
    qa, qb = (weights @ t for t in totals)  # = sum_i A_i, sum_j B_j (linearity)
    return abs(float(qa @ qb) + offset - score)


def _choose_steps(integrator, sides, offset, score, schedule):
    """The first rule of ``schedule`` whose completeness error is within SELECT_MARGIN of the
    bound, judged from the path derivatives alone (one product per node, not one per token)."""
    from ._jacobians import gauss_legendre

    bound = SELECT_MARGIN * _tolerance(score)
    for n in schedule:
        nodes, weights = gauss_legendre(n)
        totals = [integrator.path_derivatives(x, r, t, nodes) for x, r, t, *_ in sides]
        if _completeness(totals, weights, offset, score) <= bound:
            return n
    return schedule[-1]


def _jacobian_matrix(model, ids, types, pooling, metric, steps, score):
    """IJ matrix (float64), offset and steps used, for packed ``ids``/``types`` of both texts.

    With ``steps=None`` the number of steps comes from the path derivatives first (cheap), so
    the per-token products, ``steps x tokens`` per text, are computed for one rule only.
    """
    from ._jacobians import gauss_legendre

    integrator = _integrator(model, pooling, normalize=metric == "cosine")
    table = integrator.forward.word_embeddings.numpy()
    pad = table[model.special_tokens.get("padding_id", 0)]
    sides = []
    for side_ids, side_types in zip(ids, types, strict=True):
        x = table[side_ids]
        r = np.broadcast_to(pad, x.shape).copy()
        fx, fr = integrator.value(np.stack([x, r]), side_types).astype(np.float64)
        sides.append((x, r, side_types, fx, fr))
    (_, _, _, fx, fr), (_, _, _, gy, gr) = sides
    offset = float(fr @ gy + fx @ gr - fr @ gr)
    n = steps if steps is not None else _choose_steps(integrator, sides, offset, score, STEP_SCHEDULE)
    nodes, weights = gauss_legendre(n)
    a = integrator.attributions(*sides[0][:3], nodes, weights)
    b = integrator.attributions(*sides[1][:3], nodes, weights)
    return a @ b.T, offset, n


def explain_pair(
    text_a: str,
    text_b: str,
    *,
    model: BertModel,
    pooling: str | None = None,
    metric: PairMetric = "cosine",
    steps: int | None = None,
    max_length: int = 128,
) -> PairExplanation:
    """Why ``text_a`` and ``text_b`` are similar: a token x token matrix plus an offset that
    add up to their similarity, for any pooling.

    Parameters
    ----------
    text_a, text_b : str
        The two texts (each encoded alone, as ``model.embed`` does).
    model : BertModel
        A model from :func:`smallbert_viz.load_model`.
    pooling : {"cls", "pooled", "mean"}, optional
        Default: the model's ``default_pooling``. ``"mean"`` is decomposed exactly; ``"cls"``
        and ``"pooled"`` by integrated Jacobians (arXiv 2310.05703), whose only error is the
        quadrature's and is reported.
    metric : {"cosine", "dot"}
    steps : int, optional
        Gauss-Legendre steps per text for ``cls``/``pooled``. Default: the fewest of 8, 12,
        16, 20, 24, 32, 48, 64 whose completeness error is at most half of
        ``max(1% of |score|, 0.005)`` (judged cheaply first, then computed); if 64 does not
        reach it, the result says so when the bound is missed (``converged`` is False, the
        error is in the provenance).
        Ignored for ``"mean"``.
    max_length : int
        Wordpieces per text including [CLS] and [SEP], as in ``embed``; longer texts are cut
        with a warning.

    Returns
    -------
    PairExplanation
        ``matrix`` of shape (len(tokens_a), len(tokens_b)), ``score``, ``offset`` and
        ``completeness_error = |matrix.sum() + offset - score|``.
    """
    owner = "explain_pair"
    text_a = _check_text(text_a, "text_a")
    text_b = _check_text(text_b, "text_b")
    pooling = check_choice("pooling", pooling or model.default_pooling, POOLINGS, owner)
    metric = check_choice("metric", metric, METRICS, owner)
    if steps is not None:
        steps = check_int("steps", steps, owner, low=1, high=MAX_STEPS)
    limit = min(MAX_LENGTH_LIMIT, model.config.max_positions)
    max_length = check_int("max_length", max_length, owner, low=2, high=limit)

    packed = [_pack(model, t, max_length) for t in (text_a, text_b)]
    cut = [name for name, (_, _, total) in zip(("text_a", "text_b"), packed) if total > max_length]
    if cut and _truncation.warns():
        warnings.warn(
            f"{' and '.join(cut)} had more than max_length={max_length} wordpieces (including "
            f"[CLS] and [SEP]) and {'were' if len(cut) > 1 else 'was'} cut, as embed cuts them. "
            f"Pass a larger max_length (at most {limit}) to keep more.",
            UserWarning,
            stacklevel=2,
        )
    with _truncation.counted_by_caller():  # reported above
        u, v = model.embed([text_a, text_b], pooling=pooling, max_length=max_length).astype(
            np.float64
        )
    score = float(u @ v)
    if metric == "cosine":
        score /= float(np.linalg.norm(u) * np.linalg.norm(v))

    if pooling == "mean":
        tokens_a, tokens_b, matrix, offset = _mean_matrix(model, text_a, text_b, metric, max_length)
        used, method = None, EXACT_METHOD
    else:
        vocab = model.vocab
        tokens_a, tokens_b = (tuple(vocab[i] for i in ids) for ids, _, _ in packed)
        matrix, offset, used = _jacobian_matrix(
            model, [p[0] for p in packed], [p[1] for p in packed], pooling, metric, steps, score
        )
        method = f"integrated Jacobians, {used} Gauss-Legendre steps"
    matrix = matrix.astype(np.float32)
    error = abs(float(matrix.sum(dtype=np.float64)) + offset - score)
    tolerance = _tolerance(score)
    extra = {
        "explanation": method,
        "completeness error": f"{error:.2g} ({'within' if error <= tolerance else 'ABOVE'} "
        f"bound {tolerance:.2g})",
    }
    if used is not None:
        extra["reference"] = "[PAD] embedding at every position"
        extra["offset"] = f"{offset:.4f}"
    provenance = model.provenance(pooling, max_length=max_length).with_extra(**extra)
    return PairExplanation(
        text_a=text_a,
        text_b=text_b,
        tokens_a=tuple(tokens_a),
        tokens_b=tuple(tokens_b),
        matrix=matrix,
        score=score,
        offset=offset,
        completeness_error=error,
        tolerance=tolerance,
        method=method,
        steps=used,
        pooling=pooling,
        metric=metric,
        provenance=provenance,
    )
