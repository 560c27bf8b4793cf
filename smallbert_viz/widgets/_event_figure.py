"""``EventFigureWidget``: plotly's FigureWidget with clicks and selections a hover cannot lose.

plotly.py's FigureWidget sends click, selection, hover and unhover events on one synced trait.
ipywidgets merges state changes that queue behind an unanswered message, so a hover right after
a lasso can overwrite the selection before the kernel sees it (plotly.py #3910; 2 of 4 runs
lost it in JupyterLab here). This subclass keeps plotly's front end unchanged and adds a small
one (``static/event_figure.js``) that also sends every click and selection on a trait of its
own, which nothing else writes. The explorers listen to those traits only.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import traitlets

STATIC = Path(__file__).parent / "static"

#: ``callback(trace_index, point_index)``; heatmap points are ``[row, col]``.
ClickCallback = Callable[[int, Any], Any]
#: ``callback([(trace_index, point_index), ...])``; empty when the selection was cleared.
SelectionCallback = Callable[[list[tuple[int, int]]], Any]


@functools.cache
def plotly_esm() -> str:
    """The source of plotly's own FigureWidget front end (about 5 MB)."""
    return str(go.FigureWidget._esm)


class EventFigureWidget(go.FigureWidget):
    """A ``go.FigureWidget`` whose clicks and selections arrive even when a hover follows.

    Use :meth:`on_point_click` and :meth:`on_points_selected` instead of the traces'
    ``on_click`` / ``on_selection``. Each takes one callback; setting another replaces it, so
    re-wiring after a redraw never doubles the calls.
    """

    _esm = STATIC / "event_figure.js"
    _plotly_esm = traitlets.Unicode().tag(sync=True)
    _sbv_click = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)
    _sbv_selection = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._click_callback: ClickCallback | None = None
        self._selection_callback: SelectionCallback | None = None
        super().__init__(*args, **kwargs)

    @traitlets.default("_plotly_esm")
    def _default_plotly_esm(self) -> str:
        return plotly_esm()

    def on_point_click(self, callback: ClickCallback | None) -> None:
        """Call ``callback(trace_index, point_index)`` for each click on a point."""
        self._click_callback = callback

    def on_points_selected(self, callback: SelectionCallback | None) -> None:
        """Call ``callback(points)`` for each box/lasso selection and each deselection."""
        self._selection_callback = callback

    @traitlets.observe("_sbv_click")
    def _dispatch_click(self, change: dict) -> None:
        event = change["new"]
        if event and self._click_callback is not None:
            self._click_callback(int(event["trace"]), event["point"])

    @traitlets.observe("_sbv_selection")
    def _dispatch_selection(self, change: dict) -> None:
        event = change["new"]
        if event and self._selection_callback is not None:
            points = [
                (int(t), int(p))
                for t, p in zip(event.get("traces", []), event.get("points", []), strict=True)
            ]
            self._selection_callback(points)
