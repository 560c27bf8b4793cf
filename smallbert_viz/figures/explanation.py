"""The heatmap of a pair explanation: token x token attributions with how far they add up.

Reuses :func:`~smallbert_viz.figures.similarity.contribution_heatmap` for the heatmap itself
and replaces its title and subtitle: the subtitle states the score, the offset (the part no
token pair carries), the completeness error and the method, so an approximate matrix always
says how approximate it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np

from smallbert_viz._validation import check_choice, check_float, check_str_list
from smallbert_viz.figures._common import apply_layout, as_float32, escape_text
from smallbert_viz.figures.similarity import CONTRIBUTION_METRICS, contribution_heatmap

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from smallbert_viz.provenance import Provenance


def explanation_heatmap(
    matrix: np.ndarray,
    tokens_a: Sequence[str],
    tokens_b: Sequence[str],
    *,
    score: float,
    offset: float,
    completeness_error: float,
    metric: Literal["cosine", "dot"],
    method: str,
    provenance: Provenance | str | None = None,
    title: str | None = None,
) -> go.Figure:
    """Token x token attributions of one pair's similarity (``PairExplanation`` fields).

    Parameters
    ----------
    matrix : ndarray of shape (n_tokens_a, n_tokens_b)
        ``matrix[i, j]``: the part of the score carried by token i of A and token j of B.
    tokens_a, tokens_b : list of str
        Wordpieces of A (rows) and B (columns), escaped when drawn.
    score : float
        The pair's similarity.
    offset : float
        The part of the score no token pair carries (reference terms; 0 for mean pooling).
    completeness_error : float
        ``|matrix.sum() + offset - score|``; shown, also as a share of ``|score|``.
    metric : {"cosine", "dot"}
    method : str
        How the matrix was computed (e.g. ``"integrated Jacobians, 16 Gauss-Legendre steps"``).
    provenance, title : str, optional
        As in every builder; the score is always appended to the title.

    Returns
    -------
    plotly.graph_objects.Figure
        One ``Heatmap`` trace, diverging colours centred at 0.
    """
    owner = "explanation_heatmap"
    z = as_float32(matrix, "matrix", owner, ndim=2)
    tokens_a = check_str_list(tokens_a, z.shape[0], "tokens_a", owner, "row of the matrix")
    tokens_b = check_str_list(tokens_b, z.shape[1], "tokens_b", owner, "column of the matrix")
    metric = check_choice("metric", metric, CONTRIBUTION_METRICS, owner)
    score = check_float("score", score, owner)
    offset = check_float("offset", offset, owner)
    completeness_error = check_float("completeness_error", completeness_error, owner, low=0.0)
    if not isinstance(method, str):
        raise TypeError(
            f"The 'method' parameter of {owner} must be a str. Got "
            f"{type(method).__name__} instead."
        )
    fig = contribution_heatmap(z, tokens_a, tokens_b, total=score, metric=metric)
    fig.update_traces(
        colorbar={"title": {"text": "attribution"}},
        hovertemplate=(
            "<b>A</b>: %{y}<br><b>B</b>: %{x}<br><b>attribution</b>: %{z:.4g}<extra></extra>"
        ),
    )
    cell_sum = float(np.nansum(z, dtype=np.float64))
    share = f" ({completeness_error / abs(score):.2%} of |score|)" if score else ""
    lines = [
        f"cells sum to {cell_sum:.4f}; offset (no token pair) {offset:+.4f}; "
        f"{metric} = {score:.4f}; completeness error {completeness_error:.2g}{share}",
        f"method: {method}; rows: sentence A, columns: sentence B",
    ]
    head = title or "Why the pair matches"
    return apply_layout(
        fig,
        title=f"{head}: {metric} = {score:.4f}",
        provenance=provenance,
        extra_subtitle="<br>".join(escape_text(line) for line in lines),
    )
