"""Two models on the same sentences: shared neighbours, linear CKA, layouts aligned to each other.

``compare`` embeds the texts with both models, then measures (numpy, in
:mod:`smallbert_viz.analysis.representation`) per sentence how many of its k nearest neighbours
(cosine) the two embeddings share, and the linear CKA between them. For the side-by-side view
each embedding is projected on its own (``smallbert_viz.analysis.project``: PCA below 10
sentences, UMAP from 10 with a fixed seed), and model B's layout is then rotated (or
reflected), scaled and shifted onto model A's by orthogonal Procrustes, so that the same
sentence sits in about the same place in both panels wherever the models agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from smallbert_viz._validation import check_choice, check_int, check_str_list
from smallbert_viz.explain.layers import _readonly, check_model

if TYPE_CHECKING:
    from smallbert_viz.models.model import BertModel
    from smallbert_viz.provenance import Provenance

POOLINGS = ("cls", "pooled", "mean")
MIN_TEXTS = 3


@dataclass(frozen=True, eq=False)  # eq on arrays is ambiguous: compare fields yourself
class ModelComparison:
    """Two models' embeddings of the same sentences, compared.

    Attributes
    ----------
    neighbor_overlap : ndarray of shape (N,), float64
        Per sentence, the share of its ``k`` nearest neighbours (cosine, self excluded) that the
        two embeddings have in common, in [0, 1].
    cka : float
        Linear CKA between the two embeddings (1: equal up to rotation and scale).
    coords_a, coords_b : ndarray of shape (N, 2), float32
        Model A's 2-D layout, and model B's layout aligned onto it (Procrustes).
    names : tuple of str
        The two models' names (``model.info.name``).
    k : int
        Neighbours compared per sentence (``min(k asked, N - 1)``).
    projection : str
        How the layouts were made (method, parameters, seed) and how well B's fits A's after
        alignment (Procrustes disparity, 0 = identical shapes).
    alignment_disparity : float
        ``scipy.spatial.procrustes``'s disparity between the two layouts, after alignment.
    labels : tuple of str, optional
        The labels passed to ``compare``, one per sentence.
    provenance_a, provenance_b : Provenance
        Each model, its pooling and max_length, with the comparison's parameters in ``extra``.
    """

    neighbor_overlap: np.ndarray
    cka: float
    coords_a: np.ndarray
    coords_b: np.ndarray
    names: tuple[str, str]
    k: int
    projection: str
    alignment_disparity: float
    labels: tuple[str, ...] | None
    provenance_a: Provenance
    provenance_b: Provenance

    @property
    def mean_overlap(self) -> float:
        return float(self.neighbor_overlap.mean())

    def describe(self) -> str:
        """One line for subtitles: both provenances."""
        return f"A = {self.provenance_a.describe()} || B = {self.provenance_b.describe()}"


def _poolings(pooling: Any, models: tuple[BertModel, BertModel], owner: str) -> tuple[str, str]:
    if pooling is None:
        return models[0].default_pooling, models[1].default_pooling
    if isinstance(pooling, str):
        pooling = (pooling, pooling)
    elif not isinstance(pooling, Sequence) or len(pooling) != 2:
        raise TypeError(
            f"The 'pooling' parameter of {owner} must be None (each model's default), a str for "
            f"both models, or a pair of str, one per model. Got {pooling!r} instead."
        )
    a, b = (
        check_choice("pooling", p if p is not None else m.default_pooling, POOLINGS, owner)
        for p, m in zip(pooling, models, strict=True)
    )
    return a, b


def compare(
    texts: Sequence[str],
    *,
    models: Sequence[BertModel],
    pooling: str | Sequence[str | None] | None = None,
    k: int = 10,
    seed: int = 42,
    labels: Sequence[Any] | None = None,
    max_length: int = 128,
    batch_size: int | None = None,
) -> ModelComparison:
    """Compare two models on the same sentences.

    Parameters
    ----------
    texts : sequence of str
        At least 3 sentences.
    models : pair of BertModel
        Model A and model B (e.g. two small BERT sizes, or a small BERT and all-MiniLM-L6-v2).
    pooling : str or pair, optional
        ``None``: each model's own default; a str for both; or one per model (``None`` in the
        pair again meaning that model's default).
    k : int
        Neighbours compared per sentence; capped at N - 1 (the cap is recorded in ``.k``).
    seed : int
        UMAP's seed (reproducible layouts).
    labels : sequence, optional
        A group per sentence, kept for colouring the figure.
    max_length, batch_size : int
        As in ``model.embed``.

    Returns
    -------
    ModelComparison
        Draw it with ``smallbert_viz.figures.comparison_scatter``.
    """
    from smallbert_viz.analysis.projection import default_method, project
    from smallbert_viz.analysis.representation import (
        linear_cka,
        neighbor_overlap,
        procrustes_align,
    )
    from smallbert_viz.embedding import check_texts

    owner = "compare"
    if isinstance(models, str) or not isinstance(models, Sequence) or len(models) != 2:
        raise TypeError(
            f"The 'models' parameter of {owner} must be a pair [model_a, model_b] of BertModel. "
            f"Got {type(models).__name__} {models!r:.80} instead."
        )
    pair = (
        check_model(models[0], owner, "models[0]"),
        check_model(models[1], owner, "models[1]"),
    )
    pool_a, pool_b = _poolings(pooling, pair, owner)
    if isinstance(texts, str):
        raise TypeError(
            f"The 'texts' parameter of {owner} must be a list of str, one per sentence. Got a "
            "single str instead; wrap it in a list."
        )
    texts = check_texts(list(texts))
    n = len(texts)
    if n < MIN_TEXTS:
        raise ValueError(
            f"The 'texts' parameter of {owner} must hold at least {MIN_TEXTS} sentences (each "
            f"needs neighbours to compare). Got {n} instead."
        )
    k = min(check_int("k", k, owner, low=1), n - 1)
    seed = check_int("seed", seed, owner, low=0, high=2**32 - 1)
    shown_labels = None
    if labels is not None:
        shown_labels = tuple(check_str_list(labels, n, "labels", owner, "sentence"))

    emb_a = pair[0].embed(texts, pooling=pool_a, max_length=max_length, batch_size=batch_size)
    emb_b = pair[1].embed(texts, pooling=pool_b, max_length=max_length, batch_size=batch_size)
    overlap = neighbor_overlap(emb_a, emb_b, k=k)
    cka = linear_cka(emb_a, emb_b)

    method = default_method(n)
    params = {"seed": seed} if method == "umap" else {}
    proj_a = project(emb_a, method=method, **params)
    proj_b = project(emb_b, method=method, **params)
    aligned = procrustes_align(proj_b.coords, proj_a.coords)
    layout = (
        f"{proj_a.describe()}; B projected alike and aligned onto A by orthogonal Procrustes "
        f"(rotation/reflection, scale, shift; disparity {aligned.disparity:.3f})"
    )
    extra = {
        "compared with": None,
        "neighbour overlap": f"k={k}, cosine, mean {overlap.mean():.3f}",
        "linear CKA": f"{cka:.3f}",
    }
    names = (pair[0].info.name, pair[1].info.name)
    prov_a = pair[0].provenance(pool_a, max_length=max_length).with_extra(
        **{**extra, "compared with": f"{names[1]} ({pool_b})"}
    )
    prov_b = pair[1].provenance(pool_b, max_length=max_length).with_extra(
        **{**extra, "compared with": f"{names[0]} ({pool_a})"}
    )
    return ModelComparison(
        neighbor_overlap=_readonly(overlap),
        cka=cka,
        coords_a=_readonly(np.asarray(proj_a.coords, np.float32)),
        coords_b=_readonly(aligned.coords),
        names=names,
        k=k,
        projection=layout,
        alignment_disparity=aligned.disparity,
        labels=shown_labels,
        provenance_a=prov_a,
        provenance_b=prov_b,
    )
