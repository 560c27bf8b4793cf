"""Cluster keywords written at the centres of their clusters in a projection.

Keywords come from :func:`smallbert_viz.analysis.keywords.cluster_keywords` and centres from
:func:`~smallbert_viz.analysis.keywords.keyword_table` (the rows a user exports); this module
turns those rows into plotly annotations and draws them over ``projection_scatter``.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from smallbert_viz._validation import check_int, check_str_list
from smallbert_viz.analysis.keywords import keyword_table
from smallbert_viz.figures._common import escape_text
from smallbert_viz.figures.projection import projection_scatter
from smallbert_viz.figures.trust import layout_coords

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from smallbert_viz.provenance import Provenance


def keyword_annotations(
    table: Sequence[dict[str, Any]], *, max_words: int = 3
) -> list[dict[str, Any]]:
    """Plotly annotations (one per group with keywords) from ``keyword_table`` rows.

    Parameters
    ----------
    table : list of dict
        Rows with ``"x"``, ``"y"`` (and ``"z"``) and ``"keywords"``, as ``keyword_table``
        returns them.
    max_words : int
        Words written per group, at least 1.

    Returns
    -------
    list of dict
        For ``layout.annotations`` (2-D rows) or ``layout.scene.annotations`` (rows with
        ``"z"``). Words are escaped; no arrow, a translucent white box so they read over dense
        points.
    """
    owner = "keyword_annotations"
    max_words = check_int("max_words", max_words, owner, low=1)
    out = []
    for i, row in enumerate(table):
        try:
            words = list(row["keywords"])[:max_words]
            position = {axis: float(row[axis]) for axis in ("x", "y", "z") if axis in row}
        except (KeyError, TypeError, ValueError):
            raise ValueError(
                f"The 'table' parameter of {owner} must hold rows with 'x', 'y' and 'keywords', "
                f"as keyword_table returns them. Row {i} is {row!r} instead."
            ) from None
        if not words:
            continue
        out.append(
            position
            | {
                "text": ", ".join(escape_text(w) for w in words),
                "showarrow": False,
                "font": {"size": 12, "color": "#222"},
                "bgcolor": "rgba(255,255,255,0.75)",
                "borderpad": 2,
            }
        )
    return out


def keyword_scatter(
    coords: np.ndarray,
    texts: Sequence[str],
    *,
    labels: Sequence[str],
    keywords: dict[Hashable, Sequence[str]],
    max_words: int = 3,
    provenance: Provenance | str | None = None,
    title: str | None = None,
    method_description: str | None = None,
) -> go.Figure:
    """``projection_scatter`` coloured by label, with each label's keywords at its centre.

    Parameters
    ----------
    coords : ndarray of shape (n_texts, 2) or (n_texts, 3)
    texts : list of str of length n_texts
    labels : list of str of length n_texts
        The groups ``keywords`` was computed for.
    keywords : dict
        Label -> words, as ``cluster_keywords`` returns it (keys are matched as str, so
        ``cluster_keywords(texts, ints)`` works with ``labels=[str(i) for i in ints]``).
    max_words : int
        Words written per group.
    provenance, title, method_description
        As in ``projection_scatter``.

    Returns
    -------
    plotly.graph_objects.Figure
        The scatter, with one annotation per group at the median of its points.
    """
    owner = "keyword_scatter"
    xyz = layout_coords(coords, owner)
    labels = check_str_list(labels, xyz.shape[0], "labels", owner, "row of coords")
    if not isinstance(keywords, dict):
        raise TypeError(
            f"The 'keywords' parameter of {owner} must be a dict label -> list of words, as "
            f"cluster_keywords returns it. Got {type(keywords).__name__} instead."
        )
    by_label = {str(key): words for key, words in keywords.items()}
    fig = projection_scatter(
        xyz,
        texts,
        labels=labels,
        provenance=provenance,
        title=title or "Sentence embeddings and their cluster keywords",
        method_description=method_description,
    )
    notes = keyword_annotations(keyword_table(xyz, labels, by_label), max_words=max_words)
    if xyz.shape[1] == 3:
        fig.update_layout(scene={"annotations": notes})
    else:
        fig.update_layout(annotations=notes)
    return fig
