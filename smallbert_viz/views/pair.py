"""Why two sentences match: the pair drill-down of the similarity views and the report."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from smallbert_viz.analysis import TokenContributions
    from smallbert_viz.embedding import TokenVectors
    from smallbert_viz.embedding_spec import EmbeddingSpec
    from smallbert_viz.provenance import Provenance


@dataclass(frozen=True, eq=False)
class PairView:
    """The token x token explanation of one pair and its figure.

    ``exact`` says whether the cells add up to the pair's score as the heatmap shows it (mean
    pooling); otherwise they decompose the mean-pooled vectors' similarity, and every title
    and provenance says so.
    """

    i: int
    j: int
    contributions: TokenContributions
    metric: str
    exact: bool
    provenance: Provenance
    figure: go.Figure


def pair_view(
    spec: EmbeddingSpec,
    i: int,
    j: int,
    vectors: tuple[TokenVectors, TokenVectors],
    *,
    metric: str = "cosine",
) -> PairView:
    """Token contributions of sentences ``i`` and ``j`` (their ``vectors``) and the heatmap.

    ``metric`` is the similarity the view shows: contributions exist for cosine and dot; a
    euclidean view is explained by its cosine, and for unit-length embeddings the dot product
    is the cosine.
    """
    from smallbert_viz.analysis import token_contributions
    from smallbert_viz.figures import contribution_heatmap

    a, b = vectors
    cmetric = "dot" if metric == "dot" and not spec.normalize else "cosine"
    contrib = token_contributions(a.vectors, b.vectors, metric=cmetric)
    exact = spec.pooling == "mean"
    title = f"Token contributions, #{i} (rows) \u00d7 #{j} (columns)"
    prov = spec.provenance()
    if not exact:
        title += f" \u2014 mean-pooling decomposition (embeddings: {spec.pooling} pooling)"
        prov = prov.with_extra(contributions="mean pooling of last-layer token vectors")
    if metric == "euclidean":
        title += " \u2014 cosine shown"
    elif metric == "dot" and spec.normalize:
        title += " \u2014 cosine, the dot product of these unit-length embeddings"
    fig = contribution_heatmap(
        contrib.matrix,
        list(a.tokens),
        list(b.tokens),
        total=contrib.total,
        metric=cmetric,
        provenance=prov,
        title=title,
    )
    return PairView(i, j, contrib, cmetric, exact, prov, fig)
