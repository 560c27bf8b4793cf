"""A projection scatter coloured by how far each point's neighbourhood can be trusted.

The values come from :func:`smallbert_viz.analysis.trust.projection_trust`; this module only
draws them, on top of :func:`~smallbert_viz.figures.projection.projection_scatter` (same hover
text, WebGL switch and ``customdata`` row indices).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from smallbert_viz._validation import check_int, check_str_list
from smallbert_viz.figures._common import as_float32
from smallbert_viz.figures.projection import projection_scatter

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from smallbert_viz.provenance import Provenance

#: Red for neighbourhoods the layout tore apart, blue for intact ones.
TRUST_COLORSCALE = "RdYlBu"


def layout_coords(coords: np.ndarray, owner: str) -> np.ndarray:
    """``coords`` as float32 of shape (n, 2) or (n, 3) with n >= 1, or raise naming ``owner``."""
    xyz = as_float32(coords, "coords", owner, ndim=2)
    if xyz.shape[1] not in (2, 3) or xyz.shape[0] == 0:
        raise ValueError(
            f"The 'coords' parameter of {owner} must have shape (n_texts, 2) or (n_texts, 3) "
            f"with at least one point. Got shape {xyz.shape} instead; project to 2 or 3 "
            "dimensions first."
        )
    return xyz


def trust_scatter(
    coords: np.ndarray,
    texts: Sequence[str],
    trust: np.ndarray,
    *,
    k: int | None = None,
    provenance: Provenance | str | None = None,
    title: str | None = None,
    method_description: str | None = None,
) -> go.Figure:
    """Scatter of a layout, each point coloured by its trust value (colour bar 0 to 1).

    Parameters
    ----------
    coords : ndarray of shape (n_texts, 2) or (n_texts, 3)
    texts : list of str of length n_texts
        Shown escaped in hover, with the point's trust value.
    trust : ndarray of shape (n_texts,)
        Values in [0, 1], as ``projection_trust`` returns them.
    k : int, optional
        The neighbour count the values were computed with, shown in the subtitle.
    provenance : Provenance or str, optional
        One line (``Provenance.describe()``) shown as the subtitle.
    title : str, optional
        Default ``"How far to trust the layout"``.
    method_description : str, optional
        How coordinates and trust were made (e.g. ``"UMAP ...; approximate neighbours"``),
        shown in the subtitle after the mean trust.

    Returns
    -------
    plotly.graph_objects.Figure
        One trace; points are drawn least trusted last (on top), and each point's
        ``customdata`` is still its row index in ``coords``.
    """
    owner = "trust_scatter"
    xyz = layout_coords(coords, owner)
    n = xyz.shape[0]
    texts = check_str_list(texts, n, "texts", owner, "row of coords")
    values = as_float32(trust, "trust", owner, ndim=1)
    if values.shape[0] != n:
        raise ValueError(
            f"The 'trust' parameter of {owner} must have one value per row of coords ({n}). "
            f"Got {values.shape[0]} instead."
        )
    bad = np.flatnonzero(~((values >= 0.0) & (values <= 1.0)))  # NaN fails both
    if bad.size:
        raise ValueError(
            f"The 'trust' parameter of {owner} must hold values in [0, 1], as projection_trust "
            f"returns them. Got {values[bad[0]]} at row {bad[0]} instead."
        )
    if k is not None:
        k = check_int("k", k, owner, low=1)

    note = f"mean trust {float(values.mean()):.2f}"
    if k is not None:
        note += f" (k = {k} neighbours)"
    if method_description:
        note += f"; {method_description}"
    order = np.argsort(-values, kind="stable")  # plotly draws later points on top
    fig = projection_scatter(
        xyz[order],
        [texts[i] for i in order],
        provenance=provenance,
        title=title or "How far to trust the layout",
        method_description=note,
    )
    fig.update_traces(
        customdata=order.astype(np.int32),
        marker={
            "color": values[order],
            "colorscale": TRUST_COLORSCALE,
            "cmin": 0.0,
            "cmax": 1.0,
            "colorbar": {"title": {"text": "trust"}, "thickness": 14},
        },
        hovertemplate="%{hovertext}<br>#%{customdata} · trust %{marker.color:.2f}<extra></extra>",
    )
    return fig
