"""Similarity heatmaps: sentence x sentence, and token x token contributions for one pair.

Both builders take precomputed matrices (``smallbert_viz.analysis`` computes them) and return a
``plotly.graph_objects.Figure``; they never display anything.

Hover text scales with N, not N**2: each axis is categorical with one name per sentence
(``"#7 [cluster 2]: the full sentence, wrapped"``), and one ``hovertemplate`` shows the row
name, the column name and the cell value. Writing a hover string per cell would cost
N**2 strings (about 20 MB for 300 sentences); this costs N.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np

from smallbert_viz._validation import check_choice, check_float, check_int, check_str_list
from smallbert_viz.figures._common import (
    MASK_GREY,
    NOTEBOOK_WIDTH,
    apply_layout,
    as_float32,
    escape_text,
    safe_short,
    safe_wrapped,
    token_categories,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from smallbert_viz.provenance import Provenance

SimilarityMetric = Literal["cosine", "dot", "euclidean"]
#: The metrics of ``smallbert_viz.analysis.similarity``; "euclidean" is the negative distance
#: (so larger is more similar and a threshold keeps the closest pairs).
METRICS: tuple[str, ...] = ("cosine", "dot", "euclidean")
CONTRIBUTION_METRICS: tuple[str, ...] = ("cosine", "dot")
_METRIC_NAMES = {"cosine": "cosine", "dot": "dot", "euclidean": "\u2212euclidean distance"}

#: Above this many sentences the axes carry no tick labels (they would overlap into a smear);
#: hover still names both sentences.
MAX_TICK_LABELS = 300
#: Cluster blocks are outlined only when there are at most this many contiguous runs.
MAX_BLOCK_OUTLINES = 60
#: Hover lines are wrapped at this many characters.
HOVER_WRAP = 80


def _check_order(order: Sequence[int] | np.ndarray, n: int, owner: str) -> np.ndarray:
    idx = np.asarray(order)
    if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer) or idx.shape[0] != n:
        raise ValueError(
            f"The 'order' parameter of {owner} must be a permutation of range({n}) "
            f"(1-D integers, length {n}). Got an array of shape {idx.shape} and dtype "
            f"{idx.dtype} instead."
        )
    if not np.array_equal(np.sort(idx), np.arange(n)):
        raise ValueError(
            f"The 'order' parameter of {owner} must be a permutation of range({n}): each row "
            f"index exactly once. Got repeated or out-of-range indices instead."
        )
    return idx.astype(np.intp)


def _check_ids(ids: Sequence[int] | np.ndarray, n: int, owner: str) -> np.ndarray:
    arr = np.asarray(ids)
    if arr.ndim != 1 or arr.shape[0] != n or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(
            f"The 'ids' parameter of {owner} must be {n} integers, one per row of the matrix. "
            f"Got an array of shape {arr.shape} and dtype {arr.dtype} instead."
        )
    if (arr < 0).any() or np.unique(arr).shape[0] != n:
        raise ValueError(
            f"The 'ids' parameter of {owner} must be unique non-negative integers (they name "
            "the rows in hover). Got repeated or negative ids instead."
        )
    return arr.astype(np.int64)


def _blocks(labels: Sequence[str]) -> list[tuple[int, int, str]]:
    """Contiguous runs of equal labels as (start, stop, label), stop exclusive."""
    runs: list[tuple[int, int, str]] = []
    start = 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[start]:
            runs.append((start, i, labels[start]))
            start = i
    return runs


def similarity_heatmap(
    matrix: np.ndarray,
    texts: Sequence[str],
    *,
    labels: Sequence[str] | None = None,
    order: Sequence[int] | np.ndarray | None = None,
    threshold: float | None = None,
    metric: SimilarityMetric = "cosine",
    provenance: Provenance | str | None = None,
    title: str | None = None,
    max_label_chars: int = 40,
    ids: Sequence[int] | np.ndarray | None = None,
) -> go.Figure:
    """Heatmap of a sentence x sentence similarity matrix.

    Parameters
    ----------
    matrix : ndarray of shape (n_texts, n_texts)
        Similarities, row i and column j for ``texts[i]`` and ``texts[j]``. Shown as float32.
    texts : list of str of length n_texts
        The sentences. Hover shows both sentences of a cell in full (escaped, wrapped).
    labels : list of str of length n_texts, optional
        A group per sentence (e.g. a cluster). Shown in hover; when ``order`` makes groups
        contiguous, each group's diagonal block is outlined.
    order : permutation of range(n_texts), optional
        Row/column order to display (e.g. by cluster, computed in ``smallbert_viz.analysis``).
        Row k of the figure is ``texts[order[k]]``.
    threshold : float, optional
        Cells with a value below it are masked (drawn grey, no hover).
    metric : {"cosine", "dot", "euclidean"}
        What the numbers are; names the colour bar and the hover value. For "euclidean" the
        matrix holds negative distances, as ``smallbert_viz.analysis.similarity_matrix`` makes.
    provenance : Provenance or str, optional
        One line (``Provenance.describe()``) shown as the subtitle.
    title : str, optional
        Figure title; default ``"Sentence similarity (<metric>)"``.
    max_label_chars : int
        Tick labels are truncated to this many characters. Above 300 sentences the axes carry
        no tick labels.
    ids : sequence of int of length n_texts, optional
        The number shown for each row in hover and the category names (``"#<id>"``), e.g. the
        original sentence indices when ``matrix`` is a sample of a larger corpus. Must be
        unique non-negative integers. Default ``0 .. n_texts - 1``.

    Returns
    -------
    plotly.graph_objects.Figure
        One ``Heatmap`` trace; ``fig.data[0].z`` is the (reordered, masked) float32 matrix.
    """
    import plotly.graph_objects as go

    owner = "similarity_heatmap"
    z = as_float32(matrix, "matrix", owner, ndim=2)
    n = z.shape[0]
    if z.shape != (n, n) or n == 0:
        raise ValueError(
            f"The 'matrix' parameter of {owner} must be a non-empty square array of shape "
            f"(n_texts, n_texts). Got shape {z.shape} instead."
        )
    texts = check_str_list(texts, n, "texts", owner, "row of the matrix")
    if labels is not None:
        labels = check_str_list(labels, n, "labels", owner, "row of the matrix")
    metric = check_choice("metric", metric, METRICS, owner)
    max_label_chars = check_int("max_label_chars", max_label_chars, owner, low=4)
    if threshold is not None:
        threshold = check_float("threshold", threshold, owner)

    row_ids = np.arange(n) if ids is None else _check_ids(ids, n, owner)
    idx = np.arange(n) if order is None else _check_order(order, n, owner)
    if order is not None:
        z = np.ascontiguousarray(z[np.ix_(idx, idx)])
    shown_labels = None if labels is None else [labels[i] for i in idx]

    if threshold is not None:
        # NaN cells are gaps: plotly.js leaves them unpainted, so the grey plot background
        # shows through, and hoverongaps=False gives them no hover box.
        z = np.where(z >= threshold, z, np.float32(np.nan)).astype(np.float32)

    # Category names: unique (they carry the original row index) and shown in hover.
    cats = []
    for k, i in enumerate(idx):
        group = "" if shown_labels is None else f" [{escape_text(shown_labels[k])}]"
        cats.append(f"#{int(row_ids[i])}{group}: {safe_wrapped(texts[i], width=HOVER_WRAP)}")

    metric_name = escape_text(_METRIC_NAMES[metric])
    heat = go.Heatmap(
        z=z,
        x=cats,
        y=cats,
        colorscale="Viridis",
        colorbar={"title": {"text": metric_name}},
        hoverongaps=False,
        hovertemplate=(
            "<b>row</b> %{y}<br><b>column</b> %{x}<br>"
            f"<b>{metric_name}</b>: %{{z:.4f}}<extra></extra>"
        ),
        hoverlabel={"align": "left"},
        name="similarity",
    )
    fig = go.Figure(heat)

    show_ticks = n <= MAX_TICK_LABELS
    axis = {
        "type": "category",
        "showticklabels": show_ticks,
        "showgrid": False,
        "zeroline": False,
    }
    if show_ticks:
        # Serial positions as tickvals (category axes accept them) keep the payload to one
        # short string per sentence.
        axis |= {
            "tickmode": "array",
            "tickvals": list(range(n)),
            "ticktext": [safe_short(texts[i], max_label_chars) for i in idx],
            "tickfont": {"size": 9 if n > 40 else 11},
        }
    fig.update_xaxes(axis | {"tickangle": -45, "constrain": "domain"})
    fig.update_yaxes(axis | {"autorange": "reversed", "scaleanchor": "x", "constrain": "domain"})

    notes = []
    if threshold is not None:
        fig.update_layout(plot_bgcolor=MASK_GREY)
        hidden = int(np.count_nonzero(np.isnan(z)))
        notes.append(
            f"cells below {threshold:g} greyed out ({hidden} of {n * n})"
            if hidden
            else f"threshold {threshold:g}: no cell below it"
        )
    if order is not None:
        notes.append("rows and columns reordered")
    if shown_labels is not None:
        runs = _blocks(shown_labels)
        if 1 < len(runs) <= MAX_BLOCK_OUTLINES:
            for start, stop, _ in runs:
                fig.add_shape(
                    type="rect",
                    x0=start - 0.5,
                    x1=stop - 0.5,
                    y0=start - 0.5,
                    y1=stop - 0.5,
                    xref="x",
                    yref="y",
                    line={"color": "white", "width": 1.5},
                    fillcolor="rgba(0,0,0,0)",
                )
    if n > MAX_TICK_LABELS:
        notes.append(f"{n} sentences: tick labels hidden, hover for text")

    size = 300 + min(n, MAX_TICK_LABELS) * (6 if n > 40 else 14)
    fig.update_layout(width=min(size + 250, NOTEBOOK_WIDTH), height=min(size + 120, 1000))
    return apply_layout(
        fig,
        title=title or f"Sentence similarity ({metric})",
        provenance=provenance,
        extra_subtitle="; ".join(escape_text(s) for s in notes) or None,
    )


def contribution_heatmap(
    matrix: np.ndarray,
    tokens_a: Sequence[str],
    tokens_b: Sequence[str],
    *,
    total: float,
    metric: Literal["cosine", "dot"] = "cosine",
    provenance: Provenance | str | None = None,
    title: str | None = None,
) -> go.Figure:
    """Token x token contributions to the similarity of one sentence pair.

    Parameters
    ----------
    matrix : ndarray of shape (n_tokens_a, n_tokens_b)
        Contribution of token i of sentence A and token j of sentence B (for mean pooling these
        sum to the pair's score; see ``smallbert_viz.analysis``).
    tokens_a, tokens_b : list of str
        Tokens of sentence A (rows) and of sentence B (columns).
    total : float
        The pair's similarity; shown in the title. The subtitle also shows the sum of the
        cells, so a decomposition that does not add up is visible.
    metric : {"cosine", "dot"}
    provenance : Provenance or str, optional
    title : str, optional
        As in :func:`similarity_heatmap`. The total is always appended to the title.

    Returns
    -------
    plotly.graph_objects.Figure
        One ``Heatmap`` trace with a diverging colour scale centred at 0 (``zmid=0``).
    """
    import plotly.graph_objects as go

    owner = "contribution_heatmap"
    z = as_float32(matrix, "matrix", owner, ndim=2)
    if 0 in z.shape:
        raise ValueError(
            f"The 'matrix' parameter of {owner} must be non-empty. Got shape {z.shape} instead."
        )
    tokens_a = check_str_list(tokens_a, z.shape[0], "tokens_a", owner, "row of the matrix")
    tokens_b = check_str_list(tokens_b, z.shape[1], "tokens_b", owner, "column of the matrix")
    metric = check_choice("metric", metric, CONTRIBUTION_METRICS, owner)
    total = check_float("total", total, owner)

    cats_a, ticks_a = token_categories(tokens_a)
    cats_b, ticks_b = token_categories(tokens_b)
    bound = float(np.nanmax(np.abs(z))) or 1.0
    heat = go.Heatmap(
        z=z,
        x=cats_b,
        y=cats_a,
        colorscale="RdBu_r",
        zmid=0.0,
        zmin=-bound,
        zmax=bound,
        colorbar={"title": {"text": "contribution"}},
        hovertemplate=(
            "<b>A</b>: %{y}<br><b>B</b>: %{x}<br><b>contribution</b>: %{z:.4g}<extra></extra>"
        ),
        name="contributions",
    )
    fig = go.Figure(heat)
    small = max(z.shape) <= 200
    xaxis = {"type": "category", "showgrid": False, "showticklabels": small, "tickangle": -60}
    yaxis = {"type": "category", "showgrid": False, "showticklabels": small}
    if small:
        xaxis |= {"tickmode": "array", "tickvals": list(range(len(ticks_b))), "ticktext": ticks_b}
        yaxis |= {"tickmode": "array", "tickvals": list(range(len(ticks_a))), "ticktext": ticks_a}
    fig.update_xaxes(xaxis, title_text="sentence B tokens")
    fig.update_yaxes(yaxis, title_text="sentence A tokens", autorange="reversed")
    fig.update_layout(
        width=int(np.clip(300 + 22 * z.shape[1], 600, NOTEBOOK_WIDTH)),
        height=int(np.clip(250 + 22 * z.shape[0], 450, 1000)),
    )
    cell_sum = float(np.nansum(z, dtype=np.float64))
    head = title or "Token contributions"
    return apply_layout(
        fig,
        title=f"{head}: {metric} = {total:.4f}",
        provenance=provenance,
        extra_subtitle=escape_text(
            f"rows: sentence A, columns: sentence B; cells sum to {cell_sum:.4f}"
        ),
    )
