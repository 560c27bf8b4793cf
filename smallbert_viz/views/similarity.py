"""The similarity heatmap every view shows: sample, matrix, order, figure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from smallbert_viz.views import policy
from smallbert_viz.views.policy import DEFAULT_SEED, similarity_title

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from smallbert_viz.analysis import SimilarityMatrix
    from smallbert_viz.provenance import Provenance
    from smallbert_viz.views.inputs import ViewCorpus


@dataclass(frozen=True, eq=False)
class SimilarityView:
    """What a similarity heatmap shows.

    Attributes
    ----------
    rows : ndarray of shape (M,), int64
        Sentence index of each matrix row, ascending (M = N, or the sample size).
    similarity : SimilarityMatrix
        Similarities of ``rows``, shape (M, M), in ``rows`` order.
    order : ndarray of shape (M,)
        Display order: heatmap row k is sentence ``rows[order[k]]``.
    figure : go.Figure
    n_texts : int
        Sentences in the corpus (more than M when sampled).
    """

    rows: np.ndarray
    similarity: SimilarityMatrix
    order: np.ndarray
    figure: go.Figure
    n_texts: int

    @property
    def sampled(self) -> bool:
        return len(self.rows) < self.n_texts

    @property
    def shown_rows(self) -> np.ndarray:
        """Sentence index of each heatmap row, top to bottom."""
        return self.rows[self.order]

    @property
    def matrix(self) -> np.ndarray:
        """The matrix as drawn (reordered)."""
        return self.similarity.reordered(self.order).matrix


def heatmap_rows(n: int, *, max_rows: int | None = None, seed: int = DEFAULT_SEED) -> np.ndarray:
    """Every sentence up to ``max_rows``, else a seeded random sample of ``max_rows``, sorted.

    ``max_rows=None``: the views' policy, ``policy.HEATMAP_MAX_ROWS``.
    """
    if max_rows is None:
        max_rows = policy.HEATMAP_MAX_ROWS
    if n <= max_rows:
        return np.arange(n, dtype=np.int64)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=max_rows, replace=False)).astype(np.int64)


def similarity_figure(
    corpus: ViewCorpus,
    rows: np.ndarray,
    similarity: SimilarityMatrix,
    order: np.ndarray | None,
    *,
    threshold: float | None = None,
    provenance: Provenance | None = None,
) -> go.Figure:
    """The heatmap of ``similarity`` (rows ``rows`` of ``corpus``), in ``order`` (None: input)."""
    from smallbert_viz.figures import similarity_heatmap

    n, m = len(corpus.texts), len(rows)
    texts = [corpus.texts[i] for i in rows] if m < n else corpus.texts
    labels = None
    if corpus.labels is not None:
        labels = [corpus.labels[i] for i in rows] if m < n else corpus.labels
    fig = similarity_heatmap(
        similarity.matrix,
        texts,
        labels=labels,
        order=order,
        ids=rows if m < n else None,
        threshold=threshold,
        metric=similarity.metric,
        provenance=provenance or corpus.provenance,
        title=similarity_title(similarity.metric, m, n, order is not None),
    )
    return fig


def similarity_view(
    corpus: ViewCorpus,
    *,
    metric: str = "cosine",
    clustered: bool = True,
    threshold: float | None = None,
    max_rows: int | None = None,
    seed: int = DEFAULT_SEED,
) -> SimilarityView:
    """Sample (above ``max_rows``), similarity matrix, cluster order and heatmap of a corpus."""
    from smallbert_viz.analysis import cluster_order, similarity_matrix

    rows = heatmap_rows(len(corpus.texts), max_rows=max_rows, seed=seed)
    emb = corpus.embeddings if len(rows) == len(corpus.texts) else corpus.embeddings[rows]
    sim = similarity_matrix(emb, metric=metric)
    order = cluster_order(sim) if clustered else np.arange(len(rows))
    fig = similarity_figure(corpus, rows, sim, order if clustered else None, threshold=threshold)
    return SimilarityView(rows, sim, order, fig, len(corpus.texts))
