"""The projection scatter at scale: every per-point array binary, no text in the figure.

Above ``smallbert_viz.views.large_scatter.LARGE_POINTS`` points the projection explorer draws
this figure instead of :func:`smallbert_viz.figures.projection_scatter`, whose per-point hover
texts (one JSON string per sentence) and one trace per label cost hundreds of MB of widget state
at a million points.
Here:

* one WebGL trace holds every point, its point number being the row: ``x``, ``y`` (``z``) are
  float32 arrays and the colours int32 label codes, which plotly's widget sends as binary
  buffers (1-D numeric numpy arrays become typed arrays in the browser);
* the legend is one list: an empty trace per label, in order of first appearance, that only
  names a colour (clicking it hides nothing, so it is switched off);
* hover shows no text from the figure (``hoverinfo="none"``): the front end asks the kernel
  for the hovered row's text (see ``widgets/_event_figure.py``);
* highlighted rows (a query's neighbours, a near-duplicate pair) are one small extra trace
  whose ``customdata`` holds their rows and whose hover text is escaped here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from smallbert_viz.provenance import Provenance

#: Legend rows shown; further labels keep their colour but are summed up in one row.
LEGEND_MAX = 40
#: plotly's default colour cycle (the plotly_white template's colorway).
PALETTE = (
    "#636efa", "#EF553B", "#00cc96", "#ab63fa", "#FFA15A",
    "#19d3f3", "#FF6692", "#B6E880", "#FF97FF", "#FECB52",
)  # fmt: skip


def label_codes(labels: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Labels as int32 codes and the list they index, in order of first appearance.

    Returns
    -------
    codes : ndarray of shape (N,), int32
    names : list of str
        ``names[codes[i]] == labels[i]``.
    """
    index: dict[str, int] = {}
    codes = np.fromiter(
        (index.setdefault(label, len(index)) for label in labels), dtype=np.int32, count=len(labels)
    )
    return codes, list(index)


def _colorscale(groups: int) -> list[list[Any]]:
    """A stepped colour scale: code ``i`` (with cmin=-0.5, cmax=groups-0.5) gets colour i."""
    if groups == 1:
        return [[0.0, PALETTE[0]], [1.0, PALETTE[0]]]
    scale = []
    for i in range(groups):
        colour = PALETTE[i % len(PALETTE)]
        scale += [[i / groups, colour], [(i + 1) / groups, colour]]
    return scale


def large_scatter(
    coords: np.ndarray,
    *,
    codes: np.ndarray | None = None,
    names: Sequence[str] | None = None,
    highlight: np.ndarray | None = None,
    highlight_texts: Sequence[str] | None = None,
    provenance: Provenance | str | None = None,
    title: str,
    method_description: str | None = None,
    rows: np.ndarray | None = None,
) -> go.Figure:
    """The scatter of ``coords`` with binary per-point arrays and no per-point text.

    Parameters
    ----------
    coords : ndarray of shape (N, 2) or (N, 3)
        Drawn as float32 (3 columns: ``Scatter3d``, else ``Scattergl``).
    codes : ndarray of shape (N,), int, optional
        Colour group per point (from :func:`label_codes`); None: one colour.
    names : list of str, optional
        The group names ``codes`` index (shown escaped in the legend).
    highlight : ndarray of int, optional
        Rows drawn on top as a trace named "highlighted" (``customdata`` = rows).
    highlight_texts : list of str, optional
        Their sentences (escaped here) for that trace's hover.
    provenance, title, method_description :
        As in :func:`smallbert_viz.figures.projection_scatter`.
    rows : ndarray of int, optional
        Draw only these rows (a static sample); the main trace's ``customdata`` then holds them.

    Returns
    -------
    plotly.graph_objects.Figure
        Trace 0 holds the points (point number = row unless ``rows`` is given), then one
        empty trace per legend entry, then the highlight trace if any.
    """
    import plotly.graph_objects as go

    from smallbert_viz.figures._common import apply_layout, escape_text, safe_short, safe_wrapped
    from smallbert_viz.figures.projection import label_axes

    xyz = np.asarray(coords, dtype=np.float32)
    dims = xyz.shape[1]
    if rows is not None:
        xyz = xyz[rows]
        codes = None if codes is None else codes[rows]
    trace_cls = go.Scatter3d if dims == 3 else go.Scattergl
    marker: dict[str, Any] = {"size": 2.0 if len(xyz) > 200_000 else 3.0, "opacity": 0.8}
    groups = 0 if codes is None else len(names or [])
    if codes is not None and groups:
        marker |= {
            "color": np.ascontiguousarray(codes, dtype=np.int32),
            "colorscale": _colorscale(groups),
            "cmin": -0.5,
            "cmax": groups - 0.5,
            "showscale": False,
        }
    else:
        marker["color"] = PALETTE[0]

    def axes(arr: np.ndarray) -> dict[str, np.ndarray]:
        out = {"x": np.ascontiguousarray(arr[:, 0]), "y": np.ascontiguousarray(arr[:, 1])}
        if dims == 3:
            out["z"] = np.ascontiguousarray(arr[:, 2])
        return out

    main: dict[str, Any] = {"mode": "markers", "name": "sentences", "marker": marker}
    if rows is None:
        main["hoverinfo"] = "none"  # the widget asks the kernel for the hovered row's text
    else:
        main["customdata"] = np.asarray(rows, dtype=np.int32)
        main["hovertemplate"] = "#%{customdata}<extra></extra>"
    fig = go.Figure(trace_cls(**axes(xyz), **main))
    shown = min(groups, LEGEND_MAX)
    for i in range(shown):
        name = safe_short(names[i], 40)  # type: ignore[index]
        if i == shown - 1 and groups > shown:
            name = f"{groups - shown + 1:,} more labels (colours repeat)"
        empty = {"x": [None], "y": [None]} | ({"z": [None]} if dims == 3 else {})
        fig.add_trace(
            trace_cls(
                **empty,
                mode="markers",
                name=name,
                marker={"color": PALETTE[i % len(PALETTE)], "size": 8},
                hoverinfo="skip",
            )
        )
    if highlight is not None and len(highlight):
        hl = np.asarray(highlight, dtype=np.int64)
        hover = [safe_wrapped(t, width=80, max_chars=200) for t in (highlight_texts or [])]
        fig.add_trace(
            trace_cls(
                **axes(np.asarray(coords, dtype=np.float32)[hl]),
                mode="markers",
                name="highlighted",
                customdata=hl.astype(np.int32),
                hovertext=hover or None,
                hovertemplate="%{hovertext}<br>#%{customdata} · highlighted<extra></extra>",
                marker={
                    "size": 10,
                    "color": "rgba(255,215,0,0.9)",
                    "line": {"color": "black", "width": 1.5},
                },
            )
        )
    fig.update_layout(
        showlegend=bool(groups) or highlight is not None and len(highlight) > 0,
        legend={
            "title": {"text": "label" if groups else ""},
            "itemsizing": "constant",
            "itemclick": False,
            "itemdoubleclick": False,
        },
        dragmode="lasso" if dims == 2 else None,
    )
    label_axes(fig, dims)
    extra = []
    if method_description:
        extra.append(escape_text(method_description))
    if rows is not None:
        extra.append(f"static copy: a sample of {len(rows):,} of {len(coords):,} points")
    return apply_layout(
        fig, title=title, provenance=provenance, extra_subtitle="<br>".join(extra) or None
    )
