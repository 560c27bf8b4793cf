"""Two models side by side: their aligned 2-D layouts of the same sentences, in one figure.

Linked selection. Every point's ``customdata`` is its row (sentence) index, in both panels and
in every trace, and both panels share their axis ranges (``xaxis2.matches = "x"``), so zooming
one zooms the other. ``selected=`` sets plotly's ``selectedpoints`` on every trace of both
panels (the static figure, e.g. in a report, opens with those sentences highlighted in both
layouts). A view links a live selection the same way: on a selection in any trace, read the
row ids (``trace.customdata[points.point_inds]``), then give every trace of the figure
``selectedpoints = selected_points(fig, rows)[i]``, which the lasso in one panel then also
shows in the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from smallbert_viz._validation import check_float, check_str_list
from smallbert_viz.figures._common import (
    apply_layout,
    as_float32,
    escape_text,
    safe_short,
    safe_wrapped,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: Colour scale of the neighbour overlap (0: no shared neighbour, 1: all shared).
OVERLAP_COLORSCALE = "RdYlBu"
#: Distinct label colours, the same in both panels (a label keeps its colour across panels).
MAX_LABEL_GROUPS = 256


def _rows(values: Sequence[int] | np.ndarray, n: int, name: str, owner: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.size == 0:
        return np.zeros(0, np.int64)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(
            f"The {name!r} parameter of {owner} must be a 1-D sequence of row indices (int). "
            f"Got an array of shape {arr.shape} and dtype {arr.dtype} instead."
        )
    bad = arr[(arr < 0) | (arr >= n)]
    if bad.size:
        raise ValueError(
            f"The {name!r} parameter of {owner} must hold row indices in [0, {n - 1}]. Got "
            f"{int(bad[0])} instead."
        )
    return np.unique(arr.astype(np.int64))


def selected_points(fig: go.Figure, rows: Sequence[int] | np.ndarray) -> list[list[int]]:
    """For each trace of ``fig``, the positions of its points whose row id is in ``rows``.

    Assign ``fig.data[i].selectedpoints = result[i]`` to show one selection in every trace
    (see the module docstring). Traces without ``customdata`` get an empty list.
    """
    wanted = np.asarray(list(rows), dtype=np.int64)
    out = []
    for trace in fig.data:
        ids = getattr(trace, "customdata", None)
        ids = np.zeros(0, np.int64) if ids is None else np.asarray(ids).reshape(len(ids), -1)[:, 0]
        out.append(np.flatnonzero(np.isin(ids, wanted)).tolist())
    return out


def comparison_scatter(
    coords_a: np.ndarray,
    coords_b: np.ndarray,
    texts: Sequence[str],
    *,
    overlap: np.ndarray | None = None,
    labels: Sequence[str] | None = None,
    names: Sequence[str] = ("model A", "model B"),
    cka: float | None = None,
    selected: Sequence[int] | np.ndarray | None = None,
    provenance: str | None = None,
    title: str | None = None,
    method_description: str | None = None,
) -> go.Figure:
    """Side-by-side scatters of two models' aligned 2-D layouts of the same sentences.

    Parameters
    ----------
    coords_a, coords_b : ndarray of shape (n_texts, 2)
        Model A's layout and model B's layout aligned onto it (``ModelComparison.coords_a``,
        ``.coords_b``); row i is ``texts[i]`` in both.
    texts : list of str of length n_texts
        Shown (escaped, cut to 200 characters) in hover.
    overlap : ndarray of shape (n_texts,), optional
        Per-sentence neighbour overlap in [0, 1]; colours the points when no ``labels`` are
        given (one shared colour bar) and is shown in hover.
    labels : list of str of length n_texts, optional
        A group per sentence: one trace per label and panel, the same colour in both panels,
        one legend entry per label (clicking it hides the group in both panels).
    names : pair of str
        The two panel titles (e.g. the models' names).
    cka : float, optional
        Linear CKA between the two embeddings, shown in the subtitle.
    selected : sequence of int, optional
        Row indices selected in both panels from the start (plotly ``selectedpoints``).
    provenance : str, optional
        One line (``ModelComparison.describe()``) shown as the subtitle.
    title : str, optional
        Default ``"Two models, the same sentences"``.
    method_description : str, optional
        How the layouts were made and aligned (``ModelComparison.projection``).

    Returns
    -------
    plotly.graph_objects.Figure
        Panel A traces on axes ``x``/``y``, panel B traces on ``x2``/``y2``; every trace's
        ``customdata`` holds the row indices (int32) of its points.
    """
    import plotly.graph_objects as go
    from plotly.colors import qualitative
    from plotly.subplots import make_subplots

    from smallbert_viz.figures.projection import (
        HOVER_MAX_CHARS,
        WEBGL_THRESHOLD,
        _marker_size,
    )

    owner = "comparison_scatter"
    xy_a = as_float32(coords_a, "coords_a", owner, ndim=2)
    xy_b = as_float32(coords_b, "coords_b", owner, ndim=2)
    n = xy_a.shape[0]
    for name, xy in (("coords_a", xy_a), ("coords_b", xy_b)):
        if xy.shape != (n, 2) or n == 0:
            raise ValueError(
                f"The {name!r} parameter of {owner} must have shape (n_texts, 2), the same for "
                f"both models. Got shapes {xy_a.shape} and {xy_b.shape} instead."
            )
    texts = check_str_list(texts, n, "texts", owner, "row of coords")
    if labels is not None:
        labels = check_str_list(labels, n, "labels", owner, "row of coords")
    names = check_str_list(names, 2, "names", owner, "panel")
    ov = None
    if overlap is not None:
        ov = as_float32(overlap, "overlap", owner, ndim=1)
        if ov.shape[0] != n or not np.isfinite(ov).all() or ov.min() < 0 or ov.max() > 1:
            raise ValueError(
                f"The 'overlap' parameter of {owner} must hold {n} values in [0, 1], one per "
                f"sentence. Got shape {ov.shape} with values from {np.nanmin(ov):g} to "
                f"{np.nanmax(ov):g} instead."
            )
    if cka is not None:
        cka = check_float("cka", cka, owner, low=0.0, high=1.0)
    sel = None if selected is None else _rows(selected, n, "selected", owner)

    hover = [safe_wrapped(t, width=80, max_chars=HOVER_MAX_CHARS) for t in texts]
    if ov is not None:
        hover = [f"{h}<br>shared neighbours: {v:.0%}" for h, v in zip(hover, ov, strict=True)]
    hover_arr = np.array(hover, dtype=object)
    size = _marker_size(n)
    trace_cls = go.Scattergl if n > WEBGL_THRESHOLD else go.Scatter

    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=[f"A: {safe_short(names[0], 60)}", f"B: {safe_short(names[1], 60)}"],
        horizontal_spacing=0.06,
    )

    def add(rows: np.ndarray, col: int, name: str, template: str, marker: dict, **kw) -> None:
        xy = xy_a if col == 1 else xy_b
        trace = trace_cls(
            x=xy[rows, 0],
            y=xy[rows, 1],
            customdata=rows.astype(np.int32),
            hovertext=hover_arr[rows].tolist(),
            hovertemplate=template,
            mode="markers",
            name=name,
            marker={"size": size} | marker,
            hoverlabel={"align": "left"},
            **kw,
        )
        if sel is not None:
            trace.selectedpoints = np.flatnonzero(np.isin(rows, sel)).tolist()
        fig.add_trace(trace, row=1, col=col)

    if labels is not None:
        lab = np.asarray(labels, dtype=object)
        uniq, first = np.unique(lab.astype(str), return_index=True)
        if uniq.size > MAX_LABEL_GROUPS:
            raise ValueError(
                f"The 'labels' parameter of {owner} must have at most {MAX_LABEL_GROUPS} distinct "
                f"values (two traces each). Got {uniq.size} instead; group rare labels first."
            )
        palette = qualitative.Plotly
        for i, label in enumerate(uniq[np.argsort(first)]):
            rows = np.flatnonzero(lab == label)
            safe = escape_text(label)
            for col in (1, 2):
                add(
                    rows,
                    col,
                    safe_short(label, 40),
                    f"%{{hovertext}}<br>#%{{customdata}} · label: {safe} · "
                    f"{'A' if col == 1 else 'B'}<extra></extra>",
                    {"color": palette[i % len(palette)]},
                    legendgroup=f"label {i}",
                    showlegend=col == 1,
                )
        fig.update_layout(legend={"title": {"text": "label"}, "itemsizing": "constant"})
    else:
        for col in (1, 2):
            marker: dict = {"color": "#1f77b4"}
            if ov is not None:
                marker = {"color": ov, "coloraxis": "coloraxis"}
            add(
                np.arange(n),
                col,
                names[col - 1],
                f"%{{hovertext}}<br>#%{{customdata}} · {'A' if col == 1 else 'B'}<extra></extra>",
                marker,
                showlegend=False,
            )
        if ov is not None:
            fig.update_layout(
                coloraxis={
                    "colorscale": OVERLAP_COLORSCALE,
                    "cmin": 0.0,
                    "cmax": 1.0,
                    "colorbar": {"title": {"text": "shared<br>neighbours"}},
                }
            )
    # One frame for both panels: B is aligned onto A, and zooming one zooms the other.
    fig.update_layout(
        xaxis2={"matches": "x"},
        yaxis2={"matches": "y"},
        hovermode="closest",
        dragmode="lasso",
        width=1200,
        height=620,
    )
    fig.update_xaxes(zeroline=False, showticklabels=False)
    fig.update_yaxes(zeroline=False, showticklabels=False)

    notes = []
    if method_description:
        notes.append(method_description)
    stats = []
    if ov is not None:
        stats.append(f"mean share of shared neighbours {float(ov.mean()):.3f}")
    if cka is not None:
        stats.append(f"linear CKA {cka:.3f}")
    if stats:
        notes.append(", ".join(stats))
    if sel is not None:
        notes.append(f"{sel.size} sentences selected in both panels")
    extra = "<br>".join(safe_wrapped(note, width=140) for note in notes) or None
    return apply_layout(
        fig,
        title=title or "Two models, the same sentences",
        provenance=provenance,
        extra_subtitle=extra,
    )
