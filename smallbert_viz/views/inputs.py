"""What every view is given, checked once: texts, labels, a model, precomputed embeddings.

``model=`` means the same in every view: a loaded ``BertModel``, a short name, a TF Hub or Kaggle
handle, a SavedModel path, or None for the TF Hub small BERT with the offline fallback (its
note says so). With precomputed ``embeddings=`` and no model, nothing is loaded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from smallbert_viz._validation import check_str_list
from smallbert_viz.embedding_spec import DEFAULT_MAX_LENGTH, EmbeddingSpec
from smallbert_viz.provenance import Provenance

if TYPE_CHECKING:
    from smallbert_viz.models.model import BertModel

#: Rows of passed-in embeddings compared with the model's own output.
CHECKED_ROWS = 2


@dataclass(frozen=True, eq=False)
class ViewCorpus:
    """The checked inputs of a view.

    Attributes
    ----------
    texts : list of str, length N
    labels : list of str of length N, or None
    embeddings : ndarray of shape (N, H), float32, read-only
    spec : EmbeddingSpec or None
        How the embeddings were made (None for embeddings made elsewhere, without a model).
    provenance : Provenance
    """

    texts: list[str]
    labels: list[str] | None
    embeddings: np.ndarray
    spec: EmbeddingSpec | None
    provenance: Provenance

    @property
    def model(self) -> BertModel | None:
        return None if self.spec is None else self.spec.model

    @property
    def note(self) -> str | None:
        """Why the model was loaded in place of the default (the offline fallback)."""
        return None if self.spec is None else self.spec.model.note

    def __len__(self) -> int:
        return len(self.texts)


def resolve_model(model: Any, owner: str) -> BertModel:
    """A ``BertModel`` from anything a view's ``model=`` accepts (None: default + fallback)."""
    from smallbert_viz.models.loader import load_model
    from smallbert_viz.models.model import BertModel

    if isinstance(model, BertModel):
        return model
    if model is None:
        from smallbert_viz.models.precision import current

        # The process's precision, once fixed (a float32 load would be refused as mixing).
        return load_model(fallback=True, precision=current() or "float32")
    if isinstance(model, str | os.PathLike):
        return load_model(model)
    raise TypeError(
        f"The 'model' parameter of {owner} must be a BertModel, a model name, handle or path, "
        f"or None (the default model). Got {type(model).__name__} instead; load one with "
        "smallbert_viz.load_model()."
    )


def check_texts(texts: Any, owner: str, *, min_texts: int = 1) -> list[str]:
    """``texts`` as a list of at least ``min_texts`` str; house-style errors otherwise."""
    from smallbert_viz.embedding import check_texts as _check

    if isinstance(texts, str):
        raise TypeError(
            f"The 'texts' parameter of {owner} must be a list of str, one per sentence. Got a "
            "single str instead; wrap it in a list."
        )
    if not hasattr(texts, "__iter__"):
        raise TypeError(
            f"The 'texts' parameter of {owner} must be a list of str, one per sentence. Got "
            f"{type(texts).__name__} instead."
        )
    out = _check(list(texts))
    if len(out) < min_texts:
        raise ValueError(
            f"The 'texts' parameter of {owner} must hold at least {min_texts} sentence"
            f"{'s' if min_texts > 1 else ''}. Got {len(out)} instead; is the input empty?"
        )
    return out


def check_labels(labels: Any, n: int, owner: str) -> list[str] | None:
    """One str label per text, or None."""
    if labels is None:
        return None
    return check_str_list(labels, n, "labels", owner, "text")


def resolve_corpus(
    texts: Any,
    labels: Any = None,
    *,
    model: Any = None,
    embeddings: Any = None,
    pooling: str | None = None,
    normalize: bool = False,
    max_length: int = DEFAULT_MAX_LENGTH,
    provenance: Provenance | str | None = None,
    owner: str,
    min_texts: int = 1,
) -> ViewCorpus:
    """Check a view's inputs and embed the texts unless ``embeddings`` are given.

    Embeddings passed in with a model but without ``provenance`` are claimed to be
    ``model.embed(texts, pooling=pooling, normalize=normalize, max_length=max_length)``: the
    first rows are checked against that, so the provenance shown is never a guess.
    """
    texts = check_texts(texts, owner, min_texts=min_texts)
    if not isinstance(normalize, bool):
        raise TypeError(
            f"The 'normalize' parameter of {owner} must be True or False. Got {normalize!r}."
        )
    n = len(texts)
    labels = check_labels(labels, n, owner)
    prov_given = Provenance.coerce(provenance, owner)
    if embeddings is None:
        spec = EmbeddingSpec.of(
            resolve_model(model, owner),
            pooling,
            normalize=normalize,
            max_length=max_length,
            owner=owner,
        )
        emb = np.asarray(spec.embed(texts), np.float32)
        emb.flags.writeable = False
        return ViewCorpus(texts, labels, emb, spec, prov_given or spec.provenance())

    emb = _check_embeddings(embeddings, n, owner)
    if model is None:
        if prov_given is None:
            raise ValueError(
                f"{owner} got embeddings without a model: name where they came from with "
                "provenance='<model, pooling, ...>' (e.g. model.provenance('mean')), or pass "
                "model= and pooling= to have them checked."
            )
        return ViewCorpus(texts, labels, emb, None, prov_given)
    if pooling is None:
        # Queries and token contributions embed new text with the model: with an unknown
        # pooling they would be compared against vectors made another way.
        raise ValueError(
            f"{owner} got precomputed embeddings and a model but no pooling: pass pooling= "
            "(one of 'cls', 'pooled', 'mean') that produced these embeddings (and "
            "normalize=True if they are unit length), so queries are embedded the same way; or "
            "drop model= and name them with provenance='<model, pooling, ...>'."
        )
    spec = EmbeddingSpec.of(
        resolve_model(model, owner), pooling, normalize=normalize, max_length=max_length,
        owner=owner,
    )
    if prov_given is None:
        _check_made_by(emb, texts, spec, owner)
        prov_given = spec.provenance(embeddings="passed in (first rows checked)")
    return ViewCorpus(texts, labels, emb, spec, prov_given)


def _check_embeddings(embeddings: Any, n: int, owner: str) -> np.ndarray:
    """Precomputed embeddings as read-only float32 (N, H), or ValueError naming the fix."""
    try:
        emb = np.asarray(embeddings)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"The 'embeddings' parameter of {owner} must be a float array of shape (N, H). "
            f"Got {type(embeddings).__name__} instead."
        ) from exc
    if emb.ndim != 2 or emb.shape[0] != n or emb.shape[1] == 0:
        raise ValueError(
            f"The 'embeddings' parameter of {owner} must have shape (n_texts, n_features) = "
            f"({n}, H): one row per sentence. Got shape {emb.shape} instead."
        )
    if not np.issubdtype(emb.dtype, np.number) or not np.isfinite(emb).all():
        raise ValueError(
            f"The 'embeddings' parameter of {owner} must hold finite numbers. Got dtype "
            f"{emb.dtype} with non-finite or non-numeric values instead."
        )
    out = np.array(emb, dtype=np.float32, order="C", copy=True)
    out.flags.writeable = False
    return out


def _check_made_by(emb: np.ndarray, texts: list[str], spec: EmbeddingSpec, owner: str) -> None:
    """Raise unless the first rows of ``emb`` are what ``spec`` makes of their texts."""
    k = min(CHECKED_ROWS, len(texts))
    ref = np.asarray(spec.embed(texts[:k]), np.float32)
    got = emb[:k]
    name = spec.model.info.name
    if got.shape[1] != ref.shape[1]:
        raise ValueError(
            f"The 'embeddings' of {owner} have {got.shape[1]} features; {name} makes "
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
            f"The 'embeddings' of {owner} are not model.embed(texts, pooling={spec.pooling!r}, "
            f"normalize={spec.normalize}, max_length={spec.max_length}) of {name}: row {i} has "
            f"cosine {cosine[i]:.4f} and length ratio {ratio[i]:.3f} to it. Pass the pooling, "
            "normalize and max_length that made them, or provenance='<the model, pooling, ...>' "
            "to name them yourself."
        )
