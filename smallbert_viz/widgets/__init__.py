"""Interactive explorers for Jupyter: ipywidgets containers around plotly FigureWidgets.

Thin shells over the analysis functions and figure builders. Each explorer works alone,
exposes ``.figure`` (a static ``go.Figure`` for export) and also renders as static HTML in
notebook exports. Importing this package does not import plotly, ipywidgets or TensorFlow.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "AttentionExplorer": "smallbert_viz.widgets.attention",
    "EventFigureWidget": "smallbert_viz.widgets._event_figure",
    "Explorer": "smallbert_viz.widgets.explorer",
    "ProjectionExplorer": "smallbert_viz.widgets.projection",
    "SimilarityExplorer": "smallbert_viz.widgets.similarity",
    "set_static_plotlyjs": "smallbert_viz.widgets._base",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'smallbert_viz.widgets' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
