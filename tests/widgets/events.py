"""Front-end events as the explorers' FigureWidgets receive them, and error-panel text.

The explorers listen to ``EventFigureWidget``'s own traits (``_sbv_click``, ``_sbv_selection``),
which ``static/event_figure.js`` sets in the browser; these helpers set them the same way.
"""

from __future__ import annotations

import itertools

#: A sentence that would run script if any widget let it through as HTML.
EVIL = "<img src=x onerror=alert(1)>"

_ids = itertools.count()


def click(fw, trace_index: int, point_index) -> None:
    """Send a click on one point as the front end does (heatmaps: [row, col])."""
    fw._sbv_click = {"id": f"test-{next(_ids)}", "trace": trace_index, "point": point_index}


def select(fw, points: list[tuple[int, int]]) -> None:
    """Send a box/lasso selection of (trace_index, point_index) pairs."""
    fw._sbv_selection = {
        "id": f"test-{next(_ids)}",
        "traces": [t for t, _ in points],
        "points": [p for _, p in points],
    }


def deselect(fw) -> None:
    """Send a deselection (a double-click on the plot)."""
    fw._sbv_selection = {"id": f"test-{next(_ids)}", "traces": [], "points": []}


def error_text(widget) -> str:
    """Everything shown in a widget's error panel."""
    return "".join(o.get("text", "") for o in widget.errors.outputs)
