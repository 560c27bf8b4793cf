"""The projection every view shows: the method rule, the seed, the scatter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from smallbert_viz.views.policy import (
    DEFAULT_SEED,
    UMAP_MIN_DIST,
    UMAP_N_NEIGHBORS,
    default_method,
    projection_sample_size,
    projection_title,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from smallbert_viz.analysis import Projection
    from smallbert_viz.provenance import Provenance
    from smallbert_viz.views.inputs import ViewCorpus


def projection_method(n: int, method: str | None = None) -> str:
    """``method`` if given, else the views' rule (PCA below 10 sentences, UMAP from 10)."""
    return default_method(n) if method is None else method


def compute_projection(
    embeddings: np.ndarray,
    *,
    method: str | None = None,
    seed: int | None = DEFAULT_SEED,
    n_neighbors: int = UMAP_N_NEIGHBORS,
    min_dist: float = UMAP_MIN_DIST,
    n_components: int = 2,
) -> Projection:
    """Project with the views' rule and parameters (UMAP seeded with ``seed``).

    Above ``policy.PROJECTION_SAMPLE_ABOVE`` sentences UMAP is fitted on a seeded sample of
    ``policy.PROJECTION_SAMPLE_SIZE`` and the rest placed by their nearest sample points
    (``Projection.sample_size`` and ``describe()`` say so).
    """
    from smallbert_viz.analysis import project

    n = len(embeddings)
    method = projection_method(n, method)
    if method == "pca":
        return project(embeddings, method="pca", n_components=min(n_components, n))
    return project(
        embeddings,
        method="umap",
        n_components=n_components,
        n_neighbors=n_neighbors,
        min_dist=min_dist,
        seed=seed,
        sample_size=projection_sample_size(n),
    )


def projection_figure(
    corpus: ViewCorpus,
    projection: Projection,
    *,
    labels: Sequence[str] | None,
    highlight: Sequence[int] | np.ndarray | None = None,
    provenance: Provenance | None = None,
    hover: bool = True,
) -> go.Figure:
    """The scatter of ``projection``, one colour per distinct label (``labels=None``: one).

    ``hover=False``: the points carry no hover text (empty strings), for a page that writes it
    from its own copy of the texts (the report): no per-point strings built and dropped.
    """
    from smallbert_viz.figures import projection_scatter

    return projection_scatter(
        projection.coords,
        corpus.texts if hover else [""] * len(corpus.texts),
        labels=labels,
        highlight=highlight,
        provenance=provenance or corpus.provenance,
        title=projection_title(projection.method, projection.n_components),
        method_description=projection.describe(),
    )


def projection_view(
    corpus: ViewCorpus,
    *,
    method: str | None = None,
    seed: int | None = DEFAULT_SEED,
    n_neighbors: int = UMAP_N_NEIGHBORS,
    min_dist: float = UMAP_MIN_DIST,
    n_components: int = 2,
) -> tuple[Projection, go.Figure]:
    """The projection of a corpus and its scatter."""
    projection = compute_projection(
        corpus.embeddings,
        method=method,
        seed=seed,
        n_neighbors=n_neighbors,
        min_dist=min_dist,
        n_components=n_components,
    )
    return projection, projection_figure(corpus, projection, labels=corpus.labels)
