"""``EventFigureWidget``: plotly's FigureWidget with reliable events and binary 2-D arrays.

Two things plotly.py's FigureWidget does that the explorers cannot live with:

* It sends click, selection, hover and unhover events on one synced trait. ipywidgets merges
  state changes that queue behind an unanswered message, so a hover right after a lasso can
  overwrite the selection before the kernel sees it (plotly.py #3910; in the JupyterLab test
  here plotly's own ``on_selection`` received 1 of 8 lassos). This subclass keeps plotly's front
  end unchanged and adds a small one (``static/event_figure.js``) that also sends every click
  and selection on a trait of its own, which nothing else writes.
* It turns every array that is not 1-D into nested lists: a 2,000 x 2,000 similarity heatmap
  became 81 MB of JSON on every update. Here 2-D numeric arrays travel as one binary buffer per
  row, which plotly's front end turns into typed arrays (plotly.js draws those as is).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go
import traitlets
from plotly.serializers import _js_to_py
from plotly.serializers import _py_to_js as _plotly_py_to_js

STATIC = Path(__file__).parent / "static"

#: ``callback(trace_index, point_index)``; heatmap points are ``[row, col]``.
ClickCallback = Callable[[int, Any], Any]
#: ``callback({trace_index: point indices (int64 array)})``; empty when the selection was cleared.
SelectionCallback = Callable[[dict[int, np.ndarray]], Any]


@functools.cache
def plotly_esm() -> str:
    """The source of plotly's own FigureWidget front end (about 5 MB)."""
    return str(go.FigureWidget._esm)


#: numpy dtypes that plotly's front end turns into JavaScript typed arrays.
TYPED_ARRAYS = frozenset(
    {"int8", "int16", "int32", "uint8", "uint16", "uint32", "float32", "float64"}
)


def _py_to_js(value: Any, widget_manager: Any) -> Any:
    """plotly's serializer, except that 2-D numeric arrays become one binary buffer per row."""
    if isinstance(value, dict):
        return {k: _py_to_js(v, widget_manager) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_py_to_js(v, widget_manager) for v in value]
    if isinstance(value, np.ndarray) and value.ndim == 2 and value.dtype.name in TYPED_ARRAYS:
        rows = np.ascontiguousarray(value)
        dtype = str(rows.dtype)
        return [{"buffer": memoryview(row), "dtype": dtype, "shape": row.shape} for row in rows]
    return _plotly_py_to_js(value, widget_manager)


_ROWS = {"to_json": _py_to_js, "from_json": _js_to_py}


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
    # Every trait that carries trace data to the front end, with the row-buffer serializer.
    _widget_data = traitlets.List().tag(sync=True, **_ROWS)
    _py2js_addTraces = traitlets.Dict(allow_none=True).tag(sync=True, **_ROWS)
    _py2js_restyle = traitlets.Dict(allow_none=True).tag(sync=True, **_ROWS)
    _py2js_update = traitlets.Dict(allow_none=True).tag(sync=True, **_ROWS)
    _py2js_animate = traitlets.Dict(allow_none=True).tag(sync=True, **_ROWS)

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
            traces = np.asarray(event.get("traces", []), dtype=np.int64)
            points = np.asarray(event.get("points", []), dtype=np.int64)
            if traces.shape != points.shape:
                raise ValueError(
                    f"A selection event must pair every point with its trace. Got "
                    f"{traces.size} traces and {points.size} points."
                )
            self._selection_callback({int(t): points[traces == t] for t in np.unique(traces)})
