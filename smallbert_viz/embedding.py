"""Text -> sentence embeddings, fast: tokenize once, sort by length, pack each batch short.

The canonical TF Hub path packs every sentence to 128 wordpieces. Most sentences are far shorter,
so ``embed`` tokenizes a chunk once, sorts it by length, packs each batch only to its longest
member rounded up to a multiple of ``LENGTH_STEP``, runs full batches (two in flight, one per
core) through the encoder wrapped in one ``tf.function`` (see ``encode_function``: no per-shape
set-up, so the first pass in a fresh process is as fast as later ones), and restores the input
order. The results equal ``embed_canonical`` within float32 rounding: padding only removes keys
from attention.
"""

from __future__ import annotations

import itertools
import math
import threading
import warnings
import weakref
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _truncation
from ._quiet import import_tensorflow
from ._validation import check_choice, check_int

if TYPE_CHECKING:
    from .models.model import BertModel

CHUNK_SIZE = 4096  # texts tokenized at once; bounds memory for any iterable
LENGTH_STEP = 4  # packed lengths are multiples of this (few padded tokens; no per-shape cost)
DEFAULT_BATCH_SIZE = 64
WORKERS = 2  # encoder calls in flight
MAX_LENGTH_LIMIT = 512
POOLINGS = ("cls", "pooled", "mean")


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_texts(items: Sequence[Any], start: int = 0) -> list[str]:
    """Return ``items`` as a list of str; raise TypeError naming the first bad index and type."""
    for i, item in enumerate(items):
        if not isinstance(item, str):
            hint = (
                "Drop or fill missing values first (for example df['text'].fillna(''))."
                if item is None or (isinstance(item, float) and math.isnan(item))
                else "Decode bytes with .decode('utf-8')."
                if isinstance(item, bytes | bytearray)
                else "Convert it with str() if that is what you mean."
            )
            raise TypeError(
                f"texts[{start + i}] is {type(item).__name__} {_describe(item)}, not str. {hint}"
            )
    return list(items)


def _tokenize(model: BertModel, texts: list[str]):
    """Wordpiece ids of ``texts`` as a rank-2 int32 RaggedTensor (words merged)."""
    tf = import_tensorflow()

    ragged = model.preprocessor.tokenize(tf.constant(texts, dtype=tf.string))
    if ragged.shape.rank == 3:
        ragged = ragged.merge_dims(-2, -1)
    return ragged


def token_ids(model: BertModel, texts: list[str]) -> list[np.ndarray]:
    """Wordpiece ids of each text, without [CLS]/[SEP] and without truncation."""
    texts = check_texts(texts)
    if not texts:
        return []
    ragged = _tokenize(model, texts)
    values = ragged.flat_values.numpy()
    splits = ragged.row_splits.numpy()
    return [values[splits[i] : splits[i + 1]] for i in range(len(texts))]


_ENCODE_FNS: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
_ENCODE_FNS_LOCK = threading.Lock()


def encode_function(model: BertModel):
    """The encoder wrapped in a ``tf.function`` with a dynamic ``[batch, seq]`` signature.

    Calling a restored SavedModel function directly costs a set-up for every new input shape
    (the restored function is dispatched anew per shape); called from inside one function traced
    for ``[None, None]`` it is the same graph and the same numbers with no per-shape cost. Built
    once per model and kept here (a weak-keyed cache owned by this module, not an attribute on
    the model), so it goes when the model goes.
    """
    with _ENCODE_FNS_LOCK:
        fn = _ENCODE_FNS.get(model)
        if fn is None:
            fn = _build_encode_function(model)
            _ENCODE_FNS[model] = fn
    return fn


def _build_encode_function(model: BertModel):
    tf = import_tensorflow()
    spec = {
        key: tf.TensorSpec([None, None], tf.int32, name=key)
        for key in ("input_word_ids", "input_mask", "input_type_ids")
    }
    encoder = model.encoder

    @tf.function(input_signature=[spec])
    def encode(inputs):
        outputs = encoder(inputs)
        return {
            "sequence_output": outputs["sequence_output"],
            "pooled_output": outputs["pooled_output"],
        }

    return encode


def _pool(outputs: dict, mask: np.ndarray, pooling: str) -> np.ndarray:
    if pooling == "pooled":
        return outputs["pooled_output"].numpy()
    sequence = outputs["sequence_output"].numpy()
    if pooling == "cls":
        return sequence[:, 0, :]
    weights = mask.astype(np.float32)[:, :, None]
    return (sequence * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)


def _round_up(n: int, step: int) -> int:
    return -(-n // step) * step


def _embed_chunk(
    model: BertModel, texts: list[str], pooling: str, batch_size: int, max_length: int
) -> tuple[np.ndarray, np.ndarray]:
    """Embed one chunk; return vectors in input order and which texts were cut (bool [N])."""
    tf = import_tensorflow()

    ragged = _tokenize(model, texts)
    lengths = ragged.row_lengths().numpy() + 2  # [CLS] ... [SEP]
    truncated = lengths > max_length
    lengths = np.minimum(lengths, max_length)
    order = np.argsort(lengths, kind="stable")
    encode = encode_function(model)
    out = np.empty((len(texts), model.hidden_size), np.float32)

    def run(start: int) -> None:
        rows = order[start : start + batch_size]
        # Fill a short last batch by repeating its first row: one batch size for all batches.
        padded = np.concatenate([rows, np.repeat(rows[:1], batch_size - len(rows))])
        seq_length = min(_round_up(int(lengths[rows].max()), LENGTH_STEP), max_length)
        batch = tf.gather(ragged, padded)
        packed = model.preprocessor.bert_pack_inputs([batch], seq_length=tf.constant(seq_length))
        vectors = _pool(encode(packed), packed["input_mask"].numpy(), pooling)
        out[rows] = vectors[: len(rows)]

    # Two batches in flight keep both cores busy between TensorFlow's parallel regions; each
    # batch writes its own rows, so the result does not depend on the interleaving.
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(run, range(0, len(order), batch_size)))
    return out, truncated


def _normalized(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def _embed_chunk_cached(
    model: BertModel,
    texts: list[str],
    pooling: str,
    batch_size: int,
    max_length: int,
    normalize: bool,
    prefix: bytes,
) -> tuple[np.ndarray, np.ndarray]:
    """``_embed_chunk`` through the on-disk cache: embed only the misses, then store them."""
    from . import embedding_cache

    store = embedding_cache.store()
    keys = embedding_cache.text_keys(prefix, texts)
    found = store.get(keys, model.hidden_size)
    vectors, cut_rows = found.vectors, found.truncated.copy()
    missing = np.flatnonzero(~found.found)
    if len(missing):
        # Duplicates among the misses are embedded once.
        first: dict[bytes, int] = {}
        for i in missing:
            first.setdefault(keys[i], int(i))
        todo = list(first.values())
        fresh, fresh_cut = _embed_chunk(
            model, [texts[i] for i in todo], pooling, batch_size, max_length
        )
        fresh = _normalized(fresh).astype(np.float32) if normalize else fresh
        row_of = {keys[i]: j for j, i in enumerate(todo)}
        for i in missing:
            j = row_of[keys[i]]
            vectors[i] = fresh[j]
            cut_rows[i] = fresh_cut[j]
        store.put([keys[i] for i in todo], fresh, fresh_cut)
    return vectors, cut_rows


def _chunks(texts: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(texts)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def embed(
    model: BertModel,
    texts: str | Iterable[str],
    *,
    pooling: str | None = None,
    normalize: bool = False,
    batch_size: int | None = None,
    max_length: int = 128,
    progress: bool | None = None,
    cache: bool = True,
) -> np.ndarray:
    """Sentence embeddings of ``texts`` with ``model``.

    Parameters
    ----------
    texts : str or iterable of str
        Any iterable (list, generator, pandas Series); streamed in chunks of ``CHUNK_SIZE``.
    pooling : {"cls", "pooled", "mean"}, optional
        ``"cls"``: the last layer's [CLS] vector; ``"pooled"``: the encoder's
        ``pooled_output`` (tanh of a dense layer on [CLS]); ``"mean"``: the mask-aware mean of
        the last layer's token vectors. Default: the model's ``default_pooling``.
    normalize : bool
        Scale each vector to unit L2 norm.
    batch_size : int, optional
        Sentences per encoder call (default 64).
    max_length : int
        Wordpieces per text including [CLS] and [SEP]; longer texts are cut, with one warning
        that counts them. At most 512.
    progress : bool, optional
        Show a ``tqdm.auto`` bar; ``None`` shows one for more than one chunk of texts.
    cache : bool
        Reuse vectors from the on-disk embedding cache and store new ones there (see
        :mod:`smallbert_viz.embedding_cache`): only texts not cached yet are embedded, and a hit
        is the identical vector. ``SMALLBERT_VIZ_EMBED_CACHE=0`` turns it off everywhere.

    Returns
    -------
    ndarray of shape (n_texts, hidden_size), float32, in input order; shape (hidden_size,)
    when ``texts`` is a single string.
    """
    pooling = check_choice("pooling", pooling or model.default_pooling, POOLINGS, "embed")
    if not isinstance(cache, bool):
        raise TypeError(f"The 'cache' parameter of embed must be a bool. Got {cache!r} instead.")
    batch_size = check_int(
        "batch_size", DEFAULT_BATCH_SIZE if batch_size is None else batch_size, "embed", low=1
    )
    max_length = check_int("max_length", max_length, "embed", low=2, high=MAX_LENGTH_LIMIT)
    if isinstance(texts, bytes | bytearray):
        raise TypeError("texts is bytes, not str. Decode it first with texts.decode('utf-8').")
    single = isinstance(texts, str)
    if single:
        texts = [texts]
    elif not isinstance(texts, Iterable):
        raise TypeError(
            f"texts must be a str or an iterable of str. Got {type(texts).__name__} instead."
        )
    total = len(texts) if hasattr(texts, "__len__") else None
    show = progress if progress is not None else (total is None or total > CHUNK_SIZE)
    bar = None
    if show:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, unit="text", desc=f"embed ({model.info.name}, {pooling})")
    parts: list[np.ndarray] = []
    truncated = seen = 0
    prefix = None
    if cache:
        from . import embedding_cache

        if embedding_cache.enabled():
            prefix = embedding_cache.key_prefix(model, pooling, max_length, normalize)
    try:
        for chunk in _chunks(texts, CHUNK_SIZE):
            chunk = check_texts(chunk, start=seen)
            if prefix is None:
                vectors, cut = _embed_chunk(model, chunk, pooling, batch_size, max_length)
                vectors = _normalized(vectors) if normalize else vectors
            else:
                vectors, cut = _embed_chunk_cached(
                    model, chunk, pooling, batch_size, max_length, normalize, prefix
                )
            parts.append(vectors)
            truncated += int(cut.sum())
            seen += len(chunk)
            if bar is not None:
                bar.update(len(chunk))
    finally:
        if bar is not None:
            bar.close()
    if truncated and _truncation.warns():
        warnings.warn(
            f"{truncated} of {seen} texts were longer than max_length={max_length} wordpieces "
            "(including [CLS] and [SEP]) and were cut. Pass a larger max_length (up to 512) "
            "to keep more of them.",
            UserWarning,
            stacklevel=3,
        )
    result = np.concatenate(parts) if parts else np.zeros((0, model.hidden_size), np.float32)
    result = result.astype(np.float32, copy=False)
    return result[0] if single else result


def embed_canonical(
    model: BertModel, texts: Sequence[str], *, pooling: str | None = None, batch_size: int = 32
) -> np.ndarray:
    """The reference path of the TF Hub documentation: ``encoder(preprocessor(texts))``.

    Every text is packed to 128 wordpieces by the preprocessor's own ``__call__``. Slow; kept
    as the baseline for tests and benchmarks.
    """
    tf = import_tensorflow()

    pooling = check_choice("pooling", pooling or model.default_pooling, POOLINGS, "embed_canonical")
    texts = check_texts(list(texts))
    parts = []
    for start in range(0, len(texts), batch_size):
        inputs = model.preprocessor(tf.constant(texts[start : start + batch_size]))
        outputs = model.encoder(inputs)
        parts.append(_pool(outputs, inputs["input_mask"].numpy(), pooling))
    if not parts:
        return np.zeros((0, model.hidden_size), np.float32)
    return np.concatenate(parts).astype(np.float32)


@dataclass(frozen=True)
class TokenVectors:
    """The last layer's vectors of one text's real tokens.

    ``tokens``: wordpieces including [CLS] and [SEP]; ``vectors``: float32 [T, H]. Their mean
    is the text's ``"mean"`` pooled embedding.
    """

    text: str
    tokens: tuple[str, ...]
    vectors: np.ndarray


def token_vectors(
    model: BertModel, texts: str | Sequence[str], *, max_length: int = 128
) -> TokenVectors | list[TokenVectors]:
    """Per-token last-layer vectors (no padding) of each text; one object for one string."""
    tf = import_tensorflow()

    max_length = check_int("max_length", max_length, "token_vectors", low=2, high=MAX_LENGTH_LIMIT)
    single = isinstance(texts, str)
    items = check_texts([texts] if single else list(texts))
    vocab = model.vocab
    results = []
    for start in range(0, len(items), DEFAULT_BATCH_SIZE):
        batch = items[start : start + DEFAULT_BATCH_SIZE]
        ragged = _tokenize(model, batch)
        longest = int(ragged.row_lengths().numpy().max()) + 2
        seq_length = min(_round_up(longest, LENGTH_STEP), max_length)
        packed = model.preprocessor.bert_pack_inputs([ragged], seq_length=tf.constant(seq_length))
        sequence = encode_function(model)(packed)["sequence_output"].numpy()
        ids = packed["input_word_ids"].numpy()
        lengths = packed["input_mask"].numpy().sum(axis=1)
        for row, text in enumerate(batch):
            n = int(lengths[row])
            tokens = tuple(vocab[i] for i in ids[row, :n])
            results.append(TokenVectors(text, tokens, sequence[row, :n].astype(np.float32)))
    return results[0] if single else results
