"""``compute_attention``: text (or a text pair) -> :class:`Attention` of every layer and head."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from .. import _truncation
from .._validation import check_int
from .result import Attention

if TYPE_CHECKING:
    from ..models.model import BertModel
    from ..provenance import Provenance

#: The encoders have 512 positions; longer inputs cannot be encoded at all.
MAX_LENGTH_LIMIT = 512


def _check_text(value: object, name: str) -> str:
    if not isinstance(value, str):
        hint = (
            " Decode it first with .decode('utf-8')."
            if isinstance(value, bytes | bytearray)
            else " Pass one string; for many texts call compute_attention once per text."
            if isinstance(value, list | tuple)
            else ""
        )
        raise TypeError(
            f"The {name!r} parameter of compute_attention must be a str. Got "
            f"{type(value).__name__} {value!r:.60} instead.{hint}"
        )
    return value


def describe(model: BertModel, forward, max_length: int) -> Provenance:
    """The provenance of attention computed with ``model``."""
    from ..provenance import Provenance

    extra: dict[str, str] = {"source": model.info.source, "GELU": forward.gelu}
    if forward.check_gap is not None:
        extra["self-check max gap"] = f"{forward.check_gap:.1e}"
    return Provenance(
        model.info, kind="attention probabilities", max_length=max_length, extra=extra
    )


def compute_attention(
    model: BertModel,
    text: str,
    text_pair: str | None = None,
    *,
    max_length: int = 512,
) -> Attention:
    """Attention probabilities of every layer and head of ``model`` for one input.

    The input is packed as the encoder sees it: ``[CLS] text [SEP]`` or
    ``[CLS] text [SEP] text_pair [SEP]`` (segment ids 0, then 1 for ``text_pair``), with no
    padding. On first use per model a forward pass is built from the encoder's variables and
    self-checked against the encoder's own outputs (see ``smallbert_viz.attention.forward``).

    Parameters
    ----------
    model : BertModel
        A model from :func:`smallbert_viz.load_model`.
    text : str
        The text; ``""`` gives ``[CLS] [SEP]``.
    text_pair : str, optional
        A second text, for sentence-pair inputs.
    max_length : int
        Most wordpieces including ``[CLS]``/``[SEP]``, at most 512. Longer inputs are cut (the
        longer text of a pair first) with a warning.

    Returns
    -------
    Attention
        ``probs`` of shape (num_layers, num_heads, T, T) with T the packed length.

    Raises
    ------
    AttentionMismatchError
        If the forward pass cannot reproduce the encoder (then no maps are drawn).
    """
    import tensorflow as tf

    from .forward import forward_for

    text = _check_text(text, "text")
    if text_pair is not None:
        text_pair = _check_text(text_pair, "text_pair")
    specials = 2 if text_pair is None else 3
    limit = min(MAX_LENGTH_LIMIT, model.config.max_positions)
    max_length = check_int("max_length", max_length, "compute_attention", low=specials, high=limit)

    texts = [text] if text_pair is None else [text, text_pair]
    segments = [model.preprocessor.tokenize(tf.constant([t])) for t in texts]
    total = sum(int(tf.size(s.flat_values)) for s in segments) + specials
    if total > max_length and _truncation.warns():
        how = " (the longer text loses wordpieces first)" if text_pair is not None else ""
        warnings.warn(
            f"The input has {total} wordpieces including [CLS]/[SEP], more than "
            f"max_length={max_length}; it was cut to {max_length}{how}. "
            f"Pass a larger max_length (at most {limit}) to keep more.",
            UserWarning,
            stacklevel=2,
        )
    length = min(total, max_length)
    packed = model.preprocessor.bert_pack_inputs(segments, seq_length=tf.constant(length))
    ids = packed["input_word_ids"].numpy().astype(np.int32)
    mask = packed["input_mask"].numpy().astype(np.int32)
    types = packed["input_type_ids"].numpy().astype(np.int32)

    forward = forward_for(model)
    output = forward(ids, mask, types)
    vocab = model.vocab
    return Attention(
        tokens=tuple(vocab[i] for i in ids[0]),
        segment_ids=types[0],
        probs=output.probs[0],
        model_name=model.info.name,
        provenance=describe(model, forward, max_length),
        text=text,
        text_pair=text_pair,
    )
