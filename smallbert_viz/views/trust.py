"""How far to trust a layout, point by point: ``projection_trust`` drawn on the projection.

The views compute trust from the neighbour graph they already hold when one is passed (the
report's ``Neighbors``), so a page never searches neighbours twice; the layout side is always
exact (``analysis.trust.layout_neighbors``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from smallbert_viz.views.policy import TRUST_K

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from smallbert_viz.analysis import Neighbors, Projection
    from smallbert_viz.views.inputs import ViewCorpus

OWNER = "trust_view"
#: Name of the trust trace added to a projection figure by :func:`add_trust_toggle`.
TRUST_TRACE_NAME = "trust"


@dataclass(frozen=True, eq=False)
class TrustView:
    """Per-point layout trust and its scatter.

    Attributes
    ----------
    trust : ndarray of shape (N,), float64
        Share of each sentence's ``k`` embedding-space neighbours (cosine) that are among its
        ``k`` nearest in the layout; values in {0, 1/k, ..., 1}.
    k : int
    neighbors : str
        How the embedding-space neighbours were found (``Neighbors.describe()``).
    figure : go.Figure
        ``trust_scatter`` of the layout (least trusted points on top).
    """

    trust: np.ndarray
    k: int
    neighbors: str
    figure: go.Figure

    @property
    def mean(self) -> float:
        """Mean trust: ``neighbor_preservation`` of the layout at this ``k``."""
        return float(self.trust.mean())

    def describe(self) -> str:
        """One line for provenance: the mean, ``k`` and how neighbours were found."""
        return f"mean {self.mean:.3f} (share of {self.neighbors} kept in the layout)"


def trust_view(
    corpus: ViewCorpus,
    projection: Projection,
    *,
    k: int = TRUST_K,
    neighbors: Neighbors | None = None,
    hover: bool = True,
) -> TrustView:
    """Layout trust of ``projection`` and its scatter.

    ``neighbors``: the view's cosine neighbour graph of ``corpus.embeddings`` with at least
    ``k`` columns, reused instead of searching again; None searches (``projection_trust``).
    ``hover=False``: the scatter's points carry no hover text (see ``projection_figure``).
    """
    from smallbert_viz._validation import check_int
    from smallbert_viz.analysis import nearest_neighbors
    from smallbert_viz.analysis.trust import layout_neighbors, shared_fraction
    from smallbert_viz.figures import trust_scatter

    n = len(corpus.texts)
    k = check_int("k", k, OWNER, low=1, high=n - 1)
    if neighbors is None:
        neighbors = nearest_neighbors(corpus.embeddings, k=k, metric="cosine")
    elif neighbors.metric != "cosine" or neighbors.k < k or len(neighbors.indices) != n:
        raise ValueError(
            f"The 'neighbors' parameter of {OWNER} must be the cosine neighbours of every "
            f"sentence with at least k={k} columns. Got {neighbors.describe()} for "
            f"{len(neighbors.indices)} rows instead; pass neighbors=None to search again."
        )
    trust = shared_fraction(neighbors.indices[:, :k], layout_neighbors(projection.coords, k))
    trust.flags.writeable = False
    nb_text = neighbors.describe().replace(f"{neighbors.k} neighbours", f"{k} neighbours", 1)
    fig = trust_scatter(
        projection.coords,
        corpus.texts if hover else [""] * n,
        trust,
        k=k,
        provenance=corpus.provenance,
        method_description=f"{projection.describe()}; {nb_text}",
    )
    return TrustView(trust, k, nb_text, fig)


def add_trust_toggle(figure: go.Figure, view: TrustView) -> go.Figure:
    """A copy of a projection ``figure`` with buttons switching its colours to trust and back.

    The trust trace (``view.figure``'s, named ``"trust"``, hidden at first) is added after the
    figure's own traces; each keeps its points' row indices in ``customdata``.
    """
    import plotly.graph_objects as go

    out = go.Figure(figure)
    n_own = len(out.data)
    trace = view.figure.data[0]
    out.add_trace(type(trace)(trace, name=TRUST_TRACE_NAME, visible=False, showlegend=False))
    own = [True] * n_own + [False]
    trust = [False] * n_own + [True]
    out.update_layout(
        updatemenus=[
            {
                "type": "buttons",
                "direction": "right",
                "x": 0.0,
                "xanchor": "left",
                "y": 1.0,
                "yanchor": "bottom",
                "pad": {"b": 4},
                "showactive": True,
                "active": 0,
                "buttons": [
                    {"label": "colour: label", "method": "restyle", "args": [{"visible": own}]},
                    {
                        "label": f"colour: trust (mean {view.mean:.2f})",
                        "method": "restyle",
                        "args": [{"visible": trust}],
                    },
                ],
            }
        ]
    )
    return out
