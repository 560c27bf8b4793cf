"""Scatter of projected sentence embeddings (2-D or 3-D), coloured by label.

The projection itself (UMAP, PCA, ...) is computed in ``smallbert_viz.analysis``; this module only
draws coordinates. Every point's ``customdata`` is its row index in ``coords`` (int32), so click
and selection callbacks map points back to sentences whatever trace they belong to.

Payload per point, kept small so 50,000 points stay responsive: x, y (and z) as float32, the
row index as int32 (all written base64 by plotly), and one short hover string. The hover string
is the escaped sentence cut to 200 characters, or to 100 characters above 20,000 points; the
label is not repeated per point but written once in each trace's ``hovertemplate``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from smallbert_viz._validation import check_str_list
from smallbert_viz.figures._common import (
    apply_layout,
    as_float32,
    escape_text,
    safe_short,
    safe_wrapped,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from smallbert_viz.provenance import Provenance

#: 2-D scatters with more points than this use WebGL (``Scattergl``) instead of SVG.
WEBGL_THRESHOLD = 2_000
#: Hover text is cut to this many characters ...
HOVER_MAX_CHARS = 200
#: ... or to this many above LARGE_N points, to keep the figure's JSON small.
HOVER_MAX_CHARS_LARGE = 100
LARGE_N = 20_000
#: One trace per label; beyond this many distinct labels the legend is useless and the
#: trace count slows plotly.js down, so the builder refuses.
MAX_LABEL_GROUPS = 256


def label_axes(fig: go.Figure, dims: int) -> None:
    """Name a layout's axes "dim 1", "dim 2" ("dim 3" in a 3-D scene); no zero lines in 2-D."""
    if dims == 3:
        fig.update_layout(
            scene={
                "xaxis": {"title": {"text": "dim 1"}},
                "yaxis": {"title": {"text": "dim 2"}},
                "zaxis": {"title": {"text": "dim 3"}},
            }
        )
    else:
        fig.update_xaxes(title_text="dim 1", zeroline=False)
        fig.update_yaxes(title_text="dim 2", zeroline=False)


def _marker_size(n: int) -> float:
    if n <= 500:
        return 7.0
    if n <= 5_000:
        return 5.0
    if n <= 20_000:
        return 3.5
    return 2.5


def projection_scatter(
    coords: np.ndarray,
    texts: Sequence[str],
    *,
    labels: Sequence[str] | None = None,
    highlight: Sequence[int] | np.ndarray | None = None,
    provenance: Provenance | str | None = None,
    title: str | None = None,
    method_description: str | None = None,
) -> go.Figure:
    """Scatter plot of 2-D or 3-D coordinates, one point per sentence.

    Parameters
    ----------
    coords : ndarray of shape (n_texts, 2) or (n_texts, 3)
        Projected coordinates; 3 columns give a ``Scatter3d``. Shown as float32.
    texts : list of str of length n_texts
        Sentences, shown (escaped, cut to 200 characters) in hover.
    labels : list of str of length n_texts, optional
        A group per point; gives one trace per distinct label, in order of first appearance,
        coloured by the template's colour cycle. Without it, a single trace.
    highlight : sequence of int, optional
        Row indices to emphasise (e.g. a query's nearest neighbours), drawn on top as one extra
        trace named ``"highlighted"`` with bigger outlined markers.
    provenance : Provenance or str, optional
        One line (``Provenance.describe()``) shown as the subtitle.
    title : str, optional
        Figure title; default ``"Sentence embeddings, 2-D projection"`` (or 3-D).
    method_description : str, optional
        How the coordinates were made (e.g. ``"UMAP n_neighbors=15 min_dist=0.1 seed=0"``),
        shown in the subtitle before the provenance.

    Returns
    -------
    plotly.graph_objects.Figure
        Traces are ``Scatter`` (2-D, up to 2,000 points), ``Scattergl`` (2-D, more points) or
        ``Scatter3d``. Each trace's ``customdata`` holds the row indices of its points.
    """
    import plotly.graph_objects as go

    owner = "projection_scatter"
    xyz = as_float32(coords, "coords", owner, ndim=2)
    n, dims = xyz.shape
    if dims not in (2, 3):
        raise ValueError(
            f"The 'coords' parameter of {owner} must have 2 or 3 columns (shape (n_texts, 2) or "
            f"(n_texts, 3)). Got shape {xyz.shape} instead; project to 2 or 3 dimensions first."
        )
    if n == 0:
        raise ValueError(f"The 'coords' parameter of {owner} must hold at least one point.")
    texts = check_str_list(texts, n, "texts", owner, "row of coords")
    if labels is not None:
        labels = check_str_list(labels, n, "labels", owner, "row of coords")
    hl = None
    if highlight is not None:
        hl = np.asarray(highlight)
        if hl.size and (hl.ndim != 1 or not np.issubdtype(hl.dtype, np.integer)):
            raise TypeError(
                f"The 'highlight' parameter of {owner} must be a 1-D sequence of row indices "
                f"(int). Got an array of shape {hl.shape} and dtype {hl.dtype} instead."
            )
        hl = hl.astype(np.int64).reshape(-1)
        bad = hl[(hl < 0) | (hl >= n)]
        if bad.size:
            raise ValueError(
                f"The 'highlight' parameter of {owner} must hold row indices in [0, {n - 1}]. "
                f"Got {int(bad[0])} instead."
            )
        hl = np.unique(hl)  # sorted, each point once

    max_chars = HOVER_MAX_CHARS if n <= LARGE_N else HOVER_MAX_CHARS_LARGE
    hover = np.array([safe_wrapped(t, width=80, max_chars=max_chars) for t in texts], dtype=object)
    size = _marker_size(n)
    trace_cls = go.Scatter3d if dims == 3 else (go.Scattergl if n > WEBGL_THRESHOLD else go.Scatter)

    def make_trace(rows: np.ndarray, name: str, template: str, **marker_kw) -> go.BaseTraceType:
        kw = {
            "x": xyz[rows, 0],
            "y": xyz[rows, 1],
            "customdata": rows.astype(np.int32),
            "hovertext": hover[rows].tolist(),
            "hovertemplate": template,
            "mode": "markers",
            "name": name,
            "marker": {"size": size} | marker_kw,
            "hoverlabel": {"align": "left"},
        }
        if dims == 3:
            kw["z"] = xyz[rows, 2]
        return trace_cls(**kw)

    fig = go.Figure()
    if labels is None:
        rows = np.arange(n)
        fig.add_trace(
            make_trace(rows, "sentences", "%{hovertext}<br>#%{customdata}<extra></extra>")
        )
        fig.update_layout(showlegend=False)
    else:
        # np.unique(return_index) gives first appearances; sort them to keep input order.
        lab = np.asarray(labels, dtype=object)
        uniq, first = np.unique(lab.astype(str), return_index=True)
        if uniq.size > MAX_LABEL_GROUPS:
            raise ValueError(
                f"The 'labels' parameter of {owner} must have at most {MAX_LABEL_GROUPS} distinct "
                f"values (one trace each). Got {uniq.size} instead; group rare labels (e.g. into "
                f"'other') before plotting."
            )
        for name in uniq[np.argsort(first)]:
            rows = np.flatnonzero(lab == name)
            safe = escape_text(name)
            fig.add_trace(
                make_trace(
                    rows,
                    safe_short(name, 40),
                    f"%{{hovertext}}<br>#%{{customdata}} · label: {safe}<extra></extra>",
                )
            )
        fig.update_layout(legend={"title": {"text": "label"}, "itemsizing": "constant"})

    if hl is not None and hl.size:
        fig.add_trace(
            make_trace(
                hl,
                "highlighted",
                "%{hovertext}<br>#%{customdata} · highlighted<extra></extra>",
                size=max(size * 2.2, 10.0),
                color="rgba(255,215,0,0.9)",
                line={"color": "black", "width": 1.5},
                symbol="circle",
            )
        )
        fig.update_layout(showlegend=True)

    label_axes(fig, dims)
    fig.update_layout(hovermode="closest", dragmode="lasso" if dims == 2 else "orbit")
    fig.update_layout(width=900, height=700)
    note = f"{n:,} points" + ("" if method_description is None else f"; {method_description}")
    return apply_layout(
        fig,
        title=title or f"Sentence embeddings, {dims}-D projection",
        provenance=provenance,
        extra_subtitle=escape_text(note),
    )
