"""Near-duplicate sentences: every pair at or above a cosine threshold, lexical or semantic."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from smallbert_viz.views.policy import DUPLICATE_THRESHOLD, NEIGHBORS_SHOWN

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from smallbert_viz.analysis import NearDuplicates
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
