"""Why two sentences match: the pair drill-down of the similarity views, the report and %embed.

Every pooling is explained by :func:`smallbert_viz.explain.explain_pair`: mean pooling exactly,
``cls`` / ``pooled`` by integrated Jacobians, whose completeness error every title states.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from smallbert_viz.views.policy import NEIGHBORS_SHOWN

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from smallbert_viz.embedding_spec import EmbeddingSpec
    from smallbert_viz.explain import PairExplanation
    from smallbert_viz.views.inputs import ViewCorpus


@dataclass(frozen=True, eq=False)
class PairView:
    """The token x token explanation of sentences ``i`` and ``j`` and its figure."""

    i: int
    j: int
    explanation: PairExplanation
    figure: go.Figure

    @property
    def exact(self) -> bool:
        """Whether the cells add up to the score exactly (mean pooling)."""
        return self.explanation.steps is None


def explained_metric(metric: str, normalize: bool) -> str:
    """The similarity a view's ``metric`` is explained by: cosine or dot.

    A euclidean view is explained by its cosine; for unit-length embeddings the dot product is
    the cosine.
    """
    return "dot" if metric == "dot" and not normalize else "cosine"


def pair_title(i: int, j: int, explanation: PairExplanation, metric: str) -> str:
    """The one title of a pair explanation."""
    title = f"Why #{i} (rows) and #{j} (columns) match: {explanation.metric} "
    title += f"{explanation.score:.4f}, {explanation.pooling} pooling"
    if metric == "euclidean":
        title += " (the euclidean view is explained by its cosine)"
    return title


def best_pair(corpus: ViewCorpus) -> tuple[int, int]:
    """The pair a view explains first: the most similar pair of different texts (cosine)."""
    from smallbert_viz.analysis import most_similar_pair, nearest_neighbors

    k = min(NEIGHBORS_SHOWN, len(corpus.texts) - 1)
    return most_similar_pair(nearest_neighbors(corpus.embeddings, k=k), corpus.texts)


def pair_view(
    spec: EmbeddingSpec, texts: list[str], i: int, j: int, *, metric: str = "cosine"
) -> PairView:
    """Explain the similarity of ``texts[i]`` and ``texts[j]`` as ``spec`` embeds them."""
    from smallbert_viz.explain import explain_pair
    from smallbert_viz.figures import explanation_heatmap

    explanation = explain_pair(
        texts[i],
        texts[j],
        model=spec.model,
        pooling=spec.pooling,
        metric=explained_metric(metric, spec.normalize),
        max_length=spec.max_length,
    )
    fig = explanation_heatmap(
        explanation.matrix,
        list(explanation.tokens_a),
        list(explanation.tokens_b),
        score=explanation.score,
        offset=explanation.offset,
        completeness_error=explanation.completeness_error,
        metric=explanation.metric,
        method=explanation.method,
        provenance=explanation.provenance,
        title=pair_title(i, j, explanation, metric),
    )
    return PairView(i, j, explanation, fig)
