"""Checking what the explorers are given: texts, labels, a model or precomputed embeddings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from smallbert_viz._validation import check_choice, check_str_list
from smallbert_viz.embedding import POOLINGS

if TYPE_CHECKING:
    from smallbert_viz.models.model import BertModel


@dataclass(frozen=True)
class Corpus:
    """Validated inputs of an explorer.

    texts : list of str, length N
    labels : list of str of length N, or None
    embeddings : ndarray of shape (N, H), float32
    pooling : str or None (None when embeddings were passed in without a model)
    provenance : str, one line naming the model and pooling
    normalize : bool, whether the embeddings are (and queries must be) unit length
    """

    texts: list[str]
    labels: list[str] | None
    embeddings: np.ndarray
    pooling: str | None
    provenance: str
    normalize: bool = False


def check_texts(texts: Any, owner: str) -> list[str]:
    from smallbert_viz.embedding import check_texts as _check

    if isinstance(texts, str):
        raise TypeError(
            f"The 'texts' parameter of {owner} must be a list of str. Got a single str "
            "instead; wrap it in a list."
        )
    out = _check(list(texts))
    if not out:
        raise ValueError(f"The 'texts' parameter of {owner} must hold at least one sentence.")
    return out


def check_labels(labels: Any, n: int, owner: str) -> list[str] | None:
    if labels is None:
        return None
    return check_str_list(labels, n, "labels", owner, "text")


def resolve_corpus(
    texts: Any,
    model: BertModel | None,
    labels: Any,
    *,
    embeddings: Any,
    pooling: str | None,
    provenance: str | None,
    owner: str,
    normalize: bool = False,
) -> Corpus:
    """Embed ``texts`` with ``model`` or check ``embeddings``; name the provenance either way.

    Embeddings passed in with a model but without ``provenance`` are claimed to be
    ``model.embed(texts, pooling=pooling, normalize=normalize)``: the first rows are checked
    against that, so the provenance shown is never a guess.
    """
    texts = check_texts(texts, owner)
    if not isinstance(normalize, bool):
        raise TypeError(
            f"The 'normalize' parameter of {owner} must be True or False. Got {normalize!r}."
        )
    n = len(texts)
    labels = check_labels(labels, n, owner)
    if pooling is not None:
        pooling = check_choice("pooling", pooling, POOLINGS, owner)
    if provenance is not None and not isinstance(provenance, str):
        raise TypeError(
            f"The 'provenance' parameter of {owner} must be a str (e.g. "
            f"model.provenance('mean').describe()). Got {type(provenance).__name__} instead."
        )
    if embeddings is None:
        if model is None:
            raise ValueError(
                f"{owner} needs a model to embed the texts, or precomputed embeddings: pass "
                "model=load_model(...) or embeddings=<array (n_texts, n_features)> with "
                "provenance='<how they were made>'."
            )
        pooling = pooling or model.default_pooling
        emb = np.asarray(model.embed(texts, pooling=pooling, normalize=normalize), np.float32)
        prov = provenance or model.provenance(pooling, normalize=normalize).describe()
    else:
        emb = np.asarray(embeddings)
        if emb.ndim != 2 or emb.shape[0] != n or emb.shape[1] == 0:
            raise ValueError(
                f"The 'embeddings' parameter of {owner} must have shape (n_texts, n_features) "
                f"= ({n}, H). Got shape {emb.shape} instead."
            )
        if not np.issubdtype(emb.dtype, np.number) or not np.isfinite(emb).all():
            raise ValueError(
                f"The 'embeddings' parameter of {owner} must hold finite numbers. Got dtype "
                f"{emb.dtype} with non-finite or non-numeric values instead."
            )
        emb = np.ascontiguousarray(emb, dtype=np.float32)
        if model is not None and pooling is None:
            # Queries and token contributions embed new text with the model: with an unknown
            # pooling they would be compared against vectors made another way.
            raise ValueError(
                f"{owner} got precomputed embeddings and a model but no pooling: pass "
                f"pooling= (one of {', '.join(POOLINGS)}) that produced these embeddings "
                "(and normalize=True if they are unit length), so queries are embedded the "
                "same way; or drop model= and name them with provenance='<model, pooling, ...>'."
            )
        if provenance is None:
            if model is None:
                raise ValueError(
                    f"{owner} got embeddings without a model: name where they came from with "
                    "provenance='<model, pooling, ...>' (e.g. "
                    "model.provenance('mean').describe()), or pass model= and pooling=."
                )
            _check_made_by(emb, texts, model, pooling, normalize, owner)
            prov = model.provenance(pooling, normalize=normalize).describe()
            prov += " | embeddings passed in"
        else:
            prov = provenance
    return Corpus(texts, labels, emb, pooling, prov, normalize)


#: Rows of passed-in embeddings compared with the model's own output.
CHECKED_ROWS = 2


def _check_made_by(
    emb: np.ndarray, texts: list[str], model: BertModel, pooling: str, normalize: bool, owner: str
) -> None:
    """Raise unless the first rows of ``emb`` are what ``model`` makes of their texts."""
    k = min(CHECKED_ROWS, len(texts))
    ref = np.asarray(model.embed(texts[:k], pooling=pooling, normalize=normalize), np.float32)
    got = emb[:k]
    if got.shape[1] != ref.shape[1]:
        raise ValueError(
            f"The 'embeddings' of {owner} have {got.shape[1]} features; {model.info.name} makes "
            f"{ref.shape[1]}. They come from another model: pass provenance='<the model, "
            "pooling, ...>' to name it, or embeddings made by this model."
        )
    got_norm, ref_norm = np.linalg.norm(got, axis=1), np.linalg.norm(ref, axis=1)
    cosine = (got * ref).sum(axis=1) / np.maximum(got_norm * ref_norm, 1e-12)
    ratio = got_norm / np.maximum(ref_norm, 1e-12)
    bad = (cosine < 0.999) | (np.abs(ratio - 1) > 0.01)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"The 'embeddings' of {owner} are not model.embed(texts, pooling={pooling!r}, "
            f"normalize={normalize}) of {model.info.name}: row {i} has cosine {cosine[i]:.4f} "
            f"and length ratio {ratio[i]:.3f} to it. Pass the pooling and normalize that made "
            "them, or provenance='<the model, pooling, ...>' to name them yourself."
        )
