"""Attention figures: every layer x head as a grid, one map large, and a bertviz-like head view.

Inputs are attention probabilities as produced by ``smallbert_viz.attention``: an array of shape
``(n_layers, n_heads, n_tokens, n_tokens)`` (row = the token attending, "from"; column = the
token attended to, "to"), or one ``(n_tokens, n_tokens)`` map, plus the tokens as str.

Keeping long inputs responsive (the grid)
-----------------------------------------
A full grid of the default model (8 layers x 2 heads) at 512 tokens is 4.2 million cells, about
22 MB of base64 JSON, and stalls the browser (bertviz's known failure). :func:`attention_grid`
therefore draws each panel at most ``max_tokens_full`` tokens wide (64 by default, and fewer if
the whole grid would exceed ``MAX_GRID_CELLS`` cells). Longer inputs are pooled into blocks of
``ceil(n_tokens / max_tokens_full)`` consecutive tokens: a block cell is the *mean over the
"from" tokens in the row block of the summed attention to the "to" tokens in the column block*.
Each pooled row therefore still sums to 1, like a row of attention probabilities, so the colours
keep their meaning. Values are float32 (plotly.js cannot read float16 typed arrays, and rounding
does not shrink a binary payload). At 512 tokens the default-model grid is under 0.6 MB of JSON.
:func:`attention_heatmap` draws one map at full resolution; use it to drill into a head.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from smallbert_viz._validation import check_int, check_str_list
from smallbert_viz.figures._common import (
    apply_layout,
    as_float32,
    escape_text,
    safe_short,
    token_categories,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from smallbert_viz.provenance import Provenance

#: Cap on the number of heatmap cells in a whole attention grid (16 panels of 128 x 128).
MAX_GRID_CELLS = 16 * 128 * 128
#: Grid panels carry token tick labels only up to this many tokens (they are small) ...
GRID_TICK_MAX = 24
#: ... and only when each token gets at least this many px of the panel (8 px labels).
GRID_TICK_MIN_PX = 10
#: The grid is laid out to fit this width (px): a Jupyter cell's output area.
GRID_WIDTH = 900
#: Panels are at most this many px wide (a 2-head grid is not stretched).
GRID_PANEL_MAX = 260
#: Below this many px per panel, "layer l . head h" titles do not fit over each panel: the grid
#: gets column headers ("head h") on top and row headers ("layer l") on the left instead.
GRID_COMPACT_PX = 110
#: attention_heatmap hides token labels beyond these many tokens (hover remains).
HEATMAP_TICK_MAX = 160
#: attention_heatmap's plot area is at most this many px on a side.
HEATMAP_PLOT_MAX = 640
COLORSCALE = "Blues"


def _as_probs(probs: np.ndarray, owner: str) -> np.ndarray:
    """Return probs as float32 (n_layers, n_heads, T, T)."""
    arr = as_float32(probs, "probs", owner, ndim=(2, 4))
    if arr.ndim == 2:
        arr = arr[None, None]
    if arr.shape[-1] != arr.shape[-2] or arr.shape[-1] == 0 or 0 in arr.shape:
        raise ValueError(
            f"The 'probs' parameter of {owner} must have shape (n_layers, n_heads, n_tokens, "
            f"n_tokens) or (n_tokens, n_tokens) with n_tokens > 0. Got shape {arr.shape} instead."
        )
    return arr


def _as_map(matrix: np.ndarray, owner: str) -> np.ndarray:
    arr = np.asarray(matrix)
    if arr.ndim != 2:
        raise ValueError(
            f"The 'matrix' parameter of {owner} must be one attention map of shape (n_tokens, "
            f"n_tokens). Got shape {arr.shape} instead; select one head with "
            f"probs[layer, head] or average with probs[layer].mean(axis=0)."
        )
    arr = as_float32(arr, "matrix", owner, ndim=2)
    if arr.shape[0] != arr.shape[1] or arr.shape[0] == 0:
        raise ValueError(
            f"The 'matrix' parameter of {owner} must be square (n_tokens, n_tokens). "
            f"Got shape {arr.shape} instead."
        )
    return arr


def block_starts(n_tokens: int, max_tokens: int) -> np.ndarray:
    """Start index of each block when ``n_tokens`` are pooled to at most ``max_tokens`` blocks."""
    size = max(1, math.ceil(n_tokens / max_tokens))
    return np.arange(0, n_tokens, size)


def pool_attention(probs: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Pool the last two axes into blocks: mean over "from" rows, sum over "to" columns.

    ``probs`` has shape (..., T, T); the result (..., B, B) with B = len(starts). Rows of
    attention probabilities (summing to 1) stay rows summing to 1.
    """
    n = probs.shape[-1]
    counts = np.diff(np.append(starts, n)).astype(np.float64)
    summed = np.add.reduceat(np.add.reduceat(probs.astype(np.float64), starts, axis=-1), starts, -2)
    return (summed / counts[:, None]).astype(np.float32)


def attention_grid(
    probs: np.ndarray,
    tokens: Sequence[str],
    *,
    provenance: Provenance | str | None = None,
    title: str | None = None,
    max_tokens_full: int = 64,
) -> go.Figure:
    """Every layer x head attention map as a small heatmap, rows = layers, columns = heads.

    Parameters
    ----------
    probs : ndarray of shape (n_layers, n_heads, n_tokens, n_tokens) or (n_tokens, n_tokens)
        Attention probabilities, row = from-token, column = to-token.
    tokens : list of str of length n_tokens
    provenance : Provenance or str, optional
        One line (``Provenance.describe()``) shown as the subtitle.
    title : str, optional
        Default ``"Attention, every layer x head"``.
    max_tokens_full : int
        Panels are drawn at most this many tokens wide; longer inputs are pooled into blocks of
        consecutive tokens (see the module docstring). Tick labels appear up to 24 tokens.

    Returns
    -------
    plotly.graph_objects.Figure
        ``n_layers * n_heads`` ``Heatmap`` traces in row-major order (layer 0 head 0, layer 0
        head 1, ...), sharing one colour axis; ``fig.data[l * n_heads + h].z`` is that panel.
    """
    from plotly.subplots import make_subplots

    owner = "attention_grid"
    single_map = np.ndim(probs) == 2
    p = _as_probs(probs, owner)
    n_layers, n_heads, n_tok, _ = p.shape
    tokens = check_str_list(tokens, n_tok, "tokens", owner, "token of probs")
    max_tokens_full = check_int("max_tokens_full", max_tokens_full, owner, low=2)

    n_panels = n_layers * n_heads
    budget = max(2, math.isqrt(MAX_GRID_CELLS // n_panels))
    width_cap = min(max_tokens_full, budget)
    starts = block_starts(n_tok, width_cap)
    pooled = len(starts) < n_tok
    if pooled:
        p = pool_attention(p, starts)
        stops = np.append(starts[1:], n_tok)
        cats = [
            f"#{a}\u2013{b - 1}: {safe_short(tokens[a], 15)} \u2026 {safe_short(tokens[b - 1], 15)}"
            if b - a > 1
            else f"#{a}: {safe_short(tokens[a], 15)}"
            for a, b in zip(starts.tolist(), stops.tolist(), strict=True)
        ]
        ticks = None
    else:
        cats, ticks = token_categories(tokens, max_chars=15)
    # Room for the panels in GRID_WIDTH: the left margin holds the y tick labels and/or the
    # row headers, the right one the colour bar.
    left, right = 90, 110
    compact = (GRID_WIDTH - left - right) / n_heads < GRID_COMPACT_PX and not single_map
    # Gaps between panels in px: a panel title (16 px) or x tick labels need room below a row.
    h_gap = 10 if compact else 28
    v_gap = 8 if compact else 30
    room = GRID_WIDTH - left - right - h_gap * (n_heads - 1)
    panel = int(min(GRID_PANEL_MAX, room / n_heads))
    show_ticks = ticks is not None and n_tok <= GRID_TICK_MAX and panel >= GRID_TICK_MIN_PX * n_tok
    if single_map:
        titles = ["attention map"]
    elif compact:
        titles = None
    else:
        titles = [f"layer {lyr} \u00b7 head {hd}" for lyr in range(n_layers) for hd in range(n_heads)]
    plot_w = panel * n_heads + h_gap * (n_heads - 1)
    plot_h = panel * n_layers + v_gap * (n_layers - 1)
    fig = make_subplots(
        rows=n_layers,
        cols=n_heads,
        subplot_titles=titles,
        horizontal_spacing=h_gap / plot_w if n_heads > 1 else 0.0,
        vertical_spacing=v_gap / plot_h if n_layers > 1 else 0.0,
    )
    import plotly.graph_objects as go

    for layer in range(n_layers):
        for head in range(n_heads):
            fig.add_trace(
                go.Heatmap(
                    z=p[layer, head],
                    x=cats,
                    y=cats,
                    coloraxis="coloraxis",
                    name=f"layer {layer} head {head}",
                    # Which panel this is, for click handlers (open it as one large map).
                    meta={"layer": layer, "head": head},
                    hovertemplate=(
                        f"layer {layer} \u00b7 head {head}<br>from %{{y}}<br>to %{{x}}"
                        "<br>weight %{z:.3f}<extra></extra>"
                    ),
                ),
                row=layer + 1,
                col=head + 1,
            )
    # Tick labels only on the outer panels (x on the bottom row, y on the left column), and
    # only when a token gets enough px to be read. Hover names the tokens everywhere.
    axis = {"type": "category", "showgrid": False, "showticklabels": False, "automargin": False}
    fig.update_xaxes(axis | {"tickangle": -90})
    fig.update_yaxes(axis | {"autorange": "reversed"})
    tick_px = 0
    if show_ticks:
        tick = {
            "showticklabels": True,
            "tickmode": "array",
            "tickvals": list(range(n_tok)),
            "ticktext": ticks,
            "tickfont": {"size": 8},
        }
        fig.update_xaxes(tick, row=n_layers)
        fig.update_yaxes(tick, col=1)
        # 8 px labels of at most 15 characters (token_categories above), plus the tick gap.
        tick_px = int(8 * 0.6 * max(len(html.unescape(t)) for t in ticks)) + 8
    fig.update_annotations(font_size=11)
    top_pad = 20 if titles else 0
    if compact:
        for hd in range(n_heads):
            axis_name = "x" if hd == 0 else f"x{hd + 1}"
            fig.add_annotation(
                text=f"head {hd}",
                xref=f"{axis_name} domain",
                yref="paper",
                x=0.5,
                y=1.0,
                yanchor="bottom",
                showarrow=False,
                font={"size": 10},
            )
        for lyr in range(n_layers):
            axis_name = "y" if lyr == 0 else f"y{lyr * n_heads + 1}"
            fig.add_annotation(
                text=f"layer {lyr}",
                xref="paper",
                yref=f"{axis_name} domain",
                x=0.0,
                y=0.5,
                xanchor="right",
                xshift=-(tick_px + 4),
                showarrow=False,
                font={"size": 10},
            )
        top_pad = 18
    left = max(left, tick_px + (56 if compact else 20))
    bottom = tick_px + 20
    fig.update_layout(
        coloraxis={
            "colorscale": COLORSCALE,
            "cmin": 0.0,
            "cmax": float(np.nanmax(p)) if np.isfinite(np.nanmax(p)) else 1.0,
            "colorbar": {"title": {"text": "weight"}, "thickness": 14},
        },
        width=left + plot_w + right,
        margin={"l": left, "r": right, "b": bottom},
    )
    note = f"{n_tok} tokens" + ("" if show_ticks else " (named in hover)")
    if pooled:
        size = int(starts[1] - starts[0]) if len(starts) > 1 else n_tok
        note += (
            f", pooled into {len(starts)} blocks of {size} tokens (mean over from-tokens, sum "
            f"over to-tokens); use attention_heatmap for one head at full resolution"
        )
    apply_layout(
        fig,
        title=title or "Attention, every layer \u00d7 head",
        provenance=provenance,
        extra_subtitle=escape_text(note),
        top_pad=top_pad,
    )
    # The height follows the top margin apply_layout grew for the wrapped subtitle.
    fig.update_layout(height=fig.layout.margin.t + plot_h + bottom)
    return fig


def attention_heatmap(
    matrix: np.ndarray,
    tokens: Sequence[str],
    *,
    provenance: Provenance | str | None = None,
    title: str | None = None,
) -> go.Figure:
    """One attention map (one head, or an average) as a large heatmap with token labels.

    Parameters
    ----------
    matrix : ndarray of shape (n_tokens, n_tokens)
        Row = from-token, column = to-token. Drawn at full resolution as float32.
    tokens : list of str of length n_tokens
        Axis labels (up to 160 tokens; beyond that hover still names them).
    provenance : Provenance or str, optional
    title : str, optional
        Subtitle line and title (default ``"Attention"``).

    Returns
    -------
    plotly.graph_objects.Figure
        One ``Heatmap`` trace whose ``z`` is ``matrix`` as float32.
    """
    import plotly.graph_objects as go

    owner = "attention_heatmap"
    z = _as_map(matrix, owner)
    n = z.shape[0]
    tokens = check_str_list(tokens, n, "tokens", owner, "row of matrix")
    cats, ticks = token_categories(tokens)
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=cats,
            y=cats,
            colorscale=COLORSCALE,
            zmin=0.0,
            colorbar={"title": {"text": "weight"}},
            hovertemplate="from %{y}<br>to %{x}<br>weight %{z:.4f}<extra></extra>",
            name="attention",
        )
    )
    show = n <= HEATMAP_TICK_MAX
    axis = {"type": "category", "showgrid": False, "showticklabels": show}
    if show:
        axis |= {
            "tickmode": "array",
            "tickvals": list(range(n)),
            "ticktext": ticks,
            "tickfont": {"size": 11 if n <= 40 else 8},
        }
    # The x axis sits at the bottom: on top, its title and slanted labels met the subtitle.
    fig.update_xaxes(axis, tickangle=-60, title_text="to (attended token)", side="bottom")
    fig.update_yaxes(
        axis,
        title_text="from (attending token)",
        autorange="reversed",
        scaleanchor="x",
        constrain="domain",
    )
    # Square plot area plus room for labels and the colour bar, within a notebook cell.
    side = int(min(HEATMAP_PLOT_MAX, max(300, 14 * n)))
    label_px = int(0.6 * (11 if n <= 40 else 8) * max(len(html.unescape(t)) for t in ticks)) + 60
    fig.update_layout(width=min(GRID_WIDTH, side + label_px + 120))
    apply_layout(
        fig, title=title or "Attention", provenance=provenance, extra_subtitle=f"{n} tokens"
    )
    fig.update_layout(height=fig.layout.margin.t + side + label_px)
    return fig
