"""Which layer knows what: k-NN label accuracy per layer, and the layers' CKA heatmap.

Plain numbers in (``LayerAnalysis.knn_accuracy``, ``.cka``, ... or any arrays of the same
shapes), ``go.Figure`` out; nothing is computed or displayed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from smallbert_viz._validation import check_float, check_str_list
from smallbert_viz.figures._common import apply_layout, as_float32, escape_text, safe_short

if TYPE_CHECKING:
    import plotly.graph_objects as go


def _names(layer_names: Sequence[str] | None, n: int, owner: str) -> list[str]:
    if layer_names is None:
        return [f"layer {i}" for i in range(1, n + 1)]
    return check_str_list(layer_names, n, "layer_names", owner, "layer")


def layer_accuracy_chart(
    accuracy: np.ndarray,
    *,
    chance: float | None = None,
    fold_accuracy: np.ndarray | None = None,
    layer_names: Sequence[str] | None = None,
    provenance: str | None = None,
    title: str | None = None,
) -> go.Figure:
    """Line chart of a label accuracy per layer, with the chance level.

    Parameters
    ----------
    accuracy : ndarray of shape (num_layers,)
        E.g. ``LayerAnalysis.knn_accuracy``; values in [0, 1].
    chance : float, optional
        The accuracy of always guessing the majority label, drawn as a dashed line.
    fold_accuracy : ndarray of shape (num_layers, folds), optional
        Per-fold accuracies: drawn as error bars of one standard deviation across folds.
    layer_names : list of str, optional
        One per layer; default ``"layer 1"`` ... ``"layer L"``.
    provenance : str, optional
        One line (``LayerAnalysis.describe()``) shown as the subtitle.
    title : str, optional
        Default ``"Which layer separates the labels (k-NN accuracy)"``.

    Returns
    -------
    plotly.graph_objects.Figure
        Trace 0 ``"k-NN accuracy"`` (a ``Scatter``, x = layer names); trace 1 ``"chance"``
        when ``chance`` is given. The best layer is marked with a star.
    """
    import plotly.graph_objects as go

    owner = "layer_accuracy_chart"
    acc = as_float32(accuracy, "accuracy", owner, ndim=1)
    n = acc.shape[0]
    if n == 0:
        raise ValueError(f"The 'accuracy' parameter of {owner} must hold at least one layer.")
    if not np.isfinite(acc).all() or acc.min() < 0 or acc.max() > 1:
        raise ValueError(
            f"The 'accuracy' parameter of {owner} must hold accuracies in [0, 1]. Got values "
            f"from {acc.min():g} to {acc.max():g} instead."
        )
    names = _names(layer_names, n, owner)
    ticks = [safe_short(name, 40) for name in names]
    error = None
    if fold_accuracy is not None:
        per_fold = as_float32(fold_accuracy, "fold_accuracy", owner, ndim=2)
        if per_fold.shape[0] != n:
            raise ValueError(
                f"The 'fold_accuracy' parameter of {owner} must have one row per layer ({n}). "
                f"Got shape {per_fold.shape} instead."
            )
        error = {"type": "data", "array": per_fold.std(axis=1), "visible": True, "width": 4}
    best = int(np.argmax(acc))
    fig = go.Figure(
        go.Scatter(
            x=ticks,
            y=acc,
            mode="lines+markers",
            name="k-NN accuracy",
            error_y=error,
            marker={
                "size": [16 if i == best else 9 for i in range(n)],
                "symbol": ["star" if i == best else "circle" for i in range(n)],
            },
            hovertemplate="%{x}<br>accuracy %{y:.3f}<extra></extra>",
        )
    )
    notes = [f"best: {names[best]} ({acc[best]:.3f})"]
    if chance is not None:
        chance = check_float("chance", chance, owner, low=0.0, high=1.0)
        fig.add_trace(
            go.Scatter(
                x=[ticks[0], ticks[-1]],
                y=[chance, chance],
                mode="lines",
                name="chance",
                line={"dash": "dash", "color": "#888"},
                hovertemplate=f"chance (majority label) {chance:.3f}<extra></extra>",
            )
        )
        notes.append(f"chance {chance:.3f}")
    fig.update_xaxes(title_text="layer (input side \u2192 output)", type="category")
    fig.update_yaxes(title_text="accuracy", range=[0, 1.02])
    fig.update_layout(width=max(500, 160 + 60 * n), height=430, hovermode="closest")
    return apply_layout(
        fig,
        title=title or "Which layer separates the labels (k-NN accuracy)",
        provenance=provenance,
        extra_subtitle=escape_text("; ".join(notes)),
    )


def cka_heatmap(
    cka: np.ndarray,
    *,
    layer_names: Sequence[str] | None = None,
    provenance: str | None = None,
    title: str | None = None,
) -> go.Figure:
    """Heatmap of the linear CKA between layers (how alike their representations are).

    Parameters
    ----------
    cka : ndarray of shape (num_layers, num_layers)
        E.g. ``LayerAnalysis.cka``; values in [0, 1].
    layer_names : list of str, optional
        One per layer; default ``"layer 1"`` ... ``"layer L"``.
    provenance : str, optional
        One line shown as the subtitle.
    title : str, optional
        Default ``"How alike the layers are (linear CKA)"``.

    Returns
    -------
    plotly.graph_objects.Figure
        One ``Heatmap`` with a fixed 0-1 colour scale and the value written in each cell; the
        first layer at the top left.
    """
    import plotly.graph_objects as go

    owner = "cka_heatmap"
    z = as_float32(cka, "cka", owner, ndim=2)
    n = z.shape[0]
    if z.shape != (n, n) or n == 0:
        raise ValueError(
            f"The 'cka' parameter of {owner} must be a non-empty square array of shape "
            f"(num_layers, num_layers). Got shape {z.shape} instead."
        )
    names = [safe_short(name, 40) for name in _names(layer_names, n, owner)]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=names,
            y=names,
            zmin=0.0,
            zmax=1.0,
            colorscale="Viridis",
            colorbar={"title": {"text": "CKA"}},
            texttemplate="%{z:.2f}" if n <= 24 else None,
            hovertemplate="%{y} vs %{x}<br>linear CKA %{z:.3f}<extra></extra>",
            name="linear CKA",
        )
    )
    fig.update_xaxes(type="category", constrain="domain")
    fig.update_yaxes(type="category", autorange="reversed", scaleanchor="x", constrain="domain")
    size = 260 + 40 * min(n, 24)
    fig.update_layout(width=size + 160, height=size + 80)
    return apply_layout(
        fig,
        title=title or "How alike the layers are (linear CKA)",
        provenance=provenance,
        extra_subtitle=escape_text("1 = the same up to rotation and scale; 0 = unrelated"),
    )
