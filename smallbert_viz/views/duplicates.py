"""Near-duplicate sentences: every pair at or above a cosine threshold, lexical or semantic."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from smallbert_viz.views.policy import DUPLICATE_THRESHOLD, NEIGHBORS_SHOWN

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from smallbert_viz.analysis import NearDuplicates, Neighbors
    from smallbert_viz.views.inputs import ViewCorpus


@dataclass(frozen=True, eq=False)
class DuplicatesView:
    """The near-duplicate pairs of a corpus and their table.

    Attributes
    ----------
    result : NearDuplicates
        ``.rows`` ``(i, j, score, kind)`` most similar first, ``.counts``, ``.method``.
    figure : go.Figure
        ``duplicates_table`` of the pairs.
    """

    result: NearDuplicates
    figure: go.Figure

    def describe(self) -> str:
        """One line for provenance: threshold, counts, search."""
        return duplicates_description(self.result)


def duplicates_description(result: NearDuplicates) -> str:
    """One line for provenance: threshold, counts of each kind, the neighbour search."""
    c = result.counts
    return (
        f"cosine >= {result.threshold:g}: {c['lexical']:,} lexical and {c['semantic']:,} "
        f"semantic pairs (lexical: word-set Jaccard >= {result.jaccard:g}); "
        f"{result.method} search of {result.k} neighbours, saturated sentences searched again"
    )


def duplicates_view(
    corpus: ViewCorpus, *, threshold: float = DUPLICATE_THRESHOLD, k: int = NEIGHBORS_SHOWN
) -> DuplicatesView:
    """Every pair of sentences with cosine similarity >= ``threshold``, and its table.

    ``k``: neighbours searched per sentence (the views' neighbour count, so the search is the
    one the neighbour tables show); groups larger than ``k`` are still found whole.
    """
    from smallbert_viz.analysis import near_duplicates
    from smallbert_viz.figures import duplicates_table

    k = min(k, len(corpus.texts) - 1)
    result = near_duplicates(corpus.embeddings, corpus.texts, threshold=threshold, k=k)
    fig = duplicates_table(
        result.rows,
        corpus.texts,
        provenance=corpus.provenance,
        method_description=duplicates_description(result),
    )
    return DuplicatesView(result, fig)


def duplicates_from_graph(
    corpus: ViewCorpus,
    graph: Neighbors,
    *,
    threshold: float = DUPLICATE_THRESHOLD,
    shown: int | None = None,
) -> DuplicatesView:
    """:func:`duplicates_view` from a neighbour graph the view already holds (no second search).

    ``graph``: the cosine neighbours of every row of ``corpus.embeddings`` (the report's one
    graph), passed to :func:`~smallbert_viz.analysis.near_duplicates` as ``neighbors=`` so its
    first search is skipped; with an exact graph the pairs are those of a fresh search.
    ``shown``: rows in the table figure (None: all pairs).
    """
    from smallbert_viz.analysis import NearDuplicates, near_duplicates
    from smallbert_viz.figures import duplicates_table

    result = near_duplicates(corpus.embeddings, corpus.texts, threshold=threshold, neighbors=graph)
    pairs, scores, lexical = result.pairs, result.scores, result.lexical
    k, used, jaccard = result.k, result.method, result.jaccard
    rows = result.rows if shown is None else NearDuplicates(
        pairs[:shown], scores[:shown], lexical[:shown], threshold, k, used, jaccard
    ).rows
    fig = duplicates_table(
        rows,
        corpus.texts,
        provenance=corpus.provenance,
        method_description=duplicates_description(result),
    )
    return DuplicatesView(result, fig)
