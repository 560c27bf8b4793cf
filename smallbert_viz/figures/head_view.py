"""``head_view``: one attention map drawn as lines between tokens, bertviz-style, in plotly."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from smallbert_viz._validation import check_float, check_str_list
from smallbert_viz.figures._common import apply_layout, escape_text, safe_short
from smallbert_viz.figures.attention import _as_map

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from smallbert_viz.provenance import Provenance

#: Token labels are drawn up to this many tokens.
HEAD_VIEW_TEXT_MAX = 200
#: Line opacities are rounded to multiples of this; one trace per opacity.
OPACITY_STEP = 0.05


def _top_text(weights: np.ndarray, tokens: list[str], k: int = 5) -> str:
    top = np.argsort(-weights, kind="stable")[:k]
    return "<br>".join(
        f"&#160;&#160;{safe_short(tokens[j], 25)} (#{j}) {weights[j]:.3f}" for j in top
    )


def head_view(
    matrix: np.ndarray,
    tokens: Sequence[str],
    *,
    provenance: Provenance | str | None = None,
    title: str | None = None,
    min_weight: float = 0.02,
) -> go.Figure:
    """bertviz-like view of one attention map: lines from each token to the tokens it attends to.

    Tokens are listed twice, "from" on the left (x = 0) and "to" on the right (x = 1); token i
    sits at y = i (axis reversed, first token on top). A line joins from-token i to to-token j
    when ``matrix[i, j] >= min_weight``; its opacity is the weight rounded up to a multiple of
    ``OPACITY_STEP`` (0.05), and all lines of one opacity form one trace, so a 512-token map
    needs at most 20 line traces whatever the number of lines.

    Parameters
    ----------
    matrix : ndarray of shape (n_tokens, n_tokens)
        One head or an average; row = from-token.
    tokens : list of str of length n_tokens
    provenance : Provenance or str, optional
    title : str, optional
        Subtitle line and title (default ``"Attention head view"``).
    min_weight : float in [0, 1]
        Weights below it draw no line.

    Returns
    -------
    plotly.graph_objects.Figure
        Line traces (``meta={"opacity_bin": k}``, ``opacity = k * 0.05``), each holding
        segments ``x = [0, 1, nan, ...]``, ``y = [i, j, nan, ...]``; then the two token
        columns (``name="from"`` and ``name="to"``) whose hover lists the top-5 partners.
    """
    import plotly.graph_objects as go

    owner = "head_view"
    w = _as_map(matrix, owner)
    n = w.shape[0]
    tokens = check_str_list(tokens, n, "tokens", owner, "row of matrix")
    min_weight = check_float("min_weight", min_weight, owner, low=0.0, high=1.0)

    fig = go.Figure()
    rows, cols = np.nonzero(w >= min_weight)
    weights = w[rows, cols].astype(np.float64)
    # Bin k covers weights in ((k - 1) * step, k * step]; the epsilon keeps 0.1 in bin 2 despite
    # float32 rounding (0.1 as float32 / 0.05 is 2.0000000298).
    bins = np.clip(np.ceil(weights / OPACITY_STEP - 1e-6), 1, round(1 / OPACITY_STEP)).astype(int)
    for k in np.unique(bins):
        sel = bins == k
        m = int(sel.sum())
        xs = np.tile(np.array([0.0, 1.0, np.nan], dtype=np.float32), m)
        ys = np.empty(3 * m, dtype=np.float32)
        ys[0::3] = rows[sel]
        ys[1::3] = cols[sel]
        ys[2::3] = np.nan
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                line={"color": "rgb(31,119,180)", "width": 2},
                opacity=round(k * OPACITY_STEP, 4),
                hoverinfo="skip",
                showlegend=False,
                name=f"weights \u2264 {k * OPACITY_STEP:.2f}",
                meta={"opacity_bin": int(k)},
            )
        )

    show_text = n <= HEAD_VIEW_TEXT_MAX
    labels = [safe_short(t, 25) for t in tokens]
    pos = np.arange(n, dtype=np.float32)
    font = {"size": 12 if n <= 64 else 9}
    from_hover = [
        f"<b>{labels[i]}</b> (#{i}) attends to:<br>{_top_text(w[i], tokens)}" for i in range(n)
    ]
    to_hover = [
        f"<b>{labels[j]}</b> (#{j}) is attended by:<br>{_top_text(w[:, j], tokens)}"
        for j in range(n)
    ]
    for name, x, hover, position in (
        ("from", 0.0, from_hover, "middle left"),
        ("to", 1.0, to_hover, "middle right"),
    ):
        fig.add_trace(
            go.Scatter(
                x=np.full(n, x, dtype=np.float32),
                y=pos,
                mode="markers+text" if show_text else "markers",
                text=labels if show_text else None,
                textposition=position,
                textfont=font,
                marker={"size": 6, "color": "#444"},
                hovertext=hover,
                hovertemplate="%{hovertext}<extra></extra>",
                hoverlabel={"align": "left"},
                name=name,
                showlegend=False,
                cliponaxis=False,
            )
        )
    hidden = {"visible": False, "showgrid": False, "zeroline": False}
    fig.update_xaxes(hidden, range=[-1.1, 2.1])
    fig.update_yaxes(hidden, autorange="reversed")
    fig.add_annotation(
        x=0, y=1.0, yref="paper", text="<b>from</b>", showarrow=False, yanchor="bottom"
    )
    fig.add_annotation(
        x=1, y=1.0, yref="paper", text="<b>to</b>", showarrow=False, yanchor="bottom"
    )
    row_px = 20 if n <= 64 else 12 if n <= 200 else 6
    fig.update_layout(width=640, hovermode="closest", margin={"b": 20})
    note = f"{n} tokens; {len(weights)} lines with weight \u2265 {min_weight:g}"
    apply_layout(
        fig,
        title=title or "Attention head view",
        provenance=provenance,
        extra_subtitle=escape_text(note),
        top_pad=18,  # the "from" / "to" headers above the plot area
    )
    # The height follows the top margin apply_layout grew for the wrapped subtitle.
    plot_h = int(min(4000, 40 + row_px * n))
    fig.update_layout(height=fig.layout.margin.t + plot_h + 20)
    return fig
