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

With ``large=True`` (the projection explorer's large path, ``views/large_scatter.py``) two more
things change, because plotly's widget would send every selected point as a JSON list (four
numbers per point, on _js2py_pointsCallback) and can only show hover text it was given for
every point up front:

* a box/lasso selection reaches the kernel as one custom message with one binary buffer per
  trace, a bitmap of its points (or int32 point numbers when fewer than about 1 in 32 are
  selected: :func:`decode_selection`); plotly's own selection and hover handlers are removed in
  the browser;
* hovering a point asks the kernel for its text (a custom message naming trace and point);
  :meth:`EventFigureWidget.on_hover_request`'s callback answers plain text, which the front end
  shows with ``textContent`` (never parsed as HTML, so a sentence cannot run script).
"""

from __future__ import annotations

import functools
import time
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
#: ``callback(trace_index, point_index) -> str or None``: the text shown for a hovered point.
HoverCallback = Callable[[int, int], "str | None"]


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
    if (
        isinstance(value, np.ndarray)
        and value.ndim == 2
        and value.dtype.name in TYPED_ARRAYS
        and value.dtype.isnative  # typed arrays are little-endian here; ">f8" is not one
    ):
        rows = np.ascontiguousarray(value)
        dtype = str(rows.dtype)
        return [{"buffer": memoryview(row), "dtype": dtype, "shape": row.shape} for row in rows]
    return _plotly_py_to_js(value, widget_manager)


_ROWS = {"to_json": _py_to_js, "from_json": _js_to_py}

#: How the large path's front end packs one trace's selected point numbers (packPoints in
#: static/event_figure.js): "bits" is a bitmap, bit i (least significant first in byte i // 8)
#: set when point i is selected; "int32" is the point numbers, four bytes each. The front end
#: sends whichever is smaller (a bitmap from about one selected point in 32 up).
ENCODINGS = ("bits", "int32")


def decode_selection(parts: list[Any], buffers: list[Any]) -> dict[int, np.ndarray]:
    """``{trace: point numbers (int64)}`` of a binary selection: ``parts[i]`` describes
    ``buffers[i]`` as ``{"trace", "encoding", "count"}``; the count is checked."""
    if not isinstance(parts, list) or len(parts) != len(buffers):
        raise ValueError(
            "A binary selection event needs one buffer per part (trace). Got "
            f"{len(parts) if isinstance(parts, list) else parts!r} parts and {len(buffers)} "
            "buffers."
        )
    points: dict[int, np.ndarray] = {}
    for part, buffer in zip(parts, buffers, strict=True):
        encoding, count = part.get("encoding"), part.get("count")
        raw = np.frombuffer(buffer, dtype=np.uint8)
        if encoding == "bits":
            numbers = np.flatnonzero(np.unpackbits(raw, bitorder="little"))
        elif encoding == "int32" and raw.size % 4 == 0:
            numbers = raw.view(np.int32).astype(np.int64)
        else:
            raise ValueError(
                f"A binary selection part must be encoded as one of {ENCODINGS} (int32: a "
                f"multiple of 4 bytes). Got {encoding!r} with {raw.size} bytes."
            )
        if numbers.size != count:
            raise ValueError(
                f"A binary selection part of trace {part.get('trace')!r} says {count!r} points "
                f"but its {encoding} buffer holds {numbers.size}."
            )
        trace = int(part["trace"])
        points[trace] = numbers if trace not in points else np.concatenate([points[trace], numbers])
    return points


class EventFigureWidget(go.FigureWidget):
    """A ``go.FigureWidget`` whose clicks and selections arrive even when a hover follows.

    Use :meth:`on_point_click` and :meth:`on_points_selected` instead of the traces'
    ``on_click`` / ``on_selection``. Each takes one callback; setting another replaces it, so
    re-wiring after a redraw never doubles the calls.
    """

    _esm = STATIC / "event_figure.js"
    _plotly_esm = traitlets.Unicode().tag(sync=True)
    # Events from the browser. echo_update=False: a 50,000-point selection is not sent back.
    _sbv_click = traitlets.Dict(allow_none=True, default_value=None).tag(
        sync=True, echo_update=False
    )
    _sbv_selection = traitlets.Dict(allow_none=True, default_value=None).tag(
        sync=True, echo_update=False
    )
    # Which drawing of the traces is shown; every event says which one it was made on.
    _sbv_draw = traitlets.Int(0).tag(sync=True)
    # The large path: binary selections and hover text asked of the kernel (see the module doc).
    _sbv_large = traitlets.Bool(False).tag(sync=True)
    # Every trait that carries trace data to the front end, with the row-buffer serializer.
    _widget_data = traitlets.List().tag(sync=True, **_ROWS)
    _py2js_addTraces = traitlets.Dict(allow_none=True).tag(sync=True, **_ROWS)
    _py2js_restyle = traitlets.Dict(allow_none=True).tag(sync=True, **_ROWS)
    _py2js_update = traitlets.Dict(allow_none=True).tag(sync=True, **_ROWS)
    _py2js_animate = traitlets.Dict(allow_none=True).tag(sync=True, **_ROWS)

    # Declared on the class: plotly's figures refuse new public attributes on instances.
    #: Called with (exception, where) for an event that could not be handled; None raises.
    error_handler: Callable[[BaseException, str], Any] | None = None
    #: Events dropped because they were made on a drawing that has since been replaced.
    stale_events: int = 0
    #: Large path: milliseconds from the browser sending the last selection to its delivery
    #: here (both clocks are the machine's wall clock when browser and kernel share it).
    last_selection_ms: float | None = None

    def __init__(self, *args: Any, large: bool = False, **kwargs: Any) -> None:
        self._click_callback: ClickCallback | None = None
        self._selection_callback: SelectionCallback | None = None
        self._stale_callback: Callable[[str], Any] | None = None
        self._hover_callback: HoverCallback | None = None
        super().__init__(*args, **kwargs)
        self._sbv_large = bool(large)
        self.error_handler = None
        self.stale_events = 0
        self.last_selection_ms = None
        self.on_msg(self._on_custom_msg)

    @traitlets.default("_plotly_esm")
    def _default_plotly_esm(self) -> str:
        return plotly_esm()

    def on_point_click(self, callback: ClickCallback | None) -> None:
        """Call ``callback(trace_index, point_index)`` for each click on a point."""
        self._click_callback = callback

    def on_points_selected(self, callback: SelectionCallback | None) -> None:
        """Call ``callback(points)`` for each box/lasso selection and each deselection."""
        self._selection_callback = callback

    def on_hover_request(self, callback: HoverCallback | None) -> None:
        """Large path: call ``callback(trace, point)`` for the text of a hovered point.

        The answer is plain text (None: no tooltip); the browser shows it as text, not HTML.
        """
        self._hover_callback = callback

    def on_stale_event(self, callback: Callable[[str], Any] | None) -> None:
        """Call ``callback(kind)`` ("click" or "selection") when an event is dropped as stale."""
        self._stale_callback = callback

    def mark_redrawn(self) -> None:
        """Say that the traces were changed in place.

        Point numbers of clicks and selections made on the previous drawing would now name other
        sentences; such events are dropped (and reported to :meth:`on_stale_event`).
        """
        self._sbv_draw += 1

    def _handle(self, kind: str, event: dict | None, deliver: Callable[[dict], Any]) -> None:
        if not event:
            return
        try:
            if event.get("draw", self._sbv_draw) != self._sbv_draw:
                self.stale_events += 1
                if self._stale_callback is not None:
                    self._stale_callback(kind)
                return
            deliver(event)
        except Exception as exc:
            if self.error_handler is None:
                raise
            self.error_handler(exc, f"{kind} event")

    @traitlets.observe("_sbv_click")
    def _dispatch_click(self, change: dict) -> None:
        def deliver(event: dict) -> None:
            if self._click_callback is not None:
                self._click_callback(int(event["trace"]), event["point"])

        self._handle("click", change["new"], deliver)

    @traitlets.observe("_sbv_selection")
    def _dispatch_selection(self, change: dict) -> None:
        def deliver(event: dict) -> None:
            if self._selection_callback is None:
                return
            traces = np.asarray(event.get("traces", []), dtype=np.int64)
            points = np.asarray(event.get("points", []), dtype=np.int64)
            if traces.shape != points.shape:
                raise ValueError(
                    f"A selection event must pair every point with its trace. Got "
                    f"{traces.size} traces and {points.size} points."
                )
            self._selection_callback({int(t): points[traces == t] for t in np.unique(traces)})

        self._handle("selection", change["new"], deliver)

    # -- the large path's custom messages ------------------------------------------------------

    def _on_custom_msg(self, _widget: Any, content: Any, buffers: list[Any]) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("kind")
        if kind == "selection":
            self._handle("selection", content, lambda e: self._deliver_binary(e, buffers))
        elif kind == "hover":
            if content.get("draw", self._sbv_draw) != self._sbv_draw:
                return  # a point of a replaced drawing: no answer (a hover is not worth a note)
            try:
                self._answer_hover(content)
            except Exception as exc:
                if self.error_handler is None:
                    raise
                self.error_handler(exc, "hover request")

    def _deliver_binary(self, event: dict, buffers: list[Any]) -> None:
        """A selection whose point numbers arrived as one binary buffer per trace."""
        sent = event.get("sent")
        if isinstance(sent, int | float):
            self.last_selection_ms = time.time() * 1000.0 - float(sent)
        points = decode_selection(event.get("parts", []), buffers)
        if self._selection_callback is not None:
            self._selection_callback(points)

    def _answer_hover(self, event: dict) -> None:
        text = None
        if self._hover_callback is not None:
            text = self._hover_callback(int(event["trace"]), int(event["point"]))
        self.send({"kind": "hover", "seq": event.get("seq"), "text": text})
