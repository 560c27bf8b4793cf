"""Text -> one sentence vector per encoder layer, from the encoder's ``encoder_outputs``.

The same fast path as :mod:`smallbert_viz.embedding` (tokenize once, sort by length, pack each
batch only to its longest member, two batches in flight, restore the input order), through a
``tf.function`` of its own that also returns ``encoder_outputs`` and pools every layer inside the
graph, so only ``[layers, batch, hidden]`` leaves TensorFlow, never ``[layers, batch, seq,
hidden]``. The last layer equals ``embed(texts, pooling=...)`` within float32 rounding.

Only ``"cls"`` and ``"mean"`` exist per layer: ``"pooled"`` is a dense layer with tanh on the
*last* layer's [CLS] vector, and the encoder has no such head for the other layers.
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _truncation
from ._validation import check_choice, check_int
from .embedding import (
    CHUNK_SIZE,
    DEFAULT_BATCH_SIZE,
    LENGTH_STEP,
    MAX_LENGTH_LIMIT,
    WORKERS,
    _round_up,
    _tokenize,
    check_texts,
)

if TYPE_CHECKING:
    from .models.model import BertModel

LAYER_POOLINGS = ("cls", "mean")

# One traced function per (model, pooling). Keyed weakly on the model, so a model that is no
# longer used is freed with its functions; the functions hold the encoder, not the model.
_FUNCTIONS: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


def resolve_layer_pooling(model: BertModel, pooling: str | None, owner: str) -> str:
    """``pooling`` (or the model's default) if it exists per layer; else a ValueError saying why."""
    value = pooling if pooling is not None else model.default_pooling
    if value == "pooled":
        origin = "" if pooling is not None else f" (the default pooling of {model.info.name})"
        raise ValueError(
            f"The 'pooling' parameter of {owner} must be one of 'cls', 'mean'. Got 'pooled'"
            f"{origin} instead: 'pooled' is the pooler's tanh layer on the last layer's [CLS] "
            "vector and has no per-layer counterpart. Pass pooling='cls' for the [CLS] vector "
            "of every layer (the one the pooler reads), or pooling='mean'."
        )
    return check_choice("pooling", value, LAYER_POOLINGS, owner)


def _layers_function(model: BertModel, pooling: str):
    """The encoder in a ``tf.function`` over ``[batch, seq]`` that returns ``[layers, batch, H]``."""
    per_model = _FUNCTIONS.setdefault(model, {})
    if pooling not in per_model:
        import tensorflow as tf

        spec = {
            key: tf.TensorSpec([None, None], tf.int32, name=key)
            for key in ("input_word_ids", "input_mask", "input_type_ids")
        }
        encoder = model.encoder

        @tf.function(input_signature=[spec])
        def layers(inputs):
            stacked = tf.stack(encoder(inputs)["encoder_outputs"], axis=0)  # [L, B, T, H]
            if pooling == "cls":
                return stacked[:, :, 0, :]
            mask = tf.cast(inputs["input_mask"], stacked.dtype)[None, :, :, None]
            total = tf.reduce_sum(stacked * mask, axis=2)
            return total / tf.maximum(tf.reduce_sum(mask, axis=2), 1.0)

        per_model[pooling] = layers
    return per_model[pooling]


def _layers_chunk(
    model: BertModel,
    texts: list[str],
    pooling: str,
    batch_size: int,
    max_length: int,
    out: np.ndarray,
) -> int:
    """Write the per-layer vectors of ``texts`` into ``out`` [L, len(texts), H]; return #cut."""
    import tensorflow as tf

    ragged = _tokenize(model, texts)
    lengths = ragged.row_lengths().numpy() + 2  # [CLS] ... [SEP]
    truncated = int((lengths > max_length).sum())
    lengths = np.minimum(lengths, max_length)
    order = np.argsort(lengths, kind="stable")
    layers = _layers_function(model, pooling)

    def run(start: int) -> None:
        rows = order[start : start + batch_size]
        # One batch size for every call, as in embed: pad a short last batch with its first row.
        padded = np.concatenate([rows, np.repeat(rows[:1], batch_size - len(rows))])
        seq_length = min(_round_up(int(lengths[rows].max()), LENGTH_STEP), max_length)
        batch = tf.gather(ragged, padded)
        packed = model.preprocessor.bert_pack_inputs([batch], seq_length=tf.constant(seq_length))
        out[:, rows] = layers(packed).numpy()[:, : len(rows)]

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(run, range(0, len(order), batch_size)))
    return truncated


def layer_embeddings(
    model: BertModel,
    texts: str | Sequence[str],
    pooling: str | None = None,
    *,
    max_length: int = 128,
    batch_size: int | None = None,
) -> np.ndarray:
    """One sentence vector per encoder layer for each text.

    Parameters
    ----------
    model : BertModel
    texts : str or sequence of str
    pooling : {"cls", "mean"}, optional
        ``"cls"``: each layer's [CLS] vector; ``"mean"``: the mask-aware mean of each layer's
        token vectors. Default: the model's ``default_pooling``. ``"pooled"`` has no per-layer
        form and raises ``ValueError``.
    max_length : int
        Wordpieces per text including [CLS] and [SEP]; longer texts are cut, with one warning.
    batch_size : int, optional
        Sentences per encoder call (default 64).

    Returns
    -------
    ndarray of shape (num_layers, n_texts, hidden_size), float32
        Row ``[l, i]`` is text ``i`` after transformer layer ``l + 1`` (the embedding layer is
        not exposed by TF Hub encoders); ``[-1]`` equals ``model.embed(texts, pooling)``.
        Shape (num_layers, hidden_size) when ``texts`` is a single string.
    """
    owner = "layer_embeddings"
    pooling = resolve_layer_pooling(model, pooling, owner)
    batch_size = check_int(
        "batch_size", DEFAULT_BATCH_SIZE if batch_size is None else batch_size, owner, low=1
    )
    max_length = check_int("max_length", max_length, owner, low=2, high=MAX_LENGTH_LIMIT)
    if isinstance(texts, bytes | bytearray):
        raise TypeError("texts is bytes, not str. Decode it first with texts.decode('utf-8').")
    single = isinstance(texts, str)
    if single:
        items = [texts]
    elif isinstance(texts, Sequence) or hasattr(texts, "__len__"):
        items = list(texts)
    else:
        raise TypeError(
            f"texts must be a str or a sequence of str (list, tuple, pandas Series). Got "
            f"{type(texts).__name__} instead; wrap an iterator in list() first."
        )
    num_layers = model.config.num_layers
    out = np.empty((num_layers, len(items), model.hidden_size), np.float32)
    truncated = 0
    for start in range(0, len(items), CHUNK_SIZE):
        chunk = check_texts(items[start : start + CHUNK_SIZE], start=start)
        view = out[:, start : start + len(chunk)]  # a view: rows are written in place
        truncated += _layers_chunk(model, chunk, pooling, batch_size, max_length, view)
    if truncated and _truncation.warns():
        warnings.warn(
            f"{truncated} of {len(items)} texts were longer than max_length={max_length} "
            "wordpieces (including [CLS] and [SEP]) and were cut. Pass a larger max_length (up "
            "to 512) to keep more of them.",
            UserWarning,
            stacklevel=3,
        )
    return out[:, 0] if single else out


def layer_names(num_layers: int) -> tuple[str, ...]:
    """``("layer 1", ..., "layer L")``: transformer layers counted from the input side."""
    return tuple(f"layer {i}" for i in range(1, num_layers + 1))
