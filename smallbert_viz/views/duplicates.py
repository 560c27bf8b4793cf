"""Near-duplicate sentences: every pair at or above a cosine threshold, lexical or semantic."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

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
    graph). Step 1 of :func:`~smallbert_viz.analysis.near_duplicates` reads it instead of
    searching; steps 2 and 3 (saturated sentences searched again among themselves, components
    completed exactly) are the same, so with an exact graph the pairs are the same.
    ``shown``: rows in the table figure (None: all pairs).
    """
    from smallbert_viz.analysis import NearDuplicates, nearest_neighbors
    from smallbert_viz.analysis._input import unit_rows
    from smallbert_viz.analysis.duplicates import (
        BRUTE_FORCE_MAX,
        LEXICAL_JACCARD,
        _complete_components,
        _edges,
        _jaccard,
        _pairs_within,
        _same_text_edges,
        _words,
    )
    from smallbert_viz.figures import duplicates_table

    owner = "duplicates_from_graph"
    n = len(corpus.texts)
    if graph.metric != "cosine" or len(graph.indices) != n:
        raise ValueError(
            f"The 'graph' parameter of {owner} must be the cosine neighbours of all {n} "
            f"sentences. Got {graph.describe()} for {len(graph.indices)} rows instead."
        )
    unit = unit_rows(np.asarray(corpus.embeddings, np.float32), "embeddings", owner)
    k = graph.k
    edges = [_edges(graph.indices, graph.scores, threshold, np.arange(n))]
    saturated = np.flatnonzero(graph.scores[:, -1] >= threshold)
    searched, used = k, graph.method
    while saturated.size > 1:
        if saturated.size <= BRUTE_FORCE_MAX:
            edges.append(_pairs_within(unit, saturated, threshold)[0])
            break
        searched = min(2 * searched, saturated.size - 1)
        again = nearest_neighbors(unit[saturated], k=searched, metric="cosine", method="auto")
        if again.method != "exact":
            used = again.method
        edges.append(_edges(again.indices, again.scores, threshold, saturated))
        if searched == saturated.size - 1:
            break
        saturated = saturated[again.scores[:, -1] >= threshold]
    edges.append(_same_text_edges(corpus.texts))
    pairs, scores = _complete_components(unit, np.concatenate(edges), threshold)
    order = np.lexsort((pairs[:, 1], pairs[:, 0], -scores))
    pairs, scores = pairs[order], scores[order]
    cache: dict[int, frozenset[str]] = {}
    lexical = np.fromiter(
        (
            _jaccard(_words(corpus.texts, i, cache), _words(corpus.texts, j, cache))
            >= LEXICAL_JACCARD
            for i, j in pairs
        ),
        dtype=bool,
        count=len(pairs),
    )
    result = NearDuplicates(pairs, scores, lexical, threshold, k, used, LEXICAL_JACCARD)
    rows = result.rows if shown is None else NearDuplicates(
        pairs[:shown], scores[:shown], lexical[:shown], threshold, k, used, LEXICAL_JACCARD
    ).rows
    fig = duplicates_table(
        rows,
        corpus.texts,
        provenance=corpus.provenance,
        method_description=duplicates_description(result),
    )
    return DuplicatesView(result, fig)
