"""Cluster keywords: the words that set each group apart, written at its centre in a layout.

Groups are the corpus' labels when it has them, else seeded k-means clusters
(``cluster_labels``, ``policy.keyword_cluster_count`` of them); the view says which.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from smallbert_viz.views.policy import (
    DEFAULT_SEED,
    KEYWORDS_ON_PLOT,
    KEYWORDS_TOP,
    keyword_cluster_count,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from smallbert_viz.analysis import Projection
    from smallbert_viz.views.inputs import ViewCorpus


@dataclass(frozen=True, eq=False)
class KeywordView:
    """Keywords per group, their rows for export, annotations and the annotated scatter.

    Attributes
    ----------
    groups : list of str, length N
        The group of each sentence.
    source : str
        Where the groups come from: ``"labels"``, ``"clusters"`` or ``"given"``.
    description : str
        One line for provenance (how groups and keywords were made).
    keywords : dict of str -> list of str
        Group -> its words, best first, groups in order of first appearance.
    table : list of dict
        ``keyword_table`` rows ``{"group", "x", "y", ("z",) "size", "keywords"}``.
    annotations : list of dict
        Plotly annotations at the groups' centres (2-D: ``layout.annotations``).
    figure : go.Figure or None
        ``keyword_scatter``: the layout coloured by group, keywords at the centres (None when
        asked for without it: ``keyword_view(..., figure=False)``).
    """

    groups: list[str]
    source: str
    description: str
    keywords: dict[str, list[str]]
    table: list[dict[str, Any]]
    annotations: list[dict[str, Any]]
    figure: go.Figure | None


def keyword_groups(
    corpus: ViewCorpus, seed: int = DEFAULT_SEED
) -> tuple[list[str], str, str]:
    """The groups keywords describe: the labels, else k-means clusters; with source and text."""
    if corpus.labels is not None:
        return list(corpus.labels), "labels", "the given labels"
    from smallbert_viz.analysis import cluster_labels

    n_clusters = keyword_cluster_count(len(corpus.texts))
    groups = [str(g) for g in cluster_labels(corpus.embeddings, n_clusters=n_clusters, seed=seed)]
    return groups, "clusters", f"{n_clusters} spherical k-means clusters (seed {seed})"


def keyword_view(
    corpus: ViewCorpus,
    projection: Projection,
    groups: Sequence[Hashable] | None = None,
    *,
    top: int = KEYWORDS_TOP,
    seed: int = DEFAULT_SEED,
    figure: bool = True,
) -> KeywordView:
    """The keywords of each group (``groups``, else :func:`keyword_groups`) on ``projection``.

    ``figure=False``: no ``keyword_scatter`` (a caller drawing the annotations on a scatter of
    its own, like the report, would only throw its per-point hover text away).
    """
    from smallbert_viz.analysis import cluster_keywords, keyword_table
    from smallbert_viz.figures import keyword_annotations, keyword_scatter

    if groups is None:
        names, source, what = keyword_groups(corpus, seed)
    else:
        from smallbert_viz.views.inputs import check_labels

        names = check_labels([str(g) for g in groups], len(corpus.texts), "keyword_view")
        source, what = "given", "the given groups"
    keywords = {str(g): w for g, w in cluster_keywords(corpus.texts, names, top=top).items()}
    table = keyword_table(projection.coords, names, keywords)
    description = f"top {top} words per group by c-TF-IDF over {what}"
    fig = None if not figure else keyword_scatter(
        projection.coords,
        corpus.texts,
        labels=names,
        keywords=keywords,
        max_words=KEYWORDS_ON_PLOT,
        provenance=corpus.provenance,
        method_description=f"{projection.describe()}; keywords: {description}",
    )
    notes = keyword_annotations(table, max_words=KEYWORDS_ON_PLOT)
    return KeywordView(names, source, description, keywords, table, notes, fig)
