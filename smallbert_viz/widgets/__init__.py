"""Interactive explorers for Jupyter: ipywidgets containers around plotly FigureWidgets.

Thin shells over the analysis functions and figure builders. Each explorer works alone,
exposes ``.figure`` (a static ``go.Figure`` for export) and also renders as static HTML in
notebook exports. Importing this package does not import plotly, ipywidgets or TensorFlow.
"""

from __future__ import annotations

from smallbert_viz._lazy import lazy_exports

_EXPORTS = {
    "AttentionExplorer": "smallbert_viz.widgets.attention",
    "CompareExplorer": "smallbert_viz.widgets.compare",
    "EventFigureWidget": "smallbert_viz.widgets._event_figure",
    "Explorer": "smallbert_viz.widgets.explorer",
    "ProjectionExplorer": "smallbert_viz.widgets.projection",
    "SimilarityExplorer": "smallbert_viz.widgets.similarity",
    "set_static_plotlyjs": "smallbert_viz.widgets._base",
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
